/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Helpers for the book's unit tests: an event recorder (a sink that copies
 * events into a fixed array and never allocates), builders for expected
 * events, and string forms of events and of book state so that a test can
 * compare every field of what happened with one assertion and print both
 * sides when they differ.
 *
 * The string forms here are the tests' own, written from nx/event.h and
 * nx/book.h; they deliberately do not use nx_event_format, which is one of
 * the things under test.
 */
#ifndef NX_TESTS_BOOK_HELPERS_H
#define NX_TESTS_BOOK_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include "nx/book.h"

#define BH_REC_MAX 1024 /* events one test command may emit; more is a failure */

struct bh_rec {
	size_t n;        /* events recorded since the last clear */
	size_t dropped;  /* events that did not fit */
	struct nx_event ev[BH_REC_MAX];
};

/* nx_event_fn: ctx is a struct bh_rec. */
void bh_rec_sink(void *ctx, const struct nx_event *ev);
void bh_rec_clear(struct bh_rec *r);

/* Every field of an event, on one line. Returns like snprintf. */
int bh_ev_str(const struct nx_event *ev, char *buf, size_t len);

/* Expected events. Fields an event kind does not carry are zero.
 * bh_acc: the ACCEPTED of o as the book reports it (docs/replay-format.md):
 * px 0 and GTC read as IOC for market orders; stp as sent (a DEFAULT order's
 * event gives the resolved mode, so such tests patch it). */
struct nx_event bh_acc(const struct nx_new_order *o, nx_oid_t oid);
struct nx_event bh_rej_new(const struct nx_new_order *o, unsigned reason);
struct nx_event bh_rej(nx_acct_t acct, nx_inst_t inst, nx_clid_t cl, nx_clid_t orig_cl,
		       nx_oid_t oid, unsigned req, unsigned reason);
struct nx_event bh_trade(nx_tid_t tid, nx_inst_t inst, nx_px_t px, nx_qty_t qty,
			 unsigned aggressor, struct nx_ev_fill maker, struct nx_ev_fill taker);
struct nx_ev_fill bh_fill(nx_tid_t tid, nx_acct_t acct, nx_inst_t inst, nx_clid_t cl,
			  nx_oid_t oid, nx_px_t px, nx_qty_t qty, nx_qty_t leaves, nx_qty_t cum,
			  unsigned side, unsigned liq);
/* NX_EV_CANCELED (leaves 0) and NX_EV_REDUCED. */
struct nx_event bh_cxl(nx_acct_t acct, nx_inst_t inst, nx_clid_t cl, nx_clid_t req_cl,
		       nx_oid_t oid, nx_qty_t qty, unsigned side, unsigned reason);
struct nx_event bh_red(nx_acct_t acct, nx_inst_t inst, nx_clid_t cl, nx_clid_t req_cl,
		       nx_oid_t oid, nx_qty_t qty, nx_qty_t leaves, unsigned side,
		       unsigned reason);
struct nx_event bh_rep(nx_acct_t acct, nx_inst_t inst, nx_clid_t cl, nx_clid_t orig_cl,
		       nx_oid_t oid, nx_px_t px, nx_qty_t qty, unsigned side, unsigned kept);
struct nx_event bh_mass(nx_acct_t acct, nx_inst_t inst, nx_clid_t cl, uint32_t count,
			unsigned side);
struct nx_event bh_lvl(nx_inst_t inst, unsigned side, nx_px_t px, nx_qty_t qty,
		       uint32_t count);
struct nx_event bh_status(nx_inst_t inst, unsigned status);

/* Fail (at file:line) unless the recorder holds exactly exp[0..n). */
void bh_expect(const struct bh_rec *r, const struct nx_event *exp, size_t n,
	       const char *file, int line);
#define BH_EXPECT(r, ...)                                                      \
	bh_expect((r), (const struct nx_event[]){ __VA_ARGS__ },               \
		  sizeof((const struct nx_event[]){ __VA_ARGS__ }) /           \
			  sizeof(struct nx_event),                             \
		  __FILE__, __LINE__)
