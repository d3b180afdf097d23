/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Edge cases of the NXM feed's publishing side (src/feed/pub.c, out.c,
 * levels.c, wire.c), against docs/market-data.md "Outbound: the venue's
 * feed (NXM)":
 * - a random run of the publisher checked packet by packet by an oracle:
 *   incremental numbering contiguous, heartbeats only on an idle channel
 *   and carrying the next number, every snapshot's lastSeq the last message
 *   numbered and its levels exactly the book those messages build (or a
 *   correct subset, flagged INCOMPLETE exactly when a side passed
 *   max_levels since the last BookClear), the snapshot channel's own
 *   numbering, chunks as full as max_payload allows, every instrument
 *   imaged within a cycle, answers byte-equal to what was sent;
 * - the retransmission server at the edges of the history, after the end,
 *   for numbers of the snapshot channel, over retrans_max, from many
 *   requesters at once;
 * - the outbox: a backlog of one, losses announced in order, re-images
 *   after the trades that preceded them;
 * - the wire: the example packet of the documentation, byte for byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/book.h"
#include "nx/feed.h"
#include "feed_helpers.h"

/* --- A small deterministic generator --------------------------------------------- */

static uint64_t rng_s;

static uint64_t rnd(void)
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return rng_s;
}

static unsigned rn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* --- The oracle: what the publisher was given, and what it must send ------------- */

#define OR_INST   3
#define OR_PX     48 /* prices 1 .. OR_PX */
#define OR_MSGS   (1u << 16)

struct or_side {
	nx_qty_t qty[OR_PX + 1];
	uint32_t cnt[OR_PX + 1];
};

struct or_inst {
	nx_inst_t id;
	struct or_side s[2];
	uint8_t status;
	uint8_t over;          /* a side passed max_levels, or TRUNCATED, since the last CLEAR */
};

struct oracle {
	uint32_t max_levels, payload, snap_per;
	uint64_t heartbeat_ns, snapshot_ns;
	uint64_t now;
	uint64_t numbered;     /* messages accepted: the last number given */
	uint64_t next_inc;     /* the next number the incremental channel must carry */
	uint64_t last_inc_tx;  /* time of the last incremental packet */
	uint64_t next_snap;    /* the snapshot channel's next number */
	uint8_t msg[OR_MSGS][NX_FEED_MSG_MAX]; /* message seq, as sent */
	size_t msg_len[OR_MSGS];
	struct or_inst in[OR_INST];
	/* the image being received */
	int img_on;
	nx_inst_t img_inst;
	uint16_t img_next, img_chunks;
	uint64_t img_last;
	uint8_t img_flags, img_status;
	unsigned img_n;
	struct nx_feed_level img_lv[512];
	/* every instrument imaged: when, last */
	uint64_t imaged_at[OR_INST];
	uint64_t images;
	uint64_t data_pkts, heartbeats, answers, answer_msgs;
	/* retransmission answers checked here: expected first and count */
	int want_answer;
	uint64_t ans_seq;
	unsigned ans_n;
};

static struct oracle *OR;

static int or_idx(nx_inst_t id)
{
	for (int i = 0; i < OR_INST; i++)
		if (OR->in[i].id == id)
			return i;
	return -1;
}

static unsigned or_depth(const struct or_side *s)
{
	unsigned n = 0;

	for (unsigned px = 1; px <= OR_PX; px++)
		n += s->qty[px] > 0;
	return n;
}

/* The oracle applies a record the publisher accepted. */
static void or_apply(const struct nx_feed_rec *r)
{
	struct or_inst *in = &OR->in[or_idx(r->inst)];

	switch (r->type) {
	case NX_FEED_REC_CLEAR:
		memset(in->s, 0, sizeof(in->s));
		in->over = r->n & NX_FEED_CLEAR_TRUNCATED ? 1 : 0;
		break;
	case NX_FEED_REC_STATUS:
		in->status = (uint8_t)r->n;
		break;
	case NX_FEED_REC_LEVEL:
		in->s[r->side - 1].qty[r->px] = r->qty;
		in->s[r->side - 1].cnt[r->px] = (uint32_t)r->n;
		if (or_depth(&in->s[r->side - 1]) > OR->max_levels)
			in->over = 1;
		break;
	default:
		break;
	}
}

/* A complete image received: check it against the oracle. */
static void or_check_image(void)
{
	const struct or_inst *in = &OR->in[or_idx(OR->img_inst)];
	unsigned k = 0, held[2] = { 0, 0 };

	assert_int_equal(OR->img_last, OR->numbered); /* everything numbered was sent */
	assert_int_equal(OR->img_status, in->status);
	assert_int_equal(!!(OR->img_flags & NX_FEED_SNAP_INCOMPLETE), in->over);
	/* bids best first, then asks best first; every level correct */
	for (unsigned i = 0; i < OR->img_n; i++) {
		const struct nx_feed_level *l = &OR->img_lv[i];

		assert_true(l->side == BUY || l->side == SELL);
		if (i) {
			const struct nx_feed_level *p = &OR->img_lv[i - 1];

			assert_true(p->side <= l->side);
			if (p->side == l->side)
				assert_true(l->side == BUY ? p->lv.px > l->lv.px : p->lv.px < l->lv.px);
		}
		assert_true(l->lv.px >= 1 && l->lv.px <= OR_PX);
		assert_int_equal(l->lv.qty, in->s[l->side - 1].qty[l->lv.px]);
		assert_int_equal(l->lv.count, in->s[l->side - 1].cnt[l->lv.px]);
		held[l->side - 1]++;
		k++;
	}
	for (unsigned s = 0; s < 2; s++) {
		assert_true(held[s] <= OR->max_levels);
		if (!in->over)
			assert_int_equal(held[s], or_depth(&in->s[s]));
	}
	/* chunked as full as a packet allows */
	assert_int_equal(OR->img_chunks, k ? (k + OR->snap_per - 1) / OR->snap_per : 1);
	OR->imaged_at[or_idx(OR->img_inst)] = OR->now;
	OR->images++;
}

