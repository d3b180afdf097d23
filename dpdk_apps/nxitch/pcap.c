/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxitch's pcap path: the libpcap file format read by hand (a 24-byte
 * global header whose magic number gives the byte order and the timestamp
 * unit, then records of a 16-byte header and the captured bytes), a
 * minimal Ethernet/802.1Q/IPv4/UDP parse (the capture's destination is
 * not ours, so nx_net_classify's address checks do not apply; checksums
 * are not verified: a capture tool trusts its capture), and a MoldUDP64
 * receiver in skip mode feeding the book.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nx/moldudp.h"
#include "nxitch.h"

#define PCAP_GLOBAL_LEN 24u
#define PCAP_RECORD_LEN 16u
#define PCAP_MAGIC_US   0xa1b2c3d4u
#define PCAP_MAGIC_NS   0xa1b23c4du
#define LINKTYPE_ETHERNET 1u
#define MAX_GAP_LINES   50 /* gaps printed one per line; the rest only counted */

static uint32_t ld32(const uint8_t *p, int swap)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		     (uint32_t)p[3] << 24;
	return swap ? __builtin_bswap32(v) : v;
}

struct frame_stats {
	uint64_t records, truncated, not_ip4, fragments, not_udp, bad_udp, other_port, datagrams;
};

/* The UDP payload of an Ethernet frame, or NULL (counted). */
static const uint8_t *udp_payload(const uint8_t *f, size_t len, int port, size_t *plen,
				  struct frame_stats *fs)
{
	size_t off = 14, ihl, tot, ulen;
	unsigned type;

	if (len < off) {
		fs->not_ip4++;
		return NULL;
	}
	type = nx_itch_be16(f + 12);
	if (type == 0x8100 && len >= off + 4) {
		type = nx_itch_be16(f + 16);
		off += 4;
	}
	if (type != 0x0800 || len < off + 20 || (f[off] >> 4) != 4) {
		fs->not_ip4++;
		return NULL;
	}
	ihl = (size_t)(f[off] & 15) * 4;
	tot = nx_itch_be16(f + off + 2);
	if (ihl < 20 || tot < ihl || tot > len - off) {
		fs->not_ip4++;
		return NULL;
	}
	if (nx_itch_be16(f + off + 6) & 0x3fff) {
		fs->fragments++;
		return NULL;
	}
	if (f[off + 9] != 17) {
		fs->not_udp++;
		return NULL;
	}
	off += ihl;
	tot -= ihl;
	if (tot < 8 || (ulen = nx_itch_be16(f + off + 4)) < 8 || ulen > tot) {
		fs->bad_udp++;
		return NULL;
	}
	if (port && nx_itch_be16(f + off + 2) != port) {
		fs->other_port++;
		return NULL;
	}
	fs->datagrams++;
	*plen = ulen - 8;
	return f + off + 8;
}

static void print_mold(const struct nx_mold_rx *rx, const uint64_t *kinds)
{
	const struct nx_mold_stats *st = &rx->st;
	char session[11];

	memcpy(session, rx->session, 10);
	session[10] = '\0';
	printf("moldudp64: session '%s', next sequence %llu%s\n", rx->latched ? session : "",
	       (unsigned long long)rx->next, rx->ended ? ", session ended" : "");
	for (int k = NX_MOLD_DATA; k <= NX_MOLD_AHEAD; k++)
		printf("  %-10s packets %10llu\n", nx_mold_kind_name(k),
		       (unsigned long long)kinds[k]);
	for (int r = 1; r < (int)NX_MOLD_DROP_MAX; r++)
		if (st->drops[r])
			printf("  dropped %-13s %10llu  (%s)\n", nx_mold_drop_name(-r),
			       (unsigned long long)st->drops[r], nx_mold_drop_text(-r));
	printf("  messages delivered %llu, duplicates %llu, gaps %llu (%llu messages), "
	       "lost %llu\n", (unsigned long long)st->msgs, (unsigned long long)st->dup_msgs,
	       (unsigned long long)st->gaps, (unsigned long long)st->gap_msgs,
	       (unsigned long long)st->lost_msgs);
}

