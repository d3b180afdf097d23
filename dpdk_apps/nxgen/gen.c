/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The generator core, the same for every backend. One run:
 *
 *   sessions   Negotiate then Establish every session (batched, resent
 *              every 500 ms while unanswered, the same timestamp so the
 *              venue answers a repeat alike)
 *   load       warm-up, then the measured window (--duration or --count):
 *              closed loop: each session sends its next request when the
 *                answer of the previous one arrives (intended = that time)
 *              open loop: one schedule for all sessions at --rate, constant
 *                or Poisson gaps; each request's intended time is its slot,
 *                whatever the generator or the venue were doing, so a
 *                stall shows up as the latency of everything behind it
 *   drain      no new requests; wait (--timeout) for what is in flight
 *   clean-up   MassCancel what the sessions left resting, Terminate each
 *
 * Matching: every request has a slot in its session's window, found by its
 * clOrdId; the answering message (ExecNew / ExecRejected for a NewOrder,
 * ExecCanceled with reqClOrdId / CancelReject for a cancel, ExecReplaced /
 * CancelReject / ExecRejected for a replace, MassCancelReport, and a
 * BusinessReject or NotApplied by sequence number) closes it and records
 * answer time minus intended time. A request open longer than --timeout is
 * lost; an answer after that counts as late. Gaps in the venue's sequence
 * numbers (nx_client) are asked for with RetransmitRequest at once; what
 * comes back is handled like anything else (so a reply lost and recovered
 * is measured with its recovery time, as the client would live it).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nx/reason.h"
#include "nxgen.h"

#define LOGIN_RESEND_NS  500000000u  /* Negotiate/Establish resent while unanswered */
#define TIMER_NS         1000000u    /* timeouts, heartbeats, gaps: every 1 ms */
#define RT_MAX           1000u       /* messages asked for in one RetransmitRequest, at most */
#define CLOSE_WAIT_NS    500000000u  /* for the venue's Terminate answers */
/* A slot is free when empty: answered, refused, or declared lost (whose
 * late answer is then found by its lost bit, not its slot). */
static inline int slot_free(const struct nxg_req *rq)
{
	return !rq->cl;
}

/* Whether clOrdId cl of s was declared lost and not yet answered late;
 * the bit is cleared (one late answer counts once). */
static int lost_take(struct nxg_sess *s, uint64_t cl)
{
	if (!cl || cl >= s->next_cl || s->next_cl - cl > NXG_LOST_SPAN)
		return 0;
	uint64_t b = cl & (NXG_LOST_SPAN - 1), m = UINT64_C(1) << (b % 64);
	if (!(s->lost[b / 64] & m))
		return 0;
	s->lost[b / 64] &= ~m;
	return 1;
}

enum phase { PH_LOGIN, PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_CLEANUP };

struct nxg_gen {
	const struct nxg_opts *o;
	struct nxg_result *r;
	struct nxg_clock clk;
	const struct nxg_io_ops *ops;
	struct nxg_io *io;
	struct nxg_sess *sess;
	uint32_t nsess;
	struct nxg_inst inst[NXG_MAX_INSTS];
	uint32_t ninst;
	struct nxg_rng rng;
	uint32_t cum[NXG_NKINDS];
	uint32_t mask;
	uint8_t phase;
	uint64_t t_meas, t_end, next_send, next_timer, next_sec, sec_no;
	double t0_send, sched_ns, mean_gap_ns; /* open loop: next_send = t0 + sched, summed in
	                                          double so truncation does not speed it up */
	uint64_t m_total, last_meas_sent, last_meas_done, rr, drop_ctr, stalled;
	struct nxg_sec cur;                 /* the second being counted */
	struct nx_hist *sec_h;
	uint16_t refused_code;
	uint32_t rt_max;                    /* RT_MAX, or the venue's history if smaller: the
	                                       venue refuses more (RETRANSMIT_TOO_MANY); halved
	                                       when it refuses anyway (a -c that is not its file) */
	uint32_t rt_rate;                   /* -c's sessions.retransmit_rate (messages a second,
	                                       0: no limit): when a THROTTLED request can be
	                                       served */
	unsigned ntx;
	struct nxg_tx tx[NXG_TX_BURST];
	uint8_t txbuf[NXG_TX_BURST][NX_NXP_DGRAM_MAX];
	struct nxg_rx rx[NXG_RX_BURST];
	struct nx_client_msg msgs[NXG_DGRAM_MSGS];
};

/* --- Sending ------------------------------------------------------------------------- */

static void flush(struct nxg_gen *g)
{
	if (!g->ntx)
		return;
	unsigned n = g->ops->send(g->io, g->tx, g->ntx);
	g->r->n.tx_fail += g->ntx - n;
	g->r->n.dgrams_out += g->ntx; /* tried: the venue's count is checked against it */
	g->ntx = 0;
}

static uint8_t *tx_buf(struct nxg_gen *g)
{
	if (g->ntx == NXG_TX_BURST)
		flush(g);
	return g->txbuf[g->ntx];
}

static void tx_commit(struct nxg_gen *g, struct nxg_sess *s, size_t len, uint64_t now)
{
	g->tx[g->ntx] = (struct nxg_tx){ .sess = s->idx, .len = (uint16_t)len, .data = g->txbuf[g->ntx] };
	g->ntx++;
	s->last_tx = now;
}

