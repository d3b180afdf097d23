/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the frame handling module (include/nx/net.h, src/net/net.c):
 * - the internet checksum against published vectors (RFC 1071 section 3,
 *   the classic IPv4 header with checksum 0xb861) and a naive RFC 1071
 *   reference on every length and alignment;
 * - frames built by hand here, byte by byte, with checksums from that
 *   reference: every verdict, each drop reason in its own test (with the
 *   variants that lead to it), Ethernet padding, IP options;
 * - the NIC checksum flags on receive and the offload flags on transmit
 *   (the pseudo-header value is what a NIC completes into the full sum);
 * - the UDP builder round trip (build, then classify on the receiver),
 *   in-place and overlapping payloads, the 0xFFFF checksum case;
 * - ARP and ICMP echo replies in place and into another buffer, checked
 *   byte by byte and by classifying them on the requester's side, with the
 *   incremental ICMP checksum tried on every sequence number;
 * - the neighbour cache: learn, lookup, overwrite, round-robin eviction,
 *   capacity, bad arguments;
 * - no allocation in the per-frame functions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_count.h"
#include "nx/cc.h"
#include "nx/net.h"
#include "net_helpers.h"

/* --- An independent reference: naive RFC 1071, and frames built by hand --- */


static const uint8_t US_MAC[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
static const uint8_t PEER_MAC[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 };
static const uint8_t OTHER_MAC[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x99 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
#define US_IP    NX_NET_IP4(10, 1, 2, 3)
#define PEER_IP  NX_NET_IP4(10, 1, 2, 77)
#define OTHER_IP NX_NET_IP4(10, 1, 2, 200)

static const struct nx_net_if US = { .mac = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 }, .ip = US_IP };
static const struct nx_net_if PEER = { .mac = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 }, .ip = PEER_IP };

/* Offsets in a frame without IP options. */
enum { ETH = 14, IP = 14, L4 = 34 };

/* Recompute the IPv4 header checksum of f (after a mutation). */
static void fix_ip(uint8_t *f)
{
	size_t ihl = (size_t)(f[IP] & 15) * 4;
	put16(f + IP + 10, 0);
	put16(f + IP + 10, ref_csum(f + IP, ihl));
}

/* Full UDP checksum over the pseudo-header and the datagram at l4. */
static uint16_t ref_udp_csum(const uint8_t *f, size_t l4off)
{
	uint8_t tmp[12 + 65536];
	size_t ulen = get16(f + l4off + 4);
	memcpy(tmp, f + IP + 12, 8); /* src, dst */
	tmp[8] = 0;
	tmp[9] = 17;
	put16(tmp + 10, (unsigned)ulen);
	memcpy(tmp + 12, f + l4off, ulen);
	put16(tmp + 12 + 6, 0);
	return ref_csum(tmp, 12 + ulen);
}

/* Ethernet + IPv4 (+ optlen bytes of NOP options) around l4[0, l4len).
 * From PEER to US. Returns the frame length. */
static size_t mk_ip(uint8_t *f, uint8_t proto, const uint8_t *l4, size_t l4len, size_t optlen)
{
	size_t ihl = 20 + optlen;
	memcpy(f, US_MAC, 6);
	memcpy(f + 6, PEER_MAC, 6);
	put16(f + 12, 0x0800);
	f[IP] = (uint8_t)(0x40 | ihl / 4);
	f[IP + 1] = 0x10; /* TOS: low delay, kept by the echo reply */
	put16(f + IP + 2, (unsigned)(ihl + l4len));
	put16(f + IP + 4, 0x1234);
	put16(f + IP + 6, 0);
	f[IP + 8] = 63;
	f[IP + 9] = proto;
	put32(f + IP + 12, PEER_IP);
	put32(f + IP + 16, US_IP);
	memset(f + IP + 20, 1, optlen); /* NOP */
	memcpy(f + IP + ihl, l4, l4len);
	fix_ip(f);
	return ETH + ihl + l4len;
}

static size_t mk_udp_opt(uint8_t *f, uint16_t sport, uint16_t dport, const void *pl, size_t n,
			 int csum, size_t optlen)
{
	uint8_t u[2048];
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (unsigned)(8 + n));
	put16(u + 6, 0);
	memcpy(u + 8, pl, n);
	size_t len = mk_ip(f, 17, u, 8 + n, optlen);
	if (csum)
		put16(f + ETH + 20 + optlen + 6, ref_udp_csum(f, ETH + 20 + optlen));
	return len;
}

static size_t mk_udp(uint8_t *f, const void *pl, size_t n)
{
	return mk_udp_opt(f, 40001, 9000, pl, n, 1, 0);
}

static void fix_udp(uint8_t *f)
{
	put16(f + L4 + 6, ref_udp_csum(f, L4));
}

static size_t mk_icmp_opt(uint8_t *f, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
			  const void *data, size_t n, size_t optlen)
{
	uint8_t m[2048];
	m[0] = type;
	m[1] = code;
	put16(m + 2, 0);
	put16(m + 4, id);
	put16(m + 6, seq);
	if (n)
		memcpy(m + 8, data, n);
	put16(m + 2, ref_csum(m, 8 + n));
	return mk_ip(f, 1, m, 8 + n, optlen);
}

static size_t mk_icmp(uint8_t *f, uint8_t type, const void *data, size_t n)
{
	return mk_icmp_opt(f, type, 0, 0x4242, 7, data, n, 0);
}

static const uint8_t HELLO[] = "order entry payload, 37 bytes long!!";

static int classify(const uint8_t *f, size_t len)
{
	struct nx_net_pkt pkt;
	return nx_net_classify(&US, f, (uint32_t)len, 0, &pkt);
}

#define DROPS(reason, f, len) assert_int_equal(classify((f), (len)), NX_NET_DROP_##reason)

/* --- Checksums ---------------------------------------------------------------- */

static void test_csum_known_vectors(void **state)
{
	/* RFC 1071 section 3: the sum of these words is ddf2. */
	static const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	/* The classic IPv4 header (192.168.0.1 -> 192.168.0.199, UDP, 115 bytes). */
	uint8_t hdr[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	(void)state;
	assert_int_equal(nx_net_csum_fold(nx_net_csum_partial(rfc, sizeof(rfc), 0)), 0xddf2);
	assert_int_equal(nx_net_csum(rfc, sizeof(rfc)), 0x220d);
	assert_int_equal(ref_csum(rfc, sizeof(rfc)), 0x220d);
	assert_int_equal(nx_net_csum(hdr, sizeof(hdr)), 0xb861);
	assert_int_equal(ref_csum(hdr, sizeof(hdr)), 0xb861);
	hdr[10] = 0xb8;
	hdr[11] = 0x61;
	assert_int_equal(nx_net_csum(hdr, sizeof(hdr)), 0);
	assert_int_equal(nx_net_csum(NULL, 0), 0xffff);
	/* Folding: carries wrap around, ones never become zero. */
	assert_int_equal(nx_net_csum_fold(0xffffffffu), 0xffff);
	assert_int_equal(nx_net_csum_fold(0x1fffeu), 0xffff);
	assert_int_equal(nx_net_csum_fold(0), 0);
	assert_int_equal(nx_net_csum_final(0xffff), 0);
}

static void test_csum_vs_reference(void **state)
{
	static uint8_t buf[1600];
	uint32_t x = 12345;
	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	memset(buf + 1000, 0xff, 600); /* long runs of ones stress the carries */
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= sizeof(buf); n += (n < 80 ? 1 : 37))
			assert_int_equal(nx_net_csum(buf + off, n), ref_csum(buf + off, n));
	/* Chained even pieces equal one pass; a starting sum is honoured. */
	for (size_t cut = 0; cut <= 200; cut += 2) {
		uint32_t s = nx_net_csum_partial(buf, cut, 0);
		s = nx_net_csum_partial(buf + cut, 301 - cut, s);
		assert_int_equal(nx_net_csum_final(s), ref_csum(buf, 301));
	}
	assert_int_equal(nx_net_csum_final(nx_net_csum_partial(buf, 0, 0xffffffffu)), 0);
}

static void test_phdr_csum(void **state)
{
	uint8_t ph[12];
	(void)state;
	for (unsigned len = 0; len < 70000; len += 997) {
		uint32_t src = 0xc0a80001u + len * 7919u, dst = 0xfffffff0u - len;
		put32(ph, src);
		put32(ph + 4, dst);
		ph[8] = 0;
		ph[9] = 17;
		put16(ph + 10, len & 0xffff);
		/* rte_ipv4_phdr_cksum: the fold, not complemented. */
		assert_int_equal(nx_net_ip4_phdr_csum(src, dst, 17, (uint16_t)len),
				 (uint16_t)~ref_csum(ph, 12));
		assert_int_equal(nx_net_csum_final(nx_net_ip4_phdr_sum(src, dst, 17, (uint16_t)len)),
				 ref_csum(ph, 12));
	}
}

/* --- Verdicts ------------------------------------------------------------------- */

