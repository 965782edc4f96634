/* SPDX-License-Identifier: Apache-2.0 */
/* Tests the Internet checksum helpers: RFC 1071 and RFC 1624 vectors, parsed packets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "checksum.h"
#include "ip_parse.h"
#include "pkt_util.h"

/* The obvious byte-at-a-time sum the fast one must agree with. */
static uint16_t ref_sum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i < len; i++)
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void test_rfc1071_example(void **state)
{
	/* RFC 1071 3: these bytes sum to ddf2, checksum 220d. */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	assert_int_equal(fzgw_csum_partial(b, sizeof(b), 0), 0xddf2);
	assert_int_equal((uint16_t)~fzgw_csum_partial(b, sizeof(b), 0), 0x220d);
	/* odd length: the last byte is the high half of a padded word */
	assert_int_equal(fzgw_csum_partial(b, 7, 0), ref_sum(b, 7));
	assert_int_equal(fzgw_csum_partial(b, 1, 0), 0x0000);
	assert_int_equal(fzgw_csum_partial(b + 2, 1, 0), 0xf200);
	assert_int_equal(fzgw_csum_partial(b, 0, 0x1234), 0x1234);
}

static void test_partial_matches_reference(void **state)
{
	static uint8_t buf[1600];
	uint32_t x = 0x9e3779b9;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	/* every length, misaligned starts, and all-ones data that carries a lot */
	for (size_t off = 0; off < 4; off++)
		for (size_t len = 0; len < 300; len++)
			assert_int_equal(fzgw_csum_partial(buf + off, len, 0),
					 ref_sum(buf + off, len));
	assert_int_equal(fzgw_csum_partial(buf, 1500, 0), ref_sum(buf, 1500));
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(fzgw_csum_partial(buf, 1599, 0), ref_sum(buf, 1599));
	/* chaining across an even split gives the same sum */
	assert_int_equal(fzgw_csum_partial(buf + 100, 77, fzgw_csum_partial(buf, 100, 0)),
			 fzgw_csum_partial(buf, 177, 0));
}

static void test_rfc1624_example(void **state)
{
	/* RFC 1624 4: m 5555 -> 3285 with HC dd2f gives 0000 by eqn. 3, not ffff. */
	assert_int_equal(fzgw_csum_update(0xdd2f, fzgw_csum_diff16(0, 0x5555, 0x3285)), 0x0000);
	/* no change, no change */
	assert_int_equal(fzgw_csum_update(0x1234, fzgw_csum_diff16(0, 0xabcd, 0xabcd)), 0x1234);
	assert_int_equal(fzgw_csum_fold(0x2fffd), 0xffff);
}

static void test_ipv4_header(void **state)
{
	uint8_t h[60];

	/* A well-known header (192.168.0.1 -> 192.168.0.199) whose checksum is b861. */
	pkt_hex(h, sizeof(h), "4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7");
	assert_int_equal(fzgw_csum_ipv4_header(h), 0xb861);
	h[10] = 0;
	h[11] = 0;
	assert_int_equal(fzgw_csum_ipv4_header(h), 0xb861);
	/* options are covered */
	pkt_hex(h, sizeof(h), "4600 0018 0000 4000 0111 0000 c0a8 0001 e000 0016 9404 0000");
	h[10] = (uint8_t)(fzgw_csum_ipv4_header(h) >> 8);
	h[11] = (uint8_t)fzgw_csum_ipv4_header(h);
	assert_int_equal(ref_sum(h, 24), 0xffff);
}

/* Zeroing every checksum and fixing them gives back the captured bytes. */
static void roundtrip(const char *hex)
{
	uint8_t orig[256], buf[256];
	size_t len = pkt_hex(orig, sizeof(orig), hex);
	struct fzgw_ip v;
	uint16_t c;

	memcpy(buf, orig, len);
	assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
	assert_true(fzgw_csum_verify_all(buf, &v));
	assert_int_equal(fzgw_csum_l4(buf, &v, &c), 0);
	if (v.version == 4) {
		buf[10] = 0x12;
		buf[11] = 0x34;
	}
	buf[v.l3_len + (v.proto == 6 ? 16 : v.proto == 17 ? 6 : 2)] ^= 0x5a;
	assert_false(fzgw_csum_verify_all(buf, &v));
	assert_int_equal(fzgw_csum_l4(buf, &v, &c), 0); /* the field itself does not count */
	assert_int_equal(fzgw_csum_fix_all(buf, &v), 0);
	assert_memory_equal(buf, orig, len);
	assert_true(fzgw_csum_verify_all(buf, &v));
}

