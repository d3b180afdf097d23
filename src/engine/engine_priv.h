/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The engine's internals, shared by its files: engine.c (create, the
 * datagram walk, application messages, book events to reports), session.c
 * (the FIXP session rules) and output.c (sequencing, history, datagram
 * building, retransmission).
 *
 * Ownership: the engine owns one book, one risk state and a fixed table of
 * sessions, each with a ring of its last `history` venue application
 * messages (HIST_SLOT bytes each, framed as sent). A session slot is used
 * once per engine lifetime: a finished session keeps its id so the id can
 * never be reused. Every call runs under one `epoch`: a session's open
 * output datagram is the one it appended to during the current epoch.
 */
#ifndef NX_ENGINE_PRIV_H
#define NX_ENGINE_PRIV_H

#include <string.h>

#include "nx/book.h"
#include "nx/engine.h"
#include "nx/nxp.h"
#include "nx/risk.h"
#include "../idmap.h"

#define NIL UINT32_MAX
#define HIST_SLOT 128 /* the longest message, InstrumentDefinition, is 14 + 107 bytes */
NX_STATIC_ASSERT(NX_NXP_OVERHEAD + NX_NXP_INSTRUMENT_DEFINITION_BLOCK_LEN <= HIST_SLOT,
		 "history slots hold every message");

#define KEEPALIVE_MIN_MS 10
#define KEEPALIVE_MAX_MS 600000
#define KEEPALIVE_MISSES 3    /* intervals of client silence before a timeout */

enum sess_state {
	S_FREE = 0,
	S_NEGOTIATED,   /* may establish; unbound */
	S_FINALIZED,    /* finished: the id stays taken */
};

struct session {
	uint64_t id;
	uint64_t next_recv;       /* E: the next client sequence number to apply */
	uint64_t next_send;       /* the venue's next application sequence number */
	uint64_t last_rx_ns, last_tx_ns;
	uint64_t tokens;          /* throttle, in 1e-9 tokens */
	uint64_t bucket_ns;       /* when tokens were last refilled */
	uint64_t neg_ts, est_ts;  /* timestamps of the accepted Negotiate / Establish
	                             (est_ts valid once est_seen: 0 is a timestamp too) */
	uint64_t ack_send, ack_recv; /* what its EstablishmentAck said, for a retry */
	uint64_t bind_n;          /* e->binds at its latest binding: of a drop-copy
	                             account's bound sessions, the latest established */
	uint64_t rt_from, rt_req_ts; /* retransmission being served */
	uint32_t rt_left;
	uint32_t keepalive_ms;    /* the client's */
	uint64_t out_epoch;       /* the call of out_ix (64 bits: never wraps) */
	uint32_t out_ix;          /* open output datagram of this call; NIL: none */
	uint32_t acct_cfg;        /* index in cfg.accounts */
	nx_acct_t acct;
	struct nx_addr addr;      /* binding, valid while bound */
	uint8_t state, bound, finishing;
	uint8_t est_seen;         /* an Establish was accepted: est_ts is its timestamp */
	uint8_t dc_receiver;      /* its account receives drop copies: it may not trade */
	uint8_t cod;              /* cancel-on-disconnect: its account's choice, or
	                             what SetCancelOnDisconnect chose since */
	uint8_t *hist;            /* history slots */
	uint8_t *hist_len;        /* bytes used per slot */
	uint32_t dc_to;           /* its account's drop-copy account (index); NIL: none.
	                             Both dc fields copied from e->acct_st, to be on the
	                             session's lines the report path reads anyway */
	/* Retransmission budget (cold: read by RetransmitRequest only), in
	 * 1e-9 messages, full at Negotiate and never refilled by a new
	 * binding (a client that moves gets no fresh budget). */
	uint64_t rt_tokens;
	uint64_t rt_bucket_ns;    /* when rt_tokens was last refilled */
};

/* Regression guard: at 32 bits the call counter wrapped after 2^32 calls
 * (about an hour at 1M calls a second), and a session's stale open datagram
 * index matched again, so a message joined a datagram of another call. */
NX_STATIC_ASSERT(sizeof(((struct session *)0)->out_epoch) == 8, "out_epoch must not wrap");

/* What the engine keeps per account (index in cfg.accounts): its drop copy,
 * and how many sessions it negotiated (sessions.per_account). */
struct acct_state {
	uint32_t to;              /* the receiving account's index; NIL: no copies */
	uint32_t sess;            /* a receiver's session that gets them: its latest
	                             established, or before that the first it
	                             negotiated; when that one finishes, its
	                             bound session established latest; NIL: none */
	uint32_t negotiated;      /* session slots it took (never given back) */
	uint8_t receiver;         /* another account copies to this one: it may not trade */
	/* A receiver's copies made while it has no session to take them (none
	 * yet, or its session finished): up to `history` of them wait here, as
	 * sent, and go into the flow of its next session when it negotiates or
	 * establishes. Further copies are lost (drop_copy_lost). */
	uint32_t wait_n;
	uint8_t *wait;            /* wait_n slots of HIST_SLOT bytes */
	uint8_t *wait_len;
};

