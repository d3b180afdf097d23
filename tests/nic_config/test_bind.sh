#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# nic_config/bind.sh on a fake sysfs tree (NX_SYSFS) with stubs in place of
# dpdk-devbind.py, modprobe and modinfo, dry runs only: no root, no NIC.
# Regression: --noiommu on a kernel without CONFIG_VFIO_NOIOMMU (Debian 12's)
# wrote nothing, ran "modprobe vfio enable_unsafe_noiommu_mode=1" (the
# kernel ignores an unknown parameter) and went on to bind, which vfio-pci
# refuses without an IOMMU group; it must stop and say why instead.
# Usage: tests/nic_config/test_bind.sh   Exit 0 pass, 1 fail, 77 skip.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v bash >/dev/null || { echo "SKIP: no bash"; exit 77; }
TMP=$(mktemp -d /tmp/nxbind.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
FAILS=0
ok() { echo "   ok: $1"; }
fail() { echo "   FAIL: $1"; FAILS=$((FAILS + 1)); }

# One Intel NIC on no driver, no IOMMU group anywhere, vfio-pci loaded.
SYSF=$TMP/sys
DEV=$SYSF/bus/pci/devices/0000:3b:00.0
mkdir -p "$DEV" "$SYSF/kernel/iommu_groups" "$SYSF/bus/pci/drivers/vfio-pci" "$TMP/bin"
echo 0x8086 >"$DEV/vendor"
echo 0x020000 >"$DEV/class"
echo 0 >"$DEV/numa_node"
for t in dpdk-devbind.py modprobe; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$t" "$TMP" >"$TMP/bin/$t"
done
# modinfo -p vfio of a kernel built without CONFIG_VFIO_NOIOMMU
printf '#!/bin/sh\necho "%s"\n' 'enable_sriov:Enable support for SR-IOV configuration (bool)' \
	>"$TMP/bin/modinfo"
chmod +x "$TMP/bin/"*
bind() { NX_SYSFS=$SYSF DEVBIND=dpdk-devbind.py PATH=$TMP/bin:$PATH bash "$ROOT/nic_config/bind.sh" "$@"; }

echo "== bind.sh: IOMMU off, no --noiommu"
out=$(bind -n 0000:3b:00.0 2>&1) && fail "accepted: $out" || {
	echo "$out" | grep -q 'the IOMMU is off' && ok "refused: the IOMMU is off" || fail "$out"; }

echo "== bind.sh --noiommu, vfio loaded without the parameter"
mkdir -p "$SYSF/module/vfio"
out=$(bind -n --noiommu 0000:3b:00.0 2>&1) && fail "accepted: $out" || {
	echo "$out" | grep -q 'CONFIG_VFIO_NOIOMMU' && ok "refused, naming CONFIG_VFIO_NOIOMMU" ||
		fail "$out"; }

echo "== bind.sh --noiommu, vfio not loaded, modinfo without the parameter"
rmdir "$SYSF/module/vfio"
out=$(bind -n --noiommu 0000:3b:00.0 2>&1) && fail "accepted: $out" || {
	echo "$out" | grep -q 'CONFIG_VFIO_NOIOMMU' && ok "refused, naming CONFIG_VFIO_NOIOMMU" ||
		fail "$out"; }

echo "== bind.sh --noiommu, a kernel with the mode"
mkdir -p "$SYSF/module/vfio/parameters"
echo N >"$SYSF/module/vfio/parameters/enable_unsafe_noiommu_mode"
out=$(bind -n --noiommu 0000:3b:00.0 2>&1)
if [ $? = 0 ] && echo "$out" | grep -q "would write: echo 1 > .*enable_unsafe_noiommu_mode" &&
   echo "$out" | grep -q 'would run: dpdk-devbind.py -b vfio-pci 0000:3b:00.0'; then
	ok "dry run enables the mode and binds"
else
	fail "$out"
fi
[ ! -e "$TMP/calls" ] && ok "a dry run ran nothing" || fail "ran: $(cat "$TMP/calls")"

[ $FAILS = 0 ] || exit 1
echo "bind.sh: all passed"
