/* SPDX-License-Identifier: Apache-2.0 */
/* Named counters, one set per module and one for the core, dumped on SIGUSR1. */
#include "counters.h"

#include <errno.h>
#include <string.h>

#include "log.h"

int fzgw_counter_id(struct fzgw_counters *cs, const char *name)
{
	if (!name || !*name || strlen(name) >= sizeof(cs->c[0].name))
		return -EINVAL;
	for (int i = 0; i < cs->n; i++)
		if (!strcmp(cs->c[i].name, name))
			return i;
	if (cs->n == FZGW_MAX_COUNTERS)
		return -ENOSPC;
	strcpy(cs->c[cs->n].name, name);
	cs->c[cs->n].v = 0;
	return cs->n++;
}

void fzgw_counter_add(struct fzgw_counters *cs, int id, uint64_t n)
{
	if (id >= 0 && id < cs->n)
		cs->c[id].v += n;
}

void fzgw_counter_bump(struct fzgw_counters *cs, const char *name, uint64_t n)
{
	fzgw_counter_add(cs, fzgw_counter_id(cs, name), n);
}

uint64_t fzgw_counter_get(const struct fzgw_counters *cs, const char *name)
{
	for (int i = 0; i < cs->n; i++)
		if (!strcmp(cs->c[i].name, name))
			return cs->c[i].v;
	return 0;
}

void fzgw_counters_log(const struct fzgw_counters *cs, const char *module)
{
	for (int i = 0; i < cs->n; i++)
		fzgw_log(module, FZGW_LOG_INFO, "stats %s=%llu", cs->c[i].name,
			 (unsigned long long)cs->c[i].v);
}
