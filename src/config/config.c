/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Loading the venue configuration with libconfig (Debian's libconfig-dev):
 * the parser is theirs, the schema and its validation are here. Every
 * group rejects members it does not know, so a misspelt limit fails loudly
 * instead of silently keeping a default. Cold code.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nx/book.h"
#include "nx/config.h"
#include "config_priv.h"

/* Defaults for what the file may leave out (limits may not be left out). */
#define DEF_MAX_ORDERS   (1u << 20) /* 1M live orders per shard */
#define DEF_LADDER_TICKS (1u << 16) /* price window of 65536 ticks per side */
#define DEF_MAX_SESSIONS 256  /* x history x 129 B of retransmission memory */
#define DEF_KEEPALIVE_MS 1000       /* FIXP keepalive: 1 s */
#define DEF_HISTORY      1024       /* messages kept per session: 256 x 1024 x 129 B = 34 MB */
#define DEF_MAX_QTY      INT64_C(1000000000000) /* as nx_instrument_defaults */


int cfg_fail(struct loader *L, const config_setting_t *s, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	unsigned line = s ? config_setting_source_line(s) : 0;
	/* the file the setting was read from: an @include'd one names itself */
	const char *file = s && config_setting_source_file(s) ? config_setting_source_file(s) : L->path;
	const char *name = s && config_setting_name(s) ? config_setting_name(s) : NULL;
	size_t nl = name ? strlen(name) : 0, wl = strlen(L->where);
	/* a member named like its section ("book = { book = 1; }") is that
	 * section's member, not the section: its parent bears the name too */
	const config_setting_t *up = s ? config_setting_parent(s) : NULL;
	const char *upname = up ? config_setting_name(up) : NULL;
	if (name && wl >= nl && !strcmp(L->where + wl - nl, name) &&
	    (wl == nl || L->where[wl - nl - 1] == '.') && !(upname && !strcmp(upname, name)))
		name = NULL; /* s is the section the location names: "book", not "book.book" */
	/* "file:line", or the file alone for what has no line (the root: a
	 * section left out), rather than a line 0 the file does not have */
	char at[4096 + 16];
	if (line)
		snprintf(at, sizeof(at), "%s:%u", file, line);
	else
		snprintf(at, sizeof(at), "%s", file);
	if (name && L->where[0])
		snprintf(L->err, L->errlen, "%s: %s.%s: %s", at, L->where, name, msg);
	else if (name || L->where[0])
		snprintf(L->err, L->errlen, "%s: %s: %s", at, name ? name : L->where, msg);
	else
		snprintf(L->err, L->errlen, "%s: %s", at, msg);
	return -EINVAL;
}

/* Every member of group g must be named in allowed (NULL-terminated). */
int cfg_only(struct loader *L, const config_setting_t *g, const char *const *allowed)
{
	if (!config_setting_is_group(g))
		return cfg_fail(L, g, "must be a group { ... }");
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *const *a = allowed;
		while (*a && strcmp(*a, config_setting_name(m)))
			a++;
		if (!*a)
			return cfg_fail(L, m, "unknown field");
	}
	return 0;
}

int cfg_int(struct loader *L, const config_setting_t *g, const char *name, int64_t lo,
		   int64_t hi, int64_t *v, int *rc)
{
	const config_setting_t *m = config_setting_get_member(g, name);
	if (!m)
		return 1;
	int t = config_setting_type(m);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		*rc = cfg_fail(L, m, "must be an integer");
		return -1;
	}
	long long x = config_setting_get_int64(m);
	if (x < lo || x > hi) {
		*rc = cfg_fail(L, m, "must be between %lld and %lld", (long long)lo, (long long)hi);
		return -1;
	}
	*v = x;
	return 0;
}

const char *cfg_str(struct loader *L, const config_setting_t *g, const char *name, int *rc)
{
	const config_setting_t *m = config_setting_get_member(g, name);
	if (!m)
		return NULL;
	if (config_setting_type(m) != CONFIG_TYPE_STRING) {
		*rc = cfg_fail(L, m, "must be a string");
		return NULL;
	}
	return config_setting_get_string(m);
}

