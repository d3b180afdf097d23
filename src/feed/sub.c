/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The NXM subscriber of nx/feed.h: incremental and snapshot packets in,
 * per-instrument books out.
 *
 * Sequencing. The incremental channel runs through one nx_mold_rx in hold
 * mode, so messages are delivered strictly in sequence and contiguously
 * from `base` (the first number delivered since the session was latched or
 * a gap given up) to inc.next - 1. That contiguity is what every sync
 * decision rests on. Giving a gap up re-feeds one packet (the earliest
 * held, or a synthetic heartbeat at the highest number known) with the
 * receiver switched to skip mode for that packet alone: moldudp.h has no
 * other way to move a holding receiver forward, and this way its own
 * counters record the loss. The skip is observed, not assumed: when the
 * receiver's lost count moves, every book goes stale and base restarts,
 * before the packet's messages are applied; a packet the receiver refuses
 * skips nothing.
 *
 * Books. Each instrument is STALE (incrementals ignored), PENDING (an image
 * with lastSeq L is in the book; incrementals up to L are ignored, the
 * first after L makes it SYNCED if delivery reaches back to L + 1) or
 * SYNCED. Every delivered LevelUpdate and BookClear, whatever the state,
 * enters the replay ring in sequence order; `replay_from` is the lowest
 * number from which the ring still holds all of them (raised as entries
 * are overwritten, and to base after a give-up). An image whose L + 1 is
 * at or after replay_from and at most one past the last delivered message
 * is brought up to date from the ring at once.
 *
 * Snapshots are assembled straight into the instrument's book (it is stale
 * meanwhile), one image at a time: the publisher sends an image's chunks
 * back to back, so one assembly slot is enough and anything else (a chunk
 * lost, another image starting) abandons it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "feed_priv.h"
#include "../mem.h"

/* --- Lifecycle --------------------------------------------------------------------- */

struct sub_layout {
	size_t slots, inst, lv, hold, ring, total;
	uint32_t payload;
	uint64_t ring_slots;
};

static int sub_cfg_ok(const struct nx_feed_sub_config *cfg)
{
	return cfg && cfg->max_instruments && cfg->max_instruments <= NX_FEED_MAX_INSTRUMENTS &&
	       cfg->max_levels && cfg->max_levels <= NX_FEED_MAX_LEVELS &&
	       cfg->hold_pkts <= NX_FEED_MAX_HOLD && cfg->replay_msgs <= NX_FEED_MAX_REPLAY &&
	       cfg->max_payload <= NX_FEED_PAYLOAD_MAX &&
	       (cfg->max_payload == 0 || cfg->max_payload >= NX_FEED_PAYLOAD_MIN);
}

static int sub_layout(const struct nx_feed_sub_config *cfg, struct sub_layout *o)
{
	struct feed_layout L = { .off = sizeof(struct nx_feed_sub) };

	if (!sub_cfg_ok(cfg))
		return 0;
	o->payload = cfg->max_payload ? cfg->max_payload : NX_FEED_SUB_PAYLOAD_DEFAULT;
	o->ring_slots = nx_pow2_ceil_u64(cfg->replay_msgs);
	L.off = (L.off + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1);
	o->slots = feed_lay(&L, feed_map_slots(cfg->max_instruments), sizeof(struct feed_map_slot));
	o->inst = feed_lay(&L, cfg->max_instruments, sizeof(struct sub_inst));
	o->lv = feed_lay(&L, 2ull * cfg->max_instruments * cfg->max_levels,
			 sizeof(struct nx_level_info));
	o->hold = feed_lay(&L, 1, nx_mold_hold_memsize(cfg->hold_pkts, o->payload));
	o->ring = feed_lay(&L, o->ring_slots, sizeof(struct sub_replay));
	o->total = L.off;
	return !L.bad;
}

size_t nx_feed_sub_memsize(const struct nx_feed_sub_config *cfg)
{
	struct sub_layout o;

	return sub_layout(cfg, &o) ? o.total : 0;
}

static void sub_start_rx(struct nx_feed_sub *s, uint8_t from_start)
{
	const struct nx_mold_rx_config inc = { .hold_on_gap = 1, .next_seq = from_start ? 1 : 0 };

	nx_mold_rx_init(&s->inc, &inc);
	nx_mold_rx_init(&s->snap, NULL); /* latch, skip gaps */
	s->base = s->replay_from = inc.next_seq;
	s->new_stale = !from_start;
}

