/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the NXM market data feed (include/nx/feed.h, src/feed/);
 * the differential test and the allocation count are in test_feed_diff.c. Expected bytes are written here from docs/market-data.md's
 * tables, byte by byte, not with the library's encoder.
 * - wire: every message encoded and compared with the documented bytes,
 *   decoded back; version tolerance (longer blocks, longer group entries,
 *   trailing bytes); every malformed class, by decoder and counted by a
 *   subscriber; records from engine events;
 * - publisher: configuration limits, packet fill up to max_payload, flush,
 *   heartbeats, end of session, snapshot chunking and pacing, the image's
 *   max_levels overflow, refused records, retransmission answers (in range,
 *   partly out of range, clamped, wrong session, too old, not yet sent);
 * - subscriber: application, gap recovery by retransmission, give-up and
 *   snapshots (replay, pending, too old), a full hold, a broken image, a
 *   late joiner, foreign sessions;
 * With NX_FEED_CORPUS=dir set, test_seed_corpus writes the fuzzer's seeds
 * (tests/fuzz/fuzz_feed.c's input format) there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/book.h"
#include "nx/feed.h"
#include "feed_helpers.h"


/* --- Wire ------------------------------------------------------------------- */

static void test_rec_of(void **state)
{
	struct nx_event ev = { .type = NX_EV_LEVEL };
	struct nx_feed_rec r, want;

	(void)state;
	ev.u.level = (struct nx_ev_level){ .inst = 7, .px = 101, .qty = 30, .count = 2,
					   .side = SELL };
	assert_int_equal(nx_feed_rec_of(&ev, &r), 1);
	want = lvl(7, SELL, 101, 30, 2);
	assert_rec_eq(&r, &want);

	ev.type = NX_EV_TRADE;
	ev.u.trade = (struct nx_ev_trade){ .tid = 99, .inst = 8, .px = 100, .qty = 5,
					   .aggressor = BUY, .maker = { .oid = 1 },
					   .taker = { .oid = 2 } };
	assert_int_equal(nx_feed_rec_of(&ev, &r), 1);
	want = trd(8, BUY, 100, 5, 99);
	assert_rec_eq(&r, &want);

	ev.type = NX_EV_ACCEPTED;
	memset(&r, 0xab, sizeof(r));
	assert_int_equal(nx_feed_rec_of(&ev, &r), 0);
	assert_int_equal(r.type, 0xab); /* untouched */
}

/* The SBE header of docs/market-data.md: blockLength, templateId, schemaId, version. */
static void want_hdr(uint8_t *w, unsigned block, unsigned tpl)
{
	st_le(w, block, 2);
	st_le(w + 2, tpl, 2);
	w[4] = 0x4D; /* 'M': schemaId 0x4E4D little-endian */
	w[5] = 0x4E;
	st_le(w + 6, 4, 2); /* version 4 */
}

static void check_roundtrip(const struct nx_feed_rec *r, const uint8_t *want, size_t len)
{
	uint8_t out[64];
	struct nx_feed_msg m;

	memset(out, 0xee, sizeof(out));
	assert_int_equal(nx_feed_encode_rec(out, sizeof(out), r), len);
	assert_memory_equal(out, want, len);
	assert_int_equal(nx_feed_encode_rec(out, len - 1, r), 0); /* cap one short */
	assert_int_equal(nx_feed_decode(want, len, &m), ld_le(want + 2, 2));
	assert_int_equal(m.version, 4);
	assert_rec_eq(&m.rec, r);
}

static void test_wire_incremental(void **state)
{
	uint8_t w[64];
	struct nx_feed_rec r;

	(void)state;
	/* LevelUpdate: inst @0 le32, orders @4 le32, px @8 le64, qty @16 le64, side @24 */
	r = lvl(0x01020304, SELL, -5, 0x0102030405060708, 7);
	memset(w, 0, sizeof(w));
	want_hdr(w, 25, 1);
	memcpy(w + 8, "\x04\x03\x02\x01" "\x07\x00\x00\x00"
		      "\xfb\xff\xff\xff\xff\xff\xff\xff" "\x08\x07\x06\x05\x04\x03\x02\x01"
		      "\x02", 25);
	check_roundtrip(&r, w, 33);
	r = lvl(9, BUY, 100, 0, 0); /* level removed */
	check_roundtrip(&r, (uint8_t[33]){ 25, 0, 1, 0, 0x4D, 0x4E, 4, 0, 9, 0, 0, 0, 0, 0, 0, 0,
					   100, 0, 0, 0, 0, 0, 0, 0, [32] = 1 }, 33);

	/* Trade: inst @0, aggressor @4, reserved 5-7, tid @8, px @16, qty @24 */
	r = trd(0x0a0b0c0d, BUY, 0x1122334455667788, 3, 0xa1a2a3a4a5a6a7a8);
	memset(w, 0, sizeof(w));
	want_hdr(w, 32, 2);
	memcpy(w + 8, "\x0d\x0c\x0b\x0a" "\x01\x00\x00\x00"
		      "\xa8\xa7\xa6\xa5\xa4\xa3\xa2\xa1" "\x88\x77\x66\x55\x44\x33\x22\x11"
		      "\x03\x00\x00\x00\x00\x00\x00\x00", 32);
	check_roundtrip(&r, w, 40);

	/* BookClear: inst @0, flags @4 (version 3), reserved 5-7 */
	r = clr(0xdeadbeef);
	memset(w, 0, sizeof(w));
	want_hdr(w, 8, 3);
	memcpy(w + 8, "\xef\xbe\xad\xde" "\x00\x00\x00\x00", 8);
	check_roundtrip(&r, w, 16);
	r.n = NX_FEED_CLEAR_TRUNCATED;
	w[12] = 1;
	check_roundtrip(&r, w, 16);
	r.n = 2; /* no such flag: not encoded */
	assert_int_equal(nx_feed_encode_rec(w, sizeof(w), &r), 0);
	assert_int_equal(nx_feed_rec_check(&r), NX_FEED_PUB_BAD_FLAGS);

	/* InstrumentStatus: inst @0, status @4, reserved 5-7 */
	r = sts(0x01020304, NX_STATUS_HALTED);
	memset(w, 0, sizeof(w));
	want_hdr(w, 8, 4);
	memcpy(w + 8, "\x04\x03\x02\x01" "\x02\x00\x00\x00", 8);
	check_roundtrip(&r, w, 16);
	r = sts(5, NX_STATUS_CLOSED);
	check_roundtrip(&r, (uint8_t[16]){ 8, 0, 4, 0, 0x4D, 0x4E, 4, 0, 5, 0, 0, 0, 3 }, 16);

	/* TradesLost (version 4): inst @0, reserved 4-7, count @8, qty @16 */
	r = lost(0x01020304, 0x0102030405060708, 0x1112131415161718);
	memset(w, 0, sizeof(w));
	want_hdr(w, 24, 5);
	memcpy(w + 8, "\x04\x03\x02\x01" "\x00\x00\x00\x00"
		      "\x08\x07\x06\x05\x04\x03\x02\x01" "\x18\x17\x16\x15\x14\x13\x12\x11", 24);
	check_roundtrip(&r, w, 32);
	r = lost(7, 0, 5); /* announces nothing: neither encoded nor published */
	assert_int_equal(nx_feed_encode_rec(w, sizeof(w), &r), 0);
	assert_int_equal(nx_feed_rec_check(&r), NX_FEED_PUB_BAD_QTY);
	r = lost(7, 3, 0);
	assert_int_equal(nx_feed_rec_check(&r), NX_FEED_PUB_BAD_QTY);
	r = lost(7, 3, -1);
	assert_int_equal(nx_feed_rec_check(&r), NX_FEED_PUB_BAD_QTY);

	/* Invalid records are not encoded. */
	r = lvl(7, 3, 100, 1, 1);
	assert_int_equal(nx_feed_encode_rec(w, sizeof(w), &r), 0);
	r = sts(7, 0);
	assert_int_equal(nx_feed_encode_rec(w, sizeof(w), &r), 0);
	r = sts(7, NX_STATUS_CLOSED + 1);
	assert_int_equal(nx_feed_encode_rec(w, sizeof(w), &r), 0);
}

static void test_wire_snapshot(void **state)
{
	uint8_t out[128], w[128];
	const struct nx_feed_snap h = { .inst = 0x01020304, .chunk = 1, .chunks = 2,
					.last_seq = 0x1122334455667788, .flags = 1,
					.status = NX_STATUS_HALTED };
	struct nx_level_info a = { .px = 100, .qty = 0x0102030405060708, .count = 3 };
	struct nx_level_info b = { .px = -2, .qty = 9, .count = 0x0a0b0c0d };
	struct nx_feed_msg m;
	struct nx_feed_level l;
	size_t len;

	(void)state;
	len = nx_feed_encode_snap(out, sizeof(out), &h);
	assert_int_equal(len, 30);
	assert_int_equal(nx_feed_snap_put(out, sizeof(out), &len, BUY, &a), 0);
	assert_int_equal(nx_feed_snap_put(out, sizeof(out), &len, SELL, &b), 0);
	assert_int_equal(len, 30 + 2 * 21);

	/* Block: inst @0, chunk @4, chunks @6, lastSeq @8, flags @16, status
	 * @17; then groupSize {blockLength 21, numInGroup}; entries px @0,
	 * qty @8, orders @16, side @20. */
	memset(w, 0, sizeof(w));
	want_hdr(w, 18, 10);
	memcpy(w + 8, "\x04\x03\x02\x01" "\x01\x00" "\x02\x00"
		      "\x88\x77\x66\x55\x44\x33\x22\x11" "\x01" "\x02", 18);
	memcpy(w + 26, "\x15\x00\x02\x00", 4);
	memcpy(w + 30, "\x64\x00\x00\x00\x00\x00\x00\x00" "\x08\x07\x06\x05\x04\x03\x02\x01"
		       "\x03\x00\x00\x00" "\x01", 21);
	memcpy(w + 51, "\xfe\xff\xff\xff\xff\xff\xff\xff" "\x09\x00\x00\x00\x00\x00\x00\x00"
		       "\x0d\x0c\x0b\x0a" "\x02", 21);
	assert_memory_equal(out, w, len);

	assert_int_equal(nx_feed_decode(w, len, &m), NX_FEED_TPL_SNAPSHOT_LEVELS);
	assert_int_equal(m.snap.inst, h.inst);
	assert_int_equal(m.snap.chunk, 1);
	assert_int_equal(m.snap.chunks, 2);
	assert_int_equal(m.snap.last_seq, h.last_seq);
	assert_int_equal(m.snap.flags, NX_FEED_SNAP_INCOMPLETE);
	assert_int_equal(m.snap.status, NX_STATUS_HALTED);
	assert_int_equal(m.nlevels, 2);
	nx_feed_msg_level(&m, 0, &l);
	assert_int_equal(l.side, BUY);
	assert_int_equal(l.lv.px, 100);
	assert_int_equal(l.lv.qty, a.qty);
	assert_int_equal(l.lv.count, 3);
	nx_feed_msg_level(&m, 1, &l);
	assert_int_equal(l.side, SELL);
	assert_int_equal(l.lv.px, -2);
	assert_int_equal(l.lv.count, 0x0a0b0c0d);

	/* The builder refuses bad entries and a full buffer, writing nothing. */
	assert_int_equal(nx_feed_snap_put(out, sizeof(out), &len, 3, &a), -EINVAL);
	b.qty = 0;
	assert_int_equal(nx_feed_snap_put(out, sizeof(out), &len, BUY, &b), -EINVAL);
	b.qty = 1;
	b.count = 0;
	assert_int_equal(nx_feed_snap_put(out, sizeof(out), &len, BUY, &b), -EINVAL);
	assert_int_equal(nx_feed_snap_put(out, len + 20, &len, BUY, &a), -ENOSPC);
	assert_int_equal(len, 72);
	assert_int_equal(nx_feed_encode_snap(out, 29, &h), 0);
}

/* Newer versions: longer blocks, longer entries, bytes after the message. */
static void test_wire_versions(void **state)
{
	uint8_t w[160];
	struct nx_feed_msg m;
	struct nx_feed_level l;
	struct nx_feed_rec want = lvl(7, BUY, 100, 5, 2);

	(void)state;
	memset(w, 0xcc, sizeof(w)); /* new fields: any bytes */
	want_hdr(w, 33, 1);
	st_le(w + 6, 2, 2); /* version 2 */
	st_le(w + 8, 7, 4);
	st_le(w + 12, 2, 4);
	st_le(w + 16, 100, 8);
	st_le(w + 24, 5, 8);
	w[32] = BUY;
	assert_int_equal(nx_feed_decode(w, 8 + 33 + 6, &m), NX_FEED_TPL_LEVEL_UPDATE);
	assert_int_equal(m.version, 2);
	assert_rec_eq(&m.rec, &want);

	/* SnapshotLevels, later: a 20-byte block and 25-byte entries, then more. */
	memset(w, 0xcc, sizeof(w));
	want_hdr(w, 20, 10);
	st_le(w + 6, 3, 2); /* version 3 */
	w[25] = NX_STATUS_OPEN;
	st_le(w + 8, 7, 4);
	st_le(w + 12, 0, 2);
	st_le(w + 14, 1, 2);
	st_le(w + 16, 42, 8);
	w[24] = 0;
	st_le(w + 28, 25, 2);
	st_le(w + 30, 2, 2);
	for (unsigned i = 0; i < 2; i++) {
		uint8_t *e = w + 32 + 25 * i;

		st_le(e, 100 - i, 8);
		st_le(e + 8, 10 + i, 8);
		st_le(e + 16, 1 + i, 4);
		e[20] = BUY;
	}
	assert_int_equal(nx_feed_decode(w, 32 + 50 + 9, &m), NX_FEED_TPL_SNAPSHOT_LEVELS);
	assert_int_equal(m.snap.last_seq, 42);
	assert_int_equal(m.snap.status, NX_STATUS_OPEN);
	assert_int_equal(m.nlevels, 2);
	assert_int_equal(m.level_stride, 25);
	nx_feed_msg_level(&m, 1, &l);
	assert_int_equal(l.lv.px, 99);
	assert_int_equal(l.lv.qty, 11);
	assert_int_equal(l.lv.count, 2);

	/* BookClear before version 3: a 4-byte block, no flags. A later
	 * version's flag bits are ignored. */
	memset(w, 0xcc, sizeof(w));
	want_hdr(w, 4, 3);
	st_le(w + 6, 2, 2);
	st_le(w + 8, 9, 4);
	assert_int_equal(nx_feed_decode(w, 12, &m), NX_FEED_TPL_BOOK_CLEAR);
	assert_int_equal(m.rec.inst, 9);
	assert_int_equal(m.rec.n, 0);
	want_hdr(w, 8, 3);
	st_le(w + 6, 4, 2);
	w[12] = 0xff;
	assert_int_equal(nx_feed_decode(w, 16, &m), NX_FEED_TPL_BOOK_CLEAR);
	assert_int_equal(m.rec.n, NX_FEED_CLEAR_TRUNCATED);

	/* TradesLost, later: a longer block, its new bytes skipped. */
	memset(w, 0xcc, sizeof(w));
	want_hdr(w, 28, 5);
	st_le(w + 6, 5, 2);
	st_le(w + 8, 9, 4);
	st_le(w + 16, 3, 8);
	st_le(w + 24, 12, 8);
	assert_int_equal(nx_feed_decode(w, 8 + 28, &m), NX_FEED_TPL_TRADES_LOST);
	want = lost(9, 3, 12);
	assert_rec_eq(&m.rec, &want);

	/* SnapshotLevels version 1: a 17-byte block, no status (0: not known). */
	memset(w, 0, sizeof(w));
	want_hdr(w, 17, 10);
	st_le(w + 6, 1, 2);
	st_le(w + 8, 7, 4);
	st_le(w + 14, 1, 2);
	st_le(w + 16, 42, 8);
	st_le(w + 25, 21, 2);
	st_le(w + 27, 1, 2);
	st_le(w + 29, 100, 8);
	st_le(w + 37, 10, 8);
	st_le(w + 45, 1, 4);
	w[49] = SELL;
	assert_int_equal(nx_feed_decode(w, 50, &m), NX_FEED_TPL_SNAPSHOT_LEVELS);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.snap.status, 0);
	assert_int_equal(m.nlevels, 1);
	nx_feed_msg_level(&m, 0, &l);
	assert_int_equal(l.side, SELL);
	assert_int_equal(l.lv.qty, 10);
}

