/* SPDX-License-Identifier: Apache-2.0 */
/* HMAC-BLAKE2s and the HKDF-style KDF1/2/3 of the WireGuard paper, section 5.4. */
#ifndef FZGW_WG_KDF_H
#define FZGW_WG_KDF_H

#include <stddef.h>
#include <stdint.h>

/* out = HMAC-BLAKE2s(key, in), 32 bytes (RFC 2104 with a 64-byte block). */
void fzgw_wg_hmac_blake2s(uint8_t out[32], const void *in, size_t inlen,
			  const void *key, size_t keylen);

/*
 * KDFn(key, input): t0 = HMAC(key, input); t1 = HMAC(t0, 0x1);
 * t2 = HMAC(t0, t1 || 0x2); t3 = HMAC(t0, t2 || 0x3). Outputs t1..tn into
 * out1..out3 (unused outputs NULL). Outputs may alias @key.
 */
void fzgw_wg_kdf(uint8_t *out1, uint8_t *out2, uint8_t *out3,
		 const uint8_t *key, size_t keylen, const uint8_t *in,
		 size_t inlen);

#endif
