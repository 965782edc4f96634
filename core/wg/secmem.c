/* SPDX-License-Identifier: Apache-2.0 */
/* Slab of wiped-on-free slots in sodium_malloc memory for keys and handshake state. */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "secmem.h"

enum { SECMEM_CHUNK_BYTES = 16384 };

struct fzgw_wg_secmem_chunk {
	struct fzgw_wg_secmem_chunk *next;
	size_t size;
	/* slots follow, aligned for any key structure */
	_Alignas(16) unsigned char slots[];
};

void fzgw_wg_secmem_init(struct fzgw_wg_secmem *pool, size_t slot_size)
{
	memset(pool, 0, sizeof(*pool));
	/* Slots hold a free-list pointer when free and must keep 16-byte alignment. */
	if (slot_size < sizeof(void *))
		slot_size = sizeof(void *);
	pool->slot_size = (slot_size + 15) & ~(size_t)15;
	pool->slots_per_chunk =
		(SECMEM_CHUNK_BYTES - sizeof(struct fzgw_wg_secmem_chunk)) /
		pool->slot_size;
	if (!pool->slots_per_chunk)
		pool->slots_per_chunk = 1;
}

static int secmem_grow(struct fzgw_wg_secmem *pool)
{
	struct fzgw_wg_secmem_chunk *c;
	size_t size, i;

	size = sizeof(*c) + pool->slot_size * pool->slots_per_chunk;
	c = sodium_malloc(size);
	if (!c)
		return -1;
	/* sodium_malloc fills with 0xdb; free slots must read as zero. */
	memset(c, 0, size);
	c->size = size;
	c->next = pool->chunks;
	pool->chunks = c;
	for (i = pool->slots_per_chunk; i-- > 0;) {
		void *slot = c->slots + i * pool->slot_size;

		*(void **)slot = pool->free_list;
		pool->free_list = slot;
	}
	return 0;
}

void *fzgw_wg_secmem_alloc(struct fzgw_wg_secmem *pool)
{
	void *slot;

	if (!pool->free_list && secmem_grow(pool) != 0)
		return NULL;
	slot = pool->free_list;
	pool->free_list = *(void **)slot;
	memset(slot, 0, pool->slot_size);
	pool->in_use++;
	return slot;
}

void fzgw_wg_secmem_free(struct fzgw_wg_secmem *pool, void *slot)
{
	if (!slot)
		return;
	sodium_memzero(slot, pool->slot_size);
	*(void **)slot = pool->free_list;
	pool->free_list = slot;
	pool->in_use--;
}

void fzgw_wg_secmem_destroy(struct fzgw_wg_secmem *pool)
{
	struct fzgw_wg_secmem_chunk *c = pool->chunks, *next;

	while (c) {
		next = c->next;
		/* sodium_free wipes the whole region before unmapping it. */
		sodium_free(c);
		c = next;
	}
	pool->chunks = NULL;
	pool->free_list = NULL;
	pool->in_use = 0;
}