/* Send one request of kind `want` (-1: from the mix) with intended time t_int. */
static int send_request(struct nxg_gen *g, struct nxg_sess *s, uint64_t t_int, uint64_t now,
			int measured, int want, nx_inst_t mass_inst)
{
	struct nxg_req rq = { 0 };
	struct nx_nxp_writer w;
	uint8_t *buf = tx_buf(g);
	nx_client_begin(&s->c, &w, buf, NX_NXP_DGRAM_MAX);
	rq.seq = s->c.next_seq;
	int kind;
	if (want == NXG_MASS) {
		struct nx_nxp_mass_cancel mc = { .cl_ord_id = nxg_take_cl(s), .account = s->c.acct,
						 .instrument = mass_inst, .side = 0 };
		rq.cl = mc.cl_ord_id;
		rq.kind = NXG_MASS;
		kind = nx_client_mass_cancel(&s->c, &w, &mc) ? NXG_MASS : -1;
	} else {
		kind = nxg_mix_next(s, g->inst, g->o, &g->rng, g->cum, &w, &rq, &g->r->n.fallback);
	}
	if (kind < 0)
		return -1;
	rq.t_int = t_int;
	rq.t_sent = now;
	rq.measured = (uint8_t)measured;
	s->req[rq.cl & g->mask] = rq;
	s->inflight++;
	s->pend_new += kind == NXG_NEW;
	tx_commit(g, s, w.len, now);
	g->r->n.sent[kind]++;
	g->r->n.msgs_out += 2; /* Sequence + the request */
	if (measured) {
		g->r->n.m_sent[kind]++;
		g->cur.sent++;
		g->m_total++;
		g->last_meas_sent = now;
		nx_hist_record(g->r->lag, now > t_int ? now - t_int : 0);
	}
	return kind;
}

static void send_session_msg(struct nxg_gen *g, struct nxg_sess *s, int what, uint64_t now)
{
	uint8_t *b = tx_buf(g);
	size_t n = 0;
	switch (what) {
	case NX_NXP_NEGOTIATE:
		n = nx_client_negotiate(&s->c, b, NX_NXP_DGRAM_MAX, s->c.last_ts ? s->c.last_ts : nxg_wall_ns());
		break;
	case NX_NXP_ESTABLISH:
		n = nx_client_establish(&s->c, b, NX_NXP_DGRAM_MAX, s->c.last_ts, g->o->keepalive_ms);
		break;
	case NX_NXP_TERMINATE:
		n = nx_client_terminate(&s->c, b, NX_NXP_DGRAM_MAX, 0);
		break;
	case NX_NXP_SEQUENCE:
		n = nx_client_heartbeat(&s->c, b, NX_NXP_DGRAM_MAX);
		g->r->n.hb_out++;
		break;
	case NX_NXP_RETRANSMIT_REQUEST: {
		uint32_t cnt = s->c.gap_count > g->rt_max ? g->rt_max : (uint32_t)s->c.gap_count;
		s->rt_ts = nxg_wall_ns(); /* echoed by its answer, and by a refusal */
		n = nx_client_retransmit_request(&s->c, b, NX_NXP_DGRAM_MAX, s->rt_ts,
						 s->c.gap_from, cnt);
		g->r->n.rt_requests++;
		s->rt_count = cnt;
		s->rt_pending = 1;
		s->rt_sent = now;
		break;
	}
	}
	if (n) {
		tx_commit(g, s, n, now);
		g->r->n.msgs_out++;
	}
}

/* --- Receiving ---------------------------------------------------------------------- */

static uint16_t reject_reason(const struct nx_client_msg *m)
{
	switch (m->template_id) {
	case NX_NXP_EXEC_REJECTED: return m->u.exec_rejected.reason;
	case NX_NXP_CANCEL_REJECT: return m->u.cancel_reject.reason;
	case NX_NXP_BUSINESS_REJECT: return m->u.business_reject.reason;
	default: return 0;
	}
}

static void record(struct nxg_gen *g, const struct nxg_req *rq, int rejected, uint64_t ts)
{
	if (ts > g->last_meas_done)
		g->last_meas_done = ts;
	uint64_t lat = ts > rq->t_int ? ts - rq->t_int : 0;
	nx_hist_record(g->r->h[rq->kind], lat);
	nx_hist_record(g->r->h[NXG_NKINDS], lat);
	nx_hist_record(g->sec_h, lat);
	g->r->n.m_answered[rq->kind]++;
	g->cur.answered++;
	if (rejected) {
		g->r->n.m_rejected[rq->kind]++;
		g->cur.rejects++;
	}
}

/* Free rq's slot: answered, refused, or (lost) declared lost at ts. */
static void close_req(struct nxg_gen *g, struct nxg_sess *s, struct nxg_req *rq, int lost,
		      uint64_t ts)
{
	s->last_done = ts;
	if (rq->measured && ts > g->last_meas_done)
		g->last_meas_done = ts;
	if (rq->kind == NXG_NEW)
		s->pend_new--;
	if (lost) {
		uint64_t b = rq->cl & (NXG_LOST_SPAN - 1);
		s->lost[b / 64] |= UINT64_C(1) << (b % 64);
	}
	rq->cl = 0;
	s->inflight--;
}

/* m answers request cl of s: record it, let the mix see it, free the slot. */
static void answer(struct nxg_gen *g, struct nxg_sess *s, uint64_t cl, const struct nx_client_msg *m,
		   uint64_t ts)
{
	struct nxg_req *rq = &s->req[cl & g->mask];
	if (!cl || rq->cl != cl) {
		/* answered after it was declared lost: its slot may hold a
		 * newer request by now (a full window reuses it at once) */
		if (lost_take(s, cl))
			g->r->n.late++;
		nxg_mix_on_report(s, m, NULL);
		return;
	}
	g->r->n.answered++;
	if (rq->measured && rq->kind < NXG_NKINDS)
		record(g, rq, reject_reason(m) != 0, ts);
	nxg_mix_on_report(s, m, rq);
	close_req(g, s, rq, 0, ts);
}

/* Requests numbered from..from+count-1 were refused as a whole (NotApplied,
 * BusinessReject): found by sequence number, closed, counted as lost. */
