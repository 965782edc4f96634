/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes the IP parser: any bytes, at the tunnel MTU and at an MTU taken from the first
 * byte. Every view field is checked against the packet bytes, and the ICMP error builder
 * runs on every accepted packet and its output must parse back as the expected error.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <fzgw/module.h>

#include "checksum.h"
#include "icmp_build.h"
#include "ip_parse.h"
#include "fuzz.h"

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void check_addr(const struct fzgw_addr *a, int family)
{
	CHECK(a->family == family);
	if (family == 4)
		for (int i = 4; i < 16; i++)
			CHECK(a->bytes[i] == 0);
}

static void check_inner(const struct fzgw_ip *v, const uint8_t *buf)
{
	const struct fzgw_ip_inner *in = &v->inner;

	CHECK(in->off == v->l3_len + 8);
	CHECK((size_t)in->off + in->len == v->len);
	CHECK(in->l3_len <= in->len);
	if (in->src.family) {
		check_addr(&in->src, v->version);
		check_addr(&in->dst, v->version);
		CHECK(in->len >= (v->version == 4 ? 20 : 40));
	} else {
		CHECK(in->l3_len == 0);
	}
	if (in->l3_len)
		CHECK(in->src.family);
	if (in->has_ports) {
		const uint8_t *l4 = buf + in->off + in->l3_len;

		CHECK(in->l3_len != 0);
		CHECK((size_t)in->l3_len + 4 <= in->len);
		if (in->proto == 6 || in->proto == 17) {
			CHECK(in->src_port == be16(l4));
			CHECK(in->dst_port == be16(l4 + 2));
		} else {
			CHECK((size_t)in->l3_len + 8 <= in->len);
			CHECK(in->src_port == be16(l4 + 4) && in->dst_port == in->src_port);
		}
	} else {
		CHECK(in->src_port == 0 && in->dst_port == 0);
	}
}

static void check_view(const struct fzgw_ip *v, const uint8_t *buf, size_t len)
{
	const uint8_t *l4 = buf + v->l3_len;
	uint16_t c;

	CHECK(v->len == len);
	CHECK(v->version == buf[0] >> 4);
	CHECK(v->l3_len <= len && (size_t)v->l3_len + v->l4_hdr_len <= len);
	check_addr(&v->src, v->version);
	check_addr(&v->dst, v->version);
	if (v->version == 4) {
		CHECK(be16(buf + 2) == len && v->l3_len >= (buf[0] & 15) * 4 && v->ttl == buf[8]);
		CHECK(memcmp(v->src.bytes, buf + 12, 4) == 0 &&
		      memcmp(v->dst.bytes, buf + 16, 4) == 0);
		CHECK((be16(buf + 6) & 0x3fff) == 0);
	} else {
		CHECK(be16(buf + 4) + 40u == len && v->l3_len >= 40 && v->ttl == buf[7]);
		CHECK(memcmp(v->src.bytes, buf + 8, 16) == 0 &&
		      memcmp(v->dst.bytes, buf + 24, 16) == 0);
	}
	if (v->kind == FZGW_IP_KIND_CONTROL) {
		CHECK(v->version == 6 && v->proto == 0xff && v->ttl == 0 && v->l3_len == 40);
		CHECK(v->flags == 0);
		return;
	}
	CHECK(v->kind == FZGW_IP_KIND_NORMAL);
	if (v->flags & FZGW_IP_F_HAS_PORTS) {
		CHECK(v->proto == 6 || v->proto == 17);
		CHECK(v->src_port == be16(l4) && v->dst_port == be16(l4 + 2));
		if (v->proto == 6) {
			CHECK(v->l4_hdr_len == (l4[12] >> 4) * 4 && v->l4_hdr_len >= 20);
			CHECK(v->tcp_flags == l4[13]);
		} else {
			CHECK(v->l4_hdr_len == 8 && be16(l4 + 4) == len - v->l3_len);
			CHECK(!!(v->flags & FZGW_IP_F_UDP_CSUM0) == (be16(l4 + 6) == 0));
		}
	} else {
		CHECK(v->proto != 6 && v->proto != 17);
	}
	if (v->proto != 6)
		CHECK(v->tcp_flags == 0);
	if (v->proto != 6 && v->proto != 17 && v->proto != 1 && v->proto != 58)
		CHECK(v->l4_hdr_len == 0 && v->src_port == 0 && v->dst_port == 0 && v->flags == 0);
	if (v->proto == 1 || v->proto == 58) {
		CHECK(v->proto == (v->version == 4 ? 1 : 58));
		CHECK(v->l4_hdr_len == 8 && v->icmp_type == l4[0] && v->icmp_code == l4[1]);
		CHECK(!((v->flags & FZGW_IP_F_ICMP_ECHO) && (v->flags & FZGW_IP_F_ICMP_ERROR)));
		if (v->flags & FZGW_IP_F_ICMP_ECHO)
			CHECK(v->src_port == be16(l4 + 4) && v->dst_port == v->src_port);
	} else {
		CHECK(!(v->flags & (FZGW_IP_F_ICMP_ECHO | FZGW_IP_F_ICMP_ERROR)));
		CHECK(v->icmp_type == 0 && v->icmp_code == 0);
	}
	if (v->flags & FZGW_IP_F_ICMP_ERROR)
		check_inner(v, buf);
	else
		CHECK(v->inner.off == 0 && v->inner.len == 0 && v->inner.src.family == 0);
	(void)fzgw_csum_verify_all(buf, v);
	if (fzgw_csum_l4(buf, v, &c) == 0)
		CHECK(v->proto == 6 || v->proto == 17 || v->proto == 1 || v->proto == 58);
}

