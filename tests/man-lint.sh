#!/bin/sh
# The man pages, as generated with the configured paths in the build
# tree, are clean under `mandoc -T lint` (warnings and worse) and have no
# @variable@ left unfilled.
set -u
pages="vsockproxy.8 vsockproxy.conf.5"
if [ -z "${MANDOC:-}" ] || ! command -v "$MANDOC" >/dev/null 2>&1; then
	echo "1..0 # SKIP mandoc is not installed"
	exit 0
fi
# shellcheck disable=SC2046 # a list of names
make -C "$top_builddir" -s $(printf "man/%s " $pages) >/dev/null ||
    { echo "Bail out! cannot make the man pages"; exit 1; }
n=0
for p in $pages; do n=$((n + 2)); done
echo "1..$n"
i=0
for p in $pages; do
	i=$((i + 1))
	f=$top_builddir/man/$p
	if out=$("$MANDOC" -T lint -W warning "$f" 2>&1) && [ -z "$out" ]; then
		echo "ok $i - $p lints clean"
	else
		echo "$out" | sed 's/^/# /'
		echo "not ok $i - $p lints clean"
	fi
	i=$((i + 1))
	if left=$(grep -n '@[a-z]*@' "$f"); then
		echo "$left" | sed 's/^/# /'
		echo "not ok $i - $p: every @variable@ filled in"
	else
		echo "ok $i - $p: every @variable@ filled in"
	fi
done
