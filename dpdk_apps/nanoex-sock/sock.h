/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nanoex-sock, the kernel-socket twin of nanoex: the same venue file, the
 * same pipeline per shard, the same control commands, behind kernel UDP
 * sockets instead of NIC queues.
 *   main.c       options, sockets, one pinned thread per shard, signals
 *   telemetry.c  the control commands on a Unix socket that speaks DPDK
 *                telemetry v2, so dpdk-telemetry.py works with both
 */
#ifndef NX_APP_SOCK_H
#define NX_APP_SOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/ctl.h"
#include "nx/config.h"
#include "nx/engine.h"
#include "nx/hist.h"
#include "nx/nxp.h"

#define SOCK_BATCH     64       /* datagrams per recvmmsg / sendmmsg */
#define SOCK_OUT       64       /* reply datagrams a batch holds; sent when full (spill) */
#define SOCK_POLL_NS   1000000  /* engine timers every 1 ms */
#define SOCK_PEERS_LOG2 10
#define SOCK_PEERS     (1u << SOCK_PEERS_LOG2) /* client address -> socket it came in on */
#define SOCK_PEER_WAYS 4        /* slots an address may take, from its home */
#define SOCK_RX_BYTES  2048     /* receive buffer: a longer datagram is cut (MSG_TRUNC) */
#define SOCK_RX_MAX    NX_NXP_DGRAM_MAX /* longer is dropped (rx_truncated): nanoex never
                                           takes more than a 1500-byte MTU carries */

struct sock_shard {
	uint32_t index;
	int fd[NX_NET_MAX_PORTS];    /* one per port address, bound to the shard's UDP port */
	uint32_t nfd;
	struct nx_engine *e;
	struct nx_out out;
	struct ctl_io io;
	struct nx_hist *lat;         /* receive to send, ns */
	struct {
		uint32_t ip;
		uint8_t fd_ix;
	} peer[SOCK_PEERS];          /* replies leave by the socket the client used */
	uint64_t last_poll_ns;
	pthread_t thread;
	int cpu;                     /* the shard's lcore, as a CPU; -1: not pinned */
	struct sock_app *app;
	struct ctl_mailbox mb;
	uint8_t rxbuf[SOCK_BATCH][SOCK_RX_BYTES];
};

struct sock_app {
	struct nx_venue_config cfg;
	struct sock_shard *shard[NX_NET_MAX_SHARDS];
	uint32_t nshards;
	uint32_t bind_ip;            /* --bind: overrides every port's address */
	bool bind;                   /* --bind given (0.0.0.0 is an address to bind) */
	int busy_poll_us;            /* SO_BUSY_POLL, 0: off */
	uint32_t idle_sleep_us;
	const char *prefix;          /* telemetry runtime directory name */
	volatile bool quit;
	struct ctl ctl;
};

uint64_t sock_now_ns(void);

/* out.c. Remember that client ip came in on socket f (fd[f]); the socket a
 * reply to ip leaves by; send every queued reply datagram (s->out), by
 * sendmmsg runs per socket: a full socket buffer drops the rest of its run
 * (tx_full), a datagram the kernel refuses for its address is skipped
 * alone (tx_refused). */
void sock_peer_learn(struct sock_shard *s, uint32_t ip, uint32_t f);
int sock_reply_fd(const struct sock_shard *s, uint32_t ip);
void sock_send_out(struct sock_shard *s);
/* struct nx_out's spill for a shard (arg): sock_send_out. */
void sock_spill(struct nx_out *out, void *arg);

/* telemetry.c: serve the control commands at /var/run/dpdk/<prefix>/dpdk_telemetry.v2
 * on a thread of its own. Returns 0 or -errno (the path is printed);
 * -EADDRINUSE when another live process serves that path (not taken over). */
int sock_telemetry_start(struct sock_app *a);
void sock_telemetry_stop(void);

#endif /* NX_APP_SOCK_H */
