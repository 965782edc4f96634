/* SPDX-License-Identifier: Apache-2.0 */
/* Tests the ICMP(v6) error builder: types and codes, quote limits, sizes and refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <fzgw/module.h>

#include "checksum.h"
#include "icmp_build.h"
#include "ip_parse.h"
#include "pkt_util.h"

static uint8_t orig[2048], out[2048];

static size_t load(const char *hex, struct fzgw_ip *v)
{
	size_t len = pkt_hex(orig, sizeof(orig), hex);

	assert_int_equal(fzgw_ip_parse(v, orig, len, 1280), 0);
	return len;
}

/* Builds, then checks everything an error must be; returns the parsed error. */
static struct fzgw_ip build_ok(const struct fzgw_ip *v, int kind, uint32_t mtu, size_t cap,
			       const struct fzgw_addr *src, int type, int code)
{
	struct fzgw_ip e;
	int n;

	memset(out, 0xee, sizeof(out));
	n = fzgw_icmp_build_error(out, cap, orig, v, kind, mtu, src);
	assert_true(n > 0);
	assert_true((size_t)n <= cap && n <= 1280);
	assert_int_equal(fzgw_ip_parse(&e, out, (size_t)n, 1280), 0);
	assert_int_equal(e.proto, v->version == 4 ? 1 : 58);
	assert_int_equal(e.flags, FZGW_IP_F_ICMP_ERROR);
	assert_int_equal(e.icmp_type, type);
	assert_int_equal(e.icmp_code, code);
	assert_int_equal(e.ttl, 64);
	assert_true(fzgw_csum_verify_all(out, &e));
	assert_memory_equal(&e.dst, &v->src, sizeof(e.dst));
	assert_memory_equal(&e.src, src ? src : &v->dst, sizeof(e.src));
	assert_memory_equal(out + e.inner.off, orig, e.inner.len);
	assert_memory_equal(&e.inner.src, &v->src, sizeof(e.inner.src));
	assert_memory_equal(&e.inner.dst, &v->dst, sizeof(e.inner.dst));
	return e;
}

static void test_v4_kinds(void **state)
{
	struct fzgw_addr gw = pkt_addr4(100, 64, 0, 1);
	struct fzgw_ip v, e;
	size_t len = load(PKT_V4_TCP_SYN, &v);

	e = build_ok(&v, FZGW_ICMP_PROHIBITED, 0, sizeof(out), NULL, 3, 13);
	assert_int_equal(e.len, 28 + len); /* the whole 60-byte SYN fits */
	assert_int_equal(e.inner.len, len);
	assert_int_equal(e.inner.src_port, 51514);
	assert_int_equal(e.inner.dst_port, 443);
	assert_int_equal(out[6], 0x40); /* DF, ID 0: atomic (RFC 6864) */
	assert_int_equal(out[4] | out[5], 0);
	assert_int_equal(out[24] | out[25] | out[26] | out[27], 0); /* unused word */

	e = build_ok(&v, FZGW_ICMP_NET_UNREACH, 0, sizeof(out), &gw, 3, 0);
	e = build_ok(&v, FZGW_ICMP_TOO_BIG, 1200, sizeof(out), NULL, 3, 4);
	assert_int_equal(out[24] << 8 | out[25], 0);
	assert_int_equal(out[26] << 8 | out[27], 1200); /* RFC 1191 next-hop MTU */
	(void)e;
}

static void test_v6_kinds(void **state)
{
	struct fzgw_addr gw = pkt_addr6("fd00202111110000 0000000000000001");
	struct fzgw_ip v, e;
	size_t len = load(PKT_V6_UDP_DNS, &v);

	e = build_ok(&v, FZGW_ICMP_PROHIBITED, 0, sizeof(out), NULL, 1, 1);
	assert_int_equal(e.len, 48 + len);
	assert_int_equal(e.inner.proto, 17);
	assert_int_equal(e.inner.src_port, 50412);
	assert_int_equal(out[44] | out[45] | out[46] | out[47], 0);
	build_ok(&v, FZGW_ICMP_NET_UNREACH, 0, sizeof(out), &gw, 1, 3);
	build_ok(&v, FZGW_ICMP_TOO_BIG, 1280, sizeof(out), NULL, 2, 0);
	assert_int_equal(out[44] << 24 | out[45] << 16 | out[46] << 8 | out[47], 1280);
	build_ok(&v, FZGW_ICMP_TOO_BIG, 9000, sizeof(out), NULL, 2, 0);
	assert_int_equal(out[46] << 8 | out[47], 9000);
	assert_int_equal(out[7], 64);
}

