/* SPDX-License-Identifier: Apache-2.0 */
/* The control-plane event bus: typed events, synchronous delivery in subscription order. */
#ifndef FZGW_BUS_H
#define FZGW_BUS_H

#include <stddef.h>
#include <stdint.h>

#include <fzgw/module.h>

#define FZGW_BUS_MAX_SUBS 128
#define FZGW_BUS_MAX_DEPTH 8

struct fzgw_ctx;

struct fzgw_bus_sub {
	uint32_t type;
	fzgw_event_fn fn; /* NULL once removed */
	void *state;
	struct fzgw_ctx *ctx;
};

struct fzgw_bus {
	int n;
	int depth;
	uint64_t published[FZGW_EV_TYPE_COUNT];
	struct fzgw_bus_sub subs[FZGW_BUS_MAX_SUBS];
};

const char *fzgw_event_name(uint32_t type);
int fzgw_bus_subscribe(struct fzgw_bus *bus, struct fzgw_ctx *ctx, uint32_t type, fzgw_event_fn fn,
		       void *state);
void fzgw_bus_unsubscribe_all(struct fzgw_bus *bus, const struct fzgw_ctx *ctx);
/* Delivers to every subscriber of the type except the publisher. Returns the number of
 * deliveries, or -ELOOP when publishing nests too deep, -EINVAL for a bad type. */
int fzgw_bus_publish(struct fzgw_bus *bus, struct fzgw_ctx *from, uint32_t type, const void *data,
		     size_t size);

#endif
