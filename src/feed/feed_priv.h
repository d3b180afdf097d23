/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * What the publisher and the subscriber of nx/feed.h share: little-endian
 * field access, the instrument map, the bounded sorted level arrays that
 * are both sides' image of a book, and the memory layout arithmetic; the
 * subscriber's and the outbox's state, for white-box tests. Private to
 * src/feed/ (and those tests).
 */
#ifndef NX_FEED_PRIV_H
#define NX_FEED_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "nx/feed.h"

/* --- Little-endian fields: byte shifts, no alignment assumption ---------- */

static inline uint16_t feed_ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static inline uint32_t feed_ld32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t feed_ld64(const uint8_t *p)
{
	return (uint64_t)feed_ld32(p) | (uint64_t)feed_ld32(p + 4) << 32;
}

static inline void feed_st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void feed_st32(uint8_t *p, uint32_t v)
{
	feed_st16(p, (uint16_t)v);
	feed_st16(p + 2, (uint16_t)(v >> 16));
}

static inline void feed_st64(uint8_t *p, uint64_t v)
{
	feed_st32(p, (uint32_t)v);
	feed_st32(p + 4, (uint32_t)(v >> 32));
}

/* --- Instrument map: id -> dense index, open addressing, insert only ------ */

struct feed_map_slot {
	nx_inst_t inst;   /* 0: empty (no instrument is 0) */
	uint32_t idx;
};

struct feed_map {
	struct feed_map_slot *slot;
	uint32_t mask;    /* slots - 1: a power of two >= 2 x max */
	uint32_t shift;   /* 64 - log2(slots) */
	uint32_t n, max;
};

/* Slots for max entries (load <= 1/2). */
static inline uint32_t feed_map_slots(uint32_t max)
{
	return (uint32_t)nx_pow2_ceil_u64(2ull * max);
}

/* Fibonacci hashing (the top bits of the product): instrument ids are
 * small and often consecutive. */
static inline uint32_t feed_map_home(const struct feed_map *m, nx_inst_t inst)
{
	return (uint32_t)(((uint64_t)inst * 0x9E3779B97F4A7C15ull) >> m->shift) & m->mask;
}

/* Point m at slots (zeroed, feed_map_slots(max) of them). */
static inline void feed_map_init(struct feed_map *m, struct feed_map_slot *slots, uint32_t max)
{
	uint32_t n = feed_map_slots(max);

	m->slot = slots;
	m->mask = n - 1;
	m->shift = (uint32_t)(64 - NX_CTZ64(n));
	m->n = 0;
	m->max = max;
}

/* The index of inst, or -1. */
static inline int64_t feed_map_find(const struct feed_map *m, nx_inst_t inst)
{
	for (uint32_t i = feed_map_home(m, inst);; i = (i + 1) & m->mask) {
		if (m->slot[i].inst == inst)
			return m->slot[i].idx;
		if (m->slot[i].inst == 0)
			return -1;
	}
}

/* The index of inst, added as the next index if new; -1 when full or 0. */
static inline int64_t feed_map_get(struct feed_map *m, nx_inst_t inst, int *added)
{
	uint32_t i = feed_map_home(m, inst);

	*added = 0;
	if (inst == 0)
		return -1;
	for (; m->slot[i].inst; i = (i + 1) & m->mask)
		if (m->slot[i].inst == inst)
			return m->slot[i].idx;
	if (m->n == m->max)
		return -1;
	m->slot[i].inst = inst;
	m->slot[i].idx = m->n;
	*added = 1;
	return m->n++;
}

/* --- Levels of one book side: sorted best first, at most max -------------- */

enum feed_set {
	FEED_SET_OK = 0,
	FEED_SET_OVERFLOW = 1, /* the side was full: its worst level (maybe this one) dropped */
	FEED_SET_UNKNOWN = 2,  /* removal of a level not held */
};

/* Set the level at px on one side (lv[0, *n), bids descending, asks
 * ascending): qty > 0 inserts or updates, qty 0 removes. */
int feed_levels_set(struct nx_level_info *lv, uint32_t *n, uint32_t max, unsigned side,
		    nx_px_t px, nx_qty_t qty, uint32_t count);

