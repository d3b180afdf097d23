/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The engine at the edges of the protocol's promises: an Establish retry,
 * admin booleans and throttling, account 0, the last sequence number, the
 * instrument a refused replace names, the stpMode an ExecNew reports. Each
 * test is a regression from the review of 2026-11-22 (session 14) and failed
 * on the code before it; the price 0 one from the risk review after it;
 * the answers to requests on another session's orders and the instrument
 * of a throttled cancel from the review of the reports (rev10).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "nx/book.h"
#include "nx/nxp.h"
#include "nx/reason.h"
#include "engine_helpers.h"
#include "../src/engine/engine_priv.h" /* white-box: the last-sequence-number test sets E */

/* "an Establish repeating the timestamp of the acknowledged one is a
 * retry and gets the same EstablishmentAck". When the first Establish
 * carried a gap (nextSeqNo > E), the retry's Ack differs: nextRecvSeqNo now
 * says the missing client messages were applied, and nextSeqNo has moved
 * past the NotApplied that the lost first answer carried. */
static void test_establish_retry_same_ack(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	login(f, &f->ca, f->aa);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o); /* client 1 applied: E = 2; venue sent 1 */
	struct nx_addr moved = { .ip = IP_A, .port = 5001 };
	f->ca.next_seq = 5;               /* 2..4 were sent and lost */
	size_t n = nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 3, 1000);
	rx(f, moved, buf, n);
	struct nx_nxp_establishment_ack first = msg(f, 0)->u.establishment_ack;
	assert_int_equal(first.next_recv_seq_no, 2);
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_NOT_APPLIED);
	/* both datagrams are lost; the client retries the very same Establish */
	rx(f, moved, buf, n);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	const struct nx_nxp_establishment_ack *again = &msg(f, 0)->u.establishment_ack;
	assert_int_equal(again->next_recv_seq_no, first.next_recv_seq_no); /* 2..4 not applied */
	assert_int_equal(again->next_seq_no, first.next_seq_no);
}

/* Regression (session 15): an Establish with good credentials from another
 * address moved the session there whatever its timestamp, so the client's
 * first Establish, delayed in the network (or captured and replayed),
 * arriving after a fail-over pulled the session back to the address it had
 * left; and the last one, replayed after its binding ended, bound it again. */
static void test_stale_establish_does_not_move_session(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	login(f, &f->ca, f->aa);                 /* Establish at now + 2, from aa */
	struct nx_addr moved = { .ip = IP_A, .port = 5001 };
	size_t n = nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 3, 1000);
	rx(f, moved, buf, n);                    /* fail-over */
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	uint8_t late[256];
	size_t nl = nx_client_establish(&f->ca, late, sizeof(late), f->now + 2, 1000);
	rx(f, f->aa, late, nl);                  /* the first one, late */
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_REJECT);
	assert_int_equal(msg(f, 0)->u.establishment_reject.code, NX_REJ_STALE_ESTABLISH);
	rx(f, f->aa, buf, n);                    /* the accepted one, from elsewhere */
	assert_int_equal(msg(f, 0)->u.establishment_reject.code, NX_REJ_STALE_ESTABLISH);
	assert_int_equal(nx_engine_stats(f->e)->sessions_established, 2);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, moved, &o);        /* still bound to moved */
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	n = nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 3, 1000);
	rx(f, moved, buf, n);                    /* a retry from moved: the same Ack */
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	/* The binding ends; its Establish replayed does not bind it again, a
	 * newer one does. */
	uint8_t t[64];
	rx(f, moved, t, nx_client_terminate(&f->ca, t, sizeof(t), 0));
	rx(f, moved, buf, n);
	assert_int_equal(msg(f, 0)->u.establishment_reject.code, NX_REJ_STALE_ESTABLISH);
	rx(f, moved, buf, nx_client_establish(&f->ca, buf, sizeof(buf), f->now + 4, 1000));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	assert_int_equal(nx_engine_stats(f->e)->rejects[NX_REJ_STALE_ESTABLISH], 3);
}

