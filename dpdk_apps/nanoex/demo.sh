#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# The demo behind `make run`: nanoex on a virtual port (net_tap, no
# hugepages, no NIC) with docs/examples/venue.cfg; nxclient logs in over a
# plain kernel UDP socket and plays docs/examples/demo.nxc (orders that
# rest, trade, are refused by risk, are canceled; a lost reply recovered);
# then the appliance's counters and latency through DPDK telemetry, and a
# clean SIGTERM stop with its final statistics. Everything it creates is
# removed on exit. Needs root for the tap interface (it asks sudo if not).
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.." || exit 1
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "demo: needs root (a tap interface)"; exit 1; }
	exec sudo BUILD="$BUILD" "$0" "$@"
fi
TAP=nxdemo0
PREFIX=nxdemo$$
LOG=$(mktemp /tmp/nanoex-demo.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && sleep 1 && kill -KILL "$PID" 2>/dev/null
	ip link del "$TAP" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX" "$LOG"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "== starting nanoex: lcore 1 polls net_tap0 ($TAP), 10.99.0.1 udp 9100"
"$BUILD/nanoex" -l 0,1 --no-huge --no-pci -m 256 --file-prefix "$PREFIX" \
	--log-level 'pmd.net.tap:crit' --log-level 'lib.telemetry:crit' \
	--vdev="net_tap0,iface=$TAP" -- --config docs/examples/venue.cfg >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
	grep -q "running;" "$LOG" && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
grep -q "running;" "$LOG" || { cat "$LOG"; echo "demo: nanoex did not start"; exit 1; }
grep '^nanoex:' "$LOG"
ip addr add 10.99.0.2/24 dev "$TAP" && ip link set "$TAP" up || exit 1
sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1" 2>/dev/null
sleep 0.3

echo
echo "== nxclient plays docs/examples/demo.nxc from 10.99.0.2 (> sent, < received)"
"$BUILD/nxclient" -v -H 10.99.0.1 -p 9100 -c docs/examples/venue.cfg docs/examples/demo.nxc
RC=$?

echo
echo "== the appliance's counters and latency (dpdk-telemetry.py -f $PREFIX)"
for cmd in /nanoex/stats /nanoex/latency; do
	echo "--> $cmd"
	echo "$cmd" | python3 /usr/bin/dpdk-telemetry.py -f "$PREFIX" | python3 -c '
import json, sys
for k, v in list(json.load(sys.stdin).values())[0].items():
    if v:
        print("  %-24s %s" % (k, v))'
done

echo
echo "== SIGTERM"
kill -TERM "$PID"
wait "$PID"
PID=
sed -n '/stopping the shards/,$p' "$LOG"
exit $RC
