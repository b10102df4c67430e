#!/bin/sh
# e2e-reload-many: a reload of thousands of rules does not hold up the
# event loop for long.
#
# For each event backend a daemon starts with 8,000 UNIX rules in eight
# drop-ins, then reloads with one drop-in gone and one new: the summary
# says 7,000 kept, 1,000 added and 1,000 removed, a kept, an added and a
# removed socket are where they should be, and the reload took under a
# second by the daemon's own log timestamps (a few tens of ms; matching
# each new rule against every running listener took 2.2 s here).
# Skipped if the descriptor limit cannot be raised to fit 8,000
# listeners.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

N=8000
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -gt $((N + 200)) ] ||
	skip_all "descriptor limit $hard is too low for $N listeners"
ulimit -n "$hard" 2>/dev/null || ulimit -n $((N + 200)) 2>/dev/null ||
	skip_all "cannot raise the descriptor limit to $((N + 200))"

# drop_in DIR FILE FIRST COUNT: COUNT UNIX rules from number FIRST.
drop_in() {
	awk -v dir="$1" -v first="$3" -v n="$4" 'BEGIN {
		for (i = first; i < first + n; i++)
			printf "rule r%d {\n\tlisten unix:%s/s%d\n\t" \
			    "connect unix:%s/target\n}\n", i, dir, i, dir
	}' >"$1/d/$2"
}

# ms_of LINE: the milliseconds of the day of a log line's timestamp.
ms_of() {
	echo "$1" | awk '{ split(substr($1, 12), t, "[:.]");
	    print ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4] }'
}

scenario() {
	local be="$1" dir="$T/$1" i from to ms
	mkdir "$dir" "$dir/d"
	for i in 0 1 2 3 4 5 6 7; do
		drop_in "$dir" "$i.conf" $((i * 1000)) 1000
	done
	echo "include d/*.conf" >"$dir/main.conf"
	if ! start_conf_proxy "px-$be" "$dir/main.conf" "unix:$dir/s0" \
	    "unix:$dir/s7999"; then
		not_ok "$be: proxy starts with $N rules"
		return
	fi
	wait_until "$VSP_WAIT" grep -q 'ready (' "$PROXY_LOG"
	rm "$dir/d/0.conf"
	drop_in "$dir" "8.conf" 8000 1000
	check "$be: reload: 7000 kept, 1000 added, 1000 removed" \
	    hup "reloaded .*: 8000 rule\(s\): 7000 kept, 1000 added, 1000 \
removed"
	check "$be: ... a kept rule listens" is_listening "unix:$dir/s1000"
	check "$be: ... an added rule listens" is_listening "unix:$dir/s8999"
	check "$be: ... a removed rule does not" \
	    wait_for_unlisten "unix:$dir/s999"
	from=$(grep 'SIGHUP: reloading' "$PROXY_LOG" | tail -n 1)
	to=$(grep 'reloaded ' "$PROXY_LOG" | tail -n 1)
	ms=$(($(ms_of "$to") - $(ms_of "$from")))
	[ "$ms" -ge 0 ] || ms=$((ms + 86400000))	# midnight
	lt "$ms" 1000 "$be: ... in well under a second ($ms ms; bound 1000)"
	stop "$PROXY_PID"
	is "$?" 0 "$be: proxy exits 0"
}

for_each_backend scenario
done_testing
