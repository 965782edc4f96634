/* SPDX-License-Identifier: Apache-2.0 */
/* A read-only snapshot of the data plane's totals, for /metrics and systemd's STATUS=. */
#include "dp_metrics.h"

#include <string.h>

#include "dp.h"

void fzgw_dataplane_metrics(const struct fzgw_dataplane *dp, struct fzgw_dp_metrics *out)
{
	memset(out, 0, sizeof(*out));
	if (!dp)
		return;
	out->up = true;
	out->iface_up = dp->gw4.family != 0 || dp->gw6.family != 0;
	out->peers = dp->peers.n;
	out->buffers_in_use = dp->pool ? fzgw_pool_in_use(dp->pool) : 0;
	out->buffers_total = dp->pool ? fzgw_pool_count(dp->pool) : 0;
	if (dp->wg)
		fzgw_wg_stats(dp->wg, &out->wg);
}
