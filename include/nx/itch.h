/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Nasdaq TotalView-ITCH 5.0 messages, as zero-copy views over the bytes.
 *
 * ITCH 5.0 has 23 message types, each of one fixed length, each opening
 * with the same 11 bytes: type (1 ASCII byte), stock locate (2), tracking
 * number (2) and a timestamp (6: nanoseconds since midnight). Every integer
 * is big-endian and unsigned; Price(4) fields carry 4 implied decimals
 * (1234500 = $123.45), the MWCB levels are Price(8) with 8; Alpha fields
 * are ASCII, left-justified and space-padded (a stock symbol is 8 bytes).
 *
 * Decoding is two steps and no copy:
 *   1. nx_itch_check(msg, len) looks the type up (one 256-byte table) and
 *      compares len with its fixed length. It returns the type character,
 *      or a negative NX_ITCH_ERRS code (EMPTY, UNKNOWN_TYPE, BAD_LENGTH).
 *   2. The caller overlays the message's view struct (or union nx_itch_msg)
 *      on the bytes and reads fields through nx_itch_be16/32/48/64. The
 *      structs are byte arrays (alignment 1, no padding; sizes and offsets
 *      are static-asserted below against the specification), so they may be
 *      laid over any byte of a packet.
 * A message longer than its type's length is rejected (BAD_LENGTH), not
 * truncated: Nasdaq versions the protocol when layouts change, and a
 * length the decoder does not know is a feed it should not trust.
 *
 * Framings (MoldUDP64, BinaryFILE) are in nx/moldudp.h; the order book
 * built from these messages is in nx/mdbook.h.
 *
 * Guarantees: everything here is pure, reentrant and allocation-free, and
 * never reads outside [msg, msg + len).
 */
#ifndef NX_ITCH_H
#define NX_ITCH_H

#include <stddef.h>
#include <stdint.h>

#include "nx/cc.h"

/* --- Byte order, in one place --------------------------------------------- */

/* Loads of big-endian fields from any byte address; gcc and clang fold each
 * into one load and a byte swap (movbe). */
static inline uint16_t nx_itch_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t nx_itch_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t nx_itch_be64(const uint8_t *p)
{
	return (uint64_t)nx_itch_be32(p) << 32 | nx_itch_be32(p + 4);
}

/* The 6-byte timestamps: nanoseconds since midnight (< 86,400e9 < 2^47). */
static inline uint64_t nx_itch_be48(const uint8_t *p)
{
	return (uint64_t)nx_itch_be16(p) << 32 | nx_itch_be32(p + 2);
}

static inline void nx_itch_st_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void nx_itch_st_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void nx_itch_st_be48(uint8_t *p, uint64_t v)
{
	nx_itch_st_be16(p, (uint16_t)(v >> 32));
	nx_itch_st_be32(p + 2, (uint32_t)v);
}

static inline void nx_itch_st_be64(uint8_t *p, uint64_t v)
{
	nx_itch_st_be32(p, (uint32_t)(v >> 32));
	nx_itch_st_be32(p + 4, (uint32_t)v);
}

/* --- Message types ------------------------------------------------------------ */

/*
 * Every ITCH 5.0 type (specification section 1.x in the last column of the
 * text): X(NAME, type character, total length in bytes, description).
 * Lengths include the type byte. The order is the specification's; it is
 * also the dense index (enum nx_itch_ix) used by per-type counters.
 */
