/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the NXM feed's subscriber (include/nx/feed.h, src/feed/),
 * fed by a real publisher's captured packets: configuration limits,
 * application, gap recovery by retransmission, give-up and snapshots
 * (replay, pending, too old), a full hold, a broken image, a late joiner,
 * trading status, foreign sessions and images, a truncated re-image for a
 * deeper subscriber, TradesLost, and the regressions of session 14's
 * review.
 *
 * The wire format is tested in test_feed_wire.c, the publisher in
 * test_feed_pub.c, the differential test and the allocation count are in
 * test_feed_diff.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nx/book.h"
#include "nx/feed.h"
#include "feed_helpers.h"


/* --- Subscriber ------------------------------------------------------------- */

static void test_sub_config(void **state)
{
	struct nx_feed_sub_config c = sub_cfg();
	size_t n;
	void *mem;

	(void)state;
	assert_true(nx_feed_sub_memsize(&c) > 0);
	assert_int_equal(nx_feed_sub_memsize(NULL), 0);
#define BADCFG(stmt)                                                           \
	do {                                                                   \
		c = sub_cfg();                                                 \
		stmt;                                                          \
		assert_int_equal(nx_feed_sub_memsize(&c), 0);                  \
		errno = 0;                                                     \
		assert_null(nx_feed_sub_create(&c));                           \
		assert_int_equal(errno, EINVAL);                               \
	} while (0)
	BADCFG(c.max_instruments = 0);
	BADCFG(c.max_instruments = NX_FEED_MAX_INSTRUMENTS + 1);
	BADCFG(c.max_levels = 0);
	BADCFG(c.max_levels = NX_FEED_MAX_LEVELS + 1);
	BADCFG(c.hold_pkts = NX_FEED_MAX_HOLD + 1);
	BADCFG(c.replay_msgs = NX_FEED_MAX_REPLAY + 1);
	BADCFG(c.max_payload = NX_FEED_PAYLOAD_MIN - 1);
	BADCFG(c.max_payload = NX_FEED_PAYLOAD_MAX + 1);
#undef BADCFG
	c = sub_cfg();
	c.hold_pkts = 0;
	c.replay_msgs = 0;
	assert_true(nx_feed_sub_memsize(&c) > 0);
	n = nx_feed_sub_memsize(&c);
	mem = aligned_alloc(64, n + 64);
	assert_null(nx_feed_sub_init(mem, n - 1, &c));
	assert_null(nx_feed_sub_init((char *)mem + 8, n, &c));
	assert_ptr_equal(nx_feed_sub_init(mem, n, &c), mem);
	free(mem);
	nx_feed_sub_destroy(NULL);
}

