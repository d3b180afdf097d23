/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the ITCH 5.0 decoder (include/nx/itch.h, src/itch/itch.c):
 * - every one of the 23 message types built here field by field, in the
 *   specification's order and widths, by a byte writer that knows nothing
 *   of the view structs; decoded through nx_itch_check and the views, each
 *   field compared with the value written (so a wrong offset or width in a
 *   view fails); the table-driven nx_itch_decode compared with the views
 *   for every type, on a buffer of exactly the message's length;
 * - the length table against the writer's lengths; every type at every
 *   wrong length from 0 to 64 (BAD_LENGTH, or EMPTY at 0); every byte that
 *   is not a type (UNKNOWN_TYPE);
 * - big-endian loads and stores at their extremes, the 6-byte timestamp,
 *   symbols, price formatting, names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nx/itch.h"

/* --- A byte writer independent of the views --------------------------------- */

struct wr {
	uint8_t b[64];
	size_t n;
};

static void w_int(struct wr *w, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		w->b[w->n + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	w->n += bytes;
}

static void w_str(struct wr *w, const char *s, unsigned width)
{
	size_t l = strlen(s);
	for (unsigned i = 0; i < width; i++)
		w->b[w->n + i] = i < l ? (uint8_t)s[i] : ' ';
	w->n += width;
}

/* type, locate, tracking, 6-byte timestamp */
static void w_hdr(struct wr *w, char type, uint16_t locate, uint16_t track, uint64_t ts)
{
	w->n = 0;
	w_int(w, (uint8_t)type, 1);
	w_int(w, locate, 2);
	w_int(w, track, 2);
	w_int(w, ts, 6);
}

#define TS  UINT64_C(0x7fedcba98765) /* 48 bits with every byte distinct */
#define LOC 0xbeef
#define TRK 0x1234

/* nx_itch_decode against the views: the message copied into a buffer of
 * exactly its length (ASan catches a load past it), every field compared
 * with what the views read, absent fields 0. */
static void check_fields(const struct wr *w, int type)
{
	uint8_t *buf = malloc(w->n);
	struct nx_itch_fields f;
	uint64_t ref = 0, nref = 0, sh = 0;
	uint32_t px = 0;
	uint8_t side = 0, aux = 0;

	assert_non_null(buf);
	memcpy(buf, w->b, w->n);
	const union nx_itch_msg *m = (const void *)buf;
	memset(&f, 0xa5, sizeof(f));
	assert_int_equal(nx_itch_decode(buf, w->n, &f), type);
	switch (type) {
	case 'A': case 'F':
		ref = nx_itch_be64(m->A.ref), side = m->A.side, sh = nx_itch_be32(m->A.shares);
		px = nx_itch_be32(m->A.price);
		break;
	case 'E': ref = nx_itch_be64(m->E.ref), sh = nx_itch_be32(m->E.shares); break;
	case 'C':
		ref = nx_itch_be64(m->C.ref), sh = nx_itch_be32(m->C.shares);
		px = nx_itch_be32(m->C.price), aux = m->C.printable;
		break;
	case 'X': ref = nx_itch_be64(m->X.ref), sh = nx_itch_be32(m->X.shares); break;
	case 'D': ref = nx_itch_be64(m->D.ref); break;
	case 'U':
		ref = nx_itch_be64(m->U.orig_ref), nref = nx_itch_be64(m->U.new_ref);
		sh = nx_itch_be32(m->U.shares), px = nx_itch_be32(m->U.price);
		break;
	case 'P':
		ref = nx_itch_be64(m->P.ref), side = m->P.side, sh = nx_itch_be32(m->P.shares);
		px = nx_itch_be32(m->P.price);
		break;
	case 'Q': sh = nx_itch_be64(m->Q.shares), px = nx_itch_be32(m->Q.cross_price); break;
	case 'S': aux = m->S.event_code; break;
	case 'R': aux = m->R.market_category; break;
	case 'H': aux = m->H.trading_state; break;
	default: break;
	}
	assert_true(f.ts_ns == nx_itch_ts_ns(&m->h));
	assert_int_equal(f.locate, nx_itch_locate(&m->h));
	assert_true(f.ref == ref);
	assert_true(f.new_ref == nref);
	assert_true(f.shares == sh);
	assert_int_equal(f.px, px);
	assert_int_equal(f.side, side);
	assert_int_equal(f.aux, aux);
	free(buf);
}

static const union nx_itch_msg *decode(struct wr *w, int type)
{
	check_fields(w, type);
	assert_int_equal(nx_itch_check(w->b, w->n), type);
	assert_int_equal(nx_itch_type_len((uint8_t)type), w->n);
	const union nx_itch_msg *m = (const void *)w->b;
	assert_int_equal(m->type, type);
	assert_int_equal(nx_itch_locate(&m->h), LOC);
	assert_int_equal(nx_itch_tracking(&m->h), TRK);
	assert_true(nx_itch_ts_ns(&m->h) == TS);
	return m;
}

static void assert_sym(const char *field, const char *want)
{
	char s[9];
	nx_itch_symbol(field, s);
	assert_string_equal(s, want);
}

/* --- Every type ------------------------------------------------------------------- */

static void test_system_event(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'S', LOC, TRK, TS);
	w_int(&w, 'Q', 1);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_SYSTEM_EVENT);
	assert_int_equal(m->S.event_code, NX_ITCH_EV_START_MARKET);
}

