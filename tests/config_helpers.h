/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Venue files written by the configuration tests: loaded from a temporary
 * file, and the one-line error a bad one must give.
 */
#ifndef NX_TESTS_CONFIG_HELPERS_H
#define NX_TESTS_CONFIG_HELPERS_H

#include <stddef.h>

#include "nx/config.h"

/* Write text to a temporary file (its name in path, 64 bytes), load it
 * into c and return nx_config_load's code; err gets the message. The file
 * is gone on return. */
int cfg_load_text(const char *text, struct nx_venue_config *c, char *err, size_t n, char *path);

/* text fails -EINVAL with one message that starts "path:line:", mentions
 * needle and names no setting twice over ("book.book: ..."), and leaves
 * nothing loaded. */
void cfg_expect_error(const char *text, const char *needle, unsigned line);

/* Lines of text before the first line that contains what. */
unsigned cfg_lines_before(const char *text, const char *what);

#endif /* NX_TESTS_CONFIG_HELPERS_H */
