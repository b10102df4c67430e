/*
 * stream: vsp-peer's byte streams and the checks of what arrives; see
 * stream.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stream.h"

#define STREAM_WINDOW	65536	/* streams a receiver considers */
#define FNV_PRIME	0x100000001b3ULL

uint64_t
stream_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/*
 * Two dimensions rather than seed + j, so that the streams of two
 * different seeds never coincide: a relay that echoes a peer's own bytes
 * back cannot pass for the far end.
 */
uint64_t
stream_key(uint64_t seed, uint64_t j)
{
	return (stream_mix(stream_mix(seed + 0x9e3779b97f4a7c15ULL) + j));
}

/* Byte order fixed (little endian), so that both ends agree anywhere. */
void
stream_fill(uint64_t key, uint64_t off, uint8_t *buf, size_t n)
{
	uint64_t k = off / 8, w;
	unsigned b = off % 8;
	size_t i = 0;

	while (i < n) {
		w = stream_mix(key + k * 0x9e3779b97f4a7c15ULL);
		if (b == 0 && n - i >= 8) {
			for (b = 0; b < 8; b++)
				buf[i + b] = (uint8_t)(w >> (8 * b));
			i += 8;
		} else {
			for (; b < 8 && i < n; b++)
				buf[i++] = (uint8_t)(w >> (8 * b));
		}
		b = 0;
		k++;
	}
}

uint64_t
stream_hash(uint64_t h, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return (h);
}

void
stream_rx_init(struct stream_rx *rx, uint64_t seed, uint64_t expect,
    unsigned long own)
{
	memset(rx, 0, sizeof(*rx));
	rx->seed = seed;
	rx->expect = expect;
	rx->own = own;
	rx->stream = -1;
	rx->bad_at = STREAM_NONE;
}

/* Which stream the head is: our own index first, then 0, 1, ... */
static int
rx_identify(struct stream_rx *rx)
{
	uint8_t want[8];
	uint64_t j, key;

	for (j = 0; j <= STREAM_WINDOW; j++) {
		uint64_t cand = j == 0 ? rx->own : j - 1;

		if (j > 0 && cand == rx->own)
			continue;
		key = stream_key(rx->seed, cand);
		stream_fill(key, 0, want, rx->headlen);
		if (memcmp(want, rx->head, rx->headlen) == 0) {
			rx->stream = (long)cand;
			rx->key = key;
			return (0);
		}
	}
	return (-1);
}

/* Compare received bytes at offset off with the identified stream. */
static void
rx_check(struct stream_rx *rx, const uint8_t *p, uint64_t off, size_t n,
    uint8_t *want)
{
	size_t m, i;

	if (rx->bad_at != STREAM_NONE || n == 0)
		return;
	if (off + n > rx->expect) {
		if (off >= rx->expect) {
			rx->bad_at = off;
			return;
		}
		m = (size_t)(rx->expect - off);
	} else
		m = n;
	stream_fill(rx->key, off, want, m);
	if (memcmp(p, want, m) != 0) {
		for (i = 0; p[i] == want[i]; i++)
			;
		rx->bad_at = off + i;
		return;
	}
	if (m < n)
		rx->bad_at = rx->expect;
}

void
stream_rx_data(struct stream_rx *rx, uint64_t off, const uint8_t *p,
    size_t n, uint8_t *scratch)
{
	size_t need, take;

	if (rx->stream < 0 && off < rx->expect) {
		need = rx->expect < 8 ? (size_t)rx->expect : 8;
		take = need - rx->headlen < n ? need - rx->headlen : n;
		memcpy(rx->head + rx->headlen, p, take);
		rx->headlen += take;
		p += take;
		n -= take;
		if (rx->headlen < need)
			return;
		if (rx_identify(rx) == -1) {
			rx->bad_at = 0;
			return;
		}
		rx_check(rx, rx->head, 0, rx->headlen, scratch);
		off = rx->headlen;
	}
	rx_check(rx, p, off, n, scratch);
}