#define NX_ITCH_TYPES(X)                                                                    \
	X(SYSTEM_EVENT,        'S', 12, "system event (start/end of messages, hours)")      \
	X(STOCK_DIRECTORY,     'R', 39, "stock directory: locate -> symbol, attributes")    \
	X(TRADING_ACTION,      'H', 25, "stock trading action: halted, paused, trading")    \
	X(REG_SHO,             'Y', 20, "Reg SHO short sale price test restriction")        \
	X(MKT_PARTICIPANT,     'L', 26, "market participant position")                      \
	X(MWCB_DECLINE,        'V', 35, "market-wide circuit breaker decline levels")       \
	X(MWCB_STATUS,         'W', 12, "market-wide circuit breaker status")               \
	X(IPO_QUOTING,         'K', 28, "IPO quoting period update")                        \
	X(LULD_COLLAR,         'J', 35, "LULD auction collar")                              \
	X(OPERATIONAL_HALT,    'h', 21, "operational halt")                                 \
	X(ADD_ORDER,           'A', 36, "add order, no attribution")                        \
	X(ADD_ORDER_MPID,      'F', 40, "add order with MPID attribution")                  \
	X(ORDER_EXECUTED,      'E', 31, "order executed (at its own price)")                \
	X(ORDER_EXECUTED_PX,   'C', 36, "order executed with price")                        \
	X(ORDER_CANCEL,        'X', 23, "order cancel (partial)")                           \
	X(ORDER_DELETE,        'D', 19, "order delete")                                     \
	X(ORDER_REPLACE,       'U', 35, "order replace (new reference)")                    \
	X(TRADE,               'P', 44, "trade of a non-displayable order")                 \
	X(CROSS_TRADE,         'Q', 40, "cross trade (opening, closing, IPO, halt)")        \
	X(BROKEN_TRADE,        'B', 19, "broken trade")                                     \
	X(NOII,                'I', 50, "net order imbalance indicator")                    \
	X(RPII,                'N', 20, "retail price improvement indicator")               \
	X(DLCR,                'O', 48, "direct listing with capital raise price discovery")

enum nx_itch_type {
#define NX_X_(name, ch, len, text) NX_ITCH_##name = ch,
	NX_ITCH_TYPES(NX_X_)
#undef NX_X_
};

enum nx_itch_len {
#define NX_X_(name, ch, len, text) NX_ITCH_LEN_##name = len,
	NX_ITCH_TYPES(NX_X_)
#undef NX_X_
	NX_ITCH_LEN_MAX = 50, /* NOII, the longest */
};

/* Dense index: 1..23 in the specification's order, 0 for "not a type", so
 * per-type counter arrays have NX_ITCH_IX_MAX entries and index 0 counts
 * what was not a message. */
enum nx_itch_ix {
	NX_ITCH_IX_NONE = 0,
#define NX_X_(name, ch, len, text) NX_ITCH_IX_##name,
	NX_ITCH_TYPES(NX_X_)
#undef NX_X_
	NX_ITCH_IX_MAX,       /* 24 */
};
#define NX_ITCH_NTYPES (NX_ITCH_IX_MAX - 1) /* 23 */

#define NX_ITCH_HDR_LEN 11u   /* type, locate, tracking, timestamp */
#define NX_ITCH_SYMBOL_LEN 8u
#define NX_ITCH_PX4_SCALE 10000u      /* Price(4): 4 implied decimals */
#define NX_ITCH_PX8_SCALE 100000000u  /* Price(8): MWCB levels */

/* Buy/sell indicators of A, F and P. */
#define NX_ITCH_BUY  'B'
#define NX_ITCH_SELL 'S'

/* Tables behind the inline functions (src/itch/itch.c): the fixed length of
 * each type character and its dense index (both 0 = not an ITCH 5.0 type). */
extern const uint8_t nx_itch_len_tab[256];
extern const uint8_t nx_itch_ix_tab[256];

/* Length of type character t, or 0 if t is not an ITCH 5.0 type. */
static inline unsigned nx_itch_type_len(uint8_t t)
{
	return nx_itch_len_tab[t];
}

/* Dense index (enum nx_itch_ix) of type t, or NX_ITCH_IX_NONE (0). */
static inline unsigned nx_itch_type_ix(uint8_t t)
{
	return nx_itch_ix_tab[t];
}

/* --- Errors ----------------------------------------------------------------- */

/* nx_itch_check returns -code. Names are stable (counters use them). */
#define NX_ITCH_ERRS(X)                                                             \
	X(EMPTY,        1, "zero-length message")                                   \
	X(UNKNOWN_TYPE, 2, "type byte is not an ITCH 5.0 message type")             \
	X(BAD_LENGTH,   3, "length differs from the type's fixed length")

enum nx_itch_err {
#define NX_X_(name, code, text) NX_ITCH_ERR_##name = -(code),
	NX_ITCH_ERRS(NX_X_)
#undef NX_X_
	NX_ITCH_ERR_MAX = 4, /* counter array size: index -err, 1..3 */
};

