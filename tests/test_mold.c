/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the MoldUDP64 receiver and the block framings
 * (include/nx/moldudp.h, src/itch/mold.c). Packets are built here byte by
 * byte from the specification (10-byte session, be64 sequence, be16 count,
 * be16-prefixed blocks), not with the library's writer, except where the
 * writer itself is tested against them.
 * - in-order delivery, the blocks and their numbers;
 * - duplicates (whole packets) and overlaps (delivered from the first new
 *   block); heartbeats; end of session and what is accepted after it;
 * - gaps in skip mode (counted lost, delivered) and hold mode (AHEAD until
 *   the retransmission arrives, then re-fed packets delivered), found by
 *   data, heartbeats and end packets; each gap reported once; the missing
 *   range and the request packet, clamped;
 * - the hold of packets past a gap: kept in order, one per number (the one
 *   with the most messages), bounded; the oldest put time, by hand and
 *   against a brute-force model;
 *   drained as far as the receiver can take; given up to the first held,
 *   and what an end of session left undeliverable let go;
 * - joining mid-stream (latch) versus from sequence 1;
 * - every drop reason, and that a drop changes no state;
 * - the block walk (BinaryFILE) on whole, empty and truncated input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "nx/moldudp.h"

static const char SESS[10] = { 'S', 'E', 'S', 'S', '0', '0', '0', '0', '0', '1' };
static const char OTHER[10] = { 'S', 'E', 'S', 'S', '0', '0', '0', '0', '0', '2' };

struct pk {
	uint8_t b[2048];
	size_t n;
};

static void put_be(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

/* A packet of count blocks; block i is 3 + (seq + i) % 5 bytes, each byte
 * the low byte of its sequence number, so a block says which one it is. */
static void mk(struct pk *p, const char *sess, uint64_t seq, unsigned count)
{
	memcpy(p->b, sess, 10);
	put_be(p->b + 10, seq, 8);
	put_be(p->b + 18, count, 2);
	p->n = 20;
	if (count == 0 || count == 0xffff)
		return;
	for (unsigned i = 0; i < count; i++) {
		unsigned len = 3 + (unsigned)((seq + i) % 5);
		put_be(p->b + p->n, len, 2);
		memset(p->b + p->n + 2, (int)(uint8_t)(seq + i), len);
		p->n += 2 + len;
	}
}

/* The delivered blocks are exactly seq .. seq + count - 1. */
static void assert_blocks(const struct nx_mold_pkt *r)
{
	struct nx_mold_blocks it;
	const uint8_t *m = NULL;
	size_t len = 0;
	uint64_t s = r->seq;

	nx_mold_blocks_init(&it, r->blocks, (size_t)(r->end - r->blocks));
	for (uint32_t i = 0; i < r->count; i++, s++) {
		assert_int_equal(nx_mold_blocks_next(&it, &m, &len), 1);
		assert_int_equal(len, 3 + s % 5);
		assert_int_equal(m[0], (uint8_t)s);
		assert_int_equal(m[len - 1], (uint8_t)s);
	}
	assert_int_equal(nx_mold_blocks_next(&it, &m, &len), 0);
}

static int feed(struct nx_mold_rx *rx, const struct pk *p, struct nx_mold_pkt *r)
{
	int k = nx_mold_rx_packet(rx, p->b, p->n, r);
	if (k == NX_MOLD_DATA)
		assert_blocks(r);
	return k;
}

static void rx_from(struct nx_mold_rx *rx, uint64_t next, int hold)
{
	struct nx_mold_rx_config c = { .next_seq = next, .hold_on_gap = (uint8_t)hold };
	nx_mold_rx_init(rx, &c);
}

static void test_in_order(void **state)
{
	struct nx_mold_rx rx;
	struct nx_mold_pkt r;
	struct pk p;
	uint64_t f, n;
	(void)state;
	rx_from(&rx, 1, 0);
	mk(&p, SESS, 1, 3);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	assert_int_equal(r.seq, 1);
	assert_int_equal(r.count, 3);
	assert_int_equal(r.skipped, 0);
	assert_int_equal(r.gap_count, 0);
	assert_int_equal(r.pkt_seq, 1);
	assert_int_equal(r.pkt_count, 3);
	mk(&p, SESS, 4, 1);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	assert_int_equal(r.seq, 4);
	assert_int_equal(rx.next, 5);
	assert_int_equal(rx.st.msgs, 4);
	assert_int_equal(rx.st.data_pkts, 2);
	assert_int_equal(nx_mold_rx_missing(&rx, &f, &n), 0);
	assert_memory_equal(rx.session, SESS, 10);
}

static void test_duplicates_and_overlap(void **state)
{
	struct nx_mold_rx rx;
	struct nx_mold_pkt r;
	struct pk p;
	(void)state;
	rx_from(&rx, 1, 0);
	mk(&p, SESS, 1, 5);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	/* the same packet again: nothing new */
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DUPLICATE);
	assert_int_equal(r.count, 0);
	mk(&p, SESS, 2, 2);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DUPLICATE);
	assert_int_equal(rx.st.dup_pkts, 2);
	assert_int_equal(rx.st.dup_msgs, 7);
	/* 4..8 overlaps 1..5: deliver 6..8 */
	mk(&p, SESS, 4, 5);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	assert_int_equal(r.seq, 6);
	assert_int_equal(r.count, 3);
	assert_int_equal(r.skipped, 2);
	assert_int_equal(rx.st.dup_msgs, 9);
	assert_int_equal(rx.st.msgs, 8);
	assert_int_equal(rx.next, 9);
}