static void close_by_seq(struct nxg_gen *g, struct nxg_sess *s, uint64_t from, uint64_t count,
			 const struct nx_client_msg *m, uint64_t ts)
{
	for (uint64_t c = s->tail; c < s->next_cl; c++) {
		struct nxg_req *rq = &s->req[c & g->mask];
		if (rq->cl != c || rq->seq < from || rq->seq - from >= count)
			continue;
		if (m->template_id == NX_NXP_BUSINESS_REJECT) {
			answer(g, s, c, m, ts);
			continue;
		}
		if (rq->measured && rq->kind < NXG_NKINDS) {
			g->r->n.m_lost[rq->kind]++;
			g->cur.lost++; /* in its second too, as lose() does */
		}
		g->r->n.lost++;
		nxg_mix_release(s, rq);
		close_req(g, s, rq, 0, ts); /* refused: nothing more will come */
	}
}

static void lose(struct nxg_gen *g, struct nxg_sess *s, struct nxg_req *rq, uint64_t now);

/* The session is down: every request still open is lost, now (so sent =
 * answered + lost holds, and no load waits on them). */
static void lose_all(struct nxg_gen *g, struct nxg_sess *s, uint64_t now)
{
	for (; s->tail < s->next_cl; s->tail++) {
		struct nxg_req *rq = &s->req[s->tail & g->mask];
		if (rq->cl == s->tail)
			lose(g, s, rq, now);
	}
}

static void on_msg(struct nxg_gen *g, struct nxg_sess *s, const struct nx_client_msg *m, uint64_t ts)
{
	struct nxg_counts *n = &g->r->n;
	uint16_t why = reject_reason(m);
	/* Every reject, all phases; the second's row counts only those that
	 * answer a measured request (record), like its other columns: it
	 * counted every reject received, so its first row held the warm-up's
	 * and its rows the late answers of requests already counted lost. */
	if (why)
		n->rejects[why & 0xff]++;
	if (m->seq) {
		n->msgs_in++;
		if (m->retransmitted)
			n->recovered++;
	}
	switch (m->template_id) {
	case NX_NXP_NEGOTIATION_RESPONSE:
		if (s->state == NXG_S_NEGOTIATING)
			s->state = NXG_S_ESTABLISHING;
		break;
	case NX_NXP_ESTABLISHMENT_ACK: {
		const struct nx_nxp_establishment_ack *a = &m->u.establishment_ack;
		if (s->state != NXG_S_ESTABLISHING)
			break;
		s->state = NXG_S_UP;
		if (a->next_recv_seq_no > s->c.next_seq)
			s->c.next_seq = a->next_recv_seq_no;
		if (a->next_seq_no > s->c.expect_seq)
			s->c.expect_seq = a->next_seq_no; /* a fresh session: nothing to recover */
		break;
	}
	case NX_NXP_NEGOTIATION_REJECT:
	case NX_NXP_ESTABLISHMENT_REJECT:
		g->refused_code = m->template_id == NX_NXP_NEGOTIATION_REJECT
				? m->u.negotiation_reject.code : m->u.establishment_reject.code;
		s->state = NXG_S_DOWN;
		break;
	case NX_NXP_TERMINATE:
		if (s->state != NXG_S_CLOSING)
			n->terminated++;
		s->state = NXG_S_DOWN;
		lose_all(g, s, ts); /* nothing more will come for them */
		break;
	case NX_NXP_RETRANSMIT_REJECT: {
		uint16_t code = m->u.retransmit_reject.code;
		n->rt_rejects++;
		/* A refusal of an earlier request (one asked again after
		 * --timeout, refused late) says nothing of the one out now:
		 * acting on it would cut its count or clear rt_pending under
		 * it. The venue echoes the request's timestamp. */
		if (m->u.retransmit_reject.request_timestamp != s->rt_ts) {
			n->rt_stale++;
			break;
		}
		/* One in progress (a retry of ours while the first is still
		 * answered): keep the gap, and ask again after the retry time
		 * if nothing fills it. */
		if (code == NX_REJ_RETRANSMIT_IN_PROGRESS)
			break;
		/* The session's retransmission budget spent for now: keep the
		 * gap. The bucket refills at -c's retransmit_rate and held less
		 * than the count when the venue refused (before ts), so count /
		 * rate after ts it covers it, whatever it held: ask again then
		 * (the timer path, at its first tick from rt_retry_at), not
		 * after --timeout, when the gap's requests, sent before ours,
		 * are lost. Held more than nothing, it could have served
		 * sooner; nxgen cannot know how much. A gap grown meanwhile
		 * asks for more, a -c rate above the venue's too soon: refused
		 * again (free), a new wait. Rate 0 (a -c without a budget, not
		 * the venue's file): no way to know, so as before, the gap kept
		 * with rt_pending set and asked again after the retry time. */
		if (code == NX_REJ_RETRANSMIT_THROTTLED) {
			n->rt_throttled++;
			if (g->rt_rate) {
				s->rt_pending = 0;
				s->rt_retry_at = ts + ((uint64_t)s->rt_count * 1000000000u + g->rt_rate - 1) /
						 g->rt_rate;
			}
			break;
		}
		s->rt_pending = 0;
		/* TOO_MANY: the venue's history is smaller than -c says (the
		 * count is checked before the budget, so none of it was spent).
		 * Keep the gap and ask for at most half the count refused, for
		 * every session (one venue, one history), never below 1. With
		 * rt_pending clear the next tick (TIMER_NS) asks again, not
		 * --timeout later: the refusal is the answer, nothing is in
		 * progress to wait for, and each refusal halves the count, so
		 * the asking ends. The count then served may start below the
		 * history: its empty Retransmission says what is gone (the
		 * library counts it expired) and the rest comes. A count of 1
		 * refused cannot shrink: given up like the rest. */
		if (code == NX_REJ_RETRANSMIT_TOO_MANY && s->rt_count > 1) {
			if (s->rt_count / 2 < g->rt_max)
				g->rt_max = s->rt_count / 2;
			break;
		}
		/* Anything else cannot be had (numbers the venue never sent,
		 * OUT_OF_RANGE): give the gap up through the library, so that
		 * what arrived inside it and the request in progress are
		 * forgotten with it. A gap whose front left the venue's history
		 * is not refused: an empty Retransmission says what is gone. */
		nx_client_abandon_gap(&s->c);
		break;
	}
	case NX_NXP_NOT_APPLIED:
		n->not_applied += m->u.not_applied.count;
		close_by_seq(g, s, m->u.not_applied.from_seq_no, m->u.not_applied.count, m, ts);
		break;
	case NX_NXP_BUSINESS_REJECT:
		close_by_seq(g, s, m->u.business_reject.ref_seq_no, 1, m, ts);
		break;
	case NX_NXP_EXEC_NEW: answer(g, s, m->u.exec_new.cl_ord_id, m, ts); break;
	case NX_NXP_EXEC_REJECTED: answer(g, s, m->u.exec_rejected.cl_ord_id, m, ts); break;
	case NX_NXP_EXEC_REPLACED: answer(g, s, m->u.exec_replaced.cl_ord_id, m, ts); break;
	case NX_NXP_CANCEL_REJECT: answer(g, s, m->u.cancel_reject.cl_ord_id, m, ts); break;
	case NX_NXP_MASS_CANCEL_REPORT: answer(g, s, m->u.mass_cancel_report.cl_ord_id, m, ts); break;
	case NX_NXP_EXEC_CANCELED: {
		/* Answers a CancelOrder only; a MassCancel's ExecCanceleds carry its
		 * clOrdId too, but its answer is the MassCancelReport after them. */
		uint64_t rc = m->u.exec_canceled.req_cl_ord_id;
		const struct nxg_req *rq = &s->req[rc & g->mask];
		if (rc && !(rq->cl == rc && rq->kind == NXG_MASS))
			answer(g, s, rc, m, ts);
		else
			nxg_mix_on_report(s, m, NULL); /* IOC remainder, STP, mass cancel ... */
		break;
	}
	default:
		nxg_mix_on_report(s, m, NULL);
		break;
	}
}

