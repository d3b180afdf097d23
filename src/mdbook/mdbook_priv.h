/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The internals of nx/mdbook.h shared by mdbook.c (layout, applying
 * messages) and mdbook_query.c (queries, the invariant checker). The
 * header comment of nx/mdbook.h explains the structures and why.
 */
#ifndef NX_MDBOOK_PRIV_H
#define NX_MDBOOK_PRIV_H

#include <stdint.h>

#include "nx/cc.h"
#include "nx/mdbook.h"

/* One live order in the open-addressing table; level 0 marks an empty slot
 * (level index 0 is never allocated). 16 bytes: 4 per cache line. */
struct md_ord {
	uint64_t ref;
	uint32_t level;
	uint32_t shares;
};
NX_STATIC_ASSERT(sizeof(struct md_ord) == 16, "order entries are 16 bytes");
#define MD_ORD_PER_LINE (NX_CACHE_LINE / sizeof(struct md_ord)) /* the table is line-aligned */

/* One price level. Free nodes have live = 0 and chain through next. */
struct md_lvl {
	uint64_t qty;         /* shares of its orders */
	uint32_t px;
	uint32_t orders;
	uint32_t prev, next;  /* its side's list, best first; 0 = none */
	uint32_t hnext;       /* hash chain; 0 = end */
	uint16_t locate;
	uint8_t side;         /* enum nx_mdbook_side */
	uint8_t live;
};
NX_STATIC_ASSERT(sizeof(struct md_lvl) == 32, "levels are 32 bytes, two per line");

/* One stock, indexed by its locate code. */
struct md_stk {
	uint32_t head[2];     /* best level per side; 0 = empty side */
	uint32_t tail[2];     /* worst level per side */
	uint32_t nlevels[2];
	uint32_t orders;
	uint32_t last_px;
	uint32_t round_lot;
	char symbol[8];       /* raw Alpha field */
	uint8_t named_by;
	uint8_t state;
	uint8_t category;
	uint8_t pad_;
	uint64_t hint_occ[2]; /* per side: which slots of its hint row were written */
};
NX_STATIC_ASSERT(sizeof(struct md_stk) == NX_CACHE_LINE, "one stock per cache line");

/*
 * Hints for linking a new level into its side's sorted list without a long
 * walk through cold nodes. Each stock side has a row of MD_HINT_W fine and
 * MD_HINT_WC coarse slots. Fine slot (px / MD_HINT_G) mod MD_HINT_W names
 * a level created at a price of that cent (a slot per cent tick, the grid
 * of every Nasdaq price >= $1); coarse slot (px / MD_HINT_GC) mod
 * MD_HINT_WC one created in that span of 32 cents, so a level created deep
 * in the book (where the fine slots' 64 cents alias) still finds a start a
 * few levels away instead of walking in from an end. A new level starts its
 * walk from the nearest of: the nearest written fine slot's level, its
 * coarse slot's level, the best end and the worst end, and then owns its
 * two slots. A level being freed hands the slots that name it to a list
 * neighbour, so hints name live levels near their slot. A hint is still
 * checked before use (live, same stock and side: any such level is a
 * correct place to start a walk from), so an aliased hint, or one left
 * naming a level that was freed and reused elsewhere, costs steps, never
 * correctness.
 */
#define MD_HINT_W  64u   /* fine slots: 256 bytes */
#define MD_HINT_WC 16u   /* coarse slots: one line */
#define MD_HINT_ROW (MD_HINT_W + MD_HINT_WC)
#define MD_HINT_G  100u  /* Price(4) units a fine slot: one cent (64 cents a row) */
#define MD_HINT_GC 3200u /* a coarse slot: 32 cents (5.12 dollars a row) */

/* Fine slot of px, then coarse slot, as indexes into a row. */
static inline unsigned md_hint_slot(uint32_t px)
{
	return (px / MD_HINT_G) & (MD_HINT_W - 1);
}

static inline unsigned md_hint_cslot(uint32_t px)
{
	return MD_HINT_W + ((px / MD_HINT_GC) & (MD_HINT_WC - 1));
}

struct nx_mdbook {
	/* hot: the order table and the level pool */
	struct md_ord *ord;
	uint64_t ord_mask;
	unsigned ord_shift;   /* 64 - log2(order slots) */
	unsigned bkt_shift;   /* 64 - log2(buckets) */
	struct md_lvl *lvl;   /* [0] unused: index 0 is "none" */
	uint32_t *bkt;        /* level hash buckets: head level index */
	struct md_stk *stk;   /* nstk, indexed by locate */
	uint32_t *hint;       /* nstk x 2 rows of MD_HINT_ROW: level hints, by (locate, side) */
	uint32_t nstk;
	uint32_t free_lvl;    /* free list head, 0 = empty */
	uint32_t lvl_hw;      /* levels [1, lvl_hw) have been used */
	uint32_t max_orders;
	uint32_t max_levels;
	uint64_t ord_slots;
	uint64_t nbkt;
	struct nx_mdbook_stats st;
};

/* The hint row of a stock side. */
static inline uint32_t *md_hint_row(const struct nx_mdbook *b, uint16_t locate, unsigned side)
{
	return &b->hint[((size_t)locate * 2 + side) * MD_HINT_ROW];
}

#define MD_FIB UINT64_C(0x9e3779b97f4a7c15) /* 2^64 / golden ratio, odd */

/* The stock of a locate the caller names, or NULL beyond max_locates. */
static inline const struct md_stk *md_stk_get(const struct nx_mdbook *b, uint16_t locate)
{
	return locate < b->nstk ? &b->stk[locate] : NULL;
}

static inline uint64_t md_ord_home(const struct nx_mdbook *b, uint64_t ref)
{
	return (ref * MD_FIB) >> b->ord_shift;
}

/* (stock, side, price) packs into 49 bits; a Fibonacci multiply spreads it. */
static inline uint64_t md_bkt_of(const struct nx_mdbook *b, uint16_t locate, unsigned side,
				 uint32_t px)
{
	uint64_t key = (uint64_t)px << 17 | (uint64_t)locate << 1 | side;
	return (key * MD_FIB) >> b->bkt_shift;
}

/* The entry of ref, or NULL; *pos is its slot or the empty slot that ends
 * its probe (where it would go). The probe starts at home, which must be
 * md_ord_home(b, ref) (a caller that has it already passes it). */
static inline struct md_ord *md_ord_find_from(const struct nx_mdbook *b, uint64_t ref,
					      uint64_t home, uint64_t *pos)
{
	uint64_t i = home;

	for (;;) {
		struct md_ord *e = &b->ord[i];
		if (e->level == 0) {
			*pos = i;
			return NULL;
		}
		if (e->ref == ref) {
			*pos = i;
			return e;
		}
		i = (i + 1) & b->ord_mask;
	}
}

static inline struct md_ord *md_ord_find(const struct nx_mdbook *b, uint64_t ref,
					 uint64_t *pos)
{
	return md_ord_find_from(b, ref, md_ord_home(b, ref), pos);
}

static inline uint32_t md_lvl_find(const struct nx_mdbook *b, uint16_t locate, unsigned side,
				   uint32_t px)
{
	uint32_t i = b->bkt[md_bkt_of(b, locate, side, px)];

	while (i) {
		const struct md_lvl *l = &b->lvl[i];
		if (l->px == px && l->locate == locate && l->side == side)
			return i;
		i = l->hnext;
	}
	return 0;
}

#endif /* NX_MDBOOK_PRIV_H */