static void test_heartbeat(void **state)
{
	struct nx_mold_rx rx;
	struct nx_mold_pkt r;
	struct pk p;
	uint64_t f, n;
	(void)state;
	rx_from(&rx, 1, 0);
	mk(&p, SESS, 1, 2);
	feed(&rx, &p, &r);
	mk(&p, SESS, 3, 0); /* heartbeat: next to send is 3, as expected */
	assert_int_equal(p.n, 20);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_HEARTBEAT);
	assert_int_equal(r.count, 0);
	assert_int_equal(r.gap_count, 0);
	assert_int_equal(rx.st.heartbeats, 1);
	/* a heartbeat saying 6: messages 3..5 were sent and lost */
	mk(&p, SESS, 6, 0);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_HEARTBEAT);
	assert_int_equal(r.gap_first, 3);
	assert_int_equal(r.gap_count, 3);
	assert_int_equal(rx.st.lost_msgs, 3); /* skip mode */
	assert_int_equal(rx.next, 6);
	assert_int_equal(nx_mold_rx_missing(&rx, &f, &n), 0);
	/* the same heartbeat again reports nothing new */
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_HEARTBEAT);
	assert_int_equal(r.gap_count, 0);
	assert_int_equal(rx.st.gaps, 1);
}

static void test_gap_skip(void **state)
{
	struct nx_mold_rx rx;
	struct nx_mold_pkt r;
	struct pk p;
	(void)state;
	rx_from(&rx, 1, 0);
	mk(&p, SESS, 1, 2);
	feed(&rx, &p, &r);
	mk(&p, SESS, 10, 2); /* 3..9 lost */
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	assert_int_equal(r.gap_first, 3);
	assert_int_equal(r.gap_count, 7);
	assert_int_equal(r.seq, 10);
	assert_int_equal(r.count, 2);
	assert_int_equal(rx.st.gaps, 1);
	assert_int_equal(rx.st.gap_msgs, 7);
	assert_int_equal(rx.st.lost_msgs, 7);
	assert_int_equal(rx.next, 12);
	/* the retransmission of 3..9 comes late: duplicates now */
	mk(&p, SESS, 3, 7);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DUPLICATE);
}

static void test_gap_hold_and_recover(void **state)
{
	struct nx_mold_rx rx;
	struct nx_mold_pkt r;
	struct pk p, ahead1, ahead2;
	uint64_t f, n;
	uint8_t req[32];
	(void)state;
	rx_from(&rx, 1, 1);
	mk(&p, SESS, 1, 2);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	mk(&ahead1, SESS, 5, 2); /* 3, 4 missing */
	assert_int_equal(feed(&rx, &ahead1, &r), NX_MOLD_AHEAD);
	assert_int_equal(r.gap_first, 3);
	assert_int_equal(r.gap_count, 2);
	assert_int_equal(r.count, 0);
	assert_int_equal(rx.next, 3);
	/* missing: 3..6 (the held packet's blocks were not delivered either) */
	assert_int_equal(nx_mold_rx_missing(&rx, &f, &n), 1);
	assert_int_equal(f, 3);
	assert_int_equal(n, 4);
	/* the next live packet is ahead too, adjacent: no new gap */
	mk(&ahead2, SESS, 7, 3);
	assert_int_equal(feed(&rx, &ahead2, &r), NX_MOLD_AHEAD);
	assert_int_equal(r.gap_count, 0);
	assert_int_equal(rx.st.gaps, 1);
	assert_int_equal(rx.st.ahead_pkts, 2);
	/* a request for what is missing, clamped to 3 messages */
	assert_int_equal(nx_mold_rx_request(&rx, req, sizeof(req), 3), 20);
	assert_memory_equal(req, SESS, 10);
	assert_true(nx_itch_be64(req + 10) == 3);
	assert_int_equal(nx_itch_be16(req + 18), 3);
	assert_int_equal(nx_mold_rx_request(&rx, req, sizeof(req), 0), 20);
	assert_int_equal(nx_itch_be16(req + 18), 7); /* 3..9 */
	assert_int_equal(nx_mold_rx_request(&rx, req, 19, 0), 0);
	/* the retransmission of 3..4 arrives: delivered */
	mk(&p, SESS, 3, 2);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	assert_int_equal(r.seq, 3);
	assert_int_equal(r.count, 2);
	/* the caller re-feeds what it held: delivered in order */
	assert_int_equal(feed(&rx, &ahead1, &r), NX_MOLD_DATA);
	assert_int_equal(r.seq, 5);
	assert_int_equal(feed(&rx, &ahead2, &r), NX_MOLD_DATA);
	assert_int_equal(r.seq, 7);
	assert_int_equal(rx.next, 10);
	assert_int_equal(nx_mold_rx_missing(&rx, &f, &n), 0);
	assert_int_equal(nx_mold_rx_request(&rx, req, sizeof(req), 0), 0);
	assert_int_equal(rx.st.lost_msgs, 0);
	assert_int_equal(rx.st.msgs, 9);
}

/* The server never answers: the caller gives the gap up; the held range is
 * lost, live delivery resumes after it, late retransmissions are duplicates. */
static void test_gap_hold_give_up(void **state)
{
	struct nx_mold_rx rx;
	struct nx_mold_pkt r;
	struct pk p, ahead;
	uint64_t f, n;
	(void)state;
	rx_from(&rx, 1, 1);
	assert_int_equal(nx_mold_rx_skip(&rx), 0); /* nothing missing */
	mk(&p, SESS, 1, 2);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	mk(&ahead, SESS, 5, 1); /* 3, 4 missing; 5 held back */
	assert_int_equal(feed(&rx, &ahead, &r), NX_MOLD_AHEAD);
	assert_int_equal(nx_mold_rx_skip(&rx), 3);
	assert_int_equal(rx.st.lost_msgs, 3);
	assert_int_equal(nx_mold_rx_missing(&rx, &f, &n), 0);
	mk(&p, SESS, 6, 2);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	assert_int_equal(r.seq, 6);
	mk(&p, SESS, 3, 2);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DUPLICATE);
	assert_int_equal(rx.next, 8);
}

