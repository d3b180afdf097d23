/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The venue's outbound market data feed, NXM (docs/market-data.md,
 * "Outbound: the venue's feed (NXM)"; schema docs/nxm.xml): the wire codec,
 * the publisher that turns the shards' book changes into sequenced UDP
 * packets, and the subscriber that rebuilds the books from them.
 *
 * Wire: MoldUDP64 framing (nx/moldudp.h), each message block one SBE 1.0
 * message: an 8-byte little-endian header {blockLength, templateId,
 * schemaId 0x4E4D, version NX_FEED_VERSION}, then the little-endian block. Decoders read
 * by blockLength, so a longer block from a newer version is accepted, and
 * ignore bytes after the parts they know. Three channels share one
 * MoldUDP64 session name: incremental (LevelUpdate, Trade, BookClear,
 * InstrumentStatus, TradesLost;
 * multicast, sequence from 1), snapshot (SnapshotLevels; multicast, its own
 * sequence from 1) and retransmission (a standard MoldUDP64 request in,
 * incremental packets back to the requester).
 *
 * Publisher (struct nx_feed_pub): fed struct nx_feed_rec records (from
 * nx_feed_rec_of on the engine's events, through per-shard rings, which
 * nx_feed_pub_drain takes a bounded quota of each in turn); numbers
 * each message as it is appended, fills packets up to max_payload, keeps
 * the last `history` messages for retransmission and its own image of
 * every published instrument's levels (it may not read the engine's book)
 * from which it cuts snapshots, spread over snapshot_ns. It sends through
 * a callback; it owns no socket.
 *
 * Subscriber (struct nx_feed_sub): incremental packets go through a
 * MoldUDP64 receiver in hold mode. A gap holds later packets (copied, up to
 * hold_pkts) while the caller requests the missing messages
 * (nx_feed_sub_request) and feeds the answers back in; held packets are
 * then replayed. When the caller's timer gives up (nx_feed_sub_give_up),
 * or the hold is full, the gap is skipped and every instrument becomes
 * stale. A stale instrument ignores incrementals and is rebuilt from a
 * complete snapshot image plus the subscriber's own buffer of the last
 * replay_msgs incremental messages (see nx_feed_sub_snapshot).
 *
 * Outbox (struct nx_feed_out): the shard's side, between its engine's event
 * tap and its ring to the publisher. Book changes that find the ring full
 * are dropped and their instruments re-imaged later; trades wait in a
 * bounded backlog instead, and trades that find the backlog full too are
 * announced (TradesLost) rather than silently lost.
 *
 * Guarantees: after init no function allocates, locks, logs, reads a clock
 * (time is the now_ns argument) or makes a system call; the publisher's
 * only way out is the send callback, called synchronously. No input bytes
 * crash either side or leave a partly applied message: malformed input is
 * counted by reason. Both sides are deterministic. Threading: each object
 * belongs to one thread at a time (the publisher to the appliance's
 * market data service core).
 */
#ifndef NX_FEED_H
#define NX_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "nx/book.h"
#include "nx/cc.h"
#include "nx/engine.h"
#include "nx/event.h"
#include "nx/moldudp.h"
#include "nx/types.h"

/* --- Records: what a shard hands the publisher -------------------------------- */

enum nx_feed_rec_type {
	NX_FEED_REC_LEVEL = 1, /* a level's new visible qty (0: gone) and order count */
	NX_FEED_REC_TRADE = 2, /* a trade; side is the aggressor's */
	NX_FEED_REC_CLEAR = 3, /* the instrument's book is empty from here: a shard whose
	                          ring overflowed sends CLEAR, then LEVEL for every level;
	                          n: NX_FEED_CLEAR_* flags */
	NX_FEED_REC_STATUS = 4, /* the instrument's trading status is n (enum nx_inst_status) */
	NX_FEED_REC_TRADES_LOST = 5, /* n > 0 trades of the instrument, qty > 0 lots in all,
	                                were not published: a shard's outbox had no room
	                                for them (see struct nx_feed_out) */
};

/* 32 bytes, copied into the shards' rings. Also what nx_feed_decode gives
 * for the three incremental messages. */
struct nx_feed_rec {
	uint8_t type;     /* enum nx_feed_rec_type */
	uint8_t side;     /* LEVEL: the level's side; TRADE: the aggressor; others: 0 */
	uint16_t pad;     /* 0 */
	nx_inst_t inst;   /* not 0 */
	nx_px_t px;       /* LEVEL, TRADE */
	nx_qty_t qty;     /* LEVEL: >= 0 (0: level removed); TRADE: > 0;
	                     TRADES_LOST: > 0, the lost trades' total (saturated) */
	uint64_t n;       /* LEVEL: orders (0 exactly when qty is 0); TRADE: trade id;
	                     STATUS: NX_STATUS_OPEN, _HALTED or _CLOSED; CLEAR: flags;
	                     TRADES_LOST: trades lost, > 0 */
};
NX_STATIC_ASSERT(sizeof(struct nx_feed_rec) == 32, "nx_feed_rec is a 32-byte ring entry");

/* For NX_EV_LEVEL, NX_EV_TRADE and NX_EV_STATUS: fill *r and return 1; any
 * other event: 0 (*r untouched). */
int nx_feed_rec_of(const struct nx_event *ev, struct nx_feed_rec *r);

/*
 * The records that re-image instrument inst from book b: CLEAR, then STATUS
 * (unless the book has no such instrument), then each side's LEVELs, best
 * first, up to max_levels + 1 a side. A side deeper than the publisher's
 * max_levels thus sends one level more than the publisher can hold, and
 * the publisher flags the image incomplete (NX_FEED_SNAP_INCOMPLETE), as it
 * does when an incremental level overflows; an image of exactly max_levels
 * would look complete. The CLEAR carries NX_FEED_CLEAR_TRUNCATED only when
 * a side is deeper than the max_levels + 1 levels sent (one of exactly
 * max_levels + 1 is sent whole). scratch holds
 * NX_FEED_IMAGE_SCRATCH(max_levels) entries (max_levels + 2: the level
 * after the last one sent tells a cut side from a whole one), out
 * NX_FEED_IMAGE_RECS(max_levels). Returns the number of records written.
 * Cold: a shard calls it when its ring overflowed, outside any command.
 */
#define NX_FEED_IMAGE_RECS(max_levels) (2u + 2u * ((max_levels) + 1u))
#define NX_FEED_IMAGE_SCRATCH(max_levels) ((max_levels) + 2u)
uint32_t nx_feed_image(const struct nx_book *b, nx_inst_t inst, uint32_t max_levels,
		       struct nx_level_info *scratch, struct nx_feed_rec *out);

