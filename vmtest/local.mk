# vmtest: vsock tests inside QEMU guests (see vmtest/README.md).  The
# build machine itself never opens an AF_VSOCK socket.
#
#   make check           includes vmtest/loopback.sh (one guest per kernel,
#                        vsock_loopback, both event backends),
#                        vmtest/nested.sh and vmtest/systemd.sh (below)
#   make vmcheck         only the nested guests: CIDs 3, 4, 5 behind an L1
#                        proxy
#   make vmcheck-native  the proxy on this machine, if it has /dev/vhost-vsock
#   make vmcheck-systemd vmtest/systemd.sh (also in make check): a guest
#                        whose PID 1 is systemd starts the contrib units
#   make vmcheck-seqprobe vmtest/seqprobe.sh (also in make check): what
#                        the kernel does with SOCK_SEQPACKET, no relay;
#                        AF_UNIX here, vsock in a guest per kernel
#   make vmdemo          the nested topology: a message from CID 3 through
#                        the proxy to CID 4, CID 5 refused, log and stats

vmtest_scripts = \
	vmtest/lib.sh \
	vmtest/loopback.sh \
	vmtest/nested.sh \
	vmtest/native.sh \
	vmtest/systemd.sh \
	vmtest/seqprobe.sh \
	vmtest/guest/init \
	vmtest/guest/lib.sh \
	vmtest/guest/loopback.sh \
	vmtest/guest/nested.sh \
	vmtest/guest/l2.sh \
	vmtest/guest/systemd.sh \
	vmtest/guest/seqprobe.sh \
	vmtest/guest/systemd-run

EXTRA_DIST += $(vmtest_scripts) vmtest/README.md
TESTS += vmtest/loopback.sh vmtest/nested.sh vmtest/systemd.sh \
	vmtest/seqprobe.sh

# The guests need the daemon and the test peer.
vmtest_deps = $(sbin_PROGRAMS) $(check_PROGRAMS)

vmcheck: $(vmtest_deps)
	@$(AM_TESTS_ENVIRONMENT) $(SHELL) $(srcdir)/vmtest/nested.sh

vmcheck-native: $(vmtest_deps)
	@$(AM_TESTS_ENVIRONMENT) $(SHELL) $(srcdir)/vmtest/native.sh

# The systemd guest also installs the build (make install DESTDIR=) and
# takes the units that make generates.
vmcheck-systemd: $(vmtest_deps) $(noinst_DATA)
	@$(AM_TESTS_ENVIRONMENT) $(SHELL) $(srcdir)/vmtest/systemd.sh

vmcheck-seqprobe: tests/vsp-seqprobe
	@$(AM_TESTS_ENVIRONMENT) $(SHELL) $(srcdir)/vmtest/seqprobe.sh

vmdemo: $(vmtest_deps)
	@$(AM_TESTS_ENVIRONMENT) $(SHELL) $(srcdir)/vmtest/nested.sh --demo

.PHONY: vmcheck vmcheck-native vmcheck-systemd vmcheck-seqprobe vmdemo

# Images, consoles and logs; the kernels stay in $VMTEST_CACHE (by
# default outside the build tree, see vmtest/README.md).
clean-local: clean-local-vmtest
clean-local-vmtest:
	-rm -rf vmtest/work vmtest/cache
.PHONY: clean-local-vmtest