/* A caller that held the packet past a gap gives up only the hole before
 * it (nx_mold_rx_skip_to) and feeds the packet again: 3 and 4 lost, 5 and
 * 6 delivered. Skipping to at or before the gap's start gives up nothing,
 * and past everything known is nx_mold_rx_skip. */
static void test_gap_hold_skip_to(void **state)
{
	struct nx_mold_rx rx;
	struct nx_mold_pkt r;
	struct pk p, ahead;
	uint64_t f, n;
	(void)state;
	rx_from(&rx, 1, 1);
	mk(&p, SESS, 1, 2);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	mk(&ahead, SESS, 5, 2); /* 3, 4 missing; 5 and 6 held by the caller */
	assert_int_equal(feed(&rx, &ahead, &r), NX_MOLD_AHEAD);
	assert_int_equal(nx_mold_rx_skip_to(&rx, 3), 0);
	assert_int_equal(nx_mold_rx_skip_to(&rx, 5), 2);
	assert_int_equal(rx.st.lost_msgs, 2);
	assert_int_equal(nx_mold_rx_missing(&rx, &f, &n), 1); /* the held ones, until fed */
	assert_int_equal(f, 5);
	assert_int_equal(n, 2);
	assert_int_equal(feed(&rx, &ahead, &r), NX_MOLD_DATA);
	assert_int_equal(r.seq, 5);
	assert_int_equal(r.count, 2);
	assert_int_equal(rx.next, 7);
	mk(&ahead, SESS, 9, 1); /* 7, 8 missing */
	assert_int_equal(feed(&rx, &ahead, &r), NX_MOLD_AHEAD);
	assert_int_equal(nx_mold_rx_skip_to(&rx, 100), 3); /* all known: 7 to 9, as skip */
	assert_int_equal(rx.next, 10);
	assert_int_equal(nx_mold_rx_missing(&rx, &f, &n), 0);
}

static void test_hold_heartbeat_reveals_tail_loss(void **state)
{
	struct nx_mold_rx rx;
	struct nx_mold_pkt r;
	struct pk p;
	uint64_t f, n;
	(void)state;
	rx_from(&rx, 1, 1);
	mk(&p, SESS, 1, 1);
	feed(&rx, &p, &r);
	mk(&p, SESS, 4, 0);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_HEARTBEAT);
	assert_int_equal(r.gap_first, 2);
	assert_int_equal(r.gap_count, 2);
	assert_int_equal(rx.next, 2); /* held */
	assert_int_equal(nx_mold_rx_missing(&rx, &f, &n), 1);
	assert_int_equal(f, 2);
	assert_int_equal(n, 2);
}

static void test_end_of_session(void **state)
{
	struct nx_mold_rx rx;
	struct nx_mold_pkt r;
	struct pk p;
	(void)state;
	rx_from(&rx, 1, 1);
	mk(&p, SESS, 1, 3);
	feed(&rx, &p, &r);
	mk(&p, SESS, 6, 0xffff); /* end: 4 and 5 were sent, we lost them */
	assert_int_equal(p.n, 20);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_END);
	assert_int_equal(r.gap_first, 4);
	assert_int_equal(r.gap_count, 2);
	assert_int_equal(rx.ended, 1);
	assert_int_equal(rx.end_seq, 6);
	/* a repeated end packet is counted, nothing else */
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_END);
	assert_int_equal(rx.st.ends, 2);
	/* retransmission of 4..5 after the end: accepted */
	mk(&p, SESS, 4, 2);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	assert_int_equal(r.count, 2);
	/* anything past the end: dropped, state unchanged */
	mk(&p, SESS, 6, 1);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DROP_AFTER_END);
	assert_int_equal(rx.st.drops[-NX_MOLD_DROP_AFTER_END], 1);
	assert_int_equal(rx.next, 6);
	/* Regression (session 13): a heartbeat or a second end numbered past
	 * the end announced a gap whose answers were then dropped as past the
	 * end, so a hold-mode receiver asked for them until it gave up. */
	uint64_t f, n;
	mk(&p, SESS, 9, 0);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DROP_AFTER_END);
	mk(&p, SESS, 9, 0xffff);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DROP_AFTER_END);
	assert_int_equal(rx.st.drops[-NX_MOLD_DROP_AFTER_END], 3);
	assert_int_equal(rx.high, 6);
	assert_int_equal(rx.end_seq, 6);
	assert_int_equal(nx_mold_rx_missing(&rx, &f, &n), 0);
	/* numbered at the end: still the end, counted */
	mk(&p, SESS, 6, 0);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_HEARTBEAT);
	/* Hold mode, a packet seen past where the end then falls: what is
	 * missing stops at the end (the packet can never be delivered). */
	rx_from(&rx, 1, 1);
	mk(&p, SESS, 1, 3);
	feed(&rx, &p, &r);
	mk(&p, SESS, 8, 2);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_AHEAD);
	assert_int_equal(rx.high, 10);
	mk(&p, SESS, 6, 0xffff);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_END);
	assert_int_equal(nx_mold_rx_missing(&rx, &f, &n), 1);
	assert_int_equal(f, 4);
	assert_int_equal(n, 2);
	mk(&p, SESS, 8, 2);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DROP_AFTER_END);
}

