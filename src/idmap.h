/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Open-addressing hash index of uint32 slot numbers (private to libnx).
 *
 * The table stores only slot numbers into an array its owner keeps (orders,
 * accounts, instruments); keys live in those objects. A lookup hashes the
 * key, probes linearly and asks the owner whether a slot matches, so the
 * table is 4 bytes an entry and one cache line covers 16 probes. Deletion
 * shifts later entries back (no tombstones), so probe chains never rot
 * under churn. Capacity is a power of two at least twice the number of
 * objects, so the load factor stays <= 1/2 and every probe terminates.
 *
 * The owner supplies hash_of(ctx, slot) to rehash entries during deletion.
 *
 * Two variants follow for the book's order indexes, which are large and on
 * every command's path: struct tagmap keeps 32 bits of each key's hash in
 * its entry (8 bytes), so probes and deletions do not touch the objects, and
 * struct growmap is a tagmap that grows with its entries instead of being
 * sized for its capacity.
 */
#ifndef NX_IDMAP_H
#define NX_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#define IDMAP_EMPTY UINT32_MAX

struct idmap {
	uint32_t *tab;
	uint32_t mask;
};

/* murmur3's 64-bit finaliser: every input bit reaches every output bit. */
static inline uint64_t idmap_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

static inline void idmap_clear(struct idmap *m)
{
	for (uint64_t i = 0; i <= m->mask; i++)
		m->tab[i] = IDMAP_EMPTY;
}

/* First probe position for a hash; walk with idmap_step until EMPTY. */
static inline uint32_t idmap_pos(const struct idmap *m, uint64_t h) { return (uint32_t)h & m->mask; }
static inline uint32_t idmap_step(const struct idmap *m, uint32_t pos) { return (pos + 1) & m->mask; }

/* Insert a slot whose key is known to be absent. */
static inline void idmap_insert(struct idmap *m, uint64_t h, uint32_t slot)
{
	uint32_t i = idmap_pos(m, h);
	while (m->tab[i] != IDMAP_EMPTY)
		i = idmap_step(m, i);
	m->tab[i] = slot;
}

/* Table position of the entry holding slot, which must be present, starting
 * from its home position: no key comparison, so no access to the objects. */
static inline uint32_t idmap_find_slot(const struct idmap *m, uint64_t h, uint32_t slot)
{
	uint32_t i = idmap_pos(m, h);
	while (m->tab[i] != slot)
		i = idmap_step(m, i);
	return i;
}

/* Remove the entry at table position pos (found by a lookup). */
static inline void idmap_erase_at(struct idmap *m, uint32_t pos,
				  uint64_t (*hash_of)(const void *ctx, uint32_t slot), const void *ctx)
{
	uint32_t hole = pos, j = pos;
	for (;;) {
		j = idmap_step(m, j);
		uint32_t s = m->tab[j];
		if (s == IDMAP_EMPTY)
			break;
		uint32_t home = idmap_pos(m, hash_of(ctx, s));
		/* s may move into the hole unless its home lies cyclically in (hole, j]. */
		if (((j - home) & m->mask) >= ((j - hole) & m->mask)) {
			m->tab[hole] = s;
			hole = j;
		}
	}
	m->tab[hole] = IDMAP_EMPTY;
}

/*
 * Tagged variant, for large maps probed on the hot path (the book's order
 * indexes). Each 8-byte entry carries, beside the slot, the low 32 bits of
 * its key's hash: the tag. The home position is tag & mask, so deletion
 * rehashes nothing and never touches the objects, and a lookup compares
 * tags first and reads an object only when its tag matches (for a missing
 * key, almost never). Same rules otherwise: linear probing, backward-shift
 * deletion, capacity a power of two of at least twice the objects and at
 * most 2^32 entries.
 */
struct tagmap_ent {
	uint32_t slot;      /* IDMAP_EMPTY when free */
	uint32_t tag;       /* low 32 bits of the key's hash */
};

struct tagmap {
	struct tagmap_ent *tab;
	uint32_t mask;
};

static inline void tagmap_clear(struct tagmap *m)
{
	for (uint64_t i = 0; i <= m->mask; i++)
		m->tab[i] = (struct tagmap_ent){ IDMAP_EMPTY, 0 };
}

static inline uint32_t tagmap_pos(const struct tagmap *m, uint32_t tag) { return tag & m->mask; }
static inline uint32_t tagmap_step(const struct tagmap *m, uint32_t pos) { return (pos + 1) & m->mask; }

/* Insert a slot whose key is known to be absent; returns its position. */
static inline uint32_t tagmap_insert(struct tagmap *m, uint32_t tag, uint32_t slot)
{
	uint32_t i = tagmap_pos(m, tag);
	while (m->tab[i].slot != IDMAP_EMPTY)
		i = tagmap_step(m, i);
	m->tab[i] = (struct tagmap_ent){ slot, tag };
	return i;
}

/* Position of the entry holding slot, which must be present. */
static inline uint32_t tagmap_find_slot(const struct tagmap *m, uint32_t tag, uint32_t slot)
{
	uint32_t i = tagmap_pos(m, tag);
	while (m->tab[i].slot != slot)
		i = tagmap_step(m, i);
	return i;
}