static void or_send(void *ctx, unsigned ch, const uint8_t *pkt, size_t len, struct nx_addr to)
{
	uint64_t seq;
	unsigned count;
	size_t off = 20;

	(void)ctx;
	assert_true(len >= 20 && len <= OR->payload);
	assert_memory_equal(pkt, FH_SESS, 10);
	seq = ld_be(pkt + 10, 8);
	count = (unsigned)ld_be(pkt + 18, 2);
	if (ch == NX_FEED_INCREMENTAL) {
		assert_int_equal(to.ip, 0);
		if (count == 0) { /* a heartbeat: idle, nothing open, the next number */
			assert_int_equal(len, 20);
			assert_int_equal(seq, OR->next_inc);
			assert_int_equal(OR->numbered + 1, OR->next_inc);
			assert_true(OR->now - OR->last_inc_tx >= OR->heartbeat_ns);
			OR->heartbeats++;
		} else {
			assert_true(count != 0xffff);
			assert_int_equal(seq, OR->next_inc);
			for (unsigned k = 0; k < count; k++) {
				size_t ml = ld_be(pkt + off, 2);

				assert_true(seq + k < OR_MSGS);
				memcpy(OR->msg[seq + k], pkt + off + 2, ml);
				OR->msg_len[seq + k] = ml;
				off += 2 + ml;
			}
			assert_int_equal(off, len);
			/* a packet is sent only when no further message could fit, or
			 * flushed: checked by the caller's flush pattern */
			OR->next_inc += count;
			OR->data_pkts++;
		}
		OR->last_inc_tx = OR->now;
		return;
	}
	if (ch == NX_FEED_RETRANSMIT) {
		assert_true(OR->want_answer);
		assert_int_equal(seq, OR->ans_seq);
		assert_int_equal(count, OR->ans_n);
		for (unsigned k = 0; k < count; k++) {
			size_t ml = ld_be(pkt + off, 2);

			assert_int_equal(ml, OR->msg_len[seq + k]);
			assert_memory_equal(pkt + off + 2, OR->msg[seq + k], ml);
			off += 2 + ml;
		}
		assert_int_equal(off, len);
		OR->answers++;
		OR->answer_msgs += count;
		OR->want_answer = 0;
		return;
	}
	/* snapshot channel: its own numbering, one message a packet */
	assert_int_equal(ch, NX_FEED_SNAPSHOT);
	assert_int_equal(seq, OR->next_snap);
	assert_int_equal(count, 1);
	OR->next_snap++;
	{
		struct nx_feed_msg m;
		size_t ml = ld_be(pkt + 20, 2);

		assert_int_equal(22 + ml, len);
		assert_int_equal(nx_feed_decode(pkt + 22, ml, &m), NX_FEED_TPL_SNAPSHOT_LEVELS);
		assert_int_equal(m.version, NX_FEED_VERSION);
		if (m.snap.chunk == 0) {
			assert_false(OR->img_on); /* images are not interleaved */
			OR->img_on = 1;
			OR->img_inst = m.snap.inst;
			OR->img_chunks = m.snap.chunks;
			OR->img_last = m.snap.last_seq;
			OR->img_flags = m.snap.flags;
			OR->img_status = m.snap.status;
			OR->img_next = 0;
			OR->img_n = 0;
		}
		assert_true(OR->img_on);
		assert_int_equal(m.snap.inst, OR->img_inst);
		assert_int_equal(m.snap.chunk, OR->img_next);
		assert_int_equal(m.snap.chunks, OR->img_chunks);
		assert_int_equal(m.snap.last_seq, OR->img_last); /* one lastSeq per image */
		/* every chunk but the last as full as the packet allows */
		if (m.snap.chunk + 1 < m.snap.chunks)
			assert_int_equal(m.nlevels, OR->snap_per);
		else
			assert_true(m.nlevels <= OR->snap_per);
		for (unsigned i = 0; i < m.nlevels; i++) {
			assert_true(OR->img_n < 512);
			nx_feed_msg_level(&m, i, &OR->img_lv[OR->img_n++]);
		}
		OR->img_next++;
		if (m.snap.chunk + 1 == m.snap.chunks) {
			or_check_image();
			OR->img_on = 0;
		}
	}
}

/* A random record, mostly valid and consistent with the oracle's book. */
static struct nx_feed_rec rand_rec(void)
{
	unsigned i = rn(OR_INST), side = 1 + rn(2), pick = rn(100);
	const struct or_inst *in = &OR->in[i];
	nx_inst_t id = in->id;
	nx_px_t px = 1 + (nx_px_t)rn(OR_PX);

