/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * MoldUDP64 of nx/moldudp.h: the receiver's state machine (validation,
 * sequencing, gap discovery), the request packet and the block writer.
 * Nothing here knows ITCH: blocks are opaque bytes.
 */
#include <errno.h>
#include <string.h>

#include "nx/moldudp.h"

#define NX_X_(name, code, text) +1
NX_STATIC_ASSERT(1 NX_MOLD_DROPS(NX_X_) == NX_MOLD_DROP_MAX, "NX_MOLD_DROP_MAX = reasons + 1");
#undef NX_X_

static void st_be64(uint8_t *p, uint64_t v)
{
	nx_itch_st_be64(p, v);
}

void nx_mold_hdr_write(uint8_t *out, const char session[10], uint64_t seq, uint16_t count)
{
	struct nx_mold_hdr *h = (void *)out;

	memcpy(h->session, session, NX_MOLD_SESSION_LEN);
	st_be64(h->seq, seq);
	nx_itch_st_be16(h->count, count);
}

int nx_mold_block_put(uint8_t *out, size_t cap, size_t *off, const void *msg, size_t len)
{
	if (len > 0xffff || *off > cap || cap - *off < NX_MOLD_BLOCK_PREFIX + len)
		return -ENOSPC;
	nx_itch_st_be16(out + *off, (uint16_t)len);
	if (len)
		memcpy(out + *off + NX_MOLD_BLOCK_PREFIX, msg, len);
	*off += NX_MOLD_BLOCK_PREFIX + len;
	return 0;
}

size_t nx_mold_request_build(uint8_t *out, size_t cap, const char session[10], uint64_t seq,
			     uint16_t count)
{
	if (cap < NX_MOLD_REQUEST_LEN)
		return 0;
	nx_mold_hdr_write(out, session, seq, count);
	return NX_MOLD_REQUEST_LEN;
}

int nx_mold_request_parse(const uint8_t *p, size_t len, char session[10], uint64_t *seq,
			  uint16_t *count)
{
	const struct nx_mold_hdr *h = (const void *)p;

	if (len != NX_MOLD_REQUEST_LEN)
		return -EINVAL;
	memcpy(session, h->session, NX_MOLD_SESSION_LEN);
	*seq = nx_itch_be64(h->seq);
	*count = nx_itch_be16(h->count);
	return 0;
}

void nx_mold_rx_init(struct nx_mold_rx *rx, const struct nx_mold_rx_config *cfg)
{
	memset(rx, 0, sizeof(*rx));
	if (cfg)
		rx->cfg = *cfg;
	if (rx->cfg.have_session) {
		memcpy(rx->session, rx->cfg.session, NX_MOLD_SESSION_LEN);
		rx->latched = 1;
	}
	rx->next = rx->cfg.next_seq;
	rx->high = rx->cfg.next_seq;
}

/* Check the blocks of a data packet: exactly count whole blocks, nothing
 * after. Returns 0 or a drop reason. */
static int check_blocks(const uint8_t *p, const uint8_t *end, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		size_t left = (size_t)(end - p), n;

		if (left < NX_MOLD_BLOCK_PREFIX)
			return NX_MOLD_DROP_TRUNCATED;
		n = nx_itch_be16(p);
		if (n > left - NX_MOLD_BLOCK_PREFIX)
			return NX_MOLD_DROP_TRUNCATED;
		p += NX_MOLD_BLOCK_PREFIX + n;
	}
	return p == end ? 0 : NX_MOLD_DROP_TRAILING;
}

/* Skip n blocks already known to be whole. */
static const uint8_t *skip_blocks(const uint8_t *p, uint64_t n)
{
	while (n--)
		p += NX_MOLD_BLOCK_PREFIX + nx_itch_be16(p);
	return p;
}

static int drop(struct nx_mold_rx *rx, int reason)
{
	rx->st.drops[-reason]++;
	return reason;
}

int nx_mold_rx_packet(struct nx_mold_rx *rx, const uint8_t *pkt, size_t len,
		      struct nx_mold_pkt *out)
{
	const struct nx_mold_hdr *h = (const void *)pkt;
	const uint8_t *end = pkt + len;
	uint64_t seq, ends, front;
	unsigned count, nmsg;
	int rc;

