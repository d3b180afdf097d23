/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Frame handling for one IPv4 interface, without DPDK: classify a received
 * Ethernet frame (UDP for us, ARP, ICMP echo, or a named drop reason), build
 * the ARP and ICMP echo replies and outgoing UDP frames, compute internet
 * checksums, and keep a neighbour cache (IP -> MAC). The DPDK appliance runs
 * these on mbuf data and maps its offload flags to NX_NET_RX_* / NX_NET_TX_*;
 * tests and fuzzers run them on plain byte arrays.
 *
 * What it does not do: VLANs, IPv6, IP options on output, fragmentation or
 * reassembly, multicast, routing (there is no netmask or gateway: every peer
 * is expected on the link, found through the neighbour cache), ARP requests
 * of our own or timers (no clock in here). Frames shorter than the 60-byte
 * Ethernet minimum are built unpadded: NICs pad on transmit.
 *
 * Wire formats: the header structs below are byte arrays with the offsets of
 * the RFCs (static asserts in this file), so they have alignment 1 and may be
 * laid over any byte of a frame. Multi-byte fields are big-endian on the
 * wire; read and write them only through nx_net_ld_be16/32 and
 * nx_net_st_be16/32. Every IPv4 address and port in a function argument or
 * in struct nx_net_pkt is in host byte order.
 *
 * Guarantees: no function allocates, locks, logs, reads a clock or makes a
 * system call. Every function except the neighbour cache is pure on its
 * arguments and reentrant; a neighbour cache belongs to one thread (a shard)
 * at a time.
 */
#ifndef NX_NET_H
#define NX_NET_H

#include <stddef.h>
#include <stdint.h>

#include "nx/cc.h"

/* --- Byte order, in one place --------------------------------------------- */

/* Byte loads and shifts: no alignment or aliasing assumption; gcc and clang
 * fold each into one byte-swapped access. */
static inline uint16_t nx_net_ld_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t nx_net_ld_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void nx_net_st_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void nx_net_st_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* a.b.c.d as a host-order address: NX_NET_IP4(10, 0, 0, 1). */
#define NX_NET_IP4(a, b, c, d)                                                 \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* --- Wire headers (RFC 826, 791, 792, 768; IEEE 802.3 Ethernet II) -------- */

#define NX_NET_ETH_LEN        14u /* dst, src, ethertype; no 802.1Q tag */
#define NX_NET_ARP_LEN        28u /* ARP for IPv4 over Ethernet */
#define NX_NET_IP4_LEN        20u /* IPv4 header without options (IHL 5) */
#define NX_NET_UDP_LEN         8u
#define NX_NET_ICMP_ECHO_LEN   8u /* type, code, checksum, identifier, sequence */
#define NX_NET_ETH_MIN_FRAME  60u /* shortest Ethernet frame without FCS; shorter
                                     frames arrive padded to this */
/* Bytes in front of a UDP payload in every frame nx_net_udp_* builds. */
#define NX_NET_UDP_HDR_LEN    (NX_NET_ETH_LEN + NX_NET_IP4_LEN + NX_NET_UDP_LEN)
#define NX_NET_ARP_FRAME_LEN  (NX_NET_ETH_LEN + NX_NET_ARP_LEN)
/* Largest UDP payload: IPv4 total length is 16 bits (65535 - 20 - 8). The
 * MTU is the caller's business (1472 for a 1500-byte MTU). */
#define NX_NET_UDP_PAYLOAD_MAX 65507u

#define NX_NET_ETHERTYPE_IP4  0x0800u
#define NX_NET_ETHERTYPE_ARP  0x0806u
#define NX_NET_IPPROTO_ICMP   1u
#define NX_NET_IPPROTO_UDP    17u
#define NX_NET_ARP_HTYPE_ETH  1u
#define NX_NET_ARP_OP_REQUEST 1u
#define NX_NET_ARP_OP_REPLY   2u
#define NX_NET_ICMP_ECHO_REPLY   0u
#define NX_NET_ICMP_ECHO_REQUEST 8u
#define NX_NET_IP4_DF         0x4000u /* flags_frag: don't fragment */
#define NX_NET_IP4_MF         0x2000u /* flags_frag: more fragments */
#define NX_NET_IP4_OFF_MASK   0x1fffu /* flags_frag: offset, 8-byte units */
#define NX_NET_IP4_TTL        64u     /* TTL of frames built here (RFC 1700 default) */

