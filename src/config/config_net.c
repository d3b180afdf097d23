/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The net section of the venue file: ports, shards and the queue sizes of
 * the appliance (docs/configuration.md#net), and cutting the venue into
 * one configuration per shard. Cold code.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

#define DEF_MBUFS   16383
#define DEF_DESC    1024
#define DEF_BURST   32

static int load_port(struct loader *L, const config_setting_t *g, struct nx_port_config *p)
{
	static const char *const names[] = { "device", "ipv4", NULL };
	int rc = cfg_only(L, g, names);
	const char *dev, *ip;
	if (rc)
		return rc;
	if (!(dev = cfg_str(L, g, "device", &rc)))
		return rc ? rc : cfg_missing(L, g, "device");
	if (!*dev || strlen(dev) >= sizeof(p->device))
		return cfg_fail(L, config_setting_get_member(g, "device"),
				"must be 1 to %zu characters", sizeof(p->device) - 1);
	strcpy(p->device, dev);
	if (!(ip = cfg_str(L, g, "ipv4", &rc)))
		return rc ? rc : cfg_missing(L, g, "ipv4");
	struct in_addr ia;
	uint32_t h;
	if (inet_pton(AF_INET, ip, &ia) != 1 || !(h = ntohl(ia.s_addr)) || h == UINT32_MAX ||
	    (h >> 28) == 0xe)
		return cfg_fail(L, config_setting_get_member(g, "ipv4"),
				"must be a unicast IPv4 address");
	p->ipv4 = h;
	return 0;
}

static int load_shard(struct loader *L, const config_setting_t *g, const struct nx_venue_config *c,
		      struct nx_shard_config *s)
{
	static const char *const names[] = { "lcore", "udp_port", "instruments", NULL };
	int rc = cfg_only(L, g, names);
	int64_t v;
	if (rc)
		return rc;
	if (cfg_int(L, g, "lcore", 0, 1023, &v, &rc) > 0)
		return cfg_missing(L, g, "lcore");
	if (rc)
		return rc;
	s->lcore = (uint32_t)v;
	if (cfg_int(L, g, "udp_port", 1, 65535, &v, &rc) > 0)
		return cfg_missing(L, g, "udp_port");
	if (rc)
		return rc;
	s->udp_port = (uint16_t)v;
	const config_setting_t *ins = config_setting_get_member(g, "instruments");
	if (!ins)
		return cfg_missing(L, g, "instruments");
	if ((!config_setting_is_array(ins) && !config_setting_is_list(ins)) ||
	    !config_setting_length(ins))
		return cfg_fail(L, ins, "must be a non-empty list of instrument ids [ 1, 2 ]");
	int n = config_setting_length(ins);
	if (!(s->instruments = calloc((size_t)n, sizeof(nx_inst_t))))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(ins, (unsigned)i);
		int t = config_setting_type(e);
		long long x = t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64
			    ? config_setting_get_int64(e) : 0;
		if (x < 1 || x > UINT32_MAX ||
		    cfg_inst_ix(&L->inst_ids, c->instruments, (nx_inst_t)x) == IDMAP_EMPTY)
			return cfg_fail(L, ins, "element %d: must be a configured instrument id", i);
		s->instruments[s->ninstruments++] = (nx_inst_t)x;
	}
	return 0;
}

/* A clash found at shard i's member name: named there, on its line. */
static int shard_fail(struct loader *L, const config_setting_t *ss, uint32_t i, const char *name,
		      const char *msg)
{
	snprintf(L->where, sizeof(L->where), "net.shards[%u]", i);
	return cfg_fail(L, config_setting_get_member(config_setting_get_elem(ss, i), name), "%s", msg);
}

#define NONE 0xff /* no shard, in check_shards' places */
_Static_assert(NX_NET_MAX_SHARDS < NONE, "a shard number fits in a byte below NONE");

