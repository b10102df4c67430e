# C unit tests (cmocka, TAP output through CMOCKA_MESSAGE_OUTPUT).
unit_tests = tests/unit/test-parse tests/unit/test-relay \
	tests/unit/test-event
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
