/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Session-layer regression tests: one per bug found in a review of the
 * session layer (2026-11-22), each named for what it protects. The venue's
 * recoverable flow must number every message exactly once and resend the
 * very bytes of that number; the client's idempotent flow must be applied
 * at most once; the client library must ask for exactly what it missed.
 * (A fourth bug, a 32-bit call counter wrapping after 2^32 calls so that a
 * message joined another call's datagram, is guarded by a static assertion
 * in src/engine/engine_priv.h: 2^32 calls take a minute.)
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

/* The clOrdId a report answers (ExecNew or ExecRejected), or 0. */
static uint64_t report_cl(const struct nx_client_msg *m)
{
	if (m->template_id == NX_NXP_EXEC_NEW)
		return m->u.exec_new.cl_ord_id;
	if (m->template_id == NX_NXP_EXEC_REJECTED)
		return m->u.exec_rejected.cl_ord_id;
	return 0;
}

/* In these tests order clOrdId n is client message n and gets exactly one
 * report, venue message n: each decoded report must say so. Returns how
 * many reports were checked. */
static int assert_reports_numbered(struct fx *f)
{
	int n = 0;
	for (int i = 0; i < f->nm; i++) {
		uint64_t cl = report_cl(&f->m[i]);
		if (!cl)
			continue;
		if (cl != f->m[i].seq)
			fail_msg("venue message %llu carries the report of clOrdId %llu",
				 (unsigned long long)f->m[i].seq, (unsigned long long)cl);
		n++;
	}
	return n;
}

/* Orders clOrdId from .. from + n - 1 from A (buys, 1 lot, resting; past the
 * 50 open orders they are rejected: one report each either way), 20 to a
 * datagram, 100 ms apart so the throttle never acts. */
static void send_orders(struct fx *f, uint64_t from, int n)
{
	uint8_t buf[1500];
	struct nx_nxp_writer w;
	for (int i = 0; i < n;) {
		nx_client_begin(&f->ca, &w, buf, sizeof(buf));
		for (int k = 0; k < 20 && i < n; k++, i++) {
			struct nx_nxp_new_order o = order(A, from + (uint64_t)i, NX_SIDE_BUY, 900 + i % 50, 1);
			assert_true(nx_client_new_order(&f->ca, &w, &o) > 0);
		}
		rx(f, f->aa, buf, w.len);
		f->now += 100 * MS;
	}
}

static void retransmit_request(struct fx *f, uint64_t from, uint32_t count)
{
	uint8_t buf[256];
	rx(f, f->aa, buf, nx_client_retransmit_request(&f->ca, buf, sizeof(buf), f->now, from, count));
}

/* A retransmission too large for one call goes on in later calls; by then
 * newer messages may have taken the oldest history slots. It used to send
 * those slots' new bytes under the old numbers; now what was overwritten
 * is skipped and counted, and the datagram that resumes opens with an
 * empty Retransmission naming the first number kept (session 16: before,
 * the client could not tell the skip from a lost answer datagram). */
/* Each binding keeps the link its client's latest datagram came by
 * (nx_addr.link: nanoex's port and source MAC), and every datagram sent
 * there carries it: an answer, a maker's fill, a heartbeat. A client that
 * moves (a router fail-over: the same address, another link) is reached by
 * its new link from its next datagram on. Refusals go back by the link of
 * the datagram refused. Regression: the appliance found a reply's MAC in a
 * 1,024-entry neighbour cache that any sender could evict a bound
 * session's address from, and dropped its reports as no_neigh. */
static uint64_t link_to(struct fx *f, struct nx_addr a)
{
	uint64_t l = UINT64_MAX;
	for (uint32_t i = 0; i < f->out.n; i++)
		if (f->out.d[i].to.ip == a.ip && f->out.d[i].to.port == a.port) {
			if (l != UINT64_MAX && l != f->out.d[i].to.link)
				fail_msg("two links to one address in one output");
			l = f->out.d[i].to.link;
		}
	return l;
}

