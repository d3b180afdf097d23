/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The configuration loader: the shipped example loads with the values it
 * states, and every class of bad file fails with file, line and field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nx/book.h"
#include "nx/config.h"
#include "nx/risk.h"
#include "config_helpers.h"
#include "../src/config/config_priv.h" /* white-box: the loader with smaller list limits */

static const char good_limits[] =
	"limits = { max_order_notional = 1000; position_limit = 10; credit_limit = 5000;\n"
	"  max_open_orders = 5; msg_rate = 100; msg_burst = 10; };\n";
static const char good_inst[] = "instruments = ( { id = 1; symbol = \"X\"; } );\n";
static const char good_acct[] =
	"accounts = ( { id = 7; key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"; } );\n";

static void test_example_loads(void **state)
{
	(void)state;
	struct nx_venue_config c;
	char err[512];
	int rc = nx_config_load("docs/examples/venue.cfg", &c, err, sizeof(err));
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(c.max_orders, 65536);
	assert_int_equal(c.ladder_ticks, 16384);
	assert_int_equal(c.max_sessions, 64);
	assert_int_equal(c.retransmit_rate, 10000);
	assert_int_equal(c.retransmit_burst, 16384);
	assert_int_equal(c.ninstruments, 4);
	assert_int_equal(c.naccounts, 3);
	const struct nx_instrument *opt = nx_config_instrument(&c, 4);
	assert_non_null(opt);
	assert_int_equal(opt->kind, NX_KIND_OPTION);
	assert_int_equal(opt->put_call, NX_CALL);
	assert_int_equal(opt->underlying, 1);
	assert_int_equal(opt->min_qty, 1); /* default: the lot */
	const struct nx_account_config *a1 = nx_config_account(&c, 1), *a2 = nx_config_account(&c, 2),
		*adm = nx_config_account(&c, 900);
	assert_non_null(a1);
	assert_int_equal(a1->stp, NX_STP_CN);
	assert_int_equal(a1->key[0], 0x00);
	assert_int_equal(a1->key[31], 0x1f);
	assert_int_equal(a1->limits.position_limit, 500);
	assert_int_equal(a1->cancel_on_disconnect, 1);
	assert_int_equal(a2->limits.position_limit, 50);   /* overridden */
	assert_int_equal(a2->limits.max_open_orders, 20);
	assert_int_equal(a2->limits.msg_rate, 10000);      /* inherited */
	assert_int_equal(a2->nrestricted, 1);
	assert_int_equal(a2->restricted[0], 4);
	assert_int_equal(a2->stp_group, 1);
	assert_int_equal(adm->admin, 1);
	assert_int_equal(adm->cancel_on_disconnect, 0);
	assert_int_equal(adm->src_ip, 0x0a630002); /* the demo client, over net_tap */
	assert_null(nx_config_account(&c, 3));
	assert_int_equal(c.net.nports, 1);
	assert_string_equal(c.net.ports[0].device, "net_tap0");
	assert_int_equal(c.net.ports[0].ipv4, 0x0a630001);
	assert_int_equal(c.net.nshards, 1);
	assert_int_equal(c.net.shards[0].udp_port, 9100);
	assert_int_equal(c.net.shards[0].ninstruments, 4);
	assert_int_equal(c.net.mbufs, 4095);
	assert_int_equal(c.net.burst, 32);          /* default */
	assert_int_equal(c.net.idle_sleep_us, 0);
	nx_config_free(&c);
	assert_null(c.accounts);
	nx_config_free(&c); /* twice is harmless */
}

/* nic_config/examples/: every file loads, with the device and the shards'
 * lcores its header's EAL line and nic_config/README.md's table give. */
static void test_nic_examples_load(void **state)
{
	(void)state;
	static const struct {
		const char *file, *device;
		uint32_t nshards, lcore[2];
	} ex[] = {
		{ "nic_config/examples/e810.cfg", "0000:3b:00.0", 2, { 2, 4 } },
		{ "nic_config/examples/x710.cfg", "0000:3b:00.0", 2, { 2, 4 } },
		{ "nic_config/examples/connectx6.cfg", "0000:3b:00.0", 2, { 2, 4 } },
		{ "nic_config/examples/tap.cfg", "net_tap0", 1, { 1, 0 } },
		{ "nic_config/examples/memif.cfg", "net_memif0", 2, { 1, 2 } },
		{ "nic_config/examples/af_packet.cfg", "net_af_packet0", 2, { 1, 2 } },
	};
	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		struct nx_venue_config c;
		char err[512];
		if (nx_config_load(ex[i].file, &c, err, sizeof(err)))
			fail_msg("%s", err);
		assert_int_equal(c.net.nports, 1);
		assert_string_equal(c.net.ports[0].device, ex[i].device);
		assert_int_equal(c.net.nshards, ex[i].nshards);
		for (uint32_t k = 0; k < ex[i].nshards; k++)
			assert_int_equal(c.net.shards[k].lcore, ex[i].lcore[k]);
		nx_config_free(&c);
	}
}

static void test_missing_file(void **state)
{
	(void)state;
	struct nx_venue_config c;
	char err[256];
	assert_int_equal(nx_config_load("/nonexistent/venue.cfg", &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/venue.cfg"));
}

static void test_syntax_error(void **state)
{
	(void)state;
	cfg_expect_error("book = { max_orders = 10 }\n\ninstruments = ( { id = ; } );\n", "syntax", 3);
}

static void test_unknown_field(void **state)
{
	(void)state;
	char t[2048];
	snprintf(t, sizeof(t), "%s%s%s\nbook = { max_ordres = 5; };\n", good_limits, good_inst, good_acct);
	cfg_expect_error(t, "book.max_ordres: unknown field", 6);
	snprintf(t, sizeof(t), "%s%s%s\nvenue = 1;\n", good_limits, good_inst, good_acct);
	cfg_expect_error(t, "venue: unknown field", 6);
}

/* Without max_qty, the default 1e12 shrinks to what book.max_orders allows. */
static void test_default_max_qty(void **state)
{
	(void)state;
	char t[2048], err[512], path[64];
	struct nx_venue_config c;
	snprintf(t, sizeof(t), "book = { max_orders = 1073741824; };\n%sinstruments = ( { id = 1; "
		 "symbol = \"X\"; }, { id = 2; symbol = \"Y\"; lot = 10; } );\n%s", good_limits,
		 good_acct);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.instruments[0].max_qty, 8589934591);
	assert_int_equal(c.instruments[1].max_qty, 8589934590);
	nx_config_free(&c);
	snprintf(t, sizeof(t), "%s%s%s", good_limits, good_inst, good_acct);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.instruments[0].max_qty, 1000000000000);
	nx_config_free(&c);
}

static void test_bad_values(void **state)
{
	(void)state;
	char t[2048];
	snprintf(t, sizeof(t), "%s%s%sbook = { ladder_ticks = 1000; };\n", good_limits, good_inst, good_acct);
	cfg_expect_error(t, "ladder_ticks: must be a power of two", 5);
	/* Regression (out_of_range_power_of_two): a value out of range was
	 * then tested as a power of two with the previous field's value (or
	 * an uninitialised one), and the error said "must be a power of two". */
	snprintf(t, sizeof(t), "%s%s%sbook = { max_orders = 1000; ladder_ticks = 8388608; };\n",
		 good_limits, good_inst, good_acct);
	cfg_expect_error(t, "ladder_ticks: must be between 64 and 4194304", 5);
	snprintf(t, sizeof(t), "%s%s%ssessions = { max = 1000; history = 33554432; };\n",
		 good_limits, good_inst, good_acct);
	cfg_expect_error(t, "history: must be between 16 and 16777216", 5);
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\";\n tick = 0; } );\n%s",
		 good_limits, good_acct);
	cfg_expect_error(t, "instruments[0].tick: must be > 0", 4);
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\"; kind = \"swap\"; } );\n%s",
		 good_limits, good_acct);
	cfg_expect_error(t, "instruments[0].kind: must be spot", 3);
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"WAY-TOO-LONG-SYMBOL\"; } );\n%s",
		 good_limits, good_acct);
	cfg_expect_error(t, "instruments[0].symbol: must be 1 to 15", 3);
	/* Regression (session 13): max_qty x book.max_orders must fit in 64
	 * bits (level totals and the FOK check sum that many orders). */
	snprintf(t, sizeof(t), "book = { max_orders = 1073741824; };\n%sinstruments = ( { id = 1; "
		 "symbol = \"X\";\n max_qty = 8589934592L; } );\n%s", good_limits, good_acct);
	cfg_expect_error(t, "instruments[0].max_qty: must be at most 8589934591: max_qty x "
		     "book.max_orders (1073741824) must fit in 64 bits", 5);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7;\n key = \"00\"; } );\n", good_limits, good_inst);
	cfg_expect_error(t, "accounts[0].key: must be 64 hex digits", 5);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; key = \"zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"; } );\n",
		 good_limits, good_inst);
	cfg_expect_error(t, "accounts[0].key: must be hex digits", 4);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; source = \"10.0.0\"; key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"; } );\n",
		 good_limits, good_inst);
	cfg_expect_error(t, "accounts[0].source: must be \"any\" or a unicast IPv4 address", 4);
	/* Regression: a group or the broadcast address was taken, and no
	 * session could ever come from it: the account was locked out. */
	static const char *const nonunicast[] = { "239.1.1.1", "224.0.0.1", "255.255.255.255",
		"240.0.0.1" };
	for (size_t i = 0; i < sizeof(nonunicast) / sizeof(nonunicast[0]); i++) {
		snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; source = \"%s\"; key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"; } );\n",
			 good_limits, good_inst, nonunicast[i]);
		cfg_expect_error(t, "accounts[0].source: must be \"any\" or a unicast IPv4 address", 4);
	}
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; stp = \"maybe\"; key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"; } );\n",
		 good_limits, good_inst);
	cfg_expect_error(t, "accounts[0].stp: must be none", 4);
	snprintf(t, sizeof(t), "limits = { max_order_notional = -1; };\n%s%s", good_inst, good_acct);
	cfg_expect_error(t, "limits.max_order_notional: must be between 0", 1);
}

/* libconfig reads an integer without the L suffix modulo 2^32: such a value
 * was loaded as another one (credit_limit 5000000000 as 705032704, ref_px
 * 4294967396 as 100: a collar around 100) or refused with a range it lies
 * in. The loader refuses it and asks for the L. */
