/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The pipeline of one shard: a datagram is walked message by message;
 * session messages go to session.c; application messages, numbered by the
 * Sequence that opens their datagram, are applied once each: throttle,
 * account permission, pre-trade risk, then one book command. The book's
 * events come back through engine_on_event, which keeps risk exact, turns
 * each into the report the protocol defines and hands it to the session
 * that entered the order (the order's tag), or to the requesting session
 * (both, for the ExecCanceled / ExecReplaced answering a request of another
 * session of the order's account).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_priv.h"
#include "../mem.h"

/* --- Create and destroy (cold) ---------------------------------------------- */

/* By the account map, not a walk of the accounts: Negotiate and Establish
 * look accounts up for anyone who sends them, so the cost must not grow
 * with the venue's account list. */
const struct nx_account_config *engine_account(const struct nx_engine *e, nx_acct_t id, uint32_t *ix)
{
	const struct idmap *m = &e->by_acct;
	for (uint32_t i = idmap_pos(m, idmap_mix(id)); m->tab[i] != IDMAP_EMPTY; i = idmap_step(m, i))
		if (e->cfg.accounts[m->tab[i]].id == id) {
			if (ix)
				*ix = m->tab[i];
			return &e->cfg.accounts[m->tab[i]];
		}
	return NULL;
}

static void *mem_default_alloc(void *ctx, size_t bytes)
{
	(void)ctx;
	void *p = nx_mem_alloc(bytes ? bytes : 1);
	if (p)
		memset(p, 0, bytes);
	return p;
}

static void mem_default_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static const struct nx_engine_alloc mem_default = { mem_default_alloc, mem_default_free, NULL };

static void *engine_alloc(struct nx_engine *e, size_t bytes)
{
	return e->alloc.alloc(e->alloc.ctx, bytes);
}

static int build(struct nx_engine *e, const struct nx_venue_config *c, char *err, size_t errlen)
{
	struct nx_book_config bc = { .max_instruments = c->ninstruments, .max_accounts = c->naccounts,
				     .max_orders = c->max_orders, .ladder_ticks = c->ladder_ticks };
	struct nx_risk_config rc = { .max_accounts = c->naccounts, .max_instruments = c->ninstruments };
	size_t book_bytes = nx_book_memsize(&bc), risk_bytes = nx_risk_memsize(&rc);
	if (!book_bytes || !risk_bytes) {
		snprintf(err, errlen, "%s: capacities too large for one shard", c->path);
		return -EINVAL;
	}
	if (!(e->book_mem = engine_alloc(e, book_bytes)) ||
	    !(e->risk_mem = engine_alloc(e, risk_bytes)) ||
	    !(e->book = nx_book_init(e->book_mem, book_bytes, &bc, engine_on_event, e)) ||
	    !(e->risk = nx_risk_init(e->risk_mem, risk_bytes, &rc))) {
		snprintf(err, errlen, "%s: cannot allocate %zu bytes for the book and risk state",
			 c->path, book_bytes + risk_bytes);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < c->ninstruments; i++)
		if (nx_book_add_instrument(e->book, &c->instruments[i]) ||
		    nx_risk_add_instrument(e->risk, &c->instruments[i])) {
			snprintf(err, errlen, "%s: instrument %u rejected", c->path, c->instruments[i].id);
			return -EINVAL;
		}
	for (uint32_t i = 0; i < c->naccounts; i++) {
		const struct nx_account_config *a = &c->accounts[i];
		struct nx_account ba = { .id = a->id, .stp = a->stp, .stp_group = a->stp_group };
		if (nx_book_add_account(e->book, &ba) || nx_risk_add_account(e->risk, a)) {
			snprintf(err, errlen, "%s: account %u rejected", c->path, a->id);
			return -EINVAL;
		}
	}
	/* Sessions, their maps and their histories in one block (the
	 * bitmaps first: 8-byte aligned like the block). */
	size_t n = c->max_sessions, hist = c->history;
	size_t idcap = nx_pow2_ceil_u64(n * 2), acap = nx_pow2_ceil_u64((size_t)c->naccounts * 2);
	size_t words = (n + 63) / 64, sums = (words + 63) / 64;
	size_t bytes = (words + sums) * sizeof(uint64_t) + n * sizeof(struct session) +
		       (2 * idcap + acap) * sizeof(uint32_t) + c->naccounts * sizeof(struct acct_state) +
		       n * hist * (HIST_SLOT + 1);
	if (!(e->mem = engine_alloc(e, bytes))) {
		snprintf(err, errlen, "%s: cannot allocate %zu bytes for %zu sessions", c->path, bytes, n);
		return -ENOMEM;
	}
	char *p = e->mem;
	e->bound_bits = (uint64_t *)p;
	p += words * sizeof(uint64_t);
	e->bound_sum = (uint64_t *)p;
	p += sums * sizeof(uint64_t);
	e->bound_words = (uint32_t)words;
	memset(e->bound_bits, 0, (words + sums) * sizeof(uint64_t));
	e->sess = (struct session *)p;
	p += n * sizeof(struct session);
	e->by_id = (struct idmap){ (uint32_t *)p, (uint32_t)idcap - 1 };
	p += idcap * sizeof(uint32_t);
	e->by_addr = (struct idmap){ (uint32_t *)p, (uint32_t)idcap - 1 };
	p += idcap * sizeof(uint32_t);
	e->by_acct = (struct idmap){ (uint32_t *)p, (uint32_t)acap - 1 };
	p += acap * sizeof(uint32_t);
	idmap_clear(&e->by_id);
	idmap_clear(&e->by_addr);
	idmap_clear(&e->by_acct);
	for (uint32_t i = 0; i < c->naccounts; i++) /* unique: the book refused duplicates */
		idmap_insert(&e->by_acct, idmap_mix(c->accounts[i].id), i);
	e->acct_st = (struct acct_state *)p;
	p += c->naccounts * sizeof(struct acct_state);
	for (uint32_t i = 0; i < c->naccounts; i++)
		e->acct_st[i] = (struct acct_state){ .to = NIL, .sess = NIL };
	for (uint32_t i = 0; i < c->naccounts; i++) {
		nx_acct_t to = c->accounts[i].drop_copy;
		uint32_t r = NIL;
		if (!to)
			continue;
		if (!engine_account(e, to, &r) || r == i || c->accounts[r].drop_copy) {
			snprintf(err, errlen, "%s: account %u: drop_copy %u must be another configured "
				 "account, one that copies to none", c->path, c->accounts[i].id, to);
			return -EINVAL;
		}
		e->acct_st[i].to = r;
		e->acct_st[r].receiver = 1;
	}
	/* Room for each receiver's copies to wait for its next session. */
	size_t receivers = 0;
	for (uint32_t i = 0; i < c->naccounts; i++)
		receivers += e->acct_st[i].receiver;
	if (receivers) {
		size_t wbytes = receivers * hist * (HIST_SLOT + 1);
		uint8_t *w = e->wait_mem = engine_alloc(e, wbytes);
		if (!w) {
			snprintf(err, errlen, "%s: cannot allocate %zu bytes for drop copies", c->path,
				 wbytes);
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < c->naccounts; i++)
			if (e->acct_st[i].receiver) {
				e->acct_st[i].wait = w;
				w += hist * HIST_SLOT;
				e->acct_st[i].wait_len = w;
				w += hist;
			}
	}
	for (size_t i = 0; i < n; i++) {
		e->sess[i].hist = (uint8_t *)p;
		p += hist * HIST_SLOT;
		e->sess[i].hist_len = (uint8_t *)p;
		p += hist;
	}
	e->hist_mask = (uint32_t)hist - 1;
	e->keepalive_ns = (uint64_t)c->keepalive_ms * 1000000u;
	return 0;
}

struct nx_engine *nx_engine_create_in(const struct nx_venue_config *c, nx_event_fn tap,
				      void *tap_ctx, const struct nx_engine_alloc *a, char *err,
				      size_t errlen)
{
	if (!a)
		a = &mem_default;
	struct nx_engine *e = a->alloc(a->ctx, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->alloc = *a;
	e->cfg = *c;
	e->cfg.instruments = engine_alloc(e, c->ninstruments * sizeof(*c->instruments));
	e->cfg.accounts = engine_alloc(e, c->naccounts * sizeof(*c->accounts));
	if (!e->cfg.instruments || !e->cfg.accounts) {
		snprintf(err, errlen, "out of memory");
		goto err;
	}
	memcpy(e->cfg.instruments, c->instruments, c->ninstruments * sizeof(*c->instruments));
	memcpy(e->cfg.accounts, c->accounts, c->naccounts * sizeof(*c->accounts));
	for (uint32_t i = 0; i < c->naccounts; i++) {
		e->cfg.accounts[i].restricted = NULL; /* risk keeps its own copy */
		e->cfg.accounts[i].nrestricted = 0;
	}
	memset(&e->cfg.net, 0, sizeof(e->cfg.net)); /* the pipeline has no use for it */
	if (!c->history || (c->history & (c->history - 1)) || !c->max_sessions) {
		snprintf(err, errlen, "%s: sessions.history must be a power of two", c->path);
		goto err;
	}
	if (c->retransmit_rate && c->retransmit_burst < c->history) {
		/* all or nothing: a smaller bucket could never serve the whole history */
		snprintf(err, errlen, "%s: sessions.retransmit_burst must be at least sessions.history",
			 c->path);
		goto err;
	}
	e->tap = tap;
	e->tap_ctx = tap_ctx;
	if (build(e, c, err, errlen))
		goto err;
	return e;
err:
	nx_engine_destroy(e);
	return NULL;
}

struct nx_engine *nx_engine_create(const struct nx_venue_config *c, nx_event_fn tap, void *tap_ctx,
				   char *err, size_t errlen)
{
	return nx_engine_create_in(c, tap, tap_ctx, NULL, err, errlen);
}

void nx_engine_destroy(struct nx_engine *e)
{
	if (!e)
		return;
	struct nx_engine_alloc a = e->alloc;
	void *p[] = { e->book_mem, e->risk_mem, e->mem, e->wait_mem, e->cfg.instruments,
		      e->cfg.accounts, e };
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (p[i])
			a.free(a.ctx, p[i]);
}

const struct nx_engine_stats *nx_engine_stats(const struct nx_engine *e)
{
	return &e->st;
}

const struct nx_book *nx_engine_book(const struct nx_engine *e)
{
	return e->book;
}

/* --- Reports ---------------------------------------------------------------- */

/* Encode one venue application message of kind for session s. */
#define REPORT(e, s, kind, ...)                                                  \
	do {                                                                     \
		struct nx_nxp_writer w_;                                         \
		struct nx_nxp_##kind v_ = { __VA_ARGS__ };                       \
		out_app_begin((s), (e)->hist_mask, &w_);                         \
		out_app_commit((e), (s), w_.buf, nx_nxp_encode_##kind(&w_, &v_)); \
	} while (0)

/* The same, for an execution report, which s's account's drop-copy session
 * also gets. */
#define EXEC_REPORT(e, s, kind, ...)                                             \
	do {                                                                     \
		REPORT(e, s, kind, __VA_ARGS__);                                 \
		if (NX_UNLIKELY((s)->dc_to != NIL))                             \
			drop_copy((e), (s));                                     \
	} while (0)

/* A copy of the message s was just sent, the same bytes under the next
 * number of the receiving account's session, kept in its history like its
 * own messages (recoverable, and waiting there while it is not bound). With
 * no such session (none yet, or it finished), the copy waits for the next.
 * A session that is finishing (finalized ones too) takes none: the venue
 * told its client where its flow ends (FinishedSending), and a copy
 * numbered past that would be lost with it. */
static NX_NOINLINE void drop_copy(struct nx_engine *e, const struct session *s)
{
	struct acct_state *a = &e->acct_st[s->dc_to];
	uint32_t from = (uint32_t)((s->next_send - 1) & e->hist_mask);
	const uint8_t *msg = s->hist + (size_t)from * HIST_SLOT;
	uint8_t len = s->hist_len[from];
	if (a->sess != NIL && !e->sess[a->sess].finishing) {
		out_app_copy(e, &e->sess[a->sess], msg, len);
		e->st.drop_copies++;
	} else if (a->wait_n < e->cfg.history) {
		memcpy(a->wait + (size_t)a->wait_n * HIST_SLOT, msg, len);
		a->wait_len[a->wait_n++] = len;
		e->st.drop_copy_waited++;
	} else {
		e->st.drop_copy_lost++;
	}
}

/* The session that owns an order: its tag is session_tag(). */
static struct session *owner(struct nx_engine *e, uint32_t tag)
{
	if (tag && tag <= e->nsess)
		return &e->sess[tag - 1];
	e->st.drop_no_session++;
	return NULL;
}

static void reject_report(struct nx_engine *e, struct session *s, const struct nx_ev_reject *r)
{
	if (r->req == NX_REQ_NEW)
		EXEC_REPORT(e, s, exec_rejected, .cl_ord_id = r->cl, .transact_time = e->now,
			    .account = r->acct, .instrument = r->inst, .reason = r->reason);
	else
		EXEC_REPORT(e, s, cancel_reject, .cl_ord_id = r->cl, .orig_cl_ord_id = r->orig_cl,
			    .order_id = r->oid, .transact_time = e->now, .account = r->acct,
			    .instrument = r->inst, .reason = r->reason, .response_to = r->req);
}

/* ExecTrade for fill f of the order's owner, covering count trades from
 * f->tid on. */
static NX_ALWAYS_INLINE void trade_report(struct nx_engine *e, const struct nx_ev_fill *f,
					  uint8_t aggressor, uint32_t count)
{
	struct session *s = owner(e, f->tag);
	if (s)
		EXEC_REPORT(e, s, exec_trade, .cl_ord_id = f->cl, .order_id = f->oid,
			    .trade_id = f->tid, .transact_time = e->now, .last_px = f->px,
			    .last_qty = f->qty, .leaves_qty = f->leaves, .cum_qty = f->cum,
			    .account = f->acct, .instrument = f->inst, .side = f->side,
			    .liquidity = f->liq, .aggressor = aggressor, .trade_count = count);
}

/* The taker's ExecTrade for the fills gathered in e->tk (there are some),
 * which it empties. Out of line: once a run, not once a trade. */
static NX_NOINLINE void taker_report(struct nx_engine *e)
{
	trade_report(e, &e->tk.f, e->tk.aggressor, e->tk.n);
	e->tk.n = 0;
}

/* Report the taker's gathered fills, if any: before any report that is not
 * one of their run's makers (the flows keep the book's order) and at the
 * end of each request. */
static inline void taker_flush(struct nx_engine *e)
{
	if (e->tk.n)
		taker_report(e);
}

/* Before trade t's maker report: the gathered fills go out first unless t
 * continues their run (the same order, the same price, the next trade id)
 * and its maker is not an order of the aggressor's own session, whose flow
 * then keeps the book's order (its taker fills, its maker fill, ...). */
static NX_ALWAYS_INLINE void taker_cut(struct nx_engine *e, const struct nx_ev_trade *t)
{
	const struct taker_fills *k = &e->tk;
	const struct nx_ev_fill *f = &t->taker;
	if (k->n && (f->oid != k->f.oid || f->px != k->f.px || f->tid != k->f.tid + k->n ||
		     k->n == UINT32_MAX || t->maker.tag == f->tag))
		taker_report(e);
}

/* After it: the taker's side of t joins the run, or starts one. */
static NX_ALWAYS_INLINE void taker_gather(struct nx_engine *e, const struct nx_ev_trade *t)
{
	struct taker_fills *k = &e->tk;
	const struct nx_ev_fill *f = &t->taker;
	if (k->n) {
		k->f.qty += f->qty;
		k->f.leaves = f->leaves;
		k->f.cum = f->cum;
		k->n++;
		return;
	}
	k->f = *f;
	k->n = 1;
	k->aggressor = t->aggressor;
}

/* ExecCanceled and ExecReplaced, to the order's session and, when another
 * session of the account asked for it, to the requester too (its answer;
 * copy 0: the drop copy has the owner's already). */
static void cancel_report(struct nx_engine *e, struct session *s, const struct nx_ev_cancel *c,
			  int copy)
{
	REPORT(e, s, exec_canceled, .cl_ord_id = c->cl, .req_cl_ord_id = c->req_cl,
	       .order_id = c->oid, .transact_time = e->now, .canceled_qty = c->qty,
	       .account = c->acct, .instrument = c->inst, .reason = c->reason, .side = c->side);
	if (copy && NX_UNLIKELY(s->dc_to != NIL))
		drop_copy(e, s);
}

static void replace_report(struct nx_engine *e, struct session *s, const struct nx_ev_replace *r,
			   int copy)
{
	REPORT(e, s, exec_replaced, .cl_ord_id = r->cl, .orig_cl_ord_id = r->orig_cl,
	       .order_id = r->oid, .transact_time = e->now, .price = r->px, .qty = r->qty,
	       .account = r->acct, .instrument = r->inst, .side = r->side,
	       .kept_priority = r->kept_priority);
	if (copy && NX_UNLIKELY(s->dc_to != NIL))
		drop_copy(e, s);
}

/* Every event but LEVEL: risk state first, then the owner's report, one
 * switch for both. Out of line: its many inlined encoders need registers
 * that the LEVEL path should not save and restore. */
static NX_NOINLINE void on_order_event(struct nx_engine *e, const struct nx_event *ev)
{
	struct session *s;
	if (ev->type != NX_EV_TRADE)
		taker_flush(e);
	switch (ev->type) {
	case NX_EV_ACCEPTED: {
		const struct nx_ev_order *o = &ev->u.order;
		nx_risk_on_accepted(e->risk, o);
		if ((s = owner(e, o->tag)))
			EXEC_REPORT(e, s, exec_new, .cl_ord_id = o->cl, .order_id = o->oid,
				    .transact_time = e->now, .price = o->px, .qty = o->qty,
				    .display_qty = o->display, .account = o->acct,
				    .instrument = o->inst, .side = o->side, .ord_type = o->type,
				    .time_in_force = o->tif, .post_only = o->post_only,
				    .stp_mode = o->stp);
		break;
	}
	case NX_EV_REJECTED:
		e->st.rejects[ev->u.reject.reason]++;
		if (e->cur)
			reject_report(e, e->cur, &ev->u.reject);
		break;
	case NX_EV_TRADE: {
		const struct nx_ev_trade *t = &ev->u.trade;
		/* the taker's fills summed: risk settles them at its next check */
		nx_risk_on_match_trade(e->risk, t);
		e->st.fills += 2;
		taker_cut(e, t);
		trade_report(e, &t->maker, t->aggressor, 1); /* the maker's: one a trade */
		taker_gather(e, t);
		break;
	}
	case NX_EV_CANCELED: {
		const struct nx_ev_cancel *c = &ev->u.cancel;
		nx_risk_on_cancel(e->risk, c, 1);
		if ((s = owner(e, c->tag)))
			cancel_report(e, s, c, 1);
		/* the answer to a CancelOrder or MassCancel from another session
		 * of the account: to the requester as well */
		if (NX_UNLIKELY(e->cur != s && e->cur) &&
		    (c->reason == NX_CXL_USER || c->reason == NX_CXL_MASS_CANCEL))
			cancel_report(e, e->cur, c, !s);
		break;
	}
	case NX_EV_REDUCED: {
		const struct nx_ev_cancel *c = &ev->u.cancel;
		nx_risk_on_cancel(e->risk, c, 0);
		if ((s = owner(e, c->tag)))
			EXEC_REPORT(e, s, exec_reduced, .cl_ord_id = c->cl, .req_cl_ord_id = c->req_cl,
				    .order_id = c->oid, .transact_time = e->now, .reduced_qty = c->qty,
				    .leaves_qty = c->leaves, .account = c->acct, .instrument = c->inst,
				    .reason = c->reason, .side = c->side);
		break;
	}
	case NX_EV_REPLACED: {
		const struct nx_ev_replace *r = &ev->u.replace;
		nx_risk_on_replaced(e->risk, r);
		if ((s = owner(e, r->tag)))
			replace_report(e, s, r, 1);
		if (NX_UNLIKELY(e->cur != s && e->cur)) /* requested by another session */
			replace_report(e, e->cur, r, !s);
		break;
	}
	case NX_EV_MASS_CANCELED: {
		const struct nx_ev_mass *m = &ev->u.mass;
		if (e->cur)
			EXEC_REPORT(e, e->cur, mass_cancel_report, .cl_ord_id = m->cl,
				    .transact_time = e->now, .account = m->acct, .instrument = m->inst,
				    .count = m->count, .side = m->side);
		break;
	}
	default:
		break;
	}
	if (e->tap)
		e->tap(e->tap_ctx, ev);
}

void engine_on_event(void *ctx, const struct nx_event *ev)
{
	struct nx_engine *e = ctx;
	if (NX_LIKELY(ev->type != NX_EV_LEVEL)) {
		on_order_event(e, ev);
		return;
	}
	/* market data only: neither risk state nor a report (about one a
	 * command) */
	if (e->tap)
		e->tap(e->tap_ctx, ev);
}

/* --- Application messages ---------------------------------------------------- */

static void business_reject(struct nx_engine *e, struct session *s, uint64_t seq, uint16_t tid,
			    uint64_t ref_id, unsigned why)
{
	e->st.rejects[why]++;
	REPORT(e, s, business_reject, .ref_seq_no = seq, .ref_id = ref_id, .transact_time = e->now,
	       .ref_template_id = tid, .reason = (uint16_t)why);
}

static void admin_reply(struct nx_engine *e, struct session *s, const struct nx_nxp_msg *m,
			uint64_t req, unsigned why);

/* A request refused before the book: the report its kind expects. */
static void refuse(struct nx_engine *e, struct session *s, const struct nx_nxp_msg *m, uint64_t seq,
		   unsigned why)
{
	struct nx_ev_reject r = { .reason = (uint8_t)why };
	switch (m->template_id) {
	case NX_NXP_NEW_ORDER:
		r.req = NX_REQ_NEW;
		r.cl = nx_nxp_new_order_cl_ord_id(m);
		r.acct = nx_nxp_new_order_account(m);
		r.inst = nx_nxp_new_order_instrument(m);
		break;
	case NX_NXP_CANCEL_ORDER:
		r.req = NX_REQ_CANCEL;
		r.cl = nx_nxp_cancel_order_cl_ord_id(m);
		r.orig_cl = nx_nxp_cancel_order_orig_cl_ord_id(m);
		r.oid = nx_nxp_cancel_order_order_id(m);
		r.acct = nx_nxp_cancel_order_account(m);
		break;
	case NX_NXP_CANCEL_REPLACE:
		r.req = NX_REQ_REPLACE;
		r.cl = nx_nxp_cancel_replace_cl_ord_id(m);
		r.orig_cl = nx_nxp_cancel_replace_orig_cl_ord_id(m);
		r.oid = nx_nxp_cancel_replace_order_id(m);
		r.acct = nx_nxp_cancel_replace_account(m);
		break;
	case NX_NXP_MASS_CANCEL:
		r.req = NX_REQ_MASS_CANCEL;
		r.cl = nx_nxp_mass_cancel_cl_ord_id(m);
		r.acct = nx_nxp_mass_cancel_account(m);
		r.inst = nx_nxp_mass_cancel_instrument(m);
		break;
	default: {
		uint64_t ref_id = m->block_len >= 8 ? nx_nxp_ld_u64(m->block) : 0;
		if (m->flags & NX_NXP_F_ADMIN) { /* answered with AdminAck or AdminReject */
			admin_reply(e, s, m, ref_id, why);
			return;
		}
		business_reject(e, s, seq, m->template_id, ref_id, why);
		return;
	}
	}
	if ((r.req == NX_REQ_CANCEL || r.req == NX_REQ_REPLACE) && r.acct == s->acct) {
		/* the named order's instrument, if it is a live order of the
		 * session's account (never another account's: that would tell) */
		struct nx_order_info oi;
		if (!(r.oid ? nx_book_order(e->book, r.oid, &oi)
			    : nx_book_order_by_cl(e->book, r.acct, r.orig_cl, &oi)) &&
		    oi.acct == r.acct)
			r.inst = oi.inst;
	}
	e->st.rejects[why]++;
	reject_report(e, s, &r);
}

static void on_new_order(struct nx_engine *e, struct session *s, const struct nx_nxp_msg *m,
			 uint64_t seq)
{
	struct nx_nxp_new_order n;
	nx_nxp_decode_new_order(m, &n);
	e->st.orders++;
	struct nx_risk_order ro = { .acct = n.account, .inst = n.instrument, .side = n.side,
				    .is_market = n.ord_type == NX_ORD_MARKET, .px = n.price, .qty = n.qty };
	ro.never_rests = ro.is_market || n.time_in_force == NX_TIF_IOC ||
			 n.time_in_force == NX_TIF_FOK;
	if (ro.is_market) {
		struct nx_bbo bbo;
		struct nx_instrument in;
		ro.px = 0;
		if (!nx_book_bbo(e->book, n.instrument, &bbo) &&
		    !nx_book_instrument(e->book, n.instrument, &in)) {
			/* The highest price it can trade at: a buy's protection
			 * price, a sell's best bid (its protection price is the
			 * lowest, and may be 0 or below). Past INT64_MAX: a
			 * price no notional limit admits. */
			int64_t band, px;
			if (n.side == NX_SIDE_SELL)
				ro.px = bbo.bid_px;
			else if (bbo.ask_px)
				ro.px = __builtin_mul_overflow(in.band_ticks, in.tick, &band) ||
						__builtin_add_overflow(bbo.ask_px, band, &px)
					? NX_RISK_PX_PAST_MAX : px;
		}
	}
	unsigned why = nx_risk_check_new(e->risk, &ro);
	if (why) {
		refuse(e, s, m, seq, why);
		return;
	}
	struct nx_new_order o = { .acct = n.account, .inst = n.instrument, .cl = n.cl_ord_id,
				  .px = n.price, .qty = n.qty, .display = n.display_qty, .side = n.side,
				  .type = n.ord_type, .tif = n.time_in_force, .post_only = n.post_only,
				  .stp = n.stp_mode, .tag = session_tag(e, s) };
	nx_book_new_order(e->book, &o);
}

static void on_replace(struct nx_engine *e, struct session *s, const struct nx_nxp_msg *m)
{
	struct nx_nxp_cancel_replace c;
	struct nx_order_info oi;
	nx_nxp_decode_cancel_replace(m, &c);
	e->st.replaces++;
	int found = c.order_id ? !nx_book_order(e->book, c.order_id, &oi)
			       : !nx_book_order_by_cl(e->book, c.account, c.orig_cl_ord_id, &oi);
	if (found && oi.acct == c.account) {
		unsigned why = nx_risk_check_replace(e->risk, c.account, oi.inst, oi.side, oi.px,
						     oi.leaves, c.price, c.qty);
		if (why) { /* the order is known: its instrument is named */
			struct nx_ev_reject rj = { .req = NX_REQ_REPLACE, .reason = (uint8_t)why,
						   .acct = c.account, .inst = oi.inst, .cl = c.cl_ord_id,
						   .orig_cl = c.orig_cl_ord_id, .oid = c.order_id };
			e->st.rejects[why]++;
			reject_report(e, s, &rj);
			return;
		}
	}
	struct nx_replace r = { .acct = c.account, .cl = c.cl_ord_id, .orig_cl = c.orig_cl_ord_id,
				.oid = c.order_id, .px = c.price, .qty = c.qty };
	nx_book_replace(e->book, &r); /* an unknown order is the book's reject */
}

/* SetCancelOnDisconnect: this session's choice from now on, for every later
 * end of its binding, until it chooses again. */
static void on_set_cod(struct nx_engine *e, struct session *s, const struct nx_nxp_msg *m,
		       uint64_t seq)
{
	struct nx_nxp_set_cancel_on_disconnect r;
	nx_nxp_decode_set_cancel_on_disconnect(m, &r);
	if (r.mode > NX_NXP_COD_ON) {
		business_reject(e, s, seq, m->template_id, r.req_id, NX_REJ_BAD_FIELD);
		return;
	}
	s->cod = r.mode == NX_NXP_COD_DEFAULT ? e->cfg.accounts[s->acct_cfg].cancel_on_disconnect
					      : r.mode == NX_NXP_COD_ON;
	REPORT(e, s, cancel_on_disconnect_ack, .req_id = r.req_id, .transact_time = e->now,
	       .mode = s->cod ? NX_NXP_COD_ON : NX_NXP_COD_OFF);
}

/* InstrumentDefinition `index` of `total` for instrument in, answering req. */
static void instrument_definition(struct nx_engine *e, struct session *s, uint64_t req,
				  const struct nx_instrument *in, uint32_t index, uint32_t total)
{
	struct nx_nxp_writer w;
	struct nx_nxp_instrument_definition d = { .req_id = req, .tick = in->tick, .lot = in->lot,
		.min_qty = in->min_qty, .max_qty = in->max_qty, .band_ticks = in->band_ticks,
		.ref_px = nx_risk_ref_px(e->risk, in->id), .strike = in->strike,
		.expiry = in->expiry_ns, .instrument = in->id, .underlying = in->underlying,
		.index = index, .total = total, .kind = in->kind, .status = in->status,
		.put_call = in->put_call };
	memcpy(d.symbol, in->symbol, sizeof(d.symbol));
	out_app_begin(s, e->hist_mask, &w);
	out_app_commit(e, s, w.buf, nx_nxp_encode_instrument_definition(&w, &d));
}

/* One instrument is found through the book's index, not a walk of the
 * configuration: a request for one costs the same whatever the shard holds. */
static void on_instrument_request(struct nx_engine *e, struct session *s, const struct nx_nxp_msg *m,
				  uint64_t seq)
{
	uint64_t req = nx_nxp_instrument_definition_request_req_id(m);
	nx_inst_t want = nx_nxp_instrument_definition_request_instrument(m);
	struct nx_instrument in;
	if (want) {
		if (nx_book_instrument(e->book, want, &in))
			business_reject(e, s, seq, m->template_id, req, NX_REJ_UNKNOWN_INSTRUMENT);
		else
			instrument_definition(e, s, req, &in, 1, 1);
		return;
	}
	for (uint32_t i = 0; i < e->cfg.ninstruments; i++)
		if (!nx_book_instrument(e->book, e->cfg.instruments[i].id, &in))
			instrument_definition(e, s, req, &in, i + 1, e->cfg.ninstruments);
}

static void admin_reply(struct nx_engine *e, struct session *s, const struct nx_nxp_msg *m,
			uint64_t req, unsigned why)
{
	if (why) {
		e->st.rejects[why]++;
		REPORT(e, s, admin_reject, .req_id = req, .transact_time = e->now,
		       .ref_template_id = m->template_id, .reason = (uint16_t)why);
	} else {
		REPORT(e, s, admin_ack, .req_id = req, .transact_time = e->now,
		       .ref_template_id = m->template_id);
	}
}

/*
 * An admin command, from a session (on_admin) or the control plane
 * (nx_engine_admin): validate it and change risk state, returning 0 or the
 * reject reason. What it does to the book (the cancels of a kill switch or
 * a halt) is admin_book(), run after the command has been answered so the
 * acknowledgement precedes the cancels it causes.
 */
static unsigned admin_apply(struct nx_engine *e, const struct nx_admin *a)
{
	struct nx_instrument in;
	uint32_t ix;
	int rc;
	switch (a->op) {
	case NX_ADMIN_KILL:
		rc = nx_risk_set_kill(e->risk, a->scope, a->id, a->on);
		return rc == -EINVAL ? NX_REJ_BAD_FIELD
		     : rc ? (a->scope == NX_KILL_ACCOUNT ? NX_REJ_UNKNOWN_ACCOUNT
						       : NX_REJ_UNKNOWN_INSTRUMENT)
		     : 0;
	case NX_ADMIN_STATUS:
		if (nx_book_instrument(e->book, a->id, &in))
			return NX_REJ_UNKNOWN_INSTRUMENT;
		return a->status < NX_STATUS_OPEN || a->status > NX_STATUS_CLOSED ? NX_REJ_BAD_FIELD : 0;
	case NX_ADMIN_REF_PX:
		rc = nx_risk_set_ref_px(e->risk, a->id, a->value);
		return rc == -ENOENT ? NX_REJ_UNKNOWN_INSTRUMENT
		     : rc ? (a->value < 0 ? NX_REJ_BAD_PRICE : NX_REJ_PRICE_NOT_TICK) : 0;
	case NX_ADMIN_LIMIT:
		rc = nx_risk_set_limit(e->risk, a->id, a->limit_kind, a->value);
		if (rc)
			return rc == -ENOENT ? NX_REJ_UNKNOWN_ACCOUNT : NX_REJ_BAD_FIELD;
		if (engine_account(e, a->id, &ix))
			nx_risk_limits(e->risk, a->id, &e->cfg.accounts[ix].limits);
		return 0;
	default:
		return NX_REJ_BAD_FIELD;
	}
}

static void admin_book(struct nx_engine *e, const struct nx_admin *a)
{
	if (a->op == NX_ADMIN_KILL && a->on)
		nx_book_cancel_where(e->book, a->scope == NX_KILL_ACCOUNT ? a->id : 0,
				     a->scope == NX_KILL_INSTRUMENT ? a->id : 0, NX_CXL_KILL_SWITCH);
	else if (a->op == NX_ADMIN_STATUS)
		nx_book_set_status(e->book, a->id, a->status, a->cancel_resting);
}

static void on_admin(struct nx_engine *e, struct session *s, const struct nx_nxp_msg *m)
{
	uint64_t req = nx_nxp_ld_u64(m->block); /* every admin message starts with reqId */
	struct nx_admin a = { 0 };
	if (!e->cfg.accounts[s->acct_cfg].admin) {
		admin_reply(e, s, m, req, NX_REJ_NOT_ADMIN);
		return;
	}
	switch (m->template_id) {
	case NX_NXP_SET_KILL_SWITCH: {
		struct nx_nxp_set_kill_switch k;
		nx_nxp_decode_set_kill_switch(m, &k);
		if (k.on > 1) { /* BooleanType */
			admin_reply(e, s, m, req, NX_REJ_BAD_FIELD);
			return;
		}
		a = (struct nx_admin){ .op = NX_ADMIN_KILL, .scope = k.scope, .id = k.id, .on = k.on };
		break;
	}
	case NX_NXP_SET_INSTRUMENT_STATUS: {
		struct nx_nxp_set_instrument_status st;
		nx_nxp_decode_set_instrument_status(m, &st);
		if (st.cancel_resting > 1) { /* BooleanType */
			admin_reply(e, s, m, req, NX_REJ_BAD_FIELD);
			return;
		}
		a = (struct nx_admin){ .op = NX_ADMIN_STATUS, .id = st.instrument, .status = st.status,
				       .cancel_resting = st.cancel_resting };
		break;
	}
	case NX_NXP_SET_REFERENCE_PRICE: {
		struct nx_nxp_set_reference_price rp;
		nx_nxp_decode_set_reference_price(m, &rp);
		a = (struct nx_admin){ .op = NX_ADMIN_REF_PX, .id = rp.instrument, .value = rp.price };
		break;
	}
	default: { /* NX_NXP_SET_LIMIT */
		struct nx_nxp_set_limit sl;
		nx_nxp_decode_set_limit(m, &sl);
		a = (struct nx_admin){ .op = NX_ADMIN_LIMIT, .id = sl.account,
				       .limit_kind = sl.limit_kind, .value = sl.value };
		break;
	}
	}
	unsigned why = admin_apply(e, &a);
	admin_reply(e, s, m, req, why);
	if (!why)
		admin_book(e, &a);
}

unsigned nx_engine_admin(struct nx_engine *e, const struct nx_admin *a, uint64_t now_ns,
			 struct nx_out *out)
{
	e->out = out;
	e->now = now_ns;
	e->epoch++;
	e->cur = NULL;
	unsigned why = admin_apply(e, a);
	if (why)
		e->st.rejects[why]++;
	else
		admin_book(e, a);
	taker_flush(e); /* none today: the book's admin commands do not trade */
	return why;
}

/* The account a request acts for (0 for those that carry none). */
static nx_acct_t request_account(const struct nx_nxp_msg *m)
{
	switch (m->template_id) {
	case NX_NXP_NEW_ORDER: return nx_nxp_new_order_account(m);
	case NX_NXP_CANCEL_ORDER: return nx_nxp_cancel_order_account(m);
	case NX_NXP_CANCEL_REPLACE: return nx_nxp_cancel_replace_account(m);
	case NX_NXP_MASS_CANCEL: return nx_nxp_mass_cancel_account(m);
	default: return 0;
	}
}

void engine_apply(struct nx_engine *e, struct session *s, const struct nx_nxp_msg *m, uint64_t seq)
{
	nx_acct_t acct = request_account(m);
	if (!session_take_token(e, s)) {
		e->st.throttled++;
		refuse(e, s, m, seq, NX_REJ_RISK_THROTTLED);
		return;
	}
	if (acct != s->acct && (acct || (m->template_id >= NX_NXP_NEW_ORDER &&
					m->template_id <= NX_NXP_MASS_CANCEL))) { /* 0 is no account */
		refuse(e, s, m, seq, NX_REJ_ACCOUNT_NOT_PERMITTED);
		return;
	}
	if (NX_UNLIKELY(s->dc_receiver) && m->template_id >= NX_NXP_NEW_ORDER &&
	    m->template_id <= NX_NXP_MASS_CANCEL) {
		refuse(e, s, m, seq, NX_REJ_ACCOUNT_NOT_PERMITTED); /* a drop copy only reads */
		return;
	}
	e->cur = s;
	switch (m->template_id) {
	case NX_NXP_NEW_ORDER:
		on_new_order(e, s, m, seq);
		break;
	case NX_NXP_CANCEL_ORDER: {
		struct nx_cancel c = { .acct = acct, .cl = nx_nxp_cancel_order_cl_ord_id(m),
				       .orig_cl = nx_nxp_cancel_order_orig_cl_ord_id(m),
				       .oid = nx_nxp_cancel_order_order_id(m) };
		e->st.cancels++;
		nx_book_cancel(e->book, &c);
		break;
	}
	case NX_NXP_CANCEL_REPLACE:
		on_replace(e, s, m);
		break;
	case NX_NXP_MASS_CANCEL: {
		struct nx_mass_cancel mc = { .acct = acct, .cl = nx_nxp_mass_cancel_cl_ord_id(m),
					     .inst = nx_nxp_mass_cancel_instrument(m),
					     .side = nx_nxp_mass_cancel_side(m) };
		nx_book_mass_cancel(e->book, &mc);
		break;
	}
	case NX_NXP_INSTRUMENT_DEFINITION_REQUEST:
		on_instrument_request(e, s, m, seq);
		break;
	case NX_NXP_SET_CANCEL_ON_DISCONNECT:
		on_set_cod(e, s, m, seq);
		break;
	default:
		if (m->flags & NX_NXP_F_ADMIN)
			on_admin(e, s, m);
		else
			business_reject(e, s, seq, m->template_id, 0, NX_REJ_PROTOCOL_VIOLATION);
		break;
	}
	taker_flush(e); /* trades come from NewOrder and CancelReplace alone */
	e->cur = NULL;
}

/* --- The datagram walk -------------------------------------------------------- */

/* Sequence(n) first: number and apply the application messages that follow. */
static void sequenced(struct nx_engine *e, struct nx_nxp_reader *r, const struct nx_nxp_msg *first,
		      const struct nx_addr *src)
{
	struct session *s = session_by_addr(e, src);
	if (!s) {
		e->st.drop_unbound++;
		return;
	}
	s->last_rx_ns = e->now;
	s->addr.link = src->link; /* the path its replies take: the latest */
	struct nx_nxp_msg m;
	if (NX_UNLIKELY(s->finishing)) { /* the client said it had sent its last */
		for (int rc; (rc = nx_nxp_next(r, &m)) != 0 && !(rc < 0 && nx_nxp_err_fatal(rc));)
			e->st.drop_finished++;
		return;
	}
	uint64_t seq = nx_nxp_sequence_next_seq_no(first);
	if (seq > s->next_recv) {
		if (NX_UNLIKELY(seq - s->next_recv > UINT32_MAX)) {
			session_seq_violation(e, s);
			return;
		}
		session_not_applied(e, s, s->next_recv, (uint32_t)(seq - s->next_recv));
		s->next_recv = seq;
	}
	if (NX_UNLIKELY(seq > UINT64_MAX - 65536)) {
		/* A datagram (at most 64 KiB: 4681 messages) could reach 2^64 - 1,
		 * where E would wrap: count its numbers first, so that nothing of
		 * it is applied if it does. */
		struct nx_nxp_reader pre = *r;
		uint64_t k = 0;
		for (int rc; (rc = nx_nxp_next(&pre, &m)) != 0 && !(rc < 0 && nx_nxp_err_fatal(rc));)
			k += rc < 0 || (m.flags & NX_NXP_F_SEQ);
		if (k && k > UINT64_MAX - seq) {
			session_seq_violation(e, s);
			return;
		}
	}
	for (int rc; (rc = nx_nxp_next(r, &m)) != 0;) {
		if (rc < 0 && nx_nxp_err_fatal(rc)) {
			e->st.drop_malformed++;
			break;
		}
		if (rc > 0 && !(m.flags & NX_NXP_F_SEQ)) {
			e->st.drop_malformed++; /* a session message inside an application datagram */
			continue;
		}
		uint64_t n = seq++;
		if (NX_UNLIKELY(n == UINT64_MAX)) { /* E would wrap to 0 */
			session_seq_violation(e, s);
			return;
		}
		e->st.rx_msgs++;
		if (n < s->next_recv) {
			e->st.drop_duplicate++;
			continue;
		}
		s->next_recv = n + 1;
		if (rc > 0 && (m.flags & NX_NXP_F_CLIENT)) {
			engine_apply(e, s, &m, n); /* spends a token first */
			continue;
		}
		/* A message the venue cannot use spends a token too: the
		 * session's rate bounds everything it makes the venue answer. */
		unsigned why = rc < 0 ? (rc == NX_NXP_E_TEMPLATE ? NX_REJ_UNKNOWN_TEMPLATE
								 : NX_REJ_MALFORMED)
				      : NX_REJ_WRONG_DIRECTION;
		if (rc < 0)
			e->st.drop_malformed++;
		else
			e->st.drop_direction++;
		if (!session_take_token(e, s)) {
			e->st.throttled++;
			why = NX_REJ_RISK_THROTTLED;
		}
		business_reject(e, s, n, m.template_id, 0, why);
	}
}

uint32_t nx_engine_rx(struct nx_engine *e, const uint8_t *data, size_t len, struct nx_addr src,
		      uint64_t now_ns, struct nx_out *out)
{
	uint64_t before = e->st.tx_dgrams;
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;
	e->out = out;
	e->now = now_ns;
	e->epoch++;
	e->st.rx_dgrams++;
	nx_nxp_reader_init(&r, data, len);
	int rc;
	while ((rc = nx_nxp_next(&r, &m)) < 0 && !nx_nxp_err_fatal(rc))
		e->st.drop_malformed++; /* a bad message: the next one decides */
	if (rc <= 0) {
		e->st.drop_malformed += rc < 0;
		return (uint32_t)(e->st.tx_dgrams - before);
	}
	if (m.template_id == NX_NXP_SEQUENCE) {
		e->st.rx_msgs++;
		sequenced(e, &r, &m, &src);
	} else if (m.flags & NX_NXP_F_SEQ) {
		e->st.drop_unsequenced++;
	} else {
		session_datagram(e, &r, &m, &src);
	}
	return (uint32_t)(e->st.tx_dgrams - before);
}

uint32_t nx_engine_shutdown(struct nx_engine *e, uint64_t now_ns, struct nx_out *out)
{
	uint32_t bound = 0;
	e->out = out;
	e->now = now_ns;
	e->epoch++;
	for (uint32_t i = 0; i < e->nsess; i++) {
		struct session *s = &e->sess[i];
		if (!s->bound)
			continue;
		/* No room for its Terminate: next call (a wait, not an overflow:
		 * nothing is lost, so out_spill's count is only for a spill that
		 * failed). */
		if (out->n >= out->cap && (!out->spill || !out_spill(e))) {
			bound++;
			continue;
		}
		session_unbind(e, s, NX_REJ_VENUE_SHUTDOWN, 1);
	}
	return bound;
}

uint32_t nx_engine_poll(struct nx_engine *e, uint64_t now_ns, struct nx_out *out)
{
	uint64_t before = e->st.tx_dgrams;
	e->out = out;
	e->now = now_ns;
	e->epoch++;
	/* Bound sessions only, in slot order: a session's poll may end its own
	 * binding (clearing its bit in the word read here), never another's. */
	for (uint32_t sw = 0; sw < (e->bound_words + 63) / 64; sw++)
		for (uint64_t sum = e->bound_sum[sw]; sum; sum &= sum - 1) {
			uint32_t w = sw * 64 + (uint32_t)NX_CTZ64(sum);
			for (uint64_t bits = e->bound_bits[w]; bits; bits &= bits - 1)
				session_poll(e, &e->sess[w * 64 + (uint32_t)NX_CTZ64(bits)]);
		}
	return (uint32_t)(e->st.tx_dgrams - before);
}
