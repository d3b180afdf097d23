#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# nxgen against nanoex-sock on loopback (no DPDK, no tap), short and small.
# Regressions from session 15's review of the latency lab:
#   - options: a fraction where a whole number is meant (-s 2.5, -n 1.5,
#     --seed 1.5, --drop-every 0.5) ran with it truncated; --seed went
#     through a double, so seeds above 2^53 collided (2^53 + 1 ran as 2^53)
#     and seeds up to 2^64 - 1 were refused; --rate with --mode closed, or
#     -d with -n, were settled silently by their order; -H 127.0.0.1junk
#     ran, and -H 1.2.3 exited 1 instead of 2; --mix new=1,new=0 passed the
#     "some weight" check with every weight 0 and died of SIGFPE;
#   - a reply that arrived between two gaps came back in the retransmitted
#     span and was counted (and matched) twice: more RISK_PRICE_COLLAR
#     rejects and ExecNew than requests that can get them;
#   - timeseries.csv left out the drain's last second when it had only
#     losses: its lost column summed to less than the summary's;
#   - (NXGEN_SLOW=1, 80 s) timeseries.csv stopped at -d + 64 rows when the
#     window was a --count that lasted longer.
# Usage: tests/nxgen/test_nxgen_sock.sh   (BUILD=build by default)
# Exit 0 pass, 1 fail, 77 skip.
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
for b in nxgen nanoex-sock; do
	[ -x "$BUILD/$b" ] || { echo "SKIP: $BUILD/$b not built"; exit 77; }
done
TMP=$(mktemp -d /tmp/nxgens.XXXXXX) || exit 1
ID=$$ PID= FAILS=0
cleanup() {
	if [ -n "$PID" ]; then
		kill -TERM "$PID" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$PID" 2>/dev/null
	fi
	rm -rf "$TMP" "/var/run/dpdk/nxg$ID"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; FAILS=$((FAILS + 1)); }

# The demo venue, limits a load test does not hit, one shard on a port of our own.
PORT=$((20000 + ID % 20000))
sed -e '/^net = {/,/^};/d' -e 's/source = "10.99.0.2"/source = "any"/' \
	-e 's/msg_rate *= *[0-9]*;/msg_rate = 10000000;/' -e 's/msg_burst *= *[0-9]*;/msg_burst = 1000000;/' \
	-e 's/position_limit *= *[0-9]*;/position_limit = 100000000;/' \
	-e 's/max_open_orders *= *[0-9]*;/max_open_orders = 100000;/' docs/examples/venue.cfg >"$TMP/venue.cfg"
cat >>"$TMP/venue.cfg" <<EOF
net = {
  ports = ( { device = "net_tap0"; ipv4 = "127.0.0.1"; } );
  shards = ( { lcore = 1; udp_port = $PORT; instruments = [ 1, 2, 3, 4 ]; } );
  mbufs = 2047; rx_desc = 256; tx_desc = 256; idle_sleep_us = 100;
};
EOF
C=$TMP/venue.cfg

# --- Options: refused with status 2 and a reason, before any venue is needed.
bad() { # bad WHAT TEXT ARGS...
	what=$1 text=$2
	shift 2
	"$BUILD/nxgen" -c "$C" "$@" -q >"$TMP/o" 2>"$TMP/e"
	st=$?
	if [ $st = 2 ] && grep -q -- "$text" "$TMP/e"; then ok "$what"; else
		echo "  status $st, stderr: $(cat "$TMP/e")"; fail "$what"; fi
}
bad "-s 2.5 is not a session count" "sessions 2.5: bad value" -s 2.5
bad "-n 1.5 is not a request count" "count 1.5: bad value" -n 1.5
bad "--seed 1.5 is not a seed" "seed 1.5: bad value" --seed 1.5
bad "--drop-every 0.5 is refused" "drop-every 0.5: bad value" --drop-every 0.5
bad "a mix weight must be whole" "mix new=0.5,cancel=1: bad value" --mix new=0.5,cancel=1
bad "--mix new=1,new=0: a kind named twice (was SIGFPE)" "mix new=1,new=0: bad value" --mix new=1,new=0
bad "--rate with --mode closed contradict" "contradicts --mode closed" --rate 1000 --mode closed
bad "--mode closed with --rate contradict" "contradicts --mode closed" --mode closed --rate 1000
bad "-n with -d: give one" "give one" -n 100 -d 1
bad "-d with -n: give one" "give one" -d 1 -n 100
bad "-d with -n in one --compare spec" "give one" --compare "count=5,duration=1" "name=B"
bad "-H with junk after the address" "host 127.0.0.1junk: bad value" -H 127.0.0.1junk
bad "-H that is not a dotted quad: status 2" "host 1.2.3: bad value" -H 1.2.3

# --- Runs against nanoex-sock.
"$BUILD/nanoex-sock" --config "$C" --bind 127.0.0.1 --busy-poll 0 --prefix "nxg$ID" >"$TMP/venue.log" 2>&1 &
PID=$!
for _ in $(seq 1 50); do
	grep -q "running;" "$TMP/venue.log" 2>/dev/null && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
