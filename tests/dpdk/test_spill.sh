#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# One input whose replies need more datagrams than a shard's output array
# (64): a buy of 20,000 ETH-PERP takes two icebergs of 10,000 shown 10 at a
# time (1,000 slices each, the most an order may have), 2,000 trades, so the
# maker gets 2,000 ExecTrades (about 134 datagrams) and the taker one for
# all of them (tradeCount 2000: one a run). Both venues send
# them all in that input (out_spills), none waits for a retransmission
# request (out_overflow 0), and their transcripts are identical.
# Regression (session 16): past 64 datagrams the rest was counted in
# out_overflow and each client saw a gap.
. "$(dirname "$0")/lib.sh"
need_root

venue_cfg "$TMP/venue.cfg"
load_limits "$TMP/venue.cfg"
cat >"$TMP/sweep.nxc" <<'EOF'
connect s=maker acct=1
connect s=taker acct=2
new s=maker inst=2 side=SELL qty=10000 display=10 px=3000
expect s=maker msg=ExecNew qty=10000 display=10
new s=maker inst=2 side=SELL qty=10000 display=10 px=3000
expect s=maker msg=ExecNew qty=10000 display=10
new s=taker inst=2 side=BUY qty=20000 px=3000 tif=IOC
wait ms=500
EOF

# check NAME PREFIX TRANSCRIPT
check() {
	m=$(grep -c '^< maker ExecTrade' "$3")
	t=$(grep -c '^< taker ExecTrade .* qty=20000 .* leaves=0 cum=20000 trades=2000 ' "$3")
	[ "$m" = 2000 ] && [ "$t" = 1 ] && ok "$1: 2000 ExecTrades to the maker, 1 for all 2000 to the taker" \
		|| fail "$1: maker got $m ExecTrades, taker $t of 2000 trades (2000 and 1 expected)"
	grep -q '^< maker ExecTrade seq=2002 .* leaves=0 cum=10000 ' "$3" \
		&& ok "$1: the maker's last ExecTrade is seq 2002, filled" || fail "$1: no last maker ExecTrade"
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