static void test_link_rides_with_binding(void **state)
{
	struct fx *f = fx_of(make_engine());
	(void)state;
	f->aa.link = 0x1111;
	f->ab.link = 0x2222;
	login(f, &f->ca, f->aa);
	assert_int_equal(link_to(f, f->aa), 0x1111);
	login(f, &f->cb, f->ab);
	struct nx_nxp_new_order o = order(B, 1, NX_SIDE_SELL, 1000, 5);
	send_order(f, &f->cb, f->ab, &o);
	assert_int_equal(link_to(f, f->ab), 0x2222);
	/* A moves: its next datagram comes by another link */
	f->aa.link = 0x3333;
	o = order(A, 1, NX_SIDE_BUY, 1000, 2);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(link_to(f, f->aa), 0x3333);
	assert_int_equal(link_to(f, f->ab), 0x2222); /* the maker's fill */
	/* B's resting order trades again, on A's datagram: B by its own link */
	f->aa.link = 0x4444;
	o = order(A, 2, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(link_to(f, f->ab), 0x2222);
	assert_int_equal(link_to(f, f->aa), 0x4444);
	/* the venue's heartbeats too */
	f->now += 1100 * MS;
	poll_timers(f);
	assert_int_equal(link_to(f, f->aa), 0x4444);
	assert_int_equal(link_to(f, f->ab), 0x2222);
	/* a refusal to a stranger: by the stranger's link */
	struct nx_addr x = { .ip = 0x0b000001u, .port = 53, .link = 0x5555 };
	struct nx_client c = f->ca;
	c.key[0] ^= 1;
	uint8_t buf[256];
	rx(f, x, buf, nx_client_negotiate(&c, buf, sizeof(buf), f->now));
	assert_int_equal(f->out.n, 1);
	assert_int_equal(link_to(f, x), 0x5555);
	fx_free(f);
}

static void test_retransmit_outlived_by_history(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	send_orders(f, 1, EH_HISTORY); /* venue messages 1..64 */
	f->out.cap = 1;                /* room for one datagram this call */
	retransmit_request(f, 1, EH_HISTORY);
	f->out.cap = EH_OUT_CAP;
	int first = assert_reports_numbered(f);
	assert_true(first > 0 && first < EH_HISTORY);
	assert_int_equal(f->m[0].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(f->m[0].u.retransmission.next_seq_no, 1);

	send_orders(f, EH_HISTORY + 1, 40); /* 65..104: the history keeps 41..104 */
	poll_timers(f);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->m[0].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(f->m[0].u.retransmission.next_seq_no, 41);
	assert_int_equal(f->m[0].u.retransmission.count, 0);
	assert_int_equal(f->m[1].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(f->m[1].u.retransmission.next_seq_no, 41);
	assert_int_equal(f->m[1].u.retransmission.count, EH_HISTORY - 40);
	assert_int_equal(assert_reports_numbered(f), EH_HISTORY - 40);
	assert_int_equal(nx_engine_stats(f->e)->retransmit_expired, 40 - first);
	/* And what is gone, asked for again, gets the empty Retransmission
	 * alone (it was refused RETRANSMIT_OUT_OF_RANGE, and with it the rest
	 * of a range: tests/test_session_history.c). */
	retransmit_request(f, (uint64_t)first + 1, 1);
	assert_int_equal(f->nm, 1);
	assert_int_equal(f->m[0].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(f->m[0].u.retransmission.next_seq_no, 41);
	assert_int_equal(f->m[0].u.retransmission.count, 0);
	assert_int_equal(nx_engine_stats(f->e)->retransmit_expired, 40 - first + 1);
}

/* The rest of a retransmission in progress can be overwritten whole
 * before its turn: it used to end without a word, and the client waited
 * for the end of its range for ever. An empty Retransmission now names the
 * first number kept, past the range; the client counts the rest expired
 * and is done. */
static void test_retransmit_outlived_whole(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	send_orders(f, 1, 40);     /* venue messages 1..40 */
	f->out.cap = 1;
	retransmit_request(f, 1, 40);
	f->out.cap = EH_OUT_CAP;
	int first = assert_reports_numbered(f);
	assert_true(first > 0 && first < 40);
	assert_int_not_equal(f->ca.rt_end, 0);

	send_orders(f, 41, 70);    /* 41..110: the history keeps 47..110 */
	poll_timers(f);
	assert_int_equal(f->nm, 1);
	assert_int_equal(f->m[0].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(f->m[0].u.retransmission.next_seq_no, 47); /* the first kept */
	assert_int_equal(f->m[0].u.retransmission.count, 0);
	assert_int_equal(nx_engine_stats(f->e)->retransmit_expired, 40 - first);
	assert_int_equal(f->ca.rt_end, 0); /* the client's request is over */
	/* nothing more: the request is over at the venue too */
	poll_timers(f);
	assert_int_equal(f->nm, 0);
	/* and a new one is taken */
	retransmit_request(f, 110, 1);
	assert_int_equal(f->m[0].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(f->m[0].u.retransmission.next_seq_no, 110);
	assert_int_equal(f->m[0].u.retransmission.count, 1);
}

/* With the output full, a report that does not fit its session's open
 * datagram waits in the history; a later, shorter one used to be appended
 * to that datagram, where the client numbered it as the one that waits. */
static void test_full_output_keeps_numbers(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	uint8_t buf[1500];
	struct nx_nxp_writer w;
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	uint64_t cl = 1;
	/* 18 ExecNews (75 B) and an ExecRejected (40 B) fill 1412 of 1472
	 * bytes after the Sequence; then an ExecNew does not fit, and the
	 * ExecRejected after it would. */
	for (int i = 0; i < 18; i++, cl++) {
		struct nx_nxp_new_order o = order(A, cl, NX_SIDE_BUY, 900 + i, 1);
		assert_true(nx_client_new_order(&f->ca, &w, &o) > 0);
	}
	for (int i = 0; i < 3; i++, cl++) {
		struct nx_nxp_new_order o = order(A, cl, NX_SIDE_BUY, 950, i == 1); /* qty 0: rejected */
		assert_true(nx_client_new_order(&f->ca, &w, &o) > 0);
	}
	f->out.cap = 1;
	rx(f, f->aa, buf, w.len);
	f->out.cap = EH_OUT_CAP;
	assert_int_equal(f->out.n, 1);
	assert_int_equal(assert_reports_numbered(f), 19);
	assert_true(nx_engine_stats(f->e)->out_overflow > 0);
	assert_int_equal(f->ca.expect_seq, 20);

	/* The next heartbeat shows the client what it misses; it asks, and
	 * gets exactly those reports under their own numbers. */
	f->now += 1000 * MS;
	poll_timers(f);
	assert_int_equal(f->ca.gap_from, 20);
	assert_int_equal(f->ca.gap_count, 2);
	retransmit_request(f, f->ca.gap_from, (uint32_t)f->ca.gap_count);
	assert_int_equal(assert_reports_numbered(f), 2);
	assert_int_equal(f->ca.gap_count, 0);
	assert_int_equal(f->ca.expect_seq, 22);
}

/* Client numbers the venue cannot follow end the binding: a jump past what
 * one NotApplied can report (E would otherwise jump further than reported),
 * and an Establish that far ahead. The largest reportable jump is fine. */
static void test_client_sequence_limits(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	f->ca.next_seq = 1 + (uint64_t)UINT32_MAX; /* a jump of exactly 2^32 - 1 */
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 900, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_NOT_APPLIED);
	assert_int_equal(msg(f, 0)->u.not_applied.from_seq_no, 1);
	assert_int_equal(msg(f, 0)->u.not_applied.count, UINT32_MAX);
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_EXEC_NEW);

	f->ca.next_seq += (uint64_t)UINT32_MAX + 1; /* one more than that */
	o.cl_ord_id = 2;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(count_msgs(f), 1); /* the disconnect cancel is kept, unbound */
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_TERMINATE);
	assert_int_equal(msg(f, 0)->u.terminate.code, NX_REJ_PROTOCOL_VIOLATION);
	assert_int_equal(nx_engine_stats(f->e)->seq_violations, 1);
	assert_int_equal(nx_engine_stats(f->e)->orders, 1); /* clOrdId 2 never applied */
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);

	/* Establish that far ahead is refused; at E it is fine. Then
	 * Sequence(2^64 - 1), whose message would have set E to 0 so that
	 * every resend applied again, is a jump like the one above (E can
	 * never come near 2^64 - 1 in steps of at most 2^32 - 1). */
	uint8_t buf[256];
	f->ca.next_seq = UINT64_MAX;
	rx(f, f->aa, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 3, 1000));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_REJECT);
	assert_int_equal(msg(f, 0)->u.establishment_reject.code, NX_REJ_BAD_FIELD);
	f->ca.next_seq = 1 + (uint64_t)UINT32_MAX + 1;
	rx(f, f->aa, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 4, 1000));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	f->ca.next_seq = UINT64_MAX;
	o = order(A, 3, NX_SIDE_BUY, 900, 1);
	o.time_in_force = NX_TIF_IOC;
	for (int i = 0; i < 2; i++) { /* sent twice: must not apply twice */
		uint8_t d[256];
		struct nx_nxp_writer w;
		f->ca.next_seq = UINT64_MAX;
		nx_client_begin(&f->ca, &w, d, sizeof(d));
		assert_true(nx_client_new_order(&f->ca, &w, &o) > 0);
		rx(f, f->aa, d, w.len);
	}
	assert_int_equal(nx_engine_stats(f->e)->orders, 1);
	assert_int_equal(nx_engine_stats(f->e)->seq_violations, 2);
}

/* FinishedSending(lastSeqNo) used to be answered at once with nothing said
 * of the numbers up to lastSeqNo that never came, and the client's later
 * messages were still applied. */
static void test_finished_sending_reports_missing(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 900, 1);
	send_order(f, &f->ca, f->aa, &o); /* client 1 -> venue 1 (ExecNew) */
	f->ca.next_seq = 6;               /* 2..5 were sent and lost */
	uint8_t buf[256];
	rx(f, f->aa, buf, nx_client_finished_sending(&f->ca, buf, sizeof(buf)));
	assert_int_equal(count_msgs(f), 3);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_NOT_APPLIED);
	assert_int_equal(msg(f, 0)->seq, 2);
	assert_int_equal(msg(f, 0)->u.not_applied.from_seq_no, 2);
	assert_int_equal(msg(f, 0)->u.not_applied.count, 4);
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_FINISHED_RECEIVING);
	assert_int_equal(msg(f, 2)->template_id, NX_NXP_FINISHED_SENDING);
	assert_int_equal(msg(f, 2)->u.finished_sending.last_seq_no, 2);

	/* After its FinishedSending the client sends nothing more that counts. */
	o.cl_ord_id = 2;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(f->nm, 0);
	assert_int_equal(nx_engine_stats(f->e)->drop_finished, 1);
	assert_int_equal(nx_engine_stats(f->e)->orders, 1);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 1);
	rx(f, f->aa, buf, nx_client_finished_receiving(&f->ca, buf, sizeof(buf)));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_TERMINATE);
}

/* A caller's wall clock that steps back used to read as 2^64 ns of
 * silence: every session timed out (with its cancel-on-disconnect), and
 * the throttle refilled to its full burst. */
