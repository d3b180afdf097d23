/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The market-data code at its edges, against docs/market-data.md, the ITCH 5.0
 * and MoldUDP64 specifications and what a subscriber needs to rebuild the
 * exact book: edge cases of the ITCH decoder, the MoldUDP64 receiver, the
 * ITCH book builder, and the NXM publisher and subscriber. Each test states
 * the behaviour the documents ask for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nx/feed.h"
#include "nx/itch.h"
#include "nx/mdbook.h"
#include "nx/moldudp.h"
#include "feed_helpers.h"
#include "itch_build.h"

/* --- ITCH book builder ------------------------------------------------------------- */

static struct nx_mdbook *mdb(uint32_t orders, uint32_t levels)
{
	struct nx_mdbook_config c = { .max_locates = 16, .max_orders = orders,
				      .max_levels = levels };
	struct nx_mdbook *b = nx_mdbook_create(&c);

	assert_non_null(b);
	return b;
}

static void mdb_ok(const struct nx_mdbook *b)
{
	char why[256];

	if (nx_mdbook_check(b, why, sizeof(why)))
		fail_msg("mdbook invariant: %s", why);
}

static void lvl_is(const struct nx_mdbook *b, uint16_t loc, int side, size_t k, uint32_t px,
		   uint64_t qty, uint32_t orders)
{
	struct nx_mdbook_level l[16];
	size_t n = nx_mdbook_depth(b, loc, side, l, 16);

	assert_true(k < n);
	assert_int_equal(l[k].px, px);
	assert_int_equal(l[k].qty, qty);
	assert_int_equal(l[k].orders, orders);
}

/* U at the same price, the level holding another order: the level stays,
 * its qty moves by the size change, its order count does not. */
static void test_md_replace_same_price_shared_level(void **state)
{
	struct nx_mdbook *b = mdb(16, 16);
	struct nx_mdbook_order o;

	(void)state;
	ap(b, mA(1, 1, 'B', 100, "AAA", 100000));
	ap(b, mA(1, 2, 'B', 200, "AAA", 100000));
	ap(b, mU(1, 3, 300, 100000));
	lvl_is(b, 1, NX_MDBOOK_BID, 0, 100000, 500, 2);
	assert_int_equal(nx_mdbook_order(b, 1, &o), -ENOENT);
	assert_int_equal(nx_mdbook_order(b, 3, &o), 0);
	assert_int_equal(o.shares, 300);
	assert_int_equal(o.locate, 1);
	assert_int_equal(nx_mdbook_live_orders(b), 2);
	ap(b, mD(3));
	lvl_is(b, 1, NX_MDBOOK_BID, 0, 100000, 200, 1);
	mdb_ok(b);
	nx_mdbook_destroy(b);
}

/* U naming the same reference as old and new: the order is replaced, not
 * a DUP_REF (the old reference left the book first). */
static void test_md_replace_new_ref_is_old_ref(void **state)
{
	struct nx_mdbook *b = mdb(16, 16);
	struct nx_mdbook_order o;

	(void)state;
	ap(b, mA(1, 1, 'S', 100, "AAA", 100000));
	ap(b, mU(1, 1, 150, 100000)); /* same price */
	assert_int_equal(nx_mdbook_order(b, 1, &o), 0);
	assert_int_equal(o.shares, 150);
	lvl_is(b, 1, NX_MDBOOK_ASK, 0, 100000, 150, 1);
	ap(b, mU(1, 1, 50, 100100)); /* new price */
	assert_int_equal(nx_mdbook_order(b, 1, &o), 0);
	assert_int_equal(o.px, 100100);
	assert_int_equal(nx_mdbook_level_count(b, 1, NX_MDBOOK_ASK), 1);
	lvl_is(b, 1, NX_MDBOOK_ASK, 0, 100100, 50, 1);
	assert_int_equal(nx_mdbook_stats(b)->anomalies[NX_MDBOOK_DUP_REF], 0);
	mdb_ok(b);
	nx_mdbook_destroy(b);
}

/* U whose new reference is live: DUP_REF; the old order still leaves (as
 * with 0 shares), the live one is untouched, levels stay consistent, at the
 * same price and at another. */