/* --- The hold (nx_mold_hold) ------------------------------------------------------ */

struct drained {
	struct nx_mold_rx *rx;
	uint64_t seq[16];
	int kind[16];
	int n;
};

static void deliver(void *ctx, const uint8_t *pkt, size_t len)
{
	struct drained *d = ctx;
	struct nx_mold_pkt r;
	assert_true(d->n < 16);
	d->seq[d->n] = ((uint64_t)pkt[16] << 8) | pkt[17]; /* low bytes of the number */
	d->kind[d->n++] = nx_mold_rx_packet(d->rx, pkt, len, &r);
}

/* Kept in sequence order whatever the arrival order, one per number,
 * refused when too big or full; drained lowest first and only as far as
 * the receiver can take; slots reused after a pop. */
static void test_hold_order_dup_full(void **state)
{
	uint64_t mem[1024];
	struct nx_mold_hold h;
	struct nx_mold_rx rx;
	struct nx_mold_pkt r;
	struct drained d = { .rx = &rx };
	struct pk p;
	size_t len;
	uint64_t seq;
	(void)state;
	assert_true(nx_mold_hold_memsize(4, 64) <= sizeof(mem));
	nx_mold_hold_init(&h, mem, 4, 64);
	assert_null(nx_mold_hold_first(&h, &len, &seq));
	rx_from(&rx, 1, 1);
	mk(&p, SESS, 1, 1);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	const uint64_t order[] = { 9, 5, 7, 3 };
	for (int i = 0; i < 4; i++) {
		mk(&p, SESS, order[i], 1);
		assert_int_equal(feed(&rx, &p, &r), NX_MOLD_AHEAD);
		assert_int_equal(nx_mold_hold_put(&h, p.b, p.n), NX_MOLD_HOLD_KEPT);
	}
	mk(&p, SESS, 7, 1);
	assert_int_equal(nx_mold_hold_put(&h, p.b, p.n), NX_MOLD_HOLD_DUP);
	mk(&p, SESS, 11, 1);
	assert_int_equal(nx_mold_hold_put(&h, p.b, p.n), NX_MOLD_HOLD_FULL);
	mk(&p, SESS, 12, 20); /* 20 blocks: more than 64 bytes */
	assert_int_equal(nx_mold_hold_put(&h, p.b, p.n), NX_MOLD_HOLD_TOO_BIG);
	assert_non_null(nx_mold_hold_first(&h, &len, &seq));
	assert_int_equal(seq, 3);
	/* 2 arrives: 2 and 3 go on; 5 waits for 4 */
	mk(&p, SESS, 2, 1);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	nx_mold_hold_drain(&h, &rx, deliver, &d);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.seq[0], 3);
	assert_int_equal(d.kind[0], NX_MOLD_DATA);
	assert_int_equal(rx.next, 4);
	/* a freed slot takes a packet that sorts first */
	mk(&p, SESS, 4, 1);
	assert_int_equal(nx_mold_hold_put(&h, p.b, p.n), NX_MOLD_HOLD_KEPT);
	mk(&p, SESS, 6, 1);
	assert_int_equal(nx_mold_hold_put(&h, p.b, p.n), NX_MOLD_HOLD_FULL);
	d.n = 0;
	nx_mold_hold_drain(&h, &rx, deliver, &d); /* 4, 5; 7 waits for 6 */
	assert_int_equal(d.n, 2);
	assert_int_equal(d.seq[0], 4);
	assert_int_equal(d.seq[1], 5);
	assert_int_equal(rx.next, 6);
	/* the front and the end both move: every slot used again in order */
	for (uint64_t s = 13; s <= 14; s++) {
		mk(&p, SESS, s, 1);
		assert_int_equal(nx_mold_hold_put(&h, p.b, p.n), NX_MOLD_HOLD_KEPT);
	}
	const uint64_t want[] = { 7, 9, 13, 14 };
	for (int i = 0; i < 4; i++) {
		const uint8_t *b = nx_mold_hold_first(&h, &len, &seq);
		assert_non_null(b);
		assert_int_equal(seq, want[i]);
		assert_int_equal(b[17], (uint8_t)want[i]);
		assert_int_equal(len, 20 + 2 + 3 + want[i] % 5);
		nx_mold_hold_pop(&h);
	}
	assert_null(nx_mold_hold_first(&h, &len, &seq));
}

/* The hold's size: every array and slot fits, 0 for no slots, and a size
 * past what a size_t counts is SIZE_MAX (no allocation succeeds), not the
 * product wrapped to a few bytes that init would then run past. */
static void test_hold_memsize(void **state)
{
	(void)state;
	assert_int_equal(nx_mold_hold_memsize(0, 1472), 0);
	assert_true(nx_mold_hold_memsize(3, 5) >= 3 * (8 + 3 * 4) + 3 * 5);
	assert_true(nx_mold_hold_memsize(4096, 1472) >= (size_t)4096 * (20 + 1472));
	for (uint32_t l = UINT32_MAX - 24; l != 0; l++) /* to UINT32_MAX */
		assert_true(nx_mold_hold_memsize(UINT32_MAX, l) >= (size_t)UINT32_MAX * 20);
}

/* Giving the gap up skips to the first held packet only (the hole before
 * it counted lost) and drains what follows; with an end of session that
 * came after packets were held past it, those can never be delivered: they
 * are fed once (dropped AFTER_END) and let go rather than held for ever,
 * whether the gap before the end is given up or filled. */