static void test_int_without_l(void **state)
{
	(void)state;
	char t[2048];
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\";\n"
		 "  limits = { credit_limit = 5000000000; }; } );\n", good_limits, good_inst);
	cfg_expect_error(t, "credit_limit: 5000000000 does not fit in 32 bits: write it with the L suffix", 5);
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\";\n ref_px = 4294967396; } );\n%s",
		 good_limits, good_acct);
	cfg_expect_error(t, "ref_px: 4294967396 does not fit in 32 bits", 4);
	snprintf(t, sizeof(t), "limits = { max_order_notional = 1000; position_limit = 10;\n"
		 "  credit_limit = 3000000000; max_open_orders = 5; msg_rate = 100; msg_burst = 10; };\n%s%s",
		 good_inst, good_acct);
	cfg_expect_error(t, "credit_limit: 3000000000 does not fit in 32 bits", 2);
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 0x80000001; symbol = \"X\"; } );\n%s", good_limits,
		 good_acct);
	cfg_expect_error(t, "id: 0x80000001 does not fit in 32 bits", 3);
	/* -2^31 fits: the value reaches the checks */
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\";\n band = -2147483648; } );\n%s",
		 good_limits, good_acct);
	cfg_expect_error(t, "instruments[0].band: must be between 0 and 1e12 ticks", 4);
	/* with the L, in strings and comments: fine */
	snprintf(t, sizeof(t), "# credit_limit = 5000000000\n%sinstruments = ( { id = 1; symbol = \"5000000000\";\n"
		 " ref_px = 4294967396L; /* 9999999999 */ } );\n%s", good_limits, good_acct);
	struct nx_venue_config c;
	char err[512], path[64];
	assert_int_equal(cfg_load_text(t, &c, err, sizeof(err), path), 0);
	assert_int_equal(c.instruments[0].ref_px, 4294967396LL);
	nx_config_free(&c);
}

/* A setting from an @include'd file is named with that file and its line. */
static void test_include_names_its_file(void **state)
{
	(void)state;
	char inc[64] = "/tmp/nx_inc_XXXXXX", main_text[1024], err[512], path[64], want[128];
	int fd = mkstemp(inc);
	assert_true(fd >= 0);
	const char *lt = "# limits\nlimits = { max_order_notional = 1000; position_limit = -10; credit_limit = 5000;\n"
			 "  max_open_orders = 5; msg_rate = 100; msg_burst = 10; };\n";
	assert_int_equal(write(fd, lt, strlen(lt)), (ssize_t)strlen(lt));
	close(fd);
	snprintf(main_text, sizeof(main_text), "%s@include \"%s\"\n%s", good_inst, inc, good_acct);
	struct nx_venue_config c;
	int rc = cfg_load_text(main_text, &c, err, sizeof(err), path);
	unlink(inc);
	assert_int_equal(rc, -EINVAL);
	snprintf(want, sizeof(want), "%s:2: limits.position_limit: must be between 0", inc);
	if (strncmp(err, want, strlen(want)))
		fail_msg("error \"%s\" does not start with \"%s\"", err, want);
}

/* Write text to a new temp file (its name in path, 64 bytes). */
static void write_temp(char *path, const char *text)
{
	strcpy(path, "/tmp/nx_inc_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Loading main_text fails with "file:line: ...needle..."; the files to
 * remove first (NULL-terminated), whatever the outcome. */
static void expect_error_in(const char *main_text, const char *file, unsigned line, const char *needle,
			    const char *const *rm)
{
	struct nx_venue_config c;
	char err[512], path[64], want[256];
	int rc = cfg_load_text(main_text, &c, err, sizeof(err), path);
	while (*rm)
		unlink(*rm++);
	if (rc != -EINVAL)
		fail_msg("loading gave %d, not -EINVAL (%s), for:\n%s", rc, rc ? err : "", main_text);
	snprintf(want, sizeof(want), "%s:%u: ", file, line);
	if (strncmp(err, want, strlen(want)) || !strstr(err, needle))
		fail_msg("error \"%s\" is not \"%s...%s...\"", err, want, needle);
	assert_null(c.instruments);
}

/* An @include'd file is held to the main file's rules. Regressions: a
 * syntax error in it was reported with the main file's name and the
 * included file's line; an integer without the L in it (max_orders =
 * 5000000000) was loaded modulo 2^32 (705032704) without a word, the scan
 * reading only the main file. */
static void test_include_errors(void **state)
{
	(void)state;
	char inc[64], inc2[64], t[2048], body[512];
	const char *const rm[] = { inc, inc2, NULL };
	inc2[0] = 0;
	write_temp(inc, "# book\nbook = { max_orders = ; };\n");
	snprintf(t, sizeof(t), "%s%s@include \"%s\"\n%s", good_limits, good_inst, inc, good_acct);
	expect_error_in(t, inc, 2, "syntax error", rm);
	write_temp(inc, "# book\nbook = {\n max_orders = 5000000000; };\n");
	snprintf(t, sizeof(t), "%s%s@include \"%s\"\n%s", good_limits, good_inst, inc, good_acct);
	expect_error_in(t, inc, 3, "max_orders: 5000000000 does not fit in 32 bits: write it with the L suffix", rm);
	/* nested: the file that holds it is named */
	write_temp(inc2, "\nsessions = { history = 4294967312; };\n");
	snprintf(body, sizeof(body), "book = { max_orders = 1000; };\n  @include \"%s\"\n", inc2);
	write_temp(inc, body);
	snprintf(t, sizeof(t), "%s%s@include \"%s\"\n%s", good_limits, good_inst, inc, good_acct);
	expect_error_in(t, inc2, 2, "history: 4294967312 does not fit in 32 bits", rm);
}

/* An @include that cannot be opened is named, at the including file's
 * line. Regression: "venue.cfg:3: cannot open include file" did not say
 * which file, nor why. */
static void test_include_missing_names_it(void **state)
{
	(void)state;
	char inc[64], t[2048], body[512], want[640];
	const char *const rm[] = { inc, NULL };
	snprintf(t, sizeof(t), "%s%s@include \"/nonexistent/nx_limits.cfg\"\n%s", good_limits,
		 good_inst, good_acct);
	struct nx_venue_config c;
	char err[512], path[64];
	assert_int_equal(cfg_load_text(t, &c, err, sizeof(err), path), -EINVAL);
	snprintf(want, sizeof(want), "%s:4: cannot open include file \"/nonexistent/nx_limits.cfg\": "
		 "No such file or directory", path);
	if (strncmp(err, want, strlen(want)))
		fail_msg("error \"%s\" does not start with \"%s\"", err, want);
	/* nested, indented, after a comment line: the file that names it, its line */
	write_temp(inc, "# book\n\n  @include \"nx_no_such_include.cfg\"\n");
	snprintf(t, sizeof(t), "%s%s@include \"%s\"\n%s", good_limits, good_inst, inc, good_acct);
	snprintf(body, sizeof(body), "cannot open include file \"nx_no_such_include.cfg\": No such "
		 "file or directory (a relative @include is read from the working directory)");
	expect_error_in(t, inc, 3, body, rm);
	/* Regression: an @include of a directory ended the process (libconfig's
	 * scanner: "input in flex scanner failed", exit 2), at any depth */
	char dir[64] = "/tmp/nx_incdir_XXXXXX";
	assert_non_null(mkdtemp(dir));
	snprintf(t, sizeof(t), "%s%s@include \"%s\"\n%s", good_limits, good_inst, dir, good_acct);
	snprintf(body, sizeof(body), "cannot read include file \"%s\": a directory", dir);
	struct nx_venue_config c2;
	assert_int_equal(cfg_load_text(t, &c2, err, sizeof(err), path), -EINVAL);
	snprintf(want, sizeof(want), "%s:4: %s", path, body);
	if (strcmp(err, want))
		fail_msg("error \"%s\" is not \"%s\"", err, want);
	snprintf(t, sizeof(t), "# book\n@include \"%s\"\n", dir);
	write_temp(inc, t);
	snprintf(t, sizeof(t), "%s%s@include \"%s\"\n%s", good_limits, good_inst, inc, good_acct);
	expect_error_in(t, inc, 2, body, rm);
	rmdir(dir);
}

/* A literal with the L past 64 bits: libconfig saturates a decimal one
 * (ref_px = 9223372036854775808L loaded as INT64_MAX, credit_limit =
 * 99999999999999999999L as an idle limit) and wraps a hex one, without a
 * word. Refused with its line. */
static void test_int64_overflow(void **state)
{
	(void)state;
	char t[2048];
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\";\n ref_px = 9223372036854775808L; } );\n%s",
		 good_limits, good_acct);
	cfg_expect_error(t, "ref_px: 9223372036854775808L does not fit in 64 bits", 4);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\";\n"
		 "  limits = { credit_limit = 99999999999999999999L; }; } );\n", good_limits, good_inst);
	cfg_expect_error(t, "credit_limit: 99999999999999999999L does not fit in 64 bits", 5);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\";\n"
		 "  limits = { position_limit = 0x10000000000000005L; }; } );\n", good_limits, good_inst);
	cfg_expect_error(t, "position_limit: 0x10000000000000005L does not fit in 64 bits", 5);
	/* the extremes fit */
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\";\n ref_px = 9223372036854775807L; } );\n%s",
		 good_limits, good_acct);
	struct nx_venue_config c;
	char err[512], path[64];
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.instruments[0].ref_px, INT64_MAX);
	nx_config_free(&c);
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\";\n band = -9223372036854775808L; } );\n%s",
		 good_limits, good_acct);
	cfg_expect_error(t, "instruments[0].band: must be between 0 and 1e12 ticks", 4);
}

/* A literal that does not fit is named by its setting's full path, like
 * every other error. Regression: only the last name before the '=' was
 * given ("credit_limit: 5000000000 does not fit"), which the top-level
 * limits and every account's share, as every instrument shares ref_px;
 * an array's element was named by the array. */