static void test_clock_step_back(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	f->now -= 1;
	poll_timers(f);
	assert_int_equal(f->nm, 0);
	assert_int_equal(nx_engine_stats(f->e)->sessions_terminated, 0);

	/* Spend the burst of 100 messages, then step back half a second. */
	spend_messages(f, &f->ca, f->aa, A, 100);
	assert_int_equal(nx_engine_stats(f->e)->throttled, 0);
	f->now -= 500 * MS;
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 900, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_REJECTED);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_RISK_THROTTLED);
	assert_int_equal(nx_engine_stats(f->e)->throttled, 1);
}

/* Cancel-on-disconnect used to cancel every order of the account when one
 * of its sessions' bindings ended, including orders another live session
 * of the account had entered. It takes the orders the session entered. */
static void test_cancel_on_disconnect_is_per_session(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	/* A second session of account A, from another port: its replies are
	 * read here, not by the fixture's client for A. */
	struct nx_client c2;
	struct nx_addr a2 = { .ip = IP_A, .port = 5001 };
	struct nx_out_dgram d[4];
	struct nx_out out = { .d = d, .cap = 4 };
	struct nx_client_msg m[8];
	uint8_t buf[256];
	nx_client_init(&c2, 102, A, key_a);
	nx_engine_rx(f->e, buf, nx_client_negotiate(&c2, buf, sizeof(buf), 5), a2, f->now, &out);
	nx_engine_rx(f->e, buf, nx_client_establish(&c2, buf, sizeof(buf), 6, 1000), a2, f->now, &out);
	assert_int_equal(nx_client_read(&c2, d[out.n - 1].data, d[out.n - 1].len, m, 8), 1);
	assert_int_equal(m[0].template_id, NX_NXP_ESTABLISHMENT_ACK);

	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 900, 1);
	send_order(f, &f->ca, f->aa, &o);
	struct nx_nxp_writer w;
	nx_client_begin(&c2, &w, buf, sizeof(buf));
	o.cl_ord_id = 2;
	assert_true(nx_client_new_order(&c2, &w, &o) > 0);
	out.n = 0;
	nx_engine_rx(f->e, buf, w.len, a2, f->now, &out);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 2);

	/* The first session terminates: its order goes, the other's stays. */
	rx(f, f->aa, buf, nx_client_terminate(&f->ca, buf, sizeof(buf), 0));
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 1);
	struct nx_order_info oi;
	assert_int_equal(nx_book_order_by_cl(nx_engine_book(f->e), A, 2, &oi), 0);
}

/* SetCancelOnDisconnect(mode) from client c at a; returns the answer. */
static const struct nx_client_msg *set_cod(struct fx *f, struct nx_client *c, struct nx_addr a,
					   uint64_t req, uint8_t mode)
{
	uint8_t buf[256];
	struct nx_nxp_writer w;
	struct nx_nxp_set_cancel_on_disconnect r = { .req_id = req, .mode = mode };
	nx_client_begin(c, &w, buf, sizeof(buf));
	assert_true(nx_client_set_cancel_on_disconnect(c, &w, &r) > 0);
	rx(f, a, buf, w.len);
	assert_int_equal(count_msgs(f), 1);
	return msg(f, 0);
}

/* Resting orders of A's session after its binding ends and it comes back. */
static uint32_t left_after_terminate(struct fx *f)
{
	uint8_t buf[256];
	rx(f, f->aa, buf, nx_client_terminate(&f->ca, buf, sizeof(buf), 0));
	uint32_t n = nx_book_order_count(nx_engine_book(f->e));
	f->now += MS;
	rx(f, f->aa, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now, 1000));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	return n;
}

/* Cancel-on-disconnect is chosen per session (issue 3): the account's
 * configuration is each new session's default, and SetCancelOnDisconnect
 * changes it for that session alone, for every later end of its binding,
 * until it is set again. A (configured on) turns it off, then back to its
 * default; B (configured off) turns it on. */
static void test_cancel_on_disconnect_chosen_per_session(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	const struct nx_client_msg *m = set_cod(f, &f->ca, f->aa, 7, NX_NXP_COD_OFF);
	assert_int_equal(m->template_id, NX_NXP_CANCEL_ON_DISCONNECT_ACK);
	assert_int_equal(m->u.cancel_on_disconnect_ack.req_id, 7);
	assert_int_equal(m->u.cancel_on_disconnect_ack.mode, NX_NXP_COD_OFF);
	assert_int_equal(m->u.cancel_on_disconnect_ack.transact_time, f->now);
	assert_int_equal(m->seq, 1); /* a venue application message: numbered, recoverable */
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 900, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(left_after_terminate(f), 1);
	assert_int_equal(left_after_terminate(f), 1); /* kept over bindings */
	m = set_cod(f, &f->ca, f->aa, 8, NX_NXP_COD_DEFAULT);
	assert_int_equal(m->u.cancel_on_disconnect_ack.mode, NX_NXP_COD_ON);
	assert_int_equal(left_after_terminate(f), 0);

	/* B: off by configuration, on by request */
	login(f, &f->cb, f->ab);
	m = set_cod(f, &f->cb, f->ab, 1, NX_NXP_COD_ON);
	assert_int_equal(m->u.cancel_on_disconnect_ack.mode, NX_NXP_COD_ON);
	o = order(B, 1, NX_SIDE_SELL, 1100, 1);
	send_order(f, &f->cb, f->ab, &o);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 1);
	uint8_t buf[256];
	rx(f, f->ab, buf, nx_client_terminate(&f->cb, buf, sizeof(buf), 0));
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);
}

/* A mode outside the enum is refused BAD_FIELD, naming the request, and
 * changes nothing. */
static void test_cancel_on_disconnect_bad_mode(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	const struct nx_client_msg *m = set_cod(f, &f->ca, f->aa, 9, 3);
	assert_int_equal(m->template_id, NX_NXP_BUSINESS_REJECT);
	assert_int_equal(m->u.business_reject.reason, NX_REJ_BAD_FIELD);
	assert_int_equal(m->u.business_reject.ref_id, 9);
	assert_int_equal(m->u.business_reject.ref_template_id, NX_NXP_SET_CANCEL_ON_DISCONNECT);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 900, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(left_after_terminate(f), 0); /* still the account's: on */
}

/* A message error (not a framing error) in a session datagram's first
 * message used to drop the whole datagram; the receiver steps over it. */
static void test_first_message_bad_rest_read(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	struct nx_nxp_writer w;
	nx_nxp_writer_init(&w, buf, sizeof(buf));
	struct nx_nxp_terminate t = { .session_id = 1 };
	size_t bad = nx_nxp_encode_terminate(&w, &t);
	buf[8] = 0x77; /* templateId (SBE header at 6, LE): 0x..77, unknown */
	buf[9] = 0x77;
	size_t n = nx_client_negotiate(&f->ca, buf + bad, sizeof(buf) - bad, f->now);
	rx(f, f->aa, buf, bad + n);
	assert_int_equal(count_msgs(f), 1);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_NEGOTIATION_RESPONSE);
	assert_int_equal(nx_engine_stats(f->e)->drop_malformed, 1);
}

/* --- Reflection and amplification (security review, 2026-11) -------------- */

/* A datagram of session messages is read to its end, and every refused
 * one used to get its own reply datagram: from a forged source, one
 * datagram of 35 RetransmitRequests (or Negotiates with a wrong key) made
 * the venue send 35 datagrams to a third party, more packets and more bytes
 * on the wire than the stranger sent. A refusal now ends its datagram: at
 * most one reply, smaller than the request it answers. */
