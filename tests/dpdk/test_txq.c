/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The shard's transmit queues (dpdk_apps/nanoex/shard.c) with the real
 * shard object on an EAL without hugepages, its two ports net_null devices
 * (which take every frame and free it). Regression (session 13, from a review): ARP
 * and ICMP replies were appended without the bound engine replies keep,
 * so replies queued earlier in a loop plus echo requests later in the same
 * burst wrote past tx[0].m into tx[1] (whose count became a pointer's low
 * bits, and whose frames were then sent or freed twice).
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
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "../../dpdk_apps/nanoex/nanoex.h"
#include "../engine_helpers.h"

/* shard.o hands market-data UDP to the service; not under test here. */
void nx_service_udp(struct nx_service *v, const struct nx_net_pkt *pkt, uint64_t now_ns)
{
	(void)v;
	(void)pkt;
	(void)now_ns;
}

static struct nx_app app;
static struct rte_mempool *pool;
static const uint8_t peer_mac[6] = { 2, 0, 0, 0, 0, 9 };
#define PEER_IP NX_NET_IP4(10, 0, 0, 9)

static struct rte_mbuf *echo_request(const struct nx_net_if *ifc)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *f, *ip, *ic;

	assert_non_null(m);
	f = (uint8_t *)rte_pktmbuf_append(m, 42);
	assert_non_null(f);
	memset(f, 0, 42);
	memcpy(f, ifc->mac, 6);
	memcpy(f + 6, peer_mac, 6);
	f[12] = 0x08;
	ip = f + NX_NET_ETH_LEN;
	ip[0] = 0x45;
	nx_net_st_be16(ip + 2, 28);
	ip[8] = 64;
	ip[9] = 1;
	nx_net_st_be32(ip + 12, PEER_IP);
	nx_net_st_be32(ip + 16, ifc->ip);
	nx_net_st_be16(ip + 10, nx_net_csum(ip, NX_NET_IP4_LEN));
	ic = ip + NX_NET_IP4_LEN;
	ic[0] = 8;
	ic[5] = 1;
	ic[7] = 1;
	nx_net_st_be16(ic + 2, nx_net_csum(ic, 8));
	return m;
}

/* A frame of len bytes from the peer, built by fill. */
static struct rte_mbuf *frame(size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *f;

	assert_non_null(m);
	f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(f);
	memset(f, 0, len);
	return m;
}

/* ARP for IPv4 over Ethernet: op, sender (peer), target ip. */
static struct rte_mbuf *arp(uint16_t op, uint32_t target_ip, const struct nx_net_if *ifc)
{
	struct rte_mbuf *m = frame(NX_NET_ARP_FRAME_LEN);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *), *a = f + NX_NET_ETH_LEN;

	memset(f, 0xff, 6);
	memcpy(f + 6, peer_mac, 6);
	nx_net_st_be16(f + 12, NX_NET_ETHERTYPE_ARP);
	nx_net_st_be16(a, 1);
	nx_net_st_be16(a + 2, NX_NET_ETHERTYPE_IP4);
	a[4] = 6;
	a[5] = 4;
	nx_net_st_be16(a + 6, op);
	memcpy(a + 8, peer_mac, 6);
	nx_net_st_be32(a + 14, PEER_IP);
	if (op == NX_NET_ARP_OP_REPLY)
		memcpy(a + 18, ifc->mac, 6);
	nx_net_st_be32(a + 24, target_ip);
	return m;
}

static struct rte_mbuf *udp_to(uint16_t port, const struct nx_net_if *ifc)
{
	const struct nx_net_if peer = { .mac = { 2, 0, 0, 0, 0, 9 }, .ip = PEER_IP };
	struct rte_mbuf *m = frame(NX_NET_UDP_HDR_LEN + 8);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

	assert_int_equal(nx_net_udp_headers(f, &peer, ifc->mac, ifc->ip, 40000, port, 8, 0),
			 NX_NET_UDP_HDR_LEN + 8);
	return m;
}

/* Regression (session 13, from a review): multi-segment frames counted as
 * drop_SHORT, ARP replies and gratuitous ARP nowhere, so the counters did
 * not add up to the frames received. Now each frame lands in one. */
