#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# nanoex on net_tap without hugepages, driven over plain kernel UDP sockets:
# ARP and ICMP answered; two accounts log in, trade, get risk rejects, lose a
# reply and recover it by retransmission (docs/examples/demo.nxc, its expect lines
# are the assertions); malformed frames are counted by reason and dropped
# while a session carries on; control commands work through telemetry;
# SIGTERM stops it cleanly with the final statistics.
. "$(dirname "$0")/lib.sh"
need_root

venue_cfg "$TMP/venue.cfg"
# nanoex reads it under a name that is not ASCII (checked in /nanoex/info).
CFG=$(printf '%s/v\303\251nue.cfg' "$TMP")
cp "$TMP/venue.cfg" "$CFG"
start_nanoex "$CFG" "0@0,1@1"
P=nxt$ID

python3 tests/dpdk/netprobe.py arp "$TAP" 10.99.0.2 10.99.0.1 && ok "ARP request answered" \
	|| fail "no ARP reply"
python3 tests/dpdk/netprobe.py icmp 10.99.0.1 && ok "ICMP echo answered" || fail "no ICMP echo reply"

# The scenario: its expect lines fail the run (exit 1) on any wrong reply.
if "$BUILD/nxclient" -H 10.99.0.1 -p 9100 -c "$TMP/venue.cfg" docs/examples/demo.nxc \
	>"$TMP/demo.out" 2>&1; then
	ok "scenario: login, trades, risk rejects, loss and retransmission ($(wc -l <"$TMP/demo.out") lines)"
else
	cat "$TMP/demo.out"; fail "scenario"
fi

# Malformed frames while a session is open: each is dropped under its reason,
# and the session's next order is acknowledged as if nothing happened.
cat >"$TMP/carry_on.nxc" <<'NXC'
connect s=carol acct=1
new s=carol inst=2 side=BUY qty=10 px=2990
expect s=carol msg=ExecNew cl=1
sleep ms=1500
new s=carol inst=2 side=BUY qty=10 px=2991
expect s=carol msg=ExecNew cl=2
terminate s=carol
NXC
"$BUILD/nxclient" -H 10.99.0.1 -p 9100 -c "$TMP/venue.cfg" "$TMP/carry_on.nxc" >"$TMP/carry.out" 2>&1 &
CL=$!
sleep 0.5
MAC=$(ip neigh show 10.99.0.1 dev "$TAP" | awk '{print $3; exit}')
python3 tests/dpdk/netprobe.py bad "$TAP" "$MAC" 10.99.0.1 10.99.0.2 9100 >"$TMP/bad.list" \
	|| fail "could not send the malformed frames"
if wait $CL; then ok "the session carried on through malformed frames"; else cat "$TMP/carry.out"; fail "session after malformed frames"; fi
STATS=$(tel "$P" /nanoex/shard,0)
for class in $(cat "$TMP/bad.list"); do
	n=$(field "$STATS" "drop_$class")
	[ "$n" -ge 1 ] && ok "malformed $class counted ($n)" || fail "malformed $class not counted: $STATS"
done
[ "$(field "$STATS" arp_replies)" -ge 1 ] && [ "$(field "$STATS" icmp_replies)" -ge 1 ] \
	&& ok "ARP and ICMP replies counted" || fail "ARP/ICMP counters: $STATS"
[ "$(field "$STATS" fills)" -ge 2 ] && [ "$(field "$STATS" retransmitted)" -ge 1 ] \
	&& ok "fills and retransmissions counted" || fail "engine counters: $STATS"

# Control plane: halt, refuse, reopen; a bad parameter is an error, not a crash.
R=$(tel "$P" /nanoex/status,2,halted)
[ "$(field "$R" result)" = ok ] && ok "halt through telemetry" || fail "halt: $R"
printf 'connect s=dan acct=2\nnew s=dan inst=2 side=BUY qty=10 px=2990\nexpect s=dan msg=ExecRejected reason=INSTRUMENT_HALTED\nterminate s=dan\n' \
	>"$TMP/halted.nxc"
"$BUILD/nxclient" -H 10.99.0.1 -p 9100 -c "$TMP/venue.cfg" "$TMP/halted.nxc" >/dev/null 2>&1 \
	&& ok "an order for a halted instrument is refused" || fail "order while halted"
R=$(tel "$P" /nanoex/status,2,open)
[ "$(field "$R" result)" = ok ] || fail "reopen: $R"
R=$(tel "$P" /nanoex/ref_px,1,100001)
[ "$(field "$R" reason)" = PRICE_NOT_TICK ] && ok "reference price off the tick refused" || fail "ref_px: $R"
R=$(tel "$P" /nanoex/kill,planet,1,on)
[ -n "$(field "$R" error)" ] && ok "bad parameters answered with an error" || fail "kill planet: $R"
# Regression (from a review): DPDK 22.11's telemetry escapes a string's
# bytes as signed chars, so a byte past 0x7f was dropped or written as an
# invalid escape ("v\1\2nue.cfg"): /nanoex/info was not JSON whenever the
# venue file's name was not ASCII (dpdk-telemetry.py died on it).
R=$(tel "$P" /nanoex/info)
case "$(field "$R" config 2>/dev/null)" in
*/v??nue.cfg) ok "/nanoex/info is JSON with a file name that is not ASCII" ;;
*) fail "/nanoex/info with a file name that is not ASCII: $R" ;;
esac
R=$(tel "$P" /nanoex/latency,0)
[ "$(field "$R" count)" -ge 10 ] && ok "latency histogram: p50 $(field "$R" p50_ns) ns, max $(field "$R" max_ns) ns" \
	|| fail "latency: $R"

# SIGTERM: a clean stop with the final statistics, exit 0.
if stop "$NXPID"; then ok "SIGTERM: exit 0"; else fail "SIGTERM: exit status $?"; fi
grep -q "final statistics" "$TMP/nanoex.log" && grep -q "nanoex: stopped" "$TMP/nanoex.log" \
	&& ok "final statistics printed" || { cat "$TMP/nanoex.log"; fail "no final statistics"; }
finish
