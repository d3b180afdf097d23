/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the NXM feed's publisher (include/nx/feed.h, src/feed/):
 * configuration limits, packet fill up to max_payload, flush, heartbeats,
 * end of session, snapshot chunking and pacing, the image's max_levels
 * overflow (and a shard's image of a deeper book), refused records,
 * retransmission answers (in range, partly out of range, clamped, wrong
 * session, too old, not yet sent) and their rate limits, session names,
 * the drain of the shards' rings (a quota from each in turn).
 * What it sends is captured (tests/feed_helpers.h) and decoded back.
 *
 * The wire format is tested in test_feed_wire.c, the subscriber in
 * test_feed_sub.c, the differential test and the allocation count are in
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


/* --- Publisher -------------------------------------------------------------- */

/* Decode message k of captured packet i. */
static int cap_decode(const struct cap *c, size_t i, unsigned k, struct nx_feed_msg *m)
{
	size_t len;
	const uint8_t *b = cap_msg(&c->p[i], k, &len);

	return nx_feed_decode(b, len, m);
}

/* Regression (session 13): every start of the appliance published as
 * "NANOEX", so a subscriber of the last run took the new run's numbers as
 * its own session's and spliced them onto its books. */
static void test_session_name(void **state)
{
	char s[10];
	const uint64_t d8 = UINT64_C(2821109907456); /* 36^8 */

	(void)state;
	nx_feed_session_name(s, 0);
	assert_memory_equal(s, "NX00000000", 10);
	nx_feed_session_name(s, 35);
	assert_memory_equal(s, "NX0000000Z", 10);
	nx_feed_session_name(s, 36);
	assert_memory_equal(s, "NX00000010", 10);
	nx_feed_session_name(s, d8 - 1);
	assert_memory_equal(s, "NXZZZZZZZZ", 10);
	nx_feed_session_name(s, d8);
	assert_memory_equal(s, "NX00000000", 10);
	nx_feed_session_name(s, UINT64_C(1795000000000)); /* 2026-11-18 */
	assert_memory_equal(s, "NXMWM0NK74", 10);
	/* One millisecond apart: another session. */
	char t[10];
	nx_feed_session_name(t, UINT64_C(1795000000001));
	assert_memory_not_equal(s, t, 10);
}

static void test_pub_config(void **state)
{
	const nx_inst_t dup[2] = { 7, 7 }, zero[2] = { 7, 0 };
	struct nx_feed_pub_config c = pub_cfg();
	size_t n;
	void *mem;

	(void)state;
	assert_true(nx_feed_pub_memsize(&c) > 0);
	assert_int_equal(nx_feed_pub_memsize(NULL), 0);
#define BADCFG(stmt)                                                           \
	do {                                                                   \
		c = pub_cfg();                                                 \
		stmt;                                                          \
		assert_int_equal(nx_feed_pub_memsize(&c), 0);                  \
		errno = 0;                                                     \
		assert_null(nx_feed_pub_create(&c, cap_send, NULL));           \
		assert_int_equal(errno, EINVAL);                               \
	} while (0)
	BADCFG(c.ninstruments = 0);
	BADCFG(c.instruments = NULL);
	BADCFG(c.instruments = zero; c.ninstruments = 2);
	BADCFG(c.ninstruments = NX_FEED_MAX_INSTRUMENTS + 1);
	BADCFG(c.max_levels = 0);
	BADCFG(c.max_levels = NX_FEED_MAX_LEVELS + 1);
	BADCFG(c.history = 0);
	BADCFG(c.history = NX_FEED_MAX_HISTORY + 1);
	BADCFG(c.max_payload = NX_FEED_PAYLOAD_MIN - 1);
	BADCFG(c.max_payload = NX_FEED_PAYLOAD_MAX + 1);
	/* 73 bytes carry one level per snapshot packet: 2 x 40000 > 65535 chunks */
	BADCFG(c.max_payload = 73; c.max_levels = 40000);
	BADCFG(c.retrans_rate = NX_FEED_MAX_RETRANS_RATE + 1);
	BADCFG(c.retrans_total_rate = NX_FEED_MAX_RETRANS_RATE + 1);
#undef BADCFG
	c = pub_cfg();
	c.max_payload = 73;
	c.max_levels = 32767;
	assert_true(nx_feed_pub_memsize(&c) > 0);
	c.max_payload = 0; /* the default */
	assert_true(nx_feed_pub_memsize(&c) > 0);

	/* Duplicates are found at init; bad memory, length or callback too. */
	c = pub_cfg();
	c.instruments = dup;
	c.ninstruments = 2;
	assert_true(nx_feed_pub_memsize(&c) > 0);
	assert_null(nx_feed_pub_create(&c, cap_send, NULL));
	c = pub_cfg();
	n = nx_feed_pub_memsize(&c);
	mem = aligned_alloc(64, n + 64);
	assert_null(nx_feed_pub_init(mem, n - 1, &c, cap_send, NULL));
	assert_null(nx_feed_pub_init(mem, n, &c, NULL, NULL));
	assert_null(nx_feed_pub_init((char *)mem + 8, n, &c, cap_send, NULL));
	assert_null(nx_feed_pub_init(NULL, n, &c, cap_send, NULL));
	assert_ptr_equal(nx_feed_pub_init(mem, n, &c, cap_send, NULL), mem);
	free(mem);
	nx_feed_pub_destroy(NULL);
}

static void test_pub_fill(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_rec r;
	struct nx_feed_msg m;

	(void)state;
	cfg.max_payload = 200; /* 20 + 5 x (2 + 33) = 195: five LevelUpdates a packet */
	p = mk_pub(c, &cfg);
	for (unsigned i = 0; i < 12; i++) {
		r = lvl(7, BUY, 100 - i, 1 + i, 1);
		nx_feed_pub_rec(p, &r, i);
		/* sent as soon as no message could follow (5 bytes left < 2 + 12) */
		assert_int_equal(c->n, (i + 1) / 5);
	}
	nx_feed_pub_flush(p, 100);
	nx_feed_pub_flush(p, 101); /* nothing open: nothing sent */
	assert_int_equal(c->n, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(c->p[i].ch, NX_FEED_INCREMENTAL);
		assert_int_equal(c->p[i].to.ip, 0);
		assert_memory_equal(c->p[i].b, FH_SESS, 10);
		assert_int_equal(cap_seq(&c->p[i]), 1 + 5 * i);
		assert_int_equal(cap_count(&c->p[i]), i < 2 ? 5 : 2);
		assert_int_equal(c->p[i].len, 20 + cap_count(&c->p[i]) * 35);
		for (unsigned k = 0; k < cap_count(&c->p[i]); k++) {
			unsigned j = 5 * i + k;

			assert_int_equal(cap_decode(c, i, k, &m), NX_FEED_TPL_LEVEL_UPDATE);
			r = lvl(7, BUY, 100 - j, 1 + j, 1);
			assert_rec_eq(&m.rec, &r);
		}
	}
	/* Four levels leave 40 bytes: a trade (2 + 40) goes to the next packet. */
	for (unsigned i = 0; i < 4; i++) {
		r = lvl(8, SELL, 200 + i, 1, 1);
		nx_feed_pub_rec(p, &r, 200);
	}
	assert_int_equal(c->n, 3);
	r = trd(8, BUY, 200, 1, 5);
	nx_feed_pub_rec(p, &r, 201);
	assert_int_equal(c->n, 4);
	assert_int_equal(cap_seq(&c->p[3]), 13);
	assert_int_equal(cap_count(&c->p[3]), 4);
	nx_feed_pub_flush(p, 202);
	assert_int_equal(cap_seq(&c->p[4]), 17);
	assert_int_equal(cap_decode(c, 4, 0, &m), NX_FEED_TPL_TRADE);
	assert_int_equal(nx_feed_pub_stats(p)->msgs, 17);
	assert_int_equal(nx_feed_pub_stats(p)->recs[NX_FEED_REC_LEVEL], 16);
	assert_int_equal(nx_feed_pub_stats(p)->recs[NX_FEED_REC_TRADE], 1);
	assert_int_equal(nx_feed_pub_stats(p)->pkts[NX_FEED_INCREMENTAL], 5);
	nx_feed_pub_destroy(p);
	free(c);
}

/* The pacing contract the appliance's stop relies on (nx_feed_pub_flush):
 * after a flush, k records and a flush send at most k packets, at every
 * payload size, though at the smallest one record can send two (the full
 * packet before it, then its own, which nothing could follow). */
static void test_pub_pkts_at_most_recs(void **state)
{
	const uint32_t payloads[] = { NX_FEED_PAYLOAD_MIN, 100, 200, 1400 };
	uint64_t rng = 5;

	(void)state;
	for (unsigned pi = 0; pi < NX_ARRAY_SIZE(payloads); pi++) {
		struct cap *c = cap_new();
		struct nx_feed_pub_config cfg = pub_cfg();
		struct nx_feed_pub *p;
		unsigned twice = 0;

		cfg.max_payload = payloads[pi];
		p = mk_pub(c, &cfg);
		for (unsigned round = 0; round < 200; round++) {
			unsigned k = 1 + (unsigned)(rng % 40);
			size_t before = c->n;

			for (unsigned i = 0; i < k; i++) {
				size_t at = c->n;
				struct nx_feed_rec r;

				rng = rng * 6364136223846793005ull + 1442695040888963407ull;
				switch ((rng >> 33) % 3) {
				case 0: r = lvl(7, BUY, 100, 1 + (nx_qty_t)(rng >> 40) % 9, 1); break;
				case 1: r = trd(8, SELL, 50, 1, round); break;
				default: r = sts(9, NX_STATUS_OPEN); break;
				}
				nx_feed_pub_rec(p, &r, round);
				twice += c->n - at == 2;
				assert_true(c->n < CAP_MAX - 2);
			}
			nx_feed_pub_flush(p, round);
			assert_true(c->n - before <= k);
			if (c->n > CAP_MAX / 2)
				c->n = 0;
		}
		if (payloads[pi] == NX_FEED_PAYLOAD_MIN)
			assert_true(twice > 0); /* the case the contract is about */
		nx_feed_pub_destroy(p);
		free(c);
	}
}

static void test_pub_heartbeat(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_rec r = lvl(7, BUY, 100, 1, 1);

	(void)state;
	cfg.heartbeat_ns = 1000;
	p = mk_pub(c, &cfg);
	nx_feed_pub_poll(p, 0);
	nx_feed_pub_poll(p, 999);
	assert_int_equal(c->n, 0);
	nx_feed_pub_poll(p, 1000);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->p[0].len, 20);
	assert_int_equal(cap_seq(&c->p[0]), 1); /* the next message's number */
	assert_int_equal(cap_count(&c->p[0]), 0);
	/* An open packet idle for heartbeat_ns is sent instead of a heartbeat. */
	nx_feed_pub_rec(p, &r, 1500);
	nx_feed_pub_poll(p, 1999);
	assert_int_equal(c->n, 1);
	nx_feed_pub_poll(p, 2000);
	assert_int_equal(c->n, 2);
	assert_int_equal(cap_count(&c->p[1]), 1);
	nx_feed_pub_poll(p, 2999);
	assert_int_equal(c->n, 2);
	nx_feed_pub_poll(p, 3000);
	assert_int_equal(c->n, 3);
	assert_int_equal(cap_seq(&c->p[2]), 2);
	assert_int_equal(cap_count(&c->p[2]), 0);
	/* Time going backwards sends nothing. */
	nx_feed_pub_poll(p, 10);
	assert_int_equal(c->n, 3);
	assert_int_equal(nx_feed_pub_stats(p)->heartbeats, 2);
	nx_feed_pub_destroy(p);

	/* heartbeat_ns 0: never. */
	cfg.heartbeat_ns = 0;
	c->n = 0;
	p = mk_pub(c, &cfg);
	nx_feed_pub_poll(p, 1000000000);
	assert_int_equal(c->n, 0);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_pub_end(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_rec r = lvl(7, BUY, 100, 1, 1);
	uint8_t req[20];

	(void)state;
	cfg.heartbeat_ns = 1000;
	cfg.snapshot_ns = 3000;
	p = mk_pub(c, &cfg);
	nx_feed_pub_rec(p, &r, 10);
	nx_feed_pub_end(p, 20);
	assert_int_equal(c->n, 2);
	assert_int_equal(cap_count(&c->p[0]), 1);
	assert_int_equal(c->p[1].len, 20);
	assert_int_equal(cap_seq(&c->p[1]), 2);
	assert_int_equal(cap_count(&c->p[1]), 0xffff);
	nx_feed_pub_rec(p, &r, 30);
	nx_feed_pub_flush(p, 30);
	assert_int_equal(c->n, 2);
	assert_int_equal(nx_feed_pub_stats(p)->drops[-NX_FEED_PUB_AFTER_END], 1);
	assert_int_equal(nx_feed_pub_stats(p)->msgs, 1);
	/* Idle: the end packet is repeated, no snapshot is sent. */
	nx_feed_pub_poll(p, 1020);
	assert_int_equal(c->n, 3);
	assert_int_equal(cap_count(&c->p[2]), 0xffff);
	assert_int_equal(c->p[2].ch, NX_FEED_INCREMENTAL);
	nx_feed_pub_end(p, 1030);
	assert_int_equal(c->n, 4);
	assert_int_equal(nx_feed_pub_stats(p)->ends, 3);
	/* Retransmission still works. */
	nx_mold_request_build(req, sizeof(req), FH_SESS, 1, 1);
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ .ip = 1, .port = 2 }, 1040), 1);
	nx_feed_pub_destroy(p);
	free(c);
}

