/* SPDX-License-Identifier: Apache-2.0 */
/* Noise_IKpsk2 initiation and response, built and checked step by step (paper section 5.4). */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "blake2s.h"
#include "device.h"
#include "kdf.h"
#include "keypair.h"
#include "noise.h"

static const char noise_construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char noise_identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

void fzgw_wg_noise_init(struct fzgw_wg *wg)
{
	struct fzgw_wg_blake2s s;

	fzgw_wg_blake2s(wg->initial_ck, FZGW_WG_HASH_LEN, noise_construction,
			sizeof(noise_construction) - 1, NULL, 0);
	fzgw_wg_blake2s_init(&s, FZGW_WG_HASH_LEN, NULL, 0);
	fzgw_wg_blake2s_update(&s, wg->initial_ck, FZGW_WG_HASH_LEN);
	fzgw_wg_blake2s_update(&s, noise_identifier,
			       sizeof(noise_identifier) - 1);
	fzgw_wg_blake2s_final(&s, wg->initial_hash);
}

int fzgw_wg_noise_precompute(struct fzgw_wg *wg, struct fzgw_wg_peer *peer)
{
	/* libsodium refuses a low-order point (an all-zero result): such a
	 * peer could never complete a handshake, so it is not accepted at all. */
	if (crypto_scalarmult_curve25519(peer->sec->static_static,
					 wg->sec->static_private,
					 peer->public_key) != 0) {
		sodium_memzero(peer->sec->static_static, FZGW_WG_KEY_LEN);
		return -EINVAL;
	}
	return 0;
}

