/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The frame tests' independent reference (net_helpers.h).
 */
#include <string.h>

#include "net_helpers.h"

uint16_t ref_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
unsigned get16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t mk_arp(uint8_t *f, const uint8_t *dst, unsigned op, const uint8_t *sha, uint32_t spa,
	      uint32_t tpa)
{
	enum { E = 14 }; /* the Ethernet header */
	memcpy(f, dst, 6);
	memcpy(f + 6, sha, 6);
	put16(f + 12, 0x0806);
	put16(f + E, 1);
	put16(f + E + 2, 0x0800);
	f[E + 4] = 6;
	f[E + 5] = 4;
	put16(f + E + 6, op);
	memcpy(f + E + 8, sha, 6);
	put32(f + E + 14, spa);
	memset(f + E + 18, 0, 6);
	put32(f + E + 24, tpa);
	return 42;
}