	if (pick < 3)
		return clr(id);
	if (pick < 4) {
		struct nx_feed_rec r = clr(id);

		r.n = NX_FEED_CLEAR_TRUNCATED;
		return r;
	}
	if (pick < 7)
		return sts(id, 1 + rn(3));
	if (pick < 17)
		return trd(id, side, px, 1 + rn(9), rnd());
	if (pick < 19)
		return lost(id, 1 + rn(4), 1 + rn(30));
	if (pick < 21) { /* refused: not numbered */
		switch (rn(4)) {
		case 0: return lvl(99, side, px, 1, 1);
		case 1: return lvl(id, 3, px, 1, 1);
		case 2: return trd(id, side, px, 0, 1);
		default: return sts(id, 0);
		}
	}
	if (pick < 45 || in->s[side - 1].qty[px] == 0) {
		/* remove a level (sometimes one not held) or set one */
		if (pick < 30)
			return lvl(id, side, px, 0, 0);
		return lvl(id, side, px, 1 + rn(500), 1 + rn(9));
	}
	return lvl(id, side, px, 1 + rn(500), 1 + rn(9));
}

static void run_random(uint64_t seed, uint32_t payload, uint32_t max_levels, unsigned steps,
		       uint32_t history, uint16_t retrans_max)
{
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	const struct nx_feed_pub_stats *st;
	uint8_t req[20];

	rng_s = seed;
	OR = calloc(1, sizeof(*OR));
	assert_non_null(OR);
	cfg.max_payload = payload;
	cfg.max_levels = max_levels;
	cfg.history = history;
	cfg.retrans_max = retrans_max;
	cfg.heartbeat_ns = 1000;
	cfg.snapshot_ns = 9000;
	OR->max_levels = max_levels;
	OR->payload = payload;
	OR->snap_per = (payload - 22 - 30) / 21;
	OR->heartbeat_ns = cfg.heartbeat_ns;
	OR->snapshot_ns = cfg.snapshot_ns;
	OR->next_inc = 1;
	OR->next_snap = 1;
	for (int i = 0; i < OR_INST; i++)
		OR->in[i].id = FH_INSTS[i];
	p = nx_feed_pub_create(&cfg, or_send, NULL);
	assert_non_null(p);
	st = nx_feed_pub_stats(p);
	for (unsigned step = 0; step < steps; step++) {
		unsigned what = rn(100);

		OR->now += rn(400);
		if (what < 70) {
			unsigned n = 1 + rn(40);

			for (unsigned k = 0; k < n && OR->numbered + 64 < OR_MSGS - 1; k++) {
				struct nx_feed_rec r = rand_rec();
				uint64_t before = st->msgs;

				nx_feed_pub_rec(p, &r, OR->now);
				if (st->msgs != before) {
					assert_int_equal(st->msgs, before + 1);
					assert_int_equal(nx_feed_rec_check(&r), 0);
					OR->numbered++;
					or_apply(&r);
				} else {
					assert_true(nx_feed_rec_check(&r) != 0 || or_idx(r.inst) < 0);
				}
			}
			if (rn(3))
				nx_feed_pub_flush(p, OR->now);
		} else if (what < 90) {
			nx_feed_pub_poll(p, OR->now);
		} else if (OR->next_inc > 1) {
			/* a request from the history's edge to past the end */
			uint64_t sent = OR->next_inc - 1;
			uint64_t slots = 1;
			uint64_t oldest, seq;
			uint16_t cnt = (uint16_t)(1 + rn(300));
			int rc;

			while (slots < history)
				slots <<= 1;
			oldest = OR->numbered + 1 > slots ? OR->numbered + 1 - slots : 1;
			seq = sent + 3 > oldest ? oldest + rnd() % (sent + 3 - oldest) : oldest;
			if (oldest > 2 && rn(4) == 0)
				seq = oldest - 1 - rn(2); /* too old */
			nx_mold_request_build(req, sizeof(req), FH_SESS, seq, cnt);
			OR->want_answer = seq <= sent && seq >= oldest;
			OR->ans_seq = seq;
			if (OR->want_answer) {
				uint64_t n = sent - seq + 1;
				size_t used = 20;
				unsigned k = 0;

				if (n > cnt)
					n = cnt;
				if (retrans_max && n > retrans_max)
					n = retrans_max;
				while (k < n && used + 2 + OR->msg_len[seq + k] <= payload)
					used += 2 + OR->msg_len[seq + k++];
				OR->ans_n = k;
			}
			rc = nx_feed_pub_request(p, req, sizeof(req), (struct nx_addr){ .ip = 1, .port = 2 },
						 OR->now);
			if (seq > sent)
				assert_int_equal(rc, NX_FEED_PUB_REQ_FUTURE);
			else if (seq < oldest)
				assert_int_equal(rc, NX_FEED_PUB_REQ_TOO_OLD);
			else
				assert_int_equal(rc, (int)OR->ans_n);
			assert_false(OR->want_answer);
		}
		/* an image within one cycle (plus the poll interval) of each instrument */
		if (OR->now > 3 * cfg.snapshot_ns && rn(4) == 0) {
			nx_feed_pub_poll(p, OR->now);
			for (int i = 0; i < OR_INST; i++)
				assert_true(OR->now - OR->imaged_at[i] <= cfg.snapshot_ns + 400);
		}
	}
	nx_feed_pub_flush(p, OR->now);
	assert_int_equal(OR->next_inc, OR->numbered + 1);
	assert_true(OR->images > 10);
	assert_true(OR->heartbeats > 0);
	assert_true(OR->answers > 10);
	nx_feed_pub_destroy(p);
	free(OR);
	OR = NULL;
}

/* Sequencing, heartbeats, snapshots (lastSeq, levels, INCOMPLETE, chunks,
 * cycle) and answers, at a packet size of many levels and of one. */
