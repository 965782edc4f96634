/* SPDX-License-Identifier: Apache-2.0 */
/* Read-only views of the data plane for `firezone-gateway status`: the gateway's own lines and
 * each client's WireGuard state, as `wg show` prints them. */
#ifndef FZGW_DP_STATUS_H
#define FZGW_DP_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "wg.h"

struct fzgw_dataplane;
struct fzgw_peer_info;

struct dp_gw_status {
	uint8_t public_key[32];
	uint16_t listen_port;
	char tun_name[16];
	uint32_t n_peers;
	uint32_t buffers_in_use;
	struct fzgw_wg_stats wg;
};

struct dp_peer_status {
	const struct fzgw_peer_info *info; /* borrowed for the callback */
	const uint8_t *public_key;         /* 32 bytes, borrowed */
	bool has_endpoint;
	struct fzgw_wg_endpoint endpoint;  /* WireGuard's (learned or set by a path) */
	uint8_t path;                      /* enum fzgw_path_kind */
	struct fzgw_wg_endpoint path_ep;   /* DIRECT/RELAY: where datagrams go (channel if relayed) */
	bool has_session;
	uint32_t staged, pending;
	struct fzgw_wg_peer_stats wg;
};

void dp_status_gateway(const struct fzgw_dataplane *dp, struct dp_gw_status *out);
/* Calls @fn for every client, in index order; @fn must not change the clients. */
void dp_status_each(const struct fzgw_dataplane *dp,
		    void (*fn)(void *arg, const struct dp_peer_status *st), void *arg);

#endif
