/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of src/event.c: nx_event_format gives one canonical line per
 * event kind (docs/replay-format.md) and truncates like snprintf, and the
 * enum name functions map every value, and out-of-range ones, as documented
 * (the instrument kind/status names of src/instrument.c are checked here
 * with the others). No book is involved.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "nx/book.h"
#include "nx/cc.h"
#include "nx/event.h"
#include "nx/instrument.h"

/* One canonical line per event kind, fields in the order of docs/replay-format.md. */
static void test_event_format(void **state)
{
	static const struct {
		struct nx_event ev;
		const char *line;
	} cases[] = {
		{ { .type = NX_EV_ACCEPTED, .u.order = { .acct = 1001, .inst = 77, .cl = 5550001,
			.oid = 4440001, .px = 123456, .qty = 3333, .display = 222, .side = 2,
			.type = 1, .tif = 3, .post_only = 1, .stp = 4 } },
		  "ack acct=1001 cl=5550001 oid=4440001 inst=77 side=S type=LIMIT tif=FOK "
		  "px=123456 qty=3333 display=222 post=1 stp=CB" },
		{ { .type = NX_EV_ACCEPTED, .u.order = { .acct = 1, .inst = 2, .cl = 3, .oid = 4,
			.qty = 5, .side = 1, .type = 2, .tif = 2, .stp = 5 } },
		  "ack acct=1 cl=3 oid=4 inst=2 side=B type=MARKET tif=IOC px=0 qty=5 display=0 "
		  "post=0 stp=DC" },
		{ { .type = NX_EV_REJECTED, .u.reject = { .acct = 1002, .inst = 78, .cl = 5550002,
			.orig_cl = 6660002, .oid = 4440002, .req = 3, .reason = 15 } },
		  "reject acct=1002 cl=5550002 req=REPLACE inst=78 orig=6660002 oid=4440002 "
		  "reason=POST_ONLY_WOULD_TAKE" },
		{ { .type = NX_EV_REJECTED, .u.reject = { .acct = 9, .cl = 1, .req = 4,
			.reason = 4 } },
		  "reject acct=9 cl=1 req=MASSCANCEL inst=0 orig=0 oid=0 reason=UNKNOWN_ACCOUNT" },
		{ { .type = NX_EV_REJECTED, .u.reject = { .acct = 9, .cl = 1, .inst = 3, .req = 1,
			.reason = 21 } },
		  "reject acct=9 cl=1 req=NEW inst=3 orig=0 oid=0 reason=BAD_STP" },
		{ { .type = NX_EV_REJECTED, .u.reject = { .acct = 9, .cl = 1, .oid = 5, .req = 2,
			.reason = 18 } },
		  "reject acct=9 cl=1 req=CANCEL inst=0 orig=0 oid=5 reason=UNKNOWN_ORDER" },
		{ { .type = NX_EV_TRADE, .u.trade = { .tid = 8880005, .inst = 79, .px = 123458,
			.qty = 3335, .aggressor = 1,
			.maker = { .tid = 8880005, .acct = 1005, .inst = 79, .cl = 5550005,
				   .oid = 4440005, .px = 123458, .qty = 3335, .leaves = 2225,
				   .cum = 7775, .side = 2, .liq = 1 },
			.taker = { .tid = 8880005, .acct = 1004, .inst = 79, .cl = 5550004,
				   .oid = 4440004, .px = 123458, .qty = 3335, .cum = 3335,
				   .side = 1, .liq = 2 } } },
		  "trade tid=8880005 inst=79 px=123458 qty=3335 maker_oid=4440005 "
		  "taker_oid=4440004 maker_acct=1005 taker_acct=1004 aggressor=B\n"
		  "fill acct=1005 cl=5550005 oid=4440005 inst=79 side=S px=123458 qty=3335 "
		  "leaves=2225 cum=7775 tid=8880005 liq=MAKER\n"
		  "fill acct=1004 cl=5550004 oid=4440004 inst=79 side=B px=123458 qty=3335 "
		  "leaves=0 cum=3335 tid=8880005 liq=TAKER" },
		{ { .type = NX_EV_CANCELED, .u.cancel = { .acct = 1006, .inst = 80, .cl = 5550006,
			.req_cl = 6660006, .oid = 4440006, .qty = 3336, .side = 1, .reason = 4 } },
		  "cancel acct=1006 cl=5550006 oid=4440006 inst=80 side=B qty=3336 leaves=0 "
		  "reason=MARKET_PROTECTION" },
		{ { .type = NX_EV_REDUCED, .u.cancel = { .acct = 1007, .inst = 81, .cl = 5550007,
			.oid = 4440007, .qty = 3337, .leaves = 2227, .side = 2, .reason = 6 } },
		  "reduced acct=1007 cl=5550007 oid=4440007 inst=81 side=S qty=3337 leaves=2227 "
		  "reason=SELF_TRADE" },
		{ { .type = NX_EV_REPLACED, .u.replace = { .acct = 1008, .inst = 82, .cl = 5550008,
			.orig_cl = 6660008, .oid = 4440008, .px = 123459, .qty = 3338, .side = 1,
			.kept_priority = 1 } },
		  "replaced acct=1008 cl=5550008 orig=6660008 oid=4440008 inst=82 side=B "
		  "qty=3338 px=123459 kept=1" },
		{ { .type = NX_EV_MASS_CANCELED, .u.mass = { .acct = 1009, .inst = 83,
			.cl = 5550009, .count = 3339, .side = 2 } },
		  "masscanceled acct=1009 cl=5550009 inst=83 side=S count=3339" },
		{ { .type = NX_EV_MASS_CANCELED, .u.mass = { .acct = 1, .cl = 2 } },
		  "masscanceled acct=1 cl=2 inst=0 side=ALL count=0" },
		{ { .type = NX_EV_LEVEL, .u.level = { .inst = 84, .px = 123460, .qty = 3340,
			.count = 2230, .side = 1 } },
		  "level inst=84 side=B px=123460 qty=3340 count=2230" },
		{ { .type = NX_EV_LEVEL, .u.level = { .inst = 1, .px = -5, .side = 2 } },
		  "level inst=1 side=S px=-5 qty=0 count=0" },
		{ { .type = NX_EV_STATUS, .u.status = { .inst = 85, .status = NX_STATUS_HALTED } },
		  "status inst=85 state=HALTED" },
		{ { .type = NX_EV_STATUS, .u.status = { .inst = 3, .status = 9 } },
		  "status inst=3 state=?" },
	};
	const struct nx_event bogus = { .type = 99 };
	char buf[NX_EVENT_TEXT_MAX], small[12], cut[NX_EVENT_TEXT_MAX];

	(void)state;
	for (size_t i = 0; i < NX_ARRAY_SIZE(cases); i++) {
		int n = nx_event_format(&cases[i].ev, buf, sizeof(buf));

		assert_string_equal(buf, cases[i].line);
		assert_int_equal(n, (int)strlen(cases[i].line));
		/* truncation like snprintf: the length needed, a NUL inside len */
		memset(small, 'x', sizeof(small));
		assert_int_equal(nx_event_format(&cases[i].ev, small, 8), n);
		assert_int_equal(strlen(small), 7);
		assert_memory_equal(small, buf, 7);
		assert_int_equal(small[8], 'x');
		memset(small, 'x', sizeof(small));
		assert_int_equal(nx_event_format(&cases[i].ev, small, 0), n);
		assert_int_equal(small[0], 'x');
		/* cut anywhere, a trade's later lines too: the same prefix */
		for (int k = 1; k <= n + 1; k++) {
			memset(cut, 'x', sizeof(cut));
			assert_int_equal(nx_event_format(&cases[i].ev, cut, (size_t)k), n);
			assert_int_equal(strlen(cut), (size_t)k - 1);
			assert_memory_equal(cut, buf, (size_t)k - 1);
			assert_int_equal(cut[k], 'x');
		}
	}
	/* an unknown kind still makes a terminated line */
	memset(buf, 'x', sizeof(buf));
	assert_true(nx_event_format(&bogus, buf, sizeof(buf)) >= 0);
	assert_non_null(memchr(buf, 0, sizeof(buf)));
}

