/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxgen's reports. On standard output: a readable summary and one
 * greppable `nxgen ...` line per run (and a side-by-side table in compare
 * mode). In the results folder (--out DIR):
 *
 *   summary.txt            the summary and the greppable line
 *   latency.hgrm           HdrHistogram percentile distribution, all requests (us)
 *   latency_<kind>.hgrm    the same per request kind that was sent
 *   send_lag.hgrm          actual minus intended send time (the generator's own lag)
 *   counts.txt             every counter, "name value" per line (for scripts)
 *   timeseries.csv         per second of the measured requests: sent, answered,
 *                          lost, rejects (answers that were rejects), percentiles
 *   plot.gp                the gnuplot script; run here when gnuplot is installed:
 *   latency_distribution.svg, latency_over_time.svg
 *   cmdline.txt            the exact command line
 *   machine.txt            nxgen's clock and backend facts, then
 *                          nic_config/check-host.sh (host, CPU, NIC, DPDK, hugepages)
 *
 * Percentiles are nx_hist's (HdrHistogram's definition, 3 significant
 * digits); times print in microseconds.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nx/reason.h"
#include "nxgen.h"

static const double PCT[] = { 50, 90, 99, 99.9, 99.99 };
#define NPCT 5

static double us(uint64_t ns)
{
	return (double)ns / 1e3;
}

static uint64_t sum_kinds(const uint64_t *v)
{
	uint64_t s = 0;
	for (int k = 0; k < NXG_NKINDS; k++)
		s += v[k];
	return s;
}

static void lat_row(FILE *f, const char *name, const struct nx_hist *h)
{
	uint64_t v[NPCT];
	if (!nx_hist_count(h))
		return;
	nx_hist_percentiles(h, PCT, v, NPCT);
	fprintf(f, "  %-11s %9" PRIu64 " %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f\n", name,
		nx_hist_count(h), us(nx_hist_min(h)), us(v[0]), us(v[1]), us(v[2]), us(v[3]), us(v[4]),
		us(nx_hist_max(h)), nx_hist_mean(h) / 1e3);
}

static const char *mode_str(const struct nxg_opts *o, char *buf, size_t len)
{
	if (o->mode == NXG_CLOSED)
		snprintf(buf, len, "closed loop (one request in flight per session)");
	else
		snprintf(buf, len, "open loop at %.0f/s, %s inter-send times", o->rate,
			 o->arrival == NXG_POISSON ? "Poisson" : "constant");
	return buf;
}

