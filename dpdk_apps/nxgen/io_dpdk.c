/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxgen's DPDK backend: one port (a real NIC, net_af_packet, net_memif,
 * net_tap ...), one RX and one TX queue, polled by the generator's own
 * thread (the EAL's main lcore: pin it with -l). nxgen has its own IPv4
 * address on the port (--src-ip); it finds the venue's MAC by ARP (a request
 * every 100 ms until answered, 3 s at most) and answers ARP requests and
 * pings for its own address, so the venue can find it too. Session i
 * sends from UDP port --src-port + i, so a reply's destination port names
 * its session. Frames are built and classified by libnx's net module
 * (nx_net_udp_build, nx_net_classify), checksums offloaded where the port
 * offers it.
 *
 * Time stamps: by default the generator's clock read right after the
 * rx_burst that returned the frame. Where the port offers
 * RTE_ETH_RX_OFFLOAD_TIMESTAMP and rte_eth_read_clock works, the NIC's RX
 * timestamp (the mbuf dynamic field) is used instead, mapped to the
 * generator's clock by a line through two (NIC clock, generator clock)
 * readings 100 ms apart at start-up; the report says which was used.
 * Virtual devices have none.
 */
/* rte_eth_read_clock (the NIC clock, to map RX timestamps) is still
 * experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>
#include <rte_version.h>

#include "../common/rx_csum.h"
#include "nx/net.h"
#include "nxgen.h"

#define NB_MBUF    8191
#define MBUF_CACHE 256
#define NB_DESC    1024
#define TX_RETRIES 8
#define ARP_EVERY_NS  100000000u  /* ARP request every 100 ms ... */
#define ARP_GIVE_UP_NS 3000000000u /* ... for 3 s */

static int g_eal;

int nxg_dpdk_eal_init(int argc, char **argv)
{
	if (g_eal)
		return 0;
	int n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "nxgen: EAL initialisation failed: %s (EAL options go before \"--\")\n",
			rte_strerror(rte_errno));
		return -1;
	}
	g_eal = 1;
	return 0;
}

void nxg_dpdk_eal_fini(void)
{
	if (g_eal)
		rte_eal_cleanup();
	g_eal = 0;
}

struct nxg_io {
	const struct nxg_clock *clk;
	uint16_t port;
	struct rte_mempool *pool;
	struct nx_net_if ifc;
	uint32_t venue_ip;
	uint8_t venue_mac[6];
	uint8_t have_mac;
	unsigned rx_flags_ok, tx_flags;
	uint64_t tx_ol;
	uint16_t src_port;
	uint32_t nsess;
	uint16_t dport[NXG_MAX_SESSIONS];
	struct rte_mbuf *held[NXG_RX_BURST];
	unsigned nheld;
	/* hardware RX timestamps */
	int hwts, ts_off;
	uint64_t ts_flag, nic0, ns0;
	double ns_per_tick;
	char hw_why[160];
	/* counters */
	uint64_t arp_sent, arp_answered, icmp_answered, not_ours, no_mbuf, tx_full, hw_stamped;
	uint64_t drop[NX_NET_DROP_MAX];
	char name[RTE_ETH_NAME_MAX_LEN], driver[32];
};

static void hold_free(struct nxg_io *io)
{
	for (unsigned i = 0; i < io->nheld; i++)
		rte_pktmbuf_free(io->held[i]);
	io->nheld = 0;
}

static void dpdk_close(struct nxg_io *io)
{
	if (!io)
		return;
	hold_free(io);
	rte_eth_dev_stop(io->port);
	free(io);
}

static uint16_t tx_burst(struct nxg_io *io, struct rte_mbuf **m, uint16_t n)
{
	uint16_t sent = 0;
	for (int tries = 0; sent < n && tries < TX_RETRIES; tries++)
		sent += rte_eth_tx_burst(io->port, 0, m + sent, (uint16_t)(n - sent));
	for (uint16_t i = sent; i < n; i++) {
		io->tx_full++;
		rte_pktmbuf_free(m[i]);
	}
	return sent;
}

