/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The configuration loader at its edges: the
 * documentation's net and market_data examples load as written; every group
 * names an unknown member at its full path; a value of the wrong type in
 * every section is named; 32-bit literal boundaries (hex, signs); products
 * that pass 64 bits; and the message of a file that is wrong in a way the
 * operator did not write (a default shrunk to nothing, a setting named
 * twice).
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
#include "config_helpers.h"

#define KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static const char base[] =
	"limits = { max_order_notional = 1000; position_limit = 10; credit_limit = 5000;\n"
	"  max_open_orders = 5; msg_rate = 100; msg_burst = 10; };\n"
	"instruments = ( { id = 1; symbol = \"A\"; }, { id = 2; symbol = \"B\"; },\n"
	"  { id = 3; symbol = \"C\"; }, { id = 4; symbol = \"D\"; } );\n"
	"accounts = ( { id = 7; key = \"" KEY "\"; } );\n";

/* base's five lines, then a net section of two shards over 1..4. */
static const char net2[] =
	"net = { ports = ( { device = \"net_tap0\"; ipv4 = \"10.99.0.1\"; } );\n"
	"  shards = ( { lcore = 1; udp_port = 9100; instruments = [ 1, 2 ]; },\n"
	"             { lcore = 2; udp_port = 9101; instruments = [ 3, 4 ]; } ); };\n";

/* base + extra, a NUL-terminated copy in buf. */
static const char *with(char *buf, size_t cap, const char *a, const char *b, const char *c)
{
	snprintf(buf, cap, "%s%s%s", a, b ? b : "", c ? c : "");
	return buf;
}

/* --- The documentation's examples ------------------------------------------------- */

/* docs/configuration.md's net and market_data blocks, as printed there,
 * after a venue of instruments 1..4. */
static void test_doc_net_and_market_data_examples_load(void **state)
{
	(void)state;
	static const char md[] =
		"market_data = {\n"
		"  lcore = 0;                                   # the main lcore is fine: it has nothing else to do\n"
		"  itch = {\n"
		"    udp_port = 9200;                           # the feed arrives here (and retransmissions)\n"
		"    group = \"233.54.12.1\";                     # multicast feed: join it (omit for unicast)\n"
		"    session = \"NASDAQ0001\";                    # follow only this MoldUDP64 session\n"
		"    request_server = \"10.99.0.2:9201\";         # where to ask for what a gap lost\n"
		"    request_ms = 100; give_up_ms = 2000;\n"
		"    max_orders = 2097152; max_levels = 1048576; max_locates = 16384;\n"
		"    ref_interval_us = 1000;\n"
		"    map = ( { symbol = \"AAPL\"; instrument = 2; source = \"mid\"; px_mul = 1; px_div = 10000; } );\n"
		"  };\n"
		"  feed = {\n"
		"    group = \"239.10.0.1\"; incremental_port = 9300; snapshot_port = 9301; retransmit_port = 9302;\n"
		"    history = 65536; max_levels = 1024; heartbeat_ms = 100; snapshot_ms = 1000;\n"
		"    retrans_max = 256; retrans_rate = 2000; retrans_total_rate = 20000; ring = 65536;\n"
		"    trade_backlog = 65536;\n"
		"  };\n"
		"};\n";
	static const char net[] =
		"net = {\n"
		"  ports = ( { device = \"net_tap0\"; ipv4 = \"10.99.0.1\"; } );\n"
		"  shards = ( { lcore = 1; udp_port = 9100; instruments = [ 1, 2 ]; },\n"
		"             { lcore = 2; udp_port = 9101; instruments = [ 3, 4 ]; } );\n"
		"  mbufs = 16383; rx_desc = 1024; tx_desc = 1024; burst = 32; idle_sleep_us = 0;\n"
		"};\n";
	char text[4096], err[600], path[64];
	struct nx_venue_config c;
	int rc = cfg_load_text(with(text, sizeof(text), base, net, md), &c, err, sizeof(err), path);
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(c.net.nshards, 2);
	assert_int_equal(c.net.shards[1].udp_port, 9101);
	assert_int_equal(nx_config_shard_of(&c, 3), 1);
	assert_int_equal(c.md.enabled, 1);
	assert_int_equal(c.md.itch.group, 0xe9360c01u);
	assert_int_equal(c.md.itch.request_ip, 0x0a630002u);
	assert_int_equal(c.md.itch.request_port, 9201);
	assert_memory_equal(c.md.itch.session, "NASDAQ0001", 10);
	assert_int_equal(c.md.itch.nmap, 1);
	assert_int_equal(c.md.itch.map[0].px_div, 10000);
	assert_int_equal(c.md.feed.retransmit_port, 9302);
	assert_int_equal(c.md.feed.trade_backlog, 65536);
	nx_config_free(&c);
}