static void test_md_replace_dup_new_ref(void **state)
{
	struct nx_mdbook *b = mdb(16, 16);
	struct nx_mdbook_order o;

	(void)state;
	ap(b, mA(1, 1, 'B', 100, "AAA", 100000));
	ap(b, mA(1, 2, 'B', 200, "AAA", 99000));
	ap(b, mU(1, 2, 300, 100000)); /* same price as 1, new ref = 2 (live) */
	assert_int_equal(nx_mdbook_stats(b)->anomalies[NX_MDBOOK_DUP_REF], 1);
	assert_int_equal(nx_mdbook_order(b, 1, &o), -ENOENT);
	assert_int_equal(nx_mdbook_order(b, 2, &o), 0);
	assert_int_equal(o.shares, 200);
	assert_int_equal(o.px, 99000);
	assert_int_equal(nx_mdbook_level_count(b, 1, NX_MDBOOK_BID), 1);
	lvl_is(b, 1, NX_MDBOOK_BID, 0, 99000, 200, 1);
	{
		struct nx_mdbook_stock_info si;
		nx_mdbook_stock(b, 1, &si);
		assert_int_equal(si.orders, 1);
	}
	mdb_ok(b);
	nx_mdbook_destroy(b);
}

/* C printable executing more than is left: OVER_EXEC, the order leaves,
 * the print sets the stock's last trade at C's price, and shares executed
 * count only what was left. */
static void test_md_over_exec_c(void **state)
{
	struct nx_mdbook *b = mdb(16, 16);
	struct nx_mdbook_stock_info si;

	(void)state;
	ap(b, mA(2, 1, 'S', 100, "BBB", 500000));
	ap(b, mC(2, 1, 150, 'Y', 499900));
	assert_int_equal(nx_mdbook_stats(b)->anomalies[NX_MDBOOK_OVER_EXEC], 1);
	assert_int_equal(nx_mdbook_stats(b)->shares_executed, 100);
	assert_int_equal(nx_mdbook_level_count(b, 2, NX_MDBOOK_ASK), 0);
	nx_mdbook_stock(b, 2, &si);
	assert_int_equal(si.last_trade_px, 499900);
	assert_int_equal(si.orders, 0);
	mdb_ok(b);
	nx_mdbook_destroy(b);
}

/* The same stream applied message by message and as blocks gives the same
 * book (replace paths, dup refs, over-exec). */
static void test_md_blocks_equal_single(void **state)
{
	struct msg ms[] = {
		mA(1, 1, 'B', 100, "AAA", 100000), mA(1, 2, 'B', 200, "AAA", 100000),
		mA(1, 4, 'S', 50, "AAA", 100500),  mU(1, 3, 300, 100000),
		mU(2, 2, 10, 100000),              mU(3, 5, 0, 100000),
		mU(4, 4, 60, 100400),              mE(4, 100),
		mA(1, 6, 'S', 70, "AAA", 100300),  mX(6, 20),
		mU(6, 6, 70, 100300),              mD(6),
	};
	size_t nm = sizeof(ms) / sizeof(ms[0]);
	struct nx_mdbook *a = mdb(16, 16), *c = mdb(16, 16);
	uint8_t buf[2048];
	size_t off = 0;

	(void)state;
	for (size_t i = 0; i < nm; i++) {
		ap(a, ms[i]);
		assert_int_equal(nx_mold_block_put(buf, sizeof(buf), &off, ms[i].b, ms[i].n), 0);
	}
	assert_int_equal(nx_mdbook_apply_blocks(c, buf, off, SIZE_MAX, NULL), nm);
	assert_memory_equal(nx_mdbook_stats(a)->anomalies, nx_mdbook_stats(c)->anomalies,
			    sizeof(nx_mdbook_stats(a)->anomalies));
	for (int side = 0; side < 2; side++) {
		struct nx_mdbook_level la[8], lc[8];
		size_t na = nx_mdbook_depth(a, 1, side, la, 8), nc = nx_mdbook_depth(c, 1, side, lc, 8);
		assert_int_equal(na, nc);
		assert_memory_equal(la, lc, na * sizeof(la[0]));
	}
	/* expected: 1->3 (300), 2->2 dup-of-itself: replaced (10), 3 -> 0 shares: gone,
	 * 4 replaced to 100400 (60) then over-executed: gone, 6 gone */
	assert_int_equal(nx_mdbook_live_orders(a), 1);
	lvl_is(a, 1, NX_MDBOOK_BID, 0, 100000, 10, 1);
	assert_int_equal(nx_mdbook_level_count(a, 1, NX_MDBOOK_ASK), 0);
	mdb_ok(a);
	mdb_ok(c);
	nx_mdbook_destroy(a);
	nx_mdbook_destroy(c);
}

