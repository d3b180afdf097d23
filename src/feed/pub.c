/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The NXM publisher of nx/feed.h: records in, MoldUDP64 packets out on
 * three channels through the caller's send callback.
 *
 * State, all in the caller's block: the open incremental packet (built in
 * place, its header written when it is sent), the history ring (message
 * seq lives in slot seq & mask, 40 bytes, the encoded message itself, so a
 * retransmission is a copy), the instrument map and per instrument the two
 * level arrays of its image, and a scratch packet for heartbeats, snapshots
 * and answers (each sent before the call returns, so one is enough).
 *
 * Sequence numbers are assigned as messages are appended. The history
 * holds every message numbered, sent or still in the open packet; an
 * answer stops before the open packet (those messages are not sent yet).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "feed_priv.h"
#include "../mem.h"

#define SNAP_MSG_OFF (NX_MOLD_HDR_LEN + NX_MOLD_BLOCK_PREFIX) /* the message in a packet */

struct pub_inst {
	nx_inst_t id;
	uint32_t n[2];          /* levels held: bids, asks */
	uint8_t incomplete;     /* a level was dropped at max_levels since the last CLEAR */
	uint8_t status;         /* from the last STATUS record; 0: none yet */
};

struct nx_feed_pub {
	/* The open incremental packet: count 0 means none is open. */
	uint8_t *pkt;
	size_t off;
	uint32_t count;
	uint64_t first_seq;     /* of the open packet's first message */
	uint64_t next_seq;      /* the number the next message gets */
	uint64_t last_tx_ns;    /* last packet on the incremental channel */
	uint8_t *hist;
	uint64_t hist_mask;     /* slots - 1 */
	struct feed_map map;
	struct pub_inst *inst;
	struct nx_level_info *lv;
	uint8_t *scratch;
	nx_feed_send_fn send;
	void *ctx;

	char session[NX_MOLD_SESSION_LEN];
	uint8_t ended;
	uint16_t retrans_max;
	uint32_t payload, max_levels, ninst;
	uint32_t snap_per;      /* levels per snapshot packet */
	uint64_t heartbeat_ns, snapshot_ns, snap_step;
	uint64_t snap_due;      /* when instrument snap_next is due */
	uint32_t snap_next;
	uint64_t snap_seq;      /* snapshot channel: next sequence number */

	/* Retransmission budgets (GCRA): an answer every *_step ns, bursts of
	 * up to *_slack + 1 steps. A bucket's tat is when it is full again
	 * ("theoretical arrival time"); 0 steps means no limit. */
	uint64_t req_step, req_slack, total_step, total_slack, total_tat;
	struct pub_requester {
		uint32_t ip;
		uint16_t port;
		uint8_t used;
		uint64_t tat;
	} reqr[NX_FEED_PUB_REQUESTERS];

	struct nx_feed_pub_stats st;
};

/* --- Lifecycle --------------------------------------------------------------------- */

struct pub_layout {
	size_t pkt, scratch, hist, slots, inst, lv, total;
	uint32_t payload, snap_per;
	uint64_t hist_slots;
};

static int pub_cfg_ok(const struct nx_feed_pub_config *cfg)
{
	if (!cfg || !cfg->instruments || cfg->ninstruments == 0 ||
	    cfg->ninstruments > NX_FEED_MAX_INSTRUMENTS || cfg->max_levels == 0 ||
	    cfg->max_levels > NX_FEED_MAX_LEVELS || cfg->history == 0 ||
	    cfg->history > NX_FEED_MAX_HISTORY || cfg->max_payload > NX_FEED_PAYLOAD_MAX ||
	    (cfg->max_payload && cfg->max_payload < NX_FEED_PAYLOAD_MIN) ||
	    cfg->retrans_rate > NX_FEED_MAX_RETRANS_RATE ||
	    cfg->retrans_total_rate > NX_FEED_MAX_RETRANS_RATE)
		return 0;
	for (uint32_t i = 0; i < cfg->ninstruments; i++)
		if (cfg->instruments[i] == 0)
			return 0;
	return 1;
}

