/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Between nxclient's script reader (script.c: lines, fields, sessions,
 * requests) and its verbs (verbs.c: one function per command). Field
 * readers latch the first error in the script and return a default, so a
 * verb reads all its fields and then checks s->rc once; in the dry pass
 * (s->dry) verbs parse and return before any I/O.
 */
#ifndef NXCLIENT_SCRIPT_H
#define NXCLIENT_SCRIPT_H

#include "nxclient.h"

#define NXS_MAX_FIELDS 24

struct field {
	const char *key, *val;
	int used;
};

struct script {
	struct nxc *x;
	const char *path;
	unsigned line;
	int dry;                       /* parse only, no I/O */
	int rc;                        /* first error: 1 run time, 2 syntax */
	char why[768];
	struct field f[NXS_MAX_FIELDS];
	unsigned nf;
	char known[NXC_MAX_SESSIONS][NXC_NAME_MAX]; /* dry pass: sessions connected so far */
	unsigned nknown;
	struct nxc_session dummy;      /* dry pass: what commands read defaults from */
};

/* Latch an error (1 run time, 2 syntax); the first one wins. */
__attribute__((format(printf, 3, 4)))
void nxs_fail(struct script *s, int rc, const char *fmt, ...);

/* Fields: the named one (marked used) or NULL; numbers with a default when
 * absent (an error when absent and required); an enum by name or number;
 * an id (key= or the next of *next); every field used, or an error. */
struct field *nxs_field(struct script *s, const char *key);
int64_t nxs_num(struct script *s, const char *key, int required, int64_t dflt);
uint64_t nxs_unum(struct script *s, const char *key, int required, uint64_t dflt);
uint32_t nxs_u32(struct script *s, const char *key, int required, uint32_t dflt);
uint64_t nxs_pick(struct script *s, const char *key, enum nxc_kind k, int required,
		  uint64_t dflt, uint64_t max);
uint64_t nxs_next_id(struct script *s, const char *key, uint64_t *next);
void nxs_no_leftovers(struct script *s);

/* Was a session of this name connected (dry pass)? */
int nxs_known(const struct script *s, const char *name);
/* The session of s= (or the only one); up: it must be established. */
struct nxc_session *nxs_session(struct script *s, int up);
/* Forget what earlier commands received and nobody expected. */
void nxs_forget(struct nxc *x);
void nxs_no_answer(struct script *s, const struct nxc_session *ss, const char *what);
/* Check the fields, send m on ss, wait for what answers it (kind, id). */
void nxs_request(struct script *s, struct nxc_session *ss, struct nx_client_msg *m,
		 uint8_t kind, uint64_t id);
/* The same, and the message that answered it into *answer (template_id 0:
 * none did by itself, e.g. a retransmission that reached the range's end). */
void nxs_request_answer(struct script *s, struct nxc_session *ss, struct nx_client_msg *m,
			uint8_t kind, uint64_t id, struct nx_client_msg *answer);

struct nxs_verb {
	const char *verb;
	void (*fn)(struct script *s);
};

extern const struct nxs_verb nxs_verbs[];
extern const unsigned nxs_nverbs;

#endif /* NXCLIENT_SCRIPT_H */
