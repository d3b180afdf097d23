/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Full-depth, order-by-order books of every stock of an ITCH 5.0 day
 * (nx/itch.h), built from the messages in feed order: adds (A, F),
 * executions (E, C), cancels (X), deletes (D), replaces (U), plus the stock
 * directory (R: locate -> symbol), system events (S) and trading actions
 * (H). Trades of non-displayed orders (P) and crosses (Q) do not touch the
 * book; they are counted and remembered as each stock's last trade. Every
 * other type is counted.
 *
 * What it keeps: every live order (reference -> shares left, level), and
 * per stock and side the price levels, each with its total shares and
 * order count, sorted best first. Queries: best bid/offer, depth, levels,
 * live orders, per-type and anomaly counters. It does not keep queue
 * position inside a level (ITCH consumers that need it keep a FIFO; this
 * book serves prices and sizes) nor history.
 *
 * Data structures, and why:
 * - Orders: one open-addressing table of 16-byte entries {ref, level,
 *   shares}, linear probing, load <= 1/2 (the table has the next power of
 *   two >= 2 x max_orders entries), Fibonacci hashing of the 64-bit
 *   reference (Nasdaq numbers orders roughly sequentially in several
 *   streams: the multiply spreads consecutive references evenly), deletion
 *   by backward shift (no tombstones, so probe lengths do not rot over a
 *   day of churn). An entry holds no price, stock or side: those are the
 *   level's, reached through the entry's level index. So E, C, X and D
 *   cost one table probe and one level update, and no price search at all.
 *   The table is the big random-access structure (64 MB for 2M orders), so
 *   nx_mdbook_apply_blocks runs a three-stage prefetch pipeline: 16
 *   messages ahead it prefetches the stock line and the order entry (the
 *   reference is at the same offset in all seven order messages, so its
 *   slot is known from the bytes alone) or, for an add, the level's hash
 *   bucket; 8 messages ahead it reads that entry or bucket, now cached, and
 *   prefetches the level node behind it (and an add's hint row); 4 ahead,
 *   with the level cached, it prefetches what freeing the level (its
 *   bucket, its list neighbours, its hint slots) or creating one (the
 *   hinted levels, a replace's new bucket) will touch. The apply then
 *   mostly hits cache.
 * - Levels: 32-byte nodes in one preallocated pool with a free list, each
 *   {qty, orders, price, stock, side}, linked twice: into its stock side's
 *   list sorted best first (bids descending, asks ascending; the head is
 *   the best price, so BBO is one read and depth a walk), and into a
 *   chained hash on (stock, side, price) that adds and replaces use to find
 *   an existing level in O(1). A new level is linked into its side by a
 *   walk from the nearest of: the best end, the worst end, and two hints
 *   from a per-stock-side row: the level last created in the nearest
 *   written of 64 one-cent slots, and the one in px's slot of 16 32-cent
 *   slots (for deep prices, where the cent slots alias). A level being
 *   freed hands its hints to a list neighbour; hints are also checked
 *   before use (live, same stock and side), so a stale one costs steps,
 *   never correctness. Without hints a walk through a deep, busy side
 *   crossed ~10-60 cold nodes; with cent hints that were left stale on
 *   free, the synthetic day still walked ~6.5 nodes per new level; now
 *   ~0.6. A sorted array per side would make deep inserts
 *   memmoves and need per-stock capacity; a tree costs pointer chases on
 *   every update. Here updates to an existing level (most messages) touch
 *   only the node, and only level creation and removal relink.
 * - Stocks: an array indexed by the locate code itself (ITCH's locate is
 *   16 bits; max_locates entries, 65,536 by default): no lookup. A symbol
 *   comes from the stock directory (R), or, for a feed joined after the
 *   directory, from the first add that names the locate.
 *
 * Anomalies never crash and never corrupt: a reference never seen (a feed
 * joined mid-day) is an orphan, counted per kind and skipped (a replace of
 * an orphan skips its new order too: side and stock are unknown). Over-
 * executions and over-cancels remove the order and are counted. Capacity
 * exhaustion (orders or levels) skips the add and is counted; references
 * to the skipped order then count as orphans. Messages that fail
 * nx_itch_check are counted by error.
 *
 * Memory: nx_mdbook_memsize(cfg) bytes, laid out by nx_mdbook_init in
 * caller memory (hugepages in the appliance) or by nx_mdbook_create. After
 * init no call allocates. Threading: one writer; queries from the same
 * thread (or after it stops). Deterministic: the same messages give the
 * same book, counters and memory contents.
 */
#ifndef NX_MDBOOK_H
#define NX_MDBOOK_H

#include <stddef.h>
#include <stdint.h>

#include "nx/itch.h"

struct nx_mdbook;

#define NX_MDBOOK_MAX_ORDERS_LIMIT (1u << 30)
#define NX_MDBOOK_MAX_LEVELS_LIMIT (1u << 28)
#define NX_MDBOOK_STOCKS 65536u   /* one per 16-bit locate code */

struct nx_mdbook_config {
	uint32_t max_locates; /* stocks, locates 0 .. max_locates - 1; 0 means all
	                         65536 (4 MiB). A Nasdaq day uses ~9,000: 16384
	                         is enough. Messages naming a locate beyond it
	                         are counted (BAD_LOCATE) and skipped */
	uint32_t max_orders;  /* live orders at once, 1 .. NX_MDBOOK_MAX_ORDERS_LIMIT
	                         (a full Nasdaq day peaks near 2-3M) */
	uint32_t max_levels;  /* live price levels, all stocks and sides together,
	                         1 .. NX_MDBOOK_MAX_LEVELS_LIMIT */
};

/*
 * Counters of what the book did not apply as asked, by name. Each message
 * that fails counts once, under the first reason.
 */
#define NX_MDBOOK_ANOMALIES(X)                                                           \
	X(ORPHAN_EXEC,    "E or C for a reference never seen: skipped")                  \
	X(ORPHAN_CANCEL,  "X for a reference never seen: skipped")                       \
	X(ORPHAN_DELETE,  "D for a reference never seen: skipped")                       \
	X(ORPHAN_REPLACE, "U of a reference never seen: skipped with its new order")     \
	X(DUP_REF,        "A, F or U adding a reference that is live: skipped")          \
	X(BAD_LOCATE,     "A, F, R, H, P or Q naming a locate >= max_locates: skipped") \
	X(BAD_SIDE,       "A or F side not B or S: skipped")                             \
	X(ZERO_SHARES,    "A, F or U of 0 shares: skipped (U still removes the old)")    \
	X(ORDER_CAPACITY, "add skipped: max_orders orders live")                         \
	X(LEVEL_CAPACITY, "add skipped: max_levels levels live")                         \
	X(OVER_EXEC,      "execution above the shares left: order removed")              \
	X(OVER_CANCEL,    "cancel above the shares left: order removed")                 \
	X(DECODE_ERROR,   "message failed nx_itch_check: skipped")

enum nx_mdbook_anomaly {
#define NX_X_(name, text) NX_MDBOOK_##name,
	NX_MDBOOK_ANOMALIES(NX_X_)
#undef NX_X_
	NX_MDBOOK_NANOMALIES,
};

struct nx_mdbook_stats {
	uint64_t msgs[NX_ITCH_IX_MAX];          /* by enum nx_itch_ix; [0]: decode errors */
	uint64_t anomalies[NX_MDBOOK_NANOMALIES];
	uint64_t decode_errs[NX_ITCH_ERR_MAX];  /* by -enum nx_itch_err */
	uint64_t live_orders;                   /* now */
	uint64_t peak_orders;
	uint64_t live_levels;                   /* now */
	uint64_t peak_levels;
	uint64_t shares_executed;               /* E and C, as applied to live orders */
	uint64_t shares_traded_hidden;          /* P */
	uint64_t shares_crossed;                /* Q */
	uint64_t last_ts_ns;                    /* timestamp of the last message applied */
	uint64_t namings;                       /* stocks named (R, first naming add): a
	                                           symbol search finds nothing new until
	                                           this moves (nx/mdref.h) */
	uint8_t last_event;                     /* last system event code, 0 if none */
};

enum nx_mdbook_side { NX_MDBOOK_BID = 0, NX_MDBOOK_ASK = 1 };

struct nx_mdbook_level {
	uint32_t px;          /* Price(4) */
	uint32_t orders;
	uint64_t qty;         /* shares */
};

/* Best bid and offer; a side with no level reads px 0, qty 0, orders 0.
 * Queries of a locate >= max_locates see an empty stock. */
struct nx_mdbook_bbo {
	struct nx_mdbook_level bid, ask;
};

struct nx_mdbook_stock_info {
	char symbol[9];       /* trimmed, NUL-terminated; "" if never named */
	uint8_t named_by;     /* 'R' directory, 'A'/'F' first add applied, 0 none */
	uint8_t trading_state; /* last H: 'H', 'P', 'Q', 'T'; 0 if none */
	uint8_t market_category; /* from R, 0 if none */
	uint32_t levels[2];   /* by enum nx_mdbook_side */
	uint32_t orders;      /* live orders */
	uint32_t last_trade_px; /* price of the last print: E (the order's price), C
	                           printable, P or Q, each of > 0 shares; E and C count
	                           for the executed order's stock; 0 if none */
	uint32_t round_lot;   /* from R, 0 if none */
};

/* --- Lifecycle ------------------------------------------------------------------ */

/* Bytes nx_mdbook_init needs; 0 if cfg is out of range (or overflows). */
size_t nx_mdbook_memsize(const struct nx_mdbook_config *cfg);

/* Lay an empty book out in mem (>= memsize bytes, NX_CACHE_LINE-aligned).
 * Returns the book (== mem), or NULL with errno EINVAL. The caller frees
 * mem after its last use. Calling it again empties the book. */
struct nx_mdbook *nx_mdbook_init(void *mem, size_t len, const struct nx_mdbook_config *cfg);

/* nx_mdbook_init on fresh memory (aligned_alloc; a block of 2 MiB or more
 * aligned to 2 MiB and advised MADV_HUGEPAGE); NULL with errno EINVAL or
 * ENOMEM. nx_mdbook_destroy frees it (NULL is fine). */
struct nx_mdbook *nx_mdbook_create(const struct nx_mdbook_config *cfg);
void nx_mdbook_destroy(struct nx_mdbook *b);

/* --- Applying messages ----------------------------------------------------------- */

/*
 * Apply one message of len bytes (without framing). Returns its type
 * character (> 0) when it passed nx_itch_check, whether or not it changed
 * the book (anomalies are counted, not returned), or the nx_itch_check
 * error (< 0; counted as DECODE_ERROR).
 */
int nx_mdbook_apply(struct nx_mdbook *b, const uint8_t *msg, size_t len);

/*
 * Apply up to max_msgs message blocks (2-byte length prefix each: a
 * BinaryFILE or a MoldUDP64 packet's blocks from nx_mold_pkt.blocks) from
 * data[0, len), prefetching the order entries of the messages a few blocks
 * ahead. Stops at max_msgs, at the end, or before an incomplete block.
 * Returns the blocks applied; *used (if not NULL) gets the bytes consumed.
 */
size_t nx_mdbook_apply_blocks(struct nx_mdbook *b, const uint8_t *data, size_t len,
			      size_t max_msgs, size_t *used);

/* Hint that msg will be applied soon: prefetch its order entry. */
void nx_mdbook_prefetch(const struct nx_mdbook *b, const uint8_t *msg, size_t len);

/* --- Queries ---------------------------------------------------------------------- */

const struct nx_mdbook_stats *nx_mdbook_stats(const struct nx_mdbook *b);

void nx_mdbook_bbo(const struct nx_mdbook *b, uint16_t locate, struct nx_mdbook_bbo *out);

/* The best n levels of one side, best first, into out[]. Returns how many
 * (<= n). side: enum nx_mdbook_side (anything else: 0). */
size_t nx_mdbook_depth(const struct nx_mdbook *b, uint16_t locate, int side,
		       struct nx_mdbook_level *out, size_t n);

/* Live levels of one side of one stock (0 for a bad side). */
uint32_t nx_mdbook_level_count(const struct nx_mdbook *b, uint16_t locate, int side);

uint64_t nx_mdbook_live_orders(const struct nx_mdbook *b);

/* One live order: its stock, side, price and shares left. 0, or -ENOENT. */
struct nx_mdbook_order {
	uint16_t locate;
	uint8_t side;         /* enum nx_mdbook_side */
	uint32_t px;
	uint32_t shares;
};
int nx_mdbook_order(const struct nx_mdbook *b, uint64_t ref, struct nx_mdbook_order *out);

void nx_mdbook_stock(const struct nx_mdbook *b, uint16_t locate,
		     struct nx_mdbook_stock_info *out);

/* The locate named sym (trimmed, as printed), or -ENOENT. Cold: scans the
 * stocks; the lowest locate wins if a symbol was reused. */
int nx_mdbook_find(const struct nx_mdbook *b, const char *sym);

/* Sum of every per-anomaly counter of the four orphan kinds. */
uint64_t nx_mdbook_orphans(const struct nx_mdbook *b);

/* Stable name ("ORPHAN_EXEC") and text of an anomaly; "?" if out of range. */
const char *nx_mdbook_anomaly_name(int a);
const char *nx_mdbook_anomaly_text(int a);

/*
 * Verify every invariant (cold, O(size of the book)): each order's level is
 * live and matches; each level's qty and orders are the sums over its
 * orders and are > 0; lists are sorted strictly best first, doubly linked
 * consistently, counted per stock side; each level is found by its hash;
 * live counts and the free list add up. Returns 0, or -EFAULT with a
 * description in why[0, cap) (may be NULL). The one call that allocates
 * (scratch sums, freed before it returns): tests and tools only.
 */
int nx_mdbook_check(const struct nx_mdbook *b, char *why, size_t cap);

#endif /* NX_MDBOOK_H */