/* The decoder on the V (MWCB decline) message: three Price(8) fields at 11,
 * 19 and 27, big-endian, and the C message's fields through nx_itch_decode. */
static void test_itch_mwcb_and_c_decode(void **state)
{
	uint8_t v[35] = { 'V' }, c[36] = { 'C' };
	const union nx_itch_msg *m = (const void *)v;
	struct nx_itch_fields f;

	(void)state;
	st_be(v + 5, 0x123456789abcull, 6);
	st_be(v + 11, 290000000000ull, 8);   /* $2,900.00000000 */
	st_be(v + 19, 2700000000000ull, 8);
	st_be(v + 27, 0xffffffffffffffffull, 8);
	assert_int_equal(nx_itch_check(v, 35), 'V');
	assert_int_equal(nx_itch_be64(m->V.level1), 290000000000ull);
	assert_int_equal(nx_itch_be64(m->V.level2), 2700000000000ull);
	assert_int_equal(nx_itch_be64(m->V.level3), 0xffffffffffffffffull);
	assert_int_equal(nx_itch_ts_ns(&m->h), 0x123456789abcull);
	assert_int_equal(nx_itch_decode(v, 35, &f), 'V');
	assert_int_equal(f.ts_ns, 0x123456789abcull);
	assert_int_equal(f.px, 0);
	assert_int_equal(f.shares, 0);
	{
		char out[64];
		nx_itch_px_format(out, sizeof(out), 290000000000ull, 8);
		assert_string_equal(out, "2900.00000000");
	}
	st_be(c + 1, 0xbeef, 2);
	st_be(c + 3, 0x0102, 2);
	st_be(c + 5, 1, 6);
	st_be(c + 11, 0x0102030405060708ull, 8);
	st_be(c + 19, 0xfffffffe, 4);
	st_be(c + 23, 77, 8);
	c[31] = 'N';
	st_be(c + 32, 0x80000001u, 4);
	assert_int_equal(nx_itch_decode(c, 36, &f), 'C');
	assert_int_equal(f.locate, 0xbeef);
	assert_int_equal(f.ts_ns, 1);
	assert_int_equal(f.ref, 0x0102030405060708ull);
	assert_int_equal(f.shares, 0xfffffffe);
	assert_int_equal(f.px, 0x80000001u);
	assert_int_equal(f.aux, 'N');
	assert_int_equal(f.side, 0);
	assert_int_equal(f.new_ref, 0);
}

/* --- MoldUDP64 ----------------------------------------------------------------------- */

static const char MS[10] = { 'M', 'S', 'E', 'S', 'S', '0', '0', '0', '0', '1' };

static size_t mold_pk(uint8_t *b, uint64_t seq, unsigned count)
{
	size_t n = 20;

	memcpy(b, MS, 10);
	st_be(b + 10, seq, 8);
	st_be(b + 18, count, 2);
	if (count == 0 || count == 0xffff)
		return n;
	for (unsigned i = 0; i < count; i++) {
		st_be(b + n, 4, 2);
		st_be(b + n + 2, seq + i, 4);
		n += 6;
	}
	return n;
}

/* Hold mode: the end of session arrives before the last data packet
 * (reordered). The data before the end is still delivered, the receiver
 * then owes nothing, and data past the end is refused. */
static void test_mold_end_before_last_data(void **state)
{
	struct nx_mold_rx rx;
	struct nx_mold_rx_config cfg = { .hold_on_gap = 1, .next_seq = 1 };
	struct nx_mold_pkt out;
	uint8_t b[256];
	uint64_t f, n;

	(void)state;
	nx_mold_rx_init(&rx, &cfg);
	assert_int_equal(nx_mold_rx_packet(&rx, b, mold_pk(b, 1, 3), &out), NX_MOLD_DATA);
	assert_int_equal(nx_mold_rx_packet(&rx, b, mold_pk(b, 6, 0xffff), &out), NX_MOLD_END);
	assert_int_equal(out.gap_first, 4);
	assert_int_equal(out.gap_count, 2);
	assert_int_equal(nx_mold_rx_missing(&rx, &f, &n), 1);
	assert_int_equal(f, 4);
	assert_int_equal(n, 2);
	assert_int_equal(nx_mold_rx_packet(&rx, b, mold_pk(b, 4, 2), &out), NX_MOLD_DATA);
	assert_int_equal(out.seq, 4);
	assert_int_equal(out.count, 2);
	assert_int_equal(nx_mold_rx_missing(&rx, &f, &n), 0);
	assert_int_equal(nx_mold_rx_packet(&rx, b, mold_pk(b, 5, 2), &out),
			 NX_MOLD_DROP_AFTER_END);
	assert_int_equal(rx.st.lost_msgs, 0);
}

