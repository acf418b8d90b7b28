"""Message Stream Encryption (the obfuscated handshake) against clients written by others, on
loopback only: aria2c with its default options (it dials encrypted first) downloads from a btd
seed without falling back to plaintext; btd requiring encryption downloads from a libtorrent
seeder that forces RC4; a libtorrent leecher forcing encryption (RC4, or plaintext after the
handshake) downloads from btd; btd with encryption disabled refuses an encrypted handshake; and
hostile encrypted-looking openings (random bytes, a DH key then silence, endless padding) are
closed within the handshake timeout while btd keeps serving."""
import json
import os
import socket
import threading
import time
import unittest

import libtorrent as lt

from harness import (BTCTL, Daemon, TempDirTest, free_port, lt_session, pattern_bytes, rpc, rpc_reply, run,
                     sha256_file, start_opentracker, wait_for, write_file)

PIECE = 32 * 1024
FILES = {  # pieces cross file boundaries, the last one is short
    "a.bin": 9 * PIECE + 333,
    "sub/b.bin": 50 * PIECE - 7,
}
HANDSHAKE_TIMEOUT = 10  # btd's, PeerNetworkOptions::handshake_timeout


def make_payload(test, seed):
    root = test.path("seed", "payload")
    for i, (rel, size) in enumerate(FILES.items()):
        write_file(os.path.join(root, rel), pattern_bytes(size, seed + i))
    return root


