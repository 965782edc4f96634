/* SPDX-License-Identifier: Apache-2.0 */
/* The policy as the control plane sets it: clients, grants, shared resource definitions, expiry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

static bool id_valid(const char *id, size_t size)
{
	return id[0] && memchr(id, '\0', size);
}

void filter_policy_changed(struct filter_state *st)
{
	/* a wrapped generation could make a stale entry look fresh: start the cache over */
	if (++st->gen == 0) {
		filter_cache_clear(st);
		st->gen = 1;
	}
}

struct filter_client *filter_client_find(const struct filter_state *st, const char *id)
{
	return (struct filter_client *)filter_htab_find(&st->clients, id);
}

static struct filter_res *res_find(const struct filter_state *st, const char *id)
{
	return (struct filter_res *)filter_htab_find(&st->resources, id);
}

static void recompute_expiry(struct filter_client *c)
{
	c->next_expiry = 0;
	for (uint32_t i = 0; i < c->n_grants; i++) {
		int64_t e = c->grants[i]->expires_at;

		if (e && (!c->next_expiry || e < c->next_expiry))
			c->next_expiry = e;
	}
}

static void note_expiry(struct filter_state *st, int64_t e)
{
	if (e && (!st->next_expiry || e < st->next_expiry))
		st->next_expiry = e;
}

static void res_put(struct filter_state *st, struct filter_res *r)
{
	if (--r->refs)
		return;
	filter_htab_del(&st->resources, &r->node);
	filter_res_free(r);
}

struct filter_grant *filter_grant_find(const struct filter_client *c, const char *res_id)
{
	return (struct filter_grant *)filter_htab_find(&c->by_res, res_id);
}

static int cidr_index(struct filter_client *c, struct filter_grant *g, bool add)
{
	const struct fzgw_resource *r = &g->res->def;

	if (!add) {
		filter_index_del(&c->ix, &r->addr, r->prefix_len, g);
		return 0;
	}
	return filter_index_add(&c->ix, &r->addr, r->prefix_len, g);
}

/* The Internet is /0 of both families; which addresses it really covers is the classifier's. */
static int internet_index(struct filter_client *c, struct filter_grant *g, bool add)
{
	static const struct fzgw_addr any4 = { .family = 4 }, any6 = { .family = 6 };

	if (!add) {
		filter_index_del(&c->ix, &any4, 0, g);
		filter_index_del(&c->ix, &any6, 0, g);
		return 0;
	}
	if (filter_index_add(&c->ix, &any4, 0, g) < 0)
		return -ENOMEM;
	if (filter_index_add(&c->ix, &any6, 0, g) < 0) {
		filter_index_del(&c->ix, &any4, 0, g);
		return -ENOMEM;
	}
	return 0;
}

static unsigned host_len(const struct fzgw_addr *a)
{
	return a->family == 4 ? 32 : 128;
}

int filter_proxy_index(struct filter_client *c, struct filter_grant *g,
		       const struct filter_proxy *p, bool add)
{
	for (uint8_t i = 0; i < p->n; i++) {
		if (!add) {
			filter_index_del(&c->ix, &p->ips[i], host_len(&p->ips[i]), g);
			continue;
		}
		if (filter_index_add(&c->ix, &p->ips[i], host_len(&p->ips[i]), g) < 0) {
			while (i--)
				filter_index_del(&c->ix, &p->ips[i], host_len(&p->ips[i]), g);
			return -ENOMEM;
		}
	}
	return 0;
}

/* DNS resources cover the proxy IPs the client assigned to their names, nothing else. */
static int dns_index(struct filter_client *c, struct filter_grant *g, bool add)
{
	for (const struct filter_proxy *p = g->proxies; p; p = p->next) {
		if (filter_proxy_index(c, g, p, add) < 0) {
			for (const struct filter_proxy *q = g->proxies; q != p; q = q->next)
				filter_proxy_index(c, g, q, false);
			return -ENOMEM;
		}
	}
	return 0;
}

int filter_grant_index(struct filter_client *c, struct filter_grant *g, bool add)
{
	switch (g->res->def.type) {
	case FZGW_RES_CIDR:
		return cidr_index(c, g, add);
	case FZGW_RES_INTERNET:
		return internet_index(c, g, add);
	case FZGW_RES_DNS:
		return dns_index(c, g, add);
	}
	return 0;
}