static void test_sub_basic(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &pc);
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc), *small;
	const struct nx_feed_rec r[] = {
		lvl(7, BUY, 100, 10, 1), lvl(7, BUY, 101, 5, 2), lvl(7, SELL, 103, 7, 1),
		lvl(8, SELL, 50, 1, 1), trd(7, SELL, 101, 2, 77), lvl(7, BUY, 101, 3, 1),
		lvl(7, BUY, 100, 0, 0), lvl(7, BUY, 55, 0, 0), clr(8),
	};
	struct nx_level_info l[4];
	struct nx_feed_inst_info in;
	const char *why;

	(void)state;
	pub_recs(p, r, 8, 0, 0);
	to_sub_range(s, c, 0, c->n);
	assert_int_equal(nx_feed_sub_depth(s, 7, BUY, l, 4), 1);
	assert_int_equal(l[0].px, 101);
	assert_int_equal(l[0].qty, 3);
	assert_int_equal(l[0].count, 1);
	assert_int_equal(nx_feed_sub_depth(s, 7, SELL, l, 4), 1);
	assert_int_equal(l[0].px, 103);
	assert_int_equal(nx_feed_sub_depth(s, 7, SELL, l, 0), 0);
	assert_int_equal(nx_feed_sub_depth(s, 8, SELL, l, 4), 1);
	assert_int_equal(nx_feed_sub_depth(s, 8, BUY, l, 4), 0);
	assert_int_equal(nx_feed_sub_instrument(s, 7, &in), 0);
	assert_int_equal(in.synced, 1);
	assert_int_equal(in.incomplete, 0);
	assert_int_equal(in.trades, 1);
	assert_int_equal(in.last_tid, 77);
	assert_int_equal(in.last_px, 101);
	assert_int_equal(in.last_qty, 2);
	assert_int_equal(in.last_side, SELL);
	assert_int_equal(in.levels[0], 1);
	assert_int_equal(in.levels[1], 1);
	assert_int_equal(nx_feed_sub_stats(s)->level_unknown, 1);
	pub_recs(p, r + 8, 1, 0, 1);
	to_sub_range(s, c, c->n - 1, c->n);
	assert_int_equal(nx_feed_sub_depth(s, 8, SELL, l, 4), 0);
	/* Never named: synced (a subscriber from the start knows it is empty). */
	assert_int_equal(nx_feed_sub_synced(s, 9), 1);
	assert_int_equal(nx_feed_sub_depth(s, 9, BUY, l, 4), -ENOENT);
	assert_int_equal(nx_feed_sub_instrument(s, 9, &in), -ENOENT);
	assert_int_equal(nx_feed_sub_depth(s, 7, 3, l, 4), -EINVAL);
	assert_int_equal(nx_feed_sub_stats(s)->msgs, 9);
	assert_int_equal(nx_feed_sub_stats(s)->applied, 8);
	assert_int_equal(nx_feed_sub_stats(s)->trades, 1);
	assert_int_equal(nx_feed_sub_mold_stats(s, NX_FEED_INCREMENTAL)->msgs, 9);
	assert_non_null(nx_feed_sub_mold_stats(s, NX_FEED_SNAPSHOT));
	assert_null(nx_feed_sub_mold_stats(s, NX_FEED_RETRANSMIT));
	assert_int_equal(nx_feed_sub_check(s, &why), 0);

	/* A subscriber with room for 2 levels a side keeps the best two. */
	sc.max_levels = 2;
	small = mk_sub(&sc);
	to_sub_range(small, c, 0, c->n);
	assert_int_equal(nx_feed_sub_depth(small, 7, BUY, l, 4), 1);
	pub_recs(p, (struct nx_feed_rec[2]){ lvl(7, BUY, 99, 1, 1), lvl(7, BUY, 102, 1, 1) },
		 2, 0, 2);
	to_sub_range(small, c, c->n - 1, c->n);
	assert_int_equal(nx_feed_sub_depth(small, 7, BUY, l, 4), 2);
	assert_int_equal(l[0].px, 102);
	assert_int_equal(l[1].px, 101);
	assert_int_equal(nx_feed_sub_stats(small)->level_capacity, 1);
	assert_int_equal(nx_feed_sub_instrument(small, 7, &in), 0);
	assert_int_equal(in.incomplete, 1);
	assert_int_equal(nx_feed_sub_check(small, &why), 0);
	nx_feed_sub_destroy(small);

	/* Room for one instrument: the first named (7) is kept whole, every
	 * message for another is counted and skipped. */
	sc = sub_cfg();
	sc.max_instruments = 1;
	small = mk_sub(&sc);
	to_sub_range(small, c, 0, c->n);
	assert_int_equal(nx_feed_sub_depth(small, 7, BUY, l, 4), 3);
	assert_int_equal(l[0].px, 102);
	assert_int_equal(l[2].px, 99);
	assert_int_equal(nx_feed_sub_depth(small, 8, SELL, l, 4), -ENOENT);
	assert_int_equal(nx_feed_sub_instrument(small, 8, &in), -ENOENT);
	assert_int_equal(nx_feed_sub_stats(small)->inst_capacity, 2); /* 8's level and clear */
	/* Regression: 8 (and any id not in the table) used to read as synced,
	 * an empty book being "correct", though 8's levels were dropped. */
	assert_int_equal(nx_feed_sub_synced(small, 7), 1);
	assert_int_equal(nx_feed_sub_synced(small, 8), 0);
	assert_int_equal(nx_feed_sub_synced(small, 9), 0);
	assert_int_equal(nx_feed_sub_check(small, &why), 0);
	nx_feed_sub_destroy(small);
	nx_feed_sub_destroy(s);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_sub_retransmit(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc), *ref = mk_sub(&sc);
	uint8_t req[20];
	uint64_t seq;
	uint16_t count;
	char sess[10];

	(void)state;
	pc.retrans_max = 3;
	p = mk_pub(c, &pc);
	pub_levels(p, 10, 0);
	to_sub_range(ref, c, 0, 10);
	to_sub_range(s, c, 0, 2);
	for (size_t i = 7; i < 10; i++) /* packets 2 .. 6 (seq 3 .. 7) lost */
		assert_int_equal(to_sub(s, &c->p[i]), NX_MOLD_AHEAD);
	assert_int_equal(nx_feed_sub_stats(s)->held, 3);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1); /* correct as of seq 2 */
	assert_int_equal(nx_feed_sub_request(s, req, 19), 0);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 20);
	assert_int_equal(nx_mold_request_parse(req, 20, sess, &seq, &count), 0);
	assert_memory_equal(sess, FH_SESS, 10);
	assert_int_equal(seq, 3);
	assert_int_equal(count, 8);
	/* Answers of at most 3: two rounds; the held packets then drain. */
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ .ip = 1, .port = 1 }, 0), 3);
	assert_int_equal(to_sub(s, &c->p[c->n - 1]), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 20);
	assert_int_equal(nx_mold_request_parse(req, 20, sess, &seq, &count), 0);
	assert_int_equal(seq, 6);
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ .ip = 1, .port = 1 }, 0), 3);
	assert_int_equal(to_sub(s, &c->p[c->n - 1]), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 0);
	assert_int_equal(nx_feed_sub_stats(s)->msgs, 10);
	assert_int_equal(nx_feed_sub_stats(s)->give_ups, 0);
	assert_int_equal(nx_feed_sub_mold_stats(s, NX_FEED_INCREMENTAL)->dup_pkts, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	assert_same_book(s, ref, 7);
	assert_same_book(s, ref, 8);
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_sub_give_up(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc), *ref = mk_sub(&sc);
	const struct nx_feed_sub_stats *st = nx_feed_sub_stats(s);
	struct nx_feed_rec r;
	uint8_t req[20];
	size_t k;

	(void)state;
	pc.snapshot_ns = 3000; /* 7, 8, 9 due at 0, 1000, 2000 */
	p = mk_pub(c, &pc);
	pub_levels(p, 6, 0);
	to_sub_range(ref, c, 0, 6);
	to_sub_range(s, c, 0, 2);
	to_sub_range(s, c, 3, 6);
	nx_feed_sub_give_up(s); /* seq 3 is gone */
	assert_int_equal(st->give_ups, 1);
	assert_int_equal(st->skipped_msgs, 1);
	assert_int_equal(st->stale_ignored, 3);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 0);
	nx_feed_sub_give_up(s); /* no gap: nothing */
	assert_int_equal(st->give_ups, 1);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(nx_feed_sub_synced(s, FH_INSTS[i]), 0);

	/* An image with lastSeq = the last delivered: synced at once. */
	k = c->n;
	nx_feed_pub_poll(p, 0);
	to_sub_range(s, c, k, c->n);
	to_sub_range(ref, c, k, c->n); /* ignored: synced */
	assert_int_equal(nx_feed_sub_stats(ref)->snap_ignored, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	assert_int_equal(nx_feed_sub_synced(s, 8), 0);
	assert_same_book(s, ref, 7);

	/* The image of 8 (L = 6) arrives after message 7 for 8: replayed. */
	k = c->n;
	nx_feed_pub_poll(p, 1000);
	r = lvl(8, BUY, 100, 99, 3);
	pub_recs(p, &r, 1, 1, 1000);
	to_sub_range(ref, c, k + 1, c->n);
	to_sub_range(s, c, k + 1, c->n);
	assert_int_equal(nx_feed_sub_synced(s, 8), 0);
	to_sub_range(s, c, k, k + 1);
	assert_int_equal(st->snap_synced, 2);
	assert_int_equal(st->replayed, 1);
	assert_int_equal(nx_feed_sub_synced(s, 8), 1);
	assert_same_book(s, ref, 8);

	/* The image of 9 (L = 8) overtakes message 8: pending until it lands. */
	r = lvl(9, SELL, 70, 5, 1);
	k = c->n;
	pub_recs(p, &r, 1, 1, 2000);
	nx_feed_pub_poll(p, 2000);
	to_sub_range(ref, c, k, k + 1);
	to_sub_range(s, c, k + 1, c->n);
	assert_int_equal(st->snap_pending, 1);
	assert_int_equal(nx_feed_sub_synced(s, 9), 0);
	to_sub_range(s, c, k, k + 1); /* seq 8 <= L: already in the image */
	assert_int_equal(nx_feed_sub_synced(s, 9), 1);
	r = lvl(9, SELL, 71, 6, 2);
	k = c->n;
	pub_recs(p, &r, 1, 1, 2001);
	to_sub_range(ref, c, k, c->n);
	to_sub_range(s, c, k, c->n);
	assert_same_book(s, ref, 9);
	assert_int_equal(nx_feed_sub_synced(s, 42), 0); /* after a give-up: unknown */
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

/* A replay buffer too short for the image: wait for the next cycle. */
static void test_sub_too_old(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s, *ref = mk_sub(&sc);
	size_t k;

	(void)state;
	pc.snapshot_ns = 3000;
	p = mk_pub(c, &pc);
	sc.from_start = 0;
	sc.replay_msgs = 1;
	s = mk_sub(&sc);
	pub_levels(p, 4, 0);
	k = c->n;
	nx_feed_pub_poll(p, 0);     /* 7 at L = 4 */
	pub_levels(p, 4, 1);        /* 5 .. 8 */
	to_sub_range(ref, c, 0, c->n);
	to_sub_range(s, c, 0, k);
	to_sub_range(s, c, k + 1, c->n);
	to_sub_range(s, c, k, k + 1);
	assert_int_equal(nx_feed_sub_stats(s)->snap_too_old, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	k = c->n;
	nx_feed_pub_poll(p, 1000);
	nx_feed_pub_poll(p, 2000);
	nx_feed_pub_poll(p, 3000);
	to_sub_range(s, c, k, c->n);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(nx_feed_sub_synced(s, FH_INSTS[i]), 1);
		assert_same_book(s, ref, FH_INSTS[i]);
	}
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_sub_hold(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &pc);
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s, *ref = mk_sub(&sc);
	const struct nx_feed_sub_stats *st;
	struct nx_feed_rec r[3] = { lvl(7, BUY, 1, 1, 1), lvl(7, BUY, 2, 1, 1), lvl(7, BUY, 3, 1, 1) };
	uint8_t req[20];

	(void)state;
	pub_levels(p, 6, 0);
	/* Two held, a third AHEAD: give up through the earliest held. */
	sc.hold_pkts = 2;
	s = mk_sub(&sc);
	st = nx_feed_sub_stats(s);
	to_sub_range(s, c, 0, 2);
	assert_int_equal(to_sub(s, &c->p[3]), NX_MOLD_AHEAD);
	assert_int_equal(to_sub(s, &c->p[3]), NX_MOLD_AHEAD); /* again */
	assert_int_equal(st->hold_dups, 1);
	assert_int_equal(to_sub(s, &c->p[4]), NX_MOLD_AHEAD);
	assert_int_equal(to_sub(s, &c->p[5]), NX_MOLD_DATA);
	assert_int_equal(st->held, 2);
	assert_int_equal(st->hold_full, 1);
	assert_int_equal(st->give_ups, 1);
	assert_int_equal(st->skipped_msgs, 1);
	assert_int_equal(st->msgs, 5);
	assert_int_equal(nx_feed_sub_mold_stats(s, NX_FEED_INCREMENTAL)->lost_msgs, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 0);
	nx_feed_sub_destroy(s);

	/* No hold at all: the AHEAD packet itself skips the gap. */
	sc.hold_pkts = 0;
	s = mk_sub(&sc);
	st = nx_feed_sub_stats(s);
	to_sub_range(s, c, 0, 1);
	assert_int_equal(to_sub(s, &c->p[2]), NX_MOLD_DATA);
	assert_int_equal(st->give_ups, 1);
	assert_int_equal(st->msgs, 2);
	nx_feed_sub_destroy(s);

	/* Too big to hold: dropped, recovered with the gap. */
	sc.hold_pkts = 4;
	sc.max_payload = NX_FEED_PAYLOAD_MIN;
	s = mk_sub(&sc);
	st = nx_feed_sub_stats(s);
	pub_recs(p, r, 3, 0, 0); /* one packet of 3 LevelUpdates: 125 bytes */
	to_sub_range(ref, c, 0, c->n);
	to_sub_range(s, c, 0, 1);
	assert_int_equal(to_sub(s, &c->p[c->n - 1]), NX_MOLD_AHEAD);
	assert_int_equal(st->hold_too_big, 1);
	assert_int_equal(st->held, 0);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 20);
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ .ip = 1, .port = 1 }, 0), 8);
	assert_int_equal(to_sub(s, &c->p[c->n - 1]), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 0);
	assert_same_book(s, ref, 7);
	assert_same_book(s, ref, 8);
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

