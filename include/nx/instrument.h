/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Instrument definitions: what can be traded, in which units, within which
 * limits. A definition is plain data; the book module copies it when the
 * instrument is added. Validation of a definition is cold code.
 */
#ifndef NX_INSTRUMENT_H
#define NX_INSTRUMENT_H

#include <stdint.h>
#include "nx/types.h"

#define NX_SYMBOL_MAX 16 /* bytes, including the terminating NUL */

enum nx_inst_kind {
	NX_KIND_SPOT      = 1,
	NX_KIND_FUTURE    = 2,
	NX_KIND_PERPETUAL = 3,
	NX_KIND_OPTION    = 4,
};

enum nx_inst_status {
	NX_STATUS_OPEN   = 1, /* orders accepted and matched */
	NX_STATUS_HALTED = 2, /* new orders and replaces rejected; cancels work */
	NX_STATUS_CLOSED = 3, /* as halted; the session is over */
};

enum nx_put_call {
	NX_CALL = 1,
	NX_PUT  = 2,
};

struct nx_instrument {
	nx_inst_t id;                  /* unique in a book; any value but 0 */
	char symbol[NX_SYMBOL_MAX];    /* NUL-terminated, non-empty */
	uint8_t kind;                  /* enum nx_inst_kind */
	uint8_t status;                /* enum nx_inst_status */
	uint8_t put_call;              /* options only: enum nx_put_call */
	nx_px_t tick;                  /* price increment, > 0 */
	nx_qty_t lot;                  /* quantity increment, > 0 */
	nx_qty_t min_qty;              /* >= lot, multiple of lot */
	nx_qty_t max_qty;              /* >= min_qty, multiple of lot */
	int64_t band_ticks;            /* price band around a reference, in ticks, >= 0 */
	nx_px_t ref_px;                /* reference price (0: none yet) */
	/* Derivatives. */
	nx_inst_t underlying;          /* options: the underlying instrument id */
	nx_px_t strike;                /* options: strike price, multiple of tick */
	int64_t expiry_ns;             /* futures and options: expiry, ns since epoch (UTC) */
};

/*
 * Fill in defaults for a definition zeroed by the caller: kind spot, status
 * open, tick 1, lot 1, min_qty = lot, max_qty = 1e12 quantity units rounded
 * down to the lot, band 0.
 * Fields the caller already set are kept.
 */
void nx_instrument_defaults(struct nx_instrument *in);

/*
 * Check a definition. Returns 0, or -EINVAL with *why pointing at a static
 * string naming the bad field ("tick must be > 0", ...).
 */
int nx_instrument_check(const struct nx_instrument *in, const char **why);

/* Names for printing and parsing; NULL / 0 for unknown values. */
const char *nx_inst_kind_name(unsigned kind);
const char *nx_inst_status_name(unsigned status);
unsigned nx_inst_kind_parse(const char *s);
unsigned nx_inst_status_parse(const char *s);

#endif /* NX_INSTRUMENT_H */