/* Regression (review of the order-entry protocol, rev7): the last accepted
 * Establish's timestamp was kept as "none" when it was 0, so an Establish
 * with timestamp 0, captured and replayed from another address, moved the
 * session there, and replayed after its binding ended bound it again:
 * both are STALE_ESTABLISH whatever the timestamp. */
static void test_establish_timestamp_zero_is_a_timestamp(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256], t[64];
	rx(f, f->aa, buf, nx_client_negotiate(&f->ca, buf, sizeof(buf), 5));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_NEGOTIATION_RESPONSE);
	size_t n = nx_client_establish(&f->ca, buf, sizeof(buf), 0, 1000);
	rx(f, f->aa, buf, n);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	struct nx_addr elsewhere = { .ip = IP_A, .port = 7777 };
	rx(f, elsewhere, buf, n);                /* replayed from elsewhere */
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_REJECT);
	assert_int_equal(msg(f, 0)->u.establishment_reject.code, NX_REJ_STALE_ESTABLISH);
	rx(f, f->aa, buf, n);                    /* a retry from its address: the same Ack */
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);        /* still bound to aa */
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	rx(f, f->aa, t, nx_client_terminate(&f->ca, t, sizeof(t), 0));
	rx(f, f->aa, buf, n);                    /* replayed after the binding ended */
	assert_int_equal(msg(f, 0)->u.establishment_reject.code, NX_REJ_STALE_ESTABLISH);
	assert_int_equal(nx_engine_stats(f->e)->sessions_established, 1);
	rx(f, f->aa, buf, nx_client_establish(&f->ca, buf, sizeof(buf), 1, 1000));
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
}

/* Regression (session 15): an account at max_open_orders could not send an
 * IOC, FOK or market order either, though they never rest (so it could not
 * even flatten a position); the engine now tells risk which orders rest. */
static void test_max_open_orders_lets_ioc_through(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	struct nx_admin lim = { .op = NX_ADMIN_LIMIT, .id = A,
				.limit_kind = NX_LIMIT_MAX_OPEN_ORDERS, .value = 1 };
	f->out.n = 0;
	assert_int_equal(nx_engine_admin(f->e, &lim, f->now, &f->out), 0);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_SELL, 1000, 5);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	o = order(A, 2, NX_SIDE_SELL, 1000, 5); /* a second working order: refused */
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_RISK_MAX_OPEN_ORDERS);
	const uint8_t tifs[2] = { NX_TIF_IOC, NX_TIF_FOK };
	for (int k = 0; k < 2; k++) {
		o = order(A, 3 + (uint64_t)k, NX_SIDE_BUY, 990, 1);
		o.time_in_force = tifs[k];
		send_order(f, &f->ca, f->aa, &o);
		assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
		assert_int_equal(msg(f, 1)->template_id, NX_NXP_EXEC_CANCELED);
	}
	o = order(A, 5, NX_SIDE_BUY, 0, 1);
	o.ord_type = NX_ORD_MARKET;
	o.time_in_force = NX_TIF_IOC;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
}

/* CancelReject.instrument is "the named order's instrument if known".
 * A replace of a live order refused by pre-trade risk names instrument 0,
 * though the engine has just looked the order up. */
static void test_replace_risk_reject_names_instrument(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_SELL, 999, 5);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	struct nx_nxp_cancel_replace rp = { .cl_ord_id = 2, .orig_cl_ord_id = 1, .price = 1200,
					    .qty = 3, .account = A };
	send_replace(f, &f->ca, f->aa, &rp);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_CANCEL_REJECT);
	assert_int_equal(msg(f, 0)->u.cancel_reject.reason, NX_REJ_RISK_PRICE_COLLAR);
	assert_int_equal(msg(f, 0)->u.cancel_reject.instrument, INST);
}

