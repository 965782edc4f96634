/* SPDX-License-Identifier: Apache-2.0 */
/* Splitting the TUN's GSO records into MTU-sized packets, and completing partial checksums. */
#include <errno.h>
#include <string.h>

#include "checksum.h"
#include "offload.h"
#include "offload_wire.h"

/* CHECKSUM_PARTIAL: the field holds the pseudo-header sum; add the rest and invert. */
static int complete_csum(uint8_t *p, size_t len, const struct fzgw_vnet_hdr *h)
{
	size_t at = (size_t)h->csum_start + h->csum_offset;
	uint16_t c;

	if (h->csum_start >= len || at + 2 > len)
		return -EINVAL;
	c = (uint16_t)~fzgw_csum_partial(p + h->csum_start, len - h->csum_start, 0);
	/* as the kernel's skb_checksum_help(): 0 would mean "no checksum" to UDP */
	off_put16(p + at, c ? c : 0xffff);
	return 0;
}

/* The GSO type's protocol and IP version (0: either), or -EPROTONOSUPPORT. */
static int gso_kind(uint8_t type, uint8_t *proto, uint8_t *version)
{
	switch (type) {
	case FZGW_VNET_GSO_TCPV4:
		*proto = OFF_PROTO_TCP;
		*version = 4;
		return 0;
	case FZGW_VNET_GSO_TCPV6:
		*proto = OFF_PROTO_TCP;
		*version = 6;
		return 0;
	case FZGW_VNET_GSO_UDP_L4:
		*proto = OFF_PROTO_UDP;
		*version = 0;
		return 0;
	}
	/* ECN (never asked for: no TUN_F_TSO_ECN), UFO, anything newer */
	return -EPROTONOSUPPORT;
}

/* The IP header of a GSO record: its length, checked against the record and the vnet header. */
static int ip_header(const uint8_t *p, size_t len, uint8_t version, uint8_t proto, size_t *l3)
{
	if (version == 4) {
		if (len < OFF_IPV4_HDR)
			return -EINVAL;
		*l3 = (size_t)(p[0] & 0x0f) * 4;
		if (*l3 < OFF_IPV4_HDR || *l3 > len || off_get16(p + OFF_V4_LEN) != len ||
		    (off_get16(p + OFF_V4_FRAG) & 0x3fff) || p[OFF_V4_PROTO] != proto)
			return -EINVAL;
		return 0;
	}
	/* the kernel's TSO and USO also stop at IPv6 extension headers they do not know */
	if (len < OFF_IPV6_HDR || (size_t)off_get16(p + OFF_V6_LEN) + OFF_IPV6_HDR != len ||
	    p[OFF_V6_NEXT] != proto)
		return -EINVAL;
	*l3 = OFF_IPV6_HDR;
	return 0;
}

