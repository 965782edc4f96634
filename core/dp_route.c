/* SPDX-License-Identifier: Apache-2.0 */
/* What the TUN's policy routing came to (logged after each configuration) and its cleanup. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dp.h"
#include "log.h"
#include "netlink.h"
#include "rules.h"

static const char *const fam_name[2] = { "IPv4", "IPv6" };
static const char *const fam_route[2] = { "100.64.0.0/11", "fd00:2021:1111::/107" };

static void table_text(uint32_t table, char *buf, size_t len)
{
	if (table == FZGW_NET_TABLE_MAIN)
		snprintf(buf, len, "main");
	else
		snprintf(buf, len, "0x%x", table);
}

void dp_routing_report(struct fzgw_dataplane *dp)
{
	const struct fzgw_net_routing *rt = &dp->routing;
	char t[16];

	for (int i = 0; i < 2; i++) {
		if (rt->stale[i])
			fzgw_info("policy routing: %d stale %s rule(s) \"not fwmark 0x%x pref %u\" of an "
				  "earlier run deleted", rt->stale[i], fam_name[i], rt->mark,
				  rt->priority);
		if (!rt->done[i])
			continue;
		table_text(rt->used[i], t, sizeof(t));
		if (rt->table == FZGW_NET_TABLE_MAIN) {
			fzgw_info("routing: %s %s via %s in the main table (gateway.routing_table = 0)",
				  fam_name[i], fam_route[i], dp->tun_name);
		} else if (rt->rule[i] < 0) {
			fzgw_warn("policy routing: the kernel refused the %s rule \"not fwmark 0x%x "
				  "lookup 0x%x pref %u\" (%s%s); %s via %s goes in the main table",
				  fam_name[i], rt->mark, rt->table, rt->priority, strerror(-rt->rule[i]),
				  rt->rule[i] == -EOPNOTSUPP ? ": no policy routing or fwmark rules in "
							       "this kernel" : "",
				  fam_route[i], dp->tun_name);
		} else {
			fzgw_info("policy routing: %s %s via %s in table %s, rule \"not fwmark 0x%x "
				  "lookup %s pref %u\" %s", fam_name[i], fam_route[i], dp->tun_name, t,
				  rt->mark, t, rt->priority, rt->rule[i] ? "already there" : "added");
		}
	}
}

void dp_routing_cleanup(struct fzgw_dataplane *dp)
{
	const struct fzgw_net_routing *rt = &dp->routing;
	int n;

	/* only what this run set up: a process that never configured its TUN touches nothing */
	if (!rt->done[0] && !rt->done[1])
		return;
	n = fzgw_net_routing_cleanup(rt);
	if (n > 0)
		fzgw_info("policy routing: %d rule(s) \"not fwmark 0x%x pref %u\" deleted", n, rt->mark,
			  rt->priority);
	else if (n < 0)
		fzgw_warn("policy routing: cannot delete the rules \"not fwmark 0x%x pref %u\": %s",
			  rt->mark, rt->priority, strerror(-n));
}
