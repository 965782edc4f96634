/* SPDX-License-Identifier: Apache-2.0 */
/* ICMP errors from the site about translated packets, rebuilt for the client. */
#include "icmp.h"

#include <errno.h>
#include <string.h>

enum {
	V4_HDR = 20,
	V6_HDR = 40,
	ICMP_HDR = 8,
	V4_ERROR_MAX = 576,  /* RFC 1812 4.3.2.3 */
	V6_ERROR_MAX = 1280, /* RFC 4443 2.4 (c) */
	PROTO_ICMP = 1,
	PROTO_TCP = 6,
	PROTO_UDP = 17,
	PROTO_ICMPV6 = 58,
};

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		s += (uint32_t)p[i] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1624 eqn. 3 over @len (even) bytes changing from @old to @new. */
static uint32_t diff(uint32_t d, const uint8_t *old, const uint8_t *new_, size_t len)
{
	for (size_t i = 0; i < len; i += 2)
		d += (uint16_t)~get16(old + i) + (uint32_t)get16(new_ + i);
	return d;
}

static void apply(uint8_t *field, uint32_t d)
{
	put16(field, (uint16_t)~fold((uint16_t)~get16(field) + d));
}

/*
 * The quote at @q (@qlen bytes, IP version @ver) gets destination @proxy and source port
 * (or echo id) @port. Only fields wholly inside the quote change, and a checksum only
 * when it is inside too; the sums are adjusted, never recomputed, since the quote may be cut.
 */
static void fix_quote(uint8_t *q, size_t qlen, int ver, const struct fzgw_ip_inner *in,
		      const struct fzgw_addr *proxy, uint16_t port)
{
	size_t alen = ver == 4 ? 4 : 16, aoff = ver == 4 ? 16 : 24, l4 = in->l3_len;
	size_t poff, coff;
	uint32_t addr_d = 0, port_d = 0;
	uint8_t pb[2];

	addr_d = diff(0, q + aoff, proxy->bytes, alen);
	if (ver == 4)
		apply(q + 10, addr_d); /* the quoted header's own checksum */
	memcpy(q + aoff, proxy->bytes, alen);
	if (!l4)
		return;
	switch (in->proto) {
	case PROTO_TCP:
		poff = 0;
		coff = 16;
		break;
	case PROTO_UDP:
		poff = 0;
		coff = 6;
		break;
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		poff = 4; /* the echo id */
		coff = 2;
		break;
	default:
		return;
	}
	if (l4 + poff + 2 > qlen)
		return;
	put16(pb, port);
	port_d = diff(0, q + l4 + poff, pb, 2);
	memcpy(q + l4 + poff, pb, 2);
	if (l4 + coff + 2 > qlen)
		return;
	if (in->proto == PROTO_UDP && !get16(q + l4 + coff))
		return; /* "no checksum" stays so */
	/* ICMPv4 has no pseudo header: only the id counts */
	apply(q + l4 + coff, in->proto == PROTO_ICMP ? port_d : addr_d + port_d);
	if (in->proto == PROTO_UDP && !get16(q + l4 + coff))
		put16(q + l4 + coff, 0xffff);
}

int nat_icmp_translate(uint8_t *out, size_t cap, const uint8_t *pkt, const struct fzgw_ip *v,
		       const struct fzgw_addr *proxy, uint16_t port)
{
	int ver = v->version;
	size_t hdr = ver == 4 ? V4_HDR : V6_HDR, max = ver == 4 ? V4_ERROR_MAX : V6_ERROR_MAX;
	size_t qlen = v->inner.len, len;
	const uint8_t *icmp = pkt + v->l3_len;
	uint8_t *m;
	uint32_t s;

	if (v->kind != FZGW_IP_KIND_NORMAL || !(v->flags & FZGW_IP_F_ICMP_ERROR) ||
	    !v->inner.has_ports || proxy->family != ver || v->inner.dst.family != ver ||
	    v->dst.family != ver)
		return -EINVAL;
	if (hdr + ICMP_HDR + qlen > max)
		qlen = max - hdr - ICMP_HDR;
	len = hdr + ICMP_HDR + qlen;
	if (len > cap)
		return -ENOSPC;
	memset(out, 0, hdr + ICMP_HDR);
	m = out + hdr;
	memcpy(m, icmp, ICMP_HDR); /* type, code, rest of header; the checksum is redone */
	m[2] = m[3] = 0;
	memcpy(m + ICMP_HDR, pkt + v->inner.off, qlen);
	fix_quote(m + ICMP_HDR, qlen, ver, &v->inner, proxy, port);
	if (ver == 4) {
		out[0] = 0x45;
		put16(out + 2, (uint16_t)len);
		out[6] = 0x40; /* DF, ID 0: an atomic datagram (RFC 6864) */
		out[8] = NAT_ICMP_TTL;
		out[9] = PROTO_ICMP;
		memcpy(out + 12, proxy->bytes, 4);
		memcpy(out + 16, v->dst.bytes, 4);
		put16(out + 10, (uint16_t)~fold(sum16(out, V4_HDR, 0)));
		s = sum16(m, len - hdr, 0);
	} else {
		out[0] = 0x60;
		put16(out + 4, (uint16_t)(len - hdr));
		out[6] = PROTO_ICMPV6;
		out[7] = NAT_ICMP_TTL;
		memcpy(out + 8, proxy->bytes, 16);
		memcpy(out + 24, v->dst.bytes, 16);
		/* RFC 4443 2.3: the pseudo header */
		s = sum16(out + 8, 32, (uint32_t)(len - hdr) + PROTO_ICMPV6);
		s = sum16(m, len - hdr, s);
	}
	put16(m + 2, (uint16_t)~fold(s));
	return (int)len;
}