/* Levels of all chunks of the image in packets [from, from + n). */
static unsigned snap_levels(const struct cap *c, size_t from, unsigned chunks, nx_inst_t inst,
			    uint64_t last_seq, uint8_t flags, struct nx_feed_level *out)
{
	struct nx_feed_msg m;
	unsigned n = 0;

	for (unsigned i = 0; i < chunks; i++) {
		const struct cap_pkt *pk = &c->p[from + i];

		assert_int_equal(pk->ch, NX_FEED_SNAPSHOT);
		assert_int_equal(cap_count(pk), 1);
		assert_int_equal(cap_decode(c, from + i, 0, &m), NX_FEED_TPL_SNAPSHOT_LEVELS);
		assert_int_equal(m.snap.inst, inst);
		assert_int_equal(m.snap.chunk, i);
		assert_int_equal(m.snap.chunks, chunks);
		assert_int_equal(m.snap.last_seq, last_seq);
		assert_int_equal(m.snap.flags, flags);
		for (unsigned k = 0; k < m.nlevels; k++)
			nx_feed_msg_level(&m, k, &out[n++]);
	}
	return n;
}

static void test_pub_snapshot(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_level l[64];
	struct nx_feed_rec r;
	size_t at;

	(void)state;
	cfg.max_payload = 200; /* (200 - 22 - 29) / 21 = 7 levels per snapshot packet */
	cfg.snapshot_ns = 3000; /* three instruments: one every 1000 ns */
	p = mk_pub(c, &cfg);
	for (unsigned i = 0; i < 6; i++) { /* asks worst first, bids best first */
		r = lvl(7, SELL, 106 - i, 10 + i, 1 + i);
		nx_feed_pub_rec(p, &r, 0);
	}
	for (unsigned i = 0; i < 10; i++) {
		r = lvl(7, BUY, 100 - i, 20 + i, 2);
		nx_feed_pub_rec(p, &r, 0);
	}
	at = c->n;
	nx_feed_pub_poll(p, 0); /* the open packet first, then the image */
	assert_int_equal(c->n, at + 1 + 3);
	assert_int_equal(c->p[at].ch, NX_FEED_INCREMENTAL);
	assert_int_equal(snap_levels(c, at + 1, 3, 7, 16, 0, l), 16);
	for (unsigned i = 0; i < 16; i++) {
		assert_int_equal(l[i].side, i < 10 ? BUY : SELL);
		assert_int_equal(l[i].lv.px, i < 10 ? 100 - (int)i : 101 + (int)(i - 10));
		assert_int_equal(l[i].lv.qty, i < 10 ? 20 + (int)i : 10 + (int)(15 - i));
	}
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(cap_seq(&c->p[at + 1 + i]), 1 + i); /* its own numbering */

	at = c->n;
	nx_feed_pub_poll(p, 999);
	assert_int_equal(c->n, at);
	nx_feed_pub_poll(p, 1000); /* an empty book: one chunk, no level */
	assert_int_equal(c->n, at + 1);
	assert_int_equal(snap_levels(c, at, 1, 8, 16, 0, l), 0);
	assert_int_equal(cap_seq(&c->p[at]), 4);
	nx_feed_pub_poll(p, 2000);
	assert_int_equal(snap_levels(c, at + 1, 1, 9, 16, 0, l), 0);
	r = lvl(7, BUY, 90, 1, 1);
	nx_feed_pub_rec(p, &r, 2500);
	at = c->n;
	nx_feed_pub_poll(p, 3000); /* the cycle again: 7 has 17 levels now */
	assert_int_equal(c->n, at + 1 + 3);
	assert_int_equal(snap_levels(c, at + 1, 3, 7, 17, 0, l), 17);
	/* Late by 1.5 steps: both due ones; more than a cycle: restart from now. */
	at = c->n;
	nx_feed_pub_poll(p, 5500);
	assert_int_equal(c->n, at + 2);
	snap_levels(c, at, 1, 8, 17, 0, l);
	snap_levels(c, at + 1, 1, 9, 17, 0, l);
	at = c->n;
	nx_feed_pub_poll(p, 100000);
	assert_int_equal(c->n, at + 3);
	nx_feed_pub_poll(p, 100999);
	assert_int_equal(c->n, at + 3);
	nx_feed_pub_poll(p, 101000);
	assert_int_equal(c->n, at + 4);
	assert_int_equal(nx_feed_pub_stats(p)->snapshots, 8);
	assert_int_equal(nx_feed_pub_stats(p)->pkts[NX_FEED_SNAPSHOT], 14);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_pub_overflow(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_level l[8];
	const nx_px_t px[5] = { 100, 99, 98, 97, 101 };
	struct nx_feed_rec r;

	(void)state;
	cfg.max_levels = 3;
	cfg.snapshot_ns = 3000;
	p = mk_pub(c, &cfg);
	for (unsigned i = 0; i < 5; i++) {
		r = lvl(7, BUY, px[i], 5, 1);
		nx_feed_pub_rec(p, &r, 0);
	}
	/* 97 ranked last: dropped; 101 pushed 98 out. Both still published. */
	assert_int_equal(nx_feed_pub_stats(p)->level_overflow, 2);
	r = lvl(7, BUY, 98, 0, 0);
	nx_feed_pub_rec(p, &r, 0);
	assert_int_equal(nx_feed_pub_stats(p)->level_unknown, 1);
	assert_int_equal(nx_feed_pub_stats(p)->msgs, 6);
	c->n = 0;
	nx_feed_pub_poll(p, 0);
	assert_int_equal(snap_levels(c, 1, 1, 7, 6, NX_FEED_SNAP_INCOMPLETE, l), 3);
	assert_int_equal(l[0].lv.px, 101);
	assert_int_equal(l[1].lv.px, 100);
	assert_int_equal(l[2].lv.px, 99);
	nx_feed_pub_poll(p, 1000); /* instruments 8 and 9 */
	nx_feed_pub_poll(p, 2000);
	/* A BookClear re-images the instrument: complete again. */
	r = clr(7);
	nx_feed_pub_rec(p, &r, 1);
	r = lvl(7, SELL, 105, 1, 1);
	nx_feed_pub_rec(p, &r, 1);
	c->n = 0;
	nx_feed_pub_poll(p, 3000);
	assert_int_equal(snap_levels(c, 1, 1, 7, 8, 0, l), 1);
	assert_int_equal(l[0].side, SELL);
	nx_feed_pub_destroy(p);
	free(c);
}

/* Regression (session 13): a shard re-imaged at most max_levels a side, so
 * the image of a deeper book looked complete to the publisher and its
 * snapshots were not flagged. nx_feed_image sends one level more. */
static void test_image_deeper_than_max_levels(void **state)
{
	struct nx_level_info scratch[NX_FEED_IMAGE_SCRATCH(3)];
	struct nx_feed_rec img[NX_FEED_IMAGE_RECS(3)];
	struct nx_feed_level l[8];
	struct nx_feed_pub_config cfg = pub_cfg();
	const struct {
		unsigned bids, recs, levels;
		uint8_t flags;
	} t[] = {
		{ 3, 2 + 3 + 1, 4, 0 },                        /* exactly max_levels: complete */
		{ 5, 2 + 4 + 1, 4, NX_FEED_SNAP_INCOMPLETE },   /* deeper: max_levels + 1 sent */
	};

	(void)state;
	cfg.max_levels = 3;
	cfg.snapshot_ns = 3000;
	for (unsigned k = 0; k < 2; k++) {
		struct nx_book *b = image_book(t[k].bids);
		struct cap *c = cap_new();
		struct nx_feed_pub *p = mk_pub(c, &cfg);
		uint32_t n = nx_feed_image(b, 7, 3, scratch, img);

		assert_int_equal(n, t[k].recs);
		assert_int_equal(img[0].type, NX_FEED_REC_CLEAR);
		/* BookClear says so too, for subscribers holding more levels */
		assert_int_equal(img[0].n, t[k].flags ? NX_FEED_CLEAR_TRUNCATED : 0);
		assert_int_equal(img[1].type, NX_FEED_REC_STATUS);
		assert_int_equal(img[1].n, NX_STATUS_OPEN);
		for (uint32_t i = 2; i < n - 1; i++) {
			assert_int_equal(img[i].type, NX_FEED_REC_LEVEL);
			assert_int_equal(img[i].side, BUY);
			assert_int_equal(img[i].px, 100 - (nx_px_t)(i - 2));
			assert_int_equal(img[i].qty, 2 + (nx_qty_t)(i - 2));
			assert_int_equal(img[i].n, 1);
		}
		assert_int_equal(img[n - 1].side, SELL);
		assert_int_equal(img[n - 1].px, 110);
		for (uint32_t i = 0; i < n; i++)
			nx_feed_pub_rec(p, &img[i], 0);
		assert_int_equal(nx_feed_pub_stats(p)->level_overflow, t[k].flags ? 1 : 0);
		c->n = 0;
		nx_feed_pub_poll(p, 0);
		assert_int_equal(snap_levels(c, 1, 1, 7, n, t[k].flags, l), t[k].levels);
		nx_feed_pub_destroy(p);
		free(c);
		nx_book_destroy(b);
	}
	/* An instrument the book does not know: CLEAR only (the shard's list
	 * comes from the same configuration, so this is a caller's slip). */
	struct nx_book *b = image_book(0);
	assert_int_equal(nx_feed_image(b, 8, 3, scratch, img), 1);
	assert_int_equal(img[0].type, NX_FEED_REC_CLEAR);
	nx_book_destroy(b);
}

static void test_pub_bad_recs(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &cfg);
	const struct {
		struct nx_feed_rec r;
		int why;
	} t[] = {
		{ { .type = 0, .side = 1, .inst = 7, .qty = 1, .n = 1 }, NX_FEED_PUB_BAD_TYPE },
		{ { .type = 6, .side = 1, .inst = 7, .qty = 1, .n = 1 }, NX_FEED_PUB_BAD_TYPE },
		{ sts(7, 0), NX_FEED_PUB_BAD_STATUS },
		{ sts(7, NX_STATUS_CLOSED + 1), NX_FEED_PUB_BAD_STATUS },
		{ sts(0, NX_STATUS_OPEN), NX_FEED_PUB_BAD_INSTRUMENT },
		{ sts(99, NX_STATUS_OPEN), NX_FEED_PUB_BAD_INSTRUMENT },
		{ lvl(7, 0, 100, 1, 1), NX_FEED_PUB_BAD_SIDE },
		{ trd(7, 3, 100, 1, 1), NX_FEED_PUB_BAD_SIDE },
		{ lvl(7, BUY, 100, -1, 1), NX_FEED_PUB_BAD_QTY },
		{ lvl(7, BUY, 100, 0, 2), NX_FEED_PUB_BAD_QTY },
		{ lvl(7, BUY, 100, 3, 0), NX_FEED_PUB_BAD_QTY },
		{ { .type = 1, .side = 1, .inst = 7, .qty = 1, .n = 1ull << 32 }, NX_FEED_PUB_BAD_QTY },
		{ trd(7, BUY, 100, 0, 1), NX_FEED_PUB_BAD_QTY },
		{ lvl(0, BUY, 100, 1, 1), NX_FEED_PUB_BAD_INSTRUMENT },
		{ lvl(99, BUY, 100, 1, 1), NX_FEED_PUB_BAD_INSTRUMENT },
		{ clr(99), NX_FEED_PUB_BAD_INSTRUMENT },
		{ lost(7, 0, 1), NX_FEED_PUB_BAD_QTY },
		{ lost(7, 1, 0), NX_FEED_PUB_BAD_QTY },
		{ lost(0, 1, 1), NX_FEED_PUB_BAD_INSTRUMENT },
		{ lost(99, 1, 1), NX_FEED_PUB_BAD_INSTRUMENT },
	};
	uint64_t want[NX_FEED_PUB_DROP_MAX] = { 0 };

	(void)state;
	for (unsigned i = 0; i < NX_ARRAY_SIZE(t); i++) {
		if (t[i].r.inst != 99)
			assert_int_equal(nx_feed_rec_check(&t[i].r), t[i].why);
		nx_feed_pub_rec(p, &t[i].r, 0);
		want[-t[i].why]++;
	}
	nx_feed_pub_flush(p, 0);
	assert_int_equal(c->n, 0);
	assert_int_equal(nx_feed_pub_stats(p)->msgs, 0);
	assert_memory_equal(nx_feed_pub_stats(p)->drops, want, sizeof(want));
	nx_feed_pub_destroy(p);
	free(c);
}

