/* SPDX-License-Identifier: Apache-2.0 */
/* Coalescing a batch's TCP segments (and UDP datagrams) into GSO super-packets for a TUN with
 * vnet headers. */
#include <errno.h>
#include <string.h>

#include "checksum.h"
#include "offload.h"
#include "offload_wire.h"
#include "tun.h"

#define SLOT_MASK (2 * FZGW_GRO_BATCH - 1)

/* What a packet can be to the coalescer. */
enum seg_kind {
	SEG_OTHER,     /* not TCP we can read: written alone, touches no flow */
	SEG_FLOW_ONLY, /* TCP with ports but not coalescable: written alone, ends its flow's run */
	SEG_CANDIDATE, /* may start or extend a run */
};

struct seg {
	uint8_t version;
	uint8_t proto;
	uint8_t l3_len;
	uint8_t l4_len;
	uint8_t flags;
	uint32_t seq;
	uint32_t payload;
};

/* UDP (with g->udp): a datagram with payload and a checksum (IPv4 may send none) may join. */
static enum seg_kind classify_udp(const uint8_t *p, size_t len, size_t l3, struct seg *s)
{
	const uint8_t *uh = p + l3;

	if (len < l3 + OFF_UDP_HDR)
		return SEG_OTHER;
	s->l3_len = (uint8_t)l3;
	s->l4_len = OFF_UDP_HDR;
	s->payload = (uint32_t)(len - l3 - OFF_UDP_HDR);
	if (l3 != (s->version == 4 ? OFF_IPV4_HDR : OFF_IPV6_HDR) ||
	    off_get16(uh + OFF_UDP_LEN) != len - l3 || !off_get16(uh + OFF_UDP_CSUM) || !s->payload)
		return SEG_FLOW_ONLY;
	return SEG_CANDIDATE;
}

static enum seg_kind classify(const uint8_t *p, size_t len, struct seg *s, bool udp)
{
	const uint8_t *th;
	size_t l3, l4;

	memset(s, 0, sizeof(*s));
	if (len < OFF_IPV4_HDR || len > FZGW_GSO_MAX_LEN)
		return SEG_OTHER;
	s->version = p[0] >> 4;
	if (s->version == 4) {
		l3 = (size_t)(p[0] & 0x0f) * 4;
		s->proto = p[OFF_V4_PROTO];
		/* fragments have no ports to speak of; the parser refused them earlier anyway */
		if ((s->proto != OFF_PROTO_TCP && (!udp || s->proto != OFF_PROTO_UDP)) ||
		    l3 < OFF_IPV4_HDR || off_get16(p + OFF_V4_LEN) != len ||
		    (off_get16(p + OFF_V4_FRAG) & 0x3fff))
			return SEG_OTHER;
	} else if (s->version == 6) {
		/* extension headers: not followed, as the kernel's GRO does not either */
		if (len < OFF_IPV6_HDR)
			return SEG_OTHER;
		s->proto = p[OFF_V6_NEXT];
		if ((s->proto != OFF_PROTO_TCP && (!udp || s->proto != OFF_PROTO_UDP)) ||
		    (size_t)off_get16(p + OFF_V6_LEN) + OFF_IPV6_HDR != len)
			return SEG_OTHER;
		l3 = OFF_IPV6_HDR;
	} else {
		return SEG_OTHER;
	}
	if (s->proto == OFF_PROTO_UDP)
		return classify_udp(p, len, l3, s);
	if (len < l3 + OFF_TCP_HDR)
		return SEG_OTHER;
	th = p + l3;
	l4 = (size_t)(th[OFF_TCP_DOFF] >> 4) * 4;
	s->l3_len = (uint8_t)l3;
	if (l4 < OFF_TCP_HDR || l3 + l4 > len)
		return SEG_FLOW_ONLY;
	s->l4_len = (uint8_t)l4;
	s->flags = th[OFF_TCP_FLAGS];
	s->seq = off_get32(th + OFF_TCP_SEQ);
	s->payload = (uint32_t)(len - l3 - l4);
	/* IPv4 options, reserved bits or AccECN, flags other than ACK and PSH, no payload */
	if (l3 != (s->version == 4 ? OFF_IPV4_HDR : OFF_IPV6_HDR) || (th[OFF_TCP_DOFF] & 0x0f) ||
	    (s->flags != OFF_TCP_ACKF && s->flags != (OFF_TCP_ACKF | OFF_TCP_PSH)) || !s->payload)
		return SEG_FLOW_ONLY;
	return SEG_CANDIDATE;
}

