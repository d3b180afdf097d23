/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxitch's pcap path: the libpcap file format read by hand (a 24-byte
 * global header whose magic number gives the byte order and the timestamp
 * unit, then records of a 16-byte header and the captured bytes), a
 * minimal Ethernet/802.1Q/IPv4/UDP parse (the capture's destination is
 * not ours, so nx_net_classify's address checks do not apply; checksums
 * are not verified: a capture tool trusts its capture), and a MoldUDP64
 * receiver feeding the book, holding packets past a gap for a window of
 * capture time (below). A capture cut short (the file inside a record, a
 * datagram of ours captured short, a packet of the session inside a
 * block) is reported, where and why, for main() to exit 3.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
	uint64_t cut;       /* datagrams (possibly) to the port whose bytes the record lacks */
	uint64_t first_cut; /* record number of the first of them */
};

/*
 * The UDP payload of an Ethernet frame of len captured bytes, or NULL
 * (counted). short_rec: the record holds less than the frame had on the
 * wire (snaplen). A frame is read when its IPv4 packet is whole, whatever
 * was cut after it (a trailer, the FCS). A datagram to the port whose
 * packet the record does not hold whole, or a short record cut before its
 * headers tell what it was, is a cut MoldUDP64 packet (fs->cut): its
 * messages are not in the capture. A short record whose headers say it
 * is not ours is only counted.
 */
