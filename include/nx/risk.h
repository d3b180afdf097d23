/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Pre-trade risk for one shard: the checks an order must pass before it
 * reaches the book, and the exposure state those checks read.
 *
 * The checks (docs/risk.md gives each reason code and boundary): kill
 * switches (venue, account, instrument), restricted instruments, the price
 * collar around the reference price, maximum order notional, maximum open
 * orders, the position limit (worst case position plus open orders on the
 * order's side) and the credit limit (open order notional plus position
 * exposure at reference prices). Instrument rules (tick, lot, min/max
 * quantity, status) are the book's. The message-rate throttle belongs to
 * the session, which owns the clock-driven token bucket.
 *
 * State follows the book's events: feed every event of every command to
 * nx_risk_on_event, in order, and the open quantities, open notional,
 * positions and last trade prices stay exact. The checks read that state,
 * and a credit check may refresh the account's cached exposure bounds
 * (work only: never an outcome); nothing here reads a clock, allocates
 * after init, locks or logs.
 *
 * Threading: single writer, like the book it shadows.
 */
#ifndef NX_RISK_H
#define NX_RISK_H

#include <stddef.h>
#include <stdint.h>
#include "nx/book.h"
#include "nx/config.h"
#include "nx/event.h"

struct nx_risk;

struct nx_risk_config {
	uint32_t max_accounts;    /* 1 .. NX_BOOK_MAX_ACCOUNTS */
	uint32_t max_instruments; /* 1 .. NX_BOOK_MAX_INSTRUMENTS */
};

/* What a check needs to know about an order. px is the limit price; for a
 * market order, the highest price it can trade at (a buy's protection
 * price, a sell's best bid: docs/risk.md), which prices its notional; the
 * collar is not applied to market orders. */
struct nx_risk_order {
	nx_acct_t acct;
	nx_inst_t inst;
	uint8_t side;
	uint8_t is_market;
	uint8_t never_rests;  /* IOC, FOK or market: not an open order for
	                         max_open_orders (the other checks still apply) */
	nx_px_t px;           /* NX_RISK_PX_PAST_MAX: a market buy's protection
	                         price past INT64_MAX */
	nx_qty_t qty;
};

/* A market order's price past the representable range: its notional fails
 * max_order_notional whatever the limit and the quantity (even at 1 lot,
 * where INT64_MAX x 1 would equal an idle limit). */
#define NX_RISK_PX_PAST_MAX INT64_MAX

enum nx_kill_scope {
	NX_KILL_VENUE      = 1,
	NX_KILL_ACCOUNT    = 2,
	NX_KILL_INSTRUMENT = 3,
};

/* Limits an admin may change at run time (struct nx_limits fields). */
enum nx_limit_id {
	NX_LIMIT_MAX_ORDER_NOTIONAL = 1,
	NX_LIMIT_POSITION           = 2,
	NX_LIMIT_CREDIT             = 3,
	NX_LIMIT_MAX_OPEN_ORDERS    = 4,
	NX_LIMIT_MSG_RATE           = 5,
	NX_LIMIT_MSG_BURST          = 6,
};

/* --- Lifecycle (cold) ----------------------------------------------------- */

size_t nx_risk_memsize(const struct nx_risk_config *cfg); /* 0 if invalid */
/* Lay out in caller memory (NX_CACHE_LINE aligned). NULL, errno EINVAL. */
struct nx_risk *nx_risk_init(void *mem, size_t len, const struct nx_risk_config *cfg);
struct nx_risk *nx_risk_create(const struct nx_risk_config *cfg);
void nx_risk_destroy(struct nx_risk *r);

/* Register an instrument (its band, tick and reference price) or an account
 * (its limits and restricted instruments, which must be registered first).
 * 0, -EINVAL, -EEXIST, -ENOSPC, -ENOENT (restricted instrument unknown). */
int nx_risk_add_instrument(struct nx_risk *r, const struct nx_instrument *in);
int nx_risk_add_account(struct nx_risk *r, const struct nx_account_config *a);

/* --- Checks (hot) --------------------------------------------------------- */

/* 0 when the order may go to the book, else its nx_reject_reason. An
 * unknown account or instrument, a bad side, a quantity <= 0 and a limit
 * price <= 0 pass through: the book rejects them with their own reasons. */