static void on_dgram(struct nxg_gen *g, const struct nxg_rx *rx)
{
	struct nxg_counts *n = &g->r->n;
	if (rx->sess >= g->nsess)
		return;
	struct nxg_sess *s = &g->sess[rx->sess];
	n->dgrams_in++;
	if (g->o->drop_every && s->state == NXG_S_UP &&
	    (g->phase == PH_WARMUP || g->phase == PH_MEASURE || g->phase == PH_DRAIN) &&
	    ++g->drop_ctr % g->o->drop_every == 0) {
		n->dropped_test++; /* as if lost on the wire: the library never sees it */
		return;
	}
	uint64_t gap_before = s->c.gap_count;
	int k = nx_client_read(&s->c, rx->data, rx->len, g->msgs, NXG_DGRAM_MSGS);
	if (k < 0)
		return;
	if (s->c.gap_count > gap_before) {
		n->gaps++;
		n->gap_msgs += s->c.gap_count - gap_before;
	}
	if (k == 1 && g->msgs[0].template_id == NX_NXP_SEQUENCE)
		n->hb_in++;
	for (int i = 0; i < k; i++) {
		const struct nx_client_msg *m = &g->msgs[i];
		if (m->duplicate) {
			/* Again: a duplicate datagram, or a message that arrived
			 * between two gaps and came back in their retransmitted
			 * span (the client library knows). Received (msgs_in,
			 * recovered), not handled again: replies and rejects
			 * count each message once. */
			n->duplicates++;
			n->msgs_in++;
			n->recovered += m->retransmitted;
			continue;
		}
		n->by_template[m->template_id]++;
		if (m->template_id == NX_NXP_EXEC_TRADE)
			n->fills += m->u.exec_trade.trade_count;
		on_msg(g, s, m, rx->ts_ns);
	}
	/* Recovered, or the range asked for has been served while the span
	 * grew behind it (a later gap, or more than rt_max): ask for the
	 * rest at the next tick, not after --timeout, when its requests are lost. */
	if (s->rt_pending && (!s->c.gap_count || !s->c.rt_end))
		s->rt_pending = 0;
}

/* Poll the backend once (waiting at most wait_ns for something) and handle it all. */
static void pump(struct nxg_gen *g, uint64_t wait_ns)
{
	flush(g);
	unsigned k = g->ops->poll(g->io, g->rx, NXG_RX_BURST, wait_ns);
	g->r->n.polls++;
	if (!k) {
		g->r->n.polls_empty++;
		g->r->n.polls_spun += !wait_ns;
	}
	for (unsigned i = 0; i < k; i++)
		on_dgram(g, &g->rx[i]);
}

/* --- Timers --------------------------------------------------------------------------- */

/* Declare rq lost at now: counted, its slot freed, its lost bit set to
 * spot a late answer. */
static void lose(struct nxg_gen *g, struct nxg_sess *s, struct nxg_req *rq, uint64_t now)
{
	if (rq->measured && rq->kind < NXG_NKINDS) {
		g->r->n.m_lost[rq->kind]++;
		g->cur.lost++;
	}
	g->r->n.lost++;
	nxg_mix_release(s, rq);
	close_req(g, s, rq, 1, now);
}

/* Requests past the timeout (from their actual send) are lost. */
static void expire(struct nxg_gen *g, struct nxg_sess *s, uint64_t now)
{
	uint64_t to = (uint64_t)g->o->timeout_ms * 1000000u;
	while (s->tail < s->next_cl) {
		struct nxg_req *rq = &s->req[s->tail & g->mask];
		if (rq->cl == s->tail) {
			if (now - rq->t_sent < to)
				break;
			lose(g, s, rq, now);
		}
		s->tail++;
	}
}

