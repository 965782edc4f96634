/* SPDX-License-Identifier: Apache-2.0 */
/* The data plane: TUN and UDP on the loop, the WireGuard engine, peers, and the packet pipeline. */
#ifndef FZGW_DATAPLANE_H
#define FZGW_DATAPLANE_H

#include <stddef.h>

#include "config.h"
#include "core.h"

struct fzgw_dataplane;

/* Opens the TUN and the UDP sockets, creates the WireGuard device (key from the config's
 * private_key_file, else a fresh one), subscribes to the control events and plugs into
 * @core. 0 or -errno with a line in @err (a runtime error: exit 1). */
int fzgw_dataplane_start(struct fzgw_core *core, const struct fzgw_config *cfg,
			 struct fzgw_dataplane **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Removes the peers (wiping keys), closes the TUN (the kernel removes it and its routes)
 * and the sockets. Accepts NULL; returns NULL. */
struct fzgw_dataplane *fzgw_dataplane_stop(struct fzgw_dataplane *dp);
void fzgw_dataplane_log_stats(const struct fzgw_dataplane *dp);
/* Shutdown: sends the p2p Goodbye to every client with a session, then flushes UDP for up
 * to @flush_ms. Returns how many were sent. Accepts NULL. */
int fzgw_dataplane_goodbye(struct fzgw_dataplane *dp, uint32_t flush_ms);

#endif
