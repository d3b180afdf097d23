/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The market_data section of the venue file (docs/configuration.md#
 * market_data): the appliance's service lcore, the ITCH feed it reads for
 * reference prices, and the venue feed it publishes. Cold code.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config_priv.h"
#include "nx/feed.h"
#include "nx/mdbook.h"

/* An IPv4 address member: unicast (want_group 0) or a 224/4 group. */
static int cfg_ip(struct loader *L, const config_setting_t *g, const char *name, int want_group,
		  uint32_t *out)
{
	int rc = 0;
	const char *s = cfg_str(L, g, name, &rc);
	struct in_addr ia;
	uint32_t h;
	if (!s)
		return rc;
	if (inet_pton(AF_INET, s, &ia) != 1 || !(h = ntohl(ia.s_addr)) || h == UINT32_MAX ||
	    ((h >> 28) == 0xe) != !!want_group)
		return cfg_fail(L, config_setting_get_member(g, name), want_group
				? "must be an IPv4 multicast group (224.0.0.0/4)"
				: "must be a unicast IPv4 address");
	*out = h;
	return 0;
}

/* A MoldUDP64 session name: 1 to 10 printable characters, space-padded. */
static int cfg_session(struct loader *L, const config_setting_t *g, char out[10], uint8_t *have)
{
	int rc = 0;
	const char *s = cfg_str(L, g, "session", &rc);
	if (!s)
		return rc;
	size_t n = strlen(s);
	if (!n || n > 10)
		return cfg_fail(L, config_setting_get_member(g, "session"), "must be 1 to 10 characters");
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return cfg_fail(L, config_setting_get_member(g, "session"),
					"must be printable ASCII");
	memset(out, ' ', 10);
	memcpy(out, s, n);
	if (have)
		*have = 1;
	return 0;
}

/* One integer member in [lo, hi] into a uint32, default kept when absent. */
static int cfg_u32(struct loader *L, const config_setting_t *g, const char *name, int64_t lo,
		   int64_t hi, uint32_t *out)
{
	int rc = 0;
	int64_t v;
	if (!cfg_int(L, g, name, lo, hi, &v, &rc) && !rc)
		*out = (uint32_t)v;
	return rc;
}