/*
 * A session name for one run of a publisher: "NX" and unix_ms (the start's
 * wall-clock time in milliseconds) modulo 36^8 as 8 base-36 digits, 0-9 A-Z,
 * most significant first ("NX" + 8 digits fills the 10 bytes; the digits
 * repeat every 89 years). Subscribers take a session name for one unbroken
 * numbering, so a restarted publisher must not reuse its name.
 */
void nx_feed_session_name(char out[10], uint64_t unix_ms);

/* 0 if r is a valid record (the field rules above), else the reason the
 * publisher refuses it: NX_FEED_PUB_BAD_TYPE, _BAD_INSTRUMENT (0), _BAD_SIDE,
 * _BAD_QTY, _BAD_STATUS or _BAD_FLAGS. The decoder applies the same rules
 * (BAD_FIELD), but ignores BookClear flags it does not know (a later version). */
int nx_feed_rec_check(const struct nx_feed_rec *r);

/* --- Wire format ---------------------------------------------------------------------
 * Little-endian, offsets within the block that follows the 8-byte SBE
 * header; every field naturally aligned within its block; reserved bytes
 * are sent 0 and ignored. docs/market-data.md gives the same tables. */

#define NX_FEED_SCHEMA_ID  0x4E4Du /* "NM" */
#define NX_FEED_VERSION    4u /* 2 added InstrumentStatus and SnapshotLevels.status,
                                 3 BookClear.flags, 4 TradesLost */
#define NX_FEED_SBE_HDR_LEN 8u

enum nx_feed_template {
	NX_FEED_TPL_LEVEL_UPDATE    = 1,  /* incremental channel */
	NX_FEED_TPL_TRADE           = 2,  /* incremental channel */
	NX_FEED_TPL_BOOK_CLEAR      = 3,  /* incremental channel */
	NX_FEED_TPL_INSTRUMENT_STATUS = 4, /* incremental channel (version 2) */
	NX_FEED_TPL_TRADES_LOST     = 5,  /* incremental channel (version 4) */
	NX_FEED_TPL_SNAPSHOT_LEVELS = 10, /* snapshot channel only */
};

struct nx_feed_sbe_hdr {
	uint8_t block_len[2];   /* le16: bytes of the block after this header */
	uint8_t template_id[2]; /* le16 */
	uint8_t schema_id[2];   /* le16: NX_FEED_SCHEMA_ID */
	uint8_t version[2];     /* le16: NX_FEED_VERSION */
};

struct nx_feed_wire_level {  /* LevelUpdate, blockLength 25 */
	uint8_t inst[4];        /* 0  le32 */
	uint8_t orders[4];      /* 4  le32: orders at the level; 0 when qty is 0 */
	uint8_t px[8];          /* 8  le64 signed: price in ticks */
	uint8_t qty[8];         /* 16 le64 signed: visible qty; 0 = level removed */
	uint8_t side;           /* 24 1 buy, 2 sell */
};

struct nx_feed_wire_trade {  /* Trade, blockLength 32 */
	uint8_t inst[4];        /* 0  le32 */
	uint8_t side;           /* 4  aggressor: 1 buy, 2 sell */
	uint8_t reserved[3];    /* 5 */
	uint8_t tid[8];         /* 8  le64: venue trade id */
	uint8_t px[8];          /* 16 le64 signed */
	uint8_t qty[8];         /* 24 le64 signed, > 0 */
};

struct nx_feed_wire_clear {  /* BookClear, blockLength 8 (4 before version 3) */
	uint8_t inst[4];        /* 0  le32 */
	uint8_t flags;          /* 4  version 3: NX_FEED_CLEAR_* bits (a shorter block: 0) */
	uint8_t reserved[3];    /* 5 */
};

struct nx_feed_wire_status { /* InstrumentStatus, blockLength 8 */
	uint8_t inst[4];        /* 0  le32 */
	uint8_t status;         /* 4  1 open, 2 halted, 3 closed */
	uint8_t reserved[3];    /* 5 */
};

struct nx_feed_wire_trades_lost { /* TradesLost, blockLength 24 */
	uint8_t inst[4];        /* 0  le32 */
	uint8_t reserved[4];    /* 4 */
	uint8_t count[8];       /* 8  le64: trades not published, > 0 */
	uint8_t qty[8];         /* 16 le64 signed: their quantity in all, > 0 */
};

struct nx_feed_wire_snapshot { /* SnapshotLevels, blockLength 18 (17 in version 1),
                                  then the group */
	uint8_t inst[4];        /* 0  le32 */
	uint8_t chunk[2];       /* 4  le16: this message's place in the image, from 0 */
	uint8_t chunks[2];      /* 6  le16: messages in the image, >= 1, > chunk */
	uint8_t last_seq[8];    /* 8  le64: last incremental message reflected; 0: none */
	uint8_t flags;          /* 16 NX_FEED_SNAP_* bits */
	uint8_t status;         /* 17 version 2: trading status as of last_seq; 0: not
	                           known to the publisher (or a version-1 block) */
};

struct nx_feed_wire_group {  /* SBE groupSizeEncoding, after the snapshot block */
	uint8_t block_len[2];   /* le16: bytes per entry, >= 21 */
	uint8_t num_in_group[2]; /* le16: entries */
};

struct nx_feed_wire_snap_level { /* one group entry, blockLength 21 */
	uint8_t px[8];          /* 0  le64 signed */
	uint8_t qty[8];         /* 8  le64 signed, > 0 */
	uint8_t orders[4];      /* 16 le32, > 0 */
	uint8_t side;           /* 20 1 buy, 2 sell */
};

#define NX_FEED_LEVEL_BLOCK     21u /* snapshot group entry */
#define NX_FEED_LEVEL_UPDATE_LEN (NX_FEED_SBE_HDR_LEN + 25u)
#define NX_FEED_TRADE_LEN       (NX_FEED_SBE_HDR_LEN + 32u)
#define NX_FEED_CLEAR_LEN       (NX_FEED_SBE_HDR_LEN + 8u)
#define NX_FEED_STATUS_LEN      (NX_FEED_SBE_HDR_LEN + 8u)
#define NX_FEED_TRADES_LOST_LEN (NX_FEED_SBE_HDR_LEN + 24u)
#define NX_FEED_SNAPSHOT_HDR_LEN (NX_FEED_SBE_HDR_LEN + 18u + 4u) /* up to the first entry */
#define NX_FEED_MSG_MAX         NX_FEED_TRADE_LEN /* longest incremental message */
#define NX_FEED_MSG_MIN         NX_FEED_STATUS_LEN /* shortest sent */

