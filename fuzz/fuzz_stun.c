/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes the STUN codec with a datagram. Oracles:
 *  - the classifier and the parser agree on the header: a datagram the classifier calls STUN
 *    never fails the parser's header checks, and one the parser takes (first byte 0-3) is STUN;
 *  - every typed getter on every attribute stays in bounds; an address that decodes encodes
 *    back to the same bytes;
 *  - the rebuild: the attributes that count, added again with MESSAGE-INTEGRITY and FINGERPRINT,
 *    parse back to the same attributes and verify; without either, the rebuild equals the input
 *    with its padding zeroed.
 */
#include <string.h>

#include "../modules/relay/demux.h"
#include "../modules/relay/stun.h"
#include "fuzz.h"

#define MAX_MSG (STUN_HEADER_LEN + 0xFFFF + 64)

static const uint8_t key[] = "fuzz-key";

static void getters(const struct stun_msg *m)
{
	struct stun_addr a, many[4];
	const char *s;
	size_t n;
	uint64_t u64;
	uint32_t u32;
	uint16_t ch;
	uint8_t u8;
	int code;
	unsigned i;

	for (i = 0; i < m->n_attrs; i++) {
		const struct stun_attr *at = &m->attrs[i];
		const uint8_t *v = stun_value(m, at);
		uint8_t enc[20];

		CHECK(at->off + at->len <= m->len);
		if (stun_addr_decode(v, at->len, stun_attr_is_xor(at->type), m->tid, &a) == STUN_OK) {
			CHECK(stun_addr_encode(enc, &a, stun_attr_is_xor(at->type), m->tid) == at->len);
			CHECK(!memcmp(enc, v, at->len));
		}
		stun_get_addr(m, at->type, &a);
		stun_get_addrs(m, at->type, many, 4);
		stun_get_u32(m, at->type, &u32);
		stun_get_u64(m, at->type, &u64);
		if (stun_get_text(m, at->type, &s, &n) == STUN_OK)
			CHECK(n <= STUN_MAX_TEXT && (const uint8_t *)s + n <= m->buf + m->len);
		stun_get_family(m, at->type, &u8);
	}
	if (stun_get_error(m, &code, &s, &n) == STUN_OK)
		CHECK(code >= 300 && code <= 699 && (const uint8_t *)s + n <= m->buf + m->len);
	if (stun_get_channel(m, &ch) == STUN_OK)
		CHECK(ch >= 0x4000 && ch <= 0x4FFF);
	stun_get_transport(m, &u8);
}

static bool is_auth(uint16_t type)
{
	return type == STUN_A_MESSAGE_INTEGRITY || type == STUN_A_MESSAGE_INTEGRITY_SHA256 ||
	       type == STUN_A_FINGERPRINT;
}

static void rebuild(const struct stun_msg *m, bool with_auth)
{
	static uint8_t out[MAX_MSG], want[MAX_MSG];
	struct stun_builder b;
	struct stun_msg r;
	size_t len;
	unsigned i, j, kept = 0;

	stun_build_init(&b, out, sizeof(out), m->method, m->cls, m->tid);
	for (i = 0; i < m->n_attrs; i++) {
		if (is_auth(m->attrs[i].type))
			continue;
		stun_add(&b, m->attrs[i].type, stun_value(m, &m->attrs[i]), m->attrs[i].len);
		kept++;
	}
	if (with_auth) {
		stun_add_integrity(&b, key, sizeof(key));
		stun_add_fingerprint(&b);
	}
	if (stun_finish(&b, &len) != STUN_OK) {
		CHECK(b.err == STUN_E_SPACE); /* only a message near the 64 KiB limit */
		return;
	}
	CHECK(stun_parse(&r, out, len) == STUN_OK);
	CHECK(r.method == m->method && r.cls == m->cls && !memcmp(r.tid, m->tid, STUN_TID_LEN));
	CHECK(r.n_attrs == kept + (with_auth ? 2 : 0));
	for (i = 0, j = 0; i < m->n_attrs; i++) {
		if (is_auth(m->attrs[i].type))
			continue;
		CHECK(r.attrs[j].type == m->attrs[i].type && r.attrs[j].len == m->attrs[i].len);
		CHECK(!memcmp(stun_value(&r, &r.attrs[j]), stun_value(m, &m->attrs[i]),
			      m->attrs[i].len));
		j++;
	}
	if (with_auth) {
		CHECK(stun_check_integrity(&r, key, sizeof(key)) == STUN_OK);
		CHECK(stun_check_fingerprint(&r) == STUN_OK);
		return;
	}
	/* no integrity, no fingerprint: every attribute counted, so the bytes come back */
	CHECK(len == m->len);
	memcpy(want, m->buf, len);
	for (i = 0; i < m->n_attrs; i++) {
		size_t end = m->attrs[i].off + m->attrs[i].len, pend = m->attrs[i].off +
								 ((m->attrs[i].len + 3u) & ~3u);

		memset(want + end, 0, pend - end);
	}
	CHECK(!memcmp(out, want, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m;
	int err = stun_parse(&m, data, size);
	enum relay_class c = relay_classify(data, size);

	if (c == RELAY_CLASS_STUN)
		CHECK(err != STUN_E_SHORT && err != STUN_E_TYPE && err != STUN_E_COOKIE &&
		      err != STUN_E_LENGTH);
	if (err != STUN_OK)
		return 0;
	if (data[0] <= 3)
		CHECK(c == RELAY_CLASS_STUN);
	getters(&m);
	stun_check_integrity(&m, key, sizeof(key));
	stun_check_integrity_sha256(&m, key, sizeof(key));
	stun_check_fingerprint(&m);
	rebuild(&m, true);
	if (m.mi < 0 && m.mi256 < 0 && m.fp < 0)
		rebuild(&m, false);
	return 0;
}
