/*
 * peeraddr: the address syntax shared by the test tools and vsp-bench;
 * see peeraddr.h.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/vm_sockets.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "peeraddr.h"

int
peeraddr_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return (-1);
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return (-1);
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

static int
parse_unix(const char *p, struct peeraddr *a, const char **err)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&a->ss;

	if (*p == '\0') {
		*err = "empty unix path";
		return (-1);
	}
	if (strlen(p) >= sizeof(sun->sun_path)) {
		*err = "unix path too long";
		return (-1);
	}
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, p);
	a->len = sizeof(*sun);
	a->family = AF_UNIX;
	return (0);
}

/* CID:PORT, or PORT alone (any CID) when listening. */
static int
parse_vsock(const char *p, int listening, struct peeraddr *a,
    const char **err)
{
	struct sockaddr_vm *svm = (struct sockaddr_vm *)&a->ss;
	const char *colon = strchr(p, ':');
	uint64_t port, cid;
	char host[64];
	size_t hlen;

	if (colon == NULL) {
		if (!listening) {
			*err = "vsock:PORT needs a CID to connect";
			return (-1);
		}
		cid = (uint64_t)VMADDR_CID_ANY;
		if (peeraddr_u64(p, 0, UINT32_MAX, &port) == -1) {
			*err = "bad vsock port";
			return (-1);
		}
	} else {
		hlen = (size_t)(colon - p);
		if (hlen == 0 || hlen >= sizeof(host)) {
			*err = "bad vsock CID";
			return (-1);
		}
		memcpy(host, p, hlen);
		host[hlen] = '\0';
		if (peeraddr_u64(host, 0, UINT32_MAX, &cid) == -1) {
			*err = "bad vsock CID";
			return (-1);
		}
		if (peeraddr_u64(colon + 1, 0, UINT32_MAX, &port) == -1) {
			*err = "bad vsock port";
			return (-1);
		}
	}
	svm->svm_family = AF_VSOCK;
	svm->svm_cid = (unsigned)cid;
	svm->svm_port = (unsigned)port;
	a->len = sizeof(*svm);
	a->family = AF_VSOCK;
	return (0);
}

/* A numeric HOST (no resolver: a static build needs no NSS) and PORT. */
static int
tcp_sockaddr(const char *host, uint64_t port, struct peeraddr *a,
    const char **err)
{
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
			*err = "bad IPv6 address";
			return (-1);
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		a->len = sizeof(*sin6);
		a->family = AF_INET6;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
			*err = "bad IPv4 address (names other than "
			    "localhost are not resolved)";
			return (-1);
		}
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		a->len = sizeof(*sin);
		a->family = AF_INET;
	}
	return (0);
}

/* HOST:PORT or [IPV6]:PORT. */
static int
parse_tcp(const char *p, struct peeraddr *a, const char **err)
{
	const char *colon;
	char host[64];
	uint64_t port;
	size_t hlen;

	if (*p == '[') {
		colon = strchr(p, ']');
		if (colon == NULL || colon[1] != ':') {
			*err = "bad [IPv6] host";
			return (-1);
		}
		hlen = (size_t)(colon - p - 1);
		p++;
		colon++;
	} else {
		colon = strrchr(p, ':');
		if (colon == NULL) {
			*err = "missing port";
			return (-1);
		}
		hlen = (size_t)(colon - p);
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		*err = "bad host";
		return (-1);
	}
	memcpy(host, p, hlen);
	host[hlen] = '\0';
	if (peeraddr_u64(colon + 1, 0, 65535, &port) == -1) {
		*err = "bad port";
		return (-1);
	}
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	return (tcp_sockaddr(host, port, a, err));
}

int
peeraddr_parse(const char *s, int listening, struct peeraddr *a,
    const char **err)
{
	memset(a, 0, sizeof(*a));
	a->type = SOCK_STREAM;
	if (strncmp(s, "vsock-stream:", 13) == 0)
		return (parse_vsock(s + 13, listening, a, err));
	if (strncmp(s, "vsock-seqpacket:", 16) == 0) {
		a->type = SOCK_SEQPACKET;
		return (parse_vsock(s + 16, listening, a, err));
	}
	if (strncmp(s, "unix-seqpacket:", 15) == 0) {
		a->type = SOCK_SEQPACKET;
		return (parse_unix(s + 15, a, err));
	}
	if (strncmp(s, "unix:", 5) == 0)
		return (parse_unix(s + 5, a, err));
	if (strncmp(s, "vsock:", 6) == 0)
		return (parse_vsock(s + 6, listening, a, err));
	if (strncmp(s, "tcp:", 4) == 0)
		return (parse_tcp(s + 4, a, err));
	*err = "expected vsock:, tcp:, unix:, vsock-seqpacket: or "
	    "unix-seqpacket:";
	return (-1);
}

const char *
peeraddr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	switch (sa->sa_family) {
	case AF_UNIX:
		snprintf(buf, len, "unix:%s",
		    ((const struct sockaddr_un *)sa)->sun_path);
		break;
	case AF_INET: {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "tcp:%s:%u", host, ntohs(sin->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "tcp:[%s]:%u", host,
		    ntohs(sin6->sin6_port));
		break;
	}
	case AF_VSOCK: {
		const struct sockaddr_vm *svm = (const void *)sa;

		if (svm->svm_cid == VMADDR_CID_ANY)
			snprintf(buf, len, "vsock:%u", svm->svm_port);
		else
			snprintf(buf, len, "vsock:%u:%u", svm->svm_cid,
			    svm->svm_port);
		break;
	}
	default:
		snprintf(buf, len, "family%d", sa->sa_family);
	}
	return (buf);
}

const char *
peeraddr_format_type(const struct sockaddr *sa, int type, char *buf,
    size_t len)
{
	char plain[160];
	const char *colon;

	peeraddr_format(sa, plain, sizeof(plain));
	if (type != SOCK_SEQPACKET || (colon = strchr(plain, ':')) == NULL)
		snprintf(buf, len, "%s", plain);
	else
		snprintf(buf, len, "%.*s-seqpacket%s", (int)(colon - plain),
		    plain, colon);
	return (buf);
}
