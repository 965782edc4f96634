/* SPDX-License-Identifier: Apache-2.0 */
/* Read-only views of the data plane for `firezone-gateway status`. */
#include "dp_status.h"

#include <stdio.h>
#include <string.h>

#include "dp.h"

void dp_status_gateway(const struct fzgw_dataplane *dp, struct dp_gw_status *out)
{
	memset(out, 0, sizeof(*out));
	if (!dp)
		return;
	fzgw_wg_public_key(dp->wg, out->public_key);
	out->listen_port = dp->udp.port;
	snprintf(out->tun_name, sizeof(out->tun_name), "%s", dp->tun_name);
	out->n_peers = dp->peers.n;
	out->buffers_in_use = fzgw_pool_in_use(dp->pool);
	fzgw_wg_stats(dp->wg, &out->wg);
}

void dp_status_each(const struct fzgw_dataplane *dp,
		    void (*fn)(void *arg, const struct dp_peer_status *st), void *arg)
{
	struct dp_peer_status st;

	if (!dp)
		return;
	for (uint32_t i = 0; i < dp->peers.cap; i++) {
		const struct fzgw_gw_peer *p = dp->peers.by_index[i];
		const struct fzgw_wg_endpoint *ep;

		if (!p || p->removing)
			continue;
		memset(&st, 0, sizeof(st));
		st.info = &p->info;
		st.public_key = p->public_key;
		st.path = p->path;
		st.path_ep = p->path_ep;
		st.staged = p->n_staged;
		st.pending = (uint32_t)dp_pending_count(p);
		if (p->wg) {
			ep = fzgw_wg_peer_endpoint(p->wg);
			/* the PENDING placeholder (0.0.0.0 port 0) is no endpoint */
			if (ep && !(ep->sa.sa_family == AF_INET && !ep->in4.sin_port)) {
				st.has_endpoint = true;
				st.endpoint = *ep;
			}
			st.has_session = fzgw_wg_peer_has_session(p->wg);
			fzgw_wg_peer_stats(p->wg, &st.wg);
		}
		fn(arg, &st);
	}
}
