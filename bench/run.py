#!/usr/bin/python3
"""Side-by-side benchmark of btd against libtorrent, aria2 and transmission (issue 6).

  bench/run.py [--build DIR] [--size 256M] [--runs 3] [--quick] [--json FILE] [--clients ...]

Everything runs on 127.0.0.1: opentracker, libtorrent seeders (high-performance preset, one
process each), btd, and each leecher in turn, all finding each other through the tracker.
Every downloaded file is checked by SHA-256. Figures are medians over the runs; btd's ratios
to a peer are taken run by run (same run, same seeders, same page cache) and then the median.
Every process started is recorded and killed by PID at the end, whatever happened.
bench/run.sh installs what is missing, builds a release btd and runs this.
"""
import argparse
import base64
import hashlib
import json
import os
import random
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from harness import bencode, free_port, start_opentracker  # noqa: E402

MiB = 1 << 20
CLK_TCK = os.sysconf("SC_CLK_TCK")
PIECE = 256 * 1024
PYTHON = "/usr/bin/python3"  # the interpreter python3-libtorrent is built for
LT_PEER = os.path.join(HERE, "lt_peer.py")


def now():
    return time.monotonic()


# ---------------------------------------------------------------- processes and /proc

class Procs:
    """The processes of one bench run; the interface harness.start_opentracker expects."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def spawn(self, cmd, log=None, stdin=subprocess.DEVNULL, stdout=None, **kw):
        out = open(log or os.devnull, "ab")
        p = subprocess.Popen(cmd, stdin=stdin, stdout=stdout or out, stderr=out, **kw)
        out.close()
        self.procs.append(p)
        return p

    def kill(self, p):
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=10)

    def kill_all(self):
        for p in self.procs:
            self.kill(p)


def cpu_seconds(pid):
    """utime + stime of every thread of `pid` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status_mib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(key)


class LineReader:
    """Reads lines from a child's stdout with a deadline (a plain readline could hang forever)."""

    def __init__(self, proc):
        self.proc, self.fd, self.buf = proc, proc.stdout.fileno(), b""

    def line(self, timeout):
        deadline = now() + timeout
        while b"\n" not in self.buf:
            left = deadline - now()
            if left <= 0:
                raise TimeoutError(f"no line from pid {self.proc.pid} within {timeout}s")
            if select.select([self.fd], [], [], left)[0]:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    raise RuntimeError(f"pid {self.proc.pid} exited ({self.proc.poll()})")
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()


class FirstByte(threading.Thread):
    """Time at which the first payload byte reached any of `paths` (allocated blocks > 0; every
    client is set to write sparse files, so blocks appear only with data)."""

    def __init__(self, paths, interval=0.002):
        super().__init__(daemon=True)
        self.paths, self.interval, self.at, self.stop = paths, interval, None, threading.Event()
        self.start()

    def run(self):
        while not self.stop.is_set():
            for p in self.paths:
                try:
                    if os.stat(p).st_blocks > 0:
                        self.at = now()
                        return
                except FileNotFoundError:
                    pass
            time.sleep(self.interval)

    def finish(self):
        self.stop.set()
        self.join()
        return self.at


# ---------------------------------------------------------------- btd over its RPC socket

class Rpc:
    """One persistent JSON-RPC connection to btd; notifications are kept for wait_event."""

    def __init__(self, path, timeout=120):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf, self.next_id, self.events = b"", 1, []

    def close(self):
        self.sock.close()

    def _line(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 1:]
                return line
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("btd closed the RPC connection")
            self.buf += chunk

    def send(self, method, params=None):
        req = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            req["params"] = params
        self.next_id += 1
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        return req["id"]

    def reply(self, rid):
        """The raw reply line to request `rid`, keeping notifications that come before it."""
        while True:
            line = self._line()
            if b'"id":' + str(rid).encode() in line.replace(b" ", b"") and b'"method"' not in line:
                return line
            self.events.append(json.loads(line))

    def call(self, method, params=None):
        reply = json.loads(self.reply(self.send(method, params)))
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def timed(self, method, params=None):
        """Seconds from sending a request to holding its whole reply line (JSON parsing of the
        reply is left out: it measures btd and the socket, not this Python client)."""
        t0 = now()
        line = self.reply(self.send(method, params))
        elapsed = now() - t0
        if b'"error"' in line[:200]:
            raise RuntimeError(f"{method}: {line[:300]!r}")
        return elapsed, line

    def wait_event(self, name, timeout):
        deadline = now() + timeout
        self.sock.settimeout(timeout)
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == name:
                    return self.events.pop(i)
            if now() > deadline:
                raise TimeoutError(f"no {name} event within {timeout}s")
            self.events.append(json.loads(self._line()))


