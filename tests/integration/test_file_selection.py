"""File selection: btd downloads only the files a user wants. A libtorrent seeder serves a
six-file torrent on 127.0.0.1; btd adds it with two files skipped (btctl add --skip), gets the
wanted files byte for byte, never asks for a piece that holds only skipped bytes, writes into a
skipped file only the bytes of a wanted boundary piece, and seeds. Wanting a skipped file again
downloads it; the selection survives SIGHUP and a restart. A magnet link with so= (BEP 53)
downloads only the files it names, and so do files/skip_files given with a magnet link at
torrent.add, applied once its metadata is in, even across a restart before that. Bad indexes are invalid params naming the index. Every
process is killed by PID."""
import os
import signal
import unittest

import libtorrent as lt

from harness import (Daemon, TempDirTest, free_port, lt_session, pattern_bytes, rpc, rpc_reply, sha256_file,
                     wait_for)

P = 32 * 1024
# Sizes chosen so that: a and b share piece 2 (b's head lands in b.bin); b ends on a piece
# boundary; c and d share piece 9; e.bin is exactly pieces 11-14 (nothing else touches them),
# and f is alone in piece 15.
FILES = [("a.bin", 2 * P + 100), ("b.bin", 4 * P - 100), ("c.bin", 3 * P + 5000), ("d.bin", 2 * P - 5000),
         ("e.bin", 4 * P), ("f.bin", 100)]
DEADLINE = 90


def offsets():
    out, pos = [], 0
    for _, size in FILES:
        out.append(pos)
        pos += size
    return out, pos


