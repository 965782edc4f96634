/* SPDX-License-Identifier: Apache-2.0 */
/* A small chained hash table keyed by id strings, for clients and resources. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

/* FNV-1a: ids come from the control plane, which is trusted not to flood one bucket. */
uint32_t filter_hash_id(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++) {
		h ^= (uint8_t)*id;
		h *= 16777619u;
	}
	return h;
}

int filter_htab_init(struct filter_htab *t, uint32_t buckets)
{
	t->n = 0;
	t->mask = buckets - 1;
	t->b = calloc(buckets, sizeof(*t->b));
	return t->b ? 0 : -ENOMEM;
}

void filter_htab_free(struct filter_htab *t)
{
	free(t->b);
	memset(t, 0, sizeof(*t));
}

struct filter_hnode *filter_htab_find(const struct filter_htab *t, const char *id)
{
	uint32_t h = filter_hash_id(id);

	for (struct filter_hnode *n = t->b[h & t->mask]; n; n = n->next)
		if (n->hash == h && !strcmp(n->id, id))
			return n;
	return NULL;
}

static void grow(struct filter_htab *t)
{
	uint32_t size = (t->mask + 1) * 2;
	struct filter_hnode **b;

	if (!size) /* 2^31 buckets already: chains grow instead */
		return;
	if (!(b = calloc(size, sizeof(*b))))
		return; /* longer chains, still correct */
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct filter_hnode *n = t->b[i], *next;

		for (; n; n = next) {
			next = n->next;
			n->next = b[n->hash & (size - 1)];
			b[n->hash & (size - 1)] = n;
		}
	}
	free(t->b);
	t->b = b;
	t->mask = size - 1;
}

int filter_htab_add(struct filter_htab *t, struct filter_hnode *n)
{
	if (t->n >= t->mask + 1)
		grow(t);
	n->next = t->b[n->hash & t->mask];
	t->b[n->hash & t->mask] = n;
	t->n++;
	return 0;
}

void filter_htab_del(struct filter_htab *t, struct filter_hnode *n)
{
	for (struct filter_hnode **pp = &t->b[n->hash & t->mask]; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			t->n--;
			return;
		}
	}
}
