/* SPDX-License-Identifier: Apache-2.0 */
/* The module's live state on SIGUSR1 (FZGW_EV_STATE_DUMP): every relay and every client's path. */
#include <stdio.h>

#include "relay.h"

static const char *path_name(const struct rl_conn *c)
{
	switch (c->kind4) {
	case RL_C_PATHS_P2P:
		return "peer-to-peer";
	case RL_C_PATHS_P2R:
		return "peer-to-relay";
	case RL_C_PATHS_R2P:
		return "relay-to-peer";
	case RL_C_PATHS_R2R:
		return "relay-to-relay";
	}
	if (c->iceless)
		return "iceless (WireGuard's endpoint)";
	return c->failed || !c->agent ? "none (ICE failed)" : "pending (ICE running)";
}

static void dump_conn(struct relay_mod *m, struct rl_conn *c, void *arg)
{
	struct rl_relay *r = c->slot >= 0 ? rl_relay_slot(m, c->slot) : NULL;
	char remote[64];

	(void)arg;
	if (c->kind4)
		rl_addr_str(&c->remote, remote, sizeof(remote));
	else
		snprintf(remote, sizeof(remote), "-");
	m->api->log(m->ctx, FZGW_LOG_INFO,
		    "state: client %s path %s remote %s%s%s channel %u, relay %s, pairs %u, "
		    "remote candidates %u",
		    c->client_id, path_name(c), remote,
		    c->path == FZGW_PATH_RELAY ? " via relay " : "",
		    c->path == FZGW_PATH_RELAY && r ? r->id : "",
		    c->path == FZGW_PATH_RELAY ? c->want.channel : 0, r ? r->id : "-",
		    c->agent ? ice_agent_n_pairs(c->agent) : 0,
		    c->agent ? ice_agent_n_remote(c->agent) : 0);
}

void rl_state_dump(struct relay_mod *m)
{
	char srv[64], srflx[64], r4[64], r6[64];
	int n = 0;

	for (int i = 0; i < RL_MAX_RELAYS; i++) {
		const struct rl_relay *r = &m->relays[i];

		if (!r->used)
			continue;
		n++;
		rl_addr_str(&r->server, srv, sizeof(srv));
		rl_addr_str(&r->srflx, srflx, sizeof(srflx));
		rl_addr_str(&r->relayed4, r4, sizeof(r4));
		rl_addr_str(&r->relayed6, r6, sizeof(r6));
		m->api->log(m->ctx, FZGW_LOG_INFO,
			    "state: relay %s %s server %s srflx %s relayed %s %s", r->id,
			    r->ta ? turn_state_name(turn_alloc_state(r->ta)) : "stopped", srv, srflx,
			    r4, r6);
	}
	m->api->log(m->ctx, FZGW_LOG_INFO, "state: %d relay(s), %zu connection(s)", n, m->n_conns);
	rl_conns_each(m, dump_conn, NULL);
}
