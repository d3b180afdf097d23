/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxclient's script language (docs/nxclient.md): one `verb key=value ...`
 * command per line, `#` comments, the fields of nxreplay's format where the
 * two overlap. A script is read whole and checked twice: a dry pass parses
 * every line (so a typo on line 40 fails before line 1 sends anything), a
 * real pass runs it. Errors latch in the script (first one wins) and the
 * run stops there: 2 for a syntax error, 1 for a failed expect, an
 * unanswered request or a refused login; main() exits with it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "script.h"

#define LINE_MAX_LEN 1024

void nxs_fail(struct script *s, int rc, const char *fmt, ...)
{
	va_list ap;
	if (s->rc)
		return;
	s->rc = rc;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

/* --- Fields ------------------------------------------------------------------------ */

struct field *nxs_field(struct script *s, const char *key)
{
	for (unsigned i = 0; i < s->nf; i++)
		if (!strcmp(s->f[i].key, key)) {
			s->f[i].used = 1;
			return &s->f[i];
		}
	return NULL;
}

int64_t nxs_num(struct script *s, const char *key, int required, int64_t dflt)
{
	struct field *f = nxs_field(s, key);
	char *end;
	if (!f) {
		if (required)
			nxs_fail(s, 2, "missing %s=", key);
		return dflt;
	}
	errno = 0;
	long long v = strtoll(f->val, &end, 10);
	if (errno || end == f->val || *end)
		nxs_fail(s, 2, "%s: not an integer", key);
	return v;
}

uint64_t nxs_unum(struct script *s, const char *key, int required, uint64_t dflt)
{
	struct field *f = nxs_field(s, key);
	char *end;
	if (!f) {
		if (required)
			nxs_fail(s, 2, "missing %s=", key);
		return dflt;
	}
	errno = 0;
	unsigned long long v = strtoull(f->val, &end, 10);
	if (errno || end == f->val || *end || f->val[0] == '-')
		nxs_fail(s, 2, "%s: not an unsigned integer", key);
	return v;
}

uint32_t nxs_u32(struct script *s, const char *key, int required, uint32_t dflt)
{
	uint64_t v = nxs_unum(s, key, required, dflt);
	if (v > UINT32_MAX)
		nxs_fail(s, 2, "%s: above 2^32-1", key);
	return (uint32_t)v;
}

/* An enum field: a name of kind k or a number up to max. */
uint64_t nxs_pick(struct script *s, const char *key, enum nxc_kind k, int required,
		  uint64_t dflt, uint64_t max)
{
	struct field *f = nxs_field(s, key);
	uint64_t v;
	if (!f) {
		if (required)
			nxs_fail(s, 2, "missing %s=", key);
		return dflt;
	}
	if (nxc_enum_parse(k, f->val, &v)) {
		nxs_fail(s, 2, "%s: unknown value \"%s\"", key, f->val);
		return dflt;
	}
	if (v > max)
		nxs_fail(s, 2, "%s: above %" PRIu64, key, max);
	return v;
}

void nxs_no_leftovers(struct script *s)
{
	for (unsigned i = 0; i < s->nf; i++)
		if (!s->f[i].used)
			nxs_fail(s, 2, "unknown field %s=", s->f[i].key);
}

/* A client order id (or request id): key= if given, else the session's next. */
uint64_t nxs_next_id(struct script *s, const char *key, uint64_t *next)
{
	if (!nxs_field(s, key)) {
		/* Counted on from a given 2^64-2: this one is 2^64-1, the next
		 * would be 0 (only the real pass counts per session). */
		if (!s->dry && *next == 0)
			nxs_fail(s, 2, "%s: ids ran out (this one would wrap to 0)", key);
		return (*next)++;
	}
	uint64_t v = nxs_unum(s, key, 1, 0);
	if (v == UINT64_MAX)
		nxs_fail(s, 2, "%s: above 2^64-2", key); /* the next one would wrap to 0 */
	else if (v >= *next)
		*next = v + 1;
	return v;
}

/* --- Sessions ------------------------------------------------------------------------ */

int nxs_known(const struct script *s, const char *name)
{
	for (unsigned i = 0; i < s->nknown; i++)
		if (!strcmp(s->known[i], name))
			return 1;
	return 0;
}

/* The session of s= (the only one, when there is one and s= is absent);
 * up: it must be established. */
struct nxc_session *nxs_session(struct script *s, int up)
{
	struct field *f = nxs_field(s, "s");
	struct nxc_session *ss = NULL;
	unsigned n = s->dry ? s->nknown : s->x->nsess;
	if (!f && n != 1) {
		nxs_fail(s, 2, "missing s= (%u sessions)", n);
		return NULL;
	}
	if (s->dry) {
		if (f && !nxs_known(s, f->val)) {
			nxs_fail(s, 2, "no session \"%s\" (connect s=%s first)", f->val, f->val);
			return NULL;
		}
		return &s->dummy;
	}
	ss = f ? nxc_find(s->x, f->val) : &s->x->sess[0];
	if (!ss)
		nxs_fail(s, 2, "no session \"%s\"", f->val);
	else if (up && ss->state != NXC_S_UP)
		nxs_fail(s, 1, "session %s is not established", ss->name);
	return s->rc ? NULL : ss;
}

/* Expect looks at what the latest command received: every command that
 * sends or waits starts by forgetting what earlier ones left unexpected. */
void nxs_forget(struct nxc *x)
{
	for (unsigned i = 0; i < x->nsess; i++)
		x->sess[i].qlen = 0;
}

void nxs_no_answer(struct script *s, const struct nxc_session *ss, const char *what)
{
	nxs_fail(s, 1, "%s: no answer to %s within %u ms%s", ss->name, what, s->x->timeout_ms,
		 ss->refused ? " (ICMP port unreachable: is the venue listening?)" : "");
}

/* Send m on ss and wait for its answer. */
void nxs_request(struct script *s, struct nxc_session *ss, struct nx_client_msg *m,
		 uint8_t kind, uint64_t id)
{
	nxs_request_answer(s, ss, m, kind, id, NULL);
}

void nxs_request_answer(struct script *s, struct nxc_session *ss, struct nx_client_msg *m,
			uint8_t kind, uint64_t id, struct nx_client_msg *answer)
{
	nxs_no_leftovers(s);
	if (s->rc || s->dry)
		return;
	nxs_forget(s->x);
	int rc = nxc_send_msg(s->x, ss, m);
	if (rc) {
		nxs_fail(s, 1, "%s: send: %s", ss->name, strerror(-rc));
		return;
	}
	struct nxc_want w = { .s = ss, .kind = kind, .id = id, .seq = m->seq };
	if (kind == NXC_W_RETRANS)
		w.end = m->u.retransmit_request.from_seq_no + m->u.retransmit_request.count;
	if (!nxc_run(s->x, &w, s->x->timeout_ms))
		nxs_no_answer(s, ss, nx_nxp_template_name(m->template_id));
	else if (answer)
		*answer = w.answer;
}

static void run_line(struct script *s, char *line)
{
	char *save, *verb = strtok_r(line, " \t\r\n", &save);
	if (!verb || verb[0] == '#')
		return;
	s->nf = 0;
	for (char *tok; (tok = strtok_r(NULL, " \t\r\n", &save));) {
		if (tok[0] == '#')
			break;
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok) {
			nxs_fail(s, 2, "expected key=value, got \"%s\"", tok);
			return;
		}
		if (s->nf == NXS_MAX_FIELDS) {
			nxs_fail(s, 2, "more than %d fields", NXS_MAX_FIELDS);
			return;
		}
		*eq = 0;
		for (unsigned i = 0; i < s->nf; i++)
			if (!strcmp(s->f[i].key, tok)) {
				nxs_fail(s, 2, "%s= given twice", tok);
				return;
			}
		s->f[s->nf++] = (struct field){ tok, eq + 1, 0 };
	}
	for (unsigned i = 0; i < nxs_nverbs; i++)
		if (!strcmp(verb, nxs_verbs[i].verb)) {
			nxs_verbs[i].fn(s);
			return;
		}
	nxs_fail(s, 2, "unknown command \"%s\"", verb);
}

