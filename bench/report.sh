# shellcheck shell=bash
# bench/report.sh: the table that bench/run.sh prints at the end
# (sourced by it, after the runs): bulk throughput and the relay's CPU
# per GiB per transport and path, TCP's other workloads and memory, what
# the proxies spliced, and a line per goal of issue #13 with met / not
# met / n/a.  Reads run.sh's results (R, through cell), LABEL,
# BENCH_PARTS, REPEAT, IDLE_CONNS and the VSOCK_* notes of part (b).
#
#   report              print it all (Markdown tables)
#   ratio A B [DIGITS]  A/B, or - when either is missing
#   verdict EXPR A B C  "met" or "not met" (awk EXPR over a, b, c)

# ratio A B [digits]: A/B, or - when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN {
	    if (a == "-" || b == "-" || b + 0 == 0) print "-";
	    else printf "%.*f\n", d, a / b }'
}

# verdict EXPR VALUES...: "met" or "not met" (awk expression over a, b,
# c), "n/a" when a value is missing.
verdict() {
	local e=$1
	shift
	case " $* " in *" - "*) echo "n/a"; return ;; esac
	awk -v a="${1:-0}" -v b="${2:-0}" -v c="${3:-0}" \
	    "BEGIN { print (($e) ? \"met\" : \"not met\") }"
}

# Bulk, one stream: a line per direction and path, with the ratios to
# direct and to socat -b 256k (throughput) and to socat (CPU per GiB).
bulk_rows() {	# transport paths...
	local t=$1 dir v m c d s sc
	shift
	for dir in up down; do
		d=$(cell "$t.bulk1.$dir.direct.mibps")
		s=$(cell "$t.bulk1.$dir.socat.mibps")
		sc=$(cell "$t.bulk1.$dir.socat.cpu_s_per_gib")
		for v in "$@"; do
			m=$(cell "$t.bulk1.$dir.$v.mibps")
			c=$(cell "$t.bulk1.$dir.$v.cpu_s_per_gib")
			if [ "$v" = direct ]; then
				printf '| %s %s | %s | %s | %s | %s | (server %s) | - |\n' \
				    "$t" "$dir" "${LABEL[$v]}" "$m" \
				    "$(ratio "$m" "$d")" "$(ratio "$m" "$s")" "$c"
			else
				printf '| %s %s | %s | %s | %s | %s | %s | %s |\n' \
				    "$t" "$dir" "${LABEL[$v]}" "$m" \
				    "$(ratio "$m" "$d")" "$(ratio "$m" "$s")" \
				    "$c" "$(ratio "$c" "$sc")"
			fi
		done
	done
}

has_part() { [[ " $BENCH_PARTS " == *" $1 "* ]]; }

# The vsock part ran and was not skipped.
vsock_ran() { has_part vsock && [ -z "${VSOCK_SKIP:-}" ]; }

spliced_note() {	# transport path...: what the proxies spliced
	local t=$1 v b s words=
	shift
	for v in "$@"; do
		s=${R[$t.stats.$v.bytes_spliced]:-}
		b=$(( ${R[$t.stats.$v.bytes_up]:-0} + ${R[$t.stats.$v.bytes_down]:-0} ))
		words="$words, $v ${s:--} of $b"
	done
	echo "$t: bytes spliced${words#,}"
	for v in "$@"; do
		s=${R[$t.stats.$v.bytes_spliced]:-}
		case $v:$s in
		zc:0) echo "WARNING: the $t zero-copy proxy spliced nothing: its column is the copy path" ;;
		copy:0 | *:) ;;
		copy:*) echo "WARNING: the $t copy proxy spliced" ;;
		esac
	done
}

report() {
	local t paths
	echo
	echo "vsockproxy benchmark ($(date -u +%Y-%m-%d), $(uname -r)," \
	    "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')," \
	    "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg));"
	echo "median of $REPEAT round(s)${BENCH_PROXY_ARGS:+, proxy options: $BENCH_PROXY_ARGS}"
	[ "$BENCH_QUICK" = 1 ] && echo "QUICK RUN (BENCH_QUICK=1): sizes too small to mean anything"
	echo
	echo "Bulk, one stream each way (relay CPU: the relay's utime+stime per GiB moved)"
	echo
	echo "| transport | path | MiB/s | x direct | x socat -b 256k | relay CPU s/GiB | x socat's |"
	echo "|---|---|---|---|---|---|---|"
	for t in tcp unix; do
		has_part "$t" || continue
		paths=(direct copy zc socat)
		[ "$t" = tcp ] && paths+=(socat8k)
		bulk_rows "$t" "${paths[@]}"
	done
	vsock_ran && bulk_rows vsock direct proxy socat socat8k
	echo
	if has_part tcp; then
		tcp_tables
		spliced_note tcp copy zc
	fi
	has_part unix && spliced_note unix copy zc
	if has_part vsock; then
		if vsock_ran; then
			echo "vsock: in a QEMU guest, ${VSOCK_GUEST:-kernel unknown}" \
			    "$([[ ${VSOCK_GUEST:-} == *tcg* ]] && echo "(TCG: ratios only)");" \
			    "the sink on the direct stream down: recv" \
			    "$(cell vsock.sink.recv.direct.mibps) MiB/s," \
			    "splice(2) into a pipe" \
			    "$(cell vsock.sink.splice.direct.mibps)" \
			    "MiB/s${VSOCK_SPLICE_NOTE:+ ($VSOCK_SPLICE_NOTE)}"
			spliced_note vsock proxy
		else
			echo "vsock: skipped (${VSOCK_SKIP:-})"
		fi
	fi
	echo
	goals
}

