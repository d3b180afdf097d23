/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Control commands: parse, route to the owning shard(s) through their
 * mailboxes, wait, write the answer. Cold code on the control thread,
 * except ctl_serve, which a shard runs between bursts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl.h"
#include "nx/reason.h"
#include "nx/risk.h"

const struct ctl_command ctl_commands[] = {
	{ "/nanoex/info", "Venue, I/O, shards, ports, uptime. No parameters" },
	{ "/nanoex/stats", "Counters of all shards summed. No parameters" },
	{ "/nanoex/shard", "One shard's counters. Parameter: shard index" },
	{ "/nanoex/latency", "Receive-to-transmit latency, ns. Parameter: shard index, or none for all" },
	{ "/nanoex/book", "Top of book, 10 levels. Parameter: instrument id" },
	{ "/nanoex/kill", "Kill switch. Parameters: venue|account|instrument,<id>,on|off" },
	{ "/nanoex/status", "Trading status. Parameters: <instrument>,open|halted|closed[,cancel]" },
	{ "/nanoex/ref_px", "Reference price for the collar. Parameters: <instrument>,<price> "
			    "(price units, a multiple of the tick)" },
	{ "/nanoex/limit", "Account limit. Parameters: <account>,max_order_notional|position|credit|"
			   "max_open_orders|msg_rate|msg_burst,<value>" },
	{ NULL, NULL },
};

/* --- Shard side ------------------------------------------------------------- */

void ctl_serve(struct ctl_mailbox *mb, struct nx_engine *e, const struct ctl_io *io,
	       uint64_t now_ns, struct nx_out *out)
{
	uint64_t req = atomic_load_explicit(&mb->req, memory_order_acquire);
	struct ctl_reply *r = &mb->reply;
	switch (mb->op) {
	case CTL_STATS:
		r->io = *io;
		r->st = *nx_engine_stats(e);
		break;
	case CTL_ADMIN:
		r->reason = nx_engine_admin(e, &mb->admin, now_ns, out);
		break;
	case CTL_BOOK:
		for (unsigned s = 0; s < 2; s++)
			r->nlevels[s] = nx_book_depth(nx_engine_book(e), mb->inst,
						      s ? NX_SIDE_SELL : NX_SIDE_BUY, r->levels[s],
						      CTL_BOOK_DEPTH);
		break;
	default:
		break;
	}
	mb->seen = req;
	atomic_store_explicit(&mb->done, req, memory_order_release);
}

/* --- Control side ----------------------------------------------------------- */

void ctl_init(struct ctl *c, const struct nx_venue_config *cfg, const char *app,
	      const char *io_name, uint64_t start_ns)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->cfg = cfg;
	c->nshards = cfg->net.nshards;
	c->app = app;
	c->io_name = io_name;
	c->start_ns = start_ns;
	c->timeout_ms = 2000;
}

static void sleep_us(long us)
{
	struct timespec ts = { 0, us * 1000 };
	nanosleep(&ts, NULL);
}

/* Post a request to a shard's mailbox: 0, or -EBUSY when the shard is not
 * running or still busy with a request that timed out (nothing posted). The
 * fields are written only once the mailbox is free: a shard still serving
 * a request that timed out must not see them change under it. */
static int post(struct ctl *c, uint32_t shard, uint8_t op, const struct nx_admin *admin,
		nx_inst_t inst)
{
	struct ctl_mailbox *mb = c->shard[shard].mb;
	uint64_t req = atomic_load_explicit(&mb->req, memory_order_relaxed);
	if (!c->shard[shard].running ||
	    atomic_load_explicit(&mb->done, memory_order_acquire) != req)
		return -EBUSY;
	mb->op = op;
	if (admin)
		mb->admin = *admin;
	mb->inst = inst;
	atomic_store_explicit(&mb->req, req + 1, memory_order_release);
	return 0;
}

static int answered(const struct ctl *c, uint32_t shard)
{
	const struct ctl_mailbox *mb = c->shard[shard].mb;
	return atomic_load_explicit(&mb->done, memory_order_acquire) ==
	       atomic_load_explicit(&mb->req, memory_order_relaxed);
}

