#!/bin/sh
# layering: the shape of src/ (issue #12).
#
#   - no cycle among the modules.  A module is a src/*.c file by its name,
#     except that NAME_PART.c (and NAME_PART.h) belongs to module NAME when
#     there is a NAME.c or NAME.h: event_epoll.c and event_impl.h are
#     module event.  Module A depends on B when a file of A includes one
#     of B's headers ("b.h"), or when A's .c files call a function that
#     B's headers declare (its name followed by "(", outside comments and
#     strings).  Every elementary cycle is one "not ok", printed;
#   - no file in src/ over 600 lines;
#   - no function in src/*.c over 100 lines, from the line with its name
#     (the line after its return type) to its closing brace.
#
# The graph itself is printed as TAP comments.  awk does the reading;
# plain sh and awk, so that it runs anywhere make check does.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

FILE_MAX=600
FUNC_MAX=100
src=$top_srcdir/src
[ -d "$src" ] || bail_out "no source directory at $src"

# module_of NAME: the module of src/NAME.c or src/NAME.h.
module_of() {
	local p=${1%%_*}
	if [ "$p" != "$1" ] && { [ -e "$src/$p.c" ] || [ -e "$src/$p.h" ]; }
	then
		echo "$p"
	else
		echo "$1"
	fi
}