int cfg_bool(struct loader *L, const config_setting_t *g, const char *name, uint8_t *v)
{
	const config_setting_t *m = config_setting_get_member(g, name);
	if (!m)
		return 0;
	if (config_setting_type(m) != CONFIG_TYPE_BOOL)
		return cfg_fail(L, m, "must be true or false");
	*v = (uint8_t)config_setting_get_bool(m);
	return 0;
}

int cfg_missing(struct loader *L, const config_setting_t *g, const char *name)
{
	return cfg_fail(L, g, "missing %s", name);
}

/* The required "id" of an instrument or account, 1 .. 2^32-1. */
static int get_id(struct loader *L, const config_setting_t *g, uint32_t *id)
{
	int64_t v = 0;
	int rc = 0;
	if (cfg_int(L, g, "id", 1, UINT32_MAX, &v, &rc) > 0)
		return cfg_missing(L, g, "id");
	if (!rc)
		*id = (uint32_t)v;
	return rc;
}

/* A required string member. */
static int get_required_str(struct loader *L, const config_setting_t *g, const char *name,
			    const char **out)
{
	int rc = 0;
	*out = cfg_str(L, g, name, &rc);
	if (rc)
		return rc;
	return *out ? 0 : cfg_missing(L, g, name);
}

/* --- Sections ------------------------------------------------------------- */

/* The limits, in the bit order of load_limits' *have. */
static const char *const limit_names[] = { "max_order_notional", "position_limit", "credit_limit",
	"max_open_orders", "msg_rate", "msg_burst", NULL };

static int load_limits(struct loader *L, const config_setting_t *g, struct nx_limits *lim,
		       unsigned *have)
{
	const char *const *names = limit_names;
	int rc = cfg_only(L, g, names);
	if (rc)
		return rc;
	int64_t v;
	for (unsigned i = 0; names[i]; i++) {
		int64_t hi = i < 3 ? INT64_MAX : UINT32_MAX;
		if (cfg_int(L, g, names[i], 0, hi, &v, &rc) > 0)
			continue;
		if (rc)
			return rc;
		*have |= 1u << i;
		switch (i) {
		case 0: lim->max_order_notional = v; break;
		case 1: lim->position_limit = v; break;
		case 2: lim->credit_limit = v; break;
		case 3: lim->max_open_orders = (uint32_t)v; break;
		case 4: lim->msg_rate = (uint32_t)v; break;
		default: lim->msg_burst = (uint32_t)v; break;
		}
	}
	return 0;
}

