# C unit tests (cmocka, TAP output through CMOCKA_MESSAGE_OUTPUT).
unit_tests = tests/unit/test-parse tests/unit/test-addr \
	tests/unit/test-relay tests/unit/test-sender \
	tests/unit/test-event tests/unit/test-conf tests/unit/test-hvsock \
	tests/unit/test-clash tests/unit/test-limits tests/unit/test-control
if HAVE_CMOCKA
check_PROGRAMS += $(unit_tests)
TESTS += $(unit_tests)
endif
# Each test-X is tests/unit/test-X.c (automake's default source), with
# cmocka's flags (CMOCKA_CFLAGS is in AM_CPPFLAGS) and libraries.
unit_ldadd = libvsockproxy.la $(CMOCKA_LIBS)
tests_unit_test_parse_SOURCES = tests/unit/test-parse.c tests/unit/argv.h
tests_unit_test_addr_SOURCES = tests/unit/test-addr.c tests/unit/argv.h
tests_unit_test_parse_LDADD = $(unit_ldadd)
tests_unit_test_addr_LDADD = $(unit_ldadd)
tests_unit_test_relay_LDADD = $(unit_ldadd)
tests_unit_test_sender_LDADD = $(unit_ldadd)
tests_unit_test_event_LDADD = $(unit_ldadd)
tests_unit_test_conf_LDADD = $(unit_ldadd)
tests_unit_test_hvsock_LDADD = $(unit_ldadd)
tests_unit_test_limits_LDADD = $(unit_ldadd)
tests_unit_test_clash_LDADD = $(unit_ldadd)
tests_unit_test_control_LDADD = $(unit_ldadd)
# Configuration fixtures for test-conf, and seeds for a conf fuzzer.
EXTRA_DIST += tests/unit/conf tests/fuzz/conf
