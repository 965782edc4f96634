/* SPDX-License-Identifier: Apache-2.0 */
/* Tests the setters: after every change each checksum equals a full recomputation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "checksum.h"
#include "ip_parse.h"
#include "ip_rewrite.h"
#include "pkt_util.h"

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

static uint16_t field(const uint8_t *buf, size_t at)
{
	return (uint16_t)(buf[at] << 8 | buf[at + 1]);
}

/* Every checksum as a full recomputation would write it, and the view as a re-parse. */
static void assert_fresh(const uint8_t *buf, const struct fzgw_ip *v)
{
	size_t at = l4_csum_at(v);
	struct fzgw_ip again;
	uint16_t c;

	if (v->version == 4)
		assert_int_equal(field(buf, 10), fzgw_csum_ipv4_header(buf));
	if (at && (v->flags & FZGW_IP_F_UDP_CSUM0)) {
		assert_int_equal(field(buf, at), 0);
	} else if (at) {
		assert_int_equal(fzgw_csum_l4(buf, v, &c), 0);
		assert_int_equal(field(buf, at), c);
	}
	assert_true(fzgw_csum_verify_all(buf, v));
	assert_int_equal(fzgw_ip_parse(&again, buf, v->len, 65535), 0);
	assert_memory_equal(&again, v, sizeof(again));
}

static size_t load(uint8_t *buf, size_t cap, const char *hex, struct fzgw_ip *v)
{
	size_t len = pkt_hex(buf, cap, hex);

	assert_int_equal(fzgw_ip_parse(v, buf, len, 1280), 0);
	assert_fresh(buf, v);
	return len;
}

static const struct fzgw_addr v4a = { 4, { 93, 184, 216, 34 } };
static const struct fzgw_addr v4b = { 4, { 172, 16, 254, 1 } };
static const struct fzgw_addr v6a = { 6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x42 } };
static const struct fzgw_addr v6b = { 6, { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, 0x80,
					   [13] = 1, [15] = 7 } };

/* The NAT's two moves: destination and source port out, then back. */
static void nat_roundtrip(const char *hex)
{
	uint8_t buf[256], orig[256];
	struct fzgw_ip v, ov;
	size_t len = load(buf, sizeof(buf), hex, &v);
	const struct fzgw_addr *a = v.version == 4 ? &v4a : &v6a;
	struct fzgw_addr odst = v.dst, osrc = v.src;
	uint16_t oport = v.src_port;

	memcpy(orig, buf, len);
	ov = v;
	assert_int_equal(fzgw_ip_set_dst(buf, &v, a), 0);
	assert_memory_equal(&v.dst, a, sizeof(*a));
	assert_fresh(buf, &v);
	if (v.flags & FZGW_IP_F_HAS_PORTS) {
		assert_int_equal(fzgw_ip_set_src_port(buf, &v, 40000), 0);
		assert_int_equal(v.src_port, 40000);
		assert_fresh(buf, &v);
		assert_int_equal(fzgw_ip_set_dst_port(buf, &v, 8443), 0);
		assert_int_equal(v.dst_port, 8443);
		assert_fresh(buf, &v);
		assert_int_equal(fzgw_ip_set_dst_port(buf, &v, ov.dst_port), 0);
	} else {
		assert_int_equal(fzgw_ip_set_icmp_id(buf, &v, 0xbeef), 0);
		assert_int_equal(v.src_port, 0xbeef);
		assert_int_equal(v.dst_port, 0xbeef);
		assert_fresh(buf, &v);
	}
	assert_int_equal(fzgw_ip_set_src(buf, &v, v.version == 4 ? &v4b : &v6b), 0);
	assert_fresh(buf, &v);
	assert_int_equal(fzgw_ip_set_src(buf, &v, &osrc), 0);
	assert_int_equal(fzgw_ip_set_dst(buf, &v, &odst), 0);
	if (v.flags & FZGW_IP_F_HAS_PORTS)
		assert_int_equal(fzgw_ip_set_src_port(buf, &v, oport), 0);
	else
		assert_int_equal(fzgw_ip_set_icmp_id(buf, &v, oport), 0);
	/* back where we started, byte for byte */
	assert_memory_equal(buf, orig, len);
	assert_memory_equal(&v, &ov, sizeof(v));
}

