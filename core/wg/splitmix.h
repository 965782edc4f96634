/* SPDX-License-Identifier: Apache-2.0 */
/* splitmix64 bytes: the reproducible randomness of the tests, the fuzzer and the interop probe's
 * recordings (one definition, so a recording replays bit for bit). Never for the daemon's keys. */
#ifndef FZGW_WG_SPLITMIX_H
#define FZGW_WG_SPLITMIX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t fzgw_splitmix_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void fzgw_splitmix_fill(uint64_t *state, void *buf, size_t n)
{
	uint8_t *o = buf;

	while (n) {
		uint64_t z = fzgw_splitmix_next(state);
		size_t k = n < 8 ? n : 8;

		memcpy(o, &z, k);
		o += k;
		n -= k;
	}
}

#endif