static void test_hold_give_up(void **state)
{
	uint64_t mem[1024];
	struct nx_mold_hold h;
	struct nx_mold_rx rx;
	struct nx_mold_pkt r;
	struct drained d = { .rx = &rx };
	struct pk p;
	size_t len;
	uint64_t seq;
	(void)state;
	nx_mold_hold_init(&h, mem, 8, 64);
	rx_from(&rx, 1, 1);
	mk(&p, SESS, 1, 1);
	feed(&rx, &p, &r);
	for (uint64_t s = 4; s <= 5; s++) {
		mk(&p, SESS, s, 1);
		assert_int_equal(feed(&rx, &p, &r), NX_MOLD_AHEAD);
		nx_mold_hold_put(&h, p.b, p.n);
	}
	mk(&p, SESS, 8, 1);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_AHEAD);
	nx_mold_hold_put(&h, p.b, p.n);
	nx_mold_hold_give_up(&h, &rx, deliver, &d); /* 2..3 lost; 4, 5; 6..7 still missing */
	assert_int_equal(rx.st.lost_msgs, 2);
	assert_int_equal(d.n, 2);
	assert_int_equal(rx.next, 6);
	assert_non_null(nx_mold_hold_first(&h, &len, &seq));
	assert_int_equal(seq, 8);
	/* the end comes at 7: 8 can never be delivered */
	mk(&p, SESS, 7, 0xffff);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_END);
	mk(&p, SESS, 6, 1);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	d.n = 0;
	nx_mold_hold_drain(&h, &rx, deliver, &d); /* 8 is past the end: let go */
	assert_int_equal(d.n, 1);
	assert_int_equal(d.kind[0], NX_MOLD_DROP_AFTER_END);
	assert_null(nx_mold_hold_first(&h, &len, &seq));
	assert_int_equal(rx.st.lost_msgs, 2);

	/* Held past an end that came later, and the gap then filled by data
	 * (no give-up ever comes: nothing is missing): the drain lets them go. */
	rx_from(&rx, 1, 1);
	mk(&p, SESS, 1, 1);
	feed(&rx, &p, &r);
	for (uint64_t s = 5; s <= 6; s++) {
		mk(&p, SESS, s, 1);
		assert_int_equal(feed(&rx, &p, &r), NX_MOLD_AHEAD);
		nx_mold_hold_put(&h, p.b, p.n);
	}
	mk(&p, SESS, 4, 0xffff);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_END);
	mk(&p, SESS, 2, 2);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	uint64_t f, n;
	assert_int_equal(nx_mold_rx_missing(&rx, &f, &n), 0);
	d.n = 0;
	nx_mold_hold_drain(&h, &rx, deliver, &d);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.kind[0], NX_MOLD_DROP_AFTER_END);
	assert_int_equal(d.kind[1], NX_MOLD_DROP_AFTER_END);
	assert_null(nx_mold_hold_first(&h, &len, &seq));
}

/* One per number, but the one that carries the most: a packet starting at
 * a held number with more messages (repackaged: a retransmission server
 * need not cut packets where the live feed did) takes the held one's
 * place, even in a full hold, or the messages past the held one are lost
 * with it (the ITCH input before the hold kept both). A shorter one is the
 * duplicate. */
static void test_hold_keeps_the_longest_of_a_number(void **state)
{
	uint64_t mem[1024];
	struct nx_mold_hold h;
	struct nx_mold_rx rx;
	struct nx_mold_pkt r;
	struct drained d = { .rx = &rx };
	struct pk p;
	size_t len;
	uint64_t seq;
	(void)state;
	nx_mold_hold_init(&h, mem, 2, 128);
	rx_from(&rx, 1, 1);
	mk(&p, SESS, 1, 1);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	mk(&p, SESS, 5, 1); /* 2 .. 4 lost */
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_AHEAD);
	assert_int_equal(nx_mold_hold_put(&h, p.b, p.n), NX_MOLD_HOLD_KEPT);
	mk(&p, SESS, 9, 1);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_AHEAD);
	assert_int_equal(nx_mold_hold_put(&h, p.b, p.n), NX_MOLD_HOLD_KEPT);
	mk(&p, SESS, 5, 3); /* 5 .. 7: takes the place of 5 alone, hold full or not */
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_AHEAD);
	assert_int_equal(nx_mold_hold_put(&h, p.b, p.n), NX_MOLD_HOLD_KEPT);
	mk(&p, SESS, 5, 2); /* 5 .. 6: covered */
	assert_int_equal(nx_mold_hold_put(&h, p.b, p.n), NX_MOLD_HOLD_DUP);
	mk(&p, SESS, 5, 20); /* longer, but more than 128 bytes */
	assert_int_equal(nx_mold_hold_put(&h, p.b, p.n), NX_MOLD_HOLD_TOO_BIG);
	mk(&p, SESS, 10, 1);
	assert_int_equal(nx_mold_hold_put(&h, p.b, p.n), NX_MOLD_HOLD_FULL);
	assert_non_null(nx_mold_hold_first(&h, &len, &seq));
	assert_int_equal(seq, 5);
	assert_int_equal(len, 20 + (2 + 3) + (2 + 4) + (2 + 5));
	/* 2 .. 4 arrive: 5 .. 7 go on; 9 waits for 8 */
	mk(&p, SESS, 2, 3);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	nx_mold_hold_drain(&h, &rx, deliver, &d);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.kind[0], NX_MOLD_DATA);
	assert_int_equal(rx.next, 8);
	assert_int_equal(rx.st.msgs, 7);
	assert_non_null(nx_mold_hold_first(&h, &len, &seq));
	assert_int_equal(seq, 9);
}

