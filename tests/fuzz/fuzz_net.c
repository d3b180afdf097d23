/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * libFuzzer harness for frame handling (nx/net.h). The input is one control
 * byte, then a received frame: bits 0-3 of the control byte are the
 * NX_NET_RX_* flags, bit 4 says whether replies are built in place (in a
 * copy of the frame) or into a separate buffer. Buffers are heap blocks of
 * exactly the size a function may use, so AddressSanitizer sees any byte
 * written or read past them.
 *
 * Invariants: a drop reason is in range and has a name; an accepted frame
 * has its packet (and payload) inside the frame; a UDP datagram is answered
 * with nx_net_udp_build and an ARP request or ICMP echo with its reply
 * builder, and the peer (an interface with the sender's MAC and IP)
 * classifies each answer as UDP with the same payload and swapped ports, as
 * ARP_OTHER from us, or, for the echo reply, as ICMP_NOT_ECHO (every layer
 * and checksum verified in software before the type check); ARP is taken
 * from our MAC or broadcast only, never a multicast MAC; every sender
 * accepted is learnable by the neighbour cache; nx_net_udp_payload_guess
 * stays inside any frame and finds a UDP datagram's payload where classify
 * does. Seeds in
 * tests/fuzz/corpus/net/ are frames of every verdict and common drops.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
	fprintf(stderr, "invariant broken: %s\n", what);
	abort();
}

/* One joined group, so the multicast path is fuzzed too. */
static const struct nx_net_if us = { .mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 },
				     .ip = NX_NET_IP4(10, 0, 0, 1), .ngroups = 1,
				     .groups = { NX_NET_IP4(239, 0, 0, 1) } };

static volatile uintptr_t sink;

static _Alignas(64) uint8_t neigh_mem[64 + 16 * 64];

/* The buffer a reply is built in: a copy of the frame (in place) or a
 * fresh block of exactly cap bytes. */
static uint8_t *reply_buf(const uint8_t *f, uint32_t len, size_t cap, int in_place)
{
	uint8_t *b = malloc(in_place ? (len > cap ? len : cap) : cap);
	if (!b)
		die("malloc");
	if (in_place)
		memcpy(b, f, len);
	return b;
}

static void check_udp(const uint8_t *f, const struct nx_net_pkt *pkt)
{
	struct nx_net_if peer;
	struct nx_net_pkt back;
	size_t cap = NX_NET_UDP_HDR_LEN + pkt->payload_len;
	uint8_t *out = malloc(cap);

	if (!out)
		die("malloc");
	if (pkt->l4_off < NX_NET_ETH_LEN + NX_NET_IP4_LEN ||
	    pkt->payload != f + pkt->l4_off + NX_NET_UDP_LEN ||
	    pkt->payload + pkt->payload_len != f + pkt->frame_len)
		die("udp: payload not where the headers say");
	memcpy(peer.mac, pkt->src_mac, 6);
	peer.ip = pkt->src_ip;
	if (nx_net_udp_build(out, cap - 1, &us, pkt->src_mac, pkt->src_ip, pkt->dst_port,
			     pkt->src_port, pkt->payload, pkt->payload_len, 0) != 0 ||
	    nx_net_udp_build(out, cap, &us, pkt->src_mac, pkt->src_ip, pkt->dst_port,
			     pkt->src_port, pkt->payload, pkt->payload_len, 0) != cap)
		die("udp: build length");
	if (nx_net_classify(&peer, out, (uint32_t)cap, 0, &back) != NX_NET_UDP ||
	    back.payload_len != pkt->payload_len ||
	    memcmp(back.payload, pkt->payload, pkt->payload_len) ||
	    back.src_port != pkt->dst_port || back.dst_port != pkt->src_port ||
	    back.src_ip != us.ip || memcmp(back.src_mac, us.mac, 6))
		die("udp: the peer does not read our answer back");
	free(out);
}

static void check_arp_request(const uint8_t *f, uint32_t len, const struct nx_net_pkt *pkt,
			      int in_place)
{
	struct nx_net_if peer;
	struct nx_net_pkt back;
	uint8_t *out = reply_buf(f, len, NX_NET_ARP_FRAME_LEN, in_place);

	if (nx_net_arp_reply(out, NX_NET_ARP_FRAME_LEN - 1, pkt, &us) != 0 ||
	    nx_net_arp_reply(out, NX_NET_ARP_FRAME_LEN, pkt, &us) != NX_NET_ARP_FRAME_LEN)
		die("arp: reply length");
	memcpy(peer.mac, pkt->src_mac, 6);
	peer.ip = pkt->src_ip;
	if (nx_net_classify(&peer, out, NX_NET_ARP_FRAME_LEN, 0, &back) != NX_NET_ARP_OTHER ||
	    back.src_ip != us.ip || back.dst_ip != pkt->src_ip || memcmp(back.src_mac, us.mac, 6))
		die("arp: the requester does not read our reply");
	free(out);
}

