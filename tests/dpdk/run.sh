#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
# Run every tests/dpdk/test_*.sh (they start nanoex / nanoex-sock on virtual
# ports and clean up after themselves). Exit 77 from a test means skipped.
# Ends with one "dpdk: N passed, N failed, N skipped" line.
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0 skip=0
for t in tests/dpdk/test_*.sh; do
	echo "== $t"
	sh "$t"
	rc=$?
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)); echo "   (skipped)" ;;
	*) fail=$((fail + 1)); echo "   FAILED: $t (exit $rc)" ;;
	esac
done
echo "dpdk: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
