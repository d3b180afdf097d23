/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The client side of an NXP session (include/nx/client.h): what a client
 * sends, and the bookkeeping of what it receives. Transport-free.
 */
#include <string.h>

#include "nx/client.h"

void nx_client_init(struct nx_client *c, uint64_t session_id, nx_acct_t acct,
		    const uint8_t key[NX_KEY_BYTES])
{
	memset(c, 0, sizeof(*c));
	c->session_id = session_id;
	c->acct = acct;
	memcpy(c->key, key, NX_KEY_BYTES);
	c->next_seq = 1;
	c->expect_seq = 1;
}

size_t nx_client_negotiate(struct nx_client *c, void *buf, size_t cap, uint64_t ts)
{
	struct nx_nxp_writer w;
	struct nx_nxp_negotiate n = { .session_id = c->session_id, .timestamp = ts,
				      .account = c->acct, .client_flow = NX_NXP_FLOW_IDEMPOTENT };
	memcpy(n.secret_key, c->key, NX_KEY_BYTES);
	c->last_ts = ts;
	nx_nxp_writer_init(&w, buf, cap);
	return nx_nxp_encode_negotiate(&w, &n);
}

size_t nx_client_establish(struct nx_client *c, void *buf, size_t cap, uint64_t ts,
			   uint32_t keepalive_ms)
{
	struct nx_nxp_writer w;
	struct nx_nxp_establish e = { .session_id = c->session_id, .timestamp = ts,
				      .next_seq_no = c->next_seq, .keepalive_ms = keepalive_ms,
				      .account = c->acct };
	memcpy(e.secret_key, c->key, NX_KEY_BYTES);
	c->last_ts = ts;
	nx_nxp_writer_init(&w, buf, cap);
	return nx_nxp_encode_establish(&w, &e);
}

size_t nx_client_retransmit_request(struct nx_client *c, void *buf, size_t cap, uint64_t ts,
				    uint64_t from, uint32_t count)
{
	struct nx_nxp_writer w;
	struct nx_nxp_retransmit_request r = { .session_id = c->session_id, .timestamp = ts,
					       .from_seq_no = from, .count = count };
	nx_nxp_writer_init(&w, buf, cap);
	size_t n = nx_nxp_encode_retransmit_request(&w, &r);
	if (n) {
		c->rt_next = from;
		c->rt_end = count ? from + count : 0;
	}
	return n;
}

size_t nx_client_terminate(struct nx_client *c, void *buf, size_t cap, uint16_t code)
{
	struct nx_nxp_writer w;
	struct nx_nxp_terminate t = { .session_id = c->session_id, .code = code };
	nx_nxp_writer_init(&w, buf, cap);
	return nx_nxp_encode_terminate(&w, &t);
}

size_t nx_client_finished_sending(struct nx_client *c, void *buf, size_t cap)
{
	struct nx_nxp_writer w;
	struct nx_nxp_finished_sending f = { .session_id = c->session_id,
					     .last_seq_no = c->next_seq - 1 };
	nx_nxp_writer_init(&w, buf, cap);
	return nx_nxp_encode_finished_sending(&w, &f);
}

size_t nx_client_finished_receiving(struct nx_client *c, void *buf, size_t cap)
{
	struct nx_nxp_writer w;
	struct nx_nxp_finished_receiving f = { .session_id = c->session_id };
	nx_nxp_writer_init(&w, buf, cap);
	return nx_nxp_encode_finished_receiving(&w, &f);
}

size_t nx_client_heartbeat(struct nx_client *c, void *buf, size_t cap)
{
	struct nx_nxp_writer w;
	struct nx_nxp_sequence s = { .next_seq_no = c->next_seq };
	nx_nxp_writer_init(&w, buf, cap);
	return nx_nxp_encode_sequence(&w, &s);
}

size_t nx_client_begin(struct nx_client *c, struct nx_nxp_writer *w, void *buf, size_t cap)
{
	struct nx_nxp_sequence s = { .next_seq_no = c->next_seq };
	nx_nxp_writer_init(w, buf, cap);
	return nx_nxp_encode_sequence(w, &s);
}

void nx_client_count(struct nx_client *c)
{
	c->next_seq++;
}

#define APP(fn, kind, type)                                                           \
	size_t fn(struct nx_client *c, struct nx_nxp_writer *w, const type *o)         \
	{                                                                              \
		size_t n = nx_nxp_encode_##kind(w, o);                                 \
		c->next_seq += n != 0;                                                 \
		return n;                                                              \
	}

