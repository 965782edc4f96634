/* SPDX-License-Identifier: Apache-2.0 */
/* ICE candidate strings: the forms Firezone signals, the round trip, malformed ones by field,
 * and the RFC 8445 priority. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ice_cand.h"

static void roundtrip(const char *s)
{
	struct ice_cand c, d;
	const char *why;
	char out[ICE_CAND_STR_MAX];

	print_message("%s\n", s);
	assert_int_equal(ice_cand_parse(s, strlen(s), &c, &why), 0);
	assert_int_equal(ice_cand_format(&c, out, sizeof(out)), (int)strlen(s));
	assert_string_equal(out, s);
	assert_int_equal(ice_cand_parse(out, strlen(out), &d, &why), 0);
	assert_memory_equal(&c, &d, sizeof(c));
}

static void test_valid(void **state)
{
	struct ice_cand c;
	const char *why;
	const char *s = "candidate:7 1 udp 1694498815 203.0.113.5 52625 typ srflx raddr 10.0.0.2 rport 52625";

	(void)state;
	roundtrip("candidate:0 1 udp 2130706431 192.168.1.10 52625 typ host");
	roundtrip(s);
	roundtrip("candidate:12345 1 udp 16777215 2001:db8::1 3478 typ relay raddr 203.0.113.5 rport 40000");
	roundtrip("candidate:a+/B 2 udp 1862270975 fd00::2 9 typ prflx");
	roundtrip("candidate:1 1 udp 16777215 198.51.100.1 3478 typ relay raddr 0.0.0.0 rport 0");
	roundtrip("candidate:1 1 udp 16777215 ::ffff:198.51.100.1 3478 typ relay");

	assert_int_equal(ice_cand_parse(s, strlen(s), &c, &why), 0);
	assert_string_equal(c.foundation, "7");
	assert_int_equal(c.component, 1);
	assert_int_equal(c.priority, 1694498815u);
	assert_int_equal(c.type, ICE_SRFLX);
	assert_int_equal(c.addr.family, 4);
	assert_int_equal(c.addr.port, 52625);
	assert_memory_equal(c.addr.ip, "\xcb\x00\x71\x05", 4);
	assert_int_equal(c.raddr.family, 4);
	assert_int_equal(c.raddr.port, 52625);

	/* UDP in capitals and extensions after the address are accepted (and not kept) */
	s = "candidate:1 1 UDP 2130706431 10.0.0.1 5000 typ host generation 0 network-id 1";
	assert_int_equal(ice_cand_parse(s, strlen(s), &c, &why), 0);
	assert_int_equal(c.raddr.family, 0);
	/* not NUL-terminated: only len bytes are read */
	s = "candidate:1 1 udp 2130706431 10.0.0.1 5000 typ hostXXXX";
	assert_int_equal(ice_cand_parse(s, strlen(s) - 4, &c, &why), 0);
}

