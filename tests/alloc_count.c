/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The allocation counter of tests/alloc_count.h: interposed allocator
 * entry points (or ASan hooks) that count while the window is open.
 */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>

#include "alloc_count.h"

struct alloc_count g_alloc;

void count_window(int on)
{
	g_alloc.on = on;
}

#if defined(__SANITIZE_ADDRESS__)
#define NX_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NX_TEST_ASAN 1
#endif
#endif

#ifdef NX_TEST_ASAN
/* compiler-rt's <sanitizer/allocator_interface.h>; GCC does not ship it. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
					      void (*free_hook)(const volatile void *));

static void asan_malloc_hook(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	if (g_alloc.on)
		g_alloc.allocs++;
}

static void asan_free_hook(const volatile void *p)
{
	if (g_alloc.on && p)
		g_alloc.frees++;
}

void count_install(void)
{
	__sanitizer_install_malloc_and_free_hooks(asan_malloc_hook, asan_free_hook);
}
#else
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t nmemb, size_t n);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

void count_install(void)
{
}

void *malloc(size_t n)
{
	if (g_alloc.on)
		g_alloc.allocs++;
	return __libc_malloc(n);
}

void *calloc(size_t nmemb, size_t n)
{
	if (g_alloc.on)
		g_alloc.allocs++;
	return __libc_calloc(nmemb, n);
}

void *realloc(void *p, size_t n)
{
	if (g_alloc.on)
		g_alloc.allocs++;
	return __libc_realloc(p, n);
}

void free(void *p)
{
	if (g_alloc.on && p)
		g_alloc.frees++;
	__libc_free(p);
}

void *memalign(size_t align, size_t n)
{
	if (g_alloc.on)
		g_alloc.allocs++;
	return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	if (g_alloc.on)
		g_alloc.allocs++;
	return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (g_alloc.on)
		g_alloc.allocs++;
	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	p = __libc_memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}
#endif

