/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The book's id maps, inline for its command path: order ids and (account,
 * client id) pairs to order slots. How they are laid out, and why, is at
 * struct nx_book (book_priv.h); the maps themselves are src/idmap.h.
 */
#ifndef NX_BOOK_IDS_H
#define NX_BOOK_IDS_H

#include "book_priv.h"

/* The slot of oid in table m, or NIL. */
static inline uint32_t oid_find(const struct nx_book *b, const struct tagmap *m, nx_oid_t oid,
				uint32_t tag)
{
	for (uint32_t i = tagmap_pos(m, tag); m->tab[i].slot != IDMAP_EMPTY; i = tagmap_step(m, i))
		if (m->tab[i].tag == tag && b->orders[m->tab[i].slot].oid == oid)
			return m->tab[i].slot;
	return NIL;
}

/* Position of (acct, cl) in table m, or NIL; *end gets the empty position
 * that ended the probe (where an insert of this key would go). */
static inline uint32_t cl_find(const struct nx_book *b, const struct tagmap *m, nx_acct_t acct,
			       nx_clid_t cl, uint32_t tag, uint32_t *end)
{
	uint32_t i = tagmap_pos(m, tag);
	for (; m->tab[i].slot != IDMAP_EMPTY; i = tagmap_step(m, i)) {
		if (m->tab[i].tag != tag)
			continue;
		const struct order *o = &b->orders[m->tab[i].slot];
		if (o->cl == cl && o->acct == acct)
			return i;
	}
	*end = i;
	return NIL;
}

/* The slot of (acct, cl), or NIL; *end as for cl_find in by_cl.cur. */
static inline uint32_t cl_lookup(const struct nx_book *b, nx_acct_t acct, nx_clid_t cl,
				 uint32_t tag, uint32_t *end)
{
	const struct growmap *g = &b->by_cl;
	uint32_t p = cl_find(b, &g->cur, acct, cl, tag, end), e;
	if (p != NIL)
		return g->cur.tab[p].slot;
	if (NX_UNLIKELY(g->old.tab != NULL) && (p = cl_find(b, &g->old, acct, cl, tag, &e)) != NIL)
		return g->old.tab[p].slot;
	return NIL;
}

static inline uint32_t cl_slot(const struct nx_book *b, nx_acct_t acct, nx_clid_t cl)
{
	uint32_t end;
	return cl_lookup(b, acct, cl, book_tag_cl(acct, cl), &end);
}

/* Index a new order's client id; hint: at the position its duplicate check
 * found, which is still right unless a deletion or growth came since. */
static inline void cl_insert(struct nx_book *b, uint32_t tag, uint32_t slot, int hint)
{
	struct growmap *g = &b->by_cl;
	growmap_reserve(g);
	if (hint && b->cl_hint_moves == g->moves && g->cur.tab[b->cl_hint].slot == IDMAP_EMPTY)
		g->cur.tab[b->cl_hint] = (struct tagmap_ent){ slot, tag };
	else
		tagmap_insert(&g->cur, tag, slot);
	growmap_added(g);
}

static inline uint32_t oid_ringed(const struct nx_book *b, nx_oid_t oid)
{
	struct tagmap_ent e = b->oid_ring[oid & b->oid_ring_mask];
	if (e.slot != IDMAP_EMPTY && e.tag == (uint32_t)oid && b->orders[e.slot].oid == oid)
		return e.slot;
	return NIL;
}

static inline uint32_t oid_hashed(const struct nx_book *b, nx_oid_t oid)
{
	const struct growmap *g = &b->by_oid;
	if (!g->n)
		return NIL;
	uint32_t tag = book_tag_oid(oid), s = oid_find(b, &g->cur, oid, tag);
	if (s == NIL && NX_UNLIKELY(g->old.tab != NULL))
		s = oid_find(b, &g->old, oid, tag);
	return s;
}

/* An id older than the ring is most likely in by_oid, but may still be in
 * the ring (an entry moves only when a newer order rests there). */
static inline int oid_old(const struct nx_book *b, nx_oid_t oid)
{
	return b->next_oid - oid > (uint64_t)b->oid_ring_mask + 1;
}

/* Index a resting order by its id: into the ring, moving the order whose
 * entry it takes (older by a multiple of the ring, still resting) to by_oid. */
static inline void oid_insert(struct nx_book *b, nx_oid_t oid, uint32_t s)
{
	struct tagmap_ent *e = &b->oid_ring[oid & b->oid_ring_mask];
	if (e->slot != IDMAP_EMPTY) /* tag: the low 32 bits of that order's id */
		growmap_insert(&b->by_oid, book_tag_oid(e->tag), e->slot);
	else
		b->oid_ring_n++;
	*e = (struct tagmap_ent){ s, (uint32_t)oid };
}

static inline void oid_erase(struct nx_book *b, nx_oid_t oid, uint32_t s)
{
	struct tagmap_ent *e = &b->oid_ring[oid & b->oid_ring_mask];
	if (e->slot == s) {
		e->slot = IDMAP_EMPTY;
		b->oid_ring_n--;
	} else {
		growmap_erase(&b->by_oid, book_tag_oid(oid), s);
	}
}

/* The id-map entry that names an order (by oid, or by client id when oid is
 * 0), and the tag it must carry. */
static NX_ALWAYS_INLINE const struct tagmap_ent *naming_entry(const struct nx_book *b,
							     nx_acct_t acct, nx_oid_t oid,
							     nx_clid_t orig_cl, uint32_t *tag)
{
	if (oid && oid_old(b, oid)) {
		*tag = book_tag_oid(oid);
		return &b->by_oid.cur.tab[tagmap_pos(&b->by_oid.cur, *tag)];
	}
	if (oid) {
		*tag = (uint32_t)oid;
		return &b->oid_ring[oid & b->oid_ring_mask];
	}
	*tag = book_tag_cl(acct, orig_cl);
	return &b->by_cl.cur.tab[tagmap_pos(&b->by_cl.cur, *tag)];
}

#endif /* NX_BOOK_IDS_H */
