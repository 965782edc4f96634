/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes the nat module whole, through its hooks, with a stand-in for the core and the dns
 * module. Input: records [op][len][len bytes]:
 *   0 AssignedIps (client, name, resource, a set of proxy IPs)   1 a lookup answered
 *   2 a client packet, aimed at a proxy IP                       3 the site answers a flow
 *   4 the site sends an ICMP error about a flow                  5 time passes (and the tick)
 *   6 a control-plane event or a Goodbye                         7 a raw control message
 * The oracle: every packet that leaves has checksums equal to a full recomputation; a client
 * packet leaves with a real IP of its name and its own destination port; an answer or error
 * of the session it belongs to comes back from the client's proxy IP to the client's port, an
 * error quoting exactly what the client sent; control answers are control packets; and after
 * fini no packet buffer is left.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../modules/nat/nat.h"
#include "checksum.h"
#include "ip_parse.h"
#include "ip_rewrite.h"
#include "fuzz.h"

extern const struct fzgw_module fzgw_module;

#define MAX_OPS 96
#define MAX_LOOKUPS 32
#define MAX_FLOWS 8
#define MAX_HELD 80 /* above the module's 2 x max_pending (32), plus the packet in flight */
#define N_PROXY 16 /* 8 IPv4, then 8 IPv6 */
#define N_REAL 8   /* 4 IPv4, then 4 IPv6 */

struct flow {
	uint8_t client[FZGW_IP_MAX_SIZE]; /* as the client sent it */
	uint8_t site[FZGW_IP_MAX_SIZE];   /* as it left toward the site */
	uint16_t len;
	uint8_t who;
};

struct held {
	struct fzgw_packet *pkt;
	uint8_t copy[FZGW_IP_MAX_SIZE];
};

static struct {
	struct nat_state *st;
	uint64_t now;
	long live;
	struct fzgw_peer_info peers[2];
	struct {
		uint64_t id;
		dns_resolve_fn fn;
		void *arg;
		bool open;
	} lk[MAX_LOOKUPS];
	int n_lk;
	uint64_t next_id;
	struct flow flows[MAX_FLOWS];
	int n_flows, next_flow;
	struct held held[MAX_HELD];
	struct fzgw_addr proxy[N_PROXY], real[N_REAL];
	int counters;
	bool removing[2]; /* api->peer_remove() asked, the core's removal not run yet */
} F;

static char dummy_ctx, dummy_timer;
#define CTX ((struct fzgw_ctx *)&dummy_ctx)

/* ------------------------------------------------------------ the stand-in core */

static void f_log(struct fzgw_ctx *ctx, int level, const char *fmt, ...)
{
	(void)ctx;
	(void)level;
	(void)fmt;
}

static bool f_false(struct fzgw_ctx *ctx)
{
	(void)ctx;
	return false;
}

static bool f_log_enabled(struct fzgw_ctx *ctx, int level)
{
	(void)ctx;
	(void)level;
	return false;
}

static int f_settings_parse(struct fzgw_ctx *ctx, const struct fzgw_settings *s,
			    const struct fzgw_key *table, void *out)
{
	(void)ctx;
	(void)s;
	(void)table;
	(void)out;
	return 0; /* the defaults */
}

static struct fzgw_timer *f_timer_add(struct fzgw_ctx *ctx, uint32_t ms, bool repeat,
				      fzgw_timer_fn fn, void *arg)
{
	(void)ctx;
	(void)ms;
	(void)repeat;
	(void)fn;
	(void)arg;
	return (struct fzgw_timer *)&dummy_timer;
}

static uint64_t f_now(struct fzgw_ctx *ctx)
{
	(void)ctx;
	return F.now;
}

static int f_publish(struct fzgw_ctx *ctx, uint32_t type, const void *data, size_t size)
{
	const struct fzgw_ev_proxy_ips *ev = data;

	(void)ctx;
	CHECK(type == FZGW_EV_PROXY_IPS && size == sizeof(*ev));
	CHECK(ev->n <= FZGW_MAX_PROXY_IPS && ev->client_id[0] && ev->resource_id[0] && ev->domain[0]);
	for (uint8_t i = 0; i < ev->n; i++)
		CHECK(p2p_in_proxy_range(&ev->ips[i]));
	return 0;
}

static struct fzgw_packet *f_alloc(struct fzgw_ctx *ctx)
{
	struct fzgw_packet *p = calloc(1, sizeof(*p) + FZGW_IP_MAX_SIZE);

