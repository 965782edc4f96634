/* SPDX-License-Identifier: Apache-2.0 */
/* Each client's grants from the bus events, for `firezone-gateway status`. */
#include "grants.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "log.h"

#define GRANTS_BUCKETS 1024

static uint32_t hash_id(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static struct fzgw_grants_client **slot(const struct fzgw_grants *g, const char *id)
{
	struct fzgw_grants_client **pp = &g->bucket[hash_id(id) & (g->nbuckets - 1)];

	while (*pp && strcmp((*pp)->client_id, id))
		pp = &(*pp)->next;
	return pp;
}

static void client_free(struct fzgw_grants *g, struct fzgw_grants_client **pp)
{
	struct fzgw_grants_client *c = *pp;

	*pp = c->next;
	free(c->g);
	free(c);
	g->n_clients--;
}

/* The resource's address as text: "net/len", the DNS pattern, "internet". */
static void resource_text(const struct fzgw_resource *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	switch (r->type) {
	case FZGW_RES_CIDR:
		if ((r->addr.family == 4 || r->addr.family == 6) &&
		    inet_ntop(r->addr.family == 4 ? AF_INET : AF_INET6, r->addr.bytes, a, sizeof(a)))
			snprintf(buf, len, "%s/%u", a, r->prefix_len);
		break;
	case FZGW_RES_DNS:
		if (r->pattern)
			snprintf(buf, len, "%s", r->pattern);
		break;
	case FZGW_RES_INTERNET:
		snprintf(buf, len, "internet");
		break;
	}
}

static bool id_ok(const char *id, size_t size)
{
	return memchr(id, '\0', size) && id[0];
}

void fzgw_grants_on_authorized(void *state, const struct fzgw_event *ev)
{
	struct fzgw_grants *g = state;
	const struct fzgw_ev_authorization *a = ev->data;
	struct fzgw_grants_client **pp, *c;
	struct fzgw_grant *gr = NULL;

	if (ev->size < sizeof(*a) || !id_ok(a->client_id, sizeof(a->client_id)) ||
	    !id_ok(a->resource.id, sizeof(a->resource.id)))
		return;
	pp = slot(g, a->client_id);
	if (!(c = *pp)) {
		if (!(c = calloc(1, sizeof(*c)))) {
			fzgw_warn("status: out of memory for the grants of client %s", a->client_id);
			return;
		}
		strcpy(c->client_id, a->client_id);
		*pp = c;
		g->n_clients++;
	}
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->g[i].resource_id, a->resource.id))
			gr = &c->g[i];
	if (!gr) {
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 4;
			struct fzgw_grant *ng = realloc(c->g, cap * sizeof(*ng));

			if (!ng) {
				fzgw_warn("status: out of memory for the grants of client %s", a->client_id);
				return;
			}
			c->g = ng;
			c->cap = cap;
		}
		gr = &c->g[c->n++];
		memset(gr, 0, sizeof(*gr));
		strcpy(gr->resource_id, a->resource.id);
	}
	gr->expires_at = a->expires_at;
	resource_text(&a->resource, gr->address, sizeof(gr->address));
}

void fzgw_grants_on_revoked(void *state, const struct fzgw_event *ev)
{
	struct fzgw_grants *g = state;
	const struct fzgw_ev_revoke *r = ev->data;
	struct fzgw_grants_client **pp, *c;

	if (ev->size < sizeof(*r) || !id_ok(r->client_id, sizeof(r->client_id)) ||
	    !memchr(r->resource_id, '\0', sizeof(r->resource_id)))
		return;
	pp = slot(g, r->client_id);
	if (!(c = *pp))
		return;
	if (!r->resource_id[0]) {
		client_free(g, pp);
		return;
	}
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->g[i].resource_id, r->resource_id)) {
			c->g[i] = c->g[--c->n];
			break;
		}
}

void fzgw_grants_on_removed(void *state, const struct fzgw_event *ev)
{
	struct fzgw_grants *g = state;
	const struct fzgw_ev_peer *p = ev->data;
	struct fzgw_grants_client **pp;

	if (ev->size < sizeof(*p) || !id_ok(p->client_id, sizeof(p->client_id)))
		return;
	if (*(pp = slot(g, p->client_id)))
		client_free(g, pp);
}

void fzgw_grants_on_resource(void *state, const struct fzgw_event *ev)
{
	struct fzgw_grants *g = state;
	const struct fzgw_ev_resource *r = ev->data;
	char text[sizeof(((struct fzgw_grant *)0)->address)];

	if (ev->size < sizeof(*r) || !id_ok(r->resource.id, sizeof(r->resource.id)))
		return;
	resource_text(&r->resource, text, sizeof(text));
	for (uint32_t b = 0; b < g->nbuckets; b++)
		for (struct fzgw_grants_client *c = g->bucket[b]; c; c = c->next)
			for (size_t i = 0; i < c->n; i++)
				if (!strcmp(c->g[i].resource_id, r->resource.id))
					strcpy(c->g[i].address, text);
}

int fzgw_grants_start(struct fzgw_grants *g, struct fzgw_core *core)
{
	static const struct {
		uint32_t type;
		fzgw_event_fn fn;
	} subs[] = {
		{ FZGW_EV_PEER_AUTHORIZED, fzgw_grants_on_authorized },
		{ FZGW_EV_ACCESS_REVOKED, fzgw_grants_on_revoked },
		{ FZGW_EV_PEER_REMOVED, fzgw_grants_on_removed },
		{ FZGW_EV_RESOURCE_UPDATED, fzgw_grants_on_resource },
	};
	int rc;

	memset(g, 0, sizeof(*g));
	g->nbuckets = GRANTS_BUCKETS;
	if (!(g->bucket = calloc(g->nbuckets, sizeof(*g->bucket))) ||
	    !(g->ctx = calloc(1, sizeof(*g->ctx)))) {
		fzgw_grants_stop(g);
		return -ENOMEM;
	}
	g->ctx->core = core;
	snprintf(g->ctx->name, sizeof(g->ctx->name), "status");
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if ((rc = fzgw_bus_subscribe(&core->bus, g->ctx, subs[i].type, subs[i].fn, g)) < 0) {
			fzgw_grants_stop(g);
			return rc;
		}
	return 0;
}

void fzgw_grants_stop(struct fzgw_grants *g)
{
	if (g->ctx) {
		if (g->ctx->core)
			fzgw_bus_unsubscribe_all(&g->ctx->core->bus, g->ctx);
		free(g->ctx);
	}
	for (uint32_t b = 0; g->bucket && b < g->nbuckets; b++)
		while (g->bucket[b])
			client_free(g, &g->bucket[b]);
	free(g->bucket);
	memset(g, 0, sizeof(*g));
}

const struct fzgw_grant *fzgw_grants_of(const struct fzgw_grants *g, const char *client_id, size_t *n)
{
	const struct fzgw_grants_client *c;

	*n = 0;
	if (!g->bucket || !client_id)
		return NULL;
	if (!(c = *slot(g, client_id)))
		return NULL;
	*n = c->n;
	return c->g;
}