static void test_int_literal_paths(void **state)
{
	(void)state;
	char t[2048], inc[64];
	const char *key = "key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\";";
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; %s },\n { id = 8; %s\n"
		 "  limits = { max_open_orders = 4294967296; }; } );\n", good_limits, good_inst, key, key);
	cfg_expect_error(t, "accounts[1].limits.max_open_orders: 4294967296 does not fit in 32 bits", 6);
	/* two settings of that name on the line: the one that does not fit */
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; %s limits = { credit_limit = 1; }; }, "
		 "{ id = 8; %s limits = { credit_limit = 5000000000; }; } );\n", good_limits, good_inst,
		 key, key);
	cfg_expect_error(t, "accounts[1].limits.credit_limit: 5000000000 does not fit in 32 bits", 4);
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\"; },\n"
		 " { id = 2; symbol = \"Y\"; ref_px = 9223372036854775808L; } );\n%s", good_limits,
		 good_acct);
	cfg_expect_error(t, "instruments[1].ref_px: 9223372036854775808L does not fit in 64 bits", 4);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; %s\n restricted = [ 1, 4294967297 ]; } );\n",
		 good_limits, good_inst, key);
	cfg_expect_error(t, "accounts[0].restricted[1]: 4294967297 does not fit in 32 bits", 5);
	/* the value on a line below its name */
	snprintf(t, sizeof(t), "%s%s%sbook = { ladder_ticks = 1024; max_orders =\n 5000000000; };\n",
		 good_limits, good_inst, good_acct);
	cfg_expect_error(t, "book.max_orders: 5000000000 does not fit in 32 bits", 6);
	/* in an @include'd file too */
	const char *const rm[] = { inc, NULL };
	write_temp(inc, "# book\nbook = {\n max_orders = 5000000000; };\n");
	snprintf(t, sizeof(t), "%s%s@include \"%s\"\n%s", good_limits, good_inst, inc, good_acct);
	expect_error_in(t, inc, 3, ": book.max_orders: 5000000000 does not fit in 32 bits", rm);
}

/* Option fields on another kind, and an option's underlying. Regressions:
 * a spot with put_call, strike and underlying (an option whose kind was
 * left out) loaded as a spot and was published with them; expiry_ns on a
 * spot or perpetual likewise; an option's underlying could be an
 * unconfigured instrument or the option itself. */
static void test_instrument_kinds(void **state)
{
	(void)state;
	char t[2048];
#define INST(body, msg, line) do { \
		snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\"; },\n %s );\n%s", \
			 good_limits, body, good_acct); \
		cfg_expect_error(t, msg, line); \
	} while (0)
	INST("{ id = 2; symbol = \"C\"; underlying = 1; strike = 5;\n put_call = \"call\"; expiry_ns = 5L; }",
	     "instruments[1].underlying: only an option has one (kind is spot)", 4);
	INST("{ id = 2; symbol = \"C\"; kind = \"future\"; expiry_ns = 5L;\n strike = 5; }",
	     "instruments[1].strike: only an option has one (kind is future)", 5);
	INST("{ id = 2; symbol = \"C\"; put_call = \"put\"; }",
	     "instruments[1].put_call: only an option has one (kind is spot)", 4);
	INST("{ id = 2; symbol = \"C\"; kind = \"perpetual\";\n expiry_ns = 5L; }",
	     "instruments[1].expiry_ns: only a future or an option has one (kind is perpetual)", 5);
	INST("{ id = 2; symbol = \"C\"; kind = \"option\"; underlying = 9; strike = 5;\n put_call = \"call\"; expiry_ns = 5L; }",
	     "instruments[1].underlying: instrument 9 is not configured", 4);
	INST("{ id = 2; symbol = \"C\"; kind = \"option\"; underlying = 2; strike = 5;\n put_call = \"call\"; expiry_ns = 5L; }",
	     "instruments[1].underlying: must be another instrument than the option", 4);
#undef INST
	/* the underlying may come after the option */
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 2; symbol = \"C\"; kind = \"option\"; underlying = 1;\n"
		 " strike = 5; put_call = \"put\"; expiry_ns = 5L; }, { id = 1; symbol = \"X\"; } );\n%s",
		 good_limits, good_acct);
	struct nx_venue_config c;
	char err[512], path[64];
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.instruments[0].underlying, 1);
	assert_int_equal(c.instruments[0].put_call, NX_PUT);
	nx_config_free(&c);
}

/* An instrument's bad field is named, on its own line. Regression: the
 * checks of nx_instrument_check named the instrument on its first line
 * ("instruments[0]: min_qty must be a positive multiple of lot" on the
 * line of its "{"), as did an id used twice. */
static void test_instrument_field_lines(void **state)
{
	(void)state;
	char t[2048];
	static const struct { const char *body, *at, *msg; } cases[] = {
		{ "lot = 10;\n min_qty = 15;", "min_qty = 15",
		  "instruments[1].min_qty: must be a positive multiple of lot" },
		{ "lot = 10;\n max_qty = 1005;", "max_qty = 1005",
		  "instruments[1].max_qty: must be a multiple of lot and >= min_qty" },
		{ "tick = 5;\n ref_px = 102;", "ref_px = 102",
		  "instruments[1].ref_px: must be a non-negative multiple of tick" },
		{ "tick = 5;\n band = -1;", "band = -1",
		  "instruments[1].band: must be between 0 and 1e12 ticks" },
		{ "kind = \"option\"; underlying = 1; put_call = \"put\"; expiry_ns = 5L; tick = 5;\n"
		  " strike = 12;", "strike = 12", "instruments[1].strike: must be a multiple of tick" },
		{ "kind = \"future\";\n expiry_ns = 0;", "expiry_ns = 0",
		  "instruments[1].expiry_ns: futures and options need an expiry" },
		{ "lot = 0;", "lot = 0", "instruments[1].lot: must be > 0" },
		/* what no field holds: the instrument */
		{ "kind = \"future\";\n tick = 5;", "id = 2", "instruments[1]: futures and options need an expiry" },
		/* Regression: an option's strike of 0 or less, and a strike given
		 * to an option without an underlying, both said "strike: an
		 * option needs an underlying and a strike > 0", the second on
		 * the wrong field; a field left out was not named */
		{ "kind = \"option\"; underlying = 1; put_call = \"put\"; expiry_ns = 5L;\n strike = -5;",
		  "strike = -5", "instruments[1].strike: must be > 0" },
		{ "kind = \"option\"; underlying = 1; put_call = \"put\"; expiry_ns = 5L;\n strike = 0;",
		  "strike = 0", "instruments[1].strike: must be > 0" },
		{ "kind = \"option\"; put_call = \"put\"; expiry_ns = 5L;\n strike = 5;", "id = 2",
		  "instruments[1]: missing underlying" },
		{ "kind = \"option\"; underlying = 1; put_call = \"put\";\n expiry_ns = 5L;", "id = 2",
		  "instruments[1]: missing strike" },
		{ "kind = \"option\"; underlying = 1; strike = 5;\n expiry_ns = 5L;", "id = 2",
		  "instruments[1]: missing put_call" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\"; },\n { id = 2;\n"
			 " symbol = \"C\";\n %s } );\n%s", good_limits, cases[i].body, good_acct);
		cfg_expect_error(t, cases[i].msg, cfg_lines_before(t, cases[i].at) + 1);
	}
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\"; },\n { symbol = \"Y\";\n"
		 " id = 1; } );\n%s", good_limits, good_acct);
	cfg_expect_error(t, "instruments[1].id: id 1 used twice", 5);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"; },\n"
		 " { key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\";\n id = 7; } );\n",
		 good_limits, good_inst);
	cfg_expect_error(t, "accounts[1].id: id 7 used twice", 6);
}

/* Symbols: unique, printable ASCII without spaces. Regressions: two
 * instruments named alike loaded (a client resolving the name got either);
 * a tab, a space or a multi-byte character went out in InstrumentDefinition. */
static void test_symbols(void **state)
{
	(void)state;
	char t[2048];
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\"; },\n { id = 2; symbol = \"X\"; } );\n%s",
		 good_limits, good_acct);
	cfg_expect_error(t, "instruments[1].symbol: X is instruments[0]'s symbol too", 4);
	static const char *const bad[] = { "BTC USD", "BTC\\tUSD", "\\x01", "\xc3\xa9" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"%s\"; } );\n%s", good_limits,
			 bad[i], good_acct);
		cfg_expect_error(t, "instruments[0].symbol: must be printable ASCII without spaces", 3);
	}
}

static void test_structure_errors(void **state)
{
	(void)state;
	char t[2048];
	/* a section left out: see test_missing_section */
	/* Limits must all be set: the file has no defaults and the account sets only one. */
	snprintf(t, sizeof(t), "%saccounts = ( { id = 7; limits = { msg_rate = 5; };\n key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"; } );\n",
		 good_inst);
	cfg_expect_error(t, "accounts[0].limits.max_order_notional: missing: every limit must be set", 2);
	/* Regression: the message listed all six limits, not the one missing. */
	snprintf(t, sizeof(t), "limits = { max_order_notional = 1000; position_limit = 10; credit_limit = 5000;\n"
		 "  max_open_orders = 5; msg_rate = 100; };\n%s%s", good_inst, good_acct);
	cfg_expect_error(t, "accounts[0].limits.msg_burst: missing: every limit must be set, in the "
		     "account's limits or in the top-level limits", 4);
	snprintf(t, sizeof(t), "%saccounts = ( { id = 7; limits = { max_order_notional = 1000; "
		 "position_limit = 10;\n credit_limit = 5000; max_open_orders = 5; msg_burst = 10; };\n"
		 " key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"; } );\n",
		 good_inst);
	cfg_expect_error(t, "accounts[0].limits.msg_rate: missing", 2);
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\"; },\n { id = 1; symbol = \"Y\"; } );\n%s",
		 good_limits, good_acct);
	cfg_expect_error(t, "instruments[1].id: id 1 used twice", 4);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; restricted = [ 9 ]; key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"; } );\n",
		 good_limits, good_inst);
	cfg_expect_error(t, "accounts[0].restricted: instrument 9 is not configured", 4);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; } );\n", good_limits, good_inst);
	cfg_expect_error(t, "accounts[0]: missing key", 4);
}

/* A required section left out has no line: the message names the file and
 * the section, "venue.cfg: instruments: missing ...". Regression: it said
 * "venue.cfg:0: missing instruments = ...", a line the file does not have.
 * An empty list, or one of the wrong type, is named on its own line. */