/* A packet starting at a held number but carrying more messages (a
 * retransmission packed differently from the live feed) replaces the held
 * one: its messages past the held packet are delivered when the gap fills,
 * not asked for again (or lost in a give-up). */
static void test_sub_hold_keeps_the_longer(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &pc);
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc), *ref = mk_sub(&sc);
	const struct nx_feed_sub_stats *st = nx_feed_sub_stats(s);
	const uint8_t *m;
	size_t len;
	struct pk two;
	uint8_t req[20];

	(void)state;
	pub_levels(p, 6, 0); /* seq 1 .. 6, one a packet */
	to_sub_range(ref, c, 0, 6);
	assert_int_equal(cap_seq(&c->p[3]), 4);
	to_sub_range(s, c, 0, 1);
	assert_int_equal(to_sub(s, &c->p[3]), NX_MOLD_AHEAD); /* 2, 3 and 5 lost */
	pk_start(&two, FH_SESS, 4); /* 4 and 5 in one packet */
	m = cap_msg(&c->p[3], 0, &len);
	pk_add(&two, m, len);
	m = cap_msg(&c->p[4], 0, &len);
	pk_add(&two, m, len);
	assert_int_equal(nx_feed_sub_incremental(s, two.b, two.n), NX_MOLD_AHEAD);
	assert_int_equal(st->hold_dups, 0);
	to_sub_range(s, c, 1, 3);
	assert_int_equal(nx_feed_sub_last_seq(s), 5);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 0);
	assert_int_equal(to_sub(s, &c->p[5]), NX_MOLD_DATA);
	assert_int_equal(st->msgs, 6);
	assert_int_equal(st->give_ups, 0);
	assert_same_book(s, ref, 7);
	assert_same_book(s, ref, 8);
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

