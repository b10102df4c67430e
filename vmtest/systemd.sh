#!/bin/sh
# Topology "systemd" (make vmcheck-systemd): one QEMU guest whose PID 1 is
# systemd, to start the units of contrib/systemd for real.  The root is a
# Debian minbase built by mmdebstrap (cached like the kernels), plus
# vsockproxy from `make install DESTDIR=`, the build tree's units in
# /etc/systemd/system, vsp-peer and the suite of vmtest/guest/systemd.sh,
# which a oneshot unit runs once the system is up.  Debian's 6.12 kernel
# with vsock_loopback: every vsock socket is inside the guest, on CID 1.
# TAP on stdout; see vmtest/README.md.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
vt_setup systemd

# The root: what mmdebstrap installs and how.  Any change here is a new
# cache key, and so a new root.
SD_SUITE=${VMTEST_SYSTEMD_SUITE:-bookworm}
SD_PKGS=systemd,systemd-sysv,udev,iproute2,kmod
SD_OPTS=(--variant=minbase "--include=$SD_PKGS"
    "--dpkgopt=path-exclude=/usr/share/man/*"
    "--dpkgopt=path-exclude=/usr/share/doc/*"
    "--dpkgopt=path-include=/usr/share/doc/*/copyright"
    "--dpkgopt=path-exclude=/usr/share/locale/*")
# Units of the base system that only cost boot time in a test guest.
SD_MASK="getty.target getty-static.service serial-getty@ttyS0.service
getty@tty1.service apt-daily.timer apt-daily-upgrade.timer
dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer"

# The mirrors the system's apt uses for the suite, its updates and
# security (apt-get indextargets), else deb.debian.org.
sd_mirrors() {
	local uri rel out=
	while read -r uri rel; do
		case $rel in
		"$SD_SUITE"|"$SD_SUITE-updates"|"$SD_SUITE-security")
			out="$out${out:+
}deb $uri $rel main" ;;
		esac
	done < <(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
	    2>/dev/null | sort -u)
	if [ -z "$out" ]; then
		out="deb http://deb.debian.org/debian $SD_SUITE main
deb http://deb.debian.org/debian $SD_SUITE-updates main
deb http://deb.debian.org/debian-security $SD_SUITE-security main"
	fi
	echo "$out"
}

# A cached root is complete once its cpio and file list are in place.
sd_root_complete() {	# dir
	[ -f "$1/complete" ] && [ -f "$1/root.cpio" ] && [ -f "$1/root.list" ]
}