void nxg_report_summary(FILE *f, const struct nxg_result *r)
{
	const struct nxg_opts *o = &r->o;
	const struct nxg_counts *n = &r->n;
	char buf[160];
	uint64_t sent = sum_kinds(n->m_sent), ans = sum_kinds(n->m_answered), lost = sum_kinds(n->m_lost);

	fprintf(f, "nxgen [%s]: %s, io %s, venue %s\n", o->name, mode_str(o, buf, sizeof(buf)),
		o->io == NXG_IO_DPDK ? "dpdk" : "sock", r->venue);
	fprintf(f, "  clock: %s\n", r->clock_what);
	const char *hw = strstr(r->io_facts, "io.hw_timestamps: ");
	if (hw) {
		const char *e = strchr(hw, '\n');
		fprintf(f, "  hardware timestamps: %.*s\n", (int)(e ? e - hw - 18 : 20), hw + 18);
	}
	fprintf(f, "  mix asked:");
	for (int k = 0; k < NXG_NKINDS; k++)
		fprintf(f, " %s=%u", nxg_kind_name[k], o->mix[k]);
	fprintf(f, "\n  mix sent: ");
	for (int k = 0; k < NXG_NKINDS; k++)
		fprintf(f, " %s=%.1f%%", nxg_kind_name[k], sent ? 100.0 * (double)n->m_sent[k] / (double)sent : 0);
	fprintf(f, " (fallbacks %" PRIu64 ")\n", n->fallback);
	fprintf(f, "  measured %.3f s after %.1f s warm-up: sent %" PRIu64 ", answered %" PRIu64
		", lost %" PRIu64 " (%.4f%%)\n", r->secs, o->warmup_s, sent, ans, lost,
		sent ? 100.0 * (double)lost / (double)sent : 0);
	if (o->mode == NXG_OPEN)
		fprintf(f, "  throughput: %.0f requests/s achieved of %.0f/s target (%.1f%%)\n",
			r->achieved_rate, o->rate, 100.0 * r->achieved_rate / o->rate);
	else
		fprintf(f, "  throughput: %.0f requests/s\n", r->achieved_rate);
	fprintf(f, "  all phases: %" PRIu64 " datagrams out, %" PRIu64 " in; %" PRIu64
		" messages out, %" PRIu64 " application messages in; answered %" PRIu64 ", lost %"
		PRIu64 ", late %" PRIu64 ", send failures %" PRIu64 "\n", n->dgrams_out, n->dgrams_in,
		n->msgs_out, n->msgs_in, n->answered, n->lost, n->late, n->tx_fail);
	fprintf(f, "  requests (all phases):");
	for (int k = 0; k <= NXG_NKINDS; k++)
		fprintf(f, " %s=%" PRIu64, k < NXG_NKINDS ? nxg_kind_name[k] : "masscancel", n->sent[k]);
	fprintf(f, "\n  session: gaps %" PRIu64 " (%" PRIu64 " messages), retransmit requests %" PRIu64
		" (rejected %" PRIu64 "), recovered %" PRIu64 ", duplicates %" PRIu64 ", not applied %"
		PRIu64 ", heartbeats out %" PRIu64 " in %" PRIu64 ", terminated by venue %" PRIu64
		", expired %" PRIu64 ", retransmit throttled %" PRIu64 "\n", n->gaps, n->gap_msgs,
		n->rt_requests, n->rt_rejects, n->recovered, n->duplicates, n->not_applied, n->hb_out,
		n->hb_in, n->terminated, n->expired, n->rt_throttled);
	if (nx_hist_saturated(r->h[NXG_NKINDS]) || nx_hist_saturated(r->lag))
		fprintf(f, "  warning: %" PRIu64 " latencies and %" PRIu64 " send lags above %.0f s "
			"were recorded as %.0f s: max and the top percentiles are understated\n",
			nx_hist_saturated(r->h[NXG_NKINDS]), nx_hist_saturated(r->lag),
			(double)NXG_HIST_HIGHEST / 1e9, (double)NXG_HIST_HIGHEST / 1e9);
	if (n->all_down)
		fprintf(f, "  warning: the venue ended every session (terminated %" PRIu64 "): the load "
			"stopped early; their open requests are counted lost\n", n->terminated);
	if (n->dropped_test)
		fprintf(f, "  test: dropped %" PRIu64 " received datagrams (--drop-every %u)\n",
			n->dropped_test, o->drop_every);
	if (n->window_full)
		fprintf(f, "  window full: %" PRIu64 " sends waited because every session had --window "
			"%u requests in flight (the venue is behind)\n", n->window_full, o->window);
	fprintf(f, "  poll loop (--idle %s): %" PRIu64 " polls, %" PRIu64 " empty, %" PRIu64
		" of them without waiting\n", o->busy ? "busy" : "sleep", n->polls, n->polls_empty,
		n->polls_spun);
	fprintf(f, "  replies:");
	for (unsigned t = 0; t < NX_NXP_TID_LIMIT; t++)
		if (n->by_template[t] && t != NX_NXP_SEQUENCE)
			fprintf(f, " %s=%" PRIu64, nx_nxp_template_name(t), n->by_template[t]);
	fprintf(f, "\n  rejects:");
	int any = 0;
	for (unsigned c = 1; c < 256; c++)
		if (n->rejects[c]) {
			fprintf(f, " %s=%" PRIu64, nx_reject_name(c), n->rejects[c]);
			any = 1;
		}
	fprintf(f, "%s\n", any ? "" : " none");
	if (n->rejects[NX_REJ_RISK_THROTTLED])
		fprintf(f, "  note: RISK_THROTTLED: the accounts' msg_rate/msg_burst limit the load; "
			"raise them in the venue file\n");
	uint64_t lag[NPCT];
	nx_hist_percentiles(r->lag, PCT, lag, NPCT);
	fprintf(f, "  generator send lag (actual - intended): p50 %.2f us, p99 %.2f us, max %.2f us\n",
		us(lag[0]), us(lag[2]), us(nx_hist_max(r->lag)));
	fprintf(f, "  latency (us), intended send -> first answer:\n");
	fprintf(f, "  %-11s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "type", "count", "min", "p50", "p90",
		"p99", "p99.9", "p99.99", "max", "mean");
	for (int k = 0; k < NXG_NKINDS; k++)
		lat_row(f, nxg_kind_name[k], r->h[k]);
	lat_row(f, "all", r->h[NXG_NKINDS]);
}

