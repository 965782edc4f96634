/* SPDX-License-Identifier: Apache-2.0 */
/* Peers: the public-key table, configuration, and teardown that erases every key. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cookie.h"
#include "device.h"
#include "keypair.h"
#include "noise.h"

static uint64_t key_hash(const struct fzgw_wg *wg, const uint8_t pub[32])
{
	uint8_t h[8];
	uint64_t v;

	/* Keyed, because peer keys may come from parties we do not trust. */
	crypto_shorthash(h, pub, FZGW_WG_KEY_LEN, wg->peer_hash_key);
	memcpy(&v, h, sizeof(v));
	return v;
}

struct fzgw_wg_peer *fzgw_wg_peer_lookup(struct fzgw_wg *wg,
					 const uint8_t pub[32])
{
	struct fzgw_wg_hnode *n;
	uint64_t hash;

	if (!wg || !pub)
		return NULL;
	hash = key_hash(wg, pub);
	for (n = fzgw_wg_htable_bucket(&wg->peers, hash); n; n = n->next) {
		struct fzgw_wg_peer *p =
			fzgw_wg_container_of(n, struct fzgw_wg_peer, key_node);

		if (n->hash == hash &&
		    !memcmp(p->public_key, pub, FZGW_WG_KEY_LEN))
			return p;
	}
	return NULL;
}

int fzgw_wg_peer_add(struct fzgw_wg *wg, const uint8_t pub[32],
		     const uint8_t *psk, void *user, struct fzgw_wg_peer **out)
{
	struct fzgw_wg_peer *p;
	int ret;

	if (!wg || !pub || !out)
		return -EINVAL;
	*out = NULL;
	if (!memcmp(pub, wg->static_public, FZGW_WG_KEY_LEN))
		return -EINVAL;
	if (fzgw_wg_peer_lookup(wg, pub))
		return -EEXIST;
	if (wg->peers.count >= wg->limits.max_peers)
		return -ENOSPC;
	/* Reserve the peer's heap slot now so arming a timer never allocates. */
	if (fzgw_wg_deadline_reserve(wg, wg->peers.count + 1))
		return -ENOMEM;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->sec = fzgw_wg_secmem_alloc(&wg->peer_secrets);
	if (!p->sec) {
		ret = -ENOMEM;
		goto err_peer;
	}
	p->wg = wg;
	p->user = user;
	p->heap_pos = (size_t)-1;
	memcpy(p->public_key, pub, FZGW_WG_KEY_LEN);
	if (psk)
		memcpy(p->sec->psk, psk, FZGW_WG_KEY_LEN);
	ret = fzgw_wg_noise_precompute(wg, p);
	if (ret)
		goto err_sec;
	fzgw_wg_cookie_init_peer(p);
	/* removed and added again (revoked, then granted): replays stay refused */
	fzgw_wg_tsmemo_take(&wg->removed_ts, key_hash(wg, pub), pub, p->hs.latest_timestamp);
	fzgw_wg_htable_add(&wg->peers, &p->key_node, key_hash(wg, pub));
	*out = p;
	return 0;

err_sec:
	fzgw_wg_secmem_free(&wg->peer_secrets, p->sec);
err_peer:
	free(p);
	return ret;
}

void fzgw_wg_peer_remove(struct fzgw_wg *wg, struct fzgw_wg_peer *peer)
{
	static const uint8_t none[FZGW_WG_TIMESTAMP_LEN];

	if (!wg || !peer || peer->wg != wg)
		return;
	fzgw_wg_timers_stop(peer);
	/* its greatest TAI64N outlives it, for as long as the process (bounded, oldest forgotten) */
	if (memcmp(peer->hs.latest_timestamp, none, sizeof(none)))
		fzgw_wg_tsmemo_put(&wg->removed_ts, key_hash(wg, peer->public_key), peer->public_key,
				   peer->hs.latest_timestamp);
	fzgw_wg_noise_handshake_clear(wg, peer);
	fzgw_wg_keypairs_clear(wg, peer);
	fzgw_wg_htable_del(&wg->peers, &peer->key_node);
	fzgw_wg_secmem_free(&wg->peer_secrets, peer->sec);
	sodium_memzero(peer, sizeof(*peer));
	free(peer);
}

int fzgw_wg_peer_set_psk(struct fzgw_wg_peer *peer, const uint8_t *psk)
{
	if (!peer)
		return -EINVAL;
	if (psk)
		memcpy(peer->sec->psk, psk, FZGW_WG_KEY_LEN);
	else
		sodium_memzero(peer->sec->psk, FZGW_WG_KEY_LEN);
	return 0;
}

int fzgw_wg_peer_set_endpoint(struct fzgw_wg_peer *peer,
			      const struct fzgw_wg_endpoint *ep)
{
	if (!peer || !ep)
		return -EINVAL;
	if (ep->sa.sa_family != AF_INET && ep->sa.sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	fzgw_wg_set_endpoint_from(peer->wg, peer, ep);
	return 0;
}

void fzgw_wg_peer_clear_endpoint(struct fzgw_wg_peer *peer)
{
	if (!peer)
		return;
	memset(&peer->endpoint, 0, sizeof(peer->endpoint));
	peer->has_endpoint = false;
}

const struct fzgw_wg_endpoint *
fzgw_wg_peer_endpoint(const struct fzgw_wg_peer *peer)
{
	return peer && peer->has_endpoint ? &peer->endpoint : NULL;
}

int fzgw_wg_peer_set_keepalive(struct fzgw_wg_peer *peer, uint16_t seconds)
{
	bool was_off;

	if (!peer)
		return -EINVAL;
	was_off = !peer->persistent_keepalive;
	peer->persistent_keepalive = seconds;
	/* As wg(8) does: turning it on sends one right away, which opens the
	 * NAT mapping (or starts a handshake if there is no session). */
	if (seconds && was_off && peer->has_endpoint)
		fzgw_wg_send_keepalive(peer->wg, peer, fzgw_wg_now(peer->wg));
	return 0;
}

void *fzgw_wg_peer_user(const struct fzgw_wg_peer *peer)
{
	return peer ? peer->user : NULL;
}

const uint8_t *fzgw_wg_peer_public_key(const struct fzgw_wg_peer *peer)
{
	return peer ? peer->public_key : NULL;
}

void fzgw_wg_peer_stats(const struct fzgw_wg_peer *peer,
			struct fzgw_wg_peer_stats *out)
{
	if (peer && out)
		*out = peer->stats;
}
