"""Persistence and fast resume: torrents come back after a restart with their settings and totals,
unchanged data is trusted without re-hashing, changed files are re-checked, and kill -9 at random
moments of a download never makes the daemon claim a piece that is not verified on disk."""
import base64
import os
import random
import signal
import sys
import time
import unittest

import libtorrent as lt

from harness import Daemon, TempDirTest, btctl, rpc, free_port, lt_session, pattern_bytes, wait_for, write_file

PIECE = 32 * 1024
# Three files whose boundaries fall inside pieces.
FILE_SIZES = [100 * PIECE + 5000, 37 * PIECE + 123, 60 * PIECE + 77]
NAMES = ["a.bin", "b/b.bin", "c.bin"]  # the order btctl create lists them in


def status(d, ih):
    return d.ctl_json("status", ih)["torrents"][0]


def pieces_claimed(d, ih):
    r = d.ctl_json_rpc("torrent.pieces", {"id": ih})
    bits = base64.b64decode(r["have"])
    return r, [i for i in range(r["pieces"]) if bits[i // 8] & (0x80 >> (i % 8))]


class ResumeDaemon(Daemon):
    def ctl_json_rpc(self, method, params):
        return rpc(self.socket, method, params)

    def log_since(self, offset):
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def log_size(self):
        return os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0


class ResumeTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.payload = pattern_bytes(sum(FILE_SIZES), 4242)
        self.root = self.path("seed", "multi")
        off = 0
        for name, size in zip(NAMES, FILE_SIZES):
            write_file(os.path.join(self.root, name), self.payload[off:off + size])
            off += size
        self.torrent = self.path("multi.torrent")
        btctl("create", self.root, "-o", self.torrent, "--piece-size", "32K")
        self.count = (len(self.payload) + PIECE - 1) // PIECE
        self.d = ResumeDaemon(self).start()

    def piece(self, i):
        return self.payload[i * PIECE:(i + 1) * PIECE]

    def on_disk(self, base, i):
        """Piece i as read from the files under base (short reads where files are short)."""
        out = b""
        start, end = i * PIECE, min((i + 1) * PIECE, len(self.payload))
        off = 0
        for name, size in zip(NAMES, FILE_SIZES):
            lo, hi = max(start, off), min(end, off + size)
            if lo < hi:
                try:
                    with open(os.path.join(base, "multi", name), "rb") as f:
                        f.seek(lo - off)
                        out += f.read(hi - lo)
                except FileNotFoundError:
                    return None
            off += size
        return out

    def restart(self, sig=signal.SIGTERM):
        self.assertEqual(self.d.stop(sig), 0 if sig == signal.SIGTERM else -signal.SIGKILL)
        mark = self.d.log_size()
        self.d.start()
        return mark

    def wait_checked(self, ih, timeout=30):
        wait_for(lambda: status(self.d, ih)["state"] != "checking", timeout, "the check to finish")
        return status(self.d, ih)

    def test_restart_keeps_settings_totals_and_trusts_unchanged_data(self):
        seed_dir = self.path("seed")
        ih = self.d.ctl_json("add", self.torrent, "--dir", seed_dir)["id"]
        st = self.wait_checked(ih)
        self.assertEqual(st["state"], "seeding")
        self.assertTrue(self.d.ctl_json("add", self.torrent, "--dir", seed_dir)["duplicate"])
        self.d.ctl("pause", ih)
        self.d.ctl("set", ih, "--down-limit", "1M", "--max-peers", "7")
        before = status(self.d, ih)

        mark = self.restart()
        after = status(self.d, ih)
        # Paused, same directory and added_at; the data was not hashed again.
        self.assertEqual(after["state"], "paused")
        self.assertEqual(after["download_dir"], seed_dir)
        self.assertEqual(after["added_at"], before["added_at"])
        self.assertEqual(after["pieces_have"], self.count)
        self.assertEqual(after["download_rate_limit"], 1 << 20)  # per-torrent settings too
        self.assertEqual(after["max_connections"], 7)
        log = self.d.log_since(mark)
        self.assertIn(f"fast resume: {self.count} pieces, no re-check", log)

        self.d.ctl("resume", ih)
        wait_for(lambda: status(self.d, ih)["state"] == "seeding", 10, "seeding after resume")
        mark = self.restart()
        self.assertEqual(status(self.d, ih)["state"], "seeding")
        self.assertIn("no re-check", self.d.log_since(mark))

    def test_changed_truncated_and_deleted_files_are_rechecked(self):
        # A copy of the data that the test may damage.
        dl = self.path("dl")
        off = 0
        for name, size in zip(NAMES, FILE_SIZES):
            write_file(os.path.join(dl, "multi", name), self.payload[off:off + size])
            off += size
        ih = self.d.ctl_json("add", self.torrent, "--dir", dl)["id"]
        self.assertEqual(self.wait_checked(ih)["pieces_have"], self.count)
        self.d.stop()

        a, b, c = (os.path.join(dl, "multi", n) for n in NAMES)
        # a: same bytes, new mtime (re-checked, still complete); b: truncated; c: one byte flipped
        # with its mtime put back, which no stamp can see (so c stays trusted, as in any client).
        os.utime(a, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))
        os.truncate(b, FILE_SIZES[1] // 2)
        st_c = os.stat(c)
        with open(c, "r+b") as f:
            f.seek(10)
            byte = f.read(1)
            f.seek(10)
            f.write(bytes([byte[0] ^ 1]))
        os.utime(c, ns=(st_c.st_atime_ns, st_c.st_mtime_ns))

        mark = self.d.log_size()
        self.d.start()
        st = self.wait_checked(ih)
        log = self.d.log_since(mark)
        self.assertIn("re-checks", log)
        self.assertIn("a.bin", log)
        _, claimed = pieces_claimed(self.d, ih)
        # Every claimed piece outside c's unchecked range verifies on disk; b's lost half is gone.
        b_start = FILE_SIZES[0]
        b_cut = b_start + FILE_SIZES[1] // 2
        for i in claimed:
            lo, hi = i * PIECE, min((i + 1) * PIECE, len(self.payload))
            if lo < b_start + FILE_SIZES[1]:  # pieces of a and b were re-checked
                self.assertEqual(self.on_disk(dl, i), self.piece(i), f"piece {i} claimed but not on disk")
            self.assertFalse(lo < b_start + FILE_SIZES[1] and hi > b_cut, f"piece {i} of b's lost half claimed")
        first_b_lost = b_cut // PIECE
        self.assertIn(first_b_lost - 1, claimed)  # b's first half survived the truncation
        self.assertIn(0, claimed)                 # a only had its mtime changed
        self.assertEqual(st["state"], "downloading")

    def test_kill_9_during_a_download_never_claims_an_unverified_piece(self):
        ses = lt_session(free_port(), upload_rate_limit=1024 * 1024)
        # libtorrent exempts local peers from rate limits; put loopback in the global class.
        loopback = lt.ip_filter()
        loopback.add_rule("127.0.0.0", "127.255.255.255", 1 << lt.session.global_peer_class_id)
        ses.set_peer_class_filter(loopback)
        handle = ses.add_torrent({"ti": lt.torrent_info(self.torrent), "save_path": self.path("seed")})
        try:
            wait_for(lambda: handle.status().is_seeding, 30, "libtorrent to seed")
            seed = f"127.0.0.1:{ses.listen_port()}"
            dl = self.path("dl")
            ih = self.d.ctl_json("add", self.torrent, "--dir", dl, "--peer", seed)["id"]
            rng = random.Random(7)
            kills = 0
            progress = []
            while kills < 12:
                time.sleep(rng.uniform(0.2, 1.0))
                self.assertEqual(self.d.stop(signal.SIGKILL), -signal.SIGKILL)
                kills += 1
                self.d.start()
                # The torrent is still there, and whatever it claims verifies on disk.
                st = self.wait_checked(ih)
                r, claimed = pieces_claimed(self.d, ih)
                self.assertFalse(r["checking"])
                for i in claimed:
                    self.assertEqual(self.on_disk(dl, i), self.piece(i),
                                     f"after kill {kills}: piece {i} claimed but not verified on disk")
                progress.append(len(claimed))
                if st["state"] == "seeding":
                    break
                # No peer is named again: the seeder comes back from the resume data.
            self.assertGreaterEqual(kills, 3, f"the download ended too soon to test much: {progress}")
            print(f"\n{kills} kills; pieces claimed after each restart: {progress}", file=sys.stderr)
            wait_for(lambda: status(self.d, ih)["state"] == "seeding", 60, "the download to finish")
            for i in range(self.count):
                self.assertEqual(self.on_disk(dl, i), self.piece(i))
            st = status(self.d, ih)
            # Totals count what earlier runs downloaded too (at least what the last one lacked).
            self.assertGreaterEqual(st["downloaded_total"], st["downloaded"])
        finally:
            del handle
            del ses


if __name__ == "__main__":
    unittest.main(verbosity=2)