struct nx_net_eth_hdr {
	uint8_t dst[6];
	uint8_t src[6];
	uint8_t type[2];    /* be16 ethertype */
};

struct nx_net_arp_hdr {
	uint8_t htype[2];   /* be16, 1 = Ethernet */
	uint8_t ptype[2];   /* be16, 0x0800 = IPv4 */
	uint8_t hlen;       /* 6 */
	uint8_t plen;       /* 4 */
	uint8_t op[2];      /* be16, 1 request, 2 reply */
	uint8_t sha[6];     /* sender hardware address */
	uint8_t spa[4];     /* be32 sender IPv4 address */
	uint8_t tha[6];     /* target hardware address (ignored in requests) */
	uint8_t tpa[4];     /* be32 target IPv4 address */
};

struct nx_net_ip4_hdr {
	uint8_t ver_ihl;    /* version 4 in the high nibble, IHL (32-bit words) low */
	uint8_t tos;
	uint8_t total_len[2]; /* be16, header + payload */
	uint8_t id[2];
	uint8_t flags_frag[2]; /* be16: NX_NET_IP4_DF, _MF, _OFF_MASK */
	uint8_t ttl;
	uint8_t proto;
	uint8_t csum[2];
	uint8_t src[4];
	uint8_t dst[4];
};

struct nx_net_icmp_echo_hdr {
	uint8_t type;
	uint8_t code;
	uint8_t csum[2];
	uint8_t id[2];
	uint8_t seq[2];
};

struct nx_net_udp_hdr {
	uint8_t src_port[2];
	uint8_t dst_port[2];
	uint8_t len[2];     /* be16, header + payload */
	uint8_t csum[2];    /* 0 = not computed (IPv4 only) */
};

