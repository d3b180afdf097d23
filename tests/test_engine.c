/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The engine pipeline end to end: encoded datagrams in through
 * nx_engine_rx / nx_engine_poll, every reply decoded with the client
 * library and asserted. Sessions (login good and bad, gaps, duplicates,
 * retransmission, heartbeats, keepalive timeout with cancel-on-disconnect,
 * terminate, fail-over to a new address, finalization), trading and its
 * reports to both sides, risk rejects and market orders' risk price, the
 * throttle, admin messages, reference data, malformed input, determinism.
 * The fixture is engine_helpers.[ch]; session-layer regressions are in
 * test_session.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "nx/book.h"
#include "nx/client.h"
#include "nx/risk.h"
#include "nx/engine.h"

#include "engine_helpers.h"

/* --- Sessions ---------------------------------------------------------------- */

static void test_login_good(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	size_t n = nx_client_negotiate(&f->ca, buf, sizeof(buf), 77);
	rx(f, f->aa, buf, n);
	assert_int_equal(f->out.n, 1);
	assert_true(f->out.d[0].to.ip == IP_A && f->out.d[0].to.port == 5000);
	const struct nx_client_msg *r = msg(f, 0);
	assert_int_equal(r->template_id, NX_NXP_NEGOTIATION_RESPONSE);
	assert_int_equal(r->u.negotiation_response.session_id, 101);
	assert_int_equal(r->u.negotiation_response.request_timestamp, 77);
	assert_int_equal(r->u.negotiation_response.server_flow, NX_NXP_FLOW_RECOVERABLE);
	/* a retry with the same timestamp gets the same answer */
	rx(f, f->aa, buf, n);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_NEGOTIATION_RESPONSE);
	n = nx_client_establish(&f->ca, buf, sizeof(buf), 78, 500);
	rx(f, f->aa, buf, n);
	r = msg(f, 0);
	assert_int_equal(r->template_id, NX_NXP_ESTABLISHMENT_ACK);
	assert_int_equal(r->u.establishment_ack.next_seq_no, 1);
	assert_int_equal(r->u.establishment_ack.next_recv_seq_no, 1);
	assert_int_equal(r->u.establishment_ack.keepalive_ms, 1000);
	/* a retried Establish is acknowledged again; a new one is refused */
	rx(f, f->aa, buf, n);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	n = nx_client_establish(&f->ca, buf, sizeof(buf), 79, 500);
	rx(f, f->aa, buf, n);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_REJECT);
	assert_int_equal(msg(f, 0)->u.establishment_reject.code, NX_REJ_ALREADY_ESTABLISHED);
	assert_int_equal(nx_engine_stats(f->e)->sessions_established, 1);
}

static void expect_neg_reject(struct fx *f, struct nx_client *c, struct nx_addr a, unsigned code)
{
	uint8_t buf[256];
	size_t n = nx_client_negotiate(c, buf, sizeof(buf), 5);
	rx(f, a, buf, n);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_NEGOTIATION_REJECT);
	assert_int_equal(msg(f, 0)->u.negotiation_reject.code, code);
}

static void test_login_bad(void **state)
{
	struct fx *f = *state;
	struct nx_client c;
	uint8_t bad[32] = { 7 };
	nx_client_init(&c, 55, 999, key_a);
	expect_neg_reject(f, &c, f->aa, NX_REJ_AUTH_UNKNOWN_ACCOUNT);
	nx_client_init(&c, 55, A, bad);
	expect_neg_reject(f, &c, f->aa, NX_REJ_AUTH_BAD_KEY);
	nx_client_init(&c, 55, B, key_b);
	expect_neg_reject(f, &c, f->aa, NX_REJ_AUTH_WRONG_SOURCE);
	/* session id taken by another negotiation */
	login(f, &f->ca, f->aa);
	nx_client_init(&c, 101, A, key_a);
	expect_neg_reject(f, &c, f->aa, NX_REJ_SESSION_ID_IN_USE);
	/* establish of a session never negotiated */
	uint8_t buf[256];
	nx_client_init(&c, 4242, A, key_a);
	size_t n = nx_client_establish(&c, buf, sizeof(buf), 9, 500);
	rx(f, f->aa, buf, n);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_REJECT);
	assert_int_equal(msg(f, 0)->u.establishment_reject.code, NX_REJ_NOT_NEGOTIATED);
	/* keepalive out of range */
	nx_client_init(&c, 4343, A, key_a);
	n = nx_client_negotiate(&c, buf, sizeof(buf), 1);
	rx(f, f->aa, buf, n);
	n = nx_client_establish(&c, buf, sizeof(buf), 2, 1);
	rx(f, f->aa, buf, n);
	assert_int_equal(msg(f, 0)->u.establishment_reject.code, NX_REJ_BAD_KEEPALIVE);
	/* application traffic from an address with no session is dropped */
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &c, (struct nx_addr){ .ip = 0x0b000001, .port = 1 }, &o);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(nx_engine_stats(f->e)->drop_unbound, 1);
}

/* --- Trading -------------------------------------------------------------------- */

static void test_order_fill_both_sides(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	login(f, &f->cb, f->ab);
	struct nx_nxp_new_order o = order(A, 11, NX_SIDE_SELL, 1000, 5);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(count_msgs(f), 1);
	const struct nx_client_msg *r = msg(f, 0);
	assert_int_equal(r->template_id, NX_NXP_EXEC_NEW);
	assert_int_equal(r->seq, 1);
	assert_int_equal(r->u.exec_new.cl_ord_id, 11);
	assert_int_equal(r->u.exec_new.order_id, 1);
	assert_int_equal(r->u.exec_new.transact_time, f->now);
	o = order(B, 21, NX_SIDE_BUY, 1000, 3);
	send_order(f, &f->cb, f->ab, &o);
	/* B: ExecNew + ExecTrade (taker) in one datagram; A: ExecTrade (maker) in another */
	assert_int_equal(f->out.n, 2);
	assert_int_equal(count_msgs(f), 3);
	int maker = 0, taker = 0;
	for (int i = 0; i < f->nm; i++) {
		if (f->m[i].template_id != NX_NXP_EXEC_TRADE)
			continue;
		const struct nx_nxp_exec_trade *t = &f->m[i].u.exec_trade;
		assert_int_equal(t->last_px, 1000);
		assert_int_equal(t->last_qty, 3);
		assert_int_equal(t->trade_id, 1);
		assert_int_equal(t->aggressor, NX_SIDE_BUY);
		if (t->liquidity == NX_LIQ_MAKER) {
			maker++;
			assert_int_equal(t->account, A);
			assert_int_equal(t->leaves_qty, 2);
			assert_int_equal(f->m[i].seq, 2);
		} else {
			taker++;
			assert_int_equal(t->account, B);
			assert_int_equal(t->leaves_qty, 0);
			assert_int_equal(f->m[i].seq, 2);
		}
	}
	assert_int_equal(maker, 1);
	assert_int_equal(taker, 1);
	assert_int_equal(nx_engine_stats(f->e)->fills, 2);
}

/* A sell takes a resting buy: both ExecTrades name the seller's side as the
 * aggressor, each its own side and liquidity (the reports are built from
 * one TRADE event's two fills). */
static void test_sell_aggressor_reports(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	login(f, &f->cb, f->ab);
	struct nx_nxp_new_order o = order(A, 11, NX_SIDE_BUY, 1000, 5);
	send_order(f, &f->ca, f->aa, &o);
	o = order(B, 21, NX_SIDE_SELL, 1000, 2);
	send_order(f, &f->cb, f->ab, &o);
	int seen = 0;
	for (int i = 0; i < f->nm; i++) {
		if (f->m[i].template_id != NX_NXP_EXEC_TRADE)
			continue;
		const struct nx_nxp_exec_trade *t = &f->m[i].u.exec_trade;
		assert_int_equal(t->aggressor, NX_SIDE_SELL);
		assert_int_equal(t->last_qty, 2);
		assert_int_equal(t->cum_qty, 2);
		if (t->account == A) {
			assert_int_equal(t->liquidity, NX_LIQ_MAKER);
			assert_int_equal(t->side, NX_SIDE_BUY);
			assert_int_equal(t->order_id, 1);
			assert_int_equal(t->cl_ord_id, 11);
			assert_int_equal(t->leaves_qty, 3);
		} else {
			assert_int_equal(t->account, B);
			assert_int_equal(t->liquidity, NX_LIQ_TAKER);
			assert_int_equal(t->side, NX_SIDE_SELL);
			assert_int_equal(t->order_id, 2);
			assert_int_equal(t->cl_ord_id, 21);
			assert_int_equal(t->leaves_qty, 0);
		}
		seen++;
	}
	assert_int_equal(seen, 2);
	assert_int_equal(nx_engine_stats(f->e)->fills, 2);
}

/* A sweep's taker fills reach risk summed, at the next check
 * (nx_risk_on_match_trade): after A buys 90 through three makers, a sell
 * of 190 is exactly at the position limit (open sells 190 - long 90 = 100)
 * and one more lot is past it. Read before the taker was settled, the
 * position would be 0 and the 190 refused. */
static void test_sweep_position_at_next_check(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	login(f, &f->cb, f->ab);
	for (int k = 0; k < 3; k++) {
		struct nx_nxp_new_order o = order(B, 10 + (uint64_t)k, NX_SIDE_SELL, 1000 + k, 30);
		send_order(f, &f->cb, f->ab, &o);
		assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	}
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1002, 90);
	send_order(f, &f->ca, f->aa, &o);
	int fills = 0;
	for (int i = 0; i < f->nm; i++)
		fills += f->m[i].template_id == NX_NXP_EXEC_TRADE && f->m[i].u.exec_trade.account == A;
	assert_int_equal(fills, 3);
	o = order(A, 2, NX_SIDE_SELL, 1099, 190);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	o = order(A, 3, NX_SIDE_SELL, 1099, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_REJECTED);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_RISK_POSITION_LIMIT);
}

/* The reports about acct's orders in the last input, in order (at most n). */
static int msgs_of(struct fx *f, nx_acct_t acct, const struct nx_client_msg **out, int n)
{
	int k = 0;
	for (int i = 0; i < f->nm && k < n; i++) {
		const struct nx_client_msg *m = &f->m[i];
		nx_acct_t a = m->template_id == NX_NXP_EXEC_TRADE      ? m->u.exec_trade.account
			      : m->template_id == NX_NXP_EXEC_NEW      ? m->u.exec_new.account
			      : m->template_id == NX_NXP_EXEC_CANCELED ? m->u.exec_canceled.account
			      : m->template_id == NX_NXP_EXEC_REPLACED ? m->u.exec_replaced.account
								       : 0;
		if (a == acct)
			out[k++] = m;
	}
	return k;
}

