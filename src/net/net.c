/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Ethernet/ARP/IPv4/ICMP/UDP frame handling of include/nx/net.h: the
 * classifier, the reply and UDP builders, the internet checksum and the
 * neighbour cache. Bytes are read through the header structs (alignment 1)
 * and the big-endian helpers only; every length is checked against the
 * frame before the bytes it covers are read. No DPDK, no allocation.
 */
#include <errno.h>
#include <string.h>

#include "nx/cc.h"
#include "nx/net.h"

#define NX_X_(name, code, text) +1
NX_STATIC_ASSERT(1 NX_NET_DROPS(NX_X_) == NX_NET_DROP_MAX, "NX_NET_DROP_MAX = reasons + 1");
#undef NX_X_

/* --- Small predicates ------------------------------------------------------ */

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static inline int mac_eq(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, 6);
}

/* Individual (I/G bit clear) and not 00:00:00:00:00:00. */
/* 01:00:5e, then bit 23 clear: the MAC of an IPv4 multicast group. */
static inline int mcast_ip4_mac(const uint8_t *m)
{
	return m[0] == 0x01 && m[1] == 0x00 && m[2] == 0x5e && !(m[3] & 0x80);
}

static inline int mac_unicast(const uint8_t *m)
{
	return !(m[0] & 1) && (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

/* Could be a unicast peer: not 0/8 "this network", 127/8 loopback, or
 * 224/4 multicast and 240/4 reserved (which holds 255.255.255.255). */
static inline int ip4_unicast(uint32_t ip)
{
	uint32_t a = ip >> 24;
	return a != 0 && a != 127 && a < 224;
}

/* --- Checksums ------------------------------------------------------------ */

uint32_t nx_net_csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t s = sum;

	/* A big-endian 32-bit word hi:lo is hi * 2^16 + lo == hi + lo (mod
	 * 0xFFFF), so words sum like two 16-bit words. Each step adds < 2^33:
	 * 64 bits overflow only past 2^31 steps (16 GiB). */
	for (; len >= 8; p += 8, len -= 8)
		s += (uint64_t)nx_net_ld_be32(p) + nx_net_ld_be32(p + 4);
	for (; len >= 2; p += 2, len -= 2)
		s += nx_net_ld_be16(p);
	if (len)
		s += (uint32_t)p[0] << 8;
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return nx_net_csum_fold((uint32_t)s);
}

/* RFC 1624 eqn. 3: the checksum hc after one 16-bit word changes from m to m1.
 * Eqn. 3 yields 0x0000 whenever the other words sum to zero (it cannot
 * tell +0 from -0), but when they are all zero (an echo reply with
 * identifier, sequence and data 0: scapy's default ping) only 0xFFFF
 * verifies: a receiver sums the zeros to +0 and drops the reply. 0xFFFF
 * verifies wherever 0x0000 does (a nonzero sum folds to 0xFFFF, and
 * 0xFFFF + 0xFFFF folds to 0xFFFF), so 0 is sent as 0xFFFF. */
static uint16_t csum_update16(uint16_t hc, uint16_t m, uint16_t m1)
{
	uint16_t c = nx_net_csum_final((uint32_t)(uint16_t)~hc + (uint16_t)~m + m1);
	return c ? c : 0xffff;
}

/* --- Classification --------------------------------------------------------- */

static int classify_arp(const struct nx_net_if *ifc, const uint8_t *frame, uint32_t len,
			struct nx_net_pkt *pkt)
{
	const struct nx_net_arp_hdr *a = (const void *)(frame + NX_NET_ETH_LEN);
	uint32_t spa, tpa;
	unsigned op;
	int v;

	if (len < NX_NET_ARP_FRAME_LEN)
		return NX_NET_DROP_SHORT;
	op = nx_net_ld_be16(a->op);
	if (nx_net_ld_be16(a->htype) != NX_NET_ARP_HTYPE_ETH ||
	    nx_net_ld_be16(a->ptype) != NX_NET_ETHERTYPE_IP4 || a->hlen != 6 || a->plen != 4 ||
	    (op != NX_NET_ARP_OP_REQUEST && op != NX_NET_ARP_OP_REPLY) || !mac_unicast(a->sha))
		return NX_NET_DROP_ARP_BAD;
	spa = nx_net_ld_be32(a->spa);
	tpa = nx_net_ld_be32(a->tpa);
	/* Sender 0 only in a request (an RFC 5227 probe). */
	if (spa == 0 ? op != NX_NET_ARP_OP_REQUEST : !ip4_unicast(spa))
		return NX_NET_DROP_ARP_BAD;
	if (spa == ifc->ip)
		return NX_NET_DROP_ARP_CONFLICT;
	if (tpa == ifc->ip)
		v = op == NX_NET_ARP_OP_REQUEST ? NX_NET_ARP_REQUEST : NX_NET_ARP_OTHER;
	else if (spa == tpa && spa != 0)
		v = NX_NET_ARP_OTHER; /* gratuitous: an announcement to learn from */
	else
		return NX_NET_DROP_ARP_NOT_US;

	pkt->payload = NULL;
	pkt->payload_len = 0;
	pkt->frame_len = NX_NET_ARP_FRAME_LEN;
	pkt->src_ip = spa;
	pkt->dst_ip = tpa;
	pkt->src_port = 0;
	pkt->dst_port = 0;
	pkt->l4_off = NX_NET_ETH_LEN;
	memcpy(pkt->src_mac, a->sha, 6);
	return v;
}

static int classify_udp(const uint8_t *l4, uint32_t l4_len, unsigned rx_flags,
			struct nx_net_pkt *pkt)
{
	const struct nx_net_udp_hdr *u = (const void *)l4;

	if (l4_len < NX_NET_UDP_LEN)
		return NX_NET_DROP_SHORT;
	if (nx_net_ld_be16(u->len) != l4_len)
		return NX_NET_DROP_UDP_BAD_LEN;
	if (rx_flags & NX_NET_RX_UDP_CSUM_BAD)
		return NX_NET_DROP_UDP_CSUM;
	/* A zero checksum field means "not computed" (RFC 768, IPv4 only). */
	if (!(rx_flags & NX_NET_RX_UDP_CSUM_GOOD) && nx_net_ld_be16(u->csum) != 0) {
		uint32_t sum = nx_net_ip4_phdr_sum(pkt->src_ip, pkt->dst_ip, NX_NET_IPPROTO_UDP,
						   (uint16_t)l4_len);
		if (nx_net_csum_final(nx_net_csum_partial(l4, l4_len, sum)) != 0)
			return NX_NET_DROP_UDP_CSUM;
	}
	/* Port 0 is reserved: from it, "no reply" (RFC 768), so a request
	 * could be applied but never answered; to it, nothing listens, and an
	 * answer would have to come from it. Neither is taken. */
	if (nx_net_ld_be16(u->src_port) == 0 || nx_net_ld_be16(u->dst_port) == 0)
		return NX_NET_DROP_UDP_PORT_ZERO;
	pkt->payload = l4 + NX_NET_UDP_LEN;
	pkt->payload_len = l4_len - NX_NET_UDP_LEN;
	pkt->src_port = nx_net_ld_be16(u->src_port);
	pkt->dst_port = nx_net_ld_be16(u->dst_port);
	return NX_NET_UDP;
}

static int classify_icmp(const uint8_t *l4, uint32_t l4_len, struct nx_net_pkt *pkt)
{
	const struct nx_net_icmp_echo_hdr *h = (const void *)l4;

	if (l4_len < NX_NET_ICMP_ECHO_LEN || nx_net_csum(l4, l4_len) != 0)
		return NX_NET_DROP_ICMP_BAD;
	if (h->type != NX_NET_ICMP_ECHO_REQUEST)
		return NX_NET_DROP_ICMP_NOT_ECHO;
	if (h->code != 0)
		return NX_NET_DROP_ICMP_BAD;
	pkt->payload = l4 + NX_NET_ICMP_ECHO_LEN;
	pkt->payload_len = l4_len - NX_NET_ICMP_ECHO_LEN;
	return NX_NET_ICMP_ECHO;
}

/* A joined multicast group, and the frame's MAC is that group's. */
static int group_member(const struct nx_net_if *ifc, uint32_t dst, const uint8_t *dst_mac)
{
	uint8_t m[6];
	for (unsigned i = 0; i < ifc->ngroups && i < NX_NET_MAX_GROUPS; i++)
		if (ifc->groups[i] == dst) {
			nx_net_mcast_mac(dst, m);
			return mac_eq(m, dst_mac);
		}
	return 0;
}

static int classify_ip4(const struct nx_net_if *ifc, const uint8_t *frame, uint32_t len,
			unsigned rx_flags, struct nx_net_pkt *pkt)
{
	const struct nx_net_ip4_hdr *ip = (const void *)(frame + NX_NET_ETH_LEN);
	uint32_t avail = len - NX_NET_ETH_LEN, ihl, tot, src, dst;

	if (avail < NX_NET_IP4_LEN)
		return NX_NET_DROP_SHORT;
	ihl = (ip->ver_ihl & 0x0fu) * 4u;
	if ((ip->ver_ihl >> 4) != 4 || ihl < NX_NET_IP4_LEN || ihl > avail)
		return NX_NET_DROP_IP_BAD_HEADER;
	/* Trust the total length, not the frame: short frames arrive padded. */
	tot = nx_net_ld_be16(ip->total_len);
	if (tot < ihl || tot > avail)
		return NX_NET_DROP_IP_BAD_LEN;
	if (rx_flags & NX_NET_RX_IP_CSUM_BAD)
		return NX_NET_DROP_IP_CSUM;
	if (!(rx_flags & NX_NET_RX_IP_CSUM_GOOD) && nx_net_csum(ip, ihl) != 0)
		return NX_NET_DROP_IP_CSUM;
	if (nx_net_ld_be16(ip->flags_frag) & (NX_NET_IP4_MF | NX_NET_IP4_OFF_MASK))
		return NX_NET_DROP_IP_FRAGMENT;
	src = nx_net_ld_be32(ip->src);
	dst = nx_net_ld_be32(ip->dst);
	if (!ip4_unicast(src) || src == ifc->ip)
		return NX_NET_DROP_IP_BAD_SRC;
	if (dst != ifc->ip) {
		/* Multicast is for UDP feeds only: nothing is ever answered to it. */
		if (!nx_net_ip4_multicast(dst) || !group_member(ifc, dst, frame))
			return NX_NET_DROP_NOT_FOR_US_IP;
		if (ip->proto != NX_NET_IPPROTO_UDP)
			return NX_NET_DROP_IP_PROTO;
	} else if (!mac_eq(frame, ifc->mac)) {
		return NX_NET_DROP_NOT_FOR_US_MAC; /* our IP in a multicast frame */
	}

	pkt->frame_len = NX_NET_ETH_LEN + tot;
	pkt->src_ip = src;
	pkt->dst_ip = dst;
	pkt->src_port = 0;
	pkt->dst_port = 0;
	pkt->l4_off = (uint16_t)(NX_NET_ETH_LEN + ihl);
	memcpy(pkt->src_mac, frame + 6, 6);
	switch (ip->proto) {
	case NX_NET_IPPROTO_UDP:
		return classify_udp(frame + pkt->l4_off, tot - ihl, rx_flags, pkt);
	case NX_NET_IPPROTO_ICMP:
		return classify_icmp(frame + pkt->l4_off, tot - ihl, pkt);
	default:
		return NX_NET_DROP_IP_PROTO;
	}
}

int nx_net_classify(const struct nx_net_if *ifc, const uint8_t *frame, uint32_t len,
		    unsigned rx_flags, struct nx_net_pkt *pkt)
{
	const struct nx_net_eth_hdr *eth = (const void *)frame;
	int ours, group;
	unsigned type;

	if (NX_UNLIKELY(len < NX_NET_ETH_LEN))
		return NX_NET_DROP_SHORT;
	ours = mac_eq(eth->dst, ifc->mac);
	group = !ours && ifc->ngroups && mcast_ip4_mac(eth->dst);
	if (!ours && !group && !mac_eq(eth->dst, bcast_mac))
		return NX_NET_DROP_NOT_FOR_US_MAC;
	if (!mac_unicast(eth->src))
		return NX_NET_DROP_BAD_SRC_MAC;
	type = nx_net_ld_be16(eth->type);
	if (NX_LIKELY(type == NX_NET_ETHERTYPE_IP4))
		return ours || group ? classify_ip4(ifc, frame, len, rx_flags, pkt)
				     : NX_NET_DROP_NOT_FOR_US_MAC;
	/* ARP to our MAC or broadcast only: a multicast MAC carries a joined
	 * group's UDP, never ARP (as on an interface without groups). */
	if (type == NX_NET_ETHERTYPE_ARP)
		return group ? NX_NET_DROP_NOT_FOR_US_MAC : classify_arp(ifc, frame, len, pkt);
	return NX_NET_DROP_ETHERTYPE;
}

struct drop_row {
	const char *name, *text;
};

static const struct drop_row drops[NX_NET_DROP_MAX] = {
#define NX_X_(name, code, text) [code] = { #name, text },
	NX_NET_DROPS(NX_X_)
#undef NX_X_
};

static const struct drop_row *drop_row(int reason)
{
	if (reason >= 0 || reason <= -(int)NX_NET_DROP_MAX || !drops[-reason].name)
		return NULL;
	return &drops[-reason];
}

const char *nx_net_drop_name(int reason)
{
	const struct drop_row *r = drop_row(reason);
	return r ? r->name : "?";
}

const char *nx_net_drop_text(int reason)
{
	const struct drop_row *r = drop_row(reason);
	return r ? r->text : "unknown drop reason";
}

/* --- Builders ---------------------------------------------------------------- */

static void put_eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	struct nx_net_eth_hdr *eth = (void *)f;

	memcpy(eth->dst, dst, 6);
	memcpy(eth->src, src, 6);
	nx_net_st_be16(eth->type, type);
}

