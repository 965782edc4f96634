/* SPDX-License-Identifier: Apache-2.0 */
/* Full Internet checksum computation and verification for parsed packets. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "checksum.h"
#include "ip_wire.h"

uint32_t fzgw_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = 0;
	uint32_t w32;
	uint16_t w16 = 0;

	/*
	 * Sum native-order words and swap once at the end: the ones' complement sum is
	 * byte-order independent (RFC 1071 2.B), and 32-bit words fold the same way.
	 */
	while (len >= 16) {
		uint32_t a, b, c, d;

		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		memcpy(&c, p + 8, 4);
		memcpy(&d, p + 12, 4);
		acc += (uint64_t)a + b + c + d;
		p += 16;
		len -= 16;
	}
	while (len >= 4) {
		memcpy(&w32, p, 4);
		acc += w32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		acc += w16;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The pad byte lands in the low-address half in either byte order. */
		w16 = 0;
		memcpy(&w16, p, 1);
		acc += w16;
	}
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return fzgw_csum_fold(sum + ntohs(fzgw_csum_fold((uint32_t)acc)));
}

uint16_t fzgw_csum_ipv4_header(const uint8_t *hdr)
{
	size_t ihl = (size_t)(hdr[0] & 0x0f) * 4;
	uint32_t sum;

	sum = fzgw_csum_partial(hdr, FZGW_IPV4_OFF_CSUM, 0);
	sum = fzgw_csum_partial(hdr + FZGW_IPV4_OFF_CSUM + 2, ihl - FZGW_IPV4_OFF_CSUM - 2, sum);
	return (uint16_t)~sum;
}

static uint32_t pseudo_header(const uint8_t *buf, const struct fzgw_ip *v, size_t l4_len)
{
	uint32_t sum;

	/* RFC 793 3.1 / RFC 768 for IPv4, RFC 8200 8.1 for IPv6. */
	if (v->version == 4) {
		sum = fzgw_csum_partial(buf + FZGW_IPV4_OFF_SRC, 8, 0);
		return sum + v->proto + (uint32_t)l4_len;
	}
	sum = fzgw_csum_partial(buf + FZGW_IPV6_OFF_SRC, 32, 0);
	return sum + v->proto + (uint32_t)(l4_len >> 16) + (uint32_t)(l4_len & 0xffff);
}

/* Offset of the L4 checksum field from the start of the L4 header, or 0 if none. */
static size_t l4_csum_off(const struct fzgw_ip *v)
{
	switch (v->proto) {
	case FZGW_PROTO_TCP:
		return FZGW_TCP_OFF_CSUM;
	case FZGW_PROTO_UDP:
		return FZGW_UDP_OFF_CSUM;
	case FZGW_PROTO_ICMP:
	case FZGW_PROTO_ICMPV6:
		return FZGW_ICMP_OFF_CSUM;
	}
	return 0;
}

int fzgw_csum_l4(const uint8_t *buf, const struct fzgw_ip *v, uint16_t *out)
{
	size_t coff = l4_csum_off(v);
	const uint8_t *l4 = buf + v->l3_len;
	size_t l4_len = (size_t)v->len - v->l3_len;
	uint32_t sum = 0;
	uint16_t c;

	if (v->kind != FZGW_IP_KIND_NORMAL || !coff)
		return -EPROTONOSUPPORT;
	if (v->proto != FZGW_PROTO_ICMP)
		sum = fzgw_csum_fold(pseudo_header(buf, v, l4_len));
	/* Skip the field rather than subtract it: an all-zero ICMPv4 message must give 0xffff. */
	sum = fzgw_csum_partial(l4, coff, sum);
	sum = fzgw_csum_partial(l4 + coff + 2, l4_len - coff - 2, sum);
	c = (uint16_t)~sum;
	if (v->proto == FZGW_PROTO_UDP && c == 0)
		c = 0xffff;
	*out = c;
	return 0;
}

int fzgw_csum_fix_all(uint8_t *buf, const struct fzgw_ip *v)
{
	uint16_t c;

	if (v->kind != FZGW_IP_KIND_NORMAL)
		return -EINVAL;
	if (v->version == 4)
		fzgw_put_be16(buf + FZGW_IPV4_OFF_CSUM, fzgw_csum_ipv4_header(buf));
	if (v->flags & FZGW_IP_F_UDP_CSUM0)
		return 0;
	if (fzgw_csum_l4(buf, v, &c) == 0)
		fzgw_put_be16(buf + v->l3_len + l4_csum_off(v), c);
	return 0;
}

bool fzgw_csum_verify_all(const uint8_t *buf, const struct fzgw_ip *v)
{
	size_t coff = l4_csum_off(v);
	uint32_t sum = 0;
	size_t l4_len;

	if (v->kind != FZGW_IP_KIND_NORMAL)
		return false;
	if (v->version == 4 && fzgw_csum_partial(buf, (size_t)(buf[0] & 0x0f) * 4, 0) != 0xffff)
		return false;
	if (!coff || (v->flags & FZGW_IP_F_UDP_CSUM0))
		return true;
	/* A correct message sums to -0 with its checksum included (RFC 1071 1). */
	l4_len = (size_t)v->len - v->l3_len;
	if (v->proto != FZGW_PROTO_ICMP)
		sum = fzgw_csum_fold(pseudo_header(buf, v, l4_len));
	return fzgw_csum_partial(buf + v->l3_len, l4_len, sum) == 0xffff;
}
