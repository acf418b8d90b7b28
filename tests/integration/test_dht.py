"""The Mainline DHT (BEP 5) against real libtorrent DHT nodes, with no tracker at all.

Everything is on 127.0.0.1: libtorrent's DHT is told not to bootstrap from public routers
(dht_bootstrap_nodes ''), and its loopback restrictions are relaxed (one node per IP, BEP 42
ids, "dark internet" addresses); btd is given one libtorrent node as its only bootstrap node.
LSD, UPnP and NAT-PMP are off. Every process is killed by PID.

  (a) btd finds a libtorrent seeder through get_peers and downloads byte-identically;
  (b) a libtorrent leecher finds btd, which announced itself, and downloads from it;
  (c) btd's node table survives a restart: with no bootstrap node it still has nodes and can
      look up;
  (d) a magnet link resolved through the DHT alone (metadata and payload);
  hostile: garbage, oversized and forged KRPC packets leave btd answering.
"""
import json
import os
import socket
import time
import unittest

from harness import (BTCTL, Daemon, TempDirTest, bencode, free_port, pattern_bytes, run, sha256_file, wait_for,
                     write_file)

PAYLOAD = 600 * 1024
DEADLINE = 60


def lt_dht_session(port, bootstrap=()):
    """A libtorrent session on 127.0.0.1 with its DHT on, bootstrapped only from `bootstrap`."""
    import libtorrent as lt
    settings = {
        "listen_interfaces": f"127.0.0.1:{port}",
        "enable_dht": True, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "dht_bootstrap_nodes": "",
        "dht_restrict_routing_ips": False, "dht_restrict_search_ips": False,
        "dht_enforce_node_id": False, "dht_prefer_verified_node_ids": False,
        "dht_ignore_dark_internet": False,
        "dht_announce_interval": 5,
        "allow_multiple_connections_per_ip": True,
        # btd speaks plain TCP: no uTP or encrypted handshake to wait out first.
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "out_enc_policy": int(lt.enc_policy.disabled),
        "alert_mask": int(lt.alert.category_t.dht_notification | lt.alert.category_t.status_notification),
    }
    ses = lt.session(settings)
    for host, p in bootstrap:
        ses.add_dht_node((host, p))
    return ses


def dht_nodes(ses):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # session.status(): still the simplest count
        return ses.status().dht_nodes


