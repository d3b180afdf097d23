/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of src/mem.c, the allocator of the library's large blocks:
 * alignment (cache line; 2 MiB for blocks of 2 MiB or more, so that they
 * can sit on huge pages), the whole rounded block writable, and the
 * errors for a zero or unroundable size. Whether the kernel backs a block
 * with huge pages depends on its THP mode and is not asserted; nor is
 * ENOMEM, which sanitizer allocators turn into an abort.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nx/cc.h"
#include "../src/mem.h"

#define MIB ((size_t)1 << 20)

static void test_mem_small_is_cache_line_aligned(void **state)
{
	(void)state;
	for (size_t n = 1; n <= 4096; n = n * 3 + 1) {
		unsigned char *p = nx_mem_alloc(n);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % NX_CACHE_LINE, 0);
		memset(p, 0xa5, (n + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1));
		free(p);
	}
}

static void test_mem_large_is_huge_page_aligned(void **state)
{
	(void)state;
	size_t sizes[] = { 2 * MIB, 2 * MIB + 1, 5 * MIB + 12345 };
	for (size_t i = 0; i < NX_ARRAY_SIZE(sizes); i++) {
		unsigned char *p = nx_mem_alloc(sizes[i]);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % (2 * MIB), 0);
		size_t whole = (sizes[i] + 2 * MIB - 1) & ~(2 * MIB - 1);
		memset(p, 0x5a, whole); /* the rounded block is ours */
		assert_int_equal(p[whole - 1], 0x5a);
		free(p);
	}
	/* just under 2 MiB: a cache-line block */
	unsigned char *p = nx_mem_alloc(2 * MIB - 1);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % NX_CACHE_LINE, 0);
	free(p);
}

static void test_mem_bad_sizes(void **state)
{
	(void)state;
	errno = 0;
	assert_null(nx_mem_alloc(0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(nx_mem_alloc(SIZE_MAX));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mem_small_is_cache_line_aligned),
		cmocka_unit_test(test_mem_large_is_huge_page_aligned),
		cmocka_unit_test(test_mem_bad_sizes),
	};
	return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