static void test_stock_directory(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'R', LOC, TRK, TS);
	w_str(&w, "AAPL", 8);
	w_int(&w, 'Q', 1);
	w_int(&w, 'N', 1);
	w_int(&w, 100, 4);
	w_int(&w, 'N', 1);
	w_int(&w, 'C', 1);
	w_str(&w, "Z", 2);
	w_int(&w, 'P', 1);
	w_int(&w, 'N', 1);
	w_int(&w, 'N', 1);
	w_int(&w, '1', 1);
	w_int(&w, 'Y', 1);
	w_int(&w, 0x01020304, 4);
	w_int(&w, 'N', 1);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_STOCK_DIRECTORY);
	assert_sym(m->R.stock, "AAPL");
	assert_int_equal(m->R.market_category, 'Q');
	assert_int_equal(m->R.financial_status, 'N');
	assert_int_equal(nx_itch_be32(m->R.round_lot_size), 100);
	assert_int_equal(m->R.round_lots_only, 'N');
	assert_int_equal(m->R.issue_classification, 'C');
	assert_memory_equal(m->R.issue_subtype, "Z ", 2);
	assert_int_equal(m->R.authenticity, 'P');
	assert_int_equal(m->R.short_sale_threshold, 'N');
	assert_int_equal(m->R.ipo_flag, 'N');
	assert_int_equal(m->R.luld_tier, '1');
	assert_int_equal(m->R.etp_flag, 'Y');
	assert_int_equal(nx_itch_be32(m->R.etp_leverage), 0x01020304);
	assert_int_equal(m->R.inverse, 'N');
}

static void test_trading_action(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'H', LOC, TRK, TS);
	w_str(&w, "ZVZZT", 8);
	w_int(&w, 'H', 1);
	w_int(&w, ' ', 1);
	w_str(&w, "T1", 4);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_TRADING_ACTION);
	assert_sym(m->H.stock, "ZVZZT");
	assert_int_equal(m->H.trading_state, 'H');
	assert_int_equal(m->H.reserved, ' ');
	assert_memory_equal(m->H.reason, "T1  ", 4);
}

static void test_reg_sho(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'Y', LOC, TRK, TS);
	w_str(&w, "MSFT", 8);
	w_int(&w, '1', 1);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_REG_SHO);
	assert_sym(m->Y.stock, "MSFT");
	assert_int_equal(m->Y.action, '1');
}

static void test_mkt_participant(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'L', LOC, TRK, TS);
	w_str(&w, "GSCO", 4);
	w_str(&w, "IBM", 8);
	w_int(&w, 'Y', 1);
	w_int(&w, 'N', 1);
	w_int(&w, 'A', 1);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_MKT_PARTICIPANT);
	assert_memory_equal(m->L.mpid, "GSCO", 4);
	assert_sym(m->L.stock, "IBM");
	assert_int_equal(m->L.primary_mm, 'Y');
	assert_int_equal(m->L.mm_mode, 'N');
	assert_int_equal(m->L.participant_state, 'A');
}

