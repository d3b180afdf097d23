/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The order-entry session layer and pre-trade risk at their edges: each
 * test asserts what docs/protocol.md, docs/risk.md and FIXP require at an edge
 * (exact timer boundaries, credentials, spoofed sources, duplicates after
 * the history wraps, retransmission ranges, risk boundaries, exposure
 * after every path that removes an order).
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
#include "nx/nxp.h"
#include "nx/reason.h"
#include "nx/risk.h"
#include "engine_helpers.h"

/* --- helpers ------------------------------------------------------------- */

static struct fx *fx_with(const struct nx_instrument *in, const struct nx_limits *l)
{
	return fx_of(make_engine_with(in, l));
}

static struct nx_instrument inst_default(void)
{
	struct nx_instrument in = { .id = INST, .symbol = "BTC-USD", .band_ticks = 100,
				    .ref_px = 1000 };
	nx_instrument_defaults(&in);
	return in;
}

static int find(struct fx *f, uint16_t tid)
{
	for (int i = 0; i < f->nm; i++)
		if (f->m[i].template_id == tid)
			return i;
	return -1;
}

static int count_tid(struct fx *f, uint16_t tid)
{
	int n = 0;
	for (int i = 0; i < f->nm; i++)
		n += f->m[i].template_id == tid;
	return n;
}

static void send_cancel(struct fx *f, struct nx_client *c, struct nx_addr a,
			const struct nx_nxp_cancel_order *o)
{
	uint8_t buf[256];
	struct nx_nxp_writer w;
	nx_client_begin(c, &w, buf, sizeof(buf));
	assert_true(nx_client_cancel(c, &w, o) > 0);
	rx(f, a, buf, w.len);
}

static void send_mass(struct fx *f, struct nx_client *c, struct nx_addr a,
		      const struct nx_nxp_mass_cancel *o)
{
	uint8_t buf[256];
	struct nx_nxp_writer w;
	nx_client_begin(c, &w, buf, sizeof(buf));
	assert_true(nx_client_mass_cancel(c, &w, o) > 0);
	rx(f, a, buf, w.len);
}

static uint16_t first_reject_reason(struct fx *f)
{
	int i = find(f, NX_NXP_EXEC_REJECTED);
	if (i >= 0)
		return f->m[i].u.exec_rejected.reason;
	i = find(f, NX_NXP_CANCEL_REJECT);
	if (i >= 0)
		return f->m[i].u.cancel_reject.reason;
	return 0;
}

/* --- session: timers at their exact boundaries ---------------------------- */

/* "The venue ends a binding with KEEPALIVE_TIMEOUT after three client
 * intervals without a datagram from it": exactly three intervals of
 * silence is not yet a timeout; one nanosecond more is, and
 * cancel-on-disconnect runs. */
static void test_keepalive_timeout_exact_boundary(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa); /* keepalive 1000 ms; last rx at f->now */
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);
	uint64_t t0 = f->now;
	f->now = t0 + 3000 * MS;
	poll_timers(f);
	assert_int_equal(nx_engine_stats(f->e)->sessions_terminated, 0);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 1);
	f->now = t0 + 3000 * MS + 1;
	poll_timers(f);
	assert_int_equal(nx_engine_stats(f->e)->sessions_terminated, 1);
	assert_int_equal(find(f, NX_NXP_TERMINATE) >= 0, 1);
	assert_int_equal(f->m[find(f, NX_NXP_TERMINATE)].u.terminate.code, NX_REJ_KEEPALIVE_TIMEOUT);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);
}

/* The venue's heartbeat: a Sequence alone once it has sent nothing for
 * its interval (1000 ms): not at 999.999999 ms, exactly at 1000 ms. */
static void test_heartbeat_exact_boundary(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	uint64_t t0 = f->now;
	f->now = t0 + 1000 * MS - 1;
	poll_timers(f);
	assert_int_equal(f->out.n, 0);
	f->now = t0 + 1000 * MS;
	poll_timers(f);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->m[0].template_id, NX_NXP_SEQUENCE);
	assert_int_equal(f->m[0].u.sequence.next_seq_no, 1);
}

/* --- session: duplicates ---------------------------------------------------- */

/* A resent datagram is skipped by its number, however long ago it was sent:
 * after more messages than the venue's history holds, the very first
 * datagram again creates no second order (and no answer). */
static void test_duplicate_after_history_wraps(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	uint8_t first[256];
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 950, 1);
	size_t n1 = order_dgram(&f->ca, &o, first, sizeof(first));
	rx(f, f->aa, first, n1);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	for (uint64_t cl = 2; cl <= 3 * EH_HISTORY; cl++) {
		o = order(A, cl, NX_SIDE_BUY, 900 + (int64_t)(cl % 50), 1);
		send_order(f, &f->ca, f->aa, &o);
	}
	uint64_t orders = nx_engine_stats(f->e)->orders;
	uint32_t live = nx_book_order_count(nx_engine_book(f->e));
	/* cancel order 1, then resend its NewOrder datagram: clOrdId 1 is free
	 * again in the book, so only the session's numbering stops it */
	struct nx_nxp_cancel_order c = { .cl_ord_id = 10000, .orig_cl_ord_id = 1, .account = A };
	send_cancel(f, &f->ca, f->aa, &c);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_CANCELED);
	rx(f, f->aa, first, n1);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(nx_engine_stats(f->e)->orders, orders);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), live - 1);
	/* and after the session moved to another address (fail-over) */
	struct nx_addr moved = { .ip = IP_A, .port = 5001 };
	uint8_t buf[256];
	rx(f, moved, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 10, 1000));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	rx(f, moved, first, n1);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(nx_engine_stats(f->e)->orders, orders);
	fx_free(f);
}