static void test_captures(void **state)
{
	nat_roundtrip(PKT_V4_TCP_SYN);
	nat_roundtrip(PKT_V4_UDP_DNS);
	nat_roundtrip(PKT_V4_PING);
	nat_roundtrip(PKT_V6_TCP_SYN);
	nat_roundtrip(PKT_V6_UDP_DNS);
	nat_roundtrip(PKT_V6_PING);
}

static void test_icmpv4_address_keeps_icmp_checksum(void **state)
{
	uint8_t buf[256];
	struct fzgw_ip v;

	/* ICMPv4 has no pseudo header: a new address changes only the IP header checksum. */
	load(buf, sizeof(buf), PKT_V4_PING, &v);
	assert_int_equal(fzgw_ip_set_dst(buf, &v, &v4b), 0);
	assert_int_equal(field(buf, 22), 0x0aeb);
	assert_fresh(buf, &v);
}

static void test_icmp_error_outer_only(void **state)
{
	uint8_t buf[256], quote[256];
	struct fzgw_ip v;

	load(buf, sizeof(buf), PKT_V4_PORT_UNREACH, &v);
	memcpy(quote, buf + v.inner.off, v.inner.len);
	assert_int_equal(fzgw_ip_set_src(buf, &v, &v4b), 0);
	assert_int_equal(fzgw_ip_set_dst(buf, &v, &v4a), 0);
	assert_memory_equal(buf + v.inner.off, quote, v.inner.len);
	assert_fresh(buf, &v);

	load(buf, sizeof(buf), PKT_V6_PORT_UNREACH, &v);
	memcpy(quote, buf + v.inner.off, v.inner.len);
	assert_int_equal(fzgw_ip_set_dst(buf, &v, &v6b), 0);
	assert_memory_equal(buf + v.inner.off, quote, v.inner.len);
	assert_fresh(buf, &v);
}

static void test_udp_zero_stays_zero(void **state)
{
	uint8_t l4[11] = { 0x13, 0x88, 0x17, 0x70, 0, 11, 0, 0, 'a', 'b', 'c' }, buf[128];
	struct fzgw_addr a4 = pkt_addr4(100, 64, 0, 2), a6 = v6b;
	struct fzgw_ip v;
	size_t len;

	for (int version = 4; version <= 6; version += 2) {
		const struct fzgw_addr *a = version == 4 ? &a4 : &a6;

		len = pkt_build(buf, version, 17, a, a, l4, sizeof(l4));
		assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
		assert_int_equal(fzgw_csum_fix_all(buf, &v), 0);
		assert_true(v.flags & FZGW_IP_F_UDP_CSUM0);
		assert_int_equal(fzgw_ip_set_dst(buf, &v, version == 4 ? &v4a : &v6a), 0);
		assert_int_equal(fzgw_ip_set_src_port(buf, &v, 1), 0);
		assert_int_equal(fzgw_ip_set_dst_port(buf, &v, 65535), 0);
		assert_int_equal(field(buf, v.l3_len + 6), 0);
		assert_true(v.flags & FZGW_IP_F_UDP_CSUM0);
		assert_fresh(buf, &v);
	}
}

