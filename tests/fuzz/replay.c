/*
 * replay: a main() for the fuzz targets when libFuzzer is not there.
 * Each argument is a file, or a directory whose files are run in turn;
 * each file's bytes go once through LLVMFuzzerTestOneInput(), as
 * libFuzzer would run them.  Exits 1 if a file cannot be read; a bug in a
 * target aborts or trips a sanitizer, which fails the caller.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	FILE *f;
	uint8_t *buf = NULL, *nbuf;
	size_t len = 0, cap = 0, n;
	int rc = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if ((nbuf = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "replay: %s: out of memory\n",
				    path);
				goto out;
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		goto out;
	}
	/* An exact-size copy, so that ASan sees any read past the end. */
	if ((nbuf = malloc(len > 0 ? len : 1)) == NULL)
		goto out;
	if (len > 0)
		memcpy(nbuf, buf, len);
	(void)LLVMFuzzerTestOneInput(nbuf, len);
	free(nbuf);
	rc = 0;
out:
	free(buf);
	fclose(f);
	return (rc);
}

static int
by_name(const void *a, const void *b)
{

	return (strcmp(*(char *const *)a, *(char *const *)b));
}

static int
run_dir(const char *dir)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL, **nn, path[4096];
	size_t n = 0, i;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((nn = realloc(names, (n + 1) * sizeof(*names))) == NULL ||
		    (nn[n] = strdup(de->d_name)) == NULL) {
			if (nn != NULL)
				names = nn;
			rc = -1;
			break;
		}
		names = nn;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (rc == 0 && run_file(path) == -1)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return (rc);
}

int
main(int argc, char **argv)
{
	struct stat sb;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')	/* libFuzzer's options: not ours */
			continue;
		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			if (run_dir(argv[i]) == -1)
				rc = 1;
		} else if (run_file(argv[i]) == -1)
			rc = 1;
	}
	return (rc);
}