static void assert_fill(const struct nx_client_msg *m, int64_t px, int64_t qty, uint64_t tid,
			uint32_t count, int64_t leaves, int64_t cum, unsigned liq)
{
	assert_int_equal(m->template_id, NX_NXP_EXEC_TRADE);
	const struct nx_nxp_exec_trade *t = &m->u.exec_trade;
	assert_int_equal(t->last_px, px);
	assert_int_equal(t->last_qty, qty);
	assert_int_equal(t->trade_id, tid);
	assert_int_equal(t->trade_count, count);
	assert_int_equal(t->leaves_qty, leaves);
	assert_int_equal(t->cum_qty, cum);
	assert_int_equal(t->liquidity, liq);
}

/* The aggressor gets one ExecTrade a price (docs/protocol.md#fills): B's
 * IOC buy of 20 takes A's 2, 3, 4 at 1000 and 1, 5 at 1001; B hears of it
 * in 2 ExecTrades (trades 1-3 and 4-5, quantities summed, leaves and cum
 * after the last), then the ExecCanceled of its remainder, numbered on
 * from its ExecNew; A gets one ExecTrade a trade. */
static void test_taker_fills_one_report_a_price(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	login(f, &f->cb, f->ab);
	static const int64_t px[] = { 1000, 1000, 1000, 1001, 1001 }, qty[] = { 2, 3, 4, 1, 5 };
	for (int k = 0; k < 5; k++) {
		struct nx_nxp_new_order o = order(A, 1 + (uint64_t)k, NX_SIDE_SELL, px[k], qty[k]);
		send_order(f, &f->ca, f->aa, &o);
	}
	struct nx_nxp_new_order o = order(B, 9, NX_SIDE_BUY, 1001, 20);
	o.time_in_force = NX_TIF_IOC;
	send_order(f, &f->cb, f->ab, &o);
	const struct nx_client_msg *b[8], *a[8];
	assert_int_equal(msgs_of(f, B, b, 8), 4);
	assert_int_equal(b[0]->template_id, NX_NXP_EXEC_NEW);
	assert_fill(b[1], 1000, 9, 1, 3, 11, 9, NX_LIQ_TAKER);
	assert_fill(b[2], 1001, 6, 4, 2, 5, 15, NX_LIQ_TAKER);
	assert_int_equal(b[3]->template_id, NX_NXP_EXEC_CANCELED);
	assert_int_equal(b[3]->u.exec_canceled.canceled_qty, 5);
	for (int k = 0; k < 4; k++)
		assert_int_equal(b[k]->seq, 1 + (uint64_t)k);
	assert_int_equal(msgs_of(f, A, a, 8), 5);
	for (int k = 0; k < 5; k++)
		assert_fill(a[k], px[k], qty[k], 1 + (uint64_t)k, 1, 0, qty[k], NX_LIQ_MAKER);
	assert_int_equal(nx_engine_stats(f->e)->fills, 10);
}

/* A and B logged in; asks of A, B, A (clOrdIds 1, 1, 2) at px[] for
 * qty[]; then B's buy (clOrdId 2) of qty_b at px_b, with stp. */
static void asks_a_b_a_then_b_buys(struct fx *f, const int64_t px[3], const int64_t qty[3],
				   int64_t px_b, int64_t qty_b, uint8_t stp)
{
	login(f, &f->ca, f->aa);
	login(f, &f->cb, f->ab);
	for (int k = 0; k < 3; k++) {
		int b = k == 1;
		struct nx_nxp_new_order o = order(b ? B : A, k == 2 ? 2 : 1, NX_SIDE_SELL, px[k], qty[k]);
		send_order(f, b ? &f->cb : &f->ca, b ? f->ab : f->aa, &o);
	}
	struct nx_nxp_new_order o = order(B, 2, NX_SIDE_BUY, px_b, qty_b);
	o.stp_mode = stp;
	send_order(f, &f->cb, f->ab, &o);
}

/* Self-trade prevention acting between two fills at one price ends the
 * run: B's buy (cancel oldest) meets A's 2, its own resting 3, A's 4; B
 * sees ExecTrade(2), the ExecCanceled of its resting order, ExecTrade(4),
 * in the book's order, though trades 1 and 2 are consecutive. */
static void test_taker_fills_split_by_stp(void **state)
{
	struct fx *f = *state;
	static const int64_t px[3] = { 1000, 1000, 1000 }, qty[3] = { 2, 3, 4 };
	asks_a_b_a_then_b_buys(f, px, qty, 1000, 6, NX_STP_CO);
	const struct nx_client_msg *b[8];
	assert_int_equal(msgs_of(f, B, b, 8), 4);
	assert_int_equal(b[0]->template_id, NX_NXP_EXEC_NEW);
	assert_fill(b[1], 1000, 2, 1, 1, 4, 2, NX_LIQ_TAKER);
	assert_int_equal(b[2]->template_id, NX_NXP_EXEC_CANCELED);
	assert_int_equal(b[2]->u.exec_canceled.cl_ord_id, 1);
	assert_int_equal(b[2]->u.exec_canceled.reason, NX_CXL_SELF_TRADE);
	assert_fill(b[3], 1000, 4, 2, 1, 0, 6, NX_LIQ_TAKER);
}

/* A trade against the aggressor's own session's order ends the run, so
 * that session's flow keeps the book's order: B's buy of 3 at 1000 takes
 * A's 1, then B's own 1, then A's 1, all at 1000; B sees taker trade 1,
 * maker trade 2, then taker trades 2-3. Without the cut it would see
 * maker trade 2 before the taker report covering trade 1. */
static void test_taker_fills_keep_own_flow_in_book_order(void **state)
{
	struct fx *f = *state;
	static const int64_t px[3] = { 1000, 1000, 1000 }, qty[3] = { 1, 1, 1 };
	asks_a_b_a_then_b_buys(f, px, qty, 1000, 3, NX_STP_NONE);
	const struct nx_client_msg *b[8];
	assert_int_equal(msgs_of(f, B, b, 8), 4);
	assert_int_equal(b[0]->template_id, NX_NXP_EXEC_NEW);
	assert_fill(b[1], 1000, 1, 1, 1, 2, 1, NX_LIQ_TAKER);
	assert_fill(b[2], 1000, 1, 2, 1, 0, 1, NX_LIQ_MAKER);
	assert_fill(b[3], 1000, 2, 2, 2, 0, 3, NX_LIQ_TAKER);
	for (int k = 1; k < 4; k++)
		assert_int_equal(b[k]->seq, b[0]->seq + (uint64_t)k);
}

/* A replace that crosses is an aggressor too: B's bid, repriced through
 * A's two asks at 1000, gets ExecReplaced and one ExecTrade for both. */
static void test_taker_fills_of_a_crossing_replace(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	login(f, &f->cb, f->ab);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_SELL, 1000, 2);
	send_order(f, &f->ca, f->aa, &o);
	o = order(A, 2, NX_SIDE_SELL, 1000, 2);
	send_order(f, &f->ca, f->aa, &o);
	o = order(B, 1, NX_SIDE_BUY, 990, 5);
	send_order(f, &f->cb, f->ab, &o);
	struct nx_nxp_cancel_replace rp = { .cl_ord_id = 2, .orig_cl_ord_id = 1, .price = 1000,
					    .qty = 5, .account = B };
	send_replace(f, &f->cb, f->ab, &rp);
	const struct nx_client_msg *b[8], *a[8];
	assert_int_equal(msgs_of(f, B, b, 8), 2);
	assert_int_equal(b[0]->template_id, NX_NXP_EXEC_REPLACED);
	assert_fill(b[1], 1000, 4, 1, 2, 1, 4, NX_LIQ_TAKER);
	assert_int_equal(b[1]->u.exec_trade.cl_ord_id, 2);
	assert_int_equal(msgs_of(f, A, a, 8), 2);
	assert_fill(a[0], 1000, 2, 1, 1, 0, 2, NX_LIQ_MAKER);
	assert_fill(a[1], 1000, 2, 2, 1, 0, 2, NX_LIQ_MAKER);
}

/* The aggressor's reports against the makers', over a random flow (a
 * differential check of the gathering, docs/protocol.md#fills): A and B
 * send GTC and IOC orders and replaces around one price, small makers and
 * larger takers, so sweeps meet several makers at a price and several
 * prices. Every trade id gets exactly one maker report and is covered by
 * exactly one taker report, at the maker's price, whose quantity is the
 * sum of its makers'; each account's flow reports trades in id order (the
 * book's, self-matches included); every order's reports chain cum +=
 * lastQty; the engine's fills are twice the trades; and some taker report
 * covers more than one trade (the flow does exercise the gathering). */
