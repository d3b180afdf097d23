#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# The command lines of the tools without DPDK (nxreplay, nxclient, nxitch)
# at their edges: a missing option value, a number that does not parse or is
# out of range, an unknown option, a missing, unreadable or directory FILE.
# Each must give a clear error (naming what is wrong) and a non-zero status,
# never a crash and never a silent success. The checks marked "named" are
# regressions: until 2026-11-23 nxreplay read a directory as an empty script
# (exit 0) and blamed the ladder for any bad capacity, and nxitch answered
# every bad argument with its usage alone.
# No venue is needed: nxclient's cases fail before they send anything.
# Usage: tests/replay/test_cli_edges.sh [BUILD-DIR]   (default build)
# Exit 0 pass, 1 fail, 77 skip (a binary missing).
b=${1:-${BUILD:-build}}
nxreplay=$b/nxreplay nxclient=$b/nxclient nxitch=$b/nxitch
fail=0

for x in "$nxreplay" "$nxclient" "$nxitch"; do
	[ -x "$x" ] || { echo "skip: $x not built"; exit 77; }
done
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

check() { # check NAME CONDITION-RESULT
	if [ "$2" = 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}

# said PATTERN: the last stderr, its usage lines left out, holds PATTERN (grep -F)
said() {
	grep -v -e '^usage:' -e '^ ' "$tmp/err" | grep -qF -- "$1"
}

# run EXPECTED-STATUS PATTERN CMD...: the status, and PATTERN (grep -E) in
# stderr; a crash (status >= 128) always fails
run() {
	want=$1 pat=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	[ $rc -lt 128 ] && [ $rc -eq "$want" ] && grep -qE -- "$pat" "$tmp/err"
	echo $?
}

printf 'instrument id=1 symbol=X\nnew acct=1 cl=1 inst=1 side=B qty=1 px=100\n' >"$tmp/a.nxr"
printf '# the second file\nbogus x=1\n' >"$tmp/bad.nxr"
printf '# nothing\n' >"$tmp/s.nxc"
mkdir "$tmp/dir"
: >"$tmp/empty"

# --- nxreplay ---------------------------------------------------------------------
check "nxreplay --orders with no value" "$(run 2 "requires an argument" "$nxreplay" --orders)"
check "nxreplay --orders FILE takes FILE as its value, refused" \
	"$(run 2 '--orders: ".*a.nxr" is not an integer' "$nxreplay" --orders "$tmp/a.nxr")"
check "nxreplay --bogus" "$(run 2 "unrecognized option '--bogus'" "$nxreplay" --bogus "$tmp/a.nxr")"
check "nxreplay -x" "$(run 2 "invalid option -- 'x'" "$nxreplay" -x "$tmp/a.nxr")"
check "nxreplay --ladder 100 (not a power of two)" \
	"$(run 2 "ladder: must be a power of two from 64" "$nxreplay" --ladder 100 "$tmp/a.nxr")"
check "nxreplay --help exits 0 with the usage on stdout" \
	"$("$nxreplay" --help >"$tmp/out" 2>&1 && grep -q -- '--instruments N' "$tmp/out"; echo $?)"
check "nxreplay missing FILE is named" "$(run 2 "nope.nxr: No such file" "$nxreplay" "$tmp/nope.nxr")"
check "nxreplay: an error in the second FILE names it and its line" \
	"$(run 2 "bad.nxr:2: unknown command \"bogus\"" "$nxreplay" "$tmp/a.nxr" "$tmp/bad.nxr")"
check "nxreplay --echo is -v" \
	"$("$nxreplay" --echo "$tmp/a.nxr" 2>&1 | grep -q '^> new acct=1'; echo $?)"
check "nxreplay --orders=4 (the = form) runs" \
	"$("$nxreplay" --orders=4 "$tmp/a.nxr" 2>&1 | grep -q '^ack'; echo $?)"
# A directory given as FILE is an error (fopen succeeds on one, fgets fails
# with EISDIR: the loop ended as at end of file, exit 0).
check "nxreplay: a directory as FILE is an error" \
	"$(run 2 "dir: Is a directory" "$nxreplay" "$tmp/dir")"
# A capacity of 0 (or past the book's maximum) is named, with its range (it
# was "invalid capacities (ladder: ...)" whatever the option at fault).
for o in "--orders 0" "--instruments 0" "--accounts 0" "--orders 1073741825"; do
	# shellcheck disable=SC2086
	check "nxreplay $o is named as the bad option" \
		"$(run 2 "${o% *}" "$nxreplay" $o "$tmp/a.nxr")"
done
printf 'book orders=0\ninstrument id=1 symbol=X\n' >"$tmp/b0.nxr"
check "nxreplay: book orders=0 is named as the bad field" \
	"$(run 2 "b0.nxr:1: .*orders" "$nxreplay" "$tmp/b0.nxr")"

