/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-benchmark of the filter module's classification: one client granted 10, 1,000 and
 * 100,000 CIDR resources, packets to random addresses inside them through the module's
 * inbound hook (real core, fake clocks), with the cache hit and missed, the classification
 * alone, and the plain scan it replaced. Prints ns per packet; compare rows of one run.
 */
#include <arpa/inet.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fzgw/module.h>

#include "core.h"
#include "filter.h"
#include "ip_parse.h"
#include "loader.h"

extern const struct fzgw_module fzgw_module;

enum { HOT = 256, COLD = 1 << 20, ROUNDS = 3 };

static volatile uint64_t sink;
static uint64_t fake_ms = 1000;

static uint64_t now_ms(void)
{
	return fake_ms;
}

static int64_t wall_s(void)
{
	return 1800000000;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* The filters the benchmark's resources borrow (the module copies them). */
static const struct fzgw_port_range web_ports[] = { { 80, 80 }, { 443, 443 } };
static const struct fzgw_port_range dns_port[] = { { 53, 53 } }, alt_ports[] = { { 443, 8443 } };
static const struct fzgw_filter web[] = { { FZGW_FILTER_TCP, 2, web_ports } };
static const struct fzgw_filter mixed[] = {
	{ FZGW_FILTER_UDP, 1, dns_port },
	{ FZGW_FILTER_TCP, 1, alt_ports },
	{ FZGW_FILTER_ICMP, 0, NULL },
};

/* A resource as an operator would define it: hosts, subnets, a few wide ranges, some IPv6. */
static struct fzgw_resource make_resource(int i)
{
	static const uint8_t v4_lens[] = { 32, 32, 32, 32, 32, 32, 32, 24, 24, 24, 24, 24, 24, 24,
					   28, 28, 20, 16, 16 };
	struct fzgw_resource r;
	unsigned bits, plen;

	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "res-%06d", i);
	r.type = FZGW_RES_CIDR;
	if (rnd() % 20 == 0) {
		r.addr.family = 6;
		r.addr.bytes[0] = 0x20;
		r.addr.bytes[1] = 0x01;
		r.addr.bytes[2] = 0x0d;
		r.addr.bytes[3] = 0xb8;
		for (int k = 4; k < 16; k++)
			r.addr.bytes[k] = (uint8_t)rnd();
		plen = rnd() % 2 ? 64 : 128;
		bits = 128;
	} else {
		uint32_t a;

		/* 1.0.0.0 .. 223.255.255.255, not the tunnel ranges (those are other clients) */
		do
			a = rnd() % (223u << 24) + (1u << 24);
		while (a >> 24 == 100 && (a >> 16 & 0xff) >= 64 && (a >> 16 & 0xff) < 128);
		r.addr.family = 4;
		for (int k = 0; k < 4; k++)
			r.addr.bytes[k] = (uint8_t)(a >> (24 - 8 * k));
		plen = v4_lens[rnd() % sizeof(v4_lens)];
		bits = 32;
	}
	for (unsigned b = plen; b < bits; b++)
		r.addr.bytes[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	r.prefix_len = (uint8_t)plen;
	/* half without filters; the rest admit the benchmark's port 443 among others */
	switch (rnd() % 4) {
	case 0:
		r.n_filters = 1;
		r.filters = web;
		break;
	case 1:
		r.n_filters = 3;
		r.filters = mixed;
		break;
	}
	return r;
}

/* A random address inside @r. */
static struct fzgw_addr inside(const struct fzgw_resource *r)
{
	struct fzgw_addr a = r->addr;
	unsigned bits = a.family == 4 ? 32 : 128;

	for (unsigned b = r->prefix_len; b < bits; b++)
		if (rnd() & 1)
			a.bytes[b / 8] |= (uint8_t)(0x80u >> (b % 8));
	return a;
}

/* A TCP SYN from the client to a placeholder destination of @family, parsed. */
static void make_packet(struct fzgw_packet *pkt, uint8_t *buf, int family,
			struct fzgw_peer_info *peer)
{
	size_t hl = family == 4 ? 20 : 40, len = hl + 20;

	memset(buf, 0, len);
	if (family == 4) {
		buf[0] = 0x45;
		buf[3] = (uint8_t)len;
		buf[8] = 64;
		buf[9] = 6;
		memcpy(buf + 12, peer->ipv4.bytes, 4);
		buf[16] = 1;
	} else {
		buf[0] = 0x60;
		buf[5] = 20;
		buf[6] = 6;
		buf[7] = 64;
		memcpy(buf + 8, peer->ipv6.bytes, 16);
		buf[24] = 0x20;
	}
	buf[hl] = 0x9c; /* source port 40000 */
	buf[hl + 1] = 0x40;
	buf[hl + 2] = 443 >> 8;
	buf[hl + 3] = 443 & 0xff;
	buf[hl + 12] = 5 << 4;
	buf[hl + 13] = 0x02;
	memset(pkt, 0, sizeof(*pkt));
	pkt->data = buf;
	pkt->len = (uint32_t)len;
	pkt->cap = (uint32_t)len;
	pkt->dir = FZGW_DIR_IN;
	pkt->phase = FZGW_PHASE_IN_FILTER;
	pkt->peer = peer;
	if (fzgw_ip_parse(&pkt->ip, buf, len, 1500) != 0) {
		fprintf(stderr, "cannot parse the benchmark's packet\n");
		exit(1);
	}
}

struct world {
	struct event_base *base;
	struct fzgw_core core;
	struct fzgw_ctx ctx;
	struct filter_state *st;
	struct filter_client *c;
	struct fzgw_peer_info peer;
	uint8_t buf[2][64];
	struct fzgw_packet pkt[2]; /* [0] IPv4, [1] IPv6 */
	struct fzgw_resource *res;
	int n_res;
};

/* @only: the one resource to grant instead of @n_res made ones. */
static void world_up(struct world *w, int n_res, const struct fzgw_resource *only)
{
	struct fzgw_ev_authorization a;
	char err[256];
	double t0;

	memset(w, 0, sizeof(*w));
	w->base = event_base_new();
	fzgw_core_init(&w->core, w->base, false);
	w->core.now_ms = now_ms;
	w->core.wall_s = wall_s;
	w->ctx.core = &w->core;
	w->ctx.desc = &fzgw_module;
	snprintf(w->ctx.name, sizeof(w->ctx.name), "filter");
	if (fzgw_loader_init(&w->ctx, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "filter init: %s\n", err);
		exit(1);
	}
	w->ctx.live = true;
	w->st = w->ctx.state;
	snprintf(w->peer.client_id, sizeof(w->peer.client_id), "bench-client");
	inet_pton(AF_INET, "100.64.0.2", w->peer.ipv4.bytes);
	w->peer.ipv4.family = 4;
	inet_pton(AF_INET6, "fd00:2021:1111::2", w->peer.ipv6.bytes);
	w->peer.ipv6.family = 6;
	make_packet(&w->pkt[0], w->buf[0], 4, &w->peer);
	make_packet(&w->pkt[1], w->buf[1], 6, &w->peer);
	w->n_res = n_res;
	w->res = calloc((size_t)n_res, sizeof(*w->res));
	memset(&a, 0, sizeof(a));
	memcpy(a.client_id, w->peer.client_id, sizeof(a.client_id));
	t0 = now_ns();
	for (int i = 0; i < n_res; i++) {
		w->res[i] = only ? *only : make_resource(i);
		a.resource = w->res[i];
		fzgw_bus_publish(&w->core.bus, &w->core.self, FZGW_EV_PEER_AUTHORIZED, &a, sizeof(a));
	}
	w->c = filter_client_find(w->st, w->peer.client_id);
	if (!w->c || w->c->n_grants != (uint32_t)n_res) {
		fprintf(stderr, "the policy did not take %d grants\n", n_res);
		exit(1);
	}
	printf("%7d resources: policy built in %.1f ms, %u prefixes\n", n_res,
	       (now_ns() - t0) / 1e6, w->c->ix.nodes);
}

static void world_down(struct world *w)
{
	fzgw_ctx_unregister_all(&w->ctx);
	fzgw_module.fini(w->ctx.state);
	fzgw_core_fini(&w->core);
	event_base_free(w->base);
	free(w->res);
}

/* Destinations inside random resources. */
static struct fzgw_addr *destinations(const struct world *w, size_t n)
{
	struct fzgw_addr *d = malloc(n * sizeof(*d));

	for (size_t i = 0; i < n; i++)
		d[i] = inside(&w->res[rnd() % (uint32_t)w->n_res]);
	return d;
}

/* ns per packet through the hook over @n destinations, @reps packets, best of ROUNDS. */
static double run_hook(struct world *w, const struct fzgw_addr *d, size_t n, size_t reps,
		       double *hit_pct)
{
	double best = 1e30;

	for (int round = 0; round < ROUNDS; round++) {
		uint64_t h0 = w->st->cache_hits, m0 = w->st->cache_misses, acc = 0;
		double t0 = now_ns(), t;

		for (size_t i = 0; i < reps; i++) {
			const struct fzgw_addr *a = &d[i & (n - 1)];
			struct fzgw_packet *pkt = &w->pkt[a->family == 6];

			pkt->ip.dst = *a;
			acc += filter_hook_in(w->st, pkt) == FZGW_ACCEPT;
		}
		t = (now_ns() - t0) / (double)reps;
		sink += acc;
		if (acc != reps) {
			fprintf(stderr, "%zu of %zu packets refused\n", reps - (size_t)acc, reps);
			exit(1);
		}
		if (t < best)
			best = t;
		*hit_pct = 100.0 * (double)(w->st->cache_hits - h0) /
			   (double)(w->st->cache_hits - h0 + w->st->cache_misses - m0);
	}
	return best;
}

/* The classification and decision without the cache: the work of every cache miss. */
static double run_classify(struct world *w, const struct fzgw_addr *d, size_t n, size_t reps)
{
	struct filter_query q = { NULL, 6, true, 443, 1800000000 };
	double best = 1e30;

	for (int round = 0; round < ROUNDS; round++) {
		uint64_t acc = 0;
		double t0 = now_ns(), t;

		for (size_t i = 0; i < reps; i++) {
			struct filter_class cls;

			q.addr = &d[i & (n - 1)];
			filter_classify(w->c, q.addr, &cls);
			acc += filter_decide_class(w->c, &cls, &q) == FILTER_OK;
		}
		t = (now_ns() - t0) / (double)reps;
		sink += acc;
		if (t < best)
			best = t;
	}
	return best;
}

/* The scan over every grant that the index replaced, for comparison. */
static double run_scan(struct world *w, const struct fzgw_addr *d, size_t n, size_t reps)
{
	struct filter_query q = { NULL, 6, true, 443, 1800000000 };
	uint64_t acc = 0;
	double t0 = now_ns();

	for (size_t i = 0; i < reps; i++) {
		q.addr = &d[i & (n - 1)];
		acc += filter_decide_scan(w->c, &q) == FILTER_OK;
	}
	sink += acc;
	return (now_ns() - t0) / (double)reps;
}

/* One resource of 100 TCP filters with 10 ranges each (1,000, merged into sorted disjoint
 * ranges by the module): the port check is a binary search. */
static void run_many_ranges(void)
{
	static struct fzgw_filter fs[100];
	static struct fzgw_port_range rg[1000];
	struct fzgw_resource r;
	struct fzgw_addr *hot;
	struct world w;
	double hit, pct;

	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "many-ranges");
	r.type = FZGW_RES_CIDR;
	r.addr.family = 4;
	r.addr.bytes[0] = 10;
	r.prefix_len = 8;
	for (int i = 0; i < 1000; i++) {
		uint16_t a = (uint16_t)(1024 + rnd() % 60000);

		rg[i] = (struct fzgw_port_range){ a, (uint16_t)(a + rnd() % 4) };
	}
	rg[500] = (struct fzgw_port_range){ 443, 443 };
	for (int i = 0; i < 100; i++)
		fs[i] = (struct fzgw_filter){ FZGW_FILTER_TCP, 10, &rg[10 * i] };
	r.n_filters = 100;
	r.filters = fs;
	world_up(&w, 1, &r);
	hot = destinations(&w, HOT);
	run_hook(&w, hot, HOT, HOT, &pct);
	hit = run_hook(&w, hot, HOT, 4000000, &pct);
	printf("1 resource of 100 filters, 1,000 port ranges: hook hit %6.1f ns (%5.1f%% hits)\n",
	       hit, pct);
	free(hot);
	world_down(&w);
}