/* Skip mode: a heartbeat overtaken by data (older number) reports no gap
 * and loses nothing; an overlapping retransmission after a skip delivers
 * only the new tail. */
static void test_mold_stale_heartbeat_and_overlap(void **state)
{
	struct nx_mold_rx rx;
	struct nx_mold_rx_config cfg = { .next_seq = 1 };
	struct nx_mold_pkt out;
	uint8_t b[256];

	(void)state;
	nx_mold_rx_init(&rx, &cfg);
	assert_int_equal(nx_mold_rx_packet(&rx, b, mold_pk(b, 1, 5), &out), NX_MOLD_DATA);
	assert_int_equal(nx_mold_rx_packet(&rx, b, mold_pk(b, 3, 0), &out), NX_MOLD_HEARTBEAT);
	assert_int_equal(out.gap_count, 0);
	assert_int_equal(rx.next, 6);
	assert_int_equal(rx.st.lost_msgs, 0);
	assert_int_equal(nx_mold_rx_packet(&rx, b, mold_pk(b, 9, 2), &out), NX_MOLD_DATA);
	assert_int_equal(rx.st.lost_msgs, 3);
	assert_int_equal(nx_mold_rx_packet(&rx, b, mold_pk(b, 7, 6), &out), NX_MOLD_DATA);
	assert_int_equal(out.seq, 11);
	assert_int_equal(out.count, 2);
	assert_int_equal(out.skipped, 4);
	{
		const uint8_t *m = NULL;
		size_t l = 0;
		struct nx_mold_blocks it;
		nx_mold_blocks_init(&it, out.blocks, (size_t)(out.end - out.blocks));
		assert_int_equal(nx_mold_blocks_next(&it, &m, &l), 1);
		assert_int_equal(ld_be(m, 4), 11);
	}
	assert_int_equal(rx.next, 13);
}

/* A request for a range longer than a packet can announce: clamped to
 * 0xFFFE (0xFFFF is the end-of-session marker, not a count). */
