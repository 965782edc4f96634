/* SPDX-License-Identifier: Apache-2.0 */
/* The nat module in the core's pipeline: control messages, translation, ICMP errors, events. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ifaddrs.h>
#include <netinet/in.h>

#include "checksum.h"
#include "dest.h"
#include "ip_parse.h"
#include "modtest.h"
#include "seedtest.h"
#include "nat.h"

extern const struct fzgw_module fzgw_module;

#define MAX_SENT 64
#define MAX_LOOKUPS 32

enum { TCP = 6, UDP = 17, ICMP = 1, ICMP6 = 58, FIN = 0x01, SYN = 0x02, RST = 0x04, ACK = 0x10 };

struct sent {
	uint8_t buf[FZGW_IP_MAX_SIZE];
	uint32_t len;
	struct fzgw_ip ip;
	char client[40];
};

struct lookup {
	char name[256];
	dns_resolve_fn fn;
	void *arg;
	uint64_t id;
	bool cancelled, done;
};

struct world {
	struct modtest *t;
	struct fzgw_ctx accept_ctx;
	struct fzgw_peer_info peers[2]; /* alice, bob */
	int n_in, n_out;
	struct sent in[MAX_SENT], out[MAX_SENT];
	struct dns_service svc;
	struct lookup lk[MAX_LOOKUPS];
	int n_lk;
	uint64_t next_id;
	int refuse; /* errno the fake resolver returns, 0: accept */
	int live_packets;
	int n_removed; /* api->peer_remove() calls */
	struct {
		char client[40], why[32];
	} removed[4];
};

static struct world *W;

/* ------------------------------------------------------------ the core's plumbing */

static struct fzgw_packet *t_alloc(struct fzgw_core *core)
{
	struct fzgw_packet *p = calloc(1, sizeof(*p) + 128 + FZGW_IP_MAX_SIZE);

	(void)core;
	assert_non_null(p);
	p->data = (uint8_t *)(p + 1) + 128;
	p->cap = FZGW_IP_MAX_SIZE;
	W->live_packets++;
	return p;
}

static void t_release(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	(void)core;
	W->live_packets--;
	free(pkt);
}

static void keep(struct sent *s, int *n, struct fzgw_packet *pkt)
{
	assert_true(*n < MAX_SENT);
	s += (*n)++;
	memcpy(s->buf, pkt->data, pkt->len);
	s->len = pkt->len;
	s->ip = pkt->ip;
	snprintf(s->client, sizeof(s->client), "%s", pkt->peer ? pkt->peer->client_id : "");
}

static void t_sink_in(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	keep(W->in, &W->n_in, pkt);
	t_release(core, pkt);
}

static void t_sink_out(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	keep(W->out, &W->n_out, pkt);
	t_release(core, pkt);
}

static const struct fzgw_peer_info *t_peer(struct fzgw_core *core, const char *id)
{
	(void)core;
	for (int i = 0; i < 2; i++)
		if (!strcmp(W->peers[i].client_id, id))
			return &W->peers[i];
	return NULL;
}

/* api->peer_remove(): the core would remove the client after the callback; recorded here. */
static int t_peer_remove(struct fzgw_core *core, const char *id, const char *why)
{
	(void)core;
	assert_true(W->n_removed < 4);
	snprintf(W->removed[W->n_removed].client, sizeof(W->removed[0].client), "%s", id);
	snprintf(W->removed[W->n_removed].why, sizeof(W->removed[0].why), "%s", why);
	W->n_removed++;
	return 0;
}

static enum fzgw_verdict accept_all(void *state, struct fzgw_packet *pkt)
{
	(void)state;
	(void)pkt;
	return FZGW_ACCEPT;
}

/* Stands in for the filter module, which this test does not load. */
static const struct fzgw_module accept_desc = {
	FZGW_MODULE_HEADER,
	.name = "acceptall",
	.hooks = { { FZGW_PHASE_IN_FILTER, 100, accept_all, "accept" },
		   { FZGW_PHASE_OUT_FILTER, 100, accept_all, "accept" } },
};

/* ------------------------------------------------------------ a fake dns module */

static int f_resolve(void *self, const char *name, dns_resolve_fn fn, void *arg, uint64_t *id)
{
	struct lookup *l;

	(void)self;
	if (W->refuse)
		return -W->refuse;
	assert_true(W->n_lk < MAX_LOOKUPS);
	l = &W->lk[W->n_lk++];
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->fn = fn;
	l->arg = arg;
	l->id = *id = ++W->next_id;
	return 0;
}

static void f_cancel(void *self, uint64_t id)
{
	(void)self;
	for (int i = 0; i < W->n_lk; i++)
		if (W->lk[i].id == id)
			W->lk[i].cancelled = true;
}

static struct lookup *pending(const char *name)
{
	for (int i = 0; i < W->n_lk; i++)
		if (!strcmp(W->lk[i].name, name) && !W->lk[i].cancelled && !W->lk[i].done)
			return &W->lk[i];
	return NULL;
}

static int n_pending(void)
{
	int n = 0;

	for (int i = 0; i < W->n_lk; i++)
		n += !W->lk[i].cancelled && !W->lk[i].done;
	return n;
}

/* Answers the pending lookup of @name with @status and the addresses (NULL-ended). */
static void dns_answer(const char *name, int status, ...)
{
	struct lookup *l = pending(name);
	struct dns_result res;
	const char *a;
	va_list ap;

	assert_non_null(l);
	memset(&res, 0, sizeof(res));
	res.status = status;
	va_start(ap, status);
	while ((a = va_arg(ap, const char *)))
		res.addrs[res.n++] = modtest_addr(a);
	va_end(ap);
	l->done = true;
	l->fn(l->arg, l->id, &res);
}

/* ------------------------------------------------------------ set-up */

static int start(void **state, const char *settings)
{
	struct world *w = calloc(1, sizeof(*w));
	struct fzgw_ctx *mods[2];

	assert_non_null(w);
	W = w;
	w->t = modtest_new("nat", &fzgw_module);
	w->t->core.alloc = t_alloc;
	w->t->core.release = t_release;
	w->t->core.sink[FZGW_DIR_IN] = t_sink_in;
	w->t->core.sink[FZGW_DIR_OUT] = t_sink_out;
	w->t->core.peer_by_client = t_peer;
	w->t->core.peer_remove = t_peer_remove;
	snprintf(w->peers[0].client_id, sizeof(w->peers[0].client_id), "alice");
	w->peers[0].ipv4 = modtest_addr("100.64.0.2");
	w->peers[0].ipv6 = modtest_addr("fd00:2021:1111::2");
	snprintf(w->peers[1].client_id, sizeof(w->peers[1].client_id), "bob");
	w->peers[1].index = 1;
	w->peers[1].ipv4 = modtest_addr("100.64.0.3");
	w->peers[1].ipv6 = modtest_addr("fd00:2021:1111::3");
	w->svc.version = DNS_SERVICE_VERSION;
	w->svc.struct_size = sizeof(w->svc);
	w->svc.resolve = f_resolve;
	w->svc.cancel = f_cancel;
	w->svc.match = dns_pattern_match;
	assert_int_equal(
	    fzgw_registry_add(&w->t->core.reg, &w->t->recorder, DNS_SERVICE_NAME, &w->svc), 0);
	assert_int_equal(modtest_init(w->t, modtest_settings(w->t, settings), false), 0);
	w->accept_ctx.core = &w->t->core;
	snprintf(w->accept_ctx.name, sizeof(w->accept_ctx.name), "acceptall");
	w->accept_ctx.desc = &accept_desc;
	w->accept_ctx.live = true;
	w->accept_ctx.order = 1;
	mods[0] = &w->t->ctx;
	mods[1] = &w->accept_ctx;
	assert_int_equal(fzgw_chains_build(&w->t->core.chains, mods, 2), 0);
	*state = w;
	return 0;
}

static int setup(void **state)
{
	return start(state, "{ }");
}

static int teardown(void **state)
{
	struct world *w = *state;

	modtest_unload(w->t);
	assert_int_equal(w->live_packets, 0); /* fini freed whatever it held */
	modtest_free(w->t);
	free(w);
	W = NULL;
	return 0;
}

