/* SPDX-License-Identifier: Apache-2.0 */
/* Named gauges of a module (api->gauge_register/gauge_set, ABI 2.1), read by /metrics. */
#ifndef FZGW_GAUGES_H
#define FZGW_GAUGES_H

#include <stdbool.h>
#include <stdint.h>

#define FZGW_MAX_GAUGES 32
#define FZGW_GAUGE_NAME_MAX 48
#define FZGW_READY_STATUS_MAX 128

struct fzgw_gauges {
	int n;
	struct {
		char name[FZGW_GAUGE_NAME_MAX];
		int64_t v;
	} g[FZGW_MAX_GAUGES];
};

/* A module's word on the gateway's readiness (api->ready_set). */
struct fzgw_readiness {
	bool gates;  /* the module said something once: it gates readiness from then on */
	bool ready;
	char status[FZGW_READY_STATUS_MAX];
};

/* True if @name is 1..47 characters of [a-z0-9_] (a Prometheus-safe label value anyway). */
bool fzgw_gauge_name_ok(const char *name);
/* Returns the id of @name, creating it at 0; -EINVAL for a bad name, -ENOSPC when full. */
int fzgw_gauge_id(struct fzgw_gauges *gs, const char *name);
void fzgw_gauge_set(struct fzgw_gauges *gs, int id, int64_t v);
/* Copies @status (NULL: empty) as printable ASCII: control characters become spaces. */
void fzgw_readiness_set(struct fzgw_readiness *r, bool ready, const char *status);

#endif
