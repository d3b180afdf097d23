/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The book's set-up: its memory layout at init, its lookups of accounts,
 * instruments and orders, and the accounts and instruments it trades.
 * The commands are in book_orders.c (what clients send) and book_admin.c
 * (the venue's own: halts, kill switches, disconnects), the prefetch hints
 * in book_prefetch.c, the queries and the invariant checker in
 * book_query.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "book_ids.h"
#include "../mem.h"

/* --- Memory layout -------------------------------------------------------- */

#ifndef MAP_MIN /* tests may build with a tiny one to exercise growth */
#define MAP_MIN 4096    /* id-map entries to start with: 32 KB, in L1/L2 */
#endif

struct layout {
	size_t off_orders, off_books, off_accts, off_touched, off_scratch;
	size_t off_ring, off_oid, off_oid1, off_cl, off_cl1; /* order ids, client ids */
	size_t off_acctmap, off_instmap, off_acctdir, off_instdir, off_ladders;
	size_t ladder_bytes; /* per side */
	size_t total;
	uint32_t oid_cap, ring_n, acct_cap, inst_cap, acct_dir_n, inst_dir_n;
};

/* Append n objects of size sz, cache-line aligned; 0 on overflow. */
static int lay(size_t *cur, size_t n, size_t sz, size_t *off)
{
	size_t bytes, at = (*cur + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1);
	if (at < *cur || __builtin_mul_overflow(n, sz, &bytes) || __builtin_add_overflow(at, bytes, cur))
		return -1;
	*off = at;
	return 0;
}

/* The ranges in words below are these. */
NX_STATIC_ASSERT(NX_BOOK_MAX_INSTRUMENTS == 1048576 && NX_BOOK_MAX_ACCOUNTS == 16777216 &&
			 NX_BOOK_MAX_ORDERS == 1073741824 && NX_BOOK_LADDER_MIN == 64 &&
			 NX_BOOK_LADDER_MAX == 4194304,
		 "nx_book_config_check's words");

int nx_book_config_check(const struct nx_book_config *c, const char **field, const char **range)
{
	const char *f = NULL, *r = NULL;
	if (!c->max_instruments || c->max_instruments > NX_BOOK_MAX_INSTRUMENTS)
		f = "max_instruments", r = "1 to 1048576";
	else if (!c->max_accounts || c->max_accounts > NX_BOOK_MAX_ACCOUNTS)
		f = "max_accounts", r = "1 to 16777216";
	else if (!c->max_orders || c->max_orders > NX_BOOK_MAX_ORDERS)
		f = "max_orders", r = "1 to 1073741824";
	else if (!nx_is_pow2_u64(c->ladder_ticks) || c->ladder_ticks < NX_BOOK_LADDER_MIN ||
		 c->ladder_ticks > NX_BOOK_LADDER_MAX)
		f = "ladder_ticks", r = "a power of two from 64 to 4194304";
	if (field)
		*field = f;
	if (range)
		*range = r;
	return f ? -EINVAL : 0;
}

static int layout_of(const struct nx_book_config *c, struct layout *L)
{
	if (!c || nx_book_config_check(c, NULL, NULL))
		return -1;
	memset(L, 0, sizeof(*L));
	L->oid_cap = (uint32_t)nx_pow2_ceil_u64((uint64_t)c->max_orders * 2);
	L->ring_n = L->oid_cap / 2; /* max_orders rounded up to a power of two */
	L->acct_cap = (uint32_t)nx_pow2_ceil_u64((uint64_t)c->max_accounts * 2);
	L->inst_cap = (uint32_t)nx_pow2_ceil_u64((uint64_t)c->max_instruments * 2);
	L->acct_dir_n = L->acct_cap > NX_BOOK_DIRECT_MIN ? L->acct_cap : NX_BOOK_DIRECT_MIN;
	L->inst_dir_n = L->inst_cap > NX_BOOK_DIRECT_MIN ? L->inst_cap : NX_BOOK_DIRECT_MIN;
	size_t n = c->ladder_ticks, words = n / 64, sums = (words + 63) / 64;
	L->ladder_bytes = n * sizeof(struct level) + (words + sums) * sizeof(uint64_t);
	L->ladder_bytes = (L->ladder_bytes + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1);
	size_t cur = (sizeof(struct nx_book) + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1);
	if (lay(&cur, c->max_orders, sizeof(struct order), &L->off_orders) ||
	    lay(&cur, c->max_instruments, sizeof(struct ibook), &L->off_books) ||
	    lay(&cur, c->max_accounts, sizeof(struct account), &L->off_accts) ||
	    lay(&cur, (size_t)c->max_orders + 2, sizeof(struct touched), &L->off_touched) ||
	    lay(&cur, c->max_orders, sizeof(uint32_t), &L->off_scratch) ||
	    lay(&cur, L->ring_n, sizeof(struct tagmap_ent), &L->off_ring) ||
	    lay(&cur, L->oid_cap, sizeof(struct tagmap_ent), &L->off_oid) ||
	    lay(&cur, L->oid_cap / 2, sizeof(struct tagmap_ent), &L->off_oid1) ||
	    lay(&cur, L->oid_cap, sizeof(struct tagmap_ent), &L->off_cl) ||
	    lay(&cur, L->oid_cap / 2, sizeof(struct tagmap_ent), &L->off_cl1) ||
	    lay(&cur, L->acct_cap, sizeof(uint32_t), &L->off_acctmap) ||
	    lay(&cur, L->inst_cap, sizeof(uint32_t), &L->off_instmap) ||
	    lay(&cur, L->acct_dir_n, sizeof(uint32_t), &L->off_acctdir) ||
	    lay(&cur, L->inst_dir_n, sizeof(uint32_t), &L->off_instdir) ||
	    lay(&cur, (size_t)c->max_instruments * 2, L->ladder_bytes, &L->off_ladders))
		return -1;
	L->total = cur;
	return 0;
}

size_t nx_book_memsize(const struct nx_book_config *cfg)
{
	struct layout L;
	return layout_of(cfg, &L) ? 0 : L.total;
}

struct nx_book *nx_book_init(void *mem, size_t len, const struct nx_book_config *cfg,
			     nx_event_fn fn, void *ctx)
{
	struct layout L;
	if (!mem || !fn || ((uintptr_t)mem & (NX_CACHE_LINE - 1)) || layout_of(cfg, &L) ||
	    len < L.total) {
		errno = EINVAL;
		return NULL;
	}
	char *base = mem;
	struct nx_book *b = mem;
	memset(b, 0, sizeof(*b));
	b->emit = fn;
	b->ctx = ctx;
	b->cfg = *cfg;
	b->orders = (struct order *)(base + L.off_orders);
	b->books = (struct ibook *)(base + L.off_books);
	b->accts = (struct account *)(base + L.off_accts);
	b->touched = (struct touched *)(base + L.off_touched);
	b->scratch = (uint32_t *)(base + L.off_scratch);
	b->oid_ring = (struct tagmap_ent *)(base + L.off_ring);
	b->oid_ring_mask = L.ring_n - 1;
	tagmap_clear(&(struct tagmap){ b->oid_ring, b->oid_ring_mask });
	growmap_init(&b->by_oid, (struct tagmap_ent *)(base + L.off_oid),
		     (struct tagmap_ent *)(base + L.off_oid1), L.oid_cap, MAP_MIN);
	growmap_init(&b->by_cl, (struct tagmap_ent *)(base + L.off_cl),
		     (struct tagmap_ent *)(base + L.off_cl1), L.oid_cap, MAP_MIN);
	b->acct_map = (struct idmap){ (uint32_t *)(base + L.off_acctmap), L.acct_cap - 1 };
	b->inst_map = (struct idmap){ (uint32_t *)(base + L.off_instmap), L.inst_cap - 1 };
	b->acct_dir = (uint32_t *)(base + L.off_acctdir);
	b->inst_dir = (uint32_t *)(base + L.off_instdir);
	b->acct_dir_n = L.acct_dir_n;
	b->inst_dir_n = L.inst_dir_n;
	idmap_clear(&b->acct_map);
	idmap_clear(&b->inst_map);
	memset(b->acct_dir, 0xff, (size_t)L.acct_dir_n * sizeof(uint32_t)); /* NIL */
	memset(b->inst_dir, 0xff, (size_t)L.inst_dir_n * sizeof(uint32_t));
	for (unsigned t = 0; t < NX_ARRAY_SIZE(b->ev); t++)
		b->ev[t].type = (uint8_t)t;
	b->ev[NX_EV_TRADE].u.trade.maker.liq = NX_LIQ_MAKER;
	b->ev[NX_EV_TRADE].u.trade.taker.liq = NX_LIQ_TAKER;
	for (uint32_t i = 0; i < cfg->max_orders; i++) {
		memset(&b->orders[i], 0, sizeof(struct order));
		b->orders[i].next = i + 1 < cfg->max_orders ? i + 1 : NIL;
	}
	b->free_head = 0;
	size_t n = cfg->ladder_ticks, words = n / 64;
	for (uint32_t i = 0; i < cfg->max_instruments; i++) {
		struct ibook *ib = &b->books[i];
		memset(ib, 0, sizeof(*ib));
		for (int s = 0; s < 2; s++) {
			char *p = base + L.off_ladders + ((size_t)i * 2 + s) * L.ladder_bytes;
			struct ladder *l = &ib->side[s];
			l->lv = (struct level *)p;
			l->bm = (uint64_t *)(p + n * sizeof(struct level));
			l->sum = l->bm + words;
			l->mask = (uint32_t)(n - 1);
			memset(p, 0, L.ladder_bytes);
			for (size_t k = 0; k < n; k++)
				l->lv[k].touch = NIL;
		}
	}
	b->next_oid = 1;
	b->next_tid = 1;
	return b;
}

struct nx_book *nx_book_create(const struct nx_book_config *cfg, nx_event_fn fn, void *ctx)
{
	size_t sz = nx_book_memsize(cfg);
	if (!sz) {
		errno = EINVAL;
		return NULL;
	}
	void *mem = nx_mem_alloc(sz);
	if (!mem)
		return NULL;
	struct nx_book *b = nx_book_init(mem, sz, cfg, fn, ctx);
	if (!b) {
		free(mem);
		return NULL;
	}
	b->alloc = mem;
	return b;
}

void nx_book_destroy(struct nx_book *b)
{
	if (b)
		free(b->alloc);
}

void nx_book_set_sink(struct nx_book *b, nx_event_fn fn, void *ctx)
{
	b->emit = fn;
	b->ctx = ctx;
}

/* --- Lookups -------------------------------------------------------------- */

uint32_t nx_book_inst_ix_hashed(const struct nx_book *b, nx_inst_t id)
{
	const struct idmap *m = &b->inst_map;
	for (uint32_t i = idmap_pos(m, book_hash_id(id)); m->tab[i] != IDMAP_EMPTY; i = idmap_step(m, i))
		if (b->books[m->tab[i]].def.id == id)
			return m->tab[i];
	return NIL;
}

uint32_t nx_book_acct_ix_hashed(const struct nx_book *b, nx_acct_t id)
{
	const struct idmap *m = &b->acct_map;
	for (uint32_t i = idmap_pos(m, book_hash_id(id)); m->tab[i] != IDMAP_EMPTY; i = idmap_step(m, i))
		if (b->accts[m->tab[i]].id == id)
			return m->tab[i];
	return NIL;
}

uint32_t nx_book_oid_slot(const struct nx_book *b, nx_oid_t oid)
{
	uint32_t s;
	if (oid_old(b, oid)) {
		if ((s = oid_hashed(b, oid)) == NIL)
			s = oid_ringed(b, oid);
	} else if ((s = oid_ringed(b, oid)) == NIL) {
		s = oid_hashed(b, oid);
	}
	return s;
}

uint32_t nx_book_cl_slot(const struct nx_book *b, nx_acct_t acct, nx_clid_t cl)
{
	return cl_slot(b, acct, cl);
}

/* --- Accounts and instruments (cold) -------------------------------------- */

int nx_book_add_account(struct nx_book *b, const struct nx_account *a)
{
	if (!a || !a->id || a->stp > NX_STP_DC)
		return -EINVAL;
	if (nx_book_acct_ix(b, a->id) != NIL)
		return -EEXIST;
	if (b->nacct == b->cfg.max_accounts)
		return -ENOSPC;
	uint32_t ix = b->nacct++;
	struct account *ac = &b->accts[ix];
	ac->id = a->id;
	ac->stp_group = a->stp_group ? a->stp_group : a->id;
	ac->stp = a->stp ? a->stp : NX_STP_NONE;
	ac->head = ac->tail = NIL;
	if (a->id < b->acct_dir_n)
		b->acct_dir[a->id] = ix;
	else
		idmap_insert(&b->acct_map, book_hash_id(a->id), ix);
	return 0;
}

int nx_book_add_instrument(struct nx_book *b, const struct nx_instrument *in)
{
	const char *why;
	if (!in || nx_instrument_check(in, &why))
		return -EINVAL;
	if (nx_book_inst_ix(b, in->id) != NIL)
		return -EEXIST;
	if (in->max_qty > INT64_MAX / (int64_t)b->cfg.max_orders)
		return -ERANGE;
	if (b->ninst == b->cfg.max_instruments)
		return -ENOSPC;
	uint32_t ix = b->ninst++;
	b->books[ix].def = *in;
	if (in->id < b->inst_dir_n)
		b->inst_dir[in->id] = ix;
	else
		idmap_insert(&b->inst_map, book_hash_id(in->id), ix);
	return 0;
}
