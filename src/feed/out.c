/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The outbox of nx/feed.h: a shard's book changes from its engine's tap to
 * its ring to the publisher, through a buffer and, for trades the ring
 * cannot take, a backlog. It owns no ring: it puts records through the
 * caller's enqueue callback, so it runs (and is tested) without DPDK.
 *
 * State, all in the caller's block (struct nx_feed_out, feed_priv.h): the
 * buffer the tap fills; the backlog, a ring of records at free-running
 * indices [bl_head, bl_tail) (a power of two of slots); per instrument
 * (sorted ids, found by binary search) its stale flag, the backlog position
 * one past its last record there (bl_last: it has records waiting iff
 * bl_last > bl_head, so leaving the backlog updates nothing per instrument)
 * and its lost trades not yet announced; the queue of instruments whose
 * losses wait for backlog room, in the order they were first lost (each at
 * most once); the queue of stale instruments, in the order they became
 * stale (each at most once: the stale flag guards it); re-image scratch.
 *
 * The stale queue is what keeps a re-image's cost to the instruments it
 * images: nx_feed_out_reimage once walked every instrument on each call
 * while any was stale, and the shard calls it between every two bursts.
 *
 * Invariants, which the ordering promises of nx/feed.h rest on:
 * - the backlog holds records only while the ring is full or the last
 *   flush spent its share: the flush that could not drain it stopped
 *   because the ring took less than it was offered or because it had put
 *   NX_FEED_OUT_DRAIN_RECS records of it, and nothing else is put on the
 *   ring before the backlog is empty;
 * - a loss waits for its announcement only while the backlog is full: each
 *   flush first drains the backlog, then moves waiting announcements into
 *   the room that made, before any new trade can take it. So the room a
 *   flush finds for announcements is the room its own drain made: it
 *   announces at most as many losses as it drained records, and the
 *   drain's bound bounds them too;
 * - an instrument with a loss waiting loses its later trades too (they
 *   would otherwise be published before the announcement of earlier ones);
 * - a stale instrument is re-imaged only after the buffer was flushed and
 *   when the backlog is empty (so no loss waits either): the backlog's
 *   trades go first, of its instrument and of every other, so a re-image
 *   never takes ring room the trades need (the first invariant);
 * - re-images go in the order the instruments became stale, and one call
 *   puts at most NX_FEED_OUT_REIMAGE_RECS records of backlog and images
 *   together (finishing the image it started): an instrument waits for
 *   the images ahead of it only.
 *
 * So one call does a bounded amount of work on the shard's core whatever
 * the backlog's size and the number of instruments: a flush puts at most
 * NX_FEED_OUT_DRAIN_RECS records of the backlog and its buffer's
 * NX_FEED_OUT_BUF; a poll adds re-images up to the same budget, less what
 * its flush drained, and the end of one image. A flush once drained the
 * whole backlog (2 MB by default) in one go when the ring emptied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "feed_priv.h"
#include "../mem.h"

/* --- Lifecycle --------------------------------------------------------------------- */

struct out_layout {
	size_t inst, stale, in, lostq, staleq, levels, image, bl, total;
	uint64_t bl_slots;
};

static int out_cfg_ok(const struct nx_feed_out_config *cfg)
{
	if (!cfg || !cfg->instruments || cfg->ninstruments == 0 ||
	    cfg->ninstruments > NX_FEED_MAX_INSTRUMENTS || cfg->max_levels == 0 ||
	    cfg->max_levels > NX_FEED_MAX_LEVELS || cfg->backlog == 0 ||
	    cfg->backlog > NX_FEED_MAX_BACKLOG)
		return 0;
	for (uint32_t i = 0; i < cfg->ninstruments; i++)
		if (cfg->instruments[i] == 0)
			return 0;
	return 1;
}