sd_root_cached() {
	local d
	for d in $(ls -td "$VMTEST_CACHE/systemd-root"/*/ 2>/dev/null); do
		d=${d%/}
		sd_root_complete "$d" || continue
		vt_log "using the cached root in $d ($VT_WHY)"
		SD_ROOT=$d
		return 0
	done
	return 1
}

# Build (or reuse) the root: an uncompressed cpio of the mmdebstrap tree
# and its file list (`find -printf '%y %p'`), in
# $VMTEST_CACHE/systemd-root/KEY.  The key covers the suite, the package
# list and options, the mirrors, mmdebstrap's version and the version of
# systemd that apt here sees as current: a point release makes a new
# root, anything else reuses it.  Without mmdebstrap or the network, the
# newest cached root is used.  Sets SD_ROOT; on failure VT_WHY.
sd_root() {
	local mirrors key dir tmp ver line
	local -a mirror_args=()
	SD_ROOT= VT_WHY=
	if ! command -v mmdebstrap >/dev/null 2>&1; then
		VT_WHY="mmdebstrap is not installed"
		sd_root_cached
		return
	fi
	mirrors=$(sd_mirrors)
	while IFS= read -r line; do
		mirror_args+=("$line")
	done <<< "$mirrors"
	ver=$(apt-cache show --no-all-versions systemd 2>/dev/null |
	    awk '$1 == "Version:" { print $2; exit }')
	key=$( { echo "$SD_SUITE"; echo "${SD_OPTS[*]}"; echo "$mirrors";
	    mmdebstrap --version 2>/dev/null; echo "systemd $ver"; } |
	    sha256sum | cut -c1-16)
	dir=$VMTEST_CACHE/systemd-root/$key
	sd_root_complete "$dir" && { SD_ROOT=$dir; return 0; }
	mkdir -p "$VMTEST_CACHE/systemd-root" || return 1
	exec 8> "$VMTEST_CACHE/systemd-root/.lock"
	flock 8
	if ! sd_root_complete "$dir"; then
		vt_log "building the $SD_SUITE root ($SD_PKGS)"
		tmp=$(mktemp -d "$VMTEST_CACHE/systemd-root/new.XXXXXX")
		if ! timeout 900 mmdebstrap "${SD_OPTS[@]}" "$SD_SUITE" \
		    "$tmp/root" "${mirror_args[@]}" < /dev/null \
		    > "$tmp/mmdebstrap.log" 2>&1; then
			# The first error says why (the last is "failed to
			# run").
			VT_WHY="mmdebstrap failed: $(grep -m 1 -E '^E:' \
			    "$tmp/mmdebstrap.log")"
			rm -rf "$tmp"
			exec 8>&-
			sd_root_cached
			return
		fi
		if ! (cd "$tmp/root" && find . -mindepth 1 | LC_ALL=C sort |
		    cpio --quiet -o -H newc) > "$tmp/root.cpio" ||
		    ! (cd "$tmp/root" &&
		    find . -mindepth 1 -printf '%y %p\n') > "$tmp/root.list"
		then
			VT_WHY="cannot make the cpio of the root"
			rm -rf "$tmp"
			exec 8>&-
			return 1
		fi
		rm -rf "$tmp/root" "$dir"
		{ echo "suite $SD_SUITE, systemd $ver"; echo "$mirrors";
		    echo "${SD_OPTS[*]}"; } > "$tmp/what"
		touch "$tmp/complete"
		mv "$tmp" "$dir" || { exec 8>&-; return 1; }
		# Older roots are no longer needed.
		find "$VMTEST_CACHE/systemd-root" -mindepth 1 -maxdepth 1 \
		    -type d ! -name "$key" -exec rm -rf {} + 2>/dev/null
		vt_log "cached the root in $dir ($(du -sh "$dir/root.cpio" |
		    cut -f1))"
	fi
	exec 8>&-
	SD_ROOT=$dir
}

# Is PATH (relative, "./usr/lib/...") in the root?
sd_in_root() {
	grep -qxF -e "f $1" -e "l $1" "$SD_ROOT/root.list"
}

# Copy the libraries that PROGRAM needs and the root lacks into STAGE
# (sanitizer runtimes, for instance; libc is the root's own).
sd_copy_libs() {	# stage program
	local lib
	for lib in $(ldd "$2" 2>/dev/null |
	    awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }'); do
		# Merged /usr: /lib/x is /usr/lib/x in the root.
		case $lib in
		/lib/*|/lib64/*|/bin/*|/sbin/*) lib=/usr$lib ;;
		esac
		sd_in_root ".$lib" && continue
		[ -e "$1$lib" ] && continue
		mkdir -p "$1$(dirname "$lib")"
		cp -L "$lib" "$1$lib" || return 1
	done
}

# What goes on top of the root: vsockproxy from `make install DESTDIR=`,
# the units, vsp-peer, the kernel's modules, the guest scripts and the
# unit that runs them.  Makes $VT_RUN/overlay.cpio.
sd_overlay() {
	local stage=$VT_RUN/stage u f d peer
	rm -rf "$stage"
	mkdir -p "$stage"
	if ! ${MAKE:-make} -C "$top_builddir" install DESTDIR="$stage" \
	    > "$VT_RUN/install.log" 2>&1; then
		VT_WHY="make install DESTDIR= failed: $(tail -n 3 \
		    "$VT_RUN/install.log")"
		return 1
	fi
	# The units as the build tree made them, in /etc/systemd/system;
	# copies make install put in the unit directory (if configured)
	# would only be shadowed: one of each.
	find "$stage" -path '*/systemd/system/vsockproxy*' -delete
	mkdir -p "$stage/etc/systemd/system/multi-user.target.wants"
	for u in vsockproxy.service vsockproxy@.service vsockproxy.socket; do
		f=$top_builddir/contrib/systemd/$u
		[ -f "$f" ] || { VT_WHY="no $f (run make)"; return 1; }
		cp "$f" "$stage/etc/systemd/system/$u"
	done
	# The root has a merged /usr: /lib, /bin, /sbin are symlinks there,
	# and a directory of the same name in the cpio would replace them.
	for d in bin sbin lib lib64; do
		[ -d "$stage/$d" ] && [ ! -L "$stage/$d" ] || continue
		grep -qxF "l ./$d" "$SD_ROOT/root.list" || continue
		mkdir -p "$stage/usr/$d"
		cp -a "$stage/$d/." "$stage/usr/$d/" && rm -rf "${stage:?}/$d"
	done
	peer=$(vt_real_binary "$VSP_PEER") ||
	    { VT_WHY="vsp-peer not built ($VSP_PEER)"; return 1; }
	mkdir -p "$stage/usr/local/bin"
	cp "$peer" "$stage/usr/local/bin/vsp-peer"
	for f in $(find "$stage" -type f -perm -u+x); do
		sd_copy_libs "$stage" "$f" ||
		    { VT_WHY="cannot copy the libraries of $f"; return 1; }
	done
	mkdir -p "$stage/usr/lib/modules"
	cp -a "$VT_KDIR/lib/modules/$VT_KREL" "$stage/usr/lib/modules/"
	mkdir -p "$stage/vmtest/bin"
	cp "$VT_SRCDIR/guest/lib.sh" "$VT_SRCDIR/guest/systemd.sh" \
	    "$VT_SRCDIR/guest/systemd-run" "$stage/vmtest/"
	chmod +x "$stage/vmtest/systemd-run"
	cp "$(command -v busybox)" "$stage/vmtest/bin/busybox"
	ln -s busybox "$stage/vmtest/bin/usleep"
	# A machine ID: not a first boot (no systemd-firstboot questions).
	echo 5ad0c0a1e0b1400e9f3b0d2c7a1e5f42 > "$stage/etc/machine-id"
	cat > "$stage/etc/systemd/system/vmtest-run.service" <<-EOF
	[Unit]
	Description=vmtest: the vsockproxy systemd suite
	After=multi-user.target

	[Service]
	Type=oneshot
	ExecStart=/vmtest/systemd-run
	StandardOutput=journal+console
	StandardError=journal+console
	EOF
	ln -s ../vmtest-run.service \
	    "$stage/etc/systemd/system/multi-user.target.wants/"
	for u in $SD_MASK; do
		ln -s /dev/null "$stage/etc/systemd/system/$u"
	done
	# /init only answers vt_accel's probe boot (rdinit=/init, "does
	# this kernel reach user space with KVM?"); the test boots
	# rdinit=/lib/systemd/systemd.
	cat > "$stage/init" <<-'EOF'
	#!/bin/sh
	mount -t devtmpfs devtmpfs /dev
	printf '\020' | dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc
	EOF
	chmod +x "$stage/init"
	# Leave out directories that are symlinks in the root (var/run...):
	# their contents still land through the symlink.
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	    awk 'NR == FNR { if ($1 == "l") link[$2] = 1; next }
		!($0 in link)' "$SD_ROOT/root.list" - |
	    cpio --quiet -o -H newc -R 0:0) > "$VT_RUN/overlay.cpio" ||
	    { VT_WHY="cpio of the overlay failed"; return 1; }
	rm -rf "$stage"
}

