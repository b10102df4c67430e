#!/bin/bash
# bench/chart.sh: the chart of `make bench` (BENCHMARKS.md), drawn by
# gnuplot from bench/run.sh's results file.  A row per transport (tcp,
# unix, vsock: those with results), two panels in each: bulk throughput
# in MiB/s and the relay's CPU seconds per GiB, one stream up and down,
# for direct, vsockproxy copy, vsockproxy zero-copy and socat -b 256k.
# On vsock the one vsockproxy (it never splices there) fills both of its
# columns.  Writes an SVG and prints the same chart as text on stdout,
# for the logs.  Without gnuplot it says so and succeeds.
#
#   bench/chart.sh RESULTS OUT.svg [TITLE]
#
# Environment: GNUPLOT (default gnuplot).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
[ $# -ge 2 ] || { echo "usage: $0 RESULTS OUT.svg [TITLE]" >&2; exit 64; }
results=$1 svg=$2 title=${3:-vsockproxy: one stream each way}
GNUPLOT=${GNUPLOT:-gnuplot}

if ! command -v "$GNUPLOT" >/dev/null 2>&1; then
	echo "chart: SKIP (gnuplot not installed)"
	exit 0
fi
[ -r "$results" ] || { echo "chart: cannot read $results" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vsp-chart.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# One data file per transport with results: a line per direction, the
# throughput of the four paths, then the CPU per GiB of the three
# relays ("-": none).
rows=
for t in tcp unix vsock; do
	awk -F '\t' -v t="$t" '
	$1 == t && $2 ~ /^bulk1\.(up|down)$/ {
		d = substr($2, 7); v[d, $3, $4] = $5; n++
	}
	function get(d, p, f) {
		if ((d, p, f) in v) return v[d, p, f]
		if ((p == "copy" || p == "zc") && (d, "proxy", f) in v) return v[d, "proxy", f]
		return "-"
	}
	END {
		if (!n) exit 1
		for (i = 1; i <= 2; i++) {
			d = i == 1 ? "up" : "down"
			printf "%s", d
			split("direct copy zc socat", p, " ")
			for (j = 1; j <= 4; j++) printf " %s", get(d, p[j], "mibps")
			for (j = 2; j <= 4; j++)
				printf " %s", get(d, p[j], "cpu_s_per_gib")
			printf "\n"
		}
	}' "$results" > "$tmp/$t.dat" && rows="$rows $t"
done
[ -n "$rows" ] || { echo "chart: no bulk results in $results" >&2; exit 1; }

# plot svg|dumb: the gnuplot commands.  The text terminal draws a bar
# with the character of its line type, which its key cannot show: there
# the legend is a line of its own (LEGEND).
LEGEND="bars: * direct  # vsockproxy copy  \$ vsockproxy zero-copy  % socat -b 256k"
plot() {
	local t n fill key room
	n=$(echo "$rows" | wc -w)
	# Room above the bars for the key.
	fill="solid 0.85 border -1" room="graph 0.3"
	key="set key top left horizontal noenhanced samplen 2"
	[ "$1" = dumb ] && fill="empty" key="unset key" room=0
	cat <<-EOF
	set datafile missing "-"
	set style data histograms
	set style histogram clustered gap 1
	set style fill $fill
	set yrange [0:*]
	set offsets 0, 0, $room, 0
	$key
	set title noenhanced
	set xtics nomirror
	set multiplot layout $n,2 title "$title" noenhanced
	EOF
	for t in $rows; do
		note=
		[ "$t" = vsock ] && note=", copy = zero-copy"
		cat <<-EOF
		set title "$t: throughput, MiB/s (higher is better)"
		plot "$tmp/$t.dat" using 2:xtic(1) title "direct" lt 1, \\
		    "" using 3 title "vsockproxy copy" lt 2, \\
		    "" using 4 title "vsockproxy zero-copy" lt 3, \\
		    "" using 5 title "socat -b 256k" lt 4
		set title "$t: relay CPU s/GiB (lower is better$note)"
		plot "$tmp/$t.dat" using 6:xtic(1) title "vsockproxy copy" lt 2, \\
		    "" using 7 title "vsockproxy zero-copy" lt 3, \\
		    "" using 8 title "socat -b 256k" lt 4
		EOF
	done
	echo "unset multiplot"
}

# draw KIND TERMINAL-LINES...: the chart for terminal KIND (svg, dumb).
draw() {
	local kind=$1 line
	shift
	for line in "$@"; do echo "$line"; done > "$tmp/$kind.gp"
	plot "$kind" >> "$tmp/$kind.gp"
	if ! "$GNUPLOT" "$tmp/$kind.gp" 2> "$tmp/err"; then
		echo "chart: gnuplot failed ($kind): $(tail -n 3 "$tmp/err")" >&2
		exit 1
	fi
}

n=$(echo "$rows" | wc -w)
draw svg "set terminal svg size 1000,$((n * 320 + 40)) dynamic font 'sans,11' background rgb 'white'" \
    "set output '$svg'"
draw dumb "set terminal dumb size 120,$((n * 18 + 2))"
echo "$LEGEND"
echo "chart: $svg"
