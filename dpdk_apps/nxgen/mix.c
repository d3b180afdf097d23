/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The order mix: which request a session sends next, and the resting
 * orders each session keeps so that its cancels and replaces name orders
 * that exist. Prices are set around each instrument's reference price from
 * the venue file (ref, tick, band), so the book stays a few levels deep
 * around the reference however long the run:
 *
 *   new         post-only GTC limit, a random side, 1..levels ticks behind
 *               the reference (buys below, sells above): rests
 *   cancel      CancelOrder of the session's oldest resting order
 *   replace     CancelReplace of it to another passive level, same quantity
 *   aggressive  IOC limit `levels` ticks through the reference: takes what
 *               rests on the other side (fills for both sessions), the rest
 *               is canceled
 *   ioc         IOC limit one tick through: trades with the top level if it
 *               is there, else is canceled at once
 *   reject      an IOC buy (band + levels + 1) ticks above the reference:
 *               the price collar refuses it (RISK_PRICE_COLLAR) whatever
 *               trade set the venue's reference (the last trade, always
 *               within `levels` ticks of ref here); on an instrument
 *               without a band, a quantity above its maximum
 *
 * Every trade happens at a price within `levels` ticks of the configured
 * reference, so the venue's reference (its last trade price) never leaves
 * that range and the collar never refuses the passive orders.
 *
 * A cancel or replace with no resting order to act on is sent as a new
 * order, and a new order beyond --max-live resting ones as a cancel (as an
 * IOC when both hold), all counted (`fallback`), so the achieved mix is
 * reported beside the asked one. Randomness is a seeded splitmix64 (--seed): one session in a closed
 * loop without warm-up repeats its requests; with several, which session
 * takes which draw follows the order answers arrive in (docs/nxgen.md).
 */
#include <string.h>

#include "nx/book.h"
#include "nx/reason.h"
#include "nxgen.h"

const char *const nxg_kind_name[NXG_NKINDS] = { "new", "cancel", "replace", "aggressive", "ioc",
						"reject" };

static int find_live(const struct nxg_sess *s, uint64_t oid)
{
	for (uint32_t i = 0; i < s->nlive; i++)
		if (s->live[i].oid == oid)
			return (int)i;
	return -1;
}

static void remove_live(struct nxg_sess *s, int i)
{
	if (i < 0)
		return;
	s->live[i] = s->live[--s->nlive];
}

/* The oldest resting order with nothing in flight for it, or -1. Orders are
 * appended, and removal swaps the last one in, so index 0 is old enough. */
static int pick_live(const struct nxg_sess *s)
{
	for (uint32_t i = 0; i < s->nlive; i++)
		if (!s->live[i].pending)
			return (int)i;
	return -1;
}

static int64_t passive_px(const struct nxg_inst *in, uint8_t side, uint32_t k)
{
	return side == NX_SIDE_BUY ? in->ref - (int64_t)k * in->tick : in->ref + (int64_t)k * in->tick;
}

int nxg_mix_next(struct nxg_sess *s, const struct nxg_inst *inst, const struct nxg_opts *o,
		 struct nxg_rng *rng, const uint32_t *cum, struct nx_nxp_writer *w,
		 struct nxg_req *rq, uint64_t *fallback)
{
	uint32_t r = (uint32_t)(nxg_rand(rng) % cum[NXG_NKINDS - 1]);
	int kind = 0;
	while (r >= cum[kind])
		kind++;
	int li = -1;
	if (kind == NXG_NEW && s->nlive + s->pend_new >= o->max_live) {
		kind = NXG_CANCEL;
		++*fallback;
	}
	if (kind == NXG_CANCEL || kind == NXG_REPLACE) {
		li = pick_live(s);
		if (li < 0) {
			kind = s->nlive + s->pend_new >= o->max_live ? NXG_IOC : NXG_NEW;
			++*fallback;
		}
	}
	uint64_t rnd = nxg_rand(rng);
	const struct nxg_inst *in = &inst[s->insts[rnd % s->ninsts]];
	uint8_t side = (rnd >> 32) & 1 ? NX_SIDE_BUY : NX_SIDE_SELL;
	uint32_t k = 1 + (uint32_t)((rnd >> 40) % o->levels);
	rq->cl = nxg_take_cl(s);
	rq->kind = (uint8_t)kind;
	rq->oid = 0;