/* An IPv4 header without options: ID 0, DF, TTL 64; checksum unless offloaded. */
static void put_ip4(uint8_t *p, uint8_t tos, uint16_t tot, uint8_t proto, uint32_t src,
		    uint32_t dst, int csum)
{
	struct nx_net_ip4_hdr *ip = (void *)p;

	ip->ver_ihl = 0x45;
	ip->tos = tos;
	nx_net_st_be16(ip->total_len, tot);
	nx_net_st_be16(ip->id, 0);
	nx_net_st_be16(ip->flags_frag, NX_NET_IP4_DF);
	ip->ttl = NX_NET_IP4_TTL;
	ip->proto = proto;
	nx_net_st_be16(ip->csum, 0);
	nx_net_st_be32(ip->src, src);
	nx_net_st_be32(ip->dst, dst);
	if (csum)
		nx_net_st_be16(ip->csum, nx_net_csum(ip, NX_NET_IP4_LEN));
}

size_t nx_net_arp_reply(uint8_t *out, size_t cap, const struct nx_net_pkt *pkt,
			const struct nx_net_if *ifc)
{
	struct nx_net_arp_hdr *a = (void *)(out + NX_NET_ETH_LEN);

	if (cap < NX_NET_ARP_FRAME_LEN)
		return 0;
	put_eth(out, pkt->src_mac, ifc->mac, NX_NET_ETHERTYPE_ARP);
	nx_net_st_be16(a->htype, NX_NET_ARP_HTYPE_ETH);
	nx_net_st_be16(a->ptype, NX_NET_ETHERTYPE_IP4);
	a->hlen = 6;
	a->plen = 4;
	nx_net_st_be16(a->op, NX_NET_ARP_OP_REPLY);
	memcpy(a->sha, ifc->mac, 6);
	nx_net_st_be32(a->spa, ifc->ip);
	memcpy(a->tha, pkt->src_mac, 6);
	nx_net_st_be32(a->tpa, pkt->src_ip);
	return NX_NET_ARP_FRAME_LEN;
}

