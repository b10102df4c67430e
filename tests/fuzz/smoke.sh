#!/bin/sh
# make fuzz-smoke: fuzz each target for FUZZ_SECONDS, starting from its
# seed corpus (read only) and a scratch corpus in fuzz-out/corpus-TARGET
# (kept between runs, so that a longer campaign builds on a shorter one).
# Fails on any crash, leak, timeout or memory blow-up; the input that did
# it is saved as fuzz-out/TARGET-crash-* (or leak-, timeout-, oom-).
# Prints the executions per target.
set -u
: "${top_srcdir:=.}"
: "${FUZZ_SECONDS:=30}"
: "${FUZZ_TARGETS:=conf addr args parse}"
# One job: the machine is shared.  Extra libFuzzer flags may come in
# FUZZ_FLAGS, e.g. FUZZ_FLAGS=-max_len=4096.
: "${FUZZ_FLAGS:=}"
out=fuzz-out
mkdir -p "$out"
status=0
total=0
for t in $FUZZ_TARGETS; do
	prog=tests/fuzz/fuzz-$t
	corpus=$out/corpus-$t
	mkdir -p "$corpus"
	dict=
	[ -f "$top_srcdir/tests/fuzz/$t.dict" ] &&
	    dict=-dict=$top_srcdir/tests/fuzz/$t.dict
	log=$out/$t.log
	# shellcheck disable=SC2086
	"$prog" -max_total_time="$FUZZ_SECONDS" -timeout=5 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$out/$t-" $dict $FUZZ_FLAGS \
	    "$corpus" "$top_srcdir/tests/fuzz/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 |
	    sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1, features \2, corpus \3/p')
	total=$((total + ${execs:-0}))
	if [ "$rc" -eq 0 ]; then
		echo "fuzz-$t: ${execs:-?} executions in ${FUZZ_SECONDS}s" \
		    "(${cov:-no stats}): ok"
	else
		status=1
		echo "fuzz-$t: ${execs:-?} executions: FAILED (exit $rc);" \
		    "log $log:"
		grep -E 'ERROR|SUMMARY|check failed|runtime error|Test unit' \
		    "$log" | head -n 20 | sed 's/^/  /'
		# The input itself, so that a log is enough to reproduce it:
		# base64 -d the lines into a file and run the target on it.
		for a in "$out/$t-"*; do
			[ -f "$a" ] || continue
			echo "  artifact: $a, $(wc -c <"$a") bytes, base64:"
			head -c 8192 "$a" | base64 | sed 's/^/    /'
		done
	fi
done
echo "fuzz-smoke: $total executions in all"
exit $status