/* --- Malformed messages: each class, by the decoder and by a subscriber --- */

struct bad {
	uint8_t b[96];
	size_t len;
	int err;
};

static size_t mk_level(uint8_t *w, nx_inst_t inst, unsigned side, int64_t px, int64_t qty,
		       uint32_t orders)
{
	struct nx_feed_rec r = lvl(inst, 1, px, 1, 1);
	size_t n = nx_feed_encode_rec(w, 64, &r);

	st_le(w + 12, orders, 4); /* then break the fields by hand */
	st_le(w + 24, (uint64_t)qty, 8);
	w[32] = (uint8_t)side;
	return n;
}

static size_t mk_snap(uint8_t *w, uint16_t chunk, uint16_t chunks, unsigned nlev)
{
	struct nx_feed_snap h = { .inst = 7, .chunk = chunk, .chunks = chunks, .last_seq = 1 };
	struct nx_level_info l = { .px = 100, .qty = 5, .count = 1 };
	size_t len;

	len = nx_feed_encode_snap(w, 96, &h); /* the encoder does not judge chunks */
	for (unsigned i = 0; i < nlev; i++, l.px--)
		nx_feed_snap_put(w, 96, &len, BUY, &l);
	return len;
}

static unsigned make_bad(struct bad *t)
{
	unsigned n = 0;
	struct nx_feed_rec tr = trd(7, BUY, 100, 1, 1), cl = clr(7), st = sts(7, NX_STATUS_OPEN);
	struct nx_feed_rec tl = lost(7, 2, 10);

	/* An expression, so that a case can be broken further after a comma. */
#define BAD(expr_len, e) (t[n].len = (expr_len), t[n].err = NX_FEED_ERR_##e, n++)
	BAD(0, SHORT);
	BAD(mk_level(t[n].b, 7, BUY, 100, 1, 1) - 26, SHORT); /* 7 bytes */
	BAD(mk_level(t[n].b, 7, BUY, 100, 1, 1), BAD_SCHEMA), t[n - 1].b[5] = 0x4F;
	BAD(mk_level(t[n].b, 7, BUY, 100, 1, 1), UNKNOWN_TEMPLATE), t[n - 1].b[2] = 6;
	BAD(mk_level(t[n].b, 7, BUY, 100, 1, 1), UNKNOWN_TEMPLATE), t[n - 1].b[2] = 0;
	BAD(mk_level(t[n].b, 7, BUY, 100, 1, 1), BLOCK_SHORT), t[n - 1].b[0] = 24;
	BAD(mk_snap(t[n].b, 0, 1, 0), BLOCK_SHORT), t[n - 1].b[0] = 16;
	BAD(nx_feed_encode_rec(t[n].b, 96, &tr), BLOCK_SHORT), t[n - 1].b[0] = 31;
	BAD(nx_feed_encode_rec(t[n].b, 96, &st), BLOCK_SHORT), t[n - 1].b[0] = 7;
	BAD(nx_feed_encode_rec(t[n].b, 96, &st) - 1, TRUNCATED);
	BAD(mk_level(t[n].b, 7, BUY, 100, 1, 1) - 1, TRUNCATED);
	BAD(nx_feed_encode_rec(t[n].b, 96, &cl) - 1, TRUNCATED);
	BAD(mk_level(t[n].b, 7, BUY, 100, 1, 1), TRUNCATED), t[n - 1].b[0] = 26;
	BAD(mk_snap(t[n].b, 0, 1, 0) - 4, TRUNCATED);  /* no group header */
	BAD(mk_snap(t[n].b, 0, 1, 1), GROUP_SHORT), t[n - 1].b[26] = 20;
	BAD(mk_snap(t[n].b, 0, 1, 2) - 1, GROUP_TRUNCATED);
	BAD(mk_snap(t[n].b, 0, 1, 1), GROUP_TRUNCATED), t[n - 1].b[28] = 2;
	BAD(mk_level(t[n].b, 7, 0, 100, 1, 1), BAD_FIELD);
	BAD(mk_level(t[n].b, 7, 3, 100, 1, 1), BAD_FIELD);
	BAD(mk_level(t[n].b, 7, BUY, 100, -1, 1), BAD_FIELD);
	BAD(mk_level(t[n].b, 7, BUY, 100, 0, 1), BAD_FIELD);
	BAD(mk_level(t[n].b, 7, BUY, 100, 5, 0), BAD_FIELD);
	BAD(mk_level(t[n].b, 7, BUY, 100, 5, 1), BAD_FIELD), st_le(t[n - 1].b + 8, 0, 4);
	BAD(nx_feed_encode_rec(t[n].b, 96, &tr), BAD_FIELD), t[n - 1].b[32] = 0; /* qty 0 */
	BAD(nx_feed_encode_rec(t[n].b, 96, &tr), BAD_FIELD), t[n - 1].b[12] = 9; /* side */
	BAD(nx_feed_encode_rec(t[n].b, 96, &cl), BAD_FIELD), st_le(t[n - 1].b + 8, 0, 4);
	BAD(nx_feed_encode_rec(t[n].b, 96, &st), BAD_FIELD), t[n - 1].b[12] = 0; /* status */
	BAD(nx_feed_encode_rec(t[n].b, 96, &st), BAD_FIELD), t[n - 1].b[12] = 4;
	BAD(nx_feed_encode_rec(t[n].b, 96, &st), BAD_FIELD), st_le(t[n - 1].b + 8, 0, 4);
	BAD(mk_snap(t[n].b, 0, 1, 1), BAD_FIELD), t[n - 1].b[25] = 4;       /* status */
	BAD(mk_snap(t[n].b, 2, 2, 1), BAD_FIELD);
	BAD(mk_snap(t[n].b, 0, 0, 1), BAD_FIELD);
	BAD(mk_snap(t[n].b, 0, 1, 1), BAD_FIELD), t[n - 1].b[30 + 20] = 0;  /* entry side */
	BAD(mk_snap(t[n].b, 0, 1, 1), BAD_FIELD), t[n - 1].b[30 + 8] = 0;   /* entry qty 0 */
	BAD(mk_snap(t[n].b, 0, 1, 1), BAD_FIELD), t[n - 1].b[30 + 15] = 0x80; /* qty < 0 */
	BAD(mk_snap(t[n].b, 0, 1, 1), BAD_FIELD), t[n - 1].b[30 + 16] = 0;  /* orders 0 */
	BAD(mk_snap(t[n].b, 0, 1, 1), BAD_FIELD), st_le(t[n - 1].b + 8, 0, 4);
	/* TradesLost: 24-byte block; count and qty > 0, instrument not 0 */
	BAD(nx_feed_encode_rec(t[n].b, 96, &tl), BLOCK_SHORT), t[n - 1].b[0] = 23;
	BAD(nx_feed_encode_rec(t[n].b, 96, &tl) - 1, TRUNCATED);
	BAD(nx_feed_encode_rec(t[n].b, 96, &tl), BAD_FIELD), t[n - 1].b[16] = 0; /* count 0 */
	BAD(nx_feed_encode_rec(t[n].b, 96, &tl), BAD_FIELD), t[n - 1].b[24] = 0; /* qty 0 */
	BAD(nx_feed_encode_rec(t[n].b, 96, &tl), BAD_FIELD), t[n - 1].b[31] = 0x80; /* qty < 0 */
	BAD(nx_feed_encode_rec(t[n].b, 96, &tl), BAD_FIELD), st_le(t[n - 1].b + 8, 0, 4);
#undef BAD
	return n;
}

static void test_wire_malformed(void **state)
{
	struct bad t[48];
	unsigned n = make_bad(t);
	uint64_t want[NX_FEED_ERR_MAX] = { 0 };
	struct nx_feed_sub *s = nx_feed_sub_create(&(struct nx_feed_sub_config){
		.max_instruments = 4, .max_levels = 8, .from_start = 1 });
	struct nx_feed_msg m;
	struct pk inc, snp;
	uint8_t ok[64];
	size_t len;
	const char *why;

	(void)state;
	assert_true(n <= NX_ARRAY_SIZE(t));
	assert_non_null(s);
	pk_start(&inc, FH_SESS, 1);
	pk_start(&snp, FH_SESS, 1);
	for (unsigned i = 0; i < n; i++) {
		int rc = nx_feed_decode(t[i].b, t[i].len, &m);

		if (rc != t[i].err)
			fail_msg("case %u: %s, want %s", i, nx_feed_err_name(rc),
				 nx_feed_err_name(t[i].err));
		want[-t[i].err] += 2;
		pk_add(&inc, t[i].b, t[i].len);
		pk_add(&snp, t[i].b, t[i].len);
	}
	/* Valid messages on the wrong channel. */
	len = mk_level(ok, 7, BUY, 100, 5, 1);
	pk_add(&snp, ok, len);
	len = mk_snap(ok, 0, 1, 1);
	pk_add(&inc, ok, len);
	assert_int_equal(nx_feed_sub_incremental(s, inc.b, inc.n), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_snapshot(s, snp.b, snp.n), NX_MOLD_DATA);
	for (int e = 1; e < NX_FEED_ERR_MAX; e++) {
		assert_int_equal(nx_feed_sub_stats(s)->errs[e], want[e]);
		assert_true(want[e] > 0); /* every class exercised */
	}
	assert_int_equal(nx_feed_sub_stats(s)->wrong_channel, 2);
	assert_int_equal(nx_feed_sub_stats(s)->applied, 0);
	assert_int_equal(nx_feed_sub_depth(s, 7, BUY, (struct nx_level_info[1]){ 0 }, 1), -ENOENT);
	assert_int_equal(nx_feed_sub_check(s, &why), 0);

	assert_string_equal(nx_feed_err_name(NX_FEED_ERR_GROUP_SHORT), "GROUP_SHORT");
	assert_string_equal(nx_feed_err_name(0), "?");
	assert_string_equal(nx_feed_err_name(-NX_FEED_ERR_MAX), "?");
	assert_string_equal(nx_feed_pub_drop_name(NX_FEED_PUB_REQ_TOO_OLD), "REQ_TOO_OLD");
	assert_string_equal(nx_feed_pub_drop_name(1), "?");
	assert_non_null(strstr(nx_feed_err_text(NX_FEED_ERR_BAD_SCHEMA), "0x4E4D"));
	nx_feed_sub_destroy(s);
}

/* --- Publisher -------------------------------------------------------------- */

static struct cap *cap_new(void)
{
	struct cap *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	return c;
}

static struct nx_feed_pub *mk_pub(struct cap *c, const struct nx_feed_pub_config *cfg)
{
	struct nx_feed_pub *p = nx_feed_pub_create(cfg, cap_send, c);

	assert_non_null(p);
	return p;
}

/* Decode message k of captured packet i. */
static int cap_decode(const struct cap *c, size_t i, unsigned k, struct nx_feed_msg *m)
{
	size_t len;
	const uint8_t *b = cap_msg(&c->p[i], k, &len);

	return nx_feed_decode(b, len, m);
}

/* Regression (session 13): every start of the appliance published as
 * "NANOEX", so a subscriber of the last run took the new run's numbers as
 * its own session's and spliced them onto its books. */