static void test_missing_section(void **state)
{
	(void)state;
	static const struct { const char *inst, *acct, *want; } cases[] = {
		{ "", good_acct, "instruments: missing: a venue needs at least one instrument, "
		  "instruments = ( { id = ...; symbol = ...; } )" },
		{ good_inst, "", "accounts: missing: a venue needs at least one account, "
		  "accounts = ( { id = ...; key = ...; } )" },
		{ "", "", "instruments: missing" },
	};
	char t[2048], err[512], path[64], want[600];
	struct nx_venue_config c;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(t, sizeof(t), "# venue\n%s%s%s", good_limits, cases[i].inst, cases[i].acct);
		assert_int_equal(cfg_load_text(t, &c, err, sizeof(err), path), -EINVAL);
		snprintf(want, sizeof(want), "%s: %s", path, cases[i].want);
		if (strncmp(err, want, strlen(want)))
			fail_msg("error \"%s\" does not start with \"%s\"", err, want);
		assert_null(c.instruments);
	}
	snprintf(t, sizeof(t), "%s%s\ninstruments = ( );\n", good_limits, good_acct);
	cfg_expect_error(t, "instruments: must be a non-empty list", 5);
	snprintf(t, sizeof(t), "%s%s\naccounts =\n ( );\n", good_limits, good_inst);
	cfg_expect_error(t, "accounts: must be a non-empty list", 5);
	snprintf(t, sizeof(t), "%s%s\ninstruments = 5;\n", good_limits, good_acct);
	cfg_expect_error(t, "instruments: must be a non-empty list", 5);
}

/* The most instruments and accounts a venue may list are the engine's: past
 * them the loader refuses the list at its first entry too many, on that
 * entry's line. Regression: any number loaded, and nx_engine_create failed
 * later with "capacities too large for one shard", naming no line. The
 * real limits (2^20 and 2^24) would take a file of gigabytes: the check is
 * run with small ones (cfg_load), and the limits nx_config_load passes are
 * shown to be those nx_book and nx_risk take. */
static void test_list_limits(void **state)
{
	(void)state;
	char t[4096], err[512], path[64], want[600];
	const char *key = "key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\";";
	struct nx_venue_config c;
	/* three instruments, two accounts: at the limits, they load */
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"A\"; },\n"
		 " { id = 2; symbol = \"B\"; },\n { id = 3; symbol = \"C\"; } );\n"
		 "accounts = ( { id = 7; %s },\n { id = 8; %s } );\n", good_limits, key, key);
	write_temp(path, t);
	int rc = cfg_load(path, &c, err, sizeof(err), 3, 2);
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(c.ninstruments, 3);
	assert_int_equal(c.naccounts, 2);
	nx_config_free(&c);
	/* one past: named at the first entry too many, on its line */
	assert_int_equal(cfg_load(path, &c, err, sizeof(err), 2, 2), -EINVAL);
	assert_null(c.instruments);
	snprintf(want, sizeof(want), "%s:5: instruments[2]: past the most instruments a venue may "
		 "have, 2 (the list has 3)", path);
	if (strcmp(err, want))
		fail_msg("error \"%s\" is not \"%s\"", err, want);
	assert_int_equal(cfg_load(path, &c, err, sizeof(err), 3, 1), -EINVAL);
	assert_null(c.accounts);
	snprintf(want, sizeof(want), "%s:7: accounts[1]: past the most accounts a venue may have, 1 "
		 "(the list has 2)", path);
	if (strcmp(err, want))
		fail_msg("error \"%s\" is not \"%s\"", err, want);
	unlink(path);
	/* nx_config_load's limits are the engine's: a book and a risk state
	 * take them, and refuse one more */
	struct nx_book_config bc = { .max_instruments = NX_BOOK_MAX_INSTRUMENTS, .max_accounts = 1,
				     .max_orders = 1, .ladder_ticks = 64 };
	struct nx_risk_config rk = { .max_instruments = NX_BOOK_MAX_INSTRUMENTS, .max_accounts = 1 };
	assert_true(nx_book_memsize(&bc) > 0);
	assert_true(nx_risk_memsize(&rk) > 0);
	bc.max_instruments++;
	rk.max_instruments++;
	assert_int_equal(nx_book_memsize(&bc), 0);
	assert_int_equal(nx_risk_memsize(&rk), 0);
	bc = (struct nx_book_config){ .max_instruments = 1, .max_accounts = NX_BOOK_MAX_ACCOUNTS,
				      .max_orders = 1, .ladder_ticks = 64 };
	rk = (struct nx_risk_config){ .max_instruments = 1, .max_accounts = NX_BOOK_MAX_ACCOUNTS };
	assert_true(nx_book_memsize(&bc) > 0);
	assert_true(nx_risk_memsize(&rk) > 0);
	bc.max_accounts++;
	rk.max_accounts++;
	assert_int_equal(nx_book_memsize(&bc), 0);
	assert_int_equal(nx_risk_memsize(&rk), 0);
}

/* The type and presence errors of every kind of field, each naming its
 * file, line and field: a group given a scalar, an integer given a string,
 * a string given an integer, a boolean given an integer, a missing id, bad
 * enumerations, malformed lists, a history that is not a power of two. */
static void test_field_type_errors(void **state)
{
	(void)state;
	char t[2048];
	const char *key = "key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\";";
	snprintf(t, sizeof(t), "%s%s%sbook = 5;\n", good_limits, good_inst, good_acct);
	cfg_expect_error(t, "book: must be a group { ... }", 5);
	snprintf(t, sizeof(t), "%sinstruments = ( { id = \"one\"; symbol = \"X\"; } );\n%s",
		 good_limits, good_acct);
	cfg_expect_error(t, "instruments[0].id: must be an integer", 3);
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = 5; } );\n%s", good_limits, good_acct);
	cfg_expect_error(t, "instruments[0].symbol: must be a string", 3);
	snprintf(t, sizeof(t), "%sinstruments = ( { symbol = \"X\"; } );\n%s", good_limits, good_acct);
	cfg_expect_error(t, "instruments[0]: missing id", 3);
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\"; status = \"paused\"; } );\n%s",
		 good_limits, good_acct);
	cfg_expect_error(t, "instruments[0].status: must be open, halted or closed", 3);
	snprintf(t, sizeof(t), "%sinstruments = ( { id = 1; symbol = \"X\"; kind = \"option\";\n"
		 " put_call = \"both\"; } );\n%s", good_limits, good_acct);
	cfg_expect_error(t, "instruments[0].put_call: must be call or put", 4);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; admin = 1; %s } );\n", good_limits, good_inst, key);
	cfg_expect_error(t, "accounts[0].admin: must be true or false", 4);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; restricted = 1; %s } );\n", good_limits,
		 good_inst, key);
	cfg_expect_error(t, "accounts[0].restricted: must be a list of instrument ids", 4);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; restricted = [ \"a\" ]; %s } );\n",
		 good_limits, good_inst, key);
	cfg_expect_error(t, "accounts[0].restricted: element 0: must be an instrument id", 4);
	snprintf(t, sizeof(t), "%s%s%ssessions = { history = 100; };\n", good_limits, good_inst, good_acct);
	cfg_expect_error(t, "sessions.history: must be a power of two", 5);
}

/* A member named like its section is named in full. Regression: the
 * location's de-duplication ("book", not "book.book", for a failure of the
 * section itself) also took a member for its section: "book = { book = 1; }"
 * said "book: unknown field", as if the section were the unknown one. (Not
 * expect_error: its check takes "book.book" for a name said twice.) */
static void test_member_named_as_section(void **state)
{
	(void)state;
	static const struct { const char *text, *want; unsigned line; } cases[] = {
		{ "book = { book = 1; };\n", "book.book: unknown field", 5 },
		{ "sessions = { sessions = 1; };\n", "sessions.sessions: unknown field", 5 },
		{ "net = { net = 1; };\n", "net.net: unknown field", 5 },
	};
	char t[2048], err[512], path[64], want[600];
	struct nx_venue_config c;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(t, sizeof(t), "%s%s%s%s", good_limits, good_inst, good_acct, cases[i].text);
		assert_int_equal(cfg_load_text(t, &c, err, sizeof(err), path), -EINVAL);
		snprintf(want, sizeof(want), "%s:%u: %s", path, cases[i].line, cases[i].want);
		if (strcmp(err, want))
			fail_msg("error \"%s\" is not \"%s\"", err, want);
	}
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; limits = { limits = 5; };\n"
		 " key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"; } );\n",
		 good_limits, good_inst);
	assert_int_equal(cfg_load_text(t, &c, err, sizeof(err), path), -EINVAL);
	snprintf(want, sizeof(want), "%s:4: accounts[0].limits.limits: unknown field", path);
	if (strcmp(err, want))
		fail_msg("error \"%s\" is not \"%s\"", err, want);
	/* the section itself is still named once */
	snprintf(t, sizeof(t), "%s%s%sbook = 5;\n", good_limits, good_inst, good_acct);
	assert_int_equal(cfg_load_text(t, &c, err, sizeof(err), path), -EINVAL);
	snprintf(want, sizeof(want), "%s:5: book: must be a group { ... }", path);
	if (strcmp(err, want))
		fail_msg("error \"%s\" is not \"%s\"", err, want);
}

/* drop_copy: an account's execution reports copied to another account's
 * session (docs/protocol.md#drop-copy). It must name another configured
 * account, one that copies to none. */
/* sessions.per_account: 0 (no cap) by default, 0 .. 2^20. */
static void test_sessions_per_account(void **state)
{
	(void)state;
	char t[2048], err[512], path[64];
	struct nx_venue_config c;
	snprintf(t, sizeof(t), "%s%s%ssessions = { max = 64; per_account = 4; };\n", good_limits,
		 good_inst, good_acct);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.sessions_per_account, 4);
	nx_config_free(&c);
	snprintf(t, sizeof(t), "%s%s%s", good_limits, good_inst, good_acct);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.sessions_per_account, 0);
	nx_config_free(&c);
	snprintf(t, sizeof(t), "%s%s%ssessions = { per_account = -1; };\n", good_limits, good_inst,
		 good_acct);
	cfg_expect_error(t, "sessions.per_account", 5);
}

/* sessions.retransmit_rate and _burst: each session's budget of messages
 * resent. By default 10,000 a second, four histories deep; rate 0 turns it
 * off; a burst below the history (which could never serve a request for
 * all of it) is refused while the rate is set. */