static void test_refusals_do_not_amplify(void **state)
{
	struct fx *f = *state;
	struct nx_addr victim = { .ip = 0x0b000009, .port = 53 };
	uint8_t buf[1472];
	struct nx_nxp_writer w;
	nx_nxp_writer_init(&w, buf, sizeof(buf));
	int k = 0;
	for (;; k++) {
		struct nx_nxp_retransmit_request rq = { .session_id = 101, .timestamp = (uint64_t)k,
							.from_seq_no = 1, .count = 1 };
		if (!nx_nxp_encode_retransmit_request(&w, &rq))
			break;
	}
	assert_true(k >= 30);
	f->out.n = 0;
	nx_engine_rx(f->e, buf, w.len, victim, f->now, &f->out);
	assert_int_equal(f->out.n, 1);
	assert_true(f->out.d[0].len < w.len / (size_t)k + 1);

	nx_nxp_writer_init(&w, buf, sizeof(buf));
	uint8_t bad[32] = { 7 };
	for (k = 0;; k++) {
		struct nx_nxp_negotiate n = { .session_id = 1000 + (uint64_t)k, .timestamp = 1,
					      .account = A, .client_flow = NX_NXP_FLOW_IDEMPOTENT };
		memcpy(n.secret_key, bad, 32);
		if (!nx_nxp_encode_negotiate(&w, &n))
			break;
	}
	f->out.n = 0;
	nx_engine_rx(f->e, buf, w.len, victim, f->now, &f->out);
	assert_int_equal(f->out.n, 1);
	/* a bound client's address is a third party to a forger too */
	login(f, &f->ca, f->aa);
	f->out.n = 0;
	nx_engine_rx(f->e, buf, w.len, f->aa, f->now, &f->out);
	assert_int_equal(f->out.n, 1);
}

/* One request per session at a time: but an answer that fit the output was
 * over before the datagram's next message was read, so one datagram of 30
 * RetransmitRequests for the whole history was served 30 times, a 1260-byte
 * datagram answered with 30 x 30 reports (an unthrottled flood the shard
 * spends its output on; at an address the session was bound to by a forged
 * Establish, a third party's). A RetransmitRequest now ends its datagram. */
static void test_one_retransmission_per_datagram(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	send_orders(f, 1, 30); /* venue messages 1..30 */
	uint8_t buf[1472];
	size_t len = 0, n;
	int k = 0;
	for (; (n = nx_client_retransmit_request(&f->ca, buf + len, sizeof(buf) - len, f->now, 1, 30));
	     k++)
		len += n;
	assert_true(k >= 30);
	f->out.n = 0;
	nx_engine_rx(f->e, buf, len, f->aa, f->now, &f->out);
	assert_int_equal(nx_engine_stats(f->e)->retransmitted, 30);
}

/* --- The client library's side ------------------------------------------------ */

/* A venue datagram: Sequence (or Retransmission) of `first`, then n
 * BusinessRejects whose refSeqNo is their own number. */
static size_t venue_dgram(uint8_t *buf, size_t cap, int retrans, uint64_t first, uint32_t n)
{
	struct nx_nxp_writer w;
	nx_nxp_writer_init(&w, buf, cap);
	if (retrans) {
		struct nx_nxp_retransmission r = { .session_id = 101, .next_seq_no = first, .count = n };
		nx_nxp_encode_retransmission(&w, &r);
	} else {
		struct nx_nxp_sequence s = { .next_seq_no = first };
		nx_nxp_encode_sequence(&w, &s);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct nx_nxp_business_reject b = { .ref_seq_no = first + i };
		assert_true(nx_nxp_encode_business_reject(&w, &b) > 0);
	}
	return w.len;
}

/* An answer that goes on past numbers the venue's history lost: the empty
 * Retransmission(kept, 0), then Retransmission(first, n) and n messages
 * (n = 0: the empty one alone). */
static size_t venue_answer(uint8_t *buf, size_t cap, uint64_t kept, uint64_t first, uint32_t n)
{
	struct nx_nxp_writer w;
	struct nx_nxp_retransmission r = { .session_id = 101, .next_seq_no = kept, .count = 0 };
	nx_nxp_writer_init(&w, buf, cap);
	nx_nxp_encode_retransmission(&w, &r);
	return n ? w.len + venue_dgram(buf + w.len, cap - w.len, 1, first, n) : w.len;
}

static int client_read_answer(struct nx_client *c, uint64_t kept, uint64_t first, uint32_t n)
{
	uint8_t buf[1500];
	struct nx_client_msg m[32];
	return nx_client_read(c, buf, venue_answer(buf, sizeof(buf), kept, first, n), m, 32);
}

static int client_read(struct nx_client *c, int retrans, uint64_t first, uint32_t n)
{
	uint8_t buf[1500];
	struct nx_client_msg m[32];
	size_t len = venue_dgram(buf, sizeof(buf), retrans, first, n);
	return nx_client_read(c, buf, len, m, 32);
}

/* Two separate gaps (2, then 4 and 5) used to be merged into "3 from 2",
 * and filling 2..4 cleared it: 5 was never asked for. The gap is now the
 * span 2..5, cleared only when all of it came back. */
static void test_client_gaps_span(void **state)
{
	(void)state;
	struct nx_client c;
	nx_client_init(&c, 101, A, key_a);
	c.expect_seq = 1;
	client_read(&c, 0, 1, 1);
	client_read(&c, 0, 3, 1);
	assert_int_equal(c.gap_from, 2);
	assert_int_equal(c.gap_count, 1);
	client_read(&c, 0, 6, 1);
	assert_int_equal(c.gap_from, 2);
	assert_int_equal(c.gap_count, 4); /* the span 2..5: 3 is asked for again */
	assert_int_equal(c.expect_seq, 7);
	client_read(&c, 1, 2, 3);         /* a partial answer: 2..4 */
	assert_int_equal(c.gap_from, 5);
	assert_int_equal(c.gap_count, 1);
	client_read(&c, 1, 5, 1);
	assert_int_equal(c.gap_count, 0);
	assert_int_equal(c.gap_from, 0);
	assert_int_equal(c.expect_seq, 7);
}

/* Like client_read, keeping the messages: their duplicate flags in dups[]
 * (a Sequence or Retransmission header first, which is never one). */
static int client_read_dups(struct nx_client *c, int retrans, uint64_t first, uint32_t n,
			    uint8_t *dups)
{
	uint8_t buf[1500];
	struct nx_client_msg m[32];
	size_t len = venue_dgram(buf, sizeof(buf), retrans, first, n);
	int k = nx_client_read(c, buf, len, m, 32);
	for (int i = 0; i < k; i++)
		dups[i] = m[i].duplicate;
	return k;
}

/* Regression (session 15): a message that arrived inside a gap's span (3,
 * between the gaps 2 and 4..5) came back with the span's retransmission
 * and was returned as new, uncounted, so nxgen counted its replies and
 * rejects twice. It is now flagged duplicate and counted; the others of
 * the answer are not. */
static void test_client_span_duplicates(void **state)
{
	(void)state;
	struct nx_client c;
	uint8_t d[32];
	nx_client_init(&c, 101, A, key_a);
	client_read(&c, 0, 1, 1);
	client_read(&c, 0, 3, 1);
	client_read(&c, 0, 6, 1);
	assert_int_equal(c.duplicates, 0);
	assert_int_equal(client_read_dups(&c, 1, 2, 4, d), 5); /* 2..5 */
	assert_int_equal(d[0], 0);
	assert_int_equal(d[1], 0); /* 2 */
	assert_int_equal(d[2], 1); /* 3 had arrived */
	assert_int_equal(d[3], 0); /* 4 */
	assert_int_equal(d[4], 0); /* 5 */
	assert_int_equal(c.duplicates, 1);
	assert_int_equal(c.gap_count, 0);
	/* The span is forgotten once filled: a new gap's span (8, then 10
	 * arrived) flags only what arrived inside it; 6 again live is one. */
	client_read(&c, 0, 7, 1);
	client_read(&c, 0, 9, 1);
	assert_int_equal(c.gap_from, 8);
	assert_int_equal(client_read_dups(&c, 0, 6, 1, d), 2);
	assert_int_equal(d[1], 1);
	assert_int_equal(client_read_dups(&c, 1, 8, 2, d), 3); /* 8, 9 */
	assert_int_equal(d[1], 0);
	assert_int_equal(d[2], 1);
	assert_int_equal(c.duplicates, 3);
	assert_int_equal(c.gap_count, 0);
}

