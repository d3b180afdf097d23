/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * An independent reference for the frame tests (test_net.c,
 * test_net_edges.c): a naive RFC 1071 checksum and big-endian fields, so
 * frames built by hand never share code with src/net/net.c.
 */
#ifndef NX_TESTS_NET_HELPERS_H
#define NX_TESTS_NET_HELPERS_H

#include <stddef.h>
#include <stdint.h>

uint16_t ref_csum(const uint8_t *p, size_t n);
void put16(uint8_t *p, unsigned v);
unsigned get16(const uint8_t *p);
void put32(uint8_t *p, uint32_t v);
uint32_t get32(const uint8_t *p);
/* An ARP packet (op 1 request, 2 reply) in an Ethernet frame to dst, from
 * sha/spa asking for (or answering about) tpa; returns its 42 bytes. */
size_t mk_arp(uint8_t *f, const uint8_t *dst, unsigned op, const uint8_t *sha, uint32_t spa,
	      uint32_t tpa);

#endif /* NX_TESTS_NET_HELPERS_H */
