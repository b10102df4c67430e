#!/bin/sh
# make vmdemo: boot one guest (6.12 kernel, vsock_loopback) and show a
# message going through vsockproxy over real vsock, a refused CID, and the
# proxy's log and statistics.  The nested topology with separate guests
# for each CID is vmtest/nested.sh (work in progress, see README.md).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
vt_setup demo

why=$(vt_need_host_tools) || vt_skip_all "$why"
vt_real_binary "$VSOCKPROXY" >/dev/null ||
    vt_skip_all "vsockproxy not built ($VSOCKPROXY)"
vt_real_binary "$VSP_PEER" >/dev/null ||
    vt_skip_all "vsp-peer not built ($VSP_PEER)"
series=${VMTEST_DEMO_KERNEL:-6.12}
vt_kernel "$series" || vt_skip_all "no $series kernel: $VT_WHY"
vt_initramfs || vt_die "cannot build the initramfs"
vt_accel
vt_boot "demo" "${VMTEST_DEADLINE:-120}" "vt_suite=demo"
rc=$?
vt_relay_tap "$VT_RUN/demo.tap" "[$VT_KREL]"
case $rc in
0|1)	[ "$VT_GUEST_RESULTS" -gt 0 ] || vt_not_ok "guest reported results" ;;
*)	vt_not_ok "guest finished: $VT_BOOT_WHY"
	vt_console_tail "demo" ;;
esac
vt_finish
