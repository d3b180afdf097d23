/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * libFuzzer harness for inbound market data: the ITCH decoder (nx/itch.h),
 * the MoldUDP64 receiver and block framing (nx/moldudp.h) and the book
 * builder (nx/mdbook.h), on arbitrary bytes. The input is one control
 * byte, then a body:
 *   bit 0 = 0  the body is a BinaryFILE: its blocks go to the decoder and
 *              to a small book, through nx_mdbook_apply_blocks (bit 2 = 0)
 *              or one nx_mdbook_apply per block (bit 2 = 1);
 *   bit 0 = 1  the body is a string of packets, each a be16 length and that
 *              many bytes, fed to one MoldUDP64 receiver (bit 1: hold on
 *              gaps; bit 3: expect sequence 1 instead of latching), whose
 *              delivered blocks go to the book.
 * The book is tiny (16 stocks, 64 orders, 24 levels) so capacity is hit, and is laid
 * out in static memory, re-initialised per input.
 *
 * Invariants: nx_itch_check agrees with the length table and
 * nx_itch_decode with nx_itch_check (and reads nothing past the message:
 * ASan); the book's
 * nx_mdbook_check passes after every input (levels and orders agree, so
 * no quantity is negative or lost) and its per-type counts add up to the
 * messages applied; the receiver accounts for every packet exactly once,
 * delivers exactly `count` whole blocks inside the packet, never moves
 * backwards, and its missing range is consistent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/itch.h"
#include "nx/mdbook.h"
#include "nx/moldudp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
	fprintf(stderr, "invariant broken: %s\n", what);
	abort();
}

static _Alignas(64) uint8_t book_mem[1u << 20];
/* 16 locates: most random locates are BAD_LOCATE, 0..15 build books */
static const struct nx_mdbook_config cfg = { .max_locates = 16, .max_orders = 64,
					     .max_levels = 24 };

static void check_decode(const uint8_t *m, size_t len)
{
	int t = nx_itch_check(m, len);
	struct nx_itch_fields f;

	/* the table-driven decoder validates exactly as nx_itch_check */
	if (nx_itch_decode(m, len, &f) != t)
		die("nx_itch_decode disagrees with nx_itch_check");
	if (t > 0 && (f.ts_ns >> 48 || f.locate != nx_itch_be16(m + 1)))
		die("nx_itch_decode header fields");

	if (len == 0) {
		if (t != NX_ITCH_ERR_EMPTY)
			die("empty message not EMPTY");
	} else if (nx_itch_type_len(m[0]) == 0) {
		if (t != NX_ITCH_ERR_UNKNOWN_TYPE || nx_itch_type_ix(m[0]) != 0)
			die("unknown type accepted");
	} else if (nx_itch_type_len(m[0]) != len) {
		if (t != NX_ITCH_ERR_BAD_LENGTH)
			die("wrong length accepted");
	} else if (t != m[0] || nx_itch_type_ix(m[0]) == 0 ||
		   nx_itch_type_name(t)[0] == '?') {
		die("valid message rejected");
	} else {
		/* a timestamp is 48 bits whatever the bytes */
		const union nx_itch_msg *u = (const void *)m;
		if (nx_itch_ts_ns(&u->h) >> 48)
			die("timestamp wider than 48 bits");
	}
}

/* Apply blocks [p, end) (count of them, or all) one at a time or in bulk. */
static uint64_t feed_book(struct nx_mdbook *b, const uint8_t *p, size_t len, size_t count,
			  int bulk)
{
	struct nx_mold_blocks it;
	const uint8_t *m;
	size_t l, n = 0, used = 0;

	nx_mold_blocks_init(&it, p, len);
	while (n < count && nx_mold_blocks_next(&it, &m, &l) == 1) {
		check_decode(m, l);
		if (!bulk)
			nx_mdbook_apply(b, m, l);
		n++;
	}
	if (bulk && nx_mdbook_apply_blocks(b, p, len, count, &used) != n)
		die("apply_blocks count differs from the walk");
	if (bulk && used != (size_t)(it.p - p))
		die("apply_blocks consumed other bytes than the walk");
	return n;
}