/* Takes @g out of its client: index, table, array, its resource. */
static void grant_free(struct filter_state *st, struct filter_client *c, struct filter_grant *g)
{
	filter_grant_index(c, g, false);
	filter_proxy_free_all(c, g);
	filter_htab_del(&c->by_res, &g->node);
	c->grants[g->pos] = c->grants[--c->n_grants];
	c->grants[g->pos]->pos = g->pos;
	res_put(st, g->res);
	free(g);
}

static void client_free(struct filter_state *st, struct filter_client *c)
{
	filter_htab_del(&st->clients, &c->node);
	while (c->n_grants)
		grant_free(st, c, c->grants[c->n_grants - 1]);
	filter_index_free(&c->ix);
	filter_htab_free(&c->by_res);
	free(c->grants);
	free(c);
}

static const char *type_name(uint8_t type)
{
	return type == FZGW_RES_CIDR ? "cidr" : type == FZGW_RES_DNS ? "dns" : "internet";
}

/*
 * A later description of a resource someone holds: as the original, only its filters change;
 * its address, pattern and type stay as first granted, and a type change is refused.
 */
static int res_update(struct filter_state *st, struct filter_res *r,
		      const struct fzgw_resource *def)
{
	if (def->type != r->def.type) {
		st->api->counter_add(st->ctx, st->cnt_type_refused, 1);
		if (st->api->log_limited)
			st->api->log_limited(st->ctx, FZGW_LOG_WARN,
					     "resource %s: refusing a change of type from %s to %s",
					     r->node.id, type_name(r->def.type),
					     type_name(def->type));
		else
			st->api->log(st->ctx, FZGW_LOG_WARN,
				     "resource %s: refusing a change of type from %s to %s",
				     r->node.id, type_name(r->def.type), type_name(def->type));
		return -EPERM;
	}
	return filter_res_set_filters(r, def);
}

/* Finds or adds the definition named by @def; a known one takes @def's filters. */
static int res_get(struct filter_state *st, const struct fzgw_resource *def,
		   struct filter_res **out)
{
	struct filter_res *r = res_find(st, def->id);