static const uint8_t want_type[2][4] = { { 0, 3, 3, 3 }, { 0, 1, 1, 2 } };
static const uint8_t want_code[2][4] = { { 0, 13, 0, 4 }, { 0, 1, 3, 0 } };

static void check_icmp(const struct fzgw_ip *v, const uint8_t *buf, int kind, size_t cap,
		       const struct fzgw_addr *src, uint32_t mtu)
{
	uint8_t *out = malloc(cap ? cap : 1), *inplace;
	const struct fzgw_addr *from = src ? src : &v->dst;
	struct fzgw_ip e;
	int n, n2;

	CHECK(out);
	n = fzgw_icmp_build_error(out, cap, buf, v, kind, mtu, src);
	if (n < 0) {
		CHECK(n == -EINVAL || n == -ENOSPC || n == -EAFNOSUPPORT);
		if (v->kind != FZGW_IP_KIND_NORMAL || (v->flags & FZGW_IP_F_ICMP_ERROR))
			CHECK(n == -EINVAL);
		free(out);
		return;
	}
	CHECK(v->kind == FZGW_IP_KIND_NORMAL && !(v->flags & FZGW_IP_F_ICMP_ERROR));
	CHECK((size_t)n <= cap && n <= (v->version == 4 ? 576 : 1280));
	CHECK(fzgw_ip_parse(&e, out, (size_t)n, FZGW_IP_MAX_SIZE) == 0);
	CHECK(e.kind == FZGW_IP_KIND_NORMAL && (e.flags & FZGW_IP_F_ICMP_ERROR));
	CHECK(e.version == v->version && e.ttl == 64);
	CHECK(e.icmp_type == want_type[v->version == 6][kind]);
	CHECK(e.icmp_code == want_code[v->version == 6][kind]);
	CHECK(fzgw_csum_verify_all(out, &e));
	CHECK(memcmp(&e.dst, &v->src, sizeof(e.dst)) == 0);
	CHECK(memcmp(e.src.bytes, from->bytes, v->version == 4 ? 4 : 16) == 0);
	/* The quote starts with the original packet and holds at least its IP header. */
	CHECK(memcmp(out + e.inner.off, buf, e.inner.len) == 0);
	CHECK(e.inner.len == v->len || n == (int)cap || n == (v->version == 4 ? 576 : 1280));
	CHECK(memcmp(&e.inner.src, &v->src, sizeof(e.inner.src)) == 0);
	CHECK(memcmp(&e.inner.dst, &v->dst, sizeof(e.inner.dst)) == 0);
	if (e.inner.has_ports && (v->flags & (FZGW_IP_F_HAS_PORTS | FZGW_IP_F_ICMP_ECHO)))
		CHECK(e.inner.src_port == v->src_port && e.inner.dst_port == v->dst_port);

	/* Built over the original packet, the reply is the same. */
	inplace = malloc(cap > v->len ? cap : v->len);
	CHECK(inplace);
	memcpy(inplace, buf, v->len);
	n2 = fzgw_icmp_build_error(inplace, cap, inplace, v, kind, mtu, src);
	CHECK(n2 == n && memcmp(inplace, out, (size_t)n) == 0);
	free(inplace);
	free(out);
}

static void run(const uint8_t *buf, size_t len, size_t mtu, uint8_t knob)
{
	struct fzgw_ip v;
	struct fzgw_addr src;
	int rc;

	rc = fzgw_ip_parse(&v, buf, len, mtu);
	CHECK(rc >= 0 && rc < FZGW_IP_REASON_COUNT && rc == v.reason);
	CHECK(fzgw_ip_reason_name((unsigned int)rc) != NULL);
	if (rc) {
		CHECK(v.kind == FZGW_IP_KIND_INVALID);
		if (len <= mtu && len <= UINT16_MAX)
			CHECK(v.len == len);
		CHECK(fzgw_icmp_build_error(NULL, 0, buf, &v, FZGW_ICMP_PROHIBITED, 0, NULL) ==
		      -EINVAL);
		return;
	}
	CHECK(len <= mtu);
	check_view(&v, buf, len);

	/* Builder: every kind, from the original destination or a fixed address. */
	memset(&src, 0, sizeof(src));
	src.family = (knob & 1) ? v.version : (uint8_t)(10 - v.version);
	src.bytes[0] = 10;
	src.bytes[3] = 1;
	for (int kind = 1; kind <= 3; kind++) {
		uint32_t mtu_out = (knob & 2) ? 1280 : (uint32_t)knob * 9;

		check_icmp(&v, buf, kind, 1280, NULL, mtu_out);
		check_icmp(&v, buf, kind, 28 + (size_t)knob * 5, (knob & 4) ? &src : NULL, 1280);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, FZGW_IP_MAX_SIZE, size ? data[0] : 0);
	if (size >= 1)
		run(data + 1, size - 1, data[0] ? 20 + (size_t)data[0] * 6 : 65535,
		    size > 1 ? data[size - 1] : 0);
	return 0;
}
