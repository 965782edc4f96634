/* SPDX-License-Identifier: Apache-2.0 */
/* The packet buffer pool: a slab of data, a header per buffer and a stack of free indices. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#if defined(__SANITIZE_ADDRESS__)
#define FZGW_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZGW_POOL_ASAN 1
#endif
#endif

#ifdef FZGW_POOL_ASAN
#include <sanitizer/asan_interface.h>
/* A free buffer's bytes are poisoned so a write after put is reported where it happens. */
#define pool_poison(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define pool_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define pool_poison(p, n) ((void)(p), (void)(n))
#define pool_unpoison(p, n) ((void)(p), (void)(n))
#endif

#define POOL_ALIGN 64u
#define POOL_MAX_COUNT (1u << 20)
#define POOL_MAX_SIZE (1u << 17) /* a 64 KB GSO super-packet with room to spare */

/*
 * The bookkeeping lives beside the packet and not inside it, so a double put can be
 * told apart without trusting anything a module may have scribbled over.
 */
struct fzgw_pool_buf {
	struct fzgw_packet pkt;
	struct fzgw_pool_meta meta;
	struct fzgw_pool *pool;
	uint8_t *mem; /* start of this buffer in the slab */
	bool in_use;
};

struct fzgw_pool {
	uint32_t count;
	uint32_t size;
	uint32_t n_free;
	uint32_t *free_stack; /* indices; the top is the buffer put back last */
	struct fzgw_pool_buf *bufs;
	uint8_t *slab; /* count * size bytes, 64-byte aligned */
};

/* ChannelData header (4), WireGuard data header (16), padding (15), tag (16), rounded up. */
#define POOL_WIRE_OVERHEAD 64u

uint32_t fzgw_pool_size_for_mtu(uint32_t mtu)
{
	uint64_t need = (uint64_t)FZGW_POOL_HEADROOM + FZGW_POOL_TAILROOM + POOL_WIRE_OVERHEAD + mtu;

	need = (need + POOL_ALIGN - 1) / POOL_ALIGN * POOL_ALIGN;
	if (need > POOL_MAX_SIZE)
		return 0;
	return need < FZGW_POOL_DEFAULT_SIZE ? FZGW_POOL_DEFAULT_SIZE : (uint32_t)need;
}

int fzgw_pool_create(struct fzgw_pool **out, uint32_t count, uint32_t size)
{
	struct fzgw_pool *pool;
	uint32_t i;

	*out = NULL;
	if (count == 0 || count > POOL_MAX_COUNT || size % POOL_ALIGN != 0 ||
	    size < FZGW_POOL_HEADROOM + FZGW_POOL_TAILROOM + 64 || size > POOL_MAX_SIZE)
		return -EINVAL;

	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pool->count = count;
	pool->size = size;
	pool->free_stack = calloc(count, sizeof(*pool->free_stack));
	pool->bufs = calloc(count, sizeof(*pool->bufs));
	/* Both factors are bounded above, so the product fits in size_t. */
	pool->slab = aligned_alloc(POOL_ALIGN, (size_t)count * size);
	if (!pool->free_stack || !pool->bufs || !pool->slab) {
		fzgw_pool_destroy(pool);
		return -ENOMEM;
	}
	/* Zeroed once so no earlier heap contents can ever leave in padding. */
	memset(pool->slab, 0, (size_t)count * size);

	/* Pushed in reverse so the first get returns buffer 0: easier to read in a debugger. */
	for (i = 0; i < count; i++) {
		struct fzgw_pool_buf *b = &pool->bufs[i];

		b->pool = pool;
		b->mem = pool->slab + (size_t)i * size;
		pool->free_stack[count - 1 - i] = i;
		pool_poison(b->mem, size);
	}
	pool->n_free = count;
	*out = pool;
	return 0;
}

struct fzgw_pool *fzgw_pool_destroy(struct fzgw_pool *pool)
{
	if (!pool)
		return NULL;
	if (pool->slab) {
		/* The allocator may reuse the memory; it must not inherit our poison. */
		pool_unpoison(pool->slab, (size_t)pool->count * pool->size);
		free(pool->slab);
	}
	free(pool->bufs);
	free(pool->free_stack);
	free(pool);
	return NULL;
}

struct fzgw_packet *fzgw_pool_get(struct fzgw_pool *pool)
{
	struct fzgw_pool_buf *b;

	if (pool->n_free == 0)
		return NULL;
	b = &pool->bufs[pool->free_stack[--pool->n_free]];
	b->in_use = true;
	pool_unpoison(b->mem, pool->size);

	memset(&b->pkt, 0, sizeof(b->pkt));
	memset(&b->meta, 0, sizeof(b->meta));
	b->pkt.data = b->mem + FZGW_POOL_HEADROOM;
	b->pkt.cap = pool->size - FZGW_POOL_HEADROOM - FZGW_POOL_TAILROOM;
	b->pkt.core_priv = b;
	return &b->pkt;
}

/* The buffer @pkt belongs to, or NULL when core_priv does not lead back to it. */
static struct fzgw_pool_buf *buf_of(const struct fzgw_packet *pkt)
{
	struct fzgw_pool_buf *b;
	const struct fzgw_pool *pool;

	if (!pkt || !pkt->core_priv)
		return NULL;
	b = pkt->core_priv;
	if (&b->pkt != pkt)
		return NULL;
	pool = b->pool;
	/* Compared as integers: a stray pointer is not part of the array. */
	if (!pool || (uintptr_t)b < (uintptr_t)pool->bufs ||
	    (uintptr_t)b >= (uintptr_t)(pool->bufs + pool->count))
		return NULL;
	return b;
}

int fzgw_pool_put(struct fzgw_packet *pkt)
{
	struct fzgw_pool_buf *b = buf_of(pkt);
	struct fzgw_pool *pool;

	if (!b)
		return -EINVAL;
	if (!b->in_use)
		return -EALREADY;
	pool = b->pool;
	b->in_use = false;
	pool_poison(b->mem, pool->size);
	pool->free_stack[pool->n_free++] = (uint32_t)(b - pool->bufs);
	return 0;
}

struct fzgw_pool_meta *fzgw_pool_meta(struct fzgw_packet *pkt)
{
	struct fzgw_pool_buf *b = buf_of(pkt);

	return b && b->in_use ? &b->meta : NULL;
}

uint32_t fzgw_pool_in_use(const struct fzgw_pool *pool)
{
	return pool->count - pool->n_free;
}

uint32_t fzgw_pool_count(const struct fzgw_pool *pool)
{
	return pool->count;
}

size_t fzgw_pool_headroom(const struct fzgw_packet *pkt)
{
	const struct fzgw_pool_buf *b = pkt->core_priv;

	return (size_t)(pkt->data - b->mem);
}

size_t fzgw_pool_tailroom(const struct fzgw_packet *pkt)
{
	const struct fzgw_pool_buf *b = pkt->core_priv;

	return (size_t)(b->mem + b->pool->size - (pkt->data + pkt->len));
}
