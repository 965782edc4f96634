/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-benchmark of the packet library: parse + hook classification over a realistic
 * mix, per class, rewriting with incremental checksums, full checksums and ICMP errors.
 * Prints ns per packet; compare rows of one run, not figures across machines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fzgw/module.h>

#include "checksum.h"
#include "icmp_build.h"
#include "ip_parse.h"
#include "ip_rewrite.h"

enum { MAX_PKTS = 64, PKT_CAP = 1500 };

struct pkt {
	uint8_t b[PKT_CAP];
	size_t len;
};

struct set {
	const char *name;
	struct pkt p[MAX_PKTS];
	int n;
	int order[MAX_PKTS]; /* parse order: shuffled, so branches are not learnt by heart */
};

static volatile uint64_t sink;

static const uint8_t c4[4] = { 100, 66, 110, 73 }, r4[4] = { 10, 0, 1, 5 };
static const uint8_t c6[16] = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, [13] = 0x1e, 0x76, 0x58 };
static const uint8_t r6[16] = { 0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0x00, 0x01, 0x02, 0x48 };

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An IP header for @l4_len bytes already at the L4 offset (20 or 40 + @ext). */
static void ip_header(struct pkt *p, int version, uint8_t proto, size_t ext, size_t l4_len)
{
	if (version == 4) {
		p->len = 20 + l4_len;
		memset(p->b, 0, 20);
		p->b[0] = 0x45;
		put16(p->b + 2, p->len);
		p->b[6] = 0x40;
		p->b[8] = 64;
		p->b[9] = proto;
		memcpy(p->b + 12, c4, 4);
		memcpy(p->b + 16, r4, 4);
		return;
	}
	p->len = 40 + ext + l4_len;
	memset(p->b, 0, 8);
	p->b[0] = 0x60;
	put16(p->b + 4, p->len - 40);
	p->b[6] = ext ? 0 : proto;
	p->b[7] = 64;
	memcpy(p->b + 8, c6, 16);
	memcpy(p->b + 24, r6, 16);
	if (ext) {
		/* hop-by-hop then destination options, 8 bytes each, PadN */
		memset(p->b + 40, 0, ext);
		p->b[40] = 60;
		p->b[42] = 1;
		p->b[43] = 4;
		p->b[48] = proto;
		p->b[50] = 1;
		p->b[51] = 4;
	}
}

static struct pkt *add(struct set *s)
{
	return &s->p[s->n++];
}

static void tcp(struct set *s, int version, size_t payload)
{
	struct pkt *p = add(s);
	size_t off = version == 4 ? 20 : 40;
	uint8_t *t = p->b + off;

	memset(t, 0x61, 32 + payload);
	memset(t, 0, 32);
	put16(t, 51514);
	put16(t + 2, 443);
	t[12] = 0x80; /* 12 bytes of options (timestamps) */
	t[13] = 0x18;
	ip_header(p, version, 6, 0, 32 + payload);
}

static void udp(struct set *s, int version, size_t payload, size_t ext)
{
	struct pkt *p = add(s);
	uint8_t *u = p->b + (version == 4 ? 20 : 40 + ext);

	memset(u, 0x62, 8 + payload);
	put16(u, 38273);
	put16(u + 2, 53);
	put16(u + 4, 8 + payload);
	ip_header(p, version, 17, ext, 8 + payload);
}

static void echo(struct set *s, int version)
{
	struct pkt *p = add(s);
	uint8_t *i = p->b + (version == 4 ? 20 : 40);

	memset(i, 0x63, 64);
	i[0] = version == 4 ? 8 : 128;
	i[1] = 0;
	put16(i + 4, 0x1c2d);
	ip_header(p, version, version == 4 ? 1 : 58, 0, 64);
}

static void icmp_error(struct set *s, int version)
{
	struct pkt q, *p = add(s);
	size_t off = version == 4 ? 20 : 40;
	struct set tmp = { .n = 0 };

	udp(&tmp, version, 40, 0);
	q = tmp.p[0];
	memset(p->b + off, 0, 8);
	p->b[off] = version == 4 ? 3 : 1;
	p->b[off + 1] = version == 4 ? 3 : 4;
	memcpy(p->b + off + 8, q.b, q.len);
	ip_header(p, version, version == 4 ? 1 : 58, 0, 8 + q.len);
}

