# vmtest/lib.sh: host-side helpers for the VM tests, sourced by bash.
#
# The build machine never opens an AF_VSOCK socket: all vsock traffic
# happens inside QEMU guests.  This library
#   - fetches Debian kernels (apt-get download + dpkg-deb -x, no install)
#     into a cache and keeps only what a guest needs: an uncompressed
#     vmlinux for PVH direct boot and a few modules with a busybox depmod;
#   - builds a cpio initramfs (busybox, modules, the project's programs and
#     the guest scripts of vmtest/guest/), rebuilt only when an input changes;
#   - boots it under QEMU with a deadline, the TAP results on the second
#     serial port and the guest's verdict through isa-debug-exit;
#   - prints TAP, renumbering the guests' results into one stream.
#
# Environment (all optional):
#   VMTEST_CACHE    kernels fetched from Debian, shared between build trees
#                   (default ${XDG_CACHE_HOME:-$HOME/.cache}/vsockproxy-vmtest)
#   VMTEST_WORK     images, consoles and logs (default $top_builddir/vmtest/work)
#   VMTEST_KERNELS  kernel series to test (default "6.1 6.12")
#   VMTEST_ACCEL    auto (default), tcg or kvm
#   VMTEST_VERBOSE  1: guests log every scenario's output on their console,
#                   which is copied to stderr; 2: also trace the scenarios
#   VMTEST_GUEST_ARGS  more words for the guests' kernel command lines
#   VMTEST_QEMU     QEMU binary (default: qemu-system-x86 of
#                   bookworm-backports, fetched into the cache; see vt_qemu)
#   VSOCKPROXY, VSP_PEER, top_srcdir, top_builddir: as set by `make check`.

set -u

vt_die() {
	echo "vmtest: $*" >&2
	exit 99
}

vt_log() {
	echo "vmtest: $*" >&2
}

# ---------------------------------------------------------------- TAP --

VT_N=0
VT_FAILED=0
VT_PASSED=0
VT_SKIPPED=0

vt_ok() {
	VT_N=$((VT_N + 1))
	VT_PASSED=$((VT_PASSED + 1))
	echo "ok $VT_N - $*"
}

vt_not_ok() {
	VT_N=$((VT_N + 1))
	VT_FAILED=$((VT_FAILED + 1))
	echo "not ok $VT_N - $*"
}

vt_skip() {	# description reason
	VT_N=$((VT_N + 1))
	VT_SKIPPED=$((VT_SKIPPED + 1))
	echo "ok $VT_N - $1 # SKIP $2"
}

vt_diag() {
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do
		echo "# $line"
	done
}

vt_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# The plan goes last: the number of results is known only once the guests
# have reported.
vt_finish() {
	echo "1..$VT_N"
	vt_log "$VT_PASSED passed, $VT_FAILED failed, $VT_SKIPPED skipped"
	[ "$VT_FAILED" -eq 0 ]
}

# Copy a guest's TAP lines into ours: results renumbered and tagged,
# comments kept, the guest's own plan dropped.  Sets VT_GUEST_RESULTS.
vt_relay_tap() {	# file tag
	local line rest
	VT_GUEST_RESULTS=0
	[ -f "$1" ] || return 0
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"ok "*|"not ok "*)
			VT_GUEST_RESULTS=$((VT_GUEST_RESULTS + 1))
			rest=${line#ok }
			rest=${rest#not ok }
			rest=${rest#* }		# the guest's number
			rest=${rest#- }
			case $line in
			"not ok "*) vt_not_ok "$2 $rest" ;;
			*"# SKIP"*|*"# skip"*)
				VT_N=$((VT_N + 1))
				VT_SKIPPED=$((VT_SKIPPED + 1))
				echo "ok $VT_N - $2 $rest" ;;
			*) vt_ok "$2 $rest" ;;
			esac ;;
		"#"*) echo "$line" ;;
		esac
	done < "$1"
}

# --------------------------------------------------------------- setup --

