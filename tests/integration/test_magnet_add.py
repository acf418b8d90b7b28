"""btd given only a magnet link: it fetches the info dict from peers (BEP 9 over BEP 10), checks it
against the info-hash, stores it, and downloads as for a .torrent. Peers come from the link's
tracker (`tr`, a real opentracker) or its `x.pe` addresses; the seeder is libtorrent. Also: a
restart while fetching resumes from the stored link, a restart after the fetch needs no peer at
all, and scripted hostile peers (a 2 GiB metadata_size, pieces out of range) are dropped while a
good peer still serves. Everything on 127.0.0.1; every process is killed by PID."""
import base64
import hashlib
import os
import socket
import struct
import threading
import time
import unittest
import urllib.parse

import libtorrent as lt

from harness import (Daemon, TempDirTest, bencode, free_port, lt_session, pattern_bytes, rpc, rpc_reply,
                     sha256_file, start_opentracker, wait_for, write_file)

PIECE = 32 * 1024
# 300 files with long names make the info dict span several 16 KiB metadata pieces (the fetch
# needs more than one request, and the last piece is short); two larger files cross pieces.
FILES = {f"names/file-with-a-long-name-so-the-info-dict-grows-{i:04d}.txt": 100 + 7 * i for i in range(300)}
FILES["big/a.bin"] = 9 * PIECE + 1234
FILES["big/b.bin"] = 5 * PIECE - 17
DEADLINE = 60