/* 0 if lv[0, n) is strictly best first with qty > 0 and count > 0. */
int feed_levels_check(const struct nx_level_info *lv, uint32_t n, unsigned side);

/* --- Layout: regions of one block, each cache-line aligned --------------- */

struct feed_layout {
	size_t off;
	int bad;          /* a size overflowed */
};

/* Reserve n elements of size bytes; the region's offset. */
static inline size_t feed_lay(struct feed_layout *L, size_t n, size_t size)
{
	size_t at = L->off, bytes;

	if (size && n > SIZE_MAX / size)
		L->bad = 1;
	bytes = n * size;
	if (bytes > SIZE_MAX - at - NX_CACHE_LINE)
		L->bad = 1;
	if (L->bad)
		return 0;
	L->off = (at + bytes + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1);
	return at;
}

/* The subscriber (sub.c), here so that tests/test_checkers.c can corrupt one
 * and see nx_feed_sub_check name it. */
enum sub_state { SUB_STALE = 0, SUB_PENDING = 1, SUB_SYNCED = 2 };

struct sub_inst {
	nx_inst_t id;
	uint8_t state;          /* enum sub_state */
	uint8_t incomplete;
	uint8_t last_side;
	uint8_t status;         /* trading status; 0: not known yet */
	uint32_t n[2];          /* levels held: bids, asks */
	uint64_t pend_seq;      /* PENDING: the image's lastSeq */
	uint64_t trades;
	uint64_t trades_lost;   /* announced by TradesLost */
	nx_qty_t trades_lost_qty;
	nx_tid_t last_tid;
	nx_px_t last_px;
	nx_qty_t last_qty;
};

struct sub_replay {
	uint64_t seq;
	struct nx_feed_rec r;
};

struct nx_feed_sub {
	struct nx_mold_rx inc;
	uint64_t base;          /* delivery is contiguous from here; 0: nothing latched */
	uint64_t replay_from;   /* the ring holds every level/clear message from here */
	struct sub_replay *ring;
	uint64_t ring_mask, ring_n; /* slots - 1; entries ever written */
	struct feed_map map;
	struct sub_inst *inst;
	struct nx_level_info *lv;
	uint32_t max_levels;
	uint8_t new_stale;      /* instruments first named from now on start stale */

	struct nx_mold_hold hold; /* incremental packets past a gap */

	struct nx_mold_rx snap;
	struct {                /* the image being assembled */
		uint8_t on;
		uint32_t idx;
		uint64_t last_seq;
		uint16_t next, chunks;
		uint8_t status;
	} img;

	struct nx_feed_sub_stats st;
};

/* The outbox (out.c), here so that tests/test_feed_out.c can see, white-box,
 * that a re-image visits the stale instruments only (its cost is not
 * observable from outside). */
struct out_inst {
	uint64_t bl_last;       /* backlog position + 1 of its last record there; 0: none */
	uint64_t lost;          /* trades lost, not announced yet */
	nx_qty_t lost_qty;      /* their quantity (saturated) */
};

struct nx_feed_out {
	/* The tap's. */
	uint32_t nbuf;
	uint32_t nstale;        /* instruments in the stale queue */
	uint32_t nlost;         /* instruments in the announcement queue */
	uint32_t ninst;
	uint64_t bl_head, bl_tail, bl_mask;
	struct nx_feed_rec *bl;
	nx_feed_enq_fn enq;
	void *ctx;
	nx_inst_t *inst;        /* sorted */
	uint8_t *stale;         /* by index in inst: 1 iff in the stale queue */
	struct out_inst *in;
	uint32_t *lostq;        /* indices of instruments with a loss waiting, FIFO */
	uint32_t lostq_head;
	uint32_t *staleq;       /* indices of stale instruments, FIFO, in the order they
	                           became stale: [staleq_head, + nstale) mod ninst */
	uint32_t staleq_head;
	uint32_t max_levels;
	struct nx_level_info *levels; /* re-image scratch */
	struct nx_feed_rec *image;    /* one re-image */
	struct nx_feed_out_stats st;
	struct nx_feed_rec buf[NX_FEED_OUT_BUF];
};

#endif /* NX_FEED_PRIV_H */
