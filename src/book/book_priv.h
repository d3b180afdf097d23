/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The book's internals, shared by its command path (book.c) and its cold
 * queries and checks (book_query.c). Nothing outside src/book/ includes this.
 *
 * Ownership: one struct nx_book owns every object below, laid out in the
 * one block given to nx_book_init. Orders live in a fixed pool and are named
 * by slot number (uint32); a free slot is on the free list through .next.
 * A resting order is linked into (1) its level's FIFO, (2) its account's
 * list and (3) its instrument's list, both in venue order id order, and is
 * indexed by oid and by (account, client id). An order being matched as the
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
	uint32_t stp_group;     /* resolved self-trade key */
	uint32_t book;          /* index of its instrument book */
	nx_acct_t acct;
	uint8_t side, stp, post_only, resting;
	nx_oid_t oid;
	nx_clid_t cl;
	/* Warm: fills and bookkeeping. */
	int64_t display;        /* iceberg peak, 0 if none */
	int64_t cum;            /* filled so far */
	uint32_t anext, aprev;  /* account list */
	uint32_t inext, iprev;  /* instrument list */
	uint32_t acct_ix;
	uint32_t tag;           /* the caller's, echoed in events */
	uint8_t pad_[24];       /* to 128 bytes: two whole cache lines, and slot
	                           arithmetic is a shift rather than a division */
} NX_CACHE_ALIGNED;
NX_STATIC_ASSERT(sizeof(struct order) == 128, "orders are two cache lines");

struct account {
	nx_acct_t id;
	uint32_t stp_group;     /* resolved: the account id when configured 0 */
	uint8_t stp;            /* default mode, resolved: never NX_STP_DEFAULT */
	uint32_t head, tail;    /* resting orders, oid order */
};

struct ibook {
	struct nx_instrument def;
	struct ladder side[2];  /* bids, asks */
	uint32_t head, tail;    /* resting orders, oid order */
};

struct touched {            /* a level's state before the running command */
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
	struct idmap by_oid, by_cl, acct_map, inst_map;
	uint32_t free_head;
	uint32_t live;          /* orders out of the free list */
	uint32_t ntouched;
	uint32_t cl_erasures;   /* by_cl deletions so far: a remembered insert position
	                           stays valid while this does not move */
	uint32_t cl_hint;       /* by_cl position for the new order being entered */
	uint32_t cl_hint_erasures; /* cl_erasures when cl_hint was found */
	uint32_t ninst, nacct;
	nx_oid_t next_oid;
	nx_tid_t next_tid;
	struct nx_book_config cfg;
	void *alloc;            /* set by nx_book_create: what destroy frees */
};

/* Lookups shared with the query side. Return a slot or NIL. */
uint32_t nx_book_inst_ix(const struct nx_book *b, nx_inst_t id);
uint32_t nx_book_acct_ix(const struct nx_book *b, nx_acct_t id);
uint32_t nx_book_oid_slot(const struct nx_book *b, nx_oid_t oid);
uint32_t nx_book_cl_slot(const struct nx_book *b, nx_acct_t acct, nx_clid_t cl);

/* Venue order ids are the book's own sequence, so the identity spreads them
 * perfectly over a linear-probing table, and orders entered close in time
 * sit in neighbouring entries (the same cache line). Client ids are chosen
 * by clients and could be picked to collide, so they are mixed. */
static inline uint64_t book_hash_oid(nx_oid_t oid) { return oid; }
static inline uint64_t book_hash_cl(nx_acct_t acct, nx_clid_t cl)
{
	return idmap_mix(cl ^ ((uint64_t)acct * UINT64_C(0x9e3779b97f4a7c15)));
}
static inline uint64_t book_hash_id(uint32_t id) { return idmap_mix(id); }

#endif /* NX_BOOK_PRIV_H */