/* Errors about pings are fine: an echo is not an error, and the id is quoted. */
static void test_about_echo(void **state)
{
	struct fzgw_ip v, e;

	load(PKT_V4_PING, &v);
	e = build_ok(&v, FZGW_ICMP_PROHIBITED, 0, sizeof(out), NULL, 3, 13);
	assert_int_equal(e.inner.has_ports, 1);
	assert_int_equal(e.inner.src_port, 0x1c2d);
	load(PKT_V6_PING, &v);
	e = build_ok(&v, FZGW_ICMP_NET_UNREACH, 0, sizeof(out), NULL, 1, 3);
	assert_int_equal(e.inner.src_port, 0x2b1f);
}

static size_t big_packet(int version, size_t len, struct fzgw_ip *v)
{
	struct fzgw_addr s4 = pkt_addr4(100, 66, 110, 73), d4 = pkt_addr4(10, 0, 1, 5);
	struct fzgw_addr s6 = pkt_addr6("fd00202111110000 00000000001e7658");
	struct fzgw_addr d6 = pkt_addr6("2606280002200001 0248189325c81946");
	size_t hl = version == 4 ? 20 : 40;
	uint8_t l4[1280];

	memset(l4, 0x77, sizeof(l4));
	l4[4] = (uint8_t)((len - hl) >> 8);
	l4[5] = (uint8_t)(len - hl);
	len = pkt_build(orig, version, 17, version == 4 ? &s4 : &s6, version == 4 ? &d4 : &d6,
			l4, len - hl);
	assert_int_equal(fzgw_ip_parse(v, orig, len, 1280), 0);
	return len;
}

static void test_quote_limits(void **state)
{
	struct fzgw_ip v, e;

	/* RFC 1812 4.3.2.3: IPv4 errors stop at 576 bytes. */
	big_packet(4, 1280, &v);
	e = build_ok(&v, FZGW_ICMP_PROHIBITED, 0, sizeof(out), NULL, 3, 13);
	assert_int_equal(e.len, 576);
	assert_int_equal(e.inner.len, 548);
	/* RFC 4443 2.4 (c): IPv6 errors fill the minimum MTU, no more. */
	big_packet(6, 1280, &v);
	e = build_ok(&v, FZGW_ICMP_PROHIBITED, 0, sizeof(out), NULL, 1, 1);
	assert_int_equal(e.len, 1280);
	assert_int_equal(e.inner.len, 1232);
	/* exactly fitting sizes are quoted whole */
	big_packet(4, 548, &v);
	e = build_ok(&v, FZGW_ICMP_PROHIBITED, 0, sizeof(out), NULL, 3, 13);
	assert_int_equal(e.len, 576);
	assert_int_equal(e.inner.len, 548);
	big_packet(6, 1233, &v);
	e = build_ok(&v, FZGW_ICMP_PROHIBITED, 0, sizeof(out), NULL, 1, 1);
	assert_int_equal(e.inner.len, 1232);

	/* a small cap cuts the quote, but not below the IP header and 8 bytes */
	big_packet(4, 1000, &v);
	e = build_ok(&v, FZGW_ICMP_PROHIBITED, 0, 100, NULL, 3, 13);
	assert_int_equal(e.len, 100);
	e = build_ok(&v, FZGW_ICMP_PROHIBITED, 0, 56, NULL, 3, 13);
	assert_int_equal(e.inner.len, 28);
	assert_int_equal(fzgw_icmp_build_error(out, 55, orig, &v, FZGW_ICMP_PROHIBITED, 0, NULL),
			 -ENOSPC);
	assert_int_equal(fzgw_icmp_build_error(out, 0, orig, &v, FZGW_ICMP_PROHIBITED, 0, NULL),
			 -ENOSPC);
	big_packet(6, 1000, &v);
	e = build_ok(&v, FZGW_ICMP_PROHIBITED, 0, 96, NULL, 1, 1);
	assert_int_equal(e.inner.len, 48);
	assert_int_equal(fzgw_icmp_build_error(out, 95, orig, &v, FZGW_ICMP_PROHIBITED, 0, NULL),
			 -ENOSPC);
}