static void test_udp(void **state)
{
	uint8_t f[256];
	struct nx_net_pkt pkt;
	size_t len = mk_udp(f, HELLO, sizeof(HELLO));
	(void)state;
	assert_int_equal(nx_net_classify(&US, f, (uint32_t)len, 0, &pkt), NX_NET_UDP);
	assert_ptr_equal(pkt.payload, f + 42);
	assert_int_equal(pkt.payload_len, sizeof(HELLO));
	assert_memory_equal(pkt.payload, HELLO, sizeof(HELLO));
	assert_int_equal(pkt.frame_len, len);
	assert_int_equal(pkt.src_ip, PEER_IP);
	assert_int_equal(pkt.dst_ip, US_IP);
	assert_int_equal(pkt.src_port, 40001);
	assert_int_equal(pkt.dst_port, 9000);
	assert_int_equal(pkt.l4_off, 34);
	assert_memory_equal(pkt.src_mac, PEER_MAC, 6);
}

static void test_udp_zero_csum_and_empty(void **state)
{
	uint8_t f[256];
	struct nx_net_pkt pkt;
	size_t len = mk_udp_opt(f, 1, 2, HELLO, 10, 0, 0);
	(void)state;
	assert_int_equal(get16(f + L4 + 6), 0);
	assert_int_equal(nx_net_classify(&US, f, (uint32_t)len, 0, &pkt), NX_NET_UDP);
	assert_int_equal(pkt.payload_len, 10);
	len = mk_udp(f, HELLO, 0);
	assert_int_equal(nx_net_classify(&US, f, (uint32_t)len, 0, &pkt), NX_NET_UDP);
	assert_int_equal(pkt.payload_len, 0);
	assert_ptr_equal(pkt.payload, f + 42);
}

/* A 5-byte payload makes a 47-byte packet; the wire pads it to 60 with
 * bytes that are not part of it (not zero here, to be sure they are
 * ignored by the lengths and the checksums). */
static void test_udp_padding(void **state)
{
	uint8_t f[256];
	struct nx_net_pkt pkt;
	size_t len = mk_udp(f, "abcde", 5);
	(void)state;
	assert_int_equal(len, 47);
	memset(f + len, 0xa5, 60 - len);
	assert_int_equal(nx_net_classify(&US, f, 60, 0, &pkt), NX_NET_UDP);
	assert_int_equal(pkt.payload_len, 5);
	assert_int_equal(pkt.frame_len, 47);
	assert_memory_equal(pkt.payload, "abcde", 5);
	/* Padded ICMP and ARP too. */
	len = mk_icmp(f, 8, "xy", 2);
	memset(f + len, 0x5a, 60 - len);
	assert_int_equal(nx_net_classify(&US, f, 60, 0, &pkt), NX_NET_ICMP_ECHO);
	assert_int_equal(pkt.payload_len, 2);
	assert_int_equal(pkt.frame_len, 44);
	mk_arp(f, BCAST, 1, PEER_MAC, PEER_IP, US_IP);
	memset(f + 42, 0x77, 18);
	assert_int_equal(nx_net_classify(&US, f, 60, 0, &pkt), NX_NET_ARP_REQUEST);
	assert_int_equal(pkt.frame_len, 42);
}

static void test_udp_ip_options(void **state)
{
	uint8_t f[256];
	struct nx_net_pkt pkt;
	size_t len = mk_udp_opt(f, 5, 6, HELLO, sizeof(HELLO), 1, 40); /* IHL 15 */
	(void)state;
	assert_int_equal(f[IP], 0x4f);
	assert_int_equal(nx_net_classify(&US, f, (uint32_t)len, 0, &pkt), NX_NET_UDP);
	assert_int_equal(pkt.l4_off, 74);
	assert_ptr_equal(pkt.payload, f + 82);
	assert_memory_equal(pkt.payload, HELLO, sizeof(HELLO));
}

/* The unchecked payload locator the RX burst's prefetch hints use: where
 * classify puts a UDP frame's payload (with IP options too), the padding
 * in its length; NULL for other protocols, ethertypes and short frames. */
static void test_udp_payload_guess(void **state)
{
	uint8_t f[256];
	struct nx_net_pkt pkt;
	uint32_t n = 0;
	(void)state;
	size_t len = mk_udp(f, HELLO, sizeof(HELLO));
	assert_int_equal(nx_net_classify(&US, f, (uint32_t)len, 0, &pkt), NX_NET_UDP);
	assert_ptr_equal(nx_net_udp_payload_guess(f, (uint32_t)len, &n), pkt.payload);
	assert_int_equal(n, pkt.payload_len);
	assert_ptr_equal(nx_net_udp_payload_guess(f, 60 + 42, &n), pkt.payload);
	assert_int_equal(n, 60); /* what follows the headers, padding included */
	len = mk_udp_opt(f, 5, 6, HELLO, sizeof(HELLO), 1, 40); /* IHL 15 */
	assert_ptr_equal(nx_net_udp_payload_guess(f, (uint32_t)len, &n), f + 82);
	assert_int_equal(n, sizeof(HELLO));
	assert_null(nx_net_udp_payload_guess(f, 81, &n)); /* cut inside the options */
	f[IP] = 0x44; /* IHL 4: no IPv4 header is that short */
	assert_null(nx_net_udp_payload_guess(f, (uint32_t)len, &n));
	len = mk_udp(f, HELLO, sizeof(HELLO));
	assert_null(nx_net_udp_payload_guess(f, 41, &n)); /* shorter than the headers */
	f[IP + 9] = 6; /* TCP */
	assert_null(nx_net_udp_payload_guess(f, (uint32_t)len, &n));
	len = mk_icmp(f, 8, "xy", 2);
	assert_null(nx_net_udp_payload_guess(f, (uint32_t)len, &n));
	len = mk_arp(f, BCAST, 1, PEER_MAC, PEER_IP, US_IP);
	assert_null(nx_net_udp_payload_guess(f, (uint32_t)len, &n));
}

static void test_icmp_echo(void **state)
{
	uint8_t f[256];
	struct nx_net_pkt pkt;
	size_t len = mk_icmp(f, 8, HELLO, 33);
	(void)state;
	assert_int_equal(nx_net_classify(&US, f, (uint32_t)len, 0, &pkt), NX_NET_ICMP_ECHO);
	assert_ptr_equal(pkt.payload, f + 42);
	assert_int_equal(pkt.payload_len, 33);
	assert_int_equal(pkt.src_ip, PEER_IP);
	assert_int_equal(pkt.src_port, 0);
	assert_memory_equal(pkt.src_mac, PEER_MAC, 6);
	len = mk_icmp(f, 8, NULL, 0); /* no data: 8-byte message */
	assert_int_equal(nx_net_classify(&US, f, (uint32_t)len, 0, &pkt), NX_NET_ICMP_ECHO);
	assert_int_equal(pkt.payload_len, 0);
}

static void test_arp_request(void **state)
{
	uint8_t f[64];
	struct nx_net_pkt pkt;
	(void)state;
	mk_arp(f, BCAST, 1, PEER_MAC, PEER_IP, US_IP);
	assert_int_equal(nx_net_classify(&US, f, 42, 0, &pkt), NX_NET_ARP_REQUEST);
	assert_int_equal(pkt.src_ip, PEER_IP);
	assert_int_equal(pkt.dst_ip, US_IP);
	assert_memory_equal(pkt.src_mac, PEER_MAC, 6);
	assert_null(pkt.payload);
	/* Unicast refresh requests too; and the sender's ARP address is the
	 * one reported, not the Ethernet source. */
	mk_arp(f, US_MAC, 1, PEER_MAC, PEER_IP, US_IP);
	memcpy(f + 6, OTHER_MAC, 6);
	assert_int_equal(nx_net_classify(&US, f, 42, 0, &pkt), NX_NET_ARP_REQUEST);
	assert_memory_equal(pkt.src_mac, PEER_MAC, 6);
	/* An RFC 5227 probe (sender 0) for our address is answered. */
	mk_arp(f, BCAST, 1, PEER_MAC, 0, US_IP);
	assert_int_equal(nx_net_classify(&US, f, 42, 0, &pkt), NX_NET_ARP_REQUEST);
	assert_int_equal(pkt.src_ip, 0);
}

static void test_arp_other(void **state)
{
	uint8_t f[64];
	struct nx_net_pkt pkt;
	(void)state;
	mk_arp(f, US_MAC, 2, PEER_MAC, PEER_IP, US_IP); /* a reply to us */
	assert_int_equal(nx_net_classify(&US, f, 42, 0, &pkt), NX_NET_ARP_OTHER);
	assert_int_equal(pkt.src_ip, PEER_IP);
	assert_memory_equal(pkt.src_mac, PEER_MAC, 6);
	mk_arp(f, BCAST, 1, PEER_MAC, PEER_IP, PEER_IP); /* gratuitous request */
	assert_int_equal(nx_net_classify(&US, f, 42, 0, &pkt), NX_NET_ARP_OTHER);
	assert_int_equal(pkt.src_ip, PEER_IP);
	mk_arp(f, BCAST, 2, PEER_MAC, PEER_IP, PEER_IP); /* gratuitous reply */
	assert_int_equal(nx_net_classify(&US, f, 42, 0, &pkt), NX_NET_ARP_OTHER);
}