#define BH_EXPECT_NONE(r) bh_expect((r), NULL, 0, __FILE__, __LINE__)

/* Book state as strings:
 *   depth  "px:qty:count px:qty:count ..." best first ("" when empty)
 *   queue  "oid oid ..." in time priority ("" when empty)
 *   order  "oid=.. cl=.. acct=.. inst=.. side=.. px=.. leaves=.. vis=.. disp=..
 *           cum=.. po=.. stp=.." or "none"
 *   bbo    "bid=px/qty/count ask=px/qty/count" */
void bh_depth_str(const struct nx_book *b, nx_inst_t inst, unsigned side, char *buf, size_t len);
void bh_queue_str(const struct nx_book *b, nx_inst_t inst, unsigned side, nx_px_t px,
		  char *buf, size_t len);
void bh_order_str(const struct nx_book *b, nx_oid_t oid, char *buf, size_t len);
void bh_bbo_str(const struct nx_book *b, nx_inst_t inst, char *buf, size_t len);
void bh_info_str(const struct nx_order_info *oi, char *buf, size_t len);

void bh_assert_depth(const struct nx_book *b, nx_inst_t inst, unsigned side, const char *exp,
		     const char *file, int line);
void bh_assert_queue(const struct nx_book *b, nx_inst_t inst, unsigned side, nx_px_t px,
		     const char *exp, const char *file, int line);
void bh_assert_order(const struct nx_book *b, nx_oid_t oid, const char *exp,
		     const char *file, int line);
void bh_assert_bbo(const struct nx_book *b, nx_inst_t inst, const char *exp,
		   const char *file, int line);
/* nx_book_check must pass. */
void bh_assert_check(const struct nx_book *b, const char *file, int line);

/* --- The standard fixture ------------------------------------------------
 * Shared by the book's unit tests (test_book_orders.c, test_book_cancel.c,
 * test_book_config.c, test_book_stp.c, test_book_rejects.c): two instruments, five accounts, a book on the heap
 * whose sink is a recorder. The short names below (INST, A, BUY, do_new,
 * put, lim, EXPECT ...) are the vocabulary those tests are written in, so
 * include this header only there. The assertion macros expect a
 * struct fx *f in scope.
 */
#define INST  7u /* tick 1, lot 1, qty 1..1e6, band 5 ticks */
#define INST2 8u /* tick 5, lot 10, qty 20..1000, band 2 ticks */
enum {
	A = 1,   /* own STP group, default NONE */
	B = 2,   /* own STP group, default NONE */
	G1 = 3,  /* STP group 100 */
	G2 = 4,  /* STP group 100 */
	DCN = 5, /* own group, default STP CN */
};
#define BUY  NX_SIDE_BUY
#define SELL NX_SIDE_SELL
#define LADDER 64u /* the smallest window, so its edges are easy to reach */

struct fx {
	struct nx_book *b;
	void *mem;
	struct bh_rec r;
};

/* cmocka setup and teardown; *state is a struct fx. bh_setup: 4 instruments,
 * 16 accounts, 64 orders; the others: 2 instruments, 8 accounts and max_orders
 * as named. All use LADDER ticks and add the standard instruments and accounts. */
int bh_setup(void **state);
int bh_setup_3_orders(void **state);
int bh_setup_1_order(void **state);
int bh_teardown(void **state);

/* Commands: clear the recorder, run, verify the book's invariants. Each
 * returns what the book call returned. */
#define CHECK_BOOK(f) bh_assert_check((f)->b, __FILE__, __LINE__)

int do_new(struct fx *f, const struct nx_new_order *o);
int do_cancel(struct fx *f, nx_acct_t acct, nx_clid_t cl, nx_clid_t orig_cl, nx_oid_t oid);
int do_replace(struct fx *f, nx_acct_t acct, nx_clid_t cl, nx_clid_t orig_cl, nx_oid_t oid,
	       nx_px_t px, nx_qty_t qty);
int do_mass(struct fx *f, nx_acct_t acct, nx_clid_t cl, nx_inst_t inst, unsigned side);
int do_status(struct fx *f, nx_inst_t inst, unsigned status, int cancel_resting);