# Paths and defaults; call first.
vt_setup() {	# name of the topology
	VT_NAME=$1
	# CI sets this where a build's VM run would only repeat another's.
	[ -z "${VMTEST_SKIP:-}" ] || vt_skip_all "$VMTEST_SKIP"
	VT_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	top_srcdir=${top_srcdir:-$(cd "$VT_SRCDIR/.." && pwd)}
	top_builddir=${top_builddir:-$(pwd)}
	VSOCKPROXY=${VSOCKPROXY:-$top_builddir/src/vsockproxy}
	VSOCKPROXYCTL=${VSOCKPROXYCTL:-$top_builddir/src/vsockproxyctl}
	VSP_PEER=${VSP_PEER:-$top_builddir/tests/vsp-peer}
	VMTEST_WORK=${VMTEST_WORK:-$top_builddir/vmtest/work}
	VMTEST_KERNELS=${VMTEST_KERNELS:-6.1 6.12}
	VMTEST_ACCEL=${VMTEST_ACCEL:-auto}
	VMTEST_VERBOSE=${VMTEST_VERBOSE:-0}
	if [ -z "${VMTEST_CACHE:-}" ]; then
		if [ -n "${XDG_CACHE_HOME:-}" ]; then
			VMTEST_CACHE=$XDG_CACHE_HOME/vsockproxy-vmtest
		elif [ -n "${HOME:-}" ] && [ -d "$HOME" ] && [ -w "$HOME" ]; then
			VMTEST_CACHE=$HOME/.cache/vsockproxy-vmtest
		else
			VMTEST_CACHE=$top_builddir/vmtest/cache
		fi
	fi
	mkdir -p "$VMTEST_WORK" "$VMTEST_CACHE" ||
	    vt_skip_all "cannot create $VMTEST_WORK or $VMTEST_CACHE"
	VT_RUN=$(mktemp -d "$VMTEST_WORK/run-$VT_NAME.XXXXXX") ||
	    vt_skip_all "cannot create a run folder in $VMTEST_WORK"
	VT_PIDS=
	trap vt_cleanup EXIT
	trap 'vt_cleanup; trap - INT; kill -INT $$' INT
	trap 'vt_cleanup; exit 143' TERM HUP
	vt_qemu
}

# Stop every QEMU we started; keep the logs of the last run for a look.
vt_cleanup() {
	local pid
	for pid in $VT_PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $VT_PIDS; do
		wait "$pid" 2>/dev/null
	done
	VT_PIDS=
	if [ -n "${VT_RUN:-}" ] && [ -d "$VT_RUN" ]; then
		rm -rf "$VMTEST_WORK/last-$VT_NAME"
		mv "$VT_RUN" "$VMTEST_WORK/last-$VT_NAME" 2>/dev/null
		VT_RUN=
	fi
}

# Programs the harness itself needs on the build machine.  Prints what is
# missing.
vt_need_host_tools() {
	local t missing=
	for t in "$VT_QEMU" busybox dpkg-deb apt-get apt-cache cpio \
	    timeout flock zstd xz ldd; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	[ -z "$missing" ] && return 0
	echo "missing on the build machine:$missing"
	return 1
}

# A program built by make may be a libtool wrapper script; find the real
# binary next to it.
vt_real_binary() {
	local f=$1
	[ -x "$f" ] || return 1
	if [ "$(head -c 2 "$f")" = "#!" ]; then
		local d b
		d=$(dirname "$f")
		b=$(basename "$f")
		for f in "$d/.libs/$b" "$d/.libs/lt-$b"; do
			[ -x "$f" ] && { echo "$f"; return 0; }
		done
		return 1
	fi
	echo "$f"
}

# ------------------------------------------------------------- kernels --

VT_APT_OPTS=()

# apt options for a private view of bookworm-backports: its own source
# list, package lists and cache, so that the system's apt configuration and
# state stay untouched.  The mirror is the one the system already uses.
vt_backports_apt() {
	local dir=$VMTEST_CACHE/apt-backports codename mirror keyring
	codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || { VT_WHY="cannot tell the Debian release"; return 1; }
	mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
	    2>/dev/null | awk -v s="$codename" '$2 == s { print $1; exit }')
	mirror=${mirror:-http://deb.debian.org/debian/}
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	if [ -f "$keyring" ]; then
		echo "deb [signed-by=$keyring] $mirror $codename-backports main"
	else
		echo "deb $mirror $codename-backports main"
	fi > "$dir/sources.list.new"
	if ! cmp -s "$dir/sources.list.new" "$dir/sources.list"; then
		mv "$dir/sources.list.new" "$dir/sources.list"
		rm -f "$dir/updated"
	else
		rm -f "$dir/sources.list.new"
	fi
	VT_APT_OPTS=(-o "Dir::Etc::sourcelist=$dir/sources.list"
	    -o "Dir::Etc::sourceparts=-"
	    -o "Dir::State::Lists=$dir/lists"
	    -o "Dir::Cache=$dir/cache")
	[ "$(id -u)" = 0 ] && VT_APT_OPTS+=(-o "APT::Sandbox::User=root")
	# Refresh the lists once a day, or when asked to.
	if [ "${1:-}" = refresh ] || [ -z "$(find "$dir/updated" -mmin -1440 \
	    2>/dev/null)" ]; then
		if timeout 120 apt-get "${VT_APT_OPTS[@]}" -q update \
		    > "$dir/update.log" 2>&1; then
			touch "$dir/updated"
		else
			VT_WHY="apt-get update for $codename-backports failed (see $dir/update.log)"
			return 1
		fi
	fi
}