static uint64_t feed_mold(struct nx_mdbook *b, const uint8_t *p, size_t len, unsigned ctl)
{
	struct nx_mold_rx_config c = { .hold_on_gap = (uint8_t)((ctl >> 1) & 1),
				       .next_seq = (ctl >> 3) & 1 };
	struct nx_mold_rx rx;
	struct nx_mold_pkt pk;
	uint64_t pkts = 0, kinds = 0, msgs = 0, first, cnt;
	uint8_t req[NX_MOLD_REQUEST_LEN];

	nx_mold_rx_init(&rx, &c);
	while (len >= 2) {
		size_t n = nx_itch_be16(p);
		if (n > len - 2)
			n = len - 2;
		const uint8_t *pkt = p + 2;
		uint64_t next0 = rx.next;
		p += 2 + n;
		len -= 2 + n;
		pkts++;
		int k = nx_mold_rx_packet(&rx, pkt, n, &pk);
		if (k < 0) {
			if (k <= -(int)NX_MOLD_DROP_MAX || nx_mold_drop_name(k)[0] == '?')
				die("drop reason out of range");
			if (rx.next != next0)
				die("a drop moved the sequence");
			continue;
		}
		if (k > NX_MOLD_AHEAD)
			die("unknown verdict");
		kinds++;
		if (rx.next < next0 && next0 != 0)
			die("sequence moved backwards");
		if (k == NX_MOLD_DATA) {
			if (pk.blocks < pkt + NX_MOLD_HDR_LEN || pk.end != pkt + n ||
			    pk.blocks > pk.end || pk.count == 0 ||
			    pk.count + pk.skipped != pk.pkt_count || pk.seq != pk.pkt_seq + pk.skipped)
				die("data verdict inconsistent");
			if (feed_book(b, pk.blocks, (size_t)(pk.end - pk.blocks), pk.count, 1) !=
			    pk.count)
				die("delivered blocks missing");
			msgs += pk.count;
		} else if (pk.count) {
			die("a non-data verdict delivered");
		}
		if (nx_mold_rx_missing(&rx, &first, &cnt) &&
		    (first != rx.next || cnt == 0 || first + cnt != rx.high))
			die("missing range inconsistent");
		if (nx_mold_rx_request(&rx, req, sizeof(req), 100) == NX_MOLD_REQUEST_LEN &&
		    (nx_itch_be16(req + 18) == 0 || nx_itch_be16(req + 18) > 100))
			die("request count out of range");
	}
	const struct nx_mold_stats *st = &rx.st;
	uint64_t drops = 0;
	for (unsigned r = 1; r < NX_MOLD_DROP_MAX; r++)
		drops += st->drops[r];
	if (st->data_pkts + st->heartbeats + st->ends + st->dup_pkts + st->ahead_pkts != kinds ||
	    kinds + drops != pkts || st->msgs != msgs)
		die("receiver counters do not add up");
	if (!c.hold_on_gap && st->ahead_pkts)
		die("skip mode held a packet");
	return msgs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nx_mdbook *b;
	uint64_t applied, total = 0;
	char why[256];
	unsigned ctl;

	if (size < 1)
		return 0;
	if (nx_mdbook_memsize(&cfg) > sizeof(book_mem))
		die("book memory");
	b = nx_mdbook_init(book_mem, sizeof(book_mem), &cfg);
	if (!b)
		die("book init");
	ctl = data[0];
	if (ctl & 1)
		applied = feed_mold(b, data + 1, size - 1, ctl);
	else
		applied = feed_book(b, data + 1, size - 1, SIZE_MAX, !(ctl & 4));

	const struct nx_mdbook_stats *st = nx_mdbook_stats(b);
	for (unsigned i = 0; i < NX_ITCH_IX_MAX; i++)
		total += st->msgs[i];
	if (total != applied || st->msgs[0] != st->anomalies[NX_MDBOOK_DECODE_ERROR])
		die("per-type counts do not add up");
	if (st->live_orders > cfg.max_orders || st->live_levels > cfg.max_levels ||
	    st->live_levels > st->live_orders || st->peak_orders < st->live_orders)
		die("live counts out of bounds");
	if (nx_mdbook_check(b, why, sizeof(why))) {
		fprintf(stderr, "%s\n", why);
		die("book invariant");
	}
	return 0;
}
