/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The market-data service's stop (dpdk_apps/nanoex/service.c,
 * nx_service_stop) with the real service and shard objects on an EAL
 * without hugepages: a shard's outbox holds a ring and a backlog of trades,
 * and the stop must put them all on the feed, then the end of session,
 * through a TX queue that takes frames only as fast as its NIC sends them.
 * The port is a net_ring whose transmit ring of the service's queue holds
 * 63 frames; a TX callback plays the NIC, sending a set number of frames
 * each time the queue is offered some (tx_burst), into a subscriber.
 *
 * Regression ("the shutdown drain can exceed TX (tx_full)"): the stop
 * pushed a ring's worth of records a round through the publisher and
 * tx_flush tried the queue 8 times before freeing what it refused
 * (tx_full): here 40,000 trades made 1,253 packets, the queue took 365 and
 * 888 were freed, lost with no one left to answer a retransmission request
 * (the end of session among them). Now the stop paces the publisher by the frames the queue has room
 * for and keeps what it refuses; it gives up only after the queue takes
 * nothing for NX_STOP_STALL_LOOPS loops, and counts what it lost, packets
 * the pool had no mbuf for included.
 *
 * A shard's stop (nx_shard_main once app.quit is set) on the same port:
 * every bound session's Terminate goes out at the queue's pace.
 *
 * The service's loop (nx_service_main) too, on the same port: two shards,
 * one of which keeps its ring full (the TX callback refills it each time
 * the service sends), must not keep the other shard's records, the feed's
 * timers or a retransmission answer waiting for more than one loop's
 * quota of records (NX_FEED_QUOTA a shard). The loop once emptied each
 * ring before the next. The clock is frozen (now_ns 0): nothing here
 * depends on time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "../../dpdk_apps/nanoex/nanoex.h"
#include "../engine_helpers.h"

#define TRADES   40000u
#define INC_PORT 31001
#define NQ       3 /* queue pairs: a shard's each, the service's (1 with one shard, 2 with two) */

static struct nx_app app;
static struct rte_mempool *pool;
static struct rte_ring *rxr[NQ], *txr[NQ]; /* the port's queues, RX and TX apart */
static uint16_t port;

/* The NIC behind the service's queue: per_call frames sent each time the
 * queue is offered frames, up to budget in all, into a subscriber. */
struct nic {
	unsigned per_call;
	uint64_t budget;
	uint64_t sent;
	struct nx_feed_sub *sub;
	unsigned ended, bad;
};

static void nic_send(struct nic *n, struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	int rc;

	if (m->data_len <= NX_NET_UDP_HDR_LEN || nx_net_ld_be16(f + 36) != INC_PORT) {
		n->bad++;
	} else {
		rc = nx_feed_sub_incremental(n->sub, f + NX_NET_UDP_HDR_LEN,
					     m->data_len - NX_NET_UDP_HDR_LEN);
		if (rc == NX_MOLD_END)
			n->ended++;
		else if (rc != NX_MOLD_DATA)
			n->bad++;
	}
	n->sent++;
	rte_pktmbuf_free(m);
}

static uint16_t nic_cb(uint16_t port_id, uint16_t queue, struct rte_mbuf **pkts, uint16_t nb,
		       void *arg)
{
	struct nic *n = arg;
	void *m;

	(void)port_id;
	(void)queue;
	(void)pkts;
	for (unsigned k = 0; k < n->per_call && n->sent < n->budget; k++) {
		if (rte_ring_sc_dequeue(txr[1], &m))
			break;
		nic_send(n, m);
	}
	return nb;
}

/* What the queue still holds once the stop is over, sent. */
static uint64_t nic_rest(struct nic *n)
{
	uint64_t k = 0;
	void *m;

	while (!rte_ring_sc_dequeue(txr[1], &m)) {
		nic_send(n, m);
		k++;
	}
	return k;
}

struct venue {
	uint32_t nshards;
	struct nx_engine *e[2];
	struct nx_shard *shard[2], *io;
	struct nx_service *v;
};

/* nshards shards (shard i trades instrument INST + i) and the service on
 * queue nshards, as nanoex sets them up; feed rings of `ring` records. */