static struct nat_state *nat(void)
{
	return W->t->ctx.state;
}

static const struct fzgw_peer_info *peer(const char *client)
{
	return t_peer(NULL, client);
}

static void grant(const char *client, const char *res_id, int type, const char *pattern)
{
	struct fzgw_ev_authorization a;

	memset(&a, 0, sizeof(a));
	snprintf(a.client_id, sizeof(a.client_id), "%s", client);
	snprintf(a.resource.id, sizeof(a.resource.id), "%s", res_id);
	a.resource.type = (uint8_t)type;
	a.resource.pattern = pattern; /* borrowed for the event, as the ABI says */
	assert_true(modtest_publish(W->t, FZGW_EV_PEER_AUTHORIZED, &a, sizeof(a)) >= 0);
}

static void revoke(const char *client, const char *res_id)
{
	struct fzgw_ev_revoke r;

	memset(&r, 0, sizeof(r));
	snprintf(r.client_id, sizeof(r.client_id), "%s", client);
	snprintf(r.resource_id, sizeof(r.resource_id), "%s", res_id);
	assert_true(modtest_publish(W->t, FZGW_EV_ACCESS_REVOKED, &r, sizeof(r)) >= 0);
}

static void control(const char *client, uint8_t type, const char *json)
{
	struct fzgw_packet *pkt = t_alloc(NULL);
	int n = p2p_build(pkt->data, pkt->cap, type, json, json ? strlen(json) : 0);

	assert_true(n > 0);
	pkt->len = (uint32_t)n;
	assert_int_equal(fzgw_ip_parse(&pkt->ip, pkt->data, pkt->len, FZGW_IP_MAX_SIZE), 0);
	assert_int_equal(pkt->ip.kind, FZGW_IP_KIND_CONTROL);
	pkt->dir = FZGW_DIR_IN;
	pkt->peer = peer(client);
	fzgw_core_pipeline(&W->t->core, pkt, FZGW_PHASE_IN_PARSE, 0);
}

static void assigned(const char *client, const char *res, const char *domain, const char *ips)
{
	char json[1024];

	snprintf(json, sizeof(json), "{\"resource\":\"%s\",\"domain\":\"%s\",\"proxy_ips\":[%s]}",
		 res, domain, ips);
	control(client, P2P_ASSIGNED_IPS, json);
}

#define PROXIES8                                                                                   \
	"\"100.96.0.1\",\"100.96.0.2\",\"100.96.0.3\",\"100.96.0.4\",\"fd00:2021:1111:8000::1\","  \
	"\"fd00:2021:1111:8000::2\",\"fd00:2021:1111:8000::3\",\"fd00:2021:1111:8000::4\""

/* A packet with correct checksums through the pipeline, from the client or from the site. */
static void send_pkt(int dir, const char *client, const char *src, const char *dst, int proto,
		     uint16_t sport, uint16_t dport, uint8_t tcp_flags)
{
	struct modtest_pkt mp;
	struct fzgw_packet *m = modtest_pkt(&mp, dir, client, src, dst, proto, sport, dport);
	struct fzgw_packet *pkt = t_alloc(NULL);

	if (proto == TCP)
		mp.buf[m->ip.l3_len + 13] = tcp_flags;
	if ((proto == ICMP || proto == ICMP6) && dir == FZGW_DIR_OUT)
		mp.buf[m->ip.l3_len] = proto == ICMP ? 0 : 129; /* echo reply */
	assert_int_equal(fzgw_ip_parse(&m->ip, mp.buf, m->len, FZGW_IP_MAX_SIZE), 0);
	assert_int_equal(fzgw_csum_fix_all(mp.buf, &m->ip), 0);
	memcpy(pkt->data, mp.buf, m->len);
	pkt->len = m->len;
	assert_int_equal(fzgw_ip_parse(&pkt->ip, pkt->data, pkt->len, FZGW_IP_MAX_SIZE), 0);
	pkt->dir = (uint8_t)dir;
	pkt->peer = peer(client);
	fzgw_core_pipeline(&W->t->core, pkt, dir == FZGW_DIR_IN ? FZGW_PHASE_IN_PARSE
							: FZGW_PHASE_OUT_PARSE, 0);
}

static void from_client(const char *client, const char *src, const char *dst, int proto,
			uint16_t sport, uint16_t dport)
{
	send_pkt(FZGW_DIR_IN, client, src, dst, proto, sport, dport, SYN);
}

static void from_site(const char *client, const char *src, const char *dst, int proto,
		      uint16_t sport, uint16_t dport)
{
	send_pkt(FZGW_DIR_OUT, client, src, dst, proto, sport, dport, SYN | ACK);
}

static void clear(void)
{
	W->n_in = W->n_out = 0;
	modtest_clear(W->t);
}

static bool addr_is(const struct fzgw_addr *a, const char *text)
{
	struct fzgw_addr b = modtest_addr(text);

	return a->family == b.family && !memcmp(a->bytes, b.bytes, 16);
}

/* Every checksum of a sent packet, recomputed in full. */
static void assert_csums(const struct sent *s)
{
	struct fzgw_ip v;

	assert_int_equal(fzgw_ip_parse(&v, s->buf, s->len, FZGW_IP_MAX_SIZE), 0);
	assert_true(fzgw_csum_verify_all(s->buf, &v));
}

/* The last DomainStatus sent to @client: its JSON status. */
static void assert_status(const char *client, const char *resource, const char *domain,
			  const char *status)
{
	char want[512];

	snprintf(want, sizeof(want), "{\"resource\":\"%s\",\"domain\":\"%s\",\"status\":\"%s\"}",
		 resource, domain, status);
	for (int i = W->n_out - 1; i >= 0; i--) {
		const struct sent *s = &W->out[i];

		if (s->ip.kind != FZGW_IP_KIND_CONTROL || s->buf[40] != P2P_DOMAIN_STATUS ||
		    strcmp(s->client, client))
			continue;
		assert_int_equal(s->len - 48, strlen(want));
		assert_memory_equal(s->buf + 48, want, strlen(want));
		return;
	}
	fail_msg("no DomainStatus to %s", client);
}

static int n_control(uint8_t type)
{
	int n = 0;

	for (int i = 0; i < W->n_out; i++)
		n += W->out[i].ip.kind == FZGW_IP_KIND_CONTROL && W->out[i].buf[40] == type;
	return n;
}

static const struct fzgw_ev_proxy_ips *last_proxy_ips(void)
{
	for (int i = W->t->n_events - 1; i >= 0; i--)
		if (W->t->events[i].type == FZGW_EV_PROXY_IPS)
			return (const struct fzgw_ev_proxy_ips *)(const void *)&W->t->events[i].u;
	return NULL;
}

static uint64_t counter(const char *name)
{
	return fzgw_counter_get(&W->t->ctx.counters, name);
}

/* alice with "web" (*.corp.example) and app.corp.example active: .10 .11 and 2001:db8::10 */
static void activate(void)
{
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	assigned("alice", "web", "app.corp.example", PROXIES8);
	dns_answer("app.corp.example", 0, "10.200.0.11", "2001:db8::10", "10.200.0.10", NULL);
}

/* ------------------------------------------------------------ tests */

static void test_active(void **state)
{
	const struct fzgw_ev_proxy_ips *ev;

	(void)state;
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	assigned("alice", "web", "App.Corp.Example", PROXIES8);
	/* consumed: nothing went to the site, and the lookup runs */
	assert_int_equal(W->n_in, 0);
	assert_non_null(pending("app.corp.example"));
	assert_int_equal(modtest_count(W->t, FZGW_EV_PROXY_IPS), 0);
	assert_int_equal(n_control(P2P_DOMAIN_STATUS), 0);
	dns_answer("app.corp.example", 0, "10.200.0.11", "2001:db8::10", "10.200.0.10", NULL);
	assert_status("alice", "web", "app.corp.example", "Active");
	assert_int_equal(W->out[0].ip.kind, FZGW_IP_KIND_CONTROL);
	ev = last_proxy_ips();
	assert_non_null(ev);
	assert_string_equal(ev->client_id, "alice");
	assert_string_equal(ev->resource_id, "web");
	assert_string_equal(ev->domain, "app.corp.example");
	assert_int_equal(ev->n, 8);
	assert_true(addr_is(&ev->ips[0], "100.96.0.1"));
	assert_true(addr_is(&ev->ips[7], "fd00:2021:1111:8000::4"));
	assert_int_equal(counter("assigned-ips"), 1);
	assert_int_equal(counter("status-active"), 1);
}

