/* SPDX-License-Identifier: Apache-2.0 */
/* mac1, mac2 and cookie replies: the DoS defence of paper section 5.3 and 5.4.7. */
#ifndef FZGW_WG_COOKIE_H
#define FZGW_WG_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg.h"

struct fzgw_wg;
struct fzgw_wg_peer;

/* HASH(label || public key) keys for the device and for a peer. */
void fzgw_wg_cookie_init_device(struct fzgw_wg *wg);
void fzgw_wg_cookie_init_peer(struct fzgw_wg_peer *peer);

/* Fills mac1 (and mac2 when we hold a fresh cookie) of a message to @peer. */
void fzgw_wg_cookie_add_macs(struct fzgw_wg_peer *peer, uint8_t *msg,
			     size_t len, uint64_t now);
/* mac1 of a handshake message addressed to us: checked before any DH. */
bool fzgw_wg_cookie_check_mac1(struct fzgw_wg *wg, const uint8_t *msg,
			       size_t len);
/* mac2 against the cookie we would give @src now. */
bool fzgw_wg_cookie_check_mac2(struct fzgw_wg *wg, const uint8_t *msg,
			       size_t len, const struct fzgw_wg_endpoint *src,
			       uint64_t now);
/*
 * Cookie replies under load are budgeted: FZGW_WG_COOKIE_PER_SOURCE per second
 * (burst FZGW_WG_COOKIE_PER_SOURCE_BURST) per IPv4 /32 or IPv6 /64, and
 * FZGW_WG_COOKIE_REPLIES_PER_S all together. A real client needs one reply per
 * handshake attempt (one per REKEY_TIMEOUT); a source whose clients come back
 * with a valid mac2 gets the proven rate; a flood of spoofed sources gets
 * the rest of the budget, and what goes past it costs no cryptography and no
 * send: the gateway keeps reading, so tunnel data and real handshakes are not
 * lost in an overflowing socket queue.
 */
enum {
	FZGW_WG_COOKIE_PER_SOURCE = 1,
	FZGW_WG_COOKIE_PER_SOURCE_BURST = 2,
	/* a source that came back with a valid mac2 (a NAT's many clients): as the
	 * handshake rate limiter, for 10 s after its last message */
	FZGW_WG_COOKIE_PROVEN_PER_SOURCE = 20,
	FZGW_WG_COOKIE_PROVEN_BURST = 5,
	FZGW_WG_COOKIE_SOURCES = 16384, /* tracked; past it only the global budget */
	FZGW_WG_COOKIE_REPLIES_PER_S = 20000,
	FZGW_WG_COOKIE_REPLIES_BURST = 2000,
};
/* May a cookie reply go to @src now? Takes it from both budgets. */
bool fzgw_wg_cookie_budget(struct fzgw_wg *wg,
			   const struct fzgw_wg_endpoint *src, uint64_t now);
/* Wipes the cookie secret once it is older than two minutes. */
void fzgw_wg_cookie_expire_secret(struct fzgw_wg *wg, uint64_t now);
/* Builds the cookie reply to handshake message @msg from @src. */
void fzgw_wg_cookie_reply_create(struct fzgw_wg *wg, uint8_t *dst,
				 const uint8_t *msg, size_t len,
				 uint32_t sender_index,
				 const struct fzgw_wg_endpoint *src,
				 uint64_t now);
/* Opens a cookie reply; 0 or -enum fzgw_wg_drop. */
int fzgw_wg_cookie_reply_consume(struct fzgw_wg *wg, const uint8_t *msg,
				 uint64_t now);

#endif
