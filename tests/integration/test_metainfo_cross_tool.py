"""btctl info and btctl create agree with torrents made and read by other tools.

For torrents made by mktorrent, transmission-create and libtorrent (v1-only and hybrid, with
pad files), `btctl info --json` must report the info-hash, sizes and file list those tools
report. Torrents made by `btctl create` must be read by transmission-show and libtorrent with
the same info-hash, and libtorrent must find the payload complete when it checks it against
our piece hashes.
"""
import os
import re
import unittest

import libtorrent as lt

from harness import TempDirTest, btctl, btctl_json, pattern_bytes, run, write_file

PIECE = 16 * 1024


def make_payload(root):
    """A multi-file tree whose pieces cross file boundaries and whose last piece is short."""
    files = {
        "alpha.bin": pattern_bytes(3 * PIECE + 1000, 1),
        "sub/beta.bin": pattern_bytes(PIECE - 7, 2),
        "sub/deeper/gamma.txt": pattern_bytes(12345, 3),
        "zeta.dat": pattern_bytes(5 * PIECE + 3, 4),
    }
    for rel, data in files.items():
        write_file(os.path.join(root, rel), data)
    return files


def lt_view(torrent_path):
    """What libtorrent reads from a .torrent: the reference we compare against."""
    ti = lt.torrent_info(torrent_path)
    fs = ti.files()
    files = []
    for i in range(fs.num_files()):
        if fs.file_flags(i) & lt.file_storage.flag_pad_file:
            continue
        files.append((fs.file_path(i).replace(os.sep, "/"), fs.file_size(i)))
    return {
        "id": str(ti.info_hashes().v1),
        "name": ti.name(),
        "size": ti.total_size(),
        "piece_length": ti.piece_length(),
        "pieces": ti.num_pieces(),
        "files": sorted(files),
        "private": ti.priv(),
    }


def transmission_view(torrent_path):
    out = run(["transmission-show", torrent_path]).stdout
    info_hash = re.search(r"^\s*Hash:\s*([0-9a-f]{40})\s*$", out, re.M).group(1)
    files_section = out.split("FILES", 1)[1]
    names = sorted(m.group(1) for m in re.finditer(r"^  (\S.*?) \([^)]*\)[ \t]*$", files_section, re.M))
    private = "Private torrent" in out
    return {"id": info_hash, "names": names, "private": private}


def btctl_view(torrent_path):
    j = btctl_json("info", torrent_path)
    return {
        "id": j["id"],
        "name": j["name"],
        "size": j["size"],
        "piece_length": j["piece_length"],
        "pieces": j["pieces"],
        "files": sorted((f["path"], f["size"]) for f in j["files"]),
        "private": j["private"],
    }, j


def lt_create(src, out, flags, piece_size=PIECE, private=False):
    fs = lt.file_storage()
    lt.add_files(fs, src)
    ct = lt.create_torrent(fs, piece_size, flags=flags)
    ct.add_tracker("http://127.0.0.1:6969/announce")
    if private:
        ct.set_priv(True)
    lt.set_piece_hashes(ct, os.path.dirname(src))
    with open(out, "wb") as f:
        f.write(lt.bencode(ct.generate()))


class ForeignTorrentsTest(TempDirTest):
    """btctl info reads torrents made by other tools exactly as they do."""

    def setUp(self):
        super().setUp()
        self.multi = self.path("payload")
        make_payload(self.multi)
        self.single = self.path("single.bin")
        write_file(self.single, pattern_bytes(7 * PIECE + 123, 9))

    def assert_same_as_libtorrent(self, torrent, also_transmission=True):
        ours, raw = btctl_view(torrent)
        theirs = lt_view(torrent)
        self.assertEqual(ours, theirs)
        if also_transmission:
            tr = transmission_view(torrent)
            self.assertEqual(ours["id"], tr["id"])
            self.assertEqual(tr["names"], sorted(f["path"] for f in raw["files"]))
        return raw

    def test_mktorrent_multi_and_single(self):
        for src in (self.multi, self.single):
            with self.subTest(src=src):
                out = self.path(os.path.basename(src) + ".mk.torrent")
                run(["mktorrent", "-l", "15", "-a", "http://127.0.0.1:6969/announce",
                     "-c", "made by mktorrent", "-o", out, src])
                raw = self.assert_same_as_libtorrent(out)
                self.assertEqual(raw["trackers"], [["http://127.0.0.1:6969/announce"]])
                self.assertEqual(raw["comment"], "made by mktorrent")

    def test_mktorrent_private_with_tiers(self):
        out = self.path("private.torrent")
        run(["mktorrent", "-p", "-l", "15", "-a", "http://a.example/announce,http://b.example/announce",
             "-a", "udp://c.example:80", "-o", out, self.multi])
        raw = self.assert_same_as_libtorrent(out)
        self.assertTrue(raw["private"])
        self.assertEqual(raw["trackers"], [["http://a.example/announce", "http://b.example/announce"],
                                           ["udp://c.example:80"]])

    def test_transmission_create_multi_and_single(self):
        for src in (self.multi, self.single):
            with self.subTest(src=src):
                out = self.path(os.path.basename(src) + ".tr.torrent")
                run(["transmission-create", "-o", out, "-s", "16", "-t",
                     "http://127.0.0.1:6969/announce", src])
                self.assert_same_as_libtorrent(out)

    def test_libtorrent_v1_only(self):
        for src in (self.multi, self.single):
            with self.subTest(src=src):
                out = self.path(os.path.basename(src) + ".lt1.torrent")
                lt_create(src, out, lt.create_torrent.v1_only)
                self.assert_same_as_libtorrent(out)

    def test_libtorrent_hybrid_with_pad_files(self):
        # libtorrent 2's default is a hybrid v1+v2 torrent with BEP 47 pad files between files.
        out = self.path("hybrid.torrent")
        lt_create(self.multi, out, 0)
        # transmission 3.00 predates BEP 52 and cannot read hybrid torrents: libtorrent is the
        # reference here.
        raw = self.assert_same_as_libtorrent(out, also_transmission=False)
        self.assertTrue(raw["hybrid"])
        self.assertGreater(raw["pad_files"], 0)

    def test_human_output_names_the_torrent(self):
        out = self.path("h.torrent")
        lt_create(self.multi, out, lt.create_torrent.v1_only)
        text = btctl("info", out).stdout
        self.assertIn("Name:        payload", text)
        self.assertIn(lt_view(out)["id"], text)
        self.assertIn("payload/sub/deeper/gamma.txt", text)


