/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nanoex, the DPDK appliance, in the shape of DPDK's examples:
 * EAL arguments -> the application's options -> the venue file -> ports,
 * queues and mempools -> one engine per shard on the port's NUMA socket ->
 * launch the shards on their lcores -> wait for SIGINT/SIGTERM -> stop the
 * shards (they flush TX) -> final statistics -> release the ports.
 *
 *   nanoex [EAL options] -- --config FILE [--stats SECONDS] [--no-flow]
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pdump.h>

#include "../common/opts.h"
#include "nanoex.h"

static volatile sig_atomic_t g_signal;
static struct nx_app app; /* 64 KiB of UDP port table: not on the stack */

static void on_signal(int sig)
{
	g_signal = sig;
	app.quit = true; /* the loops' flag: the service may be running on this thread */
}

static void usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- --config FILE [--stats SECONDS] [--no-flow]\n"
	       "\n"
	       "nanoex runs the venue pipeline (sessions, risk, matching) on pinned lcores that\n"
	       "poll NIC queues. The venue file names ports, their IPv4 addresses, the shards,\n"
	       "their lcores, UDP ports and instruments (docs/configuration.md#net), and\n"
	       "optionally the market-data service: ITCH in, the venue's feed out\n"
	       "(docs/configuration.md#market_data).\n"
	       "\n"
	       "  -c, --config FILE    the venue configuration file (required)\n"
	       "  -s, --stats SECONDS  print a one-line summary every SECONDS (0: never, default)\n"
	       "      --no-flow        do not install rte_flow rules; steer in software\n"
	       "  -h, --help           this text\n"
	       "\n"
	       "EAL options come first (see dpdk docs): -l/--lcores must include every shard's\n"
	       "lcore plus a main lcore that runs no shard (the lowest lcore listed, unless\n"
	       "--main-lcore says otherwise; it may run the market-data service,\n"
	       "market_data.lcore); -a/--vdev attach the ports.\n"
	       "Example, the demo on a virtual port without hugepages:\n"
	       "  %s -l 0,1 --no-huge --no-pci -m 256 --vdev=net_tap0,iface=nxtap0 -- \\\n"
	       "      --config docs/examples/venue.cfg\n"
	       "\n"
	       "While running: dpdk-telemetry.py [-f PREFIX] and the /nanoex/* commands\n"
	       "(docs/appliance.md#telemetry); dpdk-dumpcap captures the ports.\n"
	       "SIGINT or SIGTERM stops it cleanly and prints the final statistics.\n",
	       prog, prog);
}

