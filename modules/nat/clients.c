/* SPDX-License-Identifier: Apache-2.0 */
/* Clients and the DNS resources granted to them, as the control plane publishes them. */
#include <errno.h>
#include <stddef.h>
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
	if (strlen(id) >= NAT_ID_MAX || !(c = calloc(1, sizeof(*c))))
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

static void grant_free(struct nat_grant *g)
{
	free(g->pattern);
	free(g);
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
	for (uint32_t b = 0; c->gb && b <= c->gmask; b++) {
		for (struct nat_grant *g = c->gb[b], *next; g; g = next) {
			next = g->next;
			grant_free(g);
		}
	}
	free(c->gb);
	free(c->proxies);
	free(c->lk_until);
	free(c);
}

bool nat_control_allowed(struct nat_state *st, struct nat_client *c)
{
	uint64_t now = st->api->now_ms(st->ctx), rate = (uint64_t)st->conf.control_rate;
	uint64_t cap = (uint64_t)st->conf.control_burst * 1000;

	if (!c->ctl_ms) {
		c->ctl_tokens = cap; /* a new client starts with a full burst */
	} else if (now > c->ctl_ms) {
		uint64_t add = (now - c->ctl_ms) * rate;

		c->ctl_tokens = add >= cap || c->ctl_tokens + add >= cap ? cap : c->ctl_tokens + add;
	}
	c->ctl_ms = now ? now : 1;
	if (c->ctl_tokens > cap)
		c->ctl_tokens = cap; /* the burst went down on reload */
	if (c->ctl_tokens < 1000)
		return false;
	c->ctl_tokens -= 1000;
	return true;
}

void nat_clients_free(struct nat_state *st)
{
	for (uint32_t b = 0; st->cb && b <= st->cmask; b++)
		while (st->cb[b])
			nat_client_free(st, st->cb[b]);
}

const struct nat_grant *nat_grant_find(const struct nat_client *c, const char *res_id)
{
	if (!c->gb)
		return NULL;
	for (struct nat_grant *g = c->gb[hash_id(res_id) & c->gmask]; g; g = g->next)
		if (!strcmp(g->id, res_id))
			return g;
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
	struct nat_grant **pp = c->gb ? &c->gb[hash_id(res_id) & c->gmask] : NULL;

	for (; pp && *pp; pp = &(*pp)->next) {
		struct nat_grant *g = *pp;

		if (strcmp(g->id, res_id))
			continue;
		*pp = g->next;
		c->n_grants--;
		grant_free(g);
		drop_domains(st, c, res_id, NULL);
		return;
	}
}

/* More buckets once there are more grants than buckets; without memory chains get longer. */
static int grants_grow(struct nat_client *c)
{
	uint32_t n = c->gb ? (c->gmask + 1) * 2 : 4;
	struct nat_grant **nb;

	if (c->gb && c->n_grants < c->gmask + 1)
		return 0;
	if (!(nb = calloc(n, sizeof(*nb))))
		return c->gb ? 0 : -ENOMEM;
	for (uint32_t b = 0; c->gb && b <= c->gmask; b++) {
		for (struct nat_grant *g = c->gb[b], *next; g; g = next) {
			next = g->next;
			g->next = nb[hash_id(g->id) & (n - 1)];
			nb[hash_id(g->id) & (n - 1)] = g;
		}
	}
	free(c->gb);
	c->gb = nb;
	c->gmask = n - 1;
	return 0;
}

static int grant_set(struct nat_state *st, struct nat_client *c, const char *res_id,
		     const char *pattern)
{
	struct nat_grant *g = (struct nat_grant *)nat_grant_find(c, res_id);
	char *copy = strdup(pattern ? pattern : ""); /* a DNS resource without one matches nothing */

	if (!copy)
		return -ENOMEM;
	if (!g) {
		uint32_t b;

		if (grants_grow(c) < 0 || !(g = calloc(1, sizeof(*g)))) {
			free(copy);
			return -ENOMEM;
		}
		snprintf(g->id, sizeof(g->id), "%s", res_id);
		b = hash_id(res_id) & c->gmask;
		g->next = c->gb[b];
		c->gb[b] = g;
		c->n_grants++;
	}
	free(g->pattern);
	g->pattern = copy;
	drop_domains(st, c, res_id, g->pattern);
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
		st->api->log(st->ctx, FZGW_LOG_WARN, "client %s: not tracked: out of memory", id);
		return;
	}
	if ((rc = grant_set(st, c, rid, a->resource.pattern)) < 0)
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
		/* the whole client goes; the core says Goodbye to it (dp_on_revoked) */
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
				grant_set(st, c, rid, u->resource.pattern);
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

void nat_client_goodbye(struct nat_state *st, const char *client_id)
{
	const struct fzgw_api *api = st->api;
	struct nat_client *c = nat_client_find(st, client_id);
	int rc = -ENOSYS;

	/* nothing more is translated for it; its grants go with the core's revocation */
	if (c)
		nat_client_reset(st, c);
	/* the original removes the peer and every authorization it had */
	if (api->struct_size >= offsetof(struct fzgw_api, peer_remove) + sizeof(api->peer_remove) &&
	    api->peer_remove)
		rc = api->peer_remove(st->ctx, client_id, "goodbye");
	if (rc < 0 && rc != -ENOENT)
		api->log(st->ctx, FZGW_LOG_WARN, "client %s said goodbye but stays: %s", client_id,
			 strerror(-rc));
}
