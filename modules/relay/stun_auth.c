/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STUN integrity (HMAC-SHA1, HMAC-SHA256, compared in constant time), the long-term key
 * (MD5, RFC 8489 §9.2.2) and FINGERPRINT (CRC-32). The CRC is a table-free loop here rather
 * than zlib: FINGERPRINT covers only control messages of a few hundred bytes, and this keeps the
 * module on the libraries the project already links (libcrypto has no public CRC-32).
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "stun.h"

uint32_t stun_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
	}
	return ~c;
}

/* HMAC over a header whose length field is replaced, then the body up to the attribute. */
static int hmac(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *hdr,
		const uint8_t *body, size_t body_len, uint8_t *out, size_t out_cap)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;
	size_t n = 0;
	int ok = 0;

	if (!key || !key_len)
		return STUN_E_ARG;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac)
		ctx = EVP_MAC_CTX_new(mac);
	if (ctx && EVP_MAC_init(ctx, key, key_len, params) && EVP_MAC_update(ctx, hdr, 20) &&
	    EVP_MAC_update(ctx, body, body_len) && EVP_MAC_final(ctx, out, &n, out_cap))
		ok = n == out_cap;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok ? STUN_OK : STUN_E_CRYPTO;
}

/* The MAC of the message bytes before attribute value @off whose value is @len long. */
static int mac_before(const char *digest, const uint8_t *msg, size_t off, size_t len,
		      const uint8_t *key, size_t key_len, uint8_t *out, size_t out_cap)
{
	uint8_t hdr[STUN_HEADER_LEN];
	size_t body = off + len - STUN_HEADER_LEN;

	memcpy(hdr, msg, sizeof(hdr));
	hdr[2] = (uint8_t)(body >> 8);
	hdr[3] = (uint8_t)body;
	return hmac(digest, key, key_len, hdr, msg + STUN_HEADER_LEN, off - 4 - STUN_HEADER_LEN,
		    out, out_cap);
}

static int check(const struct stun_msg *m, int idx, const char *digest, const uint8_t *key,
		 size_t key_len)
{
	uint8_t mac[STUN_HMAC_SHA256_LEN];
	const struct stun_attr *a;
	size_t full = strcmp(digest, "SHA1") ? STUN_HMAC_SHA256_LEN : STUN_HMAC_SHA1_LEN;
	int err;

	if (idx < 0)
		return STUN_E_ABSENT;
	a = &m->attrs[idx];
	err = mac_before(digest, m->buf, a->off, a->len, key, key_len, mac, full);
	if (err)
		return err;
	/* SHA256 may be truncated to 16..32 bytes (the parser checked a->len) */
	err = CRYPTO_memcmp(mac, m->buf + a->off, a->len) ? STUN_E_INTEGRITY : STUN_OK;
	OPENSSL_cleanse(mac, sizeof(mac));
	return err;
}

int stun_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t key_len)
{
	return check(m, m->mi, "SHA1", key, key_len);
}

int stun_check_integrity_sha256(const struct stun_msg *m, const uint8_t *key, size_t key_len)
{
	return check(m, m->mi256, "SHA256", key, key_len);
}

int stun_check_fingerprint(const struct stun_msg *m)
{
	const struct stun_attr *a;
	const uint8_t *v;
	uint32_t want, got;

	if (m->fp < 0)
		return STUN_E_ABSENT;
	a = &m->attrs[m->fp]; /* the last attribute: the header length already covers it */
	v = m->buf + a->off;
	got = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
	want = stun_crc32(m->buf, a->off - 4) ^ STUN_FINGERPRINT_XOR;
	return got == want ? STUN_OK : STUN_E_FINGERPRINT;
}

int stun_long_term_key(const char *user, const char *realm, const char *pass,
		       uint8_t out[STUN_LONG_TERM_KEY_LEN])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned n = 0;
	int ok;

	ok = c && EVP_DigestInit_ex(c, EVP_md5(), NULL) &&
	     EVP_DigestUpdate(c, user, strlen(user)) && EVP_DigestUpdate(c, ":", 1) &&
	     EVP_DigestUpdate(c, realm, strlen(realm)) && EVP_DigestUpdate(c, ":", 1) &&
	     EVP_DigestUpdate(c, pass, strlen(pass)) && EVP_DigestFinal_ex(c, out, &n) &&
	     n == STUN_LONG_TERM_KEY_LEN;
	EVP_MD_CTX_free(c);
	return ok ? STUN_OK : STUN_E_CRYPTO;
}

static void add_mac(struct stun_builder *b, uint16_t type, const char *digest, size_t len,
		    const uint8_t *key, size_t key_len)
{
	uint8_t *v = stun_reserve(b, type, len);
	int err;

	if (!v)
		return;
	err = mac_before(digest, b->buf, (size_t)(v - b->buf), len, key, key_len, v, len);
	if (err)
		b->err = err;
}

void stun_add_integrity(struct stun_builder *b, const uint8_t *key, size_t key_len)
{
	add_mac(b, STUN_A_MESSAGE_INTEGRITY, "SHA1", STUN_HMAC_SHA1_LEN, key, key_len);
}

void stun_add_integrity_sha256(struct stun_builder *b, const uint8_t *key, size_t key_len)
{
	add_mac(b, STUN_A_MESSAGE_INTEGRITY_SHA256, "SHA256", STUN_HMAC_SHA256_LEN, key, key_len);
}

void stun_add_fingerprint(struct stun_builder *b)
{
	uint8_t *v = stun_reserve(b, STUN_A_FINGERPRINT, 4);
	uint32_t c;

	if (!v)
		return;
	c = stun_crc32(b->buf, (size_t)(v - b->buf) - 4) ^ STUN_FINGERPRINT_XOR;
	v[0] = (uint8_t)(c >> 24);
	v[1] = (uint8_t)(c >> 16);
	v[2] = (uint8_t)(c >> 8);
	v[3] = (uint8_t)c;
}
