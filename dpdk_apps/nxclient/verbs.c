/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxclient's verbs (docs/nxclient.md): one function per script command.
 * Each reads its fields through the script's readers, then (not in the dry
 * pass) builds the client message, sends it and waits for what answers it.
 * Client order ids and request ids count per session from 1 unless given.
 */
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "nx/book.h"
#include "nx/reason.h"
#include "script.h"

static unsigned reject_code(const struct nx_client_msg *m)
{
	switch (m->template_id) {
	case NX_NXP_NEGOTIATION_REJECT: return m->u.negotiation_reject.code;
	case NX_NXP_ESTABLISHMENT_REJECT: return m->u.establishment_reject.code;
	case NX_NXP_TERMINATE: return m->u.terminate.code;
	default: return 0;
	}
}

/* --- Commands ------------------------------------------------------------------------- */

static void cmd_connect(struct script *s)
{
	struct nxc *x = s->x;
	struct field *nf = nxs_field(s, "s");
	struct nxc_session *ss;
	uint8_t key[NX_KEY_BYTES];
	char err[256];

	if (!nf) {
		nxs_fail(s, 2, "missing s=");
		return;
	}
	const char *name = nf->val;
	unsigned rej = (unsigned)nxs_pick(s, "reject", NXC_K_REJECT, 0, 0, UINT16_MAX);
	int exists = s->dry ? nxs_known(s, name) : nxc_find(x, name) != NULL;
	uint32_t ka = nxs_u32(s, "keepalive", 0, 1000);
	if (!exists) {
		nx_acct_t acct = nxs_u32(s, "acct", 1, 0);
		struct field *kf = nxs_field(s, "key"), *hf = nxs_field(s, "host");
		uint32_t port = nxs_u32(s, "port", 0, x->port);
		uint64_t sid = nxs_unum(s, "sid", 0, 0);
		if (port == 0 || port > UINT16_MAX)
			nxs_fail(s, 2, "port: not a UDP port");
		nxs_no_leftovers(s);
		if (!s->rc && nxc_key(x, acct, kf ? kf->val : NULL, key, err, sizeof(err)))
			nxs_fail(s, 2, "%s", err);
		if (s->rc)
			return;
		if (s->dry) {
			if (s->nknown < NXC_MAX_SESSIONS && strlen(name) < NXC_NAME_MAX)
				strcpy(s->known[s->nknown++], name);
			else
				nxs_fail(s, 2, "too many sessions, or a name over %d characters",
					 NXC_NAME_MAX - 1);
			return;
		}
		ss = nxc_open(x, name, hf ? hf->val : x->host, (uint16_t)port, err, sizeof(err));
		if (!ss) {
			nxs_fail(s, 1, "%s: %s", name, err);
			return;
		}
		/* Session ids are never reused by an account: a clock reading is unique. */
		nx_client_init(&ss->c, sid ? sid : nxc_wall_ns() + x->nsess, acct, key);
		ss->keepalive_ms = ka;
	} else {
		nxs_no_leftovers(s); /* again: only keepalive= and reject= */
		if (s->rc || s->dry)
			return;
		ss = nxc_find(x, name);
		if (nxs_field(s, "keepalive"))
			ss->keepalive_ms = ka;
		if (ss->state == NXC_S_UP) {
			nxs_fail(s, 1, "%s: already established", name);
			return;
		}
	}
	struct nx_client_msg r;
	nxs_forget(x);
	int rc = nxc_login(x, ss, &r);
	if (rc < 0) {
		nxs_no_answer(s, ss, ss->state == NXC_S_NEW ? "Negotiate" : "Establish");
	} else if (rc > 0) {
		unsigned code = reject_code(&r);
		if (code != rej || !rej)
			nxs_fail(s, 1, "%s: %s: %s (%s)%s%s", name, nx_nxp_template_name(r.template_id),
				 nx_reject_name(code), nx_reject_text(code), rej ? ", expected " : "",
				 rej ? nx_reject_name(rej) : "");
	} else if (rej) {
		nxs_fail(s, 1, "%s: established, but reject=%s was expected", name, nx_reject_name(rej));
	}
}

