"""The btctl commands of shared/RPC.md against a real btd: status (table, --json, --watch),
files, peers, pause, resume, verify, and the exit codes."""
import os
import unittest

from harness import Daemon, TempDirTest, bencode, btctl, pattern_bytes, wait_for, write_file


class BtctlCommandsTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.root = self.path("data", "album")
        write_file(os.path.join(self.root, "a.flac"), pattern_bytes(300000, 1))
        write_file(os.path.join(self.root, "b.flac"), pattern_bytes(200000, 2))
        self.torrent = self.path("album.torrent")
        btctl("create", self.root, "-o", self.torrent, "--piece-size", "16K")
        self.d = Daemon(self).start()
        self.id = self.d.ctl_json("add", self.torrent, "--dir", self.path("data"))["id"]
        wait_for(lambda: self.state() == "seeding", 20, "the check to find the data complete")

    def state(self):
        return self.d.ctl_json("status", self.id)["torrents"][0]["state"]

    def test_status_table_files_and_peers(self):
        table = self.d.ctl("status").stdout
        self.assertIn("album", table)
        self.assertIn("seeding", table)
        self.assertIn("100", table)
        files = self.d.ctl_json("files", self.id)["files"]
        self.assertEqual([(f["path"], f["size"], f["progress"]) for f in files],
                         [("album/a.flac", 300000, 1.0), ("album/b.flac", 200000, 1.0)])
        self.assertIn("album/b.flac", self.d.ctl("files", self.id).stdout)
        self.assertEqual(self.d.ctl_json("peers", self.id)["peers"], [])
        # --watch ends by itself once everything shown is complete.
        p = self.d.ctl("status", "--watch")
        self.assertEqual(p.returncode, 0)

    def test_pause_resume_verify(self):
        self.assertEqual(self.d.ctl_json("pause", self.id)["state"], "paused")
        self.assertEqual(self.state(), "paused")
        self.assertEqual(self.d.ctl_json("resume", self.id[:10])["state"], "seeding")
        # Damage one byte: verify finds exactly that piece missing.
        path = os.path.join(self.root, "b.flac")
        with open(path, "r+b") as f:
            f.seek(5)
            f.write(b"\x00" if pattern_bytes(6, 2)[5] != 0 else b"\x01")
        self.d.ctl("verify", self.id)
        st = wait_for(lambda: (lambda s: s if s["state"] != "checking" else None)(
            self.d.ctl_json("status", self.id)["torrents"][0]), 20, "verify to finish")
        self.assertEqual(st["state"], "downloading")
        self.assertEqual(st["pieces_have"], st["pieces"] - 1)

    def test_errors_and_exit_codes(self):
        p = self.d.ctl("status", "0000000000", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not found", p.stderr)
        p = self.d.ctl("pause", check=False)
        self.assertEqual(p.returncode, 2)
        p = self.d.ctl("add", self.path("missing.torrent"), check=False)
        self.assertNotEqual(p.returncode, 0)
        bad = self.path("bad.torrent")
        with open(bad, "wb") as f:
            f.write(bencode({"info": {"name": "..", "piece length": 16384, "length": 1, "pieces": b"\0" * 20}}))
        p = self.d.ctl("add", bad, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("escapes download dir", p.stderr)
        self.assertEqual(len(self.d.ctl_json("status")["torrents"]), 1)  # nothing else changed


if __name__ == "__main__":
    unittest.main(verbosity=2)