size_t nx_net_icmp_echo_reply(uint8_t *out, size_t cap, const uint8_t *req,
			      const struct nx_net_pkt *pkt, const struct nx_net_if *ifc)
{
	const size_t l4 = NX_NET_ETH_LEN + NX_NET_IP4_LEN;
	size_t icmp_len = (size_t)pkt->payload_len + NX_NET_ICMP_ECHO_LEN;
	struct nx_net_icmp_echo_hdr *h = (void *)(out + l4);
	uint8_t tos;
	uint16_t old;

	if (cap < l4 + icmp_len)
		return 0;
	/* Read what the writes below overwrite in place: the TOS byte. MACs
	 * and addresses come from pkt. Options, if any, are dropped by moving
	 * the ICMP message down to offset 34. */
	tos = ((const struct nx_net_ip4_hdr *)(const void *)(req + NX_NET_ETH_LEN))->tos;
	if (out + l4 != req + pkt->l4_off)
		memmove(out + l4, req + pkt->l4_off, icmp_len);
	old = (uint16_t)(h->type << 8 | h->code);
	h->type = NX_NET_ICMP_ECHO_REPLY;
	nx_net_st_be16(h->csum, csum_update16(nx_net_ld_be16(h->csum), old,
					      (uint16_t)(h->type << 8 | h->code)));
	put_ip4(out + NX_NET_ETH_LEN, tos, (uint16_t)(NX_NET_IP4_LEN + icmp_len),
		NX_NET_IPPROTO_ICMP, ifc->ip, pkt->src_ip, 1);
	put_eth(out, pkt->src_mac, ifc->mac, NX_NET_ETHERTYPE_IP4);
	return l4 + icmp_len;
}