/* --- Drop reasons, one test each ------------------------------------------------ */

static void test_drop_short(void **state)
{
	uint8_t f[256];
	size_t len;
	(void)state;
	len = mk_udp(f, HELLO, 10);
	DROPS(SHORT, f, 0);
	DROPS(SHORT, f, 13);
	DROPS(SHORT, f, 14 + 19); /* IPv4 header cut */
	mk_arp(f, BCAST, 1, PEER_MAC, PEER_IP, US_IP);
	DROPS(SHORT, f, 41);
	/* IP payload too short for a UDP header (total length says so). */
	len = mk_udp(f, HELLO, 0);
	put16(f + IP + 2, 20 + 7);
	fix_ip(f);
	DROPS(SHORT, f, len);
}

static void test_drop_not_for_us_mac(void **state)
{
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, 10);
	(void)state;
	memcpy(f, OTHER_MAC, 6);
	DROPS(NOT_FOR_US_MAC, f, len);
	memcpy(f, mcast, 6);
	DROPS(NOT_FOR_US_MAC, f, len);
	memcpy(f, BCAST, 6); /* broadcast is for ARP only */
	DROPS(NOT_FOR_US_MAC, f, len);
	mk_arp(f, mcast, 1, PEER_MAC, PEER_IP, US_IP);
	DROPS(NOT_FOR_US_MAC, f, 42);
	mk_arp(f, OTHER_MAC, 1, PEER_MAC, PEER_IP, US_IP);
	DROPS(NOT_FOR_US_MAC, f, 42);
}

static void test_drop_bad_src_mac(void **state)
{
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, 10);
	(void)state;
	memcpy(f + 6, BCAST, 6);
	DROPS(BAD_SRC_MAC, f, len);
	f[6] = 0x01; /* multicast */
	DROPS(BAD_SRC_MAC, f, len);
	memset(f + 6, 0, 6);
	DROPS(BAD_SRC_MAC, f, len);
}

static void test_drop_ethertype(void **state)
{
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, 10);
	(void)state;
	static const unsigned types[] = { 0x8100, 0x88a8, 0x86dd, 0x8035, 0x0000, 0x05dc, 0x0801 };
	for (size_t i = 0; i < NX_ARRAY_SIZE(types); i++) {
		put16(f + 12, types[i]);
		DROPS(ETHERTYPE, f, len);
	}
	/* A VLAN-tagged IPv4 frame is not looked into. */
	memmove(f + 16, f + 12, len - 12);
	put16(f + 12, 0x8100);
	put16(f + 14, 0x0064);
	DROPS(ETHERTYPE, f, len + 4);
}

static void test_drop_arp_bad(void **state)
{
	uint8_t f[64], g[64];
	(void)state;
	mk_arp(g, BCAST, 1, PEER_MAC, PEER_IP, US_IP);
	static const struct { size_t off; uint8_t val; } bad[] = {
		{ ETH + 1, 6 },      /* htype 6 (IEEE 802) */
		{ ETH + 2, 0x86 },   /* ptype 0x86dd... */
		{ ETH + 4, 8 },      /* hlen */
		{ ETH + 5, 16 },     /* plen */
		{ ETH + 7, 0 },      /* op 0 */
		{ ETH + 7, 3 },      /* op 3 (RARP request) */
		{ ETH + 8, 0x01 },   /* sender MAC multicast */
		{ ETH + 14, 127 },   /* sender IP loopback */
		{ ETH + 14, 224 },   /* sender IP multicast */
		{ ETH + 14, 255 },   /* sender IP 255.x */
	};
	for (size_t i = 0; i < NX_ARRAY_SIZE(bad); i++) {
		memcpy(f, g, 42);
		f[bad[i].off] = bad[i].val;
		DROPS(ARP_BAD, f, 42);
	}
	memcpy(f, g, 42);
	memset(f + ETH + 8, 0, 6); /* sender MAC zero */
	DROPS(ARP_BAD, f, 42);
	mk_arp(f, US_MAC, 2, PEER_MAC, 0, US_IP); /* sender 0 only in a probe */
	DROPS(ARP_BAD, f, 42);
}

static void test_drop_arp_not_us(void **state)
{
	uint8_t f[64];
	(void)state;
	mk_arp(f, BCAST, 1, PEER_MAC, PEER_IP, OTHER_IP);
	DROPS(ARP_NOT_US, f, 42);
	mk_arp(f, BCAST, 2, PEER_MAC, PEER_IP, OTHER_IP);
	DROPS(ARP_NOT_US, f, 42);
	mk_arp(f, BCAST, 1, PEER_MAC, 0, OTHER_IP); /* someone else's probe */
	DROPS(ARP_NOT_US, f, 42);
}

static void test_drop_arp_conflict(void **state)
{
	uint8_t f[64];
	(void)state;
	mk_arp(f, BCAST, 1, PEER_MAC, US_IP, US_IP); /* gratuitous, for our address */
	DROPS(ARP_CONFLICT, f, 42);
	mk_arp(f, US_MAC, 2, PEER_MAC, US_IP, US_IP);
	DROPS(ARP_CONFLICT, f, 42);
}

static void test_drop_ip_bad_header(void **state)
{
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, 10);
	(void)state;
	f[IP] = 0x65; /* version 6 */
	fix_ip(f);
	DROPS(IP_BAD_HEADER, f, len);
	f[IP] = 0x44; /* IHL 4 */
	DROPS(IP_BAD_HEADER, f, len);
	f[IP] = 0x40;
	DROPS(IP_BAD_HEADER, f, len);
	/* IHL 15: 60 bytes of header, but the frame ends after 40. */
	len = mk_udp(f, HELLO, 0);
	f[IP] = 0x4f;
	DROPS(IP_BAD_HEADER, f, 54);
}

static void test_drop_ip_bad_len(void **state)
{
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, 10);
	(void)state;
	put16(f + IP + 2, 19); /* < header */
	fix_ip(f);
	DROPS(IP_BAD_LEN, f, len);
	put16(f + IP + 2, (unsigned)(len - 14 + 1)); /* > frame */
	fix_ip(f);
	DROPS(IP_BAD_LEN, f, len);
	/* Options: total length covers only part of the header. */
	len = mk_udp_opt(f, 1, 2, HELLO, 10, 1, 8);
	put16(f + IP + 2, 24);
	fix_ip(f);
	DROPS(IP_BAD_LEN, f, len);
}

static void test_drop_ip_csum(void **state)
{
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, 10);
	(void)state;
	f[IP + 8] ^= 1; /* TTL changed, checksum not */
	DROPS(IP_CSUM, f, len);
	len = mk_udp_opt(f, 1, 2, HELLO, 10, 1, 4);
	f[IP + 21] ^= 0x80; /* inside the options */
	DROPS(IP_CSUM, f, len);
}

static void test_drop_ip_fragment(void **state)
{
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, 10);
	(void)state;
	put16(f + IP + 6, 0x2000); /* MF, first fragment */
	fix_ip(f);
	DROPS(IP_FRAGMENT, f, len);
	put16(f + IP + 6, 0x0001); /* last fragment, offset 8 */
	fix_ip(f);
	DROPS(IP_FRAGMENT, f, len);
	put16(f + IP + 6, 0x4000 | 0x1fff);
	fix_ip(f);
	DROPS(IP_FRAGMENT, f, len);
	put16(f + IP + 6, 0x4000); /* DF alone is fine */
	fix_ip(f);
	assert_int_equal(classify(f, len), NX_NET_UDP);
}

static void test_drop_ip_bad_src(void **state)
{
	static const uint32_t bad[] = { 0, NX_NET_IP4(0, 1, 2, 3), NX_NET_IP4(127, 0, 0, 1),
					NX_NET_IP4(224, 0, 0, 1), NX_NET_IP4(239, 255, 255, 250),
					NX_NET_IP4(240, 0, 0, 1), 0xffffffffu, US_IP };
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, 10);
	(void)state;
	for (size_t i = 0; i < NX_ARRAY_SIZE(bad); i++) {
		put32(f + IP + 12, bad[i]);
		fix_ip(f);
		DROPS(IP_BAD_SRC, f, len);
	}
}

static void test_drop_not_for_us_ip(void **state)
{
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, 10);
	(void)state;
	put32(f + IP + 16, OTHER_IP);
	fix_ip(f);
	DROPS(NOT_FOR_US_IP, f, len);
	put32(f + IP + 16, 0xffffffffu);
	fix_ip(f);
	DROPS(NOT_FOR_US_IP, f, len);
	put32(f + IP + 16, NX_NET_IP4(10, 1, 2, 255)); /* a subnet broadcast */
	fix_ip(f);
	DROPS(NOT_FOR_US_IP, f, len);
	len = mk_icmp(f, 8, HELLO, 4);
	put32(f + IP + 16, NX_NET_IP4(224, 0, 0, 1));
	fix_ip(f);
	DROPS(NOT_FOR_US_IP, f, len);
}

