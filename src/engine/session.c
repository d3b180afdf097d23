/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The session layer (docs/protocol.md "Sessions"): negotiate, establish
 * and bind, the idempotent client flow (gaps reported with NotApplied,
 * duplicates skipped), retransmission requests, terminate, finish,
 * keepalive timeouts and cancel-on-disconnect, the message throttle and
 * the retransmission budget.
 *
 * A datagram is either session messages only, or Sequence then application
 * messages. Session messages from an address are checked against the
 * session bound to it; Negotiate and Establish are the only ones that may
 * come from anywhere, and they authenticate themselves.
 */
#include <string.h>

#include "engine_priv.h"

/* --- Lookups and binding ---------------------------------------------------- */

static uint64_t hash_addr_slot(const void *ctx, uint32_t slot)
{
	return addr_key(&((const struct nx_engine *)ctx)->sess[slot].addr);
}

static struct session *session_by_id(const struct nx_engine *e, uint64_t id)
{
	const struct idmap *m = &e->by_id;
	for (uint32_t i = idmap_pos(m, idmap_mix(id)); m->tab[i] != IDMAP_EMPTY; i = idmap_step(m, i))
		if (e->sess[m->tab[i]].id == id)
			return &e->sess[m->tab[i]];
	return NULL;
}

static void unbind_addr(struct nx_engine *e, struct session *s)
{
	const struct idmap *m = &e->by_addr;
	uint32_t slot = (uint32_t)(s - e->sess);
	for (uint32_t i = idmap_pos(m, addr_key(&s->addr)); m->tab[i] != IDMAP_EMPTY; i = idmap_step(m, i))
		if (m->tab[i] == slot) {
			idmap_erase_at(&e->by_addr, i, hash_addr_slot, e);
			break;
		}
	s->bound = 0;
	session_bound_set(e, s, 0);
}

void session_unbind(struct nx_engine *e, struct session *s, uint16_t code, int send_terminate)
{
	if (!s->bound)
		return;
	if (send_terminate) {
		struct nx_out_dgram *d = out_dgram(e, &s->addr);
		if (d) {
			struct nx_nxp_writer w;
			struct nx_nxp_terminate t = { .session_id = s->id, .code = code };
			out_writer(d, &w);
			nx_nxp_encode_terminate(&w, &t);
			out_done(d, &w);
		}
	}
	unbind_addr(e, s);
	s->rt_left = 0;
	e->st.sessions_terminated++;
	if (s->cod) {
		struct session *prev = e->cur;
		e->cur = s;
		nx_book_cancel_tagged(e->book, s->acct, session_tag(e, s), NX_CXL_DISCONNECT);
		e->cur = prev;
	}
}

static void bind(struct nx_engine *e, struct session *s, const struct nx_addr *a)
{
	struct session *other = session_by_addr(e, a);
	if (other && other != s)
		session_unbind(e, other, NX_REJ_VENUE_SHUTDOWN, 0); /* the address moved on */
	if (s->bound)
		unbind_addr(e, s); /* fail-over: the old binding ends, the session goes on */
	if (e->acct_st[s->acct_cfg].receiver) /* unbound still: waiting copies join its history */
		session_take_copies(e, s, 1);
	s->addr = *a;
	s->bound = 1;
	s->bind_n = ++e->binds;
	session_bound_set(e, s, 1);
	idmap_insert(&e->by_addr, addr_key(a), (uint32_t)(s - e->sess));
}

void session_take_copies(struct nx_engine *e, struct session *s, int binding)
{
	struct acct_state *a = &e->acct_st[s->acct_cfg];
	/* The latest established takes the copies; before one is, the first
	 * negotiated. Copies wait only while there is none of either, and
	 * whoever comes next takes them, so none is left behind. A session
	 * that is finishing (its flow ended at the venue's FinishedSending;
	 * finalized ones too) takes none, even when it binds again. */
	if (s->finishing)
		return;
	if (binding || a->sess == NIL || e->sess[a->sess].finishing)
		a->sess = (uint32_t)(s - e->sess);
	if (!a->wait_n || a->sess != (uint32_t)(s - e->sess))
		return;
	for (uint32_t i = 0; i < a->wait_n; i++)
		out_app_copy(e, s, a->wait + (size_t)i * HIST_SLOT, a->wait_len[i]);
	e->st.drop_copies += a->wait_n;
	a->wait_n = 0;
}

