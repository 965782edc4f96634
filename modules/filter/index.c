/* SPDX-License-Identifier: Apache-2.0 */
/* A per-client path-compressed binary trie of the prefixes its grants cover. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

/* The address as two host-order halves; IPv4 fills the top 32 bits. */
static void load_key(const struct fzgw_addr *a, uint64_t k[2])
{
	unsigned n = a->family == 4 ? 4 : 16;

	k[0] = k[1] = 0;
	for (unsigned i = 0; i < n; i++)
		k[i / 8] |= (uint64_t)a->bytes[i] << (56 - 8 * (i % 8));
}

static uint64_t mask_hi(unsigned plen)
{
	return plen >= 64 ? ~0ull : plen ? ~0ull << (64 - plen) : 0;
}

static uint64_t mask_lo(unsigned plen)
{
	return plen >= 128 ? ~0ull : plen > 64 ? ~0ull << (128 - plen) : 0;
}

static bool prefix_has(const struct filter_tnode *n, const uint64_t k[2])
{
	return !((k[0] ^ n->key[0]) & mask_hi(n->plen)) && !((k[1] ^ n->key[1]) & mask_lo(n->plen));
}

static unsigned bit_at(const uint64_t k[2], unsigned pos)
{
	return pos < 64 ? (unsigned)(k[0] >> (63 - pos)) & 1 : (unsigned)(k[1] >> (127 - pos)) & 1;
}

/* How many leading bits of @a and @b agree, at most @max. */
static unsigned common_bits(const uint64_t a[2], const uint64_t b[2], unsigned max)
{
	uint64_t d = a[0] ^ b[0];
	unsigned n;

	if (d)
		n = (unsigned)__builtin_clzll(d);
	else if ((d = a[1] ^ b[1]))
		n = 64 + (unsigned)__builtin_clzll(d);
	else
		n = 128;
	return n < max ? n : max;
}

static struct filter_tnode *node_new(struct filter_index *ix, const uint64_t k[2], unsigned plen)
{
	struct filter_tnode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->key[0] = k[0] & mask_hi(plen);
	n->key[1] = k[1] & mask_lo(plen);
	n->plen = (uint8_t)plen;
	ix->nodes++;
	return n;
}

static void node_free(struct filter_index *ix, struct filter_tnode *n)
{
	free(n->e);
	free(n);
	ix->nodes--;
}

/* Puts @n where @old was (under old's parent, or as the root). */
static void replace(struct filter_tnode **root, struct filter_tnode *old, struct filter_tnode *n)
{
	struct filter_tnode *p = old->parent;

	if (n)
		n->parent = p;
	if (!p)
		*root = n;
	else
		p->child[p->child[1] == old] = n;
}

static void attach(struct filter_tnode *parent, unsigned b, struct filter_tnode *n)
{
	parent->child[b] = n;
	n->parent = parent;
}

static int entry_add(struct filter_tnode *n, struct filter_grant *g)
{
	for (uint32_t i = 0; i < n->n; i++) {
		if (n->e[i].g == g) {
			n->e[i].refs++;
			return 0;
		}
	}
	if (n->n == n->cap) {
		uint32_t cap = n->cap ? n->cap * 2 : 1;
		struct filter_tent *e = realloc(n->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		n->e = e;
		n->cap = cap;
	}
	n->e[n->n++] = (struct filter_tent){ g, 1 };
	return 0;
}

/* The node for exactly @k/@plen, created (with the branch node it may need) when @create. */
static struct filter_tnode *find(struct filter_index *ix, struct filter_tnode **root,
				 const uint64_t k[2], unsigned plen, bool create)
{
	struct filter_tnode *n = *root, *parent = NULL, *fresh, *fork;
	unsigned b = 0, common;

	while (n) {
		common = common_bits(k, n->key, plen < n->plen ? plen : n->plen);
		if (common == n->plen && n->plen == plen)
			return n;
		if (common < n->plen)
			break;
		/* n's prefix holds ours: go down */
		parent = n;
		b = bit_at(k, n->plen);
		n = n->child[b];
	}
	if (!create)
		return NULL;
	if (!(fresh = node_new(ix, k, plen)))
		return NULL;
	if (!n) {
		if (parent)
			attach(parent, b, fresh);
		else
			*root = fresh;
		return fresh;
	}
	/* n diverges from us within its own prefix */
	common = common_bits(k, n->key, plen < n->plen ? plen : n->plen);
	if (common == plen) {
		/* ours is a prefix of n's: we go in between */
		replace(root, n, fresh);
		attach(fresh, bit_at(n->key, plen), n);
		return fresh;
	}
	/* a branch node at the first differing bit, n and us below it */
	if (!(fork = node_new(ix, k, common))) {
		node_free(ix, fresh);
		return NULL;
	}
	replace(root, n, fork);
	attach(fork, bit_at(n->key, common), n);
	attach(fork, bit_at(k, common), fresh);
	return fresh;
}

int filter_index_add(struct filter_index *ix, const struct fzgw_addr *a, unsigned plen,
		     struct filter_grant *g)
{
	struct filter_tnode **root = &ix->root[a->family == 6];
	struct filter_tnode *n;
	uint64_t k[2];

	load_key(a, k);
	if (!(n = find(ix, root, k, plen, true)))
		return -ENOMEM;
	if (entry_add(n, g) < 0) {
		if (!n->n)
			filter_index_del(ix, a, plen, NULL); /* the node it may have made */
		return -ENOMEM;
	}
	return 0;
}

/* An empty node with fewer than two children is not needed; its parent may follow. */
static void prune(struct filter_index *ix, struct filter_tnode **root, struct filter_tnode *n)
{
	while (n && !n->n && !(n->child[0] && n->child[1])) {
		struct filter_tnode *p = n->parent, *only = n->child[0] ? n->child[0] : n->child[1];

		replace(root, n, only);
		node_free(ix, n);
		n = p;
	}
}

void filter_index_del(struct filter_index *ix, const struct fzgw_addr *a, unsigned plen,
		      const struct filter_grant *g)
{
	struct filter_tnode **root = &ix->root[a->family == 6];
	struct filter_tnode *n;
	uint64_t k[2];

	load_key(a, k);
	if (!(n = find(ix, root, k, plen, false)))
		return;
	for (uint32_t i = 0; i < n->n; i++) {
		if (n->e[i].g != g)
			continue;
		if (--n->e[i].refs == 0)
			n->e[i] = n->e[--n->n];
		break;
	}
	prune(ix, root, n);
}

unsigned filter_index_path(const struct filter_index *ix, const struct fzgw_addr *a,
			   const struct filter_tnode **path)
{
	const struct filter_tnode *n = ix->root[a->family == 6];
	unsigned count = 0, bits = a->family == 4 ? 32 : 128;
	uint64_t k[2];

	load_key(a, k);
	while (n && prefix_has(n, k)) {
		if (n->n)
			path[count++] = n;
		if (n->plen >= bits)
			break;
		n = n->child[bit_at(k, n->plen)];
	}
	return count;
}

static void free_tree(struct filter_index *ix, struct filter_tnode *n)
{
	while (n) {
		struct filter_tnode *next = n->child[1];

		free_tree(ix, n->child[0]); /* depth at most 129: the recursion is bounded */
		node_free(ix, n);
		n = next;
	}
}

void filter_index_free(struct filter_index *ix)
{
	free_tree(ix, ix->root[0]);
	free_tree(ix, ix->root[1]);
	ix->root[0] = ix->root[1] = NULL;
}