/* The oldest put time: the earliest of everything held, whatever the
 * order of numbers and times, kept by a packet that takes a held one's
 * place, untouched by a refused put, and still right after pops and after
 * the drained front is closed up. */
static void test_hold_oldest(void **state)
{
	uint64_t mem[1024], t = 0;
	struct nx_mold_hold h;
	struct pk p;
	(void)state;
	nx_mold_hold_init(&h, mem, 4, 64);
	assert_int_equal(nx_mold_hold_oldest(&h, &t), 0);
	const uint64_t seq[] = { 9, 5, 7, 3 }, at[] = { 30, 20, 40, 50 };
	for (int i = 0; i < 4; i++) {
		mk(&p, SESS, seq[i], 1);
		assert_int_equal(nx_mold_hold_put_at(&h, p.b, p.n, at[i]), NX_MOLD_HOLD_KEPT);
	}
	assert_int_equal(nx_mold_hold_oldest(&h, &t), 1);
	assert_int_equal(t, 20);
	mk(&p, SESS, 5, 2); /* takes 5's place: the hole before 5 waits since 20 */
	assert_int_equal(nx_mold_hold_put_at(&h, p.b, p.n, 60), NX_MOLD_HOLD_KEPT);
	mk(&p, SESS, 11, 1);
	assert_int_equal(nx_mold_hold_put_at(&h, p.b, p.n, 1), NX_MOLD_HOLD_FULL);
	mk(&p, SESS, 9, 1);
	assert_int_equal(nx_mold_hold_put_at(&h, p.b, p.n, 1), NX_MOLD_HOLD_DUP);
	/* held: 3 at 50, 5 at 20, 7 at 40, 9 at 30 */
	const uint64_t after_pop[] = { 20, 30, 30 }; /* 3 goes, then 5, then 7 */
	for (int i = 0; i < 3; i++) {
		nx_mold_hold_pop(&h);
		assert_int_equal(nx_mold_hold_oldest(&h, &t), 1);
		assert_int_equal(t, after_pop[i]);
	}
	/* Times falling as numbers rise: every put passes back over the held.
	 * 9 sits in the last place, so 13 closes up the drained front first. */
	const uint64_t seq2[] = { 13, 15, 17 }, at2[] = { 25, 24, 23 };
	for (int i = 0; i < 3; i++) {
		mk(&p, SESS, seq2[i], 1);
		assert_int_equal(nx_mold_hold_put_at(&h, p.b, p.n, at2[i]), NX_MOLD_HOLD_KEPT);
		assert_int_equal(nx_mold_hold_oldest(&h, &t), 1);
		assert_int_equal(t, at2[i]);
	}
	const uint64_t want[] = { 23, 23, 23 }; /* 9, 13, 15 go; 17 (23) stays */
	for (int i = 0; i < 3; i++) {
		nx_mold_hold_pop(&h);
		assert_int_equal(nx_mold_hold_oldest(&h, &t), 1);
		assert_int_equal(t, want[i]);
	}
	nx_mold_hold_pop(&h);
	assert_int_equal(nx_mold_hold_oldest(&h, &t), 0);
}

/* The hold against a model of a few lines (an unsorted array, searched in
 * full): random puts (numbers in a small range, so many meet a held one;
 * 1 to 3 messages; times up and down) and pops; after each step the put's
 * result, the first packet and the oldest time agree. */
static void test_hold_oldest_vs_model(void **state)
{
	enum { SLOTS = 8 };
	struct held { uint64_t seq, at; unsigned count; } m[SLOTS];
	uint64_t mem[2048], seq, t, x = 88172645463325252ull;
	struct nx_mold_hold h;
	unsigned n = 0;
	struct pk p;
	size_t len;
	(void)state;
	assert_true(nx_mold_hold_memsize(SLOTS, 64) <= sizeof(mem));
	nx_mold_hold_init(&h, mem, SLOTS, 64);
	for (int step = 0; step < 200000; step++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		if (x % 3 == 0) {
			unsigned lo = 0;
			for (unsigned i = 1; i < n; i++)
				if (m[i].seq < m[lo].seq)
					lo = i;
			nx_mold_hold_pop(&h);
			if (n)
				m[lo] = m[--n];
		} else {
			uint64_t s = 2 + (x >> 8) % 24, at = (x >> 16) % 1000;
			unsigned c = 1 + (unsigned)((x >> 32) % 3), i;
			int want = NX_MOLD_HOLD_KEPT;
			for (i = 0; i < n && m[i].seq != s; i++)
				;
			if (i < n && m[i].count >= c)
				want = NX_MOLD_HOLD_DUP;
			else if (i < n)
				m[i].count = c; /* its time stays */
			else if (n == SLOTS)
				want = NX_MOLD_HOLD_FULL;
			else
				m[n++] = (struct held){ s, at, c };
			mk(&p, SESS, s, c);
			assert_int_equal(nx_mold_hold_put_at(&h, p.b, p.n, at), want);
		}
		uint64_t lo_seq = UINT64_MAX, lo_at = UINT64_MAX;
		for (unsigned i = 0; i < n; i++) {
			lo_seq = m[i].seq < lo_seq ? m[i].seq : lo_seq;
			lo_at = m[i].at < lo_at ? m[i].at : lo_at;
		}
		assert_int_equal(h.n, n);
		assert_int_equal(nx_mold_hold_oldest(&h, &t), n > 0);
		if (n) {
			assert_non_null(nx_mold_hold_first(&h, &len, &seq));
			assert_int_equal(seq, lo_seq);
			assert_int_equal(t, lo_at);
		}
	}
}

