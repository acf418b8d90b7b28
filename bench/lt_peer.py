#!/usr/bin/python3
"""One libtorrent peer for bench/run.py, in a process of its own so that its CPU time and
memory can be read from /proc like any other client's.

  lt_peer.py seed  TORRENT DIR   checks DIR, prints "port N" once seeding, then seeds until killed;
                                 a line "connect PORT" on stdin dials a leecher on 127.0.0.1:PORT
  lt_peer.py leech TORRENT DIR   prints "ready"; on a line "go" on stdin adds TORRENT, prints
                                 "done" once every piece is verified, then waits to be killed
  lt_peer.py check TORRENT DIR   prints "ready"; on "go" adds TORRENT over complete data in DIR,
                                 prints "done" once the check found every piece, and repeats that
                                 (force_recheck) on each further "go"

Every session uses libtorrent's high-performance seed preset, bound to 127.0.0.1 with DHT, LSD,
UPnP and NAT-PMP off, and no rate limits (loopback peers are exempt from them anyway).
"""
import sys

import libtorrent as lt


def session():
    s = lt.high_performance_seed()
    s.update({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        # TCP only, as every other client here: libtorrent dials uTP first, whose delay-based
        # congestion control holds a loopback transfer to a few MB/s.
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "announce_to_all_trackers": True, "announce_to_all_tiers": True,
        "upload_rate_limit": 0, "download_rate_limit": 0,
        "alert_mask": (lt.alert.category_t.status_notification | lt.alert.category_t.error_notification
                       | lt.alert.category_t.storage_notification),
    })
    return lt.session(s)


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def wait_seeding(ses, handle):
    """Blocks on alerts (no polling loop to add CPU time) until the torrent is a seed."""
    while True:
        st = handle.status()
        if st.is_seeding and st.state == lt.torrent_status.seeding:
            return
        ses.wait_for_alert(100)
        for a in ses.pop_alerts():
            if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                say("error " + a.message())


def main():
    mode, torrent, directory = sys.argv[1:4]
    ses = session()
    info = lt.torrent_info(torrent)
    if mode == "seed":
        h = ses.add_torrent({"ti": info, "save_path": directory})
        wait_seeding(ses, h)
        say(f"port {ses.listen_port()}")
        # Until the bench closes our stdin or kills us: "connect PORT" dials a leecher on
        # 127.0.0.1 (transmission does not dial peers on loopback that a tracker gave it).
        for line in sys.stdin:
            if line.startswith("connect "):
                h.connect_peer(("127.0.0.1", int(line.split()[1])))
        return
    say("ready")
    if sys.stdin.readline().strip() != "go":
        return
    h = ses.add_torrent({"ti": info, "save_path": directory})
    wait_seeding(ses, h)
    if mode == "leech":
        # "Finished" comes when every piece hashed, which may be before the last blocks left
        # libtorrent's buffers for the file: done is when they are written, as for the others.
        h.flush_cache()
        flushed = False
        while not flushed:
            ses.wait_for_alert(1000)
            flushed = any(isinstance(a, lt.cache_flushed_alert) for a in ses.pop_alerts())
    say("done")
    while sys.stdin.readline().strip() == "go":
        if mode != "check":
            continue
        # The state stays "seeding" until the recheck job starts: wait for its own alert.
        h.force_recheck()
        checked = False
        while not checked:
            ses.wait_for_alert(1000)
            checked = any(isinstance(a, lt.torrent_checked_alert) for a in ses.pop_alerts())
        wait_seeding(ses, h)
        say("done")

if __name__ == "__main__":
    main()
