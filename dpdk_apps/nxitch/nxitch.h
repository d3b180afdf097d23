/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxitch's options and its pcap reader (pcap.c), shared with main.c.
 */
#ifndef NXITCH_H
#define NXITCH_H

#include <stddef.h>
#include <stdint.h>

#include "nx/mdbook.h"

struct nxitch_opts {
	const char *path;
	const char *book;
	size_t depth;
	uint32_t max_orders, max_levels;
	int port;           /* 0: any */
	uint32_t window_ms; /* pcap: how long a gap may wait for its messages; 0: skip */
	int pcap, check;
};

/* Exit status of a report over a truncated input (main.c's comment). */
#define NXITCH_EXIT_TRUNCATED 3

/*
 * Walk a pcap file in data[0, len): every Ethernet/IPv4/UDP frame (one
 * 802.1Q tag allowed) to o->port (any if 0) is a MoldUDP64 packet for one
 * receiver; packets past a gap wait up to o->window_ms of capture time for
 * the missing messages (a retransmission, the other line of an A/B feed)
 * before the gap is given up (skip mode if 0); the blocks it delivers go
 * to b. Prints the pcap and MoldUDP64 summary. Returns 0; 1 when the
 * capture is truncated (the file ends inside a record, a datagram that is
 * or may be MoldUDP64 was captured short, or a packet of the followed
 * session ends inside a message block): the summary printed covers what
 * was read, and why[0, cap) says where it stopped and why; -EINVAL for a
 * file that is not a pcap of Ethernet frames, or -ENOMEM (with a message
 * on stderr).
 */
int nxitch_pcap(const struct nxitch_opts *o, struct nx_mdbook *b, const uint8_t *data,
		size_t len, char *why, size_t cap);

#endif /* NXITCH_H */
