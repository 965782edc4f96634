/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "relay.connections" service the relay module offers control planes (a versioned function
 * table, found with api->service_lookup()). A control plane asks it to take a client's
 * connection before installing the client's grant, as the original accepts the connection
 * (ICE agent, TURN channels) before it answers the portal.
 */
#ifndef FZGW_RELAYSVC_RELAY_SERVICE_H
#define FZGW_RELAYSVC_RELAY_SERVICE_H

#include <stdint.h>

#include <fzgw/module.h>

#define RELAY_SERVICE_NAME "relay.connections"
#define RELAY_SERVICE_VERSION 1

struct relay_service {
	uint32_t version;     /* RELAY_SERVICE_VERSION */
	uint32_t struct_size;
	void *self;           /* the first argument of every function */
	/*
	 * Takes (or keeps, when nothing changed) the connection of the client of @a (borrowed;
	 * the ICE credentials, the client's key and use_iceless are what matter). Returns 0 when
	 * the connection is taken (the control plane then installs the grant and answers
	 * authorization_created), -ENETUNREACH when no usable relay is left (it answers
	 * no_relays and installs nothing), another negative errno when refused.
	 */
	int (*accept)(void *self, const struct fzgw_ev_authorization *a);
};

#endif