static void test_long_extension_chain(void **state)
{
	struct fzgw_addr s = pkt_addr6("fd00202111110000 00000000001e7658");
	struct fzgw_addr d = pkt_addr6("2606280002200001 0248189325c81946");
	uint8_t l4[1240] = { 17, 153 };
	struct fzgw_ip v, e;
	size_t len;

	/* 1232 bytes of destination options (Pad1s) and UDP: the headers overflow the quote. */
	l4[1232 + 5] = 8;
	len = pkt_build(orig, 6, 60, &s, &d, l4, sizeof(l4));
	assert_int_equal(fzgw_ip_parse(&v, orig, len, 1280), 0);
	assert_int_equal(v.l3_len, 1272);
	e = build_ok(&v, FZGW_ICMP_PROHIBITED, 0, sizeof(out), NULL, 1, 1);
	assert_int_equal(e.len, 1280);
	assert_int_equal(e.inner.len, 1232);
	assert_int_equal(e.inner.l3_len, 0); /* the quote cannot hold the chain */
	assert_int_equal(fzgw_icmp_build_error(out, 1279, orig, &v, FZGW_ICMP_PROHIBITED, 0, NULL),
			 -ENOSPC);
}

static void test_never_above_mtu(void **state)
{
	struct fzgw_ip v;

	for (int version = 4; version <= 6; version += 2) {
		size_t max = version == 4 ? 576 : 1280;

		big_packet(version, 1280, &v);
		for (size_t cap = 0; cap <= 2000; cap++) {
			int n = fzgw_icmp_build_error(out, cap, orig, &v, FZGW_ICMP_TOO_BIG, 1280,
						      NULL);

			if (n < 0) {
				assert_int_equal(n, -ENOSPC);
				assert_true(cap < (version == 4 ? 56u : 96u));
				continue;
			}
			assert_int_equal((size_t)n, cap < max ? cap : max);
		}
	}
}

static void test_in_place(void **state)
{
	static uint8_t copy[2048];
	struct fzgw_ip v;
	int n, m;

	big_packet(6, 1280, &v);
	n = fzgw_icmp_build_error(out, sizeof(out), orig, &v, FZGW_ICMP_PROHIBITED, 0, NULL);
	memcpy(copy, out, (size_t)n);
	m = fzgw_icmp_build_error(orig, sizeof(orig), orig, &v, FZGW_ICMP_PROHIBITED, 0, NULL);
	assert_int_equal(m, n);
	assert_memory_equal(orig, copy, (size_t)n);
}

static void test_short_other_protocol(void **state)
{
	struct fzgw_addr a = pkt_addr4(100, 66, 0, 1), b = pkt_addr4(10, 1, 1, 1);
	struct fzgw_ip v, e;
	size_t len;

	/* 20 bytes of protocol 255: quoted whole although that is under header + 8 */
	len = pkt_build(orig, 4, 255, &a, &b, NULL, 0);
	assert_int_equal(fzgw_ip_parse(&v, orig, len, 1280), 0);
	e = build_ok(&v, FZGW_ICMP_PROHIBITED, 0, 48, NULL, 3, 13);
	assert_int_equal(e.inner.len, 20);
	assert_int_equal(e.inner.proto, 255);
}

static void expect_refused(const struct fzgw_ip *v, int kind, uint32_t mtu, int err)
{
	assert_int_equal(fzgw_icmp_build_error(out, sizeof(out), orig, v, kind, mtu, NULL), err);
}

