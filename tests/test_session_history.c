/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * RetransmitRequests whose range starts before the session's history
 * (docs/protocol.md "Expired numbers"). They were refused
 * RETRANSMIT_OUT_OF_RANGE whole, and the client library's users gave the
 * gap up (nx_client_abandon_gap), losing the numbers the history still
 * held with the ones it did not. They are served now: an empty
 * Retransmission names the first number kept, then the kept part comes,
 * charged to the retransmission budget alone. What is still refused, and
 * a client library's gap recovered end to end, are here too.
 *
 * In these tests order clOrdId n is client message n and gets exactly one
 * report, venue message n. The history keeps EH_HISTORY (64) messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "nx/nxp.h"
#include "nx/reason.h"
#include "engine_helpers.h"

#define LOG_N 128    /* venue messages a test numbers, at most */
#define FRAME_MAX 128 /* the longest message, InstrumentDefinition, is 121 bytes */

/* The frames of the venue messages as first sent, by number. */
struct sent_log {
	uint32_t len[LOG_N];
	uint8_t frame[LOG_N][FRAME_MAX];
};

/* The venue application messages in f->out's datagrams that start with a
 * Sequence (retrans 0) or a Retransmission (1), in order: numbers into
 * seq[], frames into frame[] and len[]. Returns how many. */
static int out_frames(const struct fx *f, int retrans, uint64_t *seq, const uint8_t **frame,
		      uint32_t *len, int cap)
{
	int n = 0;
	for (uint32_t i = 0; i < f->out.n; i++) {
		struct nx_nxp_reader r;
		struct nx_nxp_msg m;
		uint64_t next = 0;
		int kind = -1;
		nx_nxp_reader_init(&r, f->out.d[i].data, f->out.d[i].len);
		while (nx_nxp_next(&r, &m) > 0) {
			if (m.template_id == NX_NXP_SEQUENCE || m.template_id == NX_NXP_RETRANSMISSION) {
				kind = m.template_id == NX_NXP_RETRANSMISSION;
				next = kind ? nx_nxp_retransmission_next_seq_no(&m)
					    : nx_nxp_sequence_next_seq_no(&m);
				continue;
			}
			if (kind != retrans || !(m.flags & NX_NXP_F_SEQ))
				continue;
			assert_true(n < cap);
			seq[n] = next++;
			frame[n] = m.frame;
			len[n++] = m.frame_len;
		}
	}
	return n;
}

/* Orders clOrdId from .. from + n - 1 from A (buys, 1 lot; past the 50
 * open orders they are rejected: one report each either way), 20 to a
 * datagram, 100 ms apart so the throttle never acts. Their reports go to
 * A's client library, or are lost on the way (lost); with log, their
 * frames are kept there. */
static void send_orders(struct fx *f, uint64_t from, int n, struct sent_log *log, int lost)
{
	uint8_t buf[1500];
	struct nx_nxp_writer w;
	for (int i = 0; i < n;) {
		nx_client_begin(&f->ca, &w, buf, sizeof(buf));
		for (int k = 0; k < 20 && i < n; k++, i++) {
			struct nx_nxp_new_order o = order(A, from + (uint64_t)i, NX_SIDE_BUY, 900 + i % 50, 1);
			assert_true(nx_client_new_order(&f->ca, &w, &o) > 0);
		}
		if (lost) {
			f->out.n = 0;
			nx_engine_rx(f->e, buf, w.len, f->aa, f->now, &f->out);
		} else {
			rx(f, f->aa, buf, w.len);
		}
		if (log) {
			uint64_t seq[EH_OUT_CAP];
			const uint8_t *fr[EH_OUT_CAP];
			uint32_t len[EH_OUT_CAP];
			int k = out_frames(f, 0, seq, fr, len, EH_OUT_CAP);
			for (int j = 0; j < k; j++) {
				assert_true(seq[j] < LOG_N && len[j] <= FRAME_MAX);
				memcpy(log->frame[seq[j]], fr[j], len[j]);
				log->len[seq[j]] = len[j];
			}
		}
		f->now += 100 * MS;
	}
}

static void retransmit_request(struct fx *f, uint64_t from, uint32_t count)
{
	uint8_t buf[256];
	rx(f, f->aa, buf, nx_client_retransmit_request(&f->ca, buf, sizeof(buf), f->now, from, count));
}

/* The reply is RetransmitReject(code) alone. */
static void assert_refused(struct fx *f, uint16_t code)
{
	assert_int_equal(f->nm, 1);
	assert_int_equal(f->m[0].template_id, NX_NXP_RETRANSMIT_REJECT);
	assert_int_equal(f->m[0].u.retransmit_reject.code, code);
}

/* The reply is the empty Retransmission(kept) alone: the request is over. */
static void assert_empty_alone(struct fx *f, uint64_t kept)
{
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->nm, 1);
	assert_int_equal(f->m[0].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(f->m[0].u.retransmission.next_seq_no, kept);
	assert_int_equal(f->m[0].u.retransmission.count, 0);
	assert_int_equal(f->out.d[0].len, NX_NXP_OVERHEAD + NX_NXP_RETRANSMISSION_BLOCK_LEN);
}