static void test_translate_tcp(void **state)
{
	static const char *const real[4] = { "10.200.0.10", "10.200.0.11", "10.200.0.10",
					     "10.200.0.11" };
	char proxy[32];

	(void)state;
	activate();
	clear();
	/* round robin in sorted order: .1 -> .10, .2 -> .11, .3 -> .10, .4 -> .11 */
	for (int i = 0; i < 4; i++) {
		snprintf(proxy, sizeof(proxy), "100.96.0.%d", i + 1);
		from_client("alice", "100.64.0.2", proxy, TCP, (uint16_t)(40000 + i), 80);
		assert_int_equal(W->n_in, i + 1);
		assert_true(addr_is(&W->in[i].ip.dst, real[i]));
		assert_true(addr_is(&W->in[i].ip.src, "100.64.0.2"));
		assert_int_equal(W->in[i].ip.src_port, 40000 + i);
		assert_int_equal(W->in[i].ip.dst_port, 80);
		assert_csums(&W->in[i]);
	}
	/* the replies come back from the proxy IPs */
	for (int i = 0; i < 4; i++) {
		from_site("alice", real[i], "100.64.0.2", TCP, 80, (uint16_t)(40000 + i));
		assert_int_equal(W->n_out, i + 1);
		snprintf(proxy, sizeof(proxy), "100.96.0.%d", i + 1);
		assert_true(addr_is(&W->out[i].ip.src, proxy));
		assert_true(addr_is(&W->out[i].ip.dst, "100.64.0.2"));
		assert_int_equal(W->out[i].ip.dst_port, 40000 + i);
		assert_csums(&W->out[i]);
	}
	assert_int_equal(counter("sessions-created"), 4);
	/* traffic that is not ours passes untouched */
	from_site("alice", "10.200.0.10", "100.64.0.2", TCP, 80, 41000);
	assert_true(addr_is(&W->out[4].ip.src, "10.200.0.10"));
	from_client("alice", "100.64.0.2", "10.200.0.20", TCP, 41000, 80);
	assert_true(addr_is(&W->in[4].ip.dst, "10.200.0.20"));
}

/* ------------------------------------------------------------- hash seeds */

static uint64_t nat_seed_pick(void)
{
	void *state;

	start(&state, "{ }");
	return nat()->table.seed;
}

/*
 * Hardening 8: the session table's seed is random even when a non-blocking getrandom()
 * fails: two processes forked from one (same addresses, same fake clock) get different seeds.
 */
static void test_hash_seed(void **state)
{
	uint64_t a, b;

	(void)state;
	a = seedtest_child(nat_seed_pick);
	b = seedtest_child(nat_seed_pick);
	if (a == b)
		fail_msg("two processes got the same seed %#llx", (unsigned long long)a);
}

/* AssignedIps of @domain with one proxy IP of its own (100.96.@i/256.@i%256+1). */
static void assign_nth(const char *client, const char *domain, int i)
{
	char ip[64];

	snprintf(ip, sizeof(ip), "\"100.96.%d.%d\"", i / 250, i % 250 + 1);
	assigned(client, "web", domain, ip);
}

/*
 * Hardening 4: control messages have a per-client budget (a client looping AssignedIps over
 * one name, answered each time); another client keeps its own.
 */
static void test_control_rate(void **state)
{
	teardown(state);
	start(state, "{ control_rate = 10; control_burst = 20; }");
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	grant("bob", "web", FZGW_RES_DNS, "*.corp.example");
	for (int i = 0; i < 30; i++)
		assign_nth("alice", "n.corp.example", 1);
	assert_int_equal(counter("assigned-ips"), 20);
	assert_int_equal(counter("control-rate-limited"), 10);
	/* bob is not held back by alice */
	for (int i = 0; i < 5; i++)
		assign_nth("bob", "b.corp.example", 2);
	assert_int_equal(counter("assigned-ips"), 25);
	/* a second later alice has 10 more */
	modtest_now_ms += 1000;
	for (int i = 0; i < 15; i++)
		assign_nth("alice", "n.corp.example", 1);
	assert_int_equal(counter("assigned-ips"), 35);
	assert_int_equal(counter("control-rate-limited"), 15);
	/* a Goodbye always goes through */
	control("alice", P2P_GOODBYE, NULL);
	assert_int_equal(counter("goodbye-received"), 1);
}

/*
 * Hardening 4: a client's share of lookups. Only max_lookups of its names resolve at once;
 * a lookup given up on our side keeps its slot until pending_timeout after its start (the
 * dns module may still count it); another client is not held back.
 */
static void test_lookup_share(void **state)
{
	teardown(state);
	start(state, "{ max_lookups = 2; pending_timeout = 15; }");
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	grant("bob", "web", FZGW_RES_DNS, "*.corp.example");
	assign_nth("alice", "a.corp.example", 1);
	assign_nth("alice", "b.corp.example", 2);
	assign_nth("alice", "c.corp.example", 3);
	assert_int_equal(n_pending(), 2);
	assert_null(pending("c.corp.example"));
	assert_int_equal(counter("lookups-client-full"), 1);
	assert_status("alice", "web", "c.corp.example", "Inactive");
	assign_nth("bob", "x.corp.example", 10);
	assert_non_null(pending("x.corp.example"));
	/* an answer frees its slot */
	dns_answer("a.corp.example", 0, "10.200.0.10", NULL);
	assign_nth("alice", "c.corp.example", 3);
	assert_non_null(pending("c.corp.example"));
	/* renumbering resets alice: b and c are cancelled, their slots stay busy */
	assigned("alice", "web", "d.corp.example", "\"100.96.0.2\"");
	assert_null(pending("b.corp.example"));
	assert_null(pending("c.corp.example"));
	assert_null(pending("d.corp.example"));
	assert_int_equal(counter("lookups-client-full"), 2);
	modtest_now_ms += 14000;
	assign_nth("alice", "e.corp.example", 5);
	assert_null(pending("e.corp.example"));
	assert_int_equal(counter("lookups-client-full"), 3);
	modtest_now_ms += 1000;
	assign_nth("alice", "e.corp.example", 5);
	assert_non_null(pending("e.corp.example"));
}

/*
 * Hardening 4: a refresh that changes nothing the filter knows publishes nothing (each
 * FZGW_EV_PROXY_IPS flushes the filter's cache for every client); the new real addresses
 * still serve.
 */
static void test_no_republish(void **state)
{
	(void)state;
	activate();
	assert_int_equal(modtest_count(W->t, FZGW_EV_PROXY_IPS), 1);
	assigned("alice", "web", "app.corp.example", PROXIES8);
	dns_answer("app.corp.example", 0, "10.200.0.20", NULL);
	assigned("alice", "web", "app.corp.example", PROXIES8);
	dns_answer("app.corp.example", 0, "10.200.0.20", NULL);
	assert_int_equal(modtest_count(W->t, FZGW_EV_PROXY_IPS), 1);
	clear();
	from_client("alice", "100.64.0.2", "100.96.0.1", TCP, 40000, 80);
	assert_int_equal(W->n_in, 1);
	assert_true(addr_is(&W->in[0].ip.dst, "10.200.0.20"));
	/* new proxy IPs are published */
	assigned("alice", "web", "app.corp.example", "\"100.96.0.1\"");
	assert_int_equal(modtest_count(W->t, FZGW_EV_PROXY_IPS), 1);
	assert_int_equal(last_proxy_ips()->n, 1);
}

