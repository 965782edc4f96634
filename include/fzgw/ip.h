/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file fzgw/ip.h
 * @brief The parsed view of one IP packet, as the core hands it to packet hooks.
 *
 * Part of the public module ABI; included by <fzgw/module.h>, never on its own.
 * The core parses every packet once (strict rules, see docs/packets.md) before the
 * PARSE phase runs; hooks may trust every offset and length in the view.
 * All multi-byte numbers in the view are in host byte order.
 */
#ifndef FZGW_IP_H
#define FZGW_IP_H

#include <stdint.h>

#define FZGW_IP_MAX_SIZE 1280u /**< default and minimum MTU of the tunnel */

/** An IPv4 or IPv6 address. IPv4 uses bytes[0..3], the rest are zero. */
struct fzgw_addr {
	uint8_t family; /**< 4 or 6 */
	uint8_t bytes[16];
};

/** What kind of packet the parser found. */
enum fzgw_ip_kind {
	FZGW_IP_KIND_INVALID = 0, /**< rejected: see the reason */
	FZGW_IP_KIND_NORMAL = 1,  /**< an ordinary IPv4 or IPv6 packet */
	FZGW_IP_KIND_CONTROL = 2, /**< in-tunnel control (IPv6 :: to ::, next header 0xff, hop limit 0) */
};

/** Why the parser rejected a packet (0 = accepted). Counted, never logged above debug. */
enum fzgw_ip_reason {
	FZGW_IP_OK = 0,
	FZGW_IP_ERR_TOO_LONG,       /**< longer than the MTU */
	FZGW_IP_ERR_TOO_SHORT,      /**< shorter than an IP header */
	FZGW_IP_ERR_VERSION,        /**< version nibble neither 4 nor 6 */
	FZGW_IP_ERR_V4_IHL,         /**< IHL < 5 or header beyond the packet */
	FZGW_IP_ERR_V4_TOTAL_LEN,   /**< total length != bytes received */
	FZGW_IP_ERR_V6_PAYLOAD_LEN, /**< payload length + 40 != bytes received */
	FZGW_IP_ERR_FRAGMENT,       /**< a non-atomic fragment */
	FZGW_IP_ERR_EXT_HEADER,     /**< IPv6 ext. header or IPv4 AH cut, misplaced, over 8 */
	FZGW_IP_ERR_L4_TRUNCATED,   /**< TCP/UDP/ICMP header cut short */
	FZGW_IP_ERR_UDP_LEN,        /**< UDP length field != L4 bytes */
	FZGW_IP_ERR_TCP_OFFSET,     /**< TCP data offset < 5 or beyond the packet */
	FZGW_IP_ERR_ICMP_FAMILY,    /**< ICMPv4 inside IPv6 or ICMPv6 inside IPv4 */
	FZGW_IP_REASON_COUNT
};

/** Flags in fzgw_ip.flags. */
enum {
	FZGW_IP_F_ICMP_ERROR = 1u << 0, /**< ICMP(v6) error with a quoted packet in .inner */
	FZGW_IP_F_ICMP_ECHO = 1u << 1,  /**< ICMP(v6) echo: the id is in src_port and dst_port */
	FZGW_IP_F_HAS_PORTS = 1u << 2,  /**< TCP or UDP: src_port/dst_port are valid */
	FZGW_IP_F_UDP_CSUM0 = 1u << 3,  /**< UDP checksum 0, "none" (kept 0 on rewrite) */
};

/** The packet quoted inside an ICMP error, parsed leniently (it may be truncated). */
struct fzgw_ip_inner {
	uint16_t off;     /**< offset of the quoted IP header from the outer packet start */
	uint16_t len;     /**< quoted bytes present */
	uint16_t l3_len;  /**< quoted IP header + options / extension headers (0 if cut) */
	uint8_t proto;    /**< quoted L4 protocol (valid when l3_len != 0) */
	uint8_t has_ports;/**< 1 when the first 4 (TCP/UDP) or 8 (ICMP echo) L4 bytes are present */
	uint16_t src_port;/**< or ICMP echo id */
	uint16_t dst_port;
	struct fzgw_addr src, dst; /**< family 0 when the quoted fixed header is cut */
};

/**
 * The parsed view. Borrowed by hooks; valid while the packet is theirs.
 * After a rejection only kind, reason and len are meaningful; hooks never see one.
 */
struct fzgw_ip {
	uint8_t kind;        /**< enum fzgw_ip_kind */
	uint8_t reason;      /**< enum fzgw_ip_reason */
	uint8_t version;     /**< 4 or 6 */
	uint8_t proto;       /**< final L4 protocol (after IPv6 extension headers) */
	uint16_t len;        /**< bytes in the packet */
	uint16_t l3_len;     /**< IP header length including options / extension headers */
	uint16_t l4_hdr_len; /**< TCP: data offset * 4; UDP, ICMP: 8; other: 0 */
	uint16_t flags;      /**< FZGW_IP_F_* */
	uint16_t src_port;   /**< TCP/UDP source port, or ICMP echo id */
	uint16_t dst_port;   /**< TCP/UDP destination port, or ICMP echo id */
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint8_t tcp_flags;   /**< TCP flag byte (FIN 0x01, SYN 0x02, RST 0x04, ...) */
	uint8_t ttl;         /**< IPv4 TTL or IPv6 hop limit */
	struct fzgw_addr src, dst;
	struct fzgw_ip_inner inner; /**< valid when FZGW_IP_F_ICMP_ERROR is set */
};

#endif