static const uint8_t *udp_payload(const uint8_t *f, size_t len, int short_rec, int port,
				  size_t *plen, struct frame_stats *fs, uint64_t rec_no)
{
	size_t off = 14, ihl, tot, ulen;
	unsigned type;

	if (len < off)
		goto cut_headers;
	type = nx_itch_be16(f + 12);
	if (type == 0x8100) {
		if (len < off + 4)
			goto cut_headers;
		type = nx_itch_be16(f + 16);
		off += 4;
	}
	if (type != 0x0800) {
		fs->not_ip4++;
		return NULL;
	}
	if (len < off + 20)
		goto cut_headers;
	ihl = (size_t)(f[off] & 15) * 4;
	tot = nx_itch_be16(f + off + 2);
	if ((f[off] >> 4) != 4 || ihl < 20 || tot < ihl) {
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
	if (len < off + ihl + 8)
		goto cut_headers;
	tot -= ihl;
	if (tot < 8 || (ulen = nx_itch_be16(f + off + ihl + 4)) < 8 || ulen > tot) {
		fs->bad_udp++;
		return NULL;
	}
	if (port && nx_itch_be16(f + off + ihl + 2) != port) {
		fs->other_port++;
		return NULL;
	}
	if (tot > len - off - ihl) /* the IPv4 packet runs past the record */
		goto cut;
	fs->datagrams++;
	*plen = ulen - 8;
	return f + off + ihl + 8;

cut_headers:
	if (!short_rec) { /* a whole frame this short is not IPv4 */
		fs->not_ip4++;
		return NULL;
	}
cut:
	if (!fs->cut++)
		fs->first_cut = rec_no;
	return NULL;
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
		printf("  %-10s packets %10llu%s\n", nx_mold_kind_name(k),
		       (unsigned long long)kinds[k],
		       k == NX_MOLD_AHEAD && kinds[k] ? "  (held past a gap, then fed again)" : "");
	for (int r = 1; r < (int)NX_MOLD_DROP_MAX; r++)
		if (st->drops[r])
			printf("  dropped %-13s %10llu  (%s)\n", nx_mold_drop_name(-r),
			       (unsigned long long)st->drops[r], nx_mold_drop_text(-r));
	printf("  messages delivered %llu, duplicates %llu, gaps %llu (%llu messages), "
	       "lost %llu\n", (unsigned long long)st->msgs, (unsigned long long)st->dup_msgs,
	       (unsigned long long)st->gaps, (unsigned long long)st->gap_msgs,
	       (unsigned long long)st->lost_msgs);
}

/*
 * The MoldUDP64 walk. A capture may hold what a gap lost after the packet
 * that revealed it: a retransmission answer, the other line of an A/B
 * feed, a reordered packet. So the receiver holds (hold_on_gap) and
 * packets past a gap are kept (pointers into the file, sorted by sequence
 * number) and fed again once it is filled; a gap still open window_ns of
 * capture time after its first held packet arrived, or at the end of the
 * file, is given up up to the earliest held packet (nx_mold_rx_skip_to:
 * the hole counted lost). window_ns 0: plain skip mode, nothing held.
 */
#define MAX_HELD (1u << 22)

struct held {
	const uint8_t *pl;
	size_t len;
	uint64_t seq, ts;
};

struct walk {
	const struct nxitch_opts *o;
	struct nx_mdbook *b;
	struct nx_mold_rx rx;
	uint64_t kinds[NX_MOLD_AHEAD + 1], gap_lines, window_ns;
	struct held *h;         /* [head, n) sorted by seq */
	size_t head, n, cap;
};

static int feed(struct walk *w, const uint8_t *pl, size_t len)
{
	struct nx_mold_pkt pkt;
	int k = nx_mold_rx_packet(&w->rx, pl, len, &pkt);

	if (k < 0)
		return k;
	w->kinds[k]++;
	if (pkt.gap_count && w->gap_lines++ < MAX_GAP_LINES)
		printf("gap: messages %llu..%llu missing (%llu), found by %s seq %llu count %u\n",
		       (unsigned long long)pkt.gap_first,
		       (unsigned long long)(pkt.gap_first + pkt.gap_count - 1),
		       (unsigned long long)pkt.gap_count,
		       pkt.pkt_count == NX_MOLD_COUNT_HEARTBEAT ? "heartbeat"
		       : pkt.pkt_count == NX_MOLD_COUNT_END   ? "end of session"
							       : "packet",
		       (unsigned long long)pkt.pkt_seq, pkt.pkt_count);
	if (k == NX_MOLD_DATA)
		nx_mdbook_apply_blocks(w->b, pkt.blocks, (size_t)(pkt.end - pkt.blocks), pkt.count,
				       NULL);
	return k;
}

/* Keep an AHEAD packet (its header was validated by the receiver). */
static int hold(struct walk *w, const uint8_t *pl, size_t len, uint64_t ts)
{
	uint64_t seq = nx_itch_be64(pl + NX_MOLD_SESSION_LEN);
	size_t lo = w->head, hi = w->n;

	if (w->head == w->n)
		w->head = w->n = lo = hi = 0;
	if (w->n == w->cap) {
		if (w->head) { /* reuse the drained front */
			memmove(w->h, w->h + w->head, (w->n - w->head) * sizeof(*w->h));
			w->n -= w->head;
			lo = w->head = 0;
			hi = w->n;
		} else {
			size_t ncap = w->cap ? w->cap * 2 : 1024;
			struct held *nh = realloc(w->h, ncap * sizeof(*nh));
			if (!nh)
				return -ENOMEM;
			w->h = nh;
			w->cap = ncap;
		}
	}
	while (lo < hi) { /* after every held packet of seq <= this one's */
		size_t mid = lo + (hi - lo) / 2;
		if (w->h[mid].seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(w->h + lo + 1, w->h + lo, (w->n - lo) * sizeof(*w->h));
	w->h[lo] = (struct held){ .pl = pl, .len = len, .seq = seq, .ts = ts };
	w->n++;
	return 0;
}

/* Feed the held packets the receiver has caught up with, in order. */
static void drain(struct walk *w)
{
	while (w->head < w->n && w->h[w->head].seq <= w->rx.next) {
		const struct held *e = &w->h[w->head++];
		feed(w, e->pl, e->len);
	}
}

/* Give up the hole before the earliest held packet (counted lost), then
 * feed what is held. A packet numbered past an end of session that came
 * after it was held can never be delivered (nothing is missing up to the
 * end, so nothing moves the receiver to it): it is fed once more, for the
 * receiver to drop and count (AFTER_END), and no longer held. */
static void give_up(struct walk *w)
{
	const struct held *e = &w->h[w->head];

	nx_mold_rx_skip_to(&w->rx, e->seq);
	if (e->seq > w->rx.next) {
		w->head++;
		feed(w, e->pl, e->len);
	}
	drain(w);
}

/* Packets the receiver dropped as TRUNCATED (a block runs past the end of
 * the datagram) that name the session it follows: that session's messages
 * cut short. A datagram of another session is foreign traffic (any UDP
 * datagram of 20 bytes or more is read as a header, so most foreign ones
 * fail this check), and one that came before the session was known counts
 * if it names the session found later. */
struct cut_mold {
	uint64_t n, first_rec;       /* of the followed session */
	uint64_t early_n, early_rec; /* before latching, naming early_session */
	char early_session[NX_MOLD_SESSION_LEN];
};

static void note_cut_mold(struct cut_mold *c, const struct nx_mold_rx *rx, const uint8_t *pl,
			  uint64_t rec_no)
{
	if (rx->latched) {
		if (!memcmp(rx->session, pl, NX_MOLD_SESSION_LEN) && !c->n++)
			c->first_rec = rec_no;
	} else if (!c->early_n) {
		memcpy(c->early_session, pl, NX_MOLD_SESSION_LEN);
		c->early_n = 1;
		c->early_rec = rec_no;
	} else if (!memcmp(c->early_session, pl, NX_MOLD_SESSION_LEN)) {
		c->early_n++;
	}
}

int nxitch_pcap(const struct nxitch_opts *o, struct nx_mdbook *b, const uint8_t *data,
		size_t len, char *why, size_t cap)
{
	struct frame_stats fs = { 0 };
	struct walk w = { .o = o, .b = b, .window_ns = (uint64_t)o->window_ms * 1000000u };
	struct nx_mold_rx_config rc = { .hold_on_gap = o->window_ms > 0 };
	struct cut_mold cm = { 0 };
	size_t off = PCAP_GLOBAL_LEN, at;
	uint32_t magic, link, incl = 0;
	int swap, ns, err = 0, n;

	why[0] = '\0';
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
	nx_mold_rx_init(&w.rx, &rc);
	while (off < len) {
		const uint8_t *rec = data + off, *pl;
		uint32_t orig;
		uint64_t ts;
		size_t plen;

		if (len - off < PCAP_RECORD_LEN)
			break; /* the file ends inside this record's header */
		incl = ld32(rec + 8, swap);
		orig = ld32(rec + 12, swap);
		ts = (uint64_t)ld32(rec, swap) * 1000000000u +
		     (uint64_t)ld32(rec + 4, swap) * (ns ? 1u : 1000u);
		if (incl > len - off - PCAP_RECORD_LEN)
			break; /* the file ends inside this record's bytes */
		off += PCAP_RECORD_LEN + incl;
		fs.records++;
		/* A gap held longer than the window (capture time) is given up. */
		while (w.head < w.n && (w.n - w.head >= MAX_HELD ||
					(ts > w.h[w.head].ts && ts - w.h[w.head].ts > w.window_ns)))
			give_up(&w);
		if (incl < orig)
			fs.truncated++;
		pl = udp_payload(rec + PCAP_RECORD_LEN, incl, incl < orig, o->port, &plen, &fs,
				 fs.records);
		if (!pl)
			continue;
		switch (feed(&w, pl, plen)) {
		case NX_MOLD_AHEAD:
			if (hold(&w, pl, plen, ts)) {
				err = -ENOMEM;
				goto out;
			}
			break;
		case NX_MOLD_DATA:
			drain(&w);
			break;
		case NX_MOLD_DROP_TRUNCATED:
			note_cut_mold(&cm, &w.rx, pl, fs.records);
			break;
		default:
			break;
		}
	}
	while (w.head < w.n) /* the end of the capture: nothing more will come */
		give_up(&w);
	if (rc.hold_on_gap)
		nx_mold_rx_skip(&w.rx); /* a tail loss found by a heartbeat or the end */
	if (cm.early_n && w.rx.latched &&
	    !memcmp(cm.early_session, w.rx.session, NX_MOLD_SESSION_LEN)) {
		cm.n += cm.early_n;
		cm.first_rec = cm.early_rec; /* it came first */
	}
	printf("nxitch: %s: pcap (%s timestamps), %llu records, %llu UDP datagrams%s\n", o->path,
	       ns ? "ns" : "us", (unsigned long long)fs.records, (unsigned long long)fs.datagrams,
	       off != len ? ", file ends inside a record" : "");
	if (fs.truncated || fs.cut || fs.not_ip4 || fs.fragments || fs.not_udp || fs.bad_udp ||
	    fs.other_port)
		printf("  skipped frames: truncated %llu (datagrams cut %llu), not IPv4 %llu, "
		       "fragments %llu, not UDP %llu, bad UDP %llu, other port %llu\n",
		       (unsigned long long)fs.truncated, (unsigned long long)fs.cut,
		       (unsigned long long)fs.not_ip4, (unsigned long long)fs.fragments,
		       (unsigned long long)fs.not_udp, (unsigned long long)fs.bad_udp,
		       (unsigned long long)fs.other_port);
	if (w.gap_lines > MAX_GAP_LINES)
		printf("  (%llu more gaps not printed)\n",
		       (unsigned long long)(w.gap_lines - MAX_GAP_LINES));
	print_mold(&w.rx, w.kinds);

	/* What made the capture truncated, the first cause found in the file
	 * named with where it is; the others follow as counts. */
	n = 0;
	if (off != len) {
		at = fs.records + 1;
		if (len - off < PCAP_RECORD_LEN)
			n = snprintf(why, cap, "the file ends inside the header of record %zu at "
				     "byte %zu (%zu of its %u bytes); the %zu records before it "
				     "were read", at, off, len - off, PCAP_RECORD_LEN, at - 1);
		else
			n = snprintf(why, cap, "the file ends inside record %zu at byte %zu (its "
				     "header says %u bytes captured, the file holds %zu); the %zu "
				     "records before it were read", at, off, incl,
				     len - off - PCAP_RECORD_LEN, at - 1);
	}
	if (fs.cut && n >= 0 && (size_t)n < cap)
		n += snprintf(why + n, cap - (size_t)n, "%s%llu datagram%s captured short, "
			      "the first in record %llu", n ? "; " : "",
			      (unsigned long long)fs.cut, fs.cut == 1 ? "" : "s",
			      (unsigned long long)fs.first_cut);
	if (cm.n && n >= 0 && (size_t)n < cap)
		n += snprintf(why + n, cap - (size_t)n, "%s%llu MoldUDP64 packet%s of the session "
			      "ending inside a message block, the first in record %llu",
			      n ? "; " : "", (unsigned long long)cm.n, cm.n == 1 ? "" : "s",
			      (unsigned long long)cm.first_rec);
out:
	free(w.h);
	if (err)
		fprintf(stderr, "nxitch: %s: %s\n", o->path, strerror(-err));
	return err ? err : why[0] ? 1 : 0;
}