/* Hardening 11: the ranges a proxy IP never maps onto, and their edges. */
static void test_dest_ranges(void **state)
{
	static const char *const no[] = {
		"127.0.0.1", "127.255.255.255", "0.0.0.0", "0.255.255.255", "169.254.169.254",
		"169.254.0.0", "169.254.255.255", "100.64.0.1", "100.64.0.3", "100.95.255.255",
		"100.96.0.1", "100.127.255.255", "224.0.0.1", "239.255.255.255", "240.0.0.1",
		"255.255.255.255", "::", "::1", "fe80::1", "febf:ffff::1", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "fd00:2021:1111::1", "fd00:2021:1111::1f:ffff",
		"fd00:2021:1111:8000::1", "fd00:2021:1111:8000::1f:ffff", "192.0.2.77",
	};
	static const char *const yes[] = {
		"10.200.0.10", "1.0.0.0", "126.255.255.255", "128.0.0.0", "169.253.255.255",
		"169.255.0.0", "100.63.255.255", "100.128.0.0", "223.255.255.255", "192.168.1.1",
		"2001:db8::1", "::2", "fe7f:ffff::1", "fec0::1", "fd00:2021:1111::20:0",
		"fd00:2021:1111:8000::20:0", "fd00:2021:1112::1", "::fffe:10.0.0.1",
	};
	struct fzgw_addr own = modtest_addr("192.0.2.77");

	(void)state;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		struct fzgw_addr a = modtest_addr(no[i]);

		if (!nat_dest_refused(&a, &own, 1))
			fail_msg("%s was not refused", no[i]);
	}
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		struct fzgw_addr a = modtest_addr(yes[i]);

		if (nat_dest_refused(&a, &own, 1))
			fail_msg("%s was refused", yes[i]);
	}
}

/* A routable host address of this machine (not loopback, link-local or the tunnel), or false. */
static bool host_addr(char *out, size_t len)
{
	struct ifaddrs *list, *ifa;
	bool found = false;

	if (getifaddrs(&list) < 0)
		return false;
	for (ifa = list; ifa && !found; ifa = ifa->ifa_next) {
		struct fzgw_addr a;

		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET)
			continue;
		memset(&a, 0, sizeof(a));
		a.family = 4;
		memcpy(a.bytes, &((struct sockaddr_in *)(void *)ifa->ifa_addr)->sin_addr, 4);
		if (nat_dest_refused(&a, NULL, 0))
			continue;
		found = inet_ntop(AF_INET, a.bytes, out, (socklen_t)len) != NULL;
	}
	freeifaddrs(list);
	return found;
}

/*
 * Hardening 11: a name that resolves to loopback, link-local (cloud metadata), the tunnel
 * ranges or the gateway host's own addresses maps onto none of them: with nothing else, the
 * name is active without address (network unreachable); else only the other addresses serve.
 */
static void test_dest_refused(void **state)
{
	const struct fzgw_ev_proxy_ips *ev;
	char own[INET_ADDRSTRLEN];

	(void)state;
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	assigned("alice", "web", "evil.corp.example", PROXIES8);
	from_client("alice", "100.64.0.2", "100.96.0.1", TCP, 40000, 22);
	dns_answer("evil.corp.example", 0, "127.0.0.1", "169.254.169.254", "100.64.0.3",
		   "100.64.0.1", "::1", "fe80::1", "fd00:2021:1111::3", NULL);
	assert_status("alice", "web", "evil.corp.example", "Active");
	assert_int_equal(counter("destinations-refused"), 7);
	assert_int_equal(counter("status-active-no-address"), 1);
	ev = last_proxy_ips();
	assert_non_null(ev);
	assert_int_equal(ev->n, 8);
	/* nothing reaches the site: the held packet and later ones get network unreachable */
	from_client("alice", "100.64.0.2", "100.96.0.2", UDP, 1, 53);
	from_client("alice", "fd00:2021:1111::2", "fd00:2021:1111:8000::1", TCP, 1000, 80);
	assert_int_equal(W->n_in, 0);
	assert_int_equal(W->t->n_icmp, 3);
	assert_int_equal(W->t->icmp[0].kind, FZGW_ICMP_NET_UNREACH);

	/* mixed: only the real destination serves, every proxy IP of the family maps onto it */
	assigned("alice", "web", "mixed.corp.example", "\"100.96.1.1\",\"100.96.1.2\"");
	dns_answer("mixed.corp.example", 0, "10.200.0.10", "127.0.0.53", "169.254.169.254", NULL);
	assert_int_equal(counter("destinations-refused"), 9);
	from_client("alice", "100.64.0.2", "100.96.1.1", TCP, 40001, 80);
	from_client("alice", "100.64.0.2", "100.96.1.2", TCP, 40002, 80);
	assert_int_equal(W->n_in, 2);
	assert_true(addr_is(&W->in[0].ip.dst, "10.200.0.10"));
	assert_true(addr_is(&W->in[1].ip.dst, "10.200.0.10"));

	/* the gateway host's own address, as its interfaces list it now */
	if (!host_addr(own, sizeof(own))) {
		print_message("no routable host address here: own-address case skipped\n");
		return;
	}
	assigned("alice", "web", "self.corp.example", "\"100.96.2.1\"");
	dns_answer("self.corp.example", 0, own, NULL);
	assert_int_equal(counter("destinations-refused"), 10);
	from_client("alice", "100.64.0.2", "100.96.2.1", TCP, 40003, 22);
	assert_int_equal(W->n_in, 2);
}

static void test_translate_collision(void **state)
{
	(void)state;
	activate();
	clear();
	/* .1 and .3 both go to .10: the second flow from port 5000 leaves as 5001 */
	from_client("alice", "100.64.0.2", "100.96.0.1", UDP, 5000, 53);
	from_client("alice", "100.64.0.2", "100.96.0.3", UDP, 5000, 53);
	assert_int_equal(W->n_in, 2);
	assert_int_equal(W->in[0].ip.src_port, 5000);
	assert_int_equal(W->in[1].ip.src_port, 5001);
	assert_true(addr_is(&W->in[1].ip.dst, "10.200.0.10"));
	assert_csums(&W->in[0]);
	assert_csums(&W->in[1]);
	from_site("alice", "10.200.0.10", "100.64.0.2", UDP, 53, 5001);
	from_site("alice", "10.200.0.10", "100.64.0.2", UDP, 53, 5000);
	assert_int_equal(W->n_out, 2);
	assert_true(addr_is(&W->out[0].ip.src, "100.96.0.3"));
	assert_int_equal(W->out[0].ip.dst_port, 5000);
	assert_true(addr_is(&W->out[1].ip.src, "100.96.0.1"));
	assert_int_equal(W->out[1].ip.dst_port, 5000);
	assert_csums(&W->out[0]);
	assert_csums(&W->out[1]);
}

static void test_translate_v6_icmp(void **state)
{
	(void)state;
	activate();
	clear();
	from_client("alice", "fd00:2021:1111::2", "fd00:2021:1111:8000::2", TCP, 443, 443);
	assert_int_equal(W->n_in, 1);
	assert_true(addr_is(&W->in[0].ip.dst, "2001:db8::10"));
	assert_csums(&W->in[0]);
	from_site("alice", "2001:db8::10", "fd00:2021:1111::2", TCP, 443, 443);
	assert_true(addr_is(&W->out[0].ip.src, "fd00:2021:1111:8000::2"));
	assert_csums(&W->out[0]);
	/* echo ids are translated like ports: two pings with id 7 to proxies of one real IP */
	from_client("alice", "100.64.0.2", "100.96.0.2", ICMP, 7, 0);
	from_client("alice", "100.64.0.2", "100.96.0.4", ICMP, 7, 0);
	assert_int_equal(W->n_in, 3);
	assert_int_equal(W->in[1].ip.src_port, 7);
	assert_int_equal(W->in[2].ip.src_port, 8);
	assert_true(addr_is(&W->in[2].ip.dst, "10.200.0.11"));
	assert_csums(&W->in[1]);
	assert_csums(&W->in[2]);
	from_site("alice", "10.200.0.11", "100.64.0.2", ICMP, 8, 8);
	assert_int_equal(W->n_out, 2);
	assert_true(addr_is(&W->out[1].ip.src, "100.96.0.4"));
	assert_int_equal(W->out[1].ip.src_port, 7);
	assert_csums(&W->out[1]);
	from_client("alice", "fd00:2021:1111::2", "fd00:2021:1111:8000::3", ICMP6, 9, 0);
	assert_true(addr_is(&W->in[3].ip.dst, "2001:db8::10"));
	assert_csums(&W->in[3]);
	from_site("alice", "2001:db8::10", "fd00:2021:1111::2", ICMP6, 9, 9);
	assert_true(addr_is(&W->out[2].ip.src, "fd00:2021:1111:8000::3"));
	assert_csums(&W->out[2]);
}

