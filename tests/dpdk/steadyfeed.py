#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# A steady MoldUDP64 ITCH source for tests/dpdk/test_md_gap.sh.
#
#   steadyfeed.py SRC DST DPORT SPORT SECONDS INTERVAL_MS DROP_SEQ CAP
#
# Sends one packet every INTERVAL_MS for SECONDS, one message each: seq 2k-1
# adds AAPL order k (bid 100.00 / ask 101.00 alternating), seq 2k deletes it,
# so a receiver that applies everything ends with 0 live orders. The packet
# numbered DROP_SEQ is withheld once (one lost datagram). Every request on
# SRC:SPORT is answered at once with one packet of at most CAP messages (a
# MoldUDP64 answer is one downstream packet; a server may return fewer
# messages than asked). Prints what it did.
import select
import socket
import struct
import sys
import time

SESSION = b"TESTITCH01"


def msg(seq):
    k = (seq + 1) // 2
    ts = (34200 * 10**9).to_bytes(6, "big")
    if seq % 2:
        side = b"B" if k % 2 else b"S"
        px = 1000000 if k % 2 else 1010000
        return (b"A" + struct.pack(">HH", 5, 0) + ts + struct.pack(">Q", k) + side +
                struct.pack(">I", 100) + b"AAPL    " + struct.pack(">I", px))
    return b"D" + struct.pack(">HH", 5, 0) + ts + struct.pack(">Q", k)


def packet(seq, n):
    body = b"".join(struct.pack(">H", len(m)) + m for m in (msg(s) for s in range(seq, seq + n)))
    return SESSION + struct.pack(">QH", seq, n) + body


def answer(server, seq, cap):
    """Answer one request with one packet of at most cap messages below seq:
    the messages sent, or None for a datagram that is not a request."""
    req, peer = server.recvfrom(64)
    if len(req) != 20 or req[:10] != SESSION:
        return None
    first, count = struct.unpack(">QH", req[10:20])
    n = min(count, cap, seq - first)
    if n <= 0:
        return 0
    server.sendto(packet(first, n), peer)
    return n


def main(argv):
    src, dst, dport, sport = argv[1], argv[2], int(argv[3]), int(argv[4])
    secs, ival, drop, cap = float(argv[5]), float(argv[6]) / 1000, int(argv[7]), int(argv[8])
    feed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    feed.bind((src, 0))
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((src, sport))
    seq, sent, requests, answered = 1, 0, 0, 0
    start = time.time()
    nxt = start
    while True:
        now = time.time()
        if now >= nxt:
            if now - start >= secs:
                break
            if seq != drop:
                feed.sendto(packet(seq, 1), (dst, dport))
                sent += 1
            seq += 1
            nxt += ival
            continue
        r, _, _ = select.select([server], [], [], nxt - now)
        if r:
            a = answer(server, seq, cap)
            if a is not None:
                requests += 1
                answered += a
    # a last heartbeat so the receiver knows the end of the stream
    feed.sendto(SESSION + struct.pack(">QH", seq, 0), (dst, dport))
    # keep answering for a moment: the receiver may still be catching up
    end = time.time() + 1.0
    while time.time() < end:
        r, _, _ = select.select([server], [], [], 0.05)
        if r:
            a = answer(server, seq, cap)
            if a is not None:
                requests += 1
                answered += a
    print("messages", seq - 1, "packets sent", sent, "withheld seq", drop,
          "requests", requests, "messages answered", answered, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
