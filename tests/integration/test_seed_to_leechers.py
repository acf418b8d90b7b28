"""btd seeds to real leechers written by others: aria2c and transmission each download a
multi-file torrent (pieces crossing file boundaries, a short last piece) from btd alone, with
no other seeder and nothing public (no DHT, LPD, PEX, UPnP), and every file comes out
byte-identical. btd dials each leecher itself (torrent.add_peers), so no tracker is needed."""
import json
import os
import time
import unittest

from harness import (Daemon, rpc, TempDirTest, free_port, pattern_bytes, run, sha256_file, wait_for,
                     write_file, BTCTL)

PIECE = 32 * 1024
FILES = {  # sizes chosen so pieces straddle files and the last piece is short
    "a.bin": 7 * PIECE + 777,
    "sub/b.bin": 3 * PIECE - 5,
    "sub/deep/c.dat": 12345,
    "z.bin": 70 * PIECE + 3,
}
LEECH_TIMEOUT = 90




def listening(port):
    """Whether something listens on TCP `port` (any address), read from /proc rather than by
    connecting: transmission turns away a second connection from an address while it still
    holds a half-finished handshake from the first, so a probe connection would cost btd its dial."""
    suffix = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1].endswith(suffix) and fields[3] == "0A":
                    return True
    return False


class SeedToLeechersTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.root = self.path("seed", "payload")
        for i, (rel, size) in enumerate(FILES.items()):
            write_file(os.path.join(self.root, rel), pattern_bytes(size, 300 + i))
        self.torrent = self.path("payload.torrent")
        run([BTCTL, "create", self.root, "-o", self.torrent, "--piece-size", "32K"])
        self.info_hash = json.loads(run([BTCTL, "--json", "info", self.torrent]).stdout)["info_hash"]
        self.btd = Daemon(self).start()
        added = self.btd.ctl_json("add", self.torrent, "--dir", self.path("seed"))
        self.assertEqual(added["id"], self.info_hash)
        wait_for(lambda: self.status()["state"] == "seeding", 30, "btd to check its data and seed")
        self.assertEqual(self.status()["progress"], 1.0)

    def status(self):
        return self.btd.ctl_json("status", self.info_hash)["torrents"][0]

    def assert_payload_identical(self, download_dir):
        for rel in FILES:
            got = os.path.join(download_dir, "payload", rel)
            self.assertEqual(sha256_file(got), sha256_file(os.path.join(self.root, rel)), rel)

    def payload_identical(self, download_dir):
        for rel in FILES:
            got = os.path.join(download_dir, "payload", rel)
            if not os.path.exists(got) or os.path.getsize(got) != FILES[rel]:
                return False
            if sha256_file(got) != sha256_file(os.path.join(self.root, rel)):
                return False
        return True

    def fail_with_logs(self, what, *logs):
        text = [what]
        for path in (self.btd.log_path, *logs):
            with open(path, errors="replace") as f:
                text.append(f"--- {path} (tail) ---\n" + f.read()[-6000:])
        self.fail("\n".join(text))

    def test_aria2c_downloads_from_btd_alone(self):
        dl = self.path("aria2")
        os.makedirs(dl)
        port = free_port()
        log = self.path("aria2.log")
        aria = self.spawn([
            "aria2c", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
            "--enable-peer-exchange=false", "--seed-time=0", f"--listen-port={port}",
            f"--dht-listen-port={free_port()}", "--bt-external-ip=127.0.0.1", "--dir", dl,
            "--allow-overwrite=true", "--file-allocation=none", "--bt-tracker-connect-timeout=5",
            "--console-log-level=warn", "--summary-interval=0", "--show-console-readout=false", "--check-integrity=false",
            f"--log={self.path('aria2-debug.log')}", "--log-level=info", self.torrent,
        ], log=log)
        wait_for(lambda: listening(port) or aria.poll() is not None, 15, "aria2c to listen")
        self.assertIsNone(aria.poll(), "aria2c exited before downloading")
        rpc(self.btd.socket, "torrent.add_peers", {"id": self.info_hash, "peers": [f"127.0.0.1:{port}"]})
        deadline = time.time() + LEECH_TIMEOUT
        while aria.poll() is None:
            if time.time() > deadline:
                self.fail_with_logs(f"aria2c did not finish within {LEECH_TIMEOUT}s", log, self.path("aria2-debug.log"))
            time.sleep(0.2)
        rc = aria.returncode
        if rc != 0:
            self.fail_with_logs(f"aria2c exited {rc}", log, self.path("aria2-debug.log"))
        self.assert_payload_identical(dl)
        self.assertGreater(self.status()["uploaded"], 0)
        self.assertEqual(self.btd.stop(), 0)

    def test_transmission_downloads_from_btd_alone(self):
        dl = self.path("transmission")
        conf = self.path("transmission-conf")
        os.makedirs(dl)
        os.makedirs(conf)
        peer_port, rpc_port = free_port(), free_port()
        # Written before the first start: transmission otherwise writes its defaults (DHT, LPD,
        # UPnP on, random ports) and only reads them back on the next start.
        settings = {
            "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False, "utp-enabled": False,
            "port-forwarding-enabled": False, "bind-address-ipv4": "127.0.0.1",
            "bind-address-ipv6": "::1", "peer-port": peer_port, "peer-port-random-on-start": False,
            "rpc-port": rpc_port, "rpc-bind-address": "127.0.0.1", "rpc-whitelist-enabled": False,
            "rpc-authentication-required": False, "download-dir": dl, "incomplete-dir-enabled": False,
            "start-added-torrents": True, "ratio-limit-enabled": False, "blocklist-enabled": False,
            "message-level": 3,
        }
        with open(os.path.join(conf, "settings.json"), "w") as f:
            json.dump(settings, f)
        log = self.path("transmission.log")
        tr = self.spawn(["transmission-daemon", "-f", "-g", conf], log=log)
        remote = ["transmission-remote", f"127.0.0.1:{rpc_port}"]
        wait_for(lambda: tr.poll() is not None or run([*remote, "-l"], check=False).returncode == 0, 15,
                 "transmission-daemon's RPC")
        self.assertIsNone(tr.poll(), "transmission-daemon exited at start")
        run([*remote, "-a", self.torrent, "-w", dl])
        wait_for(lambda: listening(peer_port), 15, "transmission to listen for peers")
        # Dial once transmission has the torrent running, not while it is queued for checking.
        wait_for(lambda: "Idle" in run([*remote, "-t", "all", "-l"]).stdout, 15,
                 "transmission to check the (empty) torrent")
        rpc(self.btd.socket, "torrent.add_peers", {"id": self.info_hash, "peers": [f"127.0.0.1:{peer_port}"]})
        deadline = time.time() + LEECH_TIMEOUT
        while not self.payload_identical(dl):
            if time.time() > deadline:
                info = run([*remote, "-t", "all", "-i"], check=False).stdout
                self.fail_with_logs(f"transmission did not finish within {LEECH_TIMEOUT}s\n{info}", log)
            time.sleep(0.5)
        listing = run([*remote, "-t", "all", "-l"]).stdout
        self.assertIn("100%", listing)
        self.assertGreater(self.status()["uploaded"], 0)
        self.assertEqual(self.btd.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