/* Every instrument in exactly one shard; lcores and UDP ports distinct. */
static int check_shards(struct loader *L, const config_setting_t *ss, const struct nx_venue_config *c)
{
	const struct nx_net_config *n = &c->net;
	char msg[128];
	for (uint32_t i = 0; i < n->nshards; i++)
		for (uint32_t j = 0; j < i; j++) {
			if (n->shards[i].lcore == n->shards[j].lcore) {
				snprintf(msg, sizeof(msg), "shards %u and %u share lcore %u", j, i,
					 n->shards[i].lcore);
				return shard_fail(L, ss, i, "lcore", msg);
			}
			if (n->shards[i].udp_port == n->shards[j].udp_port) {
				snprintf(msg, sizeof(msg), "shards %u and %u share udp_port %u", j, i,
					 n->shards[i].udp_port);
				return shard_fail(L, ss, i, "udp_port", msg);
			}
		}
	/* Each instrument's first two places, in the order of the shards and
	 * of their lists: one pass over the lists, where a walk of them for
	 * each instrument took instruments x entries. The first instrument
	 * (in the instruments list) placed twice, or nowhere, is named as
	 * that walk named it: at its second place. */
	uint8_t *at = malloc(2 * (size_t)c->ninstruments);
	if (!at)
		return -ENOMEM;
	memset(at, NONE, 2 * (size_t)c->ninstruments);
	for (uint32_t i = 0; i < n->nshards; i++)
		for (uint32_t j = 0; j < n->shards[i].ninstruments; j++) {
			/* load_shard took configured ids only */
			uint32_t k = cfg_inst_ix(&L->inst_ids, c->instruments, n->shards[i].instruments[j]);
			if (at[2 * k] == NONE)
				at[2 * k] = (uint8_t)i;
			else if (at[2 * k + 1] == NONE)
				at[2 * k + 1] = (uint8_t)i;
		}
	int rc = 0;
	for (uint32_t k = 0; k < c->ninstruments && !rc; k++) {
		nx_inst_t id = c->instruments[k].id;
		unsigned owner = at[2 * k], i = at[2 * k + 1];
		if (i != NONE) {
			if (owner == i)
				snprintf(msg, sizeof(msg), "instrument %u is in shard %u twice", id, i);
			else
				snprintf(msg, sizeof(msg), "instrument %u is in shards %u and %u", id,
					 owner, i);
			rc = shard_fail(L, ss, i, "instruments", msg);
		} else if (owner == NONE) {
			snprintf(L->where, sizeof(L->where), "net");
			rc = cfg_fail(L, ss, "instrument %u is in no shard", id);
		}
	}
	free(at);
	if (!rc)
		L->where[0] = 0;
	return rc;
}

int cfg_load_net(struct loader *L, const config_setting_t *g, struct nx_venue_config *c)
{
	static const char *const names[] = { "ports", "shards", "mbufs", "rx_desc", "tx_desc",
		"burst", "idle_sleep_us", NULL };
	struct nx_net_config *n = &c->net;
	int rc;
	int64_t v;
	snprintf(L->where, sizeof(L->where), "net");
	if ((rc = cfg_only(L, g, names)))
		return rc;
	n->mbufs = DEF_MBUFS;
	n->rx_desc = n->tx_desc = DEF_DESC;
	n->burst = DEF_BURST;
	if (!cfg_int(L, g, "mbufs", 1024, 1 << 24, &v, &rc))
		n->mbufs = (uint32_t)v;
	if (!rc && !cfg_int(L, g, "rx_desc", 64, 32768, &v, &rc))
		n->rx_desc = (uint16_t)v;
	if (!rc && !cfg_int(L, g, "tx_desc", 64, 32768, &v, &rc))
		n->tx_desc = (uint16_t)v;
	if (!rc && !cfg_int(L, g, "burst", 1, 256, &v, &rc))
		n->burst = (uint16_t)v;
	if (!rc && !cfg_int(L, g, "idle_sleep_us", 0, 1000000, &v, &rc))
		n->idle_sleep_us = (uint32_t)v;
	if (rc)
		return rc;

	const config_setting_t *ps = config_setting_get_member(g, "ports");
	L->where[0] = 0; /* a missing member names the group: "net: missing ports" */
	if (!ps)
		return cfg_missing(L, g, "ports");
	snprintf(L->where, sizeof(L->where), "net"); /* a bad list: "net.ports: ..." */
	if (!config_setting_is_list(ps) || !config_setting_length(ps) ||
	    config_setting_length(ps) > NX_NET_MAX_PORTS)
		return cfg_fail(L, ps, "must be a list of 1 to %d ports ( { ... } )", NX_NET_MAX_PORTS);
	n->nports = (uint32_t)config_setting_length(ps);
	for (uint32_t i = 0; i < n->nports; i++) {
		snprintf(L->where, sizeof(L->where), "net.ports[%u]", i);
		if ((rc = load_port(L, config_setting_get_elem(ps, i), &n->ports[i])))
			return rc;
		for (uint32_t j = 0; j < i; j++) {
			if (!strcmp(n->ports[i].device, n->ports[j].device))
				return cfg_fail(L, config_setting_get_elem(ps, i),
						"device %s used twice", n->ports[i].device);
			/* one address on two ports: nanoex would answer ARP for it
			 * on both, nanoex-sock fail to bind it twice */
			uint32_t ip = n->ports[i].ipv4;
			if (ip == n->ports[j].ipv4)
				return cfg_fail(L, config_setting_get_member(config_setting_get_elem(ps, i),
									     "ipv4"),
						"ports %u and %u share ipv4 %u.%u.%u.%u", j, i, ip >> 24,
						ip >> 16 & 255, ip >> 8 & 255, ip & 255);
		}
	}
	L->where[0] = 0;
	const config_setting_t *ss = config_setting_get_member(g, "shards");
	if (!ss)
		return cfg_missing(L, g, "shards");
	snprintf(L->where, sizeof(L->where), "net");
	if (!config_setting_is_list(ss) || !config_setting_length(ss) ||
	    config_setting_length(ss) > NX_NET_MAX_SHARDS)
		return cfg_fail(L, ss, "must be a list of 1 to %d shards ( { ... } )",
				NX_NET_MAX_SHARDS);
	for (uint32_t i = 0; i < (uint32_t)config_setting_length(ss); i++) {
		snprintf(L->where, sizeof(L->where), "net.shards[%u]", i);
		n->nshards = i + 1; /* so a failure frees what was loaded */
		if ((rc = load_shard(L, config_setting_get_elem(ss, i), c, &n->shards[i])))
			return rc;
	}
	return check_shards(L, ss, c);
}