static void test_session_name(void **state)
{
	char s[10];
	const uint64_t d8 = UINT64_C(2821109907456); /* 36^8 */

	(void)state;
	nx_feed_session_name(s, 0);
	assert_memory_equal(s, "NX00000000", 10);
	nx_feed_session_name(s, 35);
	assert_memory_equal(s, "NX0000000Z", 10);
	nx_feed_session_name(s, 36);
	assert_memory_equal(s, "NX00000010", 10);
	nx_feed_session_name(s, d8 - 1);
	assert_memory_equal(s, "NXZZZZZZZZ", 10);
	nx_feed_session_name(s, d8);
	assert_memory_equal(s, "NX00000000", 10);
	nx_feed_session_name(s, UINT64_C(1795000000000)); /* 2026-11-18 */
	assert_memory_equal(s, "NXMWM0NK74", 10);
	/* One millisecond apart: another session. */
	char t[10];
	nx_feed_session_name(t, UINT64_C(1795000000001));
	assert_memory_not_equal(s, t, 10);
}

static void test_pub_config(void **state)
{
	const nx_inst_t dup[2] = { 7, 7 }, zero[2] = { 7, 0 };
	struct nx_feed_pub_config c = pub_cfg();
	size_t n;
	void *mem;

	(void)state;
	assert_true(nx_feed_pub_memsize(&c) > 0);
	assert_int_equal(nx_feed_pub_memsize(NULL), 0);
#define BADCFG(stmt)                                                           \
	do {                                                                   \
		c = pub_cfg();                                                 \
		stmt;                                                          \
		assert_int_equal(nx_feed_pub_memsize(&c), 0);                  \
		errno = 0;                                                     \
		assert_null(nx_feed_pub_create(&c, cap_send, NULL));           \
		assert_int_equal(errno, EINVAL);                               \
	} while (0)
	BADCFG(c.ninstruments = 0);
	BADCFG(c.instruments = NULL);
	BADCFG(c.instruments = zero; c.ninstruments = 2);
	BADCFG(c.ninstruments = NX_FEED_MAX_INSTRUMENTS + 1);
	BADCFG(c.max_levels = 0);
	BADCFG(c.max_levels = NX_FEED_MAX_LEVELS + 1);
	BADCFG(c.history = 0);
	BADCFG(c.history = NX_FEED_MAX_HISTORY + 1);
	BADCFG(c.max_payload = NX_FEED_PAYLOAD_MIN - 1);
	BADCFG(c.max_payload = NX_FEED_PAYLOAD_MAX + 1);
	/* 73 bytes carry one level per snapshot packet: 2 x 40000 > 65535 chunks */
	BADCFG(c.max_payload = 73; c.max_levels = 40000);
	BADCFG(c.retrans_rate = NX_FEED_MAX_RETRANS_RATE + 1);
	BADCFG(c.retrans_total_rate = NX_FEED_MAX_RETRANS_RATE + 1);
#undef BADCFG
	c = pub_cfg();
	c.max_payload = 73;
	c.max_levels = 32767;
	assert_true(nx_feed_pub_memsize(&c) > 0);
	c.max_payload = 0; /* the default */
	assert_true(nx_feed_pub_memsize(&c) > 0);

	/* Duplicates are found at init; bad memory, length or callback too. */
	c = pub_cfg();
	c.instruments = dup;
	c.ninstruments = 2;
	assert_true(nx_feed_pub_memsize(&c) > 0);
	assert_null(nx_feed_pub_create(&c, cap_send, NULL));
	c = pub_cfg();
	n = nx_feed_pub_memsize(&c);
	mem = aligned_alloc(64, n + 64);
	assert_null(nx_feed_pub_init(mem, n - 1, &c, cap_send, NULL));
	assert_null(nx_feed_pub_init(mem, n, &c, NULL, NULL));
	assert_null(nx_feed_pub_init((char *)mem + 8, n, &c, cap_send, NULL));
	assert_null(nx_feed_pub_init(NULL, n, &c, cap_send, NULL));
	assert_ptr_equal(nx_feed_pub_init(mem, n, &c, cap_send, NULL), mem);
	free(mem);
	nx_feed_pub_destroy(NULL);
}

static void test_sub_config(void **state)
{
	struct nx_feed_sub_config c = sub_cfg();
	size_t n;
	void *mem;

	(void)state;
	assert_true(nx_feed_sub_memsize(&c) > 0);
	assert_int_equal(nx_feed_sub_memsize(NULL), 0);
#define BADCFG(stmt)                                                           \
	do {                                                                   \
		c = sub_cfg();                                                 \
		stmt;                                                          \
		assert_int_equal(nx_feed_sub_memsize(&c), 0);                  \
		errno = 0;                                                     \
		assert_null(nx_feed_sub_create(&c));                           \
		assert_int_equal(errno, EINVAL);                               \
	} while (0)
	BADCFG(c.max_instruments = 0);
	BADCFG(c.max_instruments = NX_FEED_MAX_INSTRUMENTS + 1);
	BADCFG(c.max_levels = 0);
	BADCFG(c.max_levels = NX_FEED_MAX_LEVELS + 1);
	BADCFG(c.hold_pkts = NX_FEED_MAX_HOLD + 1);
	BADCFG(c.replay_msgs = NX_FEED_MAX_REPLAY + 1);
	BADCFG(c.max_payload = NX_FEED_PAYLOAD_MIN - 1);
	BADCFG(c.max_payload = NX_FEED_PAYLOAD_MAX + 1);
#undef BADCFG
	c = sub_cfg();
	c.hold_pkts = 0;
	c.replay_msgs = 0;
	assert_true(nx_feed_sub_memsize(&c) > 0);
	n = nx_feed_sub_memsize(&c);
	mem = aligned_alloc(64, n + 64);
	assert_null(nx_feed_sub_init(mem, n - 1, &c));
	assert_null(nx_feed_sub_init((char *)mem + 8, n, &c));
	assert_ptr_equal(nx_feed_sub_init(mem, n, &c), mem);
	free(mem);
	nx_feed_sub_destroy(NULL);
}

static void test_pub_fill(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_rec r;
	struct nx_feed_msg m;

	(void)state;
	cfg.max_payload = 200; /* 20 + 5 x (2 + 33) = 195: five LevelUpdates a packet */
	p = mk_pub(c, &cfg);
	for (unsigned i = 0; i < 12; i++) {
		r = lvl(7, BUY, 100 - i, 1 + i, 1);
		nx_feed_pub_rec(p, &r, i);
		/* sent as soon as no message could follow (5 bytes left < 2 + 12) */
		assert_int_equal(c->n, (i + 1) / 5);
	}
	nx_feed_pub_flush(p, 100);
	nx_feed_pub_flush(p, 101); /* nothing open: nothing sent */
	assert_int_equal(c->n, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(c->p[i].ch, NX_FEED_INCREMENTAL);
		assert_int_equal(c->p[i].to.ip, 0);
		assert_memory_equal(c->p[i].b, FH_SESS, 10);
		assert_int_equal(cap_seq(&c->p[i]), 1 + 5 * i);
		assert_int_equal(cap_count(&c->p[i]), i < 2 ? 5 : 2);
		assert_int_equal(c->p[i].len, 20 + cap_count(&c->p[i]) * 35);
		for (unsigned k = 0; k < cap_count(&c->p[i]); k++) {
			unsigned j = 5 * i + k;

			assert_int_equal(cap_decode(c, i, k, &m), NX_FEED_TPL_LEVEL_UPDATE);
			r = lvl(7, BUY, 100 - j, 1 + j, 1);
			assert_rec_eq(&m.rec, &r);
		}
	}
	/* Four levels leave 40 bytes: a trade (2 + 40) goes to the next packet. */
	for (unsigned i = 0; i < 4; i++) {
		r = lvl(8, SELL, 200 + i, 1, 1);
		nx_feed_pub_rec(p, &r, 200);
	}
	assert_int_equal(c->n, 3);
	r = trd(8, BUY, 200, 1, 5);
	nx_feed_pub_rec(p, &r, 201);
	assert_int_equal(c->n, 4);
	assert_int_equal(cap_seq(&c->p[3]), 13);
	assert_int_equal(cap_count(&c->p[3]), 4);
	nx_feed_pub_flush(p, 202);
	assert_int_equal(cap_seq(&c->p[4]), 17);
	assert_int_equal(cap_decode(c, 4, 0, &m), NX_FEED_TPL_TRADE);
	assert_int_equal(nx_feed_pub_stats(p)->msgs, 17);
	assert_int_equal(nx_feed_pub_stats(p)->recs[NX_FEED_REC_LEVEL], 16);
	assert_int_equal(nx_feed_pub_stats(p)->recs[NX_FEED_REC_TRADE], 1);
	assert_int_equal(nx_feed_pub_stats(p)->pkts[NX_FEED_INCREMENTAL], 5);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_pub_heartbeat(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_rec r = lvl(7, BUY, 100, 1, 1);

	(void)state;
	cfg.heartbeat_ns = 1000;
	p = mk_pub(c, &cfg);
	nx_feed_pub_poll(p, 0);
	nx_feed_pub_poll(p, 999);
	assert_int_equal(c->n, 0);
	nx_feed_pub_poll(p, 1000);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->p[0].len, 20);
	assert_int_equal(cap_seq(&c->p[0]), 1); /* the next message's number */
	assert_int_equal(cap_count(&c->p[0]), 0);
	/* An open packet idle for heartbeat_ns is sent instead of a heartbeat. */
	nx_feed_pub_rec(p, &r, 1500);
	nx_feed_pub_poll(p, 1999);
	assert_int_equal(c->n, 1);
	nx_feed_pub_poll(p, 2000);
	assert_int_equal(c->n, 2);
	assert_int_equal(cap_count(&c->p[1]), 1);
	nx_feed_pub_poll(p, 2999);
	assert_int_equal(c->n, 2);
	nx_feed_pub_poll(p, 3000);
	assert_int_equal(c->n, 3);
	assert_int_equal(cap_seq(&c->p[2]), 2);
	assert_int_equal(cap_count(&c->p[2]), 0);
	/* Time going backwards sends nothing. */
	nx_feed_pub_poll(p, 10);
	assert_int_equal(c->n, 3);
	assert_int_equal(nx_feed_pub_stats(p)->heartbeats, 2);
	nx_feed_pub_destroy(p);

	/* heartbeat_ns 0: never. */
	cfg.heartbeat_ns = 0;
	c->n = 0;
	p = mk_pub(c, &cfg);
	nx_feed_pub_poll(p, 1000000000);
	assert_int_equal(c->n, 0);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_pub_end(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_rec r = lvl(7, BUY, 100, 1, 1);
	uint8_t req[20];

	(void)state;
	cfg.heartbeat_ns = 1000;
	cfg.snapshot_ns = 3000;
	p = mk_pub(c, &cfg);
	nx_feed_pub_rec(p, &r, 10);
	nx_feed_pub_end(p, 20);
	assert_int_equal(c->n, 2);
	assert_int_equal(cap_count(&c->p[0]), 1);
	assert_int_equal(c->p[1].len, 20);
	assert_int_equal(cap_seq(&c->p[1]), 2);
	assert_int_equal(cap_count(&c->p[1]), 0xffff);
	nx_feed_pub_rec(p, &r, 30);
	nx_feed_pub_flush(p, 30);
	assert_int_equal(c->n, 2);
	assert_int_equal(nx_feed_pub_stats(p)->drops[-NX_FEED_PUB_AFTER_END], 1);
	assert_int_equal(nx_feed_pub_stats(p)->msgs, 1);
	/* Idle: the end packet is repeated, no snapshot is sent. */
	nx_feed_pub_poll(p, 1020);
	assert_int_equal(c->n, 3);
	assert_int_equal(cap_count(&c->p[2]), 0xffff);
	assert_int_equal(c->p[2].ch, NX_FEED_INCREMENTAL);
	nx_feed_pub_end(p, 1030);
	assert_int_equal(c->n, 4);
	assert_int_equal(nx_feed_pub_stats(p)->ends, 3);
	/* Retransmission still works. */
	nx_mold_request_build(req, sizeof(req), FH_SESS, 1, 1);
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ 1, 2 }, 1040), 1);
	nx_feed_pub_destroy(p);
	free(c);
}

/* Levels of all chunks of the image in packets [from, from + n). */
static unsigned snap_levels(const struct cap *c, size_t from, unsigned chunks, nx_inst_t inst,
			    uint64_t last_seq, uint8_t flags, struct nx_feed_level *out)
{
	struct nx_feed_msg m;
	unsigned n = 0;

	for (unsigned i = 0; i < chunks; i++) {
		const struct cap_pkt *pk = &c->p[from + i];

		assert_int_equal(pk->ch, NX_FEED_SNAPSHOT);
		assert_int_equal(cap_count(pk), 1);
		assert_int_equal(cap_decode(c, from + i, 0, &m), NX_FEED_TPL_SNAPSHOT_LEVELS);
		assert_int_equal(m.snap.inst, inst);
		assert_int_equal(m.snap.chunk, i);
		assert_int_equal(m.snap.chunks, chunks);
		assert_int_equal(m.snap.last_seq, last_seq);
		assert_int_equal(m.snap.flags, flags);
		for (unsigned k = 0; k < m.nlevels; k++)
			nx_feed_msg_level(&m, k, &out[n++]);
	}
	return n;
}

