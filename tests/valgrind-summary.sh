#!/bin/sh
# valgrind-summary DIR: sum up the valgrind logs (one per daemon process)
# that "make check-valgrind" left in DIR; exit 1 on any error or any
# definite or indirect leak, or when there is no log at all (the wrapper
# was not used: nothing was checked).
dir=${1:-vg-logs}
set -- "$dir"/*.log
[ -e "$1" ] || { echo "valgrind: no logs in $dir"; exit 1; }
awk '
FNR == 1 { runs++ }
/ERROR SUMMARY:/ { for (i = 1; i <= NF; i++) if ($i == "SUMMARY:")
	errors += $(i + 1) }
/definitely lost:/ { gsub(",", "", $4); definite += $4 }
/indirectly lost:/ { gsub(",", "", $4); indirect += $4 }
/possibly lost:/ { gsub(",", "", $4); possible += $4 }
/All heap blocks were freed/ { clean++ }
/total heap usage:/ { gsub(",", "", $5); allocs += $5 }
END {
	printf "valgrind: %d daemon runs, %d allocations, %d errors, " \
	    "%d B definitely lost, %d B indirectly lost, %d B possibly " \
	    "lost; %d runs freed every block\n", runs, allocs, errors,
	    definite, indirect, possible, clean
	exit (errors > 0 || definite > 0 || indirect > 0)
}' "$@" || {
	grep -l -E \
	    'ERROR SUMMARY: [1-9]|(definitely|indirectly) lost: [1-9]' \
	    "$@" | head -n 5 | while read -r f; do
		echo "--- $f"; sed -n '1,80p' "$f"; done
	exit 1
}
