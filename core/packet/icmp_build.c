/* SPDX-License-Identifier: Apache-2.0 */
/* ICMP(v6) destination unreachable and packet too big errors about a client's packet. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <fzgw/module.h>

#include "checksum.h"
#include "icmp_build.h"
#include "ip_wire.h"

enum {
	ICMP_ERROR_TTL = 64,  /* a fresh datagram from us: the usual initial TTL (RFC 1700) */
	ICMPV4_MTU_MIN = 68,  /* RFC 791: every IPv4 link carries 68 bytes */
	ICMPV4_ERR_HDRS = FZGW_IPV4_HDR_LEN + FZGW_ICMP_HDR_LEN,
	ICMPV6_ERR_HDRS = FZGW_IPV6_HDR_LEN + FZGW_ICMP_HDR_LEN,
};

/*
 * RFC 1122 3.2.2 and RFC 1812 4.3.2.7: no error about a datagram whose source is not
 * one host (zero, loopback, multicast, class E and broadcast); RFC 4443 2.4 (e) the
 * same for IPv6 (unspecified, loopback, multicast).
 */
static bool addr_is_one_host(const struct fzgw_addr *a)
{
	static const uint8_t loop6[16] = { [15] = 1 };
	static const uint8_t zero6[16];

	if (a->family == 4)
		return a->bytes[0] != 0 && a->bytes[0] != 127 && a->bytes[0] < 224;
	return a->bytes[0] != 0xff && memcmp(a->bytes, zero6, 16) != 0 &&
	       memcmp(a->bytes, loop6, 16) != 0;
}

static bool dst_forbids_error(const struct fzgw_ip *v, int kind)
{
	const uint8_t *d = v->dst.bytes;

	/* RFC 1812 4.3.2.7: never about a datagram sent to broadcast or multicast. */
	if (v->version == 4)
		return d[0] >= 224 && (d[0] < 240 || (d[0] == 255 && d[1] == 255 && d[2] == 255 &&
						      d[3] == 255));
	/* RFC 4443 2.4 (e.3): multicast only for packet too big (path MTU discovery). */
	return d[0] == 0xff && kind != FZGW_ICMP_TOO_BIG;
}

/* ICMP errors are never sent about ICMP errors (RFC 1122 3.2.2, RFC 4443 2.4 e.1). */
static bool is_icmp_error(const struct fzgw_ip *v)
{
	if (v->flags & FZGW_IP_F_ICMP_ERROR)
		return true;
	if (v->proto == FZGW_PROTO_ICMPV6 && v->version == 6)
		return v->icmp_type < 128;
	if (v->proto == FZGW_PROTO_ICMP && v->version == 4)
		return v->icmp_type == FZGW_ICMPV4_DEST_UNREACH ||
		       v->icmp_type == FZGW_ICMPV4_SOURCE_QUENCH ||
		       v->icmp_type == FZGW_ICMPV4_REDIRECT ||
		       v->icmp_type == FZGW_ICMPV4_TIME_EXCEEDED ||
		       v->icmp_type == FZGW_ICMPV4_PARAM_PROBLEM;
	return false;
}

/* Type, code and the 32-bit word after the checksum, or -EINVAL. */
static int error_header(int version, int kind, uint32_t mtu, uint8_t hdr[8])
{
	memset(hdr, 0, 8);
	switch (kind) {
	case FZGW_ICMP_PROHIBITED:
		hdr[0] = version == 4 ? FZGW_ICMPV4_DEST_UNREACH : FZGW_ICMPV6_DEST_UNREACH;
		hdr[1] = version == 4 ? FZGW_ICMPV4_CODE_PROHIBITED : FZGW_ICMPV6_CODE_PROHIBITED;
		return 0;
	case FZGW_ICMP_NET_UNREACH:
		hdr[0] = version == 4 ? FZGW_ICMPV4_DEST_UNREACH : FZGW_ICMPV6_DEST_UNREACH;
		hdr[1] = version == 4 ? FZGW_ICMPV4_CODE_NET_UNREACH
				      : FZGW_ICMPV6_CODE_ADDR_UNREACH;
		return 0;
	case FZGW_ICMP_TOO_BIG:
		if (version == 4) {
			/* RFC 1191 4: next-hop MTU in the low 16 bits. */
			if (mtu < ICMPV4_MTU_MIN || mtu > UINT16_MAX)
				return -EINVAL;
			hdr[0] = FZGW_ICMPV4_DEST_UNREACH;
			hdr[1] = FZGW_ICMPV4_CODE_FRAG_NEEDED;
			fzgw_put_be16(hdr + 6, (uint16_t)mtu);
			return 0;
		}
		/* RFC 8201 4: hosts ignore an MTU below the IPv6 minimum. */
		if (mtu < FZGW_IP_MAX_SIZE)
			return -EINVAL;
		hdr[0] = FZGW_ICMPV6_PACKET_TOO_BIG;
		fzgw_put_be32(hdr + 4, mtu);
		return 0;
	}
	return -EINVAL;
}

