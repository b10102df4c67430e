/*
 * pidfile: create, lock, write and remove the pid file.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pidfile.h"

struct pidfile {
	char *path;
	int fd;
};

struct pidfile *
pidfile_open(const char *path)
{
	struct pidfile *pf;
	struct stat sb;
	char buf[32];
	ssize_t n;

	if ((pf = calloc(1, sizeof(*pf))) == NULL ||
	    (pf->path = strdup(path)) == NULL) {
		log_warn("pidfile");
		free(pf);
		return (NULL);
	}
	pf->fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY, 0644);
	if (pf->fd == -1) {
		log_warn("pidfile %s", path);
		goto fail;
	}
	if (fstat(pf->fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		log_warnx("pidfile %s: not a regular file", path);
		goto fail;
	}
	/*
	 * O_NOFOLLOW keeps symbolic links out, not hard links, nor a file
	 * that another user made in a directory they may write to: our
	 * pid, and at exit the unlink or truncation, would land in a file
	 * that someone else controls (a hard link to one of root's).
	 */
	if (sb.st_nlink > 1) {
		log_warnx("pidfile %s: has %ju hard links: not using it",
		    path, (uintmax_t)sb.st_nlink);
		goto fail;
	}
	if (sb.st_uid != 0 && sb.st_uid != geteuid()) {
		log_warnx("pidfile %s: owned by uid %ju, neither root nor "
		    "us: not using it", path, (uintmax_t)sb.st_uid);
		goto fail;
	}
	if (flock(pf->fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			log_warn("pidfile %s: flock", path);
			goto fail;
		}
		n = pread(pf->fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		log_warnx("pidfile %s: already running as pid %s", path,
		    buf[0] != '\0' ? buf : "(unknown)");
		goto fail;
	}
	return (pf);
fail:
	if (pf->fd != -1)
		close(pf->fd);
	free(pf->path);
	free(pf);
	return (NULL);
}

int
pidfile_write(struct pidfile *pf)
{
	char buf[32];
	int len;

	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(pf->fd, 0) == -1 ||
	    pwrite(pf->fd, buf, (size_t)len, 0) != len) {
		log_warn("pidfile %s: write", pf->path);
		return (-1);
	}
	return (0);
}

void
pidfile_close(struct pidfile *pf)
{

	if (pf == NULL)
		return;
	close(pf->fd);
	free(pf->path);
	free(pf);
}

void
pidfile_remove(struct pidfile *pf)
{
	struct stat ours, there;

	if (pf == NULL)
		return;
	/*
	 * Only the file we hold: one put at the path since is not ours.
	 * (If the path cannot be looked at, unlink() fails the same way.)
	 */
	if (fstat(pf->fd, &ours) == 0 && lstat(pf->path, &there) == 0 &&
	    (ours.st_dev != there.st_dev || ours.st_ino != there.st_ino)) {
		log_warnx("pidfile %s: no longer the file we wrote: left "
		    "alone", pf->path);
		pidfile_close(pf);
		return;
	}
	/* Unlink while still holding the lock: no window for a racer. */
	if (unlink(pf->path) == -1) {
		if (errno == EACCES || errno == EPERM) {
			/* After -u, in a directory only root may write to:
			 * leave the file empty, so that nobody signals a
			 * recycled pid; the next start takes it over. */
			log_debug("pidfile %s: cannot remove it as this user: "
			    "emptied instead", pf->path);
			if (ftruncate(pf->fd, 0) == -1)
				log_warn("pidfile %s: truncate", pf->path);
		} else if (errno != ENOENT)
			log_warn("pidfile %s: unlink", pf->path);
	}
	pidfile_close(pf);
}
