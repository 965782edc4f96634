/* SPDX-License-Identifier: Apache-2.0 */
/* Internet checksums (RFC 1071): full computation, verification and RFC 1624 updates. */
#ifndef FZGW_PACKET_CHECKSUM_H
#define FZGW_PACKET_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fzgw/ip.h>

/*
 * Ones' complement sum of @len bytes at @buf, read as big-endian 16-bit words (an odd
 * last byte is padded with zero), added to @sum. The result is folded to 16 bits
 * (never inverted); chain calls only across even lengths. @sum is a previous
 * result or any value below 2^31.
 */
uint32_t fzgw_csum_partial(const void *buf, size_t len, uint32_t sum);

/* Folds a 32-bit ones' complement accumulator to 16 bits. */
static inline uint16_t fzgw_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'): add one changed 16-bit word to @diff. */
static inline uint32_t fzgw_csum_diff16(uint32_t diff, uint16_t old, uint16_t new_)
{
	return diff + (uint16_t)~old + new_;
}

/* Applies an accumulated @diff (at most 2^15 words) to the checksum @check. */
static inline uint16_t fzgw_csum_update(uint16_t check, uint32_t diff)
{
	return (uint16_t)~fzgw_csum_fold((uint16_t)~check + diff);
}

/* The header checksum an IPv4 header at @hdr should carry (its own field counts as 0). */
uint16_t fzgw_csum_ipv4_header(const uint8_t *hdr);

/*
 * The checksum the L4 header of the parsed packet should carry: TCP, UDP and ICMPv6
 * with their pseudo header, ICMPv4 without. A UDP result of 0 is given as 0xffff
 * (RFC 768). 0, or -EPROTONOSUPPORT for other protocols or a view that is not NORMAL.
 */
int fzgw_csum_l4(const uint8_t *buf, const struct fzgw_ip *v, uint16_t *out);

/*
 * Writes every checksum of a parsed packet: the IPv4 header and the L4 header. A zero
 * UDP checksum (FZGW_IP_F_UDP_CSUM0) stays zero; the packet quoted by an ICMP error is
 * left as it is. 0, or -EINVAL for a view that is not NORMAL.
 */
int fzgw_csum_fix_all(uint8_t *buf, const struct fzgw_ip *v);

/* Whether every checksum fzgw_csum_fix_all() would write is already correct. */
bool fzgw_csum_verify_all(const uint8_t *buf, const struct fzgw_ip *v);

#endif
