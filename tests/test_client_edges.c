/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Edge cases of the client library (include/nx/client.h): decoding datagrams of many messages, session messages
 * among numbered ones, malformed messages, retransmissions that start past
 * what was received, the out array's capacity, numbers near 2^64, and
 * request encoding with too little room. The engine is the venue where a
 * real one helps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "nx/book.h"
#include "nx/nxp.h"
#include "nx/reason.h"
#include "engine_helpers.h"

/* A venue datagram: Sequence (or Retransmission) of `first`, then n
 * BusinessRejects whose refSeqNo is their own number. */
static size_t venue_dgram(uint8_t *buf, size_t cap, int retrans, uint64_t first, uint32_t n)
{
	struct nx_nxp_writer w;
	nx_nxp_writer_init(&w, buf, cap);
	if (retrans) {
		struct nx_nxp_retransmission r = { .session_id = 101, .next_seq_no = first, .count = n };
		assert_true(nx_nxp_encode_retransmission(&w, &r) > 0);
	} else {
		struct nx_nxp_sequence s = { .next_seq_no = first };
		assert_true(nx_nxp_encode_sequence(&w, &s) > 0);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct nx_nxp_business_reject b = { .ref_seq_no = first + i };
		assert_true(nx_nxp_encode_business_reject(&w, &b) > 0);
	}
	return w.len;
}

static int read_dgram(struct nx_client *c, int retrans, uint64_t first, uint32_t n,
		      struct nx_client_msg *m, unsigned cap)
{
	uint8_t buf[1500];
	return nx_client_read(c, buf, venue_dgram(buf, sizeof(buf), retrans, first, n), m, cap);
}

static void fresh(struct nx_client *c)
{
	nx_client_init(c, 101, A, key_a);
}

/* ======================================================================
 * Regressions: each failed before 2026-11-23
 * ====================================================================== */

/* A datagram of more messages than the caller's out array: the messages
 * past cap are left unread, so they come back as a gap to recover. They
 * were numbered and taken (expect_seq moved past them) but neither
 * returned nor counted: the client never saw them, and never asked. */
static void test_read_cap_loses_messages_silently(void **state)
{
	(void)state;
	struct nx_client c;
	struct nx_client_msg m[2];
	fresh(&c);
	int n = read_dgram(&c, 0, 1, 3, m, 2); /* Sequence, 1, 2, 3 */
	assert_int_equal(n, 2);                /* the Sequence and message 1 */
	assert_int_equal(m[1].seq, 1);
	/* 2 and 3 were not returned: they must still be owed to the client. */
	uint64_t owed = (c.expect_seq > 2 ? 0 : 2) + c.gap_count + c.skipped;
	if (owed < 2)
		fail_msg("messages 2 and 3 were not returned, yet expect_seq=%llu gap_count=%llu "
			 "skipped=%llu: they are lost without a trace",
			 (unsigned long long)c.expect_seq, (unsigned long long)c.gap_count,
			 (unsigned long long)c.skipped);
}

/* A malformed session message (a Terminate whose block is too short, so
 * its template is known: not an application message) after numbered
 * messages takes no number. It took one: expect_seq ran one ahead of the
 * venue, and the venue's next real message came back flagged duplicate,
 * which a client that skips duplicates drops. */
static void test_malformed_session_message_takes_no_number(void **state)
{
	(void)state;
	struct nx_client c;
	struct nx_client_msg m[8];
	uint8_t buf[256];
	fresh(&c);
	size_t len = venue_dgram(buf, sizeof(buf), 0, 1, 1);
	struct nx_nxp_writer w;
	nx_nxp_writer_init(&w, buf + len, sizeof(buf) - len);
	assert_non_null(nx_nxp_encode_header(&w, NX_NXP_TERMINATE, 1, 4)); /* BLOCK_SHORT */
	len += w.len;
	assert_int_equal(nx_client_read(&c, buf, len, m, 8), 2);
	assert_int_equal(c.skipped, 1);
	assert_int_equal(c.expect_seq, 2); /* a Terminate has no number */
	/* The venue's next message, number 2, is new. */
	assert_int_equal(read_dgram(&c, 0, 2, 1, m, 8), 2);
	assert_int_equal(m[1].seq, 2);
	assert_false(m[1].duplicate);
	assert_int_equal(c.duplicates, 0);
}

