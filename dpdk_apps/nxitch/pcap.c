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
#include <assert.h>
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

/* A pcap file: its bytes, its byte order and timestamp unit. */
struct pcap {
	const uint8_t *data;
	size_t len;
	int swap, ns;
};

struct rec {
	const uint8_t *frame;
	uint32_t incl, orig; /* bytes captured, bytes the frame had on the wire */
	uint64_t ts;         /* capture time, ns */
};

/* The record at *off, and *off moved past it. 0 when the file ends at *off
 * or inside the record: *off stays, and r->incl is set if the record's
 * header is whole. */
static int next_rec(const struct pcap *f, size_t *off, struct rec *r)
{
	const uint8_t *h = f->data + *off;

	if (f->len - *off < PCAP_RECORD_LEN)
		return 0;
	r->incl = ld32(h + 8, f->swap);
	if (r->incl > f->len - *off - PCAP_RECORD_LEN)
		return 0;
	r->orig = ld32(h + 12, f->swap);
	r->ts = (uint64_t)ld32(h, f->swap) * 1000000000u +
		(uint64_t)ld32(h + 4, f->swap) * (f->ns ? 1u : 1000u);
	r->frame = h + PCAP_RECORD_LEN;
	*off += PCAP_RECORD_LEN + r->incl;
	return 1;
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

static void print_mold(const struct nx_mold_rx *rx, const uint64_t *kinds, uint64_t superseded)
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
	if (superseded)
		printf("  superseded packets %10llu  (of the AHEAD: another of their number, with as "
		       "many messages or more, was held and fed instead)\n",
		       (unsigned long long)superseded);
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
 * packets past a gap are kept in an nx_mold_hold, put at their capture
 * time, and fed again once it is filled. Every message before a held
 * packet has been missing since that packet came, so once the oldest held
 * packet has waited more than window_ns of capture time, or at the end of
 * the file, the hole before the first held packet is given up
 * (nx_mold_hold_give_up: counted lost), until none has waited that long.
 * window_ns 0: plain skip mode, nothing held.
 *
 * The hold copies packets into slots as long as the longest datagram of
 * the capture (a first pass finds it), so none is too big; one slot per
 * datagram, as each is held at most once, up to MAX_HELD packets and
 * HOLD_BYTES of slots. A full hold gives its first hole up before the next
 * packet, as the window would have later.
 */
#define MAX_HELD   (1u << 22)   /* nxitch's cap when it kept its own hold */
#define HOLD_BYTES (1ull << 30)  /* copies beside the capture, itself in memory: ~730,000
				    datagrams of 1,472 bytes (a 1,500-byte MTU) */

struct walk {
	const struct nxitch_opts *o;
	struct nx_mdbook *b;
	struct nx_mold_rx rx;
	struct nx_mold_hold hold;
	uint64_t kinds[NX_MOLD_AHEAD + 1], gap_lines, window_ns;
	uint64_t superseded; /* AHEAD packets another of their number was held instead of */
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

static void feed_held(void *ctx, const uint8_t *pkt, size_t len)
{
	feed(ctx, pkt, len);
}

/* Keep an AHEAD packet arrived at ts. Of two starting at one number the
 * hold keeps the one with more messages: the other is never fed again. */
static void hold(struct walk *w, const uint8_t *pl, size_t len, uint64_t ts)
{
	uint32_t held = w->hold.n;
	int r = nx_mold_hold_put_at(&w->hold, pl, len, ts);

	/* Never full (give_up_old makes room) nor too big (sized by the capture). */
	assert(r == NX_MOLD_HOLD_KEPT || r == NX_MOLD_HOLD_DUP);
	(void)r; /* read by the assert only */
	if (w->hold.n == held)
		w->superseded++;
}

/* Before the record of capture time ts: give up gaps the oldest held
 * packet has waited for longer than the window (time running backwards in
 * the capture gives nothing up), and the first gap when the hold is full. */
static void give_up_old(struct walk *w, uint64_t ts)
{
	uint64_t put;

	while (nx_mold_hold_oldest(&w->hold, &put) &&
	       (w->hold.n == w->hold.slots || (ts > put && ts - put > w->window_ns)))
		nx_mold_hold_give_up(&w->hold, &w->rx, feed_held, w);
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

/* The hold's slots: one per datagram the walk will read, as long as the
 * longest, within MAX_HELD and HOLD_BYTES. */
static void size_hold(const struct nxitch_opts *o, const struct pcap *f, uint32_t *slots,
		      uint32_t *slot_len)
{
	struct frame_stats scratch = { 0 };
	size_t off = PCAP_GLOBAL_LEN, plen, longest = 0;
	uint64_t n = 0;
	struct rec r;

	while (next_rec(f, &off, &r))
		if (udp_payload(r.frame, r.incl, r.incl < r.orig, o->port, &plen, &scratch, 0)) {
			n++;
			longest = plen > longest ? plen : longest;
		}
	*slot_len = (uint32_t)longest; /* a UDP length is 16 bits */
	if (longest && n > HOLD_BYTES / longest)
		n = HOLD_BYTES / longest;
	*slots = n > MAX_HELD ? MAX_HELD : n ? (uint32_t)n : 1;
}

int nxitch_pcap(const struct nxitch_opts *o, struct nx_mdbook *b, const uint8_t *data,
		size_t len, char *why, size_t cap)
{
	struct frame_stats fs = { 0 };
	struct walk w = { .o = o, .b = b, .window_ns = (uint64_t)o->window_ms * 1000000u };
	struct nx_mold_rx_config rc = { .hold_on_gap = o->window_ms > 0 };
	struct cut_mold cm = { 0 };
	struct pcap f = { .data = data, .len = len };
	struct rec r = { 0 };
	size_t off = PCAP_GLOBAL_LEN, at;
	uint32_t magic, link, slots = 1, slot_len = 0;
	void *held;
	int n;

	why[0] = '\0';
	if (len < PCAP_GLOBAL_LEN) {
		fprintf(stderr, "nxitch: %s: too short for a pcap file\n", o->path);
		return -EINVAL;
	}
	magic = ld32(data, 0);
	f.swap = magic == __builtin_bswap32(PCAP_MAGIC_US) ||
		 magic == __builtin_bswap32(PCAP_MAGIC_NS);
	magic = ld32(data, f.swap);
	if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS) {
		fprintf(stderr, "nxitch: %s: not a pcap file (magic %08x)\n", o->path, magic);
		return -EINVAL;
	}
	f.ns = magic == PCAP_MAGIC_NS;
	link = ld32(data + 20, f.swap) & 0xffff; /* the top bits may carry FCS flags */
	if (link != LINKTYPE_ETHERNET) {
		fprintf(stderr, "nxitch: %s: link type %u, only Ethernet (1) is read\n", o->path,
			link);
		return -EINVAL;
	}
	if (rc.hold_on_gap) /* skip mode holds nothing: one empty slot */
		size_hold(o, &f, &slots, &slot_len);
	held = malloc(nx_mold_hold_memsize(slots, slot_len));
	if (!held) {
		fprintf(stderr, "nxitch: %s: %s\n", o->path, strerror(ENOMEM));
		return -ENOMEM;
	}
	nx_mold_hold_init(&w.hold, held, slots, slot_len);
	nx_mold_rx_init(&w.rx, &rc);
	while (next_rec(&f, &off, &r)) {
		const uint8_t *pl;
		size_t plen;

		fs.records++;
		give_up_old(&w, r.ts);
		if (r.incl < r.orig)
			fs.truncated++;
		pl = udp_payload(r.frame, r.incl, r.incl < r.orig, o->port, &plen, &fs, fs.records);
		if (!pl)
			continue;
		switch (feed(&w, pl, plen)) {
		case NX_MOLD_AHEAD:
			hold(&w, pl, plen, r.ts);
			break;
		case NX_MOLD_DATA:
		case NX_MOLD_END: /* lets go of what it left undeliverable */
			nx_mold_hold_drain(&w.hold, &w.rx, feed_held, &w);
			break;
		case NX_MOLD_DROP_TRUNCATED:
			note_cut_mold(&cm, &w.rx, pl, fs.records);
			break;
		default:
			break;
		}
	}
	while (w.hold.n) /* the end of the capture: nothing more will come */
		nx_mold_hold_give_up(&w.hold, &w.rx, feed_held, &w);
	free(held);
	if (rc.hold_on_gap)
		nx_mold_rx_skip(&w.rx); /* a tail loss found by a heartbeat or the end */
	if (cm.early_n && w.rx.latched &&
	    !memcmp(cm.early_session, w.rx.session, NX_MOLD_SESSION_LEN)) {
		cm.n += cm.early_n;
		cm.first_rec = cm.early_rec; /* it came first */
	}
	printf("nxitch: %s: pcap (%s timestamps), %llu records, %llu UDP datagrams%s\n", o->path,
	       f.ns ? "ns" : "us", (unsigned long long)fs.records, (unsigned long long)fs.datagrams,
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
	print_mold(&w.rx, w.kinds, w.superseded);

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
				     "records before it were read", at, off, r.incl,
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
	return why[0] ? 1 : 0;
}