static void test_pub_random_oracle(void **state)
{
	(void)state;
	run_random(0x9e3779b97f4a7c15ull, 1400, 6, 4000, 4096, 0);
	run_random(12345, 200, 6, 4000, 100, 3);   /* 7 levels a chunk */
	run_random(777, 73, 4, 3000, 1, 0);        /* one level a chunk, one message kept */
	run_random(4242, 1400, 40, 3000, 50, 9);   /* never INCOMPLETE unless TRUNCATED */
}

/* --- Retransmission at the edges ------------------------------------------------- */

static int ask_at(struct nx_feed_pub *p, const char *sess, uint64_t seq, uint16_t n, uint32_t ip,
		  uint16_t port, uint64_t now)
{
	uint8_t req[20];

	nx_mold_request_build(req, sizeof(req), sess, seq, n);
	return nx_feed_pub_request(p, req, sizeof(req), (struct nx_addr){ .ip = ip, .port = port },
				   now);
}

static int ask1(struct nx_feed_pub *p, uint64_t seq, uint16_t n)
{
	return ask_at(p, FH_SESS, seq, n, 1, 1, 0);
}

/* The last packet captured is an answer to (ip, port) of n messages from seq,
 * each the message originally numbered so (level i: price 100 + i). */
static void check_ans(const struct cap *c, uint64_t seq, unsigned n, size_t payload)
{
	const struct cap_pkt *a = &c->p[c->n - 1];

	assert_int_equal(a->ch, NX_FEED_RETRANSMIT);
	assert_int_equal(cap_seq(a), seq);
	assert_int_equal(cap_count(a), n);
	assert_true(a->len <= payload);
	for (unsigned k = 0; k < n; k++) {
		struct nx_feed_msg m;
		size_t len;
		const uint8_t *b = cap_msg(a, k, &len);

		assert_int_equal(nx_feed_decode(b, len, &m), NX_FEED_TPL_LEVEL_UPDATE);
		assert_int_equal(m.rec.px, 100 + (nx_px_t)(seq + k));
	}
}

static struct nx_feed_pub *pub_numbered(struct cap *c, struct nx_feed_pub_config *cfg,
					unsigned n)
{
	struct nx_feed_pub *p = mk_pub(c, cfg);

	for (unsigned i = 1; i <= n; i++) {
		struct nx_feed_rec r = lvl(7, BUY, 100 + (nx_px_t)i, i, 1);

		nx_feed_pub_rec(p, &r, 0);
		nx_feed_pub_flush(p, 0);
	}
	return p;
}

/* A history of 5 keeps 8 (a power of two): after 20, 13 .. 20; the first
 * kept is answered, the one before is too old, never in part; the last
 * sent is answered alone; one past it is the future. */
static void test_pub_retrans_history_edges(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;

	(void)state;
	cfg.history = 5;
	cfg.retrans_max = 0;
	p = pub_numbered(c, &cfg, 20);
	assert_int_equal(ask1(p, 13, 3), 3);
	check_ans(c, 13, 3, cfg.max_payload);
	assert_int_equal(ask1(p, 12, 3), NX_FEED_PUB_REQ_TOO_OLD);
	assert_int_equal(ask1(p, 1, 0xffff), NX_FEED_PUB_REQ_TOO_OLD);
	assert_int_equal(ask1(p, 20, 0xffff), 1);
	check_ans(c, 20, 1, cfg.max_payload);
	assert_int_equal(ask1(p, 21, 1), NX_FEED_PUB_REQ_FUTURE);
	assert_int_equal(ask1(p, UINT64_MAX, 0xffff), NX_FEED_PUB_REQ_FUTURE);
	assert_int_equal(ask1(p, 13, 0xffff), 8);
	check_ans(c, 13, 8, cfg.max_payload);
	/* one more message: 13 leaves the history */
	nx_feed_pub_rec(p, &(struct nx_feed_rec){ .type = NX_FEED_REC_LEVEL, .side = BUY, .inst = 7,
						   .px = 121, .qty = 1, .n = 1 }, 0);
	assert_int_equal(ask1(p, 13, 1), NX_FEED_PUB_REQ_TOO_OLD);
	assert_int_equal(ask1(p, 14, 10), 7); /* 21 is still in the open packet */
	check_ans(c, 14, 7, cfg.max_payload);
	nx_feed_pub_destroy(p);

	/* a history of one: only the last message sent */
	cfg.history = 1;
	c->n = 0;
	p = pub_numbered(c, &cfg, 4);
	assert_int_equal(ask1(p, 3, 2), NX_FEED_PUB_REQ_TOO_OLD);
	assert_int_equal(ask1(p, 4, 2), 1);
	check_ans(c, 4, 1, cfg.max_payload);
	nx_feed_pub_destroy(p);
	free(c);
}

/* Over retrans_max, over what fits, over the most a packet announces; after
 * the end of session; numbers of the snapshot channel (the server knows
 * only the incremental channel's: the same session). */
