#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# nxgen, the load generator, against nanoex on net_tap (no hugepages), over
# kernel UDP sockets, short and small:
#   1. an open-loop run of 2 s with every 150th reply datagram dropped: its
#      counts (datagrams both ways, orders, cancels, replaces, fills,
#      collar rejects, sessions, retransmitted messages) must equal nanoex's
#      own counters (/nanoex/stats), the dropped replies must show up as
#      gaps, retransmit requests and recovered messages, and the results
#      folder must hold the summary, the .hgrm files, the time series, the
#      command line and the machine facts (and plots with gnuplot);
#   2. a closed-loop run that drops every reply: each request is lost after
#      --timeout, and counted as lost;
#   3. (regressions, session 13) an open loop asked for more than one
#      request in flight can carry reports what it achieved, not its target;
#      a closed loop that loses every other reply charges the loss to the
#      lost request, not the next one; nxgen stopped long enough for the
#      venue to end its sessions ends its load at once, every request
#      counted answered or lost.
# Uses 10.97.N.0/24 (N from the PID) so it can run beside the other tests.
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$BUILD/nxgen" ] || skip "$BUILD/nxgen is not built"

NET=$((ID % 200 + 20))
venue_cfg "$TMP/venue.cfg" "net = {
  ports = ( { device = \"net_tap0\"; ipv4 = \"10.97.$NET.1\"; } );
  shards = ( { lcore = 1; udp_port = 9100; instruments = [ 1, 2, 3, 4 ]; } );
  mbufs = 2047; rx_desc = 256; tx_desc = 256; idle_sleep_us = 100;
};"
# Limits a load test does not hit: throttling, positions and open orders.
load_limits "$TMP/venue.cfg"
# The prefetch hints at any depth (threshold 1), over the bursts of a
# sustained load: the counts must match all the same.
sed -i 's/^book = { /book = { prefetch_min_orders = 1; /' "$TMP/venue.cfg"
grep -q 'prefetch_min_orders = 1' "$TMP/venue.cfg" || fail "no book line to give hints in"

# nanoex on a tap and subnet of our own, so it can run beside the other tests.
TAP=nxg$((ID % 100000)) HOST_CIDR="10.97.$NET.2/24"
start_nanoex "$TMP/venue.cfg" 0@0,1@1
P=nxt$ID

# counts.txt value: cnt FILE NAME
cnt() { awk -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' "$1"; }
same() { # same WHAT OURS THEIRS
	if [ "$2" = "$3" ]; then ok "$1: nxgen $2 = nanoex $3"; else fail "$1: nxgen $2, nanoex $3"; fi
}

# 1. Open loop, 4 sessions over 2 accounts, replies dropped now and then.
OUT=$TMP/open
if taskset -c 0 "$BUILD/nxgen" -c "$TMP/venue.cfg" -H "10.97.$NET.1" -a 1,2 -s 4 --rate 2000 \
	-w 0.3 -d 2 -t 500 --idle sleep --drop-every 150 -q -o "$OUT" >"$TMP/open.txt" 2>"$TMP/open.err"; then
	ok "open loop ran: $(grep '^nxgen name=' "$TMP/open.txt" | cut -d' ' -f7-13)"
else
	cat "$TMP/open.txt" "$TMP/open.err"; fail "nxgen open loop"; finish
fi
C=$OUT/counts.txt
S=$(tel "$P" /nanoex/stats)
[ -n "$S" ] || { fail "no answer from telemetry"; finish; }
same "datagrams to the venue" "$(cnt "$C" dgrams_out)" "$(field "$S" rx_dgrams)"
same "datagrams from the venue" "$(cnt "$C" dgrams_in)" "$(field "$S" tx_dgrams)"
same "new orders" "$(( $(cnt "$C" sent_new) + $(cnt "$C" sent_aggressive) + $(cnt "$C" sent_ioc) + $(cnt "$C" sent_reject) ))" \
	"$(field "$S" orders)"
same "cancels" "$(cnt "$C" sent_cancel)" "$(field "$S" cancels)"
same "replaces" "$(cnt "$C" sent_replace)" "$(field "$S" replaces)"
same "fills (ExecTrade tradeCounts)" "$(cnt "$C" fills)" "$(field "$S" fills)"
same "collar rejects" "$(cnt "$C" reject_RISK_PRICE_COLLAR)" "$(field "$S" reject_RISK_PRICE_COLLAR 0)"
same "sessions established" "$(cnt "$C" sessions)" "$(field "$S" sessions_established)"
same "messages retransmitted" "$(cnt "$C" recovered)" "$(field "$S" retransmitted)"
[ "$(cnt "$C" sent_reject)" -gt 0 ] && [ "$(cnt "$C" msg_ExecTrade)" -gt 0 ] && [ "$(cnt "$C" sent_replace)" -gt 0 ] \
	&& ok "the mix traded, replaced and failed risk" || fail "mix: $(cat "$C")"
d=$(cnt "$C" dropped_test)
if [ "$d" -gt 0 ] && [ "$(cnt "$C" gaps)" -gt 0 ] && [ "$(cnt "$C" rt_requests)" -gt 0 ] && [ "$(cnt "$C" recovered)" -gt 0 ]; then
	ok "$d dropped replies: $(cnt "$C" gaps) gaps, $(cnt "$C" rt_requests) retransmit requests, $(cnt "$C" recovered) messages recovered"
else
	fail "lost replies not recovered: $(cat "$C")"
fi
ms=$(cnt "$C" measured_sent)
ma=$(cnt "$C" measured_answered)
ml=$(cnt "$C" measured_lost)
[ "$ms" -gt 3000 ] && [ $((ma + ml)) = "$ms" ] && ok "measured: $ms sent = $ma answered + $ml lost" \
	|| fail "measured sent $ms, answered $ma, lost $ml"
for f in summary.txt latency.hgrm latency_new.hgrm send_lag.hgrm timeseries.csv cmdline.txt machine.txt plot.gp; do
	[ -s "$OUT/$f" ] || fail "results: $f missing"
done
rows=$(($(wc -l <"$OUT/timeseries.csv") - 1))
[ "$rows" -ge 2 ] && ok "results folder complete, $rows seconds of time series" || fail "timeseries: $rows rows"
grep -q '^#\[Max' "$OUT/latency.hgrm" && ok "latency.hgrm in HdrHistogram's format" || fail "latency.hgrm format"
grep -q '^cpu.model:' "$OUT/machine.txt" && grep -q '^io.backend: sock' "$OUT/machine.txt" \
	&& ok "machine facts recorded" || fail "machine.txt: $(head -5 "$OUT/machine.txt")"
if command -v gnuplot >/dev/null 2>&1; then
	[ -s "$OUT/latency_distribution.svg" ] && [ -s "$OUT/latency_over_time.svg" ] && ok "plots drawn" \
		|| fail "plots missing with gnuplot installed"
else
	ok "gnuplot not installed: plots skipped ($(grep -c gnuplot "$TMP/open.err") note)"
fi

# 2. Closed loop, one session, every reply dropped: each request is lost.
if taskset -c 0 "$BUILD/nxgen" -c "$TMP/venue.cfg" -H "10.97.$NET.1" -a 1 -s 1 -w 0 -d 0.5 -t 100 \
	--idle sleep --drop-every 1 -q -o "$TMP/lost" >"$TMP/lost.txt" 2>&1; then
	C=$TMP/lost/counts.txt
	ms=$(cnt "$C" measured_sent)
	[ "$ms" -ge 2 ] && [ "$(cnt "$C" measured_lost)" = "$ms" ] && [ "$(cnt "$C" measured_answered)" = 0 ] \
		&& ok "every reply dropped: $ms requests, all counted lost" || fail "lost: $(cat "$C")"
else
	cat "$TMP/lost.txt"; fail "nxgen with every reply dropped"
fi

# 3a. Open loop, window 1, at 200k/s: a round trip bounds it far below.
taskset -c 0 "$BUILD/nxgen" -c "$TMP/venue.cfg" -H "10.97.$NET.1" -a 1 -s 1 -w 0 -d 0.5 \
	--rate 200000 --window 1 --arrival const --idle sleep -q >"$TMP/behind.txt" 2>&1
PCT=$(sed -n 's/.*achieved of 200000\/s target (\([0-9.]*\)%).*/\1/p' "$TMP/behind.txt")
awk -v p="${PCT:-100}" 'BEGIN { exit !(p < 50) }' \
	&& ok "open loop behind its schedule reports it: ${PCT}% of the target achieved" \
	|| fail "achieved rate: $(grep -E 'throughput|measured' "$TMP/behind.txt")"
# 3b. Closed loop, every other reply dropped, 100 ms timeout: the answered
# requests' median is a round trip (plus a recovery), not the timeout.
taskset -c 0 "$BUILD/nxgen" -c "$TMP/venue.cfg" -H "10.97.$NET.1" -a 1 -s 1 -w 0 -d 1 -t 100 \
	--idle sleep --drop-every 2 -q >"$TMP/half.txt" 2>&1
P50=$(sed -n 's/^nxgen name=.* p50_us=\([0-9.]*\) .*/\1/p' "$TMP/half.txt")
awk -v p="${P50:-1e9}" 'BEGIN { exit !(p < 50000) }' \
	&& ok "closed loop with losses: p50 ${P50} us, below the 100 ms timeout" \
	|| fail "closed-loop p50 ${P50}: $(grep '^nxgen name' "$TMP/half.txt")"
# 3c. nxgen paused past the venue's keepalive: both sessions terminated.
taskset -c 0 "$BUILD/nxgen" -c "$TMP/venue.cfg" -H "10.97.$NET.1" -a 1 -s 2 -w 0 -d 6 \
	--rate 2000 --keepalive 100 --idle sleep -q >"$TMP/down.txt" 2>&1 &
GP=$!
sleep 0.7
kill -STOP $GP; sleep 1.5; kill -CONT $GP
T0=$(date +%s)
wait $GP
T1=$(date +%s)
L=$(grep '^nxgen name' "$TMP/down.txt")
S3=$(echo "$L" | sed -n 's/.* sent=\([0-9]*\) answered=\([0-9]*\) lost=\([0-9]*\) .*/\1 \2 \3/p')
set -- $S3
[ $((T1 - T0)) -le 2 ] && [ -n "$1" ] && [ "$1" = $(($2 + $3)) ] && grep -q "ended every session" "$TMP/down.txt" \
	&& ok "sessions ended by the venue: the load stops ($((T1 - T0)) s), sent $1 = $2 answered + $3 lost" \
	|| fail "sessions ended: $((T1 - T0)) s after resume; $L"

stop "$NXPID" && ok "nanoex stopped, exit 0" || fail "nanoex exit status"
finish
