/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nanoex, the DPDK appliance: what its files share.
 *   main.c       options, EAL, start-up checks, launch, signals, shutdown
 *   port.c       ports, queues, offloads, mempools, rte_flow steering
 *   shard.c      the run-to-completion loop of one shard (one lcore), and
 *                the frame handling and transmit code the service shares
 *   service.c    the market-data service (one lcore): the ITCH feed in,
 *                reference prices to the shards, the venue's feed out
 *   telemetry.c  the control plane's commands registered with DPDK telemetry
 *
 * A shard owns RX and TX queue `index` on every port, one engine (the
 * libnx pipeline for its instruments), a neighbour cache per port and its
 * counters. Shards share nothing but the read-only tables here and one
 * multi-producer ring each, on which siblings hand over frames that RSS
 * delivered to the wrong queue (software steering). See docs/appliance.md.
 *
 * The market-data service, when configured, is one more queue owner (queue
 * nshards, a struct nx_shard without an engine) on its own lcore. Shards
 * and service talk through single-producer single-consumer rings only: each
 * shard's book changes to the publisher (feed), the service's reference
 * prices to each shard (refpx), applied between bursts as sequenced admin
 * inputs of the engine. Neither side ever waits for the other; docs/
 * market-data.md#in-the-appliance says what happens when a ring is full.
 */
#ifndef NX_APP_NANOEX_H
#define NX_APP_NANOEX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "../common/ctl.h"
#include "nx/book.h"
#include "nx/config.h"
#include "nx/engine.h"
#include "nx/feed.h"
#include "nx/hist.h"
#include "nx/mdbook.h"
#include "nx/mdref.h"
#include "nx/moldudp.h"
#include "nx/net.h"

#define NX_BURST_MAX   256
#define NX_OUT_DGRAMS  64     /* reply datagrams built into frames after each input, or when full */
#define NX_NEIGH_CAP   1024   /* learned addresses per port and shard */
#define NX_STEER_RING  1024   /* frames a shard can be handed between two of its loops */
#define NX_POLL_NS     1000000 /* engine timers every 1 ms */
#define NX_REFPX_RING  1024   /* reference prices in flight to one shard */
#define NX_AHEAD_MAX   4096   /* ITCH packets held past a gap */
#define NX_AHEAD_SLOT  1472   /* largest UDP payload of a 1500-byte frame */
#define NX_TXQ_CAP     (NX_BURST_MAX + NX_OUT_DGRAMS)
/* Records the market-data service takes from each shard's feed ring a loop,
 * the shards in turn (nx_feed_pub_drain), before it receives, answers and
 * runs the feed's timers again: 8 KB, 8 packets of trades, about 10 us of
 * publishing (40-50 ns a record measured here). A loop's feed work is thus
 * at most nshards x 256 records (4,096, some 0.2 ms, with 16 shards),
 * whatever a shard does, while the loop's own cost stays a few percent of a
 * full quota's. Draining each ring empty, as the loop once did, let a shard
 * as fast as the service hold it indefinitely. */
#define NX_FEED_QUOTA  256
/* Loops in a row in which the TX queue takes nothing before the stop gives
 * the feed's remains up: each pauses (rte_pause, tens of ns), so about
 * 0.05-0.1 s, against the ~1 ms a 10G link takes to empty a 1,024-frame
 * queue of 1,400-byte packets. */
#define NX_STOP_STALL_LOOPS (1u << 20)

/* Pending frames for one port's TX queue. */
struct nx_txq {
	uint16_t n;
	struct rte_mbuf *m[NX_TXQ_CAP];
};

/* A shard's side of the market-data service. */
struct nx_shard_md {
	/* The outbox (nx/feed.h) between the engine's tap and the feed ring:
	 * what a full ring means (book changes re-imaged, trades kept in a
	 * backlog of feed.trade_backlog, then announced lost) and the
	 * counters of it (nx_feed_out_stats). NULL: no feed. */
	struct nx_feed_out *out;
	const struct nx_book *book;  /* the engine's, for re-images */
	struct rte_ring *feed;       /* book changes to the publisher (SP/SC, nx_feed_rec) */
	struct rte_ring *refpx;      /* reference prices from the service (SP/SC, nx_admin) */
	uint64_t ref_px, ref_px_rejected;
};

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
	bool stop_drain;             /* the stop: its frames wait for the TX queue
	                                (cleared if the queue stalls) */
	struct nx_app *app;
	struct nx_service *svc;      /* the service's own queue owner: its state; else NULL */
	struct nx_shard_md md;
	struct nx_txq tx[NX_NET_MAX_PORTS];
	/* The control plane's. */
	struct ctl_mailbox mb;
} __rte_cache_aligned;

/* The market-data service (service.c). Counters are written by its lcore
 * only and read by telemetry with relaxed loads. */