	(void)ctx;
	if (!p)
		return NULL;
	p->data = (uint8_t *)(p + 1);
	p->cap = FZGW_IP_MAX_SIZE;
	F.live++;
	return p;
}

static struct held *held_of(struct fzgw_packet *pkt)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (F.held[i].pkt == pkt)
			return &F.held[i];
	return NULL;
}

static void f_free(struct fzgw_ctx *ctx, struct fzgw_packet *pkt, const char *reason)
{
	struct held *h = held_of(pkt);

	(void)ctx;
	(void)reason;
	if (h)
		h->pkt = NULL;
	F.live--;
	free(pkt);
}

static void deliver_in(struct fzgw_packet *pkt, const uint8_t *copy, uint8_t who);

static void f_reinject(struct fzgw_ctx *ctx, struct fzgw_packet *pkt)
{
	struct held *h = held_of(pkt);
	uint8_t copy[FZGW_IP_MAX_SIZE];

	(void)ctx;
	CHECK(h); /* only what was held comes back */
	memcpy(copy, h->copy, pkt->len);
	h->pkt = NULL;
	deliver_in(pkt, copy, pkt->peer == &F.peers[1]);
}

static int f_icmp(struct fzgw_ctx *ctx, const struct fzgw_packet *pkt, int kind, uint32_t mtu)
{
	(void)ctx;
	(void)mtu;
	CHECK(pkt && kind == FZGW_ICMP_NET_UNREACH);
	return 0;
}

static int f_reparse(struct fzgw_ctx *ctx, struct fzgw_packet *pkt)
{
	(void)ctx;
	return fzgw_ip_parse(&pkt->ip, pkt->data, pkt->len, FZGW_IP_MAX_SIZE) ? -22 : 0;
}

static int f_set_src(struct fzgw_packet *p, const struct fzgw_addr *a)
{
	return fzgw_ip_set_src(p->data, &p->ip, a);
}

static int f_set_dst(struct fzgw_packet *p, const struct fzgw_addr *a)
{
	return fzgw_ip_set_dst(p->data, &p->ip, a);
}

static int f_set_src_port(struct fzgw_packet *p, uint16_t port)
{
	return fzgw_ip_set_src_port(p->data, &p->ip, port);
}

static int f_set_dst_port(struct fzgw_packet *p, uint16_t port)
{
	return fzgw_ip_set_dst_port(p->data, &p->ip, port);
}

static int f_set_icmp_id(struct fzgw_packet *p, uint16_t id)
{
	return fzgw_ip_set_icmp_id(p->data, &p->ip, id);
}

static int f_counter_register(struct fzgw_ctx *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return F.counters++;
}

static void f_counter_add(struct fzgw_ctx *ctx, int id, uint64_t n)
{
	(void)ctx;
	(void)id;
	(void)n;
}

static const struct fzgw_peer_info *f_peer(struct fzgw_ctx *ctx, const char *id)
{
	(void)ctx;
	for (int i = 0; i < 2; i++)
		if (!strcmp(F.peers[i].client_id, id))
			return &F.peers[i];
	return NULL;
}

/* What the module sends the client itself: DomainStatus control packets only (Goodbyes are
 * the core's). */
static void f_inject(struct fzgw_ctx *ctx, struct fzgw_packet *pkt, int phase)
{
	struct fzgw_ip v;

	(void)ctx;
	CHECK(phase == FZGW_PHASE_COUNT && pkt->dir == FZGW_DIR_OUT && pkt->peer);
	CHECK(fzgw_ip_parse(&v, pkt->data, pkt->len, FZGW_IP_MAX_SIZE) == 0);
	CHECK(v.kind == FZGW_IP_KIND_CONTROL);
	CHECK(pkt->data[40] == P2P_DOMAIN_STATUS);
	f_free(ctx, pkt, NULL);
}

/* The module asks for a client's removal only after its Goodbye; the core does it later. */
static int f_peer_remove(struct fzgw_ctx *ctx, const char *id, const char *why)
{
	(void)ctx;
	CHECK(why && !strcmp(why, "goodbye"));
	for (int i = 0; i < 2; i++) {
		if (!strcmp(F.peers[i].client_id, id)) {
			F.removing[i] = true;
			return 0;
		}
	}
	return -2; /* ENOENT */
}

/* ------------------------------------------------------------ the stand-in dns module */

