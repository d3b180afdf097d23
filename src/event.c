/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The canonical text form of events (docs/replay-format.md): one line per
 * event, "kind key=value ...", every key always present and always in the
 * same order, so two runs can be compared with diff. A trade is three
 * lines: the trade, the maker's fill, the taker's fill. Cold code: the hot
 * path hands events to sinks as structs, never as text.
 */
#include <inttypes.h>
#include <stdio.h>

#include "nx/book.h"
#include "nx/cc.h"
#include "nx/event.h"
#include "nx/reason.h"

static const char *name_of(const char *const *t, size_t n, unsigned v)
{
	return v < n && t[v] ? t[v] : "?";
}

#define NAMES(fn, ...)                                                          \
	const char *fn(unsigned v)                                              \
	{                                                                       \
		static const char *const t[] = { __VA_ARGS__ };                 \
		return name_of(t, NX_ARRAY_SIZE(t), v);                         \
	}

NAMES(nx_side_name, NULL, "B", "S")
NAMES(nx_ord_type_name, NULL, "LIMIT", "MARKET")
NAMES(nx_tif_name, NULL, "GTC", "IOC", "FOK")
NAMES(nx_stp_name, "DEFAULT", "NONE", "CN", "CO", "CB", "DC")
NAMES(nx_request_name, NULL, "NEW", "CANCEL", "REPLACE", "MASSCANCEL")
NAMES(nx_status_name, NULL, "OPEN", "HALTED", "CLOSED")

static const char *liq_name(unsigned liq) { return liq == NX_LIQ_MAKER ? "MAKER" : "TAKER"; }

/* A trade's fill line then end, written at buf + at as far as len allows.
 * Returns the length they need. */
static int format_fill(const struct nx_ev_fill *f, const char *end, char *buf, size_t len,
		       size_t at)
{
	return snprintf(at < len ? buf + at : NULL, at < len ? len - at : 0,
			"fill acct=%" PRIu32 " cl=%" PRIu64 " oid=%" PRIu64 " inst=%" PRIu32
			" side=%s px=%" PRId64 " qty=%" PRId64 " leaves=%" PRId64 " cum=%" PRId64
			" tid=%" PRIu64 " liq=%s%s",
			f->acct, f->cl, f->oid, f->inst, nx_side_name(f->side), f->px, f->qty,
			f->leaves, f->cum, f->tid, liq_name(f->liq), end);
}

int nx_event_format(const struct nx_event *ev, char *buf, size_t len)
{
	switch (ev->type) {
	case NX_EV_ACCEPTED: {
		const struct nx_ev_order *o = &ev->u.order;
		return snprintf(buf, len,
			"ack acct=%" PRIu32 " cl=%" PRIu64 " oid=%" PRIu64 " inst=%" PRIu32
			" side=%s type=%s tif=%s px=%" PRId64 " qty=%" PRId64 " display=%" PRId64
			" post=%u stp=%s",
			o->acct, o->cl, o->oid, o->inst, nx_side_name(o->side), nx_ord_type_name(o->type),
			nx_tif_name(o->tif), o->px, o->qty, o->display, o->post_only, nx_stp_name(o->stp));
	}
	case NX_EV_REJECTED: {
		const struct nx_ev_reject *r = &ev->u.reject;
		return snprintf(buf, len,
			"reject acct=%" PRIu32 " cl=%" PRIu64 " req=%s inst=%" PRIu32 " orig=%" PRIu64
			" oid=%" PRIu64 " reason=%s",
			r->acct, r->cl, nx_request_name(r->req), r->inst, r->orig_cl, r->oid,
			nx_reject_name(r->reason));
	}
	case NX_EV_TRADE: {
		const struct nx_ev_trade *t = &ev->u.trade;
		int n = snprintf(buf, len,
			"trade tid=%" PRIu64 " inst=%" PRIu32 " px=%" PRId64 " qty=%" PRId64
			" maker_oid=%" PRIu64 " taker_oid=%" PRIu64 " maker_acct=%" PRIu32
			" taker_acct=%" PRIu32 " aggressor=%s\n",
			t->tid, t->inst, t->px, t->qty, t->maker.oid, t->taker.oid, t->maker.acct,
			t->taker.acct, nx_side_name(t->aggressor));
		n += format_fill(&t->maker, "\n", buf, len, (size_t)n);
		return n + format_fill(&t->taker, "", buf, len, (size_t)n);
	}
	case NX_EV_CANCELED:
	case NX_EV_REDUCED: {
		const struct nx_ev_cancel *c = &ev->u.cancel;
		return snprintf(buf, len,
			"%s acct=%" PRIu32 " cl=%" PRIu64 " oid=%" PRIu64 " inst=%" PRIu32
			" side=%s qty=%" PRId64 " leaves=%" PRId64 " reason=%s",
			ev->type == NX_EV_CANCELED ? "cancel" : "reduced", c->acct, c->cl, c->oid,
			c->inst, nx_side_name(c->side), c->qty, c->leaves, nx_cancel_name(c->reason));
	}
	case NX_EV_REPLACED: {
		const struct nx_ev_replace *r = &ev->u.replace;
		return snprintf(buf, len,
			"replaced acct=%" PRIu32 " cl=%" PRIu64 " orig=%" PRIu64 " oid=%" PRIu64
			" inst=%" PRIu32 " side=%s qty=%" PRId64 " px=%" PRId64 " kept=%u",
			r->acct, r->cl, r->orig_cl, r->oid, r->inst, nx_side_name(r->side), r->qty,
			r->px, r->kept_priority);
	}
	case NX_EV_MASS_CANCELED: {
		const struct nx_ev_mass *m = &ev->u.mass;
		return snprintf(buf, len,
			"masscanceled acct=%" PRIu32 " cl=%" PRIu64 " inst=%" PRIu32 " side=%s count=%" PRIu32,
			m->acct, m->cl, m->inst, m->side ? nx_side_name(m->side) : "ALL", m->count);
	}
	case NX_EV_LEVEL: {
		const struct nx_ev_level *l = &ev->u.level;
		return snprintf(buf, len,
			"level inst=%" PRIu32 " side=%s px=%" PRId64 " qty=%" PRId64 " count=%" PRIu32,
			l->inst, nx_side_name(l->side), l->px, l->qty, l->count);
	}
	case NX_EV_STATUS:
		return snprintf(buf, len, "status inst=%" PRIu32 " state=%s", ev->u.status.inst,
				nx_status_name(ev->u.status.status));
	default:
		return snprintf(buf, len, "unknown type=%u", ev->type);
	}
}
