/* SPDX-License-Identifier: Apache-2.0 */
/* The strict IP packet parser: validates every length a rewrite will later trust. */
#include <stdbool.h>
#include <string.h>

#include "ip_parse.h"
#include "ip_wire.h"

static const char *const reason_names[FZGW_IP_REASON_COUNT] = {
	[FZGW_IP_OK] = "ok",
	[FZGW_IP_ERR_TOO_LONG] = "too-long",
	[FZGW_IP_ERR_TOO_SHORT] = "too-short",
	[FZGW_IP_ERR_VERSION] = "bad-version",
	[FZGW_IP_ERR_V4_IHL] = "bad-ihl",
	[FZGW_IP_ERR_V4_TOTAL_LEN] = "bad-total-length",
	[FZGW_IP_ERR_V6_PAYLOAD_LEN] = "bad-payload-length",
	[FZGW_IP_ERR_FRAGMENT] = "fragment",
	[FZGW_IP_ERR_EXT_HEADER] = "bad-extension-header",
	[FZGW_IP_ERR_L4_TRUNCATED] = "l4-truncated",
	[FZGW_IP_ERR_UDP_LEN] = "bad-udp-length",
	[FZGW_IP_ERR_TCP_OFFSET] = "bad-tcp-offset",
	[FZGW_IP_ERR_ICMP_FAMILY] = "icmp-wrong-family",
};

const char *fzgw_ip_reason_name(unsigned int reason)
{
	if (reason >= FZGW_IP_REASON_COUNT)
		return "?";
	return reason_names[reason];
}

static int reject(struct fzgw_ip *v, enum fzgw_ip_reason reason)
{
	v->kind = FZGW_IP_KIND_INVALID;
	v->reason = (uint8_t)reason;
	return reason;
}

static void set_addr(struct fzgw_addr *a, int version, const uint8_t *p)
{
	/* The caller zeroed the view, so bytes past an IPv4 address are already 0. */
	a->family = (uint8_t)version;
	memcpy(a->bytes, p, version == 4 ? 4 : 16);
}

/* The extension headers we walk; after an IPv4 header only AH (RFC 4302) is one. */
static bool is_ext(int version, uint8_t nh)
{
	if (nh == FZGW_PROTO_AH)
		return true;
	return version == 6 && (nh == FZGW_PROTO_HOPOPTS || nh == FZGW_PROTO_ROUTING ||
				nh == FZGW_PROTO_FRAGMENT || nh == FZGW_PROTO_DSTOPTS);
}

/*
 * Walks extension headers starting at *off with *nh. On return *nh is the upper-layer
 * protocol and *off its offset; *frag collects the offset and M bits of every fragment
 * header (atomic fragments, RFC 6946, leave it 0).
 */
static int walk_ext(int version, const uint8_t *buf, size_t len, size_t *off, uint8_t *nh,
		    uint16_t *frag)
{
	size_t o = *off;
	uint8_t n = *nh;

	for (int i = 0; is_ext(version, n); i++) {
		size_t hl;

		/* Every extension header is at least 8 bytes (RFC 8200 4, RFC 4302 2). */
		if (i == FZGW_IP_MAX_EXT || len - o < 8)
			return FZGW_IP_ERR_EXT_HEADER;
		switch (n) {
		case FZGW_PROTO_HOPOPTS:
			/* RFC 8200 4.1: only immediately after the IPv6 header. */
			if (i != 0 || o != FZGW_IPV6_HDR_LEN)
				return FZGW_IP_ERR_EXT_HEADER;
			hl = ((size_t)buf[o + 1] + 1) * 8;
			break;
		case FZGW_PROTO_FRAGMENT:
			hl = 8;
			*frag |= fzgw_get_be16(buf + o + 2) & 0xfff9;
			break;
		case FZGW_PROTO_AH:
			hl = ((size_t)buf[o + 1] + 2) * 4;
			break;
		default: /* routing, destination options */
			hl = ((size_t)buf[o + 1] + 1) * 8;
			break;
		}
		if (hl > len - o)
			return FZGW_IP_ERR_EXT_HEADER;
		n = buf[o];
		o += hl;
	}
	*off = o;
	*nh = n;
	return 0;
}

/*
 * The packet quoted by an ICMP error: RFC 792 and RFC 4443 only promise the IP header
 * and 8 bytes, and relays cut more, so nothing here rejects; missing parts stay zero.
 */
