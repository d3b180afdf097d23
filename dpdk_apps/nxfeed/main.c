/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxfeed: subscribe to the venue's feed (NXM, docs/market-data.md) over
 * kernel sockets, rebuild every instrument's book, and print it. The
 * channels, group and retransmission server come from the venue file.
 *
 *   nxfeed --config FILE [--bind ADDR] [--duration S] [--late]
 *          [--drop-incremental N] [--drop-snapshot N] [--drop-answer N]
 *          [--give-up-ms MS] [--depth N]
 *
 * It joins the incremental and snapshot groups on the interface with
 * address ADDR (default: any), requests what a gap lost from the venue's
 * retransmission port (again as soon as an answer arrives, else every
 * 20 ms), and gives a gap up after --give-up-ms (default 300) without an
 * answer, to rebuild from snapshots. --late joins where the feed is
 * (every book from its snapshot). The --drop options throw away every Nth
 * packet of that kind on purpose, to exercise recovery (tests).
 *
 * It stops at the feed's end of session (once nothing is missing), after
 * --duration seconds, or on SIGINT/SIGTERM, and prints per instrument
 *   book INST synced|stale
 *   book INST bid|ask PX QTY ORDERS   (best first, --depth levels)
 *   trades INST COUNT last PX QTY
 *   trades_lost INST COUNT qty QTY   (the venue announced trades it could
 *                                     not publish: TradesLost, summed)
 * then its counters. Exit status: 0, 1 on bad usage or socket errors, 2
 * when a book is not synced at the end, or nothing was received at all.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nx/config.h"
#include "nx/feed.h"

#define REQUEST_NS 20000000ull /* a gap is asked for again this often */

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

struct opts {
	const char *config;
	uint32_t bind;               /* host order; 0: any */
	double duration;
	int late;
	unsigned drop_inc, drop_snap, drop_answer, give_up_ms, depth;
};

static void usage(void)
{
	fprintf(stderr, "usage: nxfeed --config FILE [--bind ADDR] [--duration S] [--late]\n"
			"              [--drop-incremental N] [--drop-snapshot N] [--drop-answer N]\n"
			"              [--give-up-ms MS] [--depth N]\n");
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A whole decimal number 0 .. max (atoi took "-1", "5x" and "x"). */
static int parse_uint(const char *name, const char *s, unsigned max, unsigned *v)
{
	char *e;
	unsigned long n;

	errno = 0;
	n = *s >= '0' && *s <= '9' ? strtoul(s, &e, 10) : 0;
	if (*s < '0' || *s > '9' || errno || *e || n > max) {
		fprintf(stderr, "nxfeed: --%s %s: not a number 0..%u\n", name, s, max);
		return -1;
	}
	*v = (unsigned)n;
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "bind", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "late", no_argument, NULL, 'l' },
		{ "drop-incremental", required_argument, NULL, 'I' },
		{ "drop-snapshot", required_argument, NULL, 'S' },
		{ "drop-answer", required_argument, NULL, 'A' },
		{ "give-up-ms", required_argument, NULL, 'g' },
		{ "depth", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct in_addr ia;
	char *e;
	int c, rc = 0;
	o->give_up_ms = 300;
	o->depth = 10;
	while ((c = getopt_long(argc, argv, "c:b:d:lh", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'b':
			if (inet_pton(AF_INET, optarg, &ia) != 1) {
				fprintf(stderr, "nxfeed: --bind %s: not an IPv4 address\n", optarg);
				return -1;
			}
			o->bind = ntohl(ia.s_addr);
			break;
		case 'd':
			o->duration = strtod(optarg, &e);
			if (e == optarg || *e || !isfinite(o->duration) || o->duration < 0 ||
			    o->duration > 1e7) {
				fprintf(stderr, "nxfeed: --duration %s: not seconds 0..1e7\n", optarg);
				return -1;
			}
			break;
		case 'l': o->late = 1; break;
		case 'I': rc = parse_uint("drop-incremental", optarg, UINT32_MAX, &o->drop_inc); break;
		case 'S': rc = parse_uint("drop-snapshot", optarg, UINT32_MAX, &o->drop_snap); break;
		case 'A': rc = parse_uint("drop-answer", optarg, UINT32_MAX, &o->drop_answer); break;
		case 'g': rc = parse_uint("give-up-ms", optarg, 86400000u, &o->give_up_ms); break;
		case 'D': rc = parse_uint("depth", optarg, NX_FEED_MAX_LEVELS, &o->depth); break;
		case 'h': usage(); exit(0);
		default: usage(); return -1;
		}
		if (rc)
			return -1;
	}
	if (!o->config || optind != argc || !o->depth) {
		usage();
		return -1;
	}
	return 0;
}

/* A UDP socket on port, joined to group on the interface bind. */
static int group_socket(uint32_t group, uint16_t port, uint32_t ifaddr)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1, rcv = 4 << 20;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(group) };
	struct ip_mreq mr = { .imr_multiaddr.s_addr = htonl(group),
			      .imr_interface.s_addr = htonl(ifaddr) };
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
		perror("nxfeed: multicast socket");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Retransmission requests go out and answers come back on this one. */
static int request_socket(uint32_t ifaddr)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(ifaddr) };
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("nxfeed: request socket");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int print_books(const struct nx_venue_config *cfg, const struct nx_feed_sub *sub,
		       unsigned depth, int *unsynced)
{
	struct nx_level_info *lv;
	static const char *const side_name[] = { "", "bid", "ask" };
	if (depth > cfg->md.feed.max_levels) /* the subscriber holds no more */
		depth = cfg->md.feed.max_levels;
	lv = calloc(depth, sizeof(*lv));
	if (!lv) {
		fprintf(stderr, "nxfeed: no memory to print the books\n");
		return -1;
	}
	for (uint32_t i = 0; i < cfg->ninstruments; i++) {
		nx_inst_t id = cfg->instruments[i].id;
		struct nx_feed_inst_info info;
		int synced = nx_feed_sub_synced(sub, id);
		*unsynced += !synced;
		printf("book %u %s\n", id, synced ? "synced" : "stale");
		for (unsigned side = NX_SIDE_BUY; side <= NX_SIDE_SELL; side++) {
			int n = nx_feed_sub_depth(sub, id, side, lv, depth);
			for (int k = 0; k < n; k++)
				printf("book %u %s %lld %lld %u\n", id, side_name[side],
				       (long long)lv[k].px, (long long)lv[k].qty, lv[k].count);
		}
		if (nx_feed_sub_instrument(sub, id, &info))
			continue;
		if (info.status)
			printf("status %u %s\n", id, nx_status_name(info.status));
		if (info.trades)
			printf("trades %u %llu last %lld %lld\n", id, (unsigned long long)info.trades,
			       (long long)info.last_px, (long long)info.last_qty);
		if (info.trades_lost)
			printf("trades_lost %u %llu qty %lld\n", id,
			       (unsigned long long)info.trades_lost, (long long)info.trades_lost_qty);
	}
	free(lv);
	return 0;
}