	if (NX_UNLIKELY(len < NX_MOLD_HDR_LEN))
		return drop(rx, NX_MOLD_DROP_SHORT);
	seq = nx_itch_be64(h->seq);
	count = nx_itch_be16(h->count);
	if (count == NX_MOLD_COUNT_HEARTBEAT || count == NX_MOLD_COUNT_END) {
		if (len != NX_MOLD_HDR_LEN)
			return drop(rx, NX_MOLD_DROP_TRAILING);
		nmsg = 0;
	} else {
		rc = check_blocks(pkt + NX_MOLD_HDR_LEN, end, count);
		if (rc)
			return drop(rx, rc);
		nmsg = count;
	}
	if (seq == 0 || seq > UINT64_MAX - nmsg)
		return drop(rx, NX_MOLD_DROP_BAD_SEQ);
	if (rx->latched && memcmp(rx->session, h->session, NX_MOLD_SESSION_LEN))
		return drop(rx, NX_MOLD_DROP_WRONG_SESSION);
	ends = seq + nmsg;
	/* After the end, nothing is numbered past it: not data, and not a
	 * heartbeat or a second end announcing more (a gap no answer could
	 * fill, as answers past end_seq are dropped here too). */
	if (rx->ended && (nmsg ? ends > rx->end_seq : seq > rx->end_seq))
		return drop(rx, NX_MOLD_DROP_AFTER_END);
	/* A corrupted header must not move the numbering out of reach. */
	if (rx->next && seq > rx->next && seq > rx->high &&
	    seq - (rx->next > rx->high ? rx->next : rx->high) > NX_MOLD_MAX_JUMP)
		return drop(rx, NX_MOLD_DROP_BAD_SEQ);

	/* Valid: from here on the packet changes state. */
	if (!rx->latched) {
		memcpy(rx->session, h->session, NX_MOLD_SESSION_LEN);
		rx->latched = 1;
	}
	if (rx->next == 0)
		rx->next = rx->high = seq;
	memset(out, 0, sizeof(*out));
	out->pkt_seq = seq;
	out->pkt_count = (uint16_t)count;
	out->end = end;

	/* What this packet reveals beyond everything known so far. */
	front = rx->next > rx->high ? rx->next : rx->high;
	if (seq > front) {
		out->gap_first = front;
		out->gap_count = seq - front;
		rx->st.gaps++;
		rx->st.gap_msgs += out->gap_count;
	}
	if (ends > rx->high)
		rx->high = ends;

	if (nmsg == 0) {
		if (seq > rx->next && !rx->cfg.hold_on_gap) {
			rx->st.lost_msgs += seq - rx->next;
			rx->next = seq;
		}
		if (count == NX_MOLD_COUNT_END) {
			if (!rx->ended) {
				rx->ended = 1;
				rx->end_seq = seq;
				/* Numbers past the end do not exist: a packet seen
				 * ahead of it can never be delivered. */
				if (rx->high > seq)
					rx->high = seq;
			}
			rx->st.ends++;
			return NX_MOLD_END;
		}
		rx->st.heartbeats++;
		return NX_MOLD_HEARTBEAT;
	}
	if (ends <= rx->next) {
		rx->st.dup_pkts++;
		rx->st.dup_msgs += nmsg;
		return NX_MOLD_DUPLICATE;
	}
	if (seq > rx->next) {
		if (rx->cfg.hold_on_gap) {
			rx->st.ahead_pkts++;
			return NX_MOLD_AHEAD;
		}
		rx->st.lost_msgs += seq - rx->next;
		rx->next = seq;
	}
	out->skipped = (uint32_t)(rx->next - seq);
	out->blocks = skip_blocks(pkt + NX_MOLD_HDR_LEN, out->skipped);
	out->seq = rx->next;
	out->count = nmsg - out->skipped;
	rx->st.dup_msgs += out->skipped;
	rx->st.msgs += out->count;
	rx->st.data_pkts++;
	rx->next = ends;
	return NX_MOLD_DATA;
}

int nx_mold_rx_missing(const struct nx_mold_rx *rx, uint64_t *first, uint64_t *count)
{
	if (!rx->latched || rx->next == 0 || rx->high <= rx->next)
		return 0;
	*first = rx->next;
	*count = rx->high - rx->next;
	return 1;
}

