#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# The latency lab's standard suite (docs/lab-guide.md), single host: the
# venue and nxgen on the two ends of one veth pair, nxgen's end in a
# network namespace. For each venue (nanoex over DPDK net_af_packet, and/or
# nanoex-sock behind the kernel) and each generator backend (nxgen --io dpdk
# on net_af_packet, and/or --io sock):
#
#   closed/         closed loop, one session: the round-trip latency floor
#   open_<rate>/    open loop at each rate of --rates, Poisson arrivals,
#                   until saturation (achieved < 95% of the target, or more
#                   than 1% lost): queueing shows in the percentiles
#   curve.csv       latency vs offered load, one row per open-loop run
#   curve.svg       p50/p99/p99.9 against achieved rate (gnuplot)
#
# each run folder being nxgen's results (summary, .hgrm, timeseries.csv,
# plots, cmdline.txt, machine.txt). The top folder gets suite.txt (one line
# per run and, with both venues, the sock/dpdk ratios), the suite's command
# line and the host facts (nic_config/check-host.sh).
#
#   perf/lab/suite.sh [--venue nanoex|nanoex-sock|both] [--io dpdk|sock|both]
#                     [--rates "1000 5000 10000 20000 50000"] [-d SECS] [-w SECS]
#                     [-s SESSIONS] [--mix SPEC] [-o DIR] [--quick]
#                     [--nice N] [--idle-sleep-us US] [--afp-args ARGS]
#
#   --nice N           run the venue and nxgen at nice N, e.g. -20: a
#                      CPU-bound task of another session then takes about 2%
#                      of a poller's CPU instead of half or more (measured on
#                      a 2-vCPU VM; docs/lab-guide.md, Pitfalls). With autogroup
#                      scheduling (/proc/sys/kernel/sched_autogroup_enabled)
#                      a task's nice only counts inside its session, so the
#                      suite also sets its session's autogroup nice to N for
#                      the run (the caller's session: its shell included),
#                      and puts the old value back at exit
#   --idle-sleep-us US the venues' net.idle_sleep_us (default 0: spin)
#   --afp-args ARGS    more net_af_packet devargs for both DPDK ports, e.g.
#                      "qdisc_bypass=0" or "framecnt=2048,blocksz=4096"
#
# CPUs: the venue's shard on CPU 1 (busy polling), nxgen on CPU 0. Needs
# root (veth, namespace, af_packet). Removes everything it creates. On a
# real NIC pair, run nxgen by hand as docs/lab-guide.md shows (two hosts).
# Open-loop tails in milliseconds here are the pollers losing their CPU to
# other tasks (or to the hypervisor), not the venues: see what a tail was made
# of with perf/lab/softirq_probe.sh --each-open -- perf/lab/suite.sh ...
set -u
VENUES=both IOS=both RATES="1000 5000 10000 20000 50000 100000" DUR=10 WARM=2 SESS=4 MIX= OUT=
NICE=0 IDLE_US=0 AFP=
ARGS="$*" # for cmdline.txt, before the options are consumed
while [ $# -gt 0 ]; do
	case $1 in
	--venue) VENUES=$2; shift ;;
	--io) IOS=$2; shift ;;
	--rates) RATES=$2; shift ;;
	-d) DUR=$2; shift ;;
	-w) WARM=$2; shift ;;
	-s) SESS=$2; shift ;;
	--mix) MIX=$2; shift ;;
	-o) OUT=$2; shift ;;
	--quick) DUR=2 WARM=0.5 RATES="2000 10000" ;;
	--nice) NICE=$2; shift ;;
	--idle-sleep-us) IDLE_US=$2; shift ;;
	--afp-args) AFP=,${2#,}; shift ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { print }' "$0"; exit 0 ;;
	*) echo "suite: unknown option $1 (try --help)"; exit 2 ;;
	esac
	shift
done
[ "$VENUES" = both ] && VENUES="nanoex nanoex-sock"
[ "$IOS" = both ] && IOS="dpdk sock"
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
[ "$(id -u)" = 0 ] || { echo "suite: needs root (veth, namespace, af_packet)"; exit 1; }
for b in nanoex nanoex-sock nxgen; do
	[ -x "$BUILD/$b" ] || { echo "suite: $BUILD/$b not built (make apps)"; exit 1; }