static void test_mwcb_decline(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'V', LOC, TRK, TS);
	w_int(&w, UINT64_C(300000000000), 8);   /* $3000.00000000 */
	w_int(&w, UINT64_C(280000000000), 8);
	w_int(&w, UINT64_C(0xfedcba9876543210), 8);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_MWCB_DECLINE);
	assert_true(nx_itch_be64(m->V.level1) == UINT64_C(300000000000));
	assert_true(nx_itch_be64(m->V.level2) == UINT64_C(280000000000));
	assert_true(nx_itch_be64(m->V.level3) == UINT64_C(0xfedcba9876543210));
	char buf[32];
	nx_itch_px_format(buf, sizeof(buf), nx_itch_be64(m->V.level1), 8);
	assert_string_equal(buf, "3000.00000000");
}

static void test_mwcb_status(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'W', LOC, TRK, TS);
	w_int(&w, '2', 1);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_MWCB_STATUS);
	assert_int_equal(m->W.breached_level, '2');
}

static void test_ipo_quoting(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'K', LOC, TRK, TS);
	w_str(&w, "NEWCO", 8);
	w_int(&w, 34200, 4);
	w_int(&w, 'A', 1);
	w_int(&w, 215000, 4);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_IPO_QUOTING);
	assert_sym(m->K.stock, "NEWCO");
	assert_int_equal(nx_itch_be32(m->K.release_time), 34200);
	assert_int_equal(m->K.release_qualifier, 'A');
	assert_int_equal(nx_itch_be32(m->K.ipo_price), 215000);
}

static void test_luld_collar(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'J', LOC, TRK, TS);
	w_str(&w, "TSLA", 8);
	w_int(&w, 4000000, 4);
	w_int(&w, 4400000, 4);
	w_int(&w, 3600000, 4);
	w_int(&w, 3, 4);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_LULD_COLLAR);
	assert_sym(m->J.stock, "TSLA");
	assert_int_equal(nx_itch_be32(m->J.ref_price), 4000000);
	assert_int_equal(nx_itch_be32(m->J.upper_price), 4400000);
	assert_int_equal(nx_itch_be32(m->J.lower_price), 3600000);
	assert_int_equal(nx_itch_be32(m->J.extension), 3);
}

static void test_operational_halt(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'h', LOC, TRK, TS);
	w_str(&w, "QQQ", 8);
	w_int(&w, 'B', 1);
	w_int(&w, 'T', 1);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_OPERATIONAL_HALT);
	assert_sym(m->h_.stock, "QQQ");
	assert_int_equal(m->h_.market_code, 'B');
	assert_int_equal(m->h_.action, 'T');
}

static void test_add_order(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'A', LOC, TRK, TS);
	w_int(&w, UINT64_C(0x8877665544332211), 8);
	w_int(&w, 'B', 1);
	w_int(&w, 0xfffffffe, 4);
	w_str(&w, "SPY", 8);
	w_int(&w, 3215500, 4);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_ADD_ORDER);
	assert_true(nx_itch_be64(m->A.ref) == UINT64_C(0x8877665544332211));
	assert_true(nx_itch_be64(w.b + NX_ITCH_REF_OFF) == UINT64_C(0x8877665544332211));
	assert_int_equal(m->A.side, NX_ITCH_BUY);
	assert_int_equal(nx_itch_be32(m->A.shares), 0xfffffffe);
	assert_sym(m->A.stock, "SPY");
	assert_int_equal(nx_itch_be32(m->A.price), 3215500);
}

static void test_add_order_mpid(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'F', LOC, TRK, TS);
	w_int(&w, 42, 8);
	w_int(&w, 'S', 1);
	w_int(&w, 300, 4);
	w_str(&w, "BRK A", 8);
	w_int(&w, 0x7fffffff, 4);
	w_str(&w, "VIRT", 4);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_ADD_ORDER_MPID);
	assert_int_equal(nx_itch_be64(m->F.ref), 42);
	assert_int_equal(m->F.side, NX_ITCH_SELL);
	assert_int_equal(nx_itch_be32(m->F.shares), 300);
	assert_sym(m->F.stock, "BRK A");
	assert_int_equal(nx_itch_be32(m->F.price), 0x7fffffff);
	assert_memory_equal(m->F.attribution, "VIRT", 4);
	/* F's first fields read through A's view, as the book does */
	assert_int_equal(nx_itch_be32(m->A.price), 0x7fffffff);
}