APP(nx_client_new_order, new_order, struct nx_nxp_new_order)
APP(nx_client_cancel, cancel_order, struct nx_nxp_cancel_order)
APP(nx_client_replace, cancel_replace, struct nx_nxp_cancel_replace)
APP(nx_client_mass_cancel, mass_cancel, struct nx_nxp_mass_cancel)
APP(nx_client_instrument_request, instrument_definition_request,
    struct nx_nxp_instrument_definition_request)
APP(nx_client_set_cancel_on_disconnect, set_cancel_on_disconnect,
    struct nx_nxp_set_cancel_on_disconnect)

static void decode(const struct nx_nxp_msg *m, struct nx_client_msg *out)
{
	out->template_id = m->template_id;
	switch (m->template_id) {
#define NX_CLIENT_D_(N, n, S, ID, LEN, FL) \
	case ID: nx_nxp_decode_##n(m, &out->u.n); break;
		NX_NXP_MESSAGES(NX_CLIENT_D_)
#undef NX_CLIENT_D_
	default:
		break;
	}
}

/* --- The gap span: numbers that arrived inside it --------------------------------- */

static uint64_t *arrived_word(struct nx_client *c, uint64_t n, uint64_t *bit)
{
	*bit = UINT64_C(1) << (n % 64);
	return &c->arrived[n / 64 % (NX_CLIENT_SPAN_BITS / 64)];
}

/* A live message numbered n arrived while a gap may be open. */
static void span_note(struct nx_client *c, uint64_t n)
{
	uint64_t bit;

	if (c->gap_count && n >= c->gap_from && n - c->gap_from < NX_CLIENT_SPAN_BITS)
		*arrived_word(c, n, &bit) |= bit;
}

/* Whether n is inside the open gap's span, where arrivals are noted. */
static int span_holds(const struct nx_client *c, uint64_t n)
{
	return c->gap_count && n >= c->gap_from && n - c->gap_from < c->gap_count &&
	       n - c->gap_from < NX_CLIENT_SPAN_BITS;
}

static int span_noted(struct nx_client *c, uint64_t n)
{
	uint64_t bit, *w = arrived_word(c, n, &bit);
	return (*w & bit) != 0;
}

/* The span's first number is filled (or given up): returns whether it had
 * arrived before. An emptied span forgets everything noted. */
static int span_take(struct nx_client *c)
{
	uint64_t bit, *w = arrived_word(c, c->gap_from, &bit);
	int had = (*w & bit) != 0;

	*w &= ~bit;
	c->gap_from++;
	if (!--c->gap_count) {
		c->gap_from = 0;
		memset(c->arrived, 0, sizeof(c->arrived));
	}
	return had;
}

/* A retransmission brought the span's front: take it, and the numbers
 * after it that had arrived. Returns whether the front had arrived. */
static int span_take_front(struct nx_client *c)
{
	int had = span_take(c);
	while (c->gap_count && span_noted(c, c->gap_from))
		span_take(c);
	return had;
}

/* Numbered message my arrived, live or retransmitted (retrans): where it
 * stands against expect_seq and the gap's span. Returns whether it is a
 * duplicate (arrived before, or below expect_seq and outside the span).
 * Shared by the messages read and those skipped unread, which have their
 * numbers as much. */
static int number_arrived(struct nx_client *c, uint64_t my, int retrans)
{
	int dup = 0;
	if (retrans && c->gap_count && my == c->gap_from) {
		dup = span_take_front(c); /* the span fills from its front */
	} else if (my < c->expect_seq) {
		/* Below expect_seq yet inside the gap's span and not seen: a late
		 * (reordered) datagram, or asked for from inside the span (its
		 * front left the venue's history), not a repeat. It is new; a
		 * later copy is the duplicate, and the span's front, once it
		 * has all arrived, needs no asking. */
		dup = !span_holds(c, my) || span_noted(c, my);
		if (!dup) {
			span_note(c, my);
			while (!retrans && c->gap_count && span_noted(c, c->gap_from))
				span_take(c);
		}
	} else {
		span_note(c, my);
	}
	if (my >= c->expect_seq)
		c->expect_seq = my + 1;
	return dup;
}