#define TF_STEPS 4000
#define TF_TRADES 20000
static void test_taker_fills_cover_the_trades(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	static struct {
		int64_t px, qty;
		int step; /* of the maker's report */
		uint8_t maker, taker;
	} tr[TF_TRADES + 1];
	static int64_t cum[TF_STEPS + 2]; /* by order id */
	memset(tr, 0, sizeof(tr));
	memset(cum, 0, sizeof(cum));
	uint64_t x = 0x9e3779b97f4a7c15u, cl[2] = { 0, 0 }, trades = 0, takers = 0, gathered = 0;
	/* by account: its flow reports trades in id order, a self-match's
	 * maker side before its taker side */
	uint64_t last_tid[2] = { 0, 0 };
	int last_maker[2] = { 0, 0 };
	for (int step = 0; step < TF_STEPS; step++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int b = (int)(x & 1);
		struct nx_client *c = b ? &f->cb : &f->ca;
		struct nx_addr a = b ? f->ab : f->aa;
		nx_acct_t acct = b ? B : A;
		unsigned side = (x >> 1) & 1 ? NX_SIDE_BUY : NX_SIDE_SELL;
		int64_t px = 995 + (int64_t)((x >> 2) % 11);
		f->now += MS;
		if ((x >> 8) % 5 == 0 && cl[b]) { /* reprice or resize one of its orders */
			struct nx_nxp_cancel_replace rp = { .cl_ord_id = ++cl[b],
				.orig_cl_ord_id = 1 + (x >> 16) % (cl[b] - 1 ? cl[b] - 1 : 1), .price = px,
				.qty = 1 + (int64_t)((x >> 24) % 6), .account = acct };
			send_replace(f, c, a, &rp);
		} else {
			int taker = (x >> 8) % 5 == 1;
			struct nx_nxp_new_order o = order(acct, ++cl[b], side, px,
							  taker ? 4 + (int64_t)((x >> 24) % 17)
								: 1 + (int64_t)((x >> 24) % 4));
			if (taker && (x >> 32) & 1)
				o.time_in_force = NX_TIF_IOC;
			send_order(f, c, a, &o);
		}
		assert_true(f->nm < EH_OUT_CAP); /* every reply was read */
		for (int i = 0; i < f->nm; i++)
			if (f->m[i].template_id == NX_NXP_EXEC_TRADE) {
				const struct nx_nxp_exec_trade *t = &f->m[i].u.exec_trade;
				int who = t->account == B, maker = t->liquidity == NX_LIQ_MAKER;
				assert_true(t->trade_id > last_tid[who] ||
					    (t->trade_id == last_tid[who] && last_maker[who] && !maker));
				last_tid[who] = t->trade_id + t->trade_count - 1;
				last_maker[who] = maker;
			}
		for (int pass = 0; pass < 2; pass++) /* makers first: their datagrams may come later */
			for (int i = 0; i < f->nm; i++) {
				if (f->m[i].template_id != NX_NXP_EXEC_TRADE)
					continue;
				const struct nx_nxp_exec_trade *t = &f->m[i].u.exec_trade;
				int maker = t->liquidity == NX_LIQ_MAKER;
				if (maker != !pass)
					continue;
				assert_true(t->trade_id >= 1 && t->trade_count >= 1 &&
					    t->trade_id + t->trade_count - 1 <= TF_TRADES);
				assert_true(t->order_id >= 1 && t->order_id <= TF_STEPS + 1);
				assert_int_equal(t->cum_qty, cum[t->order_id] + t->last_qty);
				cum[t->order_id] = t->cum_qty;
				if (maker) {
					assert_int_equal(t->trade_count, 1);
					assert_int_equal(tr[t->trade_id].maker, 0);
					tr[t->trade_id].maker = 1;
					tr[t->trade_id].px = t->last_px;
					tr[t->trade_id].qty = t->last_qty;
					tr[t->trade_id].step = step;
					trades++;
					continue;
				}
				int64_t sum = 0;
				for (uint64_t id = t->trade_id; id < t->trade_id + t->trade_count; id++) {
					assert_int_equal(tr[id].maker, 1);
					assert_int_equal(tr[id].step, step); /* in the same replies */
					assert_int_equal(tr[id].taker, 0);
					assert_int_equal(tr[id].px, t->last_px);
					tr[id].taker = 1;
					sum += tr[id].qty;
				}
				assert_int_equal(sum, t->last_qty);
				takers++;
				gathered += t->trade_count > 1;
			}
	}
	for (uint64_t id = 1; id <= trades; id++)
		assert_true(tr[id].maker && tr[id].taker);
	assert_int_equal(nx_engine_stats(f->e)->fills, 2 * trades);
	assert_true(trades > 1000 && gathered > 100 && takers < trades);
	fx_free(f);
}

static void test_risk_and_book_rejects(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1101, 1); /* collar 1000 +/- 100 */
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_REJECTED);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_RISK_PRICE_COLLAR);
	o = order(A, 2, NX_SIDE_BUY, 1000, 101); /* position limit 100 */
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_RISK_POSITION_LIMIT);
	o = order(A, 3, NX_SIDE_BUY, 1000, 0); /* the book's reject */
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_BAD_QTY);
	o = order(B, 4, NX_SIDE_BUY, 1000, 1); /* another account's order */
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_ACCOUNT_NOT_PERMITTED);
	/* cancel of an unknown order */
	uint8_t buf[256];
	struct nx_nxp_writer w;
	struct nx_nxp_cancel_order c = { .cl_ord_id = 5, .orig_cl_ord_id = 77, .account = A };
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	nx_client_cancel(&f->ca, &w, &c);
	rx(f, f->aa, buf, w.len);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_CANCEL_REJECT);
	assert_int_equal(msg(f, 0)->u.cancel_reject.reason, NX_REJ_UNKNOWN_ORDER);
	assert_int_equal(msg(f, 0)->u.cancel_reject.response_to, NX_REQ_CANCEL);
	assert_int_equal(nx_engine_stats(f->e)->rejects[NX_REJ_RISK_PRICE_COLLAR], 1);
}

static void test_several_messages_one_datagram(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	uint8_t buf[1472];
	struct nx_nxp_writer w;
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	for (uint64_t cl = 1; cl <= 10; cl++) {
		struct nx_nxp_new_order o = order(A, cl, NX_SIDE_BUY, 990 + (int64_t)cl, 1);
		nx_client_new_order(&f->ca, &w, &o);
	}
	struct nx_nxp_mass_cancel mc = { .cl_ord_id = 99, .account = A };
	nx_client_mass_cancel(&f->ca, &w, &mc);
	rx(f, f->aa, buf, w.len);
	assert_int_equal(f->out.n, 1); /* 10 acks, 10 cancels, 1 report: one datagram */
	assert_int_equal(count_msgs(f), 21);
	assert_int_equal(msg(f, 20)->template_id, NX_NXP_MASS_CANCEL_REPORT);
	assert_int_equal(msg(f, 20)->u.mass_cancel_report.count, 10);
	assert_int_equal(msg(f, 10)->u.exec_canceled.reason, NX_CXL_MASS_CANCEL);
	assert_int_equal(msg(f, 10)->u.exec_canceled.req_cl_ord_id, 99);
}

/* --- Sequencing ------------------------------------------------------------------- */

static void test_duplicate_and_gap(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	uint8_t buf[256];
	struct nx_nxp_writer w;
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	nx_client_new_order(&f->ca, &w, &o);
	rx(f, f->aa, buf, w.len);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	/* the same datagram again: no second order, no answer */
	rx(f, f->aa, buf, w.len);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(nx_engine_stats(f->e)->drop_duplicate, 1);
	assert_int_equal(nx_engine_stats(f->e)->orders, 1);
	/* skip numbers 2 and 3: NotApplied(2, 2), then the order numbered 4 */
	f->ca.next_seq = 4;
	o = order(A, 2, NX_SIDE_BUY, 999, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_NOT_APPLIED);
	assert_int_equal(msg(f, 0)->u.not_applied.from_seq_no, 2);
	assert_int_equal(msg(f, 0)->u.not_applied.count, 2);
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_EXEC_NEW);
	assert_int_equal(msg(f, 1)->u.exec_new.cl_ord_id, 2);
	assert_int_equal(nx_engine_stats(f->e)->not_applied, 2);
}

static void test_lost_reply_retransmitted(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);
	uint8_t lost[NX_NXP_DGRAM_MAX];
	uint16_t lost_len = f->out.d[0].len;
	memcpy(lost, f->out.d[0].data, lost_len);
	/* pretend it never arrived: the client still expects 1; the next reply shows the gap */
	f->ca.expect_seq = 1;
	o = order(A, 2, NX_SIDE_BUY, 999, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(f->ca.gap_from, 1);
	assert_int_equal(f->ca.gap_count, 1);
	uint8_t buf[256];
	size_t n = nx_client_retransmit_request(&f->ca, buf, sizeof(buf), 31, 1, 1);
	rx(f, f->aa, buf, n);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->m[0].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(f->m[0].u.retransmission.next_seq_no, 1);
	assert_int_equal(f->m[0].u.retransmission.count, 1);
	assert_int_equal(f->m[0].u.retransmission.request_timestamp, 31);
	assert_int_equal(msg(f, 0)->u.exec_new.cl_ord_id, 1);
	assert_true(msg(f, 0)->retransmitted);
	assert_int_equal(f->ca.gap_count, 0);
	/* the very same bytes as the original message */
	size_t head = NX_NXP_OVERHEAD + NX_NXP_SEQUENCE_BLOCK_LEN;
	size_t rhead = NX_NXP_OVERHEAD + NX_NXP_RETRANSMISSION_BLOCK_LEN;
	assert_int_equal(f->out.d[0].len - rhead, lost_len - head);
	assert_memory_equal(f->out.d[0].data + rhead, lost + head, lost_len - head);
	/* out of range, too many, wrong session */
	n = nx_client_retransmit_request(&f->ca, buf, sizeof(buf), 32, 3, 1);
	rx(f, f->aa, buf, n);
	assert_int_equal(msg(f, 0)->u.retransmit_reject.code, NX_REJ_RETRANSMIT_OUT_OF_RANGE);
	n = nx_client_retransmit_request(&f->ca, buf, sizeof(buf), 33, 1, 65);
	rx(f, f->aa, buf, n);
	assert_int_equal(msg(f, 0)->u.retransmit_reject.code, NX_REJ_RETRANSMIT_TOO_MANY);
	struct nx_client other = f->ca;
	other.session_id = 5;
	n = nx_client_retransmit_request(&other, buf, sizeof(buf), 34, 1, 1);
	rx(f, f->aa, buf, n);
	assert_int_equal(msg(f, 0)->u.retransmit_reject.code, NX_REJ_RETRANSMIT_WRONG_SESSION);
}

static void test_heartbeat_and_timeout(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);
	/* silence for one venue interval: a heartbeat Sequence(next) */
	f->now += 1000 * MS;
	f->out.n = 0;
	assert_int_equal(nx_engine_poll(f->e, f->now, &f->out), 1);
	int k = nx_client_read(&f->ca, f->out.d[0].data, f->out.d[0].len, f->m, 8);
	assert_int_equal(k, 1);
	assert_int_equal(f->m[0].template_id, NX_NXP_SEQUENCE);
	assert_int_equal(f->m[0].u.sequence.next_seq_no, 2);
	/* a client heartbeat keeps the session alive */
	uint8_t buf[256];
	size_t n = nx_client_heartbeat(&f->ca, buf, sizeof(buf));
	f->now += 2000 * MS;
	rx(f, f->aa, buf, n);
	f->now += 2000 * MS;
	f->out.n = 0;
	nx_engine_poll(f->e, f->now, &f->out);
	assert_int_equal(nx_engine_stats(f->e)->sessions_terminated, 0);
	/* three client intervals of silence: Terminate, and the order is canceled */
	f->now += 1500 * MS;
	f->out.n = 0;
	nx_engine_poll(f->e, f->now, &f->out);
	assert_int_equal(nx_engine_stats(f->e)->sessions_terminated, 1);
	assert_int_equal(f->out.n, 1);
	k = nx_client_read(&f->ca, f->out.d[0].data, f->out.d[0].len, f->m, 8);
	assert_int_equal(f->m[0].template_id, NX_NXP_TERMINATE);
	assert_int_equal(f->m[0].u.terminate.code, NX_REJ_KEEPALIVE_TIMEOUT);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);
	/* establish again: the cancel (kept while unbound) is retransmitted */
	n = nx_client_establish(&f->ca, buf, sizeof(buf), f->now, 1000); /* later than login's */
	assert_true(n > 0);
	rx(f, f->aa, buf, n);
	assert_int_equal(msg(f, 0)->u.establishment_ack.next_seq_no, 3);
	n = nx_client_retransmit_request(&f->ca, buf, sizeof(buf), 901, 2, 1);
	rx(f, f->aa, buf, n);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_CANCELED);
	assert_int_equal(msg(f, 0)->u.exec_canceled.reason, NX_CXL_DISCONNECT);
}

