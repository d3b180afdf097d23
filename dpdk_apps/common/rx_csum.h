/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * What a NIC's receive checksum offload found, as nx_net_classify's
 * NX_NET_RX_* flags: shared by the appliance's shards and nxgen's DPDK
 * backend. Header-only and the one DPDK header in dpdk_apps/common/ (the
 * rest is DPDK-free): include it from DPDK-compiled files only.
 */
#ifndef NX_APP_RX_CSUM_H
#define NX_APP_RX_CSUM_H

#include <rte_mbuf.h>

#include "nx/net.h"

/* DPDK's NONE means the checksum in the packet is not valid but the data
 * is (virtio, tap with partial checksums): as good as GOOD. UNKNOWN leaves
 * the check to software. Call only for a port whose offloads were enabled
 * (otherwise the flags mean nothing; pass 0 to nx_net_classify). */
static inline unsigned app_rx_csum_flags(const struct rte_mbuf *m)
{
	uint64_t ip = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	unsigned f = 0;
	if (ip == RTE_MBUF_F_RX_IP_CKSUM_GOOD || ip == RTE_MBUF_F_RX_IP_CKSUM_NONE)
		f |= NX_NET_RX_IP_CSUM_GOOD;
	else if (ip == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		f |= NX_NET_RX_IP_CSUM_BAD;
	if (l4 == RTE_MBUF_F_RX_L4_CKSUM_GOOD || l4 == RTE_MBUF_F_RX_L4_CKSUM_NONE)
		f |= NX_NET_RX_UDP_CSUM_GOOD;
	else if (l4 == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		f |= NX_NET_RX_UDP_CSUM_BAD;
	return f;
}

#endif /* NX_APP_RX_CSUM_H */
