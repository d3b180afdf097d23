/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Instrument definitions: defaults, validation and names. Cold code.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "nx/cc.h"
#include "nx/instrument.h"

#define QTY_MAX_DEFAULT INT64_C(1000000000000) /* 1e12 units: far above any real order */
#define BAND_MAX        INT64_C(1000000000000) /* keeps best +/- band inside int64 */

void nx_instrument_defaults(struct nx_instrument *in)
{
	if (!in->kind)
		in->kind = NX_KIND_SPOT;
	if (!in->status)
		in->status = NX_STATUS_OPEN;
	if (!in->tick)
		in->tick = 1;
	if (!in->lot)
		in->lot = 1;
	if (!in->min_qty)
		in->min_qty = in->lot;
	if (!in->max_qty)
		in->max_qty = QTY_MAX_DEFAULT / in->lot * in->lot;
}

int nx_instrument_check(const struct nx_instrument *in, const char **why)
{
	const char *w = NULL;
	if (!in->id)
		w = "id must be non-zero";
	else if (!in->symbol[0] || !memchr(in->symbol, 0, sizeof(in->symbol)))
		w = "symbol must be 1 to 15 characters";
	else if (!nx_inst_kind_name(in->kind))
		w = "kind must be spot, future, perpetual or option";
	else if (!nx_inst_status_name(in->status))
		w = "status must be open, halted or closed";
	else if (in->tick <= 0)
		w = "tick must be > 0";
	else if (in->lot <= 0)
		w = "lot must be > 0";
	else if (in->min_qty < in->lot || in->min_qty % in->lot)
		w = "min_qty must be a positive multiple of lot";
	else if (in->max_qty < in->min_qty || in->max_qty % in->lot)
		w = "max_qty must be a multiple of lot and >= min_qty";
	else if (in->band_ticks < 0 || in->band_ticks > BAND_MAX)
		w = "band must be between 0 and 1e12 ticks";
	else if (in->ref_px < 0 || in->ref_px % in->tick)
		w = "ref_px must be a non-negative multiple of tick";
	else if (in->kind == NX_KIND_OPTION && (in->put_call != NX_CALL && in->put_call != NX_PUT))
		w = "an option needs put_call";
	else if (in->kind == NX_KIND_OPTION && (!in->underlying || in->strike <= 0))
		w = "an option needs an underlying and a strike > 0";
	else if (in->kind == NX_KIND_OPTION && in->strike % in->tick)
		w = "strike must be a multiple of tick";
	else if ((in->kind == NX_KIND_OPTION || in->kind == NX_KIND_FUTURE) && in->expiry_ns <= 0)
		w = "futures and options need an expiry";
	if (why)
		*why = w;
	return w ? -EINVAL : 0;
}

static const char *const kind_names[] = { NULL, "spot", "future", "perpetual", "option" };
static const char *const status_names[] = { NULL, "open", "halted", "closed" };

const char *nx_inst_kind_name(unsigned kind)
{
	return kind < NX_ARRAY_SIZE(kind_names) ? kind_names[kind] : NULL;
}

const char *nx_inst_status_name(unsigned status)
{
	return status < NX_ARRAY_SIZE(status_names) ? status_names[status] : NULL;
}

static unsigned lookup(const char *const *t, size_t n, const char *s)
{
	for (size_t i = 1; s && i < n; i++)
		if (!strcasecmp(t[i], s))
			return (unsigned)i;
	return 0;
}

unsigned nx_inst_kind_parse(const char *s) { return lookup(kind_names, NX_ARRAY_SIZE(kind_names), s); }
unsigned nx_inst_status_parse(const char *s)
{
	return lookup(status_names, NX_ARRAY_SIZE(status_names), s);
}
