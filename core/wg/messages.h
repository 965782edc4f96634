/* SPDX-License-Identifier: Apache-2.0 */
/* WireGuard wire format (paper section 5.4): message types, sizes, field offsets. */
#ifndef FZGW_WG_MESSAGES_H
#define FZGW_WG_MESSAGES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wg.h"

enum {
	FZGW_WG_KEY_LEN = 32,
	FZGW_WG_HASH_LEN = 32,
	FZGW_WG_AEAD_TAG_LEN = 16,
	FZGW_WG_COOKIE_LEN = 16,
	FZGW_WG_COOKIE_NONCE_LEN = 24,
	FZGW_WG_TIMESTAMP_LEN = 12,
	FZGW_WG_PADDING_MULTIPLE = 16,
};

/*
 * Byte offsets inside each message. Every message starts with a little-endian
 * u32 type whose upper three bytes are reserved and must be zero; the two
 * MACs are the last 32 bytes of both handshake messages.
 */
enum {
	/* type 1: handshake initiation */
	FZGW_WG_INIT_SENDER = 4,
	FZGW_WG_INIT_EPHEMERAL = 8,
	FZGW_WG_INIT_STATIC = 40,	/* 32 + 16 tag */
	FZGW_WG_INIT_TIMESTAMP = 88,	/* 12 + 16 tag */
	FZGW_WG_INIT_MAC1 = 116,
	FZGW_WG_INIT_MAC2 = 132,
	/* type 2: handshake response */
	FZGW_WG_RESP_SENDER = 4,
	FZGW_WG_RESP_RECEIVER = 8,
	FZGW_WG_RESP_EPHEMERAL = 12,
	FZGW_WG_RESP_EMPTY = 44,	/* 0 + 16 tag */
	FZGW_WG_RESP_MAC1 = 60,
	FZGW_WG_RESP_MAC2 = 76,
	/* type 3: cookie reply */
	FZGW_WG_COOKIE_RECEIVER = 4,
	FZGW_WG_COOKIE_NONCE = 8,
	FZGW_WG_COOKIE_ENCRYPTED = 32,	/* 16 + 16 tag */
	/* type 4: transport data */
	FZGW_WG_DATA_RECEIVER = 4,
	FZGW_WG_DATA_COUNTER = 8,
	FZGW_WG_DATA_PAYLOAD = 16,
};

/* Both handshake messages end with mac1 || mac2. */
enum { FZGW_WG_MACS_LEN = 2 * FZGW_WG_COOKIE_LEN };

static inline uint32_t fzgw_wg_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void fzgw_wg_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint64_t fzgw_wg_le64(const uint8_t *p)
{
	return (uint64_t)fzgw_wg_le32(p) | (uint64_t)fzgw_wg_le32(p + 4) << 32;
}

static inline void fzgw_wg_put_le64(uint8_t *p, uint64_t v)
{
	fzgw_wg_put_le32(p, (uint32_t)v);
	fzgw_wg_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* AEAD nonce (paper section 5.4.6): 32 zero bits then the 64-bit counter, little-endian. */
static inline void fzgw_wg_nonce(uint8_t nonce[12], uint64_t counter)
{
	memset(nonce, 0, 4);
	fzgw_wg_put_le64(nonce + 4, counter);
}

#endif
