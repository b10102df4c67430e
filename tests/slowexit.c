/*
 * slowexit: an LD_PRELOAD shim that makes a process slow to exit, for
 * tests/e2e-signal-exit.sh.
 *
 *	VSP_SLOWEXIT_MS=N
 *
 * Its destructor sleeps N milliseconds, after main() has returned: the
 * exit then takes as long as under a sanitizer's leak check or valgrind,
 * which is where a daemon that gives up its signal handlers before it
 * is gone gets killed by a late signal.  Signals caught meanwhile do not
 * cut the sleep short.  Without the variable the shim does nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

__attribute__((destructor)) static void
slowexit(void)
{
	const char *v = getenv("VSP_SLOWEXIT_MS");
	struct timespec until;
	long ms;

	if (v == NULL || (ms = strtol(v, NULL, 10)) <= 0)
		return;
	/* An absolute deadline: a relative sleep restarted after each of
	 * a stream of signals may never end (each restart adds slack). */
	if (clock_gettime(CLOCK_MONOTONIC, &until) == -1)
		return;
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until,
	    NULL) == EINTR)
		;
}