static void test_terminate(void **state)
{
	struct fx *f = *state;
	login(f, &f->cb, f->ab);
	struct nx_nxp_new_order o = order(B, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->cb, f->ab, &o);
	uint8_t buf[64];
	size_t n = nx_client_terminate(&f->cb, buf, sizeof(buf), 0);
	rx(f, f->ab, buf, n);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_TERMINATE);
	/* B is not cancel-on-disconnect: its order stays */
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 1);
	send_order(f, &f->cb, f->ab, &o);
	assert_int_equal(f->out.n, 0); /* unbound now */
}

/* Negotiate refusals the tests above do not reach: a flow other than
 * Idempotent, session id 0, no free session slot (max_sessions is 8); and
 * a venue's own session message sent to the venue. */
static void test_negotiate_refusals(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	struct nx_nxp_writer w;
	struct nx_nxp_negotiate n = { .session_id = 77, .timestamp = 1, .account = A,
				      .client_flow = NX_NXP_FLOW_RECOVERABLE };
	memcpy(n.secret_key, key_a, 32);
	nx_nxp_writer_init(&w, buf, sizeof(buf));
	rx(f, f->aa, buf, nx_nxp_encode_negotiate(&w, &n));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_NEGOTIATION_REJECT);
	assert_int_equal(msg(f, 0)->u.negotiation_reject.code, NX_REJ_FLOW_NOT_SUPPORTED);
	struct nx_client c;
	nx_client_init(&c, 0, A, key_a);
	expect_neg_reject(f, &c, f->aa, NX_REJ_BAD_FIELD);
	for (uint64_t id = 1; id <= 8; id++) {
		nx_client_init(&c, id, A, key_a);
		rx(f, f->aa, buf, nx_client_negotiate(&c, buf, sizeof(buf), id));
		assert_int_equal(msg(f, 0)->template_id, NX_NXP_NEGOTIATION_RESPONSE);
	}
	nx_client_init(&c, 9, A, key_a);
	expect_neg_reject(f, &c, f->aa, NX_REJ_SESSION_CAPACITY);
	assert_int_equal(nx_engine_stats(f->e)->sessions_negotiated, 8);
	struct nx_nxp_negotiation_response r = { .session_id = 1, .request_timestamp = 1 };
	nx_nxp_writer_init(&w, buf, sizeof(buf));
	rx(f, f->aa, buf, nx_nxp_encode_negotiation_response(&w, &r));
	assert_int_equal(f->out.n, 0);
	assert_int_equal(nx_engine_stats(f->e)->drop_direction, 1);
}

/* sessions.per_account: one account cannot take every session slot of the
 * shard (its key suffices to negotiate them, and slots are never given
 * back), so the others can still log in. Found by a security review. */
static void test_sessions_per_account(void **state)
{
	struct fx *f = *state;
	struct nx_instrument inst = { .id = INST, .symbol = "BTC-USD", .band_ticks = 100,
				      .ref_px = 1000 };
	uint8_t buf[256];
	struct nx_client c;
	nx_instrument_defaults(&inst);
	nx_engine_destroy(f->e);
	f->e = make_engine_capped(&inst, &eh_limits, 3);
	for (uint64_t id = 1; id <= 3; id++) {
		nx_client_init(&c, id, A, key_a);
		rx(f, f->aa, buf, nx_client_negotiate(&c, buf, sizeof(buf), id));
		assert_int_equal(msg(f, 0)->template_id, NX_NXP_NEGOTIATION_RESPONSE);
	}
	nx_client_init(&c, 4, A, key_a);
	expect_neg_reject(f, &c, f->aa, NX_REJ_SESSION_CAPACITY); /* A's share is taken */
	login(f, &f->cb, f->ab);                                    /* B still logs in */
	/* a retry of an accepted Negotiate takes no second slot */
	nx_client_init(&c, 3, A, key_a);
	rx(f, f->aa, buf, nx_client_negotiate(&c, buf, sizeof(buf), 3));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_NEGOTIATION_RESPONSE);
	assert_int_equal(nx_engine_stats(f->e)->sessions_negotiated, 4);
}

/* An Establish from another address moves the session there (fail-over):
 * replies follow it, the old address is unbound, no order is canceled
 * (A is cancel-on-disconnect: the session did not end). One whose
 * nextSeqNo is ahead of what the venue received gets a NotApplied for the
 * numbers skipped, sequenced, after the EstablishmentAck. */
static void test_failover_and_establish_gap(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	login(f, &f->ca, f->aa);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);
	struct nx_addr moved = { .ip = IP_A, .port = 5001 };
	f->ca.next_seq = 5; /* the client sent 2, 3 and 4; the venue never saw them */
	rx(f, moved, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 3, 1000));
	assert_int_equal(f->out.n, 2);
	assert_true(f->out.d[0].to.port == 5001 && f->out.d[1].to.port == 5001);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	assert_int_equal(msg(f, 0)->u.establishment_ack.next_seq_no, 2);
	assert_int_equal(msg(f, 0)->u.establishment_ack.next_recv_seq_no, 2);
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_NOT_APPLIED);
	assert_int_equal(msg(f, 1)->seq, 2);
	assert_int_equal(msg(f, 1)->u.not_applied.from_seq_no, 2);
	assert_int_equal(msg(f, 1)->u.not_applied.count, 3);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 1);
	assert_int_equal(nx_engine_stats(f->e)->sessions_established, 2);
	/* the old address is no longer the session's */
	o = order(A, 2, NX_SIDE_BUY, 999, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(nx_engine_stats(f->e)->drop_unbound, 1);
	/* the new one trades, numbered from 5 */
	f->ca.next_seq = 5;
	send_order(f, &f->ca, moved, &o);
	assert_true(f->out.n == 1 && f->out.d[0].to.port == 5001);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	assert_int_equal(msg(f, 0)->u.exec_new.cl_ord_id, 2);
}

/* A RetransmitRequest while another is still being served (the output had
 * room for part of it) is refused with RETRANSMIT_IN_PROGRESS; the one in
 * progress goes on from nx_engine_poll until every message was resent. */
static void test_retransmit_in_progress(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	login(f, &f->ca, f->aa);
	for (uint64_t cl = 1; cl <= 30; cl++) {
		struct nx_nxp_new_order o = order(A, cl, NX_SIDE_BUY, 950 + (int64_t)cl, 1);
		send_order(f, &f->ca, f->aa, &o);
		assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	}
	struct nx_out one = { .d = f->d, .cap = 1 };
	size_t n = nx_client_retransmit_request(&f->ca, buf, sizeof(buf), 40, 1, 30);
	nx_engine_rx(f->e, buf, n, f->aa, f->now, &one);
	assert_int_equal(one.n, 1);
	struct nx_client_msg m[64];
	int k = nx_client_read(&f->ca, f->d[0].data, f->d[0].len, m, 64);
	assert_int_equal(m[0].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(m[0].u.retransmission.next_seq_no, 1);
	uint32_t first = m[0].u.retransmission.count;
	assert_true(first > 0 && first < 30 && k == (int)first + 1);
	rx(f, f->aa, buf, nx_client_retransmit_request(&f->ca, buf, sizeof(buf), 41, 1, 1));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_RETRANSMIT_REJECT);
	assert_int_equal(msg(f, 0)->u.retransmit_reject.code, NX_REJ_RETRANSMIT_IN_PROGRESS);
	f->out.n = 0;
	nx_engine_poll(f->e, f->now, &f->out);
	uint64_t next = 1 + first;
	for (uint32_t i = 0; i < f->out.n; i++) {
		k = nx_client_read(&f->ca, f->out.d[i].data, f->out.d[i].len, m, 64);
		assert_int_equal(m[0].template_id, NX_NXP_RETRANSMISSION);
		assert_int_equal(m[0].u.retransmission.next_seq_no, next);
		for (int j = 1; j < k; j++)
			assert_int_equal(m[j].u.exec_new.cl_ord_id, next++);
	}
	assert_int_equal(next, 31);
	assert_int_equal(nx_engine_stats(f->e)->retransmitted, 30);
}

/* FinishedSending / FinishedReceiving end the session for good: the venue
 * answers FinishedReceiving and its own FinishedSending(its last number);
 * the client's FinishedReceiving ends the binding (Terminate, and A's
 * cancel-on-disconnect); the id can then be neither established nor
 * negotiated again. Out of turn, they are dropped. */
static void test_finalize(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	login(f, &f->ca, f->aa);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);
	rx(f, f->aa, buf, nx_client_finished_receiving(&f->ca, buf, sizeof(buf)));
	assert_int_equal(f->out.n, 0); /* no FinishedSending from the venue yet */
	assert_int_equal(nx_engine_stats(f->e)->drop_unbound, 1);
	rx(f, f->aa, buf, nx_client_finished_sending(&f->ca, buf, sizeof(buf)));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_FINISHED_RECEIVING);
	assert_int_equal(msg(f, 0)->u.finished_receiving.session_id, 101);
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_FINISHED_SENDING);
	assert_int_equal(msg(f, 1)->u.finished_sending.last_seq_no, 1);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 1);
	rx(f, f->aa, buf, nx_client_finished_receiving(&f->ca, buf, sizeof(buf)));
	assert_int_equal(f->out.n, 1);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_TERMINATE);
	assert_int_equal(msg(f, 0)->u.terminate.code, 0);
	assert_int_equal(nx_engine_stats(f->e)->sessions_terminated, 1);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);
	rx(f, f->aa, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 9, 1000));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_REJECT);
	assert_int_equal(msg(f, 0)->u.establishment_reject.code, NX_REJ_NOT_NEGOTIATED);
	struct nx_client c;
	nx_client_init(&c, 101, A, key_a);
	expect_neg_reject(f, &c, f->aa, NX_REJ_SESSION_ID_IN_USE);
}

/* Paths of the pipeline the tests above do not take: a market order (risk
 * prices it at the best opposite price plus the band) trading, and one
 * finding nothing; decrement-and-cancel self-trade prevention, whose
 * resting side gets ExecReduced; a replace refused by risk and one naming
 * another account (CancelReject answering a replace), a mass cancel naming
 * another account; a halt and reopening by an admin's SetInstrumentStatus. */
