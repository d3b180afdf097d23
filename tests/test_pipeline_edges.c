/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The order-entry pipeline at its edges: the NXP codec as the
 * engine sees it (version tolerance, every malformed class inside a
 * sequenced datagram and what happens to the messages around it), the
 * docs' hex dumps against what the codec and the engine write, reply
 * batching and the output spill, the execution report fields of each order
 * type and outcome, admin replies, and determinism. Each test asserts what
 * docs/protocol.md (or SBE 1.0 / FIXP 1.1) says.
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

#include "nx/book.h"
#include "nx/reason.h"
#include "nx/risk.h"
#include "engine_helpers.h"

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* --- Small helpers ------------------------------------------------------------ */

/* Append a raw message: SOFH length sofh_len (0: 14 + block), the header
 * as given, block bytes from blk (zeros past blk_n). */
static size_t put_raw(uint8_t *p, uint32_t sofh_len, uint16_t block_len, uint16_t tid,
		      uint16_t schema, uint16_t version, const uint8_t *blk, size_t blk_n)
{
	uint32_t len = sofh_len ? sofh_len : 14u + block_len;
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[4] = 0xEB;
	p[5] = 0x50;
	nx_nxp_st_u16(p + 6, block_len);
	nx_nxp_st_u16(p + 8, tid);
	nx_nxp_st_u16(p + 10, schema);
	nx_nxp_st_u16(p + 12, version);
	size_t body = len > 14 ? len - 14 : 0;
	memset(p + 14, 0, body);
	if (blk)
		memcpy(p + 14, blk, blk_n < body ? blk_n : body);
	return len;
}

/* The block of a NewOrder o, as encoded (45 bytes), into blk. */
static void new_order_block(const struct nx_nxp_new_order *o, uint8_t blk[64])
{
	uint8_t tmp[128];
	struct nx_nxp_writer w;
	nx_nxp_writer_init(&w, tmp, sizeof(tmp));
	assert_int_equal(nx_nxp_encode_new_order(&w, o), 59);
	memset(blk, 0, 64);
	memcpy(blk, tmp + 14, 45);
}

/* Sequence(n) at p. */
static size_t put_seq(uint8_t *p, uint64_t n)
{
	struct nx_nxp_writer w;
	struct nx_nxp_sequence s = { .next_seq_no = n };
	nx_nxp_writer_init(&w, p, 64);
	return nx_nxp_encode_sequence(&w, &s);
}

static struct fx *fx_adm(void)
{
	struct fx *f = fx_unbound();
	login(f, &f->cadm, f->aadm);
	return f;
}

/* Send one admin message (already encoded in a writer by fn) from the admin. */
#define SEND_ADMIN(f, kind, ...)                                                  \
	do {                                                                      \
		uint8_t b_[256];                                                  \
		struct nx_nxp_writer w_;                                          \
		struct nx_nxp_##kind v_ = { __VA_ARGS__ };                        \
		nx_client_begin(&(f)->cadm, &w_, b_, sizeof(b_));                 \
		assert_true(nx_nxp_encode_##kind(&w_, &v_) > 0);                  \
		nx_client_count(&(f)->cadm);                                      \
		rx((f), (f)->aadm, b_, w_.len);                                   \
	} while (0)

/* Datagrams of f->out addressed to a. */
static int dgrams_to(const struct fx *f, struct nx_addr a)
{
	int n = 0;
	for (uint32_t i = 0; i < f->out.n; i++)
		n += f->out.d[i].to.ip == a.ip && f->out.d[i].to.port == a.port;
	return n;
}

/* --- Docs' hex dumps ------------------------------------------------------------ */

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	s[n] = 0;
	fclose(fp);
	return s;
}

/* The hex bytes of each ``` block between the headings `from` and `to` of
 * md: up to max blocks into bl[i] (len[i] bytes). A line may open with a
 * 4-digit offset ("0010  ..."), which is skipped. Returns the blocks. */
static int hex_blocks(const char *md, const char *from, const char *to, uint8_t bl[][256],
		      size_t *len, int max)
{
	const char *p = strstr(md, from), *end;
	assert_non_null(p);
	end = strstr(p, to);
	assert_non_null(end);
	int n = 0;
	while ((p = strstr(p, "```")) && p < end) {
		p = strchr(p, '\n') + 1;
		const char *close = strstr(p, "```");
		assert_non_null(close);
		assert_true(n < max);
		len[n] = 0;
		while (p < close) {
			const char *eol = strchr(p, '\n');
			const char *q = p;
			/* an offset column: 4 hex digits then two spaces */
			if (eol - p > 6 && isxdigit((unsigned char)q[0]) && isxdigit((unsigned char)q[3]) &&
			    q[4] == ' ' && q[5] == ' ')
				q += 6;
			while (q < eol) {
				if (isxdigit((unsigned char)q[0]) && isxdigit((unsigned char)q[1])) {
					unsigned v;
					sscanf(q, "%2x", &v);
					bl[n][len[n]++] = (uint8_t)v;
					q += 2;
				} else {
					q++;
				}
			}
			p = eol + 1;
		}
		p = close + 3;
		n++;
	}
	return n;
}

/* protocol.md "Example: a NewOrder datagram": the 81 bytes as
 * nx_nxp_encode_sequence and nx_nxp_encode_new_order write them. */
static void test_doc_new_order_example_bytes(void **state)
{
	(void)state;
	char *md = slurp("docs/protocol.md");
	if (!md)
		skip();
	static uint8_t bl[4][256];
	size_t len[4];
	int n = hex_blocks(md, "## Example: a NewOrder datagram", "## Worked example", bl, len, 4);
	assert_int_equal(n, 1);
	uint8_t buf[128];
	struct nx_nxp_writer w;
	struct nx_nxp_sequence sq = { .next_seq_no = 1 };
	struct nx_nxp_new_order o = { .cl_ord_id = 42, .price = 100150, .qty = 20, .account = 7,
				      .instrument = 1, .side = NX_SIDE_BUY, .ord_type = NX_ORD_LIMIT,
				      .time_in_force = NX_TIF_GTC };
	nx_nxp_writer_init(&w, buf, sizeof(buf));
	nx_nxp_encode_sequence(&w, &sq);
	nx_nxp_encode_new_order(&w, &o);
	assert_int_equal(w.len, 81);
	assert_int_equal(len[0], w.len);
	assert_memory_equal(bl[0], buf, w.len);
	free(md);
}

/* protocol.md "Worked example": every byte is what nx_engine_rx writes.
 * The client datagrams of the page are fed verbatim to a venue configured
 * as the page says (BTC-USD id 1, tick 50; accounts 1 and 2, key
 * 00 01 .. 1f; keepalive 1000 ms), at the venue times the reports carry;
 * each venue datagram must be the page's, byte for byte. */