/* Send a request to p; the answer, if any, is the last captured packet. */
static int ask(struct nx_feed_pub *p, const char *sess, uint64_t seq, uint16_t count)
{
	uint8_t req[20];

	nx_mold_request_build(req, sizeof(req), sess, seq, count);
	return nx_feed_pub_request(p, req, sizeof(req), (struct nx_addr){ .ip = 0x0a000002, .port = 4000 }, 0);
}

/* The answer at packet i is count messages from seq, equal to the originals
 * (one a packet, from packet orig on). */
static void check_answer(const struct cap *c, size_t i, uint64_t seq, unsigned count,
			 size_t orig)
{
	const struct cap_pkt *a = &c->p[i];

	assert_int_equal(a->ch, NX_FEED_RETRANSMIT);
	assert_int_equal(a->to.ip, 0x0a000002);
	assert_int_equal(a->to.port, 4000);
	assert_memory_equal(a->b, FH_SESS, 10);
	assert_int_equal(cap_seq(a), seq);
	assert_int_equal(cap_count(a), count);
	for (unsigned k = 0; k < count; k++) {
		size_t la, lo;
		const uint8_t *ma = cap_msg(a, k, &la);
		const uint8_t *mo = cap_msg(&c->p[orig + k], 0, &lo);

		assert_int_equal(la, lo);
		assert_memory_equal(ma, mo, la);
	}
}

