/* SPDX-License-Identifier: Apache-2.0 */
/* The control-plane event bus: typed events, synchronous delivery in subscription order. */
#include "bus.h"

#include <errno.h>
#include <string.h>

#include "core.h"

const char *fzgw_event_name(uint32_t type)
{
	static const char *const names[FZGW_EV_TYPE_COUNT] = {
		"none", "iface-config", "peer-authorized", "access-revoked", "resource-updated",
		"peer-removed", "relays-changed", "ice-candidates", "sync", "local-candidates",
		"no-relays", "proxy-ips", "state-dump",
	};

	return type < FZGW_EV_TYPE_COUNT && names[type] ? names[type] : "?";
}

int fzgw_bus_subscribe(struct fzgw_bus *bus, struct fzgw_ctx *ctx, uint32_t type, fzgw_event_fn fn,
		       void *state)
{
	if (type == FZGW_EV_NONE || type >= FZGW_EV_TYPE_COUNT || !fn)
		return -EINVAL;
	if (bus->n == FZGW_BUS_MAX_SUBS)
		return -ENOSPC;
	bus->subs[bus->n++] = (struct fzgw_bus_sub){ type, fn, state, ctx };
	return 0;
}

static void compact(struct fzgw_bus *bus)
{
	int j = 0;

	for (int i = 0; i < bus->n; i++)
		if (bus->subs[i].fn)
			bus->subs[j++] = bus->subs[i];
	bus->n = j;
}

void fzgw_bus_unsubscribe_all(struct fzgw_bus *bus, const struct fzgw_ctx *ctx)
{
	for (int i = 0; i < bus->n; i++)
		if (bus->subs[i].ctx == ctx)
			bus->subs[i].fn = NULL;
	/* while an event is being delivered, entries only go dark; compaction waits */
	if (!bus->depth)
		compact(bus);
}

int fzgw_bus_publish(struct fzgw_bus *bus, struct fzgw_ctx *from, uint32_t type, const void *data,
		     size_t size)
{
	struct fzgw_event ev = { .type = type, .data = data, .size = size,
				 .source = from ? from->name : "?" };
	int delivered = 0, n;

	if (type == FZGW_EV_NONE || type >= FZGW_EV_TYPE_COUNT)
		return -EINVAL;
	if (bus->depth >= FZGW_BUS_MAX_DEPTH)
		return -ELOOP;
	bus->published[type]++;
	bus->depth++;
	n = bus->n; /* subscribers added during delivery see the next event */
	for (int i = 0; i < n; i++) {
		struct fzgw_bus_sub *s = &bus->subs[i];

		if (s->type != type || !s->fn || s->ctx == from)
			continue;
		s->fn(s->state, &ev);
		delivered++;
	}
	if (--bus->depth == 0)
		compact(bus);
	return delivered;
}