static uint32_t addr_len(uint8_t version)
{
	return version == 4 ? 8 : 32;
}

static const uint8_t *addrs(const uint8_t *p)
{
	return p + ((p[0] >> 4) == 4 ? OFF_V4_SRC : OFF_V6_SRC);
}

static uint32_t flow_hash(const uint8_t *p, const struct seg *s)
{
	const uint8_t *a = addrs(p);
	uint32_t n = addr_len(s->version), h = s->version | (uint32_t)s->proto << 8, w;

	for (uint32_t i = 0; i < n; i += 4) {
		memcpy(&w, a + i, 4);
		h = (h ^ w) * 0x9e3779b1u;
	}
	memcpy(&w, p + s->l3_len, 4); /* both ports */
	h = (h ^ w) * 0x9e3779b1u;
	return h ^ h >> 15;
}

static bool same_flow(const uint8_t *head, const struct fzgw_gro_flow *f, const uint8_t *p,
		      const struct seg *s)
{
	return (head[0] >> 4) == s->version && f->proto == s->proto &&
	       !memcmp(addrs(head), addrs(p), addr_len(s->version)) &&
	       !memcmp(head + f->l3_len, p + s->l3_len, 4);
}

/* The slot of @p's flow: holding it, or the free one where it would go. */
static unsigned int lookup(const struct fzgw_gro *g, uint8_t *const *bufs, const uint8_t *p,
			   const struct seg *s)
{
	unsigned int i = flow_hash(p, s) & SLOT_MASK;

	/* at most FZGW_GRO_BATCH flows in twice as many slots: a free one is always found */
	while (g->slot[i]) {
		const struct fzgw_gro_flow *f = &g->flow[g->slot[i] - 1];

		if (same_flow(bufs[g->out[f->out].first], f, p, s))
			break;
		i = (i + 1) & SLOT_MASK;
	}
	return i;
}

static uint32_t pseudo_sum(const uint8_t *p, uint8_t version, uint8_t proto, uint32_t l4_len)
{
	return fzgw_csum_partial(addrs(p), addr_len(version), 0) + proto + l4_len;
}

/* Whether the TCP or UDP checksum of a packet is right: coalescing must not launder a bad
 * one (the kernel computes new ones for the segments it cuts). */
static bool l4_csum_ok(const uint8_t *p, size_t len, uint8_t version, uint8_t proto, uint8_t l3_len)
{
	uint32_t l4 = (uint32_t)(len - l3_len);
	uint32_t sum = fzgw_csum_fold(pseudo_sum(p, version, proto, l4));

	return fzgw_csum_partial(p + l3_len, len - l3_len, sum) == 0xffff;
}

/* The IP (and TCP) header fields that must be equal for segments to share one header. */
static bool headers_match(const uint8_t *h, const uint8_t *p, const struct seg *s)
{
	const uint8_t *hth = h + s->l3_len, *th = p + s->l3_len;

	if (s->version == 4) {
		if (h[OFF_V4_TOS] != p[OFF_V4_TOS] || (h[OFF_V4_FRAG] ^ p[OFF_V4_FRAG]) & 0xe0 ||
		    h[OFF_V4_TTL] != p[OFF_V4_TTL])
			return false;
	} else if (memcmp(h, p, 4) || h[OFF_V6_HOPS] != p[OFF_V6_HOPS]) {
		return false; /* traffic class, flow label, hop limit */
	}
	if (s->proto == OFF_PROTO_UDP)
		return true;
	/* the ACK number, the window and every option (timestamps included) */
	return !memcmp(hth + OFF_TCP_ACK, th + OFF_TCP_ACK, 4) &&
	       !memcmp(hth + OFF_TCP_WIN, th + OFF_TCP_WIN, 2) &&
	       !memcmp(hth + OFF_TCP_HDR, th + OFF_TCP_HDR, s->l4_len - OFF_TCP_HDR);
}

