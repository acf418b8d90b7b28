#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/: a few small valid (and nearly valid)
inputs per target, so the fuzzers start from inputs that reach deep into the parsers.
Re-run after changing it; the output is deterministic. Usage: fuzz/make_seeds.py"""
import base64
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def benc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(benc(k) + benc(x) for k, x in items) + b"e"
    raise TypeError(v)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def u32(n):
    return struct.pack(">I", n)


def msg(mid, payload=b""):
    return u32(len(payload) + 1) + bytes([mid]) + payload


# ---- bencode ----------------------------------------------------------------------------
write("bencode", "int", b"i-9223372036854775808e")
write("bencode", "list", b"l4:spami42eli0eee")
write("bencode", "dict", benc({"bar": "spam", "foo": 42, "nested": {"a": [1, 2, {"b": ""}]}}))
write("bencode", "unsorted_trailing", b"d3:fooi1e3:bari2ee\n")

# ---- metainfo ---------------------------------------------------------------------------
single = {"name": "a.txt", "piece length": 16384, "length": 20000,
          "pieces": hashlib.sha1(b"1").digest() + hashlib.sha1(b"2").digest()}
write("metainfo", "single", benc({"announce": "http://t.example/announce",
                                  "creation date": 1700000000, "info": single}))
multi = {"name": "dir", "piece length": 32768,
         "files": [{"length": 1000, "path": ["a", "b.bin"]},
                   {"length": 31768, "path": [".pad", "31768"], "attr": "p"},
                   {"length": 5, "path": ["c"], "path.utf-8": ["c"]}],
         "pieces": hashlib.sha1(b"x").digest() * 2, "private": 1}
write("metainfo", "multi", benc({"announce-list": [["udp://t:1/a", "http://u/b"], ["http://v/c"]],
                                 "comment": "hi", "url-list": ["http://w/"], "info": multi}))
hybrid = dict(single, **{"meta version": 2, "file tree": {"a.txt": {"": {"length": 20000}}}})
write("metainfo", "hybrid", benc({"info": hybrid, "created by": "mktorrent"}))

# ---- magnet -----------------------------------------------------------------------------
h = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
write("magnet", "hex", ("magnet:?xt=urn:btih:%s&dn=Some+Name%%20here&tr=http%%3A%%2F%%2Ft%%2Fa"
                        "&tr.1=udp://u:80&ws=http://w/&x.pe=1.2.3.4:6881&x.pe=[::1]:080&so=0,2,4-6" % h).encode())
write("magnet", "base32", b"magnet:?xt=urn:btih:" + base64.b32encode(bytes.fromhex(h)) + b"&dn=x#frag")
write("magnet", "btmh", b"magnet:?xt=urn:btmh:1220abcd&xt=urn:btih:" + h.encode())

# ---- wire -------------------------------------------------------------------------------
reserved = bytes([0, 0, 0, 0, 0, 0x10, 0, 0x05])
handshake = b"\x13BitTorrent protocol" + reserved + hashlib.sha1(b"t").digest() + b"-BT0001-123456789012"
ext = benc({"m": {"ut_metadata": 2, "ut_pex": 1}, "v": "libtorrent 2.0", "reqq": 250, "p": 6881,
            "yourip": bytes([127, 0, 0, 1]), "metadata_size": 1234})
messages = (msg(20, b"\x00" + ext) + msg(5, b"\xff\xc0") + msg(4, u32(3)) + msg(1) + msg(2) +
            msg(6, u32(0) + u32(0) + u32(16384)) + msg(7, u32(9) + u32(0) + b"abc") +
            msg(8, u32(0) + u32(0) + u32(16384)) + msg(9, b"\x1a\xe1") + u32(0) +
            msg(13, u32(1)) + msg(14) + msg(15) + msg(16, u32(1) + u32(0) + u32(16384)) +
            msg(17, u32(2)) + msg(20, b"\x02" + benc({"msg_type": 0, "piece": 0})) + msg(99, b"zz"))
write("wire", "handshake_and_messages", handshake + messages)
write("wire", "messages", messages)
write("wire", "extension_handshake", msg(20, b"\x00" + ext) + msg(0))

# ---- peer_connection: config byte, read size byte, then the peer's stream ---------------
# config: bit0/1 fast ours/theirs, bit2/3 extensions ours/theirs, bit4 unchoke, bit5 serve
# requests, bits 6-7 torrent shape (0: 10 x 32 KiB, last 1000 bytes; 3: 4 x 32 KiB, last 1 byte).
last_block_g3 = msg(7, u32(3) + u32(0) + b"Z")
last_block_g0 = msg(7, u32(9) + u32(0) + b"y" * 1000)
stream = (msg(20, b"\x00" + ext) + msg(5, b"\xf0") + msg(1) + msg(2) +
          msg(6, u32(0) + u32(0) + u32(16384)) + last_block_g3 + msg(4, u32(3)) +
          msg(8, u32(0) + u32(0) + u32(16384)) + msg(0) + last_block_g3)
write("peer_connection", "basic_shape3", bytes([0xFF, 7]) + stream)
write("peer_connection", "fast_shape3", bytes([0xC3 | 0x10, 63]) +
      msg(14) + msg(17, u32(1)) + msg(13, u32(2)) + msg(16, u32(0) + u32(0) + u32(16384)) +
      msg(6, u32(0) + u32(16384) + u32(16384)) + last_block_g3 + msg(15) + msg(0))
write("peer_connection", "plain_shape0", bytes([0x30, 200]) + msg(5, b"\xff\xc0") + msg(1) +
      last_block_g0 + msg(6, u32(9) + u32(0) + u32(1000)) + msg(3))

# ---- tracker_http -----------------------------------------------------------------------
write("tracker_http", "compact", benc({"interval": 1800, "min interval": 60, "complete": 3,
                                       "incomplete": 1, "tracker id": "x",
                                       "peers": bytes([127, 0, 0, 1, 0x1a, 0xe1, 10, 0, 0, 2, 0, 0]),
                                       "peers6": bytes(15) + b"\x01\x1a\xe1"}))
write("tracker_http", "dict_peers", benc({"interval": 5, "warning message": "w",
                                          "peers": [{"ip": "1.2.3.4", "port": 80, "peer id": "a" * 20},
                                                    {"ip": "::ffff:1.2.3.4", "port": 81},
                                                    {"ip": "host.name", "port": 82}]}) + b"\n")
write("tracker_http", "failure", benc({"failure reason": "torrent not registered", "interval": 99}))
write("tracker_http", "scrape", benc({"files": {hashlib.sha1(b"a").digest():
                                                {"complete": 1, "downloaded": 2, "incomplete": 3},
                                                b"short": {"complete": 4}}}))

# ---- tracker_udp: config byte (bit 0: IPv6; bits 1-7: hashes scraped), then the packet --
tid = u32(0xDEADBEEF)
write("tracker_udp", "connect", b"\x00" + u32(0) + tid + struct.pack(">Q", 0x0123456789ABCDEF))
write("tracker_udp", "announce4", b"\x00" + u32(1) + tid + u32(1800) + u32(2) + u32(5) +
      bytes([127, 0, 0, 1, 0x1a, 0xe1, 8, 8, 8, 8, 0, 0]))
write("tracker_udp", "announce6", b"\x01" + u32(1) + tid + u32(10) + u32(0) + u32(1) +
      bytes(15) + b"\x01\x1a\xe1")
write("tracker_udp", "scrape", bytes([2 << 1]) + u32(2) + tid + u32(1) + u32(2) + u32(3) +
      u32(4) + u32(5) + u32(6))
write("tracker_udp", "error", b"\x00" + u32(3) + tid + b"torrent\tnot found\x00junk")

# ---- krpc: one DHT datagram (BEP 5) ---------------------------------------------------------
nid = b"abcdefghij0123456789"
write("krpc", "ping", benc({"t": "aa", "y": "q", "q": "ping", "a": {"id": nid}}))
write("krpc", "find_node", benc({"t": "aa", "y": "q", "q": "find_node", "a": {"id": nid, "target": nid[::-1]}}))
write("krpc", "get_peers", benc({"t": "aa", "y": "q", "q": "get_peers", "a": {"id": nid, "info_hash": nid[::-1]}}))
write("krpc", "announce", benc({"t": "aa", "y": "q", "q": "announce_peer",
                                "a": {"id": nid, "info_hash": nid[::-1], "port": 6881, "implied_port": 1,
                                      "token": "12345678"}}))
write("krpc", "reply", benc({"t": "aa", "y": "r", "ip": b"\x7f\x00\x00\x01\x1a\xe1",
                             "r": {"id": nid, "token": "tok", "nodes": nid + b"\x0a\x00\x00\x01\x1a\xe1",
                                   "values": [b"\x01\x02\x03\x04\x00\x50"]}}))
write("krpc", "error", benc({"t": "aa", "y": "e", "e": [201, "A Generic Error Ocurred"]}))

# ---- rpc --------------------------------------------------------------------------------
write("rpc", "requests", b'{"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":[1,2.5,null,"x"]}}\n'
      b'{"jsonrpc":"2.0","id":"s","method":"fail"}\r\n'
      b'{"jsonrpc":"2.0","method":"echo","params":[1]}\n'
      b'{"jsonrpc":"2.0","id":null,"method":"later","params":{}}\n'
      b'{"jsonrpc":"2.0","id":7,"method":"nope"}\n')
write("rpc", "batch", b'[{"jsonrpc":"2.0","id":1,"method":"later"},{"jsonrpc":"2.0","method":"drops"},'
      b'{"jsonrpc":"2.0","id":2,"method":"throws"},5,{"jsonrpc":"1.0","id":3,"method":"echo"}]\n[]\n')
write("rpc", "bad", b'{"jsonrpc":"2.0","id":1,"method":"echo","params":"x"}\n{"a":\n\xff\xfe\n'
      b'[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]\n'
      b'{"jsonrpc":"2.0","id":1e400,"method":"echo"}')

# ---- mse: the fields of a peer's MSE messages (fuzz/fuzz_mse.cpp reads them in this order) ----
IA = b"\x13BitTorrent protocol" + b"\0" * 8 + b"s" * 20 + b"-LT2080-abcdefghijkl"
# responder: side 0, flags 0x18 (accept plaintext and RC4, prefer plaintext), PadA 16, provide 3,
# PadC 0, IA, 5 bytes after, then read sizes
write("mse", "responder_plaintext", b"\x00\x18" + struct.pack(">HIH", 16, 3, 0) + bytes([len(IA)]) + IA +
      b"\x05hello" + bytes([3, 40, 0, 90, 7]))
write("mse", "responder_rc4", b"\x00\x10" + struct.pack(">HIH", 512, 2, 512) + bytes([len(IA)]) + IA +
      b"\x05hello" + bytes([255, 1, 2, 3]))
# initiator: side 1, flags 3 (offer both), PadB 32, select 1, PadD 0, 4 bytes after, read sizes
write("mse", "initiator_plaintext", b"\x01\x03" + struct.pack(">HIH", 32, 1, 0) + b"\x04abcd" + bytes([5, 60, 1]))
write("mse", "initiator_rc4", b"\x01\x02" + struct.pack(">HIH", 512, 2, 512) + b"\x04abcd" + bytes([200, 9]))
