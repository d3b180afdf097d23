/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Reference prices from market data: for each mapped venue instrument, the
 * price of an ITCH stock in a full-depth book (nx/mdbook.h), in the
 * instrument's price units, ready for the risk checks' price collar
 * (NX_ADMIN_REF_PX, nx/engine.h). The appliance's market-data service runs
 * it after every feed packet and hands what it emits to the shard that
 * owns the instrument (docs/market-data.md#reference-prices).
 *
 * Per mapping (struct nx_md_map, from the venue file):
 * - source MID: (best bid + best offer) / 2, only while both sides have a
 *   level and the book is not crossed or locked (bid < offer); LAST: the
 *   stock's last trade price (E, C, P, Q), once there is one.
 * - Conversion: venue price = Price(4) x px_mul / px_div, rounded to the
 *   nearest multiple of the instrument's tick (half away from zero), in
 *   128-bit arithmetic. A result <= 0 is not a price: nothing is emitted.
 * - The stock is found by symbol (the directory, or the first add that
 *   names it); until then the mapping waits. nx_mdref_resolve does the
 *   symbol search: one pass over the book's stocks for all the waiting
 *   mappings, and none at all while no stock was named since the last
 *   (a symbol the feed never carries must not cost a scan forever).
 * - A price is emitted when it differs from the last one emitted for the
 *   instrument and at least interval_ns have passed since that one
 *   (0: every change). A change inside the interval is not lost: it is
 *   emitted by the first update after the interval ends. If the caller
 *   cannot deliver one (the shard's queue is full) it returns nonzero
 *   from the emit function and the price is offered again next time.
 *
 * Nothing here allocates after init, locks, reads a clock or logs. One
 * thread (the book's writer) owns a struct nx_mdref.
 */
#ifndef NX_MDREF_H
#define NX_MDREF_H

#include <stdint.h>

#include "nx/config.h"
#include "nx/mdbook.h"

struct nx_mdref_entry {
	struct nx_md_map map;
	nx_px_t tick;               /* the instrument's tick size */
	int32_t locate;             /* the stock's locate, -1 until resolved */
	nx_px_t last_px;            /* last emitted, 0 if none */
	uint64_t last_ns;           /* when */
	uint64_t emitted;           /* prices delivered */
};

struct nx_mdref {
	uint32_t n, unresolved;
	const struct nx_mdbook *book_seen; /* the book of the last search (NULL: none yet) */
	uint64_t namings_seen;      /* and its stats' namings then */
	uint64_t interval_ns;
	struct nx_mdref_entry e[NX_MD_MAX_MAP];
};

/* Deliver one reference price; nonzero: not delivered, offer it again. */
typedef int (*nx_mdref_emit_fn)(void *ctx, nx_inst_t inst, nx_px_t px);

/* Set up from the venue's market_data.itch section (maps, ref_interval_us)
 * and its instruments (ticks). Returns 0, or -EINVAL if a mapped
 * instrument is not configured or there are more than NX_MD_MAX_MAP maps
 * (the config loader refuses both; a config built in code may not). */
int nx_mdref_init(struct nx_mdref *r, const struct nx_venue_config *cfg);

/* Look up the stocks of unresolved mappings by symbol (the lowest locate
 * naming it). Returns how many remain unresolved. One pass over the book's
 * stocks when a stock was named since the last call (nx_mdbook_stats
 * namings), otherwise O(1): still the caller's to pace. */
uint32_t nx_mdref_resolve(struct nx_mdref *r, const struct nx_mdbook *b);

/* The price the mapping would give now (0: none), without emitting. */
nx_px_t nx_mdref_price(const struct nx_mdref_entry *e, const struct nx_mdbook *b);

/* Emit every changed price due at now_ns. Returns how many were delivered. */
uint32_t nx_mdref_update(struct nx_mdref *r, const struct nx_mdbook *b, uint64_t now_ns,
			 nx_mdref_emit_fn emit, void *ctx);

#endif /* NX_MDREF_H */
