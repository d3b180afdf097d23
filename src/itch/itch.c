/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The tables behind nx/itch.h (type -> length, type -> dense index) and its
 * cold helpers: names, symbols, price formatting. The decoder itself is the
 * inline nx_itch_check and the view structs in the header.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nx/itch.h"

#define NX_X_(name, ch, len, text) +1
NX_STATIC_ASSERT(0 NX_ITCH_TYPES(NX_X_) == NX_ITCH_NTYPES && NX_ITCH_NTYPES == 23,
		 "dense index covers every type");
#undef NX_X_
#define NX_X_(name, code, text) +1
NX_STATIC_ASSERT(1 NX_ITCH_ERRS(NX_X_) == NX_ITCH_ERR_MAX, "NX_ITCH_ERR_MAX = errors + 1");
#undef NX_X_

const uint8_t nx_itch_len_tab[256] = {
#define NX_X_(name, ch, len, text) [ch] = len,
	NX_ITCH_TYPES(NX_X_)
#undef NX_X_
};

const uint8_t nx_itch_ix_tab[256] = {
#define NX_X_(name, ch, len, text) [ch] = NX_ITCH_IX_##name,
	NX_ITCH_TYPES(NX_X_)
#undef NX_X_
};

struct type_row {
	const char *name, *text;
};

static const struct type_row types[256] = {
#define NX_X_(name, ch, len, text) [ch] = { #name, text },
	NX_ITCH_TYPES(NX_X_)
#undef NX_X_
};

static const struct type_row errs[NX_ITCH_ERR_MAX] = {
#define NX_X_(name, code, text) [code] = { #name, text },
	NX_ITCH_ERRS(NX_X_)
#undef NX_X_
};

const char *nx_itch_type_name(int type)
{
	return type > 0 && type < 256 && types[type].name ? types[type].name : "?";
}

const char *nx_itch_type_text(int type)
{
	return type > 0 && type < 256 && types[type].text ? types[type].text
							   : "not an ITCH 5.0 message type";
}

const char *nx_itch_err_name(int err)
{
	return err < 0 && err > -(int)NX_ITCH_ERR_MAX ? errs[-err].name : "?";
}

const char *nx_itch_err_text(int err)
{
	return err < 0 && err > -(int)NX_ITCH_ERR_MAX ? errs[-err].text : "unknown ITCH error";
}

size_t nx_itch_symbol(const char stock[8], char out[9])
{
	size_t n = 0;

	while (n < NX_ITCH_SYMBOL_LEN && stock[n] != '\0') {
		out[n] = stock[n];
		n++;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return n;
}

int nx_itch_symbol_pad(const char *sym, char stock[8])
{
	size_t n = strnlen(sym, NX_ITCH_SYMBOL_LEN + 1);

	if (n > NX_ITCH_SYMBOL_LEN)
		return -EINVAL;
	memset(stock, ' ', NX_ITCH_SYMBOL_LEN);
	memcpy(stock, sym, n);
	return 0;
}

int nx_itch_px_format(char *buf, size_t cap, uint64_t px, unsigned decimals)
{
	uint64_t scale = 1;

	if (decimals > 18)
		decimals = 18;
	for (unsigned i = 0; i < decimals; i++)
		scale *= 10;
	if (decimals == 0)
		return snprintf(buf, cap, "%llu", (unsigned long long)px);
	return snprintf(buf, cap, "%llu.%0*llu", (unsigned long long)(px / scale), (int)decimals,
			(unsigned long long)(px % scale));
}
