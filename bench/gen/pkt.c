/* SPDX-License-Identifier: Apache-2.0 */
/* fzgw_gen: the inner IPv4/UDP packets and the payload words (magic, step, session, seq). */
#include <string.h>

#include "gen.h"

static uint16_t csum(const uint8_t *b, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

void gen_ip_udp(uint8_t *p, size_t size, struct in_addr src, uint16_t sport,
		struct in_addr dst, uint16_t dport)
{
	uint16_t c;

	memset(p, 0, GEN_IP_UDP);
	p[0] = 0x45;
	p[2] = (uint8_t)(size >> 8);
	p[3] = (uint8_t)size;
	p[6] = 0x40; /* DF */
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	c = csum(p, 20);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	p[20] = (uint8_t)(sport >> 8);
	p[21] = (uint8_t)sport;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
	p[24] = (uint8_t)((size - 20) >> 8);
	p[25] = (uint8_t)(size - 20); /* checksum 0: none (IPv4) */
}

void gen_payload(uint8_t *pay, uint32_t step, uint32_t session, uint32_t seq)
{
	gen_put32(pay, GEN_MAGIC);
	gen_put32(pay + 4, step);
	gen_put32(pay + 8, session);
	gen_put32(pay + 12, seq);
}

int gen_payload_read(const uint8_t *pay, size_t len, uint32_t *step, uint32_t *session,
		     uint32_t *seq)
{
	if (len < GEN_PAYLOAD_HDR || gen_get32(pay) != GEN_MAGIC)
		return -1;
	*step = gen_get32(pay + 4);
	*session = gen_get32(pay + 8);
	*seq = gen_get32(pay + 12);
	return 0;
}
