/* SPDX-License-Identifier: Apache-2.0 */
/* Address, port and ICMP id rewriting of a parsed packet, with incremental checksums. */
#ifndef FZGW_PACKET_IP_REWRITE_H
#define FZGW_PACKET_IP_REWRITE_H

#include <stdint.h>

#include <fzgw/ip.h>

/*
 * Each setter changes the packet at @buf and its view @v (from fzgw_ip_parse() on
 * the same bytes) together, and updates the IPv4 header and L4 checksums by RFC 1624
 * so a correct checksum stays correct and a wrong one stays wrong. A zero UDP
 * checksum stays zero. The packet quoted by an ICMP error is not touched.
 * All return 0 or a negative errno, and change nothing on failure:
 *   -EINVAL        the view is not NORMAL, @a is NULL, the packet has no such field
 *                  (ports: TCP/UDP only; ICMP id: echo request/reply only), or the
 *                  change would make the packet look like the in-tunnel control packet;
 *   -EAFNOSUPPORT  @a's family differs from the packet's.
 */
__attribute__((warn_unused_result))
int fzgw_ip_set_src(uint8_t *buf, struct fzgw_ip *v, const struct fzgw_addr *a);
__attribute__((warn_unused_result))
int fzgw_ip_set_dst(uint8_t *buf, struct fzgw_ip *v, const struct fzgw_addr *a);
__attribute__((warn_unused_result))
int fzgw_ip_set_src_port(uint8_t *buf, struct fzgw_ip *v, uint16_t port);
__attribute__((warn_unused_result))
int fzgw_ip_set_dst_port(uint8_t *buf, struct fzgw_ip *v, uint16_t port);
/* Echo id in both src_port and dst_port of the view. */
__attribute__((warn_unused_result))
int fzgw_ip_set_icmp_id(uint8_t *buf, struct fzgw_ip *v, uint16_t id);

#endif