struct nx_service {
	struct nx_shard *io;         /* its queues, neighbours and I/O counters */
	bool on_main;                /* runs on the main lcore (prints the stats line) */
	/* Inbound: ITCH 5.0 over MoldUDP64. */
	struct nx_mdbook *book;      /* NULL: no inbound feed */
	struct nx_mold_rx mold;
	struct nx_mdref ref;
	struct {                     /* the shard of each mapped instrument, by id: */
		nx_inst_t inst;      /* found by a binary search, not a walk of the */
		uint32_t shard;      /* shards' instrument lists a price */
	} ref_shard[NX_MD_MAX_MAP];
	bool book_changed;
	uint64_t next_request_ns, next_resolve_ns, next_ref_ns;
	uint64_t gap_since_ns;       /* the outstanding gap was first asked for; 0: none */
	uint64_t itch_pkts, requests, no_request_neigh, give_ups;
	uint64_t itch_foreign;       /* multicast feed: unicast on its port not from the
	                                request server, dropped */
	uint64_t ref_sent, ref_full;
	struct nx_mold_hold ahead;   /* packets past a gap: NX_AHEAD_MAX of NX_AHEAD_SLOT bytes */
	void *ahead_mem;
	uint64_t ahead_dropped;      /* past a gap with no room to hold them */
	/* Outbound: the venue's feed (NXM). */
	struct nx_feed_pub *pub;     /* NULL: no feed */
	nx_inst_t *pub_ids;          /* what it publishes: every instrument */
	char feed_session[11];       /* its MoldUDP64 session name, NUL-terminated */
	uint8_t group_mac[6];
	uint64_t feed_pkts[3], feed_bytes, feed_no_mbuf, feed_no_neigh, requests_in;
	/* The stop's feed packets lost: frames freed unsent when its drain
	 * gave up (the TX queue took nothing for NX_STOP_STALL_LOOPS loops;
	 * also in tx_full) and packets with no mbuf (also in feed_no_mbuf);
	 * and the records the drain left on the rings or in the backlogs. */
	uint64_t feed_stop_lost_pkts, feed_stop_unsent_recs;
};

struct nx_app {
	struct nx_venue_config cfg;
	struct nx_port port[NX_NET_MAX_PORTS];
	uint32_t nports;
	struct nx_shard *shard[NX_NET_MAX_SHARDS + 1]; /* [nshards]: the service's */
	uint32_t nshards;
	uint32_t nqueues;            /* per port: nshards, + 1 for the service */
	struct nx_service *svc;      /* NULL: no market_data section */
	uint32_t stats_s;            /* --stats: seconds between summary lines, 0 none */
	uint64_t next_stats_ns;
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

/* The index in a->port of DPDK port port_id (0 if none: cannot happen). */
static inline uint32_t nx_port_index(const struct nx_app *a, uint16_t port_id)
{
	for (uint32_t i = 0; i < a->nports; i++)
		if (a->port[i].id == port_id)
			return i;
	return 0;
}

/* port.c */
int nx_ports_init(struct nx_app *a, char *err, size_t errlen);
void nx_ports_close(struct nx_app *a);
/* After nx_ports_close and once no mbuf is held anywhere (shards and the
 * service freed): the ports' mbuf pools, so their pages go back to DPDK and
 * a clean stop leaves (almost) no hugepage file behind. */
void nx_ports_free_pools(struct nx_app *a);

/* shard.c */
int nx_shard_main(void *arg); /* lcore entry: arg is the struct nx_shard */
/* Classify one frame received on port index pi and act on it (answer ARP
 * and ICMP, steer, or deliver: the engine, or the service). Returns 1 if it
 * was delivered. Takes the mbuf. */
int nx_frame_handle(struct nx_shard *s, uint32_t pi, struct rte_mbuf *m, uint64_t now_ns);
/* An empty loop: rte_pause, or, with idle_sleep_us, a sleep after 64 empty
 * loops in a row (*idle counts them; the caller zeroes it on work). */
void nx_idle(const struct nx_app *a, unsigned *idle);
/* Send what s->tx holds on every port: what the NIC refuses after a few
 * tries is freed and counted (tx_full). */
void nx_tx_flush_all(struct nx_shard *s);
/* Offer what s->tx holds to the NIC once per port, keeping what it does not
 * take, in order, for a later call (for a caller that can wait: the
 * service's stop). Returns the frames sent. */
uint32_t nx_tx_offer_all(struct nx_shard *s);
/* Frames s->tx holds, every port. */
uint32_t nx_tx_held(const struct nx_shard *s);
/* struct nx_out's spill for a shard (arg): build the replies into frames. */
void nx_shard_spill(struct nx_out *out, void *arg);
/* A UDP frame from our address on port pi to (dst_ip, dst_mac), queued in
 * s->tx. Returns 0, or -ENOBUFS (counted in s->io.no_mbuf). */
int nx_tx_udp(struct nx_shard *s, uint32_t pi, const uint8_t dst_mac[6], uint32_t dst_ip,
	      uint16_t src_port, uint16_t dst_port, const void *payload, size_t len);
/* The engine's book changes for the feed, into the shard's outbox (the
 * engine's tap: ctx is the struct nx_shard). */
void nx_shard_feed_tap(void *ctx, const struct nx_event *ev);
/* The outbox's way onto the feed ring (nx_feed_enq_fn; ring is the struct
 * rte_ring): the shard's single-producer enqueue, burst or bulk. */
unsigned nx_shard_feed_enq(void *ring, const struct nx_feed_rec *r, unsigned n, int all);

/* service.c */
int nx_service_init(struct nx_app *a, struct nx_shard *io, int socket);
void nx_service_free(struct nx_app *a);
int nx_service_main(void *arg); /* lcore entry: arg is the struct nx_service */
/* Once every lcore has stopped: the shards' last book changes, the feed's
 * end of session, the last frames out, and its steering ring emptied. */
void nx_service_stop(struct nx_service *v);
/* Its counters, once every lcore has stopped. */
void nx_service_print_final(const struct nx_service *v, FILE *f);
/* The service's UDP: an ITCH packet or a feed retransmission request. */
void nx_service_udp(struct nx_service *v, const struct nx_net_pkt *pkt, uint64_t now_ns);

/* telemetry.c */
int nx_telemetry_init(struct nx_app *a);

#endif /* NX_APP_NANOEX_H */
