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
#include "escape.h"
#include "htab.h"
#include "parse.h"
#include "vsock.h"

/*
 * An error's reason is one line whatever the argument held: the user's
 * text in it is escaped (a newline in it would forge a log line).
 */
#define ERR(...) do { snprintf(err, errlen, __VA_ARGS__); return (-1); } \
	while (0)

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
	a->type = SOCK_STREAM;
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
			    escape_str(cidbuf, pb, sizeof(pb)));
		s = colon + 1;
	} else if (use == ADDR_CONNECT)
		ERR("a vsock target needs a CID: vsock:CID:PORT");
	if (parse_u32(s, &port) == -1)
		ERR("bad vsock port '%s' (0-4294967295)",
		    escape_str(s, pb, sizeof(pb)));
	addr_vsock(a, cid, port);
	return (0);
}

static int
parse_tcp(const char *s, enum addr_use use, int flags, struct addr *a,
    char *err, size_t errlen)
{
	char host[256], pb[ESCAPE_SIZE(sizeof(host))];
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
		    escape_str(port, pb, sizeof(pb)),
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
		    escape_str(host, pb, sizeof(pb)), gai_strerror(rc));
	memset(a, 0, sizeof(*a));
	a->kind = ADDR_TCP;
	a->type = SOCK_STREAM;
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
	/* No file of ours could name it, nor a log line show it whole. */
	if (memchr(s, '\n', n) != NULL)
		ERR("newline in a unix socket path");
	if ((flags & ADDR_ABSOLUTE) && s[0] != '/')
		ERR("relative path: it must be absolute");
	if (n >= sizeof(sun->sun_path))
		ERR("unix socket path longer than %zu bytes",
		    sizeof(sun->sun_path) - 1);
	memset(a, 0, sizeof(*a));
	a->kind = ADDR_UNIX;
	a->type = SOCK_STREAM;
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
		    escape_str(colon + 1, pb, sizeof(pb)));
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

/*
 * The prefixes, longest first where one starts another.  Seqpacket
 * exists for vsock and unix only: hybrid vsock is a byte stream through
 * the VMM's socket, and TCP has no message boundaries.
 */
static const struct prefix {
	const char *name;
	enum addr_kind kind;
	int type;
} prefixes[] = {
	{ "vsock-seqpacket:", ADDR_VSOCK, SOCK_SEQPACKET },
	{ "vsock-stream:", ADDR_VSOCK, SOCK_STREAM },
	{ "vsock:", ADDR_VSOCK, SOCK_STREAM },
	{ "tcp:", ADDR_TCP, SOCK_STREAM },
	{ "unix-seqpacket:", ADDR_UNIX, SOCK_SEQPACKET },
	{ "unix:", ADDR_UNIX, SOCK_STREAM },
	{ "hybrid-vsock:", ADDR_HVSOCK, SOCK_STREAM },
};