enum append_result {
	APPEND_DONE,
	APPEND_NO,      /* the packet starts a new run */
	APPEND_BAD_PKT, /* its checksum is wrong: it goes alone */
};

static enum append_result append(struct fzgw_gro *g, struct fzgw_gro_flow *f,
				 uint8_t *const *bufs, const size_t *lens, unsigned int i,
				 const struct seg *s)
{
	struct fzgw_gro_out *o = &g->out[f->out];
	const uint8_t *h = bufs[o->first];

	/* UDP: no sequence; the kernel takes up to UDP_MAX_SEGMENTS (64, a whole batch) */
	if (f->closed || s->l4_len != f->l4_len ||
	    (s->proto == OFF_PROTO_TCP && s->seq != f->next_seq) ||
	    s->payload > f->gso_size || o->len + s->payload > FZGW_GSO_MAX_LEN ||
	    !headers_match(h, bufs[i], s))
		return APPEND_NO;
	if (!f->verified) {
		if (!l4_csum_ok(h, lens[o->first], s->version, s->proto, f->l3_len)) {
			f->closed = true;
			return APPEND_NO;
		}
		f->verified = true;
	}
	if (!l4_csum_ok(bufs[i], lens[i], s->version, s->proto, s->l3_len))
		return APPEND_BAD_PKT;
	g->next[f->tail] = (int16_t)i;
	f->tail = (uint16_t)i;
	f->next_seq += s->payload;
	o->len += s->payload;
	o->n_pkts++;
	if (s->flags & OFF_TCP_PSH) {
		f->psh = true;
		f->closed = true;
	}
	if (s->payload < f->gso_size)
		f->closed = true;
	return APPEND_DONE;
}

static void start_flow(struct fzgw_gro *g, unsigned int slot, unsigned int out, const struct seg *s)
{
	struct fzgw_gro_flow *f = &g->flow[g->n_flows];

	memset(f, 0, sizeof(*f));
	f->out = (uint16_t)out;
	f->tail = g->out[out].first;
	f->next_seq = s->seq + s->payload;
	f->gso_size = (uint16_t)s->payload;
	f->l3_len = s->l3_len;
	f->l4_len = s->l4_len;
	f->proto = s->proto;
	f->psh = s->flags & OFF_TCP_PSH;
	f->closed = f->psh;
	g->slot[slot] = (uint8_t)++g->n_flows;
}

/* Turns the first packet of a run into the header of its super-packet. */
static void finish_run(struct fzgw_gro *g, const struct fzgw_gro_flow *f, uint8_t *const *bufs)
{
	struct fzgw_gro_out *o = &g->out[f->out];
	uint8_t *h = bufs[o->first];
	uint8_t version = h[0] >> 4;
	uint32_t l4 = o->len - f->l3_len;

	if (version == 4) {
		off_put16(h + OFF_V4_LEN, (uint16_t)o->len);
		off_put16(h + OFF_V4_CSUM, fzgw_csum_ipv4_header(h));
	} else {
		off_put16(h + OFF_V6_LEN, (uint16_t)l4);
	}
	o->hdr.flags = FZGW_VNET_F_NEEDS_CSUM;
	o->hdr.gso_size = f->gso_size;
	o->hdr.csum_start = f->l3_len;
	o->hdr.hdr_len = (uint16_t)(f->l3_len + f->l4_len);
	if (f->proto == OFF_PROTO_UDP) {
		/* the UDP length of the whole; the kernel gives each segment its own */
		off_put16(h + f->l3_len + OFF_UDP_LEN, (uint16_t)l4);
		off_put16(h + f->l3_len + OFF_UDP_CSUM,
			  fzgw_csum_fold(pseudo_sum(h, version, OFF_PROTO_UDP, l4)));
		o->hdr.gso_type = FZGW_VNET_GSO_UDP_L4;
		o->hdr.csum_offset = OFF_UDP_CSUM;
		return;
	}
	if (f->psh)
		h[f->l3_len + OFF_TCP_FLAGS] |= OFF_TCP_PSH;
	/* CHECKSUM_PARTIAL: the kernel adds header and payload to what the field holds */
	off_put16(h + f->l3_len + OFF_TCP_CSUM,
		  fzgw_csum_fold(pseudo_sum(h, version, OFF_PROTO_TCP, l4)));
	o->hdr.gso_type = version == 4 ? FZGW_VNET_GSO_TCPV4 : FZGW_VNET_GSO_TCPV6;
	o->hdr.csum_offset = OFF_TCP_CSUM;
}