uint64_t nx_mold_rx_skip_to(struct nx_mold_rx *rx, uint64_t seq)
{
	uint64_t first, n;
	if (!nx_mold_rx_missing(rx, &first, &n) || seq <= first)
		return 0;
	if (seq - first < n)
		n = seq - first;
	rx->st.lost_msgs += n;
	rx->next = first + n;
	return n;
}

uint64_t nx_mold_rx_skip(struct nx_mold_rx *rx)
{
	return nx_mold_rx_skip_to(rx, UINT64_MAX);
}

size_t nx_mold_rx_request(const struct nx_mold_rx *rx, uint8_t *out, size_t cap,
			  uint16_t max_count)
{
	uint64_t first, n;

	if (!nx_mold_rx_missing(rx, &first, &n))
		return 0;
	if (max_count == 0 || max_count > NX_MOLD_COUNT_MAX)
		max_count = NX_MOLD_COUNT_MAX;
	if (n > max_count)
		n = max_count;
	return nx_mold_request_build(out, cap, rx->session, first, (uint16_t)n);
}

/* --- The hold ------------------------------------------------------------------- */

size_t nx_mold_hold_memsize(uint32_t slots, uint32_t slot_len)
{
	size_t per = 2 * sizeof(uint64_t) + 3 * sizeof(uint32_t), data;
	/* Too large for a size_t: SIZE_MAX, which no allocation gives, rather
	 * than a product wrapped to a few bytes that init would run past. */
	if (slots && (slot_len > (SIZE_MAX - 7) / slots || slots > SIZE_MAX / per))
		return SIZE_MAX;
	data = ((size_t)slots * slot_len + 7) & ~(size_t)7;
	if (data > SIZE_MAX - (size_t)slots * per)
		return SIZE_MAX;
	return (size_t)slots * per + data;
}

void nx_mold_hold_init(struct nx_mold_hold *h, void *mem, uint32_t slots, uint32_t slot_len)
{
	uint8_t *p = mem;
	h->seq = (uint64_t *)(void *)p;
	p += (size_t)slots * sizeof(uint64_t);
	h->since = (uint64_t *)(void *)p;
	p += (size_t)slots * sizeof(uint64_t);
	h->len = (uint32_t *)(void *)p;
	p += (size_t)slots * sizeof(uint32_t);
	h->order = (uint32_t *)(void *)p;
	p += (size_t)slots * sizeof(uint32_t);
	h->free = (uint32_t *)(void *)p;
	p += (size_t)slots * sizeof(uint32_t);
	h->data = p;
	h->slots = slots;
	h->slot_len = slot_len;
	h->head = h->n = 0;
	h->nfree = slots;
	for (uint32_t i = 0; i < slots; i++)
		h->free[i] = slots - 1 - i; /* slot 0 first */
}

/* A held (AHEAD: data) packet's message count. */
static unsigned hold_count(const uint8_t *pkt)
{
	return nx_itch_be16(((const struct nx_mold_hdr *)(const void *)pkt)->count);
}

int nx_mold_hold_put(struct nx_mold_hold *h, const uint8_t *pkt, size_t len)
{
	return nx_mold_hold_put_at(h, pkt, len, 0);
}