	if (!r) {
		if (!(r = filter_res_new(def)))
			return -ENOMEM;
		filter_htab_add(&st->resources, &r->node);
	} else if (res_update(st, r, def) == -ENOMEM) {
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

static int client_get(struct filter_state *st, const char *id, struct filter_client **out)
{
	struct filter_client *c = filter_client_find(st, id);

	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return -ENOMEM;
		if (filter_htab_init(&c->by_res, 4) < 0) {
			free(c);
			return -ENOMEM;
		}
		snprintf(c->node.id, sizeof(c->node.id), "%s", id);
		c->node.hash = filter_hash_id(c->node.id);
		c->tokens = (uint64_t)st->icmp_rate * 1000u;
		filter_htab_add(&st->clients, &c->node);
	}
	*out = c;
	return 0;
}

static int grant_new(struct filter_state *st, struct filter_client *c,
		     const struct fzgw_resource *def, struct filter_grant **out)
{
	struct filter_grant *g;
	struct filter_res *r;
	int rc;

	if (c->n_grants == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 4;
		struct filter_grant **v;

		if (cap < c->cap)
			return -ENOMEM;
		if (!(v = realloc(c->grants, (size_t)cap * sizeof(*v))))
			return -ENOMEM;
		c->grants = v;
		c->cap = cap;
	}
	if (!(g = calloc(1, sizeof(*g))))
		return -ENOMEM;
	if ((rc = res_get(st, def, &r)) < 0)
		goto err_grant;
	g->res = r;
	r->refs++;
	memcpy(g->node.id, r->node.id, sizeof(g->node.id));
	g->node.hash = r->node.hash;
	if ((rc = filter_grant_index(c, g, true)) < 0)
		goto err_res;
	filter_htab_add(&c->by_res, &g->node);
	g->pos = c->n_grants;
	c->grants[c->n_grants++] = g;
	*out = g;
	return 0;

err_res:
	res_put(st, r);
err_grant:
	free(g);
	return rc;
}

int filter_grant_set(struct filter_state *st, const char *client_id,
		     const struct fzgw_resource *def, int64_t expires_at)
{
	struct filter_client *c;
	struct filter_grant *g;
	int rc;

	if (!id_valid(client_id, FILTER_ID_MAX) || !filter_resource_valid(def) || expires_at < 0)
		return -EINVAL;
	if ((rc = client_get(st, client_id, &c)) < 0)
		return rc;
	if (!(g = filter_grant_find(c, def->id))) {
		if ((rc = grant_new(st, c, def, &g)) < 0)
			goto err_client;
	} else if ((rc = res_update(st, g->res, def)) == -ENOMEM) {
		return rc; /* the grant stays as it was */
	}
	g->expires_at = expires_at;
	/*
	 * next_expiry is a lower bound, exact only after the expiry walk: a renewal that moves
	 * the earliest grant later costs one early walk, not a scan of every grant here.
	 */
	if (expires_at && (!c->next_expiry || expires_at < c->next_expiry))
		c->next_expiry = expires_at;
	note_expiry(st, c->next_expiry);
	filter_policy_changed(st);
	return 0;

err_client:
	if (!c->n_grants)
		client_free(st, c);
	return rc;
}

bool filter_grant_del(struct filter_state *st, const char *client_id, const char *res_id)
{
	struct filter_client *c = filter_client_find(st, client_id);

	if (!c)
		return false;
	filter_policy_changed(st);
	if (res_id && *res_id) {
		struct filter_grant *g = filter_grant_find(c, res_id);

		if (g)
			grant_free(st, c, g);
		if (c->n_grants)
			return false;
	}
	client_free(st, c);
	return true;
}

int filter_resource_update(struct filter_state *st, const struct fzgw_resource *def)
{
	struct filter_res *r;
	int rc;

	if (!filter_resource_valid(def))
		return -EINVAL;
	if (!(r = res_find(st, def->id)))
		return 0; /* nobody holds it */
	if ((rc = res_update(st, r, def)) < 0)
		return rc;
	filter_policy_changed(st);
	return 0;
}

void filter_policy_free(struct filter_state *st)
{
	for (uint32_t b = 0; st->clients.b && b <= st->clients.mask; b++)
		while (st->clients.b[b])
			client_free(st, (struct filter_client *)st->clients.b[b]);
}

struct revocations {
	struct fzgw_ev_revoke *v;
	size_t n, cap;
};

static void add_revocation(struct revocations *rv, const char *client, const char *res)
{
	if (rv->n == rv->cap) {
		size_t cap = rv->cap ? rv->cap * 2 : 16;
		struct fzgw_ev_revoke *v = realloc(rv->v, cap * sizeof(*v));

		if (!v)
			return; /* the client is gone here anyway; the core keeps an idle tunnel */
		rv->v = v;
		rv->cap = cap;
	}
	memset(&rv->v[rv->n], 0, sizeof(rv->v[0]));
	snprintf(rv->v[rv->n].client_id, sizeof(rv->v[0].client_id), "%s", client);
	snprintf(rv->v[rv->n].resource_id, sizeof(rv->v[0].resource_id), "%s", res);
	rv->n++;
}

/* Expired grants of one client go; true when none is left. */
static bool expire_client(struct filter_state *st, struct filter_client *c, int64_t now,
			  struct revocations *rv)
{
	for (uint32_t i = 0; i < c->n_grants;) {
		struct filter_grant *g = c->grants[i];

		if (filter_grant_live(g, now)) {
			i++;
			continue;
		}
		st->api->log(st->ctx, FZGW_LOG_INFO, "%s's access to %s expired", c->node.id,
			     g->res->node.id);
		st->api->counter_add(st->ctx, st->cnt_expired_grants, 1);
		add_revocation(rv, c->node.id, g->res->node.id);
		grant_free(st, c, g); /* the last grant moves to i */
	}
	recompute_expiry(c);
	return c->n_grants == 0;
}

void filter_expire(struct filter_state *st, int64_t now)
{
	struct revocations rv = { NULL, 0, 0 };

	if (!st->next_expiry || now < st->next_expiry)
		return;
	st->next_expiry = 0;
	for (uint32_t b = 0; b <= st->clients.mask; b++) {
		struct filter_hnode *n = st->clients.b[b], *next;

		for (; n; n = next) {
			struct filter_client *c = (struct filter_client *)n;

			next = n->next;
			if (c->next_expiry && now >= c->next_expiry &&
			    expire_client(st, c, now, &rv)) {
				add_revocation(&rv, c->node.id, "");
				client_free(st, c);
				continue;
			}
			note_expiry(st, c->next_expiry);
		}
	}
	filter_policy_changed(st);
	/* published after the walk: a subscriber may answer with events that change the table */
	for (size_t i = 0; i < rv.n; i++) {
		if (!rv.v[i].resource_id[0])
			st->api->log(st->ctx, FZGW_LOG_INFO, "%s has no access left, revoking",
				     rv.v[i].client_id);
		st->api->publish(st->ctx, FZGW_EV_ACCESS_REVOKED, &rv.v[i], sizeof(rv.v[i]));
	}
	free(rv.v);
}
