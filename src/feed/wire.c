/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * NXM wire codec of nx/feed.h: records from engine events and books, record checks,
 * the five incremental messages and the snapshot encoded and decoded, names of errors and drops. No
 * framing here (MoldUDP64 is nx/moldudp.h's) and no state.
 */
#include <errno.h>
#include <string.h>

#include "feed_priv.h"

#define NX_X_(name, code, text) +1
NX_STATIC_ASSERT(1 NX_FEED_ERRS(NX_X_) == NX_FEED_ERR_MAX, "NX_FEED_ERR_MAX = errors + 1");
NX_STATIC_ASSERT(1 NX_FEED_PUB_DROPS(NX_X_) == NX_FEED_PUB_DROP_MAX,
		 "NX_FEED_PUB_DROP_MAX = reasons + 1");
#undef NX_X_

/* Block lengths sent, by template; BLOCK_SNAPSHOT_V1 and BLOCK_CLEAR_V2
 * are the shortest read (a version-1 SnapshotLevels, without status; a
 * BookClear before version 3, without flags). */
#define BLOCK_LEVEL    ((uint16_t)sizeof(struct nx_feed_wire_level))
#define BLOCK_TRADE    ((uint16_t)sizeof(struct nx_feed_wire_trade))
#define BLOCK_CLEAR    ((uint16_t)sizeof(struct nx_feed_wire_clear))
#define BLOCK_STATUS   ((uint16_t)sizeof(struct nx_feed_wire_status))
#define BLOCK_TRADES_LOST ((uint16_t)sizeof(struct nx_feed_wire_trades_lost))
#define BLOCK_SNAPSHOT ((uint16_t)sizeof(struct nx_feed_wire_snapshot))
#define BLOCK_SNAPSHOT_V1 ((uint16_t)offsetof(struct nx_feed_wire_snapshot, status))
#define BLOCK_CLEAR_V2 ((uint16_t)offsetof(struct nx_feed_wire_clear, flags))

int nx_feed_rec_of(const struct nx_event *ev, struct nx_feed_rec *r)
{
	switch (ev->type) {
	case NX_EV_LEVEL:
		*r = (struct nx_feed_rec){ .type = NX_FEED_REC_LEVEL, .side = ev->u.level.side,
					   .inst = ev->u.level.inst, .px = ev->u.level.px,
					   .qty = ev->u.level.qty, .n = ev->u.level.count };
		return 1;
	case NX_EV_TRADE:
		*r = (struct nx_feed_rec){ .type = NX_FEED_REC_TRADE,
					   .side = ev->u.trade.aggressor,
					   .inst = ev->u.trade.inst, .px = ev->u.trade.px,
					   .qty = ev->u.trade.qty, .n = ev->u.trade.tid };
		return 1;
	case NX_EV_STATUS:
		*r = (struct nx_feed_rec){ .type = NX_FEED_REC_STATUS, .inst = ev->u.status.inst,
					   .n = ev->u.status.status };
		return 1;
	default:
		return 0;
	}
}

uint32_t nx_feed_image(const struct nx_book *b, nx_inst_t inst, uint32_t max_levels,
		       struct nx_level_info *scratch, struct nx_feed_rec *out)
{
	struct nx_instrument in;
	uint32_t n = 0;

	out[n++] = (struct nx_feed_rec){ .type = NX_FEED_REC_CLEAR, .inst = inst };
	if (!nx_book_instrument(b, inst, &in))
		out[n++] = (struct nx_feed_rec){ .type = NX_FEED_REC_STATUS, .inst = inst,
						 .n = in.status };
	for (unsigned side = NX_SIDE_BUY; side <= NX_SIDE_SELL; side++) {
		/* One level past what is sent says whether the side is cut. */
		int k = nx_book_depth(b, inst, side, scratch, max_levels + 2);
		if (k > 0 && (uint32_t)k > max_levels + 1) { /* deeper than the image */
			out[0].n = NX_FEED_CLEAR_TRUNCATED;
			k = (int)(max_levels + 1);
		}
		for (int j = 0; j < k; j++)
			out[n++] = (struct nx_feed_rec){ .type = NX_FEED_REC_LEVEL,
							 .side = (uint8_t)side, .inst = inst,
							 .px = scratch[j].px, .qty = scratch[j].qty,
							 .n = scratch[j].count };
	}
	return n;
}

void nx_feed_session_name(char out[10], uint64_t unix_ms)
{
	static const char digit[36] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

	out[0] = 'N';
	out[1] = 'X';
	for (int i = 9; i >= 2; i--) {
		out[i] = digit[unix_ms % 36];
		unix_ms /= 36;
	}
}

static int side_ok(unsigned side)
{
	return side == NX_SIDE_BUY || side == NX_SIDE_SELL;
}

/* A level as the wire carries it: qty >= 0, orders 0 exactly when qty is
 * 0, orders within 32 bits. */
static int level_ok(nx_qty_t qty, uint64_t orders)
{
	return qty >= 0 && (qty == 0) == (orders == 0) && orders <= UINT32_MAX;
}

static int status_ok(uint64_t status)
{
	return status >= NX_STATUS_OPEN && status <= NX_STATUS_CLOSED;
}

int nx_feed_rec_check(const struct nx_feed_rec *r)
{
	if (r->type < NX_FEED_REC_LEVEL || r->type > NX_FEED_REC_TRADES_LOST)
		return NX_FEED_PUB_BAD_TYPE;
	if (r->inst == 0)
		return NX_FEED_PUB_BAD_INSTRUMENT;
	if (r->type == NX_FEED_REC_CLEAR)
		return r->n & ~(uint64_t)NX_FEED_CLEAR_TRUNCATED ? NX_FEED_PUB_BAD_FLAGS : 0;
	if (r->type == NX_FEED_REC_STATUS)
		return status_ok(r->n) ? 0 : NX_FEED_PUB_BAD_STATUS;
	if (r->type == NX_FEED_REC_TRADES_LOST) /* a count of nothing announces nothing */
		return r->n > 0 && r->qty > 0 ? 0 : NX_FEED_PUB_BAD_QTY;
	if (!side_ok(r->side))
		return NX_FEED_PUB_BAD_SIDE;
	if (r->type == NX_FEED_REC_LEVEL ? !level_ok(r->qty, r->n) : r->qty <= 0)
		return NX_FEED_PUB_BAD_QTY;
	return 0;
}

/* --- Encoding ------------------------------------------------------------------------- */

static void put_hdr(uint8_t *out, uint16_t block_len, uint16_t tpl)
{
	struct nx_feed_sbe_hdr *h = (void *)out;

	feed_st16(h->block_len, block_len);
	feed_st16(h->template_id, tpl);
	feed_st16(h->schema_id, NX_FEED_SCHEMA_ID);
	feed_st16(h->version, NX_FEED_VERSION);
}

static size_t put_level(uint8_t *out, const struct nx_feed_rec *r)
{
	struct nx_feed_wire_level *w = (void *)(out + NX_FEED_SBE_HDR_LEN);

	put_hdr(out, BLOCK_LEVEL, NX_FEED_TPL_LEVEL_UPDATE);
	feed_st32(w->inst, r->inst);
	feed_st32(w->orders, (uint32_t)r->n);
	feed_st64(w->px, (uint64_t)r->px);
	feed_st64(w->qty, (uint64_t)r->qty);
	w->side = r->side;
	return NX_FEED_LEVEL_UPDATE_LEN;
}

static size_t put_trade(uint8_t *out, const struct nx_feed_rec *r)
{
	struct nx_feed_wire_trade *w = (void *)(out + NX_FEED_SBE_HDR_LEN);

	put_hdr(out, BLOCK_TRADE, NX_FEED_TPL_TRADE);
	feed_st32(w->inst, r->inst);
	w->side = r->side;
	memset(w->reserved, 0, sizeof(w->reserved));
	feed_st64(w->tid, r->n);
	feed_st64(w->px, (uint64_t)r->px);
	feed_st64(w->qty, (uint64_t)r->qty);
	return NX_FEED_TRADE_LEN;
}

static size_t put_clear(uint8_t *out, const struct nx_feed_rec *r)
{
	struct nx_feed_wire_clear *w = (void *)(out + NX_FEED_SBE_HDR_LEN);

	put_hdr(out, BLOCK_CLEAR, NX_FEED_TPL_BOOK_CLEAR);
	feed_st32(w->inst, r->inst);
	w->flags = (uint8_t)r->n;
	memset(w->reserved, 0, sizeof(w->reserved));
	return NX_FEED_CLEAR_LEN;
}

static size_t put_status(uint8_t *out, const struct nx_feed_rec *r)
{
	struct nx_feed_wire_status *w = (void *)(out + NX_FEED_SBE_HDR_LEN);

	put_hdr(out, BLOCK_STATUS, NX_FEED_TPL_INSTRUMENT_STATUS);
	feed_st32(w->inst, r->inst);
	w->status = (uint8_t)r->n;
	memset(w->reserved, 0, sizeof(w->reserved));
	return NX_FEED_STATUS_LEN;
}

static size_t put_trades_lost(uint8_t *out, const struct nx_feed_rec *r)
{
	struct nx_feed_wire_trades_lost *w = (void *)(out + NX_FEED_SBE_HDR_LEN);

	put_hdr(out, BLOCK_TRADES_LOST, NX_FEED_TPL_TRADES_LOST);
	feed_st32(w->inst, r->inst);
	memset(w->reserved, 0, sizeof(w->reserved));
	feed_st64(w->count, r->n);
	feed_st64(w->qty, (uint64_t)r->qty);
	return NX_FEED_TRADES_LOST_LEN;
}

size_t nx_feed_encode_rec(uint8_t *out, size_t cap, const struct nx_feed_rec *r)
{
	if (nx_feed_rec_check(r))
		return 0;
	switch (r->type) {
	case NX_FEED_REC_LEVEL: return cap < NX_FEED_LEVEL_UPDATE_LEN ? 0 : put_level(out, r);
	case NX_FEED_REC_TRADE: return cap < NX_FEED_TRADE_LEN ? 0 : put_trade(out, r);
	case NX_FEED_REC_STATUS: return cap < NX_FEED_STATUS_LEN ? 0 : put_status(out, r);
	case NX_FEED_REC_TRADES_LOST:
		return cap < NX_FEED_TRADES_LOST_LEN ? 0 : put_trades_lost(out, r);
	default:                return cap < NX_FEED_CLEAR_LEN ? 0 : put_clear(out, r);
	}
}

size_t nx_feed_encode_snap(uint8_t *out, size_t cap, const struct nx_feed_snap *h)
{
	struct nx_feed_wire_snapshot *w = (void *)(out + NX_FEED_SBE_HDR_LEN);
	struct nx_feed_wire_group *g = (void *)(out + NX_FEED_SBE_HDR_LEN + BLOCK_SNAPSHOT);

	if (cap < NX_FEED_SNAPSHOT_HDR_LEN)
		return 0;
	put_hdr(out, BLOCK_SNAPSHOT, NX_FEED_TPL_SNAPSHOT_LEVELS);
	feed_st32(w->inst, h->inst);
	feed_st16(w->chunk, h->chunk);
	feed_st16(w->chunks, h->chunks);
	feed_st64(w->last_seq, h->last_seq);
	w->flags = h->flags;
	w->status = h->status;
	feed_st16(g->block_len, NX_FEED_LEVEL_BLOCK);
	feed_st16(g->num_in_group, 0);
	return NX_FEED_SNAPSHOT_HDR_LEN;
}

int nx_feed_snap_put(uint8_t *out, size_t cap, size_t *len, unsigned side,
		     const struct nx_level_info *lv)
{
	struct nx_feed_wire_group *g = (void *)(out + NX_FEED_SBE_HDR_LEN + BLOCK_SNAPSHOT);
	struct nx_feed_wire_snap_level *e = (void *)(out + *len);
	uint16_t n = feed_ld16(g->num_in_group);

	if (!side_ok(side) || lv->qty <= 0 || lv->count == 0)
		return -EINVAL;
	if (*len > cap || cap - *len < NX_FEED_LEVEL_BLOCK || n == UINT16_MAX)
		return -ENOSPC;
	feed_st64(e->px, (uint64_t)lv->px);
	feed_st64(e->qty, (uint64_t)lv->qty);
	feed_st32(e->orders, lv->count);
	e->side = (uint8_t)side;
	feed_st16(g->num_in_group, (uint16_t)(n + 1));
	*len += NX_FEED_LEVEL_BLOCK;
	return 0;
}

/* --- Decoding ------------------------------------------------------------------------- */

static int get_level(const uint8_t *b, struct nx_feed_msg *m)
{
	const struct nx_feed_wire_level *w = (const void *)b;

	m->rec = (struct nx_feed_rec){ .type = NX_FEED_REC_LEVEL, .side = w->side,
				       .inst = feed_ld32(w->inst),
				       .px = (nx_px_t)feed_ld64(w->px),
				       .qty = (nx_qty_t)feed_ld64(w->qty),
				       .n = feed_ld32(w->orders) };
	return nx_feed_rec_check(&m->rec) ? NX_FEED_ERR_BAD_FIELD : NX_FEED_TPL_LEVEL_UPDATE;
}

static int get_trade(const uint8_t *b, struct nx_feed_msg *m)
{
	const struct nx_feed_wire_trade *w = (const void *)b;

	m->rec = (struct nx_feed_rec){ .type = NX_FEED_REC_TRADE, .side = w->side,
				       .inst = feed_ld32(w->inst),
				       .px = (nx_px_t)feed_ld64(w->px),
				       .qty = (nx_qty_t)feed_ld64(w->qty),
				       .n = feed_ld64(w->tid) };
	return nx_feed_rec_check(&m->rec) ? NX_FEED_ERR_BAD_FIELD : NX_FEED_TPL_TRADE;
}

static int get_clear(const uint8_t *b, uint16_t block_len, struct nx_feed_msg *m)
{
	const struct nx_feed_wire_clear *w = (const void *)b;

	/* flags bits this version does not know are a later version's: ignored */
	m->rec = (struct nx_feed_rec){ .type = NX_FEED_REC_CLEAR, .inst = feed_ld32(w->inst),
				       .n = block_len > BLOCK_CLEAR_V2
						    ? w->flags & NX_FEED_CLEAR_TRUNCATED : 0 };
	return nx_feed_rec_check(&m->rec) ? NX_FEED_ERR_BAD_FIELD : NX_FEED_TPL_BOOK_CLEAR;
}

static int get_status(const uint8_t *b, struct nx_feed_msg *m)
{
	const struct nx_feed_wire_status *w = (const void *)b;

	m->rec = (struct nx_feed_rec){ .type = NX_FEED_REC_STATUS, .inst = feed_ld32(w->inst),
				       .n = w->status };
	return nx_feed_rec_check(&m->rec) ? NX_FEED_ERR_BAD_FIELD : NX_FEED_TPL_INSTRUMENT_STATUS;
}

static int get_trades_lost(const uint8_t *b, struct nx_feed_msg *m)
{
	const struct nx_feed_wire_trades_lost *w = (const void *)b;

	m->rec = (struct nx_feed_rec){ .type = NX_FEED_REC_TRADES_LOST, .inst = feed_ld32(w->inst),
				       .qty = (nx_qty_t)feed_ld64(w->qty),
				       .n = feed_ld64(w->count) };
	return nx_feed_rec_check(&m->rec) ? NX_FEED_ERR_BAD_FIELD : NX_FEED_TPL_TRADES_LOST;
}

static int entry_ok(const uint8_t *p)
{
	const struct nx_feed_wire_snap_level *e = (const void *)p;

	return side_ok(e->side) && (int64_t)feed_ld64(e->qty) > 0 && feed_ld32(e->orders) > 0;
}

/* The group after the block: [g, end). */
static int get_group(const uint8_t *g, const uint8_t *end, struct nx_feed_msg *m)
{
	const struct nx_feed_wire_group *gh = (const void *)g;
	size_t stride, n;

	if ((size_t)(end - g) < sizeof(*gh))
		return NX_FEED_ERR_TRUNCATED;
	stride = feed_ld16(gh->block_len);
	n = feed_ld16(gh->num_in_group);
	if (stride < NX_FEED_LEVEL_BLOCK)
		return NX_FEED_ERR_GROUP_SHORT;
	g += sizeof(*gh);
	if (n > (size_t)(end - g) / stride)
		return NX_FEED_ERR_GROUP_TRUNCATED;
	for (size_t i = 0; i < n; i++)
		if (!entry_ok(g + i * stride))
			return NX_FEED_ERR_BAD_FIELD;
	m->levels = g;
	m->level_stride = (uint16_t)stride;
	m->nlevels = (uint16_t)n;
	return NX_FEED_TPL_SNAPSHOT_LEVELS;
}

static int get_snapshot(const uint8_t *b, const uint8_t *end, uint16_t block_len,
			struct nx_feed_msg *m)
{
	const struct nx_feed_wire_snapshot *w = (const void *)b;

	m->snap = (struct nx_feed_snap){ .inst = feed_ld32(w->inst), .chunk = feed_ld16(w->chunk),
					 .chunks = feed_ld16(w->chunks),
					 .last_seq = feed_ld64(w->last_seq), .flags = w->flags,
					 .status = block_len > BLOCK_SNAPSHOT_V1 ? w->status : 0 };
	if (m->snap.inst == 0 || m->snap.chunk >= m->snap.chunks ||
	    (m->snap.status && !status_ok(m->snap.status)))
		return NX_FEED_ERR_BAD_FIELD;
	return get_group(b + block_len, end, m);
}

static uint16_t min_block(unsigned tpl)
{
	switch (tpl) {
	case NX_FEED_TPL_LEVEL_UPDATE:    return BLOCK_LEVEL;
	case NX_FEED_TPL_TRADE:           return BLOCK_TRADE;
	case NX_FEED_TPL_BOOK_CLEAR:      return BLOCK_CLEAR_V2;
	case NX_FEED_TPL_INSTRUMENT_STATUS: return BLOCK_STATUS;
	case NX_FEED_TPL_TRADES_LOST:     return BLOCK_TRADES_LOST;
	case NX_FEED_TPL_SNAPSHOT_LEVELS: return BLOCK_SNAPSHOT_V1;
	default:                          return 0;
	}
}

int nx_feed_decode(const uint8_t *msg, size_t len, struct nx_feed_msg *out)
{
	const struct nx_feed_sbe_hdr *h = (const void *)msg;
	const uint8_t *b = msg + NX_FEED_SBE_HDR_LEN;
	uint16_t block_len, need;

	if (len < NX_FEED_SBE_HDR_LEN)
		return NX_FEED_ERR_SHORT;
	if (feed_ld16(h->schema_id) != NX_FEED_SCHEMA_ID)
		return NX_FEED_ERR_BAD_SCHEMA;
	out->template_id = feed_ld16(h->template_id);
	out->version = feed_ld16(h->version);
	need = min_block(out->template_id);
	if (need == 0)
		return NX_FEED_ERR_UNKNOWN_TEMPLATE;
	block_len = feed_ld16(h->block_len);
	if (block_len < need)
		return NX_FEED_ERR_BLOCK_SHORT;
	if (block_len > len - NX_FEED_SBE_HDR_LEN)
		return NX_FEED_ERR_TRUNCATED;
	switch (out->template_id) {
	case NX_FEED_TPL_LEVEL_UPDATE: return get_level(b, out);
	case NX_FEED_TPL_TRADE:        return get_trade(b, out);
	case NX_FEED_TPL_BOOK_CLEAR:   return get_clear(b, block_len, out);
	case NX_FEED_TPL_INSTRUMENT_STATUS: return get_status(b, out);
	case NX_FEED_TPL_TRADES_LOST:  return get_trades_lost(b, out);
	default:                       return get_snapshot(b, msg + len, block_len, out);
	}
}

void nx_feed_msg_level(const struct nx_feed_msg *m, unsigned i, struct nx_feed_level *out)
{
	const struct nx_feed_wire_snap_level *e =
		(const void *)(m->levels + (size_t)i * m->level_stride);

	out->side = e->side;
	out->lv.px = (nx_px_t)feed_ld64(e->px);
	out->lv.qty = (nx_qty_t)feed_ld64(e->qty);
	out->lv.count = feed_ld32(e->orders);
}

/* --- Names ---------------------------------------------------------------------------- */

struct name_row {
	const char *name, *text;
};

static const struct name_row errs[NX_FEED_ERR_MAX] = {
#define NX_X_(name, code, text) [code] = { #name, text },
	NX_FEED_ERRS(NX_X_)
#undef NX_X_
};

static const struct name_row pub_drops[NX_FEED_PUB_DROP_MAX] = {
#define NX_X_(name, code, text) [code] = { #name, text },
	NX_FEED_PUB_DROPS(NX_X_)
#undef NX_X_
};

static const struct name_row *row(const struct name_row *t, int max, int code)
{
	return code < 0 && code > -max ? &t[-code] : NULL;
}

const char *nx_feed_err_name(int err)
{
	const struct name_row *r = row(errs, NX_FEED_ERR_MAX, err);

	return r ? r->name : "?";
}

const char *nx_feed_err_text(int err)
{
	const struct name_row *r = row(errs, NX_FEED_ERR_MAX, err);

	return r ? r->text : "unknown decode error";
}

const char *nx_feed_pub_drop_name(int reason)
{
	const struct name_row *r = row(pub_drops, NX_FEED_PUB_DROP_MAX, reason);

	return r ? r->name : "?";
}

const char *nx_feed_pub_drop_text(int reason)
{
	const struct name_row *r = row(pub_drops, NX_FEED_PUB_DROP_MAX, reason);

	return r ? r->text : "unknown drop reason";
}