static uint64_t all_rejects(const struct nxg_counts *n)
{
	uint64_t s = 0;
	for (unsigned c = 0; c < 256; c++)
		s += n->rejects[c];
	return s;
}

void nxg_report_line(FILE *f, const struct nxg_result *r)
{
	const struct nx_hist *h = r->h[NXG_NKINDS];
	const struct nxg_counts *n = &r->n;
	uint64_t v[NPCT];
	nx_hist_percentiles(h, PCT, v, NPCT);
	fprintf(f, "nxgen name=%s io=%s mode=%s rate=%.0f sessions=%u secs=%.3f sent=%" PRIu64
		" answered=%" PRIu64 " lost=%" PRIu64 " per_s=%.0f rejects=%" PRIu64 " retrans=%" PRIu64
		" min_us=%.3f p50_us=%.3f p90_us=%.3f p99_us=%.3f p999_us=%.3f p9999_us=%.3f"
		" max_us=%.3f mean_us=%.3f saturated=%" PRIu64 " all_down=%" PRIu64 " expired=%" PRIu64
		" rt_throttled=%" PRIu64 "\n", r->o.name, r->o.io == NXG_IO_DPDK ? "dpdk" : "sock",
		r->o.mode == NXG_OPEN ? "open" : "closed", r->o.mode == NXG_OPEN ? r->o.rate : 0,
		r->nsess, r->secs, sum_kinds(n->m_sent), sum_kinds(n->m_answered),
		sum_kinds(n->m_lost), r->achieved_rate, all_rejects(n), n->recovered,
		us(nx_hist_min(h)), us(v[0]), us(v[1]), us(v[2]), us(v[3]), us(v[4]), us(nx_hist_max(h)),
		nx_hist_mean(h) / 1e3, nx_hist_saturated(h), n->all_down, n->expired, n->rt_throttled);
}

void nxg_report_counts(FILE *f, const struct nxg_result *r)
{
	const struct nxg_counts *n = &r->n;
#define C_(k) fprintf(f, "%s %" PRIu64 "\n", #k, (uint64_t)n->k)
	C_(dgrams_out); C_(dgrams_in); C_(msgs_out); C_(msgs_in); C_(tx_fail); C_(answered);
	C_(lost); C_(late); C_(gaps); C_(gap_msgs); C_(rt_requests); C_(rt_rejects); C_(recovered);
	C_(duplicates); C_(hb_out); C_(hb_in); C_(dropped_test); C_(not_applied); C_(terminated);
	C_(fallback); C_(window_full); C_(polls); C_(polls_empty); C_(polls_spun); C_(expired);
	C_(rt_throttled); C_(rt_stale);
#undef C_
	fprintf(f, "sessions %u\n", r->nsess);
	for (int k = 0; k <= NXG_NKINDS; k++)
		fprintf(f, "sent_%s %" PRIu64 "\n", k < NXG_NKINDS ? nxg_kind_name[k] : "masscancel",
			n->sent[k]);
	for (int k = 0; k < NXG_NKINDS; k++)
		fprintf(f, "measured_%s %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", nxg_kind_name[k],
			n->m_sent[k], n->m_answered[k], n->m_lost[k]);
	fprintf(f, "measured_sent %" PRIu64 "\nmeasured_answered %" PRIu64 "\nmeasured_lost %" PRIu64
		"\nmeasured_rejected %" PRIu64 "\n", sum_kinds(n->m_sent), sum_kinds(n->m_answered),
		sum_kinds(n->m_lost), sum_kinds(n->m_rejected));
	for (unsigned t = 0; t < NX_NXP_TID_LIMIT; t++)
		if (n->by_template[t])
			fprintf(f, "msg_%s %" PRIu64 "\n", nx_nxp_template_name(t), n->by_template[t]);
	fprintf(f, "fills %" PRIu64 "\n", n->fills);
	for (unsigned c = 1; c < 256; c++)
		if (n->rejects[c])
			fprintf(f, "reject_%s %" PRIu64 "\n", nx_reject_name(c), n->rejects[c]);
}