/* A late (reordered) datagram whose message the client cannot read, at
 * the gap's front: it had its number and arrived, so the span drains. The
 * front stayed put although nothing of the span was missing any more, and
 * recover asked for it all again. (The same for a retransmitted one was fixed:
 * test_client_unreadable_front_drains_span; a readable late one drains the
 * span: test_client_reordered_in_span.) */
static void test_late_unreadable_front_drains_span(void **state)
{
	(void)state;
	struct nx_client c;
	struct nx_client_msg m[8];
	uint8_t buf[256];
	fresh(&c);
	read_dgram(&c, 0, 1, 1, m, 8);
	read_dgram(&c, 0, 4, 1, m, 8);  /* 2, 3 missing */
	read_dgram(&c, 0, 3, 1, m, 8);  /* 3 late */
	assert_int_equal(c.gap_from, 2);
	assert_int_equal(c.gap_count, 2);
	size_t len = venue_dgram(buf, sizeof(buf), 0, 2, 1); /* 2 late, unreadable */
	buf[22 + 8] = 250; /* the BusinessReject's templateId: one nobody knows */
	buf[22 + 9] = 0;
	assert_int_equal(nx_client_read(&c, buf, len, m, 8), 1);
	assert_int_equal(c.skipped, 1);
	assert_int_equal(c.gap_count, 0); /* 2 and 3 both arrived */
	assert_int_equal(c.gap_from, 0);
}

/* A tail loss (the venue's last datagram lost, nothing after it to show
 * the gap) recovered by asking from expect_seq: the first answer datagram
 * (3..4) is lost too, the second (5..6) arrives. Its Retransmission starts
 * past expect_seq and opens a gap, as a Sequence does. It opened none:
 * expect_seq jumped to 7 and 3, 4 were neither in the span nor expired,
 * silently lost. */
static void test_retransmission_past_expect_opens_gap(void **state)
{
	(void)state;
	struct nx_client c;
	struct nx_client_msg m[8];
	uint8_t buf[256];
	fresh(&c);
	read_dgram(&c, 0, 1, 2, m, 8); /* 1, 2 */
	assert_int_equal(c.expect_seq, 3);
	assert_true(nx_client_retransmit_request(&c, buf, sizeof(buf), 1, 3, 4) > 0);
	assert_int_equal(read_dgram(&c, 1, 5, 2, m, 8), 3); /* the second answer: 5, 6 */
	assert_int_equal(c.expect_seq, 7);
	assert_int_equal(c.expired, 0);
	assert_int_equal(c.gap_from, 3); /* 3 and 4 still missing */
	assert_int_equal(c.gap_count, 2);
}

/* Numbers near 2^64. Regression: after venue message 2^64-1, expect_seq
 * wrapped to 0, so a repeat of an earlier datagram came back as new (not
 * flagged, not counted) and expect_seq went back. A message numbered
 * 2^64-1 has no successor to expect: its datagram cannot be followed and
 * is unreadable as a whole (-1, nothing changes), as the venue refuses a
 * client datagram that would reach that number; everything before it
 * reads as usual. */
static void test_seq_near_2_64(void **state)
{
	(void)state;
	struct nx_client c;
	struct nx_client_msg m[8];
	fresh(&c);
	c.expect_seq = UINT64_MAX - 2;
	assert_int_equal(read_dgram(&c, 0, UINT64_MAX - 2, 2, m, 8), 3);
	assert_false(m[2].duplicate);
	assert_int_equal(m[2].seq, UINT64_MAX - 1);
	assert_int_equal(c.expect_seq, UINT64_MAX);
	struct nx_client before = c;
	assert_int_equal(read_dgram(&c, 0, UINT64_MAX, 1, m, 8), -1);
	assert_int_equal(read_dgram(&c, 0, UINT64_MAX - 1, 2, m, 8), -1); /* reaches it too */
	assert_memory_equal(&c, &before, sizeof(c));
	/* The same datagram as before again: a repeat. */
	assert_int_equal(read_dgram(&c, 0, UINT64_MAX - 2, 2, m, 8), 3);
	assert_true(m[1].duplicate && m[2].duplicate);
	assert_int_equal(c.duplicates, 2);
}

/* ======================================================================
 * Edges covered (these pass)
 * ====================================================================== */

