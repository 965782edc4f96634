/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's clients: found by client id, tunnel IPv4 and tunnel IPv6 in O(1), dense indices. */
#include "peers.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static uint32_t hash_bytes(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}

static size_t addr_len(const struct fzgw_addr *a)
{
	return a->family == 4 ? 4 : 16;
}

static uint32_t bucket_addr(const struct fzgw_peers *p, const struct fzgw_addr *a)
{
	return hash_bytes(a->bytes, addr_len(a)) & (p->nbuckets - 1);
}

static uint32_t bucket_id(const struct fzgw_peers *p, const char *id)
{
	return hash_bytes(id, strlen(id)) & (p->nbuckets - 1);
}

static bool addr_eq(const struct fzgw_addr *a, const struct fzgw_addr *b)
{
	return a->family == b->family && !memcmp(a->bytes, b->bytes, addr_len(a));
}

int fzgw_peers_init(struct fzgw_peers *p, uint32_t nbuckets)
{
	memset(p, 0, sizeof(*p));
	if (!nbuckets || (nbuckets & (nbuckets - 1)))
		return -EINVAL;
	p->nbuckets = nbuckets;
	p->by_id = calloc(nbuckets, sizeof(*p->by_id));
	p->by_v4 = calloc(nbuckets, sizeof(*p->by_v4));
	p->by_v6 = calloc(nbuckets, sizeof(*p->by_v6));
	if (!p->by_id || !p->by_v4 || !p->by_v6) {
		fzgw_peers_fini(p);
		return -ENOMEM;
	}
	return 0;
}

void fzgw_peers_fini(struct fzgw_peers *p)
{
	for (uint32_t i = 0; i < p->cap; i++)
		free(p->by_index[i]);
	free(p->by_index);
	free(p->by_id);
	free(p->by_v4);
	free(p->by_v6);
	memset(p, 0, sizeof(*p));
}

struct fzgw_gw_peer *fzgw_peers_by_client(const struct fzgw_peers *p, const char *client_id)
{
	for (struct fzgw_gw_peer *e = p->by_id[bucket_id(p, client_id)]; e; e = e->next_id)
		if (!strcmp(e->info.client_id, client_id))
			return e;
	return NULL;
}

struct fzgw_gw_peer *fzgw_peers_by_gen(const struct fzgw_peers *p, uint32_t index, uint64_t gen)
{
	struct fzgw_gw_peer *e = index < p->cap ? p->by_index[index] : NULL;

	return e && gen && e->gen == gen ? e : NULL;
}

struct fzgw_gw_peer *fzgw_peers_by_addr(const struct fzgw_peers *p, const struct fzgw_addr *a)
{
	if (a->family == 4) {
		for (struct fzgw_gw_peer *e = p->by_v4[bucket_addr(p, a)]; e; e = e->next_v4)
			if (addr_eq(&e->info.ipv4, a))
				return e;
	} else if (a->family == 6) {
		for (struct fzgw_gw_peer *e = p->by_v6[bucket_addr(p, a)]; e; e = e->next_v6)
			if (addr_eq(&e->info.ipv6, a))
				return e;
	}
	return NULL;
}

static void unlink_addrs(struct fzgw_peers *p, struct fzgw_gw_peer *peer)
{
	struct fzgw_gw_peer **pp;

	if (peer->info.ipv4.family == 4)
		for (pp = &p->by_v4[bucket_addr(p, &peer->info.ipv4)]; *pp; pp = &(*pp)->next_v4)
			if (*pp == peer) {
				*pp = peer->next_v4;
				break;
			}
	if (peer->info.ipv6.family == 6)
		for (pp = &p->by_v6[bucket_addr(p, &peer->info.ipv6)]; *pp; pp = &(*pp)->next_v6)
			if (*pp == peer) {
				*pp = peer->next_v6;
				break;
			}
}

