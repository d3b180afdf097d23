#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# Two shards on two lcores, instruments split between them, one net_tap
# port with a queue pair each. The kernel spreads flows over the tap's
# queues by hash, so frames often reach the wrong shard, which hands them
# over its sibling's steering ring (net_tap has no rte_flow here). Orders
# for each shard reach it and only it: each shard counts exactly the orders
# sent to its UDP port, and an instrument of the other shard is unknown to
# it.
. "$(dirname "$0")/lib.sh"
need_root

venue_cfg "$TMP/venue.cfg" 'net = {
  ports = ( { device = "net_tap0"; ipv4 = "10.99.0.1"; } );
  shards = ( { lcore = 1; udp_port = 9100; instruments = [ 1, 2 ]; },
             { lcore = 2; udp_port = 9101; instruments = [ 3, 4 ]; } );
  mbufs = 4095; rx_desc = 128; tx_desc = 128; idle_sleep_us = 100;
};'
start_nanoex "$TMP/venue.cfg" "0@0,1@1,2@1"
P=nxt$ID
grep -q "2 queue pair" "$TMP/nanoex.log" && ok "one queue pair per shard" || fail "queues: $(cat "$TMP/nanoex.log")"

# Shard 0 (port 9100): instruments 1 and 2; 9 orders from 3 sessions
# (different source ports, so different flow hashes).
for k in 1 2 3; do
	cat >"$TMP/s0_$k.nxc" <<NXC
connect s=a$k acct=1
new s=a$k inst=1 side=BUY qty=1 px=99000
expect s=a$k msg=ExecNew
new s=a$k inst=2 side=BUY qty=10 px=2900
expect s=a$k msg=ExecNew
new s=a$k inst=3 side=BUY qty=1 px=100000
expect s=a$k msg=ExecRejected reason=UNKNOWN_INSTRUMENT
terminate s=a$k
NXC
	"$BUILD/nxclient" -H 10.99.0.1 -p 9100 -c "$TMP/venue.cfg" "$TMP/s0_$k.nxc" >"$TMP/s0_$k.out" 2>&1 \
		|| { cat "$TMP/s0_$k.out"; fail "shard 0 session $k"; }
done
# Shard 1 (port 9101): instrument 3; 6 orders from 2 sessions.
for k in 1 2; do
	acct=2
	[ "$k" = 2 ] && acct=900 # no cancel-on-disconnect: its orders stay for the book query
	cat >"$TMP/s1_$k.nxc" <<NXC
connect s=b$k acct=$acct
new s=b$k inst=3 side=BUY qty=1 px=100000
expect s=b$k msg=ExecNew
new s=b$k inst=3 side=SELL qty=1 px=102000
expect s=b$k msg=ExecNew
new s=b$k inst=1 side=BUY qty=1 px=99000
expect s=b$k msg=ExecRejected reason=UNKNOWN_INSTRUMENT
terminate s=b$k
NXC
	"$BUILD/nxclient" -H 10.99.0.1 -p 9101 -c "$TMP/venue.cfg" "$TMP/s1_$k.nxc" >"$TMP/s1_$k.out" 2>&1 \
		|| { cat "$TMP/s1_$k.out"; fail "shard 1 session $k"; }
done

B=$(tel "$P" /nanoex/book,3)
S0=$(tel "$P" /nanoex/shard,0)
S1=$(tel "$P" /nanoex/shard,1)
# orders counts new-order requests, the refused included, by reason.
[ "$(field "$S0" orders)" = 9 ] && [ "$(field "$S0" reject_UNKNOWN_INSTRUMENT)" = 3 ] \
	&& [ "$(field "$S0" sessions_established)" = 3 ] \
	&& ok "shard 0 saw exactly its 3 sessions and 9 orders" || fail "shard 0: $S0"
[ "$(field "$S1" orders)" = 6 ] && [ "$(field "$S1" reject_UNKNOWN_INSTRUMENT)" = 2 ] \
	&& [ "$(field "$S1" sessions_established)" = 2 ] \
	&& ok "shard 1 saw exactly its 2 sessions and 6 orders" || fail "shard 1: $S1"
ok "software steering: shard 0 handed over $(field "$S0" steer_out), shard 1 $(field "$S1" steer_out) frames"
[ "$(field "$B" shard)" = 1 ] && [ "$(field "$B" bid_0)" != 0 ] && ok "book of instrument 3 lives on shard 1: $(field "$B" bid_0)" \
	|| fail "book 3: $B"
stop "$NXPID" && ok "SIGTERM, exit 0" || fail "exit status"
finish