/* Wait up to the timeout for every shard of posted[] to answer. */
static void await_answers(const struct ctl *c, const uint8_t *posted)
{
	for (unsigned waited = 0; waited <= c->timeout_ms * 20; waited++) {
		uint32_t i = 0;
		while (i < c->nshards && (!posted[i] || answered(c, i)))
			i++;
		if (i == c->nshards)
			return;
		sleep_us(50);
	}
}

/* Post a request to one shard and wait for its answer: 0 or -ETIMEDOUT. */
static int call(struct ctl *c, uint32_t shard, uint8_t op, const struct nx_admin *admin,
		nx_inst_t inst)
{
	uint8_t posted[NX_NET_MAX_SHARDS] = { 0 };
	if (post(c, shard, op, admin, inst))
		return -ETIMEDOUT; /* stopped, or still busy with one that timed out */
	posted[shard] = 1;
	await_answers(c, posted);
	return answered(c, shard) ? 0 : -ETIMEDOUT;
}

static int error(const struct ctl_writer *w, int rc, const char *msg)
{
	w->str(w->ctx, "error", msg);
	return rc;
}

/* Decimal digits only: strtoull alone would take spaces and a minus sign. */
static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

static int parse_i64(const char *s, int64_t *v)
{
	char *end;
	const char *d = s && *s == '-' ? s + 1 : s;
	if (!d || *d < '0' || *d > '9')
		return -1;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

/* Split params at commas into at most n fields; returns the count, or -1
 * if params do not fit buf (never cut silently). */
static int split(char *buf, size_t cap, const char *params, char **f, int n)
{
	int k = 0;
	if (!params || !*params)
		return 0;
	if (strlen(params) >= cap)
		return -1;
	memcpy(buf, params, strlen(params) + 1);
	for (char *p = buf; k < n;) {
		f[k++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = 0;
	}
	return k;
}

void ctl_write_io(const struct ctl_writer *w, const struct ctl_io *io)
{
	char key[64];
#define IO(f) w->u64(w->ctx, #f, io->f)
	IO(rx_pkts); IO(rx_bytes); IO(tx_pkts); IO(tx_bytes); IO(rx_udp);
	IO(arp_replies); IO(icmp_replies); IO(arp_other); IO(rx_multiseg); IO(reply_too_big); IO(drop_port); IO(steer_out); IO(steer_in);
	IO(steer_drop); IO(tx_full); IO(tx_refused); IO(rx_truncated); IO(no_mbuf); IO(no_neigh); IO(loops); IO(idle_loops);
#undef IO
	for (int r = 1; r < NX_NET_DROP_MAX; r++) {
		snprintf(key, sizeof(key), "drop_%s", nx_net_drop_name(-r));
		w->u64(w->ctx, key, io->drop[r]);
	}
}

static void write_stats(const struct ctl_writer *w, const struct ctl_io *io,
			const struct nx_engine_stats *st)
{
	char key[64];
	ctl_write_io(w, io);
#define ST(f) w->u64(w->ctx, #f, st->f)
	ST(rx_dgrams); ST(rx_msgs); ST(tx_dgrams); ST(tx_msgs);
	ST(drop_malformed); ST(drop_unbound); ST(drop_unsequenced); ST(drop_duplicate);
	ST(drop_direction); ST(drop_no_session); ST(out_overflow); ST(out_spills); ST(not_applied);
	ST(throttled); ST(orders); ST(cancels); ST(replaces); ST(fills);
	ST(sessions_negotiated); ST(sessions_established); ST(sessions_terminated);
	ST(retransmitted); ST(retransmit_expired); ST(retransmit_throttled); ST(drop_finished);
	ST(seq_violations); ST(drop_copies); ST(drop_copy_waited); ST(drop_copy_lost);
#undef ST
	for (unsigned r = 1; r < 256; r++)
		if (st->rejects[r]) {
			snprintf(key, sizeof(key), "reject_%s", nx_reject_name(r));
			w->u64(w->ctx, key, st->rejects[r]);
		}
}

static void add_stats(struct ctl_io *a, struct nx_engine_stats *s, const struct ctl_io *io,
		      const struct nx_engine_stats *st)
{
	const uint64_t *x = (const uint64_t *)io;
	uint64_t *y = (uint64_t *)a;
	for (size_t i = 0; i < sizeof(*io) / sizeof(uint64_t); i++)
		y[i] += x[i];
	x = (const uint64_t *)st;
	y = (uint64_t *)s;
	for (size_t i = 0; i < sizeof(*st) / sizeof(uint64_t); i++)
		y[i] += x[i];
}
NX_STATIC_ASSERT(sizeof(struct ctl_io) % sizeof(uint64_t) == 0, "ctl_io is all counters");
NX_STATIC_ASSERT(sizeof(struct nx_engine_stats) % sizeof(uint64_t) == 0, "stats are all counters");

static void write_latency(const struct ctl_writer *w, const struct nx_hist *h)
{
	static const char *const keys[] = { "p50_ns", "p90_ns", "p99_ns", "p99_9_ns", "p99_99_ns" };
	static const double pcts[] = { 50, 90, 99, 99.9, 99.99 };
	uint64_t v[5];
	nx_hist_percentiles(h, pcts, v, 5); /* one pass: monotone while the shard writes */
	w->u64(w->ctx, "count", nx_hist_count(h));
	w->u64(w->ctx, "min_ns", nx_hist_min(h));
	w->u64(w->ctx, "mean_ns", (uint64_t)nx_hist_mean(h));
	for (unsigned i = 0; i < 5; i++)
		w->u64(w->ctx, keys[i], v[i]);
	w->u64(w->ctx, "max_ns", nx_hist_max(h));
}

/* The latency of one shard, or all merged (a copy the control thread owns). */
static int cmd_latency(struct ctl *c, int nf, char **f, const struct ctl_writer *w)
{
	uint64_t ix;
	if (nf > 1)
		return error(w, -EINVAL, "parameter: a shard index, or none for all");
	if (nf == 1) {
		if (parse_u64(f[0], &ix) || ix >= c->nshards)
			return error(w, -EINVAL, "parameter: a shard index, or none for all");
		write_latency(w, c->shard[ix].latency);
		return 0;
	}
	struct nx_hist *m = nx_hist_create(NX_HIST_HOUR_NS, NX_HIST_DIGITS_DEFAULT);
	if (!m)
		return error(w, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < c->nshards; i++)
		nx_hist_merge(m, c->shard[i].latency);
	write_latency(w, m);
	nx_hist_destroy(m);
	return 0;
}

static int cmd_book(struct ctl *c, int nf, char **f, const struct ctl_writer *w)
{
	uint64_t inst;
	int sh;
	if (nf != 1 || parse_u64(f[0], &inst) || inst > UINT32_MAX ||
	    (sh = nx_config_shard_of(c->cfg, (nx_inst_t)inst)) < 0)
		return error(w, -EINVAL, "parameter: a configured instrument id");
	struct ctl_mailbox *mb = c->shard[sh].mb;
	int rc = call(c, (uint32_t)sh, CTL_BOOK, NULL, (nx_inst_t)inst);
	if (rc)
		return error(w, rc, "the shard did not answer");
	w->u64(w->ctx, "instrument", inst);
	w->u64(w->ctx, "shard", (uint64_t)sh);
	for (unsigned s = 0; s < 2; s++)
		for (int i = 0; i < mb->reply.nlevels[s]; i++) {
			char key[32], val[96];
			const struct nx_level_info *l = &mb->reply.levels[s][i];
			snprintf(key, sizeof(key), "%s_%d", s ? "ask" : "bid", i);
			snprintf(val, sizeof(val), "%lld x %lld (%u)", (long long)l->px,
				 (long long)l->qty, l->count);
			w->str(w->ctx, key, val);
		}
	return 0;
}

/* Parse an admin command into a; *shard is the one shard it goes to, or -1
 * for all (account and venue scope). */
static int parse_admin(struct ctl *c, const char *cmd, int nf, char **f, struct nx_admin *a,
		       int *shard, const char **why)
{
	uint64_t id = 0;
	int64_t v;
	memset(a, 0, sizeof(*a));
	*shard = -1;
	if (!strcmp(cmd, "/nanoex/kill")) {
		*why = "parameters: venue|account|instrument,<id>,on|off (venue: id 0)";
		if (nf != 3 || (strcasecmp(f[2], "on") && strcasecmp(f[2], "off")))
			return -EINVAL;
		a->op = NX_ADMIN_KILL;
		a->on = !strcasecmp(f[2], "on");
		a->scope = !strcasecmp(f[0], "venue") ? NX_KILL_VENUE : !strcasecmp(f[0], "account")
			 ? NX_KILL_ACCOUNT : !strcasecmp(f[0], "instrument") ? NX_KILL_INSTRUMENT : 0;
		/* words in any case, as /nanoex/status takes them; the venue has
		 * no id, and one given (a slip for account?) is refused */
		if (!a->scope || parse_u64(f[1], &id) || id > UINT32_MAX ||
		    (a->scope == NX_KILL_VENUE && id))
			return -EINVAL;
		a->id = (uint32_t)id;
		if (a->scope == NX_KILL_INSTRUMENT &&
		    (*shard = nx_config_shard_of(c->cfg, a->id)) < 0) {
			*why = "unknown instrument";
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(cmd, "/nanoex/status") || !strcmp(cmd, "/nanoex/ref_px")) {
		int status = !strcmp(cmd, "/nanoex/status");
		*why = status ? "parameters: <instrument>,open|halted|closed[,cancel]"
			      : "parameters: <instrument>,<price> (price units, a multiple of the tick)";
		if (nf < 2 || parse_u64(f[0], &id) || id > UINT32_MAX)
			return -EINVAL;
		a->id = (uint32_t)id;
		if ((*shard = nx_config_shard_of(c->cfg, a->id)) < 0) {
			*why = "unknown instrument";
			return -EINVAL;
		}
		if (status) {
			a->op = NX_ADMIN_STATUS;
			a->status = (uint8_t)nx_inst_status_parse(f[1]);
			a->cancel_resting = nf == 3 && !strcasecmp(f[2], "cancel");
			return a->status && (nf == 2 || a->cancel_resting) ? 0 : -EINVAL;
		}
		a->op = NX_ADMIN_REF_PX;
		if (nf != 2 || parse_i64(f[1], &a->value))
			return -EINVAL;
		return 0;
	}
	/* /nanoex/limit */
	static const char *const kinds[] = { "max_order_notional", "position", "credit",
		"max_open_orders", "msg_rate", "msg_burst" };
	*why = "parameters: <account>,max_order_notional|position|credit|max_open_orders|"
	       "msg_rate|msg_burst,<value>";
	if (nf != 3 || parse_u64(f[0], &id) || id > UINT32_MAX || parse_i64(f[2], &v))
		return -EINVAL;
	a->op = NX_ADMIN_LIMIT;
	a->id = (uint32_t)id;
	a->value = v;
	for (unsigned k = 0; k < 6; k++)
		if (!strcmp(f[1], kinds[k]))
			a->limit_kind = (uint8_t)(NX_LIMIT_MAX_ORDER_NOTIONAL + k);
	return a->limit_kind ? 0 : -EINVAL;
}

static int cmd_admin(struct ctl *c, const char *cmd, int nf, char **f, const struct ctl_writer *w)
{
	struct nx_admin a;
	int shard;
	const char *why = "";
	if (parse_admin(c, cmd, nf, f, &a, &shard, &why))
		return error(w, -EINVAL, why);
	/* Every shard concerned gets the command before any is waited for: a
	 * venue-wide kill must reach the others when one shard is slow. */
	uint8_t posted[NX_NET_MAX_SHARDS] = { 0 };
	uint64_t applied = 0, pending = 0, not_sent = 0;
	for (uint32_t i = 0; i < c->nshards; i++)
		if ((shard < 0 || i == (uint32_t)shard) && !post(c, i, CTL_ADMIN, &a, 0))
			posted[i] = 1;
		else if (shard < 0 || i == (uint32_t)shard)
			not_sent++;
	await_answers(c, posted);
	unsigned reason = 0;
	char msg[96] = "";
	for (uint32_t i = 0; i < c->nshards; i++) {
		if (shard >= 0 && i != (uint32_t)shard)
			continue;
		if (posted[i] && answered(c, i)) {
			applied++;
			if (!reason)
				reason = c->shard[i].mb->reply.reason;
		} else if (posted[i]) {
			pending++;
			if (!*msg)
				snprintf(msg, sizeof(msg), "shard %u did not answer: the command waits there", i);
		} else if (!*msg) {
			snprintf(msg, sizeof(msg), "shard %u is stopped or busy: the command was not sent", i);
		}
	}
	if (pending || not_sent) {
		w->u64(w->ctx, "applied", applied);
		w->u64(w->ctx, "pending", pending);
		w->u64(w->ctx, "not_sent", not_sent);
		return error(w, -ETIMEDOUT, msg);
	}
	w->str(w->ctx, "result", reason ? "rejected" : "ok");
	if (reason)
		w->str(w->ctx, "reason", nx_reject_name(reason));
	w->u64(w->ctx, "shards", shard >= 0 ? 1 : c->nshards);
	return 0;
}

/* A list in one string answer of at most CTL_STR_MAX - 1 characters, cut
 * between two items: nanoex's telemetry cut a longer one wherever 127 fell
 * (a shard of 30 instruments 1001..1030 read "... 1018 1019 102": an id
 * that is not there), and both apps left out what did not fit silently. */
struct ctl_list {
	char s[CTL_STR_MAX];
	size_t n;
	int full;
};

/* Item i (from 0) of total: taken if what is left to say after it,
 * " (+N more)", still fits; else the list ends with that. */
static void list_add(struct ctl_list *l, const char *item, uint32_t i, uint32_t total)
{
	char more[32];
	size_t len = strlen(item), m = 0;
	if (l->full)
		return;
	if (i + 1 < total)
		m = (size_t)snprintf(more, sizeof(more), " (+%u more)", total - i - 1);
	if (l->n + len + m < sizeof(l->s)) {
		memcpy(l->s + l->n, item, len + 1);
		l->n += len;
		return;
	}
	l->full = 1;
	snprintf(l->s + l->n, sizeof(l->s) - l->n, " (+%u more)", total - i);
}

int ctl_run(struct ctl *c, const char *cmd, const char *params, const struct ctl_writer *w,
	    uint64_t now_ns)
{
	char buf[256], *f[8];
	int nf = split(buf, sizeof(buf), params, f, 8), rc = 0;
	if (nf < 0) {
		w->str(w->ctx, "error", "parameters longer than 255 characters");
		return -EINVAL;
	}
	pthread_mutex_lock(&c->lock);
	if (c->stopped) {
		rc = error(w, -ETIMEDOUT, "stopping");
	} else if (nf && (!strcmp(cmd, "/nanoex/info") || !strcmp(cmd, "/nanoex/stats"))) {
		/* "/nanoex/stats,1" answered the sum of all shards as if it
		 * were shard 1's counters */
		rc = error(w, -EINVAL, !strcmp(cmd, "/nanoex/stats")
			   ? "no parameters (one shard's counters: /nanoex/shard,<n>)" : "no parameters");
	} else if (!strcmp(cmd, "/nanoex/info")) {
		struct ctl_list ports = { .n = 0 };
		char item[96]; /* ", ", a 63-character device, " ", an address */
		for (uint32_t i = 0; i < c->cfg->net.nports; i++) {
			uint32_t ip = c->cfg->net.ports[i].ipv4;
			snprintf(item, sizeof(item), "%s%s %u.%u.%u.%u", i ? ", " : "",
				 c->cfg->net.ports[i].device, ip >> 24, ip >> 16 & 255, ip >> 8 & 255,
				 ip & 255);
			list_add(&ports, item, i, c->cfg->net.nports);
		}
		w->str(w->ctx, "app", c->app);
		w->str(w->ctx, "io", c->io_name);
		w->str(w->ctx, "config", c->cfg->path);
		w->str(w->ctx, "ports", ports.s);
		w->u64(w->ctx, "shards", c->nshards);
		for (uint32_t i = 0; i < c->nshards; i++) {
			char key[32];
			const struct nx_shard_config *s = &c->cfg->net.shards[i];
			struct ctl_list val = { .n = 0 };
			val.n = (size_t)snprintf(val.s, sizeof(val.s), "lcore %u udp %u instruments",
						 s->lcore, s->udp_port);
			for (uint32_t j = 0; j < s->ninstruments; j++) {
				snprintf(item, sizeof(item), " %u", s->instruments[j]);
				list_add(&val, item, j, s->ninstruments);
			}
			snprintf(key, sizeof(key), "shard_%u", i);
			w->str(w->ctx, key, val.s);
		}
		w->u64(w->ctx, "uptime_s", (now_ns - c->start_ns) / 1000000000u);
	} else if (!strcmp(cmd, "/nanoex/stats") || !strcmp(cmd, "/nanoex/shard")) {
		uint64_t ix = 0;
		int one = !strcmp(cmd, "/nanoex/shard");
		if (one && (nf != 1 || parse_u64(f[0], &ix) || ix >= c->nshards)) {
			rc = error(w, -EINVAL, "parameter: a shard index");
			goto out;
		}
		struct ctl_io io = { 0 };
		struct nx_engine_stats *st = calloc(1, sizeof(*st));
		if (!st) {
			rc = error(w, -ENOMEM, "out of memory");
			goto out;
		}
		for (uint32_t i = 0; i < c->nshards && !rc; i++) {
			if (one && i != ix)
				continue;
			if ((rc = call(c, i, CTL_STATS, NULL, 0)))
				error(w, rc, "a shard did not answer");
			else
				add_stats(&io, st, &c->shard[i].mb->reply.io, &c->shard[i].mb->reply.st);
		}
		if (!rc)
			write_stats(w, &io, st);
		free(st);
	} else if (!strcmp(cmd, "/nanoex/latency")) {
		rc = cmd_latency(c, nf, f, w);
	} else if (!strcmp(cmd, "/nanoex/book")) {
		rc = cmd_book(c, nf, f, w);
	} else if (!strcmp(cmd, "/nanoex/kill") || !strcmp(cmd, "/nanoex/status") ||
		   !strcmp(cmd, "/nanoex/ref_px") || !strcmp(cmd, "/nanoex/limit")) {
		rc = cmd_admin(c, cmd, nf, f, w);
	} else {
		rc = -ENOENT;
	}
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void ctl_stop(struct ctl *c)
{
	pthread_mutex_lock(&c->lock);
	c->stopped = 1;
	pthread_mutex_unlock(&c->lock);
}

/* --- Final statistics --------------------------------------------------------- */

static void print_u64(void *ctx, const char *key, uint64_t v)
{
	if (v)
		fprintf(ctx, "  %-28s %llu\n", key, (unsigned long long)v);
}

static void print_i64(void *ctx, const char *key, int64_t v)
{
	fprintf(ctx, "  %-28s %lld\n", key, (long long)v);
}

static void print_str(void *ctx, const char *key, const char *v)
{
	fprintf(ctx, "  %-28s %s\n", key, v);
}

void ctl_print_summary(const struct ctl *c, FILE *f)
{
	uint64_t rx = 0, tx = 0, orders = 0, fills = 0;
	for (uint32_t i = 0; i < c->nshards; i++) {
		const struct nx_engine_stats *st = nx_engine_stats(c->shard[i].engine);
		rx += __atomic_load_n(&c->shard[i].io->rx_pkts, __ATOMIC_RELAXED);
		tx += __atomic_load_n(&c->shard[i].io->tx_pkts, __ATOMIC_RELAXED);
		orders += __atomic_load_n(&st->orders, __ATOMIC_RELAXED);
		fills += __atomic_load_n(&st->fills, __ATOMIC_RELAXED);
	}
	fprintf(f, "%s: rx %llu tx %llu orders %llu fills %llu\n", c->app, (unsigned long long)rx,
		(unsigned long long)tx, (unsigned long long)orders, (unsigned long long)fills);
	fflush(f);
}

void ctl_print_final(const struct ctl *c, FILE *f)
{
	struct ctl_writer w = { print_u64, print_i64, print_str, f };
	for (uint32_t i = 0; i < c->nshards; i++) {
		fprintf(f, "shard %u (lcore %u, udp %u): counters that are not zero\n", i,
			c->cfg->net.shards[i].lcore, c->cfg->net.shards[i].udp_port);
		write_stats(&w, c->shard[i].io, nx_engine_stats(c->shard[i].engine));
		fprintf(f, "shard %u latency, receive to transmit (ns):\n", i);
		write_latency(&w, c->shard[i].latency);
	}
	fflush(f);
}