static void test_every_frame_counted_once(void **state)
{
	struct nx_shard *s = rte_zmalloc("s", sizeof(*s), RTE_CACHE_LINE_SIZE);
	size_t nb = nx_net_neigh_memsize(NX_NEIGH_CAP);
	void *nm = rte_zmalloc("n", nb, RTE_CACHE_LINE_SIZE);
	const struct nx_net_if *ifc = &app.port[0].ifc;
	unsigned avail = rte_mempool_avail_count(pool);
	struct rte_mbuf *seg;

	(void)state;
	assert_true(s && nm);
	s->app = &app;
	s->neigh[0] = nx_net_neigh_init(nm, nb, NX_NEIGH_CAP);
	app.shard[0] = s;
	app.shard_of_udp[9200] = 1; /* shard 0's: handed to the (stub) service */
	nx_frame_handle(s, 0, echo_request(ifc), 0);                         /* icmp_replies */
	nx_frame_handle(s, 0, arp(NX_NET_ARP_OP_REQUEST, ifc->ip, ifc), 0);  /* arp_replies */
	nx_frame_handle(s, 0, arp(NX_NET_ARP_OP_REPLY, ifc->ip, ifc), 0);    /* arp_other */
	nx_frame_handle(s, 0, arp(NX_NET_ARP_OP_REQUEST, PEER_IP, ifc), 0);  /* arp_other */
	nx_frame_handle(s, 0, udp_to(9300, ifc), 0);                         /* drop_port */
	nx_frame_handle(s, 0, udp_to(9200, ifc), 0);                         /* rx_udp */
	nx_frame_handle(s, 0, frame(10), 0);                                 /* drop SHORT */
	struct rte_mbuf *m = udp_to(9200, ifc);                              /* rx_multiseg */
	seg = frame(8);
	assert_int_equal(rte_pktmbuf_chain(m, seg), 0);
	nx_frame_handle(s, 0, m, 0);
	assert_int_equal(s->io.icmp_replies, 1);
	assert_int_equal(s->io.arp_replies, 1);
	assert_int_equal(s->io.arp_other, 2);
	assert_int_equal(s->io.drop_port, 1);
	assert_int_equal(s->io.rx_udp, 1);
	assert_int_equal(s->io.drop[-NX_NET_DROP_SHORT], 1);
	assert_int_equal(s->io.rx_multiseg, 1);
	uint64_t sum = s->io.icmp_replies + s->io.arp_replies + s->io.arp_other + s->io.drop_port +
		       s->io.rx_udp + s->io.rx_multiseg + s->io.reply_too_big + s->io.steer_out +
		       s->io.steer_drop;
	for (unsigned r = 0; r < NX_NET_DROP_MAX; r++)
		sum += s->io.drop[r];
	assert_int_equal(sum, 8);
	nx_tx_flush_all(s);
	assert_int_equal(rte_mempool_avail_count(pool), avail);
	app.shard_of_udp[9200] = 0;
	rte_free(nm);
	rte_free(s);
}

static void test_replies_past_a_full_queue(void **state)
{
	struct nx_shard *s = rte_zmalloc("s", sizeof(*s), RTE_CACHE_LINE_SIZE);
	size_t nb = nx_net_neigh_memsize(NX_NEIGH_CAP);
	void *nm = rte_zmalloc("n", nb, RTE_CACHE_LINE_SIZE);
	uint8_t payload[64] = { 0 };
	unsigned avail = rte_mempool_avail_count(pool);

	(void)state;
	assert_true(s && nm);
	s->app = &app;
	s->neigh[0] = nx_net_neigh_init(nm, nb, NX_NEIGH_CAP);
	app.shard[0] = s;
	/* Engine replies earlier in the loop: the queue nearly full. */
	for (int i = 0; i < 300; i++)
		assert_int_equal(nx_tx_udp(s, 0, peer_mac, PEER_IP, 9000, 40000, payload,
					   sizeof(payload)), 0);
	assert_int_equal(s->tx[0].n, 300);
	/* The rest of the burst: echo requests, each answered. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(nx_frame_handle(s, 0, echo_request(&app.port[0].ifc), 0), 0);
	assert_int_equal(s->io.icmp_replies, 100);
	assert_int_equal(s->tx[1].n, 0);               /* port 1's queue untouched */
	assert_int_equal(s->tx[0].n, 400 - NX_TXQ_CAP); /* sent once, when full */
	assert_int_equal(s->io.tx_pkts, NX_TXQ_CAP);
	nx_tx_flush_all(s);
	assert_int_equal(s->tx[0].n, 0);
	assert_int_equal(s->io.tx_pkts, 400);
	assert_int_equal(s->io.tx_full, 0);
	assert_int_equal(rte_mempool_avail_count(pool), avail); /* each mbuf freed once */
	rte_free(nm);
	rte_free(s);
}

/* Regression (session 16, from a review): tx_bytes was counted when a frame
 * was queued, so frames the TX queue refused (tx_full, freed) were counted
 * as bytes sent: tx_bytes stopped matching tx_pkts. Port 2 is a net_ring
 * whose ring has room for 15 frames only. */
