#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run every unit-test binary given; each prints its own cmocka summary.
# Exit 77 from a binary means "skipped: this machine lacks what it needs".
# Ends with one "unit: N passed, N failed, N skipped" line.
pass=0 fail=0 skip=0
for t in "$@"; do
	echo "== $t"
	"$t"
	rc=$?
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)); echo "   (skipped)" ;;
	*) fail=$((fail + 1)); echo "   FAILED: $t (exit $rc)" ;;
	esac
done
echo "unit: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