static void invalid(struct set *s, int which)
{
	struct pkt *p;

	udp(s, 4, 100, 0);
	p = &s->p[s->n - 1];
	if (which == 0)
		p->b[6] = 0x20; /* more fragments */
	else if (which == 1)
		p->b[3]++; /* total length */
	else if (which == 2)
		p->b[25]++; /* UDP length */
	else
		p->len = 1400; /* over the MTU (the bytes past the packet stay allocated) */
}

static void finish(struct set *s)
{
	uint32_t x = 0x2545f491;

	for (int i = 0; i < s->n; i++)
		s->order[i] = i;
	for (int i = s->n - 1; i > 0; i--) {
		int j, t;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		j = (int)(x % (uint32_t)(i + 1));
		t = s->order[i];
		s->order[i] = s->order[j];
		s->order[j] = t;
	}
	for (int i = 0; i < s->n; i++) {
		struct fzgw_ip v;

		if (fzgw_ip_parse(&v, s->p[i].b, s->p[i].len, 1280) == 0)
			(void)fzgw_csum_fix_all(s->p[i].b, &v);
	}
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* What a PARSE/FILTER hook reads to classify a packet. */
static uint64_t classify(const struct fzgw_ip *v)
{
	if (v->kind != FZGW_IP_KIND_NORMAL)
		return v->reason;
	if (v->flags & FZGW_IP_F_ICMP_ERROR)
		return (uint64_t)v->inner.dst_port << 16 | v->inner.proto;
	return (uint64_t)v->proto << 32 | (uint64_t)v->dst_port << 16 | v->src_port |
	       v->dst.bytes[0];
}

static double bench_parse(const struct set *s, long rounds)
{
	uint64_t acc = 0;
	double t0 = now_ns();

	for (long r = 0; r < rounds; r++)
		for (int i = 0; i < s->n; i++) {
			const struct pkt *p = &s->p[s->order[i]];
			struct fzgw_ip v;

			acc += (uint64_t)fzgw_ip_parse(&v, p->b, p->len, 1280);
			acc += classify(&v);
		}
	sink += acc;
	return (now_ns() - t0) / ((double)rounds * s->n);
}

/* set_dst + set_src_port on every packet, alternating so the packets stay the same. */
static double bench_rewrite(struct set *s, long rounds, int with_port)
{
	struct fzgw_ip views[MAX_PKTS];
	struct fzgw_addr a[2][2] = {
		{ { .family = 4, .bytes = { 93, 184, 216, 34 } },
		  { .family = 4, .bytes = { 10, 0, 1, 5 } } },
		{ { .family = 6, .bytes = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 } },
		  { .family = 6 } },
	};
	double t0;
	int rc = 0;

	memcpy(a[1][1].bytes, r6, 16);
	for (int i = 0; i < s->n; i++)
		if (fzgw_ip_parse(&views[i], s->p[i].b, s->p[i].len, 1280) != 0)
			abort();
	t0 = now_ns();
	for (long r = 0; r < rounds; r++)
		for (int i = 0; i < s->n; i++) {
			struct fzgw_ip *v = &views[i];

			rc |= fzgw_ip_set_dst(s->p[i].b, v, &a[v->version == 6][r & 1]);
			if (with_port && (v->flags & FZGW_IP_F_HAS_PORTS))
				rc |= fzgw_ip_set_src_port(s->p[i].b, v,
							   (uint16_t)(40000 + (r & 1)));
			else if (with_port)
				rc |= fzgw_ip_set_icmp_id(s->p[i].b, v, (uint16_t)(7 + (r & 1)));
		}
	sink += (uint64_t)rc;
	return (now_ns() - t0) / ((double)rounds * s->n);
}

static double bench_verify(const struct set *s, long rounds)
{
	struct fzgw_ip views[MAX_PKTS];
	uint64_t acc = 0;
	double t0;

	for (int i = 0; i < s->n; i++)
		if (fzgw_ip_parse(&views[i], s->p[i].b, s->p[i].len, 1280) != 0)
			abort();
	t0 = now_ns();
	for (long r = 0; r < rounds; r++)
		for (int i = 0; i < s->n; i++)
			acc += fzgw_csum_verify_all(s->p[i].b, &views[i]);
	sink += acc;
	return (now_ns() - t0) / ((double)rounds * s->n);
}