def start_btd(ctx, bench, name, extra=(), fresh=True):
    state = ctx.path(name + "-state")
    sock = ctx.path(name + ".sock")
    if fresh:  # a state dir left by an earlier run would resume that run's torrents
        shutil.rmtree(state, ignore_errors=True)
    # --no-dht, --no-lsd: the benchmark stays on loopback (the DHT would bootstrap from public
    # routers, LSD multicasts on the LAN).
    p = ctx.spawn([bench.btd, "--state-dir", state, "--socket", sock, "--listen-port", "0",
                   "--log-level", "warning", "--no-dht", "--no-lsd", *extra], log=ctx.path(name + ".log"))
    deadline = now() + 20
    while True:
        if p.poll() is not None:
            raise RuntimeError(f"btd exited {p.returncode}: see {ctx.path(name + '.log')}")
        try:
            rpc = Rpc(sock)
            rpc.call("session.stats")
            return p, rpc
        except (OSError, RuntimeError):
            if now() > deadline:
                raise
            time.sleep(0.01)


# ---------------------------------------------------------------- payload and torrents

def make_payload(path, size):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sha = hashlib.sha256()
    pieces = []
    with open(path, "wb") as f:
        left = size
        while left:
            block = os.urandom(min(left, 4 * MiB))
            f.write(block)
            sha.update(block)
            for i in range(0, len(block), PIECE):
                pieces.append(hashlib.sha1(block[i:i + PIECE]).digest())
            left -= len(block)
    return sha.hexdigest(), b"".join(pieces)


def make_torrent(path, name, length, piece_length, pieces, announce=None, tag=None):
    """A v1 single-file torrent; `tag` goes in the info dict ("source", as private trackers do)
    so that one payload can be offered as distinct torrents seeded by distinct seeders."""
    info = {"name": name, "length": length, "piece length": piece_length, "pieces": pieces}
    if tag:
        info["source"] = tag
    meta = {"info": info}
    if announce:
        meta["announce"] = announce
    data = bencode(meta)
    with open(path, "wb") as f:
        f.write(data)
    return Torrent(path, data, hashlib.sha1(bencode(info)).hexdigest(), name, length)


class Torrent:
    def __init__(self, path, data, info_hash, name, length):
        self.path, self.data, self.info_hash, self.name, self.length = path, data, info_hash, name, length
        self.b64 = base64.b64encode(data).decode()
        self.pieces = (length + PIECE - 1) // PIECE


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(4 * MiB), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------- leechers

class Result:
    def __init__(self, wall, first, cpu, rss):
        self.wall, self.first, self.cpu, self.rss = wall, first, cpu, rss


