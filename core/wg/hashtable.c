/* SPDX-License-Identifier: Apache-2.0 */
/* Chained hash table with power-of-two buckets: O(1) peer and index lookups at any scale. */
#include <errno.h>
#include <stdlib.h>

#include "hashtable.h"

int fzgw_wg_htable_init(struct fzgw_wg_htable *t, size_t initial_buckets)
{
	size_t n = 16;

	while (n < initial_buckets)
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->mask = n - 1;
	t->count = 0;
	return 0;
}

void fzgw_wg_htable_destroy(struct fzgw_wg_htable *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->count = 0;
}

static void htable_grow(struct fzgw_wg_htable *t)
{
	size_t n = (t->mask + 1) * 2, i;
	struct fzgw_wg_hnode **b, *node, *next;

	b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (i = 0; i <= t->mask; i++) {
		for (node = t->buckets[i]; node; node = next) {
			next = node->next;
			node->next = b[node->hash & (n - 1)];
			b[node->hash & (n - 1)] = node;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->mask = n - 1;
}

void fzgw_wg_htable_add(struct fzgw_wg_htable *t, struct fzgw_wg_hnode *n,
			uint64_t hash)
{
	struct fzgw_wg_hnode **head;

	if (t->count >= t->mask + 1)
		htable_grow(t);
	n->hash = hash;
	head = &t->buckets[hash & t->mask];
	n->next = *head;
	*head = n;
	t->count++;
}

void fzgw_wg_htable_del(struct fzgw_wg_htable *t, struct fzgw_wg_hnode *n)
{
	struct fzgw_wg_hnode **pp = &t->buckets[n->hash & t->mask];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			t->count--;
			return;
		}
	}
}
