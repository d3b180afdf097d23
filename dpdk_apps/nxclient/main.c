/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxclient: a scripted NXP client over plain kernel UDP sockets, no DPDK
 * (docs/nxclient.md). It runs scripts of `verb key=value` commands against
 * a venue (the DPDK appliance or its kernel-socket twin) and prints one
 * line per message sent and received: the `make run` demo, the integration
 * tests (transcripts compared byte for byte, expect assertions, simulated
 * loss and recovery), and with --load a closed-loop round-trip latency
 * baseline.
 *
 * Exit status: 0 ok; 1 an expect failed, a request went unanswered or a
 * login was refused; 2 a syntax error in a script or on the command line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nx/types.h"
#include "nxclient.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int nxc_key(const struct nxc *x, nx_acct_t acct, const char *hex, uint8_t key[NX_KEY_BYTES],
	    char *err, size_t errlen)
{
	if (hex) {
		if (strlen(hex) != 2 * NX_KEY_BYTES)
			goto bad;
		for (unsigned i = 0; i < NX_KEY_BYTES; i++) {
			int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
			if (hi < 0 || lo < 0)
				goto bad;
			key[i] = (uint8_t)(hi << 4 | lo);
		}
		return 0;
	}
	if (!x->cfg) {
		snprintf(err, errlen, "no key= for account %" PRIu32 ", and no --config to look it up",
			 acct);
		return -1;
	}
	const struct nx_account_config *a = nx_config_account(x->cfg, acct);
	if (!a) {
		snprintf(err, errlen, "account %" PRIu32 " is not in %s", acct, x->cfg->path);
		return -1;
	}
	memcpy(key, a->key, NX_KEY_BYTES);
	return 0;
bad:
	snprintf(err, errlen, "key: not %d hex digits", 2 * NX_KEY_BYTES);
	return -1;
}

static void usage(const char *prog, FILE *to)
{
	fprintf(to,
		"usage: %s [options] SCRIPT...   run NXP scripts against a venue (- : stdin)\n"
		"       %s --load [options]      closed-loop round-trip latency baseline\n"
		"Scripts: docs/nxclient.md. Options:\n"
		"  -H, --host HOST      venue host (default 127.0.0.1); connect host= overrides\n"
		"  -p, --port PORT      venue UDP port (default 9100); connect port= overrides\n"
		"  -c, --config FILE    venue configuration, for account keys by account id and\n"
		"                       the history recover asks for at most\n"
		"  -t, --timeout MS     how long to wait for an answer (default 1000)\n"
		"      --settle MS      after an answer, how long to collect what other sessions\n"
		"                       receive (default 5)\n"
		"      --times          also print timestamps, session ids and heartbeats\n"
		"  -v, --echo           copy the script's comment lines into the transcript\n"
		"Load mode (one session, NewOrder post-only then its CancelOrder, repeated):\n"
		"      --load           measure round trips; one `rtt ...` line on stdout\n"
		"  -n, --count N        measured round trips (default 100000)\n"
		"      --warmup N       round trips before measuring (default 1000)\n"
		"  -a, --acct N         account (default 1)\n"
		"  -k, --key HEX        its key, 64 hex digits (else from --config)\n"
		"  -i, --inst N         instrument (default 1)\n"
		"      --side BUY|SELL  side of the resting order (default BUY)\n"
		"      --px N           its price (default: 10 ticks behind the reference price)\n"
		"      --qty N          its quantity (default: the instrument's minimum)\n"
		"      --busy           spin on the socket instead of sleeping in poll()\n"
		"  -h, --help           this text\n",
		prog, prog);
}