size_t nx_net_udp_headers(uint8_t *hdr, const struct nx_net_if *ifc, const uint8_t dst_mac[6],
			  uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
			  size_t payload_len, unsigned tx_flags)
{
	struct nx_net_udp_hdr *u = (void *)(hdr + NX_NET_ETH_LEN + NX_NET_IP4_LEN);
	uint16_t ulen = (uint16_t)(NX_NET_UDP_LEN + payload_len);
	uint8_t dmac[6];
	uint16_t c;

	if (payload_len > NX_NET_UDP_PAYLOAD_MAX)
		return 0;
	memcpy(dmac, dst_mac, 6); /* it may point into hdr (replying in place) */
	put_eth(hdr, dmac, ifc->mac, NX_NET_ETHERTYPE_IP4);
	put_ip4(hdr + NX_NET_ETH_LEN, 0, (uint16_t)(NX_NET_IP4_LEN + ulen), NX_NET_IPPROTO_UDP,
		ifc->ip, dst_ip, !(tx_flags & NX_NET_TX_IP_CSUM_OFFLOAD));
	nx_net_st_be16(u->src_port, src_port);
	nx_net_st_be16(u->dst_port, dst_port);
	nx_net_st_be16(u->len, ulen);
	if (tx_flags & NX_NET_TX_UDP_CSUM_OFFLOAD) {
		c = nx_net_ip4_phdr_csum(ifc->ip, dst_ip, NX_NET_IPPROTO_UDP, ulen);
	} else {
		nx_net_st_be16(u->csum, 0);
		c = nx_net_csum_final(nx_net_csum_partial(
			u, ulen, nx_net_ip4_phdr_sum(ifc->ip, dst_ip, NX_NET_IPPROTO_UDP, ulen)));
		if (c == 0)
			c = 0xffff; /* 0 would mean "no checksum" (RFC 768) */
	}
	nx_net_st_be16(u->csum, c);
	return NX_NET_UDP_HDR_LEN + payload_len;
}