static void progress(struct nxg_gen *g, uint64_t now)
{
	struct nxg_result *r = g->r;
	struct nxg_sec *c = &g->cur;
	static const double pct[] = { 50, 90, 99, 99.9 };
	uint64_t v[4] = { 0 };
	nx_hist_percentiles(g->sec_h, pct, v, 4);
	c->p50 = v[0];
	c->p90 = v[1];
	c->p99 = v[2];
	c->p999 = v[3];
	c->max = nx_hist_max(g->sec_h);
	if (g->phase == PH_MEASURE || g->phase == PH_DRAIN) {
		c->t = (uint32_t)g->sec_no;
		if (r->nts == r->cap_ts) {
			/* A window by --count, or a backlog sent after -d, outlasts
			 * the rows sized at start-up: grow (once a second, cold)
			 * rather than drop the seconds after them. */
			struct nxg_sec *ts = realloc(r->ts, 2 * (size_t)r->cap_ts * sizeof(*ts));
			if (ts) {
				r->ts = ts;
				r->cap_ts *= 2;
			}
		}
		if (r->nts < r->cap_ts)
			r->ts[r->nts++] = *c;
	}
	if (!g->o->quiet)
		fprintf(stderr, "nxgen[%s]: %s %3" PRIu64 " s  sent %7" PRIu64 "/s  answered %7" PRIu64
			"/s  lost %" PRIu64 "  p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us\n",
			r->o.name, g->phase == PH_WARMUP ? "warm-up" : "run    ", g->sec_no, c->sent,
			c->answered, c->lost, (double)c->p50 / 1e3, (double)c->p99 / 1e3,
			(double)c->p999 / 1e3, (double)c->max / 1e3);
	memset(c, 0, sizeof(*c));
	nx_hist_reset(g->sec_h);
	g->sec_no++;
	g->next_sec += 1000000000u;
	(void)now;
}

/* Close every row of the time series whose second has passed by now (an
 * empty one for each second nothing happened in), before anything of now
 * is counted: after the generator stalled, the backlog it sends belongs
 * to the second it goes out in, not to the last one before the stall. */
static void close_rows(struct nxg_gen *g, uint64_t now)
{
	while (g->phase >= PH_WARMUP && g->phase <= PH_DRAIN && now >= g->next_sec)
		progress(g, now);
}

static void timers(struct nxg_gen *g, uint64_t now)
{
	uint64_t ka = (uint64_t)g->o->keepalive_ms * 1000000u;
	uint64_t rt_to = (uint64_t)g->o->timeout_ms * 1000000u;
	g->next_timer = now + TIMER_NS;
	for (uint32_t i = 0; i < g->nsess; i++) {
		struct nxg_sess *s = &g->sess[i];
		if (s->state != NXG_S_UP)
			continue;
		expire(g, s, now);
		if (s->c.gap_count && (s->rt_pending ? now - s->rt_sent > rt_to : now >= s->rt_retry_at))
			send_session_msg(g, s, NX_NXP_RETRANSMIT_REQUEST, now);
		if (ka && now - s->last_tx >= ka)
			send_session_msg(g, s, NX_NXP_SEQUENCE, now);
	}
	close_rows(g, now);
}

/* --- Phases ------------------------------------------------------------------------- */

static int wait_state(struct nxg_gen *g, uint8_t from, int what, const char *name)
{
	uint64_t now = nxg_now(&g->clk), deadline = now + (uint64_t)(g->o->timeout_ms < 2000 ? 2000 :
				g->o->timeout_ms) * 1000000u, resend = now;
	for (;;) {
		uint32_t left = 0;
		for (uint32_t i = 0; i < g->nsess; i++) {
			struct nxg_sess *s = &g->sess[i];
			if (s->state == NXG_S_DOWN) {
				fprintf(stderr, "nxgen: session %u (account %" PRIu32 ", port %u): %s refused: "
					"%s (%s)\n", i, s->c.acct, s->port, name,
					nx_reject_name(g->refused_code), nx_reject_text(g->refused_code));
				return -1;
			}
			if (s->state != from)
				continue;
			left++;
			if (now >= resend)
				send_session_msg(g, s, what, now);
		}
		if (!left)
			return 0;
		if (now >= resend)
			resend = now + LOGIN_RESEND_NS;
		if (now >= deadline) {
			fprintf(stderr, "nxgen: %u of %u sessions got no answer to %s from the venue %s "
				"(is it running? right address, port, key?)\n", left, g->nsess, name,
				g->r->venue);
			return -1;
		}
		pump(g, 1000000);
		now = nxg_now(&g->clk);
	}
}

static int login(struct nxg_gen *g)
{
	uint64_t wall = nxg_wall_ns();
	for (uint32_t i = 0; i < g->nsess; i++) {
		g->sess[i].state = NXG_S_NEGOTIATING;
		g->sess[i].c.last_ts = wall + i; /* kept for the resends */
	}
	if (wait_state(g, NXG_S_NEGOTIATING, NX_NXP_NEGOTIATE, "Negotiate"))
		return -1;
	wall = nxg_wall_ns();
	for (uint32_t i = 0; i < g->nsess; i++)
		g->sess[i].c.last_ts = wall + i;
	return wait_state(g, NXG_S_ESTABLISHING, NX_NXP_ESTABLISH, "Establish");
}

/* Advance the open-loop schedule by one gap: constant, or exponential with
 * the same mean (-ln U, U in (0, 1]). The schedule is t0 + a sum in double,
 * rounded down only here, so it does not run fast by a truncation a gap. */
