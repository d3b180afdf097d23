#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# The market-data service of nanoex on net_tap, both halves:
#   1. The venue's feed. Three nxfeed subscribers join the multicast group on
#      the tap: one from the start, throwing away every 7th incremental
#      packet, every 5th snapshot packet and every 3rd retransmission
#      answer; one from the start that loses every 7th incremental packet
#      and every answer (so only snapshots can repair it); one late (it
#      joins while orders flow). nxgen sends 2 s of
#      order flow (rests, cancels, replaces, trades, IOCs). Both subscribers
#      must end with every book synced and equal, level by level (price,
#      quantity, orders), to the engine's own books (/nanoex/book), and
#      know every instrument's opening status (OPEN) from the feed; the
#      lossy one must have recovered gaps by retransmission, the deaf one
#      by snapshots.
#   2. The ITCH feed in: a MoldUDP64 source with a gap (tests/dpdk/
#      itchfeed.py) also serves retransmissions; nanoex must ask for the
#      gap, apply it, and move instrument 2's reference price to the AAPL
#      mid (3600), which the risk collar then enforces: a buy at 3000 (in
#      the collar of the configured 3000, outside that of 3600) is refused.
#      A later gap nobody answers is given up after give_up_ms.
. "$(dirname "$0")/lib.sh"
need_root
for b in nxfeed nxgen; do [ -x "$BUILD/$b" ] || skip "$BUILD/$b is not built"; done

