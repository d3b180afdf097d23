/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The book's internals, shared by its files: set-up (book.c), commands
 * (book_orders.c, book_admin.c), prefetch hints (book_prefetch.c), queries
 * and checks (book_query.c). Nothing outside src/book/ includes this.
 *
 * Ownership: one struct nx_book owns every object below, laid out in the
 * one block given to nx_book_init. Orders live in a fixed pool and are named
 * by slot number (uint32); a free slot is on the free list through .next.
 * A resting order is linked into (1) its level's FIFO and (2) its account's
 * list, in venue order id order (an instrument's orders are found through
 * its ladders, see struct ibook), and is indexed by oid and by (account,
 * client id). An order being matched as the
 * taker of a new-order command is in none of these until it rests.
 */
#ifndef NX_BOOK_PRIV_H
#define NX_BOOK_PRIV_H

#include "nx/book.h"
#include "../idmap.h"
#include "ladder.h"

#define SIDE_IX(side) ((side) - 1) /* NX_SIDE_BUY -> 0 (bids), NX_SIDE_SELL -> 1 (asks) */

struct order {
	/* Hot: matching reads these. */
	uint32_t next, prev;    /* level FIFO (free list: next) */
	int64_t visible;        /* shown at the level */
	int64_t leaves;         /* open, hidden included */
	int64_t ticks;          /* price in ticks */
	uint32_t cl_tag;        /* by_cl tag of (acct, cl) while resting */
	uint32_t book;          /* index of its instrument book */
	nx_acct_t acct;
	uint8_t side, stp, post_only, resting;
	nx_oid_t oid;
	nx_clid_t cl;
	/* Warm: fills and bookkeeping. */
	int64_t display;        /* iceberg peak, 0 if none */
	int64_t cum;            /* filled so far */
	uint32_t acct_ix;
	uint32_t tag;           /* the caller's, echoed in events */
	uint32_t stp_group;     /* resolved self-trade key (read only when the
	                           taker's mode is not NONE) */
	uint32_t anext, aprev;  /* account list */
	uint8_t pad_[28];       /* to 128 bytes: two whole cache lines, and slot
	                           arithmetic is a shift rather than a division */
} NX_CACHE_ALIGNED;
NX_STATIC_ASSERT(sizeof(struct order) == 128, "orders are two cache lines");

struct account {
	nx_acct_t id;
	uint32_t stp_group;     /* resolved: the account id when configured 0 */
	uint8_t stp;            /* default mode, resolved: never NX_STP_DEFAULT */
	uint32_t head, tail;    /* resting orders, oid order */
};

/* An instrument's book. Its resting orders are those of its two ladders: no
 * per-instrument order list is kept (one fewer pair of links to update, and
 * one fewer random line, for each order that rests or leaves); the rare
 * commands that need them all in time order (halts, kill switches) collect
 * them from the ladders and sort by order id. */
struct ibook {
	struct nx_instrument def;
	struct ladder side[2];  /* bids, asks */
};

struct touched {            /* a level's state before the running command */
	struct level *lv;
	int64_t ticks;
	int64_t qty;
	uint32_t count;
	uint32_t book;
	uint8_t side_ix;
};

struct nx_book {
	nx_event_fn emit;
	void *ctx;
	struct order *orders;
	struct ibook *books;
	struct account *accts;
	struct touched *touched;
	uint32_t *scratch;      /* max_orders slots: cancel_where's collection */
	/* Order ids to slots. Ids are the book's own sequence, so a resting
	 * order with one of the last oid_ring_mask + 1 ids sits in the ring at
	 * id & oid_ring_mask (tag: the id's low 32 bits): orders are found with
	 * no probing, and orders entered together share lines, so the recent
	 * ones most commands name stay in cache. The ring has max_orders
	 * entries (rounded up to a power of two): an order still resting when
	 * a newer id takes its entry, that many ids later, moves to by_oid, a
	 * hash map. (With a ring of 32k ids, a book of 1M orders moved one on
	 * nearly every add, a random write into a table of megabytes. The
	 * identity hash over one large table had the locality, but once ids
	 * wrapped around it, long-lived orders stood in the way of the
	 * advancing new ids and linear probing clustered without bound.)
	 * by_oid and by_cl grow with the orders they hold (idmap.h, struct
	 * growmap), so a book with few live orders keeps them in cache however
	 * large its capacity. */
	struct tagmap_ent *oid_ring;
	uint32_t oid_ring_mask;
	uint32_t oid_ring_n;    /* ring entries in use */
	struct growmap by_oid, by_cl;
	struct idmap acct_map, inst_map; /* ids at or above the direct tables' size */
	uint32_t *acct_dir, *inst_dir;   /* index by id, NIL if none: ids below *_dir_n */
	uint32_t acct_dir_n, inst_dir_n;
	uint32_t free_head;
	uint32_t live;          /* orders out of the free list */
	uint32_t ntouched;
	uint32_t cl_hint;       /* by_cl position for the new order being entered */
	uint32_t cl_hint_tag;   /* and its tag */
	uint32_t cl_hint_moves; /* by_cl.moves when cl_hint was found */
	uint32_t ninst, nacct;
	nx_oid_t next_oid;
	nx_tid_t next_tid;
	struct nx_book_config cfg;
	void *alloc;            /* set by nx_book_create: what destroy frees */
	/* One event per type, zeroed at init and type set: an emission writes
	 * only the fields of its kind, so the bytes a kind does not list stay
	 * zero with no per-event clearing, and the sink gets a stable buffer. */
	struct nx_event ev[NX_EV_STATUS + 1];
};

