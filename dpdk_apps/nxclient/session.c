/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxclient's sessions over kernel UDP: one socket per session, bound to an
 * ephemeral port (the venue binds a session to its source address) and
 * connected to the venue, so only the venue's datagrams are read. Sending,
 * the receive pump that decodes every datagram through the client library
 * (nx/client.h: sequence numbers, gaps, retransmissions), the rule for when
 * a request has been answered, drops, and heartbeats while idle.
 *
 * What a command receives is held per session and printed when the
 * command ends (requester first, then the others in connect order), after a
 * short settle window that catches the datagrams the same request caused
 * for other sessions (a maker's fill). That is what makes two transcripts of
 * one script comparable byte for byte.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nxclient.h"

uint64_t nxc_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t nxc_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int nxc_init(struct nxc *x)
{
	x->rxbuf = malloc(NXC_RXBUF);
	return x->rxbuf ? 0 : -ENOMEM;
}

void nxc_fini(struct nxc *x)
{
	for (unsigned i = 0; i < x->nsess; i++) {
		close(x->sess[i].fd);
		free(x->sess[i].pend);
		free(x->sess[i].queue);
	}
	x->nsess = 0;
	free(x->rxbuf);
	x->rxbuf = NULL;
}

struct nxc_session *nxc_find(struct nxc *x, const char *name)
{
	for (unsigned i = 0; i < x->nsess; i++)
		if (!strcmp(x->sess[i].name, name))
			return &x->sess[i];
	return NULL;
}

struct nxc_session *nxc_open(struct nxc *x, const char *name, const char *host, uint16_t port,
			     char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	struct sockaddr_in any = { .sin_family = AF_INET };
	char portstr[8];
	struct nxc_session *s;
	int rc, fd = -1;

	if (x->nsess == NXC_MAX_SESSIONS) {
		snprintf(err, errlen, "more than %d sessions", NXC_MAX_SESSIONS);
		return NULL;
	}
	if (strlen(name) >= NXC_NAME_MAX) {
		snprintf(err, errlen, "session name longer than %d characters", NXC_NAME_MAX - 1);
		return NULL;
	}
	snprintf(portstr, sizeof(portstr), "%u", port);
	if ((rc = getaddrinfo(host, portstr, &hints, &ai))) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return NULL;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* Bind first, to an ephemeral port: the session's source address from
	 * the first datagram on; connect: only the venue's datagrams are read. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&any, sizeof(any)) ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		snprintf(err, errlen, "%s:%u: %s", host, port, strerror(errno));
		goto err;
	}
	/* One request may be answered by a burst of datagrams (a sweep's
	 * fills): room for a few thousand, so the kernel does not drop them
	 * before they are read. Past net.core.rmem_max (212,992 bytes on a
	 * stock Debian, about 50 datagrams) only as root; best effort. */
	int rcv = 4 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	s = &x->sess[x->nsess];
	memset(s, 0, sizeof(*s));
	s->pend = calloc(NXC_PEND_MAX, sizeof(*s->pend));
	s->queue = calloc(NXC_QUEUE_MAX, sizeof(*s->queue));
	if (!s->pend || !s->queue) {
		free(s->pend);
		free(s->queue);
		snprintf(err, errlen, "out of memory");
		goto err;
	}
	strcpy(s->name, name);
	s->fd = fd;
	s->next_cl = s->next_req = 1;
	x->nsess++;
	freeaddrinfo(ai);
	return s;
err:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return NULL;
}

int nxc_send(struct nxc *x, struct nxc_session *s, const void *buf, size_t len)
{
	(void)x;
	for (int tries = 0; tries < 2; tries++) {
		if (send(s->fd, buf, len, 0) == (ssize_t)len) {
			s->last_tx_ns = nxc_now_ns();
			return 0;
		}
		if (errno != ECONNREFUSED) /* that one reports an earlier datagram: retry */
			break;
		s->refused = 1;
	}
	return -errno;
}

int nxc_send_msg(struct nxc *x, struct nxc_session *s, struct nx_client_msg *m)
{
	uint8_t buf[NX_NXP_DGRAM_MAX];
	struct nx_nxp_writer w;
	size_t n = 0;

	if (nx_nxp_template_flags(m->template_id) & NX_NXP_F_SEQ) {
		nx_client_begin(&s->c, &w, buf, sizeof(buf));
		m->seq = s->c.next_seq;
	} else {
		nx_nxp_writer_init(&w, buf, sizeof(buf));
		m->seq = 0;
	}
	switch (m->template_id) {
#define X_(N, n_, S, ID, LEN, FL) case ID: n = nx_nxp_encode_##n_(&w, &m->u.n_); break;
	NX_NXP_MESSAGES(X_)
#undef X_
	default:
		break;
	}
	if (!n)
		return -EINVAL;
	if (m->seq)
		nx_client_count(&s->c);
	if (m->template_id == NX_NXP_RETRANSMIT_REQUEST) { /* as nx_client_retransmit_request */
		s->c.rt_next = m->u.retransmit_request.from_seq_no;
		s->c.rt_end = m->u.retransmit_request.count ? s->c.rt_next + m->u.retransmit_request.count : 0;
	}
	nxc_print(x->out, x->times, '>', s->name, NULL, m);
	return nxc_send(x, s, w.buf, w.len);
}