/* The whole file, NUL-terminated, its length in *lenp; NULL on error (errno set). */
static char *slurp(FILE *in, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	while (buf) {
		len += fread(buf + len, 1, cap - len - 1, in);
		if (ferror(in)) {
			free(buf);
			return NULL;
		}
		if (feof(in))
			break;
		if (len + 1 == cap) {
			char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
		}
	}
	if (buf)
		buf[len] = 0;
	*lenp = len;
	return buf;
}

int nxc_script_run(struct nxc *x, const char *path, FILE *in)
{
	struct script *s = calloc(1, sizeof(*s));
	size_t tlen = 0;
	char *text = slurp(in, &tlen), line[LINE_MAX_LEN];
	int rc = 2;
	if (!s || !text) {
		fprintf(stderr, "nxclient: %s: %s\n", path, strerror(errno ? errno : ENOMEM));
		goto out;
	}
	s->x = x;
	s->path = path;
	for (int pass = 0; pass < 2 && !s->rc; pass++) {
		s->dry = pass == 0;
		s->nknown = 0;
		for (unsigned i = 0; i < x->nsess; i++)
			strcpy(s->known[s->nknown++], x->sess[i].name);
		const char *p = text;
		int blank = 0; /* echo: blank lines before a comment are kept, as one */
		for (s->line = 1; p < text + tlen; s->line++) {
			size_t n = strcspn(p, "\n");
			if (p + n < text + tlen && p[n] != '\n') { /* a NUL byte: the rest would vanish */
				nxs_fail(s, 2, "NUL byte in the line");
				break;
			}
			if (n >= sizeof(line)) {
				nxs_fail(s, 2, "line longer than %d bytes", LINE_MAX_LEN - 1);
				break;
			}
			memcpy(line, p, n);
			line[n] = 0;
			p += n + (p[n] == '\n');
			char first = line[strspn(line, " \t\r")];
			if (!s->dry && x->echo && first == '#') {
				fprintf(x->out, "%s%s\n", blank ? "\n" : "", line + strspn(line, " \t"));
				blank = 0;
			} else if (!first && s->line > 1) {
				blank = 1;
			}
			run_line(s, line);
			if (s->rc)
				break;
		}
	}
	rc = s->rc;
	if (rc) {
		fflush(x->out);
		fprintf(stderr, "%s:%u: %s\n", path, s->line, s->why);
	}
out:
	free(text);
	free(s);
	return rc;
}

int nxc_script_finish(struct nxc *x)
{
	for (unsigned i = 0; i < x->nsess; i++) {
		struct nxc_session *ss = &x->sess[i];
		struct nx_client_msg m = { .template_id = NX_NXP_TERMINATE };
		if (ss->state != NXC_S_UP)
			continue;
		m.u.terminate.session_id = ss->c.session_id;
		struct nxc_want w = { .s = ss, .kind = NXC_W_TERMINATE };
		if (nxc_send_msg(x, ss, &m) || !nxc_run(x, &w, x->timeout_ms)) {
			fprintf(stderr, "nxclient: %s: no answer to Terminate within %u ms\n", ss->name,
				x->timeout_ms);
			return 1;
		}
		ss->state = NXC_S_NEGOTIATED;
	}
	return 0;
}
