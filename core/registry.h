/* SPDX-License-Identifier: Apache-2.0 */
/* The service registry: modules offer function tables to each other by name. */
#ifndef FZGW_REGISTRY_H
#define FZGW_REGISTRY_H

#define FZGW_MAX_SERVICES 32

struct fzgw_ctx;

struct fzgw_registry {
	int n;
	struct {
		char name[64];
		const void *table;
		struct fzgw_ctx *ctx;
	} s[FZGW_MAX_SERVICES];
};

int fzgw_registry_add(struct fzgw_registry *r, struct fzgw_ctx *ctx, const char *name, const void *table);
const void *fzgw_registry_find(const struct fzgw_registry *r, const char *name);
void fzgw_registry_remove_all(struct fzgw_registry *r, const struct fzgw_ctx *ctx);

#endif