static void test_pub_snapshot(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_level l[64];
	struct nx_feed_rec r;
	size_t at;

	(void)state;
	cfg.max_payload = 200; /* (200 - 22 - 29) / 21 = 7 levels per snapshot packet */
	cfg.snapshot_ns = 3000; /* three instruments: one every 1000 ns */
	p = mk_pub(c, &cfg);
	for (unsigned i = 0; i < 6; i++) { /* asks worst first, bids best first */
		r = lvl(7, SELL, 106 - i, 10 + i, 1 + i);
		nx_feed_pub_rec(p, &r, 0);
	}
	for (unsigned i = 0; i < 10; i++) {
		r = lvl(7, BUY, 100 - i, 20 + i, 2);
		nx_feed_pub_rec(p, &r, 0);
	}
	at = c->n;
	nx_feed_pub_poll(p, 0); /* the open packet first, then the image */
	assert_int_equal(c->n, at + 1 + 3);
	assert_int_equal(c->p[at].ch, NX_FEED_INCREMENTAL);
	assert_int_equal(snap_levels(c, at + 1, 3, 7, 16, 0, l), 16);
	for (unsigned i = 0; i < 16; i++) {
		assert_int_equal(l[i].side, i < 10 ? BUY : SELL);
		assert_int_equal(l[i].lv.px, i < 10 ? 100 - (int)i : 101 + (int)(i - 10));
		assert_int_equal(l[i].lv.qty, i < 10 ? 20 + (int)i : 10 + (int)(15 - i));
	}
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(cap_seq(&c->p[at + 1 + i]), 1 + i); /* its own numbering */

	at = c->n;
	nx_feed_pub_poll(p, 999);
	assert_int_equal(c->n, at);
	nx_feed_pub_poll(p, 1000); /* an empty book: one chunk, no level */
	assert_int_equal(c->n, at + 1);
	assert_int_equal(snap_levels(c, at, 1, 8, 16, 0, l), 0);
	assert_int_equal(cap_seq(&c->p[at]), 4);
	nx_feed_pub_poll(p, 2000);
	assert_int_equal(snap_levels(c, at + 1, 1, 9, 16, 0, l), 0);
	r = lvl(7, BUY, 90, 1, 1);
	nx_feed_pub_rec(p, &r, 2500);
	at = c->n;
	nx_feed_pub_poll(p, 3000); /* the cycle again: 7 has 17 levels now */
	assert_int_equal(c->n, at + 1 + 3);
	assert_int_equal(snap_levels(c, at + 1, 3, 7, 17, 0, l), 17);
	/* Late by 1.5 steps: both due ones; more than a cycle: restart from now. */
	at = c->n;
	nx_feed_pub_poll(p, 5500);
	assert_int_equal(c->n, at + 2);
	snap_levels(c, at, 1, 8, 17, 0, l);
	snap_levels(c, at + 1, 1, 9, 17, 0, l);
	at = c->n;
	nx_feed_pub_poll(p, 100000);
	assert_int_equal(c->n, at + 3);
	nx_feed_pub_poll(p, 100999);
	assert_int_equal(c->n, at + 3);
	nx_feed_pub_poll(p, 101000);
	assert_int_equal(c->n, at + 4);
	assert_int_equal(nx_feed_pub_stats(p)->snapshots, 8);
	assert_int_equal(nx_feed_pub_stats(p)->pkts[NX_FEED_SNAPSHOT], 14);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_pub_overflow(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_level l[8];
	const nx_px_t px[5] = { 100, 99, 98, 97, 101 };
	struct nx_feed_rec r;

	(void)state;
	cfg.max_levels = 3;
	cfg.snapshot_ns = 3000;
	p = mk_pub(c, &cfg);
	for (unsigned i = 0; i < 5; i++) {
		r = lvl(7, BUY, px[i], 5, 1);
		nx_feed_pub_rec(p, &r, 0);
	}
	/* 97 ranked last: dropped; 101 pushed 98 out. Both still published. */
	assert_int_equal(nx_feed_pub_stats(p)->level_overflow, 2);
	r = lvl(7, BUY, 98, 0, 0);
	nx_feed_pub_rec(p, &r, 0);
	assert_int_equal(nx_feed_pub_stats(p)->level_unknown, 1);
	assert_int_equal(nx_feed_pub_stats(p)->msgs, 6);
	c->n = 0;
	nx_feed_pub_poll(p, 0);
	assert_int_equal(snap_levels(c, 1, 1, 7, 6, NX_FEED_SNAP_INCOMPLETE, l), 3);
	assert_int_equal(l[0].lv.px, 101);
	assert_int_equal(l[1].lv.px, 100);
	assert_int_equal(l[2].lv.px, 99);
	nx_feed_pub_poll(p, 1000); /* instruments 8 and 9 */
	nx_feed_pub_poll(p, 2000);
	/* A BookClear re-images the instrument: complete again. */
	r = clr(7);
	nx_feed_pub_rec(p, &r, 1);
	r = lvl(7, SELL, 105, 1, 1);
	nx_feed_pub_rec(p, &r, 1);
	c->n = 0;
	nx_feed_pub_poll(p, 3000);
	assert_int_equal(snap_levels(c, 1, 1, 7, 8, 0, l), 1);
	assert_int_equal(l[0].side, SELL);
	nx_feed_pub_destroy(p);
	free(c);
}

static void no_sink(void *ctx, const struct nx_event *ev)
{
	(void)ctx;
	(void)ev;
}

/* A book with `bids` bid levels (100, 99, ...) and one ask, instrument 7. */
static struct nx_book *image_book(unsigned bids)
{
	const struct nx_book_config bc = { .max_instruments = 2, .max_accounts = 2,
					   .max_orders = 64, .ladder_ticks = 1024 };
	struct nx_book *b = nx_book_create(&bc, no_sink, NULL);
	struct nx_instrument in = { .id = 7, .symbol = "IMG", .band_ticks = 100 };

	assert_non_null(b);
	nx_instrument_defaults(&in);
	assert_int_equal(nx_book_add_instrument(b, &in), 0);
	assert_int_equal(nx_book_add_account(b, &(struct nx_account){ .id = 1 }), 0);
	for (unsigned i = 0; i <= bids; i++) {
		struct nx_new_order o = { .acct = 1, .inst = 7, .cl = 1 + i, .qty = 2 + i,
					  .side = i < bids ? BUY : SELL,
					  .px = i < bids ? 100 - (nx_px_t)i : 110,
					  .type = NX_ORD_LIMIT, .tif = NX_TIF_GTC };
		nx_book_new_order(b, &o);
	}
	return b;
}

/* Regression (session 13): a shard re-imaged at most max_levels a side, so
 * the image of a deeper book looked complete to the publisher and its
 * snapshots were not flagged. nx_feed_image sends one level more. */
static void test_image_deeper_than_max_levels(void **state)
{
	struct nx_level_info scratch[NX_FEED_IMAGE_SCRATCH(3)];
	struct nx_feed_rec img[NX_FEED_IMAGE_RECS(3)];
	struct nx_feed_level l[8];
	struct nx_feed_pub_config cfg = pub_cfg();
	const struct {
		unsigned bids, recs, levels;
		uint8_t flags;
	} t[] = {
		{ 3, 2 + 3 + 1, 4, 0 },                        /* exactly max_levels: complete */
		{ 5, 2 + 4 + 1, 4, NX_FEED_SNAP_INCOMPLETE },   /* deeper: max_levels + 1 sent */
	};

	(void)state;
	cfg.max_levels = 3;
	cfg.snapshot_ns = 3000;
	for (unsigned k = 0; k < 2; k++) {
		struct nx_book *b = image_book(t[k].bids);
		struct cap *c = cap_new();
		struct nx_feed_pub *p = mk_pub(c, &cfg);
		uint32_t n = nx_feed_image(b, 7, 3, scratch, img);

		assert_int_equal(n, t[k].recs);
		assert_int_equal(img[0].type, NX_FEED_REC_CLEAR);
		/* BookClear says so too, for subscribers holding more levels */
		assert_int_equal(img[0].n, t[k].flags ? NX_FEED_CLEAR_TRUNCATED : 0);
		assert_int_equal(img[1].type, NX_FEED_REC_STATUS);
		assert_int_equal(img[1].n, NX_STATUS_OPEN);
		for (uint32_t i = 2; i < n - 1; i++) {
			assert_int_equal(img[i].type, NX_FEED_REC_LEVEL);
			assert_int_equal(img[i].side, BUY);
			assert_int_equal(img[i].px, 100 - (nx_px_t)(i - 2));
			assert_int_equal(img[i].qty, 2 + (nx_qty_t)(i - 2));
			assert_int_equal(img[i].n, 1);
		}
		assert_int_equal(img[n - 1].side, SELL);
		assert_int_equal(img[n - 1].px, 110);
		for (uint32_t i = 0; i < n; i++)
			nx_feed_pub_rec(p, &img[i], 0);
		assert_int_equal(nx_feed_pub_stats(p)->level_overflow, t[k].flags ? 1 : 0);
		c->n = 0;
		nx_feed_pub_poll(p, 0);
		assert_int_equal(snap_levels(c, 1, 1, 7, n, t[k].flags, l), t[k].levels);
		nx_feed_pub_destroy(p);
		free(c);
		nx_book_destroy(b);
	}
	/* An instrument the book does not know: CLEAR only (the shard's list
	 * comes from the same configuration, so this is a caller's slip). */
	struct nx_book *b = image_book(0);
	assert_int_equal(nx_feed_image(b, 8, 3, scratch, img), 1);
	assert_int_equal(img[0].type, NX_FEED_REC_CLEAR);
	nx_book_destroy(b);
}

static void test_pub_bad_recs(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &cfg);
	const struct {
		struct nx_feed_rec r;
		int why;
	} t[] = {
		{ { .type = 0, .side = 1, .inst = 7, .qty = 1, .n = 1 }, NX_FEED_PUB_BAD_TYPE },
		{ { .type = 6, .side = 1, .inst = 7, .qty = 1, .n = 1 }, NX_FEED_PUB_BAD_TYPE },
		{ sts(7, 0), NX_FEED_PUB_BAD_STATUS },
		{ sts(7, NX_STATUS_CLOSED + 1), NX_FEED_PUB_BAD_STATUS },
		{ sts(0, NX_STATUS_OPEN), NX_FEED_PUB_BAD_INSTRUMENT },
		{ sts(99, NX_STATUS_OPEN), NX_FEED_PUB_BAD_INSTRUMENT },
		{ lvl(7, 0, 100, 1, 1), NX_FEED_PUB_BAD_SIDE },
		{ trd(7, 3, 100, 1, 1), NX_FEED_PUB_BAD_SIDE },
		{ lvl(7, BUY, 100, -1, 1), NX_FEED_PUB_BAD_QTY },
		{ lvl(7, BUY, 100, 0, 2), NX_FEED_PUB_BAD_QTY },
		{ lvl(7, BUY, 100, 3, 0), NX_FEED_PUB_BAD_QTY },
		{ { .type = 1, .side = 1, .inst = 7, .qty = 1, .n = 1ull << 32 }, NX_FEED_PUB_BAD_QTY },
		{ trd(7, BUY, 100, 0, 1), NX_FEED_PUB_BAD_QTY },
		{ lvl(0, BUY, 100, 1, 1), NX_FEED_PUB_BAD_INSTRUMENT },
		{ lvl(99, BUY, 100, 1, 1), NX_FEED_PUB_BAD_INSTRUMENT },
		{ clr(99), NX_FEED_PUB_BAD_INSTRUMENT },
		{ lost(7, 0, 1), NX_FEED_PUB_BAD_QTY },
		{ lost(7, 1, 0), NX_FEED_PUB_BAD_QTY },
		{ lost(0, 1, 1), NX_FEED_PUB_BAD_INSTRUMENT },
		{ lost(99, 1, 1), NX_FEED_PUB_BAD_INSTRUMENT },
	};
	uint64_t want[NX_FEED_PUB_DROP_MAX] = { 0 };

	(void)state;
	for (unsigned i = 0; i < NX_ARRAY_SIZE(t); i++) {
		if (t[i].r.inst != 99)
			assert_int_equal(nx_feed_rec_check(&t[i].r), t[i].why);
		nx_feed_pub_rec(p, &t[i].r, 0);
		want[-t[i].why]++;
	}
	nx_feed_pub_flush(p, 0);
	assert_int_equal(c->n, 0);
	assert_int_equal(nx_feed_pub_stats(p)->msgs, 0);
	assert_memory_equal(nx_feed_pub_stats(p)->drops, want, sizeof(want));
	nx_feed_pub_destroy(p);
	free(c);
}

/* Send a request to p; the answer, if any, is the last captured packet. */
static int ask(struct nx_feed_pub *p, const char *sess, uint64_t seq, uint16_t count)
{
	uint8_t req[20];

	nx_mold_request_build(req, sizeof(req), sess, seq, count);
	return nx_feed_pub_request(p, req, sizeof(req), (struct nx_addr){ 0x0a000002, 4000 }, 0);
}

/* The answer at packet i is count messages from seq, equal to the originals
 * (one a packet, from packet orig on). */
static void check_answer(const struct cap *c, size_t i, uint64_t seq, unsigned count,
			 size_t orig)
{
	const struct cap_pkt *a = &c->p[i];

	assert_int_equal(a->ch, NX_FEED_RETRANSMIT);
	assert_int_equal(a->to.ip, 0x0a000002);
	assert_int_equal(a->to.port, 4000);
	assert_memory_equal(a->b, FH_SESS, 10);
	assert_int_equal(cap_seq(a), seq);
	assert_int_equal(cap_count(a), count);
	for (unsigned k = 0; k < count; k++) {
		size_t la, lo;
		const uint8_t *ma = cap_msg(a, k, &la);
		const uint8_t *mo = cap_msg(&c->p[orig + k], 0, &lo);

		assert_int_equal(la, lo);
		assert_memory_equal(ma, mo, la);
	}
}

