#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# Regression test: the prefetches written in the source are in the objects.
# Until 2026-11-22 GCC deleted the book's prefetch helpers as dead code
# (__builtin_prefetch touches no memory as far as GCC knows, so a helper
# that only prefetches is "const", and an uninlined call to it is dropped):
# match, cancel and replace had none, and benchmarks of prefetching
# measured nothing. NX_PREFETCH is now volatile asm (include/nx/cc.h).
# Each use of NX_PREFETCH / NX_PREFETCH_W in a source file must leave at
# least one prefetch instruction in its object (inlining may copy it).
# Usage: tests/objects/test_prefetch.sh   (objects under ${BUILD:-build})
# Exit 0 pass, 1 fail, 77 skip (no objdump, or not x86-64).
build=${BUILD:-build}
fail=0
command -v objdump >/dev/null || { echo "skip: no objdump"; exit 77; }
[ "$(uname -m)" = x86_64 ] || { echo "skip: prefetch asm checked on x86-64 only"; exit 77; }

srcs=$(grep -l 'NX_PREFETCH\(_W\)\?(' src/*.c src/*/*.c)
[ -n "$srcs" ] || { echo "FAIL no source uses NX_PREFETCH (run from the top directory)"; exit 1; }
for src in $srcs; do
	obj=$build/${src%.c}.o
	[ -f "$obj" ] || { echo "FAIL $src: no $obj (build first)"; fail=1; continue; }
	uses=$(grep -c 'NX_PREFETCH\(_W\)\?(' "$src")
	insns=$(objdump -d --no-show-raw-insn "$obj" |
		grep -cE '^ +[0-9a-f]+:[[:space:]]+prefetch(t0|t1|t2|nta|w)[[:space:]]')
	if [ "$insns" -ge "$uses" ]; then
		echo "ok   $src: $uses prefetches written, $insns in $obj"
	else
		echo "FAIL $src: $uses prefetches written, only $insns in $obj"
		fail=1
	fi
done
exit $fail
