/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The book's prefetch hints (nx_book_prefetch_*): what a command will touch,
 * named before it runs so a caller holding several commands can overlap
 * their cache misses.
 */
#include "book_ids.h"

/* Each stage reads only lines an earlier stage started loading (or the
 * book's own hot header and instrument table), so a hint never waits on a
 * miss of its own; anything it reads may be stale by the time the command
 * runs, which costs a useless prefetch and nothing else. Slots read from
 * entries are bounds-checked before use. */

void nx_book_prefetch_new(const struct nx_book *b, const struct nx_new_order *o, unsigned stage)
{
	if (stage != NX_BOOK_PF_ENTRY)
		return; /* a new order names nothing that is not in its request */
	NX_PREFETCH(&b->by_cl.cur.tab[tagmap_pos(&b->by_cl.cur, book_tag_cl(o->acct, o->cl))]);
	uint32_t bix = nx_book_inst_ix(b, o->inst);
	if (bix == NIL || o->type != NX_ORD_LIMIT || o->px <= 0 ||
	    (o->side != NX_SIDE_BUY && o->side != NX_SIDE_SELL))
		return;
	const struct ibook *ib = &b->books[bix];
	int64_t ticks = ib->def.tick == 1 ? o->px : o->px / ib->def.tick;
	const struct ladder *l = &ib->side[SIDE_IX(o->side)];
	NX_PREFETCH(&l->lv[ladder_slot(l, ticks)]);
}

/* Stages of a command that names a resting order: its entry; the order;
 * what taking it out of its level and lists touches (prefetch_resting and
 * the account-list neighbours and order-id entry release() writes). */
static NX_ALWAYS_INLINE void prefetch_named(const struct nx_book *b, nx_acct_t acct,
					    nx_oid_t oid, nx_clid_t orig_cl, unsigned stage)
{
	uint32_t tag;
	const struct tagmap_ent *e = naming_entry(b, acct, oid, orig_cl, &tag);
	if (stage == NX_BOOK_PF_ENTRY) {
		NX_PREFETCH(e);
		return;
	}
	if (e->tag != tag || e->slot >= b->cfg.max_orders)
		return; /* not at its home position: the command will probe */
	const struct order *o = &b->orders[e->slot];
	if (stage == NX_BOOK_PF_ORDER) {
		NX_PREFETCH_W(o);
		NX_PREFETCH_W((const char *)o + NX_CACHE_LINE);
		return;
	}
	if (!o->resting || o->acct != acct || o->book >= b->ninst)
		return;
	prefetch_resting(b, o);
	if (o->aprev < b->cfg.max_orders)
		NX_PREFETCH_W(&b->orders[o->aprev]);
	if (o->anext < b->cfg.max_orders)
		NX_PREFETCH_W(&b->orders[o->anext]);
	if (!oid) /* by client id: release() also erases its order-id entry */
		NX_PREFETCH_W(oid_old(b, o->oid)
				      ? &b->by_oid.cur.tab[tagmap_pos(&b->by_oid.cur, book_tag_oid(o->oid))]
				      : &b->oid_ring[o->oid & b->oid_ring_mask]);
}

void nx_book_prefetch_cancel(const struct nx_book *b, const struct nx_cancel *c, unsigned stage)
{
	prefetch_named(b, c->acct, c->oid, c->orig_cl, stage);
}

void nx_book_prefetch_replace(const struct nx_book *b, const struct nx_replace *r, unsigned stage)
{
	prefetch_named(b, r->acct, r->oid, r->orig_cl, stage);
	if (stage == NX_BOOK_PF_ENTRY)
		NX_PREFETCH(&b->by_cl.cur.tab[tagmap_pos(&b->by_cl.cur, book_tag_cl(r->acct, r->cl))]);
}