static void test_sessions_retransmit_budget(void **state)
{
	(void)state;
	char t[2048], err[512], path[64];
	struct nx_venue_config c;
	snprintf(t, sizeof(t), "%s%s%ssessions = { history = 256; retransmit_rate = 500;\n"
		 " retransmit_burst = 300; };\n", good_limits, good_inst, good_acct);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.retransmit_rate, 500);
	assert_int_equal(c.retransmit_burst, 300);
	nx_config_free(&c);
	snprintf(t, sizeof(t), "%s%s%s", good_limits, good_inst, good_acct);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.retransmit_rate, NX_RETRANSMIT_RATE_DEFAULT);
	assert_int_equal(c.retransmit_rate, 10000);
	assert_int_equal(c.retransmit_burst, 4 * 1024); /* four of the default history */
	nx_config_free(&c);
	snprintf(t, sizeof(t), "%s%s%ssessions = { history = 4096; };\n", good_limits, good_inst,
		 good_acct);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.retransmit_burst, 4 * 4096); /* follows the history */
	nx_config_free(&c);
	snprintf(t, sizeof(t), "%s%s%ssessions = { retransmit_rate = 0; retransmit_burst = 1; };\n",
		 good_limits, good_inst, good_acct);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.retransmit_rate, 0); /* off: the burst is not used */
	nx_config_free(&c);

	snprintf(t, sizeof(t), "%s%s%ssessions = { retransmit_rate = -1; };\n", good_limits,
		 good_inst, good_acct);
	cfg_expect_error(t, "sessions.retransmit_rate: must be between 0 and 1073741824", 5);
	snprintf(t, sizeof(t), "%s%s%ssessions = { retransmit_rate = \"fast\"; };\n", good_limits,
		 good_inst, good_acct);
	cfg_expect_error(t, "sessions.retransmit_rate: must be an integer", 5);
	snprintf(t, sizeof(t), "%s%s%ssessions = { retransmit_burst = 0; };\n", good_limits,
		 good_inst, good_acct);
	cfg_expect_error(t, "sessions.retransmit_burst: must be between 1 and 1073741824", 5);
	snprintf(t, sizeof(t), "%s%s%ssessions = { history = 256;\n retransmit_burst = 255; };\n",
		 good_limits, good_inst, good_acct);
	cfg_expect_error(t, "sessions.retransmit_burst: must be at least history (256) while "
		     "retransmit_rate is set", 6);
}

/* book.prefetch_min_orders: the depth from which nx_engine_prefetch gives
 * hints; 0, never, by default; at most 2^30. */
static void test_book_prefetch_min_orders(void **state)
{
	(void)state;
	char t[2048], err[512], path[64];
	struct nx_venue_config c;
	snprintf(t, sizeof(t), "%s%s%s", good_limits, good_inst, good_acct);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.prefetch_min_orders, 0);
	nx_config_free(&c);
	snprintf(t, sizeof(t), "%s%s%sbook = { prefetch_min_orders = 1; };\n", good_limits,
		 good_inst, good_acct);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.prefetch_min_orders, 1);
	nx_config_free(&c);
	snprintf(t, sizeof(t), "%s%s%sbook = { prefetch_min_orders = 500000; };\n", good_limits,
		 good_inst, good_acct);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.prefetch_min_orders, 500000);
	nx_config_free(&c);
	snprintf(t, sizeof(t), "%s%s%sbook = { prefetch_min_orders = -1; };\n", good_limits,
		 good_inst, good_acct);
	cfg_expect_error(t, "book.prefetch_min_orders: must be between 0 and 1073741824", 5);
	snprintf(t, sizeof(t), "%s%s%sbook = { prefetch_min_orders = true; };\n", good_limits,
		 good_inst, good_acct);
	cfg_expect_error(t, "book.prefetch_min_orders: must be an integer", 5);
}

static void test_drop_copy(void **state)
{
	(void)state;
	char t[2048], err[512], path[64];
	struct nx_venue_config c;
	const char *key = "key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\";";
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; drop_copy = 8; %s },\n { id = 8; %s } );\n",
		 good_limits, good_inst, key, key);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(nx_config_account(&c, 7)->drop_copy, 8);
	assert_int_equal(nx_config_account(&c, 8)->drop_copy, 0);
	nx_config_free(&c);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; %s },\n { id = 8; drop_copy = 9; %s } );\n",
		 good_limits, good_inst, key, key);
	cfg_expect_error(t, "accounts[1].drop_copy: account 9 is not configured", 5);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; drop_copy = 7; %s } );\n", good_limits,
		 good_inst, key);
	cfg_expect_error(t, "accounts[0].drop_copy: must be another account", 4);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; drop_copy = 8; %s },\n"
		 " { id = 8; drop_copy = 9; %s },\n { id = 9; %s } );\n", good_limits, good_inst, key,
		 key, key);
	cfg_expect_error(t, "accounts[0].drop_copy: account 8 copies its own reports to account 9", 4);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; drop_copy = \"8\"; %s } );\n", good_limits,
		 good_inst, key);
	cfg_expect_error(t, "accounts[0].drop_copy: must be an integer", 4);
	snprintf(t, sizeof(t), "%s%saccounts = ( { id = 7; drop_copy = 0; %s } );\n", good_limits,
		 good_inst, key);
	cfg_expect_error(t, "accounts[0].drop_copy", 4);
}

/* The net section's structure: ports and shards lists, their required
 * members, a device named twice. */
static void test_net_structure_errors(void **state)
{
	(void)state;
	char t[2048];
	const char *sh = "shards = ( { lcore = 1; udp_port = 9; instruments = [ 1 ]; } );";
	const char *port = "ports = ( { device = \"d0\"; ipv4 = \"10.0.0.1\"; } );";
#define NET(body, msg) do { \
		snprintf(t, sizeof(t), "%s%s%snet = { %s };\n", good_limits, good_inst, good_acct, body); \
		cfg_expect_error(t, msg, 5); \
	} while (0)
	char b[512];
	NET("ports = ( );", "net.ports: must be a list of 1 to");
	snprintf(b, sizeof(b), "ports = ( { device = \"\"; ipv4 = \"10.0.0.1\"; } ); %s", sh);
	NET(b, "net.ports[0].device: must be 1 to");
	snprintf(b, sizeof(b), "ports = ( { device = \"d0\"; } ); %s", sh);
	NET(b, "net.ports[0]: missing ipv4");
	snprintf(b, sizeof(b), "ports = ( { device = \"d0\"; ipv4 = \"10.0.0.1\"; },"
		 " { device = \"d0\"; ipv4 = \"10.0.0.2\"; } ); %s", sh);
	NET(b, "device d0 used twice");
	snprintf(b, sizeof(b), "%s shards = ( );", port);
	NET(b, "net.shards: must be a list of 1 to");
	/* Regression: two ports with one address loaded (nanoex answered ARP
	 * for it on both; nanoex-sock failed to bind the second, naming no
	 * line) */
	snprintf(b, sizeof(b), "ports = ( { device = \"d0\"; ipv4 = \"10.0.0.1\"; },"
		 " { device = \"d1\"; ipv4 = \"10.0.0.1\"; } ); %s", sh);
	NET(b, "net.ports[1].ipv4: ports 0 and 1 share ipv4 10.0.0.1");
	snprintf(b, sizeof(b), "%s shards = ( { udp_port = 9; instruments = [ 1 ]; } );", port);
	NET(b, "net.shards[0]: missing lcore");
	snprintf(b, sizeof(b), "%s shards = ( { lcore = 1; instruments = [ 1 ]; } );", port);
	NET(b, "net.shards[0]: missing udp_port");
	snprintf(b, sizeof(b), "%s shards = ( { lcore = 1; udp_port = 9; } );", port);
	NET(b, "net.shards[0]: missing instruments");
	snprintf(b, sizeof(b), "%s shards = ( { lcore = 1; udp_port = 9; instruments = [ ]; } );", port);
	NET(b, "net.shards[0].instruments: must be a non-empty list");
#undef NET
}

static const char two_inst[] =
	"instruments = ( { id = 1; symbol = \"X\"; }, { id = 2; symbol = \"Y\"; } );\n";
static const char acct_r2[] =
	"accounts = ( { id = 7; restricted = [ 2 ]; key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"; } );\n";

static void test_net_shards(void **state)
{
	(void)state;
	char t[2048], err[512], path[64];
	struct nx_venue_config c, s0, s1;
	snprintf(t, sizeof(t), "%s%s%snet = { ports = ( { device = \"net_memif0\"; ipv4 = \"192.0.2.1\"; } );\n"
		 " shards = ( { lcore = 1; udp_port = 9100; instruments = [ 1 ]; },\n"
		 "  { lcore = 2; udp_port = 9101; instruments = [ 2 ]; } ); burst = 8; idle_sleep_us = 50; };\n",
		 good_limits, two_inst, acct_r2);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.net.nshards, 2);
	assert_int_equal(c.net.burst, 8);
	assert_int_equal(c.net.idle_sleep_us, 50);
	assert_int_equal(nx_config_shard_of(&c, 1), 0);
	assert_int_equal(nx_config_shard_of(&c, 2), 1);
	assert_int_equal(nx_config_shard_of(&c, 3), -1);
	assert_int_equal(nx_config_shard(&c, 0, &s0), 0);
	assert_int_equal(nx_config_shard(&c, 2, &s1), -EINVAL);
	assert_null(s1.instruments); /* zeroed: nothing to free */
	assert_int_equal(nx_config_shard(&c, 1, &s1), 0);
	/* Each shard: its own instruments, every account, restricted lists cut to it. */
	assert_int_equal(s0.ninstruments, 1);
	assert_int_equal(s0.instruments[0].id, 1);
	assert_int_equal(s1.ninstruments, 1);
	assert_int_equal(s1.instruments[0].id, 2);
	assert_int_equal(s0.naccounts, 1);
	assert_int_equal(s0.accounts[0].nrestricted, 0);
	assert_int_equal(s1.accounts[0].nrestricted, 1);
	assert_int_equal(s1.accounts[0].restricted[0], 2);
	assert_int_equal(s1.net.nshards, 1);
	assert_int_equal(s1.net.shards[0].udp_port, 9101);
	assert_string_equal(s1.net.ports[0].device, "net_memif0");
	nx_config_free(&s0);
	nx_config_free(&s1);
	/* A configuration not from the loader, whose shard lists an id that
	 * is no instrument: refused (the walk it replaced dereferenced NULL). */
	c.net.shards[1].instruments[0] = 3;
	assert_int_equal(nx_config_shard(&c, 1, &s1), -EINVAL);
	assert_null(s1.instruments);
	assert_null(s1.accounts);
	c.net.shards[1].instruments[0] = 2;
	nx_config_free(&c);
}

