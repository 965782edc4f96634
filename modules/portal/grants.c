/* SPDX-License-Identifier: Apache-2.0 */
/* What the portal has authorized: clients (keys, addresses) and their grants of resources. */
#include "grants.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define CLIENT_BUCKETS 4096u
#define RES_BUCKETS 1024u

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

int pz_grants_init(struct pz_grants *g)
{
	memset(g, 0, sizeof(*g));
	if (sodium_init() < 0)
		return -EIO;
	g->cb = calloc(CLIENT_BUCKETS, sizeof(*g->cb));
	g->rb = calloc(RES_BUCKETS, sizeof(*g->rb));
	g->free_slots = calloc(PZ_MAX_CLIENTS, sizeof(*g->free_slots));
	if (!g->cb || !g->rb || !g->free_slots) {
		pz_grants_fini(g);
		return -ENOMEM;
	}
	return 0;
}

static void res_put(struct pz_grants *g, struct pz_res *r)
{
	if (--r->refs)
		return;
	for (struct pz_res **pp = &g->rb[hash(r->def.id) % RES_BUCKETS]; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	g->n_res--;
	free(r);
}

static struct pz_res *res_find(const struct pz_grants *g, const char *id)
{
	struct pz_res *r = g->rb[hash(id) % RES_BUCKETS];

	while (r && strcmp(r->def.id, id))
		r = r->next;
	return r;
}

static uint8_t *slot_key(const struct pz_grants *g, uint32_t slot)
{
	return g->slab[slot / PZ_SLAB_KEYS][slot % PZ_SLAB_KEYS];
}

void pz_grants_drop(struct pz_grants *g, struct pz_client *c)
{
	for (struct pz_client **pp = &g->cb[hash(c->id) % CLIENT_BUCKETS]; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	for (uint32_t i = 0; i < c->n; i++)
		res_put(g, c->grants[i].res);
	sodium_memzero(slot_key(g, c->psk_slot), 32);
	g->free_slots[g->n_free++] = c->psk_slot;
	g->n_clients--;
	free(c->grants);
	free(c);
}

void pz_grants_fini(struct pz_grants *g)
{
	if (g->cb) {
		for (uint32_t b = 0; b < CLIENT_BUCKETS; b++)
			while (g->cb[b])
				pz_grants_drop(g, g->cb[b]);
	}
	for (size_t i = 0; i < sizeof(g->slab) / sizeof(g->slab[0]); i++)
		if (g->slab[i])
			sodium_free(g->slab[i]); /* wipes */
	free(g->cb);
	free(g->rb);
	free(g->free_slots);
	memset(g, 0, sizeof(*g));
}

struct pz_client *pz_grants_client(const struct pz_grants *g, const char *id)
{
	struct pz_client *c = g->cb[hash(id) % CLIENT_BUCKETS];

	while (c && strcmp(c->id, id))
		c = c->next;
	return c;
}

static int slot_get(struct pz_grants *g, uint32_t *slot)
{
	if (g->n_free) {
		*slot = g->free_slots[--g->n_free];
		return 0;
	}
	if (g->next_slot == PZ_MAX_CLIENTS)
		return -ENOSPC;
	if (!g->slab[g->next_slot / PZ_SLAB_KEYS] &&
	    !(g->slab[g->next_slot / PZ_SLAB_KEYS] = sodium_allocarray(PZ_SLAB_KEYS, 32)))
		return -ENOMEM;
	*slot = g->next_slot++;
	return 0;
}

int pz_grants_client_set(struct pz_grants *g, const char *id, const uint8_t public_key[32],
			 const uint8_t psk[32], const struct fzgw_addr *ipv4,
			 const struct fzgw_addr *ipv6, struct pz_client **out)
{
	struct pz_client *c = pz_grants_client(g, id);
	int rc;

	if (!c) {
		if (g->n_clients >= PZ_MAX_CLIENTS)
			return -ENOSPC;
		if (!(c = calloc(1, sizeof(*c))))
			return -ENOMEM;
		if ((rc = slot_get(g, &c->psk_slot)) < 0) {
			free(c);
			return rc;
		}
		memcpy(c->id, id, sizeof(c->id));
		c->next = g->cb[hash(id) % CLIENT_BUCKETS];
		g->cb[hash(id) % CLIENT_BUCKETS] = c;
		g->n_clients++;
	}
	memcpy(c->public_key, public_key, 32);
	memcpy(slot_key(g, c->psk_slot), psk, 32);
	c->ipv4 = *ipv4;
	c->ipv6 = *ipv6;
	*out = c;
	return 0;
}

const uint8_t *pz_grants_psk(const struct pz_grants *g, const struct pz_client *c)
{
	return slot_key(g, c->psk_slot);
}

struct pz_grant *pz_grants_find(const struct pz_client *c, const char *res_id)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (!strcmp(c->grants[i].res->def.id, res_id))
			return &c->grants[i];
	return NULL;
}

int pz_grants_set(struct pz_grants *g, struct pz_client *c, const struct fzgw_resource *res,
		  int64_t expires_at)
{
	struct pz_grant *gr = pz_grants_find(c, res->id);
	struct pz_res *r;

	if (gr) {
		gr->res->def = *res;
		gr->expires_at = expires_at;
		return 0;
	}
	if (c->n == PZ_MAX_GRANTS)
		return -ENOSPC;
	if (c->n == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 4;
		struct pz_grant *n = realloc(c->grants, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->grants = n;
		c->cap = cap;
	}
	if (!(r = res_find(g, res->id))) {
		if (!(r = calloc(1, sizeof(*r))))
			return -ENOMEM;
		r->next = g->rb[hash(res->id) % RES_BUCKETS];
		g->rb[hash(res->id) % RES_BUCKETS] = r;
		g->n_res++;
	}
	r->def = *res;
	r->refs++;
	c->grants[c->n++] = (struct pz_grant){ .res = r, .expires_at = expires_at };
	return 0;
}

int pz_grants_del(struct pz_grants *g, struct pz_client *c, const char *res_id)
{
	struct pz_grant *gr = pz_grants_find(c, res_id);

	if (!gr)
		return -ENOENT;
	res_put(g, gr->res);
	*gr = c->grants[--c->n];
	return (int)c->n;
}

bool pz_grants_update_resource(struct pz_grants *g, const struct fzgw_resource *r)
{
	struct pz_res *res = res_find(g, r->id);

	if (res)
		res->def = *r;
	return res != NULL;
}

struct pz_client **pz_grants_list(const struct pz_grants *g, size_t *n)
{
	struct pz_client **v;
	size_t k = 0;

	*n = 0;
	if (!g->n_clients || !(v = malloc(g->n_clients * sizeof(*v))))
		return NULL;
	for (uint32_t b = 0; b < CLIENT_BUCKETS; b++)
		for (struct pz_client *c = g->cb[b]; c; c = c->next)
			v[k++] = c;
	*n = k;
	return v;
}