static void test_doc_worked_example_bytes(void **state)
{
	(void)state;
	char *md = slurp("docs/protocol.md");
	if (!md)
		skip();
	static uint8_t bl[16][256];
	size_t len[16];
	int n = hex_blocks(md, "## Worked example", "## Versioning", bl, len, 16);
	assert_int_equal(n, 13);
	/* the venue */
	struct nx_instrument inst = { .id = 1, .symbol = "BTC-USD", .tick = 50, .band_ticks = 1000,
				      .ref_px = 100000 };
	nx_instrument_defaults(&inst);
	inst.tick = 50;
	inst.lot = 1;
	inst.min_qty = 1;
	struct nx_limits lim = { .max_order_notional = 1000000000, .position_limit = 100000,
				 .credit_limit = 1000000000000, .max_open_orders = 1000,
				 .msg_rate = 1000, .msg_burst = 100 };
	struct nx_account_config acc[2] = {
		{ .id = 1, .limits = lim, .src_ip = IP_A },
		{ .id = 2, .limits = lim, .src_ip = IP_B },
	};
	for (int i = 0; i < 32; i++)
		acc[0].key[i] = acc[1].key[i] = (uint8_t)i;
	struct nx_venue_config c = { .path = "doc", .max_orders = 64, .ladder_ticks = 4096,
				     .max_sessions = 4, .keepalive_ms = 1000, .history = 64,
				     .ninstruments = 1, .naccounts = 2, .instruments = &inst,
				     .accounts = acc };
	char err[256];
	struct nx_engine *e = nx_engine_create(&c, NULL, NULL, err, sizeof(err));
	if (!e)
		fail_msg("%s", err);
	static struct nx_out_dgram d[8];
	struct nx_out out = { .d = d, .cap = 8 };
	const uint64_t t0 = UINT64_C(0x17979cfe362a0000);
	struct nx_addr c1 = { .ip = IP_A, .port = 40001 }, c2 = { .ip = IP_B, .port = 40002 };
	/* client 2 logs in first, by the library (its bytes are not shown) */
	uint8_t key[32], buf[256];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	struct nx_client cl2;
	nx_client_init(&cl2, 2002, 2, key);
	out.n = 0;
	nx_engine_rx(e, buf, nx_client_negotiate(&cl2, buf, sizeof(buf), t0), c2, t0, &out);
	out.n = 0;
	nx_engine_rx(e, buf, nx_client_establish(&cl2, buf, sizeof(buf), t0 + 1, 1000), c2, t0, &out);
	assert_int_equal(out.n, 1);
	/* 1. login of client 1 */
	out.n = 0;
	nx_engine_rx(e, bl[0], len[0], c1, t0, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(d[0].len, len[1]);
	assert_memory_equal(d[0].data, bl[1], len[1]);
	out.n = 0;
	nx_engine_rx(e, bl[2], len[2], c1, t0 + 1000, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(d[0].len, len[3]);
	assert_memory_equal(d[0].data, bl[3], len[3]);
	/* 2. an order */
	out.n = 0;
	nx_engine_rx(e, bl[4], len[4], c1, t0 + 2000, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(d[0].len, len[5]);
	assert_memory_equal(d[0].data, bl[5], len[5]);
	/* 3. a fill: client 2's datagram, then client 1's */
	out.n = 0;
	nx_engine_rx(e, bl[6], len[6], c2, t0 + 3000, &out);
	assert_int_equal(out.n, 2);
	assert_true(d[0].to.port == c2.port && d[1].to.port == c1.port);
	assert_int_equal(d[0].len, len[7]);
	assert_memory_equal(d[0].data, bl[7], len[7]);
	assert_int_equal(d[1].len, len[8]);
	assert_memory_equal(d[1].data, bl[8], len[8]);
	/* 4. the cancel, answered with message 3 */
	out.n = 0;
	nx_engine_rx(e, bl[9], len[9], c1, t0 + 4000, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(d[0].len, len[10]);
	assert_memory_equal(d[0].data, bl[10], len[10]);
	/* the retransmission */
	out.n = 0;
	nx_engine_rx(e, bl[11], len[11], c1, t0 + 5000, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(d[0].len, len[12]);
	assert_memory_equal(d[0].data, bl[12], len[12]);
	nx_engine_destroy(e);
	free(md);
}

/* --- Version tolerance and malformed messages inside a sequenced datagram --- */

/* A NewOrder from a newer sender: version 2 and a block of 53 bytes (8
 * appended): read through its v1 fields, the rest ignored (protocol.md
 * Versioning); and the same with version 1 and a longer block. */
static void test_newer_longer_block_applied(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	uint8_t buf[256], blk[64];
	struct nx_nxp_new_order o = order(A, 11, NX_SIDE_BUY, 990, 3);
	new_order_block(&o, blk);
	memset(blk + 45, 0xAB, 8); /* fields this venue does not know */
	size_t n = put_seq(buf, 1);
	n += put_raw(buf + n, 0, 53, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 2, blk, 53);
	o.cl_ord_id = 12;
	new_order_block(&o, blk);
	n += put_raw(buf + n, 0, 60, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 7, blk, 45);
	rx(f, f->aa, buf, n);
	assert_int_equal(count_msgs(f), 2);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	assert_int_equal(msg(f, 0)->u.exec_new.cl_ord_id, 11);
	assert_int_equal(msg(f, 0)->u.exec_new.qty, 3);
	assert_int_equal(msg(f, 0)->u.exec_new.price, 990);
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_EXEC_NEW);
	assert_int_equal(msg(f, 1)->u.exec_new.cl_ord_id, 12);
	/* the venue still writes version 1 */
	assert_int_equal(nx_nxp_ld_u16(f->out.d[0].data + 22 + 12), 1);
	fx_free(f);
}

/* One bad message in the middle of three: the first and the third are
 * applied, the bad one takes its number (2) and is answered in place with
 * BusinessReject MALFORMED (refId 0, refTemplateId as sent), and all three
 * answers share one datagram. For each message class of the Framing table. */
enum bad_kind { BAD_HDR_TRUNC, BAD_SCHEMA, BAD_VERSION0, BAD_TEMPLATE, BAD_BLOCK_SHORT,
		BAD_LENGTH_LONG, BAD_KINDS };

static void test_bad_message_in_the_middle_each_class(void **state)
{
	(void)state;
	for (int k = 0; k < BAD_KINDS; k++) {
		struct fx *f = fx_unbound();
		uint8_t buf[512], blk[64];
		struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 990, 1);
		size_t n = put_seq(buf, 1);
		new_order_block(&o, blk);
		n += put_raw(buf + n, 0, 45, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 1, blk, 45);
		o.cl_ord_id = 2;
		new_order_block(&o, blk);
		uint16_t want_tid = NX_NXP_NEW_ORDER, want_reason = NX_REJ_MALFORMED;
		switch (k) {
		case BAD_HDR_TRUNC: /* SOFH 10: no room for the SBE header */
			n += put_raw(buf + n, 10, 0, 0, 0, 0, NULL, 0);
			want_tid = 0;
			break;
		case BAD_SCHEMA:
			n += put_raw(buf + n, 0, 45, NX_NXP_NEW_ORDER, 0x1234, 1, blk, 45);
			break;
		case BAD_VERSION0:
			n += put_raw(buf + n, 0, 45, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 0, blk, 45);
			break;
		case BAD_TEMPLATE:
			n += put_raw(buf + n, 0, 45, 150, NX_NXP_SCHEMA_ID, 1, blk, 45);
			want_tid = 150;
			want_reason = NX_REJ_UNKNOWN_TEMPLATE;
			break;
		case BAD_BLOCK_SHORT: /* 44 < 45: the stpMode is not there */
			n += put_raw(buf + n, 0, 44, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 1, blk, 44);
			break;
		case BAD_LENGTH_LONG: /* trailing bytes inside the message: 14 + 45 + 4 */
			n += put_raw(buf + n, 63, 45, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 1, blk, 45);
			break;
		}
		o.cl_ord_id = 3;
		new_order_block(&o, blk);
		n += put_raw(buf + n, 0, 45, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 1, blk, 45);
		rx(f, f->aa, buf, n);
		assert_int_equal(f->out.n, 1);
		assert_int_equal(count_msgs(f), 3);
		assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
		assert_int_equal(msg(f, 0)->u.exec_new.cl_ord_id, 1);
		assert_int_equal(msg(f, 1)->template_id, NX_NXP_BUSINESS_REJECT);
		assert_int_equal(msg(f, 1)->u.business_reject.ref_seq_no, 2);
		assert_int_equal(msg(f, 1)->u.business_reject.ref_id, 0);
		assert_int_equal(msg(f, 1)->u.business_reject.ref_template_id, want_tid);
		assert_int_equal(msg(f, 1)->u.business_reject.reason, want_reason);
		assert_int_equal(msg(f, 2)->template_id, NX_NXP_EXEC_NEW);
		assert_int_equal(msg(f, 2)->u.exec_new.cl_ord_id, 3);
		/* the next client number is 4: nothing reported missing */
		f->ca.next_seq = 4;
		o.cl_ord_id = 4;
		send_order(f, &f->ca, f->aa, &o);
		assert_int_equal(count_msgs(f), 1);
		assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
		fx_free(f);
	}
}

/* A framing error in the middle (a message that claims more than the
 * datagram holds; a wrong encoding type; trailing bytes too few for a SOFH):
 * what came before is applied, the rest of the datagram is lost and not
 * numbered, and shows up at the next datagram as a gap: NotApplied. */
static void test_framing_error_in_the_middle_is_a_gap(void **state)
{
	(void)state;
	for (int k = 0; k < 3; k++) {
		struct fx *f = fx_unbound();
		uint8_t buf[512], blk[64];
		struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 990, 1);
		size_t n = put_seq(buf, 1);
		new_order_block(&o, blk);
		n += put_raw(buf + n, 0, 45, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 1, blk, 45);
		o.cl_ord_id = 2;
		new_order_block(&o, blk);
		size_t at = n;
		if (k == 0) {        /* SOFH_LONG: 59 + 1000 */
			n += put_raw(buf + n, 0, 45, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 1, blk, 45);
			buf[at + 2] = 0x04;
		} else if (k == 1) { /* ENCODING: SBE big-endian */
			n += put_raw(buf + n, 0, 45, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 1, blk, 45);
			buf[at + 4] = 0x5B;
			buf[at + 5] = 0xE0;
		} else {             /* SOFH_TRUNC: 3 stray bytes */
			buf[n++] = 0;
			buf[n++] = 0;
			buf[n++] = 0;
		}
		const struct nx_engine_stats *st = nx_engine_stats(f->e);
		uint64_t mal = st->drop_malformed;
		rx(f, f->aa, buf, n);
		assert_int_equal(count_msgs(f), 1);
		assert_int_equal(msg(f, 0)->u.exec_new.cl_ord_id, 1);
		assert_int_equal(st->drop_malformed, mal + 1);
		assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 1);
		/* the client numbered its lost NewOrder 2 (k < 2); the next is 3 */
		f->ca.next_seq = k < 2 ? 3 : 2;
		o.cl_ord_id = 3;
		send_order(f, &f->ca, f->aa, &o);
		if (k < 2) {
			assert_int_equal(count_msgs(f), 2);
			assert_int_equal(msg(f, 0)->template_id, NX_NXP_NOT_APPLIED);
			assert_int_equal(msg(f, 0)->u.not_applied.from_seq_no, 2);
			assert_int_equal(msg(f, 0)->u.not_applied.count, 1);
			assert_int_equal(msg(f, 1)->template_id, NX_NXP_EXEC_NEW);
			assert_int_equal(f->out.n, 1); /* NotApplied and the answer share a datagram */
		} else {
			assert_int_equal(count_msgs(f), 1);
			assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
		}
		fx_free(f);
	}
}

/* A Sequence from a newer sender (version 3, a 16-byte block) still numbers
 * the datagram; a Sequence too short (4 bytes) is malformed and the
 * application message after it has no number: the datagram is dropped. */
static void test_sequence_versions(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	uint8_t buf[256], blk[64], sq[16] = { 1 };
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 990, 1);
	new_order_block(&o, blk);
	size_t n = put_raw(buf, 0, 16, NX_NXP_SEQUENCE, NX_NXP_SCHEMA_ID, 3, sq, 16);
	n += put_raw(buf + n, 0, 45, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 1, blk, 45);
	rx(f, f->aa, buf, n);
	assert_int_equal(count_msgs(f), 1);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	uint64_t unseq = st->drop_unsequenced;
	sq[0] = 2;
	o.cl_ord_id = 2;
	new_order_block(&o, blk);
	n = put_raw(buf, 0, 4, NX_NXP_SEQUENCE, NX_NXP_SCHEMA_ID, 1, sq, 4);
	n += put_raw(buf + n, 0, 45, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 1, blk, 45);
	rx(f, f->aa, buf, n);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(st->drop_unsequenced, unseq + 1);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 1);
	fx_free(f);
}