static void test_pub_retransmit(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_rec r;
	uint8_t req[21];
	const struct nx_feed_pub_stats *st;

	(void)state;
	cfg.max_payload = 200;
	cfg.history = 16; /* keeps 15 .. 30 after 30 messages */
	cfg.retrans_max = 4;
	p = mk_pub(c, &cfg);
	st = nx_feed_pub_stats(p);
	for (unsigned i = 0; i < 30; i++) { /* one message a packet: packet i is seq i + 1 */
		r = i % 3 ? lvl(7, BUY, 100 + i, i, 1) : trd(8, SELL, 50, 1 + i, i);
		nx_feed_pub_rec(p, &r, i);
		nx_feed_pub_flush(p, i);
	}
	assert_int_equal(ask(p, FH_SESS, 20, 3), 3);
	check_answer(c, 30, 20, 3, 19);
	assert_int_equal(ask(p, FH_SESS, 28, 10), 3); /* partly past the end */
	check_answer(c, 31, 28, 3, 27);
	assert_int_equal(ask(p, FH_SESS, 15, 10), 4); /* retrans_max */
	check_answer(c, 32, 15, 4, 14);
	assert_int_equal(ask(p, FH_SESS, 14, 2), NX_FEED_PUB_REQ_TOO_OLD);
	assert_int_equal(ask(p, FH_SESS, 31, 1), NX_FEED_PUB_REQ_FUTURE);
	assert_int_equal(ask(p, FH_OTHER, 20, 1), NX_FEED_PUB_REQ_SESSION);
	assert_int_equal(ask(p, FH_SESS, 20, 0), NX_FEED_PUB_REQ_RANGE);
	assert_int_equal(ask(p, FH_SESS, 0, 3), NX_FEED_PUB_REQ_RANGE);
	nx_mold_request_build(req, sizeof(req), FH_SESS, 20, 1);
	assert_int_equal(nx_feed_pub_request(p, req, 19, (struct nx_addr){ .ip = 0, .port = 0 }, 0),
			 NX_FEED_PUB_REQ_LENGTH);
	assert_int_equal(nx_feed_pub_request(p, req, 21, (struct nx_addr){ .ip = 0, .port = 0 }, 0),
			 NX_FEED_PUB_REQ_LENGTH);
	assert_int_equal(c->n, 33); /* refused requests send nothing */
	/* A message in the open packet is not sent yet: not answered. */
	r = lvl(7, BUY, 1, 1, 1);
	nx_feed_pub_rec(p, &r, 40);
	assert_int_equal(ask(p, FH_SESS, 31, 1), NX_FEED_PUB_REQ_FUTURE);
	nx_feed_pub_flush(p, 41);
	assert_int_equal(ask(p, FH_SESS, 31, 1), 1);
	check_answer(c, 34, 31, 1, 33);
	assert_int_equal(st->requests, 12);
	assert_int_equal(st->answers, 4);
	assert_int_equal(st->retrans_msgs, 11);
	assert_int_equal(st->drops[-NX_FEED_PUB_REQ_RANGE], 2);
	assert_int_equal(st->drops[-NX_FEED_PUB_REQ_LENGTH], 2);
	assert_int_equal(st->pkts[NX_FEED_RETRANSMIT], 4);
	nx_feed_pub_destroy(p);

	/* retrans_max 0: as many as fit one packet, (200 - 20) / 35 = 5 levels. */
	cfg.retrans_max = 0;
	c->n = 0;
	p = mk_pub(c, &cfg);
	for (unsigned i = 0; i < 10; i++) {
		r = lvl(7, BUY, 100 + i, 1, 1);
		nx_feed_pub_rec(p, &r, i);
		nx_feed_pub_flush(p, i);
	}
	assert_int_equal(ask(p, FH_SESS, 1, 10), 5);
	check_answer(c, 10, 1, 5, 0);
	nx_feed_pub_destroy(p);
	free(c);
}

