/* SPDX-License-Identifier: Apache-2.0 */
/* A two-way cache of classifications by (client, address), stale after any policy change. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

int filter_cache_init(struct filter_state *st)
{
	st->cache = calloc(FILTER_CACHE_SIZE, sizeof(*st->cache));
	return st->cache ? 0 : -ENOMEM;
}

void filter_cache_free(struct filter_state *st)
{
	free(st->cache);
	st->cache = NULL;
}

void filter_cache_clear(struct filter_state *st)
{
	memset(st->cache, 0, FILTER_CACHE_SIZE * sizeof(*st->cache));
}

/* The first of the two entries of the set (client, address) falls into. */
static struct filter_cache_entry *set_of(struct filter_state *st, const struct filter_client *c,
					 const struct fzgw_addr *a)
{
	uint64_t h = (uint64_t)(uintptr_t)c * 0x9e3779b97f4a7c15ull;
	unsigned n = a->family == 4 ? 4 : 16;

	for (unsigned i = 0; i < n; i++)
		h = (h ^ a->bytes[i]) * 0x100000001b3ull;
	return &st->cache[((uint32_t)(h ^ h >> 32) & (FILTER_CACHE_SIZE / 2 - 1)) * 2];
}

static bool holds(const struct filter_cache_entry *e, uint32_t gen, const struct filter_client *c,
		  const struct fzgw_addr *a)
{
	return e->gen == gen && e->client == c && filter_addr_equal(&e->addr, a);
}

/*
 * Two-way sets, the most recent use first: two hot addresses of one set do not evict each
 * other. Entries hold grant pointers, valid only while the policy stays as it was: every
 * change bumps st->gen, which retires every entry at once (a client freed and another
 * allocated at the same address cannot match either).
 */
const struct filter_class *filter_cache_classify(struct filter_state *st,
						 const struct filter_client *c,
						 const struct fzgw_addr *a)
{
	struct filter_cache_entry *e = set_of(st, c, a), tmp;

	if (holds(&e[0], st->gen, c, a)) {
		st->cache_hits++;
		return &e[0].cls;
	}
	if (holds(&e[1], st->gen, c, a)) {
		st->cache_hits++;
		tmp = e[0];
		e[0] = e[1];
		e[1] = tmp;
		return &e[0].cls;
	}
	st->cache_misses++;
	e[1] = e[0];
	e[0].client = c;
	e[0].gen = st->gen;
	e[0].addr = *a;
	filter_classify(c, a, &e[0].cls);
	return &e[0].cls;
}
