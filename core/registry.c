/* SPDX-License-Identifier: Apache-2.0 */
/* The service registry: modules offer function tables to each other by name. */
#include "registry.h"

#include <errno.h>
#include <string.h>

int fzgw_registry_add(struct fzgw_registry *r, struct fzgw_ctx *ctx, const char *name, const void *table)
{
	if (!name || !*name || strlen(name) >= sizeof(r->s[0].name) || !table)
		return -EINVAL;
	if (fzgw_registry_find(r, name))
		return -EEXIST;
	if (r->n == FZGW_MAX_SERVICES)
		return -ENOSPC;
	strcpy(r->s[r->n].name, name);
	r->s[r->n].table = table;
	r->s[r->n].ctx = ctx;
	r->n++;
	return 0;
}

const void *fzgw_registry_find(const struct fzgw_registry *r, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->s[i].name, name))
			return r->s[i].table;
	return NULL;
}

void fzgw_registry_remove_all(struct fzgw_registry *r, const struct fzgw_ctx *ctx)
{
	int j = 0;

	for (int i = 0; i < r->n; i++)
		if (r->s[i].ctx != ctx)
			r->s[j++] = r->s[i];
	r->n = j;
}
