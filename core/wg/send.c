/* SPDX-License-Identifier: Apache-2.0 */
/* Outgoing messages: initiations, responses, cookie replies, keepalives and in-place data encryption. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "cookie.h"
#include "device.h"
#include "noise.h"

int fzgw_wg_send_initiation(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			    bool is_retry, uint64_t now)
{
	uint8_t msg[FZGW_WG_INITIATION_LEN];
	int ret;

	if (!is_retry)
		peer->handshake_attempts = 0;
	if (!peer->has_endpoint)
		return -EDESTADDRREQ;
	/* Section 6.4: at most one initiation per REKEY_TIMEOUT. */
	if (peer->sent_any_handshake &&
	    !fzgw_wg_expired(peer->last_sent_handshake_ns,
			     FZGW_WG_REKEY_TIMEOUT * FZGW_WG_NSEC, now))
		return -EALREADY;
	peer->last_sent_handshake_ns = now;
	peer->sent_any_handshake = true;

	ret = fzgw_wg_noise_create_initiation(wg, peer, msg);
	if (ret)
		return ret == -FZGW_WG_DROP_NO_MEMORY ? -ENOMEM : -EINVAL;
	fzgw_wg_cookie_add_macs(peer, msg, sizeof(msg), now);
	fzgw_wg_timers_any_authenticated_packet_traversal(peer, now);
	fzgw_wg_timers_any_authenticated_packet_sent(peer);
	/* Armed before the send: should the answer be processed before the
	 * send returns, completion must not be overwritten by this. */
	fzgw_wg_timers_handshake_initiated(peer, now);
	wg->stats.initiations_sent++;
	peer->stats.initiations_sent++;
	fzgw_wg_tx(wg, peer, &peer->endpoint, msg, sizeof(msg));
	return 0;
}

void fzgw_wg_send_response(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			   uint64_t now)
{
	uint8_t msg[FZGW_WG_RESPONSE_LEN];

	/* A response counts as our handshake for the REKEY_TIMEOUT limit, so
	 * crossing initiations do not pile up. */
	peer->last_sent_handshake_ns = now;
	peer->sent_any_handshake = true;
	if (fzgw_wg_noise_create_response(wg, peer, msg) != 0)
		return;
	fzgw_wg_cookie_add_macs(peer, msg, sizeof(msg), now);
	if (fzgw_wg_noise_begin_session(wg, peer, now) != 0)
		return;
	fzgw_wg_timers_session_derived(peer, now);
	fzgw_wg_timers_any_authenticated_packet_traversal(peer, now);
	fzgw_wg_timers_any_authenticated_packet_sent(peer);
	fzgw_wg_tx(wg, peer, &peer->endpoint, msg, sizeof(msg));
	wg->stats.responses_sent++;
}

void fzgw_wg_send_cookie_reply(struct fzgw_wg *wg,
			       const struct fzgw_wg_endpoint *src,
			       const uint8_t *msg, size_t len,
			       uint32_t sender_index, uint64_t now)
{
	uint8_t reply[FZGW_WG_COOKIE_REPLY_LEN];

	fzgw_wg_cookie_reply_create(wg, reply, msg, len, sender_index, src,
				    now);
	fzgw_wg_tx(wg, NULL, src, reply, sizeof(reply));
	wg->stats.cookies_sent++;
}

/* Pad to a multiple of 16 (section 5.4.6) but never past the MTU; a packet
 * over the MTU is padded by its remainder, as the kernel does. */
static size_t padding_len(size_t len, uint32_t mtu)
{
	size_t last = len, padded;

	if (!mtu)
		return ((len + 15) & ~(size_t)15) - len;
	if (last > mtu)
		last %= mtu;
	padded = (last + 15) & ~(size_t)15;
	if (padded > mtu)
		padded = mtu;
	return padded - last;
}

/* Current session if it may still send (section 6.2 limits). */
static struct fzgw_wg_keypair *sending_keypair(struct fzgw_wg_peer *peer,
					       uint64_t now)
{
	struct fzgw_wg_keypair *kp = peer->kp_current;

	if (!kp || !kp->valid ||
	    fzgw_wg_expired(kp->birth_ns,
			    FZGW_WG_REJECT_AFTER_TIME * FZGW_WG_NSEC, now) ||
	    kp->send_counter >= FZGW_WG_REJECT_AFTER_MESSAGES)
		return NULL;
	return kp;
}

/* Section 6.2: the initiator of a session rekeys after REKEY_AFTER_TIME, and
 * anyone does after REKEY_AFTER_MESSAGES. */
static void keep_key_fresh(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			   struct fzgw_wg_keypair *kp, uint64_t now)
{
	if (kp->send_counter > FZGW_WG_REKEY_AFTER_MESSAGES ||
	    (kp->initiator &&
	     fzgw_wg_expired(kp->birth_ns,
			     FZGW_WG_REKEY_AFTER_TIME * FZGW_WG_NSEC, now)))
		fzgw_wg_send_initiation(wg, peer, false, now);
}

