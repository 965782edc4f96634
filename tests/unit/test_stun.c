/* SPDX-License-Identifier: Apache-2.0 */
/* The STUN codec: the four RFC 5769 vectors parsed, verified and rebuilt byte for byte, and a
 * table of malformed messages each refused with the error that names what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stun.h"

/* RFC 5769 §2.1: a Binding request, short-term credentials, padding bytes 0x20. */
static const uint8_t req[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e,
	0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24,
	0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1,
	0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68,
	0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
	0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5,
	0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* §2.2: the IPv4 response, XOR-MAPPED-ADDRESS 192.0.2.1:32853. */
static const uint8_t resp4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
	0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01,
	0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99,
	0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b,
	0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* §2.3: the IPv6 response, [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
static const uint8_t resp6[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
	0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02,
	0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5,
	0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6,
	0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* §2.4: a request with long-term credentials (no FINGERPRINT, zero padding). */
static const uint8_t req_lt[] = {
	0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
	0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3,
	0x83, 0x88, 0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9,
	0x00, 0x00, 0x00, 0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39,
	0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54,
	0x76, 0x79, 0x36, 0x34, 0x73, 0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x08, 0x00, 0x14, 0xf6, 0x70,
	0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2,
	0x8c, 0xa8, 0x96, 0x66,
};

static const char short_pwd[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const char lt_user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
static const char lt_nonce[] = "f//499k954d6OL34oL9FSTvy64sA";
static const char lt_pass[] = "TheMatrIX"; /* the RFC's password after SASLprep */

static void text_is(const struct stun_msg *m, uint16_t type, const char *want)
{
	const char *s;
	size_t n;

	assert_int_equal(stun_get_text(m, type, &s, &n), STUN_OK);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(s, want, n);
}

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(stun_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
	assert_int_equal(stun_crc32(NULL, 0), 0);
}

static void test_vector_request(void **state)
{
	struct stun_msg m;
	uint32_t prio;
	uint64_t tie;
	uint8_t bad[sizeof(req)];

	(void)state;
	assert_int_equal(stun_parse(&m, req, sizeof(req)), STUN_OK);
	assert_int_equal(m.method, STUN_BINDING);
	assert_int_equal(m.cls, STUN_REQUEST);
	assert_int_equal(m.n_attrs, 6);
	assert_int_equal(m.n_unknown, 0);
	text_is(&m, STUN_A_SOFTWARE, "STUN test client");
	text_is(&m, STUN_A_USERNAME, "evtj:h6vY");
	assert_int_equal(stun_get_u32(&m, STUN_A_PRIORITY, &prio), STUN_OK);
	assert_int_equal(prio, 0x6e0001ff);
	assert_int_equal(stun_get_u64(&m, STUN_A_ICE_CONTROLLED, &tie), STUN_OK);
	assert_true(tie == 0x932ff9b151263b36ull);
	assert_int_equal(stun_check_integrity(&m, (const uint8_t *)short_pwd, strlen(short_pwd)),
			 STUN_OK);
	assert_int_equal(stun_check_integrity(&m, (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBu", 22),
			 STUN_E_INTEGRITY);
	assert_int_equal(stun_check_fingerprint(&m), STUN_OK);
	assert_int_equal(stun_check_integrity_sha256(&m, (const uint8_t *)"k", 1), STUN_E_ABSENT);

	memcpy(bad, req, sizeof(req));
	bad[sizeof(req) - 1] ^= 1;
	assert_int_equal(stun_parse(&m, bad, sizeof(bad)), STUN_OK);
	assert_int_equal(stun_check_fingerprint(&m), STUN_E_FINGERPRINT);
	/* the priority changed and the fingerprint redone: the integrity catches it */
	memcpy(bad, req, sizeof(req));
	bad[44] ^= 1;
	assert_int_equal(stun_parse(&m, bad, sizeof(bad)), STUN_OK);
	assert_int_equal(stun_check_integrity(&m, (const uint8_t *)short_pwd, strlen(short_pwd)),
			 STUN_E_INTEGRITY);
}

static void check_response(const uint8_t *msg, size_t len, uint8_t family, const uint8_t *ip)
{
	struct stun_msg m;
	struct stun_addr a;

	assert_int_equal(stun_parse(&m, msg, len), STUN_OK);
	assert_int_equal(m.method, STUN_BINDING);
	assert_int_equal(m.cls, STUN_SUCCESS);
	text_is(&m, STUN_A_SOFTWARE, "test vector");
	assert_int_equal(stun_get_addr(&m, STUN_A_XOR_MAPPED_ADDRESS, &a), STUN_OK);
	assert_int_equal(a.family, family);
	assert_int_equal(a.port, 32853);
	assert_memory_equal(a.ip, ip, family == 4 ? 4 : 16);
	assert_int_equal(stun_get_addr(&m, STUN_A_MAPPED_ADDRESS, &a), STUN_E_ABSENT);
	assert_int_equal(stun_check_integrity(&m, (const uint8_t *)short_pwd, strlen(short_pwd)),
			 STUN_OK);
	assert_int_equal(stun_check_fingerprint(&m), STUN_OK);
}

static void test_vector_responses(void **state)
{
	static const uint8_t ip4[] = { 192, 0, 2, 1 };
	static const uint8_t ip6[] = { 0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
				       0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };

	(void)state;
	check_response(resp4, sizeof(resp4), 4, ip4);
	check_response(resp6, sizeof(resp6), 6, ip6);
}

static void test_vector_long_term(void **state)
{
	uint8_t key[STUN_LONG_TERM_KEY_LEN], wrong[STUN_LONG_TERM_KEY_LEN];
	struct stun_msg m;

	(void)state;
	assert_int_equal(stun_parse(&m, req_lt, sizeof(req_lt)), STUN_OK);
	text_is(&m, STUN_A_USERNAME, lt_user);
	text_is(&m, STUN_A_NONCE, lt_nonce);
	text_is(&m, STUN_A_REALM, "example.org");
	assert_int_equal(stun_check_fingerprint(&m), STUN_E_ABSENT);
	assert_int_equal(stun_long_term_key(lt_user, "example.org", lt_pass, key), STUN_OK);
	assert_int_equal(stun_check_integrity(&m, key, sizeof(key)), STUN_OK);
	assert_int_equal(stun_long_term_key(lt_user, "example.org", "TheMatrix", wrong), STUN_OK);
	assert_int_equal(stun_check_integrity(&m, wrong, sizeof(wrong)), STUN_E_INTEGRITY);
}

/* The vectors pad with spaces; our builder pads with zeros. The test writes the RFC's padding
 * bytes into the buffer before the integrity is computed, to prove MI and FINGERPRINT exact. */
static void space_pad(struct stun_builder *b, size_t value_len)
{
	size_t end = (value_len + 3) & ~(size_t)3;

	for (; value_len < end; value_len++)
		b->buf[b->len - end + value_len] = 0x20;
}

static void test_rebuild_vectors(void **state)
{
	uint8_t buf[256], key[STUN_LONG_TERM_KEY_LEN];
	struct stun_builder b;
	struct stun_addr a = { .family = 4, .port = 32853, .ip = { 192, 0, 2, 1 } };
	struct stun_addr a6 = { .family = 6, .port = 32853,
				.ip = { 0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x00, 0x11,
					0x22, 0x33, 0x44, 0x55, 0x66, 0x77 } };
	size_t len;

	(void)state;
	memset(buf, 0xAA, sizeof(buf)); /* whatever the buffer held must not leak */
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, req + 8);
	stun_add_text(&b, STUN_A_SOFTWARE, "STUN test client");
	stun_add_u32(&b, STUN_A_PRIORITY, 0x6e0001ff);
	stun_add_u64(&b, STUN_A_ICE_CONTROLLED, 0x932ff9b151263b36ull);
	stun_add_text(&b, STUN_A_USERNAME, "evtj:h6vY");
	space_pad(&b, 9);
	stun_add_integrity(&b, (const uint8_t *)short_pwd, strlen(short_pwd));
	stun_add_fingerprint(&b);
	assert_int_equal(stun_finish(&b, &len), STUN_OK);
	assert_int_equal(len, sizeof(req));
	assert_memory_equal(buf, req, sizeof(req));
	for (size_t i = len; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, resp4 + 8);
	stun_add_text(&b, STUN_A_SOFTWARE, "test vector");
	space_pad(&b, 11);
	stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &a);
	stun_add_integrity(&b, (const uint8_t *)short_pwd, strlen(short_pwd));
	stun_add_fingerprint(&b);
	assert_int_equal(stun_finish(&b, &len), STUN_OK);
	assert_int_equal(len, sizeof(resp4));
	assert_memory_equal(buf, resp4, sizeof(resp4));

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, resp6 + 8);
	stun_add_text(&b, STUN_A_SOFTWARE, "test vector");
	space_pad(&b, 11);
	stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &a6);
	stun_add_integrity(&b, (const uint8_t *)short_pwd, strlen(short_pwd));
	stun_add_fingerprint(&b);
	assert_int_equal(stun_finish(&b, &len), STUN_OK);
	assert_int_equal(len, sizeof(resp6));
	assert_memory_equal(buf, resp6, sizeof(resp6));

	/* the long-term one is zero padded: no help needed */
	assert_int_equal(stun_long_term_key(lt_user, "example.org", lt_pass, key), STUN_OK);
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, req_lt + 8);
	stun_add_text(&b, STUN_A_USERNAME, lt_user);
	stun_add_text(&b, STUN_A_NONCE, lt_nonce);
	stun_add_text(&b, STUN_A_REALM, "example.org");
	stun_add_integrity(&b, key, sizeof(key));
	assert_int_equal(stun_finish(&b, &len), STUN_OK);
	assert_int_equal(len, sizeof(req_lt));
	assert_memory_equal(buf, req_lt, sizeof(req_lt));
}

static void test_turn_attributes(void **state)
{
	static const uint8_t tid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	struct stun_addr peer = { .family = 6, .port = 51820, .ip = { 0xfd, 0, 0, 0, 0, 0, 0, 0,
								    0, 0, 0, 0, 0, 0, 0, 9 } };
	struct stun_addr relayed[2], got;
	uint8_t buf[512], proto, fam;
	const char *reason;
	struct stun_builder b;
	struct stun_msg m;
	uint16_t ch;
	size_t len, rl;
	int code;

	(void)state;
	stun_build_init(&b, buf, sizeof(buf), STUN_ALLOCATE, STUN_ERROR, tid);
	stun_add_error(&b, 438, "Stale Nonce");
	stun_add_transport(&b, 17);
	stun_add_family(&b, STUN_A_ADDITIONAL_ADDRESS_FAMILY, 6);
	stun_add_channel(&b, 0x4abc);
	stun_add_addr(&b, STUN_A_XOR_PEER_ADDRESS, &peer);
	peer.family = 4;
	stun_add_addr(&b, STUN_A_XOR_RELAYED_ADDRESS, &peer);
	peer.family = 6;
	stun_add_addr(&b, STUN_A_XOR_RELAYED_ADDRESS, &peer);
	stun_add_u32(&b, STUN_A_LIFETIME, 600);
	stun_add(&b, STUN_A_USE_CANDIDATE, NULL, 0);
	stun_add_u64(&b, STUN_A_ICE_CONTROLLING, 42);
	stun_add_integrity(&b, (const uint8_t *)"k", 1);
	stun_add_integrity_sha256(&b, (const uint8_t *)"k", 1);
	stun_add_fingerprint(&b);
	assert_int_equal(stun_finish(&b, &len), STUN_OK);

	assert_int_equal(stun_parse(&m, buf, len), STUN_OK);
	assert_int_equal(m.method, STUN_ALLOCATE);
	assert_int_equal(m.cls, STUN_ERROR);
	assert_memory_equal(m.tid, tid, 12);
	assert_int_equal(stun_get_error(&m, &code, &reason, &rl), STUN_OK);
	assert_int_equal(code, 438);
	assert_int_equal(rl, 11);
	assert_int_equal(stun_get_transport(&m, &proto), STUN_OK);
	assert_int_equal(proto, 17);
	assert_int_equal(stun_get_family(&m, STUN_A_ADDITIONAL_ADDRESS_FAMILY, &fam), STUN_OK);
	assert_int_equal(fam, 6);
	assert_int_equal(stun_get_channel(&m, &ch), STUN_OK);
	assert_int_equal(ch, 0x4abc);
	assert_int_equal(stun_get_addr(&m, STUN_A_XOR_PEER_ADDRESS, &got), STUN_OK);
	assert_true(got.family == 6 && got.port == 51820 && got.ip[15] == 9 && got.ip[0] == 0xfd);
	assert_int_equal(stun_get_addrs(&m, STUN_A_XOR_RELAYED_ADDRESS, relayed, 2), 2);
	assert_int_equal(relayed[0].family, 4);
	assert_int_equal(relayed[1].family, 6);
	assert_true(stun_has(&m, STUN_A_USE_CANDIDATE));
	assert_int_equal(stun_check_integrity(&m, (const uint8_t *)"k", 1), STUN_OK);
	assert_int_equal(stun_check_integrity_sha256(&m, (const uint8_t *)"k", 1), STUN_OK);
	assert_int_equal(stun_check_integrity_sha256(&m, (const uint8_t *)"j", 1), STUN_E_INTEGRITY);
	assert_int_equal(stun_check_fingerprint(&m), STUN_OK);

	/* the builder refuses what would be malformed */
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_add_channel(&b, 0x5000);
	assert_int_equal(stun_finish(&b, &len), STUN_E_ARG);
	stun_build_init(&b, buf, 40, STUN_BINDING, STUN_REQUEST, tid);
	stun_add(&b, STUN_A_DATA, buf, 17); /* 4 + 20 > 20 bytes left */
	assert_int_equal(stun_finish(&b, &len), STUN_E_SPACE);
	assert_int_equal(len, 0);
	stun_build_init(&b, buf, 19, STUN_BINDING, STUN_REQUEST, tid);
	assert_int_equal(stun_finish(&b, &len), STUN_E_SPACE);
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_add_integrity(&b, NULL, 0);
	assert_int_equal(stun_finish(&b, &len), STUN_E_ARG);
}

struct bad_case {
	const char *name;
	size_t at;   /* byte to change in a copy of req_lt (SIZE_MAX: none) */
	uint8_t val;
	int cut;     /* bytes removed from the end (header length unchanged) */
	int want;
};

static void test_malformed_table(void **state)
{
	static const struct bad_case cases[] = {
		{ "top bits of the type", 0, 0x40, 0, STUN_E_TYPE },
		{ "cookie", 4, 0x20, 0, STUN_E_COOKIE },
		{ "length not a multiple of 4", 3, 0x61, 0, STUN_E_LENGTH },
		{ "length longer than the datagram", 3, 0x64, 0, STUN_E_LENGTH },
		{ "length shorter than the datagram", 3, 0x5c, 0, STUN_E_LENGTH },
		{ "datagram cut (length unchanged)", SIZE_MAX, 0, 4, STUN_E_LENGTH },
		{ "attribute longer than what is left", 22, 0xff, 0, STUN_E_ATTR_TRUNC },
		{ "odd length whose padding passes the end", 95, 0x15, 0, STUN_E_ATTR_TRUNC },
		{ "MESSAGE-INTEGRITY of 16 bytes", 95, 0x10, 0, STUN_E_MI_LEN },
	};
	uint8_t buf[sizeof(req_lt)];
	struct stun_msg m;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, req_lt, sizeof(buf));
		if (cases[i].at != SIZE_MAX)
			buf[cases[i].at] = cases[i].val;
		n = sizeof(buf) - (size_t)cases[i].cut;
		print_message("%s\n", cases[i].name);
		assert_int_equal(stun_parse(&m, buf, n), cases[i].want);
	}
	/* every truncation of every vector is refused, never read past */
	for (n = 0; n < sizeof(req); n++)
		assert_int_not_equal(stun_parse(&m, req, n), STUN_OK);
	for (n = 0; n < sizeof(req_lt); n++)
		assert_int_not_equal(stun_parse(&m, req_lt, n), STUN_OK);
	assert_int_equal(stun_parse(&m, NULL, 0), STUN_E_SHORT);
}