static int f_resolve(void *self, const char *name, dns_resolve_fn fn, void *arg, uint64_t *id)
{
	(void)self;
	(void)name;
	if (F.n_lk == MAX_LOOKUPS)
		return -16; /* EBUSY */
	F.lk[F.n_lk].id = *id = ++F.next_id;
	F.lk[F.n_lk].fn = fn;
	F.lk[F.n_lk].arg = arg;
	F.lk[F.n_lk].open = true;
	F.n_lk++;
	return 0;
}

static void f_cancel(void *self, uint64_t id)
{
	(void)self;
	for (int i = 0; i < F.n_lk; i++)
		if (F.lk[i].id == id)
			F.lk[i].open = false;
}

static const struct dns_service fake_dns = {
	.version = DNS_SERVICE_VERSION,
	.struct_size = sizeof(struct dns_service),
	.resolve = f_resolve,
	.cancel = f_cancel,
	.match = dns_pattern_match,
};

static const void *f_service_lookup(struct fzgw_ctx *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, DNS_SERVICE_NAME) ? NULL : &fake_dns;
}

static const struct fzgw_api api = {
	.abi_major = FZGW_ABI_MAJOR,
	.abi_minor = FZGW_ABI_MINOR,
	.struct_size = sizeof(struct fzgw_api),
	.log = f_log,
	.log_enabled = f_log_enabled,
	.check_only = f_false,
	.settings_parse = f_settings_parse,
	.timer_add = f_timer_add,
	.now_ms = f_now,
	.publish = f_publish,
	.pkt_reinject = f_reinject,
	.pkt_free = f_free,
	.icmp_reply = f_icmp,
	.pkt_reparse = f_reparse,
	.pkt_set_src = f_set_src,
	.pkt_set_dst = f_set_dst,
	.pkt_set_src_port = f_set_src_port,
	.pkt_set_dst_port = f_set_dst_port,
	.pkt_set_icmp_id = f_set_icmp_id,
	.service_lookup = f_service_lookup,
	.counter_register = f_counter_register,
	.counter_add = f_counter_add,
	.peer_by_client = f_peer,
	.pkt_alloc = f_alloc,
	.pkt_inject = f_inject,
	.peer_remove = f_peer_remove,
};

/* ------------------------------------------------------------ the oracle */

static bool same_addr(const struct fzgw_addr *a, const struct fzgw_addr *b)
{
	return a->family == b->family && !memcmp(a->bytes, b->bytes, 16);
}

static int real_index(const struct fzgw_addr *a)
{
	for (int i = 0; i < N_REAL; i++)
		if (same_addr(a, &F.real[i]))
			return i;
	return -1;
}

static void check_csums(const uint8_t *buf, uint32_t len, struct fzgw_ip *v)
{
	CHECK(fzgw_ip_parse(v, buf, len, FZGW_IP_MAX_SIZE) == 0);
	CHECK(fzgw_csum_verify_all(buf, v));
}

static void free_pkt(struct fzgw_packet *pkt)
{
	f_free(CTX, pkt, NULL);
}

/* A client packet past IN_PARSE (or reinjected): IN_NAT, then what the site would get. */
static void deliver_in(struct fzgw_packet *pkt, const uint8_t *copy, uint8_t who)
{
	struct fzgw_ip cv, v;
	struct flow *fl;
	uint32_t len = pkt->len;

	CHECK(fzgw_ip_parse(&cv, copy, len, FZGW_IP_MAX_SIZE) == 0);
	if (nat_hook_in(F.st, pkt) != FZGW_CONTINUE) {
		free_pkt(pkt);
		return;
	}
	CHECK(pkt->len == len);
	check_csums(pkt->data, pkt->len, &v);
	if (!p2p_in_proxy_range(&cv.dst)) {
		CHECK(!memcmp(pkt->data, copy, len)); /* not ours: untouched */
		free_pkt(pkt);
		return;
	}
	CHECK(real_index(&v.dst) >= 0 && v.dst.family == cv.dst.family);
	CHECK(same_addr(&v.src, &cv.src) && v.dst_port == cv.dst_port && v.proto == cv.proto);
	fl = &F.flows[F.next_flow];
	F.next_flow = (F.next_flow + 1) % MAX_FLOWS;
	if (F.n_flows < MAX_FLOWS)
		F.n_flows++;
	memcpy(fl->client, copy, len);
	memcpy(fl->site, pkt->data, len);
	fl->len = (uint16_t)len;
	fl->who = who;
	free_pkt(pkt);
}

