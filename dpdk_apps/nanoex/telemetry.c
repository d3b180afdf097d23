/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The control plane's commands (dpdk_apps/common/ctl.h) as DPDK telemetry
 * commands, so /usr/bin/dpdk-telemetry.py (or any client of the telemetry
 * socket) reads counters and latency and sets kill switches, statuses,
 * reference prices and limits while the shards run, and /nanoex/md the
 * market-data service's counters. Telemetry callbacks
 * run on DPDK's telemetry threads, never on a shard.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>

#include <rte_telemetry.h>

#include "nanoex.h"

/* Telemetry callbacks carry no context; the one app is registered here. */
static struct nx_app *g_app;

static void put_u64(void *ctx, const char *key, uint64_t v)
{
	rte_tel_data_add_dict_u64(ctx, key, v);
}

/* DPDK 22.11 has no signed 64-bit value: an int where it fits, else u64
 * (positive) or the number as a string (a negative past INT_MIN), never
 * a value cut to 32 bits. */
static void put_i64(void *ctx, const char *key, int64_t v)
{
	char num[24];
	if (v >= INT_MIN && v <= INT_MAX) {
		rte_tel_data_add_dict_int(ctx, key, (int)v);
	} else if (v > 0) {
		rte_tel_data_add_dict_u64(ctx, key, (uint64_t)v);
	} else {
		snprintf(num, sizeof(num), "%" PRId64, v);
		rte_tel_data_add_dict_string(ctx, key, num);
	}
}

/* DPDK 22.11's JSON writer tests each byte of a string as a signed char
 * against its table of 32 control characters: a byte past 0x7f indexes
 * before the table, and is dropped or written as a backslash and whatever
 * lies there (an invalid escape), and the other control characters but
 * \n \r \t are dropped. So only printable ASCII is handed over; any other
 * byte is sent as '?' (nanoex-sock escapes them: it writes its own JSON). A
 * string is cut at RTE_TEL_MAX_STRING_LEN - 1 bytes by DPDK anyway. */
static void put_str(void *ctx, const char *key, const char *v)
{
	char s[RTE_TEL_MAX_STRING_LEN];
	size_t i;
	for (i = 0; v[i] && i < sizeof(s) - 1; i++)
		s[i] = (unsigned char)v[i] >= 0x20 && (unsigned char)v[i] < 0x7f ? v[i] : '?';
	s[i] = 0;
	rte_tel_data_add_dict_string(ctx, key, s);
}