static int ask_from(struct nx_feed_pub *p, uint32_t ip, uint16_t port, uint64_t now)
{
	uint8_t req[20];

	nx_mold_request_build(req, sizeof(req), FH_SESS, 1, 1);
	return nx_feed_pub_request(p, req, sizeof(req), (struct nx_addr){ .ip = ip, .port = port }, now);
}

/* Regression (session 15): every valid request was answered at once, so a
 * stream of 20-byte requests with a forged source made the server send
 * packets of up to max_payload at whoever it named, as fast as it asked.
 * Now per requester and in total at most the configured rate, in bursts of
 * a second's worth. */
static void test_pub_retransmit_budget(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_rec r = lvl(7, BUY, 100, 1, 1);
	const struct nx_feed_pub_stats *st;
	const uint64_t ms = 1000000;
	size_t sent;

	(void)state;
	cfg.retrans_rate = 4;        /* one answer each 250 ms, 4 at once */
	cfg.retrans_total_rate = 6;  /* one each 166.67 ms, 6 at once */
	p = mk_pub(c, &cfg);
	st = nx_feed_pub_stats(p);
	nx_feed_pub_rec(p, &r, 0);
	nx_feed_pub_flush(p, 0);
	sent = c->n;
	for (int i = 0; i < 4; i++)
		assert_int_equal(ask_from(p, 0x0a000002, 4000, 0), 1);
	assert_int_equal(ask_from(p, 0x0a000002, 4000, 0), NX_FEED_PUB_REQ_THROTTLED);
	/* Another port is another requester; the total stops it at 6. */
	assert_int_equal(ask_from(p, 0x0a000002, 4001, 0), 1);
	assert_int_equal(ask_from(p, 0x0a000002, 4001, 0), 1);
	assert_int_equal(ask_from(p, 0x0a000002, 4001, 0), NX_FEED_PUB_REQ_THROTTLED);
	assert_int_equal(c->n, sent + 6); /* refusals send nothing */
	/* 200 ms on, the total has one answer again, and the refusal above did
	 * not spend 4001's budget; 4000's own budget is still empty. */
	assert_int_equal(ask_from(p, 0x0a000002, 4000, 200 * ms), NX_FEED_PUB_REQ_THROTTLED);
	assert_int_equal(ask_from(p, 0x0a000002, 4001, 200 * ms), 1);
	assert_int_equal(ask_from(p, 0x0a000002, 4001, 200 * ms), NX_FEED_PUB_REQ_THROTTLED);
	/* A second on, both budgets are full again. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(ask_from(p, 0x0a000002, 4000, 1200 * ms + (uint64_t)i), 1);
	assert_int_equal(ask_from(p, 0x0a000002, 4000, 1200 * ms), NX_FEED_PUB_REQ_THROTTLED);
	assert_int_equal(st->answers, 11);
	assert_int_equal(st->drops[-NX_FEED_PUB_REQ_THROTTLED], 5);
	assert_int_equal(st->requests, 16);
	assert_int_equal(st->requester_evictions, 0);
	assert_string_equal(nx_feed_pub_drop_name(NX_FEED_PUB_REQ_THROTTLED), "REQ_THROTTLED");
	nx_feed_pub_destroy(p);

	/* Per requester only: 257 requesters share 256 slots, so one takes
	 * another's over (with a full budget); each is answered. */
	cfg.retrans_total_rate = 0;
	p = mk_pub(c, &cfg);
	st = nx_feed_pub_stats(p);
	nx_feed_pub_rec(p, &r, 0);
	nx_feed_pub_flush(p, 0);
	for (uint16_t port = 0; port <= 256; port++)
		assert_int_equal(ask_from(p, 0x0a000003, 5000 + port, 0), 1);
	assert_true(st->requester_evictions >= 1);
	assert_int_equal(st->answers, 257);
	nx_feed_pub_destroy(p);

	/* No limits: 1000 requests at the same instant are all answered. */
	cfg.retrans_rate = 0;
	p = mk_pub(c, &cfg);
	nx_feed_pub_rec(p, &r, 0);
	nx_feed_pub_flush(p, 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ask_from(p, 0x0a000002, 4000, 0), 1);
	nx_feed_pub_destroy(p);
	free(c);
}

