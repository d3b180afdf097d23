#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# Reserve hugepages per NUMA node and mount hugetlbfs for them, for the nanoex
# DPDK appliance. Writes the kernel's per-node counters in
# /sys/devices/system/node/nodeN/hugepages/hugepages-<size>kB/nr_hugepages
# (the non-NUMA /sys/kernel/mm/hugepages/... when the kernel has no node
# directories), so it needs nothing but sysfs and mount. It does not touch the
# kernel command line: reserving 1 GB pages reliably is a boot-time job (--help).
# Idempotent: asking again for what is already there changes nothing.
set -eu

PROG=${0##*/}
SYS=/sys

usage() {
	cat <<EOF
Usage: $PROG [-n] [-s 2M|1G] [-N NODES] [-m DIR] COUNT
       $PROG [-n] [-s 2M|1G] [-N NODES] -u 0
       $PROG [-s 2M|1G] [-N NODES] --show
       $PROG -h | --help

Reserve COUNT hugepages of one size on each selected NUMA node, mount a
hugetlbfs for that size if none is mounted, and show the result.
COUNT 0 gives the pages of that size back to the kernel; mounts stay unless -u.

  -s SIZE     page size: 2M (default) or 1G
  -N NODES    comma-separated NUMA nodes (default: every node with memory).
              Put the pages on the node of the NIC: check-host.sh prints it.
  -m DIR      mount point (default /dev/hugepages for 2M, /dev/hugepages1G for 1G)
  -u          with COUNT 0: also unmount the hugetlbfs of that size (refused
              while files remain in it: a DPDK process, or one that died)
  -n          dry run: print what would be done, change nothing
  --show      print the current reservation and mounts, change nothing
  -h, --help  this text

Examples:
  $PROG 1024                 # 2 GB of 2 MB pages on every node
  $PROG -s 1G -N 0 4         # four 1 GB pages on node 0, mounted on /dev/hugepages1G
  $PROG -N 0 0               # release node 0's 2 MB pages
  $PROG -u 0                 # release every 2 MB page and unmount /dev/hugepages

Sizing: the appliance needs its mbuf pools (net.mbufs x ~2.3 KB per port)
plus every shard's books, orders and session history (docs/configuration.md);
reserve at least twice the total and check what the EAL logs at start-up.

1 GB pages at run time often fail once memory is fragmented. Reserve them at
boot instead, on the kernel command line (/etc/default/grub,
GRUB_CMDLINE_LINUX_DEFAULT, then update-grub and reboot):
  default_hugepagesz=1G hugepagesz=1G hugepages=8
which spreads the 8 pages evenly over the nodes; since Linux 5.16 (Debian 12
ships 6.1) a per-node count is accepted:
  default_hugepagesz=1G hugepagesz=1G hugepages=0:8,1:0
A hugetlbfs mount of 1 GB pages is needed after boot. With default_hugepagesz=1G
the one systemd mounts on /dev/hugepages already is (and there is then no 2 MB
mount: use -m for one); otherwise this script, or an fstab line
"nodev /dev/hugepages1G hugetlbfs pagesize=1G 0 0".
EOF
}

die() { echo "$PROG: error: $*" >&2; exit 1; }
warn() { echo "$PROG: warning: $*" >&2; }

DRY=0
SHOW=0
UNMOUNT=0
SIZE=2M
NODES=
MNT=
COUNT=
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	-n) DRY=1 ;;
	--show) SHOW=1 ;;
	-u) UNMOUNT=1 ;;
	-s) [ $# -ge 2 ] || die "-s needs a size (2M or 1G)"; SIZE=$2; shift ;;
	-N) [ $# -ge 2 ] || die "-N needs a node list"; NODES=$2; shift ;;
	-m) [ $# -ge 2 ] || die "-m needs a directory"; MNT=$2; shift ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) [ -z "$COUNT" ] || die "one COUNT only (see --help)"; COUNT=$1 ;;
	esac
	shift
done

case $SIZE in
2M|2m|2048k|2048K|2048kB) SIZE=2M; KB=2048 ;;
1G|1g|1024M|1048576kB) SIZE=1G; KB=1048576 ;;
*) die "page size must be 2M or 1G, not '$SIZE'" ;;
esac
[ -n "$MNT" ] || { [ $SIZE = 2M ] && MNT=/dev/hugepages || MNT=/dev/hugepages1G; }

[ -d "$SYS/kernel/mm/hugepages/hugepages-${KB}kB" ] ||
	die "this kernel offers no $SIZE pages ($SYS/kernel/mm/hugepages/hugepages-${KB}kB missing;" \
	    "1G pages need the CPU flag pdpe1gb and, in a VM, a hypervisor that passes it through)"

# Nodes: those asked for, or every node with memory; none at all on a kernel
# without NUMA support, where the global counter is used.
if [ -z "$NODES" ]; then
	if [ -r "$SYS/devices/system/node/has_memory" ]; then
		NODES=$(awk -F, '{for (i = 1; i <= NF; i++) { n = split($i, r, "-");
			if (n == 1) r[2] = r[1]; for (c = r[1]; c <= r[2]; c++) printf "%s%d", s++ ? "," : "", c } }' \
			"$SYS/devices/system/node/has_memory")
	fi
