/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Edge cases of three DPDK-free parts:
 * - frame classification and reply frames (src/net/net.c) against what
 *   RFC 791/768/792/826/1122 and docs/appliance.md promise: VLAN tags,
 *   TTL 0, the reserved flag, IHL and total length, UDP checksum 0 and
 *   0xFFFF, UDP length, odd and maximal ICMP echo payloads, ARP probes,
 *   the header fields of built frames;
 * - nanoex-sock's way out (dpdk_apps/nanoex-sock/out.c) under the send
 *   errors a loopback socket never gives (sendmmsg is interposed here:
 *   partial sends, EAGAIN, ENOBUFS, EINTR), and its telemetry answers
 *   (telemetry.c, included, with a stub control plane) at the size limit;
 * - the ITCH book's queries (src/mdbook/mdbook_query.c) and the reference
 *   price's rounding and pacing (src/mdbook/mdref.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "itch_build.h"
#include "nx/cc.h"
#include "nx/mdbook.h"
#include "nx/mdref.h"
#include "nx/net.h"
#include "net_helpers.h"

/* telemetry.c's static answer(), with the stubs below for what it calls. */
#include "../dpdk_apps/nanoex-sock/telemetry.c"

/* ======================================================================= */
/* Frames                                                                   */
/* ======================================================================= */


static const uint8_t US_MAC[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
static const uint8_t PEER_MAC[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
#define US_IP    NX_NET_IP4(10, 1, 2, 3)
#define PEER_IP  NX_NET_IP4(10, 1, 2, 77)
#define OTHER_IP NX_NET_IP4(10, 1, 2, 200)

static const struct nx_net_if US = { .mac = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 }, .ip = US_IP };
static const struct nx_net_if PEER = { .mac = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 }, .ip = PEER_IP };

enum { ETH = 14, IP = 14, L4 = 34 };

static void fix_ip(uint8_t *f)
{
	size_t ihl = (size_t)(f[IP] & 15) * 4;
	put16(f + IP + 10, 0);
	put16(f + IP + 10, ref_csum(f + IP, ihl));
}

/* The UDP checksum of the datagram at l4off (its field taken as 0). */
static uint16_t ref_udp_csum(const uint8_t *f, size_t l4off)
{
	static uint8_t tmp[12 + 65536];
	size_t ulen = get16(f + l4off + 4);
	memcpy(tmp, f + IP + 12, 8);
	tmp[8] = 0;
	tmp[9] = 17;
	put16(tmp + 10, (unsigned)ulen);
	memcpy(tmp + 12, f + l4off, ulen);
	put16(tmp + 12 + 6, 0);
	return ref_csum(tmp, 12 + ulen);
}

/* Ethernet + IPv4 (+ optlen bytes of NOP options) from PEER to US. */
static size_t mk_ip(uint8_t *f, uint8_t proto, const uint8_t *l4, size_t l4len, size_t optlen)
{
	size_t ihl = 20 + optlen;
	memcpy(f, US_MAC, 6);
	memcpy(f + 6, PEER_MAC, 6);
	put16(f + 12, 0x0800);
	f[IP] = (uint8_t)(0x40 | ihl / 4);
	f[IP + 1] = 0x10;
	put16(f + IP + 2, (unsigned)(ihl + l4len));
	put16(f + IP + 4, 0x1234);
	put16(f + IP + 6, 0);
	f[IP + 8] = 63;
	f[IP + 9] = proto;
	put32(f + IP + 12, PEER_IP);
	put32(f + IP + 16, US_IP);
	memset(f + IP + 20, 1, optlen);
	memmove(f + IP + ihl, l4, l4len);
	fix_ip(f);
	return ETH + ihl + l4len;
}

static size_t mk_udp(uint8_t *f, const void *pl, size_t n)
{
	static uint8_t u[65536];
	put16(u, 40001);
	put16(u + 2, 9000);
	put16(u + 4, (unsigned)(8 + n));
	put16(u + 6, 0);
	memcpy(u + 8, pl, n);
	size_t len = mk_ip(f, 17, u, 8 + n, 0);
	put16(f + L4 + 6, ref_udp_csum(f, L4));
	return len;
}

static size_t mk_icmp_opt(uint8_t *f, uint16_t seq, const void *data, size_t n, size_t optlen)
{
	static uint8_t m[65536];
	m[0] = 8;
	m[1] = 0;
	put16(m + 2, 0);
	put16(m + 4, 0xbeef);
	put16(m + 6, seq);
	if (n)
		memcpy(m + 8, data, n);
	put16(m + 2, ref_csum(m, 8 + n));
	return mk_ip(f, 1, m, 8 + n, optlen);
}

static const uint8_t HELLO[] = "order entry payload, 37 bytes long!!";

static int classify(const uint8_t *f, size_t len)
{
	struct nx_net_pkt pkt;
	return nx_net_classify(&US, f, (uint32_t)len, 0, &pkt);
}

#define VERDICT(v, f, len) assert_int_equal(classify((f), (len)), (v))
#define DROPS(reason, f, len) VERDICT(NX_NET_DROP_##reason, f, len)

/* 802.1Q and 802.1ad tagged frames are not parsed (net.h, appliance.md
 * "Limits": no VLAN tags): counted under ETHERTYPE, even with an IPv4
 * packet for us behind the tag. */
