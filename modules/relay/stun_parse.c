/* SPDX-License-Identifier: Apache-2.0 */
/* STUN parsing: the header, the attribute walk and the typed getters. */
#include <string.h>

#include "stun.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *stun_strerror(int err)
{
	switch (err) {
	case STUN_OK: return "ok";
	case STUN_E_SHORT: return "shorter than the 20-byte header";
	case STUN_E_TYPE: return "message type: top bits not zero";
	case STUN_E_COOKIE: return "magic cookie missing";
	case STUN_E_LENGTH: return "message length: not a multiple of 4 or not the datagram's";
	case STUN_E_ATTR_TRUNC: return "attribute length past the end of the message";
	case STUN_E_TOO_MANY: return "too many attributes";
	case STUN_E_AFTER_FP: return "attribute after FINGERPRINT";
	case STUN_E_MI_LEN: return "MESSAGE-INTEGRITY length";
	case STUN_E_FP_LEN: return "FINGERPRINT length";
	case STUN_E_ABSENT: return "attribute absent";
	case STUN_E_ATTR_VALUE: return "attribute value malformed";
	case STUN_E_INTEGRITY: return "MESSAGE-INTEGRITY mismatch";
	case STUN_E_FINGERPRINT: return "FINGERPRINT mismatch";
	case STUN_E_SPACE: return "buffer too small";
	case STUN_E_ARG: return "argument out of range";
	case STUN_E_CRYPTO: return "libcrypto failure";
	}
	return "unknown error";
}

bool stun_attr_is_xor(uint16_t type)
{
	return type == STUN_A_XOR_MAPPED_ADDRESS || type == STUN_A_XOR_PEER_ADDRESS ||
	       type == STUN_A_XOR_RELAYED_ADDRESS;
}

bool stun_attr_known(uint16_t type)
{
	switch (type) {
	case STUN_A_MAPPED_ADDRESS: case STUN_A_USERNAME: case STUN_A_MESSAGE_INTEGRITY:
	case STUN_A_ERROR_CODE: case STUN_A_UNKNOWN_ATTRIBUTES: case STUN_A_CHANNEL_NUMBER:
	case STUN_A_LIFETIME: case STUN_A_XOR_PEER_ADDRESS: case STUN_A_DATA: case STUN_A_REALM:
	case STUN_A_NONCE: case STUN_A_XOR_RELAYED_ADDRESS: case STUN_A_REQUESTED_ADDRESS_FAMILY:
	case STUN_A_EVEN_PORT: case STUN_A_REQUESTED_TRANSPORT: case STUN_A_DONT_FRAGMENT:
	case STUN_A_MESSAGE_INTEGRITY_SHA256: case STUN_A_XOR_MAPPED_ADDRESS:
	case STUN_A_RESERVATION_TOKEN: case STUN_A_PRIORITY: case STUN_A_USE_CANDIDATE:
		return true;
	}
	return type >= 0x8000; /* comprehension-optional: ignoring them is allowed */
}