/* --- Draining the shards' rings ---------------------------------------------- */

/* Sources for nx_feed_pub_drain: a queue per source of trades of its own
 * instrument (FH_INSTS[src]), trade ids counting its records from 1. A
 * firehose source is refilled as fast as it is emptied, up to `cap`: a
 * shard as fast as the service. */
#define DRAIN_SRCS 3

struct drain_srcs {
	uint64_t have[DRAIN_SRCS];   /* records it holds now */
	uint64_t given[DRAIN_SRCS];  /* records taken from it */
	unsigned calls[DRAIN_SRCS];
	int firehose[DRAIN_SRCS];
	uint64_t cap;
	unsigned max_asked;
};

static unsigned drain_deq(void *ctx, uint32_t src, struct nx_feed_rec *r, unsigned max)
{
	struct drain_srcs *d = ctx;
	unsigned n = 0;

	assert_true(src < DRAIN_SRCS);
	d->calls[src]++;
	if (max > d->max_asked)
		d->max_asked = max;
	while (n < max && (d->firehose[src] ? d->given[src] < d->cap : d->have[src] > 0)) {
		r[n++] = trd(FH_INSTS[src], BUY, 100, 1, ++d->given[src]);
		if (!d->firehose[src])
			d->have[src]--;
	}
	return n;
}

