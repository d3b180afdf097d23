#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# What this host offers the nanoex appliance, as "key: value" lines: CPU and
# NUMA layout, hugepages, IOMMU, NICs with their driver and NUMA node, DPDK,
# isolated cores, frequency and idle settings. Read-only: it changes nothing
# and needs no root. The benchmark suite records its output beside every
# result, so keys are stable, lowercase, dot-separated, one value per line;
# a fact that cannot be read prints "unknown" rather than disappearing.
set -eu

PROG=${0##*/}
SYS=/sys

usage() {
	cat <<EOF
Usage: $PROG [-n]
       $PROG -h | --help

Print the facts of this host that matter to nanoex, one "key: value" per line:
  host.*        name, date (UTC), kernel, OS, virtualisation
  cpu.*         model, sockets, cores, threads, SMT, flags that matter
                (1 GB pages, invariant TSC), governor and idle driver
  numa.*        nodes, their CPUs and memory
  hugepages.*   per node and page size: total and free; hugetlbfs mounts
  iommu.*       IOMMU groups, vfio no-IOMMU mode, kernel command line
  isolation.*   isolated and nohz_full CPUs
  nic.<pci>.*   every PCI network function: vendor:device, name, driver,
                NUMA node, kernel interface, link, speed, use by DPDK
  dpdk.*        libdpdk version (pkg-config) and the tools found

  -n          accepted for symmetry with the other scripts; this one never
              changes anything
  -h, --help  this text

Example: $PROG | grep '^nic\\.'
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	-n) ;;
	*) echo "$PROG: error: unknown argument $1 (see --help)" >&2; exit 1 ;;
	esac
	shift
done

kv() { printf '%s: %s\n' "$1" "${2:-unknown}"; }
rd() { cat "$1" 2>/dev/null || true; }   # contents, or nothing

# ------------------------------------------------------------------ host
kv host.name "$(hostname 2>/dev/null || rd /proc/sys/kernel/hostname)"
kv host.date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
kv host.kernel "$(uname -r)"
kv host.os "$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
# A hypervisor (latency and PCI pass-through differ from bare metal) and a
# container (sysfs and /proc may show the host's or be read-only).
virt=
cont=unknown
if command -v systemd-detect-virt >/dev/null 2>&1; then
	virt=$(systemd-detect-virt --vm 2>/dev/null || true)
	cont=$(systemd-detect-virt --container 2>/dev/null || true)
fi
if [ -z "$virt" ]; then
	if grep -qw hypervisor /proc/cpuinfo; then virt="yes (cpu flag hypervisor)"; else virt=none; fi
fi
kv host.virtualization "$virt"
kv host.container "$cont"
kv host.mem_mb "$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)"

# ------------------------------------------------------------------ cpu
kv cpu.model "$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
online=$(rd $SYS/devices/system/cpu/online)
kv cpu.online "$online"
sockets=$(cat $SYS/devices/system/cpu/cpu[0-9]*/topology/physical_package_id 2>/dev/null | sort -u | wc -l)
cores=$(for c in $SYS/devices/system/cpu/cpu[0-9]*/topology; do
	echo "$(rd $c/physical_package_id).$(rd $c/core_id)"; done 2>/dev/null | sort -u | wc -l)
threads=$(ls -d $SYS/devices/system/cpu/cpu[0-9]* | wc -l)
kv cpu.sockets "$sockets"
kv cpu.cores "$cores"
kv cpu.threads "$threads"
smt=$(rd $SYS/devices/system/cpu/smt/control)
[ -n "$smt" ] || { [ "$threads" -gt "$cores" ] && smt=on || smt=off; }
kv cpu.smt "$smt"
flags=$(awk -F': *' '/^flags/ {print " " $2 " "; exit}' /proc/cpuinfo)
has() { case $flags in *" $1 "*) echo yes ;; *) echo no ;; esac; }
kv cpu.flag.pdpe1gb "$(has pdpe1gb)"
kv cpu.flag.constant_tsc "$(has constant_tsc)"
kv cpu.flag.nonstop_tsc "$(has nonstop_tsc)"
kv cpu.clocksource "$(rd $SYS/devices/system/clocksource/clocksource0/current_clocksource)"
gov=$(cat $SYS/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_governor 2>/dev/null | sort | uniq -c |
	awk '{printf "%s%s x%s", s++ ? ", " : "", $2, $1}')