/* Runs a client packet from IN_PARSE, keeping what it was for the oracle. */
static void from_client(struct fzgw_packet *pkt, uint8_t who)
{
	struct held *h = NULL;
	enum fzgw_verdict v;
	uint8_t copy[FZGW_IP_MAX_SIZE];

	memcpy(copy, pkt->data, pkt->len);
	for (int i = 0; i < MAX_HELD && !h; i++)
		if (!F.held[i].pkt)
			h = &F.held[i];
	CHECK(h); /* more held than the module's own caps allow */
	h->pkt = pkt; /* in case the module holds it */
	memcpy(h->copy, copy, pkt->len);
	v = nat_hook_control(F.st, pkt);
	if (v == FZGW_STOLEN)
		return; /* held, or consumed and freed */
	h->pkt = NULL;
	if (v == FZGW_DROP) {
		free_pkt(pkt);
		return;
	}
	CHECK(v == FZGW_CONTINUE && pkt->ip.kind == FZGW_IP_KIND_NORMAL);
	deliver_in(pkt, copy, who);
}

static struct fzgw_packet *packet(const uint8_t *buf, size_t len, int dir, uint8_t who)
{
	struct fzgw_packet *pkt = f_alloc(CTX);

	if (!pkt)
		return NULL;
	memcpy(pkt->data, buf, len);
	pkt->len = (uint32_t)len;
	CHECK(fzgw_ip_parse(&pkt->ip, pkt->data, pkt->len, FZGW_IP_MAX_SIZE) == 0);
	pkt->dir = (uint8_t)dir;
	pkt->peer = &F.peers[who];
	return pkt;
}

static void send_control(uint8_t who, uint8_t type, const char *json, size_t len)
{
	uint8_t buf[FZGW_IP_MAX_SIZE];
	int n = p2p_build(buf, sizeof(buf), type, json, len);
	struct fzgw_packet *pkt;

	if (n < 0 || !(pkt = packet(buf, (size_t)n, FZGW_DIR_IN, who)))
		return;
	CHECK(pkt->ip.kind == FZGW_IP_KIND_CONTROL);
	from_client(pkt, who);
}

/* ------------------------------------------------------------ operations */

static const char *const names[4] = { "d0.corp.example", "d1.corp.example", "x.other.example",
				       "d3.corp.example" };

static void op_assigned(const uint8_t *d, size_t n)
{
	char json[1024], text[INET6_ADDRSTRLEN];
	unsigned mask = n > 2 ? (unsigned)(d[1] | d[2] << 8) : 1;
	int len, k = 0;

	if (!n)
		return;
	len = snprintf(json, sizeof(json), "{\"resource\":\"%s\",\"domain\":\"%s\",\"proxy_ips\":[",
		       d[0] & 8 ? "other" : "web", names[(d[0] >> 1) & 3]);
	for (int i = 0; i < N_PROXY && k < FZGW_MAX_PROXY_IPS; i++) {
		if (!(mask & 1u << i))
			continue;
		inet_ntop(F.proxy[i].family == 4 ? AF_INET : AF_INET6, F.proxy[i].bytes, text,
			  sizeof(text));
		len += snprintf(json + len, sizeof(json) - (size_t)len, "%s\"%s\"", k++ ? "," : "", text);
	}
	len += snprintf(json + len, sizeof(json) - (size_t)len, "]}");
	send_control(d[0] & 1, P2P_ASSIGNED_IPS, json, (size_t)len);
}

static void op_answer(const uint8_t *d, size_t n)
{
	struct dns_result res;
	int open = 0, pick;

	if (n < 3)
		return;
	for (int i = 0; i < F.n_lk; i++)
		open += F.lk[i].open;
	if (!open)
		return;
	pick = d[0] % open;
	memset(&res, 0, sizeof(res));
	/* an answer without address (ENOENT) maps the name onto nothing; a timeout keeps it */
	res.status = d[1] & 1 ? (d[1] & 2 ? -110 : -2) : 0;
	for (int i = 0; i < N_REAL && !res.status; i++)
		if (d[2] & 1u << i)
			res.addrs[res.n++] = F.real[i];
	if (!res.n && !res.status)
		res.status = -2;
	for (int i = 0; i < F.n_lk; i++) {
		if (!F.lk[i].open || pick--)
			continue;
		F.lk[i].open = false;
		F.lk[i].fn(F.lk[i].arg, F.lk[i].id, &res);
		return;
	}
}

