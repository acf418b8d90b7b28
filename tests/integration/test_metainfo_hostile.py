"""Hostile .torrent files are refused by `btctl info` with exit code 1, and by the daemon's
torrent.add with error 2, each with a message that names the problem; nothing is written anywhere
and the daemon goes on."""
import base64
import os
import unittest

from harness import Daemon, TempDirTest, bencode, btctl, rpc_reply

P = 16384


def multi(paths, name="t"):
    files = [{"length": 1000, "path": p} for p in paths]
    n = (1000 * len(files) + P - 1) // P
    return bencode({"info": {"name": name, "piece length": P, "pieces": b"\0" * 20 * n, "files": files}})


def single(length, piece=P, pieces=None, name="t"):
    n = (length + piece - 1) // piece if piece > 0 else 1
    return bencode({"info": {"name": name, "piece length": piece, "length": length,
                             "pieces": b"\0" * 20 * n if pieces is None else pieces}})


CASES = {
    # path traversal in every form
    "dotdot": (multi([["..", "..", "etc", "passwd"]]), "file path escapes download dir: ../../etc/passwd"),
    "dotdot_middle": (multi([["a", "..", "..", "x"]]), "escapes download dir"),
    "absolute": (multi([["", "etc", "passwd"]]), "file path is absolute: /etc/passwd"),
    "nul": (multi([["a\0b"]]), "NUL byte"),
    "name_dotdot": (single(1000, name=".."), "info.name: file path escapes download dir: .."),
    "collide": (multi([["a\x01"], ["a\x02"]]), "two files collide after sanitizing: t/a_"),
    # sizes and pieces
    "truncated_pieces": (single(100000, pieces=b"\0" * 41), "info.pieces length 41 is not a multiple of 20"),
    "count_mismatch": (single(100000, pieces=b"\0" * 20), "info.pieces lists 1 piece hashes"),
    "piece_length_0": (single(1000, piece=0, pieces=b"\0" * 20), "piece length 0 must be positive"),
    "piece_length_2_40": (single(1000, piece=2 ** 40, pieces=b"\0" * 20), "larger than the 512 MiB limit"),
    "total_2_63": (single(2 ** 63 - 1, pieces=b"\0" * 20), "overflows the torrent's total size"),
    # bencoding
    "huge_int": (b"d4:infod6:lengthi99999999999999999999999e4:name1:t12:piece lengthi16384e6:pieces20:"
                 + b"\0" * 20 + b"ee", "integer does not fit in 64 bits at byte 16"),
    "deep": (b"d7:comment" + b"l" * 101 + b"e" * 101 + b"4:info" + single(1000)[7:-1] + b"e",
             "nesting deeper than 100"),
    "unsorted_keys": (bencode({"info": {"piece length": P, "name": "t", "length": 10, "pieces": b"\0" * 20}},
                              sort_keys=False), "dict keys not sorted"),
    "duplicate_keys": (b"d4:infod6:lengthi10e6:lengthi10e4:name1:t12:piece lengthi16384e6:pieces20:"
                       + b"\0" * 20 + b"ee", "duplicate dict key \"length\""),
    "not_bencode": (b"hello world", "unexpected character 'h' at byte 0"),
    "truncated_file": (single(1000)[:-10], "bencode"),
    "no_info": (bencode({"announce": "x"}), "no info dict"),
    "v2_only": (bencode({"info": {"name": "t", "piece length": P, "meta version": 2,
                                  "file tree": {"a": {"": {"length": 10, "pieces root": b"\0" * 32}}}}}),
                "v2-only torrents (BEP 52) are not supported"),
}


class HostileTorrentTest(TempDirTest):
    def test_each_hostile_torrent_is_refused_with_a_clear_message(self):
        for name, (data, expected) in CASES.items():
            with self.subTest(case=name):
                path = self.path(name + ".torrent")
                with open(path, "wb") as f:
                    f.write(data)
                before = sorted(os.listdir(self.tmp))
                p = btctl("info", path, check=False)
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertIn(expected, p.stderr)
                self.assertEqual(p.stdout, "")
                self.assertEqual(sorted(os.listdir(self.tmp)), before)

    def test_a_sane_torrent_next_to_them_is_accepted(self):
        path = self.path("ok.torrent")
        with open(path, "wb") as f:
            f.write(single(100000))
        p = btctl("--json", "info", path)
        self.assertIn('"pieces": 7', p.stdout)

    def test_oversized_file_is_refused_before_reading(self):
        path = self.path("big.torrent")
        with open(path, "wb") as f:
            f.truncate(64 * 1024 * 1024 + 1)
        p = btctl("info", path, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("more than the limit", p.stderr)



def million_files():
    """A torrent of a million one-byte files (about 30 MB): over the 3 million token limit."""
    files = b"".join(b"d6:lengthi1e4:pathl%d:%see" % (len(str(i)), str(i).encode()) for i in range(1_000_000))
    return (b"d4:infod5:filesl" + files + b"e4:name1:t12:piece lengthi16384e6:pieces"
            + b"%d:" % (20 * 62) + b"\0" * (20 * 62) + b"ee")


class HostileTorrentAddTest(TempDirTest):
    def add(self, d, data, directory):
        params = {"metainfo": base64.b64encode(data).decode(), "download_dir": directory}
        # The million-file case is a 40 MB request line: parsing it takes seconds in the ASan
        # build on a busy machine. What is tested is the refusal, not its speed.
        return rpc_reply(d.socket, "torrent.add", params, timeout=60)

    def test_torrent_add_refuses_each_with_error_2_and_changes_nothing(self):
        d = Daemon(self).start()
        dl = self.path("dl")
        os.makedirs(dl)
        cases = dict(CASES)
        cases["million_files"] = (million_files(), "more than 3000000")
        for name, (data, expected) in cases.items():
            with self.subTest(case=name):
                reply = self.add(d, data, dl)
                self.assertIn("error", reply, reply)
                self.assertEqual(reply["error"]["code"], 2, reply)
                self.assertIn(expected, reply["error"]["message"])
        self.assertEqual(d.ctl_json("status")["torrents"], [])
        self.assertEqual(os.listdir(dl), [])
        self.assertEqual(os.listdir(os.path.join(d.state, "torrents")), [])

    def test_a_symlinked_directory_in_the_download_dir_is_refused(self):
        d = Daemon(self).start()
        dl = self.path("dl")
        outside = self.path("outside")
        os.makedirs(outside)
        os.makedirs(os.path.join(dl, "t"))
        os.symlink(outside, os.path.join(dl, "t", "sub"))  # dl/t/sub -> outside
        data = multi([["sub", "passwd"], ["ok.bin"]])
        reply = self.add(d, data, dl)
        self.assertEqual(reply["error"]["code"], 2, reply)
        self.assertIn("symbolic link", reply["error"]["message"])
        self.assertIn(os.path.join(dl, "t", "sub"), reply["error"]["message"])
        self.assertEqual(os.listdir(outside), [])
        # The same torrent into a clean directory is fine.
        self.assertFalse(self.add(d, data, self.path("clean")).get("error"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