static void test_market_reduce_refusals_status(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	struct nx_nxp_writer w;
	login(f, &f->ca, f->aa);
	login(f, &f->cb, f->ab);
	login(f, &f->cadm, f->aadm);
	struct nx_nxp_new_order o = order(B, 1, NX_SIDE_SELL, 1000, 2);
	send_order(f, &f->cb, f->ab, &o);
	o = order(A, 2, NX_SIDE_BUY, 0, 1);
	o.ord_type = NX_ORD_MARKET;
	o.time_in_force = NX_TIF_IOC;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	int trades = 0;
	for (int i = 0; i < f->nm; i++)
		trades += f->m[i].template_id == NX_NXP_EXEC_TRADE && f->m[i].u.exec_trade.last_px == 1000;
	assert_int_equal(trades, 2); /* one to each side */
	/* risk prices a market buy at the best ask + the band: 1000 + 100; the
	 * maximum notional is 1e6, so 909 lots pass it (and fail the position
	 * limit, the next check) and 910 do not */
	o.cl_ord_id = 20;
	o.qty = 909;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_RISK_POSITION_LIMIT);
	o.cl_ord_id = 21;
	o.qty = 910;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_RISK_MAX_NOTIONAL);
	o = order(A, 3, NX_SIDE_SELL, 0, 1);
	o.ord_type = NX_ORD_MARKET;
	o.time_in_force = NX_TIF_IOC;
	send_order(f, &f->ca, f->aa, &o); /* no bids */
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_EXEC_CANCELED);
	assert_int_equal(msg(f, 1)->u.exec_canceled.reason, NX_CXL_NO_LIQUIDITY);

	/* A's resting sell 5 at the best ask, A's buy 2 with decrement-and-cancel */
	o = order(A, 4, NX_SIDE_SELL, 999, 5);
	send_order(f, &f->ca, f->aa, &o);
	o = order(A, 5, NX_SIDE_BUY, 999, 2);
	o.stp_mode = NX_STP_DC;
	send_order(f, &f->ca, f->aa, &o);
	int reduced = 0, canceled = 0;
	for (int i = 0; i < count_msgs(f); i++) {
		const struct nx_client_msg *r = msg(f, i);
		if (r->template_id == NX_NXP_EXEC_REDUCED) {
			assert_int_equal(r->u.exec_reduced.cl_ord_id, 4);
			assert_int_equal(r->u.exec_reduced.reduced_qty, 2);
			assert_int_equal(r->u.exec_reduced.leaves_qty, 3);
			assert_int_equal(r->u.exec_reduced.reason, NX_CXL_SELF_TRADE);
			reduced++;
		}
		canceled += r->template_id == NX_NXP_EXEC_CANCELED && r->u.exec_canceled.cl_ord_id == 5 &&
			    r->u.exec_canceled.reason == NX_CXL_SELF_TRADE;
	}
	assert_int_equal(reduced, 1);
	assert_int_equal(canceled, 1);

	/* a replace out of the collar; a replace and a mass cancel for B, from A */
	struct nx_nxp_cancel_replace rp = { .cl_ord_id = 6, .orig_cl_ord_id = 4, .price = 1200,
					    .qty = 3, .account = A };
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	nx_client_replace(&f->ca, &w, &rp);
	rp.cl_ord_id = 7;
	rp.account = B;
	rp.orig_cl_ord_id = 1;
	rp.price = 1000;
	nx_client_replace(&f->ca, &w, &rp);
	struct nx_nxp_mass_cancel mc = { .cl_ord_id = 8, .account = B };
	nx_client_mass_cancel(&f->ca, &w, &mc);
	rx(f, f->aa, buf, w.len);
	assert_int_equal(count_msgs(f), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(msg(f, i)->template_id, NX_NXP_CANCEL_REJECT);
	assert_int_equal(msg(f, 0)->u.cancel_reject.reason, NX_REJ_RISK_PRICE_COLLAR);
	assert_int_equal(msg(f, 0)->u.cancel_reject.response_to, NX_REQ_REPLACE);
	assert_int_equal(msg(f, 1)->u.cancel_reject.reason, NX_REJ_ACCOUNT_NOT_PERMITTED);
	assert_int_equal(msg(f, 1)->u.cancel_reject.response_to, NX_REQ_REPLACE);
	assert_int_equal(msg(f, 2)->u.cancel_reject.reason, NX_REJ_ACCOUNT_NOT_PERMITTED);
	assert_int_equal(msg(f, 2)->u.cancel_reject.response_to, NX_REQ_MASS_CANCEL);
	struct nx_order_info oi;
	assert_int_equal(nx_book_order_by_cl(nx_engine_book(f->e), A, 4, &oi), 0);
	assert_int_equal(oi.px, 999); /* unchanged */

	/* halted by an admin: new orders refused; reopened: accepted */
	struct nx_nxp_set_instrument_status st = { .req_id = 1, .instrument = INST,
						   .status = NX_STATUS_HALTED };
	nx_client_begin(&f->cadm, &w, buf, sizeof(buf));
	nx_nxp_encode_set_instrument_status(&w, &st);
	nx_client_count(&f->cadm);
	rx(f, f->aadm, buf, w.len);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ADMIN_ACK);
	o = order(A, 9, NX_SIDE_BUY, 990, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_INSTRUMENT_HALTED);
	st = (struct nx_nxp_set_instrument_status){ .req_id = 2, .instrument = INST,
						    .status = NX_STATUS_OPEN };
	nx_client_begin(&f->cadm, &w, buf, sizeof(buf));
	nx_nxp_encode_set_instrument_status(&w, &st);
	nx_client_count(&f->cadm);
	rx(f, f->aadm, buf, w.len);
	o.cl_ord_id = 10;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
}

/* A market order of account A for qty; returns the first reply message. */
static const struct nx_client_msg *market(struct fx *f, uint64_t cl, unsigned side, int64_t qty)
{
	struct nx_nxp_new_order o = order(A, cl, side, 0, qty);
	o.ord_type = NX_ORD_MARKET;
	send_order(f, &f->ca, f->aa, &o);
	return msg(f, 0);
}

/* A fresh engine trading inst under limits, A and B logged in with new
 * session ids (sess, sess + 100), and B's order o resting. */
static void reopen(struct fx *f, const struct nx_instrument *inst, const struct nx_limits *lim,
		   uint64_t sess, const struct nx_nxp_new_order *o)
{
	nx_engine_destroy(f->e);
	f->e = make_engine_with(inst, lim);
	nx_client_init(&f->ca, sess, A, key_a);
	nx_client_init(&f->cb, sess + 100, B, key_b);
	login(f, &f->ca, f->aa);
	login(f, &f->cb, f->ab);
	send_order(f, &f->cb, f->ab, o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
}

/* Regression: a market order is judged at the highest price it can trade
 * at. A sell used to be judged at its protection price, best bid - band,
 * which understates it and with a wide band is 0 or below, so it passed the
 * notional and credit checks whatever its size; and a buy's ask + band x
 * tick was computed without an overflow check (a wrapped, negative price). */
static void test_market_risk_price(void **state)
{
	struct fx *f = *state;
	struct nx_instrument in = { .id = INST, .symbol = "BTC-USD", .band_ticks = 100, .ref_px = 1000 };
	nx_instrument_defaults(&in);
	struct nx_nxp_new_order rest = order(B, 1, NX_SIDE_BUY, 990, 50);
	reopen(f, &in, &eh_limits, 102, &rest);
	/* 1100 lots: 1,089,000 at the bid 990 > 1e6 (at 890 it was 979,000). */
	const struct nx_client_msg *r = market(f, 1, NX_SIDE_SELL, 1100);
	assert_int_equal(r->template_id, NX_NXP_EXEC_REJECTED);
	assert_int_equal(r->u.exec_rejected.reason, NX_REJ_RISK_MAX_NOTIONAL);

	/* A band wider than the bid: bid - band is below 0. */
	in = (struct nx_instrument){ .id = INST, .symbol = "WIDE", .band_ticks = 1000, .ref_px = 500 };
	nx_instrument_defaults(&in);
	rest = order(B, 1, NX_SIDE_BUY, 500, 100);
	reopen(f, &in, &eh_limits, 103, &rest);
	r = market(f, 2, NX_SIDE_SELL, 2100); /* 1,050,000 at 500 */
	assert_int_equal(r->template_id, NX_NXP_EXEC_REJECTED);
	assert_int_equal(r->u.exec_rejected.reason, NX_REJ_RISK_MAX_NOTIONAL);
	assert_int_equal(market(f, 3, NX_SIDE_SELL, 100)->template_id, NX_NXP_EXEC_NEW); /* 50,000 */
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_EXEC_TRADE);

	/* band x tick past INT64_MAX (tick 1e7, band 1e12 ticks: both within
	 * what a configuration accepts). */
	in = (struct nx_instrument){ .id = INST, .symbol = "BIG", .tick = 10000000,
				     .band_ticks = 1000000000000, .ref_px = 10000000 };
	nx_instrument_defaults(&in);
	struct nx_limits lim = eh_limits;
	lim.max_order_notional = 1000000000;
	lim.credit_limit = 1000000000000;
	rest = order(B, 1, NX_SIDE_SELL, 10000000, 1);
	reopen(f, &in, &lim, 104, &rest);
	r = market(f, 4, NX_SIDE_BUY, 1);
	assert_int_equal(r->template_id, NX_NXP_EXEC_REJECTED);
	assert_int_equal(r->u.exec_rejected.reason, NX_REJ_RISK_MAX_NOTIONAL);
}

/* --- Bad input, throttle, admin, reference data --------------------------------- */

static void test_malformed(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	uint8_t buf[256];
	struct nx_nxp_writer w;
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	/* truncated datagram */
	rx(f, f->aa, buf, 3);
	assert_int_equal(f->out.n, 0);
	/* an unknown template behind a Sequence: BusinessReject, the number is used */
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	uint8_t *blk = nx_nxp_encode_header(&w, 333, 1, 8);
	assert_non_null(blk);
	nx_client_count(&f->ca);
	rx(f, f->aa, buf, w.len);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_BUSINESS_REJECT);
	assert_int_equal(msg(f, 0)->u.business_reject.reason, NX_REJ_UNKNOWN_TEMPLATE);
	assert_int_equal(msg(f, 0)->u.business_reject.ref_seq_no, 1);
	/* a venue-only message from the client */
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	struct nx_nxp_exec_rejected er = { .cl_ord_id = 1 };
	nx_nxp_encode_exec_rejected(&w, &er);
	nx_client_count(&f->ca);
	rx(f, f->aa, buf, w.len);
	assert_int_equal(msg(f, 0)->u.business_reject.reason, NX_REJ_WRONG_DIRECTION);
	/* an application message with no Sequence first */
	nx_nxp_writer_init(&w, buf, sizeof(buf));
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	nx_nxp_encode_new_order(&w, &o);
	rx(f, f->aa, buf, w.len);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(st->drop_unsequenced, 1);
	/* a wrong schema id: the message is malformed, the session goes on */
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	size_t at = w.len;
	nx_client_new_order(&f->ca, &w, &o);
	buf[at + 10] ^= 0xff;
	rx(f, f->aa, buf, w.len);
	assert_int_equal(msg(f, 0)->u.business_reject.reason, NX_REJ_MALFORMED);
	o.cl_ord_id = 2;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	assert_true(st->drop_malformed >= 2);
}