struct nx_feed_sub *nx_feed_sub_init(void *mem, size_t len, const struct nx_feed_sub_config *cfg)
{
	struct nx_feed_sub *s = mem;
	struct sub_layout o;

	if (!mem || !sub_layout(cfg, &o) || len < o.total || (uintptr_t)mem % NX_CACHE_LINE) {
		errno = EINVAL;
		return NULL;
	}
	memset(mem, 0, o.total);
	feed_map_init(&s->map, (struct feed_map_slot *)((char *)mem + o.slots),
		      cfg->max_instruments);
	s->inst = (struct sub_inst *)((char *)mem + o.inst);
	s->lv = (struct nx_level_info *)((char *)mem + o.lv);
	nx_mold_hold_init(&s->hold, (char *)mem + o.hold, cfg->hold_pkts, o.payload);
	s->ring = (struct sub_replay *)((char *)mem + o.ring);
	s->ring_mask = o.ring_slots - 1;
	s->max_levels = cfg->max_levels;
	sub_start_rx(s, cfg->from_start);
	return s;
}

struct nx_feed_sub *nx_feed_sub_create(const struct nx_feed_sub_config *cfg)
{
	size_t n = nx_feed_sub_memsize(cfg);
	void *mem = nx_mem_alloc(n);
	struct nx_feed_sub *s;

	if (!mem)
		return NULL;
	s = nx_feed_sub_init(mem, n, cfg);
	if (!s)
		free(mem);
	return s;
}

void nx_feed_sub_destroy(struct nx_feed_sub *s)
{
	free(s);
}

/* --- Books --------------------------------------------------------------------------- */

static struct nx_level_info *side_lv(const struct nx_feed_sub *s, const struct sub_inst *in,
				     unsigned side)
{
	return s->lv + ((size_t)(in - s->inst) * 2 + side - 1) * s->max_levels;
}

/* The instrument's state, added (stale or synced as new_stale says) when
 * first named; NULL when the table is full. */
static struct sub_inst *inst_get(struct nx_feed_sub *s, nx_inst_t id)
{
	int added;
	int64_t idx = feed_map_get(&s->map, id, &added);
	struct sub_inst *in;

	if (idx < 0) {
		s->st.inst_capacity++;
		return NULL;
	}
	in = &s->inst[idx];
	if (added) {
		in->id = id;
		in->state = s->new_stale ? SUB_STALE : SUB_SYNCED;
	}
	return in;
}

static const struct sub_inst *inst_find(const struct nx_feed_sub *s, nx_inst_t id)
{
	int64_t idx = feed_map_find(&s->map, id);

	return idx < 0 ? NULL : &s->inst[idx];
}

static void set_level(struct nx_feed_sub *s, struct sub_inst *in, unsigned side,
		      const struct nx_level_info *lv)
{
	int rc = feed_levels_set(side_lv(s, in, side), &in->n[side - 1], s->max_levels, side,
				 lv->px, lv->qty, lv->count);

	if (rc == FEED_SET_OVERFLOW) {
		s->st.level_capacity++;
		in->incomplete = 1;
	} else if (rc == FEED_SET_UNKNOWN) {
		s->st.level_unknown++;
	}
}

static void clear_book(struct sub_inst *in, uint8_t incomplete)
{
	in->n[0] = in->n[1] = 0;
	in->incomplete = incomplete;
}

/* A LevelUpdate, BookClear or InstrumentStatus. */
static void apply_rec(struct nx_feed_sub *s, struct sub_inst *in, const struct nx_feed_rec *r)
{
	if (r->type == NX_FEED_REC_CLEAR) {
		/* a truncated re-image: the levels after it may not be all */
		clear_book(in, r->n & NX_FEED_CLEAR_TRUNCATED ? 1 : 0);
		return;
	}
	if (r->type == NX_FEED_REC_STATUS) {
		in->status = (uint8_t)r->n;
		return;
	}
	set_level(s, in, r->side,
		  &(struct nx_level_info){ .px = r->px, .qty = r->qty, .count = (uint32_t)r->n });
}

