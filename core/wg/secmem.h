/* SPDX-License-Identifier: Apache-2.0 */
/* Fixed-size slots for secrets, carved from sodium_malloc chunks and wiped on free. */
#ifndef FZGW_WG_SECMEM_H
#define FZGW_WG_SECMEM_H

#include <stddef.h>

struct fzgw_wg_secmem_chunk;

/*
 * One sodium_malloc() per secret would cost several pages, an mlock and
 * guard-page mappings each; thousands of peers would exhaust vm.max_map_count.
 * A pool hands out equal slots from locked, guarded chunks instead.
 */
struct fzgw_wg_secmem {
	size_t slot_size;
	size_t slots_per_chunk;
	struct fzgw_wg_secmem_chunk *chunks;
	void *free_list;
	size_t in_use;
};

void fzgw_wg_secmem_init(struct fzgw_wg_secmem *pool, size_t slot_size);
/* Returns a zeroed slot, or NULL when out of memory. */
void *fzgw_wg_secmem_alloc(struct fzgw_wg_secmem *pool);
/* Wipes and returns the slot; NULL is accepted. */
void fzgw_wg_secmem_free(struct fzgw_wg_secmem *pool, void *slot);
/* Wipes and releases every chunk. */
void fzgw_wg_secmem_destroy(struct fzgw_wg_secmem *pool);

#endif
