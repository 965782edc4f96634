/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's clients: found by client id, tunnel IPv4 and tunnel IPv6 in O(1), dense indices. */
#ifndef FZGW_PEERS_H
#define FZGW_PEERS_H

#include <stdbool.h>
#include <stdint.h>

#include <fzgw/module.h>

#include "wg.h"

#define FZGW_PEERS_MAX 65536
#define FZGW_PEER_STAGED 64 /* packets held while a handshake is under way */

struct fzgw_wg_peer;

struct dp_pending;

struct fzgw_gw_peer {
	struct fzgw_peer_info info; /* what modules see */
	struct fzgw_wg_peer *wg;
	uint64_t gen;               /* never reused: tells this client from a later one at its index */
	uint8_t public_key[32];
	uint8_t n_staged;
	bool removing;              /* its removal is under way: events out, not yet freed */
	uint8_t path;               /* enum fzgw_path_kind, set by a module (ANY by default) */
	struct fzgw_wg_endpoint path_ep; /* DIRECT/RELAY: where its datagrams go (channel if relayed) */
	struct dp_pending *pending; /* PENDING: datagrams waiting for a path (owned) */
	struct fzgw_packet *staged[FZGW_PEER_STAGED];
	struct fzgw_gw_peer *next_id, *next_v4, *next_v6; /* hash chains */
};

struct fzgw_peers {
	uint32_t n;
	uint32_t cap;           /* slots in by_index */
	struct fzgw_gw_peer **by_index;
	uint64_t last_gen;      /* the generation given to the last client added */
	uint32_t nbuckets;      /* power of two */
	struct fzgw_gw_peer **by_id, **by_v4, **by_v6;
};

int fzgw_peers_init(struct fzgw_peers *p, uint32_t nbuckets);
void fzgw_peers_fini(struct fzgw_peers *p);
/* Adds a client; its addresses must not belong to another client (-EADDRINUSE). */
int fzgw_peers_add(struct fzgw_peers *p, const char *client_id, const struct fzgw_addr *v4,
		   const struct fzgw_addr *v6, struct fzgw_gw_peer **out);
int fzgw_peers_set_addrs(struct fzgw_peers *p, struct fzgw_gw_peer *peer, const struct fzgw_addr *v4,
			 const struct fzgw_addr *v6);
/* Unlinks and frees @peer (the caller has freed its staged and pending packets and wg peer). */
void fzgw_peers_remove(struct fzgw_peers *p, struct fzgw_gw_peer *peer);
struct fzgw_gw_peer *fzgw_peers_by_client(const struct fzgw_peers *p, const char *client_id);
/* The client at @index if it is still generation @gen (never follows a freed peer), else NULL. */
struct fzgw_gw_peer *fzgw_peers_by_gen(const struct fzgw_peers *p, uint32_t index, uint64_t gen);
/* By tunnel address: IPv4 (4 bytes) or IPv6 (16 bytes) per family. */
struct fzgw_gw_peer *fzgw_peers_by_addr(const struct fzgw_peers *p, const struct fzgw_addr *a);

#endif