# The uncompressed kernel inside a bzImage: try each compressor's magic
# until one gives an ELF file (the method of the kernel's
# scripts/extract-vmlinux).
vt_extract_vmlinux() {	# bzImage out
	local spec magic cmd off
	for spec in '\x28\xb5\x2f\xfd:zstd -dcq' '\xfd\x37\x7a\x58\x5a\x00:xz -dcq' \
	    '\x1f\x8b\x08:gzip -dcq'; do
		magic=${spec%%:*}
		cmd=${spec#*:}
		for off in $(LC_ALL=C grep -obUaP "$magic" "$1" | cut -d: -f1); do
			tail -c +$((off + 1)) "$1" | $cmd > "$2" 2>/dev/null
			[ "$(head -c 4 "$2" | od -An -tx1 | tr -d ' \n')" = \
			    7f454c46 ] && return 0
		done
	done
	rm -f "$2"
	return 1
}

# Modules the guests load (their dependencies come along).  kvm_amd and
# kvm_intel: the nested L1 guest runs its L2 guests with KVM when its CPU
# offers SVM or VMX (QEMU's TCG emulates SVM).
VT_MODULES="vsock_loopback vsock_diag vhost_vsock vmw_vsock_virtio_transport
virtio_pci 9pnet_virtio 9p kvm_amd kvm_intel"

# A kernel unpacked in the cache with every module of VT_MODULES.
vt_kernel_complete() {	# dir
	[ -f "$1/release" ] && [ "$(cat "$1/modules" 2>/dev/null)" = \
	    "$(echo $VT_MODULES)" ]
}

# Unpack a kernel package into $2: vmlinux, lib/modules/REL with only the
# modules above (uncompressed) and a busybox depmod, release.
vt_unpack_kernel() {	# deb dir
	local deb=$1 dir=$2 x rel m f deps todo done_=
	x=$dir.x
	rm -rf "$x" "$dir"
	mkdir -p "$x" "$dir" || return 1
	dpkg-deb -x "$deb" "$x" || { VT_WHY="dpkg-deb -x $deb failed"; return 1; }
	rel=$(ls "$x/lib/modules" 2>/dev/null | head -n 1)
	[ -n "$rel" ] || { VT_WHY="no lib/modules in $deb"; return 1; }
	vt_extract_vmlinux "$x/boot/vmlinuz-$rel" "$dir/vmlinux" ||
	    { VT_WHY="cannot extract vmlinux from vmlinuz-$rel"; return 1; }
	# A depmod of the whole tree resolves the dependencies once.
	busybox depmod -b "$x" "$rel" ||
	    { VT_WHY="busybox depmod failed"; return 1; }
	mkdir -p "$dir/lib/modules/$rel"
	todo=
	for m in $VT_MODULES; do
		f=$(awk -F: -v m="$m" '{ n = $1; sub(/.*\//, "", n);
		    sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n);
		    if (n == m) { print; exit } }' \
		    "$x/lib/modules/$rel/modules.dep")
		if [ -z "$f" ]; then
			# Built in: nothing to copy.
			grep -q "/$m.ko" "$x/lib/modules/$rel/modules.builtin" &&
			    continue
			VT_WHY="module $m not in the $rel package"
			return 1
		fi
		todo="$todo ${f%%:*} ${f#*:}"
	done
	for f in $todo; do
		case " $done_ " in *" $f "*) continue ;; esac
		done_="$done_ $f"
		mkdir -p "$dir/lib/modules/$rel/$(dirname "$f")"
		case $f in
		*.ko) cp "$x/lib/modules/$rel/$f" "$dir/lib/modules/$rel/$f" ;;
		*.ko.xz) xz -dc "$x/lib/modules/$rel/$f" \
		    > "$dir/lib/modules/$rel/${f%.xz}" ;;
		*.ko.zst) zstd -dcq "$x/lib/modules/$rel/$f" \
		    > "$dir/lib/modules/$rel/${f%.zst}" ;;
		*.ko.gz) gzip -dc "$x/lib/modules/$rel/$f" \
		    > "$dir/lib/modules/$rel/${f%.gz}" ;;
		esac || { VT_WHY="cannot copy module $f"; return 1; }
	done
	cp "$x/lib/modules/$rel/modules.builtin" \
	    "$x/lib/modules/$rel/modules.order" "$dir/lib/modules/$rel/" \
	    2>/dev/null
	busybox depmod -b "$dir" "$rel" ||
	    { VT_WHY="busybox depmod failed"; return 1; }
	cp "$x/boot/config-$rel" "$dir/config" 2>/dev/null
	echo $VT_MODULES > "$dir/modules"
	echo "$rel" > "$dir/release"
	rm -rf "$x"
}

