/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxgen: the load generator of the latency lab (docs/nxgen.md).
 *
 *   nxgen [EAL options --] -c venue.cfg [options]
 *   nxgen [EAL options --] -c venue.cfg [options] --compare SPEC_A SPEC_B
 *
 * Options come from one table, used for the command line and for the
 * --compare specs alike: a spec is "option=value,option=value" (long names
 * without the dashes) applied on top of the command line; a piece that is
 * not an option continues the previous value, so "mix=new=50,cancel=50" and
 * "accounts=1,2" read naturally. EAL arguments (DPDK backend only) are
 * everything before a standalone "--"; the EAL is initialised once, when a
 * run needs it.
 *
 * Exit status: 0 the run(s) completed (losses and rejects are results, not
 * failures), 1 a run could not start or the venue did not answer, 2 a bad
 * option.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nxgen.h"

static volatile int g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void usage(void)
{
	printf(
"Usage: nxgen [EAL options --] -c VENUE.cfg [options]\n"
"       nxgen [EAL options --] -c VENUE.cfg [options] --compare SPEC_A SPEC_B\n"
"\n"
"Drives a nanoex venue with real NXP sessions and measures every request from its\n"
"intended send time to its answer (docs/nxgen.md).\n"
"\n"
"Venue and sessions\n"
"  -c, --config FILE      venue file: instruments, account keys, shards' UDP ports (required)\n"
"  -H, --host IP          venue address (default: the file's net.ports[0].ipv4)\n"
"      --venue-port N     UDP port when the file has no net section (9100)\n"
"  -s, --sessions N       sessions (default: one per account and shard)\n"
"  -a, --accounts LIST    accounts to log in, e.g. 1,2 (default: every non-admin one)\n"
"  -i, --instruments LIST instruments (default: every one with a ref_px)\n"
"      --keepalive MS     heartbeat interval sent in Establish (1000)\n"
"Load\n"
"  -m, --mode closed|open closed loop: one request in flight per session (default);\n"
"                         open loop: --rate requests/s over all sessions\n"
"  -r, --rate N           open-loop target rate (sets --mode open)\n"
"      --arrival const|poisson   inter-send times (default poisson)\n"
"      --mix SPEC         new=40,cancel=30,replace=10,aggressive=10,ioc=5,reject=5 (default)\n"
"      --levels N         passive price levels behind the reference (10)\n"
"      --max-live N       resting orders per session (32, at most %d)\n"
"      --window N         requests in flight per session, power of two (1024)\n"
"  -w, --warmup S         warm-up seconds, not measured (1)\n"
"  -d, --duration S       measured seconds (10)\n"
"  -n, --count N          measured requests instead of a duration\n"
"  -t, --timeout MS       a request unanswered this long is lost (1000)\n"
"      --seed N           random seed of the mix (1)\n"
"Measurement and output\n"
"      --clock tsc|mono   time source (tsc: calibrated rdtsc, default where invariant)\n"
"      --idle busy|sleep  spin between events (default) or sleep in the poll\n"
"      --cpu N            pin the generator to CPU N (sock backend; DPDK: use EAL -l)\n"
"  -o, --out DIR          results folder: summary, .hgrm, timeseries.csv, plots, facts\n"
"  -q, --quiet            no progress line\n"
"      --name NAME        label of the run\n"
"      --drop-every N     test: drop every Nth received datagram, as if lost\n"
"Backend\n"
"      --io sock|dpdk     kernel UDP sockets (default) or a DPDK port\n"
"      --dev NAME         DPDK port (default: the first); EAL args attach it\n"
"      --src-ip IP        our IPv4 address on the DPDK port (required with --io dpdk)\n"
"      --src-port N       first local UDP port, session i uses N+i (40000)\n"
"Comparison\n"
"      --compare A B      two runs, each the options above plus a spec \"opt=val,...\",\n"
"                         e.g. --compare \"name=tap,host=10.97.0.1\" \"name=sock,host=127.0.0.1\"\n"
"\n"
"Example: nxgen -c venue.cfg --rate 20000 -d 5 -o results/open20k\n"
"         nxgen -l 0 --no-huge --no-pci -m 256 --vdev=net_af_packet0,iface=veth0 -- \\\n"
"               -c venue.cfg --io dpdk --src-ip 10.97.0.2 -n 100000\n", NXG_MAX_LIVE);
}

