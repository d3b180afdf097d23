/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * libFuzzer harness for the whole pipeline: a fresh engine with two
 * logged-in sessions, then the input read as datagrams
 *   [u8 source: 0 = session A, 1 = session B, 2 = a stranger, 3 = admin]
 *   [u8 advance time, ms] [u16 length, little-endian] [payload]
 * each given to every stage of nx_engine_prefetch and then fed through
 * nx_engine_rx, with nx_engine_poll between them. A's execution
 * reports are drop-copied to the admin account, and the output spills
 * (discarded) when full, so both paths are explored too. Any crash,
 * sanitizer report or broken book invariant is a finding. The seed corpus
 * (tests/fuzz/corpus/engine) holds valid sequenced traffic to start from.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/book.h"
#include "nx/client.h"
#include "nx/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nx_out_dgram dgrams[32];

static struct nx_engine *make(void)
{
	static struct nx_instrument inst = { .id = 1, .symbol = "F", .band_ticks = 50, .ref_px = 100 };
	static struct nx_account_config acc[3];
	nx_instrument_defaults(&inst);
	struct nx_limits lim = { 1000000, 1000, 100000000, 40, 100000, 1000 };
	for (int i = 0; i < 3; i++) {
		acc[i] = (struct nx_account_config){ .id = (nx_acct_t)(i + 1), .limits = lim,
			.cancel_on_disconnect = (uint8_t)(i & 1), .admin = i == 2 };
		acc[i].key[0] = (uint8_t)(i + 1);
	}
	acc[0].drop_copy = 3;
	struct nx_venue_config c = { .path = "fuzz", .max_orders = 64, .ladder_ticks = 64,
				     .max_sessions = 6, .keepalive_ms = 100, .history = 16,
				     /* a budget the inputs can both spend and wait out:
				      * a message a millisecond, two histories deep */
				     .retransmit_rate = 1000, .retransmit_burst = 32,
				     .ninstruments = 1, .naccounts = 3, .instruments = &inst,
				     .accounts = acc, .prefetch_min_orders = 1 };
	char err[128];
	return nx_engine_create(&c, NULL, NULL, err, sizeof(err));
}

/* A full output is "sent": the engine goes on in an empty one. */
static void discard(struct nx_out *out, void *arg)
{
	(void)arg;
	out->n = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nx_engine *e = make();
	if (!e)
		abort();
	struct nx_out out = { .d = dgrams, .cap = 32, .spill = discard };
	struct nx_addr addr[4] = { { 0x0a000001, 1 }, { 0x0a000002, 2 }, { 0x0a000099, 3 },
				   { 0x0a000003, 4 } };
	uint64_t now = 1000000000ull;
	uint8_t buf[256];
	for (int i = 0; i < 3; i++) { /* log in A, B and the admin */
		struct nx_client c;
		uint8_t key[32] = { (uint8_t)(i + 1) };
		nx_client_init(&c, 100 + (uint64_t)i, (nx_acct_t)(i + 1), key);
		size_t n = nx_client_negotiate(&c, buf, sizeof(buf), 1);
		out.n = 0;
		nx_engine_rx(e, buf, n, addr[i == 2 ? 3 : i], now, &out);
		n = nx_client_establish(&c, buf, sizeof(buf), 2, 1000);
		out.n = 0;
		nx_engine_rx(e, buf, n, addr[i == 2 ? 3 : i], now, &out);
	}
	while (size >= 4) {
		unsigned who = data[0] & 3, ms = data[1];
		size_t len = (size_t)(data[2] | data[3] << 8);
		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		now += (uint64_t)ms * 1000000u;
		for (unsigned s = 0; s < NX_BOOK_PF_STAGES; s++) /* prefetch_min_orders 1: they run */
			nx_engine_prefetch(e, data, len, s);
		out.n = 0;
		nx_engine_rx(e, data, len, addr[who], now, &out);
		out.n = 0;
		nx_engine_poll(e, now, &out);
		data += len;
		size -= len;
		const char *why;
		if (nx_book_check(nx_engine_book(e), &why)) {
			fprintf(stderr, "invariant broken: %s\n", why);
			abort();
		}
	}
	nx_engine_destroy(e);
	return 0;
}