static void test_udp_result_zero_goes_out_as_ffff(void **state)
{
	uint8_t buf[256];
	struct fzgw_ip v;
	uint32_t q;

	/* Pick the port that makes the sum -0; RFC 768 says send ffff, not "no checksum". */
	for (int i = 0; i < 2; i++) {
		load(buf, sizeof(buf), i ? PKT_V6_UDP_DNS : PKT_V4_UDP_DNS, &v);
		q = (uint32_t)field(buf, v.l3_len + 6) + v.src_port;
		q = fzgw_csum_fold(q);
		assert_int_equal(fzgw_ip_set_src_port(buf, &v, (uint16_t)q), 0);
		assert_int_equal(field(buf, v.l3_len + 6), 0xffff);
		assert_false(v.flags & FZGW_IP_F_UDP_CSUM0);
		assert_fresh(buf, &v);
		/* and a further change from ffff still computes right */
		assert_int_equal(fzgw_ip_set_src_port(buf, &v, 1234), 0);
		assert_fresh(buf, &v);
	}
}

static void test_icmp_all_zero_id(void **state)
{
	struct fzgw_addr a = pkt_addr4(10, 0, 0, 1), b = pkt_addr4(10, 0, 0, 2);
	uint8_t l4[8] = { 0, 0, 0, 0, 0, 5, 0, 0 }, buf[64];
	struct fzgw_ip v;
	size_t len;

	/* Setting the id to 0 makes the message all zero: checksum ffff, not 0000. */
	len = pkt_build(buf, 4, 1, &a, &b, l4, sizeof(l4));
	assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
	assert_int_equal(fzgw_csum_fix_all(buf, &v), 0);
	assert_int_equal(fzgw_ip_set_icmp_id(buf, &v, 0), 0);
	assert_int_equal(field(buf, 22), 0xffff);
	assert_fresh(buf, &v);
	assert_int_equal(fzgw_ip_set_icmp_id(buf, &v, 5), 0);
	assert_fresh(buf, &v);
}

static void test_odd_lengths_and_options(void **state)
{
	struct fzgw_addr a = pkt_addr4(100, 70, 1, 9), b = pkt_addr4(8, 8, 4, 4);
	uint8_t l4[64], buf[256];
	struct fzgw_ip v;
	size_t len;

	/* TCP with 1..7 payload bytes: the last byte is the padded high half. */
	for (size_t n = 1; n < 8; n++) {
		memset(l4, 0xa5, sizeof(l4));
		memset(l4, 0, 20);
		l4[12] = 0x50;
		len = pkt_build(buf, n & 1 ? 4 : 6, 6, n & 1 ? &a : &v6a, n & 1 ? &b : &v6b, l4,
				20 + n);
		assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
		assert_int_equal(fzgw_csum_fix_all(buf, &v), 0);
		assert_int_equal(fzgw_ip_set_dst(buf, &v, n & 1 ? &v4a : &v6a), 0);
		assert_int_equal(fzgw_ip_set_src_port(buf, &v, (uint16_t)(n * 7919)), 0);
		assert_fresh(buf, &v);
	}

	/* IPv4 options: the header checksum covers all 24 bytes */
	memset(l4, 0, 8);
	l4[5] = 8;
	len = pkt_build(buf + 4, 4, 17, &a, &b, l4, 8);
	memmove(buf, buf + 4, 20);
	buf[0] = 0x46;
	buf[3] = (uint8_t)(len + 4);
	memcpy(buf + 20, "\x94\x04\x00\x00", 4);
	len += 4;
	assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
	assert_int_equal(v.l3_len, 24);
	buf[30] = 0x55; /* a nonzero UDP checksum, fixed next */
	assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
	assert_int_equal(fzgw_csum_fix_all(buf, &v), 0);
	assert_int_equal(fzgw_ip_set_src(buf, &v, &v4b), 0);
	assert_fresh(buf, &v);
}

