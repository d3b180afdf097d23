/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The engine fixture (engine_helpers.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "nx/book.h"
#include "nx/risk.h"
#include "engine_helpers.h"

const uint8_t key_a[32] = { 1 }, key_b[32] = { 2 }, key_adm[32] = { 9 };

const struct nx_limits eh_limits = { .max_order_notional = 1000000, .position_limit = 100,
				      .credit_limit = 10000000, .max_open_orders = 50,
				      .msg_rate = 1000, .msg_burst = 100 };

struct nx_engine *make_engine(void)
{
	struct nx_instrument inst = { .id = INST, .symbol = "BTC-USD", .band_ticks = 100,
				      .ref_px = 1000 };
	nx_instrument_defaults(&inst);
	return make_engine_with(&inst, &eh_limits);
}

struct nx_engine *make_engine_with(const struct nx_instrument *inst, const struct nx_limits *limits)
{
	return make_engine_capped(inst, limits, 0);
}

struct nx_engine *make_engine_capped(const struct nx_instrument *inst, const struct nx_limits *limits,
				     uint32_t sessions_per_account)
{
	char err[256];
	struct nx_engine *e = make_engine_cfg(inst, limits, sessions_per_account, 0, 0, err, sizeof(err));
	if (!e)
		fail_msg("%s", err);
	return e;
}

struct nx_engine *make_engine_retransmit(uint32_t rate, uint32_t burst, char *err, size_t errlen)
{
	struct nx_instrument inst = { .id = INST, .symbol = "BTC-USD", .band_ticks = 100,
				      .ref_px = 1000 };
	nx_instrument_defaults(&inst);
	return make_engine_cfg(&inst, &eh_limits, 0, rate, burst, err, errlen);
}

uint32_t eh_prefetch_min_orders;

struct nx_engine *make_engine_cfg(const struct nx_instrument *inst, const struct nx_limits *limits,
				  uint32_t sessions_per_account, uint32_t retransmit_rate,
				  uint32_t retransmit_burst, char *err, size_t errlen)
{
	struct nx_account_config acc[3];
	struct nx_instrument in = *inst; /* the config's pointer is not const */
	struct nx_limits lim = *limits;
	acc[0] = (struct nx_account_config){ .id = A, .limits = lim, .cancel_on_disconnect = 1 };
	memcpy(acc[0].key, key_a, 32);
	acc[1] = (struct nx_account_config){ .id = B, .limits = lim, .src_ip = IP_B,
					     .cancel_on_disconnect = 0 };
	memcpy(acc[1].key, key_b, 32);
	acc[2] = (struct nx_account_config){ .id = ADM, .limits = lim, .admin = 1 };
	memcpy(acc[2].key, key_adm, 32);
	struct nx_venue_config c = { .path = "test", .max_orders = 1024, .ladder_ticks = 4096,
				     .max_sessions = 8, .keepalive_ms = 1000, .history = EH_HISTORY,
				     .ninstruments = 1, .naccounts = 3, .instruments = &in,
				     .accounts = acc, .sessions_per_account = sessions_per_account,
				     .retransmit_rate = retransmit_rate,
				     .retransmit_burst = retransmit_burst,
				     .prefetch_min_orders = eh_prefetch_min_orders };
	eh_prefetch_min_orders = 0; /* read once: a test that fails later cannot leave it set */
	return nx_engine_create(&c, NULL, NULL, err, errlen);
}

/* Decode every datagram of f->out (to any address, by its client) into f->m. */
static int decode_out(struct fx *f)
{
	f->nm = 0;
	for (uint32_t i = 0; i < f->out.n; i++) {
		struct nx_client *c = f->out.d[i].to.ip == IP_B ? &f->cb
				    : f->out.d[i].to.port == 9 ? &f->cadm : &f->ca;
		int k = nx_client_read(c, f->out.d[i].data, f->out.d[i].len, f->m + f->nm,
				       (unsigned)(EH_OUT_CAP - f->nm));
		assert_true(k >= 0);
		f->nm += k;
	}
	return f->nm;
}

int rx(struct fx *f, struct nx_addr from, const void *buf, size_t len)
{
	f->out.n = 0;
	nx_engine_rx(f->e, buf, len, from, f->now, &f->out);
	return decode_out(f);
}

int poll_timers(struct fx *f)
{
	f->out.n = 0;
	nx_engine_poll(f->e, f->now, &f->out);
	return decode_out(f);
}

const struct nx_client_msg *msg(struct fx *f, int n)
{
	for (int i = 0; i < f->nm; i++) {
		uint16_t t = f->m[i].template_id;
		if (t == NX_NXP_SEQUENCE || t == NX_NXP_RETRANSMISSION)
			continue;
		if (n-- == 0)
			return &f->m[i];
	}
	fail_msg("no message %d in the reply", n);
	return NULL;
}

int count_msgs(struct fx *f)
{
	int n = 0;
	for (int i = 0; i < f->nm; i++)
		n += f->m[i].template_id != NX_NXP_SEQUENCE && f->m[i].template_id != NX_NXP_RETRANSMISSION;
	return n;
}

void login(struct fx *f, struct nx_client *c, struct nx_addr a)
{
	uint8_t buf[256];
	size_t n = nx_client_negotiate(c, buf, sizeof(buf), f->now + 1);
	rx(f, a, buf, n);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_NEGOTIATION_RESPONSE);
	n = nx_client_establish(c, buf, sizeof(buf), f->now + 2, 1000);
	rx(f, a, buf, n);
	assert_int_equal(msg(f, 0)->template_id, NX_NXP_ESTABLISHMENT_ACK);
}