/* After Terminate and an Establish that says nextSeqNo 1 (a client that
 * lost its state), the venue keeps E: the ack's nextRecvSeqNo is E, and
 * numbers below it are duplicates, never applied again. */
static void test_reestablish_lower_next_seq_keeps_e(void **state)
{
	struct fx *f = *state;
	login(f, &f->cb, f->ab);
	uint8_t d1[256];
	struct nx_nxp_new_order o = order(B, 1, NX_SIDE_BUY, 1000, 1);
	size_t n1 = order_dgram(&f->cb, &o, d1, sizeof(d1));
	rx(f, f->ab, d1, n1);
	o = order(B, 2, NX_SIDE_BUY, 999, 1);
	send_order(f, &f->cb, f->ab, &o);
	uint8_t buf[256];
	rx(f, f->ab, buf, nx_client_terminate(&f->cb, buf, sizeof(buf), 0));
	f->cb.next_seq = 1;
	rx(f, f->ab, buf, nx_client_establish(&f->cb, buf, sizeof(buf), f->now + 10, 1000));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	assert_int_equal(msg(f, 0)->u.establishment_ack.next_recv_seq_no, 3);
	rx(f, f->ab, d1, n1);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(nx_engine_stats(f->e)->orders, 2);
}

/* --- session: credentials and sources -------------------------------------- */

static uint16_t establish_code(struct fx *f, struct nx_client *c, struct nx_addr a, uint64_t ts)
{
	uint8_t buf[256];
	rx(f, a, buf, nx_client_establish(c, buf, sizeof(buf), ts, 1000));
	if (msg(f, 0)->template_id == NX_NXP_ESTABLISHMENT_ACK)
		return 0;
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_REJECT);
	return msg(f, 0)->u.establishment_reject.code;
}

/* Establish carries the credentials again, checked as for Negotiate: an
 * unknown account, the wrong key, the wrong source, and another account's
 * good credentials for this session each refuse it and bind nothing. */
static void test_establish_credentials(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	rx(f, f->ab, buf, nx_client_negotiate(&f->cb, buf, sizeof(buf), f->now));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_NEGOTIATION_RESPONSE);
	struct nx_client c = f->cb;
	c.key[0] ^= 0xff;
	assert_int_equal(establish_code(f, &c, f->ab, f->now + 1), NX_REJ_AUTH_BAD_KEY);
	c = f->cb;
	c.acct = 77;
	assert_int_equal(establish_code(f, &c, f->ab, f->now + 2), NX_REJ_AUTH_UNKNOWN_ACCOUNT);
	struct nx_addr wrong = { .ip = IP_A, .port = 6000 };
	c = f->cb;
	assert_int_equal(establish_code(f, &c, wrong, f->now + 3), NX_REJ_AUTH_WRONG_SOURCE);
	/* A's good credentials for B's session: not A's session */
	c = f->cb;
	c.acct = A;
	memcpy(c.key, key_a, 32);
	assert_int_equal(establish_code(f, &c, f->aa, f->now + 4), NX_REJ_NOT_NEGOTIATED);
	assert_int_equal(nx_engine_stats(f->e)->sessions_established, 0);
	/* nothing was bound: B's address still has no session */
	struct nx_nxp_new_order o = order(B, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->cb, f->ab, &o);
	assert_int_equal(f->out.n, 0);
	/* the refusals did not spoil the real one */
	assert_int_equal(establish_code(f, &f->cb, f->ab, f->now + 5), 0);
}

/* A killed account's kill is told only to its holder: a Negotiate with the
 * wrong key (or from a source it may not use) is refused for that, and only
 * good credentials get SESSION_BLOCKED. Regression: the kill was checked
 * first, and anyone who named the account learned it was killed. */
static void test_kill_told_after_credentials(void **state)
{
	struct fx *f = *state;
	struct nx_admin k = { .op = NX_ADMIN_KILL, .scope = NX_KILL_ACCOUNT, .id = A, .on = 1 };
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	f->out.n = 0;
	struct nx_client c = f->ca;
	c.key[0] ^= 0xff;
	uint8_t buf[256];
	rx(f, f->aa, buf, nx_client_negotiate(&c, buf, sizeof(buf), f->now));
	assert_int_equal(msg(f, 0)->u.negotiation_reject.code, NX_REJ_AUTH_BAD_KEY);
	rx(f, f->aa, buf, nx_client_negotiate(&f->ca, buf, sizeof(buf), f->now + 1));
	assert_int_equal(msg(f, 0)->u.negotiation_reject.code, NX_REJ_SESSION_BLOCKED);
	k.on = 0;
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	f->out.n = 0;
	login(f, &f->ca, f->aa);
}

/* A stranger forging a source address other than the session's cannot end
 * it, finish it or make it resend: Terminate and FinishedSending naming A's
 * session from another address are dropped; a RetransmitRequest is refused
 * RETRANSMIT_WRONG_SESSION to the forged address. */
static void test_spoofed_session_messages(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);
	struct nx_addr other = { .ip = IP_A, .port = 5999 };
	uint8_t buf[256];
	uint64_t unbound = nx_engine_stats(f->e)->drop_unbound;
	rx(f, other, buf, nx_client_terminate(&f->ca, buf, sizeof(buf), 0));
	assert_int_equal(f->out.n, 0);
	rx(f, other, buf, nx_client_finished_sending(&f->ca, buf, sizeof(buf)));
	assert_int_equal(f->out.n, 0);
	assert_int_equal(nx_engine_stats(f->e)->drop_unbound, unbound + 2);
	rx(f, other, buf, nx_client_retransmit_request(&f->ca, buf, sizeof(buf), f->now, 1, 1));
	assert_int_equal(f->out.n, 1);
	assert_true(f->out.d[0].to.port == 5999);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_RETRANSMIT_REJECT);
	assert_int_equal(msg(f, 0)->u.retransmit_reject.code, NX_REJ_RETRANSMIT_WRONG_SESSION);
	assert_int_equal(nx_engine_stats(f->e)->sessions_terminated, 0);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 1);
	/* still established and trading, not finishing */
	o = order(A, 2, NX_SIDE_BUY, 999, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
}