fi
node_file() {  # node_file NODE -> the nr_hugepages file to write
	if [ "$1" = all ]; then
		echo "$SYS/kernel/mm/hugepages/hugepages-${KB}kB/nr_hugepages"
	else
		echo "$SYS/devices/system/node/node$1/hugepages/hugepages-${KB}kB/nr_hugepages"
	fi
}
[ -n "$NODES" ] || NODES=all
for n in $(echo "$NODES" | tr , ' '); do
	case $n in all) ;; *[!0-9]*|'') die "bad node '$n' in -N $NODES" ;; esac
	[ -e "$(node_file "$n")" ] || die "no NUMA node $n with $SIZE pages ($(node_file "$n") missing)"
done

# The hugetlbfs mounted with this page size, if any ("pagesize=2M" is shown
# in /proc/mounts by every kernel this targets; a mount without the option
# uses the default size from /proc/meminfo).
default_kb=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
mount_for_size() {
	awk -v kb="$KB" -v dkb="$default_kb" '$3 == "hugetlbfs" {
		ps = dkb; n = split($4, o, ",");
		for (i = 1; i <= n; i++) if (o[i] ~ /^pagesize=/) {
			v = substr(o[i], 10); u = substr(v, length(v)); v = v + 0;
			ps = u == "G" ? v * 1048576 : u == "M" ? v * 1024 : u == "K" ? v : v / 1024 }
		if (ps == kb) { print $2; exit } }' /proc/mounts
}

show() {
	echo "hugepages (${SIZE}):"
	for n in $(echo "$NODES" | tr , ' '); do
		f=$(node_file "$n")
		d=${f%/nr_hugepages}
		printf '  node %-3s total %-6s free %-6s\n' "$n" "$(cat "$f")" "$(cat "$d/free_hugepages")"
	done
	echo "hugetlbfs mounts:"
	awk '$3 == "hugetlbfs" {print "  " $2 " (" $4 ")"; m = 1} END {if (!m) print "  none"}' /proc/mounts
}

if [ $SHOW = 1 ]; then
	show
	exit 0
fi

[ -n "$COUNT" ] || die "missing COUNT (see --help)"
case $COUNT in *[!0-9]*) die "COUNT must be a number of pages, not '$COUNT'" ;; esac
[ $UNMOUNT = 0 ] || [ "$COUNT" = 0 ] || die "-u goes with COUNT 0 only"
[ $DRY = 1 ] || [ "$(id -u)" = 0 ] || die "must run as root (or use -n for a dry run)"

run() {
	if [ $DRY = 1 ]; then echo "would run: $*"; else "$@"; fi
}
write() {  # write VALUE FILE
	if [ $DRY = 1 ]; then
		echo "would write: echo $1 > $2"
	else
		echo "$1" > "$2" || die "cannot write $1 to $2"
	fi
}

short=0
for n in $(echo "$NODES" | tr , ' '); do
	f=$(node_file "$n")
	cur=$(cat "$f")
	if [ "$cur" = "$COUNT" ]; then
		echo "node $n: $COUNT x $SIZE already reserved"
		continue
	fi
	write "$COUNT" "$f"
	[ $DRY = 1 ] && continue
	got=$(cat "$f")
	if [ "$got" -lt "$COUNT" ]; then
		# Fragmented memory: compact once and ask again.
		[ -w /proc/sys/vm/compact_memory ] && echo 1 > /proc/sys/vm/compact_memory
		write "$COUNT" "$f"
		got=$(cat "$f")
	fi
	if [ "$got" != "$COUNT" ]; then
		warn "node $n: asked for $COUNT x $SIZE, the kernel gave $got"
		short=1
	else
		echo "node $n: $COUNT x $SIZE reserved (was $cur)"
	fi
done

if [ "$COUNT" -gt 0 ]; then
	m=$(mount_for_size)
	if [ -n "$m" ]; then
		echo "hugetlbfs for $SIZE already mounted on $m"
	else
		if awk -v d="$MNT" '$2 == d {f = 1} END {exit !f}' /proc/mounts; then
			die "$MNT is already mounted with another page size or file system; choose one with -m"
		fi
		run mkdir -p "$MNT"
		run mount -t hugetlbfs -o pagesize=$SIZE nodev "$MNT"
		[ $DRY = 1 ] || echo "mounted hugetlbfs pagesize=$SIZE on $MNT"
	fi
fi

if [ $UNMOUNT = 1 ]; then
	m=$(mount_for_size)
	if [ -z "$m" ]; then
		echo "no hugetlbfs for $SIZE mounted"
	elif [ -n "$(ls -A "$m" 2>/dev/null)" ]; then
		die "$m still holds files ($(ls "$m" | head -3 | tr '\n' ' ')...): stop the DPDK process," \
		    "or delete the files of one that died, then try again"
	else
		run umount "$m"
		[ $DRY = 1 ] || echo "unmounted $m"
	fi
fi

[ $DRY = 1 ] || show
if [ $short = 1 ]; then
	die "fewer pages than asked for: free memory on that node, reserve at boot (--help), or ask for fewer"
fi
exit 0
