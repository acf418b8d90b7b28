"""Peer exchange (BEP 11, ut_pex) between btd and libtorrent, on 127.0.0.1 without a tracker,
DHT or LSD: the only way the third peer can be found is a ut_pex message.

- btd learns a seeder S only from libtorrent peer A's PEX, dials it and completes from it (A has
  nothing and downloads nothing, so every byte came from S).
- libtorrent peer L learns S only from btd's PEX, and dials it.
- The "pex" setting: off, btd's extension handshake offers no ut_pex; on again, it does.

S runs without libtorrent's default plugins (no ut_pex), so it can tell nobody about anybody.
Every process is killed by PID."""
import json
import os
import socket
import struct
import time
import unittest

from harness import (BTCTL, Daemon, TempDirTest, free_port, lt_session, pattern_bytes, rpc, run, sha256_file,
                     wait_for, write_file)

PIECE = 32 * 1024
SIZE = 4 * 1024 * 1024 + 4321
DEADLINE = 60


def lt_settings(port):
    return {"listen_interfaces": f"127.0.0.1:{port}", "enable_dht": False, "enable_lsd": False,
            "enable_upnp": False, "enable_natpmp": False, "allow_multiple_connections_per_ip": True,
            "alert_mask": 0,
            # A holds nothing and downloads nothing (upload mode), S is a seed: both are "upload
            # only", and libtorrent would close such a connection as redundant.
            "close_redundant_connections": False}