size_t nx_net_udp_build(uint8_t *frame, size_t cap, const struct nx_net_if *ifc,
			const uint8_t dst_mac[6], uint32_t dst_ip, uint16_t src_port,
			uint16_t dst_port, const void *payload, size_t payload_len,
			unsigned tx_flags)
{
	uint8_t dmac[6];

	if (payload_len > NX_NET_UDP_PAYLOAD_MAX || cap < NX_NET_UDP_HDR_LEN + payload_len)
		return 0;
	memcpy(dmac, dst_mac, 6); /* before the payload move may overwrite it */
	if (payload_len && payload != frame + NX_NET_UDP_HDR_LEN)
		memmove(frame + NX_NET_UDP_HDR_LEN, payload, payload_len);
	return nx_net_udp_headers(frame, ifc, dmac, dst_ip, src_port, dst_port, payload_len,
				  tx_flags);
}

/* --- Neighbour cache ------------------------------------------------------ */

/* One set: 4 ways in one cache line. ip 0 marks a free way. */
struct neigh_set {
	uint32_t ip[NX_NET_NEIGH_WAYS];
	uint8_t mac[NX_NET_NEIGH_WAYS][6];
	uint8_t next;  /* round-robin victim when all ways are taken */
	uint8_t pad_[NX_CACHE_LINE - 4 * NX_NET_NEIGH_WAYS - 6 * NX_NET_NEIGH_WAYS - 1];
} NX_CACHE_ALIGNED;
NX_STATIC_ASSERT(sizeof(struct neigh_set) == NX_CACHE_LINE, "one set per cache line");