/* A message the client library cannot read (a newer venue's template) used
 * to make it refuse the whole datagram; it is skipped, keeping its number. */
static void test_client_skips_unknown_template(void **state)
{
	(void)state;
	struct nx_client c;
	nx_client_init(&c, 101, A, key_a);
	c.expect_seq = 1;
	uint8_t buf[1500];
	struct nx_client_msg m[8];
	size_t len = venue_dgram(buf, sizeof(buf), 0, 1, 2);
	/* The first BusinessReject (after the 22-byte Sequence): templateId
	 * at 22 + 8 becomes one this library does not know. */
	buf[22 + 8] = 0x99;
	buf[22 + 9] = 0x09;
	int n = nx_client_read(&c, buf, len, m, 8);
	assert_int_equal(n, 2); /* the Sequence, and message 2 */
	assert_int_equal(m[1].template_id, NX_NXP_BUSINESS_REJECT);
	assert_int_equal(m[1].seq, 2);
	assert_int_equal(m[1].u.business_reject.ref_seq_no, 2);
	assert_int_equal(c.skipped, 1);
	assert_int_equal(c.expect_seq, 3);
	assert_int_equal(c.gap_count, 0);
}

/* A Retransmission that skips the front of the range asked for (overwritten
 * in the venue's history, test_retransmit_outlived_by_history) used to leave
 * the gap in place for ever, its later numbers counted as duplicates: asking
 * again was refused. Those numbers are now taken off the gap as expired. */
static void test_client_retransmission_skips_expired(void **state)
{
	(void)state;
	struct nx_client c;
	uint8_t buf[256];
	nx_client_init(&c, 101, A, key_a);
	client_read(&c, 0, 1, 1);
	client_read(&c, 0, 5, 1);
	assert_int_equal(c.gap_from, 2);
	assert_int_equal(c.gap_count, 3);
	assert_true(nx_client_retransmit_request(&c, buf, sizeof(buf), 1, 2, 3) > 0);
	assert_int_equal(client_read_answer(&c, 3, 3, 2), 4); /* 2 expired; 3 and 4 resent */
	assert_int_equal(c.gap_count, 0);
	assert_int_equal(c.gap_from, 0);
	assert_int_equal(c.expired, 1);
	assert_int_equal(c.duplicates, 0);
}

/* Regression (review of the order-entry protocol, rev7): numbers a
 * Retransmission skips were all counted expired, though some had arrived
 * live inside the gap's span (3 below): expired said 2 messages were lost
 * for good where 1 was. Only those that never arrived are expired. */
static void test_client_expired_counts_only_missing(void **state)
{
	(void)state;
	struct nx_client c;
	uint8_t buf[256];
	nx_client_init(&c, 101, A, key_a);
	client_read(&c, 0, 1, 1);
	client_read(&c, 0, 3, 1);
	client_read(&c, 0, 6, 1);
	assert_int_equal(c.gap_from, 2);
	assert_int_equal(c.gap_count, 4); /* the span 2..5; 3 arrived */
	assert_true(nx_client_retransmit_request(&c, buf, sizeof(buf), 1, 2, 4) > 0);
	assert_int_equal(client_read_answer(&c, 4, 4, 2), 4); /* 2 and 3 gone; 4, 5 resent */
	assert_int_equal(c.gap_count, 0);
	assert_int_equal(c.expired, 1);   /* 2 only: 3 is not lost */
	assert_int_equal(c.duplicates, 0);
}

/* Only the venue's empty Retransmission says numbers are gone. An answer
 * datagram lost on the way, or overtaken by the next one, used to read the
 * same as a skip: its numbers were counted expired and never asked for
 * again though the venue still held them (and a late one came back
 * flagged duplicate). Now they stay in the gap. */
static void test_client_lost_answer_is_not_expiry(void **state)
{
	(void)state;
	uint8_t buf[256];
	for (int reordered = 0; reordered < 2; reordered++) {
		struct nx_client c;
		struct nx_client_msg m[32];
		nx_client_init(&c, 101, A, key_a);
		client_read(&c, 0, 1, 1);
		client_read(&c, 0, 7, 1);
		assert_int_equal(c.gap_count, 5); /* 2..6 */
		assert_true(nx_client_retransmit_request(&c, buf, sizeof(buf), 1, 2, 5) > 0);
		size_t len = venue_dgram(buf, sizeof(buf), 1, 4, 3); /* the second answer: 4..6 */
		assert_int_equal(nx_client_read(&c, buf, len, m, 32), 4);
		for (int i = 1; i < 4; i++)
			assert_false(m[i].duplicate);
		assert_int_equal(c.expired, 0);
		assert_int_equal(c.gap_from, 2); /* 2 and 3 still missing */
		assert_int_equal(c.rt_end, 0);   /* the answer reached its end */
		if (reordered) {
			assert_int_equal(client_read(&c, 1, 2, 2), 3); /* the first, late */
		} else {
			assert_true(nx_client_retransmit_request(&c, buf, sizeof(buf), 2, 2, 2) > 0);
			assert_int_equal(client_read(&c, 1, 2, 2), 3); /* asked again */
		}
		assert_int_equal(c.gap_count, 0);
		assert_int_equal(c.expired, 0);
		assert_int_equal(c.duplicates, 0);
	}
	/* The empty Retransmission alone, at the end of a range: the rest of it
	 * is gone, and the request is over. */
	struct nx_client c;
	nx_client_init(&c, 101, A, key_a);
	client_read(&c, 0, 1, 1);
	client_read(&c, 0, 5, 1);
	assert_true(nx_client_retransmit_request(&c, buf, sizeof(buf), 1, 2, 3) > 0);
	assert_int_equal(client_read_answer(&c, 5, 5, 0), 1);
	assert_int_equal(c.expired, 3);
	assert_int_equal(c.gap_count, 0);
	assert_int_equal(c.rt_end, 0);
}

/* A client whose gap's front has left the venue's history (asking for it
 * was refused RETRANSMIT_OUT_OF_RANGE then) asks for the part still kept:
 * 6..11 of the span 2..11. Those numbers had never arrived, yet every one
 * came back flagged duplicate (only the span's front was taken as new), so
 * a client that skips duplicates lost them all. They are new, noted in the
 * span, and when the front comes after all they are the duplicates. */
static void test_client_retransmission_inside_span(void **state)
{
	(void)state;
	struct nx_client c;
	uint8_t buf[256], d[32];
	nx_client_init(&c, 101, A, key_a);
	client_read(&c, 0, 1, 1);
	client_read(&c, 0, 12, 1);
	assert_int_equal(c.gap_from, 2);
	assert_int_equal(c.gap_count, 10); /* 2..11 */
	assert_true(nx_client_retransmit_request(&c, buf, sizeof(buf), 1, 6, 6) > 0);
	assert_int_equal(client_read_dups(&c, 1, 6, 6, d), 7);
	for (int i = 1; i <= 6; i++)
		assert_int_equal(d[i], 0); /* 6..11: first seen */
	assert_int_equal(c.duplicates, 0);
	assert_int_equal(c.gap_from, 2); /* 2..5 still missing */
	assert_int_equal(c.gap_count, 10);
	assert_true(nx_client_retransmit_request(&c, buf, sizeof(buf), 1, 2, 10) > 0);
	assert_int_equal(client_read_dups(&c, 1, 2, 10, d), 11);
	for (int i = 1; i <= 4; i++)
		assert_int_equal(d[i], 0); /* 2..5 */
	for (int i = 5; i <= 10; i++)
		assert_int_equal(d[i], 1); /* 6..11 again */
	assert_int_equal(c.duplicates, 6);
	assert_int_equal(c.gap_count, 0);
	assert_int_equal(c.expect_seq, 13);
}

