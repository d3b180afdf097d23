/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nanoex-sock: the venue pipeline behind kernel UDP sockets. One thread
 * per shard, pinned to the CPU its lcore names, polls its sockets with
 * recvmmsg (non-blocking, SO_BUSY_POLL where the kernel has it), runs
 * every datagram through its engine and answers with sendmmsg at once.
 * Between batches it serves the control mailbox and the engine's timers,
 * exactly like a nanoex shard; only the I/O differs. It is the baseline
 * half of every DPDK comparison and the way to run nanoex without DPDK.
 *
 *   nanoex-sock --config FILE [--bind IP] [--busy-poll US] [--prefix NAME] [--stats S]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../common/opts.h"
#include "sock.h"

static volatile sig_atomic_t g_signal;

static void on_signal(int sig)
{
	g_signal = sig;
}

uint64_t sock_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void usage(const char *prog)
{
	printf("Usage: %s --config FILE [--bind IP] [--busy-poll US] [--prefix NAME] [--stats S]\n"
	       "\n"
	       "The nanoex venue pipeline behind kernel UDP sockets: the same venue file and\n"
	       "the same replies as the DPDK appliance, one pinned thread per shard.\n"
	       "\n"
	       "  -c, --config FILE    the venue configuration file (required); each shard binds\n"
	       "                       its udp_port on every net.ports[].ipv4 address\n"
	       "  -b, --bind IP        bind this address instead of the ports' (e.g. 127.0.0.1)\n"
	       "      --busy-poll US   SO_BUSY_POLL on the sockets (default 50; 0: off)\n"
	       "  -P, --prefix NAME    control socket /var/run/dpdk/NAME/dpdk_telemetry.v2\n"
	       "                       (default nanoex-sock): dpdk-telemetry.py -f NAME\n"
	       "  -s, --stats SECONDS  print a one-line summary every SECONDS (default 0: never)\n"
	       "  -h, --help           this text\n"
	       "\n"
	       "Shards are threads pinned to the CPU numbered like their lcore; a CPU that does\n"
	       "not exist leaves the thread unpinned (with a warning). net.idle_sleep_us applies\n"
	       "as in nanoex. SIGINT or SIGTERM stops it and prints the final statistics.\n", prog);
}

