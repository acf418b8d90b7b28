"""Shared helpers for integration tests: temp dirs, running btctl, and process cleanup.

Each test module is a plain unittest program run by meson with Debian's /usr/bin/python3,
the interpreter python3-libtorrent is built for. Every process a test starts is recorded by
PID and killed when the test ends, whatever happened.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import unittest

BTCTL = os.environ.get("BTCTL", "btctl")
BTD = os.environ.get("BTD", "btd")


def run(cmd, check=True, timeout=120, **kw):
    """Runs a command, returning CompletedProcess with text output."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd!r} exited {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def btctl(*args, check=True, timeout=120):
    return run([BTCTL, *args], check=check, timeout=timeout)


def btctl_json(*args, timeout=120):
    return json.loads(btctl("--json", *args, timeout=timeout).stdout)


def write_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def pattern_bytes(n, seed):
    """Deterministic, non-repeating-looking payload bytes (no RNG state shared between tests)."""
    out = bytearray()
    x = seed & 0xFFFFFFFF or 1
    while len(out) < n:
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out += x.to_bytes(4, "little")
    return bytes(out[:n])


class TempDirTest(unittest.TestCase):
    """A test with its own temp dir and a list of processes to kill by PID at the end."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="btd-test-")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=10)
        if not os.environ.get("KEEP_TMP"): shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def spawn(self, cmd, log=None, **kw):
        """Starts a process that tearDown kills by PID. With `log`, its output goes to that file
        (a chatty process writing to a pipe nobody reads would block once the pipe is full)."""
        if log is not None:
            out = open(log, "ab")
            p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, **kw)
            out.close()
        else:
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
        self.procs.append(p)
        return p


def bencode(value, sort_keys=True):
    """Minimal bencoder for test fixtures; sort_keys=False writes dict keys in the given order
    so tests can build non-canonical (hostile) torrents."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v, sort_keys) for v in value) + b"e"
    if isinstance(value, dict):
        items = [(k.encode() if isinstance(k, str) else k, v) for k, v in value.items()]
        if sort_keys:
            items.sort()
        return b"d" + b"".join(bencode(k) + bencode(v, sort_keys) for k, v in items) + b"e"
    raise TypeError(type(value))


class Daemon:
    """A btd process with its own state dir and socket inside a test's temp dir."""

    def __init__(self, test, name="btd", extra_args=(), dht=False, lsd=False, user=None):
        """`user`: a uid to run btd as (the test runs as root, which ignores file permissions);
        its state dir and socket then live in a directory of its own."""
        self.test = test
        self.user = user
        home = test.tmp
        if user is not None:
            os.chmod(test.tmp, 0o711)  # the user may pass through, not list
            home = test.path(name + "-home")
            os.makedirs(home, exist_ok=True)
            os.chown(home, user, user)
        self.state = os.path.join(home, name + "-state")
        self.socket = os.path.join(home, name + ".sock")
        self.log_path = test.path(name + "-state.log")  # root's: opened before the switch
        # DHT off unless the test asks for it: a btd with its default bootstrap routers would
        # reach public hosts. A test that wants it names its own bootstrap nodes in a config file.
        no_dht = [] if dht else ["--no-dht"]
        # LSD off too unless asked: it multicasts on the LAN (test_lsd.py runs in a network
        # namespace of its own).
        no_dht += [] if lsd else ["--no-lsd"]
        self.args = [BTD, "--state-dir", self.state, "--socket", self.socket, "--log-level", "debug", "--listen-port", "0",
                     *no_dht, *extra_args]
        self.proc = None

    def start(self, wait=True):
        as_user = {} if self.user is None else {"user": self.user, "group": self.user, "extra_groups": []}
        self.proc = self.test.spawn(self.args, log=self.log_path, **as_user)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=10):
        import time
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"btd exited {self.proc.returncode}: {self.log()}")
            if os.path.exists(self.socket):
                p = btctl("--socket", self.socket, "stats", check=False)
                if p.returncode == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("btd did not come up within %ss" % timeout)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def port(self):
        return self.ctl_json("stats")["listen_port"]

    def ctl(self, *args, check=True):
        return btctl("--socket", self.socket, *args, check=check)

    def ctl_json(self, *args):
        return json.loads(self.ctl("--json", *args).stdout)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        self.proc.send_signal(sig)
        self.proc.wait(timeout=timeout)
        return self.proc.returncode


