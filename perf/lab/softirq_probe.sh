#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# Where the time goes in the latency lab's open-loop runs over veth
# (docs/performance.md "The latency lab", docs/lab-guide.md "Pitfalls"):
# kernel tracepoints (ftrace) recorded while a command runs, usually
# perf/lab/suite.sh, then one report per window:
#
#   perf/lab/softirq_probe.sh [-t SECS] [-a AFTER] [--each-open] [-o DIR] -- COMMAND ...
#
#   --each-open  one window per open-loop nxgen run (an nxgen started by
#                COMMAND with --rate), traced from its start to its exit and
#                reported over the last SECS (default 3: the suite's -d)
#                before its last request frame: its measured seconds
#   (default)    one window of SECS, AFTER s (default 0) after COMMAND starts
#   -o DIR       keep the raw traces (trace.N.txt) and the reports
#                (window.N.txt) there; by default a temp dir, removed
#
# Each report:
#   net_rx     per CPU, for every NET_RX softirq raised: who ran it, "inline"
#              (the task that sent the frame, at local_bh_enable inside its
#              sendto) or ksoftirqd/N (deferred: it waits for the CPU like any
#              task), and the longest raise->run delay
#   ksoftirqd  per CPU, its wake-ups and their wait for the CPU
#   turnaround the venue's turnaround as the kernel sees it: a request frame
#              entering the venue's veth end to the next reply frame leaving
#              it (netif_rx on each side): the suite's veth ends carry its
#              PID (nxla<PID>, nxlb<PID>), so COMMAND must be
#              perf/lab/suite.sh itself; percentiles, how many took over
#              1 ms, and how many of those the venue's poller spent mostly
#              off its CPU
#   pollers    COMMAND's busy-polling threads (the busiest thread of each
#              nanoex, nanoex-sock and nxgen process it started): how long the
#              guest's scheduler kept each off its CPU, its episodes over
#              1 ms, its page faults, and which tasks ran instead (ms, top 8)
#   steal      each CPU's steal time over the traced span (/proc/stat, 10 ms
#              units): the hypervisor running something else on the vCPU
#
# Reading it: a turnaround over 1 ms spent mostly with the venue's poller
# off its CPU is the scheduler's (another task ran: see "instead"); NET_RX
# run by ksoftirqd with long waits would be softirq starvation; the rest (a
# slow turnaround with the poller on its CPU, no softirq deferred) is
# invisible to the guest: the hypervisor did not run the vCPU (steal), or the
# poller was in the kernel (page faults).
#
# Windows are only as good as their request counts: at 30 000 requests/s a
# run's trace is over 100 MB, and copying it out can make the next run's
# window start late. The probe itself stays off the CPUs while a window runs
# (one sleeping waiter; the analysis waits until COMMAND has finished).
#
# Needs root and tracefs (mounted on /sys/kernel/tracing for the run if it is
# not, unmounted after). Leaves the tracing state as it found it. Traces other
# tasks on the host too (they are the competition), but names pollers and veth
# ends by COMMAND's processes only.
set -u
SECS=3 AFTER= KEEP= EACH=
while [ $# -gt 0 ]; do
	case $1 in
	-t) SECS=$2; shift ;;
	-a) AFTER=$2; shift ;;
	-o) KEEP=$2; shift ;;
	--each-open) EACH=1 ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { print }' "$0"; exit 0 ;;
	--) shift; break ;;
	*) echo "softirq_probe: unknown option $1 (try --help)"; exit 2 ;;
	esac
	shift