static void test_pub_retrans_limits(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	size_t before;

	(void)state;
	cfg.history = 1024;
	cfg.retrans_max = 7;
	p = pub_numbered(c, &cfg, 100);
	assert_int_equal(ask1(p, 1, 100), 7);
	check_ans(c, 1, 7, cfg.max_payload);
	nx_feed_pub_destroy(p);

	/* retrans_max past what fits: what fits, (1400 - 20) / 35 = 39 */
	cfg.retrans_max = 1000;
	c->n = 0;
	p = pub_numbered(c, &cfg, 100);
	assert_int_equal(ask1(p, 1, 0xffff), 39);
	check_ans(c, 1, 39, cfg.max_payload);
	assert_int_equal(ask1(p, 62, 0xffff), 39);
	check_ans(c, 62, 39, cfg.max_payload);

	/* after the end: still answered, records refused, the end repeated */
	nx_feed_pub_end(p, 10);
	assert_int_equal(cap_seq(&c->p[c->n - 1]), 101);
	assert_int_equal(cap_count(&c->p[c->n - 1]), 0xffff);
	assert_int_equal(ask1(p, 90, 20), 11);
	check_ans(c, 90, 11, cfg.max_payload);
	assert_int_equal(ask1(p, 101, 1), NX_FEED_PUB_REQ_FUTURE);
	nx_feed_pub_destroy(p);

	/* The snapshot channel's numbers: no retransmission of it; a request
	 * carrying them is one for the incremental channel's numbers. */
	cfg = pub_cfg();
	cfg.snapshot_ns = 3;
	c->n = 0;
	p = pub_numbered(c, &cfg, 2);
	for (uint64_t t = 0; t < 30; t++)
		nx_feed_pub_poll(p, t);
	assert_true(nx_feed_pub_stats(p)->pkts[NX_FEED_SNAPSHOT] >= 10);
	before = c->n;
	assert_int_equal(ask1(p, 10, 1), NX_FEED_PUB_REQ_FUTURE); /* a snapshot number */
	assert_int_equal(c->n, before);
	assert_int_equal(ask1(p, 2, 1), 1); /* the incremental message 2, on its channel */
	check_ans(c, 2, 1, cfg.max_payload);
	nx_feed_pub_destroy(p);
	free(c);
}

/* Many requesters in one loop: no more answers than the total budget,
 * whatever the number of addresses; refused requests send nothing and
 * spend nothing. */
static void test_pub_retrans_many_requesters(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	int answered = 0;

	(void)state;
	cfg.retrans_rate = 2;
	cfg.retrans_total_rate = 50;
	p = pub_numbered(c, &cfg, 10);
	c->n = 0;
	for (uint32_t ip = 1; ip <= 1000; ip++)
		for (int k = 0; k < 3; k++)
			answered += ask_at(p, FH_SESS, 1, 1, ip, 5000, 1000) == 1;
	assert_int_equal(answered, 50);
	assert_int_equal(c->n, 50);
	/* a wrong session, a bad range: refused before any budget */
	assert_int_equal(ask_at(p, FH_OTHER, 1, 1, 7, 7, 1000), NX_FEED_PUB_REQ_SESSION);
	assert_int_equal(ask_at(p, FH_SESS, 0, 1, 7, 7, 1000), NX_FEED_PUB_REQ_RANGE);
	assert_int_equal(c->n, 50);
	/* one second later a full burst again */
	answered = 0;
	for (uint32_t ip = 1; ip <= 1000; ip++)
		answered += ask_at(p, FH_SESS, 1, 1, ip, 5000, 1000000000ull + 1000) == 1;
	assert_int_equal(answered, 50);
	nx_feed_pub_destroy(p);
	free(c);
}

/* --- Sequencing and heartbeats ------------------------------------------------------ */

/* A heartbeat only when nothing went out for heartbeat_ns; the open packet
 * goes instead of a heartbeat; the end replaces heartbeats. Snapshot and
 * answer packets do not make the incremental channel busy. */
static void test_pub_heartbeat_idle_only(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_rec r = lvl(7, BUY, 100, 1, 1);

	(void)state;
	cfg.heartbeat_ns = 100;
	cfg.snapshot_ns = 10;
	p = mk_pub(c, &cfg);
	nx_feed_pub_rec(p, &r, 50);
	nx_feed_pub_flush(p, 50);
	c->n = 0;
	for (uint64_t t = 51; t < 150; t++)
		nx_feed_pub_poll(p, t); /* snapshots only */
	for (size_t i = 0; i < c->n; i++)
		assert_int_equal(c->p[i].ch, NX_FEED_SNAPSHOT);
	c->n = 0;
	nx_feed_pub_poll(p, 150); /* idle for 100: a heartbeat, first */
	assert_int_equal(c->p[0].ch, NX_FEED_INCREMENTAL);
	assert_int_equal(cap_count(&c->p[0]), 0);
	assert_int_equal(cap_seq(&c->p[0]), 2);
	assert_int_equal(c->p[0].len, 20);
	/* a record open at the idle time goes instead of a heartbeat */
	r.qty = 2;
	nx_feed_pub_rec(p, &r, 200);
	c->n = 0;
	nx_feed_pub_poll(p, 250);
	assert_int_equal(c->p[0].ch, NX_FEED_INCREMENTAL);
	assert_int_equal(cap_count(&c->p[0]), 1);
	assert_int_equal(cap_seq(&c->p[0]), 2);
	assert_int_equal(nx_feed_pub_stats(p)->heartbeats, 1);
	c->n = 0;
	nx_feed_pub_poll(p, 349);
	for (size_t i = 0; i < c->n; i++)
		assert_int_equal(c->p[i].ch, NX_FEED_SNAPSHOT);
	c->n = 0;
	nx_feed_pub_poll(p, 350);
	assert_int_equal(c->p[0].ch, NX_FEED_INCREMENTAL);
	assert_int_equal(cap_count(&c->p[0]), 0);
	assert_int_equal(cap_seq(&c->p[0]), 3);
	nx_feed_pub_end(p, 360);
	c->n = 0;
	nx_feed_pub_poll(p, 460);
	assert_int_equal(c->n, 1); /* no snapshot after the end */
	assert_int_equal(cap_count(&c->p[0]), 0xffff);
	assert_int_equal(cap_seq(&c->p[0]), 3);
	nx_feed_pub_destroy(p);
	free(c);
}

