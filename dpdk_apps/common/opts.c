/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "opts.h"

int app_parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;
	if (!s || *s < '0' || *s > '9') /* strtoul alone takes " 5" and "-1" */
		return -1;
	errno = 0;
	unsigned long x = strtoul(s, &end, 10);
	if (errno || *end || x > max)
		return -1;
	*v = x;
	return 0;
}

int app_opt(const char *prog, int o, const char *arg, struct app_opts *ao)
{
	unsigned long v;
	switch (o) {
	case 'c':
		ao->config = arg;
		return 1;
	case 's':
		/* was cast from strtoul: 4294967297 ran as 1, " -1" as 4294967295 */
		if (app_parse_uint(arg, UINT_MAX, &v)) {
			fprintf(stderr, "%s: --stats: not a number of seconds (0 to %u): %s\n", prog,
				UINT_MAX, arg);
			return -1;
		}
		ao->stats_s = (unsigned)v;
		return 1;
	default:
		return 0;
	}
}

int app_opts_check(const char *prog, int argc, char **argv, int optind_, const struct app_opts *ao)
{
	if (optind_ < argc) {
		fprintf(stderr, "%s: unexpected argument: %s (try --help)\n", prog, argv[optind_]);
		return -1;
	}
	if (!ao->config) {
		fprintf(stderr, "%s: --config FILE is required (try --help)\n", prog);
		return -1;
	}
	return 0;
}
