/* SPDX-License-Identifier: Apache-2.0 */
/* Per-source token bucket for handshake messages: 20/s, burst 5, per IPv4 /32 and IPv6 /64. */
#ifndef FZGW_WG_RATELIMITER_H
#define FZGW_WG_RATELIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hashtable.h"
#include "wg.h"

enum {
	FZGW_WG_RL_PACKETS_PER_SECOND = 20,
	FZGW_WG_RL_PACKETS_BURSTABLE = 5,
	FZGW_WG_RL_DEFAULT_MAX_ENTRIES = 65536,
};
#define FZGW_WG_RL_PACKET_COST (1000000000ull / FZGW_WG_RL_PACKETS_PER_SECOND)
#define FZGW_WG_RL_TOKEN_MAX \
	(FZGW_WG_RL_PACKET_COST * FZGW_WG_RL_PACKETS_BURSTABLE)
#define FZGW_WG_RL_IDLE_NS 1000000000ull

struct fzgw_wg_ratelimiter {
	struct fzgw_wg_htable table;
	unsigned char hash_key[16];
	size_t max_entries;
	uint64_t last_gc_ns;
	uint64_t cost_ns, token_max_ns; /* one message's cost and the burst, in ns of refill */
	bool untracked_ok; /* a new source past max_entries is allowed (the caller budgets it) */
	uint64_t proven_cost_ns, proven_max_ns; /* for proven sources; 0: the same */
};

int fzgw_wg_ratelimiter_init(struct fzgw_wg_ratelimiter *rl,
			     size_t max_entries, const uint8_t hash_key[16]);
void fzgw_wg_ratelimiter_destroy(struct fzgw_wg_ratelimiter *rl);
/* Another rate than the handshake default: @per_second messages, @burst at
 * once; @untracked_ok lets a new source past max_entries through untracked. */
void fzgw_wg_ratelimiter_set_rate(struct fzgw_wg_ratelimiter *rl,
				  uint32_t per_second, uint32_t burst,
				  bool untracked_ok);
/* A higher rate for sources that proved they receive our replies. */
void fzgw_wg_ratelimiter_set_proven_rate(struct fzgw_wg_ratelimiter *rl,
					 uint32_t per_second, uint32_t burst);
/* @src proved it receives our replies (a valid mac2): the proven rate from now
 * until it has been idle for 10 s. */
void fzgw_wg_ratelimiter_prove(struct fzgw_wg_ratelimiter *rl,
			       const struct fzgw_wg_endpoint *src,
			       uint64_t now_ns);
/* One handshake message from @src at @now_ns: true if it may be processed. A
 * new source beyond max_entries is refused rather than allocated (unless
 * untracked_ok). */
bool fzgw_wg_ratelimiter_allow(struct fzgw_wg_ratelimiter *rl,
			       const struct fzgw_wg_endpoint *src,
			       uint64_t now_ns);
/* Drops entries idle for more than a second, or than a full refill if that is
 * longer (all of them if @all). */
void fzgw_wg_ratelimiter_gc(struct fzgw_wg_ratelimiter *rl, uint64_t now_ns,
			    bool all);

static inline size_t
fzgw_wg_ratelimiter_count(const struct fzgw_wg_ratelimiter *rl)
{
	return rl->table.count;
}

#endif