/* --- Snapshots -------------------------------------------------------------------- */

/* An image of 2 x max_levels levels at 73 bytes a packet: one level a
 * chunk, the snapshot channel numbered on from where it was; at 1400
 * bytes 64 levels a chunk (the documentation's figure). */
static void test_pub_snapshot_chunks_exact(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	const nx_inst_t one[1] = { 7 };

	(void)state;
	for (unsigned pass = 0; pass < 2; pass++) {
		unsigned per = pass ? 64 : 1, lv = pass ? 64 : 5, chunks = (2 * lv + per - 1) / per;

		cfg.instruments = one;
		cfg.ninstruments = 1;
		cfg.max_payload = pass ? 1400 : 73;
		cfg.max_levels = lv;
		cfg.snapshot_ns = 100;
		c->n = 0;
		p = mk_pub(c, &cfg);
		for (unsigned i = 0; i < lv; i++) {
			struct nx_feed_rec b = lvl(7, BUY, 100 - (nx_px_t)i, 1 + i, 1);
			struct nx_feed_rec a = lvl(7, SELL, 101 + (nx_px_t)i, 1 + i, 1);

			nx_feed_pub_rec(p, &b, 0);
			nx_feed_pub_rec(p, &a, 0);
		}
		nx_feed_pub_poll(p, 0); /* flushes the open packet, then the image */
		nx_feed_pub_poll(p, 100);
		{
			size_t first = 0, snaps = 0;
			uint64_t want_seq = 1;

			while (c->p[first].ch != NX_FEED_SNAPSHOT)
				first++;
			for (size_t i = first; i < c->n; i++) {
				struct nx_feed_msg m;
				size_t len;
				const uint8_t *b;

				if (c->p[i].ch != NX_FEED_SNAPSHOT)
					continue;
				b = cap_msg(&c->p[i], 0, &len);
				assert_int_equal(cap_seq(&c->p[i]), want_seq++);
				assert_true(c->p[i].len <= cfg.max_payload);
				assert_int_equal(nx_feed_decode(b, len, &m), NX_FEED_TPL_SNAPSHOT_LEVELS);
				assert_int_equal(m.snap.chunks, chunks);
				assert_int_equal(m.snap.chunk, snaps % chunks);
				assert_int_equal(m.snap.last_seq, 2 * lv);
				assert_int_equal(m.snap.flags, 0);
				assert_int_equal(m.nlevels, per);
				snaps++;
			}
			assert_int_equal(snaps, 2 * chunks); /* two images, numbered on */
		}
		nx_feed_pub_destroy(p);
	}
	free(c);
}

/* INCOMPLETE: one level past max_levels flags it, a BookClear unflags it,
 * a TRUNCATED BookClear flags it; levels the image lost never come back
 * into it (a level vacated at the top is not refilled). */
static void test_pub_snapshot_incomplete_edges(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	const nx_inst_t one[1] = { 7 };
	struct nx_feed_msg m;
	size_t len;
	const uint8_t *sb;

	(void)state;
	cfg.instruments = one;
	cfg.ninstruments = 1;
	cfg.max_levels = 3;
	cfg.snapshot_ns = 10;
	p = mk_pub(c, &cfg);
#define SNAP_NOW(t)                                                                      \
	do {                                                                             \
		nx_feed_pub_poll(p, t);                                                  \
		assert_int_equal(c->p[c->n - 1].ch, NX_FEED_SNAPSHOT);                   \
		sb = cap_msg(&c->p[c->n - 1], 0, &len);                                  \
		assert_int_equal(nx_feed_decode(sb, len, &m), NX_FEED_TPL_SNAPSHOT_LEVELS); \
	} while (0)
	for (unsigned i = 0; i < 3; i++) {
		struct nx_feed_rec r = lvl(7, BUY, 100 - (nx_px_t)i, 1, 1);

		nx_feed_pub_rec(p, &r, 0);
	}
	SNAP_NOW(0);
	assert_int_equal(m.snap.flags, 0);
	assert_int_equal(m.nlevels, 3);
	/* a fourth, worse: dropped */
	nx_feed_pub_rec(p, &(struct nx_feed_rec){ .type = 1, .side = BUY, .inst = 7, .px = 90,
						   .qty = 1, .n = 1 }, 0);
	SNAP_NOW(10);
	assert_int_equal(m.snap.flags, NX_FEED_SNAP_INCOMPLETE);
	assert_int_equal(m.snap.last_seq, 4);
	/* its removal: a level the image does not hold */
	nx_feed_pub_rec(p, &(struct nx_feed_rec){ .type = 1, .side = BUY, .inst = 7, .px = 90 }, 0);
	assert_int_equal(nx_feed_pub_stats(p)->level_unknown, 1);
	SNAP_NOW(20);
	assert_int_equal(m.snap.flags, NX_FEED_SNAP_INCOMPLETE); /* until a BookClear */
	nx_feed_pub_rec(p, &(struct nx_feed_rec){ .type = NX_FEED_REC_CLEAR, .inst = 7 }, 0);
	SNAP_NOW(30);
	assert_int_equal(m.snap.flags, 0);
	assert_int_equal(m.nlevels, 0);
	assert_int_equal(m.snap.last_seq, 6);
	nx_feed_pub_rec(p, &(struct nx_feed_rec){ .type = NX_FEED_REC_CLEAR, .inst = 7,
						   .n = NX_FEED_CLEAR_TRUNCATED }, 0);
	SNAP_NOW(40);
	assert_int_equal(m.snap.flags, NX_FEED_SNAP_INCOMPLETE);
#undef SNAP_NOW
	nx_feed_pub_destroy(p);
	free(c);
}

