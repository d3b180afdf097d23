/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Allocation counting for the no-allocation proofs (test_*_noalloc.c).
 * Linking a test that calls count_window() pulls tests/alloc_count.c from
 * the support archive, and with it definitions of malloc, calloc, realloc,
 * free, aligned_alloc, posix_memalign and memalign that count while the
 * window is open and forward to glibc's __libc_* entry points (libnx.a is
 * linked statically, so its calls resolve there too). Under
 * AddressSanitizer, whose runtime owns those symbols, counting goes through
 * the sanitizer's malloc/free hooks instead (count_install sets them).
 */
#ifndef NX_TEST_ALLOC_COUNT_H
#define NX_TEST_ALLOC_COUNT_H

/* The allocator has no context argument, so the counter must be a global;
 * it is test-only and single-threaded. */
struct alloc_count {
	int on;                 /* counting window open */
	unsigned long allocs;   /* malloc, calloc, realloc, aligned allocations */
	unsigned long frees;    /* free of a non-NULL pointer */
};

extern struct alloc_count g_alloc;

void count_window(int on);
void count_install(void);

#endif /* NX_TEST_ALLOC_COUNT_H */
