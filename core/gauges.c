/* SPDX-License-Identifier: Apache-2.0 */
/* Named gauges of a module (api->gauge_register/gauge_set, ABI 2.1), read by /metrics. */
#include "gauges.h"

#include <errno.h>
#include <string.h>

bool fzgw_gauge_name_ok(const char *name)
{
	size_t n = 0;

	if (!name)
		return false;
	for (; name[n]; n++)
		if (!((name[n] >= 'a' && name[n] <= 'z') || (name[n] >= '0' && name[n] <= '9') ||
		      name[n] == '_'))
			return false;
	return n > 0 && n < FZGW_GAUGE_NAME_MAX;
}

int fzgw_gauge_id(struct fzgw_gauges *gs, const char *name)
{
	if (!fzgw_gauge_name_ok(name))
		return -EINVAL;
	for (int i = 0; i < gs->n; i++)
		if (!strcmp(gs->g[i].name, name))
			return i;
	if (gs->n == FZGW_MAX_GAUGES)
		return -ENOSPC;
	strcpy(gs->g[gs->n].name, name);
	gs->g[gs->n].v = 0;
	return gs->n++;
}

void fzgw_gauge_set(struct fzgw_gauges *gs, int id, int64_t v)
{
	if (id >= 0 && id < gs->n)
		gs->g[id].v = v;
}

void fzgw_readiness_set(struct fzgw_readiness *r, bool ready, const char *status)
{
	size_t i = 0;

	r->gates = true;
	r->ready = ready;
	for (; status && status[i] && i < sizeof(r->status) - 1; i++)
		r->status[i] = (status[i] < 0x20 || status[i] == 0x7f) ? ' ' : status[i];
	r->status[i] = '\0';
}