unsigned nx_risk_check_new(struct nx_risk *r, const struct nx_risk_order *o);

/* A replace of a live order (side, old price, old open quantity) to a new
 * price and open quantity: the same checks on the difference it makes. A
 * new quantity or price <= 0 passes through, as above. */
unsigned nx_risk_check_replace(struct nx_risk *r, nx_acct_t acct, nx_inst_t inst,
			       unsigned side, nx_px_t old_px, nx_qty_t old_qty, nx_px_t px,
			       nx_qty_t qty);

/* Apply one book event to the exposure state (every event, in order). */
void nx_risk_on_event(struct nx_risk *r, const struct nx_event *ev);

/* The same, one event kind each, for a caller that already switches on the
 * type (the engine): ACCEPTED, TRADE (the last price and both fills),
 * CANCELED (closed = 1) or REDUCED (closed = 0), REPLACED. Other kinds
 * change nothing. */
void nx_risk_on_accepted(struct nx_risk *r, const struct nx_ev_order *o);
void nx_risk_on_trade(struct nx_risk *r, const struct nx_ev_trade *t);
void nx_risk_on_cancel(struct nx_risk *r, const struct nx_ev_cancel *c, int closed);
void nx_risk_on_replaced(struct nx_risk *r, const struct nx_ev_replace *p);

/* A TRADE as nx_risk_on_trade applies it, but cheaper for a match of many
 * trades (the engine's): the maker's fill at once, the taker's summed over
 * the consecutive trades of its order and applied when a check runs, when
 * another order's match starts, or by nx_risk_settle. The checks and
 * nx_risk_exposure see the state that nx_risk_on_trade would have made,
 * settled or not. */
void nx_risk_on_match_trade(struct nx_risk *r, const struct nx_ev_trade *t);
void nx_risk_settle(struct nx_risk *r);

/* --- Control (admin, between commands) ------------------------------------ */

/* Set or clear a kill switch. id is ignored for NX_KILL_VENUE. The caller
 * also cancels the affected open orders in the book (reason KILL_SWITCH).
 * 0, -EINVAL (scope), -ENOENT (id). */
int nx_risk_set_kill(struct nx_risk *r, unsigned scope, uint32_t id, int on);

/* Set an external reference price (0 clears it: the last trade is used
 * again). 0, -ENOENT, -EINVAL (negative or off the tick). */
int nx_risk_set_ref_px(struct nx_risk *r, nx_inst_t inst, nx_px_t px);

/* Change one limit of an account. 0, -ENOENT, -EINVAL (id or value). */
int nx_risk_set_limit(struct nx_risk *r, nx_acct_t acct, unsigned limit, int64_t value);

/* --- Queries (cold) ------------------------------------------------------- */

struct nx_risk_exposure {
	int64_t position;       /* signed: long > 0 */
	int64_t open_buy, open_sell;    /* open quantity per side */
	int64_t open_notional;  /* the account's, all instruments */
	uint32_t open_orders;   /* the account's */
	nx_px_t ref_px;         /* the instrument's reference price in use (0: none) */
};

/* The account's exposure in one instrument. 0 or -ENOENT. */
int nx_risk_exposure(const struct nx_risk *r, nx_acct_t acct, nx_inst_t inst,
		     struct nx_risk_exposure *out);

/* The instrument's reference price in use: the external one if set, else
 * the last trade, else the configured one; 0 for none or an unknown id. */
nx_px_t nx_risk_ref_px(const struct nx_risk *r, nx_inst_t inst);

/* The kill switch that blocks the account, which may then not even log
 * in: NX_KILL_ACCOUNT (its own), NX_KILL_VENUE (the venue's; an admin
 * account may still log in, to lift it), 0 none; -ENOENT for an unknown
 * account. */
int nx_risk_account_blocked(const struct nx_risk *r, nx_acct_t acct);

/* The account's limits as now. 0 or -ENOENT. */
int nx_risk_limits(const struct nx_risk *r, nx_acct_t acct, struct nx_limits *out);

/* How many credit checks so far summed their account's exposure, its
 * bounds having straddled the limit (docs/risk.md, "The credit check's
 * work"). */
uint64_t nx_risk_exposure_walks(const struct nx_risk *r);

#endif /* NX_RISK_H */
