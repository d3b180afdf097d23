/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Helpers shared by the feed's tests (test_feed_wire.c, test_feed_pub.c,
 * test_feed_sub.c, test_feed_diff.c): byte order written from
 * docs/market-data.md's tables rather than borrowed from the library under
 * test, MoldUDP64 packets built by hand, a capture of what a publisher
 * sends, publishers and a book to image, and subscriber plumbing. See
 * feed_helpers.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "feed_helpers.h"

const char FH_SESS[10] = { 'N', 'X', 'M', '2', '0', '2', '6', '0', '0', '1' };
const char FH_OTHER[10] = { 'N', 'X', 'M', '2', '0', '2', '6', '0', '0', '2' };
const nx_inst_t FH_INSTS[3] = { 7, 8, 9 };

/* --- Byte helpers: the test's own, from the documented layout --------------- */

uint64_t ld_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void st_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t ld_be(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

void st_be(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}


void pk_start(struct pk *p, const char *sess, uint64_t seq)
{
	memcpy(p->b, sess, 10);
	st_be(p->b + 10, seq, 8);
	st_be(p->b + 18, 0, 2);
	p->n = 20;
}

void pk_add(struct pk *p, const uint8_t *m, size_t len)
{
	st_be(p->b + p->n, len, 2);
	memcpy(p->b + p->n + 2, m, len);
	p->n += 2 + len;
	st_be(p->b + 18, ld_be(p->b + 18, 2) + 1, 2);
}


/* --- Capture: what a publisher sends ---------------------------------------- */


void cap_send(void *ctx, unsigned ch, const uint8_t *pkt, size_t len, struct nx_addr to)
{
	struct cap *c = ctx;

	assert_true(c->n < CAP_MAX && len <= PKT_MAX);
	c->p[c->n].ch = ch;
	c->p[c->n].to = to;
	c->p[c->n].len = len;
	memcpy(c->p[c->n].b, pkt, len);
	c->n++;
}

uint64_t cap_seq(const struct cap_pkt *p)
{
	return ld_be(p->b + 10, 8);
}

unsigned cap_count(const struct cap_pkt *p)
{
	return (unsigned)ld_be(p->b + 18, 2);
}

/* Message k of a captured packet (its block, without the prefix). */
const uint8_t *cap_msg(const struct cap_pkt *p, unsigned k, size_t *len)
{
	size_t off = 20;

	for (unsigned i = 0; i < k; i++)
		off += 2 + ld_be(p->b + off, 2);
	*len = ld_be(p->b + off, 2);
	return p->b + off + 2;
}

struct nx_feed_pub_config pub_cfg(void)
{
	struct nx_feed_pub_config c = { .max_payload = 1400, .history = 1024, .retrans_max = 100,
					.instruments = FH_INSTS, .ninstruments = 3,
					.max_levels = 64 };

	memcpy(c.session, FH_SESS, 10);
	return c;
}

struct nx_feed_sub_config sub_cfg(void)
{
	return (struct nx_feed_sub_config){ .max_instruments = 8, .max_levels = 64,
					    .hold_pkts = 32, .replay_msgs = 1024,
					    .from_start = 1 };
}

struct nx_feed_rec lvl(nx_inst_t inst, unsigned side, nx_px_t px, nx_qty_t qty,
			      uint32_t orders)
{
	return (struct nx_feed_rec){ .type = NX_FEED_REC_LEVEL, .side = (uint8_t)side,
				     .inst = inst, .px = px, .qty = qty, .n = orders };
}

struct nx_feed_rec trd(nx_inst_t inst, unsigned side, nx_px_t px, nx_qty_t qty,
			      nx_tid_t tid)
{
	return (struct nx_feed_rec){ .type = NX_FEED_REC_TRADE, .side = (uint8_t)side,
				     .inst = inst, .px = px, .qty = qty, .n = tid };
}

struct nx_feed_rec clr(nx_inst_t inst)
{
	return (struct nx_feed_rec){ .type = NX_FEED_REC_CLEAR, .inst = inst };
}

struct nx_feed_rec sts(nx_inst_t inst, unsigned status)
{
	return (struct nx_feed_rec){ .type = NX_FEED_REC_STATUS, .inst = inst, .n = status };
}

struct nx_feed_rec lost(nx_inst_t inst, uint64_t count, nx_qty_t qty)
{
	return (struct nx_feed_rec){ .type = NX_FEED_REC_TRADES_LOST, .inst = inst, .qty = qty,
				     .n = count };
}

void assert_rec_eq(const struct nx_feed_rec *a, const struct nx_feed_rec *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->side, b->side);
	assert_int_equal(a->inst, b->inst);
	assert_int_equal(a->px, b->px);
	assert_int_equal(a->qty, b->qty);
	assert_int_equal(a->n, b->n);
}



