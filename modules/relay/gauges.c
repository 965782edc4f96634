/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The relay module's gauge-like counters (allocations, relays, connections, paths by kind)
 * as gauges too (ABI 2.1, api->gauge_register): /metrics shows them as
 * firezone_gateway_module_gauge{module="relay", gauge=...}. On a 2.0 core: counters only.
 */
#include "relay.h"

static const char *const gauge_names[RL_C_PATHS_R2R + 1] = {
	[RL_C_ALLOCATIONS] = "allocations",
	[RL_C_RELAYS] = "relays",
	[RL_C_CONNECTIONS] = "connections",
	[RL_C_PATHS_DIRECT] = "paths_direct",
	[RL_C_PATHS_RELAYED] = "paths_relayed",
	[RL_C_PATHS_P2P] = "paths_peer_to_peer",
	[RL_C_PATHS_P2R] = "paths_peer_to_relay",
	[RL_C_PATHS_R2P] = "paths_relay_to_peer",
	[RL_C_PATHS_R2R] = "paths_relay_to_relay",
};

void rl_gauges_init(struct relay_mod *m)
{
	bool ok = m->api->abi_minor >= 1 && m->api->gauge_register && m->api->gauge_set;

	for (int i = 0; i <= RL_C_PATHS_R2R; i++) {
		m->gauge[i] = ok ? m->api->gauge_register(m->ctx, gauge_names[i]) : -1;
		m->gauge_v[i] = 0;
	}
}

void rl_gauge_add(struct relay_mod *m, enum rl_counter c, int64_t n)
{
	if ((int)c < 0 || c > RL_C_PATHS_R2R)
		return;
	m->gauge_v[c] += n;
	if (m->gauge[c] >= 0)
		m->api->gauge_set(m->ctx, m->gauge[c], m->gauge_v[c]);
}
