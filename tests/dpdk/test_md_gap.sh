#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# One lost datagram in a live ITCH feed (tests/dpdk/steadyfeed.py: 4,000
# packets a second for 2 s, one message each, adds and deletes of AAPL
# orders alternating; seq 100 withheld once), whose retransmission server
# answers every request at once with at most 30 messages, as a MoldUDP64
# server may. The service must hold what arrives past the gap, ask again as
# soon as an answer fills part of it, and lose nothing: no give-up, no lost
# message, and the book ends with the orders the stream leaves live.
# Regression (session 14): packets past a gap were thrown away, so the gap
# grew with the live feed faster than answers filled it; after give_up_ms
# everything received meanwhile counted lost and the book kept phantom
# orders (whose mid then moved the collar's reference price).
. "$(dirname "$0")/lib.sh"
need_root

NET=$((ID % 200 + 20))
HOST=10.97.$NET.2
venue_cfg "$TMP/venue.cfg" "net = {
  ports = ( { device = \"net_tap0\"; ipv4 = \"10.97.$NET.1\"; } );
  shards = ( { lcore = 1; udp_port = 9100; instruments = [ 1, 2, 3, 4 ]; } );
  mbufs = 4095; rx_desc = 256; tx_desc = 256; idle_sleep_us = 100;
};
market_data = {
  lcore = 0;
  itch = { udp_port = 9200; session = \"TESTITCH01\"; request_server = \"$HOST:9201\";
           request_ms = 50; give_up_ms = 400; max_orders = 1024; max_levels = 1024; max_locates = 64;
           map = ( { symbol = \"AAPL\"; instrument = 2; source = \"mid\"; px_div = 10000; } ); };
};"
TAP=nxg$((ID % 100000)) HOST_CIDR="$HOST/24"

# Regression (session 14): a pool that the RX rings fill completely at
# start (2 queues x 512 descriptors of 1024 mbufs) left a port that said
# "running" and never received. It is refused at start, naming the setting.
sed -e 's/mbufs = 4095; rx_desc = 256/mbufs = 1024; rx_desc = 512/' "$TMP/venue.cfg" >"$TMP/few.cfg"
"$BUILD/nanoex" --lcores 0@0,1@1 --no-huge --no-pci -m 256 --file-prefix "nxf$ID" \
	--log-level 'pmd.net.tap:crit' --vdev="net_tap0,iface=nxf$((ID % 100000))" -- \
	--config "$TMP/few.cfg" >"$TMP/few.log" 2>&1
st=$?
rm -rf "/var/run/dpdk/nxf$ID" # the refused start's runtime directory
[ "$st" != 0 ] && grep -q 'net.mbufs 1024 is too few for 2 queue pair(s) of 512 RX and 256 TX descriptors' "$TMP/few.log" \
	&& ok "too few mbufs for the RX rings: refused at start, exit $st" \
	|| { cat "$TMP/few.log"; fail "too few mbufs (exit $st)"; }

start_nanoex "$TMP/venue.cfg" 0@0,1@1
P=nxt$ID
# The server's MAC must be known before the gap: one heartbeat first.
python3 -c "
import socket,struct
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('$HOST',0))
s.sendto(b'TESTITCH01'+struct.pack('>QH',1,0),('10.97.$NET.1',9200))"
sleep 0.2
OUT=$(python3 tests/dpdk/steadyfeed.py "$HOST" "10.97.$NET.1" 9200 9201 2 0.25 100 30)
echo "$OUT"
N=$(echo "$OUT" | awk '{print $2}')
sleep 0.5
M=$(tel "$P" /nanoex/md)
[ "$(field "$M" itch_give_ups)" = 0 ] && [ "$(field "$M" itch_lost_msgs)" = 0 ] \
	&& [ "$(field "$M" itch_msgs)" = "$N" ] \
	&& ok "a lost datagram in a live feed: $N messages, all applied, nothing given up" \
	|| fail "ITCH gap in a live feed ($N messages): $M"
[ "$(field "$M" itch_live_orders)" = $((N % 2)) ] && [ "$(field "$M" itch_orphans)" = 0 ] \
	&& ok "the book holds what the stream leaves live ($((N % 2)) orders), no orphan" \
	|| fail "book after the gap: $M"
stop "$NXPID" && ok "nanoex: SIGTERM, exit 0" || fail "nanoex exit status"
finish
