/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's /metrics page: every family the core exports (docs/operations.md lists them). */
#ifndef FZGW_METRICS_H
#define FZGW_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_metrics.h"
#include "prom.h"

struct fzgw_core;

/* What the page is made from; everything is read, nothing changed. */
struct fzgw_metrics_in {
	const struct fzgw_core *core;
	struct fzgw_dp_metrics dp;
	bool ready;
	double loop_lag_s, loop_lag_max_s; /* the last tick's lateness, the worst in ~10-20 s */
	uint64_t http_requests[4];         /* by enum fzgw_http_outcome (http.h) */
	int64_t start_time_s;              /* unix seconds */
};

/* Renders the page into @p (check p->oom). */
void fzgw_metrics_render(struct fzgw_prom *p, const struct fzgw_metrics_in *in);
/* The process's resident set in bytes (from /proc/self/statm), 0 if unknown. */
uint64_t fzgw_metrics_rss_bytes(void);

#endif
