/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Loading venue files written by the configuration tests (config_helpers.h).
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

#include "config_helpers.h"

int cfg_load_text(const char *text, struct nx_venue_config *c, char *err, size_t n, char *path)
{
	strcpy(path, "/tmp/nx_cfg_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	int rc = nx_config_load(path, c, err, n);
	unlink(path);
	return rc;
}

void cfg_expect_error(const char *text, const char *needle, unsigned line)
{
	struct nx_venue_config c;
	char err[512], path[64], want[600];
	int rc = cfg_load_text(text, &c, err, sizeof(err), path);
	if (rc != -EINVAL)
		fail_msg("loading gave %d, not -EINVAL, for:\n%s", rc, text);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
	snprintf(want, sizeof(want), "%s:%u:", path, line);
	if (strncmp(err, want, strlen(want)))
		fail_msg("error \"%s\" does not start with \"%s\"", err, want);
	/* a setting named twice over ("book.book: ...": a failure on a
	 * section itself while its name was the location) fails */
	const char *loc = err + strlen(want) + 1, *end = strstr(loc, ": ");
	for (const char *p = loc, *dot; end && (dot = memchr(p, '.', (size_t)(end - p))); p = dot + 1) {
		size_t n = (size_t)(dot - p);
		if (!strncmp(p, dot + 1, n) && (dot + 1 + n == end || dot[1 + n] == '.'))
			fail_msg("error \"%s\" names a setting twice", err);
	}
	assert_null(c.accounts);
	assert_null(c.instruments);
}

unsigned cfg_lines_before(const char *text, const char *what)
{
	const char *end = strstr(text, what);
	unsigned n = 0;
	for (const char *p = text; p < end; p++)
		n += *p == '\n';
	return n;
}