static void next_slot(struct nxg_gen *g)
{
	double gap = g->mean_gap_ns;
	if (g->o->arrival != NXG_CONST) {
		double u = ((double)(nxg_rand(&g->rng) >> 11) + 1.0) / 9007199254740992.0;
		gap *= -log(u);
	}
	g->sched_ns += gap;
	g->next_send = (uint64_t)(g->t0_send + g->sched_ns);
}

static int measured_now(struct nxg_gen *g, uint64_t t_int)
{
	if (t_int < g->t_meas)
		return 0;
	if (g->o->count)
		return g->m_total < g->o->count;
	return t_int < g->t_end;
}

/* Is sending over? (duration reached, count reached, or stopped) */
static int load_done(struct nxg_gen *g, uint64_t t_int, volatile int *stop)
{
	if (*stop)
		return 1;
	if (t_int < g->t_meas)
		return 0;
	return g->o->count ? g->m_total >= g->o->count : t_int >= g->t_end;
}

static void load(struct nxg_gen *g, volatile int *stop)
{
	uint64_t now = nxg_now(&g->clk);
	g->t_meas = now + (uint64_t)(g->o->warmup_s * 1e9);
	g->t_end = g->t_meas + (uint64_t)(g->o->duration_s * 1e9);
	g->next_send = now;
	g->t0_send = (double)now;
	g->sched_ns = 0;
	g->next_sec = now + 1000000000u;
	g->phase = g->t_meas > now ? PH_WARMUP : PH_MEASURE;
	if (g->o->mode == NXG_OPEN)
		g->mean_gap_ns = 1e9 / g->o->rate;
	for (uint32_t i = 0; i < g->nsess; i++)
		g->sess[i].last_done = now; /* closed loop: the first request is due now */
	for (;;) {
		uint32_t up = 0;
		int full = 0; /* open loop: a request is due and every window is full */
		now = nxg_now(&g->clk);
		if (*stop)
			return;
		for (uint32_t i = 0; i < g->nsess; i++)
			up += g->sess[i].state == NXG_S_UP;
		if (!up) { /* the venue ended every session: nothing can be sent */
			g->r->n.all_down = 1;
			return;
		}
		if (g->phase == PH_WARMUP && now >= g->t_meas) {
			g->phase = PH_MEASURE;
			g->sec_no = 0;
			g->next_sec = g->t_meas + 1000000000u;
			memset(&g->cur, 0, sizeof(g->cur));
			nx_hist_reset(g->sec_h);
		}
		close_rows(g, now);
		if (g->o->mode == NXG_OPEN) {
			while (g->next_send <= now) {
				if (load_done(g, g->next_send, stop))
					return;
				struct nxg_sess *s = NULL;
				for (uint32_t k = 0; k < g->nsess; k++) {
					struct nxg_sess *c = &g->sess[(g->rr + k) % g->nsess];
					if (c->state == NXG_S_UP && slot_free(&c->req[c->next_cl & g->mask])) {
						s = c;
						g->rr += k + 1;
						break;
					}
				}
				if (!s) {
					if (g->stalled != g->next_send)
						g->r->n.window_full++;
					g->stalled = g->next_send;
					full = 1;
					break; /* retried next loop; its latency counts from its slot */
				}
				send_request(g, s, g->next_send, now, measured_now(g, g->next_send), -1, 0);
				next_slot(g);
			}
		} else {
			for (uint32_t i = 0; i < g->nsess; i++) {
				struct nxg_sess *s = &g->sess[i];
				if (s->state != NXG_S_UP || s->inflight)
					continue;
				/* due when the previous one was answered or lost: the
				 * generator's own delay since counts in its latency */
				uint64_t t_int = s->last_done;
				if (load_done(g, t_int, stop))
					return;
				send_request(g, s, t_int, now, measured_now(g, t_int), -1, 0);
			}
		}
		if (now >= g->next_timer)
			timers(g, now);
		uint64_t wait = 0;
		if (!g->o->busy) {
			/* Nothing to do before the next send, or, with every window
			 * full, before an answer frees a slot (the poll returns as
			 * soon as one arrives) or the next tick expires one: wait in
			 * the poll. The overdue send used to make this 0, and the
			 * loop spun on empty polls for as long as the venue was
			 * behind. --idle busy never waits (DPDK never sleeps). */
			uint64_t due = g->o->mode == NXG_OPEN && !full ? g->next_send : g->next_timer;
			wait = due > now ? due - now : 0;
			if (wait > TIMER_NS)
				wait = TIMER_NS;
		}
		pump(g, wait);
	}
}

static uint32_t inflight(const struct nxg_gen *g)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < g->nsess; i++)
		if (g->sess[i].state == NXG_S_UP)
			n += g->sess[i].inflight;
	return n;
}

/* Until nothing is in flight (or what is left has timed out). */
static void drain(struct nxg_gen *g, uint64_t max_ns)
{
	uint64_t end = nxg_now(&g->clk) + max_ns;
	for (;;) {
		uint64_t now = nxg_now(&g->clk);
		if (now >= g->next_timer)
			timers(g, now);
		if (!inflight(g) || now >= end)
			return;
		pump(g, g->o->busy ? 0 : 100000);
	}
}