/* --- Files ---------------------------------------------------------------------------- */

static int mkdirs(const char *dir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0755);
			*s = '/';
		}
	return mkdir(p, 0755) && errno != EEXIST ? -errno : 0;
}

static FILE *open_in(const char *dir, const char *name)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (!f)
		fprintf(stderr, "nxgen: cannot write %s: %s\n", p, strerror(errno));
	return f;
}

static int write_hgrm(const char *dir, const char *name, const struct nx_hist *h)
{
	FILE *f = open_in(dir, name);
	if (!f)
		return -1;
	int rc = nx_hist_write_percentiles(h, f, 1000.0);
	return fclose(f) || rc ? -1 : 0;
}

static void write_cmdline(const char *dir, int argc, char **argv)
{
	FILE *f = open_in(dir, "cmdline.txt");
	if (!f)
		return;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int plain = *a != 0;
		for (const char *c = a; *c; c++)
			plain &= !!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
					  "-_./=:,@%+", *c);
		if (plain) {
			fprintf(f, "%s%s", i ? " " : "", a);
			continue;
		}
		fprintf(f, "%s'", i ? " " : "");
		for (const char *c = a; *c; c++)
			fprintf(f, *c == '\'' ? "'\\''" : "%c", *c);
		fputc('\'', f);
	}
	fputc('\n', f);
	fclose(f);
}

static void write_machine(const char *dir, const struct nxg_result *r, const char *root)
{
	FILE *f = open_in(dir, "machine.txt");
	if (!f)
		return;
	fprintf(f, "nxgen.clock: %s\n", r->clock_what);
	fprintf(f, "nxgen.cpu: %s\n", r->o.cpu >= 0 ? "pinned" : "not pinned (--cpu)");
	if (r->o.cpu >= 0)
		fprintf(f, "nxgen.cpu_pinned: %d\n", r->o.cpu);
	fprintf(f, "nxgen.idle: %s\n", r->o.busy ? "busy" : "sleep");
	fputs(r->io_facts, f);
	fflush(f);
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof(cmd), "'%s/nic_config/check-host.sh' 2>/dev/null", root);
	FILE *p = popen(cmd, "r");
	if (p) {
		char line[1024];
		while (fgets(line, sizeof(line), p))
			fputs(line, f);
		if (pclose(p))
			fprintf(f, "host.facts: unknown (%s/nic_config/check-host.sh failed)\n", root);
	}
	fclose(f);
}

static int have_gnuplot(void)
{
	return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* The distribution's x axis: 1/(1-percentile) on a log scale, as HdrHistogram plots it. */
static void gp_dist_axes(FILE *g)
{
	fputs("set logscale x\nset xrange [1:1000000]\n"
	      "set xtics (\"0%%\" 1, \"90%%\" 10, \"99%%\" 100, \"99.9%%\" 1000, \"99.99%%\" 10000, "
	      "\"99.999%%\" 100000, \"99.9999%%\" 1000000)\n"
	      "set logscale y\nset xlabel 'percentile'\nset ylabel 'latency (us)'\nset grid\n"
	      "set key top left\n", g);
}

static void run_gnuplot(const char *dir)
{
	if (!have_gnuplot()) {
		fprintf(stderr, "nxgen: gnuplot not found (apt-get install gnuplot-nox): plots skipped; "
			"%s/plot.gp makes them\n", dir);
		return;
	}
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof(cmd), "cd '%s' && gnuplot plot.gp 2>gnuplot.err && rm -f gnuplot.err", dir);
	if (system(cmd))
		fprintf(stderr, "nxgen: gnuplot failed: see %s/gnuplot.err\n", dir);
}