static void test_unreachable(void **state)
{
	(void)state;
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	assigned("alice", "web", "v4.corp.example", PROXIES8);
	dns_answer("v4.corp.example", 0, "10.200.0.10", NULL);
	clear();
	/* an IPv6 proxy IP of a name without AAAA */
	from_client("alice", "fd00:2021:1111::2", "fd00:2021:1111:8000::1", TCP, 1000, 80);
	assert_int_equal(W->n_in, 0);
	assert_int_equal(W->t->n_icmp, 1);
	assert_int_equal(W->t->icmp[0].kind, FZGW_ICMP_NET_UNREACH);
	/* a proxy IP nobody assigned */
	from_client("alice", "100.64.0.2", "100.96.9.9", TCP, 1000, 80);
	assert_int_equal(W->t->n_icmp, 2);
	assert_int_equal(W->t->icmp[1].kind, FZGW_ICMP_NET_UNREACH);
	/* another client's proxy IP means nothing for bob */
	from_client("bob", "100.64.0.3", "100.96.0.1", TCP, 1000, 80);
	assert_int_equal(W->t->n_icmp, 3);
	assert_int_equal(W->n_in, 0);
	/* GRE has no ports to translate */
	from_client("alice", "100.64.0.2", "100.96.0.1", MT_GRE, 0, 0);
	assert_int_equal(W->n_in, 0);
}

static void test_held(void **state)
{
	(void)state;
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	assigned("alice", "web", "app.corp.example", PROXIES8);
	from_client("alice", "100.64.0.2", "100.96.0.1", TCP, 40000, 80);
	from_client("alice", "100.64.0.2", "100.96.0.2", UDP, 40000, 53);
	assert_int_equal(W->n_in, 0);
	assert_int_equal(W->t->n_icmp, 0);
	assert_int_equal(counter("held"), 2);
	/* the answer releases them, after the filter learnt the proxy IPs */
	dns_answer("app.corp.example", 0, "10.200.0.10", NULL);
	assert_int_equal(W->n_in, 2);
	assert_true(addr_is(&W->in[0].ip.dst, "10.200.0.10"));
	assert_true(addr_is(&W->in[1].ip.dst, "10.200.0.10"));
	assert_csums(&W->in[0]);
	assert_csums(&W->in[1]);
	assert_int_equal(W->t->events[W->t->n_events - 1].type, FZGW_EV_PROXY_IPS);
	assert_status("alice", "web", "app.corp.example", "Active");
	/* a refresh while active holds nothing */
	assigned("alice", "web", "app.corp.example", PROXIES8);
	assert_non_null(pending("app.corp.example"));
	from_client("alice", "100.64.0.2", "100.96.0.1", TCP, 40001, 80);
	assert_int_equal(W->n_in, 3);
}

/* A lookup that did not finish: Inactive, held packets answered, nothing left of the name. */
static void test_held_failure(void **state)
{
	(void)state;
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	assigned("alice", "web", "slow.corp.example", PROXIES8);
	from_client("alice", "100.64.0.2", "100.96.0.1", TCP, 40000, 80);
	dns_answer("slow.corp.example", -ETIMEDOUT, NULL);
	assert_int_equal(W->n_in, 0);
	assert_int_equal(W->t->n_icmp, 1);
	assert_int_equal(W->t->icmp[0].kind, FZGW_ICMP_NET_UNREACH);
	assert_status("alice", "web", "slow.corp.example", "Inactive");
	assert_int_equal(modtest_count(W->t, FZGW_EV_PROXY_IPS), 0);
	/* nothing is left of the name */
	from_client("alice", "100.64.0.2", "100.96.0.1", TCP, 40000, 80);
	assert_int_equal(W->t->n_icmp, 2);
	assert_int_equal(nat()->n_held, 0);
	assert_int_equal(nat_client_find(nat(), "alice")->n_domains, 0);
}

/*
 * The resolver answered without an address (no such name, no record, server failure): as
 * the original, the name is mapped onto nothing and the client hears Active; each packet
 * to its proxy IPs then gets network unreachable at once instead of waiting for a timeout.
 */
static void test_empty_answer(void **state)
{
	const struct fzgw_ev_proxy_ips *ev;

	(void)state;
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	assigned("alice", "web", "missing.corp.example", PROXIES8);
	from_client("alice", "100.64.0.2", "100.96.0.1", TCP, 40000, 80);
	dns_answer("missing.corp.example", -ENOENT, NULL);
	assert_status("alice", "web", "missing.corp.example", "Active");
	assert_int_equal(counter("status-active"), 1);
	assert_int_equal(counter("status-active-no-address"), 1);
	ev = last_proxy_ips();
	assert_non_null(ev);
	assert_int_equal(ev->n, 8);
	/* the held packet went on and was answered, not translated */
	assert_int_equal(W->n_in, 0);
	assert_int_equal(W->t->n_icmp, 1);
	assert_int_equal(W->t->icmp[0].kind, FZGW_ICMP_NET_UNREACH);
	/* so is every packet after it, of both families, without another lookup */
	from_client("alice", "100.64.0.2", "100.96.0.2", UDP, 1, 53);
	from_client("alice", "fd00:2021:1111::2", "fd00:2021:1111:8000::1", TCP, 1000, 80);
	assert_int_equal(W->n_in, 0);
	assert_int_equal(W->t->n_icmp, 3);
	assert_int_equal(W->t->icmp[2].kind, FZGW_ICMP_NET_UNREACH);
	assert_int_equal(n_pending(), 0);
	assert_int_equal(nat_client_find(nat(), "alice")->n_domains, 1);
	/* a server failure is an answer too */
	assigned("alice", "web", "broken.corp.example", "\"100.96.1.1\"");
	dns_answer("broken.corp.example", -EIO, NULL);
	assert_status("alice", "web", "broken.corp.example", "Active");
	assert_int_equal(counter("status-active-no-address"), 2);
}

/* An empty answer to a refresh replaces the mapping, as the original's set-up does. */
static void test_empty_refresh(void **state)
{
	(void)state;
	activate();
	clear();
	from_client("alice", "100.64.0.2", "100.96.0.1", UDP, 1, 53);
	assert_int_equal(W->n_in, 1);
	assigned("alice", "web", "app.corp.example", PROXIES8);
	dns_answer("app.corp.example", -ENOENT, NULL);
	assert_status("alice", "web", "app.corp.example", "Active");
	/* the proxy IP has no real one now: its live session too gets network unreachable */
	from_client("alice", "100.64.0.2", "100.96.0.1", UDP, 1, 53);
	from_client("alice", "100.64.0.2", "100.96.0.2", UDP, 2, 53);
	assert_int_equal(W->n_in, 1);
	assert_int_equal(W->t->n_icmp, 2);
	assert_int_equal(W->t->icmp[0].kind, FZGW_ICMP_NET_UNREACH);
}

static void test_held_caps(void **state)
{
	teardown(state);
	start(state, "{ max_pending = 2; max_pending_total = 3; }");
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	grant("bob", "web", FZGW_RES_DNS, "*.corp.example");
	assigned("alice", "web", "app.corp.example", PROXIES8);
	assigned("bob", "web", "app.corp.example", PROXIES8);
	for (int i = 0; i < 3; i++)
		from_client("alice", "100.64.0.2", "100.96.0.1", UDP, (uint16_t)(1000 + i), 53);
	assert_int_equal(W->t->n_icmp, 1); /* the third for alice is answered */
	from_client("bob", "100.64.0.3", "100.96.0.1", UDP, 1000, 53);
	from_client("bob", "100.64.0.3", "100.96.0.1", UDP, 1001, 53);
	assert_int_equal(W->t->n_icmp, 2); /* the total cap */
	assert_int_equal(counter("held-full"), 2);
	assert_int_equal(nat()->n_held, 3);
	/* a lookup that never ends is given up after pending_timeout */
	modtest_now_ms += 15000;
	nat_domains_tick(nat(), modtest_now_ms);
	assert_int_equal(nat()->n_held, 0);
	assert_int_equal(W->t->n_icmp, 5);
	assert_int_equal(n_pending(), 0);
	assert_int_equal(n_control(P2P_DOMAIN_STATUS), 2);
}

