/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxreplay: run a text script of instrument definitions and order commands
 * through a libnx book and print one canonical line per event
 * (docs/replay-format.md). It is the golden-test harness and the demo; it
 * needs no DPDK. A malformed line stops the run with "file:line: why" on
 * stderr and exit status 2, so a golden test can never pass on a typo.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/book.h"

#define MAX_FIELDS 24
#define LINE_MAX_LEN 1024

struct field {
	const char *key, *val;
	int used;
};

struct script {
	const char *path;
	unsigned line;
	int echo;
	int strict_accounts; /* an "account" line was seen: no accounts on first use */
	int booked;          /* a "book" line was seen */
	struct nx_book_config cfg;
	struct nx_book *book;
	struct field f[MAX_FIELDS];
	unsigned nf;
};

__attribute__((format(printf, 2, 3), noreturn))
static void die(const struct script *s, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s:%u: ", s->path, s->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void print_event(void *ctx, const struct nx_event *ev)
{
	char buf[NX_EVENT_TEXT_MAX];
	(void)ctx;
	nx_event_format(ev, buf, sizeof(buf));
	puts(buf);
}

/* --- Fields --------------------------------------------------------------- */

static struct field *field(struct script *s, const char *key)
{
	for (unsigned i = 0; i < s->nf; i++)
		if (!strcmp(s->f[i].key, key)) {
			s->f[i].used = 1;
			return &s->f[i];
		}
	return NULL;
}

/* Whether the line has key=, without using it. */
static int has(const struct script *s, const char *key)
{
	for (unsigned i = 0; i < s->nf; i++)
		if (!strcmp(s->f[i].key, key))
			return 1;
	return 0;
}

static int64_t num(struct script *s, const char *key, int required, int64_t dflt)
{
	struct field *f = field(s, key);
	if (!f) {
		if (required)
			die(s, "missing %s=", key);
		return dflt;
	}
	char *end;
	errno = 0;
	long long v = strtoll(f->val, &end, 10);
	if (errno || end == f->val || *end)
		die(s, "%s: not an integer", key);
	return v;
}

/* A 0/1 field (post=, cancel=): anything else is an error, not a value
 * truncated to 0 (post=256 used to enter an ordinary order). */
static int flag(struct script *s, const char *key)
{
	int64_t v = num(s, key, 0, 0);
	if (v != 0 && v != 1)
		die(s, "%s: must be 0 or 1", key);
	return (int)v;
}

static uint64_t unum(struct script *s, const char *key, int required, uint64_t dflt)
{
	struct field *f = field(s, key);
	if (!f) {
		if (required)
			die(s, "missing %s=", key);
		return dflt;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(f->val, &end, 10);
	if (errno || end == f->val || *end || f->val[0] == '-')
		die(s, "%s: not an unsigned integer", key);
	return v;
}

static uint32_t u32(struct script *s, const char *key, int required, uint32_t dflt)
{
	uint64_t v = unum(s, key, required, dflt);
	if (v > UINT32_MAX)
		die(s, "%s: above 2^32-1", key);
	return (uint32_t)v;
}

/* One of names[1..n-1] (index returned), or dflt when absent. */
static unsigned pick(struct script *s, const char *key, const char *const *names, unsigned n,
		     unsigned dflt)
{
	struct field *f = field(s, key);
	if (!f)
		return dflt;
	for (unsigned i = 0; i < n; i++)
		if (names[i] && !strcasecmp(f->val, names[i]))
			return i;
	die(s, "%s: unknown value \"%s\"", key, f->val);
}

static const char *const side_names[] = { NULL, "B", "S" };
static const char *const type_names[] = { NULL, "LIMIT", "MARKET" };
static const char *const tif_names[] = { NULL, "GTC", "IOC", "FOK" };
static const char *const stp_names[] = { "DEFAULT", "NONE", "CN", "CO", "CB", "DC" };
/* An account's own mode: DEFAULT ("the account's") is an order's only. */
static const char *const acct_stp_names[] = { NULL, "NONE", "CN", "CO", "CB", "DC" };
static const char *const status_names[] = { NULL, "OPEN", "HALTED", "CLOSED" };
static const char *const kind_names[] = { NULL, "SPOT", "FUTURE", "PERPETUAL", "OPTION" };
static const char *const pc_names[] = { NULL, "C", "P" };

static void no_leftovers(struct script *s)
{
	for (unsigned i = 0; i < s->nf; i++)
		if (!s->f[i].used)
			die(s, "unknown field %s=", s->f[i].key);
}

/* --- Commands ------------------------------------------------------------- */

static void ensure_book(struct script *s)
{
	if (s->book)
		return;
	s->book = nx_book_create(&s->cfg, print_event, NULL);
	if (!s->book)
		die(s, "cannot create the book (%s)", strerror(errno));
}

/* A script without "account" lines gets each account on first use, with the
 * defaults (STP none, its own group); one with them gets only those. */
static void ensure_account(struct script *s, nx_acct_t id)
{
	struct nx_account a = { .id = id };
	if (!id || s->strict_accounts)
		return;
	/* -EEXIST: already there. A full book stops the run (as an instrument
	 * does): ignored, the order was rejected UNKNOWN_ACCOUNT as if the
	 * venue had decided it. */
	int rc = nx_book_add_account(s->book, &a);
	if (rc && rc != -EEXIST)
		die(s, "account %" PRIu32 " cannot be added: %s (book accounts=%" PRIu32 ")", id,
		    strerror(-rc), s->cfg.max_accounts);
}

/* The name a book capacity has in a script's book line and on the command
 * line (orders=, --orders) for its nx_book_config member (max_orders). */
static const char *script_field(const char *member)
{
	return strncmp(member, "max_", 4) ? "ladder" : member + 4;
}

static void cmd_book(struct script *s)
{
	/* a second book line, the book not yet created, replaced the first's
	 * capacities: refused like any other command before it */
	if (s->book || s->booked)
		die(s, "%s must come before any other command", "book");
	s->booked = 1;
	s->cfg.max_orders = u32(s, "orders", 0, s->cfg.max_orders);
	s->cfg.ladder_ticks = u32(s, "ladder", 0, s->cfg.ladder_ticks);
	s->cfg.max_instruments = u32(s, "instruments", 0, s->cfg.max_instruments);
	s->cfg.max_accounts = u32(s, "accounts", 0, s->cfg.max_accounts);
	no_leftovers(s);
	const char *field, *range;
	if (nx_book_config_check(&s->cfg, &field, &range))
		die(s, "book %s=: must be %s", script_field(field), range);
}

static void cmd_account(struct script *s)
{
	struct nx_account a = { 0 };
	a.id = u32(s, "id", 1, 0);
	a.stp = (uint8_t)pick(s, "stp", acct_stp_names, 6, NX_STP_NONE);
	a.stp_group = u32(s, "group", 0, 0);
	no_leftovers(s);
	ensure_book(s);
	s->strict_accounts = 1;
	int rc = nx_book_add_account(s->book, &a);
	if (rc)
		die(s, "account rejected: %s", strerror(-rc));
}

/*
 * The fields that belong to an instrument's kind (include/nx/instrument.h):
 * an option has underlying=, strike=, pc= and expiry=, a future expiry=,
 * a spot or a perpetual none of them. Another kind's field is refused, as
 * the venue file refuses it (docs/configuration.md), not carried along: a
 * spot given pc=C or a perpetual given expiry= used to run without a word.
 * A missing one is named here by its key (nx_instrument_check would say
 * put_call, and not which of underlying and strike).
 */
static void kind_fields(struct script *s, unsigned kind)
{
	static const char *const opt_keys[] = { "underlying", "strike", "pc", "expiry" };
	const char *kname = kind_names[kind];

	for (unsigned k = 0; k < sizeof(opt_keys) / sizeof(opt_keys[0]); k++) {
		int is_expiry = !strcmp(opt_keys[k], "expiry");
		int belongs = kind == NX_KIND_OPTION || (is_expiry && kind == NX_KIND_FUTURE);
		if (!belongs && has(s, opt_keys[k]))
			die(s, "%s= given on a %s: only %s has one", opt_keys[k], kname,
			    is_expiry ? "a FUTURE or an OPTION" : "an OPTION");
		if (belongs && !has(s, opt_keys[k]))
			die(s, "missing %s= (every %s has one)", opt_keys[k], kname);
	}
}

static void cmd_instrument(struct script *s)
{
	struct nx_instrument in = { 0 };
	in.id = u32(s, "id", 1, 0);
	struct field *sym = field(s, "symbol");
	if (!sym || strlen(sym->val) >= sizeof(in.symbol))
		die(s, "%s= must be 1 to 15 characters", "symbol");
	strcpy(in.symbol, sym->val);
	in.kind = (uint8_t)pick(s, "kind", kind_names, 5, NX_KIND_SPOT);
	kind_fields(s, in.kind);
	in.status = (uint8_t)pick(s, "status", status_names, 4, NX_STATUS_OPEN);
	/* Defaults only for what is absent, not through nx_instrument_defaults,
	 * which takes 0 for unset: tick=0 or max=0 written out must fail as in
	 * the venue file, not run as tick 1 or max 1e12. */
	in.tick = num(s, "tick", 0, 1);
	in.lot = num(s, "lot", 0, 1);
	in.min_qty = num(s, "min", 0, in.lot);
	in.max_qty = num(s, "max", 0, 0);
	if (!has(s, "max") && in.lot > 0)
		in.max_qty = INT64_C(1000000000000) / in.lot * in.lot; /* 1e12, on the lot */
	in.band_ticks = num(s, "band", 0, 0);
	in.ref_px = num(s, "ref", 0, 0);
	in.underlying = u32(s, "underlying", 0, 0);
	in.strike = num(s, "strike", 0, 0);
	in.expiry_ns = num(s, "expiry", 0, 0);
	in.put_call = (uint8_t)pick(s, "pc", pc_names, 3, 0);
	no_leftovers(s);
	const char *why;
	if (nx_instrument_check(&in, &why))
		die(s, "instrument: %s", why);
	ensure_book(s);
	if (in.kind == NX_KIND_OPTION) {
		struct nx_instrument u;
		if (in.underlying == in.id)
			die(s, "underlying: must be another instrument than the option");
		if (nx_book_instrument(s->book, in.underlying, &u))
			die(s, "underlying: no instrument %" PRIu32 " defined above", in.underlying);
	}
	int rc = nx_book_add_instrument(s->book, &in);
	if (rc == -ERANGE)
		die(s, "instrument rejected: max x the book's max_orders (%u) passes 2^63 - 1",
		    s->cfg.max_orders);
	if (rc)
		die(s, "instrument rejected: %s", strerror(-rc));
}

static void cmd_new(struct script *s)
{
	struct nx_new_order o = { 0 };
	o.acct = u32(s, "acct", 1, 0);
	o.cl = unum(s, "cl", 1, 0);
	o.inst = u32(s, "inst", 1, 0);
	o.side = (uint8_t)pick(s, "side", side_names, 3, 0);
	o.type = (uint8_t)pick(s, "type", type_names, 3, NX_ORD_LIMIT);
	o.tif = (uint8_t)pick(s, "tif", tif_names, 4, NX_TIF_GTC);
	o.stp = (uint8_t)pick(s, "stp", stp_names, 6, NX_STP_DEFAULT);
	o.qty = num(s, "qty", 1, 0);
	o.px = num(s, "px", o.type == NX_ORD_LIMIT, 0);
	o.display = num(s, "display", 0, 0);
	o.post_only = (uint8_t)flag(s, "post");
	no_leftovers(s);
	ensure_book(s);
	ensure_account(s, o.acct);
	nx_book_new_order(s->book, &o);
}

static void cmd_cancel(struct script *s)
{
	struct nx_cancel c = { 0 };
	c.acct = u32(s, "acct", 1, 0);
	c.cl = unum(s, "cl", 0, 0);
	c.orig_cl = unum(s, "orig", 0, 0);
	c.oid = unum(s, "oid", 0, 0);
	no_leftovers(s);
	ensure_book(s);
	nx_book_cancel(s->book, &c);
}

static void cmd_replace(struct script *s)
{
	struct nx_replace r = { 0 };
	r.acct = u32(s, "acct", 1, 0);
	r.cl = unum(s, "cl", 1, 0);
	r.orig_cl = unum(s, "orig", 0, 0);
	r.oid = unum(s, "oid", 0, 0);
	r.qty = num(s, "qty", 1, 0);
	r.px = num(s, "px", 1, 0);
	no_leftovers(s);
	ensure_book(s);
	nx_book_replace(s->book, &r);
}

static void cmd_masscancel(struct script *s)
{
	struct nx_mass_cancel m = { 0 };
	m.acct = u32(s, "acct", 1, 0);
	m.cl = unum(s, "cl", 0, 0);
	m.inst = u32(s, "inst", 0, 0);
	m.side = (uint8_t)pick(s, "side", side_names, 3, 0);
	no_leftovers(s);
	ensure_book(s);
	ensure_account(s, m.acct);
	nx_book_mass_cancel(s->book, &m);
}

static void cmd_status(struct script *s)
{
	nx_inst_t inst = u32(s, "inst", 1, 0);
	unsigned st = pick(s, "state", status_names, 4, 0);
	int cancel = flag(s, "cancel");
	if (!st)
		die(s, "missing %s=", "state");
	no_leftovers(s);
	ensure_book(s);
	int rc = nx_book_set_status(s->book, inst, st, cancel);
	if (rc)
		die(s, "status: %s", strerror(-rc)); /* else the book's STATUS event printed it */
}

/* Every level of a side: a side has at most ladder_ticks levels. */
static void dump_side(struct script *s, nx_inst_t inst, unsigned side)
{
	struct nx_level_info *lv = malloc(s->cfg.ladder_ticks * sizeof(*lv));
	if (!lv)
		die(s, "dump: out of memory");
	int n = nx_book_depth(s->book, inst, side, lv, s->cfg.ladder_ticks);
	for (int i = 0; i < n; i++)
		printf("book inst=%" PRIu32 " side=%s px=%" PRId64 " qty=%" PRId64 " count=%" PRIu32 "\n",
		       inst, side_names[side], lv[i].px, lv[i].qty, lv[i].count);
	free(lv);
}

static void cmd_dump(struct script *s)
{
	nx_inst_t inst = u32(s, "inst", 1, 0);
	no_leftovers(s);
	ensure_book(s);
	struct nx_instrument in;
	if (nx_book_instrument(s->book, inst, &in))
		die(s, "dump: no instrument %" PRIu32, inst);
	dump_side(s, inst, NX_SIDE_BUY);
	dump_side(s, inst, NX_SIDE_SELL);
}

static const struct {
	const char *verb;
	void (*fn)(struct script *s);
} commands[] = {
	{ "book", cmd_book },       { "account", cmd_account },   { "instrument", cmd_instrument },
	{ "new", cmd_new },         { "cancel", cmd_cancel },     { "replace", cmd_replace },
	{ "masscancel", cmd_masscancel }, { "status", cmd_status }, { "dump", cmd_dump },
};

static void run_line(struct script *s, char *line)
{
	char *save, *verb = strtok_r(line, " \t\r\n", &save);
	if (!verb || verb[0] == '#')
		return;
	s->nf = 0;
	for (char *tok; (tok = strtok_r(NULL, " \t\r\n", &save));) {
		if (tok[0] == '#')
			break;
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok)
			die(s, "expected key=value, got \"%s\"", tok);
		if (s->nf == MAX_FIELDS)
			die(s, "more than %d fields", MAX_FIELDS);
		*eq = 0;
		/* else the second one is left unused and named "unknown field" */
		if (has(s, tok))
			die(s, "%s= given twice", tok);
		s->f[s->nf++] = (struct field){ tok, eq + 1, 0 };
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(verb, commands[i].verb)) {
			commands[i].fn(s);
			return;
		}
	die(s, "unknown command \"%s\"", verb);
}

static void usage(const char *prog, FILE *to)
{
	fprintf(to,
		"usage: %s [options] [FILE...]\n"
		"Run order commands through a libnx book and print one event per line\n"
		"(docs/replay-format.md). Reads standard input without FILE.\n"
		"  -v, --echo           print each command, prefixed by \"> \", before its events\n"
		"      --orders N       live order capacity (default 262144)\n"
		"      --ladder N       price window per book side in ticks, power of two (default 16384)\n"
		"      --instruments N  instrument capacity (default 64)\n"
		"      --accounts N     account capacity (default 4096)\n"
		"  -h, --help           this text\n",
		prog);
}

/* A capacity option: a whole decimal number up to 2^32-1, else exit 2 (a
 * value wrapped or cut short, as strtoul took them, ran another book:
 * --ladder 4294967360 gave 64 and --orders 1x gave 1). */
static uint32_t opt_u32(const char *prog, const char *name, const char *arg)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v > UINT32_MAX) {
		fprintf(stderr, "%s: %s: \"%s\" is not an integer in [0, 2^32-1]\n", prog, name, arg);
		exit(2);
	}
	return (uint32_t)v;
}