/* A session message inside an application datagram takes no number and is
 * dropped (drop_malformed); the messages around it are numbered as if it
 * were not there. */
static void test_session_message_inside_sequenced_takes_no_number(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	uint8_t buf[512];
	struct nx_nxp_writer w;
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 990, 1);
	nx_client_new_order(&f->ca, &w, &o);
	struct nx_nxp_terminate t = { .session_id = 101 };
	nx_nxp_encode_terminate(&w, &t);
	struct nx_nxp_sequence s2 = { .next_seq_no = 77 };
	nx_nxp_encode_sequence(&w, &s2);
	struct nx_nxp_cancel_order c = { .cl_ord_id = 2, .orig_cl_ord_id = 99, .account = A };
	nx_client_cancel(&f->ca, &w, &c);
	rx(f, f->aa, buf, w.len);
	assert_int_equal(count_msgs(f), 2);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_CANCEL_REJECT);
	/* still bound, and the next number is 3 */
	o.cl_ord_id = 3;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(count_msgs(f), 1);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	fx_free(f);
}

/* --- Batching and the spill ----------------------------------------------------- */

/* 24 NewOrders in one datagram (protocol.md: one datagram holds 24 after its
 * Sequence) are answered by 24 ExecNew (75 bytes each) in as few datagrams
 * as fit 1472 bytes: 2, the second opening with Sequence(the next number). */
static void test_replies_batched_into_few_datagrams(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	uint8_t buf[NX_NXP_DGRAM_MAX];
	struct nx_nxp_writer w;
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	for (uint64_t cl = 1; cl <= 24; cl++) {
		struct nx_nxp_new_order o = order(A, cl, NX_SIDE_BUY, 900 + (int64_t)cl, 1);
		assert_true(nx_client_new_order(&f->ca, &w, &o) > 0);
	}
	assert_true(w.len <= NX_NXP_DGRAM_MAX);
	rx(f, f->aa, buf, w.len);
	assert_int_equal(count_msgs(f), 24);
	/* (1472 - 22) / 75 = 19 in the first */
	assert_int_equal(f->out.n, 2);
	assert_int_equal(f->out.d[0].len, 22 + 19 * 75);
	assert_int_equal(f->out.d[1].len, 22 + 5 * 75);
	assert_int_equal(nx_nxp_ld_u64(f->out.d[1].data + 14), 20);
	for (int i = 0; i < 24; i++)
		assert_int_equal(msg(f, i)->seq, 1 + i);
	fx_free(f);
}

struct spill_keep {
	struct nx_out_dgram d[64];
	int n;
};

static void keep(struct nx_out *out, void *arg)
{
	struct spill_keep *k = arg;
	for (uint32_t i = 0; i < out->n; i++)
		k->d[k->n++] = out->d[i];
	out->n = 0;
}

/* An output of one datagram with a spill: a datagram of orders for A and a
 * sweep that fills makers of A and B still reaches every client complete,
 * each session's numbers consecutive with nothing lost. */