/* The last message delivered on the incremental channel (0: none). */
static uint64_t delivered(const struct nx_feed_sub *s)
{
	return s->inc.next ? s->inc.next - 1 : 0;
}

/* Whether a PENDING image's lastSeq is reached by contiguous delivery. */
static int pending_reached(const struct nx_feed_sub *s, const struct sub_inst *in)
{
	return s->base && s->base <= in->pend_seq + 1;
}

/* Whether message seq applies to the book, settling a pending image. */
static int inst_live(struct nx_feed_sub *s, struct sub_inst *in, uint64_t seq)
{
	if (in->state != SUB_PENDING)
		return in->state == SUB_SYNCED;
	if (seq <= in->pend_seq)
		return 0;
	if (pending_reached(s, in)) {
		in->state = SUB_SYNCED;
		return 1;
	}
	in->state = SUB_STALE;
	s->st.snap_expired++;
	return 0;
}

/* --- Incremental messages -------------------------------------------------------------- */

static void ring_push(struct nx_feed_sub *s, uint64_t seq, const struct nx_feed_rec *r)
{
	struct sub_replay *e = &s->ring[s->ring_n & s->ring_mask];

	if (s->ring_n > s->ring_mask && e->seq + 1 > s->replay_from)
		s->replay_from = e->seq + 1; /* overwriting the oldest entry */
	e->seq = seq;
	e->r = *r;
	s->ring_n++;
}

static void trade(struct nx_feed_sub *s, const struct nx_feed_rec *r)
{
	struct sub_inst *in = inst_get(s, r->inst);

	s->st.trades++;
	if (!in)
		return;
	in->trades++;
	in->last_tid = r->n;
	in->last_px = r->px;
	in->last_qty = r->qty;
	in->last_side = r->side;
}

/* The venue could not publish r->n trades of the instrument: the tape has a
 * hole there, and the subscriber can say so. Saturating sums: a counter
 * that wraps would hide the hole it counts. */
static void trades_lost(struct nx_feed_sub *s, const struct nx_feed_rec *r)
{
	struct sub_inst *in = inst_get(s, r->inst);

	s->st.trades_lost_msgs++;
	s->st.trades_lost = s->st.trades_lost > UINT64_MAX - r->n ? UINT64_MAX
								 : s->st.trades_lost + r->n;
	if (!in)
		return;
	in->trades_lost = in->trades_lost > UINT64_MAX - r->n ? UINT64_MAX : in->trades_lost + r->n;
	in->trades_lost_qty = in->trades_lost_qty > INT64_MAX - r->qty ? INT64_MAX
								     : in->trades_lost_qty + r->qty;
}

static void lost_through(struct nx_feed_sub *s, uint64_t last);

/* Message seq could not be decoded. Unless it names a template this
 * subscriber does not know (a later version's, skipped), a Trade or a
 * TradesLost (no book in them), it may have changed any book: it is lost, as
 * in a give-up. Every book goes stale and the replay buffer is complete
 * only after it, so no image older than it can sync a book. */
static void undecodable(struct nx_feed_sub *s, uint64_t seq, const uint8_t *m, size_t len,
			int rc)
{
	uint16_t tpl = len >= NX_FEED_SBE_HDR_LEN ? feed_ld16(m + 2) : 0;

	if (rc == NX_FEED_ERR_UNKNOWN_TEMPLATE || tpl == NX_FEED_TPL_TRADE ||
	    tpl == NX_FEED_TPL_TRADES_LOST)
		return;
	lost_through(s, seq);
	if (s->replay_from <= seq)
		s->replay_from = seq + 1;
}

static void deliver(struct nx_feed_sub *s, uint64_t seq, const uint8_t *m, size_t len)
{
	struct nx_feed_msg msg;
	struct sub_inst *in;
	int rc = nx_feed_decode(m, len, &msg);

	s->st.msgs++;
	if (rc < 0) {
		s->st.errs[-rc]++;
		undecodable(s, seq, m, len, rc);
		return;
	}
	if (rc == NX_FEED_TPL_SNAPSHOT_LEVELS) {
		s->st.wrong_channel++;
		return;
	}
	if (rc == NX_FEED_TPL_TRADE) {
		trade(s, &msg.rec);
		return;
	}
	if (rc == NX_FEED_TPL_TRADES_LOST) {
		trades_lost(s, &msg.rec);
		return;
	}
	ring_push(s, seq, &msg.rec);
	in = inst_get(s, msg.rec.inst);
	if (!in)
		return;
	if (!inst_live(s, in, seq)) {
		/* A status is absolute: true whatever the book's state (an image
		 * synced later replays it from the buffer anyway). */
		if (msg.rec.type == NX_FEED_REC_STATUS)
			in->status = (uint8_t)msg.rec.n;
		s->st.stale_ignored++;
		return;
	}
	apply_rec(s, in, &msg.rec);
	s->st.applied++;
}