why=$(vt_need_host_tools) || vt_skip_all "$why"
vt_real_binary "$VSOCKPROXY" >/dev/null ||
    vt_skip_all "vsockproxy not built ($VSOCKPROXY)"
vt_real_binary "$VSP_PEER" >/dev/null ||
    vt_skip_all "vsp-peer not built ($VSP_PEER)"
series=${VMTEST_SYSTEMD_KERNEL:-6.12}
vt_kernel "$series" || vt_skip_all "no $series guest kernel: $VT_WHY"
t0=$(date +%s)
sd_root || vt_skip_all "no systemd root: $VT_WHY"
t1=$(date +%s)
vt_qemu_describe
echo "# root: $(head -n 1 "$SD_ROOT/what" 2>/dev/null) ($SD_ROOT)"
tag="[systemd $VT_KREL]"
if ! sd_overlay; then
	vt_not_ok "$tag install vsockproxy into the root"
	vt_diag "$VT_WHY"
	vt_finish
	exit
fi
VT_INITRD=$VMTEST_WORK/systemd-initrd.cpio
cat "$SD_ROOT/root.cpio" "$VT_RUN/overlay.cpio" > "$VT_INITRD" || {
	vt_not_ok "$tag build the initramfs"
	vt_finish
	exit
}
t2=$(date +%s)
vt_accel
# The root lives in RAM: 1 GiB holds it and the cpio it came from.
VT_MEM=${VMTEST_SYSTEMD_MEM:-1024}
vt_boot systemd "${VMTEST_DEADLINE:-300}" "rdinit=/lib/systemd/systemd"
rc=$?
t3=$(date +%s)
vt_log "$tag root $((t1 - t0))s, image $((t2 - t1))s, guest $((t3 - t2))s"
rm -f "$VT_INITRD"
vt_relay_tap "$VT_RUN/systemd.tap" "$tag"
case $rc in
0)	[ "$VT_GUEST_RESULTS" -gt 0 ] ||
	    vt_not_ok "$tag guest reported results" ;;
1)	[ "$VT_GUEST_RESULTS" -gt 0 ] || {
	    vt_not_ok "$tag guest reported results"
	    vt_console_tail systemd; } ;;
*)	vt_not_ok "$tag guest finished: $VT_BOOT_WHY"
	vt_console_tail systemd ;;
esac
vt_finish
