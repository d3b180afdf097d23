#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# nxitch end to end: the pcap path on tests/pcap/mold_gap.pcap (MoldUDP64
# written from the specification by gen_mold_pcap.py, with a heartbeat, a
# duplicate, a gap, foreign frames and the end of session) and the
# BinaryFILE path on the real snippet (skipped if absent), and captures
# written here for the hold of packets past a gap (its window in capture
# time, one packet per number, an end of session) and for truncations.
# Checks the committed pcap is what the generator writes, then greps the
# report.
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
	# A generator that fails is a failure too (it used to skip the check).
	if ! python3 "$dir/gen_mold_pcap.py" "$tmp/regen.pcap"; then echo "FAIL gen_mold_pcap.py failed"; fail=1
	elif cmp -s "$tmp/regen.pcap" "$dir/mold_gap.pcap"; then echo "ok   pcap regenerates"
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

# Exit status 1 (not 234) for a file that is not a pcap; garbage numbers refused.
"$nxitch" --pcap "$0" >"$out" 2>&1
rc=$?; [ $rc -eq 1 ] && echo "ok   not-pcap exit 1" || { echo "FAIL not-pcap exit $rc"; fail=1; }
"$nxitch" --pcap --depth -1 "$dir/mold_gap.pcap" >"$out" 2>&1
rc=$?; [ $rc -eq 1 ] && echo "ok   --depth -1 refused" || { echo "FAIL --depth -1 exit $rc"; fail=1; }
# A depth far past the book prints the book, not nothing.
"$nxitch" --pcap --book AAPL --depth 4000000000 "$dir/mold_gap.pcap" >"$out" 2>&1
expect huge-depth  "        1        300     149.9900 | "

# What a gap lost may come later in the capture (a retransmission answer to
# the requester's port, after the packet that revealed the gap): applied.
if command -v python3 >/dev/null; then
	python3 - "$dir" "$tmp/retrans.pcap" <<'PY' || { echo "FAIL retrans.pcap"; fail=1; }
import struct, sys
sys.path.insert(0, sys.argv[1])
from gen_mold_pcap import A, E, R, S, mold, udp_frame
t = 34200 * 10**9
p13 = mold(1, [S(b"O", t), R(1, "AAPL", t + 10), R(2, "MSFT", t + 20)])
p46 = mold(4, [A(1, 1, b"B", 100, "AAPL", 1500000, t + 100), A(1, 2, b"S", 200, "AAPL", 1500500, t + 200),
               A(1, 3, b"B", 50, "AAPL", 1499000, t + 300)])