struct nx_net_neigh {
	uint32_t nsets; /* power of two */
	struct neigh_set sets[];
};

size_t nx_net_neigh_memsize(uint32_t capacity)
{
	if (!nx_is_pow2_u64(capacity) || capacity < NX_NET_NEIGH_WAYS ||
	    capacity > NX_NET_NEIGH_CAP_MAX)
		return 0;
	return sizeof(struct nx_net_neigh) +
	       (size_t)(capacity / NX_NET_NEIGH_WAYS) * sizeof(struct neigh_set);
}

struct nx_net_neigh *nx_net_neigh_init(void *mem, size_t len, uint32_t capacity)
{
	size_t need = nx_net_neigh_memsize(capacity);
	struct nx_net_neigh *n = mem;

	if (!need || !mem || len < need || (uintptr_t)mem % NX_CACHE_LINE) {
		errno = EINVAL;
		return NULL;
	}
	memset(mem, 0, need);
	n->nsets = capacity / NX_NET_NEIGH_WAYS;
	return n;
}

/* Fibonacci hashing: the top bits of ip * 2^32/phi, scaled to nsets. */
static inline struct neigh_set *set_of(const struct nx_net_neigh *n, uint32_t ip)
{
	uint32_t h = ip * UINT32_C(0x9e3779b1);
	return (struct neigh_set *)&n->sets[((uint64_t)h * n->nsets) >> 32];
}

int nx_net_neigh_learn(struct nx_net_neigh *n, uint32_t ip, const uint8_t mac[6])
{
	struct neigh_set *s;
	unsigned w, free_w = NX_NET_NEIGH_WAYS;

	if (ip == 0 || !mac_unicast(mac))
		return -EINVAL;
	s = set_of(n, ip);
	for (w = 0; w < NX_NET_NEIGH_WAYS; w++) {
		if (s->ip[w] == ip) {
			/* Compare first: a known peer costs no store, the line stays clean. */
			if (mac_eq(s->mac[w], mac))
				return NX_NET_NEIGH_SAME;
			memcpy(s->mac[w], mac, 6);
			return NX_NET_NEIGH_CHANGED;
		}
		if (s->ip[w] == 0 && free_w == NX_NET_NEIGH_WAYS)
			free_w = w;
	}
	if (free_w < NX_NET_NEIGH_WAYS) {
		s->ip[free_w] = ip;
		memcpy(s->mac[free_w], mac, 6);
		return NX_NET_NEIGH_NEW;
	}
	w = s->next;
	s->next = (uint8_t)((w + 1) % NX_NET_NEIGH_WAYS);
	s->ip[w] = ip;
	memcpy(s->mac[w], mac, 6);
	return NX_NET_NEIGH_EVICTED;
}

int nx_net_neigh_lookup(const struct nx_net_neigh *n, uint32_t ip, uint8_t mac_out[6])
{
	const struct neigh_set *s = set_of(n, ip);

	for (unsigned w = 0; ip && w < NX_NET_NEIGH_WAYS; w++) {
		if (s->ip[w] == ip) {
			memcpy(mac_out, s->mac[w], 6);
			return 0;
		}
	}
	return -ENOENT;
}