static void test_edge_vlan_tagged_dropped(void **state)
{
	uint8_t f[256], t[260];
	size_t len = mk_udp(f, HELLO, 10);
	(void)state;
	static const unsigned tpids[] = { 0x8100, 0x88a8, 0x9100 };
	for (size_t i = 0; i < NX_ARRAY_SIZE(tpids); i++) {
		memcpy(t, f, 12);
		put16(t + 12, tpids[i]);
		put16(t + 14, 0x0064); /* VLAN 100 */
		memcpy(t + 16, f + 12, len - 12);
		DROPS(ETHERTYPE, t, len + 4);
	}
	/* priority-tagged (VID 0) too */
	put16(t + 12, 0x8100);
	put16(t + 14, 0xa000);
	DROPS(ETHERTYPE, t, len + 4);
	/* an 802.3 length field in place of the ethertype */
	memcpy(t, f, len);
	put16(t + 12, (unsigned)(len - 14));
	DROPS(ETHERTYPE, t, len);
}

/* RFC 1122 3.2.1.7: a host MUST NOT discard a datagram just because it was
 * received with TTL below 2. */
static void test_edge_ttl_zero_and_one_accepted(void **state)
{
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, 10);
	(void)state;
	for (unsigned ttl = 0; ttl < 2; ttl++) {
		f[IP + 8] = (uint8_t)ttl;
		fix_ip(f);
		VERDICT(NX_NET_UDP, f, len);
	}
	len = mk_icmp_opt(f, 1, "x", 1, 0);
	f[IP + 8] = 0;
	fix_ip(f);
	VERDICT(NX_NET_ICMP_ECHO, f, len);
}

/* The reserved flag (RFC 791: must be zero) is not a fragment; a last
 * fragment (offset != 0, MF clear) with DF, and offset 1 alone, are. */
static void test_edge_ip_flags(void **state)
{
	uint8_t f[256];
	size_t len = mk_udp(f, HELLO, 10);
	(void)state;
	put16(f + IP + 6, 0x8000);
	fix_ip(f);
	VERDICT(NX_NET_UDP, f, len);
	put16(f + IP + 6, 0x4000 | 0x0001);
	fix_ip(f);
	DROPS(IP_FRAGMENT, f, len);
	put16(f + IP + 6, 0x2000 | 0x4000); /* MF and DF: contradictory, still a fragment */
	fix_ip(f);
	DROPS(IP_FRAGMENT, f, len);
	/* a fragment with a bad checksum counts as the checksum (checked first) */
	put16(f + IP + 6, 0x2000);
	fix_ip(f);
	f[IP + 10] ^= 1;
	DROPS(IP_CSUM, f, len);
}

/* IHL and total length against each other and the frame. */
static void test_edge_ip_lengths(void **state)
{
	uint8_t f[256];
	size_t len;
	struct nx_net_pkt pkt;
	(void)state;
	len = mk_udp(f, HELLO, 10);
	f[IP] = 0x65; /* version 6 under ethertype 0x0800 */
	fix_ip(f);
	DROPS(IP_BAD_HEADER, f, len);
	f[IP] = 0x44; /* IHL 4 */
	fix_ip(f);
	DROPS(IP_BAD_HEADER, f, len);
	/* IHL 15 in a frame shorter than 74 bytes: options past the frame. */
	len = mk_udp(f, HELLO, 10);
	f[IP] = 0x4f;
	DROPS(IP_BAD_HEADER, f, 14 + 59);
	/* total length below IHL (options claimed, total 20) */
	len = mk_udp(f, HELLO, 30);
	f[IP] = 0x46;
	put16(f + IP + 2, 20);
	fix_ip(f);
	DROPS(IP_BAD_LEN, f, len);
	/* total length one past the frame */
	len = mk_udp(f, HELLO, 10);
	put16(f + IP + 2, (unsigned)(len - 14 + 1));
	fix_ip(f);
	DROPS(IP_BAD_LEN, f, len);
	/* padding after the packet: frame_len is 14 + total, not the frame */
	len = mk_udp(f, HELLO, 1);
	memset(f + len, 0xee, 80 - len);
	assert_int_equal(nx_net_classify(&US, f, 80, 0, &pkt), NX_NET_UDP);
	assert_int_equal(pkt.frame_len, len);
	assert_int_equal(pkt.payload_len, 1);
}

/* RFC 768: a transmitted checksum of 0 means none; a computed 0 is sent
 * as 0xFFFF, and a receiver must accept it. */
static void test_edge_udp_csum_zero_and_ffff(void **state)
{
	uint8_t f[256], pl[12] = "abcdefghij";
	size_t len;
	(void)state;
	/* choose the last two payload bytes so that the checksum computes to 0 */
	pl[10] = pl[11] = 0;
	len = mk_udp(f, pl, 12);
	uint16_t c = (uint16_t)get16(f + L4 + 6);
	put16(f + L4 + 8 + 10, c);
	assert_int_equal(ref_udp_csum(f, L4), 0); /* computes to 0: sent as 0xFFFF */
	put16(f + L4 + 6, 0xffff);
	VERDICT(NX_NET_UDP, f, len);
	put16(f + L4 + 6, 0x0000); /* "no checksum" */
	VERDICT(NX_NET_UDP, f, len);
	/* any other value is checked */
	put16(f + L4 + 6, 0x0001);
	DROPS(UDP_CSUM, f, len);
}

