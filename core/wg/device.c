/* SPDX-License-Identifier: Apache-2.0 */
/* The device: identity, tables, load detection, housekeeping, counters and callbacks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cookie.h"
#include "device.h"
#include "noise.h"

enum {
	DEFAULT_MAX_PEERS = 1 << 16, /* wireguard-go's MaxPeers */
};

static void default_random(void *user, void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

static void default_wall(void *user, struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

int fzgw_wg_new(struct fzgw_wg **out, const uint8_t private_key[32],
		const struct fzgw_wg_ops *ops)
{
	struct fzgw_wg *wg;
	uint8_t rl_key[16];
	int ret = -ENOMEM;

	if (!out || !private_key || !ops || !ops->now_ns || !ops->send)
		return -EINVAL;
	*out = NULL;
	if (sodium_init() < 0)
		return -EIO;
	wg = calloc(1, sizeof(*wg));
	if (!wg)
		return -ENOMEM;
	wg->ops = *ops;
	if (!wg->ops.random)
		wg->ops.random = default_random;
	if (!wg->ops.wall)
		wg->ops.wall = default_wall;
	wg->limits.max_peers = DEFAULT_MAX_PEERS;
	wg->limits.ratelimiter_entries = FZGW_WG_RL_DEFAULT_MAX_ENTRIES;
	wg->limits.load_threshold = FZGW_WG_LOAD_THRESHOLD_DEFAULT;
	fzgw_wg_secmem_init(&wg->peer_secrets,
			    sizeof(struct fzgw_wg_peer_secrets));
	fzgw_wg_secmem_init(&wg->keypairs, sizeof(struct fzgw_wg_keypair));

	wg->sec = sodium_malloc(sizeof(*wg->sec));
	if (!wg->sec)
		goto err;
	memset(wg->sec, 0, sizeof(*wg->sec));
	memcpy(wg->sec->static_private, private_key, FZGW_WG_KEY_LEN);
	if (crypto_scalarmult_curve25519_base(wg->static_public,
					      wg->sec->static_private) != 0) {
		ret = -EINVAL;
		goto err;
	}

	if (fzgw_wg_htable_init(&wg->peers, 64) ||
	    fzgw_wg_htable_init(&wg->indices, 256) ||
	    fzgw_wg_tsmemo_init(&wg->removed_ts, FZGW_WG_TSMEMO_MAX))
		goto err;
	fzgw_wg_random(wg, wg->peer_hash_key, sizeof(wg->peer_hash_key));
	fzgw_wg_random(wg, rl_key, sizeof(rl_key));
	if (fzgw_wg_ratelimiter_init(&wg->rl, wg->limits.ratelimiter_entries,
				     rl_key))
		goto err;
	/* the same SipHash key: both tables only need it unknown to senders */
	if (fzgw_wg_ratelimiter_init(&wg->cookie_rl, FZGW_WG_COOKIE_SOURCES,
				     rl_key))
		goto err;
	fzgw_wg_ratelimiter_set_rate(&wg->cookie_rl, FZGW_WG_COOKIE_PER_SOURCE,
				     FZGW_WG_COOKIE_PER_SOURCE_BURST, true);
	fzgw_wg_ratelimiter_set_proven_rate(&wg->cookie_rl,
					    FZGW_WG_COOKIE_PROVEN_PER_SOURCE,
					    FZGW_WG_COOKIE_PROVEN_BURST);
	fzgw_wg_noise_init(wg);
	fzgw_wg_cookie_init_device(wg);
	*out = wg;
	return 0;

err:
	fzgw_wg_free(wg);
	return ret;
}

struct fzgw_wg *fzgw_wg_free(struct fzgw_wg *wg)
{
	size_t i;

	if (!wg)
		return NULL;
	if (wg->peers.buckets) {
		for (i = 0; i <= wg->peers.mask; i++)
			while (wg->peers.buckets[i])
				fzgw_wg_peer_remove(
					wg, fzgw_wg_container_of(
						    wg->peers.buckets[i],
						    struct fzgw_wg_peer,
						    key_node));
	}
	fzgw_wg_htable_destroy(&wg->peers);
	fzgw_wg_htable_destroy(&wg->indices);
	fzgw_wg_tsmemo_destroy(&wg->removed_ts); /* after the peers: their removal fills it */
	fzgw_wg_ratelimiter_destroy(&wg->rl);
	fzgw_wg_ratelimiter_destroy(&wg->cookie_rl);
	fzgw_wg_secmem_destroy(&wg->peer_secrets);
	fzgw_wg_secmem_destroy(&wg->keypairs);
	free(wg->heap);
	if (wg->sec)
		sodium_free(wg->sec);
	sodium_memzero(wg, sizeof(*wg));
	free(wg);
	return NULL;
}

int fzgw_wg_public_key(const struct fzgw_wg *wg, uint8_t out[32])
{
	if (!wg || !out)
		return -EINVAL;
	memcpy(out, wg->static_public, FZGW_WG_KEY_LEN);
	return 0;
}

int fzgw_wg_set_limits(struct fzgw_wg *wg, const struct fzgw_wg_limits *lim)
{
	if (!wg || !lim)
		return -EINVAL;
	if (lim->max_peers)
		wg->limits.max_peers = lim->max_peers;
	if (lim->ratelimiter_entries) {
		wg->limits.ratelimiter_entries = lim->ratelimiter_entries;
		wg->rl.max_entries = lim->ratelimiter_entries;
	}
	if (lim->load_threshold)
		wg->limits.load_threshold = lim->load_threshold;
	return 0;
}

static void enter_load(struct fzgw_wg *wg, uint64_t now)
{
	if (!wg->under_load)
		wg->stats.under_load_entered++;
	wg->under_load = true;
	wg->last_under_load_ns = now;
}

/* Load lasts one second after the last sign of it (UnderLoadAfterTime). */
static bool load_at(struct fzgw_wg *wg, uint64_t now)
{
	if (wg->under_load &&
	    fzgw_wg_expired(wg->last_under_load_ns, FZGW_WG_NSEC, now))
		wg->under_load = false;
	return wg->under_load;
}

bool fzgw_wg_load_note_handshake(struct fzgw_wg *wg, uint64_t now)
{
	/* The kernel measures its handshake queue; a sans-IO engine has no
	 * queue, so it counts handshake messages with a valid mac1 (the ones
	 * that would cost DH) per eighth of a second instead: a flood's first
	 * window costs at most an eighth of the per-second threshold in X25519,
	 * not long enough for the socket to overflow behind it. */
	if (now < wg->load_window_start_ns ||
	    fzgw_wg_expired(wg->load_window_start_ns, FZGW_WG_NSEC / FZGW_WG_LOAD_WINDOWS, now)) {
		wg->load_window_start_ns = now;
		wg->load_window_count = 0;
	}
	if (++wg->load_window_count >
	    (wg->limits.load_threshold + FZGW_WG_LOAD_WINDOWS - 1) / FZGW_WG_LOAD_WINDOWS)
		enter_load(wg, now);
	return load_at(wg, now);
}

void fzgw_wg_set_under_load(struct fzgw_wg *wg, bool under_load)
{
	if (!wg)
		return;
	if (under_load)
		enter_load(wg, fzgw_wg_now(wg));
	else
		wg->under_load = false;
}

bool fzgw_wg_under_load(struct fzgw_wg *wg)
{
	return wg && load_at(wg, fzgw_wg_now(wg));
}

void fzgw_wg_stats(const struct fzgw_wg *wg, struct fzgw_wg_stats *out)
{
	if (wg && out)
		*out = wg->stats;
}

void fzgw_wg_emit(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
		  enum fzgw_wg_event ev)
{
	if (wg->ops.event)
		wg->ops.event(wg->ops.user, peer, ev);
}

void fzgw_wg_tx(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
		const struct fzgw_wg_endpoint *ep, const uint8_t *buf,
		size_t len)
{
	wg->stats.tx_packets++;
	wg->stats.tx_bytes += len;
	if (peer) {
		peer->stats.tx_packets++;
		peer->stats.tx_bytes += len;
	}
	wg->ops.send(wg->ops.user, peer, ep, buf, len);
}

static bool endpoint_equal(const struct fzgw_wg_endpoint *a,
			   const struct fzgw_wg_endpoint *b)
{
	if (a->sa.sa_family != b->sa.sa_family || a->channel != b->channel)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in4.sin_port == b->in4.sin_port &&
		       a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
		       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16);
	return false;
}

/* Only called once a packet from @src has authenticated (roaming, section 6.5). */
void fzgw_wg_set_endpoint_from(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			       const struct fzgw_wg_endpoint *src)
{
	if (!src || (src->sa.sa_family != AF_INET &&
		     src->sa.sa_family != AF_INET6))
		return;
	if (peer->has_endpoint && endpoint_equal(&peer->endpoint, src))
		return;
	memset(&peer->endpoint, 0, sizeof(peer->endpoint));
	if (src->sa.sa_family == AF_INET) {
		peer->endpoint.in4 = src->in4;
		peer->endpoint.len = sizeof(struct sockaddr_in);
	} else {
		peer->endpoint.in6 = src->in6;
		peer->endpoint.len = sizeof(struct sockaddr_in6);
	}
	peer->endpoint.channel = src->channel;
	peer->has_endpoint = true;
	fzgw_wg_emit(wg, peer, FZGW_WG_EV_ENDPOINT_CHANGED);
}

void fzgw_wg_tick(struct fzgw_wg *wg)
{
	uint64_t now;

	if (!wg)
		return;
	now = fzgw_wg_now(wg);
	fzgw_wg_deadline_run(wg, now);
	if (now >= wg->next_housekeeping_ns) {
		/* Once a second, like the kernel's ratelimiter gc work. */
		fzgw_wg_ratelimiter_gc(&wg->rl, now, false);
		fzgw_wg_ratelimiter_gc(&wg->cookie_rl, now, false);
		fzgw_wg_cookie_expire_secret(wg, now);
		wg->next_housekeeping_ns = now + FZGW_WG_NSEC;
	}
}

uint64_t fzgw_wg_next_deadline(struct fzgw_wg *wg)
{
	uint64_t next;

	if (!wg)
		return UINT64_MAX;
	next = fzgw_wg_deadline_next(wg);
	if ((fzgw_wg_ratelimiter_count(&wg->rl) ||
	     fzgw_wg_ratelimiter_count(&wg->cookie_rl) || wg->cookie_secret_set) &&
	    wg->next_housekeeping_ns < next)
		next = wg->next_housekeeping_ns;
	return next;
}

const char *fzgw_wg_drop_name(int reason)
{
	static const char *const names[FZGW_WG_DROP_COUNT] = {
		[FZGW_WG_DROP_NONE] = "none",
		[FZGW_WG_DROP_BAD_LENGTH] = "bad_length",
		[FZGW_WG_DROP_BAD_RESERVED] = "bad_reserved",
		[FZGW_WG_DROP_BAD_TYPE] = "bad_type",
		[FZGW_WG_DROP_MAC1_INVALID] = "mac1_invalid",
		[FZGW_WG_DROP_MAC2_INVALID] = "mac2_invalid",
		[FZGW_WG_DROP_RATELIMITED] = "ratelimited",
		[FZGW_WG_DROP_HS_DECRYPT] = "hs_decrypt_failed",
		[FZGW_WG_DROP_HS_LOW_ORDER] = "hs_low_order",
		[FZGW_WG_DROP_UNKNOWN_PEER] = "unknown_peer",
		[FZGW_WG_DROP_HS_REPLAY] = "hs_replay",
		[FZGW_WG_DROP_HS_FLOOD] = "hs_flood",
		[FZGW_WG_DROP_HS_UNEXPECTED] = "hs_unexpected",
		[FZGW_WG_DROP_COOKIE_DECRYPT] = "cookie_decrypt_failed",
		[FZGW_WG_DROP_UNKNOWN_INDEX] = "unknown_index",
		[FZGW_WG_DROP_KEY_EXPIRED] = "key_expired",
		[FZGW_WG_DROP_DECRYPT] = "decrypt_failed",
		[FZGW_WG_DROP_REPLAY] = "replay",
		[FZGW_WG_DROP_BAD_INNER] = "bad_inner_packet",
		[FZGW_WG_DROP_NO_MEMORY] = "no_memory",
		[FZGW_WG_DROP_COOKIE_BUDGET] = "cookie_budget",
	};

	if (reason < 0)
		reason = -reason;
	if (reason >= FZGW_WG_DROP_COUNT)
		return "unknown";
	return names[reason];
}
