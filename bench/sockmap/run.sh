#!/bin/bash
# bench/sockmap/run.sh: boot one 6.12 vmtest guest with vsock_loopback
# and run the suite vmtest/guest/sockmap.sh against the sockmap relay
# prototype (README.md here).  Run from a build directory where `make`
# has built src/vsockproxy, bench/vsp-bench and tests/vsp-peer, after
# `make -f SRC/bench/sockmap/Makefile O=bench/sockmap`.  Prints the
# guest's TAP.  Not part of make check.
#
#   SM_BYTES (128M) SM_REPEAT (3) SM_EOF_MS (0)  see the guest suite
#   VMTEST_GUEST_ARGS="vt_only=REGEX"            only some scenarios
set -u
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
top_builddir=$(pwd)
SMR=$top_builddir/bench/sockmap/sockmap-relay
VSP_BENCH=$top_builddir/bench/vsp-bench
for f in "$SMR" "$VSP_BENCH" "$top_builddir/tests/vsp-peer"; do
	[ -x "$f" ] || { echo "1..0 # SKIP $f is not built"; exit 0; }
done
. "$top_srcdir/vmtest/lib.sh"
vt_setup sockmap
why=$(vt_need_host_tools) || vt_skip_all "$why"
vt_kernel 6.12 || vt_skip_all "no 6.12 kernel: $VT_WHY"
VT_EXTRA_PROGRAMS="$VSP_BENCH:/usr/bin/vsp-bench $SMR:/usr/bin/sockmap-relay"
VT_IMAGE_NAME=sockmap
vt_initramfs || vt_skip_all "cannot build the initramfs"
vt_accel
echo "# host: $(uname -r), $(nproc) CPUs, loadavg $(cat /proc/loadavg)"
vt_qemu_describe
VT_MEM=${VT_MEM:-1024}
vt_boot sockmap "${VMTEST_DEADLINE:-1800}" "vt_suite=sockmap \
vt_sm_bytes=${SM_BYTES:-128M} vt_sm_repeat=${SM_REPEAT:-3} \
vt_sm_eof_ms=${SM_EOF_MS:-0}"
rc=$?
cat "$VT_RUN/sockmap.tap" 2>/dev/null
echo "# host loadavg after: $(cat /proc/loadavg)"
[ $rc -eq 0 ] || { echo "not ok - guest: ${VT_BOOT_WHY:-failed}";
    vt_console_tail sockmap 40; }
exit 0
