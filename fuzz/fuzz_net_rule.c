/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: arbitrary bytes as one rtnetlink rule message of a dump (core/net/rules.c);
 * the parser reads only inside nlmsg_len and what it reports is consistent. */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "fuzz.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fzgw_net_rule ours = { 4, FZGW_NET_RULE_PRIORITY, FZGW_NET_RULE_MARK,
						   FZGW_NET_TABLE_FIREZONE };
	struct nlmsghdr *nlh;
	struct fzgw_net_rule_info ri;
	size_t len = size < 4096 ? size : 4096;
	uint8_t *buf;
	int rc;

	/* the header as the dump loop hands it over: a message whose length fits the buffer */
	if (len < sizeof(struct nlmsghdr))
		return 0;
	/* exactly nlmsg_len bytes, rounded up as libmnl reads them (ASan sees any read past) */
	buf = malloc(MNL_ALIGN(len));
	if (!buf)
		return 0;
	memset(buf, 0, MNL_ALIGN(len));
	memcpy(buf, data, len);
	nlh = (struct nlmsghdr *)(void *)buf;
	nlh->nlmsg_len = (uint32_t)len;
	rc = fzgw_net_rule_parse(nlh, &ri);
	CHECK(rc == 0 || rc == -EINVAL || rc == -EAFNOSUPPORT);
	if (rc == 0) {
		CHECK(ri.family == 4 || ri.family == 6);
		if (fzgw_net_rule_matches(&ri, &ours, false)) {
			CHECK(ri.invert && ri.mark == FZGW_NET_RULE_MARK && ri.priority == 100);
			CHECK(ri.table == FZGW_NET_TABLE_FIREZONE && ri.action == FR_ACT_TO_TBL);
		}
	}
	free(buf);
	return 0;
}