def ping_btd(port, timeout=2.0):
    """A KRPC ping to btd's DHT port: the raw answer, or None when none comes."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(bencode({"t": b"pp", "y": b"q", "q": b"ping", "a": {"id": b"p" * 20}}), ("127.0.0.1", port))
        # btd may ping us back first (a node that queries it is worth knowing): skip that.
        for _ in range(4):
            data, _ = s.recvfrom(2048)
            if b"1:t2:pp1:y1:r" in data:
                return data
        return None
    except (socket.timeout, ConnectionRefusedError):
        return None
    finally:
        s.close()


class DhtSwarm(TempDirTest):
    """Three libtorrent DHT nodes bootstrapped from each other, one of them able to seed."""

    def setUp(self):
        super().setUp()
        self.sessions = []
        self.ports = [free_port() for _ in range(3)]
        for i, port in enumerate(self.ports):
            others = [("127.0.0.1", p) for j, p in enumerate(self.ports) if j != i]
            self.sessions.append(lt_dht_session(port, others))
        wait_for(lambda: all(dht_nodes(s) >= 2 for s in self.sessions), 30, "the libtorrent nodes to know each other")

        self.data = self.path("seed")
        write_file(os.path.join(self.data, "payload.bin"), pattern_bytes(PAYLOAD, 77))
        self.torrent = self.path("payload.torrent")
        run([BTCTL, "create", os.path.join(self.data, "payload.bin"), "-o", self.torrent, "--piece-size", "32K"])
        self.info_hash = json.loads(run([BTCTL, "--json", "info", self.torrent]).stdout)["info_hash"]

    def tearDown(self):
        self.sessions.clear()  # libtorrent sessions close when the last reference goes
        super().tearDown()

    def btd(self, name="btd", bootstrap=None, state_name=None):
        bootstrap = [f"127.0.0.1:{self.ports[0]}"] if bootstrap is None else bootstrap
        config = self.path(name + ".json")
        with open(config, "w") as f:
            json.dump({"listen_address": "127.0.0.1", "dht_bootstrap_nodes": bootstrap}, f)
        return Daemon(self, name=state_name or name, dht=True, extra_args=("--config", config))

    def stats(self, d):
        return d.ctl_json("stats")["dht"]

    def fail_with_log(self, d, what):
        self.fail(f"{what}\n--- btd log (tail) ---\n{d.log()[-8000:]}")

    def lt_seed(self, ses):
        import libtorrent as lt
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(self.torrent)
        params.save_path = self.data
        handle = ses.add_torrent(params)
        wait_for(lambda: handle.status().is_seeding, 20, "libtorrent to check its data")
        return handle

    def lt_announced(self, ih_hex, timeout):
        """Waits until one of the libtorrent nodes has received an announce_peer for ih."""
        import libtorrent as lt
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for s in self.sessions:
                for a in s.pop_alerts():
                    if isinstance(a, lt.dht_announce_alert) and str(a.info_hash) == ih_hex:
                        return a.port
            time.sleep(0.2)
        return None

    def check_payload(self, directory):
        self.assertEqual(sha256_file(os.path.join(directory, "payload.bin")),
                         sha256_file(os.path.join(self.data, "payload.bin")))


class DhtDownloadTest(DhtSwarm):
    def test_a_btd_finds_a_libtorrent_seeder_through_the_dht(self):
        seeder = self.sessions[2]
        handle = self.lt_seed(seeder)
        handle.force_dht_announce()
        self.assertIsNotNone(self.lt_announced(self.info_hash, 30), "the libtorrent seeder never announced")

        d = self.btd().start()
        dl = self.path("dl")
        start = time.monotonic()
        d.ctl_json("add", self.torrent, "--dir", dl)
        try:
            wait_for(lambda: d.ctl_json("status", self.info_hash)["torrents"][0]["state"] == "seeding", DEADLINE,
                     "btd to download through the DHT")
        except AssertionError:
            self.fail_with_log(d, "btd did not complete through the DHT")
        self.check_payload(dl)
        s = self.stats(d)
        self.assertTrue(s["enabled"])
        self.assertGreater(s["nodes"], 0)
        self.assertGreater(s["peers_found"], 0)
        self.assertGreater(s["lookups_done"], 0)
        self.assertIn(f"peers for {self.info_hash[:8]}", d.log())
        print(f"btd found the seeder and completed in {time.monotonic() - start:.1f} s")
        # btctl stats shows the DHT line.
        self.assertRegex(d.ctl("stats").stdout, r"DHT: +\d+ nodes")

    def test_b_and_c_libtorrent_finds_btd_and_the_table_survives_a_restart(self):
        import libtorrent as lt
        d = self.btd().start()
        d.ctl_json("add", self.torrent, "--dir", self.data)
        wait_for(lambda: d.ctl_json("status", self.info_hash)["torrents"][0]["state"] == "seeding", 20,
                 "btd to check its data")
        port = self.lt_announced(self.info_hash, 30)
        if port is None:
            self.fail_with_log(d, "btd never announced to the libtorrent nodes")
        self.assertEqual(port, d.port())  # the TCP port, as announce_peer says

        # A leecher that knows only btd's DHT node.
        leecher = lt_dht_session(free_port(), [("127.0.0.1", d.port())])
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(self.torrent)
        dl = self.path("lt")
        params.save_path = dl
        handle = leecher.add_torrent(params)
        start = time.monotonic()
        last_announce = 0.0

        def done():
            nonlocal last_announce
            if time.monotonic() - last_announce > 3 and handle.status().num_peers == 0:
                handle.force_dht_announce()  # get_peers again until btd is found
                last_announce = time.monotonic()
            return handle.status().is_seeding
        try:
            wait_for(done, DEADLINE, "libtorrent to download from btd found through the DHT")
        except AssertionError:
            self.fail_with_log(d, f"libtorrent stopped at {handle.status().progress:.2%}")
        self.check_payload(dl)
        print(f"libtorrent found btd and completed in {time.monotonic() - start:.1f} s")
        self.assertGreater(self.stats(d)["queries_received"], 0)

        # (c) Restart with no bootstrap node: the saved table is enough to rejoin and look up.
        before = self.stats(d)["nodes"]
        self.assertGreater(before, 0)
        self.assertEqual(d.stop(), 0)
        self.assertTrue(os.path.exists(os.path.join(d.state, "dht.dat")))
        d2 = self.btd(name="btd-again", bootstrap=[], state_name="btd").start()
        try:
            wait_for(lambda: self.stats(d2)["nodes"] > 0, 20, "btd to rejoin through its saved nodes")
            # Its torrent's lookup reaches them and finds the libtorrent leecher, now a seed.
            wait_for(lambda: self.stats(d2)["peers_found"] > 0, 30, "a lookup after the restart")
        except AssertionError:
            self.fail_with_log(d2, "no DHT after a restart without bootstrap nodes")
        self.assertIn("nodes loaded from", d2.log())
        del leecher

    def test_d_magnet_through_the_dht_alone(self):
        handle = self.lt_seed(self.sessions[1])
        handle.force_dht_announce()
        self.assertIsNotNone(self.lt_announced(self.info_hash, 30), "the libtorrent seeder never announced")
        d = self.btd().start()
        dl = self.path("dl")
        add = d.ctl("--json", "add", f"magnet:?xt=urn:btih:{self.info_hash}", "--dir", dl, check=False)
        if add.returncode != 0 and "magnet" in add.stderr.lower() and "not" in add.stderr.lower():
            self.skipTest("this btd does not add magnet links yet")
        self.assertEqual(add.returncode, 0, add.stderr)
        try:
            wait_for(lambda: d.ctl_json("status", self.info_hash)["torrents"][0]["state"] == "seeding", DEADLINE,
                     "btd to fetch the metadata and download through the DHT")
        except AssertionError:
            self.fail_with_log(d, "the magnet did not complete through the DHT")
        self.check_payload(dl)


class DhtOffTest(TempDirTest):
    def test_no_dht_flag_and_session_set(self):
        d = Daemon(self).start()  # the harness passes --no-dht
        self.assertFalse(d.ctl_json("stats")["dht"]["enabled"])
        self.assertIn("DHT:          off", d.ctl("stats").stdout)
        # Turned on at run time with an empty bootstrap list (nothing leaves 127.0.0.1), then off.
        from harness import rpc
        got = rpc(d.socket, "session.set", {"dht": True, "dht_bootstrap_nodes": []})
        self.assertTrue(got["dht"])
        self.assertEqual(got["dht_bootstrap_nodes"], [])
        wait_for(lambda: d.ctl_json("stats")["dht"]["enabled"], 5, "the DHT to start")
        self.assertIsNotNone(ping_btd(d.port()))
        self.assertIn("on (0 bootstrap nodes)", d.ctl("settings").stdout)
        # Off and a new bootstrap list in one call (127.0.0.1:9, discard: nothing answers).
        got = rpc(d.socket, "session.set", {"dht": False, "dht_bootstrap_nodes": ["127.0.0.1:9"]})
        self.assertEqual((got["dht"], got["dht_bootstrap_nodes"]), (False, ["127.0.0.1:9"]))
        self.assertFalse(d.ctl_json("stats")["dht"]["enabled"])
        d.ctl("set", "--dht", "on")
        self.assertIn("on (1 bootstrap node)", d.ctl("settings").stdout)
        self.assertTrue(d.ctl_json("stats")["dht"]["enabled"])
        d.ctl("set", "--dht", "off")
        self.assertFalse(d.ctl_json("stats")["dht"]["enabled"])
        self.assertRegex(d.ctl("settings").stdout, r"DHT: +off")
        self.assertIsNone(ping_btd(d.port(), timeout=0.5))
        from harness import rpc_reply
        bad = rpc_reply(d.socket, "session.set", {"dht_bootstrap_nodes": ["no port"]})
        self.assertIn("dht_bootstrap_nodes", bad["error"]["message"])
        bad = rpc_reply(d.socket, "session.set", {"dht": "yes"})
        self.assertIn("dht", bad["error"]["message"])


class DhtHostileTest(TempDirTest):
    def test_garbage_oversized_and_forged_packets(self):
        config = self.path("c.json")
        with open(config, "w") as f:
            json.dump({"listen_address": "127.0.0.1", "dht_bootstrap_nodes": []}, f)
        d = Daemon(self, dht=True, extra_args=("--config", config)).start()
        port = d.port()
        self.assertIsNotNone(ping_btd(port))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        packets = [
            b"", b"x", b"garbage" * 10, os.urandom(1400), b"d" * 3000 + b"e" * 3000,
            b"l" * 5000,                                   # deep nesting
            b"d1:t2:aa1:y1:qe",                            # query without q/a
            bencode({"t": b"x" * 100, "y": b"q", "q": b"ping", "a": {"id": b"a" * 20}}),   # long tid
            bencode({"t": b"aa", "y": b"q", "q": b"ping", "a": {"id": b"short"}}),         # bad id
            bencode({"t": b"aa", "y": b"r", "r": {"id": b"b" * 20, "nodes": b"n" * 52}}),  # never asked
            bencode({"t": b"aa", "y": b"r", "r": {"id": b"b" * 20, "nodes": b"n" * 27}}),  # bad nodes
            bencode({"t": b"aa", "y": b"e", "e": [201]}),
            bencode({"t": b"aa", "y": b"q", "q": b"announce_peer",
                     "a": {"id": b"c" * 20, "info_hash": b"i" * 20, "port": 1, "token": b"forged"}}),
        ]
        for _ in range(3):
            for p in packets:
                s.sendto(p, ("127.0.0.1", port))
        s.sendto(os.urandom(60000), ("127.0.0.1", port))  # an oversized datagram
        # Those fill btd's socket buffer for a moment; let it read them before the flood.
        time.sleep(0.3)
        # A flood from one address meets the rate limit, and btd stays up.
        for i in range(300):
            s.sendto(bencode({"t": b"%02d" % (i % 100), "y": b"q", "q": b"ping", "a": {"id": b"f" * 20}}),
                     ("127.0.0.1", port))
        s.close()
        time.sleep(1.5)  # the per-IP bucket refills
        self.assertIsNotNone(ping_btd(port), "btd stopped answering DHT pings")
        stats = d.ctl_json("stats")["dht"]
        self.assertGreaterEqual(stats["bad_packets"], 30)
        self.assertGreater(stats["queries_dropped"], 0)
        self.assertEqual(stats["announces_received"], 0)  # a forged token stores nothing
        self.assertEqual(stats["nodes"], 0)  # unasked answers add nobody
        self.assertIsNone(d.proc.poll())


if __name__ == "__main__":
    unittest.main()
