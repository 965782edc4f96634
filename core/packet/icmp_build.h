/* SPDX-License-Identifier: Apache-2.0 */
/* Builds the ICMP and ICMPv6 errors the gateway sends back to a client. */
#ifndef FZGW_PACKET_ICMP_BUILD_H
#define FZGW_PACKET_ICMP_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include <fzgw/ip.h>

/*
 * Writes into @out (@cap bytes) an ICMP error of @kind (enum fzgw_icmp_kind from
 * <fzgw/module.h>) about the packet @orig whose view is @v, addressed from @src
 * (NULL: the original destination) to the original source, hop limit 64. It quotes
 * as much of @orig as fits in 576 bytes (IPv4, RFC 1812 4.3.2.3) or 1280 bytes
 * (IPv6, RFC 4443 2.4 c) and @cap, at least the IP header and 8 bytes. @mtu is the
 * next-hop MTU of FZGW_ICMP_TOO_BIG (68..65535 for IPv4, >= 1280 for IPv6) and is
 * ignored otherwise. @out may be @orig (the reply is built over the packet).
 * Returns the length written, or
 *   -EINVAL        no error may be sent about this packet (not NORMAL, an ICMP error,
 *                  a source that is not one host, a broadcast or multicast destination),
 *                  an unknown @kind or an @mtu out of range;
 *   -EAFNOSUPPORT  @src's family differs from the packet's;
 *   -ENOSPC        @cap cannot hold the headers and the minimum quote.
 */
__attribute__((warn_unused_result))
int fzgw_icmp_build_error(uint8_t *out, size_t cap, const uint8_t *orig, const struct fzgw_ip *v,
			  int kind, uint32_t mtu, const struct fzgw_addr *src);

#endif