static void op_client_packet(const uint8_t *d, size_t n)
{
	uint8_t buf[FZGW_IP_MAX_SIZE];
	struct fzgw_ip v;
	struct fzgw_packet *pkt;
	uint8_t who;
	int pi;

	if (n < 2 || n - 1 > sizeof(buf))
		return;
	who = d[0] & 1;
	memcpy(buf, d + 1, n - 1);
	if (fzgw_ip_parse(&v, buf, n - 1, FZGW_IP_MAX_SIZE) || v.kind != FZGW_IP_KIND_NORMAL)
		return;
	/* from the client's own address, to a proxy IP of the packet's family (mostly) */
	if (fzgw_ip_set_src(buf, &v, v.version == 4 ? &F.peers[who].ipv4 : &F.peers[who].ipv6))
		return;
	pi = (d[0] >> 1) & 7;
	if (!(d[0] & 0x80) && fzgw_ip_set_dst(buf, &v, &F.proxy[pi + (v.version == 6 ? 8 : 0)]))
		return;
	if (fzgw_csum_fix_all(buf, &v) || !(pkt = packet(buf, n - 1, FZGW_DIR_IN, who)))
		return;
	from_client(pkt, who);
}

/* A 16-bit checksum field: the same value, or the other zero of ones' complement. */
static bool same_sum(const uint8_t *a, const uint8_t *b)
{
	uint16_t x = (uint16_t)(a[0] << 8 | a[1]), y = (uint16_t)(b[0] << 8 | b[1]);

	return x == y || ((x == 0 || x == 0xffff) && (y == 0 || y == 0xffff));
}

/* The quote of a rebuilt error against the client's packet @c (view @cv), byte for byte. */
static void check_quote(const uint8_t *q, size_t qlen, const uint8_t *c, const struct fzgw_ip *cv)
{
	size_t l4c = cv->l3_len + (cv->proto == 6 ? 16u : cv->proto == 17 ? 6u : 2u);

	for (size_t i = 0; i < qlen && i < cv->len; i++) {
		if ((cv->version == 4 && i == 10) || i == l4c) {
			if (i + 1 < qlen)
				CHECK(same_sum(q + i, c + i));
			i++;
			continue;
		}
		CHECK(q[i] == c[i]);
	}
}