static void test_mold_request_clamped(void **state)
{
	struct nx_mold_rx rx;
	struct nx_mold_rx_config cfg = { .hold_on_gap = 1, .next_seq = 1 };
	struct nx_mold_pkt out;
	uint8_t b[64], req[20];
	char sess[10];
	uint64_t seq;
	uint16_t cnt;

	(void)state;
	nx_mold_rx_init(&rx, &cfg);
	assert_int_equal(nx_mold_rx_packet(&rx, b, mold_pk(b, 100001, 0), &out),
			 NX_MOLD_HEARTBEAT);
	assert_int_equal(nx_mold_rx_request(&rx, req, sizeof(req), 0), 20);
	assert_int_equal(nx_mold_request_parse(req, 20, sess, &seq, &cnt), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(cnt, 0xfffe);
	assert_memory_equal(sess, MS, 10);
}

/* --- NXM feed ------------------------------------------------------------------------ */

/* One record, one packet. */
static void pub1(struct nx_feed_pub *p, struct nx_feed_rec r)
{
	pub_recs(p, &r, 1, 1, 0);
}

/*
 * A pending image (lastSeq L ahead of delivery) and a gap given up that
 * lies wholly at or before L: delivery restarts at base <= L + 1, so it
 * still reaches L + 1 contiguously. docs/market-data.md, the subscriber's
 * state table: pending is "synced at that first message, if delivery
 * reaches back to L + 1; else stale" (and nx_feed_sub_synced: "pending with
 * the incrementals past its image"). The image already holds every message
 * up to L, the skipped one included, so the book must sync at L + 1 and
 * equal a lossless subscriber's.
 */
static void test_feed_pending_survives_giveup_before_L(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc), *ref = mk_sub(&sc);
	const struct nx_feed_sub_stats *st = nx_feed_sub_stats(s);

	(void)state;
	pc.snapshot_ns = 3000; /* a poll at 0 images instrument 7 */
	p = mk_pub(c, &pc);
	pub1(p, lvl(7, BUY, 100, 10, 1));  /* c0 seq 1 */
	pub1(p, lvl(8, BUY, 50, 10, 1));   /* c1 seq 2 */
	pub1(p, lvl(7, BUY, 101, 5, 1));   /* c2 seq 3 */
	to_sub_range(ref, c, 0, 3);
	to_sub(s, &c->p[0]);
	assert_int_equal(to_sub(s, &c->p[2]), NX_MOLD_AHEAD);
	nx_feed_sub_give_up(s); /* seq 2 lost: every book stale */
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);

	pub1(p, lvl(7, SELL, 110, 3, 1));  /* c3 seq 4 */
	pub1(p, lvl(8, BUY, 51, 7, 2));    /* c4 seq 5 */
	pub1(p, lvl(7, BUY, 100, 0, 0));   /* c5 seq 6 */
	nx_feed_pub_poll(p, 0);            /* c6: image of 7, lastSeq 6 */
	assert_int_equal(c->n, 7);
	assert_int_equal(c->p[6].ch, NX_FEED_SNAPSHOT);
	to_sub_range(ref, c, 3, 7);
	to_sub(s, &c->p[3]);               /* delivered: 4 */
	assert_int_equal(to_sub(s, &c->p[5]), NX_MOLD_AHEAD); /* 6 held, 5 missing */
	to_sub(s, &c->p[6]);               /* L = 6 > D = 4: pending */
	assert_int_equal(st->snap_pending, 1);
	nx_feed_sub_give_up(s);            /* 5 skipped: 5 <= L, base 6 <= L + 1 */
	assert_int_equal(nx_feed_sub_last_seq(s), 6);

	pub1(p, lvl(7, BUY, 99, 4, 1));    /* c7 seq 7 = L + 1 */
	to_sub(ref, &c->p[7]);
	to_sub(s, &c->p[7]);
	assert_int_equal(nx_feed_sub_synced(ref, 7), 1);
	assert_same_book(s, ref, 7);       /* the image + message 7 is the book */
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

/*
 * A pending image (lastSeq L) and a gap given up past L + 1: the book is
 * stale again, and docs/market-data.md counts it: "If delivery turns out
 * not to reach L + 1 (a gap given up, or a late joiner that latched after
 * L + 1), the book is stale again (snap_expired)"; nx/feed.h: snap_expired
 * counts "pending images found unusable (their lastSeq skipped)".
 */
static void test_feed_giveup_past_L_counts_expired(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc);
	const struct nx_feed_sub_stats *st = nx_feed_sub_stats(s);

	(void)state;
	pc.snapshot_ns = 3000;
	p = mk_pub(c, &pc);
	pub1(p, lvl(7, BUY, 100, 10, 1));  /* c0 seq 1 */
	pub1(p, lvl(8, BUY, 50, 10, 1));   /* c1 seq 2 */
	pub1(p, lvl(7, BUY, 101, 5, 1));   /* c2 seq 3 */
	to_sub(s, &c->p[0]);
	assert_int_equal(to_sub(s, &c->p[2]), NX_MOLD_AHEAD);
	nx_feed_sub_give_up(s);            /* every book stale, base 3 */
	pub1(p, lvl(7, SELL, 110, 3, 1));  /* c3 seq 4 */
	nx_feed_pub_poll(p, 0);            /* c4: image of 7, L = 4 */
	pub1(p, lvl(8, BUY, 51, 7, 2));    /* c5 seq 5 */
	pub1(p, lvl(7, BUY, 99, 4, 1));    /* c6 seq 6 */
	assert_int_equal(c->p[4].ch, NX_FEED_SNAPSHOT);
	to_sub(s, &c->p[4]);               /* L = 4 > D = 3: pending */
	assert_int_equal(st->snap_pending, 1);
	assert_int_equal(to_sub(s, &c->p[6]), NX_MOLD_AHEAD);
	nx_feed_sub_give_up(s);            /* 4 and 5 skipped: L + 1 = 5 never delivered */
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	assert_int_equal(st->snap_expired, 1);
	nx_feed_sub_destroy(s);
	nx_feed_pub_destroy(p);
	free(c);
}

/* Duplicated and reordered incremental packets, and a retransmission answer
 * overlapping what was delivered: applied once each, in order; the book is
 * a lossless subscriber's at every step where it is synced. */
