/* SPDX-License-Identifier: Apache-2.0 */
/* A fixed-size packet buffer pool: LIFO free list, O(1) get and put, no allocation after start. */
#ifndef FZGW_NET_POOL_H
#define FZGW_NET_POOL_H

#include <stddef.h>
#include <stdint.h>

#include <fzgw/module.h>

/*
 * Bytes kept in front of the IP packet: the 16-byte WireGuard data header is written
 * there in place at encryption, and a 4-byte TURN ChannelData header in front of that
 * when the path is relayed. Rounded up to 32 so the IP header stays 16-byte aligned.
 */
#define FZGW_POOL_HEADROOM 32u

/* Bytes after the largest packet: padding to a multiple of 16 (15 at most), the 16-byte tag. */
#define FZGW_POOL_TAILROOM 32u

#define FZGW_POOL_DEFAULT_COUNT 4096u
#define FZGW_POOL_DEFAULT_SIZE 2048u /* whole buffer, headroom and tailroom included */

/*
 * The buffer size for a TUN MTU of @mtu: a datagram of a full-size packet (ChannelData and
 * WireGuard headers, padding, tag) fits after the headroom, and so does the packet with its
 * padding and tag; never below FZGW_POOL_DEFAULT_SIZE. 0 when @mtu is beyond what a pool
 * buffer can be.
 */
uint32_t fzgw_pool_size_for_mtu(uint32_t mtu);

/*
 * A pool belongs to one thread (one per worker later): nothing here locks. Every
 * buffer embeds a struct fzgw_packet whose core_priv points back at the buffer, so a
 * packet handed to a module and freed through the core returns to its own pool.
 */
struct fzgw_pool;

/*
 * Creates a pool of @count buffers of @size bytes each (@size a multiple of 64, large
 * enough for the head- and tailroom plus 64 bytes). All memory is allocated here.
 * 0 and *out set, -EINVAL for bad sizes, -ENOMEM.
 */
int fzgw_pool_create(struct fzgw_pool **out, uint32_t count, uint32_t size)
	__attribute__((warn_unused_result));

/*
 * Frees the pool and every buffer, in use or not: put every packet back first. Accepts
 * NULL; returns NULL.
 */
struct fzgw_pool *fzgw_pool_destroy(struct fzgw_pool *pool);

/*
 * Takes a buffer: the packet has data at the end of the headroom, len 0, cap the bytes
 * up to the tailroom, every other field zeroed and core_priv set. NULL when the pool is
 * empty: the caller counts a drop.
 */
struct fzgw_packet *fzgw_pool_get(struct fzgw_pool *pool);

/*
 * Returns a packet from fzgw_pool_get() to its pool (found through core_priv). 0,
 * -EINVAL for a packet that did not come from a pool, -EALREADY when it is already free;
 * in both error cases the pool is left as it was.
 */
int fzgw_pool_put(struct fzgw_packet *pkt);

/*
 * The core's bookkeeping for one buffer, kept beside the packet where modules cannot
 * see or change it; zeroed by fzgw_pool_get().
 */
struct fzgw_pool_meta {
	uint64_t peer_gen;      /* generation of the client pkt->peer was set to; 0: none */
	uint32_t peer_index;    /* that client's index */
	const void *peer_ptr;   /* pkt->peer as the core set it (compared, never followed) */
	uint32_t chain_gen;     /* generation of the hook chains the packet last entered */
	struct fzgw_packet *prev, *next; /* in the data plane's list of staged packets */
	void *owner;            /* the client it is staged for */
};

/* @pkt's bookkeeping, or NULL when @pkt did not come from a pool. */
struct fzgw_pool_meta *fzgw_pool_meta(struct fzgw_packet *pkt);

/* Buffers handed out and not yet put back. */
uint32_t fzgw_pool_in_use(const struct fzgw_pool *pool);

/* Buffers in the pool, free or not. */
uint32_t fzgw_pool_count(const struct fzgw_pool *pool);

/* Bytes between the start of @pkt's buffer and pkt->data (where a header may be prepended). */
size_t fzgw_pool_headroom(const struct fzgw_packet *pkt);

/* Bytes between the end of @pkt's data (data + len) and the end of its buffer. */
size_t fzgw_pool_tailroom(const struct fzgw_packet *pkt);

#endif
