/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Test helpers for the book: see book_helpers.h. Test-only code; nothing
 * here is linked into libnx.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/cc.h"
#include "book_helpers.h"

void bh_rec_sink(void *ctx, const struct nx_event *ev)
{
	struct bh_rec *r = ctx;

	if (r->n < BH_REC_MAX)
		r->ev[r->n++] = *ev;
	else
		r->dropped++;
}

void bh_rec_clear(struct bh_rec *r)
{
	r->n = 0;
	r->dropped = 0;
}

/* A trade's fill after label, at buf + at as far as len allows. */
static int fill_str(const struct nx_ev_fill *f, const char *label, char *buf, size_t len,
		    size_t at)
{
	return snprintf(at < len ? buf + at : NULL, at < len ? len - at : 0,
			"%s FILL tid=%" PRIu64 " acct=%" PRIu32 " inst=%" PRIu32
			" cl=%" PRIu64 " oid=%" PRIu64 " px=%" PRId64 " qty=%" PRId64
			" leaves=%" PRId64 " cum=%" PRId64 " side=%u liq=%u",
			label, f->tid, f->acct, f->inst, f->cl, f->oid, f->px, f->qty,
			f->leaves, f->cum, f->side, f->liq);
}

int bh_ev_str(const struct nx_event *ev, char *buf, size_t len)
{
	switch (ev->type) {
	case NX_EV_ACCEPTED: {
		const struct nx_ev_order *o = &ev->u.order;
		return snprintf(buf, len,
				"ACCEPTED acct=%" PRIu32 " inst=%" PRIu32 " cl=%" PRIu64
				" oid=%" PRIu64 " px=%" PRId64 " qty=%" PRId64
				" display=%" PRId64 " side=%u type=%u tif=%u po=%u stp=%u",
				o->acct, o->inst, o->cl, o->oid, o->px, o->qty, o->display,
				o->side, o->type, o->tif, o->post_only, o->stp);
	}
	case NX_EV_REJECTED: {
		const struct nx_ev_reject *j = &ev->u.reject;
		return snprintf(buf, len,
				"REJECTED acct=%" PRIu32 " inst=%" PRIu32 " cl=%" PRIu64
				" orig_cl=%" PRIu64 " oid=%" PRIu64 " req=%u reason=%u(%s)",
				j->acct, j->inst, j->cl, j->orig_cl, j->oid, j->req, j->reason,
				nx_reject_name(j->reason));
	}
	case NX_EV_TRADE: {
		const struct nx_ev_trade *t = &ev->u.trade;
		int n = snprintf(buf, len,
				 "TRADE tid=%" PRIu64 " inst=%" PRIu32 " px=%" PRId64
				 " qty=%" PRId64 " aggressor=%u",
				 t->tid, t->inst, t->px, t->qty, t->aggressor);
		n += fill_str(&t->maker, " MAKER", buf, len, (size_t)n);
		return n + fill_str(&t->taker, " TAKER", buf, len, (size_t)n);
	}
	case NX_EV_CANCELED:
	case NX_EV_REDUCED: {
		const struct nx_ev_cancel *c = &ev->u.cancel;
		return snprintf(buf, len,
				"%s acct=%" PRIu32 " inst=%" PRIu32 " cl=%" PRIu64
				" req_cl=%" PRIu64 " oid=%" PRIu64 " qty=%" PRId64
				" leaves=%" PRId64 " side=%u reason=%u(%s)",
				ev->type == NX_EV_CANCELED ? "CANCELED" : "REDUCED", c->acct,
				c->inst, c->cl, c->req_cl, c->oid, c->qty, c->leaves, c->side,
				c->reason, nx_cancel_name(c->reason));
	}
	case NX_EV_REPLACED: {
		const struct nx_ev_replace *p = &ev->u.replace;
		return snprintf(buf, len,
				"REPLACED acct=%" PRIu32 " inst=%" PRIu32 " cl=%" PRIu64
				" orig_cl=%" PRIu64 " oid=%" PRIu64 " px=%" PRId64
				" qty=%" PRId64 " side=%u kept=%u",
				p->acct, p->inst, p->cl, p->orig_cl, p->oid, p->px, p->qty,
				p->side, p->kept_priority);
	}
	case NX_EV_MASS_CANCELED: {
		const struct nx_ev_mass *m = &ev->u.mass;
		return snprintf(buf, len,
				"MASS_CANCELED acct=%" PRIu32 " inst=%" PRIu32 " cl=%" PRIu64
				" count=%" PRIu32 " side=%u",
				m->acct, m->inst, m->cl, m->count, m->side);
	}
	case NX_EV_LEVEL: {
		const struct nx_ev_level *l = &ev->u.level;
		return snprintf(buf, len,
				"LEVEL inst=%" PRIu32 " side=%u px=%" PRId64 " qty=%" PRId64
				" count=%" PRIu32,
				l->inst, l->side, l->px, l->qty, l->count);
	}
	case NX_EV_STATUS:
		return snprintf(buf, len, "STATUS inst=%" PRIu32 " status=%u", ev->u.status.inst,
				ev->u.status.status);
	default:
		return snprintf(buf, len, "UNKNOWN type=%u", ev->type);
	}
}

