/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Ports: one RX and one TX queue per shard (and one for the market-data
 * service, queue nshards, when configured) on every port, the checksum
 * offloads the NIC has, a mempool on the port's NUMA socket, and steering
 * by UDP destination port: an rte_flow rule per shard where the PMD takes
 * it (ice, i40e, mlx5 ...), else RSS spreads flows and shards hand frames
 * for a sibling over its steering ring (net_tap, af_packet, memif ...).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "nanoex.h"

#define MBUF_CACHE 256

static uint32_t be32(uint32_t v)
{
	return rte_cpu_to_be_32(v);
}

/* One rule per UDP port a queue owner serves: IPv4 to our address (or to
 * the ITCH feed's group), UDP to that port -> the owner's queue. */
static int install_flows(struct nx_app *a, struct nx_port *p, char *why, size_t len)
{
	struct rte_flow_error fe;
	struct rte_flow_attr attr = { .ingress = 1 };
	const struct nx_md_config *md = &a->cfg.md;
	for (uint32_t port = 1; port < 65536; port++) {
		if (!a->shard_of_udp[port])
			continue;
		uint32_t dst = port == md->itch.udp_port && md->itch.group ? md->itch.group : p->ifc.ip;
		struct rte_flow_item_ipv4 ip = { .hdr.dst_addr = be32(dst) };
		struct rte_flow_item_ipv4 ip_mask = { .hdr.dst_addr = UINT32_MAX };
		struct rte_flow_item_udp udp = { .hdr.dst_port = rte_cpu_to_be_16((uint16_t)port) };
		struct rte_flow_item_udp udp_mask = { .hdr.dst_port = UINT16_MAX };
		struct rte_flow_item pattern[] = {
			{ .type = RTE_FLOW_ITEM_TYPE_ETH },
			{ .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &ip, .mask = &ip_mask },
			{ .type = RTE_FLOW_ITEM_TYPE_UDP, .spec = &udp, .mask = &udp_mask },
			{ .type = RTE_FLOW_ITEM_TYPE_END },
		};
		struct rte_flow_action_queue q = { .index = (uint16_t)(a->shard_of_udp[port] - 1) };
		struct rte_flow_action actions[] = {
			{ .type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &q },
			{ .type = RTE_FLOW_ACTION_TYPE_END },
		};
		memset(&fe, 0, sizeof(fe));
		if (rte_flow_validate(p->id, &attr, pattern, actions, &fe) ||
		    !rte_flow_create(p->id, &attr, pattern, actions, &fe)) {
			snprintf(why, len, "%s", fe.message ? fe.message : "not supported");
			rte_flow_flush(p->id, &fe);
			return -1;
		}
	}
	return 0;
}

/* RSS spreads the flows no rte_flow rule catches over the port's queues;
 * the shards' only, not the market-data service's: a client's orders that
 * landed on the service's queue waited for its loop (up to nshards x 256
 * feed records) before it handed them on. Its own traffic (the ITCH feed,
 * retransmission answers) reaches it from the shards by software steering.
 * Returns the note for the port's start-up line. */
static const char *rss_to_shards(const struct nx_app *a, const struct nx_port *p,
				 const struct rte_eth_dev_info *info, enum rte_eth_rx_mq_mode mq,
				 uint16_t q)
{
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	uint16_t n = info->reta_size;
	if (mq != RTE_ETH_MQ_RX_RSS || q <= a->nshards)
		return "";
	if (!n || n > RTE_ETH_RSS_RETA_SIZE_512)
		return ", RSS over the service's queue too (no table to set)";
	memset(reta, 0, sizeof(reta));
	for (uint16_t i = 0; i < n; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= UINT64_C(1) << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(uint16_t)(i % a->nshards);
	}
	return rte_eth_dev_rss_reta_update(p->id, reta, n)
		       ? ", RSS over the service's queue too (the table refused)"
		       : ", RSS over the shards' queues";
}