int
addr_parse_flags(const char *s, enum addr_use use, int flags, struct addr *a,
    char *err, size_t errlen)
{
	const struct prefix *p = NULL;
	size_t i, n = 0;
	int rc = -1;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i].name);
		if (strncmp(s, prefixes[i].name, n) == 0) {
			p = &prefixes[i];
			break;
		}
	}
	if (p == NULL)
		ERR("unknown address type: use vsock:, tcp:, unix:, "
		    "hybrid-vsock:, vsock-seqpacket: or unix-seqpacket:");
	s += n;
	switch (p->kind) {
	case ADDR_VSOCK:
		rc = parse_vsock(s, use, a, err, errlen);
		break;
	case ADDR_TCP:
		rc = parse_tcp(s, use, flags, a, err, errlen);
		break;
	case ADDR_UNIX:
		rc = parse_path(s, strlen(s), flags, a, err, errlen);
		break;
	case ADDR_HVSOCK:
		rc = parse_hvsock(s, use, flags, a, err, errlen);
		break;
	}
	if (rc == 0)
		a->type = p->type;
	return (rc);
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
		    "unknown", escape_str(rel, pb, sizeof(pb)));
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	n = snprintf(path, sizeof(path), "%s%s%s", dir,
	    dir[strlen(dir) - 1] == '/' ? "" : "/", rel);
	if (n < 0 || (size_t)n >= sizeof(path))
		ERR("relative path '%s' made absolute is longer than %zu "
		    "bytes", escape_str(rel, pb, sizeof(pb)),
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

int
addr_is_message(const struct addr *a)
{

	return (a->type == SOCK_SEQPACKET);
}

const char *
addr_type_name(int type)
{
	static char buf[32];

	if (type == SOCK_STREAM)
		return ("stream");
	if (type == SOCK_SEQPACKET)
		return ("seqpacket");
	snprintf(buf, sizeof(buf), "type-%d", type);
	return (buf);
}

/*
 * A UNIX socket's name, escaped: the path a peer bound is its own choice
 * of bytes.  An abstract name (a leading NUL, then len bytes that may
 * hold anything, NULs too) is shown as "@name", as ss(8) does.
 */
static void
format_unix(const struct sockaddr_un *sun, socklen_t len, const char *kind,
    char *buf, size_t buflen)
{
	char path[ESCAPE_SIZE(sizeof(sun->sun_path))];
	size_t n = 0;

	if (len > offsetof(struct sockaddr_un, sun_path))
		n = len - offsetof(struct sockaddr_un, sun_path);
	if (n > sizeof(sun->sun_path))
		n = sizeof(sun->sun_path);
	if (n == 0 || (sun->sun_path[0] == '\0' && n == 1))
		snprintf(buf, buflen, "%s:(unnamed)", kind);
	else if (sun->sun_path[0] == '\0')
		snprintf(buf, buflen, "%s:@%s", kind,
		    escape_field(sun->sun_path + 1, n - 1, path, sizeof(path)));
	else
		snprintf(buf, buflen, "%s:%s", kind,
		    escape_field(sun->sun_path, strnlen(sun->sun_path, n), path,
		    sizeof(path)));
}

const char *
addr_format_sa(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t buflen)
{
	struct sockaddr_storage ss;
	const struct sockaddr_vm *svm = (const struct sockaddr_vm *)&ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
	char ip[INET6_ADDRSTRLEN];

	/* A copy: sa may be less aligned than the family's struct, and
	 * shorter (then the rest reads as zeros). */
	if (len > sizeof(ss))
		len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, len);
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
		format_unix((const struct sockaddr_un *)&ss, len, "unix", buf,
		    buflen);
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
	char path[ADDR_STRLEN];

	if (a->kind == ADDR_HVSOCK) {
		format_unix((const struct sockaddr_un *)&a->sa, a->salen,
		    "hybrid-vsock", path, sizeof(path));
		snprintf(buf, buflen, "%s:%u", path, a->hvport);
		return (buf);
	}
	if (a->type == SOCK_SEQPACKET && a->kind == ADDR_UNIX) {
		format_unix((const struct sockaddr_un *)&a->sa, a->salen,
		    "unix-seqpacket", buf, buflen);
		return (buf);
	}
	addr_format_sa((const struct sockaddr *)&a->sa, a->salen, path,
	    sizeof(path));
	/* "vsock:..." becomes "vsock-seqpacket:...". */
	if (a->type == SOCK_SEQPACKET && a->kind == ADDR_VSOCK)
		snprintf(buf, buflen, "vsock-seqpacket%s", path + 5);
	else
		snprintf(buf, buflen, "%s", path);
	return (buf);
}

void
addr_tcp_ip(const struct addr *a, struct addr_ip *ip)
{
	static const unsigned char v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->sa;
	const struct sockaddr_in6 *sin6 =
	    (const struct sockaddr_in6 *)&a->sa;
	const unsigned char *b6 = sin6->sin6_addr.s6_addr;

	memset(ip, 0, sizeof(*ip));
	if (a->sa.ss_family == AF_INET) {
		ip->family = AF_INET;
		memcpy(ip->ip, &sin->sin_addr, 4);
		ip->port = ntohs(sin->sin_port);
	} else if (memcmp(b6, v4mapped, sizeof(v4mapped)) == 0) {
		ip->family = AF_INET;
		memcpy(ip->ip, b6 + 12, 4);
		ip->port = ntohs(sin6->sin6_port);
	} else {
		ip->family = AF_INET6;
		memcpy(ip->ip, b6, 16);
		ip->scope = sin6->sin6_scope_id;
		ip->port = ntohs(sin6->sin6_port);
	}
}

