/* SPDX-License-Identifier: Apache-2.0 */
/* A per-client table of the prefixes its grants cover, probed once per prefix length in use. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

#define MIN_SLOTS 8

/*
 * Why a hash per prefix length and not a trie: an address is looked up with one probe per
 * length the client uses (a handful in practice), and those probes do not depend on each
 * other, so their cache misses overlap; a trie walk is a chain of dependent misses, about
 * log2(prefixes) long. Proxy IPs come from clients, hence a secret seed.
 */
static uint64_t seed;

static void seed_once(void)
{
	/* libsodium's generator blocks until the kernel's is ready: never a guessable fallback */
	while (!seed) {
		if (sodium_init() < 0)
			abort();
		randombytes_buf(&seed, sizeof(seed));
	}
}

uint64_t filter_index_seed(void)
{
	seed_once();
	return seed;
}

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

static uint64_t hash(const uint64_t k[2], unsigned fam6, unsigned plen)
{
	uint64_t h = (k[0] ^ seed) * 0x9e3779b97f4a7c15ull;

	h ^= (k[1] + (plen | fam6 << 8)) * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 32;
	h *= 0x165667b19e3779f9ull;
	return h ^ h >> 29;
}

static bool is(const struct filter_tnode *n, const uint64_t k[2], unsigned fam, unsigned plen)
{
	return n->family == fam && n->plen == plen && n->key[0] == k[0] && n->key[1] == k[1];
}

/* The slot holding (fam, k/plen), or the empty one where it would go. @k is masked. */
static uint32_t probe(const struct filter_index *ix, const uint64_t k[2], unsigned fam,
		      unsigned plen)
{
	uint32_t i = (uint32_t)hash(k, fam == 6, plen) & ix->mask;

	while (ix->slot[i].family && !is(&ix->slot[i], k, fam, plen))
		i = (i + 1) & ix->mask;
	return i;
}

static int resize(struct filter_index *ix, uint32_t size)
{
	struct filter_tnode *old = ix->slot, *slot = calloc(size, sizeof(*slot));
	uint32_t old_size = old ? ix->mask + 1 : 0;

	if (!slot)
		return -ENOMEM;
	ix->slot = slot;
	ix->mask = size - 1;
	for (uint32_t i = 0; i < old_size; i++)
		if (old[i].family)
			ix->slot[probe(ix, old[i].key, old[i].family, old[i].plen)] = old[i];
	free(old);
	return 0;
}

/* The lengths in use per family, ascending, each with how many prefixes it has. */
static int len_add(struct filter_index *ix, unsigned f, unsigned plen)
{
	struct filter_plen *l = ix->lens[f];
	unsigned i = 0;

	while (i < ix->n_lens[f] && l[i].plen < plen)
		i++;
	if (i < ix->n_lens[f] && l[i].plen == plen) {
		l[i].count++;
		return 0;
	}
	if (!(l = realloc(l, (ix->n_lens[f] + 1u) * sizeof(*l))))
		return -ENOMEM;
	memmove(l + i + 1, l + i, (ix->n_lens[f] - i) * sizeof(*l));
	l[i] = (struct filter_plen){ (uint8_t)plen, 1 };
	ix->lens[f] = l;
	ix->n_lens[f]++;
	return 0;
}

static void len_del(struct filter_index *ix, unsigned f, unsigned plen)
{
	struct filter_plen *l = ix->lens[f];
	unsigned i = 0;

	while (i < ix->n_lens[f] && l[i].plen != plen)
		i++;
	if (i == ix->n_lens[f] || --l[i].count)
		return;
	memmove(l + i, l + i + 1, (ix->n_lens[f] - i - 1u) * sizeof(*l));
	ix->n_lens[f]--;
}

