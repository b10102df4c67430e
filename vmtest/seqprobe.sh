#!/bin/sh
# What the kernel itself does with SOCK_SEQPACKET, and whether a relay can
# learn that its peer shut down reading (DESIGN.md, "vsock and UNIX
# SOCK_SEQPACKET, as measured"): tests/vsp-seqprobe with no relay in
# between, over AF_UNIX on this machine and over vsock_loopback (CID 1 to
# CID 1) in one guest per kernel series.  The probe prints every measured
# value as a TAP comment and asserts the facts a SOCK_SEQPACKET relay
# depends on.  The build machine opens no vsock socket: the probe's vsock
# mode runs only in the guests (and refuses to run without --in-guest).
#
#   VMTEST_SEQPROBE_REPEAT  rounds per guest (default 1)
#   SEQPROBE                the probe (default $top_builddir/tests/vsp-seqprobe)
# and the variables of vmtest/lib.sh.  TAP on stdout.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
vt_setup seqprobe

SEQPROBE=${SEQPROBE:-$top_builddir/tests/vsp-seqprobe}
probe=$(vt_real_binary "$SEQPROBE") ||
    vt_skip_all "vsp-seqprobe not built ($SEQPROBE)"
repeat=${VMTEST_SEQPROBE_REPEAT:-1}

# AF_UNIX here: safe on any machine.
r=0
while [ "$r" -lt "$repeat" ]; do
	r=$((r + 1))
	timeout 120 "$probe" unix > "$VT_RUN/unix-$r.tap" 2>&1
	st=$?
	vt_relay_tap "$VT_RUN/unix-$r.tap" "[host $(uname -r)] round $r:"
	[ "$st" -le 1 ] || vt_not_ok "[host] round $r: vsp-seqprobe unix exited $st"
done

why=$(vt_need_host_tools) || { vt_skip "vsock guests" "$why"; vt_finish; exit; }
vt_qemu_describe
deadline=${VMTEST_DEADLINE:-$((120 + 90 * repeat))}
VT_EXTRA_PROGRAMS="$probe:/usr/bin/vsp-seqprobe"
VT_IMAGE_NAME=seqprobe
for series in $VMTEST_KERNELS; do
	if ! vt_kernel "$series"; then
		vt_skip "[$series] seqprobe guest" "no $series kernel: $VT_WHY"
		continue
	fi
	tag="[$VT_KREL]"
	if ! vt_initramfs; then
		vt_not_ok "$tag build the initramfs"
		continue
	fi
	vt_accel
	t0=$(date +%s)
	vt_boot "seqprobe-$series" "$deadline" \
	    "vt_suite=seqprobe vt_repeat=$repeat"
	rc=$?
	vt_log "$tag guest ran $(( $(date +%s) - t0 ))s"
	vt_relay_tap "$VT_RUN/seqprobe-$series.tap" "$tag"
	case $rc in
	0|1)	[ "$VT_GUEST_RESULTS" -gt 0 ] || {
		    vt_not_ok "$tag guest reported results"
		    vt_console_tail "seqprobe-$series"; } ;;
	*)	vt_not_ok "$tag guest finished: $VT_BOOT_WHY"
		vt_console_tail "seqprobe-$series" ;;
	esac
done
vt_finish
