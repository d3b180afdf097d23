/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Helpers shared by the feed's tests (test_feed_wire.c, test_feed_pub.c,
 * test_feed_sub.c, test_feed_diff.c).
 * Byte order and packet layout are the tests' own, written from
 * docs/market-data.md, not taken from src/feed/. Functions that check
 * something fail the running cmocka test.
 */
#ifndef NX_TESTS_FEED_HELPERS_H
#define NX_TESTS_FEED_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "nx/feed.h"

#define BUY  NX_SIDE_BUY
#define SELL NX_SIDE_SELL

extern const char FH_SESS[10];   /* the publisher's session */
extern const char FH_OTHER[10];  /* another session */
extern const nx_inst_t FH_INSTS[3];

/* Little- and big-endian integers of 1..8 bytes. */
uint64_t ld_le(const uint8_t *p, unsigned bytes);
void st_le(uint8_t *p, uint64_t v, unsigned bytes);
uint64_t ld_be(const uint8_t *p, unsigned bytes);
void st_be(uint8_t *p, uint64_t v, unsigned bytes);

/* A MoldUDP64 packet of the given messages. */
struct pk {
	uint8_t b[2048];
	size_t n;
};
void pk_start(struct pk *p, const char *sess, uint64_t seq);
void pk_add(struct pk *p, const uint8_t *m, size_t len);

/* Capture: what a publisher sends (cap_send is its send callback, ctx a
 * struct cap). */
#define CAP_MAX 2048
#define PKT_MAX 1500

struct cap_pkt {
	unsigned ch;
	struct nx_addr to;
	size_t len;
	uint8_t b[PKT_MAX];
};

struct cap {
	size_t n;
	struct cap_pkt p[CAP_MAX];
};

void cap_send(void *ctx, unsigned ch, const uint8_t *pkt, size_t len, struct nx_addr to);
uint64_t cap_seq(const struct cap_pkt *p);
unsigned cap_count(const struct cap_pkt *p);
/* Message k of a captured packet (its block, without the length prefix). */
const uint8_t *cap_msg(const struct cap_pkt *p, unsigned k, size_t *len);

/* The tests' publisher and subscriber configurations. */
struct nx_feed_pub_config pub_cfg(void);
struct nx_feed_sub_config sub_cfg(void);

/* Records: a level, a trade, a book clear, a status, trades lost (count, their
 * quantity); compared field by field. */
struct nx_feed_rec lvl(nx_inst_t inst, unsigned side, nx_px_t px, nx_qty_t qty, uint32_t orders);
struct nx_feed_rec trd(nx_inst_t inst, unsigned side, nx_px_t px, nx_qty_t qty, nx_tid_t tid);
struct nx_feed_rec clr(nx_inst_t inst);
struct nx_feed_rec sts(nx_inst_t inst, unsigned status);
struct nx_feed_rec lost(nx_inst_t inst, uint64_t count, nx_qty_t qty);
void assert_rec_eq(const struct nx_feed_rec *a, const struct nx_feed_rec *b);

/* Subscribers: create (asserting), feed a captured packet by its channel,
 * feed captured packets [from, to) each accepted, one side's depth (an
 * instrument never named reads empty), two books equal level by level. */
struct nx_feed_sub *mk_sub(const struct nx_feed_sub_config *cfg);
int to_sub(struct nx_feed_sub *s, const struct cap_pkt *p);
void to_sub_range(struct nx_feed_sub *s, const struct cap *c, size_t from, size_t to);
int depth_or_empty(const struct nx_feed_sub *s, nx_inst_t inst, unsigned side,
		   struct nx_level_info *out, unsigned n);
void assert_same_book(const struct nx_feed_sub *a, const struct nx_feed_sub *b, nx_inst_t inst);

/* Records r[0, n) to the publisher at now, flushing after each if asked,
 * and once at the end. */
void pub_recs(struct nx_feed_pub *p, const struct nx_feed_rec *r, unsigned n, int flush_each,
	      uint64_t now);

/* Publishers: a zeroed capture (calloc, the caller frees it); a publisher
 * sending into it (asserting); n level records, alternating instruments 7
 * and 8, one packet each. */
struct cap *cap_new(void);
struct nx_feed_pub *mk_pub(struct cap *c, const struct nx_feed_pub_config *cfg);
void pub_levels(struct nx_feed_pub *p, unsigned n, unsigned salt);

/* A book with `bids` bid levels (100, 99, ...) and one ask, instrument 7,
 * its events dropped: what a shard images (nx_feed_image). */
struct nx_book *image_book(unsigned bids);

#endif /* NX_TESTS_FEED_HELPERS_H */