/* One datagram: Sequence, NotApplied and every execution report (and the
 * other venue application messages), a Terminate and a FinishedSending
 * among them: each decoded with its fields, numbered in order, the
 * session messages unnumbered and taking no number. */
static void test_every_venue_message_in_one_datagram(void **state)
{
	(void)state;
	struct nx_client c;
	struct nx_client_msg m[32];
	uint8_t buf[1472];
	struct nx_nxp_writer w;
	fresh(&c);
	nx_nxp_writer_init(&w, buf, sizeof(buf));
	struct nx_nxp_sequence sq = { .next_seq_no = 1 };
	assert_true(nx_nxp_encode_sequence(&w, &sq) > 0);
	struct nx_nxp_not_applied na = { .from_seq_no = 3, .count = 2 };
	assert_true(nx_nxp_encode_not_applied(&w, &na) > 0);
	struct nx_nxp_exec_new en = { .cl_ord_id = 11, .order_id = 12, .price = -5, .qty = 7,
				      .side = 2, .stp_mode = 3 };
	assert_true(nx_nxp_encode_exec_new(&w, &en) > 0);
	struct nx_nxp_terminate te = { .session_id = 101, .code = 4 };
	assert_true(nx_nxp_encode_terminate(&w, &te) > 0); /* session: no number */
	struct nx_nxp_exec_trade et = { .cl_ord_id = 21, .trade_id = 22, .last_px = 1000,
					.last_qty = 3, .leaves_qty = 4, .trade_count = 70000 };
	assert_true(nx_nxp_encode_exec_trade(&w, &et) > 0);
	struct nx_nxp_exec_canceled ec = { .cl_ord_id = 31, .req_cl_ord_id = 32, .reason = 2 };
	assert_true(nx_nxp_encode_exec_canceled(&w, &ec) > 0);
	struct nx_nxp_exec_replaced er = { .cl_ord_id = 41, .orig_cl_ord_id = 42, .kept_priority = 1 };
	assert_true(nx_nxp_encode_exec_replaced(&w, &er) > 0);
	struct nx_nxp_exec_reduced ed = { .cl_ord_id = 51, .reduced_qty = 2, .leaves_qty = 1 };
	assert_true(nx_nxp_encode_exec_reduced(&w, &ed) > 0);
	struct nx_nxp_exec_rejected ej = { .cl_ord_id = 61, .reason = 9 };
	assert_true(nx_nxp_encode_exec_rejected(&w, &ej) > 0);
	struct nx_nxp_finished_sending fs = { .session_id = 101, .last_seq_no = 99 };
	assert_true(nx_nxp_encode_finished_sending(&w, &fs) > 0); /* session: no number */
	struct nx_nxp_cancel_reject cr = { .cl_ord_id = 71, .response_to = 2 };
	assert_true(nx_nxp_encode_cancel_reject(&w, &cr) > 0);
	struct nx_nxp_mass_cancel_report mr = { .cl_ord_id = 81, .count = 5 };
	assert_true(nx_nxp_encode_mass_cancel_report(&w, &mr) > 0);
	struct nx_nxp_business_reject br = { .ref_seq_no = 91, .ref_template_id = 100 };
	assert_true(nx_nxp_encode_business_reject(&w, &br) > 0);
	struct nx_nxp_cancel_on_disconnect_ack ca = { .req_id = 101, .mode = 2 };
	assert_true(nx_nxp_encode_cancel_on_disconnect_ack(&w, &ca) > 0);
	struct nx_nxp_instrument_definition id = { .req_id = 111, .symbol = "BTC-USD", .index = 1,
						   .total = 1 };
	assert_true(nx_nxp_encode_instrument_definition(&w, &id) > 0);
	struct nx_nxp_admin_ack aa = { .req_id = 121, .ref_template_id = 400 };
	assert_true(nx_nxp_encode_admin_ack(&w, &aa) > 0);
	struct nx_nxp_admin_reject ar = { .req_id = 131, .reason = 3 };
	assert_true(nx_nxp_encode_admin_reject(&w, &ar) > 0);
	assert_true(w.len <= NX_NXP_DGRAM_MAX);

	static const uint16_t want[] = {
		NX_NXP_SEQUENCE, NX_NXP_NOT_APPLIED, NX_NXP_EXEC_NEW, NX_NXP_TERMINATE,
		NX_NXP_EXEC_TRADE, NX_NXP_EXEC_CANCELED, NX_NXP_EXEC_REPLACED, NX_NXP_EXEC_REDUCED,
		NX_NXP_EXEC_REJECTED, NX_NXP_FINISHED_SENDING, NX_NXP_CANCEL_REJECT,
		NX_NXP_MASS_CANCEL_REPORT, NX_NXP_BUSINESS_REJECT, NX_NXP_CANCEL_ON_DISCONNECT_ACK,
		NX_NXP_INSTRUMENT_DEFINITION, NX_NXP_ADMIN_ACK, NX_NXP_ADMIN_REJECT,
	};
	const int nwant = (int)(sizeof(want) / sizeof(want[0]));
	assert_int_equal(nx_client_read(&c, buf, w.len, m, 32), nwant);
	uint64_t next = 1;
	for (int i = 0; i < nwant; i++) {
		assert_int_equal(m[i].template_id, want[i]);
		assert_false(m[i].retransmitted);
		assert_false(m[i].duplicate);
		if (nx_nxp_template_flags(want[i]) & NX_NXP_F_SEQ)
			assert_int_equal(m[i].seq, next++);
		else
			assert_int_equal(m[i].seq, 0);
	}
	assert_int_equal(c.expect_seq, next);
	assert_int_equal(c.expect_seq, 15); /* 14 numbered */
	assert_int_equal(c.skipped, 0);
	assert_int_equal(c.gap_count, 0);
	assert_int_equal(m[1].u.not_applied.count, 2);
	assert_int_equal(m[2].u.exec_new.price, -5);
	assert_int_equal(m[2].u.exec_new.stp_mode, 3);
	assert_int_equal(m[3].u.terminate.code, 4);
	assert_int_equal(m[4].u.exec_trade.trade_count, 70000);
	assert_int_equal(m[5].u.exec_canceled.req_cl_ord_id, 32);
	assert_int_equal(m[6].u.exec_replaced.kept_priority, 1);
	assert_int_equal(m[7].u.exec_reduced.leaves_qty, 1);
	assert_int_equal(m[8].u.exec_rejected.reason, 9);
	assert_int_equal(m[9].u.finished_sending.last_seq_no, 99);
	assert_int_equal(m[10].u.cancel_reject.response_to, 2);
	assert_int_equal(m[11].u.mass_cancel_report.count, 5);
	assert_int_equal(m[12].u.business_reject.ref_template_id, 100);
	assert_int_equal(m[13].u.cancel_on_disconnect_ack.mode, 2);
	assert_string_equal(m[14].u.instrument_definition.symbol, "BTC-USD");
	assert_int_equal(m[15].u.admin_ack.ref_template_id, 400);
	assert_int_equal(m[16].u.admin_reject.reason, 3);
}