struct nx_event bh_acc(const struct nx_new_order *o, nx_oid_t oid)
{
	struct nx_event e = { .type = NX_EV_ACCEPTED };

	e.u.order = (struct nx_ev_order){
		.acct = o->acct, .inst = o->inst, .cl = o->cl, .oid = oid,
		.px = o->type == NX_ORD_MARKET ? 0 : o->px, .qty = o->qty,
		.display = o->display, .side = o->side, .type = o->type,
		.tif = o->type == NX_ORD_MARKET && o->tif == NX_TIF_GTC ? NX_TIF_IOC : o->tif,
		.post_only = o->post_only, .stp = o->stp,
	};
	return e;
}

struct nx_event bh_rej_new(const struct nx_new_order *o, unsigned reason)
{
	return bh_rej(o->acct, o->inst, o->cl, 0, 0, NX_REQ_NEW, reason);
}

struct nx_event bh_rej(nx_acct_t acct, nx_inst_t inst, nx_clid_t cl, nx_clid_t orig_cl,
		       nx_oid_t oid, unsigned req, unsigned reason)
{
	struct nx_event e = { .type = NX_EV_REJECTED };

	e.u.reject = (struct nx_ev_reject){
		.acct = acct, .inst = inst, .cl = cl, .orig_cl = orig_cl, .oid = oid,
		.req = (uint8_t)req, .reason = (uint8_t)reason,
	};
	return e;
}

struct nx_event bh_trade(nx_tid_t tid, nx_inst_t inst, nx_px_t px, nx_qty_t qty,
			 unsigned aggressor, struct nx_ev_fill maker, struct nx_ev_fill taker)
{
	struct nx_event e = { .type = NX_EV_TRADE };

	e.u.trade = (struct nx_ev_trade){
		.tid = tid, .inst = inst, .px = px, .qty = qty, .aggressor = (uint8_t)aggressor,
		.maker = maker, .taker = taker,
	};
	return e;
}

struct nx_ev_fill bh_fill(nx_tid_t tid, nx_acct_t acct, nx_inst_t inst, nx_clid_t cl,
			  nx_oid_t oid, nx_px_t px, nx_qty_t qty, nx_qty_t leaves, nx_qty_t cum,
			  unsigned side, unsigned liq)
{
	return (struct nx_ev_fill){
		.tid = tid, .acct = acct, .inst = inst, .cl = cl, .oid = oid, .px = px,
		.qty = qty, .leaves = leaves, .cum = cum, .side = (uint8_t)side,
		.liq = (uint8_t)liq,
	};
}

struct nx_event bh_red(nx_acct_t acct, nx_inst_t inst, nx_clid_t cl, nx_clid_t req_cl,
		       nx_oid_t oid, nx_qty_t qty, nx_qty_t leaves, unsigned side,
		       unsigned reason)
{
	struct nx_event e = { .type = NX_EV_REDUCED };

	e.u.cancel = (struct nx_ev_cancel){
		.acct = acct, .inst = inst, .cl = cl, .req_cl = req_cl, .oid = oid,
		.qty = qty, .leaves = leaves, .side = (uint8_t)side,
		.reason = (uint8_t)reason,
	};
	return e;
}

struct nx_event bh_cxl(nx_acct_t acct, nx_inst_t inst, nx_clid_t cl, nx_clid_t req_cl,
		       nx_oid_t oid, nx_qty_t qty, unsigned side, unsigned reason)
{
	struct nx_event e = bh_red(acct, inst, cl, req_cl, oid, qty, 0, side, reason);

	e.type = NX_EV_CANCELED;
	return e;
}

struct nx_event bh_rep(nx_acct_t acct, nx_inst_t inst, nx_clid_t cl, nx_clid_t orig_cl,
		       nx_oid_t oid, nx_px_t px, nx_qty_t qty, unsigned side, unsigned kept)
{
	struct nx_event e = { .type = NX_EV_REPLACED };

	e.u.replace = (struct nx_ev_replace){
		.acct = acct, .inst = inst, .cl = cl, .orig_cl = orig_cl, .oid = oid,
		.px = px, .qty = qty, .side = (uint8_t)side, .kept_priority = (uint8_t)kept,
	};
	return e;
}

