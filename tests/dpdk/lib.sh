# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# Shared by tests/dpdk/test_*.sh (sourced). Each test runs nanoex or
# nanoex-sock on this machine, drives it with build/nxclient over kernel
# UDP sockets, and must leave nothing behind: every process it starts and
# every interface or namespace it creates is registered here and removed by
# the EXIT trap, whatever happens. A machine without what a test needs
# makes it exit 77 (skipped) with the reason.

BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
TMP=$(mktemp -d /tmp/nxdpdk.XXXXXX)
ID=$$
PIDS=""
IFACES=""
NETNS=""
FAILS=0

cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$p" 2>/dev/null
	done
	for i in $IFACES; do ip link del "$i" 2>/dev/null; done
	for n in $NETNS; do ip netns del "$n" 2>/dev/null; done
	rm -rf "/var/run/dpdk/nxt$ID" "/var/run/dpdk/nxs$ID" "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
finish() {
	if [ "$FAILS" -ne 0 ]; then echo "$FAILS check(s) failed"; exit 1; fi
	echo "all checks passed"
	exit 0
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (tap interfaces, raw sockets)"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun for net_tap"
	command -v ip >/dev/null || skip "no ip(8) (iproute2)"
	command -v python3 >/dev/null || skip "no python3 for the telemetry client"
	for b in nanoex nanoex-sock nxclient; do
		[ -x "$BUILD/$b" ] || skip "$BUILD/$b is not built"
	done
}

# The venue file of a test: the demo venue with its net section replaced
# and the admin account allowed from any source (clients reach nanoex from
# the tap's 10.99.0.2 and nanoex-sock from 127.0.0.1).
# venue_cfg FILE [NET_SECTION (default $ONE_SHARD, below)]
venue_cfg() {
	sed -e '/^net = {/,/^};/d' -e 's/source = "10.99.0.2"/source = "any"/' \
		docs/examples/venue.cfg > "$1"
	printf '%s\n' "${2:-$ONE_SHARD}" >> "$1"
}

# The net section of most tests: nanoex on net_tap0 at 10.99.0.1 (the tap's
# kernel side 10.99.0.2), one shard on lcore 1 and UDP port 9100 trading the
# demo's four instruments (nanoex-sock binds it to 127.0.0.1 with --bind).
ONE_SHARD='net = {
  ports = ( { device = "net_tap0"; ipv4 = "10.99.0.1"; } );
  shards = ( { lcore = 1; udp_port = 9100; instruments = [ 1, 2, 3, 4 ]; } );
  mbufs = 2047; rx_desc = 128; tx_desc = 128; idle_sleep_us = 100;
};'

# A load test's limits: no throttling, positions or open-order caps hit.
# load_limits FILE
load_limits() {
	sed -i -e 's/msg_rate *= *[0-9]*;/msg_rate = 10000000;/' -e 's/msg_burst *= *[0-9]*;/msg_burst = 1000000;/' \
		-e 's/position_limit *= *[0-9]*;/position_limit = 100000000;/' \
		-e 's/max_open_orders *= *[0-9]*;/max_open_orders = 100000;/' "$1"
}

# Start nanoex on a net_tap port. start_nanoex CFG LCORES [EXTRA_VDEV_ARGS]
# The kernel side of the tap is $TAP (default nxt<id>) with address
# $HOST_CIDR (default 10.99.0.2/24): tests running beside each other pick
# their own. $NX_ARGS: more nanoex options after --config. Sets TAP and NXPID.
start_nanoex() {
	TAP=${TAP:-nxt$((ID % 100000))}
	"$BUILD/nanoex" --lcores "$2" --no-huge --no-pci -m 256 --file-prefix "nxt$ID" \
		--log-level 'pmd.net.tap:crit' --log-level 'lib.telemetry:crit' \
		--vdev="net_tap0,iface=$TAP${3:-}" -- --config "$1" ${NX_ARGS:-} >"$TMP/nanoex.log" 2>&1 &
	NXPID=$!
	PIDS="$PIDS $NXPID"
	IFACES="$IFACES $TAP"
	for _ in $(seq 1 100); do
		grep -q "running;" "$TMP/nanoex.log" 2>/dev/null && break
		kill -0 "$NXPID" 2>/dev/null || { cat "$TMP/nanoex.log"; fail "nanoex exited at start"; finish; }
		sleep 0.1
	done
	grep -q "running;" "$TMP/nanoex.log" || { cat "$TMP/nanoex.log"; fail "nanoex did not start"; finish; }
	ip addr add "${HOST_CIDR:-10.99.0.2/24}" dev "$TAP" && ip link set "$TAP" up \
		|| { fail "cannot configure $TAP"; finish; }
	# No IPv6 chatter on the test port: the counters stay the test's own.
	sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1" 2>/dev/null
	sleep 0.3
}

start_sock() {
	"$BUILD/nanoex-sock" --config "$1" --bind 127.0.0.1 --prefix "nxs$ID" \
		>"$TMP/sock.log" 2>&1 &
	SOCKPID=$!
	PIDS="$PIDS $SOCKPID"
	for _ in $(seq 1 50); do
		grep -q "running;" "$TMP/sock.log" 2>/dev/null && return 0
		kill -0 "$SOCKPID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$TMP/sock.log"
	fail "nanoex-sock did not start"
	finish
}

# A telemetry command against a prefix: tel PREFIX COMMAND -> one JSON line.
tel() {
	echo "$2" | timeout 10 python3 /usr/bin/dpdk-telemetry.py -f "$1" 2>/dev/null | tail -1
}

# One counter out of a telemetry JSON answer: field JSON KEY [DEFAULT]
# KEY of the answer's dict; OUTER.INNER reaches into a nested one. A key the
# answer lacks prints DEFAULT when one is given (reject_* counters are only
# written when not 0), else nothing, with status 1 and a note on stderr: a
# counter that is not reported must not pass a check for 0 (it used to read 0).
field() {
	python3 -c 'import json,sys
d = list(json.loads(sys.argv[1]).values())[0]
for k in sys.argv[2].split("."):
	if not isinstance(d, dict) or k not in d:
		if len(sys.argv) > 3:
			print(sys.argv[3])
			sys.exit(0)
		sys.exit("field: no %s in the answer" % sys.argv[2])
	d = d[k]
print(d)' "$@"
}

# The engine's books through telemetry, as nxfeed prints a rebuilt book:
# engine_books PREFIX INSTRUMENT... -> "book INST SIDE PX QTY ORDERS" lines,
# best first, up to 10 levels a side.
engine_books() {
	_p=$1
	shift
	for _i in "$@"; do
		tel "$_p" "/nanoex/book,$_i" | python3 -c '
import json, re, sys
d = list(json.loads(sys.stdin.read()).values())[0]
for side in ("bid", "ask"):
    for i in range(10):
        v = d.get("%s_%d" % (side, i))
        if v is None:
            break
        px, qty, n = re.match(r"(-?\d+) x (-?\d+) \((\d+)\)", v).groups()
        print("book", d["instrument"], side, px, qty, n)
'
	done
}

# Stop a process with SIGTERM and wait for it: stop PID LOG -> its exit status
stop() {
	kill -TERM "$1"
	for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	wait "$1"
}