static int on_command(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ctl_writer w = { put_u64, put_i64, put_str, d };
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	rte_tel_data_start_dict(d);
	int rc = ctl_run(&g_app->ctl, cmd, params, &w,
			 (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
	/* A bad parameter still answers with its "error" entry. */
	return rc == -ENOENT ? -1 : 0;
}

/* /nanoex/md: the market-data service's counters, read while it runs
 * (plain loads of counters one lcore writes: monitoring, not an audit). */
static int on_md(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct nx_app *a = g_app;
	const struct nx_service *v = a->svc;
	char key[64];
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&a->ctl.lock); /* against ctl_stop: the service is freed after it */
	if (!v || a->ctl.stopped) {
		rte_tel_data_add_dict_string(d, "error", v ? "stopping" : "no market_data section");
		pthread_mutex_unlock(&a->ctl.lock);
		return 0;
	}
	if (v->book) {
		const struct nx_mold_stats *m = &v->mold.st;
		const struct nx_mdbook_stats *b = nx_mdbook_stats(v->book);
		uint64_t drops = 0;
		for (int i = 1; i < NX_MOLD_DROP_MAX; i++)
			drops += m->drops[i];
		rte_tel_data_add_dict_u64(d, "itch_pkts", v->itch_pkts);
		rte_tel_data_add_dict_u64(d, "itch_foreign", v->itch_foreign);
		rte_tel_data_add_dict_u64(d, "itch_msgs", m->msgs);
		rte_tel_data_add_dict_u64(d, "itch_next_seq", v->mold.next);
		rte_tel_data_add_dict_u64(d, "itch_dup_pkts", m->dup_pkts);
		rte_tel_data_add_dict_u64(d, "itch_ahead_pkts", m->ahead_pkts);
		rte_tel_data_add_dict_u64(d, "itch_ahead_dropped", v->ahead_dropped);
		rte_tel_data_add_dict_u64(d, "itch_gaps", m->gaps);
		rte_tel_data_add_dict_u64(d, "itch_lost_msgs", m->lost_msgs);
		rte_tel_data_add_dict_u64(d, "itch_drops", drops);
		rte_tel_data_add_dict_u64(d, "itch_requests", v->requests);
		rte_tel_data_add_dict_u64(d, "itch_give_ups", v->give_ups);
		rte_tel_data_add_dict_u64(d, "itch_no_request_neigh", v->no_request_neigh);
		rte_tel_data_add_dict_u64(d, "itch_live_orders", b->live_orders);
		rte_tel_data_add_dict_u64(d, "itch_orphans", nx_mdbook_orphans(v->book));
		rte_tel_data_add_dict_u64(d, "ref_sent", v->ref_sent);
		rte_tel_data_add_dict_u64(d, "ref_full", v->ref_full);
		rte_tel_data_add_dict_u64(d, "ref_unresolved", v->ref.unresolved);
		/* one entry per mapping, up to NX_MD_MAX_MAP (256): a dict of
		 * its own, as a telemetry dict holds 256 entries */
		struct rte_tel_data *px = rte_tel_data_alloc();
		if (px) {
			rte_tel_data_start_dict(px);
			for (uint32_t i = 0; i < v->ref.n; i++) {
				snprintf(key, sizeof(key), "%u", v->ref.e[i].map.inst);
				rte_tel_data_add_dict_u64(px, key, (uint64_t)v->ref.e[i].last_px);
			}
			if (rte_tel_data_add_dict_container(d, "ref_px", px, 0))
				rte_tel_data_free(px);
		}
	}
	if (v->pub) {
		const struct nx_feed_pub_stats *f = nx_feed_pub_stats(v->pub);
		rte_tel_data_add_dict_string(d, "feed_session", v->feed_session);
		rte_tel_data_add_dict_u64(d, "feed_msgs", f->msgs);
		rte_tel_data_add_dict_u64(d, "feed_incremental_pkts", v->feed_pkts[NX_FEED_INCREMENTAL]);
		rte_tel_data_add_dict_u64(d, "feed_snapshot_pkts", v->feed_pkts[NX_FEED_SNAPSHOT]);
		rte_tel_data_add_dict_u64(d, "feed_retransmit_pkts", v->feed_pkts[NX_FEED_RETRANSMIT]);
		rte_tel_data_add_dict_u64(d, "feed_heartbeats", f->heartbeats);
		rte_tel_data_add_dict_u64(d, "feed_snapshots", f->snapshots);
		rte_tel_data_add_dict_u64(d, "feed_requests", f->requests);
		rte_tel_data_add_dict_u64(d, "feed_answers", f->answers);
		rte_tel_data_add_dict_u64(d, "feed_requests_throttled",
					  f->drops[-NX_FEED_PUB_REQ_THROTTLED]);
		rte_tel_data_add_dict_u64(d, "feed_requester_evictions", f->requester_evictions);
		rte_tel_data_add_dict_u64(d, "feed_level_overflow", f->level_overflow);
		rte_tel_data_add_dict_u64(d, "feed_no_mbuf", v->feed_no_mbuf);
		rte_tel_data_add_dict_u64(d, "feed_no_neigh", v->feed_no_neigh);
		rte_tel_data_add_dict_u64(d, "feed_stop_lost_pkts", v->feed_stop_lost_pkts);
		rte_tel_data_add_dict_u64(d, "feed_stop_unsent_recs", v->feed_stop_unsent_recs);
	}
	/* Frames on the service's queue (RSS, steering): counted here only,
	 * in a dict of their own (a telemetry dict holds 256 entries). */
	struct rte_tel_data *io = rte_tel_data_alloc();
	if (io) {
		struct ctl_writer w = { put_u64, NULL, NULL, io };
		rte_tel_data_start_dict(io);
		ctl_write_io(&w, &v->io->io);
		if (rte_tel_data_add_dict_container(d, "io", io, 0))
			rte_tel_data_free(io);
	}
	/* 16 shards x 9 keys, with the service's own: within the dict's 256 */
	for (uint32_t i = 0; i < a->nshards; i++) {
		const struct nx_shard_md *m = &a->shard[i]->md;
		static const struct nx_feed_out_stats none;
		const struct nx_feed_out_stats *o = m->out ? nx_feed_out_stats(m->out) : &none;
#define SHARD_U64(name, v)                                                    \
	do {                                                                  \
		snprintf(key, sizeof(key), "shard%u_" name, i);               \
		rte_tel_data_add_dict_u64(d, key, (v));                      \
	} while (0)
		SHARD_U64("feed_recs", o->recs);
		SHARD_U64("feed_dropped", o->dropped);
		SHARD_U64("reimages", o->reimages);
		SHARD_U64("trades_backlogged", o->trades_backlogged);
		SHARD_U64("backlog_hwm", o->backlog_hwm);
		SHARD_U64("trades_lost", o->trades_lost);
		SHARD_U64("losses_announced", o->losses_announced);
		SHARD_U64("ref_px", m->ref_px);
		SHARD_U64("ref_px_rejected", m->ref_px_rejected);
#undef SHARD_U64
	}
	pthread_mutex_unlock(&a->ctl.lock);
	return 0;
}

int nx_telemetry_init(struct nx_app *a)
{
	g_app = a;
	if (a->svc && rte_telemetry_register_cmd("/nanoex/md", on_md,
						 "Market-data service counters and reference prices"))
		return -1;
	for (const struct ctl_command *c = ctl_commands; c->name; c++) {
		int rc = rte_telemetry_register_cmd(c->name, on_command, c->help);
		if (rc)
			return rc;
	}
	return 0;
}
