/* SPDX-License-Identifier: Apache-2.0 */
/* Which output worker a packet goes to: one session's packets always to the same one, in order. */
#include <netinet/in.h>
#include <string.h>

#include "dp.h"

/* FNV-1a over a few bytes, then a final mix so that the low bits depend on all of them. */
static uint32_t hash_bytes(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	return h;
}

unsigned int dp_shard_udp(const union fzgw_sockaddr *dst, unsigned int n_workers)
{
	uint8_t key[18];
	size_t n;

	if (n_workers <= 1)
		return 0;
	if (dst->sa.sa_family == AF_INET6) {
		memcpy(key, &dst->in6.sin6_addr, 16);
		memcpy(key + 16, &dst->in6.sin6_port, 2);
		n = 18;
	} else {
		memcpy(key, &dst->in4.sin_addr, 4);
		memcpy(key + 4, &dst->in4.sin_port, 2);
		n = 6;
	}
	return hash_bytes(2166136261u, key, n) % n_workers;
}

unsigned int dp_shard_tun(const uint8_t *pkt, size_t len, unsigned int n_workers)
{
	if (n_workers <= 1 || !len)
		return 0;
	if (pkt[0] >> 4 == 4 && len >= 20)
		return hash_bytes(2166136261u, pkt + 12, 4) % n_workers;
	if (pkt[0] >> 4 == 6 && len >= 40)
		return hash_bytes(2166136261u, pkt + 8, 16) % n_workers;
	return 0;
}
