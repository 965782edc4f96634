/* SPDX-License-Identifier: Apache-2.0 */
/* WireGuard protocol timers (paper section 6), as per-peer deadlines. */
#ifndef FZGW_WG_TIMERS_H
#define FZGW_WG_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

struct fzgw_wg;
struct fzgw_wg_peer;

/* Section 6.1 constants, in seconds unless said otherwise. */
enum {
	FZGW_WG_REKEY_AFTER_TIME = 120,
	FZGW_WG_REJECT_AFTER_TIME = 180,
	FZGW_WG_REKEY_ATTEMPT_TIME = 90,
	FZGW_WG_REKEY_TIMEOUT = 5,
	FZGW_WG_KEEPALIVE_TIMEOUT = 10,
	FZGW_WG_COOKIE_SECRET_MAX_AGE = 120,
	/* REKEY_ATTEMPT_TIME / REKEY_TIMEOUT retries, then give up */
	FZGW_WG_MAX_TIMER_HANDSHAKES = 90 / 5,
	/* jitter added to REKEY_TIMEOUT, in ms: [0, 334) like wireguard-go */
	FZGW_WG_REKEY_TIMEOUT_JITTER_MAX_MS = 334,
	/* a peer's initiations are consumed at most this often (the kernel's flood rule) */
	FZGW_WG_INITIATIONS_PER_SECOND = 50,
};

enum fzgw_wg_timer {
	FZGW_WG_TIMER_RETRANSMIT_HANDSHAKE = 0,
	FZGW_WG_TIMER_SEND_KEEPALIVE,
	FZGW_WG_TIMER_NEW_HANDSHAKE,
	FZGW_WG_TIMER_ZERO_KEY_MATERIAL,
	FZGW_WG_TIMER_PERSISTENT_KEEPALIVE,
	FZGW_WG_TIMER_COUNT
};

/* Protocol events that move the timers, named as in the kernel's timers.c. */
void fzgw_wg_timers_data_sent(struct fzgw_wg_peer *peer, uint64_t now);
void fzgw_wg_timers_data_received(struct fzgw_wg_peer *peer, uint64_t now);
void fzgw_wg_timers_any_authenticated_packet_sent(struct fzgw_wg_peer *peer);
void fzgw_wg_timers_any_authenticated_packet_received(struct fzgw_wg_peer *peer);
void fzgw_wg_timers_handshake_initiated(struct fzgw_wg_peer *peer,
					uint64_t now);
void fzgw_wg_timers_handshake_complete(struct fzgw_wg_peer *peer);
void fzgw_wg_timers_session_derived(struct fzgw_wg_peer *peer, uint64_t now);
void fzgw_wg_timers_any_authenticated_packet_traversal(struct fzgw_wg_peer *peer,
						       uint64_t now);
void fzgw_wg_timers_stop(struct fzgw_wg_peer *peer);
/* Runs the peer's timers that are due at @now. */
void fzgw_wg_timers_expire(struct fzgw_wg_peer *peer, uint64_t now);

/* deadline.c: the device's min-heap of peers keyed by their earliest timer. */
int fzgw_wg_deadline_reserve(struct fzgw_wg *wg, size_t peers);
void fzgw_wg_deadline_arm(struct fzgw_wg_peer *peer, uint64_t when);
void fzgw_wg_deadline_remove(struct fzgw_wg_peer *peer);
void fzgw_wg_deadline_run(struct fzgw_wg *wg, uint64_t now);
uint64_t fzgw_wg_deadline_next(const struct fzgw_wg *wg);

#endif
