/* SPDX-License-Identifier: Apache-2.0 */
/* Resource classification: which grants cover an address, how they rank, whether they admit. */
#include <string.h>

#include "filter.h"

enum { PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58 };

bool filter_grant_live(const struct filter_grant *g, int64_t now)
{
	return !g->expires_at || now < g->expires_at;
}

/* Whether @port is in @f's ranges: sorted and disjoint, so a binary search. */
static bool port_in(const struct fzgw_filter *f, uint16_t port)
{
	uint32_t lo = 0, hi = f->n_ranges;

	/* the first range whose last port is >= port */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (f->ranges[mid].last < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->n_ranges && f->ranges[lo].first <= port;
}

enum filter_reason filter_admits(const struct fzgw_resource *r, uint8_t proto, bool has_port,
				 uint16_t port)
{
	uint8_t want;

	if (!r->n_filters)
		return FILTER_OK;
	switch (proto) {
	case PROTO_TCP:
		want = FZGW_FILTER_TCP;
		break;
	case PROTO_UDP:
		want = FZGW_FILTER_UDP;
		break;
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		want = FZGW_FILTER_ICMP;
		break;
	default:
		return FILTER_PROTO_DENIED;
	}
	/* merged: at most one filter per protocol */
	for (uint32_t i = 0; i < r->n_filters; i++) {
		const struct fzgw_filter *f = &r->filters[i];

		if (f->proto != want)
			continue;
		/* ICMP is a yes/no: any type passes once it is allowed */
		if (want == FZGW_FILTER_ICMP || !f->n_ranges)
			return FILTER_OK;
		return has_port && port_in(f, port) ? FILTER_OK : FILTER_PORT_DENIED;
	}
	return FILTER_PROTO_DENIED;
}

/* The prefix length a DNS grant covers @a with: a host prefix for its proxy IPs, or -1. */
static int proxy_covers(const struct filter_grant *g, const struct fzgw_addr *a)
{
	for (const struct filter_proxy *p = g->proxies; p; p = p->next)
		for (uint8_t i = 0; i < p->n; i++)
			if (filter_addr_equal(&p->ips[i], a))
				return a->family == 4 ? 32 : 128;
	return -1;
}

/* The prefix length a grant covers @a with, or -1: the reference the index must agree with. */
static int covers(const struct filter_grant *g, const struct fzgw_addr *a)
{
	const struct fzgw_resource *r = &g->res->def;

	switch (r->type) {
	case FZGW_RES_CIDR:
		return filter_addr_in(a, &r->addr, r->prefix_len) ? r->prefix_len : -1;
	case FZGW_RES_INTERNET:
		return filter_in_proxy(a) || filter_internet_excluded(a) ? -1 : 0;
	case FZGW_RES_DNS:
		return proxy_covers(g, a);
	}
	return -1;
}

/* Ranking among candidates: longer prefix first, then the resource id. */
static bool better(const struct filter_grant *a, int alen, const struct filter_grant *b, int blen)
{
	if (alen != blen)
		return alen > blen;
	return strcmp(a->res->node.id, b->res->node.id) < 0;
}

/*
 * The index holds every grant at the prefixes it may cover; the Internet sits at /0 and
 * really covers only what it does not exclude. Returns the prefix length, or -1 and then
 * tells whether an Internet grant saw the address excluded.
 */
static int entry_covers(const struct filter_tnode *n, const struct filter_grant *g,
			const struct fzgw_addr *a, bool *excluded)
{
	/* only /0 can hold the Internet: no look at the grant elsewhere */
	if (n->plen || g->res->def.type != FZGW_RES_INTERNET)
		return n->plen;
	if (filter_in_proxy(a))
		return -1;
	if (filter_internet_excluded(a)) {
		*excluded = true;
		return -1;
	}
	return 0;
}

void filter_classify(const struct filter_client *c, const struct fzgw_addr *a,
		     struct filter_class *out)
{
	const struct filter_tnode *path[FILTER_PATH_MAX];
	unsigned n = filter_index_path(&c->ix, a, path);
	int len[FILTER_MAX_CAND];

	memset(out, 0, sizeof(*out));
	for (unsigned p = 0; p < n; p++) {
		for (uint32_t e = 0; e < path[p]->n; e++) {
			const struct filter_grant *g = filter_tent_at(path[p], e)->g;
			int l = entry_covers(path[p], g, a, &out->excluded), k;

			if (l < 0)
				continue;
			if (out->n == FILTER_MAX_CAND) {
				out->overflow = true;
				continue;
			}
			/* insertion sort: few candidates */
			for (k = out->n; k > 0; k--) {
				if (!better(g, l, out->cand[k - 1], len[k - 1]))
					break;
				out->cand[k] = out->cand[k - 1];
				len[k] = len[k - 1];
			}
			out->cand[k] = g;
			len[k] = l;
			out->n++;
		}
	}
}

/* What a candidate (covering with @l) tells about the query; true when it decides. */
struct tally {
	const struct filter_grant *best;
	int best_len;
	bool expired, excluded;
};

static bool weigh(struct tally *v, const struct filter_grant *g, int l,
		  const struct filter_query *q)
{
	if (filter_admits(&g->res->def, q->proto, q->has_port, q->port) == FILTER_OK) {
		if (filter_grant_live(g, q->now))
			return true;
		v->expired = true;
	}
	if (!v->best || better(g, l, v->best, v->best_len)) {
		v->best = g;
		v->best_len = l;
	}
	return false;
}

static enum filter_reason conclude(const struct tally *v, const struct filter_query *q)
{
	if (v->expired)
		return FILTER_EXPIRED;
	if (v->best)
		return filter_admits(&v->best->res->def, q->proto, q->has_port, q->port);
	return v->excluded ? FILTER_INTERNET_EXCLUDED : FILTER_NO_RESOURCE;
}

/* Every covering grant from the index, for addresses with more than FILTER_MAX_CAND. */
static enum filter_reason decide_index(const struct filter_client *c,
				       const struct filter_query *q)
{
	const struct filter_tnode *path[FILTER_PATH_MAX];
	unsigned n = filter_index_path(&c->ix, q->addr, path);
	struct tally v = { NULL, -1, false, false };

	for (unsigned p = 0; p < n; p++) {
		for (uint32_t e = 0; e < path[p]->n; e++) {
			const struct filter_grant *g = filter_tent_at(path[p], e)->g;
			int l = entry_covers(path[p], g, q->addr, &v.excluded);

			if (l >= 0 && weigh(&v, g, l, q))
				return FILTER_OK;
		}
	}
	return conclude(&v, q);
}

/*
 * Accepted when any live candidate admits the packet (admitting candidates rank first).
 * Otherwise the reason is "expired" when only an expired grant would have admitted it, or
 * the best candidate's own reason.
 */
enum filter_reason filter_decide_class(const struct filter_client *c,
				       const struct filter_class *cls, const struct filter_query *q)
{
	bool expired = false;

	if (cls->overflow)
		return decide_index(c, q);
	for (int k = 0; k < cls->n; k++) {
		const struct filter_grant *g = cls->cand[k];

		if (filter_admits(&g->res->def, q->proto, q->has_port, q->port) != FILTER_OK)
			continue;
		if (filter_grant_live(g, q->now))
			return FILTER_OK;
		expired = true;
	}
	if (expired)
		return FILTER_EXPIRED;
	if (cls->n) {
		const struct fzgw_resource *best = &cls->cand[0]->res->def;

		return filter_admits(best, q->proto, q->has_port, q->port);
	}
	return cls->excluded ? FILTER_INTERNET_EXCLUDED : FILTER_NO_RESOURCE;
}

enum filter_reason filter_decide_scan(const struct filter_client *c, const struct filter_query *q)
{
	struct tally v = { NULL, -1, false, false };

	for (uint32_t i = 0; i < c->n_grants; i++) {
		const struct filter_grant *g = c->grants[i];
		int l = covers(g, q->addr);

		if (l < 0) {
			if (g->res->def.type == FZGW_RES_INTERNET && !filter_in_proxy(q->addr))
				v.excluded = true;
			continue;
		}
		if (weigh(&v, g, l, q))
			return FILTER_OK;
	}
	return conclude(&v, q);
}