static void test_tx_bytes_count_what_was_sent(void **state)
{
	struct nx_shard *s = rte_zmalloc("s", sizeof(*s), RTE_CACHE_LINE_SIZE);
	struct rte_ring *r = rte_ring_lookup("ETH_RXTX0_net_ring0");
	uint8_t payload[100] = { 0 };
	unsigned avail = rte_mempool_avail_count(pool);
	void *dummy[1024], *m;
	unsigned n, fill;

	(void)state;
	assert_non_null(s);
	assert_non_null(r);
	s->app = &app;
	app.shard[0] = s;
	/* Leave 15 free slots in the ring the port transmits into. */
	fill = rte_ring_free_count(r) - 15;
	for (n = 0; n < fill; n++)
		dummy[n] = (void *)(uintptr_t)(n + 1);
	assert_int_equal(rte_ring_enqueue_bulk(r, dummy, fill, NULL), fill);
	for (int i = 0; i < 40; i++)
		assert_int_equal(nx_tx_udp(s, 2, peer_mac, PEER_IP, 9000, 40000, payload,
					   sizeof(payload)), 0);
	nx_tx_flush_all(s);
	assert_int_equal(s->io.tx_pkts, 15);
	assert_int_equal(s->io.tx_full, 25);
	assert_int_equal(s->io.tx_bytes, 15 * (NX_NET_UDP_HDR_LEN + sizeof(payload)));
	/* The frames the ring took, behind the fillers: each freed once. */
	assert_int_equal(rte_ring_dequeue_bulk(r, dummy, fill, NULL), fill);
	while (!rte_ring_dequeue(r, &m))
		rte_pktmbuf_free(m);
	assert_int_equal(rte_mempool_avail_count(pool), avail);
	rte_free(s);
}

/* A frame from (ip, port) at peer_mac to our address and UDP port dport. */
static struct rte_mbuf *udp_from(uint32_t ip, uint16_t port, uint16_t dport, const void *payload,
				 size_t len, const struct nx_port *to)
{
	struct nx_net_if peer = { .mac = { 2, 0, 0, 0, 0, 9 }, .ip = ip };
	struct rte_mbuf *m = frame(NX_NET_UDP_HDR_LEN + len);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

	memcpy(f + NX_NET_UDP_HDR_LEN, payload, len);
	nx_net_udp_headers(f, &peer, to->ifc.mac, to->ifc.ip, port, dport, len, 0);
	m->port = to->id;
	return m;
}

/* Regression (session 16, from a review): the loop turned the engine's
 * replies into frames only once more than NX_OUT_DGRAMS - 8 were pending,
 * so an input arriving with 56 pending had 8 datagrams of room: an order
 * that traded with resting orders (one report per counterparty, and more
 * than one datagram per session once they fill 1472 bytes) lost the rest
 * to out_overflow although the burst as a whole was small. Now every input
 * starts with the whole array. The real loop on lcore 1, fed through its
 * steering ring (one bulk enqueue: one burst); port 0 is the net_ring. */
static int loop_main(void *arg)
{
	return nx_shard_main(arg);
}