static size_t frame(uint8_t *buf, const uint8_t *attrs, size_t n)
{
	memset(buf, 0, 20);
	buf[1] = 0x01;
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	buf[4] = 0x21, buf[5] = 0x12, buf[6] = 0xA4, buf[7] = 0x42;
	memcpy(buf + 20, attrs, n);
	return 20 + n;
}

static void test_attribute_rules(void **state)
{
	/* FINGERPRINT then SOFTWARE: nothing may follow FINGERPRINT */
	static const uint8_t after_fp[] = { 0x80, 0x28, 0, 4, 1, 2, 3, 4, 0x80, 0x22, 0, 0 };
	/* FINGERPRINT of 8 bytes */
	static const uint8_t fp_len[] = { 0x80, 0x28, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
	/* an unknown comprehension-required type, and an unknown optional one */
	static const uint8_t unknown[] = { 0x00, 0x7f, 0, 0, 0xc0, 0x01, 0, 0 };
	/* XOR-MAPPED-ADDRESS: family 3; IPv4 with 20 bytes; reserved byte set */
	static const uint8_t bad_addr[] = { 0x00, 0x20, 0, 8, 0, 3, 0, 0, 1, 2, 3, 4 };
	static const uint8_t bad_addr2[] = { 0x00, 0x20, 0, 8, 1, 1, 0, 0, 1, 2, 3, 4 };
	/* ERROR-CODE class 7; lifetime of 3 bytes; channel 0x3fff */
	static const uint8_t bad_err[] = { 0x00, 0x09, 0, 4, 0, 0, 7, 0 };
	static const uint8_t bad_life[] = { 0x00, 0x0d, 0, 3, 0, 0, 2, 0 };
	static const uint8_t bad_chan[] = { 0x00, 0x0c, 0, 4, 0x3f, 0xff, 0, 0 };
	/* an attribute after MESSAGE-INTEGRITY is not counted */
	uint8_t smuggled[24 + 12] = { 0x00, 0x08, 0, 20 };
	uint8_t buf[128];
	struct stun_msg m;
	struct stun_addr a;
	uint32_t u;
	uint16_t ch;
	const char *r;
	size_t rl;
	int code;

	(void)state;
	assert_int_equal(stun_parse(&m, buf, frame(buf, after_fp, sizeof(after_fp))),
			 STUN_E_AFTER_FP);
	assert_int_equal(stun_parse(&m, buf, frame(buf, fp_len, sizeof(fp_len))), STUN_E_FP_LEN);
	assert_int_equal(stun_parse(&m, buf, frame(buf, unknown, sizeof(unknown))), STUN_OK);
	assert_int_equal(m.n_unknown, 1);
	assert_int_equal(m.unknown[0], 0x007f);
	assert_int_equal(stun_parse(&m, buf, frame(buf, bad_addr, sizeof(bad_addr))), STUN_OK);
	assert_int_equal(stun_get_addr(&m, STUN_A_XOR_MAPPED_ADDRESS, &a), STUN_E_ATTR_VALUE);
	assert_int_equal(stun_parse(&m, buf, frame(buf, bad_addr2, sizeof(bad_addr2))), STUN_OK);
	assert_int_equal(stun_get_addr(&m, STUN_A_XOR_MAPPED_ADDRESS, &a), STUN_E_ATTR_VALUE);
	assert_int_equal(stun_parse(&m, buf, frame(buf, bad_err, sizeof(bad_err))), STUN_OK);
	assert_int_equal(stun_get_error(&m, &code, &r, &rl), STUN_E_ATTR_VALUE);
	assert_int_equal(stun_parse(&m, buf, frame(buf, bad_life, sizeof(bad_life))), STUN_OK);
	assert_int_equal(stun_get_u32(&m, STUN_A_LIFETIME, &u), STUN_E_ATTR_VALUE);
	assert_int_equal(stun_parse(&m, buf, frame(buf, bad_chan, sizeof(bad_chan))), STUN_OK);
	assert_int_equal(stun_get_channel(&m, &ch), STUN_E_ATTR_VALUE);
	memcpy(smuggled + 24, bad_addr2, sizeof(bad_addr2));
	smuggled[24 + 5] = 0x01;
	smuggled[24 + 4] = 0;
	assert_int_equal(stun_parse(&m, buf, frame(buf, smuggled, sizeof(smuggled))), STUN_OK);
	assert_int_equal(m.n_attrs, 1);
	assert_int_equal(stun_get_addr(&m, STUN_A_XOR_MAPPED_ADDRESS, &a), STUN_E_ABSENT);
	assert_string_equal(stun_strerror(STUN_E_COOKIE), "magic cookie missing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_vector_request),
		cmocka_unit_test(test_vector_responses),
		cmocka_unit_test(test_vector_long_term),
		cmocka_unit_test(test_rebuild_vectors),
		cmocka_unit_test(test_turn_attributes),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_attribute_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