static void test_latch_mid_stream(void **state)
{
	struct nx_mold_rx rx;
	struct nx_mold_pkt r;
	struct pk p;
	(void)state;
	nx_mold_rx_init(&rx, NULL); /* latch session and sequence */
	mk(&p, OTHER, 5000000, 2);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	assert_int_equal(r.gap_count, 0);
	assert_int_equal(r.seq, 5000000);
	assert_memory_equal(rx.session, OTHER, 10);
	/* from 1: the same packet is a gap of 4,999,999 */
	rx_from(&rx, 1, 0);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	assert_int_equal(r.gap_first, 1);
	assert_int_equal(r.gap_count, 4999999);
	/* a configured session drops the others */
	struct nx_mold_rx_config c = { .have_session = 1, .next_seq = 0 };
	memcpy(c.session, SESS, 10);
	nx_mold_rx_init(&rx, &c);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DROP_WRONG_SESSION);
	mk(&p, SESS, 7, 1);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DATA);
	mk(&p, OTHER, 8, 1);
	assert_int_equal(feed(&rx, &p, &r), NX_MOLD_DROP_WRONG_SESSION);
	assert_int_equal(rx.st.drops[-NX_MOLD_DROP_WRONG_SESSION], 2);
	assert_int_equal(rx.next, 8);
}

static void test_drops(void **state)
{
	struct nx_mold_rx rx, before;
	struct nx_mold_pkt r;
	struct pk p;
	(void)state;
	rx_from(&rx, 1, 0);
	mk(&p, SESS, 1, 1);
	feed(&rx, &p, &r);
	before = rx;
	/* SHORT: every length below 20 */
	mk(&p, SESS, 2, 0);
	for (size_t n = 0; n < 20; n++)
		assert_int_equal(nx_mold_rx_packet(&rx, p.b, n, &r), NX_MOLD_DROP_SHORT);
	/* TRAILING: a heartbeat or end with a byte more; data with a byte more */
	assert_int_equal(nx_mold_rx_packet(&rx, p.b, 21, &r), NX_MOLD_DROP_TRAILING);
	mk(&p, SESS, 2, 0xffff);
	assert_int_equal(nx_mold_rx_packet(&rx, p.b, 21, &r), NX_MOLD_DROP_TRAILING);
	mk(&p, SESS, 2, 3);
	assert_int_equal(nx_mold_rx_packet(&rx, p.b, p.n + 1, &r), NX_MOLD_DROP_TRAILING);
	/* TRUNCATED: every cut inside the blocks */
	for (size_t n = 20; n < p.n; n++)
		assert_int_equal(nx_mold_rx_packet(&rx, p.b, n, &r), NX_MOLD_DROP_TRUNCATED);
	/* a count larger than the blocks present */
	put_be(p.b + 18, 4, 2);
	assert_int_equal(nx_mold_rx_packet(&rx, p.b, p.n, &r), NX_MOLD_DROP_TRUNCATED);
	/* fewer: the rest trails */
	put_be(p.b + 18, 2, 2);
	assert_int_equal(nx_mold_rx_packet(&rx, p.b, p.n, &r), NX_MOLD_DROP_TRAILING);
	/* BAD_SEQ: 0, and seq + count past 2^64 */
	mk(&p, SESS, 0, 1);
	assert_int_equal(nx_mold_rx_packet(&rx, p.b, p.n, &r), NX_MOLD_DROP_BAD_SEQ);
	mk(&p, SESS, 0, 0);
	assert_int_equal(nx_mold_rx_packet(&rx, p.b, p.n, &r), NX_MOLD_DROP_BAD_SEQ);
	mk(&p, SESS, UINT64_MAX, 2);
	assert_int_equal(nx_mold_rx_packet(&rx, p.b, p.n, &r), NX_MOLD_DROP_BAD_SEQ);
	/* BAD_SEQ (regression, session 13): a jump of more than 2^32 past the
	 * highest number known, by a heartbeat or by data; it used to move the
	 * numbering there, and every real packet after it was a duplicate. */
	mk(&p, SESS, 2 + NX_MOLD_MAX_JUMP + 1, 0);
	assert_int_equal(nx_mold_rx_packet(&rx, p.b, p.n, &r), NX_MOLD_DROP_BAD_SEQ);
	mk(&p, SESS, UINT64_MAX - 1, 1);
	assert_int_equal(nx_mold_rx_packet(&rx, p.b, p.n, &r), NX_MOLD_DROP_BAD_SEQ);
	/* no state changed but the drop counters */
	assert_int_equal(rx.next, before.next);
	assert_int_equal(rx.high, before.high);
	assert_int_equal(rx.st.msgs, before.st.msgs);
	assert_int_equal(rx.st.drops[-NX_MOLD_DROP_SHORT], 20);
	assert_int_equal(rx.st.drops[-NX_MOLD_DROP_TRAILING], 4);
	assert_int_equal(rx.st.drops[-NX_MOLD_DROP_BAD_SEQ], 5);
	for (int d = 1; d < (int)NX_MOLD_DROP_MAX; d++)
		assert_string_not_equal(nx_mold_drop_name(-d), "?");
	assert_string_equal(nx_mold_drop_name(NX_MOLD_DROP_TRUNCATED), "TRUNCATED");
	assert_string_equal(nx_mold_drop_name(0), "?");
	assert_string_equal(nx_mold_drop_name(-7), "?");
	assert_string_equal(nx_mold_drop_text(-7), "unknown drop reason");
	assert_string_equal(nx_mold_kind_name(NX_MOLD_AHEAD), "AHEAD");
	assert_string_equal(nx_mold_kind_name(0), "?");
	/* a jump of exactly 2^32: a (large) gap, accepted */
	mk(&p, SESS, 2 + NX_MOLD_MAX_JUMP, 0);
	assert_int_equal(nx_mold_rx_packet(&rx, p.b, p.n, &r), NX_MOLD_HEARTBEAT);
	assert_int_equal(r.gap_count, NX_MOLD_MAX_JUMP);
}

