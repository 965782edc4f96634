/* SPDX-License-Identifier: Apache-2.0 */
/* The in-tunnel p2p control packets the core itself sends (see docs/packets.md): an IPv6
 * packet from :: to ::, next header 0xff, hop limit 0, whose payload starts with an 8-byte
 * header (the event type, then 7 reserved zero bytes). */
#ifndef FZGW_P2P_CONTROL_H
#define FZGW_P2P_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#define FZGW_P2P_IPV6_HDR 40
#define FZGW_P2P_HDR 8
#define FZGW_P2P_GOODBYE 2 /* either way, no payload: the connection ends */

/* Writes a Goodbye into @buf. Its length (48), or -ENOSPC when @cap is too small. */
int fzgw_p2p_goodbye(uint8_t *buf, size_t cap);

#endif