static void test_unauthorized(void **state)
{
	(void)state;
	/* no grant at all */
	assigned("alice", "web", "app.corp.example", PROXIES8);
	assert_status("alice", "web", "app.corp.example", "Inactive");
	/* a name outside the pattern */
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	assigned("alice", "web", "app.other.example", PROXIES8);
	assert_status("alice", "web", "app.other.example", "Inactive");
	assigned("alice", "web", "a.b.corp.example", PROXIES8);
	assert_status("alice", "web", "a.b.corp.example", "Inactive");
	/* a resource that is not a DNS one */
	grant("alice", "lan", FZGW_RES_CIDR, "");
	assigned("alice", "lan", "app.corp.example", PROXIES8);
	assert_status("alice", "lan", "app.corp.example", "Inactive");
	/* somebody else's grant */
	grant("bob", "bobweb", FZGW_RES_DNS, "**");
	assigned("alice", "bobweb", "app.corp.example", PROXIES8);
	assert_status("alice", "bobweb", "app.corp.example", "Inactive");
	assert_int_equal(W->n_lk, 0);
	assert_int_equal(counter("unauthorized"), 5);
	/* the apex of "*." is covered */
	assigned("alice", "web", "corp.example", PROXIES8);
	assert_non_null(pending("corp.example"));
}

static void test_bad_control(void **state)
{
	(void)state;
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	control("alice", P2P_ASSIGNED_IPS, "{\"resource\":\"web\"");
	assigned("alice", "web", "app.corp.example", "\"100.64.0.9\"");
	assigned("alice", "web", "app.corp.example", "\"10.0.0.1\"");
	control("alice", P2P_DOMAIN_STATUS,
		"{\"resource\":\"web\",\"domain\":\"a.b\",\"status\":\"Active\"}");
	control("alice", 3, "{}");
	control("alice", 200, NULL);
	assert_int_equal(W->n_lk, 0);
	assert_int_equal(W->n_out, 0);
	assert_int_equal(W->n_in, 0);
	assert_int_equal(counter("control-bad-json"), 1);
	assert_int_equal(counter("control-bad-proxy-ip"), 2);
	assert_int_equal(counter("control-unexpected"), 3);
	/* a short control payload */
	{
		struct fzgw_packet *pkt = t_alloc(NULL);

		assert_int_equal(p2p_build(pkt->data, pkt->cap, 0, NULL, 0), 48);
		pkt->data[5] = 4; /* payload length 4 */
		pkt->len = 44;
		assert_int_equal(fzgw_ip_parse(&pkt->ip, pkt->data, pkt->len, FZGW_IP_MAX_SIZE), 0);
		pkt->dir = FZGW_DIR_IN;
		pkt->peer = peer("alice");
		fzgw_core_pipeline(&W->t->core, pkt, FZGW_PHASE_IN_PARSE, 0);
		assert_int_equal(counter("control-short"), 1);
	}
	assert_int_equal(W->live_packets, 0);
}

static void test_dns_missing_or_refused(void **state)
{
	(void)state;
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	W->refuse = EBUSY;
	assigned("alice", "web", "app.corp.example", PROXIES8);
	assert_status("alice", "web", "app.corp.example", "Inactive");
	assert_int_equal(counter("dns-refused"), 1);
	W->refuse = 0;
	fzgw_registry_remove_all(&W->t->core.reg, &W->t->recorder);
	clear();
	assigned("alice", "web", "app.corp.example", PROXIES8);
	assert_status("alice", "web", "app.corp.example", "Inactive");
	assert_int_equal(counter("dns-missing"), 1);
	assert_int_equal(nat_client_find(nat(), "alice")->n_domains, 0);
}

static void test_icmp_error(void **state)
{
	struct modtest_pkt mp;
	struct fzgw_packet *m, *pkt;
	uint8_t inner[64];
	struct fzgw_ip iv, qv;
	const struct sent *s;
	size_t ilen;

	(void)state;
	activate();
	clear();
	/* the second flow from 5000 toward .10 leaves as 5001 */
	from_client("alice", "100.64.0.2", "100.96.0.1", UDP, 5000, 53);
	from_client("alice", "100.64.0.2", "100.96.0.3", UDP, 5000, 53);
	assert_int_equal(W->in[1].ip.src_port, 5001);
	/* the site answers the second with port unreachable, quoting what it got */
	ilen = W->in[1].len;
	memcpy(inner, W->in[1].buf, ilen);
	m = modtest_icmp_error(&mp, FZGW_DIR_OUT, "alice", "10.200.0.10", "100.64.0.2",
			       "10.200.0.10");
	memcpy(mp.buf + m->ip.l3_len + 8, inner, ilen);
	mp.buf[2] = 0;
	mp.buf[3] = (uint8_t)(20 + 8 + ilen);
	assert_int_equal(fzgw_ip_parse(&m->ip, mp.buf, 20 + 8 + ilen, FZGW_IP_MAX_SIZE), 0);
	assert_int_equal(fzgw_csum_fix_all(mp.buf, &m->ip), 0);
	pkt = t_alloc(NULL);
	memcpy(pkt->data, mp.buf, 20 + 8 + ilen);
	pkt->len = (uint32_t)(20 + 8 + ilen);
	assert_int_equal(fzgw_ip_parse(&pkt->ip, pkt->data, pkt->len, FZGW_IP_MAX_SIZE), 0);
	pkt->dir = FZGW_DIR_OUT;
	pkt->peer = peer("alice");
	fzgw_core_pipeline(&W->t->core, pkt, FZGW_PHASE_OUT_PARSE, 0);
	assert_int_equal(W->n_out, 1);
	s = &W->out[0];
	assert_csums(s);
	assert_int_equal(fzgw_ip_parse(&iv, s->buf, s->len, FZGW_IP_MAX_SIZE), 0);
	assert_true(addr_is(&iv.src, "100.96.0.3"));
	assert_true(addr_is(&iv.dst, "100.64.0.2"));
	assert_int_equal(iv.ttl, NAT_ICMP_TTL);
	assert_int_equal(iv.icmp_type, 3);
	assert_int_equal(iv.icmp_code, 3);
	assert_true(iv.flags & FZGW_IP_F_ICMP_ERROR);
	assert_true(addr_is(&iv.inner.dst, "100.96.0.3"));
	assert_int_equal(iv.inner.src_port, 5000);
	/* the quote is now exactly what the client sent, checksums included */
	assert_int_equal(fzgw_ip_parse(&qv, s->buf + iv.inner.off, iv.inner.len, FZGW_IP_MAX_SIZE),
			 0);
	assert_true(fzgw_csum_verify_all(s->buf + iv.inner.off, &qv));
	assert_int_equal(counter("icmp-errors-translated"), 1);
	/* an error about something we did not translate passes as it is */
	m = modtest_icmp_error(&mp, FZGW_DIR_OUT, "alice", "10.200.0.1", "100.64.0.2",
			       "10.200.0.99");
	pkt = t_alloc(NULL);
	memcpy(pkt->data, mp.buf, m->len);
	pkt->len = m->len;
	pkt->ip = m->ip;
	pkt->dir = FZGW_DIR_OUT;
	pkt->peer = peer("alice");
	fzgw_core_pipeline(&W->t->core, pkt, FZGW_PHASE_OUT_PARSE, 0);
	assert_int_equal(W->n_out, 2);
	assert_true(addr_is(&W->out[1].ip.src, "10.200.0.1"));
}

