/* SPDX-License-Identifier: Apache-2.0 */
/* Receiver-index table: random unique 32-bit indices for handshakes and sessions (section 5.4.1). */
#include <errno.h>

#include "device.h"

static struct fzgw_wg_index_entry *index_find(struct fzgw_wg *wg,
					      uint32_t index)
{
	struct fzgw_wg_hnode *n;

	/* Indices are random and ours, so they are their own hash: a remote
	 * party cannot make one chain long. */
	for (n = fzgw_wg_htable_bucket(&wg->indices, index); n; n = n->next) {
		struct fzgw_wg_index_entry *e = (struct fzgw_wg_index_entry *)n;

		if (e->index == index)
			return e;
	}
	return NULL;
}

int fzgw_wg_index_insert(struct fzgw_wg *wg, struct fzgw_wg_index_entry *e)
{
	uint32_t index;
	int tries;

	if (e->linked)
		fzgw_wg_index_remove(wg, e);
	/* With at most a few indices per peer a collision is rare; bound the
	 * retries anyway so a broken random source cannot spin us. */
	for (tries = 0; tries < 64; tries++) {
		fzgw_wg_random(wg, &index, sizeof(index));
		if (!index_find(wg, index))
			break;
	}
	if (tries == 64)
		return -EAGAIN;
	e->index = index;
	e->linked = true;
	fzgw_wg_htable_add(&wg->indices, &e->node, index);
	return 0;
}

void fzgw_wg_index_replace(struct fzgw_wg *wg, struct fzgw_wg_index_entry *old,
			   struct fzgw_wg_index_entry *e)
{
	if (!old->linked)
		return;
	fzgw_wg_htable_del(&wg->indices, &old->node);
	old->linked = false;
	e->index = old->index;
	e->linked = true;
	fzgw_wg_htable_add(&wg->indices, &e->node, e->index);
}

void fzgw_wg_index_remove(struct fzgw_wg *wg, struct fzgw_wg_index_entry *e)
{
	if (!e->linked)
		return;
	fzgw_wg_htable_del(&wg->indices, &e->node);
	e->linked = false;
}

struct fzgw_wg_index_entry *fzgw_wg_index_lookup(struct fzgw_wg *wg,
						 uint32_t index,
						 unsigned int kinds)
{
	struct fzgw_wg_index_entry *e = index_find(wg, index);

	if (!e || !(e->kind & kinds))
		return NULL;
	return e;
}
