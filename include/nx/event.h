/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Events: everything the book does is reported as a sequence of events,
 * handed one at a time to the sink the caller gave the book. The protocol
 * layer turns them into execution reports, market data into level updates
 * and trades, clearing into positions, the journal into a digest.
 *
 * An event is valid only for the duration of the sink call; copy what you
 * keep. Fields a kind does not list are zero. docs/matching.md gives the
 * exact order in which one command emits its events.
 */
#ifndef NX_EVENT_H
#define NX_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include "nx/types.h"

enum nx_event_type {
	NX_EV_ACCEPTED      = 1, /* a new order passed validation: .order */
	NX_EV_REJECTED      = 2, /* a request was refused: .reject */
	NX_EV_TRADE         = 3, /* one match between a maker and a taker, with
	                            both orders' fills: .trade */
	/* 4 was NX_EV_FILL: a trade's two fills now travel inside it */
	NX_EV_CANCELED      = 5, /* an order left the book unfilled: .cancel */
	NX_EV_REDUCED       = 6, /* an order's open quantity was cut, it lives on: .cancel */
	NX_EV_REPLACED      = 7, /* a replace was applied: .replace */
	NX_EV_MASS_CANCELED = 8, /* a mass cancel finished: .mass */
	NX_EV_LEVEL         = 9, /* a price level's visible state changed: .level */
	NX_EV_STATUS        = 10, /* an instrument's trading status was set: .status */
};

/* Which request a reject answers. */
enum nx_request {
	NX_REQ_NEW         = 1,
	NX_REQ_CANCEL      = 2,
	NX_REQ_REPLACE     = 3,
	NX_REQ_MASS_CANCEL = 4,
};

enum nx_liquidity {
	NX_LIQ_MAKER = 1,
	NX_LIQ_TAKER = 2,
};

struct nx_ev_order {      /* NX_EV_ACCEPTED: the order as it will be handled, so tif is
	                     IOC for a market order sent GTC and stp is the resolved mode
	                     (the account's default when the request said DEFAULT) */
	nx_acct_t acct;
	nx_inst_t inst;
	nx_clid_t cl;
	nx_oid_t oid;         /* assigned here */
	nx_px_t px;           /* limit price; 0 for market orders */
	nx_qty_t qty;
	nx_qty_t display;     /* 0 unless iceberg */
	uint8_t side, type, tif, post_only, stp;
	uint32_t tag;         /* the order's nx_new_order.tag */
};

struct nx_ev_reject {     /* NX_EV_REJECTED */
	nx_acct_t acct;
	nx_inst_t inst;       /* new order, mass cancel: as requested; cancel, replace:
	                         the named order's if it is live, else 0 */
	nx_clid_t cl;         /* the request's client id */
	nx_clid_t orig_cl;    /* cancel/replace: the order named, if by client id */
	nx_oid_t oid;         /* cancel/replace: the order named, if by venue id */
	uint8_t req;          /* enum nx_request */
	uint8_t reason;       /* enum nx_reject_reason */
};

/* One order's side of a trade (nx_ev_trade.maker, .taker). tid, inst, px and
 * qty repeat the trade's, so that a fill reads on its own: an execution
 * report, a position update. */
struct nx_ev_fill {
	nx_tid_t tid;
	nx_acct_t acct;
	nx_inst_t inst;
	nx_clid_t cl;
	nx_oid_t oid;
	nx_px_t px;
	nx_qty_t qty;
	nx_qty_t leaves;      /* open quantity after this fill, hidden included */
	nx_qty_t cum;         /* filled so far, this fill included */
	nx_px_t order_px;     /* the order's limit price; 0 for a market order */
	uint8_t side;
	uint8_t liq;          /* enum nx_liquidity: MAKER in .maker, TAKER in .taker */
	uint32_t tag;         /* the order's nx_new_order.tag */
};

/* NX_EV_TRADE. One event per match, rather than a trade and then a fill per
 * order: a sweep of n makers is n sink calls, not 3n, and a consumer (risk,
 * the execution reports) sees both sides at once. */
