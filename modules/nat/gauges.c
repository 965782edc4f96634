/* SPDX-License-Identifier: Apache-2.0 */
/* The NAT's sizes as gauges (ABI 2.1): live and expired entries, clients, held packets. */
#include "nat.h"

static const char *const names[NAT_G_COUNT] = {
	[NAT_G_ENTRIES] = "entries",
	[NAT_G_EXPIRED] = "entries_expired",
	[NAT_G_CLIENTS] = "clients",
	[NAT_G_HELD] = "packets_held",
};

void nat_gauges_init(struct nat_state *st)
{
	bool ok = st->api->abi_minor >= 1 && st->api->gauge_register && st->api->gauge_set;

	for (int i = 0; i < NAT_G_COUNT; i++)
		st->gauge[i] = ok ? st->api->gauge_register(st->ctx, names[i]) : -1;
}

void nat_gauges_update(struct nat_state *st)
{
	const int64_t v[NAT_G_COUNT] = {
		[NAT_G_ENTRIES] = st->table.n_live,
		[NAT_G_EXPIRED] = st->table.n_dead,
		[NAT_G_CLIENTS] = st->n_clients,
		[NAT_G_HELD] = st->n_held,
	};

	for (int i = 0; i < NAT_G_COUNT; i++)
		if (st->gauge[i] >= 0)
			st->api->gauge_set(st->ctx, st->gauge[i], v[i]);
}
