"""btd daemons with each other: one seeds to another; and a seeder that sends garbage gets its
pieces rejected and itself banned while a good btd seeder completes the download."""
import os
import unittest

from harness import Daemon, TempDirTest, btctl, rpc, pattern_bytes, sha256_file, wait_for, write_file

PIECE = 32 * 1024
FILES = {"one.bin": 20 * PIECE + 100, "two/three.bin": 9 * PIECE - 1}


def make_payload(test, where):
    root = test.path(where, "payload")
    for i, (rel, size) in enumerate(FILES.items()):
        write_file(os.path.join(root, rel), pattern_bytes(size, 40 + i))
    return root


def status(d, ih):
    return d.ctl_json("status", ih)["torrents"][0]


class CorruptSeeder:
    """A peer on 127.0.0.1 that claims every piece and sends garbage for every block asked of it."""

    def __init__(self, test, info_hash, pieces):
        import socket
        import threading
        self.info_hash, self.pieces = info_hash, pieces
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        test.addCleanup(self.listener.close)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        import struct
        import threading
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.peer, args=(conn, struct), daemon=True).start()

    def peer(self, conn, struct):
        def read(n):
            buf = b""
            while len(buf) < n:
                chunk = conn.recv(n - len(buf))
                if not chunk:
                    raise EOFError
                buf += chunk
            return buf
        try:
            read(68)
            conn.sendall(b"\x13BitTorrent protocol" + bytes(8) + self.info_hash + b"-XX0000-corruptpeer!")
            bits = bytearray((self.pieces + 7) // 8)
            for i in range(self.pieces):
                bits[i // 8] |= 0x80 >> (i % 8)
            conn.sendall(struct.pack(">IB", 1 + len(bits), 5) + bytes(bits) + struct.pack(">IB", 1, 1))
            while True:
                (length,) = struct.unpack(">I", read(4))
                body = read(length) if length else b""
                if body[:1] == b"\x06":
                    index, begin, size = struct.unpack(">III", body[1:13])
                    conn.sendall(struct.pack(">IBII", 9 + size, 7, index, begin) + b"\xee" * size)
        except (EOFError, OSError):
            conn.close()


class BtdSwarmTest(TempDirTest):
    def info_hash(self, torrent):
        import json
        return json.loads(btctl("--json", "info", torrent).stdout)["info_hash"]

    def seeder(self, name, torrent, data_parent):
        d = Daemon(self, name).start()
        ih = d.ctl_json("add", torrent, "--dir", data_parent)["id"]
        wait_for(lambda: status(d, ih)["state"] == "seeding", 30, f"{name} to check its data and seed")
        return d, ih

    def test_two_daemons_exchange_a_torrent(self):
        root = make_payload(self, "a")
        torrent = self.path("t.torrent")
        btctl("create", root, "-o", torrent, "--piece-size", "32K")
        seed, ih = self.seeder("seed", torrent, os.path.dirname(root))
        leech = Daemon(self, "leech").start()
        dl = self.path("dl")
        leech.ctl("add", torrent, "--dir", dl, "--peer", f"127.0.0.1:{seed.port()}")
        st = wait_for(lambda: (lambda s: s if s["state"] == "seeding" else None)(status(leech, ih)), 60,
                      "the second btd to finish")
        self.assertEqual(st["progress"], 1.0)
        for rel in FILES:
            self.assertEqual(sha256_file(os.path.join(dl, "payload", rel)), sha256_file(os.path.join(root, rel)))
        self.assertGreater(status(seed, ih)["uploaded"], 0)
        self.assertEqual(leech.stop(), 0)
        self.assertEqual(seed.stop(), 0)

    def test_corrupt_seeder_is_banned_and_the_download_completes_elsewhere(self):
        root = make_payload(self, "good")
        torrent = self.path("t.torrent")
        btctl("create", root, "-o", torrent, "--piece-size", "32K")
        # btd itself never serves bytes that fail the hash (it verifies on read), so the corrupt
        # seeder is a scripted peer that answers every request with garbage.
        bad = CorruptSeeder(self, bytes.fromhex(self.info_hash(torrent)), pieces=len(range(0, sum(FILES.values()), PIECE)))
        good, ih = self.seeder("good", torrent, os.path.dirname(root))
        leech = Daemon(self, "leech").start()
        dl = self.path("dl")
        # The bad seeder first, alone for a moment, so it certainly serves some pieces.
        leech.ctl("add", torrent, "--dir", dl, "--peer", f"127.0.0.1:{bad.port}")
        wait_for(lambda: "banned" in leech.log(), 30, "the leecher to ban the corrupt seeder")
        self.assertIn("failed its hash check", leech.log())
        # Bans are per address, so the good seeder is dialled on another loopback address (btd
        # listens on all of 127/8).
        rpc(leech.socket, "torrent.add_peers",
            {"id": ih, "peers": [f"127.0.0.2:{good.port()}", f"127.0.0.1:{bad.port}"]})
        wait_for(lambda: status(leech, ih)["state"] == "seeding", 60, "the download to finish from the good seeder")
        for rel in FILES:
            self.assertEqual(sha256_file(os.path.join(dl, "payload", rel)), sha256_file(os.path.join(root, rel)))
        # Banned for the session: it is not among the peers, though it was offered again.
        addresses = [p["address"] for p in leech.ctl_json("peers", ih)["peers"]]
        self.assertNotIn(f"127.0.0.1:{bad.port}", addresses)


if __name__ == "__main__":
    unittest.main(verbosity=2)