static void test_wrong_stays_wrong(void **state)
{
	uint8_t buf[256];
	struct fzgw_ip v;
	uint16_t c;

	/* A broken checksum is the sender's problem; the rewrite must not launder it. */
	load(buf, sizeof(buf), PKT_V4_TCP_SYN, &v);
	buf[v.l3_len + 17] ^= 0x01;
	buf[11] ^= 0x10;
	assert_int_equal(fzgw_ip_set_dst(buf, &v, &v4b), 0);
	assert_int_equal(fzgw_ip_set_dst_port(buf, &v, 1), 0);
	assert_false(fzgw_csum_verify_all(buf, &v));
	assert_int_not_equal(field(buf, 10), fzgw_csum_ipv4_header(buf));
	assert_int_equal(fzgw_csum_l4(buf, &v, &c), 0);
	assert_int_not_equal(field(buf, v.l3_len + 16), c);
	assert_int_equal(fzgw_csum_fix_all(buf, &v), 0);
	assert_fresh(buf, &v);
}

static void test_refusals(void **state)
{
	uint8_t buf[256], copy[256];
	struct fzgw_ip v, vcopy;
	size_t len;

	len = load(buf, sizeof(buf), PKT_V4_TCP_SYN, &v);
	memcpy(copy, buf, len);
	vcopy = v;
	assert_int_equal(fzgw_ip_set_src(buf, &v, &v6a), -EAFNOSUPPORT);
	assert_int_equal(fzgw_ip_set_dst(buf, &v, &v6a), -EAFNOSUPPORT);
	assert_int_equal(fzgw_ip_set_dst(buf, &v, NULL), -EINVAL);
	assert_int_equal(fzgw_ip_set_icmp_id(buf, &v, 1), -EINVAL);
	assert_memory_equal(buf, copy, len);
	assert_memory_equal(&v, &vcopy, sizeof(v));

	len = load(buf, sizeof(buf), PKT_V6_PING, &v);
	assert_int_equal(fzgw_ip_set_src(buf, &v, &v4a), -EAFNOSUPPORT);
	assert_int_equal(fzgw_ip_set_src_port(buf, &v, 1), -EINVAL);
	assert_int_equal(fzgw_ip_set_dst_port(buf, &v, 1), -EINVAL);

	/* an ICMP error has no echo id to change */
	load(buf, sizeof(buf), PKT_V4_PORT_UNREACH, &v);
	assert_int_equal(fzgw_ip_set_icmp_id(buf, &v, 1), -EINVAL);
	assert_int_equal(fzgw_ip_set_src_port(buf, &v, 1), -EINVAL);

	/* a rejected packet */
	len = pkt_hex(buf, sizeof(buf), PKT_V4_TCP_SYN);
	assert_int_not_equal(fzgw_ip_parse(&v, buf, len - 1, 1280), 0);
	assert_int_equal(fzgw_ip_set_dst(buf, &v, &v4a), -EINVAL);
	assert_int_equal(fzgw_ip_set_src_port(buf, &v, 1), -EINVAL);
}

static void test_control_never_made_or_changed(void **state)
{
	static const struct fzgw_addr zero6 = { .family = 6 };
	uint8_t buf[64] = { 0x60, 0, 0, 0, 0, 8, 0xff, 0 };
	struct fzgw_ip v;

	assert_int_equal(fzgw_ip_parse(&v, buf, 48, 1280), 0);
	assert_int_equal(v.kind, FZGW_IP_KIND_CONTROL);
	assert_int_equal(fzgw_ip_set_dst(buf, &v, &v6a), -EINVAL);

	/* :: to ff02::1 with next header ff and hop limit 0 is data; :: to :: would not be */
	buf[24] = 0xff;
	buf[25] = 0x02;
	buf[39] = 0x01;
	assert_int_equal(fzgw_ip_parse(&v, buf, 48, 1280), 0);
	assert_int_equal(v.kind, FZGW_IP_KIND_NORMAL);
	assert_int_equal(fzgw_ip_set_dst(buf, &v, &zero6), -EINVAL);
	assert_int_equal(fzgw_ip_set_src(buf, &v, &zero6), 0);
	assert_int_equal(fzgw_ip_set_src(buf, &v, &v6a), 0);
	assert_int_equal(fzgw_ip_set_dst(buf, &v, &zero6), 0);
	assert_fresh(buf, &v);
}

