/* SPDX-License-Identifier: Apache-2.0 */
/* The filter's copy of a resource: checked, deep-copied, filters merged per protocol. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

static bool id_valid(const char *id, size_t size)
{
	return id[0] && memchr(id, '\0', size);
}

static bool filters_valid(const struct fzgw_resource *r)
{
	if (r->n_filters && !r->filters)
		return false;
	for (uint32_t i = 0; i < r->n_filters; i++) {
		const struct fzgw_filter *f = &r->filters[i];

		if (f->proto < FZGW_FILTER_TCP || f->proto > FZGW_FILTER_ICMP ||
		    (f->n_ranges && !f->ranges))
			return false;
		for (uint32_t k = 0; k < f->n_ranges; k++)
			if (f->ranges[k].first > f->ranges[k].last)
				return false;
	}
	return true;
}

bool filter_resource_valid(const struct fzgw_resource *r)
{
	if (!id_valid(r->id, sizeof(r->id)))
		return false;
	switch (r->type) {
	case FZGW_RES_CIDR:
		if (!(r->addr.family == 4 && r->prefix_len <= 32) &&
		    !(r->addr.family == 6 && r->prefix_len <= 128))
			return false;
		break;
	case FZGW_RES_DNS:
	case FZGW_RES_INTERNET:
		break;
	default:
		return false;
	}
	return filters_valid(r);
}

static int cmp_range(const void *pa, const void *pb)
{
	const struct fzgw_port_range *a = pa, *b = pb;

	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return (a->last > b->last) - (a->last < b->last);
}

/* Sorts @v and merges overlapping or touching ranges in place; returns how many are left. */
static uint32_t merge(struct fzgw_port_range *v, uint32_t n)
{
	uint32_t m = 0;

	qsort(v, n, sizeof(*v), cmp_range);
	for (uint32_t i = 0; i < n; i++) {
		if (m && v[i].first <= (uint32_t)v[m - 1].last + 1) {
			if (v[i].last > v[m - 1].last)
				v[m - 1].last = v[i].last;
			continue;
		}
		v[m++] = v[i];
	}
	return m;
}

/* What the filters of one protocol add up to. */
struct proto_sum {
	bool seen, all; /* a filter of it; one of them without ranges (every port) */
	size_t n;       /* ranges, before and then after merging */
	struct fzgw_port_range *v;
};

/*
 * The merged filters of @def as one block: the filter array first, then the ranges. *out is
 * NULL without filters. 0 or -ENOMEM.
 */
static int filters_copy(const struct fzgw_resource *def, struct fzgw_filter **out,
			uint32_t *n_out)
{
	static const uint8_t order[] = { FZGW_FILTER_TCP, FZGW_FILTER_UDP, FZGW_FILTER_ICMP };
	struct proto_sum p[FZGW_FILTER_ICMP + 1];
	struct fzgw_port_range *tmp = NULL, *at;
	struct fzgw_filter *blk;
	size_t total = 0, kept = 0, size;
	uint32_t nf = 0;

	*out = NULL;
	*n_out = 0;
	if (def->type == FZGW_RES_INTERNET || !def->n_filters)
		return 0;
	memset(p, 0, sizeof(p));
	for (uint32_t i = 0; i < def->n_filters; i++) {
		const struct fzgw_filter *f = &def->filters[i];

		p[f->proto].seen = true;
		if (!f->n_ranges)
			p[f->proto].all = true;
		else if (f->proto != FZGW_FILTER_ICMP)
			p[f->proto].n += f->n_ranges;
	}
	for (int k = FZGW_FILTER_TCP; k <= FZGW_FILTER_UDP; k++)
		if (!p[k].all)
			total += p[k].n;
	if (total > SIZE_MAX / sizeof(*tmp) / 2)
		return -ENOMEM;
	if (total && !(tmp = malloc(total * sizeof(*tmp))))
		return -ENOMEM;
	/* gather each protocol's ranges, then sort and merge them */
	at = tmp;
	for (int k = FZGW_FILTER_TCP; k <= FZGW_FILTER_UDP; k++) {
		if (p[k].all) {
			p[k].n = 0;
			continue;
		}
		p[k].v = at;
		at += p[k].n;
		p[k].n = 0;
	}
	for (uint32_t i = 0; i < def->n_filters; i++) {
		const struct fzgw_filter *f = &def->filters[i];
		struct proto_sum *s = &p[f->proto];

		if (f->proto == FZGW_FILTER_ICMP || s->all)
			continue;
		memcpy(s->v + s->n, f->ranges, f->n_ranges * sizeof(*f->ranges));
		s->n += f->n_ranges;
	}
	for (int k = FZGW_FILTER_TCP; k <= FZGW_FILTER_UDP; k++) {
		p[k].n = p[k].n ? merge(p[k].v, (uint32_t)p[k].n) : 0;
		kept += p[k].n;
	}
	for (int k = FZGW_FILTER_TCP; k <= FZGW_FILTER_ICMP; k++)
		nf += p[k].seen;
	size = nf * sizeof(*blk) + kept * sizeof(*tmp);
	if (!(blk = malloc(size))) {
		free(tmp);
		return -ENOMEM;
	}
	at = (struct fzgw_port_range *)(blk + nf);
	nf = 0;
	for (size_t i = 0; i < sizeof(order); i++) {
		struct proto_sum *s = &p[order[i]];

		if (!s->seen)
			continue;
		blk[nf] = (struct fzgw_filter){ order[i], (uint32_t)s->n, s->n ? at : NULL };
		if (s->n)
			memcpy(at, s->v, s->n * sizeof(*at));
		at += s->n;
		nf++;
	}
	free(tmp);
	*out = blk;
	*n_out = nf;
	return 0;
}

struct filter_res *filter_res_new(const struct fzgw_resource *def)
{
	size_t plen = def->pattern ? strlen(def->pattern) + 1 : 0;
	struct filter_res *r;
	struct fzgw_filter *f;
	uint32_t nf;

	if (plen > SIZE_MAX - sizeof(*r) || filters_copy(def, &f, &nf) < 0)
		return NULL;
	if (!(r = calloc(1, sizeof(*r) + plen))) {
		free(f);
		return NULL;
	}
	memcpy(r->node.id, def->id, sizeof(r->node.id));
	r->node.hash = filter_hash_id(r->node.id);
	r->def = *def;
	r->def.filters = f;
	r->def.n_filters = nf;
	r->def.pattern = NULL;
	if (plen) {
		memcpy(r->pattern, def->pattern, plen);
		r->def.pattern = r->pattern;
	}
	return r;
}

int filter_res_set_filters(struct filter_res *r, const struct fzgw_resource *def)
{
	struct fzgw_filter *f;
	uint32_t nf;

	if (filters_copy(def, &f, &nf) < 0)
		return -ENOMEM;
	free((void *)r->def.filters);
	r->def.filters = f;
	r->def.n_filters = nf;
	return 0;
}

void filter_res_free(struct filter_res *r)
{
	if (!r)
		return;
	free((void *)r->def.filters);
	free(r);
}
