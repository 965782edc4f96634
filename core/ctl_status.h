/* SPDX-License-Identifier: Apache-2.0 */
/* `firezone-gateway status`'s answer, built on the gateway's side as JSON (field names are
 * stable: docs/operations.md). */
#ifndef FZGW_CTL_STATUS_H
#define FZGW_CTL_STATUS_H

#include <jansson.h>
#include <stdint.h>

struct fzgw_daemon;
struct fzgw_grants;

/* The reply object {"v":1,"ok":true,"gateway":{...},"clients":[...],"counters":{...}};
 * NULL on ENOMEM. @started_wall: unix seconds of the start. */
json_t *fzgw_ctl_status_json(struct fzgw_daemon *d, const struct fzgw_grants *g, int64_t started_wall);

#endif
