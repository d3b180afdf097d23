/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * ITCH 5.0 test messages (itch_build.h).
 */
#include <stdlib.h>

#include "itch_build.h"
#include "nx/itch.h"

void itch_put(struct msg *m, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		m->b[m->n + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	m->n += bytes;
}

void itch_put_sym(struct msg *m, const char *s)
{
	if (nx_itch_symbol_pad(s, (char *)m->b + m->n))
		abort();
	m->n += 8;
}

struct msg itch_hdr(char t, uint16_t loc)
{
	struct msg m = { .n = 0 };
	itch_put(&m, (uint8_t)t, 1);
	itch_put(&m, loc, 2);
	itch_put(&m, 0, 2);
	itch_put(&m, 34200000000000ull, 6);
	return m;
}

struct msg mA(uint16_t loc, uint64_t ref, char side, uint32_t sh, const char *sym,
		     uint32_t px)
{
	struct msg m = itch_hdr('A', loc);
	itch_put(&m, ref, 8);
	itch_put(&m, (uint8_t)side, 1);
	itch_put(&m, sh, 4);
	itch_put_sym(&m, sym);
	itch_put(&m, px, 4);
	return m;
}

struct msg mF(uint16_t loc, uint64_t ref, char side, uint32_t sh, const char *sym,
		     uint32_t px)
{
	struct msg m = mA(loc, ref, side, sh, sym, px);
	m.b[0] = 'F';
	itch_put_sym(&m, "MPID");
	m.n -= 4; /* attribution is 4 bytes */
	return m;
}

struct msg mE(uint64_t ref, uint32_t sh)
{
	struct msg m = itch_hdr('E', 1);
	itch_put(&m, ref, 8);
	itch_put(&m, sh, 4);
	itch_put(&m, 1, 8);
	return m;
}

struct msg mC(uint16_t loc, uint64_t ref, uint32_t sh, char printable, uint32_t px)
{
	struct msg m = itch_hdr('C', loc);
	itch_put(&m, ref, 8);
	itch_put(&m, sh, 4);
	itch_put(&m, 1, 8);
	itch_put(&m, (uint8_t)printable, 1);
	itch_put(&m, px, 4);
	return m;
}

struct msg mX(uint64_t ref, uint32_t sh)
{
	struct msg m = itch_hdr('X', 1);
	itch_put(&m, ref, 8);
	itch_put(&m, sh, 4);
	return m;
}

struct msg mD(uint64_t ref)
{
	struct msg m = itch_hdr('D', 1);
	itch_put(&m, ref, 8);
	return m;
}

struct msg mU(uint64_t old, uint64_t nref, uint32_t sh, uint32_t px)
{
	struct msg m = itch_hdr('U', 1);
	itch_put(&m, old, 8);
	itch_put(&m, nref, 8);
	itch_put(&m, sh, 4);
	itch_put(&m, px, 4);
	return m;
}

int ap(struct nx_mdbook *b, struct msg m)
{
	return nx_mdbook_apply(b, m.b, m.n);
}