static int parse_args(struct nx_app *a, int argc, char **argv, struct app_opts *ao)
{
	static const struct option opts[] = {
		APP_OPTS_LONG,
		{ "no-flow", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o, rc;
	optind = 1;
	while ((o = getopt_long(argc, argv, APP_OPTS_GETOPT "h", opts, NULL)) != -1) {
		if ((rc = app_opt("nanoex", o, optarg, ao)) < 0)
			return -1;
		if (rc)
			continue;
		switch (o) {
		case 'F':
			a->no_flow = true;
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			fprintf(stderr, "nanoex: try --help\n");
			return -1;
		}
	}
	return app_opts_check("nanoex", argc, argv, optind, ao);
}

/* Every shard on an enabled worker lcore, no two shards on one; the
 * market-data service on an enabled lcore (the main one is fine). */
static int check_lcores(const struct nx_app *a)
{
	if (a->cfg.md.enabled && (a->cfg.md.lcore >= RTE_MAX_LCORE ||
				  !rte_lcore_is_enabled(a->cfg.md.lcore))) {
		fprintf(stderr, "nanoex: %s: market_data.lcore %u is not an EAL lcore (give it to -l "
			"or --lcores)\n", a->cfg.path, a->cfg.md.lcore);
		return -1;
	}
	for (uint32_t i = 0; i < a->cfg.net.nshards; i++) {
		unsigned l = a->cfg.net.shards[i].lcore;
		if (l >= RTE_MAX_LCORE || !rte_lcore_is_enabled(l)) {
			fprintf(stderr, "nanoex: %s: net.shards[%u].lcore %u is not an EAL lcore (give it "
				"to -l or --lcores)\n", a->cfg.path, i, l);
			return -1;
		}
		if (l == rte_get_main_lcore()) {
			/* The EAL's main lcore is the lowest-numbered one, not the
			 * first listed ("-l 2,0" makes 0 the main lcore). */
			fprintf(stderr, "nanoex: %s: net.shards[%u].lcore %u is the main lcore, which runs "
				"the control plane (the EAL makes the lowest lcore of -l the main one; "
				"add a lower one, or name another with --main-lcore)\n", a->cfg.path, i, l);
			return -1;
		}
	}
	return 0;
}

static void *zalloc_socket(void *ctx, size_t bytes)
{
	return rte_zmalloc_socket("nx_engine", bytes, RTE_CACHE_LINE_SIZE, *(int *)ctx);
}

static void zfree(void *ctx, void *p)
{
	(void)ctx;
	rte_free(p);
}

/* Which queue owner serves each UDP port: shard i is i + 1, the service
 * nshards + 1. Before the ports: their rte_flow rules follow it. */
static void map_udp_ports(struct nx_app *a)
{
	const struct nx_md_config *md = &a->cfg.md;
	for (uint32_t i = 0; i < a->nshards; i++)
		a->shard_of_udp[a->cfg.net.shards[i].udp_port] = (uint8_t)(i + 1);
	if (md->enabled && md->itch.udp_port)
		a->shard_of_udp[md->itch.udp_port] = (uint8_t)(a->nshards + 1);
	if (md->enabled && md->feed.group)
		a->shard_of_udp[md->feed.retransmit_port] = (uint8_t)(a->nshards + 1);
}

/* A queue owner (shard or service) on lcore, with what every owner has:
 * neighbour caches, a steering ring. Memory on socket. */
static struct nx_shard *owner_init(struct nx_app *a, uint32_t i, unsigned lcore, int socket)
{
	struct nx_shard *s = rte_zmalloc_socket("nx_shard", sizeof(*s), RTE_CACHE_LINE_SIZE, socket);
	if (!s)
		return NULL;
	a->shard[i] = s;
	s->index = i;
	s->lcore = lcore;
	s->app = a;
	for (uint32_t p = 0; p < a->nports; p++) {
		size_t nb = nx_net_neigh_memsize(NX_NEIGH_CAP);
		void *nm = rte_zmalloc_socket("nx_neigh", nb, RTE_CACHE_LINE_SIZE, socket);
		if (!nm || !(s->neigh[p] = nx_net_neigh_init(nm, nb, NX_NEIGH_CAP)))
			return NULL;
	}
	char name[RTE_RING_NAMESIZE];
	snprintf(name, sizeof(name), "nx_steer_%u", i);
	if (!(s->steer = rte_ring_create(name, NX_STEER_RING, socket, RING_F_SC_DEQ)))
		return NULL;
	return s;
}

static int shards_init(struct nx_app *a)
{
	static int socket;
	char err[256];
	bool feed = a->cfg.md.enabled && a->cfg.md.feed.group;
	for (uint32_t i = 0; i < a->nshards; i++) {
		const struct nx_shard_config *sc = &a->cfg.net.shards[i];
		/* Engine memory goes on the first port's socket, where the frames arrive. */
		socket = a->port[0].socket < 0 ? (int)rte_lcore_to_socket_id(sc->lcore) : a->port[0].socket;
		if ((int)rte_lcore_to_socket_id(sc->lcore) != socket)
			printf("nanoex: warning: shard %u runs on lcore %u, socket %u, but its port is on "
			       "socket %d: every frame crosses the interconnect\n", i, sc->lcore,
			       rte_lcore_to_socket_id(sc->lcore), socket);
		struct nx_shard *s = owner_init(a, i, sc->lcore, socket);
		if (!s)
			goto nomem;
		s->udp_port = sc->udp_port;
		struct nx_venue_config one;
		if (nx_config_shard(&a->cfg, i, &one))
			goto nomem;
		struct nx_engine_alloc al = { zalloc_socket, zfree, &socket };
		s->e = nx_engine_create_in(&one, feed ? nx_shard_feed_tap : NULL, s, &al, err,
					   sizeof(err));
		nx_config_free(&one);
		if (!s->e) {
			fprintf(stderr, "nanoex: shard %u: %s\n", i, err);
			return -1;
		}
		size_t hb = nx_hist_memsize(NX_HIST_HOUR_NS, NX_HIST_DIGITS_DEFAULT);
		void *hm = rte_zmalloc_socket("nx_hist", hb, RTE_CACHE_LINE_SIZE, socket);
		s->out.d = rte_zmalloc_socket("nx_out", NX_OUT_DGRAMS * sizeof(struct nx_out_dgram),
					      RTE_CACHE_LINE_SIZE, socket);
		s->out.cap = NX_OUT_DGRAMS;
		s->out.spill = nx_shard_spill;
		s->out.spill_arg = s;
		if (!hm || !s->out.d ||
		    !(s->lat = nx_hist_init(hm, hb, NX_HIST_HOUR_NS, NX_HIST_DIGITS_DEFAULT)))
			goto nomem;
		a->ctl.shard[i] = (struct ctl_shard){ .mb = &s->mb, .latency = s->lat, .io = &s->io,
						      .engine = s->e, .running = 1 };
	}
	if (a->cfg.md.enabled) {
		struct nx_shard *io = owner_init(a, a->nshards, a->cfg.md.lcore, socket);
		if (!io || nx_service_init(a, io, socket))
			goto nomem;
	}
	return 0;
nomem:
	fprintf(stderr, "nanoex: out of DPDK memory for the shards (hugepages? -m/--socket-mem?)\n");
	return -1;
}

static void shards_free(struct nx_app *a)
{
	nx_service_free(a);
	for (uint32_t i = 0; i <= a->nshards; i++) {
		struct nx_shard *s = a->shard[i];
		if (!s)
			continue;
		nx_engine_destroy(s->e);
		rte_free(s->lat);
		rte_free(s->out.d);
		for (uint32_t p = 0; p < a->nports; p++)
			rte_free(s->neigh[p]);
		/* Every lcore has stopped, but a sibling may have steered a frame
		 * here after this shard emptied its ring on the way out. */
		void *m = NULL;
		while (s->steer && !rte_ring_sc_dequeue(s->steer, &m))
			rte_pktmbuf_free(m);
		rte_ring_free(s->steer);
		rte_free(s);
	}
}

static void print_port_stats(const struct nx_app *a)
{
	for (uint32_t i = 0; i < a->nports; i++) {
		struct rte_eth_stats st;
		if (!rte_eth_stats_get(a->port[i].id, &st))
			printf("port %u %s: ipackets %llu opackets %llu imissed %llu ierrors %llu "
			       "oerrors %llu rx_nombuf %llu\n", a->port[i].id, a->port[i].name,
			       (unsigned long long)st.ipackets, (unsigned long long)st.opackets,
			       (unsigned long long)st.imissed, (unsigned long long)st.ierrors,
			       (unsigned long long)st.oerrors, (unsigned long long)st.rx_nombuf);
	}
	fflush(stdout);
}

static void stats_tick(struct nx_app *a, uint64_t now_ns)
{
	if (!a->stats_s || now_ns < a->next_stats_ns)
		return;
	ctl_print_summary(&a->ctl, stdout);
	a->next_stats_ns += (uint64_t)a->stats_s * 1000000000u;
}

/* The --stats lines when the market-data service polls on the main lcore:
 * printing is a write(2) that a slow reader of stdout can block, so it runs
 * on a thread of its own, never in a polling loop. */
static void *stats_main(void *arg)
{
	struct nx_app *a = arg;
	while (!g_signal && !a->quit) {
		usleep(20000);
		stats_tick(a, nx_app_ns(a, rte_rdtsc()));
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct nx_app *a = &app;
	struct app_opts ao = { 0 };
	char err[512];
	int rc = 1;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(argv[0]);
			return 0;
		}
	int n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "nanoex: EAL initialisation failed: %s (EAL options come before --)\n",
			rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	if (parse_args(a, argc, argv, &ao))
		goto out_eal;
	const char *cfg_path = ao.config;
	if (nx_config_load(cfg_path, &a->cfg, err, sizeof(err))) {
		fprintf(stderr, "nanoex: %s\n", err);
		goto out_eal;
	}
	if (!a->cfg.net.nports) {
		fprintf(stderr, "nanoex: %s: no net section: nanoex needs ports and shards "
			"(docs/configuration.md#net)\n", cfg_path);
		goto out_cfg;
	}
	if (check_lcores(a))
		goto out_cfg;
	a->burst = a->cfg.net.burst;
	a->idle_sleep_us = a->cfg.net.idle_sleep_us;
	a->tsc_hz = rte_get_tsc_hz();
	a->ns_per_tsc_q32 = (uint64_t)(((unsigned __int128)1000000000u << 32) / a->tsc_hz);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	a->tsc0 = rte_rdtsc();
	a->ns0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	ctl_init(&a->ctl, &a->cfg, "nanoex", "dpdk", a->ns0);

	a->nshards = a->cfg.net.nshards; /* ports need the queue count and the UDP map */
	a->nqueues = a->nshards + (a->cfg.md.enabled ? 1 : 0);
	map_udp_ports(a);
	if (nx_ports_init(a, err, sizeof(err))) {
		fprintf(stderr, "nanoex: %s\n", err);
		goto out_ports;
	}
	if (shards_init(a))
		goto out_shards;
	if (rte_pdump_init())
		printf("nanoex: warning: rte_pdump_init failed (%s): dpdk-dumpcap cannot capture\n",
		       rte_strerror(rte_errno));
	if (nx_telemetry_init(a))
		printf("nanoex: warning: telemetry commands not registered\n");

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (uint32_t i = 0; i < a->nshards; i++) {
		if ((rc = rte_eal_remote_launch(nx_shard_main, a->shard[i], a->shard[i]->lcore))) {
			fprintf(stderr, "nanoex: cannot launch shard %u on lcore %u: %s\n", i,
				a->shard[i]->lcore, rte_strerror(-rc));
			a->quit = true;
			rte_eal_mp_wait_lcore();
			rc = 1;
			goto out_pdump;
		}
		printf("nanoex: shard %u on lcore %u serves udp port %u\n", i, a->shard[i]->lcore,
		       a->shard[i]->udp_port);
	}
	if (a->svc && !a->svc->on_main &&
	    (rc = rte_eal_remote_launch(nx_service_main, a->svc, a->cfg.md.lcore))) {
		fprintf(stderr, "nanoex: cannot launch the market-data service on lcore %u: %s\n",
			a->cfg.md.lcore, rte_strerror(-rc));
		a->quit = true;
		rte_eal_mp_wait_lcore();
		rc = 1;
		goto out_pdump;
	}
	if (a->svc)
		printf("nanoex: market-data service on lcore %u%s:%s%s\n", a->cfg.md.lcore,
		       a->svc->on_main ? " (main)" : "", a->svc->book ? " itch in" : "",
		       a->svc->pub ? " feed out" : "");
	if (a->svc && a->svc->book && !a->cfg.md.itch.group && !a->cfg.md.itch.source_ip)
		printf("nanoex: warning: market_data.itch is unicast with no source: any host can "
		       "send it, and move the reference prices\n");
	printf("nanoex: running; SIGINT or SIGTERM stops\n");
	fflush(stdout);

	a->stats_s = ao.stats_s;
	a->next_stats_ns = nx_app_ns(a, rte_rdtsc()) + (uint64_t)ao.stats_s * 1000000000u;
	if (a->svc && a->svc->on_main) {
		pthread_t st;
		int printing = a->stats_s && !pthread_create(&st, NULL, stats_main, a);
		if (a->stats_s && !printing)
			fprintf(stderr, "nanoex: warning: no thread for --stats: no summary lines\n");
		nx_service_main(a->svc); /* until a signal sets quit */
		a->quit = true;
		if (printing)
			pthread_join(st, NULL);
	} else {
		while (!g_signal) {
			usleep(20000);
			stats_tick(a, nx_app_ns(a, rte_rdtsc()));
		}
	}
	printf("nanoex: %s: stopping the shards\n", strsignal(g_signal));
	a->quit = true;
	rte_eal_mp_wait_lcore();
	if (a->svc)
		nx_service_stop(a->svc);
	for (uint32_t i = 0; i < a->nshards; i++)
		a->ctl.shard[i].running = 0;
	printf("nanoex: final statistics\n");
	ctl_print_final(&a->ctl, stdout);
	if (a->svc)
		nx_service_print_final(a->svc, stdout);
	print_port_stats(a);
	rc = 0;
out_pdump:
	rte_pdump_uninit();
out_shards:
	ctl_stop(&a->ctl); /* telemetry threads outlive everything freed below */
	/* Ports stop before the memory their queues point into is freed. */
	nx_ports_close(a);
	shards_free(a);
	nx_ports_free_pools(a);
	goto out_cfg;
out_ports:
	ctl_stop(&a->ctl);
	nx_ports_close(a);
	nx_ports_free_pools(a);
out_cfg:
	nx_config_free(&a->cfg);
out_eal:
	rte_eal_cleanup();
	printf("nanoex: stopped\n");
	return rc;
}
