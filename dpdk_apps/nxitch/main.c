/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxitch: build the ITCH 5.0 books of a capture and report on them. No
 * DPDK: it reads files.
 *
 *   nxitch [options] FILE          a Nasdaq BinaryFILE (length-prefixed messages)
 *   nxitch [options] --pcap FILE   a pcap of MoldUDP64 over Ethernet/IPv4/UDP
 *
 * Options:
 *   --book SYMBOL    print that stock's book, both sides, best first
 *   --depth N        levels per side for --book (default 10, 0 = all)
 *   --port N         pcap: only UDP datagrams to this port
 *   --window-ms N    pcap: how long (capture time) packets past a gap wait for
 *                    the missing messages, which a capture may hold later (a
 *                    retransmission answer, the other line of an A/B feed);
 *                    default 1000, 0 = give every gap up at once (skip mode)
 *   --max-orders N   order capacity (default 4M), --max-levels N (default 2M)
 *   --check          run the book's invariant checker at the end
 *
 * Prints message counts per type, decode errors, the book's anomalies
 * (orphans first), live orders and levels; for pcap input the MoldUDP64
 * sequencing: packets by kind, drops by reason, each gap found and what
 * was lost (what the capture never held within the window). Exit status:
 * 0, 1 on bad usage or unreadable input, 2 when --check fails, 3
 * (NXITCH_EXIT_TRUNCATED) when the input is truncated: a BinaryFILE that
 * ends inside a message block, a pcap that ends inside a record or holds a
 * MoldUDP64 datagram cut short. The report of what was read is printed all
 * the same, with a "truncated:" line saying where it stopped and why (and
 * that line on stderr); a --check failure (2) takes precedence.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/itch.h"
#include "nx/mdbook.h"
#include "nx/moldudp.h"
#include "nxitch.h"

static void usage_to(FILE *to)
{
	fprintf(to, "usage: nxitch [--pcap] [--book SYMBOL] [--depth N] [--port N]\n"
		    "              [--window-ms N] [--max-orders N] [--max-levels N] [--check] FILE\n");
}

static void usage(void)
{
	usage_to(stderr);
}

static int read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 1u << 20;
			uint8_t *nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
			cap = ncap;
		}
		errno = 0;
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno ? errno : EIO; /* a directory: EISDIR, not "I/O error" */
		free(buf);
		fclose(f);
		return -e;
	}
	fclose(f);
	*data = buf;
	*len = n;
	return 0;
}

/* Where and why a BinaryFILE stops at byte used of len: inside the length
 * prefix or the message of block nblk + 1. */
static void binfile_truncated(const uint8_t *data, size_t len, size_t used, size_t nblk,
			      char *why, size_t cap)
{
	size_t left = len - used;

	if (left < NX_MOLD_BLOCK_PREFIX) {
		snprintf(why, cap, "the file ends inside the length prefix of message block %zu "
			 "at byte %zu (%zu of its 2 bytes); the %zu blocks before it were read",
			 nblk + 1, used, left, nblk);
		return;
	}
	snprintf(why, cap, "the file ends inside message block %zu at byte %zu (its length "
		 "prefix says %u bytes, the file holds %zu%s%c%s); the %zu blocks before it "
		 "were read", nblk + 1, used, nx_itch_be16(data + used), left - 2,
		 left > 2 ? ", type '" : "", left > 2 ? (char)data[used + 2] : ' ',
		 left > 2 ? "'" : "", nblk);
}

static void print_px(uint32_t px, char *buf, size_t cap)
{
	nx_itch_px_format(buf, cap, px, 4);
}

