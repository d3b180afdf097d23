/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The one check libconfig cannot make for the loader: integer literals
 * that its version in Debian 12 truncates. See cfg_check_int_literals.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_priv.h"

/*
 * libconfig (1.5, Debian 12) reads an integer written without the L suffix
 * into an int, modulo 2^32 and without a word: credit_limit = 5000000000
 * loaded as 705032704, ref_px = 4294967396 as 100, max_open_orders =
 * 4294967296 as 0, and 3000000000 became a negative number refused as "must
 * be between 0 and ...". The file is scanned for such literals first (outside
 * strings and comments) and the first one fails with its line and the
 * full path of the setting it belongs to (accounts[2].limits.credit_limit,
 * found in libconfig's tree, which holds the truncated value). A hex
 * literal above 0x7fffffff is the same case.
 * With the L, a literal past 64 bits is saturated (decimal) or wrapped (hex)
 * as silently: refused too. Every file the main one @includes is scanned
 * like it, and named in the message.
 *
 * And what libconfig's parse errors leave out: the file an @include names
 * ("cannot open include file", cfg_include_on_line), and the setting given
 * twice in its group ("duplicate setting name", cfg_duplicate_on_line).
 */
static int is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '*';
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int is_xdigit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Past the rest of a float whose digits reach i. */
static size_t skip_float(const char *t, size_t i, size_t n)
{
	while (i < n && (is_digit(t[i]) || t[i] == '.' || t[i] == 'e' || t[i] == 'E' ||
			 ((t[i] == '-' || t[i] == '+') && (t[i - 1] == 'e' || t[i - 1] == 'E'))))
		i++;
	return i;
}

/* The digits t[d, e), in base 16 or 10, are above lim (no overflow on the way). */
static int exceeds(const char *t, size_t d, size_t e, int hex, unsigned long long lim)
{
	unsigned long long v = 0, base = hex ? 16 : 10;

	for (size_t k = d; k < e; k++) {
		unsigned x = is_digit(t[k]) ? (unsigned)(t[k] - '0')
					    : (unsigned)((t[k] | 0x20) - 'a' + 10);
		if (v > (lim - x) / base)
			return 1;
		v = v * base + x;
	}
	return 0;
}

/* The whole of a file, NUL-terminated, in *out (free it); -ENOENT, -ENOMEM. */
static int slurp(const char *path, char **out, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return -ENOENT;
	size_t cap = 4096, n = 0;
	char *t = malloc(cap);
	for (size_t k; t && (k = fread(t + n, 1, cap - n, fp)) > 0;) {
		n += k;
		if (n == cap) {
			char *u = realloc(t, cap *= 2);
			if (!u)
				free(t);
			t = u;
		}
	}
	fclose(fp);
	if (!t)
		return -ENOMEM;
	t[n] = 0;
	*out = t;
	*len = n;
	return 0;
}

#define MAX_DEPTH 10 /* libconfig's own limit on @include nesting */
#define PATH_CAP 160

/* The integer setting a bad literal was read into: the k-th integer (0
 * first) of `file`, counted in document order, which is the order of
 * libconfig's tree (its line is no key: a named setting has the line of its
 * name, which may be above its value's). */
struct lit_find {
	const char *file, *name; /* name: the setting's, or its array's, as the scan saw it */
	unsigned k;
	char *out;               /* its full path, when found and named `name` */
	int done;
};

static void lit_walk(const config_setting_t *s, char *path, size_t len, struct lit_find *f)
{
	for (int i = 0; !f->done && i < config_setting_length(s); i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
		const char *nm = config_setting_name(m);
		int w = nm ? snprintf(path + len, PATH_CAP - len, "%s%s", len ? "." : "", nm)
			   : snprintf(path + len, PATH_CAP - len, "[%d]", i);
		size_t l2 = w < 0 || len + (size_t)w >= PATH_CAP ? PATH_CAP - 1 : len + (size_t)w;
		int t = config_setting_type(m);
		const char *file = config_setting_source_file(m);
		if (config_setting_is_aggregate(m))
			lit_walk(m, path, l2, f);
		else if ((t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) && file &&
			 !strcmp(file, f->file) && !f->k--) {
			const char *who = nm ? nm : config_setting_name(s);
			if (who && !strcmp(who, f->name))
				memcpy(f->out, path, l2 + 1);
			f->done = 1;
		}
		path[len] = 0;
	}
}

/* The full path of the setting the k-th integer literal of file went to,
 * or the name the scan saw (no tree, or a disagreement with it). */
static const char *lit_path(const config_setting_t *root, const char *file, unsigned k,
			    const char *name, char out[PATH_CAP])
{
	char path[PATH_CAP] = "";
	struct lit_find f = { .file = file, .name = name, .k = k, .out = out };
	out[0] = 0;
	if (root && name[0])
		lit_walk(root, path, 0, &f);
	return out[0] ? out : name[0] ? name : "value";
}

