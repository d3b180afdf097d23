/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The tables behind nx/itch.h (type -> length, type -> dense index) and its
 * cold helpers: names, symbols, price formatting. The decoder itself is the
 * inline nx_itch_check and the view structs in the header.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "nx/itch.h"

#define NX_X_(name, ch, len, text) +1
NX_STATIC_ASSERT(0 NX_ITCH_TYPES(NX_X_) == NX_ITCH_NTYPES && NX_ITCH_NTYPES == 23,
		 "dense index covers every type");
#undef NX_X_
#define NX_X_(name, code, text) +1
NX_STATIC_ASSERT(1 NX_ITCH_ERRS(NX_X_) == NX_ITCH_ERR_MAX, "NX_ITCH_ERR_MAX = errors + 1");
#undef NX_X_

const uint8_t nx_itch_len_tab[256] = {
#define NX_X_(name, ch, len, text) [ch] = len,
	NX_ITCH_TYPES(NX_X_)
#undef NX_X_
};

const uint8_t nx_itch_ix_tab[256] = {
#define NX_X_(name, ch, len, text) [ch] = NX_ITCH_IX_##name,
	NX_ITCH_TYPES(NX_X_)
#undef NX_X_
};

/* nx_itch_decode's descriptors: the fields a type has, at the views'
 * offsets (their static asserts pin those to the specification); the rest
 * point at byte 0 (8-byte fields: end at 8) with mask 0. */
#define W_(w) (~UINT64_C(0) >> (64 - 8 * (w)))
#define F8(k, st, f, w) .e_##k = (uint8_t)(OFF(st, f) + (w)), .m_##k = W_(w)
#define F4(k, st, f) .o_##k = (uint8_t)OFF(st, f), .m_##k = 0xffffffffu
#define F1(k, st, f) .o_flag = (uint8_t)OFF(st, f), .m_##k = 0xff /* side or aux */
#define NONE_ .e_ref = 8, .e_new_ref = 8, .e_shares = 8
#define ROW(name, ...) [NX_ITCH_##name] = { .len = NX_ITCH_LEN_##name, NONE_, __VA_ARGS__ }
#define OFF(st, f) offsetof(struct st, f)

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
const struct nx_itch_desc nx_itch_desc_tab[256] = {
	[0 ... 255] = { .len = 0, NONE_ },
	ROW(SYSTEM_EVENT, F1(aux, nx_itch_system_event, event_code)),
	ROW(STOCK_DIRECTORY, F1(aux, nx_itch_stock_directory, market_category)),
	ROW(TRADING_ACTION, F1(aux, nx_itch_trading_action, trading_state)),
	ROW(REG_SHO),
	ROW(MKT_PARTICIPANT),
	ROW(MWCB_DECLINE),
	ROW(MWCB_STATUS),
	ROW(IPO_QUOTING),
	ROW(LULD_COLLAR),
	ROW(OPERATIONAL_HALT),
	ROW(ADD_ORDER, F8(ref, nx_itch_add_order, ref, 8), F1(side, nx_itch_add_order, side),
	    F8(shares, nx_itch_add_order, shares, 4), F4(px, nx_itch_add_order, price)),
	ROW(ADD_ORDER_MPID, F8(ref, nx_itch_add_order_mpid, ref, 8),
	    F1(side, nx_itch_add_order_mpid, side), F8(shares, nx_itch_add_order_mpid, shares, 4),
	    F4(px, nx_itch_add_order_mpid, price)),
	ROW(ORDER_EXECUTED, F8(ref, nx_itch_order_executed, ref, 8),
	    F8(shares, nx_itch_order_executed, shares, 4)),
	ROW(ORDER_EXECUTED_PX, F8(ref, nx_itch_order_executed_px, ref, 8),
	    F8(shares, nx_itch_order_executed_px, shares, 4),
	    F4(px, nx_itch_order_executed_px, price),
	    F1(aux, nx_itch_order_executed_px, printable)),
	ROW(ORDER_CANCEL, F8(ref, nx_itch_order_cancel, ref, 8),
	    F8(shares, nx_itch_order_cancel, shares, 4)),
	ROW(ORDER_DELETE, F8(ref, nx_itch_order_delete, ref, 8)),
	ROW(ORDER_REPLACE, F8(ref, nx_itch_order_replace, orig_ref, 8),
	    F8(new_ref, nx_itch_order_replace, new_ref, 8),
	    F8(shares, nx_itch_order_replace, shares, 4), F4(px, nx_itch_order_replace, price)),
	ROW(TRADE, F8(ref, nx_itch_trade, ref, 8), F1(side, nx_itch_trade, side),
	    F8(shares, nx_itch_trade, shares, 4), F4(px, nx_itch_trade, price)),
	ROW(CROSS_TRADE, F8(shares, nx_itch_cross_trade, shares, 8),
	    F4(px, nx_itch_cross_trade, cross_price)),
	ROW(BROKEN_TRADE),
	ROW(NOII),
	ROW(RPII),
	ROW(DLCR),
};
#pragma GCC diagnostic pop
#undef W_
#undef F8
#undef F4
#undef F1
#undef NONE_
#undef ROW
#undef OFF

