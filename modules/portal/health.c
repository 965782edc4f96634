/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The portal's word on the gateway's readiness (ABI 2.1, api->ready_set): a gateway managed
 * by the portal is ready once the portal's init is applied (interface, relays, the grants it
 * lists), and not while the connection is down (new authorizations cannot arrive). The
 * "connected" gauge is 1 while the channel is joined. On a 2.0 core this does nothing.
 */
#include "portal.h"

static bool has_21(const struct portal *p)
{
	return p->api->abi_minor >= 1 && p->api->ready_set && p->api->gauge_register &&
	       p->api->gauge_set;
}

static void connected(struct portal *p, bool on)
{
	if (p->g_connected >= 0)
		p->api->gauge_set(p->ctx, p->g_connected, on);
}

void pz_health_init(struct portal *p)
{
	p->g_connected = -1;
	if (!has_21(p))
		return;
	p->g_connected = p->api->gauge_register(p->ctx, "connected");
	p->api->ready_set(p->ctx, false, "connecting to the portal");
}

void pz_health_joined(struct portal *p)
{
	if (!has_21(p))
		return;
	connected(p, true);
	p->init_applied = false;
	p->api->ready_set(p->ctx, false, "joined, waiting for init");
}

void pz_health_init_applied(struct portal *p)
{
	if (!has_21(p))
		return;
	p->init_applied = true;
	p->api->ready_set(p->ctx, true, "joined, init applied");
}

void pz_health_down(struct portal *p, const char *status)
{
	p->init_applied = false;
	if (!has_21(p))
		return;
	connected(p, false);
	p->api->ready_set(p->ctx, false, status);
}