def lt_peer(ctx, mode, torrent, directory, log):
    p = ctx.spawn([PYTHON, LT_PEER, mode, torrent.path, directory], log=log,
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    return p, LineReader(p)


def leech_btd(ctx, bench, torrent, dl, timeout):
    p, rpc = start_btd(ctx, bench, "btd-leech")
    try:
        rpc.call("events.subscribe", {"events": ["torrent.completed", "torrent.error"]})
        fb = FirstByte([os.path.join(dl, torrent.name)])
        cpu0, t0 = cpu_seconds(p.pid), now()
        rpc.call("torrent.add", {"metainfo": torrent.b64, "download_dir": dl})
        rpc.wait_event("torrent.completed", timeout)
        t1 = now()
        return Result(t1 - t0, (fb.finish() or t1) - t0, cpu_seconds(p.pid) - cpu0,
                      proc_status_mib(p.pid, "VmHWM"))
    finally:
        rpc.close()
        ctx.kill(p)


def leech_libtorrent(ctx, bench, torrent, dl, timeout):
    p, out = lt_peer(ctx, "leech", torrent, dl, ctx.path("lt-leech.log"))
    try:
        if out.line(30) != "ready":
            raise RuntimeError("lt_peer did not start")
        fb = FirstByte([os.path.join(dl, torrent.name)])
        cpu0, t0 = cpu_seconds(p.pid), now()
        p.stdin.write(b"go\n")
        p.stdin.flush()
        line = out.line(timeout)
        t1 = now()
        if line != "done":
            raise RuntimeError("libtorrent: " + line)
        return Result(t1 - t0, (fb.finish() or t1) - t0, cpu_seconds(p.pid) - cpu0,
                      proc_status_mib(p.pid, "VmHWM"))
    finally:
        ctx.kill(p)


def done_script(directory):
    """A script that touches a marker file: how aria2 and transmission tell us they finished."""
    marker = os.path.join(directory, "done")
    script = os.path.join(directory, "done.sh")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\ntouch '{marker}'\n")
    os.chmod(script, 0o755)
    return script, marker


def leech_aria2(ctx, bench, torrent, dl, timeout):
    os.makedirs(dl, exist_ok=True)
    conf = ctx.path("aria2-conf")
    shutil.rmtree(conf, ignore_errors=True)
    os.makedirs(conf)
    script, marker = done_script(conf)
    fb = FirstByte([os.path.join(dl, torrent.name)])
    t0 = now()
    # Its start-up is in its figures (a few milliseconds): it starts with the torrent.
    p = ctx.spawn([
        "aria2c", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
        "--enable-peer-exchange=false", "--seed-time=0", f"--listen-port={free_port()}",
        f"--dht-listen-port={free_port()}", "--dir", dl, "--allow-overwrite=true",
        "--file-allocation=none", "--check-integrity=false", "--console-log-level=warn",
        "--summary-interval=0", "--show-console-readout=false", "--no-conf",
        # Called when the download is complete, before seeding and before its slow shutdown
        # (stopped announce, then a one-second tick): that is where its wall time ends.
        f"--on-bt-download-complete={script}", torrent.path,
    ], log=ctx.path("aria2.log"))
    try:
        deadline = t0 + timeout
        while not os.path.exists(marker):
            if now() > deadline:
                raise TimeoutError(f"aria2c did not finish within {timeout}s")
            if p.poll() is not None:
                raise RuntimeError(f"aria2c exited {p.returncode}: see {ctx.path('aria2.log')}")
            time.sleep(0.003)
        t1 = now()
        return Result(t1 - t0, (fb.finish() or t1) - t0, cpu_seconds(p.pid), proc_status_mib(p.pid, "VmHWM"))
    finally:
        ctx.kill(p)


def transmission_rpc(port, method, args, session=[None]):  # noqa: B006 (the session id is kept)
    body = json.dumps({"method": method, "arguments": args}).encode()
    for _ in range(3):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/transmission/rpc", data=body)
        if session[0]:
            req.add_header("X-Transmission-Session-Id", session[0])
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                reply = json.loads(r.read())
                if reply.get("result") != "success":
                    raise RuntimeError(f"transmission {method}: {reply}")
                return reply["arguments"]
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise
            session[0] = e.headers["X-Transmission-Session-Id"]
    raise RuntimeError("transmission RPC kept answering 409")


def leech_transmission(ctx, bench, torrent, dl, timeout):
    conf = ctx.path("transmission-conf")
    shutil.rmtree(conf, ignore_errors=True)
    os.makedirs(conf)
    os.makedirs(dl, exist_ok=True)
    script, marker = done_script(conf)
    rpc_port = free_port()
    settings = {
        "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False, "utp-enabled": False,
        "port-forwarding-enabled": False, "bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1",
        "peer-port": free_port(), "peer-port-random-on-start": False, "rpc-port": rpc_port,
        "rpc-bind-address": "127.0.0.1", "rpc-whitelist-enabled": False, "rpc-authentication-required": False,
        "download-dir": dl, "incomplete-dir-enabled": False, "rename-partial-files": False, "preallocation": 0,
        "start-added-torrents": True, "ratio-limit-enabled": False, "idle-seeding-limit-enabled": False,
        "speed-limit-down-enabled": False, "speed-limit-up-enabled": False, "alt-speed-enabled": False,
        "blocklist-enabled": False, "encryption": 0, "message-level": 3,
        "script-torrent-done-enabled": True, "script-torrent-done-filename": script,
    }
    with open(os.path.join(conf, "settings.json"), "w") as f:
        json.dump(settings, f)
    p = ctx.spawn(["transmission-daemon", "-f", "-g", conf], log=ctx.path("transmission.log"))
    try:
        deadline = now() + 20
        while True:
            try:
                transmission_rpc(rpc_port, "session-get", {})
                break
            except OSError:
                if p.poll() is not None or now() > deadline:
                    raise RuntimeError("transmission-daemon did not start")
                time.sleep(0.02)
        fb = FirstByte([os.path.join(dl, torrent.name), os.path.join(dl, torrent.name + ".part")])
        cpu0, t0 = cpu_seconds(p.pid), now()
        transmission_rpc(rpc_port, "torrent-add", {"metainfo": torrent.b64, "download-dir": dl})
        # transmission 3.00 gets the seeders from the tracker but never dials them on 127.0.0.1,
        # so the seeders dial it, as soon as it is added and again every 2 s until data flows.
        deadline, next_dial = t0 + timeout, t0
        while not os.path.exists(marker):
            if now() > deadline:
                raise TimeoutError(f"transmission did not finish within {timeout}s")
            if fb.at is None and now() >= next_dial:
                bench.dial(torrent, settings["peer-port"])
                next_dial = now() + 2
            time.sleep(0.005)
        t1 = now()
        return Result(t1 - t0, (fb.finish() or t1) - t0, cpu_seconds(p.pid) - cpu0,
                      proc_status_mib(p.pid, "VmHWM"))
    finally:
        ctx.kill(p)


LEECHERS = {"btd": leech_btd, "libtorrent": leech_libtorrent, "aria2": leech_aria2,
            "transmission": leech_transmission}
CLIENT_TOOLS = {"aria2": "aria2c", "transmission": "transmission-daemon"}


# ---------------------------------------------------------------- the bench

class Bench:
    def __init__(self, args):
        self.args = args
        self.btd = os.path.join(args.build, "daemon", "btd")
        self.results = {}  # (scenario, client) -> [Result or error string per run]
        self.extra = {}    # measurement -> value(s)
        self.seeders = {}  # info-hash -> [lt_peer seed process] or [btd RPC connection]

    def dial(self, torrent, port):
        """Has every seeder of `torrent` connect to a leecher listening on 127.0.0.1:`port`."""
        for s in self.seeders.get(torrent.info_hash, []):
            if isinstance(s, Rpc):
                s.call("torrent.add_peers", {"id": torrent.info_hash, "peers": [f"127.0.0.1:{port}"]})
            else:
                s.stdin.write(f"connect {port}\n".encode())
                s.stdin.flush()

    def download(self, ctx, scenario, client, torrent, expected_sha, run):
        dl = ctx.path("dl", f"{scenario}-{client}-{run}")
        shutil.rmtree(dl, ignore_errors=True)
        os.makedirs(dl)
        timeout = 60 + torrent.length / MiB / 5
        try:
            r = LEECHERS[client](ctx, self, torrent, dl, timeout)
            got = sha256_file(os.path.join(dl, torrent.name))
            if got != expected_sha:
                raise RuntimeError(f"sha256 mismatch: {got}")
        except Exception as e:  # one client failing must not lose the others' figures
            r = f"{type(e).__name__}: {e}"
        finally:
            shutil.rmtree(dl, ignore_errors=True)
        self.results.setdefault((scenario, client), []).append(r)
        if isinstance(r, Result):
            log(f"  {scenario:10s} {client:12s} {r.wall:7.2f} s {torrent.length / MiB / r.wall:8.1f} MiB/s "
                f"first byte {r.first * 1000:6.0f} ms  cpu {r.cpu:5.2f} s  rss {r.rss:6.1f} MiB")
        else:
            log(f"  {scenario:10s} {client:12s} FAILED {r}")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def run_downloads(bench, ctx, clients, torrents, expected_sha, seeders):
    """Each run: every scenario, every client in turn (so ratios pair within one run)."""
    for run in range(bench.args.runs):
        log(f"run {run + 1}/{bench.args.runs}")
        for scenario, torrent in torrents.items():
            for client in clients[scenario]:
                bench.download(ctx, scenario, client, torrent, expected_sha, run)


def hash_check(bench, ctx, btd_rpc, torrent, seed_dir):
    """btd: torrent.verify of complete, cached data until seeding again; libtorrent: the same
    data added (a full check) and then force_recheck."""
    btd_times, lt_times = [], []
    for _ in range(bench.args.runs):
        t0 = now()
        btd_rpc.call("torrent.verify", {"id": torrent.info_hash})
        while btd_rpc.call("torrent.status", {"id": torrent.info_hash})["torrents"][0]["state"] != "seeding":
            time.sleep(0.005)
        btd_times.append(now() - t0)
    p, out = lt_peer(ctx, "check", torrent, seed_dir, ctx.path("lt-check.log"))
    try:
        if out.line(30) != "ready":
            raise RuntimeError("lt_peer check did not start")
        for _ in range(bench.args.runs):
            t0 = now()
            p.stdin.write(b"go\n")
            p.stdin.flush()
            if out.line(300) != "done":
                raise RuntimeError("libtorrent check failed")
            lt_times.append(now() - t0)
    finally:
        ctx.kill(p)
    bench.extra["check_btd_s"] = median(btd_times)
    bench.extra["check_lt_s"] = median(lt_times)
    log(f"hash check of {torrent.length / MiB:.0f} MiB: btd {bench.extra['check_btd_s']:.3f} s, "
        f"libtorrent {bench.extra['check_lt_s']:.3f} s")


def get_piece_figures(bench, ctx, btd_rpc, seeded, lt_torrent, lt_seed_port):
    """get_piece from a seeding torrent (piece on disk), and from a torrent just added with a
    known seeder (piece not yet there); time from torrent.add to the first byte on disk."""
    rng = random.Random(6)
    on_disk = []
    for idx in rng.sample(range(seeded.pieces), min(20, seeded.pieces)):
        on_disk.append(btd_rpc.timed("torrent.get_piece", {"id": seeded.info_hash, "index": idx})[0])
    bench.extra["get_piece_disk_ms"] = median(on_disk) * 1000
    p, rpc = start_btd(ctx, bench, "btd-getpiece")
    fetched, first_bytes, first_pieces = [], [], []
    try:
        rpc.call("events.subscribe", {"events": ["piece.verified"]})
        peer = f"127.0.0.1:{lt_seed_port}"
        for i in range(5):
            dl = ctx.path("dl", f"getpiece-{i}")
            t0 = now()
            rpc.call("torrent.add", {"metainfo": lt_torrent.b64, "download_dir": dl, "paused": True,
                                     "peers": [peer]})
            rpc.timed("torrent.get_piece", {"id": lt_torrent.info_hash, "index": rng.randrange(lt_torrent.pieces),
                                            "timeout_ms": 10000})
            fetched.append(now() - t0)
            rpc.call("torrent.remove", {"id": lt_torrent.info_hash, "delete_data": True})
            rpc.events.clear()
            # The same, not paused: how soon after torrent.add the first payload byte is on disk.
            fb = FirstByte([os.path.join(dl, lt_torrent.name)], interval=0.0005)
            t0 = now()
            rpc.call("torrent.add", {"metainfo": lt_torrent.b64, "download_dir": dl, "peers": [peer]})
            rpc.wait_event("piece.verified", 10)
            first_pieces.append(now() - t0)
            deadline = now() + 5
            while fb.at is None and now() < deadline:
                time.sleep(0.001)
            first_bytes.append((fb.finish() or now()) - t0)
            rpc.call("torrent.remove", {"id": lt_torrent.info_hash, "delete_data": True})
            rpc.events.clear()
            shutil.rmtree(dl, ignore_errors=True)
    finally:
        rpc.close()
        ctx.kill(p)
    bench.extra["get_piece_missing_ms"] = median(fetched) * 1000
    bench.extra["first_byte_known_seed_ms"] = median(first_bytes) * 1000
    bench.extra["first_piece_known_seed_ms"] = median(first_pieces) * 1000
    log(f"get_piece: on disk {bench.extra['get_piece_disk_ms']:.2f} ms, not yet downloaded "
        f"(add + get_piece) {bench.extra['get_piece_missing_ms']:.1f} ms; first byte after add "
        f"{bench.extra['first_byte_known_seed_ms']:.1f} ms, first verified piece "
        f"{bench.extra['first_piece_known_seed_ms']:.1f} ms")


def many_torrents(bench, ctx, count):
    """`count` small torrents with their data: add time, idle RSS, torrent.status of all,
    RPC calls per second, then restart and time start-up with fast resume."""
    data_dir = ctx.path("many", "data")
    os.makedirs(data_dir)
    metas = []
    for i in range(count):
        name = f"t{i:05d}.bin"
        content = os.urandom(32 * 1024)
        with open(os.path.join(data_dir, name), "wb") as f:
            f.write(content)
        pieces = hashlib.sha1(content[:16384]).digest() + hashlib.sha1(content[16384:]).digest()
        info = {"name": name, "length": len(content), "piece length": 16384, "pieces": pieces}
        metas.append(base64.b64encode(bencode({"info": info})).decode())
    p, rpc = start_btd(ctx, bench, "btd-many")
    t0 = now()
    for m in metas:
        rpc.call("torrent.add", {"metainfo": m, "download_dir": data_dir})
    add_s = now() - t0

    def all_seeding(r):
        ts = r.call("torrent.status")["torrents"]
        return len(ts) == count and all(t["state"] == "seeding" for t in ts)
    deadline = now() + 120
    while not all_seeding(rpc):
        if now() > deadline:
            raise TimeoutError("the small torrents did not all reach seeding")
        time.sleep(0.1)
    ready_s = now() - t0
    time.sleep(2)
    rss = proc_status_mib(p.pid, "VmRSS")
    status = [rpc.timed("torrent.status")[0] for _ in range(20)]
    # RPC calls per second on one connection: one at a time (a round trip each), and pipelined.
    n, t0 = 0, now()
    while now() - t0 < 2:
        rpc.timed("session.stats")
        n += 1
    seq_rate = n / (now() - t0)
    batch = 5000
    t0 = now()
    first = rpc.next_id
    rpc.sock.sendall(b"".join(json.dumps({"jsonrpc": "2.0", "id": first + i, "method": "session.stats"}).encode() + b"\n"
                              for i in range(batch)))
    rpc.next_id += batch
    for _ in range(batch):
        rpc._line()
    pipe_rate = batch / (now() - t0)
    rpc.close()
    # Restart: SIGTERM saves everything; start-up is until every torrent is seeding again.
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
    t0 = now()
    p, rpc = start_btd(ctx, bench, "btd-many", fresh=False)
    socket_s = now() - t0
    deadline = now() + 120
    while not all_seeding(rpc):
        if now() > deadline:
            raise TimeoutError("after a restart the small torrents did not all reach seeding")
        time.sleep(0.01)
    restart_s = now() - t0
    time.sleep(1)
    rss_after = proc_status_mib(p.pid, "VmRSS")
    rpc.close()
    ctx.kill(p)
    bench.extra.update({
        "many_count": count, "many_add_s": add_s, "many_ready_s": ready_s, "many_rss_mib": rss,
        "many_rss_after_restart_mib": rss_after, "many_status_ms": median(status) * 1000,
        "many_status_max_ms": max(status) * 1000, "rpc_seq_per_s": seq_rate, "rpc_pipelined_per_s": pipe_rate,
        "many_restart_socket_s": socket_s, "many_restart_s": restart_s,
    })
    log(f"{count} torrents: added in {add_s:.2f} s, all seeding after {ready_s:.2f} s, idle RSS {rss:.1f} MiB, "
        f"torrent.status of all {median(status) * 1000:.1f} ms (max {max(status) * 1000:.1f}); "
        f"session.stats {seq_rate:.0f}/s one at a time, {pipe_rate:.0f}/s pipelined; restart: RPC after "
        f"{socket_s:.2f} s, all seeding after {restart_s:.2f} s, RSS {rss_after:.1f} MiB")


# ---------------------------------------------------------------- report

def report(bench, size, clients, scenarios):
    out = []
    a = bench.args
    out.append(f"Payload {size / MiB:.0f} MiB, one file, {PIECE // 1024} KiB pieces; median of {a.runs} run(s); "
               f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, load average at the end "
               f"{os.getloadavg()[0]:.1f} (other work on the machine shares the cores).")
    for scenario, title in scenarios.items():
        out.append("")
        out.append(f"**{title}**")
        out.append("")
        out.append("| leecher | wall s | MiB/s | first byte ms | CPU s | peak RSS MiB | btd's throughput / CPU / RSS ratio to it |")
        out.append("|---|---|---|---|---|---|---|")
        btd_runs = bench.results.get((scenario, "btd"), [])
        for client in clients[scenario]:
            runs = bench.results.get((scenario, client), [])
            ok = [r for r in runs if isinstance(r, Result)]
            fails = [r for r in runs if not isinstance(r, Result)]
            if not ok:
                out.append(f"| {client} | failed: {fails[0] if fails else 'not run'} | | | | | |")
                continue
            wall = median([r.wall for r in ok])
            ratio = "–"
            if client != "btd":
                pairs = [(b, r) for b, r in zip(btd_runs, runs) if isinstance(b, Result) and isinstance(r, Result)]
                if pairs:
                    ratio = (f"{median([r.wall / b.wall for b, r in pairs]):.2f}x / "
                             f"{median([b.cpu / r.cpu if r.cpu else None for b, r in pairs]) or 0:.2f}x / "
                             f"{median([b.rss / r.rss for b, r in pairs]):.2f}x")
            note = f" ({len(fails)} of {len(runs)} runs failed)" if fails else ""
            out.append(f"| {client}{note} | {wall:.2f} | {size / MiB / wall:.0f} | {median([r.first for r in ok]) * 1000:.0f} | "
                       f"{median([r.cpu for r in ok]):.2f} | {median([r.rss for r in ok]):.1f} | {ratio} |")
    e = bench.extra
    out.append("")
    out.append("| measurement | btd | libtorrent |")
    out.append("|---|---|---|")
    if "check_btd_s" in e:
        gbs = lambda s: size / s / 1e9  # noqa: E731
        out.append(f"| full hash check of the cached payload | {e['check_btd_s']:.2f} s, {gbs(e['check_btd_s']):.2f} GB/s | "
                   f"{e['check_lt_s']:.2f} s, {gbs(e['check_lt_s']):.2f} GB/s |")
    if "get_piece_disk_ms" in e:
        out.append(f"| `torrent.get_piece`, piece on disk (256 KiB, verified on read) | {e['get_piece_disk_ms']:.2f} ms | |")
        out.append(f"| `torrent.add` (paused, seeder named) + `torrent.get_piece` of a missing piece | {e['get_piece_missing_ms']:.1f} ms | |")
        out.append(f"| first payload byte on disk after `torrent.add` with a seeder named | {e['first_byte_known_seed_ms']:.1f} ms | |")
        out.append(f"| first verified piece after `torrent.add` with a seeder named | {e['first_piece_known_seed_ms']:.1f} ms | |")
    if "many_count" in e:
        n = e["many_count"]
        out.append(f"| {n} torrents (32 KiB each, with data): all added / all seeding | {e['many_add_s']:.2f} s / {e['many_ready_s']:.2f} s | |")
        out.append(f"| {n} torrents: idle RSS | {e['many_rss_mib']:.1f} MiB | |")
        out.append(f"| {n} torrents: `torrent.status` of all (median / max of 20) | {e['many_status_ms']:.1f} / {e['many_status_max_ms']:.1f} ms | |")
        out.append(f"| {n} torrents: restart with fast resume, RPC up / all seeding | {e['many_restart_socket_s']:.2f} s / {e['many_restart_s']:.2f} s | |")
        out.append(f"| `session.stats` calls per second on one connection, one at a time / pipelined | "
                   f"{e['rpc_seq_per_s']:.0f} / {e['rpc_pipelined_per_s']:.0f} | |")
    out.append("")
    out.extend(targets(bench, size))
    return "\n".join(out)


def targets(bench, size):
    """The targets of issue 6, each with the figure from this run."""
    e, lines = bench.extra, ["| target (issue 6) | this run | met |", "|---|---|---|"]

    def row(what, value, ok):
        lines.append(f"| {what} | {value} | {'yes' if ok else 'no'} |")

    def paired(scenario, peer, f):
        b = bench.results.get((scenario, "btd"), [])
        r = bench.results.get((scenario, peer), [])
        return median([f(x, y) for x, y in zip(b, r) if isinstance(x, Result) and isinstance(y, Result)])
    tp = paired("lt1", "libtorrent", lambda b, r: r.wall / b.wall)
    if tp is not None:
        row("download from 1 libtorrent seed: btd ≥ 1.25x libtorrent's throughput", f"{tp:.2f}x", tp >= 1.25)
        cpu = paired("lt1", "libtorrent", lambda b, r: b.cpu / r.cpu if r.cpu else None)
        if cpu is not None:
            row("… with CPU seconds ≤ libtorrent's", f"{cpu:.2f}x libtorrent's", cpu <= 1.0)
    btd1 = [r for r in bench.results.get(("lt1", "btd"), []) if isinstance(r, Result)]
    if btd1:
        rss = median([r.rss for r in btd1])
        row(f"… and peak RSS < 64 MiB (measured on {size / MiB:.0f} MiB)", f"{rss:.1f} MiB", rss < 64)
    best = []  # per run: btd against the fastest other leecher of that run
    btd_runs = bench.results.get(("lt1", "btd"), [])
    for i, b in enumerate(btd_runs):
        peers = [v[i] for (s, c), v in bench.results.items() if s == "lt1" and c != "btd" and len(v) > i]
        peers = [r for r in peers if isinstance(r, Result)]
        if isinstance(b, Result) and peers:
            best.append(min(r.wall for r in peers) / b.wall)
    if best:
        row("download from 1 libtorrent seed: btd's throughput / the best peer's in the same run",
            f"{median(best):.2f}x", median(best) >= 1.25)
    if "first_byte_known_seed_ms" in e:
        v = e["first_byte_known_seed_ms"]
        row("first payload byte within 50 ms of `torrent.add` (seeder known)", f"{v:.1f} ms", v <= 50)
    a_btd = bench.results.get(("btdseed", "aria2"), [])
    a_lt = bench.results.get(("lt1", "aria2"), [])
    pairs = [(x, y) for x, y in zip(a_btd, a_lt) if isinstance(x, Result) and isinstance(y, Result)]
    if pairs:
        seed = median([y.wall / x.wall for x, y in pairs])
        row("aria2 downloads from btd at least as fast as from the libtorrent seeder", f"{seed:.2f}x", seed >= 1.0)
    if "check_btd_s" in e:
        g = size / e["check_btd_s"] / 1e9
        row("full hash check of cached data ≥ 1.8 GB/s", f"{g:.2f} GB/s", g >= 1.8)
    if "many_count" in e:
        n = e["many_count"]
        row(f"{n} torrents: idle RSS < 150 MiB", f"{e['many_rss_mib']:.1f} MiB", e["many_rss_mib"] < 150)
        row(f"{n} torrents: `torrent.status` of all < 20 ms", f"{e['many_status_ms']:.1f} ms", e["many_status_ms"] < 20)
        row(f"{n} torrents: start-up with fast resume < 2 s", f"{e['many_restart_s']:.2f} s", e["many_restart_s"] < 2)
    return lines


def parse_size(s):
    s = s.strip().upper()
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(s[-1:], 1)
    n = int(float(s[:-1] if s[-1:] in "KMG" else s) * mult)
    if n <= 0 or n % PIECE and n < PIECE:
        raise argparse.ArgumentTypeError(f"--size {s}: give at least 256K, e.g. 256M or 1G")
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build-release"),
                    help="meson build dir holding daemon/btd (default: build-release)")
    ap.add_argument("--size", type=parse_size, default=None, help="payload size, e.g. 256M, 1G (default 256M)")
    ap.add_argument("--runs", type=int, default=None, help="runs to take the median of (default 3)")
    ap.add_argument("--quick", action="store_true", help="32 MiB, 1 run, 200 torrents: under a minute")
    ap.add_argument("--clients", default="btd,libtorrent,aria2,transmission",
                    help="comma-separated leechers to compare (default: all that are installed)")
    ap.add_argument("--torrents", type=int, default=None, help="small torrents for the many-torrents figures "
                    "(default 1000, 200 with --quick)")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: lt4,btdseed,check,getpiece,many")
    ap.add_argument("--json", help="also write every figure to this file")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs) afterwards")
    args = ap.parse_args()
    args.size = args.size or (32 * MiB if args.quick else 256 * MiB)
    args.runs = args.runs or (1 if args.quick else 3)
    args.torrents = args.torrents or (200 if args.quick else 1000)
    if not os.access(os.path.join(args.build, "daemon", "btd"), os.X_OK):
        sys.exit(f"no btd in {args.build}/daemon: build it (bench/run.sh does) or pass --build DIR")
    import importlib.util
    if importlib.util.find_spec("libtorrent") is None:
        sys.exit("python3-libtorrent is missing: run bench/run.sh, or apt-get install python3-libtorrent, "
                 "and run this with /usr/bin/python3")
    for tool in ("opentracker",):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run bench/run.sh, or apt-get install {tool}")
    wanted = [c.strip() for c in args.clients.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in LEECHERS]
    if unknown:
        sys.exit(f"--clients: unknown {unknown}; known: {', '.join(LEECHERS)}")
    installed = [c for c in wanted if c not in CLIENT_TOOLS or shutil.which(CLIENT_TOOLS[c])]
    for c in set(wanted) - set(installed):
        log(f"{c}: {CLIENT_TOOLS[c]} is not installed, left out")
    skip = set(s.strip() for s in args.skip.split(",") if s.strip())

    bench = Bench(args)
    tmp = tempfile.mkdtemp(prefix="btd-bench-")
    ctx = Procs(tmp)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    started = now()
    try:
        log(f"payload {args.size / MiB:.0f} MiB in {tmp}")
        seed_dir = ctx.path("seed")
        name = "payload.bin"
        expected_sha, pieces = make_payload(os.path.join(seed_dir, name), args.size)
        port = free_port()
        announce = f"http://127.0.0.1:{port}/announce"
        tor = {tag: make_torrent(ctx.path(f"{tag}.torrent"), name, args.size, PIECE, pieces, announce, tag)
               for tag in ("lt1", "lt4", "btdseed")}
        start_opentracker(ctx, [t.info_hash for t in tor.values()], port)
        # Seeders: one libtorrent for lt1, four for lt4, btd for btdseed (all on the same file).
        seed_ports = []
        for tag, count in (("lt1", 1), ("lt4", 0 if "lt4" in skip else 4)):
            for i in range(count):
                sp, out = lt_peer(ctx, "seed", tor[tag], seed_dir, ctx.path(f"lt-seed-{tag}-{i}.log"))
                line = out.line(120)
                if not line.startswith("port "):
                    raise RuntimeError(f"libtorrent seeder: {line}")
                seed_ports.append(int(line.split()[1]))
                bench.seeders.setdefault(tor[tag].info_hash, []).append(sp)
        lt1_port = seed_ports[0]
        btd_seed, seed_rpc = start_btd(ctx, bench, "btd-seed")
        t0 = now()
        seed_rpc.call("torrent.add", {"metainfo": tor["btdseed"].b64, "download_dir": seed_dir})
        while seed_rpc.call("torrent.status", {"id": tor["btdseed"].info_hash})["torrents"][0]["state"] != "seeding":
            if now() - t0 > 120:
                raise TimeoutError("btd seeder did not finish checking")
            time.sleep(0.005)
        bench.seeders[tor["btdseed"].info_hash] = [seed_rpc]
        log(f"btd seeder checked {args.size / MiB:.0f} MiB in {now() - t0:.2f} s")

        scenarios = {"lt1": "1 libtorrent seed", "lt4": "4 libtorrent seeds", "btdseed": "btd as the seed"}
        # --quick leaves transmission out of the 4-seed case: it alone would take 15 s there
        # (it takes 14 s to its first byte whatever the payload).
        clients = {"lt1": installed, "lt4": [c for c in installed if not (args.quick and c == "transmission")],
                   "btdseed": [c for c in installed if c in ("btd", "libtorrent", "aria2")]}
        for s in ("lt4", "btdseed"):
            if s in skip:
                del scenarios[s]
        run_downloads(bench, ctx, clients, {s: tor[s] for s in scenarios}, expected_sha, seed_ports)
        if "check" not in skip:
            hash_check(bench, ctx, seed_rpc, tor["btdseed"], seed_dir)
        if "getpiece" not in skip:
            get_piece_figures(bench, ctx, seed_rpc, tor["btdseed"], tor["lt1"], lt1_port)
        seed_rpc.close()
        ctx.kill(btd_seed)
        if "many" not in skip:
            many_torrents(bench, ctx, args.torrents)
        text = report(bench, args.size, clients, scenarios)
        print(text)
        log(f"bench took {now() - started:.0f} s")
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"size": args.size, "runs": args.runs, "extra": bench.extra,
                           "downloads": {f"{s}/{c}": [r.__dict__ if isinstance(r, Result) else r for r in v]
                                         for (s, c), v in bench.results.items()}}, f, indent=1)
    finally:
        ctx.kill_all()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
