#!/bin/sh
# Topology "nested" (make vmcheck; make vmdemo with --demo): an L1 guest
# that is the vsock host (CID 2) for three L2 guests, CIDs 3, 4 and 5, and
# runs vsockproxy between them.  See vmtest/guest/nested.sh and
# vmtest/README.md.  TAP on stdout.
#
#   VMTEST_L1_KERNEL  kernel series of L1 (default 6.12, else 6.1)
#   VMTEST_L2_KERNEL  kernel series of the L2 guests (default 6.1, else L1's)
#   VMTEST_L1_SMP     L1's vCPUs (default 1: with 2, the emulated SVM
#                     failed 7 runs in 8 here, with 1, 1 in 5)
#   VMTEST_L2_QEMU    QEMU that L1 runs its guests with: outer (default:
#                     the QEMU that runs L1), system (the build machine's
#                     qemu-system-x86_64) or a path
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
mode=test
[ "${1:-}" = --demo ] && mode=demo
vt_setup "nested-$mode"

why=$(vt_need_host_tools) || vt_skip_all "$why"
vt_qemu_describe
vt_real_binary "$VSOCKPROXY" >/dev/null ||
    vt_skip_all "vsockproxy not built ($VSOCKPROXY)"
vt_real_binary "$VSP_PEER" >/dev/null ||
    vt_skip_all "vsp-peer not built ($VSP_PEER)"
command -v socat >/dev/null || vt_skip_all "socat not installed"

# L1 runs its guests with a QEMU of the build machine (its / is shared
# read-only with L1): by default the one that runs L1.
case ${VMTEST_L2_QEMU:-outer} in
outer)	l2_qemu=$VT_QEMU l2_bios=$VT_QEMU_BIOS ;;
system)	l2_qemu=qemu-system-x86_64 l2_bios=/usr/share/qemu/qboot.rom ;;
*)	l2_qemu=$VMTEST_L2_QEMU l2_bios=/usr/share/qemu/qboot.rom ;;
esac
case $l2_qemu in
/*)	;;
*)	l2_qemu=$(command -v "$l2_qemu") ||
	    vt_skip_all "no $VMTEST_L2_QEMU for the L2 guests" ;;
esac
[ -f "$l2_bios" ] || vt_skip_all "no $l2_bios (qboot) for the L2 guests"

# The first series that is available, of those asked for.
pick_kernel() {	# series...
	local s
	for s in "$@"; do
		vt_kernel "$s" && return 0
	done
	return 1
}

pick_kernel ${VMTEST_L2_KERNEL:-6.1 6.12} ||
    vt_skip_all "no kernel for the L2 guests: $VT_WHY"
vt_initramfs || vt_die "cannot build the initramfs"
l2_kernel=$VT_KDIR/vmlinux
l2_initrd=$VT_INITRD
l2_rel=$VT_KREL
pick_kernel ${VMTEST_L1_KERNEL:-6.12 6.1} ||
    vt_skip_all "no kernel for the L1 guest: $VT_WHY"
vt_initramfs || vt_die "cannot build the initramfs"
vt_accel
# L1 sees the build machine's / read-only, except /proc, /sys, /dev and
# /run, which it mounts anew.
for f in "$l2_kernel" "$l2_initrd" "$l2_qemu" "$l2_bios"; do
	case $f in
	*" "*)	vt_skip_all "$f: paths with spaces cannot go on a kernel command line" ;;
	/run/*|/proc/*|/sys/*|/dev/*)
		vt_skip_all "$f: L1 cannot see this path (use VMTEST_CACHE and VMTEST_WORK)" ;;
	esac
done

# The stack under the L2 guests (KVM in L1 on QEMU's emulated SVM) has
# failures of its own (vmtest/README.md, Known problems), frequent with
# Debian 12's QEMU 7.2, not seen with the backports QEMU that is now the
# default: L1's kernel panics ("Fatal exception in interrupt"), L1 resets
# without a word (its QEMU, run with -no-reboot, exits 0 with no
# verdict), L1 stops (nothing on its console, where it says it is alive
# every 10 s), or an L2 guest resets while it boots or stops answering in
# the middle of a step (L1 says "EMULATOR FAULT", only when no
# vsockproxy was busy).  None is vsockproxy's doing: a program in user
# space cannot panic, reset or stop a kernel.  Such a run is booted
# again, up to VMTEST_NESTED_TRIES times in all, and says so; a run that
# failed any other way (a result, a stuck step with a guest that
# answers, the whole-run deadline, a QEMU error) is never retried.
nested_infra_failure() {	# rc
	local fault
	if [ "$1" -eq 2 ] &&
	    grep -q 'Kernel panic' "$VT_RUN/nested.console" 2>/dev/null; then
		echo "L1's kernel panicked"
	elif [ "$1" -eq 2 ] && [ -n "$VT_BOOT_STUCK" ]; then
		echo "L1 stopped: $VT_BOOT_WHY"
	elif [ "$1" -eq 2 ] &&
	    [ "$VT_BOOT_WHY" = "QEMU exited with status 0" ]; then
		# No verdict through isa-debug-exit and no panic: L1 reset.
		echo "L1 reset (its QEMU exited 0 without a verdict)"
	elif grep -q '^not ok .* L2 guest CID [0-9]* booted' \
	    "$VT_RUN/nested.tap" 2>/dev/null; then
		echo "an L2 guest did not boot"
	elif fault=$(grep -m 1 '^# EMULATOR FAULT: ' "$VT_RUN/nested.tap" \
	    2>/dev/null); then
		echo "${fault#\# EMULATOR FAULT: }"
	else
		return 1
	fi
}

vt_log "L1 $VT_KREL, L2 $l2_rel; this takes a minute or two"
tries=${VMTEST_NESTED_TRIES:-5}
try=1
while :; do
	t0=$(date +%s)
	VT_MEM=3072 VT_SMP=${VMTEST_L1_SMP:-1} VT_SILENCE=90 vt_boot nested "${VMTEST_DEADLINE:-600}" \
	    "vt_suite=nested vt_mode=$mode vt_l2_kernel=$l2_kernel vt_l2_initrd=$l2_initrd vt_l2_qemu=$l2_qemu vt_l2_bios=$l2_bios vt_l2_accel=${VMTEST_L2_ACCEL:-auto} vt_backends=${VMTEST_BACKENDS:-epoll,poll}" \
	    -virtfs "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap"
	rc=$?
	vt_log "nested run took $(( $(date +%s) - t0 ))s"
	why=$(nested_infra_failure "$rc") && [ "$try" -lt "$tries" ] || break
	# The failed attempt's output stays, as comments and in files.
	echo "# nested: attempt $try of $tries: $why; booting L1 again"
	sed "s/^/# attempt $try: /" "$VT_RUN/nested.tap"
	vt_diag "$(tail -n 12 "$VT_RUN/nested.console")"
	for f in tap console; do
		mv "$VT_RUN/nested.$f" "$VT_RUN/nested.$f.attempt$try"
	done
	vt_log "nested: attempt $try: $why; booting L1 again"
	try=$((try + 1))
done
[ "$try" -eq 1 ] || echo "# nested: this is attempt $try of $tries"
vt_relay_tap "$VT_RUN/nested.tap" "[L1 $VT_KREL]"
case $rc in
0)	;;
1)	[ "$VT_GUEST_RESULTS" -gt 0 ] || {
	    vt_not_ok "L1 guest reported results"
	    vt_console_tail nested; } ;;
*)	vt_not_ok "L1 guest finished: $VT_BOOT_WHY"
	vt_console_tail nested ;;
esac
vt_finish