static void parse_inner(struct fzgw_ip_inner *in, const uint8_t *q, size_t qlen, size_t qoff,
			int version)
{
	size_t off;
	uint16_t frag = 0;
	uint8_t proto;

	in->off = (uint16_t)qoff;
	in->len = (uint16_t)qlen;
	if (version == 4) {
		if (qlen < FZGW_IPV4_HDR_LEN || q[0] >> 4 != 4)
			return;
		set_addr(&in->src, 4, q + FZGW_IPV4_OFF_SRC);
		set_addr(&in->dst, 4, q + FZGW_IPV4_OFF_DST);
		off = (size_t)(q[0] & 0x0f) * 4;
		if (off < FZGW_IPV4_HDR_LEN || off > qlen)
			return;
		proto = q[FZGW_IPV4_OFF_PROTO];
		frag = fzgw_get_be16(q + FZGW_IPV4_OFF_FRAG) & 0x1fff;
		if (walk_ext(4, q, qlen, &off, &proto, &frag) != 0)
			return;
	} else {
		if (qlen < FZGW_IPV6_HDR_LEN || q[0] >> 4 != 6)
			return;
		set_addr(&in->src, 6, q + FZGW_IPV6_OFF_SRC);
		set_addr(&in->dst, 6, q + FZGW_IPV6_OFF_DST);
		off = FZGW_IPV6_HDR_LEN;
		proto = q[FZGW_IPV6_OFF_NEXT];
		if (walk_ext(6, q, qlen, &off, &proto, &frag) != 0)
			return;
		frag &= 0xfff8; /* a first fragment still carries the ports */
	}
	in->l3_len = (uint16_t)off;
	in->proto = proto;
	if (frag)
		return;
	q += off;
	qlen -= off;
	switch (proto) {
	case FZGW_PROTO_TCP:
	case FZGW_PROTO_UDP:
		if (qlen < 4)
			return;
		in->src_port = fzgw_get_be16(q);
		in->dst_port = fzgw_get_be16(q + 2);
		in->has_ports = 1;
		return;
	case FZGW_PROTO_ICMP:
	case FZGW_PROTO_ICMPV6:
		if ((proto == FZGW_PROTO_ICMP) != (version == 4) || qlen < FZGW_ICMP_HDR_LEN ||
		    !fzgw_icmp_is_echo(version, q[0]))
			return;
		in->src_port = fzgw_get_be16(q + FZGW_ICMP_OFF_ID);
		in->dst_port = in->src_port;
		in->has_ports = 1;
		return;
	}
}

static bool icmp_is_error(int version, uint8_t type)
{
	if (version == 4)
		return type == FZGW_ICMPV4_DEST_UNREACH || type == FZGW_ICMPV4_TIME_EXCEEDED;
	return type == FZGW_ICMPV6_DEST_UNREACH || type == FZGW_ICMPV6_PACKET_TOO_BIG ||
	       type == FZGW_ICMPV6_TIME_EXCEEDED;
}

static int parse_l4(struct fzgw_ip *v, const uint8_t *buf, size_t len)
{
	const uint8_t *p = buf + v->l3_len;
	size_t l4 = len - v->l3_len;
	size_t doff;

	switch (v->proto) {
	case FZGW_PROTO_TCP:
		if (l4 < FZGW_TCP_HDR_LEN)
			return reject(v, FZGW_IP_ERR_L4_TRUNCATED);
		doff = (size_t)(p[12] >> 4) * 4;
		if (doff < FZGW_TCP_HDR_LEN || doff > l4)
			return reject(v, FZGW_IP_ERR_TCP_OFFSET);
		v->l4_hdr_len = (uint16_t)doff;
		v->tcp_flags = p[13];
		goto ports;
	case FZGW_PROTO_UDP:
		if (l4 < FZGW_UDP_HDR_LEN)
			return reject(v, FZGW_IP_ERR_L4_TRUNCATED);
		if (fzgw_get_be16(p + FZGW_UDP_OFF_LEN) != l4)
			return reject(v, FZGW_IP_ERR_UDP_LEN);
		/* RFC 768 "no checksum"; RFC 6936 allows it over IPv6 too: keep it as sent. */
		if (fzgw_get_be16(p + FZGW_UDP_OFF_CSUM) == 0)
			v->flags |= FZGW_IP_F_UDP_CSUM0;
		v->l4_hdr_len = FZGW_UDP_HDR_LEN;
		goto ports;
	case FZGW_PROTO_ICMP:
	case FZGW_PROTO_ICMPV6:
		if ((v->proto == FZGW_PROTO_ICMP) != (v->version == 4))
			return reject(v, FZGW_IP_ERR_ICMP_FAMILY);
		if (l4 < FZGW_ICMP_HDR_LEN)
			return reject(v, FZGW_IP_ERR_L4_TRUNCATED);
		v->l4_hdr_len = FZGW_ICMP_HDR_LEN;
		v->icmp_type = p[0];
		v->icmp_code = p[1];
		if (fzgw_icmp_is_echo(v->version, p[0])) {
			v->flags |= FZGW_IP_F_ICMP_ECHO;
			v->src_port = fzgw_get_be16(p + FZGW_ICMP_OFF_ID);
			v->dst_port = v->src_port;
		} else if (icmp_is_error(v->version, p[0])) {
			v->flags |= FZGW_IP_F_ICMP_ERROR;
			parse_inner(&v->inner, p + FZGW_ICMP_HDR_LEN, l4 - FZGW_ICMP_HDR_LEN,
				    (size_t)v->l3_len + FZGW_ICMP_HDR_LEN, v->version);
		}
		break;
	}
	v->kind = FZGW_IP_KIND_NORMAL;
	return 0;

ports:
	v->src_port = fzgw_get_be16(p);
	v->dst_port = fzgw_get_be16(p + 2);
	v->flags |= FZGW_IP_F_HAS_PORTS;
	v->kind = FZGW_IP_KIND_NORMAL;
	return 0;
}

