/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxclient, a scripted NXP client over kernel UDP sockets (docs/nxclient.md):
 * the private header shared by its files.
 *
 *   main.c     options, the venue configuration (keys, history), exit codes
 *   script.c   the script language: lines, fields, sessions by name, requests
 *   verbs.c    one function per script command (script.h between the two)
 *   session.c  sockets, sending, the receive pump, answers, drops, heartbeats
 *   print.c    one line per message; enum and reason names; expect matching
 *   load.c     --load: closed-loop round-trip latency of one session
 *
 * Determinism: what one command receives is printed when the command ends,
 * the requesting session's messages first, then every other session's in
 * the order the sessions were connected, each in arrival order. Timestamps,
 * session ids and heartbeats are printed only with --times. So one script
 * against two venues that behave the same prints the same bytes.
 *
 * Single-threaded; every buffer is allocated once at start-up.
 */
#ifndef NXCLIENT_H
#define NXCLIENT_H

#include <stdint.h>
#include <stdio.h>

#include "nx/client.h"
#include "nx/config.h"

#define NXC_MAX_SESSIONS 16
#define NXC_NAME_MAX     32
#define NXC_PEND_MAX     1024 /* messages one command may receive per session before
                                 they are printed early */
#define NXC_QUEUE_MAX    1024 /* messages waiting for expect, per session */
#define NXC_DGRAM_MSGS   128  /* messages in one datagram: 1472 bytes / 14 at least */
#define NXC_RXBUF        65536 /* any UDP payload: the venue keeps to 1472, others may not */

/* --- Names of field values (print.c) ------------------------------------------- */

enum nxc_kind {
	NXC_K_NUM,      /* unsigned integer */
	NXC_K_INT,      /* signed integer (prices, quantities) */
	NXC_K_SIDE,     /* BUY SELL; 0 is BOTH (SideFilter) */
	NXC_K_TYPE,     /* LIMIT MARKET */
	NXC_K_TIF,      /* GTC IOC FOK */
	NXC_K_STP,      /* DEFAULT NONE CN CO CB DC */
	NXC_K_LIQ,      /* MAKER TAKER */
	NXC_K_RESP,     /* NEW CANCEL REPLACE MASSCANCEL */
	NXC_K_REJECT,   /* nx/reason.h reject names; 0 is NONE */
	NXC_K_CANCEL,   /* nx/reason.h cancel names */
	NXC_K_INSTKIND, /* SPOT FUTURE PERPETUAL OPTION */
	NXC_K_STATUS,   /* OPEN HALTED CLOSED */
	NXC_K_PC,       /* NONE CALL PUT */
	NXC_K_SCOPE,    /* VENUE ACCOUNT INSTRUMENT */
	NXC_K_LIMIT,    /* NOTIONAL POSITION CREDIT OPEN_ORDERS MSG_RATE MSG_BURST */
	NXC_K_FLOW,     /* RECOVERABLE IDEMPOTENT UNSEQUENCED NONE */
	NXC_K_COD,      /* DEFAULT OFF ON (CancelOnDisconnectMode) */
	NXC_K_TEMPLATE, /* message names */
	NXC_K_SYMBOL,   /* char[16] */
	NXC_K_TIME,     /* nanoseconds of a clock: printed with --times only */
	NXC_K_SID,      /* session id: printed with --times only */
	NXC_K_HIDE,     /* never printed (secret keys) */
};

/* Parse a value of an enum kind: a name (case-insensitive) or a number.
 * Returns 0 and sets *v, or -1. */
int nxc_enum_parse(enum nxc_kind k, const char *s, uint64_t *v);

/* templateId of a message name (case-insensitive), 0 if none. */
unsigned nxc_template_parse(const char *name);

/* "Name seq=N key=value ..." into buf (always NUL-terminated). */
void nxc_format(char *buf, size_t cap, int times, const struct nx_client_msg *m);

/* One transcript line: "<dir> <session> [mark ]Name seq=N key=value ...". */
void nxc_print(FILE *f, int times, char dir, const char *session, const char *mark,
	       const struct nx_client_msg *m);

/* Compare field key of m (as printed, or the pseudo-fields seq and resent)
 * with want. Returns 1 match, 0 mismatch (the value found in got), -1 when
 * the message has no such field. */
int nxc_field_match(const struct nx_client_msg *m, int resent, const char *key,
		    const char *want, char *got, size_t gotlen);

/* Could want ever match field key of a message of m's template? 1 yes, 0 it
 * does not parse as that field's values, -1 no such field. */
int nxc_field_check(const struct nx_client_msg *m, const char *key, const char *want);

/* --- Sessions (session.c) -------------------------------------------------------- */

enum nxc_mark {
	NXC_RECV,      /* "<" line, queued for expect */
	NXC_RESENT,    /* "< resent": came in a Retransmission, queued for expect */
	NXC_DROPPED,   /* "x dropped": discarded by a drop command, not queued */
	NXC_HEARTBEAT, /* a venue heartbeat: printed with --times only, not queued */
};

struct nxc_entry {
	struct nx_client_msg m;
	uint8_t mark;
};

enum nxc_state {
	NXC_S_NEW,        /* socket open, not negotiated */
	NXC_S_NEGOTIATED, /* negotiated; not established, or its binding ended */
	NXC_S_UP,         /* established */
};

