/* SPDX-License-Identifier: Apache-2.0 */
/* Noise_IKpsk2 handshake messages and session derivation (paper section 5.4). */
#ifndef FZGW_WG_NOISE_H
#define FZGW_WG_NOISE_H

#include <stdint.h>

struct fzgw_wg;
struct fzgw_wg_peer;

/* Ci and Hi for the device. */
void fzgw_wg_noise_init(struct fzgw_wg *wg);
/* DH(S_priv, S_pub_peer), kept for the "ss" step; -EINVAL for a low-order key. */
int fzgw_wg_noise_precompute(struct fzgw_wg *wg, struct fzgw_wg_peer *peer);
/* TAI64N of the wall clock, sub-second part whitened to 2^24 ns. */
void fzgw_wg_tai64n(struct fzgw_wg *wg, uint8_t out[12]);

/* All return 0 or -enum fzgw_wg_drop (-FZGW_WG_DROP_NO_MEMORY on allocation
 * failure). Messages are written without macs; cookie.c adds them. */
int fzgw_wg_noise_create_initiation(struct fzgw_wg *wg,
				    struct fzgw_wg_peer *peer, uint8_t *dst);
int fzgw_wg_noise_consume_initiation(struct fzgw_wg *wg, const uint8_t *src,
				     uint64_t now, struct fzgw_wg_peer **out);
int fzgw_wg_noise_create_response(struct fzgw_wg *wg,
				  struct fzgw_wg_peer *peer, uint8_t *dst);
int fzgw_wg_noise_consume_response(struct fzgw_wg *wg, const uint8_t *src,
				   struct fzgw_wg_peer **out);
/* Derives the transport keys from a finished handshake and installs them. */
int fzgw_wg_noise_begin_session(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
				uint64_t now);
/* Forgets the handshake in flight (ephemeral, chaining key, hash, index). */
void fzgw_wg_noise_handshake_clear(struct fzgw_wg *wg,
				   struct fzgw_wg_peer *peer);

#endif
