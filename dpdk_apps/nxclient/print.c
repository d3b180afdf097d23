/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxclient's message lines: every field of every NXP message as key=value,
 * generated from the codec's field tables (nx/nxp.h), so a new field is
 * printed without touching this file. One table below gives each wire field
 * its short key (cl_ord_id -> cl), how its value is named (side -> BUY) and,
 * by its position, where it goes in the line: identifiers first, then the
 * order, then the outcome, times last. Expect matches against the very same
 * strings, so whatever a transcript shows can be asserted.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nx/reason.h"
#include "nxclient.h"

static const struct {
	const char *field, *key;
	uint8_t kind;
} fields[] = {
	{ "req_id", "req", NXC_K_NUM },
	{ "cl_ord_id", "cl", NXC_K_NUM },
	{ "orig_cl_ord_id", "orig", NXC_K_NUM },
	{ "req_cl_ord_id", "req_cl", NXC_K_NUM },
	{ "ref_seq_no", "ref_seq", NXC_K_NUM },
	{ "ref_template_id", "ref_msg", NXC_K_TEMPLATE },
	{ "ref_id", "ref_id", NXC_K_NUM },
	{ "order_id", "oid", NXC_K_NUM },
	{ "trade_id", "tid", NXC_K_NUM },
	{ "account", "acct", NXC_K_NUM },
	{ "instrument", "inst", NXC_K_NUM },
	{ "symbol", "symbol", NXC_K_SYMBOL },
	{ "side", "side", NXC_K_SIDE },
	{ "ord_type", "type", NXC_K_TYPE },
	{ "time_in_force", "tif", NXC_K_TIF },
	{ "qty", "qty", NXC_K_INT },
	{ "last_qty", "qty", NXC_K_INT },
	{ "canceled_qty", "qty", NXC_K_INT },
	{ "reduced_qty", "qty", NXC_K_INT },
	{ "price", "px", NXC_K_INT },
	{ "last_px", "px", NXC_K_INT },
	{ "display_qty", "display", NXC_K_INT },
	{ "leaves_qty", "leaves", NXC_K_INT },
	{ "cum_qty", "cum", NXC_K_INT },
	{ "trade_count", "trades", NXC_K_NUM },
	{ "liquidity", "liq", NXC_K_LIQ },
	{ "aggressor", "aggr", NXC_K_SIDE },
	{ "post_only", "post", NXC_K_NUM },
	{ "stp_mode", "stp", NXC_K_STP },
	{ "kept_priority", "kept", NXC_K_NUM },
	{ "response_to", "resp", NXC_K_RESP },
	{ "reason", "reason", NXC_K_REJECT }, /* cancel names in ExecCanceled/ExecReduced */
	{ "code", "code", NXC_K_REJECT },
	{ "client_flow", "flow", NXC_K_FLOW },
	{ "server_flow", "flow", NXC_K_FLOW },
	{ "next_seq_no", "next", NXC_K_NUM },
	{ "next_recv_seq_no", "next_recv", NXC_K_NUM },
	{ "keepalive_ms", "keepalive", NXC_K_NUM },
	{ "from_seq_no", "from", NXC_K_NUM },
	{ "last_seq_no", "last", NXC_K_NUM },
	{ "id", "id", NXC_K_NUM },
	{ "scope", "scope", NXC_K_SCOPE },
	{ "on", "on", NXC_K_NUM },
	{ "mode", "mode", NXC_K_COD },
	{ "limit_kind", "kind", NXC_K_LIMIT },
	{ "value", "value", NXC_K_INT },
	{ "status", "status", NXC_K_STATUS },
	{ "cancel_resting", "cancel", NXC_K_NUM },
	{ "kind", "kind", NXC_K_INSTKIND },
	{ "tick", "tick", NXC_K_INT },
	{ "lot", "lot", NXC_K_INT },
	{ "min_qty", "min", NXC_K_INT },
	{ "max_qty", "max", NXC_K_INT },
	{ "band_ticks", "band", NXC_K_INT },
	{ "ref_px", "ref_px", NXC_K_INT },
	{ "underlying", "underlying", NXC_K_NUM },
	{ "strike", "strike", NXC_K_INT },
	{ "put_call", "pc", NXC_K_PC },
	{ "expiry", "expiry", NXC_K_INT },
	{ "index", "index", NXC_K_NUM },
	{ "total", "total", NXC_K_NUM },
	{ "count", "count", NXC_K_NUM },
	{ "session_id", "sid", NXC_K_SID },
	{ "transact_time", "time", NXC_K_TIME },
	{ "timestamp", "ts", NXC_K_TIME },
	{ "request_timestamp", "ts", NXC_K_TIME },
	{ "secret_key", "key", NXC_K_HIDE },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* Value names by enum kind; a NULL slot (or a value past the end) prints
 * as its number. */
static const char *const side_names[] = { "BOTH", "BUY", "SELL" };
static const char *const type_names[] = { NULL, "LIMIT", "MARKET" };
static const char *const tif_names[] = { NULL, "GTC", "IOC", "FOK" };
static const char *const stp_names[] = { "DEFAULT", "NONE", "CN", "CO", "CB", "DC" };
static const char *const liq_names[] = { NULL, "MAKER", "TAKER" };
static const char *const resp_names[] = { NULL, "NEW", "CANCEL", "REPLACE", "MASSCANCEL" };
static const char *const instkind_names[] = { NULL, "SPOT", "FUTURE", "PERPETUAL", "OPTION" };
static const char *const status_names[] = { NULL, "OPEN", "HALTED", "CLOSED" };
static const char *const pc_names[] = { "NONE", "CALL", "PUT" };
static const char *const scope_names[] = { NULL, "VENUE", "ACCOUNT", "INSTRUMENT" };
static const char *const limit_names[] = { NULL, "NOTIONAL", "POSITION", "CREDIT", "OPEN_ORDERS",
					   "MSG_RATE", "MSG_BURST" };
static const char *const flow_names[] = { "RECOVERABLE", "IDEMPOTENT", "UNSEQUENCED", "NONE" };
static const char *const cod_names[] = { "DEFAULT", "OFF", "ON" };

static const struct {
	const char *const *names;
	unsigned n;
} tables[] = {
#define T_(k, a) [k] = { a, sizeof(a) / sizeof(a[0]) }
	T_(NXC_K_SIDE, side_names),   T_(NXC_K_TYPE, type_names),
	T_(NXC_K_TIF, tif_names),     T_(NXC_K_STP, stp_names),
	T_(NXC_K_LIQ, liq_names),     T_(NXC_K_RESP, resp_names),
	T_(NXC_K_INSTKIND, instkind_names), T_(NXC_K_STATUS, status_names),
	T_(NXC_K_PC, pc_names),       T_(NXC_K_SCOPE, scope_names),
	T_(NXC_K_LIMIT, limit_names), T_(NXC_K_FLOW, flow_names),
	T_(NXC_K_COD, cod_names),
#undef T_
};

static int is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

unsigned nxc_template_parse(const char *name)
{
#define X_(N, n, S, ID, LEN, FL) if (!strcasecmp(name, #S)) return ID;
	NX_NXP_MESSAGES(X_)
#undef X_
	return 0;
}

int nxc_enum_parse(enum nxc_kind k, const char *s, uint64_t *v)
{
	if (is_number(s) && *s != '-') {
		char *end;
		*v = strtoull(s, &end, 10);
		return 0;
	}
	if (k == NXC_K_SIDE && (!strcasecmp(s, "B") || !strcasecmp(s, "S"))) {
		*v = (s[0] | 0x20) == 'b' ? 1 : 2;
		return 0;
	}
	if (k == NXC_K_REJECT || k == NXC_K_CANCEL) {
		char up[64]; /* nx/reason.h names are upper case; ours are case-insensitive */
		size_t i = 0;
		for (; s[i] && i < sizeof(up) - 1; i++)
			up[i] = (char)toupper((unsigned char)s[i]);
		up[i] = 0;
		if (s[i])
			return -1;
		if (!strcmp(up, "NONE")) {
			*v = 0;
			return 0;
		}
		*v = k == NXC_K_REJECT ? nx_reject_parse(up) : nx_cancel_parse(up);
		return *v ? 0 : -1;
	}
	if (k == NXC_K_TEMPLATE) {
		*v = nxc_template_parse(s);
		return *v ? 0 : -1;
	}
	if (k >= sizeof(tables) / sizeof(tables[0]) || !tables[k].names)
		return -1;
	for (unsigned i = 0; i < tables[k].n; i++)
		if (tables[k].names[i] && !strcasecmp(s, tables[k].names[i])) {
			*v = i;
			return 0;
		}
	return -1;
}

/* --- Tokens: one per field, in print order --------------------------------------- */

struct tok {
	const char *key;
	uint8_t kind;
	uint8_t rank;
	uint8_t is_int;
	uint64_t raw;
	char val[40];
};

struct toks {
	struct tok t[32];
	unsigned n;
	uint16_t tid;
};

static void name_value(char *buf, size_t cap, uint8_t kind, uint16_t tid, uint64_t v)
{
	const char *name = NULL;
	if (kind == NXC_K_REJECT)
		name = !v ? "NONE" : tid == NX_NXP_EXEC_CANCELED || tid == NX_NXP_EXEC_REDUCED
			? nx_cancel_name((unsigned)v) : nx_reject_name((unsigned)v);
	else if (kind == NXC_K_TEMPLATE)
		name = nx_nxp_template_name((unsigned)v);
	else if (kind == NXC_K_SIDE && v == 0 && tid != NX_NXP_MASS_CANCEL &&
		 tid != NX_NXP_MASS_CANCEL_REPORT)
		name = NULL; /* only a SideFilter may say BOTH */
	else if (kind < sizeof(tables) / sizeof(tables[0]) && tables[kind].names && v < tables[kind].n)
		name = tables[kind].names[v];
	if (name && strcmp(name, "?"))
		snprintf(buf, cap, "%s", name);
	else
		snprintf(buf, cap, "%" PRIu64, v);
}

static void put(struct toks *ts, const char *field, uint64_t raw, int is_int, const char *str)
{
	if (ts->n == sizeof(ts->t) / sizeof(ts->t[0]))
		return;
	struct tok *t = &ts->t[ts->n++];
	unsigned i;
	for (i = 0; i < NFIELDS && strcmp(fields[i].field, field); i++)
		;
	t->key = i < NFIELDS ? fields[i].key : field;
	t->kind = i < NFIELDS ? fields[i].kind : (is_int ? NXC_K_INT : NXC_K_NUM);
	t->rank = (uint8_t)i;
	t->raw = raw;
	t->is_int = (uint8_t)is_int;
	if (str) {
		/* A symbol: up to 16 characters, NUL-padded; anything unprintable as '?'. */
		size_t k = 0;
		for (; k < 16 && str[k]; k++)
			t->val[k] = str[k] > ' ' && str[k] < 0x7f ? str[k] : '?';
		t->val[k] = 0;
		if (!k)
			strcpy(t->val, "-");
	} else if (t->kind == NXC_K_INT) {
		snprintf(t->val, sizeof(t->val), "%" PRId64, (int64_t)raw);
	} else {
		name_value(t->val, sizeof(t->val), t->kind, ts->tid, raw);
	}
}

#define PUT_u8(ts, f, v)  put(ts, f, (v), 0, NULL)
#define PUT_u16(ts, f, v) put(ts, f, (v), 0, NULL)
#define PUT_u32(ts, f, v) put(ts, f, (v), 0, NULL)
#define PUT_u64(ts, f, v) put(ts, f, (v), 0, NULL)
#define PUT_i64(ts, f, v) put(ts, f, (uint64_t)(v), 1, NULL)
#define PUT_c16(ts, f, v) put(ts, f, 0, 0, (v))
#define PUT_b32(ts, f, v) put(ts, f, 0, 0, "")

static void tokens(const struct nx_client_msg *msg, struct toks *ts)
{
	ts->n = 0;
	ts->tid = msg->template_id;
	switch (msg->template_id) {
#define F_(m, f, t, off) PUT_##t(ts, #f, msg->u.m.f);
#define X_(N, n, S, ID, LEN, FL) case ID: NX_NXP_FIELDS_##n(F_, n) break;
	NX_NXP_MESSAGES(X_)
#undef X_
#undef F_
	default:
		break;
	}
	/* Stable insertion sort by rank: the table's order, wire order among equals. */
	for (unsigned i = 1; i < ts->n; i++) {
		struct tok t = ts->t[i];
		unsigned j = i;
		for (; j > 0 && ts->t[j - 1].rank > t.rank; j--)
			ts->t[j] = ts->t[j - 1];
		ts->t[j] = t;
	}
}

static int shown(const struct tok *t, int times)
{
	if (t->kind == NXC_K_HIDE)
		return 0;
	return times || (t->kind != NXC_K_TIME && t->kind != NXC_K_SID);
}

void nxc_format(char *buf, size_t cap, int times, const struct nx_client_msg *m)
{
	struct toks ts;
	size_t len;
	tokens(m, &ts);
	len = (size_t)snprintf(buf, cap, "%s", nx_nxp_template_name(m->template_id));
	if (m->seq && len < cap)
		len += (size_t)snprintf(buf + len, cap - len, " seq=%" PRIu64, m->seq);
	for (unsigned i = 0; i < ts.n && len < cap; i++)
		if (shown(&ts.t[i], times))
			len += (size_t)snprintf(buf + len, cap - len, " %s=%s", ts.t[i].key, ts.t[i].val);
}

void nxc_print(FILE *f, int times, char dir, const char *session, const char *mark,
	       const struct nx_client_msg *m)
{
	char line[1024];
	nxc_format(line, sizeof(line), times, m);
	fprintf(f, "%c %s %s%s%s\n", dir, session, mark ? mark : "", mark ? " " : "", line);
}

int nxc_field_match(const struct nx_client_msg *m, int resent, const char *key,
		    const char *want, char *got, size_t gotlen)
{
	struct toks ts;
	uint64_t v;
	if (!strcmp(key, "seq") || !strcmp(key, "resent")) {
		v = key[0] == 's' ? m->seq : (uint64_t)resent;
		snprintf(got, gotlen, "%" PRIu64, v);
		return is_number(want) && strtoull(want, NULL, 10) == v;
	}
	tokens(m, &ts);
	for (unsigned i = 0; i < ts.n; i++) {
		const struct tok *t = &ts.t[i];
		if (strcmp(t->key, key) || t->kind == NXC_K_HIDE)
			continue;
		snprintf(got, gotlen, "%s", t->val);
		if (!strcasecmp(t->val, want))
			return 1;
		if (is_number(want) && t->kind != NXC_K_SYMBOL)
			return t->is_int ? strtoll(want, NULL, 10) == (int64_t)t->raw
					 : *want != '-' && strtoull(want, NULL, 10) == t->raw;
		/* Another name of the value, as nxc_field_check accepts it (side=B
		 * for BUY): compare what it parses to. */
		if (t->kind == NXC_K_SIDE && !nxc_enum_parse(NXC_K_SIDE, want, &v))
			return v == t->raw;
		return 0;
	}
	return -1;
}

int nxc_field_check(const struct nx_client_msg *m, const char *key, const char *want)
{
	struct toks ts;
	uint64_t v;
	if (!strcmp(key, "seq"))
		return is_number(want) && *want != '-';
	if (!strcmp(key, "resent"))
		return !strcmp(want, "0") || !strcmp(want, "1");
	tokens(m, &ts);
	for (unsigned i = 0; i < ts.n; i++) {
		const struct tok *t = &ts.t[i];
		if (strcmp(t->key, key) || t->kind == NXC_K_HIDE)
			continue;
		switch (t->kind) {
		case NXC_K_SYMBOL:
			return 1;
		case NXC_K_INT:
			return is_number(want);
		case NXC_K_NUM:
		case NXC_K_TIME:
		case NXC_K_SID:
			return is_number(want) && *want != '-';
		case NXC_K_REJECT:
			if (ts.tid == NX_NXP_EXEC_CANCELED || ts.tid == NX_NXP_EXEC_REDUCED)
				return !nxc_enum_parse(NXC_K_CANCEL, want, &v);
			return !nxc_enum_parse(NXC_K_REJECT, want, &v);
		default:
			return !nxc_enum_parse((enum nxc_kind)t->kind, want, &v);
		}
	}
	return -1;
}