/* --- Receiving --------------------------------------------------------------------- */

int nxc_answers(const struct nxc_want *w, const struct nx_client_msg *m)
{
	const uint16_t t = m->template_id;
	if (t == NX_NXP_TERMINATE) /* the binding ended: nothing more will come */
		return w->kind != NXC_W_TIME;
	if (w->seq && t == NX_NXP_BUSINESS_REJECT && m->u.business_reject.ref_seq_no == w->seq)
		return 1;
	if (w->seq && t == NX_NXP_NOT_APPLIED && w->seq >= m->u.not_applied.from_seq_no &&
	    w->seq - m->u.not_applied.from_seq_no < m->u.not_applied.count)
		return 1;
	switch (w->kind) {
	case NXC_W_NEGOTIATE:
		return t == NX_NXP_NEGOTIATION_RESPONSE || t == NX_NXP_NEGOTIATION_REJECT;
	case NXC_W_ESTABLISH:
		return t == NX_NXP_ESTABLISHMENT_ACK || t == NX_NXP_ESTABLISHMENT_REJECT;
	case NXC_W_RETRANS:
		return t == NX_NXP_RETRANSMIT_REJECT;
	case NXC_W_NEW:
		return (t == NX_NXP_EXEC_NEW && m->u.exec_new.cl_ord_id == w->id) ||
		       (t == NX_NXP_EXEC_REJECTED && m->u.exec_rejected.cl_ord_id == w->id);
	case NXC_W_CANCEL:
		return (t == NX_NXP_EXEC_CANCELED && m->u.exec_canceled.req_cl_ord_id == w->id) ||
		       (t == NX_NXP_CANCEL_REJECT && m->u.cancel_reject.cl_ord_id == w->id);
	case NXC_W_REPLACE:
		return (t == NX_NXP_EXEC_REPLACED && m->u.exec_replaced.cl_ord_id == w->id) ||
		       (t == NX_NXP_CANCEL_REJECT && m->u.cancel_reject.cl_ord_id == w->id) ||
		       (t == NX_NXP_EXEC_REJECTED && m->u.exec_rejected.cl_ord_id == w->id);
	case NXC_W_MASS:
		return (t == NX_NXP_MASS_CANCEL_REPORT && m->u.mass_cancel_report.cl_ord_id == w->id) ||
		       (t == NX_NXP_CANCEL_REJECT && m->u.cancel_reject.cl_ord_id == w->id);
	case NXC_W_INSTR:
		return t == NX_NXP_INSTRUMENT_DEFINITION && m->u.instrument_definition.req_id == w->id &&
		       m->u.instrument_definition.index >= m->u.instrument_definition.total;
	case NXC_W_COD:
		return t == NX_NXP_CANCEL_ON_DISCONNECT_ACK &&
		       m->u.cancel_on_disconnect_ack.req_id == w->id;
	case NXC_W_ADMIN:
		return (t == NX_NXP_ADMIN_ACK && m->u.admin_ack.req_id == w->id) ||
		       (t == NX_NXP_ADMIN_REJECT && m->u.admin_reject.req_id == w->id);
	default:
		return 0;
	}
}

static void flush_session(struct nxc *x, struct nxc_session *s)
{
	for (uint32_t i = 0; i < s->npend; i++) {
		const struct nxc_entry *e = &s->pend[i];
		switch (e->mark) {
		case NXC_RECV: nxc_print(x->out, x->times, '<', s->name, NULL, &e->m); break;
		case NXC_RESENT: nxc_print(x->out, x->times, '<', s->name, "resent", &e->m); break;
		case NXC_DROPPED: nxc_print(x->out, x->times, 'x', s->name, "dropped", &e->m); break;
		default:
			if (x->times)
				nxc_print(x->out, x->times, '<', s->name, NULL, &e->m);
			break;
		}
	}
	s->npend = 0;
}

