/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STUN messages (RFC 8489) with the TURN (RFC 8656) and ICE (RFC 8445) attributes, sans-IO.
 * Parsing borrows the datagram and checks every length before use; getters check each
 * attribute's own shape. The builder writes into a caller buffer it zeroes first, so no byte
 * of an outgoing message (padding included) comes from anywhere else.
 */
#ifndef FZGW_RELAY_STUN_H
#define FZGW_RELAY_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STUN_HEADER_LEN 20
#define STUN_MAGIC 0x2112A442u
#define STUN_TID_LEN 12
#define STUN_MAX_ATTRS 48
#define STUN_MAX_UNKNOWN 8
#define STUN_HMAC_SHA1_LEN 20
#define STUN_HMAC_SHA256_LEN 32
#define STUN_LONG_TERM_KEY_LEN 16 /* MD5(username ":" realm ":" password) */
#define STUN_FINGERPRINT_XOR 0x5354554eu

/* Longest values RFC 8489 allows (bytes, before padding). */
#define STUN_MAX_USERNAME 512
#define STUN_MAX_TEXT 763 /* REALM, NONCE, SOFTWARE, reason phrase */

enum stun_class { STUN_REQUEST = 0, STUN_INDICATION = 1, STUN_SUCCESS = 2, STUN_ERROR = 3 };

enum stun_method {
	STUN_BINDING = 0x001,
	STUN_ALLOCATE = 0x003,
	STUN_REFRESH = 0x004,
	STUN_SEND = 0x006,
	STUN_DATA = 0x007,
	STUN_CREATE_PERMISSION = 0x008,
	STUN_CHANNEL_BIND = 0x009,
};

enum stun_attr_type {
	STUN_A_MAPPED_ADDRESS = 0x0001,
	STUN_A_USERNAME = 0x0006,
	STUN_A_MESSAGE_INTEGRITY = 0x0008,
	STUN_A_ERROR_CODE = 0x0009,
	STUN_A_UNKNOWN_ATTRIBUTES = 0x000A,
	STUN_A_CHANNEL_NUMBER = 0x000C,
	STUN_A_LIFETIME = 0x000D,
	STUN_A_XOR_PEER_ADDRESS = 0x0012,
	STUN_A_DATA = 0x0013,
	STUN_A_REALM = 0x0014,
	STUN_A_NONCE = 0x0015,
	STUN_A_XOR_RELAYED_ADDRESS = 0x0016,
	STUN_A_REQUESTED_ADDRESS_FAMILY = 0x0017,
	STUN_A_EVEN_PORT = 0x0018,
	STUN_A_REQUESTED_TRANSPORT = 0x0019,
	STUN_A_DONT_FRAGMENT = 0x001A,
	STUN_A_MESSAGE_INTEGRITY_SHA256 = 0x001C,
	STUN_A_XOR_MAPPED_ADDRESS = 0x0020,
	STUN_A_RESERVATION_TOKEN = 0x0022,
	STUN_A_PRIORITY = 0x0024,
	STUN_A_USE_CANDIDATE = 0x0025,
	/* comprehension-optional (0x8000-0xFFFF) */
	STUN_A_ADDITIONAL_ADDRESS_FAMILY = 0x8000,
	STUN_A_ADDRESS_ERROR_CODE = 0x8001,
	STUN_A_SOFTWARE = 0x8022,
	STUN_A_ALTERNATE_SERVER = 0x8023,
	STUN_A_FINGERPRINT = 0x8028,
	STUN_A_ICE_CONTROLLED = 0x8029,
	STUN_A_ICE_CONTROLLING = 0x802A,
};

/* Results; every failure names what was wrong (stun_strerror). */
enum stun_err {
	STUN_OK = 0,
	STUN_E_SHORT = -1,       /* fewer than 20 bytes */
	STUN_E_TYPE = -2,        /* the two top bits of the type are not zero */
	STUN_E_COOKIE = -3,      /* no magic cookie */
	STUN_E_LENGTH = -4,      /* header length not a multiple of 4 or not the datagram's */
	STUN_E_ATTR_TRUNC = -5,  /* an attribute header or value (with padding) past the end */
	STUN_E_TOO_MANY = -6,    /* more than STUN_MAX_ATTRS attributes */
	STUN_E_AFTER_FP = -7,    /* an attribute after FINGERPRINT */
	STUN_E_MI_LEN = -8,      /* MESSAGE-INTEGRITY(-SHA256) of a wrong length */
	STUN_E_FP_LEN = -9,      /* FINGERPRINT not 4 bytes */
	STUN_E_ABSENT = -10,     /* the attribute asked for is not there */
	STUN_E_ATTR_VALUE = -11, /* the attribute is there but malformed */
	STUN_E_INTEGRITY = -12,  /* MESSAGE-INTEGRITY does not match */
	STUN_E_FINGERPRINT = -13,/* FINGERPRINT does not match */
	STUN_E_SPACE = -14,      /* the builder's buffer is too small */
	STUN_E_ARG = -15,        /* a caller argument out of range */
	STUN_E_CRYPTO = -16,     /* libcrypto failed */
};

/* A transport address: family 4 or 6 (0: none), address bytes in network order. */
struct stun_addr {
	uint8_t family;
	uint16_t port;
	uint8_t ip[16];
};

