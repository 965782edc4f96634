/* SPDX-License-Identifier: Apache-2.0 */
/* Each client's grants as the control plane gave them (resource, address, expiry), kept from
 * the bus events for `firezone-gateway status`. The policy itself is the filter module's. */
#ifndef FZGW_GRANTS_H
#define FZGW_GRANTS_H

#include <stddef.h>
#include <stdint.h>

#include <fzgw/module.h>

struct fzgw_core;
struct fzgw_ctx;

struct fzgw_grant {
	char resource_id[40];
	char address[256]; /* "10.0.0.0/24", a DNS pattern, "internet", or "" */
	int64_t expires_at; /* unix seconds, 0 = never */
};

struct fzgw_grants_client {
	char client_id[40];
	size_t n, cap;
	struct fzgw_grant *g;
	struct fzgw_grants_client *next; /* hash chain */
};

struct fzgw_grants {
	struct fzgw_ctx *ctx; /* its own subscriber identity: the data plane's events reach it */
	uint32_t nbuckets;    /* power of two */
	struct fzgw_grants_client **bucket;
	size_t n_clients;
};

/* Subscribes to PEER_AUTHORIZED, ACCESS_REVOKED, PEER_REMOVED and RESOURCE_UPDATED on
 * @core's bus. 0 or -errno. */
int fzgw_grants_start(struct fzgw_grants *g, struct fzgw_core *core);
/* Unsubscribes and frees everything; safe on a zeroed or stopped one. */
void fzgw_grants_stop(struct fzgw_grants *g);
/* The grants of @client_id (NULL, *n = 0 when none); valid until the next event. */
const struct fzgw_grant *fzgw_grants_of(const struct fzgw_grants *g, const char *client_id, size_t *n);

/* The event handlers (the bus calls them; tests too). */
void fzgw_grants_on_authorized(void *state, const struct fzgw_event *ev);
void fzgw_grants_on_revoked(void *state, const struct fzgw_event *ev);
void fzgw_grants_on_removed(void *state, const struct fzgw_event *ev);
void fzgw_grants_on_resource(void *state, const struct fzgw_event *ev);

#endif
