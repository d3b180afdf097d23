#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# Where a multicast ITCH feed may come from. With itch.group set, the
# service takes the feed as sent to the group, and unicast on the feed's
# port only from the request server (its answers); a datagram sent to the
# venue's own address from anywhere else is dropped and counted
# (itch_foreign). Regression (session 15): any host could send a MoldUDP64
# packet of the right session to the venue's address and port, and it moved
# the books, and through their mid the risk collar's reference price.
# Then a unicast feed with itch.source: taken only from that address (and
# the request server); and one without, which nanoex warns about at start.
. "$(dirname "$0")/lib.sh"
need_root

NET=$((ID % 200 + 20))
HOST=10.96.$NET.2 VENUE=10.96.$NET.1 GROUP=239.96.$NET.1
venue_cfg "$TMP/venue.cfg" "net = {
  ports = ( { device = \"net_tap0\"; ipv4 = \"$VENUE\"; } );
  shards = ( { lcore = 1; udp_port = 9100; instruments = [ 1, 2, 3, 4 ]; } );
  mbufs = 2047; rx_desc = 128; tx_desc = 128; idle_sleep_us = 100;
};
market_data = {
  lcore = 0;
  itch = { udp_port = 9200; group = \"$GROUP\"; session = \"TESTITCH01\";
           request_server = \"$HOST:9201\"; request_ms = 50; give_up_ms = 400;
           max_orders = 1024; max_levels = 1024; max_locates = 64;
           map = ( { symbol = \"AAPL\"; instrument = 2; source = \"mid\"; px_div = 10000; } ); };
};"
TAP=nxm$((ID % 100000)) HOST_CIDR="$HOST/24"
start_nanoex "$TMP/venue.cfg" 0@0,1@1
P=nxt$ID

# send.py SRC_PORT DST SEQ COUNT [SRC_IP]: a MoldUDP64 packet of COUNT adds
# of AAPL (seq SEQ on), from SRC_IP (HOST):SRC_PORT to DST:9200 (a group:
# out of the tap).
cat >"$TMP/send.py" <<PY
import socket, struct, sys
src_port, dst, seq, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
src_ip = sys.argv[5] if len(sys.argv) > 5 else "$HOST"
def add(ref, px):
    return (b"A" + struct.pack(">HH", 5, 0) + (34200 * 10**9).to_bytes(6, "big") +
            struct.pack(">Q", ref) + b"B" + struct.pack(">I", 100) + b"AAPL    " + struct.pack(">I", px))
body = b"".join(struct.pack(">H", 36) + add(seq + k, 2999_0000) for k in range(count))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((src_ip, src_port))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src_ip))
s.sendto(b"TESTITCH01" + struct.pack(">QH", seq, count) + body, (dst, 9200))
PY
python3 "$TMP/send.py" 40000 "$GROUP" 1 2 && sleep 0.3
M=$(tel "$P" /nanoex/md)
[ "$(field "$M" itch_pkts)" = 1 ] && [ "$(field "$M" itch_msgs)" = 2 ] && [ "$(field "$M" itch_foreign)" = 0 ] \
	&& ok "the feed sent to the group is taken (2 messages)" || fail "multicast feed: $M"
python3 "$TMP/send.py" 40001 "$VENUE" 3 1 && sleep 0.3
M=$(tel "$P" /nanoex/md)
[ "$(field "$M" itch_foreign)" = 1 ] && [ "$(field "$M" itch_pkts)" = 1 ] && [ "$(field "$M" itch_live_orders)" = 2 ] \
	&& ok "unicast to the venue from another port: dropped, counted itch_foreign" || fail "forged unicast: $M"
python3 "$TMP/send.py" 9201 "$VENUE" 3 1 && sleep 0.3
M=$(tel "$P" /nanoex/md)
[ "$(field "$M" itch_pkts)" = 2 ] && [ "$(field "$M" itch_live_orders)" = 3 ] && [ "$(field "$M" itch_foreign)" = 1 ] \
	&& ok "unicast from the request server's address and port: taken" || fail "request server unicast: $M"
grep -q "warning: market_data.itch is unicast" "$TMP/nanoex.log" && fail "a multicast feed warned as unicast"
stop "$NXPID" && ok "nanoex: SIGTERM, exit 0" || fail "nanoex exit status"

# A unicast feed from itch.source = HOST: another address of the host's
# side of the tap (OTHER) is refused. Regression (session 16): a unicast
# feed took any sender.
OTHER=10.96.$NET.3
sed -i "s/group = \"$GROUP\";/source = \"$HOST\";/" "$TMP/venue.cfg"
start_nanoex "$TMP/venue.cfg" 0@0,1@1
ip addr add "$OTHER/24" dev "$TAP" || fail "cannot add $OTHER"
python3 "$TMP/send.py" 40000 "$VENUE" 1 2 && sleep 0.3
M=$(tel "$P" /nanoex/md)
[ "$(field "$M" itch_msgs)" = 2 ] && [ "$(field "$M" itch_foreign)" = 0 ] \
	&& ok "unicast feed from its source: taken" || fail "unicast feed from its source: $M"
python3 "$TMP/send.py" 40000 "$VENUE" 3 1 "$OTHER" && sleep 0.3
M=$(tel "$P" /nanoex/md)
[ "$(field "$M" itch_foreign)" = 1 ] && [ "$(field "$M" itch_live_orders)" = 2 ] \
	&& ok "unicast feed from $OTHER: dropped, counted itch_foreign" || fail "unicast from another host: $M"
grep -q "warning: market_data.itch is unicast" "$TMP/nanoex.log" && fail "warned though a source is set"
stop "$NXPID" && ok "nanoex: SIGTERM, exit 0" || fail "nanoex exit status"

# Neither group nor source: every sender is taken, and nanoex says so.
sed -i "s/source = \"$HOST\";//" "$TMP/venue.cfg"
start_nanoex "$TMP/venue.cfg" 0@0,1@1
grep -q "warning: market_data.itch is unicast with no source" "$TMP/nanoex.log" \
	&& ok "a unicast feed with no source: warned at start" || fail "no warning: $(cat "$TMP/nanoex.log")"
stop "$NXPID" && ok "nanoex: SIGTERM, exit 0" || fail "nanoex exit status"
finish
