#!/bin/sh
# e2e-reload-empty: a reload that would remove every rule is rejected.
#
# A daemon serves rule "keep" from a file.  The file is then, in turn,
# empty (as a rewrite in place leaves it for a moment), only comments,
# only global settings, and an include of an empty drop-in directory:
# each SIGHUP is rejected with a warning that says a reload never
# removes the last rule and that stopping the daemon does, and "keep"
# goes on listening and relaying.  A file with rules is then applied as
# usual.
#
# Starting from a file without a rule is allowed (drop-ins may come
# later) but warned about, naming the file; the first reload with a rule
# adds it.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

WARN="has no rule: rejected, the running configuration \(1 rule\(s\)\) \
stays in force; a reload never removes the last rule, stopping the \
daemon does"

reload_empty() {
	local be="$1" conf="$T/$1.conf" keep new tgt what n=0
	new_addr tcp; new=$NEW_ADDR
	mkdir "$T/$be.d"
	keep_rule_proxy "$be" "$conf" || return
	keep=$KEEP tgt=$KEEP_TARGET
	for what in empty comments globals empty-include; do
		n=$((n + 1))
		case $what in
		empty)	: >"$conf" ;;
		comments)
			printf '# every VM is gone\n\n  # for now\n' \
			    >"$conf" ;;
		globals)
			printf 'stats-interval 30\nshutdown-timeout 2\n' \
			    >"$conf" ;;
		empty-include)
			printf 'include %s/*.conf\n' "$T/$be.d" >"$conf" ;;
		esac
		check "$be: reload with a file of $what: rejected with a \
warning" hup "reload: $conf $WARN"
		check "$be: ... the rule still listens" is_listening "$keep"
		run_peer "$be.$what" "$keep" --send 1k --expect 1k
		check "$be: ... and relays" peer_passed "$be.$what" 1
	done
	is "$(log_count "$PROXY_LOG" 'reloaded ')" 0 \
	    "$be: none of them was applied"
	{
		rule keep "$keep" "$tgt"
		rule new "$new" "$tgt"
	} >"$conf"
	check "$be: a reload with rules is applied" \
	    hup "reloaded .*: 2 rule\(s\): 1 kept, 1 added, 0 removed"
	run_peer "$be.new" "$new" --send 1k --expect 1k
	check "$be: ... its new rule relays" peer_passed "$be.new" 1
	rule new "$new" "$tgt" >"$conf"
	check "$be: a reload down to one rule is applied" \
	    hup "reloaded .*: 1 rule\(s\): 1 kept, 0 added, 1 removed"
	stop "$PROXY_PID"
	is "$?" 0 "$be: exit 0 on SIGTERM"
	kill "$PEER_PID"
	reap "$PEER_PID"
}

start_empty() {
	local be="$1" conf="$T/$1.start.conf" keep tgt
	new_addrs keep=tcp tgt=tcp
	printf '# no VM yet\nstats-interval 30\n' >"$conf"
	# Nothing to wait for on a socket: "ready" is the last start-up line.
	start_conf_proxy "px-$be.start" "$conf" ||
	    { not_ok "$be: proxy starts"; return; }
	check "$be: start without a rule: up" \
	    wait_until "$VSP_WAIT" grep -q 'ready' "$PROXY_LOG"
	check "$be: ... with a warning naming the file" grep -q \
	    "$conf has no rule: listening on nothing until a reload adds" \
	    "$PROXY_LOG"
	rule keep "$keep" "$tgt" >"$conf"
	check "$be: the first reload with a rule adds it" \
	    hup "reloaded .*: 1 rule\(s\): 0 kept, 1 added, 0 removed"
	check "$be: ... and it listens" is_listening "$keep"
	stop "$PROXY_PID"
	is "$?" 0 "$be: exit 0 on SIGTERM"
}

scenario() {
	reload_empty "$1"
	start_empty "$1"
}

for_each_backend scenario
done_testing
