/*
 * peeraddr: the address syntax of the test tools (vsp-peer, vsp-addr,
 * vsp-flood) and of the load generator (bench/vsp-bench.c), one parser
 * for all so that an address a test uses means the same to the benchmark:
 *
 *   unix:PATH, tcp:HOST:PORT (HOST an IPv4 address, [IPv6] or
 *   "localhost": no resolver, so that a static build needs no NSS),
 *   vsock:CID:PORT, and vsock:PORT to listen on any CID.
 *
 * libc only, like the two programs: no project headers, so that vmtest's
 * guests can run them as built (and "cc -static" builds them by hand).
 */
#ifndef PEERADDR_H
#define PEERADDR_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

struct peeraddr {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;
	int type;		/* SOCK_STREAM, or SOCK_SEQPACKET */
};

/*
 * Parse S into A; LISTENING allows vsock:PORT.  Returns 0, or -1 with a
 * reason in *ERR (a static string).
 */
int peeraddr_parse(const char *s, int listening, struct peeraddr *a,
    const char **err);

/*
 * A strict decimal in [MIN, MAX] into *OUT: no sign, no spaces, no
 * trailing bytes.  Returns 0 or -1.  The ports and CIDs above use it;
 * vsp-peer reads its other numbers with it too.
 */
int peeraddr_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * SA in the syntax above, into BUF of LEN bytes; returns BUF.  vsock with
 * VMADDR_CID_ANY is the listening form, vsock:PORT; a family of no syntax
 * is "familyN".
 */
const char *peeraddr_format(const struct sockaddr *sa, char *buf,
    size_t len);

/* The same, "unix-seqpacket:PATH" or "vsock-seqpacket:..." for a
 * SOCK_SEQPACKET type. */
const char *peeraddr_format_type(const struct sockaddr *sa, int type,
    char *buf, size_t len);

#endif /* PEERADDR_H */
