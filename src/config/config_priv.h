/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The loader's shared helpers (config.c: the venue; config_net.c: the
 * appliance's net section; config_md.c: its market_data section;
 * config_ints.c: integer literals libconfig would truncate). Each reads one
 * member of a libconfig group,
 * validates it and reports a failure as "file:line: where.field: message"
 * in L->err, returning -EINVAL.
 */
#ifndef NX_CONFIG_PRIV_H
#define NX_CONFIG_PRIV_H

#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>
#include "nx/config.h"
#include "../idmap.h"

struct loader {
	const char *path;
	char *err;
	size_t errlen;
	char where[96]; /* the field being read, e.g. "accounts[2].limits" */
	uint32_t max_instruments, max_accounts; /* the longest lists taken */
	/* What has been loaded so far, by key (config_index.c): positions in
	 * c->instruments and c->accounts. Freed by cfg_load on every path. */
	struct idmap inst_ids, inst_syms, acct_ids;
};

/* nx_config_load with other limits on the instruments and accounts lists
 * than the engine's (NX_BOOK_MAX_INSTRUMENTS, NX_BOOK_MAX_ACCOUNTS), so
 * that a test can check the check without a file of gigabytes. */
int cfg_load(const char *path, struct nx_venue_config *out, char *err, size_t errlen,
	     uint32_t max_instruments, uint32_t max_accounts);

__attribute__((format(printf, 3, 4)))
int cfg_fail(struct loader *L, const config_setting_t *s, const char *fmt, ...);
/* Every member of group g must be named in allowed (NULL-terminated). */
int cfg_only(struct loader *L, const config_setting_t *g, const char *const *allowed);
/* An integer member in [lo, hi]: 0 if read into *v, 1 if absent, -1 if
 * present but not an integer in range (*rc set). *v is written only on 0,
 * so `if (!cfg_int(...))` guards exactly the uses of a value read. */
int cfg_int(struct loader *L, const config_setting_t *g, const char *name, int64_t lo, int64_t hi,
	    int64_t *v, int *rc);
/* A string member, NULL if absent or failed (then *rc is set). */
const char *cfg_str(struct loader *L, const config_setting_t *g, const char *name, int *rc);
int cfg_bool(struct loader *L, const config_setting_t *g, const char *name, uint8_t *v);
int cfg_missing(struct loader *L, const config_setting_t *g, const char *name);

/* config_index.c: hash indexes of positions in a loaded array, filled in
 * file order (each key added once: the loader refuses a repeated one), so
 * that checking an entry against those before it, or an id against the
 * whole list, is a probe rather than a walk of the list. */
/* A table for n entries, every position empty; -ENOMEM. */
int cfg_index_alloc(struct idmap *m, uint32_t n);
void cfg_index_free(struct idmap *m);
/* The position of the entry with this key, or IDMAP_EMPTY (also when the
 * table was never allocated). */
uint32_t cfg_inst_ix(const struct idmap *m, const struct nx_instrument *in, nx_inst_t id);
uint32_t cfg_sym_ix(const struct idmap *m, const struct nx_instrument *in, const char *sym);
uint32_t cfg_acct_ix(const struct idmap *m, const struct nx_account_config *a, nx_acct_t id);
/* Add entry ix, whose key is absent. */
void cfg_inst_add(struct idmap *m, const struct nx_instrument *in, uint32_t ix);
void cfg_sym_add(struct idmap *m, const struct nx_instrument *in, uint32_t ix);
void cfg_acct_add(struct idmap *m, const struct nx_account_config *a, uint32_t ix);

/* config_net.c: the optional net section into c->net (instruments loaded). */
int cfg_load_net(struct loader *L, const config_setting_t *g, struct nx_venue_config *c);

/* config_md.c: the optional market_data section into c->md (net loaded). */
int cfg_load_md(struct loader *L, const config_setting_t *g, struct nx_venue_config *c);

/* config_ints.c: 0, or -EINVAL naming the first integer literal of the file
 * L->path, or of a file it @includes, that does not fit in 32 bits and lacks
 * the L suffix (libconfig 1.5 reads it modulo 2^32 without a word), or that
 * has the L and does not fit in 64 bits (saturated or wrapped), by the full
 * path of its setting in root (the file as libconfig read it). -ENOMEM. */
int cfg_check_int_literals(struct loader *L, const config_setting_t *root);

/* config_ints.c, before libconfig reads L->path: 0, or -EINVAL naming the
 * first @include, in it or in a file it includes, of something other than
 * a regular file (a directory made libconfig's scanner end the process). */
int cfg_check_includes(struct loader *L);

/* config_ints.c: 0 and the file it names in name if line `line` of file is
 * an @include directive, else -1. */
int cfg_include_on_line(const char *file, int line, char *name, size_t cap);

/* config_ints.c: 0 and the full path of the setting (limits.credit_limit,
 * instruments[2].lot) whose name on line `line` of file repeats one of its
 * group, else -1: what libconfig's "duplicate setting name" leaves out. */
int cfg_duplicate_on_line(const char *file, int line, char *out, size_t cap);

#endif /* NX_CONFIG_PRIV_H */