static void test_throttle(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	uint8_t buf[NX_NXP_DGRAM_MAX];
	struct nx_nxp_writer w;
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	for (uint64_t cl = 1; cl <= 20; cl++) {
		struct nx_nxp_new_order o = order(A, cl, NX_SIDE_BUY, 900, 1);
		assert_true(nx_client_new_order(&f->ca, &w, &o) > 0);
	}
	/* burst 100 tokens: spend 20 here, then 100 more in 4 datagrams at the same instant */
	rx(f, f->aa, buf, w.len);
	int rejected = 0;
	for (int d = 0; d < 4; d++) {
		nx_client_begin(&f->ca, &w, buf, sizeof(buf));
		for (uint64_t cl = 0; cl < 25; cl++) {
			struct nx_nxp_cancel_order c = { .cl_ord_id = 1000 + cl, .orig_cl_ord_id = 5000,
							 .account = A };
			assert_true(nx_client_cancel(&f->ca, &w, &c) > 0);
		}
		rx(f, f->aa, buf, w.len);
		for (int i = 0; i < count_msgs(f); i++)
			rejected += msg(f, i)->u.cancel_reject.reason == NX_REJ_RISK_THROTTLED;
	}
	assert_int_equal(nx_engine_stats(f->e)->throttled, 20);
	assert_int_equal(rejected, 20);
	/* 1000 a second: 10 ms later there are 10 tokens again */
	f->now += 10 * MS;
	struct nx_nxp_new_order o = order(A, 500, NX_SIDE_BUY, 900, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
}

static void test_admin(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	login(f, &f->cadm, f->aadm);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);
	uint8_t buf[256];
	struct nx_nxp_writer w;
	struct nx_nxp_set_kill_switch k = { .req_id = 7, .id = A, .scope = NX_KILL_ACCOUNT, .on = 1 };
	/* not from a trader */
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	nx_nxp_encode_set_kill_switch(&w, &k);
	nx_client_count(&f->ca);
	rx(f, f->aa, buf, w.len);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ADMIN_REJECT);
	assert_int_equal(msg(f, 0)->u.admin_reject.reason, NX_REJ_NOT_ADMIN);
	/* from the admin: ack to it, the kill cancels A's order (report to A) */
	nx_client_begin(&f->cadm, &w, buf, sizeof(buf));
	nx_nxp_encode_set_kill_switch(&w, &k);
	nx_client_count(&f->cadm);
	rx(f, f->aadm, buf, w.len);
	assert_int_equal(count_msgs(f), 2);
	int ack = 0, cxl = 0;
	for (int i = 0; i < f->nm; i++) {
		ack += f->m[i].template_id == NX_NXP_ADMIN_ACK && f->m[i].u.admin_ack.req_id == 7;
		cxl += f->m[i].template_id == NX_NXP_EXEC_CANCELED &&
		       f->m[i].u.exec_canceled.reason == NX_CXL_KILL_SWITCH;
	}
	assert_int_equal(ack, 1);
	assert_int_equal(cxl, 1);
	o.cl_ord_id = 2;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_RISK_KILL_ACCOUNT);
	/* a killed account cannot open a new session either */
	struct nx_client c2;
	nx_client_init(&c2, 555, A, key_a);
	expect_neg_reject(f, &c2, f->aa, NX_REJ_SESSION_BLOCKED);
	/* reference price and a bad instrument */
	struct nx_nxp_set_reference_price rp = { .req_id = 8, .price = 2000, .instrument = INST };
	nx_client_begin(&f->cadm, &w, buf, sizeof(buf));
	nx_nxp_encode_set_reference_price(&w, &rp);
	nx_client_count(&f->cadm);
	rp.req_id = 9;
	rp.instrument = 77;
	nx_nxp_encode_set_reference_price(&w, &rp);
	nx_client_count(&f->cadm);
	rx(f, f->aadm, buf, w.len);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ADMIN_ACK);
	assert_int_equal(msg(f, 1)->u.admin_reject.reason, NX_REJ_UNKNOWN_INSTRUMENT);
}

/* An operator lowers a trader's limits below what is open (de-risking):
 * the trader can still shrink an order with a replace, not only cancel it;
 * a replace that adds to a lowered limit is still refused. */
static void test_replace_after_limit_lowered(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	for (uint64_t cl = 1; cl <= 3; cl++) {
		struct nx_nxp_new_order o = order(A, cl, NX_SIDE_BUY, 990 + (int64_t)cl, 20);
		send_order(f, &f->ca, f->aa, &o);
		assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	}
	struct nx_admin lim[] = {
		{ .op = NX_ADMIN_LIMIT, .id = A, .limit_kind = NX_LIMIT_MAX_OPEN_ORDERS, .value = 1 },
		{ .op = NX_ADMIN_LIMIT, .id = A, .limit_kind = NX_LIMIT_POSITION, .value = 10 },
	};
	for (int k = 0; k < 2; k++)
		assert_int_equal(nx_engine_admin(f->e, &lim[k], f->now, &f->out), 0);
	struct nx_nxp_cancel_replace rp = { .cl_ord_id = 4, .orig_cl_ord_id = 1, .price = 991,
					    .qty = 5, .account = A };
	send_replace(f, &f->ca, f->aa, &rp);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_REPLACED);
	rp = (struct nx_nxp_cancel_replace){ .cl_ord_id = 5, .orig_cl_ord_id = 4, .price = 991,
					     .qty = 6, .account = A };
	send_replace(f, &f->ca, f->aa, &rp);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_CANCEL_REJECT);
	assert_int_equal(msg(f, 0)->u.cancel_reject.reason, NX_REJ_RISK_POSITION_LIMIT);
}

/* The control plane's commands: no session, same rules, reports to traders. */
static void test_admin_control_plane(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);
	struct nx_admin halt = { .op = NX_ADMIN_STATUS, .id = INST, .status = NX_STATUS_HALTED,
				 .cancel_resting = 1 };
	f->out.n = 0;
	assert_int_equal(nx_engine_admin(f->e, &halt, f->now, &f->out), 0);
	assert_int_equal(f->out.n, 1); /* A's order canceled by the halt */
	f->nm = nx_client_read(&f->ca, f->out.d[0].data, f->out.d[0].len, f->m, 64);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_CANCELED);
	assert_int_equal(msg(f, 0)->u.exec_canceled.reason, NX_CXL_HALT);
	o.cl_ord_id = 2;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_INSTRUMENT_HALTED);
	struct nx_admin open = { .op = NX_ADMIN_STATUS, .id = INST, .status = NX_STATUS_OPEN };
	assert_int_equal(nx_engine_admin(f->e, &open, f->now, &f->out), 0);
	/* The collar follows a new reference price. */
	struct nx_admin ref = { .op = NX_ADMIN_REF_PX, .id = INST, .value = 5000 };
	assert_int_equal(nx_engine_admin(f->e, &ref, f->now, &f->out), 0);
	o.cl_ord_id = 3;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_RISK_PRICE_COLLAR);
	o.cl_ord_id = 4;
	o.price = 5000;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	/* A limit lowered to what is open blocks the next order. */
	struct nx_admin lim = { .op = NX_ADMIN_LIMIT, .id = A, .limit_kind = NX_LIMIT_MAX_OPEN_ORDERS,
				.value = 1 };
	assert_int_equal(nx_engine_admin(f->e, &lim, f->now, &f->out), 0);
	o.cl_ord_id = 5;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_RISK_MAX_OPEN_ORDERS);
	/* Kill switch on the account: its open order goes. */
	struct nx_admin kill = { .op = NX_ADMIN_KILL, .scope = NX_KILL_ACCOUNT, .id = A, .on = 1 };
	f->out.n = 0;
	assert_int_equal(nx_engine_admin(f->e, &kill, f->now, &f->out), 0);
	assert_int_equal(f->out.n, 1);
	/* Every reject reason of a bad command, counted. */
	uint64_t unknown = nx_engine_stats(f->e)->rejects[NX_REJ_UNKNOWN_INSTRUMENT];
	struct nx_admin bad[] = {
		{ .op = NX_ADMIN_KILL, .scope = NX_KILL_ACCOUNT, .id = 999, .on = 1 },
		{ .op = NX_ADMIN_KILL, .scope = 9, .id = A, .on = 1 },
		{ .op = NX_ADMIN_STATUS, .id = 77, .status = NX_STATUS_OPEN },
		{ .op = NX_ADMIN_STATUS, .id = INST, .status = 9 },
		{ .op = NX_ADMIN_REF_PX, .id = 77, .value = 10 },
		{ .op = NX_ADMIN_REF_PX, .id = INST, .value = -1 },
		{ .op = NX_ADMIN_LIMIT, .id = 999, .limit_kind = NX_LIMIT_CREDIT, .value = 1 },
		{ .op = NX_ADMIN_LIMIT, .id = A, .limit_kind = 99, .value = 1 },
		{ .op = 0 },
	};
	const unsigned want[] = { NX_REJ_UNKNOWN_ACCOUNT, NX_REJ_BAD_FIELD, NX_REJ_UNKNOWN_INSTRUMENT,
		NX_REJ_BAD_FIELD, NX_REJ_UNKNOWN_INSTRUMENT, NX_REJ_BAD_PRICE, NX_REJ_UNKNOWN_ACCOUNT,
		NX_REJ_BAD_FIELD, NX_REJ_BAD_FIELD };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nx_engine_admin(f->e, &bad[i], f->now, &f->out), want[i]);
	assert_int_equal(nx_engine_stats(f->e)->rejects[NX_REJ_UNKNOWN_INSTRUMENT], unknown + 2);
}

static void test_instrument_definitions(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	uint8_t buf[256];
	struct nx_nxp_writer w;
	struct nx_nxp_instrument_definition_request rq = { .req_id = 3 };
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	nx_client_instrument_request(&f->ca, &w, &rq);
	rx(f, f->aa, buf, w.len);
	const struct nx_nxp_instrument_definition *d = &msg(f, 0)->u.instrument_definition;
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_INSTRUMENT_DEFINITION);
	assert_int_equal(d->req_id, 3);
	assert_int_equal(d->instrument, INST);
	assert_int_equal(d->index, 1);
	assert_int_equal(d->total, 1);
	assert_int_equal(d->band_ticks, 100);
	assert_int_equal(d->ref_px, 1000);
	assert_memory_equal(d->symbol, "BTC-USD", 7);
	rq.instrument = 55;
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	nx_client_instrument_request(&f->ca, &w, &rq);
	rx(f, f->aa, buf, w.len);
	assert_int_equal(msg(f, 0)->u.business_reject.reason, NX_REJ_UNKNOWN_INSTRUMENT);
}

