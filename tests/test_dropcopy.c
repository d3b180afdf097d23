/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Drop copy (docs/protocol.md#drop-copy): accounts A and B trade; A's
 * execution reports are copied to the drop-copy account DC, B's are not.
 * What DC gets (every execution report of A, byte for byte, in its own
 * numbered flow, nothing of B, nothing twice), that it is kept while DC is
 * not bound and recovered after, that copies made while DC has no session
 * wait for its next one (and how many may), that DC may not trade, and the
 * configurations the engine refuses.
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
#include "nx/engine.h"
#include "nx/reason.h"

#define INST 1u
#define MS 1000000ull
#define A 1u
#define B 2u
#define DC 50u
#define A2 3u /* a second account of the firm, also copied to DC */

static const uint8_t key_a[32] = { 1 }, key_b[32] = { 2 }, key_dc[32] = { 5 }, key_a2[32] = { 3 };

struct dfx {
	struct nx_engine *e;
	struct nx_out_dgram d[64];
	struct nx_out out;
	struct nx_client c[4];   /* A, B, DC, A2 */
	struct nx_addr addr[4];
	uint64_t now;
	/* what each client read in the last call: application messages only */
	struct nx_client_msg m[4][64];
	int n[4];
};

static struct nx_engine *make(nx_acct_t dc_of_a, nx_acct_t dc_of_dc, char *err, size_t errlen)
{
	struct nx_instrument in = { .id = INST, .symbol = "BTC-USD", .band_ticks = 100, .ref_px = 1000 };
	struct nx_limits lim = { .max_order_notional = 1000000, .position_limit = 100,
				 .credit_limit = 10000000, .max_open_orders = 50, .msg_rate = 1000,
				 .msg_burst = 100 };
	struct nx_account_config acc[4] = {
		{ .id = A, .limits = lim, .drop_copy = dc_of_a },
		{ .id = B, .limits = lim },
		{ .id = DC, .limits = lim, .drop_copy = dc_of_dc },
		{ .id = A2, .limits = lim, .drop_copy = DC },
	};
	memcpy(acc[0].key, key_a, 32);
	memcpy(acc[1].key, key_b, 32);
	memcpy(acc[2].key, key_dc, 32);
	memcpy(acc[3].key, key_a2, 32);
	nx_instrument_defaults(&in);
	struct nx_venue_config c = { .path = "test", .max_orders = 1024, .ladder_ticks = 4096,
				     .max_sessions = 8, .keepalive_ms = 1000, .history = 64,
				     .ninstruments = 1, .naccounts = 4, .instruments = &in,
				     .accounts = acc };
	return nx_engine_create(&c, NULL, NULL, err, errlen);
}

static int who(const struct dfx *f, struct nx_addr a)
{
	for (int i = 0; i < 4; i++)
		if (f->addr[i].ip == a.ip && f->addr[i].port == a.port)
			return i;
	fail_msg("a datagram to nobody");
	return -1;
}

/* One datagram from client k; every reply read by its client. */
static void rx(struct dfx *f, int k, const void *buf, size_t len)
{
	struct nx_client_msg m[64];
	f->out.n = 0;
	memset(f->n, 0, sizeof(f->n));
	nx_engine_rx(f->e, buf, len, f->addr[k], f->now, &f->out);
	for (uint32_t i = 0; i < f->out.n; i++) {
		int to = who(f, f->out.d[i].to);
		int got = nx_client_read(&f->c[to], f->out.d[i].data, f->out.d[i].len, m, 64);
		assert_true(got >= 0);
		for (int j = 0; j < got; j++)
			if (m[j].seq)
				f->m[to][f->n[to]++] = m[j];
	}
}

static void login(struct dfx *f, int k)
{
	uint8_t buf[256];
	rx(f, k, buf, nx_client_negotiate(&f->c[k], buf, sizeof(buf), f->now + 1));
	rx(f, k, buf, nx_client_establish(&f->c[k], buf, sizeof(buf), f->now + 2, 1000));
}

static void new_order(struct dfx *f, int k, uint64_t cl, unsigned side, int64_t px, int64_t qty)
{
	uint8_t buf[256];
	struct nx_nxp_writer w;
	struct nx_nxp_new_order o = { .cl_ord_id = cl, .price = px, .qty = qty,
		.account = f->c[k].acct, .instrument = INST, .side = (uint8_t)side,
		.ord_type = NX_ORD_LIMIT, .time_in_force = NX_TIF_GTC };
	nx_client_begin(&f->c[k], &w, buf, sizeof(buf));
	assert_true(nx_client_new_order(&f->c[k], &w, &o) > 0);
	rx(f, k, buf, w.len);
}

static int setup(void **state)
{
	char err[256];
	struct dfx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->e = make(DC, 0, err, sizeof(err));
	if (!f->e)
		fail_msg("%s", err);
	f->out = (struct nx_out){ .d = f->d, .cap = 64 };
	f->now = 1000 * MS;
	const nx_acct_t acct[4] = { A, B, DC, A2 };
	const uint8_t *key[4] = { key_a, key_b, key_dc, key_a2 };
	for (int i = 0; i < 4; i++) {
		f->addr[i] = (struct nx_addr){ .ip = 0x0a000001u + (uint32_t)i, .port = 5000 };
		nx_client_init(&f->c[i], 100u + (unsigned)i, acct[i], key[i]);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct dfx *f = *state;
	nx_engine_destroy(f->e);
	free(f);
	return 0;
}

/* The copy is the report, byte for byte apart from its number: every
 * field the client decoded is equal. */
static void same_report(const struct nx_client_msg *copy, const struct nx_client_msg *orig)
{
	assert_int_equal(copy->template_id, orig->template_id);
	assert_memory_equal(&copy->u, &orig->u, sizeof(copy->u));
}

static void test_copies_every_report_of_the_account(void **state)
{
	struct dfx *f = *state;
	login(f, 2);
	login(f, 0);
	login(f, 1);
	login(f, 3);
	new_order(f, 0, 1, NX_SIDE_SELL, 1000, 5);   /* A rests: ExecNew */
	assert_int_equal(f->n[0], 1);
	assert_int_equal(f->n[2], 1);
	same_report(&f->m[2][0], &f->m[0][0]);
	assert_int_equal(f->m[2][0].seq, 1);
	new_order(f, 1, 1, NX_SIDE_BUY, 1000, 3);    /* B takes 3: B's reports are not copied */
	assert_int_equal(f->n[1], 2);                /* ExecNew, ExecTrade */
	assert_int_equal(f->n[0], 1);                /* A's ExecTrade (maker) */
	assert_int_equal(f->n[2], 1);
	same_report(&f->m[2][0], &f->m[0][0]);
	assert_int_equal(f->m[2][0].template_id, NX_NXP_EXEC_TRADE);
	assert_int_equal(f->m[2][0].u.exec_trade.account, A);
	assert_int_equal(f->m[2][0].seq, 2);
	new_order(f, 0, 2, NX_SIDE_SELL, 5000, 1);   /* outside the collar: ExecRejected */
	assert_int_equal(f->m[2][0].template_id, NX_NXP_EXEC_REJECTED);
	same_report(&f->m[2][0], &f->m[0][0]);
	new_order(f, 3, 1, NX_SIDE_SELL, 1010, 1);   /* A2 (another account of the firm) too */
	assert_int_equal(f->n[2], 1);
	same_report(&f->m[2][0], &f->m[3][0]);
	assert_int_equal(f->m[2][0].seq, 4);
	/* A mass cancel: its ExecCanceled and the MassCancelReport, in order */
	uint8_t buf[256];
	struct nx_nxp_writer w;
	struct nx_nxp_mass_cancel mc = { .cl_ord_id = 9, .account = A, .instrument = INST };
	nx_client_begin(&f->c[0], &w, buf, sizeof(buf));
	assert_true(nx_client_mass_cancel(&f->c[0], &w, &mc) > 0);
	rx(f, 0, buf, w.len);
	assert_int_equal(f->n[0], 2);
	assert_int_equal(f->n[2], 2);
	for (int i = 0; i < 2; i++)
		same_report(&f->m[2][i], &f->m[0][i]);
	assert_int_equal(f->m[2][1].template_id, NX_NXP_MASS_CANCEL_REPORT);
	assert_int_equal(f->m[2][1].seq, 6);
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	assert_int_equal(st->drop_copies, 6);
	assert_int_equal(st->drop_copy_lost, 0);
	assert_int_equal(f->c[2].gap_count, 0);
}

/* An aggressor's run of fills at one price is one report
 * (docs/protocol.md#fills) and so one copy: A's buy of 3 takes B's 1 and
 * 2 at 1000; DC gets A's ExecNew and the one ExecTrade covering both
 * trades, byte for byte. */
static void test_one_copy_of_gathered_fills(void **state)
{
	struct dfx *f = *state;
	login(f, 2);
	login(f, 0);
	login(f, 1);
	new_order(f, 1, 1, NX_SIDE_SELL, 1000, 1);
	new_order(f, 1, 2, NX_SIDE_SELL, 1000, 2);
	new_order(f, 0, 1, NX_SIDE_BUY, 1000, 3);
	assert_int_equal(f->n[0], 2);
	assert_int_equal(f->n[2], 2);
	for (int i = 0; i < 2; i++)
		same_report(&f->m[2][i], &f->m[0][i]);
	const struct nx_nxp_exec_trade *t = &f->m[2][1].u.exec_trade;
	assert_int_equal(f->m[2][1].template_id, NX_NXP_EXEC_TRADE);
	assert_int_equal(t->trade_id, 1);
	assert_int_equal(t->trade_count, 2);
	assert_int_equal(t->last_qty, 3);
	assert_int_equal(t->liquidity, NX_LIQ_TAKER);
	assert_int_equal(f->n[1], 2); /* B's two maker reports, not copied */
}

/* DC unbound (its binding ended): its copies wait in its history and come
 * back with a RetransmitRequest after it establishes again. */
static void test_kept_while_unbound(void **state)
{
	struct dfx *f = *state;
	uint8_t buf[256];
	login(f, 2);
	login(f, 0);
	rx(f, 2, buf, nx_client_terminate(&f->c[2], buf, sizeof(buf), 0));
	new_order(f, 0, 1, NX_SIDE_BUY, 990, 1);
	new_order(f, 0, 2, NX_SIDE_BUY, 991, 1);
	assert_int_equal(f->n[2], 0);
	assert_int_equal(nx_engine_stats(f->e)->drop_copies, 2);
	rx(f, 2, buf, nx_client_establish(&f->c[2], buf, sizeof(buf), f->now + 5, 1000));
	rx(f, 2, buf, nx_client_retransmit_request(&f->c[2], buf, sizeof(buf), f->now + 6, 1, 2));
	assert_int_equal(f->n[2], 2);
	assert_int_equal(f->m[2][0].u.exec_new.cl_ord_id, 1);
	assert_int_equal(f->m[2][1].u.exec_new.cl_ord_id, 2);
	assert_true(f->m[2][0].retransmitted);
}

/* A drop-copy account only reads: orders, cancels, replaces and mass
 * cancels from its sessions are refused ACCOUNT_NOT_PERMITTED. */
static void test_receiver_may_not_trade(void **state)
{
	struct dfx *f = *state;
	login(f, 2);
	new_order(f, 2, 1, NX_SIDE_BUY, 990, 1);
	assert_int_equal(f->n[2], 1);
	assert_int_equal(f->m[2][0].template_id, NX_NXP_EXEC_REJECTED);
	assert_int_equal(f->m[2][0].u.exec_rejected.reason, NX_REJ_ACCOUNT_NOT_PERMITTED);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);
}

/* Ask DC's venue flow for [from, from + count) and check what came back is
 * A's answers to client order ids cl0, cl0 + 1, ... */
static void recover(struct dfx *f, uint64_t from, uint32_t count, uint64_t cl0)
{
	uint8_t buf[256];
	rx(f, 2, buf, nx_client_retransmit_request(&f->c[2], buf, sizeof(buf), f->now + 9, from,
						    count));
	assert_int_equal(f->n[2], (int)count);
	for (uint32_t i = 0; i < count; i++) {
		assert_int_equal(f->m[2][i].seq, from + i);
		assert_true(f->m[2][i].retransmitted);
		const struct nx_client_msg *m = &f->m[2][i];
		if (m->template_id == NX_NXP_EXEC_REJECTED) /* past A's open-order limit */
			assert_int_equal(m->u.exec_rejected.cl_ord_id, cl0 + i);
		else
			assert_int_equal(m->u.exec_new.cl_ord_id, cl0 + i);
		assert_true(m->template_id == NX_NXP_EXEC_NEW || m->template_id == NX_NXP_EXEC_REJECTED);
	}
}

/* Regression (copies_before_the_receiver_logs_in): with no session of DC
 * on the shard yet, A's copies were counted lost. They wait, enter the flow
 * of DC's first session as its first numbers, and come back by
 * retransmission: the EstablishmentAck numbers past them. */
static void test_waits_for_the_first_session(void **state)
{
	struct dfx *f = *state;
	uint8_t buf[256];
	login(f, 0);
	new_order(f, 0, 1, NX_SIDE_BUY, 990, 1);
	new_order(f, 0, 2, NX_SIDE_BUY, 991, 1);
	assert_int_equal(f->n[0], 1);
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	assert_int_equal(st->drop_copy_waited, 2);
	assert_int_equal(st->drop_copies, 0);
	assert_int_equal(st->drop_copy_lost, 0);
	/* DC negotiates: the copies are numbered 1 and 2 in its flow */
	struct nx_client_msg m[8];
	f->out.n = 0;
	nx_engine_rx(f->e, buf, nx_client_negotiate(&f->c[2], buf, sizeof(buf), f->now + 1),
		     f->addr[2], f->now, &f->out);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(st->drop_copies, 2);
	f->out.n = 0;
	nx_engine_rx(f->e, buf, nx_client_establish(&f->c[2], buf, sizeof(buf), f->now + 2, 1000),
		     f->addr[2], f->now, &f->out);
	assert_int_equal(f->out.n, 1); /* the ack alone: nothing sent before it */
	assert_int_equal(nx_client_read(&f->c[2], f->out.d[0].data, f->out.d[0].len, m, 8), 1);
	assert_int_equal(m[0].template_id, NX_NXP_ESTABLISHMENT_ACK);
	assert_int_equal(m[0].u.establishment_ack.next_seq_no, 3);
	recover(f, 1, 2, 1);
	new_order(f, 0, 3, NX_SIDE_BUY, 992, 1); /* live from now on, numbered after them */
	assert_int_equal(f->n[2], 1);
	assert_int_equal(f->m[2][0].seq, 3);
	assert_false(f->m[2][0].retransmitted);
	assert_int_equal(st->drop_copy_lost, 0);
}

/* DC's only session finished: later copies wait for its next session,
 * which a new Negotiate makes. */
static void test_waits_after_the_session_finished(void **state)
{
	struct dfx *f = *state;
	uint8_t buf[256];
	login(f, 2);
	login(f, 0);
	new_order(f, 0, 1, NX_SIDE_BUY, 990, 1);
	assert_int_equal(f->n[2], 1);
	rx(f, 2, buf, nx_client_finished_sending(&f->c[2], buf, sizeof(buf)));
	rx(f, 2, buf, nx_client_finished_receiving(&f->c[2], buf, sizeof(buf)));
	new_order(f, 0, 2, NX_SIDE_BUY, 991, 1);
	assert_int_equal(f->n[2], 0);
	assert_int_equal(nx_engine_stats(f->e)->drop_copy_waited, 1);
	nx_client_init(&f->c[2], 200, DC, key_dc); /* a new session of DC */
	login(f, 2);
	recover(f, 1, 1, 2);
	assert_int_equal(nx_engine_stats(f->e)->drop_copy_lost, 0);
}

/* Regression (copy_after_finished_sending): DC's session X sent
 * FinishedSending and the venue answered with its own FinishedSending
 * (lastSeqNo 0). A copy made before X's FinishedReceiving arrived was
 * numbered 1 in X's flow, past the lastSeqNo the venue had announced, and
 * X then finalized: a client that finished at lastSeqNo, or lost that
 * datagram, could never recover it, and DC's next session did not get it.
 * It waits for the next session instead. */
static void test_no_copy_past_finished_sending(void **state)
{
	struct dfx *f = *state;
	uint8_t buf[256];
	struct nx_client_msg m[8];
	login(f, 2);
	login(f, 0);
	rx(f, 2, buf, nx_client_finished_sending(&f->c[2], buf, sizeof(buf)));
	int fs = 0;
	for (uint32_t i = 0; i < f->out.n; i++) {
		int got = nx_client_read(&f->c[2], f->out.d[i].data, f->out.d[i].len, m, 8);
		for (int j = 0; j < got; j++)
			if (m[j].template_id == NX_NXP_FINISHED_SENDING) {
				assert_int_equal(m[j].u.finished_sending.last_seq_no, 0);
				fs = 1;
			}
	}
	assert_true(fs);
	new_order(f, 0, 1, NX_SIDE_BUY, 990, 1);
	assert_int_equal(f->n[0], 1);
	assert_int_equal(f->n[2], 0); /* nothing after the venue's FinishedSending */
	rx(f, 2, buf, nx_client_finished_receiving(&f->c[2], buf, sizeof(buf)));
	assert_int_equal(nx_engine_stats(f->e)->drop_copy_waited, 1);
	nx_client_init(&f->c[2], 200, DC, key_dc); /* DC's next session has it */
	login(f, 2);
	recover(f, 1, 1, 1);
	assert_int_equal(nx_engine_stats(f->e)->drop_copy_lost, 0);
}

/* Regression (copies_wait_beside_a_live_session): DC's session X is
 * established and bound; a later session Y of DC established (so took the
 * copies) and finished. The copies then waited for a next session while X
 * was there reading, and past `history` of them were lost. The session
 * bound latest of the others, X, takes them, live. */
static void test_finished_session_hands_copies_to_a_bound_one(void **state)
{
	struct dfx *f = *state;
	uint8_t buf[256];
	login(f, 2); /* X */
	struct nx_addr x_addr = f->addr[2];
	struct nx_client x = f->c[2];
	f->addr[2] = (struct nx_addr){ .ip = 0x0a000009u, .port = 7000 };
	nx_client_init(&f->c[2], 300, DC, key_dc);
	login(f, 2); /* Y, from another address: X stays bound */
	rx(f, 2, buf, nx_client_finished_sending(&f->c[2], buf, sizeof(buf)));
	rx(f, 2, buf, nx_client_finished_receiving(&f->c[2], buf, sizeof(buf)));
	f->addr[2] = x_addr;
	f->c[2] = x;
	login(f, 0);
	for (uint64_t cl = 1; cl <= 70; cl++) {
		new_order(f, 0, cl, NX_SIDE_BUY, 900 + (int64_t)cl, 1);
		assert_int_equal(f->n[2], 1);
		assert_int_equal(f->m[2][0].seq, cl);
		assert_false(f->m[2][0].retransmitted);
	}
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	assert_int_equal(st->drop_copies, 70);
	assert_int_equal(st->drop_copy_waited, 0);
	assert_int_equal(st->drop_copy_lost, 0);
}

/* A session of DC negotiated but not established takes the copies into its
 * history at once; it gets them back after establishing. */
static void test_negotiated_session_keeps_them(void **state)
{
	struct dfx *f = *state;
	uint8_t buf[256];
	login(f, 0);
	rx(f, 2, buf, nx_client_negotiate(&f->c[2], buf, sizeof(buf), f->now + 1));
	new_order(f, 0, 1, NX_SIDE_BUY, 990, 1);
	new_order(f, 0, 2, NX_SIDE_BUY, 991, 1);
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	assert_int_equal(st->drop_copies, 2);
	assert_int_equal(st->drop_copy_waited, 0);
	rx(f, 2, buf, nx_client_establish(&f->c[2], buf, sizeof(buf), f->now + 2, 1000));
	recover(f, 1, 2, 1);
}

/* DC established session X, then negotiated a second one, Y, that did not
 * establish; X finished. The copies made then wait, and Y takes them when
 * it establishes: nothing is stranded in a session no one will use. */
static void test_waiting_copies_go_to_the_next_established(void **state)
{
	struct dfx *f = *state;
	uint8_t buf[256];
	struct nx_client y;
	nx_client_init(&y, 300, DC, key_dc);
	login(f, 2);
	login(f, 0);
	struct nx_client x = f->c[2];
	f->c[2] = y;
	rx(f, 2, buf, nx_client_negotiate(&f->c[2], buf, sizeof(buf), f->now + 1)); /* Y, same address */
	y = f->c[2];
	f->c[2] = x;
	rx(f, 2, buf, nx_client_finished_sending(&f->c[2], buf, sizeof(buf)));
	rx(f, 2, buf, nx_client_finished_receiving(&f->c[2], buf, sizeof(buf)));
	new_order(f, 0, 1, NX_SIDE_BUY, 990, 1);
	assert_int_equal(nx_engine_stats(f->e)->drop_copy_waited, 1);
	f->c[2] = y;
	rx(f, 2, buf, nx_client_establish(&f->c[2], buf, sizeof(buf), f->now + 2, 1000));
	recover(f, 1, 1, 1);
}

/* At most `history` (64 here) copies wait; the rest are counted lost, and
 * the receiver's flow holds the ones that waited, in order. */
static void test_waiting_is_bounded(void **state)
{
	struct dfx *f = *state;
	uint8_t buf[256];
	login(f, 0);
	for (uint64_t cl = 1; cl <= 70; cl++)
		new_order(f, 0, cl, NX_SIDE_BUY, 900 + (int64_t)cl, 1);
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	assert_int_equal(st->drop_copy_waited, 64);
	assert_int_equal(st->drop_copy_lost, 6);
	login(f, 2);
	recover(f, 1, 30, 1);
	recover(f, 31, 34, 31);
	(void)buf;
}

/* A cancel by another session of the account answers both sessions; the
 * drop copy gets the report once. */
static void test_one_copy_of_a_cross_session_cancel(void **state)
{
	struct dfx *f = *state;
	struct nx_client a_second;
	struct nx_addr a_second_addr = { .ip = 0x0a000009u, .port = 7000 };
	uint8_t buf[256];
	login(f, 2);
	login(f, 0);
	new_order(f, 0, 1, NX_SIDE_BUY, 990, 1);
	nx_client_init(&a_second, 777, A, key_a);
	/* the second session of A, through slot 3's address */
	struct nx_addr saved = f->addr[3];
	struct nx_client saved_c = f->c[3];
	f->addr[3] = a_second_addr;
	f->c[3] = a_second;
	login(f, 3);
	struct nx_nxp_writer w;
	struct nx_nxp_cancel_order co = { .cl_ord_id = 5, .orig_cl_ord_id = 1, .account = A };
	nx_client_begin(&f->c[3], &w, buf, sizeof(buf));
	assert_true(nx_client_cancel(&f->c[3], &w, &co) > 0);
	rx(f, 3, buf, w.len);
	assert_int_equal(f->n[0], 1); /* the owner's ExecCanceled */
	assert_int_equal(f->n[3], 1); /* the requester's answer */
	assert_int_equal(f->n[2], 1); /* one copy */
	assert_int_equal(f->m[2][0].template_id, NX_NXP_EXEC_CANCELED);
	f->addr[3] = saved;
	f->c[3] = saved_c;
}

/* The configurations the engine refuses: a drop copy to an unknown
 * account, to itself, or to an account that copies its own further. */
static void test_bad_configurations(void **state)
{
	(void)state;
	char err[256];
	struct nx_engine *e;
	assert_null(e = make(999, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "account 1: drop_copy 999"));
	assert_null(e = make(A, 0, err, sizeof(err)));
	assert_null(e = make(DC, B, err, sizeof(err)));
	assert_non_null(strstr(err, "drop_copy"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_copies_every_report_of_the_account),
		T(test_one_copy_of_gathered_fills),
		T(test_kept_while_unbound),
		T(test_receiver_may_not_trade),
		T(test_waits_for_the_first_session),
		T(test_waits_after_the_session_finished),
		T(test_no_copy_past_finished_sending),
		T(test_finished_session_hands_copies_to_a_bound_one),
		T(test_negotiated_session_keeps_them),
		T(test_waiting_copies_go_to_the_next_established),
		T(test_waiting_is_bounded),
		T(test_one_copy_of_a_cross_session_cancel),
		cmocka_unit_test(test_bad_configurations),
	};
	return cmocka_run_group_tests_name("dropcopy", tests, NULL, NULL);
}
