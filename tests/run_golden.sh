#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Golden tests: run nxreplay on each tests/golden/NAME.nxr and compare its
# output byte for byte with NAME.out. Ends with one "golden: N passed, N failed" line.
# To refresh an expectation after a deliberate change: rerun the tool on the
# .nxr, read the diff, and commit the new .out with a message saying why.
tool=$1 dir=$2
pass=0 fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for f in "$dir"/*.nxr; do
	exp="${f%.nxr}.out"
	if "$tool" "$f" >"$tmp" 2>&1 && cmp -s "$tmp" "$exp"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "golden: FAILED $f"
		diff -u "$exp" "$tmp" | head -40
	fi
done
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
