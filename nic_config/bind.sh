#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# Hand a PCI NIC to DPDK (vfio-pci) or give it back to its kernel driver, with
# the checks dpdk-devbind.py leaves to the operator: the IOMMU is on, the
# vfio-pci module is loaded, the port does not carry the default route, and
# the NIC is not an NVIDIA/Mellanox one (those stay on mlx5_core). The binding
# itself is done by dpdk-devbind.py (Debian package "dpdk"). It does not
# survive a reboot: list the device in /etc/dpdk/interfaces for that.
set -eu

PROG=${0##*/}
SYS=${NX_SYSFS:-/sys}           # overridable for tests only
DEVBIND=${DEVBIND:-dpdk-devbind.py}

usage() {
	cat <<EOF
Usage: $PROG [-n] [--noiommu] DEVICE...            bind to vfio-pci
       $PROG [-n] -b DRIVER DEVICE...              bind to DRIVER (e.g. ice, i40e: back to Linux)
       $PROG [-n] -u DEVICE...                     unbind from any driver
       $PROG -s                                    show network devices and their drivers
       $PROG -h | --help

DEVICE is a PCI address (0000:3b:00.0 or 3b:00.0) or a kernel interface
name (enp59s0f0), which is resolved to its PCI address.

  -n          dry run: check everything, print the commands, change nothing
  --noiommu   allow vfio-pci without an IOMMU by turning on vfio's unsafe
              no-IOMMU mode (no DMA isolation, taints the kernel; test rigs only).
              Needs a kernel built with CONFIG_VFIO_NOIOMMU=y: Debian 12's
              is not, and there this option fails with that reason
  -b DRIVER   bind to DRIVER instead of vfio-pci
  -u          unbind
  -s          dpdk-devbind.py --status-dev net

Refused, whatever the options:
  - a device whose interface carries the default route (you would lose the
    machine); move the route or use another port;
  - binding an NVIDIA/Mellanox (vendor 15b3, ConnectX) device to vfio-pci:
    the mlx5 PMD is bifurcated, it works through rdma-core (ibverbs) while the
    port stays on mlx5_core, so nothing is bound: pass the PCI address to the
    EAL (-a 0000:3b:00.0) and install rdma-core and ibverbs-providers.

vfio-pci needs the IOMMU: on Intel add "intel_iommu=on iommu=pt" to the
kernel command line, on AMD "iommu=pt" (the AMD IOMMU is on when enabled in
the BIOS), and enable VT-d / AMD-Vi in the BIOS.
EOF
}

die() { echo "$PROG: error: $*" >&2; exit 1; }
warn() { echo "$PROG: warning: $*" >&2; }

DRY=0
NOIOMMU=0
DRIVER=vfio-pci
MODE=bind
DEVS=
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	-n) DRY=1 ;;
	--noiommu) NOIOMMU=1 ;;
	-b) [ $# -ge 2 ] || die "-b needs a driver name"; DRIVER=$2; shift ;;
	-u) MODE=unbind ;;
	-s) MODE=status ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) DEVS="$DEVS $1" ;;
	esac
	shift
done

command -v "$DEVBIND" >/dev/null 2>&1 ||
	die "$DEVBIND not found: apt-get install dpdk (Debian ships it as /usr/bin/dpdk-devbind.py)"

if [ $MODE = status ]; then
	exec "$DEVBIND" --status-dev net
fi
[ -n "$DEVS" ] || die "no device given (see --help)"
[ $DRY = 1 ] || [ "$(id -u)" = 0 ] || die "must run as root (or use -n for a dry run)"

run() {
	if [ $DRY = 1 ]; then echo "would run: $*"; else "$@"; fi
}

# PCI address of DEVICE (address, short address or interface name).
resolve() {
	local d=$1 p
	case $d in
	[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F].[0-7]) d=0000:$d ;;
	esac
	if [ -e "$SYS/bus/pci/devices/$d" ]; then
		echo "$d"
		return
	fi
	if [ -e "$SYS/class/net/$d/device" ]; then
		p=$(readlink -f "$SYS/class/net/$d/device")
		# virtio and the like hang the netdev off a child of the PCI function
		while [ -n "$p" ] && [ "$p" != / ]; do
			case ${p##*/} in
			[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7])
				echo "${p##*/}"; return ;;
			esac
			p=${p%/*}
		done
		die "$1: interface is not on a PCI device (virtual interfaces need a vdev, not a bind)"
	fi
	[ -e "$SYS/class/net/$d" ] &&
		die "$1: a virtual interface, not a PCI device (DPDK reaches it through a vdev such as net_af_packet)"
	die "$1: no such PCI device or network interface"
}

# Kernel interfaces of a PCI function (directly or under a virtio child).
ifaces_of() {
	local f
	for f in "$SYS/bus/pci/devices/$1"/net/* "$SYS/bus/pci/devices/$1"/*/net/*; do
		[ -e "$f" ] && echo "${f##*/}"
	done
	return 0
}

driver_of() {
	local l=$SYS/bus/pci/devices/$1/driver
	if [ -e "$l" ]; then basename "$(readlink -f "$l")"; else echo none; fi
}

default_route_ifaces() {
	{ ip -o -4 route show default 2>/dev/null; ip -o -6 route show default 2>/dev/null; } |
		awk '{for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1)}' | sort -u
}

