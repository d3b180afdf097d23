/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The loader's indexes of what it has loaded: instruments by id and by
 * symbol, accounts by id (config_priv.h). A list may hold 2^20 instruments
 * and 2^24 accounts (nx/book.h): its checks for repeated ids and symbols
 * and for ids that name a configured instrument or account (restricted,
 * drop_copy, underlying, net.shards, market_data.itch.map) were walks of
 * the lists, each entry against every other, and a valid file near those
 * sizes took hours. Each is now a probe of a hash table (idmap.h: positions
 * into the loaded arrays, linear probing, load at most 1/2), filled in
 * file order as the entries are loaded, so what an entry is checked
 * against is what the walk compared it with: the entries before it.
 * Allocated for the load, freed at its end on every path. Cold code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nx/cc.h"
#include "config_priv.h"

int cfg_index_alloc(struct idmap *m, uint32_t n)
{
	uint64_t cap = nx_pow2_ceil_u64(2 * (uint64_t)n + 2); /* load <= 1/2, never full */
	if (!(m->tab = malloc(cap * sizeof(*m->tab)))) {
		m->mask = 0;
		return -ENOMEM;
	}
	m->mask = (uint32_t)(cap - 1);
	idmap_clear(m);
	return 0;
}

void cfg_index_free(struct idmap *m)
{
	free(m->tab);
	m->tab = NULL;
	m->mask = 0;
}

static uint64_t sym_hash(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a, then mixed */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * UINT64_C(0x100000001b3);
	return idmap_mix(h);
}

uint32_t cfg_inst_ix(const struct idmap *m, const struct nx_instrument *in, nx_inst_t id)
{
	if (!m->tab)
		return IDMAP_EMPTY;
	uint32_t i = idmap_pos(m, idmap_mix(id));
	for (; m->tab[i] != IDMAP_EMPTY; i = idmap_step(m, i))
		if (in[m->tab[i]].id == id)
			return m->tab[i];
	return IDMAP_EMPTY;
}

uint32_t cfg_sym_ix(const struct idmap *m, const struct nx_instrument *in, const char *sym)
{
	if (!m->tab)
		return IDMAP_EMPTY;
	uint32_t i = idmap_pos(m, sym_hash(sym));
	for (; m->tab[i] != IDMAP_EMPTY; i = idmap_step(m, i))
		if (!strcmp(in[m->tab[i]].symbol, sym))
			return m->tab[i];
	return IDMAP_EMPTY;
}

uint32_t cfg_acct_ix(const struct idmap *m, const struct nx_account_config *a, nx_acct_t id)
{
	if (!m->tab)
		return IDMAP_EMPTY;
	uint32_t i = idmap_pos(m, idmap_mix(id));
	for (; m->tab[i] != IDMAP_EMPTY; i = idmap_step(m, i))
		if (a[m->tab[i]].id == id)
			return m->tab[i];
	return IDMAP_EMPTY;
}

void cfg_inst_add(struct idmap *m, const struct nx_instrument *in, uint32_t ix)
{
	idmap_insert(m, idmap_mix(in[ix].id), ix);
}

void cfg_sym_add(struct idmap *m, const struct nx_instrument *in, uint32_t ix)
{
	idmap_insert(m, sym_hash(in[ix].symbol), ix);
}

void cfg_acct_add(struct idmap *m, const struct nx_account_config *a, uint32_t ix)
{
	idmap_insert(m, idmap_mix(a[ix].id), ix);
}