/* Application messages with no Sequence before them were numbered from 0
 * (the second one as venue message 1, so the real message 1 became a
 * "duplicate"); and a framing error after good messages returned -1 with
 * expect_seq already past them, so they were neither returned nor missed. */
static void test_client_unreadable_datagrams(void **state)
{
	(void)state;
	struct nx_client c;
	struct nx_client_msg m[8];
	uint8_t buf[1500];
	nx_client_init(&c, 101, A, key_a);
	struct nx_nxp_writer w;
	nx_nxp_writer_init(&w, buf, sizeof(buf));
	for (int i = 0; i < 2; i++) {
		struct nx_nxp_business_reject b = { .ref_seq_no = 7 };
		assert_true(nx_nxp_encode_business_reject(&w, &b) > 0);
	}
	assert_int_equal(nx_client_read(&c, buf, w.len, m, 8), 0);
	assert_int_equal(c.expect_seq, 1);
	assert_int_equal(c.skipped, 2);

	size_t len = venue_dgram(buf, sizeof(buf), 0, 1, 2);
	buf[len++] = 0; /* three bytes too few for a SOFH */
	buf[len++] = 0;
	buf[len++] = 0;
	assert_int_equal(nx_client_read(&c, buf, len, m, 8), -1);
	assert_int_equal(c.expect_seq, 1);
	client_read(&c, 0, 3, 1); /* so 1 and 2 are a gap */
	assert_int_equal(c.gap_from, 1);
	assert_int_equal(c.gap_count, 2);
}

/* A retransmitted message the client cannot read (a newer template) still
 * had its number: at the span's front it is taken off, and so are the
 * numbers after it that had arrived (found in a review: they stayed on the
 * gap and were asked for again). */
static void test_client_unreadable_front_drains_span(void **state)
{
	(void)state;
	struct nx_client c;
	struct nx_client_msg m[8];
	uint8_t buf[256];
	nx_client_init(&c, 101, A, key_a);
	client_read(&c, 0, 1, 1);
	client_read(&c, 0, 4, 1);
	client_read(&c, 0, 3, 1); /* late: 2 alone is missing, 3 noted */
	assert_int_equal(c.gap_from, 2);
	assert_int_equal(c.gap_count, 2);
	size_t len = venue_dgram(buf, sizeof(buf), 1, 2, 1);
	/* the BusinessReject after the Retransmission gets template 250 */
	size_t at = NX_NXP_OVERHEAD + NX_NXP_RETRANSMISSION_BLOCK_LEN + NX_NXP_SOFH_LEN + 2;
	buf[at] = 250;
	buf[at + 1] = 0;
	assert_int_equal(nx_client_read(&c, buf, len, m, 8), 1); /* the Retransmission only */
	assert_int_equal(c.skipped, 1);
	assert_int_equal(c.gap_count, 0);
	assert_int_equal(c.gap_from, 0);
}

/* The venue refused to resend a gap: nx_client_abandon_gap counts what is
 * still missing expired, forgets what had arrived inside it and the request
 * in progress. (nxgen cleared gap_from and gap_count by hand, leaving the
 * arrival bits to flag a later gap's messages, and the request open.) */
static void test_client_abandon_gap(void **state)
{
	(void)state;
	struct nx_client c;
	uint8_t buf[256];
	nx_client_init(&c, 101, A, key_a);
	client_read(&c, 0, 1, 1);
	client_read(&c, 0, 7, 1);
	client_read(&c, 0, 4, 1); /* late: 2, 3, 5, 6 missing */
	assert_true(nx_client_retransmit_request(&c, buf, sizeof(buf), 1, 2, 5) > 0);
	assert_int_not_equal(c.rt_end, 0);
	assert_int_equal(nx_client_abandon_gap(&c), 4);
	assert_int_equal(c.expired, 4);
	assert_int_equal(c.gap_count, 0);
	assert_int_equal(c.gap_from, 0);
	assert_int_equal(c.rt_end, 0);
	/* A later gap starts clean: 4's arrival, noted in the bit 4100 shares
	 * (NX_CLIENT_SPAN_BITS apart), does not make 4100 a duplicate. */
	client_read(&c, 0, 4101, 1); /* 8..4100 missing */
	assert_int_equal(c.gap_from, 8);
	struct nx_client_msg m[8];
	size_t len = venue_dgram(buf, sizeof(buf), 1, 4100, 1);
	assert_int_equal(nx_client_read(&c, buf, len, m, 8), 2);
	assert_int_equal(m[1].seq, 4100);
	assert_false(m[1].duplicate);
	assert_int_equal(nx_client_abandon_gap(&c), 4092); /* 8..4099 */
	assert_int_equal(nx_client_abandon_gap(&c), 0);    /* nothing left to give up */
}

/* Regression (rev17): a datagram that arrived late (reordered behind a
 * later one, so inside the gap's span) was flagged duplicate though it was
 * new, and was left on the gap: its retransmission then came back *not*
 * flagged, so every late number was returned twice as new once. It is new,
 * noted in the span, and a front that has arrived is taken off the gap. */
static void test_client_reordered_in_span(void **state)
{
	(void)state;
	struct nx_client c;
	uint8_t d[32];
	nx_client_init(&c, 101, A, key_a);
	client_read(&c, 0, 1, 1);
	client_read(&c, 0, 4, 1); /* 2, 3 late */
	assert_int_equal(c.gap_from, 2);
	assert_int_equal(c.gap_count, 2);
	assert_int_equal(client_read_dups(&c, 0, 3, 1, d), 2);
	assert_int_equal(d[1], 0); /* 3: first seen, not a duplicate */
	assert_int_equal(c.duplicates, 0);
	assert_int_equal(c.gap_count, 2); /* 2 still missing: the span 2..3 */
	assert_int_equal(client_read_dups(&c, 0, 2, 1, d), 2);
	assert_int_equal(d[1], 0); /* 2 as well */
	assert_int_equal(c.gap_count, 0); /* nothing is missing any more */
	assert_int_equal(c.gap_from, 0);
	assert_int_equal(client_read_dups(&c, 0, 2, 2, d), 3); /* a repeat of 2, 3 */
	assert_int_equal(d[1], 1);
	assert_int_equal(d[2], 1);
	assert_int_equal(c.duplicates, 2);
	/* Retransmitted after arriving late: flagged. */
	client_read(&c, 0, 7, 1); /* 5, 6 missing */
	client_read(&c, 0, 6, 1); /* 6 late */
	assert_int_equal(c.gap_from, 5);
	assert_int_equal(c.gap_count, 2);
	assert_int_equal(client_read_dups(&c, 1, 5, 2, d), 3);
	assert_int_equal(d[1], 0); /* 5 */
	assert_int_equal(d[2], 1); /* 6 had arrived */
	assert_int_equal(c.duplicates, 3);
	assert_int_equal(c.gap_count, 0);
}

/* A property: venue datagrams of 1..4 messages, some lost, some repeated,
 * some swapped with the next; now and then the gap is asked for, and the
 * answer (several Retransmissions) may skip numbers as expired after its
 * first datagram. Every number must come back unflagged exactly once
 * unless expired, every later return flagged, and the counters agree. */
#define PROP_N 300
static uint8_t prop_seen[PROP_N + 2];
static uint64_t prop_flagged;

