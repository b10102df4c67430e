#!/bin/sh
# The man pages are clean under `mandoc -T lint` (warnings and worse).
set -u
pages=$(ls "$top_srcdir"/man/*.[1-9] 2>/dev/null)
if [ -z "${MANDOC:-}" ] || ! command -v "$MANDOC" >/dev/null 2>&1; then
	echo "1..0 # SKIP mandoc is not installed"
	exit 0
fi
n=0
for p in $pages; do n=$((n + 1)); done
echo "1..$n"
i=0
for p in $pages; do
	i=$((i + 1))
	if out=$("$MANDOC" -T lint -W warning "$p" 2>&1) && [ -z "$out" ]; then
		echo "ok $i - $(basename "$p") lints clean"
	else
		echo "$out" | sed 's/^/# /'
		echo "not ok $i - $(basename "$p") lints clean"
	fi
done
