/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The order books of one shard and their matching engine.
 *
 * A struct nx_book holds one price-time priority book per instrument, the
 * accounts that trade on them, and every live order. Commands (new order,
 * cancel, replace, mass cancel, status change) are applied one at a time,
 * to completion; each reports what happened as events to the sink given at
 * init (nx/event.h). The book is a deterministic state machine: the same
 * sequence of commands on a book built from the same configuration emits
 * byte-identical events, venue order ids and trade ids included.
 *
 * Memory: everything is sized by struct nx_book_config and laid out in one
 * block at init (nx_book_memsize + nx_book_init on caller memory, e.g.
 * hugepages on the NIC's NUMA node; or nx_book_create, which mallocs). After
 * init no call allocates, locks, reads a clock, logs or makes a system call.
 * Reaching a capacity rejects the command with a reason.
 *
 * Threading: a book has a single writer. No call is thread-safe against any
 * other call on the same book; distinct books share nothing.
 *
 * The rules of matching (order types, time in force, iceberg refill, replace
 * priority, self-trade prevention, event order) are spelled out in
 * docs/matching.md; the comments below are the summary.
 */
#ifndef NX_BOOK_H
#define NX_BOOK_H

/* An iceberg's quantity may be at most this many display peaks (a
 * replace's new open quantity too): each refill is a trade of its own
 * against an incoming order that keeps crossing, so a peak of 1 lot on a
 * huge order would let one command make millions of trades. */
#define NX_BOOK_ICEBERG_SLICES 1000

#include <stddef.h>
#include <stdint.h>
#include "nx/event.h"
#include "nx/instrument.h"
#include "nx/reason.h"
#include "nx/types.h"

struct nx_book;

enum nx_ord_type {
	NX_ORD_LIMIT  = 1,
	NX_ORD_MARKET = 2, /* sweeps up to best opposite +/- band_ticks, never rests */
};

enum nx_tif {
	NX_TIF_GTC = 1, /* rests until filled or canceled */
	NX_TIF_IOC = 2, /* what does not fill at once is canceled */
	NX_TIF_FOK = 3, /* fills completely at once, or is canceled with no trace */
};

/* Self-trade prevention: what happens when an incoming order would trade
 * against a resting order of the same self-trade group. The incoming
 * order's mode decides. */
enum nx_stp {
	NX_STP_DEFAULT = 0, /* in a request: use the account's default */
	NX_STP_NONE    = 1, /* the trade happens */
	NX_STP_CN      = 2, /* cancel newest: the incoming order's rest is canceled */
	NX_STP_CO      = 3, /* cancel oldest: the resting order is canceled, matching goes on */
	NX_STP_CB      = 4, /* cancel both */
	NX_STP_DC      = 5, /* decrement and cancel: both lose the smaller open
	                       quantity, no trade; whichever reaches 0 is canceled */
};

/* The most instruments and accounts one book takes (and one risk state,
 * nx/risk.h, and so one engine and one venue file: nx_config_load refuses
 * a longer list). */
#define NX_BOOK_MAX_INSTRUMENTS (UINT32_C(1) << 20)
#define NX_BOOK_MAX_ACCOUNTS    (UINT32_C(1) << 24)
#define NX_BOOK_MAX_ORDERS      (UINT32_C(1) << 30)
#define NX_BOOK_LADDER_MIN      UINT32_C(64)
#define NX_BOOK_LADDER_MAX      (UINT32_C(1) << 22)

struct nx_book_config {
	uint32_t max_instruments; /* books; 1 .. NX_BOOK_MAX_INSTRUMENTS */
	uint32_t max_accounts;    /* 1 .. NX_BOOK_MAX_ACCOUNTS */
	uint32_t max_orders;      /* live orders across all books; 1 .. NX_BOOK_MAX_ORDERS */
	uint32_t ladder_ticks;    /* price window per book side, in ticks: a power
	                             of two in [NX_BOOK_LADDER_MIN, _MAX]; live
	                             prices on one side must lie within a window
	                             this wide */
};

struct nx_account {
	nx_acct_t id;       /* any value but 0 */
	uint32_t stp_group; /* orders of one group never trade with each other
	                       (unless NONE); 0: the group numbered as the account
	                       id (so account 5 and a stp_group=5 account share) */
	uint8_t stp;        /* default enum nx_stp for its orders; 0 means NONE */
};

struct nx_new_order {
	nx_acct_t acct;
	nx_inst_t inst;
	nx_clid_t cl;       /* unique among the account's live orders */
	nx_px_t px;         /* limit price; ignored for market orders */
	nx_qty_t qty;
	nx_qty_t display;   /* iceberg peak; 0: fully visible. GTC limit only, and
	                       at most NX_BOOK_ICEBERG_SLICES peaks in qty */
	uint8_t side;       /* enum nx_side */
	uint8_t type;       /* enum nx_ord_type */
	uint8_t tif;        /* enum nx_tif; market orders: GTC is read as IOC */
	uint8_t post_only;  /* 1: reject rather than take liquidity; GTC limit only */
	uint8_t stp;        /* enum nx_stp */
	uint32_t tag;       /* the caller's, echoed in every event about this order
	                       (the pipeline routes reports to the entering session
	                       with it); the book never reads it */
};

/* Name the order by venue id (oid != 0) or else by client id (orig_cl). */
struct nx_cancel {
	nx_acct_t acct;     /* must own the order */
	nx_clid_t cl;       /* this request's client id, echoed in events */
	nx_clid_t orig_cl;
	nx_oid_t oid;
};

struct nx_replace {
	nx_acct_t acct;
	nx_clid_t cl;       /* the order's new client id (may equal the old) */
	nx_clid_t orig_cl;
	nx_oid_t oid;
	nx_px_t px;         /* new limit price */
	nx_qty_t qty;       /* new open quantity (not the original total) */
};

struct nx_mass_cancel {
	nx_acct_t acct;
	nx_clid_t cl;
	nx_inst_t inst;     /* 0: every instrument */
	uint8_t side;       /* 0: both sides */
};

struct nx_bbo {
	nx_px_t bid_px, ask_px;     /* 0 when the side is empty */
	nx_qty_t bid_qty, ask_qty;  /* visible quantity at the best level */
	uint32_t bid_count, ask_count;
};

struct nx_level_info {
	nx_px_t px;
	nx_qty_t qty;       /* visible */
	uint32_t count;
};

struct nx_order_info {
	nx_oid_t oid;
	nx_clid_t cl;
	nx_acct_t acct;
	nx_inst_t inst;
	nx_px_t px;
	nx_qty_t leaves;    /* open, hidden included */
	nx_qty_t visible;   /* shown in the book */
	nx_qty_t display;   /* iceberg peak, 0 if none */
	nx_qty_t cum;       /* filled so far */
	uint8_t side, post_only, stp;
};

/* --- Lifecycle (cold) ----------------------------------------------------- */

/* 0 if every member of cfg is in its range (above); else -EINVAL with
 * *field the first member that is not ("max_orders") and *range its range
 * in words ("1 to 1073741824"), for a caller's message. */
int nx_book_config_check(const struct nx_book_config *cfg, const char **field, const char **range);

/* Bytes nx_book_init needs for cfg; 0 if cfg is invalid or too large. */
size_t nx_book_memsize(const struct nx_book_config *cfg);

/*
 * Lay a book out in caller memory of at least nx_book_memsize(cfg) bytes,
 * aligned to NX_CACHE_LINE. fn receives every event; ctx is passed along.
 * Returns the book, or NULL with errno = EINVAL (bad cfg, misaligned or
 * short mem, NULL fn). The caller frees mem after its last use of the book.
 */
struct nx_book *nx_book_init(void *mem, size_t len, const struct nx_book_config *cfg,
			     nx_event_fn fn, void *ctx);

/* nx_book_init on memory from aligned_alloc (a block of 2 MiB or more
 * aligned to 2 MiB and advised MADV_HUGEPAGE). NULL with errno set on failure. */
struct nx_book *nx_book_create(const struct nx_book_config *cfg, nx_event_fn fn, void *ctx);
/* Free a book from nx_book_create. NULL is a no-op. */
void nx_book_destroy(struct nx_book *b);

/* Redirect events (for tools that wrap a book). Not during a command. */
void nx_book_set_sink(struct nx_book *b, nx_event_fn fn, void *ctx);

/*
 * Add an account or an instrument. 0, or -EINVAL (invalid definition; for
 * an instrument see nx_instrument_check), -EEXIST (id taken), -ENOSPC
 * (capacity reached), -ERANGE (an instrument whose max_qty x max_orders
 * passes INT64_MAX: the book sums quantities of up to max_orders orders, in
 * level totals and the FOK check, and those sums must not overflow).
 */
int nx_book_add_account(struct nx_book *b, const struct nx_account *a);
int nx_book_add_instrument(struct nx_book *b, const struct nx_instrument *in);

/*
 * Set an instrument's trading status. With cancel_resting, every resting
 * order of the instrument is canceled (reason HALT), in order id order.
 * 0, -ENOENT (no such instrument), -EINVAL (bad status).
 */
int nx_book_set_status(struct nx_book *b, nx_inst_t inst, unsigned status, int cancel_resting);

/*
 * Cancel every resting order of an account (acct != 0) and/or instrument
 * (inst != 0), or of the whole book (both 0), each CANCELED with reason (an
 * enum nx_cancel_reason: KILL_SWITCH, DISCONNECT, HALT...) and req_cl 0,
 * then the LEVEL events. Order: by account, in venue order id order; by
 * instrument alone, in venue order id order; the whole book, instrument by
 * instrument in the order they were added. Returns how many were canceled,
 * or -ENOENT (account or instrument unknown), -EINVAL (reason unknown).
 */
int nx_book_cancel_where(struct nx_book *b, nx_acct_t acct, nx_inst_t inst, unsigned reason);

/* As nx_book_cancel_where(acct, 0, reason) for the account's resting orders
 * entered with nx_new_order.tag == tag only (the engine tags an order with
 * its session: cancel-on-disconnect). Same returns. */
int nx_book_cancel_tagged(struct nx_book *b, nx_acct_t acct, uint32_t tag, unsigned reason);

/* --- Commands (hot) ------------------------------------------------------- */
/* Each returns 0 when the request was applied, or the nx_reject_reason it
 * was rejected with (also sent as an NX_EV_REJECTED event). */

/* Enter an order: validate, accept (assigning the next oid), match, then
 * rest, or cancel what is left (IOC, FOK, market, self-trade). */
int nx_book_new_order(struct nx_book *b, const struct nx_new_order *o);

/* Cancel one live order of the account. */
int nx_book_cancel(struct nx_book *b, const struct nx_cancel *c);

/* Change a live order's price and/or open quantity. Same price and a quantity
 * not increased keeps time priority; otherwise the order goes to the back of
 * its new level, matching first as the aggressor if it crosses. A post-only
 * order that would cross is rejected and left as it was. */
int nx_book_replace(struct nx_book *b, const struct nx_replace *r);

/* Cancel the account's live orders, optionally of one instrument and/or
 * side, in order id order; then one NX_EV_MASS_CANCELED with the count. */
int nx_book_mass_cancel(struct nx_book *b, const struct nx_mass_cancel *m);

/*
 * Prefetch hints: start loading the memory a command will touch (the id-map
 * entry that names its order or client id, the order, its price level and
 * the neighbours taking it out would write), and nothing else. A caller
 * holding several commands (a burst of packets, a datagram of messages)
 * gives each command's hints some commands before running it, so that the
 * cache misses of several commands overlap, as DPDK's examples prefetch a
 * few packets ahead.
 *
 * The hints come in stages, because what a command touches is a chain: the
 * entry names the order, the order names its level and neighbours. Stage
 * NX_BOOK_PF_ENTRY loads the entries (and a new order's level); stage
 * NX_BOOK_PF_ORDER reads the entry and loads the order; stage
 * NX_BOOK_PF_AROUND reads the order and loads the rest. Each stage reads
 * only what the stage before it loaded, so give them in that order, spaced
 * by the time a miss takes (for example stage 0 six commands ahead, stage
 * 1 four, stage 2 two; perf/bench_book --prefetch 2). A stage given
 * alone is still correct, only less useful. Results never depend on the
 * hints; any request is safe to pass, invalid ones included, as long as the
 * book is not in the middle of a command.
 */
enum {
	NX_BOOK_PF_ENTRY,
	NX_BOOK_PF_ORDER,
	NX_BOOK_PF_AROUND,
	NX_BOOK_PF_STAGES
};
void nx_book_prefetch_new(const struct nx_book *b, const struct nx_new_order *o, unsigned stage);
void nx_book_prefetch_cancel(const struct nx_book *b, const struct nx_cancel *c, unsigned stage);
void nx_book_prefetch_replace(const struct nx_book *b, const struct nx_replace *r, unsigned stage);

/* --- Queries (any time outside a command; not thread-safe) ---------------- */

/* 0, or -ENOENT for an unknown instrument. */
int nx_book_bbo(const struct nx_book *b, nx_inst_t inst, struct nx_bbo *out);

/* Up to n levels of one side, best first. Number written, or -ENOENT/-EINVAL. */
int nx_book_depth(const struct nx_book *b, nx_inst_t inst, unsigned side,
		  struct nx_level_info *out, unsigned n);

/* Venue order ids at one level in queue (time priority) order, up to n.
 * Number written (0 if the level is empty), or -ENOENT/-EINVAL. */
int nx_book_level_orders(const struct nx_book *b, nx_inst_t inst, unsigned side,
			 nx_px_t px, nx_oid_t *out, unsigned n);

/* A live order by venue id, or by (account, client id). 0 or -ENOENT. */
int nx_book_order(const struct nx_book *b, nx_oid_t oid, struct nx_order_info *out);
int nx_book_order_by_cl(const struct nx_book *b, nx_acct_t acct, nx_clid_t cl,
			struct nx_order_info *out);

/* Live orders in the whole book. */
uint32_t nx_book_order_count(const struct nx_book *b);

/* A copy of an instrument's definition, status and reference price as now. */
int nx_book_instrument(const struct nx_book *b, nx_inst_t inst, struct nx_instrument *out);

/*
 * Verify every internal invariant of every book (no crossed book, level
 * totals and counts equal their orders, queues linked both ways, price
 * window, id maps). 0, or -EFAULT with *why naming the first violation.
 * Walks everything: for tests and debugging, never the hot path.
 */
int nx_book_check(const struct nx_book *b, const char **why);

#endif /* NX_BOOK_H */