/* Messages up to last (or some of them) are lost: every book goes stale,
 * but a pending image whose lastSeq covers them (last <= pend_seq) still
 * syncs at pend_seq + 1, since what was lost is in it; a pending image
 * they pass is unusable (snap_expired). */
static void lost_through(struct nx_feed_sub *s, uint64_t last)
{
	for (uint32_t i = 0; i < s->map.n; i++) {
		struct sub_inst *in = &s->inst[i];

		if (in->state == SUB_PENDING) {
			if (last <= in->pend_seq)
				continue;
			s->st.snap_expired++;
		}
		in->state = SUB_STALE;
	}
	s->new_stale = 1;
}

/* Where contiguous delivery (re)starts: at the latch, and when the receiver
 * skipped messages (only in a give-up: skip mode). A skip makes every book
 * stale before anything after it is applied. */
static void restart_base(struct nx_feed_sub *s, int rc, const struct nx_mold_pkt *out,
			 uint64_t lost_before)
{
	uint64_t lost = s->inc.st.lost_msgs - lost_before;

	if (rc <= 0 || !s->inc.next || (s->base && !lost))
		return;
	s->base = s->replay_from = rc == NX_MOLD_DATA ? out->seq : s->inc.next;
	if (lost) {
		lost_through(s, s->base - 1);
		s->st.give_ups++;
		s->st.skipped_msgs += lost;
	}
}

/* One packet through the receiver; delivered blocks applied. */
/*
 * The snapshot channel follows the incremental channel's session once that
 * is known (a foreign first packet must not capture it). Until then it
 * latches whatever session comes first; if that turns out to be another
 * session than the incrementals', what it built is foreign: images pending
 * or in progress are dropped (snap_foreign) and their books wait, stale,
 * for an image of the right session. Called as soon as the incremental
 * channel latches, before anything it delivers can sync a pending book.
 */
static void snap_follow_session(struct nx_feed_sub *s)
{
	struct nx_mold_rx_config cfg = { .have_session = 1 };
	struct nx_mold_stats st;

	if (!s->inc.latched || (s->snap.latched &&
				!memcmp(s->snap.session, s->inc.session, NX_MOLD_SESSION_LEN)))
		return;
	if (s->snap.latched) {
		if (s->img.on) {
			s->img.on = 0;
			s->st.snap_foreign++;
		}
		for (uint32_t i = 0; i < s->map.n; i++)
			if (s->inst[i].state == SUB_PENDING) {
				s->inst[i].state = SUB_STALE;
				clear_book(&s->inst[i], 0);
				/* nothing delivered yet: the status was the image's */
				s->inst[i].status = 0;
				s->st.snap_foreign++;
			}
	}
	memcpy(cfg.session, s->inc.session, NX_MOLD_SESSION_LEN);
	st = s->snap.st;
	nx_mold_rx_init(&s->snap, &cfg);
	s->snap.st = st;
}

static int inc_packet(struct nx_feed_sub *s, const uint8_t *pkt, size_t len)
{
	struct nx_mold_pkt out;
	struct nx_mold_blocks it;
	const uint8_t *m = NULL;
	size_t l = 0;
	uint64_t lost_before = s->inc.st.lost_msgs;
	int rc = nx_mold_rx_packet(&s->inc, pkt, len, &out);

	snap_follow_session(s);
	restart_base(s, rc, &out, lost_before);
	if (rc != NX_MOLD_DATA)
		return rc;
	nx_mold_blocks_init(&it, out.blocks, (size_t)(out.end - out.blocks));
	for (uint64_t seq = out.seq; seq < out.seq + out.count; seq++) {
		if (nx_mold_blocks_next(&it, &m, &l) != 1)
			break; /* not reached: the receiver checked every block */
		deliver(s, seq, m, l);
	}
	return rc;
}

