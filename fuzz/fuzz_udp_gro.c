/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: a coalesced UDP read as the kernel hands it over (the segment size from its
 * UDP_GRO control message in the first two bytes, then the read) cut into datagrams
 * (core/net/udp_gro.c): they tile the read exactly, in order, each at most the segment
 * size and only the last shorter, never more than FZGW_UDP_GRO_MAX_SEGS. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "udp_offload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fzgw_udp_gro_iter it;
	const uint8_t *p;
	size_t len, l, off = 0;
	uint16_t gso;
	uint8_t *buf;
	int n, k = 0;

	if (size < 2)
		return 0;
	gso = (uint16_t)(data[0] | data[1] << 8);
	len = size - 2 < FZGW_UDP_GRO_MAX_LEN ? size - 2 : FZGW_UDP_GRO_MAX_LEN;
	/* exactly the read's bytes: ASan sees any access past them */
	if (!(buf = malloc(len ? len : 1)))
		return 0;
	memcpy(buf, data + 2, len);
	n = fzgw_udp_gro_start(&it, buf, len, gso);
	CHECK(n == -EINVAL || (n >= 1 && (unsigned int)n <= FZGW_UDP_GRO_MAX_SEGS));
	while (fzgw_udp_gro_next(&it, &p, &l)) {
		CHECK(n > 0 && k < n);
		CHECK(p == buf + off);
		CHECK(off + l <= len);
		if (gso && len > gso)
			CHECK(l == gso || (k == n - 1 && l > 0 && l < gso));
		else
			CHECK(l == len);
		for (size_t i = 0; i < l; i++)
			CHECK(p[i] == data[2 + off + i]);
		off += l;
		k++;
	}
	if (n > 0) {
		CHECK(k == n);
		CHECK(off == len);
	} else {
		CHECK(k == 0);
	}
	free(buf);
	return 0;
}
