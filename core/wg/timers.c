/* SPDX-License-Identifier: Apache-2.0 */
/* The five per-peer protocol timers of paper section 6, following the kernel's timers.c rules. */
#include "device.h"
#include "keypair.h"
#include "noise.h"

static void timer_mod(struct fzgw_wg_peer *peer, enum fzgw_wg_timer t,
		      uint64_t when)
{
	peer->timer_at[t] = when;
	peer->timers_armed |= 1u << t;
	fzgw_wg_deadline_arm(peer, when);
}

/* Deleting only clears the bit: the heap entry may be early, never late. */
static void timer_del(struct fzgw_wg_peer *peer, enum fzgw_wg_timer t)
{
	peer->timers_armed &= ~(1u << t);
}

/* REKEY_TIMEOUT jitter keeps peers that lost a packet together from
 * retrying in lockstep. */
static uint64_t jitter_ns(struct fzgw_wg *wg)
{
	uint32_t r;

	fzgw_wg_random(wg, &r, sizeof(r));
	return (uint64_t)(r % FZGW_WG_REKEY_TIMEOUT_JITTER_MAX_MS) * 1000000ull;
}

/* Should be called after an authenticated data packet is sent. */
void fzgw_wg_timers_data_sent(struct fzgw_wg_peer *peer, uint64_t now)
{
	if (!fzgw_wg_timer_pending(peer, FZGW_WG_TIMER_NEW_HANDSHAKE))
		timer_mod(peer, FZGW_WG_TIMER_NEW_HANDSHAKE,
			  now + (FZGW_WG_KEEPALIVE_TIMEOUT +
				 FZGW_WG_REKEY_TIMEOUT) * FZGW_WG_NSEC +
				  jitter_ns(peer->wg));
}

/* Should be called after an authenticated data packet is received. */
void fzgw_wg_timers_data_received(struct fzgw_wg_peer *peer, uint64_t now)
{
	if (!fzgw_wg_timer_pending(peer, FZGW_WG_TIMER_SEND_KEEPALIVE))
		timer_mod(peer, FZGW_WG_TIMER_SEND_KEEPALIVE,
			  now + FZGW_WG_KEEPALIVE_TIMEOUT * FZGW_WG_NSEC);
	else
		peer->need_another_keepalive = true;
}

/* Any authenticated packet sent (data, keepalive, handshake) is itself the
 * passive keepalive. */
void fzgw_wg_timers_any_authenticated_packet_sent(struct fzgw_wg_peer *peer)
{
	timer_del(peer, FZGW_WG_TIMER_SEND_KEEPALIVE);
}

/* Hearing anything authenticated means the session is alive. */
void fzgw_wg_timers_any_authenticated_packet_received(struct fzgw_wg_peer *peer)
{
	timer_del(peer, FZGW_WG_TIMER_NEW_HANDSHAKE);
}

void fzgw_wg_timers_handshake_initiated(struct fzgw_wg_peer *peer,
					uint64_t now)
{
	timer_mod(peer, FZGW_WG_TIMER_RETRANSMIT_HANDSHAKE,
		  now + FZGW_WG_REKEY_TIMEOUT * FZGW_WG_NSEC +
			  jitter_ns(peer->wg));
}

/* After a response was consumed, or the first data on a responder session. */
void fzgw_wg_timers_handshake_complete(struct fzgw_wg_peer *peer)
{
	struct fzgw_wg *wg = peer->wg;

	timer_del(peer, FZGW_WG_TIMER_RETRANSMIT_HANDSHAKE);
	peer->handshake_attempts = 0;
	peer->sent_lastminute_handshake = false;
	wg->ops.wall(wg->ops.user, &peer->stats.last_handshake);
	peer->stats.handshakes_completed++;
	wg->stats.handshakes_completed++;
}

/* New keys exist: erase everything if no newer ones come within 3 x REJECT_AFTER_TIME. */
void fzgw_wg_timers_session_derived(struct fzgw_wg_peer *peer, uint64_t now)
{
	timer_mod(peer, FZGW_WG_TIMER_ZERO_KEY_MATERIAL,
		  now + 3ull * FZGW_WG_REJECT_AFTER_TIME * FZGW_WG_NSEC);
}