static void prop_read(struct nx_client *c, int retrans, uint64_t first, uint32_t n, unsigned seed)
{
	uint8_t buf[1500];
	struct nx_client_msg m[32];
	int k = nx_client_read(c, buf, venue_dgram(buf, sizeof(buf), retrans, first, n), m, 32);
	assert_true(k >= 0);
	for (int i = 0; i < k; i++) {
		uint64_t q = m[i].seq;
		if (!q)
			continue;
		if (m[i].duplicate != prop_seen[q])
			fail_msg("seed %u: %llu returned %s, duplicate=%u", seed, (unsigned long long)q,
				 prop_seen[q] ? "again" : "first", m[i].duplicate);
		prop_seen[q] = 1;
		prop_flagged += m[i].duplicate;
	}
}

/* The venue's answer to a request for the gap, in datagrams of 1-5; with
 * expiry, now and then the next 1-3 numbers are gone from its history,
 * which an empty Retransmission at the front of the next datagram (or
 * alone at the end) says. */
static void prop_serve(struct nx_client *c, int expiry, unsigned seed)
{
	uint8_t b[1500];
	struct nx_client_msg m[32];
	uint64_t from = c->gap_from, end = c->gap_from + c->gap_count, s = from;
	nx_client_retransmit_request(c, b, sizeof(b), 1, from, (uint32_t)c->gap_count);
	for (int first = 1; s < end; first = 0) {
		int gone = !first && expiry && rand() % 4 == 0;
		if (gone && (s += 1 + (unsigned)rand() % 3) >= end) {
			assert_true(nx_client_read(c, b, venue_answer(b, sizeof(b), end, end, 0), m, 32) >= 0);
			break;
		}
		uint32_t n = 1 + (unsigned)rand() % 5;
		if (s + n > end)
			n = (uint32_t)(end - s);
		if (gone) {
			int k = nx_client_read(c, b, venue_answer(b, sizeof(b), s, s, n), m, 32);
			assert_true(k >= 0);
			for (int i = 0; i < k; i++)
				if (m[i].seq) {
					assert_int_equal(m[i].duplicate, prop_seen[m[i].seq]);
					prop_flagged += m[i].duplicate;
					prop_seen[m[i].seq] = 1;
				}
		} else {
			prop_read(c, 1, s, n, seed);
		}
		s += n;
	}
}

static void prop_run(unsigned seed, int expiry)
{
	struct { uint64_t f; uint32_t n; uint8_t swapped; } q[PROP_N];
	int nq = 0;
	struct nx_client c;
	srand(seed);
	nx_client_init(&c, 101, A, key_a);
	memset(prop_seen, 0, sizeof(prop_seen));
	prop_flagged = 0;
	for (uint64_t s = 1; s <= PROP_N; nq++) {
		uint32_t n = 1 + (unsigned)rand() % 4;
		if (s + n > PROP_N + 1)
			n = (uint32_t)(PROP_N + 1 - s);
		q[nq].f = s, q[nq].n = n, q[nq].swapped = 0;
		s += n;
	}
	for (int i = 0; i + 1 < nq; i++)
		if (rand() % 5 == 0) {
			__typeof__(q[0]) t = q[i];
			q[i] = q[i + 1], q[i + 1] = t;
			q[i].swapped = 1; /* no recovery before the late one arrives */
			i++;
		}
	for (int i = 0; i < nq; i++) {
		int r = rand() % 10;
		if (r == 0)
			continue; /* lost */
		prop_read(&c, 0, q[i].f, q[i].n, seed);
		if (r == 1)
			prop_read(&c, 0, q[i].f, q[i].n, seed); /* repeated */
		if (rand() % 7 == 0 && c.gap_count && !q[i].swapped)
			prop_serve(&c, expiry, seed);
	}
	prop_read(&c, 0, PROP_N + 1, 0, seed); /* a heartbeat shows the tail */
	while (c.gap_count)
		prop_serve(&c, expiry, seed);
	uint64_t missing = 0;
	for (int s = 1; s <= PROP_N; s++)
		missing += !prop_seen[s];
	assert_int_equal(c.duplicates, prop_flagged);
	assert_int_equal(c.expired, missing);
	assert_int_equal(c.expect_seq, PROP_N + 1);
}

static void test_client_loss_repeat_reorder_property(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 200; seed++) {
		prop_run(seed, 0);
		prop_run(seed, 1);
	}
}

/* --- The retransmission budget (sessions.retransmit_rate, _burst) ----------------- */

/* The file's defaults at this fixture's history: 10,000 messages a second,
 * four histories deep. */
#define RT_RATE NX_RETRANSMIT_RATE_DEFAULT
#define RT_BURST (NX_RETRANSMIT_BURST_HISTORIES * EH_HISTORY)

/* The fixture's engine replaced by one with this budget (rate 0: none). */
static void use_budget(struct fx *f, uint32_t rate, uint32_t burst)
{
	char err[256];
	nx_engine_destroy(f->e);
	f->e = make_engine_retransmit(rate, burst, err, sizeof(err));
	if (!f->e)
		fail_msg("%s", err);
}

/* RetransmitRequest(from, count) from c at address a; 1 when it was served
 * (count messages resent: more than f->m holds, so counted by the engine),
 * 0 when refused RETRANSMIT_THROTTLED. Any other answer fails. */
static int rt_ask(struct fx *f, struct nx_client *c, struct nx_addr a, uint64_t from, uint32_t count)
{
	uint8_t buf[256];
	uint64_t before = nx_engine_stats(f->e)->retransmitted;
	rx(f, a, buf, nx_client_retransmit_request(c, buf, sizeof(buf), f->now, from, count));
	if (f->nm == 1 && f->m[0].template_id == NX_NXP_RETRANSMIT_REJECT) {
		assert_int_equal(f->m[0].u.retransmit_reject.code, NX_REJ_RETRANSMIT_THROTTLED);
		assert_int_equal(nx_engine_stats(f->e)->retransmitted, before);
		return 0;
	}
	assert_int_equal(f->m[0].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(f->m[0].u.retransmission.next_seq_no, from);
	assert_int_equal(nx_engine_stats(f->e)->retransmitted, before + count);
	return 1;
}

/* A RetransmitRequest made the venue resend up to its whole history, and
 * nothing bounded how often: back to back, one client's 42-byte requests
 * became a flood of resent messages, on the shard's core. Now each session
 * has a budget of messages resent: a request it cannot cover is refused
 * whole, RETRANSMIT_THROTTLED, counted, and costs nothing. */
static void test_retransmit_budget_refuses_burst(void **state)
{
	struct fx *f = *state;
	use_budget(f, RT_RATE, RT_BURST);
	/* Negotiated, not established: no session at the address, so no
	 * request to charge (a negotiated session cannot ask). */
	uint8_t buf[256];
	rx(f, f->aa, buf, nx_client_negotiate(&f->ca, buf, sizeof(buf), f->now + 1));
	rx(f, f->aa, buf, nx_client_retransmit_request(&f->ca, buf, sizeof(buf), f->now, 1, 1));
	assert_int_equal(msg(f, 0)->u.retransmit_reject.code, NX_REJ_RETRANSMIT_WRONG_SESSION);
	rx(f, f->aa, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 2, 1000));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);

	send_orders(f, 1, EH_HISTORY); /* venue messages 1..64 */
	for (uint32_t i = 0; i < NX_RETRANSMIT_BURST_HISTORIES; i++)
		assert_true(rt_ask(f, &f->ca, f->aa, 1, EH_HISTORY)); /* the whole history, 4 times */
	assert_false(rt_ask(f, &f->ca, f->aa, 1, EH_HISTORY));
	assert_false(rt_ask(f, &f->ca, f->aa, EH_HISTORY, 1));
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	assert_int_equal(st->retransmit_throttled, 2);
	assert_int_equal(st->rejects[NX_REJ_RETRANSMIT_THROTTLED], 2);
	assert_int_equal(st->retransmitted, RT_BURST);
	/* Binding again (a move to another port) gives no fresh budget. */
	struct nx_addr moved = { .ip = IP_A, .port = 5001 };
	rx(f, moved, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 3, 1000));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	assert_false(rt_ask(f, &f->ca, moved, 1, 1));
	/* Other sessions have their own. */
	login(f, &f->cb, f->ab);
	struct nx_nxp_new_order o = order(B, 1, NX_SIDE_SELL, 1100, 1);
	send_order(f, &f->cb, f->ab, &o);
	assert_true(rt_ask(f, &f->cb, f->ab, 1, 1));
	assert_int_equal(st->retransmit_throttled, 3);
}