static int pub_layout(const struct nx_feed_pub_config *cfg, struct pub_layout *o)
{
	struct feed_layout L = { .off = sizeof(struct nx_feed_pub) };
	uint64_t levels;

	if (!pub_cfg_ok(cfg))
		return 0;
	o->payload = cfg->max_payload ? cfg->max_payload : NX_FEED_PAYLOAD_DEFAULT;
	o->snap_per = (o->payload - SNAP_MSG_OFF - NX_FEED_SNAPSHOT_HDR_LEN) / NX_FEED_LEVEL_BLOCK;
	if (2ull * cfg->max_levels > (uint64_t)o->snap_per * UINT16_MAX)
		return 0;
	o->hist_slots = nx_pow2_ceil_u64(cfg->history);
	levels = 2ull * cfg->ninstruments * cfg->max_levels;
	L.off = (L.off + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1);
	o->pkt = feed_lay(&L, o->payload, 1);
	o->scratch = feed_lay(&L, o->payload, 1);
	o->hist = feed_lay(&L, o->hist_slots, NX_FEED_MSG_MAX);
	o->slots = feed_lay(&L, feed_map_slots(cfg->ninstruments), sizeof(struct feed_map_slot));
	o->inst = feed_lay(&L, cfg->ninstruments, sizeof(struct pub_inst));
	o->lv = feed_lay(&L, levels, sizeof(struct nx_level_info));
	o->total = L.off;
	return !L.bad;
}

size_t nx_feed_pub_memsize(const struct nx_feed_pub_config *cfg)
{
	struct pub_layout o;

	return pub_layout(cfg, &o) ? o.total : 0;
}

static void pub_set_config(struct nx_feed_pub *p, const struct nx_feed_pub_config *cfg,
			   const struct pub_layout *o)
{
	memcpy(p->session, cfg->session, NX_MOLD_SESSION_LEN);
	p->payload = o->payload;
	p->snap_per = o->snap_per;
	p->hist_mask = o->hist_slots - 1;
	p->retrans_max = cfg->retrans_max;
	if (cfg->retrans_rate) {
		p->req_step = 1000000000u / cfg->retrans_rate;
		p->req_slack = 1000000000u - p->req_step;
	}
	if (cfg->retrans_total_rate) {
		p->total_step = 1000000000u / cfg->retrans_total_rate;
		p->total_slack = 1000000000u - p->total_step;
	}
	p->max_levels = cfg->max_levels;
	p->ninst = cfg->ninstruments;
	p->heartbeat_ns = cfg->heartbeat_ns;
	p->snapshot_ns = cfg->snapshot_ns;
	p->snap_step = cfg->snapshot_ns / cfg->ninstruments;
	if (p->snap_step == 0)
		p->snap_step = 1;
	p->next_seq = 1;
	p->snap_seq = 1;
}

struct nx_feed_pub *nx_feed_pub_init(void *mem, size_t len, const struct nx_feed_pub_config *cfg,
				     nx_feed_send_fn send, void *ctx)
{
	struct nx_feed_pub *p = mem;
	struct pub_layout o;
	int added;

	if (!mem || !send || !pub_layout(cfg, &o) || len < o.total ||
	    (uintptr_t)mem % NX_CACHE_LINE)
		goto err;
	memset(mem, 0, o.total);
	p->pkt = (uint8_t *)mem + o.pkt;
	p->scratch = (uint8_t *)mem + o.scratch;
	p->hist = (uint8_t *)mem + o.hist;
	feed_map_init(&p->map, (struct feed_map_slot *)((char *)mem + o.slots), cfg->ninstruments);
	p->inst = (struct pub_inst *)((char *)mem + o.inst);
	p->lv = (struct nx_level_info *)((char *)mem + o.lv);
	p->send = send;
	p->ctx = ctx;
	pub_set_config(p, cfg, &o);
	for (uint32_t i = 0; i < cfg->ninstruments; i++) {
		if (feed_map_get(&p->map, cfg->instruments[i], &added) < 0 || !added)
			goto err; /* a duplicate id */
		p->inst[i].id = cfg->instruments[i];
	}
	return p;
err:
	errno = EINVAL;
	return NULL;
}

struct nx_feed_pub *nx_feed_pub_create(const struct nx_feed_pub_config *cfg,
				       nx_feed_send_fn send, void *ctx)
{
	size_t n = nx_feed_pub_memsize(cfg);
	void *mem = nx_mem_alloc(n);
	struct nx_feed_pub *p;

	if (!mem)
		return NULL;
	p = nx_feed_pub_init(mem, n, cfg, send, ctx);
	if (!p)
		free(mem);
	return p;
}

void nx_feed_pub_destroy(struct nx_feed_pub *p)
{
	free(p);
}

/* --- Sending ------------------------------------------------------------------------- */

static int drop(struct nx_feed_pub *p, int reason)
{
	p->st.drops[-reason]++;
	return reason;
}

static void tx(struct nx_feed_pub *p, unsigned ch, const uint8_t *pkt, size_t len,
	       struct nx_addr to, uint64_t now_ns)
{
	p->send(p->ctx, ch, pkt, len, to);
	p->st.pkts[ch]++;
	p->st.bytes[ch] += len;
	if (ch == NX_FEED_INCREMENTAL)
		p->last_tx_ns = now_ns;
}

