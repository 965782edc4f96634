/* SPDX-License-Identifier: Apache-2.0 */
/* Clients and the DNS resources granted to them, as the control plane publishes them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat.h"

static uint32_t hash_id(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (uint8_t)*id) * 16777619u;
	return h;
}

struct nat_client *nat_client_find(const struct nat_state *st, const char *id)
{
	for (struct nat_client *c = st->cb[hash_id(id) & st->cmask]; c; c = c->hnext)
		if (!strcmp(c->id, id))
			return c;
	return NULL;
}

static void grow(struct nat_state *st)
{
	uint32_t n = (st->cmask + 1) * 2;
	struct nat_client **nb;

	if (st->n_clients <= st->cmask + 1 || !(nb = calloc(n, sizeof(*nb))))
		return; /* without memory the chains just get longer */
	for (uint32_t b = 0; b <= st->cmask; b++) {
		for (struct nat_client *c = st->cb[b], *next; c; c = next) {
			next = c->hnext;
			c->hnext = nb[hash_id(c->id) & (n - 1)];
			nb[hash_id(c->id) & (n - 1)] = c;
		}
	}
	free(st->cb);
	st->cb = nb;
	st->cmask = n - 1;
}

struct nat_client *nat_client_get(struct nat_state *st, const char *id)
{
	struct nat_client *c = nat_client_find(st, id);
	uint32_t b;

	if (c)
		return c;
	if (st->n_clients >= NAT_MAX_CLIENTS || strlen(id) >= NAT_ID_MAX ||
	    !(c = calloc(1, sizeof(*c))))
		return NULL;
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->t.id = ++st->next_client_id;
	b = hash_id(id) & st->cmask;
	c->hnext = st->cb[b];
	st->cb[b] = c;
	st->n_clients++;
	grow(st);
	return c;
}

void nat_client_free(struct nat_state *st, struct nat_client *c)
{
	struct nat_client **pp = &st->cb[hash_id(c->id) & st->cmask];

	nat_client_reset(st, c);
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	st->n_clients--;
	free(c->grants);
	free(c->proxies);
	free(c);
}

void nat_clients_free(struct nat_state *st)
{
	for (uint32_t b = 0; st->cb && b <= st->cmask; b++)
		while (st->cb[b])
			nat_client_free(st, st->cb[b]);
}

const struct nat_grant *nat_grant_find(const struct nat_client *c, const char *res_id)
{
	for (uint32_t i = 0; i < c->n_grants; i++)
		if (!strcmp(c->grants[i].id, res_id))
			return &c->grants[i];
	return NULL;
}

/* Names of @res_id that its (new) pattern no longer covers go; NULL pattern: all of them. */
static void drop_domains(struct nat_state *st, struct nat_client *c, const char *res_id,
			 const char *pattern)
{
	struct nat_domain *d = c->domains, *next;

	for (; d; d = next) {
		next = d->next;
		if (!strcmp(d->resource, res_id) &&
		    (!pattern || !dns_pattern_match(pattern, d->name)))
			nat_domain_remove(st, c, d);
	}
}

static void grant_del(struct nat_state *st, struct nat_client *c, const char *res_id)
{
	for (uint32_t i = 0; i < c->n_grants; i++) {
		if (strcmp(c->grants[i].id, res_id))
			continue;
		c->grants[i] = c->grants[--c->n_grants];
		drop_domains(st, c, res_id, NULL);
		return;
	}
}

