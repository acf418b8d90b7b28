"""btd serves ut_metadata (BEP 9): a libtorrent session given only a magnet link (no .torrent,
no tracker, no DHT) gets the info dict from btd, then downloads the whole payload from btd,
byte-identical. Everything on 127.0.0.1; every process is killed by PID."""
import json
import os
import time
import unittest

from harness import (Daemon, TempDirTest, free_port, lt_session, pattern_bytes, run, sha256_file,
                     wait_for, write_file, BTCTL)

PIECE = 16 * 1024
# Many files with long names make the info dict span several 16 KiB metadata pieces, so the
# fetch needs more than one ut_metadata request; the short last piece checks the exact length.
FILES = {f"dir-{i // 50}/file-with-a-long-name-so-the-info-dict-grows-{i:04d}.bin": 1000 + 37 * i
         for i in range(400)}
DEADLINE = 30


class MagnetServeTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.root = self.path("seed", "payload")
        for i, (rel, size) in enumerate(FILES.items()):
            write_file(os.path.join(self.root, rel), pattern_bytes(size, 700 + i))
        self.torrent = self.path("payload.torrent")
        run([BTCTL, "create", self.root, "-o", self.torrent, "--piece-size", "16K"])
        self.info_hash = json.loads(run([BTCTL, "--json", "info", self.torrent]).stdout)["info_hash"]
        self.btd = Daemon(self).start()
        self.btd.ctl_json("add", self.torrent, "--dir", self.path("seed"))
        wait_for(lambda: self.btd.ctl_json("status", self.info_hash)["torrents"][0]["state"] == "seeding",
                 20, "btd to check its data and seed")

    def fail_with_log(self, what):
        self.fail(f"{what}\n--- btd log (tail) ---\n{self.btd.log()[-6000:]}")

    def test_libtorrent_gets_metadata_and_payload_from_a_magnet_link(self):
        import libtorrent as lt
        with open(self.torrent, "rb") as f:
            expected = lt.torrent_info(lt.bdecode(f.read()))
        self.assertGreater(len(expected.info_section()), 2 * 16 * 1024)  # several metadata pieces

        ses = lt_session(free_port())
        # btd speaks plain TCP without MSE: libtorrent would first try uTP and an encrypted
        # handshake, and retry a failed peer only after its reconnect delay.
        ses.apply_settings({"enable_outgoing_utp": False, "out_enc_policy": int(lt.enc_policy.disabled)})
        dl = self.path("lt")
        os.makedirs(dl)
        params = lt.parse_magnet_uri(f"magnet:?xt=urn:btih:{self.info_hash}")
        params.save_path = dl
        handle = ses.add_torrent(params)
        self.assertFalse(handle.status().has_metadata)
        handle.connect_peer(("127.0.0.1", self.btd.port()))
        start = time.monotonic()

        def has_metadata():
            if time.monotonic() - start > 5 and not handle.status().num_peers:
                handle.connect_peer(("127.0.0.1", self.btd.port()))  # a dropped first dial
            return handle.status().has_metadata
        try:
            wait_for(has_metadata, DEADLINE, "libtorrent to get the metadata from btd")
        except AssertionError:
            self.fail_with_log("libtorrent never got the metadata")
        got = handle.torrent_file()
        self.assertEqual(str(got.info_hashes().v1), self.info_hash)
        self.assertEqual(got.name(), "payload")
        self.assertEqual(bytes(got.info_section()), bytes(expected.info_section()))  # byte for byte
        self.assertEqual(got.num_pieces(), expected.num_pieces())
        files = got.files()
        want = expected.files()
        self.assertEqual(files.num_files(), want.num_files())
        for i in range(want.num_files()):
            self.assertEqual((files.file_path(i), files.file_size(i)), (want.file_path(i), want.file_size(i)))

        remaining = DEADLINE - (time.monotonic() - start)
        try:
            wait_for(lambda: handle.status().is_seeding, max(remaining, 1), "libtorrent to finish the download")
        except AssertionError:
            self.fail_with_log(f"libtorrent stopped at {handle.status().progress:.2%}")
        for rel in FILES:
            self.assertEqual(sha256_file(os.path.join(dl, "payload", rel)),
                             sha256_file(os.path.join(self.root, rel)), rel)
        self.assertLess(time.monotonic() - start, DEADLINE)
        del ses


if __name__ == "__main__":
    unittest.main()