# Both binaries are here (checked above): a venue that does not start is a
# failure of what is under test, not a machine that lacks something.
grep -q "running;" "$TMP/venue.log" || { cat "$TMP/venue.log"; echo "FAIL nanoex-sock did not start"; exit 1; }
cnt() { awk -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' "$1"; }
gen() { "$BUILD/nxgen" -c "$C" --idle sleep --clock mono -q "$@"; }

# Seeds are 64-bit: 2^53 and 2^53 + 1 are two workloads (one closed-loop
# session, no warm-up: the same seed sends the same requests).
mix() { gen -s 1 -w 0 -n 1500 --seed "$1" -o "$TMP/seed$1" >/dev/null 2>"$TMP/e" &&
	grep '^sent_' "$TMP/seed$1/counts.txt" | tr '\n' ' '; }
a=$(mix 9007199254740992) b=$(mix 9007199254740993) a2=$(mix 9007199254740992)
if [ -n "$a" ] && [ "$a" = "$a2" ] && [ "$a" != "$b" ]; then
	ok "seeds 2^53 and 2^53+1 send different requests; a seed repeats its run"
else
	fail "seeds: 2^53 [$a], again [$a2], 2^53+1 [$b] $(cat "$TMP/e")"
fi
gen -s 1 -w 0 -n 10 --seed 18446744073709551615 >/dev/null 2>"$TMP/e" && ok "--seed 2^64-1 is a seed" \
	|| fail "--seed 2^64-1: $(cat "$TMP/e")"

# Every third reply datagram dropped: gaps overlap, their spans come back
# with what arrived between them, and each message must count once.
if gen -a 1,2 -s 2 --rate 2000 -w 0 -d 1 -t 300 --drop-every 3 -o "$TMP/drop" >"$TMP/drop.txt" 2>"$TMP/e"; then
	D=$TMP/drop/counts.txt
	rj=$(cnt "$D" reject_RISK_PRICE_COLLAR) sr=$(cnt "$D" sent_reject)
	en=$(cnt "$D" msg_ExecNew)
	orders=$(( $(cnt "$D" sent_new) + $(cnt "$D" sent_aggressive) + $(cnt "$D" sent_ioc) ))
	if [ "$(cnt "$D" dropped_test)" -gt 100 ] && [ "$(cnt "$D" duplicates)" -gt 0 ] && [ "$rj" -le "$sr" ] &&
		[ "$en" -le "$orders" ]; then
		ok "re-sent replies count once: collar rejects $rj <= $sr reject requests, ExecNew $en <= $orders orders, $(cnt "$D" duplicates) duplicates"
	else
		fail "replies counted twice: collar rejects $rj for $sr reject requests, ExecNew $en for $orders orders: $(cat "$D")"
	fi
else
	cat "$TMP/drop.txt" "$TMP/e"; fail "nxgen --drop-every 3"
fi

# timeseries.csv adds up to the summary: its sent, answered, lost and
# rejects columns sum to the measured counts (a last second of the drain
# with only losses in it was not written: every reply dropped, the CSV said
# 71 of 100 lost), and no row has more rejects than answers (the column
# counted every reject received, the warm-up's too).
csv_adds_up() { # csv_adds_up DIR: "" if it does, else what differs
	awk -F, -v c="$1/counts.txt" 'NR > 1 { s += $2; a += $3; l += $4; r += $5
			if ($5 > $3) bad = bad " second " $1 " rejects " $5 " > answered " $3 }
		END { while ((getline line < c) > 0) { split(line, f, " ")
			if (f[1] == "measured_sent") ms = f[2]; if (f[1] == "measured_answered") ma = f[2]
			if (f[1] == "measured_lost") ml = f[2]; if (f[1] == "measured_rejected") mr = f[2] }
		if (s != ms || a != ma || l != ml || r != mr || ms == "" || bad != "")
			printf "csv sent %d answered %d lost %d rejects %d, summary %s %s %s %s%s",
				s, a, l, r, ms, ma, ml, mr, bad }' \
		"$1/timeseries.csv"
}
# --idle sleep (every run here) waits in the poll whenever it has nothing to
# do: no poll came back empty without having been allowed to wait (the
# loop spun while every window was full; tests/test_nxgen.c fills them).
sp=$(cnt "$TMP/drop/counts.txt" polls_spun) pe=$(cnt "$TMP/drop/counts.txt" polls_empty)
[ "$sp" = 0 ] && [ "$pe" -gt 0 ] && ok "--idle sleep never spins: $pe empty polls, each one waited" ||
	fail "--idle sleep: $sp of $pe empty polls did not wait"
d=$(csv_adds_up "$TMP/drop")
[ -z "$d" ] && ok "timeseries.csv adds up to the summary (--drop-every 3)" || fail "timeseries.csv (--drop-every 3): $d"
if gen -s 1 --rate 100 --arrival const -w 0 -d 1 -t 300 --drop-every 1 -o "$TMP/all" >/dev/null 2>"$TMP/e"; then
	d=$(csv_adds_up "$TMP/all")
	[ -z "$d" ] && ok "timeseries.csv counts the losses of the drain's last second" ||
		fail "timeseries.csv, every reply dropped: $d"
else
	fail "nxgen --drop-every 1: $(cat "$TMP/e")"
fi

# A --count window longer than -d + 64 s keeps a row per second (80 s, idle).
if [ "${NXGEN_SLOW:-0}" = 1 ]; then
	if gen -s 1 -w 0 -n 80 --drop-every 1 -t 1000 -o "$TMP/long" >/dev/null 2>"$TMP/e"; then
		rows=$(($(wc -l <"$TMP/long/timeseries.csv") - 1))
		[ "$rows" -ge 80 ] && ok "timeseries.csv: $rows rows for 80 s" || fail "timeseries.csv: $rows rows for 80 s"
	else
		fail "nxgen -n 80 (slow): $(cat "$TMP/e")"
	fi
fi

[ "$FAILS" = 0 ] || { echo "$FAILS check(s) failed"; exit 1; }
echo "all checks passed"