void spend_messages(struct fx *f, struct nx_client *c, struct nx_addr a, nx_acct_t acct, int n)
{
	uint8_t buf[1500];
	struct nx_nxp_writer w;
	for (int d = 0; d * 20 < n; d++) {
		nx_client_begin(c, &w, buf, sizeof(buf));
		for (int k = 0; k < 20 && d * 20 + k < n; k++) {
			struct nx_nxp_cancel_order x = { .cl_ord_id = 1000u + (unsigned)(d * 20 + k),
							 .orig_cl_ord_id = 1, .account = acct };
			assert_true(nx_client_cancel(c, &w, &x) > 0);
		}
		rx(f, a, buf, w.len);
	}
}

struct fx *fx_of(struct nx_engine *e)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_non_null(e);
	f->e = e;
	f->out = (struct nx_out){ .d = f->d, .cap = EH_OUT_CAP };
	f->now = 1000 * MS;
	f->aa = (struct nx_addr){ .ip = IP_A, .port = 5000 };
	f->ab = (struct nx_addr){ .ip = IP_B, .port = 6000 };
	f->aadm = (struct nx_addr){ .ip = IP_A, .port = 9 };
	nx_client_init(&f->ca, 101, A, key_a);
	nx_client_init(&f->cb, 202, B, key_b);
	nx_client_init(&f->cadm, 909, ADM, key_adm);
	return f;
}

struct fx *fx_unbound(void)
{
	struct nx_instrument inst = { .id = INST, .symbol = "BTC-USD", .band_ticks = 100,
				      .ref_px = 1000 };
	const struct nx_limits lim = { .max_order_notional = 1000000000, .position_limit = 100000,
				       .credit_limit = 1000000000000, .max_open_orders = 1000,
				       .msg_rate = 1000000, .msg_burst = 1000000 };
	nx_instrument_defaults(&inst);
	struct fx *f = fx_of(make_engine_with(&inst, &lim));
	login(f, &f->ca, f->aa);
	login(f, &f->cb, f->ab);
	return f;
}

void fx_free(struct fx *f)
{
	nx_engine_destroy(f->e);
	free(f);
}

int setup(void **state)
{
	*state = fx_of(make_engine());
	return 0;
}

int teardown(void **state)
{
	struct fx *f = *state;
	nx_engine_destroy(f->e);
	free(f);
	return 0;
}

struct nx_nxp_new_order order(nx_acct_t acct, uint64_t cl, unsigned side, int64_t px, int64_t qty)
{
	return (struct nx_nxp_new_order){ .cl_ord_id = cl, .price = px, .qty = qty, .account = acct,
		.instrument = INST, .side = (uint8_t)side, .ord_type = NX_ORD_LIMIT,
		.time_in_force = NX_TIF_GTC };
}

size_t order_dgram(struct nx_client *c, const struct nx_nxp_new_order *o, uint8_t *buf, size_t cap)
{
	struct nx_nxp_writer w;
	nx_client_begin(c, &w, buf, cap);
	assert_true(nx_client_new_order(c, &w, o) > 0);
	return w.len;
}

void send_order(struct fx *f, struct nx_client *c, struct nx_addr a, const struct nx_nxp_new_order *o)
{
	uint8_t buf[512];
	rx(f, a, buf, order_dgram(c, o, buf, sizeof(buf)));
}

void send_replace(struct fx *f, struct nx_client *c, struct nx_addr a,
		  const struct nx_nxp_cancel_replace *r)
{
	uint8_t buf[512];
	struct nx_nxp_writer w;
	nx_client_begin(c, &w, buf, sizeof(buf));
	assert_true(nx_client_replace(c, &w, r) > 0);
	rx(f, a, buf, w.len);
}