static const struct nx_addr group = { .ip = 0, .port = 0 };

/* A header-only incremental packet: heartbeat or end of session. */
static void tx_hdr(struct nx_feed_pub *p, uint16_t count, uint64_t now_ns)
{
	nx_mold_hdr_write(p->scratch, p->session, p->next_seq, count);
	tx(p, NX_FEED_INCREMENTAL, p->scratch, NX_MOLD_HDR_LEN, group, now_ns);
	if (count == NX_MOLD_COUNT_END)
		p->st.ends++;
	else
		p->st.heartbeats++;
}

void nx_feed_pub_flush(struct nx_feed_pub *p, uint64_t now_ns)
{
	if (p->count == 0)
		return;
	nx_mold_hdr_write(p->pkt, p->session, p->first_seq, (uint16_t)p->count);
	tx(p, NX_FEED_INCREMENTAL, p->pkt, p->off, group, now_ns);
	p->count = 0;
}

static uint8_t *hist_slot(const struct nx_feed_pub *p, uint64_t seq)
{
	return p->hist + (seq & p->hist_mask) * NX_FEED_MSG_MAX;
}

/* A kept message's length, from its own SBE header. */
static size_t hist_len(const uint8_t *m)
{
	return NX_FEED_SBE_HDR_LEN + feed_ld16(m);
}

/* Append message seq to the open packet: the packet goes when the message
 * does not fit, and again when no message could follow it. */
static void append(struct nx_feed_pub *p, uint64_t seq, const uint8_t *m, size_t len,
		   uint64_t now_ns)
{
	if (p->count && (p->payload - p->off < NX_MOLD_BLOCK_PREFIX + len ||
			 p->count == NX_MOLD_COUNT_MAX))
		nx_feed_pub_flush(p, now_ns);
	if (p->count == 0) {
		p->first_seq = seq;
		p->off = NX_MOLD_HDR_LEN;
	}
	nx_mold_block_put(p->pkt, p->payload, &p->off, m, len);
	p->count++;
	if (p->payload - p->off < NX_MOLD_BLOCK_PREFIX + NX_FEED_MSG_MIN)
		nx_feed_pub_flush(p, now_ns);
}

/* --- Records ------------------------------------------------------------------------- */

static struct nx_level_info *side_lv(const struct nx_feed_pub *p, uint32_t idx, unsigned side)
{
	return p->lv + ((size_t)idx * 2 + side - 1) * p->max_levels;
}

static void image_apply(struct nx_feed_pub *p, uint32_t idx, const struct nx_feed_rec *r)
{
	struct pub_inst *in = &p->inst[idx];
	int rc;

	if (r->type == NX_FEED_REC_CLEAR) {
		in->n[0] = in->n[1] = 0;
		in->incomplete = r->n & NX_FEED_CLEAR_TRUNCATED ? 1 : 0;
		return;
	}
	if (r->type == NX_FEED_REC_STATUS) {
		in->status = (uint8_t)r->n;
		return;
	}
	if (r->type != NX_FEED_REC_LEVEL)
		return;
	rc = feed_levels_set(side_lv(p, idx, r->side), &in->n[r->side - 1], p->max_levels,
			     r->side, r->px, r->qty, (uint32_t)r->n);
	if (rc == FEED_SET_OVERFLOW) {
		p->st.level_overflow++;
		in->incomplete = 1;
	} else if (rc == FEED_SET_UNKNOWN) {
		p->st.level_unknown++;
	}
}

void nx_feed_pub_rec(struct nx_feed_pub *p, const struct nx_feed_rec *r, uint64_t now_ns)
{
	int64_t idx;
	uint64_t seq;
	uint8_t *slot;
	int rc;

	if (p->ended) {
		drop(p, NX_FEED_PUB_AFTER_END);
		return;
	}
	rc = nx_feed_rec_check(r);
	if (rc) {
		drop(p, rc);
		return;
	}
	idx = feed_map_find(&p->map, r->inst);
	if (idx < 0) {
		drop(p, NX_FEED_PUB_BAD_INSTRUMENT);
		return;
	}
	image_apply(p, (uint32_t)idx, r);
	p->st.recs[r->type]++;
	seq = p->next_seq++;
	p->st.msgs = seq;
	slot = hist_slot(p, seq);
	append(p, seq, slot, nx_feed_encode_rec(slot, NX_FEED_MSG_MAX, r), now_ns);
}

