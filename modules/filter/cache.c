/* SPDX-License-Identifier: Apache-2.0 */
/* A direct-mapped cache of classifications by (client, address), stale after any policy change. */
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

static uint32_t slot(const struct filter_client *c, const struct fzgw_addr *a)
{
	uint64_t h = (uint64_t)(uintptr_t)c * 0x9e3779b97f4a7c15ull;
	unsigned n = a->family == 4 ? 4 : 16;

	for (unsigned i = 0; i < n; i++)
		h = (h ^ a->bytes[i]) * 0x100000001b3ull;
	return (uint32_t)(h ^ h >> 32) & (FILTER_CACHE_SIZE - 1);
}

/*
 * Entries hold grant indexes, valid only while the client's grants stay as they were: every
 * change bumps st->gen, which retires every entry at once (a client freed and another
 * allocated at the same address cannot match either).
 */
const struct filter_class *filter_cache_classify(struct filter_state *st,
						 const struct filter_client *c,
						 const struct fzgw_addr *a)
{
	struct filter_cache_entry *e = &st->cache[slot(c, a)];

	if (e->gen == st->gen && e->client == c && filter_addr_equal(&e->addr, a)) {
		st->cache_hits++;
		return &e->cls;
	}
	st->cache_misses++;
	e->client = c;
	e->gen = st->gen;
	e->addr = *a;
	filter_classify(c, a, &e->cls);
	return &e->cls;
}
