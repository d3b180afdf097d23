/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Large blocks: aligned_alloc, and huge pages advised where they fit.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "nx/cc.h"
#include "mem.h"

#define HUGE_PAGE ((size_t)2 << 20)

void *nx_mem_alloc(size_t bytes)
{
	size_t align = bytes >= HUGE_PAGE ? HUGE_PAGE : NX_CACHE_LINE;
	if (bytes == 0 || bytes > SIZE_MAX - align) {
		errno = EINVAL;
		return NULL;
	}
	bytes = (bytes + align - 1) & ~(align - 1);
	void *p = aligned_alloc(align, bytes);
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	if (align == HUGE_PAGE)
		(void)madvise(p, bytes, MADV_HUGEPAGE); /* advice: without THP, 4 KiB pages */
	return p;
}