/* From its own address, a Terminate naming another session id is dropped
 * too: the binding ends only for the session it names. */
static void test_terminate_wrong_id_from_bound_address(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	struct nx_client c = f->ca;
	c.session_id = 999;
	uint8_t buf[256];
	rx(f, f->aa, buf, nx_client_terminate(&c, buf, sizeof(buf), 0));
	assert_int_equal(f->out.n, 0);
	assert_int_equal(nx_engine_stats(f->e)->sessions_terminated, 0);
}

/* A negotiated session that never established has no address: its
 * sequenced datagrams are dropped, nothing is applied or numbered. */
static void test_unestablished_session_cannot_trade(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	rx(f, f->aa, buf, nx_client_negotiate(&f->ca, buf, sizeof(buf), f->now));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_NEGOTIATION_RESPONSE);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(nx_engine_stats(f->e)->orders, 0);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);
	/* after Establish, the client's number 1 is still the next */
	rx(f, f->aa, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 1, 1000));
	assert_int_equal(msg(f, 0)->u.establishment_ack.next_recv_seq_no, 1);
}

/* An Establish retry (same timestamp) after the binding ended by Terminate
 * is stale; a later one binds again. */
static void test_terminated_establish_replay_is_stale(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256], est[256];
	rx(f, f->ab, buf, nx_client_negotiate(&f->cb, buf, sizeof(buf), f->now));
	size_t ne = nx_client_establish(&f->cb, est, sizeof(est), f->now + 1, 1000);
	rx(f, f->ab, est, ne);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	rx(f, f->ab, buf, nx_client_terminate(&f->cb, buf, sizeof(buf), 0));
	rx(f, f->ab, est, ne);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_REJECT);
	assert_int_equal(msg(f, 0)->u.establishment_reject.code, NX_REJ_STALE_ESTABLISH);
	assert_int_equal(establish_code(f, &f->cb, f->ab, f->now + 2), 0);
}

/* --- trading for another account ------------------------------------------- */

/* A session trades for its own account only. A's session naming B is
 * refused ACCOUNT_NOT_PERMITTED for every request kind; naming its own
 * account but B's order (by order id) it finds nothing: UNKNOWN_ORDER, and
 * B's order lives on unchanged. */
static void test_session_cannot_touch_other_account(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	struct nx_nxp_new_order o = order(B, 7, NX_SIDE_BUY, 1000, 5);
	send_order(f, &f->cb, f->ab, &o);
	uint64_t oid = msg(f, 0)->u.exec_new.order_id;
	/* NewOrder naming B from A's session */
	o = order(B, 8, NX_SIDE_BUY, 1000, 5);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(first_reject_reason(f), NX_REJ_ACCOUNT_NOT_PERMITTED);
	/* CancelOrder naming B */
	struct nx_nxp_cancel_order c = { .cl_ord_id = 9, .order_id = oid, .account = B };
	send_cancel(f, &f->ca, f->aa, &c);
	assert_int_equal(first_reject_reason(f), NX_REJ_ACCOUNT_NOT_PERMITTED);
	/* CancelOrder naming A, B's order id */
	c.account = A;
	send_cancel(f, &f->ca, f->aa, &c);
	assert_int_equal(first_reject_reason(f), NX_REJ_UNKNOWN_ORDER);
	/* CancelReplace naming A, B's order id */
	struct nx_nxp_cancel_replace r = { .cl_ord_id = 10, .order_id = oid, .price = 1001,
					   .qty = 1, .account = A };
	send_replace(f, &f->ca, f->aa, &r);
	assert_int_equal(first_reject_reason(f), NX_REJ_UNKNOWN_ORDER);
	r.account = B;
	send_replace(f, &f->ca, f->aa, &r);
	assert_int_equal(first_reject_reason(f), NX_REJ_ACCOUNT_NOT_PERMITTED);
	/* MassCancel naming B */
	struct nx_nxp_mass_cancel mc = { .cl_ord_id = 11, .account = B };
	send_mass(f, &f->ca, f->aa, &mc);
	assert_int_equal(first_reject_reason(f), NX_REJ_ACCOUNT_NOT_PERMITTED);
	/* MassCancel of A's own: B's order is not A's */
	mc.account = A;
	send_mass(f, &f->ca, f->aa, &mc);
	assert_int_equal(find(f, NX_NXP_EXEC_CANCELED), -1);
	struct nx_order_info oi;
	assert_int_equal(nx_book_order(nx_engine_book(f->e), oid, &oi), 0);
	assert_int_equal(oi.acct, B);
	assert_int_equal(oi.leaves, 5);
	assert_int_equal(oi.px, 1000);
	fx_free(f);
}

/* --- retransmission ranges ----------------------------------------------------- */

static uint16_t rt_code(struct fx *f, uint64_t from, uint32_t count)
{
	uint8_t buf[256];
	rx(f, f->aa, buf, nx_client_retransmit_request(&f->ca, buf, sizeof(buf), f->now, from, count));
	int i = find(f, NX_NXP_RETRANSMIT_REJECT);
	return i < 0 ? 0 : f->m[i].u.retransmit_reject.code;
}