static int out_layout(const struct nx_feed_out_config *cfg, struct out_layout *o)
{
	struct feed_layout L = { .off = sizeof(struct nx_feed_out) };

	if (!out_cfg_ok(cfg))
		return 0;
	o->bl_slots = nx_pow2_ceil_u64(cfg->backlog);
	L.off = (L.off + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1);
	o->inst = feed_lay(&L, cfg->ninstruments, sizeof(nx_inst_t));
	o->stale = feed_lay(&L, cfg->ninstruments, 1);
	o->in = feed_lay(&L, cfg->ninstruments, sizeof(struct out_inst));
	o->lostq = feed_lay(&L, cfg->ninstruments, sizeof(uint32_t));
	o->staleq = feed_lay(&L, cfg->ninstruments, sizeof(uint32_t));
	o->levels = feed_lay(&L, NX_FEED_IMAGE_SCRATCH((size_t)cfg->max_levels),
			     sizeof(struct nx_level_info));
	o->image = feed_lay(&L, NX_FEED_IMAGE_RECS((size_t)cfg->max_levels),
			    sizeof(struct nx_feed_rec));
	o->bl = feed_lay(&L, o->bl_slots, sizeof(struct nx_feed_rec));
	o->total = L.off;
	return !L.bad;
}

size_t nx_feed_out_memsize(const struct nx_feed_out_config *cfg)
{
	struct out_layout o;

	return out_layout(cfg, &o) ? o.total : 0;
}

static int cmp_inst(const void *x, const void *y)
{
	nx_inst_t a = *(const nx_inst_t *)x, b = *(const nx_inst_t *)y;

	return a < b ? -1 : a > b;
}

struct nx_feed_out *nx_feed_out_init(void *mem, size_t len, const struct nx_feed_out_config *cfg,
				     nx_feed_enq_fn enq, void *ctx)
{
	struct nx_feed_out *o = mem;
	struct out_layout L;
	char *m = mem;

	if (!mem || !enq || !out_layout(cfg, &L) || len < L.total ||
	    (uintptr_t)mem % NX_CACHE_LINE) {
		errno = EINVAL;
		return NULL;
	}
	memset(mem, 0, L.total);
	o->inst = (nx_inst_t *)(m + L.inst);
	o->stale = (uint8_t *)(m + L.stale);
	o->in = (struct out_inst *)(m + L.in);
	o->lostq = (uint32_t *)(m + L.lostq);
	o->staleq = (uint32_t *)(m + L.staleq);
	o->levels = (struct nx_level_info *)(m + L.levels);
	o->image = (struct nx_feed_rec *)(m + L.image);
	o->bl = (struct nx_feed_rec *)(m + L.bl);
	o->bl_mask = L.bl_slots - 1;
	o->enq = enq;
	o->ctx = ctx;
	o->ninst = cfg->ninstruments;
	o->max_levels = cfg->max_levels;
	memcpy(o->inst, cfg->instruments, (size_t)o->ninst * sizeof(nx_inst_t));
	qsort(o->inst, o->ninst, sizeof(nx_inst_t), cmp_inst);
	for (uint32_t i = 1; i < o->ninst; i++)
		if (o->inst[i] == o->inst[i - 1]) {
			errno = EINVAL;
			return NULL;
		}
	/* Re-imaged first, in id order: the opening status. */
	memset(o->stale, 1, o->ninst);
	for (uint32_t i = 0; i < o->ninst; i++)
		o->staleq[i] = i;
	o->nstale = o->ninst;
	return o;
}

struct nx_feed_out *nx_feed_out_create(const struct nx_feed_out_config *cfg, nx_feed_enq_fn enq,
				       void *ctx)
{
	size_t n = nx_feed_out_memsize(cfg);
	void *mem;
	struct nx_feed_out *o;

	if (!n) {
		errno = EINVAL;
		return NULL;
	}
	mem = nx_mem_alloc(n);
	if (!mem)
		return NULL;
	o = nx_feed_out_init(mem, n, cfg, enq, ctx);
	if (!o)
		free(mem);
	return o;
}

void nx_feed_out_destroy(struct nx_feed_out *o)
{
	free(o);
}

/* --- Instruments --------------------------------------------------------------------- */

/* Index of inst in the sorted ids, or -1. */
static int64_t inst_index(const struct nx_feed_out *o, nx_inst_t inst)
{
	uint32_t lo = 0, hi = o->ninst;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (o->inst[mid] < inst)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < o->ninst && o->inst[lo] == inst ? (int64_t)lo : -1;
}

/* Each instrument is queued at most once (the flag), so ninst slots hold
 * the queue. */
static void mark_stale(struct nx_feed_out *o, uint32_t i)
{
	if (!o->stale[i]) {
		uint32_t at = o->staleq_head + o->nstale;

		o->staleq[at >= o->ninst ? at - o->ninst : at] = i;
		o->stale[i] = 1;
		o->nstale++;
	}
}

