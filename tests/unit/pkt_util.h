/* SPDX-License-Identifier: Apache-2.0 */
/* Test helpers shared by the packet tests: hex decoding and small packet builders. */
#ifndef FZGW_TEST_PKT_UTIL_H
#define FZGW_TEST_PKT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <fzgw/ip.h>

/* Captures shared by the packet tests (client 100.66.110.73 / fd00:2021:1111::1e:7658). */
#define PKT_V4_TCP_SYN                                                                             \
	"4500003c1c464000400640e664426e490a000105c93a01bb3a1c5e0100000000"                         \
	"a002fbe053f40000020404d80402080a9a3c1e270000000001030307"
#define PKT_V4_UDP_DNS                                                                             \
	"450000441c464000401140d364426e490a000105958100350030f4adb7e10120"                         \
	"0001000000000001076578616d706c6503636f6d000001000100002910000000"                         \
	"00000000"
#define PKT_V4_PING                                                                                \
	"450000541c464000400115fd64426e495db8d82208000aeb1c2d0001d3a1f466"                         \
	"000000003c0b0e0000000000101112131415161718191a1b1c1d1e1f20212223"                         \
	"2425262728292a2b2c2d2e2f3031323334353637"
#define PKT_V4_PORT_UNREACH                                                                        \
	"450000601c4600003f0181c70a00010564426e490303dace0000000045000044"                         \
	"1c464000401140d364426e490a000105958100350030f4adb7e1012000010000"                         \
	"00000001076578616d706c6503636f6d00000100010000291000000000000000"
#define PKT_V6_TCP_SYN                                                                             \
	"6000a2b300280640fd0020211111000000000000001e76582606280002200001"                         \
	"0248189325c81946a32201bb3a1c5e0100000000a002fd2058c90000020404c4"                         \
	"0402080a5b1e0c330000000001030307"
#define PKT_V6_UDP_DNS                                                                             \
	"6000a2b300301140fd0020211111000000000000001e76582606280002200001"                         \
	"0248189325c81946c4ec003500305419b7e10120000100000000000107657861"                         \
	"6d706c6503636f6d00000100010000291000000000000000"
#define PKT_V6_PING                                                                                \
	"6000a2b300403a40fd0020211111000000000000001e76582606280002200001"                         \
	"0248189325c819468000bdd12b1f0001e2a1f46600000000a7fd0a0000000000"                         \
	"101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"                         \
	"3031323334353637"
#define PKT_V6_PORT_UNREACH                                                                        \
	"6000a2b300603a4026062800022000010248189325c81946fd00202111110000"                         \
	"00000000001e765801049bc4000000006000a2b300301140fd00202111110000"                         \
	"00000000001e765826062800022000010248189325c81946c4ec003500305419"                         \
	"b7e101200001000000000001076578616d706c6503636f6d0000010001000029"                         \
	"1000000000000000"

/* Decodes hex digits (anything else is skipped) into @out; returns the bytes written. */
static inline size_t pkt_hex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int d;

		if (*hex >= '0' && *hex <= '9')
			d = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			d = *hex - 'a' + 10;
		else if (*hex >= 'A' && *hex <= 'F')
			d = *hex - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = d;
			continue;
		}
		if (n < cap)
			out[n] = (uint8_t)(hi << 4 | d);
		n++;
		hi = -1;
	}
	return n;
}

static inline struct fzgw_addr pkt_addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct fzgw_addr r = { .family = 4, .bytes = { a, b, c, d } };

	return r;
}

/* An IPv6 address from its 16 bytes written as hex. */
static inline struct fzgw_addr pkt_addr6(const char *hex)
{
	struct fzgw_addr r = { .family = 6 };

	pkt_hex(r.bytes, sizeof(r.bytes), hex);
	return r;
}

/*
 * Builds an IPv4 (@version 4) or IPv6 packet around @l4 (@l4_len bytes) with protocol
 * @proto, TTL 64, the given addresses, zero checksums. Returns the packet length.
 */
static inline size_t pkt_build(uint8_t *out, int version, uint8_t proto,
			       const struct fzgw_addr *src, const struct fzgw_addr *dst,
			       const uint8_t *l4, size_t l4_len)
{
	size_t hl = version == 4 ? 20 : 40, len = hl + l4_len;

	memset(out, 0, hl);
	if (version == 4) {
		out[0] = 0x45;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		out[8] = 64;
		out[9] = proto;
		memcpy(out + 12, src->bytes, 4);
		memcpy(out + 16, dst->bytes, 4);
	} else {
		out[0] = 0x60;
		out[4] = (uint8_t)(l4_len >> 8);
		out[5] = (uint8_t)l4_len;
		out[6] = proto;
		out[7] = 64;
		memcpy(out + 8, src->bytes, 16);
		memcpy(out + 24, dst->bytes, 16);
	}
	if (l4_len)
		memmove(out + hl, l4, l4_len);
	return len;
}

#endif