static void cmd_new(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 1);
	struct nx_client_msg m = { .template_id = NX_NXP_NEW_ORDER };
	struct nx_nxp_new_order *o = &m.u.new_order;
	if (!ss)
		return;
	o->cl_ord_id = nxs_next_id(s, "cl", &ss->next_cl);
	o->account = nxs_u32(s, "acct", 0, ss->c.acct);
	o->instrument = nxs_u32(s, "inst", 1, 0);
	o->side = (uint8_t)nxs_pick(s, "side", NXC_K_SIDE, 0, 0, UINT8_MAX);
	o->ord_type = (uint8_t)nxs_pick(s, "type", NXC_K_TYPE, 0, NX_ORD_LIMIT, UINT8_MAX);
	o->time_in_force = (uint8_t)nxs_pick(s, "tif", NXC_K_TIF, 0, NX_TIF_GTC, UINT8_MAX);
	o->post_only = (uint8_t)nxs_pick(s, "post", NXC_K_NUM, 0, 0, UINT8_MAX);
	o->stp_mode = (uint8_t)nxs_pick(s, "stp", NXC_K_STP, 0, NX_STP_DEFAULT, UINT8_MAX);
	o->qty = nxs_num(s, "qty", 1, 0);
	o->price = nxs_num(s, "px", o->ord_type == NX_ORD_LIMIT, 0);
	o->display_qty = nxs_num(s, "display", 0, 0);
	nxs_request(s, ss, &m, NXC_W_NEW, o->cl_ord_id);
}

static void cmd_cancel(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 1);
	struct nx_client_msg m = { .template_id = NX_NXP_CANCEL_ORDER };
	struct nx_nxp_cancel_order *o = &m.u.cancel_order;
	if (!ss)
		return;
	o->cl_ord_id = nxs_next_id(s, "cl", &ss->next_cl);
	o->orig_cl_ord_id = nxs_unum(s, "orig", 0, 0);
	o->order_id = nxs_unum(s, "oid", 0, 0);
	o->account = nxs_u32(s, "acct", 0, ss->c.acct);
	nxs_request(s, ss, &m, NXC_W_CANCEL, o->cl_ord_id);
}

static void cmd_replace(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 1);
	struct nx_client_msg m = { .template_id = NX_NXP_CANCEL_REPLACE };
	struct nx_nxp_cancel_replace *o = &m.u.cancel_replace;
	if (!ss)
		return;
	o->cl_ord_id = nxs_next_id(s, "cl", &ss->next_cl);
	o->orig_cl_ord_id = nxs_unum(s, "orig", 0, 0);
	o->order_id = nxs_unum(s, "oid", 0, 0);
	o->qty = nxs_num(s, "qty", 1, 0);
	o->price = nxs_num(s, "px", 1, 0);
	o->account = nxs_u32(s, "acct", 0, ss->c.acct);
	nxs_request(s, ss, &m, NXC_W_REPLACE, o->cl_ord_id);
}

static void cmd_masscancel(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 1);
	struct nx_client_msg m = { .template_id = NX_NXP_MASS_CANCEL };
	struct nx_nxp_mass_cancel *o = &m.u.mass_cancel;
	if (!ss)
		return;
	o->cl_ord_id = nxs_next_id(s, "cl", &ss->next_cl);
	o->account = nxs_u32(s, "acct", 0, ss->c.acct);
	o->instrument = nxs_u32(s, "inst", 0, 0);
	o->side = (uint8_t)nxs_pick(s, "side", NXC_K_SIDE, 0, 0, UINT8_MAX);
	nxs_request(s, ss, &m, NXC_W_MASS, o->cl_ord_id);
}

static void cmd_instruments(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 1);
	struct nx_client_msg m = { .template_id = NX_NXP_INSTRUMENT_DEFINITION_REQUEST };
	if (!ss)
		return;
	m.u.instrument_definition_request.req_id = nxs_next_id(s, "req", &ss->next_req);
	m.u.instrument_definition_request.instrument = nxs_u32(s, "inst", 0, 0);
	nxs_request(s, ss, &m, NXC_W_INSTR, m.u.instrument_definition_request.req_id);
}

