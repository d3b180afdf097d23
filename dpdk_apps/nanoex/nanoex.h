/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nanoex, the DPDK appliance: what its files share.
 *   main.c       options, EAL, start-up checks, launch, signals, shutdown
 *   port.c       ports, queues, offloads, mempools, rte_flow steering
 *   shard.c      the run-to-completion loop of one shard (one lcore)
 *   telemetry.c  the control plane's commands registered with DPDK telemetry
 *
 * A shard owns RX and TX queue `index` on every port, one engine (the
 * libnx pipeline for its instruments), a neighbour cache per port and its
 * counters. Shards share nothing but the read-only tables here and one
 * multi-producer ring each, on which siblings hand over frames that RSS
 * delivered to the wrong queue (software steering). See docs/appliance.md.
 */
#ifndef NX_APP_NANOEX_H
#define NX_APP_NANOEX_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "../common/ctl.h"
#include "nx/config.h"
#include "nx/engine.h"
#include "nx/hist.h"
#include "nx/net.h"

#define NX_BURST_MAX   256
#define NX_OUT_DGRAMS  64     /* reply datagrams one burst may produce before flushing */
#define NX_NEIGH_CAP   1024   /* learned addresses per port and shard */
#define NX_STEER_RING  1024   /* frames a shard can be handed between two of its loops */
#define NX_POLL_NS     1000000 /* engine timers every 1 ms */

struct nx_port {
	uint16_t id;                 /* DPDK port id */
	int socket;                  /* its NUMA socket (SOCKET_ID_ANY if unknown) */
	struct nx_net_if ifc;        /* our MAC and IPv4 address on it */
	unsigned rx_flags_ok;        /* NIC verifies checksums: trust its mbuf flags */
	unsigned tx_flags;           /* NX_NET_TX_* offloads in use */
	uint64_t tx_ol;              /* matching mbuf ol_flags */
	bool flow;                   /* rte_flow rules steer by UDP port */
	struct rte_mempool *pool;
	char name[RTE_ETH_NAME_MAX_LEN];
	char driver[32];
};

struct nx_shard {
	/* Hot, read and written by the shard's lcore only. */
	uint32_t index;
	uint16_t udp_port;
	struct nx_engine *e;
	struct nx_out out;
	struct ctl_io io;
	struct nx_hist *lat;         /* receive to transmit, ns */
	struct nx_net_neigh *neigh[NX_NET_MAX_PORTS];
	struct rte_ring *steer;      /* frames siblings hand to this shard (MP/SC) */
	uint64_t last_poll_ns;
	unsigned lcore;
	struct nx_app *app;
	/* The control plane's. */
	struct ctl_mailbox mb;
} __rte_cache_aligned;

struct nx_app {
	struct nx_venue_config cfg;
	struct nx_port port[NX_NET_MAX_PORTS];
	uint32_t nports;
	struct nx_shard *shard[NX_NET_MAX_SHARDS];
	uint32_t nshards;
	uint8_t shard_of_udp[65536]; /* UDP port -> shard index + 1, 0: none */
	uint64_t tsc_hz, tsc0, ns0;  /* now_ns = ns0 + (tsc - tsc0) scaled */
	uint64_t ns_per_tsc_q32;     /* ns per TSC tick, 32.32 fixed point */
	uint16_t burst;
	uint32_t idle_sleep_us;
	bool no_flow;
	volatile bool quit;
	struct ctl ctl;
};

/* now_ns of the venue's clock for a TSC reading: wall-clock based, TSC paced. */
static inline uint64_t nx_app_ns(const struct nx_app *a, uint64_t tsc)
{
	return a->ns0 + (uint64_t)(((unsigned __int128)(tsc - a->tsc0) * a->ns_per_tsc_q32) >> 32);
}

/* port.c */
int nx_ports_init(struct nx_app *a, char *err, size_t errlen);
void nx_ports_close(struct nx_app *a);

/* shard.c */
int nx_shard_main(void *arg); /* lcore entry: arg is the struct nx_shard */

/* telemetry.c */
int nx_telemetry_init(struct nx_app *a);

#endif /* NX_APP_NANOEX_H */