static void arp_request(struct nxg_io *io)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(io->pool);
	uint8_t *f;
	if (!m || !(f = (uint8_t *)rte_pktmbuf_append(m, NX_NET_ARP_FRAME_LEN))) {
		rte_pktmbuf_free(m);
		io->no_mbuf++;
		return;
	}
	struct nx_net_eth_hdr *e = (struct nx_net_eth_hdr *)f;
	struct nx_net_arp_hdr *a = (struct nx_net_arp_hdr *)(f + NX_NET_ETH_LEN);
	memset(e->dst, 0xff, 6);
	memcpy(e->src, io->ifc.mac, 6);
	nx_net_st_be16(e->type, NX_NET_ETHERTYPE_ARP);
	nx_net_st_be16(a->htype, NX_NET_ARP_HTYPE_ETH);
	nx_net_st_be16(a->ptype, NX_NET_ETHERTYPE_IP4);
	a->hlen = 6;
	a->plen = 4;
	nx_net_st_be16(a->op, NX_NET_ARP_OP_REQUEST);
	memcpy(a->sha, io->ifc.mac, 6);
	nx_net_st_be32(a->spa, io->ifc.ip);
	memset(a->tha, 0, 6);
	nx_net_st_be32(a->tpa, io->venue_ip);
	m->ol_flags = 0;
	io->arp_sent += tx_burst(io, &m, 1);
}

static unsigned rx_flags(const struct nxg_io *io, const struct rte_mbuf *m)
{
	return io->rx_flags_ok ? app_rx_csum_flags(m) : 0;
}

static unsigned dpdk_poll(struct nxg_io *io, struct nxg_rx *rx, unsigned cap, uint64_t wait_ns)
{
	struct rte_mbuf *pkts[NXG_RX_BURST], *out[NXG_RX_BURST];
	uint16_t nout = 0;
	unsigned got = 0;
	hold_free(io);
	if (cap > NXG_RX_BURST)
		cap = NXG_RX_BURST;
	uint16_t n = rte_eth_rx_burst(io->port, 0, pkts, (uint16_t)cap);
	if (!n) {
		if (wait_ns) /* --idle sleep: DPDK has nothing to block on; yield the core briefly */
			rte_delay_us_sleep((unsigned)(wait_ns / 1000 < 50 ? wait_ns / 1000 + 1 : 50));
		return 0;
	}
	uint64_t now = nxg_now(io->clk);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
		struct nx_net_pkt pkt;
		int v = m->nb_segs == 1 ? nx_net_classify(&io->ifc, data, m->data_len, rx_flags(io, m), &pkt)
					: NX_NET_DROP_SHORT;
		size_t len;
		switch (v) {
		case NX_NET_UDP:
			if (pkt.src_ip == io->venue_ip && !io->have_mac) {
				memcpy(io->venue_mac, pkt.src_mac, 6);
				io->have_mac = 1;
			}
			if (pkt.src_ip != io->venue_ip || pkt.dst_port < io->src_port ||
			    (uint32_t)(pkt.dst_port - io->src_port) >= io->nsess) {
				io->not_ours++;
				break;
			}
			rx[got] = (struct nxg_rx){ .sess = pkt.dst_port - io->src_port, .len = pkt.payload_len,
						   .data = pkt.payload, .ts_ns = now };
			if (io->hwts && (m->ol_flags & io->ts_flag)) {
				uint64_t t = *RTE_MBUF_DYNFIELD(m, io->ts_off, rte_mbuf_timestamp_t *);
				rx[got].ts_ns = io->ns0 + (uint64_t)((double)(int64_t)(t - io->nic0) * io->ns_per_tick);
				io->hw_stamped++;
			}
			got++;
			io->held[io->nheld++] = m;
			continue;
		case NX_NET_ARP_REQUEST:
		case NX_NET_ICMP_ECHO:
			len = v == NX_NET_ARP_REQUEST
			    ? nx_net_arp_reply(data, m->buf_len - m->data_off, &pkt, &io->ifc)
			    : nx_net_icmp_echo_reply(data, m->buf_len - m->data_off, data, &pkt, &io->ifc);
			if (!len)
				break;
			m->data_len = m->pkt_len = (uint32_t)len;
			m->ol_flags = 0;
			if (v == NX_NET_ARP_REQUEST)
				io->arp_answered++;
			else
				io->icmp_answered++;
			out[nout++] = m;
			continue;
		case NX_NET_ARP_OTHER:
			if (pkt.src_ip && pkt.src_ip == io->venue_ip) {
				memcpy(io->venue_mac, pkt.src_mac, 6);
				io->have_mac = 1;
			}
			break;
		default:
			if (v < 0)
				io->drop[-v]++;
			break;
		}
		rte_pktmbuf_free(m);
	}
	if (nout)
		tx_burst(io, out, nout);
	return got;
}