/* A joined multicast group: UDP to it is ours when the frame carries the
 * group's MAC; other groups, mismatched MACs, non-UDP and our IP in a
 * multicast frame are not. */
static void test_multicast_group(void **state)
{
	const uint32_t G = NX_NET_IP4(239, 1, 2, 3), G2 = NX_NET_IP4(239, 1, 2, 4);
	struct nx_net_if ifc = US;
	struct nx_net_pkt pkt;
	uint8_t f[256], gmac[6];
	size_t len = mk_udp(f, HELLO, sizeof(HELLO));
	(void)state;
	ifc.groups[0] = G;
	ifc.ngroups = 1;
	nx_net_mcast_mac(G, gmac);
	assert_memory_equal(gmac, ((const uint8_t[]){ 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 }), 6);
	memcpy(f, gmac, 6);
	put32(f + IP + 16, G);
	fix_ip(f);
	assert_int_equal(nx_net_classify(&ifc, f, (uint32_t)len, NX_NET_RX_UDP_CSUM_GOOD, &pkt),
			 NX_NET_UDP);
	assert_int_equal(pkt.dst_ip, G);
	assert_int_equal(pkt.payload_len, sizeof(HELLO));
	/* Without the group joined, the MAC itself is refused. */
	assert_int_equal(nx_net_classify(&US, f, (uint32_t)len, NX_NET_RX_UDP_CSUM_GOOD, &pkt),
			 NX_NET_DROP_NOT_FOR_US_MAC);
	/* Another group, right MAC family. */
	put32(f + IP + 16, G2);
	fix_ip(f);
	assert_int_equal(nx_net_classify(&ifc, f, (uint32_t)len, NX_NET_RX_UDP_CSUM_GOOD, &pkt),
			 NX_NET_DROP_NOT_FOR_US_IP);
	/* The group's IP behind another group's MAC. */
	put32(f + IP + 16, G);
	fix_ip(f);
	f[5] ^= 1;
	assert_int_equal(nx_net_classify(&ifc, f, (uint32_t)len, NX_NET_RX_UDP_CSUM_GOOD, &pkt),
			 NX_NET_DROP_NOT_FOR_US_IP);
	f[5] ^= 1;
	/* Our unicast IP in a multicast frame. */
	put32(f + IP + 16, US_IP);
	fix_ip(f);
	assert_int_equal(nx_net_classify(&ifc, f, (uint32_t)len, NX_NET_RX_UDP_CSUM_GOOD, &pkt),
			 NX_NET_DROP_NOT_FOR_US_MAC);
	/* ICMP to the group: never answered. */
	len = mk_icmp(f, 8, HELLO, 4);
	memcpy(f, gmac, 6);
	put32(f + IP + 16, G);
	fix_ip(f);
	assert_int_equal(nx_net_classify(&ifc, f, (uint32_t)len, 0, &pkt), NX_NET_DROP_IP_PROTO);
}

/* ARP in a multicast frame is not ours on an interface with a group either
 * (only the group's UDP rides a multicast MAC): it was answered and learned
 * from there, while the same frame was NOT_FOR_US_MAC without groups. */
static void test_drop_arp_to_group_mac(void **state)
{
	static const uint8_t mdns_mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
	const uint32_t G = NX_NET_IP4(239, 1, 2, 3);
	struct nx_net_if ifc = US;
	struct nx_net_pkt pkt;
	uint8_t f[64], gmac[6];
	(void)state;
	ifc.groups[0] = G;
	ifc.ngroups = 1;
	nx_net_mcast_mac(G, gmac);
	mk_arp(f, gmac, 1, PEER_MAC, PEER_IP, US_IP);
	assert_int_equal(nx_net_classify(&ifc, f, 42, 0, &pkt), NX_NET_DROP_NOT_FOR_US_MAC);
	mk_arp(f, mdns_mac, 1, PEER_MAC, PEER_IP, US_IP);
	assert_int_equal(nx_net_classify(&ifc, f, 60, 0, &pkt), NX_NET_DROP_NOT_FOR_US_MAC);
	mk_arp(f, mdns_mac, 2, PEER_MAC, PEER_IP, US_IP); /* a reply */
	assert_int_equal(nx_net_classify(&ifc, f, 42, 0, &pkt), NX_NET_DROP_NOT_FOR_US_MAC);
	mk_arp(f, mdns_mac, 1, PEER_MAC, PEER_IP, PEER_IP); /* gratuitous */
	assert_int_equal(nx_net_classify(&ifc, f, 42, 0, &pkt), NX_NET_DROP_NOT_FOR_US_MAC);
	/* Broadcast and our own MAC still are ARP's. */
	mk_arp(f, BCAST, 1, PEER_MAC, PEER_IP, US_IP);
	assert_int_equal(nx_net_classify(&ifc, f, 42, 0, &pkt), NX_NET_ARP_REQUEST);
	mk_arp(f, US_MAC, 1, PEER_MAC, PEER_IP, US_IP);
	assert_int_equal(nx_net_classify(&ifc, f, 42, 0, &pkt), NX_NET_ARP_REQUEST);
	mk_arp(f, BCAST, 1, PEER_MAC, PEER_IP, PEER_IP);
	assert_int_equal(nx_net_classify(&ifc, f, 42, 0, &pkt), NX_NET_ARP_OTHER);
}

static void test_drop_ip_proto(void **state)
{
	static const uint8_t protos[] = { 0, 2, 6, 41, 47, 50, 132, 255 };
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, 10);
	(void)state;
	for (size_t i = 0; i < NX_ARRAY_SIZE(protos); i++) {
		f[IP + 9] = protos[i];
		fix_ip(f);
		DROPS(IP_PROTO, f, len);
	}
}

static void test_drop_icmp_bad(void **state)
{
	uint8_t f[256];
	size_t len = mk_icmp(f, 8, HELLO, 20);
	(void)state;
	f[L4 + 12] ^= 0x20; /* data changed, checksum not */
	DROPS(ICMP_BAD, f, len);
	len = mk_icmp_opt(f, 8, 1, 1, 1, HELLO, 20, 0); /* echo with code 1 */
	DROPS(ICMP_BAD, f, len);
	len = mk_icmp(f, 8, NULL, 0); /* 7 bytes of ICMP */
	put16(f + IP + 2, 27);
	fix_ip(f);
	DROPS(ICMP_BAD, f, len);
	/* A wrong checksum is ICMP_BAD even on a type we would not answer. */
	len = mk_icmp(f, 3, HELLO, 20);
	f[L4 + 3] ^= 1;
	DROPS(ICMP_BAD, f, len);
}

static void test_drop_icmp_not_echo(void **state)
{
	static const uint8_t types[] = { 0, 3, 5, 11, 13, 17, 128 };
	uint8_t f[256];
	(void)state;
	for (size_t i = 0; i < NX_ARRAY_SIZE(types); i++) {
		size_t len = mk_icmp(f, types[i], HELLO, 12);
		DROPS(ICMP_NOT_ECHO, f, len);
	}
}

static void test_drop_udp_bad_len(void **state)
{
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, 10);
	(void)state;
	put16(f + L4 + 4, 8 + 11); /* longer than the IP payload */
	fix_udp(f);
	DROPS(UDP_BAD_LEN, f, len);
	put16(f + L4 + 4, 8 + 9); /* shorter: trailing bytes are not accepted */
	fix_udp(f);
	DROPS(UDP_BAD_LEN, f, len);
	put16(f + L4 + 4, 7);
	DROPS(UDP_BAD_LEN, f, len);
	put16(f + L4 + 4, 0);
	DROPS(UDP_BAD_LEN, f, len);
}

/* Regression (session 15): a datagram from UDP port 0 was applied and
 * answered to port 0 (the kernel-socket twin could not send that answer:
 * the two diverged); neither takes it now, nor one to port 0. */
static void test_drop_udp_src_port_zero(void **state)
{
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, sizeof(HELLO));
	(void)state;
	put16(f + L4, 0);
	fix_udp(f);
	DROPS(UDP_PORT_ZERO, f, len);
	put16(f + L4, 1);
	fix_udp(f);
	assert_int_equal(classify(f, len), NX_NET_UDP);
	/* to port 0: the fuzz harness found our answer, from port 0, refused
	 * by the peer's own classifier */
	put16(f + L4 + 2, 0);
	fix_udp(f);
	DROPS(UDP_PORT_ZERO, f, len);
}

static void test_drop_udp_csum(void **state)
{
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, sizeof(HELLO));
	(void)state;
	f[50] ^= 0x04; /* payload bit flip */
	DROPS(UDP_CSUM, f, len);
	f[50] ^= 0x04;
	assert_int_equal(classify(f, len), NX_NET_UDP);
	/* The pseudo-header is covered: same datagram, another source. */
	put32(f + IP + 12, OTHER_IP);
	fix_ip(f);
	DROPS(UDP_CSUM, f, len);
}

