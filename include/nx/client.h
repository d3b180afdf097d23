/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * An NXP client session, transport-free: it builds the datagrams a client
 * sends (negotiate, establish, application messages numbered behind a
 * Sequence, heartbeats, retransmit requests, terminate) and reads the
 * datagrams the venue sends (every message decoded, venue sequence numbers
 * tracked, gaps and duplicates reported). The tests, the demo client and
 * the load generator use it over whatever carries the bytes.
 *
 * Not for the venue's hot path; it allocates nothing and is single-threaded.
 */
#ifndef NX_CLIENT_H
#define NX_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "nx/config.h"
#include "nx/nxp.h"

#define NX_CLIENT_SPAN_BITS 4096u

struct nx_client {
	uint64_t session_id;
	nx_acct_t acct;
	uint8_t key[NX_KEY_BYTES];
	uint64_t next_seq;     /* number of the next application message we send */
	uint64_t expect_seq;   /* number of the next venue application message we expect */
	uint64_t gap_from;     /* first venue message found missing (0: no gap) */
	uint64_t gap_count;    /* the span to ask for, from gap_from to the last number
	                          missing (some in between may have arrived: asked
	                          again, they come back as duplicates) */
	uint64_t duplicates;   /* venue messages seen twice (after a retransmission) */
	uint64_t skipped;      /* venue messages skipped: unknown template, malformed,
	                          or not numbered (no Sequence before them) */
	uint64_t expired;      /* venue messages the venue said are gone (an empty
	                          Retransmission: overwritten in its history): taken
	                          off the gap, never coming */
	uint64_t rt_next;      /* the retransmission asked for: next number due ... */
	uint64_t rt_end;       /* ... and one past its last (0: none in progress) */
	uint64_t last_ts;      /* timestamp of the last Negotiate/Establish sent */
	/* Numbers that arrived while a gap was open, within NX_CLIENT_SPAN_BITS
	 * of gap_from (bit n % NX_CLIENT_SPAN_BITS): when the span's
	 * retransmission brings them again they are duplicates. */
	uint64_t arrived[NX_CLIENT_SPAN_BITS / 64];
};

/* One message read from a venue datagram. */
struct nx_client_msg {
	uint16_t template_id;
	uint64_t seq;          /* venue sequence number; 0 for session messages */
	uint8_t retransmitted; /* came in a Retransmission datagram */
	uint8_t duplicate;     /* this number was returned before (counted in
	                          duplicates): a repeated datagram, a retransmission
	                          of what had arrived, or a message that arrived
	                          inside a gap's span and came back with the span
	                          (known within NX_CLIENT_SPAN_BITS of the gap's
	                          first number; further out it is not flagged) */
	union {
#define NX_CLIENT_U_(N, n, S, ID, LEN, FL) struct nx_nxp_##n n;
		NX_NXP_MESSAGES(NX_CLIENT_U_)
#undef NX_CLIENT_U_
	} u;
};

void nx_client_init(struct nx_client *c, uint64_t session_id, nx_acct_t acct,
		    const uint8_t key[NX_KEY_BYTES]);

/* Session datagrams into buf; each returns the bytes written (0: no room). */
size_t nx_client_negotiate(struct nx_client *c, void *buf, size_t cap, uint64_t ts);
size_t nx_client_establish(struct nx_client *c, void *buf, size_t cap, uint64_t ts,
			   uint32_t keepalive_ms);
size_t nx_client_retransmit_request(struct nx_client *c, void *buf, size_t cap, uint64_t ts,
				    uint64_t from, uint32_t count);
size_t nx_client_terminate(struct nx_client *c, void *buf, size_t cap, uint16_t code);
/* Ending the session for good: FinishedSending(the number of our last
 * application message), and FinishedReceiving, the answer to the venue's
 * FinishedSending once everything up to its lastSeqNo was read. */