static void test_max_count_and_empty_blocks(void **state)
{
	static uint8_t big[20 + 2 * 0xfffe];
	struct nx_mold_rx rx;
	struct nx_mold_pkt r;
	(void)state;
	/* 65534 empty blocks: the largest count a data packet can carry */
	memcpy(big, SESS, 10);
	put_be(big + 10, 1, 8);
	put_be(big + 18, 0xfffe, 2);
	memset(big + 20, 0, sizeof(big) - 20);
	rx_from(&rx, 1, 0);
	assert_int_equal(nx_mold_rx_packet(&rx, big, sizeof(big), &r), NX_MOLD_DATA);
	assert_int_equal(r.count, 0xfffe);
	assert_int_equal(rx.next, 0xffff);
}

static void test_request_packets(void **state)
{
	uint8_t b[32];
	char s[10];
	uint64_t seq;
	uint16_t n;
	(void)state;
	assert_int_equal(nx_mold_request_build(b, sizeof(b), SESS, UINT64_C(0x0102030405060708),
					       0xabcd), 20);
	/* the bytes, as the specification lays them out */
	assert_memory_equal(b, SESS, 10);
	static const uint8_t tail[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 0xab, 0xcd };
	assert_memory_equal(b + 10, tail, 10);
	assert_int_equal(nx_mold_request_parse(b, 20, s, &seq, &n), 0);
	assert_memory_equal(s, SESS, 10);
	assert_true(seq == UINT64_C(0x0102030405060708));
	assert_int_equal(n, 0xabcd);
	assert_int_equal(nx_mold_request_parse(b, 19, s, &seq, &n), -EINVAL);
	assert_int_equal(nx_mold_request_parse(b, 21, s, &seq, &n), -EINVAL);
	assert_int_equal(nx_mold_request_build(b, 19, SESS, 1, 1), 0);
}

static void test_writer_matches_hand_built(void **state)
{
	struct pk p;
	uint8_t b[256];
	size_t off = 20;
	(void)state;
	mk(&p, SESS, 77, 3);
	nx_mold_hdr_write(b, SESS, 77, 3);
	for (unsigned i = 0; i < 3; i++) {
		uint8_t body[8];
		unsigned len = 3 + (77 + i) % 5;
		memset(body, (uint8_t)(77 + i), len);
		assert_int_equal(nx_mold_block_put(b, sizeof(b), &off, body, len), 0);
	}
	assert_int_equal(off, p.n);
	assert_memory_equal(b, p.b, p.n);
	/* no room: nothing written */
	size_t o2 = off;
	assert_int_equal(nx_mold_block_put(b, off + 3, &o2, "abcd", 4), -ENOSPC);
	assert_int_equal(o2, off);
	assert_int_equal(nx_mold_block_put(b, sizeof(b), &o2, b, 70000), -ENOSPC);
}

static void test_binfile_walk(void **state)
{
	const uint8_t f[] = { 0, 2, 'a', 'b', 0, 0, 0, 1, 'c', 0, 3, 'x' };
	struct nx_mold_blocks it;
	const uint8_t *m;
	size_t len;
	(void)state;
	nx_binfile_init(&it, f, sizeof(f));
	assert_int_equal(nx_binfile_next(&it, &m, &len), 1);
	assert_int_equal(len, 2);
	assert_memory_equal(m, "ab", 2);
	assert_int_equal(nx_binfile_next(&it, &m, &len), 1);
	assert_int_equal(len, 0); /* empty: a block all the same */
	assert_int_equal(nx_binfile_next(&it, &m, &len), 1);
	assert_int_equal(len, 1);
	assert_int_equal(m[0], 'c');
	/* 0x0003 but only one byte follows */
	assert_int_equal(nx_binfile_next(&it, &m, &len), -1);
	assert_int_equal(nx_binfile_next(&it, &m, &len), -1); /* stays */
	assert_ptr_equal(it.p, f + 9);
	/* a lone prefix byte */
	nx_binfile_init(&it, f, 1);
	assert_int_equal(nx_binfile_next(&it, &m, &len), -1);
	nx_binfile_init(&it, f, 0);
	assert_int_equal(nx_binfile_next(&it, &m, &len), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_duplicates_and_overlap),
		cmocka_unit_test(test_heartbeat),
		cmocka_unit_test(test_gap_skip),
		cmocka_unit_test(test_gap_hold_and_recover),
		cmocka_unit_test(test_gap_hold_give_up),
		cmocka_unit_test(test_gap_hold_skip_to),
		cmocka_unit_test(test_hold_heartbeat_reveals_tail_loss),
		cmocka_unit_test(test_end_of_session),
		cmocka_unit_test(test_hold_memsize),
		cmocka_unit_test(test_hold_order_dup_full),
		cmocka_unit_test(test_hold_give_up),
		cmocka_unit_test(test_hold_keeps_the_longest_of_a_number),
		cmocka_unit_test(test_hold_oldest),
		cmocka_unit_test(test_hold_oldest_vs_model),
		cmocka_unit_test(test_latch_mid_stream),
		cmocka_unit_test(test_drops),
		cmocka_unit_test(test_max_count_and_empty_blocks),
		cmocka_unit_test(test_request_packets),
		cmocka_unit_test(test_writer_matches_hand_built),
		cmocka_unit_test(test_binfile_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