static double bench_icmp(const struct set *s, long rounds)
{
	static uint8_t out[1280];
	struct fzgw_ip views[MAX_PKTS];
	uint64_t acc = 0;
	double t0;

	for (int i = 0; i < s->n; i++)
		if (fzgw_ip_parse(&views[i], s->p[i].b, s->p[i].len, 1280) != 0)
			abort();
	t0 = now_ns();
	for (long r = 0; r < rounds; r++)
		for (int i = 0; i < s->n; i++)
			acc += (uint64_t)fzgw_icmp_build_error(out, sizeof(out), s->p[i].b,
							       &views[i], FZGW_ICMP_PROHIBITED,
							       0, NULL);
	sink += acc;
	return (now_ns() - t0) / ((double)rounds * s->n);
}

static struct set sets[12];

int main(int argc, char **argv)
{
	long scale = argc > 1 ? atol(argv[1]) : 1;
	struct set *mix = &sets[0];
	int k = 1;

	if (scale < 1)
		scale = 1;
	/* The mix: mostly TCP, some UDP and ping, a few ICMP errors and junk. */
	mix->name = "mix (64 pkts)";
	for (int i = 0; i < 20; i++)
		tcp(mix, 4, i & 1 ? 1200 : 0);
	for (int i = 0; i < 12; i++)
		tcp(mix, 6, i & 1 ? 1180 : 0);
	for (int i = 0; i < 10; i++)
		udp(mix, 4, i & 1 ? 1000 : 40, 0);
	for (int i = 0; i < 6; i++)
		udp(mix, 6, i & 1 ? 1000 : 40, i == 4 ? 16 : 0);
	for (int i = 0; i < 6; i++)
		echo(mix, i & 1 ? 6 : 4);
	for (int i = 0; i < 6; i++)
		icmp_error(mix, i & 1 ? 6 : 4);
	for (int i = 0; i < 4; i++)
		invalid(mix, i);
	finish(mix);

	sets[k].name = "tcp4";
	tcp(&sets[k++], 4, 0);
	sets[k].name = "tcp6";
	tcp(&sets[k++], 6, 0);
	sets[k].name = "udp4";
	udp(&sets[k++], 4, 40, 0);
	sets[k].name = "udp6 + 2 ext hdrs";
	udp(&sets[k++], 6, 40, 16);
	sets[k].name = "icmp4 echo";
	echo(&sets[k++], 4);
	sets[k].name = "icmp6 error";
	icmp_error(&sets[k++], 6);
	sets[k].name = "invalid (fragment)";
	invalid(&sets[k++], 0);
	for (int i = 1; i < k; i++)
		finish(&sets[i]);

	printf("%-34s %10s\n", "operation", "ns/packet");
	printf("%-34s %10.1f\n", "parse+classify, mix", bench_parse(mix, 500000 * scale));
	for (int i = 1; i < k; i++) {
		char name[64];

		snprintf(name, sizeof(name), "parse+classify, %s", sets[i].name);
		printf("%-34s %10.1f\n", name, bench_parse(&sets[i], 20000000 * scale));
	}
	printf("%-34s %10.1f\n", "set_dst, tcp4", bench_rewrite(&sets[1], 20000000 * scale, 0));
	printf("%-34s %10.1f\n", "set_dst+set_src_port, tcp4",
	       bench_rewrite(&sets[1], 20000000 * scale, 1));
	printf("%-34s %10.1f\n", "set_dst+set_src_port, tcp6",
	       bench_rewrite(&sets[2], 20000000 * scale, 1));
	printf("%-34s %10.1f\n", "set_dst+set_icmp_id, echo4",
	       bench_rewrite(&sets[5], 20000000 * scale, 1));
	/* the mix without its ICMP errors and junk: what the NAT rewrites */
	mix->n = 54;
	printf("%-34s %10.1f\n", "set_dst+port/id, mix", bench_rewrite(mix, 300000 * scale, 1));
	printf("%-34s %10.1f\n", "full checksum verify, mix", bench_verify(mix, 100000 * scale));
	mix->n = 48;
	printf("%-34s %10.1f\n", "icmp error build, mix", bench_icmp(mix, 100000 * scale));
	return sink == 42;
}