static void test_net_errors(void **state)
{
	(void)state;
	char t[2048];
	const char *port = "ports = ( { device = \"d0\"; ipv4 = \"10.0.0.1\"; } );";
	snprintf(t, sizeof(t), "%s%s%snet = {\n shards = ( { lcore = 1; udp_port = 1; instruments = [ 1 ]; } ); };\n",
		 good_limits, good_inst, good_acct);
	cfg_expect_error(t, "net: missing ports", 5);
	snprintf(t, sizeof(t), "%s%s%snet = { %s };\n", good_limits, good_inst, good_acct, port);
	cfg_expect_error(t, "net: missing shards", 5);
	snprintf(t, sizeof(t), "%s%s%snet = { ports = ( { device = \"d0\";\n ipv4 = \"10.0.0\"; } ); };\n",
		 good_limits, good_inst, good_acct);
	cfg_expect_error(t, "net.ports[0].ipv4: must be a unicast IPv4 address", 6);
	snprintf(t, sizeof(t), "%s%s%snet = { ports = ( { device = \"d0\"; ipv4 = \"224.0.0.1\"; } ); };\n",
		 good_limits, good_inst, good_acct);
	cfg_expect_error(t, "net.ports[0].ipv4: must be a unicast", 5);
	snprintf(t, sizeof(t), "%s%s%snet = { ports = ( { ipv4 = \"10.0.0.1\"; } ); };\n",
		 good_limits, good_inst, good_acct);
	cfg_expect_error(t, "net.ports[0]: missing device", 5);
	snprintf(t, sizeof(t), "%s%s%snet = { %s\n shards = ( { lcore = 1; udp_port = 70000; instruments = [ 1 ]; } ); };\n",
		 good_limits, good_inst, good_acct, port);
	cfg_expect_error(t, "net.shards[0].udp_port: must be between 1 and 65535", 6);
	snprintf(t, sizeof(t), "%s%s%snet = { %s\n shards = ( { lcore = 1; udp_port = 9; instruments = [ 5 ]; } ); };\n",
		 good_limits, good_inst, good_acct, port);
	cfg_expect_error(t, "net.shards[0].instruments: element 0: must be a configured instrument", 6);
	snprintf(t, sizeof(t), "%s%s%snet = { %s\n shards = ( { lcore = 1; udp_port = 9; instruments = [ 1 ]; } ); };\n",
		 good_limits, two_inst, good_acct, port);
	cfg_expect_error(t, "net.shards: instrument 2 is in no shard", 6);
	snprintf(t, sizeof(t), "%s%s%snet = { %s\n shards = ( { lcore = 1; udp_port = 9; instruments = [ 1 ]; },\n"
		 " { lcore = 2; udp_port = 10; instruments = [ 1, 2 ]; } ); };\n",
		 good_limits, two_inst, good_acct, port);
	cfg_expect_error(t, "net.shards[1].instruments: instrument 1 is in shards 0 and 1", 7);
	snprintf(t, sizeof(t), "%s%s%snet = { %s\n shards = ( { lcore = 1; udp_port = 9; instruments = [ 1 ]; },\n"
		 " { lcore = 1; udp_port = 10; instruments = [ 2 ]; } ); };\n",
		 good_limits, two_inst, good_acct, port);
	cfg_expect_error(t, "net.shards[1].lcore: shards 0 and 1 share lcore 1", 7);
	snprintf(t, sizeof(t), "%s%s%snet = { %s\n shards = ( { lcore = 1; udp_port = 9; instruments = [ 1 ]; },\n"
		 " { lcore = 2; udp_port = 9; instruments = [ 2 ]; } ); };\n",
		 good_limits, two_inst, good_acct, port);
	cfg_expect_error(t, "net.shards[1].udp_port: shards 0 and 1 share udp_port 9", 7);
	/* Regression: the checks across shards named "shards", not net.shards,
	 * and a clash on the first line of the list, not the clashing field's. */
	snprintf(t, sizeof(t), "%s%s%snet = { %s\n shards = ( { lcore = 1; udp_port = 9;\n"
		 "   instruments = [ 1, 2,\n 1 ]; } ); };\n", good_limits, two_inst, good_acct, port);
	cfg_expect_error(t, "net.shards[0].instruments: instrument 1 is in shard 0 twice", 7);
	snprintf(t, sizeof(t), "%s%s%snet = { %s\n burst = 0; };\n", good_limits, good_inst, good_acct, port);
	cfg_expect_error(t, "net.burst: must be between 1 and 256", 6);
	snprintf(t, sizeof(t), "%s%s%snet = { %s\n speed = 9; };\n", good_limits, good_inst, good_acct, port);
	cfg_expect_error(t, "net.speed: unknown field", 6);
}

static const char md_net[] =
	"net = { ports = ( { device = \"d0\"; ipv4 = \"10.0.0.1\"; } );\n"
	" shards = ( { lcore = 1; udp_port = 9100; instruments = [ 1, 2 ]; } ); };\n";

static void test_market_data(void **state)
{
	(void)state;
	char t[4096], err[512], path[64];
	struct nx_venue_config c;
	snprintf(t, sizeof(t), "%s%s%s%smarket_data = { lcore = 0;\n"
		 " itch = { udp_port = 9200; group = \"239.1.1.1\"; source = \"10.0.0.7\"; session = \"ITCH01\";\n"
		 "  request_server = \"10.0.0.2:9201\"; request_ms = 50; give_up_ms = 700; max_orders = 1000;\n"
		 "  max_levels = 500; max_locates = 100; ref_interval_us = 0;\n"
		 "  map = ( { symbol = \"AAPL\"; instrument = 1; },\n"
		 "   { symbol = \"MSFT\"; instrument = 2; source = \"last\"; px_mul = 1; px_div = 100; } ); };\n"
		 " feed = { group = \"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9301;\n"
		 "  retransmit_port = 9302; session = \"NX\"; snapshot_ms = 250; max_levels = 500;\n"
		 "  ring = 1024; trade_backlog = 5000; }; };\n",
		 good_limits, two_inst, good_acct, md_net);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_true(c.md.enabled);
	assert_int_equal(c.md.lcore, 0);
	assert_int_equal(c.md.itch.udp_port, 9200);
	assert_int_equal(c.md.itch.group, 0xef010101u);
	assert_int_equal(c.md.itch.source_ip, 0x0a000007u);
	assert_true(c.md.itch.have_session);
	assert_memory_equal(c.md.itch.session, "ITCH01    ", 10);
	assert_int_equal(c.md.itch.request_ip, 0x0a000002u);
	assert_int_equal(c.md.itch.request_port, 9201);
	assert_int_equal(c.md.itch.request_ms, 50);
	assert_int_equal(c.md.itch.give_up_ms, 700);
	assert_int_equal(c.md.itch.max_orders, 1000);
	assert_int_equal(c.md.itch.max_levels, 500);
	assert_int_equal(c.md.itch.max_locates, 100);
	assert_int_equal(c.md.itch.ref_interval_us, 0);
	assert_int_equal(c.md.itch.nmap, 2);
	assert_string_equal(c.md.itch.map[0].symbol, "AAPL");
	assert_int_equal(c.md.itch.map[0].source, NX_MD_REF_MID);
	assert_int_equal(c.md.itch.map[0].px_mul, 1);
	assert_int_equal(c.md.itch.map[1].source, NX_MD_REF_LAST);
	assert_int_equal(c.md.itch.map[1].px_div, 100);
	assert_int_equal(c.md.feed.group, 0xef020202u);
	assert_int_equal(c.md.feed.incremental_port, 9300);
	assert_int_equal(c.md.feed.snapshot_port, 9301);
	assert_int_equal(c.md.feed.retransmit_port, 9302);
	assert_true(c.md.feed.have_session);
	assert_memory_equal(c.md.feed.session, "NX        ", 10);
	assert_int_equal(c.md.feed.snapshot_ms, 250);
	assert_int_equal(c.md.feed.heartbeat_ms, 100); /* defaults */
	assert_int_equal(c.md.feed.history, 65536);
	assert_int_equal(c.md.feed.ring, 1024);
	assert_int_equal(c.md.feed.trade_backlog, 5000);
	assert_int_equal(c.md.feed.retrans_rate, 2000);
	assert_int_equal(c.md.feed.retrans_total_rate, 20000);
	nx_config_free(&c);
	/* No feed session: the appliance names one per start. */
	snprintf(t, sizeof(t), "%s%s%s%smarket_data = { lcore = 0;\n"
		 " feed = { group = \"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9301;\n"
		 "  retransmit_port = 9302; }; };\n", good_limits, two_inst, good_acct, md_net);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_true(c.md.enabled);
	assert_false(c.md.feed.have_session);
	assert_int_equal(c.md.feed.ring, 65536);
	assert_int_equal(c.md.feed.trade_backlog, 65536);
	nx_config_free(&c);
	/* The retransmission budgets: 0 is no limit. */
	snprintf(t, sizeof(t), "%s%s%s%smarket_data = { lcore = 0;\n"
		 " feed = { group = \"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9301;\n"
		 "  retransmit_port = 9302; retrans_rate = 0; retrans_total_rate = 500; }; };\n",
		 good_limits, two_inst, good_acct, md_net);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_int_equal(c.md.feed.retrans_rate, 0);
	assert_int_equal(c.md.feed.retrans_total_rate, 500);
	nx_config_free(&c);
	/* Absent: disabled. */
	snprintf(t, sizeof(t), "%s%s%s%s", good_limits, two_inst, good_acct, md_net);
	if (cfg_load_text(t, &c, err, sizeof(err), path))
		fail_msg("%s", err);
	assert_false(c.md.enabled);
	nx_config_free(&c);
}

static void test_market_data_errors(void **state)
{
	(void)state;
	char t[4096];
	const char *it = "itch = { udp_port = 9200; };";
	/* The error's line: market_data starts after the prefix's lines; a
	 * failing element on the body's second line is one further. */
#define MDL(body, msg, extra) do { \
		snprintf(t, sizeof(t), "%s%s%s%smarket_data = { %s };\n", good_limits, two_inst, \
			 good_acct, md_net, body); \
		cfg_expect_error(t, msg, cfg_lines_before(t, "market_data") + 1 + (extra)); \
	} while (0)
