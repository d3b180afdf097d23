/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of src/instrument.c: what nx_instrument_defaults fills in, and
 * that nx_instrument_check refuses each invalid field with a reason. No
 * book is involved; adding instruments to a book is test_book_config.c's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "nx/instrument.h"

static void test_instrument_defaults(void **state)
{
	struct nx_instrument in = { .id = 1, .symbol = "X" };
	const char *why = NULL;

	(void)state;
	nx_instrument_defaults(&in);
	assert_int_equal(in.kind, NX_KIND_SPOT);
	assert_int_equal(in.status, NX_STATUS_OPEN);
	assert_int_equal(in.tick, 1);
	assert_int_equal(in.lot, 1);
	assert_int_equal(in.min_qty, 1);
	assert_int_equal(in.max_qty, 1000000000000);
	assert_int_equal(in.band_ticks, 0);
	assert_int_equal(nx_instrument_check(&in, &why), 0);
	/* fields already set are kept; min follows the lot, max is 1e12 units rounded to it */
	in = (struct nx_instrument){ .id = 2, .symbol = "Y", .lot = 5, .tick = 10,
				     .kind = NX_KIND_FUTURE, .band_ticks = 7, .expiry_ns = 1 };
	nx_instrument_defaults(&in);
	assert_int_equal(in.kind, NX_KIND_FUTURE);
	assert_int_equal(in.tick, 10);
	assert_int_equal(in.lot, 5);
	assert_int_equal(in.min_qty, 5);
	assert_int_equal(in.max_qty, 1000000000000);
	assert_int_equal(in.band_ticks, 7);
	assert_int_equal(nx_instrument_check(&in, &why), 0);
}

/* Whatever the lot, the defaults make a valid definition. */
static void test_instrument_defaults_any_lot(void **state)
{
	struct nx_instrument in = { .id = 3, .symbol = "Z", .lot = 7 };
	const char *why;

	(void)state;
	nx_instrument_defaults(&in);
	why = NULL;
	if (nx_instrument_check(&in, &why) != 0)
		print_error("lot 7 defaults rejected: %s (max_qty %lld)\n", why ? why : "?",
			    (long long)in.max_qty);
	assert_int_equal(nx_instrument_check(&in, &why), 0);
}

static void test_instrument_check_failures(void **state)
{
	struct nx_instrument base = { .id = 1, .symbol = "OPT", .kind = NX_KIND_OPTION,
				      .put_call = NX_CALL, .tick = 5, .lot = 10,
				      .underlying = 2, .strike = 100, .expiry_ns = 1 };
	struct nx_instrument in;
	const char *why;
	int i = 0, accepted = 0;

	(void)state;
	nx_instrument_defaults(&base);
	why = NULL;
	assert_int_equal(nx_instrument_check(&base, &why), 0);
	for (;; i++) {
		in = base;
		switch (i) {
		case 0: in.id = 0; break;
		case 1: in.symbol[0] = 0; break;
		case 2: memset(in.symbol, 'X', sizeof(in.symbol)); break;
		case 3: in.kind = 0; break;
		case 4: in.kind = 5; break;
		case 5: in.status = 0; break;
		case 6: in.status = 4; break;
		case 7: in.tick = 0; break;
		case 8: in.tick = -5; break;
		case 9: in.lot = 0; break;
		case 10: in.lot = -10; break;
		case 11: in.min_qty = 5; break;  /* below the lot */
		case 12: in.min_qty = 15; break; /* not a multiple of the lot */
		case 13: in.max_qty = 0; break;
		case 14: in.max_qty = 25; in.min_qty = 30; break; /* max < min */
		case 15: in.max_qty = 1005; break;                /* not a lot multiple */
		case 16: in.band_ticks = -1; break;
		case 17: in.put_call = 0; break;
		case 18: in.put_call = 3; break;
		case 19: in.strike = 102; break;                  /* not on the tick */
		/* docs/replay-format.md: options need underlying, strike, pc, expiry */
		case 20: in.underlying = 0; break;
		case 21: in.strike = 0; break;
		case 22: in.expiry_ns = 0; break;
		case 23: in.kind = NX_KIND_FUTURE; in.expiry_ns = 0; break;
		default: goto done;
		}
		why = NULL;
		if (nx_instrument_check(&in, &why) != -EINVAL) {
			print_error("case %d: accepted\n", i);
			accepted++;
			continue;
		}
		assert_non_null(why);
		assert_true(strlen(why) > 0);
	}
done:
	assert_int_equal(i, 24);
	assert_int_equal(accepted, 0);
}

/* Regression: an option whose strike is off the tick passed nx_instrument_check. */
static void test_regress_option_strike_off_tick(void **state)
{
	struct nx_instrument in = { .id = 9, .symbol = "OPT", .kind = NX_KIND_OPTION, .tick = 5,
				    .underlying = 1, .strike = 102, .put_call = NX_CALL,
				    .expiry_ns = 1 };
	const char *why = NULL;

	(void)state;
	nx_instrument_defaults(&in);
	assert_int_equal(nx_instrument_check(&in, &why), -EINVAL);
	assert_string_equal(why, "strike must be a multiple of tick");
	in.strike = 100;
	assert_int_equal(nx_instrument_check(&in, &why), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instrument_defaults),
		cmocka_unit_test(test_instrument_defaults_any_lot),
		cmocka_unit_test(test_instrument_check_failures),
		cmocka_unit_test(test_regress_option_strike_off_tick),
	};
	return cmocka_run_group_tests_name("instrument", tests, NULL, NULL);
}