#define NX_NET_OFF_(t, f, off)                                                 \
	NX_STATIC_ASSERT(offsetof(struct t, f) == (off), #t "." #f " offset")
NX_STATIC_ASSERT(sizeof(struct nx_net_eth_hdr) == NX_NET_ETH_LEN, "eth size");
NX_STATIC_ASSERT(sizeof(struct nx_net_arp_hdr) == NX_NET_ARP_LEN, "arp size");
NX_STATIC_ASSERT(sizeof(struct nx_net_ip4_hdr) == NX_NET_IP4_LEN, "ipv4 size");
NX_STATIC_ASSERT(sizeof(struct nx_net_icmp_echo_hdr) == NX_NET_ICMP_ECHO_LEN, "icmp size");
NX_STATIC_ASSERT(sizeof(struct nx_net_udp_hdr) == NX_NET_UDP_LEN, "udp size");
NX_STATIC_ASSERT(_Alignof(struct nx_net_ip4_hdr) == 1, "headers overlay any byte");
NX_NET_OFF_(nx_net_eth_hdr, type, 12);
NX_NET_OFF_(nx_net_arp_hdr, op, 6);
NX_NET_OFF_(nx_net_arp_hdr, sha, 8);
NX_NET_OFF_(nx_net_arp_hdr, spa, 14);
NX_NET_OFF_(nx_net_arp_hdr, tha, 18);
NX_NET_OFF_(nx_net_arp_hdr, tpa, 24);
NX_NET_OFF_(nx_net_ip4_hdr, total_len, 2);
NX_NET_OFF_(nx_net_ip4_hdr, flags_frag, 6);
NX_NET_OFF_(nx_net_ip4_hdr, ttl, 8);
NX_NET_OFF_(nx_net_ip4_hdr, proto, 9);
NX_NET_OFF_(nx_net_ip4_hdr, csum, 10);
NX_NET_OFF_(nx_net_ip4_hdr, src, 12);
NX_NET_OFF_(nx_net_ip4_hdr, dst, 16);
NX_NET_OFF_(nx_net_icmp_echo_hdr, csum, 2);
NX_NET_OFF_(nx_net_icmp_echo_hdr, seq, 6);
NX_NET_OFF_(nx_net_udp_hdr, len, 4);
NX_NET_OFF_(nx_net_udp_hdr, csum, 6);
#undef NX_NET_OFF_

/* --- Our interface ----------------------------------------------------------- */

/* One interface's identity. mac must be unicast; ip is host order, not 0.
 * groups[0, ngroups) are the IPv4 multicast groups (host order, 224/4) whose
 * UDP datagrams are ours too (a market-data feed): the frame's destination
 * MAC must then be the group's (01:00:5e + its low 23 bits). */
#define NX_NET_MAX_GROUPS 4
struct nx_net_if {
	uint8_t mac[6];
	uint32_t ip;
	uint32_t ngroups;
	uint32_t groups[NX_NET_MAX_GROUPS];
};

/* The Ethernet address of an IPv4 multicast group (RFC 1112 6.4). */
static inline void nx_net_mcast_mac(uint32_t group, uint8_t mac[6])
{
	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = (uint8_t)(group >> 16 & 0x7f);
	mac[4] = (uint8_t)(group >> 8);
	mac[5] = (uint8_t)group;
}

static inline int nx_net_ip4_multicast(uint32_t ip)
{
	return (ip >> 28) == 0xe;
}

/* --- Classification ---------------------------------------------------------- */

/* Verdicts: what to do with a frame worth keeping (> 0). */
enum nx_net_verdict {
	NX_NET_UDP         = 1, /* UDP datagram to our IP: hand pkt->payload up */
	NX_NET_ARP_REQUEST = 2, /* ARP request for our IP: answer (nx_net_arp_reply) */
	NX_NET_ARP_OTHER   = 3, /* valid ARP not to answer: a reply to us, or a
	                           gratuitous ARP (sender IP == target IP); learn from it */
	NX_NET_ICMP_ECHO   = 4, /* echo request to our IP: answer (nx_net_icmp_echo_reply) */
};

/*
 * Drop reasons: nx_net_classify returns -code. Names are stable (telemetry
 * and counters use them); codes are dense, so counters can be an array of
 * NX_NET_DROP_MAX indexed by -reason (index 0 unused). Checks run layer by
 * layer, in about this order; a frame counts under the first that fails.
 *
 * Policy choices:
 * - NOT_FOR_US_MAC: the destination must be our MAC. Broadcast is accepted
 *   for ARP only (an IPv4 packet to us has no reason to be broadcast at L2).
 *   A multicast MAC is accepted only on an interface with groups, and the
 *   IPv4 destination then decides (NOT_FOR_US_IP unless it is a joined
 *   group whose MAC the frame carries; our own IP in a multicast frame is
 *   NOT_FOR_US_MAC). ARP in a multicast frame is NOT_FOR_US_MAC.
 * - Multicast carries UDP only (IP_PROTO otherwise): nothing is ever
 *   answered to a group.
 * - BAD_SRC_MAC: a source MAC that is multicast, broadcast or zero is never
 *   valid (802.3), and must never be learned as a peer's address.
 * - IP_BAD_SRC: a source that cannot be a unicast peer: 0.0.0.0, 127/8,
 *   224/4 multicast, 240/4 reserved and broadcast, or our own address.
 * - IP options are accepted and skipped; the fragment checks and the
 *   checksum cover them.
 * - ARP: only Ethernet/IPv4 ARP with a unicast sender hardware address and
 *   a sender IP that passes the IP_BAD_SRC test, or is 0 in a request (an
 *   RFC 5227 probe: answered if it asks for us, never learned). A request
 *   or reply for another IP is ARP_NOT_US unless it is gratuitous (sender
 *   IP == target IP). A sender IP equal to ours is ARP_CONFLICT: another
 *   host claims our address (an operator matter).
 * - Checksums are verified before type checks, so a corrupted frame is
 *   counted as corrupted rather than as "wrong type".
 */
#define NX_NET_DROPS(X)                                                              \
	X(SHORT,          1, "frame truncated at some layer")                        \
	X(NOT_FOR_US_MAC, 2, "destination MAC not ours (nor broadcast ARP)")         \
	X(BAD_SRC_MAC,    3, "source MAC multicast, broadcast or zero")              \
	X(ETHERTYPE,      4, "ethertype not IPv4 or ARP (VLAN, IPv6, 802.3 ...)")    \
	X(ARP_BAD,        5, "ARP htype, ptype, hlen, plen, op or sender invalid")   \
	X(ARP_NOT_US,     6, "ARP request or reply for another IP")                  \
	X(ARP_CONFLICT,   7, "ARP sender IP is ours: address conflict")              \
	X(IP_BAD_HEADER,  8, "IPv4 version, IHL < 5, or options past the frame")     \
	X(IP_BAD_LEN,     9, "IPv4 total length < header or > frame")                \
	X(IP_CSUM,       10, "IPv4 header checksum wrong")                           \
	X(IP_FRAGMENT,   11, "IPv4 fragment (MF set or offset != 0)")                \
	X(IP_BAD_SRC,    12, "IPv4 source zero, loopback, multicast, broadcast or ours") \
	X(NOT_FOR_US_IP, 13, "IPv4 destination not our address")                    \
	X(IP_PROTO,      14, "IPv4 protocol not UDP or ICMP")                        \
	X(ICMP_BAD,      15, "ICMP short, checksum wrong or echo code != 0")         \
	X(ICMP_NOT_ECHO, 16, "ICMP type other than echo request")                    \
	X(UDP_BAD_LEN,   17, "UDP length field != IPv4 payload length")             \
	X(UDP_CSUM,      18, "UDP checksum wrong")                                  \
	X(UDP_PORT_ZERO, 19, "UDP source or destination port 0 (reserved: no answer)")

enum nx_net_drop {
#define NX_X_(name, code, text) NX_NET_DROP_##name = -(code),
	NX_NET_DROPS(NX_X_)
#undef NX_X_
	NX_NET_DROP_MAX = 20, /* counter array size: index -reason, 1..19 */
};

/* rx_flags: what the NIC already checked (DPDK: RTE_MBUF_F_RX_IP_CKSUM_GOOD
 * or _NONE -> IP_CSUM_GOOD, _BAD -> IP_CSUM_BAD, RTE_MBUF_F_RX_L4_CKSUM_GOOD
 * or _NONE -> UDP_CSUM_GOOD, _BAD -> UDP_CSUM_BAD; _UNKNOWN -> no flag, the
 * checksum is verified in software). BAD wins over GOOD. The UDP flags
 * apply to UDP only; ICMP is always verified in software. */
#define NX_NET_RX_IP_CSUM_GOOD  0x1u
#define NX_NET_RX_IP_CSUM_BAD   0x2u
#define NX_NET_RX_UDP_CSUM_GOOD 0x4u
#define NX_NET_RX_UDP_CSUM_BAD  0x8u

/* What classification found. Pointers point into the classified frame. */
struct nx_net_pkt {
	const uint8_t *payload; /* UDP: the datagram payload; ICMP echo: the echo
	                           data after the 8-byte header; ARP: NULL */
	uint32_t payload_len;
	uint32_t frame_len;     /* bytes of the frame that carry the packet, without
	                           Ethernet padding: 14 + IPv4 total length, or 42 */
	uint32_t src_ip;        /* IPv4 source; ARP: sender protocol address (0 in
	                           a probe: do not learn it) */
	uint32_t dst_ip;        /* IPv4 destination (ours); ARP: target address */
	uint16_t src_port;      /* UDP only, else 0 */
	uint16_t dst_port;      /* UDP only, else 0 */
	uint16_t l4_off;        /* offset of the UDP or ICMP header; ARP: 14 */
	uint8_t src_mac[6];     /* Ethernet source; ARP: sender hardware address */
};

/*
 * Classify one received frame, in place (nothing is written to it).
 *   ifc      our interface
 *   frame    the frame from its destination MAC, without FCS
 *   len      bytes in frame (may include Ethernet padding after the packet)
 *   rx_flags NX_NET_RX_* checksum results from the NIC, or 0
 *   pkt      filled on a verdict > 0; unspecified after a drop
 * Returns an enum nx_net_verdict (> 0), or a drop reason -code (< 0) of
 * NX_NET_DROPS. Never reads outside frame[0, len). Pure and reentrant.
 */
int nx_net_classify(const struct nx_net_if *ifc, const uint8_t *frame, uint32_t len,
		    unsigned rx_flags, struct nx_net_pkt *pkt);

/*
 * Where the UDP payload of an untagged IPv4 frame would be, from its
 * ethertype, IHL and protocol alone (nothing else checked): *plen bytes
 * from the returned pointer, at least NX_NET_UDP_HDR_LEN into frame[0,
 * len) and up to its end; NULL when the frame is not IPv4 UDP, its IHL is
 * below 5, or it is too short. For prefetch hints on packets not yet
 * classified (nanoex's RX burst): a wrong guess only loads useless lines,
 * and nx_net_classify still decides what the packet is.
 */
static inline const uint8_t *nx_net_udp_payload_guess(const uint8_t *frame, uint32_t len,
						       uint32_t *plen)
{
	if (len < NX_NET_UDP_HDR_LEN || nx_net_ld_be16(frame + 12) != NX_NET_ETHERTYPE_IP4 ||
	    frame[NX_NET_ETH_LEN + 9] != 17) /* IPPROTO_UDP */
		return NULL;
	uint32_t ihl = frame[NX_NET_ETH_LEN] & 15u;
	uint32_t at = NX_NET_ETH_LEN + ihl * 4u + NX_NET_UDP_LEN;
	if (ihl < 5 || at > len)
		return NULL;
	*plen = len - at;
	return frame + at;
}

/* Stable upper-case name of a drop reason ("IP_CSUM"), for reason < 0;
 * "?" for anything else. nx_net_drop_text: one line of description, or
 * "unknown drop reason". Static strings, thread-safe. */
const char *nx_net_drop_name(int reason);
const char *nx_net_drop_text(int reason);

/* --- Replies ----------------------------------------------------------------- */

/*
 * Both replies answer a request classified with the verdict that names the
 * builder (pkt as classify filled it, the same ifc) and write the reply into
 * out[0, cap). out may be the request's own buffer (in place: the reply
 * reuses the received mbuf) or a buffer that does not overlap it. They
 * return the reply's frame length, or 0 (nothing written) when cap is too
 * small. Replies are not padded to 60 bytes. Pure and reentrant.
 */

/* ARP reply to the requester (Ethernet dst = its sender hardware address):
 * op 2, our MAC and IP as sender, the requester as target. Everything it
 * needs is in pkt. Needs cap >= 42; returns 42. */
size_t nx_net_arp_reply(uint8_t *out, size_t cap, const struct nx_net_pkt *pkt,
			const struct nx_net_if *ifc);

/* ICMP echo reply to the request req (the frame classified; out == req for
 * in place): MACs and IPs swapped (source = ifc), type 0, identifier,
 * sequence and data kept; ICMP checksum updated incrementally (RFC 1624;
 * a result of 0 is sent as 0xFFFF, the one value an all-zero reply verifies
 * with, and as valid as 0 otherwise);
 * IPv4 header rebuilt without options (ID 0, DF, TTL 64, the request's TOS)
 * with a full checksum. Needs cap >= 34 + ICMP length; returns that. */
size_t nx_net_icmp_echo_reply(uint8_t *out, size_t cap, const uint8_t *req,
			      const struct nx_net_pkt *pkt, const struct nx_net_if *ifc);

/* --- Building UDP frames ------------------------------------------------- */

/* tx_flags: checksums the NIC will fill in. DPDK: set RTE_MBUF_F_TX_IPV4 with
 * l2_len 14 and l3_len 20, plus RTE_MBUF_F_TX_IP_CKSUM and/or
 * RTE_MBUF_F_TX_UDP_CKSUM to match. */
#define NX_NET_TX_IP_CSUM_OFFLOAD  0x1u /* IPv4 header checksum left 0 */
#define NX_NET_TX_UDP_CSUM_OFFLOAD 0x2u /* UDP checksum field = pseudo-header
                                           sum, as rte_ipv4_phdr_cksum */

/*
 * Write Ethernet + IPv4 + UDP headers into hdr[0, NX_NET_UDP_HDR_LEN) for a
 * payload already at hdr + NX_NET_UDP_HDR_LEN (the appliance copies it
 * straight into the mbuf first). Ethernet src = ifc->mac, dst = dst_mac;
 * IPv4 TOS 0, ID 0 with DF (RFC 6864: the ID of an atomic datagram has no
 * meaning), TTL 64, src = ifc->ip. Checksums per tx_flags; a full UDP
 * checksum reads the payload, and is sent as 0xFFFF when it computes to 0.
 * Returns the frame length, NX_NET_UDP_HDR_LEN + payload_len, or 0 (nothing
 * written) if payload_len > NX_NET_UDP_PAYLOAD_MAX. Pure and reentrant.
 */
size_t nx_net_udp_headers(uint8_t *hdr, const struct nx_net_if *ifc, const uint8_t dst_mac[6],
			  uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
			  size_t payload_len, unsigned tx_flags);

/*
 * nx_net_udp_headers into frame[0, cap) after copying payload to frame +
 * NX_NET_UDP_HDR_LEN (payload may already be there, or overlap: memmove).
 * Returns the frame length, or 0 (frame untouched) if the payload is longer
 * than NX_NET_UDP_PAYLOAD_MAX or the frame does not fit cap.
 */
size_t nx_net_udp_build(uint8_t *frame, size_t cap, const struct nx_net_if *ifc,
			const uint8_t dst_mac[6], uint32_t dst_ip, uint16_t src_port,
			uint16_t dst_port, const void *payload, size_t payload_len,
			unsigned tx_flags);

/* --- Internet checksum (RFC 1071) ----------------------------------------- */

/*
 * Add data[0, len) to a running one's complement sum as big-endian 16-bit
 * words (an odd last byte is padded with a zero byte; only the last piece
 * of a chained sum may have odd length). Returns a value <= 0xFFFF to pass
 * on as sum, then to nx_net_csum_fold / _final. Any sum <= 0xFFFFFFFF in.
 */
uint32_t nx_net_csum_partial(const void *data, size_t len, uint32_t sum);

/* Fold a running sum into 16 bits (end-around carry), not complemented:
 * rte_raw_cksum's result. */
static inline uint16_t nx_net_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

/* The checksum field value for a running sum: the complement of the fold.
 * Data that includes a correct checksum field finals to 0. */
static inline uint16_t nx_net_csum_final(uint32_t sum)
{
	return (uint16_t)~nx_net_csum_fold(sum);
}

/* Checksum field value of data[0, len) (rte_ipv4_cksum on a header whose
 * checksum field is 0); 0 when data includes its correct checksum. */
static inline uint16_t nx_net_csum(const void *data, size_t len)
{
	return nx_net_csum_final(nx_net_csum_partial(data, len, 0));
}

/* Running sum of the IPv4 pseudo-header (src, dst, zero, proto, l4_len);
 * add the L4 header and data with nx_net_csum_partial. */
static inline uint32_t nx_net_ip4_phdr_sum(uint32_t src, uint32_t dst, uint8_t proto,
					   uint16_t l4_len)
{
	return (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) + proto + l4_len;
}

/* What a NIC's L4 checksum offload wants in the UDP checksum field: the
 * folded, uncomplemented pseudo-header sum (rte_ipv4_phdr_cksum without TSO). */
static inline uint16_t nx_net_ip4_phdr_csum(uint32_t src, uint32_t dst, uint8_t proto,
					    uint16_t l4_len)
{
	return nx_net_csum_fold(nx_net_ip4_phdr_sum(src, dst, proto, l4_len));
}

/* --- Neighbour cache ------------------------------------------------------- */

/*
 * Learned IPv4 -> MAC bindings of peers on the link, so the venue can send
 * to a session's address (fills to a counterparty) without an ARP round
 * trip. Fed by the caller from every frame classified > 0 (pkt->src_ip,
 * pkt->src_mac), including ARP requests and gratuitous ARP.
 *
 * Policy: 4-way set associative. An address hashes (Fibonacci hashing) to
 * one 64-byte set of 4 entries, so a lookup or learn touches one cache line.
 * Learning a known address overwrites its MAC; a new address takes a free
 * way, or, in a full set, evicts ways round-robin (no clock in here, so no
 * LRU by time). A peer that keeps talking is relearned at once after an
 * eviction; sizing the cache at 2-4x the expected peers keeps evictions
 * rare. Entries never expire: a peer that changes MAC corrects its entry by
 * sending (or by gratuitous ARP).
 *
 * Threading: single writer; lookups from the same thread only.
 */
struct nx_net_neigh;

#define NX_NET_NEIGH_WAYS    4u
#define NX_NET_NEIGH_CAP_MAX (1u << 24) /* 16M entries, 256 MiB: far beyond a LAN */

/* Bytes nx_net_neigh_init needs for capacity entries: capacity must be a
 * power of two in [NX_NET_NEIGH_WAYS, NX_NET_NEIGH_CAP_MAX]; 0 if not. */
size_t nx_net_neigh_memsize(uint32_t capacity);

/* Lay an empty cache out in caller memory of at least
 * nx_net_neigh_memsize(capacity) bytes, aligned to NX_CACHE_LINE. Returns
 * the cache, or NULL with errno = EINVAL (bad capacity, NULL, misaligned or
 * short mem). The caller frees mem after its last use. Calling it again
 * empties the cache. */
struct nx_net_neigh *nx_net_neigh_init(void *mem, size_t len, uint32_t capacity);

/* Results of nx_net_neigh_learn (>= 0). */
enum nx_net_neigh_learned {
	NX_NET_NEIGH_SAME    = 0, /* already known with this MAC: nothing written */
	NX_NET_NEIGH_NEW     = 1, /* added in a free way */
	NX_NET_NEIGH_CHANGED = 2, /* known, MAC replaced */
	NX_NET_NEIGH_EVICTED = 3, /* added, another address evicted from its set */
};

/* Remember ip -> mac. Returns an enum nx_net_neigh_learned, or -EINVAL for
 * ip 0 or a multicast, broadcast or zero mac (never learned). */
int nx_net_neigh_learn(struct nx_net_neigh *n, uint32_t ip, const uint8_t mac[6]);

/* Copy ip's MAC into mac_out. 0, or -ENOENT (mac_out untouched). */
int nx_net_neigh_lookup(const struct nx_net_neigh *n, uint32_t ip, uint8_t mac_out[6]);

/* --- Links: where a datagram came from below IP --------------------------- */

/*
 * The engine keeps an opaque 64-bit link with each session's binding (the
 * link of its client's latest datagram, nx_addr.link in nx/engine.h) and
 * puts it on every datagram it sends there. The appliance's link is the
 * port index a frame came in on and its source MAC, so a report (a fill
 * on a resting order, a heartbeat, a Terminate) goes back the way its
 * client's traffic came with no lookup, however many other addresses the
 * neighbour cache has seen since. 0 is no link.
 */
#define NX_NET_LINK_PORTS 255u /* port indexes a link can name: 0 .. 254 */

static inline uint64_t nx_net_link(unsigned port, const uint8_t mac[6])
{
	uint64_t l = (uint64_t)(port + 1) << 48;
	for (int i = 0; i < 6; i++)
		l |= (uint64_t)mac[i] << (40 - 8 * i);
	return port < NX_NET_LINK_PORTS ? l : 0;
}

/* The port index link names, its MAC into mac; NX_NET_LINK_PORTS (mac
 * untouched) for no link. */
static inline unsigned nx_net_link_port(uint64_t link, uint8_t mac[6])
{
	unsigned p = (unsigned)(link >> 48);
	if (!p || p > NX_NET_LINK_PORTS)
		return NX_NET_LINK_PORTS;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(link >> (40 - 8 * i));
	return p - 1;
}

#endif /* NX_NET_H */