static void write_plots(const char *dir, const struct nxg_result *r)
{
	FILE *g = open_in(dir, "plot.gp");
	if (!g)
		return;
	fprintf(g, "# nxgen plots: gnuplot plot.gp (in this folder)\n"
		   "set terminal svg size 960,540 dynamic background rgb 'white' font 'sans,11'\n"
		   "set output 'latency_distribution.svg'\n"
		   "set title 'nxgen [%s]: latency by percentile, intended send to answer'\n", r->o.name);
	gp_dist_axes(g);
	fputs("plot 'latency.hgrm' using 4:1 with lines lw 3 title 'all'", g);
	for (int k = 0; k < NXG_NKINDS; k++)
		if (nx_hist_count(r->h[k]))
			fprintf(g, ", \\\n     'latency_%s.hgrm' using 4:1 with lines lw 1 title '%s'",
				nxg_kind_name[k], nxg_kind_name[k]);
	fprintf(g, "\n\nset output 'latency_over_time.svg'\n"
		   "set title 'nxgen [%s]: latency and throughput per second'\n"
		   "unset logscale x\nset xrange [*:*]\nset xtics auto\nset logscale y\n"
		   "set datafile separator ','\nset key top left\nset grid\n"
		   "set xlabel 'second of the measured window'\nset ylabel 'latency (us)'\n"
		   "set y2label 'answered per second'\nset y2tics\nset ytics nomirror\n"
		   "plot 'timeseries.csv' using 1:6 with linespoints title 'p50', \\\n"
		   "     '' using 1:8 with linespoints title 'p99', \\\n"
		   "     '' using 1:9 with linespoints title 'p99.9', \\\n"
		   "     '' using 1:10 with linespoints title 'max', \\\n"
		   "     '' using 1:3 axes x1y2 with steps lw 2 title 'answered/s'\n", r->o.name);
	fclose(g);
	run_gnuplot(dir);
}

int nxg_report_write(const char *dir, const struct nxg_result *r, int argc, char **argv,
		     const char *root)
{
	char name[64];
	int rc;
	if ((rc = mkdirs(dir))) {
		fprintf(stderr, "nxgen: cannot create %s: %s\n", dir, strerror(-rc));
		return -1;
	}
	FILE *f = open_in(dir, "summary.txt");
	if (!f)
		return -1;
	nxg_report_summary(f, r);
	nxg_report_line(f, r);
	fclose(f);
	if (write_hgrm(dir, "latency.hgrm", r->h[NXG_NKINDS]) || write_hgrm(dir, "send_lag.hgrm", r->lag))
		return -1;
	for (int k = 0; k < NXG_NKINDS; k++) {
		if (!nx_hist_count(r->h[k]))
			continue;
		snprintf(name, sizeof(name), "latency_%s.hgrm", nxg_kind_name[k]);
		if (write_hgrm(dir, name, r->h[k]))
			return -1;
	}
	if (!(f = open_in(dir, "counts.txt")))
		return -1;
	nxg_report_counts(f, r);
	fclose(f);
	if (!(f = open_in(dir, "timeseries.csv")))
		return -1;
	fprintf(f, "second,sent,answered,lost,rejects,p50_us,p90_us,p99_us,p999_us,max_us\n");
	for (uint32_t i = 0; i < r->nts; i++) {
		const struct nxg_sec *s = &r->ts[i];
		fprintf(f, "%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.3f,%.3f,%.3f,%.3f,%.3f\n",
			s->t + 1, s->sent, s->answered, s->lost, s->rejects, us(s->p50), us(s->p90),
			us(s->p99), us(s->p999), us(s->max));
	}
	fclose(f);
	write_cmdline(dir, argc, argv);
	write_machine(dir, r, root);
	write_plots(dir, r);
	fprintf(stderr, "nxgen: results in %s/\n", dir);
	return 0;
}

/* --- Comparison -------------------------------------------------------------------- */

