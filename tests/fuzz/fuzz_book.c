/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * libFuzzer harness for the book: the input is read as a stream of
 * commands with arbitrary field values (any side, type, tif, stp, price,
 * quantity, display, ids), applied to a small book whose price window and
 * order pool are easy to exhaust. Every new order, cancel and replace gets
 * every stage of its prefetch hint first. After every command nx_book_check()
 * must hold; any crash, sanitizer report or broken invariant is a finding.
 * Built by `make fuzz` with clang; not part of libnx.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "nx/book.h"

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct in *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		v = v << 8 | (in->n ? *in->p : 0);
		if (in->n) {
			in->p++;
			in->n--;
		}
	}
	return v;
}

/* Small signed values most of the time, extreme ones sometimes. */
static int64_t value(struct in *in)
{
	uint8_t sel = (uint8_t)take(in, 1);
	switch (sel >> 6) {
	case 0: return (int64_t)(sel & 63) - 4;
	case 1: return 90 + (sel & 31);
	case 2: return (int64_t)take(in, 2) - 100;
	default: return (int64_t)take(in, 8);
	}
}

static void sink(void *ctx, const struct nx_event *ev)
{
	char buf[NX_EVENT_TEXT_MAX];
	(void)ctx;
	nx_event_format(ev, buf, sizeof(buf)); /* exercise the formatter on every event */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nx_book *b;
	/* A fresh book per input: re-init in place keeps the harness allocation-free. */
	{
		struct nx_book_config cfg = { .max_instruments = 3, .max_accounts = 4,
					      .max_orders = 64, .ladder_ticks = 64 };
		static _Alignas(64) unsigned char mem[1 << 20];
		if (nx_book_memsize(&cfg) > sizeof(mem))
			abort();
		b = nx_book_init(mem, sizeof(mem), &cfg, sink, NULL);
		for (nx_acct_t a = 1; a <= 3; a++) {
			struct nx_account ac = { .id = a, .stp = (uint8_t)(a % 6), .stp_group = a == 3 ? 2 : 0 };
			nx_book_add_account(b, &ac);
		}
		struct nx_instrument in = { .id = 1, .symbol = "A" };
		nx_instrument_defaults(&in);
		in.band_ticks = 3;
		nx_book_add_instrument(b, &in);
		struct nx_instrument in2 = { .id = 2, .symbol = "B", .tick = 5, .lot = 2, .max_qty = 400 };
		nx_instrument_defaults(&in2);
		nx_book_add_instrument(b, &in2);
	}
	struct in in = { data, size };
	while (in.n) {
		uint8_t op = (uint8_t)take(&in, 1);
		switch (op % 8) {
		case 0: case 1: case 2: {
			struct nx_new_order o = {
				.acct = (nx_acct_t)take(&in, 1) % 5, .inst = (nx_inst_t)take(&in, 1) % 4,
				.cl = take(&in, 1), .side = (uint8_t)(take(&in, 1) % 4),
				.type = (uint8_t)(take(&in, 1) % 4), .tif = (uint8_t)(take(&in, 1) % 5),
				.stp = (uint8_t)(take(&in, 1) % 7), .post_only = (uint8_t)(take(&in, 1) % 3),
			};
			o.px = value(&in);
			o.qty = value(&in);
			o.display = op & 0x80 ? value(&in) : 0;
			for (unsigned st = 0; st < NX_BOOK_PF_STAGES; st++)
				nx_book_prefetch_new(b, &o, st);
			nx_book_new_order(b, &o);
			break;
		}
		case 3: {
			struct nx_cancel c = { .acct = (nx_acct_t)take(&in, 1) % 5, .cl = take(&in, 1),
				.orig_cl = take(&in, 1), .oid = op & 0x80 ? take(&in, 1) : 0 };
			for (unsigned st = 0; st < NX_BOOK_PF_STAGES; st++)
				nx_book_prefetch_cancel(b, &c, st);
			nx_book_cancel(b, &c);
			break;
		}
		case 4: case 5: {
			struct nx_replace r = { .acct = (nx_acct_t)take(&in, 1) % 5, .cl = take(&in, 1),
				.orig_cl = take(&in, 1), .oid = op & 0x80 ? take(&in, 1) : 0 };
			r.px = value(&in);
			r.qty = value(&in);
			for (unsigned st = 0; st < NX_BOOK_PF_STAGES; st++)
				nx_book_prefetch_replace(b, &r, st);
			nx_book_replace(b, &r);
			break;
		}
		case 6: {
			struct nx_mass_cancel m = { .acct = (nx_acct_t)take(&in, 1) % 5,
				.inst = (nx_inst_t)take(&in, 1) % 4, .side = (uint8_t)(take(&in, 1) % 4) };
			nx_book_mass_cancel(b, &m);
			break;
		}
		default:
			nx_book_set_status(b, (nx_inst_t)take(&in, 1) % 4, (unsigned)take(&in, 1) % 5,
					   (int)(op & 0x80));
			break;
		}
		const char *why;
		if (nx_book_check(b, &why)) {
			fprintf(stderr, "invariant broken: %s\n", why);
			abort();
		}
	}
	return 0;
}
