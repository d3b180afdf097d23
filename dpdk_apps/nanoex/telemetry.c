/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The control plane's commands (dpdk_apps/common/ctl.h) as DPDK telemetry
 * commands, so /usr/bin/dpdk-telemetry.py (or any client of the telemetry
 * socket) reads counters and latency and sets kill switches, statuses,
 * reference prices and limits while the shards run. Telemetry callbacks
 * run on DPDK's telemetry threads, never on a shard.
 */
#include <errno.h>
#include <time.h>

#include <rte_telemetry.h>

#include "nanoex.h"

/* Telemetry callbacks carry no context; the one app is registered here. */
static struct nx_app *g_app;

static void put_u64(void *ctx, const char *key, uint64_t v)
{
	rte_tel_data_add_dict_u64(ctx, key, v);
}

static void put_i64(void *ctx, const char *key, int64_t v)
{
	rte_tel_data_add_dict_int(ctx, key, (int)v);
}

static void put_str(void *ctx, const char *key, const char *v)
{
	rte_tel_data_add_dict_string(ctx, key, v);
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

int nx_telemetry_init(struct nx_app *a)
{
	g_app = a;
	for (const struct ctl_command *c = ctl_commands; c->name; c++) {
		int rc = rte_telemetry_register_cmd(c->name, on_command, c->help);
		if (rc)
			return rc;
	}
	return 0;
}
