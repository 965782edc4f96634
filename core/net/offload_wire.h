/* SPDX-License-Identifier: Apache-2.0 */
/* Header offsets and big-endian access for the offload sources (private to core/net). */
#ifndef FZGW_NET_OFFLOAD_WIRE_H
#define FZGW_NET_OFFLOAD_WIRE_H

#include <stdint.h>

enum {
	OFF_IPV4_HDR = 20,
	OFF_IPV6_HDR = 40,
	OFF_TCP_HDR = 20,
	OFF_TCP_HDR_MAX = 60,
	OFF_UDP_HDR = 8,

	OFF_PROTO_TCP = 6,
	OFF_PROTO_UDP = 17,

	/* field offsets inside the IPv4, IPv6, TCP and UDP headers */
	OFF_V4_TOS = 1,
	OFF_V4_LEN = 2,
	OFF_V4_ID = 4,
	OFF_V4_FRAG = 6,
	OFF_V4_TTL = 8,
	OFF_V4_PROTO = 9,
	OFF_V4_CSUM = 10,
	OFF_V4_SRC = 12,
	OFF_V6_LEN = 4,
	OFF_V6_NEXT = 6,
	OFF_V6_HOPS = 7,
	OFF_V6_SRC = 8,
	OFF_TCP_SEQ = 4,
	OFF_TCP_ACK = 8,
	OFF_TCP_DOFF = 12,
	OFF_TCP_FLAGS = 13,
	OFF_TCP_WIN = 14,
	OFF_TCP_CSUM = 16,
	OFF_UDP_LEN = 4,
	OFF_UDP_CSUM = 6,

	OFF_TCP_FIN = 0x01,
	OFF_TCP_PSH = 0x08,
	OFF_TCP_ACKF = 0x10,
	OFF_TCP_CWR = 0x80,
};

static inline uint16_t off_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t off_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void off_put16(uint8_t *p, uint16_t x)
{
	p[0] = (uint8_t)(x >> 8);
	p[1] = (uint8_t)x;
}

static inline void off_put32(uint8_t *p, uint32_t x)
{
	p[0] = (uint8_t)(x >> 24);
	p[1] = (uint8_t)(x >> 16);
	p[2] = (uint8_t)(x >> 8);
	p[3] = (uint8_t)x;
}

#endif
