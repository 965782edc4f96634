/* SPDX-License-Identifier: Apache-2.0 */
/* What a datagram on the WireGuard port is (RFC 7983 demultiplexing): STUN, ChannelData or WireGuard. */
#ifndef FZGW_NET_UDP_CLASS_H
#define FZGW_NET_UDP_CLASS_H

#include <stddef.h>
#include <stdint.h>

#include <fzgw/module.h>

/* Everything that is neither STUN nor ChannelData goes to WireGuard (class 0). */
#define FZGW_UDP_WIREGUARD 0
#define FZGW_UDP_CLASS_MAX FZGW_UDP_CHANNELDATA

#define FZGW_STUN_HEADER_LEN 20u
#define FZGW_STUN_MAGIC 0x2112A442u
#define FZGW_CHANNELDATA_HEADER_LEN 4u

/*
 * The class of a datagram of @len bytes (enum fzgw_udp_class, or FZGW_UDP_WIREGUARD).
 *  - STUN: first byte 0..3, the magic cookie at offset 4, 20 + the header's length == @len
 *    and that length a multiple of 4. WireGuard's handshake messages also start with 1..3,
 *    but their three reserved bytes are zero: the length they would carry is 0, and no
 *    WireGuard message is 20 bytes long, so the two can never be confused.
 *  - ChannelData: first byte 0x40..0x4F (channels 0x4000..0x4FFF), 4 + length <= @len
 *    (UDP may carry padding after the data).
 * The first byte decides alone for transport data (4) and most other traffic: the data
 * path pays one comparison.
 */
static inline int fzgw_udp_classify(const uint8_t *d, size_t len)
{
	uint32_t n;

	if (len < FZGW_CHANNELDATA_HEADER_LEN || (d[0] > 3 && (d[0] & 0xF0) != 0x40))
		return FZGW_UDP_WIREGUARD;
	n = (uint32_t)d[2] << 8 | d[3];
	if (d[0] & 0x40)
		return FZGW_CHANNELDATA_HEADER_LEN + n <= len ? FZGW_UDP_CHANNELDATA : FZGW_UDP_WIREGUARD;
	if (len < FZGW_STUN_HEADER_LEN || FZGW_STUN_HEADER_LEN + n != len || (n & 3) ||
	    ((uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7]) != FZGW_STUN_MAGIC)
		return FZGW_UDP_WIREGUARD;
	return FZGW_UDP_STUN;
}

#endif