static void test_spill_of_one_datagram(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	for (uint64_t cl = 1; cl <= 3; cl++) {
		struct nx_nxp_new_order o = order(B, cl, NX_SIDE_SELL, 1000 + (int64_t)cl, 1);
		send_order(f, &f->cb, f->ab, &o);
		o = order(A, 100 + cl, NX_SIDE_SELL, 1000 + (int64_t)cl, 1);
		send_order(f, &f->ca, f->aa, &o);
	}
	struct spill_keep *k = calloc(1, sizeof(*k));
	struct nx_out one = { .d = f->d, .cap = 1, .spill = keep, .spill_arg = k };
	uint8_t buf[512];
	struct nx_nxp_new_order o = order(A, 200, NX_SIDE_BUY, 1003, 6);
	size_t n = order_dgram(&f->ca, &o, buf, sizeof(buf));
	nx_engine_rx(f->e, buf, n, f->aa, f->now, &one);
	keep(&one, k);
	int got_a = 0, got_b = 0;
	uint64_t next_a = f->ca.expect_seq, next_b = f->cb.expect_seq;
	for (int i = 0; i < k->n; i++) {
		struct nx_client_msg m[32];
		int is_b = k->d[i].to.ip == IP_B;
		int r = nx_client_read(is_b ? &f->cb : &f->ca, k->d[i].data, k->d[i].len, m, 32);
		assert_true(r > 0);
		for (int j = 0; j < r; j++) {
			if (!m[j].seq)
				continue;
			if (is_b)
				assert_int_equal(m[j].seq, next_b++), got_b++;
			else
				assert_int_equal(m[j].seq, next_a++), got_a++;
		}
	}
	/* A: ExecNew, 3 maker fills, 6 taker runs (every price and every
	 * own-session maker cuts a run); B: 3 maker fills */
	assert_int_equal(got_b, 3);
	assert_int_equal(got_a, 1 + 3 + 6);
	assert_int_equal(f->ca.gap_count, 0);
	assert_int_equal(f->cb.gap_count, 0);
	assert_int_equal(nx_engine_stats(f->e)->out_overflow, 0);
	free(k);
	fx_free(f);
}

/* Session replies are batched too (engine.h: "Replies are batched per
 * destination session into as few datagrams as fit"): a FinishedSending
 * is answered by FinishedReceiving and FinishedSending, two session
 * messages that fit one datagram. */
static void test_finished_replies_share_a_datagram(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	uint8_t buf[128];
	size_t n = nx_client_finished_sending(&f->ca, buf, sizeof(buf));
	rx(f, f->aa, buf, n);
	assert_int_equal(count_msgs(f), 2);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_FINISHED_RECEIVING);
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_FINISHED_SENDING);
	assert_int_equal(dgrams_to(f, f->aa), 1);
	fx_free(f);
}

/* The same for the login: a datagram of Negotiate and Establish is
 * answered by NegotiationResponse and EstablishmentAck, two session
 * messages to one address, which fit one datagram. */
static void test_login_replies_share_a_datagram(void **state)
{
	(void)state;
	struct fx *f = fx_of(make_engine());
	uint8_t buf[256];
	size_t n = nx_client_negotiate(&f->ca, buf, sizeof(buf), f->now + 1);
	n += nx_client_establish(&f->ca, buf + n, sizeof(buf) - n, f->now + 2, 1000);
	rx(f, f->aa, buf, n);
	assert_int_equal(count_msgs(f), 2);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_NEGOTIATION_RESPONSE);
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_ESTABLISHMENT_ACK);
	assert_int_equal(dgrams_to(f, f->aa), 1);
	fx_free(f);
}

/* A resent datagram holding a malformed message: every number below E is a
 * duplicate, the malformed one too; nothing is answered or applied twice. */
static void test_resent_datagram_with_bad_message_silent(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	uint8_t buf[512], blk[64];
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 990, 1);
	size_t n = put_seq(buf, 1);
	new_order_block(&o, blk);
	n += put_raw(buf + n, 0, 45, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 1, blk, 45);
	n += put_raw(buf + n, 0, 40, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 1, blk, 40);
	rx(f, f->aa, buf, n);
	assert_int_equal(count_msgs(f), 2);
	rx(f, f->aa, buf, n);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(nx_book_order_count(nx_engine_book(f->e)), 1);
	assert_int_equal(nx_engine_stats(f->e)->drop_duplicate, 2);
	fx_free(f);
}

/* InstrumentDefinition reflects the admin's changes: status Halted after
 * SetInstrumentStatus, refPx the price SetReferencePrice set. */
static void test_instrument_definition_after_admin(void **state)
{
	(void)state;
	struct fx *f = fx_adm();
	SEND_ADMIN(f, set_reference_price, .req_id = 1, .price = 1050, .instrument = INST);
	SEND_ADMIN(f, set_instrument_status, .req_id = 2, .instrument = INST,
		   .status = NX_STATUS_HALTED);
	uint8_t buf[128];
	struct nx_nxp_writer w;
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	struct nx_nxp_instrument_definition_request q = { .req_id = 77 };
	nx_client_instrument_request(&f->ca, &w, &q);
	rx(f, f->aa, buf, w.len);
	const struct nx_nxp_instrument_definition *d = &msg(f, 0)->u.instrument_definition;
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_INSTRUMENT_DEFINITION);
	assert_int_equal(d->req_id, 77);
	assert_int_equal(d->status, NX_STATUS_HALTED);
	assert_int_equal(d->ref_px, 1050);
	assert_int_equal(d->index, 1);
	assert_int_equal(d->total, 1);
	assert_int_equal(d->instrument, INST);
	assert_memory_equal(d->symbol, "BTC-USD\0\0\0\0\0\0\0\0\0", 16);
	fx_free(f);
}

/* Repeats of an accepted Negotiate are retries, answered again and not
 * ending the datagram: a datagram of 10 of them (the key in clear: anyone
 * who read one can send it, from any source for an account without one)
 * makes the venue send 10 datagrams for 1. Batched, it is one. */
static void test_negotiate_retries_one_datagram_out(void **state)
{
	(void)state;
	struct fx *f = fx_of(make_engine());
	uint8_t buf[1024];
	size_t n = 0;
	for (int i = 0; i < 10; i++)
		n += nx_client_negotiate(&f->ca, buf + n, sizeof(buf) - n, f->now + 1);
	rx(f, f->aa, buf, n);
	assert_int_equal(count_msgs(f), 10);
	struct nx_addr third = { .ip = 0x0b000001u, .port = 53 };
	rx(f, third, buf, n);
	assert_int_equal(dgrams_to(f, third), 1);
	fx_free(f);
}

/* --- Execution reports by order type and outcome ---------------------------------- */

/* IOC partly filled: ExecNew, ExecTrade (taker: lastQty 2, leaves 3, cum 2),
 * ExecCanceled IOC of 3; the maker's fill has leaves 0, cum 2. Every report
 * of the command has the same transactTime. */
