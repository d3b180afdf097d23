#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# Keep the kernel off the cores that run nanoex shards. Three modes:
#   CORES            print the kernel command line to add, and do now what can
#                    be done without a reboot: IRQ affinity, irqbalance, the
#                    frequency governor and idle states of those cores;
#   --cmdline CORES  only print the kernel command line;
#   --check CORES    read back what is in force and say PASS / WARN per item.
# It never edits /etc/default/grub: the operator pastes the printed line.
# Run-time changes are lost at reboot; the command line is what lasts.
set -eu

PROG=${0##*/}
SYS=/sys

usage() {
	cat <<EOF
Usage: $PROG [-n] [-H HOUSEKEEPING] CORES
       $PROG --cmdline [-H HOUSEKEEPING] CORES
       $PROG --check CORES
       $PROG -h | --help

CORES are the shard lcores of the configuration (net.shards[].lcore), as a
CPU list: 2,4 or 2-5,8. Every other online CPU is housekeeping (the EAL main
lcore, the kernel, IRQs, ssh) unless -H names them.

  (no mode)   print the kernel command line, then, as root:
              - move every movable IRQ to the housekeeping CPUs
                (/proc/irq/*/smp_affinity_list and /proc/irq/default_smp_affinity);
              - stop irqbalance if it runs (systemctl), since it would move them back;
              - set the cpufreq governor of CORES to performance;
              - disable the idle states deeper than C1 on CORES
                (/sys/devices/system/cpu/cpuN/cpuidle/stateK/disable, K >= 2)
  --cmdline   print the kernel command line only
  --check     report, one line each, PASS / WARN / SKIP (not applicable here):
              isolcpus, nohz_full, rcu_nocbs on the command line, the
              kernel's isolated and nohz_full sets, IRQ affinities, irqbalance,
              governor, idle states and SMT siblings of CORES.
              Exits 1 if anything is WARN, so a start script can gate on it.
  -H LIST     housekeeping CPUs (default: online CPUs minus CORES)
  -n          dry run: print what would be done, change nothing
  -h, --help  this text

Put the command line in /etc/default/grub (GRUB_CMDLINE_LINUX_DEFAULT), run
update-grub, reboot, then run "$PROG --check CORES". Keep the shard cores on
the NIC's NUMA node (check-host.sh prints it) and keep their SMT siblings idle
(or SMT off in the BIOS).
EOF
}

die() { echo "$PROG: error: $*" >&2; exit 1; }
warn() { echo "$PROG: warning: $*" >&2; }

# CPU list helpers: "2,4-6" <-> "2 4 5 6".
expand() {
	echo "$1" | awk -F, '{ for (i = 1; i <= NF; i++) { if ($i == "") continue;
		n = split($i, r, "-"); if (n == 1) r[2] = r[1];
		for (c = r[1]; c <= r[2]; c++) print c } }' | sort -n | uniq | tr '\n' ' ' | sed 's/ $//'
}
compress() {  # numbers, space separated -> "2,4-6"
	echo "$@" | tr ' ' '\n' | sed '/^$/d' | sort -n | uniq | awk '
		NR == 1 { s = p = $1; next }
		$1 == p + 1 { p = $1; next }
		{ out = out (out ? "," : "") (s == p ? s : s "-" p); s = p = $1 }
		END { if (NR) out = out (out ? "," : "") (s == p ? s : s "-" p); print out }'
}
contains() {  # contains "2 3 4" 3
	case " $1 " in *" $2 "*) return 0 ;; esac
	return 1
}
# Hex mask of a CPU list, in the comma-separated 32-bit words of
# /proc/irq/default_smp_affinity. Two 16-bit halves per word so that mawk's
# printf never sees a value above 2^31.
mask() {
	echo "$@" | awk 'BEGIN { top = 0 } { for (i = 1; i <= NF; i++) { w = int($i / 32); b = $i % 32;
		if (b < 16) lo[w] += 2 ^ b; else hi[w] += 2 ^ (b - 16); if (w > top) top = w } }
		END { for (w = top; w >= 0; w--) printf "%s%04x%04x", (w < top ? "," : ""), hi[w], lo[w]; print "" }'
}

MODE=apply
DRY=0
HK=
CORES=
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	-n) DRY=1 ;;
	--check) MODE=check ;;
	--cmdline) MODE=cmdline ;;
	-H) [ $# -ge 2 ] || die "-H needs a CPU list"; HK=$2; shift ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) [ -z "$CORES" ] || die "give CORES once, as one list (2,4)"; CORES=$1 ;;
	esac
	shift
done
[ -n "$CORES" ] || die "missing CORES (see --help)"
case $CORES in *[!0-9,-]*) die "CORES must be a CPU list like 2,4 or 2-5, not '$CORES'" ;; esac

ONLINE=$(expand "$(cat $SYS/devices/system/cpu/online)")
C=$(expand "$CORES")
[ -n "$C" ] || die "empty CPU list '$CORES'"
for c in $C; do
	contains "$ONLINE" "$c" || die "CPU $c is not online (online: $(compress $ONLINE))"
done
if [ -n "$HK" ]; then
	H=$(expand "$HK")
	for c in $H; do
		contains "$ONLINE" "$c" || die "housekeeping CPU $c is not online"
		contains "$C" "$c" && die "CPU $c is both a shard core and housekeeping"
	done
else
	H=
	for c in $ONLINE; do contains "$C" "$c" || H="$H $c"; done
fi
[ -n "$(echo $H)" ] || die "no housekeeping CPU left: keep at least one (e.g. CPU 0) for the kernel and the EAL main lcore"
CL=$(compress $C)
HL=$(compress $H)

cmdline() {
	cat <<EOF
Kernel command line for shard cores $CL (housekeeping $HL):

  isolcpus=managed_irq,domain,$CL nohz_full=$CL rcu_nocbs=$CL irqaffinity=$HL

Optional, for the lowest wake-up latency at the cost of power (Intel):
  intel_idle.max_cstate=1 processor.max_cstate=1
Hugepages and the IOMMU go on the same line (hugepages.sh --help, bind.sh --help).
Edit GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, run update-grub, reboot.
EOF
}

# ---------------------------------------------------------------- check mode
if [ $MODE = check ]; then
	nwarn=0
	pass() { printf 'PASS  %-12s %s\n' "$1" "$2"; }
	wrn() { printf 'WARN  %-12s %s\n' "$1" "$2"; nwarn=$((nwarn + 1)); }
	skip() { printf 'SKIP  %-12s %s\n' "$1" "$2"; }
	# The CPUs in a cmdline parameter, flags such as managed_irq dropped.
	param_cpus() {
		tr ' ' '\n' < /proc/cmdline | sed -n "s/^$1=//p" | tail -1 | tr , '\n' |
			grep -E '^[0-9]+(-[0-9]+)?$' | tr '\n' , | sed 's/,$//'
	}
	covers() {  # covers NAME "cpu list" -> PASS if every core is in it
		local got missing= c
		got=$(expand "$2")
		for c in $C; do contains "$got" "$c" || missing="$missing $c"; done
		if [ -z "$2" ]; then
			wrn "$1" "not set"
		elif [ -n "$missing" ]; then
			wrn "$1" "$2 leaves out$missing"
		else
			pass "$1" "$2"
		fi
	}

	covers isolcpus "$(param_cpus isolcpus)"
	if grep -q 'isolcpus=' /proc/cmdline &&
	   ! tr ' ' '\n' < /proc/cmdline | grep -q '^isolcpus=.*managed_irq'; then
		wrn isolcpus "no managed_irq flag: managed IRQs may land on shard cores"
	fi
	covers nohz_full "$(param_cpus nohz_full)"
	covers rcu_nocbs "$(param_cpus rcu_nocbs)"
	covers isolated "$(cat $SYS/devices/system/cpu/isolated 2>/dev/null)"
	if [ -r $SYS/devices/system/cpu/nohz_full ]; then
		v=$(cat $SYS/devices/system/cpu/nohz_full)
		[ "$v" = "(null)" ] && v=
		covers nohz_active "$v"
	else
		wrn nohz_active "$SYS/devices/system/cpu/nohz_full missing: kernel built without NO_HZ_FULL"
	fi

	# IRQs allowed on a core (smp_affinity_list); and those still delivered
	# to one (effective_affinity_list), which x86 moves only at the IRQ's
	# next interrupt after a change.
	bad=
	nbad=0
	npend=0
	for d in /proc/irq/[0-9]*; do
		[ -r "$d/smp_affinity_list" ] || continue
		hit=0
		for c in $(expand "$(cat "$d/smp_affinity_list")"); do
			if contains "$C" "$c"; then hit=1; break; fi
		done
		if [ $hit = 1 ]; then
			nbad=$((nbad + 1))
			if [ $nbad -le 8 ]; then
				bad="$bad ${d##*/}($(awk -v i="${d##*/}:" '$1 == i {print $NF}' /proc/interrupts))"
			fi
		elif [ -r "$d/effective_affinity_list" ]; then
			for c in $(expand "$(cat "$d/effective_affinity_list")"); do
				if contains "$C" "$c"; then npend=$((npend + 1)); break; fi
			done
		fi
	done
	if [ $nbad = 0 ]; then
		pass irqs "no IRQ may be routed to $CL$([ $npend = 0 ] || echo " ($npend move off at their next interrupt)")"
	else
		wrn irqs "$nbad IRQs may fire on $CL:$bad$([ $nbad -gt 8 ] && echo ' ...')"
	fi

	if pgrep -x irqbalance >/dev/null 2>&1; then
		if contains "$(expand "$(cat $SYS/devices/system/cpu/isolated 2>/dev/null)")" "${C%% *}"; then
			pass irqbalance "running; it leaves isolcpus/nohz_full CPUs alone"
		else
			wrn irqbalance "running and the cores are not isolated: it will move IRQs onto them"
		fi
	else
		pass irqbalance "not running"
	fi

	for c in $C; do
		g=$SYS/devices/system/cpu/cpu$c/cpufreq/scaling_governor
		if [ -r "$g" ]; then
			v=$(cat "$g")
			if [ "$v" = performance ]; then pass "governor$c" "$v"; else wrn "governor$c" "$v (want performance)"; fi
		else
			skip "governor$c" "no cpufreq driver: frequency set by firmware or hypervisor"
		fi
	done

	for c in $C; do
		deep=
		for s in $SYS/devices/system/cpu/cpu$c/cpuidle/state[0-9]*; do
			[ -d "$s" ] || continue
			k=${s##*state}
			[ "$k" -ge 2 ] || continue
			if [ "$(cat "$s/disable")" = 0 ]; then deep="$deep $(cat "$s/name")"; fi
		done
		if [ ! -d $SYS/devices/system/cpu/cpu$c/cpuidle ]; then
			skip "idle$c" "no cpuidle states"
		elif [ -n "$deep" ]; then
			wrn "idle$c" "states deeper than C1 enabled:$deep"
		else
			pass "idle$c" "nothing deeper than C1 ($(cat $SYS/devices/system/cpu/cpuidle/current_driver 2>/dev/null))"
		fi
	done

	for c in $C; do
		t=$SYS/devices/system/cpu/cpu$c/topology/thread_siblings_list
		[ -r "$t" ] || { skip "smt$c" "no topology"; continue; }
		sib=
		for s in $(expand "$(cat "$t")"); do
			[ "$s" = "$c" ] || contains "$C" "$s" || sib="$sib $s"
		done
		if [ -z "$sib" ]; then
			pass "smt$c" "no other hardware thread on this core"
		else
			wrn "smt$c" "sibling thread(s)$sib share the core: keep them idle (isolate them too) or turn SMT off"
		fi
	done

	[ $nwarn = 0 ] || { echo "$nwarn warning(s)"; exit 1; }
	exit 0
fi

cmdline
[ $MODE = cmdline ] && exit 0

# ---------------------------------------------------------------- apply mode
[ $DRY = 1 ] || [ "$(id -u)" = 0 ] || die "must run as root (or use -n for a dry run, --cmdline to print only)"
echo
echo "Now, until the next reboot:"

# write VALUE FILE: 0 on success, 1 if the kernel refused (managed or per-CPU IRQs).
write() {
	if [ $DRY = 1 ]; then echo "would write: echo $1 > $2"; return 0; fi
	echo "$1" 2>/dev/null > "$2"
}

if pgrep -x irqbalance >/dev/null 2>&1; then
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		if [ $DRY = 1 ]; then echo "would run: systemctl stop irqbalance"
		else systemctl stop irqbalance && echo "irqbalance stopped (systemctl disable irqbalance to keep it off;"
			echo "  or keep it and let it skip the isolated cores after the reboot)"
		fi
	else
		warn "irqbalance runs and systemctl is not usable: stop it yourself, or it moves IRQs back"
	fi
fi

moved=0
same=0
refused=
for d in /proc/irq/[0-9]*; do
	f=$d/smp_affinity_list
	[ -w "$f" ] || [ $DRY = 1 ] || continue
	cur=$(expand "$(cat "$f")")
	ok=1
	for c in $cur; do contains "$H" "$c" || ok=0; done
	if [ $ok = 1 ]; then same=$((same + 1)); continue; fi
	if write "$HL" "$f"; then moved=$((moved + 1)); else refused="$refused ${d##*/}"; fi
done
write "$(mask $H)" /proc/irq/default_smp_affinity || warn "cannot set /proc/irq/default_smp_affinity"
if [ $DRY = 1 ]; then
	echo "IRQs: $moved to move to $HL, $same already there"
else
	echo "IRQs: $moved moved to $HL, $same already there${refused:+, refused by the kernel (managed or per-CPU):$refused}"
fi

for c in $C; do
	g=$SYS/devices/system/cpu/cpu$c/cpufreq/scaling_governor
	if [ ! -e "$g" ]; then
		echo "cpu$c: no cpufreq driver, governor left to firmware/hypervisor"
	elif [ "$(cat "$g")" = performance ]; then
		echo "cpu$c: governor already performance"
	elif grep -qw performance "${g%/*}/scaling_available_governors" 2>/dev/null; then
		write performance "$g" || die "cannot set the governor of cpu$c"
		[ $DRY = 1 ] || echo "cpu$c: governor performance"
	else
		warn "cpu$c: the cpufreq driver offers no performance governor"
	fi
	n=0
	for s in $SYS/devices/system/cpu/cpu$c/cpuidle/state[0-9]*; do
		[ -d "$s" ] || continue
		[ "${s##*state}" -ge 2 ] || continue
		[ "$(cat "$s/disable")" = 1 ] && continue
		write 1 "$s/disable" || warn "cannot disable $s"
		n=$((n + 1))
	done
	[ $DRY = 1 ] || echo "cpu$c: $n idle state(s) deeper than C1 disabled"
done
echo
echo "After the reboot with the command line above: $PROG --check $CL"
