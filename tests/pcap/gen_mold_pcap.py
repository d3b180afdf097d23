#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# Write tests/pcap/mold_gap.pcap: a small ITCH 5.0 session over MoldUDP64,
# built from the specifications (Nasdaq TotalView-ITCH 5.0, MoldUDP64 1.00,
# the libpcap file format), for nxitch's pcap path. Deterministic: running
# it again gives the same bytes (tests/pcap/test_nxitch.sh checks that).
#
# The session, packet by packet (sequence numbers of its messages):
#   1-3    S start of messages, R AAPL (locate 1), R MSFT (locate 2)
#   4-6    A AAPL buy 100 @150.0000 (ref 1), A AAPL sell 200 @150.0500 (ref 2),
#          F MSFT buy 50 @300.0000 (ref 3)
#   hb 7   a heartbeat
#   7-8    A AAPL buy 300 @149.9900 (ref 4), E ref 1 40 shares
#   7-8    the same packet again (a duplicate)
#   -      an ARP frame, and a UDP datagram to port 9999 that is not MoldUDP64
#   12-13  X ref 2 50 shares, A MSFT sell 10 @300.1000 (ref 5)
#          (9-11 never sent on this wire: D ref 4, S start of market hours,
#          A AAPL buy 1 @1.0000 ref 99 -- a gap of 3, lost)
#   14-15  U ref 5 -> ref 6 20 @300.0500, P MSFT 100 @300.0200
#   end 16 end of session
# Resulting books: AAPL bids 149.9900 x300 (1), 150.0000 x60 (1) -- best
# 150.0000; asks 150.0500 x150 (1). MSFT bid 300.0000 x50, ask 300.0500 x20.
#
# Usage: gen_mold_pcap.py [OUT]   (default: mold_gap.pcap beside this script)
import os
import struct
import sys

SESSION = b"NXTEST0001"
PORT = 26400
SRC_MAC = bytes.fromhex("020000000002")
DST_MAC = bytes.fromhex("01005e000101")   # an IPv4 multicast MAC (239.0.1.1)
SRC_IP = bytes([10, 0, 0, 2])
DST_IP = bytes([239, 0, 1, 1])
TS0 = 34200 * 10**9                     # 09:30:00 in ns since midnight


def hdr(t, locate, ts):
    return struct.pack(">cHH", t, locate, 0) + ts.to_bytes(6, "big")


def sym(s):
    return s.encode().ljust(8)


def S(code, ts):
    return hdr(b"S", 0, ts) + code


def R(locate, s, ts):
    return (hdr(b"R", locate, ts) + sym(s) + b"QN" + struct.pack(">I", 100) +
            b"NC" + b"  " + b"PNN1N" + struct.pack(">I", 0) + b"N")


def A(locate, ref, side, shares, s, px, ts):
    return (hdr(b"A", locate, ts) + struct.pack(">Q", ref) + side + struct.pack(">I", shares) +
            sym(s) + struct.pack(">I", px))


def F(locate, ref, side, shares, s, px, ts):
    return b"F" + A(locate, ref, side, shares, s, px, ts)[1:] + b"NXEX"


def E(locate, ref, shares, match, ts):
    return hdr(b"E", locate, ts) + struct.pack(">QIQ", ref, shares, match)


def X(locate, ref, shares, ts):
    return hdr(b"X", locate, ts) + struct.pack(">QI", ref, shares)


def U(locate, old, new, shares, px, ts):
    return hdr(b"U", locate, ts) + struct.pack(">QQII", old, new, shares, px)


def P(locate, shares, s, px, match, ts):
    return (hdr(b"P", locate, ts) + struct.pack(">Q", 0) + b"B" + struct.pack(">I", shares) +
            sym(s) + struct.pack(">IQ", px, match))


LENGTHS = {b"S": 12, b"R": 39, b"A": 36, b"F": 40, b"E": 31, b"X": 23, b"U": 35, b"P": 44}


def mold(seq, msgs=None, count=None):
    if count is None:
        count = len(msgs)
    out = SESSION + struct.pack(">QH", seq, count)
    for m in msgs or []:
        assert len(m) == LENGTHS[m[:1]], (m[:1], len(m))
        out += struct.pack(">H", len(m)) + m
    return out


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp_frame(payload, dport=PORT):
    udp = struct.pack(">HHHH", 40000, dport, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     SRC_IP, DST_IP)
    ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
    return DST_MAC + SRC_MAC + b"\x08\x00" + ip + udp


def arp_frame():
    arp = struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, SRC_MAC, SRC_IP,
                      b"\0" * 6, bytes([10, 0, 0, 1]))
    return b"\xff" * 6 + SRC_MAC + b"\x08\x06" + arp


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "mold_gap.pcap")
    t = TS0
    pk_7_8 = mold(7, [A(1, 4, b"B", 300, "AAPL", 1499900, t + 500),
                      E(1, 1, 40, 1, t + 600)])
    frames = [
        udp_frame(mold(1, [S(b"O", t), R(1, "AAPL", t + 10), R(2, "MSFT", t + 20)])),
        udp_frame(mold(4, [A(1, 1, b"B", 100, "AAPL", 1500000, t + 100),
                           A(1, 2, b"S", 200, "AAPL", 1500500, t + 200),
                           F(2, 3, b"B", 50, "MSFT", 3000000, t + 300)])),
        udp_frame(mold(7, count=0)),
        udp_frame(pk_7_8),
        udp_frame(pk_7_8),
        arp_frame(),
        udp_frame(b"not moldudp64", dport=9999),
        udp_frame(mold(12, [X(1, 2, 50, t + 1200),
                            A(2, 5, b"S", 10, "MSFT", 3001000, t + 1300)])),
        udp_frame(mold(14, [U(2, 5, 6, 20, 3000500, t + 1400),
                            P(2, 100, "MSFT", 3000200, 2, t + 1500)])),
        udp_frame(mold(16, count=0xFFFF)),
    ]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1577716200, 1000 * i, len(fr), len(fr)))
            f.write(fr)


if __name__ == "__main__":
    main()
