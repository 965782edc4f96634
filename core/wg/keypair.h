/* SPDX-License-Identifier: Apache-2.0 */
/* A peer's transport sessions: current, previous and next (paper section 6.3). */
#ifndef FZGW_WG_KEYPAIR_H
#define FZGW_WG_KEYPAIR_H

#include <stdbool.h>

struct fzgw_wg;
struct fzgw_wg_peer;
struct fzgw_wg_keypair;

struct fzgw_wg_keypair *fzgw_wg_keypair_new(struct fzgw_wg *wg);
/* Unlinks the index and wipes the keys; accepts NULL. */
void fzgw_wg_keypair_free(struct fzgw_wg *wg, struct fzgw_wg_keypair *kp);
/* Installs a freshly derived keypair in the slot its role allows. */
void fzgw_wg_keypairs_add(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			  struct fzgw_wg_keypair *kp);
/* Data arrived on @kp: if it is the unconfirmed next one, promote it. True if
 * that happened (the responder's handshake is complete). */
bool fzgw_wg_keypairs_received_with(struct fzgw_wg *wg,
				    struct fzgw_wg_peer *peer,
				    struct fzgw_wg_keypair *kp);
void fzgw_wg_keypairs_clear(struct fzgw_wg *wg, struct fzgw_wg_peer *peer);

#endif