/* A spill that keeps a copy of every datagram, in order, and empties out. */
struct spilled {
	struct nx_out_dgram d[64];
	uint32_t n, calls;
};

static void keep_spilled(struct nx_out *out, void *arg)
{
	struct spilled *sp = arg;
	for (uint32_t i = 0; i < out->n && sp->n < 64; i++)
		sp->d[sp->n++] = out->d[i];
	sp->calls++;
	out->n = 0;
}

/* Reads every datagram of sp and then out with the client of its address;
 * returns the ExecTrades A and B got. */
static void read_all(struct fx *f, const struct spilled *sp, const struct nx_out *out, int trades[2])
{
	struct nx_client_msg m[64];
	trades[0] = trades[1] = 0;
	for (uint32_t i = 0; i < sp->n + out->n; i++) {
		const struct nx_out_dgram *d = i < sp->n ? &sp->d[i] : &out->d[i - sp->n];
		int b = d->to.ip == IP_B;
		int k = nx_client_read(b ? &f->cb : &f->ca, d->data, d->len, m, 64);
		assert_true(k > 0);
		for (int j = 0; j < k; j++)
			trades[b] += m[j].template_id == NX_NXP_EXEC_TRADE;
	}
}

/* One input may need more datagrams than nx_out holds: B's bid takes 150
 * of A's asks, one a price, so 300 ExecTrades (the taker's one a run
 * too), over 2 datagrams of room. With a spill, out
 * is emptied whenever it is full and every report goes out in this call,
 * in order, with no gap; without one, what does not fit waits in the
 * history (out_overflow) and A sees a gap. */
static void test_spill_sends_every_reply(void **state)
{
	(void)state;
	for (int with_spill = 0; with_spill < 2; with_spill++) {
		struct fx *f = fx_unbound();
		struct spilled *sp = calloc(1, sizeof(*sp));
		assert_non_null(sp);
		for (int i = 0; i < 150; i++) {
			struct nx_nxp_new_order o = order(A, (uint64_t)i + 1, NX_SIDE_SELL, 950 + i, 1);
			send_order(f, &f->ca, f->aa, &o);
		}
		uint8_t buf[256];
		struct nx_nxp_new_order o = order(B, 1, NX_SIDE_BUY, 1099, 150);
		size_t len = order_dgram(&f->cb, &o, buf, sizeof(buf));
		struct nx_out two = { .d = f->d, .cap = 2, .spill = with_spill ? keep_spilled : NULL,
				      .spill_arg = sp };
		uint32_t made = nx_engine_rx(f->e, buf, len, f->ab, f->now, &two);
		int trades[2];
		read_all(f, sp, &two, trades);
		const struct nx_engine_stats *st = nx_engine_stats(f->e);
		if (with_spill) {
			assert_true(sp->calls >= 5); /* 150 ExecTrades fill about 9 datagrams */
			assert_int_equal(st->out_spills, sp->calls);
			assert_int_equal(st->out_overflow, 0);
			assert_int_equal(made, sp->n + two.n);
			assert_int_equal(trades[0], 150);
			assert_int_equal(trades[1], 150);
			assert_int_equal(f->ca.gap_from, 0);
			assert_int_equal(f->cb.gap_from, 0);
			assert_int_equal(f->ca.expect_seq, 301); /* 150 ExecNews, 150 ExecTrades */
		} else {
			assert_int_equal(sp->calls, 0);
			assert_int_equal(st->out_spills, 0);
			assert_true(st->out_overflow > 0);
			assert_int_equal(made, 2);
			assert_true(trades[0] + trades[1] < 300);
		}
		free(sp);
		fx_free(f);
	}
}

/* The same with the makers at one price: B's one ExecTrade for all 150
 * trades (a gathered run, reported when the request ends) goes out in the
 * same call as A's 150, through the spills, and both flows have no gap. */
static void test_spill_sends_gathered_fills(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	struct spilled *sp = calloc(1, sizeof(*sp));
	assert_non_null(sp);
	for (int i = 0; i < 150; i++) {
		struct nx_nxp_new_order o = order(A, (uint64_t)i + 1, NX_SIDE_SELL, 1000, 1);
		send_order(f, &f->ca, f->aa, &o);
	}
	uint8_t buf[256];
	struct nx_nxp_new_order o = order(B, 1, NX_SIDE_BUY, 1000, 150);
	size_t len = order_dgram(&f->cb, &o, buf, sizeof(buf));
	struct nx_out two = { .d = f->d, .cap = 2, .spill = keep_spilled, .spill_arg = sp };
	uint32_t made = nx_engine_rx(f->e, buf, len, f->ab, f->now, &two);
	int trades[2];
	read_all(f, sp, &two, trades);
	assert_true(sp->calls >= 5);
	assert_int_equal(nx_engine_stats(f->e)->out_overflow, 0);
	assert_int_equal(made, sp->n + two.n);
	assert_int_equal(trades[0], 150);
	assert_int_equal(trades[1], 1);
	assert_int_equal(f->ca.gap_from, 0);
	assert_int_equal(f->cb.gap_from, 0);
	assert_int_equal(f->cb.expect_seq, 3); /* ExecNew, the ExecTrade of 150 */
	free(sp);
	fx_free(f);
}

/* A spill that cannot send (it leaves out full) is an overflow, as with
 * none: the message waits in the history, nothing is written past cap. */
static void keep_nothing(struct nx_out *out, void *arg)
{
	(void)out;
	(*(unsigned *)arg)++;
}

static void test_spill_that_cannot_send(void **state)
{
	struct fx *f = *state;
	unsigned calls = 0;
	login(f, &f->ca, f->aa);
	uint8_t buf[256];
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 990, 1);
	size_t len = order_dgram(&f->ca, &o, buf, sizeof(buf));
	struct nx_out full = { .d = f->d, .cap = 1, .n = 1, .spill = keep_nothing,
			       .spill_arg = &calls };
	assert_int_equal(nx_engine_rx(f->e, buf, len, f->aa, f->now, &full), 0);
	assert_int_equal(full.n, 1);
	assert_int_equal(calls, 1);
	assert_int_equal(nx_engine_stats(f->e)->out_overflow, 1);
	assert_int_equal(nx_engine_stats(f->e)->out_spills, 0);
	/* the ExecNew is kept: a RetransmitRequest brings it */
	rx(f, f->aa, buf, nx_client_retransmit_request(&f->ca, buf, sizeof(buf), 50, 1, 1));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	assert_int_equal(msg(f, 0)->u.exec_new.cl_ord_id, 1);
}

/* nx_engine_shutdown without a spill: a binding whose Terminate finds out
 * full waits for the next call (its return value), nothing is lost. The
 * spill commit counted each such wait in out_overflow, whose meaning is a
 * message that did not get out (a session reply lost), so a clean
 * shutdown in small steps read as lost Terminates. */
static void test_shutdown_wait_is_not_overflow(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	login(f, &f->cb, f->ab);
	f->out.n = 0;
	f->out.cap = 1;
	assert_int_equal(nx_engine_shutdown(f->e, f->now, &f->out), 1);
	assert_int_equal(f->out.n, 1);
	f->out.n = 0;
	assert_int_equal(nx_engine_shutdown(f->e, f->now, &f->out), 0);
	assert_int_equal(f->out.n, 1);
	f->out.cap = EH_OUT_CAP;
	assert_int_equal(nx_engine_stats(f->e)->out_overflow, 0);
	assert_int_equal(nx_engine_stats(f->e)->out_spills, 0);
}

/* The same inputs give the same bytes out. */
static void run_script(struct nx_engine *e, uint8_t *log, size_t *loglen)
{
	struct fx f = { .e = e };
	f.out = (struct nx_out){ .d = f.d, .cap = 64 };
	f.now = 5 * MS;
	f.aa = (struct nx_addr){ .ip = IP_A, .port = 5000 };
	f.ab = (struct nx_addr){ .ip = IP_B, .port = 6000 };
	nx_client_init(&f.ca, 101, A, key_a);
	nx_client_init(&f.cb, 202, B, key_b);
	login(&f, &f.ca, f.aa);
	login(&f, &f.cb, f.ab);
	*loglen = 0;
	for (int i = 0; i < 200; i++) {
		struct nx_nxp_new_order o = order(i % 2 ? A : B, 1000 + (uint64_t)i,
						  i % 3 ? NX_SIDE_BUY : NX_SIDE_SELL, 995 + i % 10, 1 + i % 4);
		f.now += 1000;
		send_order(&f, i % 2 ? &f.ca : &f.cb, i % 2 ? f.aa : f.ab, &o);
		for (uint32_t k = 0; k < f.out.n; k++) {
			memcpy(log + *loglen, f.out.d[k].data, f.out.d[k].len);
			*loglen += f.out.d[k].len;
		}
	}
}

static void test_deterministic(void **state)
{
	(void)state;
	static uint8_t a[1 << 20], b[1 << 20];
	size_t la, lb;
	struct nx_engine *e1 = make_engine(), *e2 = make_engine();
	run_script(e1, a, &la);
	run_script(e2, b, &lb);
	assert_true(la > 10000);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	nx_engine_destroy(e1);
	nx_engine_destroy(e2);
}

/* --- Prefetch hints ----------------------------------------------------------- */

#define PF_N 1600    /* datagrams in the flow: order ids pass the ring's 1024 */
#define PF_SLOTS 32  /* orders each trader keeps track of */
#define PF_LONG 4    /* of which long-lived: named once 1100 ids old */

struct pf_flow {
	uint8_t b[PF_N][256];
	size_t len[PF_N];
	int from_b[PF_N];
	size_t n;
	/* while generating: each trader's orders by slot (client id 0: none) */
	uint64_t cl[2][PF_SLOTS], oid[2][PF_SLOTS];
	uint64_t next_cl, rng, last_oid;
	int by_oid, by_cl, replaces, old_oid; /* old_oid: long-lived orders named */
};

static uint64_t pf_rand(struct pf_flow *fl, uint64_t n)
{
	fl->rng ^= fl->rng << 13;
	fl->rng ^= fl->rng >> 7;
	fl->rng ^= fl->rng << 17;
	return fl->rng % n;
}

/* One request of trader t (0: A, 1: B) about slot k: an add (or a new one
 * in an empty slot), a cancel or a replace, by order id when it is known
 * and by client id otherwise; one cancel in eight names a client id that
 * is not live. */