/* Remove the entry at position pos. */
static inline void tagmap_erase_at(struct tagmap *m, uint32_t pos)
{
	uint32_t hole = pos, j = pos;
	for (;;) {
		j = tagmap_step(m, j);
		struct tagmap_ent e = m->tab[j];
		if (e.slot == IDMAP_EMPTY)
			break;
		uint32_t home = tagmap_pos(m, e.tag);
		/* e may move into the hole unless its home lies cyclically in (hole, j]. */
		if (((j - home) & m->mask) >= ((j - hole) & m->mask)) {
			m->tab[hole] = e;
			hole = j;
		}
	}
	m->tab[hole].slot = IDMAP_EMPTY;
}

/*
 * A tagged map that grows with its entries rather than being sized for its
 * capacity, so that a map with few entries stays in cache: a random key's
 * entry is a random line of the table, and in a capacity-sized table that is
 * a cache miss on nearly every access. It starts at a small size and doubles
 * whenever an insert would pass load 1/2, up to the capacity-sized table.
 * The previous table (old) is drained a few positions per insert rather than
 * rehashed at once, so no operation stalls; until it is empty, a lookup tries
 * cur, then old (each entry is in exactly one of them). Tables alternate
 * between two regions given by the owner (reg[0] of cap entries holds the
 * largest size, reg[1] of cap / 2 the next smaller), so old and cur never
 * overlap; draining leaves a region empty, ready for the next growth.
 *
 * Draining removes entries at the cursor with backward-shift deletion, which
 * may shift a later entry into the cursor: it is drained next, so every
 * position behind the cursor stays empty and old stays a valid table.
 * GROWMAP_DRAIN_STEP positions per insert end a drain long before the next
 * growth (which comes after as many inserts as old had positions / 2).
 */
#ifndef GROWMAP_DRAIN_STEP
#define GROWMAP_DRAIN_STEP 16
#endif

struct growmap {
	struct tagmap cur, old; /* old.tab is NULL unless draining */
	struct tagmap_ent *reg[2];
	uint32_t max_mask;      /* mask of the capacity-sized table */
	uint32_t mig;           /* next old position to drain */
	uint32_t n;             /* entries in cur and old */
	uint32_t moves;         /* erasures and growths so far: a position found
	                           earlier stays valid while this does not change */
};

static inline struct tagmap_ent *growmap_region(const struct growmap *g, uint32_t size)
{
	return g->reg[(__builtin_ctzll(g->max_mask + UINT64_C(1)) - __builtin_ctzll(size)) & 1];
}

/* cap: a power of two, the largest size; r0 has cap entries, r1 cap / 2. */
static inline void growmap_init(struct growmap *g, struct tagmap_ent *r0, struct tagmap_ent *r1,
				uint32_t cap, uint32_t min_size)
{
	g->reg[0] = r0;
	g->reg[1] = r1;
	g->max_mask = cap - 1;
	tagmap_clear(&(struct tagmap){ r0, cap - 1 });
	if (cap >= 2)
		tagmap_clear(&(struct tagmap){ r1, cap / 2 - 1 });
	uint32_t size = cap < min_size ? cap : min_size;
	g->cur = (struct tagmap){ growmap_region(g, size), size - 1 };
	g->old = (struct tagmap){ NULL, 0 };
	g->mig = g->n = g->moves = 0;
}

/* Move up to steps entries (or empty positions) of old into cur. */
static inline void growmap_drain(struct growmap *g, uint32_t steps)
{
	struct tagmap *o = &g->old;
	for (; steps && g->mig <= o->mask; steps--) {
		struct tagmap_ent e = o->tab[g->mig];
		if (e.slot == IDMAP_EMPTY) {
			g->mig++;
			continue;
		}
		tagmap_insert(&g->cur, e.tag, e.slot);
		tagmap_erase_at(o, g->mig);
	}
	if (g->mig > o->mask)
		o->tab = NULL;
}

static inline void growmap_grow(struct growmap *g)
{
	if (g->old.tab) /* cannot happen at GROWMAP_DRAIN_STEP >= 2; be safe */
		growmap_drain(g, UINT32_MAX);
	uint32_t size = (g->cur.mask + 1) * 2;
	g->old = g->cur;
	g->mig = 0;
	g->cur = (struct tagmap){ growmap_region(g, size), size - 1 };
	g->moves++;
}

/* Make room for one more entry: call before inserting into cur. */
static inline void growmap_reserve(struct growmap *g)
{
	if (__builtin_expect(g->n >= (g->cur.mask + 1) / 2, 0) && g->cur.mask < g->max_mask)
		growmap_grow(g);
}

/* Account for an entry just written into cur, and drain a little. */
static inline void growmap_added(struct growmap *g)
{
	g->n++;
	if (__builtin_expect(g->old.tab != NULL, 0))
		growmap_drain(g, GROWMAP_DRAIN_STEP);
}

/* Insert a slot whose key is known to be absent. */
static inline void growmap_insert(struct growmap *g, uint32_t tag, uint32_t slot)
{
	growmap_reserve(g);
	tagmap_insert(&g->cur, tag, slot);
	growmap_added(g);
}

/* Remove the entry holding slot, which must be present. */
static inline void growmap_erase(struct growmap *g, uint32_t tag, uint32_t slot)
{
	struct tagmap *m = &g->cur;
	uint32_t i = tagmap_pos(m, tag);
	for (; m->tab[i].slot != slot; i = tagmap_step(m, i)) {
		if (m->tab[i].slot == IDMAP_EMPTY) { /* not drained yet: in old */
			m = &g->old;
			i = tagmap_find_slot(m, tag, slot);
			break;
		}
	}
	tagmap_erase_at(m, i);
	g->moves++;
	g->n--;
}

#endif /* NX_IDMAP_H */
