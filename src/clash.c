/*
 * clash: listen address clashes through a hash of keys (see clash.h).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "clash.h"
#include "htab.h"
#include "vsock.h"

enum key_type {
	K_VSOCK_PORT = 1,	/* port: every vsock address on it */
	K_VSOCK_ANY,		/* port: vsock:PORT, any CID */
	K_VSOCK,		/* CID and port */
	K_TCP_PORT,		/* port: every TCP address on it */
	K_TCP_FAMILY,		/* family and port */
	K_TCP_WILD,		/* family and port: the wildcard address */
	K_TCP,			/* the exact address */
	K_UNIX			/* path */
};

struct key {
	enum key_type type;
	int family;
	uint32_t cid, port, scope;
	unsigned char ip[16];
	const char *path;		/* K_UNIX: in the address */
};

/* One key left by an address. */
struct entry {
	struct key key;
	size_t seq;			/* order of its address */
	void *cookie;
};

struct clash {
	struct htab *keys;
	struct entry **entries;		/* owned, to free */
	size_t nentries, cap;
	size_t seq;
};

/* At most three keys per address. */
#define KEYS_MAX 3

static uint64_t
key_hash(const struct key *k)
{
	uint64_t h = HTAB_HASH_INIT;

	h = htab_hash(h, &k->type, sizeof(k->type));
	h = htab_hash(h, &k->family, sizeof(k->family));
	h = htab_hash(h, &k->cid, sizeof(k->cid));
	h = htab_hash(h, &k->port, sizeof(k->port));
	h = htab_hash(h, &k->scope, sizeof(k->scope));
	h = htab_hash(h, k->ip, sizeof(k->ip));
	if (k->path != NULL)
		h = htab_hash(h, k->path, strlen(k->path));
	return (h);
}

static int
key_eq(const void *key, const void *item)
{
	const struct key *a = key, *b = &((const struct entry *)item)->key;

	return (a->type == b->type && a->family == b->family &&
	    a->cid == b->cid && a->port == b->port && a->scope == b->scope &&
	    memcmp(a->ip, b->ip, sizeof(a->ip)) == 0 &&
	    (a->path == NULL ? b->path == NULL :
	    b->path != NULL && strcmp(a->path, b->path) == 0));
}

static struct key *
key_init(struct key *k, enum key_type type)
{

	memset(k, 0, sizeof(*k));
	k->type = type;
	return (k);
}

/*
 * The keys of a: those it leaves when added (query 0), or those that an
 * earlier address it clashes with would have left (query 1).  Returns
 * how many.
 */
static int
keys_of(const struct addr *a, int query, struct key *k)
{
	const struct sockaddr_vm *svm = (const struct sockaddr_vm *)&a->sa;
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->sa;
	struct addr_ip ip;
	int n = 0, wild;

	switch (a->kind) {
	case ADDR_VSOCK:
		if (query && svm->svm_cid == VMADDR_CID_ANY) {
			key_init(&k[n++], K_VSOCK_PORT)->port = svm->svm_port;
			return (n);
		}
		if (!query)
			key_init(&k[n++], K_VSOCK_PORT)->port = svm->svm_port;
		if (query || svm->svm_cid == VMADDR_CID_ANY)
			key_init(&k[n++], K_VSOCK_ANY)->port = svm->svm_port;
		key_init(&k[n], K_VSOCK)->port = svm->svm_port;
		k[n++].cid = svm->svm_cid;
		return (n);
	case ADDR_TCP:
		addr_tcp_ip(a, &ip);
		if (ip.port == 0)
			return (0);
		wild = addr_tcp_wildcard(a);
		if (!query) {
			key_init(&k[n++], K_TCP_PORT)->port = ip.port;
			key_init(&k[n], K_TCP_FAMILY)->port = ip.port;
			k[n++].family = ip.family;
			key_init(&k[n], wild ? K_TCP_WILD : K_TCP)->port =
			    ip.port;
			k[n].family = ip.family;
			if (!wild) {
				memcpy(k[n].ip, ip.ip, sizeof(ip.ip));
				k[n].scope = ip.scope;
			}
			return (n + 1);
		}
		/* [::] takes the port on every address. */
		if (wild && ip.family == AF_INET6) {
			key_init(&k[n++], K_TCP_PORT)->port = ip.port;
			return (n);
		}
		key_init(&k[n], K_TCP_WILD)->port = ip.port;
		k[n++].family = AF_INET6;
		if (wild) {
			key_init(&k[n], K_TCP_FAMILY)->port = ip.port;
			k[n++].family = AF_INET;
			return (n);
		}
		if (ip.family == AF_INET) {
			key_init(&k[n], K_TCP_WILD)->port = ip.port;
			k[n++].family = AF_INET;
		}
		key_init(&k[n], K_TCP)->port = ip.port;
		k[n].family = ip.family;
		memcpy(k[n].ip, ip.ip, sizeof(ip.ip));
		k[n++].scope = ip.scope;
		return (n);
	case ADDR_UNIX:
		key_init(&k[n], K_UNIX)->path = sun->sun_path;
		return (n + 1);
	default:
		/* hybrid-vsock: never a listen address. */
		return (0);
	}
}

struct clash *
clash_new(void)
{
	struct clash *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	if ((c->keys = htab_new()) == NULL) {
		free(c);
		return (NULL);
	}
	return (c);
}

void
clash_free(struct clash *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nentries; i++)
		free(c->entries[i]);
	free(c->entries);
	htab_free(c->keys);
	free(c);
}

int
clash_add(struct clash *c, const struct addr *a, void *cookie)
{
	struct key k[KEYS_MAX];
	struct entry *e, **ne;
	uint64_t h;
	int i, n;

	n = keys_of(a, 0, k);
	for (i = 0; i < n; i++) {
		h = key_hash(&k[i]);
		/* The first address to leave a key keeps it. */
		if (htab_find(c->keys, h, key_eq, &k[i]) != NULL)
			continue;
		if (c->nentries == c->cap) {
			if ((ne = reallocarray(c->entries,
			    c->cap == 0 ? 64 : c->cap * 2,
			    sizeof(*ne))) == NULL)
				goto nomem;
			c->entries = ne;
			c->cap = c->cap == 0 ? 64 : c->cap * 2;
		}
		if ((e = malloc(sizeof(*e))) == NULL)
			goto nomem;
		e->key = k[i];
		e->seq = c->seq;
		e->cookie = cookie;
		if (htab_add(c->keys, h, e) == -1) {
			free(e);
			goto nomem;
		}
		c->entries[c->nentries++] = e;
	}
	c->seq++;
	return (0);
nomem:
	errno = ENOMEM;
	return (-1);
}

void *
clash_find(const struct clash *c, const struct addr *a)
{
	struct key k[KEYS_MAX];
	struct entry *e, *first = NULL;
	int i, n;

	n = keys_of(a, 1, k);
	for (i = 0; i < n; i++) {
		e = htab_find(c->keys, key_hash(&k[i]), key_eq, &k[i]);
		if (e != NULL && (first == NULL || e->seq < first->seq))
			first = e;
	}
	return (first != NULL ? first->cookie : NULL);
}