/* Every incremental message captured in c from packet *from on, in order:
 * sequence numbers contiguous from *seq; each a trade whose instrument is
 * want[k].inst and trade id want[k].n. */
static void assert_drained(const struct cap *c, size_t *from, uint64_t *seq,
			   const struct nx_feed_rec *want, unsigned nwant)
{
	unsigned k = 0;

	for (; *from < c->n; (*from)++) {
		const struct cap_pkt *pk = &c->p[*from];

		assert_int_equal(pk->ch, NX_FEED_INCREMENTAL);
		assert_int_equal(cap_seq(pk), *seq);
		for (unsigned i = 0; i < cap_count(pk); i++, k++, (*seq)++) {
			struct nx_feed_msg m;

			assert_int_equal(cap_decode(c, *from, i, &m), NX_FEED_TPL_TRADE);
			assert_true(k < nwant);
			assert_int_equal(m.rec.inst, want[k].inst);
			assert_int_equal(m.rec.n, want[k].n);
		}
	}
	assert_int_equal(k, nwant);
}

/* Expected trades: n of instrument inst from trade id first. */
static unsigned want_trades(struct nx_feed_rec *w, unsigned at, nx_inst_t inst, uint64_t first,
			    unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		w[at + i] = trd(inst, BUY, 100, 1, first + i);
	return at + n;
}

