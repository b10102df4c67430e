#!/bin/sh
# Topology "native" (make vmcheck-native): vsockproxy runs on this machine
# as the vsock host (CID 2) of three guests, CIDs 3, 4 and 5, started with
# vhost-vsock-pci: the scenarios of the nested topology without the L1
# guest in between.  It needs /dev/vhost-vsock; without it the test is
# skipped before anything touches AF_VSOCK.  TAP on stdout.
#
#   VMTEST_L2_KERNEL  kernel series of the guests (default 6.1, else 6.12)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
vt_setup native

# A machine without vhost_vsock has no vsock host side; if it is itself a
# guest, CID 2 is its hypervisor and not ours to use.
[ -e /dev/vhost-vsock ] ||
    vt_skip_all "no /dev/vhost-vsock here (vhost_vsock not loaded or not built): this machine cannot be the vsock host of guests"
[ -r /dev/vhost-vsock ] && [ -w /dev/vhost-vsock ] ||
    vt_skip_all "no read/write access to /dev/vhost-vsock"
why=$(vt_need_host_tools) || vt_skip_all "$why"
for t in socat ss setsid; do
	command -v "$t" >/dev/null || vt_skip_all "$t not installed"
done
proxy=$(vt_real_binary "$VSOCKPROXY") ||
    vt_skip_all "vsockproxy not built ($VSOCKPROXY)"
peer=$(vt_real_binary "$VSP_PEER") ||
    vt_skip_all "vsp-peer not built ($VSP_PEER)"
vt_kernel "${VMTEST_L2_KERNEL:-6.1}" || vt_kernel 6.12 ||
    vt_skip_all "no guest kernel: $VT_WHY"
vt_initramfs || vt_die "cannot build the initramfs"
vt_accel

# The guests' scenarios expect the busybox tools and our programs by name.
bin=$VT_RUN/bin
mkdir -p "$bin"
ln -s "$(command -v busybox)" "$bin/usleep"
ln -s "$proxy" "$bin/vsockproxy"
ln -s "$peer" "$bin/vsp-peer"
PATH=$bin:$PATH

vt_gdir=$VT_SRCDIR/guest
vt_suite=nested
vt_l2_kernel=$VT_KDIR/vmlinux
vt_l2_initrd=$VT_INITRD
vt_mode=test
vt_l2_qemu=$VT_QEMU
vt_l2_bios=$VT_QEMU_BIOS
L2_EXEC=
L2_QDIR=$VT_RUN
L2_DIR=$VT_RUN
L2_ACCEL="${VT_ACCEL_OPTS[*]}"
# With KVM the guests boot at once; with TCG one after the other.
case $L2_ACCEL in *kvm*) L2_PARALLEL=1 ;; esac
export vt_gdir vt_suite vt_l2_kernel vt_l2_initrd vt_l2_qemu vt_l2_bios vt_mode

# From here on the guest library's TAP helpers write to our stdout.
exec 3>&1
. "$vt_gdir/lib.sh"
. "$vt_gdir/nested.sh"
# A stuck step ends this script, not the machine (l1_abort in a guest
# powers it off).
l1_abort() {
	vt_plan
	exit 1
}

# The guests' QEMUs are children of this shell: none may outlive it.
native_cleanup() {
	local cid pid
	for cid in $L2_CIDS; do
		eval "pid=\${l2_pid_$cid:-}"
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done
	vt_cleanup
}
trap native_cleanup EXIT
trap 'native_cleanup; trap - INT; kill -INT $$' INT
trap 'native_cleanup; exit 143' TERM HUP

echo "# native: $(uname -r), guests $VT_KREL, ${L2_ACCEL}"
l1_run
vt_plan
[ "$vt_failed" -eq 0 ]