/* A unit-sized version of the fuzz oracle: random packets, random setters. */
static void test_random_sequences(void **state)
{
	static const uint8_t protos[] = { 6, 17, 1, 58, 47 };
	uint32_t x = 0x12345678;
	uint8_t l4[600], buf[700];

#define RND() (x ^= x << 13, x ^= x >> 17, x ^= x << 5, x)
	for (int iter = 0; iter < 3000; iter++) {
		int version = (RND() & 1) ? 6 : 4;
		uint8_t proto = protos[RND() % 5];
		size_t n = 8 + RND() % 512;
		struct fzgw_addr s = { .family = (uint8_t)version }, d = s;
		struct fzgw_ip v;
		size_t len;

		if (proto == 1 && version == 6)
			proto = 58;
		if (proto == 58 && version == 4)
			proto = 1;
		for (size_t i = 0; i < sizeof(l4); i++)
			l4[i] = (uint8_t)RND();
		for (int i = 0; i < (version == 4 ? 4 : 16); i++) {
			s.bytes[i] = (uint8_t)RND();
			d.bytes[i] = (uint8_t)RND();
		}
		if (proto == 6) {
			n = n < 20 ? 20 : n;
			l4[12] = 0x50;
		} else if (proto == 17) {
			l4[4] = (uint8_t)(n >> 8);
			l4[5] = (uint8_t)n;
			if (RND() % 4 == 0)
				l4[6] = l4[7] = 0;
		} else if (proto != 47) {
			l4[0] = version == 4 ? (RND() & 1 ? 8 : 0) : (RND() & 1 ? 128 : 129);
		}
		len = pkt_build(buf, version, proto, &s, &d, l4, n);
		assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
		assert_int_equal(fzgw_csum_fix_all(buf, &v), 0);
		for (int step = 0; step < 6; step++) {
			struct fzgw_addr a = { .family = (uint8_t)version };
			uint16_t val = (uint16_t)RND();
			int rc, want = -EINVAL;

			for (int i = 0; i < (version == 4 ? 4 : 16); i++)
				a.bytes[i] = (uint8_t)RND();
			if (v.flags & (FZGW_IP_F_HAS_PORTS | FZGW_IP_F_ICMP_ECHO))
				want = 0;

			switch (RND() % 4) {
			case 0:
				rc = fzgw_ip_set_src(buf, &v, &a);
				want = 0;
				break;
			case 1:
				rc = fzgw_ip_set_dst(buf, &v, &a);
				want = 0;
				break;
			case 2:
				rc = (v.flags & FZGW_IP_F_HAS_PORTS)
					 ? fzgw_ip_set_src_port(buf, &v, val)
					 : fzgw_ip_set_icmp_id(buf, &v, val);
				break;
			default:
				rc = (v.flags & FZGW_IP_F_HAS_PORTS)
					 ? fzgw_ip_set_dst_port(buf, &v, val)
					 : fzgw_ip_set_icmp_id(buf, &v, val);
				break;
			}
			assert_int_equal(rc, want);
			assert_fresh(buf, &v);
		}
	}
#undef RND
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_captures),
		cmocka_unit_test(test_icmpv4_address_keeps_icmp_checksum),
		cmocka_unit_test(test_icmp_error_outer_only),
		cmocka_unit_test(test_udp_zero_stays_zero),
		cmocka_unit_test(test_udp_result_zero_goes_out_as_ffff),
		cmocka_unit_test(test_icmp_all_zero_id),
		cmocka_unit_test(test_odd_lengths_and_options),
		cmocka_unit_test(test_wrong_stays_wrong),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_control_never_made_or_changed),
		cmocka_unit_test(test_random_sequences),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
