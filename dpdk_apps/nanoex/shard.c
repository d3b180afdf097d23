/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * One shard's loop, run to completion on its lcore:
 *
 *   rx_burst (each port) -> classify -> ARP / ICMP answered in place
 *                                    -> UDP for a sibling: its steering ring
 *                                    -> UDP for us: nx_engine_rx
 *     (with book.prefetch_min_orders reached, each frame's turn starts with the engine's
 *     prefetch hints for the next three frames: nx_engine_prefetch_burst)
 *   steering ring (frames siblings took for us) -> the same
 *   replies: one mbuf per datagram, headers written in front of the
 *   payload, tx_burst at once (nothing waits for a fuller burst)
 *   then, between bursts: the control mailbox, reference prices from the
 *   market-data service, the engine's timers, and the book changes the
 *   engine reported (its tap) onto the feed ring, through the outbox
 *   (nx/feed.h: trades that find the ring full wait in its backlog).
 *
 * No locks, no allocation (mbufs come from the port's pool), no syscalls
 * (an optional idle sleep, off in production), no logging.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "../common/rx_csum.h"
#include "nanoex.h"

#define TX_RETRIES 8

static void tx_flush(struct nx_shard *s, struct nx_port *p, struct nx_txq *t)
{
	uint16_t sent = 0;
	for (int tries = 0; sent < t->n && tries < TX_RETRIES; tries++)
		sent += rte_eth_tx_burst(p->id, (uint16_t)s->index, t->m + sent, (uint16_t)(t->n - sent));
	for (uint16_t i = sent; i < t->n; i++) {
		s->io.tx_full++;
		s->io.tx_bytes -= t->m[i]->pkt_len; /* counted when queued: never sent */
		rte_pktmbuf_free(t->m[i]);
	}
	s->io.tx_pkts += sent;
	t->n = 0;
}

/* Queue a frame on port p's queue t, sending what is queued first when it
 * is full: every producer of frames (engine replies, ARP and ICMP replies)
 * goes through here, so none can write past t->m. */
static void tx_push(struct nx_shard *s, struct nx_port *p, struct nx_txq *t, struct rte_mbuf *m)
{
	if (t->n == NX_TXQ_CAP)
		tx_flush(s, p, t);
	t->m[t->n++] = m;
}

void nx_tx_flush_all(struct nx_shard *s)
{
	for (uint32_t pi = 0; pi < s->app->nports; pi++)
		if (s->tx[pi].n)
			tx_flush(s, &s->app->port[pi], &s->tx[pi]);
}

/* One offer to the NIC; what it does not take stays queued, in order. */
static uint16_t tx_offer(struct nx_shard *s, struct nx_port *p, struct nx_txq *t)
{
	uint16_t sent = rte_eth_tx_burst(p->id, (uint16_t)s->index, t->m, t->n);
	if (sent && sent < t->n)
		memmove(t->m, t->m + sent, (size_t)(t->n - sent) * sizeof(t->m[0]));
	t->n = (uint16_t)(t->n - sent);
	s->io.tx_pkts += sent;
	return sent;
}

uint32_t nx_tx_offer_all(struct nx_shard *s)
{
	uint32_t sent = 0;
	for (uint32_t pi = 0; pi < s->app->nports; pi++)
		if (s->tx[pi].n)
			sent += tx_offer(s, &s->app->port[pi], &s->tx[pi]);
	return sent;
}

uint32_t nx_tx_held(const struct nx_shard *s)
{
	uint32_t n = 0;
	for (uint32_t pi = 0; pi < s->app->nports; pi++)
		n += s->tx[pi].n;
	return n;
}

/* At the stop (s->stop_drain): offer what is queued until the NIC has
 * taken it all, so a shutdown's Terminates and cancel reports are not
 * freed after tx_flush's few tries (one nx_engine_shutdown's worth, or one
 * spill's, NX_OUT_DGRAMS at most, always fits the emptied queue). Queues
 * that take nothing for NX_STOP_STALL_LOOPS offers in a row (a link down)
 * are flushed as tx_flush does, what they held counted tx_full, and the
 * stop goes on without waiting. Elsewhere, the usual flush. */
static void tx_drain_all(struct nx_shard *s)
{
	for (uint32_t stalled = 0; s->stop_drain && nx_tx_held(s);) {
		if (nx_tx_offer_all(s))
			stalled = 0;
		else if (++stalled == NX_STOP_STALL_LOOPS)
			s->stop_drain = false;
		else
			rte_pause();
	}
	nx_tx_flush_all(s);
}

int nx_tx_udp(struct nx_shard *s, uint32_t pi, const uint8_t dst_mac[6], uint32_t dst_ip,
	      uint16_t src_port, uint16_t dst_port, const void *payload, size_t len)
{
	struct nx_port *p = &s->app->port[pi];
	struct nx_txq *t = &s->tx[pi];
	struct rte_mbuf *m = rte_pktmbuf_alloc(p->pool);
	uint8_t *f;
	if (!m || !(f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(NX_NET_UDP_HDR_LEN + len)))) {
		s->io.no_mbuf++;
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	rte_memcpy(f + NX_NET_UDP_HDR_LEN, payload, len);
	size_t flen = nx_net_udp_headers(f, &p->ifc, dst_mac, dst_ip, src_port, dst_port, len,
					 p->tx_flags);
	m->ol_flags = p->tx_ol;
	m->l2_len = NX_NET_ETH_LEN;
	m->l3_len = NX_NET_IP4_LEN;
	s->io.tx_bytes += flen;
	tx_push(s, p, t, m);
	return 0;
}

static unsigned rx_flags(const struct nx_port *p, const struct rte_mbuf *m)
{
	return p->rx_flags_ok ? app_rx_csum_flags(m) : 0;
}

/* Every frame handled lands in exactly one of rx_udp, steer_out, steer_drop,
 * drop_port, arp_replies, icmp_replies, reply_too_big, arp_other,
 * rx_multiseg and drop[reason]: their sum is rx_pkts + steer_in. */
int nx_frame_handle(struct nx_shard *s, uint32_t pi, struct rte_mbuf *m, uint64_t now_ns)
{
	struct nx_txq *tx = s->tx;
	struct nx_app *a = s->app;
	struct nx_port *p = &a->port[pi];
	struct nx_net_pkt pkt;
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	if (m->nb_segs != 1) { /* only jumbo frames; an order never is one */
		s->io.rx_multiseg++;
		rte_pktmbuf_free(m);
		return 0;
	}
	int v = nx_net_classify(&p->ifc, data, m->data_len, rx_flags(p, m), &pkt);
	size_t len;
	switch (v) {
	case NX_NET_UDP: {
		nx_net_neigh_learn(s->neigh[pi], pkt.src_ip, pkt.src_mac);
		uint8_t owner = a->shard_of_udp[pkt.dst_port];
		if (!owner) {
			s->io.drop_port++;
			break;
		}
		if (owner - 1u != s->index) {
			if (rte_ring_mp_enqueue(a->shard[owner - 1]->steer, m)) {
				s->io.steer_drop++;
				break;
			}
			s->io.steer_out++;
			return 0;
		}
		s->io.rx_udp++;
		if (NX_LIKELY(s->e != NULL))
			nx_engine_rx(s->e, pkt.payload, pkt.payload_len,
				     (struct nx_addr){ pkt.src_ip, pkt.src_port,
						       nx_net_link(pi, pkt.src_mac) },
				     now_ns, &s->out);
		else
			nx_service_udp(s->svc, &pkt, now_ns);
		rte_pktmbuf_free(m);
		return 1;
	}
	case NX_NET_ARP_REQUEST:
	case NX_NET_ICMP_ECHO:
		nx_net_neigh_learn(s->neigh[pi], pkt.src_ip, pkt.src_mac);
		len = v == NX_NET_ARP_REQUEST
		    ? nx_net_arp_reply(data, m->buf_len - m->data_off, &pkt, &p->ifc)
		    : nx_net_icmp_echo_reply(data, m->buf_len - m->data_off, data, &pkt, &p->ifc);
		if (!len) {
			s->io.reply_too_big++;
			break;
		}
		m->data_len = m->pkt_len = (uint32_t)len;
		m->ol_flags = 0;
		if (v == NX_NET_ARP_REQUEST)
			s->io.arp_replies++;
		else
			s->io.icmp_replies++;
		s->io.tx_bytes += len;
		tx_push(s, p, &tx[pi], m);
		return 0;
	case NX_NET_ARP_OTHER:
		s->io.arp_other++;
		if (pkt.src_ip)
			nx_net_neigh_learn(s->neigh[pi], pkt.src_ip, pkt.src_mac);
		break;
	default:
		s->io.drop[-v]++;
		break;
	}
	rte_pktmbuf_free(m);
	return 0;
}

/* Turn the engine's reply datagrams into frames: on the port and to the MAC
 * their link names (what a session's binding keeps, nx_addr.link), else on
 * the port whose neighbour cache knows the destination. */
static void build_replies(struct nx_shard *s)
{
	struct nx_app *a = s->app;
	for (uint32_t i = 0; i < s->out.n; i++) {
		const struct nx_out_dgram *d = &s->out.d[i];
		uint8_t mac[6];
		uint32_t pi = nx_net_link_port(d->to.link, mac);
		if (pi >= a->nports) {
			pi = 0;
			while (pi < a->nports && nx_net_neigh_lookup(s->neigh[pi], d->to.ip, mac))
				pi++;
		}
		if (pi == a->nports) {
			s->io.no_neigh++;
			continue;
		}
		nx_tx_udp(s, pi, mac, d->to.ip, s->udp_port, d->to.port, d->data, d->len);
	}
	s->out.n = 0;
}

/* nx_out's spill: one input needs more datagrams than the array holds (an
 * order trading with makers of many sessions, a venue-wide kill): frame
 * them now, as after every input, and the engine goes on in an empty array. */
void nx_shard_spill(struct nx_out *out, void *arg)
{
	struct nx_shard *s = arg;
	(void)out;
	build_replies(s);
	if (NX_UNLIKELY(s->stop_drain)) /* the stop's cancel reports: at the queue's pace */
		tx_drain_all(s);
}

/* --- The feed's side of a shard ------------------------------------------------ */

/* What happens when the ring is full is the outbox's (src/feed/out.c, tested
 * without DPDK): book changes are dropped and re-imaged later, trades wait
 * in its backlog, trades beyond it are announced lost. */
unsigned nx_shard_feed_enq(void *ring, const struct nx_feed_rec *r, unsigned n, int all)
{
	return all ? rte_ring_sp_enqueue_bulk_elem(ring, r, sizeof(*r), n, NULL)
		   : rte_ring_sp_enqueue_burst_elem(ring, r, sizeof(*r), n, NULL);
}

void nx_shard_feed_tap(void *ctx, const struct nx_event *ev)
{
	struct nx_shard *s = ctx;
	nx_feed_out_event(s->md.out, ev);
}

/* Reference prices the service sent: sequenced admin inputs of the engine. */
static void apply_refpx(struct nx_shard *s, uint64_t now_ns)
{
	struct nx_admin cmd[16];
	unsigned n = rte_ring_sc_dequeue_burst_elem(s->md.refpx, cmd, sizeof(cmd[0]), 16, NULL);
	for (unsigned i = 0; i < n; i++) {
		if (nx_engine_admin(s->e, &cmd[i], now_ns, &s->out))
			s->md.ref_px_rejected++;
		else
			s->md.ref_px++;
	}
}

void nx_idle(const struct nx_app *a, unsigned *idle)
{
	if (a->idle_sleep_us && ++*idle > 64) {
		struct timespec ts = { 0, (long)a->idle_sleep_us * 1000 };
		nanosleep(&ts, NULL);
	} else {
		rte_pause();
	}
}

/* Where the engine's prefetch hints find each frame's UDP payload, from the
 * headers alone (classify runs at the frame's turn); NULL for a frame that
 * is not IPv4 UDP. */
static void burst_payloads(struct rte_mbuf **pkts, unsigned n, const uint8_t **pl, size_t *plen)
{
	for (unsigned k = 0; k < n; k++) {
		uint32_t len = 0;
		pl[k] = nx_net_udp_payload_guess(rte_pktmbuf_mtod(pkts[k], const uint8_t *),
						 pkts[k]->data_len, &len);
		plen[k] = len;
	}
}

int nx_shard_main(void *arg)
{
	struct nx_shard *s = arg;
	struct nx_app *a = s->app;
	struct rte_mbuf *pkts[NX_BURST_MAX];
	const uint8_t *pl[NX_BURST_MAX]; /* the burst's payloads, for the hints */
	size_t plen[NX_BURST_MAX];
	uint16_t burst = a->burst;
	unsigned idle = 0;
	s->last_poll_ns = nx_app_ns(a, rte_rdtsc());
	while (!a->quit) {
		uint32_t work = 0, dgrams = 0;
		uint64_t rx_tsc = 0, now_ns = 0;
		s->io.loops++;
		for (uint32_t pi = 0; pi < a->nports; pi++) {
			uint16_t n = rte_eth_rx_burst(a->port[pi].id, (uint16_t)s->index, pkts, burst);
			if (!n)
				continue;
			if (!rx_tsc) {
				rx_tsc = rte_rdtsc();
				now_ns = nx_app_ns(a, rx_tsc);
			}
			work += n;
			s->io.rx_pkts += n;
			int hint = nx_engine_prefetch_wanted(s->e);
			if (hint)
				burst_payloads(pkts, n, pl, plen);
			for (uint16_t i = 0; i < n; i++) {
				s->io.rx_bytes += pkts[i]->pkt_len;
				if (i + 1 < n)
					rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
				if (hint)
					nx_engine_prefetch_burst(s->e, pl, plen, n, i);
				dgrams += (uint32_t)nx_frame_handle(s, pi, pkts[i], now_ns);
				if (s->out.n) /* the next input gets the whole array */
					build_replies(s);
			}
		}
		unsigned n = rte_ring_sc_dequeue_burst(s->steer, (void **)pkts, burst, NULL);
		if (n) {
			if (!rx_tsc) {
				rx_tsc = rte_rdtsc();
				now_ns = nx_app_ns(a, rx_tsc);
			}
			work += n;
			s->io.steer_in += n;
			int hint = nx_engine_prefetch_wanted(s->e);
			if (hint)
				burst_payloads(pkts, n, pl, plen);
			for (unsigned i = 0; i < n; i++) {
				if (hint)
					nx_engine_prefetch_burst(s->e, pl, plen, n, i);
				dgrams += (uint32_t)nx_frame_handle(s, nx_port_index(a, pkts[i]->port),
								    pkts[i], now_ns);
				if (s->out.n)
					build_replies(s);
			}
		}
		if (work) {
			build_replies(s);
			nx_tx_flush_all(s);
			if (dgrams) {
				uint64_t ns = nx_app_ns(a, rte_rdtsc()) - now_ns;
				nx_hist_record_n(s->lat, ns, dgrams);
			}
			idle = 0;
		}
		/* Between bursts: the control plane, reference prices, the
		 * engine's timers, and the book changes for the feed. The
		 * engine sees one time a loop: the burst's, or, in a loop that
		 * received nothing, the one reading taken here (the reading
		 * after tx_burst above is the latency's, never an input). */
		uint64_t t = work ? now_ns : nx_app_ns(a, rte_rdtsc());
		if (ctl_pending(&s->mb))
			ctl_serve(&s->mb, s->e, &s->io, t, &s->out);
		if (s->md.refpx)
			apply_refpx(s, t);
		if (t - s->last_poll_ns >= NX_POLL_NS) {
			s->last_poll_ns = t;
			nx_engine_poll(s->e, t, &s->out);
		}
		if (s->out.n) {
			build_replies(s);
			nx_tx_flush_all(s);
		}
		if (s->md.out) /* the buffer, the backlog, re-images */
			nx_feed_out_poll(s->md.out, s->md.book);
		if (work)
			continue;
		s->io.idle_loops++;
		nx_idle(a, &idle);
	}
	/* Stopping: RX is no longer polled. Every binding ends with
	 * Terminate(VENUE_SHUTDOWN) (cancel-on-disconnect runs for the
	 * accounts that have it); that and whatever the engine still had to
	 * say (a last control command) go out at the TX queue's pace, then
	 * the steering ring is emptied. */
	uint64_t t = nx_app_ns(a, rte_rdtsc());
	uint32_t left;
	s->stop_drain = true;
	tx_drain_all(s);
	do {
		left = nx_engine_shutdown(s->e, t, &s->out);
		build_replies(s);
		tx_drain_all(s);
	} while (left);
	if (s->md.out) /* what the backlog still holds: nx_service_stop */
		nx_feed_out_flush(s->md.out);
	struct rte_mbuf *m;
	while (!rte_ring_sc_dequeue(s->steer, (void **)&m))
		rte_pktmbuf_free(m);
	return 0;
}