static void pf_request(struct pf_flow *fl, struct nx_client *c, struct nx_nxp_writer *w, int t,
		       unsigned k)
{
	nx_acct_t acct = t ? B : A;
	unsigned what = (unsigned)pf_rand(fl, 8);
	uint64_t *cl = &fl->cl[t][k], *oid = &fl->oid[t][k];
	if (k < PF_LONG && *oid && fl->last_oid - *oid >= 1100) {
		/* a long-lived order, out of the order-id ring: named by id */
		if (what & 1) {
			struct nx_nxp_cancel_order x = { .cl_ord_id = fl->next_cl++, .account = acct,
							 .order_id = *oid };
			nx_client_cancel(c, w, &x);
			*cl = 0;
		} else {
			struct nx_nxp_cancel_replace r = { .cl_ord_id = fl->next_cl, .account = acct,
							   .order_id = *oid, .price = 955, .qty = 2 };
			nx_client_replace(c, w, &r);
			*cl = fl->next_cl++;
		}
		fl->old_oid++;
		return;
	}
	int lng = k < PF_LONG;
	if (lng && *cl) { /* still young: a request about another order */
		cl += PF_LONG;
		oid += PF_LONG;
		lng = 0;
	}
	if (lng || what < 4 || !*cl) {
		/* long-lived ones are buys below the flow's prices: they rest until named */
		int buy = lng || pf_rand(fl, 2);
		int64_t px = lng ? 950 : 990 + (int64_t)pf_rand(fl, 21);
		struct nx_nxp_new_order o = order(acct, fl->next_cl, buy ? NX_SIDE_BUY : NX_SIDE_SELL,
						  px, 1 + (int64_t)pf_rand(fl, 5));
		nx_client_new_order(c, w, &o);
		*cl = fl->next_cl++;
		*oid = 0; /* learnt from its ack */
	} else if (what < 6) {
		struct nx_nxp_cancel_order x = { .cl_ord_id = fl->next_cl++, .account = acct };
		if (what == 4 && *oid)
			x.order_id = *oid, fl->by_oid++;
		else
			x.orig_cl_ord_id = *cl + (pf_rand(fl, 8) == 0), fl->by_cl++;
		nx_client_cancel(c, w, &x);
		*cl = 0;
	} else {
		struct nx_nxp_cancel_replace r = { .cl_ord_id = fl->next_cl, .account = acct,
						   .price = 985 + (int64_t)pf_rand(fl, 31),
						   .qty = 1 + (int64_t)pf_rand(fl, 6) };
		if (what == 6 && *oid)
			r.order_id = *oid;
		else
			r.orig_cl_ord_id = *cl;
		nx_client_replace(c, w, &r);
		*cl = fl->next_cl++;
		fl->replaces++;
	}
}

/* Generate, send and keep one datagram of one to three requests of one
 * trader; learn the order ids of its adds from the acks. */
static void pf_datagram(struct fx *f, struct pf_flow *fl)
{
	int t = (int)pf_rand(fl, 2);
	struct nx_client *c = t ? &f->cb : &f->ca;
	struct nx_nxp_writer w;
	uint8_t *buf = fl->b[fl->n];
	nx_client_begin(c, &w, buf, sizeof(fl->b[0]));
	for (unsigned j = 1 + (unsigned)pf_rand(fl, 3); j; j--)
		pf_request(fl, c, &w, t, (unsigned)pf_rand(fl, PF_SLOTS));
	fl->len[fl->n] = w.len;
	fl->from_b[fl->n++] = t;
	f->now += 1000;
	rx(f, t ? f->ab : f->aa, buf, w.len);
	for (int m = 0; m < f->nm; m++)
		if (f->m[m].template_id == NX_NXP_EXEC_NEW)
			for (unsigned k = 0; k < PF_SLOTS; k++)
				if (fl->cl[t][k] == f->m[m].u.exec_new.cl_ord_id)
					fl->oid[t][k] = fl->last_oid = f->m[m].u.exec_new.order_id;
}

/* One stage of the hint for datagram j of the flow, and for copies of it
 * cut short and with bytes flipped, each on the heap at its length (a read
 * past it is a sanitizer error). */
static void pf_hint(struct fx *f, const struct pf_flow *fl, size_t j, unsigned stage)
{
	nx_engine_prefetch(f->e, fl->b[j], fl->len[j], stage);
	for (size_t cut = 1; cut <= fl->len[j]; cut += 7) {
		uint8_t *p = malloc(cut);
		assert_non_null(p);
		memcpy(p, fl->b[j], cut);
		if (cut == fl->len[j] || cut % 3 == 0)
			for (size_t k = 0; k < cut; k += 5)
				p[k] ^= (uint8_t)(j * 31 + k);
		nx_engine_prefetch(f->e, p, cut, stage);
		free(p);
	}
}

/* Concatenated reply bytes of the last call, appended to log. */
static void pf_log(const struct fx *f, uint8_t *log, size_t *n, size_t cap)
{
	for (uint32_t k = 0; k < f->out.n; k++) {
		assert_true(*n + f->out.d[k].len <= cap);
		memcpy(log + *n, f->out.d[k].data, f->out.d[k].len);
		*n += f->out.d[k].len;
	}
}

/* The hints run from book.prefetch_min_orders resting orders on: wanted
 * follows the book's count both ways; with 0, the default, never. */
static void test_prefetch_wanted_from_depth(void **state)
{
	(void)state;
	struct fx *off = fx_unbound();
	struct nx_nxp_new_order o1 = order(A, 99, NX_SIDE_BUY, 990, 1);
	send_order(off, &off->ca, off->aa, &o1);
	assert_int_equal(nx_book_order_count(nx_engine_book(off->e)), 1);
	assert_false(nx_engine_prefetch_wanted(off->e));
	fx_free(off);
	eh_prefetch_min_orders = 3; /* for the next engine only */
	struct fx *f = fx_unbound();
	assert_false(nx_engine_prefetch_wanted(f->e));
	for (uint64_t cl = 1; cl <= 3; cl++) {
		assert_false(nx_engine_prefetch_wanted(f->e));
		struct nx_nxp_new_order o = order(A, cl, NX_SIDE_BUY, 990 + (int64_t)cl, 1);
		send_order(f, &f->ca, f->aa, &o);
		assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	}
	assert_true(nx_engine_prefetch_wanted(f->e));
	struct nx_nxp_new_order hit = order(B, 1, NX_SIDE_SELL, 993, 1); /* takes cl 3 */
	send_order(f, &f->cb, f->ab, &hit);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 2);
	assert_false(nx_engine_prefetch_wanted(f->e));
	fx_free(f);
}

/* The hints change nothing. One fixture runs a flow of adds (some
 * crossing), cancels and replaces by order id (old ones too, out of the
 * order-id ring) and by client id, of live orders and of gone ones, and
 * keeps every datagram; a second replays them, giving before each datagram
 * the appliances' burst schedule over bursts of 5, and every stage of the
 * hint for the datagrams 3, 2 and 1 ahead and for cut and corrupted copies
 * of them (prefetch_min_orders 1: every hint runs once an order rests).
 * Replies, counters and the book must be the same to the byte. The hints
 * only read, so what this catches is a crash, a write through a cast, or,
 * under make asan, a read past a datagram. */
static void test_prefetch_changes_nothing(void **state)
{
	(void)state;
	static struct pf_flow fl;
	static uint8_t log1[1 << 21], log2[1 << 21];
	size_t n1 = 0, n2 = 0;
	memset(&fl, 0, sizeof(fl));
	fl.next_cl = 1;
	fl.rng = 88172645463325252ull;
	struct fx *f = fx_unbound();
	while (fl.n < PF_N) {
		pf_datagram(f, &fl);
		pf_log(f, log1, &n1, sizeof(log1));
	}
	assert_true(fl.by_oid > 50 && fl.by_cl > 50 && fl.replaces > 100 && fl.old_oid > 20);
	struct nx_engine_stats st1 = *nx_engine_stats(f->e);
	uint32_t resting1 = nx_book_order_count(nx_engine_book(f->e));
	assert_true(st1.fills > 20 && resting1 > 10);
	fx_free(f);

	static const uint8_t *dp[PF_N];
	static size_t dl[PF_N];
	for (size_t i = 0; i < fl.n; i++) {
		dp[i] = fl.b[i];
		dl[i] = fl.len[i];
	}
	dp[7] = NULL; /* not one for the engine */
	eh_prefetch_min_orders = 1; /* for the next engine only */
	f = fx_unbound();
	for (size_t i = 0; i < fl.n; i++) {
		size_t b0 = i - i % 5;
		nx_engine_prefetch_burst(f->e, dp + b0, dl + b0, (unsigned)(fl.n - b0 < 5 ? fl.n - b0 : 5),
					 (unsigned)(i - b0));
		for (unsigned s = 0; s < NX_BOOK_PF_STAGES; s++)
			if (i + NX_BOOK_PF_STAGES - s < fl.n)
				pf_hint(f, &fl, i + NX_BOOK_PF_STAGES - s, s);
		nx_engine_prefetch(f->e, NULL, 0, NX_BOOK_PF_ENTRY);
		f->now += 1000;
		rx(f, fl.from_b[i] ? f->ab : f->aa, fl.b[i], fl.len[i]);
		pf_log(f, log2, &n2, sizeof(log2));
	}
	assert_int_equal(n1, n2);
	assert_memory_equal(log1, log2, n1);
	assert_memory_equal(&st1, nx_engine_stats(f->e), sizeof(st1));
	assert_int_equal(resting1, nx_book_order_count(nx_engine_book(f->e)));
	fx_free(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_login_good),
		T(test_login_bad),
		T(test_order_fill_both_sides),
		T(test_sell_aggressor_reports),
		T(test_risk_and_book_rejects),
		T(test_sweep_position_at_next_check),
		T(test_taker_fills_one_report_a_price),
		T(test_taker_fills_split_by_stp),
		T(test_taker_fills_of_a_crossing_replace),
		T(test_taker_fills_keep_own_flow_in_book_order),
		cmocka_unit_test(test_taker_fills_cover_the_trades),
		T(test_several_messages_one_datagram),
		T(test_duplicate_and_gap),
		T(test_lost_reply_retransmitted),
		T(test_heartbeat_and_timeout),
		T(test_terminate),
		T(test_negotiate_refusals),
		T(test_sessions_per_account),
		T(test_failover_and_establish_gap),
		T(test_retransmit_in_progress),
		T(test_finalize),
		T(test_market_reduce_refusals_status),
		T(test_market_risk_price),
		T(test_malformed),
		T(test_throttle),
		T(test_admin),
		T(test_admin_control_plane),
		T(test_replace_after_limit_lowered),
		T(test_instrument_definitions),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_prefetch_changes_nothing),
		cmocka_unit_test(test_prefetch_wanted_from_depth),
		cmocka_unit_test(test_spill_sends_every_reply),
		cmocka_unit_test(test_spill_sends_gathered_fills),
		T(test_spill_that_cannot_send),
		T(test_shutdown_wait_is_not_overflow),
	};
	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