static unsigned dpdk_send(struct nxg_io *io, const struct nxg_tx *tx, unsigned n)
{
	struct rte_mbuf *m[NXG_TX_BURST];
	uint16_t k = 0;
	for (unsigned i = 0; i < n && k < NXG_TX_BURST; i++) {
		struct rte_mbuf *b = rte_pktmbuf_alloc(io->pool);
		uint8_t *f;
		if (!b || !(f = (uint8_t *)rte_pktmbuf_append(b, (uint16_t)(NX_NET_UDP_HDR_LEN + tx[i].len)))) {
			rte_pktmbuf_free(b);
			io->no_mbuf++;
			continue;
		}
		nx_net_udp_build(f, NX_NET_UDP_HDR_LEN + tx[i].len, &io->ifc, io->venue_mac, io->venue_ip,
				 (uint16_t)(io->src_port + tx[i].sess), io->dport[tx[i].sess], tx[i].data,
				 tx[i].len, io->tx_flags);
		b->ol_flags = io->tx_ol;
		b->l2_len = NX_NET_ETH_LEN;
		b->l3_len = NX_NET_IP4_LEN;
		m[k++] = b;
	}
	return k ? tx_burst(io, m, k) : 0;
}

/* The venue's MAC: ARP until answered (answering ARP for us meanwhile). */
static int resolve(struct nxg_io *io, char *err, size_t errlen)
{
	struct nxg_rx rx[NXG_RX_BURST];
	uint64_t start = nxg_now(io->clk), next = start;
	io->nsess = 0; /* nothing is a session's yet */
	while (!io->have_mac) {
		uint64_t now = nxg_now(io->clk);
		if (now - start > ARP_GIVE_UP_NS) {
			uint32_t v = io->venue_ip;
			snprintf(err, errlen, "%s: no ARP answer for the venue %u.%u.%u.%u from %s in 3 s "
				 "(is nanoex up on that link, and --src-ip on its subnet?)", io->name,
				 v >> 24, v >> 16 & 255, v >> 8 & 255, v & 255, "this port");
			return -EHOSTUNREACH;
		}
		if (now >= next) {
			arp_request(io);
			next = now + ARP_EVERY_NS;
		}
		dpdk_poll(io, rx, NXG_RX_BURST, 0);
	}
	return 0;
}

static int dpdk_session(struct nxg_io *io, uint32_t idx, uint32_t ip, uint16_t port, char *err,
			size_t errlen)
{
	if (idx >= NXG_MAX_SESSIONS)
		return snprintf(err, errlen, "too many sessions"), -EINVAL;
	if (!io->have_mac || io->venue_ip != ip) {
		io->venue_ip = ip;
		io->have_mac = 0;
		int rc = resolve(io, err, errlen);
		if (rc)
			return rc;
	}
	io->dport[idx] = port;
	io->nsess = idx + 1;
	return 0;
}

