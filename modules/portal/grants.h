/* SPDX-License-Identifier: Apache-2.0 */
/* What the portal has authorized: clients (keys, addresses) and their grants of resources. */
#ifndef FZGW_PORTAL_GRANTS_H
#define FZGW_PORTAL_GRANTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fzgw/module.h>

#include "values.h"

/* No count is capped: clients, grants per client and filters are bounded by memory. */

/* A resource definition, shared by the grants naming it. */
struct pz_res {
	struct pz_res *next;
	uint32_t refs;
	struct fzgw_resource *def; /* owned copy (resdef.h): its lists live as long as it */
};

struct pz_grant {
	struct pz_res *res;
	int64_t expires_at;
	bool listed; /* seen in the init being applied */
};

struct pz_client {
	struct pz_client *next;
	char id[PZ_UUID_SIZE];
	uint8_t public_key[32];
	uint32_t psk_slot; /* in the locked key slab */
	struct fzgw_addr ipv4, ipv6;
	/* the ICE credentials of the last authorization (malloc()ed, wiped when freed) */
	char *gw_ufrag, *gw_pwd, *cl_ufrag, *cl_pwd;
	bool use_iceless;
	uint32_t n, cap;
	struct pz_grant *grants;
};

#define PZ_SLAB_KEYS 128 /* preshared keys per locked chunk */

struct pz_grants {
	struct pz_client **cb; /* buckets */
	struct pz_res **rb;
	uint32_t n_clients, n_res;
	uint8_t (**slab)[32]; /* sodium_allocarray()ed chunks of PZ_SLAB_KEYS keys */
	uint32_t n_slab;
	uint32_t *free_slots, n_free, next_slot; /* free_slots holds n_slab * PZ_SLAB_KEYS */
};

int pz_grants_init(struct pz_grants *g);
/* Wipes the keys and frees everything; accepts a zeroed table. */
void pz_grants_fini(struct pz_grants *g);
struct pz_client *pz_grants_client(const struct pz_grants *g, const char *id);
/* The client, created when new. Its key and addresses are set from the arguments. 0 or
 * -ENOMEM. */
int pz_grants_client_set(struct pz_grants *g, const char *id, const uint8_t public_key[32],
			 const uint8_t psk[32], const struct fzgw_addr *ipv4,
			 const struct fzgw_addr *ipv6, struct pz_client **out);
/* The ICE credentials and use_iceless of @c replaced. 0 or -ENOMEM (then unchanged). */
int pz_grants_client_ice(struct pz_client *c, const char *gw_ufrag, const char *gw_pwd,
			 const char *cl_ufrag, const char *cl_pwd, bool use_iceless);
const uint8_t *pz_grants_psk(const struct pz_grants *g, const struct pz_client *c);
struct pz_grant *pz_grants_find(const struct pz_client *c, const char *res_id);
/* Adds or updates @c's grant of @res (a copy of it replaces the stored definition). 0 or
 * -ENOMEM. */
int pz_grants_set(struct pz_grants *g, struct pz_client *c, const struct fzgw_resource *res,
		  int64_t expires_at);
/* Removes one grant; the number left, or -ENOENT. */
int pz_grants_del(struct pz_grants *g, struct pz_client *c, const char *res_id);
void pz_grants_drop(struct pz_grants *g, struct pz_client *c);
/*
 * resource_updated, as the original: only the filters of the stored definition of @r->id
 * change. 0 (*@out: the stored definition), -ENOENT when no grant names it, -EINVAL when @r
 * has another type (nothing changed), -ENOMEM.
 */
int pz_grants_update_resource(struct pz_grants *g, const struct fzgw_resource *r,
			      const struct fzgw_resource **out);
/* Every client, in a malloc()ed array (NULL when none or out of memory): for walks that
 * change the table. */
struct pz_client **pz_grants_list(const struct pz_grants *g, size_t *n);

#endif
