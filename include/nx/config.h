/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The venue configuration file: instruments, accounts (credentials, STP,
 * limits, restricted instruments) and capacities, in libconfig syntax
 * (docs/configuration.md). Loading is cold code run once at start-up; it
 * allocates, reads the file and validates every field. A bad file fails
 * with one message naming the file, the line and the field (the file and
 * the section alone for a required section left out, which has no line).
 *
 * Not thread-safe; a loaded configuration is plain data and may be read
 * from any thread once loaded.
 */
#ifndef NX_CONFIG_H
#define NX_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "nx/instrument.h"
#include "nx/types.h"

#define NX_KEY_BYTES 32 /* account secret keys: 256 bits */

/* Per-account pre-trade limits. Every limit is explicit: 0 allows nothing
 * (there is no "unlimited"); set a large value to make a limit idle. */
struct nx_limits {
	int64_t max_order_notional; /* price x quantity of one order */
	int64_t position_limit;     /* |position +/- open orders on a side|, per instrument */
	int64_t credit_limit;       /* open order notional + |position| x reference price, all instruments */
	uint32_t max_open_orders;   /* live orders of the account */
	uint32_t msg_rate;          /* messages per second, per session (token refill) */
	uint32_t msg_burst;         /* token bucket depth */
};

struct nx_account_config {
	nx_acct_t id;
	uint8_t key[NX_KEY_BYTES];
	uint32_t src_ip;            /* IPv4, host byte order; 0: any source */
	uint32_t stp_group;         /* 0: its own group */
	uint8_t stp;                /* enum nx_stp default, NX_STP_NONE unless set */
	uint8_t admin;              /* may send admin messages */
	uint8_t cancel_on_disconnect;
	nx_acct_t drop_copy;        /* the account that receives a copy of this one's
	                               execution reports (docs/protocol.md#drop-copy);
	                               0: none. That account may not trade. */
	struct nx_limits limits;
	uint32_t nrestricted;
	nx_inst_t *restricted;      /* instruments the account may not trade */
};

/* The appliance's network side (nanoex and nanoex-sock read it; the
 * pipeline does not). Absent from the file: nports == 0. */
#define NX_NET_MAX_PORTS  8
#define NX_NET_MAX_SHARDS 16

struct nx_port_config {
	char device[64];            /* DPDK device: PCI address or vdev name ("net_tap0") */
	uint32_t ipv4;              /* the venue's address on it, host byte order */
};

struct nx_shard_config {
	uint32_t lcore;             /* DPDK lcore id (the twin: the CPU to pin to) */
	uint16_t udp_port;          /* sessions reach this shard on this port */
	uint32_t ninstruments;
	nx_inst_t *instruments;     /* each configured instrument is in exactly one shard */
};

struct nx_net_config {
	uint32_t nports, nshards;
	struct nx_port_config ports[NX_NET_MAX_PORTS];
	struct nx_shard_config shards[NX_NET_MAX_SHARDS];
	uint32_t mbufs;             /* mbuf pool per port */
	uint16_t rx_desc, tx_desc;  /* descriptors per queue */
	uint16_t burst;             /* rx_burst size */
	uint32_t idle_sleep_us;     /* 0: pure busy polling */
};

/*
 * The appliance's market data (nanoex; docs/configuration.md#market_data).
 * One service lcore runs both halves. Absent from the file: enabled == 0.
 */
#define NX_MD_MAX_MAP 256

enum nx_md_ref_source {
	NX_MD_REF_MID  = 1,         /* (best bid + best offer) / 2, both sides present */
	NX_MD_REF_LAST = 2,         /* the last trade's price */
};

/* An ITCH stock whose price is a venue instrument's reference price. */
struct nx_md_map {
	char symbol[9];             /* ITCH stock symbol, NUL-terminated, no padding */
	uint8_t source;             /* enum nx_md_ref_source */
	nx_inst_t inst;
	int64_t px_mul, px_div;     /* venue price = Price(4) x mul / div, to the nearest tick */
};

/* Inbound: ITCH 5.0 over MoldUDP64 (docs/market-data.md). */
struct nx_md_itch_config {
	uint16_t udp_port;          /* the feed arrives here; 0: no inbound feed */
	uint32_t group;             /* multicast group joined, host order; 0: unicast */
	uint32_t source_ip;         /* the feed's sender, host order; 0: not checked */
	char session[10];           /* MoldUDP64 session to follow, if have_session */
	uint8_t have_session;
	uint32_t request_ip;        /* retransmission server; 0: none (gaps are skipped) */
	uint16_t request_port;
	uint32_t request_ms;        /* a gap is asked for again after this long */
	uint32_t give_up_ms;        /* and given up (counted lost) after this long */
	uint32_t max_orders, max_levels, max_locates; /* book capacities (nx/mdbook.h) */
	uint32_t ref_interval_us;   /* at most one reference price per instrument this often */
	uint32_t nmap;
	struct nx_md_map map[NX_MD_MAX_MAP];
};