static void test_order_executed(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'E', LOC, TRK, TS);
	w_int(&w, 777, 8);
	w_int(&w, 55, 4);
	w_int(&w, UINT64_C(1234567890123), 8);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_ORDER_EXECUTED);
	assert_int_equal(nx_itch_be64(m->E.ref), 777);
	assert_int_equal(nx_itch_be32(m->E.shares), 55);
	assert_true(nx_itch_be64(m->E.match) == UINT64_C(1234567890123));
}

static void test_order_executed_px(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'C', LOC, TRK, TS);
	w_int(&w, 778, 8);
	w_int(&w, 56, 4);
	w_int(&w, 99, 8);
	w_int(&w, 'Y', 1);
	w_int(&w, 1001, 4);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_ORDER_EXECUTED_PX);
	assert_int_equal(nx_itch_be64(m->C.ref), 778);
	assert_int_equal(nx_itch_be32(m->C.shares), 56);
	assert_int_equal(nx_itch_be64(m->C.match), 99);
	assert_int_equal(m->C.printable, 'Y');
	assert_int_equal(nx_itch_be32(m->C.price), 1001);
}

static void test_order_cancel(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'X', LOC, TRK, TS);
	w_int(&w, 779, 8);
	w_int(&w, 57, 4);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_ORDER_CANCEL);
	assert_int_equal(nx_itch_be64(m->X.ref), 779);
	assert_int_equal(nx_itch_be32(m->X.shares), 57);
}

static void test_order_delete(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'D', LOC, TRK, TS);
	w_int(&w, UINT64_MAX, 8);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_ORDER_DELETE);
	assert_true(nx_itch_be64(m->D.ref) == UINT64_MAX);
}

static void test_order_replace(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'U', LOC, TRK, TS);
	w_int(&w, 1000, 8);
	w_int(&w, 1004, 8);
	w_int(&w, 250, 4);
	w_int(&w, 100100, 4);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_ORDER_REPLACE);
	assert_int_equal(nx_itch_be64(m->U.orig_ref), 1000);
	assert_int_equal(nx_itch_be64(m->U.new_ref), 1004);
	assert_int_equal(nx_itch_be32(m->U.shares), 250);
	assert_int_equal(nx_itch_be32(m->U.price), 100100);
}

static void test_trade(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'P', LOC, TRK, TS);
	w_int(&w, 0, 8);
	w_int(&w, 'B', 1);
	w_int(&w, 400, 4);
	w_str(&w, "AMZN", 8);
	w_int(&w, 18750000, 4);
	w_int(&w, 31337, 8);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_TRADE);
	assert_int_equal(nx_itch_be64(m->P.ref), 0);
	assert_int_equal(m->P.side, 'B');
	assert_int_equal(nx_itch_be32(m->P.shares), 400);
	assert_sym(m->P.stock, "AMZN");
	assert_int_equal(nx_itch_be32(m->P.price), 18750000);
	assert_int_equal(nx_itch_be64(m->P.match), 31337);
}

static void test_cross_trade(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'Q', LOC, TRK, TS);
	w_int(&w, UINT64_C(5000000000), 8);
	w_str(&w, "GOOG", 8);
	w_int(&w, 13370000, 4);
	w_int(&w, 7, 8);
	w_int(&w, 'O', 1);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_CROSS_TRADE);
	assert_true(nx_itch_be64(m->Q.shares) == UINT64_C(5000000000));
	assert_sym(m->Q.stock, "GOOG");
	assert_int_equal(nx_itch_be32(m->Q.cross_price), 13370000);
	assert_int_equal(nx_itch_be64(m->Q.match), 7);
	assert_int_equal(m->Q.cross_type, 'O');
}

static void test_broken_trade(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'B', LOC, TRK, TS);
	w_int(&w, 31337, 8);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_BROKEN_TRADE);
	assert_int_equal(nx_itch_be64(m->B.match), 31337);
}