int nx_client_read(struct nx_client *cl, const void *data, size_t len, struct nx_client_msg *out,
		   unsigned cap)
{
	struct nx_client t = *cl, *c = &t; /* committed only when the datagram was readable */
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;
	uint64_t seq = 0;
	unsigned n = 0;
	int rc, retrans = 0;
	nx_nxp_reader_init(&r, data, len);
	/* At most cap messages are taken: the rest of the datagram is left
	 * unread, and its numbered messages come back as a gap (they were
	 * once numbered and passed over without a trace). */
	while (n < cap && (rc = nx_nxp_next(&r, &m)) != 0) {
		if (rc < 0 && nx_nxp_err_fatal(rc))
			return -1; /* cl untouched: the datagram is lost as a whole */
		/* A message numbered 2^64 - 1 has no successor to expect: the
		 * datagram cannot be followed (expect_seq would wrap to 0 and
		 * make every earlier number new again). */
		if (seq == UINT64_MAX && (rc < 0 ? !m.flags || (m.flags & NX_NXP_F_SEQ)
					     : (m.flags & NX_NXP_F_SEQ) != 0))
			return -1;
		if (rc < 0) {
			/* A message this reader cannot use (a newer template, a bad
			 * one): skipped, but in a sequenced datagram it had a
			 * number unless its template is known to be a session
			 * message (flags are set when the template is known). */
			c->skipped++;
			if (seq && (!m.flags || (m.flags & NX_NXP_F_SEQ)))
				number_arrived(c, seq++, retrans);
			continue;
		}
		if (m.template_id == NX_NXP_SEQUENCE || m.template_id == NX_NXP_RETRANSMISSION) {
			retrans = m.template_id == NX_NXP_RETRANSMISSION;
			seq = retrans ? nx_nxp_retransmission_next_seq_no(&m) : nx_nxp_sequence_next_seq_no(&m);
			if (!retrans && seq > c->expect_seq) {
				/* The gap is a span: from the first number missing to
				 * the last, with what arrived in between asked again. */
				if (!c->gap_count)
					c->gap_from = c->expect_seq;
				c->gap_count = seq - c->gap_from;
				c->expect_seq = seq;
			}
			if (retrans && c->rt_end && seq > c->rt_next && seq > c->expect_seq) {
				/* An answer that starts past where it stood, beyond
				 * anything received: an answer datagram was lost on
				 * the way, and the numbers it held (asked for, from
				 * rt_next on) are missing, as a Sequence's would be.
				 * Those below rt_next the caller chose not to ask. */
				if (!c->gap_count)
					c->gap_from = c->rt_next > c->expect_seq ? c->rt_next : c->expect_seq;
				c->gap_count = seq - c->gap_from;
				c->expect_seq = seq;
			}
			if (retrans && c->rt_end) {
				uint32_t count = nx_nxp_retransmission_count(&m);
				/* An empty Retransmission is the venue saying that
				 * nothing below seq is in its history any more (it keeps
				 * its last messages, so everything older went too): what
				 * of the gap is still missing below seq is gone. Only
				 * that says so: a Retransmission starting past where the
				 * answer stood may follow an answer datagram lost or
				 * reordered on the way, whose numbers stay in the gap,
				 * to be asked again. Those that arrived inside the span
				 * are not lost. */
				if (!count)
					while (c->gap_count && c->gap_from < seq)
						c->expired += !span_take(c);
				if (seq + count > c->rt_next)
					c->rt_next = seq + count;
				if (c->rt_next >= c->rt_end)
					c->rt_end = 0;
			}
			decode(&m, &out[n]);
			out[n].seq = 0;
			out[n].duplicate = 0;
			out[n++].retransmitted = (uint8_t)retrans;
			continue;
		}
		uint64_t my = 0;
		int dup = 0;
		if ((m.flags & NX_NXP_F_SEQ) && !seq) {
			c->skipped++; /* no Sequence before it: it cannot be numbered */
			continue;
		}
		if (m.flags & NX_NXP_F_SEQ) {
			my = seq++;
			dup = number_arrived(c, my, retrans);
			c->duplicates += (uint64_t)dup;
		}
		decode(&m, &out[n]);
		out[n].seq = my;
		out[n].duplicate = (uint8_t)dup;
		out[n++].retransmitted = (uint8_t)retrans;
	}
	*cl = t;
	return (int)n;
}

uint64_t nx_client_abandon_gap(struct nx_client *c)
{
	uint64_t missing = 0;
	while (c->gap_count)
		missing += !span_take(c);
	c->expired += missing;
	c->rt_end = 0;
	return missing;
}