/* Two Sequences in one datagram, the second past the first's messages:
 * a gap between them; a second Sequence below: those are repeats. */
static void test_two_sequences_in_one_datagram(void **state)
{
	(void)state;
	struct nx_client c;
	struct nx_client_msg m[16];
	uint8_t buf[512];
	fresh(&c);
	size_t len = venue_dgram(buf, sizeof(buf), 0, 1, 2);
	len += venue_dgram(buf + len, sizeof(buf) - len, 0, 6, 1);
	assert_int_equal(nx_client_read(&c, buf, len, m, 16), 5);
	assert_int_equal(m[4].seq, 6);
	assert_int_equal(c.gap_from, 3);
	assert_int_equal(c.gap_count, 3);
	assert_int_equal(c.expect_seq, 7);
	len = venue_dgram(buf, sizeof(buf), 0, 7, 1);
	len += venue_dgram(buf + len, sizeof(buf) - len, 0, 6, 2); /* 6, 7 again */
	assert_int_equal(nx_client_read(&c, buf, len, m, 16), 5);
	assert_false(m[1].duplicate);
	assert_true(m[3].duplicate);
	assert_true(m[4].duplicate);
	assert_int_equal(c.duplicates, 2);
	assert_int_equal(c.expect_seq, 8);
}

/* A live datagram that starts below expect_seq and runs past it: the
 * numbers below are repeats, the rest new. */