static void test_ioc_remainder_reports(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	struct nx_nxp_new_order o = order(B, 1, NX_SIDE_SELL, 1000, 2);
	send_order(f, &f->cb, f->ab, &o);
	uint64_t maker_oid = msg(f, 0)->u.exec_new.order_id;
	f->now += 777;
	o = order(A, 9, NX_SIDE_BUY, 1001, 5);
	o.time_in_force = NX_TIF_IOC;
	send_order(f, &f->ca, f->aa, &o);
	/* to A: ExecNew, ExecTrade, ExecCanceled; to B: ExecTrade */
	const struct nx_client_msg *en = NULL, *tt = NULL, *cx = NULL, *mk = NULL;
	for (int i = 0; i < count_msgs(f); i++) {
		const struct nx_client_msg *m = msg(f, i);
		if (m->template_id == NX_NXP_EXEC_NEW)
			en = m;
		else if (m->template_id == NX_NXP_EXEC_TRADE && m->u.exec_trade.account == A)
			tt = m;
		else if (m->template_id == NX_NXP_EXEC_TRADE)
			mk = m;
		else if (m->template_id == NX_NXP_EXEC_CANCELED)
			cx = m;
	}
	assert_non_null(en);
	assert_non_null(tt);
	assert_non_null(cx);
	assert_non_null(mk);
	assert_true(tt > en && cx > tt);
	assert_int_equal(en->u.exec_new.time_in_force, NX_TIF_IOC);
	assert_int_equal(en->u.exec_new.price, 1001);
	assert_int_equal(tt->u.exec_trade.last_px, 1000);
	assert_int_equal(tt->u.exec_trade.last_qty, 2);
	assert_int_equal(tt->u.exec_trade.leaves_qty, 3);
	assert_int_equal(tt->u.exec_trade.cum_qty, 2);
	assert_int_equal(tt->u.exec_trade.liquidity, NX_LIQ_TAKER);
	assert_int_equal(tt->u.exec_trade.aggressor, NX_SIDE_BUY);
	assert_int_equal(tt->u.exec_trade.trade_count, 1);
	assert_int_equal(tt->u.exec_trade.order_id, en->u.exec_new.order_id);
	assert_int_equal(mk->u.exec_trade.order_id, maker_oid);
	assert_int_equal(mk->u.exec_trade.trade_id, tt->u.exec_trade.trade_id);
	assert_int_equal(mk->u.exec_trade.leaves_qty, 0);
	assert_int_equal(mk->u.exec_trade.cum_qty, 2);
	assert_int_equal(mk->u.exec_trade.liquidity, NX_LIQ_MAKER);
	assert_int_equal(mk->u.exec_trade.aggressor, NX_SIDE_BUY);
	assert_int_equal(cx->u.exec_canceled.canceled_qty, 3);
	assert_int_equal(cx->u.exec_canceled.reason, NX_CXL_IOC);
	assert_int_equal(cx->u.exec_canceled.req_cl_ord_id, 0);
	assert_int_equal(cx->u.exec_canceled.cl_ord_id, 9);
	uint64_t t = en->u.exec_new.transact_time;
	assert_true(t == f->now && tt->u.exec_trade.transact_time == t &&
		    mk->u.exec_trade.transact_time == t && cx->u.exec_canceled.transact_time == t);
	fx_free(f);
}

/* FOK that cannot fill: ExecNew then ExecCanceled FOK of all of it, no
 * trade, the maker untouched. A market GTC order is reported IOC, price 0. */
static void test_fok_killed_and_market_exec_new(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	struct nx_nxp_new_order o = order(B, 1, NX_SIDE_SELL, 1000, 2);
	send_order(f, &f->cb, f->ab, &o);
	o = order(A, 2, NX_SIDE_BUY, 1000, 3);
	o.time_in_force = NX_TIF_FOK;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(count_msgs(f), 2);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_EXEC_CANCELED);
	assert_int_equal(msg(f, 1)->u.exec_canceled.reason, NX_CXL_FOK);
	assert_int_equal(msg(f, 1)->u.exec_canceled.canceled_qty, 3);
	o = order(A, 3, NX_SIDE_BUY, 123456, 1);
	o.ord_type = NX_ORD_MARKET;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	assert_int_equal(msg(f, 0)->u.exec_new.price, 0);
	assert_int_equal(msg(f, 0)->u.exec_new.time_in_force, NX_TIF_IOC);
	assert_int_equal(msg(f, 0)->u.exec_new.ord_type, NX_ORD_MARKET);
	fx_free(f);
}

/* A market buy with nothing to sell: ExecNew, ExecCanceled NO_LIQUIDITY.
 * A market buy that meets an ask past its protection price (best ask +
 * band): trades to the protection, the rest ExecCanceled MARKET_PROTECTION. */
static void test_market_protection_and_no_liquidity(void **state)
{
	(void)state;
	struct fx *f = fx_adm();
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 0, 1);
	o.ord_type = NX_ORD_MARKET;
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(count_msgs(f), 2);
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_EXEC_CANCELED);
	assert_int_equal(msg(f, 1)->u.exec_canceled.reason, NX_CXL_NO_LIQUIDITY);
	assert_int_equal(msg(f, 1)->u.exec_canceled.canceled_qty, 1);
	/* asks at 1000 and (after moving the reference) at 1150; band 100 */
	o = order(B, 1, NX_SIDE_SELL, 1000, 1);
	send_order(f, &f->cb, f->ab, &o);
	SEND_ADMIN(f, set_reference_price, .req_id = 5, .price = 1100, .instrument = INST);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ADMIN_ACK);
	o = order(B, 2, NX_SIDE_SELL, 1150, 1);
	send_order(f, &f->cb, f->ab, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	o = order(A, 2, NX_SIDE_BUY, 0, 3);
	o.ord_type = NX_ORD_MARKET;
	send_order(f, &f->ca, f->aa, &o);
	int trades = 0, cx = 0;
	for (int i = 0; i < count_msgs(f); i++) {
		const struct nx_client_msg *m = msg(f, i);
		if (m->template_id == NX_NXP_EXEC_TRADE && m->u.exec_trade.account == A) {
			trades++;
			assert_int_equal(m->u.exec_trade.last_px, 1000);
			assert_int_equal(m->u.exec_trade.leaves_qty, 2);
		}
		if (m->template_id == NX_NXP_EXEC_CANCELED) {
			cx++;
			assert_int_equal(m->u.exec_canceled.reason, NX_CXL_MARKET_PROTECTION);
			assert_int_equal(m->u.exec_canceled.canceled_qty, 2);
		}
	}
	assert_int_equal(trades, 1);
	assert_int_equal(cx, 1);
	fx_free(f);
}

/* An iceberg maker (10, peak 2) met by a buy of 7: each trade reported to
 * the maker with leavesQty hidden included (8, 6, 4, 3), cum 2, 4, 6, 7;
 * the aggressor one ExecTrade of 7 covering every trade id. */
static void test_iceberg_maker_fills(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	struct nx_nxp_new_order o = order(B, 1, NX_SIDE_SELL, 1000, 10);
	o.display_qty = 2;
	send_order(f, &f->cb, f->ab, &o);
	assert_int_equal(msg(f, 0)->u.exec_new.display_qty, 2);
	o = order(A, 1, NX_SIDE_BUY, 1000, 7);
	send_order(f, &f->ca, f->aa, &o);
	const int64_t lv[] = { 8, 6, 4, 3 }, cum[] = { 2, 4, 6, 7 };
	int mk = 0, tk = 0;
	uint64_t first = UINT64_MAX;
	for (int i = 0; i < count_msgs(f); i++)
		if (msg(f, i)->template_id == NX_NXP_EXEC_TRADE &&
		    msg(f, i)->u.exec_trade.liquidity == NX_LIQ_MAKER &&
		    msg(f, i)->u.exec_trade.trade_id < first)
			first = msg(f, i)->u.exec_trade.trade_id;
	for (int i = 0; i < count_msgs(f); i++) {
		const struct nx_client_msg *m = msg(f, i);
		if (m->template_id != NX_NXP_EXEC_TRADE)
			continue;
		if (m->u.exec_trade.liquidity == NX_LIQ_MAKER) {
			assert_true(mk < 4);
			assert_int_equal(m->u.exec_trade.trade_id, first + (uint64_t)mk);
			assert_int_equal(m->u.exec_trade.leaves_qty, lv[mk]);
			assert_int_equal(m->u.exec_trade.cum_qty, cum[mk]);
			assert_int_equal(m->u.exec_trade.trade_count, 1);
			mk++;
		} else {
			tk++;
			assert_int_equal(m->u.exec_trade.last_qty, 7);
			assert_int_equal(m->u.exec_trade.leaves_qty, 0);
			assert_int_equal(m->u.exec_trade.cum_qty, 7);
			assert_int_equal(m->u.exec_trade.trade_id, first);
			assert_int_equal(m->u.exec_trade.trade_count, 4);
		}
	}
	assert_int_equal(mk, 4);
	assert_int_equal(tk, 1);
	fx_free(f);
}

/* STP DecrementCancel: A's resting sell of 5 and A's buy of 3 with DC:
 * the smaller (the buy) is canceled SELF_TRADE, the resting one reduced by
 * 3: ExecReduced reducedQty 3, leavesQty 2, reqClOrdId 0, reason
 * SELF_TRADE, then ExecCanceled of the buy. */