/* --- The hold ------------------------------------------------------------------------ */

static uint64_t pkt_seq(const uint8_t *pkt)
{
	return nx_itch_be64(((const struct nx_mold_hdr *)(const void *)pkt)->seq);
}

/* Keep an AHEAD packet. 1 if it was dealt with (held, or dropped as a
 * duplicate or too big: the gap's retransmission covers it), 0 if full. */
static int hold_put(struct nx_feed_sub *s, const uint8_t *pkt, size_t len)
{
	switch (nx_mold_hold_put(&s->hold, pkt, len)) {
	case NX_MOLD_HOLD_KEPT:
		s->st.held++;
		return 1;
	case NX_MOLD_HOLD_DUP:
		s->st.hold_dups++;
		return 1;
	case NX_MOLD_HOLD_TOO_BIG:
		s->st.hold_too_big++;
		return 1;
	default:
		return 0;
	}
}

static void deliver_held(void *ctx, const uint8_t *pkt, size_t len)
{
	inc_packet(ctx, pkt, len);
}

/* Feed held packets that the receiver has caught up with, in order. */
static void drain(struct nx_feed_sub *s)
{
	nx_mold_hold_drain(&s->hold, &s->inc, deliver_held, s);
}

/* Skip the gap by feeding pkt (a packet after it) in skip mode, then the
 * hold. The receiver may refuse pkt (data past an end of session that
 * arrived meanwhile): then nothing is skipped. */
static int skip_with(struct nx_feed_sub *s, const uint8_t *pkt, size_t len)
{
	int rc;

	s->inc.cfg.hold_on_gap = 0;
	rc = inc_packet(s, pkt, len);
	s->inc.cfg.hold_on_gap = 1;
	drain(s);
	return rc;
}

void nx_feed_sub_give_up(struct nx_feed_sub *s)
{
	uint8_t hb[NX_MOLD_HDR_LEN];
	uint64_t first, count, seq;
	const uint8_t *p;
	size_t len;

	if (!nx_mold_rx_missing(&s->inc, &first, &count))
		return;
	while ((p = nx_mold_hold_first(&s->hold, &len, &seq))) {
		nx_mold_hold_pop(&s->hold); /* its bytes stay: nothing is put below */
		if (skip_with(s, p, len) == NX_MOLD_DATA)
			return;
	}
	nx_mold_hdr_write(hb, s->inc.session, s->inc.high, NX_MOLD_COUNT_HEARTBEAT);
	skip_with(s, hb, sizeof(hb));
}

/* An AHEAD packet and a full hold: give the gap up, through whichever of
 * the packet and the earliest held one comes first, then take the packet. */
static int hold_full(struct nx_feed_sub *s, const uint8_t *pkt, size_t len)
{
	uint64_t seq;
	size_t hlen;
	const uint8_t *h = nx_mold_hold_first(&s->hold, &hlen, &seq);
	int rc;

	s->st.hold_full++;
	if (!h || pkt_seq(pkt) < seq)
		return skip_with(s, pkt, len);
	nx_mold_hold_pop(&s->hold);
	skip_with(s, h, hlen);
	rc = inc_packet(s, pkt, len);
	if (rc == NX_MOLD_DATA)
		drain(s);
	else if (rc == NX_MOLD_AHEAD)
		hold_put(s, pkt, len); /* a slot was freed above */
	return rc;
}

int nx_feed_sub_incremental(struct nx_feed_sub *s, const uint8_t *pkt, size_t len)
{
	int rc = inc_packet(s, pkt, len);

	if (rc == NX_MOLD_DATA)
		drain(s);
	else if (rc == NX_MOLD_AHEAD && !hold_put(s, pkt, len))
		rc = hold_full(s, pkt, len);
	return rc;
}

size_t nx_feed_sub_request(const struct nx_feed_sub *s, uint8_t *out, size_t cap)
{
	return nx_mold_rx_request(&s->inc, out, cap, 0);
}

/* --- Snapshots ----------------------------------------------------------------------- */