static void print_stats(const struct nx_feed_sub *sub, const unsigned long long dropped[3])
{
	const struct nx_feed_sub_stats *st = nx_feed_sub_stats(sub);
	const struct nx_mold_stats *inc = nx_feed_sub_mold_stats(sub, NX_FEED_INCREMENTAL);
	const struct nx_mold_stats *snap = nx_feed_sub_mold_stats(sub, NX_FEED_SNAPSHOT);
	printf("incremental: pkts %llu msgs %llu dup_pkts %llu ahead_pkts %llu gaps %llu "
	       "gap_msgs %llu heartbeats %llu ends %llu dropped_on_purpose %llu\n",
	       (unsigned long long)inc->data_pkts, (unsigned long long)st->msgs,
	       (unsigned long long)inc->dup_pkts, (unsigned long long)inc->ahead_pkts,
	       (unsigned long long)inc->gaps, (unsigned long long)inc->gap_msgs,
	       (unsigned long long)inc->heartbeats, (unsigned long long)inc->ends, dropped[0]);
	printf("snapshot: pkts %llu msgs %llu images %llu synced %llu pending %llu too_old %llu "
	       "broken %llu dropped_on_purpose %llu\n",
	       (unsigned long long)snap->data_pkts, (unsigned long long)st->snap_msgs,
	       (unsigned long long)st->snap_images, (unsigned long long)st->snap_synced,
	       (unsigned long long)st->snap_pending, (unsigned long long)st->snap_too_old,
	       (unsigned long long)st->snap_broken, dropped[1]);
	printf("recovery: give_ups %llu skipped_msgs %llu replayed %llu stale_ignored %llu "
	       "answers_dropped_on_purpose %llu\n",
	       (unsigned long long)st->give_ups, (unsigned long long)st->skipped_msgs,
	       (unsigned long long)st->replayed, (unsigned long long)st->stale_ignored, dropped[2]);
	printf("trades: msgs %llu lost_msgs %llu lost %llu\n", (unsigned long long)st->trades,
	       (unsigned long long)st->trades_lost_msgs, (unsigned long long)st->trades_lost);
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct nx_venue_config cfg;
	char err[512];
	if (parse(argc, argv, &o))
		return 1;
	if (nx_config_load(o.config, &cfg, err, sizeof(err))) {
		fprintf(stderr, "nxfeed: %s\n", err);
		return 1;
	}
	const struct nx_md_feed_config *f = &cfg.md.feed;
	if (!cfg.md.enabled || !f->group) {
		fprintf(stderr, "nxfeed: %s: no market_data.feed section\n", o.config);
		return 1;
	}
	struct nx_feed_sub_config sc = { .max_instruments = cfg.ninstruments + 16,
					 .max_levels = f->max_levels, .hold_pkts = 4096,
					 .replay_msgs = 1u << 16, .from_start = !o.late };
	struct nx_feed_sub *sub = nx_feed_sub_create(&sc);
	int fds[3] = { group_socket(f->group, f->incremental_port, o.bind),
		       group_socket(f->group, f->snapshot_port, o.bind), request_socket(o.bind) };
	if (!sub || fds[0] < 0 || fds[1] < 0 || fds[2] < 0)
		return 1;
	struct sockaddr_in server = { .sin_family = AF_INET, .sin_port = htons(f->retransmit_port),
				      .sin_addr.s_addr = htonl(cfg.net.ports[0].ipv4) };
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	static uint8_t pkt[65536];
	unsigned long long seen[3] = { 0, 0, 0 }, dropped[3] = { 0, 0, 0 };
	uint64_t start = now_ns(), gap_since = 0, next_request = 0, asked_from = 0;
	uint64_t end = o.duration > 0 ? start + (uint64_t)(o.duration * 1e9) : UINT64_MAX;
	int ended = 0;
	while (!g_stop && now_ns() < end) {
		struct pollfd pf[3] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 },
					{ fds[2], POLLIN, 0 } };
		if (poll(pf, 3, 5) < 0 && errno != EINTR)
			break;
		for (int ch = 0; ch < 3; ch++) {
			ssize_t n;
			while ((n = recv(fds[ch], pkt, sizeof(pkt), MSG_DONTWAIT)) >= 0) {
				unsigned drop = ch == 0 ? o.drop_inc : ch == 1 ? o.drop_snap : o.drop_answer;
				if (drop && ++seen[ch] % drop == 0) {
					dropped[ch]++;
					continue;
				}
				int k = ch == 1 ? nx_feed_sub_snapshot(sub, pkt, (size_t)n)
						: nx_feed_sub_incremental(sub, pkt, (size_t)n);
				if (ch == 0 && k == NX_MOLD_END)
					ended = 1;
			}
		}
		/* A gap: ask for it every 20 ms; past --give-up-ms, let snapshots repair it. */
		uint8_t req[NX_MOLD_REQUEST_LEN];
		size_t rn = nx_feed_sub_request(sub, req, sizeof(req));
		uint64_t t = now_ns();
		if (!rn) {
			gap_since = 0;
			asked_from = 0;
			if (ended)
				break;
			continue;
		}
		/* The first missing number moved (an answer arrived, or a new gap
		 * after one was filled): ask for the rest at once, and time the
		 * give-up from here. The 20 ms is the retry for an unanswered
		 * request, not the pace of a recovery. */
		uint64_t from = nx_itch_be64(req + NX_MOLD_SESSION_LEN);
		if (from != asked_from) {
			asked_from = from;
			gap_since = t;
			next_request = 0;
		}
		if (t - gap_since >= (uint64_t)o.give_up_ms * 1000000u) {
			/* No answer for that long: every later gap would wait as
			 * long again (one give-up per gap kept nxfeed running long
			 * after the end of session), and the first give-up makes
			 * every book stale anyway. Give up all that is missing. */
			uint64_t before;
			do {
				before = nx_feed_sub_last_seq(sub);
				nx_feed_sub_give_up(sub);
			} while (nx_feed_sub_request(sub, req, sizeof(req)) &&
				 nx_feed_sub_last_seq(sub) != before);
			gap_since = 0;
			asked_from = 0;
		} else if (t >= next_request) {
			sendto(fds[2], req, rn, 0, (struct sockaddr *)&server, sizeof(server));
			next_request = t + REQUEST_NS;
		}
	}
	int unsynced = 0;
	if (print_books(&cfg, sub, o.depth, &unsynced))
		unsynced = 1;
	print_stats(sub, dropped);
	/* Nothing heard (a wrong group or interface, the venue down): the
	 * empty books above are not the venue's, whatever they say. */
	if (!nx_feed_sub_mold_stats(sub, NX_FEED_INCREMENTAL)->data_pkts &&
	    !nx_feed_sub_mold_stats(sub, NX_FEED_INCREMENTAL)->heartbeats &&
	    !nx_feed_sub_mold_stats(sub, NX_FEED_SNAPSHOT)->data_pkts) {
		fprintf(stderr, "nxfeed: nothing received from the feed\n");
		unsynced = 1;
	}
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	nx_feed_sub_destroy(sub);
	nx_config_free(&cfg);
	return unsynced ? 2 : 0;
}
