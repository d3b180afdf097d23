/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * One side of a book: a ring of price levels indexed by price in ticks
 * (private to the book).
 *
 * Level i of the ring holds the price whose tick count t has t & mask == i.
 * The side keeps every live price within a window narrower than the ring
 * (hi - lo < size), so no two live prices share a slot, and walking the ring
 * from a live level in one direction meets live prices in price order,
 * wrapping once at most. An occupancy bitmap (one bit a level) with a
 * summary word per 64 bitmap words makes "next live level above/below"
 * a few word scans however sparse the book is; price-indexed arrays beat
 * trees here because the common operations (add at a known price, find
 * the level of a cancel, step to the next level while matching) are O(1)
 * array accesses rather than pointer chases.
 */
#ifndef NX_BOOK_LADDER_H
#define NX_BOOK_LADDER_H

#include <stdint.h>
#include "nx/cc.h"

#define NIL UINT32_MAX

struct level {
	int64_t ticks;      /* the level's price in ticks, valid while count > 0 */
	int64_t qty;        /* total visible quantity */
	uint32_t head, tail; /* FIFO of order slots */
	uint32_t count;     /* orders */
	uint32_t touch;     /* index in the command's touched list, or NIL */
};
NX_STATIC_ASSERT(sizeof(struct level) == 32, "two levels a cache line");

struct ladder {
	struct level *lv;   /* size levels */
	uint64_t *bm;       /* size / 64 words: level occupied */
	uint64_t *sum;      /* size / 4096 words (at least 1): bm word non-zero */
	uint32_t mask;      /* size - 1 */
	uint32_t nlevels;   /* occupied levels */
	int64_t lo, hi;     /* lowest and highest live price, valid if nlevels */
};

static inline uint32_t ladder_slot(const struct ladder *l, int64_t ticks)
{
	return (uint32_t)((uint64_t)ticks & l->mask);
}

static inline void ladder_bit_set(struct ladder *l, uint32_t i)
{
	l->bm[i >> 6] |= UINT64_C(1) << (i & 63);
	l->sum[i >> 12] |= UINT64_C(1) << ((i >> 6) & 63);
}

static inline void ladder_bit_clear(struct ladder *l, uint32_t i)
{
	uint64_t w = l->bm[i >> 6] &= ~(UINT64_C(1) << (i & 63));
	if (!w)
		l->sum[i >> 12] &= ~(UINT64_C(1) << ((i >> 6) & 63));
}

/* Lowest occupied slot >= i, or -1. */
static inline int64_t ladder_next_ge(const struct ladder *l, uint32_t i)
{
	uint32_t nwords = (l->mask >> 6) + 1, nsum = (nwords + 63) >> 6;
	uint32_t w = i >> 6;
	uint64_t bits = l->bm[w] & (~UINT64_C(0) << (i & 63));
	if (bits)
		return ((int64_t)w << 6) + NX_CTZ64(bits);
	w++;
	if (w >= nwords)
		return -1;
	uint32_t s = w >> 6;
	uint64_t sb = l->sum[s] & (~UINT64_C(0) << (w & 63));
	while (!sb) {
		if (++s >= nsum)
			return -1;
		sb = l->sum[s];
	}
	w = (s << 6) + NX_CTZ64(sb);
	return ((int64_t)w << 6) + NX_CTZ64(l->bm[w]);
}

/* Highest occupied slot <= i, or -1. */
static inline int64_t ladder_prev_le(const struct ladder *l, uint32_t i)
{
	uint32_t w = i >> 6;
	uint64_t bits = l->bm[w] & (~UINT64_C(0) >> (63 - (i & 63)));
	if (bits)
		return ((int64_t)w << 6) + 63 - NX_CLZ64(bits);
	if (w == 0)
		return -1;
	w--;
	int64_t s = w >> 6;
	uint64_t sb = l->sum[s] & (~UINT64_C(0) >> (63 - (w & 63)));
	while (!sb) {
		if (--s < 0)
			return -1;
		sb = l->sum[s];
	}
	w = ((uint32_t)s << 6) + 63 - NX_CLZ64(sb);
	return ((int64_t)w << 6) + 63 - NX_CLZ64(l->bm[w]);
}

/* The next live price above / below a live price t, cyclically; the side
 * must hold another level. */
static inline int64_t ladder_above(const struct ladder *l, int64_t t)
{
	uint32_t i = ladder_slot(l, t);
	int64_t j = i < l->mask ? ladder_next_ge(l, i + 1) : -1;
	if (j < 0)
		j = ladder_next_ge(l, 0);
	return l->lv[j].ticks;
}

static inline int64_t ladder_below(const struct ladder *l, int64_t t)
{
	uint32_t i = ladder_slot(l, t);
	int64_t j = i > 0 ? ladder_prev_le(l, i - 1) : -1;
	if (j < 0)
		j = ladder_prev_le(l, l->mask);
	return l->lv[j].ticks;
}

/* Would a level at t keep the side within its window? */
static inline int ladder_fits(const struct ladder *l, int64_t t)
{
	if (!l->nlevels)
		return 1;
	int64_t lo = t < l->lo ? t : l->lo, hi = t > l->hi ? t : l->hi;
	return (uint64_t)(hi - lo) <= l->mask;
}

/* Occupy the empty slot of t (which fits) as an empty level. */
static inline struct level *ladder_open(struct ladder *l, int64_t t)
{
	uint32_t i = ladder_slot(l, t);
	struct level *lv = &l->lv[i];
	lv->ticks = t;
	lv->qty = 0;
	lv->head = lv->tail = NIL;
	ladder_bit_set(l, i);
	if (!l->nlevels) {
		l->lo = l->hi = t;
	} else {
		if (t < l->lo)
			l->lo = t;
		if (t > l->hi)
			l->hi = t;
	}
	l->nlevels++;
	return lv;
}

/* Release the level at t, now empty. */
static inline void ladder_close(struct ladder *l, int64_t t)
{
	ladder_bit_clear(l, ladder_slot(l, t));
	if (--l->nlevels == 0)
		return;
	if (t == l->lo)
		l->lo = ladder_above(l, t);
	else if (t == l->hi)
		l->hi = ladder_below(l, t);
}

#endif /* NX_BOOK_LADDER_H */