/* --- Every group names an unknown member at its full path --------------------------- */

static void test_unknown_member_in_every_group(void **state)
{
	(void)state;
	static const struct { const char *text, *msg; } cases[] = {
		{ "sessions = { max = 4; maxx = 4; };\n", "sessions.maxx: unknown field" },
		{ "book = { ladder = 64; };\n", "book.ladder: unknown field" },
		{ "net = { ports = ( { device = \"d\"; ipv4 = \"10.0.0.1\"; mac = \"x\"; } );\n"
		  "  shards = ( { lcore = 1; udp_port = 1; instruments = [ 1, 2, 3, 4 ]; } ); };\n",
		  "net.ports[0].mac: unknown field" },
		{ "net = { ports = ( { device = \"d\"; ipv4 = \"10.0.0.1\"; } );\n"
		  "  shards = ( { lcore = 1; udp_port = 1; queue = 0; instruments = [ 1, 2, 3, 4 ]; } ); };\n",
		  "net.shards[0].queue: unknown field" },
	};
	char text[2048];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		with(text, sizeof(text), base, cases[i].text, NULL);
		const char *dot = strrchr(cases[i].msg, '.');
		char field[32];
		snprintf(field, sizeof(field), "%.*s =", (int)(strcspn(dot + 1, ":")), dot + 1);
		cfg_expect_error(text, cases[i].msg, cfg_lines_before(text, field) + 1);
	}
	/* in an instrument, an account and its limits, and the market-data groups */
	static const char inst[] = "limits = { max_order_notional = 1; position_limit = 1; credit_limit = 1;\n"
		"  max_open_orders = 1; msg_rate = 1; msg_burst = 1; };\n"
		"instruments = ( { id = 1; symbol = \"A\"; sym = \"B\"; } );\n"
		"accounts = ( { id = 7; key = \"" KEY "\"; } );\n";
	cfg_expect_error(inst, "instruments[0].sym: unknown field", 3);
	static const char acct[] = "limits = { max_order_notional = 1; position_limit = 1; credit_limit = 1;\n"
		"  max_open_orders = 1; msg_rate = 1; msg_burst = 1; };\n"
		"instruments = ( { id = 1; symbol = \"A\"; } );\n"
		"accounts = ( { id = 7; key = \"" KEY "\";\n"
		"  limits = { credit = 5; }; } );\n";
	cfg_expect_error(acct, "accounts[0].limits.credit: unknown field", 5);
	/* base's 5 lines, net2's 3: market_data starts on line 9 */
	static const struct { const char *text, *msg; unsigned line; } md[] = {
		{ "market_data = { lcore = 0; itch = { udp_port = 9200; port = 1; }; };\n",
		  "market_data.itch.port: unknown field", 9 },
		{ "market_data = { lcore = 0; itch = { udp_port = 9200;\n"
		  "  map = ( { symbol = \"X\"; instrument = 1; mul = 2; } ); }; };\n",
		  "market_data.itch.map[0].mul: unknown field", 10 },
		{ "market_data = { lcore = 0; feed = { group = \"239.1.1.1\"; incremental_port = 1;\n"
		  "  snapshot_port = 2; retransmit_port = 3; depth = 5; }; };\n",
		  "market_data.feed.depth: unknown field", 10 },
	};
	for (size_t i = 0; i < sizeof(md) / sizeof(md[0]); i++) {
		with(text, sizeof(text), base, net2, md[i].text);
		cfg_expect_error(text, md[i].msg, md[i].line);
	}
}

/* --- A value of the wrong type, in every section ------------------------------------ */