static int num(const char *v, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end || !(d >= lo && d <= hi))
		return -1;
	*out = d;
	return 0;
}

/* An integer option: digits (all 64 bits, so two seeds never collide), or a
 * number like 1e6 that is a whole number below 2^53; never a fraction. */
static int inum(const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	uint64_t x;
	if (*v >= '0' && *v <= '9' && !v[strspn(v, "0123456789")]) {
		errno = 0;
		x = strtoull(v, &end, 10);
		if (errno)
			return -1;
	} else {
		double d;
		if (num(v, 0, 9007199254740992.0, &d) || d != (double)(uint64_t)d)
			return -1;
		x = (uint64_t)d;
	}
	if (x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

/* inum into a uint32_t (hi <= UINT32_MAX). */
static int inum32(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint64_t x;
	if (inum(v, lo, hi, &x))
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int list(const char *v, uint32_t *out, uint32_t *n, uint32_t cap)
{
	*n = 0;
	for (const char *p = v; *p;) {
		char *end;
		unsigned long x = strtoul(p, &end, 10);
		if (end == p || !x || x > UINT32_MAX || *n == cap)
			return -1;
		out[(*n)++] = (uint32_t)x;
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		p = end;
	}
	return *n ? 0 : -1;
}

static int parse_mix(const char *v, uint32_t *mix)
{
	uint32_t m[NXG_NKINDS] = { 0 }, sum = 0, named = 0;
	char buf[256];
	if (snprintf(buf, sizeof(buf), "%s", v) >= (int)sizeof(buf))
		return -1;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		int k = 0;
		if (!eq)
			return -1;
		*eq = 0;
		while (k < NXG_NKINDS && strcmp(t, nxg_kind_name[k]))
			k++;
		/* A kind named twice is a mistake, and summing both weights let
		 * new=1,new=0 pass as non-zero with every weight 0 (SIGFPE). */
		if (k == NXG_NKINDS || (named & 1u << k) || inum32(eq + 1, 0, 1000000, &m[k]))
			return -1;
		named |= 1u << k;
	}
	for (int k = 0; k < NXG_NKINDS; k++)
		sum += m[k];
	if (!sum)
		return -1;
	memcpy(mix, m, sizeof(m));
	return 0;
}

/* The option table: long name, short letter, takes a value. */
static const struct opt { const char *name; char sh; uint8_t arg; } OPTS[] = {
	{ "config", 'c', 1 }, { "host", 'H', 1 }, { "venue-port", 0, 1 }, { "sessions", 's', 1 },
	{ "accounts", 'a', 1 }, { "instruments", 'i', 1 }, { "keepalive", 0, 1 },
	{ "mode", 'm', 1 }, { "rate", 'r', 1 }, { "arrival", 0, 1 }, { "mix", 0, 1 },
	{ "levels", 0, 1 }, { "max-live", 0, 1 }, { "window", 0, 1 }, { "warmup", 'w', 1 },
	{ "duration", 'd', 1 }, { "count", 'n', 1 }, { "timeout", 't', 1 }, { "seed", 0, 1 },
	{ "clock", 0, 1 }, { "idle", 0, 1 }, { "cpu", 0, 1 }, { "out", 'o', 1 }, { "quiet", 'q', 0 },
	{ "name", 0, 1 }, { "drop-every", 0, 1 }, { "io", 0, 1 }, { "dev", 0, 1 }, { "src-ip", 0, 1 },
	{ "src-port", 0, 1 }, { "compare", 0, 2 }, { "help", 'h', 0 },
};

static const struct opt *find_opt(const char *name, size_t len, char sh)
{
	for (size_t i = 0; i < sizeof(OPTS) / sizeof(OPTS[0]); i++)
		if (sh ? OPTS[i].sh == sh : strlen(OPTS[i].name) == len && !strncmp(OPTS[i].name, name, len))
			return &OPTS[i];
	return NULL;
}

int nxg_opt_set(struct nxg_opts *o, const char *name, const char *val, char *err, size_t errlen)
{
	uint32_t x = 0;
	int bad = 0;
#define IS(s) (!strcmp(name, s))
	if (IS("config")) o->config = val;
	else if (IS("host")) {
		struct in_addr a; /* a dotted quad, nothing after it: said here (exit 2), not at the run */
		bad = snprintf(o->host, sizeof(o->host), "%s", val) >= (int)sizeof(o->host) ||
		      inet_pton(AF_INET, val, &a) != 1;
	}
	else if (IS("venue-port")) { if (!(bad = inum32(val, 1, 65535, &x))) o->venue_port = (uint16_t)x; }
	else if (IS("sessions")) bad = inum32(val, 1, NXG_MAX_SESSIONS, &o->sessions);
	else if (IS("accounts")) bad = list(val, o->accts, &o->naccts, NXG_MAX_ACCTS);
	else if (IS("instruments")) bad = list(val, o->insts, &o->ninsts, NXG_MAX_INSTS);
	else if (IS("keepalive")) bad = inum32(val, 10, 600000, &o->keepalive_ms);
	else if (IS("mode")) {
		bad = strcmp(val, "closed") && strcmp(val, "open");
		o->mode = !strcmp(val, "open") ? NXG_OPEN : NXG_CLOSED;
	} else if (IS("rate")) { bad = num(val, 1, 1e9, &o->rate); o->mode = NXG_OPEN; }
	else if (IS("arrival")) {
		bad = strcmp(val, "const") && strcmp(val, "poisson");
		o->arrival = !strcmp(val, "const") ? NXG_CONST : NXG_POISSON;
	} else if (IS("mix")) bad = parse_mix(val, o->mix);
	else if (IS("levels")) bad = inum32(val, 1, 10000, &o->levels);
	else if (IS("max-live")) bad = inum32(val, 1, NXG_MAX_LIVE, &o->max_live);
	else if (IS("window")) {
		bad = inum32(val, 1, 1 << 20, &o->window) || (o->window & (o->window - 1));
	} else if (IS("warmup")) bad = num(val, 0, 3600, &o->warmup_s);
	else if (IS("duration")) { bad = num(val, 0.001, 86400, &o->duration_s); o->count = 0; }
	else if (IS("count")) bad = inum(val, 1, UINT64_C(1000000000000), &o->count);
	else if (IS("timeout")) bad = inum32(val, 1, 600000, &o->timeout_ms);
	else if (IS("seed")) bad = inum(val, 0, UINT64_MAX, &o->seed);
	else if (IS("clock")) {
		bad = strcmp(val, "tsc") && strcmp(val, "mono");
		o->clock = !strcmp(val, "mono") ? NXG_CLOCK_MONO : NXG_CLOCK_TSC;
	} else if (IS("idle")) {
		bad = strcmp(val, "busy") && strcmp(val, "sleep");
		o->busy = !strcmp(val, "busy");
	} else if (IS("cpu")) { if (!(bad = inum32(val, 0, CPU_SETSIZE - 1, &x))) o->cpu = (int)x; }
	else if (IS("out")) o->out = val;
	else if (IS("quiet")) o->quiet = 1;
	else if (IS("name")) bad = snprintf(o->name, sizeof(o->name), "%s", val) >= (int)sizeof(o->name);
	else if (IS("drop-every")) bad = inum32(val, 0, 1000000000, &o->drop_every);
	else if (IS("io")) {
		bad = strcmp(val, "sock") && strcmp(val, "dpdk");
		o->io = !strcmp(val, "dpdk") ? NXG_IO_DPDK : NXG_IO_SOCK;
	} else if (IS("dev")) bad = snprintf(o->dev, sizeof(o->dev), "%s", val) >= (int)sizeof(o->dev);
	else if (IS("src-ip")) {
		struct in_addr a;
		bad = snprintf(o->src_ip, sizeof(o->src_ip), "%s", val) >= (int)sizeof(o->src_ip) ||
		      inet_pton(AF_INET, val, &a) != 1;
	}
	else if (IS("src-port")) {
		if (!(bad = inum32(val, 1, 65535 - NXG_MAX_SESSIONS, &x)))
			o->src_port = (uint16_t)x;
	}
	else {
		snprintf(err, errlen, "unknown option %s (try --help)", name);
		return -1;
	}
#undef IS
	if (bad) {
		snprintf(err, errlen, "--%s %s: bad value (see --help)", name, val);
		return -1;
	}
	return 0;
}

/* Options that contradict each other when given at one level (the command
 * line, or one --compare spec): refused, not settled silently by their order.
 * A spec may still override the command line (count=N over -d S). */
struct given {
	uint8_t rate, closed, duration, count;
};

static void note_given(struct given *g, const char *name, const char *val)
{
	if (!strcmp(name, "rate"))
		g->rate = 1;
	else if (!strcmp(name, "mode") && !strcmp(val, "closed"))
		g->closed = 1;
	else if (!strcmp(name, "duration"))
		g->duration = 1;
	else if (!strcmp(name, "count"))
		g->count = 1;
}

static int given_conflict(const struct given *g, const char *where, char *err, size_t errlen)
{
	if (g->rate && g->closed)
		return snprintf(err, errlen, "%s--rate is the open loop's rate: it contradicts --mode closed",
				where), -1;
	if (g->duration && g->count)
		return snprintf(err, errlen, "%s--duration and --count both give the measured window: "
				"give one", where), -1;
	return 0;
}
/* A copy of v in a static arena (the value an option keeps must outlive
 * the spec's parsing buffer; the arena is never freed, so nothing leaks
 * as strdup did). An arena too full gives "" and the option refuses it. */
static const char *keep_value(char *arena, size_t cap, size_t *used, const char *v)
{
	size_t n = strlen(v) + 1;
	if (n > cap - *used)
		return "";
	char *p = memcpy(arena + *used, v, n);
	*used += n;
	return p;
}


/* A --compare spec on top of base. */
static int apply_spec(struct nxg_opts *o, const char *spec, char *err, size_t errlen)
{
	static char store[2][1024]; /* option values point into it for the whole run */
	static int used;
	static char kept[4096];     /* and into this: each value, copied whole */
	static size_t nkept;
	char *buf = store[used++ & 1];
	char val[512];
	snprintf(buf, sizeof(store[0]), "%s", spec);
	char *p = buf, *name = NULL, where[64];
	struct given gv = { 0 };
	val[0] = 0;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = 0;
		char *eq = strchr(p, '=');
		const struct opt *op = eq ? find_opt(p, (size_t)(eq - p), 0) : NULL;
		if ((!op || op->arg == 2) && !name) {
			snprintf(err, errlen, "--compare \"%s\": \"%s\" is not option=value", spec, p);
			return -1;
		}
		if (op && op->arg != 2) {
			if (name && nxg_opt_set(o, name, keep_value(kept, sizeof(kept), &nkept, val),
						err, errlen))
				return -1;
			if (name)
				note_given(&gv, name, val);
			*eq = 0;
			name = p;
			snprintf(val, sizeof(val), "%s", eq + 1);
		} else {
			size_t l = strlen(val);
			snprintf(val + l, sizeof(val) - l, ",%s", p);
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	if (!name)
		return 0;
	if (nxg_opt_set(o, name, keep_value(kept, sizeof(kept), &nkept, val), err, errlen))
		return -1;
	note_given(&gv, name, val);
	snprintf(where, sizeof(where), "--compare spec %s: ", o->name);
	return given_conflict(&gv, where, err, errlen);
}

static int check(const struct nxg_opts *o, char *err, size_t errlen)
{
	if (!o->config)
		return snprintf(err, errlen, "--config is required (the venue file)"), -1;
	if (o->mode == NXG_OPEN && o->rate <= 0)
		return snprintf(err, errlen, "open loop needs --rate"), -1;
	if (o->io == NXG_IO_DPDK && !o->src_ip[0])
		return snprintf(err, errlen, "--io dpdk needs --src-ip (our address on the port)"), -1;
	return 0;
}

/* The repository's root (for nic_config/check-host.sh): beside the binary's build/. */
static void find_root(char *root, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	snprintf(root, len, ".");
	if (n <= 0)
		return;
	exe[n] = 0;
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(exe, '/');
		if (!slash)
			return;
		*slash = 0;
		char probe[PATH_MAX + 32];
		snprintf(probe, sizeof(probe), "%s/nic_config/check-host.sh", exe);
		if (!access(probe, R_OK)) {
			snprintf(root, len, "%s", exe);
			return;
		}
	}
}

static int run_one(const struct nxg_opts *o, const struct nx_venue_config *cfg, struct nxg_result *r,
		   int argc, char **argv, const char *root, const char *subdir)
{
	if (nxg_run(o, cfg, r, &g_stop))
		return 1;
	nxg_report_summary(stdout, r);
	nxg_report_line(stdout, r);
	fflush(stdout);
	if (o->out) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s%s%s", o->out, subdir ? "/" : "", subdir ? subdir : "");
		if (nxg_report_write(dir, r, argc, argv, root))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct nxg_opts base, a, b;
	struct nx_venue_config cfg, cfg_b;
	struct nxg_result ra, rb;
	const char *spec[2] = { NULL, NULL };
	char err[512], root[PATH_MAX];
	int eal_argc = 0, rc = 1;
	struct given gv = { 0 };

	memset(&cfg_b, 0, sizeof(cfg_b));

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			eal_argc = i;
			break;
		}
	nxg_opts_default(&base);
	for (int i = eal_argc + 1; i < argc; i++) {
		const char *arg = argv[i], *val = NULL;
		const struct opt *op = NULL;
		if (arg[0] == '-' && arg[1] == '-') {
			const char *eq = strchr(arg + 2, '=');
			op = find_opt(arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2), 0);
			if (eq)
				val = eq + 1;
		} else if (arg[0] == '-' && arg[1] && !arg[2]) {
			op = find_opt(NULL, 0, arg[1]);
		}
		if (!op) {
			fprintf(stderr, "nxgen: unknown option %s (try --help)\n", arg);
			return 2;
		}
		if (!strcmp(op->name, "help")) {
			usage();
			return 0;
		}
		if (op->arg == 2) {
			if (i + 2 >= argc) {
				fprintf(stderr, "nxgen: --compare takes two specs (try --help)\n");
				return 2;
			}
			spec[0] = argv[++i];
			spec[1] = argv[++i];
			continue;
		}
		if (op->arg && !val) {
			if (i + 1 >= argc) {
				fprintf(stderr, "nxgen: --%s needs a value\n", op->name);
				return 2;
			}
			val = argv[++i];
		}
		if (nxg_opt_set(&base, op->name, val ? val : "1", err, sizeof(err))) {
			fprintf(stderr, "nxgen: %s\n", err);
			return 2;
		}
		note_given(&gv, op->name, val ? val : "1");
	}
	if (given_conflict(&gv, "", err, sizeof(err))) {
		fprintf(stderr, "nxgen: %s\n", err);
		return 2;
	}
	a = b = base;
	if (spec[0]) {
		snprintf(a.name, sizeof(a.name), "A");
		snprintf(b.name, sizeof(b.name), "B");
		if (apply_spec(&a, spec[0], err, sizeof(err)) || apply_spec(&b, spec[1], err, sizeof(err))) {
			fprintf(stderr, "nxgen: %s\n", err);
			return 2;
		}
	} else if (!a.name[0]) {
		snprintf(a.name, sizeof(a.name), "run");
	}
	if (check(&a, err, sizeof(err)) || (spec[0] && check(&b, err, sizeof(err)))) {
		fprintf(stderr, "nxgen: %s\n", err);
		return 2;
	}
	if (nx_config_load(a.config, &cfg, err, sizeof(err)) ||
	    (spec[0] && nx_config_load(b.config, &cfg_b, err, sizeof(err)))) {
		fprintf(stderr, "nxgen: %s\n", err);
		nx_config_free(&cfg);
		return 2;
	}
	find_root(root, sizeof(root));
	int dpdk = a.io == NXG_IO_DPDK || (spec[0] && b.io == NXG_IO_DPDK);
	if (dpdk) {
		char *eal[64] = { argv[0] };
		int n = 1;
		for (int i = 1; i < eal_argc && n < 63; i++)
			eal[n++] = argv[i];
		if (nxg_dpdk_eal_init(n, eal))
			goto out;
	} else if (eal_argc) {
		fprintf(stderr, "nxgen: note: EAL arguments ignored without --io dpdk\n");
	}
	if (a.cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(a.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			fprintf(stderr, "nxgen: cannot pin to CPU %d: %s\n", a.cpu, strerror(errno));
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (!spec[0]) {
		rc = run_one(&a, &cfg, &ra, argc, argv, root, NULL);
		nxg_result_free(&ra);
	} else {
		memset(&rb, 0, sizeof(rb));
		rc = run_one(&a, &cfg, &ra, argc, argv, root, a.name);
		if (!rc && !g_stop)
			rc = run_one(&b, &cfg_b, &rb, argc, argv, root, b.name);
		if (!rc && ra.ok && rb.ok) {
			nxg_report_compare(stdout, &ra, &rb);
			if (a.out && nxg_report_compare_write(a.out, &ra, &rb, argc, argv, root))
				rc = 1;
		}
		nxg_result_free(&ra);
		nxg_result_free(&rb);
	}
	if (dpdk)
		nxg_dpdk_eal_fini();
out:
	nx_config_free(&cfg);
	nx_config_free(&cfg_b);
	return rc;
}
