/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxgen's clock. With --clock tsc (the default on x86-64 with an invariant
 * TSC) every time stamp is one rdtsc scaled to ns: the TSC frequency is
 * measured against CLOCK_MONOTONIC over 200 ms at start-up (two reads of
 * each around a sleep, the smaller bracketing kept), so readings cost ~20 ns
 * and never enter the kernel. Without constant_tsc/nonstop_tsc (frequency
 * changes with power states, or stops in deep C-states) it falls back to
 * CLOCK_MONOTONIC and says so; --clock mono asks for it (vDSO, ~25-60 ns).
 * Not a wall clock: only differences are reported. A test may give its own
 * time instead (nxg_opts.test_now_ns), moved by its backend, so that what a
 * run does does not depend on how fast the machine runs it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nxgen.h"

uint64_t nxg_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t nxg_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Both flags, or the TSC rate may drift with frequency or stop when idle. */
static int tsc_invariant(void)
{
	char line[4096];
	int c = 0, n = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		c = strstr(line, " constant_tsc") != NULL;
		n = strstr(line, " nonstop_tsc") != NULL;
		break;
	}
	fclose(f);
	return c && n;
}

/* One (tsc, mono) pair, the TSC read bracketing the clock call, kept
 * from the tightest of a few tries. */
static void pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 16; i++) {
		uint64_t a = nxg_rdtsc(), m = nxg_mono_ns(), b = nxg_rdtsc();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = m;
		}
	}
}

int nxg_clock_init(struct nxg_clock *c, int want, const uint64_t *test_ns)
{
	memset(c, 0, sizeof(*c));
	if (test_ns) {
		c->kind = NXG_CLOCK_TEST;
		c->test_ns = test_ns;
		snprintf(c->what, sizeof(c->what), "the test's (moved by its backend)");
		return 0;
	}
#if !defined(__x86_64__) && !defined(__i386__)
	want = NXG_CLOCK_MONO;
#endif
	if (want == NXG_CLOCK_TSC && !tsc_invariant()) {
		c->kind = NXG_CLOCK_MONO;
		snprintf(c->what, sizeof(c->what), "CLOCK_MONOTONIC (TSC not invariant: no "
			 "constant_tsc+nonstop_tsc in /proc/cpuinfo)");
		return 0;
	}
	if (want == NXG_CLOCK_MONO) {
		c->kind = NXG_CLOCK_MONO;
		snprintf(c->what, sizeof(c->what), "CLOCK_MONOTONIC (--clock mono)");
		return 0;
	}
	uint64_t t0, n0, t1, n1;
	pair(&t0, &n0);
	struct timespec ts = { 0, 200000000 };
	nanosleep(&ts, NULL);
	pair(&t1, &n1);
	if (t1 <= t0 || n1 <= n0) {
		c->kind = NXG_CLOCK_MONO;
		snprintf(c->what, sizeof(c->what), "CLOCK_MONOTONIC (TSC did not advance)");
		return 0;
	}
	c->kind = NXG_CLOCK_TSC;
	c->tsc_hz = (double)(t1 - t0) * 1e9 / (double)(n1 - n0);
	c->ns_per_tsc_q32 = (uint64_t)(((unsigned __int128)(n1 - n0) << 32) / (t1 - t0));
	c->tsc0 = t1;
	c->ns0 = n1;
	snprintf(c->what, sizeof(c->what), "TSC %.6f GHz (calibrated against CLOCK_MONOTONIC "
		 "over %.0f ms; invariant)", c->tsc_hz / 1e9, (double)(n1 - n0) / 1e6);
	return 0;
}
