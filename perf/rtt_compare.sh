#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# Round trip through nanoex (DPDK) and nanoex-sock (kernel sockets), the
# same client load against both in one run: nxclient --load, closed loop,
# one post-only order then its cancel, repeated; round-trip p50/p99/p99.9
# of each and their ratio (sock / dpdk: above 1 means nanoex is faster).
#
#   perf/rtt_compare.sh [-n COUNT] [-w WARMUP] [--busy] [--runs R]
#
# The wire is the same for both: a veth pair, the client in a network
# namespace on one end. nanoex polls the other end with net_af_packet;
# nanoex-sock binds the same address on it through the kernel. Each venue
# gets CPU 1 (its shard busy-polls, idle_sleep_us = 0); the client and
# everything else run on CPU 0. Needs root. Cleans up what it creates.
# On a machine without a NIC both paths still cross the kernel (af_packet
# is a kernel socket too), so this measures each appliance's own cost over
# the same virtual wire, not kernel bypass: docs/performance.md says more.
set -u
COUNT=20000 WARMUP=2000 RUNS=1 BUSY=
while [ $# -gt 0 ]; do
	case $1 in
	-n) COUNT=$2; shift ;;
	-w) WARMUP=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--busy) BUSY=--busy ;;
	-h|--help) sed -n '3,20p' "$0"; exit 0 ;;
	*) echo "rtt_compare: unknown option $1 (try --help)"; exit 2 ;;
	esac
	shift
done
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.." || exit 1
[ "$(id -u)" = 0 ] || { echo "rtt_compare: needs root (veth, namespace)"; exit 1; }
for b in nanoex nanoex-sock nxclient; do
	[ -x "$BUILD/$b" ] || { echo "rtt_compare: $BUILD/$b not built (make apps)"; exit 1; }
done
ID=$$ NS=nxperf$$ VA=nxpa$$ VB=nxpb$$ TMP=$(mktemp -d /tmp/nxperf.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && sleep 1 && kill -KILL "$PID" 2>/dev/null
	ip link del "$VA" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP" "/var/run/dpdk/nxperf$ID"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NS" && ip link add "$VA" type veth peer name "$VB" && ip link set "$VB" netns "$NS" || exit 1
ip -n "$NS" addr add 10.98.0.2/24 dev "$VB" && ip -n "$NS" link set "$VB" up && ip -n "$NS" link set lo up
ip link set "$VA" up
sysctl -qw "net.ipv6.conf.$VA.disable_ipv6=1" 2>/dev/null
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$VB.disable_ipv6=1" 2>/dev/null
# veth leaves UDP checksums to an offload that af_packet readers never see
# completed: the client's side computes them.
ip netns exec "$NS" ethtool -K "$VB" tx off >/dev/null 2>&1 ||
	{ echo "rtt_compare: needs ethtool to turn off checksum offload on the veth"; exit 1; }

# The example venue, with a throttle a closed loop does not hit.
sed -e '/^net = {/,/^};/d' -e 's/msg_rate *= *[0-9]*;/msg_rate = 10000000;/' \
	-e 's/msg_burst *= *[0-9]*;/msg_burst = 1000000;/' docs/examples/venue.cfg >"$TMP/venue.cfg"
cat >>"$TMP/venue.cfg" <<EOF
net = {
  ports = ( { device = "net_af_packet0"; ipv4 = "10.98.0.1"; } );
  shards = ( { lcore = 1; udp_port = 9100; instruments = [ 1, 2, 3, 4 ]; } );
  mbufs = 4095; rx_desc = 512; tx_desc = 512; burst = 32; idle_sleep_us = 0;
};
EOF

# Runs inside $(run_dpdk) / $(run_sock): a subshell, which neither shows its
# output nor runs the EXIT trap. So on failure: the log and message to
# stderr, and the venue stopped here.
wait_running() {
	for _ in $(seq 1 100); do
		grep -q "running;" "$1" && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$1" >&2
	echo "rtt_compare: the venue did not start" >&2
	kill -KILL "$PID" 2>/dev/null
	exit 1
}

# The client's rtt line, plus the venue's own receive-to-transmit share
# (its /nanoex/latency histogram) as venue_p50_us= and venue_p99_us=.
# (A pipeline's status is its last command's: test the line itself.)
client() {
	R=$(ip netns exec "$NS" taskset -c 0 "$BUILD/nxclient" --load -H 10.98.0.1 -p 9100 \
		-c "$TMP/venue.cfg" -a 1 -i 2 -n "$COUNT" --warmup "$WARMUP" $BUSY 2>"$TMP/client.err" \
		| grep '^rtt ')
	if [ -n "$R" ]; then
		printf '%s ' "$R" | tr '\n' ' '
	else
		cat "$TMP/client.err" >&2
		echo "rtt_compare: the client failed" >&2
	fi
	echo /nanoex/latency | python3 /usr/bin/dpdk-telemetry.py -f "nxperf$ID" 2>/dev/null | python3 -c '
import json, sys
d = list(json.loads(sys.stdin.read()).values())[0]
print("venue_p50_us=%.3f venue_p99_us=%.3f" % (d["p50_ns"] / 1000, d["p99_ns"] / 1000))'
}

run_dpdk() {
	"$BUILD/nanoex" --lcores 0@0,1@1 --no-huge --no-pci -m 256 --file-prefix "nxperf$ID" \
		--log-level 'lib.telemetry:crit' --vdev="net_af_packet0,iface=$VA,qpairs=1" -- \
		--config "$TMP/venue.cfg" >"$TMP/nanoex.log" 2>&1 &
	PID=$!
	wait_running "$TMP/nanoex.log"
	sleep 0.3
	client
	kill -TERM "$PID"; wait "$PID"; PID=
}

run_sock() {
	ip addr add 10.98.0.1/24 dev "$VA"
	taskset -c 1 "$BUILD/nanoex-sock" --config "$TMP/venue.cfg" --prefix "nxperf$ID" \
		>"$TMP/sock.log" 2>&1 &
	PID=$!
	wait_running "$TMP/sock.log"
	client
	kill -TERM "$PID"; wait "$PID"; PID=
	ip addr del 10.98.0.1/24 dev "$VA"
}

get() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }

echo "rtt_compare: $COUNT round trips (+$WARMUP warm-up) per venue and run, client in netns on veth"
echo "             $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, $(uname -r)"
printf '%-5s %-12s %10s %10s %10s %10s %10s %12s %12s\n' run venue p50_us p99_us p99.9_us max_us msgs/s \
	venue_p50_us venue_p99_us
r=1
while [ "$r" -le "$RUNS" ]; do
	D=$(run_dpdk)
	S=$(run_sock)
	for v in dpdk sock; do
		L=$D; [ "$v" = sock ] && L=$S
		printf '%-5s %-12s %10s %10s %10s %10s %10s %12s %12s\n' "$r" \
			"$([ $v = dpdk ] && echo nanoex || echo nanoex-sock)" "$(get "$L" p50_us)" \
			"$(get "$L" p99_us)" "$(get "$L" p999_us)" "$(get "$L" max_us)" "$(get "$L" per_s)" \
			"$(get "$L" venue_p50_us)" "$(get "$L" venue_p99_us)"
	done
	printf '%-5s %-12s %10s %10s %10s\n' "$r" "ratio s/d" \
		"$(ratio "$(get "$S" p50_us)" "$(get "$D" p50_us)")" \
		"$(ratio "$(get "$S" p99_us)" "$(get "$D" p99_us)")" \
		"$(ratio "$(get "$S" p999_us)" "$(get "$D" p999_us)")"
	r=$((r + 1))
done