tcp_tables() {
	local k
	echo "TCP, the other workloads"
	echo
	echo "| workload | direct | vsockproxy copy | vsockproxy zero-copy | socat -b 256k | zero-copy/copy |"
	echo "|---|---|---|---|---|---|"
	for k in bulk8.up.mibps bulk8.down.mibps pp.median_us pp.p99_us \
	    conn.conn_per_s; do
		other_row "${k%.*}" "${k##*.}"
	done
	echo
	echo "| memory (vsockproxy) | copy | zero-copy | zero-copy/copy |"
	echo "|---|---|---|---|"
	mem_row "RSS before ${IDLE_CONNS:-?} idle connections (KiB)" idle rss0_kib
	mem_row "RSS with them (KiB)" idle rss1_kib
	mem_row "per idle connection (KiB)" idle kib_per_conn
	mem_row "peak RSS, 100 busy connections, 50 up 50 down (KiB)" busy rss_peak_kib
	mem_row "100 busy connections, MiB/s (direct $(cell tcp.busy.direct.mibps))" busy mibps
	echo
}

other_row() {	# workload field
	local c z
	c=$(cell "tcp.$1.copy.$2") z=$(cell "tcp.$1.zc.$2")
	printf '| %s %s | %s | %s | %s | %s | %s |\n' "$1" "$2" \
	    "$(cell "tcp.$1.direct.$2")" "$c" "$z" \
	    "$(cell "tcp.$1.socat.$2")" "$(ratio "$z" "$c")"
}

mem_row() {	# label workload field
	local c z
	c=$(cell "tcp.$2.copy.$3") z=$(cell "tcp.$2.zc.$3")
	printf '| %s | %s | %s | %s |\n' "$1" "$c" "$z" "$(ratio "$z" "$c")"
}

added() {	# A B: A - B, signed, or - when either is missing
	awk -v a="$1" -v b="$2" 'BEGIN {
	    if (a == "-" || b == "-") print "-"; else printf "%+.1f\n", a - b }'
}

# goal DESCRIPTION LIMIT A B: a line "A/B <= LIMIT" (a LIMIT of ">=X"
# is a floor); n/a when either is missing or B is 0.
goal() {
	local r v op=${2%%[0-9]*} lim=${2#">="}
	r=$(ratio "$3" "$4")
	if [ "$r" = - ]; then
		v=n/a
	elif [ "$op" = ">=" ]; then
		v=$(verdict "a >= $lim * b" "$3" "$4")
	else
		v=$(verdict "a <= $lim * b" "$3" "$4")
	fi
	[ "$r" = - ] || r=${r}x
	echo "| $1 | $r | $v |"
}

# One line per goal of issue #13.  "No regression" allows 10% of noise.
goals() {
	local t T dir d p s c z lim
	echo "| goal (issue #13) | measured | |"
	echo "|---|---|---|"
	for t in tcp unix vsock; do
		case $t in
		vsock)	vsock_ran || continue; lim=0.75 p=proxy ;;
		*)	has_part "$t" || continue; lim=0.6 p=zc ;;
		esac
		T=$(echo "$t" | tr '[:lower:]' '[:upper:]')
		for dir in up down; do
			z=$(cell "$t.bulk1.$dir.$p.cpu_s_per_gib")
			s=$(cell "$t.bulk1.$dir.socat.cpu_s_per_gib")
			goal "$T bulk1.$dir: relay CPU/GiB <= ${lim}x socat -b 256k's" \
			    "$lim" "$z" "$s"
		done
	done
	has_part tcp || return 0
	for dir in up down; do
		d=$(cell "tcp.bulk1.$dir.direct.mibps")
		z=$(cell "tcp.bulk1.$dir.zc.mibps")
		s=$(cell "tcp.bulk1.$dir.socat.mibps")
		goal "TCP bulk1.$dir: throughput >= 1.3x socat -b 256k's" \
		    ">=1.3" "$z" "$s"
		goal "TCP bulk1.$dir: throughput >= 0.7x direct" ">=0.7" "$z" "$d"
	done
	d=$(cell tcp.pp.direct.median_us)
	c=$(cell tcp.pp.copy.median_us) z=$(cell tcp.pp.zc.median_us)
	echo "| TCP added round trip (median), zero-copy <= copy + 10% | $(added "$z" "$d") us vs $(added "$c" "$d") us | $(verdict '(a - c) <= (b - c) + 0.1 * (b > c ? b - c : c - b)' "$z" "$c" "$d") |"
	c=$(cell tcp.conn.copy.conn_per_s) z=$(cell tcp.conn.zc.conn_per_s)
	goal "TCP connection setup, zero-copy >= 0.9x copy" ">=0.9" "$z" "$c"
	c=$(cell tcp.idle.copy.kib_per_conn) z=$(cell tcp.idle.zc.kib_per_conn)
	echo "| idle connection RSS, zero-copy <= copy + 10% | $z vs $c KiB | $(verdict 'a <= 1.1 * b' "$z" "$c") |"
}

