/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 */
#include <stdio.h>
#include <stdlib.h>

#include "opts.h"

int app_opt(const char *prog, int o, const char *arg, struct app_opts *ao)
{
	char *end;
	switch (o) {
	case 'c':
		ao->config = arg;
		return 1;
	case 's':
		ao->stats_s = (unsigned)strtoul(arg, &end, 10);
		if (*end || !*arg || *arg == '-') {
			fprintf(stderr, "%s: --stats: not a number of seconds: %s\n", prog, arg);
			return -1;
		}
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
