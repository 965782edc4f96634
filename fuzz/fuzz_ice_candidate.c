/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes the ICE candidate string parser. Oracle: a string that parses formats, the formatted
 * string parses back to the same candidate, and formatting that gives the same string again;
 * a refusal always names a field.
 */
#include <string.h>

#include "../modules/relay/ice_cand.h"
#include "fuzz.h"

static bool same(const struct ice_cand *a, const struct ice_cand *b)
{
	size_t n = a->addr.family == 4 ? 4 : 16, rn = a->raddr.family == 4 ? 4 : 16;

	return !strcmp(a->foundation, b->foundation) && a->component == b->component &&
	       a->priority == b->priority && a->type == b->type &&
	       a->addr.family == b->addr.family && a->addr.port == b->addr.port &&
	       !memcmp(a->addr.ip, b->addr.ip, n) && a->raddr.family == b->raddr.family &&
	       (!a->raddr.family ||
		(a->raddr.port == b->raddr.port && !memcmp(a->raddr.ip, b->raddr.ip, rn)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s1[ICE_CAND_STR_MAX], s2[ICE_CAND_STR_MAX];
	struct ice_cand c, d;
	const char *why;
	int n1, n2;

	if (ice_cand_parse((const char *)data, size, &c, &why)) {
		CHECK(why && *why);
		return 0;
	}
	CHECK(why == NULL);
	CHECK(c.type <= ICE_RELAY && c.component >= 1 && c.component <= 256 && c.priority >= 1);
	n1 = ice_cand_format(&c, s1, sizeof(s1));
	CHECK(n1 > 0);
	CHECK(ice_cand_parse(s1, (size_t)n1, &d, &why) == 0);
	CHECK(same(&c, &d));
	n2 = ice_cand_format(&d, s2, sizeof(s2));
	CHECK(n1 == n2 && !strcmp(s1, s2));
	return 0;
}