/*
 * Validate one message of len bytes (its framing's length, without the
 * framing's prefix). Returns the type character (> 0, an enum nx_itch_type)
 * when msg[0] is an ITCH 5.0 type and len is its length; else
 * NX_ITCH_ERR_EMPTY, _UNKNOWN_TYPE or _BAD_LENGTH. Reads msg[0] only.
 */
static inline int nx_itch_check(const uint8_t *msg, size_t len)
{
	unsigned want;

	if (NX_UNLIKELY(len == 0))
		return NX_ITCH_ERR_EMPTY;
	want = nx_itch_len_tab[msg[0]];
	if (NX_UNLIKELY(want != len))
		return want == 0 ? NX_ITCH_ERR_UNKNOWN_TYPE : NX_ITCH_ERR_BAD_LENGTH;
	return msg[0];
}

/* Stable names: "ADD_ORDER" for 'A' ("?" if not a type); one-line
 * descriptions; error names ("BAD_LENGTH") and texts for err < 0. Static
 * strings, thread-safe. */
const char *nx_itch_type_name(int type);
const char *nx_itch_type_text(int type);
const char *nx_itch_err_name(int err);
const char *nx_itch_err_text(int err);

/* --- Views ------------------------------------------------------------------ */

/* The 11 bytes every message opens with. */
struct nx_itch_hdr {
	uint8_t type;
	uint8_t locate[2];   /* be16: the day's stock locate code (0: no stock) */
	uint8_t tracking[2]; /* be16: Nasdaq internal tracking number */
	uint8_t ts[6];       /* be48: nanoseconds since midnight */
};

struct nx_itch_system_event {    /* 'S' */
	struct nx_itch_hdr h;
	uint8_t event_code;      /* O, S, Q, M, E, C: see NX_ITCH_EV_* */
};

struct nx_itch_stock_directory { /* 'R' */
	struct nx_itch_hdr h;
	char stock[8];
	uint8_t market_category; /* Q, G, S (Nasdaq), N, A, P, Z, V (other), ' ' */
	uint8_t financial_status;
	uint8_t round_lot_size[4];
	uint8_t round_lots_only; /* Y, N */
	uint8_t issue_classification;
	char issue_subtype[2];
	uint8_t authenticity;    /* P live, T test */
	uint8_t short_sale_threshold;
	uint8_t ipo_flag;
	uint8_t luld_tier;
	uint8_t etp_flag;
	uint8_t etp_leverage[4];
	uint8_t inverse;
};

struct nx_itch_trading_action {  /* 'H' */
	struct nx_itch_hdr h;
	char stock[8];
	uint8_t trading_state;   /* H halted, P paused, Q quotation only, T trading */
	uint8_t reserved;
	char reason[4];
};

struct nx_itch_reg_sho {         /* 'Y' */
	struct nx_itch_hdr h;
	char stock[8];
	uint8_t action;          /* 0 none, 1 intraday drop, 2 in effect */
};

struct nx_itch_mkt_participant { /* 'L' */
	struct nx_itch_hdr h;
	char mpid[4];
	char stock[8];
	uint8_t primary_mm;
	uint8_t mm_mode;
	uint8_t participant_state;
};

struct nx_itch_mwcb_decline {    /* 'V': Price(8) levels */
	struct nx_itch_hdr h;
	uint8_t level1[8];
	uint8_t level2[8];
	uint8_t level3[8];
};

struct nx_itch_mwcb_status {     /* 'W' */
	struct nx_itch_hdr h;
	uint8_t breached_level;  /* 1, 2, 3 */
};

struct nx_itch_ipo_quoting {     /* 'K' */
	struct nx_itch_hdr h;
	char stock[8];
	uint8_t release_time[4]; /* seconds since midnight */
	uint8_t release_qualifier;
	uint8_t ipo_price[4];
};

struct nx_itch_luld_collar {     /* 'J' */
	struct nx_itch_hdr h;
	char stock[8];
	uint8_t ref_price[4];
	uint8_t upper_price[4];
	uint8_t lower_price[4];
	uint8_t extension[4];
};