kv cpu.governor "${gov:-none (no cpufreq driver)}"
kv cpu.cpufreq_driver "$(rd $SYS/devices/system/cpu/cpu0/cpufreq/scaling_driver)"
if [ -r $SYS/devices/system/cpu/intel_pstate/no_turbo ]; then
	[ "$(rd $SYS/devices/system/cpu/intel_pstate/no_turbo)" = 1 ] && t=off || t=on
	kv cpu.turbo "$t"
elif [ -r $SYS/devices/system/cpu/cpufreq/boost ]; then
	[ "$(rd $SYS/devices/system/cpu/cpufreq/boost)" = 1 ] && t=on || t=off
	kv cpu.turbo "$t"
else
	kv cpu.turbo "unknown (no intel_pstate or cpufreq boost control)"
fi
kv cpu.idle_driver "$(rd $SYS/devices/system/cpu/cpuidle/current_driver)"
kv cpu.idle_states "$(cat $SYS/devices/system/cpu/cpu0/cpuidle/state*/name 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"

# ------------------------------------------------------------------ numa
nodes=$(ls -d $SYS/devices/system/node/node[0-9]* 2>/dev/null || true)
kv numa.nodes "$(echo "$nodes" | sed '/^$/d' | wc -l)"
for n in $nodes; do
	id=${n##*node}
	kv "numa.node$id.cpus" "$(rd "$n/cpulist")"
	kv "numa.node$id.mem_mb" "$(awk '/MemTotal:/ {print int($4 / 1024)}' "$n/meminfo" 2>/dev/null)"
done

# ------------------------------------------------------------------ hugepages
kv hugepages.default_kb "$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)"
if [ -n "$nodes" ]; then
	for n in $nodes; do
		for h in "$n"/hugepages/hugepages-*; do
			[ -d "$h" ] || continue
			sz=${h##*hugepages-}
			kv "hugepages.node${n##*node}.$sz.total" "$(rd "$h/nr_hugepages")"
			kv "hugepages.node${n##*node}.$sz.free" "$(rd "$h/free_hugepages")"
		done
	done
else
	for h in $SYS/kernel/mm/hugepages/hugepages-*; do
		sz=${h##*hugepages-}
		kv "hugepages.all.$sz.total" "$(rd "$h/nr_hugepages")"
		kv "hugepages.all.$sz.free" "$(rd "$h/free_hugepages")"
	done
fi
mounts=$(awk '$3 == "hugetlbfs" {o = $4; sub(/.*pagesize=/, "", o); sub(/,.*/, "", o);
	if (o == $4) o = "default"; printf "%s%s (%s)", s++ ? ", " : "", $2, o}' /proc/mounts)
kv hugepages.mounts "${mounts:-none}"

# ------------------------------------------------------------------ iommu
groups=$(ls $SYS/kernel/iommu_groups 2>/dev/null | wc -l)
kv iommu.groups "$groups"
if [ "$groups" -gt 0 ]; then kv iommu.enabled yes; else kv iommu.enabled no; fi
v=$(rd $SYS/module/vfio/parameters/enable_unsafe_noiommu_mode)
if [ -z "$v" ] && [ -d $SYS/module/vfio ]; then
	v="unsupported (kernel built without CONFIG_VFIO_NOIOMMU)"
fi
kv iommu.vfio_noiommu "${v:-n/a (vfio not loaded)}"
kv iommu.vfio_pci_loaded "$([ -d $SYS/bus/pci/drivers/vfio-pci ] && echo yes || echo no)"
kv host.cmdline "$(rd /proc/cmdline)"

# ------------------------------------------------------------------ isolation
iso=$(rd $SYS/devices/system/cpu/isolated)
kv isolation.isolated "${iso:-none}"
if [ -r $SYS/devices/system/cpu/nohz_full ]; then
	nz=$(rd $SYS/devices/system/cpu/nohz_full)
	[ "$nz" = "(null)" ] && nz=
	kv isolation.nohz_full "${nz:-none}"
else
	kv isolation.nohz_full "unsupported (kernel without NO_HZ_FULL)"
fi
if pgrep -x irqbalance >/dev/null 2>&1; then kv isolation.irqbalance running; else kv isolation.irqbalance "not running"; fi

# ------------------------------------------------------------------ nics
# Every PCI function of class 02 (network), bound or not: a port on vfio-pci
# has no kernel interface, so /sys/class/net alone would miss it.
n=0
for d in $SYS/bus/pci/devices/*; do
	case $(rd "$d/class") in 0x02*) ;; *) continue ;; esac
	a=${d##*/}
	n=$((n + 1))
	ven=$(rd "$d/vendor"); dev=$(rd "$d/device")
	drv=none
	[ -e "$d/driver" ] && drv=$(basename "$(readlink -f "$d/driver")")
	name=
	command -v lspci >/dev/null 2>&1 && name=$(lspci -s "$a" 2>/dev/null | sed 's/^[^ ]* [^:]*: //' | head -1)
	kv "nic.$a.id" "${ven#0x}:${dev#0x}"
	kv "nic.$a.name" "$name"
	kv "nic.$a.driver" "$drv"
	kv "nic.$a.numa_node" "$(rd "$d/numa_node")"
	kv "nic.$a.local_cpus" "$(rd "$d/local_cpulist")"
	ifs=
	for f in "$d"/net/* "$d"/*/net/*; do [ -e "$f" ] && ifs="$ifs ${f##*/}"; done
	ifs=${ifs# }
	kv "nic.$a.iface" "${ifs:-none}"
	for i in $ifs; do
		kv "nic.$a.link" "$(rd $SYS/class/net/$i/operstate)"
		sp=$(rd $SYS/class/net/$i/speed 2>/dev/null)
		case $sp in ''|-1) sp=unknown ;; esac
		kv "nic.$a.speed_mbps" "$sp"
		kv "nic.$a.mac" "$(rd $SYS/class/net/$i/address)"
		break
	done
	case $drv in
	vfio-pci|uio_pci_generic|igb_uio) use="dpdk ($drv)" ;;
	mlx5_core) use="kernel; usable by DPDK mlx5 PMD (bifurcated) with -a $a" ;;
	none) use="unbound" ;;
	*) use="kernel" ;;
	esac
	kv "nic.$a.use" "$use"
