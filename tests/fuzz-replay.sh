#!/bin/sh
# Every seed corpus file, through its fuzz target (tests/fuzz/): no crash,
# no sanitizer report, no leak.  One TAP line per file.  The targets are
# libFuzzer programs with --enable-fuzzer and plain replayers otherwise;
# both run the files named on their command line once each.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
targets=${FUZZ_TARGETS:-conf addr args parse hvsock}

n=0
for t in $targets; do
	for f in "$top_srcdir/tests/fuzz/$t"/*; do
		[ -f "$f" ] && n=$((n + 1))
	done
done
if [ "$n" -eq 0 ]; then
	echo "1..0 # SKIP no seed corpus under $top_srcdir/tests/fuzz"
	exit 0
fi
echo "1..$n"
# ASan: a leak is a failure too; UBSan: stop at the first report.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS UBSAN_OPTIONS
i=0
for t in $targets; do
	prog=$top_builddir/tests/fuzz/fuzz-$t
	for f in "$top_srcdir/tests/fuzz/$t"/*; do
		[ -f "$f" ] || continue
		i=$((i + 1))
		name="fuzz-$t $(basename "$f")"
		if [ ! -x "$prog" ]; then
			echo "not ok $i - $name # $prog is not built"
		elif out=$("$prog" "$f" 2>&1); then
			echo "ok $i - $name"
		else
			echo "$out" | tail -n 40 | sed 's/^/# /'
			echo "not ok $i - $name"
		fi
	done
done