static void add(struct nxc *x, struct nxc_session *s, const struct nx_client_msg *m, uint8_t mark)
{
	if (s->npend == NXC_PEND_MAX)
		flush_session(x, s); /* early, so out of the canonical order; never in practice */
	s->pend[s->npend].m = *m;
	s->pend[s->npend++].mark = mark;
	if (mark != NXC_RECV && mark != NXC_RESENT)
		return;
	if (s->qlen == NXC_QUEUE_MAX) { /* nobody expects that far back: forget the oldest */
		s->qhead = (s->qhead + 1) % NXC_QUEUE_MAX;
		s->qlen--;
	}
	s->queue[(s->qhead + s->qlen++) % NXC_QUEUE_MAX] = s->pend[s->npend - 1];
}

static void on_dgram(struct nxc *x, struct nxc_session *s, const uint8_t *data, size_t len,
		     struct nxc_want *w)
{
	struct nx_client_msg msgs[NXC_DGRAM_MSGS];
	struct nx_client scratch = s->c;
	int n = nx_client_read(&scratch, data, len, msgs, NXC_DGRAM_MSGS);
	if (n < 0) {
		fprintf(stderr, "nxclient: %s: malformed datagram of %zu bytes, ignored\n", s->name, len);
		return;
	}
	int heartbeat = n == 1 && msgs[0].template_id == NX_NXP_SEQUENCE;
	int drop = s->drop_left && !heartbeat;
	if (drop)
		s->drop_left--;
	else
		s->c = scratch; /* a dropped datagram never reached the library */
	uint32_t queued = 0;
	for (int i = 0; i < n; i++) {
		const struct nx_client_msg *m = &msgs[i];
		uint8_t mark = drop ? NXC_DROPPED : m->seq && m->retransmitted ? NXC_RESENT : NXC_RECV;
		if (m->template_id == NX_NXP_SEQUENCE && !heartbeat)
			continue; /* its number is on every message it numbers */
		if (heartbeat)
			mark = NXC_HEARTBEAT;
		if (drop && m->seq) {
			if (!s->dropped_from || m->seq < s->dropped_from)
				s->dropped_from = m->seq;
			if (m->seq > s->dropped_to)
				s->dropped_to = m->seq;
		}
		add(x, s, m, mark);
		queued += mark == NXC_RECV || mark == NXC_RESENT;
		if (!drop && m->template_id == NX_NXP_TERMINATE && s->state == NXC_S_UP)
			s->state = NXC_S_NEGOTIATED;
		if (!w || w->s != s || w->done)
			continue;
		/* Served when a Retransmission reaches the end of the range: the
		 * venue skips what its history lost meanwhile, so counting the
		 * messages could wait for ones that never come. */
		if (w->kind == NXC_W_RETRANS && m->template_id == NX_NXP_RETRANSMISSION &&
		    m->u.retransmission.next_seq_no + m->u.retransmission.count >= w->end)
			w->done = 1;
		if (nxc_answers(w, m)) {
			w->done = 1;
			w->answer = *m;
		}
	}
	if (w && w->kind == NXC_W_ANY && w->s == s && queued)
		w->done = 1;
}

/* Read every datagram waiting on any session socket. */
static void drain(struct nxc *x, struct nxc_want *w)
{
	for (unsigned i = 0; i < x->nsess; i++) {
		struct nxc_session *s = &x->sess[i];
		for (;;) {
			ssize_t n = recv(s->fd, x->rxbuf, NXC_RXBUF, MSG_DONTWAIT);
			if (n >= 0) {
				on_dgram(x, s, x->rxbuf, (size_t)n, w);
				continue;
			}
			if (errno == ECONNREFUSED) {
				s->refused = 1;
				continue;
			}
			break; /* EAGAIN: nothing more */
		}
	}
}

/* Heartbeat every established session that has sent nothing for its
 * keepalive interval; returns ns until the next one is due. */
static uint64_t heartbeats(struct nxc *x, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	for (unsigned i = 0; i < x->nsess; i++) {
		struct nxc_session *s = &x->sess[i];
		uint64_t ka = (uint64_t)s->keepalive_ms * 1000000u;
		if (s->state != NXC_S_UP || !ka)
			continue;
		if (now - s->last_tx_ns >= ka) {
			uint8_t b[64];
			size_t len = nx_client_heartbeat(&s->c, b, sizeof(b));
			if (x->times) {
				struct nx_client_msg m = { .template_id = NX_NXP_SEQUENCE };
				m.u.sequence.next_seq_no = s->c.next_seq;
				nxc_print(x->out, 1, '>', s->name, NULL, &m);
			}
			nxc_send(x, s, b, len);
		}
		uint64_t due = s->last_tx_ns + ka - now;
		if (due < next)
			next = due;
	}
	return next;
}