/* A run of an aggressor's fills at one price, reported to it as one
 * ExecTrade (CME Globex's rule: one fill per aggressor order and trade
 * price, however many makers; each maker still gets its own; what ends a
 * run: docs/protocol.md#fills): the first fill, with qty the sum and leaves
 * and cum the latest fill's. The trades are f.tid .. f.tid+n-1,
 * consecutive, as the book numbers one match's trades. */
struct taker_fills {
	struct nx_ev_fill f;
	uint32_t n;               /* 0: none gathered */
	uint8_t aggressor;
};

struct nx_engine {
	struct nx_book *book;
	struct nx_risk *risk;
	struct session *sess;
	uint32_t nsess;
	struct idmap by_id, by_addr;
	struct idmap by_acct;     /* account id -> index in cfg.accounts */
	struct acct_state *acct_st; /* by account index */
	/* Bound sessions, one bit a slot, and one summary bit a word of them:
	 * the timers visit these alone, in slot order, not every session the
	 * shard ever negotiated (slots are never reused). */
	uint64_t *bound_bits, *bound_sum;
	uint32_t bound_words;
	nx_event_fn tap;
	void *tap_ctx;
	/* The call in progress. */
	struct nx_out *out;
	uint64_t now;
	uint64_t epoch;           /* the call's number */
	struct session *cur;      /* session whose request is being applied */
	struct nx_out_dgram *reply; /* the datagram of session replies the
				       datagram being read opened, or NULL */
	uint64_t reply_epoch;     /* the epoch it was opened in */
	struct taker_fills tk;    /* reported before any report that is not one of
				     its run's makers, and when the request is done */
	uint64_t keepalive_ns;    /* the venue's heartbeat interval */
	uint64_t binds;           /* bindings made: orders sessions' bind_n */
	uint32_t hist_mask;
	struct nx_engine_stats st;
	struct nx_venue_config cfg; /* accounts and instruments copied, no restricted lists */
	void *mem;                /* sessions, maps, history: one allocation */
	void *wait_mem;           /* the receivers' waiting copies; NULL: no receiver */
	void *book_mem, *risk_mem;
	struct nx_engine_alloc alloc; /* where all of it came from */
};

/* engine.c */
void engine_on_event(void *ctx, const struct nx_event *ev);
void engine_apply(struct nx_engine *e, struct session *s, const struct nx_nxp_msg *m, uint64_t seq);
const struct nx_account_config *engine_account(const struct nx_engine *e, nx_acct_t id, uint32_t *ix);

/* session.c */
void session_datagram(struct nx_engine *e, struct nx_nxp_reader *r, const struct nx_nxp_msg *first,
		      const struct nx_addr *src);
void session_unbind(struct nx_engine *e, struct session *s, uint16_t code, int send_terminate);
void session_poll(struct nx_engine *e, struct session *s);
/* NotApplied(from, count) in s's flow: client numbers it will never apply. */
void session_not_applied(struct nx_engine *e, struct session *s, uint64_t from, uint32_t count);
/* Client numbers the venue cannot follow (a jump NotApplied cannot report,
 * or past 2^64 - 2): the binding ends with Terminate(PROTOCOL_VIOLATION). */
void session_seq_violation(struct nx_engine *e, struct session *s);
/* Session s of drop-copy receiver account ix negotiated or is binding: it
 * becomes where the copies go when the account has no such session (or
 * always, bound: the latest established takes them), and the copies
 * waiting for one enter its flow. s is not bound: they wait in its
 * history, and its EstablishmentAck numbers past them. */
void session_take_copies(struct nx_engine *e, struct session *s, int binding);
/* The message-rate throttle: refill s's token bucket (tokens in units of
 * 1e-9 message, msg_rate a second, at most msg_burst) up to now and take
 * one message's worth; 0 when there is not one. Inline: once a message. */
static inline int session_take_token(struct nx_engine *e, struct session *s)
{
	const struct nx_limits *l = &e->cfg.accounts[s->acct_cfg].limits;
	uint64_t cap = (uint64_t)l->msg_burst * 1000000000u;
	uint64_t dt = e->now > s->bucket_ns ? e->now - s->bucket_ns : 0; /* a clock step back adds nothing */
	s->bucket_ns = e->now;
	unsigned __int128 add = (unsigned __int128)dt * l->msg_rate;
	s->tokens = add >= cap || s->tokens + (uint64_t)add >= cap ? cap : s->tokens + (uint64_t)add;
	if (s->tokens < 1000000000u)
		return 0;
	s->tokens -= 1000000000u;
	return 1;
}

