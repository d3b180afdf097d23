/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * libFuzzer harness for the NXP codec: the input is one datagram. The
 * reader walks it; every message it accepts is read through every accessor
 * of its template (touching each byte of array fields), decoded, re-encoded
 * and read again, and the two decodes must agree. Invariants checked on the
 * way: the reader always makes progress and never leaves the datagram, a
 * framing error ends the walk, an accepted view lies inside the datagram
 * with blockLength >= the template's v1 length. Any crash, sanitizer report
 * or broken invariant is a finding. Built by `make fuzz` with clang; seeds in
 * tests/fuzz/corpus/nxp/ are valid datagrams of every message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/nxp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
	fprintf(stderr, "invariant broken: %s\n", what);
	abort();
}

/* Fold every accessor's result into a sink, so none is optimised away. */
static volatile uint64_t sink;

#define TOUCH_u8(v)  (sink += (v))
#define TOUCH_u16(v) (sink += (v))
#define TOUCH_u32(v) (sink += (v))
#define TOUCH_u64(v) (sink += (v))
#define TOUCH_i64(v) (sink += (uint64_t)(v))
#define TOUCH_c16(v) touch_bytes((const uint8_t *)(v), 16)
#define TOUCH_b32(v) touch_bytes((v), 32)

static void touch_bytes(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sink += p[i];
}

/* Symbols are normalised by the encoder (zeros after the first NUL). */
#define NORM_u8(x)
#define NORM_u16(x)
#define NORM_u32(x)
#define NORM_u64(x)
#define NORM_i64(x)
#define NORM_b32(x)
#define NORM_c16(x)                                                             \
	do {                                                                    \
		size_t i_ = strnlen((x), 16);                                   \
		memset((x) + i_, 0, 16 - i_);                                   \
	} while (0)

#define SAME_u8(x, y)  ((x) == (y))
#define SAME_u16(x, y) ((x) == (y))
#define SAME_u32(x, y) ((x) == (y))
#define SAME_u64(x, y) ((x) == (y))
#define SAME_i64(x, y) ((x) == (y))
#define SAME_c16(x, y) (!memcmp((x), (y), 16))
#define SAME_b32(x, y) (!memcmp((x), (y), 32))

#define ACC_(m, f, t, off)  TOUCH_##t(nx_nxp_##m##_##f(msg));
#define SAME_(m, f, t, off) same &= SAME_##t(a.f, b.f);
#define NORM_(m, f, t, off) NORM_##t(a.f);

#define X_(N, n, S, ID, LEN, FL)                                                   \
	static void check_##n(const struct nx_nxp_msg *msg)                        \
	{                                                                          \
		struct nx_nxp_##n a, b;                                            \
		uint8_t buf[NX_NXP_OVERHEAD + (LEN)];                              \
		struct nx_nxp_writer w;                                            \
		struct nx_nxp_reader r;                                            \
		struct nx_nxp_msg m2;                                              \
		int same = 1;                                                      \
		NX_NXP_FIELDS_##n(ACC_, n)                                         \
		memset(&a, 0, sizeof(a));                                          \
		memset(&b, 0, sizeof(b));                                          \
		nx_nxp_decode_##n(msg, &a);                                        \
		nx_nxp_writer_init(&w, buf, sizeof(buf));                          \
		if (nx_nxp_encode_##n(&w, &a) != sizeof(buf))                      \
			die(#S ": re-encode size");                                \
		nx_nxp_reader_init(&r, buf, w.len);                                \
		if (nx_nxp_next(&r, &m2) != 1 || m2.template_id != (ID) ||         \
		    nx_nxp_next(&r, &m2) != 0)                                     \
			die(#S ": re-read");                                       \
		nx_nxp_reader_init(&r, buf, w.len);                                \
		nx_nxp_next(&r, &m2);                                              \
		nx_nxp_decode_##n(&m2, &b);                                        \
		NX_NXP_FIELDS_##n(NORM_, n)                                        \
		NX_NXP_FIELDS_##n(SAME_, n)                                        \
		if (!same)                                                         \
			die(#S ": round trip");                                    \
	}
NX_NXP_MESSAGES(X_)
#undef X_

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;
	size_t before;
	int rc;

	nx_nxp_reader_init(&r, data, size);
	for (;;) {
		before = nx_nxp_reader_offset(&r);
		rc = nx_nxp_next(&r, &m);
		if (rc == 0) {
			if (before != size)
				die("end before the end");
			break;
		}
		if (nx_nxp_reader_offset(&r) <= before || nx_nxp_reader_offset(&r) > size)
			die("no progress, or past the datagram");
		sink += (uintptr_t)nx_nxp_strerror(rc)[0];
		if (rc < 0) {
			if (nx_nxp_err_fatal(rc) && nx_nxp_reader_offset(&r) != size)
				die("framing error did not end the datagram");
			if (!nx_nxp_err_fatal(rc) &&
			    (m.frame != data + before || nx_nxp_reader_offset(&r) != before + m.frame_len))
				die("message error: frame");
			if (m.block)
				die("error with a block");
			continue;
		}
		if (rc != 1)
			die("rc");
		if (m.frame != data + before || m.block != m.frame + NX_NXP_OVERHEAD ||
		    m.frame_len != NX_NXP_OVERHEAD + m.block_len ||
		    m.block + m.block_len > data + size ||
		    m.block_len < nx_nxp_template_block_len(m.template_id) ||
		    m.flags != nx_nxp_template_flags(m.template_id) || m.version < NX_NXP_VERSION_MIN)
			die("view");
		sink += (uintptr_t)nx_nxp_template_name(m.template_id)[0];
		switch (m.template_id) {
#define X_(N, n, S, ID, LEN, FL) case ID: check_##n(&m); break;
		NX_NXP_MESSAGES(X_)
#undef X_
		default:
			die("accepted an unknown template");
		}
	}
	return 0;
}