/* The shards' rings, a quota from each in turn (nx/feed.h). */
uint64_t nx_feed_pub_drain(struct nx_feed_pub *p, nx_feed_deq_fn deq, void *ctx, uint32_t nsrc,
			   unsigned quota, uint64_t now_ns)
{
	struct nx_feed_rec r[NX_FEED_DRAIN_CHUNK];
	uint64_t total = 0;

	for (uint32_t src = 0; src < nsrc && quota; src++) {
		unsigned left = quota, want, n;

		do {
			want = left < NX_FEED_DRAIN_CHUNK ? left : NX_FEED_DRAIN_CHUNK;
			n = deq(ctx, src, r, want);
			for (unsigned k = 0; k < n; k++)
				nx_feed_pub_rec(p, &r[k], now_ns);
			left -= n;
			total += n;
		} while (n == want && left);
	}
	if (total)
		nx_feed_pub_flush(p, now_ns);
	return total;
}

/* --- Snapshots ----------------------------------------------------------------------- */

/* Level k of an instrument's image: bids best first, then asks. */
static const struct nx_level_info *image_level(const struct nx_feed_pub *p, uint32_t idx,
					       uint32_t k, unsigned *side)
{
	uint32_t nb = p->inst[idx].n[0];

	*side = k < nb ? NX_SIDE_BUY : NX_SIDE_SELL;
	return side_lv(p, idx, *side) + (k < nb ? k : k - nb);
}

/* One SnapshotLevels packet with levels [*k, *k + snap_per) of the image. */
static void snapshot_chunk(struct nx_feed_pub *p, uint32_t idx, const struct nx_feed_snap *h,
			   uint32_t *k, uint32_t total, uint64_t now_ns)
{
	uint8_t *m = p->scratch + SNAP_MSG_OFF;
	size_t cap = p->payload - SNAP_MSG_OFF;
	size_t len = nx_feed_encode_snap(m, cap, h);
	unsigned side;

	/* Image levels are valid entries and snap_per of them fit: no failure. */
	for (uint32_t j = 0; j < p->snap_per && *k < total; j++, (*k)++) {
		const struct nx_level_info *lv = image_level(p, idx, *k, &side);

		nx_feed_snap_put(m, cap, &len, side, lv);
	}
	nx_mold_hdr_write(p->scratch, p->session, p->snap_seq++, 1);
	nx_itch_st_be16(p->scratch + NX_MOLD_HDR_LEN, (uint16_t)len);
	tx(p, NX_FEED_SNAPSHOT, p->scratch, SNAP_MSG_OFF + len, group, now_ns);
}

static void snapshot(struct nx_feed_pub *p, uint32_t idx, uint64_t now_ns)
{
	const struct pub_inst *in = &p->inst[idx];
	uint32_t total = in->n[0] + in->n[1], k = 0;
	struct nx_feed_snap h = {
		.inst = in->id,
		.chunks = (uint16_t)(total ? (total + p->snap_per - 1) / p->snap_per : 1),
		.flags = in->incomplete ? NX_FEED_SNAP_INCOMPLETE : 0,
		.status = in->status,
	};

	nx_feed_pub_flush(p, now_ns); /* so that last_seq names sent messages only */
	h.last_seq = p->next_seq - 1;
	for (h.chunk = 0; h.chunk < h.chunks; h.chunk++)
		snapshot_chunk(p, idx, &h, &k, total, now_ns);
	p->st.snapshots++;
}

static void poll_snapshots(struct nx_feed_pub *p, uint64_t now_ns)
{
	if (now_ns > p->snap_due && now_ns - p->snap_due > p->snapshot_ns)
		p->snap_due = now_ns; /* more than a cycle behind: restart from now */
	for (uint32_t i = 0; i < p->ninst && now_ns >= p->snap_due; i++) {
		snapshot(p, p->snap_next, now_ns);
		p->snap_next = p->snap_next + 1 == p->ninst ? 0 : p->snap_next + 1;
		p->snap_due += p->snap_step;
	}
}

void nx_feed_pub_poll(struct nx_feed_pub *p, uint64_t now_ns)
{
	if (p->heartbeat_ns && now_ns >= p->last_tx_ns &&
	    now_ns - p->last_tx_ns >= p->heartbeat_ns) {
		if (p->ended)
			tx_hdr(p, NX_MOLD_COUNT_END, now_ns);
		else if (p->count)
			nx_feed_pub_flush(p, now_ns);
		else
			tx_hdr(p, NX_MOLD_COUNT_HEARTBEAT, now_ns);
	}
	if (p->snapshot_ns && !p->ended)
		poll_snapshots(p, now_ns);
}