# --- nxclient ---------------------------------------------------------------------
check "nxclient -p with no value" "$(run 2 "requires an argument -- 'p'" "$nxclient" -p)"
check "nxclient -p 0" "$(run 2 "port: 0 is not a UDP port" "$nxclient" -p 0 "$tmp/s.nxc")"
check "nxclient -p 65536" "$(run 2 "port: not a number up to 65535" "$nxclient" -p 65536 "$tmp/s.nxc")"
check "nxclient -p 9x" "$(run 2 "port: not a number" "$nxclient" -p 9x "$tmp/s.nxc")"
check "nxclient -t -1" "$(run 2 "timeout: not a number up to 3600000" "$nxclient" -t -1 "$tmp/s.nxc")"
check "nxclient --settle 60001" "$(run 2 "settle: not a number up to 60000" "$nxclient" --settle 60001 "$tmp/s.nxc")"
check "nxclient --count 0" "$(run 2 "count: at least 1" "$nxclient" --load -n 0)"
check "nxclient --count 4294967296" "$(run 2 "count: not a number" "$nxclient" --load -n 4294967296)"
check "nxclient --acct 4294967296" "$(run 2 "acct: not a number up to 4294967295" "$nxclient" --load -a 4294967296)"
check "nxclient --px -5" "$(run 2 "px: not a number" "$nxclient" --load --px -5)"
check "nxclient --side X" "$(run 2 "side: BUY or SELL" "$nxclient" --load --side X)"
check "nxclient --key short" "$(run 2 "key: not 64 hex digits" "$nxclient" --load -k 00 -t 1)"
check "nxclient --bogus" "$(run 2 "unrecognized option '--bogus'" "$nxclient" --bogus "$tmp/s.nxc")"
check "nxclient with no script and no --load" "$(run 2 "give script files, or --load" "$nxclient")"
check "nxclient with a script and --load" "$(run 2 "give script files, or --load" "$nxclient" --load "$tmp/s.nxc")"
check "nxclient missing script is named" "$(run 2 "nope.nxc: No such file" "$nxclient" "$tmp/nope.nxc")"
check "nxclient directory script is named" "$(run 2 "dir: Is a directory" "$nxclient" "$tmp/dir")"
check "nxclient -c of a missing file" "$(run 2 "nope.cfg: cannot read the file" "$nxclient" -c "$tmp/nope.cfg" "$tmp/s.nxc")"
printf 'connect s=a acct=1 key=00\n' >"$tmp/k.nxc"
check "nxclient script errors fail before anything is sent" \
	"$(run 2 "k.nxc:1: key: not 64 hex digits" "$nxclient" -p 9 -t 1 "$tmp/k.nxc")"
check "nxclient --help exits 0 with the usage on stdout" \
	"$("$nxclient" --help >"$tmp/out" 2>&1 && grep -q -- '--settle MS' "$tmp/out"; echo $?)"

# --- nxitch -----------------------------------------------------------------------
pcap=$(dirname "$0")/../pcap/mold_gap.pcap
check "nxitch without FILE: the usage, status 1" "$(run 1 "usage: nxitch" "$nxitch")"
check "nxitch missing FILE is named" "$(run 1 "nope: No such file" "$nxitch" "$tmp/nope")"
check "nxitch --pcap of an empty file" "$(run 1 "empty: too short for a pcap file" "$nxitch" --pcap "$tmp/empty")"
check "nxitch --pcap --port 0 (no filter) runs" \
	"$("$nxitch" --pcap --port 0 "$pcap" >/dev/null 2>&1; echo $?)"
# Every bad argument is named, with why, before the usage (status 1): it
# was the usage alone.
for a in "--port 70000" "--depth x" "--depth -1" "--bogus" "--window-ms 4294967296"; do
	# shellcheck disable=SC2086
	"$nxitch" --pcap $a "$pcap" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	check "nxitch $a names the bad argument" \
		"$([ $rc -eq 1 ] && said "${a##* }"; echo $?)"
done
"$nxitch" --pcap "$pcap" "$pcap" >"$tmp/out" 2>"$tmp/err" </dev/null
rc=$?
check "nxitch with two FILEs names the second" \
	"$([ $rc -eq 1 ] && said "mold_gap.pcap"; echo $?)"
# A directory is named as one (it read as "Input/output error").
check "nxitch: a directory as FILE is named as one" \
	"$(run 1 "dir: Is a directory" "$nxitch" "$tmp/dir")"
# --max-orders past the book's limit is named with its range (it was
# "cannot create the book (Invalid argument)").
"$nxitch" --max-orders 4294967295 "$pcap" >"$tmp/out" 2>"$tmp/err" </dev/null
rc=$?
check "nxitch --max-orders 4294967295 names the option" \
	"$([ $rc -eq 1 ] && said "max-orders"; echo $?)"
check "nxitch --help exits 0 with the usage on stdout" \
	"$("$nxitch" --help >"$tmp/out" 2>&1 && grep -q -- '--max-orders N' "$tmp/out"; echo $?)"

# --- nanoex-sock ------------------------------------------------------------------
# A start that fails says why and exits 1, and does not say "stopped" (it
# never ran): it printed "nanoex-sock: stopped" after its error.
if [ -x "$b/nanoex-sock" ]; then
	{
		echo 'limits = { max_order_notional = 1000; position_limit = 10; credit_limit = 5000;'
		echo '  max_open_orders = 5; msg_rate = 100; msg_burst = 10; };'
		echo 'instruments = ( { id = 1; symbol = "X"; } );'
		echo 'accounts = ( { id = 1; key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"; } );'
	} >"$tmp/nonet.cfg"
	"$b/nanoex-sock" --config "$tmp/nonet.cfg" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	check "nanoex-sock: a failed start exits 1, names why, and does not say stopped" \
		"$([ $rc -eq 1 ] && grep -q 'no net section' "$tmp/err" && ! grep -q stopped "$tmp/out"; echo $?)"
fi
exit $fail