static void test_noii(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'I', LOC, TRK, TS);
	w_int(&w, 1000000, 8);
	w_int(&w, 25000, 8);
	w_int(&w, 'S', 1);
	w_str(&w, "NFLX", 8);
	w_int(&w, 3000000, 4);
	w_int(&w, 3010000, 4);
	w_int(&w, 3005000, 4);
	w_int(&w, 'C', 1);
	w_int(&w, 'L', 1);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_NOII);
	assert_int_equal(nx_itch_be64(m->I.paired_shares), 1000000);
	assert_int_equal(nx_itch_be64(m->I.imbalance_shares), 25000);
	assert_int_equal(m->I.imbalance_direction, 'S');
	assert_sym(m->I.stock, "NFLX");
	assert_int_equal(nx_itch_be32(m->I.far_price), 3000000);
	assert_int_equal(nx_itch_be32(m->I.near_price), 3010000);
	assert_int_equal(nx_itch_be32(m->I.ref_price), 3005000);
	assert_int_equal(m->I.cross_type, 'C');
	assert_int_equal(m->I.price_variation, 'L');
}

static void test_rpii(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'N', LOC, TRK, TS);
	w_str(&w, "AMD", 8);
	w_int(&w, 'A', 1);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_RPII);
	assert_sym(m->N.stock, "AMD");
	assert_int_equal(m->N.interest_flag, 'A');
}

static void test_dlcr(void **state)
{
	struct wr w;
	(void)state;
	w_hdr(&w, 'O', LOC, TRK, TS);
	w_str(&w, "DLCR", 8);
	w_int(&w, 'Y', 1);
	w_int(&w, 80000, 4);
	w_int(&w, 180000, 4);
	w_int(&w, 100000, 4);
	w_int(&w, UINT64_C(36000000000000), 8);
	w_int(&w, 90000, 4);
	w_int(&w, 110000, 4);
	const union nx_itch_msg *m = decode(&w, NX_ITCH_DLCR);
	assert_sym(m->O.stock, "DLCR");
	assert_int_equal(m->O.open_eligibility, 'Y');
	assert_int_equal(nx_itch_be32(m->O.min_price), 80000);
	assert_int_equal(nx_itch_be32(m->O.max_price), 180000);
	assert_int_equal(nx_itch_be32(m->O.near_price), 100000);
	assert_true(nx_itch_be64(m->O.near_time) == UINT64_C(36000000000000));
	assert_int_equal(nx_itch_be32(m->O.lower_collar), 90000);
	assert_int_equal(nx_itch_be32(m->O.upper_collar), 110000);
}

/* --- Lengths and unknown types ------------------------------------------------ */

static const struct {
	char type;
	unsigned len;
} spec[] = { /* the specification's lengths, typed in again */
	{ 'S', 12 }, { 'R', 39 }, { 'H', 25 }, { 'Y', 20 }, { 'L', 26 }, { 'V', 35 },
	{ 'W', 12 }, { 'K', 28 }, { 'J', 35 }, { 'h', 21 }, { 'A', 36 }, { 'F', 40 },
	{ 'E', 31 }, { 'C', 36 }, { 'X', 23 }, { 'D', 19 }, { 'U', 35 }, { 'P', 44 },
	{ 'Q', 40 }, { 'B', 19 }, { 'I', 50 }, { 'N', 20 }, { 'O', 48 },
};

static void test_lengths_and_index(void **state)
{
	unsigned seen[NX_ITCH_IX_MAX] = { 0 };
	(void)state;
	assert_int_equal(NX_ARRAY_SIZE(spec), NX_ITCH_NTYPES);
	for (size_t i = 0; i < NX_ARRAY_SIZE(spec); i++) {
		uint8_t t = (uint8_t)spec[i].type;
		assert_int_equal(nx_itch_type_len(t), spec[i].len);
		unsigned ix = nx_itch_type_ix(t);
		assert_true(ix >= 1 && ix < NX_ITCH_IX_MAX);
		assert_int_equal(ix, i + 1); /* the specification's order */
		seen[ix]++;
		assert_string_not_equal(nx_itch_type_name(t), "?");
	}
	for (unsigned ix = 1; ix < NX_ITCH_IX_MAX; ix++)
		assert_int_equal(seen[ix], 1);
	assert_string_equal(nx_itch_type_name('A'), "ADD_ORDER");
	assert_string_equal(nx_itch_type_name('h'), "OPERATIONAL_HALT");
	assert_string_equal(nx_itch_type_name('T'), "?");
	assert_string_equal(nx_itch_type_name(-1), "?");
	assert_string_equal(nx_itch_type_name(300), "?");
}

