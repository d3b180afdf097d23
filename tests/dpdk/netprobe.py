#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
"""Frames the appliance tests need that a UDP socket cannot send.

  netprobe.py icmp DST_IP                  one echo request; exit 0 on the matching reply
  netprobe.py arp IFACE SRC_IP DST_IP      one ARP request on IFACE; exit 0 on the reply
  netprobe.py bad IFACE DST_MAC DST_IP SRC_IP DST_PORT
                                           one frame of each malformed class, then print
                                           the class names, one per line (needs root)
"""
import os
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def if_mac(iface):
    with open("/sys/class/net/%s/address" % iface) as f:
        return mac_bytes(f.read().strip())


def ip4(src, dst, proto, payload, ttl=64, flags_frag=0x4000, ihl=5, total=None, fix_csum=True):
    tot = total if total is not None else 4 * ihl + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, 0, flags_frag, ttl, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr += b"\0" * (4 * ihl - 20)
    if fix_csum:
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp(src, dst, sport, dport, payload, good_csum=True):
    h = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, 8 + len(payload))
    c = csum(ph + h + payload) or 0xFFFF
    if not good_csum:
        c ^= 0x5A5A
    return h[:6] + struct.pack("!H", c) + payload


def cmd_icmp(dst):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(2)
    ident, seq, data = os.getpid() & 0xFFFF, 7, b"nanoex-ping"
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + data), ident, seq) + data
    s.sendto(pkt, (dst, 0))
    deadline = time.time() + 2
    while time.time() < deadline:
        try:
            r, addr = s.recvfrom(2048)
        except socket.timeout:
            break
        ihl = (r[0] & 15) * 4
        t, code, _, rid, rseq = struct.unpack("!BBHHH", r[ihl:ihl + 8])
        if addr[0] == dst and t == 0 and rid == ident and rseq == seq and r[ihl + 8:] == data:
            if csum(r[ihl:]) != 0:
                print("icmp: reply with a bad checksum")
                return 1
            print("icmp: echo reply from %s" % dst)
            return 0
    print("icmp: no reply from %s" % dst)
    return 1


def cmd_arp(iface, src_ip, dst_ip):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((iface, 0))
    s.settimeout(2)
    me = if_mac(iface)
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, me, socket.inet_aton(src_ip),
                      b"\0" * 6, socket.inet_aton(dst_ip))
    s.send(b"\xff" * 6 + me + b"\x08\x06" + arp)
    deadline = time.time() + 2
    while time.time() < deadline:
        try:
            f = s.recv(2048)
        except socket.timeout:
            break
        if len(f) < 42 or f[12:14] != b"\x08\x06":
            continue
        op, sha, spa, tha, tpa = struct.unpack("!6xH6s4s6s4s", f[14:42])
        if op == 2 and spa == socket.inet_aton(dst_ip) and tha == me and f[0:6] == me:
            print("arp: %s is at %s" % (dst_ip, ":".join("%02x" % b for b in sha)))
            return 0
    print("arp: no reply for %s" % dst_ip)
    return 1


def cmd_bad(iface, dst_mac, dst_ip, src_ip, dport):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    me, dm, dport = if_mac(iface), mac_bytes(dst_mac), int(dport)
    eth = dm + me + b"\x08\x00"
    body = udp(src_ip, dst_ip, 40000, dport, b"\xeb\x50" + b"\0" * 30)
    good = ip4(src_ip, dst_ip, 17, body)
    frames = {
        # class name as the appliance counts it: the frame
        "SHORT": eth + good[:10],
        "NOT_FOR_US_MAC": b"\x02\x00\x00\x00\x00\x99" + me + b"\x08\x00" + good,
        "ETHERTYPE": dm + me + b"\x86\xdd" + good,
        "IP_CSUM": eth + good[:10] + b"\x12\x34" + good[12:],
        "IP_FRAGMENT": eth + ip4(src_ip, dst_ip, 17, body, flags_frag=0x2000),
        "IP_BAD_LEN": eth + ip4(src_ip, dst_ip, 17, body, total=1400),
        "NOT_FOR_US_IP": eth + ip4(src_ip, "10.250.0.9", 17, udp(src_ip, "10.250.0.9", 40000, dport, b"x")),
        "IP_PROTO": eth + ip4(src_ip, dst_ip, 6, b"\0" * 20),
        "UDP_CSUM": eth + ip4(src_ip, dst_ip, 17, udp(src_ip, dst_ip, 40000, dport, b"\xeb\x50" + b"\0" * 30, False)),
    }
    for name, f in frames.items():
        s.send(f)
        print(name)
        time.sleep(0.01)
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "icmp" and len(argv) == 3:
        return cmd_icmp(argv[2])
    if len(argv) >= 2 and argv[1] == "arp" and len(argv) == 5:
        return cmd_arp(*argv[2:])
    if len(argv) >= 2 and argv[1] == "bad" and len(argv) == 7:
        return cmd_bad(*argv[2:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