# Make the newest Debian kernel of a series (6.1 from the system's apt
# sources, 6.12 from bookworm-backports) available in the cache.  Sets
# VT_KDIR (vmlinux, lib/, release) and VT_KREL; on failure VT_WHY.
# Without the network, the newest kernel of the series already in the
# cache is used.
vt_kernel() {	# series
	local series=$1 pkg ver id dir tmp
	VT_KDIR= VT_KREL= VT_WHY=
	VT_APT_OPTS=()
	case $series in
	6.1)	;;
	6.12)	vt_backports_apt || { vt_kernel_cached "$series"; return; } ;;
	*)	VT_WHY="unknown kernel series $series (known: 6.1 6.12)"
		return 1 ;;
	esac
	pkg=$(apt-cache "${VT_APT_OPTS[@]}" depends linux-image-amd64 2>/dev/null |
	    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	case $pkg in
	linux-image-"$series".*) ;;
	"")	VT_WHY="apt knows no linux-image-amd64 (apt-get update?)"
		vt_kernel_cached "$series"
		return ;;
	*)	VT_WHY="linux-image-amd64 is $pkg here, not $series"
		vt_kernel_cached "$series"
		return ;;
	esac
	ver=$(apt-cache "${VT_APT_OPTS[@]}" show --no-all-versions "$pkg" \
	    2>/dev/null | awk '$1 == "Version:" { print $2; exit }')
	id=$(echo "${pkg}_$ver" | tr '~+:' '___')
	dir=$VMTEST_CACHE/kernels/$series/$id
	if ! vt_kernel_complete "$dir"; then
		mkdir -p "$VMTEST_CACHE/kernels/$series"
		exec 8> "$VMTEST_CACHE/kernels/$series/.lock"
		flock 8
		if ! vt_kernel_complete "$dir"; then
			vt_log "fetching $pkg $ver"
			tmp=$(mktemp -d "$VMTEST_CACHE/kernels/$series/dl.XXXXXX")
			if ! (cd "$tmp" && timeout 600 apt-get \
			    "${VT_APT_OPTS[@]}" -q download "$pkg=$ver") \
			    > "$tmp.log" 2>&1; then
				VT_WHY="apt-get download $pkg=$ver failed: $(tail -n 1 "$tmp.log")"
				rm -rf "$tmp" "$tmp.log"
				exec 8>&-
				vt_kernel_cached "$series"
				return
			fi
			rm -f "$tmp.log"
			if ! vt_unpack_kernel "$tmp"/*.deb "$dir.new"; then
				rm -rf "$tmp" "$dir.new" "$dir.new.x"
				exec 8>&-
				return 1
			fi
			rm -rf "$tmp"
			rm -rf "$dir"
			mv "$dir.new" "$dir"
			# Older kernels of the series are no longer needed.
			find "$VMTEST_CACHE/kernels/$series" -mindepth 1 \
			    -maxdepth 1 -type d ! -name "$id" \
			    -exec rm -rf {} + 2>/dev/null
			vt_log "cached $pkg $ver in $dir"
		fi
		exec 8>&-
	fi
	VT_KDIR=$dir
	VT_KREL=$(cat "$dir/release")
}

vt_kernel_cached() {	# series
	local d
	d=$(ls -d "$VMTEST_CACHE/kernels/$1"/*/ 2>/dev/null | tail -n 1)
	if [ -n "$d" ] && [ -f "$d/release" ]; then
		vt_log "using the cached kernel in $d ($VT_WHY)"
		VT_KDIR=${d%/}
		VT_KREL=$(cat "$d/release")
		VT_WHY=
		return 0
	fi
	return 1
}

# ---------------------------------------------------------------- QEMU --

