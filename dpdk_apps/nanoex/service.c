/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The market-data service: one lcore (the main one, or its own) that owns
 * queue nshards of every port and runs, loop after loop:
 *
 *   rx_burst -> classify (shard.c) -> ITCH feed packets: MoldUDP64
 *                                     sequencing, the full-depth books
 *                                  -> feed retransmission requests
 *   reference prices (mid or last of mapped stocks) -> each owning shard's
 *     refpx ring, applied there between bursts as NX_ADMIN_REF_PX
 *   ITCH gaps -> a retransmission request to the configured server, again
 *     every request_ms until filled
 *   every shard's feed ring, NX_FEED_QUOTA records of each in turn -> the
 *     publisher (nx/feed.h) -> incremental packets; its timers -> heartbeats
 *     and snapshots; retransmission answers (from RX above) -> tx_burst
 *
 * Every part of a loop is bounded: a burst per port and one from the
 * steering ring, NX_FEED_QUOTA records a shard, the publisher's timers. So
 * RX (the ITCH feed, retransmission requests) and the timers run at least
 * once every nshards x NX_FEED_QUOTA records however fast a shard fills
 * its ring, and a shard's records wait behind at most one quota of each
 * other shard's.
 *
 * It never blocks a shard: rings are single-producer single-consumer, a
 * full refpx ring keeps the price for the next loop, and a full feed ring
 * is the shard's to handle (its outbox, nx/feed.h: book changes re-imaged,
 * trades kept in a backlog). No locks, no allocation after init; it reads
 * the TSC once a loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "nanoex.h"

#define RESOLVE_NS   100000000ull /* unresolved ITCH symbols looked up at most this often */
#define REF_TIMER_NS 1000000ull   /* reference prices re-examined at least this often */

/* --- Inbound: ITCH over MoldUDP64 ------------------------------------------------ */

/* The shard of mapped instrument inst (ref_shard, sorted at start-up), or -1. */
static int ref_shard_of(const struct nx_service *v, nx_inst_t inst)
{
	uint32_t lo = 0, hi = v->ref.n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v->ref_shard[mid].inst < inst)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->ref.n && v->ref_shard[lo].inst == inst ? (int)v->ref_shard[lo].shard : -1;
}

static int refpx_emit(void *ctx, nx_inst_t inst, nx_px_t px)
{
	struct nx_service *v = ctx;
	struct nx_app *a = v->io->app;
	int sh = ref_shard_of(v, inst);
	struct nx_admin cmd = { .op = NX_ADMIN_REF_PX, .id = inst, .value = px };
	if (sh < 0)
		return 0; /* every mapped instrument has a shard: cannot happen */
	if (rte_ring_sp_enqueue_elem(a->shard[sh]->md.refpx, &cmd, sizeof(cmd))) {
		v->ref_full++;
		return -1;
	}
	v->ref_sent++;
	return 0;
}

static int itch_deliver(struct nx_service *v, const uint8_t *p, size_t len, uint64_t now_ns)
{
	struct nx_mold_pkt mp;
	int k = nx_mold_rx_packet(&v->mold, p, len, &mp);
	if (k == NX_MOLD_DATA) {
		nx_mdbook_apply_blocks(v->book, mp.blocks, (size_t)(mp.end - mp.blocks), mp.count, NULL);
		v->book_changed = true;
	}
	if (k > 0 && mp.gap_count)
		v->next_request_ns = now_ns; /* a new gap: ask at once */
	return k;
}

/* itch_deliver for the packets held past a gap (nx_mold_hold): the time
 * of the packet that let them go. */
struct held_ctx {
	struct nx_service *v;
	uint64_t now_ns;
};

static void held_deliver(void *ctx, const uint8_t *pkt, size_t len)
{
	const struct held_ctx *h = ctx;
	itch_deliver(h->v, pkt, len, h->now_ns);
}