static void test_enum_names(void **state)
{
	(void)state;
	assert_string_equal(nx_side_name(NX_SIDE_BUY), "B");
	assert_string_equal(nx_side_name(NX_SIDE_SELL), "S");
	assert_string_equal(nx_side_name(0), "?");
	assert_string_equal(nx_side_name(3), "?");
	assert_string_equal(nx_ord_type_name(NX_ORD_LIMIT), "LIMIT");
	assert_string_equal(nx_ord_type_name(NX_ORD_MARKET), "MARKET");
	assert_string_equal(nx_ord_type_name(3), "?");
	assert_string_equal(nx_tif_name(NX_TIF_GTC), "GTC");
	assert_string_equal(nx_tif_name(NX_TIF_IOC), "IOC");
	assert_string_equal(nx_tif_name(NX_TIF_FOK), "FOK");
	assert_string_equal(nx_tif_name(0), "?");
	assert_string_equal(nx_stp_name(NX_STP_NONE), "NONE");
	assert_string_equal(nx_stp_name(NX_STP_CN), "CN");
	assert_string_equal(nx_stp_name(NX_STP_CO), "CO");
	assert_string_equal(nx_stp_name(NX_STP_CB), "CB");
	assert_string_equal(nx_stp_name(NX_STP_DC), "DC");
	assert_string_equal(nx_stp_name(6), "?");
	for (unsigned r = NX_REQ_NEW; r <= NX_REQ_MASS_CANCEL; r++)
		assert_string_not_equal(nx_request_name(r), "?");
	assert_string_equal(nx_request_name(0), "?");
	assert_string_equal(nx_request_name(5), "?");
	for (unsigned k = NX_KIND_SPOT; k <= NX_KIND_OPTION; k++)
		assert_int_equal(nx_inst_kind_parse(nx_inst_kind_name(k)), k);
	for (unsigned s = NX_STATUS_OPEN; s <= NX_STATUS_CLOSED; s++)
		assert_int_equal(nx_inst_status_parse(nx_inst_status_name(s)), s);
	assert_null(nx_inst_kind_name(0));
	assert_null(nx_inst_kind_name(5));
	assert_null(nx_inst_status_name(4));
	assert_int_equal(nx_inst_kind_parse("NOPE"), 0);
	assert_int_equal(nx_inst_status_parse("NOPE"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_format),
		cmocka_unit_test(test_enum_names),
	};
	return cmocka_run_group_tests_name("event", tests, NULL, NULL);
}