/* "limit: px > 0 ... BAD_PRICE" (docs/matching.md), whatever the
 * instrument's reference: a NewOrder or CancelReplace at price 0 was
 * refused by risk as outside the collar (RISK_PRICE_COLLAR) at an
 * instrument with a reference, and as BAD_PRICE at one without. */
static void test_price_zero_is_bad_price(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 0, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_REJECTED);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_BAD_PRICE);
	o = order(A, 2, NX_SIDE_SELL, 1000, 5);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	struct nx_nxp_cancel_replace rp = { .cl_ord_id = 3, .orig_cl_ord_id = 2, .price = -1000,
					    .qty = 5, .account = A };
	send_replace(f, &f->ca, f->aa, &rp);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_CANCEL_REJECT);
	assert_int_equal(msg(f, 0)->u.cancel_reject.reason, NX_REJ_BAD_PRICE);
}

/* "a message numbered 2^64 - 1 (E would wrap) gets
 * Terminate(PROTOCOL_VIOLATION), nothing of its datagram is applied". When
 * it is not the datagram's first message, the ones before it are applied.
 * (E is set near 2^64 directly: a client gets there in 2^32 datagrams.) */
static void test_seq_wrap_applies_nothing(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	struct session *s = NULL;
	for (uint32_t i = 0; i < 8; i++)
		if (f->e->sess[i].id == 101)
			s = &f->e->sess[i];
	assert_non_null(s);
	s->next_recv = UINT64_MAX - 1;
	f->ca.next_seq = UINT64_MAX - 1;
	uint8_t buf[512];
	struct nx_nxp_writer w;
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	nx_client_new_order(&f->ca, &w, &o); /* number 2^64 - 2 */
	o.cl_ord_id = 2;
	nx_client_new_order(&f->ca, &w, &o); /* number 2^64 - 1 */
	rx(f, f->aa, buf, w.len);
	assert_int_equal(nx_engine_stats(f->e)->seq_violations, 1);
	assert_int_equal(nx_engine_stats(f->e)->orders, 0);
}

/* Admin requests "are answered with AdminAck or AdminReject"; a
 * throttled one gets a BusinessReject. */
static void test_admin_throttled_gets_admin_reject(void **state)
{
	struct fx *f = *state;
	uint8_t buf[NX_NXP_DGRAM_MAX];
	struct nx_nxp_writer w;
	login(f, &f->cadm, f->aadm);
	uint64_t req = 1;
	for (int d = 0; d < 3; d++) { /* 120 requests at one instant; the burst is 100 */
		nx_client_begin(&f->cadm, &w, buf, sizeof(buf));
		for (int i = 0; i < 40; i++) {
			struct nx_nxp_set_reference_price rp = { .req_id = req++, .price = 1000,
								 .instrument = INST };
			assert_true(nx_nxp_encode_set_reference_price(&w, &rp) > 0);
			nx_client_count(&f->cadm);
		}
		rx(f, f->aadm, buf, w.len);
	}
	const struct nx_client_msg *last = msg(f, count_msgs(f) - 1);
	assert_int_equal(nx_engine_stats(f->e)->throttled, 20);
	assert_int_equal(last->template_id, NX_NXP_ADMIN_REJECT);
}

/* Regression (session 15): unusable numbered messages (an unknown
 * template, a venue-only one) were answered with a BusinessReject each
 * without spending the session's message rate, so a client could make the
 * venue answer any number of them, and its orders after them were not
 * throttled. They now spend a token; over the rate they are answered
 * RISK_THROTTLED, and so is the order that follows. */
