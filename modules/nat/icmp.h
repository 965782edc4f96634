/* SPDX-License-Identifier: Apache-2.0 */
/* ICMP errors from the site about translated packets, rebuilt for the client. */
#ifndef FZGW_NAT_ICMP_H
#define FZGW_NAT_ICMP_H

#include <stddef.h>
#include <stdint.h>

#include <fzgw/module.h>

enum { NAT_ICMP_TTL = 20 }; /* what the original puts on the errors it rebuilds */

/*
 * Writes into @out (@cap bytes) the error the client gets instead of the ICMP error @pkt
 * (view @v, FZGW_IP_F_ICMP_ERROR with inner ports): from @proxy to @v's destination with
 * TTL / hop limit 20, the same type, code and rest of header (MTU, pointer), and the quote
 * turned back into what the client sent: destination @proxy, source port or echo id
 * @port, its checksums adjusted (RFC 1624). The quote is cut to keep the error within 576
 * (IPv4) or 1280 (IPv6) bytes. Returns the length, or -EINVAL (not such an error, family
 * mismatch) or -ENOSPC.
 */
int nat_icmp_translate(uint8_t *out, size_t cap, const uint8_t *pkt, const struct fzgw_ip *v,
		       const struct fzgw_addr *proxy, uint16_t port);

#endif
