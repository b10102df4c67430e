#!/bin/sh
# e2e-reload: SIGHUP reloads the configuration without dropping anyone.
#
# Start with rules "keep" (TCP) and "gone" (UNIX) and one connection held
# open through each.  Reload with "keep" (same address, now allowing only
# 10.0.0.0/8), "gone" removed and "new" added:
#   - the summary line is logged; "gone" stops listening; "new" listens
#     and relays; "keep" still listens but refuses 127.0.0.1 (its new
#     access list applies to new connections);
#   - both held connections then finish byte-exact, also the one whose
#     rule was removed, and the kept rule's counters count what it did
#     before and after the reload.
# Then reload with a broken file (the errors are logged as file:line,
# the rules go on serving) and with a file whose new rule cannot bind
# (rejected as a whole, the rules go on serving).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy


scenario() {
	local be="$1" keep gone new busy tgt hold conf
	new_addrs keep=tcp gone=unix new=tcp busy=tcp tgt=tcp hold=tcp
	conf="$T/$be.conf"
	{
		rule keep "$keep" "$hold"
		rule gone "$gone" "$hold"
	} >"$conf"
	if ! start_conf_proxy "px-$be" "$conf" "$keep" "$gone" -- -v; then
		not_ok "$be: proxy starts"
		return
	fi

	# One transfer in progress through each rule, held open: the target
	# reads slowly (about 0.6 s for 2M), so bytes are still moving when
	# the SIGHUP arrives.
	start_peer "$be.hold" "$hold" --conns 2 --send 2M --expect 2M \
	    --chunk 16k --read-delay-ms 5 ||
	    { not_ok "$be: target starts"; return; }
	local holdpid=$PEER_PID
	spawn "$be.h1" "$VSP_PEER" connect "$keep" --send 2M --expect 2M \
	    --conn-file "$T/$be.h1.up" --wait-file "$T/$be.go" \
	    --timeout "$VSP_WAIT"
	local h1=$SPAWNED
	spawn "$be.h2" "$VSP_PEER" connect "$gone" --send 2M --expect 2M \
	    --conn-file "$T/$be.h2.up" --wait-file "$T/$be.go" \
	    --timeout "$VSP_WAIT"
	local h2=$SPAWNED
	wait_for_file "$T/$be.h1.up"
	wait_for_file "$T/$be.h2.up"

	{
		rule keep "$keep" "$hold" "allow-addr 10.0.0.0/8"
		rule new "$new" "$tgt"
	} >"$conf"
	check "$be: SIGHUP: the reload is summed up in one line" \
	    hup "reloaded .*: 2 rule\(s\): 1 kept, 1 added, 1 removed"
	check "$be: the removed rule stops listening" \
	    wait_for_unlisten "$gone"
	check "$be: the kept rule still listens" is_listening "$keep"
	check "$be: the new rule listens" is_listening "$new"
	PROXY_ADDR=$new
	check "$be: the new rule relays" \
	    exchange "$be.new1" "$tgt" "--send 64k --expect 64k" \
	    "--send 64k --expect 64k"
	run_peer "$be.keep-denied" "$keep" --expect-refused
	is "$?" 0 "$be: the kept rule applies its new allow-addr to new clients"
	check "$be: the held connections are still open" eval \
	    'alive "$h1" && alive "$h2"'
	release "$T/$be.go" "$h1" "$h2" "$holdpid"
	check "$be: transfers across the reload complete byte-exact" eval \
	    'peer_passed "$be.h1" 1 && peer_passed "$be.h2" 1 &&
	     peer_passed "$be.hold" 2'
	# The kept rule kept its counters: the connection from before the
	# reload, its bytes, and the refusal after it.
	wait_until "$VSP_WAIT" log_at_least "$PROXY_LOG" \
	    'event=close rule=keep ' 1
	usr1
	is "$(grep ' stats rule=keep ' "$PROXY_LOG" | tail -n 1 |
	    sed 's/.* stats //' | cut -d' ' -f1-8)" \
	    "rule=keep active=0 accepted=1 denied=1 connect_failed=0 closed=1 bytes_up=2097152 bytes_down=2097152" \
	    "$be: the kept rule's counters span the reload"

	# A broken file: logged with file:line, nothing changes.
	cp "$conf" "$T/$be.good"
	printf 'rule broken {\n\tlisten %s\n\tconect %s\n}\n' "$busy" "$tgt" \
	    >>"$conf"
	check "$be: a broken file is rejected" \
	    hup "has errors: the running configuration stays in force"
	check "$be: its error is logged as file:line" grep -q \
	    "reload: $conf:12: .*conect" "$PROXY_LOG"
	check "$be: the old rules go on serving" \
	    exchange "$be.new2" "$tgt" "--send 64k --expect 64k" \
	    "--send 64k --expect 64k"
	check "$be: the broken rule does not listen" not_listening "$busy"

	# A new rule that cannot bind (its address is taken by the target
	# of the next exchange): the reload is rejected as a whole.
	cp "$T/$be.good" "$conf"
	{
		rule other "$busy" "$tgt"
		rule clash "$hold" "$tgt"
	} >>"$conf"
	start_peer "$be.new3.srv0" "$hold" --conns 1 --send 1k --expect 1k ||
	    { not_ok "$be: target starts"; return; }
	local busypid=$PEER_PID
	check "$be: a reload whose new address cannot bind is rejected" \
	    hup "cannot listen: the running configuration stays in force"
	check "$be: nothing of it is kept (the other new rule is closed)" \
	    not_listening "$busy"
	check "$be: the old rules go on serving" \
	    exchange "$be.new3" "$tgt" "--send 64k --expect 64k" \
	    "--send 64k --expect 64k"
	kill "$busypid" 2>/dev/null
	reap "$busypid"
	stop "$PROXY_PID"
	is "$?" 0 "$be: proxy exits 0 on SIGTERM"
}

for_each_backend scenario
done_testing