static void print_counts(const struct nx_mdbook *b)
{
	const struct nx_mdbook_stats *st = nx_mdbook_stats(b);
	uint64_t total = 0;

	printf("messages by type:\n");
#define NX_X_(name, ch, len, text)                                                         \
	if (st->msgs[NX_ITCH_IX_##name])                                                    \
		printf("  %c %-18s %12llu\n", ch, #name,                                   \
		       (unsigned long long)st->msgs[NX_ITCH_IX_##name]);                    \
	total += st->msgs[NX_ITCH_IX_##name];
	NX_ITCH_TYPES(NX_X_)
#undef NX_X_
	printf("  total                %12llu\n", (unsigned long long)total);
	for (int e = 1; e < (int)NX_ITCH_ERR_MAX; e++)
		if (st->decode_errs[e])
			printf("decode error %-13s %12llu  (%s)\n", nx_itch_err_name(-e),
			       (unsigned long long)st->decode_errs[e], nx_itch_err_text(-e));
	printf("anomalies:\n");
	for (int a = 0; a < NX_MDBOOK_NANOMALIES; a++)
		printf("  %-15s %12llu  %s\n", nx_mdbook_anomaly_name(a),
		       (unsigned long long)st->anomalies[a], nx_mdbook_anomaly_text(a));
	printf("orphans %llu\n", (unsigned long long)nx_mdbook_orphans(b));
	printf("live orders %llu (peak %llu), live levels %llu (peak %llu)\n",
	       (unsigned long long)st->live_orders, (unsigned long long)st->peak_orders,
	       (unsigned long long)st->live_levels, (unsigned long long)st->peak_levels);
	printf("shares executed %llu, shares in hidden trades (P) %llu, shares crossed (Q) %llu\n",
	       (unsigned long long)st->shares_executed,
	       (unsigned long long)st->shares_traded_hidden, (unsigned long long)st->shares_crossed);
	if (st->last_ts_ns) {
		uint64_t t = st->last_ts_ns;
		printf("last timestamp %02llu:%02llu:%02llu.%09llu\n",
		       (unsigned long long)(t / 3600000000000ull),
		       (unsigned long long)(t / 60000000000ull % 60),
		       (unsigned long long)(t / 1000000000ull % 60),
		       (unsigned long long)(t % 1000000000ull));
	}
}

static int print_book(const struct nx_mdbook *b, const char *sym, size_t depth)
{
	struct nx_mdbook_stock_info si;
	struct nx_mdbook_level *bid, *ask;
	size_t nb, na, rows;
	int loc = nx_mdbook_find(b, sym);
	char p1[32], p2[32];

	if (loc < 0) {
		printf("book %s: no such symbol in this feed\n", sym);
		return 0;
	}
	nx_mdbook_stock(b, (uint16_t)loc, &si);
	/* Never more rows than the deeper side has (0: all of them). */
	if (depth == 0 || (depth > si.levels[0] && depth > si.levels[1]))
		depth = si.levels[0] > si.levels[1] ? si.levels[0] : si.levels[1];
	bid = calloc(depth + 1, sizeof(*bid));
	ask = calloc(depth + 1, sizeof(*ask));
	if (!bid || !ask) {
		free(bid);
		free(ask);
		fprintf(stderr, "nxitch: no memory for the book of %s\n", sym);
		return -ENOMEM;
	}
	nb = nx_mdbook_depth(b, (uint16_t)loc, NX_MDBOOK_BID, bid, depth);
	na = nx_mdbook_depth(b, (uint16_t)loc, NX_MDBOOK_ASK, ask, depth);
	print_px(si.last_trade_px, p1, sizeof(p1));
	printf("book %s (locate %d, named by %c): %u bid levels, %u ask levels, %u orders, "
	       "state %c, last trade %s\n", si.symbol, loc, si.named_by ? si.named_by : '-',
	       si.levels[0], si.levels[1], si.orders, si.trading_state ? si.trading_state : '-',
	       si.last_trade_px ? p1 : "-");
	printf("  %7s %10s %12s | %-12s %10s %7s\n", "orders", "shares", "bid", "ask", "shares",
	       "orders");
	rows = nb > na ? nb : na;
	for (size_t i = 0; i < rows; i++) {
		char l[96] = "", r[96] = "";
		if (i < nb) {
			print_px(bid[i].px, p1, sizeof(p1));
			snprintf(l, sizeof(l), "%7u %10llu %12s", bid[i].orders,
				 (unsigned long long)bid[i].qty, p1);
		}
		if (i < na) {
			print_px(ask[i].px, p2, sizeof(p2));
			snprintf(r, sizeof(r), "%-12s %10llu %7u", p2, (unsigned long long)ask[i].qty,
				 ask[i].orders);
		}
		printf("  %31s | %s\n", l, r);
	}
	free(bid);
	free(ask);
	return 0;
}

/* A bad command line: what is wrong, then the usage; status 1. */
static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "nxitch: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage();
	return 1;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *e;

	if (*s < '0' || *s > '9') /* strtoull takes "-1" (and " 1") */
		return -1;
	errno = 0;
	*v = strtoull(s, &e, 10);
	return errno || e == s || *e ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct nxitch_opts o = { .depth = 10, .max_orders = 4u << 20, .max_levels = 2u << 20,
				 .window_ms = 1000 };
	struct nx_mdbook_config cfg = { .max_locates = 0 }; /* 0: every locate */
	struct nx_mdbook *b;
	uint8_t *data = NULL;
	size_t len = 0;
	char why[512] = "";
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage_to(stdout);
			printf("Decode a Nasdaq TotalView-ITCH 5.0 BinaryFILE, or a pcap of MoldUDP64\n"
			       "(--pcap), into order books; print message counts, anomalies, live\n"
			       "orders and levels, and SYMBOL's book (docs/market-data.md#the-cli-nxitch).\n");
			return 0;
		} else if (!strcmp(a, "--pcap")) {
			o.pcap = 1;
		} else if (!strcmp(a, "--check")) {
			o.check = 1;
		} else if (!strcmp(a, "--book")) {
			if (!v)
				return bad_usage("%s needs a value", a);
			o.book = v;
			i++;
		} else if (!strcmp(a, "--depth") || !strcmp(a, "--port") ||
			   !strcmp(a, "--max-orders") || !strcmp(a, "--max-levels") ||
			   !strcmp(a, "--window-ms")) {
			uint64_t most = !strcmp(a, "--port") ? 65535 : UINT32_MAX;
			if (!v)
				return bad_usage("%s needs a value", a);
			if (parse_u64(v, &n) || n > most)
				return bad_usage("%s: \"%s\" is not a whole number up to %llu", a, v,
						 (unsigned long long)most);
			if (!strcmp(a, "--depth"))
				o.depth = (size_t)n;
			else if (!strcmp(a, "--port"))
				o.port = (int)n;
			else if (!strcmp(a, "--window-ms"))
				o.window_ms = (uint32_t)n;
			else if (!strcmp(a, "--max-orders"))
				o.max_orders = (uint32_t)n;
			else
				o.max_levels = (uint32_t)n;
			i++;
		} else if (a[0] == '-' && a[1]) {
			return bad_usage("unknown option %s", a);
		} else if (o.path) {
			return bad_usage("one FILE only: %s, then %s", o.path, a);
		} else {
			o.path = a;
		}
	}
	if (!o.path) {
		usage();
		return 1;
	}
	if (!o.max_orders || o.max_orders > NX_MDBOOK_MAX_ORDERS_LIMIT || !o.max_levels ||
	    o.max_levels > NX_MDBOOK_MAX_LEVELS_LIMIT) {
		fprintf(stderr, "nxitch: --max-orders must be 1 to %u, --max-levels 1 to %u\n",
			NX_MDBOOK_MAX_ORDERS_LIMIT, NX_MDBOOK_MAX_LEVELS_LIMIT);
		return 1;
	}
	rc = read_file(o.path, &data, &len);
	if (rc) {
		fprintf(stderr, "nxitch: %s: %s\n", o.path, strerror(-rc));
		return 1;
	}
	cfg.max_orders = o.max_orders;
	cfg.max_levels = o.max_levels;
	b = nx_mdbook_create(&cfg);
	if (!b) {
		fprintf(stderr, "nxitch: cannot create the book (%s)\n", strerror(errno));
		free(data);
		return 1;
	}
	if (o.pcap) {
		rc = nxitch_pcap(&o, b, data, len, why, sizeof(why));
		rc = rc < 0 ? 1 : 0; /* the reason is on stderr; a truncation in why */
	} else {
		size_t used = 0, n = nx_mdbook_apply_blocks(b, data, len, SIZE_MAX, &used);
		printf("nxitch: %s: BinaryFILE, %zu messages in %zu bytes\n", o.path, n, used);
		if (used != len)
			binfile_truncated(data, len, used, n, why, sizeof(why));
	}
	if (why[0])
		printf("truncated: %s\n", why);
	if (rc == 0) {
		print_counts(b);
		if (o.book && print_book(b, o.book, o.depth))
			rc = 1;
		if (o.check) {
			char bad[256];
			if (nx_mdbook_check(b, bad, sizeof(bad))) {
				printf("check: FAILED: %s\n", bad);
				rc = 2;
			} else {
				printf("check: ok\n");
			}
		}
		if (why[0]) {
			fflush(stdout); /* the report first, then the error after it */
			fprintf(stderr, "nxitch: %s: truncated: %s\n", o.path, why);
			if (rc == 0)
				rc = NXITCH_EXIT_TRUNCATED;
		}
	}
	nx_mdbook_destroy(b);
	free(data);
	return rc;
}
