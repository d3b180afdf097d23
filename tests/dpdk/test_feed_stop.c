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
 * nothing for NX_STOP_STALL_LOOPS loops, and counts what it lost.
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

static struct nx_app app;
static struct rte_mempool *pool;
static struct rte_ring *txr[2]; /* the port's queues: 0 the shard's, 1 the service's */
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
	struct nx_engine *e;
	struct nx_shard *shard, *io;
	struct nx_service *v;
};

/* One shard (instrument INST) and the service, as nanoex sets them up; the
 * shard's outbox given its opening image and TRADES trades, of which its
 * ring (1,023 records) takes the first ones and its backlog the rest, as
 * after a burst the service had no time for. */
static void venue_open(struct venue *w)
{
	static nx_inst_t ids[1] = { INST };
	static struct nx_instrument inst = { .id = INST };
	static const struct nx_md_feed_config feed = {
		.group = NX_NET_IP4(239, 1, 2, 3), .incremental_port = INC_PORT,
		.snapshot_port = INC_PORT + 1, .retransmit_port = INC_PORT + 2,
		.session = { 'N', 'X', 'S', 'T', 'O', 'P', 'T', 'E', 'S', 'T' }, .have_session = 1,
		.history = 1u << 16, .max_levels = 16, .retrans_max = 100, .ring = 1024,
		.trade_backlog = 1u << 17,
	};
	struct nx_port p0 = app.port[0];
	struct nx_feed_out *o;

	memset(&app, 0, sizeof(app));
	app.port[0] = p0;
	app.nports = 1;
	app.nshards = 1;
	app.nqueues = 2;
	app.cfg.ninstruments = 1;
	app.cfg.instruments = &inst;
	app.cfg.net.nshards = 1;
	app.cfg.net.shards[0].ninstruments = 1;
	app.cfg.net.shards[0].instruments = ids;
	app.cfg.md.enabled = 1;
	app.cfg.md.lcore = rte_get_main_lcore();
	app.cfg.md.feed = feed;
	w->e = make_engine();
	w->shard = rte_zmalloc("s", sizeof(*w->shard), RTE_CACHE_LINE_SIZE);
	w->io = rte_zmalloc("io", sizeof(*w->io), RTE_CACHE_LINE_SIZE);
	assert_true(w->e && w->shard && w->io);
	w->shard->app = w->io->app = &app;
	w->shard->index = 0;
	w->shard->e = w->e;
	w->io->index = 1;
	w->io->steer = rte_ring_create("t_steer", 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
	assert_non_null(w->io->steer);
	app.shard[0] = w->shard;
	app.shard[1] = w->io;
	assert_int_equal(nx_service_init(&app, w->io, SOCKET_ID_ANY), 0);
	w->v = app.svc;
	assert_non_null(w->v->pub);
	o = w->shard->md.out;
	assert_non_null(o);
	nx_feed_out_poll(o, w->shard->md.book); /* the opening image: CLEAR, STATUS */
	for (uint32_t t = 1; t <= TRADES; t++) {
		struct nx_feed_rec r = { .type = NX_FEED_REC_TRADE, .side = NX_SIDE_BUY,
					 .inst = INST, .px = 1000, .qty = 1, .n = t };
		nx_feed_out_rec(o, &r);
	}
	nx_feed_out_flush(o);
	assert_int_equal(rte_ring_count(w->shard->md.feed), 1023);
	assert_int_equal(nx_feed_out_backlog(o), TRADES + 2 - 1023);
	assert_int_equal(nx_feed_out_stats(o)->trades_lost, 0);
}

static void venue_close(struct venue *w)
{
	nx_service_free(&app);
	rte_ring_free(w->io->steer);
	rte_free(w->io);
	rte_free(w->shard);
	nx_engine_destroy(w->e);
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
	assert_int_equal(n.bad, 0);
	assert_int_equal(n.ended, 1);
	assert_int_equal(n.sent, w.v->feed_pkts[NX_FEED_INCREMENTAL]);
	assert_int_equal(nx_feed_sub_mold_stats(n.sub, NX_FEED_INCREMENTAL)->gaps, 0);
	assert_int_equal(nx_feed_sub_last_seq(n.sub), TRADES + 2);
	assert_int_equal(nx_feed_sub_instrument(n.sub, INST, &fi), 0);
	assert_int_equal(fi.trades, TRADES);
	assert_int_equal(fi.synced, 1);
	assert_int_equal(nx_feed_out_idle(w.shard->md.out), 1);
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

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "--no-shconf", "-m", "256",
			"--file-prefix", "nx_test_feed_stop", "--log-level", "lib.eal:crit",
			"--no-telemetry" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_paced_by_tx),
		cmocka_unit_test(test_stop_gives_up_on_a_dead_queue),
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
	txr[0] = rte_ring_create("t_tx0", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	txr[1] = rte_ring_create("t_tx1", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!pool || !txr[0] || !txr[1]) {
		puts("skip: no mbuf pool or rings");
		return 77;
	}
	p = rte_eth_from_rings("feed_stop", txr, 2, txr, 2, (unsigned)rte_socket_id());
	if (p < 0 || rte_eth_dev_configure((uint16_t)p, 2, 2, &conf) ||
	    rte_eth_rx_queue_setup((uint16_t)p, 0, 64, SOCKET_ID_ANY, NULL, pool) ||
	    rte_eth_rx_queue_setup((uint16_t)p, 1, 64, SOCKET_ID_ANY, NULL, pool) ||
	    rte_eth_tx_queue_setup((uint16_t)p, 0, 64, SOCKET_ID_ANY, NULL) ||
	    rte_eth_tx_queue_setup((uint16_t)p, 1, 64, SOCKET_ID_ANY, NULL) ||
	    rte_eth_dev_start((uint16_t)p)) {
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
	rte_ring_free(txr[0]);
	rte_ring_free(txr[1]);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	rmdir(rundir);
	return rc;
}
