"""btd starts, serves JSON-RPC on its Unix socket as shared/RPC.md says, refuses a second
instance on a live socket, replaces a stale one, and shuts down cleanly on SIGINT/SIGTERM."""
import json
import os
import signal
import socket
import stat
import unittest

from harness import Daemon, TempDirTest, btctl


def raw_exchange(path, lines, expect):
    """Sends raw lines on one connection and reads `expect` response lines back."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(b"".join(l + b"\n" for l in lines))
    buf = b""
    while buf.count(b"\n") < expect:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    return [json.loads(l) for l in buf.split(b"\n") if l]


class DaemonLifecycleTest(TempDirTest):
    def test_stats_over_btctl_and_raw_socket(self):
        d = Daemon(self).start()
        stats = d.ctl_json("stats")
        self.assertEqual(stats["version"], "0.1.0")
        self.assertEqual(stats["torrents"], 0)
        self.assertIn("uptime_s", stats)
        human = d.ctl("stats").stdout
        self.assertIn("Torrents:     0", human)
        # The socket is group-controllable and nobody else's.
        mode = stat.S_IMODE(os.stat(d.socket).st_mode)
        self.assertEqual(mode, 0o660)
        # Many requests on one connection, answered in order; errors do not close it.
        replies = raw_exchange(d.socket, [
            b'{"jsonrpc":"2.0","id":1,"method":"session.stats"}',
            b'{"jsonrpc":"2.0","id":2,"method":"no.such"}',
            b'{not json',
            b'[{"jsonrpc":"2.0","id":3,"method":"session.stats"},{"jsonrpc":"2.0","method":"session.stats"}]',
            b'{"jsonrpc":"2.0","id":4,"method":"session.stats"}',
        ], expect=5)
        self.assertEqual(replies[0]["id"], 1)
        self.assertEqual(replies[1]["error"]["code"], -32601)
        self.assertEqual(replies[2]["error"]["code"], -32700)
        self.assertEqual([r["id"] for r in replies[3]], [3])
        self.assertEqual(replies[4]["id"], 4)
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertFalse(os.path.exists(d.socket), "socket file left behind after a clean stop")

    def test_events_subscribe_pushes_notifications_with_a_rising_seq(self):
        from harness import pattern_bytes, write_file
        d = Daemon(self).start()
        src = self.path("e.bin")
        write_file(src, pattern_bytes(100000, 3))
        torrent = self.path("e.torrent")
        btctl("create", src, "-o", torrent, "--piece-size", "16K")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(d.socket)
        f = s.makefile("rb")
        s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"events.subscribe","params":{"events":["torrent.added","torrent.removed","torrent.completed"]}}\n')
        self.assertEqual(json.loads(f.readline())["result"]["subscribed"],
                         ["torrent.added", "torrent.completed", "torrent.removed"])
        # The data is already there: adding it makes it check and seed, then remove it.
        ih = d.ctl_json("add", torrent, "--dir", self.tmp)["id"]
        d.ctl("remove", ih)
        notes = [json.loads(f.readline()) for _ in range(2)]
        self.assertEqual([n["method"] for n in notes], ["torrent.added", "torrent.removed"])
        self.assertEqual([n["params"]["seq"] for n in notes], [1, 2])
        self.assertTrue(all(n["params"]["id"] == ih and "id" not in n for n in notes))
        s.sendall(b'{"jsonrpc":"2.0","id":2,"method":"events.subscribe","params":{"events":["nope"]}}\n')
        self.assertEqual(json.loads(f.readline())["error"]["code"], -32602)
        s.close()
        self.assertEqual(d.stop(), 0)

    def test_second_daemon_on_a_live_socket_is_refused(self):
        first = Daemon(self).start()
        second = Daemon(self)
        second.state = self.path("other-state")
        p = self.spawn([a if a != first.state else second.state for a in first.args])
        rc = p.wait(timeout=10)
        self.assertEqual(rc, 1)
        self.assertIn("already listening", p.stderr.read().decode())
        self.assertEqual(first.ctl_json("stats")["torrents"], 0)  # the first one is unharmed
        self.assertEqual(first.stop(signal.SIGINT), 0)

    def test_stale_socket_from_a_crashed_daemon_is_replaced(self):
        d = Daemon(self).start()
        d.stop(signal.SIGKILL)
        self.assertTrue(os.path.exists(d.socket))  # a crash leaves the file behind
        d.start()
        self.assertEqual(d.ctl_json("stats")["torrents"], 0)
        self.assertEqual(d.stop(), 0)

    def test_a_non_socket_at_the_path_is_never_unlinked(self):
        d = Daemon(self)
        with open(d.socket, "w") as f:
            f.write("precious")
        p = self.spawn(d.args)
        self.assertEqual(p.wait(timeout=10), 1)
        with open(d.socket) as f:
            self.assertEqual(f.read(), "precious")

    def test_unreachable_daemon_is_exit_code_3_naming_the_path(self):
        missing = self.path("nobody.sock")
        p = btctl("--socket", missing, "stats", check=False)
        self.assertEqual(p.returncode, 3)
        self.assertIn(missing, p.stderr)

    def test_bad_flags_are_exit_code_2(self):
        p = self.spawn([Daemon(self).args[0], "--listen-port", "99999"])
        self.assertEqual(p.wait(timeout=10), 2)
        self.assertIn("--listen-port", p.stderr.read().decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
