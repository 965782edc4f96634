/* SPDX-License-Identifier: Apache-2.0 */
/* Engine state shared by the files of core/wg: device, peer, handshake, keypair. */
#ifndef FZGW_WG_DEVICE_H
#define FZGW_WG_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hashtable.h"
#include "messages.h"
#include "ratelimiter.h"
#include "replay.h"
#include "secmem.h"
#include "timers.h"
#include "tsmemo.h"
#include "wg.h"

#define FZGW_WG_NSEC 1000000000ull

#define fzgw_wg_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

enum fzgw_wg_index_kind {
	FZGW_WG_INDEX_HANDSHAKE = 1,
	FZGW_WG_INDEX_KEYPAIR = 2,
};

/* Our receiver index for a handshake in flight or for a keypair. */
struct fzgw_wg_index_entry {
	struct fzgw_wg_hnode node;
	struct fzgw_wg_peer *peer;
	uint32_t index;
	uint8_t kind;
	bool linked;
};

/* Handshake progress (paper section 5.4, the kernel's noise_handshake_state). */
enum fzgw_wg_hs_state {
	FZGW_WG_HS_ZEROED = 0,
	FZGW_WG_HS_CREATED_INITIATION,
	FZGW_WG_HS_CONSUMED_INITIATION,
	FZGW_WG_HS_CREATED_RESPONSE,
	FZGW_WG_HS_CONSUMED_RESPONSE,
};

/* A peer's secrets, in a secure-memory slot. */
struct fzgw_wg_peer_secrets {
	uint8_t psk[FZGW_WG_KEY_LEN];
	uint8_t static_static[FZGW_WG_KEY_LEN]; /* DH(S_priv, S_pub_peer), precomputed */
	uint8_t ephemeral_private[FZGW_WG_KEY_LEN];
	uint8_t chaining_key[FZGW_WG_HASH_LEN];
	uint8_t hash[FZGW_WG_HASH_LEN];
	uint8_t cookie[FZGW_WG_COOKIE_LEN];     /* last cookie the peer gave us */
};

struct fzgw_wg_handshake {
	enum fzgw_wg_hs_state state;
	struct fzgw_wg_index_entry entry;
	uint32_t remote_index;
	uint8_t remote_ephemeral[FZGW_WG_KEY_LEN];
	uint8_t latest_timestamp[FZGW_WG_TIMESTAMP_LEN];
	uint64_t last_initiation_consumption_ns;
	bool consumed_any_initiation;
};

/* Transport session keys and counters, in a secure-memory slot. */
struct fzgw_wg_keypair {
	struct fzgw_wg_index_entry entry;
	uint8_t send_key[FZGW_WG_KEY_LEN];
	uint8_t recv_key[FZGW_WG_KEY_LEN];
	uint64_t send_counter;
	uint64_t birth_ns;
	uint32_t remote_index;
	bool initiator;
	bool valid;
	struct fzgw_wg_replay replay;
};

struct fzgw_wg_peer {
	struct fzgw_wg_hnode key_node; /* in wg->peers by public key */
	struct fzgw_wg *wg;
	void *user;
	uint8_t public_key[FZGW_WG_KEY_LEN];
	/* Non-secret keys derived from the peer's public key (section 5.4.4/5.4.7). */
	uint8_t mac1_key[FZGW_WG_HASH_LEN];   /* HASH("mac1----" || S_pub_peer) */
	uint8_t cookie_key[FZGW_WG_HASH_LEN]; /* HASH("cookie--" || S_pub_peer) */
	struct fzgw_wg_peer_secrets *sec;

	struct fzgw_wg_handshake hs;
	struct fzgw_wg_keypair *kp_current, *kp_previous, *kp_next;

	struct fzgw_wg_endpoint endpoint;
	bool has_endpoint;

	/* mac2 (section 5.4.7): the cookie we hold and the mac1 it must answer. */
	bool cookie_valid;
	bool have_sent_mac1;
	uint64_t cookie_birth_ns;
	uint8_t last_mac1_sent[FZGW_WG_COOKIE_LEN];

	/* Timers (section 6), serviced through the device deadline heap. */
	uint64_t timer_at[FZGW_WG_TIMER_COUNT];
	unsigned int timers_armed;
	uint64_t heap_key;
	size_t heap_pos;
	uint64_t last_sent_handshake_ns;
	bool sent_any_handshake;
	unsigned int handshake_attempts;
	bool need_another_keepalive;
	bool sent_lastminute_handshake;
	uint16_t persistent_keepalive;

	struct fzgw_wg_peer_stats stats;
};