done
command -v ethtool >/dev/null || { echo "suite: needs ethtool"; exit 1; }
OUT=${OUT:-$BUILD/lab/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)
ID=$$ NS=nxlab$$ VA=nxla$$ VB=nxlb$$ TMP=$(mktemp -d /tmp/nxlab.XXXXXX)
PID= AGNICE=
cleanup() {
	if [ -n "$PID" ]; then
		kill -TERM "$PID" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$PID" 2>/dev/null
	fi
	ip link del "$VA" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP" "/var/run/dpdk/nxlabv$ID" "/var/run/dpdk/nxlabg$ID"
	[ -n "$AGNICE" ] && echo "$AGNICE" >"/proc/$$/autogroup" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM
if [ "$NICE" != 0 ] && [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" = 1 ] &&
	[ -w "/proc/$$/autogroup" ]; then
	# "/autogroup-31 nice 0": the scheduler weighs sessions first, then tasks in them
	AGNICE=$(sed -n 's/.* nice \(-*[0-9]*\)$/\1/p' "/proc/$$/autogroup")
	echo "$NICE" >"/proc/$$/autogroup" || AGNICE=
fi

echo "$0 $ARGS" >"$OUT/cmdline.txt"
nic_config/check-host.sh >"$OUT/machine.txt" 2>/dev/null

ip netns add "$NS" && ip link add "$VA" type veth peer name "$VB" && ip link set "$VB" netns "$NS" || exit 1
ip -n "$NS" addr add 10.97.0.2/24 dev "$VB" && ip -n "$NS" link set "$VB" up && ip -n "$NS" link set lo up
ip link set "$VA" up
sysctl -qw "net.ipv6.conf.$VA.disable_ipv6=1" 2>/dev/null
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$VB.disable_ipv6=1" 2>/dev/null
# af_packet readers never see a partial checksum completed: the kernel sides compute them.
ip netns exec "$NS" ethtool -K "$VB" tx off >/dev/null 2>&1
ethtool -K "$VA" tx off >/dev/null 2>&1

# The example venue with limits a load test does not hit.
sed -e '/^net = {/,/^};/d' -e 's/msg_rate *= *[0-9]*;/msg_rate = 100000000;/' \
	-e 's/msg_burst *= *[0-9]*;/msg_burst = 10000000;/' \
	-e 's/position_limit *= *[0-9]*;/position_limit = 1000000000;/' \
	-e 's/max_open_orders *= *[0-9]*;/max_open_orders = 1000000;/' \
	-e 's/credit_limit *= *[0-9L]*;/credit_limit = 4000000000000000000L;/' \
	-e 's/source = "10.99.0.2"/source = "any"/' docs/examples/venue.cfg >"$OUT/venue.cfg"
cat >>"$OUT/venue.cfg" <<EOF
net = {
  ports = ( { device = "net_af_packet0"; ipv4 = "10.97.0.1"; } );
  shards = ( { lcore = 1; udp_port = 9100; instruments = [ 1, 2, 3, 4 ]; } );
  mbufs = 8191; rx_desc = 1024; tx_desc = 1024; burst = 32; idle_sleep_us = $IDLE_US;
};
EOF

wait_running() {
	for _ in $(seq 1 100); do
		grep -q "running;" "$1" && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$1"; echo "suite: the venue did not start"; exit 1
}

start_venue() {
	case $1 in
	nanoex)
		nice -n "$NICE" "$BUILD/nanoex" --lcores 0@0,1@1 --no-huge --no-pci -m 512 --file-prefix "nxlabv$ID" \
			--log-level 'lib.telemetry:crit' --vdev="net_af_packet0,iface=$VA,qpairs=1$AFP" -- \
			--config "$OUT/venue.cfg" >"$TMP/venue.log" 2>&1 &
		PID=$! ;;
	nanoex-sock)
		ip addr add 10.97.0.1/24 dev "$VA"
		nice -n "$NICE" taskset -c 1 "$BUILD/nanoex-sock" --config "$OUT/venue.cfg" --prefix "nxlabv$ID" \
			>"$TMP/venue.log" 2>&1 &
		PID=$! ;;
	esac
	wait_running "$TMP/venue.log"
	sleep 0.3
}

stop_venue() {
	kill -TERM "$PID"; wait "$PID"; PID=
	cp "$TMP/venue.log" "$OUT/$1.log"
	ip addr del 10.97.0.1/24 dev "$VA" 2>/dev/null
	rm -rf "/var/run/dpdk/nxlabv$ID"
}