int nx_config_shard_of(const struct nx_venue_config *c, nx_inst_t id)
{
	for (uint32_t i = 0; i < c->net.nshards; i++)
		for (uint32_t j = 0; j < c->net.shards[i].ninstruments; j++)
			if (c->net.shards[i].instruments[j] == id)
				return (int)i;
	return -1;
}

/* The appliance calls it once a shard at start-up: by an index of the
 * instruments (config_index.c) and each one's first shard, built for the
 * call, rather than a walk of the instruments for each of the shard's and
 * of every shard's lists for each restricted id (nx_config_instrument,
 * nx_config_shard_of), which took instruments^2 / shards steps a shard. */
int nx_config_shard(const struct nx_venue_config *c, uint32_t shard, struct nx_venue_config *out)
{
	memset(out, 0, sizeof(*out));
	if (shard >= c->net.nshards)
		return -EINVAL;
	const struct nx_shard_config *s = &c->net.shards[shard];
	struct idmap ids = { NULL, 0 };
	uint8_t *owner = NULL;
	int rc = -ENOMEM;
	*out = *c;
	out->instruments = NULL;
	out->accounts = NULL;
	memset(out->net.shards, 0, sizeof(out->net.shards));
	out->net.nshards = 0;
	out->ninstruments = out->naccounts = 0;
	if (!(out->instruments = calloc(s->ninstruments, sizeof(*out->instruments))) ||
	    !(out->accounts = calloc(c->naccounts, sizeof(*out->accounts))) ||
	    cfg_index_alloc(&ids, c->ninstruments) ||
	    !(owner = malloc(c->ninstruments ? c->ninstruments : 1)))
		goto fail;
	/* the first of a repeated id, as nx_config_instrument finds it */
	for (uint32_t k = 0; k < c->ninstruments; k++)
		if (cfg_inst_ix(&ids, c->instruments, c->instruments[k].id) == IDMAP_EMPTY)
			cfg_inst_add(&ids, c->instruments, k);
	/* the first shard that lists it, as nx_config_shard_of finds it */
	memset(owner, NONE, c->ninstruments);
	for (uint32_t i = c->net.nshards; i-- > 0;)
		for (uint32_t j = 0; j < c->net.shards[i].ninstruments; j++) {
			uint32_t k = cfg_inst_ix(&ids, c->instruments, c->net.shards[i].instruments[j]);
			if (k != IDMAP_EMPTY)
				owner[k] = (uint8_t)i;
		}
	for (uint32_t j = 0; j < s->ninstruments; j++) {
		uint32_t k = cfg_inst_ix(&ids, c->instruments, s->instruments[j]);
		if (k == IDMAP_EMPTY) { /* not configured: a config built without the loader */
			rc = -EINVAL;
			goto fail;
		}
		out->instruments[out->ninstruments++] = c->instruments[k];
	}
	for (uint32_t i = 0; i < c->naccounts; i++) {
		struct nx_account_config *a = &out->accounts[out->naccounts++];
		*a = c->accounts[i];
		a->restricted = NULL;
		a->nrestricted = 0;
		if (!c->accounts[i].nrestricted)
			continue;
		if (!(a->restricted = calloc(c->accounts[i].nrestricted, sizeof(nx_inst_t))))
			goto fail;
		for (uint32_t r = 0; r < c->accounts[i].nrestricted; r++) {
			uint32_t k = cfg_inst_ix(&ids, c->instruments, c->accounts[i].restricted[r]);
			if (k != IDMAP_EMPTY && owner[k] == shard)
				a->restricted[a->nrestricted++] = c->accounts[i].restricted[r];
		}
	}
	/* The net section stays whole (ports and sizes) but names only this shard. */
	out->net.nshards = 1;
	out->net.shards[0] = *s;
	if (!(out->net.shards[0].instruments = calloc(s->ninstruments, sizeof(nx_inst_t))))
		goto fail;
	memcpy(out->net.shards[0].instruments, s->instruments, s->ninstruments * sizeof(nx_inst_t));
	cfg_index_free(&ids);
	free(owner);
	return 0;
fail:
	cfg_index_free(&ids);
	free(owner);
	nx_config_free(out);
	return rc;
}
