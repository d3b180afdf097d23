/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of src/reason.c: every reject and cancel reason of
 * include/nx/reason.h round-trips through its name, text and parse
 * functions, and unknown codes and names map to "?", "unknown reason" and 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nx/cc.h"
#include "nx/reason.h"

static void test_reason_names_round_trip(void **state)
{
	static const struct { unsigned code; const char *name, *text; } rej[] = {
#define X_(name, code, text) { code, #name, text },
		NX_REJECT_REASONS(X_)
#undef X_
	}, cxl[] = {
#define X_(name, code, text) { code, #name, text },
		NX_CANCEL_REASONS(X_)
#undef X_
	};

	(void)state;
	/* 21 book reasons (1-63), 10 pre-trade risk (64-127), 26 session (128-191), no duplicates */
	size_t book = 0, risk = 0, session = 0;
	for (size_t i = 0; i < NX_ARRAY_SIZE(rej); i++) {
		book += rej[i].code >= 1 && rej[i].code <= 63;
		risk += rej[i].code >= 64 && rej[i].code <= 127;
		session += rej[i].code >= 128 && rej[i].code <= 191;
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(rej[i].code, rej[j].code);
	}
	assert_int_equal(book, 21);
	assert_int_equal(risk, 10);
	assert_int_equal(session, 26);
	assert_int_equal(NX_ARRAY_SIZE(rej), book + risk + session);
	for (size_t i = 0; i < NX_ARRAY_SIZE(rej); i++) {
		assert_string_equal(nx_reject_name(rej[i].code), rej[i].name);
		assert_string_equal(nx_reject_text(rej[i].code), rej[i].text);
		assert_int_equal(nx_reject_parse(rej[i].name), rej[i].code);
	}
	for (size_t i = 0; i < NX_ARRAY_SIZE(cxl); i++) {
		assert_string_equal(nx_cancel_name(cxl[i].code), cxl[i].name);
		assert_string_equal(nx_cancel_text(cxl[i].code), cxl[i].text);
		assert_int_equal(nx_cancel_parse(cxl[i].name), cxl[i].code);
	}
	assert_string_equal(nx_reject_name(22), "?");
	assert_string_equal(nx_reject_name(255), "?");
	assert_string_equal(nx_reject_name(1000), "?");
	assert_string_equal(nx_reject_text(22), "unknown reason");
	assert_string_equal(nx_cancel_name(0), "?");
	assert_string_equal(nx_cancel_name(11), "?"); /* 1-10 are taken */
	assert_string_equal(nx_cancel_text(11), "unknown reason");
	assert_int_equal(nx_reject_parse("NO_SUCH_REASON"), 0);
	assert_int_equal(nx_reject_parse(""), 0);
	assert_int_equal(nx_reject_parse("USER"), 0); /* a cancel reason, not a reject */
	assert_int_equal(nx_reject_parse("BAD_QTYX"), 0);
	assert_int_equal(nx_cancel_parse("BAD_QTY"), 0);
	assert_int_equal(nx_cancel_parse(""), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_names_round_trip),
	};
	return cmocka_run_group_tests_name("reason", tests, NULL, NULL);
}
