/* SPDX-License-Identifier: Apache-2.0 */
/* Intrusive chained hash table that doubles when full: peers by key, sessions by index. */
#ifndef FZGW_WG_HASHTABLE_H
#define FZGW_WG_HASHTABLE_H

#include <stddef.h>
#include <stdint.h>

struct fzgw_wg_hnode {
	struct fzgw_wg_hnode *next;
	uint64_t hash;
};

struct fzgw_wg_htable {
	struct fzgw_wg_hnode **buckets;
	size_t mask;
	size_t count;
};

int fzgw_wg_htable_init(struct fzgw_wg_htable *t, size_t initial_buckets);
void fzgw_wg_htable_destroy(struct fzgw_wg_htable *t);
/* Inserts @n with @hash; grows the table when the load passes 1. Never fails:
 * if growing fails the table just gets longer chains. */
void fzgw_wg_htable_add(struct fzgw_wg_htable *t, struct fzgw_wg_hnode *n,
			uint64_t hash);
void fzgw_wg_htable_del(struct fzgw_wg_htable *t, struct fzgw_wg_hnode *n);

/* First node of the chain that may hold @hash; callers compare n->hash and the key. */
static inline struct fzgw_wg_hnode *
fzgw_wg_htable_bucket(const struct fzgw_wg_htable *t, uint64_t hash)
{
	return t->buckets[hash & t->mask];
}

#endif