NX_STATIC_ASSERT(sizeof(struct nx_feed_sbe_hdr) == 8, "SBE header");
NX_STATIC_ASSERT(sizeof(struct nx_feed_wire_level) == 25, "LevelUpdate block");
NX_STATIC_ASSERT(offsetof(struct nx_feed_wire_level, px) == 8, "LevelUpdate px");
NX_STATIC_ASSERT(offsetof(struct nx_feed_wire_level, side) == 24, "LevelUpdate side");
NX_STATIC_ASSERT(sizeof(struct nx_feed_wire_trade) == 32, "Trade block");
NX_STATIC_ASSERT(offsetof(struct nx_feed_wire_trade, tid) == 8, "Trade tid");
NX_STATIC_ASSERT(offsetof(struct nx_feed_wire_trade, qty) == 24, "Trade qty");
NX_STATIC_ASSERT(sizeof(struct nx_feed_wire_clear) == 8, "BookClear block");
NX_STATIC_ASSERT(sizeof(struct nx_feed_wire_status) == 8, "InstrumentStatus block");
NX_STATIC_ASSERT(sizeof(struct nx_feed_wire_trades_lost) == 24, "TradesLost block");
NX_STATIC_ASSERT(offsetof(struct nx_feed_wire_trades_lost, count) == 8, "TradesLost count");
NX_STATIC_ASSERT(offsetof(struct nx_feed_wire_trades_lost, qty) == 16, "TradesLost qty");
NX_STATIC_ASSERT(NX_FEED_TRADES_LOST_LEN <= NX_FEED_MSG_MAX, "a history slot holds TradesLost");
NX_STATIC_ASSERT(sizeof(struct nx_feed_wire_snapshot) == 18, "SnapshotLevels block");
NX_STATIC_ASSERT(offsetof(struct nx_feed_wire_snapshot, last_seq) == 8, "lastSeq");
NX_STATIC_ASSERT(offsetof(struct nx_feed_wire_snapshot, flags) == 16, "flags");
NX_STATIC_ASSERT(offsetof(struct nx_feed_wire_snapshot, status) == 17, "status");
NX_STATIC_ASSERT(sizeof(struct nx_feed_wire_group) == 4, "groupSizeEncoding");
NX_STATIC_ASSERT(sizeof(struct nx_feed_wire_snap_level) == NX_FEED_LEVEL_BLOCK, "level entry");
NX_STATIC_ASSERT(offsetof(struct nx_feed_wire_snap_level, orders) == 16, "entry orders");