/* Regression (review of the market-data service): its loop emptied each
 * shard's ring before moving on, so a shard that refilled its ring as fast
 * as the service emptied it held the service there: the other shards'
 * records, the feed's heartbeats and snapshots, retransmission answers and
 * the ITCH feed waited for as long as it kept up. nx_feed_pub_drain takes
 * at most quota records of each source a round. Here source 0 is such a
 * shard (10,000 records behind it), source 1 holds 3 records and
 * source 2 quota + 5: each round takes quota of source 0, then the others'
 * share, in each source's order, numbered contiguously and flushed. Draining
 * source 0 empty, as the loop did, takes all 10,000 first. */
static void test_pub_drain_round_robin(void **state)
{
	enum { QUOTA = 100 }; /* not a multiple of NX_FEED_DRAIN_CHUNK */
	struct drain_srcs d = { .have = { 0, 3, QUOTA + 5 }, .firehose = { 1, 0, 0 },
				.cap = 10000 };
	struct nx_feed_rec want[3 * QUOTA];
	struct nx_feed_pub_config cfg = pub_cfg();
	struct cap *c = cap_new();
	struct nx_feed_pub *p;
	uint64_t seq = 1;
	size_t from = 0;
	unsigned n;

	(void)state;
	p = mk_pub(c, &cfg);

	/* Round 1: QUOTA of the firehose, all 3 of source 1, QUOTA of source 2. */
	assert_int_equal(nx_feed_pub_drain(p, drain_deq, &d, DRAIN_SRCS, QUOTA, 0), 2 * QUOTA + 3);
	assert_int_equal(d.given[0], QUOTA);
	assert_int_equal(d.given[1], 3);
	assert_int_equal(d.given[2], QUOTA);
	assert_int_equal(d.calls[1], 1); /* gave fewer than asked: not asked again */
	assert_true(d.max_asked <= NX_FEED_DRAIN_CHUNK);
	n = want_trades(want, 0, FH_INSTS[0], 1, QUOTA);
	n = want_trades(want, n, FH_INSTS[1], 1, 3);
	n = want_trades(want, n, FH_INSTS[2], 1, QUOTA);
	assert_drained(c, &from, &seq, want, n); /* flushed: every message sent */
	assert_int_equal(nx_feed_pub_stats(p)->msgs, 2 * QUOTA + 3);

	/* Round 2: the firehose's next QUOTA, source 1 empty, the last 5 of 2. */
	assert_int_equal(nx_feed_pub_drain(p, drain_deq, &d, DRAIN_SRCS, QUOTA, 1), QUOTA + 5);
	n = want_trades(want, 0, FH_INSTS[0], QUOTA + 1, QUOTA);
	n = want_trades(want, n, FH_INSTS[2], QUOTA + 1, 5);
	assert_drained(c, &from, &seq, want, n);

	/* A quota that is a multiple of the chunk: exactly that, no extra ask;
	 * quota 0 or no source: nothing asked, nothing sent. */
	memset(d.calls, 0, sizeof(d.calls));
	assert_int_equal(nx_feed_pub_drain(p, drain_deq, &d, 1, 2 * NX_FEED_DRAIN_CHUNK, 2),
			 2 * NX_FEED_DRAIN_CHUNK);
	assert_int_equal(d.calls[0], 2);
	n = want_trades(want, 0, FH_INSTS[0], 2 * QUOTA + 1, 2 * NX_FEED_DRAIN_CHUNK);
	assert_drained(c, &from, &seq, want, n);
	memset(d.calls, 0, sizeof(d.calls));
	assert_int_equal(nx_feed_pub_drain(p, drain_deq, &d, DRAIN_SRCS, 0, 3), 0);
	assert_int_equal(nx_feed_pub_drain(p, drain_deq, &d, 0, QUOTA, 3), 0);
	assert_int_equal(d.calls[0] + d.calls[1] + d.calls[2], 0);
	assert_int_equal(c->n, from);
	nx_feed_pub_destroy(p);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pub_config),
		cmocka_unit_test(test_pub_fill),
		cmocka_unit_test(test_pub_pkts_at_most_recs),
		cmocka_unit_test(test_pub_heartbeat),
		cmocka_unit_test(test_pub_end),
		cmocka_unit_test(test_pub_snapshot),
		cmocka_unit_test(test_pub_overflow),
		cmocka_unit_test(test_image_deeper_than_max_levels),
		cmocka_unit_test(test_session_name),
		cmocka_unit_test(test_pub_bad_recs),
		cmocka_unit_test(test_pub_retransmit),
		cmocka_unit_test(test_pub_retransmit_budget),
		cmocka_unit_test(test_pub_drain_round_robin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
