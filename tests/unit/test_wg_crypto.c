/* SPDX-License-Identifier: Apache-2.0 */
/* Known-answer tests: BLAKE2s (RFC 7693), HMAC, KDF, Ci/Hi, AEADs (RFC 8439, XChaCha), X25519 (RFC 7748). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "blake2s.h"
#include "kdf.h"

static void hex(uint8_t *out, const char *h, size_t n)
{
	size_t len;

	assert_int_equal(sodium_hex2bin(out, n, h, strlen(h), NULL, &len, NULL), 0);
	assert_int_equal(len, n);
}

static void assert_hex(const uint8_t *got, const char *want)
{
	char buf[1024];

	sodium_bin2hex(buf, sizeof(buf), got, strlen(want) / 2);
	assert_string_equal(buf, want);
}

static void test_blake2s_abc(void **state)
{
	uint8_t out[32];

	fzgw_wg_blake2s(out, 32, "abc", 3, NULL, 0);
	assert_hex(out, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
}

/* RFC 7693 Appendix E: deterministic input sequence. */
static void selftest_seq(uint8_t *out, size_t len, uint32_t seed)
{
	uint32_t t, a = 0xDEAD4BAD * seed, b = 1;

	for (size_t i = 0; i < len; i++) {
		t = a + b;
		a = b;
		b = t;
		out[i] = (uint8_t)(t >> 24);
	}
}

/* RFC 7693 Appendix E self-test: keyed and unkeyed hashes of several
 * lengths and digest sizes, hashed together. */
static void test_blake2s_rfc7693_selftest(void **state)
{
	static const size_t md_len[4] = { 16, 20, 28, 32 };
	static const size_t in_len[6] = { 0, 3, 64, 65, 255, 1024 };
	struct fzgw_wg_blake2s ctx;
	uint8_t in[1024], md[32], key[32];

	fzgw_wg_blake2s_init(&ctx, 32, NULL, 0);
	for (int i = 0; i < 4; i++) {
		size_t outlen = md_len[i];

		for (int j = 0; j < 6; j++) {
			size_t inlen = in_len[j];

			selftest_seq(in, inlen, (uint32_t)inlen);
			fzgw_wg_blake2s(md, outlen, in, inlen, NULL, 0);
			fzgw_wg_blake2s_update(&ctx, md, outlen);
			selftest_seq(key, outlen, (uint32_t)outlen);
			fzgw_wg_blake2s(md, outlen, in, inlen, key, outlen);
			fzgw_wg_blake2s_update(&ctx, md, outlen);
		}
	}
	fzgw_wg_blake2s_final(&ctx, md);
	assert_hex(md, "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe");
}

/* Every length 0..255, unkeyed, keyed and with every digest/key size;
 * the grand hash was computed with Python's hashlib.blake2s. */
static void test_blake2s_lengths_0_255(void **state)
{
	struct fzgw_wg_blake2s g;
	uint8_t buf[256], key[32], md[32];

	for (int i = 0; i < 256; i++)
		buf[i] = (uint8_t)i;
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	fzgw_wg_blake2s_init(&g, 32, NULL, 0);
	for (size_t n = 0; n < 256; n++) {
		size_t k = n % 32 + 1;

		fzgw_wg_blake2s(md, 32, buf, n, NULL, 0);
		fzgw_wg_blake2s_update(&g, md, 32);
		fzgw_wg_blake2s(md, 32, buf, n, key, 32);
		fzgw_wg_blake2s_update(&g, md, 32);
		fzgw_wg_blake2s(md, k, buf, n, key, k);
		fzgw_wg_blake2s_update(&g, md, k);
	}
	fzgw_wg_blake2s_final(&g, md);
	assert_hex(md, "85f3981b5f7edc6f349d301e32ac2366ce210d96f18af2f322d6c3bf98fb8391");
}

/* Streaming in odd pieces gives the one-shot result. */
static void test_blake2s_incremental(void **state)
{
	uint8_t buf[1000], one[32], inc[32];
	struct fzgw_wg_blake2s s;
	size_t off = 0, step = 1;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	fzgw_wg_blake2s(one, 32, buf, sizeof(buf), "k", 1);
	fzgw_wg_blake2s_init(&s, 32, "k", 1);
	while (off < sizeof(buf)) {
		size_t n = step < sizeof(buf) - off ? step : sizeof(buf) - off;

		fzgw_wg_blake2s_update(&s, buf + off, n);
		off += n;
		step = step * 3 % 97 + 1;
	}
	fzgw_wg_blake2s_final(&s, inc);
	assert_memory_equal(one, inc, 32);
}

