/* SPDX-License-Identifier: Apache-2.0 */
/* Owned copies of resources: the resource, its filters, their ranges and its pattern in one
 * block, so that the borrowed pointers of the ABI stay valid as long as the copy. */
#include "resdef.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Layout: [struct fzgw_resource][filters][ranges of every filter][pattern]. The first two hold
 * pointers (8-byte multiples), ranges are 2-byte aligned and the pattern bytes come last.
 */
static struct fzgw_resource *build(const struct fzgw_resource *base,
				   const struct fzgw_resource *ff)
{
	size_t n_ranges = 0, plen = base->pattern ? strlen(base->pattern) + 1 : 0;
	size_t size, fsize, rsize;
	struct fzgw_resource *r;
	struct fzgw_filter *f;
	struct fzgw_port_range *rg;
	char *pat;

	for (uint32_t i = 0; i < ff->n_filters; i++)
		if (__builtin_add_overflow(n_ranges, ff->filters[i].n_ranges, &n_ranges))
			return NULL;
	if (__builtin_mul_overflow((size_t)ff->n_filters, sizeof(*f), &fsize) ||
	    __builtin_mul_overflow(n_ranges, sizeof(*rg), &rsize) ||
	    __builtin_add_overflow(sizeof(*r) + plen, fsize, &size) ||
	    __builtin_add_overflow(size, rsize, &size))
		return NULL;
	if (!(r = malloc(size)))
		return NULL;
	*r = *base;
	f = (struct fzgw_filter *)(r + 1);
	rg = (struct fzgw_port_range *)(f + ff->n_filters);
	pat = (char *)(rg + n_ranges);
	r->n_filters = ff->n_filters;
	r->filters = ff->n_filters ? f : NULL;
	for (uint32_t i = 0; i < ff->n_filters; i++) {
		f[i] = ff->filters[i];
		f[i].ranges = f[i].n_ranges ? rg : NULL;
		if (f[i].n_ranges)
			memcpy(rg, ff->filters[i].ranges, f[i].n_ranges * sizeof(*rg));
		rg += f[i].n_ranges;
	}
	r->pattern = NULL;
	if (plen) {
		memcpy(pat, base->pattern, plen);
		r->pattern = pat;
	}
	return r;
}

struct fzgw_resource *pz_res_dup(const struct fzgw_resource *r)
{
	return build(r, r);
}

struct fzgw_resource *pz_res_with_filters(const struct fzgw_resource *base,
					  const struct fzgw_resource *filters_from)
{
	return build(base, filters_from);
}
