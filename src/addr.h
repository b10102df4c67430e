/*
 * addr: endpoint addresses as users write them and as sockets need them.
 *
 *   vsock:PORT          listen only: any local CID
 *   vsock:CID:PORT      CID and PORT are 32-bit decimal
 *   tcp:HOST:PORT       HOST is a name, an IPv4 address or [IPv6]
 *   unix:PATH           a filesystem socket
 *   vsock-stream:...    another name for vsock:
 *   vsock-seqpacket:[CID:]PORT, unix-seqpacket:PATH
 *                       the same as vsock: and unix:, but SOCK_SEQPACKET:
 *                       messages whose boundaries the relay keeps
 *                       (systemd's spelling of these socket types)
 *   hybrid-vsock:PATH:PORT
 *                       connect only: a VMM's hybrid vsock socket PATH
 *                       (Firecracker, Cloud Hypervisor), then guest
 *                       vsock PORT through its "CONNECT PORT" handshake;
 *                       PATH ends at the last colon
 *
 * Parsing never touches the network except to resolve a tcp HOST name,
 * and with ADDR_NUMERIC not even then.
 */
#ifndef VSOCKPROXY_ADDR_H
#define VSOCKPROXY_ADDR_H

#include <sys/socket.h>
#include <stdint.h>
#include <stddef.h>

enum addr_kind {
	ADDR_VSOCK = 1,
	ADDR_TCP,
	ADDR_UNIX,
	ADDR_HVSOCK		/* sa is the VMM's AF_UNIX socket */
};

/* How the address will be used: listen allows vsock:PORT. */
enum addr_use {
	ADDR_LISTEN,
	ADDR_CONNECT
};

struct addr {
	enum addr_kind kind;
	struct sockaddr_storage sa;
	socklen_t salen;
	uint32_t hvport;	/* ADDR_HVSOCK: the guest's vsock port */
	int type;		/* SOCK_STREAM or SOCK_SEQPACKET */
};

/*
 * Longest string addr_format() writes, with its NUL: a UNIX path is
 * escaped (escape.h), up to 4 bytes for each of its 107, so that
 * "hybrid-vsock:" PATH ":4294967295" takes at most 453 (and
 * "unix-seqpacket:" PATH at most 443).
 */
#define ADDR_STRLEN 464

/*
 * Parse s into a.  On error return -1 and write a one-line reason (without
 * the argument itself) to err.
 */
int addr_parse(const char *s, enum addr_use use, struct addr *a,
    char *err, size_t errlen);

/*
 * Flags for addr_parse_flags().  ADDR_NUMERIC: a tcp HOST must be a
 * numeric address without a %scope (which may name an interface), so
 * that parsing looks nothing up and opens nothing: for the fuzzers.
 */
#define ADDR_NUMERIC	0x1
/* ADDR_ABSOLUTE: a unix: or hybrid-vsock: path must be absolute. */
#define ADDR_ABSOLUTE	0x2
int addr_parse_flags(const char *s, enum addr_use use, int flags,
    struct addr *a, char *err, size_t errlen);

/*
 * Make a relative unix: or hybrid-vsock: path absolute, under dir (NULL
 * if unknown, which is then an error).  -1, with a reason in err, if the
 * result is too long for a socket address.
 */
int addr_absolute(struct addr *a, const char *dir, char *err,
    size_t errlen);

/* Build an address from the Ghaf form's numbers (a stream). */
void addr_vsock(struct addr *a, uint32_t cid, uint32_t port);

/*
 * Describe a socket address, e.g. "vsock:3:1234", "tcp:[::1]:80",
 * "unix:/run/a.sock", "unix:@abstract"; addr_format() also knows
 * "hybrid-vsock:/run/fc.sock:5000" and the seqpacket forms, which it
 * writes as addr_parse() reads them ("vsock-seqpacket:3:1234"; a
 * vsock-stream: address is written vsock:).  A UNIX name is escaped as
 * escape.h says: it may come from a peer, and the result is for logs.
 */
const char *addr_format_sa(const struct sockaddr *sa, socklen_t len,
    char *buf, size_t buflen);
const char *addr_format(const struct addr *a, char *buf, size_t buflen);

/* The socket family of an address kind. */
int addr_family(const struct addr *a);

/* Nonzero for a SOCK_SEQPACKET address: a message rule's. */
int addr_is_message(const struct addr *a);

/* How a socket type is written: "stream", "seqpacket", "type-N". */
const char *addr_type_name(int type);

/*
 * A TCP address as addresses are compared: an IPv4-mapped IPv6 address
 * ([::ffff:127.0.0.1]) is the IPv4 address it stands for, since a socket
 * bound to one is bound to the other, and a connection to one reaches
 * the other.
 */
struct addr_ip {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char ip[16];		/* IPv4: the first 4 bytes */
	uint32_t scope;			/* IPv6 scope id; 0 for IPv4 */
	uint16_t port;			/* host byte order */
};
void addr_tcp_ip(const struct addr *a, struct addr_ip *ip);

/*
 * Nonzero if two addresses are the same (kind, socket type, address,
 * port; for TCP as addr_tcp_ip() has it, else the family too).
 */
int addr_equal(const struct addr *a, const struct addr *b);
/* A hash of the address: addresses that addr_equal() finds equal have
 * equal hashes (see htab.h). */
uint64_t addr_hash(const struct addr *a);

/* A TCP address's port; nonzero if its host is 0.0.0.0, [::] or
 * [::ffff:0.0.0.0]. */
int addr_tcp_port(const struct addr *a);
int addr_tcp_wildcard(const struct addr *a);

/*
 * Nonzero if connecting to c certainly reaches the listener on l, a loop
 * that would eat a file descriptor pair per hop until the limits stop it:
 * the same address, a hybrid-vsock VMM socket that is l's UNIX path, or a
 * loopback address on the port of a wildcard TCP listener ([::] takes
 * IPv4 too).  Whether a vsock CID or another TCP address is this host's
 * own is not known here; such loops are left to the limits.
 */
int addr_leads_to(const struct addr *c, const struct addr *l);

/*
 * Who a peer is without its port (a new one per connection), e.g.
 * "vsock:5", "tcp:127.0.0.2", "tcp:[::1]"; peer, its full name, for other
 * families.
 */
void addr_host_sa(const struct sockaddr_storage *, const char *peer,
    char *buf, size_t len);

#endif
