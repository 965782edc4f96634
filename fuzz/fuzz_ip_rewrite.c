/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes the rewrite setters against full recomputation. Input: a 16-bit little-endian
 * packet length, the packet, then operations (one byte each, followed by their operand).
 * A packet that parses gets correct checksums, then every operation must keep each
 * checksum equal to a full recomputation and the view equal to a re-parse.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "ip_parse.h"
#include "ip_rewrite.h"
#include "fuzz.h"

enum { OP_SRC, OP_DST, OP_SRC_PORT, OP_DST_PORT, OP_ICMP_ID, OP_COUNT };

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Offset of the checksum a setter must keep right, or 0 when the protocol has none. */
static size_t l4_csum_at(const struct fzgw_ip *v)
{
	switch (v->proto) {
	case 6:
		return (size_t)v->l3_len + 16;
	case 17:
		return (size_t)v->l3_len + 6;
	case 1:
	case 58:
		return (size_t)v->l3_len + 2;
	}
	return 0;
}

/* Whether the change would turn the packet into the in-tunnel control packet. */
static int makes_control(const struct fzgw_ip *v, const struct fzgw_addr *a, int is_dst)
{
	static const uint8_t zero[16];

	return v->version == 6 && v->proto == 0xff && v->ttl == 0 &&
	       memcmp(a->bytes, zero, 16) == 0 &&
	       memcmp(is_dst ? v->src.bytes : v->dst.bytes, zero, 16) == 0;
}

static void check_checksums(const uint8_t *buf, const struct fzgw_ip *v)
{
	size_t at = l4_csum_at(v);
	uint16_t c;

	if (v->version == 4)
		CHECK(be16(buf + 10) == fzgw_csum_ipv4_header(buf));
	if (!at)
		return;
	if (v->flags & FZGW_IP_F_UDP_CSUM0) {
		CHECK(be16(buf + at) == 0);
		return;
	}
	CHECK(fzgw_csum_l4(buf, v, &c) == 0);
	CHECK(be16(buf + at) == c);
	CHECK(fzgw_csum_verify_all(buf, v));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fzgw_ip v, again, saved_v;
	const uint8_t *op, *end = data + size;
	uint8_t *buf, *saved;
	size_t len;

	if (size < 2)
		return 0;
	len = (size_t)(data[0] | data[1] << 8);
	if (len > size - 2)
		len = size - 2;
	/* Exactly sized copies, so a setter writing past the packet trips ASan. */
	buf = malloc(len ? len : 1);
	saved = malloc(len ? len : 1);
	CHECK(buf && saved);
	memcpy(buf, data + 2, len);
	if (fzgw_ip_parse(&v, buf, len, FZGW_IP_MAX_SIZE) != 0)
		goto out;
	if (v.kind == FZGW_IP_KIND_NORMAL) {
		CHECK(fzgw_csum_fix_all(buf, &v) == 0);
		check_checksums(buf, &v);
		CHECK(fzgw_ip_parse(&again, buf, len, FZGW_IP_MAX_SIZE) == 0);
		CHECK(memcmp(&again, &v, sizeof(v)) == 0);
	} else {
		CHECK(fzgw_csum_fix_all(buf, &v) == -EINVAL);
	}

	for (op = data + 2 + len; op < end;) {
		int kind = *op++ % OP_COUNT, rc, want;
		struct fzgw_addr a;
		uint16_t n = 0;

		memcpy(saved, buf, len);
		saved_v = v;
		if (kind == OP_SRC || kind == OP_DST) {
			size_t alen;

			if (op >= end)
				break;
			memset(&a, 0, sizeof(a));
			a.family = (*op++ & 1) ? 6 : 4;
			alen = a.family == 4 ? 4 : 16;
			if ((size_t)(end - op) < alen)
				break;
			memcpy(a.bytes, op, alen);
			op += alen;
			rc = kind == OP_SRC ? fzgw_ip_set_src(buf, &v, &a)
					    : fzgw_ip_set_dst(buf, &v, &a);
			want = v.kind != FZGW_IP_KIND_NORMAL ? -EINVAL
			       : a.family != v.version       ? -EAFNOSUPPORT
			       : makes_control(&v, &a, kind == OP_DST) ? -EINVAL
							     : 0;
		} else {
			if (end - op < 2)
				break;
			n = be16(op);
			op += 2;
			if (kind == OP_SRC_PORT)
				rc = fzgw_ip_set_src_port(buf, &v, n);
			else if (kind == OP_DST_PORT)
				rc = fzgw_ip_set_dst_port(buf, &v, n);
			else
				rc = fzgw_ip_set_icmp_id(buf, &v, n);
			want = v.kind == FZGW_IP_KIND_NORMAL &&
					       (v.flags & (kind == OP_ICMP_ID ? FZGW_IP_F_ICMP_ECHO
									   : FZGW_IP_F_HAS_PORTS))
				       ? 0
				       : -EINVAL;
		}
		CHECK(rc == want);
		if (rc) {
			/* A refused change leaves both packet and view alone. */
			CHECK(memcmp(buf, saved, len) == 0);
			CHECK(memcmp(&v, &saved_v, sizeof(v)) == 0);
			continue;
		}
		if (kind == OP_SRC)
			CHECK(memcmp(&v.src, &a, sizeof(a)) == 0);
		else if (kind == OP_DST)
			CHECK(memcmp(&v.dst, &a, sizeof(a)) == 0);
		else if (kind == OP_SRC_PORT)
			CHECK(v.src_port == n);
		else if (kind == OP_DST_PORT)
			CHECK(v.dst_port == n);
		else
			CHECK(v.src_port == n && v.dst_port == n);
		check_checksums(buf, &v);
		/* The rewritten packet parses to the same verdict and the same view. */
		CHECK(fzgw_ip_parse(&again, buf, len, FZGW_IP_MAX_SIZE) == 0);
		CHECK(memcmp(&again, &v, sizeof(v)) == 0);
	}
out:
	free(saved);
	free(buf);
	return 0;
}
