/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * ITCH 5.0 messages built byte by byte for tests (big-endian fields, the
 * 11-byte common header with timestamp 09:30:00). Each returns the message
 * by value; ap() applies one to a book.
 */
#ifndef NX_TESTS_ITCH_BUILD_H
#define NX_TESTS_ITCH_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "nx/mdbook.h"

struct msg {
	uint8_t b[64];
	size_t n;
};

void itch_put(struct msg *m, uint64_t v, unsigned bytes);
void itch_put_sym(struct msg *m, const char *s);
struct msg itch_hdr(char t, uint16_t loc);
struct msg mA(uint16_t loc, uint64_t ref, char side, uint32_t sh, const char *sym, uint32_t px);
struct msg mF(uint16_t loc, uint64_t ref, char side, uint32_t sh, const char *sym, uint32_t px);
struct msg mE(uint64_t ref, uint32_t sh);
struct msg mC(uint16_t loc, uint64_t ref, uint32_t sh, char printable, uint32_t px);
struct msg mX(uint64_t ref, uint32_t sh);
struct msg mD(uint64_t ref);
struct msg mU(uint64_t old, uint64_t nref, uint32_t sh, uint32_t px);
int ap(struct nx_mdbook *b, struct msg m);

#endif