static void itch_packet(struct nx_service *v, const struct nx_net_pkt *pkt, uint64_t now_ns)
{
	uint64_t next = v->mold.next;
	v->itch_pkts++;
	int k = itch_deliver(v, pkt->payload, pkt->payload_len, now_ns);
	if (k == NX_MOLD_AHEAD) {
		/* Past a gap: kept for when the gap is filled or given up (a
		 * copy of one held already is dropped; of two starting at one
		 * number, the one with more messages is kept). */
		int h = nx_mold_hold_put(&v->ahead, pkt->payload, pkt->payload_len);
		if (h == NX_MOLD_HOLD_FULL || h == NX_MOLD_HOLD_TOO_BIG)
			v->ahead_dropped++;
	} else if (k == NX_MOLD_DATA && v->ahead.n) {
		struct held_ctx hc = { v, now_ns };
		nx_mold_hold_drain(&v->ahead, &v->mold, held_deliver, &hc);
	}
	/* An answer filled part of a gap: ask for the rest at once (an answer
	 * is one packet while the feed keeps going), and the give-up clock
	 * counts from the last progress. */
	if (v->mold.next != next && v->gap_since_ns) {
		v->next_request_ns = now_ns;
		v->gap_since_ns = now_ns;
	}
}

/* Give up the hole before the first packet held past it (nothing held:
 * the whole outstanding range), counted lost, then feed the held packets
 * that follow; those an end of session left undeliverable are let go. */
static void itch_give_up(struct nx_service *v, uint64_t now_ns)
{
	struct held_ctx hc = { v, now_ns };
	nx_mold_hold_give_up(&v->ahead, &v->mold, held_deliver, &hc);
}

/* The neighbour's MAC and the port it is on, or -1. */
static int find_neigh(const struct nx_shard *s, uint32_t ip, uint8_t mac[6])
{
	for (uint32_t pi = 0; pi < s->app->nports; pi++)
		if (!nx_net_neigh_lookup(s->neigh[pi], ip, mac))
			return (int)pi;
	return -1;
}

/* Ask the retransmission server for what is missing, now and then again
 * every request_ms until it has come; after give_up_ms, give the gap up
 * (counted lost: the books may then hold orphans, counted too) rather than
 * hold the feed forever. */
static void itch_request(struct nx_service *v, uint64_t now_ns)
{
	const struct nx_md_itch_config *it = &v->io->app->cfg.md.itch;
	uint8_t req[NX_MOLD_REQUEST_LEN], mac[6];
	uint64_t first, count;
	if (!it->request_ip)
		return;
	if (!nx_mold_rx_missing(&v->mold, &first, &count)) {
		v->gap_since_ns = 0;
		return;
	}
	if (!v->gap_since_ns)
		v->gap_since_ns = now_ns;
	if (now_ns - v->gap_since_ns >= (uint64_t)it->give_up_ms * 1000000u) {
		itch_give_up(v, now_ns);
		v->give_ups++;
		v->gap_since_ns = 0;
		return;
	}
	if (now_ns < v->next_request_ns)
		return;
	v->next_request_ns = now_ns + (uint64_t)it->request_ms * 1000000u;
	size_t n = nx_mold_rx_request(&v->mold, req, sizeof(req), 0);
	int pi = find_neigh(v->io, it->request_ip, mac);
	if (!n)
		return;
	if (pi < 0) {
		v->no_request_neigh++;
		return;
	}
	if (!nx_tx_udp(v->io, (uint32_t)pi, mac, it->request_ip, it->udp_port, it->request_port,
		       req, n))
		v->requests++;
}

static void itch_tick(struct nx_service *v, uint64_t now_ns)
{
	if (v->ref.unresolved && now_ns >= v->next_resolve_ns) {
		v->next_resolve_ns = now_ns + RESOLVE_NS;
		if (nx_mdref_resolve(&v->ref, v->book) < v->ref.n)
			v->book_changed = true;
	}
	if (v->book_changed || now_ns >= v->next_ref_ns) {
		nx_mdref_update(&v->ref, v->book, now_ns, refpx_emit, v);
		v->book_changed = false;
		v->next_ref_ns = now_ns + REF_TIMER_NS;
	}
	itch_request(v, now_ns);
}

/* --- Outbound: the venue's feed ----------------------------------------------------- */