/* The range rules at their edges: the last message sent, one past it, a
 * count of exactly the history and one more, a range whose end passes the
 * last message by one. */
static void test_retransmit_range_edges(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	for (uint64_t cl = 1; cl <= EH_HISTORY + 6; cl++) { /* 70 venue messages */
		struct nx_nxp_new_order o = order(A, cl, NX_SIDE_BUY, 950, 1);
		o.time_in_force = NX_TIF_IOC; /* 2 messages each: ExecNew, ExecCanceled */
		send_order(f, &f->ca, f->aa, &o);
		f->now += 10 * MS;
	}
	uint64_t sent = 2 * (EH_HISTORY + 6);
	assert_int_equal(f->ca.expect_seq, sent + 1);
	assert_int_equal(rt_code(f, sent, 1), 0);
	assert_int_equal(rt_code(f, sent + 1, 1), NX_REJ_RETRANSMIT_OUT_OF_RANGE);
	assert_int_equal(rt_code(f, 0, 1), NX_REJ_RETRANSMIT_OUT_OF_RANGE);
	assert_int_equal(rt_code(f, 1, 0), NX_REJ_RETRANSMIT_OUT_OF_RANGE);
	assert_int_equal(rt_code(f, sent - EH_HISTORY + 1, EH_HISTORY), 0);
	assert_int_equal(rt_code(f, sent - EH_HISTORY, EH_HISTORY + 1), NX_REJ_RETRANSMIT_TOO_MANY);
	assert_int_equal(rt_code(f, sent - 1, 3), NX_REJ_RETRANSMIT_OUT_OF_RANGE);
	assert_int_equal(rt_code(f, UINT64_MAX, 1), NX_REJ_RETRANSMIT_OUT_OF_RANGE);
}

/* The budget at its boundary: a full bucket of exactly `burst` messages
 * serves a request of that many, and then refuses the next single message
 * until 1/rate s has passed, not a nanosecond sooner. */
static void test_retransmit_budget_exact(void **state)
{
	(void)state;
	char err[256];
	struct fx *f = fx_of(make_engine_retransmit(1000, EH_HISTORY, err, sizeof(err))); /* 1 msg a ms */
	login(f, &f->ca, f->aa);
	for (uint64_t cl = 1; cl <= EH_HISTORY; cl++) {
		struct nx_nxp_new_order o = order(A, cl, NX_SIDE_BUY, 950, 1);
		send_order(f, &f->ca, f->aa, &o);
	}
	assert_int_equal(rt_code(f, 1, EH_HISTORY), 0);
	assert_int_equal(nx_engine_stats(f->e)->retransmitted, EH_HISTORY);
	f->now += MS - 1;
	assert_int_equal(rt_code(f, 1, 1), NX_REJ_RETRANSMIT_THROTTLED);
	f->now += 1;
	assert_int_equal(rt_code(f, 1, 1), 0);
	fx_free(f);
}

/* --- risk through the engine: boundaries, kill switches, no leaks --------- */

static struct fx *fx_limits(struct nx_limits l, int64_t ref_px)
{
	struct nx_instrument in = inst_default();
	in.ref_px = ref_px;
	struct fx *f = fx_with(&in, &l);
	login(f, &f->ca, f->aa);
	login(f, &f->cb, f->ab);
	return f;
}

static const struct nx_limits wide = { .max_order_notional = INT64_MAX,
				       .position_limit = INT64_MAX, .credit_limit = INT64_MAX,
				       .max_open_orders = 1000, .msg_rate = 1000000,
				       .msg_burst = 1000000 };

static uint16_t new_reason(struct fx *f, struct nx_client *c, struct nx_addr a,
			   struct nx_nxp_new_order o)
{
	send_order(f, c, a, &o);
	if (find(f, NX_NXP_EXEC_NEW) >= 0 && find(f, NX_NXP_EXEC_REJECTED) < 0)
		return 0;
	return first_reject_reason(f);
}

/* Every check at its boundary through the pipeline: passes exactly at the
 * limit, fails one unit past it with its own reason. */
static void test_risk_boundaries_through_engine(void **state)
{
	(void)state;
	struct nx_limits l = wide;
	l.max_order_notional = 50000; /* 50 lots at 1000 */
	struct fx *f = fx_limits(l, 1000);
	static uint64_t cl = 1;
	/* collar: 1000 +- 100 */
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, cl++, NX_SIDE_BUY, 900, 1)), 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, cl++, NX_SIDE_BUY, 899, 1)),
			 NX_REJ_RISK_PRICE_COLLAR);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, cl++, NX_SIDE_SELL, 1100, 1)), 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, cl++, NX_SIDE_SELL, 1101, 1)),
			 NX_REJ_RISK_PRICE_COLLAR);
	/* notional */
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, cl++, NX_SIDE_BUY, 1000, 50)), 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, cl++, NX_SIDE_BUY, 1001, 50)),
			 NX_REJ_RISK_MAX_NOTIONAL);
	fx_free(f);

	/* position: limit 10 with 4 resting buys, a buy of 6 passes, of 7 fails */
	l = wide;
	l.position_limit = 10;
	f = fx_limits(l, 1000);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, 1, NX_SIDE_BUY, 990, 4)), 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, 2, NX_SIDE_BUY, 990, 7)),
			 NX_REJ_RISK_POSITION_LIMIT);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, 3, NX_SIDE_BUY, 990, 6)), 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, 4, NX_SIDE_SELL, 1010, 10)), 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, 5, NX_SIDE_SELL, 1010, 1)),
			 NX_REJ_RISK_POSITION_LIMIT);
	fx_free(f);

	/* open orders: 3 */
	l = wide;
	l.max_open_orders = 3;
	f = fx_limits(l, 1000);
	for (uint64_t k = 1; k <= 3; k++)
		assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, k, NX_SIDE_BUY, 990, 1)), 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, 4, NX_SIDE_BUY, 990, 1)),
			 NX_REJ_RISK_MAX_OPEN_ORDERS);
	fx_free(f);

	/* credit: 10000, no position: open notional 9000 + 1000 passes, + 1001 fails */
	l = wide;
	l.credit_limit = 10000;
	f = fx_limits(l, 1000);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, 1, NX_SIDE_BUY, 1000, 9)), 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, 2, NX_SIDE_SELL, 1001, 1)),
			 NX_REJ_RISK_CREDIT_LIMIT);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, 3, NX_SIDE_SELL, 1000, 1)), 0);
	fx_free(f);
}

