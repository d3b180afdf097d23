/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Output: numbering venue application messages, keeping them for
 * retransmission, and packing them into datagrams.
 *
 * An application message is encoded once, into its history slot; placing it
 * in a datagram is a copy of those bytes, and a retransmission copies the
 * very same bytes again. Messages for one session during one call share a
 * datagram that starts with Sequence(number of the first), until it is full.
 */
#include <string.h>

#include "engine_priv.h"

/* out is full: have the caller send it, if it can. Every session's open
 * datagram is gone with it, so the epoch moves on. */
NX_NOINLINE int out_spill(struct nx_engine *e)
{
	struct nx_out *o = e->out;
	if (o->spill) {
		o->spill(o, o->spill_arg);
		e->epoch++;
		if (o->n < o->cap) {
			e->st.out_spills++;
			return 1;
		}
	}
	e->st.out_overflow++;
	return 0;
}

NX_NOINLINE struct nx_out_dgram *out_dgram_full(struct nx_engine *e, const struct nx_addr *to)
{
	return out_spill(e) ? out_dgram_at(e, to) : NULL;
}

void out_writer(struct nx_out_dgram *d, struct nx_nxp_writer *w)
{
	nx_nxp_writer_init(w, d->data + d->len, sizeof(d->data) - d->len);
}

void out_done(struct nx_out_dgram *d, const struct nx_nxp_writer *w)
{
	d->len = (uint16_t)(d->len + w->len);
}

static struct nx_out_dgram *seq_dgram_full(struct nx_engine *e, struct session *s, uint64_t seq);

/* Start a datagram for s with Sequence(seq). A full out is left to
 * seq_dgram_full by a tail call: nothing to save on the way here. */
static struct nx_out_dgram *seq_dgram(struct nx_engine *e, struct session *s, uint64_t seq)
{
	if (NX_UNLIKELY(e->out->n >= e->out->cap))
		return seq_dgram_full(e, s, seq);
	struct nx_out_dgram *d = out_dgram_at(e, &s->addr);
	struct nx_nxp_writer w;
	struct nx_nxp_sequence sq = { .next_seq_no = seq };
	out_writer(d, &w);
	nx_nxp_encode_sequence(&w, &sq);
	out_done(d, &w);
	s->out_ix = e->out->n - 1; /* d's index, without dividing by its size */
	s->out_epoch = e->epoch;
	return d;
}

static NX_NOINLINE struct nx_out_dgram *seq_dgram_full(struct nx_engine *e, struct session *s,
							 uint64_t seq)
{
	return out_spill(e) ? seq_dgram(e, s, seq) : NULL;
}

uint8_t *out_app_place(struct nx_engine *e, struct session *s, size_t len)
{
	uint64_t seq = s->next_send++;
	s->hist_len[seq & e->hist_mask] = (uint8_t)len;
	/* The ring is larger than L2: start owning the next slot's lines now,
	 * so the session's next message does not wait for them. */
	const uint8_t *next = s->hist + (size_t)((seq + 1) & e->hist_mask) * HIST_SLOT;
	NX_PREFETCH_W(next);
	NX_PREFETCH_W(next + NX_CACHE_LINE);
	if (!s->bound)
		return NULL; /* kept: the client recovers it after establishing again */
	struct nx_out_dgram *d = NULL;
	if (s->out_epoch == e->epoch && s->out_ix < e->out->n) {
		d = &e->out->d[s->out_ix];
		if (d->len + len > sizeof(d->data) || !addr_eq(&d->to, &s->addr))
			d = NULL;
	}
	if (!d && !(d = seq_dgram(e, s, seq))) {
		/* Out is full: this message waits in the history. The open
		 * datagram, if any, must take nothing more, or a later, shorter
		 * message would follow the Sequence under this one's number. */
		s->out_ix = NIL;
		return NULL;
	}
	uint8_t *to = d->data + d->len;
	d->len = (uint16_t)(d->len + len);
	s->last_tx_ns = e->now;
	e->st.tx_msgs++;
	return to;
}

void out_app_copy(struct nx_engine *e, struct session *s, const uint8_t *msg, uint8_t len)
{
	uint8_t *slot = s->hist + (size_t)(s->next_send & e->hist_mask) * HIST_SLOT;
	memcpy(slot, msg, len);
	out_app_commit(e, s, slot, len);
}

void out_heartbeat(struct nx_engine *e, struct session *s)
{
	if (seq_dgram(e, s, s->next_send))
		s->last_tx_ns = e->now;
}

/* Retransmission(next, count) at the end of d. */
static void retransmission_hdr(struct nx_out_dgram *d, const struct session *s, uint64_t next,
			       uint32_t count)
{
	struct nx_nxp_writer w;
	struct nx_nxp_retransmission rt = { .session_id = s->id, .request_timestamp = s->rt_req_ts,
					    .next_seq_no = next, .count = count };
	out_writer(d, &w);
	nx_nxp_encode_retransmission(&w, &rt);
	out_done(d, &w);
}

/* Send what is left of the retransmission being served, as far as out has
 * room: datagrams of Retransmission(first, count) and the kept messages. */
void out_retransmit(struct nx_engine *e, struct session *s)
{
	/* A request may start below the history when it comes, or outlive
	 * part of it by now (the rest is served in later calls, and newer
	 * messages take the oldest slots): what was overwritten is not
	 * sent. An empty Retransmission naming the first number kept says so,
	 * at the front of the datagram that goes on from there (or alone when
	 * nothing is left): the client tells it from an answer datagram lost
	 * on the way, whose numbers it must ask for again. */
	uint64_t kept = out_first_kept(e, s);
	struct nx_out_dgram *d = NULL;
	if (s->rt_left && s->rt_from < kept) {
		/* No room (or no binding): the next call tries again. */
		if (!s->bound || !(d = out_dgram(e, &s->addr)))
			return;
		uint64_t gone = kept - s->rt_from;
		if (gone > s->rt_left)
			gone = s->rt_left;
		s->rt_from += gone;
		s->rt_left -= (uint32_t)gone;
		e->st.retransmit_expired += gone;
		retransmission_hdr(d, s, kept, 0); /* rt_from, or past the range: all below is gone */
		s->last_tx_ns = e->now;
	}
	while (s->rt_left && s->bound) {
		if (!d && !(d = out_dgram(e, &s->addr)))
			return;
		size_t room = sizeof(d->data) - d->len - NX_NXP_OVERHEAD - NX_NXP_RETRANSMISSION_BLOCK_LEN;
		size_t used = 0;
		uint32_t k = 0;
		while (k < s->rt_left) {
			uint8_t l = s->hist_len[(s->rt_from + k) & e->hist_mask];
			if (used + l > room)
				break;
			used += l;
			k++;
		}
		retransmission_hdr(d, s, s->rt_from, k);
		for (uint32_t i = 0; i < k; i++) {
			uint64_t seq = s->rt_from + i;
			uint8_t l = s->hist_len[seq & e->hist_mask];
			memcpy(d->data + d->len, s->hist + (size_t)(seq & e->hist_mask) * HIST_SLOT, l);
			d->len = (uint16_t)(d->len + l);
		}
		s->rt_from += k;
		s->rt_left -= k;
		e->st.retransmitted += k;
		s->last_tx_ns = e->now;
		d = NULL;
	}
}