/* Receiver session s, which took its account's copies, is finishing: the
 * account's other bound session that established latest takes them from
 * now on, live; with none, they wait for its next session. Once per
 * session (cold): the bound sessions only are visited. */
static void handover_copies(struct nx_engine *e, const struct session *s)
{
	struct acct_state *a = &e->acct_st[s->acct_cfg];
	struct session *best = NULL;
	for (uint32_t w = 0; w < e->bound_words; w++)
		for (uint64_t bits = e->bound_bits[w]; bits; bits &= bits - 1) {
			struct session *t = &e->sess[w * 64 + (uint32_t)NX_CTZ64(bits)];
			if (t != s && t->acct_cfg == s->acct_cfg && !t->finishing &&
			    (!best || t->bind_n > best->bind_n))
				best = t;
		}
	a->sess = NIL;
	if (best)
		session_take_copies(e, best, 1);
}

/* --- Replies to session messages ---------------------------------------------- */

/* The datagram that already holds this datagram's replies to `to`, while
 * it is still the last one out (nothing was sent since, so order holds)
 * and out was not spilled since; else NULL. */
static struct nx_out_dgram *reply_open(struct nx_engine *e, const struct nx_addr *to)
{
	struct nx_out_dgram *d = e->reply;
	if (d && e->reply_epoch == e->epoch && e->out->n && d == &e->out->d[e->out->n - 1] &&
	    addr_eq(&d->to, to))
		return d;
	return NULL;
}

/* A new datagram for session replies to `to`, the one the next replies
 * join; NULL when out stays full. */
static struct nx_out_dgram *reply_new(struct nx_engine *e, const struct nx_addr *to)
{
	struct nx_out_dgram *d = out_dgram(e, to);
	e->reply = d;
	e->reply_epoch = e->epoch;
	return d;
}

/* One session-level message to `to`, batched with the replies before it
 * to the same address while they fit one datagram: the answers to one
 * datagram's session messages go out in as few datagrams as they can, so a
 * datagram of N requests (a forged source's too) costs N answers in bytes
 * (each smaller than its request) and not N datagrams. */
