/* SPDX-License-Identifier: Apache-2.0 */
/* Handshake MACs and cookies: mac1 proves knowledge of our public key, mac2 a reachable source. */
#include <string.h>

#include <sodium.h>

#include "blake2s.h"
#include "cookie.h"
#include "device.h"
#include "ratelimiter.h"

static const char label_mac1[] = "mac1----";
static const char label_cookie[] = "cookie--";

static void precompute_key(uint8_t key[FZGW_WG_HASH_LEN], const char *label,
			   const uint8_t pub[FZGW_WG_KEY_LEN])
{
	struct fzgw_wg_blake2s s;

	fzgw_wg_blake2s_init(&s, FZGW_WG_HASH_LEN, NULL, 0);
	fzgw_wg_blake2s_update(&s, label, 8);
	fzgw_wg_blake2s_update(&s, pub, FZGW_WG_KEY_LEN);
	fzgw_wg_blake2s_final(&s, key);
}

void fzgw_wg_cookie_init_device(struct fzgw_wg *wg)
{
	precompute_key(wg->mac1_key, label_mac1, wg->static_public);
	precompute_key(wg->cookie_key, label_cookie, wg->static_public);
}

void fzgw_wg_cookie_init_peer(struct fzgw_wg_peer *peer)
{
	precompute_key(peer->mac1_key, label_mac1, peer->public_key);
	precompute_key(peer->cookie_key, label_cookie, peer->public_key);
}

/* mac1 = MAC(HASH(label || S_pub_receiver), msg up to mac1) */
static void compute_mac1(uint8_t out[FZGW_WG_COOKIE_LEN], const uint8_t *msg,
			 size_t len, const uint8_t key[FZGW_WG_HASH_LEN])
{
	fzgw_wg_blake2s(out, FZGW_WG_COOKIE_LEN, msg, len - FZGW_WG_MACS_LEN,
			key, FZGW_WG_HASH_LEN);
}

/* mac2 = MAC(cookie, msg up to mac2) */
static void compute_mac2(uint8_t out[FZGW_WG_COOKIE_LEN], const uint8_t *msg,
			 size_t len, const uint8_t cookie[FZGW_WG_COOKIE_LEN])
{
	fzgw_wg_blake2s(out, FZGW_WG_COOKIE_LEN, msg, len - FZGW_WG_COOKIE_LEN,
			cookie, FZGW_WG_COOKIE_LEN);
}

/* cookie = MAC(R_m, source IP || source port [|| relay channel]), R_m rotated every two minutes. */
static void make_cookie(struct fzgw_wg *wg, uint8_t cookie[FZGW_WG_COOKIE_LEN],
			const struct fzgw_wg_endpoint *src, uint64_t now)
{
	struct fzgw_wg_blake2s s;

	if (!wg->cookie_secret_set ||
	    fzgw_wg_expired(wg->cookie_secret_birth_ns,
			    FZGW_WG_COOKIE_SECRET_MAX_AGE * FZGW_WG_NSEC, now)) {
		fzgw_wg_random(wg, wg->sec->cookie_secret,
			       sizeof(wg->sec->cookie_secret));
		wg->cookie_secret_birth_ns = now;
		wg->cookie_secret_set = true;
	}
	fzgw_wg_blake2s_init(&s, FZGW_WG_COOKIE_LEN, wg->sec->cookie_secret,
			     sizeof(wg->sec->cookie_secret));
	if (src->sa.sa_family == AF_INET) {
		fzgw_wg_blake2s_update(&s, &src->in4.sin_addr, 4);
		fzgw_wg_blake2s_update(&s, &src->in4.sin_port, 2);
	} else if (src->sa.sa_family == AF_INET6) {
		fzgw_wg_blake2s_update(&s, &src->in6.sin6_addr, 16);
		fzgw_wg_blake2s_update(&s, &src->in6.sin6_port, 2);
	}
	if (src->channel) { /* through a relay: the channel is part of the return path */
		uint8_t ch[2] = { (uint8_t)(src->channel >> 8), (uint8_t)src->channel };

		fzgw_wg_blake2s_update(&s, ch, sizeof(ch));
	}
	fzgw_wg_blake2s_final(&s, cookie);
}

void fzgw_wg_cookie_add_macs(struct fzgw_wg_peer *peer, uint8_t *msg,
			     size_t len, uint64_t now)
{
	uint8_t *mac1 = msg + len - FZGW_WG_MACS_LEN;
	uint8_t *mac2 = msg + len - FZGW_WG_COOKIE_LEN;

	compute_mac1(mac1, msg, len, peer->mac1_key);
	/* Remember it: a cookie reply is only accepted if it seals this mac1. */
	memcpy(peer->last_mac1_sent, mac1, FZGW_WG_COOKIE_LEN);
	peer->have_sent_mac1 = true;

	if (peer->cookie_valid &&
	    !fzgw_wg_expired(peer->cookie_birth_ns,
			     FZGW_WG_COOKIE_SECRET_MAX_AGE * FZGW_WG_NSEC, now))
		compute_mac2(mac2, msg, len, peer->sec->cookie);
	else
		memset(mac2, 0, FZGW_WG_COOKIE_LEN);
}

bool fzgw_wg_cookie_check_mac1(struct fzgw_wg *wg, const uint8_t *msg,
			       size_t len)
{
	uint8_t computed[FZGW_WG_COOKIE_LEN];

	compute_mac1(computed, msg, len, wg->mac1_key);
	return crypto_verify_16(computed, msg + len - FZGW_WG_MACS_LEN) == 0;
}