NET=$((ID % 200 + 20))
HOST=10.96.$NET.2
GROUP=239.196.$NET.1
venue_cfg "$TMP/venue.cfg" "net = {
  ports = ( { device = \"net_tap0\"; ipv4 = \"10.96.$NET.1\"; } );
  shards = ( { lcore = 1; udp_port = 9100; instruments = [ 1, 2, 3, 4 ]; } );
  mbufs = 4095; rx_desc = 256; tx_desc = 256; idle_sleep_us = 100;
};
market_data = {
  lcore = 0;
  itch = { udp_port = 9200; session = \"TESTITCH01\"; request_server = \"$HOST:9201\";
           request_ms = 50; give_up_ms = 400; max_orders = 1024; max_levels = 1024; max_locates = 64;
           ref_interval_us = 0;
           map = ( { symbol = \"AAPL\"; instrument = 2; source = \"mid\"; px_div = 10000; } ); };
  feed = { group = \"$GROUP\"; incremental_port = 9300; snapshot_port = 9301;
           retransmit_port = 9302; snapshot_ms = 200; heartbeat_ms = 20;
           max_levels = 256; };
};"
# A load test's limits; account 1 keeps its orders when its sessions end.
load_limits "$TMP/venue.cfg"
sed -i 's/stp = "cn"; }/stp = "cn"; cancel_on_disconnect = false; }/' "$TMP/venue.cfg"

TAP=nxm$((ID % 100000)) HOST_CIDR="10.96.$NET.2/24" NX_ARGS="--stats 1"
start_nanoex "$TMP/venue.cfg" 0@0,1@1
P=nxt$ID
grep -q "market-data service on lcore 0 (main): itch in feed out" "$TMP/nanoex.log" \
	&& ok "the service runs on the main lcore" || fail "service: $(cat "$TMP/nanoex.log")"

# 1. The venue's feed.
# The subscribers run until told to stop, after the last order and a few
# snapshot cycles (--duration only bounds a run that hangs). They ran for
# fixed durations (6 s, 4 s), with about 1.5 s to spare after the last
# orders; a CI run on a busy host saw every subscriber end before them
# (regression, session 19).
SUB_MAX=60
"$BUILD/nxfeed" -c "$TMP/venue.cfg" --bind "$HOST" --duration $SUB_MAX --drop-incremental 7 \
	--drop-snapshot 5 --drop-answer 3 >"$TMP/lossy.txt" 2>&1 &
LOSSY=$!
PIDS="$PIDS $LOSSY"
# Every retransmission answer lost: its gaps are given up and its books
# rebuilt from snapshots. (The lossy one recovers by retransmission alone
# since nxfeed asks again as soon as an answer arrives, session 14.)
"$BUILD/nxfeed" -c "$TMP/venue.cfg" --bind "$HOST" --duration $SUB_MAX --drop-incremental 7 \
	--drop-answer 1 >"$TMP/deaf.txt" 2>&1 &
DEAF=$!
PIDS="$PIDS $DEAF"
sleep 0.2
taskset -c 0 "$BUILD/nxgen" -c "$TMP/venue.cfg" -H "10.96.$NET.1" -a 1 -s 2 --rate 1500 \
	-w 0 -d 2 -t 500 --idle sleep -q -o "$TMP/gen" >"$TMP/gen.txt" 2>&1 &
GEN=$!
PIDS="$PIDS $GEN"
sleep 1
"$BUILD/nxfeed" -c "$TMP/venue.cfg" --bind "$HOST" --duration $SUB_MAX --late >"$TMP/late.txt" 2>&1 &
LATE=$!
PIDS="$PIDS $LATE"
wait "$GEN" || { cat "$TMP/gen.txt"; fail "nxgen"; }
# --stats with the service on the main lcore: the summary comes from a
# thread of its own since session 16 (it was printed from the service's polling loop).
grep -Eq '^nanoex: rx [0-9]+ tx [0-9]+ orders [1-9][0-9]* fills [0-9]+$' "$TMP/nanoex.log" \
	&& ok "--stats prints its summary with the service on the main lcore" \
	|| fail "no --stats summary: $(tail -5 "$TMP/nanoex.log")"
# nxgen cancels what it left; leave a book worth comparing: levels of one and
# two orders, a level emptied by a trade.
cat >"$TMP/rest.nxc" <<NXC
connect s=r acct=1
new s=r inst=1 side=BUY qty=2 px=99000
expect s=r msg=ExecNew
new s=r inst=1 side=BUY qty=1 px=98950
expect s=r msg=ExecNew
new s=r inst=1 side=BUY qty=3 px=98950
expect s=r msg=ExecNew
new s=r inst=1 side=SELL qty=1 px=101000
expect s=r msg=ExecNew
new s=r inst=2 side=BUY qty=10 px=2990
expect s=r msg=ExecNew
new s=r inst=2 side=BUY qty=30 px=2980
expect s=r msg=ExecNew
new s=r inst=2 side=SELL qty=20 px=3010
expect s=r msg=ExecNew
connect s=t acct=900
new s=t inst=2 side=SELL qty=10 px=2990
expect s=t msg=ExecNew
expect s=t msg=ExecTrade
terminate s=t
terminate s=r
NXC
"$BUILD/nxclient" -H "10.96.$NET.1" -p 9100 -c "$TMP/venue.cfg" "$TMP/rest.nxc" >"$TMP/rest.out" 2>&1 \
	|| { cat "$TMP/rest.out"; fail "resting orders"; }
sleep 1 # a few snapshot cycles after the last order
engine_books "$P" 1 2 3 4 >>"$TMP/engine.txt"
kill -TERM "$LOSSY" "$LATE" "$DEAF" 2>/dev/null
wait "$LOSSY"
RC1=$?
wait "$LATE"
RC2=$?
wait "$DEAF"
RC3=$?
[ "$(grep -c '^book [0-9]* [ab]' "$TMP/engine.txt")" -ge 5 ] \
	&& ok "the engine's books have $(grep -c '^book [0-9]* [ab]' "$TMP/engine.txt") levels" \
	|| fail "engine books too thin: $(cat "$TMP/engine.txt") $(cat "$TMP/gen.txt")"
for who in lossy late deaf; do
	grep '^book [0-9]* [ab]' "$TMP/$who.txt" >"$TMP/$who.levels"
	case $who in lossy) rc=$RC1 ;; late) rc=$RC2 ;; *) rc=$RC3 ;; esac
	[ "$rc" = 0 ] && ! grep -q "^book [0-9]* stale" "$TMP/$who.txt" && ok "$who subscriber: every book synced" \
		|| fail "$who subscriber exit $rc: $(cat "$TMP/$who.txt")"
	# the feed opens with every instrument's status (each one's first image)
	[ "$(grep -c '^status [1-4] OPEN$' "$TMP/$who.txt")" = 4 ] \
		&& ok "$who subscriber: all 4 instruments OPEN, from the feed's status" \
		|| fail "$who subscriber's statuses: $(grep '^status' "$TMP/$who.txt")"
	if cmp -s "$TMP/engine.txt" "$TMP/$who.levels"; then
		ok "$who subscriber's books equal the engine's, level by level"
	else
		fail "$who subscriber's books differ:"
		diff "$TMP/engine.txt" "$TMP/$who.levels" | head -20
	fi
done
# recovery: give_ups G ... ; incremental: ... gaps N
GAPS=$(awk '/^incremental:/ { for (i = 1; i < NF; i++) if ($i == "gaps") print $(i + 1) }' "$TMP/lossy.txt")
SYNCS=$(awk '/^snapshot:/ { for (i = 1; i < NF; i++) if ($i == "synced") print $(i + 1) }' "$TMP/deaf.txt")
M=$(tel "$P" /nanoex/md)
[ "${GAPS:-0}" -gt 0 ] && [ "$(field "$M" feed_answers)" -gt 0 ] \
	&& ok "lossy subscriber: $GAPS gaps, $(field "$M" feed_answers) retransmission answers" \
	|| fail "no retransmission: $(grep -v '^book' "$TMP/lossy.txt") $M"
[ "${SYNCS:-0}" -gt 0 ] && ok "deaf subscriber: $SYNCS books rebuilt from snapshots" \
	|| fail "no snapshot recovery: $(grep -v '^book' "$TMP/deaf.txt")"
[ "$(field "$M" shard0_feed_dropped)" = 0 ] && ok "no book change lost between shard and publisher" \
	|| fail "feed ring: $M"
# The trade tape: nothing waited in the shard's backlog, nothing was lost,
# and the subscriber that recovers by retransmission heard no TradesLost.
TRADES=$(awk '/^trades:/ { print $3 }' "$TMP/lossy.txt")
[ "$(field "$M" shard0_trades_backlogged)" = 0 ] && [ "$(field "$M" shard0_trades_lost)" = 0 ] \
	&& [ "$(field "$M" shard0_backlog_hwm)" = 0 ] && [ "${TRADES:-0}" -gt 0 ] \
	&& grep -q '^trades: msgs [0-9]* lost_msgs 0 lost 0$' "$TMP/lossy.txt" \
	&& ok "no trade held back or lost between shard and publisher ($TRADES trades heard)" \
	|| fail "trade tape: $(grep '^trades' "$TMP/lossy.txt") $M"
# No session configured: a name of this start's own, NX + 8 base-36 digits.
SESS=$(field "$M" feed_session)
echo "$SESS" | grep -Eq '^NX[0-9A-Z]{8}$' && grep -q "feed session \"$SESS\"" "$TMP/nanoex.log" \
	&& ok "feed session named for this start: $SESS" || fail "feed session: '$SESS'"

# 2. The ITCH feed in: a gap, its retransmission, the reference price.
python3 tests/dpdk/itchfeed.py "$HOST" "10.96.$NET.1" 9200 9201 >"$TMP/itch.txt" 2>&1 \
	&& ok "ITCH gap asked for: $(cat "$TMP/itch.txt")" || fail "no retransmission request: $(cat "$TMP/itch.txt")"
sleep 0.3
M=$(tel "$P" /nanoex/md)
[ "$(field "$M" itch_msgs)" = 6 ] && [ "$(field "$M" itch_gaps)" = 1 ] && [ "$(field "$M" itch_lost_msgs)" = 0 ] \
	&& ok "ITCH: 6 messages, 1 gap, nothing lost" || fail "ITCH counters: $M"
[ "$(field "$M" ref_px.2)" = 3600 ] && [ "$(field "$M" shard0_ref_px)" -ge 1 ] \
	&& ok "reference price of instrument 2 from the AAPL mid: 3600" || fail "reference price: $M"
# A gap nobody answers is given up after give_up_ms: the two missing
# messages are counted lost, seq 9 (received past the gap and held) and
# seq 10 are applied: both orders deleted.
python3 tests/dpdk/itchfeed.py "$HOST" "10.96.$NET.1" 9200 9201 unanswered
sleep 0.3
M2=$(tel "$P" /nanoex/md)
[ "$(field "$M2" itch_give_ups)" = 1 ] && [ "$(field "$M2" itch_lost_msgs)" = 2 ] \
	&& [ "$(field "$M2" itch_msgs)" = 8 ] && [ "$(field "$M2" itch_live_orders)" = 0 ] \
	&& ok "an unanswered ITCH gap is given up: 2 lost, what came after it applied" || fail "give up: $M2"
cat >"$TMP/collar.nxc" <<NXC
connect s=c acct=2
new s=c inst=2 side=BUY qty=10 px=3000
expect s=c msg=ExecRejected reason=RISK_PRICE_COLLAR
new s=c inst=2 side=BUY qty=10 px=3500
expect s=c msg=ExecNew
terminate s=c
NXC
"$BUILD/nxclient" -H "10.96.$NET.1" -p 9100 -c "$TMP/venue.cfg" "$TMP/collar.nxc" >"$TMP/collar.out" 2>&1 \
	&& ok "the collar follows the market: 3000 refused, 3500 accepted" \
	|| { cat "$TMP/collar.out"; fail "collar"; }

stop "$NXPID" && ok "SIGTERM, exit 0" || fail "exit status"
grep -q "market data out: msgs" "$TMP/nanoex.log" && ok "final market-data counters printed" \
	|| fail "final: $(tail -5 "$TMP/nanoex.log")"
# With the venue gone, a subscriber hears nothing: its empty books are not
# the venue's. Regression (session 16): it printed them synced and exited 0.
"$BUILD/nxfeed" -c "$TMP/venue.cfg" --duration 0.3 >"$TMP/deaf0.txt" 2>&1
RC=$?
[ "$RC" = 2 ] && grep -q "nothing received from the feed" "$TMP/deaf0.txt" \
	&& ok "nxfeed that hears nothing exits 2" || fail "nxfeed with no feed: status $RC: $(tail -3 "$TMP/deaf0.txt")"
finish