static void test_refusals(void **state)
{
	static const uint8_t bad_src4[][4] = {
		{ 0, 0, 0, 0 }, { 0, 1, 2, 3 }, { 127, 0, 0, 1 }, { 224, 0, 0, 1 },
		{ 239, 255, 255, 250 }, { 240, 0, 0, 1 }, { 255, 255, 255, 255 },
	};
	static const char *const bad_src6[] = {
		"00000000000000000000000000000000", "00000000000000000000000000000001",
		"ff020000000000000000000000000001", "ff0e0000000000000000000000000101",
	};
	struct fzgw_addr v6src = pkt_addr6("fd00202111110000 0000000000000001");
	struct fzgw_ip v, saved;

	/* never about an ICMP error (RFC 1122 3.2.2, RFC 4443 2.4 e.1) */
	load(PKT_V4_PORT_UNREACH, &v);
	expect_refused(&v, FZGW_ICMP_PROHIBITED, 0, -EINVAL);
	load(PKT_V6_PORT_UNREACH, &v);
	expect_refused(&v, FZGW_ICMP_TOO_BIG, 1280, -EINVAL);
	/* ICMPv6 parameter problem and ICMPv4 redirect are errors too, though not parsed as such */
	load(PKT_V6_PING, &v);
	orig[40] = 4;
	assert_int_equal(fzgw_ip_parse(&v, orig, v.len, 1280), 0);
	expect_refused(&v, FZGW_ICMP_PROHIBITED, 0, -EINVAL);
	load(PKT_V4_PING, &v);
	orig[20] = 5;
	assert_int_equal(fzgw_ip_parse(&v, orig, v.len, 1280), 0);
	expect_refused(&v, FZGW_ICMP_PROHIBITED, 0, -EINVAL);

	/* sources that are not one host (RFC 1812 4.3.2.7) */
	load(PKT_V4_TCP_SYN, &v);
	saved = v;
	for (size_t i = 0; i < sizeof(bad_src4) / sizeof(bad_src4[0]); i++) {
		memcpy(v.src.bytes, bad_src4[i], 4);
		expect_refused(&v, FZGW_ICMP_PROHIBITED, 0, -EINVAL);
	}
	v = saved;
	/* destinations: broadcast and multicast */
	memcpy(v.dst.bytes, "\xff\xff\xff\xff", 4);
	expect_refused(&v, FZGW_ICMP_PROHIBITED, 0, -EINVAL);
	memcpy(v.dst.bytes, "\xe0\x00\x00\xfb", 4);
	expect_refused(&v, FZGW_ICMP_TOO_BIG, 1280, -EINVAL);
	v = saved;
	/* kinds, MTUs and families */
	expect_refused(&v, 0, 0, -EINVAL);
	expect_refused(&v, 4, 0, -EINVAL);
	expect_refused(&v, FZGW_ICMP_TOO_BIG, 67, -EINVAL);
	expect_refused(&v, FZGW_ICMP_TOO_BIG, 65536, -EINVAL);
	assert_int_equal(fzgw_icmp_build_error(out, sizeof(out), orig, &v, FZGW_ICMP_PROHIBITED, 0,
					       &v6src), -EAFNOSUPPORT);

	load(PKT_V6_TCP_SYN, &v);
	saved = v;
	for (size_t i = 0; i < sizeof(bad_src6) / sizeof(bad_src6[0]); i++) {
		v.src = pkt_addr6(bad_src6[i]);
		expect_refused(&v, FZGW_ICMP_PROHIBITED, 0, -EINVAL);
	}
	v = saved;
	expect_refused(&v, FZGW_ICMP_TOO_BIG, 1279, -EINVAL);
	/* RFC 4443 2.4 (e.3): to a multicast group only packet too big may be sent */
	pkt_hex(orig + 24, 16, "ff0e0000000000000000000000000101");
	assert_int_equal(fzgw_ip_parse(&v, orig, v.len, 1280), 0);
	expect_refused(&v, FZGW_ICMP_NET_UNREACH, 0, -EINVAL);
	build_ok(&v, FZGW_ICMP_TOO_BIG, 1280, sizeof(out), &saved.dst, 2, 0);

	/* the control packet and rejected packets */
	memset(orig, 0, 48);
	orig[0] = 0x60;
	orig[5] = 8;
	orig[6] = 0xff;
	assert_int_equal(fzgw_ip_parse(&v, orig, 48, 1280), 0);
	expect_refused(&v, FZGW_ICMP_PROHIBITED, 0, -EINVAL);
	assert_int_not_equal(fzgw_ip_parse(&v, orig, 47, 1280), 0);
	expect_refused(&v, FZGW_ICMP_PROHIBITED, 0, -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_kinds),
		cmocka_unit_test(test_v6_kinds),
		cmocka_unit_test(test_about_echo),
		cmocka_unit_test(test_quote_limits),
		cmocka_unit_test(test_long_extension_chain),
		cmocka_unit_test(test_never_above_mtu),
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_short_other_protocol),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