/* UDP length field: shorter than the IP payload, below the 8-byte header,
 * longer; and a datagram shorter than its header. */
static void test_edge_udp_length(void **state)
{
	uint8_t f[256];
	size_t len;
	(void)state;
	len = mk_udp(f, HELLO, 20);
	put16(f + L4 + 4, 8 + 10); /* says 10 bytes of payload, IP carries 20 */
	put16(f + L4 + 6, 0);
	DROPS(UDP_BAD_LEN, f, len);
	put16(f + L4 + 4, 4);      /* below its own header */
	DROPS(UDP_BAD_LEN, f, len);
	put16(f + L4 + 4, 8 + 21);
	DROPS(UDP_BAD_LEN, f, len);
	/* IP payload of 7 bytes: no room for a UDP header */
	len = mk_udp(f, HELLO, 0);
	put16(f + IP + 2, 27);
	fix_ip(f);
	DROPS(SHORT, f, 60);
	/* an empty datagram is fine */
	len = mk_udp(f, HELLO, 0);
	VERDICT(NX_NET_UDP, f, len);
}

static void check_reply_hdr(const uint8_t *rep, size_t n, size_t icmp_len, uint8_t tos)
{
	assert_int_equal(n, 34 + icmp_len);
	assert_memory_equal(rep, PEER_MAC, 6);
	assert_memory_equal(rep + 6, US_MAC, 6);
	assert_int_equal(rep[IP], 0x45);
	assert_int_equal(rep[IP + 1], tos);
	assert_int_equal(get16(rep + IP + 2), 20 + icmp_len);
	assert_int_equal(get16(rep + IP + 4), 0);       /* ID 0 ... */
	assert_int_equal(get16(rep + IP + 6), 0x4000);  /* ... with DF (RFC 6864) */
	assert_int_equal(rep[IP + 8], 64);
	assert_int_equal(get32(rep + IP + 12), US_IP);
	assert_int_equal(get32(rep + IP + 16), PEER_IP);
	assert_int_equal(ref_csum(rep + IP, 20), 0);
	assert_int_equal(rep[L4], 0);
	assert_int_equal(ref_csum(rep + L4, icmp_len), 0);
}

/* The largest echo request an IPv4 total length allows (65535), with and
 * without options, into another buffer and in place; odd lengths. */
static void test_edge_icmp_echo_huge_and_odd(void **state)
{
	static uint8_t req[70000], copy[70000], out[70000], data[65536];
	struct nx_net_pkt pkt;
	static const size_t opts[] = { 0, 40 };
	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	for (size_t o = 0; o < NX_ARRAY_SIZE(opts); o++) {
		size_t n = 65535 - 20 - opts[o] - 8; /* odd */
		size_t len = mk_icmp_opt(req, 9, data, n, opts[o]);
		assert_int_equal(get16(req + IP + 2), 65535);
		memcpy(copy, req, len);
		assert_int_equal(nx_net_classify(&US, req, (uint32_t)len, 0, &pkt), NX_NET_ICMP_ECHO);
		assert_int_equal(pkt.payload_len, n);
		size_t r = nx_net_icmp_echo_reply(out, sizeof(out), req, &pkt, &US);
		check_reply_hdr(out, r, 8 + n, 0x10);
		assert_memory_equal(out + L4 + 4, copy + L4 + opts[o] + 4, 4 + n);
		assert_int_equal(nx_net_icmp_echo_reply(req, len, req, &pkt, &US), r);
		assert_memory_equal(req, out, r);
		struct nx_net_pkt bp;
		assert_int_equal(nx_net_classify(&PEER, out, (uint32_t)r, 0, &bp),
				 NX_NET_DROP_ICMP_NOT_ECHO);
	}
	/* every small odd length, in place */
	for (size_t n = 1; n < 64; n += 2) {
		size_t len = mk_icmp_opt(req, (uint16_t)(n * 31), data, n, 0);
		assert_int_equal(nx_net_classify(&US, req, (uint32_t)len, 0, &pkt), NX_NET_ICMP_ECHO);
		size_t r = nx_net_icmp_echo_reply(req, len, req, &pkt, &US);
		check_reply_hdr(req, r, 8 + n, 0x10);
	}
}

/* ICMP echo is answered to our unicast MAC only (a broadcast ping is not:
 * IPv4 in a broadcast frame is NOT_FOR_US_MAC); code != 0 is ICMP_BAD;
 * an echo reply addressed to us is ICMP_NOT_ECHO (never answered). */
static void test_edge_icmp_policy(void **state)
{
	uint8_t f[256];
	size_t len = mk_icmp_opt(f, 1, "ping", 4, 0);
	(void)state;
	memcpy(f, BCAST, 6);
	DROPS(NOT_FOR_US_MAC, f, len);
	put32(f + IP + 16, 0xffffffffu);
	fix_ip(f);
	DROPS(NOT_FOR_US_MAC, f, len);
	len = mk_icmp_opt(f, 1, "ping", 4, 0);
	f[L4 + 1] = 1;
	put16(f + L4 + 2, 0);
	put16(f + L4 + 2, ref_csum(f + L4, 12));
	DROPS(ICMP_BAD, f, len);
	/* a truncated ICMP header: 4 bytes */
	len = mk_icmp_opt(f, 1, "", 0, 0);
	put16(f + IP + 2, 24);
	fix_ip(f);
	DROPS(ICMP_BAD, f, 60);
}

