/* SPDX-License-Identifier: Apache-2.0 */
/* Routing loops: our own outer datagrams read back from the TUN (a client's endpoint routed into it). */
#include <netinet/in.h>
#include <string.h>

#include "dp.h"
#include "log.h"
#include "netlink.h"

/* Asks the kernel about at most this many new addresses per second; past it, not ours. */
#define LOCAL_PROBES_PER_S 32

/* Is @a one of this host's addresses? The kernel's answer, cached for DP_LOCAL_TTL_MS. */
static bool is_local(struct fzgw_dataplane *dp, const struct fzgw_addr *a)
{
	uint64_t now = dp->core->now_ms();
	struct dp_local *slot = &dp->local[0];
	int r;

	for (int i = 0; i < DP_LOCAL_CACHE; i++) {
		struct dp_local *c = &dp->local[i];

		if (c->until_ms > now && dp_addr_eq(&c->addr, a))
			return c->local;
		if (c->until_ms < slot->until_ms)
			slot = c;
	}
	if (now - dp->local_window_ms >= 1000) {
		dp->local_window_ms = now;
		dp->local_probes = 0;
	}
	if (dp->local_probes >= LOCAL_PROBES_PER_S)
		return false;
	dp->local_probes++;
	r = fzgw_net_addr_is_local(a);
	slot->addr = *a;
	slot->local = r == 1;
	slot->until_ms = now + DP_LOCAL_TTL_MS;
	return slot->local;
}

bool dp_own_datagram(struct fzgw_dataplane *dp, const struct fzgw_packet *pkt)
{
	const struct fzgw_ip *ip = &pkt->ip;

	if (ip->proto != IPPROTO_UDP || ip->src_port != dp->udp.port || !dp->udp.port)
		return false;
	/* the kernel picks the TUN's own address as the source of what it routes there */
	if (dp_addr_eq(&ip->src, &dp->gw4) || dp_addr_eq(&ip->src, &dp->gw6))
		return true;
	/* another address of this host (a route's preferred source): only we send from it */
	return is_local(dp, &ip->src);
}

void dp_loop_drop(struct fzgw_dataplane *dp, struct fzgw_packet *pkt)
{
	uint64_t now = dp->core->now_ms();

	if (now - dp->loop_said_ms >= 10000 || !dp->loop_said_ms) {
		dp->loop_said_ms = now ? now : 1;
		fzgw_warn("routing loop: a datagram the gateway sent came back through %s (a client's "
			  "endpoint is routed into the tunnel); dropped (counter tx-routing-loop)",
			  dp->tun_name);
	}
	dp_drop(dp, pkt, "tx-routing-loop");
}