/* max_orders: book.max_orders, which bounds max_qty (nx_book_add_instrument). */
static int load_instrument(struct loader *L, const config_setting_t *g, struct nx_instrument *in,
			   uint32_t max_orders)
{
	static const char *const names[] = { "id", "symbol", "kind", "status", "tick", "lot",
		"min_qty", "max_qty", "band", "ref_px", "underlying", "strike", "expiry_ns",
		"put_call", NULL };
	int rc = cfg_only(L, g, names);
	if (rc)
		return rc;
	int64_t v;
	const char *s;
	if ((rc = get_id(L, g, &in->id)) || (rc = get_required_str(L, g, "symbol", &s)))
		return rc;
	if (!*s || strlen(s) >= sizeof(in->symbol))
		return cfg_fail(L, config_setting_get_member(g, "symbol"), "must be 1 to %zu characters",
			    sizeof(in->symbol) - 1);
	/* It goes out as is in InstrumentDefinition: no control characters,
	 * spaces or bytes of a multi-byte character ("1 to 15 characters"). */
	for (const char *p = s; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return cfg_fail(L, config_setting_get_member(g, "symbol"),
					"must be printable ASCII without spaces");
	strcpy(in->symbol, s);
	if ((s = cfg_str(L, g, "kind", &rc)) && !(in->kind = (uint8_t)nx_inst_kind_parse(s)))
		return cfg_fail(L, config_setting_get_member(g, "kind"),
			    "must be spot, future, perpetual or option");
	if ((s = cfg_str(L, g, "status", &rc)) && !(in->status = (uint8_t)nx_inst_status_parse(s)))
		return cfg_fail(L, config_setting_get_member(g, "status"), "must be open, halted or closed");
	if ((s = cfg_str(L, g, "put_call", &rc))) {
		in->put_call = !strcasecmp(s, "call") ? NX_CALL : !strcasecmp(s, "put") ? NX_PUT : 0;
		if (!in->put_call)
			return cfg_fail(L, config_setting_get_member(g, "put_call"), "must be call or put");
	}
	if (rc)
		return rc;
	static const struct { const char *name; size_t off; } ints[] = {
		{ "tick", offsetof(struct nx_instrument, tick) },
		{ "lot", offsetof(struct nx_instrument, lot) },
		{ "min_qty", offsetof(struct nx_instrument, min_qty) },
		{ "max_qty", offsetof(struct nx_instrument, max_qty) },
		{ "band", offsetof(struct nx_instrument, band_ticks) },
		{ "ref_px", offsetof(struct nx_instrument, ref_px) },
		{ "strike", offsetof(struct nx_instrument, strike) },
		{ "expiry_ns", offsetof(struct nx_instrument, expiry_ns) },
	};
	unsigned have = 0;
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		if (cfg_int(L, g, ints[i].name, INT64_MIN, INT64_MAX, &v, &rc) > 0)
			continue;
		if (rc)
			return rc;
		memcpy((char *)in + ints[i].off, &v, sizeof(v));
		have |= 1u << i;
	}
	/* Defaults only for what is absent: an explicit "tick = 0" must fail. */
	if (!(have & 1))
		in->tick = 1;
	if (!(have & 2))
		in->lot = 1;
	if (!(have & 4) && in->lot > 0)
		in->min_qty = in->lot;
	if (!cfg_int(L, g, "underlying", 1, UINT32_MAX, &v, &rc))
		in->underlying = (nx_inst_t)v;
	if (rc)
		return rc;
	int64_t qty_cap = INT64_MAX / (int64_t)max_orders;
	if (!(have & 8) && in->lot > 0) {
		in->max_qty = (DEF_MAX_QTY < qty_cap ? DEF_MAX_QTY : qty_cap) / in->lot * in->lot;
		/* a lot or min_qty the default max_qty cannot reach: named,
		 * with the bound (not "max_qty", which the file does not set) */
		const char *f = in->lot > in->max_qty ? "lot" : in->min_qty > in->max_qty ? "min_qty"
											: NULL;
		int64_t most = f && *f == 'l' ? (DEF_MAX_QTY < qty_cap ? DEF_MAX_QTY : qty_cap)
					      : in->max_qty;
		if (f && config_setting_get_member(g, f))
			return cfg_fail(L, config_setting_get_member(g, f),
					"must be at most %lld with max_qty left out (its default: at "
					"most 10^12, and max_qty x book.max_orders (%u) must fit in "
					"64 bits)", (long long)most, max_orders);
	}
	if (in->max_qty > qty_cap)
		return cfg_fail(L, config_setting_get_member(g, "max_qty"),
				"must be at most %lld: max_qty x book.max_orders (%u) must fit in "
				"64 bits", (long long)qty_cap, max_orders);
	if (!in->kind)
		in->kind = NX_KIND_SPOT;
	if (!in->status)
		in->status = NX_STATUS_OPEN;
	/* A field of another kind fails rather than being kept: a spot given a
	 * put_call was loaded and published with it (InstrumentDefinition), and
	 * an option whose kind was left out became a spot without a word. */
	static const char *const opt_only[] = { "underlying", "strike", "put_call" };
	const config_setting_t *m;
	for (size_t k = 0; k < sizeof(opt_only) / sizeof(opt_only[0]); k++)
		if (in->kind != NX_KIND_OPTION && (m = config_setting_get_member(g, opt_only[k])))
			return cfg_fail(L, m, "only an option has one (kind is %s)",
					nx_inst_kind_name(in->kind));
	if (in->kind != NX_KIND_OPTION && in->kind != NX_KIND_FUTURE &&
	    (m = config_setting_get_member(g, "expiry_ns")))
		return cfg_fail(L, m, "only a future or an option has one (kind is %s)",
				nx_inst_kind_name(in->kind));
	/* An option's own fields, each named: nx_instrument_check says "an
	 * option needs an underlying and a strike > 0" for either, which named
	 * the strike for an underlying left out. */
	if (in->kind == NX_KIND_OPTION) {
		static const char *const need[] = { "underlying", "strike", "put_call" };
		for (size_t k = 0; k < sizeof(need) / sizeof(need[0]); k++)
			if (!config_setting_get_member(g, need[k]))
				return cfg_missing(L, g, need[k]);
		if (in->strike <= 0)
			return cfg_fail(L, config_setting_get_member(g, "strike"), "must be > 0");
	}
	const char *why;
	if (nx_instrument_check(in, &why)) {
		/* "tick must be > 0": named at tick, on its line, when the file
		 * sets it; else (a default, a field left out) the instrument */
		static const struct { const char *why, *field; } whole[] = {
			{ "futures and options need an expiry", "expiry_ns" },
		};
		for (size_t k = 0; k < sizeof(whole) / sizeof(whole[0]); k++)
			if (!strcmp(why, whole[k].why) && (m = config_setting_get_member(g, whole[k].field)))
				return cfg_fail(L, m, "%s", why);
		size_t n = strcspn(why, " ");
		char field[16];
		if (n < sizeof(field) && why[n]) {
			memcpy(field, why, n);
			field[n] = 0;
			if ((m = config_setting_get_member(g, field)))
				return cfg_fail(L, m, "%s", why + n + 1);
		}
		return cfg_fail(L, g, "%s", why);
	}
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int load_account(struct loader *L, const config_setting_t *g, const struct nx_limits *dflt,
			unsigned dflt_have, struct nx_account_config *a)
{
	static const char *const names[] = { "id", "key", "source", "stp", "stp_group", "admin",
		"cancel_on_disconnect", "drop_copy", "limits", "restricted", NULL };
	int rc = cfg_only(L, g, names);
	if (rc)
		return rc;
	int64_t v;
	const char *key;
	if ((rc = get_id(L, g, &a->id)) || (rc = get_required_str(L, g, "key", &key)))
		return rc;
	if (strlen(key) != 2 * NX_KEY_BYTES)
		return cfg_fail(L, config_setting_get_member(g, "key"), "must be %d hex digits",
			    2 * NX_KEY_BYTES);
	for (int i = 0; i < NX_KEY_BYTES; i++) {
		int hi = hexval(key[2 * i]), lo = hexval(key[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return cfg_fail(L, config_setting_get_member(g, "key"), "must be hex digits");
		a->key[i] = (uint8_t)(hi << 4 | lo);
	}
	const char *src = cfg_str(L, g, "source", &rc);
	if (rc)
		return rc;
	if (src && strcmp(src, "any")) {
		/* a datagram's sender: never 0, a group (224/4), 240/4 or the
		 * broadcast address, and the account could never log in */
		struct in_addr ia;
		if (inet_pton(AF_INET, src, &ia) != 1 || !ia.s_addr || (ntohl(ia.s_addr) >> 28) >= 0xe)
			return cfg_fail(L, config_setting_get_member(g, "source"),
				    "must be \"any\" or a unicast IPv4 address");
		a->src_ip = ntohl(ia.s_addr);
	}
	a->stp = NX_STP_NONE;
	const char *stp = cfg_str(L, g, "stp", &rc);
	if (rc)
		return rc;
	if (stp) {
		static const char *const modes[] = { "none", "cn", "co", "cb", "dc" };
		unsigned i = 0;
		while (i < 5 && strcasecmp(stp, modes[i]))
			i++;
		if (i == 5)
			return cfg_fail(L, config_setting_get_member(g, "stp"),
				    "must be none, cn, co, cb or dc");
		a->stp = (uint8_t)(NX_STP_NONE + i);
	}
	if (!cfg_int(L, g, "stp_group", 0, UINT32_MAX, &v, &rc))
		a->stp_group = (uint32_t)v;
	if (rc)
		return rc;
	if (!cfg_int(L, g, "drop_copy", 1, UINT32_MAX, &v, &rc))
		a->drop_copy = (uint32_t)v;
	if (rc)
		return rc;
	a->cancel_on_disconnect = 1;
	if ((rc = cfg_bool(L, g, "admin", &a->admin)) ||
	    (rc = cfg_bool(L, g, "cancel_on_disconnect", &a->cancel_on_disconnect)))
		return rc;
	a->limits = *dflt;
	unsigned have = dflt_have;
	const config_setting_t *lim = config_setting_get_member(g, "limits");
	if (lim) {
		size_t n = strlen(L->where);
		snprintf(L->where + n, sizeof(L->where) - n, ".limits");
		rc = load_limits(L, lim, &a->limits, &have);
		L->where[n] = 0;
		if (rc)
			return rc;
	}
	for (unsigned i = 0; limit_names[i]; i++)
		if (!(have & 1u << i)) { /* named, the account's line: it may have no limits group */
			size_t n = strlen(L->where);
			snprintf(L->where + n, sizeof(L->where) - n, ".limits.%s", limit_names[i]);
			return cfg_fail(L, g, "missing: every limit must be set, in the account's "
					"limits or in the top-level limits");
		}
	const config_setting_t *r = config_setting_get_member(g, "restricted");
	if (r) {
		if (!config_setting_is_array(r) && !config_setting_is_list(r))
			return cfg_fail(L, r, "must be a list of instrument ids [ 1, 2 ]");
		int n = config_setting_length(r);
		a->restricted = calloc((size_t)n + 1, sizeof(nx_inst_t));
		if (!a->restricted)
			return -ENOMEM;
		for (int i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(r, (unsigned)i);
			int t = config_setting_type(e);
			long long x = t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64
				    ? config_setting_get_int64(e) : 0;
			if (x < 1 || x > UINT32_MAX)
				return cfg_fail(L, r, "element %d: must be an instrument id", i);
			a->restricted[a->nrestricted++] = (nx_inst_t)x;
		}
	}
	return 0;
}

/* --- The file ------------------------------------------------------------- */

/* A list no longer than the engine takes (max entries): refused at its
 * first entry too many, on that entry's line, before anything is allocated
 * (else nx_engine_create failed later, naming no line). */
static int check_length(struct loader *L, const config_setting_t *list, const char *name,
			uint32_t max)
{
	uint32_t n = (uint32_t)config_setting_length(list);
	if (n <= max)
		return 0;
	snprintf(L->where, sizeof(L->where), "%s[%u]", name, max);
	return cfg_fail(L, config_setting_get_elem(list, max), "past the most %s a venue may have, "
			"%u (the list has %u)", name, max, n);
}

static int load_root(struct loader *L, config_t *cf, struct nx_venue_config *c)
{
	static const char *const top[] = { "book", "sessions", "limits", "instruments", "accounts",
		"net", "market_data", NULL };
	const config_setting_t *root = config_root_setting(cf), *g;
	int rc = cfg_only(L, root, top);
	int64_t v;
	if (rc)
		return rc;
	c->max_orders = DEF_MAX_ORDERS;
	c->ladder_ticks = DEF_LADDER_TICKS;
	c->max_sessions = DEF_MAX_SESSIONS;
	c->keepalive_ms = DEF_KEEPALIVE_MS;
	c->history = DEF_HISTORY;
	c->retransmit_rate = NX_RETRANSMIT_RATE_DEFAULT;
	int have_burst = 0;
	if ((g = config_lookup(cf, "book"))) {
		static const char *const names[] = { "max_orders", "ladder_ticks",
						     "prefetch_min_orders", NULL };
		snprintf(L->where, sizeof(L->where), "book");
		if ((rc = cfg_only(L, g, names)))
			return rc;
		if (!cfg_int(L, g, "max_orders", 1, 1 << 30, &v, &rc))
			c->max_orders = (uint32_t)v;
		if (!rc && !cfg_int(L, g, "ladder_ticks", 64, 1 << 22, &v, &rc)) {
			if (v & (v - 1))
				return cfg_fail(L, config_setting_get_member(g, "ladder_ticks"),
					    "must be a power of two");
			c->ladder_ticks = (uint32_t)v;
		}
		if (!rc && !cfg_int(L, g, "prefetch_min_orders", 0, 1 << 30, &v, &rc))
			c->prefetch_min_orders = (uint32_t)v;
		if (rc)
			return rc;
	}
	if ((g = config_lookup(cf, "sessions"))) {
		static const char *const names[] = { "max", "per_account", "keepalive_ms", "history",
			"retransmit_rate", "retransmit_burst", NULL };
		snprintf(L->where, sizeof(L->where), "sessions");
		if ((rc = cfg_only(L, g, names)))
			return rc;
		if (!cfg_int(L, g, "max", 1, 1 << 20, &v, &rc))
			c->max_sessions = (uint32_t)v;
		if (!rc && !cfg_int(L, g, "per_account", 0, 1 << 20, &v, &rc))
			c->sessions_per_account = (uint32_t)v;
		if (!rc && !cfg_int(L, g, "keepalive_ms", 10, 600000, &v, &rc))
			c->keepalive_ms = (uint32_t)v;
		if (!rc && !cfg_int(L, g, "history", 16, 1 << 24, &v, &rc)) {
			if (v & (v - 1))
				return cfg_fail(L, config_setting_get_member(g, "history"),
					    "must be a power of two");
			c->history = (uint32_t)v;
		}
		if (!rc && !cfg_int(L, g, "retransmit_rate", 0, 1 << 30, &v, &rc))
			c->retransmit_rate = (uint32_t)v;
		if (!rc && !cfg_int(L, g, "retransmit_burst", 1, 1 << 30, &v, &rc)) {
			/* served whole: a smaller bucket could never serve a request
			 * for the whole history */
			if (c->retransmit_rate && v < c->history)
				return cfg_fail(L, config_setting_get_member(g, "retransmit_burst"),
					    "must be at least history (%u) while retransmit_rate is set",
					    c->history);
			c->retransmit_burst = (uint32_t)v;
			have_burst = 1;
		}
		if (rc)
			return rc;
	}
	if (!have_burst)
		c->retransmit_burst = NX_RETRANSMIT_BURST_HISTORIES * c->history;
	struct nx_limits dflt = { 0 };
	unsigned dflt_have = 0;
	snprintf(L->where, sizeof(L->where), "limits");
	if ((g = config_lookup(cf, "limits")) && (rc = load_limits(L, g, &dflt, &dflt_have)))
		return rc;

	const config_setting_t *ins = config_lookup(cf, "instruments");
	L->where[0] = 0;
	if (!ins) /* named with the file alone: a section left out has no line */
		return cfg_fail(L, root, "instruments: missing: a venue needs at least one instrument, "
				"instruments = ( { id = ...; symbol = ...; } )");
	if (!config_setting_is_list(ins) || !config_setting_length(ins))
		return cfg_fail(L, ins, "must be a non-empty list ( { ... }, ... )");
	if ((rc = check_length(L, ins, "instruments", L->max_instruments)))
		return rc;
	c->ninstruments = (uint32_t)config_setting_length(ins);
	if (!(c->instruments = calloc(c->ninstruments, sizeof(*c->instruments))) ||
	    cfg_index_alloc(&L->inst_ids, c->ninstruments) ||
	    cfg_index_alloc(&L->inst_syms, c->ninstruments))
		return -ENOMEM;
	for (uint32_t i = 0; i < c->ninstruments; i++) {
		snprintf(L->where, sizeof(L->where), "instruments[%u]", i);
		const config_setting_t *e = config_setting_get_elem(ins, i);
		struct nx_instrument *in = &c->instruments[i];
		if ((rc = load_instrument(L, e, in, c->max_orders)))
			return rc;
		/* Against the instruments before it, each unique: the first of
		 * them that shares its id or its symbol is named (its id when
		 * one shares both), as a walk of them found it. */
		uint32_t j = cfg_inst_ix(&L->inst_ids, c->instruments, in->id);
		uint32_t k = cfg_sym_ix(&L->inst_syms, c->instruments, in->symbol);
		if (j != IDMAP_EMPTY && (k == IDMAP_EMPTY || j <= k))
			return cfg_fail(L, config_setting_get_member(e, "id"), "id %u used twice",
					in->id);
		if (k != IDMAP_EMPTY)
			return cfg_fail(L, config_setting_get_member(e, "symbol"),
					"%s is instruments[%u]'s symbol too", in->symbol, k);
		cfg_inst_add(&L->inst_ids, c->instruments, i);
		cfg_sym_add(&L->inst_syms, c->instruments, i);
	}
	cfg_index_free(&L->inst_syms);
	/* An option's underlying: another configured instrument (it may come
	 * later in the list). */
	for (uint32_t i = 0; i < c->ninstruments; i++) {
		const struct nx_instrument *in = &c->instruments[i];
		if (in->kind != NX_KIND_OPTION)
			continue;
		snprintf(L->where, sizeof(L->where), "instruments[%u]", i);
		const config_setting_t *u = config_setting_get_member(config_setting_get_elem(ins, i),
								       "underlying");
		if (in->underlying == in->id)
			return cfg_fail(L, u, "must be another instrument than the option");
		if (cfg_inst_ix(&L->inst_ids, c->instruments, in->underlying) == IDMAP_EMPTY)
			return cfg_fail(L, u, "instrument %u is not configured", in->underlying);
	}
	const config_setting_t *acs = config_lookup(cf, "accounts");
	L->where[0] = 0;
	if (!acs)
		return cfg_fail(L, root, "accounts: missing: a venue needs at least one account, "
				"accounts = ( { id = ...; key = ...; } )");
	if (!config_setting_is_list(acs) || !config_setting_length(acs))
		return cfg_fail(L, acs, "must be a non-empty list ( { ... }, ... )");
	if ((rc = check_length(L, acs, "accounts", L->max_accounts)))
		return rc;
	c->naccounts = (uint32_t)config_setting_length(acs);
	if (!(c->accounts = calloc(c->naccounts, sizeof(*c->accounts))) ||
	    cfg_index_alloc(&L->acct_ids, c->naccounts))
		return -ENOMEM;
	for (uint32_t i = 0; i < c->naccounts; i++) {
		snprintf(L->where, sizeof(L->where), "accounts[%u]", i);
		const config_setting_t *e = config_setting_get_elem(acs, i);
		struct nx_account_config *a = &c->accounts[i];
		if ((rc = load_account(L, e, &dflt, dflt_have, a)))
			return rc;
		if (cfg_acct_ix(&L->acct_ids, c->accounts, a->id) != IDMAP_EMPTY)
			return cfg_fail(L, config_setting_get_member(e, "id"), "id %u used twice",
					a->id);
		cfg_acct_add(&L->acct_ids, c->accounts, i);
		for (uint32_t k = 0; k < a->nrestricted; k++)
			if (cfg_inst_ix(&L->inst_ids, c->instruments, a->restricted[k]) == IDMAP_EMPTY)
				return cfg_fail(L, config_setting_get_member(e, "restricted"),
					    "instrument %u is not configured", a->restricted[k]);
	}
	/* A drop copy goes to another account, which copies to none (its own
	 * sessions only read: a copy of copies would be a loop). */
	for (uint32_t i = 0; i < c->naccounts; i++) {
		const struct nx_account_config *a = &c->accounts[i], *r;
		if (!a->drop_copy)
			continue;
		snprintf(L->where, sizeof(L->where), "accounts[%u]", i);
		const config_setting_t *m = config_setting_get_member(config_setting_get_elem(acs, i),
								      "drop_copy");
		uint32_t ix = cfg_acct_ix(&L->acct_ids, c->accounts, a->drop_copy);
		if (ix == IDMAP_EMPTY)
			return cfg_fail(L, m, "account %u is not configured", a->drop_copy);
		r = &c->accounts[ix];
		if (r == a)
			return cfg_fail(L, m, "must be another account");
		if (r->drop_copy)
			return cfg_fail(L, m, "account %u copies its own reports to account %u: a "
				    "drop-copy account copies to none", r->id, r->drop_copy);
	}
	cfg_index_free(&L->acct_ids);
	if ((g = config_lookup(cf, "net")) && (rc = cfg_load_net(L, g, c)))
		return rc;
	if ((g = config_lookup(cf, "market_data")))
		return cfg_load_md(L, g, c);
	return 0;
}

int nx_config_load(const char *path, struct nx_venue_config *out, char *err, size_t errlen)
{
	return cfg_load(path, out, err, errlen, NX_BOOK_MAX_INSTRUMENTS, NX_BOOK_MAX_ACCOUNTS);
}

int cfg_load(const char *path, struct nx_venue_config *out, char *err, size_t errlen,
	     uint32_t max_instruments, uint32_t max_accounts)
{
	struct loader L = { .path = path, .err = err, .errlen = errlen,
			    .max_instruments = max_instruments, .max_accounts = max_accounts };
	config_t cf;
	int rc;
	memset(out, 0, sizeof(*out));
	if (strlen(path) >= sizeof(out->path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -EINVAL;
	}
	strcpy(out->path, path);
	config_init(&cf);
	if ((rc = cfg_check_includes(&L)))
		goto out;
	if (!config_read_file(&cf, path)) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO) {
			snprintf(err, errlen, "%s: cannot read the file", path);
			rc = -ENOENT;
		} else {
			/* an error in an @include'd file names that file */
			const char *file = config_error_file(&cf) ? config_error_file(&cf) : path;
			const char *text = config_error_text(&cf);
			char inc[4096];
			/* libconfig (1.5) does not say which: named from the line of
			 * the directive, and why from opening it as libconfig does
			 * (the path as written, relative to the working directory) */
			if (text && !strcmp(text, "cannot open include file") &&
			    !cfg_include_on_line(file, config_error_line(&cf), inc, sizeof(inc))) {
				FILE *fp = fopen(inc, "r");
				int e = fp ? 0 : errno;
				if (fp)
					fclose(fp);
				snprintf(err, errlen, "%s:%d: cannot open include file \"%s\"%s%s%s", file,
					 config_error_line(&cf), inc, e ? ": " : "", e ? strerror(e) : "",
					 inc[0] != '/' ? " (a relative @include is read from the working "
					 "directory)" : "");
			} else if (text && !strcmp(text, "duplicate setting name") &&
				   !cfg_duplicate_on_line(file, config_error_line(&cf), inc, sizeof(inc))) {
				snprintf(err, errlen, "%s:%d: %s: given twice in its group", file,
					 config_error_line(&cf), inc);
			} else {
				snprintf(err, errlen, "%s:%d: %s", file, config_error_line(&cf), text);
			}
			rc = -EINVAL;
		}
		goto out;
	}
	if (!(rc = cfg_check_int_literals(&L, config_root_setting(&cf))))
		rc = load_root(&L, &cf, out);
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	cfg_index_free(&L.inst_ids);
	cfg_index_free(&L.inst_syms);
	cfg_index_free(&L.acct_ids);
	config_destroy(&cf);
	if (rc)
		nx_config_free(out);
	return rc;
}

void nx_config_free(struct nx_venue_config *c)
{
	if (c->accounts)
		for (uint32_t i = 0; i < c->naccounts; i++)
			free(c->accounts[i].restricted);
	free(c->accounts);
	free(c->instruments);
	for (uint32_t i = 0; i < c->net.nshards; i++)
		free(c->net.shards[i].instruments);
	memset(c, 0, sizeof(*c));
}

const struct nx_account_config *nx_config_account(const struct nx_venue_config *c, nx_acct_t id)
{
	for (uint32_t i = 0; i < c->naccounts; i++)
		if (c->accounts[i].id == id)
			return &c->accounts[i];
	return NULL;
}

const struct nx_instrument *nx_config_instrument(const struct nx_venue_config *c, nx_inst_t id)
{
	for (uint32_t i = 0; i < c->ninstruments; i++)
		if (c->instruments[i].id == id)
			return &c->instruments[i];
	return NULL;
}