int nx_mold_hold_put_at(struct nx_mold_hold *h, const uint8_t *pkt, size_t len, uint64_t now)
{
	uint64_t seq = nx_itch_be64(((const struct nx_mold_hdr *)(const void *)pkt)->seq);
	uint32_t lo = h->head, hi = h->head + h->n;
	while (lo < hi) { /* the first held number >= seq */
		uint32_t mid = lo + (hi - lo) / 2;
		if (h->seq[h->order[mid]] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->head + h->n && h->seq[h->order[lo]] == seq) {
		/* One per number, but the one with the most messages: a packet
		 * repackaged (a retransmission) may carry past the held one. */
		uint32_t s = h->order[lo];
		if (hold_count(h->data + (size_t)s * h->slot_len) >= hold_count(pkt))
			return NX_MOLD_HOLD_DUP;
		if (len > h->slot_len)
			return NX_MOLD_HOLD_TOO_BIG;
		h->len[s] = (uint32_t)len;
		memcpy(h->data + (size_t)s * h->slot_len, pkt, len);
		return NX_MOLD_HOLD_KEPT;
	}
	if (len > h->slot_len)
		return NX_MOLD_HOLD_TOO_BIG;
	if (!h->nfree)
		return NX_MOLD_HOLD_FULL;
	if (h->head + h->n == h->slots) { /* the end is taken: close the drained front */
		memmove(h->order, h->order + h->head, (size_t)h->n * sizeof(uint32_t));
		memmove(h->since, h->since + h->head, (size_t)h->n * sizeof(uint64_t));
		lo -= h->head;
		h->head = 0;
	}
	uint32_t s = h->free[--h->nfree], after = h->head + h->n - lo;
	memmove(h->order + lo + 1, h->order + lo, (size_t)after * sizeof(uint32_t));
	memmove(h->since + lo + 1, h->since + lo, (size_t)after * sizeof(uint64_t));
	h->order[lo] = s;
	h->since[lo] = after && h->since[lo + 1] < now ? h->since[lo + 1] : now;
	/* The places before lo now also cover this packet; they rise towards
	 * lo, so the first not later than now ends the pass (at once when
	 * times rise). */
	for (uint32_t i = lo; i-- > h->head && h->since[i] > now;)
		h->since[i] = now;
	h->n++;
	h->seq[s] = seq;
	h->len[s] = (uint32_t)len;
	memcpy(h->data + (size_t)s * h->slot_len, pkt, len);
	return NX_MOLD_HOLD_KEPT;
}

const uint8_t *nx_mold_hold_first(const struct nx_mold_hold *h, size_t *len, uint64_t *seq)
{
	if (!h->n)
		return NULL;
	uint32_t s = h->order[h->head];
	*len = h->len[s];
	*seq = h->seq[s];
	return h->data + (size_t)s * h->slot_len;
}

int nx_mold_hold_oldest(const struct nx_mold_hold *h, uint64_t *put)
{
	if (!h->n)
		return 0;
	*put = h->since[h->head];
	return 1;
}

void nx_mold_hold_pop(struct nx_mold_hold *h)
{
	if (!h->n)
		return;
	h->free[h->nfree++] = h->order[h->head];
	if (--h->n)
		h->head++;
	else
		h->head = 0;
}

void nx_mold_hold_drain(struct nx_mold_hold *h, const struct nx_mold_rx *rx,
			void (*deliver)(void *ctx, const uint8_t *pkt, size_t len), void *ctx)
{
	const uint8_t *p;
	size_t len;
	uint64_t seq;
	/* Past an end of session nothing is missing and nothing can be
	 * delivered: such a packet (it sorts after every deliverable one) is
	 * fed once for rx to drop and count (AFTER_END), and let go. */
	while ((p = nx_mold_hold_first(h, &len, &seq)) &&
	       (seq <= rx->next || (rx->ended && seq >= rx->end_seq))) {
		nx_mold_hold_pop(h);
		deliver(ctx, p, len); /* nothing is put meanwhile: p stays intact */
	}
}

void nx_mold_hold_give_up(struct nx_mold_hold *h, struct nx_mold_rx *rx,
			  void (*deliver)(void *ctx, const uint8_t *pkt, size_t len), void *ctx)
{
	const uint8_t *p;
	size_t len;
	uint64_t seq;
	p = nx_mold_hold_first(h, &len, &seq);
	nx_mold_rx_skip_to(rx, p ? seq : UINT64_MAX);
	nx_mold_hold_drain(h, rx, deliver, ctx);
}

struct name_row {
	const char *name, *text;
};

static const struct name_row drops[NX_MOLD_DROP_MAX] = {
#define NX_X_(name, code, text) [code] = { #name, text },
	NX_MOLD_DROPS(NX_X_)
#undef NX_X_
};

const char *nx_mold_drop_name(int reason)
{
	return reason < 0 && reason > -(int)NX_MOLD_DROP_MAX ? drops[-reason].name : "?";
}

const char *nx_mold_drop_text(int reason)
{
	return reason < 0 && reason > -(int)NX_MOLD_DROP_MAX ? drops[-reason].text
							      : "unknown drop reason";
}

const char *nx_mold_kind_name(int kind)
{
	switch (kind) {
	case NX_MOLD_DATA: return "DATA";
	case NX_MOLD_HEARTBEAT: return "HEARTBEAT";
	case NX_MOLD_END: return "END";
	case NX_MOLD_DUPLICATE: return "DUPLICATE";
	case NX_MOLD_AHEAD: return "AHEAD";
	default: return "?";
	}
}
