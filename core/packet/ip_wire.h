/* SPDX-License-Identifier: Apache-2.0 */
/* Wire constants and big-endian field access shared by the packet sources (not exported). */
#ifndef FZGW_PACKET_IP_WIRE_H
#define FZGW_PACKET_IP_WIRE_H

#include <stdint.h>

enum {
	FZGW_IPV4_HDR_LEN = 20,
	FZGW_IPV6_HDR_LEN = 40,
	FZGW_TCP_HDR_LEN = 20,
	FZGW_UDP_HDR_LEN = 8,
	FZGW_ICMP_HDR_LEN = 8,
	/* RFC 1812 4.3.2.3: an ICMPv4 error stays within 576 bytes. */
	FZGW_ICMPV4_ERROR_MAX = 576,
	/* RFC 4443 2.4 (c): an ICMPv6 error stays within the minimum IPv6 MTU. */
	FZGW_ICMPV6_ERROR_MAX = 1280,
	/* More IPv6 extension headers than this is an attack, not a packet. */
	FZGW_IP_MAX_EXT = 8,
};

/* IP protocol numbers (IANA), including the IPv6 extension headers we walk. */
enum {
	FZGW_PROTO_HOPOPTS = 0,
	FZGW_PROTO_ICMP = 1,
	FZGW_PROTO_TCP = 6,
	FZGW_PROTO_UDP = 17,
	FZGW_PROTO_ROUTING = 43,
	FZGW_PROTO_FRAGMENT = 44,
	FZGW_PROTO_AH = 51,
	FZGW_PROTO_ICMPV6 = 58,
	FZGW_PROTO_DSTOPTS = 60,
	FZGW_PROTO_CONTROL = 0xff, /* the in-tunnel control packet's next header */
};

/* ICMP types (RFC 792, RFC 4443) and the codes the error builder sends. */
enum {
	FZGW_ICMPV4_ECHO_REPLY = 0,
	FZGW_ICMPV4_DEST_UNREACH = 3,
	FZGW_ICMPV4_SOURCE_QUENCH = 4,
	FZGW_ICMPV4_REDIRECT = 5,
	FZGW_ICMPV4_ECHO_REQUEST = 8,
	FZGW_ICMPV4_TIME_EXCEEDED = 11,
	FZGW_ICMPV4_PARAM_PROBLEM = 12,

	FZGW_ICMPV4_CODE_NET_UNREACH = 0,
	FZGW_ICMPV4_CODE_FRAG_NEEDED = 4,
	FZGW_ICMPV4_CODE_PROHIBITED = 13,

	FZGW_ICMPV6_DEST_UNREACH = 1,
	FZGW_ICMPV6_PACKET_TOO_BIG = 2,
	FZGW_ICMPV6_TIME_EXCEEDED = 3,
	FZGW_ICMPV6_ECHO_REQUEST = 128,
	FZGW_ICMPV6_ECHO_REPLY = 129,

	FZGW_ICMPV6_CODE_PROHIBITED = 1,
	FZGW_ICMPV6_CODE_ADDR_UNREACH = 3,
};

/* Field offsets inside the fixed headers. */
enum {
	FZGW_IPV4_OFF_TOTAL_LEN = 2,
	FZGW_IPV4_OFF_FRAG = 6,
	FZGW_IPV4_OFF_TTL = 8,
	FZGW_IPV4_OFF_PROTO = 9,
	FZGW_IPV4_OFF_CSUM = 10,
	FZGW_IPV4_OFF_SRC = 12,
	FZGW_IPV4_OFF_DST = 16,
	FZGW_IPV6_OFF_PAYLOAD_LEN = 4,
	FZGW_IPV6_OFF_NEXT = 6,
	FZGW_IPV6_OFF_HOPS = 7,
	FZGW_IPV6_OFF_SRC = 8,
	FZGW_IPV6_OFF_DST = 24,
	FZGW_TCP_OFF_CSUM = 16,
	FZGW_UDP_OFF_LEN = 4,
	FZGW_UDP_OFF_CSUM = 6,
	FZGW_ICMP_OFF_CSUM = 2,
	FZGW_ICMP_OFF_ID = 4,
};

static inline uint16_t fzgw_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void fzgw_put_be16(uint8_t *p, uint16_t x)
{
	p[0] = (uint8_t)(x >> 8);
	p[1] = (uint8_t)x;
}

static inline void fzgw_put_be32(uint8_t *p, uint32_t x)
{
	p[0] = (uint8_t)(x >> 24);
	p[1] = (uint8_t)(x >> 16);
	p[2] = (uint8_t)(x >> 8);
	p[3] = (uint8_t)x;
}

static inline int fzgw_icmp_is_echo(int version, uint8_t type)
{
	if (version == 4)
		return type == FZGW_ICMPV4_ECHO_REQUEST || type == FZGW_ICMPV4_ECHO_REPLY;
	return type == FZGW_ICMPV6_ECHO_REQUEST || type == FZGW_ICMPV6_ECHO_REPLY;
}

#endif