# The QEMU that runs the guests.  Debian 12's QEMU 7.2 emulates AMD SVM
# (which the nested topology uses to run its L2 guests with KVM inside
# L1) with faults of its own: L1 panics or resets, an L2 guest resets as
# it boots, about one nested run in six.  bookworm-backports carries a
# newer qemu-system-x86 that ran the same suite without one (see
# vmtest/README.md), and it needs no library beyond Debian 12's: so it is
# fetched like the 6.12 kernel, through the private apt view, unpacked
# with dpkg-deb -x into the cache (nothing installed), and run through a
# wrapper that points it at its own firmware and modules.  VMTEST_QEMU
# overrides it; without the network the newest cached one is used, and
# without that the system's QEMU, which vt_qemu_describe says.
#
# Sets VT_QEMU (a command), VT_QEMU_BIOS (qboot.rom, or empty) and
# VT_QEMU_FROM (where it came from, and why, for a TAP comment).
VT_QEMU_PKGS="qemu-system-x86 qemu-system-common qemu-system-data"

vt_qemu() {
	local sys_bios=/usr/share/qemu/qboot.rom
	VT_QEMU_BIOS=
	if [ -n "${VMTEST_QEMU:-}" ]; then
		VT_QEMU=$VMTEST_QEMU
		VT_QEMU_FROM="VMTEST_QEMU"
		[ -f "$sys_bios" ] && VT_QEMU_BIOS=$sys_bios
		return 0
	fi
	if vt_qemu_backports || vt_qemu_cached; then
		VT_QEMU=$VT_QDIR/qemu-system-x86_64
		VT_QEMU_BIOS=$VT_QDIR/root/usr/share/qemu/qboot.rom
		VT_QEMU_FROM="bookworm-backports, cached in $VT_QDIR"
		return 0
	fi
	VT_QEMU=qemu-system-x86_64
	VT_QEMU_FROM="the system's; the backports QEMU is unavailable: $VT_WHY"
	[ -f "$sys_bios" ] && VT_QEMU_BIOS=$sys_bios
	return 0
}

# One comment line: which QEMU, and why that one.
vt_qemu_describe() {
	local v
	v=$("$VT_QEMU" --version 2>/dev/null | head -n 1)
	echo "# QEMU: ${v:-$VT_QEMU (no version)} ($VT_QEMU_FROM)"
}

# A cached QEMU is complete once its wrapper answers --version.
vt_qemu_complete() {	# dir
	[ -x "$1/qemu-system-x86_64" ] && [ -f "$1/complete" ]
}