static void test_icmp_error_v6(void **state)
{
	struct modtest_pkt mp;
	struct fzgw_packet *m, *pkt;
	struct fzgw_ip iv, qv;
	size_t ilen, len;

	(void)state;
	activate();
	clear();
	from_client("alice", "fd00:2021:1111::2", "fd00:2021:1111:8000::1", TCP, 6000, 22);
	from_client("alice", "fd00:2021:1111::2", "fd00:2021:1111:8000::4", TCP, 6000, 22);
	assert_int_equal(W->in[1].ip.src_port, 6001);
	ilen = W->in[1].len;
	m = modtest_icmp_error(&mp, FZGW_DIR_OUT, "alice", "2001:db8::1", "fd00:2021:1111::2",
			       "2001:db8::10");
	mp.buf[40] = 3; /* time exceeded, from a router on the way */
	mp.buf[41] = 0;
	memcpy(mp.buf + 48, W->in[1].buf, ilen);
	len = 48 + ilen;
	mp.buf[4] = (uint8_t)((len - 40) >> 8);
	mp.buf[5] = (uint8_t)(len - 40);
	assert_int_equal(fzgw_ip_parse(&m->ip, mp.buf, len, FZGW_IP_MAX_SIZE), 0);
	assert_int_equal(fzgw_csum_fix_all(mp.buf, &m->ip), 0);
	pkt = t_alloc(NULL);
	memcpy(pkt->data, mp.buf, len);
	pkt->len = (uint32_t)len;
	assert_int_equal(fzgw_ip_parse(&pkt->ip, pkt->data, pkt->len, FZGW_IP_MAX_SIZE), 0);
	pkt->dir = FZGW_DIR_OUT;
	pkt->peer = peer("alice");
	fzgw_core_pipeline(&W->t->core, pkt, FZGW_PHASE_OUT_PARSE, 0);
	assert_int_equal(W->n_out, 1);
	assert_csums(&W->out[0]);
	assert_int_equal(fzgw_ip_parse(&iv, W->out[0].buf, W->out[0].len, FZGW_IP_MAX_SIZE), 0);
	assert_true(addr_is(&iv.src, "fd00:2021:1111:8000::4"));
	assert_int_equal(iv.ttl, NAT_ICMP_TTL);
	assert_int_equal(iv.icmp_type, 3);
	assert_int_equal(iv.inner.src_port, 6000);
	assert_int_equal(
	    fzgw_ip_parse(&qv, W->out[0].buf + iv.inner.off, iv.inner.len, FZGW_IP_MAX_SIZE), 0);
	assert_true(fzgw_csum_verify_all(W->out[0].buf + iv.inner.off, &qv));
	assert_true(addr_is(&qv.dst, "fd00:2021:1111:8000::4"));
}

static void test_expired_session(void **state)
{
	teardown(state);
	start(state, "{ udp_timeout = 3; unconfirmed_timeout = 2; }");
	activate();
	clear();
	from_client("alice", "100.64.0.2", "100.96.0.1", UDP, 7000, 9999);
	from_site("alice", "10.200.0.10", "100.64.0.2", UDP, 9999, 7000);
	assert_int_equal(W->n_out, 1);
	modtest_now_ms += 2999;
	from_site("alice", "10.200.0.10", "100.64.0.2", UDP, 9999, 7000);
	assert_int_equal(W->n_out, 2);
	modtest_now_ms += 3000;
	/* too late: dropped, not passed on as if it were CIDR traffic */
	from_site("alice", "10.200.0.10", "100.64.0.2", UDP, 9999, 7000);
	assert_int_equal(W->n_out, 2);
	assert_int_equal(W->t->core.chains.phase[FZGW_PHASE_OUT_NAT].e[0].drops[0].n, 1);
	assert_string_equal(W->t->core.chains.phase[FZGW_PHASE_OUT_NAT].e[0].drops[0].reason,
			    "expired-nat-session");
	/* the client starts over: a new session */
	from_client("alice", "100.64.0.2", "100.96.0.1", UDP, 7000, 9999);
	assert_int_equal(W->n_in, 2);
	assert_int_equal(counter("sessions-created"), 2);
	from_site("alice", "10.200.0.10", "100.64.0.2", UDP, 9999, 7000);
	assert_int_equal(W->n_out, 3);
}

static void test_client_full(void **state)
{
	teardown(state);
	start(state, "{ max_client_entries = 1; }");
	activate();
	clear();
	from_client("alice", "100.64.0.2", "100.96.0.1", UDP, 1, 53);
	from_client("alice", "100.64.0.2", "100.96.0.1", UDP, 2, 53);
	assert_int_equal(W->n_in, 1);
	assert_int_equal(W->t->n_icmp, 1);
	assert_int_equal(counter("client-table-full"), 1);
}

static void test_reassigned(void **state)
{
	const struct fzgw_ev_proxy_ips *ev;

	(void)state;
	activate();
	from_client("alice", "100.64.0.2", "100.96.0.1", UDP, 7000, 9999);
	clear();
	/* after a new sign-in the client gives 100.96.0.1 to another name */
	assigned("alice", "web", "db.corp.example", "\"100.96.0.1\"");
	assert_int_equal(counter("nat-resets"), 1);
	ev = last_proxy_ips();
	assert_non_null(ev);
	assert_string_equal(ev->domain, "app.corp.example");
	assert_int_equal(ev->n, 0);
	assert_non_null(pending("db.corp.example"));
	/* the old session is gone with the reset: its reply is not ours any more */
	from_site("alice", "10.200.0.10", "100.64.0.2", UDP, 9999, 7000);
	assert_true(addr_is(&W->out[0].ip.src, "10.200.0.10"));
	dns_answer("db.corp.example", 0, "10.200.0.50", NULL);
	from_client("alice", "100.64.0.2", "100.96.0.1", UDP, 7000, 9999);
	assert_true(addr_is(&W->in[0].ip.dst, "10.200.0.50"));
	assert_int_equal(nat_client_find(nat(), "alice")->n_domains, 1);
}

static void test_same_name_new_ips(void **state)
{
	const struct fzgw_ev_proxy_ips *ev;

	(void)state;
	activate();
	clear();
	/* the same name with fewer proxy IPs: the set is replaced and published again */
	assigned("alice", "web", "app.corp.example", "\"100.96.0.1\",\"100.96.0.9\"");
	assert_int_equal(counter("nat-resets"), 0);
	ev = last_proxy_ips();
	assert_int_equal(ev->n, 2);
	assert_true(addr_is(&ev->ips[1], "100.96.0.9"));
	from_client("alice", "100.64.0.2", "100.96.0.9", UDP, 1, 53);
	assert_true(addr_is(&W->in[0].ip.dst, "10.200.0.11"));
	from_client("alice", "100.64.0.2", "100.96.0.2", UDP, 1, 53);
	assert_int_equal(W->n_in, 1);
	/* a failed refresh keeps the mapping (and says Inactive), as the original */
	dns_answer("app.corp.example", -ETIMEDOUT, NULL);
	assert_status("alice", "web", "app.corp.example", "Inactive");
	from_client("alice", "100.64.0.2", "100.96.0.1", UDP, 1, 53);
	assert_int_equal(W->n_in, 2);
}

/* Publishes as the core does (its own ctx, source "core"). */
static void core_publish(uint32_t type, const void *data, size_t size)
{
	assert_true(fzgw_bus_publish(&W->t->core.bus, &W->t->core.self, type, data, size) >= 0);
}

static void test_goodbye(void **state)
{
	const struct fzgw_ev_proxy_ips *ev;
	struct fzgw_ev_revoke all;
	struct fzgw_ev_peer gone;

	(void)state;
	activate();
	clear();
	control("alice", P2P_GOODBYE, NULL);
	assert_int_equal(counter("goodbye-received"), 1);
	/* the core is asked to remove the client and every grant it had, as the original does */
	assert_int_equal(W->n_removed, 1);
	assert_string_equal(W->removed[0].client, "alice");
	assert_string_equal(W->removed[0].why, "goodbye");
	/* nothing of it is translated meanwhile */
	ev = last_proxy_ips();
	assert_int_equal(ev->n, 0);
	from_client("alice", "100.64.0.2", "100.96.0.1", UDP, 1, 53);
	assert_int_equal(W->n_in, 0);
	assert_int_equal(W->t->n_icmp, 1);
	/* the core's removal: every grant, then the tunnel; no Goodbye goes back */
	memset(&all, 0, sizeof(all));
	snprintf(all.client_id, sizeof(all.client_id), "alice");
	core_publish(FZGW_EV_ACCESS_REVOKED, &all, sizeof(all));
	memset(&gone, 0, sizeof(gone));
	snprintf(gone.client_id, sizeof(gone.client_id), "alice");
	core_publish(FZGW_EV_PEER_REMOVED, &gone, sizeof(gone));
	assert_int_equal(n_control(P2P_GOODBYE), 0);
	assert_null(nat_client_find(nat(), "alice"));
	/* its grant went with it: the name cannot be set up again */
	assigned("alice", "web", "app.corp.example", PROXIES8);
	assert_status("alice", "web", "app.corp.example", "Inactive");
	assert_int_equal(n_pending(), 0);
	/* a control plane taking a client's last access away: its state goes; the Goodbye is
	 * the core's (dp_on_revoked), not this module's */
	grant("bob", "web", FZGW_RES_DNS, "*.corp.example");
	assigned("bob", "web", "app.corp.example", PROXIES8);
	revoke("bob", "");
	assert_int_equal(n_control(P2P_GOODBYE), 0);
	assert_null(nat_client_find(nat(), "bob"));
	assert_int_equal(n_pending(), 0); /* its lookup was cancelled */
	assert_int_equal(W->n_removed, 1); /* revocations never ask for more removals */
}