/* px x qty past INT64_MAX is refused RISK_MAX_NOTIONAL even with idle
 * limits, and on an instrument without a reference (no collar). */
static void test_notional_overflow_through_engine(void **state)
{
	(void)state;
	struct fx *f = fx_limits(wide, 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa,
				    order(A, 1, NX_SIDE_BUY, INT64_MAX / 2 + 1, 2)),
			 NX_REJ_RISK_MAX_NOTIONAL);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, 2, NX_SIDE_SELL, INT64_MAX, 2)),
			 NX_REJ_RISK_MAX_NOTIONAL);
	/* a replace to such a size too */
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, 3, NX_SIDE_BUY, 1000, 1)), 0);
	struct nx_nxp_cancel_replace r = { .cl_ord_id = 4, .orig_cl_ord_id = 3, .price = INT64_MAX,
					   .qty = 3, .account = A };
	send_replace(f, &f->ca, f->aa, &r);
	assert_int_equal(first_reject_reason(f), NX_REJ_RISK_MAX_NOTIONAL);
	fx_free(f);
}

/* Open exposure comes back exactly after every way an order leaves the
 * book through the engine: with max_open_orders 2 and position limit 4
 * (the tightest), cancel, mass cancel, a fill, an IOC remainder, a kill
 * switch's cancels, cancel-on-disconnect and a replace down each leave room
 * for the full 2 orders x 2 lots again; nothing leaks, nothing counts twice. */
static void test_exposure_returns_on_every_path(void **state)
{
	(void)state;
	struct nx_limits l = wide;
	l.max_open_orders = 2;
	l.position_limit = 4;
	struct fx *f = fx_limits(l, 1000);
	uint64_t cl = 1;
#define FILL2()                                                                           \
	do {                                                                              \
		assert_int_equal(new_reason(f, &f->ca, f->aa,                           \
					    order(A, cl++, NX_SIDE_BUY, 990, 2)), 0);    \
		assert_int_equal(new_reason(f, &f->ca, f->aa,                           \
					    order(A, cl++, NX_SIDE_BUY, 991, 2)), 0);    \
		assert_int_equal(new_reason(f, &f->ca, f->aa,                           \
					    order(A, cl++, NX_SIDE_BUY, 990, 1)),        \
				 NX_REJ_RISK_MAX_OPEN_ORDERS);                          \
	} while (0)
	/* cancel */
	FILL2();
	struct nx_nxp_cancel_order c = { .cl_ord_id = 1000, .orig_cl_ord_id = cl - 3, .account = A };
	send_cancel(f, &f->ca, f->aa, &c);
	c = (struct nx_nxp_cancel_order){ .cl_ord_id = 1001, .orig_cl_ord_id = cl - 2, .account = A };
	send_cancel(f, &f->ca, f->aa, &c);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);
	/* mass cancel */
	FILL2();
	struct nx_nxp_mass_cancel mc = { .cl_ord_id = 1002, .account = A };
	send_mass(f, &f->ca, f->aa, &mc);
	assert_int_equal(count_tid(f, NX_NXP_EXEC_CANCELED), 2);
	/* kill switch on A, then off */
	FILL2();
	struct nx_admin k = { .op = NX_ADMIN_KILL, .scope = NX_KILL_ACCOUNT, .id = A, .on = 1 };
	f->out.n = 0;
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, cl++, NX_SIDE_BUY, 990, 1)),
			 NX_REJ_RISK_KILL_ACCOUNT);
	k.on = 0;
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	/* instrument kill, then off */
	FILL2();
	k = (struct nx_admin){ .op = NX_ADMIN_KILL, .scope = NX_KILL_INSTRUMENT, .id = INST, .on = 1 };
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);
	k.on = 0;
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	/* venue kill, then off */
	FILL2();
	k = (struct nx_admin){ .op = NX_ADMIN_KILL, .scope = NX_KILL_VENUE, .on = 1 };
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, cl++, NX_SIDE_BUY, 990, 1)),
			 NX_REJ_RISK_KILL_VENUE);
	k.on = 0;
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	/* cancel-on-disconnect (A's is on), then establish again */
	FILL2();
	uint8_t buf[256];
	rx(f, f->aa, buf, nx_client_terminate(&f->ca, buf, sizeof(buf), 0));
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);
	rx(f, f->aa, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 100, 1000));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	/* IOC remainder: an IOC at the limit, nothing to meet */
	struct nx_nxp_new_order ioc = order(A, cl++, NX_SIDE_BUY, 990, 4);
	ioc.time_in_force = NX_TIF_IOC;
	assert_int_equal(new_reason(f, &f->ca, f->aa, ioc), 0);
	FILL2();
	/* replace both down to 1 lot: position room 2 comes back, not more */
	struct nx_nxp_cancel_replace r = { .cl_ord_id = 2000, .orig_cl_ord_id = cl - 3, .price = 990,
					   .qty = 1, .account = A };
	send_replace(f, &f->ca, f->aa, &r);
	assert_int_equal(find(f, NX_NXP_EXEC_REPLACED) >= 0, 1);
	r = (struct nx_nxp_cancel_replace){ .cl_ord_id = 2001, .orig_cl_ord_id = cl - 2, .price = 991,
					    .qty = 1, .account = A };
	send_replace(f, &f->ca, f->aa, &r);
	assert_int_equal(find(f, NX_NXP_EXEC_REPLACED) >= 0, 1);
	/* open buys 2: a replace up to 3 lots (open 4) passes, then to 4 (open 5) fails */
	r = (struct nx_nxp_cancel_replace){ .cl_ord_id = 2002, .orig_cl_ord_id = 2000, .price = 990,
					    .qty = 3, .account = A };
	send_replace(f, &f->ca, f->aa, &r);
	assert_int_equal(find(f, NX_NXP_EXEC_REPLACED) >= 0, 1);
	r = (struct nx_nxp_cancel_replace){ .cl_ord_id = 2003, .orig_cl_ord_id = 2001, .price = 991,
					    .qty = 2, .account = A };
	send_replace(f, &f->ca, f->aa, &r);
	assert_int_equal(first_reject_reason(f), NX_REJ_RISK_POSITION_LIMIT);
	mc.cl_ord_id = 2004;
	send_mass(f, &f->ca, f->aa, &mc);
	/* fills: B sells 4 into A's two buys of 2: position 4, open 0; then
	 * the position limit allows no more buys, the open-order count two */
	FILL2();
	assert_int_equal(new_reason(f, &f->cb, f->ab, order(B, 1, NX_SIDE_SELL, 990, 4)), 0);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, cl++, NX_SIDE_BUY, 990, 1)),
			 NX_REJ_RISK_POSITION_LIMIT);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, cl++, NX_SIDE_SELL, 1000, 4)), 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, cl++, NX_SIDE_SELL, 1000, 4)), 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, cl++, NX_SIDE_SELL, 1000, 1)),
			 NX_REJ_RISK_MAX_OPEN_ORDERS);