struct nxc_session {
	char name[NXC_NAME_MAX];
	int fd;
	uint8_t state;
	uint8_t refused;          /* the kernel reported ICMP port unreachable */
	struct nx_client c;       /* sequence numbers and gap tracking */
	uint32_t keepalive_ms;    /* ours, sent in Establish */
	uint64_t next_cl, next_req;
	uint64_t last_tx_ns;
	uint32_t drop_left;       /* datagrams still to discard */
	uint64_t dropped_from, dropped_to; /* venue numbers dropped, not recovered (0: none) */
	struct nxc_entry *pend;   /* received during this command, printed at its end */
	uint32_t npend;
	struct nxc_entry *queue;  /* received by the latest command, not yet expected (a ring) */
	uint32_t qhead, qlen;
};

/* What answers a request, or what a wait waits for. */
enum nxc_want_kind {
	NXC_W_NONE,      /* nothing: only the settle window */
	NXC_W_TIME,      /* nothing: the whole timeout (wait ms=) */
	NXC_W_ANY,       /* any message queued for the session (expect) */
	NXC_W_NEGOTIATE, NXC_W_ESTABLISH, NXC_W_TERMINATE, NXC_W_RETRANS,
	NXC_W_NEW, NXC_W_CANCEL, NXC_W_REPLACE, NXC_W_MASS, NXC_W_INSTR, NXC_W_ADMIN, NXC_W_COD,
};

struct nxc_want {
	struct nxc_session *s;
	uint8_t kind;
	uint8_t done;
	uint64_t id;                  /* the request's clOrdId or reqId */
	uint64_t seq;                 /* its sequence number; 0 for session messages */
	uint64_t end;                 /* NXC_W_RETRANS: one past the last number asked for */
	struct nx_client_msg answer;  /* the message that answered */
};

struct nxc {
	const char *host;
	uint16_t port;
	uint32_t timeout_ms;  /* for an answer */
	uint32_t settle_ms;   /* after it, for what other sessions receive */
	int times;            /* print time-dependent fields and heartbeats */
	int echo;             /* copy the script's comment lines into the transcript */
	FILE *out;            /* the transcript */
	const struct nx_venue_config *cfg; /* keys by account, the history (recover), or NULL */
	struct nxc_session sess[NXC_MAX_SESSIONS];
	unsigned nsess;
	uint8_t *rxbuf;
};

uint64_t nxc_now_ns(void);   /* CLOCK_MONOTONIC */
uint64_t nxc_wall_ns(void);  /* CLOCK_REALTIME: session ids and request timestamps */

int nxc_init(struct nxc *x);
void nxc_fini(struct nxc *x);
struct nxc_session *nxc_find(struct nxc *x, const char *name);
/* A new session with a socket bound to an ephemeral port and connected to
 * host:port. NULL with a message in err. */
struct nxc_session *nxc_open(struct nxc *x, const char *name, const char *host, uint16_t port,
			     char *err, size_t errlen);
/* Send one datagram of s. 0 or -errno. */
int nxc_send(struct nxc *x, struct nxc_session *s, const void *buf, size_t len);
/* Does m (received by w->s) answer w? */
int nxc_answers(const struct nxc_want *w, const struct nx_client_msg *m);
/* Receive until w is answered (or timeout_ms), then for settle_ms more;
 * then print what came. Returns 1 when answered. */
int nxc_run(struct nxc *x, struct nxc_want *w, uint32_t timeout_ms);
/* Sleep, sending heartbeats, reading nothing. */
void nxc_sleep(struct nxc *x, uint32_t ms);
/* Negotiate (if not yet) and Establish s. Returns 0 established, 1 refused
 * (the reject in *rej), -1 no answer. */
int nxc_login(struct nxc *x, struct nxc_session *s, struct nx_client_msg *rej);
/* Encode m (a client message; m->template_id and its u member set) into a
 * datagram of s, print it and send it; sequenced messages get the next
 * number (m->seq is set). 0 or -errno. */
int nxc_send_msg(struct nxc *x, struct nxc_session *s, struct nx_client_msg *m);

/* --- The script (script.c) and the load mode (load.c) --------------------------- */

/* Run one script file (stdin when in is stdin). Returns 0, 1 (an expect
 * failed, a request went unanswered) or 2 (a syntax error); the message is
 * on stderr. */
int nxc_script_run(struct nxc *x, const char *path, FILE *in);
/* End the bindings still established (Terminate each). 0 or 1. */
int nxc_script_finish(struct nxc *x);

struct nxc_load {
	uint64_t count, warmup;
	nx_acct_t acct;
	const char *key_hex;
	nx_inst_t inst;
	uint8_t side;
	int64_t px, qty;      /* 0: from the instrument's definition */
	int busy;             /* spin on the socket instead of sleeping in poll */
};

int nxc_load_run(struct nxc *x, const struct nxc_load *o);

/* Account key: 64 hex digits, or the account's key in the configuration.
 * 0, or -1 with a message in err. */
int nxc_key(const struct nxc *x, nx_acct_t acct, const char *hex, uint8_t key[NX_KEY_BYTES],
	    char *err, size_t errlen);

#endif /* NXCLIENT_H */
