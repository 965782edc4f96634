/* SPDX-License-Identifier: Apache-2.0 */
/* Handshake rate limiter: token buckets keyed by source prefix, as the kernel's ratelimiter.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ratelimiter.h"

/* family byte, the /32 or the /64, then the relay channel (0 for plain UDP): clients
 * behind one TURN relay share its address but not their budgets. */
#define RL_KEY_LEN 11
/* A proven source keeps its entry (and its rate) this long after its last message. */
#define RL_PROVEN_IDLE_NS (10 * 1000000000ull)

struct rl_entry {
	struct fzgw_wg_hnode node;
	uint8_t key[RL_KEY_LEN];
	uint64_t last_ns;
	uint64_t tokens;
	uint64_t proven_ns; /* when the source last proved it receives our replies */
	bool proven;
};

int fzgw_wg_ratelimiter_init(struct fzgw_wg_ratelimiter *rl,
			     size_t max_entries, const uint8_t hash_key[16])
{
	memset(rl, 0, sizeof(*rl));
	memcpy(rl->hash_key, hash_key, sizeof(rl->hash_key));
	rl->max_entries = max_entries ? max_entries :
					FZGW_WG_RL_DEFAULT_MAX_ENTRIES;
	rl->cost_ns = FZGW_WG_RL_PACKET_COST;
	rl->token_max_ns = FZGW_WG_RL_TOKEN_MAX;
	return fzgw_wg_htable_init(&rl->table, 1024);
}

void fzgw_wg_ratelimiter_destroy(struct fzgw_wg_ratelimiter *rl)
{
	if (!rl->table.buckets)
		return;
	fzgw_wg_ratelimiter_gc(rl, 0, true);
	fzgw_wg_htable_destroy(&rl->table);
}

void fzgw_wg_ratelimiter_set_rate(struct fzgw_wg_ratelimiter *rl,
				  uint32_t per_second, uint32_t burst,
				  bool untracked_ok)
{
	rl->cost_ns = 1000000000ull / (per_second ? per_second : 1);
	rl->token_max_ns = rl->cost_ns * (burst ? burst : 1);
	rl->untracked_ok = untracked_ok;
}

/* IPv4 (and IPv4-mapped IPv6) by /32, IPv6 by /64: one host usually owns a whole /64. */
static int rl_key(const struct fzgw_wg_endpoint *src, uint8_t key[RL_KEY_LEN])
{
	memset(key, 0, RL_KEY_LEN);
	key[9] = (uint8_t)(src->channel >> 8);
	key[10] = (uint8_t)src->channel;
	if (src->sa.sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &src->in4.sin_addr, 4);
		return 0;
	}
	if (src->sa.sa_family == AF_INET6) {
		const uint8_t *a = src->in6.sin6_addr.s6_addr;

		if (IN6_IS_ADDR_V4MAPPED(&src->in6.sin6_addr)) {
			key[0] = 4;
			memcpy(key + 1, a + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, a, 8);
		}
		return 0;
	}
	return -EAFNOSUPPORT;
}

/* The entry of @key (NULL if none); its hash in @hash, for an insert. */
static struct rl_entry *rl_find(struct fzgw_wg_ratelimiter *rl,
				const uint8_t key[RL_KEY_LEN], uint64_t *hash)
{
	struct fzgw_wg_hnode *n;
	uint8_t h[8];

	/* Keyed SipHash so that remote parties cannot aim for one bucket. */
	crypto_shorthash(h, key, RL_KEY_LEN, rl->hash_key);
	memcpy(hash, h, sizeof(*hash));
	for (n = fzgw_wg_htable_bucket(&rl->table, *hash); n; n = n->next) {
		struct rl_entry *e = (struct rl_entry *)n;

		if (n->hash == *hash && !memcmp(e->key, key, RL_KEY_LEN))
			return e;
	}
	return NULL;
}

static struct rl_entry *rl_add(struct fzgw_wg_ratelimiter *rl,
			       const uint8_t key[RL_KEY_LEN], uint64_t hash,
			       uint64_t now_ns)
{
	struct rl_entry *e;

	if (rl->table.count >= rl->max_entries || !(e = calloc(1, sizeof(*e))))
		return NULL;
	memcpy(e->key, key, RL_KEY_LEN);
	e->last_ns = now_ns;
	e->tokens = rl->token_max_ns;
	fzgw_wg_htable_add(&rl->table, &e->node, hash);
	return e;
}

bool fzgw_wg_ratelimiter_allow(struct fzgw_wg_ratelimiter *rl,
			       const struct fzgw_wg_endpoint *src,
			       uint64_t now_ns)
{
	struct rl_entry *e;
	uint8_t key[RL_KEY_LEN];
	uint64_t hash, tokens, cost, max;

	if (rl_key(src, key) != 0)
		return false;
	if (!(e = rl_find(rl, key, &hash)) && !(e = rl_add(rl, key, hash, now_ns)))
		return rl->untracked_ok;
	cost = e->proven && rl->proven_cost_ns ? rl->proven_cost_ns : rl->cost_ns;
	max = e->proven && rl->proven_cost_ns ? rl->proven_max_ns : rl->token_max_ns;
	/* Refill by elapsed time, capped at the burst. */
	tokens = e->tokens < max ? e->tokens : max;
	if (now_ns > e->last_ns) {
		uint64_t elapsed = now_ns - e->last_ns;

		tokens = elapsed >= max - tokens ? max : tokens + elapsed;
		e->last_ns = now_ns;
	}
	if (tokens < cost) {
		e->tokens = tokens;
		return false;
	}
	e->tokens = tokens - cost;
	return true;
}

void fzgw_wg_ratelimiter_set_proven_rate(struct fzgw_wg_ratelimiter *rl,
					 uint32_t per_second, uint32_t burst)
{
	rl->proven_cost_ns = 1000000000ull / (per_second ? per_second : 1);
	rl->proven_max_ns = rl->proven_cost_ns * (burst ? burst : 1);
}

void fzgw_wg_ratelimiter_prove(struct fzgw_wg_ratelimiter *rl,
			       const struct fzgw_wg_endpoint *src,
			       uint64_t now_ns)
{
	struct rl_entry *e;
	uint8_t key[RL_KEY_LEN];
	uint64_t hash;

	if (rl_key(src, key) != 0)
		return;
	if (!(e = rl_find(rl, key, &hash)) && !(e = rl_add(rl, key, hash, now_ns)))
		return;
	e->proven = true;
	e->proven_ns = now_ns;
}

void fzgw_wg_ratelimiter_gc(struct fzgw_wg_ratelimiter *rl, uint64_t now_ns,
			    bool all)
{
	struct fzgw_wg_hnode **pp, *n;
	size_t i;

	uint64_t idle = rl->token_max_ns > FZGW_WG_RL_IDLE_NS ? rl->token_max_ns :
								 FZGW_WG_RL_IDLE_NS;

	rl->last_gc_ns = now_ns;
	for (i = 0; i <= rl->table.mask; i++) {
		pp = &rl->table.buckets[i];
		while ((n = *pp)) {
			struct rl_entry *e = (struct rl_entry *)n;

			uint64_t since = e->proven && e->proven_ns > e->last_ns ?
						 e->proven_ns : e->last_ns;

			if (all || (now_ns > since &&
				    now_ns - since > (e->proven ? RL_PROVEN_IDLE_NS : idle))) {
				*pp = n->next;
				rl->table.count--;
				free(e);
				continue;
			}
			pp = &n->next;
		}
	}
}