static void test_feed_dups_and_reorder(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &pc);
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc), *ref = mk_sub(&sc);
	const size_t order[] = { 0, 1, 1, 3, 2, 2, 4, 6, 5, 4, 7, 7, 9, 8 };
	uint8_t req[20];
	size_t base;

	(void)state;
	for (unsigned i = 0; i < 10; i++)
		pub1(p, lvl(7, i % 3 ? BUY : SELL, 100 + (nx_px_t)(i % 4), 1 + i, 1 + i % 2));
	to_sub_range(ref, c, 0, 10);
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		to_sub(s, &c->p[order[k]]);
	assert_int_equal(nx_feed_sub_last_seq(s), 10);
	assert_int_equal(nx_feed_sub_stats(s)->msgs, 10);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	assert_same_book(s, ref, 7);

	/* a lost packet, then an answer covering it and more than asked */
	pub1(p, lvl(7, BUY, 90, 9, 1));  /* seq 11 */
	pub1(p, lvl(7, BUY, 91, 9, 1));  /* seq 12 */
	pub1(p, lvl(7, BUY, 90, 0, 0));  /* seq 13 */
	to_sub_range(ref, c, 10, 13);
	to_sub(s, &c->p[10]);
	assert_int_equal(to_sub(s, &c->p[12]), NX_MOLD_AHEAD);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 20);
	assert_int_equal(ld_be(req + 10, 8), 12);
	assert_int_equal(ld_be(req + 18, 2), 2); /* through the held one: all owed */
	/* the client asks from 11 (a slow retry that crossed the delivery) */
	st_be(req + 10, 11, 8);
	st_be(req + 18, 3, 2);
	base = c->n;
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ .ip = 1, .port = 2 }, 0), 3);
	assert_int_equal(to_sub(s, &c->p[base]), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_last_seq(s), 13);
	assert_int_equal(nx_feed_sub_stats(s)->msgs, 13);
	assert_same_book(s, ref, 7);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

/* A late joiner: an image whose lastSeq is exactly the message before the
 * first one it receives syncs at once; an image older than that expires
 * (pending, then stale at the first message after L), and the next image
 * syncs it. */
static void test_feed_late_joiner_boundaries(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s, *ref = mk_sub(&sc);
	const struct nx_feed_sub_stats *st;
	size_t k;

	(void)state;
	pc.snapshot_ns = 3000;
	p = mk_pub(c, &pc);
	sc.from_start = 0;
	s = mk_sub(&sc);
	st = nx_feed_sub_stats(s);
	pub1(p, lvl(7, BUY, 100, 10, 1)); /* seq 1 */
	pub1(p, lvl(8, BUY, 50, 10, 1));  /* seq 2 */
	k = c->n;
	nx_feed_pub_poll(p, 0);           /* image of 7, L = 2 */
	nx_feed_pub_poll(p, 1000);        /* image of 8, L = 2 */
	pub1(p, lvl(8, BUY, 51, 1, 1));   /* seq 3 */
	pub1(p, lvl(7, BUY, 100, 3, 2));  /* seq 4 */
	to_sub_range(ref, c, 0, c->n);
	/* the joiner hears seq 3 first, then 7's image (L = 2 = base - 1) */
	to_sub(s, &c->p[k + 2]);
	to_sub(s, &c->p[k]);
	assert_int_equal(st->snap_synced, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	to_sub(s, &c->p[k + 3]);
	assert_same_book(s, ref, 7);
	/* 8's image (L = 2) arrives after 3, which changed 8: L + 1 = 3 = base,
	 * replayed from the buffer */
	to_sub(s, &c->p[k + 1]);
	assert_int_equal(nx_feed_sub_synced(s, 8), 1);
	assert_same_book(s, ref, 8);
	nx_feed_sub_destroy(s);

	/* A joiner that hears the image before anything incremental, and then
	 * joins after L + 1: the image expires; the next one syncs. */
	s = mk_sub(&sc);
	st = nx_feed_sub_stats(s);
	to_sub(s, &c->p[k]);              /* 7's image, L = 2: pending */
	assert_int_equal(st->snap_pending, 1);
	to_sub(s, &c->p[k + 3]);          /* seq 4 (for 7): base 4 > L + 1 */
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	assert_int_equal(st->snap_expired, 1);
	k = c->n;
	nx_feed_pub_poll(p, 3000);        /* 9, then 7 again, L = 4 */
	assert_int_equal(c->n, k + 2);
	to_sub_range(s, c, k, c->n);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	assert_same_book(s, ref, 7);
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

/* Retransmission at the edge of the history: the oldest kept message is
 * answered, the one before it is REQ_TOO_OLD (no partial answer), a count
 * running past the last sent is cut there, and messages in the open packet
 * are not sent. */
static void test_feed_retransmit_history_edge(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	uint8_t req[20];
	struct nx_feed_rec r = lvl(7, BUY, 100, 1, 1);

	(void)state;
	pc.history = 4;
	p = mk_pub(c, &pc);
	for (unsigned i = 0; i < 10; i++)
		pub1(p, r);                        /* seq 1..10, history 7..10 */
	nx_mold_request_build(req, 20, FH_SESS, 7, 100);
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ .ip = 1, .port = 1 }, 0), 4);
	assert_int_equal(cap_seq(&c->p[c->n - 1]), 7);
	assert_int_equal(cap_count(&c->p[c->n - 1]), 4);
	nx_mold_request_build(req, 20, FH_SESS, 6, 2);
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ .ip = 1, .port = 1 }, 0),
			 NX_FEED_PUB_REQ_TOO_OLD);
	nx_feed_pub_rec(p, &r, 0);                 /* seq 11, open */
	nx_mold_request_build(req, 20, FH_SESS, 11, 1);
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ .ip = 1, .port = 1 }, 0),
			 NX_FEED_PUB_REQ_FUTURE);
	nx_mold_request_build(req, 20, FH_SESS, 10, 5);
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ .ip = 1, .port = 1 }, 0), 1);
	/* with 11 open, 7 is still the oldest kept (history counts numbered) */
	nx_mold_request_build(req, 20, FH_SESS, 7, 1);
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ .ip = 1, .port = 1 }, 0),
			 NX_FEED_PUB_REQ_TOO_OLD);
	nx_feed_pub_destroy(p);
	free(c);
}

