#!/bin/sh
# Topology "loopback" (part of make check): one QEMU guest per kernel
# series with vsock_loopback; vsockproxy and vsp-peer run inside it on CID
# 1, with each event backend.  The build machine opens no vsock socket.
# TAP on stdout; see vmtest/README.md.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
vt_setup loopback

why=$(vt_need_host_tools) || vt_skip_all "$why"
vt_qemu_describe
proxy=$(vt_real_binary "$VSOCKPROXY") ||
    vt_skip_all "vsockproxy not built ($VSOCKPROXY)"
vt_real_binary "$VSP_PEER" >/dev/null ||
    vt_skip_all "vsp-peer not built ($VSP_PEER)"

deadline=${VMTEST_DEADLINE:-170}

# Fetch the kernels first: with none at all the whole test is a skip.
kernels= skipped=
for series in $VMTEST_KERNELS; do
	if vt_kernel "$series"; then
		kernels="$kernels $series"
	else
		skipped="$skipped$series: $VT_WHY; "
	fi
done
[ -n "$kernels" ] || vt_skip_all "no guest kernel: ${skipped%; }"
for series in $VMTEST_KERNELS; do
	case " $kernels " in
	*" $series "*) ;;
	*)	vt_skip "[$series] loopback suite" "no $series kernel"
		continue ;;
	esac
	vt_kernel "$series" || continue
	tag="[$VT_KREL]"
	if ! vt_initramfs; then
		vt_not_ok "$tag build the initramfs"
		continue
	fi
	vt_accel
	t0=$(date +%s)
	vt_boot "loopback-$series" "$deadline" \
	    "vt_suite=loopback vt_backends=${VMTEST_BACKENDS:-epoll,poll}"
	rc=$?
	vt_log "$tag guest ran $(( $(date +%s) - t0 ))s"
	vt_relay_tap "$VT_RUN/loopback-$series.tap" "$tag"
	case $rc in
	0)	[ "$VT_GUEST_RESULTS" -gt 0 ] ||
		    vt_not_ok "$tag guest reported results" ;;
	1)	[ "$VT_GUEST_RESULTS" -gt 0 ] || {
		    vt_not_ok "$tag guest reported results"
		    vt_console_tail "loopback-$series"; } ;;
	*)	vt_not_ok "$tag guest finished: $VT_BOOT_WHY"
		vt_console_tail "loopback-$series" ;;
	esac
done
vt_finish