static void cleanup(struct nxg_gen *g)
{
	uint64_t now = nxg_now(&g->clk);
	g->phase = PH_CLEANUP;
	for (uint32_t i = 0; i < g->nsess; i++) {
		struct nxg_sess *s = &g->sess[i];
		if (s->state != NXG_S_UP || !s->nlive)
			continue;
		for (uint32_t k = 0; k < s->ninsts; k++)
			if (slot_free(&s->req[s->next_cl & g->mask]))
				send_request(g, s, now, now, 0, NXG_MASS, g->inst[s->insts[k]].id);
	}
	drain(g, (uint64_t)g->o->timeout_ms * 1000000u);
	now = nxg_now(&g->clk);
	for (uint32_t i = 0; i < g->nsess; i++) {
		struct nxg_sess *s = &g->sess[i];
		if (s->state == NXG_S_UP) {
			s->state = NXG_S_CLOSING;
			send_session_msg(g, s, NX_NXP_TERMINATE, now);
		}
	}
	uint64_t end = now + CLOSE_WAIT_NS;
	for (;;) {
		uint32_t open = 0;
		for (uint32_t i = 0; i < g->nsess; i++)
			open += g->sess[i].state == NXG_S_CLOSING;
		if (!open || nxg_now(&g->clk) >= end)
			break;
		pump(g, 1000000);
	}
	flush(g);
}

/* --- Set-up ----------------------------------------------------------------------- */

static int setup(struct nxg_gen *g, const struct nx_venue_config *cfg, char *err, size_t errlen)
{
	const struct nxg_opts *o = g->o;
	uint32_t used[NX_NET_MAX_SHARDS + 1], nused = 0;
	int has_net = cfg->net.nshards > 0;

	g->rt_max = cfg->history && cfg->history < RT_MAX ? cfg->history : RT_MAX;
	g->rt_rate = cfg->retransmit_rate;
	for (uint32_t i = 0; i < cfg->ninstruments && g->ninst < NXG_MAX_INSTS; i++) {
		const struct nx_instrument *in = &cfg->instruments[i];
		int want = !o->ninsts;
		for (uint32_t k = 0; k < o->ninsts; k++)
			want |= o->insts[k] == in->id;
		if (!want || (!o->ninsts && !in->ref_px))
			continue;
		if (!in->ref_px) {
			snprintf(err, errlen, "instrument %" PRIu32 " has no ref_px in %s: nxgen sets prices "
				 "around it", in->id, cfg->path);
			return -1;
		}
		int sh = has_net ? nx_config_shard_of(cfg, in->id) : 0;
		if (sh < 0)
			continue;
		g->inst[g->ninst++] = (struct nxg_inst){ .id = in->id, .ref = in->ref_px, .tick = in->tick,
			.qty = in->min_qty > in->lot ? in->min_qty : in->lot, .band = in->band_ticks,
			.max_qty = in->max_qty, .lot = in->lot, .shard = (uint32_t)sh };
		uint32_t k = 0;
		while (k < nused && used[k] != (uint32_t)sh)
			k++;
		if (k == nused)
			used[nused++] = (uint32_t)sh;
	}
	if (!g->ninst) {
		snprintf(err, errlen, "no instrument to trade (none selected has a reference price%s)",
			 has_net ? " and a shard" : "");
		return -1;
	}
	nx_acct_t accts[NXG_MAX_ACCTS];
	uint32_t nacct = 0;
	if (o->naccts) {
		memcpy(accts, o->accts, o->naccts * sizeof(accts[0]));
		nacct = o->naccts;
	} else {
		for (uint32_t i = 0; i < cfg->naccounts && nacct < NXG_MAX_ACCTS; i++)
			if (!cfg->accounts[i].admin)
				accts[nacct++] = cfg->accounts[i].id;
	}
	if (!nacct) {
		snprintf(err, errlen, "no account to trade with (give --accounts)");
		return -1;
	}
	g->nsess = o->sessions ? o->sessions : nacct * nused;
	if (g->nsess > NXG_MAX_SESSIONS) {
		snprintf(err, errlen, "%u sessions: at most %d", g->nsess, NXG_MAX_SESSIONS);
		return -1;
	}
	g->sess = calloc(g->nsess, sizeof(*g->sess));
	if (!g->sess)
		return snprintf(err, errlen, "out of memory"), -1;
	uint64_t sid = nxg_wall_ns();
	for (uint32_t i = 0; i < g->nsess; i++) {
		struct nxg_sess *s = &g->sess[i];
		nx_acct_t a = accts[i % nacct];
		const struct nx_account_config *ac = nx_config_account(cfg, a);
		if (!ac) {
			snprintf(err, errlen, "account %" PRIu32 " is not in %s", a, cfg->path);
			return -1;
		}
		s->idx = i;
		s->shard = used[(i / nacct) % nused];
		s->port = has_net ? cfg->net.shards[s->shard].udp_port : o->venue_port;
		for (uint32_t k = 0; k < g->ninst; k++)
			if (g->inst[k].shard == s->shard)
				s->insts[s->ninsts++] = k;
		nx_client_init(&s->c, sid + i, a, ac->key);
		/* clOrdIds are unique per account, and accounts have several
		 * sessions: the session's index in the high bits. */
		s->next_cl = s->tail = ((uint64_t)(i + 1) << 40) + 1;
		if (!(s->req = calloc(o->window, sizeof(*s->req))) ||
		    !(s->lost = calloc(NXG_LOST_SPAN / 64, sizeof(*s->lost))))
			return snprintf(err, errlen, "out of memory"), -1;
	}
	uint32_t sum = 0;
	for (int k = 0; k < NXG_NKINDS; k++)
		g->cum[k] = sum += o->mix[k];
	g->mask = o->window - 1;
	g->rng.s = o->seed;
	return 0;
}

void nxg_result_free(struct nxg_result *r)
{
	for (int k = 0; k <= NXG_NKINDS; k++)
		nx_hist_destroy(r->h[k]);
	nx_hist_destroy(r->lag);
	free(r->ts);
	memset(r, 0, sizeof(*r));
}