void nx_feed_pub_end(struct nx_feed_pub *p, uint64_t now_ns)
{
	nx_feed_pub_flush(p, now_ns);
	p->ended = 1;
	tx_hdr(p, NX_MOLD_COUNT_END, now_ns);
}

/* --- Retransmission ------------------------------------------------------------------ */

/* Check a request; 0 with *seq and *n (messages to send) set, or a reason. */
static int request_range(const struct nx_feed_pub *p, const uint8_t *req, size_t len,
			 uint64_t *seq, uint64_t *n)
{
	char sess[NX_MOLD_SESSION_LEN];
	uint64_t sent_end = p->count ? p->first_seq : p->next_seq; /* one past the last sent */
	uint64_t oldest = p->next_seq > p->hist_mask + 1 ? p->next_seq - p->hist_mask - 1 : 1;
	uint16_t count;

	if (nx_mold_request_parse(req, len, sess, seq, &count))
		return NX_FEED_PUB_REQ_LENGTH;
	if (memcmp(sess, p->session, NX_MOLD_SESSION_LEN))
		return NX_FEED_PUB_REQ_SESSION;
	if (*seq == 0 || count == 0)
		return NX_FEED_PUB_REQ_RANGE;
	if (*seq >= sent_end)
		return NX_FEED_PUB_REQ_FUTURE;
	if (*seq < oldest)
		return NX_FEED_PUB_REQ_TOO_OLD;
	*n = sent_end - *seq;
	if (*n > count)
		*n = count;
	if (p->retrans_max && *n > p->retrans_max)
		*n = p->retrans_max;
	if (*n > NX_MOLD_COUNT_MAX)
		*n = NX_MOLD_COUNT_MAX;
	return 0;
}

/* GCRA: may a bucket whose full-again time is tat give one more answer at
 * now? If so, *next is its new full-again time (not stored yet: the caller
 * commits only when every bucket agrees). */
static int budget_ok(uint64_t tat, uint64_t step, uint64_t slack, uint64_t now, uint64_t *next)
{
	uint64_t t = tat > now ? tat : now;

	if (t - now > slack)
		return 0;
	*next = t + step;
	return 1;
}

/* The requester's slot: its own, or taken over with a full budget. */
static struct pub_requester *requester(struct nx_feed_pub *p, struct nx_addr a)
{
	uint64_t key = (uint64_t)a.ip << 16 | a.port;
	struct pub_requester *r =
		&p->reqr[(key * UINT64_C(0x9e3779b97f4a7c15)) >> 56]; /* 256 slots */

	NX_STATIC_ASSERT(NX_FEED_PUB_REQUESTERS == 256, "the hash takes the top 8 bits");
	if (!r->used || r->ip != a.ip || r->port != a.port) {
		p->st.requester_evictions += r->used;
		*r = (struct pub_requester){ .ip = a.ip, .port = a.port, .used = 1, .tat = 0 };
	}
	return r;
}

/* Take one answer from the requester's and the total budget, or refuse. */
static int budget_take(struct nx_feed_pub *p, struct nx_addr from, uint64_t now)
{
	uint64_t rt = 0, tt = 0;
	struct pub_requester *r = NULL;

	if (p->req_step) {
		r = requester(p, from);
		if (!budget_ok(r->tat, p->req_step, p->req_slack, now, &rt))
			return 0;
	}
	if (p->total_step && !budget_ok(p->total_tat, p->total_step, p->total_slack, now, &tt))
		return 0;
	if (r)
		r->tat = rt;
	if (p->total_step)
		p->total_tat = tt;
	return 1;
}

int nx_feed_pub_request(struct nx_feed_pub *p, const uint8_t *req, size_t len,
			struct nx_addr from, uint64_t now_ns)
{
	uint64_t seq, n, k;
	size_t off = NX_MOLD_HDR_LEN;
	int rc;

	p->st.requests++;
	rc = request_range(p, req, len, &seq, &n);
	if (rc)
		return drop(p, rc);
	if (!budget_take(p, from, now_ns))
		return drop(p, NX_FEED_PUB_REQ_THROTTLED);
	for (k = 0; k < n; k++) {
		const uint8_t *m = hist_slot(p, seq + k);

		if (nx_mold_block_put(p->scratch, p->payload, &off, m, hist_len(m)))
			break;
	}
	nx_mold_hdr_write(p->scratch, p->session, seq, (uint16_t)k);
	tx(p, NX_FEED_RETRANSMIT, p->scratch, off, from, now_ns);
	p->st.answers++;
	p->st.retrans_msgs += k;
	return (int)k;
}

const struct nx_feed_pub_stats *nx_feed_pub_stats(const struct nx_feed_pub *p)
{
	return &p->st;
}
