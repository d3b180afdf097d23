/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxclient --load: the round-trip latency baseline. One session, closed
 * loop: send one request, wait for the datagram that answers it, repeat. The
 * requests alternate a post-only NewOrder that rests away from the market
 * and the CancelOrder of it, so the book stays one order deep however long
 * the run. Each round trip is timed with CLOCK_MONOTONIC from just before
 * send() to just after the answering recv(); the first --warmup ones are
 * not kept. The result is one greppable `rtt ...` line plus a readable
 * summary on stdout; the login and anything unexpected go to stderr.
 *
 * What it measures: client kernel UDP stack + loopback or wire + the venue,
 * both ways, for one outstanding request. Not throughput under load: for
 * that, the load generator keeps many requests in flight.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nx/book.h"
#include "nx/reason.h"
#include "nxclient.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[n], p in parts per 100000. */
static double pct_us(const uint64_t *v, uint64_t n, uint64_t p)
{
	uint64_t rank = (p * n + 99999u) / 100000u;
	return (double)v[rank ? rank - 1 : 0] / 1000.0;
}

/* Price and quantity of the resting order: from the instrument's definition
 * unless given: 10 ticks behind the reference price, the minimum quantity. */
static int pick_order(struct nxc *x, struct nxc_session *s, const struct nxc_load *o,
		      int64_t *px, int64_t *qty)
{
	struct nx_client_msg m = { .template_id = NX_NXP_INSTRUMENT_DEFINITION_REQUEST };
	*px = o->px;
	*qty = o->qty;
	if (*px && *qty)
		return 0;
	m.u.instrument_definition_request.req_id = s->next_req++;
	m.u.instrument_definition_request.instrument = o->inst;
	struct nxc_want w = { .s = s, .kind = NXC_W_INSTR,
			      .id = m.u.instrument_definition_request.req_id };
	if (nxc_send_msg(x, s, &m) || !nxc_run(x, &w, x->timeout_ms) ||
	    w.answer.template_id != NX_NXP_INSTRUMENT_DEFINITION) {
		fprintf(stderr, "nxclient: no definition of instrument %" PRIu32 "\n", o->inst);
		return -1;
	}
	const struct nx_nxp_instrument_definition *d = &w.answer.u.instrument_definition;
	if (!*px) {
		if (!d->ref_px) {
			fprintf(stderr, "nxclient: instrument %" PRIu32 " has no reference price: "
				"give --px\n", o->inst);
			return -1;
		}
		*px = d->ref_px + (o->side == NX_SIDE_BUY ? -10 : 10) * d->tick;
	}
	if (!*qty)
		*qty = d->min_qty > d->lot ? d->min_qty : d->lot;
	return 0;
}

/* Wait for the datagram answering w; returns 1 with *t1 set, 0 on timeout. */
static int await(struct nxc *x, struct nxc_session *s, struct nxc_want *w, int busy,
		 uint64_t *t1, uint64_t *rejects, uint64_t *by_reason)
{
	struct nx_client_msg msgs[NXC_DGRAM_MSGS];
	uint64_t deadline = nxc_now_ns() + (uint64_t)x->timeout_ms * 1000000u;
	for (;;) {
		ssize_t n = recv(s->fd, x->rxbuf, NXC_RXBUF, MSG_DONTWAIT);
		if (n < 0) {
			uint64_t now = nxc_now_ns();
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return 0;
			if (now >= deadline)
				return 0;
			if (!busy) {
				struct pollfd p = { .fd = s->fd, .events = POLLIN };
				poll(&p, 1, (int)((deadline - now + 999999u) / 1000000u));
			}
			continue;
		}
		*t1 = nxc_now_ns();
		int k = nx_client_read(&s->c, x->rxbuf, (size_t)n, msgs, NXC_DGRAM_MSGS);
		for (int i = 0; i < k; i++) {
			const struct nx_client_msg *m = &msgs[i];
			unsigned why = 0;
			if (m->template_id == NX_NXP_EXEC_REJECTED)
				why = m->u.exec_rejected.reason;
			else if (m->template_id == NX_NXP_CANCEL_REJECT)
				why = m->u.cancel_reject.reason;
			else if (m->template_id == NX_NXP_BUSINESS_REJECT)
				why = m->u.business_reject.reason;
			if (why) {
				(*rejects)++;
				by_reason[why & 0xff]++;
			}
			if (nxc_answers(w, m))
				w->done = 1;
		}
		if (w->done)
			return 1;
	}
}