/* Outbound: the venue's own feed (NXM, docs/market-data.md). */
struct nx_md_feed_config {
	uint32_t group;             /* multicast group, host order; 0: no feed */
	uint16_t incremental_port, snapshot_port, retransmit_port;
	char session[10];           /* if have_session; else the appliance names one per
	                               start (nx_feed_session_name) */
	uint8_t have_session;
	uint32_t history;           /* incremental messages kept for retransmission */
	uint32_t max_levels;        /* per instrument and side in snapshots */
	uint32_t heartbeat_ms, snapshot_ms;
	uint32_t retrans_max;       /* messages in one retransmission answer */
	uint32_t retrans_rate;      /* answers a second to one requester; 0: no limit */
	uint32_t retrans_total_rate; /* answers a second to all; 0: no limit */
	uint32_t ring;              /* book changes a shard can queue for the publisher */
	uint32_t trade_backlog;     /* trades a shard keeps while its ring is full
	                               (nx_feed_out_config.backlog) */
};

struct nx_md_config {
	uint8_t enabled;
	uint32_t lcore;             /* the service lcore (may be nanoex's main lcore) */
	struct nx_md_itch_config itch;
	struct nx_md_feed_config feed;
};

/* The file's defaults for sessions.retransmit_rate and _burst: ten times
 * what a session recovering from 1% loss of a busy flow (100,000 messages
 * a second) asks for, and four whole histories at once (a reconnect that
 * recovers everything, with its answer lost and asked for again). */
#define NX_RETRANSMIT_RATE_DEFAULT 10000u
#define NX_RETRANSMIT_BURST_HISTORIES 4u

struct nx_venue_config {
	char path[256];             /* the file it came from */
	/* Each shard's book: its capacities, and a tuning threshold. */
	uint32_t max_orders;
	uint32_t ladder_ticks;
	/* nx_engine_prefetch gives hints only while the book holds at least
	 * this many orders; 0 (the default): never. Off unless measured to
	 * pay on the host (docs/performance.md, session 21). */
	uint32_t prefetch_min_orders;
	/* Sessions. */
	uint32_t max_sessions;
	uint32_t sessions_per_account; /* session slots one account may take; 0: no cap */
	uint32_t keepalive_ms;      /* heartbeat interval the venue asks for */
	uint32_t history;           /* sent messages kept per session for retransmission */
	/* Retransmission budget of each session: a token bucket in messages
	 * resent, refilled at retransmit_rate a second up to retransmit_burst
	 * (>= history, so a request for the whole history can be served). A
	 * RetransmitRequest is served whole or refused RETRANSMIT_THROTTLED.
	 * retransmit_rate 0: no limit (what a config built in code without
	 * setting it gets; the file loader's defaults are below). */
	uint32_t retransmit_rate;   /* messages a second */
	uint32_t retransmit_burst;  /* messages */
	uint32_t ninstruments, naccounts;
	struct nx_instrument *instruments;
	struct nx_account_config *accounts;
	struct nx_net_config net;
	struct nx_md_config md;
};

/*
 * Load and validate a configuration file into *out (zeroed first). Returns
 * 0, or -EINVAL / -ENOENT / -ENOMEM with a one-line message in err
 * ("venue.cfg:12: accounts[1].limits.credit_limit: must be >= 0";
 * "venue.cfg: accounts: missing: ..." for a section left out).
 * On failure *out holds nothing to free.
 */
int nx_config_load(const char *path, struct nx_venue_config *out, char *err, size_t errlen);

/* Free what nx_config_load allocated. A zeroed struct is a no-op. */
void nx_config_free(struct nx_venue_config *cfg);

/*
 * The configuration of shard `shard` alone, into *out (zeroed first): the
 * same accounts, capacities and net section, only the shard's instruments,
 * and restricted lists cut to them. Free it with nx_config_free. Returns 0,
 * -EINVAL (no such shard, or the shard lists an id that is no configured
 * instrument: a configuration not from nx_config_load) or -ENOMEM. Time and
 * memory linear in the configuration (it builds an index of the
 * instruments for the call).
 */
int nx_config_shard(const struct nx_venue_config *cfg, uint32_t shard, struct nx_venue_config *out);

/* The shard that trades this instrument, or -1 (none, or no net section).
 * A walk of the shards' lists, as the two below walk theirs: for a few
 * look-ups, not for one per instrument or account. */
int nx_config_shard_of(const struct nx_venue_config *cfg, nx_inst_t id);

/* The account / instrument with this id, or NULL. */
const struct nx_account_config *nx_config_account(const struct nx_venue_config *cfg, nx_acct_t id);
const struct nx_instrument *nx_config_instrument(const struct nx_venue_config *cfg, nx_inst_t id);

#endif /* NX_CONFIG_H */