static int parse_v4(struct fzgw_ip *v, const uint8_t *buf, size_t len)
{
	size_t ihl, off;
	uint16_t frag = 0;
	uint8_t proto;
	int rc;

	if (len < FZGW_IPV4_HDR_LEN)
		return reject(v, FZGW_IP_ERR_TOO_SHORT);
	ihl = (size_t)(buf[0] & 0x0f) * 4;
	if (ihl < FZGW_IPV4_HDR_LEN || ihl > len)
		return reject(v, FZGW_IP_ERR_V4_IHL);
	if (fzgw_get_be16(buf + FZGW_IPV4_OFF_TOTAL_LEN) != len)
		return reject(v, FZGW_IP_ERR_V4_TOTAL_LEN);
	/* MF or a fragment offset; DF and the reserved bit do not matter. */
	if (fzgw_get_be16(buf + FZGW_IPV4_OFF_FRAG) & 0x3fff)
		return reject(v, FZGW_IP_ERR_FRAGMENT);
	v->ttl = buf[FZGW_IPV4_OFF_TTL];
	set_addr(&v->src, 4, buf + FZGW_IPV4_OFF_SRC);
	set_addr(&v->dst, 4, buf + FZGW_IPV4_OFF_DST);
	proto = buf[FZGW_IPV4_OFF_PROTO];
	off = ihl;
	if (proto == FZGW_PROTO_AH) {
		rc = walk_ext(4, buf, len, &off, &proto, &frag);
		if (rc)
			return reject(v, rc);
	}
	v->proto = proto;
	v->l3_len = (uint16_t)off;
	return parse_l4(v, buf, len);
}

static int parse_v6(struct fzgw_ip *v, const uint8_t *buf, size_t len)
{
	static const uint8_t zero[32];
	size_t off = FZGW_IPV6_HDR_LEN;
	uint16_t frag = 0;
	uint8_t nh;
	int rc;

	if (len < FZGW_IPV6_HDR_LEN)
		return reject(v, FZGW_IP_ERR_TOO_SHORT);
	if ((size_t)fzgw_get_be16(buf + FZGW_IPV6_OFF_PAYLOAD_LEN) + FZGW_IPV6_HDR_LEN != len)
		return reject(v, FZGW_IP_ERR_V6_PAYLOAD_LEN);
	v->ttl = buf[FZGW_IPV6_OFF_HOPS];
	set_addr(&v->src, 6, buf + FZGW_IPV6_OFF_SRC);
	set_addr(&v->dst, 6, buf + FZGW_IPV6_OFF_DST);
	nh = buf[FZGW_IPV6_OFF_NEXT];
	if (nh == FZGW_PROTO_CONTROL && v->ttl == 0 &&
	    memcmp(buf + FZGW_IPV6_OFF_SRC, zero, sizeof(zero)) == 0) {
		v->kind = FZGW_IP_KIND_CONTROL;
		v->proto = nh;
		v->l3_len = FZGW_IPV6_HDR_LEN;
		return 0;
	}
	if (is_ext(6, nh)) {
		rc = walk_ext(6, buf, len, &off, &nh, &frag);
		if (rc)
			return reject(v, rc);
		if (frag)
			return reject(v, FZGW_IP_ERR_FRAGMENT);
	}
	v->proto = nh;
	v->l3_len = (uint16_t)off;
	return parse_l4(v, buf, len);
}

int fzgw_ip_parse(struct fzgw_ip *v, const uint8_t *buf, size_t len, size_t mtu)
{
	memset(v, 0, sizeof(*v));
	if (len > mtu || len > UINT16_MAX)
		return reject(v, FZGW_IP_ERR_TOO_LONG);
	v->len = (uint16_t)len;
	if (len == 0)
		return reject(v, FZGW_IP_ERR_TOO_SHORT);
	v->version = buf[0] >> 4;
	if (v->version == 4)
		return parse_v4(v, buf, len);
	if (v->version == 6)
		return parse_v6(v, buf, len);
	return reject(v, FZGW_IP_ERR_VERSION);
}