static void test_unusable_messages_spend_the_rate(void **state)
{
	struct fx *f = *state;
	uint8_t buf[NX_NXP_DGRAM_MAX];
	struct nx_nxp_writer w;
	login(f, &f->ca, f->aa);
	int throttled = 0, unknown = 0;
	for (int d = 0; d < 3; d++) { /* 120 at one instant; the burst is 100 */
		nx_client_begin(&f->ca, &w, buf, sizeof(buf));
		for (int i = 0; i < 40; i++) {
			assert_non_null(nx_nxp_encode_header(&w, 333, 1, 8));
			nx_client_count(&f->ca);
		}
		rx(f, f->aa, buf, w.len);
		for (int i = 0; i < count_msgs(f); i++) {
			assert_int_equal(msg(f, i)->template_id, NX_NXP_BUSINESS_REJECT);
			throttled += msg(f, i)->u.business_reject.reason == NX_REJ_RISK_THROTTLED;
			unknown += msg(f, i)->u.business_reject.reason == NX_REJ_UNKNOWN_TEMPLATE;
		}
	}
	assert_int_equal(unknown, 100);
	assert_int_equal(throttled, 20);
	assert_int_equal(nx_engine_stats(f->e)->throttled, 20);
	assert_int_equal(nx_engine_stats(f->e)->drop_malformed, 120);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_REJECTED);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_RISK_THROTTLED);
}

/* ExecNew.stpMode was documented "self-trade prevention mode as
 * requested"; the venue sends the resolved mode (None for Default), as the
 * worked example in the same page shows. The code is right, the doc fixed. */
static void test_exec_new_stp_as_requested(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1); /* stpMode Default */
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	assert_int_equal(msg(f, 0)->u.exec_new.stp_mode, NX_STP_NONE); /* the account's default */
	FILE *fp = fopen("docs/protocol.md", "r");
	if (!fp)
		skip();
	char line[512];
	int stale = 0;
	while (fgets(line, sizeof(line), fp))
		stale |= strstr(line, "`stpMode` | self-trade prevention mode as requested") != NULL;
	fclose(fp);
	assert_false(stale);
}

/* BooleanType is 0 or 1, and "a value the receiver does not know is an
 * invalid field". SetKillSwitch(on = 2) is acknowledged and kills the venue
 * (every live order canceled) instead of AdminReject BAD_FIELD. */
static void test_admin_boolean_checked(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	struct nx_nxp_writer w;
	login(f, &f->ca, f->aa);
	login(f, &f->cadm, f->aadm);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);
	struct nx_nxp_set_kill_switch k = { .req_id = 1, .scope = NX_KILL_VENUE, .on = 2 };
	nx_client_begin(&f->cadm, &w, buf, sizeof(buf));
	nx_nxp_encode_set_kill_switch(&w, &k);
	nx_client_count(&f->cadm);
	rx(f, f->aadm, buf, w.len);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 1);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ADMIN_REJECT);
	assert_int_equal(msg(f, 0)->u.admin_reject.reason, NX_REJ_BAD_FIELD);
}

/* "the session may act for its own account only (ACCOUNT_NOT_PERMITTED
 * otherwise)": a request naming account 0 skips that check and is refused
 * by the book as UNKNOWN_ACCOUNT. */
static void test_account_zero_not_permitted(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	struct nx_nxp_new_order o = order(0, 1, NX_SIDE_BUY, 1000, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_REJECTED);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_ACCOUNT_NOT_PERMITTED);
}

/* A Terminate of the datagram d, read by client c; its code. */
static uint16_t terminate_code(struct nx_client *c, const struct nx_out_dgram *d)
{
	struct nx_client_msg m[4];
	assert_int_equal(nx_client_read(c, d->data, d->len, m, 4), 1);
	assert_int_equal(m[0].template_id, NX_NXP_TERMINATE);
	return m[0].u.terminate.code;
}

/* protocol.md: the venue ends a binding by itself, sending Terminate, on
 * VENUE_SHUTDOWN. Nothing sent it: nanoex and nanoex-sock stopped without a
 * word to their clients. nx_engine_shutdown ends every binding, one
 * Terminate each, as many as the output has room for, and cancel-on-
 * disconnect runs (account A has it, B not). */