static void test_overlapping_live_datagram(void **state)
{
	(void)state;
	struct nx_client c;
	struct nx_client_msg m[16];
	fresh(&c);
	read_dgram(&c, 0, 1, 3, m, 16);
	assert_int_equal(read_dgram(&c, 0, 2, 4, m, 16), 5); /* 2..5 */
	assert_true(m[1].duplicate);
	assert_true(m[2].duplicate);
	assert_false(m[3].duplicate);
	assert_false(m[4].duplicate);
	assert_int_equal(c.duplicates, 2);
	assert_int_equal(c.expect_seq, 6);
	assert_int_equal(c.gap_count, 0);
}

/* A retransmission asked from before the gap (1..9, with 1..3 received,
 * 4..6 missing, 7..9 received): before the gap and after it duplicates,
 * the gap new, and the gap closed. */
static void test_retransmission_overlapping_received(void **state)
{
	(void)state;
	struct nx_client c;
	struct nx_client_msg m[16];
	uint8_t buf[256];
	fresh(&c);
	read_dgram(&c, 0, 1, 3, m, 16);
	read_dgram(&c, 0, 7, 3, m, 16);
	assert_int_equal(c.gap_from, 4);
	assert_int_equal(c.gap_count, 3);
	assert_true(nx_client_retransmit_request(&c, buf, sizeof(buf), 1, 1, 9) > 0);
	assert_int_equal(read_dgram(&c, 1, 1, 9, m, 16), 10);
	for (int i = 1; i <= 9; i++) {
		assert_true(m[i].retransmitted);
		assert_int_equal(m[i].duplicate, i < 4 || i > 6);
	}
	assert_int_equal(c.duplicates, 6);
	assert_int_equal(c.gap_count, 0);
	assert_int_equal(c.expect_seq, 10);
	assert_int_equal(c.rt_end, 0);
}

/* Malformed datagrams never crash, leave the client untouched when the
 * framing breaks (-1), and return at most cap messages: random mutations
 * of a valid datagram of every kind of header. */
static void test_malformed_datagrams_fuzz(void **state)
{
	(void)state;
	uint8_t good[512], buf[512];
	struct nx_client_msg m[64];
	unsigned seed = 12345;
	for (int iter = 0; iter < 20000; iter++) {
		struct nx_client c, before;
		fresh(&c);
		c.expect_seq = 5;
		if (iter & 1)
			read_dgram(&c, 0, 9, 1, m, 64); /* a gap 5..8 */
		size_t len = venue_dgram(good, sizeof(good), iter & 2, 3 + (unsigned)(iter % 7),
					 (unsigned)(iter % 5));
		memcpy(buf, good, len);
		seed = seed * 1103515245u + 12345u;
		int flips = 1 + (int)(seed >> 28);
		for (int k = 0; k < flips; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % len] = (uint8_t)(seed >> 20);
		}
		seed = seed * 1103515245u + 12345u;
		size_t cut = (seed >> 4) % 4 == 0 ? (seed >> 10) % (len + 1) : len;
		before = c;
		unsigned cap = 1 + (seed >> 16) % 8;
		int n = nx_client_read(&c, buf, cut, m, cap);
		assert_true(n >= -1 && n <= (int)cap);
		if (n < 0)
			assert_memory_equal(&c, &before, sizeof(c));
		assert_true(c.gap_count == 0 || c.gap_from != 0);
	}
}

/* An empty datagram and a NULL one of length 0: nothing read, nothing
 * changed. */
static void test_empty_datagram(void **state)
{
	(void)state;
	struct nx_client c, before;
	struct nx_client_msg m[4];
	fresh(&c);
	before = c;
	assert_int_equal(nx_client_read(&c, NULL, 0, m, 4), 0);
	assert_int_equal(nx_client_read(&c, m, 0, m, 4), 0);
	assert_memory_equal(&c, &before, sizeof(c));
}

/* A venue heartbeat, Sequence(N) alone past expect_seq: the numbers below
 * N are a gap. */
static void test_heartbeat_opens_gap(void **state)
{
	(void)state;
	struct nx_client c;
	struct nx_client_msg m[4];
	fresh(&c);
	assert_int_equal(read_dgram(&c, 0, 4, 0, m, 4), 1);
	assert_int_equal(c.gap_from, 1);
	assert_int_equal(c.gap_count, 3);
	assert_int_equal(c.expect_seq, 4);
	assert_int_equal(read_dgram(&c, 0, 2, 0, m, 4), 1); /* a stale heartbeat: nothing */
	assert_int_equal(c.gap_count, 3);
}

