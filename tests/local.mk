# End-to-end tests, included from the top Makefile.am (non-recursive make,
# paths from the top).  See tests/README.md.

# The test tools.  libc only, on purpose: none of the project's headers
# or libraries, so that vmtest can copy them into its guests as built
# (or "cc -O2 -static" them), and so that they do not share the daemon's
# bugs.  tool.c is what they share beyond the address syntax.
TOOL_SOURCES = tests/tool.c tests/tool.h tests/peeraddr.c tests/peeraddr.h

# The far end of every test, and the hybrid vsock VMM stand-in.
check_PROGRAMS += tests/vsp-peer
tests_vsp_peer_SOURCES = tests/peer.c tests/peer.h \
	tests/peeropts.c tests/peeropts.h tests/stream.c tests/stream.h \
	tests/peerconn.c tests/peerconn.h tests/peervmm.c tests/peervmm.h \
	tests/peerresult.c tests/peerresult.h \
	tests/peermsg.c tests/peermsg.h \
	tests/peerloop.c tests/peerloop.h $(TOOL_SOURCES)
tests_vsp_peer_CPPFLAGS =

# The NOTIFY_SOCKET of tests/e2e-notify.sh.
check_PROGRAMS += tests/vsp-notify
tests_vsp_notify_SOURCES = tests/notifysink.c $(TOOL_SOURCES)
tests_vsp_notify_CPPFLAGS =

# The address parser on its own, for tests/e2e-peer.sh.
check_PROGRAMS += tests/vsp-addr
tests_vsp_addr_SOURCES = tests/addrcheck.c $(TOOL_SOURCES)
tests_vsp_addr_CPPFLAGS =

# What the kernel does with SOCK_SEQPACKET (and the SHUT_RD question),
# measured with no relay between two sockets: "vsp-seqprobe unix" on
# this machine, "vsp-seqprobe vsock --in-guest" only inside the guests of
# vmtest/seqprobe.sh.  libc only (and pthreads), like vsp-peer.
check_PROGRAMS += tests/vsp-seqprobe
tests_vsp_seqprobe_SOURCES = tests/seqprobe.c
tests_vsp_seqprobe_CPPFLAGS =
tests_vsp_seqprobe_CFLAGS = $(AM_CFLAGS) -pthread
tests_vsp_seqprobe_LDFLAGS = $(AM_LDFLAGS) -pthread

# The hostile peer of e2e-flood: connects in a loop; and its latency
# probe and echo server.  libc only, like vsp-peer.
check_PROGRAMS += tests/vsp-flood
tests_vsp_flood_SOURCES = tests/flood.c tests/peeraddr.c tests/peeraddr.h
tests_vsp_flood_CPPFLAGS =

# One scenario per script, all TAP, each for every event backend.
E2E_TESTS = \
	tests/e2e-peer.sh \
	tests/e2e-args.sh \
	tests/e2e-transfer.sh \
	tests/e2e-halfclose-client.sh \
	tests/e2e-halfclose-server.sh \
	tests/e2e-close.sh \
	tests/e2e-refused.sh \
	tests/e2e-connect-timeout.sh \
	tests/e2e-slow-reader.sh \
	tests/e2e-concurrent.sh \
	tests/e2e-max-conns.sh \
	tests/e2e-emfile.sh \
	tests/e2e-sigterm.sh \
	tests/e2e-log-level.sh \
	tests/e2e-log-escape.sh \
	tests/e2e-check-config.sh \
	tests/e2e-conf-perms.sh \
	tests/e2e-rules.sh \
	tests/e2e-idle.sh \
	tests/e2e-flood.sh \
	tests/e2e-memory.sh \
	tests/e2e-conn-rate.sh \
	tests/e2e-reload.sh \
	tests/e2e-reload-many.sh \
	tests/e2e-hybrid.sh \
	tests/e2e-signal-exit.sh \
	tests/e2e-unix-path.sh \
	tests/e2e-reload-empty.sh \
	tests/e2e-relpaths.sh \
	tests/e2e-notify.sh \
	tests/e2e-socket-activation.sh \
	tests/e2e-control.sh \
	tests/e2e-seqpacket.sh \
	tests/e2e-zero-copy.sh

TESTS += $(E2E_TESTS)
EXTRA_DIST += $(E2E_TESTS) tests/lib.sh tests/README.md

# contrib/nix parses and renders (needs nix-instantiate, skips otherwise).
TESTS += tests/nix-parse.sh
EXTRA_DIST += tests/nix-parse.sh

# Privilege dropping (-u, -g): needs root, skips otherwise.
TESTS += tests/e2e-privdrop.sh
EXTRA_DIST += tests/e2e-privdrop.sh

# Faults and the integrity soak (issue #7).  failmalloc.so is an
# LD_PRELOAD shim, not part of the project: a plain rule, built without
# the project's sanitizer flags (an ASan build skips its test).
check_DATA = tests/failmalloc.so
CLEANFILES += tests/failmalloc.so
EXTRA_DIST += tests/failmalloc.c
tests/failmalloc.so: tests/failmalloc.c
	$(AM_V_CC)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -shared -Wall -Wextra \
	    -o $@ $(srcdir)/tests/failmalloc.c

# Another shim: a slow exit, for tests/e2e-signal-exit.sh.
check_DATA += tests/slowexit.so
CLEANFILES += tests/slowexit.so
EXTRA_DIST += tests/slowexit.c
tests/slowexit.so: tests/slowexit.c
	$(AM_V_CC)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -shared -Wall -Wextra \
	    -o $@ $(srcdir)/tests/slowexit.c

FAULT_TESTS = \
	tests/e2e-reset.sh \
	tests/e2e-client-gone.sh \
	tests/e2e-seqpacket.sh \
	tests/e2e-slowloris.sh \
	tests/e2e-failmalloc.sh \
	tests/e2e-soak.sh
TESTS += $(FAULT_TESTS)
EXTRA_DIST += $(FAULT_TESTS)

# make check-valgrind: a representative part of the host suite with the
# daemon under valgrind (tests/lib.sh starts it under $VSP_WRAPPER).
# Every error, and every definite or indirect leak, fails: valgrind
# exits 99 where a test checks the daemon's status, and its logs are
# summed up afterwards for the others.
VALGRIND_TESTS = \
	tests/e2e-transfer.sh \
	tests/e2e-halfclose-client.sh \
	tests/e2e-halfclose-server.sh \
	tests/e2e-close.sh \
	tests/e2e-refused.sh \
	tests/e2e-concurrent.sh \
	tests/e2e-sigterm.sh \
	tests/e2e-reload.sh \
	tests/e2e-rules.sh \
	tests/e2e-emfile.sh \
	tests/e2e-reset.sh \
	tests/e2e-client-gone.sh \
	tests/e2e-seqpacket.sh \
	tests/e2e-control.sh
VALGRIND = valgrind
VALGRIND_FLAGS = --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --track-fds=no
check-valgrind:
	rm -rf vg-logs && mkdir vg-logs
	VSP_WRAPPER='$(VALGRIND) $(VALGRIND_FLAGS) --log-file=$(abs_top_builddir)/vg-logs/%p.log' \
	VSP_WAIT=90 $(MAKE) $(AM_MAKEFLAGS) check TESTS='$(VALGRIND_TESTS)'
	$(SHELL) $(top_srcdir)/tests/valgrind-summary.sh vg-logs
.PHONY: check-valgrind
EXTRA_DIST += tests/valgrind-summary.sh
clean-local: clean-vg-logs
clean-vg-logs:
	rm -rf vg-logs
.PHONY: clean-vg-logs