int nx_itch_decode_refuse(const uint8_t *msg, size_t len)
{
	return nx_itch_check(msg, len);
}

struct type_row {
	const char *name, *text;
};

static const struct type_row types[256] = {
#define NX_X_(name, ch, len, text) [ch] = { #name, text },
	NX_ITCH_TYPES(NX_X_)
#undef NX_X_
};

static const struct type_row errs[NX_ITCH_ERR_MAX] = {
#define NX_X_(name, code, text) [code] = { #name, text },
	NX_ITCH_ERRS(NX_X_)
#undef NX_X_
};

const char *nx_itch_type_name(int type)
{
	return type > 0 && type < 256 && types[type].name ? types[type].name : "?";
}

const char *nx_itch_type_text(int type)
{
	return type > 0 && type < 256 && types[type].text ? types[type].text
							   : "not an ITCH 5.0 message type";
}

const char *nx_itch_err_name(int err)
{
	return err < 0 && err > -(int)NX_ITCH_ERR_MAX ? errs[-err].name : "?";
}

const char *nx_itch_err_text(int err)
{
	return err < 0 && err > -(int)NX_ITCH_ERR_MAX ? errs[-err].text : "unknown ITCH error";
}

size_t nx_itch_symbol(const char stock[8], char out[9])
{
	size_t n = 0;

	while (n < NX_ITCH_SYMBOL_LEN && stock[n] != '\0') {
		out[n] = stock[n];
		n++;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return n;
}

int nx_itch_symbol_pad(const char *sym, char stock[8])
{
	size_t n = strnlen(sym, NX_ITCH_SYMBOL_LEN + 1);

	if (n > NX_ITCH_SYMBOL_LEN)
		return -EINVAL;
	memset(stock, ' ', NX_ITCH_SYMBOL_LEN);
	memcpy(stock, sym, n);
	return 0;
}

int nx_itch_px_format(char *buf, size_t cap, uint64_t px, unsigned decimals)
{
	uint64_t scale = 1;

	if (decimals == 0)
		return snprintf(buf, cap, "%llu", (unsigned long long)px);
	if (decimals > NX_ITCH_PX_DECIMALS_MAX)
		decimals = NX_ITCH_PX_DECIMALS_MAX;
	if (decimals >= 20) /* 10^20 passes 2^64: every digit is a fraction's */
		return snprintf(buf, cap, "0.%0*llu", (int)decimals, (unsigned long long)px);
	for (unsigned i = 0; i < decimals; i++) /* 10^19 < 2^64 */
		scale *= 10;
	return snprintf(buf, cap, "%llu.%0*llu", (unsigned long long)(px / scale), (int)decimals,
			(unsigned long long)(px % scale));
}