int main(void)
{
	static const int sizes[] = { 10, 1000, 100000 };

	printf("filter classification, one client, CIDR resources, TCP SYN to port 443 "
	       "(ns per packet, best of %d)\n", ROUNDS);
	printf("  hook hit:   the inbound hook, %d destinations (the cache holds them)\n", HOT);
	printf("  hook miss:  the inbound hook, %d destinations in turn (4096-entry cache)\n", COLD);
	printf("  classify:   trie lookup + decision, no cache\n");
	printf("  scan:       every grant in turn (the reference the index must agree with)\n\n");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct world w;
		struct fzgw_addr *hot, *cold;
		double hit, miss, cls, scan, hit_pct, miss_pct;
		size_t scan_reps = sizes[s] >= 100000 ? 2000 : 200000;

		world_up(&w, sizes[s], NULL);
		hot = destinations(&w, HOT);
		cold = destinations(&w, COLD);
		run_hook(&w, hot, HOT, HOT, &hit_pct); /* warm the cache */
		hit = run_hook(&w, hot, HOT, 4000000, &hit_pct);
		miss = run_hook(&w, cold, COLD, COLD, &miss_pct);
		cls = run_classify(&w, cold, COLD, COLD);
		scan = run_scan(&w, cold, COLD, scan_reps);
		printf("%7d resources: hook hit %6.1f ns (%5.1f%% hits)  hook miss %6.1f ns "
		       "(%4.1f%% hits)  classify %6.1f ns  scan %10.1f ns\n\n", sizes[s], hit,
		       hit_pct, miss, miss_pct, cls, scan);
		free(hot);
		free(cold);
		world_down(&w);
	}
	run_many_ranges();
	return sink == 42 ? 1 : 0;
}
