/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's outward signs of life: systemd notifications, the loop-lag tick, the watchdog
 * and the health/metrics HTTP server, and the readiness they report. */
#ifndef FZGW_OBS_H
#define FZGW_OBS_H

#include <stdbool.h>
#include <stddef.h>

struct fzgw_daemon;

/* Starts the tick, the watchdog (when WatchdogSec= is set) and the HTTP server on
 * d->cfg->health_check_addr. A bind failure is fatal (-errno, one line in @err: exit 1) when
 * the address was asked for (flag, environment or config key); on the default address it is
 * logged and the gateway runs without the server, as the original does. */
int fzgw_obs_start(struct fzgw_daemon *d, char *err, size_t errlen);
/* Recomputes readiness and STATUS=; sends READY=1 the first time the gateway is ready. */
void fzgw_obs_update(struct fzgw_daemon *d);
/* Is the gateway ready? If not, why (one line). */
bool fzgw_obs_ready(struct fzgw_daemon *d, char *why, size_t len);
/* Around a SIGHUP reload: RELOADING=1 (with MONOTONIC_USEC), then READY=1 when it is over
 * (applied or refused). */
void fzgw_obs_reloading(struct fzgw_daemon *d);
void fzgw_obs_reloaded(struct fzgw_daemon *d);
/* SIGTERM/SIGINT: STOPPING=1; nothing else is sent after it. */
void fzgw_obs_stopping(struct fzgw_daemon *d);
/* Closes the server, the timers. Accepts a daemon without obs. */
void fzgw_obs_stop(struct fzgw_daemon *d);

#endif
