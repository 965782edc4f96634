/* SPDX-License-Identifier: Apache-2.0 */
/* Incoming datagrams: cheap checks first (type, length, mac1, load, rate), then DH or AEAD. */
#include <string.h>

#include <sodium.h>

#include "cookie.h"
#include "device.h"
#include "keypair.h"
#include "noise.h"
#include "ratelimiter.h"

static void rx_stats(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
		     size_t len)
{
	peer->stats.rx_packets++;
	peer->stats.rx_bytes += len;
	wg->stats.rx_packets++;
	wg->stats.rx_bytes += len;
}

static int receive_handshake(struct fzgw_wg *wg,
			     const struct fzgw_wg_endpoint *src,
			     const uint8_t *buf, size_t len, int type,
			     uint64_t now)
{
	struct fzgw_wg_peer *peer;
	uint64_t tx_before;
	bool under_load;
	int ret;

	/* mac1 needs only our public key: anything without it costs one
	 * BLAKE2s and no DH (section 5.3). */
	if (!fzgw_wg_cookie_check_mac1(wg, buf, len))
		return -FZGW_WG_DROP_MAC1_INVALID;

	under_load = fzgw_wg_load_note_handshake(wg, now);
	if (under_load) {
		/* Under load a source must first prove it receives our replies:
		 * answer with a cookie instead of doing DH work. */
		if (!fzgw_wg_cookie_check_mac2(wg, buf, len, src, now)) {
			/* past the budget: no cryptography, no send */
			if (!fzgw_wg_cookie_budget(wg, src, now))
				return -FZGW_WG_DROP_COOKIE_BUDGET;
			fzgw_wg_send_cookie_reply(
				wg, src, buf, len,
				fzgw_wg_le32(buf + FZGW_WG_INIT_SENDER), now);
			return -FZGW_WG_DROP_MAC2_INVALID;
		}
		/* It receives our replies: its address gets more cookie replies
		 * (other clients behind the same NAT). */
		fzgw_wg_ratelimiter_prove(&wg->cookie_rl, src, now);
		/* A proven source still gets only its share of DH work. */
		if (!fzgw_wg_ratelimiter_allow(&wg->rl, src, now))
			return -FZGW_WG_DROP_RATELIMITED;
	}

	if (type == FZGW_WG_MSG_INITIATION) {
		ret = fzgw_wg_noise_consume_initiation(wg, buf, now, &peer);
		if (ret)
			return ret;
		fzgw_wg_set_endpoint_from(wg, peer, src);
		fzgw_wg_send_response(wg, peer, now);
	} else {
		ret = fzgw_wg_noise_consume_response(wg, buf, &peer);
		if (ret)
			return ret;
		fzgw_wg_set_endpoint_from(wg, peer, src);
		if (fzgw_wg_noise_begin_session(wg, peer, now) == 0) {
			fzgw_wg_timers_session_derived(peer, now);
			fzgw_wg_timers_handshake_complete(peer);
			/* Let the caller flush its queue; if it sends nothing,
			 * confirm the session at once with a keepalive. */
			tx_before = peer->stats.tx_packets;
			fzgw_wg_emit(wg, peer, FZGW_WG_EV_SESSION_READY);
			if (peer->stats.tx_packets == tx_before)
				fzgw_wg_send_keepalive(wg, peer, now);
		}
	}
	rx_stats(wg, peer, len);
	fzgw_wg_timers_any_authenticated_packet_received(peer);
	fzgw_wg_timers_any_authenticated_packet_traversal(peer, now);
	return FZGW_WG_RX_DONE;
}

/* Section 6.2: an initiator close to REJECT_AFTER_TIME makes one last
 * attempt when data comes in, so a quiet sender still rekeys in time. */
static void keep_key_fresh(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			   uint64_t now)
{
	struct fzgw_wg_keypair *kp = peer->kp_current;

	if (peer->sent_lastminute_handshake || !kp || !kp->valid ||
	    !kp->initiator)
		return;
	if (!fzgw_wg_expired(kp->birth_ns,
			     (FZGW_WG_REJECT_AFTER_TIME -
			      FZGW_WG_KEEPALIVE_TIMEOUT -
			      FZGW_WG_REKEY_TIMEOUT) * FZGW_WG_NSEC,
			     now))
		return;
	peer->sent_lastminute_handshake = true;
	fzgw_wg_send_initiation(wg, peer, false, now);
}

/* Length of the IP packet inside a decrypted payload, 0 if it is not one.
 * Padding is cut off here so the caller sees the packet as it was sent. */