static void feed_send(void *ctx, unsigned channel, const uint8_t *pkt, size_t len,
		      struct nx_addr to)
{
	struct nx_service *v = ctx;
	const struct nx_md_feed_config *f = &v->io->app->cfg.md.feed;
	uint8_t mac[6];
	int rc;
	if (channel == NX_FEED_RETRANSMIT) {
		int pi = find_neigh(v->io, to.ip, mac);
		if (pi < 0) {
			v->feed_no_neigh++;
			return;
		}
		rc = nx_tx_udp(v->io, (uint32_t)pi, mac, to.ip, f->retransmit_port, to.port, pkt, len);
	} else {
		uint16_t port = channel == NX_FEED_INCREMENTAL ? f->incremental_port : f->snapshot_port;
		rc = nx_tx_udp(v->io, 0, v->group_mac, f->group, f->retransmit_port, port, pkt, len);
	}
	if (rc) {
		v->feed_no_mbuf++;
		return;
	}
	v->feed_pkts[channel]++;
	v->feed_bytes += len;
}

/* A shard's feed ring, for nx_feed_pub_drain: the service is its consumer. */
struct feed_rings {
	const struct nx_app *a;
	uint32_t first;              /* source 0 is this shard's ring */
};

static unsigned feed_deq(void *ctx, uint32_t src, struct nx_feed_rec *r, unsigned max)
{
	const struct feed_rings *f = ctx;
	return rte_ring_sc_dequeue_burst_elem(f->a->shard[f->first + src]->md.feed, r, sizeof(*r),
					      max, NULL);
}

/* Is pkt the feed's? A forged feed sent to our address would move the books
 * and, through them, the collar's reference prices. The request server's
 * answers are always taken. Otherwise the feed must come from its
 * configured source, when there is one, and with a multicast group it must
 * be sent to the group (unicast on its port is not the feed). A unicast
 * feed with no source takes everything on the port (nanoex warns at start). */
static bool itch_from_feed(const struct nx_md_itch_config *it, const struct nx_net_pkt *p)
{
	if (it->request_ip && p->src_ip == it->request_ip && p->src_port == it->request_port)
		return true;
	if (it->source_ip && p->src_ip != it->source_ip)
		return false;
	return !it->group || p->dst_ip == it->group;
}

void nx_service_udp(struct nx_service *v, const struct nx_net_pkt *pkt, uint64_t now_ns)
{
	const struct nx_md_config *md = &v->io->app->cfg.md;
	if (v->book && pkt->dst_port == md->itch.udp_port) {
		if (!itch_from_feed(&md->itch, pkt)) {
			v->itch_foreign++;
			return;
		}
		itch_packet(v, pkt, now_ns);
	} else if (v->pub && pkt->dst_port == md->feed.retransmit_port) {
		v->requests_in++;
		nx_feed_pub_request(v->pub, pkt->payload, pkt->payload_len,
				    (struct nx_addr){ .ip = pkt->src_ip, .port = pkt->src_port }, now_ns);
	}
}

/* --- The loop -------------------------------------------------------------------------- */

int nx_service_main(void *arg)
{
	struct nx_service *v = arg;
	struct nx_shard *s = v->io;
	struct nx_app *a = s->app;
	struct rte_mbuf *pkts[NX_BURST_MAX];
	unsigned idle = 0;
	uint64_t now_ns = 0;
	while (!a->quit) {
		unsigned work = 0;
		s->io.loops++;
		now_ns = nx_app_ns(a, rte_rdtsc());
		for (uint32_t pi = 0; pi < a->nports; pi++) {
			uint16_t n = rte_eth_rx_burst(a->port[pi].id, (uint16_t)s->index, pkts, a->burst);
			s->io.rx_pkts += n;
			work += n;
			for (uint16_t i = 0; i < n; i++) {
				s->io.rx_bytes += pkts[i]->pkt_len;
				nx_frame_handle(s, pi, pkts[i], now_ns);
			}
		}
		unsigned n = rte_ring_sc_dequeue_burst(s->steer, (void **)pkts, a->burst, NULL);
		s->io.steer_in += n;
		work += n;
		for (unsigned i = 0; i < n; i++)
			nx_frame_handle(s, nx_port_index(a, pkts[i]->port), pkts[i], now_ns);
		if (v->book)
			itch_tick(v, now_ns);
		if (v->pub) {
			work += (unsigned)nx_feed_pub_drain(v->pub, feed_deq,
							    &(struct feed_rings){ a, 0 },
							    a->nshards, NX_FEED_QUOTA, now_ns);
			nx_feed_pub_poll(v->pub, now_ns);
		}
		nx_tx_flush_all(s);
		if (work) {
			idle = 0;
			continue;
		}
		s->io.idle_loops++;
		nx_idle(a, &idle);
	}
	nx_tx_flush_all(s);
	return 0;
}