struct nx_itch_operational_halt { /* 'h' */
	struct nx_itch_hdr h;
	char stock[8];
	uint8_t market_code;     /* Q Nasdaq, B BX, X PSX */
	uint8_t action;          /* H halted, T resumed */
};

struct nx_itch_add_order {       /* 'A' */
	struct nx_itch_hdr h;
	uint8_t ref[8];          /* order reference number, unique for the day */
	uint8_t side;            /* B, S */
	uint8_t shares[4];
	char stock[8];
	uint8_t price[4];
};

struct nx_itch_add_order_mpid {  /* 'F': 'A' plus attribution */
	struct nx_itch_hdr h;
	uint8_t ref[8];
	uint8_t side;
	uint8_t shares[4];
	char stock[8];
	uint8_t price[4];
	char attribution[4];
};

struct nx_itch_order_executed {  /* 'E' */
	struct nx_itch_hdr h;
	uint8_t ref[8];
	uint8_t shares[4];       /* executed */
	uint8_t match[8];
};

struct nx_itch_order_executed_px { /* 'C' */
	struct nx_itch_hdr h;
	uint8_t ref[8];
	uint8_t shares[4];
	uint8_t match[8];
	uint8_t printable;       /* Y, N */
	uint8_t price[4];        /* execution price */
};

struct nx_itch_order_cancel {    /* 'X' */
	struct nx_itch_hdr h;
	uint8_t ref[8];
	uint8_t shares[4];       /* canceled */
};

struct nx_itch_order_delete {    /* 'D' */
	struct nx_itch_hdr h;
	uint8_t ref[8];
};

struct nx_itch_order_replace {   /* 'U' */
	struct nx_itch_hdr h;
	uint8_t orig_ref[8];
	uint8_t new_ref[8];
	uint8_t shares[4];
	uint8_t price[4];
};

struct nx_itch_trade {           /* 'P' */
	struct nx_itch_hdr h;
	uint8_t ref[8];          /* 0 since 2014 (non-displayed orders) */
	uint8_t side;
	uint8_t shares[4];
	char stock[8];
	uint8_t price[4];
	uint8_t match[8];
};

struct nx_itch_cross_trade {     /* 'Q' */
	struct nx_itch_hdr h;
	uint8_t shares[8];
	char stock[8];
	uint8_t cross_price[4];
	uint8_t match[8];
	uint8_t cross_type;      /* O open, C close, H halt/IPO, I intraday */
};

struct nx_itch_broken_trade {    /* 'B' */
	struct nx_itch_hdr h;
	uint8_t match[8];
};

struct nx_itch_noii {            /* 'I' */
	struct nx_itch_hdr h;
	uint8_t paired_shares[8];
	uint8_t imbalance_shares[8];
	uint8_t imbalance_direction; /* B, S, N, O, P */
	char stock[8];
	uint8_t far_price[4];
	uint8_t near_price[4];
	uint8_t ref_price[4];
	uint8_t cross_type;
	uint8_t price_variation;
};

struct nx_itch_rpii {            /* 'N' */
	struct nx_itch_hdr h;
	char stock[8];
	uint8_t interest_flag;   /* B, S, A, N */
};

struct nx_itch_dlcr {            /* 'O' */
	struct nx_itch_hdr h;
	char stock[8];
	uint8_t open_eligibility; /* N, Y */
	uint8_t min_price[4];
	uint8_t max_price[4];
	uint8_t near_price[4];
	uint8_t near_time[8];
	uint8_t lower_collar[4];
	uint8_t upper_collar[4];
};

