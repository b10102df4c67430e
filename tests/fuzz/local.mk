# Fuzz targets, included from the top Makefile.am.  See tests/fuzz/README.
#
# Each target is one LLVMFuzzerTestOneInput() over libvsockproxy.la.  With
# --enable-fuzzer it links libFuzzer (the library is instrumented through
# VP_CFLAGS) and `make fuzz-smoke` fuzzes each for FUZZ_SECONDS; without,
# replay.c supplies main().  In both, make check replays every seed
# corpus file through every target (tests/fuzz-replay.sh).
FUZZ_TARGETS = conf addr args parse hvsock
fuzz_programs = tests/fuzz/fuzz-conf tests/fuzz/fuzz-addr \
	tests/fuzz/fuzz-args tests/fuzz/fuzz-parse tests/fuzz/fuzz-hvsock
check_PROGRAMS += $(fuzz_programs)

tests_fuzz_fuzz_conf_SOURCES = tests/fuzz/fuzz-conf.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_addr_SOURCES = tests/fuzz/fuzz-addr.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_args_SOURCES = tests/fuzz/fuzz-args.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_parse_SOURCES = tests/fuzz/fuzz-parse.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_hvsock_SOURCES = tests/fuzz/fuzz-hvsock.c tests/fuzz/fuzz.h
if FUZZER
tests_fuzz_fuzz_conf_LDFLAGS = $(AM_LDFLAGS) $(VP_FUZZ_LDFLAGS)
tests_fuzz_fuzz_addr_LDFLAGS = $(AM_LDFLAGS) $(VP_FUZZ_LDFLAGS)
tests_fuzz_fuzz_args_LDFLAGS = $(AM_LDFLAGS) $(VP_FUZZ_LDFLAGS)
tests_fuzz_fuzz_parse_LDFLAGS = $(AM_LDFLAGS) $(VP_FUZZ_LDFLAGS)
tests_fuzz_fuzz_hvsock_LDFLAGS = $(AM_LDFLAGS) $(VP_FUZZ_LDFLAGS)
else
tests_fuzz_fuzz_conf_SOURCES += tests/fuzz/replay.c
tests_fuzz_fuzz_addr_SOURCES += tests/fuzz/replay.c
tests_fuzz_fuzz_args_SOURCES += tests/fuzz/replay.c
tests_fuzz_fuzz_parse_SOURCES += tests/fuzz/replay.c
tests_fuzz_fuzz_hvsock_SOURCES += tests/fuzz/replay.c
endif
tests_fuzz_fuzz_conf_LDADD = libvsockproxy.la
tests_fuzz_fuzz_addr_LDADD = libvsockproxy.la
tests_fuzz_fuzz_args_LDADD = libvsockproxy.la
tests_fuzz_fuzz_parse_LDADD = libvsockproxy.la
tests_fuzz_fuzz_hvsock_LDADD = libvsockproxy.la

TESTS += tests/fuzz-replay.sh
EXTRA_DIST += tests/fuzz-replay.sh tests/fuzz/smoke.sh \
	tests/fuzz/README \
	tests/fuzz/conf.dict tests/fuzz/args.dict tests/fuzz/addr.dict \
	tests/fuzz/addr tests/fuzz/args tests/fuzz/parse tests/fuzz/hvsock

# make fuzz-smoke: every target for FUZZ_SECONDS over its seeds.
FUZZ_SECONDS = 30
if FUZZER
fuzz-smoke: $(fuzz_programs)
	FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_TARGETS='$(FUZZ_TARGETS)' \
	top_srcdir='$(top_srcdir)' $(SHELL) $(top_srcdir)/tests/fuzz/smoke.sh
else
fuzz-smoke:
	@echo "fuzz-smoke: configure with --enable-fuzzer (and clang)" >&2
	@exit 1
endif
.PHONY: fuzz-smoke
clean-local: clean-fuzz
clean-fuzz:
	rm -rf fuzz-out
.PHONY: clean-fuzz