class OurTorrentsTest(TempDirTest):
    """Torrents made by btctl create are read, and their data verified, by other tools."""

    def check_complete_in_libtorrent(self, torrent, save_path):
        """libtorrent hashes the payload against our piece hashes and must find every piece."""
        ses = lt.session({
            "listen_interfaces": "127.0.0.1:0",
            "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
            "alert_mask": 0,
        })
        try:
            h = ses.add_torrent({"ti": lt.torrent_info(torrent), "save_path": save_path})
            import time
            deadline = time.time() + 60
            while time.time() < deadline:
                s = h.status()
                if s.state in (lt.torrent_status.seeding, lt.torrent_status.finished):
                    break
                time.sleep(0.05)
            s = h.status()
            self.assertEqual(s.num_pieces, lt.torrent_info(torrent).num_pieces(),
                             f"libtorrent found only {s.num_pieces} good pieces, state {s.state}")
        finally:
            del ses

    def test_multi_file_round_trip(self):
        src = self.path("payload")
        make_payload(src)
        out = self.path("ours.torrent")
        created = btctl_json("create", src, "-o", out, "--piece-size", "16K",
                             "--tracker", "http://127.0.0.1:6969/announce", "--tracker", "udp://127.0.0.1:6969")
        theirs = lt_view(out)
        self.assertEqual(created["id"], theirs["id"])
        self.assertEqual(theirs["name"], "payload")
        self.assertEqual(theirs["piece_length"], PIECE)
        self.assertEqual(theirs["files"], sorted(("payload/" + k, len(v)) for k, v in make_payload(self.path("again")).items()))
        self.assertEqual(transmission_view(out)["id"], created["id"])
        ours, _ = btctl_view(out)
        self.assertEqual(ours, theirs)
        ti = lt.torrent_info(out)
        self.assertEqual([t.url for t in ti.trackers()], ["http://127.0.0.1:6969/announce", "udp://127.0.0.1:6969"])
        self.check_complete_in_libtorrent(out, self.tmp)

    def test_single_file_private_default_piece_size(self):
        src = self.path("one.bin")
        write_file(src, pattern_bytes(3 * 1024 * 1024 + 17, 5))
        out = self.path("one.torrent")
        created = btctl_json("create", src, "-o", out, "--private")
        theirs = lt_view(out)
        self.assertEqual(created["id"], theirs["id"])
        self.assertTrue(theirs["private"])
        self.assertTrue(transmission_view(out)["private"])
        self.assertEqual(theirs["files"], [("one.bin", 3 * 1024 * 1024 + 17)])
        # A sensible piece size was chosen: a power of two giving a reasonable piece count.
        pl = theirs["piece_length"]
        self.assertEqual(pl & (pl - 1), 0)
        self.assertGreaterEqual(pl, 16 * 1024)
        self.check_complete_in_libtorrent(out, self.tmp)

    def test_create_usage_errors(self):
        p = btctl("create", self.tmp, check=False)
        self.assertEqual(p.returncode, 2)
        p = btctl("create", self.path("missing"), "-o", self.path("x.torrent"), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("missing", p.stderr)
        p = btctl("create", self.tmp, "-o", self.path("x.torrent"), "--piece-size", "lots", check=False)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
