/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Compiler and architecture specifics, in one place (after ck's ck_cc.h).
 * Nothing else in libnx names a compiler builtin or attribute directly.
 */
#ifndef NX_CC_H
#define NX_CC_H

#include <stdint.h>

#define NX_CACHE_LINE 64

#define NX_LIKELY(x)   __builtin_expect(!!(x), 1)
#define NX_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define NX_ALWAYS_INLINE inline __attribute__((always_inline))
#define NX_NOINLINE      __attribute__((noinline))
#define NX_COLD          __attribute__((cold))
#define NX_PACKED        __attribute__((packed))
#define NX_ALIGNED(n)    __attribute__((aligned(n)))
#define NX_CACHE_ALIGNED NX_ALIGNED(NX_CACHE_LINE)
#define NX_UNUSED        __attribute__((unused))
#define NX_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define NX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Prefetch for reading / for writing. On x86-64 these are volatile asm, not
 * __builtin_prefetch: GCC models the builtin as touching no memory, so a
 * helper that only prefetches is "const" to its interprocedural analysis,
 * and a call to it that is not inlined early is deleted as dead code. The
 * book's prefetch helpers were compiled out that way (match, cancel and
 * replace had no prefetch instruction at all) until 2026-11-22;
 * tests/objects/test_prefetch.sh now checks the objects. An asm statement
 * that is volatile is never deleted. PREFETCHW needs PRFCHW (every AMD64
 * CPU, Intel since Broadwell); without it in the target, prefetcht0.
 */
#if defined(__x86_64__)
#define NX_PREFETCH(p) __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)(p)))
#if defined(__PRFCHW__)
#define NX_PREFETCH_W(p) __asm__ volatile("prefetchw %0" : : "m"(*(const char *)(p)))
#else
#define NX_PREFETCH_W(p) NX_PREFETCH(p)
#endif
#else
#define NX_PREFETCH(p)   __builtin_prefetch((p), 0, 3)
#define NX_PREFETCH_W(p) __builtin_prefetch((p), 1, 3)
#endif

/* Count trailing / leading zeros of a non-zero 64-bit word. */
#define NX_CTZ64(x) __builtin_ctzll(x)
#define NX_CLZ64(x) __builtin_clzll(x)

static inline int nx_is_pow2_u64(uint64_t x) { return x && !(x & (x - 1)); }

/* Smallest power of two >= x, or 0 when it does not fit in 64 bits. */
static inline uint64_t nx_pow2_ceil_u64(uint64_t x)
{
	if (x <= 1)
		return 1;
	if (x > (UINT64_C(1) << 63))
		return 0;
	return UINT64_C(1) << (64 - NX_CLZ64(x - 1));
}

#endif /* NX_CC_H */