/* One attribute; returns the bytes it takes (padded) or a negative error. */
static int walk_one(struct stun_msg *m, size_t off)
{
	size_t left = m->len - off, plen;
	uint16_t type, len;

	if (left < 4)
		return STUN_E_ATTR_TRUNC;
	type = rd16(m->buf + off);
	len = rd16(m->buf + off + 2);
	plen = ((size_t)len + 3) & ~(size_t)3;
	if (plen > left - 4)
		return STUN_E_ATTR_TRUNC;
	if (m->fp >= 0)
		return STUN_E_AFTER_FP;
	if (type == STUN_A_FINGERPRINT && len != 4)
		return STUN_E_FP_LEN;
	if (type == STUN_A_MESSAGE_INTEGRITY && len != STUN_HMAC_SHA1_LEN && m->mi < 0)
		return STUN_E_MI_LEN;
	if (type == STUN_A_MESSAGE_INTEGRITY_SHA256 && m->mi256 < 0 &&
	    (len < 16 || len > STUN_HMAC_SHA256_LEN || len % 4))
		return STUN_E_MI_LEN;
	/* after an integrity attribute only the other integrity attribute and FINGERPRINT count */
	if ((m->mi >= 0 || m->mi256 >= 0) && type != STUN_A_FINGERPRINT &&
	    !(type == STUN_A_MESSAGE_INTEGRITY_SHA256 && m->mi256 < 0))
		return (int)(4 + plen);
	if (m->n_attrs == STUN_MAX_ATTRS)
		return STUN_E_TOO_MANY;
	if (type == STUN_A_FINGERPRINT)
		m->fp = (int)m->n_attrs;
	else if (type == STUN_A_MESSAGE_INTEGRITY && m->mi < 0)
		m->mi = (int)m->n_attrs;
	else if (type == STUN_A_MESSAGE_INTEGRITY_SHA256 && m->mi256 < 0)
		m->mi256 = (int)m->n_attrs;
	if (!stun_attr_known(type) && m->n_unknown < STUN_MAX_UNKNOWN)
		m->unknown[m->n_unknown++] = type;
	m->attrs[m->n_attrs++] = (struct stun_attr){ type, len, (uint32_t)(off + 4) };
	return (int)(4 + plen);
}

int stun_parse(struct stun_msg *m, const uint8_t *buf, size_t len)
{
	uint16_t type, body;
	size_t off;
	int n;

	memset(m, 0, sizeof(*m));
	m->mi = m->mi256 = m->fp = -1;
	if (!buf || len < STUN_HEADER_LEN)
		return STUN_E_SHORT;
	type = rd16(buf);
	if (type & 0xC000)
		return STUN_E_TYPE;
	if (rd32(buf + 4) != STUN_MAGIC)
		return STUN_E_COOKIE;
	body = rd16(buf + 2);
	if (body % 4 || (size_t)body + STUN_HEADER_LEN != len)
		return STUN_E_LENGTH;
	m->buf = buf;
	m->len = len;
	m->cls = (uint8_t)((type >> 4 & 1) | (type >> 7 & 2));
	m->method = (uint16_t)((type & 0x000F) | (type & 0x00E0) >> 1 | (type & 0x3E00) >> 2);
	m->tid = buf + 8;
	for (off = STUN_HEADER_LEN; off < len; off += (size_t)n) {
		n = walk_one(m, off);
		if (n < 0)
			return n;
	}
	return STUN_OK;
}

const struct stun_attr *stun_find(const struct stun_msg *m, uint16_t type)
{
	unsigned i;

	for (i = 0; i < m->n_attrs; i++)
		if (m->attrs[i].type == type)
			return &m->attrs[i];
	return NULL;
}

bool stun_has(const struct stun_msg *m, uint16_t type)
{
	return stun_find(m, type) != NULL;
}

int stun_addr_decode(const uint8_t *v, size_t len, bool xor, const uint8_t *tid,
		     struct stun_addr *out)
{
	static const uint8_t cookie[4] = { 0x21, 0x12, 0xA4, 0x42 };
	size_t n, i;

	memset(out, 0, sizeof(*out));
	if (len < 4 || v[0] != 0)
		return STUN_E_ATTR_VALUE;
	if (v[1] == 0x01 && len == 8)
		n = 4;
	else if (v[1] == 0x02 && len == 20)
		n = 16;
	else
		return STUN_E_ATTR_VALUE;
	out->family = n == 4 ? 4 : 6;
	out->port = rd16(v + 2);
	memcpy(out->ip, v + 4, n);
	if (xor) {
		out->port ^= (uint16_t)(STUN_MAGIC >> 16);
		for (i = 0; i < n; i++)
			out->ip[i] ^= i < 4 ? cookie[i] : tid[i - 4];
	}
	return STUN_OK;
}

int stun_get_addr(const struct stun_msg *m, uint16_t type, struct stun_addr *out)
{
	const struct stun_attr *a = stun_find(m, type);

	memset(out, 0, sizeof(*out));
	if (!a)
		return STUN_E_ABSENT;
	return stun_addr_decode(stun_value(m, a), a->len, stun_attr_is_xor(type), m->tid, out);
}