static void test_wrong_lengths(void **state)
{
	uint8_t buf[80];
	(void)state;
	memset(buf, 0, sizeof(buf));
	for (size_t i = 0; i < NX_ARRAY_SIZE(spec); i++) {
		buf[0] = (uint8_t)spec[i].type;
		for (size_t len = 0; len <= 64; len++) {
			int rc = nx_itch_check(buf, len);
			struct nx_itch_fields f;
			assert_int_equal(nx_itch_decode(buf, len, &f), rc);
			if (len == 0)
				assert_int_equal(rc, NX_ITCH_ERR_EMPTY);
			else if (len == spec[i].len)
				assert_int_equal(rc, spec[i].type);
			else
				assert_int_equal(rc, NX_ITCH_ERR_BAD_LENGTH);
		}
	}
}

static void test_unknown_types(void **state)
{
	uint8_t buf[64] = { 0 };
	unsigned known = 0;
	(void)state;
	for (unsigned t = 0; t < 256; t++) {
		int is_type = 0;
		for (size_t i = 0; i < NX_ARRAY_SIZE(spec); i++)
			is_type |= (unsigned)(uint8_t)spec[i].type == t;
		buf[0] = (uint8_t)t;
		if (is_type) {
			known++;
			continue;
		}
		assert_int_equal(nx_itch_type_len((uint8_t)t), 0);
		assert_int_equal(nx_itch_type_ix((uint8_t)t), NX_ITCH_IX_NONE);
		for (size_t len = 1; len <= 64; len++) {
			struct nx_itch_fields f;
			assert_int_equal(nx_itch_check(buf, len), NX_ITCH_ERR_UNKNOWN_TYPE);
			assert_int_equal(nx_itch_decode(buf, len, &f), NX_ITCH_ERR_UNKNOWN_TYPE);
		}
	}
	assert_int_equal(known, 23);
	/* 'T' (ITCH 4.1 seconds) and 'a' are not ITCH 5.0 */
	buf[0] = 'T';
	assert_int_equal(nx_itch_check(buf, 5), NX_ITCH_ERR_UNKNOWN_TYPE);
}

static void test_error_names(void **state)
{
	(void)state;
	assert_string_equal(nx_itch_err_name(NX_ITCH_ERR_EMPTY), "EMPTY");
	assert_string_equal(nx_itch_err_name(NX_ITCH_ERR_UNKNOWN_TYPE), "UNKNOWN_TYPE");
	assert_string_equal(nx_itch_err_name(NX_ITCH_ERR_BAD_LENGTH), "BAD_LENGTH");
	assert_string_equal(nx_itch_err_name(0), "?");
	assert_string_equal(nx_itch_err_name(-4), "?");
	assert_string_equal(nx_itch_err_text(-99), "unknown ITCH error");
	assert_string_not_equal(nx_itch_err_text(NX_ITCH_ERR_BAD_LENGTH), "unknown ITCH error");
}

/* --- Loads, stores, helpers ---------------------------------------------------- */

static void test_byte_order(void **state)
{
	uint8_t b[8];
	(void)state;
	nx_itch_st_be64(b, UINT64_C(0x0102030405060708));
	assert_int_equal(b[0], 1);
	assert_int_equal(b[7], 8);
	assert_true(nx_itch_be64(b) == UINT64_C(0x0102030405060708));
	assert_int_equal(nx_itch_be32(b + 1), 0x02030405);
	assert_int_equal(nx_itch_be16(b + 6), 0x0708);
	assert_true(nx_itch_be48(b + 2) == UINT64_C(0x030405060708));
	nx_itch_st_be48(b, UINT64_C(0xffffffffffff));
	assert_true(nx_itch_be48(b) == UINT64_C(0xffffffffffff));
	nx_itch_st_be48(b, UINT64_C(86399999999999)); /* 23:59:59.999999999 */
	assert_true(nx_itch_be48(b) == UINT64_C(86399999999999));
	nx_itch_st_be64(b, UINT64_MAX);
	assert_true(nx_itch_be64(b) == UINT64_MAX);
	nx_itch_st_be32(b, 0x80000001);
	assert_int_equal(nx_itch_be32(b), 0x80000001);
	nx_itch_st_be16(b, 0xfffe);
	assert_int_equal(nx_itch_be16(b), 0xfffe);
}

