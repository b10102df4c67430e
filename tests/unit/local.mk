# C unit tests (cmocka, TAP output through CMOCKA_MESSAGE_OUTPUT).
unit_tests = tests/unit/test-parse tests/unit/test-relay \
	tests/unit/test-event tests/unit/test-conf tests/unit/test-hvsock \
	tests/unit/test-clash tests/unit/test-limits
if HAVE_CMOCKA
check_PROGRAMS += $(unit_tests)
TESTS += $(unit_tests)
endif
tests_unit_test_parse_SOURCES = tests/unit/test-parse.c
tests_unit_test_parse_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_parse_LDADD = libvsockproxy.la $(CMOCKA_LIBS)
tests_unit_test_relay_SOURCES = tests/unit/test-relay.c
tests_unit_test_relay_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_relay_LDADD = libvsockproxy.la $(CMOCKA_LIBS)
tests_unit_test_event_SOURCES = tests/unit/test-event.c
tests_unit_test_event_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_event_LDADD = libvsockproxy.la $(CMOCKA_LIBS)
tests_unit_test_conf_SOURCES = tests/unit/test-conf.c
tests_unit_test_conf_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_conf_LDADD = libvsockproxy.la $(CMOCKA_LIBS)
tests_unit_test_hvsock_SOURCES = tests/unit/test-hvsock.c
tests_unit_test_hvsock_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_hvsock_LDADD = libvsockproxy.la $(CMOCKA_LIBS)
tests_unit_test_limits_SOURCES = tests/unit/test-limits.c
tests_unit_test_limits_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_limits_LDADD = libvsockproxy.la $(CMOCKA_LIBS)
tests_unit_test_clash_SOURCES = tests/unit/test-clash.c
tests_unit_test_clash_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_clash_LDADD = libvsockproxy.la $(CMOCKA_LIBS)
# Configuration fixtures for test-conf, and seeds for a conf fuzzer.
EXTRA_DIST += tests/unit/conf tests/fuzz/conf