/* @defer: the seal is left to fzgw_wg_seal() (NULL: done here). */
static int encrypt_packet(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			  uint8_t *buf, size_t len, size_t cap, uint32_t mtu,
			  size_t *out_len, uint64_t now, struct fzgw_wg_seal *defer)
{
	struct fzgw_wg_keypair *kp;
	uint8_t nonce[12];
	size_t pad, total;
	uint64_t counter;

	kp = sending_keypair(peer, now);
	if (!kp) {
		/* No usable session: ask for one; the caller queues the packet. */
		if (!peer->has_endpoint)
			return -EDESTADDRREQ;
		fzgw_wg_send_initiation(wg, peer, false, now);
		return -ENOKEY;
	}
	if (!peer->has_endpoint)
		return -EDESTADDRREQ;
	pad = padding_len(len, mtu);
	if (len > cap || cap - len < FZGW_WG_HEADROOM + pad + FZGW_WG_DATA_TAG_LEN)
		return -EMSGSIZE;
	total = FZGW_WG_DATA_HEADER_LEN + len + pad + FZGW_WG_DATA_TAG_LEN;

	counter = kp->send_counter++;
	memset(buf, 0, FZGW_WG_DATA_HEADER_LEN);
	buf[0] = FZGW_WG_MSG_DATA;
	fzgw_wg_put_le32(buf + FZGW_WG_DATA_RECEIVER, kp->remote_index);
	fzgw_wg_put_le64(buf + FZGW_WG_DATA_COUNTER, counter);
	/* Padding is zeroed: nothing of a previous packet may leak out. */
	memset(buf + FZGW_WG_DATA_PAYLOAD + len, 0, pad);
	if (defer) {
		memcpy(defer->key, kp->send_key, sizeof(defer->key));
		defer->counter = counter;
		defer->len = (uint32_t)(len + pad);
	} else {
		fzgw_wg_nonce(nonce, counter);
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(
			buf + FZGW_WG_DATA_PAYLOAD, buf + total - FZGW_WG_DATA_TAG_LEN,
			NULL, buf + FZGW_WG_DATA_PAYLOAD, len + pad, NULL, 0, NULL,
			nonce, kp->send_key);
	}
	*out_len = total;

	peer->stats.tx_packets++;
	peer->stats.tx_bytes += total;
	wg->stats.tx_packets++;
	wg->stats.tx_bytes += total;
	fzgw_wg_timers_any_authenticated_packet_traversal(peer, now);
	fzgw_wg_timers_any_authenticated_packet_sent(peer);
	if (len) {
		wg->stats.tx_data_packets++;
		fzgw_wg_timers_data_sent(peer, now);
	}
	keep_key_fresh(wg, peer, kp, now);
	return 0;
}

void fzgw_wg_send_keepalive(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			    uint64_t now)
{
	uint8_t buf[FZGW_WG_DATA_MIN_LEN];
	size_t len;

	/* An empty transport message; without a session this starts a
	 * handshake instead, as the kernel's keepalive path does. */
	if (encrypt_packet(wg, peer, buf, 0, sizeof(buf), 0, &len, now, NULL) != 0)
		return;
	/* Counted by encrypt_packet(); only hand it to the caller here. */
	wg->ops.send(wg->ops.user, peer, &peer->endpoint, buf, len);
	wg->stats.keepalives_sent++;
}

int fzgw_wg_encrypt_deferred(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			     uint8_t *buf, size_t len, size_t cap, uint32_t mtu,
			     size_t *out_len, const struct fzgw_wg_endpoint **ep,
			     struct fzgw_wg_seal *seal)
{
	int ret;

	if (!wg || !peer || !buf || !out_len || !ep || peer->wg != wg)
		return -EINVAL;
	ret = encrypt_packet(wg, peer, buf, len, cap, mtu, out_len,
			     fzgw_wg_now(wg), seal);
	if (ret)
		return ret;
	*ep = &peer->endpoint;
	return 0;
}

/* The same with the seal done at once (a NULL seal to the shared body). */
int fzgw_wg_encrypt(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
		    uint8_t *buf, size_t len, size_t cap, uint32_t mtu,
		    size_t *out_len, const struct fzgw_wg_endpoint **ep)
{
	return fzgw_wg_encrypt_deferred(wg, peer, buf, len, cap, mtu, out_len, ep, NULL);
}

void fzgw_wg_seal(uint8_t *buf, struct fzgw_wg_seal *seal)
{
	uint8_t nonce[12];

	fzgw_wg_nonce(nonce, seal->counter);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(
		buf + FZGW_WG_DATA_PAYLOAD, buf + FZGW_WG_DATA_PAYLOAD + seal->len,
		NULL, buf + FZGW_WG_DATA_PAYLOAD, seal->len, NULL, 0, NULL,
		nonce, seal->key);
	sodium_memzero(seal, sizeof(*seal));
}

bool fzgw_wg_peer_has_session(struct fzgw_wg_peer *peer)
{
	return peer && peer->has_endpoint &&
	       sending_keypair(peer, fzgw_wg_now(peer->wg));
}

int fzgw_wg_initiate(struct fzgw_wg *wg, struct fzgw_wg_peer *peer)
{
	if (!wg || !peer || peer->wg != wg)
		return -EINVAL;
	return fzgw_wg_send_initiation(wg, peer, false, fzgw_wg_now(wg));
}