done
[ $# -gt 0 ] || { echo "softirq_probe: no command (try --help)"; exit 2; }
[ "$(id -u)" = 0 ] || { echo "softirq_probe: needs root (tracefs)"; exit 1; }
AFTER=${AFTER:-0}
T=/sys/kernel/tracing MOUNTED=
if [ ! -e "$T/trace" ]; then
	mount -t tracefs nodev "$T" || { echo "softirq_probe: cannot mount tracefs"; exit 1; }
	MOUNTED=1
fi
if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && D=$(cd "$KEEP" && pwd); else D=$(mktemp -d /tmp/sqprobe.XXXXXX); fi
# "1408", or "7 (expanded: 1408)" before first use
OLDBUF=$(awk '{ v = $1 } /expanded:/ { v = $3; sub(/\)/, "", v) } END { print v }' "$T/buffer_size_kb")
CPID=
EVENTS="irq/softirq_raise irq/softirq_entry sched/sched_wakeup sched/sched_switch net/netif_rx
	exceptions/page_fault_user exceptions/page_fault_kernel"
tr_off() {
	echo 0 >"$T/tracing_on"
	for e in $EVENTS; do echo 0 >"$T/events/$e/enable"; echo 0 >"$T/events/$e/filter" 2>/dev/null; done
}
cleanup() {
	tr_off
	echo >"$T/trace"
	echo "$OLDBUF" >"$T/buffer_size_kb"
	[ -n "$CPID" ] && kill -0 "$CPID" 2>/dev/null && { kill -TERM "$CPID"; wait "$CPID"; }
	[ -n "$MOUNTED" ] && umount "$T"
	[ -n "$KEEP" ] || rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

tr_off
echo 32768 >"$T/buffer_size_kb"
echo 'vec == 3' >"$T/events/irq/softirq_raise/filter"
echo 'vec == 3' >"$T/events/irq/softirq_entry/filter"
echo 'comm ~ "ksoftirqd*"' >"$T/events/sched/sched_wakeup/filter"

# Steal time of each CPU (USER_HZ ticks), one line.
steal() { awk '/^cpu[0-9]/ { printf "%s ", $9 }' /proc/stat; }

# The processes below CPID (ip netns exec and taskset exec into nxgen: same PID).
descendants() {
	ps -e -o pid=,ppid= | awk -v root="$CPID" '{ kids[$2] = kids[$2] " " $1 }
		END { n = split(root, q, " "); for (i = 1; i <= n; i++) { m = split(kids[q[i]], k, " ")
			for (j = 1; j <= m; j++) { print k[j]; q[++n] = k[j] } } }'
}
# TIDs of the pollers: the busiest thread of each venue or nxgen process of CPID.
pollers() {
	for p in $(descendants); do
		case $(cat "/proc/$p/comm" 2>/dev/null) in nanoex|nanoex-sock|nxgen) ;; *) continue ;; esac
		for t in /proc/"$p"/task/*; do
			awk -v t="${t##*/}" '{ sub(/^.*\) /, ""); print $12 + $13, t }' "$t/stat" 2>/dev/null
		done | sort -n | tail -1 | cut -d' ' -f2
	done
}

# window N PID WHAT: trace until SECS have passed (no PID) or PID exits; keep the trace and
# what the report needs (reported after COMMAND: no analysis while pollers run)
window() {
	P=$(pollers | tr '\n' ' ')
	steal0=$(steal)
	t0=$(date +%s%N)
	echo >"$T/trace"
	for e in $EVENTS; do echo 1 >"$T/events/$e/enable"; done
	echo 1 >"$T/tracing_on"
	# one sleeping waiter, no forks meanwhile: the probe must not compete with the pollers
	if [ -n "$2" ]; then tail --pid="$2" -s 0.5 -f /dev/null; else sleep "$SECS"; fi
	echo 0 >"$T/tracing_on"
	steal1=$(steal)
	t1=$(date +%s%N)
	cat "$T/trace" >"$D/trace.$1.txt"
	lost=$(awk '/^overrun:/ { n += $2 } END { print n + 0 }' "$T"/per_cpu/cpu*/stats)
	printf '%s\n' "$2" "$3" "$(cut -d' ' -f1-3 /proc/loadavg)" "$lost" "$P" "$steal0" "$steal1" \
		$(((t1 - t0) / 1000000)) >"$D/meta.$1"
}

