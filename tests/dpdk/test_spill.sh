#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# One input whose replies need more datagrams than a shard's output array
# (64): a buy of 1,000 lots takes an iceberg shown 1 lot at a time, 1,000
# trades, so the maker gets 1,000 ExecTrades (over 64 datagrams) and the
# taker one for all of them (tradeCount 1000: one a price). Both venues send them all in that input (out_spills), none
# waits for a retransmission request (out_overflow 0), and their
# transcripts are identical. Regression (session 16): past 64 datagrams the
# rest was counted in out_overflow and each client saw a gap.
. "$(dirname "$0")/lib.sh"
need_root

venue_cfg "$TMP/venue.cfg"
load_limits "$TMP/venue.cfg"
cat >"$TMP/sweep.nxc" <<'EOF'
connect s=maker acct=1
connect s=taker acct=2
new s=maker inst=1 side=SELL qty=1000 display=1 px=100000
expect s=maker msg=ExecNew qty=1000 display=1
new s=taker inst=1 side=BUY qty=1000 px=100000 tif=IOC
wait ms=500
EOF

# check NAME PREFIX TRANSCRIPT
check() {
	m=$(grep -c '^< maker ExecTrade' "$3")
	t=$(grep -c '^< taker ExecTrade .* qty=1000 .* leaves=0 cum=1000 trades=1000 ' "$3")
	[ "$m" = 1000 ] && [ "$t" = 1 ] && ok "$1: 1000 ExecTrades to the maker, 1 for all 1000 to the taker" \
		|| fail "$1: maker got $m ExecTrades, taker $t of 1000 trades (1000 and 1 expected)"
	grep -q '^< maker ExecTrade seq=1001 .* leaves=0 cum=1000 ' "$3" \
		&& ok "$1: the maker's last ExecTrade is seq 1001, filled" || fail "$1: no last maker ExecTrade"
	R=$(tel "$2" /nanoex/stats)
	sp=$(field "$R" out_spills)
	ov=$(field "$R" out_overflow)
	[ "$ov" = 0 ] && [ "$sp" -ge 1 ] && ok "$1: out_spills $sp, out_overflow 0" \
		|| fail "$1: out_spills '$sp' out_overflow '$ov'"
}

start_sock "$TMP/venue.cfg"
"$BUILD/nxclient" -H 127.0.0.1 -p 9100 -c "$TMP/venue.cfg" "$TMP/sweep.nxc" >"$TMP/sock.out" 2>&1 \
	|| { cat "$TMP/sock.out"; fail "sweep against nanoex-sock"; }
check nanoex-sock "nxs$ID" "$TMP/sock.out"
stop "$SOCKPID" || fail "nanoex-sock exit status"

start_nanoex "$TMP/venue.cfg" "0@0,1@1"
"$BUILD/nxclient" -H 10.99.0.1 -p 9100 -c "$TMP/venue.cfg" "$TMP/sweep.nxc" >"$TMP/dpdk.out" 2>&1 \
	|| { cat "$TMP/dpdk.out"; fail "sweep against nanoex"; }
check nanoex "nxt$ID" "$TMP/dpdk.out"

if cmp -s "$TMP/sock.out" "$TMP/dpdk.out"; then
	ok "identical transcripts ($(grep -c '^<' "$TMP/dpdk.out") messages received)"
else
	diff "$TMP/sock.out" "$TMP/dpdk.out" | head -20
	fail "the twin's transcript differs from nanoex's"
fi
stop "$NXPID" || fail "nanoex exit status"
finish