#undef FILL2
	fx_free(f);
}

/* A partly filled order replaced: the check counts its open quantity, not
 * its original size. Buy 10 with position limit 10, 4 filled: position 4,
 * open 6. A replace to 6 (no growth) passes at any price in the collar; to
 * 7 it would make 11: refused, and the order stays as it was. */
static void test_replace_after_partial_fill(void **state)
{
	(void)state;
	struct nx_limits l = wide;
	l.position_limit = 10;
	struct fx *f = fx_limits(l, 1000);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, 1, NX_SIDE_BUY, 1000, 10)), 0);
	assert_int_equal(new_reason(f, &f->cb, f->ab, order(B, 1, NX_SIDE_SELL, 1000, 4)), 0);
	struct nx_nxp_cancel_replace r = { .cl_ord_id = 2, .orig_cl_ord_id = 1, .price = 999,
					   .qty = 6, .account = A };
	send_replace(f, &f->ca, f->aa, &r);
	assert_int_equal(find(f, NX_NXP_EXEC_REPLACED) >= 0, 1);
	r = (struct nx_nxp_cancel_replace){ .cl_ord_id = 3, .orig_cl_ord_id = 2, .price = 999,
					    .qty = 7, .account = A };
	send_replace(f, &f->ca, f->aa, &r);
	assert_int_equal(first_reject_reason(f), NX_REJ_RISK_POSITION_LIMIT);
	struct nx_order_info oi;
	assert_int_equal(nx_book_order_by_cl(nx_engine_book(f->e), A, 2, &oi), 0);
	assert_int_equal(oi.leaves, 6);
	fx_free(f);
}

/* A kill switch also stops replaces in its scope, even those that shrink
 * an order (docs: "new orders and replaces in scope are rejected"), while
 * cancels still pass. Set without the engine's cancels (an order entered
 * on another shard's view is not at stake here): we use the venue scope
 * through nx_engine_admin, which cancels, and check new orders after. */
static void test_restricted_and_kill_reasons_order(void **state)
{
	(void)state;
	struct fx *f = fx_limits(wide, 1000);
	struct nx_admin k = { .op = NX_ADMIN_KILL, .scope = NX_KILL_INSTRUMENT, .id = INST, .on = 1 };
	f->out.n = 0;
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	k.scope = NX_KILL_ACCOUNT;
	k.id = A;
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	k.scope = NX_KILL_VENUE;
	k.id = 0;
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	/* first failure wins: venue, account, instrument */
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, 1, NX_SIDE_BUY, 1000, 1)),
			 NX_REJ_RISK_KILL_VENUE);
	k.on = 0;
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	assert_int_equal(new_reason(f, &f->ca, f->aa, order(A, 2, NX_SIDE_BUY, 1000, 1)),
			 NX_REJ_RISK_KILL_ACCOUNT);
	assert_int_equal(new_reason(f, &f->cb, f->ab, order(B, 3, NX_SIDE_BUY, 1000, 1)),
			 NX_REJ_RISK_KILL_INSTRUMENT);
	/* unknown ids and scopes are refused */
	k = (struct nx_admin){ .op = NX_ADMIN_KILL, .scope = NX_KILL_ACCOUNT, .id = 4242, .on = 1 };
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), NX_REJ_UNKNOWN_ACCOUNT);
	k = (struct nx_admin){ .op = NX_ADMIN_KILL, .scope = NX_KILL_INSTRUMENT, .id = 4242, .on = 1 };
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), NX_REJ_UNKNOWN_INSTRUMENT);
	k = (struct nx_admin){ .op = NX_ADMIN_KILL, .scope = 9, .id = 1, .on = 1 };
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), NX_REJ_BAD_FIELD);
	fx_free(f);
}

