/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Names and descriptions of reject and cancel reasons, generated from the
 * tables in nx/reason.h so the code, the names and the docs cannot drift.
 */
#include <string.h>

#include "nx/cc.h"
#include "nx/reason.h"

struct reason_row {
	unsigned code;
	const char *name, *text;
};

#define NX_X_(name, code, text) { code, #name, text },
static const struct reason_row rejects[] = { NX_REJECT_REASONS(NX_X_) };
static const struct reason_row cancels[] = { NX_CANCEL_REASONS(NX_X_) };
#undef NX_X_

static const struct reason_row *find(const struct reason_row *t, size_t n, unsigned code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return &t[i];
	return NULL;
}

static unsigned parse(const struct reason_row *t, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(t[i].name, name))
			return t[i].code;
	return 0;
}

const char *nx_reject_name(unsigned code)
{
	const struct reason_row *r = find(rejects, NX_ARRAY_SIZE(rejects), code);
	return r ? r->name : "?";
}

const char *nx_cancel_name(unsigned code)
{
	const struct reason_row *r = find(cancels, NX_ARRAY_SIZE(cancels), code);
	return r ? r->name : "?";
}

const char *nx_reject_text(unsigned code)
{
	const struct reason_row *r = find(rejects, NX_ARRAY_SIZE(rejects), code);
	return r ? r->text : "unknown reason";
}

const char *nx_cancel_text(unsigned code)
{
	const struct reason_row *r = find(cancels, NX_ARRAY_SIZE(cancels), code);
	return r ? r->text : "unknown reason";
}

unsigned nx_reject_parse(const char *name) { return parse(rejects, NX_ARRAY_SIZE(rejects), name); }
unsigned nx_cancel_parse(const char *name) { return parse(cancels, NX_ARRAY_SIZE(cancels), name); }