/* Any message: overlay on msg after nx_itch_check, pick the member of its type. */
union nx_itch_msg {
	uint8_t type;
	struct nx_itch_hdr h;
	struct nx_itch_system_event S;
	struct nx_itch_stock_directory R;
	struct nx_itch_trading_action H;
	struct nx_itch_reg_sho Y;
	struct nx_itch_mkt_participant L;
	struct nx_itch_mwcb_decline V;
	struct nx_itch_mwcb_status W;
	struct nx_itch_ipo_quoting K;
	struct nx_itch_luld_collar J;
	struct nx_itch_operational_halt h_;
	struct nx_itch_add_order A;
	struct nx_itch_add_order_mpid F;
	struct nx_itch_order_executed E;
	struct nx_itch_order_executed_px C;
	struct nx_itch_order_cancel X;
	struct nx_itch_order_delete D;
	struct nx_itch_order_replace U;
	struct nx_itch_trade P;
	struct nx_itch_cross_trade Q;
	struct nx_itch_broken_trade B;
	struct nx_itch_noii I;
	struct nx_itch_rpii N;
	struct nx_itch_dlcr O;
};

/* Sizes are the specification's lengths; offsets are its "Offset" column. */
#define NX_ITCH_SZ_(st, name) \
	NX_STATIC_ASSERT(sizeof(struct st) == NX_ITCH_LEN_##name, #st " length")
#define NX_ITCH_OFF_(st, f, off) \
	NX_STATIC_ASSERT(offsetof(struct st, f) == (off), #st "." #f " offset")
NX_ITCH_SZ_(nx_itch_system_event, SYSTEM_EVENT);
NX_ITCH_SZ_(nx_itch_stock_directory, STOCK_DIRECTORY);
NX_ITCH_SZ_(nx_itch_trading_action, TRADING_ACTION);
NX_ITCH_SZ_(nx_itch_reg_sho, REG_SHO);
NX_ITCH_SZ_(nx_itch_mkt_participant, MKT_PARTICIPANT);
NX_ITCH_SZ_(nx_itch_mwcb_decline, MWCB_DECLINE);
NX_ITCH_SZ_(nx_itch_mwcb_status, MWCB_STATUS);
NX_ITCH_SZ_(nx_itch_ipo_quoting, IPO_QUOTING);
NX_ITCH_SZ_(nx_itch_luld_collar, LULD_COLLAR);
NX_ITCH_SZ_(nx_itch_operational_halt, OPERATIONAL_HALT);
NX_ITCH_SZ_(nx_itch_add_order, ADD_ORDER);
NX_ITCH_SZ_(nx_itch_add_order_mpid, ADD_ORDER_MPID);
NX_ITCH_SZ_(nx_itch_order_executed, ORDER_EXECUTED);
NX_ITCH_SZ_(nx_itch_order_executed_px, ORDER_EXECUTED_PX);
NX_ITCH_SZ_(nx_itch_order_cancel, ORDER_CANCEL);
NX_ITCH_SZ_(nx_itch_order_delete, ORDER_DELETE);
NX_ITCH_SZ_(nx_itch_order_replace, ORDER_REPLACE);
NX_ITCH_SZ_(nx_itch_trade, TRADE);
NX_ITCH_SZ_(nx_itch_cross_trade, CROSS_TRADE);
NX_ITCH_SZ_(nx_itch_broken_trade, BROKEN_TRADE);
NX_ITCH_SZ_(nx_itch_noii, NOII);
NX_ITCH_SZ_(nx_itch_rpii, RPII);
NX_ITCH_SZ_(nx_itch_dlcr, DLCR);
NX_STATIC_ASSERT(sizeof(union nx_itch_msg) == NX_ITCH_LEN_MAX, "union = longest message");
NX_STATIC_ASSERT(_Alignof(union nx_itch_msg) == 1, "views overlay any byte");
NX_ITCH_OFF_(nx_itch_hdr, locate, 1);
NX_ITCH_OFF_(nx_itch_hdr, tracking, 3);
NX_ITCH_OFF_(nx_itch_hdr, ts, 5);
NX_ITCH_OFF_(nx_itch_stock_directory, round_lot_size, 21);
NX_ITCH_OFF_(nx_itch_stock_directory, issue_subtype, 27);
NX_ITCH_OFF_(nx_itch_stock_directory, etp_leverage, 34);
NX_ITCH_OFF_(nx_itch_trading_action, reason, 21);
NX_ITCH_OFF_(nx_itch_mkt_participant, stock, 15);
NX_ITCH_OFF_(nx_itch_mwcb_decline, level3, 27);
NX_ITCH_OFF_(nx_itch_ipo_quoting, ipo_price, 24);
NX_ITCH_OFF_(nx_itch_luld_collar, extension, 31);
NX_ITCH_OFF_(nx_itch_add_order, side, 19);
NX_ITCH_OFF_(nx_itch_add_order, stock, 24);
NX_ITCH_OFF_(nx_itch_add_order, price, 32);
NX_ITCH_OFF_(nx_itch_add_order_mpid, attribution, 36);
NX_ITCH_OFF_(nx_itch_order_executed, match, 23);
NX_ITCH_OFF_(nx_itch_order_executed_px, printable, 31);
NX_ITCH_OFF_(nx_itch_order_executed_px, price, 32);
NX_ITCH_OFF_(nx_itch_order_cancel, shares, 19);
NX_ITCH_OFF_(nx_itch_order_replace, new_ref, 19);
NX_ITCH_OFF_(nx_itch_order_replace, price, 31);
NX_ITCH_OFF_(nx_itch_trade, price, 32);
NX_ITCH_OFF_(nx_itch_trade, match, 36);
NX_ITCH_OFF_(nx_itch_cross_trade, cross_price, 27);
NX_ITCH_OFF_(nx_itch_cross_trade, cross_type, 39);
NX_ITCH_OFF_(nx_itch_noii, stock, 28);
NX_ITCH_OFF_(nx_itch_noii, price_variation, 49);
NX_ITCH_OFF_(nx_itch_dlcr, near_time, 32);
NX_ITCH_OFF_(nx_itch_dlcr, upper_collar, 44);
#undef NX_ITCH_SZ_
#undef NX_ITCH_OFF_

/* The order reference of A, F, E, C, X, D and U (U: the original one) sits
 * at the same offset in all seven; the book's prefetch relies on it. */
#define NX_ITCH_REF_OFF 11u

/* --- Table-driven decode of the fields a book reads ----------------------- */

/*
 * nx_itch_decode(msg, len, &f) is nx_itch_check plus the fields an
 * order-by-order book needs, read without a switch on the type: each type
 * has a descriptor (below, indexed by the type byte itself) giving, per
 * field, where the field ends and a mask of its width (0 when the type has
 * no such field). Every field is then one unaligned big-endian load at that
 * offset, masked: the same instructions for every type, so a real mix of
 * types costs no branch mispredictions. Side and aux share one byte load,
 * as no type has both. A missing field points at bytes 0..7 (every message
 * is >= 12 bytes) and masks to 0, so no load leaves [msg, msg + len) once
 * len has been checked against the type.
 */
struct nx_itch_fields {
	uint64_t ts_ns;       /* every type */
	uint64_t ref;         /* A F E C X D P: order reference; U: the original */
	uint64_t new_ref;     /* U: the new reference; 0 otherwise */
	uint64_t shares;      /* A F P: Shares; E C X: shares executed/canceled; U: new
	                         shares; Q: Shares(8); 0 otherwise */
	uint32_t px;          /* A F P: price; C: execution price; U: new price;
	                         Q: cross price; 0 otherwise */
	uint16_t locate;      /* every type */
	uint8_t side;         /* A F P: 'B' or 'S' as sent (unchecked); 0 otherwise */
	uint8_t aux;          /* C: printable; S: event code; H: trading state;
	                         R: market category; 0 otherwise */
};

/* One type's layout for nx_itch_decode (a byte that is not a type has
 * len 0). The 8-byte fields are loaded ending at e_* (>= 8), the 4-byte
 * price starting at o_px and the one byte that is the side or aux at
 * o_flag; m_* are the masks, 0 when the type lacks the field (whose offset
 * then points at byte 0). */
struct nx_itch_desc {
	uint64_t m_ref, m_new_ref, m_shares;
	uint32_t m_px;
	uint8_t e_ref, e_new_ref, e_shares;
	uint8_t o_px, o_flag;
	uint8_t m_side, m_aux;
	uint8_t len;
};
NX_STATIC_ASSERT(sizeof(struct nx_itch_desc) == 40, "a descriptor is 40 bytes");

/* By type byte: 10 KB, of which a real mix reads ~9 lines. src/itch/itch.c. */
extern const struct nx_itch_desc nx_itch_desc_tab[256];

/* Unaligned big-endian loads (load + bswap, or movbe). */
static NX_ALWAYS_INLINE uint64_t nx_itch_ld64(const uint8_t *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, 8);
	return __builtin_bswap64(v);
}

static NX_ALWAYS_INLINE uint32_t nx_itch_ld32(const uint8_t *p)
{
	uint32_t v;
	__builtin_memcpy(&v, p, 4);
	return __builtin_bswap32(v);
}

/* nx_itch_decode's refusal of a type byte or length, out of line so the
 * compiler does not compute it on the hot path. src/itch/itch.c. */
NX_COLD NX_NOINLINE int nx_itch_decode_refuse(const uint8_t *msg, size_t len);

/*
 * Validate msg exactly as nx_itch_check does and, when it passes, fill *f.
 * Returns the type character (> 0), or the nx_itch_check error (< 0; *f is
 * then left unwritten). Reads only msg[0, len).
 */
static NX_ALWAYS_INLINE int nx_itch_decode(const uint8_t *msg, size_t len,
					   struct nx_itch_fields *f)
{
	const struct nx_itch_desc *d;

	uint8_t flag;

	if (NX_UNLIKELY(len == 0))
		return NX_ITCH_ERR_EMPTY;
	d = &nx_itch_desc_tab[msg[0]];
	if (NX_UNLIKELY(d->len != len)) {
		int err = nx_itch_decode_refuse(msg, len);
		if (err >= 0) /* cannot be: the length does not match the type */
			__builtin_unreachable();
		return err;
	}
	f->locate = nx_itch_be16(msg + 1);
	f->ts_ns = nx_itch_ld64(msg + 3) & UINT64_C(0xffffffffffff); /* tracking, timestamp */
	f->ref = nx_itch_ld64(msg + d->e_ref - 8) & d->m_ref;
	f->new_ref = nx_itch_ld64(msg + d->e_new_ref - 8) & d->m_new_ref;
	f->shares = nx_itch_ld64(msg + d->e_shares - 8) & d->m_shares;
	f->px = nx_itch_ld32(msg + d->o_px) & d->m_px;
	flag = msg[d->o_flag];
	f->side = flag & d->m_side;
	f->aux = flag & d->m_aux;
	return msg[0];
}

/* System event codes ('S'). */
#define NX_ITCH_EV_START_MESSAGES     'O'
#define NX_ITCH_EV_START_SYSTEM       'S'
#define NX_ITCH_EV_START_MARKET       'Q'
#define NX_ITCH_EV_END_MARKET         'M'
#define NX_ITCH_EV_END_SYSTEM         'E'
#define NX_ITCH_EV_END_MESSAGES       'C'

/* --- Field helpers -------------------------------------------------------- */

static inline uint16_t nx_itch_locate(const struct nx_itch_hdr *h)
{
	return nx_itch_be16(h->locate);
}

static inline uint16_t nx_itch_tracking(const struct nx_itch_hdr *h)
{
	return nx_itch_be16(h->tracking);
}

/* Nanoseconds since midnight. */
static inline uint64_t nx_itch_ts_ns(const struct nx_itch_hdr *h)
{
	return nx_itch_be48(h->ts);
}

/*
 * Copy an 8-byte Alpha symbol into out[9] without its trailing spaces and
 * NUL-terminate it. Returns the length (0..8). Bytes are copied as they are
 * (a NUL inside the field ends the string early).
 */
size_t nx_itch_symbol(const char stock[8], char out[9]);

/* Pad a symbol (up to 8 characters, NUL-terminated) with spaces into an
 * Alpha field. Returns 0, or -EINVAL if it is longer than 8. */
int nx_itch_symbol_pad(const char *sym, char stock[8]);

/*
 * Format a price with `decimals` implied decimals (4 for Price(4), 8 for
 * Price(8)) as "123.4500" into buf[0, cap). Returns what snprintf returns.
 * Cold code for tools and tests.
 */
#define NX_ITCH_PX_DECIMALS_MAX 40 /* more are formatted as 40 */
int nx_itch_px_format(char *buf, size_t cap, uint64_t px, unsigned decimals);

#endif /* NX_ITCH_H */