/* HMAC-BLAKE2s against Python's hmac module (RFC 2104 with hashlib.blake2s). */
static void test_hmac_blake2s(void **state)
{
	static const char fox[] = "The quick brown fox jumps over the lazy dog";
	uint8_t out[32], longkey[100];

	fzgw_wg_hmac_blake2s(out, fox, sizeof(fox) - 1, "key", 3);
	assert_hex(out, "f93215bb90d4af4c3061cd932fb169fb8bb8a91d0b4022baea1271e1323cd9a0");
	for (int i = 0; i < 100; i++)
		longkey[i] = (uint8_t)i;
	fzgw_wg_hmac_blake2s(out, "long key", 8, longkey, sizeof(longkey));
	assert_hex(out, "096d2dec44b647196383c466daf27592cf0c187793f83d1e9f8a19efc137d0d1");
}

/* wireguard-go device/kdf_test.go vectors. */
static void test_kdf(void **state)
{
	static const struct {
		const char *key, *input, *t0, *t1, *t2;
	} v[] = {
		{ "746573742d6b6579", "746573742d696e707574",
		  "6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633",
		  "df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a",
		  "fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24" },
		{ "776972656775617264", "776972656775617264",
		  "491d43bbfdaa8750aaf535e334ecbfe5129967cd64635101c566d4caefda96e8",
		  "1e71a379baefd8a79aa4662212fcafe19a23e2b609a3db7d6bcba8f560e3d25f",
		  "31e1ae48bddfbe5de38f295e5452b1909a1b4e38e183926af3780b0c1e1f0160" },
		{ "", "",
		  "8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0",
		  "58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e",
		  "0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t key[16], in[16], t0[32], t1[32], t2[32];
		size_t kl = strlen(v[i].key) / 2, il = strlen(v[i].input) / 2;

		hex(key, v[i].key, kl);
		hex(in, v[i].input, il);
		fzgw_wg_kdf(t0, t1, t2, key, kl, in, il);
		assert_hex(t0, v[i].t0);
		assert_hex(t1, v[i].t1);
		assert_hex(t2, v[i].t2);
		memset(t0, 0, 32);
		memset(t1, 0, 32);
		fzgw_wg_kdf(t0, t1, NULL, key, kl, in, il);
		assert_hex(t0, v[i].t0);
		assert_hex(t1, v[i].t1);
		memset(t0, 0, 32);
		fzgw_wg_kdf(t0, NULL, NULL, key, kl, in, il);
		assert_hex(t0, v[i].t0);
	}
}

/* Section 5.4.2 constants. */
static void test_construction_hashes(void **state)
{
	static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
	static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
	struct fzgw_wg_blake2s s;
	uint8_t ci[32], hi[32];

	fzgw_wg_blake2s(ci, 32, construction, strlen(construction), NULL, 0);
	assert_hex(ci, "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
	fzgw_wg_blake2s_init(&s, 32, NULL, 0);
	fzgw_wg_blake2s_update(&s, ci, 32);
	fzgw_wg_blake2s_update(&s, identifier, strlen(identifier));
	fzgw_wg_blake2s_final(&s, hi);
	assert_hex(hi, "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
}

static const char sunscreen[] =
	"Ladies and Gentlemen of the class of '99: If I could offer you only "
	"one tip for the future, sunscreen would be it.";

/* RFC 8439 section 2.8.2. */
static void test_aead_rfc8439(void **state)
{
	uint8_t key[32], nonce[12], aad[12], ct[sizeof(sunscreen) - 1 + 16];
	uint8_t pt[sizeof(sunscreen)];
	unsigned long long clen, mlen;

	hex(key, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", 32);
	hex(nonce, "070000004041424344454647", 12);
	hex(aad, "50515253c0c1c2c3c4c5c6c7", 12);
	crypto_aead_chacha20poly1305_ietf_encrypt(ct, &clen, (const uint8_t *)sunscreen,
						  sizeof(sunscreen) - 1, aad, 12,
						  NULL, nonce, key);
	assert_int_equal(clen, sizeof(ct));
	assert_hex(ct, "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
		       "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
		       "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
		       "3ff4def08e4b7a9de576d26586cec64b6116");
	assert_hex(ct + sizeof(sunscreen) - 1, "1ae10b594f09e26a7e902ecbd0600691");
	assert_int_equal(crypto_aead_chacha20poly1305_ietf_decrypt(pt, &mlen, NULL, ct,
								   clen, aad, 12,
								   nonce, key),
			 0);
	assert_memory_equal(pt, sunscreen, mlen);
	ct[5] ^= 1;
	assert_int_equal(crypto_aead_chacha20poly1305_ietf_decrypt(pt, &mlen, NULL, ct,
								   clen, aad, 12,
								   nonce, key),
			 -1);
}

/* draft-irtf-cfrg-xchacha-03 appendix A.3.1 (cookie replies). */
static void test_aead_xchacha(void **state)
{
	uint8_t key[32], nonce[24], aad[12], ct[sizeof(sunscreen) - 1 + 16];
	unsigned long long clen;

	hex(key, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", 32);
	hex(nonce, "404142434445464748494a4b4c4d4e4f5051525354555657", 24);
	hex(aad, "50515253c0c1c2c3c4c5c6c7", 12);
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &clen, (const uint8_t *)sunscreen,
						   sizeof(sunscreen) - 1, aad, 12,
						   NULL, nonce, key);
	assert_hex(ct, "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
		       "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
		       "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
		       "21f9664c97637da9768812f615c68b13b52e");
	assert_hex(ct + sizeof(sunscreen) - 1, "c0875924c1c7987947deafd8780acf49");
}

/* The WireGuard data nonce layout: 4 zero bytes, then the LE64 counter. */
static void test_aead_wireguard_nonce(void **state)
{
	uint8_t key[32] = { 1 }, nonce[12] = { 0 }, ct[4 + 16], pt[4];
	uint64_t counter = 0x0102030405060708ull;

	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
	crypto_aead_chacha20poly1305_ietf_encrypt(ct, NULL, (const uint8_t *)"ping", 4,
						  NULL, 0, NULL, nonce, key);
	assert_int_equal(crypto_aead_chacha20poly1305_ietf_decrypt(pt, NULL, NULL, ct,
								   sizeof(ct), NULL,
								   0, nonce, key),
			 0);
	nonce[4] ^= 1;
	assert_int_equal(crypto_aead_chacha20poly1305_ietf_decrypt(pt, NULL, NULL, ct,
								   sizeof(ct), NULL,
								   0, nonce, key),
			 -1);
}

/* RFC 7748 sections 5.2 and 6.1. */
static void test_x25519_rfc7748(void **state)
{
	uint8_t a[32], b[32], pub[32], out[32], k[32], u[32], r[32];

	hex(a, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", 32);
	hex(pub, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", 32);
	assert_int_equal(crypto_scalarmult_curve25519(out, a, pub), 0);
	assert_hex(out, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
	hex(a, "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d", 32);
	hex(pub, "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493", 32);
	assert_int_equal(crypto_scalarmult_curve25519(out, a, pub), 0);
	assert_hex(out, "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");

	/* 6.1: Diffie-Hellman between Alice and Bob. */
	hex(a, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", 32);
	hex(b, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", 32);
	crypto_scalarmult_curve25519_base(pub, a);
	assert_hex(pub, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	assert_int_equal(crypto_scalarmult_curve25519(out, b, pub), 0);
	assert_hex(out, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	crypto_scalarmult_curve25519_base(pub, b);
	assert_hex(pub, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	assert_int_equal(crypto_scalarmult_curve25519(out, a, pub), 0);
	assert_hex(out, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

	/* 5.2: iterate k = X25519(k, u), u = old k, from k = u = 9. */
	memset(k, 0, 32);
	k[0] = 9;
	memcpy(u, k, 32);
	for (int i = 1; i <= 1000; i++) {
		assert_int_equal(crypto_scalarmult_curve25519(r, k, u), 0);
		memcpy(u, k, 32);
		memcpy(k, r, 32);
		if (i == 1)
			assert_hex(k, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
	}
	assert_hex(k, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blake2s_abc),
		cmocka_unit_test(test_blake2s_rfc7693_selftest),
		cmocka_unit_test(test_blake2s_lengths_0_255),
		cmocka_unit_test(test_blake2s_incremental),
		cmocka_unit_test(test_hmac_blake2s),
		cmocka_unit_test(test_kdf),
		cmocka_unit_test(test_construction_hashes),
		cmocka_unit_test(test_aead_rfc8439),
		cmocka_unit_test(test_aead_xchacha),
		cmocka_unit_test(test_aead_wireguard_nonce),
		cmocka_unit_test(test_x25519_rfc7748),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