/* RFC 826 / 5227: a probe (sender IP 0) for our address is answered, to
 * the prober's hardware address, with target IP 0; a probe for another
 * address is not ours; a reply from 0.0.0.0 is invalid. */
static void test_edge_arp_probe_reply(void **state)
{
	uint8_t f[64], out[64];
	struct nx_net_pkt pkt, bp;
	(void)state;
	mk_arp(f, BCAST, 1, PEER_MAC, 0, US_IP);
	memset(f + 42, 0, 18);
	assert_int_equal(nx_net_classify(&US, f, 60, 0, &pkt), NX_NET_ARP_REQUEST);
	assert_int_equal(nx_net_arp_reply(out, 41, &pkt, &US), 0);
	assert_int_equal(nx_net_arp_reply(out, sizeof(out), &pkt, &US), 42);
	assert_memory_equal(out, PEER_MAC, 6);
	assert_memory_equal(out + 6, US_MAC, 6);
	assert_int_equal(get16(out + ETH + 6), 2);
	assert_memory_equal(out + ETH + 8, US_MAC, 6);
	assert_int_equal(get32(out + ETH + 14), US_IP);
	assert_memory_equal(out + ETH + 18, PEER_MAC, 6);
	assert_int_equal(get32(out + ETH + 24), 0);
	mk_arp(f, BCAST, 1, PEER_MAC, 0, OTHER_IP);
	DROPS(ARP_NOT_US, f, 42);
	mk_arp(f, BCAST, 2, PEER_MAC, 0, US_IP);
	DROPS(ARP_BAD, f, 42);
	/* gratuitous with sender 0 (both 0): nothing to learn */
	mk_arp(f, BCAST, 1, PEER_MAC, 0, 0);
	DROPS(ARP_NOT_US, f, 42);
	/* an ordinary request's reply goes back to the requester, in place */
	mk_arp(f, BCAST, 1, PEER_MAC, PEER_IP, US_IP);
	assert_int_equal(nx_net_classify(&US, f, 42, 0, &pkt), NX_NET_ARP_REQUEST);
	assert_int_equal(nx_net_arp_reply(f, 42, &pkt, &US), 42);
	assert_int_equal(nx_net_classify(&PEER, f, 42, 0, &bp), NX_NET_ARP_OTHER);
	assert_int_equal(bp.src_ip, US_IP);
	assert_memory_equal(bp.src_mac, US_MAC, 6);
	/* an ARP reply for another host, to our MAC: not ours */
	mk_arp(f, US_MAC, 2, PEER_MAC, PEER_IP, OTHER_IP);
	DROPS(ARP_NOT_US, f, 42);
	/* an ARP request to a unicast MAC that is not ours */
	mk_arp(f, PEER_MAC, 1, PEER_MAC, OTHER_IP, US_IP);
	memcpy(f, (uint8_t[6]){ 0x02, 0, 0, 0, 0, 9 }, 6);
	DROPS(NOT_FOR_US_MAC, f, 42);
}

/* Built UDP frames: ID 0 + DF, TTL 64, TOS 0; with IP offload the header
 * checksum is left 0; a maximal payload's total length is 65535. */
static void test_edge_udp_build_fields(void **state)
{
	static uint8_t f[70000], pl[NX_NET_UDP_PAYLOAD_MAX];
	struct nx_net_pkt pkt;
	(void)state;
	size_t n = nx_net_udp_build(f, sizeof(f), &PEER, US_MAC, US_IP, 40001, 9000, HELLO, 5,
				    NX_NET_TX_IP_CSUM_OFFLOAD);
	assert_int_equal(n, 42 + 5);
	assert_int_equal(get16(f + IP + 4), 0);
	assert_int_equal(get16(f + IP + 6), 0x4000);
	assert_int_equal(f[IP + 1], 0);
	assert_int_equal(f[IP + 8], 64);
	assert_int_equal(get16(f + IP + 10), 0);
	fix_ip(f);
	assert_int_equal(nx_net_classify(&US, f, (uint32_t)n, 0, &pkt), NX_NET_UDP);
	n = nx_net_udp_build(f, sizeof(f), &PEER, US_MAC, US_IP, 40001, 9000, pl, sizeof(pl), 0);
	assert_int_equal(n, 42 + NX_NET_UDP_PAYLOAD_MAX);
	assert_int_equal(get16(f + IP + 2), 65535);
	assert_int_equal(nx_net_classify(&US, f, (uint32_t)n, 0, &pkt), NX_NET_UDP);
	assert_int_equal(nx_net_udp_build(f, sizeof(f), &PEER, US_MAC, US_IP, 1, 2, pl,
					  sizeof(pl) + 1, 0), 0);
	assert_int_equal(nx_net_udp_build(f, 42 + 4, &PEER, US_MAC, US_IP, 1, 2, pl, 5, 0), 0);
}

/* ======================================================================= */
/* nanoex-sock: sending (out.c) with sendmmsg interposed                    */
/* ======================================================================= */

