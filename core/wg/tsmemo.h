/* SPDX-License-Identifier: Apache-2.0 */
/* The greatest handshake timestamp (TAI64N) of removed peers, by public key: a key removed
 * and added again keeps its replay protection. Bounded: the oldest removal is forgotten. */
#ifndef FZGW_WG_TSMEMO_H
#define FZGW_WG_TSMEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hashtable.h"

/* 16384 keys of about 100 bytes each: 1.6 MB at most. */
#define FZGW_WG_TSMEMO_MAX 16384

struct fzgw_wg_ts_entry;

struct fzgw_wg_tsmemo {
	struct fzgw_wg_htable table;
	struct fzgw_wg_ts_entry *oldest, *newest; /* by removal time */
	size_t max;
	uint64_t forgotten; /* entries dropped to stay under max */
};

int fzgw_wg_tsmemo_init(struct fzgw_wg_tsmemo *m, size_t max);
void fzgw_wg_tsmemo_destroy(struct fzgw_wg_tsmemo *m);
/* Remembers @ts for @pub (the greater one when @pub is already there); the oldest entry goes
 * when @max are kept. Out of memory: nothing remembered. */
void fzgw_wg_tsmemo_put(struct fzgw_wg_tsmemo *m, uint64_t hash, const uint8_t pub[32],
			const uint8_t ts[12]);
/* Takes @pub's timestamp out into @ts: true when there was one. */
bool fzgw_wg_tsmemo_take(struct fzgw_wg_tsmemo *m, uint64_t hash, const uint8_t pub[32],
			 uint8_t ts[12]);
size_t fzgw_wg_tsmemo_count(const struct fzgw_wg_tsmemo *m);

#endif
