/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 7983 demultiplexing of a datagram on the gateway's UDP socket, as a pure function:
 * STUN (first byte 0-3, the magic cookie at offset 4, and a length that, plus the 20-byte
 * header, is exactly the datagram's), ChannelData (first byte 0x40-0x4F and a length the
 * datagram holds, with or without padding), and everything else is WireGuard's.
 * A WireGuard message starts with its type (1-4) and three zero bytes; it can carry the cookie
 * at offset 4 by chance (a random sender index), but then its STUN length would be 0 and its size
 * 148, 92, 64 or >= 32 bytes, never 20, so the exact-length rule keeps it WireGuard's.
 */
#ifndef FZGW_RELAY_DEMUX_H
#define FZGW_RELAY_DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum relay_class {
	RELAY_CLASS_WIREGUARD = 0,
	RELAY_CLASS_STUN = 1,
	RELAY_CLASS_CHANNELDATA = 2,
};

enum relay_class relay_classify(const uint8_t *d, size_t len);
const char *relay_class_name(enum relay_class c);

#endif