/* A script of results for the interposed sendmmsg: each call takes the next
 * step; a step >= 0 sends that many (capped at vlen), < 0 fails with -step
 * as errno. With no script left (or none), the real system call. */
static struct {
	int steps[16];
	unsigned nsteps, at, calls;
	int fds[16];
	unsigned vlens[16];
} fake;

int sendmmsg(int fd, struct mmsghdr *v, unsigned int vlen, int flags)
{
	if (fake.at >= fake.nsteps)
		return (int)syscall(SYS_sendmmsg, fd, v, vlen, flags);
	if (fake.calls < 16) {
		fake.fds[fake.calls] = fd;
		fake.vlens[fake.calls] = vlen;
	}
	fake.calls++;
	int s = fake.steps[fake.at++];
	if (s < 0) {
		errno = -s;
		return -1;
	}
	return (unsigned)s < vlen ? s : (int)vlen;
}

static void script(const int *steps, unsigned n)
{
	memset(&fake, 0, sizeof(fake));
	memcpy(fake.steps, steps, n * sizeof(*steps));
	fake.nsteps = n;
}

static struct sock_shard *sock_new(unsigned nd)
{
	struct sock_shard *s = aligned_alloc(_Alignof(struct sock_shard), sizeof(*s));
	assert_non_null(s);
	memset(s, 0, sizeof(*s));
	s->fd[0] = 100;
	s->fd[1] = 101;
	s->nfd = 1;
	s->out.d = calloc(SOCK_OUT, sizeof(*s->out.d));
	assert_non_null(s->out.d);
	s->out.cap = SOCK_OUT;
	s->out.n = nd;
	for (unsigned i = 0; i < nd; i++) {
		s->out.d[i].to = (struct nx_addr){ .ip = NX_NET_IP4(10, 0, 0, 1 + i), .port = 5000 };
		s->out.d[i].len = (uint16_t)(10 + i);
	}
	return s;
}

static void sock_free(struct sock_shard *s)
{
	free(s->out.d);
	free(s);
}

/* A partial send, then a full buffer: what the kernel took is counted
 * sent (with its bytes), the rest tx_full, and nothing is retried later. */
static void test_edge_sock_partial_then_eagain(void **state)
{
	static const int steps[] = { 2, -EAGAIN };
	struct sock_shard *s = sock_new(5);
	(void)state;
	script(steps, 2);
	sock_send_out(s);
	assert_int_equal(fake.calls, 2);
	assert_int_equal(fake.vlens[0], 5);
	assert_int_equal(fake.vlens[1], 3);
	assert_int_equal(s->io.tx_pkts, 2);
	assert_int_equal(s->io.tx_bytes, 10 + 11);
	assert_int_equal(s->io.tx_full, 3);
	assert_int_equal(s->io.tx_refused, 0);
	assert_int_equal(s->out.n, 0);
	sock_free(s);
}

/* ENOBUFS / ENOMEM count like a full buffer; EINTR is retried; a return of
 * 0 ends the run (tx_full) rather than spinning. */
static void test_edge_sock_enobufs_eintr_zero(void **state)
{
	struct sock_shard *s = sock_new(4);
	(void)state;
	script((const int[]){ -EINTR, 1, -ENOBUFS }, 3);
	sock_send_out(s);
	assert_int_equal(fake.calls, 3);
	assert_int_equal(s->io.tx_pkts, 1);
	assert_int_equal(s->io.tx_full, 3);
	s->out.n = 4;
	script((const int[]){ 0 }, 1);
	sock_send_out(s);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(s->io.tx_full, 3 + 4);
	s->out.n = 4;
	script((const int[]){ -ENOMEM }, 1);
	sock_send_out(s);
	assert_int_equal(s->io.tx_full, 3 + 4 + 4);
	assert_int_equal(s->io.tx_refused, 0);
	sock_free(s);
}

/* A full buffer on one socket drops the rest of that run only: the next
 * run, by the other socket, is still sent. */
static void test_edge_sock_full_run_next_run_sent(void **state)
{
	struct sock_shard *s = sock_new(4);
	(void)state;
	s->nfd = 2;
	sock_peer_learn(s, s->out.d[0].to.ip, 0);
	sock_peer_learn(s, s->out.d[1].to.ip, 0);
	sock_peer_learn(s, s->out.d[2].to.ip, 1);
	sock_peer_learn(s, s->out.d[3].to.ip, 1);
	script((const int[]){ -EAGAIN, 2 }, 2);
	sock_send_out(s);
	assert_int_equal(fake.calls, 2);
	assert_int_equal(fake.fds[0], 100);
	assert_int_equal(fake.vlens[0], 2);
	assert_int_equal(fake.fds[1], 101);
	assert_int_equal(fake.vlens[1], 2);
	assert_int_equal(s->io.tx_full, 2);
	assert_int_equal(s->io.tx_pkts, 2);
	assert_int_equal(s->io.tx_bytes, 12 + 13);
	sock_free(s);
}

/* A refusal in the middle of a run (the kernel returns the count before
 * it, then the error for it): skipped alone, the rest sent. */