/* Order builders. lim: a GTC limit order on INST with STP NONE; tests change
 * fields from there. lim2: the same on INST2. mkt: an IOC market order on
 * INST whose price field is garbage on purpose (ignored). ice: lim with a
 * display quantity. */
struct nx_new_order lim(nx_acct_t acct, nx_clid_t cl, unsigned side, nx_px_t px, nx_qty_t qty);
struct nx_new_order lim2(nx_acct_t acct, nx_clid_t cl, unsigned side, nx_px_t px, nx_qty_t qty);
struct nx_new_order mkt(nx_acct_t acct, nx_clid_t cl, unsigned side, nx_qty_t qty);
struct nx_new_order ice(nx_acct_t acct, nx_clid_t cl, unsigned side, nx_px_t px, nx_qty_t qty,
			nx_qty_t display);
struct nx_new_order with_stp(struct nx_new_order o, unsigned stp);
struct nx_new_order with_tif(struct nx_new_order o, unsigned tif);

/* Enter an order that must be accepted; its venue order id. */
nx_oid_t put_o(struct fx *f, const struct nx_new_order *o);
nx_oid_t put(struct fx *f, nx_acct_t acct, nx_clid_t cl, unsigned side, nx_px_t px,
	     nx_qty_t qty);

/* ACCEPTED of an order sent with stp DEFAULT: the event gives the mode resolved. */
struct nx_event acc_stp(const struct nx_new_order *o, nx_oid_t oid, unsigned stp);

#define EXPECT(...)   BH_EXPECT(&f->r, __VA_ARGS__)
#define EXPECT_NONE() BH_EXPECT_NONE(&f->r)
#define DEPTH(inst, side, s)     bh_assert_depth(f->b, inst, side, s, __FILE__, __LINE__)
#define QUEUE(inst, side, px, s) bh_assert_queue(f->b, inst, side, px, s, __FILE__, __LINE__)
#define ORDER(oid, s)            bh_assert_order(f->b, oid, s, __FILE__, __LINE__)
#define BBO(inst, s)             bh_assert_bbo(f->b, inst, s, __FILE__, __LINE__)
#define COUNT(n)                 assert_int_equal(nx_book_order_count(f->b), n)

/* One match: a TRADE with the maker's and the taker's fills (docs/matching.md). */
#define MATCHI(inst, tid, px, q, m_oid, m_acct, m_cl, m_leaves, m_cum,            \
	       t_oid, t_acct, t_cl, t_leaves, t_cum, t_side)                      \
	bh_trade(tid, inst, px, q, t_side,                                        \
		 bh_fill(tid, m_acct, inst, m_cl, m_oid, px, q, m_leaves, m_cum,  \
			 nx_side_other(t_side), NX_LIQ_MAKER),                    \
		 bh_fill(tid, t_acct, inst, t_cl, t_oid, px, q, t_leaves, t_cum,  \
			 t_side, NX_LIQ_TAKER))
#define MATCH(...) MATCHI(INST, __VA_ARGS__)

#define CXL(acct, cl, req_cl, oid, qty, side, why) \
	bh_cxl(acct, INST, cl, req_cl, oid, qty, side, NX_CXL_##why)
#define RED(acct, cl, oid, qty, leaves, side) \
	bh_red(acct, INST, cl, 0, oid, qty, leaves, side, NX_CXL_SELF_TRADE)
#define LVL(side, px, qty, count) bh_lvl(INST, side, px, qty, count)
#define STS(status) bh_status(INST, NX_STATUS_##status)
/* Cancel/replace rejects carry the named order's instrument, 0 when unknown
 * (tests/golden/rejects.out). */
#define REJ(acct, cl, orig_cl, oid, req, why) \
	bh_rej(acct, 0, cl, orig_cl, oid, NX_REQ_##req, NX_REJ_##why)
#define REJI(acct, cl, orig_cl, oid, req, why) \
	bh_rej(acct, INST, cl, orig_cl, oid, NX_REQ_##req, NX_REJ_##why)

#endif /* NX_TESTS_BOOK_HELPERS_H */