check_iommu() {
	local groups
	groups=$(ls "$SYS/kernel/iommu_groups" 2>/dev/null | wc -l)
	if [ "$groups" -gt 0 ]; then
		echo "IOMMU: on ($groups groups)"
		return
	fi
	case $(cat "$SYS/module/vfio/parameters/enable_unsafe_noiommu_mode" 2>/dev/null) in Y|1)
		warn "IOMMU off; vfio runs in unsafe no-IOMMU mode (no DMA isolation, kernel tainted)"
		return ;;
	esac
	if [ $NOIOMMU = 0 ]; then
		die "the IOMMU is off (no group in $SYS/kernel/iommu_groups): enable VT-d/AMD-Vi in the BIOS and add" \
		    "'intel_iommu=on iommu=pt' (Intel) or 'iommu=pt' (AMD) to the kernel command line," \
		    "or pass --noiommu on a test rig"
	fi
	warn "IOMMU off: enabling vfio's unsafe no-IOMMU mode as asked (--noiommu)"
	# The mode exists only in kernels built with CONFIG_VFIO_NOIOMMU, which
	# Debian 12's is not: there the parameter is missing, modprobe ignores
	# it ("unknown parameter ... ignored") and vfio-pci then refuses the
	# device. Say so here instead of leaving it to dpdk-devbind.py.
	local p=$SYS/module/vfio/parameters/enable_unsafe_noiommu_mode
	local nomode="this kernel's vfio has no unsafe no-IOMMU mode (built without CONFIG_VFIO_NOIOMMU, as Debian 12's kernel is), so --noiommu cannot work: vfio-pci needs the IOMMU here (enable VT-d/AMD-Vi and add 'intel_iommu=on iommu=pt'), or boot a kernel built with CONFIG_VFIO_NOIOMMU=y"
	if [ -e "$p" ]; then
		if [ $DRY = 1 ]; then
			echo "would write: echo 1 > $p"
		else
			echo 1 > "$p"
		fi
		return
	fi
	[ -d "$SYS/module/vfio" ] && die "$nomode"   # loaded (or built in) without the parameter
	if command -v modinfo >/dev/null 2>&1 && modinfo -p vfio >/dev/null 2>&1 &&
	   ! modinfo -p vfio 2>/dev/null | grep -q '^enable_unsafe_noiommu_mode:'; then
		die "$nomode"
	fi
	run modprobe vfio enable_unsafe_noiommu_mode=1
	[ $DRY = 1 ] || [ -e "$p" ] || die "$nomode"
}

load_vfio() {
	[ -d "$SYS/bus/pci/drivers/vfio-pci" ] && return
	command -v modprobe >/dev/null 2>&1 || die "vfio-pci is not loaded and modprobe is missing (apt-get install kmod)"
	run modprobe vfio-pci || die "modprobe vfio-pci failed (is this kernel built with VFIO_PCI?)"
}

ROUTED=$(default_route_ifaces)
ALL=
for d in $DEVS; do
	ALL="$ALL $(resolve "$d")"
done
todo=
for a in $ALL; do
	vendor=$(cat "$SYS/bus/pci/devices/$a/vendor")
	cls=$(cat "$SYS/bus/pci/devices/$a/class")
	drv=$(driver_of "$a")
	ifs=$(ifaces_of "$a" | tr '\n' ' ')
	ifs=${ifs% }
	echo "$a: driver $drv, interfaces ${ifs:-none}, NUMA node $(cat "$SYS/bus/pci/devices/$a/numa_node" 2>/dev/null || echo ?)"
	case $cls in 0x02*) ;; *) die "$a is not a network controller (class $cls)" ;; esac
	for i in $ifs; do
		for r in $ROUTED; do
			[ "$i" = "$r" ] && die "$a ($i) carries the default route; refusing to take it from the kernel"
		done
	done
	if [ $MODE = bind ] && [ "$vendor" = 0x15b3 ] && [ "$DRIVER" != mlx5_core ]; then
		die "$a is an NVIDIA/Mellanox NIC: do not bind it to $DRIVER. The mlx5 PMD is bifurcated:" \
		    "keep it on mlx5_core (with ib_uverbs and mlx5_ib loaded; packages rdma-core and" \
		    "ibverbs-providers) and name it to the EAL directly: -a $a"
	fi
	if [ $MODE = bind ] && [ "$drv" = "$DRIVER" ]; then
		echo "$a: already bound to $DRIVER"
		continue
	fi
	if [ $MODE = unbind ] && [ "$drv" = none ]; then
		echo "$a: already unbound"
		continue
	fi
	if [ $MODE = bind ] && [ "$DRIVER" = vfio-pci ] && [ -d "$SYS/bus/pci/devices/$a/iommu_group/devices" ]; then
		# vfio hands out whole IOMMU groups: every other endpoint in the
		# group must be on vfio-pci too, or on no driver.
		for g in "$SYS/bus/pci/devices/$a/iommu_group/devices"/*; do
			o=${g##*/}
			case " $ALL " in *" $o "*) continue ;; esac
			case $(cat "$g/class" 2>/dev/null) in 0x0604*) continue ;; esac
			od=$(driver_of "$o")
			case $od in vfio-pci|none) ;; *)
				warn "$o shares IOMMU group $(basename "$(readlink -f "$SYS/bus/pci/devices/$a/iommu_group")") with $a and is on $od:" \
				     "vfio will refuse the group until it is bound to vfio-pci too (or unbound)" ;;
			esac
		done
	fi
	todo="$todo $a"
done

[ -n "$todo" ] || exit 0
if [ $MODE = bind ] && [ "$DRIVER" = vfio-pci ]; then
	check_iommu
	load_vfio
fi
for a in $todo; do
	if [ $MODE = unbind ]; then
		run "$DEVBIND" -u "$a"
	else
		run "$DEVBIND" -b "$DRIVER" "$a"
	fi
	[ $DRY = 1 ] || echo "$a: now $(driver_of "$a")"
done