static void test_drop_names(void **state)
{
	(void)state;
	for (int code = 1; code < NX_NET_DROP_MAX; code++) {
		const char *n = nx_net_drop_name(-code);
		assert_string_not_equal(n, "?");
		assert_string_not_equal(nx_net_drop_text(-code), "unknown drop reason");
		for (int other = 1; other < code; other++)
			assert_string_not_equal(n, nx_net_drop_name(-other));
	}
	assert_string_equal(nx_net_drop_name(NX_NET_DROP_SHORT), "SHORT");
	assert_string_equal(nx_net_drop_name(NX_NET_DROP_IP_CSUM), "IP_CSUM");
	assert_string_equal(nx_net_drop_name(NX_NET_DROP_UDP_CSUM), "UDP_CSUM");
	assert_string_equal(nx_net_drop_name(0), "?");
	assert_string_equal(nx_net_drop_name(NX_NET_UDP), "?");
	assert_string_equal(nx_net_drop_name(-NX_NET_DROP_MAX), "?");
	assert_string_equal(nx_net_drop_name(-1000), "?");
	assert_string_equal(nx_net_drop_text(5), "unknown drop reason");
}

/* --- Receive checksum flags -------------------------------------------------- */

static void test_rx_flags(void **state)
{
	uint8_t f[256];
	struct nx_net_pkt pkt;
	uint32_t len = (uint32_t)mk_udp(f, HELLO, sizeof(HELLO));
	(void)state;
	/* BAD drops a frame whose checksums are fine. */
	assert_int_equal(nx_net_classify(&US, f, len, NX_NET_RX_IP_CSUM_BAD, &pkt),
			 NX_NET_DROP_IP_CSUM);
	assert_int_equal(nx_net_classify(&US, f, len, NX_NET_RX_UDP_CSUM_BAD, &pkt),
			 NX_NET_DROP_UDP_CSUM);
	assert_int_equal(nx_net_classify(&US, f, len,
					 NX_NET_RX_IP_CSUM_GOOD | NX_NET_RX_IP_CSUM_BAD, &pkt),
			 NX_NET_DROP_IP_CSUM);
	assert_int_equal(nx_net_classify(&US, f, len,
					 NX_NET_RX_UDP_CSUM_GOOD | NX_NET_RX_UDP_CSUM_BAD, &pkt),
			 NX_NET_DROP_UDP_CSUM);
	/* GOOD skips the software check (shown with wrong checksums). */
	put16(f + IP + 10, get16(f + IP + 10) ^ 0x5555);
	put16(f + L4 + 6, get16(f + L4 + 6) ^ 0x5555);
	assert_int_equal(nx_net_classify(&US, f, len, 0, &pkt), NX_NET_DROP_IP_CSUM);
	assert_int_equal(nx_net_classify(&US, f, len, NX_NET_RX_IP_CSUM_GOOD, &pkt),
			 NX_NET_DROP_UDP_CSUM);
	assert_int_equal(nx_net_classify(&US, f, len,
					 NX_NET_RX_IP_CSUM_GOOD | NX_NET_RX_UDP_CSUM_GOOD, &pkt),
			 NX_NET_UDP);
	assert_memory_equal(pkt.payload, HELLO, sizeof(HELLO));
	/* UDP flags do not vouch for ICMP, and the IP GOOD flag does not skip
	 * header sanity. */
	len = (uint32_t)mk_icmp(f, 8, HELLO, 9);
	f[L4 + 9] ^= 1;
	assert_int_equal(nx_net_classify(&US, f, len, NX_NET_RX_UDP_CSUM_GOOD, &pkt),
			 NX_NET_DROP_ICMP_BAD);
	f[IP] = 0x44;
	assert_int_equal(nx_net_classify(&US, f, len, NX_NET_RX_IP_CSUM_GOOD, &pkt),
			 NX_NET_DROP_IP_BAD_HEADER);
}

/* --- UDP builder ------------------------------------------------------------------ */

static void check_built(const uint8_t *f, size_t len, const void *pl, size_t n, int ip_csum)
{
	assert_int_equal(len, 42 + n);
	assert_memory_equal(f, PEER_MAC, 6);
	assert_memory_equal(f + 6, US_MAC, 6);
	assert_int_equal(get16(f + 12), 0x0800);
	assert_int_equal(f[IP], 0x45);
	assert_int_equal(f[IP + 1], 0);
	assert_int_equal(get16(f + IP + 2), 28 + n);
	assert_int_equal(get16(f + IP + 4), 0);      /* ID 0 ... */
	assert_int_equal(get16(f + IP + 6), 0x4000); /* ... with DF */
	assert_int_equal(f[IP + 8], 64);
	assert_int_equal(f[IP + 9], 17);
	assert_int_equal(get32(f + IP + 12), US_IP);
	assert_int_equal(get32(f + IP + 16), PEER_IP);
	if (ip_csum)
		assert_int_equal(ref_csum(f + IP, 20), 0);
	else
		assert_int_equal(get16(f + IP + 10), 0);
	assert_int_equal(get16(f + L4), 9000);
	assert_int_equal(get16(f + L4 + 2), 40001);
	assert_int_equal(get16(f + L4 + 4), 8 + n);
	assert_memory_equal(f + 42, pl, n);
}

static void test_udp_build_round_trip(void **state)
{
	static uint8_t pl[1472], f[1600];
	static const size_t sizes[] = { 0, 1, 2, 17, 18, 37, 255, 1471, 1472 };
	struct nx_net_pkt pkt;
	(void)state;
	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 31 + 7);
	for (size_t k = 0; k < NX_ARRAY_SIZE(sizes); k++) {
		size_t n = sizes[k];
		memset(f, 0xee, sizeof(f));
		size_t len = nx_net_udp_build(f, sizeof(f), &US, PEER_MAC, PEER_IP, 9000, 40001,
					      pl, n, 0);
		check_built(f, len, pl, n, 1);
		uint16_t c = (uint16_t)get16(f + L4 + 6);
		assert_int_not_equal(c, 0);
		assert_int_equal(c, ref_udp_csum(f, L4) ? ref_udp_csum(f, L4) : 0xffff);
		assert_int_equal(f[len], 0xee); /* nothing written past the frame */
		/* The receiver's view. */
		assert_int_equal(nx_net_classify(&PEER, f, (uint32_t)len, 0, &pkt), NX_NET_UDP);
		assert_ptr_equal(pkt.payload, f + 42);
		assert_int_equal(pkt.payload_len, n);
		assert_memory_equal(pkt.payload, pl, n);
		assert_int_equal(pkt.src_ip, US_IP);
		assert_int_equal(pkt.dst_ip, PEER_IP);
		assert_int_equal(pkt.src_port, 9000);
		assert_int_equal(pkt.dst_port, 40001);
		assert_memory_equal(pkt.src_mac, US_MAC, 6);
		/* Does not fit: 0 and nothing written. */
		memset(f, 0xee, sizeof(f));
		assert_int_equal(nx_net_udp_build(f, 42 + n - 1, &US, PEER_MAC, PEER_IP, 1, 2, pl,
						  n, 0), 0);
		assert_int_equal(f[0], 0xee);
		assert_int_equal(f[42], 0xee);
	}
	assert_int_equal(nx_net_udp_build(f, SIZE_MAX, &US, PEER_MAC, PEER_IP, 1, 2, pl,
					  NX_NET_UDP_PAYLOAD_MAX + 1, 0), 0);
	assert_int_equal(nx_net_udp_build(f, 10, &US, PEER_MAC, PEER_IP, 1, 2, pl, SIZE_MAX, 0), 0);
	assert_int_equal(nx_net_udp_headers(f, &US, PEER_MAC, PEER_IP, 1, 2,
					    NX_NET_UDP_PAYLOAD_MAX + 1, 0), 0);
}

static void test_udp_build_max_payload(void **state)
{
	static uint8_t f[NX_NET_UDP_HDR_LEN + NX_NET_UDP_PAYLOAD_MAX];
	struct nx_net_pkt pkt;
	(void)state;
	memset(f + 42, 0xff, NX_NET_UDP_PAYLOAD_MAX);
	size_t len = nx_net_udp_build(f, sizeof(f), &US, PEER_MAC, PEER_IP, 9000, 40001, f + 42,
				      NX_NET_UDP_PAYLOAD_MAX, 0);
	assert_int_equal(len, sizeof(f));
	assert_int_equal(get16(f + IP + 2), 65535);
	assert_int_equal(nx_net_classify(&PEER, f, (uint32_t)len, 0, &pkt), NX_NET_UDP);
	assert_int_equal(pkt.payload_len, NX_NET_UDP_PAYLOAD_MAX);
}

