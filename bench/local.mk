# make bench: the benchmarks of issues #6 and #13 (bench/run.sh,
# BENCHMARKS.md).  Included from the top Makefile.am; paths from the top.
#
#   make bench        TCP and UNIX here, then vsock loopback in a QEMU
#                     guest; one table, direct vs vsockproxy (copy and
#                     zero-copy) vs socat, with ratios and the goals;
#                     bench/bench-results.tsv and the chart
#                     bench/zero-copy.svg (gnuplot) in the build tree
#   make bench-smoke  the same with tiny sizes (BENCH_QUICK=1): every code
#                     path, fails only if a component fails, never on speed

# The load generator: libc only, no project headers, so that the guests
# can run it as built.  Its addresses are vsp-peer's (tests/peeraddr.c).
noinst_PROGRAMS += bench/vsp-bench
bench_vsp_bench_SOURCES = bench/vsp-bench.c tests/peeraddr.c \
	tests/peeraddr.h
bench_vsp_bench_CPPFLAGS = -I$(top_srcdir)/tests

EXTRA_DIST += bench/run.sh bench/ab.sh bench/lib.sh bench/report.sh \
	bench/chart.sh bench/tcp-blast.c BENCHMARKS.md vmtest/guest/bench.sh
CLEANFILES += bench/bench-results.tsv bench/zero-copy.svg

# The BPF sockmap prototype of issue 15 (DESIGN.md, "BPF sockmap:
# measured, stays out"): distributed so that its figures can be rerun,
# never built by make (bench/sockmap/README.md).
EXTRA_DIST += bench/sockmap/README.md bench/sockmap/Makefile \
	bench/sockmap/run.sh bench/sockmap/sockmap-relay.c \
	bench/sockmap/sockmap-relay.bpf.c vmtest/guest/sockmap.sh

bench_env = $(AM_TESTS_ENVIRONMENT) \
	VSP_BENCH='$(abs_top_builddir)/bench/vsp-bench'; export VSP_BENCH;

bench: $(sbin_PROGRAMS) bench/vsp-bench
	@$(bench_env) bash $(srcdir)/bench/run.sh

bench-smoke: $(sbin_PROGRAMS) bench/vsp-bench
	@$(bench_env) BENCH_QUICK=1; export BENCH_QUICK; \
	bash $(srcdir)/bench/run.sh

.PHONY: bench bench-smoke