int fzgw_gso_start(struct fzgw_gso *s, uint8_t *rec, size_t len)
{
	struct fzgw_vnet_hdr h;
	uint8_t *p = rec + FZGW_VNET_HDR_LEN;
	uint8_t proto, version;
	size_t l3, l4;
	int rc;

	memset(s, 0, sizeof(*s));
	if (len <= FZGW_VNET_HDR_LEN || len - FZGW_VNET_HDR_LEN > FZGW_GSO_MAX_LEN)
		return -EINVAL;
	memcpy(&h, rec, sizeof(h));
	len -= FZGW_VNET_HDR_LEN;
	s->pkt = p;
	s->len = (uint32_t)len;
	if (h.gso_type == FZGW_VNET_GSO_NONE) {
		if ((h.flags & FZGW_VNET_F_NEEDS_CSUM) && (rc = complete_csum(p, len, &h)) < 0)
			return rc;
		return 1;
	}
	if ((rc = gso_kind(h.gso_type, &proto, &version)) < 0)
		return rc;
	if (!version)
		version = p[0] >> 4;
	if ((p[0] >> 4) != version || (version != 4 && version != 6) || !h.gso_size)
		return -EINVAL;
	if ((rc = ip_header(p, len, version, proto, &l3)) < 0)
		return rc;
	if (h.csum_start != l3)
		return -EINVAL;
	/* hdr_len from the kernel may span the whole first packet on the forwarding path */
	if (proto == OFF_PROTO_TCP) {
		if (len < l3 + OFF_TCP_HDR)
			return -EINVAL;
		l4 = (size_t)(p[l3 + OFF_TCP_DOFF] >> 4) * 4;
		if (l4 < OFF_TCP_HDR)
			return -EINVAL;
		s->seq = off_get32(p + l3 + OFF_TCP_SEQ);
	} else {
		l4 = OFF_UDP_HDR;
	}
	if (l3 + l4 >= len)
		return -EINVAL;
	s->hdr_len = (uint16_t)(l3 + l4);
	s->gso_size = h.gso_size;
	s->l3_len = (uint8_t)l3;
	s->version = version;
	s->proto = proto;
	s->off = s->hdr_len;
	if (version == 4) {
		s->id = off_get16(p + OFF_V4_ID);
		s->addr_sum = fzgw_csum_partial(p + OFF_V4_SRC, 8, 0) + proto;
	} else {
		s->addr_sum = fzgw_csum_partial(p + OFF_V6_SRC, 32, 0) + proto;
	}
	return (int)((len - s->hdr_len + h.gso_size - 1) / h.gso_size);
}

int fzgw_gso_next(struct fzgw_gso *s, uint8_t *out, size_t cap)
{
	uint32_t seg, total, l4_len, sum;
	uint16_t i = s->index, c;
	uint8_t *l4;
	bool last;

	if (!s->gso_size) {
		if (s->index || !s->len)
			return 0;
		s->index = 1;
		if (s->len > cap)
			return -ENOBUFS;
		memcpy(out, s->pkt, s->len);
		return (int)s->len;
	}
	if (s->off >= s->len)
		return 0;
	seg = s->len - s->off < s->gso_size ? s->len - s->off : s->gso_size;
	total = s->hdr_len + seg;
	last = s->off + seg == s->len;
	s->index++;
	s->off += seg;
	if (total > cap)
		return -ENOBUFS;
	memcpy(out, s->pkt, s->hdr_len);
	memcpy(out + s->hdr_len, s->pkt + s->off - seg, seg);
	l4 = out + s->l3_len;
	l4_len = total - s->l3_len;
	if (s->version == 4) {
		off_put16(out + OFF_V4_LEN, (uint16_t)total);
		off_put16(out + OFF_V4_ID, (uint16_t)(s->id + i));
		off_put16(out + OFF_V4_CSUM, fzgw_csum_ipv4_header(out));
	} else {
		off_put16(out + OFF_V6_LEN, (uint16_t)l4_len);
	}
	if (s->proto == OFF_PROTO_TCP) {
		off_put32(l4 + OFF_TCP_SEQ, s->seq + (s->off - seg - s->hdr_len));
		if (!last)
			l4[OFF_TCP_FLAGS] &= (uint8_t)~(OFF_TCP_FIN | OFF_TCP_PSH);
		if (i)
			l4[OFF_TCP_FLAGS] &= (uint8_t)~OFF_TCP_CWR;
		off_put16(l4 + OFF_TCP_CSUM, 0);
	} else {
		off_put16(l4 + OFF_UDP_LEN, (uint16_t)l4_len);
		off_put16(l4 + OFF_UDP_CSUM, 0);
	}
	sum = fzgw_csum_fold(s->addr_sum + l4_len);
	c = (uint16_t)~fzgw_csum_partial(l4, l4_len, sum);
	if (s->proto == OFF_PROTO_UDP && !c)
		c = 0xffff;
	off_put16(l4 + (s->proto == OFF_PROTO_TCP ? OFF_TCP_CSUM : OFF_UDP_CSUM), c);
	return (int)total;
}
