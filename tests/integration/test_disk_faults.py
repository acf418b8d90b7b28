"""Disk faults under a running download: a full file system, a download dir deleted, and one made
read-only (btd then runs as nobody: root ignores permissions). The
torrent goes to state error with the system's message, other torrents keep going, and after the
fault is gone `btctl resume` finishes the download without losing a verified piece. Uses a small
tmpfs, so it needs root (mount); skipped otherwise."""
import os
import subprocess
import unittest

import libtorrent as lt

from harness import (BTD, Daemon, TempDirTest, btctl, rpc, free_port, lt_session, pattern_bytes, sha256_file, wait_for,
                     write_file)

MiB = 1 << 20


def status(d, ih):
    return d.ctl_json("status", ih)["torrents"][0]


class DiskFaultTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.small = self.path("small")
        os.makedirs(self.small)
        if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", self.small],
                                               capture_output=True).returncode != 0:
            self.skipTest("needs root to mount a small tmpfs")
        self.addCleanup(subprocess.run, ["umount", "-l", self.small], capture_output=True)
        self.torrents = {}
        for name, size in (("big", 6 * MiB + 777), ("other", 2 * MiB)):
            data = pattern_bytes(size, len(name))
            write_file(self.path("seed", name + ".bin"), data)
            out = self.path(name + ".torrent")
            btctl("create", self.path("seed", name + ".bin"), "-o", out, "--piece-size", "64K")
            self.torrents[name] = out
        self.ses = lt_session(free_port(), upload_rate_limit=2 * MiB)
        loopback = lt.ip_filter()  # libtorrent exempts local peers from rate limits otherwise
        loopback.add_rule("127.0.0.0", "127.255.255.255", 1 << lt.session.global_peer_class_id)
        self.ses.set_peer_class_filter(loopback)
        self.handles = [self.ses.add_torrent({"ti": lt.torrent_info(t), "save_path": self.path("seed")})
                        for t in self.torrents.values()]
        wait_for(lambda: all(h.status().is_seeding for h in self.handles), 30, "libtorrent to seed")
        self.seed = f"127.0.0.1:{self.ses.listen_port()}"
        self.d = Daemon(self).start()

    def tearDown(self):
        del self.handles
        del self.ses
        super().tearDown()

    def mount(self, options):
        subprocess.run(["mount", "-o", "remount," + options, self.small], check=True)

    def add(self, name, directory):
        return self.d.ctl_json("add", self.torrents[name], "--dir", directory, "--peer", self.seed)["id"]

    def finish_after_resume(self, ih, had, directory):
        self.d.ctl("resume", ih)
        # Resuming after a disk error checks the data first; what was verified is still there.
        st = wait_for(lambda: (lambda s: s if s["state"] != "checking" else None)(status(self.d, ih)), 30,
                      "the check after resume")
        self.assertGreaterEqual(st["pieces_have"], had, "verified pieces were lost")
        wait_for(lambda: status(self.d, ih)["state"] == "seeding", 60, "the download to finish after resume")
        self.assertEqual(sha256_file(os.path.join(directory, "big.bin")), sha256_file(self.path("seed", "big.bin")))

    def test_a_full_disk_stops_one_torrent_and_resume_finishes_it(self):
        big = self.add("big", self.small)
        other = self.add("other", self.path("elsewhere"))
        wait_for(lambda: status(self.d, big)["state"] == "error", 30, "state error on the full disk")
        st = status(self.d, big)
        self.assertIn("No space left on device", st["error"])
        self.assertIn(self.small, st["error"])  # the message names the path
        had = st["pieces_have"]
        self.assertGreater(had, 0)
        # The other torrent does not care.
        wait_for(lambda: status(self.d, other)["state"] == "seeding", 60, "the other torrent to finish")
        self.assertIsNone(status(self.d, other)["error"])
        self.assertEqual(status(self.d, big)["state"], "error")

        self.mount("size=16m")
        self.finish_after_resume(big, had, self.small)

    def test_a_download_dir_deleted_under_a_running_torrent(self):
        gone = self.path("gone")
        big = self.add("big", gone)
        wait_for(lambda: status(self.d, big)["pieces_have"] >= 8, 30, "some pieces")
        subprocess.run(["rm", "-rf", gone], check=True)
        # Writes into the deleted files would vanish: btd must notice and stop, not claim them.
        wait_for(lambda: status(self.d, big)["state"] == "error", 30, "state error after the dir was deleted")
        st = status(self.d, big)
        self.assertIn("deleted", st["error"])
        # Resume checks what is really there (nothing), then downloads it all again.
        self.finish_after_resume(big, 0, gone)

NOBODY = 65534


