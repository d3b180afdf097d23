/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Why an order was rejected or canceled: one numeric code per cause, with a
 * stable upper-case name. Codes are part of the wire protocol and the replay
 * format; never renumber one, only add.
 *
 * Ranges: 1-63 the book (this module), 64-127 pre-trade risk, 128-191 the
 * session and protocol layers. 0 means "no reason" (success).
 */
#ifndef NX_REASON_H
#define NX_REASON_H

#define NX_REJECT_REASONS(X)                                                   \
	X(UNKNOWN_INSTRUMENT,  1, "no such instrument")                        \
	X(INSTRUMENT_HALTED,   2, "instrument halted")                         \
	X(INSTRUMENT_CLOSED,   3, "instrument closed")                         \
	X(UNKNOWN_ACCOUNT,     4, "no such account")                           \
	X(BAD_SIDE,            5, "side is not buy or sell")                   \
	X(BAD_TYPE,            6, "order type is not limit or market")         \
	X(BAD_TIF,             7, "time in force not valid for this order")    \
	X(BAD_QTY,             8, "quantity must be > 0")                      \
	X(QTY_BELOW_MIN,       9, "quantity below the instrument minimum")     \
	X(QTY_ABOVE_MAX,      10, "quantity above the instrument maximum")     \
	X(QTY_NOT_LOT,        11, "quantity not a multiple of the lot")        \
	X(BAD_PRICE,          12, "price must be > 0")                         \
	X(PRICE_NOT_TICK,     13, "price not a multiple of the tick")          \
	X(BAD_DISPLAY,        14, "display quantity invalid")                  \
	X(POST_ONLY_WOULD_TAKE, 15, "post-only order would take liquidity")    \
	X(BAD_POST_ONLY,      16, "post-only needs a GTC limit order")         \
	X(DUPLICATE_CLID,     17, "client order id already live")             \
	X(UNKNOWN_ORDER,      18, "no such live order")                        \
	X(ORDER_CAPACITY,     19, "order capacity of the shard reached")       \
	X(PRICE_OUT_OF_RANGE, 20, "price outside the book's price window")     \
	X(BAD_STP,            21, "self-trade prevention mode invalid")           \
	/* Pre-trade risk (include/nx/risk.h). */                              \
	X(RISK_RESTRICTED,    64, "account may not trade this instrument")     \
	X(RISK_PRICE_COLLAR,  65, "price outside the collar around the reference") \
	X(RISK_MAX_NOTIONAL,  66, "order notional above the account maximum")  \
	X(RISK_MAX_OPEN_ORDERS, 67, "account has too many open orders")        \
	X(RISK_POSITION_LIMIT, 68, "position limit would be exceeded")         \
	X(RISK_CREDIT_LIMIT,  69, "credit limit would be exceeded")            \
	X(RISK_THROTTLED,     70, "message rate above the session's limit")    \
	X(RISK_KILL_ACCOUNT,  71, "account kill switch is on")                 \
	X(RISK_KILL_INSTRUMENT, 72, "instrument kill switch is on")            \
	X(RISK_KILL_VENUE,    73, "venue kill switch is on")                   \
	/* Session and protocol (docs/protocol.md). */                         \
	X(AUTH_UNKNOWN_ACCOUNT, 128, "no such account, or it may not log in")  \
	X(AUTH_BAD_KEY,      129, "secret key does not match")                 \
	X(AUTH_WRONG_SOURCE, 130, "source address not the account's or session's") \
	X(SESSION_ID_IN_USE, 131, "session id already used")                   \
	X(FLOW_NOT_SUPPORTED, 132, "client flow must be idempotent")           \
	X(NOT_NEGOTIATED,    133, "no negotiated session with this id")        \
	X(ALREADY_ESTABLISHED, 134, "session already established")             \
	X(SESSION_BLOCKED,   135, "session or account disabled")               \
	X(BAD_KEEPALIVE,     136, "keepalive interval out of range")           \
	X(NOT_ESTABLISHED,   137, "application message before establishment")  \
	X(SESSION_CAPACITY,  138, "no free session slot for the account")    \
	X(RETRANSMIT_OUT_OF_RANGE, 139, "retransmit range not available")      \
	X(RETRANSMIT_TOO_MANY, 140, "retransmit count above the venue maximum") \
	X(RETRANSMIT_IN_PROGRESS, 141, "a retransmit request is in flight")    \
	X(RETRANSMIT_WRONG_SESSION, 142, "session id is not this session")     \
	X(NOT_ADMIN,         143, "admin message from a non-admin session")    \
	X(ACCOUNT_NOT_PERMITTED, 144, "session may not act for this account")  \
	X(UNKNOWN_TEMPLATE,  145, "template id not known to this venue")       \
	X(WRONG_DIRECTION,   146, "a message only the venue sends")            \
	X(MALFORMED,         147, "framing, header or block length invalid")   \
	X(BAD_FIELD,         148, "a field value outside its enum or range")   \
	X(KEEPALIVE_TIMEOUT, 149, "peer silent longer than its keepalive")     \
	X(PROTOCOL_VIOLATION, 150, "session protocol violated")                \
	X(VENUE_SHUTDOWN,    151, "the venue is closing the session")          \
	X(STALE_ESTABLISH,   152, "Establish older than the session's last one") \
	X(RETRANSMIT_THROTTLED, 153, "retransmission volume above the session's budget")

enum nx_reject_reason {
	NX_REJ_NONE = 0,
#define NX_X_(name, code, text) NX_REJ_##name = code,
	NX_REJECT_REASONS(NX_X_)
#undef NX_X_
};

#define NX_CANCEL_REASONS(X)                                                   \
	X(USER,              1, "canceled by its owner")                       \
	X(IOC,               2, "immediate-or-cancel remainder")               \
	X(FOK,               3, "fill-or-kill could not fill completely")      \
	X(MARKET_PROTECTION, 4, "market order reached its protection price")  \
	X(NO_LIQUIDITY,      5, "market order found no opposite liquidity")    \
	X(SELF_TRADE,        6, "self-trade prevention")                       \
	X(MASS_CANCEL,       7, "mass cancel")                                 \
	X(HALT,              8, "instrument halted or closed")                 \
	X(KILL_SWITCH,       9, "kill switch")                                 \
	X(DISCONNECT,       10, "cancel on disconnect")

enum nx_cancel_reason {
#define NX_X_(name, code, text) NX_CXL_##name = code,
	NX_CANCEL_REASONS(NX_X_)
#undef NX_X_
};

/* Stable upper-case names ("POST_ONLY_WOULD_TAKE"); "?" for unknown codes. */
const char *nx_reject_name(unsigned code);
const char *nx_cancel_name(unsigned code);
/* One-line human descriptions; "unknown reason" for unknown codes. */
const char *nx_reject_text(unsigned code);
const char *nx_cancel_text(unsigned code);
/* Parse a name back to its code; 0 when unknown. */
unsigned nx_reject_parse(const char *name);
unsigned nx_cancel_parse(const char *name);

#endif /* NX_REASON_H */