#define REPLY(e, to, kind, ...)                                                  \
	do {                                                                     \
		struct nx_nxp_##kind v_ = { __VA_ARGS__ };                       \
		struct nx_nxp_writer w_;                                         \
		struct nx_out_dgram *d_ = reply_open((e), (to));                 \
		if (d_) {                                                        \
			out_writer(d_, &w_);                                     \
			if (!nx_nxp_encode_##kind(&w_, &v_))                     \
				d_ = NULL;                                       \
		}                                                                \
		if (!d_ && (d_ = reply_new((e), (to)))) {                        \
			out_writer(d_, &w_);                                     \
			nx_nxp_encode_##kind(&w_, &v_);                          \
		}                                                                \
		if (d_)                                                          \
			out_done(d_, &w_);                                       \
	} while (0)

void session_not_applied(struct nx_engine *e, struct session *s, uint64_t from, uint32_t count)
{
	struct nx_nxp_writer w;
	struct nx_nxp_not_applied na = { .from_seq_no = from, .count = count };
	out_app_begin(s, e->hist_mask, &w);
	out_app_commit(e, s, w.buf, nx_nxp_encode_not_applied(&w, &na));
	e->st.not_applied += count;
}

void session_seq_violation(struct nx_engine *e, struct session *s)
{
	e->st.seq_violations++;
	session_unbind(e, s, NX_REJ_PROTOCOL_VIOLATION, 1);
}

/* Constant-time key comparison: no early exit an attacker could time. */
static int key_equal(const uint8_t *a, const uint8_t *b)
{
	uint8_t diff = 0;
	for (int i = 0; i < NX_KEY_BYTES; i++)
		diff |= (uint8_t)(a[i] ^ b[i]);
	return diff == 0;
}

/* Credentials and source, shared by Negotiate and Establish; 0 or a reason. */
static unsigned authenticate(struct nx_engine *e, nx_acct_t acct, const uint8_t *key,
			     const struct nx_addr *src, uint32_t *ix)
{
	const struct nx_account_config *a = engine_account(e, acct, ix);
	if (!a)
		return NX_REJ_AUTH_UNKNOWN_ACCOUNT;
	if (a->src_ip && a->src_ip != src->ip)
		return NX_REJ_AUTH_WRONG_SOURCE;
	if (!key_equal(a->key, key))
		return NX_REJ_AUTH_BAD_KEY;
	/* killed: no new sessions either, except an admin's under a venue
	 * kill (who else could lift it through the protocol?). Checked after
	 * the credentials, so only the account's holder learns of it. */
	int kill = nx_risk_account_blocked(e->risk, acct);
	if (kill == NX_KILL_ACCOUNT || (kill == NX_KILL_VENUE && !a->admin))
		return NX_REJ_SESSION_BLOCKED;
	return 0;
}

/* Negotiate, Establish and RetransmitRequest return 1 when they end the
 * datagram (session_datagram says why): refused, or a RetransmitRequest
 * served; else 0. */
static int on_negotiate(struct nx_engine *e, const struct nx_nxp_msg *m, const struct nx_addr *src)
{
	struct nx_nxp_negotiate n;
	uint32_t ix;
	nx_nxp_decode_negotiate(m, &n);
	unsigned why = authenticate(e, n.account, n.secret_key, src, &ix);
	struct session *s = NULL;
	if (!why && n.client_flow != NX_NXP_FLOW_IDEMPOTENT)
		why = NX_REJ_FLOW_NOT_SUPPORTED;
	if (!why && !n.session_id)
		why = NX_REJ_BAD_FIELD;
	if (!why && (s = session_by_id(e, n.session_id))) {
		if (s->acct == n.account && s->neg_ts == n.timestamp && s->state == S_NEGOTIATED) {
			REPLY(e, src, negotiation_response, .session_id = n.session_id,
			      .request_timestamp = n.timestamp, .server_flow = NX_NXP_FLOW_RECOVERABLE);
			return 0; /* a retry of an accepted Negotiate */
		}
		why = NX_REJ_SESSION_ID_IN_USE;
	}
	if (!why && (e->nsess == e->cfg.max_sessions ||
		     (e->cfg.sessions_per_account &&
		      e->acct_st[ix].negotiated >= e->cfg.sessions_per_account)))
		why = NX_REJ_SESSION_CAPACITY; /* the shard's slots, or the account's share */
	if (why) {
		e->st.rejects[why]++;
		REPLY(e, src, negotiation_reject, .session_id = n.session_id,
		      .request_timestamp = n.timestamp, .code = (uint16_t)why);
		return 1;
	}
	s = &e->sess[e->nsess];
	uint8_t *hist = s->hist, *hist_len = s->hist_len;
	memset(s, 0, sizeof(*s));
	s->hist = hist;
	s->hist_len = hist_len;
	s->id = n.session_id;
	s->acct = n.account;
	s->acct_cfg = ix;
	e->acct_st[ix].negotiated++;
	s->dc_to = e->acct_st[ix].to;
	s->dc_receiver = e->acct_st[ix].receiver;
	s->cod = e->cfg.accounts[ix].cancel_on_disconnect;
	s->state = S_NEGOTIATED;
	s->neg_ts = n.timestamp;
	s->next_recv = 1;
	s->next_send = 1;
	s->out_ix = NIL;
	const struct nx_limits *l = &e->cfg.accounts[ix].limits;
	s->tokens = (uint64_t)l->msg_burst * 1000000000u;
	s->bucket_ns = e->now;
	s->rt_tokens = (uint64_t)e->cfg.retransmit_burst * 1000000000u;
	s->rt_bucket_ns = e->now;
	idmap_insert(&e->by_id, idmap_mix(s->id), e->nsess++);
	e->st.sessions_negotiated++;
	if (s->dc_receiver)
		session_take_copies(e, s, 0);
	REPLY(e, src, negotiation_response, .session_id = n.session_id, .request_timestamp = n.timestamp,
	      .server_flow = NX_NXP_FLOW_RECOVERABLE);
	return 0;
}

static int on_establish(struct nx_engine *e, const struct nx_nxp_msg *m, const struct nx_addr *src)
{
	struct nx_nxp_establish est;
	uint32_t ix;
	nx_nxp_decode_establish(m, &est);
	unsigned why = authenticate(e, est.account, est.secret_key, src, &ix);
	struct session *s = NULL;
	if (!why) {
		s = session_by_id(e, est.session_id);
		if (!s || s->acct != est.account || s->state != S_NEGOTIATED)
			why = NX_REJ_NOT_NEGOTIATED;
	}
	if (!why && (est.keepalive_ms < KEEPALIVE_MIN_MS || est.keepalive_ms > KEEPALIVE_MAX_MS))
		why = NX_REJ_BAD_KEEPALIVE;
	if (!why && est.next_seq_no > s->next_recv && est.next_seq_no - s->next_recv > UINT32_MAX)
		why = NX_REJ_BAD_FIELD; /* a gap NotApplied cannot report */
	/* Timestamps order a session's Establishes: one older than the last
	 * accepted, or a copy of it from elsewhere or after its binding ended,
	 * is a delayed or replayed datagram and must not move the session. */
	if (!why && s->est_seen &&
	    (est.timestamp < s->est_ts ||
	     (est.timestamp == s->est_ts && !(s->bound && addr_eq(&s->addr, src)))))
		why = NX_REJ_STALE_ESTABLISH;
	if (!why && s->bound && addr_eq(&s->addr, src) && s->est_ts != est.timestamp)
		why = NX_REJ_ALREADY_ESTABLISHED;
	if (why) {
		e->st.rejects[why]++;
		REPLY(e, src, establishment_reject, .session_id = est.session_id,
		      .request_timestamp = est.timestamp, .code = (uint16_t)why);
		return 1;
	}
	/* Bound here with the same timestamp (else refused above): a retry,
	 * answered with the very EstablishmentAck it repeats. */
	if (!(s->bound && addr_eq(&s->addr, src))) {
		bind(e, s, src);
		e->st.sessions_established++;
		s->ack_send = s->next_send;
		s->ack_recv = s->next_recv;
	}
	s->est_ts = est.timestamp;
	s->est_seen = 1;
	s->keepalive_ms = est.keepalive_ms;
	s->last_rx_ns = s->last_tx_ns = e->now;
	REPLY(e, src, establishment_ack, .session_id = s->id, .request_timestamp = est.timestamp,
	      .next_seq_no = s->ack_send, .next_recv_seq_no = s->ack_recv,
	      .keepalive_ms = (uint32_t)(e->keepalive_ns / 1000000u));
	if (est.next_seq_no > s->next_recv) {
		e->epoch++; /* NotApplied goes in a sequenced datagram of its own */
		session_not_applied(e, s, s->next_recv, (uint32_t)(est.next_seq_no - s->next_recv));
		s->next_recv = est.next_seq_no;
	}
	return 0;
}

/* The retransmission budget (sessions.retransmit_rate, _burst): refill s's
 * bucket up to now, the msg_rate throttle's arithmetic in 1e-9 messages,
 * and take count messages' worth (those a request will resend: what its
 * range lost to the history costs nothing); 0, taking nothing, when it
 * holds less.
 * All or nothing: a partial grant could not be told on the wire from an
 * answer datagram lost on the way (a Retransmission counts only its own
 * datagram), so the client would ask for the rest at once, while a refusal
 * says "later". burst >= history, so a full bucket covers any request. */
static int retransmit_budget_take(struct nx_engine *e, struct session *s, uint32_t count)
{
	uint64_t rate = e->cfg.retransmit_rate;
	if (!rate)
		return 1;
	uint64_t cap = (uint64_t)e->cfg.retransmit_burst * 1000000000u;
	uint64_t dt = e->now > s->rt_bucket_ns ? e->now - s->rt_bucket_ns : 0; /* a step back adds nothing */
	s->rt_bucket_ns = e->now;
	unsigned __int128 add = (unsigned __int128)dt * rate;
	s->rt_tokens = add >= cap || s->rt_tokens + (uint64_t)add >= cap ? cap : s->rt_tokens + (uint64_t)add;
	uint64_t cost = (uint64_t)count * 1000000000u;
	if (s->rt_tokens < cost)
		return 0;
	s->rt_tokens -= cost;
	return 1;
}

/* How many of the sent messages from .. from + count - 1 s's history still
 * holds: its newest ones. A range that starts below the history is served
 * all the same (out_retransmit says with an empty Retransmission what is
 * gone, and sends the rest): refusing it lost the rest too. */
static uint32_t retransmit_kept(const struct nx_engine *e, const struct session *s, uint64_t from,
				uint32_t count)
{
	uint64_t kept = out_first_kept(e, s), end = from + count; /* end <= next_send */
	return end <= kept ? 0 : from >= kept ? count : (uint32_t)(end - kept);
}

static int on_retransmit_request(struct nx_engine *e, struct session *s, const struct nx_nxp_msg *m,
				 const struct nx_addr *src)
{
	struct nx_nxp_retransmit_request rq;
	nx_nxp_decode_retransmit_request(m, &rq);
	unsigned why = 0;
	uint64_t sent = s ? s->next_send - 1 : 0;
	if (!s || rq.session_id != s->id)
		why = NX_REJ_RETRANSMIT_WRONG_SESSION;
	else if (s->rt_left)
		why = NX_REJ_RETRANSMIT_IN_PROGRESS;
	else if (rq.count > e->cfg.history)
		why = NX_REJ_RETRANSMIT_TOO_MANY;
	else if (!rq.count || !rq.from_seq_no || rq.from_seq_no > sent ||
		 rq.count - 1 > sent - rq.from_seq_no)
		why = NX_REJ_RETRANSMIT_OUT_OF_RANGE;
	else if (!retransmit_budget_take(e, s, retransmit_kept(e, s, rq.from_seq_no, rq.count))) {
		why = NX_REJ_RETRANSMIT_THROTTLED; /* last: only a request that would be served pays */
		e->st.retransmit_throttled++;
	}
	if (why) {
		e->st.rejects[why]++;
		REPLY(e, src, retransmit_reject, .session_id = rq.session_id,
		      .request_timestamp = rq.timestamp, .code = (uint16_t)why);
		return 1;
	}
	s->rt_from = rq.from_seq_no;
	s->rt_left = rq.count;
	s->rt_req_ts = rq.timestamp;
	out_retransmit(e, s);
	return 1;
}

/* The client will send no application message after last: what of it
 * never arrived is reported NotApplied (so FinishedReceiving means everything
 * up to last was processed, one way or the other), later client messages
 * are dropped, and the venue says where its own flow ends. */
static void on_finished_sending(struct nx_engine *e, struct session *s, uint64_t last,
				const struct nx_addr *src)
{
	if (last >= s->next_recv) {
		if (last - s->next_recv >= UINT32_MAX || last == UINT64_MAX) {
			session_seq_violation(e, s);
			return;
		}
		e->epoch++; /* NotApplied in a sequenced datagram before the replies */
		session_not_applied(e, s, s->next_recv, (uint32_t)(last - s->next_recv + 1));
		s->next_recv = last + 1;
	}
	if (!s->finishing && s->dc_receiver && e->acct_st[s->acct_cfg].sess == (uint32_t)(s - e->sess))
		handover_copies(e, s);
	s->finishing = 1;
	REPLY(e, src, finished_receiving, .session_id = s->id);
	REPLY(e, src, finished_sending, .session_id = s->id, .last_seq_no = s->next_send - 1);
}

/* A datagram of session messages (first already read), from src. Its
 * source is not verified: a refusal (to anyone, the key or the session id
 * unknown) ends the datagram, so a forged source gets at most one reply
 * datagram per datagram sent, smaller than the request it answers; read
 * to the end, 35 refused messages in one datagram were 35 datagrams to a
 * third party. A RetransmitRequest ends it too: an answer that fits the
 * output is over before the next message is read, so "one request at a
 * time" let one datagram ask for the whole history 30 times. The rest is
 * dropped and counted (drop_unbound). */
void session_datagram(struct nx_engine *e, struct nx_nxp_reader *r, const struct nx_nxp_msg *first,
		      const struct nx_addr *src)
{
	struct nx_nxp_msg m = *first;
	int rc = 1;
	e->reply = NULL; /* replies join only replies to this datagram */
	for (; rc != 0; rc = nx_nxp_next(r, &m)) {
		if (rc < 0) {
			e->st.drop_malformed++;
			continue;
		}
		e->st.rx_msgs++;
		struct session *s = session_by_addr(e, src);
		if (s) {
			s->last_rx_ns = e->now;
			s->addr.link = src->link;
		}
		int end = 0;
		switch (m.template_id) {
		case NX_NXP_NEGOTIATE:
			end = on_negotiate(e, &m, src);
			break;
		case NX_NXP_ESTABLISH:
			end = on_establish(e, &m, src);
			break;
		case NX_NXP_RETRANSMIT_REQUEST:
			end = on_retransmit_request(e, s, &m, src);
			break;
		case NX_NXP_TERMINATE:
			if (s && nx_nxp_terminate_session_id(&m) == s->id)
				session_unbind(e, s, 0, 1);
			else
				e->st.drop_unbound++;
			break;
		case NX_NXP_FINISHED_SENDING:
			if (s && nx_nxp_finished_sending_session_id(&m) == s->id)
				on_finished_sending(e, s, nx_nxp_finished_sending_last_seq_no(&m), src);
			else
				e->st.drop_unbound++;
			break;
		case NX_NXP_FINISHED_RECEIVING:
			if (s && s->finishing && nx_nxp_finished_receiving_session_id(&m) == s->id) {
				session_unbind(e, s, 0, 1);
				s->state = S_FINALIZED;
			} else {
				e->st.drop_unbound++;
			}
			break;
		default:
			if (!(m.flags & NX_NXP_F_CLIENT))
				e->st.drop_direction++;
			else
				e->st.drop_unsequenced++; /* application message with no Sequence */
			break;
		}
		if (end) {
			while ((rc = nx_nxp_next(r, &m)) != 0 && !(rc < 0 && nx_nxp_err_fatal(rc)))
				e->st.drop_unbound++;
			return;
		}
	}
}

/* --- Timers and the throttle ------------------------------------------------------ */

void session_poll(struct nx_engine *e, struct session *s)
{
	if (!s->bound)
		return;
	/* The caller's clock stepped back (a wall clock corrected): the timers
	 * restart from now rather than reading the step as years of silence. */
	if (NX_UNLIKELY(e->now < s->last_rx_ns))
		s->last_rx_ns = e->now;
	if (NX_UNLIKELY(e->now < s->last_tx_ns))
		s->last_tx_ns = e->now;
	uint64_t limit = (uint64_t)s->keepalive_ms * 1000000u * KEEPALIVE_MISSES;
	if (e->now - s->last_rx_ns > limit) {
		session_unbind(e, s, NX_REJ_KEEPALIVE_TIMEOUT, 1);
		return;
	}
	if (s->rt_left)
		out_retransmit(e, s);
	if (e->now - s->last_tx_ns >= e->keepalive_ns)
		out_heartbeat(e, s);
}

