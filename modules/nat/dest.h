/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The destinations a proxy IP never maps onto: loopback, link-local (cloud metadata), the
 * unspecified, multicast and reserved ranges, IPv4-mapped IPv6, the tunnel's client and proxy
 * ranges, and the gateway host's own addresses. A name that resolves there would hand
 * clients the gateway host itself or its neighbours' link-local services.
 */
#ifndef FZGW_NAT_DEST_H
#define FZGW_NAT_DEST_H

#include <stdbool.h>
#include <stddef.h>

#include <dnsname/dns_service.h>
#include <fzgw/module.h>

#define NAT_OWN_MAX 256 /* host addresses checked; more are not looked at */

bool nat_dest_refused(const struct fzgw_addr *a, const struct fzgw_addr *own, size_t n_own);
/* The host's interface addresses (up to @max), as getifaddrs() lists them now. */
size_t nat_own_addrs(struct fzgw_addr *out, size_t max);
/* Removes the refused addresses from @r (order kept); returns how many went. */
unsigned nat_dest_filter(struct dns_result *r, const struct fzgw_addr *own, size_t n_own);

#endif
