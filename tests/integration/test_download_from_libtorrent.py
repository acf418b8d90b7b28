"""btd downloads from a real libtorrent seeder found through a real opentracker (HTTP and UDP),
a multi-file torrent whose pieces cross file boundaries and whose last piece is short, and
every file comes out byte-identical."""
import os
import unittest

import libtorrent as lt

from harness import (Daemon, TempDirTest, free_port, lt_session, pattern_bytes, sha256_file,
                     start_opentracker, wait_for, write_file)

PIECE = 32 * 1024
FILES = {  # sizes chosen so pieces straddle files and the last piece is short
    "a.bin": 5 * PIECE + 777,
    "sub/b.bin": 3 * PIECE - 5,
    "sub/deep/c.dat": 12345,
    "z.bin": 40 * PIECE + 3,
}


def make_torrent(test, tracker_url):
    root = test.path("seed", "payload")
    for i, (rel, size) in enumerate(FILES.items()):
        write_file(os.path.join(root, rel), pattern_bytes(size, 100 + i))
    fs = lt.file_storage()
    lt.add_files(fs, root)
    ct = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v1_only)
    ct.add_tracker(tracker_url)
    lt.set_piece_hashes(ct, os.path.dirname(root))
    path = test.path("payload.torrent")
    with open(path, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    return path, root


def start_seeder(test, torrent_path, save_path, upload_rate_limit=0):
    ses = lt_session(free_port(), upload_rate_limit)
    h = ses.add_torrent({"ti": lt.torrent_info(torrent_path), "save_path": save_path})
    wait_for(lambda: h.status().is_seeding, 30, "libtorrent to check its data and seed")
    h.force_reannounce()
    return ses, h


class DownloadFromLibtorrentTest(TempDirTest):
    def run_download(self, scheme):
        # The info-hash must be whitelisted before opentracker starts: make the torrent first
        # with a port chosen in advance.
        port = free_port()
        url = f"http://127.0.0.1:{port}/announce" if scheme == "http" else f"udp://127.0.0.1:{port}/announce"
        torrent, root = make_torrent(self, url)
        info_hash = str(lt.torrent_info(torrent).info_hashes().v1)
        start_opentracker(self, [info_hash], port)
        ses, handle = start_seeder(self, torrent, os.path.dirname(root))
        d = Daemon(self).start()
        dl = self.path("downloads")
        added = d.ctl_json("add", torrent, "--dir", dl)
        self.assertEqual(added["id"], info_hash)

        def done():
            st = d.ctl_json("status", info_hash)["torrents"][0]
            return st if st["state"] == "seeding" else None
        st = wait_for(done, 60, "btd to finish the download")
        self.assertEqual(st["progress"], 1.0)
        self.assertEqual(st["pieces_have"], st["pieces"])
        for rel in FILES:
            self.assertEqual(sha256_file(os.path.join(dl, "payload", rel)), sha256_file(os.path.join(root, rel)), rel)
        self.assertTrue(any(t["status"] == "working" for t in st["trackers"]), st["trackers"])
        self.assertEqual(d.stop(), 0)
        del ses

    def test_http_tracker(self):
        self.run_download("http")

    def test_udp_tracker(self):
        self.run_download("udp")


if __name__ == "__main__":
    unittest.main(verbosity=2)