struct nx_event bh_mass(nx_acct_t acct, nx_inst_t inst, nx_clid_t cl, uint32_t count,
			unsigned side)
{
	struct nx_event e = { .type = NX_EV_MASS_CANCELED };

	e.u.mass = (struct nx_ev_mass){
		.acct = acct, .inst = inst, .cl = cl, .count = count, .side = (uint8_t)side,
	};
	return e;
}

struct nx_event bh_lvl(nx_inst_t inst, unsigned side, nx_px_t px, nx_qty_t qty,
		       uint32_t count)
{
	struct nx_event e = { .type = NX_EV_LEVEL };

	e.u.level = (struct nx_ev_level){
		.inst = inst, .px = px, .qty = qty, .count = count, .side = (uint8_t)side,
	};
	return e;
}

struct nx_event bh_status(nx_inst_t inst, unsigned status)
{
	struct nx_event e = { .type = NX_EV_STATUS };

	e.u.status = (struct nx_ev_status){ .inst = inst, .status = (uint8_t)status };
	return e;
}

void bh_expect(const struct bh_rec *r, const struct nx_event *exp, size_t n,
	       const char *file, int line)
{
	char a[NX_EVENT_TEXT_MAX], e[NX_EVENT_TEXT_MAX];
	size_t i, bad = SIZE_MAX;

	for (i = 0; i < n && i < r->n; i++) {
		bh_ev_str(&exp[i], e, sizeof(e));
		bh_ev_str(&r->ev[i], a, sizeof(a));
		if (strcmp(a, e) != 0) {
			bad = i;
			break;
		}
	}
	if (bad == SIZE_MAX && n == r->n && r->dropped == 0)
		return;
	print_error("event stream differs at #%zu (expected %zu events, got %zu%s)\n",
		    bad == SIZE_MAX ? (n < r->n ? n : r->n) : bad, n, r->n,
		    r->dropped ? ", some dropped" : "");
	for (i = 0; i < n || i < r->n; i++) {
		if (i < n)
			bh_ev_str(&exp[i], e, sizeof(e));
		else
			strcpy(e, "-");
		if (i < r->n)
			bh_ev_str(&r->ev[i], a, sizeof(a));
		else
			strcpy(a, "-");
		print_error("  %c #%zu expected: %s\n", strcmp(a, e) ? '!' : ' ', i, e);
		if (strcmp(a, e))
			print_error("       got:      %s\n", a);
	}
	_fail(file, line);
}

