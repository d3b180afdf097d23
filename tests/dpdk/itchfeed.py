#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# A tiny ITCH 5.0 source over MoldUDP64 (written from the Nasdaq MoldUDP64
# 1.00 and TotalView-ITCH 5.0 specifications) for tests/dpdk/test_md.sh:
#
#   itchfeed.py SRC_IP DST_IP DST_PORT SERVER_PORT
#
# sends three packets to DST_IP:DST_PORT from SRC_IP, withholding the second
# (a gap), and serves MoldUDP64 retransmission requests on SRC_IP:SERVER_PORT
# until the gap has been asked for and answered (or 5 s pass). The book of
# AAPL (locate 5): packet 1 (seq 1-2) adds a bid at 2999.0000 and an offer
# at 3001.0000 (mid 3000); packet 2 (seq 3-4, withheld) deletes both;
# packet 3 (seq 5-6) adds a bid at 3599.0000 and an offer at 3601.0000.
# With the gap repaired the mid is 3600; held at the gap it stays 3000;
# skipped, the book would be crossed (no mid). Prints "answered N from S"
# for each request it answers; exits 0 once one was answered, else 1.
#
#   itchfeed.py SRC_IP DST_IP DST_PORT SERVER_PORT unanswered
#
# then continues the session with a gap nobody answers: seq 9 (7-8
# missing), and 1 s later seq 10; exits 0.
import socket
import struct
import sys
import time

SESSION = b"TESTITCH01"


def add(ref, side, shares, px):
    # 'A' Add Order: type, locate, tracking, 6-byte timestamp, ref, side,
    # shares, stock (8, space padded), price (4 implied decimals).
    ts = (34200 * 10**9).to_bytes(6, "big")
    return (b"A" + struct.pack(">HH", 5, 0) + ts + struct.pack(">Q", ref) + side +
            struct.pack(">I", shares) + b"AAPL    " + struct.pack(">I", px))


def delete(ref):
    # 'D' Order Delete: type, locate, tracking, 6-byte timestamp, ref.
    ts = (34201 * 10**9).to_bytes(6, "big")
    return b"D" + struct.pack(">HH", 5, 0) + ts + struct.pack(">Q", ref)


def packet(seq, msgs):
    body = b"".join(struct.pack(">H", len(m)) + m for m in msgs)
    return SESSION + struct.pack(">QH", seq, len(msgs)) + body


def main(argv):
    src, dst, dport, sport = argv[1], argv[2], int(argv[3]), int(argv[4])
    if len(argv) > 5 and argv[5] == "unanswered":
        feed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        feed.bind((src, 0))
        feed.sendto(packet(9, [delete(5)]), (dst, dport))
        time.sleep(1)
        feed.sendto(packet(10, [delete(6)]), (dst, dport))
        return 0
    msgs = {1: add(1, b"B", 100, 29990000), 2: add(2, b"S", 100, 30010000),
            3: delete(1), 4: delete(2),
            5: add(5, b"B", 100, 35990000), 6: add(6, b"S", 100, 36010000)}
    feed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    feed.bind((src, 0))
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((src, sport))
    server.settimeout(0.2)
    feed.sendto(packet(1, [msgs[1], msgs[2]]), (dst, dport))
    time.sleep(0.05)
    feed.sendto(packet(5, [msgs[5], msgs[6]]), (dst, dport))  # seq 3-4 withheld
    answered = 0
    deadline = time.time() + 5
    while time.time() < deadline and not answered:
        try:
            req, peer = server.recvfrom(64)
        except socket.timeout:
            continue
        if len(req) != 20 or req[:10] != SESSION:
            continue
        first, count = struct.unpack(">QH", req[10:20])
        want = [msgs[s] for s in range(first, first + count) if s in msgs]
        server.sendto(packet(first, want), peer)
        print("answered", len(want), "from", first, flush=True)
        answered += 1
    return 0 if answered else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
