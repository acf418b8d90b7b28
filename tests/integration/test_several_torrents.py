"""Several torrents in one daemon: added and removed (with and without their data) while others
are downloading; the others finish byte-identical and the removed ones leave nothing behind."""
import os
import unittest

import libtorrent as lt

from harness import Daemon, TempDirTest, btctl, free_port, lt_session, pattern_bytes, sha256_file, wait_for, write_file

PIECE = 32 * 1024


class SeveralTorrentsTest(TempDirTest):
    def test_add_and_remove_while_others_run(self):
        ses = lt_session(free_port(), upload_rate_limit=2 * 1024 * 1024)
        seed_addr = f"127.0.0.1:{ses.listen_port()}"
        torrents = []
        for i in range(4):
            name = f"t{i}.bin"
            src = self.path("seed", name)
            write_file(src, pattern_bytes(60 * PIECE + i * 1000, 300 + i))
            tpath = self.path(name + ".torrent")
            btctl("create", src, "-o", tpath, "--piece-size", "32K")
            h = ses.add_torrent({"ti": lt.torrent_info(tpath), "save_path": self.path("seed")})
            torrents.append((name, tpath, h))
        wait_for(lambda: all(h.status().is_seeding for _, _, h in torrents), 30, "libtorrent to seed")

        d = Daemon(self).start()
        dl = self.path("dl")
        ids = [d.ctl_json("add", t, "--dir", dl, "--peer", seed_addr)["id"] for _, t, _ in torrents[:3]]
        self.assertEqual(len(d.ctl_json("status")["torrents"]), 3)
        # Remove one at once with its data, one without, while the rest run; add a fourth.
        d.ctl("remove", ids[0], "--delete-data")
        d.ctl("remove", ids[1][:8])  # a unique prefix names it too
        ids.append(d.ctl_json("add", torrents[3][1], "--dir", dl, "--peer", seed_addr)["id"])
        remaining = [ids[2], ids[3]]

        def all_done():
            sts = d.ctl_json("status")["torrents"]
            return len(sts) == 2 and all(s["state"] == "seeding" for s in sts)
        wait_for(all_done, 60, "the remaining torrents to finish")
        self.assertEqual(sorted(s["id"] for s in d.ctl_json("status")["torrents"]), sorted(remaining))
        for name, _, _ in (torrents[2], torrents[3]):
            self.assertEqual(sha256_file(os.path.join(dl, name)), sha256_file(self.path("seed", name)))
        self.assertFalse(os.path.exists(os.path.join(dl, torrents[0][0])), "delete_data left the file")
        # Removed torrents are gone from the state dir as well: a restart brings back only two.
        self.assertEqual(d.stop(), 0)
        d.start()
        wait_for(lambda: len(d.ctl_json("status")["torrents"]) == 2, 10, "restart to load the torrents")
        self.assertEqual(sorted(s["id"] for s in d.ctl_json("status")["torrents"]), sorted(remaining))
        wait_for(lambda: all(s["state"] == "seeding" for s in d.ctl_json("status")["torrents"]), 30,
                 "the restarted daemon to re-check and seed")
        # Unknown ids are error 1 (exit code 1) naming the id.
        p = d.ctl("remove", "ffffffffffffffffffffffffffffffffffffffff", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not found", p.stderr)
        self.assertEqual(d.stop(), 0)
        del torrents, ses


if __name__ == "__main__":
    unittest.main(verbosity=2)