static int opt_num(const char *name, const char *arg, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v > max) {
		fprintf(stderr, "nxclient: --%s: not a number up to %" PRIu64 "\n", name, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* After a failure: end the bindings without waiting, so the venue does not
 * keep them until their keepalive runs out. */
static void hang_up(struct nxc *x)
{
	for (unsigned i = 0; i < x->nsess; i++) {
		struct nxc_session *s = &x->sess[i];
		uint8_t b[64];
		if (s->state == NXC_S_UP)
			nxc_send(x, s, b, nx_client_terminate(&s->c, b, sizeof(b), 0));
	}
}

enum { O_SETTLE = 256, O_TIMES, O_LOAD, O_WARMUP, O_SIDE, O_PX, O_QTY, O_BUSY };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },   { "port", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' }, { "timeout", required_argument, NULL, 't' },
		{ "settle", required_argument, NULL, O_SETTLE }, { "times", no_argument, NULL, O_TIMES },
		{ "echo", no_argument, NULL, 'v' },         { "load", no_argument, NULL, O_LOAD },
		{ "count", required_argument, NULL, 'n' },  { "warmup", required_argument, NULL, O_WARMUP },
		{ "acct", required_argument, NULL, 'a' },   { "key", required_argument, NULL, 'k' },
		{ "inst", required_argument, NULL, 'i' },   { "side", required_argument, NULL, O_SIDE },
		{ "px", required_argument, NULL, O_PX },    { "qty", required_argument, NULL, O_QTY },
		{ "busy", no_argument, NULL, O_BUSY },      { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct nxc x; /* large (sessions), and main's only */
	struct nxc_load ld = { .count = 100000, .warmup = 1000, .acct = 1, .inst = 1,
			       .side = NX_SIDE_BUY };
	struct nx_venue_config cfg;
	const char *cfg_path = NULL;
	int load = 0, rc = 0;
	uint64_t v;
	char err[512];

	x.host = "127.0.0.1";
	x.port = 9100;
	x.timeout_ms = 1000;
	x.settle_ms = 5;
	x.out = stdout;
	for (int c; (c = getopt_long(argc, argv, "H:p:c:t:vn:a:k:i:h", opts, NULL)) != -1;) {
		switch (c) {
		case 'H': x.host = optarg; break;
		case 'p':
			if (opt_num("port", optarg, UINT16_MAX, &v))
				return 2;
			if (!v) {
				fprintf(stderr, "nxclient: --port: 0 is not a UDP port\n");
				return 2;
			}
			x.port = (uint16_t)v;
			break;
		case 'c': cfg_path = optarg; break;
		case 't':
			if (opt_num("timeout", optarg, 3600000, &v))
				return 2;
			x.timeout_ms = (uint32_t)v;
			break;
		case O_SETTLE:
			if (opt_num("settle", optarg, 60000, &v))
				return 2;
			x.settle_ms = (uint32_t)v;
			break;
		case O_TIMES: x.times = 1; break;
		case 'v': x.echo = 1; break;
		case O_LOAD: load = 1; break;
		case 'n':
			if (opt_num("count", optarg, UINT32_MAX, &ld.count))
				return 2;
			if (!ld.count) {
				fprintf(stderr, "nxclient: --count: at least 1\n");
				return 2;
			}
			break;
		case O_WARMUP:
			if (opt_num("warmup", optarg, UINT32_MAX, &ld.warmup))
				return 2;
			break;
		case 'a':
			if (opt_num("acct", optarg, UINT32_MAX, &v))
				return 2;
			ld.acct = (nx_acct_t)v;
			break;
		case 'k': ld.key_hex = optarg; break;
		case 'i':
			if (opt_num("inst", optarg, UINT32_MAX, &v))
				return 2;
			ld.inst = (nx_inst_t)v;
			break;
		case O_SIDE:
			if (!strcasecmp(optarg, "BUY") || !strcasecmp(optarg, "B"))
				ld.side = NX_SIDE_BUY;
			else if (!strcasecmp(optarg, "SELL") || !strcasecmp(optarg, "S"))
				ld.side = NX_SIDE_SELL;
			else {
				fprintf(stderr, "nxclient: --side: BUY or SELL\n");
				return 2;
			}
			break;
		case O_PX:
			if (opt_num("px", optarg, INT64_MAX, &v))
				return 2;
			ld.px = (int64_t)v;
			break;
		case O_QTY:
			if (opt_num("qty", optarg, INT64_MAX, &v))
				return 2;
			ld.qty = (int64_t)v;
			break;
		case O_BUSY: ld.busy = 1; break;
		case 'h': usage(argv[0], stdout); return 0;
		default: usage(argv[0], stderr); return 2;
		}
	}
	if (load == (optind < argc)) {
		fprintf(stderr, "nxclient: give script files, or --load\n");
		usage(argv[0], stderr);
		return 2;
	}
	if (cfg_path) {
		if (nx_config_load(cfg_path, &cfg, err, sizeof(err))) {
			fprintf(stderr, "nxclient: %s\n", err);
			return 2;
		}
		x.cfg = &cfg;
	}
	if (nxc_init(&x)) {
		fprintf(stderr, "nxclient: out of memory\n");
		return 1;
	}
	if (load) {
		x.out = stderr; /* the login; stdout carries only the result */
		rc = nxc_load_run(&x, &ld);
	} else {
		for (int i = optind; i < argc && !rc; i++) {
			int std = !strcmp(argv[i], "-");
			FILE *in = std ? stdin : fopen(argv[i], "r");
			if (!in) {
				fprintf(stderr, "nxclient: %s: %s\n", argv[i], strerror(errno));
				rc = 2;
				break;
			}
			rc = nxc_script_run(&x, std ? "<stdin>" : argv[i], in);
			if (!std)
				fclose(in);
		}
		if (rc)
			hang_up(&x);
		else
			rc = nxc_script_finish(&x);
	}
	fflush(stdout);
	nxc_fini(&x);
	if (x.cfg)
		nx_config_free(&cfg);
	return rc;
}