static int grant_set(struct nat_state *st, struct nat_client *c, const struct fzgw_resource *r)
{
	struct nat_grant *g = (struct nat_grant *)nat_grant_find(c, r->id);

	if (!g) {
		if (c->n_grants == NAT_MAX_GRANTS)
			return -ENOSPC;
		if (c->n_grants == c->cap_grants) {
			uint32_t n = c->cap_grants ? c->cap_grants * 2 : 4;
			struct nat_grant *ng = realloc(c->grants, n * sizeof(*ng));

			if (!ng)
				return -ENOMEM;
			c->grants = ng;
			c->cap_grants = n;
		}
		g = &c->grants[c->n_grants++];
		snprintf(g->id, sizeof(g->id), "%s", r->id);
	}
	snprintf(g->pattern, sizeof(g->pattern), "%.*s", (int)sizeof(r->pattern), r->pattern);
	drop_domains(st, c, r->id, g->pattern);
	return 0;
}

void nat_on_authorized(void *state, const struct fzgw_event *ev)
{
	const struct fzgw_ev_authorization *a = ev->data;
	struct nat_state *st = state;
	struct nat_client *c;
	char id[NAT_ID_MAX], rid[NAT_ID_MAX];
	int rc;

	if (ev->size < sizeof(*a))
		return;
	snprintf(id, sizeof(id), "%.*s", (int)sizeof(a->client_id), a->client_id);
	snprintf(rid, sizeof(rid), "%.*s", (int)sizeof(a->resource.id), a->resource.id);
	if (a->resource.type != FZGW_RES_DNS) {
		/* a resource that stopped being a DNS one takes its names along */
		if ((c = nat_client_find(st, id)))
			grant_del(st, c, rid);
		return;
	}
	if (!(c = nat_client_get(st, id))) {
		st->api->log(st->ctx, FZGW_LOG_WARN, "client %s: not tracked (%u clients)", id,
			     st->n_clients);
		return;
	}
	if ((rc = grant_set(st, c, &a->resource)) < 0)
		st->api->log(st->ctx, FZGW_LOG_WARN, "client %s: grant %s not kept: %s", id, rid,
			     strerror(-rc));
}

void nat_on_revoked(void *state, const struct fzgw_event *ev)
{
	const struct fzgw_ev_revoke *r = ev->data;
	struct nat_state *st = state;
	struct nat_client *c;
	char id[NAT_ID_MAX], rid[NAT_ID_MAX];

	if (ev->size < sizeof(*r))
		return;
	snprintf(id, sizeof(id), "%.*s", (int)sizeof(r->client_id), r->client_id);
	snprintf(rid, sizeof(rid), "%.*s", (int)sizeof(r->resource_id), r->resource_id);
	c = nat_client_find(st, id);
	if (!rid[0]) {
		/* the whole client goes: say so while its tunnel is still there */
		if (nat_send_control(st, id, P2P_GOODBYE, NULL, 0) == 0)
			nat_count(st, NAT_CNT_GOODBYE_OUT, 1);
		if (c)
			nat_client_free(st, c);
		return;
	}
	if (c)
		grant_del(st, c, rid);
}

void nat_on_resource(void *state, const struct fzgw_event *ev)
{
	const struct fzgw_ev_resource *u = ev->data;
	struct nat_state *st = state;
	char rid[NAT_ID_MAX];

	if (ev->size < sizeof(*u))
		return;
	snprintf(rid, sizeof(rid), "%.*s", (int)sizeof(u->resource.id), u->resource.id);
	for (uint32_t b = 0; b <= st->cmask; b++) {
		for (struct nat_client *c = st->cb[b]; c; c = c->hnext) {
			if (!nat_grant_find(c, rid))
				continue;
			if (u->resource.type == FZGW_RES_DNS)
				grant_set(st, c, &u->resource);
			else
				grant_del(st, c, rid);
		}
	}
}

void nat_on_peer_removed(void *state, const struct fzgw_event *ev)
{
	const struct fzgw_ev_peer *p = ev->data;
	struct nat_state *st = state;
	struct nat_client *c;
	char id[NAT_ID_MAX];

	if (ev->size < sizeof(*p))
		return;
	snprintf(id, sizeof(id), "%.*s", (int)sizeof(p->client_id), p->client_id);
	if ((c = nat_client_find(st, id)))
		nat_client_free(st, c);
}