static void test_edge_sock_refused_mid_run(void **state)
{
	struct sock_shard *s = sock_new(5);
	(void)state;
	script((const int[]){ 2, -EINVAL, 2 }, 3);
	sock_send_out(s);
	assert_int_equal(fake.calls, 3);
	assert_int_equal(fake.vlens[2], 2);
	assert_int_equal(s->io.tx_pkts, 4);
	assert_int_equal(s->io.tx_refused, 1);
	assert_int_equal(s->io.tx_bytes, 10 + 11 + 13 + 14);
	assert_int_equal(s->io.tx_full, 0);
	sock_free(s);
}

/* ======================================================================= */
/* nanoex-sock: telemetry answers at the size limit                         */
/* ======================================================================= */

const struct ctl_command ctl_commands[] = {
	{ "/t/big", "one member whose key is as long as the test says" },
	{ NULL, NULL },
};

static size_t g_keylen;

int ctl_run(struct ctl *c, const char *cmd, const char *params, const struct ctl_writer *w,
	    uint64_t now_ns)
{
	static char key[MAX_OUTPUT + 64];
	(void)c, (void)params, (void)now_ns;
	if (strcmp(cmd, "/t/big"))
		return -ENOENT;
	memset(key, 'k', g_keylen);
	key[g_keylen] = 0;
	w->u64(w->ctx, key, 1);
	return 0;
}

uint64_t sock_now_ns(void)
{
	return 0;
}

/* Every answer is one JSON object: it ends in "}" with its braces balanced
 * (the keys here hold no braces), or is the documented {"/cmd": null}
 * when the result does not fit max_output_len. */
static void test_edge_telemetry_answer_at_limit(void **state)
{
	static struct sock_app app;
	static char got[MAX_OUTPUT + 16];
	int sv[2];
	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	int sz = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	unsigned bad = 0;
	size_t first_bad = 0;
	for (g_keylen = MAX_OUTPUT - 40; g_keylen < MAX_OUTPUT; g_keylen++) {
		answer(&app, sv[0], "/t/big");
		ssize_t r = recv(sv[1], got, sizeof(got) - 1, 0);
		assert_true(r > 0);
		got[r] = 0;
		if (!strcmp(got, "{\"/t/big\": null}"))
			continue;
		int depth = 0;
		for (ssize_t i = 0; i < r; i++)
			depth += got[i] == '{' ? 1 : got[i] == '}' ? -1 : 0;
		if (depth != 0 || got[r - 1] != '}') {
			if (!bad++)
				first_bad = g_keylen;
		}
	}
	close(sv[0]);
	close(sv[1]);
	if (bad)
		fail_msg("%u answers were not a whole JSON object (first with a key of %zu bytes): "
			 "a result filling the buffer to 16382 or 16383 bytes is sent without its "
			 "closing \"}}\"", bad, first_bad);
}

/* ======================================================================= */
/* ITCH book queries and reference prices                                   */
/* ======================================================================= */

static struct nx_mdbook *mdbook(uint32_t locates)
{
	struct nx_mdbook_config bc = { .max_locates = locates, .max_orders = 64, .max_levels = 64 };
	struct nx_mdbook *b = nx_mdbook_create(&bc);
	assert_non_null(b);
	return b;
}

/* An R message naming loc with the 8 raw bytes sym8. */
static struct msg mR_raw(uint16_t loc, const char sym8[8])
{
	struct msg m = itch_hdr('R', loc);
	memcpy(m.b + m.n, sym8, 8);
	m.n += 8;
	itch_put(&m, 'Q', 1);  /* market category */
	itch_put(&m, 'N', 1);  /* financial status */
	itch_put(&m, 100, 4);  /* round lot */
	itch_put(&m, 'N', 1);  /* round lots only */
	itch_put(&m, 'C', 1);  /* issue classification */
	itch_put(&m, 'Z', 1);  /* issue subtype (2) */
	itch_put(&m, 'Z', 1);
	itch_put(&m, 'P', 1);  /* authenticity */
	itch_put(&m, 'N', 1);  /* short sale threshold */
	itch_put(&m, 'N', 1);  /* IPO flag */
	itch_put(&m, '1', 1);  /* LULD tier */
	itch_put(&m, 'N', 1);  /* ETP flag */
	itch_put(&m, 0, 4);    /* ETP leverage */
	itch_put(&m, 'N', 1);  /* inverse */
	return m;
}

/* Symbols are stored as the feed's space-padded Alpha field and found
 * trimmed, case as given: "AAPL" finds it; "AAPL " (the padding kept) and
 * "aapl" do not (mdbook.h: "trimmed, as printed"). */