/* Lookups shared with the query side. Return a slot or NIL. Instrument and
 * account ids are small integers in practice: below the direct tables' size
 * (at least NX_BOOK_DIRECT_MIN) they index an array, above it a hash map. */
#define NX_BOOK_DIRECT_MIN 4096
uint32_t nx_book_inst_ix_hashed(const struct nx_book *b, nx_inst_t id);
uint32_t nx_book_acct_ix_hashed(const struct nx_book *b, nx_acct_t id);
static inline uint32_t nx_book_inst_ix(const struct nx_book *b, nx_inst_t id)
{
	return NX_LIKELY(id < b->inst_dir_n) ? b->inst_dir[id] : nx_book_inst_ix_hashed(b, id);
}
static inline uint32_t nx_book_acct_ix(const struct nx_book *b, nx_acct_t id)
{
	return NX_LIKELY(id < b->acct_dir_n) ? b->acct_dir[id] : nx_book_acct_ix_hashed(b, id);
}
uint32_t nx_book_oid_slot(const struct nx_book *b, nx_oid_t oid);
uint32_t nx_book_cl_slot(const struct nx_book *b, nx_acct_t acct, nx_clid_t cl);

/* Tags (idmap.h: the low 32 bits of a key's hash; the home position is
 * tag & mask). Client ids are chosen by clients and could be picked to
 * collide, so they are mixed; order ids too, for by_oid. */
static inline uint32_t book_tag_oid(nx_oid_t oid)
{
	return (uint32_t)idmap_mix((uint32_t)oid);
}
static inline uint32_t book_tag_cl(nx_acct_t acct, nx_clid_t cl)
{
	return (uint32_t)idmap_mix(cl ^ ((uint64_t)acct * UINT64_C(0x9e3779b97f4a7c15)));
}
static inline uint64_t book_hash_id(uint32_t id) { return idmap_mix(id); }

/* Shared by the command files (book_orders.c, book_admin.c). */
/* Publish the levels the running command changed (LEVEL events), and end
 * the command's touched list. Every command ends with it. */
void book_flush_levels(struct nx_book *b);
/* Cancel resting order o outright: its level (touched), a CANCELED event
 * with reason and the request's client id req_cl, its slot. */
void book_cancel_resting(struct nx_book *b, struct order *o, uint8_t reason, nx_clid_t req_cl);

/* Start loading what taking resting order o out of its level will touch:
 * its level, its second line, its client-id entry and its queue neighbours,
 * so those misses overlap instead of following one another. */
static NX_ALWAYS_INLINE void prefetch_resting(const struct nx_book *b, const struct order *o)
{
	const struct ladder *l = &b->books[o->book].side[SIDE_IX(o->side)];
	NX_PREFETCH_W(&l->lv[ladder_slot(l, o->ticks)]);
	NX_PREFETCH_W((const char *)o + NX_CACHE_LINE);
	NX_PREFETCH(&b->by_cl.cur.tab[tagmap_pos(&b->by_cl.cur, o->cl_tag)]);
	if (o->prev != NIL)
		NX_PREFETCH_W(&b->orders[o->prev]);
	if (o->next != NIL)
		NX_PREFETCH_W(&b->orders[o->next]);
}

#endif /* NX_BOOK_PRIV_H */