	struct nx_nxp_new_order no = { .cl_ord_id = rq->cl, .qty = in->qty, .account = s->c.acct,
				       .instrument = in->id, .side = side, .ord_type = NX_ORD_LIMIT,
				       .time_in_force = NX_TIF_GTC };
	switch (kind) {
	case NXG_NEW:
		no.price = passive_px(in, side, k);
		no.post_only = 1;
		break;
	case NXG_AGGR:
		no.price = passive_px(in, side == NX_SIDE_BUY ? NX_SIDE_SELL : NX_SIDE_BUY, o->levels);
		no.time_in_force = NX_TIF_IOC;
		break;
	case NXG_IOC:
		no.price = passive_px(in, side == NX_SIDE_BUY ? NX_SIDE_SELL : NX_SIDE_BUY, 1);
		no.time_in_force = NX_TIF_IOC;
		break;
	case NXG_REJECT:
		/* Beyond the collar of any reference our own trades can set (they
		 * happen within `levels` ticks of ref), and IOC: never rests. */
		no.side = NX_SIDE_BUY;
		no.time_in_force = NX_TIF_IOC;
		if (in->band > 0) {
			no.price = in->ref + (in->band + (int64_t)o->levels + 1) * in->tick;
		} else {
			no.price = in->ref;
			no.qty = in->max_qty + in->lot;
		}
		break;
	case NXG_CANCEL: {
		struct nxg_live *l = &s->live[li];
		struct nx_nxp_cancel_order co = { .cl_ord_id = rq->cl, .orig_cl_ord_id = l->cl,
						  .order_id = l->oid, .account = s->c.acct };
		l->pending = 1;
		rq->oid = l->oid;
		return nx_client_cancel(&s->c, w, &co) ? kind : -1;
	}
	case NXG_REPLACE: {
		struct nxg_live *l = &s->live[li];
		for (uint32_t i = 0; i < s->ninsts; i++)
			if (inst[s->insts[i]].id == l->inst)
				in = &inst[s->insts[i]];
		int64_t px = passive_px(in, l->side, k);
		if (px == l->px)
			px = passive_px(in, l->side, k % o->levels + 1);
		struct nx_nxp_cancel_replace cr = { .cl_ord_id = rq->cl, .orig_cl_ord_id = l->cl,
						    .order_id = l->oid, .price = px, .qty = l->qty,
						    .account = s->c.acct };
		l->pending = 1;
		rq->oid = l->oid;
		return nx_client_replace(&s->c, w, &cr) ? kind : -1;
	}
	}
	return nx_client_new_order(&s->c, w, &no) ? kind : -1;
}

void nxg_mix_on_report(struct nxg_sess *s, const struct nx_client_msg *m, const struct nxg_req *rq)
{
	int i;
	switch (m->template_id) {
	case NX_NXP_EXEC_NEW: {
		const struct nx_nxp_exec_new *e = &m->u.exec_new;
		if (!rq || rq->kind != NXG_NEW || s->nlive >= NXG_MAX_LIVE)
			return;
		s->live[s->nlive++] = (struct nxg_live){ .oid = e->order_id, .cl = e->cl_ord_id,
			.inst = e->instrument, .side = e->side, .px = e->price, .qty = e->qty };
		return;
	}
	case NX_NXP_EXEC_TRADE:
		if ((i = find_live(s, m->u.exec_trade.order_id)) >= 0) {
			if (m->u.exec_trade.leaves_qty <= 0)
				remove_live(s, i);
			else
				s->live[i].qty = m->u.exec_trade.leaves_qty;
		}
		return;
	case NX_NXP_EXEC_CANCELED:
		remove_live(s, find_live(s, m->u.exec_canceled.order_id));
		return;
	case NX_NXP_EXEC_REDUCED:
		if ((i = find_live(s, m->u.exec_reduced.order_id)) >= 0) {
			if (m->u.exec_reduced.leaves_qty <= 0)
				remove_live(s, i);
			else
				s->live[i].qty = m->u.exec_reduced.leaves_qty;
		}
		return;
	case NX_NXP_EXEC_REPLACED: {
		const struct nx_nxp_exec_replaced *e = &m->u.exec_replaced;
		i = find_live(s, rq && rq->oid ? rq->oid : e->order_id);
		if (i < 0)
			return;
		s->live[i].oid = e->order_id;
		s->live[i].cl = e->cl_ord_id;
		s->live[i].px = e->price;
		s->live[i].qty = e->qty;
		s->live[i].pending = 0;
		return;
	}
	case NX_NXP_CANCEL_REJECT:
		if (!rq || (i = find_live(s, rq->oid)) < 0)
			return;
		if (m->u.cancel_reject.reason == NX_REJ_UNKNOWN_ORDER)
			remove_live(s, i); /* gone meanwhile (filled): forget it */
		else
			s->live[i].pending = 0;
		return;
	case NX_NXP_EXEC_REJECTED: /* a replace refused by risk: the order is unchanged */
		if (rq && rq->oid && (i = find_live(s, rq->oid)) >= 0)
			s->live[i].pending = 0;
		return;
	default:
		return;
	}
}

void nxg_mix_release(struct nxg_sess *s, const struct nxg_req *rq)
{
	int i;
	if (rq->oid && (i = find_live(s, rq->oid)) >= 0)
		s->live[i].pending = 0;
}