static int parse_args(struct sock_app *a, int argc, char **argv, struct app_opts *ao)
{
	static const struct option opts[] = {
		APP_OPTS_LONG,
		{ "bind", required_argument, NULL, 'b' },
		{ "busy-poll", required_argument, NULL, 'B' },
		{ "prefix", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o, rc;
	unsigned long v;
	struct in_addr ia;
	while ((o = getopt_long(argc, argv, APP_OPTS_GETOPT "b:P:h", opts, NULL)) != -1) {
		if ((rc = app_opt("nanoex-sock", o, optarg, ao)) < 0)
			return -1;
		if (rc)
			continue;
		switch (o) {
		case 'b':
			if (inet_pton(AF_INET, optarg, &ia) != 1) {
				fprintf(stderr, "nanoex-sock: --bind: not an IPv4 address: %s\n", optarg);
				return -1;
			}
			a->bind_ip = ntohl(ia.s_addr);
			a->bind = true; /* 0.0.0.0 too: the bind error suggests it */
			break;
		case 'B': /* was cast from strtol: 4294967296 ran as 0 (off) */
			if (app_parse_uint(optarg, INT_MAX, &v)) {
				fprintf(stderr, "nanoex-sock: --busy-poll: not a number of us (0 to %d): %s\n",
					INT_MAX, optarg);
				return -1;
			}
			a->busy_poll_us = (int)v;
			break;
		case 'P':
			if (!*optarg || strchr(optarg, '/')) {
				fprintf(stderr, "nanoex-sock: --prefix: a plain name, not %s\n", optarg);
				return -1;
			}
			a->prefix = optarg;
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			fprintf(stderr, "nanoex-sock: try --help\n");
			return -1;
		}
	}
	return app_opts_check("nanoex-sock", argc, argv, optind, ao);
}

static int open_socket(const struct sock_app *a, uint32_t ip, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int buf = 4 << 20; /* no SO_REUSEADDR: a second venue on the port must fail */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (a->busy_poll_us) /* best effort: needs a kernel with busy polling */
		setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &a->busy_poll_us, sizeof(a->busy_poll_us));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(ip) };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* The bytes of a received datagram a prefetch hint may read: what the
 * buffer holds of it (a truncated one is dropped at its turn). */
static size_t hint_len(const struct mmsghdr *m)
{
	return m->msg_len < SOCK_RX_BYTES ? m->msg_len : SOCK_RX_BYTES;
}

static void *shard_main(void *arg)
{
	struct sock_shard *s = arg;
	struct sock_app *a = s->app;
	uint8_t (*buf)[SOCK_RX_BYTES] = s->rxbuf;
	struct mmsghdr mm[SOCK_BATCH];
	struct iovec iov[SOCK_BATCH];
	struct sockaddr_in from[SOCK_BATCH];
	const uint8_t *pl[SOCK_BATCH]; /* the batch's datagrams, for the hints */
	size_t plen[SOCK_BATCH];
	unsigned idle = 0;
	s->last_poll_ns = sock_now_ns();
	while (!a->quit) {
		uint32_t dgrams = 0;
		uint64_t rx_mono = 0, now = 0;
		for (uint32_t f = 0; f < s->nfd; f++) {
			for (unsigned i = 0; i < SOCK_BATCH; i++) {
				iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
				mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &from[i],
					.msg_namelen = sizeof(from[i]), .msg_iov = &iov[i], .msg_iovlen = 1 } };
			}
			int n = recvmmsg(s->fd[f], mm, SOCK_BATCH, MSG_DONTWAIT, NULL);
			if (n <= 0)
				continue;
			if (!rx_mono) {
				rx_mono = mono_ns();
				now = sock_now_ns();
			}
			s->io.rx_pkts += (unsigned)n;
			int hint = nx_engine_prefetch_wanted(s->e); /* configured, and deep enough */
			if (hint)
				for (int i = 0; i < n; i++) {
					pl[i] = buf[i];
					plen[i] = hint_len(&mm[i]);
				}
			for (int i = 0; i < n; i++) {
				uint32_t ip = ntohl(from[i].sin_addr.s_addr);
				if (hint)
					nx_engine_prefetch_burst(s->e, pl, plen, (unsigned)n, (unsigned)i);
				s->io.rx_bytes += mm[i].msg_len;
				if ((mm[i].msg_hdr.msg_flags & MSG_TRUNC) ||
				    mm[i].msg_len > SOCK_RX_MAX) {
					/* Cut at the buffer: the messages before the
					 * cut must not be applied alone. Longer than
					 * a 1500-byte MTU carries: nanoex gets it as
					 * fragments and drops them (IP_FRAGMENT), so
					 * it is dropped here whole too. */
					s->io.rx_truncated++;
					continue;
				}
				if (from[i].sin_port == 0) { /* as nanoex: no answer can reach it */
					s->io.drop[-NX_NET_DROP_UDP_PORT_ZERO]++;
					continue;
				}
				sock_peer_learn(s, ip, f);
				s->io.rx_udp++;
				dgrams++;
				nx_engine_rx(s->e, buf[i], mm[i].msg_len,
					     (struct nx_addr){ .ip = ip, .port = ntohs(from[i].sin_port) }, now, &s->out);
			}
		}
		if (dgrams) {
			sock_send_out(s);
			nx_hist_record_n(s->lat, mono_ns() - rx_mono, dgrams);
			idle = 0;
		}
		uint64_t t = sock_now_ns();
		if (ctl_pending(&s->mb))
			ctl_serve(&s->mb, s->e, &s->io, t, &s->out);
		if (t - s->last_poll_ns >= SOCK_POLL_NS) {
			s->last_poll_ns = t;
			nx_engine_poll(s->e, t, &s->out);
		}
		if (s->out.n)
			sock_send_out(s);
		s->io.loops++;
		if (dgrams)
			continue;
		s->io.idle_loops++;
		if (a->idle_sleep_us && ++idle > 64) {
			struct timespec ts = { 0, (long)a->idle_sleep_us * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	/* Stopping: every binding ends with Terminate(VENUE_SHUTDOWN), as in
	 * nanoex (cancel-on-disconnect runs for the accounts that have it). */
	uint64_t t = sock_now_ns();
	uint32_t left;
	do {
		left = nx_engine_shutdown(s->e, t, &s->out);
		if (s->out.n)
			sock_send_out(s);
	} while (left);
	return NULL;
}

static int shards_init(struct sock_app *a)
{
	char err[256];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	a->nshards = a->cfg.net.nshards;
	for (uint32_t i = 0; i < a->nshards; i++) {
		const struct nx_shard_config *sc = &a->cfg.net.shards[i];
		/* at its alignment: the control mailbox is cache-line aligned
		 * (calloc gives 16 bytes; found by UBSan in test_sock_out) */
		struct sock_shard *s = aligned_alloc(_Alignof(struct sock_shard), sizeof(*s));
		if (!s)
			return -ENOMEM;
		memset(s, 0, sizeof(*s));
		a->shard[i] = s;
		s->index = i;
		s->app = a;
		s->cpu = (long)sc->lcore < ncpu ? (int)sc->lcore : -1;
		if (s->cpu < 0)
			printf("nanoex-sock: warning: shard %u: CPU %u does not exist; not pinned\n", i,
			       sc->lcore);
		struct nx_venue_config one;
		if (nx_config_shard(&a->cfg, i, &one))
			return -ENOMEM;
		s->e = nx_engine_create(&one, NULL, NULL, err, sizeof(err));
		nx_config_free(&one);
		if (!s->e) {
			fprintf(stderr, "nanoex-sock: shard %u: %s\n", i, err);
			return -EINVAL;
		}
		s->out.d = calloc(SOCK_OUT, sizeof(*s->out.d));
		s->out.cap = SOCK_OUT;
		s->out.spill = sock_spill; /* full: sendmmsg what it holds, in the middle of an input */
		s->out.spill_arg = s;
		s->lat = nx_hist_create(NX_HIST_HOUR_NS, NX_HIST_DIGITS_DEFAULT);
		if (!s->out.d || !s->lat)
			return -ENOMEM;
		uint32_t nb = a->bind ? 1 : a->cfg.net.nports;
		for (uint32_t p = 0; p < nb; p++) {
			uint32_t ip = a->bind ? a->bind_ip : a->cfg.net.ports[p].ipv4;
			int fd = open_socket(a, ip, sc->udp_port);
			if (fd < 0) {
				fprintf(stderr, "nanoex-sock: shard %u: cannot bind %u.%u.%u.%u:%u: %s%s\n",
					i, ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255,
					sc->udp_port, strerror(-fd), fd == -EADDRNOTAVAIL
					? " (no interface has it; --bind 127.0.0.1 or 0.0.0.0?)" : "");
				return fd;
			}
			s->fd[s->nfd++] = fd;
			printf("nanoex-sock: shard %u on cpu %d serves %u.%u.%u.%u:%u\n", i, s->cpu,
			       ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255, sc->udp_port);
		}
		a->ctl.shard[i] = (struct ctl_shard){ .mb = &s->mb, .latency = s->lat, .io = &s->io,
						      .engine = s->e, .running = 1 };
	}
	return 0;
}

static void shards_free(struct sock_app *a)
{
	for (uint32_t i = 0; i < a->nshards; i++) {
		struct sock_shard *s = a->shard[i];
		if (!s)
			continue;
		for (uint32_t f = 0; f < s->nfd; f++)
			close(s->fd[f]);
		nx_engine_destroy(s->e);
		nx_hist_destroy(s->lat);
		free(s->out.d);
		free(s);
	}
}

int main(int argc, char **argv)
{
	static struct sock_app app;
	struct sock_app *a = &app;
	struct app_opts ao = { 0 };
	char err[512];
	int rc = 1;
	a->busy_poll_us = 50;
	a->prefix = "nanoex-sock";
	if (parse_args(a, argc, argv, &ao))
		return 1;
	const char *cfg_path = ao.config;
	if (nx_config_load(cfg_path, &a->cfg, err, sizeof(err))) {
		fprintf(stderr, "nanoex-sock: %s\n", err);
		return 1;
	}
	if (!a->cfg.net.nports) {
		fprintf(stderr, "nanoex-sock: %s: no net section: it names the shards and their UDP "
			"ports (docs/configuration.md#net)\n", cfg_path);
		goto out;
	}
	if (a->cfg.md.enabled)
		printf("nanoex-sock: %s: the market_data section is the DPDK appliance's (nanoex): "
		       "no ITCH feed in, no venue feed out here\n", cfg_path);
	a->idle_sleep_us = a->cfg.net.idle_sleep_us;
	ctl_init(&a->ctl, &a->cfg, "nanoex-sock", "kernel", sock_now_ns());
	if (shards_init(a))
		goto out;
	if ((rc = sock_telemetry_start(a)) == -EADDRINUSE) {
		rc = 1; /* another venue's, said: nanoex refuses a --file-prefix in use alike */
		goto out;
	}
	if (rc)
		printf("nanoex-sock: warning: no control socket\n");
	rc = 1;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* shard threads never take signals */
	for (uint32_t i = 0; i < a->nshards; i++) {
		struct sock_shard *s = a->shard[i];
		if (pthread_create(&s->thread, NULL, shard_main, s)) {
			fprintf(stderr, "nanoex-sock: cannot start shard %u\n", i);
			a->quit = true;
			for (uint32_t j = 0; j < i; j++)
				pthread_join(a->shard[j]->thread, NULL);
			goto out_ctl;
		}
		if (s->cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(s->cpu, &set);
			if (pthread_setaffinity_np(s->thread, sizeof(set), &set))
				printf("nanoex-sock: warning: shard %u not pinned to cpu %d\n", i, s->cpu);
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("nanoex-sock: running; SIGINT or SIGTERM stops\n");
	fflush(stdout);
	uint64_t next = mono_ns() + ao.stats_s * 1000000000ull;
	while (!g_signal) {
		usleep(20000);
		if (ao.stats_s && mono_ns() >= next) {
			ctl_print_summary(&a->ctl, stdout);
			next += ao.stats_s * 1000000000ull;
		}
	}
	printf("nanoex-sock: %s: stopping the shards\n", strsignal(g_signal));
	a->quit = true;
	for (uint32_t i = 0; i < a->nshards; i++) {
		pthread_join(a->shard[i]->thread, NULL);
		a->ctl.shard[i].running = 0;
	}
	printf("nanoex-sock: final statistics\n");
	ctl_print_final(&a->ctl, stdout);
	rc = 0;
out_ctl:
	sock_telemetry_stop();
out:
	shards_free(a);
	nx_config_free(&a->cfg);
	if (!rc) /* it ran: a start that failed said why, and never ran */
		printf("nanoex-sock: stopped\n");
	return rc;
}