static void test_wrong_type_in_every_section(void **state)
{
	(void)state;
	static const struct { const char *text, *msg, *at; } cases[] = {
		{ "book = { max_orders = \"1024\"; };\n", "book.max_orders: must be an integer", "book =" },
		{ "book = { ladder_ticks = 64.0; };\n", "book.ladder_ticks: must be an integer", "book =" },
		{ "sessions = { keepalive_ms = true; };\n", "sessions.keepalive_ms: must be an integer", "sessions =" },
		{ "sessions = { history = [ 64 ]; };\n", "sessions.history: must be an integer", "sessions =" },
		{ "net = { ports = ( { device = 5; ipv4 = \"10.0.0.1\"; } );\n"
		  "  shards = ( { lcore = 1; udp_port = 1; instruments = [ 1, 2, 3, 4 ]; } ); };\n",
		  "net.ports[0].device: must be a string", "net =" },
		{ "net = { ports = ( { device = \"d\"; ipv4 = 167772161; } );\n"
		  "  shards = ( { lcore = 1; udp_port = 1; instruments = [ 1, 2, 3, 4 ]; } ); };\n",
		  "net.ports[0].ipv4: must be a string", "net =" },
		{ "net = { ports = ( { device = \"d\"; ipv4 = \"10.0.0.1\"; } ); mbufs = \"4096\";\n"
		  "  shards = ( { lcore = 1; udp_port = 1; instruments = [ 1, 2, 3, 4 ]; } ); };\n",
		  "net.mbufs: must be an integer", "net =" },
		{ "net = { ports = ( { device = \"d\"; ipv4 = \"10.0.0.1\"; } );\n"
		  "  shards = ( { lcore = \"1\"; udp_port = 1; instruments = [ 1, 2, 3, 4 ]; } ); };\n",
		  "net.shards[0].lcore: must be an integer", "shards =" },
		{ "net = { ports = ( { device = \"d\"; ipv4 = \"10.0.0.1\"; } );\n"
		  "  shards = ( { lcore = 1; udp_port = 1; instruments = 1; } ); };\n",
		  "net.shards[0].instruments: must be a non-empty list", "shards =" },
		{ "net = { ports = { device = \"d\"; ipv4 = \"10.0.0.1\"; };\n"
		  "  shards = ( { lcore = 1; udp_port = 1; instruments = [ 1, 2, 3, 4 ]; } ); };\n",
		  "net.ports: must be a list of 1 to 8 ports", "net =" },
	};
	char text[2048];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		with(text, sizeof(text), base, cases[i].text, NULL);
		cfg_expect_error(text, cases[i].msg, cfg_lines_before(text, cases[i].at) + 1);
	}
	static const char *const md[][3] = {
		{ "market_data = { lcore = 0.5; itch = { udp_port = 9200; }; };\n",
		  "market_data.lcore: must be an integer", "market_data =" },
		{ "market_data = { lcore = 0; itch = { udp_port = 9200; session = 1; }; };\n",
		  "market_data.itch.session: must be a string", "market_data =" },
		{ "market_data = { lcore = 0; itch = { udp_port = 9200; group = 3912568833; }; };\n",
		  "market_data.itch.group", "market_data =" },
		{ "market_data = { lcore = 0; itch = { udp_port = 9200;\n"
		  "  map = ( { symbol = \"X\"; instrument = \"1\"; } ); }; };\n",
		  "market_data.itch.map[0].instrument: must be an integer", "map =" },
		{ "market_data = { lcore = 0; itch = { udp_port = 9200;\n"
		  "  map = ( { symbol = \"X\"; instrument = 1; source = \"avg\"; } ); }; };\n",
		  "market_data.itch.map[0].source: must be \"mid\" or \"last\"", "map =" },
		{ "market_data = { lcore = 0; itch = { udp_port = 9200;\n"
		  "  map = ( { symbol = \"X\"; instrument = 1; px_div = 0; } ); }; };\n",
		  "market_data.itch.map[0].px_div: must be between 1 and 2147483647", "map =" },
		{ "market_data = { lcore = 0; feed = { group = \"239.1.1.1\"; incremental_port = 1;\n"
		  "  snapshot_port = 2; retransmit_port = 3; ring = \"64\"; }; };\n",
		  "market_data.feed.ring: must be an integer", "snapshot_port = 2" },
		{ "market_data = { lcore = 0; feed = ( 1 ); };\n", "market_data.feed: must be a group", "market_data =" },
	};
	for (size_t i = 0; i < sizeof(md) / sizeof(md[0]); i++) {
		with(text, sizeof(text), base, net2, md[i][0]);
		cfg_expect_error(text, md[i][1], cfg_lines_before(text, md[i][2]) + 1);
	}
}