/* Swaps the flow's site packet into the site's answer (or an ICMP error about it). */
static void op_site(const uint8_t *d, size_t n, bool error)
{
	uint8_t buf[FZGW_IP_MAX_SIZE], orig_copy[FZGW_IP_MAX_SIZE];
	struct fzgw_ip v, cv, out;
	struct fzgw_addr src, dst;
	struct fzgw_packet *pkt;
	const struct flow *fl;
	size_t len;

	if (n < 3 || !F.n_flows)
		return;
	fl = &F.flows[d[0] % F.n_flows];
	CHECK(fzgw_ip_parse(&cv, fl->client, fl->len, FZGW_IP_MAX_SIZE) == 0);
	memcpy(orig_copy, fl->client, fl->len);
	if (!error) {
		memcpy(buf, fl->site, fl->len);
		len = fl->len;
		CHECK(fzgw_ip_parse(&v, buf, len, FZGW_IP_MAX_SIZE) == 0);
		src = v.dst;
		dst = v.src;
		CHECK(fzgw_ip_set_src(buf, &v, &src) == 0 && fzgw_ip_set_dst(buf, &v, &dst) == 0);
		if (v.flags & FZGW_IP_F_HAS_PORTS) {
			uint16_t sp = v.src_port, dp = v.dst_port;

			CHECK(!fzgw_ip_set_src_port(buf, &v, dp) && !fzgw_ip_set_dst_port(buf, &v, sp));
		}
		if (v.proto == 6)
			buf[v.l3_len + 13] = d[1];
	} else {
		/* from the real IP to the client, quoting the first bytes of what the site got */
		size_t hdr = cv.version == 4 ? 20 : 40, q = fl->len;
		size_t min = cv.l3_len + 8u + (size_t)(d[2] & 15);

		CHECK(fzgw_ip_parse(&v, fl->site, fl->len, FZGW_IP_MAX_SIZE) == 0);
		if (d[1] & 1 && min < q)
			q = min;
		if (hdr + 8 + q > FZGW_IP_MAX_SIZE)
			q = FZGW_IP_MAX_SIZE - hdr - 8;
		len = hdr + 8 + q;
		memset(buf, 0, hdr + 8);
		if (cv.version == 4) {
			buf[0] = 0x45;
			buf[2] = (uint8_t)(len >> 8);
			buf[3] = (uint8_t)len;
			buf[8] = 64;
			buf[9] = 1;
			memcpy(buf + 12, v.dst.bytes, 4);
			memcpy(buf + 16, v.src.bytes, 4);
			buf[hdr] = d[1] & 2 ? 11 : 3;
			buf[hdr + 1] = d[1] & 2 ? 0 : 3;
		} else {
			buf[0] = 0x60;
			buf[4] = (uint8_t)((len - 40) >> 8);
			buf[5] = (uint8_t)(len - 40);
			buf[6] = 58;
			buf[7] = 64;
			memcpy(buf + 8, v.dst.bytes, 16);
			memcpy(buf + 24, v.src.bytes, 16);
			buf[hdr] = d[1] & 2 ? 3 : (d[1] & 4 ? 2 : 1);
			if (buf[hdr] == 2)
				buf[hdr + 6] = 0x05; /* MTU 1280 */
			else
				buf[hdr + 1] = d[1] & 2 ? 0 : 4;
		}
		memcpy(buf + hdr + 8, fl->site, q);
	}
	if (fzgw_ip_parse(&v, buf, len, FZGW_IP_MAX_SIZE) || v.kind != FZGW_IP_KIND_NORMAL ||
	    fzgw_csum_fix_all(buf, &v))
		return;
	if (!(pkt = packet(buf, len, FZGW_DIR_OUT, fl->who)))
		return;
	if (nat_hook_out(F.st, pkt) != FZGW_CONTINUE) {
		free_pkt(pkt);
		return;
	}
	check_csums(pkt->data, pkt->len, &out);
	if (!error) {
		CHECK(pkt->len == len);
		/* a session's answer comes from a proxy IP; anything else passes untouched */
		CHECK(real_index(&out.src) >= 0 || p2p_in_proxy_range(&out.src));
		if (p2p_in_proxy_range(&out.src) && out.flags & FZGW_IP_F_HAS_PORTS)
			CHECK(out.src_port == cv.dst_port);
	} else if (p2p_in_proxy_range(&out.src)) {
		CHECK(out.ttl == NAT_ICMP_TTL && same_addr(&out.dst, &cv.src));
		CHECK(out.flags & FZGW_IP_F_ICMP_ERROR && out.inner.has_ports);
		CHECK(same_addr(&out.inner.dst, &out.src));
		/* back to this flow's inside tuple: the quote is what the client sent */
		if (same_addr(&out.src, &cv.dst) && out.inner.src_port == cv.src_port)
			check_quote(pkt->data + out.inner.off, out.inner.len, orig_copy, &cv);
	}
	free_pkt(pkt);
}

static void op_time(const uint8_t *d, size_t n)
{
	if (n < 2)
		return;
	F.now += (uint64_t)(d[0] | d[1] << 8) * 100;
	nat_table_expire(&F.st->table, F.now);
	nat_domains_tick(F.st, F.now);
	CHECK(F.st->table.n_live <= F.st->table.lim.max_entries);
	CHECK(F.st->table.n_dead <= F.st->table.lim.max_expired);
}

static void grant(uint8_t who, const char *pattern)
{
	struct fzgw_ev_authorization a;
	struct fzgw_event ev = { FZGW_EV_PEER_AUTHORIZED, &a, sizeof(a), "test" };

	memset(&a, 0, sizeof(a));
	memcpy(a.client_id, F.peers[who].client_id, sizeof(F.peers[who].client_id));
	snprintf(a.resource.id, sizeof(a.resource.id), "web");
	a.resource.type = FZGW_RES_DNS;
	a.resource.pattern = pattern; /* borrowed for the event, as the ABI says */
	nat_on_authorized(F.st, &ev);
}

