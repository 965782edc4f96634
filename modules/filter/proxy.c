/* SPDX-License-Identifier: Apache-2.0 */
/* DNS resources: the proxy IPs a client assigned to a resource's names, one host prefix each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

void filter_proxy_free_all(struct filter_client *c, struct filter_grant *g)
{
	while (g->proxies) {
		struct filter_proxy *p = g->proxies;

		g->proxies = p->next;
		c->n_domains--;
		free(p);
	}
}

/* Distinct proxy-range addresses only: anything else would let a name cover a real host. */
static int copy_ips(const struct fzgw_ev_proxy_ips *e, struct filter_proxy *out)
{
	out->n = 0;
	for (uint8_t i = 0; i < e->n; i++) {
		const struct fzgw_addr *a = &e->ips[i];
		bool dup = false;

		if ((a->family != 4 && a->family != 6) || !filter_in_proxy(a))
			return -EINVAL;
		for (uint8_t k = 0; k < out->n && !dup; k++)
			dup = filter_addr_equal(&out->ips[k], a);
		if (!dup)
			out->ips[out->n++] = *a;
	}
	return 0;
}

/* Whether @a and @b hold the same addresses (each without duplicates). */
static bool same_set(const struct filter_proxy *a, const struct filter_proxy *b)
{
	if (a->n != b->n)
		return false;
	for (uint8_t i = 0; i < b->n; i++) {
		bool found = false;

		for (uint8_t k = 0; k < a->n && !found; k++)
			found = filter_addr_equal(&a->ips[k], &b->ips[i]);
		if (!found)
			return false;
	}
	return true;
}

static struct filter_proxy **proxy_find(struct filter_grant *g, const char *domain)
{
	struct filter_proxy **pp = &g->proxies;

	while (*pp && strcmp((*pp)->domain, domain))
		pp = &(*pp)->next;
	return pp;
}

/*
 * The set for (client, resource, domain) becomes the event's; n = 0 removes it. The old set's
 * index entries go before the new one's come in, so an address moving between two names of
 * the same grant is counted right.
 */
int filter_proxy_set(struct filter_state *st, const struct fzgw_ev_proxy_ips *e)
{
	struct filter_proxy next, **pp, *p;
	struct filter_client *c;
	struct filter_grant *g;
	bool indexed;
	int rc;

	if (!memchr(e->client_id, '\0', sizeof(e->client_id)) ||
	    !memchr(e->resource_id, '\0', sizeof(e->resource_id)) ||
	    !memchr(e->domain, '\0', sizeof(e->domain)) || !e->domain[0] ||
	    e->n > FZGW_MAX_PROXY_IPS)
		return -EINVAL;
	memset(&next, 0, sizeof(next));
	if (copy_ips(e, &next) < 0)
		return -EINVAL;
	c = filter_client_find(st, e->client_id);
	if (!c || !(g = filter_grant_find(c, e->resource_id)))
		return -ENOENT; /* revoked meanwhile: nothing to cover */
	indexed = g->res->def.type == FZGW_RES_DNS;
	pp = proxy_find(g, e->domain);
	if (!*pp && !next.n)
		return 0;
	/* the same set again changes nothing: the cache of every client stays (hardening 4) */
	if (*pp && same_set(*pp, &next))
		return 0;
	if (!*pp) {
		if (c->n_domains >= FILTER_MAX_DOMAINS)
			return -ENOSPC;
		if (!(p = calloc(1, sizeof(*p))))
			return -ENOMEM;
		memcpy(p->domain, e->domain, sizeof(p->domain));
		*pp = p;
		c->n_domains++;
	}
	p = *pp;
	if (indexed)
		filter_proxy_index(c, g, p, false);
	filter_policy_changed(st);
	if (!next.n) {
		*pp = p->next;
		c->n_domains--;
		free(p);
		return 0;
	}
	p->n = next.n;
	memcpy(p->ips, next.ips, sizeof(p->ips));
	if (indexed && (rc = filter_proxy_index(c, g, p, true)) < 0) {
		/* fail closed: the name covers nothing rather than its old addresses */
		*pp = p->next;
		c->n_domains--;
		free(p);
		return rc;
	}
	return 0;
}
