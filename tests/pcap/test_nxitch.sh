#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# nxitch end to end: the pcap path on tests/pcap/mold_gap.pcap (MoldUDP64
# written from the specification by gen_mold_pcap.py, with a heartbeat, a
# duplicate, a gap, foreign frames and the end of session) and the
# BinaryFILE path on the real snippet (skipped if absent). Checks the
# committed pcap is what the generator writes, then greps the report.
# Usage: tests/pcap/test_nxitch.sh [NXITCH]   (default build/nxitch)
# Exit 0 pass, 1 fail, 77 skip (no binary).
nxitch=${1:-${BUILD:-build}/nxitch}
dir=$(dirname "$0")
snippet=../shared/data/12302019_SNIPPET.NASDAQ_ITCH50
fail=0

[ -x "$nxitch" ] || { echo "skip: $nxitch not built"; exit 77; }

expect() { # expect NAME PATTERN: the last output contains the line
	if grep -qF -- "$2" "$out"; then echo "ok   $1"; else echo "FAIL $1: no '$2'"; fail=1; fi
}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out

if command -v python3 >/dev/null; then
	python3 "$dir/gen_mold_pcap.py" "$tmp/regen.pcap" &&
	if cmp -s "$tmp/regen.pcap" "$dir/mold_gap.pcap"; then echo "ok   pcap regenerates"
	else echo "FAIL pcap differs from gen_mold_pcap.py's output"; fail=1; fi
fi

"$nxitch" --pcap --check --book AAPL "$dir/mold_gap.pcap" >"$out" 2>&1 || { echo "FAIL exit $?"; fail=1; }
expect gap         "gap: messages 9..11 missing (3), found by packet seq 12 count 2"
expect session     "moldudp64: session 'NXTEST0001', next sequence 16, session ended"
expect data        "DATA       packets          5"
expect heartbeat   "HEARTBEAT  packets          1"
expect duplicate   "DUPLICATE  packets          1"
expect end         "END        packets          1"
expect short       "dropped SHORT                  1"
expect delivered   "messages delivered 12, duplicates 2, gaps 1 (3 messages), lost 3"
expect not-ip      "not IPv4 1"
expect live        "live orders 5 (peak 5), live levels 5 (peak 5)"
expect book        "book AAPL (locate 1, named by R): 2 bid levels, 1 ask levels, 3 orders"
expect best        "        1         60     150.0000 | 150.0500            150       1"
expect second      "        1        300     149.9900 | "
expect check       "check: ok"

"$nxitch" --pcap --port 26400 --book MSFT "$dir/mold_gap.pcap" >"$out" 2>&1
expect port        "other port 1"
expect msft        "        1         50     300.0000 | 300.0500             20       1"

"$nxitch" "$dir/mold_gap.pcap" >"$out" 2>&1 # a pcap read as a BinaryFILE: garbage, no crash
expect garbage     "live orders"

if [ -f "$snippet" ]; then
	"$nxitch" --check --book HDS --depth 3 "$snippet" >"$out" 2>&1
	expect total   "total                        1000"
	expect adds    "A ADD_ORDER                   367"
	expect orphans "orphans 399"
	expect live    "live orders 532 (peak 532), live levels 421 (peak 421)"
	expect hds     "        1        100      40.0700 | 40.6000             100       1"
	expect check   "check: ok"
else
	echo "skip: $snippet not found"
fi
[ $fail -eq 0 ] && echo "nxitch: all checks passed"
exit $fail