static int port_init(struct nx_app *a, uint32_t i, char *err, size_t errlen)
{
	struct nx_port *p = &a->port[i];
	const struct nx_port_config *pc = &a->cfg.net.ports[i];
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf = { 0 };
	uint16_t q = (uint16_t)a->nqueues;
	int rc;

	if (rte_eth_dev_get_port_by_name(pc->device, &p->id)) {
		snprintf(err, errlen, "net.ports[%u].device \"%s\": no such DPDK port (attach it with "
			 "EAL -a <pci> or --vdev=%s,...)", i, pc->device, pc->device);
		return -ENODEV;
	}
	if ((rc = rte_eth_dev_info_get(p->id, &info))) {
		snprintf(err, errlen, "%s: cannot read device info: %s", pc->device, rte_strerror(-rc));
		return rc;
	}
	NX_STATIC_ASSERT(sizeof(p->name) >= sizeof(pc->device), "port names fit");
	memcpy(p->name, pc->device, sizeof(pc->device));
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	if (info.max_rx_queues < q || info.max_tx_queues < q) {
		snprintf(err, errlen, "%s: %u shards%s need %u RX and TX queues, the port has %u and %u",
			 pc->device, a->nshards, q > a->nshards ? " and the market-data service" : "", q,
			 info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	p->socket = rte_eth_dev_socket_id(p->id);
	p->ifc.ip = pc->ipv4;
	struct rte_ether_addr mac;
	rte_eth_macaddr_get(p->id, &mac);
	memcpy(p->ifc.mac, mac.addr_bytes, 6);

	/* Checksums: offload what the NIC does, compute the rest in software. */
	uint64_t rx_ck = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	uint64_t tx_ck = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	if ((info.rx_offload_capa & rx_ck) == rx_ck) {
		conf.rxmode.offloads |= rx_ck;
		p->rx_flags_ok = 1;
	}
	if ((info.tx_offload_capa & tx_ck) == tx_ck) {
		conf.txmode.offloads |= tx_ck;
		p->tx_flags = NX_NET_TX_IP_CSUM_OFFLOAD | NX_NET_TX_UDP_CSUM_OFFLOAD;
		p->tx_ol = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
	}
	if (q > 1 && (info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP))) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
	}
	if ((rc = rte_eth_dev_configure(p->id, q, q, &conf)) && conf.rxmode.mq_mode) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE; /* e.g. net_tap without its BPF RSS */
		conf.rx_adv_conf.rss_conf.rss_hf = 0;
		rc = rte_eth_dev_configure(p->id, q, q, &conf);
	}
	if (rc) {
		snprintf(err, errlen, "%s: rte_eth_dev_configure: %s", pc->device, rte_strerror(-rc));
		return rc;
	}
	uint16_t rxd = a->cfg.net.rx_desc, txd = a->cfg.net.tx_desc;
	rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &rxd, &txd);

	/* The RX rings are filled from the pool at start; under load each TX
	 * ring holds up to its descriptors' worth of frames until the driver
	 * frees them, a burst is in flight per queue, and every lcore's cache
	 * can hold 1.5 x MBUF_CACHE (DPDK's flush threshold). A pool smaller
	 * than that runs dry under load: no mbuf to receive into or reply with
	 * (a deaf port that says running). The TX rings were once left out, so
	 * 5 queue pairs of 1024 + 1024 descriptors passed with 8191 mbufs. */
	uint64_t need = (uint64_t)q * (rxd + txd + a->burst) +
			(uint64_t)rte_lcore_count() * MBUF_CACHE * 3 / 2;
	if (a->cfg.net.mbufs < need) {
		snprintf(err, errlen, "%s: net.mbufs %u is too few for %u queue pair(s) of %u RX and "
			 "%u TX descriptors: at least %llu", pc->device, a->cfg.net.mbufs, q, rxd, txd,
			 (unsigned long long)need);
		return -EINVAL;
	}
	char name[RTE_MEMPOOL_NAMESIZE];
	snprintf(name, sizeof(name), "nx_mbuf_%u", i);
	p->pool = rte_pktmbuf_pool_create(name, a->cfg.net.mbufs, MBUF_CACHE, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, p->socket);
	if (!p->pool) {
		snprintf(err, errlen, "%s: cannot create a pool of %u mbufs on socket %d: %s "
			 "(hugepages reserved? -m/--socket-mem large enough?)", pc->device,
			 a->cfg.net.mbufs, p->socket, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (uint16_t s = 0; s < q; s++) {
		struct rte_eth_rxconf rxc = info.default_rxconf;
		struct rte_eth_txconf txc = info.default_txconf;
		rxc.offloads = conf.rxmode.offloads;
		txc.offloads = conf.txmode.offloads;
		if ((rc = rte_eth_rx_queue_setup(p->id, s, rxd, p->socket, &rxc, p->pool)) ||
		    (rc = rte_eth_tx_queue_setup(p->id, s, txd, p->socket, &txc))) {
			snprintf(err, errlen, "%s: queue %u setup: %s", pc->device, s, rte_strerror(-rc));
			return rc;
		}
	}
	if ((rc = rte_eth_dev_start(p->id))) {
		snprintf(err, errlen, "%s: rte_eth_dev_start: %s", pc->device, rte_strerror(-rc));
		return rc;
	}
	char why[128] = "disabled by --no-flow";
	p->flow = q > 1 && !a->no_flow && !install_flows(a, p, why, sizeof(why));
	const char *rss = rss_to_shards(a, p, &info, conf.rxmode.mq_mode, q);
	char ip[16];
	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", p->ifc.ip >> 24, p->ifc.ip >> 16 & 255,
		 p->ifc.ip >> 8 & 255, p->ifc.ip & 255);
	printf("nanoex: port %u %s (%s) socket %d mac " RTE_ETHER_ADDR_PRT_FMT " ip %s, %u queue "
	       "pair(s), checksums rx %s tx %s, steering %s%s%s%s\n", p->id, p->name, p->driver,
	       p->socket, RTE_ETHER_ADDR_BYTES(&mac), ip, q, p->rx_flags_ok ? "offloaded" : "software",
	       p->tx_flags ? "offloaded" : "software",
	       q == 1 ? "not needed (one shard)" : p->flow ? "rte_flow" : "software (",
	       q > 1 && !p->flow ? why : "", q > 1 && !p->flow ? ")" : "", rss);
	return 0;
}

int nx_ports_init(struct nx_app *a, char *err, size_t errlen)
{
	a->nports = a->cfg.net.nports;
	for (uint32_t i = 0; i < a->nports; i++) {
		int rc = port_init(a, i, err, errlen);
		if (rc) {
			a->nports = i + 1; /* close what was opened */
			return rc;
		}
	}
	return 0;
}

void nx_ports_close(struct nx_app *a)
{
	struct rte_flow_error fe;
	for (uint32_t i = 0; i < a->nports; i++) {
		struct nx_port *p = &a->port[i];
		if (!p->pool)
			continue;
		if (p->flow)
			rte_flow_flush(p->id, &fe);
		rte_eth_dev_stop(p->id);
		rte_eth_dev_close(p->id);
	}
}

void nx_ports_free_pools(struct nx_app *a)
{
	for (uint32_t i = 0; i < a->nports; i++) {
		rte_mempool_free(a->port[i].pool);
		a->port[i].pool = NULL;
	}
}