static void test_pub_retransmit(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_rec r;
	uint8_t req[21];
	const struct nx_feed_pub_stats *st;

	(void)state;
	cfg.max_payload = 200;
	cfg.history = 16; /* keeps 15 .. 30 after 30 messages */
	cfg.retrans_max = 4;
	p = mk_pub(c, &cfg);
	st = nx_feed_pub_stats(p);
	for (unsigned i = 0; i < 30; i++) { /* one message a packet: packet i is seq i + 1 */
		r = i % 3 ? lvl(7, BUY, 100 + i, i, 1) : trd(8, SELL, 50, 1 + i, i);
		nx_feed_pub_rec(p, &r, i);
		nx_feed_pub_flush(p, i);
	}
	assert_int_equal(ask(p, FH_SESS, 20, 3), 3);
	check_answer(c, 30, 20, 3, 19);
	assert_int_equal(ask(p, FH_SESS, 28, 10), 3); /* partly past the end */
	check_answer(c, 31, 28, 3, 27);
	assert_int_equal(ask(p, FH_SESS, 15, 10), 4); /* retrans_max */
	check_answer(c, 32, 15, 4, 14);
	assert_int_equal(ask(p, FH_SESS, 14, 2), NX_FEED_PUB_REQ_TOO_OLD);
	assert_int_equal(ask(p, FH_SESS, 31, 1), NX_FEED_PUB_REQ_FUTURE);
	assert_int_equal(ask(p, FH_OTHER, 20, 1), NX_FEED_PUB_REQ_SESSION);
	assert_int_equal(ask(p, FH_SESS, 20, 0), NX_FEED_PUB_REQ_RANGE);
	assert_int_equal(ask(p, FH_SESS, 0, 3), NX_FEED_PUB_REQ_RANGE);
	nx_mold_request_build(req, sizeof(req), FH_SESS, 20, 1);
	assert_int_equal(nx_feed_pub_request(p, req, 19, (struct nx_addr){ 0, 0 }, 0),
			 NX_FEED_PUB_REQ_LENGTH);
	assert_int_equal(nx_feed_pub_request(p, req, 21, (struct nx_addr){ 0, 0 }, 0),
			 NX_FEED_PUB_REQ_LENGTH);
	assert_int_equal(c->n, 33); /* refused requests send nothing */
	/* A message in the open packet is not sent yet: not answered. */
	r = lvl(7, BUY, 1, 1, 1);
	nx_feed_pub_rec(p, &r, 40);
	assert_int_equal(ask(p, FH_SESS, 31, 1), NX_FEED_PUB_REQ_FUTURE);
	nx_feed_pub_flush(p, 41);
	assert_int_equal(ask(p, FH_SESS, 31, 1), 1);
	check_answer(c, 34, 31, 1, 33);
	assert_int_equal(st->requests, 12);
	assert_int_equal(st->answers, 4);
	assert_int_equal(st->retrans_msgs, 11);
	assert_int_equal(st->drops[-NX_FEED_PUB_REQ_RANGE], 2);
	assert_int_equal(st->drops[-NX_FEED_PUB_REQ_LENGTH], 2);
	assert_int_equal(st->pkts[NX_FEED_RETRANSMIT], 4);
	nx_feed_pub_destroy(p);

	/* retrans_max 0: as many as fit one packet, (200 - 20) / 35 = 5 levels. */
	cfg.retrans_max = 0;
	c->n = 0;
	p = mk_pub(c, &cfg);
	for (unsigned i = 0; i < 10; i++) {
		r = lvl(7, BUY, 100 + i, 1, 1);
		nx_feed_pub_rec(p, &r, i);
		nx_feed_pub_flush(p, i);
	}
	assert_int_equal(ask(p, FH_SESS, 1, 10), 5);
	check_answer(c, 10, 1, 5, 0);
	nx_feed_pub_destroy(p);
	free(c);
}

static int ask_from(struct nx_feed_pub *p, uint32_t ip, uint16_t port, uint64_t now)
{
	uint8_t req[20];

	nx_mold_request_build(req, sizeof(req), FH_SESS, 1, 1);
	return nx_feed_pub_request(p, req, sizeof(req), (struct nx_addr){ ip, port }, now);
}

/* Regression (session 15): every valid request was answered at once, so a
 * stream of 20-byte requests with a forged source made the server send
 * packets of up to max_payload at whoever it named, as fast as it asked.
 * Now per requester and in total at most the configured rate, in bursts of
 * a second's worth. */
static void test_pub_retransmit_budget(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config cfg = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_rec r = lvl(7, BUY, 100, 1, 1);
	const struct nx_feed_pub_stats *st;
	const uint64_t ms = 1000000;
	size_t sent;

	(void)state;
	cfg.retrans_rate = 4;        /* one answer each 250 ms, 4 at once */
	cfg.retrans_total_rate = 6;  /* one each 166.67 ms, 6 at once */
	p = mk_pub(c, &cfg);
	st = nx_feed_pub_stats(p);
	nx_feed_pub_rec(p, &r, 0);
	nx_feed_pub_flush(p, 0);
	sent = c->n;
	for (int i = 0; i < 4; i++)
		assert_int_equal(ask_from(p, 0x0a000002, 4000, 0), 1);
	assert_int_equal(ask_from(p, 0x0a000002, 4000, 0), NX_FEED_PUB_REQ_THROTTLED);
	/* Another port is another requester; the total stops it at 6. */
	assert_int_equal(ask_from(p, 0x0a000002, 4001, 0), 1);
	assert_int_equal(ask_from(p, 0x0a000002, 4001, 0), 1);
	assert_int_equal(ask_from(p, 0x0a000002, 4001, 0), NX_FEED_PUB_REQ_THROTTLED);
	assert_int_equal(c->n, sent + 6); /* refusals send nothing */
	/* 200 ms on, the total has one answer again, and the refusal above did
	 * not spend 4001's budget; 4000's own budget is still empty. */
	assert_int_equal(ask_from(p, 0x0a000002, 4000, 200 * ms), NX_FEED_PUB_REQ_THROTTLED);
	assert_int_equal(ask_from(p, 0x0a000002, 4001, 200 * ms), 1);
	assert_int_equal(ask_from(p, 0x0a000002, 4001, 200 * ms), NX_FEED_PUB_REQ_THROTTLED);
	/* A second on, both budgets are full again. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(ask_from(p, 0x0a000002, 4000, 1200 * ms + (uint64_t)i), 1);
	assert_int_equal(ask_from(p, 0x0a000002, 4000, 1200 * ms), NX_FEED_PUB_REQ_THROTTLED);
	assert_int_equal(st->answers, 11);
	assert_int_equal(st->drops[-NX_FEED_PUB_REQ_THROTTLED], 5);
	assert_int_equal(st->requests, 16);
	assert_int_equal(st->requester_evictions, 0);
	assert_string_equal(nx_feed_pub_drop_name(NX_FEED_PUB_REQ_THROTTLED), "REQ_THROTTLED");
	nx_feed_pub_destroy(p);

	/* Per requester only: 257 requesters share 256 slots, so one takes
	 * another's over (with a full budget); each is answered. */
	cfg.retrans_total_rate = 0;
	p = mk_pub(c, &cfg);
	st = nx_feed_pub_stats(p);
	nx_feed_pub_rec(p, &r, 0);
	nx_feed_pub_flush(p, 0);
	for (uint16_t port = 0; port <= 256; port++)
		assert_int_equal(ask_from(p, 0x0a000003, 5000 + port, 0), 1);
	assert_true(st->requester_evictions >= 1);
	assert_int_equal(st->answers, 257);
	nx_feed_pub_destroy(p);

	/* No limits: 1000 requests at the same instant are all answered. */
	cfg.retrans_rate = 0;
	p = mk_pub(c, &cfg);
	nx_feed_pub_rec(p, &r, 0);
	nx_feed_pub_flush(p, 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ask_from(p, 0x0a000002, 4000, 0), 1);
	nx_feed_pub_destroy(p);
	free(c);
}

/* --- Subscriber ------------------------------------------------------------- */

static void test_sub_basic(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &pc);
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc), *small;
	const struct nx_feed_rec r[] = {
		lvl(7, BUY, 100, 10, 1), lvl(7, BUY, 101, 5, 2), lvl(7, SELL, 103, 7, 1),
		lvl(8, SELL, 50, 1, 1), trd(7, SELL, 101, 2, 77), lvl(7, BUY, 101, 3, 1),
		lvl(7, BUY, 100, 0, 0), lvl(7, BUY, 55, 0, 0), clr(8),
	};
	struct nx_level_info l[4];
	struct nx_feed_inst_info in;
	const char *why;

	(void)state;
	pub_recs(p, r, 8, 0, 0);
	to_sub_range(s, c, 0, c->n);
	assert_int_equal(nx_feed_sub_depth(s, 7, BUY, l, 4), 1);
	assert_int_equal(l[0].px, 101);
	assert_int_equal(l[0].qty, 3);
	assert_int_equal(l[0].count, 1);
	assert_int_equal(nx_feed_sub_depth(s, 7, SELL, l, 4), 1);
	assert_int_equal(l[0].px, 103);
	assert_int_equal(nx_feed_sub_depth(s, 7, SELL, l, 0), 0);
	assert_int_equal(nx_feed_sub_depth(s, 8, SELL, l, 4), 1);
	assert_int_equal(nx_feed_sub_depth(s, 8, BUY, l, 4), 0);
	assert_int_equal(nx_feed_sub_instrument(s, 7, &in), 0);
	assert_int_equal(in.synced, 1);
	assert_int_equal(in.incomplete, 0);
	assert_int_equal(in.trades, 1);
	assert_int_equal(in.last_tid, 77);
	assert_int_equal(in.last_px, 101);
	assert_int_equal(in.last_qty, 2);
	assert_int_equal(in.last_side, SELL);
	assert_int_equal(in.levels[0], 1);
	assert_int_equal(in.levels[1], 1);
	assert_int_equal(nx_feed_sub_stats(s)->level_unknown, 1);
	pub_recs(p, r + 8, 1, 0, 1);
	to_sub_range(s, c, c->n - 1, c->n);
	assert_int_equal(nx_feed_sub_depth(s, 8, SELL, l, 4), 0);
	/* Never named: synced (a subscriber from the start knows it is empty). */
	assert_int_equal(nx_feed_sub_synced(s, 9), 1);
	assert_int_equal(nx_feed_sub_depth(s, 9, BUY, l, 4), -ENOENT);
	assert_int_equal(nx_feed_sub_instrument(s, 9, &in), -ENOENT);
	assert_int_equal(nx_feed_sub_depth(s, 7, 3, l, 4), -EINVAL);
	assert_int_equal(nx_feed_sub_stats(s)->msgs, 9);
	assert_int_equal(nx_feed_sub_stats(s)->applied, 8);
	assert_int_equal(nx_feed_sub_stats(s)->trades, 1);
	assert_int_equal(nx_feed_sub_mold_stats(s, NX_FEED_INCREMENTAL)->msgs, 9);
	assert_non_null(nx_feed_sub_mold_stats(s, NX_FEED_SNAPSHOT));
	assert_null(nx_feed_sub_mold_stats(s, NX_FEED_RETRANSMIT));
	assert_int_equal(nx_feed_sub_check(s, &why), 0);

	/* A subscriber with room for 2 levels a side keeps the best two. */
	sc.max_levels = 2;
	small = mk_sub(&sc);
	to_sub_range(small, c, 0, c->n);
	assert_int_equal(nx_feed_sub_depth(small, 7, BUY, l, 4), 1);
	pub_recs(p, (struct nx_feed_rec[2]){ lvl(7, BUY, 99, 1, 1), lvl(7, BUY, 102, 1, 1) },
		 2, 0, 2);
	to_sub_range(small, c, c->n - 1, c->n);
	assert_int_equal(nx_feed_sub_depth(small, 7, BUY, l, 4), 2);
	assert_int_equal(l[0].px, 102);
	assert_int_equal(l[1].px, 101);
	assert_int_equal(nx_feed_sub_stats(small)->level_capacity, 1);
	assert_int_equal(nx_feed_sub_instrument(small, 7, &in), 0);
	assert_int_equal(in.incomplete, 1);
	assert_int_equal(nx_feed_sub_check(small, &why), 0);
	nx_feed_sub_destroy(small);

	/* Room for one instrument: the first named (7) is kept whole, every
	 * message for another is counted and skipped. */
	sc = sub_cfg();
	sc.max_instruments = 1;
	small = mk_sub(&sc);
	to_sub_range(small, c, 0, c->n);
	assert_int_equal(nx_feed_sub_depth(small, 7, BUY, l, 4), 3);
	assert_int_equal(l[0].px, 102);
	assert_int_equal(l[2].px, 99);
	assert_int_equal(nx_feed_sub_depth(small, 8, SELL, l, 4), -ENOENT);
	assert_int_equal(nx_feed_sub_instrument(small, 8, &in), -ENOENT);
	assert_int_equal(nx_feed_sub_stats(small)->inst_capacity, 2); /* 8's level and clear */
	/* Regression: 8 (and any id not in the table) used to read as synced,
	 * an empty book being "correct", though 8's levels were dropped. */
	assert_int_equal(nx_feed_sub_synced(small, 7), 1);
	assert_int_equal(nx_feed_sub_synced(small, 8), 0);
	assert_int_equal(nx_feed_sub_synced(small, 9), 0);
	assert_int_equal(nx_feed_sub_check(small, &why), 0);
	nx_feed_sub_destroy(small);
	nx_feed_sub_destroy(s);
	nx_feed_pub_destroy(p);
	free(c);
}

/* n level records, alternating instruments 7 and 8, one packet each. */
static void pub_levels(struct nx_feed_pub *p, unsigned n, unsigned salt)
{
	for (unsigned i = 0; i < n; i++) {
		struct nx_feed_rec r = lvl(i % 2 ? 8 : 7, (i / 2) % 2 ? SELL : BUY,
					   100 + (nx_px_t)((i * 7 + salt) % 11), 1 + i + salt, 1);

		nx_feed_pub_rec(p, &r, 0);
		nx_feed_pub_flush(p, 0);
	}
}