/* A failure of the itch or feed group itself: named from market_data. */
__attribute__((format(printf, 3, 4)))
static int group_fail(struct loader *L, const config_setting_t *g, const char *fmt, ...)
{
	char msg[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(L->where, sizeof(L->where), "market_data");
	return cfg_fail(L, g, "%s", msg);
}

static int load_map(struct loader *L, const config_setting_t *e, const struct nx_venue_config *c,
		    struct nx_md_map *m)
{
	static const char *const names[] = { "symbol", "instrument", "source", "px_mul", "px_div",
		NULL };
	int rc = cfg_only(L, e, names);
	int64_t v;
	const char *s;
	if (rc)
		return rc;
	if (!(s = cfg_str(L, e, "symbol", &rc)))
		return rc ? rc : cfg_missing(L, e, "symbol");
	/* ITCH's Stock is 8 bytes of printable ASCII, space-padded: a control
	 * character or a byte of a multi-byte character could never match. */
	int ok = *s && strlen(s) <= 8;
	for (const char *p = s; ok && *p; p++)
		ok = *p >= 0x21 && *p <= 0x7e;
	if (!ok)
		return cfg_fail(L, config_setting_get_member(e, "symbol"),
				"must be an ITCH stock symbol of 1 to 8 characters");
	strcpy(m->symbol, s);
	if (cfg_int(L, e, "instrument", 1, UINT32_MAX, &v, &rc) > 0)
		return cfg_missing(L, e, "instrument");
	if (rc)
		return rc;
	if (cfg_inst_ix(&L->inst_ids, c->instruments, (nx_inst_t)v) == IDMAP_EMPTY)
		return cfg_fail(L, config_setting_get_member(e, "instrument"),
				"must be a configured instrument id");
	m->inst = (nx_inst_t)v;
	m->source = NX_MD_REF_MID;
	if ((s = cfg_str(L, e, "source", &rc))) {
		if (!strcmp(s, "mid"))
			m->source = NX_MD_REF_MID;
		else if (!strcmp(s, "last"))
			m->source = NX_MD_REF_LAST;
		else
			return cfg_fail(L, config_setting_get_member(e, "source"),
					"must be \"mid\" or \"last\"");
	}
	if (rc)
		return rc;
	m->px_mul = m->px_div = 1;
	if (!cfg_int(L, e, "px_mul", 1, INT32_MAX, &v, &rc) && !rc)
		m->px_mul = v;
	if (!rc && !cfg_int(L, e, "px_div", 1, INT32_MAX, &v, &rc) && !rc)
		m->px_div = v;
	return rc;
}

static int load_itch(struct loader *L, const config_setting_t *g, const struct nx_venue_config *c,
		     struct nx_md_itch_config *it)
{
	static const char *const names[] = { "udp_port", "group", "source", "session", "request_server",
		"request_ms", "give_up_ms", "max_orders", "max_levels", "max_locates", "ref_interval_us", "map", NULL };
	int rc = cfg_only(L, g, names);
	int64_t v;
	if (rc)
		return rc;
	it->request_ms = 100;
	it->give_up_ms = 2000;
	it->max_orders = 1u << 20;
	it->max_levels = 1u << 18;
	it->max_locates = 16384;
	it->ref_interval_us = 1000;
	if (cfg_int(L, g, "udp_port", 1, 65535, &v, &rc) > 0)
		return group_fail(L, g, "missing udp_port");
	if (rc)
		return rc;
	it->udp_port = (uint16_t)v;
	if ((rc = cfg_ip(L, g, "group", 1, &it->group)) ||
	    (rc = cfg_ip(L, g, "source", 0, &it->source_ip)) ||
	    (rc = cfg_session(L, g, it->session, &it->have_session)) ||
	    (rc = cfg_u32(L, g, "request_ms", 1, 60000, &it->request_ms)) ||
	    (rc = cfg_u32(L, g, "give_up_ms", 1, 600000, &it->give_up_ms)) ||
	    (rc = cfg_u32(L, g, "max_orders", 1, NX_MDBOOK_MAX_ORDERS_LIMIT, &it->max_orders)) ||
	    (rc = cfg_u32(L, g, "max_levels", 1, NX_MDBOOK_MAX_LEVELS_LIMIT, &it->max_levels)) ||
	    (rc = cfg_u32(L, g, "max_locates", 1, 65536, &it->max_locates)) ||
	    (rc = cfg_u32(L, g, "ref_interval_us", 0, 60000000, &it->ref_interval_us)))
		return rc;
	const char *rs = cfg_str(L, g, "request_server", &rc);
	if (rc)
		return rc;
	if (rs) {
		char ip[32];
		unsigned port = 0;
		struct in_addr ia;
		const char *colon = strrchr(rs, ':'), *p = colon ? colon + 1 : NULL;
		/* digits only, and nothing after them ("9201 and more" was port
		 * 9201); counted here, not by sscanf, which wrapped 4294967297 to
		 * port 1 */
		for (; p && *p >= '0' && *p <= '9' && port <= 65535; p++)
			port = port * 10 + (unsigned)(*p - '0');
		if (!colon || (size_t)(colon - rs) >= sizeof(ip) || p == colon + 1 || *p || !port ||
		    port > 65535)
			return cfg_fail(L, config_setting_get_member(g, "request_server"),
					"must be \"a.b.c.d:port\"");
		memcpy(ip, rs, (size_t)(colon - rs));
		ip[colon - rs] = 0;
		if (inet_pton(AF_INET, ip, &ia) != 1 || !ia.s_addr || (ntohl(ia.s_addr) >> 28) >= 0xe)
			return cfg_fail(L, config_setting_get_member(g, "request_server"),
					"must be a unicast IPv4 address and a port");
		it->request_ip = ntohl(ia.s_addr);
		it->request_port = (uint16_t)port;
	}
	const config_setting_t *ms = config_setting_get_member(g, "map");
	if (!ms)
		return 0; /* a feed kept for its books alone (telemetry) */
	if (!config_setting_is_list(ms) || config_setting_length(ms) > NX_MD_MAX_MAP)
		return cfg_fail(L, ms, "must be a list of at most %d mappings ( { ... } )",
				NX_MD_MAX_MAP);
	for (uint32_t i = 0; i < (uint32_t)config_setting_length(ms); i++) {
		snprintf(L->where, sizeof(L->where), "market_data.itch.map[%u]", i);
		struct nx_md_map *m = &it->map[i];
		if ((rc = load_map(L, config_setting_get_elem(ms, i), c, m)))
			return rc;
		for (uint32_t j = 0; j < i; j++)
			if (it->map[j].inst == m->inst)
				return cfg_fail(L, config_setting_get_elem(ms, i),
						"instrument %u is mapped twice", m->inst);
		it->nmap = i + 1;
	}
	snprintf(L->where, sizeof(L->where), "market_data.itch");
	return 0;
}

static int load_feed(struct loader *L, const config_setting_t *g, struct nx_md_feed_config *f)
{
	static const char *const names[] = { "group", "incremental_port", "snapshot_port",
		"retransmit_port", "session", "history", "max_levels", "heartbeat_ms", "snapshot_ms",
		"retrans_max", "retrans_rate", "retrans_total_rate", "ring", "trade_backlog", NULL };
	int rc = cfg_only(L, g, names);
	uint32_t port[3] = { 0, 0, 0 };
	static const char *const pn[3] = { "incremental_port", "snapshot_port", "retransmit_port" };
	if (rc)
		return rc;
	f->history = 1u << 16;
	f->max_levels = 1024;
	f->heartbeat_ms = 100;
	f->snapshot_ms = 1000;
	f->retrans_max = 256;
	f->retrans_rate = 2000;
	f->retrans_total_rate = 20000;
	f->ring = 1u << 16;
	f->trade_backlog = 1u << 16; /* 2 MB a shard: as many trades as the ring holds records */
	if ((rc = cfg_ip(L, g, "group", 1, &f->group)))
		return rc;
	if (!f->group)
		return group_fail(L, g, "missing group");
	for (int i = 0; i < 3; i++) {
		if (!config_setting_get_member(g, pn[i]))
			return group_fail(L, g, "missing %s", pn[i]);
		if ((rc = cfg_u32(L, g, pn[i], 1, 65535, &port[i])))
			return rc;
	}
	f->incremental_port = (uint16_t)port[0];
	f->snapshot_port = (uint16_t)port[1];
	f->retransmit_port = (uint16_t)port[2];
	if (port[0] == port[1] || port[0] == port[2] || port[1] == port[2])
		return cfg_fail(L, config_setting_get_member(g, pn[port[0] == port[1] ? 1 : 2]),
				"incremental_port, snapshot_port and retransmit_port must differ");
	if ((rc = cfg_session(L, g, f->session, &f->have_session)) ||
	    (rc = cfg_u32(L, g, "history", 1, 1u << 24, &f->history)) ||
	    (rc = cfg_u32(L, g, "max_levels", 1, 1u << 20, &f->max_levels)) ||
	    (rc = cfg_u32(L, g, "heartbeat_ms", 1, 60000, &f->heartbeat_ms)) ||
	    (rc = cfg_u32(L, g, "snapshot_ms", 1, 3600000, &f->snapshot_ms)) ||
	    (rc = cfg_u32(L, g, "retrans_max", 1, 65534, &f->retrans_max)) ||
	    (rc = cfg_u32(L, g, "retrans_rate", 0, NX_FEED_MAX_RETRANS_RATE, &f->retrans_rate)) ||
	    (rc = cfg_u32(L, g, "retrans_total_rate", 0, NX_FEED_MAX_RETRANS_RATE,
			  &f->retrans_total_rate)) ||
	    (rc = cfg_u32(L, g, "ring", 64, 1u << 24, &f->ring)) ||
	    (rc = cfg_u32(L, g, "trade_backlog", 1, NX_FEED_MAX_BACKLOG, &f->trade_backlog)))
		return rc;
	if (f->ring & (f->ring - 1))
		return cfg_fail(L, config_setting_get_member(g, "ring"), "must be a power of two");
	/* A shard re-images a stale instrument in one enqueue (nx_feed_image:
	 * CLEAR, STATUS, max_levels + 1 a side) into a ring that holds ring - 1:
	 * smaller, and the instrument could never be re-imaged (its changes
	 * dropped for good). */
	if ((uint64_t)f->ring - 1 < NX_FEED_IMAGE_RECS((uint64_t)f->max_levels)) {
		/* the ring if set, else the max_levels that outgrew its default */
		const config_setting_t *m = config_setting_get_member(g, "ring");
		return cfg_fail(L, m ? m : config_setting_get_member(g, "max_levels"),
				"ring %u cannot hold an instrument's re-image: it must be at least 2 x "
				"max_levels + 5 (max_levels %u)", f->ring, f->max_levels);
	}
	return 0;
}

/* The UDP ports the service lcore receives on are no shard's, nor its
 * lcore; a conflict is named at the market_data field that makes it. */
static int check_ports(struct loader *L, const config_setting_t *g, const struct nx_venue_config *c)
{
	const struct nx_md_config *md = &c->md;
	const config_setting_t *it = config_setting_get_member(g, "itch");
	const config_setting_t *fd = config_setting_get_member(g, "feed");
	const struct {
		uint16_t port;
		const char *where;
		const config_setting_t *s;
	} mine[2] = {
		{ md->itch.udp_port, "market_data.itch",
		  it ? config_setting_get_member(it, "udp_port") : NULL },
		{ md->feed.group ? md->feed.retransmit_port : 0, "market_data.feed",
		  fd ? config_setting_get_member(fd, "retransmit_port") : NULL },
	};
	for (int k = 0; k < 2; k++)
		for (uint32_t i = 0; mine[k].port && i < c->net.nshards; i++)
			if (c->net.shards[i].udp_port == mine[k].port) {
				snprintf(L->where, sizeof(L->where), "%s", mine[k].where);
				return cfg_fail(L, mine[k].s, "udp port %u is shard %u's", mine[k].port, i);
			}
	if (mine[0].port && mine[0].port == mine[1].port) {
		snprintf(L->where, sizeof(L->where), "%s", mine[1].where);
		return cfg_fail(L, mine[1].s, "itch.udp_port and feed.retransmit_port must differ");
	}
	/* An ITCH feed on the venue feed's group and one of its ports: each
	 * side's datagrams would reach the other's receivers (the venue's
	 * subscribers would get ITCH, and the service any venue feed on the
	 * segment as ITCH). */
	static const char *const fport[2] = { "incremental_port", "snapshot_port" };
	const uint16_t fp[2] = { md->feed.incremental_port, md->feed.snapshot_port };
	for (int k = 0; k < 2; k++)
		if (md->itch.udp_port && md->itch.group && md->itch.group == md->feed.group &&
		    md->itch.udp_port == fp[k]) {
			uint32_t gr = md->feed.group;
			snprintf(L->where, sizeof(L->where), "market_data.feed");
			return cfg_fail(L, config_setting_get_member(fd, fport[k]),
					"%u.%u.%u.%u:%u is itch's group and udp_port too", gr >> 24,
					gr >> 16 & 255, gr >> 8 & 255, gr & 255, fp[k]);
		}
	for (uint32_t i = 0; i < c->net.nshards; i++)
		if (c->net.shards[i].lcore == md->lcore)
			return cfg_fail(L, config_setting_get_member(g, "lcore"), "lcore %u runs shard %u",
					md->lcore, i);
	return 0;
}

int cfg_load_md(struct loader *L, const config_setting_t *g, struct nx_venue_config *c)
{
	static const char *const names[] = { "lcore", "itch", "feed", NULL };
	struct nx_md_config *md = &c->md;
	const config_setting_t *s;
	int64_t v;
	int rc;
	snprintf(L->where, sizeof(L->where), "market_data");
	if ((rc = cfg_only(L, g, names)))
		return rc;
	if (!c->net.nports)
		return cfg_fail(L, g, "needs the net section (the appliance's ports and shards)");
	if (cfg_int(L, g, "lcore", 0, 1023, &v, &rc) > 0)
		return cfg_missing(L, g, "lcore");
	if (rc)
		return rc;
	md->lcore = (uint32_t)v;
	if ((s = config_setting_get_member(g, "itch"))) {
		snprintf(L->where, sizeof(L->where), "market_data.itch");
		if ((rc = load_itch(L, s, c, &md->itch)))
			return rc;
	}
	if ((s = config_setting_get_member(g, "feed"))) {
		snprintf(L->where, sizeof(L->where), "market_data.feed");
		if ((rc = load_feed(L, s, &md->feed)))
			return rc;
	}
	snprintf(L->where, sizeof(L->where), "market_data");
	if (!md->itch.udp_port && !md->feed.group)
		return cfg_fail(L, g, "needs itch { ... } or feed { ... } (or both)");
	if ((rc = check_ports(L, g, c)))
		return rc;
	md->enabled = 1;
	L->where[0] = 0;
	return 0;
}