/* Every request kind: numbered from next_seq, one number each; a request
 * that does not fit is not written and takes no number, and the next one
 * that fits gets it. */
static void test_requests_numbered_and_no_room(void **state)
{
	(void)state;
	struct nx_client c;
	struct nx_nxp_writer w;
	uint8_t buf[1472];
	fresh(&c);
	assert_true(nx_client_begin(&c, &w, buf, sizeof(buf)) > 0);
	struct nx_nxp_new_order no = { .cl_ord_id = 1 };
	struct nx_nxp_cancel_order co = { .cl_ord_id = 2 };
	struct nx_nxp_cancel_replace cr = { .cl_ord_id = 3 };
	struct nx_nxp_mass_cancel mc = { .cl_ord_id = 4 };
	struct nx_nxp_instrument_definition_request ir = { .req_id = 5 };
	struct nx_nxp_set_cancel_on_disconnect sc = { .req_id = 6, .mode = 2 };
	assert_true(nx_client_new_order(&c, &w, &no) > 0);
	assert_true(nx_client_cancel(&c, &w, &co) > 0);
	assert_true(nx_client_replace(&c, &w, &cr) > 0);
	assert_true(nx_client_mass_cancel(&c, &w, &mc) > 0);
	assert_true(nx_client_instrument_request(&c, &w, &ir) > 0);
	assert_true(nx_client_set_cancel_on_disconnect(&c, &w, &sc) > 0);
	assert_int_equal(c.next_seq, 7);
	/* The venue's view: Sequence(1) then six messages numbered 1..6. */
	struct nx_nxp_reader r;
	struct nx_nxp_msg mm;
	nx_nxp_reader_init(&r, buf, w.len);
	assert_int_equal(nx_nxp_next(&r, &mm), 1);
	assert_int_equal(mm.template_id, NX_NXP_SEQUENCE);
	assert_int_equal(nx_nxp_sequence_next_seq_no(&mm), 1);
	static const uint16_t kinds[] = { NX_NXP_NEW_ORDER, NX_NXP_CANCEL_ORDER, NX_NXP_CANCEL_REPLACE,
					  NX_NXP_MASS_CANCEL, NX_NXP_INSTRUMENT_DEFINITION_REQUEST,
					  NX_NXP_SET_CANCEL_ON_DISCONNECT };
	for (int i = 0; i < 6; i++) {
		assert_int_equal(nx_nxp_next(&r, &mm), 1);
		assert_int_equal(mm.template_id, kinds[i]);
	}
	assert_int_equal(nx_nxp_next(&r, &mm), 0);

	/* No room: every kind refused, writer and number unchanged. */
	uint8_t small[NX_NXP_OVERHEAD + 8 + 10];
	assert_true(nx_client_begin(&c, &w, small, sizeof(small)) > 0);
	size_t at = w.len;
	assert_int_equal(nx_client_new_order(&c, &w, &no), 0);
	assert_int_equal(nx_client_cancel(&c, &w, &co), 0);
	assert_int_equal(nx_client_replace(&c, &w, &cr), 0);
	assert_int_equal(nx_client_mass_cancel(&c, &w, &mc), 0);
	assert_int_equal(nx_client_set_cancel_on_disconnect(&c, &w, &sc), 0);
	assert_int_equal(nx_client_instrument_request(&c, &w, &ir), 0);
	assert_int_equal(w.len, at);
	assert_int_equal(c.next_seq, 7);
	/* Session datagrams with no room: 0, nothing changed. */
	uint8_t tiny[8];
	assert_int_equal(nx_client_begin(&c, &w, tiny, sizeof(tiny)), 0);
	assert_int_equal(nx_client_negotiate(&c, tiny, sizeof(tiny), 1), 0);
	assert_int_equal(nx_client_establish(&c, tiny, sizeof(tiny), 1, 1000), 0);
	assert_int_equal(nx_client_heartbeat(&c, tiny, sizeof(tiny)), 0);
	assert_int_equal(nx_client_terminate(&c, tiny, sizeof(tiny), 0), 0);
	assert_int_equal(nx_client_finished_sending(&c, tiny, sizeof(tiny)), 0);
	assert_int_equal(nx_client_finished_receiving(&c, tiny, sizeof(tiny)), 0);
	c.rt_end = 0;
	assert_int_equal(nx_client_retransmit_request(&c, tiny, sizeof(tiny), 1, 5, 5), 0);
	assert_int_equal(c.rt_end, 0); /* a request not written is not in progress */
	assert_int_equal(c.next_seq, 7);
	/* The next that fits takes number 7. */
	assert_true(nx_client_begin(&c, &w, buf, sizeof(buf)) > 0);
	nx_nxp_reader_init(&r, buf, w.len);
	assert_int_equal(nx_nxp_next(&r, &mm), 1);
	assert_int_equal(nx_nxp_sequence_next_seq_no(&mm), 7);
	/* FinishedSending names the last number sent, 6. */
	assert_true(nx_client_finished_sending(&c, buf, sizeof(buf)) > 0);
	nx_nxp_reader_init(&r, buf, sizeof(buf));
	assert_int_equal(nx_nxp_next(&r, &mm), 1);
	assert_int_equal(nx_nxp_finished_sending_last_seq_no(&mm), 6);
}