/* --- Stopping: the outboxes' remains, at the pace of the TX queue ----------------------- */

/* Up to max records from the shards' rings into the publisher, each shard's
 * outbox polled first so that what it still holds (backlog, announcements,
 * re-images) comes onto its ring; the open packet sent. Every packet the
 * publisher sends carries at least one of the messages given it since its
 * last flush (nx/feed.h), so this sends at most max packets. Returns the
 * records taken. */
static unsigned feed_drain_max(struct nx_service *v, uint64_t now_ns, unsigned max)
{
	struct nx_app *a = v->io->app;
	unsigned total = 0;
	for (uint32_t i = 0; i < a->nshards && total < max; i++) {
		struct nx_shard_md *m = &a->shard[i]->md;
		if (m->out)
			nx_feed_out_poll(m->out, m->book);
		total += (unsigned)nx_feed_pub_drain(v->pub, feed_deq, &(struct feed_rings){ a, i }, 1,
						     max - total, now_ns);
	}
	return total;
}

/* Records the stop could not publish: on the rings and in the backlogs. */
static uint64_t feed_unsent(const struct nx_service *v)
{
	const struct nx_app *a = v->io->app;
	uint64_t n = 0;
	for (uint32_t i = 0; i < a->nshards; i++) {
		const struct nx_shard_md *m = &a->shard[i]->md;
		n += rte_ring_count(m->feed) + (m->out ? nx_feed_out_backlog(m->out) : 0);
	}
	return n;
}

static bool feed_idle(const struct nx_service *v)
{
	const struct nx_app *a = v->io->app;
	for (uint32_t i = 0; i < a->nshards; i++) {
		const struct nx_shard_md *m = &a->shard[i]->md;
		if (!rte_ring_empty(m->feed) || (m->out && !nx_feed_out_idle(m->out)))
			return false;
	}
	return true;
}

/*
 * Every lcore has stopped, so the shards' outboxes are ours now: what they
 * still hold (trades in a backlog, losses to announce, instruments to
 * re-image) goes out before the end of session, then the end itself.
 *
 * At the pace of the TX queue: this once pushed a ring's worth of records a
 * round through the publisher (65,536 records, about 2,000 packets, by
 * default) into a queue of a few hundred frames, and what the NIC did not
 * take within tx_flush's few tries was freed and counted tx_full: lost for
 * good, with no one left to answer a retransmission request. Now each loop
 * offers the held frames to the NIC once, keeping what it refuses, and
 * gives the publisher only as many records as the frames they can make fit
 * beside them (one packet at most per record, one kept for the end of
 * session). Loops that move nothing pause. A queue that takes nothing for
 * NX_STOP_STALL_LOOPS loops in a row is not draining (a link down): the
 * end of session is made anyway, what is held is freed, and both it
 * (feed_stop_lost_pkts) and the records left (feed_stop_unsent_recs) are
 * counted. A link that drains, however slowly, gets everything: the amount
 * is finite, since nothing new comes in.
 *
 * A packet the pool had no mbuf for (feed_no_mbuf) is lost as surely, on
 * either path, and feed_stop_lost_pkts counts it too (it once counted only
 * tx_full). The stop does not wait for mbufs: once the shards have stopped
 * only this lcore allocates, and it holds at most its queue's NX_TXQ_CAP
 * frames and its NIC ring's, so a pool that runs dry here is too small for
 * the TX rings (net.mbufs), not a pace to keep.
 */
