/*
 * pidfile: a pid file that is also a lock.  It is opened without following
 * symlinks and held under an exclusive flock(2) for the daemon's life, so a
 * second instance is refused (and told the running pid) while a stale file
 * left by a crash is simply taken over.
 */
#ifndef VSOCKPROXY_PIDFILE_H
#define VSOCKPROXY_PIDFILE_H

struct pidfile;

/* Open and lock path; -1 (logged) if it cannot, or another holds it. */
struct pidfile *pidfile_open(const char *path);
/* Write the calling process's pid. */
int pidfile_write(struct pidfile *);
/*
 * Remove the file and release the lock.  If the directory does not let
 * the process (after -u) remove it, the file is emptied instead.
 */
void pidfile_remove(struct pidfile *);
/* Release the lock but leave the file (a failed start of a child). */
void pidfile_close(struct pidfile *);

#endif