int nxc_load_run(struct nxc *x, const struct nxc_load *o)
{
	uint64_t *rtt = NULL, by_reason[256] = { 0 }, rejects = 0, lost = 0, kept = 0;
	uint64_t total = o->warmup + o->count, t_start = 0, order_cl = 0, elapsed = 0;
	uint8_t key[NX_KEY_BYTES], buf[NX_NXP_DGRAM_MAX];
	struct nx_client_msg rej;
	struct nxc_session *s;
	int64_t px, qty;
	char err[256];
	int rc = 1;

	if (nxc_key(x, o->acct, o->key_hex, key, err, sizeof(err))) {
		fprintf(stderr, "nxclient: %s\n", err);
		return 2;
	}
	if (!(s = nxc_open(x, "load", x->host, x->port, err, sizeof(err)))) {
		fprintf(stderr, "nxclient: %s\n", err);
		return 1;
	}
	nx_client_init(&s->c, nxc_wall_ns(), o->acct, key);
	s->keepalive_ms = 1000;
	if ((rc = nxc_login(x, s, &rej))) {
		fprintf(stderr, "nxclient: login of account %" PRIu32 " %s\n", o->acct,
			rc < 0 ? "not answered" : "refused");
		return 1;
	}
	rc = 1;
	if (pick_order(x, s, o, &px, &qty))
		goto out;
	if (!(rtt = malloc((o->count ? o->count : 1) * sizeof(*rtt)))) {
		fprintf(stderr, "nxclient: no memory for %" PRIu64 " round-trip times\n", o->count);
		goto out;
	}

	/* An even number of requests: the last order is canceled (untimed when
	 * past the count), so the run leaves nothing in the book. */
	for (uint64_t i = 0; i < total + (total & 1); i++) {
		struct nx_nxp_writer w;
		struct nxc_want want = { .s = s };
		nx_client_begin(&s->c, &w, buf, sizeof(buf));
		want.seq = s->c.next_seq;
		want.id = s->next_cl++;
		if (!(i & 1)) {
			struct nx_nxp_new_order no = { .cl_ord_id = want.id, .price = px, .qty = qty,
				.account = o->acct, .instrument = o->inst, .side = o->side,
				.ord_type = NX_ORD_LIMIT, .time_in_force = NX_TIF_GTC, .post_only = 1 };
			order_cl = want.id;
			want.kind = NXC_W_NEW;
			nx_client_new_order(&s->c, &w, &no);
		} else {
			struct nx_nxp_cancel_order co = { .cl_ord_id = want.id, .orig_cl_ord_id = order_cl,
							  .account = o->acct };
			want.kind = NXC_W_CANCEL;
			nx_client_cancel(&s->c, &w, &co);
		}
		if (i == o->warmup)
			t_start = nxc_now_ns();
		uint64_t t0 = nxc_now_ns(), t1 = 0;
		if (nxc_send(x, s, w.buf, w.len)) {
			fprintf(stderr, "nxclient: send: %s\n", strerror(errno));
			goto out;
		}
		if (!await(x, s, &want, o->busy, &t1, &rejects, by_reason))
			lost++;
		else if (i >= o->warmup && i < total)
			rtt[kept++] = t1 - t0;
		if (i + 1 == total)
			elapsed = nxc_now_ns() - t_start;
	}

	if (!kept) {
		fprintf(stderr, "nxclient: no answers (%" PRIu64 " lost)\n", lost);
		goto out;
	}
	qsort(rtt, kept, sizeof(*rtt), cmp_u64);
	double sum = 0, secs = (double)elapsed / 1e9;
	for (uint64_t i = 0; i < kept; i++)
		sum += (double)rtt[i];
	double min = (double)rtt[0] / 1000.0, max = (double)rtt[kept - 1] / 1000.0;
	double p50 = pct_us(rtt, kept, 50000), p90 = pct_us(rtt, kept, 90000);
	double p99 = pct_us(rtt, kept, 99000), p999 = pct_us(rtt, kept, 99900);
	double rate = secs > 0 ? (double)kept / secs : 0;

	fflush(stderr); /* the login transcript first */
	printf("nxclient load: %" PRIu64 " round trips (NewOrder post-only %" PRId64 " @ %" PRId64
	       " / CancelOrder, instrument %" PRIu32 ") after %" PRIu64 " warm-up, %" PRIu64
	       " lost, %" PRIu64 " rejected\n",
	       kept, qty, px, o->inst, o->warmup, lost, rejects);
	printf("  %.3f s, %.0f round trips/s; RTT us: min %.2f  p50 %.2f  p90 %.2f  p99 %.2f  "
	       "p99.9 %.2f  max %.2f  mean %.2f\n",
	       secs, rate, min, p50, p90, p99, p999, max, sum / (double)kept / 1000.0);
	printf("rtt target=%s:%u mode=%s count=%" PRIu64 " warmup=%" PRIu64 " lost=%" PRIu64
	       " rejects=%" PRIu64 " secs=%.3f per_s=%.0f min_us=%.3f p50_us=%.3f p90_us=%.3f"
	       " p99_us=%.3f p999_us=%.3f max_us=%.3f mean_us=%.3f\n",
	       x->host, x->port, o->busy ? "busy" : "poll", kept, o->warmup, lost, rejects, secs,
	       rate, min, p50, p90, p99, p999, max, sum / (double)kept / 1000.0);
	fflush(stdout);
	if (rejects) {
		unsigned top = 0;
		for (unsigned r = 1; r < 256; r++)
			if (by_reason[r] > by_reason[top])
				top = r;
		fprintf(stderr, "nxclient: %" PRIu64 " rejects, mostly %s (%s)%s\n", rejects,
			nx_reject_name(top), nx_reject_text(top),
			top == NX_REJ_RISK_THROTTLED ? ": raise the account's msg_rate / msg_burst" : "");
	}
	rc = 0;
out:
	free(rtt);
	if (nxc_script_finish(x))
		rc = 1;
	return rc;
}
