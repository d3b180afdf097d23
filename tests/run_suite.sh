#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run a suite: every test given (a binary, or a .sh script run with sh),
# each printing its own results. Exit 77 from a test means "skipped: this
# machine lacks what it needs". Ends with one line
#   NAME: N passed, N failed, N skipped
# Usage: tests/run_suite.sh NAME TEST...
name=$1
shift
pass=0 fail=0 skip=0
for t in "$@"; do
	echo "== $t"
	case $t in
	*.sh) sh "$t" ;;
	*) "$t" ;;
	esac
	rc=$?
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)); echo "   (skipped)" ;;
	*) fail=$((fail + 1)); echo "   FAILED: $t (exit $rc)" ;;
	esac
done
echo "$name: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