# The map awk starts from: "FILE MODULE" per file; a header whose module
# has no .c file (vsock.h) belongs to none.
modules=
map=
for f in "$src"/*.c; do
	b=$(basename "$f" .c)
	m=$(module_of "$b")
	modules="$modules $m "
	map="$map$b.c $m
"
done
for f in "$src"/*.h; do
	b=$(basename "$f" .h)
	m=$(module_of "$b")
	case "$modules" in
	*" $m "*)	map="$map$b.h $m
" ;;
	esac
done

# Headers first: their exports must be known before the calls are read.
printf '%s' "$map" | awk -v file_max="$FILE_MAX" -v func_max="$FUNC_MAX" '
# code(LINE): LINE with comments, strings and character constants
# blanked (state carried across lines in incomment).
function code(s,    out, c, n, i, q) {
	out = ""
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (incomment) {
			if (c == "*" && substr(s, i + 1, 1) == "/") {
				incomment = 0
				i++
			}
			continue
		}
		if (c == "/" && substr(s, i + 1, 1) == "*") {
			incomment = 1
			i++
			out = out " "
			continue
		}
		if (c == "\"" || c == "\047") {
			q = c
			for (i++; i <= n && substr(s, i, 1) != q; i++)
				if (substr(s, i, 1) == "\\")
					i++
			out = out q q
			continue
		}
		out = out c
	}
	return out
}

BEGIN {
	split("if while for switch return sizeof", kw)
	for (i in kw)
		keyword[kw[i]] = 1
}

FILENAME == "-" {
	mod[$1] = $2
	next
}

FNR == 1 {
	f = FILENAME
	sub(/.*\//, "", f)
	m = (f in mod) ? mod[f] : ""
	incomment = 0
	depth = 0
	pdepth = 0
	intypedef = 0
	isheader = (f ~ /\.h$/)
	if (!isheader)
		cfiles[f] = 1
	fstart = 0
	lines[f] = 0
}

{
	lines[f]++
	raw = $0
	if (m != "" && match(raw, /^#[ \t]*include[ \t]*"[^"]+"/)) {
		h = substr(raw, RSTART, RLENGTH)
		sub(/^[^"]*"/, "", h)
		sub(/"$/, "", h)
		if ((h in mod) && mod[h] != "" && mod[h] != m)
			edge[m, mod[h]] = edge[m, mod[h]] " include:" h
	}
	s = code(raw)
	if (s ~ /^[ \t]*#/)
		next

	# Function lengths: a name at the start of a line, its return
	# type on the line before, then "{" before any ";".
	if (!isheader) {
		if (fstart && fbody == 0 && s ~ /;[ \t]*$/)
			fstart = 0
		if (s ~ /^\{/ && fstart)
			fbody = 1
		if (fstart && fbody && s ~ /^\}/) {
			len = FNR - fstart + 1
			if (len > func_max)
				longfn[++nlong] = "src/" f ": " fname "(): " \
				    len " lines"
			fstart = 0
		}
		if (!fstart && match(s, /^[a-z_][a-z0-9_]*\(/) &&
		    prev ~ /^[a-z_]/ && prev !~ /[;,{}]$/) {
			fname = substr(s, 1, RLENGTH - 1)
			fstart = FNR
			fbody = 0
		}
		prev = s
	}

	if (m == "")
		next
	# Walk the tokens: a name right before "(" is a declaration in a
	# header (at brace and paren depth 0, not in a typedef), a call in
	# a .c file.
	if (depth == 0 && pdepth == 0 && s ~ /^[ \t]*typedef[ \t]/)
		intypedef = 1
	rest = s
	while (match(rest, /[A-Za-z_][A-Za-z0-9_]*|[(){};]/)) {
		tok = substr(rest, RSTART, RLENGTH)
		after = substr(rest, RSTART + RLENGTH, 1)
		rest = substr(rest, RSTART + RLENGTH)
		if (tok == "{")
			depth++
		else if (tok == "}")
			depth--
		else if (tok == "(")
			pdepth++
		else if (tok == ")")
			pdepth--
		else if (tok == ";") {
			if (depth == 0 && pdepth == 0)
				intypedef = 0
		} else if (after == "(" && tok ~ /^[a-z]/) {
			if (isheader) {
				if (depth == 0 && pdepth == 0 && !intypedef &&
				    !(tok in keyword))
					exported[tok] = m
			} else if ((tok in exported) && exported[tok] != m) {
				b = exported[tok]
				if (index(edge[m, b], " " tok "()") == 0)
					edge[m, b] = edge[m, b] " " tok "()"
			}
		}
	}
}

# Every elementary cycle once: from each node, through larger ones only.
function walk(v, d,    w) {
	path[d] = v
	onpath[v] = 1
	for (w = 1; w <= nnodes; w++) {
		if (!((node[v], node[w]) in edge))
			continue
		if (w == path[1])
			report(d)
		else if (w > path[1] && !onpath[w])
			walk(w, d + 1)
	}
	onpath[v] = 0
}
function report(d,    i, s) {
	s = node[path[1]]
	for (i = 2; i <= d; i++)
		s = s " -> " node[path[i]]
	cycles[++ncycles] = s " -> " node[path[1]]
}

END {
	for (k in edge) {
		split(k, ab, SUBSEP)
		used[ab[1]] = 1
		used[ab[2]] = 1
	}
	# Nodes in name order (a plain insertion sort: a few dozen).
	for (x in used) {
		for (i = ++nnodes; i > 1 && node[i - 1] > x; i--)
			node[i] = node[i - 1]
		node[i] = x
	}
	for (i = 1; i <= nnodes; i++) {
		s = ""
		for (j = 1; j <= nnodes; j++)
			if ((node[i], node[j]) in edge)
				s = s " " node[j]
		if (s != "")
			print "# " node[i] " ->" s
	}
	for (i = 1; i <= nnodes; i++)
		walk(i, 1)
	n = 0
	for (i = 1; i <= ncycles; i++) {
		print "not ok " ++n " - cycle: " cycles[i]
		split(cycles[i], hop, / -> /)
		for (j = 1; hop[j + 1] != ""; j++)
			print "#   " hop[j] " -> " hop[j + 1] ":" \
			    edge[hop[j], hop[j + 1]]
	}
	if (ncycles == 0)
		print "ok " ++n " - no cycle among the " nnodes \
		    " modules that depend or are depended on"

	bad = 0
	for (x in lines)
		if (lines[x] > file_max) {
			print "not ok " ++n " - src/" x ": " lines[x] \
			    " lines (at most " file_max ")"
			bad++
		}
	if (!bad)
		print "ok " ++n " - every file in src/ within " file_max \
		    " lines"

	for (i = 1; i <= nlong; i++)
		print "not ok " ++n " - " longfn[i] " (at most " func_max ")"
	if (nlong == 0)
		print "ok " ++n " - every function in src/*.c within " \
		    func_max " lines"
	print "1.." n
}' - "$src"/*.h "$src"/*.c >"$T/out"
cat "$T/out"
! grep -q '^not ok' "$T/out"