/* --- The backlog --------------------------------------------------------------------- */

static int bl_room(const struct nx_feed_out *o)
{
	return o->bl_tail - o->bl_head <= o->bl_mask;
}

static void bl_push(struct nx_feed_out *o, uint32_t i, const struct nx_feed_rec *r)
{
	uint64_t held;

	o->bl[o->bl_tail & o->bl_mask] = *r;
	o->in[i].bl_last = ++o->bl_tail;
	held = o->bl_tail - o->bl_head;
	if (held > o->st.backlog_hwm)
		o->st.backlog_hwm = held;
}

/* As much of the backlog onto the ring as it takes, oldest first, and no
 * more than *budget records (what is put is taken from it). Returns 1 if
 * the backlog is empty now. */
static int bl_drain(struct nx_feed_out *o, uint32_t *budget)
{
	while (o->bl_head != o->bl_tail) {
		uint64_t at = o->bl_head & o->bl_mask;
		uint64_t n = o->bl_tail - o->bl_head;
		unsigned k;

		if (n > o->bl_mask + 1 - at) /* up to the end of the slots */
			n = o->bl_mask + 1 - at;
		if (n > *budget)
			n = *budget;
		if (!n)
			return 0; /* this call's share is spent */
		k = o->enq(o->ctx, &o->bl[at], (unsigned)n, 0);
		o->bl_head += k;
		o->st.recs += k;
		*budget -= k;
		if (k < n)
			return 0; /* the ring is full */
	}
	return 1;
}

/* Waiting losses into the backlog, in the order they were first lost, as
 * far as it has room. The announcement takes the place of the lost trades:
 * whatever of the instrument was kept before them is ahead of it, and its
 * later trades were lost too until now. */
static void announce(struct nx_feed_out *o)
{
	while (o->nlost && bl_room(o)) {
		uint32_t i = o->lostq[o->lostq_head];
		struct out_inst *in = &o->in[i];

		bl_push(o, i, &(struct nx_feed_rec){ .type = NX_FEED_REC_TRADES_LOST,
						     .inst = o->inst[i], .qty = in->lost_qty,
						     .n = in->lost });
		in->lost = 0;
		in->lost_qty = 0;
		o->lostq_head = o->lostq_head + 1 == o->ninst ? 0 : o->lostq_head + 1;
		o->nlost--;
		o->st.losses_announced++;
	}
}

static void lose(struct nx_feed_out *o, uint32_t i, const struct nx_feed_rec *r)
{
	struct out_inst *in = &o->in[i];

	if (in->lost++ == 0) { /* first loss since the last announcement: queue it */
		uint32_t at = o->lostq_head + o->nlost;

		o->lostq[at >= o->ninst ? at - o->ninst : at] = i;
		o->nlost++;
	}
	in->lost_qty = in->lost_qty > INT64_MAX - r->qty ? INT64_MAX : in->lost_qty + r->qty;
	o->st.trades_lost++;
}

/* A record the ring did not take (or could not take before the backlog
 * empties). */
static void overflow(struct nx_feed_out *o, const struct nx_feed_rec *r)
{
	int64_t i = inst_index(o, r->inst);

	if (i < 0 || nx_feed_rec_check(r)) { /* the publisher would refuse it */
		o->st.invalid++;
		return;
	}
	if (r->type != NX_FEED_REC_TRADE) {
		o->st.dropped++;
		mark_stale(o, (uint32_t)i);
		return;
	}
	if (bl_room(o) && !o->in[i].lost) {
		bl_push(o, (uint32_t)i, r);
		o->st.trades_backlogged++;
	} else {
		lose(o, (uint32_t)i, r);
	}
}

/* --- Flushing ------------------------------------------------------------------------ */

NX_STATIC_ASSERT(NX_FEED_OUT_DRAIN_RECS >= NX_FEED_OUT_BUF,
		 "a flush drains at least as many as its buffer can add to the backlog");

/* nx_feed_out_flush; returns the records of the backlog it put on the ring
 * (trades and announcements), at most NX_FEED_OUT_DRAIN_RECS. */
