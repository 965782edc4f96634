/* SPDX-License-Identifier: Apache-2.0 */
/* BLAKE2s from RFC 7693, unrolled: mac1 is verified for every handshake message. */
#include <string.h>

#include <sodium.h>

#include "blake2s.h"

static const uint32_t blake2s_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* RFC 7693 section 2.7: message word permutation for each of the 10 rounds. */
static const uint8_t blake2s_sigma[10][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
};

static inline uint32_t ror32(uint32_t w, unsigned int c)
{
	return (w >> c) | (w << (32 - c));
}

static inline uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* RFC 7693 section 3.1, mixing function G with rotations 16, 12, 8, 7. */
#define G(r, i, a, b, c, d)                                   \
	do {                                                  \
		a = a + b + m[blake2s_sigma[r][2 * (i)]];     \
		d = ror32(d ^ a, 16);                         \
		c = c + d;                                    \
		b = ror32(b ^ c, 12);                         \
		a = a + b + m[blake2s_sigma[r][2 * (i) + 1]]; \
		d = ror32(d ^ a, 8);                          \
		c = c + d;                                    \
		b = ror32(b ^ c, 7);                          \
	} while (0)

#define ROUND(r)                                        \
	do {                                            \
		G(r, 0, v[0], v[4], v[8], v[12]);       \
		G(r, 1, v[1], v[5], v[9], v[13]);       \
		G(r, 2, v[2], v[6], v[10], v[14]);      \
		G(r, 3, v[3], v[7], v[11], v[15]);      \
		G(r, 4, v[0], v[5], v[10], v[15]);      \
		G(r, 5, v[1], v[6], v[11], v[12]);      \
		G(r, 6, v[2], v[7], v[8], v[13]);       \
		G(r, 7, v[3], v[4], v[9], v[14]);       \
	} while (0)

/* RFC 7693 section 3.2, compression function F; @inc bytes are added to the counter. */
static void blake2s_compress(struct fzgw_wg_blake2s *s, const uint8_t *block,
			     size_t nblocks, uint32_t inc, int last)
{
	uint32_t m[16], v[16];
	int i;

	while (nblocks--) {
		s->t[0] += inc;
		s->t[1] += (s->t[0] < inc);
		for (i = 0; i < 16; i++)
			m[i] = load_le32(block + 4 * i);
		for (i = 0; i < 8; i++)
			v[i] = s->h[i];
		v[8] = blake2s_iv[0];
		v[9] = blake2s_iv[1];
		v[10] = blake2s_iv[2];
		v[11] = blake2s_iv[3];
		v[12] = blake2s_iv[4] ^ s->t[0];
		v[13] = blake2s_iv[5] ^ s->t[1];
		v[14] = blake2s_iv[6] ^ (last ? 0xffffffffu : 0);
		v[15] = blake2s_iv[7];
		ROUND(0);
		ROUND(1);
		ROUND(2);
		ROUND(3);
		ROUND(4);
		ROUND(5);
		ROUND(6);
		ROUND(7);
		ROUND(8);
		ROUND(9);
		for (i = 0; i < 8; i++)
			s->h[i] ^= v[i] ^ v[i + 8];
		block += FZGW_WG_BLAKE2S_BLOCK_LEN;
	}
	sodium_memzero(m, sizeof(m));
	sodium_memzero(v, sizeof(v));
}

void fzgw_wg_blake2s_init(struct fzgw_wg_blake2s *s, size_t outlen,
			  const void *key, size_t keylen)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->h, blake2s_iv, sizeof(s->h));
	/* Parameter block (RFC 7693 section 2.5): fanout 1, depth 1, key and digest length. */
	s->h[0] ^= 0x01010000u ^ (uint32_t)(keylen << 8) ^ (uint32_t)outlen;
	s->outlen = outlen;
	if (keylen) {
		/* The key is padded to a full block and hashed as the first block. */
		memcpy(s->buf, key, keylen);
		s->buflen = FZGW_WG_BLAKE2S_BLOCK_LEN;
	}
}

void fzgw_wg_blake2s_update(struct fzgw_wg_blake2s *s, const void *in,
			    size_t inlen)
{
	const uint8_t *p = in;
	size_t fill = FZGW_WG_BLAKE2S_BLOCK_LEN - s->buflen;

	if (!inlen)
		return;
	/* The last block is compressed with the final flag, so a full buffer is kept
	 * until more input shows it is not the last one. */
	if (inlen > fill) {
		memcpy(s->buf + s->buflen, p, fill);
		blake2s_compress(s, s->buf, 1, FZGW_WG_BLAKE2S_BLOCK_LEN, 0);
		s->buflen = 0;
		p += fill;
		inlen -= fill;
		if (inlen > FZGW_WG_BLAKE2S_BLOCK_LEN) {
			size_t nblocks = (inlen - 1) / FZGW_WG_BLAKE2S_BLOCK_LEN;

			blake2s_compress(s, p, nblocks,
					 FZGW_WG_BLAKE2S_BLOCK_LEN, 0);
			p += nblocks * FZGW_WG_BLAKE2S_BLOCK_LEN;
			inlen -= nblocks * FZGW_WG_BLAKE2S_BLOCK_LEN;
		}
	}
	memcpy(s->buf + s->buflen, p, inlen);
	s->buflen += inlen;
}

void fzgw_wg_blake2s_final(struct fzgw_wg_blake2s *s, uint8_t *out)
{
	uint8_t full[FZGW_WG_BLAKE2S_HASH_LEN];
	int i;

	memset(s->buf + s->buflen, 0, FZGW_WG_BLAKE2S_BLOCK_LEN - s->buflen);
	blake2s_compress(s, s->buf, 1, (uint32_t)s->buflen, 1);
	for (i = 0; i < 8; i++)
		store_le32(full + 4 * i, s->h[i]);
	memcpy(out, full, s->outlen);
	sodium_memzero(full, sizeof(full));
	sodium_memzero(s, sizeof(*s));
}

void fzgw_wg_blake2s(uint8_t *out, size_t outlen, const void *in, size_t inlen,
		     const void *key, size_t keylen)
{
	struct fzgw_wg_blake2s s;

	fzgw_wg_blake2s_init(&s, outlen, key, keylen);
	fzgw_wg_blake2s_update(&s, in, inlen);
	fzgw_wg_blake2s_final(&s, out);
}