static void test_symbols(void **state)
{
	char out[9], f[8];
	(void)state;
	assert_int_equal(nx_itch_symbol("AAPL    ", out), 4);
	assert_string_equal(out, "AAPL");
	assert_int_equal(nx_itch_symbol("ABCDEFGH", out), 8);
	assert_string_equal(out, "ABCDEFGH");
	assert_int_equal(nx_itch_symbol("        ", out), 0);
	assert_int_equal(nx_itch_symbol("BRK A   ", out), 5); /* inner space kept */
	assert_string_equal(out, "BRK A");
	assert_int_equal(nx_itch_symbol("AB\0CDEFG", out), 2);
	assert_int_equal(nx_itch_symbol_pad("MSFT", f), 0);
	assert_memory_equal(f, "MSFT    ", 8);
	assert_int_equal(nx_itch_symbol_pad("ABCDEFGH", f), 0);
	assert_int_equal(nx_itch_symbol_pad("ABCDEFGHI", f), -EINVAL);
}

static void test_px_format(void **state)
{
	char b[32];
	(void)state;
	nx_itch_px_format(b, sizeof(b), 1234500, 4);
	assert_string_equal(b, "123.4500");
	nx_itch_px_format(b, sizeof(b), 1, 4);
	assert_string_equal(b, "0.0001");
	nx_itch_px_format(b, sizeof(b), 0, 4);
	assert_string_equal(b, "0.0000");
	nx_itch_px_format(b, sizeof(b), 0xffffffffu, 4);
	assert_string_equal(b, "429496.7295");
	nx_itch_px_format(b, sizeof(b), 12345, 0);
	assert_string_equal(b, "12345");
	nx_itch_px_format(b, sizeof(b), UINT64_C(100000000), 8);
	assert_string_equal(b, "1.00000000");
	/* Regression (session 13): 19 or more decimals were formatted as 18. */
	char w[64];
	nx_itch_px_format(w, sizeof(w), UINT64_MAX, 19);
	assert_string_equal(w, "1.8446744073709551615");
	nx_itch_px_format(w, sizeof(w), 5, 19);
	assert_string_equal(w, "0.0000000000000000005");
	nx_itch_px_format(w, sizeof(w), 1, 20);
	assert_string_equal(w, "0.00000000000000000001");
	nx_itch_px_format(w, sizeof(w), UINT64_MAX, 20);
	assert_string_equal(w, "0.18446744073709551615");
	nx_itch_px_format(w, sizeof(w), 7, 99);
	assert_string_equal(w, "0.0000000000000000000000000000000000000007");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_event),
		cmocka_unit_test(test_stock_directory),
		cmocka_unit_test(test_trading_action),
		cmocka_unit_test(test_reg_sho),
		cmocka_unit_test(test_mkt_participant),
		cmocka_unit_test(test_mwcb_decline),
		cmocka_unit_test(test_mwcb_status),
		cmocka_unit_test(test_ipo_quoting),
		cmocka_unit_test(test_luld_collar),
		cmocka_unit_test(test_operational_halt),
		cmocka_unit_test(test_add_order),
		cmocka_unit_test(test_add_order_mpid),
		cmocka_unit_test(test_order_executed),
		cmocka_unit_test(test_order_executed_px),
		cmocka_unit_test(test_order_cancel),
		cmocka_unit_test(test_order_delete),
		cmocka_unit_test(test_order_replace),
		cmocka_unit_test(test_trade),
		cmocka_unit_test(test_cross_trade),
		cmocka_unit_test(test_broken_trade),
		cmocka_unit_test(test_noii),
		cmocka_unit_test(test_rpii),
		cmocka_unit_test(test_dlcr),
		cmocka_unit_test(test_lengths_and_index),
		cmocka_unit_test(test_wrong_lengths),
		cmocka_unit_test(test_unknown_types),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_byte_order),
		cmocka_unit_test(test_symbols),
		cmocka_unit_test(test_px_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