static void test_sub_retransmit(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc), *ref = mk_sub(&sc);
	uint8_t req[20];
	uint64_t seq;
	uint16_t count;
	char sess[10];

	(void)state;
	pc.retrans_max = 3;
	p = mk_pub(c, &pc);
	pub_levels(p, 10, 0);
	to_sub_range(ref, c, 0, 10);
	to_sub_range(s, c, 0, 2);
	for (size_t i = 7; i < 10; i++) /* packets 2 .. 6 (seq 3 .. 7) lost */
		assert_int_equal(to_sub(s, &c->p[i]), NX_MOLD_AHEAD);
	assert_int_equal(nx_feed_sub_stats(s)->held, 3);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1); /* correct as of seq 2 */
	assert_int_equal(nx_feed_sub_request(s, req, 19), 0);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 20);
	assert_int_equal(nx_mold_request_parse(req, 20, sess, &seq, &count), 0);
	assert_memory_equal(sess, FH_SESS, 10);
	assert_int_equal(seq, 3);
	assert_int_equal(count, 8);
	/* Answers of at most 3: two rounds; the held packets then drain. */
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ 1, 1 }, 0), 3);
	assert_int_equal(to_sub(s, &c->p[c->n - 1]), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 20);
	assert_int_equal(nx_mold_request_parse(req, 20, sess, &seq, &count), 0);
	assert_int_equal(seq, 6);
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ 1, 1 }, 0), 3);
	assert_int_equal(to_sub(s, &c->p[c->n - 1]), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 0);
	assert_int_equal(nx_feed_sub_stats(s)->msgs, 10);
	assert_int_equal(nx_feed_sub_stats(s)->give_ups, 0);
	assert_int_equal(nx_feed_sub_mold_stats(s, NX_FEED_INCREMENTAL)->dup_pkts, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	assert_same_book(s, ref, 7);
	assert_same_book(s, ref, 8);
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_sub_give_up(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc), *ref = mk_sub(&sc);
	const struct nx_feed_sub_stats *st = nx_feed_sub_stats(s);
	struct nx_feed_rec r;
	uint8_t req[20];
	size_t k;

	(void)state;
	pc.snapshot_ns = 3000; /* 7, 8, 9 due at 0, 1000, 2000 */
	p = mk_pub(c, &pc);
	pub_levels(p, 6, 0);
	to_sub_range(ref, c, 0, 6);
	to_sub_range(s, c, 0, 2);
	to_sub_range(s, c, 3, 6);
	nx_feed_sub_give_up(s); /* seq 3 is gone */
	assert_int_equal(st->give_ups, 1);
	assert_int_equal(st->skipped_msgs, 1);
	assert_int_equal(st->stale_ignored, 3);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 0);
	nx_feed_sub_give_up(s); /* no gap: nothing */
	assert_int_equal(st->give_ups, 1);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(nx_feed_sub_synced(s, FH_INSTS[i]), 0);

	/* An image with lastSeq = the last delivered: synced at once. */
	k = c->n;
	nx_feed_pub_poll(p, 0);
	to_sub_range(s, c, k, c->n);
	to_sub_range(ref, c, k, c->n); /* ignored: synced */
	assert_int_equal(nx_feed_sub_stats(ref)->snap_ignored, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	assert_int_equal(nx_feed_sub_synced(s, 8), 0);
	assert_same_book(s, ref, 7);

	/* The image of 8 (L = 6) arrives after message 7 for 8: replayed. */
	k = c->n;
	nx_feed_pub_poll(p, 1000);
	r = lvl(8, BUY, 100, 99, 3);
	pub_recs(p, &r, 1, 1, 1000);
	to_sub_range(ref, c, k + 1, c->n);
	to_sub_range(s, c, k + 1, c->n);
	assert_int_equal(nx_feed_sub_synced(s, 8), 0);
	to_sub_range(s, c, k, k + 1);
	assert_int_equal(st->snap_synced, 2);
	assert_int_equal(st->replayed, 1);
	assert_int_equal(nx_feed_sub_synced(s, 8), 1);
	assert_same_book(s, ref, 8);

	/* The image of 9 (L = 8) overtakes message 8: pending until it lands. */
	r = lvl(9, SELL, 70, 5, 1);
	k = c->n;
	pub_recs(p, &r, 1, 1, 2000);
	nx_feed_pub_poll(p, 2000);
	to_sub_range(ref, c, k, k + 1);
	to_sub_range(s, c, k + 1, c->n);
	assert_int_equal(st->snap_pending, 1);
	assert_int_equal(nx_feed_sub_synced(s, 9), 0);
	to_sub_range(s, c, k, k + 1); /* seq 8 <= L: already in the image */
	assert_int_equal(nx_feed_sub_synced(s, 9), 1);
	r = lvl(9, SELL, 71, 6, 2);
	k = c->n;
	pub_recs(p, &r, 1, 1, 2001);
	to_sub_range(ref, c, k, c->n);
	to_sub_range(s, c, k, c->n);
	assert_same_book(s, ref, 9);
	assert_int_equal(nx_feed_sub_synced(s, 42), 0); /* after a give-up: unknown */
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

/* A replay buffer too short for the image: wait for the next cycle. */
static void test_sub_too_old(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s, *ref = mk_sub(&sc);
	size_t k;

	(void)state;
	pc.snapshot_ns = 3000;
	p = mk_pub(c, &pc);
	sc.from_start = 0;
	sc.replay_msgs = 1;
	s = mk_sub(&sc);
	pub_levels(p, 4, 0);
	k = c->n;
	nx_feed_pub_poll(p, 0);     /* 7 at L = 4 */
	pub_levels(p, 4, 1);        /* 5 .. 8 */
	to_sub_range(ref, c, 0, c->n);
	to_sub_range(s, c, 0, k);
	to_sub_range(s, c, k + 1, c->n);
	to_sub_range(s, c, k, k + 1);
	assert_int_equal(nx_feed_sub_stats(s)->snap_too_old, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	k = c->n;
	nx_feed_pub_poll(p, 1000);
	nx_feed_pub_poll(p, 2000);
	nx_feed_pub_poll(p, 3000);
	to_sub_range(s, c, k, c->n);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(nx_feed_sub_synced(s, FH_INSTS[i]), 1);
		assert_same_book(s, ref, FH_INSTS[i]);
	}
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_sub_hold(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &pc);
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s, *ref = mk_sub(&sc);
	const struct nx_feed_sub_stats *st;
	struct nx_feed_rec r[3] = { lvl(7, BUY, 1, 1, 1), lvl(7, BUY, 2, 1, 1), lvl(7, BUY, 3, 1, 1) };
	uint8_t req[20];

	(void)state;
	pub_levels(p, 6, 0);
	/* Two held, a third AHEAD: give up through the earliest held. */
	sc.hold_pkts = 2;
	s = mk_sub(&sc);
	st = nx_feed_sub_stats(s);
	to_sub_range(s, c, 0, 2);
	assert_int_equal(to_sub(s, &c->p[3]), NX_MOLD_AHEAD);
	assert_int_equal(to_sub(s, &c->p[3]), NX_MOLD_AHEAD); /* again */
	assert_int_equal(st->hold_dups, 1);
	assert_int_equal(to_sub(s, &c->p[4]), NX_MOLD_AHEAD);
	assert_int_equal(to_sub(s, &c->p[5]), NX_MOLD_DATA);
	assert_int_equal(st->held, 2);
	assert_int_equal(st->hold_full, 1);
	assert_int_equal(st->give_ups, 1);
	assert_int_equal(st->skipped_msgs, 1);
	assert_int_equal(st->msgs, 5);
	assert_int_equal(nx_feed_sub_mold_stats(s, NX_FEED_INCREMENTAL)->lost_msgs, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 0);
	nx_feed_sub_destroy(s);

	/* No hold at all: the AHEAD packet itself skips the gap. */
	sc.hold_pkts = 0;
	s = mk_sub(&sc);
	st = nx_feed_sub_stats(s);
	to_sub_range(s, c, 0, 1);
	assert_int_equal(to_sub(s, &c->p[2]), NX_MOLD_DATA);
	assert_int_equal(st->give_ups, 1);
	assert_int_equal(st->msgs, 2);
	nx_feed_sub_destroy(s);

	/* Too big to hold: dropped, recovered with the gap. */
	sc.hold_pkts = 4;
	sc.max_payload = NX_FEED_PAYLOAD_MIN;
	s = mk_sub(&sc);
	st = nx_feed_sub_stats(s);
	pub_recs(p, r, 3, 0, 0); /* one packet of 3 LevelUpdates: 125 bytes */
	to_sub_range(ref, c, 0, c->n);
	to_sub_range(s, c, 0, 1);
	assert_int_equal(to_sub(s, &c->p[c->n - 1]), NX_MOLD_AHEAD);
	assert_int_equal(st->hold_too_big, 1);
	assert_int_equal(st->held, 0);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 20);
	assert_int_equal(nx_feed_pub_request(p, req, 20, (struct nx_addr){ 1, 1 }, 0), 8);
	assert_int_equal(to_sub(s, &c->p[c->n - 1]), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_request(s, req, sizeof(req)), 0);
	assert_same_book(s, ref, 7);
	assert_same_book(s, ref, 8);
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

/* Regression (fuzzer): an end of session arrives while a packet past it is
 * held; giving up must not start delivery beyond what the receiver takes. */
static void test_sub_give_up_after_end(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &pc);
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc);
	struct pk end;
	const char *why;

	(void)state;
	pub_levels(p, 4, 0);
	to_sub_range(s, c, 0, 1);
	assert_int_equal(to_sub(s, &c->p[3]), NX_MOLD_AHEAD); /* seq 4 held */
	pk_start(&end, FH_SESS, 3);
	st_be(end.b + 18, 0xffff, 2);
	assert_int_equal(nx_feed_sub_incremental(s, end.b, end.n), NX_MOLD_END);
	nx_feed_sub_give_up(s); /* the held packet is past the end: refused */
	assert_int_equal(nx_feed_sub_check(s, &why), 0);
	assert_int_equal(nx_feed_sub_stats(s)->give_ups, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	assert_int_equal(nx_feed_sub_request(s, (uint8_t[20]){ 0 }, 20), 0);
	nx_feed_sub_destroy(s);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_sub_broken_image(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s, *ref = mk_sub(&sc);
	const struct nx_feed_sub_stats *st;
	size_t k;

	(void)state;
	pc.max_payload = 200; /* 7 levels a chunk */
	pc.snapshot_ns = 3000;
	p = mk_pub(c, &pc);
	sc.from_start = 0;
	s = mk_sub(&sc);
	st = nx_feed_sub_stats(s);
	for (unsigned i = 0; i < 16; i++) {
		struct nx_feed_rec r = lvl(7, i % 2 ? SELL : BUY, i % 2 ? 200 + i : 100 - i, 1, 1);

		nx_feed_pub_rec(p, &r, 0);
	}
	nx_feed_pub_flush(p, 0);
	to_sub_range(ref, c, 0, c->n);
	to_sub_range(s, c, 0, c->n);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	k = c->n;
	nx_feed_pub_poll(p, 0);
	assert_int_equal(c->n, k + 3);
	to_sub_range(s, c, k, k + 1);
	to_sub_range(s, c, k + 2, k + 3); /* chunk 1 lost */
	assert_int_equal(st->snap_broken, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	assert_int_equal(nx_feed_sub_mold_stats(s, NX_FEED_SNAPSHOT)->gaps, 1);
	k = c->n;
	nx_feed_pub_poll(p, 1000);
	for (uint64_t t = 2000; t <= 6000; t += 1000)
		nx_feed_pub_poll(p, t); /* 9, 7 (k+2 .. k+4), 8, 9, 7 (k+7 .. k+9) */
	assert_int_equal(c->n, k + 10);
	to_sub_range(s, c, k, k + 3); /* 8 and 9 synced; chunk 0 of 7 */
	to_sub_range(s, c, k + 5, c->n); /* the image of 8 starts: 7's is abandoned */
	assert_int_equal(st->snap_broken, 2);
	assert_int_equal(st->snap_ignored, 2);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	assert_same_book(s, ref, 7);
	assert_int_equal(st->snap_images, 3);
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_sub_late_joiner(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *a, *b, *d, *ref = mk_sub(&sc);
	const struct nx_feed_rec r[3] = { lvl(7, BUY, 100, 3, 1), lvl(8, BUY, 100, 4, 1),
					  lvl(7, SELL, 120, 5, 1) };
	size_t snap, k;

	(void)state;
	pc.snapshot_ns = 3000;
	p = mk_pub(c, &pc);
	sc.from_start = 0;
	a = mk_sub(&sc);
	b = mk_sub(&sc);
	d = mk_sub(&sc);
	pub_levels(p, 20, 0);
	to_sub_range(ref, c, 0, 20);
	to_sub_range(a, c, 10, 20); /* joins at seq 11 */
	assert_int_equal(nx_feed_sub_synced(a, 7), 0);
	assert_int_equal(nx_feed_sub_synced(a, 99), 0);
	snap = c->n;
	nx_feed_pub_poll(p, 0); /* 7 at L = 20 */
	to_sub_range(a, c, snap, snap + 1);
	assert_int_equal(nx_feed_sub_synced(a, 7), 1);
	assert_same_book(a, ref, 7);
	/* An image before any incremental: pending, then synced from L + 1. */
	to_sub_range(b, c, snap, snap + 1);
	to_sub_range(d, c, snap, snap + 1);
	assert_int_equal(nx_feed_sub_stats(b)->snap_pending, 1);
	assert_int_equal(nx_feed_sub_synced(b, 7), 0);
	k = c->n;
	pub_recs(p, r, 3, 1, 1); /* seq 21, 22, 23 */
	to_sub_range(ref, c, k, c->n);
	to_sub_range(a, c, k, c->n);
	to_sub_range(b, c, k, c->n);
	assert_int_equal(nx_feed_sub_synced(b, 7), 1);
	assert_same_book(b, ref, 7);
	assert_same_book(a, ref, 7);
	/* Joining after L + 1 (at seq 23): the pending image is unusable. */
	to_sub_range(d, c, k + 2, c->n);
	assert_int_equal(nx_feed_sub_synced(d, 7), 0);
	assert_int_equal(nx_feed_sub_stats(d)->snap_expired, 1);
	nx_feed_sub_destroy(a);
	nx_feed_sub_destroy(b);
	nx_feed_sub_destroy(d);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(p);
	free(c);
}

static uint8_t sub_status(const struct nx_feed_sub *s, nx_inst_t inst)
{
	struct nx_feed_inst_info info;

	assert_int_equal(nx_feed_sub_instrument(s, inst, &info), 0);
	return info.status;
}

/* Trading status: from InstrumentStatus on the incremental channel, and for
 * a subscriber that joins late, from the image's status (as of its lastSeq)
 * and then the incrementals after it. */
static void test_sub_status(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *a = mk_sub(&sc), *late, *late2;
	const struct nx_feed_rec halt[2] = { lvl(7, BUY, 100, 3, 1), sts(7, NX_STATUS_HALTED) };
	const struct nx_feed_rec reopen[2] = { sts(7, NX_STATUS_OPEN), lvl(7, SELL, 110, 2, 1) };
	size_t k, snap;

	(void)state;
	pc.snapshot_ns = 3000;
	p = mk_pub(c, &pc);
	sc.from_start = 0;
	late = mk_sub(&sc);
	late2 = mk_sub(&sc);
	pub_recs(p, halt, 2, 1, 0); /* seq 1, 2 */
	to_sub_range(a, c, 0, c->n);
	assert_int_equal(sub_status(a, 7), NX_STATUS_HALTED);
	assert_int_equal(nx_feed_sub_stats(a)->applied, 2);

	/* A late joiner: the image of 7 carries HALTED as of seq 2. */
	snap = c->n;
	nx_feed_pub_poll(p, 0);
	k = c->n;
	pub_recs(p, reopen, 2, 1, 0); /* seq 3, 4 */
	to_sub_range(a, c, k, c->n);
	assert_int_equal(sub_status(a, 7), NX_STATUS_OPEN);
	to_sub_range(late, c, k, k + 1);     /* seq 3: the book is not known yet */
	to_sub_range(late, c, snap, snap + 1); /* the image, lastSeq 2 */
	assert_int_equal(nx_feed_sub_synced(late, 7), 1);
	/* the image said HALTED, then the buffered seq 3 reopened it */
	assert_int_equal(sub_status(late, 7), NX_STATUS_OPEN);
	to_sub_range(late, c, k + 1, c->n);
	assert_same_book(late, a, 7);
	/* The image alone: HALTED as of lastSeq 2, pending until seq 3 comes. */
	to_sub_range(late2, c, snap, snap + 1);
	assert_int_equal(sub_status(late2, 7), NX_STATUS_HALTED);
	to_sub_range(late2, c, k, c->n);
	assert_int_equal(nx_feed_sub_synced(late2, 7), 1);
	assert_int_equal(sub_status(late2, 7), NX_STATUS_OPEN);
	assert_same_book(late2, a, 7);
	nx_feed_sub_destroy(a);
	nx_feed_sub_destroy(late);
	nx_feed_sub_destroy(late2);
	nx_feed_pub_destroy(p);
	free(c);
}

static void test_sub_sessions(void **state)
{
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc);
	const struct nx_mold_stats *snap = nx_feed_sub_mold_stats(s, NX_FEED_SNAPSHOT);
	struct nx_feed_rec r = lvl(7, BUY, 100, 1, 1);
	struct nx_feed_snap h = { .inst = 7, .chunks = 1 };
	uint8_t m[64];
	size_t len;
	struct pk foreign_snap, snp, inc, foreign_inc;

	(void)state;
	len = nx_feed_encode_snap(m, sizeof(m), &h);
	pk_start(&foreign_snap, FH_OTHER, 1);
	pk_add(&foreign_snap, m, len);
	pk_start(&snp, FH_SESS, 1);
	pk_add(&snp, m, len);
	len = nx_feed_encode_rec(m, sizeof(m), &r);
	pk_start(&inc, FH_SESS, 1);
	pk_add(&inc, m, len);
	pk_start(&foreign_inc, FH_OTHER, 2);
	pk_add(&foreign_inc, m, len);

	/* A foreign snapshot first latches the snapshot channel, but only until
	 * the incremental channel names the session. */
	assert_int_equal(nx_feed_sub_snapshot(s, foreign_snap.b, foreign_snap.n), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_incremental(s, inc.b, inc.n), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_incremental(s, foreign_inc.b, foreign_inc.n),
			 NX_MOLD_DROP_WRONG_SESSION);
	assert_int_equal(nx_feed_sub_snapshot(s, snp.b, snp.n), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_snapshot(s, foreign_snap.b, foreign_snap.n),
			 NX_MOLD_DROP_WRONG_SESSION);
	assert_int_equal(snap->data_pkts, 2);
	assert_int_equal(snap->drops[-NX_MOLD_DROP_WRONG_SESSION], 1);
	assert_int_equal(nx_feed_sub_stats(s)->snap_ignored, 2); /* 7 is synced */
	nx_feed_sub_destroy(s);
}


/* --- Fuzzer seeds -------------------------------------------------------------
 * tests/fuzz/fuzz_feed.c's input: a config byte, then records {op, be16 len,
 * bytes}; op 0 incremental, 1 snapshot, 2 publisher request, 3 decode only;
 * +4 give up after it. */

struct seed {
	uint8_t b[32768];
	size_t n;
};

static void seed_rec(struct seed *s, unsigned op, const uint8_t *b, size_t len)
{
	assert_true(s->n + 3 + len <= sizeof(s->b));
	s->b[s->n] = (uint8_t)op;
	st_be(s->b + s->n + 1, len, 2);
	memcpy(s->b + s->n + 3, b, len);
	s->n += 3 + len;
}

static void seed_write(const char *dir, const char *name, const struct seed *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(s->b, 1, s->n, f), s->n);
	assert_int_equal(fclose(f), 0);
}

static void seed_caps(struct seed *s, const struct cap *c, size_t from, size_t to, int skip)
{
	for (size_t i = from; i < to; i++)
		if ((int)i != skip)
			seed_rec(s, c->p[i].ch == NX_FEED_SNAPSHOT, c->p[i].b, c->p[i].len);
}

static void test_seed_corpus(void **state)
{
	const char *dir = getenv("NX_FEED_CORPUS");
	struct cap *c;
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct seed *s;
	struct bad t[48];
	uint8_t req[20];
	unsigned n;

	(void)state;
	if (!dir)
		skip();
	c = cap_new();
	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	pc.max_payload = 200;
	pc.snapshot_ns = 3000;
	pc.heartbeat_ns = 500;
	p = mk_pub(c, &pc);
	pub_levels(p, 12, 0);
	nx_feed_pub_rec(p, &(struct nx_feed_rec){ .type = NX_FEED_REC_TRADE, .side = BUY,
						  .inst = 7, .px = 100, .qty = 3, .n = 1 }, 0);
	nx_feed_pub_rec(p, &(struct nx_feed_rec){ .type = NX_FEED_REC_CLEAR, .inst = 8 }, 0);
	nx_feed_pub_rec(p, &(struct nx_feed_rec){ .type = NX_FEED_REC_STATUS, .inst = 8,
						  .n = NX_STATUS_HALTED }, 0);
	nx_feed_pub_rec(p, &(struct nx_feed_rec){ .type = NX_FEED_REC_TRADES_LOST, .inst = 7,
						  .qty = 9, .n = 2 }, 0);
	nx_feed_pub_poll(p, 0);    /* flush, snapshot of 7 */
	nx_feed_pub_poll(p, 1000); /* heartbeat, snapshot of 8 */
	nx_feed_pub_end(p, 1001);

	s->b[0] = 1; /* from the start, in order */
	s->n = 1;
	seed_caps(s, c, 0, c->n, -1);
	seed_write(dir, "in-order", s);

	s->b[0] = 0x07; /* a gap, the request, its answer, give up, snapshots */
	s->n = 1;
	seed_caps(s, c, 0, 12, 3);
	nx_mold_request_build(req, sizeof(req), FH_SESS, 4, 1);
	seed_rec(s, 2, req, sizeof(req));
	nx_feed_pub_request(p, req, sizeof(req), (struct nx_addr){ 1, 1 }, 2000);
	seed_caps(s, c, c->n - 1, c->n, -1);
	seed_caps(s, c, 12, 13, -1);
	s->b[s->n - 3 - c->p[12].len] |= 4;
	seed_caps(s, c, 13, c->n - 1, -1);
	seed_write(dir, "gap", s);

	s->b[0] = 0; /* a late joiner: snapshots first */
	s->n = 1;
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].ch == NX_FEED_SNAPSHOT)
			seed_caps(s, c, i, i + 1, -1);
	seed_caps(s, c, 6, c->n, -1);
	seed_write(dir, "late", s);

	s->b[0] = 1; /* malformed messages on both channels, requests, decodes */
	s->n = 1;
	n = make_bad(t);
	for (unsigned ch = 0; ch < 2; ch++) {
		struct pk pk;

		pk_start(&pk, FH_SESS, 1);
		for (unsigned i = 0; i < n; i++)
			pk_add(&pk, t[i].b, t[i].len);
		seed_rec(s, ch, pk.b, pk.n);
	}
	for (unsigned i = 0; i < n; i++)
		seed_rec(s, 3, t[i].b, t[i].len);
	nx_mold_request_build(req, sizeof(req), FH_OTHER, 1, 1);
	seed_rec(s, 2, req, sizeof(req));
	seed_rec(s, 2, req, 19);
	seed_write(dir, "malformed", s);

	nx_feed_pub_destroy(p);
	free(s);
	free(c);
}