static void check_echo(const uint8_t *f, uint32_t len, const struct nx_net_pkt *pkt,
		       int in_place)
{
	struct nx_net_if peer;
	struct nx_net_pkt back;
	size_t need = NX_NET_ETH_LEN + NX_NET_IP4_LEN + NX_NET_ICMP_ECHO_LEN + pkt->payload_len;
	uint8_t *out;

	if (pkt->payload != f + pkt->l4_off + NX_NET_ICMP_ECHO_LEN ||
	    pkt->payload + pkt->payload_len != f + pkt->frame_len)
		die("icmp: data not where the headers say");
	out = reply_buf(f, len, need, in_place);
	if (nx_net_icmp_echo_reply(out, need - 1, in_place ? out : f, pkt, &us) != 0 ||
	    nx_net_icmp_echo_reply(out, need, in_place ? out : f, pkt, &us) != need)
		die("icmp: reply length");
	if (memcmp(out + need - pkt->payload_len, pkt->payload, pkt->payload_len))
		die("icmp: echo data changed");
	memcpy(peer.mac, pkt->src_mac, 6);
	peer.ip = pkt->src_ip;
	if (nx_net_classify(&peer, out, (uint32_t)need, 0, &back) != NX_NET_DROP_ICMP_NOT_ECHO ||
	    nx_net_csum(out + NX_NET_ETH_LEN, NX_NET_IP4_LEN) != 0 ||
	    nx_net_csum(out + 34, need - 34) != 0)
		die("icmp: the requester does not verify our reply");
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nx_net_neigh *n;
	struct nx_net_pkt pkt;
	const uint8_t *f;
	uint32_t len;
	unsigned rx;
	int v, in_place;

	if (size < 1 || size > 70000)
		return 0;
	rx = data[0] & 0x0fu;
	in_place = data[0] & 0x10;
	f = data + 1;
	len = (uint32_t)(size - 1);
	/* The hints' unchecked locator stays inside the frame, on any bytes. */
	uint32_t glen = 0;
	const uint8_t *g = nx_net_udp_payload_guess(f, len, &glen);
	if (g && (g < f + NX_NET_UDP_HDR_LEN || g + glen != f + len))
		die("payload guess outside the frame");
	memset(&pkt, 0xa5, sizeof(pkt));
	v = nx_net_classify(&us, f, len, rx, &pkt);
	if (v < 0) {
		if (v <= -(int)NX_NET_DROP_MAX || nx_net_drop_name(v)[0] == '?')
			die("drop reason out of range");
		sink += (uintptr_t)nx_net_drop_text(v)[0];
		return 0;
	}
	if (pkt.frame_len > len || pkt.frame_len < NX_NET_ARP_FRAME_LEN ||
	    pkt.l4_off > pkt.frame_len)
		die("packet not inside the frame");
	if (v != NX_NET_ARP_OTHER && v != NX_NET_ARP_REQUEST && pkt.dst_ip != us.ip) {
		/* Only UDP to the joined group, behind the group's MAC. */
		uint8_t gm[6];
		nx_net_mcast_mac(us.groups[0], gm);
		if (v != NX_NET_UDP || pkt.dst_ip != us.groups[0] || memcmp(f, gm, 6))
			die("accepted for another address");
	} else if (v != NX_NET_ARP_OTHER && v != NX_NET_ARP_REQUEST && memcmp(f, us.mac, 6)) {
		die("our address accepted behind another MAC");
	} else if ((v == NX_NET_ARP_OTHER || v == NX_NET_ARP_REQUEST) && memcmp(f, us.mac, 6) &&
		   memcmp(f, "\xff\xff\xff\xff\xff\xff", 6)) {
		die("arp accepted behind a multicast MAC");
	}
	switch (v) {
	case NX_NET_UDP:
		if (g != pkt.payload) /* and finds what classify finds */
			die("payload guess differs from classify");
		check_udp(f, &pkt);
		break;
	case NX_NET_ICMP_ECHO:
		check_echo(f, len, &pkt, in_place);
		break;
	case NX_NET_ARP_REQUEST:
		if (pkt.dst_ip != us.ip)
			die("arp request for another address");
		check_arp_request(f, len, &pkt, in_place);
		/* fall through */
	case NX_NET_ARP_OTHER:
		if (pkt.frame_len != NX_NET_ARP_FRAME_LEN || pkt.payload || pkt.payload_len)
			die("arp: lengths");
		break;
	default:
		die("unknown verdict");
	}
	/* Every sender we accept may be learned, except an ARP probe's 0. */
	n = nx_net_neigh_init(neigh_mem, sizeof(neigh_mem), 64);
	if (!n || nx_net_neigh_memsize(64) > sizeof(neigh_mem))
		die("neigh init");
	if (pkt.src_ip == 0 ? v != NX_NET_ARP_REQUEST
			    : nx_net_neigh_learn(n, pkt.src_ip, pkt.src_mac) != NX_NET_NEIGH_NEW)
		die("sender not learnable");
	return 0;
}