# report_window N: window.N.txt from trace.N.txt and meta.N
report_window() {
	{ read -r pid; read -r what; read -r load; read -r lost; read -r pol; read -r st0; read -r st1; read -r ms; } <"$D/meta.$1"
	from=0 to=1e18
	if [ -n "$pid" ]; then # nxgen's measured seconds: the last SECS before its last request
		to=$(awk -v d="nxla$ROOT" '$0 ~ "netif_rx: dev=" d " " { l = $NF; sub(/len=/, "", l)
			if (l + 0 < 48) next # ARP (the kernel probes its neighbours after a run)
			for (i = 2; i <= 6; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) t = $i + 0 }
			END { printf "%.6f", t }' "$D/trace.$1.txt")
		from=$(awk -v t="$to" -v s="$SECS" 'BEGIN { printf "%.6f", t - s }')
	fi
	{
		echo "window $1: $what, load average $load"
		[ "$lost" = 0 ] || echo "warning: $lost trace events lost (buffer overrun)"
		report "$D/trace.$1.txt" "$pol" "nxla$ROOT" "nxlb$ROOT" "$from" "$to"
		echo "$st0 $st1" | awk -v s="$ms" '{ n = NF / 2
			printf "steal      (the hypervisor ran something else on the vCPU, /proc/stat) over the %.1f s traced:", s / 1000
			for (i = 1; i <= n; i++) printf " cpu%d %d ms", i - 1, ($(n + i) - $i) * 10; printf "\n" }'
	} >"$D/window.$1.txt"
	cat "$D/window.$1.txt"
}

# report TRACE "POLLER_TIDS" VENUE_DEV NXGEN_DEV [FROM TO (trace clock, s)]
report() {
	awk -v pollers="$2" -v vdev="$3" -v gdev="$4" -v from="${5:-0}" -v to="${6:-1e18}" '
	function ts_of(line,   i) { for (i = 2; i <= 6; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) return $i + 0; return 0 }
	function cpu_of(line) { match(line, / \[[0-9]+\] /); return substr(line, RSTART + 2, RLENGTH - 4) + 0 }
	function field(line, k,   v) { v = line; if (!sub(".*" k "=", "", v)) return ""; sub(/ .*/, "", v); return v }
	function pct(arr, n, p,   i) { i = int(n * p / 100 + 0.5); if (i < 1) i = 1; if (i > n) i = n; return arr[i] }
	function sortn(arr, n,   g, i, j, t) {
		for (g = int(n / 2); g > 0; g = int(g / 2))
			for (i = g + 1; i <= n; i++) { t = arr[i]; for (j = i; j > g && arr[j - g] > t; j -= g) arr[j] = arr[j - g]; arr[j] = t } }
	function back(c, t,   w, d) { w = offw[c]; d = (t - offt[c]) * 1e6; delete offw[c]
		cnt[w]++; tot[w] += d; if (d > mx[w]) mx[w] = d; if (d > 1000) { big[w]++; bigt[w] += d }
		if (w !~ /^nxgen-/) { es[++ne] = offt[c]; ee[ne] = t } }
	BEGIN { n = split(pollers, a, " "); for (i = 1; i <= n; i++) poller[a[i]] = 1 }
	{ t = ts_of($0); if (t < from || t > to) next
		c = cpu_of($0); task = $1; tid = task; sub(/^.*-/, "", tid); sub(/-[0-9]+$/, "", task)
		# an event in the context of the poller itself shows it back on its CPU (a switch back can be missing)
		if ((c in offw) && offtid[c] == tid && !/sched_switch:/) back(c, t) }
	/softirq_raise: vec=3/ { if (!(c in pend)) pend[c] = t; next }
	/softirq_entry: vec=3/ { who = task ~ /^ksoftirqd/ ? task : "inline"
		if (c in pend) { d = (t - pend[c]) * 1e6; delete pend[c]; k = c " " who
			nr[k]++; if (d > nrmax[k]) nrmax[k] = d; if (d > 1000) nrbig[k]++ }
		next }
	/page_fault_(user|kernel):/ { if (tid in poller) pf[task "-" tid]++; next }
	/sched_wakeup: comm=ksoftirqd/ { k = field($0, "target_cpu") + 0; if (!(k in wk)) wk[k] = t; next }
	/netif_rx:/ { dev = field($0, "dev"); if (field($0, "len") + 0 < 48) next # ARP, not a request or a reply
		if (dev == vdev) q[++nq] = t; else if (dev == gdev) r[++nrp] = t; next }
	/sched_switch:/ {
		p = $0; sub(/.*prev_comm=/, "", p); sub(/ prev_pid=.*/, "", p); ppid = field($0, "prev_pid")
		n = $0; sub(/.*next_comm=/, "", n); sub(/ next_pid=.*/, "", n); npid = field($0, "next_pid")
		if (n ~ /^ksoftirqd/ && (c in wk)) { d = (t - wk[c]) * 1e6; delete wk[c]
			kn[c]++; ks[c] += d; if (d > kmax[c]) kmax[c] = d; if (d > 1000) kbig[c]++ }
		if ((c in offw) && ppid != offtid[c]) ran[offw[c], p] += t - last[c]
		last[c] = t
		if ((ppid in poller) && !(c in offw)) { offw[c] = p "-" ppid; offtid[c] = ppid; offt[c] = t; names[p "-" ppid] = 1 }
		if ((c in offw) && npid == offtid[c]) back(c, t) }
	END {
		for (k in nr) { split(k, a, " "); printf "net_rx     cpu%s run by %-12s %7d softirqs, raise->run max %8.1f us, %d over 1 ms\n", a[1], a[2], nr[k], nrmax[k], nrbig[k] + 0 }
		for (c in kn) printf "ksoftirqd  cpu%s %d wake-ups, wait for the CPU mean %.1f us, max %.1f us, %d over 1 ms\n", c, kn[c], ks[c] / kn[c], kmax[c], kbig[c] + 0
		# slow turnarounds (over 1 ms): was the venue poller off its CPU for most of it?
		j = 1; m = 0; k = 1
		for (i = 1; i <= nq; i++) { while (j <= nrp && r[j] < q[i]) j++; if (j > nrp) break
			ta[++m] = (r[j] - q[i]) * 1e6
			if (ta[m] > 1000) { tbig++; while (k <= ne && ee[k] < q[i]) k++
				ov = 0; for (e = k; e <= ne && es[e] < r[j]; e++) ov += (ee[e] < r[j] ? ee[e] : r[j]) - (es[e] > q[i] ? es[e] : q[i])
				if (ov * 2 >= r[j] - q[i]) toff++ } }
		if (m) { sortn(ta, m); printf "turnaround %s -> %s, %d requests: p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us; %d (%.2f%%) over 1 ms, %d of them with the venue poller off its CPU for half of it or more\n", vdev, gdev, m, pct(ta, m, 50), pct(ta, m, 99), pct(ta, m, 99.9), ta[m], tbig + 0, 100 * tbig / m, toff + 0 }
		for (w in names) {
			printf "pollers    %-18s off its CPU %.1f ms in %d episodes, max %.2f ms, %d over 1 ms (%.1f ms), %d page faults; instead:", w, tot[w] / 1000, cnt[w], mx[w] / 1000, big[w] + 0, bigt[w] / 1000, pf[w] + 0
			for (i = 0; i < 8; i++) { best = ""; bv = 0
				for (k in ran) { split(k, a, SUBSEP); if (a[1] == w && ran[k] > bv && !(k in done)) { bv = ran[k]; best = k } }
				if (best == "") break; done[best] = 1; split(best, a, SUBSEP); printf " %s %.1f", a[2], bv * 1000 }
			printf "\n" }
	}' "$1" | sort
}

