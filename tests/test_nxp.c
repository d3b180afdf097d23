/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the NXP codec (include/nx/nxp.h, src/proto/nxp.c):
 * - every message: encode, read back, every accessor, decode, re-encode
 *   byte for byte, and "does not fit" at every short capacity;
 * - known bytes written out by hand for NewOrder, ExecTrade and Negotiate;
 * - each malformed class of nx_nxp_next with its own error, and what the
 *   reader does after it (skip one message, or stop the datagram);
 * - several messages in one datagram, and a longer "v2" block;
 * - docs/protocol.md and docs/nxp.xml against the codec's tables (offsets,
 *   sizes, names, block lengths, ids), and the XML reason enums against
 *   nx/reason.h. These read the docs from the working directory (the
 *   repository root under make) and skip when the files are not there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/cc.h"
#include "nx/nxp.h"
#include "nx/reason.h"
#include "nx/types.h"

/* --- Round trip of every message ---------------------------------------------- */

/* Deterministic, distinct, and wide values: high bytes set, negatives. */
static void fill_u8(uint8_t *d, unsigned *s) { *d = (uint8_t)(0x10 + (*s)++); }
static void fill_u16(uint16_t *d, unsigned *s) { *d = (uint16_t)(0xA100 + (*s)++); }
static void fill_u32(uint32_t *d, unsigned *s) { *d = 0xC1B2A300u + (*s)++; }
static void fill_u64(uint64_t *d, unsigned *s) { *d = UINT64_C(0xF1E2D3C4B5A69700) + (*s)++; }
static void fill_i64(int64_t *d, unsigned *s) { *d = -INT64_C(0x0102030405060708) - (*s)++; }
static void fill_c16(char *d, unsigned *s) { snprintf(d, 16, "SYM-%u", (*s)++); }
static void fill_b32(uint8_t *d, unsigned *s)
{
	for (unsigned i = 0; i < 32; i++)
		d[i] = (uint8_t)(i * 7 + *s);
	(*s)++;
}

#define FILL_u8(x, s)  fill_u8(&(x), s)
#define FILL_u16(x, s) fill_u16(&(x), s)
#define FILL_u32(x, s) fill_u32(&(x), s)
#define FILL_u64(x, s) fill_u64(&(x), s)
#define FILL_i64(x, s) fill_i64(&(x), s)
#define FILL_c16(x, s) fill_c16((x), s)
#define FILL_b32(x, s) fill_b32((x), s)

#define SAME_u8(a, b)  assert_int_equal((a), (b))
#define SAME_u16(a, b) assert_int_equal((a), (b))
#define SAME_u32(a, b) assert_int_equal((a), (b))
#define SAME_u64(a, b) assert_true((a) == (b))
#define SAME_i64(a, b) assert_true((a) == (b))
#define SAME_c16(a, b) assert_memory_equal((a), (b), 16)
#define SAME_b32(a, b) assert_memory_equal((a), (b), 32)

/* Independent little-endian reads for the byte-position check. */
static uint64_t raw_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

#define RAW_u8(p, v)  assert_true(raw_le((p), 1) == (uint64_t)(v))
#define RAW_u16(p, v) assert_true(raw_le((p), 2) == (uint64_t)(v))
#define RAW_u32(p, v) assert_true(raw_le((p), 4) == (uint64_t)(v))
#define RAW_u64(p, v) assert_true(raw_le((p), 8) == (uint64_t)(v))
#define RAW_i64(p, v) assert_true(raw_le((p), 8) == (uint64_t)(v))
#define RAW_c16(p, v) assert_memory_equal((p), (v), 16)
#define RAW_b32(p, v) assert_memory_equal((p), (v), 32)

#define F_FILL_(m, f, t, off) FILL_##t(v.f, &seed);
#define F_ACC_(m, f, t, off)  SAME_##t(nx_nxp_##m##_##f(&msg), v.f);
#define F_RAW_(m, f, t, off)  RAW_##t(buf + NX_NXP_OVERHEAD + (off), v.f);
#define F_SAME_(m, f, t, off) SAME_##t(d.f, v.f); /* field by field: padding is not data */