static void test_shutdown_terminates_every_binding(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	login(f, &f->cb, f->ab);
	struct nx_nxp_new_order oa = order(A, 1, NX_SIDE_BUY, 990, 1);
	struct nx_nxp_new_order ob = order(B, 1, NX_SIDE_SELL, 1010, 1);
	send_order(f, &f->ca, f->aa, &oa);
	send_order(f, &f->cb, f->ab, &ob);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 2);
	uint64_t ended = nx_engine_stats(f->e)->sessions_terminated;

	f->out.n = 0;
	f->out.cap = 1; /* room for one Terminate: the other binding waits */
	assert_int_equal(nx_engine_shutdown(f->e, f->now, &f->out), 1);
	assert_int_equal(f->out.n, 1);
	const struct nx_out_dgram *d = &f->out.d[0];
	int first_a = d->to.ip == f->aa.ip && d->to.port == f->aa.port;
	assert_int_equal(terminate_code(first_a ? &f->ca : &f->cb, d), NX_REJ_VENUE_SHUTDOWN);

	f->out.n = 0;
	f->out.cap = EH_OUT_CAP;
	assert_int_equal(nx_engine_shutdown(f->e, f->now, &f->out), 0);
	assert_int_equal(f->out.n, 1);
	d = &f->out.d[0];
	assert_true(first_a ? d->to.ip == f->ab.ip : d->to.ip == f->aa.ip);
	assert_int_equal(terminate_code(first_a ? &f->cb : &f->ca, d), NX_REJ_VENUE_SHUTDOWN);

	assert_int_equal(nx_engine_stats(f->e)->sessions_terminated, ended + 2);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 1); /* A's: canceled */
	f->out.n = 0;
	assert_int_equal(nx_engine_shutdown(f->e, f->now, &f->out), 0); /* nothing left */
	assert_int_equal(f->out.n, 0);
	f->now += 10000 * MS; /* unbound: no heartbeat, no timeout */
	assert_int_equal(poll_timers(f), 0);
}

/* A venue kill blocked every login, admin accounts' included: only the
 * control plane could lift it. An admin may now log in under a venue kill
 * (and lift it); a trader may not, nor an account under its own kill. */
static void test_venue_kill_lets_admin_log_in(void **state)
{
	struct fx *f = *state;
	struct nx_admin k = { .op = NX_ADMIN_KILL, .scope = NX_KILL_VENUE, .on = 1 };
	f->out.n = 0;
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	uint8_t buf[256];
	size_t n = nx_client_negotiate(&f->ca, buf, sizeof(buf), f->now);
	rx(f, f->aa, buf, n);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_NEGOTIATION_REJECT);
	assert_int_equal(msg(f, 0)->u.negotiation_reject.code, NX_REJ_SESSION_BLOCKED);
	login(f, &f->cadm, f->aadm); /* fails the test if refused */
	k.on = 0;
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	k.scope = NX_KILL_ACCOUNT;
	k.id = ADM;
	k.on = 1;
	assert_int_equal(nx_engine_admin(f->e, &k, f->now, &f->out), 0);
	struct nx_client c2;
	nx_client_init(&c2, 777, ADM, key_adm);
	n = nx_client_negotiate(&c2, buf, sizeof(buf), f->now);
	rx(f, f->aadm, buf, n);
	assert_int_equal(msg(f, 0)->u.negotiation_reject.code, NX_REJ_SESSION_BLOCKED);
	login(f, &f->ca, f->aa); /* the venue kill is off */
}

/* Messages of template tid in f->out sent to address a, read by client c
 * (one of A's other sessions: the fixture's decoding reads every A address
 * with f->ca); the last one into *last when not NULL. */