/* --- risk module alone: exact boundaries the engine cannot reach ---------- */

static struct nx_risk *risk_one(const struct nx_limits *l, int64_t ref, int64_t band)
{
	struct nx_risk_config rc = { .max_accounts = 2, .max_instruments = 2 };
	struct nx_risk *r = nx_risk_create(&rc);
	assert_non_null(r);
	struct nx_instrument in = { .id = INST, .symbol = "X", .band_ticks = band, .ref_px = ref };
	nx_instrument_defaults(&in);
	assert_int_equal(nx_risk_add_instrument(r, &in), 0);
	struct nx_account_config a = { .id = A, .limits = *l };
	assert_int_equal(nx_risk_add_account(r, &a), 0);
	return r;
}

/* Open notional near INT64_MAX: an order that brings the account's open
 * notional to exactly INT64_MAX passes an idle credit limit; one unit more
 * is refused CREDIT_LIMIT; cancelling it restores the exact sum. */
static void test_open_notional_at_int64_max(void **state)
{
	(void)state;
	struct nx_limits l = wide;
	struct nx_risk *r = risk_one(&l, 0, 0);
	int64_t big = INT64_MAX - 10;
	struct nx_risk_order o = { .acct = A, .inst = INST, .side = NX_SIDE_BUY, .px = big, .qty = 1 };
	assert_int_equal(nx_risk_check_new(r, &o), 0);
	struct nx_ev_order acc = { .acct = A, .inst = INST, .oid = 1, .px = big, .qty = 1,
				   .side = NX_SIDE_BUY };
	nx_risk_on_accepted(r, &acc);
	o.px = 10;
	assert_int_equal(nx_risk_check_new(r, &o), 0);
	o.px = 11;
	assert_int_equal(nx_risk_check_new(r, &o), NX_REJ_RISK_CREDIT_LIMIT);
	struct nx_ev_cancel c = { .acct = A, .inst = INST, .oid = 1, .px = big, .qty = 1,
				  .side = NX_SIDE_BUY };
	nx_risk_on_cancel(r, &c, 1);
	struct nx_risk_exposure x;
	assert_int_equal(nx_risk_exposure(r, A, INST, &x), 0);
	assert_int_equal(x.open_notional, 0);
	assert_int_equal(x.open_buy, 0);
	assert_int_equal(x.open_orders, 0);
	nx_risk_destroy(r);
}

/* The collar with a band so wide that ref + band x tick passes INT64_MAX
 * (tick 2^40, band 1e12 ticks, both accepted by a configuration): every
 * positive price on the tick passes (the upper edge saturates), nothing
 * wraps. */
static void test_collar_huge_band(void **state)
{
	(void)state;
	struct nx_limits l = wide;
	struct nx_risk_config rc = { .max_accounts = 2, .max_instruments = 2 };
	struct nx_risk *r = nx_risk_create(&rc);
	int64_t tick = INT64_C(1) << 40;
	struct nx_instrument in = { .id = INST, .symbol = "X", .tick = tick,
				    .band_ticks = 1000000000000, .ref_px = tick };
	nx_instrument_defaults(&in);
	assert_int_equal(nx_risk_add_instrument(r, &in), 0);
	struct nx_account_config a = { .id = A, .limits = l };
	assert_int_equal(nx_risk_add_account(r, &a), 0);
	struct nx_risk_order o = { .acct = A, .inst = INST, .side = NX_SIDE_BUY,
				   .px = (INT64_MAX / tick) * tick, .qty = 1 };
	assert_int_equal(nx_risk_check_new(r, &o), 0);
	o.px = tick;
	assert_int_equal(nx_risk_check_new(r, &o), 0);
	nx_risk_destroy(r);
}

/* docs/risk.md: "A buy's protection price past INT64_MAX, from an extreme
 * band, is judged at INT64_MAX: its notional then fails
 * max_order_notional whatever the limit, so such a market buy is refused
 * RISK_MAX_NOTIONAL rather than judged at a price it could never pay."
 * (engine.c: "Overflow: INT64_MAX, which no notional limit admits.")
 * One lot at an idle limit (INT64_MAX) is INT64_MAX x 1 = INT64_MAX, which
 * that limit admits: the order goes to the book. */
static void test_market_buy_overflow_one_lot_idle_limits(void **state)
{
	(void)state;
	struct nx_instrument in = { .id = INST, .symbol = "BIG", .tick = 10000000,
				    .band_ticks = 1000000000000, .ref_px = 10000000 };
	nx_instrument_defaults(&in);
	struct fx *f = fx_with(&in, &wide);
	login(f, &f->ca, f->aa);
	login(f, &f->cb, f->ab);
	struct nx_nxp_new_order o = order(B, 1, NX_SIDE_SELL, 10000000, 1);
	send_order(f, &f->cb, f->ab, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	o = order(A, 1, NX_SIDE_BUY, 0, 1);
	o.ord_type = NX_ORD_MARKET;
	o.time_in_force = NX_TIF_IOC;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_REJECTED);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_RISK_MAX_NOTIONAL);
	fx_free(f);
}

/* Position limit with an existing long: a sell passes up to limit + long
 * on the sell side (open sells + qty - position <= limit). */
