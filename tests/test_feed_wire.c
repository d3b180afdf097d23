/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the NXM wire format (include/nx/feed.h, src/feed/): every
 * message encoded and compared with the documented bytes, decoded back;
 * version tolerance (longer blocks, longer group entries, trailing bytes);
 * every malformed class, by decoder and counted by a subscriber; records
 * from engine events. Expected bytes are written here from
 * docs/market-data.md's tables, byte by byte, not with the library's
 * encoder. With NX_FEED_CORPUS=dir set, test_seed_corpus writes the fuzzer's
 * seeds (tests/fuzz/fuzz_feed.c's input format) there.
 *
 * The publisher is tested in test_feed_pub.c, the subscriber in
 * test_feed_sub.c, the differential test and the allocation count are in
 * test_feed_diff.c.
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
	nx_feed_pub_request(p, req, sizeof(req), (struct nx_addr){ .ip = 1, .port = 1 }, 2000);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rec_of),
		cmocka_unit_test(test_wire_incremental),
		cmocka_unit_test(test_wire_snapshot),
		cmocka_unit_test(test_wire_versions),
		cmocka_unit_test(test_wire_malformed),
		cmocka_unit_test(test_seed_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