/* A payload whose checksum computes to 0 is sent with 0xFFFF. */
static void test_udp_build_csum_ffff(void **state)
{
	uint8_t pl[20] = "zero-sum payload", f[128];
	struct nx_net_pkt pkt;
	(void)state;
	pl[18] = pl[19] = 0;
	size_t len = nx_net_udp_build(f, sizeof(f), &US, PEER_MAC, PEER_IP, 9000, 40001, pl, 20, 0);
	/* Adding the complement of the sum makes the sum all ones. */
	put16(pl + 18, get16(f + L4 + 6));
	len = nx_net_udp_build(f, sizeof(f), &US, PEER_MAC, PEER_IP, 9000, 40001, pl, 20, 0);
	assert_int_equal(get16(f + L4 + 6), 0xffff);
	assert_int_equal(ref_udp_csum(f, L4), 0);
	assert_int_equal(nx_net_classify(&PEER, f, (uint32_t)len, 0, &pkt), NX_NET_UDP);
}

static void test_udp_tx_offload(void **state)
{
	uint8_t full[256], off[256];
	struct nx_net_pkt pkt;
	(void)state;
	size_t len = nx_net_udp_build(full, sizeof(full), &US, PEER_MAC, PEER_IP, 9000, 40001,
				      HELLO, 33, 0);
	size_t n2 = nx_net_udp_build(off, sizeof(off), &US, PEER_MAC, PEER_IP, 9000, 40001, HELLO,
				     33, NX_NET_TX_IP_CSUM_OFFLOAD | NX_NET_TX_UDP_CSUM_OFFLOAD);
	assert_int_equal(n2, len);
	check_built(off, n2, HELLO, 33, 0);
	/* The UDP field holds the pseudo-header sum, uncomplemented. */
	uint8_t ph[12];
	put32(ph, US_IP);
	put32(ph + 4, PEER_IP);
	ph[8] = 0;
	ph[9] = 17;
	put16(ph + 10, 8 + 33);
	assert_int_equal(get16(off + L4 + 6), (uint16_t)~ref_csum(ph, 12));
	/* What the NIC does: checksum the datagram as is (the field seeded with
	 * the pseudo-header sum) and the IP header; the result is the frame
	 * built with software checksums. */
	put16(off + L4 + 6, ref_csum(off + L4, 8 + 33));
	put16(off + IP + 10, ref_csum(off + IP, 20));
	assert_memory_equal(off, full, len);
	/* Each flag alone. */
	nx_net_udp_build(off, sizeof(off), &US, PEER_MAC, PEER_IP, 9000, 40001, HELLO, 33,
			 NX_NET_TX_IP_CSUM_OFFLOAD);
	assert_int_equal(get16(off + IP + 10), 0);
	assert_memory_equal(off + L4, full + L4, 8 + 33);
	assert_int_equal(nx_net_classify(&PEER, off, (uint32_t)len, NX_NET_RX_IP_CSUM_GOOD, &pkt),
			 NX_NET_UDP);
	nx_net_udp_build(off, sizeof(off), &US, PEER_MAC, PEER_IP, 9000, 40001, HELLO, 33,
			 NX_NET_TX_UDP_CSUM_OFFLOAD);
	assert_memory_equal(off, full, L4 + 6);
	assert_int_equal(nx_net_classify(&PEER, off, (uint32_t)len, NX_NET_RX_UDP_CSUM_GOOD, &pkt),
			 NX_NET_UDP);
}

static void test_udp_headers_in_place(void **state)
{
	uint8_t a[256], b[256];
	(void)state;
	size_t len = nx_net_udp_build(a, sizeof(a), &US, PEER_MAC, PEER_IP, 9000, 40001, HELLO,
				      sizeof(HELLO), 0);
	memset(b, 0, sizeof(b));
	memcpy(b + NX_NET_UDP_HDR_LEN, HELLO, sizeof(HELLO)); /* the payload first */
	assert_int_equal(nx_net_udp_headers(b, &US, PEER_MAC, PEER_IP, 9000, 40001,
					    sizeof(HELLO), 0), len);
	assert_memory_equal(a, b, len);
	/* udp_build with the payload already in place, and overlapping it. */
	memcpy(b + NX_NET_UDP_HDR_LEN, HELLO, sizeof(HELLO));
	assert_int_equal(nx_net_udp_build(b, sizeof(b), &US, PEER_MAC, PEER_IP, 9000, 40001,
					  b + NX_NET_UDP_HDR_LEN, sizeof(HELLO), 0), len);
	assert_memory_equal(a, b, len);
	memcpy(b + 3, HELLO, sizeof(HELLO));
	assert_int_equal(nx_net_udp_build(b, sizeof(b), &US, PEER_MAC, PEER_IP, 9000, 40001,
					  b + 3, sizeof(HELLO), 0), len);
	assert_memory_equal(a, b, len);
	memcpy(b + 60, HELLO, sizeof(HELLO));
	assert_int_equal(nx_net_udp_build(b, sizeof(b), &US, PEER_MAC, PEER_IP, 9000, 40001,
					  b + 60, sizeof(HELLO), 0), len);
	assert_memory_equal(a, b, len);
}

/* Answer a received datagram in its own buffer, addressed from the frame's
 * own source MAC (dst_mac points into the buffer being written). */
static void test_udp_reply_in_place(void **state)
{
	uint8_t f[256], want[256];
	struct nx_net_pkt pkt;
	(void)state;
	size_t len = mk_udp(f, HELLO, sizeof(HELLO));
	assert_int_equal(nx_net_classify(&US, f, (uint32_t)len, 0, &pkt), NX_NET_UDP);
	size_t n = nx_net_udp_build(want, sizeof(want), &US, PEER_MAC, PEER_IP, 9000, 40001,
				    "ack", 3, 0);
	assert_int_equal(nx_net_udp_build(f, sizeof(f), &US, f + 6, pkt.src_ip, pkt.dst_port,
					  pkt.src_port, "ack", 3, 0), n);
	assert_memory_equal(f, want, n);
	/* The same with the payload written first, as the appliance does. */
	mk_udp(f, HELLO, sizeof(HELLO));
	memcpy(f + NX_NET_UDP_HDR_LEN, "ack", 3);
	assert_int_equal(nx_net_udp_headers(f, &US, f + 6, PEER_IP, 9000, 40001, 3, 0), n);
	assert_memory_equal(f, want, n);
}

/* --- Replies ----------------------------------------------------------------------- */

static void test_arp_reply(void **state)
{
	uint8_t req[64], out[64], back[64];
	struct nx_net_pkt pkt, bp;
	(void)state;
	mk_arp(req, BCAST, 1, PEER_MAC, PEER_IP, US_IP);
	memset(req + 42, 0, 18);
	assert_int_equal(nx_net_classify(&US, req, 60, 0, &pkt), NX_NET_ARP_REQUEST);
	assert_int_equal(nx_net_arp_reply(out, 41, &pkt, &US), 0);
	assert_int_equal(nx_net_arp_reply(out, sizeof(out), &pkt, &US), 42);
	/* Byte for byte, by hand. */
	uint8_t want[42];
	mk_arp(want, PEER_MAC, 2, US_MAC, US_IP, PEER_IP);
	memcpy(want + ETH + 18, PEER_MAC, 6); /* tha */
	assert_memory_equal(out, want, 42);
	/* In place gives the same bytes. */
	assert_int_equal(nx_net_arp_reply(req, sizeof(req), &pkt, &US), 42);
	assert_memory_equal(req, want, 42);
	/* The requester sees a reply to it. */
	memcpy(back, out, 42);
	assert_int_equal(nx_net_classify(&PEER, back, 42, 0, &bp), NX_NET_ARP_OTHER);
	assert_int_equal(bp.src_ip, US_IP);
	assert_int_equal(bp.dst_ip, PEER_IP);
	assert_memory_equal(bp.src_mac, US_MAC, 6);
	/* A probe is answered to its sender MAC with target IP 0. */
	mk_arp(req, BCAST, 1, PEER_MAC, 0, US_IP);
	assert_int_equal(nx_net_classify(&US, req, 42, 0, &pkt), NX_NET_ARP_REQUEST);
	assert_int_equal(nx_net_arp_reply(req, 42, &pkt, &US), 42);
	assert_memory_equal(req, PEER_MAC, 6);
	assert_int_equal(get32(req + ETH + 24), 0);
}