/* Regression: a late joiner's snapshot receiver latches the first session
 * it hears; an image from another session (another venue or run on the
 * same groups) received before the incrementals was kept pending, and then
 * synced the book with the foreign levels once the real incrementals
 * passed its lastSeq. It is dropped when the incrementals latch. */
static void test_sub_foreign_snapshot(void **state)
{
	(void)state;
	static const nx_inst_t ids[] = { 7 };
	struct nx_feed_pub_config rc = pub_cfg(), fc = pub_cfg();
	rc.instruments = fc.instruments = ids;
	rc.ninstruments = fc.ninstruments = 1;
	memcpy(fc.session, "FOREIGN001", 10);
	rc.snapshot_ns = fc.snapshot_ns = 1000;
	struct cap *real = cap_new(), *foreign = cap_new();
	struct nx_feed_pub *pr = nx_feed_pub_create(&rc, cap_send, real);
	struct nx_feed_pub *pf = nx_feed_pub_create(&fc, cap_send, foreign);
	struct nx_feed_sub_config sc = sub_cfg();
	sc.from_start = 0;
	struct nx_feed_sub *s = mk_sub(&sc), *ref = mk_sub(&sc);
	struct nx_feed_rec r;

	for (int i = 0; i < 10; i++) { /* the foreign session: bids at 999 */
		r = lvl(7, BUY, 999, 1 + i, 1);
		nx_feed_pub_rec(pf, &r, 0);
	}
	nx_feed_pub_flush(pf, 0);
	foreign->n = 0;
	nx_feed_pub_poll(pf, 0); /* its image: lastSeq 10 */
	r = lvl(7, BUY, 100, 5, 1);
	nx_feed_pub_rec(pr, &r, 0);
	for (int i = 0; i < 12; i++) {
		r = lvl(7, SELL, 200 + i, 1, 1);
		nx_feed_pub_rec(pr, &r, 0);
		nx_feed_pub_flush(pr, 0);
	}
	size_t snaps = 0;
	for (size_t i = 0; i < foreign->n; i++)
		if (foreign->p[i].ch == NX_FEED_SNAPSHOT) {
			to_sub(s, &foreign->p[i]);
			snaps++;
		}
	assert_true(snaps > 0);
	assert_int_equal(nx_feed_sub_stats(s)->snap_pending, 1);
	to_sub_range(s, real, 3, real->n); /* joins the real stream at seq 4 */
	assert_int_equal(nx_feed_sub_stats(s)->snap_foreign, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);

	/* The real session's image then syncs it, equal to a subscriber that
	 * never saw the foreign packets. */
	size_t from = real->n;
	nx_feed_pub_poll(pr, 2000);
	to_sub_range(ref, real, 3, real->n);
	to_sub_range(s, real, from, real->n);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	assert_int_equal(nx_feed_sub_synced(ref, 7), 1);
	assert_same_book(s, ref, 7);
	struct nx_level_info l[2];
	assert_int_equal(nx_feed_sub_depth(s, 7, BUY, l, 2), 1);
	assert_int_equal(l[0].px, 100);
	nx_feed_sub_destroy(s);
	nx_feed_sub_destroy(ref);
	nx_feed_pub_destroy(pr);
	nx_feed_pub_destroy(pf);
	free(real);
	free(foreign);
}

/* A shard re-images a book with max_levels + 1 levels a side, so a
 * subscriber holding max_levels sees the overflow; one holding more took the
 * truncated image for the whole book (synced, complete, levels missing).
 * BookClear's TRUNCATED flag (version 3) now says the image is cut, and
 * such a subscriber flags the book incomplete. Regression (session 15): the
 * flag was set as soon as a side reached max_levels + 1 levels, so a book
 * exactly that deep, sent whole, was taken for a cut one until the next
 * BookClear, which may never come. 3, 4 and 5 bids with max_levels 3: only
 * 5 is cut; the publisher (max_levels) overflows from 4 on. */