/* output.c */
/* A writer over the history slot of s's next application message. */
static inline void out_app_begin(struct session *s, uint32_t hist_mask, struct nx_nxp_writer *w)
{
	nx_nxp_writer_init(w, s->hist + (size_t)(s->next_send & hist_mask) * HIST_SLOT, HIST_SLOT);
}
/* Record the message just written there (len bytes), number it, and return
 * where those bytes go in a datagram to s, or NULL when they are not sent
 * now (s not bound, or out full: they wait in the history). */
uint8_t *out_app_place(struct nx_engine *e, struct session *s, size_t len);
/* Record the message just written at msg, s's history slot (the writer's
 * buffer), number it, and send it if bound. Inline, so that the copy into the
 * datagram has the length the encoder gave as a constant: a few vector
 * moves instead of a call to memcpy. */
static NX_ALWAYS_INLINE void out_app_commit(struct nx_engine *e, struct session *s,
					    const uint8_t *msg, size_t len)
{
	uint8_t *to = out_app_place(e, s, len);
	if (NX_LIKELY(to != NULL))
		memcpy(to, msg, len);
}
/* The same for a message already framed elsewhere (len bytes at msg): a
 * drop copy, the bytes of another session's message. */
void out_app_copy(struct nx_engine *e, struct session *s, const uint8_t *msg, uint8_t len);
/* e->out is full: 1 if its spill emptied it, else 0 (out_overflow counted). */
int out_spill(struct nx_engine *e);

/* A new datagram to `to` in e->out, which has room. */
static inline struct nx_out_dgram *out_dgram_at(struct nx_engine *e, const struct nx_addr *to)
{
	struct nx_out *o = e->out;
	struct nx_out_dgram *d = &o->d[o->n++];
	d->to = *to;
	d->len = 0;
	e->st.tx_dgrams++;
	return d;
}

/* out_dgram when out is full: spill, then a datagram in the emptied array,
 * or NULL when it stays full. Out of line and reached by a tail call, so
 * the common path saves no registers for it. */
struct nx_out_dgram *out_dgram_full(struct nx_engine *e, const struct nx_addr *to);

/* A new datagram to `to` in e->out (spilling a full one), or NULL when out
 * stays full (counted in out_overflow). */
static inline struct nx_out_dgram *out_dgram(struct nx_engine *e, const struct nx_addr *to)
{
	if (NX_UNLIKELY(e->out->n >= e->out->cap))
		return out_dgram_full(e, to);
	return out_dgram_at(e, to);
}
void out_writer(struct nx_out_dgram *d, struct nx_nxp_writer *w);
void out_done(struct nx_out_dgram *d, const struct nx_nxp_writer *w);
void out_heartbeat(struct nx_engine *e, struct session *s);
/* The first number s's history still holds: it keeps the last `history`
 * messages sent, so every number below this one is overwritten. */
static inline uint64_t out_first_kept(const struct nx_engine *e, const struct session *s)
{
	return s->next_send > e->cfg.history ? s->next_send - e->cfg.history : 1;
}
void out_retransmit(struct nx_engine *e, struct session *s);

/* The tag of the orders a session enters (nx_new_order.tag): its slot + 1,
 * so 0 names no session. Reports go to it; cancel-on-disconnect takes it. */
static inline uint32_t session_tag(const struct nx_engine *e, const struct session *s)
{
	return (uint32_t)(s - e->sess) + 1;
}

static inline void session_bound_set(struct nx_engine *e, const struct session *s, int on)
{
	uint32_t slot = (uint32_t)(s - e->sess), w = slot >> 6;
	if (on) {
		e->bound_bits[w] |= UINT64_C(1) << (slot & 63);
		e->bound_sum[w >> 6] |= UINT64_C(1) << (w & 63);
	} else if (!(e->bound_bits[w] &= ~(UINT64_C(1) << (slot & 63)))) {
		e->bound_sum[w >> 6] &= ~(UINT64_C(1) << (w & 63));
	}
}

static inline uint64_t addr_key(const struct nx_addr *a)
{
	return idmap_mix((uint64_t)a->ip << 16 | a->port);
}

/* The same endpoint: ip and port (the link is how to reach it, not who). */
static inline int addr_eq(const struct nx_addr *a, const struct nx_addr *b)
{
	return a->ip == b->ip && a->port == b->port;
}

/* The session bound to address a, or NULL (inline: once a datagram). */
static inline struct session *session_by_addr(const struct nx_engine *e, const struct nx_addr *a)
{
	const struct idmap *m = &e->by_addr;
	for (uint32_t i = idmap_pos(m, addr_key(a)); m->tab[i] != IDMAP_EMPTY; i = idmap_step(m, i)) {
		struct session *s = &e->sess[m->tab[i]];
		if (addr_eq(&s->addr, a))
			return s;
	}
	return NULL;
}

#endif /* NX_ENGINE_PRIV_H */
