#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# nanoex-sock's options and its control socket (dpdk_apps/nanoex-sock/
# telemetry.c), on loopback: no DPDK, no root needed. Regressions from
# session 9's review of the control plane:
#   - --stats and --busy-poll cast strtoul/strtol: --stats 4294967297 ran
#     with a line every second, --busy-poll 4294967296 with busy polling off;
#   - strings were "cleaned", not escaped: a config path with a quote was
#     reported without it, and bytes that are not UTF-8 (a file name, or
#     a command) made the answer invalid JSON (dpdk-telemetry.py died);
#   - a second nanoex-sock with the same --prefix unlinked the running
#     one's socket and took it over: the operator's commands went to the
#     wrong venue, and when the second stopped the first had none left;
#   - SIGTERM hung while a client stayed connected if another one had
#     connected meanwhile: the accept after shutdown took it from the
#     backlog and recv waited on it.
# Usage: tests/client/test_sock_telemetry.sh   (BUILD=build by default)
# Exit 0 pass, 1 fail, 77 skip.
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
[ -x "$BUILD/nanoex-sock" ] || { echo "SKIP: $BUILD/nanoex-sock not built"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3 for the telemetry client"; exit 77; }
TMP=$(mktemp -d /tmp/nxstel.XXXXXX) || exit 1
ID=$$ FAILS=0 PIDS= HOLD=
PFX=nxst$ID
if [ -n "$RUNTIME_DIRECTORY" ]; then RUN=$RUNTIME_DIRECTORY
elif [ "$(id -u)" = 0 ]; then RUN=/var/run
else RUN=${XDG_RUNTIME_DIR:-/tmp}; fi
SOCK=$RUN/dpdk/$PFX/dpdk_telemetry.v2
stop() { # stop PID: SIGTERM, then at most 3 s; 0 if it exited in time
	kill -TERM "$1" 2>/dev/null
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
		sleep 0.2
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 1
}
cleanup() {
	for p in $HOLD $PIDS; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$TMP" "$RUN/dpdk/$PFX"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; FAILS=$((FAILS + 1)); }

# The demo venue, two shards on ports of our own, behind a file name with a
# quote and a byte that is not UTF-8.
PORT=$((20000 + ID % 20000))
venue() { # venue FIRST-PORT > file
	sed -e '/^net = {/,/^};/d' docs/examples/venue.cfg
	cat <<EOF
net = {
  ports = ( { device = "net_tap0"; ipv4 = "127.0.0.1"; } );
  shards = ( { lcore = 0; udp_port = $1; instruments = [ 1, 2 ]; },
             { lcore = 1; udp_port = $(($1 + 1)); instruments = [ 3, 4 ]; } );
  mbufs = 2047; rx_desc = 256; tx_desc = 256; idle_sleep_us = 1000;
};
EOF
}
CFG=$(printf '%s/v\377"q.cfg' "$TMP")
venue $PORT >"$CFG"
venue $((PORT + 2)) >"$TMP/other.cfg"

# --- Options: a bad number stops start-up with status 1 and says which.
badopt() { # badopt WHAT TEXT ARGS...
	what=$1 text=$2
	shift 2
	"$BUILD/nanoex-sock" --config "$CFG" --bind 127.0.0.1 --prefix "$PFX" "$@" >"$TMP/o" 2>"$TMP/e" &
	p=$!
	sleep 0.3
	if kill -0 $p 2>/dev/null; then stop $p; fail "$what: it runs"; return; fi
	wait $p
	st=$?
	if [ $st = 1 ] && grep -q -- "$text" "$TMP/e"; then ok "$what"; else
		echo "  status $st, stderr: $(cat "$TMP/e")"; fail "$what"; fi
}
badopt "--stats 4294967297 is refused (ran as 1)" "stats: not a number" --stats 4294967297
badopt "--stats ' -1' is refused (ran as 4294967295)" "stats: not a number" --stats " -1"
badopt "--busy-poll 4294967296 is refused (ran as 0)" "busy-poll: not a number" --busy-poll 4294967296
badopt "--busy-poll 2147483648 is refused" "busy-poll: not a number" --busy-poll 2147483648

# tel COMMAND...: one connection, one JSON answer per line, "BAD ..." for an
# answer that is not valid JSON.
tel() {
	python3 - "$SOCK" "$@" 2>/dev/null <<'EOF'
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.recv(16384)
for cmd in sys.argv[2:]:
    s.send(os.fsencode(cmd))
    r = s.recv(16384)
    try:
        print(json.dumps(json.loads(r.decode("utf-8"))))
    except ValueError as e:
        print("BAD", r, e)
EOF
}
started() { # started PID: the control socket answers
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		tel /nanoex/info 2>/dev/null | grep -q '"app"' && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

"$BUILD/nanoex-sock" --config "$CFG" --bind 127.0.0.1 --prefix "$PFX" >"$TMP/a.out" 2>&1 &
A=$!
PIDS=$A
started $A || { cat "$TMP/a.out"; fail "nanoex-sock did not start"; exit 1; }

# --- JSON: every answer parses, and strings come back as they are.
tel /nanoex/info "$(printf '/nanoex/\377"x')" '/help,/a"b' >"$TMP/j" 2>&1
if grep -q '^BAD\|Traceback' "$TMP/j"; then cat "$TMP/j"; fail "answers are valid JSON"; else
	ok "answers are valid JSON (a quote and a byte that is not UTF-8)"; fi
python3 - "$TMP/j" 2>/dev/null <<'EOF' && ok "the config path with its quote" || fail "the config path with its quote"
import json, sys
info = json.loads(open(sys.argv[1]).readline())["/nanoex/info"]
sys.exit(0 if info["config"].endswith('v\u00ff"q.cfg') else print(info["config"]) or 1)
EOF

# --- Extra parameters are refused, not ignored.
tel /nanoex/stats,1 | grep -q '"error"' && ok "/nanoex/stats,1 is refused" || fail "/nanoex/stats,1"

# --- A second venue with the same prefix neither takes the socket over nor
# removes it when it stops.
"$BUILD/nanoex-sock" --config "$TMP/other.cfg" --bind 127.0.0.1 --prefix "$PFX" >"$TMP/b.out" 2>&1 &
B=$!
PIDS="$A $B"
# It should refuse and exit at once; a busy machine may take a while to run
# it that far (a fixed 0.5 s wait failed there), so wait up to 10 s.
for _ in $(seq 1 100); do kill -0 $B 2>/dev/null || break; sleep 0.1; done
if kill -0 $B 2>/dev/null; then
	stop $B
	fail "a second nanoex-sock on prefix $PFX runs"
else
	wait $B
	st=$?
	[ $st = 1 ] && grep -q "in use by another process" "$TMP/b.out" &&
		ok "a second nanoex-sock on the same prefix exits 1" ||
		{ cat "$TMP/b.out"; fail "second nanoex-sock: status $st"; }
fi
tel /nanoex/info | grep -q "\"shard_0\": \"lcore 0 udp $PORT " &&
	ok "the first one keeps its control socket" || fail "the first one lost its control socket"

if stop $A; then ok "SIGTERM stops it"; else fail "SIGTERM: still running after 3 s"; fi
PIDS=

# --- SIGTERM with one client idle and another one waiting behind it (a
# venue of its own, whatever happened above).
"$BUILD/nanoex-sock" --config "$TMP/other.cfg" --bind 127.0.0.1 --prefix "$PFX" >"$TMP/a.out" 2>&1 &
A=$!
PIDS=$A
started $A || { cat "$TMP/a.out"; fail "nanoex-sock did not start again"; exit 1; }
hold() {
	python3 - "$SOCK" 2>/dev/null <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
time.sleep(30)
EOF
	HOLD="$HOLD $!"
}
hold
sleep 0.3
hold
sleep 0.3
if stop $A; then ok "SIGTERM stops it with idle telemetry clients"; else
	fail "SIGTERM with two idle telemetry clients: still running after 3 s"; fi
for p in $HOLD; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
HOLD=
[ -e "$RUN/dpdk/$PFX" ] && fail "$RUN/dpdk/$PFX left behind" || ok "its socket directory is removed"
grep -q "nanoex-sock: stopped" "$TMP/a.out" && ok "it printed stopped" || fail "no 'stopped' line"

# --- --bind 0.0.0.0, which its own error message suggests when an address
# cannot be bound. Regression (from a review): 0 meant "no --bind", so
# 0.0.0.0 was refused as "not an IPv4 address".
"$BUILD/nanoex-sock" --config "$TMP/other.cfg" --bind 0.0.0.0 --prefix "$PFX" >"$TMP/a.out" 2>&1 &
A=$!
PIDS=$A
if started $A && grep -q "serves 0.0.0.0:$((PORT + 2))" "$TMP/a.out"; then
	ok "--bind 0.0.0.0 binds every address"
else
	cat "$TMP/a.out"; fail "--bind 0.0.0.0"
fi
stop $A
PIDS=

[ $FAILS = 0 ] || { echo "$FAILS failed"; exit 1; }
exit 0