static uint32_t out_flush(struct nx_feed_out *o)
{
	uint32_t budget = NX_FEED_OUT_DRAIN_RECS, sent = 0;
	int empty = o->bl_head == o->bl_tail;

	if (NX_UNLIKELY(!empty || o->nlost)) {
		empty = bl_drain(o, &budget);
		/* Each turn announces at least one loss: after it, no loss
		 * waits unless the backlog is full. Announcements fill only
		 * room the drains made, so the budget bounds them too; once it
		 * is spent they wait in the backlog for the next flush. */
		while (o->nlost && bl_room(o)) {
			announce(o);
			empty = bl_drain(o, &budget);
		}
	}
	if (empty && o->nbuf) { /* in the tap's order, straight on */
		sent = o->enq(o->ctx, o->buf, o->nbuf, 0);
		o->st.recs += sent;
	}
	for (uint32_t k = sent; k < o->nbuf; k++)
		overflow(o, &o->buf[k]);
	o->nbuf = 0;
	return NX_FEED_OUT_DRAIN_RECS - budget;
}

void nx_feed_out_flush(struct nx_feed_out *o)
{
	out_flush(o);
}

static void buffer(struct nx_feed_out *o)
{
	const struct nx_feed_rec *r = &o->buf[o->nbuf];

	/* A stale instrument's book changes would be applied on top of lost
	 * ones: its re-image replaces them. Its trades go on. */
	if (NX_UNLIKELY(o->nstale) && r->type != NX_FEED_REC_TRADE) {
		int64_t i = inst_index(o, r->inst);

		if (i >= 0 && o->stale[i]) {
			o->st.dropped++;
			return;
		}
	}
	if (++o->nbuf == NX_FEED_OUT_BUF)
		nx_feed_out_flush(o);
}

void nx_feed_out_event(struct nx_feed_out *o, const struct nx_event *ev)
{
	if (nx_feed_rec_of(ev, &o->buf[o->nbuf]))
		buffer(o);
}

void nx_feed_out_rec(struct nx_feed_out *o, const struct nx_feed_rec *r)
{
	o->buf[o->nbuf] = *r;
	buffer(o);
}

/* --- Re-images ----------------------------------------------------------------------- */

/* Re-images after a flush that put `put` records of the backlog: they
 * share one budget. */
static void reimage(struct nx_feed_out *o, const struct nx_book *b, uint32_t put)
{
	/* The backlog's trades first, every instrument's: an image would take
	 * the ring room they wait for (and could overtake its own). */
	if (o->bl_head != o->bl_tail || o->nlost)
		return;
	while (o->nstale && put < NX_FEED_OUT_REIMAGE_RECS) {
		uint32_t i = o->staleq[o->staleq_head];
		uint32_t n = nx_feed_image(b, o->inst[i], o->max_levels, o->levels, o->image);

		if (!o->enq(o->ctx, o->image, n, 1))
			return; /* no room yet: it stays first for next time */
		put += n;
		o->st.recs += n;
		o->stale[i] = 0;
		o->staleq_head = o->staleq_head + 1 == o->ninst ? 0 : o->staleq_head + 1;
		o->nstale--;
		o->st.reimages++;
	}
}

void nx_feed_out_reimage(struct nx_feed_out *o, const struct nx_book *b)
{
	/* the buffer may hold trades of a stale instrument */
	reimage(o, b, o->nbuf ? out_flush(o) : 0);
}

void nx_feed_out_poll(struct nx_feed_out *o, const struct nx_book *b)
{
	uint32_t put = 0;

	if (o->nbuf || o->bl_head != o->bl_tail || o->nlost)
		put = out_flush(o);
	if (NX_UNLIKELY(o->nstale))
		reimage(o, b, put);
}

/* --- Queries ------------------------------------------------------------------------- */

int nx_feed_out_idle(const struct nx_feed_out *o)
{
	return !o->nbuf && o->bl_head == o->bl_tail && !o->nlost && !o->nstale;
}

uint32_t nx_feed_out_backlog(const struct nx_feed_out *o)
{
	return (uint32_t)(o->bl_tail - o->bl_head);
}

uint32_t nx_feed_out_stale(const struct nx_feed_out *o)
{
	return o->nstale;
}

const struct nx_feed_out_stats *nx_feed_out_stats(const struct nx_feed_out *o)
{
	return &o->st;
}