static int sent_to(struct fx *f, struct nx_addr a, struct nx_client *c, uint16_t tid,
		   struct nx_client_msg *last)
{
	int n = 0;
	for (uint32_t i = 0; i < f->out.n; i++) {
		if (f->out.d[i].to.ip != a.ip || f->out.d[i].to.port != a.port)
			continue;
		struct nx_client_msg m[EH_OUT_CAP];
		int k = nx_client_read(c, f->out.d[i].data, f->out.d[i].len, m, EH_OUT_CAP);
		assert_true(k >= 0);
		for (int j = 0; j < k; j++)
			if (m[j].template_id == tid) {
				n++;
				if (last)
					*last = m[j];
			}
	}
	return n;
}

/* Regression (review of the reports, rev10): "CancelOrder | ExecCanceled
 * ...; or CancelReject", "CancelReplace | ExecReplaced ...", "MassCancel |
 * one ExecCanceled per order, then MassCancelReport with the count". A
 * session of an account may act on the orders another session of the same
 * account entered, but the reports went to the order's session only: the
 * requesting session got no answer at all to a CancelOrder or a
 * CancelReplace, and a MassCancelReport counting orders whose ExecCanceled
 * it never saw. The order's session still gets every report about it (its
 * view of its orders stays the book's); the requester gets the answer too. */
static void test_request_on_other_sessions_order_is_answered(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	struct nx_nxp_writer w;
	struct nx_client c2;
	struct nx_addr a2 = { .ip = IP_A, .port = 5002 };
	struct nx_client_msg r;
	nx_client_init(&c2, 103, A, key_a);
	login(f, &f->ca, f->aa);
	login(f, &c2, a2);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_SELL, 1000, 5);
	send_order(f, &f->ca, f->aa, &o);
	o = order(A, 2, NX_SIDE_SELL, 1001, 5);
	send_order(f, &f->ca, f->aa, &o);
	o = order(A, 3, NX_SIDE_SELL, 1002, 5);
	send_order(f, &f->ca, f->aa, &o);

	/* the second session cancels the first's order 1 */
	struct nx_nxp_cancel_order c = { .cl_ord_id = 10, .orig_cl_ord_id = 1, .account = A };
	nx_client_begin(&c2, &w, buf, sizeof(buf));
	nx_client_cancel(&c2, &w, &c);
	f->out.n = 0;
	nx_engine_rx(f->e, buf, w.len, a2, f->now, &f->out);
	assert_int_equal(sent_to(f, a2, &c2, NX_NXP_EXEC_CANCELED, &r), 1);
	assert_int_equal(r.u.exec_canceled.req_cl_ord_id, 10);
	assert_int_equal(r.u.exec_canceled.cl_ord_id, 1);
	assert_int_equal(r.u.exec_canceled.reason, NX_CXL_USER);
	assert_int_equal(r.u.exec_canceled.canceled_qty, 5);
	assert_int_equal(sent_to(f, f->aa, &f->ca, NX_NXP_EXEC_CANCELED, &r), 1);
	assert_int_equal(r.u.exec_canceled.req_cl_ord_id, 10);

	/* ... replaces its order 2 */
	struct nx_nxp_cancel_replace rp = { .cl_ord_id = 11, .orig_cl_ord_id = 2, .price = 1001,
					    .qty = 3, .account = A };
	nx_client_begin(&c2, &w, buf, sizeof(buf));
	nx_client_replace(&c2, &w, &rp);
	f->out.n = 0;
	nx_engine_rx(f->e, buf, w.len, a2, f->now, &f->out);
	assert_int_equal(sent_to(f, a2, &c2, NX_NXP_EXEC_REPLACED, &r), 1);
	assert_int_equal(r.u.exec_replaced.cl_ord_id, 11);
	assert_int_equal(r.u.exec_replaced.orig_cl_ord_id, 2);
	assert_int_equal(r.u.exec_replaced.qty, 3);
	assert_int_equal(sent_to(f, f->aa, &f->ca, NX_NXP_EXEC_REPLACED, NULL), 1);

	/* ... and mass cancels the account: an ExecCanceled for each order it
	 * counts, before the report */
	struct nx_nxp_mass_cancel mc = { .cl_ord_id = 12, .account = A };
	nx_client_begin(&c2, &w, buf, sizeof(buf));
	nx_client_mass_cancel(&c2, &w, &mc);
	f->out.n = 0;
	nx_engine_rx(f->e, buf, w.len, a2, f->now, &f->out);
	assert_int_equal(sent_to(f, a2, &c2, NX_NXP_MASS_CANCEL_REPORT, &r), 1);
	assert_int_equal(r.u.mass_cancel_report.count, 2);
	assert_int_equal(sent_to(f, a2, &c2, NX_NXP_EXEC_CANCELED, NULL), 2);
	assert_int_equal(sent_to(f, f->aa, &f->ca, NX_NXP_EXEC_CANCELED, NULL), 2);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 0);
	assert_int_equal(c2.gap_count, 0);
}