size_t nx_client_finished_sending(struct nx_client *c, void *buf, size_t cap);
size_t nx_client_finished_receiving(struct nx_client *c, void *buf, size_t cap);
size_t nx_client_heartbeat(struct nx_client *c, void *buf, size_t cap);

/*
 * Application datagrams: nx_client_begin writes Sequence(next_seq); each
 * nx_client_<message> appends one message and takes the next number.
 * They return the bytes appended (0: no room, nothing consumed).
 */
size_t nx_client_begin(struct nx_client *c, struct nx_nxp_writer *w, void *buf, size_t cap);
size_t nx_client_new_order(struct nx_client *c, struct nx_nxp_writer *w, const struct nx_nxp_new_order *o);
size_t nx_client_cancel(struct nx_client *c, struct nx_nxp_writer *w, const struct nx_nxp_cancel_order *o);
size_t nx_client_replace(struct nx_client *c, struct nx_nxp_writer *w, const struct nx_nxp_cancel_replace *o);
size_t nx_client_mass_cancel(struct nx_client *c, struct nx_nxp_writer *w, const struct nx_nxp_mass_cancel *o);
size_t nx_client_instrument_request(struct nx_client *c, struct nx_nxp_writer *w,
				    const struct nx_nxp_instrument_definition_request *o);
size_t nx_client_set_cancel_on_disconnect(struct nx_client *c, struct nx_nxp_writer *w,
					  const struct nx_nxp_set_cancel_on_disconnect *o);
/* Any other client message, already encoded by the caller through w: count it. */
void nx_client_count(struct nx_client *c);

/*
 * Read one venue datagram: decode up to cap messages into out and return
 * how many (a framing error, which leaves the rest unreadable: -1, and the
 * whole datagram counts as lost: nothing in c changes). Messages past the
 * cap are left unread: their numbers come back as a gap. A datagram that
 * reaches number 2^64 - 1, which has no successor to expect, is unreadable
 * too (-1). A message with an unknown template or that fails its checks is
 * skipped and counted (skipped), keeping its sequence number unless its
 * template is known to be a session message. Tracks expect_seq: a
 * Sequence above it extends the gap span (gap_from, gap_count), and so
 * does a Retransmission above it and past where the answer in progress
 * stood (an answer datagram lost on the way: the numbers asked for from
 * there are missing), messages
 * below it are counted as duplicates and still returned (flagged
 * duplicate), except a late one (reordered) inside the gap's span not seen
 * before: new, noted (its retransmission is the duplicate), and taken off
 * the span's front once the front has all arrived; the messages of
 * Retransmission datagrams fill the span from its front (or, asked from
 * inside it, are noted as the late ones are), and those of them that had
 * arrived already are duplicates too. While a range asked for with
 * nx_client_retransmit_request is being answered, an empty Retransmission
 * (count 0, nextSeqNo K) says the venue's history no longer holds anything
 * below K: what of the span is still missing below K is taken off it and
 * counted (expired). Nothing else does: a Retransmission that starts past
 * where the answer stood (an answer datagram lost or reordered) leaves the
 * numbers it passes in the span. Application messages with no Sequence or
 * Retransmission before them cannot be numbered: skipped.
 */
int nx_client_read(struct nx_client *c, const void *data, size_t len, struct nx_client_msg *out,
		   unsigned cap);

/*
 * Give the gap up (the venue refused to resend it, RETRANSMIT_OUT_OF_RANGE:
 * numbers it never sent): its numbers still missing are counted expired and
 * never asked for again, what was noted as arrived inside it is forgotten,
 * and a retransmission in progress is over; a message of the old span that
 * still comes is then a duplicate. Returns how many were missing. A gap
 * whose front has left the venue's history needs none of this: the venue
 * answers for it, and its empty Retransmission (nx_client_read) takes what
 * is gone off the gap.
 */
uint64_t nx_client_abandon_gap(struct nx_client *c);

#endif /* NX_CLIENT_H */