int fzgw_gro_build(struct fzgw_gro *g, uint8_t *const *bufs, const size_t *lens, size_t n)
{
	if (n > FZGW_GRO_BATCH)
		return -EINVAL;
	g->n_out = 0;
	g->n_flows = 0;
	g->merged = 0;
	memset(g->slot, 0, sizeof(g->slot));
	for (unsigned int i = 0; i < n; i++) {
		struct fzgw_gro_out *o;
		struct seg s;
		enum seg_kind kind = classify(bufs[i], lens[i], &s, g->udp);
		unsigned int slot = 0;

		g->next[i] = -1;
		if (kind != SEG_OTHER) {
			slot = lookup(g, bufs, bufs[i], &s);
			if (g->slot[slot]) {
				struct fzgw_gro_flow *f = &g->flow[g->slot[slot] - 1];
				enum append_result r = APPEND_NO;

				if (kind == SEG_CANDIDATE)
					r = append(g, f, bufs, lens, i, &s);
				if (r == APPEND_DONE)
					continue;
				/* whatever comes next of this flow must not overtake this packet */
				f->closed = true;
				if (r == APPEND_BAD_PKT)
					kind = SEG_FLOW_ONLY;
			}
		}
		o = &g->out[g->n_out];
		memset(o, 0, sizeof(*o));
		o->first = (uint16_t)i;
		o->n_pkts = 1;
		o->len = (uint32_t)lens[i];
		if (kind == SEG_CANDIDATE)
			start_flow(g, slot, g->n_out, &s);
		g->n_out++;
	}
	for (unsigned int k = 0; k < g->n_flows; k++)
		if (g->out[g->flow[k].out].n_pkts > 1)
			finish_run(g, &g->flow[k], bufs);
	g->merged = (uint32_t)n - g->n_out;
	return g->n_out;
}

int fzgw_gro_iov(const struct fzgw_gro *g, unsigned int k, uint8_t *const *bufs,
		 const size_t *lens, struct iovec *iov)
{
	const struct fzgw_gro_out *o = &g->out[k];
	int n = 0;

	iov[n].iov_base = (void *)&o->hdr;
	iov[n++].iov_len = FZGW_VNET_HDR_LEN;
	iov[n].iov_base = bufs[o->first];
	iov[n++].iov_len = lens[o->first];
	/* later segments give only their payload: the first one's headers stand for all */
	for (int j = g->next[o->first]; j >= 0; j = g->next[j]) {
		iov[n].iov_base = bufs[j] + o->hdr.hdr_len;
		iov[n++].iov_len = lens[j] - o->hdr.hdr_len;
	}
	return n;
}

int fzgw_gro_write(struct fzgw_gro *g, int fd, uint8_t *const *bufs, const size_t *lens,
		   size_t n, size_t *n_refused)
{
	struct iovec iov[FZGW_GRO_IOV_MAX];
	size_t handled = 0, refused = 0;
	int n_out, err = 0;

	if ((n_out = fzgw_gro_build(g, bufs, lens, n)) < 0)
		return n_out;
	for (int k = 0; k < n_out; k++) {
		err = fzgw_tun_writev(fd, iov, fzgw_gro_iov(g, (unsigned int)k, bufs, lens, iov));
		if (err && !fzgw_tun_write_refused(err))
			break;
		if (err)
			refused += g->out[k].n_pkts;
		handled += g->out[k].n_pkts;
		err = 0;
	}
	if (n_refused)
		*n_refused = refused;
	if (!handled && err)
		return err;
	return (int)handled;
}