/* Against the engine: a trade (maker A, taker B), then a datagram of A's
 * lost; A's next report shows the gap, the library asks for it, the
 * engine's answer fills it with the lost numbers new and the repeats
 * flagged, and every report reads its own number. */
static void test_engine_gap_and_recovery(void **state)
{
	struct fx *f = *state;
	uint8_t buf[512];
	login(f, &f->ca, f->aa);
	login(f, &f->cb, f->ab);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_SELL, 1000, 5);
	send_order(f, &f->ca, f->aa, &o);              /* A: ExecNew 1 */
	assert_int_equal(f->ca.expect_seq, 2);
	/* B takes 2: B's ExecNew and ExecTrade, A's ExecTrade (2): A's lost. */
	struct nx_client saved = f->ca;
	o = order(B, 1, NX_SIDE_BUY, 1000, 2);
	send_order(f, &f->cb, f->ab, &o);
	f->ca = saved;                                   /* A never read it */
	o = order(A, 2, NX_SIDE_SELL, 1001, 1);
	send_order(f, &f->ca, f->aa, &o);              /* A: ExecNew 3 */
	assert_int_equal(f->ca.gap_from, 2);
	assert_int_equal(f->ca.gap_count, 1);
	size_t n = nx_client_retransmit_request(&f->ca, buf, sizeof(buf), f->now, 1, 3);
	rx(f, f->aa, buf, n);
	int seen = 0;
	for (int i = 0; i < f->nm; i++) {
		const struct nx_client_msg *m = &f->m[i];
		if (!m->seq)
			continue;
		assert_true(m->retransmitted);
		assert_int_equal(m->duplicate, m->seq != 2);
		if (m->seq == 2)
			assert_int_equal(m->template_id, NX_NXP_EXEC_TRADE);
		seen++;
	}
	assert_int_equal(seen, 3);
	assert_int_equal(f->ca.gap_count, 0);
	assert_int_equal(f->ca.duplicates, 2);
	assert_int_equal(f->ca.rt_end, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* findings */
		cmocka_unit_test(test_read_cap_loses_messages_silently),
		cmocka_unit_test(test_malformed_session_message_takes_no_number),
		cmocka_unit_test(test_late_unreadable_front_drains_span),
		cmocka_unit_test(test_retransmission_past_expect_opens_gap),
		cmocka_unit_test(test_seq_near_2_64),
		/* covered edges */
		cmocka_unit_test(test_every_venue_message_in_one_datagram),
		cmocka_unit_test(test_two_sequences_in_one_datagram),
		cmocka_unit_test(test_overlapping_live_datagram),
		cmocka_unit_test(test_retransmission_overlapping_received),
		cmocka_unit_test(test_malformed_datagrams_fuzz),
		cmocka_unit_test(test_empty_datagram),
		cmocka_unit_test(test_heartbeat_opens_gap),
		cmocka_unit_test(test_requests_numbered_and_no_room),
		cmocka_unit_test_setup_teardown(test_engine_gap_and_recovery, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
