/* SPDX-License-Identifier: Apache-2.0 */
/* Builders shared by the offload tests: TCP and UDP segments with correct checksums. */
#ifndef FZGW_TEST_OFFLOAD_PKT_H
#define FZGW_TEST_OFFLOAD_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "checksum.h"
#include "ip_parse.h"
#include "pkt_util.h"

enum { T_FIN = 0x01, T_SYN = 0x02, T_RST = 0x04, T_PSH = 0x08, T_ACK = 0x10, T_URG = 0x20,
       T_ECE = 0x40, T_CWR = 0x80 };

/* One segment to build; zero fields take the defaults of seg_defaults(). */
struct tseg {
	int version;
	uint8_t proto;    /* 6 or 17 */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint16_t sport, dport;
	uint16_t id;      /* IPv4 identification */
	uint8_t ttl, tos;
	bool df;
	uint32_t tsval;   /* the timestamp option's value (12 option bytes) when ts is set */
	bool ts;
	size_t payload;
	uint32_t fill;    /* payload byte k is (fill + k) * 7 */
	bool v4_options;  /* a 4-byte IPv4 option (NOPs): IHL 6 */
};

static inline struct tseg seg_defaults(int version)
{
	struct tseg t = {
		.version = version, .proto = 6, .seq = 1000, .ack = 5000, .flags = T_ACK,
		.win = 501, .sport = 40000, .dport = 5201, .id = 0x1234, .ttl = 64, .df = true,
		.ts = true, .tsval = 77, .payload = 1000,
	};

	return t;
}

/* Builds the packet with every checksum right; returns its length. */
static inline size_t seg_build(uint8_t *out, const struct tseg *t)
{
	static const char v6src[] = "fd0020211111000000000000001e7658";
	static const char v6dst[] = "fd0020211111000000000000000000aa";
	size_t l3 = t->version == 4 ? (t->v4_options ? 24 : 20) : 40;
	size_t l4h = t->proto == 6 ? (t->ts ? 32 : 20) : 8;
	size_t len = l3 + l4h + t->payload;
	uint8_t *l4 = out + l3;
	struct fzgw_ip v;

	memset(out, 0, l3 + l4h);
	if (t->version == 4) {
		out[0] = (uint8_t)(0x40 | l3 / 4);
		out[1] = t->tos;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		out[4] = (uint8_t)(t->id >> 8);
		out[5] = (uint8_t)t->id;
		out[6] = t->df ? 0x40 : 0;
		out[8] = t->ttl;
		out[9] = t->proto;
		memcpy(out + 12, (uint8_t[]){ 100, 64, 0, 2 }, 4);
		memcpy(out + 16, (uint8_t[]){ 10, 0, 1, 5 }, 4);
		if (t->v4_options)
			memset(out + 20, 1, 4);
	} else {
		out[0] = (uint8_t)(0x60 | t->tos >> 4);
		out[1] = (uint8_t)(t->tos << 4 | 0x0a);
		out[2] = 0xbc;
		out[3] = 0xde;
		out[4] = (uint8_t)((len - 40) >> 8);
		out[5] = (uint8_t)(len - 40);
		out[6] = t->proto;
		out[7] = t->ttl;
		pkt_hex(out + 8, 16, v6src);
		pkt_hex(out + 24, 16, v6dst);
	}
	l4[0] = (uint8_t)(t->sport >> 8);
	l4[1] = (uint8_t)t->sport;
	l4[2] = (uint8_t)(t->dport >> 8);
	l4[3] = (uint8_t)t->dport;
	if (t->proto == 6) {
		for (int k = 0; k < 4; k++) {
			l4[4 + k] = (uint8_t)(t->seq >> (24 - 8 * k));
			l4[8 + k] = (uint8_t)(t->ack >> (24 - 8 * k));
		}
		l4[12] = (uint8_t)(l4h / 4 << 4);
		l4[13] = t->flags;
		l4[14] = (uint8_t)(t->win >> 8);
		l4[15] = (uint8_t)t->win;
		if (t->ts) {
			/* NOP NOP timestamp(10): tsval, tsecr 99 */
			memcpy(l4 + 20, (uint8_t[]){ 1, 1, 8, 10 }, 4);
			for (int k = 0; k < 4; k++)
				l4[24 + k] = (uint8_t)(t->tsval >> (24 - 8 * k));
			l4[31] = 99;
		}
	} else {
		l4[4] = (uint8_t)((l4h + t->payload) >> 8);
		l4[5] = (uint8_t)(l4h + t->payload);
		/* not zero, which the parser would take for "no checksum" and keep */
		l4[6] = l4[7] = 0xff;
	}
	for (size_t k = 0; k < t->payload; k++)
		out[l3 + l4h + k] = (uint8_t)((t->fill + k) * 7);
	if (fzgw_ip_parse(&v, out, len, 65535) == 0)
		fzgw_csum_fix_all(out, &v);
	return len;
}

/* Whether every checksum of a packet is right, by full recomputation. */
static inline bool seg_csum_ok(const uint8_t *p, size_t len)
{
	struct fzgw_ip v;

	return fzgw_ip_parse(&v, p, len, 65535) == 0 && fzgw_csum_verify_all(p, &v);
}

#endif