struct stun_attr {
	uint16_t type;
	uint16_t len; /* value length, without padding */
	uint32_t off; /* value offset from the start of the message */
};

/* A parsed message; borrows buf. */
struct stun_msg {
	const uint8_t *buf;
	size_t len; /* 20 + body */
	uint16_t method;
	uint8_t cls;
	const uint8_t *tid; /* 12 bytes inside buf */
	struct stun_attr attrs[STUN_MAX_ATTRS];
	unsigned n_attrs;
	int mi, mi256, fp; /* attribute indexes, -1 when absent */
	/* comprehension-required attributes this codec does not know */
	uint16_t unknown[STUN_MAX_UNKNOWN];
	unsigned n_unknown;
};

const char *stun_strerror(int err);

/* Parses a whole datagram as one STUN message. Attributes after MESSAGE-INTEGRITY other than
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are ignored (RFC 8489 §14.5). */
int stun_parse(struct stun_msg *m, const uint8_t *buf, size_t len);

/* The first attribute of a type (RFC 8489: later duplicates are ignored), or NULL. */
const struct stun_attr *stun_find(const struct stun_msg *m, uint16_t type);
static inline const uint8_t *stun_value(const struct stun_msg *m, const struct stun_attr *a)
{
	return m->buf + a->off;
}

/* Typed getters: STUN_OK, STUN_E_ABSENT or STUN_E_ATTR_VALUE. */
int stun_get_addr(const struct stun_msg *m, uint16_t type, struct stun_addr *out);
/* Every address of a type (XOR-RELAYED-ADDRESS appears twice for a dual-stack allocation). */
unsigned stun_get_addrs(const struct stun_msg *m, uint16_t type, struct stun_addr *out, unsigned max);
int stun_get_u32(const struct stun_msg *m, uint16_t type, uint32_t *out);
int stun_get_u64(const struct stun_msg *m, uint16_t type, uint64_t *out);
int stun_get_text(const struct stun_msg *m, uint16_t type, const char **s, size_t *len);
int stun_get_error(const struct stun_msg *m, int *code, const char **reason, size_t *len);
int stun_get_channel(const struct stun_msg *m, uint16_t *channel);
int stun_get_transport(const struct stun_msg *m, uint8_t *proto);
int stun_get_family(const struct stun_msg *m, uint16_t type, uint8_t *family); /* 4 or 6 */
bool stun_has(const struct stun_msg *m, uint16_t type);

/* Address attribute codec, shared by the builder and the parser. */
int stun_addr_decode(const uint8_t *v, size_t len, bool xor, const uint8_t *tid,
		     struct stun_addr *out);
size_t stun_addr_encode(uint8_t *v, const struct stun_addr *a, bool xor, const uint8_t *tid);

/* Integrity and fingerprint of a parsed message. key: the short-term password, or the
 * long-term key (stun_long_term_key). Compared in constant time. */
int stun_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t key_len);
int stun_check_integrity_sha256(const struct stun_msg *m, const uint8_t *key, size_t key_len);
int stun_check_fingerprint(const struct stun_msg *m);
int stun_long_term_key(const char *user, const char *realm, const char *pass,
		       uint8_t out[STUN_LONG_TERM_KEY_LEN]);
uint32_t stun_crc32(const uint8_t *p, size_t n);

/* The builder. Errors are sticky: stun_finish reports the first one. */
struct stun_builder {
	uint8_t *buf;
	size_t cap, len;
	int err;
};

void stun_build_init(struct stun_builder *b, uint8_t *buf, size_t cap, uint16_t method,
		     uint8_t cls, const uint8_t tid[STUN_TID_LEN]);
void stun_add(struct stun_builder *b, uint16_t type, const void *value, size_t len);
/* Appends an attribute header and returns its zeroed value (len bytes), or NULL (error set). */
uint8_t *stun_reserve(struct stun_builder *b, uint16_t type, size_t len);
void stun_add_u32(struct stun_builder *b, uint16_t type, uint32_t v);
void stun_add_u64(struct stun_builder *b, uint16_t type, uint64_t v);
void stun_add_text(struct stun_builder *b, uint16_t type, const char *s);
void stun_add_addr(struct stun_builder *b, uint16_t type, const struct stun_addr *a);
void stun_add_error(struct stun_builder *b, int code, const char *reason);
void stun_add_channel(struct stun_builder *b, uint16_t channel);
void stun_add_transport(struct stun_builder *b, uint8_t proto);
void stun_add_family(struct stun_builder *b, uint16_t type, uint8_t family);
void stun_add_integrity(struct stun_builder *b, const uint8_t *key, size_t key_len);
void stun_add_integrity_sha256(struct stun_builder *b, const uint8_t *key, size_t key_len);
void stun_add_fingerprint(struct stun_builder *b);
/* STUN_OK and the message length in *len, or the first error. */
int stun_finish(struct stun_builder *b, size_t *len);

/* Is this an XOR address attribute type? */
bool stun_attr_is_xor(uint16_t type);
/* Is this a type the codec knows (for the unknown comprehension-required list)? */
bool stun_attr_known(uint16_t type);

#endif
