#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# The trade tape when a shard's feed ring overflows. nanoex on net_tap with
# the smallest ring (64 records) and a backlog of 16 trades; 150 sells of
# instrument 2 rest, one at each price, then one buy sweeps them all: one
# command, 150 trades and 150 level changes, far more than the ring takes
# at once. The shard must keep the trades that do not fit in its backlog,
# lose only what the backlog cannot hold, and announce that loss: an nxfeed
# subscriber from the start must count 150 trades of instrument 2, heard or
# announced lost (TradesLost), and end with every book synced and equal to
# the engine's (the levels dropped meanwhile come back by re-image).
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$BUILD/nxfeed" ] || skip "$BUILD/nxfeed is not built"

NET=$((ID % 200 + 20))
HOST=10.95.$NET.2
GROUP=239.195.$NET.1
venue_cfg "$TMP/venue.cfg" "net = {
  ports = ( { device = \"net_tap0\"; ipv4 = \"10.95.$NET.1\"; } );
  shards = ( { lcore = 1; udp_port = 9100; instruments = [ 1, 2, 3, 4 ]; } );
  mbufs = 4095; rx_desc = 256; tx_desc = 256; idle_sleep_us = 100;
};
market_data = {
  lcore = 0;
  feed = { group = \"$GROUP\"; incremental_port = 9300; snapshot_port = 9301;
           retransmit_port = 9302; snapshot_ms = 200; heartbeat_ms = 20;
           max_levels = 8; ring = 64; trade_backlog = 16; };
};"
load_limits "$TMP/venue.cfg"
TAP=nxr$((ID % 100000)) HOST_CIDR="$HOST/24"
start_nanoex "$TMP/venue.cfg" 0@0,1@1
P=nxt$ID

"$BUILD/nxfeed" -c "$TMP/venue.cfg" --bind "$HOST" --duration 20 --depth 8 >"$TMP/feed.txt" 2>&1 &
FEED=$!
PIDS="$PIDS $FEED"
sleep 0.3
{
	echo "connect s=r acct=1"
	for k in $(seq 1 150); do
		echo "new s=r inst=2 side=SELL qty=10 px=$((3000 + k))"
		echo "expect s=r msg=ExecNew"
	done
	echo "connect s=t acct=900"
	echo "new s=t inst=2 side=BUY qty=1500 px=3150"
	echo "expect s=t msg=ExecNew"
	echo "expect s=t msg=ExecTrade px=3001"
	echo "terminate s=t"
	echo "terminate s=r"
} >"$TMP/sweep.nxc"
"$BUILD/nxclient" -H "10.95.$NET.1" -p 9100 -c "$TMP/venue.cfg" "$TMP/sweep.nxc" >"$TMP/sweep.out" 2>&1 \
	&& ok "150 sells rested, one buy swept them" || { tail -5 "$TMP/sweep.out"; fail "the sweep"; }
sleep 0.5 # the backlog drained, the books re-imaged, a snapshot cycle or two
M=$(tel "$P" /nanoex/md)
KEPT=$(field "$M" shard0_trades_backlogged)
LOST=$(field "$M" shard0_trades_lost)
[ "${KEPT:-0}" -gt 0 ] && [ "$(field "$M" shard0_backlog_hwm)" = 16 ] \
	&& ok "the ring overflowed: $KEPT trades waited in the backlog (16 at most)" \
	|| fail "backlog: $M"
[ "${LOST:-0}" -gt 0 ] && [ "$(field "$M" shard0_losses_announced)" -ge 1 ] \
	&& ok "the backlog overflowed: $LOST trades lost, announced" || fail "losses: $M"
[ "$(field "$M" shard0_feed_dropped)" -gt 0 ] && [ "$(field "$M" shard0_reimages)" -ge 5 ] \
	&& ok "level changes dropped, the instrument re-imaged" || fail "re-images: $M"
engine_books "$P" 1 2 3 4 >>"$TMP/engine.txt"

# A clean stop: end of session, and nxfeed prints what it holds.
stop "$NXPID" && ok "SIGTERM, exit 0" || fail "nanoex exit: $(tail -5 "$TMP/nanoex.log")"
for _ in $(seq 1 50); do kill -0 "$FEED" 2>/dev/null || break; sleep 0.1; done
wait "$FEED"
RC=$?
[ "$RC" = 0 ] && ! grep -q '^book [0-9]* stale' "$TMP/feed.txt" && ok "subscriber: every book synced" \
	|| fail "subscriber exit $RC: $(cat "$TMP/feed.txt")"
grep '^book [0-9]* [ab]' "$TMP/feed.txt" >"$TMP/feed.levels"
cmp -s "$TMP/engine.txt" "$TMP/feed.levels" && ok "subscriber's books equal the engine's" \
	|| { fail "books differ:"; diff "$TMP/engine.txt" "$TMP/feed.levels" | head -20; }
# trades 2 N last PX QTY; trades_lost 2 M qty Q
HEARD=$(awk '$1 == "trades" && $2 == 2 { print $3 }' "$TMP/feed.txt")
ANNOUNCED=$(awk '$1 == "trades_lost" && $2 == 2 { print $3 }' "$TMP/feed.txt")
QTY=$(awk '$1 == "trades_lost" && $2 == 2 { print $5 }' "$TMP/feed.txt")
[ "${ANNOUNCED:-0}" = "$LOST" ] && [ "$((${HEARD:-0} + ${ANNOUNCED:-0}))" = 150 ] \
	&& [ "${QTY:-0}" = "$((LOST * 10))" ] \
	&& ok "the tape of instrument 2: $HEARD trades heard + $ANNOUNCED announced lost = 150" \
	|| fail "tape: heard ${HEARD:-none}, announced ${ANNOUNCED:-none} (qty ${QTY:-none}), lost $LOST: $(grep -v '^book' "$TMP/feed.txt")"
grep -q "trades_lost $LOST " "$TMP/nanoex.log" && ok "final statistics name the loss" \
	|| fail "final statistics: $(grep 'shard 0 market data' "$TMP/nanoex.log")"
finish