/* Polled late by less than a cycle: every instrument due is imaged at
 * once, in order; by more: the cycle restarts at now, in order. */
static void test_pub_snapshot_late_poll(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	nx_inst_t seen[16];
	unsigned ns = 0;

	(void)state;
	cfg.snapshot_ns = 300; /* 3 instruments: one every 100 */
	p = mk_pub(c, &cfg);
	nx_feed_pub_poll(p, 0);   /* 7 */
	nx_feed_pub_poll(p, 250); /* 8 (100), 9 (200) */
	nx_feed_pub_poll(p, 299);
	nx_feed_pub_poll(p, 300); /* 7 */
	for (size_t i = 0; i < c->n; i++) {
		struct nx_feed_msg m;
		size_t len;
		const uint8_t *b;

		if (c->p[i].ch != NX_FEED_SNAPSHOT)
			continue;
		b = cap_msg(&c->p[i], 0, &len);
		assert_int_equal(nx_feed_decode(b, len, &m), NX_FEED_TPL_SNAPSHOT_LEVELS);
		seen[ns++] = m.snap.inst;
	}
	assert_int_equal(ns, 4);
	assert_int_equal(seen[0], 7);
	assert_int_equal(seen[1], 8);
	assert_int_equal(seen[2], 9);
	assert_int_equal(seen[3], 7);
	nx_feed_pub_destroy(p);
	free(c);
}

/* --- The wire: the documentation's example packet -------------------------------- */

static void test_wire_doc_example(void **state)
{
	static const uint8_t want[97] = {
		0x4e, 0x58, 0x4d, 0x32, 0x30, 0x32, 0x36, 0x30, 0x30, 0x31,
		0, 0, 0, 0, 0, 0, 0, 1,
		0, 2,
		0, 0x21,
		0x19, 0, 1, 0, 0x4d, 0x4e, 4, 0,
		7, 0, 0, 0, 3, 0, 0, 0,
		0xe8, 3, 0, 0, 0, 0, 0, 0, 0x19, 0, 0, 0, 0, 0, 0, 0,
		1,
		0, 0x28,
		0x20, 0, 2, 0, 0x4d, 0x4e, 4, 0,
		7, 0, 0, 0, 2, 0, 0, 0,
		0x2a, 0, 0, 0, 0, 0, 0, 0,
		0xe8, 3, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0,
	};
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &cfg);
	const struct nx_feed_rec r[2] = { lvl(7, BUY, 1000, 25, 3), trd(7, SELL, 1000, 5, 42) };

	(void)state;
	assert_memory_equal(FH_SESS, "NXM2026001", 10);
	pub_recs(p, r, 2, 0, 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->p[0].len, 97);
	assert_memory_equal(c->p[0].b, want, 97);
	/* the schema id of docs/nxm.xml (decimal) is the header's */
	assert_int_equal(NX_FEED_SCHEMA_ID, 20045);
	nx_feed_pub_destroy(p);
	free(c);
}

/* --- The outbox --------------------------------------------------------------------- */

struct ring {
	uint32_t room;           /* records it takes from now */
	size_t n;
	struct nx_feed_rec log[4096];
};

static unsigned ring_enq(void *ctx, const struct nx_feed_rec *r, unsigned n, int all)
{
	struct ring *g = ctx;

	if (n > g->room) {
		if (all)
			return 0;
		n = g->room;
	}
	for (unsigned i = 0; i < n; i++) {
		assert_true(g->n < 4096);
		g->log[g->n++] = r[i];
	}
	g->room -= n;
	return n;
}

static void no_ev(void *ctx, const struct nx_event *ev)
{
	(void)ctx;
	(void)ev;
}

static struct nx_book *out_book(void)
{
	const struct nx_book_config bc = { .max_instruments = 4, .max_accounts = 2,
					   .max_orders = 64, .ladder_ticks = 256 };
	struct nx_book *b = nx_book_create(&bc, no_ev, NULL);

	assert_non_null(b);
	for (unsigned i = 0; i < 3; i++) {
		struct nx_instrument in = { .id = FH_INSTS[i], .band_ticks = 50 };

		snprintf(in.symbol, sizeof(in.symbol), "E%u", i);
		nx_instrument_defaults(&in);
		assert_int_equal(nx_book_add_instrument(b, &in), 0);
	}
	assert_int_equal(nx_book_add_account(b, &(struct nx_account){ .id = 1 }), 0);
	return b;
}

static struct nx_feed_out *out_open(struct ring *g, uint32_t backlog, const struct nx_book *b)
{
	const struct nx_feed_out_config cfg = { .instruments = FH_INSTS, .ninstruments = 3,
						.max_levels = 4, .backlog = backlog };
	struct nx_feed_out *o = nx_feed_out_create(&cfg, ring_enq, g);

	assert_non_null(o);
	g->room = 1000;
	nx_feed_out_poll(o, b);
	assert_int_equal(nx_feed_out_stale(o), 0);
	g->n = 0;
	return o;
}

/* A backlog of one: the first trade waits in it, every later one is lost;
 * once the ring has room the waiting trade goes first, then one
 * announcement per instrument in the order their first losses happened,
 * each with its count and quantity; nothing is silent. */
