/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * libFuzzer harness for the NXM market data feed (nx/feed.h): arbitrary
 * bytes to both subscriber entry points, to the publisher's retransmission
 * server and to the decoder. The input is one config byte, then records:
 *   byte 0     bit 0: subscriber from the start (else a late joiner);
 *              bits 1-2: hold of 16, 0, 1 or 4 packets; bit 3: a replay
 *              buffer of 1 message (else 64);
 *   records    op (1 byte), be16 length, that many bytes (a short tail is
 *              taken as it is); op & 3: 0 the incremental channel, 1 the
 *              snapshot channel, 2 a retransmission request to a publisher
 *              holding 24 messages (levels, trades, TradesLost), 3 the
 *              decoder alone; op & 4: give the
 *              gap up afterwards.
 * The subscriber is small (4 instruments, 4 levels a side) so capacities
 * are hit; it and the publisher live in static memory, laid out afresh per
 * input. tests/fuzz/corpus/feed/ holds valid sessions written by
 * tests/test_feed_wire.c (NX_FEED_CORPUS=dir): in order, with a gap and its
 * retransmission, a late joiner, malformed messages (TradesLost among
 * them, valid and not).
 *
 * Invariants: nx_feed_sub_check passes after every record (books sorted,
 * within capacity, no empty level); a request is 0 or 20 bytes; every
 * message that decodes re-encodes to the same record or levels; every
 * packet the publisher answers with fits max_payload and holds only
 * messages that decode.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SESS[10] = { 'N', 'X', 'M', '2', '0', '2', '6', '0', '0', '1' };
static const nx_inst_t INSTS[3] = { 7, 8, 9 };
#define PUB_PAYLOAD 200u

static _Alignas(64) uint8_t sub_mem[1u << 18];
static _Alignas(64) uint8_t pub_mem[1u << 16];

static void die(const char *what)
{
	fprintf(stderr, "invariant broken: %s\n", what);
	abort();
}

/* Re-encode a decoded message: the same record, the same levels. */
static void check_roundtrip(const struct nx_feed_msg *m)
{
	uint8_t out[512];
	struct nx_feed_msg again;
	struct nx_feed_level l;
	size_t len;

	if (m->template_id != NX_FEED_TPL_SNAPSHOT_LEVELS) {
		len = nx_feed_encode_rec(out, sizeof(out), &m->rec);
		if (!len || nx_feed_decode(out, len, &again) != m->template_id ||
		    memcmp(&again.rec, &m->rec, sizeof(m->rec)))
			die("incremental message does not re-encode to itself");
		return;
	}
	len = nx_feed_encode_snap(out, sizeof(out), &m->snap);
	for (unsigned i = 0; i < m->nlevels && i < 20; i++) {
		nx_feed_msg_level(m, i, &l);
		if (nx_feed_snap_put(out, sizeof(out), &len, l.side, &l.lv))
			die("decoded snapshot level refused by the encoder");
	}
	if (nx_feed_decode(out, len, &again) != NX_FEED_TPL_SNAPSHOT_LEVELS ||
	    again.snap.last_seq != m->snap.last_seq || again.snap.chunk != m->snap.chunk)
		die("snapshot does not re-encode to itself");
}

static void decode_only(const uint8_t *b, size_t len)
{
	struct nx_feed_msg m;
	int rc = nx_feed_decode(b, len, &m);

	if (rc > 0)
		check_roundtrip(&m);
	else if (rc <= -NX_FEED_ERR_MAX || nx_feed_err_name(rc)[0] == '?')
		die("decode error without a name");
}

/* The publisher's answers: within max_payload, every message decodes. */
static void pub_send(void *ctx, unsigned ch, const uint8_t *pkt, size_t len, struct nx_addr to)
{
	struct nx_mold_blocks it;
	const uint8_t *m;
	size_t l;
	unsigned n = 0;

	(void)ctx;
	(void)to;
	if (len > PUB_PAYLOAD || len < NX_MOLD_HDR_LEN || ch >= NX_FEED_CHANNELS)
		die("publisher packet size or channel");
	nx_mold_blocks_init(&it, pkt + NX_MOLD_HDR_LEN, len - NX_MOLD_HDR_LEN);
	while (nx_mold_blocks_next(&it, &m, &l) == 1) {
		struct nx_feed_msg msg;

		if (nx_feed_decode(m, l, &msg) <= 0)
			die("publisher sent a message that does not decode");
		n++;
	}
	if (it.p != it.end || (n && n != nx_itch_be16(pkt + 18)))
		die("publisher packet framing");
}

