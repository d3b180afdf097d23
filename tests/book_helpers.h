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
			 nx_oid_t maker_oid, nx_oid_t taker_oid, nx_acct_t maker_acct,
			 nx_acct_t taker_acct, unsigned aggressor);
struct nx_event bh_fill(nx_tid_t tid, nx_acct_t acct, nx_inst_t inst, nx_clid_t cl,
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

#endif /* NX_TESTS_BOOK_HELPERS_H */