/* NIC clock to generator clock: two readings 100 ms apart. */
static void hw_calibrate(struct nxg_io *io)
{
	uint64_t c0, c1;
	if (rte_eth_read_clock(io->port, &c0)) {
		io->hwts = 0;
		snprintf(io->hw_why, sizeof(io->hw_why), "no (RX timestamps offered, but "
			 "rte_eth_read_clock is not supported: cannot map them to host time)");
		return;
	}
	uint64_t t0 = nxg_now(io->clk);
	struct timespec ts = { 0, 100000000 };
	nanosleep(&ts, NULL);
	rte_eth_read_clock(io->port, &c1);
	uint64_t t1 = nxg_now(io->clk);
	if (c1 <= c0) {
		io->hwts = 0;
		snprintf(io->hw_why, sizeof(io->hw_why), "no (NIC clock did not advance)");
		return;
	}
	io->ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
	io->nic0 = c1;
	io->ns0 = t1;
	snprintf(io->hw_why, sizeof(io->hw_why), "yes (RX: NIC timestamp, %.3f MHz clock mapped to the "
		 "generator clock; TX: software)", 1e3 / io->ns_per_tick);
}

static struct nxg_io *dpdk_open(const struct nxg_opts *o, const struct nxg_clock *clk, char *err,
				size_t errlen)
{
	struct nxg_io *io = calloc(1, sizeof(*io));
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf = { 0 };
	unsigned b0, b1, b2, b3;
	int rc;
	if (!io)
		return snprintf(err, errlen, "out of memory"), NULL;
	io->clk = clk;
	io->src_port = o->src_port;
	if (sscanf(o->src_ip, "%u.%u.%u.%u", &b0, &b1, &b2, &b3) != 4 || (b0 | b1 | b2 | b3) > 255) {
		snprintf(err, errlen, "--src-ip %s is not an IPv4 address", o->src_ip);
		goto fail;
	}
	io->ifc.ip = b0 << 24 | b1 << 16 | b2 << 8 | b3;
	if (o->dev[0]) {
		if (rte_eth_dev_get_port_by_name(o->dev, &io->port)) {
			snprintf(err, errlen, "--dev %s: no such DPDK port (attach it with EAL -a or --vdev)",
				 o->dev);
			goto fail;
		}
	} else {
		uint16_t p;
		int found = 0;
		RTE_ETH_FOREACH_DEV(p) {
			io->port = p;
			found = 1;
			break;
		}
		if (!found) {
			snprintf(err, errlen, "no DPDK port (attach one with EAL -a <pci> or --vdev=...)");
			goto fail;
		}
	}
	rte_eth_dev_get_name_by_port(io->port, io->name);
	if ((rc = rte_eth_dev_info_get(io->port, &info))) {
		snprintf(err, errlen, "%s: device info: %s", io->name, rte_strerror(-rc));
		goto fail;
	}
	snprintf(io->driver, sizeof(io->driver), "%s", info.driver_name);
	uint64_t rx_ck = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	uint64_t tx_ck = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	if ((info.rx_offload_capa & rx_ck) == rx_ck) {
		conf.rxmode.offloads |= rx_ck;
		io->rx_flags_ok = 1;
	}
	if ((info.tx_offload_capa & tx_ck) == tx_ck) {
		conf.txmode.offloads |= tx_ck;
		io->tx_flags = NX_NET_TX_IP_CSUM_OFFLOAD | NX_NET_TX_UDP_CSUM_OFFLOAD;
		io->tx_ol = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
	}
	snprintf(io->hw_why, sizeof(io->hw_why), "no (%s offers no RTE_ETH_RX_OFFLOAD_TIMESTAMP)",
		 io->driver);
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) {
		if (rte_mbuf_dyn_rx_timestamp_register(&io->ts_off, &io->ts_flag) == 0) {
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
			io->hwts = 1;
		} else {
			snprintf(io->hw_why, sizeof(io->hw_why), "no (mbuf timestamp field: %s)",
				 rte_strerror(rte_errno));
		}
	}
	int socket = rte_eth_dev_socket_id(io->port);
	if (!(io->pool = rte_mempool_lookup("nxgen_mbuf")) &&
	    !(io->pool = rte_pktmbuf_pool_create("nxgen_mbuf", NB_MBUF, MBUF_CACHE, 0,
						 RTE_MBUF_DEFAULT_BUF_SIZE, socket))) {
		snprintf(err, errlen, "%s: cannot create %d mbufs: %s (hugepages? -m large enough?)",
			 io->name, NB_MBUF, rte_strerror(rte_errno));
		goto fail;
	}
	uint16_t rxd = NB_DESC, txd = NB_DESC;
	struct rte_eth_rxconf rxc = info.default_rxconf;
	struct rte_eth_txconf txc = info.default_txconf;
	rxc.offloads = conf.rxmode.offloads;
	txc.offloads = conf.txmode.offloads;
	if ((rc = rte_eth_dev_configure(io->port, 1, 1, &conf)) ||
	    (rc = rte_eth_dev_adjust_nb_rx_tx_desc(io->port, &rxd, &txd)) ||
	    (rc = rte_eth_rx_queue_setup(io->port, 0, rxd, socket, &rxc, io->pool)) ||
	    (rc = rte_eth_tx_queue_setup(io->port, 0, txd, socket, &txc)) ||
	    (rc = rte_eth_dev_start(io->port))) {
		snprintf(err, errlen, "%s: port set-up: %s", io->name, rte_strerror(-rc));
		goto fail;
	}
	struct rte_ether_addr mac;
	rte_eth_macaddr_get(io->port, &mac);
	memcpy(io->ifc.mac, mac.addr_bytes, 6);
	if (io->hwts)
		hw_calibrate(io);
	return io;
