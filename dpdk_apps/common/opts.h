/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The options nanoex and nanoex-sock share (-c/--config, -s/--stats), so
 * both parse and refuse them alike. DPDK-free.
 */
#ifndef NX_APP_OPTS_H
#define NX_APP_OPTS_H

struct app_opts {
	const char *config;          /* the venue file (required) */
	unsigned stats_s;            /* a summary line every stats_s seconds, 0: never */
};

#define APP_OPTS_GETOPT "c:s:"   /* their short forms, for getopt_long's optstring */
#define APP_OPTS_LONG \
	{ "config", required_argument, NULL, 'c' }, { "stats", required_argument, NULL, 's' }

/* Take option o (from getopt_long) with its argument if it is a shared one.
 * Returns 1 (taken), 0 (not a shared option) or -1 (bad value: said on
 * stderr, prefixed with prog). */
int app_opt(const char *prog, int o, const char *arg, struct app_opts *ao);

/* A decimal number from 0 to max, digits only (no sign, no space, no
 * overflow): 0, or -1 if s is anything else. */
int app_parse_uint(const char *s, unsigned long max, unsigned long *v);

/* After getopt_long: nothing left over, and --config given. 0 or -1 (said). */
int app_opts_check(const char *prog, int argc, char **argv, int optind_, const struct app_opts *ao);

#endif /* NX_APP_OPTS_H */