/* --- 32-bit literal boundaries ------------------------------------------------------ */

static void test_literal_boundaries(void **state)
{
	(void)state;
	char text[2048];
	/* the largest 32-bit literals are values, and range-checked as such */
	with(text, sizeof(text), base, "book = { max_orders = 0x7fffffff; };\n", NULL);
	cfg_expect_error(text, "book.max_orders: must be between 1 and 1073741824", 6);
	with(text, sizeof(text), base, "book = { max_orders = -2147483648; };\n", NULL);
	cfg_expect_error(text, "book.max_orders: must be between 1 and 1073741824", 6);
	/* one past them is libconfig's silent wrap: refused, naming the literal */
	with(text, sizeof(text), base, "book = { max_orders = 0x80000000; };\n", NULL);
	cfg_expect_error(text, "book.max_orders: 0x80000000 does not fit in 32 bits", 6);
	with(text, sizeof(text), base, "book = { max_orders = -2147483649; };\n", NULL);
	cfg_expect_error(text, "book.max_orders: -2147483649 does not fit in 32 bits", 6);
	with(text, sizeof(text), base, "book = { max_orders = +4294967297; };\n", NULL);
	cfg_expect_error(text, "book.max_orders: +4294967297 does not fit in 32 bits", 6);
	/* with the L, a hex literal is a 64-bit value */
	struct nx_venue_config c;
	char err[600], path[64];
	with(text, sizeof(text), base, "book = { max_orders = 0x400L; ladder_ticks = 0x40; };\n", NULL);
	int rc = cfg_load_text(text, &c, err, sizeof(err), path);
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(c.max_orders, 1024);
	assert_int_equal(c.ladder_ticks, 64);
	nx_config_free(&c);
}

/* --- Products past 64 bits --------------------------------------------------------- */

/* tick x band passes 2^63 (1e12 x 1e12): each is in range, the product is
 * saturated where it is used (risk collar, market protection), so the file
 * loads; max_qty x max_orders is the one product the loader bounds. */
static void test_tick_times_band_past_64_bits_loads(void **state)
{
	(void)state;
	static const char text[] =
		"limits = { max_order_notional = 1000; position_limit = 10; credit_limit = 5000;\n"
		"  max_open_orders = 5; msg_rate = 100; msg_burst = 10; };\n"
		"instruments = ( { id = 1; symbol = \"A\"; tick = 1000000000000L; band = 1000000000000L;\n"
		"  ref_px = 1000000000000L; } );\n"
		"accounts = ( { id = 7; key = \"" KEY "\"; } );\n";
	struct nx_venue_config c;
	char err[600], path[64];
	int rc = cfg_load_text(text, &c, err, sizeof(err), path);
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(c.instruments[0].tick, INT64_C(1000000000000));
	assert_int_equal(c.instruments[0].band_ticks, INT64_C(1000000000000));
	nx_config_free(&c);
	/* one tick more of band is out of range */
	char t2[sizeof(text) + 8];
	snprintf(t2, sizeof(t2), "%s", text);
	char *b = strstr(t2, "band = 1000000000000L");
	memcpy(b, "band = 1000000000001L", 21);
	cfg_expect_error(t2, "instruments[0].band: must be between 0 and 1e12 ticks", 3);
}

/*
 * A lot (or min_qty) above what a defaulted max_qty may be at this
 * book.max_orders (INT64_MAX / max_orders: 8,589,934,591 at 2^30) is named,
 * with the bound. Regression: the default max_qty shrank to 0 and the
 * message blamed max_qty, a field the file does not set:
 *   "x.cfg:3: instruments[0]: max_qty must be a multiple of lot and >= min_qty"
 */
static void test_lot_past_max_qty_cap_names_lot(void **state)
{
	(void)state;
	static const char lot[] =
		"book = { max_orders = 1073741824; };\n"
		"limits = { max_order_notional = 1; position_limit = 1; credit_limit = 1;\n"
		"  max_open_orders = 1; msg_rate = 1; msg_burst = 1; };\n"
		"instruments = ( { id = 1; symbol = \"A\";\n"
		"  lot = 10000000000L; } );\n"
		"accounts = ( { id = 7; key = \"" KEY "\"; } );\n";
	cfg_expect_error(lot, "instruments[0].lot:", 5);
	cfg_expect_error(lot, "book.max_orders", 5);
}