int
addr_equal(const struct addr *a, const struct addr *b)
{
	const struct sockaddr_vm *va, *vb;
	const struct sockaddr_un *ua, *ub;
	struct addr_ip ia, ib;

	if (a->kind != b->kind || a->hvport != b->hvport ||
	    a->type != b->type)
		return (0);
	/* Before the family: [::ffff:127.0.0.1] is 127.0.0.1. */
	if (a->kind == ADDR_TCP) {
		addr_tcp_ip(a, &ia);
		addr_tcp_ip(b, &ib);
		return (ia.family == ib.family && ia.port == ib.port &&
		    ia.scope == ib.scope && memcmp(ia.ip, ib.ip, 16) == 0);
	}
	if (a->sa.ss_family != b->sa.ss_family)
		return (0);
	switch (a->sa.ss_family) {
	case AF_VSOCK:
		va = (const struct sockaddr_vm *)&a->sa;
		vb = (const struct sockaddr_vm *)&b->sa;
		return (va->svm_cid == vb->svm_cid &&
		    va->svm_port == vb->svm_port);
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

uint64_t
addr_hash(const struct addr *a)
{
	const struct sockaddr_vm *svm = (const struct sockaddr_vm *)&a->sa;
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->sa;
	uint64_t h = htab_hash(HTAB_HASH_INIT, &a->kind, sizeof(a->kind));
	struct addr_ip ip;

	switch (a->kind) {
	case ADDR_VSOCK:
		h = htab_hash(h, &svm->svm_cid, sizeof(svm->svm_cid));
		return (htab_hash(h, &svm->svm_port, sizeof(svm->svm_port)));
	case ADDR_TCP:
		/* As addr_equal() compares them. */
		addr_tcp_ip(a, &ip);
		h = htab_hash(h, &ip.family, sizeof(ip.family));
		h = htab_hash(h, ip.ip, sizeof(ip.ip));
		h = htab_hash(h, &ip.scope, sizeof(ip.scope));
		return (htab_hash(h, &ip.port, sizeof(ip.port)));
	case ADDR_UNIX:
	case ADDR_HVSOCK:
		h = htab_hash(h, &a->hvport, sizeof(a->hvport));
		return (htab_hash(h, sun->sun_path,
		    strnlen(sun->sun_path, sizeof(sun->sun_path))));
	default:
		return (h);
	}
}

int
addr_tcp_port(const struct addr *a)
{
	struct addr_ip ip;

	addr_tcp_ip(a, &ip);
	return (ip.port);
}

int
addr_tcp_wildcard(const struct addr *a)
{
	static const unsigned char any[16];
	struct addr_ip ip;

	addr_tcp_ip(a, &ip);
	return (memcmp(ip.ip, any, sizeof(any)) == 0);
}

static int
tcp_loopback(const struct addr_ip *ip)
{
	static const unsigned char lo6[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
	};

	if (ip->family == AF_INET)
		return (ip->ip[0] == 127);
	return (memcmp(ip->ip, lo6, sizeof(lo6)) == 0);
}

int
addr_leads_to(const struct addr *c, const struct addr *l)
{
	const struct sockaddr_un *ul, *uc;
	struct addr_ip il, ic;

	if (addr_equal(l, c))
		return (1);
	if (l->kind == ADDR_UNIX && c->kind == ADDR_HVSOCK) {
		ul = (const struct sockaddr_un *)&l->sa;
		uc = (const struct sockaddr_un *)&c->sa;
		return (strncmp(ul->sun_path, uc->sun_path,
		    sizeof(ul->sun_path)) == 0);
	}
	if (l->kind != ADDR_TCP || c->kind != ADDR_TCP)
		return (0);
	addr_tcp_ip(l, &il);
	addr_tcp_ip(c, &ic);
	return ((il.family == ic.family || il.family == AF_INET6) &&
	    il.port != 0 && il.port == ic.port && addr_tcp_wildcard(l) &&
	    tcp_loopback(&ic));
}

void
addr_host_sa(const struct sockaddr_storage *ss, const char *peer, char *buf,
    size_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_vm *svm = (const struct sockaddr_vm *)ss;
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET &&
	    inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)) != NULL)
		snprintf(buf, len, "tcp:%s", a);
	else if (ss->ss_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a)) != NULL)
		snprintf(buf, len, "tcp:[%s]", a);
	else if (ss->ss_family == AF_VSOCK)
		snprintf(buf, len, "vsock:%u", svm->svm_cid);
	else
		snprintf(buf, len, "%s", peer);
}