static void test_each_input_gets_the_whole_output_array(void **state)
{
	struct fx *f = fx_unbound();
	struct nx_shard *s = rte_zmalloc("s", sizeof(*s), RTE_CACHE_LINE_SIZE);
	size_t nb = nx_net_neigh_memsize(NX_NEIGH_CAP);
	size_t hb = nx_hist_memsize(NX_HIST_HOUR_NS, NX_HIST_DIGITS_DEFAULT);
	void *nm = rte_zmalloc("n", nb, RTE_CACHE_LINE_SIZE);
	void *hm = rte_zmalloc("h", hb, RTE_CACHE_LINE_SIZE);
	struct nx_port saved = app.port[0];
	uint32_t saved_nports = app.nports;
	struct rte_mbuf *in[64];
	enum { RESTING = 56, SWEPT = 150 };

	(void)state;
	assert_true(s && nm && hm);
	for (int i = 0; i < SWEPT; i++) { /* A's resting asks, one report each when hit */
		struct nx_nxp_new_order o = order(A, (uint64_t)i + 1, NX_SIDE_SELL, 1000, 1);
		send_order(f, &f->ca, f->aa, &o);
	}

	app.port[0] = app.port[2];
	app.nports = 1;
	app.burst = NX_BURST_MAX;
	app.tsc_hz = rte_get_tsc_hz();
	app.ns_per_tsc_q32 = (uint64_t)(((unsigned __int128)1000000000u << 32) / app.tsc_hz);
	app.tsc0 = rte_rdtsc();
	app.ns0 = f->now; /* the engine's clock goes on from the fixture's */
	app.quit = false;
	app.shard_of_udp[9100] = 1;
	app.shard[0] = s;
	s->app = &app;
	s->udp_port = 9100;
	s->e = f->e;
	s->neigh[0] = nx_net_neigh_init(nm, nb, NX_NEIGH_CAP);
	s->lat = nx_hist_init(hm, hb, NX_HIST_HOUR_NS, NX_HIST_DIGITS_DEFAULT);
	s->out.d = rte_zmalloc("o", NX_OUT_DGRAMS * sizeof(struct nx_out_dgram), RTE_CACHE_LINE_SIZE);
	s->out.cap = NX_OUT_DGRAMS;
	s->steer = rte_ring_create("t_steer", 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
	assert_true(s->neigh[0] && s->lat && s->out.d && s->steer);
	nx_net_neigh_learn(s->neigh[0], IP_A, peer_mac);

	/* One burst: B's 56 bids below the asks (an ExecNew datagram each),
	 * then a bid that takes all 150 asks. */
	for (int i = 0; i <= RESTING; i++) {
		uint8_t buf[512];
		struct nx_nxp_writer w;
		struct nx_nxp_new_order o = i < RESTING
			? order(B, (uint64_t)i + 1, NX_SIDE_BUY, 950, 1)
			: order(B, (uint64_t)i + 1, NX_SIDE_BUY, 1000, SWEPT);
		nx_client_begin(&f->cb, &w, buf, sizeof(buf));
		assert_true(nx_client_new_order(&f->cb, &w, &o) > 0);
		in[i] = udp_from(IP_B, 6000, 9100, buf, w.len, &app.port[0]);
	}
	uint64_t rx0 = nx_engine_stats(f->e)->rx_dgrams;
	assert_int_equal(rte_eal_remote_launch(loop_main, s, 1), 0);
	assert_int_equal(rte_ring_enqueue_bulk(s->steer, (void **)in, RESTING + 1, NULL),
			 RESTING + 1);
	for (int ms = 0; ms < 2000 && __atomic_load_n(&s->io.steer_in, __ATOMIC_RELAXED) <
	     RESTING + 1; ms++)
		rte_delay_ms(1);
	app.quit = true; /* the loop ends the iteration that took the burst first */
	assert_int_equal(rte_eal_wait_lcore(1), 0);
	const struct nx_engine_stats *st = nx_engine_stats(f->e);
	assert_int_equal(st->rx_dgrams - rx0, RESTING + 1);
	assert_int_equal(st->fills, 2 * SWEPT); /* a report to each side */
	assert_int_equal(st->out_overflow, 0);
	assert_int_equal(s->io.no_neigh, 0);

	/* The loopback ring holds what was sent: freed, as is the rest. */
	struct rte_mbuf *m;
	while (rte_eth_rx_burst(app.port[0].id, 0, &m, 1))
		rte_pktmbuf_free(m);
	app.shard_of_udp[9100] = 0;
	app.port[0] = saved;
	app.nports = saved_nports;
	rte_ring_free(s->steer);
	rte_free(s->out.d);
	rte_free(hm);
	rte_free(nm);
	rte_free(s);
	fx_free(f);
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "--no-shconf", "-m", "128",
			"--file-prefix", "nx_test_txq", "--log-level", "lib.eal:crit",
			"--no-telemetry", "--vdev", "net_null0", "--vdev", "net_null1",
			"--vdev", "net_ring0" };
	char rundir[256];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replies_past_a_full_queue),
		cmocka_unit_test(test_every_frame_counted_once),
		cmocka_unit_test(test_tx_bytes_count_what_was_sent),
		cmocka_unit_test(test_each_input_gets_the_whole_output_array),
	};
	int rc;

	(void)argc;
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0) {
		puts("skip: rte_eal_init failed (not root?)");
		return 77;
	}
	pool = rte_pktmbuf_pool_create("txq", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!pool) {
		puts("skip: no mbuf pool");
		return 77;
	}
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	app.nports = 3;
	for (uint16_t i = 0; i < 3; i++) {
		const uint8_t mac[6] = { 2, 0, 0, 0, 0, (uint8_t)(1 + i) };
		struct rte_eth_conf conf = { 0 };
		if (rte_eth_dev_configure(i, 1, 1, &conf) ||
		    rte_eth_rx_queue_setup(i, 0, 64, SOCKET_ID_ANY, NULL, pool) ||
		    rte_eth_tx_queue_setup(i, 0, 64, SOCKET_ID_ANY, NULL) || rte_eth_dev_start(i)) {
			printf("skip: port %u did not start\n", i);
			return 77;
		}
		app.port[i].pool = pool;
		app.port[i].id = i;
		memcpy(app.port[i].ifc.mac, mac, 6);
		app.port[i].ifc.ip = NX_NET_IP4(10, 0, i, 1);
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	for (uint16_t i = 0; i < 3; i++) {
		rte_eth_dev_stop(i);
		rte_eth_dev_close(i);
	}
	rte_mempool_free(pool);
	rte_eal_cleanup();
	rmdir(rundir);
	return rc;
}