static void op_event(const uint8_t *d, size_t n)
{
	uint8_t who;

	if (!n)
		return;
	who = d[0] >> 7;
	switch (d[0] % 6) {
	case 0:
	case 4: {
		struct fzgw_ev_revoke r;
		struct fzgw_event ev = { FZGW_EV_ACCESS_REVOKED, &r, sizeof(r), "test" };

		memset(&r, 0, sizeof(r));
		memcpy(r.client_id, F.peers[who].client_id, sizeof(r.client_id));
		if (d[0] % 6 == 0)
			snprintf(r.resource_id, sizeof(r.resource_id), "web");
		nat_on_revoked(F.st, &ev);
		break;
	}
	case 1:
		grant(who, "*.corp.example");
		break;
	case 2:
		send_control(who, P2P_GOODBYE, NULL, 0);
		break;
	case 3: {
		struct fzgw_ev_peer p;
		struct fzgw_event ev = { FZGW_EV_PEER_REMOVED, &p, sizeof(p), "test" };

		memcpy(p.client_id, F.peers[who].client_id, sizeof(p.client_id));
		nat_on_peer_removed(F.st, &ev);
		break;
	}
	case 5:
		grant(who, "d0.corp.example");
		break;
	}
}

/* What the core does after api->peer_remove(): every grant, then the tunnel, goes. */
static void core_removals(void)
{
	for (int i = 0; i < 2; i++) {
		struct fzgw_ev_revoke r;
		struct fzgw_ev_peer p;
		struct fzgw_event rev = { FZGW_EV_ACCESS_REVOKED, &r, sizeof(r), "core" };
		struct fzgw_event gone = { FZGW_EV_PEER_REMOVED, &p, sizeof(p), "core" };

		if (!F.removing[i])
			continue;
		F.removing[i] = false;
		memset(&r, 0, sizeof(r));
		memcpy(r.client_id, F.peers[i].client_id, sizeof(r.client_id));
		memcpy(p.client_id, F.peers[i].client_id, sizeof(p.client_id));
		nat_on_revoked(F.st, &rev);
		nat_on_peer_removed(F.st, &gone);
		CHECK(!nat_client_find(F.st, F.peers[i].client_id));
	}
}

static void setup(void)
{
	memset(&F, 0, sizeof(F));
	F.now = 1000000;
	snprintf(F.peers[0].client_id, sizeof(F.peers[0].client_id), "c0");
	snprintf(F.peers[1].client_id, sizeof(F.peers[1].client_id), "c1");
	F.peers[1].index = 1;
	for (int i = 0; i < 2; i++) {
		F.peers[i].ipv4 = (struct fzgw_addr){ 4, { 100, 64, 0, (uint8_t)(2 + i) } };
		F.peers[i].ipv6 = (struct fzgw_addr){
			6, { 0xfd, 0, 0x20, 0x21, 0x11, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, (uint8_t)(2 + i) }
		};
	}
	for (int i = 0; i < 8; i++) {
		F.proxy[i] = (struct fzgw_addr){ 4, { 100, 96, 0, (uint8_t)(1 + i) } };
		F.proxy[8 + i] = (struct fzgw_addr){
			6, { 0xfd, 0, 0x20, 0x21, 0x11, 0x11, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, (uint8_t)(1 + i) }
		};
	}
	for (int i = 0; i < 4; i++) {
		F.real[i] = (struct fzgw_addr){ 4, { 10, 0, 0, (uint8_t)(1 + i) } };
		F.real[4 + i] = (struct fzgw_addr){
			6, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (uint8_t)(1 + i) }
		};
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *state = NULL;
	size_t off = 0;
	int ops = 0;

	setup();
	CHECK(fzgw_module.init(CTX, &api, NULL, &state) == 0);
	F.st = state;
	grant(0, "*.corp.example");
	grant(1, "*.corp.example");
	while (off + 2 <= size && ops++ < MAX_OPS) {
		uint8_t op = data[off], n = data[off + 1];
		const uint8_t *d = data + off + 2;

		if (off + 2 + n > size)
			n = (uint8_t)(size - off - 2);
		off += 2u + n;
		switch (op & 7) {
		case 0:
			op_assigned(d, n);
			break;
		case 1:
			op_answer(d, n);
			break;
		case 2:
			op_client_packet(d, n);
			break;
		case 3:
			op_site(d, n, false);
			break;
		case 4:
			op_site(d, n, true);
			break;
		case 5:
			op_time(d, n);
			break;
		case 6:
			op_event(d, n);
			break;
		case 7:
			if (n >= 2)
				send_control(d[0] & 1, d[1], (const char *)d + 2, n - 2u);
			break;
		}
		core_removals();
	}
	fzgw_module.fini(state);
	CHECK(F.live == 0); /* nothing held or leaked past fini */
	return 0;
}
