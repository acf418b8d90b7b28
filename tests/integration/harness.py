"""Shared helpers for integration tests: temp dirs, running btctl, and process cleanup.

Each test module is a plain unittest program run by meson with Debian's /usr/bin/python3,
the interpreter python3-libtorrent is built for. Every process a test starts is recorded by
PID and killed when the test ends, whatever happened.
"""
import json
import os
import shutil
import signal
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
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def spawn(self, cmd, **kw):
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

    def __init__(self, test, name="btd", extra_args=()):
        self.test = test
        self.state = test.path(name + "-state")
        self.socket = test.path(name + ".sock")
        self.args = [BTD, "--state-dir", self.state, "--socket", self.socket, "--log-level", "debug", *extra_args]
        self.proc = None

    def start(self, wait=True):
        self.proc = self.test.spawn(self.args)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=10):
        import time
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"btd exited {self.proc.returncode}: {self.proc.stderr.read().decode()}")
            if os.path.exists(self.socket):
                p = btctl("--socket", self.socket, "stats", check=False)
                if p.returncode == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("btd did not come up within %ss" % timeout)

    def ctl(self, *args, check=True):
        return btctl("--socket", self.socket, *args, check=check)

    def ctl_json(self, *args):
        return json.loads(self.ctl("--json", *args).stdout)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        self.proc.send_signal(sig)
        self.proc.wait(timeout=timeout)
        return self.proc.returncode
