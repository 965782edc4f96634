/* SPDX-License-Identifier: Apache-2.0 */
/* Session rotation: the responder's keys wait in "next" until the initiator confirms them. */
#include "device.h"
#include "keypair.h"

struct fzgw_wg_keypair *fzgw_wg_keypair_new(struct fzgw_wg *wg)
{
	struct fzgw_wg_keypair *kp = fzgw_wg_secmem_alloc(&wg->keypairs);

	if (kp)
		fzgw_wg_replay_init(&kp->replay);
	return kp;
}

void fzgw_wg_keypair_free(struct fzgw_wg *wg, struct fzgw_wg_keypair *kp)
{
	if (!kp)
		return;
	fzgw_wg_index_remove(wg, &kp->entry);
	fzgw_wg_secmem_free(&wg->keypairs, kp);
}

void fzgw_wg_keypairs_add(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			  struct fzgw_wg_keypair *kp)
{
	struct fzgw_wg_keypair *prev = peer->kp_previous;
	struct fzgw_wg_keypair *next = peer->kp_next;
	struct fzgw_wg_keypair *cur = peer->kp_current;

	if (kp->initiator) {
		/* Our initiation was answered: the keys are confirmed and usable
		 * now. A pending "next" (from a crossing handshake) becomes the
		 * previous one, as in the kernel, rather than being thrown away. */
		if (next) {
			peer->kp_next = NULL;
			peer->kp_previous = next;
			fzgw_wg_keypair_free(wg, cur);
		} else {
			peer->kp_previous = cur;
		}
		fzgw_wg_keypair_free(wg, prev);
		peer->kp_current = kp;
	} else {
		/* As responder we may not send until the initiator proves it has
		 * the keys by using them (section 5.4.4 key confirmation). */
		peer->kp_next = kp;
		fzgw_wg_keypair_free(wg, next);
		peer->kp_previous = NULL;
		fzgw_wg_keypair_free(wg, prev);
	}
}

bool fzgw_wg_keypairs_received_with(struct fzgw_wg *wg,
				    struct fzgw_wg_peer *peer,
				    struct fzgw_wg_keypair *kp)
{
	if (kp != peer->kp_next)
		return false;
	fzgw_wg_keypair_free(wg, peer->kp_previous);
	peer->kp_previous = peer->kp_current;
	peer->kp_current = kp;
	peer->kp_next = NULL;
	return true;
}

void fzgw_wg_keypairs_clear(struct fzgw_wg *wg, struct fzgw_wg_peer *peer)
{
	fzgw_wg_keypair_free(wg, peer->kp_previous);
	fzgw_wg_keypair_free(wg, peer->kp_current);
	fzgw_wg_keypair_free(wg, peer->kp_next);
	peer->kp_previous = peer->kp_current = peer->kp_next = NULL;
}
