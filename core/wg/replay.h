/* SPDX-License-Identifier: Apache-2.0 */
/* Sliding replay window over transport counters (RFC 6479 ring, paper section 5.4.6). */
#ifndef FZGW_WG_REPLAY_H
#define FZGW_WG_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

enum {
	FZGW_WG_REPLAY_BLOCKS = 128,
	FZGW_WG_REPLAY_BITS_TOTAL = FZGW_WG_REPLAY_BLOCKS * 64,
	/* One block is kept spare so the oldest block of the window is never
	 * cleared while it is still inside the window: 8128 like the kernel
	 * (COUNTER_WINDOW_SIZE) and wireguard-go (windowSize). */
	FZGW_WG_REPLAY_WINDOW = FZGW_WG_REPLAY_BITS_TOTAL - 64,
};

/* REJECT_AFTER_MESSAGES = 2^64 - 2^13 - 1 (paper section 6.1). */
#define FZGW_WG_REJECT_AFTER_MESSAGES (UINT64_MAX - 8192u)
/* REKEY_AFTER_MESSAGES = 2^60. */
#define FZGW_WG_REKEY_AFTER_MESSAGES (1ull << 60)

struct fzgw_wg_replay {
	/* highest counter accepted plus one; 0 while nothing was accepted */
	uint64_t next;
	uint64_t ring[FZGW_WG_REPLAY_BLOCKS];
};

void fzgw_wg_replay_init(struct fzgw_wg_replay *r);
/* True if @counter is new and inside the window (and marks it seen). Call only
 * after the packet authenticated, or a forged counter would move the window. */
bool fzgw_wg_replay_check(struct fzgw_wg_replay *r, uint64_t counter);

#endif