/* An @include directive at t[i] ('@' first on its line, libconfig's rule):
 * the file it names into name, and i past it; 0 if it is not one. */
static int include_at(const char *t, size_t n, size_t *i, char *name, size_t cap)
{
	size_t b = *i, k = 0;
	while (b > 0 && (t[b - 1] == ' ' || t[b - 1] == '\t'))
		b--;
	if ((b > 0 && t[b - 1] != '\n') || n - *i < 9 || strncmp(t + *i, "@include", 8) ||
	    (t[*i + 8] != ' ' && t[*i + 8] != '\t'))
		return 0;
	size_t j = *i + 8;
	while (j < n && (t[j] == ' ' || t[j] == '\t'))
		j++;
	if (j >= n || t[j] != '"')
		return 0;
	for (j++; j < n && t[j] != '"'; j++) {
		if (t[j] == '\\' && j + 1 < n)
			j++;
		if (k + 1 < cap)
			name[k++] = t[j];
	}
	name[k] = 0;
	*i = j + 1;
	return 1;
}

/* The file path (the main file at depth 0, else one it @includes, named as
 * libconfig names it: as written, relative to the working directory).
 * pre: before libconfig reads the file, only the @includes are followed,
 * and one that names something other than a regular file fails. */
static int scan_file(struct loader *L, const config_setting_t *root, const char *path, int depth,
		     int pre)
{
	char *t;
	size_t n;
	int rc = slurp(path, &t, &n);
	if (rc)
		return rc == -ENOENT ? 0 : rc; /* libconfig read it; nothing more to say */
	unsigned line = 1, nth = 0; /* integer literals so far in the file */
	char ident[64] = "", name[64] = "", where[PATH_CAP];
	for (size_t i = 0; i < n && !rc;) {
		char c = t[i];
		if (c == '\n') {
			line++;
			i++;
		} else if (c == '"') {
			for (i++; i < n && t[i] != '"'; i++)
				if (t[i] == '\\' && i + 1 < n)
					i++;
				else if (t[i] == '\n')
					line++;
			i++;
		} else if (c == '@') {
			char inc[4096];
			if (!include_at(t, n, &i, inc, sizeof(inc)))
				i++;
			else if (depth + 1 < MAX_DEPTH) {
				/* libconfig opens a directory and its scanner then
				 * ends the process ("input in flex scanner failed");
				 * a FIFO would block it. A missing file is left to
				 * libconfig, which reports it. */
				struct stat st;
				if (pre && !stat(inc, &st) && !S_ISREG(st.st_mode)) {
					snprintf(L->err, L->errlen, "%s:%u: cannot read include file \"%s\": %s",
						 path, line, inc, S_ISDIR(st.st_mode) ? "a directory"
						 : "not a regular file");
					rc = -EINVAL;
				} else {
					rc = scan_file(L, root, inc, depth + 1, pre);
				}
			}
		} else if (c == '#' || (c == '/' && i + 1 < n && t[i + 1] == '/')) {
			while (i < n && t[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < n && t[i + 1] == '*') {
			for (i += 2; i < n && !(t[i] == '*' && i + 1 < n && t[i + 1] == '/'); i++)
				line += t[i] == '\n';
			i += 2;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*') {
			size_t k = 0;
			for (; i < n && is_ident(t[i]); i++)
				if (k < sizeof(ident) - 1)
					ident[k++] = t[i];
			ident[k] = 0;
		} else if (c == '=' || c == ':') {
			memcpy(name, ident, sizeof(name));
			i++;
		} else if (pre) {
			i++; /* only the @includes, strings and comments matter */
		} else if (is_digit(c) || ((c == '-' || c == '+') && i + 1 < n && is_digit(t[i + 1]))) {
			size_t s = i, d;
			int frac = i > 0 && t[i - 1] == '.'; /* the digits of .5 */
			if (c == '-' || c == '+')
				i++;
			d = i;
			int hex = t[i] == '0' && i + 1 < n && (t[i + 1] == 'x' || t[i + 1] == 'X');
			if (hex)
				for (i += 2; i < n && is_xdigit(t[i]); i++)
					;
			else
				for (; i < n && is_digit(t[i]); i++)
					;
			size_t e = i;
			if (i < n && t[i] == 'L') { /* 64 bits, as the documentation asks */
				while (i < n && t[i] == 'L')
					i++;
				/* libconfig saturates (decimal) or wraps (hex) a
				 * value past 64 bits without a word */
				if (exceeds(t, hex ? d + 2 : d, e, hex, !hex && c == '-'
					    ? 0x8000000000000000ull : 0x7fffffffffffffffull)) {
					snprintf(L->err, L->errlen, "%s:%u: %s: %.*s does not fit in 64 bits "
						 "(-9223372036854775808 .. 9223372036854775807)", path, line,
						 lit_path(root, path, nth, name, where), (int)(i - s), t + s);
					rc = -EINVAL;
				}
				nth++;
				continue;
			}
			if (frac || (!hex && i < n && (t[i] == '.' || t[i] == 'e' || t[i] == 'E'))) {
				i = skip_float(t, i, n);
				continue;
			}
			if (exceeds(t, hex ? d + 2 : d, e, hex,
				    !hex && c == '-' ? 0x80000000ull : 0x7fffffffull)) {
				int len = (int)(e - s);
				snprintf(L->err, L->errlen, "%s:%u: %s: %.*s does not fit in 32 bits: "
					 "write it with the L suffix, %.*sL", path, line,
					 lit_path(root, path, nth, name, where), len, t + s, len, t + s);
				rc = -EINVAL;
			}
			nth++;
		} else {
			i++;
		}
	}
	free(t);
	return rc;
}

int cfg_include_on_line(const char *file, int line, char *name, size_t cap)
{
	char *t;
	size_t n, i = 0;
	if (line < 1 || slurp(file, &t, &n))
		return -1;
	for (int l = 1; l < line && i < n; i++)
		l += t[i] == '\n';
	while (i < n && (t[i] == ' ' || t[i] == '\t'))
		i++;
	int found = include_at(t, n, &i, name, cap);
	free(t);
	return found ? 0 : -1;
}

/* A group (the root too) or a list being read by dup_scan. */
struct dup_frame {
	size_t path_len;   /* the path's length before this frame's segment */
	size_t names;      /* where this group's setting names begin in dup_scan's */
	unsigned idx;      /* a list's element being read */
	int list;
};

#define DUP_NAMES 1024
#define DUP_NAME 48

int cfg_duplicate_on_line(const char *file, int line, char *out, size_t cap)
{
	static const size_t depth_max = 32;
	struct dup_frame st[32];
	char(*names)[DUP_NAME] = malloc(DUP_NAMES * DUP_NAME);
	char path[PATH_CAP] = "", ident[DUP_NAME] = "", *t;
	size_t n, nn = 0, d = 0;
	int l = 1, assign = 0, found = -1;
	if (!names || line < 1 || slurp(file, &t, &n)) {
		free(names);
		return -1;
	}
	st[0] = (struct dup_frame){ 0 };
	for (size_t i = 0; i < n && found && l <= line;) {
		char c = t[i];
		size_t k = 0;
		if (c == '\n' || c == ' ' || c == '\t' || c == '\r') {
			l += c == '\n';
			i++;
			continue;
		}
		if (c == '"') {
			for (i++; i < n && t[i] != '"'; i++)
				if (t[i] == '\\' && i + 1 < n)
					i++;
				else
					l += t[i] == '\n';
			i++;
		} else if (c == '@' || c == '#' || (c == '/' && i + 1 < n && t[i + 1] == '/')) {
			while (i < n && t[i] != '\n')
				i++;
			continue; /* a directive or a comment: not a token */
		} else if (c == '/' && i + 1 < n && t[i + 1] == '*') {
			for (i += 2; i < n && !(t[i] == '*' && i + 1 < n && t[i + 1] == '/'); i++)
				l += t[i] == '\n';
			i += 2;
			continue;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*') {
			for (; i < n && is_ident(t[i]); i++)
				if (k < DUP_NAME - 1)
					ident[k++] = t[i];
			ident[k] = 0;
			continue; /* a name, or a word value (true): decided by what follows */
		} else if ((c == '=' || c == ':') && !st[d].list) {
			for (k = st[d].names; k < nn; k++)
				if (!strcmp(names[k], ident))
					break;
			if (k < nn && l == line) {
				snprintf(out, cap, "%s%s%s", path, d ? "." : "", ident);
				found = 0;
			} else if (nn < DUP_NAMES) {
				memcpy(names[nn++], ident, DUP_NAME);
			}
			i++;
			assign = 1;
			continue;
		} else if ((c == '{' || c == '(') && d + 1 < depth_max) {
			size_t pl = strlen(path);
			if (assign)
				snprintf(path + pl, PATH_CAP - pl, "%s%s", pl ? "." : "", ident);
			else
				snprintf(path + pl, PATH_CAP - pl, "[%u]", st[d].idx);
			st[++d] = (struct dup_frame){ .path_len = pl, .names = nn, .list = c == '(' };
			i++;
		} else if ((c == '}' || c == ')') && d > 0) {
			nn = st[d].names;
			path[st[d].path_len] = 0;
			d--;
			i++;
		} else if (c == '[') {
			while (i < n && t[i] != ']')
				l += t[i++] == '\n';
			i++;
		} else if (c == ',' && st[d].list) {
			st[d].idx++;
			i++;
		} else {
			i++;
		}
		assign = 0;
	}
	free(t);
	free(names);
	return found;
}

int cfg_check_int_literals(struct loader *L, const config_setting_t *root)
{
	return scan_file(L, root, L->path, 0, 0);
}

int cfg_check_includes(struct loader *L)
{
	return scan_file(L, NULL, L->path, 0, 1);
}