/* SetCancelOnDisconnect for the session: mode=ON|OFF|DEFAULT. */
static void cmd_cod(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 1);
	struct nx_client_msg m = { .template_id = NX_NXP_SET_CANCEL_ON_DISCONNECT };
	struct nx_nxp_set_cancel_on_disconnect *o = &m.u.set_cancel_on_disconnect;
	if (!ss)
		return;
	o->req_id = nxs_next_id(s, "req", &ss->next_req);
	o->mode = (uint8_t)nxs_pick(s, "mode", NXC_K_COD, 1, 0, UINT8_MAX);
	nxs_request(s, ss, &m, NXC_W_COD, o->req_id);
}

/* Admin requests: every one starts with reqId and is answered by
 * AdminAck / AdminReject. */
static void cmd_kill(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 1);
	struct nx_client_msg m = { .template_id = NX_NXP_SET_KILL_SWITCH };
	struct nx_nxp_set_kill_switch *o = &m.u.set_kill_switch;
	if (!ss)
		return;
	o->req_id = nxs_next_id(s, "req", &ss->next_req);
	o->scope = (uint8_t)nxs_pick(s, "scope", NXC_K_SCOPE, 1, 0, UINT8_MAX);
	o->id = nxs_u32(s, "id", 0, 0);
	o->on = (uint8_t)nxs_pick(s, "on", NXC_K_NUM, 1, 0, UINT8_MAX);
	nxs_request(s, ss, &m, NXC_W_ADMIN, o->req_id);
}

static void cmd_status(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 1);
	struct nx_client_msg m = { .template_id = NX_NXP_SET_INSTRUMENT_STATUS };
	struct nx_nxp_set_instrument_status *o = &m.u.set_instrument_status;
	if (!ss)
		return;
	o->req_id = nxs_next_id(s, "req", &ss->next_req);
	o->instrument = nxs_u32(s, "inst", 1, 0);
	o->status = (uint8_t)nxs_pick(s, "state", NXC_K_STATUS, 1, 0, UINT8_MAX);
	o->cancel_resting = (uint8_t)nxs_pick(s, "cancel", NXC_K_NUM, 0, 0, UINT8_MAX);
	nxs_request(s, ss, &m, NXC_W_ADMIN, o->req_id);
}

static void cmd_refprice(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 1);
	struct nx_client_msg m = { .template_id = NX_NXP_SET_REFERENCE_PRICE };
	struct nx_nxp_set_reference_price *o = &m.u.set_reference_price;
	if (!ss)
		return;
	o->req_id = nxs_next_id(s, "req", &ss->next_req);
	o->instrument = nxs_u32(s, "inst", 1, 0);
	o->price = nxs_num(s, "px", 1, 0);
	nxs_request(s, ss, &m, NXC_W_ADMIN, o->req_id);
}

static void cmd_limit(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 1);
	struct nx_client_msg m = { .template_id = NX_NXP_SET_LIMIT };
	struct nx_nxp_set_limit *o = &m.u.set_limit;
	if (!ss)
		return;
	o->req_id = nxs_next_id(s, "req", &ss->next_req);
	o->account = nxs_u32(s, "acct", 1, 0);
	o->limit_kind = (uint8_t)nxs_pick(s, "kind", NXC_K_LIMIT, 1, 0, UINT8_MAX);
	o->value = nxs_num(s, "value", 1, 0);
	nxs_request(s, ss, &m, NXC_W_ADMIN, o->req_id);
}

static void cmd_heartbeat(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 1);
	struct nx_client_msg m = { .template_id = NX_NXP_SEQUENCE };
	if (!ss)
		return;
	m.u.sequence.next_seq_no = ss->c.next_seq;
	nxs_request(s, ss, &m, NXC_W_NONE, 0);
}

static void cmd_terminate(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 1);
	struct nx_client_msg m = { .template_id = NX_NXP_TERMINATE };
	if (!ss)
		return;
	m.u.terminate.session_id = ss->c.session_id;
	m.u.terminate.code = (uint16_t)nxs_pick(s, "code", NXC_K_REJECT, 0, 0, UINT16_MAX);
	nxs_request(s, ss, &m, NXC_W_TERMINATE, 0);
	if (!s->dry)
		ss->state = NXC_S_NEGOTIATED;
}

