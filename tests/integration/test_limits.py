"""Rate and connection limits at run time, and the config file: btd downloading from a
python3-libtorrent seeder under a global download limit (btctl set) keeps near the limit and
finishes fast once the limit is lifted; a per-torrent limit (btctl set ID) does the same; btd
seeding to a libtorrent leecher respects an upload limit; a config file sets limits and the log
level, SIGHUP applies an edited file (and keeps the running settings when the file is bad), and
an unknown key makes btd exit 2 naming it. Everything on 127.0.0.1, no tracker: btd dials the
seeder, the leecher dials btd."""
import json
import signal
import time
import unittest

import libtorrent as lt

from harness import (BTD, rpc_reply, BTCTL, Daemon, TempDirTest, free_port, lt_session, pattern_bytes, run, sha256_file,
                     wait_for, write_file)

PIECE = 64 * 1024
SIZE = 3 * 1024 * 1024 + 12345
LIMIT = 512 * 1024




class LimitsTest(TempDirTest):
    def make_payload(self):
        self.root = self.path("seed", "payload.bin")
        write_file(self.root, pattern_bytes(SIZE, 4242))
        self.torrent = self.path("payload.torrent")
        run([BTCTL, "create", self.root, "-o", self.torrent, "--piece-size", "64K"])
        self.info_hash = json.loads(run([BTCTL, "--json", "info", self.torrent]).stdout)["info_hash"]

    def lt_seeder(self):
        port = free_port()
        ses = lt_session(port)
        h = ses.add_torrent({"ti": lt.torrent_info(self.torrent), "save_path": self.path("seed")})
        wait_for(lambda: h.status().is_seeding, 30, "libtorrent to check its data and seed")
        return ses, port

    def status(self, d):
        return d.ctl_json("status", self.info_hash)["torrents"][0]

    def measure_limited_download(self, d, limit):
        """Samples `downloaded` until half the payload is in; returns (elapsed since the first
        byte, bytes in that time)."""
        first = wait_for(lambda: (lambda st: (time.monotonic(), st["downloaded"]) if st["downloaded"] > 0 else None)(
            self.status(d)), 20, "the first bytes")
        half = SIZE // 2
        last = wait_for(lambda: (lambda st: (time.monotonic(), st["downloaded"]) if st["downloaded"] >= half else None)(
            self.status(d)), 20, "half the payload", interval=0.05)
        return last[0] - first[0], last[1] - first[1]

    def assert_near_limit(self, elapsed, got, limit):
        rate = got / elapsed
        # The lower bound is what the issue asks (80 % of the time the limit implies); the upper
        # one allows the burst and the last refill's rounding.
        self.assertGreaterEqual(elapsed, got / limit * 0.8, f"{got} bytes in {elapsed:.2f}s = {rate:.0f} B/s")
        self.assertLessEqual(rate, limit * 1.25, f"{got} bytes in {elapsed:.2f}s")
        self.assertGreaterEqual(rate, limit * 0.5, f"{got} bytes in {elapsed:.2f}s")
        return rate

    def finish_fast(self, d, seconds):
        start = time.monotonic()
        wait_for(lambda: self.status(d)["state"] == "seeding", seconds, "the download to finish without a limit")
        self.assertEqual(sha256_file(self.path("dl", "payload.bin")), sha256_file(self.root))
        return time.monotonic() - start

    def test_global_download_limit_then_lifted(self):
        self.make_payload()
        ses, port = self.lt_seeder()
        d = Daemon(self).start()
        out = d.ctl_json("set", "--down-limit", "512K")
        self.assertEqual(out["download_rate_limit"], LIMIT)
        self.assertEqual(d.ctl_json("settings")["download_rate_limit"], LIMIT)
        d.ctl("add", self.torrent, "--dir", self.path("dl"), "--peer", f"127.0.0.1:{port}")
        elapsed, got = self.measure_limited_download(d, LIMIT)
        rate = self.assert_near_limit(elapsed, got, LIMIT)
        d.ctl("set", "--down-limit", "0")
        rest = self.finish_fast(d, 10)
        print(f"\nglobal limit {LIMIT} B/s: measured {rate:.0f} B/s over {elapsed:.1f}s; "
              f"the rest ({SIZE - got} bytes) took {rest:.1f}s unlimited")
        self.assertEqual(d.stop(), 0)
        del ses

    def test_per_torrent_download_limit(self):
        self.make_payload()
        ses, port = self.lt_seeder()
        d = Daemon(self).start()
        d.ctl("add", self.torrent, "--dir", self.path("dl"), "--paused", "--peer", f"127.0.0.1:{port}")
        out = d.ctl_json("set", self.info_hash[:10], "--down-limit", "512K", "--max-peers", "7")
        self.assertEqual(out, {"id": self.info_hash, "download_rate_limit": LIMIT, "upload_rate_limit": 0,
                               "max_connections": 7})
        st = self.status(d)
        self.assertEqual((st["download_rate_limit"], st["upload_rate_limit"], st["max_connections"]), (LIMIT, 0, 7))
        self.assertEqual(d.ctl_json("settings")["download_rate_limit"], 0)  # the daemon's stays unlimited
        # Wrong types and negative values are refused naming the parameter.
        for params, name in [({"download_rate_limit": -1}, "download_rate_limit"),
                             ({"upload_rate_limit": "1M"}, "upload_rate_limit"),
                             ({"max_connections": 1.5}, "max_connections")]:
            reply = rpc_reply(d.socket, "torrent.set", {"id": self.info_hash, **params})
            self.assertEqual(reply["error"]["code"], -32602, reply)
            self.assertIn(f'"{name}"', reply["error"]["message"])
        d.ctl("resume", self.info_hash)
        elapsed, got = self.measure_limited_download(d, LIMIT)
        rate = self.assert_near_limit(elapsed, got, LIMIT)
        out = d.ctl_json("set", self.info_hash, "--down-limit", "0", "--max-peers", "0")
        self.assertEqual((out["download_rate_limit"], out["max_connections"]), (0, None))
        rest = self.finish_fast(d, 10)
        print(f"\nper-torrent limit {LIMIT} B/s: measured {rate:.0f} B/s over {elapsed:.1f}s; rest {rest:.1f}s")
        self.assertEqual(d.stop(), 0)
        del ses

    def test_upload_limit_with_libtorrent_leecher(self):
        self.make_payload()
        d = Daemon(self).start()
        d.ctl("add", self.torrent, "--dir", self.path("seed"))
        wait_for(lambda: self.status(d)["state"] == "seeding", 30, "btd to check its data and seed")
        d.ctl("set", "--up-limit", "512K")
        ses = lt_session(free_port())
        h = ses.add_torrent({"ti": lt.torrent_info(self.torrent), "save_path": self.path("leech")})
        h.connect_peer(("127.0.0.1", d.port()))
        wait_for(lambda: h.status().total_wanted_done > 0, 20, "the leecher's first bytes")
        t0, b0 = time.monotonic(), h.status().total_wanted_done
        half = SIZE // 2
        wait_for(lambda: h.status().total_wanted_done >= half, 20, "half the payload at the leecher", interval=0.05)
        elapsed, got = time.monotonic() - t0, h.status().total_wanted_done - b0
        rate = self.assert_near_limit(elapsed, got, LIMIT)
        d.ctl("set", "--up-limit", "0")
        wait_for(lambda: h.status().is_seeding, 15, "the leecher to finish once the limit is lifted")
        self.assertEqual(sha256_file(self.path("leech", "payload.bin")), sha256_file(self.root))
        print(f"\nupload limit {LIMIT} B/s: libtorrent received {rate:.0f} B/s over {elapsed:.1f}s")
        self.assertEqual(d.stop(), 0)
        del ses

    def test_config_file_and_sighup(self):
        config = self.path("btd.json")

        def write_config(values):
            with open(config, "w") as f:
                json.dump(values, f)

        def limits():
            # The keys this test is about; settings also holds dht, lsd and others.
            keys = ("download_rate_limit", "upload_rate_limit", "log_level", "max_connections",
                    "max_connections_per_torrent")
            return {k: v for k, v in d.ctl_json("settings").items() if k in keys}
        write_config({"download_rate_limit": "1M", "upload_rate_limit": 65536, "log_level": "notice",
                      "max_connections": 100, "max_connections_per_torrent": 20})
        d = Daemon(self, extra_args=("--config", config))
        d.args.remove("--log-level")
        d.args.remove("debug")  # the log level comes from the file
        d.start()
        self.assertEqual(limits(), {"download_rate_limit": 1048576, "upload_rate_limit": 65536,
                                    "log_level": "notice", "max_connections": 100,
                                    "max_connections_per_torrent": 20})
        # Changed over RPC, then the file changes other keys: the RPC change stays.
        d.ctl("set", "--max-peers", "150")
        write_config({"download_rate_limit": "2M", "upload_rate_limit": 65536, "log_level": "debug",
                      "max_connections": 100, "max_connections_per_torrent": 30,
                      "download_dir": self.path("elsewhere")})
        d.proc.send_signal(signal.SIGHUP)
        want = {"download_rate_limit": 2097152, "upload_rate_limit": 65536, "log_level": "debug",
                "max_connections": 150, "max_connections_per_torrent": 30}
        wait_for(lambda: limits() == want, 5, "SIGHUP to apply the edited file")
        wait_for(lambda: "download_dir changed; restart btd to apply" in d.log(), 5, "the restart warning")
        # A bad file is logged and changes nothing.
        write_config({"download_rate_limit": "fast"})
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "config reload failed" in d.log(), 5, "the reload error")
        self.assertIn('"download_rate_limit" must be bytes per second', d.log())
        self.assertEqual(limits(), want)
        self.assertEqual(d.stop(), 0)

        # Unknown keys stop btd at start, like a bad flag.
        write_config({"download_rate_limit": 0, "upload_limit": 5})
        p = run([BTD, "--config", config, "--state-dir", self.path("s2"), "--socket", self.path("s2.sock")],
                check=False, timeout=10)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn('unknown key "upload_limit"', p.stderr)
        self.assertIn(config, p.stderr)
        p = run([BTD, "--config", self.path("missing.json"), "--state-dir", self.path("s2")], check=False, timeout=10)
        self.assertEqual(p.returncode, 2)
        self.assertIn("missing.json", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
