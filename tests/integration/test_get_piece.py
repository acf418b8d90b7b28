"""btctl get-piece: the verified bytes of one piece, fetched first in line from a seeder slow
enough that the whole torrent would take far longer, on a torrent just added and on a paused one."""
import hashlib
import os
import time
import unittest

import libtorrent as lt

from harness import Daemon, TempDirTest, btctl, free_port, lt_session, pattern_bytes, wait_for, write_file

PIECE = 64 * 1024
SIZE = 160 * PIECE + 1000   # ~10 MiB: about 50 s at the seeder's 200 KiB/s
RATE = 200 * 1024


class GetPieceTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.payload = pattern_bytes(SIZE, 77)
        root = self.path("seed", "big.bin")
        write_file(root, self.payload)
        self.torrent = self.path("big.torrent")
        btctl("create", root, "-o", self.torrent, "--piece-size", "64K")
        self.ses = lt_session(free_port(), upload_rate_limit=RATE)
        self.handle = self.ses.add_torrent({"ti": lt.torrent_info(self.torrent), "save_path": self.path("seed")})
        wait_for(lambda: self.handle.status().is_seeding, 30, "libtorrent to seed")
        self.seed_addr = f"127.0.0.1:{self.ses.listen_port()}"
        self.d = Daemon(self).start()

    def tearDown(self):
        del self.handle
        del self.ses
        super().tearDown()

    def piece(self, i):
        return self.payload[i * PIECE:(i + 1) * PIECE]

    def get_piece(self, ih, index, out):
        t0 = time.time()
        btctl("--socket", self.d.socket, "get-piece", ih, str(index), "-o", out, timeout=60)
        return time.time() - t0

    def test_piece_of_a_just_added_torrent_comes_first(self):
        ih = self.d.ctl_json("add", self.torrent, "--dir", self.path("dl"), "--peer", self.seed_addr)["id"]
        out = self.path("piece.bin")
        elapsed = self.get_piece(ih, 123, out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), self.piece(123))
        st = self.d.ctl_json("status", ih)["torrents"][0]
        self.assertLess(st["progress"], 0.5, "the piece should arrive long before the rest")
        self.assertLess(elapsed, 20)
        # JSON form carries the hash from the metainfo and base64 data of the verified bytes.
        j = self.d.ctl_json("get-piece", ih, "123")
        self.assertEqual(j["sha1"], hashlib.sha1(self.piece(123)).hexdigest())
        self.assertEqual(j["length"], PIECE)

    def test_piece_of_a_paused_torrent_and_only_that_piece(self):
        ih = self.d.ctl_json("add", self.torrent, "--dir", self.path("dl"), "--paused", "--peer", self.seed_addr)["id"]
        out = self.path("piece.bin")
        self.get_piece(ih, 7, out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), self.piece(7))
        st = self.d.ctl_json("status", ih)["torrents"][0]
        self.assertEqual(st["state"], "paused")
        self.assertEqual(st["pieces_have"], 1)
        # The short last piece, too.
        last = SIZE // PIECE
        self.get_piece(ih, last, out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), self.payload[last * PIECE:])

    def test_out_of_range_index_is_error_5_and_timeout_is_error_4(self):
        ih = self.d.ctl_json("add", self.torrent, "--dir", self.path("dl"), "--paused")["id"]
        p = btctl("--socket", self.d.socket, "get-piece", ih, "100000", "-o", self.path("x"), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("out of range", p.stderr)
        # No peer at all: the call times out with error 4 and the daemon keeps running.
        import json
        import socket
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.d.socket)
        s.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "torrent.get_piece",
                              "params": {"id": ih, "index": 3, "timeout_ms": 300}}).encode() + b"\n")
        reply = json.loads(s.makefile().readline())
        s.close()
        self.assertEqual(reply["error"]["code"], 4)
        self.assertEqual(self.d.ctl_json("stats")["torrents"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
