/* SPDX-License-Identifier: Apache-2.0 */
/* Building a dns.resolve result: each family's smallest addresses, IPv4 first, ascending. */
#include <string.h>

#include "dns_service.h"

void dns_result_add(struct dns_result *r, const struct fzgw_addr *a)
{
	uint8_t lo = 0, hi, pos, last;

	if (a->family != 4 && a->family != 6)
		return;
	if (a->family == 6)
		while (lo < r->n && r->addrs[lo].family == 4)
			lo++;
	hi = lo;
	while (hi < r->n && r->addrs[hi].family == a->family)
		hi++;
	for (pos = lo; pos < hi; pos++) {
		int c = memcmp(a->bytes, r->addrs[pos].bytes, sizeof(a->bytes));

		if (c == 0)
			return; /* already there */
		if (c < 0)
			break;
	}
	if (hi - lo == DNS_RESULT_PER_FAMILY) {
		if (pos == hi)
			return; /* larger than every kept one */
		last = hi - 1; /* the largest goes */
	} else {
		last = r->n++; /* room: everything after pos moves up one */
	}
	memmove(&r->addrs[pos + 1], &r->addrs[pos], sizeof(r->addrs[0]) * (last - pos));
	r->addrs[pos] = *a;
}
