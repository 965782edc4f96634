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

bool filter_resource_valid(const struct fzgw_resource *r)
{
	if (!id_valid(r->id, sizeof(r->id)) || r->n_filters > FZGW_MAX_FILTERS)
		return false;
	switch (r->type) {
	case FZGW_RES_CIDR:
		if (!(r->addr.family == 4 && r->prefix_len <= 32) &&
		    !(r->addr.family == 6 && r->prefix_len <= 128))
			return false;
		break;
	case FZGW_RES_DNS:
		if (!memchr(r->pattern, '\0', sizeof(r->pattern)))
			return false;
		break;
	case FZGW_RES_INTERNET:
		break;
	default:
		return false;
	}
	for (int i = 0; i < r->n_filters; i++) {
		const struct fzgw_filter *f = &r->filters[i];

		if (f->proto < FZGW_FILTER_TCP || f->proto > FZGW_FILTER_ICMP ||
		    f->n_ranges > FZGW_MAX_PORT_RANGES)
			return false;
		for (int k = 0; k < f->n_ranges; k++)
			if (f->ranges[k].first > f->ranges[k].last)
				return false;
	}
	return true;
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
		int64_t e = c->grants[i].expires_at;

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
	free(r);
}

static void client_free(struct filter_state *st, struct filter_client *c)
{
	filter_htab_del(&st->clients, &c->node);
	for (uint32_t i = 0; i < c->n_grants; i++)
		res_put(st, c->grants[i].res);
	free(c->grants);
	free(c);
}

/* Finds or adds the definition named by @def and makes it equal to @def. */
static int res_get(struct filter_state *st, const struct fzgw_resource *def,
		   struct filter_res **out)
{
	struct filter_res *r = res_find(st, def->id);

	if (!r) {
		if (st->resources.n >= FILTER_MAX_RESOURCES)
			return -ENOSPC;
		if (!(r = calloc(1, sizeof(*r))))
			return -ENOMEM;
		memcpy(r->node.id, def->id, sizeof(r->node.id));
		r->node.hash = filter_hash_id(r->node.id);
		filter_htab_add(&st->resources, &r->node);
	}
	/* the latest definition wins, for every client holding it */
	r->def = *def;
	*out = r;
	return 0;
}

static int client_get(struct filter_state *st, const char *id, struct filter_client **out)
{
	struct filter_client *c = filter_client_find(st, id);

	if (!c) {
		if (st->clients.n >= FILTER_MAX_CLIENTS)
			return -ENOSPC;
		if (!(c = calloc(1, sizeof(*c))))
			return -ENOMEM;
		snprintf(c->node.id, sizeof(c->node.id), "%s", id);
		c->node.hash = filter_hash_id(c->node.id);
		c->tokens = (uint64_t)st->icmp_rate * 1000u;
		filter_htab_add(&st->clients, &c->node);
	}
	*out = c;
	return 0;
}

int filter_grant_set(struct filter_state *st, const char *client_id,
		     const struct fzgw_resource *def, int64_t expires_at)
{
	struct filter_client *c;
	struct filter_res *r;
	uint32_t i;
	int rc;

	if (!id_valid(client_id, FILTER_ID_MAX) || !filter_resource_valid(def) || expires_at < 0)
		return -EINVAL;
	if ((rc = client_get(st, client_id, &c)) < 0)
		return rc;
	for (i = 0; i < c->n_grants; i++)
		if (!strcmp(c->grants[i].res->node.id, def->id))
			break;
	if (i == c->n_grants) {
		if (c->n_grants == FILTER_MAX_GRANTS) {
			rc = -ENOSPC;
			goto err_client;
		}
		if (c->n_grants == c->cap) {
			uint32_t cap = c->cap ? c->cap * 2 : 4;
			struct filter_grant *g = realloc(c->grants, cap * sizeof(*g));

			if (!g) {
				rc = -ENOMEM;
				goto err_client;
			}
			c->grants = g;
			c->cap = cap;
		}
		if ((rc = res_get(st, def, &r)) < 0)
			goto err_client;
		r->refs++;
		c->grants[c->n_grants++].res = r;
	} else {
		res_get(st, def, &r); /* known: cannot fail */
	}
	c->grants[i].expires_at = expires_at;
	recompute_expiry(c);
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
		for (uint32_t i = 0; i < c->n_grants; i++) {
			if (strcmp(c->grants[i].res->node.id, res_id))
				continue;
			res_put(st, c->grants[i].res);
			c->grants[i] = c->grants[--c->n_grants];
			break;
		}
		recompute_expiry(c);
		if (c->n_grants)
			return false;
	}
	client_free(st, c);
	return true;
}

int filter_resource_update(struct filter_state *st, const struct fzgw_resource *def)
{
	struct filter_res *r;

	if (!filter_resource_valid(def))
		return -EINVAL;
	if (!(r = res_find(st, def->id)))
		return 0; /* nobody holds it */
	r->def = *def;
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
		struct filter_grant *g = &c->grants[i];

		if (filter_grant_live(g, now)) {
			i++;
			continue;
		}
		st->api->log(st->ctx, FZGW_LOG_INFO, "%s's access to %s expired", c->node.id,
			     g->res->node.id);
		st->api->counter_add(st->ctx, st->cnt_expired_grants, 1);
		add_revocation(rv, c->node.id, g->res->node.id);
		res_put(st, g->res);
		*g = c->grants[--c->n_grants];
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