# nxgen IO DIR [options...]: one run in the namespace, on CPU 0.
nxgen() {
	io=$1 dir=$2
	shift 2
	if [ "$io" = dpdk ]; then
		set -- -l 0 --no-huge --no-pci -m 256 --file-prefix "nxlabg$ID" --log-level 'lib.telemetry:crit' \
			--vdev="net_af_packet0,iface=$VB,qpairs=1$AFP" -- --io dpdk --src-ip 10.97.0.3 "$@"
	else
		set -- --io sock --cpu 0 "$@"
	fi
	[ -n "$MIX" ] && set -- "$@" --mix "$MIX"
	ip netns exec "$NS" nice -n "$NICE" taskset -c 0 "$BUILD/nxgen" "$@" -c "$OUT/venue.cfg" -H 10.97.0.1 \
		-w "$WARM" -d "$DUR" -q -o "$dir" >"$TMP/run.out" 2>"$TMP/run.err"
	rc=$?
	rm -rf "/var/run/dpdk/nxlabg$ID"
	grep '^nxgen name=' "$TMP/run.out" | tail -1
	[ $rc = 0 ] || { cat "$TMP/run.err" >&2; return 1; }
}

get() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

printf '%-12s %-5s %-14s %10s %10s %10s %10s %10s %8s\n' venue io run per_s p50_us p99_us p999_us max_us lost \
	| tee "$OUT/suite.txt"
row() { printf '%-12s %-5s %-14s %10s %10s %10s %10s %10s %8s\n' "$1" "$2" "$3" "$(get "$4" per_s)" \
	"$(get "$4" p50_us)" "$(get "$4" p99_us)" "$(get "$4" p999_us)" "$(get "$4" max_us)" "$(get "$4" lost)" \
	| tee -a "$OUT/suite.txt"; }

for v in $VENUES; do
	start_venue "$v"
	for io in $IOS; do
		D=$OUT/$v/$io
		mkdir -p "$D"
		L=$(nxgen "$io" "$D/closed" -s 1) || { echo "suite: $v/$io closed loop failed"; continue; }
		row "$v" "$io" closed "$L"
		echo "$L" >"$D/closed.line"
		echo "target,achieved,p50_us,p90_us,p99_us,p999_us,max_us,lost,sent" >"$D/curve.csv"
		for r in $RATES; do
			L=$(nxgen "$io" "$D/open_$r" -s "$SESS" --rate "$r") || { echo "suite: $v/$io at $r/s failed"; break; }
			row "$v" "$io" "open_$r" "$L"
			echo "$r,$(get "$L" per_s),$(get "$L" p50_us),$(get "$L" p90_us),$(get "$L" p99_us),$(get "$L" p999_us),$(get "$L" max_us),$(get "$L" lost),$(get "$L" sent)" >>"$D/curve.csv"
			# Saturated: below 95% of the target, or more than 1% lost.
			awk -v t="$r" -v a="$(get "$L" per_s)" -v l="$(get "$L" lost)" -v s="$(get "$L" sent)" \
				'BEGIN { exit !(a < 0.95 * t || (s > 0 && l > 0.01 * s)) }' && {
				echo "suite: $v/$io saturated at $r/s offered" | tee -a "$OUT/suite.txt"; break; }
		done
		if command -v gnuplot >/dev/null 2>&1; then
			(cd "$D" && gnuplot -e "set terminal svg size 960,540 dynamic background rgb 'white'; \
				set output 'curve.svg'; set datafile separator ','; set key top left; set grid; \
				set logscale y; set xlabel 'achieved requests/s'; set ylabel 'latency (us)'; \
				set title '$v, nxgen --io $io: latency vs load'; \
				plot 'curve.csv' using 2:3 with linespoints title 'p50', '' using 2:5 with linespoints title 'p99', \
				'' using 2:6 with linespoints title 'p99.9'" 2>/dev/null)
		fi
	done
	stop_venue "$v"
done

# With both venues: sock / dpdk for each generator backend (above 1: nanoex faster).
case $VENUES in *nanoex-sock*) ;; *) VENUES= ;; esac
if [ -n "$VENUES" ] && [ -d "$OUT/nanoex" ]; then
	for io in $IOS; do
		A=$(cat "$OUT/nanoex/$io/closed.line" 2>/dev/null) B=$(cat "$OUT/nanoex-sock/$io/closed.line" 2>/dev/null)
		[ -n "$A" ] && [ -n "$B" ] || continue
		awk -v io="$io" -v a50="$(get "$A" p50_us)" -v b50="$(get "$B" p50_us)" -v a99="$(get "$A" p99_us)" \
			-v b99="$(get "$B" p99_us)" 'BEGIN { printf "closed loop, nxgen --io %s: nanoex-sock/nanoex p50 %.2f, p99 %.2f\n", io, b50 / a50, b99 / a99 }' \
			| tee -a "$OUT/suite.txt"
	done
fi
echo "suite: results in $OUT"