void fzgw_wg_timers_any_authenticated_packet_traversal(struct fzgw_wg_peer *peer,
						       uint64_t now)
{
	if (peer->persistent_keepalive)
		timer_mod(peer, FZGW_WG_TIMER_PERSISTENT_KEEPALIVE,
			  now + (uint64_t)peer->persistent_keepalive *
					FZGW_WG_NSEC);
}

void fzgw_wg_timers_stop(struct fzgw_wg_peer *peer)
{
	peer->timers_armed = 0;
	fzgw_wg_deadline_remove(peer);
}

static void expired_retransmit_handshake(struct fzgw_wg_peer *peer,
					 uint64_t now)
{
	struct fzgw_wg *wg = peer->wg;

	if (peer->handshake_attempts > FZGW_WG_MAX_TIMER_HANDSHAKES) {
		/* REKEY_ATTEMPT_TIME is over: give up until new data asks for a
		 * session, and erase the residue of the attempt later. */
		timer_del(peer, FZGW_WG_TIMER_SEND_KEEPALIVE);
		fzgw_wg_emit(wg, peer, FZGW_WG_EV_HANDSHAKE_FAILED);
		if (!fzgw_wg_timer_pending(peer, FZGW_WG_TIMER_ZERO_KEY_MATERIAL))
			timer_mod(peer, FZGW_WG_TIMER_ZERO_KEY_MATERIAL,
				  now + 3ull * FZGW_WG_REJECT_AFTER_TIME *
						FZGW_WG_NSEC);
		return;
	}
	peer->handshake_attempts++;
	fzgw_wg_send_initiation(wg, peer, true, now);
}

static void expired_send_keepalive(struct fzgw_wg_peer *peer, uint64_t now)
{
	fzgw_wg_send_keepalive(peer->wg, peer, now);
	if (peer->need_another_keepalive) {
		peer->need_another_keepalive = false;
		timer_mod(peer, FZGW_WG_TIMER_SEND_KEEPALIVE,
			  now + FZGW_WG_KEEPALIVE_TIMEOUT * FZGW_WG_NSEC);
	}
}

/* We sent data and heard nothing for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT. */
static void expired_new_handshake(struct fzgw_wg_peer *peer, uint64_t now)
{
	fzgw_wg_send_initiation(peer->wg, peer, false, now);
}

static void expired_zero_key_material(struct fzgw_wg_peer *peer)
{
	struct fzgw_wg *wg = peer->wg;

	fzgw_wg_noise_handshake_clear(wg, peer);
	fzgw_wg_keypairs_clear(wg, peer);
	fzgw_wg_emit(wg, peer, FZGW_WG_EV_KEYS_ZEROED);
}

static void expired_persistent_keepalive(struct fzgw_wg_peer *peer,
					 uint64_t now)
{
	if (peer->persistent_keepalive)
		fzgw_wg_send_keepalive(peer->wg, peer, now);
}

void fzgw_wg_timers_expire(struct fzgw_wg_peer *peer, uint64_t now)
{
	int t;

	for (t = 0; t < FZGW_WG_TIMER_COUNT; t++) {
		if (!fzgw_wg_timer_pending(peer, t) || peer->timer_at[t] > now)
			continue;
		timer_del(peer, t);
		switch (t) {
		case FZGW_WG_TIMER_RETRANSMIT_HANDSHAKE:
			expired_retransmit_handshake(peer, now);
			break;
		case FZGW_WG_TIMER_SEND_KEEPALIVE:
			expired_send_keepalive(peer, now);
			break;
		case FZGW_WG_TIMER_NEW_HANDSHAKE:
			expired_new_handshake(peer, now);
			break;
		case FZGW_WG_TIMER_ZERO_KEY_MATERIAL:
			expired_zero_key_material(peer);
			break;
		case FZGW_WG_TIMER_PERSISTENT_KEEPALIVE:
			expired_persistent_keepalive(peer, now);
			break;
		}
	}
}