/* Check an echo reply against its request (copied before replying). */
static void check_echo_reply(const uint8_t *rep, size_t n, const uint8_t *req, size_t opt)
{
	size_t icmp_len = get16(req + IP + 2) - 20 - opt;
	struct nx_net_pkt bp;
	assert_int_equal(n, 34 + icmp_len);
	assert_memory_equal(rep, PEER_MAC, 6);
	assert_memory_equal(rep + 6, US_MAC, 6);
	assert_int_equal(get16(rep + 12), 0x0800);
	assert_int_equal(rep[IP], 0x45);
	assert_int_equal(rep[IP + 1], req[IP + 1]);
	assert_int_equal(get16(rep + IP + 2), 20 + icmp_len);
	assert_int_equal(rep[IP + 8], 64);
	assert_int_equal(rep[IP + 9], 1);
	assert_int_equal(get32(rep + IP + 12), US_IP);
	assert_int_equal(get32(rep + IP + 16), PEER_IP);
	assert_int_equal(ref_csum(rep + IP, 20), 0);
	assert_int_equal(rep[L4], 0);
	assert_int_equal(rep[L4 + 1], 0);
	assert_memory_equal(rep + L4 + 4, req + L4 + opt + 4, icmp_len - 4); /* id, seq, data */
	assert_int_equal(ref_csum(rep + L4, icmp_len), 0);
	/* From the requester's side: everything verifies, it is a reply. */
	assert_int_equal(nx_net_classify(&PEER, rep, (uint32_t)n, 0, &bp), NX_NET_DROP_ICMP_NOT_ECHO);
}

static void test_icmp_echo_reply(void **state)
{
	uint8_t req[2048], copy[2048], out[2048];
	struct nx_net_pkt pkt;
	static const size_t sizes[] = { 0, 1, 7, 56, 1000 };
	static const size_t opts[] = { 0, 4, 40 };
	(void)state;
	for (size_t s = 0; s < NX_ARRAY_SIZE(sizes); s++) {
		for (size_t o = 0; o < NX_ARRAY_SIZE(opts); o++) {
			uint8_t data[1000];
			for (size_t i = 0; i < sizes[s]; i++)
				data[i] = (uint8_t)(i ^ 0x5a);
			size_t len = mk_icmp_opt(req, 8, 0, 0xbeef, (uint16_t)(s * 3 + o), data,
						 sizes[s], opts[o]);
			if (len < 60)
				memset(req + len, 0xcc, 60 - len);
			size_t rlen = len < 60 ? 60 : len;
			memcpy(copy, req, rlen);
			assert_int_equal(nx_net_classify(&US, req, (uint32_t)rlen, 0, &pkt),
					 NX_NET_ICMP_ECHO);
			size_t need = 34 + 8 + sizes[s];
			assert_int_equal(nx_net_icmp_echo_reply(out, need - 1, req, &pkt, &US), 0);
			size_t n = nx_net_icmp_echo_reply(out, sizeof(out), req, &pkt, &US);
			assert_memory_equal(req, copy, rlen); /* request untouched */
			check_echo_reply(out, n, copy, opts[o]);
			/* In place: the same bytes. */
			assert_int_equal(nx_net_icmp_echo_reply(req, need, req, &pkt, &US), n);
			assert_memory_equal(req, out, n);
		}
	}
}

/* The incremental checksum, over every checksum value a request can carry. */
static void test_icmp_echo_reply_every_seq(void **state)
{
	uint8_t req[128], out[128];
	struct nx_net_pkt pkt;
	(void)state;
	for (uint32_t seq = 0; seq < 65536; seq++) {
		size_t len = mk_icmp_opt(req, 8, 0, 0x0102, (uint16_t)seq, "ping", 4, 0);
		assert_int_equal(nx_net_classify(&US, req, (uint32_t)len, 0, &pkt), NX_NET_ICMP_ECHO);
		if (nx_net_icmp_echo_reply(out, sizeof(out), req, &pkt, &US) != len ||
		    ref_csum(out + L4, 12) != 0)
			fail_msg("seq %u: reply checksum does not verify", seq);
	}
}

/* An echo request with identifier, sequence and data all 0 (scapy's default
 * ICMP()): the reply's words are all zero, where only the checksum 0xFFFF
 * verifies (RFC 1624 eqn. 3 computes 0x0000; a receiver sums the zeros to
 * +0 and drops it). In place and into another buffer, with and without
 * options. */
static void test_icmp_echo_reply_all_zero(void **state)
{
	uint8_t req[256], copy[256], out[256];
	static const uint8_t zeros[64];
	static const size_t sizes[] = { 0, 1, 7, 56 };
	struct nx_net_pkt pkt;
	(void)state;
	for (size_t s = 0; s < NX_ARRAY_SIZE(sizes); s++) {
		for (size_t opt = 0; opt <= 8; opt += 8) {
			size_t len = mk_icmp_opt(req, 8, 0, 0, 0, zeros, sizes[s], opt);
			assert_int_equal(get16(req + ETH + 20 + opt + 2), 0xf7ff);
			memcpy(copy, req, len);
			assert_int_equal(nx_net_classify(&US, req, (uint32_t)len, 0, &pkt),
					 NX_NET_ICMP_ECHO);
			size_t n = nx_net_icmp_echo_reply(out, sizeof(out), req, &pkt, &US);
			assert_int_equal(get16(out + L4 + 2), 0xffff);
			check_echo_reply(out, n, copy, opt);
			assert_int_equal(nx_net_icmp_echo_reply(req, len, req, &pkt, &US), n);
			assert_memory_equal(req, out, n);
		}
	}
}

/* --- Neighbour cache ------------------------------------------------------------ */

static struct nx_net_neigh *neigh_new(uint32_t cap)
{
	size_t sz = nx_net_neigh_memsize(cap);
	assert_true(sz > 0);
	void *mem = aligned_alloc(NX_CACHE_LINE, (sz + NX_CACHE_LINE - 1) / NX_CACHE_LINE * NX_CACHE_LINE);
	assert_non_null(mem);
	struct nx_net_neigh *n = nx_net_neigh_init(mem, sz, cap);
	assert_ptr_equal(n, mem);
	return n;
}

static void mac_of(uint8_t m[6], uint32_t i)
{
	m[0] = 0x02;
	m[1] = 0x00;
	put32(m + 2, i);
}