unsigned stun_get_addrs(const struct stun_msg *m, uint16_t type, struct stun_addr *out, unsigned max)
{
	unsigned i, n = 0;

	for (i = 0; i < m->n_attrs && n < max; i++) {
		const struct stun_attr *a = &m->attrs[i];

		if (a->type == type && stun_addr_decode(stun_value(m, a), a->len,
							stun_attr_is_xor(type), m->tid, &out[n]) == 0)
			n++;
	}
	return n;
}

static const uint8_t *fixed(const struct stun_msg *m, uint16_t type, size_t len, int *err)
{
	const struct stun_attr *a = stun_find(m, type);

	*err = !a ? STUN_E_ABSENT : a->len != len ? STUN_E_ATTR_VALUE : STUN_OK;
	return *err ? NULL : stun_value(m, a);
}

int stun_get_u32(const struct stun_msg *m, uint16_t type, uint32_t *out)
{
	int err;
	const uint8_t *v = fixed(m, type, 4, &err);

	*out = v ? rd32(v) : 0;
	return err;
}

int stun_get_u64(const struct stun_msg *m, uint16_t type, uint64_t *out)
{
	int err;
	const uint8_t *v = fixed(m, type, 8, &err);

	*out = v ? (uint64_t)rd32(v) << 32 | rd32(v + 4) : 0;
	return err;
}

int stun_get_text(const struct stun_msg *m, uint16_t type, const char **s, size_t *len)
{
	const struct stun_attr *a = stun_find(m, type);
	size_t max = type == STUN_A_USERNAME ? STUN_MAX_USERNAME : STUN_MAX_TEXT;

	*s = NULL;
	*len = 0;
	if (!a)
		return STUN_E_ABSENT;
	if (a->len > max || memchr(stun_value(m, a), 0, a->len))
		return STUN_E_ATTR_VALUE;
	*s = (const char *)stun_value(m, a);
	*len = a->len;
	return STUN_OK;
}

int stun_get_error(const struct stun_msg *m, int *code, const char **reason, size_t *len)
{
	const struct stun_attr *a = stun_find(m, STUN_A_ERROR_CODE);
	const uint8_t *v;

	*code = 0;
	*reason = NULL;
	*len = 0;
	if (!a)
		return STUN_E_ABSENT;
	v = stun_value(m, a);
	if (a->len < 4 || a->len - 4 > STUN_MAX_TEXT || v[0] || v[1] || (v[2] & 0xF8) ||
	    v[2] < 3 || v[2] > 6 || v[3] > 99)
		return STUN_E_ATTR_VALUE;
	*code = v[2] * 100 + v[3];
	*reason = (const char *)v + 4;
	*len = a->len - 4u;
	return STUN_OK;
}

int stun_get_channel(const struct stun_msg *m, uint16_t *channel)
{
	int err;
	const uint8_t *v = fixed(m, STUN_A_CHANNEL_NUMBER, 4, &err);

	*channel = 0;
	if (!v)
		return err;
	*channel = rd16(v);
	return *channel >= 0x4000 && *channel <= 0x4FFF ? STUN_OK : STUN_E_ATTR_VALUE;
}

int stun_get_transport(const struct stun_msg *m, uint8_t *proto)
{
	int err;
	const uint8_t *v = fixed(m, STUN_A_REQUESTED_TRANSPORT, 4, &err);

	*proto = v ? v[0] : 0;
	return err;
}

int stun_get_family(const struct stun_msg *m, uint16_t type, uint8_t *family)
{
	int err;
	const uint8_t *v = fixed(m, type, 4, &err);

	*family = 0;
	if (!v)
		return err;
	if (v[0] != 0x01 && v[0] != 0x02)
		return STUN_E_ATTR_VALUE;
	*family = v[0] == 0x01 ? 4 : 6;
	return STUN_OK;
}