p78 = mold(7, [A(1, 4, b"B", 300, "AAPL", 1499900, t + 500), E(1, 1, 40, 1, t + 600)])
frames = [udp_frame(p13), udp_frame(p78), udp_frame(p46, dport=50000), udp_frame(mold(9, count=0xFFFF))]
with open(sys.argv[2], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        f.write(struct.pack("<IIII", 1577716200, 1000 * i, len(fr), len(fr)) + fr)
PY
	"$nxitch" --pcap --book AAPL "$tmp/retrans.pcap" >"$out" 2>&1
	expect retrans-gap   "gap: messages 4..6 missing (3), found by packet seq 7 count 2"
	expect retrans-held  "messages delivered 8, duplicates 0, gaps 1 (3 messages), lost 0"
	expect retrans-live  "live orders 4 (peak 4)"
	expect retrans-best  "        1         60     150.0000 | 150.0500            200       1"
	"$nxitch" --pcap --window-ms 0 "$tmp/retrans.pcap" >"$out" 2>&1
	expect retrans-skip  "messages delivered 5, duplicates 3, gaps 1 (3 messages), lost 3"

	# A packet held past a gap, then the end of session numbered before it:
	# nothing is missing up to the end, so the packet can never be delivered.
	# Giving it up used to loop for ever (the receiver had nothing to skip).
	python3 - "$dir" "$tmp/held_past_end.pcap" <<'PY' || { echo "FAIL held_past_end.pcap"; fail=1; }
import struct, sys
sys.path.insert(0, sys.argv[1])
from gen_mold_pcap import A, R, S, mold, udp_frame
t = 34200 * 10**9
frames = [udp_frame(mold(1, [S(b"O", t), R(1, "AAPL", t + 10), R(2, "MSFT", t + 20)])),
          udp_frame(mold(7, [A(1, 4, b"B", 300, "AAPL", 1499900, t + 500)])),
          udp_frame(mold(4, count=0xFFFF))]
with open(sys.argv[2], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        f.write(struct.pack("<IIII", 1577716200, 1000 * i, len(fr), len(fr)) + fr)
PY
	timeout 20 "$nxitch" --pcap "$tmp/held_past_end.pcap" >"$out" 2>&1
	rc=$?; [ $rc -eq 0 ] && echo "ok   held-past-end exit 0" || { echo "FAIL held-past-end exit $rc (124: hung)"; fail=1; }
	expect held-past-end-drop "dropped AFTER_END              1"
	expect held-past-end-msgs "messages delivered 3, duplicates 0, gaps 1 (3 messages), lost 0"

	# The window, in capture time: a held packet waits for at most that long.
	python3 - "$dir" "$tmp" <<'PY' || { echo "FAIL window captures"; fail=1; }
import struct, sys
sys.path.insert(0, sys.argv[1])
from gen_mold_pcap import A, R, S, mold, udp_frame
d, t = sys.argv[2], 34200 * 10**9

def pcap(name, recs):  # recs: (capture time in ms, MoldUDP64 packet)
    with open(d + "/" + name, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ms, pkt in recs:
            fr = udp_frame(pkt)
            f.write(struct.pack("<IIII", 1577716200 + ms // 1000, ms % 1000 * 1000, len(fr),
                                len(fr)) + fr)

def add(ref):  # an AAPL buy of 100 at 100.00 + ref cents
    return A(1, ref, b"B", 100, "AAPL", 1000000 + 100 * ref, t + ref)

p13 = mold(1, [S(b"O", t), R(1, "AAPL", t + 1), R(2, "MSFT", t + 2)])
# 7..8 held at 100 ms past the gap 4..6, whose messages come at 1300 ms:
# past a 1000 ms window (given up at the heartbeat of 1200 ms), within 1200.
pcap("late.pcap", [(0, p13), (100, mold(7, [add(7), add(8)])), (500, mold(9, count=0)),
                   (1200, mold(9, count=0)), (1300, mold(4, [add(4), add(5), add(6)])),
                   (1400, mold(9, count=0xFFFF))])
# 10 held at 100 ms (gap 2..9), then 5 at 900 ms (still past 2..4): at
# 1500 ms 10 has waited 1400 ms, so both holes are given up before 6..9
# comes. The window used to run from the lowest-numbered held packet (5).
pcap("oldest.pcap", [(0, mold(1, [S(b"O", t)])), (100, mold(10, [add(10)])),
                     (900, mold(5, [add(5)])), (1500, mold(6, [add(6), add(7), add(8), add(9)])),
                     (1600, mold(11, count=0xFFFF))])
# Past a gap, two lines of one feed: 7 alone, then 7..8 on the other line
# (cut differently), then 7..8 again; 4..6 fills the gap.
p78 = mold(7, [add(7), add(8)])
pcap("lines.pcap", [(0, p13), (1, mold(7, [add(7)])), (2, p78), (3, p78),
                    (4, mold(4, [add(4), add(5), add(6)])), (5, mold(9, count=0xFFFF))])
# 10 held at 100 ms, then the end of session at 6: 10 can never be
# delivered. 2..5 comes at 1200 ms, when 10 would have waited 1100 ms.
pcap("end_lets_go.pcap", [(0, mold(1, [S(b"O", t)])), (100, mold(10, [add(10)])),
                          (200, mold(6, count=0xFFFF)),
                          (1200, mold(2, [add(2), add(3), add(4), add(5)]))])
PY
	# Given up after the window, mid-capture: 4..6 then comes as a duplicate.
	"$nxitch" --pcap "$tmp/late.pcap" >"$out" 2>&1
	expect late-held   "AHEAD      packets          1"
	expect late-dup    "DUPLICATE  packets          1"
	expect late-lost   "messages delivered 5, duplicates 3, gaps 1 (3 messages), lost 3"
	# Filled within a longer window; at exactly the window the packet still waits.
	"$nxitch" --pcap --window-ms 1200 "$tmp/late.pcap" >"$out" 2>&1
	expect late-filled "messages delivered 8, duplicates 0, gaps 1 (3 messages), lost 0"
	"$nxitch" --pcap --window-ms 1199 "$tmp/late.pcap" >"$out" 2>&1
	expect late-edge   "messages delivered 5, duplicates 3, gaps 1 (3 messages), lost 3"
	"$nxitch" --pcap --window-ms 0 "$tmp/late.pcap" >"$out" 2>&1
	expect late-skip   "AHEAD      packets          0"
	# Measured from the oldest held packet, not the lowest-numbered (which
	# gave "delivered 7, ... lost 3": 6..9 came 1400 ms after 10 was held).
	"$nxitch" --pcap "$tmp/oldest.pcap" >"$out" 2>&1
	expect oldest-lost "messages delivered 3, duplicates 4, gaps 1 (8 messages), lost 7"
	expect oldest-dup  "DUPLICATE  packets          1"
	# One held per number, the one with most messages: the others are not
	# fed again (both used to be: "DATA 4, DUPLICATE 1, duplicates 3").
	"$nxitch" --pcap "$tmp/lines.pcap" >"$out" 2>&1
	expect lines-ahead "AHEAD      packets          3"
	expect lines-sup   "superseded packets          2"
	expect lines-data  "DATA       packets          3"
	expect lines-dup   "DUPLICATE  packets          0"
	expect lines-msgs  "messages delivered 8, duplicates 0, gaps 1 (3 messages), lost 0"
	# The end of session lets 10 go at once; it used to wait out the window,
	# then give 2..5 up with it ("lost 4"), just before 2..5 came.
	"$nxitch" --pcap "$tmp/end_lets_go.pcap" >"$out" 2>&1
	expect end-lets-go-drop "dropped AFTER_END              1"
	expect end-lets-go-msgs "messages delivered 5, duplicates 0, gaps 1 (8 messages), lost 0"
fi

# Truncated inputs: the report of what was read is printed, a "truncated:"
# line says where the input stops and why, and the exit status is 3. Both
# used to exit 0, the pcap one with only "file ends inside a record" in its
# header line and the BinaryFILE one with "N trailing bytes".
status() { # status NAME WANT: the last run's exit status
	if [ "$rc" -eq "$2" ]; then echo "ok   $1 exit $2"; else echo "FAIL $1 exit $rc, not $2"; fail=1; fi
}
size=$(wc -c <"$dir/mold_gap.pcap")
head -c $((size - 5)) "$dir/mold_gap.pcap" >"$tmp/cut_data.pcap"
"$nxitch" --pcap "$tmp/cut_data.pcap" >"$out" 2>"$tmp/err"; rc=$?
status  cut-data 3
expect  cut-data-why "truncated: the file ends inside record 10 at byte 1201 (its header says 62 bytes captured, the file holds 57); the 9 records before it were read"
expect  cut-data-read "messages delivered 12, duplicates 2, gaps 1 (3 messages), lost 3"
expect  cut-data-book "live orders 5 (peak 5), live levels 5 (peak 5)"
grep -qF "nxitch: $tmp/cut_data.pcap: truncated: the file ends inside record 10" "$tmp/err" &&
	echo "ok   cut-data stderr" || { echo "FAIL cut-data: no truncation on stderr"; fail=1; }
head -c 1208 "$dir/mold_gap.pcap" >"$tmp/cut_hdr.pcap"
"$nxitch" --pcap "$tmp/cut_hdr.pcap" >"$out" 2>&1; rc=$?
status  cut-header 3
expect  cut-header-why "truncated: the file ends inside the header of record 10 at byte 1201 (7 of its 16 bytes); the 9 records before it were read"
head -c 1201 "$dir/mold_gap.pcap" >"$tmp/whole.pcap" # ends between records: whole
"$nxitch" --pcap "$tmp/whole.pcap" >"$out" 2>&1; rc=$?
status  whole-records 0
if grep -q truncated: "$out"; then echo "FAIL whole-records: says truncated"; fail=1; fi
# --check failing is reported as 2 even on a truncated input (not tested
# here: the book's checker does not fail on any input we can write).

if command -v python3 >/dev/null; then
	python3 - "$dir" "$tmp" <<'PY' || { echo "FAIL truncated inputs"; fail=1; }
import struct, sys
sys.path.insert(0, sys.argv[1])
from gen_mold_pcap import A, R, S, mold, udp_frame, arp_frame
d, t = sys.argv[2], 34200 * 10**9
msgs = [S(b"O", t), R(1, "AAPL", t + 10), A(1, 1, b"B", 100, "AAPL", 1500000, t + 100)]
blocks = b"".join(struct.pack(">H", len(m)) + m for m in msgs)   # 14 + 41 + 38 bytes
open(d + "/bin_whole.itch", "wb").write(blocks)
open(d + "/bin_msg.itch", "wb").write(blocks[:55 + 2 + 10])      # A cut after 10 bytes
open(d + "/bin_prefix.itch", "wb").write(blocks[:55 + 1])        # inside its length prefix

def pcap(name, recs):  # recs: (frame, bytes captured or None: all, bytes on the wire or None)
    with open(d + "/" + name, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, (fr, incl, orig) in enumerate(recs):
            incl = len(fr) if incl is None else incl
            f.write(struct.pack("<IIII", 1577716200, 1000 * i, incl,
                                len(fr) if orig is None else orig) + fr[:incl])
p13 = mold(1, msgs[:2] + [R(2, "MSFT", t + 20)])
p45 = mold(4, [A(1, 2, b"S", 200, "AAPL", 1500500, t + 200), A(1, 3, b"B", 50, "AAPL", 1499000, t + 300)])
# the last record captured short of its frame (snaplen): its datagram is cut
pcap("snap.pcap", [(udp_frame(p13), None, None), (udp_frame(p45), 60, None)])
# a whole datagram whose MoldUDP64 packet ends inside a block (10 bytes cut)
pcap("mold_cut.pcap", [(udp_frame(p13), None, None), (udp_frame(p45[:-10]), None, None)])
# the same packet first, before the session is known: it names that session
pcap("mold_cut_first.pcap", [(udp_frame(p45[:-10]), None, None), (udp_frame(p13), None, None)])
# not truncations: an ARP frame captured short, a data frame whose FCS was
# not captured (its IPv4 packet is whole), and a datagram of another
# session that a MoldUDP64 reader would find cut
other = b"OTHERSESS1" + struct.pack(">QH", 1, 5)
fcs = udp_frame(p45) + b"\0\0\0\0"
pcap("not_cut.pcap", [(udp_frame(p13), None, None), (arp_frame(), 20, None),
                      (fcs, len(fcs) - 4, None), (udp_frame(other), None, None)])
PY
	"$nxitch" "$tmp/bin_whole.itch" >"$out" 2>&1; rc=$?
	status bin-whole 0
	expect bin-whole "BinaryFILE, 3 messages in 93 bytes"
	"$nxitch" "$tmp/bin_msg.itch" >"$out" 2>"$tmp/err"; rc=$?
	status bin-msg 3
	expect bin-msg-read "BinaryFILE, 2 messages in 55 bytes"
	expect bin-msg-why "truncated: the file ends inside message block 3 at byte 55 (its length prefix says 36 bytes, the file holds 10, type 'A'); the 2 blocks before it were read"
	expect bin-msg-counts "R STOCK_DIRECTORY               1"
	grep -qF "truncated: the file ends inside message block 3" "$tmp/err" &&
		echo "ok   bin-msg stderr" || { echo "FAIL bin-msg: no truncation on stderr"; fail=1; }
	"$nxitch" "$tmp/bin_prefix.itch" >"$out" 2>&1; rc=$?
	status bin-prefix 3
	expect bin-prefix-why "truncated: the file ends inside the length prefix of message block 3 at byte 55 (1 of its 2 bytes); the 2 blocks before it were read"
	"$nxitch" --pcap "$tmp/snap.pcap" >"$out" 2>&1; rc=$?
	status snaplen 3
	expect snaplen-count "skipped frames: truncated 1 (datagrams cut 1)"
	expect snaplen-why "truncated: 1 datagram captured short, the first in record 2"
	expect snaplen-read "messages delivered 3, duplicates 0"
	"$nxitch" --pcap "$tmp/mold_cut.pcap" >"$out" 2>&1; rc=$?
	status mold-cut 3
	expect mold-cut-drop "dropped TRUNCATED              1"
	expect mold-cut-why "truncated: 1 MoldUDP64 packet of the session ending inside a message block, the first in record 2"
	"$nxitch" --pcap "$tmp/mold_cut_first.pcap" >"$out" 2>&1; rc=$?
	status mold-cut-first 3
	expect mold-cut-first-why "the first in record 1"
	"$nxitch" --pcap "$tmp/not_cut.pcap" >"$out" 2>&1; rc=$?
	status not-cut 0
	expect not-cut-count "skipped frames: truncated 2 (datagrams cut 0), not IPv4 1"
	expect not-cut-fcs "messages delivered 5, duplicates 0"
	expect not-cut-other "dropped TRUNCATED              1"
fi

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