/* Regression (fuzzer): an end of session arrives while a packet past it is
 * held; giving up must not start delivery beyond what the receiver takes. */
static void test_sub_give_up_after_end(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &pc);
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc);
	struct pk end;
	const char *why;

	(void)state;
	pub_levels(p, 4, 0);
	to_sub_range(s, c, 0, 1);
	assert_int_equal(to_sub(s, &c->p[3]), NX_MOLD_AHEAD); /* seq 4 held */
	pk_start(&end, FH_SESS, 3);
	st_be(end.b + 18, 0xffff, 2);
	assert_int_equal(nx_feed_sub_incremental(s, end.b, end.n), NX_MOLD_END);
	nx_feed_sub_give_up(s); /* the held packet is past the end: refused */
	assert_int_equal(nx_feed_sub_check(s, &why), 0);
	assert_int_equal(nx_feed_sub_stats(s)->give_ups, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	assert_int_equal(nx_feed_sub_request(s, (uint8_t[20]){ 0 }, 20), 0);
	nx_feed_sub_destroy(s);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_sub_broken_image(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s, *ref = mk_sub(&sc);
	const struct nx_feed_sub_stats *st;
	size_t k;

	(void)state;
	pc.max_payload = 200; /* 7 levels a chunk */
	pc.snapshot_ns = 3000;
	p = mk_pub(c, &pc);
	sc.from_start = 0;
	s = mk_sub(&sc);
	st = nx_feed_sub_stats(s);
	for (unsigned i = 0; i < 16; i++) {
		struct nx_feed_rec r = lvl(7, i % 2 ? SELL : BUY, i % 2 ? 200 + i : 100 - i, 1, 1);

		nx_feed_pub_rec(p, &r, 0);
	}
	nx_feed_pub_flush(p, 0);
	to_sub_range(ref, c, 0, c->n);
	to_sub_range(s, c, 0, c->n);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	k = c->n;
	nx_feed_pub_poll(p, 0);
	assert_int_equal(c->n, k + 3);
	to_sub_range(s, c, k, k + 1);
	to_sub_range(s, c, k + 2, k + 3); /* chunk 1 lost */
	assert_int_equal(st->snap_broken, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	assert_int_equal(nx_feed_sub_mold_stats(s, NX_FEED_SNAPSHOT)->gaps, 1);
	k = c->n;
	nx_feed_pub_poll(p, 1000);
	for (uint64_t t = 2000; t <= 6000; t += 1000)
		nx_feed_pub_poll(p, t); /* 9, 7 (k+2 .. k+4), 8, 9, 7 (k+7 .. k+9) */
	assert_int_equal(c->n, k + 10);
	to_sub_range(s, c, k, k + 3); /* 8 and 9 synced; chunk 0 of 7 */
	to_sub_range(s, c, k + 5, c->n); /* the image of 8 starts: 7's is abandoned */
	assert_int_equal(st->snap_broken, 2);
	assert_int_equal(st->snap_ignored, 2);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	assert_same_book(s, ref, 7);
	assert_int_equal(st->snap_images, 3);
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_sub_late_joiner(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *a, *b, *d, *ref = mk_sub(&sc);
	const struct nx_feed_rec r[3] = { lvl(7, BUY, 100, 3, 1), lvl(8, BUY, 100, 4, 1),
					  lvl(7, SELL, 120, 5, 1) };
	size_t snap, k;

	(void)state;
	pc.snapshot_ns = 3000;
	p = mk_pub(c, &pc);
	sc.from_start = 0;
	a = mk_sub(&sc);
	b = mk_sub(&sc);
	d = mk_sub(&sc);
	pub_levels(p, 20, 0);
	to_sub_range(ref, c, 0, 20);
	to_sub_range(a, c, 10, 20); /* joins at seq 11 */
	assert_int_equal(nx_feed_sub_synced(a, 7), 0);
	assert_int_equal(nx_feed_sub_synced(a, 99), 0);
	snap = c->n;
	nx_feed_pub_poll(p, 0); /* 7 at L = 20 */
	to_sub_range(a, c, snap, snap + 1);
	assert_int_equal(nx_feed_sub_synced(a, 7), 1);
	assert_same_book(a, ref, 7);
	/* An image before any incremental: pending, then synced from L + 1. */
	to_sub_range(b, c, snap, snap + 1);
	to_sub_range(d, c, snap, snap + 1);
	assert_int_equal(nx_feed_sub_stats(b)->snap_pending, 1);
	assert_int_equal(nx_feed_sub_synced(b, 7), 0);
	k = c->n;
	pub_recs(p, r, 3, 1, 1); /* seq 21, 22, 23 */
	to_sub_range(ref, c, k, c->n);
	to_sub_range(a, c, k, c->n);
	to_sub_range(b, c, k, c->n);
	assert_int_equal(nx_feed_sub_synced(b, 7), 1);
	assert_same_book(b, ref, 7);
	assert_same_book(a, ref, 7);
	/* Joining after L + 1 (at seq 23): the pending image is unusable. */
	to_sub_range(d, c, k + 2, c->n);
	assert_int_equal(nx_feed_sub_synced(d, 7), 0);
	assert_int_equal(nx_feed_sub_stats(d)->snap_expired, 1);
	nx_feed_sub_destroy(a);
	nx_feed_sub_destroy(b);
	nx_feed_sub_destroy(d);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

static uint8_t sub_status(const struct nx_feed_sub *s, nx_inst_t inst)
{
	struct nx_feed_inst_info info;

	assert_int_equal(nx_feed_sub_instrument(s, inst, &info), 0);
	return info.status;
}

/* Trading status: from InstrumentStatus on the incremental channel, and for
 * a subscriber that joins late, from the image's status (as of its lastSeq)
 * and then the incrementals after it. */
static void test_sub_status(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *a = mk_sub(&sc), *late, *late2;
	const struct nx_feed_rec halt[2] = { lvl(7, BUY, 100, 3, 1), sts(7, NX_STATUS_HALTED) };
	const struct nx_feed_rec reopen[2] = { sts(7, NX_STATUS_OPEN), lvl(7, SELL, 110, 2, 1) };
	size_t k, snap;

	(void)state;
	pc.snapshot_ns = 3000;
	p = mk_pub(c, &pc);
	sc.from_start = 0;
	late = mk_sub(&sc);
	late2 = mk_sub(&sc);
	pub_recs(p, halt, 2, 1, 0); /* seq 1, 2 */
	to_sub_range(a, c, 0, c->n);
	assert_int_equal(sub_status(a, 7), NX_STATUS_HALTED);
	assert_int_equal(nx_feed_sub_stats(a)->applied, 2);

	/* A late joiner: the image of 7 carries HALTED as of seq 2. */
	snap = c->n;
	nx_feed_pub_poll(p, 0);
	k = c->n;
	pub_recs(p, reopen, 2, 1, 0); /* seq 3, 4 */
	to_sub_range(a, c, k, c->n);
	assert_int_equal(sub_status(a, 7), NX_STATUS_OPEN);
	to_sub_range(late, c, k, k + 1);     /* seq 3: the book is not known yet */
	to_sub_range(late, c, snap, snap + 1); /* the image, lastSeq 2 */
	assert_int_equal(nx_feed_sub_synced(late, 7), 1);
	/* the image said HALTED, then the buffered seq 3 reopened it */
	assert_int_equal(sub_status(late, 7), NX_STATUS_OPEN);
	to_sub_range(late, c, k + 1, c->n);
	assert_same_book(late, a, 7);
	/* The image alone: HALTED as of lastSeq 2, pending until seq 3 comes. */
	to_sub_range(late2, c, snap, snap + 1);
	assert_int_equal(sub_status(late2, 7), NX_STATUS_HALTED);
	to_sub_range(late2, c, k, c->n);
	assert_int_equal(nx_feed_sub_synced(late2, 7), 1);
	assert_int_equal(sub_status(late2, 7), NX_STATUS_OPEN);
	assert_same_book(late2, a, 7);
	nx_feed_sub_destroy(a);
	nx_feed_sub_destroy(late);
	nx_feed_sub_destroy(late2);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_sub_sessions(void **state)
{
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc);
	const struct nx_mold_stats *snap = nx_feed_sub_mold_stats(s, NX_FEED_SNAPSHOT);
	struct nx_feed_rec r = lvl(7, BUY, 100, 1, 1);
	struct nx_feed_snap h = { .inst = 7, .chunks = 1 };
	uint8_t m[64];
	size_t len;
	struct pk foreign_snap, snp, inc, foreign_inc;

	(void)state;
	len = nx_feed_encode_snap(m, sizeof(m), &h);
	pk_start(&foreign_snap, FH_OTHER, 1);
	pk_add(&foreign_snap, m, len);
	pk_start(&snp, FH_SESS, 1);
	pk_add(&snp, m, len);
	len = nx_feed_encode_rec(m, sizeof(m), &r);
	pk_start(&inc, FH_SESS, 1);
	pk_add(&inc, m, len);
	pk_start(&foreign_inc, FH_OTHER, 2);
	pk_add(&foreign_inc, m, len);

	/* A foreign snapshot first latches the snapshot channel, but only until
	 * the incremental channel names the session. */
	assert_int_equal(nx_feed_sub_snapshot(s, foreign_snap.b, foreign_snap.n), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_incremental(s, inc.b, inc.n), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_incremental(s, foreign_inc.b, foreign_inc.n),
			 NX_MOLD_DROP_WRONG_SESSION);
	assert_int_equal(nx_feed_sub_snapshot(s, snp.b, snp.n), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_snapshot(s, foreign_snap.b, foreign_snap.n),
			 NX_MOLD_DROP_WRONG_SESSION);
	assert_int_equal(snap->data_pkts, 2);
	assert_int_equal(snap->drops[-NX_MOLD_DROP_WRONG_SESSION], 1);
	assert_int_equal(nx_feed_sub_stats(s)->snap_ignored, 2); /* 7 is synced */
	nx_feed_sub_destroy(s);
}

/* Regression: a late joiner's snapshot receiver latches the first session
 * it hears; an image from another session (another venue or run on the
 * same groups) received before the incrementals was kept pending, and then
 * synced the book with the foreign levels once the real incrementals
 * passed its lastSeq. It is dropped when the incrementals latch. */
static void test_sub_foreign_snapshot(void **state)
{
	(void)state;
	static const nx_inst_t ids[] = { 7 };
	struct nx_feed_pub_config rc = pub_cfg(), fc = pub_cfg();
	rc.instruments = fc.instruments = ids;
	rc.ninstruments = fc.ninstruments = 1;
	memcpy(fc.session, "FOREIGN001", 10);
	rc.snapshot_ns = fc.snapshot_ns = 1000;
	struct cap *real = cap_new(), *foreign = cap_new();
	struct nx_feed_pub *pr = nx_feed_pub_create(&rc, cap_send, real);
	struct nx_feed_pub *pf = nx_feed_pub_create(&fc, cap_send, foreign);
	struct nx_feed_sub_config sc = sub_cfg();
	sc.from_start = 0;
	struct nx_feed_sub *s = mk_sub(&sc), *ref = mk_sub(&sc);
	struct nx_feed_rec r;

	for (int i = 0; i < 10; i++) { /* the foreign session: bids at 999 */
		r = lvl(7, BUY, 999, 1 + i, 1);
		nx_feed_pub_rec(pf, &r, 0);
	}
	nx_feed_pub_flush(pf, 0);
	foreign->n = 0;
	nx_feed_pub_poll(pf, 0); /* its image: lastSeq 10 */
	r = lvl(7, BUY, 100, 5, 1);
	nx_feed_pub_rec(pr, &r, 0);
	for (int i = 0; i < 12; i++) {
		r = lvl(7, SELL, 200 + i, 1, 1);
		nx_feed_pub_rec(pr, &r, 0);
		nx_feed_pub_flush(pr, 0);
	}
	size_t snaps = 0;
	for (size_t i = 0; i < foreign->n; i++)
		if (foreign->p[i].ch == NX_FEED_SNAPSHOT) {
			to_sub(s, &foreign->p[i]);
			snaps++;
		}
	assert_true(snaps > 0);
	assert_int_equal(nx_feed_sub_stats(s)->snap_pending, 1);
	to_sub_range(s, real, 3, real->n); /* joins the real stream at seq 4 */
	assert_int_equal(nx_feed_sub_stats(s)->snap_foreign, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);

	/* The real session's image then syncs it, equal to a subscriber that
	 * never saw the foreign packets. */
	size_t from = real->n;
	nx_feed_pub_poll(pr, 2000);
	to_sub_range(ref, real, 3, real->n);
	to_sub_range(s, real, from, real->n);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	assert_int_equal(nx_feed_sub_synced(ref, 7), 1);
	assert_same_book(s, ref, 7);
	struct nx_level_info l[2];
	assert_int_equal(nx_feed_sub_depth(s, 7, BUY, l, 2), 1);
	assert_int_equal(l[0].px, 100);
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(pr);
	nx_feed_pub_destroy(pf);
	free(real);
	free(foreign);
}

/* A shard re-images a book with max_levels + 1 levels a side, so a
 * subscriber holding max_levels sees the overflow; one holding more took the
 * truncated image for the whole book (synced, complete, levels missing).
 * BookClear's TRUNCATED flag (version 3) now says the image is cut, and
 * such a subscriber flags the book incomplete. Regression (session 15): the
 * flag was set as soon as a side reached max_levels + 1 levels, so a book
 * exactly that deep, sent whole, was taken for a cut one until the next
 * BookClear, which may never come. 3, 4 and 5 bids with max_levels 3: only
 * 5 is cut; the publisher (max_levels) overflows from 4 on. */
static void test_reimage_truncated_for_a_deeper_subscriber(void **state)
{
	struct nx_level_info scratch[NX_FEED_IMAGE_SCRATCH(3)];
	struct nx_feed_rec img[NX_FEED_IMAGE_RECS(3)];
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_sub_config sc = sub_cfg(); /* 64 levels a side */
	struct nx_level_info lv[8];

	(void)state;
	pc.max_levels = 3;
	for (unsigned bids = 3; bids <= 5; bids++) {
		struct nx_book *b = image_book(bids);
		struct cap *c = cap_new();
		struct nx_feed_pub *p = mk_pub(c, &pc);
		struct nx_feed_sub *s = mk_sub(&sc);
		struct nx_feed_inst_info fi;
		unsigned sent = bids < 4 ? bids : 4; /* max_levels + 1 at most */
		uint32_t n = nx_feed_image(b, 7, 3, scratch, img);

		assert_int_equal(n, 2 + sent + 1);
		assert_int_equal(img[0].n, bids > 4 ? NX_FEED_CLEAR_TRUNCATED : 0);
		pub_recs(p, img, n, 0, 0);
		assert_int_equal(nx_feed_pub_stats(p)->level_overflow, bids > 3);
		to_sub_range(s, c, 0, c->n);
		assert_int_equal(nx_feed_sub_instrument(s, 7, &fi), 0);
		assert_int_equal(fi.synced, 1);
		assert_int_equal(fi.incomplete, bids > 4);
		assert_int_equal(nx_feed_sub_depth(s, 7, BUY, lv, 8), (int)sent);
		assert_int_equal(nx_book_depth(b, 7, BUY, scratch, 5), (int)bids);
		for (unsigned i = 0; i < sent; i++) {
			assert_int_equal(lv[i].px, scratch[i].px);
			assert_int_equal(lv[i].qty, scratch[i].qty);
			assert_int_equal(lv[i].count, scratch[i].count);
		}
		nx_feed_sub_destroy(s);
		nx_feed_pub_destroy(p);
		free(c);
		nx_book_destroy(b);
	}
}

/* --- Regressions (session 14's review) ------------------------------------------ */

/* an incremental message that fails to decode used up its sequence
 * number silently; the book it belonged to stayed synced without it. */
static void test_undecodable_message_stales_books(void **state)
{
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc);
	struct nx_feed_rec r1 = lvl(7, BUY, 100, 5, 1), r2 = lvl(7, BUY, 100, 9, 2);
	uint8_t m1[64], m2[64];
	size_t l1 = nx_feed_encode_rec(m1, sizeof(m1), &r1);
	size_t l2 = nx_feed_encode_rec(m2, sizeof(m2), &r2);
	struct nx_level_info l[2];
	struct pk a, bad;

	(void)state;
	pk_start(&a, FH_SESS, 1);
	pk_add(&a, m1, l1);
	assert_int_equal(nx_feed_sub_incremental(s, a.b, a.n), NX_MOLD_DATA);
	/* seq 2: the venue's LevelUpdate 100 -> qty 9, its side byte corrupted */
	m2[NX_FEED_SBE_HDR_LEN + 24] = 0;
	pk_start(&bad, FH_SESS, 2);
	pk_add(&bad, m2, l2);
	assert_int_equal(nx_feed_sub_incremental(s, bad.b, bad.n), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_stats(s)->errs[-NX_FEED_ERR_BAD_FIELD], 1);
	assert_int_equal(nx_feed_sub_last_seq(s), 2);
	assert_int_equal(nx_feed_sub_depth(s, 7, BUY, l, 2), 1);
	assert_int_equal(l[0].qty, 5); /* the venue's book has 9 */
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	nx_feed_sub_destroy(s);
}

/* the status of a snapshot image was taken at its first chunk, so
 * an image then dropped (too old) still replaced the status that a later
 * InstrumentStatus had set. */
static void test_dropped_image_keeps_newer_status(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc);
	struct nx_feed_rec r;
	size_t snap, k;

	(void)state;
	pc.snapshot_ns = 3000;
	p = mk_pub(c, &pc);
	r = sts(7, NX_STATUS_OPEN);
	pub_recs(p, &r, 1, 1, 0);           /* seq 1 */
	snap = c->n;
	nx_feed_pub_poll(p, 0);             /* 7's image: lastSeq 1, OPEN */
	assert_int_equal(c->p[snap].ch, NX_FEED_SNAPSHOT);
	k = c->n;
	r = sts(7, NX_STATUS_HALTED);
	pub_recs(p, &r, 1, 1, 0);           /* seq 2 */
	r = lvl(8, BUY, 10, 1, 1);
	pub_recs(p, &r, 1, 1, 0);           /* seq 3: lost */
	r = lvl(8, BUY, 11, 1, 1);
	pub_recs(p, &r, 1, 1, 0);           /* seq 4 */
	to_sub_range(s, c, 0, snap);
	to_sub_range(s, c, k, k + 1);
	assert_int_equal(sub_status(s, 7), NX_STATUS_HALTED);
	to_sub_range(s, c, k + 2, k + 3);   /* AHEAD: held */
	nx_feed_sub_give_up(s);             /* seq 3 skipped: every book stale */
	to_sub_range(s, c, snap, snap + 1); /* the old image arrives: too old */
	assert_int_equal(nx_feed_sub_stats(s)->snap_too_old, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	/* the newest status known is seq 2's; the dropped image is older */
	assert_int_equal(sub_status(s, 7), NX_STATUS_HALTED);
	nx_feed_sub_destroy(s);
	nx_feed_pub_destroy(p);
	free(c);
}

/* a late joiner's pending image from a foreign session is dropped
 * when the incrementals latch, but the status it carried stayed. */
static void test_foreign_image_sets_no_status(void **state)
{
	static const nx_inst_t ids[] = { 7 };
	struct nx_feed_pub_config rc = pub_cfg(), fc = pub_cfg();
	struct cap *real = cap_new(), *foreign = cap_new();
	struct nx_feed_pub *pr, *pf;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s;
	struct nx_feed_rec r;
	size_t from;

	(void)state;
	rc.instruments = fc.instruments = ids;
	rc.ninstruments = fc.ninstruments = 1;
	memcpy(fc.session, "FOREIGN001", 10);
	rc.snapshot_ns = fc.snapshot_ns = 1000;
	pr = mk_pub(real, &rc);
	pf = mk_pub(foreign, &fc);
	sc.from_start = 0;
	s = mk_sub(&sc);
	r = sts(7, NX_STATUS_HALTED);       /* the foreign venue halted its 7 */
	pub_recs(pf, &r, 1, 1, 0);
	foreign->n = 0;
	nx_feed_pub_poll(pf, 0);
	to_sub(s, &foreign->p[0]);          /* its image, pending */
	r = lvl(7, BUY, 100, 5, 1);         /* the real venue: no status sent */
	pub_recs(pr, &r, 1, 1, 0);
	to_sub_range(s, real, 0, real->n);  /* latches: the foreign image goes */
	assert_int_equal(nx_feed_sub_stats(s)->snap_foreign, 1);
	from = real->n;
	nx_feed_pub_poll(pr, 0);
	to_sub_range(s, real, from, real->n);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	assert_int_equal(sub_status(s, 7), 0); /* no status from this session */
	nx_feed_sub_destroy(s);
	nx_feed_pub_destroy(pr);
	nx_feed_pub_destroy(pf);
	free(real);
	free(foreign);
}

/* an InstrumentStatus delivered in sequence for a stale book was
 * dropped with its levels, though a status is absolute (like a Trade it
 * needs no book): the subscriber reported the status from before the halt. */
static void test_status_applies_while_stale(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &pc);
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc);
	const struct nx_feed_rec r[4] = { sts(7, NX_STATUS_OPEN), lvl(8, BUY, 10, 1, 1),
					  lvl(8, BUY, 11, 1, 1), sts(7, NX_STATUS_HALTED) };

	(void)state;
	pub_recs(p, r, 4, 1, 0);           /* one packet each, seq 1 .. 4 */
	to_sub_range(s, c, 0, 1);
	to_sub_range(s, c, 2, 3);          /* seq 2 lost: seq 3 held */
	nx_feed_sub_give_up(s);            /* every book stale */
	to_sub_range(s, c, 3, 4);          /* seq 4: 7 is halted */
	assert_int_equal(nx_feed_sub_last_seq(s), 4);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	assert_int_equal(sub_status(s, 7), NX_STATUS_HALTED);
	nx_feed_sub_destroy(s);
	nx_feed_pub_destroy(p);
	free(c);
}

/* A shard whose outbox had no room for trades says so (TradesLost, version 4):
 * the subscriber counts the announced trades per instrument, in any book
 * state, and a TradesLost it cannot read costs no book (like a Trade). */
static void test_sub_trades_lost(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &pc);
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc);
	const struct nx_feed_rec r[] = {
		lvl(7, BUY, 100, 10, 1), trd(7, SELL, 100, 2, 1), lost(7, 3, 40),
		trd(7, SELL, 100, 1, 5), lost(8, 1, 7), lost(7, 2, 2), lost(7, 0, 1),
	};
	const struct nx_feed_sub_stats *st = nx_feed_sub_stats(s);
	const struct nx_feed_rec one = lost(7, 1, 1), other = lost(9, 1, 1);
	struct nx_feed_inst_info in;
	uint8_t m[64];
	size_t len;
	struct pk bad;

	(void)state;
	pub_recs(p, r, NX_ARRAY_SIZE(r), 0, 0);
	/* the empty announcement is refused, the others numbered */
	assert_int_equal(nx_feed_pub_stats(p)->recs[NX_FEED_REC_TRADES_LOST], 3);
	assert_int_equal(nx_feed_pub_stats(p)->drops[-NX_FEED_PUB_BAD_QTY], 1);
	assert_int_equal(nx_feed_pub_stats(p)->msgs, 6);
	to_sub_range(s, c, 0, c->n);
	assert_int_equal(st->trades, 2);
	assert_int_equal(st->trades_lost_msgs, 3);
	assert_int_equal(st->trades_lost, 6);
	assert_int_equal(st->applied, 1);
	assert_int_equal(nx_feed_sub_instrument(s, 7, &in), 0);
	assert_int_equal(in.trades, 2);
	assert_int_equal(in.trades_lost, 5);
	assert_int_equal(in.trades_lost_qty, 42);
	assert_int_equal(in.last_tid, 5); /* a loss is no trade */
	assert_int_equal(in.synced, 1);
	assert_int_equal(nx_feed_sub_instrument(s, 8, &in), 0);
	assert_int_equal(in.trades, 0);
	assert_int_equal(in.trades_lost, 1);
	assert_int_equal(in.trades_lost_qty, 7);

	/* seq 7: a TradesLost whose count was corrupted to 0 */
	len = nx_feed_encode_rec(m, sizeof(m), &one);
	m[NX_FEED_SBE_HDR_LEN + 8] = 0;
	pk_start(&bad, FH_SESS, 7);
	pk_add(&bad, m, len);
	assert_int_equal(nx_feed_sub_incremental(s, bad.b, bad.n), NX_MOLD_DATA);
	assert_int_equal(st->errs[-NX_FEED_ERR_BAD_FIELD], 1);
	assert_int_equal(st->trades_lost_msgs, 3);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1); /* no book was in it */

	/* A stale book still counts what the venue could not publish: 8 and 9
	 * are given up (every book stale), then 10 says 9 lost a trade. */
	len = nx_feed_encode_rec(m, sizeof(m), &other);
	pk_start(&bad, FH_SESS, 10);
	pk_add(&bad, m, len);
	assert_int_equal(nx_feed_sub_incremental(s, bad.b, bad.n), NX_MOLD_AHEAD);
	nx_feed_sub_give_up(s);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	assert_int_equal(st->trades_lost_msgs, 4);
	assert_int_equal(nx_feed_sub_instrument(s, 9, &in), 0);
	assert_int_equal(in.trades_lost, 1);
	assert_int_equal(in.synced, 0);
	nx_feed_sub_destroy(s);
	nx_feed_pub_destroy(p);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sub_config),
		cmocka_unit_test(test_sub_basic),
		cmocka_unit_test(test_sub_retransmit),
		cmocka_unit_test(test_sub_give_up),
		cmocka_unit_test(test_sub_too_old),
		cmocka_unit_test(test_sub_hold),
		cmocka_unit_test(test_sub_hold_keeps_the_longer),
		cmocka_unit_test(test_sub_give_up_after_end),
		cmocka_unit_test(test_sub_broken_image),
		cmocka_unit_test(test_sub_late_joiner),
		cmocka_unit_test(test_sub_status),
		cmocka_unit_test(test_sub_sessions),
		cmocka_unit_test(test_sub_foreign_snapshot),
		cmocka_unit_test(test_reimage_truncated_for_a_deeper_subscriber),
		cmocka_unit_test(test_undecodable_message_stales_books),
		cmocka_unit_test(test_dropped_image_keeps_newer_status),
		cmocka_unit_test(test_foreign_image_sets_no_status),
		cmocka_unit_test(test_status_applies_while_stale),
		cmocka_unit_test(test_sub_trades_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