static void test_stp_decrement_reports(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_SELL, 1000, 5);
	send_order(f, &f->ca, f->aa, &o);
	o = order(A, 2, NX_SIDE_BUY, 1000, 3);
	o.stp_mode = NX_STP_DC;
	send_order(f, &f->ca, f->aa, &o);
	int red = 0, cx = 0;
	for (int i = 0; i < count_msgs(f); i++) {
		const struct nx_client_msg *m = msg(f, i);
		assert_true(m->template_id != NX_NXP_EXEC_TRADE);
		if (m->template_id == NX_NXP_EXEC_REDUCED) {
			red++;
			assert_int_equal(m->u.exec_reduced.cl_ord_id, 1);
			assert_int_equal(m->u.exec_reduced.reduced_qty, 3);
			assert_int_equal(m->u.exec_reduced.leaves_qty, 2);
			assert_int_equal(m->u.exec_reduced.req_cl_ord_id, 0);
			assert_int_equal(m->u.exec_reduced.reason, NX_CXL_SELF_TRADE);
			assert_int_equal(m->u.exec_reduced.side, NX_SIDE_SELL);
		}
		if (m->template_id == NX_NXP_EXEC_CANCELED) {
			cx++;
			assert_int_equal(m->u.exec_canceled.cl_ord_id, 2);
			assert_int_equal(m->u.exec_canceled.canceled_qty, 3);
			assert_int_equal(m->u.exec_canceled.reason, NX_CXL_SELF_TRADE);
		}
	}
	assert_int_equal(red + cx, 2);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	assert_int_equal(msg(f, 0)->u.exec_new.stp_mode, NX_STP_DC);
	fx_free(f);
}

/* ExecReplaced: keptPriority 1 for a smaller quantity at the same price, 0
 * for a larger one or another price; qty is the new open quantity after a
 * partial fill; the order id never changes; origClOrdId the one before. */
static void test_replace_fields(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_SELL, 1000, 10);
	send_order(f, &f->ca, f->aa, &o);
	uint64_t oid = msg(f, 0)->u.exec_new.order_id;
	o = order(B, 1, NX_SIDE_BUY, 1000, 4);
	send_order(f, &f->cb, f->ab, &o);
	struct nx_nxp_cancel_replace r = { .cl_ord_id = 2, .orig_cl_ord_id = 1, .price = 1000,
					   .qty = 5, .account = A };
	send_replace(f, &f->ca, f->aa, &r);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_REPLACED);
	assert_int_equal(msg(f, 0)->u.exec_replaced.kept_priority, 1);
	assert_int_equal(msg(f, 0)->u.exec_replaced.qty, 5);
	assert_int_equal(msg(f, 0)->u.exec_replaced.order_id, oid);
	assert_int_equal(msg(f, 0)->u.exec_replaced.orig_cl_ord_id, 1);
	assert_int_equal(msg(f, 0)->u.exec_replaced.cl_ord_id, 2);
	r = (struct nx_nxp_cancel_replace){ .cl_ord_id = 3, .order_id = oid, .price = 1000, .qty = 6,
					    .account = A };
	send_replace(f, &f->ca, f->aa, &r);
	assert_int_equal(msg(f, 0)->u.exec_replaced.kept_priority, 0);
	assert_int_equal(msg(f, 0)->u.exec_replaced.orig_cl_ord_id, 2);
	r = (struct nx_nxp_cancel_replace){ .cl_ord_id = 3, .orig_cl_ord_id = 3, .price = 1001, .qty = 1,
					    .account = A };
	send_replace(f, &f->ca, f->aa, &r);
	assert_int_equal(msg(f, 0)->u.exec_replaced.kept_priority, 0);
	assert_int_equal(msg(f, 0)->u.exec_replaced.price, 1001);
	/* a later fill: cum counts the 4 of before */
	o = order(B, 2, NX_SIDE_BUY, 1001, 1);
	send_order(f, &f->cb, f->ab, &o);
	for (int i = 0; i < count_msgs(f); i++)
		if (msg(f, i)->template_id == NX_NXP_EXEC_TRADE && msg(f, i)->u.exec_trade.account == A) {
			assert_int_equal(msg(f, i)->u.exec_trade.cum_qty, 5);
			assert_int_equal(msg(f, i)->u.exec_trade.leaves_qty, 0);
			assert_int_equal(msg(f, i)->u.exec_trade.cl_ord_id, 3);
		}
	fx_free(f);
}

/* CancelReject for an unknown order echoes the request (clOrdId,
 * origClOrdId, orderId, account), instrument 0, responseTo Cancel; a
 * MassCancel of an unknown instrument: CancelReject responseTo MassCancel,
 * instrument the request's; a MassCancel of one side: one ExecCanceled per
 * order (MASS_CANCEL, reqClOrdId), then MassCancelReport count/side/inst. */
static void test_cancel_reject_and_mass_cancel_report(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	uint8_t buf[256];
	struct nx_nxp_writer w;
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	struct nx_nxp_cancel_order c = { .cl_ord_id = 5, .orig_cl_ord_id = 6, .order_id = 77,
					 .account = A };
	nx_client_cancel(&f->ca, &w, &c);
	rx(f, f->aa, buf, w.len);
	const struct nx_nxp_cancel_reject *cr = &msg(f, 0)->u.cancel_reject;
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_CANCEL_REJECT);
	assert_int_equal(cr->cl_ord_id, 5);
	assert_int_equal(cr->orig_cl_ord_id, 6);
	assert_int_equal(cr->order_id, 77);
	assert_int_equal(cr->account, A);
	assert_int_equal(cr->instrument, 0);
	assert_int_equal(cr->reason, NX_REJ_UNKNOWN_ORDER);
	assert_int_equal(cr->response_to, NX_REQ_CANCEL);
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	struct nx_nxp_mass_cancel mc = { .cl_ord_id = 8, .account = A, .instrument = 42 };
	nx_client_mass_cancel(&f->ca, &w, &mc);
	rx(f, f->aa, buf, w.len);
	cr = &msg(f, 0)->u.cancel_reject;
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_CANCEL_REJECT);
	assert_int_equal(cr->response_to, NX_REQ_MASS_CANCEL);
	assert_int_equal(cr->instrument, 42);
	assert_int_equal(cr->reason, NX_REJ_UNKNOWN_INSTRUMENT);
	assert_int_equal(cr->orig_cl_ord_id, 0);
	assert_int_equal(cr->order_id, 0);
	for (uint64_t cl = 1; cl <= 3; cl++) {
		struct nx_nxp_new_order o = order(A, cl, cl == 2 ? NX_SIDE_SELL : NX_SIDE_BUY,
						  cl == 2 ? 1010 : 990, 1);
		send_order(f, &f->ca, f->aa, &o);
	}
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	mc = (struct nx_nxp_mass_cancel){ .cl_ord_id = 9, .account = A, .side = NX_SIDE_BUY };
	nx_client_mass_cancel(&f->ca, &w, &mc);
	rx(f, f->aa, buf, w.len);
	assert_int_equal(count_msgs(f), 3);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(msg(f, i)->template_id, NX_NXP_EXEC_CANCELED);
		assert_int_equal(msg(f, i)->u.exec_canceled.reason, NX_CXL_MASS_CANCEL);
		assert_int_equal(msg(f, i)->u.exec_canceled.req_cl_ord_id, 9);
		assert_int_equal(msg(f, i)->u.exec_canceled.side, NX_SIDE_BUY);
	}
	const struct nx_nxp_mass_cancel_report *rp = &msg(f, 2)->u.mass_cancel_report;
	assert_int_equal(msg(f, 2)->template_id, NX_NXP_MASS_CANCEL_REPORT);
	assert_int_equal(rp->cl_ord_id, 9);
	assert_int_equal(rp->count, 2);
	assert_int_equal(rp->side, NX_SIDE_BUY);
	assert_int_equal(rp->instrument, 0);
	assert_int_equal(rp->account, A);
	assert_int_equal(f->out.n, 1);
	fx_free(f);
}

