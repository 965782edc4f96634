/* SPDX-License-Identifier: Apache-2.0 */
/* Portal messages into bus events, keeping what was authorized so init can resynchronise. */
#ifndef FZGW_PORTAL_TRANSLATE_H
#define FZGW_PORTAL_TRANSLATE_H

#include <stdbool.h>

#include <fzgw/module.h>

#include "grants.h"
#include "msg.h"

struct pz_xlate {
	struct fzgw_ctx *ctx;
	const struct fzgw_api *api;
	struct pz_grants grants;
	bool have_iface;
	struct fzgw_addr ipv4, ipv6;
};

int pz_xlate_init(struct pz_xlate *x, struct fzgw_ctx *ctx, const struct fzgw_api *api);
/* Frees the table; with @revoke, every client it holds is revoked on the bus first. */
void pz_xlate_fini(struct pz_xlate *x, bool revoke);

/* IFACE_CONFIG (first time and on change), RELAYS_CHANGED (the whole set), then only the
 * listed authorizations stay: ACCESS_REVOKED for the others, PEER_AUTHORIZED again for
 * those whose expiry changed. */
void pz_xlate_init_msg(struct pz_xlate *x, const struct pz_init *m);
/* PEER_AUTHORIZED (with the ICE credentials and use_iceless). 0, or -ENOMEM when the grant
 * cannot be held (nothing published then). */
int pz_xlate_create(struct pz_xlate *x, const struct pz_create *m);
/* ACCESS_REVOKED for the grant, and for the client when it was its last. */
void pz_xlate_reject(struct pz_xlate *x, const char *client_id, const char *resource_id);
/* RESOURCE_UPDATED, as the original: the filters change, nothing else (the stored address or
 * pattern stays). -EINVAL for a type change (refused, nothing published), -ENOMEM. */
int pz_xlate_resource(struct pz_xlate *x, const struct fzgw_resource *r);
void pz_xlate_ice(struct pz_xlate *x, const struct pz_ice *m, bool invalidate);
void pz_xlate_presence(struct pz_xlate *x, const struct pz_presence *m);
/* Another module revoked a grant or the core removed a tunnel: forget it here too. */
void pz_xlate_revoked(struct pz_xlate *x, const struct fzgw_ev_revoke *r);
void pz_xlate_peer_removed(struct pz_xlate *x, const char *client_id);

#endif