/* The budget refills at retransmit_rate, to the nanosecond, up to
 * retransmit_burst; a refused request spends nothing; a clock that steps
 * back adds nothing. */
static void test_retransmit_budget_refills(void **state)
{
	struct fx *f = *state;
	use_budget(f, RT_RATE, RT_BURST);
	login(f, &f->ca, f->aa);
	send_orders(f, 1, EH_HISTORY);
	for (uint32_t i = 0; i < NX_RETRANSMIT_BURST_HISTORIES; i++)
		assert_true(rt_ask(f, &f->ca, f->aa, 1, EH_HISTORY));
	/* 64 messages at 10,000 a second: 6.4 ms */
	f->now += 6400000 - 1;
	assert_false(rt_ask(f, &f->ca, f->aa, 1, EH_HISTORY));
	f->now += 1;
	assert_true(rt_ask(f, &f->ca, f->aa, 1, EH_HISTORY));
	assert_false(rt_ask(f, &f->ca, f->aa, 1, 1));
	f->now += 100000; /* one message's worth */
	assert_true(rt_ask(f, &f->ca, f->aa, 1, 1));
	assert_false(rt_ask(f, &f->ca, f->aa, 1, 1));
	f->now -= 1000 * MS; /* the clock steps back a second: nothing added */
	assert_false(rt_ask(f, &f->ca, f->aa, 1, 1));
	f->now += 100000; /* and the refill goes on from there */
	assert_true(rt_ask(f, &f->ca, f->aa, 1, 1));
	/* An hour later the bucket holds the burst, no more. */
	f->now += 3600000 * MS;
	for (uint32_t i = 0; i < NX_RETRANSMIT_BURST_HISTORIES; i++)
		assert_true(rt_ask(f, &f->ca, f->aa, 1, EH_HISTORY));
	assert_false(rt_ask(f, &f->ca, f->aa, 1, 1));
	assert_int_equal(nx_engine_stats(f->e)->retransmit_throttled, 5);
}

/* The defaults never refuse a client's normal recovery: every other
 * datagram of its flow lost for 40 s and recovered through the client
 * library's gap, then a fail-over to another port that recovers the whole
 * history and, its answer lost too, asks for it all again. */
static void test_retransmit_budget_normal_recovery(void **state)
{
	struct fx *f = *state;
	use_budget(f, RT_RATE, RT_BURST);
	login(f, &f->ca, f->aa);
	uint8_t buf[1500];
	uint64_t cl = 1;
	for (int round = 0; round < 400; round++) {
		struct nx_nxp_writer w;
		nx_client_begin(&f->ca, &w, buf, sizeof(buf));
		for (int k = 0; k < 20; k++, cl++) {
			struct nx_nxp_new_order o = order(A, cl, NX_SIDE_BUY, 900 + (int64_t)(cl % 50), 1);
			assert_true(nx_client_new_order(&f->ca, &w, &o) > 0);
		}
		if (round % 2 == 0) { /* the answer is lost */
			f->out.n = 0;
			nx_engine_rx(f->e, buf, w.len, f->aa, f->now, &f->out);
		} else {
			rx(f, f->aa, buf, w.len);
			assert_int_equal(f->ca.gap_count, 20);
			assert_true(rt_ask(f, &f->ca, f->aa, f->ca.gap_from, (uint32_t)f->ca.gap_count));
			assert_int_equal(f->ca.gap_count, 0);
		}
		f->now += 100 * MS;
	}
	struct nx_addr moved = { .ip = IP_A, .port = 5001 };
	rx(f, moved, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 3, 1000));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	uint64_t from = f->ca.expect_seq - EH_HISTORY;
	assert_true(rt_ask(f, &f->ca, moved, from, EH_HISTORY));
	assert_true(rt_ask(f, &f->ca, moved, from, EH_HISTORY));
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	assert_int_equal(st->retransmit_throttled, 0);
	assert_int_equal(st->rejects[NX_REJ_RETRANSMIT_THROTTLED], 0);
	assert_int_equal(st->retransmitted, 200 * 20 + 2 * EH_HISTORY);
}

/* retransmit_rate 0: no budget, whatever the burst (a config built in code
 * without the fields, as before they existed). */
static void test_retransmit_budget_disabled(void **state)
{
	struct fx *f = *state;
	use_budget(f, 0, 0);
	login(f, &f->ca, f->aa);
	send_orders(f, 1, EH_HISTORY);
	for (int i = 0; i < 100; i++)
		assert_true(rt_ask(f, &f->ca, f->aa, 1, EH_HISTORY));
	assert_int_equal(nx_engine_stats(f->e)->retransmit_throttled, 0);
	assert_int_equal(nx_engine_stats(f->e)->retransmitted, 100 * EH_HISTORY);
}

/* A bucket smaller than the history could never serve a request for all of
 * it (requests are served whole): the engine refuses it, naming the field. */
static void test_retransmit_budget_below_history_refused(void **state)
{
	(void)state;
	char err[256];
	struct nx_engine *e = make_engine_retransmit(RT_RATE, EH_HISTORY - 1, err, sizeof(err));
	assert_null(e);
	assert_non_null(strstr(err, "sessions.retransmit_burst"));
	e = make_engine_retransmit(RT_RATE, EH_HISTORY, err, sizeof(err));
	assert_non_null(e);
	nx_engine_destroy(e);
	e = make_engine_retransmit(0, 1, err, sizeof(err)); /* no budget: the burst is not used */
	assert_non_null(e);
	nx_engine_destroy(e);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_retransmit_outlived_by_history),
		T(test_retransmit_outlived_whole),
		T(test_full_output_keeps_numbers),
		T(test_client_sequence_limits),
		T(test_finished_sending_reports_missing),
		T(test_clock_step_back),
		T(test_cancel_on_disconnect_is_per_session),
		T(test_cancel_on_disconnect_chosen_per_session),
		T(test_cancel_on_disconnect_bad_mode),
		T(test_first_message_bad_rest_read),
		T(test_refusals_do_not_amplify),
		T(test_one_retransmission_per_datagram),
		T(test_retransmit_budget_refuses_burst),
		T(test_retransmit_budget_refills),
		T(test_retransmit_budget_normal_recovery),
		T(test_retransmit_budget_disabled),
		cmocka_unit_test(test_retransmit_budget_below_history_refused),
		cmocka_unit_test(test_client_gaps_span),
		cmocka_unit_test(test_client_span_duplicates),
		cmocka_unit_test(test_client_skips_unknown_template),
		cmocka_unit_test(test_client_retransmission_skips_expired),
		cmocka_unit_test(test_client_expired_counts_only_missing),
		cmocka_unit_test(test_client_lost_answer_is_not_expiry),
		cmocka_unit_test(test_client_retransmission_inside_span),
		cmocka_unit_test(test_client_unreadable_datagrams),
		cmocka_unit_test(test_client_unreadable_front_drains_span),
		cmocka_unit_test(test_client_abandon_gap),
		cmocka_unit_test(test_client_reordered_in_span),
		cmocka_unit_test(test_link_rides_with_binding),
		cmocka_unit_test(test_client_loss_repeat_reorder_property),
	};
	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