static void feed_stop(struct nx_service *v, uint64_t now_ns)
{
	struct nx_shard *s = v->io;
	const uint64_t full = s->io.tx_full, no_mbuf = v->feed_no_mbuf;
	uint32_t stalled = 0;
	bool ended = false;
	nx_feed_pub_flush(v->pub, now_ns); /* none open: the loop flushes each drain */
	while (!ended || nx_tx_held(s)) {
		uint32_t sent = nx_tx_offer_all(s);
		unsigned room = NX_TXQ_CAP - s->tx[0].n; /* the groups' port */
		unsigned moved = 0;
		if (room >= 2) {
			moved = feed_drain_max(v, now_ns, room - 1);
			if (!moved && !ended && feed_idle(v)) {
				nx_feed_pub_end(v->pub, now_ns); /* one packet: flushed above */
				ended = true;
				moved = 1;
			}
		}
		if (sent || moved) {
			stalled = 0;
			continue;
		}
		if (++stalled == NX_STOP_STALL_LOOPS) {
			v->feed_stop_unsent_recs = feed_unsent(v);
			if (!ended)
				nx_feed_pub_end(v->pub, now_ns);
			nx_tx_flush_all(s);
			break;
		}
		rte_pause();
	}
	v->feed_stop_lost_pkts = (s->io.tx_full - full) + (v->feed_no_mbuf - no_mbuf);
}

void nx_service_stop(struct nx_service *v)
{
	uint64_t now_ns = nx_app_ns(v->io->app, rte_rdtsc());
	if (v->pub)
		feed_stop(v, now_ns);
	nx_tx_flush_all(v->io);
	/* The shards have stopped: what they steered here and the service
	 * never took goes back to its pool, as a shard empties its own ring. */
	struct rte_mbuf *m;
	while (!rte_ring_sc_dequeue(v->io->steer, (void **)&m))
		rte_pktmbuf_free(m);
}

static void print_nonzero(void *ctx, const char *key, uint64_t v)
{
	if (v)
		fprintf(ctx, "  %-28s %llu\n", key, (unsigned long long)v);
}

void nx_service_print_final(const struct nx_service *v, FILE *f)
{
	const struct nx_app *a = v->io->app;
	if (v->book) {
		const struct nx_mold_stats *m = &v->mold.st;
		fprintf(f, "market data in: pkts %llu msgs %llu gaps %llu lost %llu requests %llu "
			"give_ups %llu live_orders %llu orphans %llu ref_px_sent %llu ref_px_full %llu\n",
			(unsigned long long)v->itch_pkts, (unsigned long long)m->msgs,
			(unsigned long long)m->gaps, (unsigned long long)m->lost_msgs,
			(unsigned long long)v->requests, (unsigned long long)v->give_ups,
			(unsigned long long)nx_mdbook_stats(v->book)->live_orders,
			(unsigned long long)nx_mdbook_orphans(v->book), (unsigned long long)v->ref_sent,
			(unsigned long long)v->ref_full);
	}
	if (v->pub) {
		const struct nx_feed_pub_stats *p = nx_feed_pub_stats(v->pub);
		fprintf(f, "market data out: msgs %llu incremental_pkts %llu snapshot_pkts %llu "
			"snapshots %llu retransmit_pkts %llu requests %llu throttled %llu no_mbuf %llu "
			"stop_lost_pkts %llu stop_unsent_recs %llu\n",
			(unsigned long long)p->msgs, (unsigned long long)v->feed_pkts[0],
			(unsigned long long)v->feed_pkts[1], (unsigned long long)p->snapshots,
			(unsigned long long)v->feed_pkts[2], (unsigned long long)p->requests,
			(unsigned long long)p->drops[-NX_FEED_PUB_REQ_THROTTLED],
			(unsigned long long)v->feed_no_mbuf, (unsigned long long)v->feed_stop_lost_pkts,
			(unsigned long long)v->feed_stop_unsent_recs);
	}
	fprintf(f, "market-data service (lcore %u): I/O counters that are not zero\n", v->io->lcore);
	struct ctl_writer w = { print_nonzero, NULL, NULL, f };
	ctl_write_io(&w, &v->io->io);
	for (uint32_t i = 0; i < a->nshards; i++) {
		const struct nx_shard_md *m = &a->shard[i]->md;
		static const struct nx_feed_out_stats none;
		const struct nx_feed_out_stats *o = m->out ? nx_feed_out_stats(m->out) : &none;
		if (o->recs || o->dropped || m->ref_px || m->ref_px_rejected)
			fprintf(f, "shard %u market data: feed_recs %llu feed_dropped %llu reimages %llu "
				"trades_backlogged %llu backlog_hwm %llu trades_lost %llu "
				"losses_announced %llu ref_px %llu ref_px_rejected %llu\n", i,
				(unsigned long long)o->recs, (unsigned long long)o->dropped,
				(unsigned long long)o->reimages, (unsigned long long)o->trades_backlogged,
				(unsigned long long)o->backlog_hwm, (unsigned long long)o->trades_lost,
				(unsigned long long)o->losses_announced, (unsigned long long)m->ref_px,
				(unsigned long long)m->ref_px_rejected);
	}
}