/* recover with no from/count asked for count numbers up to end (one past
 * the last), more than the venue's history: refused RETRANSMIT_TOO_MANY.
 * Without the venue's file (or with a -c that is not its file) nxclient
 * cannot know how much it keeps, so it does not guess: it says how to ask
 * for the newest part. */
static void recover_hint(const struct script *s, const struct nxc_session *ss, uint64_t end,
			 uint32_t count)
{
	char cfg[96] = "";
	if (s->x->cfg)
		snprintf(cfg, sizeof(cfg), "; -c says %u, not the venue's", s->x->cfg->history);
	fprintf(stderr, "%s:%u: hint: %s: count=%u refused RETRANSMIT_TOO_MANY (more than the "
		"venue's history%s): ask for the newest part, recover s=%s from=%" PRIu64 "-N count=N, "
		"N at most its sessions.history\n", s->path, s->line, ss->name, count, cfg, ss->name, end);
}

static void cmd_recover(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 1);
	struct nx_client_msg m = { .template_id = NX_NXP_RETRANSMIT_REQUEST };
	struct nx_nxp_retransmit_request *o = &m.u.retransmit_request;
	uint64_t from = 0, count = 0;
	int automatic = 1, newest = 0;
	if (!ss)
		return;
	if (nxs_field(s, "from") || nxs_field(s, "count")) {
		from = nxs_unum(s, "from", 1, 0);
		count = nxs_u32(s, "count", 1, 0);
		automatic = 0;
	} else if (ss->c.gap_count) { /* the gap the client library saw */
		from = ss->c.gap_from;
		count = ss->c.gap_count;
	} else if (ss->dropped_from) { /* what we dropped, before any later message showed it */
		from = ss->dropped_from;
		count = ss->dropped_to - ss->dropped_from + 1;
	} else if (!s->dry) {
		nxs_no_leftovers(s);
		nxs_fail(s, 1, "%s: nothing to recover (no gap seen, nothing dropped)", ss->name);
		return;
	}
	/* Longer than the venue's history (known from its file, -c): asked
	 * whole, it is refused RETRANSMIT_TOO_MANY. The venue sent the
	 * range's last number and keeps only its last `history` messages,
	 * so nothing older than the range's newest `history` numbers is
	 * held: ask for those. For the library's gap (a later message seen,
	 * so even that part starts below what the venue keeps) the answer
	 * opens with an empty Retransmission, which takes the older numbers
	 * off the gap (expired). */
	if (automatic && s->x->cfg && count > s->x->cfg->history) {
		from += count - s->x->cfg->history;
		count = s->x->cfg->history;
		newest = 1;
	}
	uint64_t end = from + count;
	o->from_seq_no = from;
	o->count = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count; /* refused TOO_MANY */
	o->session_id = ss->c.session_id;
	o->timestamp = nxc_wall_ns();
	struct nx_client_msg ans = { 0 };
	nxs_request_answer(s, ss, &m, NXC_W_RETRANS, 0, &ans);
	/* Refused, for now (the session's retransmission budget spent, an
	 * answer still going on) or for the range asked (not sent yet, longer
	 * than the venue's history): nothing was resent, so what drop
	 * discarded stays for the next recover, as the library's gap does.
	 * Numbers the venue's history lost are not refused: its empty
	 * Retransmission says they are gone, and the answer is served; so
	 * is what drop discarded below the newest part asked for. */
	int refused = ans.template_id == NX_NXP_RETRANSMIT_REJECT;
	if (refused && automatic && ans.u.retransmit_reject.code == NX_REJ_RETRANSMIT_TOO_MANY)
		recover_hint(s, ss, end, o->count);
	if (!s->rc && !s->dry && !refused && ss->dropped_to >= o->from_seq_no &&
	    ss->dropped_to - o->from_seq_no < o->count &&
	    (ss->dropped_from >= o->from_seq_no || newest))
		ss->dropped_from = ss->dropped_to = 0;
}

static void cmd_drop(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 0);
	uint32_t n = nxs_u32(s, "n", 0, 1);
	nxs_no_leftovers(s);
	if (ss)
		ss->drop_left += n;
}