static void test_edge_mdbook_find_symbols(void **state)
{
	struct nx_mdbook *b = mdbook(64);
	struct nx_mdbook_stock_info si;
	(void)state;
	assert_int_equal(ap(b, mR_raw(5, "AAPL    ")), 'R');
	assert_int_equal(ap(b, mR_raw(6, "BRK A   ")), 'R'); /* inner space kept */
	assert_int_equal(ap(b, mR_raw(9, "ZZZZZZZZ")), 'R'); /* all 8 used */
	assert_int_equal(nx_mdbook_find(b, "AAPL"), 5);
	assert_int_equal(nx_mdbook_find(b, "AAPL "), -ENOENT);
	assert_int_equal(nx_mdbook_find(b, "aapl"), -ENOENT);
	assert_int_equal(nx_mdbook_find(b, "BRK A"), 6);
	assert_int_equal(nx_mdbook_find(b, "BRK"), -ENOENT);
	assert_int_equal(nx_mdbook_find(b, "ZZZZZZZZ"), 9);
	nx_mdbook_stock(b, 6, &si);
	assert_string_equal(si.symbol, "BRK A");
	assert_int_equal(si.round_lot, 100);
	/* a reused symbol: the lowest locate */
	assert_int_equal(ap(b, mR_raw(2, "AAPL    ")), 'R');
	assert_int_equal(nx_mdbook_find(b, "AAPL"), 2);
	/* a locate never named is not found by "" */
	assert_int_equal(nx_mdbook_find(b, ""), -ENOENT);
	/* beyond max_locates: counted, never named */
	assert_int_equal(ap(b, mR_raw(64, "FAR     ")), 'R');
	assert_int_equal(nx_mdbook_find(b, "FAR"), -ENOENT);
	assert_int_equal(nx_mdbook_stats(b)->anomalies[NX_MDBOOK_BAD_LOCATE], 1);
	assert_int_equal(nx_mdbook_stats(b)->namings, 4);
	nx_mdbook_destroy(b);
}

/* depth with n = 0, n past the levels, a bad side, a locate past
 * max_locates; level counts; BBO of a one-sided stock; an order's shares
 * after a partial execution, and gone after its delete. */
static void test_edge_mdbook_queries(void **state)
{
	struct nx_mdbook *b = mdbook(16);
	struct nx_mdbook_level lv[8];
	struct nx_mdbook_bbo q;
	struct nx_mdbook_order o;
	(void)state;
	ap(b, mA(3, 1, 'B', 100, "X", 10000));
	ap(b, mA(3, 2, 'B', 50, "X", 10100));
	ap(b, mA(3, 3, 'B', 25, "X", 10000));
	assert_int_equal(nx_mdbook_depth(b, 3, NX_MDBOOK_BID, lv, 0), 0);
	assert_int_equal(nx_mdbook_depth(b, 3, NX_MDBOOK_BID, lv, 8), 2);
	assert_int_equal(lv[0].px, 10100);
	assert_int_equal(lv[1].px, 10000);
	assert_int_equal(lv[1].qty, 125);
	assert_int_equal(lv[1].orders, 2);
	assert_int_equal(nx_mdbook_depth(b, 3, NX_MDBOOK_ASK, lv, 8), 0);
	assert_int_equal(nx_mdbook_depth(b, 3, 2, lv, 8), 0);
	assert_int_equal(nx_mdbook_depth(b, 3, -1, lv, 8), 0);
	assert_int_equal(nx_mdbook_depth(b, 16, NX_MDBOOK_BID, lv, 8), 0);
	assert_int_equal(nx_mdbook_depth(b, 65535, NX_MDBOOK_BID, lv, 8), 0);
	assert_int_equal(nx_mdbook_level_count(b, 3, NX_MDBOOK_BID), 2);
	assert_int_equal(nx_mdbook_level_count(b, 3, 2), 0);
	assert_int_equal(nx_mdbook_level_count(b, 65535, NX_MDBOOK_ASK), 0);
	nx_mdbook_bbo(b, 3, &q);
	assert_int_equal(q.bid.px, 10100);
	assert_int_equal(q.ask.px, 0);
	assert_int_equal(q.ask.qty, 0);
	nx_mdbook_bbo(b, 65535, &q);
	assert_int_equal(q.bid.px, 0);
	ap(b, mE(1, 40));
	assert_int_equal(nx_mdbook_order(b, 1, &o), 0);
	assert_int_equal(o.locate, 3);
	assert_int_equal(o.side, NX_MDBOOK_BID);
	assert_int_equal(o.px, 10000);
	assert_int_equal(o.shares, 60);
	ap(b, mD(1));
	assert_int_equal(nx_mdbook_order(b, 1, &o), -ENOENT);
	assert_int_equal(nx_mdbook_order(b, 0, &o), -ENOENT);
	assert_int_equal(nx_mdbook_live_orders(b), 2);
	assert_int_equal(nx_mdbook_stats(b)->shares_executed, 40);
	assert_string_equal(nx_mdbook_anomaly_name(NX_MDBOOK_NANOMALIES), "?");
	assert_string_equal(nx_mdbook_anomaly_name(-1), "?");
	assert_int_equal(nx_mdbook_check(b, NULL, 0), 0);
	nx_mdbook_destroy(b);
}

static struct nx_venue_config *ref_venue(nx_px_t tick, int64_t mul, int64_t div, int last)
{
	static struct nx_instrument ins[1];
	static struct nx_venue_config c;
	memset(&c, 0, sizeof(c));
	memset(ins, 0, sizeof(ins));
	ins[0].id = 1;
	ins[0].tick = tick;
	c.instruments = ins;
	c.ninstruments = 1;
	c.md.itch.ref_interval_us = 1000;
	c.md.itch.nmap = 1;
	c.md.itch.map[0] = (struct nx_md_map){ .symbol = "X", .inst = 1, .px_mul = mul,
					       .px_div = div,
					       .source = last ? NX_MD_REF_LAST : NX_MD_REF_MID };
	return &c;
}