def pieces_of(index):
    start = offsets()[0][index]
    return set(range(start // P, (start + FILES[index][1] - 1) // P + 1))


class FileSelectionTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.sessions = []
        root = self.path("seed", "payload")
        self.payload = b""
        fs = lt.file_storage()
        for i, (name, size) in enumerate(FILES):
            data = pattern_bytes(size, 70 + i)
            self.payload += data
            os.makedirs(root, exist_ok=True)
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
            fs.add_file(os.path.join("payload", name), size)  # in this order: indexes 0-5
        ct = lt.create_torrent(fs, P, flags=lt.create_torrent.v1_only)
        lt.set_piece_hashes(ct, self.path("seed"))
        self.torrent = self.path("payload.torrent")
        with open(self.torrent, "wb") as f:
            f.write(lt.bencode(ct.generate()))
        self.info_hash = str(lt.torrent_info(self.torrent).info_hashes().v1)
        self.seed_port = free_port()
        ses = lt_session(self.seed_port)
        self.sessions.append(ses)
        self.seed = ses.add_torrent({"ti": lt.torrent_info(self.torrent), "save_path": self.path("seed")})
        wait_for(lambda: self.seed.status().is_seeding, 30, "libtorrent to check its data and seed")

    def tearDown(self):
        for ses in self.sessions:
            ses.pause()
        self.sessions.clear()
        super().tearDown()

    def status(self, d, id_):
        return d.ctl_json("status", id_)["torrents"][0]

    def wait_state(self, d, id_, state, what, timeout=DEADLINE):
        try:
            return wait_for(lambda: (lambda st: st if st["state"] == state else None)(self.status(d, id_)),
                            timeout, what)
        except AssertionError:
            self.fail(f"{what}: still {self.status(d, id_)}\n--- btd log (tail) ---\n{d.log()[-6000:]}")

    def file_bytes(self, index):
        start = offsets()[0][index]
        return self.payload[start:start + FILES[index][1]]

    def dl(self, dl_dir, index):
        return os.path.join(dl_dir, "payload", FILES[index][0])

    def assert_identical(self, dl_dir, index):
        with open(self.dl(dl_dir, index), "rb") as f:
            self.assertEqual(f.read(), self.file_bytes(index), FILES[index][0])

    def assert_only_boundary_bytes(self, dl_dir, index, wanted_pieces):
        """A skipped file holds the bytes of the wanted pieces it shares, and nothing else."""
        path = self.dl(dl_dir, index)
        start = offsets()[0][index]
        with open(path, "rb") as f:
            got = f.read()
        self.assertLessEqual(len(got), FILES[index][1])
        for pos in range(0, len(got), 1024):
            piece = (start + pos) // P
            chunk = got[pos:pos + 1024]
            if piece in wanted_pieces:
                self.assertEqual(chunk, self.file_bytes(index)[pos:pos + len(chunk)], f"{path} at {pos}")
            else:
                self.assertEqual(chunk, b"\0" * len(chunk), f"{path} at {pos}: bytes of a skipped piece")

    def have(self, d, id_):
        import base64
        r = rpc(d.socket, "torrent.pieces", {"id": id_})
        bits = base64.b64decode(r["have"])
        return {i for i in range(r["pieces"]) if bits[i // 8] & (0x80 >> (i % 8))}

    def test_skip_two_files_then_want_one_and_restart(self):
        d = Daemon(self).start()
        dl = self.path("downloads")
        id_ = d.ctl("add", self.torrent, "--dir", dl, "--peer", f"127.0.0.1:{self.seed_port}",
                    "--skip", "1,4").stdout.strip()
        self.assertEqual(id_, self.info_hash)
        files = d.ctl_json("files", id_)["files"]
        self.assertEqual([(f["index"], f["priority"], f["wanted"]) for f in files],
                         [(0, "normal", True), (1, "skip", False), (2, "normal", True), (3, "normal", True),
                          (4, "skip", False), (5, "normal", True)])
        table = d.ctl("files", id_).stdout
        self.assertIn("PRIORITY", table)
        self.assertIn("skip", table)

        st = self.wait_state(d, id_, "seeding", "the wanted files to complete")
        wanted_pieces = pieces_of(0) | pieces_of(2) | pieces_of(3) | pieces_of(5)
        skipped_only = (pieces_of(1) | pieces_of(4)) - wanted_pieces
        self.assertEqual(skipped_only, {3, 4, 5, 11, 12, 13, 14})
        _, total = offsets()
        wanted_size = sum(min(P, total - p * P) for p in wanted_pieces)
        self.assertEqual((st["size"], st["wanted_size"], st["left"], st["progress"]), (total, wanted_size, 0, 1.0))
        self.assertEqual(st["eta_s"], 0)
        for i in (0, 2, 3, 5):
            self.assert_identical(dl, i)
        self.assertFalse(os.path.exists(self.dl(dl, 4)), "e.bin is skipped and no wanted piece touches it")
        self.assert_only_boundary_bytes(dl, 1, wanted_pieces)
        # Nothing of a skipped-only piece was asked for: btd has none, got no more than the wanted
        # pieces, and the seeder sent no more.
        self.assertEqual(self.have(d, id_) & skipped_only, set())
        self.assertEqual(self.have(d, id_), wanted_pieces)
        self.assertLessEqual(st["downloaded"], wanted_size)
        self.assertLessEqual(self.seed.status().total_payload_upload, wanted_size)
        self.assertIn("download complete", d.log())

        # Want e.bin again: it downloads, b.bin stays skipped.
        d.ctl("files", id_, "--want", "4")
        st = self.status(d, id_)
        self.assertEqual(st["wanted_size"], wanted_size + 4 * P)
        self.assertLessEqual(st["left"], 4 * P)  # loopback is fast: some may be in already
        st = self.wait_state(d, id_, "seeding", "e.bin to download after --want 4")
        self.assert_identical(dl, 4)
        self.assertEqual(self.have(d, id_) & {3, 4, 5}, set())
        self.assertEqual(st["wanted_size"], wanted_size + 4 * P)
        files = d.ctl_json("files", id_)["files"]
        self.assertEqual([f["priority"] for f in files], ["normal", "skip", "normal", "normal", "normal", "normal"])
        self.assertEqual(files[4]["progress"], 1.0)

        # SIGHUP reloads settings, not torrents; a restart loads the selection from the resume data.
        d.proc.send_signal(signal.SIGHUP)
        self.assertEqual([f["priority"] for f in d.ctl_json("files", id_)["files"]][1], "skip")
        d.stop()
        d.start()
        st = self.wait_state(d, id_, "seeding", "the restarted daemon to seed its selection", timeout=30)
        self.assertEqual(st["wanted_size"], wanted_size + 4 * P)
        self.assertEqual([f["priority"] for f in d.ctl_json("files", id_)["files"]],
                         ["normal", "skip", "normal", "normal", "normal", "normal"])
        self.assertEqual(self.have(d, id_) & {3, 4, 5}, set())
        # A full re-check (btctl verify) finds the same pieces and no error in the missing or
        # partial skipped files.
        d.ctl("verify", id_)
        st = self.wait_state(d, id_, "seeding", "the re-check", timeout=30)
        self.assertIsNone(st["error"])
        self.assertEqual(self.have(d, id_), wanted_pieces | pieces_of(4))
        self.assertFalse(any(l.startswith("<3>") for l in d.log().splitlines()),
                         "a missing skipped file must not be an error")

        # Bad input names the index or the value.
        for params, needle in [({"id": id_, "files": [6], "priority": "skip"}, "6"),
                               ({"id": id_, "files": [1], "priority": "low"}, "priority"),
                               ({"id": id_, "files": "some", "priority": "skip"}, "files"),
                               ({"id": id_, "files": [-1], "priority": "skip"}, "files")]:
            reply = rpc_reply(d.socket, "torrent.set_files", params)
            self.assertEqual(reply["error"]["code"], -32602, params)
            self.assertIn(needle, reply["error"]["message"])
        # --want all, then high on one: every file normal but a.
        d.ctl("files", id_, "--want", "all", "--high", "0")
        self.assertEqual([f["priority"] for f in d.ctl_json("files", id_)["files"]],
                         ["high", "normal", "normal", "normal", "normal", "normal"])
        self.wait_state(d, id_, "seeding", "b.bin's pieces after --want all")
        self.assert_identical(dl, 1)
        p = d.ctl("files", id_, "--skip", "2-1", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("backwards", p.stderr)

    def test_add_with_a_bad_index_is_refused(self):
        d = Daemon(self).start()
        p = d.ctl("add", self.torrent, "--dir", self.path("dl"), "--only", "0,9", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("names file 9", p.stderr)
        self.assertEqual(d.ctl_json("status")["torrents"], [])

    def test_add_only_two_files(self):
        d = Daemon(self).start()
        dl = self.path("downloads")
        id_ = d.ctl("add", self.torrent, "--dir", dl, "--peer", f"127.0.0.1:{self.seed_port}",
                    "--only", "0,5").stdout.strip()
        self.wait_state(d, id_, "seeding", "files 0 and 5")
        self.assert_identical(dl, 0)
        self.assert_identical(dl, 5)
        for i in (2, 3, 4):
            self.assertFalse(os.path.exists(self.dl(dl, i)), FILES[i][0])

    def test_magnet_so_downloads_only_the_files_it_names(self):
        d = Daemon(self).start()
        dl = self.path("downloads")
        uri = f"magnet:?xt=urn:btih:{self.info_hash}&so=0,2,40&x.pe=127.0.0.1:{self.seed_port}"
        id_ = d.ctl_json("add", uri, "--dir", dl)["id"]
        st = self.wait_state(d, id_, "seeding", "the so= files of the magnet")
        self.assert_identical(dl, 0)
        self.assert_identical(dl, 2)
        for i in (4, 5):
            self.assertFalse(os.path.exists(self.dl(dl, i)), FILES[i][0])
        self.assertEqual([f["priority"] for f in d.ctl_json("files", id_)["files"]],
                         ["normal", "skip", "normal", "skip", "skip", "skip"])
        wanted = pieces_of(0) | pieces_of(2)
        self.assertEqual(self.have(d, id_), wanted)
        self.assertEqual(st["wanted_size"], len(wanted) * P)
        self.assertIn("names file 40, but the torrent has 6 files; ignored", d.log())
        # The selection is in the resume data: a restart keeps it without the link's so= again.
        d.stop()
        d.start()
        self.wait_state(d, id_, "seeding", "the restarted daemon", timeout=30)
        self.assertEqual([f["wanted"] for f in d.ctl_json("files", id_)["files"]],
                         [True, False, True, False, False, False])

    def test_magnet_with_files_given_at_add_keeps_them_across_a_restart_before_the_metadata(self):
        d = Daemon(self).start()
        dl = self.path("downloads")
        # No peer yet and paused: nothing can be fetched before the restart.
        uri = f"magnet:?xt=urn:btih:{self.info_hash}&so=1"
        reply = rpc(d.socket, "torrent.add", {"magnet": uri, "download_dir": dl, "paused": True,
                                              "files": [0, 2, 4, 40], "skip_files": [4]})
        id_ = reply["id"]
        self.assertEqual(self.status(d, id_)["state"], "paused")
        d.stop()
        d.start()
        rpc(d.socket, "torrent.add_peers", {"id": id_, "peers": [f"127.0.0.1:{self.seed_port}"]})
        d.ctl("resume", id_)
        self.wait_state(d, id_, "seeding", "files 0 and 2 of the magnet")
        # files/skip_files won over so=1; 40 is past the last file; 4 was both wanted and skipped.
        self.assertEqual([f["priority"] for f in d.ctl_json("files", id_)["files"]],
                         ["normal", "skip", "normal", "skip", "skip", "skip"])
        self.assert_identical(dl, 0)
        self.assert_identical(dl, 2)
        for i in (4, 5):
            self.assertFalse(os.path.exists(self.dl(dl, i)), FILES[i][0])
        self.assertEqual(self.have(d, id_), pieces_of(0) | pieces_of(2))
        self.assertIn("torrent.add named file 40, but the torrent has 6 files (0-5); ignored", d.log())

    def test_btctl_add_magnet_with_skip(self):
        d = Daemon(self).start()
        dl = self.path("downloads")
        uri = f"magnet:?xt=urn:btih:{self.info_hash}&x.pe=127.0.0.1:{self.seed_port}"
        id_ = d.ctl_json("add", uri, "--dir", dl, "--skip", "0-4")["id"]
        self.wait_state(d, id_, "seeding", "file 5 of the magnet")
        self.assert_identical(dl, 5)
        for i in range(5):
            self.assertFalse(os.path.exists(self.dl(dl, i)), FILES[i][0])


if __name__ == "__main__":
    unittest.main()