int nxc_run(struct nxc *x, struct nxc_want *w, uint32_t timeout_ms)
{
	struct pollfd p[NXC_MAX_SESSIONS];
	uint64_t now = nxc_now_ns(), deadline = now + (uint64_t)timeout_ms * 1000000u, settle = 0;

	if (w->kind == NXC_W_NONE)
		w->done = 1;
	for (unsigned i = 0; i < x->nsess; i++)
		p[i] = (struct pollfd){ .fd = x->sess[i].fd, .events = POLLIN };
	drain(x, w);
	for (;;) {
		now = nxc_now_ns();
		uint64_t hb = heartbeats(x, now);
		if (w->done && !settle)
			settle = now + (uint64_t)x->settle_ms * 1000000u;
		uint64_t end = settle ? settle : deadline;
		if (now >= end)
			break;
		uint64_t left = end - now < hb ? end - now : hb;
		int ms = (int)((left + 999999u) / 1000000u);
		if (poll(p, x->nsess, ms > 0 ? ms : 1) > 0)
			drain(x, w);
	}
	if (w->s)
		flush_session(x, w->s);
	for (unsigned i = 0; i < x->nsess; i++)
		flush_session(x, &x->sess[i]);
	fflush(x->out);
	return w->done;
}

void nxc_sleep(struct nxc *x, uint32_t ms)
{
	uint64_t end = nxc_now_ns() + (uint64_t)ms * 1000000u;
	for (uint64_t now; (now = nxc_now_ns()) < end;) {
		uint64_t hb = heartbeats(x, now), left = end - now;
		if (hb < left)
			left = hb;
		struct timespec ts = { .tv_sec = (time_t)(left / 1000000000u),
				       .tv_nsec = (long)(left % 1000000000u) };
		nanosleep(&ts, NULL);
	}
}

int nxc_login(struct nxc *x, struct nxc_session *s, struct nx_client_msg *rej)
{
	struct nx_client_msg m;
	struct nxc_want w;

	if (s->state == NXC_S_NEW) {
		memset(&m, 0, sizeof(m));
		m.template_id = NX_NXP_NEGOTIATE;
		m.u.negotiate = (struct nx_nxp_negotiate){ .session_id = s->c.session_id,
			.timestamp = nxc_wall_ns(), .account = s->c.acct,
			.client_flow = NX_NXP_FLOW_IDEMPOTENT };
		memcpy(m.u.negotiate.secret_key, s->c.key, NX_KEY_BYTES);
		if (nxc_send_msg(x, s, &m))
			return -1;
		w = (struct nxc_want){ .s = s, .kind = NXC_W_NEGOTIATE };
		if (!nxc_run(x, &w, x->timeout_ms))
			return -1;
		if (w.answer.template_id != NX_NXP_NEGOTIATION_RESPONSE) {
			*rej = w.answer;
			return 1;
		}
		s->state = NXC_S_NEGOTIATED;
	}
	memset(&m, 0, sizeof(m));
	m.template_id = NX_NXP_ESTABLISH;
	m.u.establish = (struct nx_nxp_establish){ .session_id = s->c.session_id,
		.timestamp = nxc_wall_ns(), .next_seq_no = s->c.next_seq,
		.keepalive_ms = s->keepalive_ms, .account = s->c.acct };
	memcpy(m.u.establish.secret_key, s->c.key, NX_KEY_BYTES);
	if (nxc_send_msg(x, s, &m))
		return -1;
	w = (struct nxc_want){ .s = s, .kind = NXC_W_ESTABLISH };
	if (!nxc_run(x, &w, x->timeout_ms))
		return -1;
	if (w.answer.template_id != NX_NXP_ESTABLISHMENT_ACK) {
		*rej = w.answer;
		return 1;
	}
	s->state = NXC_S_UP;
	/* Number from where the venue will apply; and messages it sent while
	 * we were away (cancel-on-disconnect) are a gap for recover. */
	const struct nx_nxp_establishment_ack *ack = &w.answer.u.establishment_ack;
	if (ack->next_recv_seq_no > s->c.next_seq)
		s->c.next_seq = ack->next_recv_seq_no;
	if (ack->next_seq_no > s->c.expect_seq) {
		/* The span runs to the last number missing, as a Sequence's
		 * does (messages read since the gap opened may have moved
		 * expect_seq past gap_from + gap_count). */
		if (!s->c.gap_count)
			s->c.gap_from = s->c.expect_seq;
		s->c.gap_count = ack->next_seq_no - s->c.gap_from;
		s->c.expect_seq = ack->next_seq_no;
	}
	return 0;
}
