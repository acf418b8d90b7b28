"""Local service discovery (BEP 14) between two btd daemons, with no tracker, no DHT and no
peer named: the leecher finds the seeder only through the LSD multicast, and completes.

Multicast must not leave the test, so the whole test process moves into a network namespace of
its own (unshare(CLONE_NEWNET), as root) with only loopback, multicast on and a route for
239.0.0.0/8 (source 127.0.0.1); every btd it starts inherits it. A plain socket joined to the group in the same
namespace checks what btd sends: BEP 14's BT-SEARCH, the public torrent, never a private one.
Every process is killed by PID."""
import ctypes
import json
import os
import socket
import struct
import subprocess
import time
import unittest

from harness import BTCTL, Daemon, TempDirTest, pattern_bytes, rpc, run, sha256_file, wait_for, write_file

CLONE_NEWNET = 0x40000000
GROUP, PORT = "239.192.152.143", 6771
DEADLINE = 45


def enter_network_namespace():
    """Moves this process into a new network namespace with loopback up and multicast routed to
    it; None on success, else why not (the caller skips)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        return "unshare(CLONE_NEWNET) failed: " + os.strerror(ctypes.get_errno()) + " (needs root)"
    for cmd in (["ip", "link", "set", "lo", "up"], ["ip", "link", "set", "lo", "multicast", "on"],
                ["ip", "route", "add", "239.0.0.0/8", "dev", "lo", "src", "127.0.0.1"]):
        subprocess.run(cmd, check=True, capture_output=True)
    return None


class LsdTest(TempDirTest):
    @classmethod
    def setUpClass(cls):
        why = enter_network_namespace()
        if why:
            raise unittest.SkipTest(why)

    def make_torrent(self, name, seed, private=False):
        payload = self.path(name, "payload.bin")
        write_file(payload, pattern_bytes(3 * 1024 * 1024 + 77, seed))
        torrent = self.path(name + ".torrent")
        run([BTCTL, "create", payload, "-o", torrent, "--piece-size", "32K", *(["--private"] if private else [])])
        info_hash = json.loads(run([BTCTL, "--json", "info", torrent]).stdout)["info_hash"]
        return torrent, payload, info_hash

    def listener(self):
        """A socket in the group, as a second LSD client on the host would have."""
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", PORT))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                     struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton("0.0.0.0")))
        s.settimeout(0.5)
        self.addCleanup(s.close)
        return s

    def state(self, d, ih):
        return d.ctl_json("status", ih)["torrents"][0]

    def test_leecher_finds_seeder_through_lsd_and_completes(self):
        torrent, payload, ih = self.make_torrent("seed", 4242)
        private_torrent, _, private_ih = self.make_torrent("private", 4343, private=True)
        listen = self.listener()
        seed = Daemon(self, "seed", lsd=True).start()
        # The leecher names its interface (the lsd_interface setting): loopback here.
        config = self.path("leech.json")
        with open(config, "w") as f:
            json.dump({"lsd_interface": "127.0.0.1"}, f)
        leech = Daemon(self, "leech", lsd=True, extra_args=("--config", config)).start()
        self.assertTrue(rpc(seed.socket, "session.get")["lsd"])
        self.assertEqual(rpc(leech.socket, "session.get")["lsd_interface"], "127.0.0.1")

        # The seeder first: its announce finds nobody who has the torrent. The leecher's comes
        # next, the seeder answers it with its own, and the leecher dials the seeder.
        rpc(seed.socket, "torrent.add", {"path": torrent, "download_dir": self.path("seed")})
        rpc(seed.socket, "torrent.add", {"path": private_torrent, "download_dir": self.path("private")})
        wait_for(lambda: self.state(seed, ih)["state"] == "seeding" and
                 self.state(seed, private_ih)["state"] == "seeding", 20, "the seeder to check its data")

        seen = []  # (source ip, datagram) of everything multicast
        deadline = time.time() + 5
        while time.time() < deadline and not any(ih in d for _, d in seen):
            try:
                data, src = listen.recvfrom(2048)
                seen.append((src[0], data.decode("latin-1")))
            except socket.timeout:
                pass
        announce = next((d for _, d in seen if ih in d), None)
        self.assertIsNotNone(announce, f"no LSD announce of the public torrent; heard {seen}")
        self.assertTrue(announce.startswith("BT-SEARCH * HTTP/1.1\r\n"), announce)
        self.assertIn(f"\r\nPort: {seed.port()}\r\n", announce)
        self.assertIn("\r\nHost: 239.192.152.143:6771\r\n", announce)
        self.assertIn("\r\ncookie: ", announce)

        dl = self.path("leech")
        rpc(leech.socket, "torrent.add", {"path": torrent, "download_dir": dl})
        try:
            wait_for(lambda: self.state(leech, ih)["state"] == "seeding", DEADLINE, "the leecher to complete")
        except AssertionError as e:
            self.fail(f"{e}\n--- leech log ---\n{leech.log()[-4000:]}\n--- seed log ---\n{seed.log()[-4000:]}")
        self.assertEqual(sha256_file(os.path.join(dl, "payload.bin")), sha256_file(payload))
        self.assertIn(f"LSD: peer 127.0.0.1:{seed.port()}", leech.log())
        # session.stats counts it: the leecher found the seeder, both sent and heard announces.
        leech_lsd = rpc(leech.socket, "session.stats")["lsd"]
        seed_lsd = rpc(seed.socket, "session.stats")["lsd"]
        self.assertTrue(leech_lsd["enabled"])
        self.assertGreaterEqual(leech_lsd["peers_found"], 1, leech_lsd)
        self.assertGreaterEqual(leech_lsd["announces_sent"], 1, leech_lsd)
        self.assertGreaterEqual(seed_lsd["announces_sent"], 1, seed_lsd)
        self.assertGreaterEqual(seed_lsd["announces_received"], 1, seed_lsd)
        self.assertEqual(seed_lsd["bad_announces"], 0, seed_lsd)
        self.assertRegex(leech.ctl("stats").stdout, r"LSD: +\d+ announces sent, \d+ received \(0 malformed\), [1-9]\d* peers found")

        # Everything heard meanwhile: never the private torrent (BEP 27).
        while True:
            try:
                data, src = listen.recvfrom(2048)
                seen.append((src[0], data.decode("latin-1")))
            except socket.timeout:
                break
        self.assertTrue(all(private_ih not in d.lower() for _, d in seen), seen)
        self.assertEqual(seed.stop(), 0)
        self.assertEqual(leech.stop(), 0)

    def test_lsd_off_sends_nothing(self):
        torrent, _, ih = self.make_torrent("seed", 99)
        listen = self.listener()
        d = Daemon(self, "quiet").start()  # the harness default: --no-lsd
        self.assertFalse(rpc(d.socket, "session.get")["lsd"])
        rpc(d.socket, "torrent.add", {"path": torrent, "download_dir": self.path("seed")})
        wait_for(lambda: self.state(d, ih)["state"] == "seeding", 20, "btd to check its data")
        heard = []
        deadline = time.time() + 3
        while time.time() < deadline:
            try:
                heard.append(listen.recvfrom(2048)[0])
            except socket.timeout:
                pass
        self.assertEqual(heard, [])
        self.assertFalse(rpc(d.socket, "session.stats")["lsd"]["enabled"])
        self.assertIn("LSD:          off", d.ctl("stats").stdout)
        # Turned on at run time, it announces at once.
        rpc(d.socket, "session.set", {"lsd": True})
        data = None
        deadline = time.time() + 5
        while time.time() < deadline and data is None:
            try:
                data = listen.recvfrom(2048)[0]
            except socket.timeout:
                pass
        self.assertIsNotNone(data, "no announce after session.set lsd true")
        self.assertIn(ih.encode(), data.lower())


if __name__ == "__main__":
    unittest.main(verbosity=2)
