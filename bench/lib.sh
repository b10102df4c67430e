# shellcheck shell=bash
# bench/lib.sh: what bench/run.sh and bench/ab.sh share (sourced; they
# are bash, this part is plain sh).
#
#   value_of KEY LINE   VALUE of the KEY=VALUE word of LINE (vsp-bench
#                       prints its results so)
#   median VALUE...     their median, "-" when there are none
#   wait_tcp PORT       poll until a TCP listener is on PORT; 1 after
#                       10 s
#   wait_unix PATH      the same for a UNIX stream listener on PATH

value_of() {
	local w
	for w in $2; do
		[ "${w%%=*}" = "$1" ] && { echo "${w#*=}"; return; }
	done
}

median() {
	[ $# -gt 0 ] || { echo -; return; }
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
	    if (NR % 2) print v[(NR + 1) / 2]
	    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

wait_tcp() {
	wait_ss -Hltn "sport = :$1"
}

wait_unix() {
	wait_ss -Hlx "src = $1"
}

wait_ss() {	# ss arguments: until ss lists something
	local i=0
	while [ $i -lt 200 ]; do
		ss "$@" 2>/dev/null | grep -q . && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
