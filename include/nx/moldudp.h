/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The framings ITCH arrives in: MoldUDP64 packets (live and retransmitted
 * feeds) and Nasdaq BinaryFILE (end-of-day files). Both carry "message
 * blocks": a 2-byte big-endian length, then that many bytes of message.
 *
 * MoldUDP64 (Nasdaq MoldUDP64 protocol specification 1.00) downstream
 * packet: a 20-byte header, then message blocks.
 *
 *   offset 0   session          10 bytes, Alpha: names the feed and its day
 *   offset 10  sequence number  be64: the number of the first block (from 1)
 *   offset 18  message count    be16: blocks in the packet
 *
 * Count 0 is a heartbeat and 0xFFFF the end of the session; in both the
 * sequence number is that of the next message the server will send. A
 * request to the retransmission server is the same 20 bytes: session, the
 * first sequence number wanted and how many messages; the answers are
 * ordinary downstream packets sent back to the requester.
 *
 * nx_mold_rx is the receiving side as a pure state machine: one packet in,
 * a verdict out (what to deliver, what was missed). It reads no clock and
 * sends nothing: retry timers and the request socket belong to the caller,
 * which asks nx_mold_rx_missing / nx_mold_rx_request what is still owed.
 *
 * Sequencing policy:
 * - Session: the first packet latches it (or the config names it); a
 *   packet of another session is dropped (WRONG_SESSION). A new session
 *   (the next day) needs nx_mold_rx_init.
 * - The expected number starts at the config's next_seq: 1 means "from the
 *   start of the day" (anything later is a gap), 0 means "join where the
 *   feed is" (the first packet latches it; earlier messages are a snapshot
 *   problem, not a gap).
 * - A packet entirely before the expected number is a DUPLICATE (counted);
 *   one that straddles it is delivered from the first new block.
 * - A packet after the expected number reveals a gap. With hold_on_gap = 0
 *   (skip) the missing messages are counted lost, the packet is delivered
 *   and the stream moves on: right for tools and for books that resync from
 *   snapshots. With hold_on_gap = 1 nothing past the gap is delivered until
 *   the missing messages arrive (retransmitted, in order): such packets
 *   return AHEAD. A caller may keep AHEAD packets and feed them again once
 *   the gap is filled; they are then delivered normally.
 * - Each verdict reports newly discovered missing ranges once
 *   (gap_first, gap_count): a request to send now. nx_mold_rx_missing gives
 *   the whole outstanding range (for retries on the caller's timer).
 * - After the end-of-session packet only messages before its sequence
 *   number are accepted (retransmissions filling a gap); later data is
 *   dropped (AFTER_END).
 *
 * Guarantees: no function allocates, locks, logs, reads a clock or makes a
 * system call; none reads outside the bytes given. A struct nx_mold_rx
 * belongs to one thread at a time.
 */
#ifndef NX_MOLDUDP_H
#define NX_MOLDUDP_H

#include <stddef.h>
#include <stdint.h>

#include "nx/cc.h"
#include "nx/itch.h"

/* --- Message blocks and BinaryFILE ----------------------------------------- */

#define NX_MOLD_BLOCK_PREFIX 2u /* be16 length before every message */

/* A walk over message blocks in [p, end). */
struct nx_mold_blocks {
	const uint8_t *p;
	const uint8_t *end;
};

static inline void nx_mold_blocks_init(struct nx_mold_blocks *it, const uint8_t *data,
				       size_t len)
{
	it->p = data;
	it->end = data + len;
}

/*
 * How far ahead of the walk its bytes start loading. Each block's length is
 * read before the next block can be found, so a walk over memory the
 * hardware has not brought to L1 waits a cache hit of L2 or worse per block
 * (~7 ns on the 2026-11-22 machine: the decode-only pass spent most of its
 * time there). 1 KB is ~30 ITCH messages: enough to hide L2 and L3 hits, and
 * within a MoldUDP64 packet's buffer or just past it (a prefetch never
 * faults). docs/market-data.md, "The walk's own chain".
 */
#define NX_MOLD_WALK_PREFETCH 1024u

/*
 * Next block: *msg and *len are the message (without its prefix). Returns 1,
 * 0 at the clean end, or -1 when the remaining bytes are not a whole block
 * (a lone prefix byte, or a length past the end); the walk then stays where
 * it was. Empty messages (length 0) are returned like any other: the ITCH
 * decoder rejects them.
 */
static inline int nx_mold_blocks_next(struct nx_mold_blocks *it, const uint8_t **msg,
				      size_t *len)
{
	size_t left = (size_t)(it->end - it->p), n;

	if (left == 0)
		return 0;
	if (NX_UNLIKELY(left < NX_MOLD_BLOCK_PREFIX))
		return -1;
	NX_PREFETCH((const uint8_t *)((uintptr_t)it->p + NX_MOLD_WALK_PREFETCH));
	n = nx_itch_be16(it->p);
	if (NX_UNLIKELY(n > left - NX_MOLD_BLOCK_PREFIX))
		return -1;
	*msg = it->p + NX_MOLD_BLOCK_PREFIX;
	*len = n;
	it->p += NX_MOLD_BLOCK_PREFIX + n;
	return 1;
}

/* A Nasdaq BinaryFILE is nothing but blocks: walk it with the same code. */
#define nx_binfile_init nx_mold_blocks_init
#define nx_binfile_next nx_mold_blocks_next

/* --- MoldUDP64 wire format ---------------------------------------------------- */

#define NX_MOLD_SESSION_LEN   10u
#define NX_MOLD_HDR_LEN       20u
#define NX_MOLD_REQUEST_LEN   20u
#define NX_MOLD_COUNT_HEARTBEAT 0u
#define NX_MOLD_COUNT_END     0xffffu
#define NX_MOLD_COUNT_MAX     0xfffeu /* most blocks a data packet can announce */

struct nx_mold_hdr {
	char session[10];
	uint8_t seq[8];     /* be64 */
	uint8_t count[2];   /* be16 */
};
NX_STATIC_ASSERT(sizeof(struct nx_mold_hdr) == NX_MOLD_HDR_LEN, "moldudp64 header");
NX_STATIC_ASSERT(offsetof(struct nx_mold_hdr, seq) == 10, "moldudp64 seq offset");
NX_STATIC_ASSERT(offsetof(struct nx_mold_hdr, count) == 18, "moldudp64 count offset");

/* Write a header (downstream packet or request: the same layout) into
 * out[0, 20). Blocks, if any, are the caller's to append. */
void nx_mold_hdr_write(uint8_t *out, const char session[10], uint64_t seq, uint16_t count);

/*
 * Append one message block (prefix + msg[0, len)) at out + *off, cap bytes
 * in all. Returns 0 and advances *off, or -ENOSPC (nothing written) if it
 * does not fit or len > 65535. For building test packets and files.
 */
int nx_mold_block_put(uint8_t *out, size_t cap, size_t *off, const void *msg, size_t len);

/* A retransmission request: session, first wanted, count. Returns 20, or 0
 * (nothing written) when cap < 20. */
size_t nx_mold_request_build(uint8_t *out, size_t cap, const char session[10], uint64_t seq,
			     uint16_t count);

/* Parse a request (a retransmission server's side). Returns 0, or -EINVAL
 * if len != 20. */
int nx_mold_request_parse(const uint8_t *p, size_t len, char session[10], uint64_t *seq,
			  uint16_t *count);

/* --- The receiver ------------------------------------------------------------- */

/*
 * Drop reasons: nx_mold_rx_packet returns -code. Codes are dense, so
 * counters are an array of NX_MOLD_DROP_MAX indexed by -reason.
 * - TRAILING: the packet must end with its last block (UDP gives exact
 *   lengths; Ethernet padding is below UDP). A heartbeat or end packet is
 *   exactly 20 bytes.
 * - BAD_SEQ: sequence 0 (numbering starts at 1), seq + count past 2^64, or
 *   a packet numbered more than NX_MOLD_MAX_JUMP past every number known
 *   (a corrupted header: a real feed carries ~1e9 messages a day).
 * - AFTER_END: once the end of session is seen, data past its number, and
 *   heartbeats or end packets numbered past it (they would announce a gap
 *   whose answers are dropped as data past the end).
 */
#define NX_MOLD_MAX_JUMP (UINT64_C(1) << 32)
#define NX_MOLD_DROPS(X)                                                                 \
	X(SHORT,         1, "packet shorter than the 20-byte header")                    \
	X(TRUNCATED,     2, "a message block runs past the end of the packet")           \
	X(TRAILING,      3, "bytes after the last block (or after a 20-byte heartbeat)") \
	X(BAD_SEQ,       4, "sequence number 0, seq + count overflows, or a jump past 2^32") \
	X(WRONG_SESSION, 5, "session differs from the one being followed")               \
	X(AFTER_END,     6, "numbered past the end of the session")

enum nx_mold_drop {
#define NX_X_(name, code, text) NX_MOLD_DROP_##name = -(code),
	NX_MOLD_DROPS(NX_X_)
#undef NX_X_
	NX_MOLD_DROP_MAX = 7,
};

/* Verdicts (> 0). */
enum nx_mold_kind {
	NX_MOLD_DATA      = 1, /* pkt->count new blocks to deliver, in order */
	NX_MOLD_HEARTBEAT = 2, /* nothing to deliver (may still report a gap) */
	NX_MOLD_END       = 3, /* end of session: nothing to deliver */
	NX_MOLD_DUPLICATE = 4, /* every block already delivered */
	NX_MOLD_AHEAD     = 5, /* hold mode: past a gap, not delivered (yet) */
};

struct nx_mold_rx_config {
	char session[10];     /* the session to follow, if have_session */
	uint8_t have_session; /* 0: latch the first packet's session */
	uint8_t hold_on_gap;  /* 0: skip gaps (count them lost); 1: hold */
	uint64_t next_seq;    /* first sequence number expected; 0: latch */
};

/* Counters. Every packet lands in exactly one of: data_pkts, heartbeats,
 * ends, dup_pkts, ahead_pkts or drops[-reason], each time it is fed (a
 * held AHEAD packet fed again counts again). */
struct nx_mold_stats {
	uint64_t data_pkts;     /* delivered something */
	uint64_t heartbeats;
	uint64_t ends;          /* end-of-session packets (repeats counted too) */
	uint64_t dup_pkts;      /* nothing new */
	uint64_t ahead_pkts;    /* hold mode: past a gap */
	uint64_t msgs;          /* blocks delivered */
	uint64_t dup_msgs;      /* blocks not delivered again (whole or overlap) */
	uint64_t gaps;          /* gap discoveries (verdicts with gap_count > 0) */
	uint64_t gap_msgs;      /* messages found missing, summed over discoveries */
	uint64_t lost_msgs;     /* skip mode: messages given up */
	uint64_t drops[NX_MOLD_DROP_MAX];
};

struct nx_mold_rx {
	struct nx_mold_rx_config cfg;
	char session[10];
	uint8_t latched;        /* session known */
	uint8_t ended;          /* end-of-session seen */
	uint64_t next;          /* next sequence number to deliver (0: not latched) */
	uint64_t high;          /* one past the highest sequence number known to exist */
	uint64_t end_seq;       /* ended: the end packet's sequence number */
	struct nx_mold_stats st;
};

/* What one packet means. Blocks to deliver: walk [blocks, end) with
 * nx_mold_blocks (exactly `count` blocks), the first numbered `seq`. */
struct nx_mold_pkt {
	const uint8_t *blocks;
	const uint8_t *end;
	uint64_t seq;           /* sequence number of the first block to deliver */
	uint32_t count;         /* blocks to deliver (DATA only, else 0) */
	uint32_t skipped;       /* leading blocks skipped as duplicates */
	uint64_t gap_first;     /* gap_count > 0: newly missing [gap_first, +gap_count) */
	uint64_t gap_count;
	uint64_t pkt_seq;       /* the header's sequence number and count */
	uint16_t pkt_count;
};

/* Start (or restart) a receiver. cfg may be NULL: latch session and
 * sequence, skip gaps. */
void nx_mold_rx_init(struct nx_mold_rx *rx, const struct nx_mold_rx_config *cfg);

/*
 * Take one packet (a UDP payload). Returns an enum nx_mold_kind (> 0) with
 * *out filled, or a drop reason -code of NX_MOLD_DROPS (out unspecified, the
 * state unchanged). The whole packet is validated before anything is
 * delivered, so a malformed packet never delivers a prefix.
 */
int nx_mold_rx_packet(struct nx_mold_rx *rx, const uint8_t *pkt, size_t len,
		      struct nx_mold_pkt *out);

/* The outstanding range: messages known to exist and not delivered,
 * [*first, *first + *count). Returns 1 if there is one, else 0. */
int nx_mold_rx_missing(const struct nx_mold_rx *rx, uint64_t *first, uint64_t *count);

/* Give the outstanding range up (hold mode: the server did not answer in
 * time): its messages are counted lost and delivery resumes after them, at
 * the highest sequence number known. Returns how many were given up (0 if
 * nothing was missing). */
uint64_t nx_mold_rx_skip(struct nx_mold_rx *rx);

/* Give up the outstanding range up to seq - 1 only: the hole before a
 * packet the caller held past the gap (hold mode, an NX_MOLD_AHEAD packet
 * numbered seq), which it then feeds again. A seq past everything known
 * gives up the whole range, as nx_mold_rx_skip. Returns how many were
 * given up. */
uint64_t nx_mold_rx_skip_to(struct nx_mold_rx *rx, uint64_t seq);

/* A retransmission request for the start of the outstanding range, at most
 * max_count messages (a server's limit; 0 means NX_MOLD_COUNT_MAX). Returns
 * 20, or 0 when nothing is missing or cap < 20. */
size_t nx_mold_rx_request(const struct nx_mold_rx *rx, uint8_t *out, size_t cap,
			  uint16_t max_count);

/*
 * A hold of packets past a gap, for a receiver in hold_on_gap mode: copies
 * of up to `slots` packets of at most slot_len bytes, in memory the caller
 * gives (nx_mold_hold_memsize bytes, any alignment of 8), kept in order of
 * their sequence numbers, one per number: of two starting at one number,
 * the one with more messages (a retransmission may be cut where the live
 * feed was not). The lowest comes out first, so
 * draining after a retransmission is in order and touches only what the
 * receiver can take. put is a binary search and a move of slot indices;
 * first, pop and oldest are O(1). No allocation, lock or system call.
 *
 * A packet held keeps the time it was put (nx_mold_hold_put_at, on the
 * caller's clock: the hold reads none), so a caller can give a gap up by
 * how long the packets behind it have waited, whatever order they came in
 * (a tool replaying a capture gives up by capture time). n (packets held)
 * and slots may be read; the other fields are private.
 */
struct nx_mold_hold {
	uint8_t *data;          /* slot s at s x slot_len */
	uint64_t *seq;          /* by slot: the packet's first sequence number */
	uint64_t *since;        /* by place in order: the earliest put time of the
	                           packets held from that place on, so since[head]
	                           is the oldest's (a suffix minimum: a pop from the
	                           front keeps it whole) */
	uint32_t *len;          /* by slot */
	uint32_t *order;        /* held slots by sequence number: order[head, head + n) */
	uint32_t *free;         /* free slots: free[0, nfree) */
	uint32_t slots, slot_len, head, n, nfree;
};

enum nx_mold_hold_put {
	NX_MOLD_HOLD_KEPT = 0,
	NX_MOLD_HOLD_DUP,       /* a packet with this sequence number and at least as
	                           many messages is held already (one with fewer is
	                           replaced: KEPT) */
	NX_MOLD_HOLD_TOO_BIG,   /* longer than slot_len */
	NX_MOLD_HOLD_FULL,      /* every slot is taken */
};

/* Bytes for slots of slot_len; SIZE_MAX when that does not fit a size_t. */
size_t nx_mold_hold_memsize(uint32_t slots, uint32_t slot_len);
void nx_mold_hold_init(struct nx_mold_hold *h, void *mem, uint32_t slots, uint32_t slot_len);
/* Keep a copy of pkt, a packet the receiver called NX_MOLD_AHEAD (so its
 * header is valid). Returns an enum nx_mold_hold_put. Put at time 0: for
 * callers that never ask nx_mold_hold_oldest. */
int nx_mold_hold_put(struct nx_mold_hold *h, const uint8_t *pkt, size_t len);
/* nx_mold_hold_put, the packet put at now (any unit; times need not rise
 * from one put to the next). A packet that takes the place of a held one
 * of its number keeps the held one's time: the hole before that number
 * has waited since then. O(1) more than put when times rise, at worst a
 * pass over the held packets that sort before it. */
int nx_mold_hold_put_at(struct nx_mold_hold *h, const uint8_t *pkt, size_t len, uint64_t now);
/* The earliest put time of any packet held, in *put: every message before
 * that packet has been missing at least since then, so a caller that gives
 * gaps up by age gives up while it is too old (each nx_mold_hold_give_up
 * delivers or lets go of at least one packet, so such a loop ends).
 * Returns 1, or 0 (*put untouched) when nothing is held. */
int nx_mold_hold_oldest(const struct nx_mold_hold *h, uint64_t *put);
/* The held packet with the lowest sequence number, *len and *seq set; NULL
 * when nothing is held. */
const uint8_t *nx_mold_hold_first(const struct nx_mold_hold *h, size_t *len, uint64_t *seq);
/* Let the first go. Its bytes stay as they are until the next put. */
void nx_mold_hold_pop(struct nx_mold_hold *h);
/* Deliver, lowest first, every held packet rx can take now (numbered at or
 * below rx->next), through deliver(ctx, pkt, len), which feeds it to rx and
 * must not put. Once rx has seen the end of session, packets numbered past
 * it can never be delivered: they are fed too (rx drops and counts them,
 * AFTER_END) and let go, not held for the rest of the day. */
void nx_mold_hold_drain(struct nx_mold_hold *h, const struct nx_mold_rx *rx,
			void (*deliver)(void *ctx, const uint8_t *pkt, size_t len), void *ctx);
/* Give the gap up: the hole before the first held packet is counted lost
 * (nx_mold_rx_skip_to; the whole outstanding range when nothing is held),
 * then what is held is drained as above. */
void nx_mold_hold_give_up(struct nx_mold_hold *h, struct nx_mold_rx *rx,
			  void (*deliver)(void *ctx, const uint8_t *pkt, size_t len), void *ctx);

/* Names of drop reasons and verdicts (static strings; "?" if unknown). */
const char *nx_mold_drop_name(int reason);
const char *nx_mold_drop_text(int reason);
const char *nx_mold_kind_name(int kind);

#endif /* NX_MOLDUDP_H */