#define MD(body, msg) MDL(body, msg, 0)
	snprintf(t, sizeof(t), "%s%s%smarket_data = { lcore = 0; %s };\n", good_limits, two_inst,
		 good_acct, it);
	cfg_expect_error(t, "market_data: needs the net section", cfg_lines_before(t, "market_data") + 1);
	MD(it, "market_data: missing lcore");
	MD("lcore = 0;", "market_data: needs itch { ... } or feed { ... }");
	MD("lcore = 1; itch = { udp_port = 9200; };", "market_data.lcore: lcore 1 runs shard 0");
	MD("lcore = 0; itch = { udp_port = 9100; };", "market_data.itch.udp_port: udp port 9100 is shard 0's");
	MD("lcore = 0; itch = { group = \"239.1.1.1\"; };", "market_data.itch: missing udp_port");
	MD("lcore = 0; itch = { udp_port = 9200; group = \"10.1.1.1\"; };",
	   "market_data.itch.group: must be an IPv4 multicast group");
	MD("lcore = 0; itch = { udp_port = 9200; source = \"239.1.1.1\"; };",
	   "market_data.itch.source: must be a unicast IPv4 address");
	MD("lcore = 0; itch = { udp_port = 9200; source = \"10.1.1\"; };",
	   "market_data.itch.source: must be a unicast IPv4 address");
	MD("lcore = 0; itch = { udp_port = 9200; session = \"ELEVENCHARS\"; };",
	   "market_data.itch.session: must be 1 to 10 characters");
	MD("lcore = 0; itch = { udp_port = 9200; request_server = \"10.0.0.2\"; };",
	   "market_data.itch.request_server: must be \"a.b.c.d:port\"");
	/* a port followed by anything else was read as the port */
	MD("lcore = 0; itch = { udp_port = 9200; request_server = \"10.0.0.2:9201 and more\"; };",
	   "market_data.itch.request_server: must be \"a.b.c.d:port\"");
	MD("lcore = 0; itch = { udp_port = 9200; request_server = \"10.0.0.2: 9201\"; };",
	   "market_data.itch.request_server: must be \"a.b.c.d:port\"");
	/* Regression: sscanf's %u wrapped a port past 2^32 (4294967297 was port 1) */
	MD("lcore = 0; itch = { udp_port = 9200; request_server = \"10.0.0.2:4294967297\"; };",
	   "market_data.itch.request_server: must be \"a.b.c.d:port\"");
	MD("lcore = 0; itch = { udp_port = 9200; request_server = \"10.0.0.2:65536\"; };",
	   "market_data.itch.request_server: must be \"a.b.c.d:port\"");
	MD("lcore = 0; itch = { udp_port = 9200; request_server = \"10.0.0.2:\"; };",
	   "market_data.itch.request_server: must be \"a.b.c.d:port\"");
	MD("lcore = 0; itch = { udp_port = 9200; request_server = \"239.0.0.2:5\"; };",
	   "market_data.itch.request_server: must be a unicast");
	MD("lcore = 0; itch = { udp_port = 9200; max_locates = 70000; };",
	   "market_data.itch.max_locates: must be between 1 and 65536");
	MD("lcore = 0; itch = { udp_port = 9200; map = 5; };",
	   "market_data.itch.map: must be a list of at most");
	MD("lcore = 0; itch = { udp_port = 9200; map = ( { instrument = 1; } ); };",
	   "market_data.itch.map[0]: missing symbol");
	MD("lcore = 0; itch = { udp_port = 9200; map = ( { symbol = \"A\"; } ); };",
	   "market_data.itch.map[0]: missing instrument");
	MD("lcore = 0; itch = { udp_port = 9200; map = ( { symbol = \"TOOLONGSYM\"; instrument = 1; } ); };",
	   "market_data.itch.map[0].symbol: must be an ITCH stock symbol");
	/* Regression: only a space was refused; a tab or a non-ASCII byte loaded
	 * and the mapping could never match an ITCH symbol */
	MD("lcore = 0; itch = { udp_port = 9200; map = ( { symbol = \"AA\\tPL\"; instrument = 1; } ); };",
	   "market_data.itch.map[0].symbol: must be an ITCH stock symbol");
	MD("lcore = 0; itch = { udp_port = 9200; map = ( { symbol = \"\xc3\x84PL\"; instrument = 1; } ); };",
	   "market_data.itch.map[0].symbol: must be an ITCH stock symbol");
	MD("lcore = 0; itch = { udp_port = 9200; map = ( { symbol = \"A\"; instrument = 9; } ); };",
	   "market_data.itch.map[0].instrument: must be a configured instrument id");
	MD("lcore = 0; itch = { udp_port = 9200; map = ( { symbol = \"A\"; instrument = 1; source = \"vwap\"; } ); };",
	   "market_data.itch.map[0].source: must be \"mid\" or \"last\"");
	MD("lcore = 0; itch = { udp_port = 9200; map = ( { symbol = \"A\"; instrument = 1; px_div = 0; } ); };",
	   "market_data.itch.map[0].px_div: must be between 1");
	MDL("lcore = 0; itch = { udp_port = 9200; map = ( { symbol = \"A\"; instrument = 1; },\n"
	    " { symbol = \"B\"; instrument = 1; } ); };", "instrument 1 is mapped twice", 1);
	MD("lcore = 0; feed = { incremental_port = 1; };", "market_data.feed: missing group");
	MD("lcore = 0; feed = { group = \"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9301; };",
	   "market_data.feed: missing retransmit_port");
	MD("lcore = 0; feed = { group = \"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9300; retransmit_port = 9302; };",
	   "market_data.feed.snapshot_port: incremental_port, snapshot_port and retransmit_port must differ");
	MD("lcore = 0; feed = { group = \"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9301; retransmit_port = 9100; };",
	   "market_data.feed.retransmit_port: udp port 9100 is shard 0's");
	MDL("lcore = 0; itch = { udp_port = 9302; };\n feed = { group = \"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9301; retransmit_port = 9302; };",
	    "market_data.feed.retransmit_port: itch.udp_port and feed.retransmit_port must differ", 1);
	snprintf(t, sizeof(t), "lcore = 0; %s\n feed = { group = \"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9301; retransmit_port = 9302; ring = 1000; };", it);
	char body[1024];
	memcpy(body, t, sizeof(body));
	MDL(body, "market_data.feed.ring: must be a power of two", 1);
	/* Regression: a ring too small for one re-image was accepted, and a
	 * shard could then never re-image a stale instrument. */
	MD("lcore = 0; feed = { group = \"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9301; retransmit_port = 9302; max_levels = 32; ring = 64; };",
	   "market_data.feed.ring: ring 64 cannot hold an instrument's re-image: it must be at least 2 x max_levels + 5 (max_levels 32)");
	MD("lcore = 0; feed = { group = \"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9301; retransmit_port = 9302; max_levels = 40000; };",
	   "market_data.feed.max_levels: ring 65536 cannot hold an instrument's re-image: it must be at least 2 x max_levels + 5 (max_levels 40000)");
	MD("lcore = 0; feed = { group = \"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9301; retransmit_port = 9302; retrans_rate = 1000000001; };",
	   "market_data.feed.retrans_rate: must be between 0 and 1000000000");
	MD("lcore = 0; feed = { group = \"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9301; retransmit_port = 9302; trade_backlog = 0; };",
	   "market_data.feed.trade_backlog: must be between 1 and 16777216");
	MD("lcore = 0; speed = 1;", "market_data.speed: unknown field");
#undef MD
#undef MDL
}

/* A conflict between market_data's fields and the shards, or among its
 * own, names the field that conflicts, on its line. Regression: it named
 * the market_data (or feed) group on its first line, and "udp port 9100 is
 * shard 0's" did not say whether itch.udp_port or feed.retransmit_port. */
static void test_market_data_conflict_lines(void **state)
{
	(void)state;
	char t[4096];
	static const struct { const char *body, *at, *msg; } cases[] = {
		{ "itch = {\n udp_port = 9100; };", "udp_port = 9100; }",
		  "market_data.itch.udp_port: udp port 9100 is shard 0's" },
		{ "feed = { group = \"239.2.2.2\";\n incremental_port = 9300; snapshot_port = 9301;\n"
		  " retransmit_port = 9100; };", "retransmit_port = 9100",
		  "market_data.feed.retransmit_port: udp port 9100 is shard 0's" },
		{ "itch = { udp_port = 9302; };\n feed = { group = \"239.2.2.2\";\n incremental_port = 9300;"
		  " snapshot_port = 9301;\n retransmit_port = 9302; };", "retransmit_port = 9302",
		  "market_data.feed.retransmit_port: itch.udp_port and feed.retransmit_port must differ" },
		{ "feed = { group = \"239.2.2.2\";\n incremental_port = 9300;\n snapshot_port = 9300;"
		  " retransmit_port = 9302; };", "snapshot_port = 9300",
		  "market_data.feed.snapshot_port: incremental_port, snapshot_port and retransmit_port "
		  "must differ" },
		{ "feed = { group = \"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9301;\n"
		  " retransmit_port = 9302;\n ring = 64; max_levels = 32; };", "ring = 64",
		  "market_data.feed.ring: ring 64 cannot hold an instrument's re-image" },
		{ "feed = { group = \"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9301;\n"
		  " retransmit_port = 9302;\n max_levels = 40000; };", "max_levels = 40000",
		  "market_data.feed.max_levels: ring 65536 cannot hold an instrument's re-image" },
		/* Regression: the ITCH feed and the venue's own on one group and
		 * port loaded; each side's packets would be taken for the other's */
		{ "itch = { udp_port = 9300; group = \"239.2.2.2\"; };\n feed = { group = \"239.2.2.2\";\n"
		  " incremental_port = 9300; snapshot_port = 9301; retransmit_port = 9302; };",
		  "incremental_port = 9300", "market_data.feed.incremental_port: 239.2.2.2:9300 is "
		  "itch's group and udp_port too" },
		{ "itch = { udp_port = 9301;\n group = \"239.2.2.2\"; };\n feed = { group = \"239.2.2.2\";"
		  " incremental_port = 9300;\n snapshot_port = 9301; retransmit_port = 9302; };",
		  "snapshot_port = 9301", "market_data.feed.snapshot_port: 239.2.2.2:9301 is itch's "
		  "group and udp_port too" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(t, sizeof(t), "%s%s%s%smarket_data = {\n lcore = 0;\n %s };\n", good_limits,
			 two_inst, good_acct, md_net, cases[i].body);
		cfg_expect_error(t, cases[i].msg, cfg_lines_before(t, cases[i].at) + 1);
	}
	snprintf(t, sizeof(t), "%s%s%s%smarket_data = {\n itch = { udp_port = 9200; };\n lcore = 1; };\n",
		 good_limits, two_inst, good_acct, md_net);
	cfg_expect_error(t, "market_data.lcore: lcore 1 runs shard 0", cfg_lines_before(t, "lcore = 1; }") + 1);
	/* the same port on another group, or a unicast ITCH feed on a feed
	 * port: no clash (the feed goes to its group, the ITCH feed comes to
	 * the venue's address or its own group) */
	static const char *const fine[] = {
		"itch = { udp_port = 9300; group = \"239.1.1.1\"; };",
		"itch = { udp_port = 9300; };",
	};
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		char err[512], path[64];
		struct nx_venue_config c;
		snprintf(t, sizeof(t), "%s%s%s%smarket_data = { lcore = 0; %s\n feed = { group = "
			 "\"239.2.2.2\"; incremental_port = 9300; snapshot_port = 9301; "
			 "retransmit_port = 9302; }; };\n", good_limits, two_inst, good_acct, md_net, fine[i]);
		if (cfg_load_text(t, &c, err, sizeof(err), path))
			fail_msg("%s", err);
		nx_config_free(&c);
	}
}