# Is PID below CPID?
below() { # (sh has no local variables: _b is its own)
	_b=$1
	while [ "$_b" -gt 1 ] 2>/dev/null; do
		[ "$_b" = "$CPID" ] && return 0
		_b=$(sed 's/^.*) [A-Za-z] \([0-9]*\) .*/\1/' "/proc/$_b/stat" 2>/dev/null) || return 1
	done
	return 1
}

"$@" &
CPID=$!
ROOT=$CPID N=0
if [ -z "$EACH" ]; then
	sleep "$AFTER"
	N=1
	window 1 "" "$SECS s, $AFTER s after the start"
else
	while kill -0 "$CPID" 2>/dev/null; do
		G=
		for p in $(pgrep -x nxgen); do
			{ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -q -- ' --rate ' && below "$p" && { G=$p; break; }
		done
		if [ -z "$G" ]; then sleep 0.2; continue; fi
		R=$({ tr '\0' ' ' <"/proc/$G/cmdline"; } 2>/dev/null | sed -n 's/.* --rate \([0-9.]*\).*/\1/p')
		N=$((N + 1))
		window "$N" "$G" "nxgen --rate $R (pid $G), its last $SECS s"
	done
fi
wait "$CPID"
CPID=
i=1
while [ "$i" -le "$N" ]; do report_window "$i"; i=$((i + 1)); done
[ -n "$KEEP" ] && echo "softirq_probe: raw traces and reports in $D"
exit 0
