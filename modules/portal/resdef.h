/* SPDX-License-Identifier: Apache-2.0 */
/* Owned copies of resources: the resource, its filters, their ranges and its pattern in one
 * block, so that the borrowed pointers of the ABI stay valid as long as the copy. */
#ifndef FZGW_PORTAL_RESDEF_H
#define FZGW_PORTAL_RESDEF_H

#include <fzgw/module.h>

/* A deep copy of @r in one malloc()ed block (free() releases it); NULL when out of memory or
 * when the lists are too large to address. */
struct fzgw_resource *pz_res_dup(const struct fzgw_resource *r);
/* A deep copy of @base with the filters of @filters_from. */
struct fzgw_resource *pz_res_with_filters(const struct fzgw_resource *base,
					  const struct fzgw_resource *filters_from);

#endif