/* 21..80 asked for when the history keeps 37..100: an empty Retransmission
 * naming 37, then exactly 37..80, each the very bytes first sent. The
 * request is over at once: the next one is taken. */
static void test_retransmit_partly_older_than_history(void **state)
{
	struct fx *f = *state;
	struct sent_log log;
	login(f, &f->ca, f->aa);
	send_orders(f, 1, 100, &log, 0); /* venue messages 1..100 */
	retransmit_request(f, 21, 60);
	assert_int_equal(f->m[0].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(f->m[0].u.retransmission.next_seq_no, 37);
	assert_int_equal(f->m[0].u.retransmission.count, 0);
	assert_int_equal(f->m[1].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(f->m[1].u.retransmission.next_seq_no, 37);
	assert_true(f->m[1].u.retransmission.count > 0);
	uint64_t seq[EH_OUT_CAP];
	const uint8_t *fr[EH_OUT_CAP];
	uint32_t len[EH_OUT_CAP];
	assert_int_equal(out_frames(f, 1, seq, fr, len, EH_OUT_CAP), 44);
	for (int i = 0; i < 44; i++) {
		assert_int_equal(seq[i], 37 + (uint64_t)i);
		assert_int_equal(len[i], log.len[seq[i]]);
		assert_memory_equal(fr[i], log.frame[seq[i]], len[i]);
	}
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	assert_int_equal(st->retransmit_expired, 16); /* 21..36 */
	assert_int_equal(st->retransmitted, 44);
	assert_int_equal(st->rejects[NX_REJ_RETRANSMIT_OUT_OF_RANGE], 0);
	poll_timers(f);
	assert_int_equal(f->nm, 0);
	retransmit_request(f, 100, 1);
	assert_int_equal(f->m[0].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(f->m[0].u.retransmission.next_seq_no, 100);
	assert_int_equal(f->m[0].u.retransmission.count, 1);
}

/* Ranges wholly older than the history (37..100 kept): the empty
 * Retransmission naming 37 comes alone, the numbers are counted expired,
 * and the request is over: nothing follows, and a new one is served. */
static void test_retransmit_wholly_older_than_history(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	send_orders(f, 1, 100, NULL, 0);
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	retransmit_request(f, 5, 20); /* 5..24 */
	assert_empty_alone(f, 37);
	assert_int_equal(st->retransmit_expired, 20);
	poll_timers(f);
	assert_int_equal(f->nm, 0);
	retransmit_request(f, 1, 36); /* up to the last number gone */
	assert_empty_alone(f, 37);
	assert_int_equal(st->retransmit_expired, 56);
	retransmit_request(f, 36, 2); /* one gone, one kept */
	assert_int_equal(f->nm, 3);
	assert_int_equal(f->m[0].u.retransmission.next_seq_no, 37);
	assert_int_equal(f->m[0].u.retransmission.count, 0);
	assert_int_equal(f->m[1].u.retransmission.next_seq_no, 37);
	assert_int_equal(f->m[1].u.retransmission.count, 1);
	assert_int_equal(f->m[2].seq, 37);
	retransmit_request(f, 90, 5);
	assert_int_equal(f->m[0].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(f->m[0].u.retransmission.next_seq_no, 90);
	assert_int_equal(f->m[0].u.retransmission.count, 5);
	assert_int_equal(st->retransmit_expired, 57);
	assert_int_equal(st->retransmitted, 6);
	assert_int_equal(st->rejects[NX_REJ_RETRANSMIT_OUT_OF_RANGE], 0);
}

/* RetransmitRequest(from, count) from A: 1 when served (kept messages
 * resent, count - kept expired), 0 when refused RETRANSMIT_THROTTLED. */
static int ask(struct fx *f, uint64_t from, uint32_t count, uint32_t kept)
{
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	uint64_t sent = st->retransmitted, gone = st->retransmit_expired;
	retransmit_request(f, from, count);
	if (f->m[0].template_id == NX_NXP_RETRANSMIT_REJECT) {
		assert_refused(f, NX_REJ_RETRANSMIT_THROTTLED);
		assert_int_equal(st->retransmitted, sent);
		assert_int_equal(st->retransmit_expired, gone);
		return 0;
	}
	assert_int_equal(f->m[0].template_id, NX_NXP_RETRANSMISSION);
	assert_int_equal(st->retransmitted, sent + kept);
	assert_int_equal(st->retransmit_expired, gone + count - kept);
	return 1;
}

/* The budget is charged for the messages a request resends, the part of
 * its range the history holds: numbers already gone cost nothing, and a
 * range wholly gone is answered even with the bucket empty. The history
 * keeps 37..100; the bucket holds four histories, 256. */
static void test_retransmit_budget_charges_kept_part(void **state)
{
	struct fx *f = *state;
	char err[256];
	nx_engine_destroy(f->e);
	f->e = make_engine_retransmit(NX_RETRANSMIT_RATE_DEFAULT,
				      NX_RETRANSMIT_BURST_HISTORIES * EH_HISTORY, err, sizeof(err));
	assert_non_null(f->e);
	login(f, &f->ca, f->aa);
	send_orders(f, 1, 100, NULL, 0);
	assert_true(ask(f, 1, 64, 28));      /* 37..64: 28, leaves 228 */
	for (int i = 0; i < 3; i++)
		assert_true(ask(f, 37, 64, 64)); /* leaves 36 */
	assert_true(ask(f, 1, 64, 28));      /* its count, 64, would be refused: leaves 8 */
	assert_false(ask(f, 37, 9, 9));
	assert_true(ask(f, 29, 16, 8));      /* 37..44: leaves 0 */
	assert_true(ask(f, 1, 36, 0));       /* free */
	assert_empty_alone(f, 37);
	assert_false(ask(f, 37, 1, 1));
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	assert_int_equal(st->retransmit_throttled, 2);
	assert_int_equal(st->retransmitted, NX_RETRANSMIT_BURST_HISTORIES * EH_HISTORY);
}

/* What stays refused: count 0 (older than the history or not), fromSeqNo 0,
 * a range reaching past the last message sent (or before anything was
 * sent), RETRANSMIT_OUT_OF_RANGE; more than the history, TOO_MANY. */
static void test_retransmit_still_refused(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	retransmit_request(f, 1, 1); /* nothing sent yet */
	assert_refused(f, NX_REJ_RETRANSMIT_OUT_OF_RANGE);
	send_orders(f, 1, 100, NULL, 0); /* 37..100 kept */
	static const struct { uint64_t from; uint32_t count; uint16_t code; } no[] = {
		{ 50, 0, NX_REJ_RETRANSMIT_OUT_OF_RANGE },
		{ 1, 0, NX_REJ_RETRANSMIT_OUT_OF_RANGE },
		{ 0, 1, NX_REJ_RETRANSMIT_OUT_OF_RANGE },
		{ 0, 64, NX_REJ_RETRANSMIT_OUT_OF_RANGE },
		{ 101, 1, NX_REJ_RETRANSMIT_OUT_OF_RANGE },
		{ 90, 12, NX_REJ_RETRANSMIT_OUT_OF_RANGE },
		{ UINT64_MAX, 64, NX_REJ_RETRANSMIT_OUT_OF_RANGE },
		{ 1, 65, NX_REJ_RETRANSMIT_TOO_MANY },
		{ 40, UINT32_MAX, NX_REJ_RETRANSMIT_TOO_MANY },
	};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		retransmit_request(f, no[i].from, no[i].count);
		assert_refused(f, no[i].code);
	}
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	assert_int_equal(st->rejects[NX_REJ_RETRANSMIT_OUT_OF_RANGE], 8);
	assert_int_equal(st->rejects[NX_REJ_RETRANSMIT_TOO_MANY], 2);
	assert_int_equal(st->retransmitted, 0);
	assert_int_equal(st->retransmit_expired, 0);
}

/* End to end through the client library: A's reports 31..90 are lost, and
 * by the time 91..110 show it the gap the history keeps 47..110. The
 * library asks for its gap, 31..90, and recovers 47..90, each new (not a
 * duplicate) and the report of its own order; 31..46 are counted expired,
 * and the gap is closed with nothing given up by hand. */
static void test_client_recovers_gap_older_than_history(void **state)
{
	struct fx *f = *state;
	login(f, &f->ca, f->aa);
	send_orders(f, 1, 30, NULL, 0);
	send_orders(f, 31, 60, NULL, 1);
	send_orders(f, 91, 20, NULL, 0);
	assert_int_equal(f->ca.gap_from, 31);
	assert_int_equal(f->ca.gap_count, 60);
	retransmit_request(f, f->ca.gap_from, (uint32_t)f->ca.gap_count);
	uint64_t next = 47;
	for (int i = 0; i < f->nm; i++) {
		const struct nx_client_msg *m = &f->m[i];
		if (m->template_id == NX_NXP_RETRANSMISSION)
			continue;
		assert_int_equal(m->seq, next++);
		assert_true(m->retransmitted);
		assert_false(m->duplicate);
		assert_int_equal(m->template_id == NX_NXP_EXEC_NEW ? m->u.exec_new.cl_ord_id
								   : m->u.exec_rejected.cl_ord_id, m->seq);
	}
	assert_int_equal(next, 91);
	assert_int_equal(f->ca.gap_count, 0);
	assert_int_equal(f->ca.gap_from, 0);
	assert_int_equal(f->ca.rt_end, 0);
	assert_int_equal(f->ca.expired, 16);
	assert_int_equal(f->ca.duplicates, 0);
	assert_int_equal(f->ca.expect_seq, 111);
	assert_int_equal(nx_engine_stats(f->e)->retransmit_expired, 16);
	assert_int_equal(nx_engine_stats(f->e)->retransmitted, 44);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_retransmit_partly_older_than_history),
		T(test_retransmit_wholly_older_than_history),
		T(test_retransmit_budget_charges_kept_part),
		T(test_retransmit_still_refused),
		T(test_client_recovers_gap_older_than_history),
	};
	return cmocka_run_group_tests_name("session_history", tests, NULL, NULL);
}
