/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * A reference matcher for the differential test (tests/test_book_diff.c).
 *
 * It implements the semantics of include/nx/book.h as written in
 * docs/matching.md, the obvious way: live orders sit in one flat array, the
 * best price and the head of a queue are found by linear scans, time
 * priority is a sequence number stamped whenever an order joins the back
 * of a queue, and a fill-or-kill order is tried on the book and the book is
 * then put back as it was. It emits the same struct nx_event values, in the
 * same order, to the same kind of sink. It is written independently of
 * src/book/ and is meant to be slow and plainly right; it is for small
 * books in tests, never for production.
 *
 * What it does not do: fixed memory (it mallocs at create), the price
 * ladder itself (only its window rule), hashing, instrument definitions
 * beyond what matching reads.
 */
#ifndef NX_TESTS_REF_BOOK_H
#define NX_TESTS_REF_BOOK_H

#include <stddef.h>
#include <stdint.h>
#include "nx/book.h"
#include "nx/event.h"

struct ref_book;

/* NULL on a bad config or out of memory. */
struct ref_book *ref_book_create(const struct nx_book_config *cfg, nx_event_fn fn, void *ctx);
void ref_book_destroy(struct ref_book *b);

/* Same returns as nx_book_add_account / nx_book_add_instrument / nx_book_set_status. */
int ref_book_add_account(struct ref_book *b, const struct nx_account *a);
int ref_book_add_instrument(struct ref_book *b, const struct nx_instrument *in);
int ref_book_set_status(struct ref_book *b, nx_inst_t inst, unsigned status, int cancel_resting);

/* Same returns and events as the nx_book_* commands. */
int ref_book_new_order(struct ref_book *b, const struct nx_new_order *o);
int ref_book_cancel(struct ref_book *b, const struct nx_cancel *c);
int ref_book_replace(struct ref_book *b, const struct nx_replace *r);
int ref_book_mass_cancel(struct ref_book *b, const struct nx_mass_cancel *m);

/* Queries, same returns as the nx_book_* ones. */
int ref_book_bbo(const struct ref_book *b, nx_inst_t inst, struct nx_bbo *out);
int ref_book_depth(const struct ref_book *b, nx_inst_t inst, unsigned side,
		   struct nx_level_info *out, unsigned n);
int ref_book_level_orders(const struct ref_book *b, nx_inst_t inst, unsigned side,
			  nx_px_t px, nx_oid_t *out, unsigned n);
int ref_book_order(const struct ref_book *b, nx_oid_t oid, struct nx_order_info *out);

/* One resting order as ref_book_side lists it. */
struct ref_side_order {
	nx_px_t px;
	nx_qty_t visible;
	nx_oid_t oid;
	uint64_t seq;   /* private: queue position */
};

/* Every order of one side in matching order: best price first, then queue
 * order. Number written (at most n), or -ENOENT / -EINVAL. One pass and a
 * sort, for checking a whole side after every command. */
int ref_book_side(const struct ref_book *b, nx_inst_t inst, unsigned side,
		  struct ref_side_order *out, unsigned n);
uint32_t ref_book_order_count(const struct ref_book *b);

/* The i-th live order (0 <= i < ref_book_order_count) in no particular
 * order, for drivers that pick targets for cancels and replaces. */
int ref_book_order_at(const struct ref_book *b, uint32_t i, struct nx_order_info *out);
/* The instrument's current status (enum nx_inst_status), 0 if unknown. */
unsigned ref_book_status(const struct ref_book *b, nx_inst_t inst);
/* The next venue order id the book would assign. */
nx_oid_t ref_book_next_oid(const struct ref_book *b);

/*
 * Self-check of docs/matching.md: every fill-or-kill decision the reference
 * takes by simulation is also computed with the doc's closed-form rule
 * ("fillable quantity"). The number of times the two disagreed; *what, if
 * not NULL, describes the last disagreement.
 */
uint64_t ref_book_fok_rule_mismatches(const struct ref_book *b, const char **what);

#endif /* NX_TESTS_REF_BOOK_H */