vt_qemu_cached() {
	local d
	for d in $(ls -d "$VMTEST_CACHE/qemu"/*/ 2>/dev/null | sort -r); do
		d=${d%/}
		if vt_qemu_complete "$d" &&
		    "$d/qemu-system-x86_64" --version >/dev/null 2>&1; then
			vt_log "using the cached QEMU in $d ($VT_WHY)"
			VT_QDIR=$d
			return 0
		fi
	done
	return 1
}

# Fetch and unpack the backports QEMU (once per version).  Sets VT_QDIR;
# on failure VT_WHY.
vt_qemu_backports() {
	local ver id dir tmp p pkgs=
	VT_QDIR= VT_WHY=
	vt_backports_apt || return 1
	ver=$(apt-cache "${VT_APT_OPTS[@]}" madison qemu-system-x86 \
	    2>/dev/null | awk -F' *[|] *' '$3 ~ /backports/ { print $2; exit }')
	[ -n "$ver" ] ||
	    { VT_WHY="no qemu-system-x86 in bookworm-backports"; return 1; }
	id=$(echo "$ver" | tr '~+:' '___')
	dir=$VMTEST_CACHE/qemu/$id
	vt_qemu_complete "$dir" && { VT_QDIR=$dir; return 0; }
	mkdir -p "$VMTEST_CACHE/qemu" || return 1
	exec 8> "$VMTEST_CACHE/qemu/.lock"
	flock 8
	if ! vt_qemu_complete "$dir"; then
		vt_log "fetching qemu-system-x86 $ver"
		tmp=$(mktemp -d "$VMTEST_CACHE/qemu/dl.XXXXXX")
		for p in $VT_QEMU_PKGS; do pkgs="$pkgs $p=$ver"; done
		# shellcheck disable=SC2086
		if ! (cd "$tmp" && timeout 600 apt-get "${VT_APT_OPTS[@]}" \
		    -q download $pkgs) > "$tmp.log" 2>&1; then
			VT_WHY="apt-get download qemu-system-x86=$ver failed: $(tail -n 1 "$tmp.log")"
			rm -rf "$tmp" "$tmp.log"
			exec 8>&-
			return 1
		fi
		rm -f "$tmp.log"
		if ! vt_qemu_unpack "$tmp" "$dir.new"; then
			rm -rf "$tmp" "$dir.new"
			exec 8>&-
			return 1
		fi
		rm -rf "$tmp" "$dir"
		mv "$dir.new" "$dir" && vt_qemu_wrapper "$dir" || {
			VT_WHY="cannot write the QEMU wrapper in $dir"
			exec 8>&-
			return 1
		}
		# Older versions are no longer needed.
		find "$VMTEST_CACHE/qemu" -mindepth 1 -maxdepth 1 -type d \
		    ! -name "$id" -exec rm -rf {} + 2>/dev/null
		vt_log "cached qemu-system-x86 $ver in $dir"
	fi
	exec 8>&-
	VT_QDIR=$dir
}

# Unpack the .debs of $1 into $2/root, check that it runs here.
vt_qemu_unpack() {	# debs-dir dir
	local deb q miss
	mkdir -p "$2/root" || return 1
	for deb in "$1"/*.deb; do
		dpkg-deb -x "$deb" "$2/root" ||
		    { VT_WHY="dpkg-deb -x $deb failed"; return 1; }
	done
	q=$2/root/usr/bin/qemu-system-x86_64
	[ -x "$q" ] || { VT_WHY="no qemu-system-x86_64 in the packages"; return 1; }
	miss=$(ldd "$q" 2>/dev/null | awk '/not found/ { print $1 }' |
	    tr '\n' ' ')
	[ -z "$miss" ] || { VT_WHY="libraries missing here: $miss"; return 1; }
	"$q" -L "$2/root/usr/share/qemu" --version > "$2/version" 2>&1 ||
	    { VT_WHY="it does not run here: $(head -n 1 "$2/version")"; return 1; }
}

# The wrapper $1/qemu-system-x86_64: the unpacked binary with -L for its
# own firmware (qboot.rom, pvh.bin...) and QEMU_MODULE_DIR for its own
# modules, so that nothing of the system's QEMU, another version, is
# ever loaded into it.
vt_qemu_wrapper() {	# dir
	cat > "$1/qemu-system-x86_64" <<-EOF &&
	#!/bin/sh
	# qemu-system-x86_64 from bookworm-backports, unpacked by vmtest/lib.sh
	QEMU_MODULE_DIR='$1/root/usr/lib/x86_64-linux-gnu/qemu'
	export QEMU_MODULE_DIR
	exec '$1/root/usr/bin/qemu-system-x86_64' \\
	    -L '$1/root/usr/share/qemu' "\$@"
	EOF
	chmod +x "$1/qemu-system-x86_64" && touch "$1/complete"
}

# ------------------------------------------------------------ initramfs --

# Copy a dynamically linked program and the libraries it needs into a
# staging root, at the paths they have here.  A static program comes alone.
vt_copy_program() {	# root path-on-host path-in-guest
	local root=$1 src=$2 dst=$3 lib
	mkdir -p "$root/$(dirname "$dst")"
	cp -L "$src" "$root/$dst" || return 1
	for lib in $(ldd "$src" 2>/dev/null |
	    awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }'); do
		[ -e "$root/$lib" ] && continue
		mkdir -p "$root/$(dirname "$lib")"
		cp -L "$lib" "$root/$lib" || return 1
	done
}

# Build (or reuse) the initramfs for the kernel in VT_KDIR.  The image is
# rebuilt only when one of its inputs changes.  Sets VT_INITRD.
# VT_EXTRA_PROGRAMS: more programs for the image, "HOST-PATH:GUEST-PATH"
# words (bench/run.sh adds vsp-bench); such an image has its own name,
# initrd-RELEASE-extra.cpio, or -$VT_IMAGE_NAME.cpio (seqprobe.sh), so
# that two users of extra programs do not rebuild each other's image.
vt_initramfs() {
	local key inputs root out f rel
	local proxy= peer= ctl= extra= x
	proxy=$(vt_real_binary "$VSOCKPROXY") || proxy=
	peer=$(vt_real_binary "$VSP_PEER") || peer=
	ctl=$(vt_real_binary "${VSOCKPROXYCTL:-}") || ctl=
	for x in ${VT_EXTRA_PROGRAMS:-}; do
		f=$(vt_real_binary "${x%%:*}") || return 1
		extra="$extra $f:${x#*:}"
	done
	inputs="$(command -v busybox) $(command -v socat 2>/dev/null)
	    $(command -v ss 2>/dev/null) $proxy $peer $ctl
	    $(for x in $extra; do echo "${x%%:*}"; done)
	    $(find "$VT_SRCDIR/guest" -type f | LC_ALL=C sort)"
	key=$( { echo "$VT_KDIR $proxy $peer $ctl $extra";
	    cat "$VT_KDIR/release";
	    sha256sum $inputs; } | sha256sum | cut -c1-16)
	out=$VMTEST_WORK/initrd-$VT_KREL${extra:+-${VT_IMAGE_NAME:-extra}}.cpio
	VT_INITRD=$out
	if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	vt_log "building $out"
	root=$(mktemp -d "$VMTEST_WORK/root.XXXXXX")
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,etc,host,lib,usr/bin}
	mkdir -p "$root/lib64" "$root/vmtest"
	cp "$(command -v busybox)" "$root/bin/busybox"
	cp -a "$VT_KDIR/lib/modules" "$root/lib/"
	cp "$VT_SRCDIR"/guest/* "$root/vmtest/"
	chmod +x "$root/vmtest/"*
	mv "$root/vmtest/init" "$root/init"
	# Reference tools from Debian, with their libraries.
	for f in socat ss; do
		command -v "$f" >/dev/null 2>&1 &&
		    vt_copy_program "$root" "$(command -v "$f")" "/usr/bin/$f"
	done
	[ -n "$proxy" ] && vt_copy_program "$root" "$proxy" /usr/bin/vsockproxy
	[ -n "$peer" ] && vt_copy_program "$root" "$peer" /usr/bin/vsp-peer
	[ -n "$ctl" ] && vt_copy_program "$root" "$ctl" /usr/bin/vsockproxyctl
	for x in $extra; do
		vt_copy_program "$root" "${x%%:*}" "${x#*:}" || {
			rm -rf "$root"
			return 1
		}
	done
	echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
	echo "root:x:0:" > "$root/etc/group"
	(cd "$root" && find . | LC_ALL=C sort |
	    cpio --quiet -o -H newc -R 0:0) > "$out.tmp" || {
		rm -rf "$root" "$out.tmp"
		return 1
	}
	rm -rf "$root"
	mv "$out.tmp" "$out"
	echo "$key" > "$out.key"
}

# ----------------------------------------------------------------- QEMU --

# How to run guests: KVM where it works, TCG otherwise.  /dev/kvm may exist
# and still not run a stock kernel (see VMTEST-NOTES), so a short probe
# boot decides; the answer is remembered per QEMU and kernel.
vt_accel() {
	VT_ACCEL_OPTS=(-accel tcg -cpu max)
	if [ -n "${VMTEST_ACCEL_OPTS:-}" ]; then
		read -ra VT_ACCEL_OPTS <<< "$VMTEST_ACCEL_OPTS"
		return 0
	fi
	case $VMTEST_ACCEL in
	tcg)	return 0 ;;
	kvm)	VT_ACCEL_OPTS=(-accel kvm -cpu host); return 0 ;;
	esac
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 0
	local stamp=$VMTEST_WORK/accel-$VT_KREL ans
	ans=$(cat "$stamp" 2>/dev/null)
	if [ -z "$ans" ]; then
		ans=tcg
		VT_ACCEL_OPTS=(-accel kvm -cpu host)
		vt_boot probe 30 "vt_suite=probe" >/dev/null 2>&1 &&
		    ans=kvm
		echo "$ans" > "$stamp"
	fi
	if [ "$ans" = kvm ]; then
		VT_ACCEL_OPTS=(-accel kvm -cpu host)
	else
		VT_ACCEL_OPTS=(-accel tcg -cpu max)
	fi
}

# Boot the image of VT_KDIR/VT_INITRD once.  The guest's TAP lines land in
# $VT_RUN/NAME.tap, its console in $VT_RUN/NAME.console.  Returns 0 when
# the guest reported success through isa-debug-exit, 1 when it reported
# failure, 2 when it reported nothing (crash, panic, deadline).
vt_boot() {	# name deadline-seconds kernel-args [qemu-args...]
	local rc
	vt_boot_once "$@"
	rc=$?
	# Under TCG on a loaded host a guest kernel has been seen to panic
	# while still booting (in idle, before /init).  That is the
	# emulator's flake, not a result: boot once more, and say so.  A
	# guest that reported anything, or died later, is never retried.
	if [ $rc -eq 2 ] && [ ! -s "$VT_RUN/$1.tap" ] &&
	    grep -q 'Kernel panic' "$VT_RUN/$1.console" 2>/dev/null; then
		vt_log "$1: guest kernel panicked before running anything;" \
		    "booting it once more"
		cp "$VT_RUN/$1.console" "$VT_RUN/$1.console.panic"
		vt_boot_once "$@"
		rc=$?
	fi
	return $rc
}

vt_boot_once() {
	local name=$1 deadline=$2 args=$3 rc pid wd= bios=()
	shift 3
	[ -n "$VT_QEMU_BIOS" ] && bios=(-bios "$VT_QEMU_BIOS")
	rm -f "$VT_RUN/$name.tap" "$VT_RUN/$name.console" "$VT_RUN/$name.silent"
	timeout -k 5 "$deadline" "$VT_QEMU" \
	    "${VT_ACCEL_OPTS[@]}" -smp "${VT_SMP:-2}" -m "${VT_MEM:-512}" \
	    -nodefaults -no-user-config -display none -no-reboot "${bios[@]}" \
	    -kernel "$VT_KDIR/vmlinux" -initrd "$VT_INITRD" \
	    -append "console=ttyS0 quiet panic=-1 rdinit=/init $args vt_verbose=$VMTEST_VERBOSE ${VMTEST_GUEST_ARGS:-}" \
	    -serial "file:$VT_RUN/$name.console" \
	    -serial "file:$VT_RUN/$name.tap" \
	    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	    "$@" < /dev/null > "$VT_RUN/$name.qemu" 2>&1 &
	pid=$!
	VT_PIDS="$VT_PIDS $pid"
	if [ -n "${VT_SILENCE:-}" ]; then
		vt_watchdog "$pid" "$name" "$VT_SILENCE" &
		wd=$!
	fi
	wait "$pid"
	rc=$?
	[ -z "$wd" ] || { kill "$wd" 2>/dev/null; wait "$wd" 2>/dev/null; }
	VT_PIDS=${VT_PIDS% $pid}
	if [ "$VMTEST_VERBOSE" != 0 ]; then
		sed "s/^/[$name] /" "$VT_RUN/$name.console" >&2
	fi
	# isa-debug-exit: QEMU exits with (status << 1) | 1; the guest writes
	# 0x10 for success and 0x11 for failure.
	VT_BOOT_STUCK=
	case $rc in
	33)	return 0 ;;
	35)	return 1 ;;
	esac
	if [ -e "$VT_RUN/$name.silent" ]; then
		VT_BOOT_STUCK=1
		VT_BOOT_WHY="the guest stopped answering (nothing on its console or TAP port for ${VT_SILENCE}s)"
	else
		case $rc in
		124|137) VT_BOOT_WHY="deadline of ${deadline}s reached" ;;
		*)	VT_BOOT_WHY="QEMU exited with status $rc" ;;
		esac
	fi
	return 2
}

# A guest that prints a sign of life on its console at least every few
# seconds (the nested L1 does) and then falls silent for $3 seconds has
# stopped: kill its QEMU (the timeout(1) process and its child) and leave
# NAME.silent.
vt_watchdog() {	# pid name seconds
	local last=-1 now quiet=0
	while kill -0 "$1" 2>/dev/null; do
		sleep 5
		now=$(cat "$VT_RUN/$2.console" "$VT_RUN/$2.tap" 2>/dev/null |
		    wc -c)
		if [ "$now" = "$last" ]; then
			quiet=$((quiet + 5))
		else
			quiet=0
			last=$now
		fi
		if [ "$quiet" -ge "$3" ]; then
			: > "$VT_RUN/$2.silent"
			# QEMU first: timeout(1) then ends by itself.
			pkill -KILL -P "$1" 2>/dev/null
			sleep 2
			kill -KILL "$1" 2>/dev/null
			return
		fi
	done
}

# Print the end of a console as TAP comments.
vt_console_tail() {	# name [lines]
	[ -f "$VT_RUN/$1.qemu" ] && [ -s "$VT_RUN/$1.qemu" ] &&
	    vt_diag "$(tail -n 5 "$VT_RUN/$1.qemu")"
	[ -f "$VT_RUN/$1.console" ] &&
	    vt_diag "$(grep -v '^vmtest: alive' "$VT_RUN/$1.console" |
	    tail -n "${2:-30}")"
}