static struct nx_feed_pub *make_pub(void)
{
	const struct nx_feed_pub_config cfg = {
		.max_payload = PUB_PAYLOAD, .history = 16, .retrans_max = 8,
		.instruments = INSTS, .ninstruments = 3, .max_levels = 4,
	};
	struct nx_feed_pub_config c = cfg;
	struct nx_feed_pub *p;

	memcpy(c.session, SESS, sizeof(c.session));
	p = nx_feed_pub_init(pub_mem, sizeof(pub_mem), &c, pub_send, NULL);
	if (!p)
		die("publisher init");
	for (unsigned i = 0; i < 24; i++) {
		struct nx_feed_rec r = { .type = i % 5 ? NX_FEED_REC_LEVEL : NX_FEED_REC_TRADE,
					 .side = (uint8_t)(1 + i % 2), .inst = INSTS[i % 3],
					 .px = 100 + i % 7, .qty = i % 4 ? 1 + i : 0,
					 .n = i % 4 ? 1 : 0 };

		if (r.type == NX_FEED_REC_TRADE)
			r.qty = r.n = 1 + i;
		if (i % 12 == 11) /* answers carry TradesLost too */
			r = (struct nx_feed_rec){ .type = NX_FEED_REC_TRADES_LOST, .inst = INSTS[i % 3],
						  .qty = 2 + i, .n = 1 + i % 4 };
		nx_feed_pub_rec(p, &r, i);
	}
	nx_feed_pub_flush(p, 24);
	return p;
}

static struct nx_feed_sub *make_sub(uint8_t flags)
{
	static const uint32_t holds[4] = { 16, 0, 1, 4 };
	const struct nx_feed_sub_config cfg = {
		.max_instruments = 4, .max_levels = 4, .hold_pkts = holds[(flags >> 1) & 3],
		.replay_msgs = flags & 8 ? 1 : 64, .from_start = flags & 1,
	};
	struct nx_feed_sub *s = nx_feed_sub_init(sub_mem, sizeof(sub_mem), &cfg);

	if (!s)
		die("subscriber init");
	return s;
}

static void check_sub(struct nx_feed_sub *s, nx_inst_t probe)
{
	struct nx_level_info lv[8];
	struct nx_feed_inst_info info;
	uint8_t req[32];
	const char *why;
	size_t n = nx_feed_sub_request(s, req, sizeof(req));

	if (nx_feed_sub_check(s, &why))
		die(why);
	if (n != 0 && n != NX_MOLD_REQUEST_LEN)
		die("request length");
	for (unsigned side = NX_SIDE_BUY; side <= NX_SIDE_SELL; side++) {
		int k = nx_feed_sub_depth(s, probe, side, lv, 8);

		if (k > 4 || (k < 0 && nx_feed_sub_instrument(s, probe, &info) == 0))
			die("depth disagrees with the instrument table");
	}
	if (nx_feed_sub_synced(s, probe) > 1)
		die("synced not 0/1");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nx_feed_sub *s;
	struct nx_feed_pub *p;
	size_t at = 1;

	if (size < 1)
		return 0;
	s = make_sub(data[0]);
	p = make_pub();
	while (at + 3 <= size) {
		unsigned op = data[at];
		size_t len = nx_itch_be16(data + at + 1);
		const uint8_t *b = data + at + 3;
		nx_inst_t probe;

		at += 3;
		if (len > size - at)
			len = size - at;
		at += len;
		probe = len >= 4 ? (nx_inst_t)(b[0] | b[1] << 8) % 12 : 7;
		switch (op & 3) {
		case 0: nx_feed_sub_incremental(s, b, len); break;
		case 1: nx_feed_sub_snapshot(s, b, len); break;
		case 2: nx_feed_pub_request(p, b, len, (struct nx_addr){ 1, 1 }, 100); break;
		default: decode_only(b, len); break;
		}
		if (op & 4)
			nx_feed_sub_give_up(s);
		check_sub(s, probe);
	}
	return 0;
}