int fzgw_icmp_build_error(uint8_t *out, size_t cap, const uint8_t *orig, const struct fzgw_ip *v,
			  int kind, uint32_t mtu, const struct fzgw_addr *src)
{
	struct fzgw_addr from = src ? *src : v->dst, to = v->src;
	size_t hdrs, max, limit, need, quote, total;
	uint8_t icmp[8];
	uint32_t sum;
	uint8_t *l4;
	int rc;

	if (v->kind != FZGW_IP_KIND_NORMAL || is_icmp_error(v) || !addr_is_one_host(&v->src) ||
	    dst_forbids_error(v, kind))
		return -EINVAL;
	if (from.family != v->version)
		return -EAFNOSUPPORT;
	rc = error_header(v->version, kind, mtu, icmp);
	if (rc)
		return rc;

	hdrs = v->version == 4 ? ICMPV4_ERR_HDRS : ICMPV6_ERR_HDRS;
	max = v->version == 4 ? FZGW_ICMPV4_ERROR_MAX : FZGW_ICMPV6_ERROR_MAX;
	/*
	 * The quote must let the client find its socket: the IP header and 8 more bytes
	 * (RFC 792; for IPv4 AH counts as payload), for IPv6 the extension headers too,
	 * as far as RFC 4443 lets them fit.
	 */
	need = (v->version == 4 ? (size_t)(orig[0] & 0x0f) * 4 : v->l3_len) + 8;
	if (need > v->len)
		need = v->len;
	if (need > max - hdrs)
		need = max - hdrs;
	limit = cap < max ? cap : max;
	if (limit < hdrs + need)
		return -ENOSPC;
	quote = v->len;
	if (quote > limit - hdrs)
		quote = limit - hdrs;
	total = hdrs + quote;

	/* Addresses are copied already, so @out may overlap @orig. */
	memmove(out + hdrs, orig, quote);
	if (v->version == 4) {
		uint8_t *ip = out;

		memset(ip, 0, FZGW_IPV4_HDR_LEN);
		ip[0] = 0x45;
		fzgw_put_be16(ip + FZGW_IPV4_OFF_TOTAL_LEN, (uint16_t)total);
		/* DF: at most 576 bytes, never fragmented, so ID 0 is fine (RFC 6864). */
		ip[FZGW_IPV4_OFF_FRAG] = 0x40;
		ip[FZGW_IPV4_OFF_TTL] = ICMP_ERROR_TTL;
		ip[FZGW_IPV4_OFF_PROTO] = FZGW_PROTO_ICMP;
		memcpy(ip + FZGW_IPV4_OFF_SRC, from.bytes, 4);
		memcpy(ip + FZGW_IPV4_OFF_DST, to.bytes, 4);
		fzgw_put_be16(ip + FZGW_IPV4_OFF_CSUM, fzgw_csum_ipv4_header(ip));
		l4 = out + FZGW_IPV4_HDR_LEN;
		memcpy(l4, icmp, sizeof(icmp));
		sum = 0;
	} else {
		uint8_t *ip = out;
		size_t plen = total - FZGW_IPV6_HDR_LEN;

		memset(ip, 0, FZGW_IPV6_HDR_LEN);
		ip[0] = 0x60;
		fzgw_put_be16(ip + FZGW_IPV6_OFF_PAYLOAD_LEN, (uint16_t)plen);
		ip[FZGW_IPV6_OFF_NEXT] = FZGW_PROTO_ICMPV6;
		ip[FZGW_IPV6_OFF_HOPS] = ICMP_ERROR_TTL;
		memcpy(ip + FZGW_IPV6_OFF_SRC, from.bytes, 16);
		memcpy(ip + FZGW_IPV6_OFF_DST, to.bytes, 16);
		l4 = out + FZGW_IPV6_HDR_LEN;
		memcpy(l4, icmp, sizeof(icmp));
		/* RFC 4443 2.3: the checksum covers the RFC 8200 8.1 pseudo header. */
		sum = fzgw_csum_partial(ip + FZGW_IPV6_OFF_SRC, 32, 0);
		sum = fzgw_csum_fold(sum + (uint32_t)plen + FZGW_PROTO_ICMPV6);
	}
	sum = fzgw_csum_partial(l4, total - (size_t)(l4 - out), sum);
	fzgw_put_be16(l4 + FZGW_ICMP_OFF_CSUM, (uint16_t)~sum);
	return (int)total;
}