static void test_position_sell_boundary_with_long(void **state)
{
	(void)state;
	struct nx_limits l = wide;
	l.position_limit = 10;
	struct nx_risk *r = risk_one(&l, 1000, 100);
	struct nx_ev_trade t = { .inst = INST, .px = 1000, .qty = 5,
		.maker = { .acct = A, .inst = INST, .oid = 1, .side = NX_SIDE_BUY, .qty = 5,
			   .order_px = 1000, .leaves = 0, .px = 1000 },
		.taker = { .acct = 99, .inst = INST, .oid = 2, .side = NX_SIDE_SELL, .qty = 5,
			   .order_px = 1000, .leaves = 0, .px = 1000 } };
	struct nx_ev_order acc = { .acct = A, .inst = INST, .oid = 1, .px = 1000, .qty = 5,
				   .side = NX_SIDE_BUY };
	nx_risk_on_accepted(r, &acc);
	nx_risk_on_trade(r, &t);
	struct nx_risk_order o = { .acct = A, .inst = INST, .side = NX_SIDE_SELL, .px = 1000,
				   .qty = 15 };
	assert_int_equal(nx_risk_check_new(r, &o), 0);
	o.qty = 16;
	assert_int_equal(nx_risk_check_new(r, &o), NX_REJ_RISK_POSITION_LIMIT);
	o.side = NX_SIDE_BUY;
	o.qty = 5;
	assert_int_equal(nx_risk_check_new(r, &o), 0);
	o.qty = 6;
	assert_int_equal(nx_risk_check_new(r, &o), NX_REJ_RISK_POSITION_LIMIT);
	nx_risk_destroy(r);
}

/* The throttle at its edges: a full burst (100) passes, the next message
 * is refused RISK_THROTTLED; one token comes back exactly 1/msg_rate
 * (1 ms) later, not a nanosecond sooner. */
static void test_throttle_exact_boundary(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	spend_messages(f, &f->ca, f->aa, A, 100);
	assert_int_equal(nx_engine_stats(f->e)->throttled, 0);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 900, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(first_reject_reason(f), NX_REJ_RISK_THROTTLED);
	f->now += MS - 1;
	o.cl_ord_id = 2;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(first_reject_reason(f), NX_REJ_RISK_THROTTLED);
	f->now += 1;
	o.cl_ord_id = 3;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
}

/* keepaliveMs within 10 .. 600000, both ends included. */
static void test_keepalive_range_edges(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	rx(f, f->aa, buf, nx_client_negotiate(&f->ca, buf, sizeof(buf), f->now));
	rx(f, f->aa, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 1, 9));
	assert_int_equal(msg(f, 0)->u.establishment_reject.code, NX_REJ_BAD_KEEPALIVE);
	rx(f, f->aa, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 2, 600001));
	assert_int_equal(msg(f, 0)->u.establishment_reject.code, NX_REJ_BAD_KEEPALIVE);
	rx(f, f->aa, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 3, 600000));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	struct nx_addr moved = { .ip = IP_A, .port = 5002 };
	rx(f, moved, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 4, 10));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	/* 10 ms: 30 ms of silence is not yet a timeout, 30 ms + 1 ns is */
	uint64_t t0 = f->now;
	f->now = t0 + 30 * MS;
	poll_timers(f);
	assert_int_equal(nx_engine_stats(f->e)->sessions_terminated, 0);
	f->now = t0 + 30 * MS + 1;
	poll_timers(f);
	assert_int_equal(nx_engine_stats(f->e)->sessions_terminated, 1);
}

/* An Establish of another session (of any account) from an address bound
 * to a session takes the address over; the displaced binding ends as a
 * disconnect: its cancel-on-disconnect runs, sessions_terminated counts it,
 * no Terminate is sent. */
static void test_displaced_session_cancel_on_disconnect(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);
	struct nx_client c2;
	nx_client_init(&c2, 303, A, key_a);
	uint8_t buf[256];
	rx(f, f->aa, buf, nx_client_negotiate(&c2, buf, sizeof(buf), f->now + 5));
	rx(f, f->aa, buf, nx_client_establish(&c2, buf, sizeof(buf), f->now + 6, 1000));
	assert_int_equal(find(f, NX_NXP_ESTABLISHMENT_ACK) >= 0, 1);
	assert_int_equal(find(f, NX_NXP_TERMINATE), -1);
	assert_int_equal(nx_engine_stats(f->e)->sessions_terminated, 1);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_keepalive_timeout_exact_boundary),
		T(test_heartbeat_exact_boundary),
		cmocka_unit_test(test_duplicate_after_history_wraps),
		T(test_reestablish_lower_next_seq_keeps_e),
		T(test_establish_credentials),
		T(test_kill_told_after_credentials),
		T(test_spoofed_session_messages),
		T(test_terminate_wrong_id_from_bound_address),
		T(test_unestablished_session_cannot_trade),
		T(test_terminated_establish_replay_is_stale),
		cmocka_unit_test(test_session_cannot_touch_other_account),
		T(test_retransmit_range_edges),
		T(test_throttle_exact_boundary),
		T(test_keepalive_range_edges),
		T(test_displaced_session_cancel_on_disconnect),
		cmocka_unit_test(test_retransmit_budget_exact),
		cmocka_unit_test(test_risk_boundaries_through_engine),
		cmocka_unit_test(test_notional_overflow_through_engine),
		cmocka_unit_test(test_exposure_returns_on_every_path),
		cmocka_unit_test(test_replace_after_partial_fill),
		cmocka_unit_test(test_restricted_and_kill_reasons_order),
		cmocka_unit_test(test_open_notional_at_int64_max),
		cmocka_unit_test(test_collar_huge_band),
		cmocka_unit_test(test_market_buy_overflow_one_lot_idle_limits),
		cmocka_unit_test(test_position_sell_boundary_with_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
