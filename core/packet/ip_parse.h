/* SPDX-License-Identifier: Apache-2.0 */
/* The strict IP packet parser: one pass, no allocation, fills struct fzgw_ip. */
#ifndef FZGW_PACKET_IP_PARSE_H
#define FZGW_PACKET_IP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <fzgw/ip.h>

/*
 * Parses @len bytes at @buf into @v. Returns 0 (v->kind NORMAL or CONTROL) or a
 * positive enum fzgw_ip_reason (also in v->reason, v->kind INVALID). Packets
 * longer than @mtu or than 65535 bytes are refused. The rules are in docs/packets.md.
 */
__attribute__((warn_unused_result))
int fzgw_ip_parse(struct fzgw_ip *v, const uint8_t *buf, size_t len, size_t mtu);

/* A short static name for a reason ("fragment", ...), for drop counters; "?" if unknown. */
const char *fzgw_ip_reason_name(unsigned int reason);

#endif
