/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Memory for the library's large, long-lived blocks (private to libnx).
 */
#ifndef NX_MEM_H
#define NX_MEM_H

#include <stddef.h>

/*
 * bytes of uninitialised memory, aligned to the cache line and rounded up
 * to it; a block of 2 MiB or more is aligned and rounded to 2 MiB and
 * advised MADV_HUGEPAGE, so that the kernel backs it with huge pages where
 * transparent huge pages allow (the books and id maps are read at random:
 * 4 KiB pages would add a TLB miss to most of their cache misses). Release
 * with free(). NULL with errno EINVAL (bytes == 0 or too large) or ENOMEM.
 * Start-up only: it makes system calls.
 */
void *nx_mem_alloc(size_t bytes);

#endif /* NX_MEM_H */
