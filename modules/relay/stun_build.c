/* SPDX-License-Identifier: Apache-2.0 */
/* The STUN builder: a zeroed caller buffer, bounds checked on every append, errors sticky. */
#include <string.h>

#include "stun.h"

#define STUN_MAX_MSG (STUN_HEADER_LEN + 0xFFFCu) /* the length field is 16 bits, 4-aligned */

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

void stun_build_init(struct stun_builder *b, uint8_t *buf, size_t cap, uint16_t method,
		     uint8_t cls, const uint8_t tid[STUN_TID_LEN])
{
	uint16_t type;

	b->buf = buf;
	b->cap = cap > STUN_MAX_MSG ? STUN_MAX_MSG : cap;
	b->len = 0;
	b->err = STUN_OK;
	if (!buf || !tid || method > 0xFFF || cls > 3) {
		b->err = STUN_E_ARG;
		return;
	}
	memset(buf, 0, cap);
	if (b->cap < STUN_HEADER_LEN) {
		b->err = STUN_E_SPACE;
		return;
	}
	type = (uint16_t)((method & 0x000F) | (method & 0x0070) << 1 | (method & 0x0F80) << 2 |
			  (cls & 1) << 4 | (cls & 2) << 7);
	wr16(buf, type);
	wr32(buf + 4, STUN_MAGIC);
	memcpy(buf + 8, tid, STUN_TID_LEN);
	b->len = STUN_HEADER_LEN;
}

uint8_t *stun_reserve(struct stun_builder *b, uint16_t type, size_t len)
{
	size_t plen = (len + 3) & ~(size_t)3;
	uint8_t *v;

	if (b->err)
		return NULL;
	if (len > 0xFFFF || plen + 4 > b->cap - b->len) {
		b->err = STUN_E_SPACE;
		return NULL;
	}
	wr16(b->buf + b->len, type);
	wr16(b->buf + b->len + 2, (uint16_t)len);
	v = b->buf + b->len + 4;
	memset(v, 0, plen); /* padding and value start zeroed whatever the buffer held */
	b->len += 4 + plen;
	wr16(b->buf + 2, (uint16_t)(b->len - STUN_HEADER_LEN));
	return v;
}

void stun_add(struct stun_builder *b, uint16_t type, const void *value, size_t len)
{
	uint8_t *v = stun_reserve(b, type, len);

	if (v && len)
		memcpy(v, value, len);
}

void stun_add_u32(struct stun_builder *b, uint16_t type, uint32_t x)
{
	uint8_t *v = stun_reserve(b, type, 4);

	if (v)
		wr32(v, x);
}

void stun_add_u64(struct stun_builder *b, uint16_t type, uint64_t x)
{
	uint8_t *v = stun_reserve(b, type, 8);

	if (v) {
		wr32(v, (uint32_t)(x >> 32));
		wr32(v + 4, (uint32_t)x);
	}
}

void stun_add_text(struct stun_builder *b, uint16_t type, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!b->err && n > (type == STUN_A_USERNAME ? STUN_MAX_USERNAME : STUN_MAX_TEXT))
		b->err = STUN_E_ARG;
	stun_add(b, type, s, n);
}

size_t stun_addr_encode(uint8_t *v, const struct stun_addr *a, bool xor, const uint8_t *tid)
{
	static const uint8_t cookie[4] = { 0x21, 0x12, 0xA4, 0x42 };
	size_t n = a->family == 4 ? 4 : 16, i;

	v[0] = 0;
	v[1] = a->family == 4 ? 0x01 : 0x02;
	wr16(v + 2, xor ? (uint16_t)(a->port ^ (STUN_MAGIC >> 16)) : a->port);
	for (i = 0; i < n; i++)
		v[4 + i] = xor ? (uint8_t)(a->ip[i] ^ (i < 4 ? cookie[i] : tid[i - 4])) : a->ip[i];
	return 4 + n;
}

void stun_add_addr(struct stun_builder *b, uint16_t type, const struct stun_addr *a)
{
	uint8_t *v;

	if (!b->err && (!a || (a->family != 4 && a->family != 6)))
		b->err = STUN_E_ARG;
	v = stun_reserve(b, type, a && a->family == 4 ? 8 : 20);
	if (v)
		stun_addr_encode(v, a, stun_attr_is_xor(type), b->buf + 8);
}

void stun_add_error(struct stun_builder *b, int code, const char *reason)
{
	size_t n = reason ? strlen(reason) : 0;
	uint8_t *v;

	if (!b->err && (code < 300 || code > 699 || n > STUN_MAX_TEXT))
		b->err = STUN_E_ARG;
	v = stun_reserve(b, STUN_A_ERROR_CODE, 4 + n);
	if (!v)
		return;
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	if (n)
		memcpy(v + 4, reason, n);
}

void stun_add_channel(struct stun_builder *b, uint16_t channel)
{
	uint8_t *v;

	if (!b->err && (channel < 0x4000 || channel > 0x4FFF))
		b->err = STUN_E_ARG;
	v = stun_reserve(b, STUN_A_CHANNEL_NUMBER, 4);
	if (v)
		wr16(v, channel);
}

void stun_add_transport(struct stun_builder *b, uint8_t proto)
{
	uint8_t *v = stun_reserve(b, STUN_A_REQUESTED_TRANSPORT, 4);

	if (v)
		v[0] = proto;
}

void stun_add_family(struct stun_builder *b, uint16_t type, uint8_t family)
{
	uint8_t *v;

	if (!b->err && family != 4 && family != 6)
		b->err = STUN_E_ARG;
	v = stun_reserve(b, type, 4);
	if (v)
		v[0] = family == 4 ? 0x01 : 0x02;
}

int stun_finish(struct stun_builder *b, size_t *len)
{
	*len = b->err ? 0 : b->len;
	return b->err;
}