int main(int argc, char **argv)
{
	struct script s = { .cfg = { .max_instruments = 64, .max_accounts = 4096,
				     .max_orders = 262144, .ladder_ticks = 16384 } };
	static const struct option opts[] = {
		{ "echo", no_argument, NULL, 'v' },       { "orders", required_argument, NULL, 'o' },
		{ "ladder", required_argument, NULL, 'l' }, { "instruments", required_argument, NULL, 'i' },
		{ "accounts", required_argument, NULL, 'a' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	for (int c; (c = getopt_long(argc, argv, "vh", opts, NULL)) != -1;) {
		switch (c) {
		case 'v': s.echo = 1; break;
		case 'o': s.cfg.max_orders = opt_u32(argv[0], "--orders", optarg); break;
		case 'l': s.cfg.ladder_ticks = opt_u32(argv[0], "--ladder", optarg); break;
		case 'i': s.cfg.max_instruments = opt_u32(argv[0], "--instruments", optarg); break;
		case 'a': s.cfg.max_accounts = opt_u32(argv[0], "--accounts", optarg); break;
		case 'h': usage(argv[0], stdout); return 0;
		default: usage(argv[0], stderr); return 2;
		}
	}
	const char *field, *range;
	if (nx_book_config_check(&s.cfg, &field, &range)) {
		fprintf(stderr, "%s: --%s: must be %s\n", argv[0], script_field(field), range);
		return 2;
	}
	int nfiles = argc - optind;
	for (int i = 0; i < (nfiles ? nfiles : 1); i++) {
		s.path = nfiles ? argv[optind + i] : "<stdin>";
		FILE *in = nfiles ? fopen(s.path, "r") : stdin;
		if (!in) {
			fprintf(stderr, "%s: %s\n", s.path, strerror(errno));
			return 2;
		}
		/* LINE_MAX_LEN - 1 bytes of text, its newline and the NUL: a
		 * buffer of LINE_MAX_LEN refused a line of exactly that length */
		char line[LINE_MAX_LEN + 1];
		for (s.line = 1; fgets(line, sizeof(line), in); s.line++) {
			if (!strchr(line, '\n') && !feof(in))
				die(&s, "line longer than %d bytes", LINE_MAX_LEN - 1);
			if (s.echo && line[strspn(line, " \t\r\n")] && line[strspn(line, " \t")] != '#')
				printf("> %s%s", line, strchr(line, '\n') ? "" : "\n");
			run_line(&s, line);
		}
		if (ferror(in)) { /* a directory reads as an error, not as an empty script */
			fprintf(stderr, "%s: %s\n", s.path, strerror(errno ? errno : EIO));
			return 2;
		}
		if (in != stdin)
			fclose(in);
	}
	nx_book_destroy(s.book);
	return 0;
}
