/* SPDX-License-Identifier: Apache-2.0 */
/* ChannelData framing and the RFC 7983 classifier, with real WireGuard message shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "channeldata.h"
#include "demux.h"
#include "stun.h"

static void test_channeldata_roundtrip(void **state)
{
	uint8_t buf[64], pl[5] = { 'h', 'e', 'l', 'l', 'o' };
	struct cd_frame f;

	(void)state;
	assert_int_equal(cd_build(buf, sizeof(buf), 0x4001, pl, 5, false), 9);
	assert_memory_equal(buf, "\x40\x01\x00\x05hello", 9);
	assert_int_equal(cd_parse_datagram(buf, 9, &f), 0);
	assert_int_equal(f.channel, 0x4001);
	assert_int_equal(f.len, 5);
	assert_memory_equal(f.payload, "hello", 5);

	memset(buf, 0xEE, sizeof(buf));
	assert_int_equal(cd_build(buf, sizeof(buf), 0x4FFF, pl, 5, true), 12);
	assert_memory_equal(buf + 9, "\0\0\0", 3); /* padding zeroed */
	assert_int_equal(cd_parse_datagram(buf, 12, &f), 0); /* padded datagram accepted */
	assert_int_equal(f.len, 5);
	assert_int_equal(cd_parse_datagram(buf, 10, &f), CD_E_LENGTH); /* half padded */
	assert_int_equal(cd_parse_datagram(buf, 8, &f), CD_E_LENGTH);  /* short */
	assert_int_equal(cd_parse_datagram(buf, 3, &f), CD_E_SHORT);
	assert_int_equal(cd_build(buf, sizeof(buf), 0x4000, NULL, 0, false), 4);
	assert_int_equal(cd_parse_datagram(buf, 4, &f), 0);
	assert_int_equal(f.len, 0);

	/* in place: the payload already behind the header */
	memcpy(buf + 4, "abc", 3);
	assert_int_equal(cd_build(buf, sizeof(buf), 0x4002, buf + 4, 3, false), 7);
	assert_memory_equal(buf + 4, "abc", 3);

	assert_int_equal(cd_build(buf, sizeof(buf), 0x3FFF, pl, 5, false), CD_E_CHANNEL);
	assert_int_equal(cd_build(buf, sizeof(buf), 0x5000, pl, 5, false), CD_E_CHANNEL);
	assert_int_equal(cd_build(buf, 8, 0x4000, pl, 5, false), CD_E_SPACE);
	assert_int_equal(cd_build(buf, 9, 0x4000, pl, 5, true), CD_E_SPACE);
}

static void test_channeldata_table(void **state)
{
	static const struct {
		const char *name;
		uint8_t bytes[12];
		size_t len;
		int want;
	} cases[] = {
		{ "channel 0x3fff", { 0x3f, 0xff, 0, 0 }, 4, CD_E_CHANNEL },
		{ "channel 0x5000 (reserved)", { 0x50, 0x00, 0, 0 }, 4, CD_E_CHANNEL },
		{ "channel 0x7fff", { 0x7f, 0xff, 0, 0 }, 4, CD_E_CHANNEL },
		{ "length 1, no payload", { 0x40, 0x00, 0, 1 }, 4, CD_E_LENGTH },
		{ "length 0xffff", { 0x40, 0x00, 0xff, 0xff, 1, 2, 3, 4 }, 8, CD_E_LENGTH },
		{ "more than padding", { 0x40, 0x00, 0, 1, 9, 0, 0, 0, 0 }, 9, CD_E_LENGTH },
		{ "3 bytes", { 0x40, 0x00, 0 }, 3, CD_E_SHORT },
		{ "exact", { 0x4a, 0xbc, 0, 2, 7, 7 }, 6, 0 },
		{ "padded", { 0x4a, 0xbc, 0, 2, 7, 7, 0, 0 }, 8, 0 },
	};
	struct cd_frame f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s\n", cases[i].name);
		assert_int_equal(cd_parse_datagram(cases[i].bytes, cases[i].len, &f), cases[i].want);
	}
}

