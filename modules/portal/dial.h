/* SPDX-License-Identifier: Apache-2.0 */
/* Resolving the portal's host and dialling every address at once: the first to connect wins. */
#ifndef FZGW_PORTAL_DIAL_H
#define FZGW_PORTAL_DIAL_H

#include <stdint.h>

struct event_base;
struct evdns_base;
struct pz_dial;

#define PZ_DIAL_MAX 8 /* addresses tried per attempt */

/*
 * Called once, from the loop (never from inside pz_dial_start): @fd is the connected socket
 * (the callee owns it) or -1 with @err (-errno) and @detail saying what failed per address.
 * The callee may free the dial inside (@detail is the dial's: copy it first).
 */
typedef void (*pz_dial_fn)(void *user, int fd, int err, const char *detail);

/* @dns may be NULL when @host is an address. 0 or -errno (nothing started then). */
int pz_dial_start(struct pz_dial **out, struct event_base *base, struct evdns_base *dns,
		  const char *host, uint16_t port, uint32_t timeout_ms, pz_dial_fn done,
		  void *user);
/* Cancels whatever is under way; closes a socket not yet handed over. Accepts NULL. */
struct pz_dial *pz_dial_free(struct pz_dial *d);

#endif