struct nx_ev_trade {
	nx_tid_t tid;
	nx_inst_t inst;
	nx_px_t px;           /* always the maker's price */
	nx_qty_t qty;
	uint8_t aggressor;    /* the taker's side */
	struct nx_ev_fill maker; /* the resting order, after the trade */
	struct nx_ev_fill taker; /* the incoming order, after the trade */
};

struct nx_ev_cancel {     /* NX_EV_CANCELED and NX_EV_REDUCED */
	nx_acct_t acct;
	nx_inst_t inst;
	nx_clid_t cl;         /* the order's current client id */
	nx_clid_t req_cl;     /* the cancel or mass cancel request's client id; 0 for
	                         self-trade, IOC, FOK, market and halt cancels */
	nx_oid_t oid;
	nx_qty_t qty;         /* quantity taken off the order */
	nx_qty_t leaves;      /* open quantity left: 0 for CANCELED */
	nx_px_t px;           /* the order's limit price; 0 for a market order */
	uint8_t side;
	uint8_t reason;       /* enum nx_cancel_reason */
	uint32_t tag;         /* the order's nx_new_order.tag */
};

struct nx_ev_replace {    /* NX_EV_REPLACED */
	nx_acct_t acct;
	nx_inst_t inst;
	nx_clid_t cl;         /* the order's new client id */
	nx_clid_t orig_cl;    /* its client id before */
	nx_oid_t oid;         /* unchanged by a replace */
	nx_px_t px;           /* new price */
	nx_qty_t qty;         /* new open quantity */
	nx_px_t prev_px;      /* price before */
	nx_qty_t prev_qty;    /* open quantity before */
	uint8_t side;
	uint8_t kept_priority; /* 1: same price, quantity not increased */
	uint32_t tag;         /* the order's nx_new_order.tag */
};

struct nx_ev_mass {       /* NX_EV_MASS_CANCELED */
	nx_acct_t acct;
	nx_inst_t inst;       /* 0: every instrument */
	nx_clid_t cl;         /* the request's client id */
	uint32_t count;       /* orders canceled */
	uint8_t side;         /* 0: both sides */
};

struct nx_ev_level {      /* NX_EV_LEVEL */
	nx_inst_t inst;
	nx_px_t px;
	nx_qty_t qty;         /* total visible quantity; 0 when the level is gone */
	uint32_t count;       /* orders at the level; 0 when the level is gone */
	uint8_t side;
};

struct nx_ev_status {     /* NX_EV_STATUS: on every status change request that
                             is applied (also one to the current status), before
                             the cancels it causes */
	nx_inst_t inst;
	uint8_t status;       /* enum nx_inst_status */
};

struct nx_event {
	uint8_t type;         /* enum nx_event_type */
	union {
		struct nx_ev_order order;
		struct nx_ev_reject reject;
		struct nx_ev_trade trade;
		struct nx_ev_cancel cancel;
		struct nx_ev_replace replace;
		struct nx_ev_mass mass;
		struct nx_ev_level level;
		struct nx_ev_status status;
	} u;
};

/* The sink: called once per event, in order, on the thread issuing the command. */
typedef void (*nx_event_fn)(void *ctx, const struct nx_event *ev);

/*
 * Format one event as a canonical replay line ("ack acct=1 cl=7 ..."),
 * without a newline (docs/replay-format.md); a trade as three lines, the
 * trade's, the maker's fill and the taker's fill, joined by newlines.
 * Returns the length that the full text needs, like snprintf; the output
 * is truncated to fit len.
 */
int nx_event_format(const struct nx_event *ev, char *buf, size_t len);
#define NX_EVENT_TEXT_MAX 1024 /* bytes that any event's text fits in, nul included */

/* Names used in that format: "B"/"S", "LIMIT", "GTC", "CN", ... "?" if unknown. */
const char *nx_side_name(unsigned side);
const char *nx_ord_type_name(unsigned type);
const char *nx_tif_name(unsigned tif);
const char *nx_stp_name(unsigned stp);
const char *nx_request_name(unsigned req);
const char *nx_status_name(unsigned status); /* "OPEN", "HALTED", "CLOSED" */

#endif /* NX_EVENT_H */