int nxg_run(const struct nxg_opts *o, const struct nx_venue_config *cfg, struct nxg_result *r,
	    volatile int *stop)
{
	struct nxg_gen *g = calloc(1, sizeof(*g));
	char err[512] = "";
	int rc = 1;
	memset(r, 0, sizeof(*r));
	r->o = *o;
	if (!g)
		return 1;
	g->o = &r->o;
	g->r = r;
	g->ops = o->io == NXG_IO_DPDK ? &nxg_io_dpdk : &nxg_io_sock;
	for (int k = 0; k <= NXG_NKINDS; k++)
		if (!(r->h[k] = nx_hist_create(NXG_HIST_HIGHEST, NX_HIST_DIGITS_DEFAULT)))
			goto out;
	/* One row a second of the window, the drain and some backlog; by
	 * --count at --rate, count / rate seconds; more are added as needed. */
	double rows = o->count && o->mode == NXG_OPEN ? (double)o->count / o->rate : o->duration_s;
	r->cap_ts = (uint32_t)((rows < 86400 ? rows : 86400) + o->timeout_ms / 1000 + 64);
	if (!(r->lag = nx_hist_create(NXG_HIST_HIGHEST, NX_HIST_DIGITS_DEFAULT)) ||
	    !(g->sec_h = nx_hist_create(NXG_HIST_HIGHEST, NX_HIST_DIGITS_DEFAULT)) ||
	    !(r->ts = calloc(r->cap_ts, sizeof(*r->ts))))
		goto out;
	nxg_clock_init(&g->clk, o->clock, o->test_now_ns);
	snprintf(r->clock_what, sizeof(r->clock_what), "%s", g->clk.what);
	if (setup(g, cfg, err, sizeof(err)))
		goto fail;
	char ip[64];
	uint32_t vip = cfg->net.nports ? cfg->net.ports[0].ipv4 : 0;
	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", vip >> 24, vip >> 16 & 255, vip >> 8 & 255, vip & 255);
	const char *host = o->host[0] ? o->host : vip ? ip : "127.0.0.1";
	unsigned b0, b1, b2, b3;
	if (sscanf(host, "%u.%u.%u.%u", &b0, &b1, &b2, &b3) != 4 || (b0 | b1 | b2 | b3) > 255) {
		snprintf(err, sizeof(err), "venue address %s is not an IPv4 address", host);
		goto fail;
	}
	uint32_t hip = b0 << 24 | b1 << 16 | b2 << 8 | b3;
	int len = snprintf(r->venue, sizeof(r->venue), "%s port", host);
	for (uint32_t i = 0; i < g->nsess && len < (int)sizeof(r->venue) - 8; i++)
		if (!i || g->sess[i].port != g->sess[i - 1].port)
			len += snprintf(r->venue + len, sizeof(r->venue) - (size_t)len, "%s%u", i ? "," : " ",
					g->sess[i].port);
	if (!(g->io = g->ops->open(&r->o, &g->clk, err, sizeof(err))))
		goto fail;
	for (uint32_t i = 0; i < g->nsess; i++)
		if (g->ops->session(g->io, i, hip, g->sess[i].port, err, sizeof(err)) < 0)
			goto fail;
	r->nsess = g->nsess;
	g->phase = PH_LOGIN;
	if (login(g))
		goto out;
	load(g, stop);
	flush(g);
	g->phase = PH_DRAIN;
	drain(g, (uint64_t)o->timeout_ms * 1000000u + 2 * TIMER_NS);
	/* The drain's last second, also when all it saw was losses (the
	 * timeseries sums to the summary). */
	if (g->cur.sent || g->cur.answered || g->cur.lost)
		progress(g, nxg_now(&g->clk));
	/* The measured span, from what happened: to the last measured send (a
	 * backlog sent after the window lengthens it, so an open loop that
	 * falls behind shows it), plus one gap in an open loop counted by
	 * requests; to the last answer in a closed loop counted by requests;
	 * never less than the window asked for, unless stopped. */
	uint64_t last = g->last_meas_sent;
	if (o->count && o->mode != NXG_OPEN)
		last = g->last_meas_done > last ? g->last_meas_done : last;
	double span = last > g->t_meas ? (double)(last - g->t_meas) / 1e9 : 0;
	if (o->count)
		r->secs = span + (o->mode == NXG_OPEN ? 1.0 / o->rate : 0);
	else
		r->secs = *stop || r->n.all_down || span > o->duration_s ? span : o->duration_s;
	uint64_t ms = 0;
	for (int k = 0; k < NXG_NKINDS; k++)
		ms += r->n.m_sent[k];
	r->achieved_rate = r->secs > 0 ? (double)ms / r->secs : 0;
	cleanup(g);
	r->ok = 1;
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "nxgen: %s\n", err);
out:
	if (g->io) {
		FILE *f = fmemopen(r->io_facts, sizeof(r->io_facts) - 1, "w");
		if (f) {
			g->ops->facts(g->io, f);
			fclose(f);
		}
		g->ops->close(g->io);
	}
	if (g->sess)
		for (uint32_t i = 0; i < g->nsess; i++) {
			r->n.expired += g->sess[i].c.expired;
			free(g->sess[i].req);
			free(g->sess[i].lost);
		}
	free(g->sess);
	nx_hist_destroy(g->sec_h);
	free(g);
	return rc;
}

void nxg_opts_default(struct nxg_opts *o)
{
	static const uint32_t mix[NXG_NKINDS] = { 40, 30, 10, 10, 5, 5 };
	memset(o, 0, sizeof(*o));
	o->io = NXG_IO_SOCK;
	o->mode = NXG_CLOSED;
	o->arrival = NXG_POISSON;
	o->clock = NXG_CLOCK_TSC;
	o->busy = 1;
	o->venue_port = 9100;
	o->warmup_s = 1;
	o->duration_s = 10;
	o->timeout_ms = 1000;
	memcpy(o->mix, mix, sizeof(mix));
	o->levels = 10;
	o->max_live = 32;
	o->window = 1024;
	o->keepalive_ms = 1000;
	o->cpu = -1;
	o->seed = 1;
	o->src_port = 40000;
}
