/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Reference prices from ITCH books (nx/mdref.h).
 */
#include <errno.h>
#include <string.h>

#include "nx/cc.h"
#include "nx/mdref.h"
#include "mdbook_priv.h"

int nx_mdref_init(struct nx_mdref *r, const struct nx_venue_config *cfg)
{
	const struct nx_md_itch_config *it = &cfg->md.itch;
	memset(r, 0, sizeof(*r));
	if (it->nmap > NX_MD_MAX_MAP)
		return -EINVAL;
	r->interval_ns = (uint64_t)it->ref_interval_us * 1000u;
	for (uint32_t i = 0; i < it->nmap; i++) {
		const struct nx_instrument *in = nx_config_instrument(cfg, it->map[i].inst);
		if (!in || in->tick <= 0 || it->map[i].px_mul <= 0 || it->map[i].px_div <= 0)
			return -EINVAL;
		r->e[i] = (struct nx_mdref_entry){ .map = it->map[i], .tick = in->tick, .locate = -1 };
	}
	r->n = r->unresolved = it->nmap;
	return 0;
}

/* One pass over the stocks, not one a mapping (nx_mdbook_find each): a
 * search for 256 waiting mappings in 65,536 locates read 16M stocks, and
 * the service repeats it every 100 ms for as long as one stays unknown. */
uint32_t nx_mdref_resolve(struct nx_mdref *r, const struct nx_mdbook *b)
{
	uint64_t namings = nx_mdbook_stats(b)->namings;
	if (!r->unresolved || (b == r->book_seen && namings == r->namings_seen))
		return r->unresolved; /* no stock named since the last search */
	r->book_seen = b;
	r->namings_seen = namings;
	uint32_t left = r->unresolved;
	char name[9];
	for (uint32_t loc = 0; left && loc < b->nstk; loc++) {
		if (!b->stk[loc].named_by)
			continue;
		nx_itch_symbol(b->stk[loc].symbol, name);
		for (uint32_t i = 0; i < r->n; i++) {
			struct nx_mdref_entry *e = &r->e[i];
			if (e->locate < 0 && !strcmp(name, e->map.symbol)) {
				e->locate = (int32_t)loc;
				left--;
			}
		}
	}
	return r->unresolved = left;
}

/* num / den Price(4) units -> venue units, to the nearest tick. */
static nx_px_t convert(const struct nx_mdref_entry *e, __int128 num, int64_t den)
{
	__int128 v = num * e->map.px_mul, d = (__int128)den * e->map.px_div * e->tick;
	__int128 q = (v + d / 2) / d; /* v >= 0: half away from zero */
	if (q <= 0 || q > INT64_MAX / e->tick)
		return 0;
	return (nx_px_t)q * e->tick;
}

nx_px_t nx_mdref_price(const struct nx_mdref_entry *e, const struct nx_mdbook *b)
{
	if (e->locate < 0)
		return 0;
	if (e->map.source == NX_MD_REF_LAST) {
		struct nx_mdbook_stock_info si;
		nx_mdbook_stock(b, (uint16_t)e->locate, &si);
		return si.last_trade_px ? convert(e, si.last_trade_px, 1) : 0;
	}
	struct nx_mdbook_bbo q;
	nx_mdbook_bbo(b, (uint16_t)e->locate, &q);
	if (!q.bid.qty || !q.ask.qty || q.bid.px >= q.ask.px)
		return 0;
	return convert(e, (__int128)q.bid.px + q.ask.px, 2);
}

uint32_t nx_mdref_update(struct nx_mdref *r, const struct nx_mdbook *b, uint64_t now_ns,
			 nx_mdref_emit_fn emit, void *ctx)
{
	uint32_t sent = 0;
	for (uint32_t i = 0; i < r->n; i++) {
		struct nx_mdref_entry *e = &r->e[i];
		nx_px_t px = nx_mdref_price(e, b);
		if (!px || px == e->last_px)
			continue;
		if (e->emitted && now_ns < e->last_ns)
			e->last_ns = now_ns; /* the clock stepped back: pace from now */
		if (e->emitted && now_ns - e->last_ns < r->interval_ns)
			continue;
		if (emit(ctx, e->map.inst, px))
			continue;
		e->last_px = px;
		e->last_ns = now_ns;
		e->emitted++;
		sent++;
	}
	return sent;
}