bool fzgw_wg_cookie_check_mac2(struct fzgw_wg *wg, const uint8_t *msg,
			       size_t len, const struct fzgw_wg_endpoint *src,
			       uint64_t now)
{
	uint8_t computed[FZGW_WG_COOKIE_LEN];
	uint8_t cookie[FZGW_WG_COOKIE_LEN];
	bool ok;

	/* A sender without a cookie sends mac2 as zeros (section 5.4.4): no
	 * hashing for those, the common case of a flood. */
	if (sodium_is_zero(msg + len - FZGW_WG_COOKIE_LEN, FZGW_WG_COOKIE_LEN))
		return false;
	make_cookie(wg, cookie, src, now);
	compute_mac2(computed, msg, len, cookie);
	ok = crypto_verify_16(computed, msg + len - FZGW_WG_COOKIE_LEN) == 0;
	sodium_memzero(cookie, sizeof(cookie));
	return ok;
}

void fzgw_wg_cookie_expire_secret(struct fzgw_wg *wg, uint64_t now)
{
	if (wg->cookie_secret_set &&
	    fzgw_wg_expired(wg->cookie_secret_birth_ns,
			    FZGW_WG_COOKIE_SECRET_MAX_AGE * FZGW_WG_NSEC, now)) {
		sodium_memzero(wg->sec->cookie_secret,
			       sizeof(wg->sec->cookie_secret));
		wg->cookie_secret_set = false;
	}
}

void fzgw_wg_cookie_reply_create(struct fzgw_wg *wg, uint8_t *dst,
				 const uint8_t *msg, size_t len,
				 uint32_t sender_index,
				 const struct fzgw_wg_endpoint *src,
				 uint64_t now)
{
	const uint8_t *mac1 = msg + len - FZGW_WG_MACS_LEN;
	uint8_t cookie[FZGW_WG_COOKIE_LEN];

	memset(dst, 0, FZGW_WG_COOKIE_REPLY_LEN);
	dst[0] = FZGW_WG_MSG_COOKIE;
	fzgw_wg_put_le32(dst + FZGW_WG_COOKIE_RECEIVER, sender_index);
	fzgw_wg_random(wg, dst + FZGW_WG_COOKIE_NONCE, FZGW_WG_COOKIE_NONCE_LEN);
	make_cookie(wg, cookie, src, now);
	/* XAEAD(HASH("cookie--" || S_pub), nonce, cookie, mac1): binding the
	 * reply to the mac1 we received stops replies for other messages. */
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		dst + FZGW_WG_COOKIE_ENCRYPTED, NULL, cookie, sizeof(cookie),
		mac1, FZGW_WG_COOKIE_LEN, NULL, dst + FZGW_WG_COOKIE_NONCE,
		wg->cookie_key);
	sodium_memzero(cookie, sizeof(cookie));
}

int fzgw_wg_cookie_reply_consume(struct fzgw_wg *wg, const uint8_t *msg,
				 uint64_t now)
{
	struct fzgw_wg_index_entry *entry;
	struct fzgw_wg_peer *peer;
	uint8_t cookie[FZGW_WG_COOKIE_LEN];
	bool pending;

	entry = fzgw_wg_index_lookup(wg,
				     fzgw_wg_le32(msg + FZGW_WG_COOKIE_RECEIVER),
				     FZGW_WG_INDEX_HANDSHAKE |
					     FZGW_WG_INDEX_KEYPAIR);
	if (!entry)
		return -FZGW_WG_DROP_HS_UNEXPECTED;
	peer = entry->peer;
	/* Only a handshake message of ours that is still waiting for its
	 * answer can be answered with a cookie: our initiation, or our
	 * response whose keys are not confirmed yet. */
	if (entry->kind == FZGW_WG_INDEX_HANDSHAKE)
		pending = peer->hs.state == FZGW_WG_HS_CREATED_INITIATION;
	else
		pending = peer->kp_next &&
			  entry == &peer->kp_next->entry;
	if (!pending || !peer->have_sent_mac1)
		return -FZGW_WG_DROP_HS_UNEXPECTED;

	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    cookie, NULL, NULL, msg + FZGW_WG_COOKIE_ENCRYPTED,
		    FZGW_WG_COOKIE_LEN + FZGW_WG_AEAD_TAG_LEN,
		    peer->last_mac1_sent, FZGW_WG_COOKIE_LEN,
		    msg + FZGW_WG_COOKIE_NONCE, peer->cookie_key) != 0)
		return -FZGW_WG_DROP_COOKIE_DECRYPT;

	memcpy(peer->sec->cookie, cookie, FZGW_WG_COOKIE_LEN);
	peer->cookie_birth_ns = now;
	peer->cookie_valid = true;
	peer->have_sent_mac1 = false;
	sodium_memzero(cookie, sizeof(cookie));
	return 0;
}

bool fzgw_wg_cookie_budget(struct fzgw_wg *wg,
			   const struct fzgw_wg_endpoint *src, uint64_t now)
{
	const uint64_t cost = FZGW_WG_NSEC / FZGW_WG_COOKIE_REPLIES_PER_S;
	const uint64_t max = cost * FZGW_WG_COOKIE_REPLIES_BURST;
	uint64_t tokens = wg->cookie_tokens_ns;

	/* the global bucket, refilled by the time elapsed */
	if (!wg->cookie_refill_ns || now < wg->cookie_refill_ns) {
		tokens = max;
	} else {
		uint64_t elapsed = now - wg->cookie_refill_ns;

		tokens = elapsed >= max - tokens ? max : tokens + elapsed;
	}
	wg->cookie_refill_ns = now;
	wg->cookie_tokens_ns = tokens;
	if (tokens < cost)
		return false;
	/* a source's own share; a source past the table's size has only the global one */
	if (!fzgw_wg_ratelimiter_allow(&wg->cookie_rl, src, now))
		return false;
	wg->cookie_tokens_ns = tokens - cost;
	return true;
}