def lt_torrent(test, root):
    fs = lt.file_storage()
    lt.add_files(fs, root)
    ct = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v1_only)
    lt.set_piece_hashes(ct, os.path.dirname(root))
    path = test.path("payload.torrent")
    with open(path, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    return path, str(lt.torrent_info(path).info_hashes().v1)


def forced_encryption(ses, level):
    """libtorrent refusing plaintext handshakes both ways; `level` is what it offers/accepts after."""
    ses.apply_settings({"in_enc_policy": int(lt.enc_policy.pe_forced), "out_enc_policy": int(lt.enc_policy.pe_forced),
                        "allowed_enc_level": int(level), "prefer_rc4": level == lt.enc_level.pe_rc4})
    settings = ses.get_settings()
    assert settings["in_enc_policy"] == int(lt.enc_policy.pe_forced), settings
    assert settings["allowed_enc_level"] == int(level), settings


def btd_config(test, name, **settings):
    path = test.path(name + ".json")
    with open(path, "w") as f:
        json.dump(settings, f)
    return ("--config", path)


def same_files(root, download_root):
    for rel, size in FILES.items():
        got = os.path.join(download_root, rel)
        if not os.path.exists(got) or os.path.getsize(got) != size:
            return False
        if sha256_file(got) != sha256_file(os.path.join(root, rel)):
            return False
    return True


class EncryptionTest(TempDirTest):
    def seed_btd(self, root, torrent, info_hash, extra_args=()):
        d = Daemon(self, "seed", extra_args=extra_args).start()
        added = d.ctl_json("add", torrent, "--dir", os.path.dirname(root))
        self.assertEqual(added["id"], info_hash)
        wait_for(lambda: d.ctl_json("status", info_hash)["torrents"][0]["state"] == "seeding", 30,
                 "btd to check its data and seed")
        return d

    def test_aria2_default_options_downloads_from_btd_over_mse(self):
        root = make_payload(self, 700)
        port = free_port()
        torrent = self.path("payload.torrent")
        run([BTCTL, "create", root, "-o", torrent, "--piece-size", "32K",
             "--tracker", f"http://127.0.0.1:{port}/announce"])
        info_hash = json.loads(run([BTCTL, "--json", "info", torrent]).stdout)["info_hash"]
        start_opentracker(self, [info_hash], port)
        d = self.seed_btd(root, torrent, info_hash)
        self.assertEqual(d.ctl_json("settings").get("encryption"), "prefer_plaintext")
        wait_for(lambda: any(t["status"] == "working"
                             for t in d.ctl_json("status", info_hash)["torrents"][0]["trackers"]),
                 20, "btd to announce its seed")

        dl = self.path("aria2")
        os.makedirs(dl)
        first = os.path.join(dl, "payload", "a.bin")
        # aria2's defaults: encryption offered first (plaintext or RC4 after it), plaintext fallback.
        t0 = time.monotonic()
        aria = self.spawn([
            "aria2c", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
            "--enable-peer-exchange=false", "--seed-time=0", f"--listen-port={free_port()}",
            f"--dht-listen-port={free_port()}", "--dir", dl, "--allow-overwrite=true",
            "--file-allocation=none", "--check-integrity=false", "--no-conf",
            "--console-log-level=warn", "--summary-interval=0", "--show-console-readout=false",
            f"--log={self.path('aria2-debug.log')}", "--log-level=debug", torrent,
        ], log=self.path("aria2.log"))
        first_byte = None
        deadline = t0 + 60
        while aria.poll() is None and time.monotonic() < deadline:
            if first_byte is None and os.path.exists(first) and os.stat(first).st_blocks > 0:
                first_byte = time.monotonic() - t0
            time.sleep(0.005)
        if aria.poll() is None:
            self.fail("aria2c did not finish within 60 s\n" + d.log()[-4000:])
        self.assertEqual(aria.returncode, 0, d.log()[-4000:])
        self.assertTrue(same_files(root, os.path.join(dl, "payload")))

        log = d.log()
        self.assertRegex(log, r"incoming peer 127\.0\.0\.1:\d+: encrypted handshake accepted, plaintext after it")
        # The old failure: btd hung up on the encrypted handshake and aria2 came back a second later.
        self.assertNotRegex(log, r"incoming peer .* closed before its handshake completed")
        with open(self.path("aria2-debug.log"), errors="replace") as f:
            aria_log = f.read()
        self.assertIn("MSEHandshake", aria_log)  # aria2 did take the encrypted path
        self.assertIsNotNone(first_byte)
        print(f"\naria2 from btd: first byte after {first_byte:.2f} s")
        self.assertLess(first_byte, 2.0, "the encrypted handshake should not cost aria2 its 1 s plaintext retry")
        self.assertEqual(d.stop(), 0)

    def test_btd_requiring_encryption_downloads_from_rc4_forcing_libtorrent(self):
        root = make_payload(self, 800)
        torrent, info_hash = lt_torrent(self, root)
        seed_port = free_port()
        ses = lt_session(seed_port)
        forced_encryption(ses, lt.enc_level.pe_rc4)
        h = ses.add_torrent({"ti": lt.torrent_info(torrent), "save_path": os.path.dirname(root)})
        wait_for(lambda: h.status().is_seeding, 30, "libtorrent to check its data and seed")

        d = Daemon(self, "leech", extra_args=btd_config(self, "leech", encryption="required")).start()
        self.assertEqual(d.ctl_json("settings")["encryption"], "required")
        dl = self.path("downloads")
        d.ctl_json("add", torrent, "--dir", dl)
        rpc(d.socket, "torrent.add_peers", {"id": info_hash, "peers": [f"127.0.0.1:{seed_port}"]})
        wait_for(lambda: d.ctl_json("status", info_hash)["torrents"][0]["state"] == "seeding", 60,
                 "btd to download from the RC4-forcing seeder")
        self.assertTrue(same_files(root, os.path.join(dl, "payload")))
        # libtorrent accepts nothing but RC4 here, so byte-identical data is RC4 working both ways.
        self.assertRegex(d.log(), r"outgoing peer 127\.0\.0\.1:%d: encrypted handshake accepted, RC4 for the whole stream"
                         % seed_port)
        self.assertEqual(d.stop(), 0)
        del ses

    def leech_from_btd_with_forced_libtorrent(self, level, selected, flag):
        root = make_payload(self, 900)
        torrent, info_hash = lt_torrent(self, root)
        d = self.seed_btd(root, torrent, info_hash)
        # 1.9 MB at 512 KiB/s: the connection lasts long enough to be seen in torrent.peers.
        d.ctl("set", info_hash, "--up-limit", "512K")
        ses = lt_session(free_port())
        forced_encryption(ses, level)
        dl = self.path("lt-leech")
        h = ses.add_torrent({"ti": lt.torrent_info(torrent), "save_path": dl})
        h.connect_peer(("127.0.0.1", d.port()))
        seen = []

        def done():
            seen.extend(p["flags"] for p in rpc(d.socket, "torrent.peers", {"id": info_hash})["peers"])
            return h.status().is_seeding
        wait_for(done, 60, "the libtorrent leecher to finish")
        self.assertTrue(same_files(root, os.path.join(dl, "payload")))
        self.assertRegex(d.log(), r"incoming peer 127\.0\.0\.1:\d+: encrypted handshake accepted, " + selected)
        # torrent.peers says how the connection is encrypted (E: RC4 throughout, e: the handshake
        # only), with the letters other clients use, and I for an incoming connection.
        self.assertTrue(seen, "the leecher never showed in torrent.peers")
        self.assertTrue(all(flag in f and "I" in f for f in seen), seen)
        self.assertTrue(all(({"E", "e"} - {flag}).isdisjoint(f) for f in seen), seen)
        self.assertNotIn("closed before its handshake completed", d.log())
        self.assertEqual(d.stop(), 0)
        del ses

    def test_rc4_forcing_libtorrent_leecher_downloads_from_btd(self):
        self.leech_from_btd_with_forced_libtorrent(lt.enc_level.pe_rc4, "RC4 for the whole stream", "E")

    def test_encryption_forcing_libtorrent_offering_both_gets_plaintext_after_the_handshake(self):
        # btd prefers plaintext after the handshake when offered: bulk data skips RC4.
        self.leech_from_btd_with_forced_libtorrent(lt.enc_level.pe_both, "plaintext after it", "e")

    def test_btd_with_encryption_disabled_refuses_an_encrypted_handshake(self):
        root = make_payload(self, 1000)
        torrent, info_hash = lt_torrent(self, root)
        d = self.seed_btd(root, torrent, info_hash, btd_config(self, "seed", encryption="disabled"))
        self.assertEqual(d.ctl_json("settings")["encryption"], "disabled")
        ses = lt_session(free_port())
        forced_encryption(ses, lt.enc_level.pe_both)
        h = ses.add_torrent({"ti": lt.torrent_info(torrent), "save_path": self.path("lt-leech")})
        h.connect_peer(("127.0.0.1", d.port()))
        wait_for(lambda: "encrypted handshakes are off" in d.log(), 20, "btd to refuse the encrypted handshake")
        time.sleep(1)
        self.assertEqual(h.status().num_peers, 0)
        self.assertEqual(h.status().total_wanted_done, 0)
        self.assertNotIn("encrypted handshake accepted", d.log())

        # Turned on over RPC, a leecher forcing encryption gets in (a new one: libtorrent waits a
        # minute before it dials a peer that failed again).
        self.assertIn("Encryption:             prefer_plaintext", d.ctl("set", "--encryption", "prefer_plaintext").stdout)
        self.assertEqual(rpc(d.socket, "session.get")["encryption"], "prefer_plaintext")
        bad = rpc_reply(d.socket, "session.set", {"encryption": "forced"})
        self.assertIn("encryption", bad["error"]["message"])
        del h, ses
        ses = lt_session(free_port())
        forced_encryption(ses, lt.enc_level.pe_both)
        h = ses.add_torrent({"ti": lt.torrent_info(torrent), "save_path": self.path("lt-leech2")})
        h.connect_peer(("127.0.0.1", d.port()))
        wait_for(lambda: h.status().is_seeding, 60, "the leecher to download once encryption is on")
        self.assertTrue(same_files(root, os.path.join(self.path("lt-leech2"), "payload")))
        self.assertIn("encrypted handshake accepted", d.log())
        self.assertEqual(d.stop(), 0)
        del ses

    def test_hostile_encrypted_openings_are_closed_within_the_handshake_timeout(self):
        root = make_payload(self, 1100)
        torrent, info_hash = lt_torrent(self, root)
        d = self.seed_btd(root, torrent, info_hash)
        port = d.port()
        results = {}

        def opening(name, first, then=None):
            s = socket.create_connection(("127.0.0.1", port), timeout=HANDSHAKE_TIMEOUT + 10)
            t0 = time.monotonic()
            received = b""
            try:
                s.sendall(first)
                if then is not None:
                    then(s)
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    received += chunk
            except (ConnectionResetError, BrokenPipeError):
                pass
            except socket.timeout:
                results[name] = ("still open", time.monotonic() - t0, len(received))
                return
            finally:
                s.close()
            results[name] = ("closed", time.monotonic() - t0, len(received))

        def endless_pad(s):
            # The pad before req1 may be 512 bytes: btd must give up after that, not keep reading.
            try:
                for _ in range(200):
                    s.sendall(os.urandom(100))
                    time.sleep(0.01)
            except (ConnectionResetError, BrokenPipeError):
                pass

        ya = b"\x55" + os.urandom(95)  # a valid DH public key (below P)
        threads = [
            threading.Thread(target=opening, args=("random bytes", os.urandom(2000))),
            threading.Thread(target=opening, args=("Ya then silence", ya)),
            threading.Thread(target=opening, args=("endless pad", ya, endless_pad)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(HANDSHAKE_TIMEOUT + 20)
        self.assertEqual(set(results), {"random bytes", "Ya then silence", "endless pad"}, results)
        for name, (state, took, received) in results.items():
            self.assertEqual(state, "closed", (name, results))
            self.assertLessEqual(took, HANDSHAKE_TIMEOUT + 2, (name, results))
            self.assertLessEqual(received, 96 + 512, (name, results))  # at most Yb and PadB
        self.assertLess(results["random bytes"][1], 2, results)
        self.assertLess(results["endless pad"][1], 3, results)
        self.assertGreaterEqual(results["Ya then silence"][1], HANDSHAKE_TIMEOUT - 1, results)
        log = d.log()
        self.assertIn("no req1 hash within 512 bytes", log)
        self.assertIn("handshake timed out", log)

        # Still serving: a plaintext libtorrent leecher completes.
        ses = lt_session(free_port())
        dl = self.path("lt-leech")
        h = ses.add_torrent({"ti": lt.torrent_info(torrent), "save_path": dl})
        h.connect_peer(("127.0.0.1", port))
        wait_for(lambda: h.status().is_seeding, 60, "a leecher to download after the hostile openings")
        self.assertTrue(same_files(root, os.path.join(dl, "payload")))
        self.assertEqual(d.stop(), 0)
        del ses


if __name__ == "__main__":
    unittest.main(verbosity=2)
