/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The engine fixture shared by test_engine.c and test_session.c: one
 * engine (instrument 1; traders A and B, B source-restricted to 10.0.0.2;
 * an admin account), three client libraries, and helpers that send a
 * datagram or run the timers and decode every reply into f->m.
 */
#ifndef ENGINE_HELPERS_H
#define ENGINE_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "nx/client.h"
#include "nx/engine.h"

#define INST 1u
#define MS 1000000ull
#define A 1u   /* trader, cancel-on-disconnect */
#define B 2u   /* trader, source-restricted to 10.0.0.2 */
#define ADM 9u /* admin */
#define IP_A 0x0a000001u
#define IP_B 0x0a000002u
#define EH_HISTORY 64 /* messages kept per session */
#define EH_OUT_CAP 64 /* datagrams an nx_out holds */

struct fx {
	struct nx_engine *e;
	struct nx_out out;
	struct nx_out_dgram d[EH_OUT_CAP];
	struct nx_client ca, cb, cadm;
	struct nx_addr aa, ab, aadm;
	struct nx_client_msg m[EH_OUT_CAP];
	int nm;
	uint64_t now;
};

extern const uint8_t key_a[32], key_b[32], key_adm[32];

/* Every account's limits in make_engine: notional 1e6, position 100,
 * credit 1e7, 50 open orders, 1000 msgs/s, burst 100. */
extern const struct nx_limits eh_limits;
/* book.prefetch_min_orders of the next engine made below (0, no hints,
 * unless a test sets it); making an engine sets it back to 0. */
extern uint32_t eh_prefetch_min_orders;
/* A fresh engine with the fixture's configuration: instrument INST
 * (BTC-USD, tick 1, band 100 ticks, reference 1000), accounts A, B, ADM. */
struct nx_engine *make_engine(void);
/* The same with another instrument INST (the config is copied) and limits. */
struct nx_engine *make_engine_with(const struct nx_instrument *inst, const struct nx_limits *limits);
/* The same with sessions.per_account (0: no cap). */
struct nx_engine *make_engine_capped(const struct nx_instrument *inst, const struct nx_limits *limits,
				     uint32_t sessions_per_account);
/* The same with every setting: sessions.per_account, retransmit_rate (0: no
 * budget) and retransmit_burst. NULL, with err, when the engine refuses it. */
struct nx_engine *make_engine_cfg(const struct nx_instrument *inst, const struct nx_limits *limits,
				  uint32_t sessions_per_account, uint32_t retransmit_rate,
				  uint32_t retransmit_burst, char *err, size_t errlen);
/* make_engine() with a retransmission budget; NULL, with err, if refused. */
struct nx_engine *make_engine_retransmit(uint32_t rate, uint32_t burst, char *err, size_t errlen);
/* Send a datagram from `from` at f->now (f->out.cap datagrams of room);
 * decode every reply, by its address's client, into f->m. Returns f->nm. */
int rx(struct fx *f, struct nx_addr from, const void *buf, size_t len);
/* nx_engine_poll at f->now, replies decoded as by rx. Returns f->nm. */
int poll_timers(struct fx *f);
/* The n-th decoded message that is not a Sequence/Retransmission header. */
const struct nx_client_msg *msg(struct fx *f, int n);
int count_msgs(struct fx *f);
void login(struct fx *f, struct nx_client *c, struct nx_addr a);
/* n messages from c (account acct) at a, 20 a datagram, each a cancel of
 * an unknown order: they spend n throttle tokens. */
void spend_messages(struct fx *f, struct nx_client *c, struct nx_addr a, nx_acct_t acct, int n);
struct nx_nxp_new_order order(nx_acct_t acct, uint64_t cl, unsigned side, int64_t px, int64_t qty);
/* A datagram of Sequence and the NewOrder o from c, in buf; its length. */
size_t order_dgram(struct nx_client *c, const struct nx_nxp_new_order *o, uint8_t *buf, size_t cap);
void send_order(struct fx *f, struct nx_client *c, struct nx_addr a, const struct nx_nxp_new_order *o);
void send_replace(struct fx *f, struct nx_client *c, struct nx_addr a,
		  const struct nx_nxp_cancel_replace *r);
/* A fixture on engine e (asserted non-NULL), nobody logged in: clients A
 * (session 101), B (202) and the admin (909) ready at their addresses. */
struct fx *fx_of(struct nx_engine *e);
/* A fixture on make_engine_with(INST, limits no test of a sweep reaches:
 * 1000 open orders, positions of 100,000, 1e6 messages/s), A and B logged
 * in; fx_free ends it. */
struct fx *fx_unbound(void);
void fx_free(struct fx *f);
int setup(void **state);
int teardown(void **state);

#endif /* ENGINE_HELPERS_H */
