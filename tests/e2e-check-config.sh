#!/bin/sh
# e2e-check-config: -t/--check-config reads the file and everything it
# includes, prints every error as "file:line: message" on stderr, exits 0
# for a valid configuration and 1 otherwise, and starts nothing.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

# check_config NAME ARGS...: run the daemon with -t; status in RC, output
# in $T/NAME.out and .err.  It must return at once: a daemon that starts
# serving would hit the timeout.
check_config() {
	local name="$1"
	shift
	timeout 5 "$VSOCKPROXY" "$@" >"$T/$name.out" 2>"$T/$name.err"
	RC=$?
}

new_addr tcp
good_listen=$NEW_ADDR
{
	rule good "$good_listen" tcp:127.0.0.1:1 "max-conns 3"
	echo "include $T/good.d/*.conf"
} >"$T/good.conf"
mkdir "$T/good.d"
rule dropin "unix:$T/dropin.sock" tcp:127.0.0.1:1 "allow-uid 0" \
    >"$T/good.d/10-a.conf"

check_config good -t -c "$T/good.conf"
is "$RC" 0 "-t: a valid file exits 0"
check "-t: a valid file prints no error" test ! -s "$T/good.err"
check "-t starts nothing (no listener left behind)" \
    not_listening "$good_listen"
check_config good-long --check-config --config "$T/good.conf"
is "$RC" 0 "--check-config --config: exits 0"