done
kv nic.count "$n"

# ------------------------------------------------------------------ dpdk
kv dpdk.version "$(pkg-config --modversion libdpdk 2>/dev/null || echo 'not found (apt-get install libdpdk-dev)')"
for t in dpdk-devbind.py dpdk-hugepages.py dpdk-telemetry.py dpdk-dumpcap dpdk-testpmd; do
	p=$(command -v $t 2>/dev/null || true)
	kv "dpdk.tool.$t" "${p:-missing}"
done
if command -v dpdk-devbind.py >/dev/null 2>&1; then
	# DPDK-bound network devices as dpdk-devbind.py sees them.
	dd=$(dpdk-devbind.py --status-dev net 2>/dev/null | awk '/drv=(vfio-pci|uio_pci_generic|igb_uio)/ {printf "%s%s", s++ ? ", " : "", $1}')
	kv dpdk.bound "${dd:-none}"
fi
pmds=$(ls -d /usr/lib/*/dpdk/pmds-* 2>/dev/null | head -1)
if [ -n "$pmds" ]; then
	kv dpdk.pmd_dir "$pmds"
	kv dpdk.pmds "$(ls "$pmds" | sed -n 's/^librte_net_\(.*\)\.so$/\1/p' | tr '\n' ' ' | sed 's/ $//')"
fi
exit 0