/* BookClear.flags (version 3) and a CLEAR record's n */
#define NX_FEED_CLEAR_TRUNCATED 0x01u /* the image that follows holds only the best
                                         max_levels + 1 levels of a side (the
                                         venue's max_levels) and the book is deeper:
                                         a subscriber holding more levels must treat
                                         the book as incomplete */

/* SnapshotLevels.flags */
#define NX_FEED_SNAP_INCOMPLETE 0x01u /* the publisher's image of this instrument lost
                                         levels to its max_levels since the last
                                         BookClear: the image holds correct levels,
                                         but maybe not all of them */

/* Payload sizes (UDP payload bytes per packet). The minimum fits a
 * snapshot of one level: 20 + 2 + 30 + 21. */
#define NX_FEED_PAYLOAD_MIN     73u
#define NX_FEED_PAYLOAD_MAX     65507u /* largest IPv4 UDP payload */
#define NX_FEED_PAYLOAD_DEFAULT 1400u  /* a 1500-byte MTU with room for tunnels */

/* Decode errors: nx_feed_decode returns -code; counters are arrays of
 * NX_FEED_ERR_MAX indexed by -code. */
#define NX_FEED_ERRS(X)                                                                  \
	X(SHORT,            1, "message shorter than the 8-byte SBE header")             \
	X(BAD_SCHEMA,       2, "schemaId is not 0x4E4D")                                 \
	X(UNKNOWN_TEMPLATE, 3, "templateId not in the schema")                           \
	X(BLOCK_SHORT,      4, "blockLength shorter than the template's first block")  \
	X(TRUNCATED,        5, "block or group header runs past the end of the message") \
	X(GROUP_SHORT,      6, "group blockLength shorter than the 21-byte level entry") \
	X(GROUP_TRUNCATED,  7, "group entries run past the end of the message")          \
	X(BAD_FIELD,        8, "instrument 0, side not 1/2, bad qty, orders, count or status, chunk >= chunks")

enum nx_feed_err {
#define NX_X_(name, code, text) NX_FEED_ERR_##name = -(code),
	NX_FEED_ERRS(NX_X_)
#undef NX_X_
	NX_FEED_ERR_MAX = 9,
};

/* A snapshot image's header fields. */
struct nx_feed_snap {
	nx_inst_t inst;
	uint16_t chunk, chunks;
	uint64_t last_seq;
	uint8_t flags;
	uint8_t status;           /* 0: not known; else enum nx_inst_status */
};

/* One level of a snapshot. */
struct nx_feed_level {
	uint8_t side;
	struct nx_level_info lv;
};

/* A decoded message: a view into the bytes given to nx_feed_decode. */
struct nx_feed_msg {
	uint16_t template_id;     /* enum nx_feed_template */
	uint16_t version;         /* as sent; not checked */
	struct nx_feed_rec rec;   /* LevelUpdate, Trade, BookClear, InstrumentStatus,
	                             TradesLost */
	struct nx_feed_snap snap; /* SnapshotLevels */
	uint16_t nlevels;         /* SnapshotLevels: group entries, all validated */
	uint16_t level_stride;    /* the group's blockLength */
	const uint8_t *levels;    /* the first entry */
};

/*
 * Validate and decode one message (a MoldUDP64 block without its prefix).
 * Returns the template id (> 0) with *out filled, or -code of NX_FEED_ERRS
 * (out unspecified). Every field is checked here, group entries included,
 * so a message that decodes can be applied whole. Bytes after the block
 * (and after the group) are ignored: later versions may append.
 */
int nx_feed_decode(const uint8_t *msg, size_t len, struct nx_feed_msg *out);

/* Entry i (< m->nlevels) of a decoded SnapshotLevels. */
void nx_feed_msg_level(const struct nx_feed_msg *m, unsigned i, struct nx_feed_level *out);

/*
 * Encode a record as its incremental message into out[0, cap). Returns the
 * length (NX_FEED_LEVEL_UPDATE_LEN, _TRADE_LEN, _CLEAR_LEN, _STATUS_LEN or
 * _TRADES_LOST_LEN), or 0 when cap
 * is shorter or nx_feed_rec_check refuses the record.
 */
size_t nx_feed_encode_rec(uint8_t *out, size_t cap, const struct nx_feed_rec *r);

/*
 * Build a SnapshotLevels message: nx_feed_encode_snap writes the header,
 * block and an empty group (NX_FEED_SNAPSHOT_HDR_LEN bytes) at out and
 * returns that length, or 0 if cap is smaller; each nx_feed_snap_put
 * appends one entry at out + *len (the message's length so far, advanced)
 * and counts it in the group. Returns 0, or -ENOSPC (cap reached or 65535
 * entries) / -EINVAL (side not 1/2, qty <= 0 or count 0), nothing written.
 */
size_t nx_feed_encode_snap(uint8_t *out, size_t cap, const struct nx_feed_snap *h);
int nx_feed_snap_put(uint8_t *out, size_t cap, size_t *len, unsigned side,
		     const struct nx_level_info *lv);

/* Names of decode errors: "SHORT" ...; "?" if unknown. */
const char *nx_feed_err_name(int err);
const char *nx_feed_err_text(int err);

/* --- Publisher ------------------------------------------------------------------------ */

enum nx_feed_channel { NX_FEED_INCREMENTAL = 0, NX_FEED_SNAPSHOT = 1, NX_FEED_RETRANSMIT = 2 };
#define NX_FEED_CHANNELS 3u

/*
 * The publisher hands each finished packet (a UDP payload) to send, before
 * the call that made it returns; the bytes are valid only during the call.
 * For NX_FEED_RETRANSMIT, to is the requester; else to is {0,0} (the
 * channel's configured group).
 */
typedef void (*nx_feed_send_fn)(void *ctx, unsigned channel, const uint8_t *pkt, size_t len,
				struct nx_addr to);

#define NX_FEED_MAX_INSTRUMENTS (1u << 20)
#define NX_FEED_MAX_LEVELS      (1u << 20)
#define NX_FEED_MAX_HISTORY     (1u << 30)
#define NX_FEED_MAX_RETRANS_RATE 1000000000u /* answers a second: one a ns */

struct nx_feed_pub_config {
	char session[10];       /* the MoldUDP64 session of all three channels */
	uint32_t max_payload;   /* UDP payload bytes per packet, NX_FEED_PAYLOAD_MIN ..
	                           NX_FEED_PAYLOAD_MAX; 0: NX_FEED_PAYLOAD_DEFAULT */
	uint32_t history;       /* incremental messages kept for retransmission,
	                           1 .. NX_FEED_MAX_HISTORY; rounded up to a power
	                           of two (40 bytes each) */
	uint16_t retrans_max;   /* most messages one answer carries; 0: as many as
	                           fit one packet */
	uint32_t retrans_rate;  /* answers a second to one requester (IP and port),
	                           in bursts of up to one second's worth, ..
	                           NX_FEED_MAX_RETRANS_RATE; 0: no limit */
	uint32_t retrans_total_rate; /* answers a second to all requesters together,
	                           the same way; 0: no limit */
	const nx_inst_t *instruments; uint32_t ninstruments; /* what is published, in the
	                           order snapshots cycle over them: 1 ..
	                           NX_FEED_MAX_INSTRUMENTS distinct ids, none 0 */
	uint32_t max_levels;    /* per instrument and side in the publisher's image,
	                           1 .. NX_FEED_MAX_LEVELS; a snapshot of 2 x max_levels
	                           levels must fit 65535 packets */
	uint64_t heartbeat_ns;  /* incremental channel idle this long -> heartbeat
	                           (or the open packet is sent); 0: never */
	uint64_t snapshot_ns;   /* one full snapshot cycle over the instruments, spread
	                           evenly over this period; 0: no snapshots */
};

/* Why a record or a request was not used: counters indexed by -code. */
#define NX_FEED_PUB_DROPS(X)                                                             \
	X(BAD_TYPE,       1, "record type not LEVEL, TRADE, CLEAR, STATUS or TRADES_LOST") \
	X(BAD_SIDE,       2, "record side not 1/2 (LEVEL, TRADE)")                       \
	X(BAD_QTY,        3, "LEVEL qty < 0, or orders 0 iff qty 0 broken; TRADE qty <= 0; " \
			     "TRADES_LOST count or qty <= 0")                            \
	X(BAD_INSTRUMENT, 4, "record instrument 0 or not published")                     \
	X(AFTER_END,      5, "record after nx_feed_pub_end")                             \
	X(REQ_LENGTH,     6, "retransmission request not 20 bytes")                      \
	X(REQ_SESSION,    7, "retransmission request for another session")               \
	X(REQ_RANGE,      8, "retransmission request for sequence 0 or count 0")         \
	X(REQ_TOO_OLD,    9, "first message requested no longer kept")                   \
	X(REQ_FUTURE,    10, "first message requested not sent yet")                     \
	X(BAD_STATUS,    11, "STATUS record's status not OPEN, HALTED or CLOSED")        \
	X(BAD_FLAGS,     12, "CLEAR record's flags other than NX_FEED_CLEAR_TRUNCATED")  \
	X(REQ_THROTTLED, 13, "retransmission request over retrans_rate or retrans_total_rate")

enum nx_feed_pub_drop {
#define NX_X_(name, code, text) NX_FEED_PUB_##name = -(code),
	NX_FEED_PUB_DROPS(NX_X_)
#undef NX_X_
	NX_FEED_PUB_DROP_MAX = 14,
};

/* Counters, monotonic from init. */
struct nx_feed_pub_stats {
	uint64_t recs[6];          /* records used, by enum nx_feed_rec_type */
	uint64_t drops[NX_FEED_PUB_DROP_MAX]; /* records and requests refused, by -reason */
	uint64_t msgs;             /* incremental messages numbered: the last sequence number */
	uint64_t pkts[NX_FEED_CHANNELS];  /* packets sent, by channel (heartbeats included) */
	uint64_t bytes[NX_FEED_CHANNELS];
	uint64_t heartbeats;       /* incremental heartbeat packets */
	uint64_t ends;             /* end-of-session packets (repeats included) */
	uint64_t snapshots;        /* instrument images sent (each one or more packets) */
	uint64_t level_overflow;   /* levels dropped from the image at max_levels */
	uint64_t level_unknown;    /* removals of a level the image does not hold */
	uint64_t requests;         /* retransmission requests received */
	uint64_t answers;          /* requests answered (one packet each) */
	uint64_t requester_evictions; /* a requester's budget taken over by another
	                              address sharing its slot (see nx_feed_pub_request) */
	uint64_t retrans_msgs;     /* messages in those answers */
};

struct nx_feed_pub;

/* Bytes nx_feed_pub_init needs for cfg; 0 if cfg is invalid (see the
 * config's ranges) or the size overflows. */
size_t nx_feed_pub_memsize(const struct nx_feed_pub_config *cfg);

/*
 * Lay a publisher out in mem (>= memsize bytes, NX_CACHE_LINE-aligned):
 * sequence 1 next on the incremental channel, 1 on the snapshot channel,
 * empty images, the first snapshot due at the first poll. The instrument
 * list is copied. Returns the publisher (== mem), or NULL with errno
 * EINVAL (bad cfg, mem, len or send NULL).
 */
struct nx_feed_pub *nx_feed_pub_init(void *mem, size_t len, const struct nx_feed_pub_config *cfg,
				     nx_feed_send_fn send, void *ctx);

/* nx_feed_pub_init on aligned_alloc memory; NULL with errno EINVAL or ENOMEM.
 * nx_feed_pub_destroy frees it (NULL is fine). */
struct nx_feed_pub *nx_feed_pub_create(const struct nx_feed_pub_config *cfg,
				       nx_feed_send_fn send, void *ctx);
void nx_feed_pub_destroy(struct nx_feed_pub *p);

/*
 * Take one record: validate it (a refused record is counted by reason and
 * gets no sequence number), update the image (LEVEL, CLEAR), number the
 * message, keep it in the history, append it to the open incremental
 * packet. A packet is sent when the message does not fit (then it opens
 * the next) or when no message could follow it. now_ns is the send time.
 */
void nx_feed_pub_rec(struct nx_feed_pub *p, const struct nx_feed_rec *r, uint64_t now_ns);

/* Send the open incremental packet, if any. Call it after each drain of
 * the shards' rings: nothing else bounds how long a message waits. Every
 * incremental packet sent carries at least one message numbered since the
 * previous one was sent, so after a flush, k records and another flush send
 * at most k packets: a caller pacing a transmit queue gives the publisher
 * no more records than it has room for frames (the appliance's stop). */
void nx_feed_pub_flush(struct nx_feed_pub *p, uint64_t now_ns);

/* A shard's ring as the publisher's core sees it, the consumer's end of the
 * outbox's nx_feed_enq_fn: take up to max records of source src into r,
 * oldest first (as rte_ring_sc_dequeue_burst); return how many, fewer than
 * max when it holds no more for now. */
typedef unsigned (*nx_feed_deq_fn)(void *ctx, uint32_t src, struct nx_feed_rec *r, unsigned max);

#define NX_FEED_DRAIN_CHUNK 64u /* records nx_feed_pub_drain takes at once: 2 KB of stack */

/*
 * One round of the publisher's core over its sources (the shards' rings):
 * from each of sources 0 .. nsrc - 1 in turn, its records in its order,
 * NX_FEED_DRAIN_CHUNK at a time, until it gives fewer than asked (empty
 * for now) or quota records have come from it, each to nx_feed_pub_rec;
 * then nx_feed_pub_flush if any came. Returns the records taken: at most
 * nsrc x quota, whatever the sources hold and however fast they refill.
 * So a caller that runs one round between its other duties (receiving,
 * answering requests, nx_feed_pub_poll) does each of them at least once
 * every nsrc x quota records; a source that fills as fast as it is
 * emptied gets quota a round and delays neither the other sources nor
 * those duties. (The appliance once emptied each ring before the next: a
 * shard as fast as the service held it indefinitely.) A source's records
 * keep their order across rounds; sources are interleaved, which is sound
 * when, as the appliance's shards, they publish disjoint instruments.
 * quota 0 takes nothing. deq runs on the caller's thread, synchronously.
 */
uint64_t nx_feed_pub_drain(struct nx_feed_pub *p, nx_feed_deq_fn deq, void *ctx, uint32_t nsrc,
			   unsigned quota, uint64_t now_ns);

/*
 * Timers. Incremental channel idle (nothing sent) for heartbeat_ns: the open
 * packet is sent, or a heartbeat (count 0, sequence = the next message's);
 * after nx_feed_pub_end the end-of-session packet is repeated instead.
 * Snapshots: instrument k of n is due at cycle start + k x snapshot_ns / n;
 * each due instrument's image is sent (the open incremental packet first,
 * so lastSeq names only sent messages): one or more SnapshotLevels packets,
 * chunk 0 .. chunks-1, as many levels as fit each. Polling late sends what
 * is due, up to one cycle; a lag of more than a cycle restarts the cycle
 * from now. No snapshots after nx_feed_pub_end.
 */
void nx_feed_pub_poll(struct nx_feed_pub *p, uint64_t now_ns);

/*
 * Answer a retransmission request (a UDP payload from `from`): one packet
 * to `from` of the messages from the requested sequence number on, at most
 * the count asked, retrans_max and what fits max_payload, and never past
 * the last message sent; the requester asks again for the rest. Returns
 * the messages sent (> 0), or -code of NX_FEED_PUB_DROPS (REQ_*: counted,
 * nothing sent): a request whose first message is no longer kept is not
 * answered in part, the requester must resynchronise from snapshots.
 *
 * Answers are rationed, so that the server cannot be made to flood a
 * network or, by a request with a forged source, someone else: a request
 * that would pass retrans_rate for its requester or retrans_total_rate is
 * refused (REQ_THROTTLED, nothing sent; the requester asks again later).
 * Each budget is a token bucket as GCRA keeps it: one answer every
 * 1e9 / rate ns on average, up to one second's worth at once. Requesters
 * are kept in NX_FEED_PUB_REQUESTERS slots by a hash of their address; a
 * new address whose slot is held by another takes it over with a full
 * budget (counted in requester_evictions): with more active requesters
 * than slots a requester may get more than its rate, never more than the
 * total.
 */
#define NX_FEED_PUB_REQUESTERS 256u
int nx_feed_pub_request(struct nx_feed_pub *p, const uint8_t *req, size_t len,
			struct nx_addr from, uint64_t now_ns);

/* Send the open packet, then the end-of-session packet (count 0xFFFF,
 * sequence = the next message's). Later records are refused (AFTER_END);
 * requests are still answered. A second call only repeats the end packet. */
void nx_feed_pub_end(struct nx_feed_pub *p, uint64_t now_ns);

const struct nx_feed_pub_stats *nx_feed_pub_stats(const struct nx_feed_pub *p);

/* Name and text of a publisher drop reason; "?" if unknown. */
const char *nx_feed_pub_drop_name(int reason);
const char *nx_feed_pub_drop_text(int reason);

/* --- Outbox: a shard's side, from its engine's tap to its ring -------------------------
 *
 * A shard hands its book changes to the publisher's core through a
 * single-producer single-consumer ring it must never wait for. The outbox
 * decides what happens when that ring is full (docs/market-data.md,
 * "Running it in the appliance"):
 *
 * - LEVEL, CLEAR and STATUS records that do not fit are dropped and their
 *   instrument marked stale; its later ones are dropped at the tap, and
 *   once the ring has room the instrument is re-imaged from the book
 *   (nx_feed_image). The feed of its levels is late, never wrong.
 * - TRADE records are kept: one that does not fit, and every later one
 *   while any waits (so the tape keeps its order), goes into the backlog,
 *   a FIFO of `backlog` records allocated at init. Each flush drains the
 *   backlog into the ring before any new record, at most
 *   NX_FEED_OUT_DRAIN_RECS records of it a flush: a full backlog drains
 *   over several polls, never in one. While it holds anything the ring is
 *   full or the flush's share is spent, so the book changes of that time
 *   are dropped as above and the trades join the backlog's tail.
 * - A TRADE that finds the backlog full is lost, and so is every later
 *   trade of its instrument until the loss is announced: one TRADES_LOST
 *   record (count and quantity) goes into the backlog as soon as it has
 *   room, exactly where the lost trades would have been. Subscribers see
 *   TradesLost, never a silent hole.
 * - A stale instrument is re-imaged only when the backlog is empty (no
 *   trade of any instrument, and no loss, waits): a re-image never
 *   overtakes a trade that happened before it, nor takes the ring room
 *   backlogged trades wait for. Re-images go in the order the instruments
 *   became stale, at most NX_FEED_OUT_REIMAGE_RECS records of them a call,
 *   less what its flush drained of the backlog: finding the next one
 *   costs nothing however many instruments the shard has, and an
 *   instrument waits only for the images queued ahead of it.
 *
 * So a call's work on the shard's core is bounded by constants, not by
 * the backlog's size or the number of instruments: a flush puts at most
 * NX_FEED_OUT_DRAIN_RECS records of the backlog (announcements included:
 * it announces only into the room its own drain made) and its buffer's
 * NX_FEED_OUT_BUF; a poll, that flush and re-images within the same
 * NX_FEED_OUT_REIMAGE_RECS, plus the end of the image it started (at
 * most NX_FEED_IMAGE_RECS(max_levels): an image goes whole).
 *
 * So for each instrument the ring carries its trades and losses in the
 * engine's order, and its book changes in the engine's order or replaced by
 * a later re-image; across instruments a backlogged trade may come after
 * another instrument's later change.
 *
 * Threading: one outbox per shard, used by the shard's thread only (the
 * enqueue callback is the ring's single producer); nx_feed_out_stats may be
 * read from another thread for monitoring (plain loads). After init nothing
 * allocates, locks, logs, reads a clock or makes a system call.
 */

/* The ring, as the outbox sees it: put up to n records (all == 0, as
 * rte_ring_sp_enqueue_burst) or all n or none (all == 1, _bulk); return how
 * many were put. Records leave in the order put. */
typedef unsigned (*nx_feed_enq_fn)(void *ctx, const struct nx_feed_rec *r, unsigned n, int all);

#define NX_FEED_OUT_BUF     256u      /* records collected from the tap before a flush */
/* Re-image records one nx_feed_out_reimage puts (and more only to finish
 * its first image): four full buffers' worth, 32 KB copied between two
 * bursts, so a shard with thousands of stale instruments (every one at
 * start) opens them over several loops instead of stalling one. */
#define NX_FEED_OUT_REIMAGE_RECS (4u * NX_FEED_OUT_BUF)
/* Backlog records (trades, TRADES_LOST) one flush puts on the ring besides
 * its buffer: as many as a call's re-images, 32 KB copied between two
 * bursts. The whole backlog (65,536 records, 2 MB, by default) once went
 * in one flush when the ring emptied, hundreds of microseconds on the
 * matching core; it now drains over ceil(backlog / 1,024) polls (64 by
 * default) if no trade or loss joins it. At least NX_FEED_OUT_BUF (checked
 * in out.c), so a flush with room on the ring drains more of the backlog
 * than its buffer can add to it: with room, the backlog always shrinks. */
#define NX_FEED_OUT_DRAIN_RECS (4u * NX_FEED_OUT_BUF)
#define NX_FEED_MAX_BACKLOG (1u << 24) /* 512 MB of records: far past any sane setting */

struct nx_feed_out_config {
	const nx_inst_t *instruments; uint32_t ninstruments; /* the shard's: 1 ..
	                           NX_FEED_MAX_INSTRUMENTS distinct ids, none 0; every
	                           one starts stale (its first image opens the feed) */
	uint32_t max_levels;    /* the publisher's (re-images carry up to max_levels + 1
	                           a side), 1 .. NX_FEED_MAX_LEVELS */
	uint32_t backlog;       /* trade records kept when the ring is full, 1 ..
	                           NX_FEED_MAX_BACKLOG; rounded up to a power of two
	                           (32 bytes each) */
};

/* Counters, monotonic from init. */
struct nx_feed_out_stats {
	uint64_t recs;              /* records put on the ring */
	uint64_t dropped;           /* LEVEL, CLEAR, STATUS records dropped: the ring was
	                               full, or their instrument stale */
	uint64_t reimages;          /* stale instruments re-imaged */
	uint64_t trades_backlogged; /* TRADE records that went through the backlog */
	uint64_t backlog_hwm;       /* the most records the backlog held at once */
	uint64_t trades_lost;       /* TRADE records lost: the backlog was full */
	uint64_t losses_announced;  /* TRADES_LOST records made (each for >= 1 trade) */
	uint64_t invalid;           /* records that could not go straight to the ring and
	                               that the publisher would refuse anyway (an
	                               instrument not the shard's, nx_feed_rec_check):
	                               dropped */
};

struct nx_feed_out;

/* Bytes nx_feed_out_init needs for cfg; 0 if cfg is invalid or the size
 * overflows. */
size_t nx_feed_out_memsize(const struct nx_feed_out_config *cfg);

/* Lay an outbox out in mem (>= memsize bytes, NX_CACHE_LINE-aligned): empty
 * buffer and backlog, every instrument stale. The instrument list is
 * copied. Returns it (== mem), or NULL with errno EINVAL (bad cfg, a
 * duplicate id, mem, len or enq NULL). */
struct nx_feed_out *nx_feed_out_init(void *mem, size_t len, const struct nx_feed_out_config *cfg,
				     nx_feed_enq_fn enq, void *ctx);

/* nx_feed_out_init on allocated memory; NULL with errno EINVAL or ENOMEM.
 * nx_feed_out_destroy frees it (NULL is fine). */
struct nx_feed_out *nx_feed_out_create(const struct nx_feed_out_config *cfg, nx_feed_enq_fn enq,
				       void *ctx);
void nx_feed_out_destroy(struct nx_feed_out *o);

/*
 * The engine's tap: an event that is market data (nx_feed_rec_of) is
 * buffered, unless it is a book change of a stale instrument (dropped and
 * counted). A full buffer is flushed at once (nx_feed_out_flush). Hot.
 */
void nx_feed_out_event(struct nx_feed_out *o, const struct nx_event *ev);

/* The same for a record made by the caller (r is copied; the outbox does
 * not check it: the publisher does). */
void nx_feed_out_rec(struct nx_feed_out *o, const struct nx_feed_rec *r);

/*
 * Onto the ring: first the backlog (and losses waiting to be announced,
 * into it), at most NX_FEED_OUT_DRAIN_RECS records of it, then, if it is
 * empty, the buffer; what does not go is backlogged (trades), lost and to
 * be announced (trades, backlog full) or dropped (the rest, instruments
 * stale). Call it between bursts: nothing else bounds how long a record
 * waits in the buffer or the backlog. Costs O(records put + NX_FEED_OUT_BUF).
 */
void nx_feed_out_flush(struct nx_feed_out *o);

/*
 * Re-image stale instruments (nx_feed_image from b, the shard's book, each
 * image put whole or not at all), after a flush, and only once the backlog
 * is empty. In the order they became stale (at init: every instrument, in
 * id order); stops at the first image the ring has no room for, or once
 * this call has put NX_FEED_OUT_REIMAGE_RECS records, the backlog's its
 * flush drained included: the rest wait for the next call. Costs O(1) when
 * nothing can be re-imaged, else O(records put).
 */
void nx_feed_out_reimage(struct nx_feed_out *o, const struct nx_book *b);

/* Between bursts: nx_feed_out_flush if anything waits, then
 * nx_feed_out_reimage if an instrument is stale, the two within one
 * NX_FEED_OUT_REIMAGE_RECS of backlog and images (and the end of an
 * image). Cheap when there is nothing to do. */
void nx_feed_out_poll(struct nx_feed_out *o, const struct nx_book *b);

/* 1 when nothing waits (buffer and backlog empty, no loss unannounced, no
 * instrument stale), else 0. */
int nx_feed_out_idle(const struct nx_feed_out *o);

/* Records in the backlog now (trades, and TRADES_LOST waiting their turn). */
uint32_t nx_feed_out_backlog(const struct nx_feed_out *o);

/* Instruments stale now. */
uint32_t nx_feed_out_stale(const struct nx_feed_out *o);

const struct nx_feed_out_stats *nx_feed_out_stats(const struct nx_feed_out *o);

/* --- Subscriber ------------------------------------------------------------------------ */

#define NX_FEED_SUB_PAYLOAD_DEFAULT 1472u /* the most a 1500-byte MTU carries */
#define NX_FEED_MAX_HOLD            (1u << 16)
#define NX_FEED_MAX_REPLAY          (1u << 26)

struct nx_feed_sub_config {
	uint32_t max_instruments; /* books, 1 .. NX_FEED_MAX_INSTRUMENTS; messages for
	                             more are counted (inst_capacity) and skipped */
	uint32_t max_levels;      /* per instrument and side, 1 .. NX_FEED_MAX_LEVELS;
	                             a level beyond drops the worst (level_capacity) */
	uint32_t hold_pkts;       /* incremental packets held past a gap, 0 ..
	                             NX_FEED_MAX_HOLD; one more gives up the gap */
	uint32_t replay_msgs;     /* LevelUpdate/BookClear messages kept for replay
	                             after a snapshot, 0 .. NX_FEED_MAX_REPLAY;
	                             rounded up to a power of two (40 bytes each) */
	uint8_t from_start;       /* 1: expect sequence 1, every book synced (empty) at
	                             start; 0: join where the feed is, every book
	                             stale until its snapshot (a late joiner) */
	uint32_t max_payload;     /* largest packet that can be held; 0:
	                             NX_FEED_SUB_PAYLOAD_DEFAULT. A larger AHEAD
	                             packet is dropped (hold_too_big) and recovered
	                             by the retransmission of the gap */
};

/* Counters, monotonic from init. Packet-level counters are the two
 * MoldUDP64 receivers' (nx_feed_sub_mold_stats). */
struct nx_feed_sub_stats {
	uint64_t msgs;             /* incremental messages delivered in sequence */
	uint64_t applied;          /* LevelUpdate, BookClear, InstrumentStatus
	                              applied to a synced book */
	uint64_t trades;           /* Trade messages (kept per instrument whatever its state) */
	uint64_t trades_lost_msgs; /* TradesLost messages: the venue could not publish trades */
	uint64_t trades_lost;      /*   the trades they say were not published, summed */
	uint64_t stale_ignored;    /* the same for a stale book: not applied (a
	                              status still sets it) */
	uint64_t replayed;         /* messages applied from the replay buffer after an image */
	uint64_t errs[NX_FEED_ERR_MAX]; /* messages failing nx_feed_decode, by -code */
	uint64_t wrong_channel;    /* SnapshotLevels on the incremental channel or the reverse */
	uint64_t inst_capacity;    /* messages for an instrument beyond max_instruments */
	uint64_t level_capacity;   /* levels dropped at max_levels (the book is incomplete) */
	uint64_t level_unknown;    /* removals of a level the book does not hold */
	uint64_t held;             /* AHEAD packets copied into the hold */
	uint64_t hold_dups;        /* AHEAD packets already held (their number, no more messages) */
	uint64_t hold_too_big;     /* AHEAD packets longer than max_payload: dropped */
	uint64_t hold_full;        /* AHEAD packets that found the hold full: a give-up */
	uint64_t give_ups;         /* gaps skipped (every book stale), by nx_feed_sub_give_up
	                              or a full hold */
	uint64_t skipped_msgs;     /* messages skipped by those */
	uint64_t snap_msgs;        /* SnapshotLevels messages decoded */
	uint64_t snap_ignored;     /*   chunks for a synced book */
	uint64_t snap_broken;      /*   images abandoned (another image began), and chunks
	                              out of order or of an image whose start was lost */
	uint64_t snap_images;      /* complete images received for a stale book */
	uint64_t snap_synced;      /*   used at once (replaying messages after lastSeq) */
	uint64_t snap_pending;     /*   ahead of the incrementals: kept, waiting */
	uint64_t snap_too_old;     /*   lastSeq before what the replay buffer reaches: dropped */
	uint64_t snap_expired;     /* pending images found unusable (their lastSeq skipped) */
	uint64_t snap_foreign;     /* images pending or in progress dropped: their session
	                              was not the incremental channel's, once that latched */
};

struct nx_feed_sub;

/* Bytes nx_feed_sub_init needs for cfg; 0 if cfg is invalid or overflows. */
size_t nx_feed_sub_memsize(const struct nx_feed_sub_config *cfg);

/* Lay a subscriber out in mem (>= memsize bytes, NX_CACHE_LINE-aligned);
 * the session is latched from the first valid incremental packet. Returns
 * it (== mem), or NULL with errno EINVAL. */
struct nx_feed_sub *nx_feed_sub_init(void *mem, size_t len, const struct nx_feed_sub_config *cfg);

/* nx_feed_sub_init on aligned_alloc memory; NULL with errno EINVAL or
 * ENOMEM. nx_feed_sub_destroy frees it (NULL is fine). */
struct nx_feed_sub *nx_feed_sub_create(const struct nx_feed_sub_config *cfg);
void nx_feed_sub_destroy(struct nx_feed_sub *s);

/*
 * One packet of the incremental channel, or of a retransmission answer.
 * Delivered messages are applied in sequence order: to synced books; a
 * stale book ignores LevelUpdate and BookClear; Trade updates the
 * instrument's last trade, TradesLost its count of trades the venue could
 * not publish, and InstrumentStatus its status, in any state.
 * Every delivered LevelUpdate, BookClear and InstrumentStatus also enters
 * the replay buffer. A message that does not decode (but an unknown
 * template, a Trade or a TradesLost: no book in them) is lost: every book goes stale, as in a give-up.
 * An AHEAD packet is held; once
 * the gap is filled, held packets are replayed. A full hold gives the gap
 * up first (as nx_feed_sub_give_up) and then takes the packet. Returns the
 * MoldUDP64 verdict (enum nx_mold_kind > 0) or drop reason (< 0).
 */
int nx_feed_sub_incremental(struct nx_feed_sub *s, const uint8_t *pkt, size_t len);

/*
 * One packet of the snapshot channel (its own MoldUDP64 sequence, gaps
 * skipped and counted; the session must be the incremental channel's once
 * that is known). A stale book is rebuilt from a complete image, chunks
 * 0 .. chunks-1 in consecutive order; a synced book ignores snapshots. For
 * a complete image with lastSeq L, where D is the last incremental message
 * delivered:
 * - L <= D and the replay buffer reaches back to L + 1: the image is applied,
 *   then the buffered messages after L for this instrument; the book is
 *   synced;
 * - L + 1 before what the buffer (or the contiguous delivery) reaches: the
 *   image is dropped (snap_too_old), the book waits for the next cycle;
 * - L > D (the snapshot overtook the incrementals, or nothing was received
 *   yet): the image is kept and the book is pending: incrementals up to L
 *   are ignored, the first one after L syncs it. If delivery turns out not
 *   to reach L + 1 contiguously (a gap given up), the book is stale again.
 * Returns the MoldUDP64 verdict or drop reason, as nx_feed_sub_incremental.
 */
int nx_feed_sub_snapshot(struct nx_feed_sub *s, const uint8_t *pkt, size_t len);

/* The retransmission request for the start of the outstanding gap (20
 * bytes into out), or 0 if there is none or cap < 20. Send it again on the
 * caller's timer until the gap closes, or give up. */
size_t nx_feed_sub_request(const struct nx_feed_sub *s, uint8_t *out, size_t cap);

/* The gap is not filled in time: skip to the first held packet (or to the
 * highest sequence number known), replay the hold, mark every book stale
 * until its next snapshot. Nothing happens when there is no gap. */
void nx_feed_sub_give_up(struct nx_feed_sub *s);

/*
 * 1 when the book of inst is a correct image as of the last message
 * delivered: synced, or pending with the incrementals past its image. An
 * instrument not in the subscriber's table is synced (empty) unless the
 * subscriber joined late, gave a gap up, or had no room for an instrument
 * (inst_capacity: it may have been this one). 0 otherwise.
 */
int nx_feed_sub_synced(const struct nx_feed_sub *s, nx_inst_t inst);

/* The sequence number of the last incremental message delivered (applied
 * or not), 0 before the first. Everything the publisher has numbered up to
 * it has been delivered since the last gap given up. */
uint64_t nx_feed_sub_last_seq(const struct nx_feed_sub *s);

/* Up to n levels of one side (NX_SIDE_BUY / NX_SIDE_SELL), best first, as
 * the book holds them now (check nx_feed_sub_synced to trust them). Number
 * written, or -ENOENT (no message named inst) / -EINVAL (bad side). */
int nx_feed_sub_depth(const struct nx_feed_sub *s, nx_inst_t inst, unsigned side,
		      struct nx_level_info *out, unsigned n);

struct nx_feed_inst_info {
	uint8_t synced;           /* nx_feed_sub_synced */
	uint8_t incomplete;       /* levels may be missing: an image flagged
	                             NX_FEED_SNAP_INCOMPLETE or max_levels reached,
	                             until the next BookClear */
	uint8_t last_side;        /* aggressor of the last trade, 0 if none */
	uint8_t status;           /* trading status (enum nx_inst_status) from the
	                             last InstrumentStatus or image; 0: none seen */
	uint32_t levels[2];       /* bid, ask levels held */
	uint64_t trades;          /* Trade messages */
	uint64_t trades_lost;     /* trades the venue announced it could not publish
	                             (TradesLost messages, summed): the tape has
	                             trades + trades_lost prints of this instrument */
	nx_qty_t trades_lost_qty; /* their quantity in all (saturated) */
	nx_tid_t last_tid;
	nx_px_t last_px;
	nx_qty_t last_qty;
};

/* 0 with *out filled, or -ENOENT. */
int nx_feed_sub_instrument(const struct nx_feed_sub *s, nx_inst_t inst,
			   struct nx_feed_inst_info *out);

const struct nx_feed_sub_stats *nx_feed_sub_stats(const struct nx_feed_sub *s);

/* The MoldUDP64 receiver's counters of NX_FEED_INCREMENTAL (retransmission
 * answers included) or NX_FEED_SNAPSHOT; NULL for another channel. */
const struct nx_mold_stats *nx_feed_sub_mold_stats(const struct nx_feed_sub *s, unsigned channel);

/* Verify every invariant (cold, O(size)): each side sorted strictly best
 * first, within max_levels, every level qty > 0 and orders > 0. 0, or
 * -EFAULT with *why naming the first violation. */
int nx_feed_sub_check(const struct nx_feed_sub *s, const char **why);

#endif /* NX_FEED_H */
