/* SPDX-License-Identifier: Apache-2.0 */
/* What the portal has authorized: clients (keys, addresses) and their grants of resources. */
#include "grants.h"

#include "resdef.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define CLIENT_BUCKETS 16384u
#define RES_BUCKETS 4096u

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
	if (!g->cb || !g->rb) {
		pz_grants_fini(g);
		return -ENOMEM;
	}
	return 0;
}

static void res_put(struct pz_grants *g, struct pz_res *r)
{
	if (--r->refs)
		return;
	for (struct pz_res **pp = &g->rb[hash(r->def->id) % RES_BUCKETS]; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	g->n_res--;
	free(r->def);
	free(r);
}

static struct pz_res *res_find(const struct pz_grants *g, const char *id)
{
	struct pz_res *r = g->rb[hash(id) % RES_BUCKETS];

	while (r && strcmp(r->def->id, id))
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
	pz_grants_client_ice(c, NULL, NULL, NULL, NULL, false);
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
	for (uint32_t i = 0; i < g->n_slab; i++)
		sodium_free(g->slab[i]); /* wipes */
	free(g->slab);
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

/* One more chunk of keys, and room for its slots in the free list. */
static int slab_grow(struct pz_grants *g)
{
	uint8_t(**slab)[32];
	uint32_t *fs;

	if (g->n_slab >= UINT32_MAX / PZ_SLAB_KEYS - 1)
		return -ENOMEM;
	if (!(slab = realloc(g->slab, (g->n_slab + 1) * sizeof(*slab))))
		return -ENOMEM;
	g->slab = slab;
	if (!(fs = realloc(g->free_slots, (size_t)(g->n_slab + 1) * PZ_SLAB_KEYS * sizeof(*fs))))
		return -ENOMEM;
	g->free_slots = fs;
	if (!(g->slab[g->n_slab] = sodium_allocarray(PZ_SLAB_KEYS, 32)))
		return -ENOMEM;
	g->n_slab++;
	return 0;
}

static int slot_get(struct pz_grants *g, uint32_t *slot)
{
	int rc;

	if (g->n_free) {
		*slot = g->free_slots[--g->n_free];
		return 0;
	}
	if (g->next_slot == g->n_slab * PZ_SLAB_KEYS && (rc = slab_grow(g)) < 0)
		return rc;
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

static void str_free(char **s)
{
	if (*s) {
		sodium_memzero(*s, strlen(*s));
		free(*s);
	}
	*s = NULL;
}

int pz_grants_client_ice(struct pz_client *c, const char *gw_ufrag, const char *gw_pwd,
			 const char *cl_ufrag, const char *cl_pwd, bool use_iceless)
{
	const char *in[4] = { gw_ufrag, gw_pwd, cl_ufrag, cl_pwd };
	char *v[4] = { NULL, NULL, NULL, NULL };
	char **dst[4] = { &c->gw_ufrag, &c->gw_pwd, &c->cl_ufrag, &c->cl_pwd };

	for (int i = 0; i < 4; i++) {
		if (in[i] && !(v[i] = strdup(in[i]))) {
			for (int k = 0; k < i; k++)
				str_free(&v[k]);
			return -ENOMEM;
		}
	}
	for (int i = 0; i < 4; i++) {
		str_free(dst[i]);
		*dst[i] = v[i];
	}
	c->use_iceless = use_iceless;
	return 0;
}

const uint8_t *pz_grants_psk(const struct pz_grants *g, const struct pz_client *c)
{
	return slot_key(g, c->psk_slot);
}

struct pz_grant *pz_grants_find(const struct pz_client *c, const char *res_id)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (!strcmp(c->grants[i].res->def->id, res_id))
			return &c->grants[i];
	return NULL;
}

int pz_grants_set(struct pz_grants *g, struct pz_client *c, const struct fzgw_resource *res,
		  int64_t expires_at)
{
	struct pz_grant *gr = pz_grants_find(c, res->id);
	struct fzgw_resource *def = pz_res_dup(res);
	struct pz_res *r;

	if (!def)
		return -ENOMEM;
	if (gr) {
		free(gr->res->def);
		gr->res->def = def;
		gr->expires_at = expires_at;
		return 0;
	}
	if (c->n == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 4;
		struct pz_grant *n = cap > c->cap ? realloc(c->grants, cap * sizeof(*n)) : NULL;

		if (!n) {
			free(def);
			return -ENOMEM;
		}
		c->grants = n;
		c->cap = cap;
	}
	if (!(r = res_find(g, res->id))) {
		if (!(r = calloc(1, sizeof(*r)))) {
			free(def);
			return -ENOMEM;
		}
		r->next = g->rb[hash(res->id) % RES_BUCKETS];
		g->rb[hash(res->id) % RES_BUCKETS] = r;
		g->n_res++;
	}
	free(r->def);
	r->def = def;
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

int pz_grants_update_resource(struct pz_grants *g, const struct fzgw_resource *r,
			      const struct fzgw_resource **out)
{
	struct pz_res *res = res_find(g, r->id);
	struct fzgw_resource *def;

	*out = NULL;
	if (!res)
		return -ENOENT;
	if (res->def->type != r->type)
		return -EINVAL;
	if (!(def = pz_res_with_filters(res->def, r)))
		return -ENOMEM;
	free(res->def);
	res->def = def;
	*out = def;
	return 0;
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