def make_torrent(test, tracker_url=None):
    root = test.path("seed", "payload")
    for i, (rel, size) in enumerate(FILES.items()):
        write_file(os.path.join(root, rel), pattern_bytes(size, 900 + i))
    fs = lt.file_storage()
    lt.add_files(fs, root)
    ct = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v1_only)
    if tracker_url:
        ct.add_tracker(tracker_url)
    lt.set_piece_hashes(ct, os.path.dirname(root))
    path = test.path("payload.torrent")
    with open(path, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    return path, root


def magnet(info_hash, name=None, trackers=(), peers=()):
    uri = f"magnet:?xt=urn:btih:{info_hash}"
    if name:
        uri += "&dn=" + urllib.parse.quote(name)
    for t in trackers:
        uri += "&tr=" + urllib.parse.quote(t, safe="")
    for p in peers:
        uri += "&x.pe=" + p
    return uri


class MagnetTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.sessions = []

    def tearDown(self):
        for ses in self.sessions:
            ses.pause()
        self.sessions.clear()
        super().tearDown()

    def seeder(self, torrent, root, upload_rate_limit=0):
        port = free_port()
        ses = lt_session(port, upload_rate_limit)
        self.sessions.append(ses)
        h = ses.add_torrent({"ti": lt.torrent_info(torrent), "save_path": os.path.dirname(root)})
        wait_for(lambda: h.status().is_seeding, 30, "libtorrent to check its data and seed")
        return ses, h, port

    def status(self, d, info_hash):
        return d.ctl_json("status", info_hash)["torrents"][0]

    def fail_with_log(self, d, what):
        self.fail(f"{what}\n--- btd log (tail) ---\n{d.log()[-6000:]}")

    def wait_state(self, d, info_hash, states, timeout, what):
        try:
            return wait_for(lambda: (lambda st: st if st["state"] in states else None)(self.status(d, info_hash)),
                            timeout, what)
        except AssertionError:
            self.fail_with_log(d, f"{what}: still {self.status(d, info_hash)['state']}")

    def check_payload(self, dl, root):
        for rel in FILES:
            self.assertEqual(sha256_file(os.path.join(dl, "payload", rel)), sha256_file(os.path.join(root, rel)), rel)

    def check_fetching(self, st, info_hash, name):
        """What status shows before the metadata is in: every documented field, typed."""
        self.assertEqual(st["state"], "fetching_metadata")
        self.assertEqual(st["id"], info_hash)
        self.assertEqual(st["name"], name)
        self.assertEqual(st["progress"], 0.0)
        for key in ("size", "piece_length", "pieces", "pieces_have", "downloaded", "uploaded", "download_rate",
                    "upload_rate", "peers", "seeds", "downloaded_total", "uploaded_total"):
            self.assertIsInstance(st[key], int, key)
        self.assertEqual((st["size"], st["pieces"], st["pieces_have"]), (0, 0, 0))
        self.assertIsNone(st["eta_s"])
        self.assertIsNone(st["error"])
        self.assertIsInstance(st["trackers"], list)

    def test_a_magnet_with_a_tracker_fetches_the_metadata_and_downloads(self):
        port = free_port()
        url = f"http://127.0.0.1:{port}/announce"
        torrent, root = make_torrent(self, url)
        info_hash = str(lt.torrent_info(torrent).info_hashes().v1)
        start_opentracker(self, [info_hash], port)
        # Slow at first, so the fetching_metadata state lasts long enough to be seen.
        ses, h, seed_port = self.seeder(torrent, root, upload_rate_limit=10000)
        h.force_reannounce()
        d = Daemon(self).start()
        dl = self.path("downloads")
        added = d.ctl_json("add", magnet(info_hash, "shown until the metadata comes", trackers=[url]), "--dir", dl)
        self.assertEqual(added, {"id": info_hash, "name": "shown until the metadata comes", "duplicate": False})
        self.check_fetching(self.status(d, info_hash), info_hash, "shown until the metadata comes")
        st = self.status(d, info_hash)
        self.assertEqual([t["url"] for t in st["trackers"]], [url])
        wait_for(lambda: self.status(d, info_hash)["peers"] >= 1, 30, "btd to find the seeder through the tracker")
        self.assertEqual(self.status(d, info_hash)["state"], "fetching_metadata")
        self.assertGreaterEqual(d.ctl_json("stats")["peers"], 1)  # session totals count fetching peers
        self.assertEqual([p["address"] for p in d.ctl_json("peers", info_hash)["peers"]], [f"127.0.0.1:{seed_port}"])
        ses.apply_settings({"upload_rate_limit": 0})
        st = self.wait_state(d, info_hash, ("seeding",), DEADLINE, "btd to fetch the metadata and download")
        self.assertEqual(st["name"], "payload")
        self.assertEqual(st["size"], sum(FILES.values()))
        self.assertEqual(st["progress"], 1.0)
        self.check_payload(dl, root)
        self.assertTrue(any(t["status"] == "working" for t in st["trackers"]), st["trackers"])
        self.assertIn("metadata received", d.log())
        # Stored as an added .torrent would be: the same info dict, byte for byte.
        stored = os.path.join(d.state, "torrents", info_hash + ".torrent")
        self.assertEqual(bytes(lt.torrent_info(stored).info_section()), bytes(lt.torrent_info(torrent).info_section()))
        self.assertEqual(d.stop(), 0)

    def test_b_a_magnet_with_x_pe_and_no_tracker(self):
        torrent, root = make_torrent(self)
        info_hash = str(lt.torrent_info(torrent).info_hashes().v1)
        _, _, seed_port = self.seeder(torrent, root)
        d = Daemon(self).start()
        dl = self.path("downloads")
        uri = magnet(info_hash, peers=[f"127.0.0.1:{seed_port}"])
        added = d.ctl_json("add", uri, "--dir", dl)
        self.assertEqual(added["id"], info_hash)
        self.assertFalse(added["duplicate"])
        self.assertIn(added["name"], (info_hash, "payload"))  # the hex hash until the metadata comes
        # The same torrent again, as a magnet or as a .torrent: a duplicate, nothing changes.
        self.assertTrue(d.ctl_json("add", uri)["duplicate"])
        self.assertTrue(d.ctl_json("add", torrent)["duplicate"])
        self.assertEqual(d.ctl_json("stats")["torrents"], 1)
        st = self.wait_state(d, info_hash, ("seeding",), DEADLINE, "btd to fetch the metadata from x.pe and download")
        self.assertEqual(st["name"], "payload")
        self.check_payload(dl, root)
        self.assertEqual(d.stop(), 0)

    def test_c_restarts_resume_the_fetch_and_never_fetch_twice(self):
        torrent, root = make_torrent(self)
        info_hash = str(lt.torrent_info(torrent).info_hashes().v1)
        dead = free_port()  # nothing listens there
        d = Daemon(self).start()
        dl = self.path("downloads")
        d.ctl_json("add", magnet(info_hash, "waiting", peers=[f"127.0.0.1:{dead}"]), "--dir", dl)
        self.check_fetching(self.status(d, info_hash), info_hash, "waiting")
        self.assertEqual(d.stop(), 0)
        torrents = os.path.join(d.state, "torrents")
        self.assertTrue(os.path.exists(os.path.join(torrents, info_hash + ".magnet")))
        self.assertFalse(os.path.exists(os.path.join(torrents, info_hash + ".torrent")))

        # Restarted while fetching: it fetches again, from the stored link, into the same dir.
        d.start()
        st = self.status(d, info_hash)
        self.check_fetching(st, info_hash, "waiting")
        self.assertEqual(st["download_dir"], dl)
        # get-piece works on a magnet added a moment ago: checked and answered once the metadata is in.
        replies = {}

        def get_piece(key, index):
            replies[key] = rpc_reply(d.socket, "torrent.get_piece", {"id": info_hash, "index": index,
                                                                      "timeout_ms": 30000}, timeout=40)
        waiting = [threading.Thread(target=get_piece, args=("ok", 3)),
                   threading.Thread(target=get_piece, args=("out of range", 100000))]
        for t in waiting:
            t.start()
        time.sleep(0.3)
        _, _, seed_port = self.seeder(torrent, root)
        rpc(d.socket, "torrent.add_peers", {"id": info_hash, "peers": [f"127.0.0.1:{seed_port}"]})
        self.wait_state(d, info_hash, ("downloading", "seeding", "checking"), 30, "btd to fetch the metadata")
        for t in waiting:
            t.join(40)
        ti = lt.torrent_info(torrent)
        self.assertIn("result", replies["ok"], replies["ok"])
        self.assertEqual(replies["ok"]["result"]["sha1"], ti.hash_for_piece(3).hex())
        self.assertEqual(hashlib.sha1(base64.b64decode(replies["ok"]["result"]["data"])).hexdigest(),
                         ti.hash_for_piece(3).hex())
        self.assertEqual(replies["out of range"]["error"]["code"], 5, replies["out of range"])
        wait_for(lambda: os.path.exists(os.path.join(torrents, info_hash + ".torrent")), 10,
                 "the fetched metadata to be stored")
        self.assertEqual(d.stop(), 0)

        # Restarted after the fetch, with the seeder gone: name and files at once, no fetch.
        for ses in self.sessions:
            ses.pause()
        log_before = len(d.log())
        d.start()
        st = self.status(d, info_hash)
        self.assertNotEqual(st["state"], "fetching_metadata")
        self.assertEqual(st["name"], "payload")
        self.assertEqual(st["size"], sum(FILES.values()))
        files = d.ctl_json("files", info_hash)["files"]
        self.assertEqual(sorted(f["path"] for f in files), sorted("payload/" + rel for rel in FILES))
        self.assertNotIn("fetching its metadata", d.log()[log_before:])
        self.assertEqual(d.stop(), 0)

    def test_d_hostile_metadata_peers_are_dropped_and_a_good_peer_still_serves(self):
        torrent, root = make_torrent(self)
        info_hash = str(lt.torrent_info(torrent).info_hashes().v1)
        huge = HostilePeer(bytes.fromhex(info_hash), {"m": {"ut_metadata": 3}, "metadata_size": 2 ** 31})
        out_of_range = HostilePeer(bytes.fromhex(info_hash), {"m": {"ut_metadata": 3}, "metadata_size": 40000},
                                   answer=lambda piece: (bencode({"msg_type": 1, "piece": 1000, "total_size": 40000})
                                                         + b"z" * 16384))
        d = Daemon(self).start()
        pid = d.proc.pid
        dl = self.path("downloads")
        d.ctl_json("add", magnet(info_hash, "hostile", peers=[f"127.0.0.1:{huge.port}", f"127.0.0.1:{out_of_range.port}"]),
                   "--dir", dl)
        try:
            wait_for(lambda: huge.outcome and out_of_range.outcome, 20, "btd to deal with both hostile peers")
        except AssertionError:
            self.fail_with_log(d, f"hostile peers: {huge.outcome!r}, {out_of_range.outcome!r}")
        self.assertEqual(huge.outcome, "closed by btd")
        self.assertEqual(out_of_range.outcome, "closed by btd")
        self.assertTrue(out_of_range.requested, "btd never asked the second hostile peer for a piece")
        log = d.log()
        self.assertIn("metadata_size 2147483648 exceeds the limit", log)
        self.assertIn("ut_metadata message", log)
        self.assertIsNone(d.proc.poll())
        self.check_fetching(self.status(d, info_hash), info_hash, "hostile")
        # A good peer named now still gets the whole torrent through.
        _, _, seed_port = self.seeder(torrent, root)
        rpc(d.socket, "torrent.add_peers", {"id": info_hash, "peers": [f"127.0.0.1:{seed_port}"]})
        self.wait_state(d, info_hash, ("seeding",), DEADLINE, "btd to fetch from the good peer and download")
        self.check_payload(dl, root)
        self.assertEqual(d.proc.pid, pid)
        self.assertEqual(d.stop(), 0)


class HostilePeer:
    """A scripted peer listening on 127.0.0.1: it answers btd's handshake with the extension bit,
    sends `ext` as its BEP 10 handshake, answers ut_metadata requests with answer(piece), and
    records whether btd closes the connection (within 10 s)."""

    def __init__(self, info_hash, ext, answer=None):
        self.info_hash = info_hash
        self.ext = ext
        self.answer = answer
        self.requested = []
        self.outcome = None
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        self.server.settimeout(30)
        try:
            conn, _ = self.server.accept()
        except OSError as e:
            self.outcome = f"never dialled: {e}"
            return
        finally:
            self.server.close()
        with conn:
            conn.settimeout(10)
            try:
                self.outcome = self.talk(conn)
            except (ConnectionResetError, BrokenPipeError):
                self.outcome = "closed by btd"
            except socket.timeout:
                self.outcome = "btd kept the connection open"

    def talk(self, conn):
        buf = b""

        def read(n):
            nonlocal buf
            while len(buf) < n:
                chunk = conn.recv(65536)
                if not chunk:
                    raise ConnectionResetError
                buf += chunk
            out, buf = buf[:n], buf[n:]
            return out

        theirs = read(68)
        if theirs[28:48] != self.info_hash:
            return "wrong info-hash"
        reserved = bytearray(8)
        reserved[5] |= 0x10
        conn.sendall(b"\x13BitTorrent protocol" + bytes(reserved) + self.info_hash + b"-HX0001-" + b"0" * 12)
        payload = bencode(self.ext)
        conn.sendall(struct.pack(">IBB", len(payload) + 2, 20, 0) + payload)
        btd_ut_metadata = None
        while True:
            (length,) = struct.unpack(">I", read(4))
            body = read(length)
            if length < 2 or body[0] != 20:
                continue
            if body[1] == 0:  # btd's extension handshake: the id to send ut_metadata with
                btd_ut_metadata = 2 if b"11:ut_metadatai2e" in body else None
            elif body[1] == 3 and self.answer and btd_ut_metadata:
                self.requested.append(body[2:])
                reply = self.answer(0)
                conn.sendall(struct.pack(">IBB", len(reply) + 2, 20, btd_ut_metadata) + reply)


if __name__ == "__main__":
    unittest.main(verbosity=2)