static void test_reimage_truncated_for_a_deeper_subscriber(void **state)
{
	struct nx_level_info scratch[NX_FEED_IMAGE_SCRATCH(3)];
	struct nx_feed_rec img[NX_FEED_IMAGE_RECS(3)];
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_sub_config sc = sub_cfg(); /* 64 levels a side */
	struct nx_level_info lv[8];

	(void)state;
	pc.max_levels = 3;
	for (unsigned bids = 3; bids <= 5; bids++) {
		struct nx_book *b = image_book(bids);
		struct cap *c = cap_new();
		struct nx_feed_pub *p = mk_pub(c, &pc);
		struct nx_feed_sub *s = mk_sub(&sc);
		struct nx_feed_inst_info fi;
		unsigned sent = bids < 4 ? bids : 4; /* max_levels + 1 at most */
		uint32_t n = nx_feed_image(b, 7, 3, scratch, img);

		assert_int_equal(n, 2 + sent + 1);
		assert_int_equal(img[0].n, bids > 4 ? NX_FEED_CLEAR_TRUNCATED : 0);
		pub_recs(p, img, n, 0, 0);
		assert_int_equal(nx_feed_pub_stats(p)->level_overflow, bids > 3);
		to_sub_range(s, c, 0, c->n);
		assert_int_equal(nx_feed_sub_instrument(s, 7, &fi), 0);
		assert_int_equal(fi.synced, 1);
		assert_int_equal(fi.incomplete, bids > 4);
		assert_int_equal(nx_feed_sub_depth(s, 7, BUY, lv, 8), (int)sent);
		assert_int_equal(nx_book_depth(b, 7, BUY, scratch, 5), (int)bids);
		for (unsigned i = 0; i < sent; i++) {
			assert_int_equal(lv[i].px, scratch[i].px);
			assert_int_equal(lv[i].qty, scratch[i].qty);
			assert_int_equal(lv[i].count, scratch[i].count);
		}
		nx_feed_sub_destroy(s);
		nx_feed_pub_destroy(p);
		free(c);
		nx_book_destroy(b);
	}
}

/* --- Regressions (session 14's review) ------------------------------------------ */

/* an incremental message that fails to decode used up its sequence
 * number silently; the book it belonged to stayed synced without it. */
static void test_undecodable_message_stales_books(void **state)
{
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc);
	struct nx_feed_rec r1 = lvl(7, BUY, 100, 5, 1), r2 = lvl(7, BUY, 100, 9, 2);
	uint8_t m1[64], m2[64];
	size_t l1 = nx_feed_encode_rec(m1, sizeof(m1), &r1);
	size_t l2 = nx_feed_encode_rec(m2, sizeof(m2), &r2);
	struct nx_level_info l[2];
	struct pk a, bad;

	(void)state;
	pk_start(&a, FH_SESS, 1);
	pk_add(&a, m1, l1);
	assert_int_equal(nx_feed_sub_incremental(s, a.b, a.n), NX_MOLD_DATA);
	/* seq 2: the venue's LevelUpdate 100 -> qty 9, its side byte corrupted */
	m2[NX_FEED_SBE_HDR_LEN + 24] = 0;
	pk_start(&bad, FH_SESS, 2);
	pk_add(&bad, m2, l2);
	assert_int_equal(nx_feed_sub_incremental(s, bad.b, bad.n), NX_MOLD_DATA);
	assert_int_equal(nx_feed_sub_stats(s)->errs[-NX_FEED_ERR_BAD_FIELD], 1);
	assert_int_equal(nx_feed_sub_last_seq(s), 2);
	assert_int_equal(nx_feed_sub_depth(s, 7, BUY, l, 2), 1);
	assert_int_equal(l[0].qty, 5); /* the venue's book has 9 */
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	nx_feed_sub_destroy(s);
}

/* the status of a snapshot image was taken at its first chunk, so
 * an image then dropped (too old) still replaced the status that a later
 * InstrumentStatus had set. */
static void test_dropped_image_keeps_newer_status(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc);
	struct nx_feed_rec r;
	size_t snap, k;

	(void)state;
	pc.snapshot_ns = 3000;
	p = mk_pub(c, &pc);
	r = sts(7, NX_STATUS_OPEN);
	pub_recs(p, &r, 1, 1, 0);           /* seq 1 */
	snap = c->n;
	nx_feed_pub_poll(p, 0);             /* 7's image: lastSeq 1, OPEN */
	assert_int_equal(c->p[snap].ch, NX_FEED_SNAPSHOT);
	k = c->n;
	r = sts(7, NX_STATUS_HALTED);
	pub_recs(p, &r, 1, 1, 0);           /* seq 2 */
	r = lvl(8, BUY, 10, 1, 1);
	pub_recs(p, &r, 1, 1, 0);           /* seq 3: lost */
	r = lvl(8, BUY, 11, 1, 1);
	pub_recs(p, &r, 1, 1, 0);           /* seq 4 */
	to_sub_range(s, c, 0, snap);
	to_sub_range(s, c, k, k + 1);
	assert_int_equal(sub_status(s, 7), NX_STATUS_HALTED);
	to_sub_range(s, c, k + 2, k + 3);   /* AHEAD: held */
	nx_feed_sub_give_up(s);             /* seq 3 skipped: every book stale */
	to_sub_range(s, c, snap, snap + 1); /* the old image arrives: too old */
	assert_int_equal(nx_feed_sub_stats(s)->snap_too_old, 1);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	/* the newest status known is seq 2's; the dropped image is older */
	assert_int_equal(sub_status(s, 7), NX_STATUS_HALTED);
	nx_feed_sub_destroy(s);
	nx_feed_pub_destroy(p);
	free(c);
}

/* a late joiner's pending image from a foreign session is dropped
 * when the incrementals latch, but the status it carried stayed. */
static void test_foreign_image_sets_no_status(void **state)
{
	static const nx_inst_t ids[] = { 7 };
	struct nx_feed_pub_config rc = pub_cfg(), fc = pub_cfg();
	struct cap *real = cap_new(), *foreign = cap_new();
	struct nx_feed_pub *pr, *pf;
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s;
	struct nx_feed_rec r;
	size_t from;

	(void)state;
	rc.instruments = fc.instruments = ids;
	rc.ninstruments = fc.ninstruments = 1;
	memcpy(fc.session, "FOREIGN001", 10);
	rc.snapshot_ns = fc.snapshot_ns = 1000;
	pr = mk_pub(real, &rc);
	pf = mk_pub(foreign, &fc);
	sc.from_start = 0;
	s = mk_sub(&sc);
	r = sts(7, NX_STATUS_HALTED);       /* the foreign venue halted its 7 */
	pub_recs(pf, &r, 1, 1, 0);
	foreign->n = 0;
	nx_feed_pub_poll(pf, 0);
	to_sub(s, &foreign->p[0]);          /* its image, pending */
	r = lvl(7, BUY, 100, 5, 1);         /* the real venue: no status sent */
	pub_recs(pr, &r, 1, 1, 0);
	to_sub_range(s, real, 0, real->n);  /* latches: the foreign image goes */
	assert_int_equal(nx_feed_sub_stats(s)->snap_foreign, 1);
	from = real->n;
	nx_feed_pub_poll(pr, 0);
	to_sub_range(s, real, from, real->n);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1);
	assert_int_equal(sub_status(s, 7), 0); /* no status from this session */
	nx_feed_sub_destroy(s);
	nx_feed_pub_destroy(pr);
	nx_feed_pub_destroy(pf);
	free(real);
	free(foreign);
}

/* an InstrumentStatus delivered in sequence for a stale book was
 * dropped with its levels, though a status is absolute (like a Trade it
 * needs no book): the subscriber reported the status from before the halt. */
static void test_status_applies_while_stale(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &pc);
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc);
	const struct nx_feed_rec r[4] = { sts(7, NX_STATUS_OPEN), lvl(8, BUY, 10, 1, 1),
					  lvl(8, BUY, 11, 1, 1), sts(7, NX_STATUS_HALTED) };

	(void)state;
	pub_recs(p, r, 4, 1, 0);           /* one packet each, seq 1 .. 4 */
	to_sub_range(s, c, 0, 1);
	to_sub_range(s, c, 2, 3);          /* seq 2 lost: seq 3 held */
	nx_feed_sub_give_up(s);            /* every book stale */
	to_sub_range(s, c, 3, 4);          /* seq 4: 7 is halted */
	assert_int_equal(nx_feed_sub_last_seq(s), 4);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	assert_int_equal(sub_status(s, 7), NX_STATUS_HALTED);
	nx_feed_sub_destroy(s);
	nx_feed_pub_destroy(p);
	free(c);
}

/* A shard whose outbox had no room for trades says so (TradesLost, version 4):
 * the subscriber counts the announced trades per instrument, in any book
 * state, and a TradesLost it cannot read costs no book (like a Trade). */
static void test_sub_trades_lost(void **state)
{
	struct cap *c = cap_new();
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_pub *p = mk_pub(c, &pc);
	struct nx_feed_sub_config sc = sub_cfg();
	struct nx_feed_sub *s = mk_sub(&sc);
	const struct nx_feed_rec r[] = {
		lvl(7, BUY, 100, 10, 1), trd(7, SELL, 100, 2, 1), lost(7, 3, 40),
		trd(7, SELL, 100, 1, 5), lost(8, 1, 7), lost(7, 2, 2), lost(7, 0, 1),
	};
	const struct nx_feed_sub_stats *st = nx_feed_sub_stats(s);
	const struct nx_feed_rec one = lost(7, 1, 1), other = lost(9, 1, 1);
	struct nx_feed_inst_info in;
	uint8_t m[64];
	size_t len;
	struct pk bad;

	(void)state;
	pub_recs(p, r, NX_ARRAY_SIZE(r), 0, 0);
	/* the empty announcement is refused, the others numbered */
	assert_int_equal(nx_feed_pub_stats(p)->recs[NX_FEED_REC_TRADES_LOST], 3);
	assert_int_equal(nx_feed_pub_stats(p)->drops[-NX_FEED_PUB_BAD_QTY], 1);
	assert_int_equal(nx_feed_pub_stats(p)->msgs, 6);
	to_sub_range(s, c, 0, c->n);
	assert_int_equal(st->trades, 2);
	assert_int_equal(st->trades_lost_msgs, 3);
	assert_int_equal(st->trades_lost, 6);
	assert_int_equal(st->applied, 1);
	assert_int_equal(nx_feed_sub_instrument(s, 7, &in), 0);
	assert_int_equal(in.trades, 2);
	assert_int_equal(in.trades_lost, 5);
	assert_int_equal(in.trades_lost_qty, 42);
	assert_int_equal(in.last_tid, 5); /* a loss is no trade */
	assert_int_equal(in.synced, 1);
	assert_int_equal(nx_feed_sub_instrument(s, 8, &in), 0);
	assert_int_equal(in.trades, 0);
	assert_int_equal(in.trades_lost, 1);
	assert_int_equal(in.trades_lost_qty, 7);

	/* seq 7: a TradesLost whose count was corrupted to 0 */
	len = nx_feed_encode_rec(m, sizeof(m), &one);
	m[NX_FEED_SBE_HDR_LEN + 8] = 0;
	pk_start(&bad, FH_SESS, 7);
	pk_add(&bad, m, len);
	assert_int_equal(nx_feed_sub_incremental(s, bad.b, bad.n), NX_MOLD_DATA);
	assert_int_equal(st->errs[-NX_FEED_ERR_BAD_FIELD], 1);
	assert_int_equal(st->trades_lost_msgs, 3);
	assert_int_equal(nx_feed_sub_synced(s, 7), 1); /* no book was in it */

	/* A stale book still counts what the venue could not publish: 8 and 9
	 * are given up (every book stale), then 10 says 9 lost a trade. */
	len = nx_feed_encode_rec(m, sizeof(m), &other);
	pk_start(&bad, FH_SESS, 10);
	pk_add(&bad, m, len);
	assert_int_equal(nx_feed_sub_incremental(s, bad.b, bad.n), NX_MOLD_AHEAD);
	nx_feed_sub_give_up(s);
	assert_int_equal(nx_feed_sub_synced(s, 7), 0);
	assert_int_equal(st->trades_lost_msgs, 4);
	assert_int_equal(nx_feed_sub_instrument(s, 9, &in), 0);
	assert_int_equal(in.trades_lost, 1);
	assert_int_equal(in.synced, 0);
	nx_feed_sub_destroy(s);
	nx_feed_pub_destroy(p);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rec_of),
		cmocka_unit_test(test_wire_incremental),
		cmocka_unit_test(test_wire_snapshot),
		cmocka_unit_test(test_wire_versions),
		cmocka_unit_test(test_wire_malformed),
		cmocka_unit_test(test_pub_config),
		cmocka_unit_test(test_sub_config),
		cmocka_unit_test(test_pub_fill),
		cmocka_unit_test(test_pub_heartbeat),
		cmocka_unit_test(test_pub_end),
		cmocka_unit_test(test_pub_snapshot),
		cmocka_unit_test(test_pub_overflow),
		cmocka_unit_test(test_image_deeper_than_max_levels),
		cmocka_unit_test(test_session_name),
		cmocka_unit_test(test_pub_bad_recs),
		cmocka_unit_test(test_pub_retransmit),
		cmocka_unit_test(test_pub_retransmit_budget),
		cmocka_unit_test(test_sub_basic),
		cmocka_unit_test(test_sub_retransmit),
		cmocka_unit_test(test_sub_give_up),
		cmocka_unit_test(test_sub_too_old),
		cmocka_unit_test(test_sub_hold),
		cmocka_unit_test(test_sub_give_up_after_end),
		cmocka_unit_test(test_sub_broken_image),
		cmocka_unit_test(test_sub_late_joiner),
		cmocka_unit_test(test_sub_status),
		cmocka_unit_test(test_sub_sessions),
		cmocka_unit_test(test_sub_foreign_snapshot),
		cmocka_unit_test(test_seed_corpus),
		cmocka_unit_test(test_reimage_truncated_for_a_deeper_subscriber),
		cmocka_unit_test(test_undecodable_message_stales_books),
		cmocka_unit_test(test_dropped_image_keeps_newer_status),
		cmocka_unit_test(test_foreign_image_sets_no_status),
		cmocka_unit_test(test_status_applies_while_stale),
		cmocka_unit_test(test_sub_trades_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