/* CancelReject.instrument is "the named order's instrument if known"
 * (matching.md: "the named order's for cancels and replaces when it is a
 * live order of the requesting account"). A CancelOrder or CancelReplace
 * refused by the throttle named instrument 0, though it names a live order
 * of the session's own account. */
static void test_throttled_cancel_names_instrument(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	struct nx_nxp_writer w;
	login(f, &f->ca, f->aa);
	struct nx_admin lim = { .op = NX_ADMIN_LIMIT, .id = A, .limit_kind = NX_LIMIT_MSG_BURST,
				.value = 1 };
	f->out.n = 0;
	assert_int_equal(nx_engine_admin(f->e, &lim, f->now, &f->out), 0);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_SELL, 1000, 5); /* the one token */
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	uint64_t oid = msg(f, 0)->u.exec_new.order_id;
	struct nx_nxp_cancel_order c = { .cl_ord_id = 2, .orig_cl_ord_id = 1, .account = A };
	struct nx_nxp_cancel_replace rp = { .cl_ord_id = 3, .order_id = oid, .price = 1000,
					    .qty = 4, .account = A };
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	nx_client_cancel(&f->ca, &w, &c);
	nx_client_replace(&f->ca, &w, &rp);
	rx(f, f->aa, buf, w.len);
	assert_int_equal(count_msgs(f), 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(msg(f, i)->template_id, NX_NXP_CANCEL_REJECT);
		assert_int_equal(msg(f, i)->u.cancel_reject.reason, NX_REJ_RISK_THROTTLED);
		assert_int_equal(msg(f, i)->u.cancel_reject.instrument, INST);
	}
	assert_int_equal(msg(f, 1)->u.cancel_reject.order_id, oid); /* echoed as sent */
	assert_int_equal(msg(f, 1)->u.cancel_reject.orig_cl_ord_id, 0);
	/* a name that is no live order of the account: 0 */
	c.orig_cl_ord_id = 77;
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	nx_client_cancel(&f->ca, &w, &c);
	rx(f, f->aa, buf, w.len);
	assert_int_equal(msg(f, 0)->u.cancel_reject.reason, NX_REJ_RISK_THROTTLED);
	assert_int_equal(msg(f, 0)->u.cancel_reject.instrument, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_establish_retry_same_ack),
		T(test_stale_establish_does_not_move_session),
		T(test_max_open_orders_lets_ioc_through),
		T(test_establish_timestamp_zero_is_a_timestamp),
		T(test_replace_risk_reject_names_instrument),
		T(test_price_zero_is_bad_price),
		T(test_seq_wrap_applies_nothing),
		T(test_admin_throttled_gets_admin_reject),
		T(test_unusable_messages_spend_the_rate),
		T(test_exec_new_stp_as_requested),
		T(test_admin_boolean_checked),
		T(test_account_zero_not_permitted),
		T(test_shutdown_terminates_every_binding),
		T(test_venue_kill_lets_admin_log_in),
		T(test_request_on_other_sessions_order_is_answered),
		T(test_throttled_cancel_names_instrument),
	};
	return cmocka_run_group_tests_name("engine_edges", tests, NULL, NULL);
}
