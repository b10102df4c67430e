/*
 * hvsock: the client side of the hybrid vsock handshake of Firecracker
 * and Cloud Hypervisor.  The host reaches guest vsock port P by
 * connecting to the VMM's AF_UNIX socket and sending "CONNECT P\n"; the
 * VMM answers "OK N\n", N being the host-side port it assigned, and from
 * then on the socket carries the guest's stream.
 *
 * The reply is consumed exactly, never beyond its newline: bytes the VMM
 * sends right after it belong to the guest's stream and are left in the
 * socket for the relay.  hvsock_reply_parse() is a pure function, safe
 * on any bytes (it is a fuzzing target).
 */
#ifndef VSOCKPROXY_HVSOCK_H
#define VSOCKPROXY_HVSOCK_H

#include <stddef.h>
#include <stdint.h>

/* Longest reply line accepted, newline included ("OK 4294967295\n" is
 * 14 bytes). */
#define HVSOCK_REPLY_MAX 32

enum hvsock_status {
	HVSOCK_MORE,	/* not yet: wait (see hvsock_step) */
	HVSOCK_OK,	/* the reply was "OK N\n" */
	HVSOCK_BAD	/* failed; the reason is in *why */
};

/*
 * Parse the first len bytes of buf as the start of a reply.  HVSOCK_OK
 * when they begin with a whole "OK N\n" line: *port is N and *used the
 * line's length (bytes after it are not looked at).  HVSOCK_MORE when
 * they are a proper prefix of such a line shorter than HVSOCK_REPLY_MAX.
 * HVSOCK_BAD otherwise, with a short constant reason in *why.  Only
 * "\n" ends the line: "OK N\r\n" is bad, as no VMM sends it.  N is
 * decimal, 0 to 4294967295, leading zeros allowed.
 */
enum hvsock_status hvsock_reply_parse(const char *buf, size_t len,
    uint32_t *port, size_t *used, const char **why);

/* One handshake in progress, embedded in its connection. */
struct hvsock {
	char req[32];			/* "CONNECT P\n" */
	size_t reqlen, reqoff;
	char reply[HVSOCK_REPLY_MAX];
	size_t replylen;
	uint32_t hostport;		/* N, once HVSOCK_OK */
	/* A failure's reason with the reply so far, escaped (4 bytes a
	 * byte at most) and quoted after a constant reason. */
	char why[64 + 4 * HVSOCK_REPLY_MAX];
};

void hvsock_init(struct hvsock *, uint32_t guest_port);

/*
 * Go on with the handshake on the connected non-blocking socket fd: send
 * what is left of the request, then read the reply.  HVSOCK_MORE: call
 * again when fd is writable (hvsock_sending) or readable (otherwise).
 * HVSOCK_BAD: *why says why (errno text for socket errors); a bad or
 * cut reply is quoted in it, escaped, since the VMM may be hostile.
 * *why may point into h.
 */
enum hvsock_status hvsock_step(struct hvsock *, int fd, const char **why);

/* Nonzero while the request is not all sent. */
int hvsock_sending(const struct hvsock *);

#endif
