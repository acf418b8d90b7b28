"""Hostile RPC clients against a real btd: each gets the right JSON-RPC error or is disconnected,
the daemon's memory stays bounded, and everyone else keeps being served."""
import json
import os
import sys
import socket
import threading
import time
import unittest

from harness import Daemon, TempDirTest, btctl, pattern_bytes, write_file

MiB = 1 << 20


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


class Conn:
    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def call(self, method, params=None, id=1):
        msg = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(json.dumps(msg).encode() + b"\n")
        return self.line()

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(1 << 16)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def closed_by_peer(self, timeout=10):
        self.s.settimeout(timeout)
        try:
            while True:
                chunk = self.s.recv(1 << 16)
                if not chunk:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()


# Every method with each of its parameters and a value of the wrong type for it.
WRONG_TYPES = {
    "torrent.add": {"metainfo": 5, "magnet": [], "path": {}, "download_dir": 7, "paused": "yes", "peers": "1.2.3.4:5"},
    "torrent.status": {"id": 5},
    "torrent.get_piece": {"id": [], "index": "3", "timeout_ms": -1, "offset": 1.5, "length": "x"},
    "torrent.remove": {"id": 1, "delete_data": "true"},
    "torrent.pause": {"id": {}},
    "torrent.resume": {"id": True},
    "torrent.verify": {"id": 3},
    "torrent.add_peers": {"id": 4, "peers": 5},
    "torrent.peers": {"id": 1.5},
    "torrent.files": {"id": []},
    "torrent.pieces": {"id": {}},
    "events.subscribe": {"events": "torrent.added"},
}


class HostileRpcTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.d = Daemon(self).start()
        # A torrent, so that methods taking an id have something real next to the bad input.
        data = self.path("data", "f.bin")
        write_file(data, pattern_bytes(300_000, 5))
        torrent = self.path("f.torrent")
        btctl("create", data, "-o", torrent)
        self.ih = self.d.ctl_json("add", torrent, "--dir", self.path("data"))["id"]

    def valid_params(self, method):
        if method == "torrent.add":
            return {"path": "/nonexistent.torrent"}
        if method == "torrent.get_piece":
            return {"id": self.ih, "index": 0}
        if method == "torrent.add_peers":
            return {"id": self.ih, "peers": []}
        if method.startswith("torrent."):
            return {"id": self.ih}
        return {}

    def assert_healthy(self):
        self.assertIsNone(self.d.proc.poll(), "btd died")
        c = Conn(self.d.socket)
        st = c.call("torrent.status", {"id": self.ih})["result"]["torrents"][0]
        c.close()
        self.assertIsNone(st["error"])

    def test_a_gigabyte_line_is_refused_without_buffering_it(self):
        before = rss_kib(self.d.proc.pid)
        c = Conn(self.d.socket)
        chunk = b"x" * MiB
        sent = 0
        try:
            while sent < 1024 * MiB:
                c.send(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        # The line passed the 64 MiB limit: -32600, then the connection is closed.
        reply = c.line()
        self.assertEqual(reply["error"]["code"], -32600)
        self.assertTrue(c.closed_by_peer())
        self.assertLess(sent, 1024 * MiB, "the daemon kept reading a line past its limit")
        self.assertLess(rss_kib(self.d.proc.pid) - before, 100 * 1024, "memory grew with the line")
        self.assert_healthy()

    def test_deep_nesting_bad_utf8_broken_json_and_unknown_methods(self):
        c = Conn(self.d.socket)
        # 64 MiB of brackets is over the line limit; the nesting is refused well before that.
        c.send(b"[" * (8 * MiB) + b"]" * (8 * MiB) + b"\n")
        self.assertEqual(c.line()["error"]["code"], -32600)
        c.send(b'{"jsonrpc":"2.0","id":1,"method":"session.stats","params":{"x":"\xff\xfe"}}\n')
        self.assertEqual(c.line()["error"]["code"], -32700)
        c.send(b'{"jsonrpc":"2.0","id":2,"method":\n')
        self.assertEqual(c.line()["error"]["code"], -32700)
        reply = c.call("torrent.explode", {}, id=3)
        self.assertEqual(reply["error"]["code"], -32601)
        self.assertIn("torrent.explode", reply["error"]["message"])
        # The same connection still works.
        self.assertIn("version", c.call("session.stats", id=4)["result"])
        c.close()
        self.assert_healthy()

    def test_wrong_types_for_every_parameter_of_every_method(self):
        c = Conn(self.d.socket)
        n = 0
        for method, params in WRONG_TYPES.items():
            for name, bad in params.items():
                n += 1
                # Valid values for the rest, so the bad one is the only thing wrong.
                args = {k: v for k, v in self.valid_params(method).items() if k != name}
                args[name] = bad
                reply = c.call(method, args, id=n)
                self.assertIn("error", reply, f"{method} {args}")
                self.assertEqual(reply["error"]["code"], -32602, f"{method} {args}: {reply}")
                self.assertIn(name, reply["error"]["message"], f"{method} {args}: the message should name it")
        # Positional params and a params that is not a container.
        self.assertEqual(c.call("torrent.status", [1, 2])["error"]["code"], -32602)
        self.assertIn(c.call("torrent.status", 5)["error"]["code"], (-32600, -32602))
        c.close()
        self.assert_healthy()

    def test_a_client_that_never_reads_does_not_grow_the_daemon(self):
        before = rss_kib(self.d.proc.pid)
        lazy = Conn(self.d.socket)
        lazy.s.setblocking(False)
        request = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "torrent.status"}) + "\n").encode() * 1000
        sent = 0
        deadline = time.time() + 8
        # Keep writing requests and never read: the daemon must stop reading us at some point.
        while time.time() < deadline:
            try:
                sent += lazy.s.send(request)
            except BlockingIOError:
                time.sleep(0.05)
                try:
                    sent += lazy.s.send(request)
                except BlockingIOError:
                    break
        growth = rss_kib(self.d.proc.pid) - before
        print(f"\nnever-reading client: {sent} bytes of requests accepted, RSS +{growth} KiB", file=sys.stderr)
        self.assertLess(growth, 48 * 1024, f"memory grew by {growth} KiB for a client that never reads")
        # Meanwhile everyone else is served promptly (a generous bound: the ASan build on two busy
        # cores answers in well under a second; a daemon stuck on the lazy client never would).
        t0 = time.time()
        self.assert_healthy()
        self.assertLess(time.time() - t0, 5)
        lazy.close()
        self.assert_healthy()

    def test_two_hundred_clients_at_once_and_clients_that_leave_mid_request(self):
        results = []
        lock = threading.Lock()

        def one(i):
            c = Conn(self.d.socket)
            if i % 4 == 0:
                c.send(b'{"jsonrpc":"2.0","id":1,"method":"torrent.sta')  # and leave
                c.close()
                return
            r = c.call("torrent.status", {"id": self.ih}, id=i)
            c.close()
            with lock:
                results.append(r["result"]["torrents"][0]["id"])

        threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        self.assertEqual(len(results), 150)
        self.assertTrue(all(r == self.ih for r in results))
        self.assert_healthy()


if __name__ == "__main__":
    unittest.main(verbosity=2)