/* BusinessReject: an InstrumentDefinitionRequest of an unknown instrument
 * (refId its reqId, refSeqNo its number, refTemplateId 300). */
static void test_business_reject_fields(void **state)
{
	(void)state;
	struct fx *f = fx_unbound();
	uint8_t buf[256];
	struct nx_nxp_writer w;
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	struct nx_nxp_instrument_definition_request q = { .req_id = 4242, .instrument = 9 };
	nx_client_instrument_request(&f->ca, &w, &q);
	rx(f, f->aa, buf, w.len);
	const struct nx_nxp_business_reject *br = &msg(f, 0)->u.business_reject;
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_BUSINESS_REJECT);
	assert_int_equal(br->ref_seq_no, 1);
	assert_int_equal(br->ref_id, 4242);
	assert_int_equal(br->ref_template_id, NX_NXP_INSTRUMENT_DEFINITION_REQUEST);
	assert_int_equal(br->reason, NX_REJ_UNKNOWN_INSTRUMENT);
	assert_true(br->transact_time == f->now);
	fx_free(f);
}

/* --- Admin ---------------------------------------------------------------------- */

/* An account kill switch: AdminAck (reqId, refTemplateId) first, then the
 * account's live orders ExecCanceled KILL_SWITCH in its session; new orders
 * ExecRejected RISK_KILL_ACCOUNT, replaces CancelReject RISK_KILL_ACCOUNT;
 * lifted, trading resumes. Refusals: unknown account, unknown instrument,
 * a bad scope. */
static void test_admin_kill_switch_replies(void **state)
{
	(void)state;
	struct fx *f = fx_adm();
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 990, 2);
	send_order(f, &f->ca, f->aa, &o);
	o = order(A, 2, NX_SIDE_BUY, 991, 1);
	send_order(f, &f->ca, f->aa, &o);
	SEND_ADMIN(f, set_kill_switch, .req_id = 31, .id = A, .scope = NX_KILL_ACCOUNT, .on = 1);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ADMIN_ACK);
	assert_int_equal(msg(f, 0)->u.admin_ack.req_id, 31);
	assert_int_equal(msg(f, 0)->u.admin_ack.ref_template_id, NX_NXP_SET_KILL_SWITCH);
	assert_true(f->out.d[0].to.port == f->aadm.port);
	int cx = 0;
	for (int i = 1; i < count_msgs(f); i++) {
		assert_int_equal(msg(f, i)->template_id, NX_NXP_EXEC_CANCELED);
		assert_int_equal(msg(f, i)->u.exec_canceled.reason, NX_CXL_KILL_SWITCH);
		assert_int_equal(msg(f, i)->u.exec_canceled.req_cl_ord_id, 0);
		assert_true(msg(f, i)->u.exec_canceled.transact_time == msg(f, 0)->u.admin_ack.transact_time);
		cx++;
	}
	assert_int_equal(cx, 2);
	o = order(A, 3, NX_SIDE_BUY, 990, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_REJECTED);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_RISK_KILL_ACCOUNT);
	SEND_ADMIN(f, set_kill_switch, .req_id = 32, .id = 4711, .scope = NX_KILL_ACCOUNT, .on = 1);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ADMIN_REJECT);
	assert_int_equal(msg(f, 0)->u.admin_reject.reason, NX_REJ_UNKNOWN_ACCOUNT);
	assert_int_equal(msg(f, 0)->u.admin_reject.req_id, 32);
	SEND_ADMIN(f, set_kill_switch, .req_id = 33, .id = 4711, .scope = NX_KILL_INSTRUMENT, .on = 1);
	assert_int_equal(msg(f, 0)->u.admin_reject.reason, NX_REJ_UNKNOWN_INSTRUMENT);
	SEND_ADMIN(f, set_kill_switch, .req_id = 34, .id = A, .scope = 9, .on = 1);
	assert_int_equal(msg(f, 0)->u.admin_reject.reason, NX_REJ_BAD_FIELD);
	SEND_ADMIN(f, set_kill_switch, .req_id = 35, .id = A, .scope = NX_KILL_ACCOUNT, .on = 0);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ADMIN_ACK);
	assert_int_equal(count_msgs(f), 1);
	o = order(A, 4, NX_SIDE_BUY, 990, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	/* not an admin */
	uint8_t b[128];
	struct nx_nxp_writer w;
	nx_client_begin(&f->ca, &w, b, sizeof(b));
	struct nx_nxp_set_kill_switch k = { .req_id = 36, .scope = NX_KILL_VENUE, .on = 1 };
	nx_nxp_encode_set_kill_switch(&w, &k);
	nx_client_count(&f->ca);
	rx(f, f->aa, b, w.len);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ADMIN_REJECT);
	assert_int_equal(msg(f, 0)->u.admin_reject.reason, NX_REJ_NOT_ADMIN);
	assert_int_equal(msg(f, 0)->u.admin_reject.req_id, 36);
	fx_free(f);
}

/* Halt with cancelResting: AdminAck, the resting orders ExecCanceled HALT;
 * new orders INSTRUMENT_HALTED; a status outside the enum BAD_FIELD; an
 * unknown instrument UNKNOWN_INSTRUMENT. Reference price off the tick:
 * PRICE_NOT_TICK; negative BAD_PRICE; 0 accepted. SetLimit of an unknown
 * kind: BAD_FIELD; of an unknown account: UNKNOWN_ACCOUNT; a negative
 * value: BAD_FIELD. */
static void test_admin_status_refpx_limit_replies(void **state)
{
	(void)state;
	struct nx_instrument inst = { .id = INST, .symbol = "BTC-USD", .band_ticks = 100,
				      .ref_px = 1000 };
	nx_instrument_defaults(&inst);
	inst.tick = 5;
	struct fx *f = fx_of(make_engine_with(&inst, &eh_limits));
	login(f, &f->ca, f->aa);
	login(f, &f->cadm, f->aadm);
	struct nx_nxp_new_order o = order(A, 1, NX_SIDE_BUY, 990, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_EXEC_NEW);
	SEND_ADMIN(f, set_instrument_status, .req_id = 1, .instrument = INST,
		   .status = NX_STATUS_HALTED, .cancel_resting = 1);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ADMIN_ACK);
	assert_int_equal(msg(f, 0)->u.admin_ack.ref_template_id, NX_NXP_SET_INSTRUMENT_STATUS);
	assert_int_equal(msg(f, 1)->template_id, NX_NXP_EXEC_CANCELED);
	assert_int_equal(msg(f, 1)->u.exec_canceled.reason, NX_CXL_HALT);
	o = order(A, 2, NX_SIDE_BUY, 990, 1);
	send_order(f, &f->ca, f->aa, &o);
	assert_int_equal(msg(f, 0)->u.exec_rejected.reason, NX_REJ_INSTRUMENT_HALTED);
	SEND_ADMIN(f, set_instrument_status, .req_id = 2, .instrument = INST, .status = 7);
	assert_int_equal(msg(f, 0)->u.admin_reject.reason, NX_REJ_BAD_FIELD);
	SEND_ADMIN(f, set_instrument_status, .req_id = 3, .instrument = 99, .status = 1);
	assert_int_equal(msg(f, 0)->u.admin_reject.reason, NX_REJ_UNKNOWN_INSTRUMENT);
	SEND_ADMIN(f, set_reference_price, .req_id = 4, .price = 1003, .instrument = INST);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ADMIN_REJECT);
	assert_int_equal(msg(f, 0)->u.admin_reject.reason, NX_REJ_PRICE_NOT_TICK);
	SEND_ADMIN(f, set_reference_price, .req_id = 5, .price = -5, .instrument = INST);
	assert_int_equal(msg(f, 0)->u.admin_reject.reason, NX_REJ_BAD_PRICE);
	SEND_ADMIN(f, set_reference_price, .req_id = 6, .price = 1000, .instrument = 99);
	assert_int_equal(msg(f, 0)->u.admin_reject.reason, NX_REJ_UNKNOWN_INSTRUMENT);
	SEND_ADMIN(f, set_reference_price, .req_id = 7, .price = 0, .instrument = INST);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ADMIN_ACK);
	SEND_ADMIN(f, set_limit, .req_id = 8, .value = 5, .account = A, .limit_kind = 0);
	assert_int_equal(msg(f, 0)->u.admin_reject.reason, NX_REJ_BAD_FIELD);
	SEND_ADMIN(f, set_limit, .req_id = 9, .value = 5, .account = 4711,
		   .limit_kind = NX_LIMIT_MAX_OPEN_ORDERS);
	assert_int_equal(msg(f, 0)->u.admin_reject.reason, NX_REJ_UNKNOWN_ACCOUNT);
	SEND_ADMIN(f, set_limit, .req_id = 10, .value = -1, .account = A,
		   .limit_kind = NX_LIMIT_MAX_OPEN_ORDERS);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ADMIN_REJECT);
	assert_int_equal(msg(f, 0)->u.admin_reject.reason, NX_REJ_BAD_FIELD);
	assert_int_equal(msg(f, 0)->u.admin_reject.ref_template_id, NX_NXP_SET_LIMIT);
	fx_free(f);
}