class ReadOnlyDownloadDirTest(TempDirTest):
    """A download dir made read-only under a running torrent. Root ignores permissions, so this
    btd runs as nobody. A file btd already has open stays writable, as for any program; the fault
    shows when it must create one: here the second file of a torrent, wanted only after its
    directory became read-only. The torrent goes to state error naming the file, another torrent
    keeps going, and once the directory is writable again resume finishes without losing a piece."""

    def test_a_download_dir_made_read_only_under_a_running_torrent(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to run btd as another user")
        try:
            subprocess.run([BTD, "--version"], user=NOBODY, group=NOBODY, extra_groups=[], check=True,
                           capture_output=True)
        except (OSError, subprocess.CalledProcessError) as e:
            self.skipTest(f"user nobody cannot run {BTD} here (a directory on its path is closed): {e}")
        # a.bin is whole pieces, so no piece of it holds bytes of b.bin.
        root = self.path("seed", "two")
        write_file(os.path.join(root, "a.bin"), pattern_bytes(MiB, 1))
        write_file(os.path.join(root, "b.bin"), pattern_bytes(MiB + 333, 2))
        write_file(self.path("seed", "other.bin"), pattern_bytes(2 * MiB, 3))
        torrents = {}
        for name, source in (("two", root), ("other", self.path("seed", "other.bin"))):
            torrents[name] = self.path(name + ".torrent")
            btctl("create", source, "-o", torrents[name], "--piece-size", "32K")
        ses = lt_session(free_port())
        handles = [ses.add_torrent({"ti": lt.torrent_info(t), "save_path": self.path("seed")})
                   for t in torrents.values()]
        wait_for(lambda: all(h.status().is_seeding for h in handles), 30, "libtorrent to seed")
        seed = f"127.0.0.1:{ses.listen_port()}"

        d = Daemon(self, user=NOBODY).start()
        dirs = {}
        for name in torrents:
            dirs[name] = self.path("dl-" + name)
            os.makedirs(dirs[name])
            os.chown(dirs[name], NOBODY, NOBODY)
        ih = d.ctl_json("add", torrents["two"], "--dir", dirs["two"], "--peer", seed, "--only", "0")["id"]
        wait_for(lambda: status(d, ih)["state"] == "seeding", 30, "a.bin")
        had = status(d, ih)["pieces_have"]
        folder = os.path.join(dirs["two"], "two")
        self.assertFalse(os.path.exists(os.path.join(folder, "b.bin")))

        os.chmod(folder, 0o555)  # root's rmtree at the end ignores it if the test fails here
        d.ctl("files", ih, "--want", "1")
        wait_for(lambda: status(d, ih)["state"] == "error", 30, "state error: b.bin cannot be created")
        st = status(d, ih)
        self.assertIn("Permission denied", st["error"])
        self.assertIn(os.path.join(folder, "b.bin"), st["error"])
        self.assertEqual(st["pieces_have"], had)
        # Another torrent, in a writable directory, does not care.
        other = d.ctl_json("add", torrents["other"], "--dir", dirs["other"], "--peer", seed)["id"]
        wait_for(lambda: status(d, other)["state"] == "seeding", 30, "the other torrent")
        self.assertEqual(status(d, ih)["state"], "error")

        os.chmod(folder, 0o755)
        d.ctl("resume", ih)
        wait_for(lambda: status(d, ih)["state"] == "seeding", 60, "the download to finish after resume")
        for name in ("a.bin", "b.bin"):
            self.assertEqual(sha256_file(os.path.join(folder, name)), sha256_file(os.path.join(root, name)), name)
        self.assertEqual(sha256_file(os.path.join(dirs["other"], "other.bin")),
                         sha256_file(self.path("seed", "other.bin")))
        self.assertEqual(d.stop(), 0)
        del handles, ses


class DataChangedBehindOurBackTest(TempDirTest):
    """Seeding verifies each piece as it reads it: a byte changed on disk (mtime put back, so no
    stamp can tell) is never sent; the piece is dropped and fetched again from a good peer."""

    def test_a_changed_piece_is_never_sent_and_is_fetched_again(self):
        piece = 64 * 1024
        data = pattern_bytes(32 * piece + 100, 99)
        write_file(self.path("seed", "f.bin"), data)
        write_file(self.path("good", "f.bin"), data)
        torrent = self.path("f.torrent")
        btctl("create", self.path("seed", "f.bin"), "-o", torrent, "--piece-size", "64K")
        d = Daemon(self).start()
        ih = d.ctl_json("add", torrent, "--dir", self.path("seed"))["id"]
        wait_for(lambda: status(d, ih)["state"] == "seeding", 30, "btd to seed")

        target = self.path("seed", "f.bin")
        st = os.stat(target)
        with open(target, "r+b") as f:
            f.seek(5 * piece + 1000)
            f.write(bytes([data[5 * piece + 1000] ^ 0xFF]))
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))

        leech = lt_session(free_port())
        lh = leech.add_torrent({"ti": lt.torrent_info(torrent), "save_path": self.path("leech")})
        lh.connect_peer(("127.0.0.1", d.port()))
        wait_for(lambda: status(d, ih)["pieces_have"] == 32 or None, 30, "btd to drop the changed piece")
        self.assertEqual(lh.status().total_failed_bytes, 0, "btd sent bytes that fail the hash")
        self.assertIn("changed on disk behind our back", d.log())

        # A good seeder appears: both the leecher and btd complete, btd's file is repaired.
        good = lt_session(free_port())
        gh = good.add_torrent({"ti": lt.torrent_info(torrent), "save_path": self.path("good")})
        wait_for(lambda: gh.status().is_seeding, 30, "the good seeder")
        rpc(d.socket, "torrent.add_peers", {"id": ih, "peers": [f"127.0.0.1:{good.listen_port()}"]})
        lh.connect_peer(("127.0.0.1", good.listen_port()))
        wait_for(lambda: status(d, ih)["state"] == "seeding", 60, "btd to fetch the piece again")
        wait_for(lambda: lh.status().is_seeding, 60, "the leecher to finish")
        self.assertEqual(lh.status().total_failed_bytes, 0)
        self.assertEqual(sha256_file(target), sha256_file(self.path("good", "f.bin")))
        del lh, leech, gh, good


if __name__ == "__main__":
    unittest.main(verbosity=2)
