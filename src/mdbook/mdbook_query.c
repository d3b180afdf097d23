/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Queries of nx/mdbook.h (BBO, depth, orders, stocks, counters and their
 * names) and the invariant checker. Everything here reads the book only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdbook_priv.h"

const struct nx_mdbook_stats *nx_mdbook_stats(const struct nx_mdbook *b)
{
	return &b->st;
}

static void level_out(const struct md_lvl *L, struct nx_mdbook_level *out)
{
	out->px = L->px;
	out->orders = L->orders;
	out->qty = L->qty;
}

void nx_mdbook_bbo(const struct nx_mdbook *b, uint16_t locate, struct nx_mdbook_bbo *out)
{
	const struct md_stk *s = md_stk_get(b, locate);

	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	if (s->head[NX_MDBOOK_BID])
		level_out(&b->lvl[s->head[NX_MDBOOK_BID]], &out->bid);
	if (s->head[NX_MDBOOK_ASK])
		level_out(&b->lvl[s->head[NX_MDBOOK_ASK]], &out->ask);
}

size_t nx_mdbook_depth(const struct nx_mdbook *b, uint16_t locate, int side,
		       struct nx_mdbook_level *out, size_t n)
{
	size_t k = 0;

	if ((side != NX_MDBOOK_BID && side != NX_MDBOOK_ASK) || locate >= b->nstk)
		return 0;
	for (uint32_t i = b->stk[locate].head[side]; i && k < n; i = b->lvl[i].next)
		level_out(&b->lvl[i], &out[k++]);
	return k;
}

uint32_t nx_mdbook_level_count(const struct nx_mdbook *b, uint16_t locate, int side)
{
	if ((side != NX_MDBOOK_BID && side != NX_MDBOOK_ASK) || locate >= b->nstk)
		return 0;
	return b->stk[locate].nlevels[side];
}

uint64_t nx_mdbook_live_orders(const struct nx_mdbook *b)
{
	return b->st.live_orders;
}

int nx_mdbook_order(const struct nx_mdbook *b, uint64_t ref, struct nx_mdbook_order *out)
{
	uint64_t pos;
	const struct md_ord *e = md_ord_find(b, ref, &pos);
	const struct md_lvl *L;

	if (!e)
		return -ENOENT;
	L = &b->lvl[e->level];
	out->locate = L->locate;
	out->side = L->side;
	out->px = L->px;
	out->shares = e->shares;
	return 0;
}

void nx_mdbook_stock(const struct nx_mdbook *b, uint16_t locate,
		     struct nx_mdbook_stock_info *out)
{
	const struct md_stk *s = md_stk_get(b, locate);

	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	if (s->named_by)
		nx_itch_symbol(s->symbol, out->symbol);
	out->named_by = s->named_by;
	out->trading_state = s->state;
	out->market_category = s->category;
	out->levels[0] = s->nlevels[0];
	out->levels[1] = s->nlevels[1];
	out->orders = s->orders;
	out->last_trade_px = s->last_px;
	out->round_lot = s->round_lot;
}

int nx_mdbook_find(const struct nx_mdbook *b, const char *sym)
{
	char name[9];

	for (uint32_t i = 0; i < b->nstk; i++) {
		if (!b->stk[i].named_by)
			continue;
		nx_itch_symbol(b->stk[i].symbol, name);
		if (!strcmp(name, sym))
			return (int)i;
	}
	return -ENOENT;
}

uint64_t nx_mdbook_orphans(const struct nx_mdbook *b)
{
	const uint64_t *a = b->st.anomalies;

	return a[NX_MDBOOK_ORPHAN_EXEC] + a[NX_MDBOOK_ORPHAN_CANCEL] +
	       a[NX_MDBOOK_ORPHAN_DELETE] + a[NX_MDBOOK_ORPHAN_REPLACE];
}

struct name_row {
	const char *name, *text;
};

static const struct name_row anomalies[NX_MDBOOK_NANOMALIES] = {
#define NX_X_(name, text) { #name, text },
	NX_MDBOOK_ANOMALIES(NX_X_)
#undef NX_X_
};

const char *nx_mdbook_anomaly_name(int a)
{
	return a >= 0 && a < NX_MDBOOK_NANOMALIES ? anomalies[a].name : "?";
}

const char *nx_mdbook_anomaly_text(int a)
{
	return a >= 0 && a < NX_MDBOOK_NANOMALIES ? anomalies[a].text : "unknown anomaly";
}

/* --- The invariant checker ---------------------------------------------------------- */

