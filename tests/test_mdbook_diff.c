/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Differential test of the ITCH book builder (nx/mdbook.h) against an
 * obviously-correct reference: orders in an array indexed by reference
 * number, levels as an order and share count per (stock, side, price) cell,
 * anomalies decided by the rules of the header written out again. Both are
 * fed the same seeded random stream of every book message (A, F, E, C, X,
 * D, U, P, plus malformed ones), with references drawn from a small range
 * so that orphans, duplicates and re-use are frequent, and prices from a
 * narrow band of cent prices (shared levels) with a tail from $2.80 to
 * $19.55 (deep levels, far enough apart that both rows of the book's link
 * hints alias, with some sub-penny prices). Every few
 * thousand messages, and at the end, everything observable is compared:
 * each stock side's full depth, every reference's order, live counts and
 * every counter; nx_mdbook_check runs too. Configurations: roomy (no
 * capacity anomaly) and tight (order and level capacity hit often, and one
 * of the four stocks beyond max_locates). Each runs twice: message by
 * message (nx_mdbook_apply), and as BinaryFILE blocks through the prefetch
 * pipeline (nx_mdbook_apply_blocks, in calls of random length, so that the
 * hashes it carries from its stages into the handlers are checked too).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "nx/itch.h"
#include "nx/mdbook.h"
#include "nx/moldudp.h"

#define NREF 4000u                  /* references 0 .. NREF-1 */
#define NLOC 4u
#define PXN  96u                    /* price cells 0 .. PXN - 1, see px_of */
#define NMSG 300000u
#define CHECK_EVERY 5000u

static const uint16_t locs[NLOC] = { 0, 1, 4242, 65535 };

struct ref_ord {
	uint8_t live, loc, side;
	uint32_t cell, sh;
};

/* The price of cell p, increasing in p: cents from $10.36 to $10.51 around
 * the band most orders use (cells 40-47), 21 cents apart beyond, from $2.80
 * to $19.55; cells 3, 19, 35 ... are 37/100 of a cent off the grid. */
static uint32_t px_of(unsigned p)
{
	uint32_t px = 100000 + 100 * p;

	if (p < 36)
		px -= 2000 * (36 - p);
	else if (p >= 52)
		px += 2000 * (p - 52);
	return p % 16 == 3 ? px + 37 : px;
}

struct ref_book {
	struct ref_ord o[NREF];
	uint32_t cnt[NLOC][2][PXN];         /* orders per level */
	uint64_t qty[NLOC][2][PXN];
	uint64_t live, levels, max_orders, max_levels, max_locates;
	uint64_t anom[NX_MDBOOK_NANOMALIES];
	uint64_t msgs[NX_ITCH_IX_MAX];
};

/* --- The reference ------------------------------------------------------------ */

static void r_take(struct ref_book *r, uint32_t ref, uint32_t n)
{
	struct ref_ord *o = &r->o[ref];
	r->qty[o->loc][o->side][o->cell] -= n;
	o->sh -= n;
	if (o->sh == 0) {
		o->live = 0;
		r->live--;
		if (--r->cnt[o->loc][o->side][o->cell] == 0)
			r->levels--;
	}
}

static void r_add(struct ref_book *r, uint32_t ref, unsigned loc, int side, uint32_t sh,
		  uint32_t cell)
{
	if (side < 0) {
		r->anom[NX_MDBOOK_BAD_SIDE]++;
	} else if (sh == 0) {
		r->anom[NX_MDBOOK_ZERO_SHARES]++;
	} else if (r->o[ref].live) {
		r->anom[NX_MDBOOK_DUP_REF]++;
	} else if (r->live >= r->max_orders) {
		r->anom[NX_MDBOOK_ORDER_CAPACITY]++;
	} else if (r->cnt[loc][side][cell] == 0 && r->levels >= r->max_levels) {
		r->anom[NX_MDBOOK_LEVEL_CAPACITY]++;
	} else {
		r->o[ref] = (struct ref_ord){ 1, (uint8_t)loc, (uint8_t)side, cell, sh };
		r->live++;
		if (r->cnt[loc][side][cell]++ == 0)
			r->levels++;
		r->qty[loc][side][cell] += sh;
	}
}