void fzgw_wg_tai64n(struct fzgw_wg *wg, uint8_t out[12])
{
	struct timespec ts;
	uint64_t secs;
	uint32_t nsecs;

	wg->ops.wall(wg->ops.user, &ts);
	/* TAI64 label: 2^62 + 10 s of TAI offset, as wireguard-go and the kernel. */
	secs = 0x400000000000000aull + (uint64_t)ts.tv_sec;
	/* Round the nanoseconds down to 2^24 ns (below the 20 ms flood window)
	 * so the timestamp does not leak a fine-grained clock. */
	nsecs = (uint32_t)ts.tv_nsec & ~(uint32_t)0xffffff;
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(secs >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(nsecs >> (24 - 8 * i));
}

/* h = HASH(h || data) */
static void mix_hash(uint8_t hash[FZGW_WG_HASH_LEN], const void *data,
		     size_t len)
{
	struct fzgw_wg_blake2s s;

	fzgw_wg_blake2s_init(&s, FZGW_WG_HASH_LEN, NULL, 0);
	fzgw_wg_blake2s_update(&s, hash, FZGW_WG_HASH_LEN);
	fzgw_wg_blake2s_update(&s, data, len);
	fzgw_wg_blake2s_final(&s, hash);
}

/* (ck, key) = KDF2(ck, DH(priv, pub)), or ck = KDF1(...) when @key is NULL. */
static int mix_dh(struct fzgw_wg *wg, uint8_t ck[FZGW_WG_HASH_LEN],
		  uint8_t *key, const uint8_t priv[FZGW_WG_KEY_LEN],
		  const uint8_t pub[FZGW_WG_KEY_LEN])
{
	uint8_t dh[FZGW_WG_KEY_LEN];
	int ret = 0;

	wg->stats.x25519_ops++;
	/* -1 means the point has small order: the shared secret would be
	 * known to anyone, so the handshake must not go on. */
	if (crypto_scalarmult_curve25519(dh, priv, pub) != 0)
		ret = -FZGW_WG_DROP_HS_LOW_ORDER;
	else
		fzgw_wg_kdf(ck, key, NULL, ck, FZGW_WG_HASH_LEN, dh, sizeof(dh));
	sodium_memzero(dh, sizeof(dh));
	return ret;
}

static int mix_precomputed_dh(uint8_t ck[FZGW_WG_HASH_LEN],
			      uint8_t key[FZGW_WG_KEY_LEN],
			      const uint8_t precomputed[FZGW_WG_KEY_LEN])
{
	if (sodium_is_zero(precomputed, FZGW_WG_KEY_LEN))
		return -FZGW_WG_DROP_HS_LOW_ORDER;
	fzgw_wg_kdf(ck, key, NULL, ck, FZGW_WG_HASH_LEN, precomputed,
		    FZGW_WG_KEY_LEN);
	return 0;
}

/* (ck, tau, key) = KDF3(ck, Q); h = HASH(h || tau) */
static void mix_psk(uint8_t ck[FZGW_WG_HASH_LEN], uint8_t hash[FZGW_WG_HASH_LEN],
		    uint8_t key[FZGW_WG_KEY_LEN], const uint8_t psk[FZGW_WG_KEY_LEN])
{
	uint8_t tau[FZGW_WG_HASH_LEN];

	fzgw_wg_kdf(ck, tau, key, ck, FZGW_WG_HASH_LEN, psk, FZGW_WG_KEY_LEN);
	mix_hash(hash, tau, sizeof(tau));
	sodium_memzero(tau, sizeof(tau));
}

/* dst = AEAD(key, 0, src, h); h = HASH(h || dst) */
static void message_encrypt(uint8_t *dst, const uint8_t *src, size_t len,
			    const uint8_t key[FZGW_WG_KEY_LEN],
			    uint8_t hash[FZGW_WG_HASH_LEN])
{
	static const uint8_t zero_nonce[12];

	crypto_aead_chacha20poly1305_ietf_encrypt(dst, NULL, src, len, hash,
						  FZGW_WG_HASH_LEN, NULL,
						  zero_nonce, key);
	mix_hash(hash, dst, len + FZGW_WG_AEAD_TAG_LEN);
}

static int message_decrypt(uint8_t *dst, const uint8_t *src, size_t src_len,
			   const uint8_t key[FZGW_WG_KEY_LEN],
			   uint8_t hash[FZGW_WG_HASH_LEN])
{
	static const uint8_t zero_nonce[12];

	if (crypto_aead_chacha20poly1305_ietf_decrypt(dst, NULL, NULL, src,
						      src_len, hash,
						      FZGW_WG_HASH_LEN,
						      zero_nonce, key) != 0)
		return -FZGW_WG_DROP_HS_DECRYPT;
	mix_hash(hash, src, src_len);
	return 0;
}

/* Unencrypted ephemeral: h = HASH(h || e); ck = KDF1(ck, e) */
static void message_ephemeral(uint8_t dst[FZGW_WG_KEY_LEN],
			      const uint8_t src[FZGW_WG_KEY_LEN],
			      uint8_t ck[FZGW_WG_HASH_LEN],
			      uint8_t hash[FZGW_WG_HASH_LEN])
{
	if (dst != src)
		memcpy(dst, src, FZGW_WG_KEY_LEN);
	mix_hash(hash, src, FZGW_WG_KEY_LEN);
	fzgw_wg_kdf(ck, NULL, NULL, ck, FZGW_WG_HASH_LEN, src, FZGW_WG_KEY_LEN);
}

/* ck = Ci; h = HASH(Hi || S_pub_responder) */
static void handshake_init(const struct fzgw_wg *wg,
			   uint8_t ck[FZGW_WG_HASH_LEN],
			   uint8_t hash[FZGW_WG_HASH_LEN],
			   const uint8_t responder_static[FZGW_WG_KEY_LEN])
{
	memcpy(ck, wg->initial_ck, FZGW_WG_HASH_LEN);
	memcpy(hash, wg->initial_hash, FZGW_WG_HASH_LEN);
	mix_hash(hash, responder_static, FZGW_WG_KEY_LEN);
}

static int new_ephemeral(struct fzgw_wg *wg, uint8_t priv[FZGW_WG_KEY_LEN],
			 uint8_t pub[FZGW_WG_KEY_LEN])
{
	fzgw_wg_random(wg, priv, FZGW_WG_KEY_LEN);
	wg->stats.x25519_ops++;
	return crypto_scalarmult_curve25519_base(pub, priv) ? -EINVAL : 0;
}

void fzgw_wg_noise_handshake_clear(struct fzgw_wg *wg,
				   struct fzgw_wg_peer *peer)
{
	struct fzgw_wg_handshake *hs = &peer->hs;

	fzgw_wg_index_remove(wg, &hs->entry);
	/* The timestamp and the flood clock survive: they guard against
	 * replays across handshakes. */
	sodium_memzero(peer->sec->ephemeral_private, FZGW_WG_KEY_LEN);
	sodium_memzero(peer->sec->chaining_key, FZGW_WG_HASH_LEN);
	sodium_memzero(peer->sec->hash, FZGW_WG_HASH_LEN);
	memset(hs->remote_ephemeral, 0, sizeof(hs->remote_ephemeral));
	hs->remote_index = 0;
	hs->state = FZGW_WG_HS_ZEROED;
}

int fzgw_wg_noise_create_initiation(struct fzgw_wg *wg,
				    struct fzgw_wg_peer *peer, uint8_t *dst)
{
	struct fzgw_wg_peer_secrets *sec = peer->sec;
	uint8_t timestamp[FZGW_WG_TIMESTAMP_LEN];
	uint8_t key[FZGW_WG_KEY_LEN];
	uint8_t e_pub[FZGW_WG_KEY_LEN];
	int ret;

	memset(dst, 0, FZGW_WG_INITIATION_LEN);
	dst[0] = FZGW_WG_MSG_INITIATION;
	handshake_init(wg, sec->chaining_key, sec->hash, peer->public_key);

	/* e */
	ret = new_ephemeral(wg, sec->ephemeral_private, e_pub);
	if (ret)
		goto err;
	message_ephemeral(dst + FZGW_WG_INIT_EPHEMERAL, e_pub,
			  sec->chaining_key, sec->hash);

	/* es */
	ret = mix_dh(wg, sec->chaining_key, key, sec->ephemeral_private,
		     peer->public_key);
	if (ret)
		goto err;

	/* s */
	message_encrypt(dst + FZGW_WG_INIT_STATIC, wg->static_public,
			FZGW_WG_KEY_LEN, key, sec->hash);

	/* ss */
	ret = mix_precomputed_dh(sec->chaining_key, key, sec->static_static);
	if (ret)
		goto err;

	/* {t} */
	fzgw_wg_tai64n(wg, timestamp);
	message_encrypt(dst + FZGW_WG_INIT_TIMESTAMP, timestamp,
			FZGW_WG_TIMESTAMP_LEN, key, sec->hash);

	peer->hs.entry.kind = FZGW_WG_INDEX_HANDSHAKE;
	peer->hs.entry.peer = peer;
	if (fzgw_wg_index_insert(wg, &peer->hs.entry) != 0) {
		ret = -FZGW_WG_DROP_NO_MEMORY;
		goto err;
	}
	fzgw_wg_put_le32(dst + FZGW_WG_INIT_SENDER, peer->hs.entry.index);
	peer->hs.state = FZGW_WG_HS_CREATED_INITIATION;
	goto out;

err:
	fzgw_wg_noise_handshake_clear(wg, peer);
out:
	sodium_memzero(key, sizeof(key));
	return ret;
}

int fzgw_wg_noise_consume_initiation(struct fzgw_wg *wg, const uint8_t *src,
				     uint64_t now, struct fzgw_wg_peer **out)
{
	uint8_t s[FZGW_WG_KEY_LEN], e[FZGW_WG_KEY_LEN];
	uint8_t t[FZGW_WG_TIMESTAMP_LEN];
	uint8_t hash[FZGW_WG_HASH_LEN], ck[FZGW_WG_HASH_LEN];
	uint8_t key[FZGW_WG_KEY_LEN];
	struct fzgw_wg_peer *peer;
	struct fzgw_wg_handshake *hs;
	int ret;

	*out = NULL;
	handshake_init(wg, ck, hash, wg->static_public);

	/* e */
	message_ephemeral(e, src + FZGW_WG_INIT_EPHEMERAL, ck, hash);

	/* es */
	ret = mix_dh(wg, ck, key, wg->sec->static_private, e);
	if (ret)
		goto out;

	/* s */
	ret = message_decrypt(s, src + FZGW_WG_INIT_STATIC,
			      FZGW_WG_KEY_LEN + FZGW_WG_AEAD_TAG_LEN, key, hash);
	if (ret)
		goto out;

	/* Which peer is this? */
	peer = fzgw_wg_peer_lookup(wg, s);
	if (!peer) {
		ret = -FZGW_WG_DROP_UNKNOWN_PEER;
		goto out;
	}
	hs = &peer->hs;

	/* ss */
	ret = mix_precomputed_dh(ck, key, peer->sec->static_static);
	if (ret)
		goto out;

	/* {t} */
	ret = message_decrypt(t, src + FZGW_WG_INIT_TIMESTAMP,
			      FZGW_WG_TIMESTAMP_LEN + FZGW_WG_AEAD_TAG_LEN, key,
			      hash);
	if (ret)
		goto out;

	/* Section 5.1: a timestamp not newer than the last accepted one is a
	 * replay; and, like the kernel, initiations from one peer are consumed
	 * at most INITIATIONS_PER_SECOND times a second. */
	if (memcmp(t, hs->latest_timestamp, FZGW_WG_TIMESTAMP_LEN) <= 0) {
		peer->stats.hs_replay_dropped++;
		ret = -FZGW_WG_DROP_HS_REPLAY;
		goto out;
	}
	if (hs->consumed_any_initiation &&
	    !fzgw_wg_expired(hs->last_initiation_consumption_ns,
			     FZGW_WG_NSEC / FZGW_WG_INITIATIONS_PER_SECOND,
			     now)) {
		peer->stats.hs_flood_dropped++;
		ret = -FZGW_WG_DROP_HS_FLOOD;
		goto out;
	}

	/* Success: the handshake state now belongs to this initiation. */
	memcpy(hs->remote_ephemeral, e, FZGW_WG_KEY_LEN);
	memcpy(hs->latest_timestamp, t, FZGW_WG_TIMESTAMP_LEN);
	memcpy(peer->sec->hash, hash, FZGW_WG_HASH_LEN);
	memcpy(peer->sec->chaining_key, ck, FZGW_WG_HASH_LEN);
	hs->remote_index = fzgw_wg_le32(src + FZGW_WG_INIT_SENDER);
	hs->last_initiation_consumption_ns = now;
	hs->consumed_any_initiation = true;
	hs->state = FZGW_WG_HS_CONSUMED_INITIATION;
	*out = peer;

out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(hash, sizeof(hash));
	sodium_memzero(t, sizeof(t));
	return ret;
}

int fzgw_wg_noise_create_response(struct fzgw_wg *wg,
				  struct fzgw_wg_peer *peer, uint8_t *dst)
{
	struct fzgw_wg_peer_secrets *sec = peer->sec;
	struct fzgw_wg_handshake *hs = &peer->hs;
	uint8_t key[FZGW_WG_KEY_LEN];
	uint8_t e_pub[FZGW_WG_KEY_LEN];
	int ret;

	if (hs->state != FZGW_WG_HS_CONSUMED_INITIATION)
		return -FZGW_WG_DROP_HS_UNEXPECTED;

	memset(dst, 0, FZGW_WG_RESPONSE_LEN);
	dst[0] = FZGW_WG_MSG_RESPONSE;
	fzgw_wg_put_le32(dst + FZGW_WG_RESP_RECEIVER, hs->remote_index);

	/* e */
	ret = new_ephemeral(wg, sec->ephemeral_private, e_pub);
	if (ret)
		goto err;
	message_ephemeral(dst + FZGW_WG_RESP_EPHEMERAL, e_pub,
			  sec->chaining_key, sec->hash);

	/* ee */
	ret = mix_dh(wg, sec->chaining_key, NULL, sec->ephemeral_private,
		     hs->remote_ephemeral);
	if (ret)
		goto err;

	/* se */
	ret = mix_dh(wg, sec->chaining_key, NULL, sec->ephemeral_private,
		     peer->public_key);
	if (ret)
		goto err;

	/* psk */
	mix_psk(sec->chaining_key, sec->hash, key, sec->psk);

	/* {} */
	message_encrypt(dst + FZGW_WG_RESP_EMPTY, NULL, 0, key, sec->hash);

	hs->entry.kind = FZGW_WG_INDEX_HANDSHAKE;
	hs->entry.peer = peer;
	if (fzgw_wg_index_insert(wg, &hs->entry) != 0) {
		ret = -FZGW_WG_DROP_NO_MEMORY;
		goto err;
	}
	fzgw_wg_put_le32(dst + FZGW_WG_RESP_SENDER, hs->entry.index);
	hs->state = FZGW_WG_HS_CREATED_RESPONSE;
	goto out;

err:
	fzgw_wg_noise_handshake_clear(wg, peer);
out:
	sodium_memzero(key, sizeof(key));
	return ret;
}

int fzgw_wg_noise_consume_response(struct fzgw_wg *wg, const uint8_t *src,
				   struct fzgw_wg_peer **out)
{
	uint8_t e[FZGW_WG_KEY_LEN];
	uint8_t hash[FZGW_WG_HASH_LEN], ck[FZGW_WG_HASH_LEN];
	uint8_t key[FZGW_WG_KEY_LEN];
	uint8_t empty[1];
	struct fzgw_wg_index_entry *entry;
	struct fzgw_wg_peer *peer;
	int ret;

	*out = NULL;
	entry = fzgw_wg_index_lookup(wg,
				     fzgw_wg_le32(src + FZGW_WG_RESP_RECEIVER),
				     FZGW_WG_INDEX_HANDSHAKE);
	if (!entry || entry->peer->hs.state != FZGW_WG_HS_CREATED_INITIATION)
		return -FZGW_WG_DROP_HS_UNEXPECTED;
	peer = entry->peer;

	/* Work on copies so that a forged response leaves our state intact. */
	memcpy(ck, peer->sec->chaining_key, sizeof(ck));
	memcpy(hash, peer->sec->hash, sizeof(hash));

	/* e */
	message_ephemeral(e, src + FZGW_WG_RESP_EPHEMERAL, ck, hash);

	/* ee */
	ret = mix_dh(wg, ck, NULL, peer->sec->ephemeral_private, e);
	if (ret)
		goto out;

	/* se */
	ret = mix_dh(wg, ck, NULL, wg->sec->static_private, e);
	if (ret)
		goto out;

	/* psk */
	mix_psk(ck, hash, key, peer->sec->psk);

	/* {} */
	ret = message_decrypt(empty, src + FZGW_WG_RESP_EMPTY,
			      FZGW_WG_AEAD_TAG_LEN, key, hash);
	if (ret)
		goto out;

	memcpy(peer->hs.remote_ephemeral, e, FZGW_WG_KEY_LEN);
	memcpy(peer->sec->chaining_key, ck, sizeof(ck));
	memcpy(peer->sec->hash, hash, sizeof(hash));
	peer->hs.remote_index = fzgw_wg_le32(src + FZGW_WG_RESP_SENDER);
	peer->hs.state = FZGW_WG_HS_CONSUMED_RESPONSE;
	*out = peer;

out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(hash, sizeof(hash));
	return ret;
}

int fzgw_wg_noise_begin_session(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
				uint64_t now)
{
	struct fzgw_wg_handshake *hs = &peer->hs;
	struct fzgw_wg_keypair *kp;
	bool initiator;

	if (hs->state != FZGW_WG_HS_CREATED_RESPONSE &&
	    hs->state != FZGW_WG_HS_CONSUMED_RESPONSE)
		return -FZGW_WG_DROP_HS_UNEXPECTED;
	initiator = hs->state == FZGW_WG_HS_CONSUMED_RESPONSE;

	kp = fzgw_wg_keypair_new(wg);
	if (!kp)
		return -FZGW_WG_DROP_NO_MEMORY;
	/* (T_send_i, T_recv_i) = KDF2(C, empty); the responder's are swapped. */
	if (initiator)
		fzgw_wg_kdf(kp->send_key, kp->recv_key, NULL,
			    peer->sec->chaining_key, FZGW_WG_HASH_LEN, NULL, 0);
	else
		fzgw_wg_kdf(kp->recv_key, kp->send_key, NULL,
			    peer->sec->chaining_key, FZGW_WG_HASH_LEN, NULL, 0);
	kp->initiator = initiator;
	kp->birth_ns = now;
	kp->remote_index = hs->remote_index;
	kp->valid = true;
	kp->entry.kind = FZGW_WG_INDEX_KEYPAIR;
	kp->entry.peer = peer;
	/* The session keeps the index the peer already knows from the handshake. */
	fzgw_wg_index_replace(wg, &hs->entry, &kp->entry);
	fzgw_wg_noise_handshake_clear(wg, peer);
	fzgw_wg_keypairs_add(wg, peer, kp);
	return 0;
}