def rpc_reply(sock_path, method, params=None, timeout=10):
    """One raw JSON-RPC call over the daemon's Unix socket; the whole reply (result or error)."""
    msg = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        msg["params"] = params
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        s.sendall(json.dumps(msg).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    return json.loads(buf)


def rpc(sock_path, method, params=None, timeout=10):
    """One raw JSON-RPC call (for methods btctl has no command for); its result, or an
    AssertionError carrying the error."""
    reply = rpc_reply(sock_path, method, params, timeout)
    if "error" in reply:
        raise AssertionError(f"{method} failed: {reply['error']}")
    return reply["result"]


def free_port():
    """A port that was free a moment ago on 127.0.0.1 (TCP and UDP)."""
    for _ in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
    raise AssertionError("no free port")


def wait_for(predicate, timeout, what, interval=0.1):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start_opentracker(test, info_hashes, port=None):
    """opentracker on 127.0.0.1, HTTP and UDP on one port, tracking only `info_hashes`
    (Debian's build is compiled with a whitelist). Returns the port."""
    whitelist = test.path("whitelist.txt")
    with open(whitelist, "w") as f:
        f.write("".join(h + "\n" for h in info_hashes))
    port = port or free_port()
    # It chroots to its working directory when it can, drops to "nobody" when root, and reads the
    # whitelist afterwards: run it in the test's temp dir (made readable) with a relative path.
    os.chmod(test.tmp, 0o755)
    os.chmod(whitelist, 0o644)
    test.spawn(["opentracker", "-i", "127.0.0.1", "-p", str(port), "-P", str(port), "-w", "whitelist.txt",
                "-d", test.tmp], cwd=test.tmp)

    def up():
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", port))
            return True
        except OSError:
            return False
        finally:
            s.close()
    wait_for(up, 10, "opentracker to listen")
    if info_hashes:
        # It loads the whitelist on a thread after it starts listening: ready is when an announce
        # is accepted. The probe peer is withdrawn at once with "stopped".
        import urllib.parse
        import urllib.request
        ih = urllib.parse.quote(bytes.fromhex(info_hashes[0]), safe="")
        base = (f"http://127.0.0.1:{port}/announce?info_hash={ih}&peer_id=-PROBE-0000000000000"
                f"&port=9&uploaded=0&downloaded=0&left=0&compact=1")

        def accepted():
            with urllib.request.urlopen(base + "&event=started", timeout=5) as r:
                return b"failure reason" not in r.read()
        wait_for(accepted, 10, "opentracker to load its whitelist")
        urllib.request.urlopen(base + "&event=stopped", timeout=5).read()
    return port


def lt_session(port, upload_rate_limit=0):
    """A libtorrent session bound to loopback with every public-facing feature off: no DHT,
    LSD, UPnP or NAT-PMP, so nothing leaves 127.0.0.1."""
    import libtorrent as lt
    settings = {
        "listen_interfaces": f"127.0.0.1:{port}",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        "announce_to_all_trackers": True, "announce_to_all_tiers": True,
        "alert_mask": 0,
        "upload_rate_limit": upload_rate_limit,
        "min_announce_interval": 1,
    }
    ses = lt.session(settings)
    if upload_rate_limit:
        # libtorrent exempts local peers (loopback included) from rate limits unless they are put
        # in the global peer class: without this the limit would do nothing in tests.
        loopback = lt.ip_filter()
        loopback.add_rule("127.0.0.0", "127.255.255.255", 1 << lt.session.global_peer_class_id)
        ses.set_peer_class_filter(loopback)
    return ses


def sha256_file(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