static size_t inner_ip_len(const uint8_t *p, size_t len)
{
	size_t ip_len;

	if (len >= 20 && (p[0] >> 4) == 4) {
		ip_len = (size_t)p[2] << 8 | p[3];
		if (ip_len < 20)
			return 0;
	} else if (len >= 40 && (p[0] >> 4) == 6) {
		ip_len = ((size_t)p[4] << 8 | p[5]) + 40;
	} else {
		return 0;
	}
	return ip_len <= len ? ip_len : 0;
}

static int receive_data(struct fzgw_wg *wg, const struct fzgw_wg_endpoint *src,
			uint8_t *buf, size_t len, struct fzgw_wg_peer **out,
			size_t *off, size_t *plen, uint64_t now)
{
	struct fzgw_wg_index_entry *entry;
	struct fzgw_wg_keypair *kp;
	struct fzgw_wg_peer *peer;
	uint8_t nonce[12];
	uint64_t counter;
	size_t payload, ip_len;

	entry = fzgw_wg_index_lookup(wg, fzgw_wg_le32(buf + FZGW_WG_DATA_RECEIVER),
				     FZGW_WG_INDEX_KEYPAIR);
	if (!entry)
		return -FZGW_WG_DROP_UNKNOWN_INDEX;
	kp = fzgw_wg_container_of(entry, struct fzgw_wg_keypair, entry);
	peer = entry->peer;

	if (!kp->valid ||
	    fzgw_wg_expired(kp->birth_ns,
			    FZGW_WG_REJECT_AFTER_TIME * FZGW_WG_NSEC, now) ||
	    kp->replay.next >= FZGW_WG_REJECT_AFTER_MESSAGES)
		return -FZGW_WG_DROP_KEY_EXPIRED;

	counter = fzgw_wg_le64(buf + FZGW_WG_DATA_COUNTER);
	payload = len - FZGW_WG_DATA_MIN_LEN;
	fzgw_wg_nonce(nonce, counter);
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		    buf + FZGW_WG_DATA_PAYLOAD, NULL, buf + FZGW_WG_DATA_PAYLOAD,
		    payload, buf + len - FZGW_WG_DATA_TAG_LEN, NULL, 0, nonce,
		    kp->recv_key) != 0) {
		peer->stats.decrypt_failed++;
		return -FZGW_WG_DROP_DECRYPT;
	}
	/* Only after authentication may the counter move the window. */
	if (!fzgw_wg_replay_check(&kp->replay, counter)) {
		peer->stats.rx_replay_dropped++;
		return -FZGW_WG_DROP_REPLAY;
	}

	/* Authenticated: roaming may update the endpoint (section 6.5). */
	fzgw_wg_set_endpoint_from(wg, peer, src);
	if (fzgw_wg_keypairs_received_with(wg, peer, kp)) {
		/* The initiator confirmed our response: the session is ours to
		 * use, and the caller may flush what it queued. */
		fzgw_wg_timers_handshake_complete(peer);
		fzgw_wg_emit(wg, peer, FZGW_WG_EV_SESSION_READY);
	}
	keep_key_fresh(wg, peer, now);
	fzgw_wg_timers_any_authenticated_packet_received(peer);
	fzgw_wg_timers_any_authenticated_packet_traversal(peer, now);
	rx_stats(wg, peer, len);

	if (!payload) {
		wg->stats.keepalives_received++;
		return FZGW_WG_RX_DONE;
	}
	fzgw_wg_timers_data_received(peer, now);

	ip_len = inner_ip_len(buf + FZGW_WG_DATA_PAYLOAD, payload);
	if (!ip_len)
		return -FZGW_WG_DROP_BAD_INNER;
	wg->stats.rx_data_packets++;
	*out = peer;
	*off = FZGW_WG_DATA_PAYLOAD;
	*plen = ip_len;
	return FZGW_WG_RX_DATA;
}

int fzgw_wg_receive(struct fzgw_wg *wg, const struct fzgw_wg_endpoint *src,
		    uint8_t *buf, size_t len, struct fzgw_wg_peer **peer,
		    size_t *off, size_t *plen)
{
	uint64_t now;
	int type, ret;

	*peer = NULL;
	*off = 0;
	*plen = 0;
	type = fzgw_wg_msg_classify(buf, len);
	if (type < 0) {
		fzgw_wg_drop_count(wg, -type);
		return type;
	}
	now = fzgw_wg_now(wg);
	switch (type) {
	case FZGW_WG_MSG_DATA:
		ret = receive_data(wg, src, buf, len, peer, off, plen, now);
		break;
	case FZGW_WG_MSG_COOKIE:
		ret = fzgw_wg_cookie_reply_consume(wg, buf, now);
		if (!ret)
			wg->stats.cookies_received++;
		break;
	default:
		ret = receive_handshake(wg, src, buf, len, type, now);
		break;
	}
	if (ret < 0)
		fzgw_wg_drop_count(wg, -ret);
	return ret;
}