static void cmd_gap(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 0);
	uint32_t n = nxs_u32(s, "n", 0, 1);
	nxs_no_leftovers(s);
	if (ss)
		ss->c.next_seq += n; /* never sent: the venue reports them NotApplied */
}

static void cmd_expect(struct script *s)
{
	struct nxc_session *ss = nxs_session(s, 0);
	struct field *mf = nxs_field(s, "msg");
	struct nx_client_msg probe = { .seq = 1 };
	char got[64], line[1024];
	if (!ss)
		return;
	if (!mf) {
		nxs_fail(s, 2, "missing msg=");
		return;
	}
	int none = !strcasecmp(mf->val, "none");
	probe.template_id = (uint16_t)(none ? 0 : nxc_template_parse(mf->val));
	if (!none && !probe.template_id)
		nxs_fail(s, 2, "msg: no message named \"%s\"", mf->val);
	for (unsigned i = 0; i < s->nf && !s->rc; i++) {
		struct field *f = &s->f[i];
		if (f->used)
			continue;
		f->used = 1;
		int ok = none ? -1 : nxc_field_check(&probe, f->key, f->val);
		if (ok < 0)
			nxs_fail(s, 2, "%s has no field %s=", mf->val, f->key);
		else if (!ok)
			nxs_fail(s, 2, "%s: \"%s\" is not a value of %s", f->key, f->val, mf->val);
	}
	if (s->rc || s->dry)
		return;
	if (!ss->qlen && !none) {
		struct nxc_want w = { .s = ss, .kind = NXC_W_ANY };
		nxc_run(s->x, &w, s->x->timeout_ms);
	}
	if (!ss->qlen) {
		if (!none)
			nxs_fail(s, 1, "%s: expected %s, got nothing within %u ms", ss->name, mf->val,
				 s->x->timeout_ms);
		return;
	}
	struct nxc_entry *e = &ss->queue[ss->qhead];
	nxc_format(line, sizeof(line), 0, &e->m);
	ss->qhead = (ss->qhead + 1) % NXC_QUEUE_MAX;
	ss->qlen--;
	if (none || e->m.template_id != probe.template_id) {
		nxs_fail(s, 1, "%s: expected %s, got %s", ss->name, none ? "no message" : mf->val, line);
		return;
	}
	for (unsigned i = 0; i < s->nf; i++) {
		const struct field *f = &s->f[i];
		if (f == mf || !strcmp(f->key, "s"))
			continue;
		if (nxc_field_match(&e->m, e->mark == NXC_RESENT, f->key, f->val, got, sizeof(got)) != 1) {
			nxs_fail(s, 1, "%s: expected %s=%s, got %s=%s in %s", ss->name, f->key, f->val,
				 f->key, got, line);
			return;
		}
	}
}

static void cmd_wait(struct script *s)
{
	uint32_t ms = nxs_u32(s, "ms", 1, 0);
	nxs_no_leftovers(s);
	if (s->rc || s->dry)
		return;
	struct nxc_want w = { .kind = NXC_W_TIME };
	nxs_forget(s->x);
	nxc_run(s->x, &w, ms);
}

static void cmd_sleep(struct script *s)
{
	uint32_t ms = nxs_u32(s, "ms", 1, 0);
	nxs_no_leftovers(s);
	if (!s->rc && !s->dry)
		nxc_sleep(s->x, ms);
}

const struct nxs_verb nxs_verbs[] = {
	{ "connect", cmd_connect },     { "new", cmd_new },
	{ "cancel", cmd_cancel },       { "replace", cmd_replace },
	{ "masscancel", cmd_masscancel }, { "instruments", cmd_instruments },
	{ "cod", cmd_cod },
	{ "kill", cmd_kill },           { "status", cmd_status },
	{ "refprice", cmd_refprice },   { "limit", cmd_limit },
	{ "heartbeat", cmd_heartbeat }, { "terminate", cmd_terminate },
	{ "expect", cmd_expect },       { "drop", cmd_drop },
	{ "recover", cmd_recover },     { "gap", cmd_gap },
	{ "wait", cmd_wait },           { "sleep", cmd_sleep },
};

const unsigned nxs_nverbs = sizeof(nxs_verbs) / sizeof(nxs_verbs[0]);