#define X_(N, n, S, ID, LEN, FL)                                                    \
	static void test_rt_##n(void **state)                                       \
	{                                                                           \
		struct nx_nxp_##n v, d;                                             \
		uint8_t buf[256], again[256];                                       \
		struct nx_nxp_writer w;                                             \
		struct nx_nxp_reader r;                                             \
		struct nx_nxp_msg msg;                                              \
		unsigned seed = ID;                                                 \
		size_t k;                                                           \
		(void)state;                                                        \
		memset(&v, 0, sizeof(v));                                           \
		memset(&d, 0, sizeof(d));                                           \
		NX_NXP_FIELDS_##n(F_FILL_, n)                                       \
		nx_nxp_writer_init(&w, buf, sizeof(buf));                           \
		k = nx_nxp_encode_##n(&w, &v);                                      \
		assert_int_equal(k, NX_NXP_OVERHEAD + (LEN));                       \
		assert_int_equal(w.len, k);                                         \
		/* SOFH big-endian, header little-endian */                         \
		assert_int_equal(buf[0] << 24 | buf[1] << 16 | buf[2] << 8 | buf[3], k); \
		assert_int_equal(buf[4], 0xEB);                                     \
		assert_int_equal(buf[5], 0x50);                                     \
		assert_int_equal(raw_le(buf + 6, 2), (LEN));                        \
		assert_int_equal(raw_le(buf + 8, 2), (ID));                         \
		assert_int_equal(raw_le(buf + 10, 2), 0x4E58);                      \
		assert_int_equal(raw_le(buf + 12, 2), 1);                           \
		NX_NXP_FIELDS_##n(F_RAW_, n)                                        \
		nx_nxp_reader_init(&r, buf, k);                                     \
		assert_int_equal(nx_nxp_next(&r, &msg), 1);                         \
		assert_int_equal(msg.template_id, (ID));                            \
		assert_int_equal(msg.version, 1);                                   \
		assert_int_equal(msg.block_len, (LEN));                             \
		assert_int_equal(msg.flags, (FL));                                  \
		assert_ptr_equal(msg.block, buf + NX_NXP_OVERHEAD);                 \
		assert_ptr_equal(msg.frame, buf);                                   \
		assert_int_equal(msg.frame_len, k);                                 \
		NX_NXP_FIELDS_##n(F_ACC_, n)                                        \
		nx_nxp_decode_##n(&msg, &d);                                        \
		NX_NXP_FIELDS_##n(F_SAME_, n)                                       \
		assert_int_equal(nx_nxp_next(&r, &msg), 0);                         \
		assert_int_equal(nx_nxp_reader_offset(&r), k);                      \
		nx_nxp_writer_init(&w, again, sizeof(again));                       \
		assert_int_equal(nx_nxp_encode_##n(&w, &d), k);                     \
		assert_memory_equal(buf, again, k);                                 \
		for (size_t cap = 0; cap < k; cap++) {                              \
			nx_nxp_writer_init(&w, again, cap);                         \
			assert_int_equal(nx_nxp_encode_##n(&w, &v), 0);             \
			assert_int_equal(w.len, 0);                                 \
		}                                                                   \
		assert_string_equal(nx_nxp_template_name(ID), #S);                  \
		assert_int_equal(nx_nxp_template_flags(ID), (FL));                  \
		assert_int_equal(nx_nxp_template_block_len(ID), (LEN));             \
	}
NX_NXP_MESSAGES(X_)
#undef X_

/* --- Known bytes ------------------------------------------------------------------ */

static void check_bytes(const uint8_t *got, size_t n, const uint8_t *want, size_t wn)
{
	assert_int_equal(n, wn);
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("byte %zu: got 0x%02x, want 0x%02x", i, got[i], want[i]);
}

static const uint8_t new_order_bytes[] = {
	0x00, 0x00, 0x00, 0x3b, 0xeb, 0x50,             /* SOFH: 59 bytes, SBE 1.0 LE */
	0x2d, 0x00, 0x64, 0x00, 0x58, 0x4e, 0x01, 0x00, /* block 45, template 100, schema, v1 */
	0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* clOrdId 42 */
	0x36, 0x87, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, /* price 100150 */
	0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* qty 20 */
	0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* displayQty 5 */
	0x07, 0x00, 0x00, 0x00,                         /* account 7 */
	0x01, 0x00, 0x00, 0x00,                         /* instrument 1 */
	0x01, 0x01, 0x01, 0x00, 0x03,                   /* Buy Limit GTC, not post-only, CO */
};

static void test_known_new_order(void **state)
{
	struct nx_nxp_new_order o = { .cl_ord_id = 42, .price = 100150, .qty = 20, .display_qty = 5,
				      .account = 7, .instrument = 1, .side = NX_SIDE_BUY,
				      .ord_type = 1, .time_in_force = 1, .post_only = 0, .stp_mode = 3 };
	uint8_t buf[128];
	struct nx_nxp_writer w;
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;

	(void)state;
	nx_nxp_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(nx_nxp_encode_new_order(&w, &o), sizeof(new_order_bytes));
	check_bytes(buf, w.len, new_order_bytes, sizeof(new_order_bytes));

	nx_nxp_reader_init(&r, new_order_bytes, sizeof(new_order_bytes));
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_int_equal(m.template_id, NX_NXP_NEW_ORDER);
	assert_true(nx_nxp_new_order_cl_ord_id(&m) == 42);
	assert_true(nx_nxp_new_order_price(&m) == 100150);
	assert_true(nx_nxp_new_order_qty(&m) == 20);
	assert_true(nx_nxp_new_order_display_qty(&m) == 5);
	assert_int_equal(nx_nxp_new_order_account(&m), 7);
	assert_int_equal(nx_nxp_new_order_instrument(&m), 1);
	assert_int_equal(nx_nxp_new_order_side(&m), NX_SIDE_BUY);
	assert_int_equal(nx_nxp_new_order_stp_mode(&m), 3);
}

static void test_known_exec_trade(void **state)
{
	static const uint8_t want[] = {
		0x00, 0x00, 0x00, 0x5d, 0xeb, 0x50,             /* SOFH: 93 bytes */
		0x4f, 0x00, 0xc9, 0x00, 0x58, 0x4e, 0x01, 0x00, /* block 79, template 201 */
		0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* clOrdId 42 */
		0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* orderId 5 */
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* tradeId 1 */
		0x15, 0xcd, 0x85, 0x3d, 0xfe, 0x9c, 0x97, 0x17, /* transactTime 1700000000123456789 */
		0x04, 0x87, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, /* lastPx 100100 */
		0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* lastQty 8 */
		0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* leavesQty 12 */
		0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* cumQty 8 */
		0x07, 0x00, 0x00, 0x00,                         /* account 7 */
		0x01, 0x00, 0x00, 0x00,                         /* instrument 1 */
		0x01, 0x02, 0x01,                               /* Buy, Taker, aggressor Buy */
		0x03, 0x00, 0x00, 0x00,                         /* tradeCount 3 */
	};
	struct nx_nxp_exec_trade t = { .cl_ord_id = 42, .order_id = 5, .trade_id = 1,
				       .transact_time = UINT64_C(1700000000123456789),
				       .last_px = 100100, .last_qty = 8, .leaves_qty = 12, .cum_qty = 8,
				       .account = 7, .instrument = 1, .side = NX_SIDE_BUY,
				       .liquidity = 2, .aggressor = NX_SIDE_BUY, .trade_count = 3 };
	uint8_t buf[128];
	struct nx_nxp_writer w;
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;

	(void)state;
	nx_nxp_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(nx_nxp_encode_exec_trade(&w, &t), sizeof(want));
	check_bytes(buf, w.len, want, sizeof(want));
	nx_nxp_reader_init(&r, want, sizeof(want));
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_true(nx_nxp_exec_trade_transact_time(&m) == UINT64_C(1700000000123456789));
	assert_true(nx_nxp_exec_trade_leaves_qty(&m) == 12);
	assert_int_equal(nx_nxp_exec_trade_liquidity(&m), 2);
	assert_int_equal(nx_nxp_exec_trade_trade_count(&m), 3);
}

static void test_known_negotiate(void **state)
{
	static const uint8_t want[] = {
		0x00, 0x00, 0x00, 0x43, 0xeb, 0x50,             /* SOFH: 67 bytes */
		0x35, 0x00, 0x01, 0x00, 0x58, 0x4e, 0x01, 0x00, /* block 53, template 1 */
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* sessionId 0x1122334455667788 */
		0x00, 0x00, 0x2a, 0x36, 0xfe, 0x9c, 0x97, 0x17, /* timestamp 1700000000000000000 */
		0x07, 0x00, 0x00, 0x00,                         /* account 7 */
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, /* secretKey 00 01 .. 1f */
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
		0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
		0x01,                                           /* clientFlow Idempotent */
	};
	struct nx_nxp_negotiate n = { .session_id = UINT64_C(0x1122334455667788),
				      .timestamp = UINT64_C(1700000000000000000), .account = 7,
				      .client_flow = NX_NXP_FLOW_IDEMPOTENT };
	uint8_t buf[128];
	struct nx_nxp_writer w;
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;

	(void)state;
	for (unsigned i = 0; i < 32; i++)
		n.secret_key[i] = (uint8_t)i;
	nx_nxp_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(nx_nxp_encode_negotiate(&w, &n), sizeof(want));
	check_bytes(buf, w.len, want, sizeof(want));
	nx_nxp_reader_init(&r, want, sizeof(want));
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_int_equal(m.flags, NX_NXP_F_CLIENT);
	assert_memory_equal(nx_nxp_negotiate_secret_key(&m), n.secret_key, 32);
	assert_int_equal(nx_nxp_negotiate_client_flow(&m), NX_NXP_FLOW_IDEMPOTENT);
}

/* --- Malformed input ------------------------------------------------------------- */

/* A copy of the known NewOrder datagram to damage. */
static size_t base(uint8_t *b)
{
	memcpy(b, new_order_bytes, sizeof(new_order_bytes));
	return sizeof(new_order_bytes);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* Expect rc for the first message, then what a framing or message error
 * implies: the end of the datagram, or the next message. */
static void expect_first(const uint8_t *b, size_t n, int rc)
{
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;

	nx_nxp_reader_init(&r, b, n);
	assert_int_equal(nx_nxp_next(&r, &m), rc);
	assert_null(m.block);
	if (nx_nxp_err_fatal(rc)) {
		assert_int_equal(nx_nxp_reader_offset(&r), n);
		assert_int_equal(m.frame_len, 0);
		assert_int_equal(m.template_id, 0);
	} else {
		assert_ptr_equal(m.frame, b);
		assert_int_equal(nx_nxp_reader_offset(&r), m.frame_len);
	}
	assert_int_equal(nx_nxp_next(&r, &m), 0);
	assert_int_equal(nx_nxp_next(&r, &m), 0);
	/* at the end, the view is zeroed, as for a framing error */
	assert_null(m.frame);
	assert_int_equal(m.frame_len, 0);
	assert_int_equal(m.template_id, 0);
	assert_int_equal(m.flags, 0);
}

static void test_err_sofh_trunc(void **state)
{
	uint8_t b[128];
	size_t n = base(b);
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;

	(void)state;
	for (size_t k = 1; k < NX_NXP_SOFH_LEN; k++)
		expect_first(b, k, NX_NXP_E_SOFH_TRUNC);
	/* A good message followed by 3 stray bytes. */
	memset(b + n, 0, 3);
	nx_nxp_reader_init(&r, b, n + 3);
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_int_equal(nx_nxp_next(&r, &m), NX_NXP_E_SOFH_TRUNC);
	assert_int_equal(nx_nxp_next(&r, &m), 0);
}

static void test_err_encoding(void **state)
{
	uint8_t b[128];
	size_t n = base(b);

	(void)state;
	b[4] = 0x5B; /* SBE 1.0 big-endian: not ours */
	b[5] = 0xE0;
	expect_first(b, n, NX_NXP_E_ENCODING);
	b[4] = 0x50; /* the right value with its bytes swapped */
	b[5] = 0xEB;
	expect_first(b, n, NX_NXP_E_ENCODING);
}

static void test_err_sofh_short(void **state)
{
	uint8_t b[128];
	size_t n = base(b);

	(void)state;
	for (uint32_t len = 0; len < NX_NXP_SOFH_LEN; len++) {
		put_be32(b, len);
		expect_first(b, n, NX_NXP_E_SOFH_SHORT);
	}
}

static void test_err_sofh_long(void **state)
{
	uint8_t b[128];
	size_t n = base(b);

	(void)state;
	put_be32(b, (uint32_t)n + 1);
	expect_first(b, n, NX_NXP_E_SOFH_LONG);
	put_be32(b, UINT32_MAX);
	expect_first(b, n, NX_NXP_E_SOFH_LONG);
	put_be32(b, (uint32_t)n); /* right length, datagram cut short */
	expect_first(b, n - 1, NX_NXP_E_SOFH_LONG);
}

static void test_err_hdr_trunc(void **state)
{
	uint8_t b[128];
	size_t n = base(b);
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;

	(void)state;
	for (uint32_t len = NX_NXP_SOFH_LEN; len < NX_NXP_OVERHEAD; len++) {
		put_be32(b, len);
		expect_first(b, len, NX_NXP_E_HDR_TRUNC);
	}
	/* A 10-byte frame, then a good message: the reader steps over the first. */
	uint8_t d[256];
	put_be32(d, 10);
	d[4] = 0xEB;
	d[5] = 0x50;
	memset(d + 6, 0xAA, 4);
	memcpy(d + 10, new_order_bytes, n);
	nx_nxp_reader_init(&r, d, 10 + n);
	assert_int_equal(nx_nxp_next(&r, &m), NX_NXP_E_HDR_TRUNC);
	assert_int_equal(m.frame_len, 10);
	assert_int_equal(m.template_id, 0);
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_int_equal(m.template_id, NX_NXP_NEW_ORDER);
	assert_ptr_equal(m.frame, d + 10);
	assert_int_equal(nx_nxp_next(&r, &m), 0);
}

static void test_err_schema(void **state)
{
	uint8_t b[128];
	size_t n = base(b);

	(void)state;
	put_le16(b + 10, 0x584E); /* byte-swapped schema id */
	expect_first(b, n, NX_NXP_E_SCHEMA);
	put_le16(b + 10, 0);
	expect_first(b, n, NX_NXP_E_SCHEMA);
}

static void test_err_version(void **state)
{
	uint8_t b[128];
	size_t n = base(b);
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;

	(void)state;
	put_le16(b + 12, 0);
	expect_first(b, n, NX_NXP_E_VERSION);
	nx_nxp_reader_init(&r, b, n);
	assert_int_equal(nx_nxp_next(&r, &m), NX_NXP_E_VERSION);
	assert_int_equal(m.template_id, NX_NXP_NEW_ORDER); /* enough to answer with a reject */
	assert_int_equal(m.block_len, NX_NXP_NEW_ORDER_BLOCK_LEN);
}

static void test_err_template(void **state)
{
	static const uint16_t bad[] = { 0, 4, 9, 10, 17, 19, 99, 105, 210, 302, 404, 412,
					NX_NXP_TID_LIMIT - 1, NX_NXP_TID_LIMIT, 0xFFFF };
	uint8_t b[128];
	size_t n = base(b);
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;

	(void)state;
	for (size_t i = 0; i < NX_ARRAY_SIZE(bad); i++) {
		put_le16(b + 8, bad[i]);
		expect_first(b, n, NX_NXP_E_TEMPLATE);
		nx_nxp_reader_init(&r, b, n);
		assert_int_equal(nx_nxp_next(&r, &m), NX_NXP_E_TEMPLATE);
		assert_int_equal(m.template_id, bad[i]);
		assert_int_equal(m.flags, 0);
		assert_string_equal(nx_nxp_template_name(bad[i]), "?");
		assert_int_equal(nx_nxp_template_flags(bad[i]), 0);
	}
}

static void test_err_block_short(void **state)
{
	uint8_t b[128];
	size_t n = base(b);

	(void)state;
	/* A consistent frame whose block is one byte shorter than v1. */
	put_be32(b, (uint32_t)n - 1);
	put_le16(b + 6, NX_NXP_NEW_ORDER_BLOCK_LEN - 1);
	expect_first(b, n - 1, NX_NXP_E_BLOCK_SHORT);
	/* Shorter than v1 is short even when the frame is long enough. */
	put_be32(b, (uint32_t)n);
	put_le16(b + 6, 0);
	expect_first(b, n, NX_NXP_E_BLOCK_SHORT);
}

static void test_err_length(void **state)
{
	uint8_t b[128];
	size_t n = base(b);

	(void)state;
	/* blockLength runs past the frame. */
	put_le16(b + 6, NX_NXP_NEW_ORDER_BLOCK_LEN + 1);
	expect_first(b, n, NX_NXP_E_LENGTH);
	put_le16(b + 6, 0xFFFF);
	expect_first(b, n, NX_NXP_E_LENGTH);
	/* The frame holds a byte the block does not account for. */
	put_le16(b + 6, NX_NXP_NEW_ORDER_BLOCK_LEN);
	put_be32(b, (uint32_t)n + 1);
	b[n] = 0;
	expect_first(b, n + 1, NX_NXP_E_LENGTH);
}

static void test_empty_datagram(void **state)
{
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;
	uint8_t b[1] = { 0 };

	(void)state;
	nx_nxp_reader_init(&r, b, 0);
	assert_int_equal(nx_nxp_next(&r, &m), 0);
	assert_int_equal(nx_nxp_reader_offset(&r), 0);
}

static void test_strerror(void **state)
{
	static const int all[] = { NX_NXP_E_SOFH_TRUNC, NX_NXP_E_ENCODING, NX_NXP_E_SOFH_SHORT,
				   NX_NXP_E_SOFH_LONG, NX_NXP_E_HDR_TRUNC, NX_NXP_E_SCHEMA,
				   NX_NXP_E_VERSION, NX_NXP_E_TEMPLATE, NX_NXP_E_BLOCK_SHORT,
				   NX_NXP_E_LENGTH };
	(void)state;
	for (size_t i = 0; i < NX_ARRAY_SIZE(all); i++) {
		assert_string_not_equal(nx_nxp_strerror(all[i]), "?");
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(all[i], all[j]);
		assert_int_equal(nx_nxp_err_fatal(all[i]), i < 4);
	}
	assert_string_equal(nx_nxp_strerror(0), "?");
	assert_string_equal(nx_nxp_strerror(-22), "?");
	assert_int_equal(nx_nxp_err_fatal(0), 0);
	assert_int_equal(nx_nxp_err_fatal(1), 0);
}

/* --- Datagrams of several messages, versions ------------------------------------ */

static void test_multi_message(void **state)
{
	uint8_t b[NX_NXP_DGRAM_MAX];
	struct nx_nxp_writer w;
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;
	struct nx_nxp_sequence seq = { .next_seq_no = 77 };
	struct nx_nxp_new_order o = { .cl_ord_id = 1, .price = 100, .qty = 3, .account = 9,
				      .instrument = 2, .side = 2, .ord_type = 1, .time_in_force = 2 };
	struct nx_nxp_cancel_order c = { .cl_ord_id = 2, .orig_cl_ord_id = 1, .account = 9 };
	struct nx_nxp_mass_cancel mc = { .cl_ord_id = 3, .account = 9, .instrument = 0, .side = 0 };
	size_t n = 0, off;
	unsigned count = 0;

	(void)state;
	nx_nxp_writer_init(&w, b, sizeof(b));
	n += nx_nxp_encode_sequence(&w, &seq);
	n += nx_nxp_encode_new_order(&w, &o);
	n += nx_nxp_encode_cancel_order(&w, &c);
	n += nx_nxp_encode_mass_cancel(&w, &mc);
	assert_int_equal(n, w.len);
	assert_int_equal(n, 4 * NX_NXP_OVERHEAD + NX_NXP_SEQUENCE_BLOCK_LEN +
			 NX_NXP_NEW_ORDER_BLOCK_LEN + NX_NXP_CANCEL_ORDER_BLOCK_LEN +
			 NX_NXP_MASS_CANCEL_BLOCK_LEN);

	nx_nxp_reader_init(&r, b, n);
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_int_equal(m.template_id, NX_NXP_SEQUENCE);
	assert_true(nx_nxp_sequence_next_seq_no(&m) == 77);
	assert_int_equal(m.flags & NX_NXP_F_SEQ, 0);
	off = nx_nxp_reader_offset(&r);
	assert_int_equal(off, NX_NXP_OVERHEAD + NX_NXP_SEQUENCE_BLOCK_LEN);
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_int_equal(m.template_id, NX_NXP_NEW_ORDER);
	assert_ptr_equal(m.frame, b + off);
	assert_true(nx_nxp_new_order_price(&m) == 100);
	assert_int_equal(m.flags, NX_NXP_F_CLIENT | NX_NXP_F_SEQ);
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_int_equal(m.template_id, NX_NXP_CANCEL_ORDER);
	assert_true(nx_nxp_cancel_order_orig_cl_ord_id(&m) == 1);
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_int_equal(m.template_id, NX_NXP_MASS_CANCEL);
	assert_int_equal(nx_nxp_mass_cancel_account(&m), 9);
	assert_int_equal(nx_nxp_next(&r, &m), 0);
	assert_int_equal(nx_nxp_reader_offset(&r), n);

	/* As many NewOrders as fit in a 1472-byte datagram, all read back. */
	nx_nxp_writer_init(&w, b, sizeof(b));
	while (nx_nxp_encode_new_order(&w, &o))
		o.cl_ord_id++;
	assert_int_equal(w.len, (sizeof(b) / (NX_NXP_OVERHEAD + NX_NXP_NEW_ORDER_BLOCK_LEN)) *
			 (NX_NXP_OVERHEAD + NX_NXP_NEW_ORDER_BLOCK_LEN));
	nx_nxp_reader_init(&r, b, w.len);
	while (nx_nxp_next(&r, &m) == 1) {
		assert_true(nx_nxp_new_order_cl_ord_id(&m) == 1 + count);
		count++;
	}
	assert_int_equal(count, o.cl_ord_id - 1);
	assert_int_equal(nx_nxp_reader_offset(&r), w.len);
}

/* A message error in the middle: the messages around it still read. */
static void test_bad_message_in_the_middle(void **state)
{
	uint8_t b[512];
	struct nx_nxp_writer w;
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;
	struct nx_nxp_sequence seq = { .next_seq_no = 5 };
	uint8_t *x;

	(void)state;
	nx_nxp_writer_init(&w, b, sizeof(b));
	nx_nxp_encode_sequence(&w, &seq);
	x = nx_nxp_encode_header(&w, 250, 1, 12); /* no such template */
	assert_non_null(x);
	memset(x, 0xFF, 12);
	nx_nxp_encode_sequence(&w, &seq);
	nx_nxp_reader_init(&r, b, w.len);
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_int_equal(nx_nxp_next(&r, &m), NX_NXP_E_TEMPLATE);
	assert_int_equal(m.template_id, 250);
	assert_int_equal(m.block_len, 12);
	assert_int_equal(m.frame_len, NX_NXP_OVERHEAD + 12);
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_int_equal(m.template_id, NX_NXP_SEQUENCE);
	assert_int_equal(nx_nxp_next(&r, &m), 0);
}

/* A framing error in the middle: what follows it is lost, by design. */
static void test_bad_framing_in_the_middle(void **state)
{
	uint8_t b[512];
	struct nx_nxp_writer w;
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;
	struct nx_nxp_sequence seq = { .next_seq_no = 5 };
	size_t second;

	(void)state;
	nx_nxp_writer_init(&w, b, sizeof(b));
	nx_nxp_encode_sequence(&w, &seq);
	second = w.len;
	nx_nxp_encode_sequence(&w, &seq);
	nx_nxp_encode_sequence(&w, &seq);
	b[second + 5] ^= 1; /* encoding type */
	nx_nxp_reader_init(&r, b, w.len);
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_int_equal(nx_nxp_next(&r, &m), NX_NXP_E_ENCODING);
	assert_int_equal(nx_nxp_next(&r, &m), 0);
	assert_int_equal(nx_nxp_reader_offset(&r), w.len);
}

/* A "v2" sender appends fields to the block: a v1 reader reads the v1
 * fields at their offsets and ignores the rest; the next message still
 * starts where the SOFH says. */
static void test_version_tolerance(void **state)
{
	enum { EXTRA = 11 };
	uint8_t v1[128], b[256];
	struct nx_nxp_writer w;
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;
	struct nx_nxp_new_order v = { .cl_ord_id = 9, .price = 12345, .qty = 7, .display_qty = 1,
				      .account = 3, .instrument = 4, .side = 1, .ord_type = 1,
				      .time_in_force = 1, .post_only = 1, .stp_mode = 5 }, d;
	struct nx_nxp_sequence seq = { .next_seq_no = 1 };
	uint8_t *blk;

	(void)state;
	nx_nxp_writer_init(&w, v1, sizeof(v1));
	nx_nxp_encode_new_order(&w, &v);

	nx_nxp_writer_init(&w, b, sizeof(b));
	blk = nx_nxp_encode_header(&w, NX_NXP_NEW_ORDER, 2, NX_NXP_NEW_ORDER_BLOCK_LEN + EXTRA);
	assert_non_null(blk);
	memcpy(blk, v1 + NX_NXP_OVERHEAD, NX_NXP_NEW_ORDER_BLOCK_LEN);
	memset(blk + NX_NXP_NEW_ORDER_BLOCK_LEN, 0xEE, EXTRA); /* v2 fields */
	nx_nxp_encode_sequence(&w, &seq);

	nx_nxp_reader_init(&r, b, w.len);
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_int_equal(m.version, 2);
	assert_int_equal(m.block_len, NX_NXP_NEW_ORDER_BLOCK_LEN + EXTRA);
	assert_int_equal(m.frame_len, NX_NXP_OVERHEAD + NX_NXP_NEW_ORDER_BLOCK_LEN + EXTRA);
	memset(&d, 0, sizeof(d));
	nx_nxp_decode_new_order(&m, &d);
	NX_NXP_FIELDS_new_order(F_SAME_, new_order)
	assert_int_equal(nx_nxp_new_order_stp_mode(&m), 5);
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_int_equal(m.template_id, NX_NXP_SEQUENCE);
	assert_int_equal(m.version, 1);
	assert_int_equal(nx_nxp_next(&r, &m), 0);

	/* A far-future version number is read the same way. */
	b[12] = 0xFF;
	b[13] = 0xFF;
	nx_nxp_reader_init(&r, b, w.len);
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	assert_int_equal(m.version, 0xFFFF);
}

/* --- Writer details -------------------------------------------------------------- */

static void test_writer_fills_exactly(void **state)
{
	uint8_t b[2 * (NX_NXP_OVERHEAD + NX_NXP_SEQUENCE_BLOCK_LEN)];
	struct nx_nxp_writer w;
	struct nx_nxp_sequence s = { .next_seq_no = 1 };

	(void)state;
	nx_nxp_writer_init(&w, b, sizeof(b));
	assert_int_equal(nx_nxp_encode_sequence(&w, &s), 22);
	assert_int_equal(nx_nxp_encode_sequence(&w, &s), 22);
	assert_int_equal(w.len, sizeof(b));
	assert_int_equal(nx_nxp_encode_sequence(&w, &s), 0);
	assert_null(nx_nxp_encode_header(&w, NX_NXP_SEQUENCE, 1, 0));
	assert_int_equal(w.len, sizeof(b));
	/* A header with an empty block still fits exactly its 14 bytes. */
	nx_nxp_writer_init(&w, b, NX_NXP_OVERHEAD);
	assert_non_null(nx_nxp_encode_header(&w, 7, 1, 0));
	assert_int_equal(w.len, NX_NXP_OVERHEAD);
}

/* Symbols are copied up to their NUL and zero-padded; a 16-character symbol
 * fills the field with no NUL. */
static void test_symbol_padding(void **state)
{
	struct nx_nxp_instrument_definition in, out;
	uint8_t b[256];
	struct nx_nxp_writer w;
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;
	const char *s;

	(void)state;
	memset(&in, 0, sizeof(in));
	memset(in.symbol, 'Z', sizeof(in.symbol)); /* junk after the NUL must not leak */
	memcpy(in.symbol, "BTC-USD", 8);
	nx_nxp_writer_init(&w, b, sizeof(b));
	nx_nxp_encode_instrument_definition(&w, &in);
	nx_nxp_reader_init(&r, b, w.len);
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	s = nx_nxp_instrument_definition_symbol(&m);
	assert_memory_equal(s, "BTC-USD\0\0\0\0\0\0\0\0\0", 16);

	memcpy(in.symbol, "ABCDEFGHIJKLMNOP", 16);
	nx_nxp_writer_init(&w, b, sizeof(b));
	nx_nxp_encode_instrument_definition(&w, &in);
	nx_nxp_reader_init(&r, b, w.len);
	assert_int_equal(nx_nxp_next(&r, &m), 1);
	nx_nxp_decode_instrument_definition(&m, &out);
	assert_memory_equal(out.symbol, "ABCDEFGHIJKLMNOP", 16);
}

/* --- The docs against the tables ---------------------------------------------- */

struct fdesc {
	const char *name;
	unsigned size, off;
};

struct mdesc {
	const char *sbe;
	unsigned id, len, flags;
	const struct fdesc *f;
	unsigned nf;
};

#define FD_(m, f, t, off) { #f, NX_NXP_SIZE_##t, off },
#define X_(N, n, S, ID, LEN, FL) static const struct fdesc fd_##n[] = { NX_NXP_FIELDS_##n(FD_, n) };
NX_NXP_MESSAGES(X_)
#undef X_
#undef FD_

static const struct mdesc msgs[] = {
#define X_(N, n, S, ID, LEN, FL) { #S, ID, LEN, FL, fd_##n, NX_ARRAY_SIZE(fd_##n) },
	NX_NXP_MESSAGES(X_)
#undef X_
};

static const struct mdesc *mdesc_by_id(unsigned id)
{
	for (size_t i = 0; i < NX_ARRAY_SIZE(msgs); i++)
		if (msgs[i].id == id)
			return &msgs[i];
	return NULL;
}

/* "clOrdId" -> "cl_ord_id"; upper=1: "PostOnlyWouldTake" -> "POST_ONLY_WOULD_TAKE". */
static void camel_to_snake(const char *in, char *out, size_t cap, int upper)
{
	size_t k = 0;
	for (size_t i = 0; in[i] && k + 2 < cap; i++) {
		unsigned char c = (unsigned char)in[i];
		if (isupper(c) && i > 0 && (islower((unsigned char)in[i - 1]) ||
					    isdigit((unsigned char)in[i - 1])))
			out[k++] = '_';
		out[k++] = (char)(upper ? toupper(c) : tolower(c));
	}
	out[k] = 0;
}

/* The value of attribute name="..." on this line, or 0 when absent. */
static int attr(const char *line, const char *name, char *out, size_t cap)
{
	char key[64];
	const char *p, *q;

	snprintf(key, sizeof(key), " %s=\"", name);
	p = strstr(line, key);
	if (!p)
		return 0;
	p += strlen(key);
	q = strchr(p, '"');
	if (!q || (size_t)(q - p) >= cap)
		return 0;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = 0;
	return 1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	return buf;
}

#define MAX_TYPES 64
struct tsize {
	char name[64];
	unsigned size;
};

static unsigned prim_size(const char *p)
{
	if (!strcmp(p, "char") || !strcmp(p, "uint8") || !strcmp(p, "int8"))
		return 1;
	if (!strcmp(p, "uint16") || !strcmp(p, "int16"))
		return 2;
	if (!strcmp(p, "uint32") || !strcmp(p, "int32"))
		return 4;
	if (!strcmp(p, "uint64") || !strcmp(p, "int64"))
		return 8;
	fail_msg("unknown primitive type %s", p);
	return 0;
}

/* docs/nxp.xml, read line by line as it is laid out (one element a line). */
static void test_xml_matches_tables(void **state)
{
	char *xml = slurp("docs/nxp.xml"), *line, *save = NULL;
	struct tsize types[MAX_TYPES];
	unsigned ntypes = 0, seen = 0, fi = 0, hdr = 0;
	const struct mdesc *cur = NULL;
	char a[128], b[128], c[128], snake[128];
	static const char *const hdr_names[] = { "blockLength", "templateId", "schemaId", "version" };
	int in_header = 0;

	(void)state;
	if (!xml)
		skip();
	assert_non_null(strstr(xml, "<sbe:messageSchema "));
	assert_non_null(strstr(xml, " id=\"20056\"")); /* 0x4E58 */
	assert_non_null(strstr(xml, " version=\"1\""));
	assert_non_null(strstr(xml, " byteOrder=\"littleEndian\""));
	for (line = strtok_r(xml, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "<composite name=\"messageHeader\"")) {
			in_header = 1;
		} else if (in_header && strstr(line, "</composite>")) {
			in_header = 0;
		} else if (in_header && strstr(line, "<type ")) {
			assert_true(attr(line, "name", a, sizeof(a)) && attr(line, "primitiveType", b, sizeof(b)));
			assert_true(hdr < 4);
			assert_string_equal(a, hdr_names[hdr]);
			assert_string_equal(b, "uint16");
			hdr++;
		} else if (strstr(line, "<type ") && !cur) {
			assert_true(ntypes < MAX_TYPES);
			assert_true(attr(line, "name", types[ntypes].name, sizeof(types[ntypes].name)));
			assert_true(attr(line, "primitiveType", b, sizeof(b)));
			types[ntypes].size = prim_size(b) * (attr(line, "length", c, sizeof(c)) ? (unsigned)atoi(c) : 1);
			ntypes++;
		} else if (strstr(line, "<enum ")) {
			assert_true(ntypes < MAX_TYPES);
			assert_true(attr(line, "name", types[ntypes].name, sizeof(types[ntypes].name)));
			assert_true(attr(line, "encodingType", b, sizeof(b)));
			types[ntypes].size = prim_size(b);
			ntypes++;
		} else if (strstr(line, "<sbe:message ")) {
			assert_true(attr(line, "name", a, sizeof(a)) && attr(line, "id", b, sizeof(b)) &&
				    attr(line, "blockLength", c, sizeof(c)));
			cur = mdesc_by_id((unsigned)atoi(b));
			if (!cur)
				fail_msg("docs/nxp.xml: message %s id %s not in nx/nxp.h", a, b);
			assert_string_equal(a, cur->sbe);
			assert_int_equal(atoi(c), cur->len);
			fi = 0;
			seen++;
		} else if (strstr(line, "<field ")) {
			unsigned size = 0;
			assert_non_null(cur);
			assert_true(attr(line, "name", a, sizeof(a)) && attr(line, "type", b, sizeof(b)) &&
				    attr(line, "offset", c, sizeof(c)));
			if (fi >= cur->nf)
				fail_msg("docs/nxp.xml: %s has extra field %s", cur->sbe, a);
			camel_to_snake(a, snake, sizeof(snake), 0);
			if (strcmp(snake, cur->f[fi].name))
				fail_msg("docs/nxp.xml: %s field %u is %s, nxp.h says %s", cur->sbe, fi, a,
					 cur->f[fi].name);
			assert_int_equal(atoi(c), cur->f[fi].off);
			for (unsigned t = 0; t < ntypes; t++)
				if (!strcmp(types[t].name, b))
					size = types[t].size;
			if (size != cur->f[fi].size)
				fail_msg("docs/nxp.xml: %s.%s type %s is %u bytes, nxp.h says %u", cur->sbe,
					 a, b, size, cur->f[fi].size);
			fi++;
		} else if (strstr(line, "</sbe:message>")) {
			assert_non_null(cur);
			assert_int_equal(fi, cur->nf);
			cur = NULL;
		}
	}
	assert_int_equal(hdr, 4);
	assert_int_equal(seen, NX_ARRAY_SIZE(msgs));
	free(xml);
}

/* The XML's RejectReason and CancelReason values carry the names of
 * nx/reason.h wherever reason.h defines the code (proposed codes it does
 * not define yet are skipped). */
static void test_xml_reasons_match_reason_h(void **state)
{
	char *xml = slurp("docs/nxp.xml"), *line, *save = NULL;
	char a[128], up[128];
	int which = 0; /* 1 reject, 2 cancel */
	unsigned checked = 0;

	(void)state;
	if (!xml)
		skip();
	for (line = strtok_r(xml, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "<enum name=\"RejectReason\""))
			which = 1;
		else if (strstr(line, "<enum name=\"CancelReason\""))
			which = 2;
		else if (strstr(line, "</enum>"))
			which = 0;
		else if (which && strstr(line, "<validValue ")) {
			const char *v = strchr(line, '>');
			unsigned code;
			const char *name;
			assert_non_null(v);
			code = (unsigned)atoi(v + 1);
			assert_true(attr(line, "name", a, sizeof(a)));
			camel_to_snake(a, up, sizeof(up), 1);
			name = which == 1 ? nx_reject_name(code) : nx_cancel_name(code);
			if (code == 0 || !strcmp(name, "?"))
				continue;
			if (strcmp(up, name))
				fail_msg("docs/nxp.xml: code %u is %s, reason.h says %s", code, a, name);
			checked++;
		}
	}
	assert_true(checked >= 21 + 8); /* every code reason.h had when this was written */
	free(xml);
}

/* docs/protocol.md: each "#### Name — templateId N, block B" heading is
 * followed by a table whose rows are "| offset | size | type | `field` | ...". */
static void test_protocol_md_matches_tables(void **state)
{
	char *md = slurp("docs/protocol.md"), *line, *save = NULL;
	const struct mdesc *cur = NULL;
	unsigned fi = 0, seen = 0, id, blk, off, size;
	char name[128], snake[128];
	unsigned char found[NX_ARRAY_SIZE(msgs)] = { 0 };

	(void)state;
	if (!md)
		skip();
	for (line = strtok_r(md, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *t;
		if (!strncmp(line, "#", 1)) {
			if (cur)
				assert_int_equal(fi, cur->nf);
			cur = NULL;
			t = strstr(line, " templateId ");
			if (!strncmp(line, "#### ", 5) && t) {
				assert_int_equal(sscanf(t, " templateId %u, block %u", &id, &blk), 2);
				assert_int_equal(sscanf(line + 5, "%127s", name), 1);
				cur = mdesc_by_id(id);
				if (!cur)
					fail_msg("protocol.md: %s id %u not in nx/nxp.h", name, id);
				assert_string_equal(name, cur->sbe);
				assert_int_equal(blk, cur->len);
				found[cur - msgs]++;
				fi = 0;
				seen++;
			}
			continue;
		}
		if (!cur || sscanf(line, "| %u | %u |", &off, &size) != 2)
			continue;
		t = strchr(line, '`');
		assert_non_null(t);
		assert_int_equal(sscanf(t + 1, "%127[A-Za-z0-9]", name), 1);
		if (fi >= cur->nf)
			fail_msg("protocol.md: %s has extra field %s", cur->sbe, name);
		camel_to_snake(name, snake, sizeof(snake), 0);
		if (strcmp(snake, cur->f[fi].name))
			fail_msg("protocol.md: %s field %u is %s, nxp.h says %s", cur->sbe, fi, name,
				 cur->f[fi].name);
		assert_int_equal(off, cur->f[fi].off);
		assert_int_equal(size, cur->f[fi].size);
		fi++;
	}
	if (cur)
		assert_int_equal(fi, cur->nf);
	assert_int_equal(seen, NX_ARRAY_SIZE(msgs));
	for (size_t i = 0; i < NX_ARRAY_SIZE(msgs); i++)
		assert_int_equal(found[i], 1);
	free(md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define X_(N, n, S, ID, LEN, FL) cmocka_unit_test(test_rt_##n),
		NX_NXP_MESSAGES(X_)
#undef X_
		cmocka_unit_test(test_known_new_order),
		cmocka_unit_test(test_known_exec_trade),
		cmocka_unit_test(test_known_negotiate),
		cmocka_unit_test(test_err_sofh_trunc),
		cmocka_unit_test(test_err_encoding),
		cmocka_unit_test(test_err_sofh_short),
		cmocka_unit_test(test_err_sofh_long),
		cmocka_unit_test(test_err_hdr_trunc),
		cmocka_unit_test(test_err_schema),
		cmocka_unit_test(test_err_version),
		cmocka_unit_test(test_err_template),
		cmocka_unit_test(test_err_block_short),
		cmocka_unit_test(test_err_length),
		cmocka_unit_test(test_empty_datagram),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_multi_message),
		cmocka_unit_test(test_bad_message_in_the_middle),
		cmocka_unit_test(test_bad_framing_in_the_middle),
		cmocka_unit_test(test_version_tolerance),
		cmocka_unit_test(test_writer_fills_exactly),
		cmocka_unit_test(test_symbol_padding),
		cmocka_unit_test(test_xml_matches_tables),
		cmocka_unit_test(test_xml_reasons_match_reason_h),
		cmocka_unit_test(test_protocol_md_matches_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
