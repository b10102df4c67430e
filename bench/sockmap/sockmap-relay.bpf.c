// SPDX-License-Identifier: GPL-2.0
/*
 * sockmap-relay.bpf.c: the kernel half of the sockmap prototype
 * (bench/sockmap/README.md).  Two stream verdict programs, each attached
 * to its own one-slot sockmap: "up" runs for data arriving on the client
 * socket (map_c) and redirects it to the egress of the target socket
 * (map_t[0]); "down" the other way.  One map per socket, so that a
 * program never has to tell from the skb which socket it came from: on
 * vsock the skb carries no ports and may have no owner (which the
 * cookie probe below records).  Counters: bytes and skbs per direction,
 * redirect failures, and the last socket cookie seen (0 = skb->sk unset).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} map_c SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} map_t SEC(".maps");

/* [0] up bytes, [1] down bytes, [2] up skbs, [3] down skbs,
 * [4] up redirect failures, [5] down redirect failures,
 * [6] last cookie up, [7] last cookie down */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void add(__u32 k, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&counters, &k);

	if (p)
		__sync_fetch_and_add(p, v);
}

static __always_inline void set(__u32 k, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&counters, &k);

	if (p)
		*p = v;
}

static __always_inline int relay(struct __sk_buff *skb, void *to, int dir)
{
	long rc;

	add(dir, skb->len);
	add(2 + dir, 1);
	set(6 + dir, bpf_get_socket_cookie(skb));
	rc = bpf_sk_redirect_map(skb, to, 0, 0);
	if (rc != SK_PASS)
		add(4 + dir, 1);
	return rc;
}

SEC("sk_skb/stream_verdict")
int up(struct __sk_buff *skb)
{
	return relay(skb, &map_t, 0);
}

SEC("sk_skb/stream_verdict")
int down(struct __sk_buff *skb)
{
	return relay(skb, &map_c, 1);
}

char LICENSE[] SEC("license") = "GPL";