# Three errors in two files: every one reported with its file and line.
cat >"$T/bad.conf" <<CONF
# comment
rule one {
	listen tcp:127.0.0.1:1
	connect tcp:127.0.0.1:2
	alow 3
}
include $T/bad.d/*.conf
CONF
mkdir "$T/bad.d"
cat >"$T/bad.d/20-b.conf" <<CONF
rule two {
	listen tcp:127.0.0.1:3
	connect tcp:127.0.0.1:4
	max-conns lots
}
bogus
CONF
check_config bad -t -c "$T/bad.conf"
is "$RC" 1 "-t: a file with errors exits 1"
check "-t: error in the main file as file:line" \
    grep -q "^$T/bad.conf:5: .*alow" "$T/bad.err"
check "-t: error in an included file as file:line" \
    grep -q "^$T/bad.d/20-b.conf:4: .*max-conns" "$T/bad.err"
check "-t: goes on after errors (the last one too)" \
    grep -q "^$T/bad.d/20-b.conf:6: .*bogus" "$T/bad.err"
is "$(wc -l <"$T/bad.err")" 3 "-t: one line per error, nothing else"
check "-t: nothing on stdout" test ! -s "$T/bad.out"

check_config missing -t -c "$T/nonexistent.conf"
is "$RC" 1 "-t: a missing file exits 1"
check "-t: a missing file is named" \
    grep -q "nonexistent.conf" "$T/missing.err"

# Starting (not -t) with a broken file fails at once, serving nothing.
check_config start-bad -c "$T/bad.conf"
is "$RC" 1 "start with a broken file: exit 1"
check "start with a broken file: the error is logged" \
    grep -q "bad.conf:5:" "$T/start-bad.err"

# Bounded work: includes nest eight deep at most, and at most 1024 files
# are read in all.  A tree ten wide and six deep (a million opens, seconds
# of a frozen event loop on a reload before the bound) stops at once with
# one error at the include that goes too far.
mkdir "$T/deep"
for i in 0 1 2 3 4 5 6 7 8 9; do
	echo "include d$((i + 1)).conf" >"$T/deep/d$i.conf"
done
: >"$T/deep/d10.conf"
check_config deep -t -c "$T/deep/d0.conf"
is "$RC" 1 "-t: includes nested 9 deep: exits 1"
check "-t: ... the error names file:line and the limit" \
    grep -q "^$T/deep/d8.conf:1: includes nested more than 8 deep\$" \
    "$T/deep.err"
mkdir "$T/tree"
for k in 1 2 3 4 5 6; do
	mkdir "$T/tree/L$k"
	for i in 0 1 2 3 4 5 6 7 8 9; do
		if [ $k -lt 6 ]; then
			echo "include $T/tree/L$((k + 1))/*.conf"
		fi >"$T/tree/L$k/$i.conf"
	done
done
echo "include $T/tree/L1/*.conf" >"$T/tree/main.conf"
t0=$(now_ms)
check_config tree -t -c "$T/tree/main.conf"
ms=$(($(now_ms) - t0))
is "$RC" 1 "-t: an include tree 10 wide, 6 deep: exits 1"
# 1025th file: main, L1/0, L2/0, L3/0, 9 * 111 under L4/0-8, L4/9, 11
# under L5/0, L5/1, L6/0-7 under it.
check "-t: ... one error, at the include of the 1025th file" sh -c \
    "[ \$(wc -l <'$T/tree.err') = 1 ] && grep -q \"^$T/tree/L5/1.conf:1: \
include '$T/tree/L6/8.conf': more than 1024 files in all\" '$T/tree.err'"
lt "$ms" 3000 "-t: ... at once ($ms ms)"

# 20,000 rules in 20 drop-ins (a file is 1 MiB at most): the checks
# between rules (names, listen clashes) are not pairwise, so -t takes a
# fraction of a second (7 s before, in a walk over all earlier rules).
# Then the same with a clash and a duplicate name in the last file, both
# found against the first rule.
mkdir "$T/many.d"
awk -v dir="$T/many.d" 'BEGIN {
	for (i = 0; i < 20000; i++) {
		f = sprintf("%s/%02d.conf", dir, int(i / 1000))
		if (i % 3 == 0)
			l = sprintf("tcp:127.0.0.1:%d", 10000 + i)
		else if (i % 3 == 1)
			l = sprintf("vsock:%d", 100000 + i)
		else
			l = sprintf("unix:/run/vsp-many/%d.sock", i)
		printf "rule r%d {\n\tlisten %s\n\t", i, l >f
		printf "connect unix:/run/t%d\n}\n", i >f
	}
}'
echo "include many.d/*.conf" >"$T/many.conf"
t0=$(now_ms)
check_config many -t -v -c "$T/many.conf"
ms=$(($(now_ms) - t0))
is "$RC" 0 "-t: 20,000 rules: exits 0"
check "-t: ... all counted" grep -q "20000 rule(s)" "$T/many.out"
lt "$ms" 3000 "-t: ... in well under a second ($ms ms; bound 3000)"
rule r0 tcp:0.0.0.0:10000 unix:/run/x >>"$T/many.d/19.conf"
t0=$(now_ms)
check_config many-bad -t -c "$T/many.conf"
ms=$(($(now_ms) - t0))
is "$RC" 1 "-t: 20,000 rules and a clash: exits 1"
check "-t: ... the duplicate name and the clash, against the first rule" \
    sh -c "[ \$(wc -l <'$T/many-bad.err') = 2 ] &&
    grep -q \"^$T/many.d/19.conf:4001: duplicate rule name 'r0' \
(first at $T/many.d/00.conf:1)\\\$\" '$T/many-bad.err' &&
    grep -q \"^$T/many.d/19.conf:4002: listen address \
tcp:0.0.0.0:10000 clashes with rule 'r0' (\
$T/many.d/00.conf:1)\\\$\" '$T/many-bad.err'"
lt "$ms" 3000 "-t: ... also at once ($ms ms)"

# A '[' without its ']' is no wildcard: "[.conf" is a plain name, so it
# must exist (it was ignored, as a pattern that matched nothing).
mkdir "$T/br"
echo 'include "[.conf"' >"$T/br/main.conf"
check_config bracket-missing -t -c "$T/br/main.conf"
is "$RC" 1 "-t: include \"[.conf\" with no such file: exits 1"
check "-t: ... the error names the file, at the include line" \
    grep -q "^$T/br/main.conf:1: include '$T/br/\\[.conf': No such file" \
    "$T/bracket-missing.err"
rule bracket unix:/run/vsp-bracket.sock unix:/run/x >"$T/br/[.conf"
check_config bracket -t -v -c "$T/br/main.conf"
is "$RC" 0 "-t: include \"[.conf\" with that file: exits 0"
check "-t: ... and its rule is read" grep -q ": 1 rule(s)" \
    "$T/bracket.out"

# -c and a rule on the command line do not mix.
check_config mixed -c "$T/good.conf" --listen tcp:127.0.0.1:1 \
    --connect tcp:127.0.0.1:2
is "$RC" 64 "-c with --listen/--connect: usage error"

done_testing