/* Append to a string buffer; never overflows, truncates silently. */
static void bh_cat(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bh_cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

void bh_depth_str(const struct nx_book *b, nx_inst_t inst, unsigned side, char *buf, size_t len)
{
	struct nx_level_info lv[64];
	int n = nx_book_depth(b, inst, side, lv, 64);

	buf[0] = 0;
	if (n < 0) {
		bh_cat(buf, len, "error %d", n);
		return;
	}
	for (int i = 0; i < n; i++)
		bh_cat(buf, len, "%s%" PRId64 ":%" PRId64 ":%" PRIu32, i ? " " : "",
		       lv[i].px, lv[i].qty, lv[i].count);
}

void bh_queue_str(const struct nx_book *b, nx_inst_t inst, unsigned side, nx_px_t px,
		  char *buf, size_t len)
{
	nx_oid_t q[64];
	int n = nx_book_level_orders(b, inst, side, px, q, 64);

	buf[0] = 0;
	if (n < 0) {
		bh_cat(buf, len, "error %d", n);
		return;
	}
	for (int i = 0; i < n; i++)
		bh_cat(buf, len, "%s%" PRIu64, i ? " " : "", q[i]);
}

void bh_info_str(const struct nx_order_info *oi, char *buf, size_t len)
{
	snprintf(buf, len,
		 "oid=%" PRIu64 " cl=%" PRIu64 " acct=%" PRIu32 " inst=%" PRIu32
		 " side=%u px=%" PRId64 " leaves=%" PRId64 " vis=%" PRId64 " disp=%" PRId64
		 " cum=%" PRId64 " po=%u stp=%u",
		 oi->oid, oi->cl, oi->acct, oi->inst, oi->side, oi->px, oi->leaves,
		 oi->visible, oi->display, oi->cum, oi->post_only, oi->stp);
}

void bh_order_str(const struct nx_book *b, nx_oid_t oid, char *buf, size_t len)
{
	struct nx_order_info oi;
	int rc;

	memset(&oi, 0, sizeof(oi));
	rc = nx_book_order(b, oid, &oi);
	if (rc == -ENOENT)
		snprintf(buf, len, "none");
	else if (rc != 0)
		snprintf(buf, len, "error %d", rc);
	else
		bh_info_str(&oi, buf, len);
}

void bh_bbo_str(const struct nx_book *b, nx_inst_t inst, char *buf, size_t len)
{
	struct nx_bbo q;
	int rc;

	memset(&q, 0, sizeof(q));
	rc = nx_book_bbo(b, inst, &q);
	if (rc != 0)
		snprintf(buf, len, "error %d", rc);
	else
		snprintf(buf, len,
			 "bid=%" PRId64 "/%" PRId64 "/%" PRIu32 " ask=%" PRId64 "/%" PRId64
			 "/%" PRIu32,
			 q.bid_px, q.bid_qty, q.bid_count, q.ask_px, q.ask_qty, q.ask_count);
}

void bh_assert_depth(const struct nx_book *b, nx_inst_t inst, unsigned side, const char *exp,
		     const char *file, int line)
{
	char buf[2048];

	bh_depth_str(b, inst, side, buf, sizeof(buf));
	_assert_string_equal(buf, exp, file, line);
}

void bh_assert_queue(const struct nx_book *b, nx_inst_t inst, unsigned side, nx_px_t px,
		     const char *exp, const char *file, int line)
{
	char buf[1024];

	bh_queue_str(b, inst, side, px, buf, sizeof(buf));
	_assert_string_equal(buf, exp, file, line);
}

void bh_assert_order(const struct nx_book *b, nx_oid_t oid, const char *exp,
		     const char *file, int line)
{
	char buf[512];

	bh_order_str(b, oid, buf, sizeof(buf));
	_assert_string_equal(buf, exp, file, line);
}

void bh_assert_bbo(const struct nx_book *b, nx_inst_t inst, const char *exp,
		   const char *file, int line)
{
	char buf[256];

	bh_bbo_str(b, inst, buf, sizeof(buf));
	_assert_string_equal(buf, exp, file, line);
}

void bh_assert_check(const struct nx_book *b, const char *file, int line)
{
	const char *why = NULL;
	int rc = nx_book_check(b, &why);

	if (rc != 0) {
		print_error("nx_book_check: %d (%s)\n", rc, why ? why : "?");
		_fail(file, line);
	}
}

/* --- the standard fixture (book_helpers.h) -------------------------------- */

static void add_std_instruments(struct nx_book *b)
{
	struct nx_instrument in = { .id = INST, .symbol = "BTC-USD", .min_qty = 1,
				    .max_qty = 1000000, .band_ticks = 5 };

	nx_instrument_defaults(&in);
	assert_int_equal(nx_book_add_instrument(b, &in), 0);
	in = (struct nx_instrument){ .id = INST2, .symbol = "ETH-USD", .tick = 5, .lot = 10,
				     .min_qty = 20, .max_qty = 1000, .band_ticks = 2 };
	nx_instrument_defaults(&in);
	assert_int_equal(nx_book_add_instrument(b, &in), 0);
}

static void add_std_accounts(struct nx_book *b)
{
	static const struct nx_account accts[] = {
		{ .id = A }, { .id = B },
		{ .id = G1, .stp_group = 100 }, { .id = G2, .stp_group = 100 },
		{ .id = DCN, .stp = NX_STP_CN },
	};

	for (size_t i = 0; i < NX_ARRAY_SIZE(accts); i++)
		assert_int_equal(nx_book_add_account(b, &accts[i]), 0);
}

static struct fx *fx_new(const struct nx_book_config *cfg)
{
	struct fx *f = calloc(1, sizeof(*f));
	size_t sz = nx_book_memsize(cfg);

	assert_non_null(f);
	assert_true(sz > 0);
	f->mem = aligned_alloc(NX_CACHE_LINE, (sz + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1));
	assert_non_null(f->mem);
	f->b = nx_book_init(f->mem, sz, cfg, bh_rec_sink, &f->r);
	assert_non_null(f->b);
	add_std_instruments(f->b);
	add_std_accounts(f->b);
	return f;
}

static void fx_free(struct fx *f)
{
	if (f) {
		free(f->mem);
		free(f);
	}
}

int bh_setup(void **state)
{
	const struct nx_book_config cfg = { .max_instruments = 4, .max_accounts = 16,
					    .max_orders = 64, .ladder_ticks = LADDER };

	*state = fx_new(&cfg);
	return 0;
}

static int setup_orders(void **state, uint32_t max_orders)
{
	const struct nx_book_config cfg = { .max_instruments = 2, .max_accounts = 8,
					    .max_orders = max_orders, .ladder_ticks = LADDER };

	*state = fx_new(&cfg);
	return 0;
}

int bh_setup_3_orders(void **state) { return setup_orders(state, 3); }
int bh_setup_1_order(void **state) { return setup_orders(state, 1); }

int bh_teardown(void **state)
{
	fx_free(*state);
	return 0;
}

int do_new(struct fx *f, const struct nx_new_order *o)
{
	bh_rec_clear(&f->r);
	int rc = nx_book_new_order(f->b, o);
	CHECK_BOOK(f);
	return rc;
}

int do_cancel(struct fx *f, nx_acct_t acct, nx_clid_t cl, nx_clid_t orig_cl, nx_oid_t oid)
{
	const struct nx_cancel c = { .acct = acct, .cl = cl, .orig_cl = orig_cl, .oid = oid };

	bh_rec_clear(&f->r);
	int rc = nx_book_cancel(f->b, &c);
	CHECK_BOOK(f);
	return rc;
}

int do_replace(struct fx *f, nx_acct_t acct, nx_clid_t cl, nx_clid_t orig_cl, nx_oid_t oid,
	       nx_px_t px, nx_qty_t qty)
{
	const struct nx_replace r = { .acct = acct, .cl = cl, .orig_cl = orig_cl, .oid = oid,
				      .px = px, .qty = qty };

	bh_rec_clear(&f->r);
	int rc = nx_book_replace(f->b, &r);
	CHECK_BOOK(f);
	return rc;
}

int do_mass(struct fx *f, nx_acct_t acct, nx_clid_t cl, nx_inst_t inst, unsigned side)
{
	const struct nx_mass_cancel m = { .acct = acct, .cl = cl, .inst = inst,
					  .side = (uint8_t)side };

	bh_rec_clear(&f->r);
	int rc = nx_book_mass_cancel(f->b, &m);
	CHECK_BOOK(f);
	return rc;
}

int do_status(struct fx *f, nx_inst_t inst, unsigned status, int cancel_resting)
{
	bh_rec_clear(&f->r);
	int rc = nx_book_set_status(f->b, inst, status, cancel_resting);
	CHECK_BOOK(f);
	return rc;
}

struct nx_new_order lim(nx_acct_t acct, nx_clid_t cl, unsigned side, nx_px_t px, nx_qty_t qty)
{
	return (struct nx_new_order){ .acct = acct, .inst = INST, .cl = cl, .px = px,
				      .qty = qty, .side = (uint8_t)side,
				      .type = NX_ORD_LIMIT, .tif = NX_TIF_GTC,
				      .stp = NX_STP_NONE };
}

struct nx_new_order lim2(nx_acct_t acct, nx_clid_t cl, unsigned side, nx_px_t px, nx_qty_t qty)
{
	struct nx_new_order o = lim(acct, cl, side, px, qty);

	o.inst = INST2;
	return o;
}

struct nx_new_order mkt(nx_acct_t acct, nx_clid_t cl, unsigned side, nx_qty_t qty)
{
	struct nx_new_order o = lim(acct, cl, side, -77, qty);

	o.type = NX_ORD_MARKET;
	o.tif = NX_TIF_IOC;
	return o;
}

struct nx_new_order ice(nx_acct_t acct, nx_clid_t cl, unsigned side, nx_px_t px, nx_qty_t qty,
			nx_qty_t display)
{
	struct nx_new_order o = lim(acct, cl, side, px, qty);

	o.display = display;
	return o;
}

struct nx_new_order with_stp(struct nx_new_order o, unsigned stp)
{
	o.stp = (uint8_t)stp;
	return o;
}

struct nx_new_order with_tif(struct nx_new_order o, unsigned tif)
{
	o.tif = (uint8_t)tif;
	return o;
}

nx_oid_t put_o(struct fx *f, const struct nx_new_order *o)
{
	assert_int_equal(do_new(f, o), 0);
	assert_true(f->r.n >= 1);
	assert_int_equal(f->r.ev[0].type, NX_EV_ACCEPTED);
	return f->r.ev[0].u.order.oid;
}

nx_oid_t put(struct fx *f, nx_acct_t acct, nx_clid_t cl, unsigned side, nx_px_t px,
	     nx_qty_t qty)
{
	const struct nx_new_order o = lim(acct, cl, side, px, qty);

	return put_o(f, &o);
}

struct nx_event acc_stp(const struct nx_new_order *o, nx_oid_t oid, unsigned stp)
{
	struct nx_event e = bh_acc(o, oid);

	e.u.order.stp = (uint8_t)stp;
	return e;
}