/* --- Set-up ------------------------------------------------------------------------------ */

/* A shard's rings and scratch for the service. */
static int shard_md_init(struct nx_app *a, struct nx_shard *s, int socket)
{
	const struct nx_md_config *md = &a->cfg.md;
	const struct nx_shard_config *sc = &a->cfg.net.shards[s->index];
	struct nx_shard_md *m = &s->md;
	char name[RTE_RING_NAMESIZE];
	if (md->feed.group) {
		/* every instrument starts stale: its first image opens the feed */
		const struct nx_feed_out_config oc = {
			.instruments = sc->instruments, .ninstruments = sc->ninstruments,
			.max_levels = md->feed.max_levels, .backlog = md->feed.trade_backlog,
		};
		size_t bytes = nx_feed_out_memsize(&oc);
		void *mem = bytes ? rte_zmalloc_socket("nx_feed_out", bytes, RTE_CACHE_LINE_SIZE,
						       socket) : NULL;
		snprintf(name, sizeof(name), "nx_feed_%u", s->index);
		m->feed = rte_ring_create_elem(name, sizeof(struct nx_feed_rec), md->feed.ring, socket,
					       RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!mem || !m->feed ||
		    !(m->out = nx_feed_out_init(mem, bytes, &oc, nx_shard_feed_enq, m->feed))) {
			rte_free(mem);
			return -ENOMEM;
		}
		m->book = nx_engine_book(s->e);
	}
	if (md->itch.udp_port && md->itch.nmap) {
		snprintf(name, sizeof(name), "nx_refpx_%u", s->index);
		m->refpx = rte_ring_create_elem(name, sizeof(struct nx_admin), NX_REFPX_RING, socket,
						RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!m->refpx)
			return -ENOMEM;
	}
	return 0;
}

static int itch_init(struct nx_app *a, struct nx_service *v, int socket)
{
	const struct nx_md_itch_config *it = &a->cfg.md.itch;
	struct nx_mdbook_config bc = { .max_locates = it->max_locates, .max_orders = it->max_orders,
				       .max_levels = it->max_levels };
	struct nx_mold_rx_config mc = { .have_session = it->have_session,
					.hold_on_gap = it->request_ip != 0, .next_seq = 0 };
	size_t bytes = nx_mdbook_memsize(&bc);
	void *mem = bytes ? rte_zmalloc_socket("nx_mdbook", bytes, RTE_CACHE_LINE_SIZE, socket) : NULL;
	if (!mem || !(v->book = nx_mdbook_init(mem, bytes, &bc))) {
		rte_free(mem);
		return -ENOMEM;
	}
	memcpy(mc.session, it->session, sizeof(mc.session));
	nx_mold_rx_init(&v->mold, &mc);
	if (mc.hold_on_gap) {
		v->ahead_mem = rte_malloc_socket("nx_ahead", nx_mold_hold_memsize(NX_AHEAD_MAX,
										  NX_AHEAD_SLOT), 8, socket);
		if (!v->ahead_mem)
			return -ENOMEM;
		nx_mold_hold_init(&v->ahead, v->ahead_mem, NX_AHEAD_MAX, NX_AHEAD_SLOT);
	}
	if (nx_mdref_init(&v->ref, &a->cfg))
		return -EINVAL;
	for (uint32_t i = 0; i < v->ref.n; i++) { /* at most NX_MD_MAX_MAP: insertion sort */
		nx_inst_t inst = v->ref.e[i].map.inst;
		int sh = nx_config_shard_of(&a->cfg, inst);
		if (sh < 0)
			return -EINVAL; /* the loader refuses a map entry outside every shard */
		uint32_t j = i;
		for (; j > 0 && v->ref_shard[j - 1].inst > inst; j--)
			v->ref_shard[j] = v->ref_shard[j - 1];
		v->ref_shard[j].inst = inst;
		v->ref_shard[j].shard = (uint32_t)sh;
	}
	if (!it->group)
		return 0;
	for (uint32_t pi = 0; pi < a->nports; pi++) {
		struct nx_port *p = &a->port[pi];
		struct rte_ether_addr mc_mac;
		p->ifc.groups[p->ifc.ngroups++] = it->group;
		nx_net_mcast_mac(it->group, mc_mac.addr_bytes);
		if (rte_eth_dev_set_mc_addr_list(p->id, &mc_mac, 1) && rte_eth_allmulticast_enable(p->id))
			printf("nanoex: warning: %s accepts neither a multicast list nor all multicast: "
			       "the ITCH group may not arrive\n", p->name);
	}
	return 0;
}

