/*
 * conf_read: the reading side of the configuration parser: files, with
 * their checks (a regular file, safe to trust, not too large, not
 * already being read), includes and their globs, and lines split into
 * words, each handed to a block, the include, or the keywords.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conf_parser.h"
#include "escape.h"

/* Enough words for any sane allow list on one line. */
#define MAX_WORDS	64

/* Includes. */

static int
by_name(const void *a, const void *b)
{

	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* glob(3) gives its error callback no cookie. */
static int glob_errno;
static char glob_errpath[PATH_MAX];

static int
glob_error(const char *path, int error)
{

	/* A drop-in directory that does not exist is an empty one. */
	if (error == ENOENT || error == ENOTDIR)
		return (0);
	glob_errno = error;
	snprintf(glob_errpath, sizeof(glob_errpath), "%s", path);
	return (1);
}

/*
 * Nonzero if a pattern has a wildcard that glob(3) expands: '*', '?', or
 * a bracket expression closed within its path component.  Otherwise it
 * is a plain name, even with a '[' (glob(3) takes "[.conf" literally),
 * and must exist, instead of matching nothing in silence.  A backslash
 * quotes the next character, as in glob(7).
 */
static int
has_wildcard(const char *s)
{
	const char *t;

	for (; *s != '\0'; s++) {
		if (*s == '\\') {
			if (*++s == '\0')
				break;
		} else if (*s == '*' || *s == '?')
			return (1);
		else if (*s == '[') {
			t = s + 1;
			if (*t == '!' || *t == '^')
				t++;
			/* A ']' first is a member, not the end. */
			if (*t == ']')
				t++;
			t += strcspn(t, "]/");
			if (*t == ']')
				return (1);
		}
	}
	return (0);
}

/* The file or pattern of an include line; NULL (reported) if the line
 * is not one to follow. */
static const char *
include_arg(struct parser *p, char **av, int ac)
{

	if (p->block != B_NONE) {
		conf_err(p, "'include' cannot be inside a block");
		return (NULL);
	}
	if (ac != 2) {
		conf_err(p, ac < 2 ? "'include' needs a value" :
		    "'include' takes one value");
		return (NULL);
	}
	if (p->flags & CONF_NO_INCLUDE) {
		conf_err(p, "'include' is not allowed here");
		return (NULL);
	}
	if (p->depth >= CONF_INCLUDE_DEPTH) {
		conf_err(p, "includes nested more than %d deep",
		    CONF_INCLUDE_DEPTH);
		return (NULL);
	}
	return (av[1]);
}

/* Every file that pattern matches, if any; arg is the include's. */
static void
include_glob(struct parser *p, const char *pattern, const char *arg)
{
	char f[SHOWN_MAX];
	glob_t g;
	size_t i;
	int rc;

	memset(&g, 0, sizeof(g));
	glob_errno = 0;
	rc = glob(pattern, GLOB_NOSORT, glob_error, &g);
	if (rc == GLOB_NOMATCH)
		goto done;
	if (rc == GLOB_NOSPACE) {
		conf_oom(p);
		goto done;
	}
	if (rc != 0) {
		conf_err(p, "include '%s': %s: %s", arg,
		    escape_str(glob_errpath, f, sizeof(f)),
		    strerror(glob_errno != 0 ? glob_errno : EIO));
		goto done;
	}
	/* In byte order whatever the locale: drop-ins are named 10-x.conf
	 * to be read in a chosen order. */
	qsort(g.gl_pathv, g.gl_pathc, sizeof(g.gl_pathv[0]), by_name);
	for (i = 0; i < g.gl_pathc && !p->stop; i++)
		conf_read_file(p, g.gl_pathv[i]);
done:
	globfree(&g);
}

static void
do_include(struct parser *p, char **av, int ac)
{
	char path[PATH_MAX], pattern[PATH_MAX * 2], *o;
	const char *arg, *slash, *s;
	size_t dirlen = 0;

	if ((arg = include_arg(p, av, ac)) == NULL)
		return;
	/* Relative to the including file, so that a tree of files can be
	 * moved as a whole. */
	if (arg[0] != '/' && (slash = strrchr(p->file, '/')) != NULL)
		dirlen = (size_t)(slash - p->file) + 1;
	if (dirlen + strlen(arg) >= sizeof(path)) {
		conf_err(p, "include path too long");
		return;
	}
	memcpy(path, p->file, dirlen);
	if (!has_wildcard(arg)) {
		/* A plain name: it must exist.  Unquoted, as glob(3)
		 * would match it. */
		for (o = path + dirlen, s = arg; *s != '\0'; s++)
			if (*s != '\\' || *++s != '\0')
				*o++ = *s;
			else
				break;
		*o = '\0';
		conf_read_file(p, path);
		return;
	}
	/* Only the user's pattern is a glob, not the directory's name. */
	for (o = pattern, s = p->file; s < p->file + dirlen; s++) {
		if (strchr("*?[\\", *s) != NULL)
			*o++ = '\\';
		*o++ = *s;
	}
	strcpy(o, arg);
	include_glob(p, pattern, arg);
}

/* Lines. */

static int
is_space(int c)
{

	return (c != '\0' && strchr(CONF_BLANKS, c) != NULL);
}

/*
 * Split a line into words, in place.  '#' outside quotes starts a
 * comment; "..." keeps spaces and '#', with \" and \\ inside.
 */
static int
split(struct parser *p, char *s, char **av, int *acp)
{
	char *o;
	int ac = 0, c;

	for (;;) {
		while (is_space(*s))
			s++;
		if (*s == '\0' || *s == '#')
			break;
		if (ac == MAX_WORDS) {
			conf_err(p, "more than %d words on a line",
			    MAX_WORDS);
			return (-1);
		}
		av[ac++] = o = s;
		while (*s != '\0' && !is_space(*s) && *s != '#') {
			if (*s != '"') {
				*o++ = *s++;
				continue;
			}
			for (s++; *s != '"'; s++) {
				if (*s == '\0') {
					conf_err(p, "unterminated quoted "
					    "string");
					return (-1);
				}
				if (*s == '\\' &&
				    (s[1] == '"' || s[1] == '\\'))
					s++;
				*o++ = *s;
			}
			s++;
		}
		/* o may have caught up with s: look before writing. */
		c = *s;
		*o = '\0';
		if (c == '\0' || c == '#')
			break;
		s++;
	}
	*acp = ac;
	return (0);
}

static void
do_line(struct parser *p, char *line)
{
	char *av[MAX_WORDS];
	int ac;

	if (split(p, line, av, &ac) == -1 || ac == 0)
		return;
	if (strcmp(av[0], "}") == 0)
		conf_block_end(p, av, ac);
	else if (strcmp(av[0], "{") == 0)
		conf_err(p, "unexpected '{': it ends the 'rule NAME' or "
		    "'defaults' line");
	else if (strcmp(av[0], "rule") == 0)
		conf_block_open_rule(p, av, ac);
	else if (strcmp(av[0], "defaults") == 0)
		conf_block_open_defaults(p, av, ac);
	else if (strcmp(av[0], "include") == 0)
		do_include(p, av, ac);
	else
		conf_keyword(p, av, ac);
}

void
conf_read_buffer(struct parser *p, const char *name, const char *buf,
    size_t len)
{
	char line[CONF_LINE_MAX];
	const char *s = buf, *end = buf + len, *nl;
	const char *ofile = p->file;
	int oline = p->line;
	size_t n, i;
	unsigned char c;

	p->file = name;
	p->line = 0;
	while (s < end && !p->stop) {
		p->line++;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		n = (size_t)(nl - s);
		/* Nothing to split; and after a copy of nothing, scan-build
		 * would take the line for uninitialized. */
		if (n == 0)
			goto next;
		if (n >= sizeof(line)) {
			conf_err(p, "line longer than %zu bytes",
			    sizeof(line) - 1);
			goto next;
		}
		for (i = 0; i < n; i++) {
			c = (unsigned char)s[i];
			if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
				break;
		}
		if (i < n) {
			conf_err(p, "control character 0x%02x", c);
			goto next;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		do_line(p, line);
next:
		s = nl + 1;
	}
	conf_block_eof(p);
	p->file = ofile;
	p->line = oline;
}

/* Files. */

/* An error about a file as a whole: at the include line, if any. */
static void
file_error(struct parser *p, const char *path, const char *why)
{
	char f[SHOWN_MAX];

	if (p->file == NULL)
		conf_err_at(p, path, 0, "%s", why);
	else
		conf_err(p, "include '%s': %s",
		    escape_str(path, f, sizeof(f)), why);
}

/*
 * Nonzero, with the reason, if someone other than root or this process's
 * user could have written the file (sshd's StrictModes, logrotate): the
 * rules say who reaches what, and a daemon started as root keeps its
 * privileged sockets after -u.  Checked on the open descriptor, so the
 * file judged is the file read.
 */
static int
file_unsafe(const struct stat *sb, char *why, size_t whylen)
{
	uid_t me = geteuid();

	if (sb->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, whylen, "writable by group or others (mode "
		    "%04o): refused", (unsigned int)(sb->st_mode & 07777));
		return (1);
	}
	if (sb->st_uid != 0 && sb->st_uid != me) {
		if (me == 0)
			snprintf(why, whylen, "owned by uid %lu, not by "
			    "root: refused", (unsigned long)sb->st_uid);
		else
			snprintf(why, whylen, "owned by uid %lu, not by root "
			    "or uid %lu (this process): refused",
			    (unsigned long)sb->st_uid, (unsigned long)me);
		return (1);
	}
	return (0);
}

static void
too_large(struct parser *p, const char *path)
{
	char why[64];

	snprintf(why, sizeof(why), "larger than %d bytes", CONF_FILE_MAX);
	file_error(p, path, why);
}

/* -1 (reported) unless fd is a regular file, safe to trust, small
 * enough, and not one being read already (an include loop). */
static int
check_file(struct parser *p, const char *path, int fd, struct stat *sb)
{
	char why[128];
	int i;

	if (fstat(fd, sb) == -1) {
		file_error(p, path, strerror(errno));
		return (-1);
	}
	if (!S_ISREG(sb->st_mode)) {
		file_error(p, path, "not a regular file");
		return (-1);
	}
	if (file_unsafe(sb, why, sizeof(why))) {
		file_error(p, path, why);
		return (-1);
	}
	for (i = 0; i < p->nopen; i++)
		if (p->open[i].dev == sb->st_dev &&
		    p->open[i].ino == sb->st_ino) {
			file_error(p, path, "include loop: the file is "
			    "already being read");
			return (-1);
		}
	if (sb->st_size > CONF_FILE_MAX) {
		too_large(p, path);
		return (-1);
	}
	return (0);
}

/* The whole of fd; NULL (reported) on failure. */
static char *
read_all(struct parser *p, const char *path, int fd, size_t *lenp)
{
	char *buf;
	size_t len = 0;
	ssize_t n;

	/* One byte more than allowed, to see a file that grew. */
	if ((buf = malloc(CONF_FILE_MAX + 1)) == NULL) {
		conf_oom(p);
		return (NULL);
	}
	while (len <= CONF_FILE_MAX) {
		n = read(fd, buf + len, CONF_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			file_error(p, path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONF_FILE_MAX) {
		too_large(p, path);
		goto fail;
	}
	*lenp = len;
	return (buf);
fail:
	free(buf);
	return (NULL);
}

void
conf_read_file(struct parser *p, const char *path)
{
	struct stat sb;
	char *buf = NULL, why[128];
	const char *name;
	size_t len = 0;
	int fd;

	if (++p->nfiles > CONF_FILES_MAX) {
		snprintf(why, sizeof(why), "more than %d files in all, "
		    "includes of includes counted: giving up",
		    CONF_FILES_MAX);
		file_error(p, path, why);
		p->stop = 1;
		return;
	}
	/* O_NONBLOCK: a FIFO named by mistake must not hang a reload. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		file_error(p, path, strerror(errno));
		return;
	}
	if (check_file(p, path, fd, &sb) == -1 ||
	    (buf = read_all(p, path, fd, &len)) == NULL)
		goto out;
	if ((name = conf_intern(p->conf, path)) == NULL) {
		conf_oom(p);
		goto out;
	}
	p->open[p->nopen].dev = sb.st_dev;
	p->open[p->nopen].ino = sb.st_ino;
	p->nopen++;
	if (p->file != NULL)
		p->depth++;
	conf_read_buffer(p, name, buf, len);
	if (p->file != NULL)
		p->depth--;
	p->nopen--;
out:
	free(buf);
	close(fd);
}