static void test_revoke_one(void **state)
{
	const struct fzgw_ev_proxy_ips *ev;

	(void)state;
	activate();
	grant("alice", "db", FZGW_RES_DNS, "db.corp.example");
	assigned("alice", "db", "db.corp.example", "\"100.96.1.1\"");
	dns_answer("db.corp.example", 0, "10.200.0.50", NULL);
	from_client("alice", "100.64.0.2", "100.96.0.1", UDP, 1, 53);
	clear();
	revoke("alice", "web");
	ev = last_proxy_ips();
	assert_string_equal(ev->resource_id, "web");
	assert_int_equal(ev->n, 0);
	/* the revoked name's session: its late reply is an expired session */
	from_site("alice", "10.200.0.10", "100.64.0.2", UDP, 53, 1);
	assert_int_equal(W->n_out, 0);
	from_client("alice", "100.64.0.2", "100.96.1.1", UDP, 1, 53);
	assert_true(addr_is(&W->in[0].ip.dst, "10.200.0.50"));
	/* a pattern change drops the names it no longer covers */
	clear();
	grant("alice", "db", FZGW_RES_DNS, "db2.corp.example");
	ev = last_proxy_ips();
	assert_string_equal(ev->domain, "db.corp.example");
	assert_int_equal(ev->n, 0);
	/* so does a resource update turning it into a CIDR resource */
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	assigned("alice", "web", "x.corp.example", "\"100.96.2.1\"");
	dns_answer("x.corp.example", 0, "10.200.0.60", NULL);
	{
		struct fzgw_ev_resource u;

		memset(&u, 0, sizeof(u));
		snprintf(u.resource.id, sizeof(u.resource.id), "web");
		u.resource.type = FZGW_RES_CIDR;
		assert_true(modtest_publish(W->t, FZGW_EV_RESOURCE_UPDATED, &u, sizeof(u)) >= 0);
	}
	ev = last_proxy_ips();
	assert_string_equal(ev->domain, "x.corp.example");
	assert_int_equal(ev->n, 0);
	assert_int_equal(nat_client_find(nat(), "alice")->n_domains, 0);
}

static void test_peer_removed_and_fini(void **state)
{
	(void)state;
	activate();
	grant("bob", "web", FZGW_RES_DNS, "*.corp.example");
	assigned("bob", "web", "slow.corp.example", PROXIES8);
	from_client("bob", "100.64.0.3", "100.96.0.1", UDP, 1, 53); /* held */
	{
		struct fzgw_ev_peer p;

		memset(&p, 0, sizeof(p));
		snprintf(p.client_id, sizeof(p.client_id), "alice");
		assert_true(modtest_publish(W->t, FZGW_EV_PEER_REMOVED, &p, sizeof(p)) >= 0);
	}
	assert_null(nat_client_find(nat(), "alice"));
	assert_int_equal(last_proxy_ips()->n, 0);
	/* bob still waits; fini cancels the lookup and frees the held packet (teardown checks) */
	assert_int_equal(n_pending(), 1);
}

/* Patterns are kept whole (ABI 2: borrowed, any length), also with Unicode letters. */
static void test_long_pattern(void **state)
{
	char pat[400];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 100; i++) {
		memcpy(pat + n, "**.", 3);
		n += 3;
	}
	memcpy(pat + n, "corp.example", sizeof("corp.example"));
	grant("alice", "long", FZGW_RES_DNS, pat);
	memset(pat, 'x', sizeof(pat) - 1); /* the event's copy was borrowed: gone now */
	assigned("alice", "long", "a.b.corp.example", PROXIES8);
	assert_non_null(pending("a.b.corp.example"));
	assigned("alice", "long", "other.example", "\"100.96.3.1\"");
	assert_status("alice", "long", "other.example", "Inactive");
	assert_int_equal(counter("unauthorized"), 1);
	/* a Unicode pattern matches no (ASCII) name, as the original's */
	grant("bob", "u", FZGW_RES_DNS, "*.b\xc3\xbc" "cher.example");
	assigned("bob", "u", "app.xn--bcher-kva.example", PROXIES8);
	assert_status("bob", "u", "app.xn--bcher-kva.example", "Inactive");
	assert_int_equal(counter("unauthorized"), 2);
}

static void test_domains_cap(void **state)
{
	teardown(state);
	start(state, "{ max_domains = 1; }");
	grant("alice", "web", FZGW_RES_DNS, "*.corp.example");
	assigned("alice", "web", "a.corp.example", "\"100.96.0.1\"");
	assigned("alice", "web", "b.corp.example", "\"100.96.0.2\"");
	assert_status("alice", "web", "b.corp.example", "Inactive");
	assert_int_equal(counter("domains-full"), 1);
}

static void test_settings(void **state)
{
	struct modtest *t = modtest_new("nat", &fzgw_module);

	(void)state;
	assert_int_equal(modtest_init(t, modtest_settings(t, "{ udp_timeout = 0; }"), true),
			 -EINVAL);
	assert_int_equal(modtest_init(t, modtest_settings(t, "{ nonsense = 1; }"), true), -EINVAL);
	assert_int_equal(modtest_init(t, modtest_settings(t, "{ max_entries = \"x\"; }"), true),
			 -EINVAL);
	assert_int_equal(
	    modtest_init(t,
			 modtest_settings(t, "{ tcp_timeout = 60; udp_timeout = 5; "
					     "icmp_timeout = 5; fin_timeout = 1; "
					     "unconfirmed_timeout = 2; max_entries = 10; "
					     "max_client_entries = 5; max_expired = 0; "
					     "max_domains = 4; max_pending = 0; "
					     "max_pending_total = 0; pending_timeout = 3; }"),
			 true),
	    0);
	modtest_unload(t);
	modtest_free(t);
}

static void test_reload(void **state)
{
	struct world *w = *state;

	activate();
	assert_int_equal(
	    fzgw_module.reload(w->t->ctx.state, modtest_settings(w->t, "{ udp_timeout = 1; }")), 0);
	assert_int_equal(nat()->table.to.udp, 1000);
	assert_int_equal(
	    fzgw_module.reload(w->t->ctx.state, modtest_settings(w->t, "{ udp_timeout = -1; }")),
	    -EINVAL);
	assert_int_equal(nat()->table.to.udp, 1000);
	/* state survives a reload */
	clear();
	from_client("alice", "100.64.0.2", "100.96.0.1", UDP, 1, 53);
	assert_int_equal(W->n_in, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_active, setup, teardown),
		cmocka_unit_test_setup_teardown(test_translate_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_translate_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_translate_v6_icmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unauthorized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_missing_or_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reassigned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_name_new_ips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_goodbye, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_removed_and_fini, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_pattern, setup, teardown),
		cmocka_unit_test_setup_teardown(test_domains_cap, setup, teardown),
		cmocka_unit_test(test_hash_seed),
		cmocka_unit_test_setup_teardown(test_control_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_republish, setup, teardown),
		cmocka_unit_test(test_dest_ranges),
		cmocka_unit_test_setup_teardown(test_dest_refused, setup, teardown),
		cmocka_unit_test(test_settings),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