static int entry_add(struct filter_tnode *n, struct filter_grant *g)
{
	for (uint32_t i = 0; i < n->n; i++) {
		if (filter_tent_at(n, i)->g == g) {
			filter_tent_at(n, i)->refs++;
			return 0;
		}
	}
	if (n->n && n->n - 1 == n->cap) {
		uint32_t cap = n->cap ? n->cap * 2 : 1;
		struct filter_tent *e = realloc(n->more, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		n->more = e;
		n->cap = cap;
	}
	*filter_tent_at(n, n->n++) = (struct filter_tent){ g, 1 };
	return 0;
}

/* Empties slot @i and moves later slots of its run back (linear probing, no tombstones). */
static void slot_clear(struct filter_index *ix, uint32_t i)
{
	uint32_t j = i;

	memset(&ix->slot[i], 0, sizeof(ix->slot[i]));
	for (;;) {
		struct filter_tnode *n;
		uint32_t home;

		j = (j + 1) & ix->mask;
		n = &ix->slot[j];
		if (!n->family)
			return;
		home = (uint32_t)hash(n->key, n->family == 6, n->plen) & ix->mask;
		/* it stays when its home lies cyclically in (i, j] */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		ix->slot[i] = *n;
		memset(n, 0, sizeof(*n));
		i = j;
	}
}

int filter_index_add(struct filter_index *ix, const struct fzgw_addr *a, unsigned plen,
		     struct filter_grant *g)
{
	unsigned f = a->family == 6;
	struct filter_tnode *n;
	uint64_t k[2];
	uint32_t i;

	seed_once();
	if ((!ix->slot && resize(ix, MIN_SLOTS) < 0) ||
	    ((ix->nodes + 1) * 2 > ix->mask + 1 && resize(ix, (ix->mask + 1) * 2) < 0))
		return -ENOMEM;
	load_key(a, k);
	k[0] &= mask_hi(plen);
	k[1] &= mask_lo(plen);
	i = probe(ix, k, a->family, plen);
	n = &ix->slot[i];
	if (!n->family) {
		if (len_add(ix, f, plen) < 0)
			return -ENOMEM;
		n->key[0] = k[0];
		n->key[1] = k[1];
		n->family = a->family;
		n->plen = (uint8_t)plen;
		ix->nodes++;
	}
	if (entry_add(n, g) == 0)
		return 0;
	if (!n->n) {
		len_del(ix, f, plen);
		ix->nodes--;
		slot_clear(ix, i);
	}
	return -ENOMEM;
}

void filter_index_del(struct filter_index *ix, const struct fzgw_addr *a, unsigned plen,
		      const struct filter_grant *g)
{
	struct filter_tnode *n;
	uint64_t k[2];
	uint32_t i;

	if (!ix->slot)
		return;
	load_key(a, k);
	k[0] &= mask_hi(plen);
	k[1] &= mask_lo(plen);
	i = probe(ix, k, a->family, plen);
	n = &ix->slot[i];
	if (!n->family)
		return;
	for (uint32_t e = 0; e < n->n; e++) {
		struct filter_tent *t = filter_tent_at(n, e);

		if (t->g != g)
			continue;
		if (--t->refs == 0)
			*t = *filter_tent_at(n, --n->n);
		break;
	}
	if (n->n)
		return;
	free(n->more);
	len_del(ix, a->family == 6, plen);
	ix->nodes--;
	slot_clear(ix, i);
	/* give memory back after a mass revocation; failing to is harmless */
	if (ix->mask + 1 > MIN_SLOTS && ix->nodes * 8 < ix->mask + 1)
		resize(ix, (ix->mask + 1) / 2);
}

unsigned filter_index_path(const struct filter_index *ix, const struct fzgw_addr *a,
			   const struct filter_tnode **path)
{
	unsigned f = a->family == 6, count = 0;
	uint64_t k[2];

	if (!ix->slot)
		return 0;
	load_key(a, k);
	for (unsigned l = 0; l < ix->n_lens[f]; l++) {
		unsigned plen = ix->lens[f][l].plen;
		uint64_t m[2] = { k[0] & mask_hi(plen), k[1] & mask_lo(plen) };
		const struct filter_tnode *n = &ix->slot[probe(ix, m, a->family, plen)];

		if (n->family)
			path[count++] = n;
	}
	return count;
}

void filter_index_free(struct filter_index *ix)
{
	for (uint32_t i = 0; ix->slot && i <= ix->mask; i++)
		free(ix->slot[i].more);
	free(ix->slot);
	free(ix->lens[0]);
	free(ix->lens[1]);
	memset(ix, 0, sizeof(*ix));
}