static void test_neigh_args(void **state)
{
	static const uint32_t bad[] = { 0, 1, 2, 3, 6, 12, 1000, NX_NET_NEIGH_CAP_MAX * 2, UINT32_MAX };
	uint8_t m[6];
	(void)state;
	for (size_t i = 0; i < NX_ARRAY_SIZE(bad); i++)
		assert_int_equal(nx_net_neigh_memsize(bad[i]), 0);
	assert_true(nx_net_neigh_memsize(4) > 0);
	assert_int_equal(nx_net_neigh_memsize(1024) - nx_net_neigh_memsize(512), 512 / 4 * 64);
	size_t sz = nx_net_neigh_memsize(16);
	uint8_t *mem = aligned_alloc(NX_CACHE_LINE, 2 * sz);
	assert_non_null(mem);
	errno = 0;
	assert_null(nx_net_neigh_init(mem, sz - 1, 16));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(nx_net_neigh_init(mem + 8, sz, 16));
	assert_int_equal(errno, EINVAL);
	assert_null(nx_net_neigh_init(NULL, sz, 16));
	assert_null(nx_net_neigh_init(mem, sz, 24));
	struct nx_net_neigh *n = nx_net_neigh_init(mem, sz, 16);
	assert_non_null(n);
	assert_int_equal(nx_net_neigh_learn(n, 0, PEER_MAC), -EINVAL);
	assert_int_equal(nx_net_neigh_learn(n, PEER_IP, BCAST), -EINVAL);
	static const uint8_t zero[6] = { 0 }, mc[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	assert_int_equal(nx_net_neigh_learn(n, PEER_IP, zero), -EINVAL);
	assert_int_equal(nx_net_neigh_learn(n, PEER_IP, mc), -EINVAL);
	memset(m, 0xab, 6);
	assert_int_equal(nx_net_neigh_lookup(n, PEER_IP, m), -ENOENT);
	assert_int_equal(nx_net_neigh_lookup(n, 0, m), -ENOENT);
	assert_int_equal(m[0], 0xab); /* untouched */
	free(mem);
}

static void test_neigh_learn_lookup(void **state)
{
	struct nx_net_neigh *n = neigh_new(64);
	uint8_t m[6];
	(void)state;
	assert_int_equal(nx_net_neigh_learn(n, PEER_IP, PEER_MAC), NX_NET_NEIGH_NEW);
	assert_int_equal(nx_net_neigh_lookup(n, PEER_IP, m), 0);
	assert_memory_equal(m, PEER_MAC, 6);
	assert_int_equal(nx_net_neigh_learn(n, PEER_IP, PEER_MAC), NX_NET_NEIGH_SAME);
	assert_int_equal(nx_net_neigh_learn(n, PEER_IP, OTHER_MAC), NX_NET_NEIGH_CHANGED);
	assert_int_equal(nx_net_neigh_lookup(n, PEER_IP, m), 0);
	assert_memory_equal(m, OTHER_MAC, 6);
	assert_int_equal(nx_net_neigh_lookup(n, OTHER_IP, m), -ENOENT);
	/* Re-init empties it. */
	assert_ptr_equal(nx_net_neigh_init(n, nx_net_neigh_memsize(64), 64), n);
	assert_int_equal(nx_net_neigh_lookup(n, PEER_IP, m), -ENOENT);
	free(n);
}

/* Capacity 4 is one set: the fifth address evicts the oldest, round-robin. */
static void test_neigh_eviction(void **state)
{
	struct nx_net_neigh *n = neigh_new(4);
	uint8_t m[6], want[6];
	(void)state;
	for (uint32_t i = 1; i <= 4; i++) {
		mac_of(m, i);
		assert_int_equal(nx_net_neigh_learn(n, NX_NET_IP4(10, 0, 0, i), m), NX_NET_NEIGH_NEW);
	}
	for (uint32_t i = 5; i <= 12; i++) {
		mac_of(m, i);
		assert_int_equal(nx_net_neigh_learn(n, NX_NET_IP4(10, 0, 0, i), m),
				 NX_NET_NEIGH_EVICTED);
		/* The four most recent are present, the one before them is gone. */
		for (uint32_t j = i - 3; j <= i; j++) {
			assert_int_equal(nx_net_neigh_lookup(n, NX_NET_IP4(10, 0, 0, j), m), 0);
			mac_of(want, j);
			assert_memory_equal(m, want, 6);
		}
		assert_int_equal(nx_net_neigh_lookup(n, NX_NET_IP4(10, 0, 0, i - 4), m), -ENOENT);
	}
	/* Updating a present one evicts nothing. */
	assert_int_equal(nx_net_neigh_learn(n, NX_NET_IP4(10, 0, 0, 10), PEER_MAC),
			 NX_NET_NEIGH_CHANGED);
	assert_int_equal(nx_net_neigh_lookup(n, NX_NET_IP4(10, 0, 0, 9), m), 0);
	free(n);
}

/* A /22 of peers in a 4096-entry cache: hashing spreads them, nothing is
 * evicted, and every one is found with its own MAC. */
static void test_neigh_capacity(void **state)
{
	struct nx_net_neigh *n = neigh_new(4096);
	uint8_t m[6], want[6];
	uint32_t base = NX_NET_IP4(192, 168, 4, 0), evicted = 0;
	(void)state;
	for (uint32_t i = 1; i < 1024; i++) {
		mac_of(m, i);
		int rc = nx_net_neigh_learn(n, base + i, m);
		assert_true(rc == NX_NET_NEIGH_NEW || rc == NX_NET_NEIGH_EVICTED);
		evicted += rc == NX_NET_NEIGH_EVICTED;
	}
	assert_int_equal(evicted, 0);
	for (uint32_t i = 1; i < 1024; i++) {
		assert_int_equal(nx_net_neigh_lookup(n, base + i, m), 0);
		mac_of(want, i);
		assert_memory_equal(m, want, 6);
	}
	/* Fill far past capacity: whatever is found maps to its own MAC, and
	 * the most recent address of each set is always there. */
	for (uint32_t i = 0; i < 20000; i++) {
		mac_of(m, i + 5000);
		assert_true(nx_net_neigh_learn(n, NX_NET_IP4(10, 0, 0, 0) + i * 13, m) >= 0);
		assert_int_equal(nx_net_neigh_lookup(n, NX_NET_IP4(10, 0, 0, 0) + i * 13, want), 0);
		assert_memory_equal(m, want, 6);
	}
	uint32_t found = 0;
	for (uint32_t i = 0; i < 20000; i++) {
		if (nx_net_neigh_lookup(n, NX_NET_IP4(10, 0, 0, 0) + i * 13, m) == 0) {
			mac_of(want, i + 5000);
			assert_memory_equal(m, want, 6);
			found++;
		}
	}
	assert_true(found > 4096 * 3 / 4 && found <= 4096);
	free(n);
}

/* --- No allocation per frame ---------------------------------------------------- */

static void test_no_alloc(void **state)
{
	static uint8_t f[2048], out[2048];
	struct nx_net_neigh *n = neigh_new(64);
	struct nx_net_pkt pkt;
	size_t len;
	int sink = 0;
	(void)state;
	count_install();
	g_alloc.allocs = g_alloc.frees = 0;
	count_window(1);
	void *(*volatile m)(size_t) = malloc; /* the control: counted */
	void (*volatile fr)(void *) = free;
	fr(m(16));
	count_window(0);
	assert_int_equal(g_alloc.allocs, 1);
	g_alloc.allocs = g_alloc.frees = 0;
	count_window(1);
	for (int i = 0; i < 1000; i++) {
		len = nx_net_udp_build(f, sizeof(f), &PEER, US_MAC, US_IP, 1, 2, HELLO, (size_t)i % 37, 0);
		sink += nx_net_classify(&US, f, (uint32_t)len, 0, &pkt);
		sink += nx_net_neigh_learn(n, pkt.src_ip + (uint32_t)i, pkt.src_mac);
		sink += nx_net_neigh_lookup(n, pkt.src_ip, out);
		len = mk_icmp(f, 8, HELLO, (size_t)i % 30);
		sink += nx_net_classify(&US, f, (uint32_t)len, 0, &pkt);
		sink += (int)nx_net_icmp_echo_reply(f, sizeof(f), f, &pkt, &US);
		mk_arp(f, BCAST, 1, PEER_MAC, PEER_IP, US_IP);
		sink += nx_net_classify(&US, f, 42, 0, &pkt);
		sink += (int)nx_net_arp_reply(out, sizeof(out), &pkt, &US);
		sink += nx_net_drop_name(-(i % 20))[0];
	}
	count_window(0);
	assert_int_equal(g_alloc.allocs, 0);
	assert_int_equal(g_alloc.frees, 0);
	assert_true(sink != 0);
	free(n);
}

/* A link names a port and a MAC and gives them back; no link names none. */
static void test_link_round_trip(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0xab, 0xcd, 0xef, 0x01, 0x23 };
	uint8_t out[6] = { 0 };
	(void)state;
	for (unsigned p = 0; p < NX_NET_LINK_PORTS; p += 127) {
		uint64_t l = nx_net_link(p, mac);
		assert_true(l != 0);
		assert_int_equal(nx_net_link_port(l, out), p);
		assert_memory_equal(out, mac, 6);
	}
	memset(out, 0, 6);
	assert_int_equal(nx_net_link_port(0, out), NX_NET_LINK_PORTS); /* no link */
	assert_int_equal(out[0], 0);
	assert_int_equal(nx_net_link(NX_NET_LINK_PORTS, mac), 0); /* a port it cannot name */
	assert_int_equal(nx_net_link_port(UINT64_MAX, out), NX_NET_LINK_PORTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_known_vectors),
		cmocka_unit_test(test_csum_vs_reference),
		cmocka_unit_test(test_phdr_csum),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_udp_zero_csum_and_empty),
		cmocka_unit_test(test_udp_padding),
		cmocka_unit_test(test_udp_ip_options),
		cmocka_unit_test(test_udp_payload_guess),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_arp_request),
		cmocka_unit_test(test_arp_other),
		cmocka_unit_test(test_drop_short),
		cmocka_unit_test(test_drop_not_for_us_mac),
		cmocka_unit_test(test_multicast_group),
		cmocka_unit_test(test_drop_arp_to_group_mac),
		cmocka_unit_test(test_drop_bad_src_mac),
		cmocka_unit_test(test_drop_ethertype),
		cmocka_unit_test(test_drop_arp_bad),
		cmocka_unit_test(test_drop_arp_not_us),
		cmocka_unit_test(test_drop_arp_conflict),
		cmocka_unit_test(test_drop_ip_bad_header),
		cmocka_unit_test(test_drop_ip_bad_len),
		cmocka_unit_test(test_drop_ip_csum),
		cmocka_unit_test(test_drop_ip_fragment),
		cmocka_unit_test(test_drop_ip_bad_src),
		cmocka_unit_test(test_drop_not_for_us_ip),
		cmocka_unit_test(test_drop_ip_proto),
		cmocka_unit_test(test_drop_icmp_bad),
		cmocka_unit_test(test_drop_icmp_not_echo),
		cmocka_unit_test(test_drop_udp_bad_len),
		cmocka_unit_test(test_drop_udp_csum),
		cmocka_unit_test(test_drop_udp_src_port_zero),
		cmocka_unit_test(test_drop_names),
		cmocka_unit_test(test_rx_flags),
		cmocka_unit_test(test_udp_build_round_trip),
		cmocka_unit_test(test_udp_build_max_payload),
		cmocka_unit_test(test_udp_build_csum_ffff),
		cmocka_unit_test(test_udp_tx_offload),
		cmocka_unit_test(test_udp_headers_in_place),
		cmocka_unit_test(test_udp_reply_in_place),
		cmocka_unit_test(test_arp_reply),
		cmocka_unit_test(test_icmp_echo_reply),
		cmocka_unit_test(test_icmp_echo_reply_every_seq),
		cmocka_unit_test(test_icmp_echo_reply_all_zero),
		cmocka_unit_test(test_neigh_args),
		cmocka_unit_test(test_neigh_learn_lookup),
		cmocka_unit_test(test_neigh_eviction),
		cmocka_unit_test(test_neigh_capacity),
		cmocka_unit_test(test_no_alloc),
		cmocka_unit_test(test_link_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