struct nx_feed_sub *mk_sub(const struct nx_feed_sub_config *cfg)
{
	struct nx_feed_sub *s = nx_feed_sub_create(cfg);

	assert_non_null(s);
	return s;
}

int to_sub(struct nx_feed_sub *s, const struct cap_pkt *p)
{
	return p->ch == NX_FEED_SNAPSHOT ? nx_feed_sub_snapshot(s, p->b, p->len)
					 : nx_feed_sub_incremental(s, p->b, p->len);
}

/* Captured packets [from, to) to s, each accepted. */
void to_sub_range(struct nx_feed_sub *s, const struct cap *c, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		assert_true(to_sub(s, &c->p[i]) > 0);
}

/* Depth of one side; an instrument never named reads empty. */
int depth_or_empty(const struct nx_feed_sub *s, nx_inst_t inst, unsigned side,
			  struct nx_level_info *out, unsigned n)
{
	int k = nx_feed_sub_depth(s, inst, side, out, n);

	return k == -ENOENT ? 0 : k;
}

void assert_same_book(const struct nx_feed_sub *a, const struct nx_feed_sub *b,
			     nx_inst_t inst)
{
	struct nx_level_info la[64], lb[64];

	for (unsigned side = BUY; side <= SELL; side++) {
		int na = depth_or_empty(a, inst, side, la, 64);
		int nb = depth_or_empty(b, inst, side, lb, 64);

		assert_int_equal(na, nb);
		for (int i = 0; i < na; i++) {
			assert_int_equal(la[i].px, lb[i].px);
			assert_int_equal(la[i].qty, lb[i].qty);
			assert_int_equal(la[i].count, lb[i].count);
		}
	}
}

void pub_recs(struct nx_feed_pub *p, const struct nx_feed_rec *r, unsigned n,
		     int flush_each, uint64_t now)
{
	for (unsigned i = 0; i < n; i++) {
		nx_feed_pub_rec(p, &r[i], now);
		if (flush_each)
			nx_feed_pub_flush(p, now);
	}
	nx_feed_pub_flush(p, now);
}

/* --- Publishers and the books they image ------------------------------------ */

struct cap *cap_new(void)
{
	struct cap *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	return c;
}

struct nx_feed_pub *mk_pub(struct cap *c, const struct nx_feed_pub_config *cfg)
{
	struct nx_feed_pub *p = nx_feed_pub_create(cfg, cap_send, c);

	assert_non_null(p);
	return p;
}

/* n level records, alternating instruments 7 and 8, one packet each. */
void pub_levels(struct nx_feed_pub *p, unsigned n, unsigned salt)
{
	for (unsigned i = 0; i < n; i++) {
		struct nx_feed_rec r = lvl(i % 2 ? 8 : 7, (i / 2) % 2 ? SELL : BUY,
					   100 + (nx_px_t)((i * 7 + salt) % 11), 1 + i + salt, 1);

		nx_feed_pub_rec(p, &r, 0);
		nx_feed_pub_flush(p, 0);
	}
}

static void no_sink(void *ctx, const struct nx_event *ev)
{
	(void)ctx;
	(void)ev;
}

/* A book with `bids` bid levels (100, 99, ...) and one ask, instrument 7. */
struct nx_book *image_book(unsigned bids)
{
	const struct nx_book_config bc = { .max_instruments = 2, .max_accounts = 2,
					   .max_orders = 64, .ladder_ticks = 1024 };
	struct nx_book *b = nx_book_create(&bc, no_sink, NULL);
	struct nx_instrument in = { .id = 7, .symbol = "IMG", .band_ticks = 100 };

	assert_non_null(b);
	nx_instrument_defaults(&in);
	assert_int_equal(nx_book_add_instrument(b, &in), 0);
	assert_int_equal(nx_book_add_account(b, &(struct nx_account){ .id = 1 }), 0);
	for (unsigned i = 0; i <= bids; i++) {
		struct nx_new_order o = { .acct = 1, .inst = 7, .cl = 1 + i, .qty = 2 + i,
					  .side = i < bids ? BUY : SELL,
					  .px = i < bids ? 100 - (nx_px_t)i : 110,
					  .type = NX_ORD_LIMIT, .tif = NX_TIF_GTC };
		nx_book_new_order(b, &o);
	}
	return b;
}
