#!/bin/sh
# hardening: the daemon as built carries what configure's hardening
# applied (VP_HARDENING, from configure): a position-independent
# executable, full RELRO (a GNU_RELRO segment and BIND_NOW), the stack
# protector and _FORTIFY_SOURCE's checked functions.  Skips when readelf
# is missing or the build has no hardening (--disable-hardening).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

[ -x "$VSOCKPROXY" ] || skip_all "no daemon at $VSOCKPROXY"
command -v readelf >/dev/null 2>&1 || skip_all "readelf is not installed"
[ -n "${VP_HARDENING:-}" ] ||
    skip_all "built without hardening (--disable-hardening, or none taken)"

readelf -hldsW "$VSOCKPROXY" >"$T/elf" 2>&1 ||
    bail_out "readelf cannot read $VSOCKPROXY"
# has FEATURE: configure applied FEATURE.
has() {
	case " $VP_HARDENING " in *" $1 "*) return 0 ;; esac
	return 1
}
# feature FEATURE DESCRIPTION ERE: when applied, the ERE is in readelf's
# output.
feature() {
	if ! has "$1"; then
		skip "$2" "configure did not apply $1"
	else
		check "$2" grep -Eq -- "$3" "$T/elf"
	fi
}

feature pie "position-independent executable" \
    'Type:[[:space:]]+DYN'
feature relro "RELRO: a GNU_RELRO segment" '^[[:space:]]*GNU_RELRO'
feature now "full RELRO: bound at start (BIND_NOW)" \
    '\(FLAGS\)[[:space:]]+BIND_NOW|\(FLAGS_1\)[[:space:]]+Flags:.* NOW'
feature stack-protector "stack protector (__stack_chk_fail)" \
    '__stack_chk_fail'
feature fortify "_FORTIFY_SOURCE (checked __*_chk functions)" \
    ' __[a-z]+_chk(@|$)'
done_testing
