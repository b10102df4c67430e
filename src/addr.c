/*
 * addr: parse and print endpoint addresses (see addr.h for the syntax).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "parse.h"
#include "vsock.h"

#define ERR(...) do { snprintf(err, errlen, __VA_ARGS__); return (-1); } \
	while (0)

/*
 * The user's text for an error message, control bytes as \xNN: the
 * reason is one line, whatever the argument held (a newline in it would
 * forge a log line).
 */
static const char *
printable(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	unsigned char c;

	for (; *s != '\0' && o + 5 < len; s++) {
		c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return (buf);
}

void
addr_vsock(struct addr *a, uint32_t cid, uint32_t port)
{
	struct sockaddr_vm *svm = (struct sockaddr_vm *)&a->sa;

	memset(a, 0, sizeof(*a));
	a->kind = ADDR_VSOCK;
	svm->svm_family = AF_VSOCK;
	svm->svm_cid = cid;
	svm->svm_port = port;
	a->salen = sizeof(*svm);
}

static int
parse_vsock(const char *s, enum addr_use use, struct addr *a, char *err,
    size_t errlen)
{
	const char *colon = strchr(s, ':');
	char cidbuf[16], pb[64];
	uint32_t cid = VMADDR_CID_ANY, port;
	size_t n;

	if (colon != NULL) {
		n = (size_t)(colon - s);
		if (n == 0 || n >= sizeof(cidbuf))
			ERR("bad vsock CID");
		memcpy(cidbuf, s, n);
		cidbuf[n] = '\0';
		if (parse_u32(cidbuf, &cid) == -1)
			ERR("bad vsock CID '%s' (0-4294967295)",
			    printable(cidbuf, pb, sizeof(pb)));
		s = colon + 1;
	} else if (use == ADDR_CONNECT)
		ERR("a vsock target needs a CID: vsock:CID:PORT");
	if (parse_u32(s, &port) == -1)
		ERR("bad vsock port '%s' (0-4294967295)",
		    printable(s, pb, sizeof(pb)));
	addr_vsock(a, cid, port);
	return (0);
}

static int
parse_tcp(const char *s, enum addr_use use, int flags, struct addr *a,
    char *err, size_t errlen)
{
	char host[256], pb[sizeof(host) * 4];
	const char *port, *end;
	struct addrinfo hints, *res;
	uint64_t pnum;
	size_t n;
	int rc;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':')
			ERR("bad tcp address: use tcp:[IPV6]:PORT");
		n = (size_t)(end - s - 1);
		s++;
		port = end + 2;
	} else {
		if ((end = strrchr(s, ':')) == NULL)
			ERR("tcp address needs HOST:PORT");
		n = (size_t)(end - s);
		port = end + 1;
		if (memchr(s, ':', n) != NULL)
			ERR("IPv6 addresses go in brackets: tcp:[::1]:PORT");
	}
	if (n == 0 || n >= sizeof(host))
		ERR("bad tcp host");
	memcpy(host, s, n);
	host[n] = '\0';
	if (parse_uint(port, use == ADDR_LISTEN ? 0 : 1, 65535, &pnum) == -1)
		ERR("bad tcp port '%s' (%d-65535)",
		    printable(port, pb, sizeof(pb)),
		    use == ADDR_LISTEN ? 0 : 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (use == ADDR_LISTEN ? AI_PASSIVE : 0);
	if (flags & ADDR_NUMERIC) {
		/* glibc turns a %scope name into an index with a socket. */
		if (strchr(host, '%') != NULL)
			ERR("no %%scope in a numeric tcp address");
		hints.ai_flags |= AI_NUMERICHOST;
	}
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		ERR("cannot resolve '%s': %s",
		    printable(host, pb, sizeof(pb)), gai_strerror(rc));
	memset(a, 0, sizeof(*a));
	a->kind = ADDR_TCP;
	memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
	a->salen = res->ai_addrlen;
	freeaddrinfo(res);
	return (0);
}

/* The first n bytes of s as a socket path. */
static int
parse_path(const char *s, size_t n, int flags, struct addr *a, char *err,
    size_t errlen)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&a->sa;

	if (n == 0)
		ERR("empty unix socket path");
	if ((flags & ADDR_ABSOLUTE) && s[0] != '/')
		ERR("relative path: it must be absolute");
	if (n >= sizeof(sun->sun_path))
		ERR("unix socket path longer than %zu bytes",
		    sizeof(sun->sun_path) - 1);
	memset(a, 0, sizeof(*a));
	a->kind = ADDR_UNIX;
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, s, n);
	sun->sun_path[n] = '\0';
	a->salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return (0);
}

