/* SPDX-License-Identifier: Apache-2.0 */
/* Rewrites addresses, ports and ICMP ids in place, updating checksums incrementally. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "checksum.h"
#include "ip_rewrite.h"
#include "ip_wire.h"

/* Applies @diff to the 16-bit checksum at @field. */
static void csum_apply(uint8_t *field, uint32_t diff, int proto)
{
	uint16_t c = fzgw_csum_update(fzgw_get_be16(field), diff);

	/* RFC 768: a computed 0 is sent as all ones, 0 meaning "no checksum". */
	if (proto == FZGW_PROTO_UDP && c == 0)
		c = 0xffff;
	fzgw_put_be16(field, c);
}

/*
 * The L4 checksum that covers the pseudo header, or NULL: ICMPv4 has no pseudo header,
 * a zero UDP checksum stays zero, other protocols are not ours to fix.
 */
static uint8_t *pseudo_csum_field(uint8_t *buf, const struct fzgw_ip *v)
{
	uint8_t *l4 = buf + v->l3_len;

	switch (v->proto) {
	case FZGW_PROTO_TCP:
		return l4 + FZGW_TCP_OFF_CSUM;
	case FZGW_PROTO_UDP:
		return (v->flags & FZGW_IP_F_UDP_CSUM0) ? NULL : l4 + FZGW_UDP_OFF_CSUM;
	case FZGW_PROTO_ICMPV6:
		return l4 + FZGW_ICMP_OFF_CSUM;
	}
	return NULL;
}

static bool is_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static int set_addr(uint8_t *buf, struct fzgw_ip *v, const struct fzgw_addr *a, int is_dst)
{
	struct fzgw_addr *va = is_dst ? &v->dst : &v->src;
	size_t n, off;
	uint32_t diff = 0;
	uint8_t *field;

	if (v->kind != FZGW_IP_KIND_NORMAL || !a)
		return -EINVAL;
	if (a->family != v->version)
		return -EAFNOSUPPORT;
	if (v->version == 4) {
		n = 4;
		off = is_dst ? FZGW_IPV4_OFF_DST : FZGW_IPV4_OFF_SRC;
	} else {
		n = 16;
		off = is_dst ? FZGW_IPV6_OFF_DST : FZGW_IPV6_OFF_SRC;
	}
	/* Never turn a packet into the in-tunnel control packet (:: to ::, 0xff, hop limit 0). */
	if (v->version == 6 && v->proto == FZGW_PROTO_CONTROL && v->ttl == 0 &&
	    is_zero(a->bytes, 16) && is_zero(is_dst ? v->src.bytes : v->dst.bytes, 16))
		return -EINVAL;
	for (size_t i = 0; i < n; i += 2)
		diff = fzgw_csum_diff16(diff, fzgw_get_be16(buf + off + i),
					fzgw_get_be16(a->bytes + i));
	memcpy(buf + off, a->bytes, n);
	if (v->version == 4)
		csum_apply(buf + FZGW_IPV4_OFF_CSUM, diff, 0);
	field = pseudo_csum_field(buf, v);
	if (field)
		csum_apply(field, diff, v->proto);
	memset(va, 0, sizeof(*va));
	va->family = a->family;
	memcpy(va->bytes, a->bytes, n);
	return 0;
}

int fzgw_ip_set_src(uint8_t *buf, struct fzgw_ip *v, const struct fzgw_addr *a)
{
	return set_addr(buf, v, a, 0);
}

int fzgw_ip_set_dst(uint8_t *buf, struct fzgw_ip *v, const struct fzgw_addr *a)
{
	return set_addr(buf, v, a, 1);
}

static int set_port(uint8_t *buf, struct fzgw_ip *v, uint16_t port, int is_dst)
{
	uint8_t *p, *field;

	if (v->kind != FZGW_IP_KIND_NORMAL || !(v->flags & FZGW_IP_F_HAS_PORTS))
		return -EINVAL;
	p = buf + v->l3_len + (is_dst ? 2 : 0);
	field = pseudo_csum_field(buf, v);
	if (field)
		csum_apply(field, fzgw_csum_diff16(0, fzgw_get_be16(p), port), v->proto);
	fzgw_put_be16(p, port);
	if (is_dst)
		v->dst_port = port;
	else
		v->src_port = port;
	return 0;
}

int fzgw_ip_set_src_port(uint8_t *buf, struct fzgw_ip *v, uint16_t port)
{
	return set_port(buf, v, port, 0);
}

int fzgw_ip_set_dst_port(uint8_t *buf, struct fzgw_ip *v, uint16_t port)
{
	return set_port(buf, v, port, 1);
}

int fzgw_ip_set_icmp_id(uint8_t *buf, struct fzgw_ip *v, uint16_t id)
{
	uint8_t *l4 = buf + v->l3_len;
	uint8_t *field = l4 + FZGW_ICMP_OFF_CSUM;
	uint16_t c;

	if (v->kind != FZGW_IP_KIND_NORMAL || !(v->flags & FZGW_IP_F_ICMP_ECHO))
		return -EINVAL;
	csum_apply(field, fzgw_csum_diff16(0, fzgw_get_be16(l4 + FZGW_ICMP_OFF_ID), id), 0);
	fzgw_put_be16(l4 + FZGW_ICMP_OFF_ID, id);
	/*
	 * Without a pseudo header an ICMPv4 message can be all zero, where the update gives
	 * 0x0000 but the checksum is 0xffff. Only an all-zero message computes to 0xffff, so
	 * this changes nothing else (a wrong checksum stays wrong).
	 */
	if (v->version == 4 && fzgw_get_be16(field) == 0 && fzgw_csum_l4(buf, v, &c) == 0 &&
	    c == 0xffff)
		fzgw_put_be16(field, c);
	v->src_port = id;
	v->dst_port = id;
	return 0;
}
