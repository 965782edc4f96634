/* SPDX-License-Identifier: Apache-2.0 */
/* Replay window of 8128 counters kept as a ring of 128 64-bit blocks (RFC 6479). */
#include <string.h>

#include "replay.h"

void fzgw_wg_replay_init(struct fzgw_wg_replay *r)
{
	memset(r, 0, sizeof(*r));
}

bool fzgw_wg_replay_check(struct fzgw_wg_replay *r, uint64_t counter)
{
	uint64_t block, top, cur, i, bit;

	if (counter >= FZGW_WG_REJECT_AFTER_MESSAGES ||
	    r->next >= FZGW_WG_REJECT_AFTER_MESSAGES + 1)
		return false;
	/* Work with counter + 1 so that next == 0 means "nothing seen yet". */
	counter++;
	if (counter + FZGW_WG_REPLAY_WINDOW < r->next)
		return false;

	block = counter / 64;
	if (counter > r->next) {
		/* Slide forward: clear the blocks between the old head and the new
		 * one, at most the whole ring. */
		cur = r->next / 64;
		top = block - cur;
		if (top > FZGW_WG_REPLAY_BLOCKS)
			top = FZGW_WG_REPLAY_BLOCKS;
		for (i = 1; i <= top; i++)
			r->ring[(cur + i) % FZGW_WG_REPLAY_BLOCKS] = 0;
		r->next = counter;
	}
	block %= FZGW_WG_REPLAY_BLOCKS;
	bit = 1ull << (counter % 64);
	if (r->ring[block] & bit)
		return false;
	r->ring[block] |= bit;
	return true;
}