static void test_malformed(void **state)
{
	static const struct {
		const char *s, *why;
	} cases[] = {
		{ "", "candidate: prefix" },
		{ "a=candidate:0 1 udp 1 10.0.0.1 1 typ host", "candidate: prefix" },
		{ "candidate:0 1 udp 1 10.0.0.1 1 typ", "too few fields" },
		{ "candidate:0  1 udp 1 10.0.0.1 1 typ host", "spacing or too many fields" },
		{ "candidate:0 1 udp 1 10.0.0.1 1 typ host ", "spacing or too many fields" },
		{ "candidate: 1 udp 1 10.0.0.1 1 typ host", "spacing or too many fields" },
		{ "candidate:0123456789012345678901234567890123 1 udp 1 10.0.0.1 1 typ host", "foundation" },
		{ "candidate:a-b 1 udp 1 10.0.0.1 1 typ host", "foundation" },
		{ "candidate:0 0 udp 1 10.0.0.1 1 typ host", "component" },
		{ "candidate:0 257 udp 1 10.0.0.1 1 typ host", "component" },
		{ "candidate:0 -1 udp 1 10.0.0.1 1 typ host", "component" },
		{ "candidate:0 1 tcp 1 10.0.0.1 1 typ host", "transport (udp only)" },
		{ "candidate:0 1 udp 0 10.0.0.1 1 typ host", "priority" },
		{ "candidate:0 1 udp 2147483648 10.0.0.1 1 typ host", "priority" },
		{ "candidate:0 1 udp 99999999999 10.0.0.1 1 typ host", "priority" },
		{ "candidate:0 1 udp 1 abc.local 1 typ host", "connection address" },
		{ "candidate:0 1 udp 1 10.0.0.256 1 typ host", "connection address" },
		{ "candidate:0 1 udp 1 fe80::1%eth0 1 typ host", "connection address" },
		{ "candidate:0 1 udp 1 0.0.0.0 1 typ host", "connection address" },
		{ "candidate:0 1 udp 1 :: 1 typ host", "connection address" },
		{ "candidate:0 1 udp 1 ::ffff:0.0.0.0 1 typ host", "connection address" },
		{ "candidate:0 1 udp 1 224.0.0.251 1 typ host", "connection address" },
		{ "candidate:0 1 udp 1 ::ffff:239.1.2.3 1 typ host", "connection address" },
		{ "candidate:0 1 udp 1 ff02::fb 1 typ host", "connection address" },
		{ "candidate:0 1 udp 1 10.0.0.1 0 typ host", "port" },
		{ "candidate:0 1 udp 1 10.0.0.1 65536 typ host", "port" },
		{ "candidate:0 1 udp 1 10.0.0.1 1x typ host", "port" },
		{ "candidate:0 1 udp 1 10.0.0.1 1 type host", "typ" },
		{ "candidate:0 1 udp 1 10.0.0.1 1 typ relayed", "candidate type" },
		{ "candidate:0 1 udp 1 10.0.0.1 1 typ srflx raddr", "extension without a value" },
		{ "candidate:0 1 udp 1 10.0.0.1 1 typ srflx raddr 10.0.0.2", "raddr without rport (or the reverse)" },
		{ "candidate:0 1 udp 1 10.0.0.1 1 typ srflx raddr 10.0.0.2 rport 70000", "rport" },
		{ "candidate:0 1 udp 1 10.0.0.1 1 typ srflx raddr x rport 1", "raddr" },
		{ "candidate:0 1 udp 1 10.0.0.1 1 typ srflx raddr 10.0.0.2 raddr 10.0.0.2", "raddr" },
		{ "candidate:0 1 udp 1 10.0.0.1 1 typ srflx rport 5", "raddr without rport (or the reverse)" },
	};
	struct ice_cand c;
	const char *why, *s;
	char big[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s\n", cases[i].s);
		assert_int_equal(ice_cand_parse(cases[i].s, strlen(cases[i].s), &c, &why), -1);
		assert_string_equal(why, cases[i].why);
	}
	memset(big, 'a', sizeof(big));
	assert_int_equal(ice_cand_parse(big, sizeof(big), &c, &why), -1);
	assert_string_equal(why, "length");
	assert_int_equal(ice_cand_parse("candidate:0 1 udp 1 10.0.0.1 1 typ host\0x", 41, &c, &why), -1);
	assert_string_equal(why, "character (printable ASCII only)");
	s = "candidate:0 1 udp 1 10.0.0.1 1 typ host ext \xff\x1b[2J";
	assert_int_equal(ice_cand_parse(s, strlen(s), &c, &why), -1);
	assert_string_equal(why, "character (printable ASCII only)");
	s = "candidate:0 1 udp 1 10.0.0.1 1 typ host\tx y";
	assert_int_equal(ice_cand_parse(s, strlen(s), &c, &why), -1);
	assert_int_equal(ice_cand_parse(NULL, 0, &c, &why), -1);
}

static void test_priority_and_format(void **state)
{
	struct ice_cand c = { .foundation = "1", .component = 1, .type = ICE_HOST,
			      .addr = { .family = 4, .port = 1, .ip = { 10, 0, 0, 1 } } };
	struct stun_addr base = { .family = 4, .ip = { 10, 0, 0, 1 } };
	struct stun_addr srv = { .family = 4, .ip = { 192, 0, 2, 1 } };
	char f1[ICE_FOUNDATION_MAX + 1], f2[ICE_FOUNDATION_MAX + 1], out[16];
	const char *why;

	(void)state;
	assert_int_equal(ice_priority(ICE_HOST, 65535, 1), 2130706431u);
	assert_int_equal(ice_priority(ICE_SRFLX, 65535, 1), 1694498815u);
	assert_int_equal(ice_priority(ICE_PRFLX, 65535, 1), 1862270975u);
	assert_int_equal(ice_priority(ICE_RELAY, 65535, 1), 16777215u);
	assert_int_equal(ice_priority(ICE_HOST, 0, 256), 126u << 24);
	assert_string_equal(ice_cand_type_name(ICE_RELAY), "relay");

	ice_foundation(ICE_SRFLX, &base, &srv, f1);
	ice_foundation(ICE_SRFLX, &base, &srv, f2);
	assert_string_equal(f1, f2);
	ice_foundation(ICE_RELAY, &base, &srv, f2);
	assert_string_not_equal(f1, f2);
	strcpy(c.foundation, f1);
	c.priority = ice_priority(ICE_HOST, 65535, 1);
	assert_int_equal(ice_cand_format(&c, out, sizeof(out)), -1); /* does not fit */
	{
		char s[ICE_CAND_STR_MAX];
		struct ice_cand d;
		int n = ice_cand_format(&c, s, sizeof(s));

		assert_true(n > 0);
		assert_int_equal(ice_cand_parse(s, (size_t)n, &d, &why), 0);
	}
	c.type = 9;
	assert_int_equal(ice_cand_format(&c, out, sizeof(out)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_priority_and_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