static void venue_base(struct venue *w, uint32_t nshards, uint32_t ring, uint32_t snapshot_ms)
{
	static nx_inst_t ids[2] = { INST, INST + 1 };
	static struct nx_instrument inst[2] = { { .id = INST }, { .id = INST + 1 } };
	static const struct nx_md_feed_config feed = {
		.group = NX_NET_IP4(239, 1, 2, 3), .incremental_port = INC_PORT,
		.snapshot_port = INC_PORT + 1, .retransmit_port = INC_PORT + 2,
		.session = { 'N', 'X', 'S', 'T', 'O', 'P', 'T', 'E', 'S', 'T' }, .have_session = 1,
		.history = 1u << 16, .max_levels = 16, .retrans_max = 100,
		.trade_backlog = 1u << 17,
	};
	struct nx_port p0 = app.port[0];
	size_t nb = nx_net_neigh_memsize(NX_NEIGH_CAP);
	void *nm;

	assert_true(nshards >= 1 && nshards <= 2 && nshards < NQ);
	memset(&app, 0, sizeof(app));
	memset(w, 0, sizeof(*w));
	w->nshards = nshards;
	app.port[0] = p0;
	app.nports = 1;
	app.nshards = nshards;
	app.nqueues = nshards + 1;
	app.burst = 32;
	app.cfg.ninstruments = nshards;
	app.cfg.instruments = inst;
	app.cfg.net.nshards = nshards;
	app.cfg.md.enabled = 1;
	app.cfg.md.lcore = rte_get_main_lcore();
	app.cfg.md.feed = feed;
	app.cfg.md.feed.ring = ring;
	app.cfg.md.feed.snapshot_ms = snapshot_ms;
	app.shard_of_udp[feed.retransmit_port] = (uint8_t)(nshards + 1);
	for (uint32_t i = 0; i < nshards; i++) {
		app.cfg.net.shards[i].ninstruments = 1;
		app.cfg.net.shards[i].instruments = &ids[i];
		w->e[i] = make_engine();
		w->shard[i] = rte_zmalloc("s", sizeof(*w->shard[i]), RTE_CACHE_LINE_SIZE);
		assert_true(w->e[i] && w->shard[i]);
		w->shard[i]->app = &app;
		w->shard[i]->index = i;
		w->shard[i]->e = w->e[i];
		app.shard[i] = w->shard[i];
	}
	w->io = rte_zmalloc("io", sizeof(*w->io), RTE_CACHE_LINE_SIZE);
	nm = rte_zmalloc("neigh", nb, RTE_CACHE_LINE_SIZE);
	assert_true(w->io && nm);
	w->io->app = &app;
	w->io->index = nshards;
	w->io->neigh[0] = nx_net_neigh_init(nm, nb, NX_NEIGH_CAP);
	w->io->steer = rte_ring_create("t_steer", 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
	assert_true(w->io->neigh[0] && w->io->steer);
	app.shard[nshards] = w->io;
	assert_int_equal(nx_service_init(&app, w->io, SOCKET_ID_ANY), 0);
	w->v = app.svc;
	assert_non_null(w->v->pub);
}

/* One shard (instrument INST) and the service; the shard's outbox given its
 * opening image and TRADES trades, of which its ring (1,023 records) takes
 * the first ones and its backlog the rest, as after a burst the service had
 * no time for. */
static void venue_open(struct venue *w)
{
	struct nx_feed_out *o;

	venue_base(w, 1, 1024, 0);
	o = w->shard[0]->md.out;
	assert_non_null(o);
	nx_feed_out_poll(o, w->shard[0]->md.book); /* the opening image: CLEAR, STATUS */
	for (uint32_t t = 1; t <= TRADES; t++) {
		struct nx_feed_rec r = { .type = NX_FEED_REC_TRADE, .side = NX_SIDE_BUY,
					 .inst = INST, .px = 1000, .qty = 1, .n = t };
		nx_feed_out_rec(o, &r);
	}
	nx_feed_out_flush(o);
	assert_int_equal(rte_ring_count(w->shard[0]->md.feed), 1023);
	assert_int_equal(nx_feed_out_backlog(o), TRADES + 2 - 1023);
	assert_int_equal(nx_feed_out_stats(o)->trades_lost, 0);
}

static void venue_close(struct venue *w)
{
	nx_service_free(&app);
	rte_ring_free(w->io->steer);
	rte_free(w->io->neigh[0]);
	rte_free(w->io);
	for (uint32_t i = 0; i < w->nshards; i++) {
		rte_free(w->shard[i]);
		nx_engine_destroy(w->e[i]);
	}
}

static struct nx_feed_sub *subscriber(void)
{
	const struct nx_feed_sub_config sc = { .max_instruments = 4, .max_levels = 16,
					       .hold_pkts = 4, .replay_msgs = 64,
					       .from_start = 1 };
	struct nx_feed_sub *s = nx_feed_sub_create(&sc);

	assert_non_null(s);
	return s;
}

/* A NIC that sends one frame each time it is offered frames: slower than
 * the stop makes them. Every trade reaches the subscriber, in order, then
 * the end of session; nothing is refused for good. */
static void test_stop_paced_by_tx(void **state)
{
	struct venue w;
	struct nic n = { .per_call = 1, .budget = UINT64_MAX };
	struct nx_feed_inst_info fi;
	unsigned avail = rte_mempool_avail_count(pool);
	const struct rte_eth_rxtx_callback *cb;

	(void)state;
	venue_open(&w);
	n.sub = subscriber();
	cb = rte_eth_add_tx_callback(port, 1, nic_cb, &n);
	assert_non_null(cb);
	nx_service_stop(w.v);
	nic_rest(&n);
	assert_int_equal(rte_eth_remove_tx_callback(port, 1, cb), 0);

	assert_int_equal(w.io->io.tx_full, 0);
	assert_int_equal(w.v->feed_stop_lost_pkts, 0);
	assert_int_equal(n.bad, 0);
	assert_int_equal(n.ended, 1);
	assert_int_equal(n.sent, w.v->feed_pkts[NX_FEED_INCREMENTAL]);
	assert_int_equal(nx_feed_sub_mold_stats(n.sub, NX_FEED_INCREMENTAL)->gaps, 0);
	assert_int_equal(nx_feed_sub_last_seq(n.sub), TRADES + 2);
	assert_int_equal(nx_feed_sub_instrument(n.sub, INST, &fi), 0);
	assert_int_equal(fi.trades, TRADES);
	assert_int_equal(fi.synced, 1);
	assert_int_equal(nx_feed_out_idle(w.shard[0]->md.out), 1);
	nx_feed_sub_destroy(n.sub);
	venue_close(&w);
	assert_int_equal(rte_mempool_avail_count(pool), avail); /* each frame freed once */
}

/* A NIC that stops after 100 frames (a link gone down): the stop gives up
 * after NX_STOP_STALL_LOOPS loops that move nothing, frees what it holds,
 * and counts both the frames lost and the records it never published. */
static void test_stop_gives_up_on_a_dead_queue(void **state)
{
	struct venue w;
	struct nic n = { .per_call = 4, .budget = 100 };
	unsigned avail = rte_mempool_avail_count(pool);
	const struct rte_eth_rxtx_callback *cb;
	const struct nx_feed_pub_stats *ps;
	uint64_t queued;

	(void)state;
	venue_open(&w);
	n.sub = subscriber();
	cb = rte_eth_add_tx_callback(port, 1, nic_cb, &n);
	assert_non_null(cb);
	nx_service_stop(w.v);
	assert_int_equal(rte_eth_remove_tx_callback(port, 1, cb), 0);
	assert_int_equal(n.sent, 100);
	n.budget = UINT64_MAX;
	queued = nic_rest(&n); /* in the queue: sent once the link is back */
	assert_int_equal(queued, 63);
	ps = nx_feed_pub_stats(w.v->pub);

	/* Every packet made: sent, or held by the queue, or counted lost. */
	assert_true(w.v->feed_stop_lost_pkts > 0);
	assert_int_equal(w.io->io.tx_full, w.v->feed_stop_lost_pkts);
	assert_int_equal(w.v->feed_pkts[NX_FEED_INCREMENTAL],
			 100 + queued + w.v->feed_stop_lost_pkts);
	/* Every record: published, or counted unsent. */
	assert_true(w.v->feed_stop_unsent_recs > 0);
	assert_int_equal(ps->msgs + w.v->feed_stop_unsent_recs, TRADES + 2);
	assert_int_equal(ps->ends, 1); /* made, though not sent */
	assert_int_equal(n.ended, 0);
	nx_feed_sub_destroy(n.sub);
	venue_close(&w);
	assert_int_equal(rte_mempool_avail_count(pool), avail);
}

/* Regression (review of the stop): a packet the pool had no mbuf for was
 * counted in feed_no_mbuf only, so feed_stop_lost_pkts said 0 of a stop
 * that lost it for good. With no mbuf at all every packet the stop makes is
 * lost, the end of session's too, and every one is counted lost. */
static void test_stop_counts_packets_without_mbuf(void **state)
{
	static struct rte_mbuf *held[8192];
	struct venue w;
	struct nic n = { .per_call = 64, .budget = UINT64_MAX };
	unsigned avail = rte_mempool_avail_count(pool), nheld = 0;
	const struct rte_eth_rxtx_callback *cb;
	const struct nx_feed_pub_stats *ps;

	(void)state;
	venue_open(&w);
	n.sub = subscriber();
	cb = rte_eth_add_tx_callback(port, 1, nic_cb, &n);
	assert_non_null(cb);
	while (nheld < NX_ARRAY_SIZE(held) && (held[nheld] = rte_pktmbuf_alloc(pool)) != NULL)
		nheld++;
	assert_int_equal(rte_mempool_avail_count(pool), 0);
	nx_service_stop(w.v);
	assert_int_equal(rte_eth_remove_tx_callback(port, 1, cb), 0);
	for (unsigned i = 0; i < nheld; i++)
		rte_pktmbuf_free(held[i]);
	ps = nx_feed_pub_stats(w.v->pub);

	assert_int_equal(ps->msgs, TRADES + 2); /* every record published ... */
	assert_int_equal(ps->ends, 1);
	assert_true(ps->pkts[NX_FEED_INCREMENTAL] > 1);
	assert_int_equal(n.sent, 0);            /* ... and no packet sent */
	assert_int_equal(w.v->feed_pkts[NX_FEED_INCREMENTAL], 0);
	assert_int_equal(w.v->feed_no_mbuf, ps->pkts[NX_FEED_INCREMENTAL]);
	assert_int_equal(w.v->feed_stop_lost_pkts, ps->pkts[NX_FEED_INCREMENTAL]);
	assert_int_equal(w.v->feed_stop_unsent_recs, 0);
	assert_int_equal(w.io->io.tx_full, 0);
	nx_feed_sub_destroy(n.sub);
	venue_close(&w);
	assert_int_equal(rte_mempool_avail_count(pool), avail);
}

/* --- The loop: one shard keeps its ring full ------------------------------------------ */

#define FIRE_RING (1u << 15) /* shard 0's feed ring: 32,767 records */
#define FIRE_CAP  (1u << 18) /* records the fast shard makes in all: ends the old drain */
#define LOOP_CAP  1000u      /* loops before the test stops the service: a hang guard */
#define REQ_PORT  40000
#define REQ_IP    NX_NET_IP4(10, 0, 0, 2)

/* The NIC behind the service's queue (what it sends, in order) and the fast
 * shard behind shard 0's ring. Set in TX callbacks: counters, no asserts. */
struct watch {
	struct venue *w;
	int refill;              /* keep shard 0's ring full */
	uint64_t fire_put;       /* trades put on shard 0's ring: ids 1 .. fire_put */
	uint64_t fire_seen;      /* of them sent, each the next id */
	uint64_t next_seq;       /* the next incremental message expected */
	uint64_t other_seq[2];   /* the sequence numbers of shard 1's trades 1 and 2; 0: unseen */
	uint64_t snap_last_seq;  /* the first snapshot's lastSeq */
	uint64_t answer_after;   /* the last incremental message sent before the answer */
	uint64_t inj_msgs;       /* messages numbered when the request and trade 2 came */
	uint64_t inj_loop, answer_loop, snap_loop, other2_loop; /* the service's loops then */
	unsigned snaps, answers, ends, others, bad;
	int injected;
};

static uint64_t be64(const uint8_t *p)
{
	return nx_itch_be64(p);
}

static struct nx_feed_rec fire_trade(nx_inst_t inst, uint64_t tid)
{
	return (struct nx_feed_rec){ .type = NX_FEED_REC_TRADE, .side = NX_SIDE_BUY, .inst = inst,
				     .px = 1000, .qty = 1, .n = tid };
}

static void fire_refill(struct watch *x)
{
	struct rte_ring *r = x->w->shard[0]->md.feed;
	struct nx_feed_rec recs[64];
	unsigned room, n, put;

	while (x->fire_put < FIRE_CAP && (room = rte_ring_free_count(r)) > 0) {
		n = RTE_MIN(room, (unsigned)NX_ARRAY_SIZE(recs));
		n = (unsigned)RTE_MIN((uint64_t)n, FIRE_CAP - x->fire_put);
		for (unsigned k = 0; k < n; k++)
			recs[k] = fire_trade(INST, x->fire_put + k + 1);
		put = rte_ring_sp_enqueue_burst_elem(r, recs, sizeof(recs[0]), n, NULL);
		x->fire_put += put;
		if (put < n)
			break;
	}
}

static void watch_incremental(struct watch *x, const uint8_t *pl, size_t len)
{
	uint64_t seq = be64(pl + 10);
	unsigned count = nx_net_ld_be16(pl + 18), k = 0;
	struct nx_mold_blocks it;
	const uint8_t *msg;
	size_t ml;

	if (seq != x->next_seq)
		x->bad++;
	if (count == NX_MOLD_COUNT_END) {
		x->ends++;
		return;
	}
	nx_mold_blocks_init(&it, pl + NX_MOLD_HDR_LEN, len - NX_MOLD_HDR_LEN);
	for (; nx_mold_blocks_next(&it, &msg, &ml) == 1; k++) {
		struct nx_feed_msg m;
		int t = nx_feed_decode(msg, ml, &m);

		if (t != NX_FEED_TPL_TRADE) {
			x->others += t > 0;
			x->bad += t <= 0;
		} else if (m.rec.inst == INST) {
			x->bad += m.rec.n != ++x->fire_seen; /* shard 0's order */
		} else if (m.rec.inst == INST + 1 && m.rec.n >= 1 && m.rec.n <= 2 &&
			   !x->other_seq[m.rec.n - 1] && (m.rec.n == 1 || x->other_seq[0])) {
			x->other_seq[m.rec.n - 1] = seq + k;
			if (m.rec.n == 2)
				x->other2_loop = x->w->io->io.loops;
		} else {
			x->bad++;
		}
	}
	x->bad += k != count;
	x->next_seq = seq + count;
}

static void watch_frame(struct watch *x, const struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *pl = f + NX_NET_UDP_HDR_LEN;
	size_t len = m->data_len - NX_NET_UDP_HDR_LEN;
	struct nx_feed_msg sm;

	if (m->data_len < NX_NET_UDP_HDR_LEN + NX_MOLD_HDR_LEN) {
		x->bad++;
		return;
	}
	switch (nx_net_ld_be16(f + 36)) { /* the UDP destination port */
	case INC_PORT:
		watch_incremental(x, pl, len);
		break;
	case INC_PORT + 1:
		if (len < NX_MOLD_HDR_LEN + NX_MOLD_BLOCK_PREFIX ||
		    nx_feed_decode(pl + NX_MOLD_HDR_LEN + NX_MOLD_BLOCK_PREFIX,
				   len - NX_MOLD_HDR_LEN - NX_MOLD_BLOCK_PREFIX, &sm) !=
			    NX_FEED_TPL_SNAPSHOT_LEVELS) {
			x->bad++;
		} else if (x->snaps++ == 0) {
			x->snap_last_seq = sm.snap.last_seq;
			x->snap_loop = x->w->io->io.loops;
		}
		break;
	case REQ_PORT:
		if (x->answers++ == 0) {
			x->answer_after = x->next_seq - 1;
			x->answer_loop = x->w->io->io.loops;
		}
		break;
	default:
		x->bad++;
	}
}

/* What the service's queue holds, seen and freed. */
static void watch_drain(struct watch *x)
{
	void *m;

	while (!rte_ring_sc_dequeue(txr[x->w->nshards], &m)) {
		watch_frame(x, m);
		rte_pktmbuf_free(m);
	}
}

/* Once the feed is moving: a retransmission request arrives for the
 * service (a frame on its RX queue) and shard 1 makes a second trade. */
static void inject(struct watch *x)
{
	const struct nx_net_if client = { .mac = { 2, 0, 0, 0, 0, 2 }, .ip = REQ_IP };
	const struct nx_md_feed_config *fc = &app.cfg.md.feed;
	struct nx_feed_rec r = fire_trade(INST + 1, 2);
	uint8_t req[NX_MOLD_REQUEST_LEN], *f;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	x->injected = 1;
	x->inj_msgs = nx_feed_pub_stats(x->w->v->pub)->msgs;
	x->inj_loop = x->w->io->io.loops;
	if (rte_ring_sp_enqueue_elem(x->w->shard[1]->md.feed, &r, sizeof(r)))
		x->bad++;
	f = m ? (uint8_t *)rte_pktmbuf_append(m, NX_NET_UDP_HDR_LEN + sizeof(req)) : NULL;
	if (!f || nx_mold_request_build(req, sizeof(req), fc->session, 1, 5) != sizeof(req) ||
	    !nx_net_udp_build(f, NX_NET_UDP_HDR_LEN + sizeof(req), &client, app.port[0].ifc.mac,
			      app.port[0].ifc.ip, REQ_PORT, fc->retransmit_port, req, sizeof(req), 0) ||
	    rte_ring_sp_enqueue(rxr[x->w->nshards], m)) {
		x->bad++;
		rte_pktmbuf_free(m);
	}
}

static uint16_t watch_cb(uint16_t port_id, uint16_t queue, struct rte_mbuf **pkts, uint16_t nb,
			 void *arg)
{
	struct watch *x = arg;

	(void)port_id;
	(void)queue;
	(void)pkts;
	watch_drain(x);
	if (x->refill)
		fire_refill(x);
	if (!x->injected && x->next_seq > 1)
		inject(x);
	if ((x->answers && x->snaps && x->other_seq[1]) || x->fire_put >= FIRE_CAP ||
	    x->w->io->io.loops >= LOOP_CAP)
		app.quit = true;
	return nb;
}

/* Regression (review of the market-data service): its loop emptied each
 * shard's ring before it moved on, so a shard that refilled its ring as
 * fast as the service emptied it kept the service there, and with it the
 * other shards' records, the feed's timers, retransmission answers and the
 * ITCH feed, for as long as it kept up. Here shard 0's ring is refilled
 * each time the service sends (the old drain sent FIRE_CAP records before
 * anything else), and shard 1 has a trade waiting. Each of these must go
 * out within one loop's feed work (2 x NX_FEED_QUOTA records) of becoming
 * due, and within two loops: shard 1's first trade, the first snapshot (the
 * publisher's timers; heartbeats go only on an idle channel, and the fast
 * shard keeps it busy), and, once the feed moves, an answer to a
 * retransmission request and shard 1's second trade. Each shard's records
 * keep their order, and the numbers are contiguous. Then the stop puts all
 * that shard 0's ring still holds on the feed, at the queue's pace, and the
 * end of session. */
static void test_loop_fair_to_shards_and_duties(void **state)
{
	const uint64_t bound = 2 * (uint64_t)NX_FEED_QUOTA; /* nshards x the quota */
	struct venue w;
	struct watch x = { .w = &w, .refill = 1, .next_seq = 1 };
	struct nx_feed_rec r1 = fire_trade(INST + 1, 1);
	unsigned avail = rte_mempool_avail_count(pool);
	const struct rte_eth_rxtx_callback *cb;

	(void)state;
	venue_base(&w, 2, FIRE_RING, 1000);
	fire_refill(&x);
	assert_int_equal(x.fire_put, FIRE_RING - 1);
	assert_int_equal(rte_ring_sp_enqueue_elem(w.shard[1]->md.feed, &r1, sizeof(r1)), 0);
	cb = rte_eth_add_tx_callback(port, 2, watch_cb, &x);
	assert_non_null(cb);
	nx_service_main(w.v); /* until watch_cb sets quit */
	watch_drain(&x);

	assert_int_equal(x.bad, 0);
	/* Shard 1's trade, behind a full ring of shard 0's: one loop's work. */
	assert_true(x.other_seq[0] > 0);
	assert_true(x.other_seq[0] <= bound);
	assert_true(x.fire_seen > 0);
	assert_true(x.fire_put < FIRE_CAP); /* the fast shard never ran out */
	/* The timers: the first snapshot after at most one loop's work. */
	assert_true(x.snaps > 0);
	assert_true(x.snap_last_seq <= bound);
	/* Arriving while shard 0 keeps its ring full: the request is answered
	 * and shard 1's second trade sent after at most one loop's work, and
	 * seen on the wire within two loops (each loop's frames go out as the
	 * next one sends). */
	assert_int_equal(x.injected, 1);
	assert_int_equal(x.answers, 1);
	assert_true(x.answer_after - x.inj_msgs <= bound);
	assert_true(x.other_seq[1] > x.inj_msgs);
	assert_true(x.other_seq[1] - x.inj_msgs <= bound);
	assert_true(x.answer_loop - x.inj_loop <= 2);
	assert_true(x.other2_loop - x.inj_loop <= 2);
	assert_true(x.snap_loop <= 2);
	assert_int_equal(w.io->io.tx_full, 0);

	/* The stop: the rest of shard 0's ring, the outboxes' opening images,
	 * then the end of session, nothing lost. */
	x.refill = 0;
	nx_service_stop(w.v);
	watch_drain(&x);
	assert_int_equal(rte_eth_remove_tx_callback(port, 2, cb), 0);
	assert_int_equal(x.bad, 0);
	assert_int_equal(x.ends, 1);
	assert_int_equal(x.fire_seen, x.fire_put);
	assert_int_equal(x.next_seq, nx_feed_pub_stats(w.v->pub)->msgs + 1);
	assert_int_equal(x.next_seq - 1, x.fire_put + 2 + x.others);
	assert_true(x.others >= 2); /* each instrument's opening image */
	assert_int_equal(w.v->feed_stop_lost_pkts, 0);
	assert_int_equal(w.v->feed_stop_unsent_recs, 0);
	assert_int_equal(w.io->io.tx_full, 0);
	venue_close(&w);
	assert_int_equal(rte_mempool_avail_count(pool), avail);
}

/* --- A shard's stop ------------------------------------------------------ */

#define STOP_SESSIONS 200u

/* The NIC behind shard 0's queue: one frame sent each time the queue is
 * offered frames, each a Terminate(VENUE_SHUTDOWN) counted. */
struct term_nic {
	uint64_t sent, terminates, bad;
};

static void term_send(struct term_nic *n, struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	struct nx_nxp_reader r;
	struct nx_nxp_msg msg;

	nx_nxp_reader_init(&r, f + NX_NET_UDP_HDR_LEN, m->data_len - NX_NET_UDP_HDR_LEN);
	if (m->data_len > NX_NET_UDP_HDR_LEN && nx_nxp_next(&r, &msg) == 1 &&
	    msg.template_id == NX_NXP_TERMINATE &&
	    nx_nxp_terminate_code(&msg) == NX_REJ_VENUE_SHUTDOWN)
		n->terminates++;
	else
		n->bad++;
	n->sent++;
	rte_pktmbuf_free(m);
}

static uint16_t term_cb(uint16_t port_id, uint16_t queue, struct rte_mbuf **pkts, uint16_t nb,
			void *arg)
{
	void *m;

	(void)port_id;
	(void)queue;
	(void)pkts;
	if (!rte_ring_sc_dequeue(txr[0], &m))
		term_send(arg, m);
	return nb;
}

/* Regression (audit of the appliance): a shard's stop sent every
 * Terminate(VENUE_SHUTDOWN) through tx_flush, which offers the queue 8
 * times and frees what it refuses (tx_full). With more bound sessions than
 * the TX ring and those 8 offers take, the rest never went: their clients
 * got no VENUE_SHUTDOWN (nor their cancel-on-disconnect reports), and no
 * one was left to answer a retransmission request. Here 200 sessions are
 * bound, the queue's ring holds 63 frames and its NIC sends one a call:
 * every Terminate must go, none freed. */
static void test_shard_stop_paced_by_tx(void **state)
{
	static struct nx_account_config acc = { .id = A, .cancel_on_disconnect = 1 };
	static struct nx_instrument inst = { .id = INST, .symbol = "STOP" };
	struct nx_venue_config c = { .path = "stop", .max_orders = 1024, .ladder_ticks = 4096,
				     .max_sessions = 256, .keepalive_ms = 1000, .history = 64,
				     .ninstruments = 1, .naccounts = 1, .instruments = &inst,
				     .accounts = &acc };
	static const uint8_t client_mac[6] = { 2, 0, 0, 0, 0, 9 };
	struct term_nic n = { 0 };
	unsigned avail = rte_mempool_avail_count(pool);
	const struct rte_eth_rxtx_callback *cb;
	struct nx_shard *s;
	char err[256];

	(void)state;
	nx_instrument_defaults(&inst);
	acc.limits = eh_limits;
	memcpy(acc.key, key_a, 32);
	memset(&app.cfg, 0, sizeof(app.cfg));
	app.nports = 1;
	app.nshards = 1;
	app.nqueues = 1;
	app.burst = 32;
	app.quit = true; /* nx_shard_main goes straight to its stop */
	s = rte_zmalloc("stop_shard", sizeof(*s), RTE_CACHE_LINE_SIZE);
	assert_non_null(s);
	s->app = &app;
	s->index = 0;
	s->e = nx_engine_create(&c, NULL, NULL, err, sizeof(err));
	assert_non_null(s->e);
	s->out.d = calloc(NX_OUT_DGRAMS, sizeof(*s->out.d));
	assert_non_null(s->out.d);
	s->out.cap = NX_OUT_DGRAMS;
	s->out.spill = nx_shard_spill;
	s->out.spill_arg = s;
	s->steer = rte_ring_create("stop_steer", 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
	assert_non_null(s->steer);
	app.shard[0] = s;
	for (uint32_t i = 0; i < STOP_SESSIONS; i++) {
		struct nx_client cl;
		struct nx_addr from = { .ip = IP_A, .port = (uint16_t)(20000 + i),
					.link = nx_net_link(0, client_mac) };
		uint8_t buf[256];
		size_t len;

		nx_client_init(&cl, 5000 + i, A, key_a);
		len = nx_client_negotiate(&cl, buf, sizeof(buf), 1);
		nx_engine_rx(s->e, buf, len, from, 1, &s->out);
		len = nx_client_establish(&cl, buf, sizeof(buf), 2, 1000);
		nx_engine_rx(s->e, buf, len, from, 1, &s->out);
		s->out.n = 0;
	}
	assert_int_equal(nx_engine_stats(s->e)->sessions_established, STOP_SESSIONS);
	cb = rte_eth_add_tx_callback(port, 0, term_cb, &n);
	assert_non_null(cb);
	nx_shard_main(s);
	assert_int_equal(rte_eth_remove_tx_callback(port, 0, cb), 0);
	for (void *m; !rte_ring_sc_dequeue(txr[0], &m);)
		term_send(&n, m); /* what the queue still held: sent after */

	assert_int_equal(s->io.tx_full, 0);
	assert_int_equal(n.bad, 0);
	assert_int_equal(n.terminates, STOP_SESSIONS);
	assert_int_equal(nx_engine_stats(s->e)->sessions_terminated, STOP_SESSIONS);
	app.quit = false;
	app.shard[0] = NULL;
	rte_ring_free(s->steer);
	free(s->out.d);
	nx_engine_destroy(s->e);
	rte_free(s);
	assert_int_equal(rte_mempool_avail_count(pool), avail); /* each frame freed once */
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "--no-shconf", "-m", "256",
			"--file-prefix", "nx_test_feed_stop", "--log-level", "lib.eal:crit",
			"--no-telemetry" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_paced_by_tx),
		cmocka_unit_test(test_stop_gives_up_on_a_dead_queue),
		cmocka_unit_test(test_stop_counts_packets_without_mbuf),
		cmocka_unit_test(test_loop_fair_to_shards_and_duties),
		cmocka_unit_test(test_shard_stop_paced_by_tx),
	};
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	struct rte_eth_conf conf = { 0 };
	char rundir[256];
	int rc, p;

	(void)argc;
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0) {
		puts("skip: rte_eal_init failed (not root?)");
		return 77;
	}
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	pool = rte_pktmbuf_pool_create("feed_stop", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	for (int q = 0; q < NQ; q++) {
		char name[32];

		snprintf(name, sizeof(name), "t_rx%d", q);
		rxr[q] = rte_ring_create(name, 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "t_tx%d", q);
		txr[q] = rte_ring_create(name, 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!rxr[q] || !txr[q]) {
			puts("skip: no rings");
			return 77;
		}
	}
	if (!pool) {
		puts("skip: no mbuf pool");
		return 77;
	}
	p = rte_eth_from_rings("feed_stop", rxr, NQ, txr, NQ, (unsigned)rte_socket_id());
	rc = p < 0 || rte_eth_dev_configure((uint16_t)p, NQ, NQ, &conf);
	for (int q = 0; q < NQ && !rc; q++)
		rc = rte_eth_rx_queue_setup((uint16_t)p, (uint16_t)q, 64, SOCKET_ID_ANY, NULL, pool) ||
		     rte_eth_tx_queue_setup((uint16_t)p, (uint16_t)q, 64, SOCKET_ID_ANY, NULL);
	if (rc || rte_eth_dev_start((uint16_t)p)) {
		puts("skip: the ring port did not start");
		return 77;
	}
	port = (uint16_t)p;
	app.port[0].id = port;
	app.port[0].pool = pool;
	memcpy(app.port[0].ifc.mac, mac, 6);
	app.port[0].ifc.ip = NX_NET_IP4(10, 0, 0, 1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	for (int q = 0; q < NQ; q++) {
		rte_ring_free(rxr[q]);
		rte_ring_free(txr[q]);
	}
	rte_mempool_free(pool);
	rte_eal_cleanup();
	rmdir(rundir);
	return rc;
}
