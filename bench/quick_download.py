#!/usr/bin/python3
"""A quick side-by-side download figure, not the full benchmark of issue 6: one libtorrent
seeder on loopback, then the same torrent downloaded by btd and by a libtorrent leecher in the
same run. Prints wall time, MiB/s and the ratio.

  bench/quick_download.py [SIZE_MIB] [BUILD_DIR]
"""
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import libtorrent as lt

size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 256
build = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "build"))
btd, btctl = os.path.join(build, "daemon", "btd"), os.path.join(build, "cli", "btctl")
tmp = tempfile.mkdtemp(prefix="btd-bench-")
procs = []


def lt_session(**extra):
    s = lt.high_performance_seed()
    s.update({"listen_interfaces": "127.0.0.1:0", "enable_dht": False, "enable_lsd": False,
              "enable_upnp": False, "enable_natpmp": False, "allow_multiple_connections_per_ip": True,
              "alert_mask": 0})
    s.update(extra)
    return lt.session(s)


try:
    src = os.path.join(tmp, "seed", "payload.bin")
    os.makedirs(os.path.dirname(src))
    with open(src, "wb") as f:
        block = os.urandom(1 << 20)
        for i in range(size_mib):
            f.write(hashlib.sha256(block + i.to_bytes(4, "little")).digest() * (1 << 15))
    torrent = os.path.join(tmp, "payload.torrent")
    subprocess.run([btctl, "create", src, "-o", torrent, "--piece-size", "256K"], check=True, capture_output=True)
    seeder = lt_session()
    h = seeder.add_torrent({"ti": lt.torrent_info(torrent), "save_path": os.path.dirname(src)})
    while not h.status().is_seeding:
        time.sleep(0.05)
    seed_addr = f"127.0.0.1:{seeder.listen_port()}"
    results = {}

    # btd
    sock = os.path.join(tmp, "btd.sock")
    p = subprocess.Popen([btd, "--state-dir", os.path.join(tmp, "state"), "--socket", sock, "--listen-port", "0",
                          "--log-level", "warning"])
    procs.append(p)
    while subprocess.run([btctl, "--socket", sock, "stats"], capture_output=True).returncode != 0:
        time.sleep(0.05)
    t0 = time.time()
    ih = json.loads(subprocess.run([btctl, "--socket", sock, "--json", "add", torrent, "--dir", os.path.join(tmp, "btd-dl"),
                                    "--peer", seed_addr], check=True, capture_output=True).stdout)["id"]
    while json.loads(subprocess.run([btctl, "--socket", sock, "--json", "status", ih], capture_output=True).stdout)["torrents"][0]["state"] != "seeding":
        time.sleep(0.02)
    results["btd"] = time.time() - t0
    p.terminate()
    p.wait()

    # libtorrent leecher
    leech = lt_session()
    t0 = time.time()
    lh = leech.add_torrent({"ti": lt.torrent_info(torrent), "save_path": os.path.join(tmp, "lt-dl")})
    lh.connect_peer(("127.0.0.1", seeder.listen_port()))
    while not lh.status().is_seeding:
        time.sleep(0.02)
    results["libtorrent"] = time.time() - t0
    del leech

    for name, secs in results.items():
        print(f"{name:12s} {secs:7.2f} s  {size_mib / secs:8.1f} MiB/s")
    print(f"btd / libtorrent throughput ratio: {results['libtorrent'] / results['btd']:.2f}")
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
    shutil.rmtree(tmp, ignore_errors=True)