static void test_fix_and_verify(void **state)
{
	roundtrip(PKT_V4_TCP_SYN);
	roundtrip(PKT_V4_UDP_DNS);
	roundtrip(PKT_V4_PING);
	roundtrip(PKT_V4_PORT_UNREACH);
	roundtrip(PKT_V6_TCP_SYN);
	roundtrip(PKT_V6_UDP_DNS);
	roundtrip(PKT_V6_PING);
	roundtrip(PKT_V6_PORT_UNREACH);
}

static void test_udp_zero_and_all_ones(void **state)
{
	struct fzgw_addr a = pkt_addr4(10, 0, 0, 1), b = pkt_addr4(10, 0, 0, 2);
	uint8_t l4[12] = { 0x04, 0xd2, 0x16, 0x2e, 0, 12, 0, 0 }, buf[64];
	struct fzgw_ip v;
	uint16_t c;
	size_t len;

	/* A zero UDP checksum means "none": it verifies and fix_all leaves it. */
	len = pkt_build(buf, 4, 17, &a, &b, l4, sizeof(l4));
	assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
	assert_true(v.flags & FZGW_IP_F_UDP_CSUM0);
	assert_int_equal(fzgw_csum_fix_all(buf, &v), 0);
	assert_int_equal(buf[26] | buf[27], 0);
	assert_true(fzgw_csum_verify_all(buf, &v));

	/* Choose payload so the sum is -0: the computed 0 must go out as ffff (RFC 768). */
	assert_int_equal(fzgw_csum_l4(buf, &v, &c), 0);
	buf[28] = (uint8_t)(c >> 8);
	buf[29] = (uint8_t)c;
	buf[27] = 1;
	assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
	assert_int_equal(fzgw_csum_l4(buf, &v, &c), 0);
	assert_int_equal(c, 0xffff);
	assert_int_equal(fzgw_csum_fix_all(buf, &v), 0);
	assert_int_equal(buf[26] << 8 | buf[27], 0xffff);
	assert_true(fzgw_csum_verify_all(buf, &v));
}

static void test_icmp_all_zero(void **state)
{
	struct fzgw_addr a = pkt_addr4(10, 0, 0, 1), b = pkt_addr4(10, 0, 0, 2);
	uint8_t l4[8] = { 0 }, buf[64];
	struct fzgw_ip v;
	uint16_t c;
	size_t len;

	/* An echo reply of all zeros: the sum is +0, so the checksum is ffff, never 0. */
	len = pkt_build(buf, 4, 1, &a, &b, l4, sizeof(l4));
	assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
	assert_int_equal(fzgw_csum_l4(buf, &v, &c), 0);
	assert_int_equal(c, 0xffff);
	assert_false(fzgw_csum_verify_all(buf, &v));
	assert_int_equal(fzgw_csum_fix_all(buf, &v), 0);
	assert_true(fzgw_csum_verify_all(buf, &v));
}

static void test_not_covered(void **state)
{
	struct fzgw_addr a = pkt_addr4(10, 0, 0, 1), b = pkt_addr4(10, 0, 0, 2);
	uint8_t gre[4] = { 0, 0, 8, 0 }, buf[64];
	struct fzgw_ip v;
	uint16_t c = 7;
	size_t len;

	len = pkt_build(buf, 4, 47, &a, &b, gre, sizeof(gre));
	assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
	assert_int_equal(fzgw_csum_l4(buf, &v, &c), -EPROTONOSUPPORT);
	assert_int_equal(c, 7);
	assert_int_equal(fzgw_csum_fix_all(buf, &v), 0); /* the IPv4 header only */
	assert_true(fzgw_csum_verify_all(buf, &v));

	/* the control packet has no checksums; an invalid view is refused */
	memset(buf, 0, 48);
	buf[0] = 0x60;
	buf[5] = 8;
	buf[6] = 0xff;
	assert_int_equal(fzgw_ip_parse(&v, buf, 48, 1280), 0);
	assert_int_equal(v.kind, FZGW_IP_KIND_CONTROL);
	assert_int_equal(fzgw_csum_l4(buf, &v, &c), -EPROTONOSUPPORT);
	assert_int_equal(fzgw_csum_fix_all(buf, &v), -EINVAL);
	assert_false(fzgw_csum_verify_all(buf, &v));
	assert_int_not_equal(fzgw_ip_parse(&v, buf, 47, 1280), 0);
	assert_int_equal(fzgw_csum_fix_all(buf, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_partial_matches_reference),
		cmocka_unit_test(test_rfc1624_example),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_fix_and_verify),
		cmocka_unit_test(test_udp_zero_and_all_ones),
		cmocka_unit_test(test_icmp_all_zero),
		cmocka_unit_test(test_not_covered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