NX_COLD static int fail(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (why && cap) {
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return -EFAULT;
}

/* Orders: each entry reachable from its home, on a live level; sums per level. */
static int check_orders(const struct nx_mdbook *b, uint64_t *qty, uint32_t *cnt, char *why,
			size_t cap)
{
	uint64_t live = 0, pos;

	for (uint64_t i = 0; i < b->ord_slots; i++) {
		const struct md_ord *e = &b->ord[i];
		if (!e->level)
			continue;
		live++;
		if (e->level >= b->lvl_hw || !b->lvl[e->level].live)
			return fail(why, cap, "order %llu on dead level %u",
				    (unsigned long long)e->ref, e->level);
		if (e->shares == 0)
			return fail(why, cap, "order %llu has 0 shares", (unsigned long long)e->ref);
		if (md_ord_find(b, e->ref, &pos) != e)
			return fail(why, cap, "order %llu not found from its home",
				    (unsigned long long)e->ref);
		qty[e->level] += e->shares;
		cnt[e->level]++;
	}
	if (live != b->st.live_orders || live > b->max_orders)
		return fail(why, cap, "live orders %llu, counted %llu",
			    (unsigned long long)b->st.live_orders, (unsigned long long)live);
	return 0;
}

/* Each stock side: a doubly linked list, strictly best first, of live levels
 * of that stock and side, nlevels long; per-stock order counts add up. */
static int check_sides(const struct nx_mdbook *b, const uint32_t *cnt, uint64_t *nlevels,
		       char *why, size_t cap)
{
	for (uint32_t k = 0; k < b->nstk; k++) {
		const struct md_stk *s = &b->stk[k];
		uint64_t orders = 0;
		for (unsigned side = 0; side < 2; side++) {
			uint32_t prev = 0, n = 0;
			for (uint32_t i = s->head[side]; i; i = b->lvl[i].next) {
				const struct md_lvl *L = &b->lvl[i];
				if (i >= b->lvl_hw || !L->live || L->locate != k || L->side != side)
					return fail(why, cap, "stock %u side %u: foreign level %u",
						    k, side, i);
				if (L->prev != prev)
					return fail(why, cap, "stock %u side %u: bad prev link at %u",
						    k, side, i);
				if (prev && (side == NX_MDBOOK_BID ? L->px >= b->lvl[prev].px
								   : L->px <= b->lvl[prev].px))
					return fail(why, cap, "stock %u side %u: not sorted at px %u",
						    k, side, L->px);
				if (++n > b->max_levels)
					return fail(why, cap, "stock %u side %u: list loops", k, side);
				orders += cnt[i];
				prev = i;
			}
			if (prev != s->tail[side] || n != s->nlevels[side])
				return fail(why, cap, "stock %u side %u: tail or count wrong", k, side);
			*nlevels += n;
		}
		if (orders != s->orders)
			return fail(why, cap, "stock %u: orders %u, counted %llu", k, s->orders,
				    (unsigned long long)orders);
	}
	return 0;
}

int nx_mdbook_check(const struct nx_mdbook *b, char *why, size_t cap)
{
	uint64_t *qty = calloc(b->lvl_hw, sizeof(*qty)), nlevels = 0, nlive = 0, nfree = 0;
	uint32_t *cnt = calloc(b->lvl_hw, sizeof(*cnt));
	int rc;

	if (!qty || !cnt) {
		rc = fail(why, cap, "no memory for the check");
		goto out;
	}
	rc = check_orders(b, qty, cnt, why, cap);
	if (rc)
		goto out;
	for (uint32_t i = 1; i < b->lvl_hw; i++) {
		const struct md_lvl *L = &b->lvl[i];
		if (!L->live)
			continue;
		nlive++;
		if (L->qty != qty[i] || L->orders != cnt[i] || L->orders == 0) {
			rc = fail(why, cap, "level %u (stock %u px %u): qty %llu/%llu orders %u/%u",
				  i, L->locate, L->px, (unsigned long long)L->qty,
				  (unsigned long long)qty[i], L->orders, cnt[i]);
			goto out;
		}
		if (md_lvl_find(b, L->locate, L->side, L->px) != i) {
			rc = fail(why, cap, "level %u not found by its hash", i);
			goto out;
		}
	}
	for (uint32_t i = b->free_lvl; i; i = b->lvl[i].next) {
		if (i >= b->lvl_hw || b->lvl[i].live || ++nfree > b->max_levels) {
			rc = fail(why, cap, "free list broken at %u", i);
			goto out;
		}
	}
	if (nlive != b->st.live_levels || nlive + nfree != b->lvl_hw - 1u) {
		rc = fail(why, cap, "levels: %llu live (counter %llu), %llu free, %u used",
			  (unsigned long long)nlive, (unsigned long long)b->st.live_levels,
			  (unsigned long long)nfree, b->lvl_hw - 1u);
		goto out;
	}
	rc = check_sides(b, cnt, &nlevels, why, cap);
	if (!rc && nlevels != nlive)
		rc = fail(why, cap, "%llu levels in lists, %llu live", (unsigned long long)nlevels,
			  (unsigned long long)nlive);
out:
	free(qty);
	free(cnt);
	return rc;
}