/*
 * PATH:PORT, the path up to the last colon, so that a path may hold
 * colons but a port never does.
 */
static int
parse_hvsock(const char *s, enum addr_use use, int flags, struct addr *a,
    char *err, size_t errlen)
{
	const char *colon;
	uint32_t port;
	char pb[64];

	if (use == ADDR_LISTEN)
		ERR("hybrid-vsock: is a connect address only");
	if ((colon = strrchr(s, ':')) == NULL)
		ERR("hybrid-vsock address needs PATH:PORT");
	if (parse_u32(colon + 1, &port) == -1)
		ERR("bad hybrid-vsock port '%s' (0-4294967295)",
		    printable(colon + 1, pb, sizeof(pb)));
	if (parse_path(s, (size_t)(colon - s), flags, a, err, errlen) == -1)
		return (-1);
	a->kind = ADDR_HVSOCK;
	a->hvport = port;
	return (0);
}

int
addr_parse(const char *s, enum addr_use use, struct addr *a, char *err,
    size_t errlen)
{

	return (addr_parse_flags(s, use, 0, a, err, errlen));
}

int
addr_parse_flags(const char *s, enum addr_use use, int flags, struct addr *a,
    char *err, size_t errlen)
{

	if (strncmp(s, "vsock:", 6) == 0)
		return (parse_vsock(s + 6, use, a, err, errlen));
	if (strncmp(s, "tcp:", 4) == 0)
		return (parse_tcp(s + 4, use, flags, a, err, errlen));
	if (strncmp(s, "unix:", 5) == 0)
		return (parse_path(s + 5, strlen(s + 5), flags, a, err,
		    errlen));
	if (strncmp(s, "hybrid-vsock:", 13) == 0)
		return (parse_hvsock(s + 13, use, flags, a, err, errlen));
	ERR("unknown address type: use vsock:, tcp:, unix: or "
	    "hybrid-vsock:");
}

int
addr_absolute(struct addr *a, const char *dir, char *err, size_t errlen)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&a->sa;
	char path[sizeof(sun->sun_path)], pb[sizeof(path) * 4];
	const char *rel = sun->sun_path;
	int n;

	if ((a->kind != ADDR_UNIX && a->kind != ADDR_HVSOCK) ||
	    rel[0] == '/')
		return (0);
	if (dir == NULL || dir[0] == '\0')
		ERR("relative path '%s', and the current directory is "
		    "unknown", printable(rel, pb, sizeof(pb)));
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	n = snprintf(path, sizeof(path), "%s%s%s", dir,
	    dir[strlen(dir) - 1] == '/' ? "" : "/", rel);
	if (n < 0 || (size_t)n >= sizeof(path))
		ERR("relative path '%s' made absolute is longer than %zu "
		    "bytes", printable(rel, pb, sizeof(pb)),
		    sizeof(path) - 1);
	memcpy(sun->sun_path, path, (size_t)n + 1);
	a->salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    (size_t)n + 1);
	return (0);
}

int
addr_family(const struct addr *a)
{

	return (a->sa.ss_family);
}

const char *
addr_format_sa(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t buflen)
{
	struct sockaddr_storage ss;
	const struct sockaddr_vm *svm = (const struct sockaddr_vm *)&ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&ss;
	char ip[INET6_ADDRSTRLEN];

	/* A copy: sa may be less aligned than the family's struct, and
	 * shorter (then the rest reads as zeros). */
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, len < sizeof(ss) ? len : sizeof(ss));
	switch (sa->sa_family) {
	case AF_VSOCK:
		if (svm->svm_cid == VMADDR_CID_ANY)
			snprintf(buf, buflen, "vsock:%u", svm->svm_port);
		else
			snprintf(buf, buflen, "vsock:%u:%u", svm->svm_cid,
			    svm->svm_port);
		break;
	case AF_INET:
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(buf, buflen, "tcp:%s:%u", ip, ntohs(sin->sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, buflen, "tcp:[%s]:%u", ip,
		    ntohs(sin6->sin6_port));
		break;
	case AF_UNIX:
		if (len <= offsetof(struct sockaddr_un, sun_path) ||
		    sun->sun_path[0] == '\0')
			snprintf(buf, buflen, "unix:(unnamed)");
		else
			snprintf(buf, buflen, "unix:%.*s",
			    (int)strnlen(sun->sun_path,
			    sizeof(sun->sun_path)), sun->sun_path);
		break;
	default:
		snprintf(buf, buflen, "family-%d", sa->sa_family);
		break;
	}
	return (buf);
}