static void test_min_qty_past_max_qty_cap_names_min_qty(void **state)
{
	(void)state;
	static const char minq[] =
		"book = { max_orders = 1073741824; };\n"
		"limits = { max_order_notional = 1; position_limit = 1; credit_limit = 1;\n"
		"  max_open_orders = 1; msg_rate = 1; msg_burst = 1; };\n"
		"instruments = ( { id = 1; symbol = \"A\";\n"
		"  min_qty = 10000000000L; } );\n"
		"accounts = ( { id = 7; key = \"" KEY "\"; } );\n";
	cfg_expect_error(minq, "instruments[0].min_qty:", 5);
	cfg_expect_error(minq, "book.max_orders", 5);
}

/*
 * A setting given twice in one group is named at its full path. Regression:
 * libconfig's parse error went out as is, "x.cfg:7: duplicate setting
 * name", the only kind of bad file whose message named no field.
 */
static void test_duplicate_setting_names_the_field(void **state)
{
	(void)state;
	static const char dup[] =
		"limits = { max_order_notional = 1000; position_limit = 10; credit_limit = 5000;\n"
		"  max_open_orders = 5; msg_rate = 100; msg_burst = 10;\n"
		"  credit_limit = 6000; };\n"
		"instruments = ( { id = 1; symbol = \"A\"; } );\n"
		"accounts = ( { id = 7; key = \"" KEY "\"; } );\n";
	cfg_expect_error(dup, "limits.credit_limit", 3);
	char text[2048];
	with(text, sizeof(text), base, "book = { max_orders = 64; };\nbook = { ladder_ticks = 64; };\n",
	     NULL);
	cfg_expect_error(text, "book: ", 7); /* the second book section */
	static const char in_list[] =
		"limits = { max_order_notional = 1000; position_limit = 10; credit_limit = 5000;\n"
		"  max_open_orders = 5; msg_rate = 100; msg_burst = 10; };\n"
		"instruments = ( { id = 1; symbol = \"A\"; }, { id = 2; symbol = \"B\"; tick = 5;\n"
		"  /* a comment { ( */ lot = 2; tick = 6; } );\n"
		"accounts = ( { id = 7; key = \"" KEY "\"; } );\n";
	cfg_expect_error(in_list, "instruments[1].tick: given twice", 4);
}

/* An empty restricted list is none; an option may be listed before its
 * underlying; STP and kind names are case-insensitive (as documented for
 * nxreplay's names, and as the loader parses them). */
static void test_accepted_forms(void **state)
{
	(void)state;
	static const char text[] =
		"limits = { max_order_notional = 1; position_limit = 1; credit_limit = 1;\n"
		"  max_open_orders = 1; msg_rate = 1; msg_burst = 1; };\n"
		"instruments = ( { id = 2; symbol = \"O\"; kind = \"OPTION\"; underlying = 1; strike = 5;\n"
		"  put_call = \"PUT\"; expiry_ns = 1; }, { id = 1; symbol = \"U\"; status = \"Halted\"; } );\n"
		"accounts = ( { id = 7; key = \"" KEY "\"; restricted = [ ]; stp = \"CB\"; } );\n";
	struct nx_venue_config c;
	char err[600], path[64];
	int rc = cfg_load_text(text, &c, err, sizeof(err), path);
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(c.accounts[0].nrestricted, 0);
	assert_int_equal(c.accounts[0].stp, NX_STP_CB);
	assert_int_equal(c.instruments[0].put_call, NX_PUT);
	assert_int_equal(c.instruments[1].status, NX_STATUS_HALTED);
	nx_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doc_net_and_market_data_examples_load),
		cmocka_unit_test(test_unknown_member_in_every_group),
		cmocka_unit_test(test_wrong_type_in_every_section),
		cmocka_unit_test(test_literal_boundaries),
		cmocka_unit_test(test_tick_times_band_past_64_bits_loads),
		cmocka_unit_test(test_accepted_forms),
		cmocka_unit_test(test_lot_past_max_qty_cap_names_lot),
		cmocka_unit_test(test_min_qty_past_max_qty_cap_names_min_qty),
		cmocka_unit_test(test_duplicate_setting_names_the_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