static void cmp_ratio(FILE *f, const char *what, double a, double b)
{
	if (a > 0)
		fprintf(f, "  %-22s %14.2f %14.2f %10.2f\n", what, a, b, b / a);
	else
		fprintf(f, "  %-22s %14.2f %14.2f %10s\n", what, a, b, "-");
}

void nxg_report_compare(FILE *f, const struct nxg_result *a, const struct nxg_result *b)
{
	const struct nx_hist *ha = a->h[NXG_NKINDS], *hb = b->h[NXG_NKINDS];
	uint64_t va[NPCT], vb[NPCT];
	nx_hist_percentiles(ha, PCT, va, NPCT);
	nx_hist_percentiles(hb, PCT, vb, NPCT);
	fprintf(f, "\nnxgen compare: A = %s (io %s, venue %s)\n", a->o.name,
		a->o.io == NXG_IO_DPDK ? "dpdk" : "sock", a->venue);
	fprintf(f, "               B = %s (io %s, venue %s)\n", b->o.name,
		b->o.io == NXG_IO_DPDK ? "dpdk" : "sock", b->venue);
	fprintf(f, "  %-22s %14s %14s %10s\n", "", a->o.name, b->o.name, "B/A");
	cmp_ratio(f, "requests/s", a->achieved_rate, b->achieved_rate);
	cmp_ratio(f, "sent", (double)sum_kinds(a->n.m_sent), (double)sum_kinds(b->n.m_sent));
	cmp_ratio(f, "lost", (double)sum_kinds(a->n.m_lost), (double)sum_kinds(b->n.m_lost));
	cmp_ratio(f, "min us", us(nx_hist_min(ha)), us(nx_hist_min(hb)));
	static const char *const names[NPCT] = { "p50 us", "p90 us", "p99 us", "p99.9 us", "p99.99 us" };
	for (int i = 0; i < NPCT; i++)
		cmp_ratio(f, names[i], us(va[i]), us(vb[i]));
	cmp_ratio(f, "max us", us(nx_hist_max(ha)), us(nx_hist_max(hb)));
	cmp_ratio(f, "mean us", nx_hist_mean(ha) / 1e3, nx_hist_mean(hb) / 1e3);
	for (int k = 0; k < NXG_NKINDS; k++) {
		char w[48];
		if (!nx_hist_count(a->h[k]) && !nx_hist_count(b->h[k]))
			continue;
		uint64_t x[NPCT], y[NPCT];
		nx_hist_percentiles(a->h[k], PCT, x, NPCT);
		nx_hist_percentiles(b->h[k], PCT, y, NPCT);
		snprintf(w, sizeof(w), "%s p50 us", nxg_kind_name[k]);
		cmp_ratio(f, w, us(x[0]), us(y[0]));
		snprintf(w, sizeof(w), "%s p99 us", nxg_kind_name[k]);
		cmp_ratio(f, w, us(x[2]), us(y[2]));
	}
}

int nxg_report_compare_write(const char *dir, const struct nxg_result *a, const struct nxg_result *b,
			     int argc, char **argv, const char *root)
{
	(void)root;
	if (mkdirs(dir))
		return -1;
	FILE *f = open_in(dir, "compare.txt");
	if (!f)
		return -1;
	nxg_report_summary(f, a);
	nxg_report_line(f, a);
	fputc('\n', f);
	nxg_report_summary(f, b);
	nxg_report_line(f, b);
	nxg_report_compare(f, a, b);
	fclose(f);
	write_cmdline(dir, argc, argv);
	FILE *g = open_in(dir, "plot.gp");
	if (!g)
		return -1;
	fprintf(g, "set terminal svg size 960,540 dynamic background rgb 'white' font 'sans,11'\n"
		   "set output 'compare_distribution.svg'\n"
		   "set title 'nxgen: %s vs %s, latency by percentile'\n", a->o.name, b->o.name);
	gp_dist_axes(g);
	fprintf(g, "plot '%s/latency.hgrm' using 4:1 with lines lw 2 title '%s', \\\n"
		   "     '%s/latency.hgrm' using 4:1 with lines lw 2 title '%s'\n",
		a->o.name, a->o.name, b->o.name, b->o.name);
	fclose(g);
	run_gnuplot(dir);
	return 0;
}