/* E, C, X: n off ref; over_kind when n exceeds what is left. */
static void r_reduce(struct ref_book *r, uint32_t ref, uint32_t n, int orphan_kind,
		     int over_kind)
{
	if (!r->o[ref].live) {
		r->anom[orphan_kind]++;
		return;
	}
	if (n > r->o[ref].sh) {
		r->anom[over_kind]++;
		n = r->o[ref].sh;
	}
	r_take(r, ref, n);
}

/* --- The stream ---------------------------------------------------------------- */

struct gen {
	uint64_t x;
};

static uint64_t rnd(struct gen *g)
{
	g->x ^= g->x >> 12;
	g->x ^= g->x << 25;
	g->x ^= g->x >> 27;
	return g->x * UINT64_C(0x2545f4914f6cdd1d);
}

static void put(uint8_t *b, size_t *n, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		b[*n + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	*n += bytes;
}

/* One random message into b (its length returned), applied to the reference. */
static size_t gen_msg(struct gen *g, struct ref_book *r, uint8_t *b)
{
	uint64_t x = rnd(g), y = rnd(g);
	uint32_t ref = (uint32_t)(x % NREF), ref2 = (uint32_t)((x >> 16) % NREF);
	unsigned li = (unsigned)(x >> 32) % NLOC, k = (unsigned)(y % 100);
	/* 80% of prices in an 8-cell band, the rest anywhere in PXN */
	uint32_t cell = (y >> 8) % 5 ? 40 + (uint32_t)(y >> 12) % 8 : (uint32_t)(y >> 12) % PXN;
	uint32_t px = px_of(cell);
	uint32_t sh = (uint32_t)(y >> 24) % 400;
	int side = (y >> 40) & 1;
	size_t n = 0;
	char t;

	if (k < 30)
		t = 'A';
	else if (k < 38)
		t = 'F';
	else if (k < 46)
		t = 'E';
	else if (k < 49)
		t = 'C';
	else if (k < 60)
		t = 'X';
	else if (k < 78)
		t = 'D';
	else if (k < 96)
		t = 'U';
	else if (k < 98)
		t = 'P';
	else
		t = '?'; /* malformed */
	/* most reductions and replaces aim at a live order, as a real feed's do */
	if (strchr("ECXDU", t) && (y >> 48) % 4) {
		for (unsigned tries = 0; tries < 8 && !r->o[ref].live; tries++)
			ref = (uint32_t)(rnd(g) % NREF);
	}
	put(b, &n, t == '?' ? 'A' : (uint8_t)t, 1);
	put(b, &n, locs[li], 2);
	put(b, &n, 0, 2);
	put(b, &n, x & 0xffffffffffffull, 6);
	switch (t) {
	case 'A':
	case 'F': {
		uint8_t sc = (y >> 41) % 64 == 0 ? 'x' : side ? 'S' : 'B';
		if ((y >> 47) % 50 == 0)
			sh = 0;
		put(b, &n, ref, 8);
		put(b, &n, sc, 1);
		put(b, &n, sh, 4);
		put(b, &n, 0x5359554e20202020ull, 8); /* "SYUN    " */
		put(b, &n, px, 4);
		if (t == 'F')
			put(b, &n, 0x41424344, 4);
		r->msgs[nx_itch_type_ix((uint8_t)t)]++;
		if (locs[li] >= r->max_locates)
			r->anom[NX_MDBOOK_BAD_LOCATE]++;
		else
			r_add(r, ref, li, sc == 'x' ? -1 : side, sh, cell);
		break;
	}
	case 'E':
	case 'C':
	case 'X':
		if (r->o[ref].live && (y >> 50) % 3 == 0)
			sh = r->o[ref].sh + (uint32_t)((y >> 52) % 3) - 1; /* about all */
		put(b, &n, ref, 8);
		put(b, &n, sh, 4);
		if (t != 'X') {
			put(b, &n, y, 8);
			if (t == 'C') {
				put(b, &n, 'Y', 1);
				put(b, &n, px, 4);
			}
		}
		r->msgs[nx_itch_type_ix((uint8_t)t)]++;
		if (t == 'X')
			r_reduce(r, ref, sh, NX_MDBOOK_ORPHAN_CANCEL, NX_MDBOOK_OVER_CANCEL);
		else
			r_reduce(r, ref, sh, NX_MDBOOK_ORPHAN_EXEC, NX_MDBOOK_OVER_EXEC);
		break;
	case 'D':
		put(b, &n, ref, 8);
		r->msgs[NX_ITCH_IX_ORDER_DELETE]++;
		if (!r->o[ref].live)
			r->anom[NX_MDBOOK_ORPHAN_DELETE]++;
		else
			r_take(r, ref, r->o[ref].sh);
		break;
	case 'U':
		if ((y >> 47) % 50 == 0)
			sh = 0;
		if ((y >> 53) % 8 == 0)
			ref2 = ref; /* the same reference again */
		put(b, &n, ref, 8);
		put(b, &n, ref2, 8);
		put(b, &n, sh, 4);
		put(b, &n, px, 4);
		r->msgs[NX_ITCH_IX_ORDER_REPLACE]++;
		if (!r->o[ref].live) {
			r->anom[NX_MDBOOK_ORPHAN_REPLACE]++;
		} else {
			struct ref_ord o = r->o[ref];
			r_take(r, ref, o.sh);
			r_add(r, ref2, o.loc, o.side, sh, cell);
		}
		break;
	case 'P':
		put(b, &n, 0, 8);
		put(b, &n, 'B', 1);
		put(b, &n, sh, 4);
		put(b, &n, 0x5359554e20202020ull, 8);
		put(b, &n, px, 4);
		put(b, &n, y, 8);
		r->msgs[NX_ITCH_IX_TRADE]++;
		if (locs[li] >= r->max_locates)
			r->anom[NX_MDBOOK_BAD_LOCATE]++;
		break;
	default:
		n = 1 + (size_t)(y >> 20) % 40; /* an 'A' of the wrong length, or 'A' == 36 */
		if (n == NX_ITCH_LEN_ADD_ORDER)
			n = 35;
		memset(b + 11, 0, 40);
		r->msgs[NX_ITCH_IX_NONE]++;
		r->anom[NX_MDBOOK_DECODE_ERROR]++;
		break;
	}
	return n;
}

/* --- Comparison ---------------------------------------------------------------- */

static void compare(const struct nx_mdbook *b, const struct ref_book *r)
{
	static struct nx_mdbook_level lv[PXN + 1];
	const struct nx_mdbook_stats *st = nx_mdbook_stats(b);
	char why[256];

	if (nx_mdbook_check(b, why, sizeof(why)))
		fail_msg("invariant: %s", why);
	assert_int_equal(st->live_orders, r->live);
	assert_int_equal(st->live_levels, r->levels);
	for (int a = 0; a < NX_MDBOOK_NANOMALIES; a++)
		if (st->anomalies[a] != r->anom[a])
			fail_msg("%s: book %llu, reference %llu", nx_mdbook_anomaly_name(a),
				 (unsigned long long)st->anomalies[a],
				 (unsigned long long)r->anom[a]);
	assert_memory_equal(st->msgs, r->msgs, sizeof(r->msgs));
	for (unsigned li = 0; li < NLOC; li++) {
		for (int side = 0; side < 2; side++) {
			size_t n = nx_mdbook_depth(b, locs[li], side, lv, PXN + 1), k = 0;
			for (unsigned j = 0; j < PXN; j++) {
				unsigned p = side == NX_MDBOOK_BID ? PXN - 1 - j : j;
				if (!r->cnt[li][side][p])
					continue;
				if (k >= n || lv[k].px != px_of(p) ||
				    lv[k].orders != r->cnt[li][side][p] ||
				    lv[k].qty != r->qty[li][side][p])
					fail_msg("stock %u side %d level %zu differs (px %u)", locs[li],
						 side, k, px_of(p));
				k++;
			}
			assert_int_equal(k, n);
		}
	}
	for (uint32_t ref = 0; ref < NREF; ref++) {
		struct nx_mdbook_order o;
		int rc = nx_mdbook_order(b, ref, &o);
		if (!r->o[ref].live) {
			assert_int_equal(rc, -2 /* -ENOENT */);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(o.locate, locs[r->o[ref].loc]);
		assert_int_equal(o.side, r->o[ref].side);
		assert_int_equal(o.px, px_of(r->o[ref].cell));
		assert_int_equal(o.shares, r->o[ref].sh);
	}
}

/* Apply the blocks in [0, len) in calls of random length (1 .. 40
 * messages, or all), checking each call's count and bytes used. */
static void apply_in_calls(struct gen *g, struct nx_mdbook *b, const uint8_t *buf, size_t len,
			   size_t nmsgs)
{
	size_t off = 0;

	while (nmsgs > 0) {
		size_t want = rnd(g) % 8 == 0 ? SIZE_MAX : 1 + rnd(g) % 40, used = 0;
		size_t expect = want < nmsgs ? want : nmsgs;
		assert_int_equal(nx_mdbook_apply_blocks(b, buf + off, len - off, want, &used),
				 expect);
		assert_true(used > 0 && used <= len - off);
		off += used;
		nmsgs -= expect;
	}
	assert_int_equal(off, len);
}

static void run(uint64_t seed, uint32_t max_orders, uint32_t max_levels, uint32_t max_locates,
		int want_capacity, int blocks)
{
	static struct ref_book r;
	static uint8_t buf[CHECK_EVERY * (2 + 64)];
	size_t len = 0, nbuf = 0;
	struct nx_mdbook_config c = { .max_orders = max_orders, .max_levels = max_levels,
				      .max_locates = max_locates };
	struct nx_mdbook *b = nx_mdbook_create(&c);
	struct gen g = { seed * UINT64_C(0x9e3779b97f4a7c15) | 1 };
	struct gen calls = { seed * UINT64_C(0xbf58476d1ce4e5b9) | 1 }; /* apart from g: one stream */
	uint8_t m[64];

	assert_non_null(b);
	memset(&r, 0, sizeof(r));
	r.max_orders = max_orders;
	r.max_levels = max_levels;
	r.max_locates = max_locates ? max_locates : 65536;
	for (uint32_t i = 1; i <= NMSG; i++) {
		size_t n = gen_msg(&g, &r, m);
		if (!blocks) {
			nx_mdbook_apply(b, m, n);
		} else {
			assert_int_equal(nx_mold_block_put(buf, sizeof(buf), &len, m, n), 0);
			nbuf++;
		}
		if (i % CHECK_EVERY == 0) {
			apply_in_calls(&calls, b, buf, len, nbuf);
			len = nbuf = 0;
			compare(b, &r);
		}
	}
	compare(b, &r);
	/* the stream reached what it claims to */
	for (int a = 0; a < NX_MDBOOK_NANOMALIES; a++) {
		int cap = a == NX_MDBOOK_ORDER_CAPACITY || a == NX_MDBOOK_LEVEL_CAPACITY ||
			  a == NX_MDBOOK_BAD_LOCATE;
		if (cap && !want_capacity)
			assert_int_equal(r.anom[a], 0);
		else if (r.anom[a] == 0)
			fail_msg("seed %llu: %s never happened", (unsigned long long)seed,
				 nx_mdbook_anomaly_name(a));
	}
	assert_true(nx_mdbook_stats(b)->peak_orders > 500);
	nx_mdbook_destroy(b);
}

static void test_diff_roomy(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		run(seed, NREF, 4 * NLOC * PXN, 0, 0, 0);
		run(seed, NREF, 4 * NLOC * PXN, 0, 0, 1);
	}
}

static void test_diff_tight(void **state)
{
	(void)state;
	for (uint64_t seed = 11; seed <= 13; seed++) { /* locate 65535 is beyond */
		run(seed, 600, 150, 4243, 1, 0);
		run(seed, 600, 150, 4243, 1, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_roomy),
		cmocka_unit_test(test_diff_tight),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
