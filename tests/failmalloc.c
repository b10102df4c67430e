/*
 * failmalloc: an LD_PRELOAD shim that makes malloc(3), calloc(3) and
 * realloc(3) fail on demand (strdup and the rest of libc go through
 * them), for tests/e2e-failmalloc.sh.
 *
 *	VSP_FAILMALLOC=file=PATH,every=N
 *
 * Failures happen only while PATH exists, so that the daemon starts up
 * normally and the test decides when the fault begins and ends; while it
 * exists, every Nth allocation (counted from the first one made while it
 * exists; N defaults to 1) returns NULL with errno ENOMEM.  Each failure
 * writes one line "failmalloc: malloc(SIZE) fails" to stderr, so that a
 * test can tell that faults were injected at all.  Without the variable
 * the shim only passes calls through.
 *
 * Test-only: glibc's __libc_* entry points keep it free of dlsym(), which
 * itself allocates.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static int configured;		/* 0 unknown, 1 on, -1 off */
static char path[512];
static unsigned long every = 1;
static unsigned long count;
static int inside;		/* no faults from our own calls */

static void
configure(void)
{
	const char *v = getenv("VSP_FAILMALLOC"), *p, *e;
	size_t n;

	configured = -1;
	if (v == NULL)
		return;
	for (p = v; *p != '\0'; p = *e == ',' ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n > 5 && strncmp(p, "file=", 5) == 0 &&
		    n - 5 < sizeof(path)) {
			memcpy(path, p + 5, n - 5);
			path[n - 5] = '\0';
		} else if (n > 6 && strncmp(p, "every=", 6) == 0)
			every = strtoul(p + 6, NULL, 10);
	}
	if (every == 0)
		every = 1;
	if (path[0] != '\0')
		configured = 1;
}

static void
say(const char *what, size_t size)
{
	char buf[64], num[24];
	size_t i = sizeof(num), len;

	num[--i] = '\0';
	do
		num[--i] = (char)('0' + size % 10);
	while ((size /= 10) != 0 && i > 0);
	len = strlen(what);
	memcpy(buf, "failmalloc: ", 12);
	memcpy(buf + 12, what, len);
	buf[12 + len] = '(';
	memcpy(buf + 13 + len, num + i, sizeof(num) - 1 - i);
	len += 13 + sizeof(num) - 1 - i;
	memcpy(buf + len, ") fails\n", 8);
	(void)!write(2, buf, len + 8);
}

/* Should this allocation fail? */
static int
fail(const char *what, size_t size)
{
	int saved = errno, hit = 0;

	if (inside)
		return (0);
	inside = 1;
	if (configured == 0)
		configure();
	if (configured == 1) {
		if (access(path, F_OK) == 0)
			hit = count++ % every == 0;
		else
			count = 0;
	}
	inside = 0;
	errno = saved;
	if (!hit)
		return (0);
	say(what, size);
	errno = ENOMEM;
	return (1);
}

void *
malloc(size_t size)
{

	return (fail("malloc", size) ? NULL : __libc_malloc(size));
}

void *
calloc(size_t nmemb, size_t size)
{

	return (fail("calloc", nmemb * size) ? NULL :
	    __libc_calloc(nmemb, size));
}

void *
realloc(void *ptr, size_t size)
{

	return (fail("realloc", size) ? NULL : __libc_realloc(ptr, size));
}
