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
 */
#ifndef NX_IDMAP_H
#define NX_IDMAP_H

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

#endif /* NX_IDMAP_H */