/* Price(4) x mul / div to the nearest tick, half up (mdref.h: half away from
 * zero; prices are never negative): below half a tick is no price, exactly
 * half a tick is one tick. */
static void test_edge_mdref_rounding(void **state)
{
	struct nx_mdref r;
	(void)state;
	/* venue units = Price(4) (mul 1 div 1), tick 100 */
	static const struct { uint32_t px; nx_px_t want; } cases[] = {
		{ 1, 0 }, { 49, 0 }, { 50, 100 }, { 99, 100 }, { 149, 100 }, { 150, 200 },
		{ 250, 300 }, { UINT32_MAX, (nx_px_t)((UINT32_MAX + 50ull) / 100 * 100) },
	};
	for (size_t i = 0; i < NX_ARRAY_SIZE(cases); i++) {
		struct nx_mdbook *b = mdbook(16);
		assert_int_equal(nx_mdref_init(&r, ref_venue(100, 1, 1, 1)), 0);
		ap(b, mA(4, 1, 'S', 100, "X", cases[i].px));
		ap(b, mE(1, 10));
		assert_int_equal(nx_mdref_resolve(&r, b), 0);
		if (nx_mdref_price(&r.e[0], b) != cases[i].want)
			fail_msg("Price(4) %u: %lld, want %lld", cases[i].px,
				 (long long)nx_mdref_price(&r.e[0], b), (long long)cases[i].want);
		nx_mdbook_destroy(b);
	}
	/* a mid of odd sum: (100 + 101) / 2 = 100.5 Price(4) with tick 1: 101 */
	struct nx_mdbook *b = mdbook(16);
	assert_int_equal(nx_mdref_init(&r, ref_venue(1, 1, 1, 0)), 0);
	ap(b, mA(4, 1, 'B', 100, "X", 100));
	ap(b, mA(4, 2, 'S', 100, "X", 101));
	nx_mdref_resolve(&r, b);
	assert_int_equal(nx_mdref_price(&r.e[0], b), 101);
	nx_mdbook_destroy(b);
}

struct sink {
	int refuse;
	unsigned n;
	nx_px_t px[16];
};

static int emit(void *ctx, nx_inst_t inst, nx_px_t px)
{
	struct sink *k = ctx;
	(void)inst;
	if (k->refuse)
		return -1;
	k->px[k->n++] = px;
	return 0;
}

/* Pacing: the first price goes at once whatever the clock; a change and
 * a change back inside the interval emit nothing; an interval of 0 emits
 * every change; a refusal inside the interval is offered again after. */
static void test_edge_mdref_pacing(void **state)
{
	struct nx_mdref r;
	struct sink k = { 0 };
	struct nx_mdbook *b = mdbook(16);
	(void)state;
	assert_int_equal(nx_mdref_init(&r, ref_venue(1, 1, 1, 1)), 0);
	ap(b, mA(4, 1, 'S', 1000, "X", 500));
	ap(b, mE(1, 1));
	nx_mdref_resolve(&r, b);
	assert_int_equal(nx_mdref_update(&r, b, 0, emit, &k), 1); /* at t = 0 */
	ap(b, mA(4, 2, 'S', 1000, "X", 600));
	ap(b, mE(2, 1));
	ap(b, mE(1, 1)); /* back to 500 inside the interval */
	assert_int_equal(nx_mdref_update(&r, b, 500000, emit, &k), 0);
	assert_int_equal(nx_mdref_update(&r, b, 2000000, emit, &k), 0); /* nothing new */
	ap(b, mE(2, 1));
	assert_int_equal(nx_mdref_update(&r, b, 2000001, emit, &k), 1);
	assert_int_equal(k.px[1], 600);
	r.interval_ns = 0;
	ap(b, mE(1, 1));
	assert_int_equal(nx_mdref_update(&r, b, 2000001, emit, &k), 1);
	assert_int_equal(k.px[2], 500);
	nx_mdbook_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edge_vlan_tagged_dropped),
		cmocka_unit_test(test_edge_ttl_zero_and_one_accepted),
		cmocka_unit_test(test_edge_ip_flags),
		cmocka_unit_test(test_edge_ip_lengths),
		cmocka_unit_test(test_edge_udp_csum_zero_and_ffff),
		cmocka_unit_test(test_edge_udp_length),
		cmocka_unit_test(test_edge_icmp_echo_huge_and_odd),
		cmocka_unit_test(test_edge_icmp_policy),
		cmocka_unit_test(test_edge_arp_probe_reply),
		cmocka_unit_test(test_edge_udp_build_fields),
		cmocka_unit_test(test_edge_sock_partial_then_eagain),
		cmocka_unit_test(test_edge_sock_enobufs_eintr_zero),
		cmocka_unit_test(test_edge_sock_full_run_next_run_sent),
		cmocka_unit_test(test_edge_sock_refused_mid_run),
		cmocka_unit_test(test_edge_telemetry_answer_at_limit),
		cmocka_unit_test(test_edge_mdbook_find_symbols),
		cmocka_unit_test(test_edge_mdbook_queries),
		cmocka_unit_test(test_edge_mdref_rounding),
		cmocka_unit_test(test_edge_mdref_pacing),
	};
	return cmocka_run_group_tests_name("net_edges", tests, NULL, NULL);
}