static void test_channeldata_stream(void **state)
{
	uint8_t s[32];
	struct cd_frame f;
	int n1, n2;

	(void)state;
	n1 = cd_build(s, sizeof(s), 0x4001, (const uint8_t *)"abcde", 5, true);
	n2 = cd_build(s + n1, sizeof(s) - (size_t)n1, 0x4002, (const uint8_t *)"xy", 2, true);
	assert_int_equal(n1, 12);
	assert_int_equal(n2, 8);
	assert_int_equal(cd_parse_stream(s, 3, &f), CD_E_MORE);
	assert_int_equal(cd_parse_stream(s, 9, &f), CD_E_MORE); /* padding not there yet */
	assert_int_equal(cd_parse_stream(s, 20, &f), 0);
	assert_int_equal(f.consumed, 12);
	assert_int_equal(cd_parse_stream(s + 12, 8, &f), 0);
	assert_int_equal(f.channel, 0x4002);
	assert_int_equal(f.consumed, 8);
	s[12] = 0x60;
	assert_int_equal(cd_parse_stream(s + 12, 8, &f), CD_E_CHANNEL);
}

static size_t wg(uint8_t *buf, uint8_t type, size_t len, uint32_t index)
{
	memset(buf, 0x5A, len);
	buf[0] = type;
	buf[1] = buf[2] = buf[3] = 0; /* reserved */
	buf[4] = (uint8_t)(index >> 24); /* a sender or receiver index */
	buf[5] = (uint8_t)(index >> 16);
	buf[6] = (uint8_t)(index >> 8);
	buf[7] = (uint8_t)index;
	return len;
}

static void test_classifier(void **state)
{
	static const uint8_t tid[12] = { 0 };
	uint8_t buf[256];
	struct stun_builder b;
	size_t len, i;
	/* the WireGuard sizes: initiation, response, cookie reply, data (keepalive and more) */
	static const struct {
		uint8_t type;
		size_t len;
	} shapes[] = { { 1, 148 }, { 2, 92 }, { 3, 64 }, { 4, 32 }, { 4, 48 }, { 4, 148 } };

	(void)state;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		/* even with the cookie at offset 4 by chance (a sender index equal to it) */
		len = wg(buf, shapes[i].type, shapes[i].len, STUN_MAGIC);
		assert_int_equal(relay_classify(buf, len), RELAY_CLASS_WIREGUARD);
		len = wg(buf, shapes[i].type, shapes[i].len, 0x12345678);
		assert_int_equal(relay_classify(buf, len), RELAY_CLASS_WIREGUARD);
	}
	/* a 20-byte WireGuard-looking datagram with the cookie would be STUN: no such WG message */
	len = wg(buf, 1, 20, STUN_MAGIC);
	assert_int_equal(relay_classify(buf, len), RELAY_CLASS_STUN);

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_add_u32(&b, STUN_A_PRIORITY, 1);
	assert_int_equal(stun_finish(&b, &len), STUN_OK);
	assert_int_equal(relay_classify(buf, len), RELAY_CLASS_STUN);
	assert_int_equal(relay_classify(buf, len + 4), RELAY_CLASS_WIREGUARD); /* length no fit */
	assert_int_equal(relay_classify(buf, len - 4), RELAY_CLASS_WIREGUARD);
	buf[4] ^= 1;
	assert_int_equal(relay_classify(buf, len), RELAY_CLASS_WIREGUARD); /* no cookie */
	buf[4] ^= 1;
	buf[0] = 0x04; /* first byte 4: not STUN by RFC 7983 */
	assert_int_equal(relay_classify(buf, len), RELAY_CLASS_WIREGUARD);

	len = (size_t)cd_build(buf, sizeof(buf), 0x4000, (const uint8_t *)"wg", 2, false);
	assert_int_equal(relay_classify(buf, len), RELAY_CLASS_CHANNELDATA);
	assert_int_equal(relay_classify(buf, 8), RELAY_CLASS_CHANNELDATA); /* padded */
	assert_int_equal(relay_classify(buf, 9), RELAY_CLASS_WIREGUARD);
	buf[0] = 0x50;
	assert_int_equal(relay_classify(buf, len), RELAY_CLASS_WIREGUARD);
	assert_int_equal(relay_classify(NULL, 0), RELAY_CLASS_WIREGUARD);
	assert_int_equal(relay_classify(buf, 0), RELAY_CLASS_WIREGUARD);
	assert_string_equal(relay_class_name(RELAY_CLASS_CHANNELDATA), "channeldata");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_channeldata_roundtrip),
		cmocka_unit_test(test_channeldata_table),
		cmocka_unit_test(test_channeldata_stream),
		cmocka_unit_test(test_classifier),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