static void test_out_backlog_of_one(void **state)
{
	struct ring *g = calloc(1, sizeof(*g));
	struct nx_book *b = out_book();
	struct nx_feed_out *o;
	const struct nx_feed_out_stats *st;
	struct nx_feed_rec r;

	(void)state;
	assert_non_null(g);
	o = out_open(g, 1, b);
	st = nx_feed_out_stats(o);
	g->room = 0;
	r = trd(7, BUY, 100, 1, 1);  nx_feed_out_rec(o, &r); /* backlog */
	r = trd(8, BUY, 100, 2, 2);  nx_feed_out_rec(o, &r); /* lost: 8 first */
	r = trd(7, BUY, 100, 3, 3);  nx_feed_out_rec(o, &r); /* lost */
	r = trd(8, BUY, 100, 4, 4);  nx_feed_out_rec(o, &r); /* lost */
	nx_feed_out_flush(o);
	r = trd(9, SELL, 100, 5, 5); nx_feed_out_rec(o, &r); /* lost */
	nx_feed_out_poll(o, b);
	assert_int_equal(g->n, 0);
	assert_int_equal(st->trades_lost, 4);
	assert_false(nx_feed_out_idle(o));
	g->room = 100;
	r = trd(8, SELL, 100, 6, 6); nx_feed_out_rec(o, &r); /* after the hole */
	nx_feed_out_poll(o, b);
	{
		const struct nx_feed_rec want[5] = { trd(7, BUY, 100, 1, 1), lost(8, 2, 6),
						     lost(7, 1, 3), lost(9, 1, 5),
						     trd(8, SELL, 100, 6, 6) };

		assert_int_equal(g->n, 5);
		for (unsigned i = 0; i < 5; i++)
			assert_rec_eq(&g->log[i], &want[i]);
	}
	assert_int_equal(st->losses_announced, 3);
	assert_true(nx_feed_out_idle(o));
	nx_feed_out_destroy(o);
	nx_book_destroy(b);
	free(g);
}

/* A re-image comes after every trade made before it (of its instrument and
 * of others), and carries the book as it is at the re-image: the changes
 * dropped meanwhile are in it, none of them is sent on its own. */
static void test_out_reimage_after_earlier_trades(void **state)
{
	struct ring *g = calloc(1, sizeof(*g));
	struct nx_book *b = out_book();
	struct nx_feed_out *o;
	struct nx_feed_rec r;

	(void)state;
	assert_non_null(g);
	o = out_open(g, 16, b);
	g->room = 1;
	r = lvl(7, BUY, 100, 5, 1);  nx_feed_out_rec(o, &r); /* taken */
	r = trd(8, BUY, 100, 1, 1);  nx_feed_out_rec(o, &r); /* backlog */
	r = lvl(7, BUY, 101, 5, 1);  nx_feed_out_rec(o, &r); /* dropped: 7 stale */
	r = trd(7, SELL, 100, 2, 2); nx_feed_out_rec(o, &r); /* backlog */
	nx_feed_out_poll(o, b);
	assert_int_equal(nx_feed_out_stale(o), 1);
	assert_int_equal(nx_feed_out_backlog(o), 2);
	r = lvl(7, BUY, 102, 5, 1);  nx_feed_out_rec(o, &r); /* stale: dropped at the tap */
	r = trd(9, BUY, 100, 3, 3);  nx_feed_out_rec(o, &r);
	nx_book_new_order(b, &(struct nx_new_order){ .acct = 1, .inst = 7, .cl = 1, .qty = 5,
						     .px = 102, .side = BUY, .type = NX_ORD_LIMIT,
						     .tif = NX_TIF_GTC });
	g->room = 100;
	nx_feed_out_poll(o, b);
	assert_int_equal(nx_feed_out_stale(o), 0);
	assert_true(g->n >= 7);
	assert_rec_eq(&g->log[0], &(struct nx_feed_rec){ .type = NX_FEED_REC_LEVEL, .side = BUY,
							 .inst = 7, .px = 100, .qty = 5, .n = 1 });
	{
		const struct nx_feed_rec t8 = trd(8, BUY, 100, 1, 1), t7 = trd(7, SELL, 100, 2, 2),
					 t9 = trd(9, BUY, 100, 3, 3);

		assert_rec_eq(&g->log[1], &t8);
		assert_rec_eq(&g->log[2], &t7);
		assert_rec_eq(&g->log[3], &t9);
	}
	assert_int_equal(g->log[4].type, NX_FEED_REC_CLEAR);
	assert_int_equal(g->log[4].inst, 7);
	assert_int_equal(g->log[4].n, 0);
	assert_int_equal(g->log[5].type, NX_FEED_REC_STATUS);
	assert_int_equal(g->log[6].type, NX_FEED_REC_LEVEL);
	assert_int_equal(g->log[6].px, 102);
	assert_int_equal(g->n, 7);
	nx_feed_out_destroy(o);
	nx_book_destroy(b);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pub_random_oracle),
		cmocka_unit_test(test_pub_retrans_history_edges),
		cmocka_unit_test(test_pub_retrans_limits),
		cmocka_unit_test(test_pub_retrans_many_requesters),
		cmocka_unit_test(test_pub_heartbeat_idle_only),
		cmocka_unit_test(test_pub_snapshot_chunks_exact),
		cmocka_unit_test(test_pub_snapshot_incomplete_edges),
		cmocka_unit_test(test_pub_snapshot_late_poll),
		cmocka_unit_test(test_wire_doc_example),
		cmocka_unit_test(test_out_backlog_of_one),
		cmocka_unit_test(test_out_reimage_after_earlier_trades),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