struct fzgw_wg_device_secrets {
	uint8_t static_private[FZGW_WG_KEY_LEN];
	uint8_t cookie_secret[FZGW_WG_HASH_LEN]; /* R_m, rotated every 120 s */
};

struct fzgw_wg {
	struct fzgw_wg_ops ops;
	struct fzgw_wg_limits limits;
	struct fzgw_wg_device_secrets *sec;
	uint8_t static_public[FZGW_WG_KEY_LEN];
	uint8_t mac1_key[FZGW_WG_HASH_LEN];   /* HASH("mac1----" || S_pub) */
	uint8_t cookie_key[FZGW_WG_HASH_LEN]; /* HASH("cookie--" || S_pub) */
	/* Ci = HASH(CONSTRUCTION), Hi = HASH(Ci || IDENTIFIER) (section 5.4.2). */
	uint8_t initial_ck[FZGW_WG_HASH_LEN];
	uint8_t initial_hash[FZGW_WG_HASH_LEN];
	uint64_t cookie_secret_birth_ns;
	bool cookie_secret_set;

	struct fzgw_wg_htable peers;
	unsigned char peer_hash_key[16];
	struct fzgw_wg_tsmemo removed_ts; /* latest TAI64N of removed peers, by key */
	struct fzgw_wg_htable indices;
	struct fzgw_wg_ratelimiter rl;
	/* Cookie replies (cookie.c, fzgw_wg_cookie_budget): per source, and all
	 * together as a token bucket in ns of refill. */
	struct fzgw_wg_ratelimiter cookie_rl;
	uint64_t cookie_tokens_ns, cookie_refill_ns;
	struct fzgw_wg_secmem peer_secrets;
	struct fzgw_wg_secmem keypairs;

	/* Min-heap of peers by earliest armed timer. */
	struct fzgw_wg_peer **heap;
	size_t heap_len, heap_cap;

	/* "Under load" detection (section 5.3): a count of handshake messages
	 * per one-second window, then one second of hysteresis. */
	uint64_t load_window_start_ns;
	uint32_t load_window_count;
	uint64_t last_under_load_ns;
	bool under_load;
	uint64_t next_housekeeping_ns;

	struct fzgw_wg_stats stats;
};

static inline uint64_t fzgw_wg_now(const struct fzgw_wg *wg)
{
	return wg->ops.now_ns(wg->ops.user);
}

static inline void fzgw_wg_random(const struct fzgw_wg *wg, void *buf,
				  size_t n)
{
	wg->ops.random(wg->ops.user, buf, n);
}

/* The kernel's wg_birthdate_has_expired(): true once @age_ns have passed. */
static inline bool fzgw_wg_expired(uint64_t birth_ns, uint64_t age_ns,
				   uint64_t now_ns)
{
	return birth_ns + age_ns <= now_ns;
}

static inline bool fzgw_wg_timer_pending(const struct fzgw_wg_peer *peer,
					 enum fzgw_wg_timer t)
{
	return peer->timers_armed & (1u << t);
}

static inline void fzgw_wg_drop_count(struct fzgw_wg *wg, int reason)
{
	if (reason > 0 && reason < FZGW_WG_DROP_COUNT)
		wg->stats.drops[reason]++;
}

/* device.c */
bool fzgw_wg_load_note_handshake(struct fzgw_wg *wg, uint64_t now);
void fzgw_wg_emit(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
		  enum fzgw_wg_event ev);
void fzgw_wg_tx(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
		const struct fzgw_wg_endpoint *ep, const uint8_t *buf,
		size_t len);
void fzgw_wg_set_endpoint_from(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			       const struct fzgw_wg_endpoint *src);

/* index.c */
int fzgw_wg_index_insert(struct fzgw_wg *wg, struct fzgw_wg_index_entry *e);
void fzgw_wg_index_replace(struct fzgw_wg *wg, struct fzgw_wg_index_entry *old,
			   struct fzgw_wg_index_entry *e);
void fzgw_wg_index_remove(struct fzgw_wg *wg, struct fzgw_wg_index_entry *e);
struct fzgw_wg_index_entry *fzgw_wg_index_lookup(struct fzgw_wg *wg,
						 uint32_t index,
						 unsigned int kinds);

/* send.c */
int fzgw_wg_send_initiation(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			    bool is_retry, uint64_t now);
void fzgw_wg_send_response(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			   uint64_t now);
void fzgw_wg_send_keepalive(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			    uint64_t now);
void fzgw_wg_send_cookie_reply(struct fzgw_wg *wg,
			       const struct fzgw_wg_endpoint *src,
			       const uint8_t *msg, size_t len,
			       uint32_t sender_index, uint64_t now);

#endif