const char *
addr_format(const struct addr *a, char *buf, size_t buflen)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->sa;

	if (a->kind == ADDR_HVSOCK) {
		snprintf(buf, buflen, "hybrid-vsock:%s:%u", sun->sun_path,
		    a->hvport);
		return (buf);
	}
	return (addr_format_sa((const struct sockaddr *)&a->sa, a->salen,
	    buf, buflen));
}

int
addr_equal(const struct addr *a, const struct addr *b)
{
	const struct sockaddr_vm *va, *vb;
	const struct sockaddr_in *ia, *ib;
	const struct sockaddr_in6 *a6, *b6;
	const struct sockaddr_un *ua, *ub;

	if (a->kind != b->kind || a->sa.ss_family != b->sa.ss_family ||
	    a->hvport != b->hvport)
		return (0);
	switch (a->sa.ss_family) {
	case AF_VSOCK:
		va = (const struct sockaddr_vm *)&a->sa;
		vb = (const struct sockaddr_vm *)&b->sa;
		return (va->svm_cid == vb->svm_cid &&
		    va->svm_port == vb->svm_port);
	case AF_INET:
		ia = (const struct sockaddr_in *)&a->sa;
		ib = (const struct sockaddr_in *)&b->sa;
		return (ia->sin_port == ib->sin_port &&
		    ia->sin_addr.s_addr == ib->sin_addr.s_addr);
	case AF_INET6:
		a6 = (const struct sockaddr_in6 *)&a->sa;
		b6 = (const struct sockaddr_in6 *)&b->sa;
		return (a6->sin6_port == b6->sin6_port &&
		    a6->sin6_scope_id == b6->sin6_scope_id &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0);
	case AF_UNIX:
		ua = (const struct sockaddr_un *)&a->sa;
		ub = (const struct sockaddr_un *)&b->sa;
		return (strncmp(ua->sun_path, ub->sun_path,
		    sizeof(ua->sun_path)) == 0);
	default:
		return (a->salen == b->salen &&
		    memcmp(&a->sa, &b->sa, a->salen) == 0);
	}
}

int
addr_tcp_port(const struct addr *a)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->sa;
	const struct sockaddr_in6 *sin6 =
	    (const struct sockaddr_in6 *)&a->sa;

	if (a->sa.ss_family == AF_INET)
		return (ntohs(sin->sin_port));
	return (ntohs(sin6->sin6_port));
}

int
addr_tcp_wildcard(const struct addr *a)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->sa;
	const struct sockaddr_in6 *sin6 =
	    (const struct sockaddr_in6 *)&a->sa;

	if (a->sa.ss_family == AF_INET)
		return (sin->sin_addr.s_addr == htonl(INADDR_ANY));
	return (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr));
}

static int
tcp_loopback(const struct addr *a)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->sa;
	const struct sockaddr_in6 *sin6 =
	    (const struct sockaddr_in6 *)&a->sa;

	if (a->sa.ss_family == AF_INET)
		return ((ntohl(sin->sin_addr.s_addr) >> 24) == 127);
	return (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
}

int
addr_leads_to(const struct addr *c, const struct addr *l)
{
	const struct sockaddr_un *ul, *uc;

	if (addr_equal(l, c))
		return (1);
	if (l->kind == ADDR_UNIX && c->kind == ADDR_HVSOCK) {
		ul = (const struct sockaddr_un *)&l->sa;
		uc = (const struct sockaddr_un *)&c->sa;
		return (strncmp(ul->sun_path, uc->sun_path,
		    sizeof(ul->sun_path)) == 0);
	}
	return (l->kind == ADDR_TCP && c->kind == ADDR_TCP &&
	    (l->sa.ss_family == c->sa.ss_family ||
	    l->sa.ss_family == AF_INET6) && addr_tcp_port(l) != 0 &&
	    addr_tcp_port(l) == addr_tcp_port(c) &&
	    addr_tcp_wildcard(l) && tcp_loopback(c));
}
