/* SPDX-License-Identifier: Apache-2.0 */
/* A read-only snapshot of the data plane's totals, for /metrics and systemd's STATUS=. */
#ifndef FZGW_DP_METRICS_H
#define FZGW_DP_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "wg.h"

struct fzgw_dataplane;

struct fzgw_dp_metrics {
	bool up;          /* a data plane exists (TUN and sockets open) */
	bool iface_up;    /* the TUN has its addresses (an IFACE_CONFIG was applied) */
	uint32_t peers;   /* clients with a tunnel */
	uint32_t buffers_in_use, buffers_total;
	struct fzgw_wg_stats wg;
};

/* Fills @out (zeroes when @dp is NULL). Reads only. */
void fzgw_dataplane_metrics(const struct fzgw_dataplane *dp, struct fzgw_dp_metrics *out);

#endif