/* TradesLost and Trades are counted in every book state, once each, also
 * when they come again in a retransmission that overlaps delivery. */
static void test_feed_trades_lost_counted_once(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &pc);
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc);
	struct nx_feed_inst_info ii;
	uint8_t req[20];
	size_t k;

	(void)state;
	pub1(p, trd(7, BUY, 100, 5, 1));   /* 1 */
	pub1(p, lost(7, 3, 30));           /* 2 */
	pub1(p, lvl(8, BUY, 100, 5, 1));   /* 3 */
	pub1(p, lost(7, 2, 7));            /* 4 */
	to_sub(s, &c->p[0]);
	to_sub(s, &c->p[1]);
	assert_int_equal(to_sub(s, &c->p[3]), NX_MOLD_AHEAD);
	nx_mold_request_build(req, 20, FH_SESS, 1, 4);
	k = c->n;
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ .ip = 1, .port = 1 }, 0), 4);
	assert_int_equal(to_sub(s, &c->p[k]), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_instrument(s, 7, &ii), 0);
	assert_int_equal(ii.trades, 1);
	assert_int_equal(ii.trades_lost, 5);
	assert_int_equal(ii.trades_lost_qty, 37);
	assert_int_equal(nx_feed_sub_stats(s)->trades_lost_msgs, 2);
	nx_feed_sub_destroy(s);
	nx_feed_pub_destroy(p);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md_replace_same_price_shared_level),
		cmocka_unit_test(test_md_replace_new_ref_is_old_ref),
		cmocka_unit_test(test_md_replace_dup_new_ref),
		cmocka_unit_test(test_md_over_exec_c),
		cmocka_unit_test(test_md_blocks_equal_single),
		cmocka_unit_test(test_itch_mwcb_and_c_decode),
		cmocka_unit_test(test_mold_end_before_last_data),
		cmocka_unit_test(test_mold_stale_heartbeat_and_overlap),
		cmocka_unit_test(test_mold_request_clamped),
		cmocka_unit_test(test_feed_pending_survives_giveup_before_L),
		cmocka_unit_test(test_feed_giveup_past_L_counts_expired),
		cmocka_unit_test(test_feed_dups_and_reorder),
		cmocka_unit_test(test_feed_late_joiner_boundaries),
		cmocka_unit_test(test_feed_retransmit_history_edge),
		cmocka_unit_test(test_feed_trades_lost_counted_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