class PexTest(TempDirTest):
    def setUp(self):
        super().setUp()
        import libtorrent as lt
        self.lt = lt
        self.payload = self.path("seed", "payload.bin")
        write_file(self.payload, pattern_bytes(SIZE, 1111))
        self.torrent = self.path("payload.torrent")
        run([BTCTL, "create", self.payload, "-o", self.torrent, "--piece-size", "32K"])
        self.info = lt.torrent_info(self.torrent)
        self.info_hash = str(self.info.info_hashes().v1)

    def seeder(self, upload_rate_limit=0):
        """S: a libtorrent seed without plugins (no ut_pex), so it never passes peers on."""
        lt = self.lt
        port = free_port()
        settings = lt_settings(port)
        settings["upload_rate_limit"] = upload_rate_limit
        ses = lt.session(settings, 0)
        if upload_rate_limit:
            # Loopback peers are exempt from rate limits unless put in the global class.
            loopback = lt.ip_filter()
            loopback.add_rule("127.0.0.0", "127.255.255.255", 1 << lt.session.global_peer_class_id)
            ses.set_peer_class_filter(loopback)
        h = ses.add_torrent({"ti": self.info, "save_path": self.path("seed")})
        wait_for(lambda: h.status().is_seeding, 30, "S to check its data and seed")
        return ses, h, port

    def plain_tcp(self, ses):
        # btd speaks plain TCP without MSE: libtorrent would first try uTP and encryption.
        ses.apply_settings({"enable_outgoing_utp": False, "out_enc_policy": int(self.lt.enc_policy.disabled)})

    def fail_with_log(self, d, what):
        self.fail(f"{what}\n--- btd log (tail) ---\n{d.log()[-6000:]}")

    def test_btd_learns_a_seeder_from_libtorrent_pex_and_completes_from_it(self):
        lt = self.lt
        # Rate-limited so the connection lasts long enough to be seen in btd's peer list.
        s_ses, s_handle, s_port = self.seeder(upload_rate_limit=1024 * 1024)
        # A: libtorrent with its default plugins (ut_pex), holding nothing and in upload mode, so
        # it never downloads and has nothing to give btd. It dials S, so it knows S's listen port.
        a_port = free_port()
        a_ses = lt.session(lt_settings(a_port))
        self.plain_tcp(a_ses)
        os.makedirs(self.path("a"))
        a_handle = a_ses.add_torrent({"ti": self.info, "save_path": self.path("a"),
                                      "flags": lt.torrent_flags.upload_mode})
        a_handle.connect_peer(("127.0.0.1", s_port))
        wait_for(lambda: a_handle.status().num_peers >= 1, 20, "A to connect to S")

        d = Daemon(self).start()
        dl = self.path("btd")
        rpc(d.socket, "torrent.add", {"path": self.torrent, "download_dir": dl, "peers": [f"127.0.0.1:{a_port}"]})
        seen = {}  # address -> flags, of every peer btd had while downloading

        def done():
            for p in d.ctl_json("peers", self.info_hash)["peers"]:
                seen[p["address"]] = p["flags"]
            return d.ctl_json("status", self.info_hash)["torrents"][0]["state"] == "seeding"
        try:
            wait_for(done, DEADLINE, "btd to complete the download")
        except AssertionError as e:
            self.fail_with_log(d, f"{e}; peers seen: {seen}")
        s_addr = f"127.0.0.1:{s_port}"
        self.assertIn(s_addr, seen, f"btd never connected to S; peers seen: {seen}")
        self.assertNotIn("I", seen[s_addr], "S must have been dialled by btd, not the other way round")
        self.assertEqual(sha256_file(os.path.join(dl, "payload.bin")), sha256_file(self.payload))
        self.assertEqual(a_handle.status().total_payload_upload, 0, "A had nothing to give")
        self.assertGreaterEqual(s_handle.status().total_payload_upload, SIZE)
        self.assertEqual(d.stop(), 0)
        del a_ses, s_ses

    def test_libtorrent_learns_a_seeder_from_btd_pex(self):
        lt = self.lt
        # S is slow, so btd is still downloading from it (and connected) when L asks.
        s_ses, s_handle, s_port = self.seeder(upload_rate_limit=256 * 1024)
        d = Daemon(self).start()
        rpc(d.socket, "torrent.add", {"path": self.torrent, "download_dir": self.path("btd"),
                                      "peers": [f"127.0.0.1:{s_port}"]})
        wait_for(lambda: d.ctl_json("status", self.info_hash)["torrents"][0]["downloaded"] > 0, 20,
                 "btd to start downloading from S")

        l_ses = lt.session(lt_settings(free_port()))
        self.plain_tcp(l_ses)
        os.makedirs(self.path("l"))
        l_handle = l_ses.add_torrent({"ti": self.info, "save_path": self.path("l")})
        l_handle.connect_peer(("127.0.0.1", d.port()))

        def l_dialled_s():
            for p in l_handle.get_peer_info():
                if p.ip == ("127.0.0.1", s_port) and p.source & lt.peer_info.pex:
                    return p
            return None
        try:
            p = wait_for(l_dialled_s, 20, "L to connect to S, learned from btd's ut_pex")
        except AssertionError as e:
            peers = [(x.ip, x.source, x.flags) for x in l_handle.get_peer_info()]
            self.fail_with_log(d, f"{e}; L's peers: {peers}")
        self.assertTrue(p.flags & lt.peer_info.local_connection, "L dialled S")
        self.assertEqual(d.stop(), 0)
        del l_ses, s_ses

    def extension_handshake_of(self, d):
        """Dials btd as a plain BitTorrent peer offering BEP 10 and returns the payload of btd's
        extension handshake."""
        s = socket.create_connection(("127.0.0.1", d.port()), timeout=10)
        self.addCleanup(s.close)
        self.dialled = getattr(self, "dialled", 0) + 1  # a peer id of its own each time
        reserved = bytearray(8)
        reserved[5] |= 0x10  # BEP 10
        s.sendall(b"\x13BitTorrent protocol" + bytes(reserved) + bytes.fromhex(self.info_hash) + b"-XX0001-pexcheck%04d" % self.dialled)
        buf = b""
        deadline = time.time() + 10
        while time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            pos = 68  # after btd's handshake: length-prefixed messages
            while len(buf) >= pos + 4:
                n = struct.unpack(">I", buf[pos:pos + 4])[0]
                if len(buf) < pos + 4 + n:
                    break
                body = buf[pos + 4:pos + 4 + n]
                if n >= 2 and body[0] == 20 and body[1] == 0:
                    return body[2:]
                pos += 4 + n
        self.fail("btd sent no extension handshake")

    def test_the_pex_setting_turns_ut_pex_off_and_on(self):
        config = self.path("btd.json")
        with open(config, "w") as f:
            json.dump({"pex": False}, f)
        d = Daemon(self, extra_args=("--config", config)).start()
        self.assertFalse(rpc(d.socket, "session.get")["pex"])
        self.assertIn("PEX:                    off", d.ctl("settings").stdout)
        rpc(d.socket, "torrent.add", {"path": self.torrent, "download_dir": self.path("seed")})
        wait_for(lambda: d.ctl_json("status", self.info_hash)["torrents"][0]["state"] == "seeding", 30,
                 "btd to check its data and seed")
        self.assertNotIn(b"6:ut_pex", self.extension_handshake_of(d))

        d.ctl("set", "--pex", "on")
        self.assertTrue(rpc(d.socket, "session.get")["pex"])
        self.assertIn(b"6:ut_pexi", self.extension_handshake_of(d))  # a new connection offers it
        d.ctl("set", "--pex", "off")
        self.assertNotIn(b"6:ut_pex", self.extension_handshake_of(d))
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
