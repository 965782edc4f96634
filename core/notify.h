/* SPDX-License-Identifier: Apache-2.0 */
/* The systemd notification protocol (sd_notify): READY, RELOADING, STOPPING, STATUS, WATCHDOG. */
#ifndef FZGW_NOTIFY_H
#define FZGW_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* True when NOTIFY_SOCKET is set (the service manager listens). */
bool fzgw_notify_enabled(void);
/* Sends @state (newline-separated VAR=VALUE lines) to NOTIFY_SOCKET. 1 sent, 0 no socket
 * (not under systemd), or -errno. */
int fzgw_notify_send(const char *state);
/* RELOADING=1 with MONOTONIC_USEC=<CLOCK_MONOTONIC now> (systemd >= 253 wants both). */
int fzgw_notify_reloading(void);
/* The watchdog interval in microseconds when WatchdogSec= is set for this process (and
 * WATCHDOG_PID, if set, is ours), else 0. */
uint64_t fzgw_notify_watchdog_usec(void);
/* "libsystemd" or "built-in": what sends the notifications (logged at start). */
const char *fzgw_notify_impl(void);

#endif
