# End-to-end tests, included from the top Makefile.am (non-recursive make,
# paths from the top).  See tests/README.md.

# The far end of every test.  libc only, on purpose: none of the project's
# headers or libraries, so that vmtest can build the same file with
# "cc -O2 -static" for its guests, and so that the peer does not share
# the daemon's bugs.
check_PROGRAMS += tests/vsp-peer
tests_vsp_peer_SOURCES = tests/peer.c
tests_vsp_peer_CPPFLAGS =

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
	tests/e2e-logging.sh \
	tests/e2e-check-config.sh \
	tests/e2e-rules.sh \
	tests/e2e-reload.sh \
	tests/e2e-hybrid.sh \
	tests/notify.sh \
	tests/socket-activation.sh

TESTS += $(E2E_TESTS)
EXTRA_DIST += $(E2E_TESTS) tests/lib.sh tests/README.md

# Privilege dropping (-u, -g): needs root, skips otherwise.
TESTS += tests/privdrop.sh
EXTRA_DIST += tests/privdrop.sh