static int feed_init(struct nx_app *a, struct nx_service *v, int socket)
{
	const struct nx_md_feed_config *f = &a->cfg.md.feed;
	nx_inst_t *ids = rte_zmalloc_socket("nx_feed", a->cfg.ninstruments * sizeof(nx_inst_t), 0,
					    socket);
	if (!ids)
		return -ENOMEM;
	for (uint32_t i = 0; i < a->cfg.ninstruments; i++)
		ids[i] = a->cfg.instruments[i].id;
	struct nx_feed_pub_config pc = {
		.max_payload = 0, .history = f->history, .retrans_max = (uint16_t)f->retrans_max,
		.retrans_rate = f->retrans_rate, .retrans_total_rate = f->retrans_total_rate,
		.instruments = ids, .ninstruments = a->cfg.ninstruments, .max_levels = f->max_levels,
		.heartbeat_ns = (uint64_t)f->heartbeat_ms * 1000000u,
		.snapshot_ns = (uint64_t)f->snapshot_ms * 1000000u,
	};
	/* A name of its own per start unless configured: a subscriber that
	 * heard the last run must not splice this run's numbers onto it. */
	if (f->have_session) {
		memcpy(pc.session, f->session, sizeof(pc.session));
	} else {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		nx_feed_session_name(pc.session, (uint64_t)ts.tv_sec * 1000u +
						 (uint64_t)ts.tv_nsec / 1000000u);
	}
	memcpy(v->feed_session, pc.session, sizeof(pc.session));
	for (size_t i = sizeof(pc.session); i > 0 && v->feed_session[i - 1] == ' '; i--)
		v->feed_session[i - 1] = '\0';
	printf("nanoex: feed session \"%s\"\n", v->feed_session);
	size_t bytes = nx_feed_pub_memsize(&pc);
	void *mem = bytes ? rte_zmalloc_socket("nx_feed", bytes, RTE_CACHE_LINE_SIZE, socket) : NULL;
	if (!mem || !(v->pub = nx_feed_pub_init(mem, bytes, &pc, feed_send, v))) {
		rte_free(mem);
		return -ENOMEM;
	}
	v->pub_ids = ids;
	nx_net_mcast_mac(f->group, v->group_mac);
	return 0;
}

int nx_service_init(struct nx_app *a, struct nx_shard *io, int socket)
{
	struct nx_service *v = rte_zmalloc_socket("nx_service", sizeof(*v), RTE_CACHE_LINE_SIZE,
						  socket);
	if (!v)
		return -ENOMEM;
	a->svc = v;
	v->io = io;
	io->svc = v;
	v->on_main = a->cfg.md.lcore == rte_get_main_lcore();
	for (uint32_t i = 0; i < a->nshards; i++)
		if (shard_md_init(a, a->shard[i], socket))
			return -ENOMEM;
	if (a->cfg.md.itch.udp_port && itch_init(a, v, socket))
		return -ENOMEM;
	if (a->cfg.md.feed.group && feed_init(a, v, socket))
		return -ENOMEM;
	return 0;
}

void nx_service_free(struct nx_app *a)
{
	struct nx_service *v = a->svc;
	for (uint32_t i = 0; i < a->nshards; i++) {
		struct nx_shard_md *m = a->shard[i] ? &a->shard[i]->md : NULL;
		if (!m)
			continue;
		rte_ring_free(m->feed);
		rte_ring_free(m->refpx);
		rte_free(m->out);
	}
	if (!v)
		return;
	rte_free(v->book);
	rte_free(v->ahead_mem);
	rte_free(v->pub);
	rte_free(v->pub_ids);
	rte_free(v);
	a->svc = NULL;
}