/* --- A venue near the size the engine takes ------------------------------- */

/*
 * The checks for repeated ids and symbols and for ids that must name a
 * configured instrument or account (underlying, restricted, drop_copy,
 * net.shards' lists and their coverage, market_data.itch.map) compared each
 * entry with every other: at BIG_N instruments and BIG_N accounts a load
 * took over ten seconds, and a file of 2^20 instruments would have taken
 * hours. Indexed, it takes a third of a second, most of it libconfig's
 * parse (no time is asserted: a regression shows as a test that crawls).
 * One entry a line, so that an error's line is the entry's.
 */
#define BIG_N      50000u
#define BIG_SHARDS 4u

enum big_dup { BIG_NONE, BIG_INST_ID, BIG_INST_SYM_FIRST, BIG_ACCT_ID, BIG_SHARD_TWICE };

struct big {
	char *text;
	unsigned line;           /* the line the error is expected on */
	char want[160];          /* and what it says */
};

static uint32_t big_inst_id(uint32_t i) { return 7 * i + 3; } /* none below 2^31: no L */
static uint32_t big_acct_id(uint32_t i) { return 11 * i + 5; }

/* Line number of the next line written to f, which holds *line lines. */
static void big_line(FILE *f, unsigned *line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	(*line)++;
}

static void big_venue(struct big *b, enum big_dup dup)
{
	size_t len;
	FILE *f = open_memstream(&b->text, &len);
	unsigned line = 0; /* lines written */
	const uint32_t n = BIG_N, late = n - 2; /* the entry made a duplicate */
	assert_non_null(f);
	b->line = 0;
	b->want[0] = 0;
	big_line(f, &line, "%s", good_limits);
	line++; /* good_limits is two lines */
	big_line(f, &line, "instruments = (\n");
	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = big_inst_id(i), sym = i;
		if (i == late && dup == BIG_INST_ID) {
			id = big_inst_id(n / 2);
			snprintf(b->want, sizeof(b->want), "instruments[%u].id: id %u used twice", i, id);
			b->line = line + 1;
		}
		if (i == late && dup == BIG_INST_SYM_FIRST) {
			/* the id of a later entry than the symbol's: the symbol is named */
			id = big_inst_id(n / 2);
			sym = n / 3;
			snprintf(b->want, sizeof(b->want),
				 "instruments[%u].symbol: S%u is instruments[%u]'s symbol too", i, sym, sym);
			b->line = line + 1;
		}
		const char *sep = i + 1 < n ? "," : "";
		if (i % 100 == 99 && i + 1 < n) /* an option on the next one, listed after it */
			big_line(f, &line, " { id = %u; symbol = \"S%u\"; kind = \"option\"; underlying = %u;"
				 " strike = 100; put_call = \"call\"; expiry_ns = 1L; }%s\n", id, sym,
				 big_inst_id(i + 1), sep);
		else
			big_line(f, &line, " { id = %u; symbol = \"S%u\"; }%s\n", id, sym, sep);
	}
	big_line(f, &line, ");\naccounts = (\n");
	line++;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = big_acct_id(i);
		if (i == late && dup == BIG_ACCT_ID) {
			id = big_acct_id(n / 2);
			snprintf(b->want, sizeof(b->want), "accounts[%u].id: id %u used twice", i, id);
			b->line = line + 1;
		}
		fprintf(f, " { id = %u; key = \"%s\";", id,
			"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
		if (i % 50 == 0) /* two instruments, in different shards */
			fprintf(f, " restricted = [ %u, %u ];", big_inst_id((i * 7) % n),
				big_inst_id((i * 7 + 1) % n));
		if (i % 1000 == 1)
			fprintf(f, " drop_copy = %u;", big_acct_id(n - 1)); /* one listed after */
		big_line(f, &line, " }%s\n", i + 1 < n ? "," : "");
	}
	big_line(f, &line, ");\nnet = { ports = ( { device = \"d0\"; ipv4 = \"10.0.0.1\"; } );\n");
	line++;
	big_line(f, &line, " shards = (\n");
	for (uint32_t s = 0; s < BIG_SHARDS; s++) {
		fprintf(f, "  { lcore = %u; udp_port = %u; instruments = [", s + 1, 9100 + s);
		for (uint32_t i = s; i < n; i += BIG_SHARDS) /* round robin, each list in file order */
			fprintf(f, "%s%u", i == s ? " " : ", ", big_inst_id(i));
		/* the last but one instrument (another shard's) in the last
		 * shard too: named there, at the end of its list */
		if (dup == BIG_SHARD_TWICE && s == BIG_SHARDS - 1) {
			fprintf(f, ", %u", big_inst_id(late));
			snprintf(b->want, sizeof(b->want), "net.shards[%u].instruments: instrument %u is "
				 "in shards %u and %u", s, big_inst_id(late), late % BIG_SHARDS, s);
			b->line = line + 1;
		}
		big_line(f, &line, " ]; }%s\n", s + 1 < BIG_SHARDS ? "," : "");
	}
	big_line(f, &line, " ); };\n");
	big_line(f, &line, "market_data = { lcore = 0; itch = { udp_port = 9200; map = (\n");
	for (uint32_t k = 0; k < NX_MD_MAX_MAP; k++)
		big_line(f, &line, "  { symbol = \"M%u\"; instrument = %u; }%s\n", k,
			 big_inst_id(n - 1 - 3 * k), k + 1 < NX_MD_MAX_MAP ? "," : "");
	big_line(f, &line, " ); }; };\n");
	assert_int_equal(fclose(f), 0);
	assert_int_equal(cfg_lines_before(b->text, "market_data"), line - NX_MD_MAX_MAP - 2);
}

static void test_big_venue_loads(void **state)
{
	(void)state;
	struct big b;
	struct nx_venue_config c, one;
	char err[512], path[64];
	big_venue(&b, BIG_NONE);
	int rc = cfg_load_text(b.text, &c, err, sizeof(err), path);
	free(b.text);
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(c.ninstruments, BIG_N);
	assert_int_equal(c.naccounts, BIG_N);
	assert_int_equal(c.instruments[BIG_N - 1].id, big_inst_id(BIG_N - 1));
	assert_int_equal(c.instruments[99].kind, NX_KIND_OPTION);
	assert_int_equal(c.instruments[99].underlying, big_inst_id(100));
	assert_int_equal(c.accounts[1001].drop_copy, big_acct_id(BIG_N - 1));
	assert_int_equal(c.md.itch.nmap, NX_MD_MAX_MAP);
	uint32_t restricted = 0, kept = 0, insts = 0;
	for (uint32_t i = 0; i < c.naccounts; i++)
		restricted += c.accounts[i].nrestricted;
	assert_int_equal(restricted, 2 * (BIG_N / 50));
	/* The appliance's start-up: one configuration a shard. */
	for (uint32_t s = 0; s < c.net.nshards; s++) {
		assert_int_equal(nx_config_shard(&c, s, &one), 0);
		assert_int_equal(one.ninstruments, BIG_N / BIG_SHARDS);
		assert_int_equal(one.instruments[0].id, big_inst_id(s));
		assert_int_equal(one.instruments[one.ninstruments - 1].id,
				 big_inst_id(BIG_N - BIG_SHARDS + s));
		assert_int_equal(one.naccounts, BIG_N);
		for (uint32_t i = 0; i < one.naccounts; i++)
			for (uint32_t k = 0; k < one.accounts[i].nrestricted; k++) {
				/* instrument 7 x + 3 is instruments[x], in shard x % 4 */
				assert_int_equal((one.accounts[i].restricted[k] - 3) / 7 % BIG_SHARDS, s);
				kept++;
			}
		insts += one.ninstruments;
		nx_config_free(&one);
	}
	assert_int_equal(kept, restricted); /* each in exactly one shard's cut */
	assert_int_equal(insts, BIG_N);
	nx_config_free(&c);
}

static void test_big_venue_duplicates(void **state)
{
	(void)state;
	static const enum big_dup dups[] = { BIG_INST_ID, BIG_INST_SYM_FIRST, BIG_ACCT_ID,
					     BIG_SHARD_TWICE };
	for (size_t k = 0; k < sizeof(dups) / sizeof(dups[0]); k++) {
		struct big b;
		big_venue(&b, dups[k]);
		assert_true(b.line > 0);
		cfg_expect_error(b.text, b.want, b.line);
		free(b.text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_nic_examples_load),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_unknown_field),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_default_max_qty),
		cmocka_unit_test(test_int_without_l),
		cmocka_unit_test(test_include_names_its_file),
		cmocka_unit_test(test_include_errors),
		cmocka_unit_test(test_include_missing_names_it),
		cmocka_unit_test(test_int64_overflow),
		cmocka_unit_test(test_int_literal_paths),
		cmocka_unit_test(test_instrument_kinds),
		cmocka_unit_test(test_symbols),
		cmocka_unit_test(test_instrument_field_lines),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_missing_section),
		cmocka_unit_test(test_list_limits),
		cmocka_unit_test(test_field_type_errors),
		cmocka_unit_test(test_member_named_as_section),
		cmocka_unit_test(test_drop_copy),
		cmocka_unit_test(test_sessions_per_account),
		cmocka_unit_test(test_sessions_retransmit_budget),
		cmocka_unit_test(test_book_prefetch_min_orders),
		cmocka_unit_test(test_net_structure_errors),
		cmocka_unit_test(test_net_shards),
		cmocka_unit_test(test_net_errors),
		cmocka_unit_test(test_market_data),
		cmocka_unit_test(test_market_data_errors),
		cmocka_unit_test(test_market_data_conflict_lines),
		cmocka_unit_test(test_big_venue_loads),
		cmocka_unit_test(test_big_venue_duplicates),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