/* Messages after the image's last_seq, from the ring, in order. */
static void replay(struct nx_feed_sub *s, struct sub_inst *in, uint64_t last_seq)
{
	uint64_t lo = s->ring_n > s->ring_mask ? s->ring_n - s->ring_mask - 1 : 0, hi = s->ring_n;

	while (lo < hi) { /* the first entry after last_seq: seqs rise along the ring */
		uint64_t mid = lo + (hi - lo) / 2;

		if (s->ring[mid & s->ring_mask].seq <= last_seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->ring_n; lo++) {
		const struct sub_replay *e = &s->ring[lo & s->ring_mask];

		if (e->r.inst == in->id) {
			apply_rec(s, in, &e->r);
			s->st.replayed++;
		}
	}
}

static void image_done(struct nx_feed_sub *s, struct sub_inst *in, uint64_t last_seq)
{
	s->st.snap_images++;
	if (!s->base || last_seq > delivered(s)) {
		in->state = SUB_PENDING;
		in->pend_seq = last_seq;
		if (s->img.status) /* 0: the publisher had none; keep what we know */
			in->status = s->img.status;
		s->st.snap_pending++;
	} else if (last_seq + 1 < s->replay_from) {
		s->st.snap_too_old++; /* its status is older than what we know, too */
	} else {
		if (s->img.status)
			in->status = s->img.status;
		replay(s, in, last_seq);
		in->state = SUB_SYNCED;
		s->st.snap_synced++;
	}
}

static void image_levels(struct nx_feed_sub *s, struct sub_inst *in, const struct nx_feed_msg *m)
{
	struct nx_feed_level l;

	for (unsigned i = 0; i < m->nlevels; i++) {
		nx_feed_msg_level(m, i, &l);
		set_level(s, in, l.side, &l.lv);
	}
}

/* Chunk 0: a new image for a stale or pending book. */
static void image_start(struct nx_feed_sub *s, struct sub_inst *in, const struct nx_feed_msg *m)
{
	if (s->img.on) {
		s->img.on = 0;
		s->st.snap_broken++;
	}
	if (in->state == SUB_SYNCED) {
		s->st.snap_ignored++;
		return;
	}
	in->state = SUB_STALE;
	clear_book(in, m->snap.flags & NX_FEED_SNAP_INCOMPLETE ? 1 : 0);
	s->img.status = m->snap.status; /* applied only if the image is used */
	s->img.on = 1;
	s->img.idx = (uint32_t)(in - s->inst);
	s->img.last_seq = m->snap.last_seq;
	s->img.next = 0;
	s->img.chunks = m->snap.chunks;
}

/* Whether m is the next chunk of the image being assembled. */
static int image_next(const struct nx_feed_sub *s, const struct sub_inst *in,
		      const struct nx_feed_msg *m)
{
	return s->img.on && s->img.idx == (uint32_t)(in - s->inst) &&
	       s->img.last_seq == m->snap.last_seq && s->img.chunks == m->snap.chunks &&
	       s->img.next == m->snap.chunk;
}

/* A chunk that is not the next of the image being assembled. */
static void image_stray(struct nx_feed_sub *s, const struct sub_inst *in)
{
	if (in->state == SUB_SYNCED) {
		s->st.snap_ignored++;
		return;
	}
	s->st.snap_broken++;
	if (s->img.on && s->img.idx == (uint32_t)(in - s->inst))
		s->img.on = 0;
}

static void snap_msg(struct nx_feed_sub *s, const uint8_t *b, size_t len)
{
	struct nx_feed_msg m;
	struct sub_inst *in;
	int rc = nx_feed_decode(b, len, &m);

	if (rc < 0) {
		s->st.errs[-rc]++;
		return;
	}
	if (rc != NX_FEED_TPL_SNAPSHOT_LEVELS) {
		s->st.wrong_channel++;
		return;
	}
	s->st.snap_msgs++;
	in = inst_get(s, m.snap.inst);
	if (!in)
		return;
	if (m.snap.chunk == 0)
		image_start(s, in, &m);
	else if (!image_next(s, in, &m))
		image_stray(s, in);
	if (!image_next(s, in, &m))
		return;
	image_levels(s, in, &m);
	if (++s->img.next == s->img.chunks) {
		s->img.on = 0;
		image_done(s, in, m.snap.last_seq);
	}
}

int nx_feed_sub_snapshot(struct nx_feed_sub *s, const uint8_t *pkt, size_t len)
{
	struct nx_mold_pkt out;
	struct nx_mold_blocks it;
	const uint8_t *m = NULL;
	size_t l = 0;
	int rc;

	snap_follow_session(s);
	rc = nx_mold_rx_packet(&s->snap, pkt, len, &out);
	if (rc != NX_MOLD_DATA)
		return rc;
	nx_mold_blocks_init(&it, out.blocks, (size_t)(out.end - out.blocks));
	for (uint32_t i = 0; i < out.count && nx_mold_blocks_next(&it, &m, &l) == 1; i++)
		snap_msg(s, m, l);
	return rc;
}

/* --- Queries ------------------------------------------------------------------------- */

static int inst_synced(const struct nx_feed_sub *s, const struct sub_inst *in)
{
	if (in->state == SUB_PENDING)
		return pending_reached(s, in) && delivered(s) >= in->pend_seq;
	return in->state == SUB_SYNCED;
}

int nx_feed_sub_synced(const struct nx_feed_sub *s, nx_inst_t inst)
{
	const struct sub_inst *in = inst_find(s, inst);

	/* Not in the table: never named, or named when the table was full. */
	return in ? inst_synced(s, in) : !s->new_stale && !s->st.inst_capacity;
}

uint64_t nx_feed_sub_last_seq(const struct nx_feed_sub *s)
{
	return delivered(s);
}

int nx_feed_sub_depth(const struct nx_feed_sub *s, nx_inst_t inst, unsigned side,
		      struct nx_level_info *out, unsigned n)
{
	const struct sub_inst *in = inst_find(s, inst);

	if (!in)
		return -ENOENT;
	if (side != NX_SIDE_BUY && side != NX_SIDE_SELL)
		return -EINVAL;
	if (n > in->n[side - 1])
		n = in->n[side - 1];
	memcpy(out, side_lv(s, in, side), (size_t)n * sizeof(*out));
	return (int)n;
}

int nx_feed_sub_instrument(const struct nx_feed_sub *s, nx_inst_t inst,
			   struct nx_feed_inst_info *out)
{
	const struct sub_inst *in = inst_find(s, inst);

	if (!in)
		return -ENOENT;
	*out = (struct nx_feed_inst_info){
		.synced = (uint8_t)inst_synced(s, in), .incomplete = in->incomplete,
		.last_side = in->last_side, .levels = { in->n[0], in->n[1] },
		.trades = in->trades, .trades_lost = in->trades_lost,
		.trades_lost_qty = in->trades_lost_qty, .last_tid = in->last_tid,
		.last_px = in->last_px,
		.last_qty = in->last_qty, .status = in->status,
	};
	return 0;
}

const struct nx_feed_sub_stats *nx_feed_sub_stats(const struct nx_feed_sub *s)
{
	return &s->st;
}

const struct nx_mold_stats *nx_feed_sub_mold_stats(const struct nx_feed_sub *s, unsigned channel)
{
	if (channel == NX_FEED_INCREMENTAL)
		return &s->inc.st;
	return channel == NX_FEED_SNAPSHOT ? &s->snap.st : NULL;
}

int nx_feed_sub_check(const struct nx_feed_sub *s, const char **why)
{
	for (uint32_t i = 0; i < s->map.n; i++) {
		const struct sub_inst *in = &s->inst[i];

		for (unsigned side = NX_SIDE_BUY; side <= NX_SIDE_SELL; side++) {
			if (in->n[side - 1] > s->max_levels) {
				*why = "more levels than max_levels";
				return -EFAULT;
			}
			if (feed_levels_check(side_lv(s, in, side), in->n[side - 1], side)) {
				*why = "side not strictly best first, or a level with qty or orders 0";
				return -EFAULT;
			}
		}
		if (in->state > SUB_SYNCED || feed_map_find(&s->map, in->id) != i) {
			*why = "instrument state or map entry corrupt";
			return -EFAULT;
		}
	}
	if (s->hold.n > s->hold.slots || s->hold.n + s->hold.nfree != s->hold.slots ||
	    s->hold.head + s->hold.n > s->hold.slots ||
	    (s->base && s->inc.next && s->base > s->inc.next)) {
		*why = "hold count or delivery base corrupt";
		return -EFAULT;
	}
	*why = NULL;
	return 0;
}