/* SetLimit MsgBurst takes effect for the session's throttle at once. */
static void test_admin_msg_burst_limit_applies(void **state)
{
	(void)state;
	struct fx *f = fx_adm();
	SEND_ADMIN(f, set_limit, .req_id = 1, .value = 2, .account = A, .limit_kind = NX_LIMIT_MSG_BURST);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ADMIN_ACK);
	uint8_t buf[512];
	struct nx_nxp_writer w;
	nx_client_begin(&f->ca, &w, buf, sizeof(buf));
	for (uint64_t cl = 1; cl <= 4; cl++) {
		struct nx_nxp_new_order o = order(A, cl, NX_SIDE_BUY, 990, 1);
		nx_client_new_order(&f->ca, &w, &o);
	}
	rx(f, f->aa, buf, w.len);
	int thr = 0;
	for (int i = 0; i < count_msgs(f); i++)
		thr += msg(f, i)->template_id == NX_NXP_EXEC_REJECTED &&
		       msg(f, i)->u.exec_rejected.reason == NX_REJ_RISK_THROTTLED;
	assert_int_equal(thr, 2);
	fx_free(f);
}

/* --- Determinism ------------------------------------------------------------------ */

/* A script with trades, rejects, malformed messages, admin and a
 * retransmission, fed to two fresh engines: byte-identical outputs. */
static void run_mixed(uint8_t *out, size_t *len)
{
	struct fx *f = fx_adm();
	*len = 0;
	uint8_t buf[512], blk[64];
	for (int round = 0; round < 20; round++) {
		struct nx_nxp_new_order o = order(B, (uint64_t)round + 1, NX_SIDE_SELL,
						  1000 + round % 3, 1 + round % 4);
		o.display_qty = round % 5 == 0 ? 1 : 0;
		send_order(f, &f->cb, f->ab, &o);
		memcpy(out + *len, f->out.d, f->out.n * sizeof(f->out.d[0]));
		*len += f->out.n * sizeof(f->out.d[0]);
		o = order(A, (uint64_t)round + 1, NX_SIDE_BUY, 1001, 2 + round % 3);
		o.time_in_force = round % 2 ? NX_TIF_IOC : NX_TIF_GTC;
		size_t n = order_dgram(&f->ca, &o, buf, sizeof(buf));
		new_order_block(&o, blk);
		n += put_raw(buf + n, 0, 44, NX_NXP_NEW_ORDER, NX_NXP_SCHEMA_ID, 1, blk, 44);
		f->ca.next_seq++;
		rx(f, f->aa, buf, n);
		memcpy(out + *len, f->out.d, f->out.n * sizeof(f->out.d[0]));
		*len += f->out.n * sizeof(f->out.d[0]);
		if (round == 10) {
			SEND_ADMIN(f, set_kill_switch, .req_id = 1, .id = B, .scope = NX_KILL_ACCOUNT, .on = 1);
			memcpy(out + *len, f->out.d, f->out.n * sizeof(f->out.d[0]));
			*len += f->out.n * sizeof(f->out.d[0]);
			SEND_ADMIN(f, set_kill_switch, .req_id = 2, .id = B, .scope = NX_KILL_ACCOUNT, .on = 0);
		}
		f->now += 1000;
	}
	size_t n = nx_client_retransmit_request(&f->ca, buf, sizeof(buf), f->now, 1, 20);
	rx(f, f->aa, buf, n);
	memcpy(out + *len, f->out.d, f->out.n * sizeof(f->out.d[0]));
	*len += f->out.n * sizeof(f->out.d[0]);
	fx_free(f);
}

static void test_deterministic_mixed(void **state)
{
	(void)state;
	static uint8_t a[1 << 21], b[1 << 21];
	size_t la, lb;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	run_mixed(a, &la);
	run_mixed(b, &lb);
	assert_true(la > 0);
	assert_int_equal(la, lb);
	/* compare datagram by datagram, payload bytes only (the struct's
	 * padding past len is not output) */
	for (size_t off = 0; off < la; off += sizeof(struct nx_out_dgram)) {
		const struct nx_out_dgram *x = (const void *)(a + off), *y = (const void *)(b + off);
		assert_int_equal(x->len, y->len);
		assert_true(x->to.ip == y->to.ip && x->to.port == y->to.port);
		assert_memory_equal(x->data, y->data, x->len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doc_new_order_example_bytes),
		cmocka_unit_test(test_doc_worked_example_bytes),
		cmocka_unit_test(test_newer_longer_block_applied),
		cmocka_unit_test(test_bad_message_in_the_middle_each_class),
		cmocka_unit_test(test_framing_error_in_the_middle_is_a_gap),
		cmocka_unit_test(test_sequence_versions),
		cmocka_unit_test(test_session_message_inside_sequenced_takes_no_number),
		cmocka_unit_test(test_replies_batched_into_few_datagrams),
		cmocka_unit_test(test_spill_of_one_datagram),
		cmocka_unit_test(test_finished_replies_share_a_datagram),
		cmocka_unit_test(test_login_replies_share_a_datagram),
		cmocka_unit_test(test_negotiate_retries_one_datagram_out),
		cmocka_unit_test(test_resent_datagram_with_bad_message_silent),
		cmocka_unit_test(test_instrument_definition_after_admin),
		cmocka_unit_test(test_ioc_remainder_reports),
		cmocka_unit_test(test_fok_killed_and_market_exec_new),
		cmocka_unit_test(test_market_protection_and_no_liquidity),
		cmocka_unit_test(test_iceberg_maker_fills),
		cmocka_unit_test(test_stp_decrement_reports),
		cmocka_unit_test(test_replace_fields),
		cmocka_unit_test(test_cancel_reject_and_mass_cancel_report),
		cmocka_unit_test(test_business_reject_fields),
		cmocka_unit_test(test_admin_kill_switch_replies),
		cmocka_unit_test(test_admin_status_refpx_limit_replies),
		cmocka_unit_test(test_admin_msg_burst_limit_applies),
		cmocka_unit_test(test_deterministic_mixed),
	};
	(void)setup;
	(void)teardown;
	return cmocka_run_group_tests_name("pipeline_edges", tests, NULL, NULL);
}