int nxitch_pcap(const struct nxitch_opts *o, struct nx_mdbook *b, const uint8_t *data,
		size_t len)
{
	struct frame_stats fs = { 0 };
	struct nx_mold_rx rx;
	struct nx_mold_pkt pkt;
	uint64_t kinds[NX_MOLD_AHEAD + 1] = { 0 }, gap_lines = 0;
	size_t off = PCAP_GLOBAL_LEN;
	uint32_t magic, link;
	int swap, ns;

	if (len < PCAP_GLOBAL_LEN) {
		fprintf(stderr, "nxitch: %s: too short for a pcap file\n", o->path);
		return -EINVAL;
	}
	magic = ld32(data, 0);
	swap = magic == __builtin_bswap32(PCAP_MAGIC_US) || magic == __builtin_bswap32(PCAP_MAGIC_NS);
	magic = ld32(data, swap);
	if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS) {
		fprintf(stderr, "nxitch: %s: not a pcap file (magic %08x)\n", o->path, magic);
		return -EINVAL;
	}
	ns = magic == PCAP_MAGIC_NS;
	link = ld32(data + 20, swap) & 0xffff; /* the top bits may carry FCS flags */
	if (link != LINKTYPE_ETHERNET) {
		fprintf(stderr, "nxitch: %s: link type %u, only Ethernet (1) is read\n", o->path,
			link);
		return -EINVAL;
	}
	nx_mold_rx_init(&rx, NULL);
	while (len - off >= PCAP_RECORD_LEN) {
		const uint8_t *rec = data + off, *pl;
		uint32_t incl = ld32(rec + 8, swap), orig = ld32(rec + 12, swap);
		size_t plen;
		int k;

		if (incl > len - off - PCAP_RECORD_LEN)
			break; /* the file ends inside this record */
		off += PCAP_RECORD_LEN + incl;
		fs.records++;
		if (incl < orig) {
			fs.truncated++;
			continue;
		}
		pl = udp_payload(rec + PCAP_RECORD_LEN, incl, o->port, &plen, &fs);
		if (!pl)
			continue;
		k = nx_mold_rx_packet(&rx, pl, plen, &pkt);
		if (k < 0)
			continue;
		kinds[k]++;
		if (pkt.gap_count && gap_lines++ < MAX_GAP_LINES)
			printf("gap: messages %llu..%llu missing (%llu), found by packet seq %llu "
			       "count %u\n", (unsigned long long)pkt.gap_first,
			       (unsigned long long)(pkt.gap_first + pkt.gap_count - 1),
			       (unsigned long long)pkt.gap_count, (unsigned long long)pkt.pkt_seq,
			       pkt.pkt_count);
		if (k == NX_MOLD_DATA)
			nx_mdbook_apply_blocks(b, pkt.blocks, (size_t)(pkt.end - pkt.blocks),
					       pkt.count, NULL);
	}
	printf("nxitch: %s: pcap (%s timestamps), %llu records, %llu UDP datagrams%s\n", o->path,
	       ns ? "ns" : "us", (unsigned long long)fs.records, (unsigned long long)fs.datagrams,
	       off != len ? ", file ends inside a record" : "");
	if (fs.truncated || fs.not_ip4 || fs.fragments || fs.not_udp || fs.bad_udp ||
	    fs.other_port)
		printf("  skipped frames: truncated %llu, not IPv4 %llu, fragments %llu, not UDP "
		       "%llu, bad UDP %llu, other port %llu\n", (unsigned long long)fs.truncated,
		       (unsigned long long)fs.not_ip4, (unsigned long long)fs.fragments,
		       (unsigned long long)fs.not_udp, (unsigned long long)fs.bad_udp,
		       (unsigned long long)fs.other_port);
	print_mold(&rx, kinds);
	return 0;
}