static void link_addrs(struct fzgw_peers *p, struct fzgw_gw_peer *peer)
{
	uint32_t b;

	if (peer->info.ipv4.family == 4) {
		b = bucket_addr(p, &peer->info.ipv4);
		peer->next_v4 = p->by_v4[b];
		p->by_v4[b] = peer;
	}
	if (peer->info.ipv6.family == 6) {
		b = bucket_addr(p, &peer->info.ipv6);
		peer->next_v6 = p->by_v6[b];
		p->by_v6[b] = peer;
	}
}

static int check_addrs(const struct fzgw_peers *p, const struct fzgw_gw_peer *self,
		       const struct fzgw_addr *v4, const struct fzgw_addr *v6)
{
	struct fzgw_gw_peer *o;

	if ((v4 && v4->family && v4->family != 4) || (v6 && v6->family && v6->family != 6))
		return -EAFNOSUPPORT;
	if (v4 && v4->family && (o = fzgw_peers_by_addr(p, v4)) && o != self)
		return -EADDRINUSE;
	if (v6 && v6->family && (o = fzgw_peers_by_addr(p, v6)) && o != self)
		return -EADDRINUSE;
	return 0;
}

int fzgw_peers_set_addrs(struct fzgw_peers *p, struct fzgw_gw_peer *peer, const struct fzgw_addr *v4,
			 const struct fzgw_addr *v6)
{
	int rc = check_addrs(p, peer, v4, v6);

	if (rc)
		return rc;
	unlink_addrs(p, peer);
	memset(&peer->info.ipv4, 0, sizeof(peer->info.ipv4));
	memset(&peer->info.ipv6, 0, sizeof(peer->info.ipv6));
	if (v4)
		peer->info.ipv4 = *v4;
	if (v6)
		peer->info.ipv6 = *v6;
	link_addrs(p, peer);
	return 0;
}

int fzgw_peers_add(struct fzgw_peers *p, const char *client_id, const struct fzgw_addr *v4,
		   const struct fzgw_addr *v6, struct fzgw_gw_peer **out)
{
	struct fzgw_gw_peer *peer;
	uint32_t idx, b;
	int rc;

	if (!client_id[0] || strlen(client_id) >= sizeof(peer->info.client_id))
		return -EINVAL;
	if (fzgw_peers_by_client(p, client_id))
		return -EEXIST;
	if ((rc = check_addrs(p, NULL, v4, v6)) < 0)
		return rc;
	if (p->n == FZGW_PEERS_MAX)
		return -ENOSPC;
	/* the lowest free index keeps per-peer arrays of modules small */
	for (idx = 0; idx < p->cap && p->by_index[idx]; idx++)
		;
	if (idx == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 64;
		struct fzgw_gw_peer **n = realloc(p->by_index, sizeof(*n) * cap);

		if (!n)
			return -ENOMEM;
		memset(n + p->cap, 0, sizeof(*n) * (cap - p->cap));
		p->by_index = n;
		p->cap = cap;
	}
	if (!(peer = calloc(1, sizeof(*peer))))
		return -ENOMEM;
	peer->info.index = idx;
	peer->gen = ++p->last_gen;
	strcpy(peer->info.client_id, client_id);
	if (v4)
		peer->info.ipv4 = *v4;
	if (v6)
		peer->info.ipv6 = *v6;
	p->by_index[idx] = peer;
	b = bucket_id(p, client_id);
	peer->next_id = p->by_id[b];
	p->by_id[b] = peer;
	link_addrs(p, peer);
	p->n++;
	*out = peer;
	return 0;
}

void fzgw_peers_remove(struct fzgw_peers *p, struct fzgw_gw_peer *peer)
{
	struct fzgw_gw_peer **pp;

	for (pp = &p->by_id[bucket_id(p, peer->info.client_id)]; *pp; pp = &(*pp)->next_id)
		if (*pp == peer) {
			*pp = peer->next_id;
			break;
		}
	unlink_addrs(p, peer);
	p->by_index[peer->info.index] = NULL;
	p->n--;
	free(peer);
}