fail:
	free(io);
	return NULL;
}

static void dpdk_facts(struct nxg_io *io, FILE *f)
{
	uint32_t v = io->venue_ip, s = io->ifc.ip;
	fprintf(f, "io.backend: dpdk (one port, one queue pair, polled by the generator's lcore %u)\n",
		rte_lcore_id());
	fprintf(f, "io.port: %s\nio.driver: %s\n", io->name, io->driver);
	fprintf(f, "io.mac: " RTE_ETHER_ADDR_PRT_FMT "\n",
		RTE_ETHER_ADDR_BYTES((const struct rte_ether_addr *)io->ifc.mac));
	fprintf(f, "io.src_ip: %u.%u.%u.%u\nio.venue_ip: %u.%u.%u.%u\n", s >> 24, s >> 16 & 255,
		s >> 8 & 255, s & 255, v >> 24, v >> 16 & 255, v >> 8 & 255, v & 255);
	fprintf(f, "io.venue_mac: " RTE_ETHER_ADDR_PRT_FMT "\n",
		RTE_ETHER_ADDR_BYTES((const struct rte_ether_addr *)io->venue_mac));
	fprintf(f, "io.checksums: rx %s, tx %s\n", io->rx_flags_ok ? "offloaded" : "software",
		io->tx_flags ? "offloaded" : "software");
	fprintf(f, "io.rx_timestamps: %s\n", io->hwts ? "hardware where the mbuf has one, else software"
		: "software (generator clock after rx_burst returns)");
	fprintf(f, "io.hw_timestamps: %s\n", io->hw_why);
	fprintf(f, "io.hw_stamped: %lu\n", (unsigned long)io->hw_stamped);
	fprintf(f, "io.dpdk_version: %s\n", rte_version());
	fprintf(f, "io.arp: %lu requests sent, %lu answered; icmp answered %lu\n",
		(unsigned long)io->arp_sent, (unsigned long)io->arp_answered,
		(unsigned long)io->icmp_answered);
	fprintf(f, "io.tx_full: %lu\nio.no_mbuf: %lu\nio.not_ours: %lu\n", (unsigned long)io->tx_full,
		(unsigned long)io->no_mbuf, (unsigned long)io->not_ours);
	for (int i = 1; i < NX_NET_DROP_MAX; i++)
		if (io->drop[i])
			fprintf(f, "io.drop_%s: %lu\n", nx_net_drop_name(-i), (unsigned long)io->drop[i]);
}

const struct nxg_io_ops nxg_io_dpdk = {
	.name = "dpdk",
	.open = dpdk_open,
	.session = dpdk_session,
	.send = dpdk_send,
	.poll = dpdk_poll,
	.facts = dpdk_facts,
	.close = dpdk_close,
};
