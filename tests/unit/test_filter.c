/* SPDX-License-Identifier: Apache-2.0 */
/* The filter module: classification, filters, Internet exclusions, expiry, ICMP answers, the cache. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "counters.h"
#include "ip_parse.h"
#include "log.h"
#include "filter.h"
#include "modtest.h"
#include "seedtest.h"

extern const struct fzgw_module fzgw_module;

#define P FZGW_ICMP_PROHIBITED
#define U FZGW_ICMP_NET_UNREACH
#define MT_ICMP_ERR 1000 /* a destination-unreachable instead of a normal packet */

/* ------------------------------------------------------------------ helpers */

/*
 * The lists a test resource borrows: a ring far larger than what one test keeps alive at
 * once (the filter copies what it keeps; a resource here only has to live until granted).
 */
static struct fzgw_filter pool_f[1 << 16];
static struct fzgw_port_range pool_r[1 << 18];
static size_t n_pool_f, n_pool_r;

static struct fzgw_filter *new_filters(size_t n)
{
	if (n_pool_f + n > sizeof(pool_f) / sizeof(pool_f[0]))
		n_pool_f = 0;
	memset(&pool_f[n_pool_f], 0, n * sizeof(pool_f[0]));
	n_pool_f += n;
	return &pool_f[n_pool_f - n];
}

static struct fzgw_port_range *new_ranges(size_t n)
{
	if (n_pool_r + n > sizeof(pool_r) / sizeof(pool_r[0]))
		n_pool_r = 0;
	n_pool_r += n;
	return &pool_r[n_pool_r - n];
}

/* "10.0.0.0/24" or NULL; filters as "tcp=80,8000-8999 udp icmp" ("" = none). */
static struct fzgw_resource mkres(const char *id, int type, const char *cidr, const char *filters)
{
	struct fzgw_resource r;
	struct fzgw_filter *fs = new_filters(16);
	char buf[256], *save = NULL;

	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "%s", id);
	r.type = (uint8_t)type;
	r.filters = fs;
	if (cidr) {
		const char *slash = strchr(cidr, '/');

		snprintf(buf, sizeof(buf), "%.*s", (int)(slash - cidr), cidr);
		r.addr = modtest_addr(buf);
		r.prefix_len = (uint8_t)atoi(slash + 1);
	}
	snprintf(buf, sizeof(buf), "%s", filters);
	for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		struct fzgw_filter *f = &fs[r.n_filters++];
		struct fzgw_port_range *rg = new_ranges(32);
		char *eq = strchr(tok, '='), *save2 = NULL;

		if (eq)
			*eq = '\0';
		f->proto = !strcmp(tok, "tcp") ? FZGW_FILTER_TCP :
			   !strcmp(tok, "udp") ? FZGW_FILTER_UDP : FZGW_FILTER_ICMP;
		if (!eq)
			continue;
		f->ranges = rg;
		for (char *p = strtok_r(eq + 1, ",", &save2); p; p = strtok_r(NULL, ",", &save2)) {
			char *dash = strchr(p, '-');

			rg[f->n_ranges].first = (uint16_t)atoi(p);
			rg[f->n_ranges].last = (uint16_t)atoi(dash ? dash + 1 : p);
			f->n_ranges++;
		}
	}
	return r;
}

static void grant(struct modtest *t, const char *client, const struct fzgw_resource *r, int64_t expires_at)
{
	struct fzgw_ev_authorization a;

	memset(&a, 0, sizeof(a));
	snprintf(a.client_id, sizeof(a.client_id), "%s", client);
	a.resource = *r;
	a.expires_at = expires_at;
	assert_true(modtest_publish(t, FZGW_EV_PEER_AUTHORIZED, &a, sizeof(a)) >= 1);
}

static void revoke_grant(struct modtest *t, const char *client, const char *res)
{
	struct fzgw_ev_revoke r;

	memset(&r, 0, sizeof(r));
	snprintf(r.client_id, sizeof(r.client_id), "%s", client);
	snprintf(r.resource_id, sizeof(r.resource_id), "%s", res);
	modtest_publish(t, FZGW_EV_ACCESS_REVOKED, &r, sizeof(r));
}

/* FZGW_EV_PROXY_IPS as the nat module publishes it; @ips space-separated ("" = n 0). */
static void proxy_ips(struct modtest *t, const char *client, const char *res, const char *domain,
		      const char *ips)
{
	struct fzgw_ev_proxy_ips e;
	char buf[512], *save = NULL;

	memset(&e, 0, sizeof(e));
	snprintf(e.client_id, sizeof(e.client_id), "%s", client);
	snprintf(e.resource_id, sizeof(e.resource_id), "%s", res);
	snprintf(e.domain, sizeof(e.domain), "%s", domain);
	snprintf(buf, sizeof(buf), "%s", ips);
	for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		e.ips[e.n++] = modtest_addr(tok);
	modtest_publish(t, FZGW_EV_PROXY_IPS, &e, sizeof(e));
}

static void iface(struct modtest *t, const char *v4, const char *v6)
{
	struct fzgw_ev_iface e;

	memset(&e, 0, sizeof(e));
	e.ipv4 = modtest_addr(v4);
	e.ipv6 = modtest_addr(v6);
	modtest_publish(t, FZGW_EV_IFACE_CONFIG, &e, sizeof(e));
}

static struct modtest *start(const char *settings)
{
	struct modtest *t = modtest_new("filter", &fzgw_module);

	assert_int_equal(modtest_init(t, modtest_settings(t, settings), false), 0);
	iface(t, "100.64.0.1", "fd00:2021:1111::1");
	return t;
}

static struct filter_state *fst(struct modtest *t)
{
	return t->ctx.state;
}

/* Runs one packet through the module's hook; returns the verdict. */
static int run(struct modtest *t, int dir, const char *client, const char *src, const char *dst,
	       int proto, uint16_t sport, uint16_t dport, const char **reason)
{
	struct modtest_pkt mp;
	struct fzgw_packet *pkt;
	fzgw_hook_fn fn = modtest_hook(&fzgw_module,
				       dir == FZGW_DIR_IN ? FZGW_PHASE_IN_FILTER : FZGW_PHASE_OUT_FILTER);

	if (proto == MT_ICMP_ERR)
		pkt = modtest_icmp_error(&mp, dir, client, src, dst, src);
	else
		pkt = modtest_pkt(&mp, dir, client, src, dst, proto, sport, dport);
	pkt->drop_reason = NULL;
	int v = fn(t->ctx.state, pkt);
	if (reason)
		*reason = pkt->drop_reason;
	return v;
}

/* The standard policy of the table. */
static void standard_policy(struct modtest *t)
{
	struct fzgw_resource lan = mkres("lan", FZGW_RES_CIDR, "10.200.0.0/24", "tcp=80,8000-8999 icmp");
	struct fzgw_resource wide = mkres("lan-wide", FZGW_RES_CIDR, "10.200.0.0/16", "udp=53");
	struct fzgw_resource db = mkres("db", FZGW_RES_CIDR, "10.200.0.128/25", "tcp=5432");
	struct fzgw_resource v6 = mkres("v6net", FZGW_RES_CIDR, "fd10::/64", "");
	struct fzgw_resource ta = mkres("a-tie", FZGW_RES_CIDR, "10.50.0.0/24", "tcp=22");
	struct fzgw_resource tb = mkres("b-tie", FZGW_RES_CIDR, "10.50.0.0/24", "udp=53");
	struct fzgw_resource inet = mkres("inet", FZGW_RES_INTERNET, NULL, "");
	struct fzgw_resource pub = mkres("pub", FZGW_RES_CIDR, "8.8.8.0/24", "tcp=53");
	struct fzgw_resource web = mkres("web", FZGW_RES_DNS, NULL, "");
	struct fzgw_resource ping = mkres("pingable", FZGW_RES_CIDR, "192.0.2.0/24", "icmp");
	struct fzgw_resource open = mkres("open", FZGW_RES_CIDR, "198.51.100.0/24", "");
	struct fzgw_resource edges = mkres("edges", FZGW_RES_CIDR, "10.9.0.0/16", "tcp=1 udp=65535");

	web.pattern = "*.corp.example";
	grant(t, "alice", &lan, 0);
	grant(t, "alice", &wide, 0);
	grant(t, "alice", &db, 0);
	grant(t, "alice", &v6, 0);
	grant(t, "alice", &tb, 0); /* b before a: ranking must not follow the order of grants */
	grant(t, "alice", &ta, 0);
	grant(t, "alice", &web, 0);
	grant(t, "bob", &inet, 0);
	grant(t, "bob", &pub, 0);
	grant(t, "bob", &lan, 0);
	grant(t, "dave", &ping, 0);
	grant(t, "dave", &open, 0);
	grant(t, "dave", &edges, 0);
}

/* -------------------------------------------------------------- the table */

struct pkt_case {
	int dir;
	const char *client, *src, *dst;
	int proto;
	uint16_t sport, dport;
	int verdict;
	const char *reason;
	int icmp; /* kind answered, 0 = none */
};

#define A4 "100.64.0.2"
#define A6 "fd00:2021:1111::2"
#define B4 "100.64.0.3"
#define B6 "fd00:2021:1111::3"
#define D4 "100.64.0.5"
#define M4 "100.64.0.9"
#define IN_OK(c, s, d, pr, dp) { FZGW_DIR_IN, c, s, d, pr, 40000, dp, FZGW_ACCEPT, NULL, 0 }
#define IN_NO(c, s, d, pr, dp, why, k) { FZGW_DIR_IN, c, s, d, pr, 40000, dp, FZGW_DROP, why, k }
#define OUT_OK(c, s, d, pr, sp) { FZGW_DIR_OUT, c, s, d, pr, sp, 40000, FZGW_ACCEPT, NULL, 0 }
#define OUT_NO(c, s, d, pr, sp, why) { FZGW_DIR_OUT, c, s, d, pr, sp, 40000, FZGW_DROP, why, 0 }

static const struct pkt_case cases[] = {
	/* the gateway's own addresses: always, even for a client without state */
	IN_OK("alice", A4, "100.64.0.1", MT_TCP, 22),
	IN_OK("alice", A6, "fd00:2021:1111::1", MT_UDP, 53),
	IN_OK("mallory", M4, "100.64.0.1", MT_ICMP, 0),
	/* other clients: refused; the DNS proxy ranges are not clients */
	IN_NO("alice", A4, B4, MT_TCP, 80, "another-client", P),
	IN_NO("alice", A6, B6, MT_TCP, 80, "another-client", P),
	IN_NO("alice", A4, "100.95.255.255", MT_UDP, 53, "another-client", P),
	IN_NO("alice", A4, "100.64.0.0", MT_UDP, 53, "another-client", P),
	IN_NO("alice", A6, "fd00:2021:1111::1f:ffff", MT_UDP, 53, "another-client", P),
	IN_NO("alice", A4, "100.96.0.1", MT_UDP, 53, "no-resource", P),
	IN_NO("alice", A6, "fd00:2021:1111:8000::1", MT_UDP, 53, "no-resource", P),
	IN_NO("alice", A6, "fd00:2021:1111::20:0", MT_UDP, 53, "no-resource", P),
	/* port ranges of lan: 80, 8000-8999 */
	IN_OK("alice", A4, "10.200.0.5", MT_TCP, 80),
	IN_NO("alice", A4, "10.200.0.5", MT_TCP, 79, "port-denied", P),
	IN_NO("alice", A4, "10.200.0.5", MT_TCP, 81, "port-denied", P),
	IN_NO("alice", A4, "10.200.0.5", MT_TCP, 7999, "port-denied", P),
	IN_OK("alice", A4, "10.200.0.5", MT_TCP, 8000),
	IN_OK("alice", A4, "10.200.0.5", MT_TCP, 8999),
	IN_NO("alice", A4, "10.200.0.5", MT_TCP, 9000, "port-denied", P),
	IN_OK("alice", A4, "10.200.0.255", MT_TCP, 80),
	/* ranking: admitting first, then the longest prefix, then the id */
	IN_OK("alice", A4, "10.200.0.5", MT_UDP, 53),
	IN_NO("alice", A4, "10.200.0.5", MT_UDP, 54, "proto-denied", P),
	IN_NO("alice", A4, "10.200.1.5", MT_TCP, 80, "proto-denied", P),
	IN_OK("alice", A4, "10.200.255.255", MT_UDP, 53),
	IN_OK("alice", A4, "10.200.0.200", MT_TCP, 5432),
	IN_OK("alice", A4, "10.200.0.200", MT_TCP, 80),
	IN_NO("alice", A4, "10.200.0.200", MT_TCP, 22, "port-denied", P),
	IN_NO("alice", A4, "10.200.0.200", MT_UDP, 54, "proto-denied", P),
	IN_NO("alice", A4, "10.200.0.127", MT_TCP, 5432, "port-denied", P),
	IN_NO("alice", A4, "10.50.0.1", MT_TCP, 80, "port-denied", P),
	IN_NO("alice", A4, "10.50.0.1", MT_UDP, 54, "proto-denied", P),
	IN_OK("alice", A4, "10.50.0.1", MT_TCP, 22),
	IN_OK("alice", A4, "10.50.0.1", MT_UDP, 53),
	/* nothing granted there */
	IN_NO("alice", A4, "10.201.0.1", MT_TCP, 80, "no-resource", P),
	IN_NO("alice", A4, "10.199.255.255", MT_UDP, 53, "no-resource", P),
	IN_NO("alice", A4, "8.8.8.8", MT_UDP, 53, "no-resource", P),
	IN_NO("alice", A6, "2001:db8::1", MT_TCP, 443, "no-resource", P),
	IN_NO("mallory", M4, "10.200.0.5", MT_TCP, 80, "no-resource", P),
	/* ICMP is a yes/no; an empty filter list allows everything */
	IN_OK("alice", A4, "10.200.0.5", MT_ICMP, 0),
	IN_NO("alice", A4, "10.200.1.1", MT_ICMP, 0, "proto-denied", P),
	IN_OK("alice", A6, "fd10::5", MT_ICMP6, 0),
	IN_OK("alice", A6, "fd10::ffff:ffff:ffff:ffff", MT_TCP, 1),
	IN_NO("alice", A6, "fd10:0:0:1::", MT_TCP, 1, "no-resource", P),
	IN_NO("alice", A4, "10.200.0.5", MT_GRE, 0, "proto-denied", P),
	IN_OK("alice", A6, "fd10::5", MT_GRE, 0),
	IN_OK("dave", D4, "192.0.2.1", MT_ICMP, 0),
	IN_NO("dave", D4, "192.0.2.1", MT_TCP, 80, "proto-denied", P),
	IN_NO("dave", D4, "192.0.2.1", MT_UDP, 80, "proto-denied", P),
	IN_OK("dave", D4, "198.51.100.7", MT_UDP, 9),
	IN_OK("dave", D4, "198.51.100.7", MT_TCP, 65535),
	IN_OK("dave", D4, "198.51.100.7", MT_GRE, 0),
	/* edges of the port space */
	IN_OK("dave", D4, "10.9.0.1", MT_TCP, 1),
	IN_NO("dave", D4, "10.9.0.1", MT_TCP, 2, "port-denied", P),
	IN_NO("dave", D4, "10.9.0.1", MT_TCP, 65535, "port-denied", P),
	IN_OK("dave", D4, "10.9.0.1", MT_UDP, 65535),
	IN_NO("dave", D4, "10.9.0.1", MT_UDP, 65534, "port-denied", P),
	IN_NO("dave", D4, "10.9.0.1", MT_UDP, 1, "port-denied", P),
	IN_NO("dave", D4, "10.9.0.1", MT_ICMP, 0, "proto-denied", P),
	/* the Internet resource, and the CIDR resources that still win their prefixes */
	IN_OK("bob", B4, "1.1.1.1", MT_TCP, 443),
	IN_OK("bob", B4, "8.8.8.8", MT_UDP, 53),
	IN_OK("bob", B4, "8.8.8.8", MT_TCP, 53),
	IN_OK("bob", B4, "10.200.0.5", MT_TCP, 80),
	IN_NO("bob", B4, "10.200.0.5", MT_TCP, 22, "port-denied", P),
	IN_NO("bob", B4, "10.1.2.3", MT_TCP, 80, "internet-excluded", U),
	IN_NO("bob", B4, "10.255.255.255", MT_TCP, 80, "internet-excluded", U),
	IN_OK("bob", B4, "11.0.0.1", MT_TCP, 80),
	IN_OK("bob", B4, "9.255.255.255", MT_TCP, 80),
	IN_NO("bob", B4, "172.16.0.1", MT_UDP, 53, "internet-excluded", U),
	IN_NO("bob", B4, "172.31.255.255", MT_UDP, 53, "internet-excluded", U),
	IN_OK("bob", B4, "172.32.0.1", MT_UDP, 53),
	IN_OK("bob", B4, "172.15.255.255", MT_UDP, 53),
	IN_NO("bob", B4, "192.168.1.1", MT_TCP, 443, "internet-excluded", U),
	IN_OK("bob", B4, "192.169.0.1", MT_TCP, 443),
	IN_OK("bob", B4, "192.167.255.255", MT_TCP, 443),
	IN_NO("bob", B4, "127.0.0.1", MT_TCP, 443, "internet-excluded", U),
	IN_NO("bob", B4, "127.255.255.254", MT_TCP, 443, "internet-excluded", U),
	IN_OK("bob", B4, "128.0.0.1", MT_TCP, 443),
	IN_NO("bob", B4, "169.254.1.1", MT_TCP, 443, "internet-excluded", U),
	IN_OK("bob", B4, "169.255.0.1", MT_TCP, 443),
	IN_OK("bob", B4, "169.253.255.255", MT_TCP, 443),
	IN_NO("bob", B4, "224.0.0.1", MT_UDP, 5353, "internet-excluded", U),
	IN_NO("bob", B4, "239.255.255.255", MT_UDP, 5353, "internet-excluded", U),
	IN_NO("bob", B4, "240.0.0.1", MT_UDP, 5353, "internet-excluded", U),
	IN_NO("bob", B4, "255.255.255.255", MT_UDP, 67, "internet-excluded", U),
	/* as the original: 0.0.0.0/8 is not excluded */
	IN_OK("bob", B4, "0.1.2.3", MT_UDP, 67),
	IN_OK("bob", B4, "0.0.0.0", MT_UDP, 67),
	IN_OK("bob", B4, "0.255.255.255", MT_TCP, 443),
	IN_OK("bob", B4, "223.255.255.255", MT_UDP, 67),
	IN_OK("bob", B4, "1.0.0.0", MT_ICMP, 0),
	IN_NO("bob", B4, "100.64.0.9", MT_TCP, 443, "another-client", P),
	IN_NO("bob", B4, "100.100.0.1", MT_TCP, 443, "no-resource", P),
	IN_OK("bob", B6, "2001:db8::1", MT_TCP, 443),
	IN_OK("bob", B6, "2606:4700::1111", MT_ICMP6, 0),
	IN_NO("bob", B6, "::1", MT_TCP, 443, "internet-excluded", U),
	IN_OK("bob", B6, "::", MT_TCP, 443), /* as the original: the unspecified address is not excluded */
	IN_OK("bob", B6, "::2", MT_TCP, 443),
	IN_NO("bob", B6, "fc00::1", MT_TCP, 443, "internet-excluded", U),
	IN_NO("bob", B6, "fdff:ffff::1", MT_TCP, 443, "internet-excluded", U),
	IN_OK("bob", B6, "fbff::1", MT_TCP, 443),
	IN_OK("bob", B6, "fe00::1", MT_TCP, 443),
	IN_NO("bob", B6, "fe80::1", MT_TCP, 443, "internet-excluded", U),
	IN_NO("bob", B6, "febf:ffff::1", MT_TCP, 443, "internet-excluded", U),
	IN_OK("bob", B6, "fec0::1", MT_TCP, 443),
	IN_NO("bob", B6, "ff02::1", MT_UDP, 5353, "internet-excluded", U),
	IN_NO("bob", B6, "ff0e::1", MT_UDP, 5353, "internet-excluded", U),
	IN_NO("bob", B6, "::ffff:10.0.0.1", MT_TCP, 443, "internet-excluded", U),
	IN_NO("bob", B6, "::ffff:127.0.0.1", MT_TCP, 443, "internet-excluded", U),
	IN_NO("bob", B6, "::ffff:100.64.0.5", MT_TCP, 443, "internet-excluded", U),
	IN_NO("bob", B6, "::ffff:100.127.255.255", MT_TCP, 443, "internet-excluded", U),
	IN_NO("bob", B6, "::ffff:172.20.0.1", MT_TCP, 443, "internet-excluded", U),
	IN_NO("bob", B6, "::ffff:192.168.0.1", MT_TCP, 443, "internet-excluded", U),
	IN_NO("bob", B6, "::ffff:169.254.0.1", MT_TCP, 443, "internet-excluded", U),
	IN_NO("bob", B6, "::ffff:224.0.0.1", MT_TCP, 443, "internet-excluded", U),
	IN_NO("bob", B6, "::ffff:240.0.0.1", MT_TCP, 443, "internet-excluded", U),
	IN_NO("bob", B6, "::ffff:0.0.0.1", MT_TCP, 443, "internet-excluded", U),
	/* as the original: every v4-mapped address is excluded, public ones too */
	IN_NO("bob", B6, "::ffff:8.8.8.8", MT_TCP, 443, "internet-excluded", U),
	IN_NO("bob", B6, "::ffff:1.1.1.1", MT_ICMP6, 0, "internet-excluded", U),
	IN_NO("bob", B6, "::ffff:0.0.0.0", MT_TCP, 443, "internet-excluded", U),
	IN_NO("bob", B6, "::ffff:223.255.255.255", MT_UDP, 53, "internet-excluded", U),
	IN_OK("bob", B6, "::10.0.0.1", MT_TCP, 443), /* IPv4-compatible, not mapped */
	IN_OK("bob", B6, "::1:ffff:0:0", MT_TCP, 443),
	IN_OK("bob", B6, "::fffe:10.0.0.1", MT_TCP, 443),
	IN_NO("bob", B6, "fd00:2021:1111::9", MT_TCP, 443, "another-client", P),
	IN_NO("bob", B6, "fd00:2021:1111:8000::9", MT_TCP, 443, "no-resource", P),
	/* site -> client: the source must be granted, its port filtered */
	OUT_OK("alice", "10.200.0.5", A4, MT_TCP, 80),
	OUT_OK("alice", "10.200.0.5", A4, MT_TCP, 8500),
	OUT_NO("alice", "10.200.0.5", A4, MT_TCP, 22, "out-port-denied"),
	OUT_NO("alice", "10.201.0.1", A4, MT_TCP, 80, "out-no-resource"),
	OUT_OK("alice", "100.64.0.1", A4, MT_UDP, 53),
	OUT_OK("alice", "fd00:2021:1111::1", A6, MT_UDP, 53),
	OUT_OK("alice", "10.200.0.5", A4, MT_ICMP, 0),
	OUT_OK("alice", "10.200.0.5", A4, MT_UDP, 53),
	OUT_NO("alice", "10.200.1.1", A4, MT_ICMP, 0, "out-proto-denied"),
	OUT_NO("alice", "10.200.0.5", A4, MT_UDP, 54, "out-proto-denied"),
	OUT_NO("alice", "10.99.0.1", A4, MT_ICMP_ERR, 0, "out-icmp-error-unrelated"),
	OUT_OK("alice", "10.200.1.1", A4, MT_ICMP_ERR, 0),
	OUT_OK("bob", "2001:db8::1", B6, MT_ICMP_ERR, 0),
	OUT_OK("bob", "1.1.1.1", B4, MT_TCP, 443),
	OUT_NO("bob", "192.168.0.1", B4, MT_TCP, 443, "out-no-resource"),
	OUT_NO("bob", "::ffff:10.0.0.1", B6, MT_TCP, 443, "out-no-resource"),
	OUT_NO("bob", "::ffff:8.8.8.8", B6, MT_TCP, 443, "out-no-resource"),
	OUT_OK("bob", "0.1.2.3", B4, MT_TCP, 443),
	OUT_OK("bob", "::", B6, MT_UDP, 53),
	OUT_NO("alice", B4, A4, MT_TCP, 80, "out-another-client"),
	OUT_OK("alice", "fd10::5", A6, MT_UDP, 9),
	OUT_NO("mallory", "10.200.0.5", M4, MT_TCP, 80, "out-no-resource"),
	/* the reply's destination port does not matter, only its source port */
	{ FZGW_DIR_OUT, "alice", "10.200.0.5", A4, MT_TCP, 80, 22, FZGW_ACCEPT, NULL, 0 },
	{ FZGW_DIR_OUT, "alice", "10.200.0.5", A4, MT_TCP, 22, 80, FZGW_DROP, "out-port-denied", 0 },
};

static void test_table(void **state)
{
	struct modtest *t = start("{ }");
	size_t n = sizeof(cases) / sizeof(cases[0]);

	(void)state;
	standard_policy(t);
	/* twice: the second pass is answered from the cache */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			const struct pkt_case *c = &cases[i];
			const char *why;
			int icmp_before = t->n_icmp, v;

			modtest_now_ms += 1000; /* a full ICMP bucket for every case */
			v = run(t, c->dir, c->client, c->src, c->dst, c->proto, c->sport, c->dport, &why);
			if (v != c->verdict || (c->reason && (!why || strcmp(why, c->reason))))
				fail_msg("case %zu (%s %s -> %s proto %d %u/%u): verdict %d reason %s, "
					 "want %d %s", i, c->client, c->src, c->dst, c->proto, c->sport,
					 c->dport, v, why ? why : "-", c->verdict,
					 c->reason ? c->reason : "-");
			if (c->icmp && (t->n_icmp != icmp_before + 1 || t->icmp[icmp_before].kind != c->icmp))
				fail_msg("case %zu: ICMP kind %d wanted, %d answers", i, c->icmp,
					 t->n_icmp - icmp_before);
			if (!c->icmp && t->n_icmp != icmp_before)
				fail_msg("case %zu: unexpected ICMP answer", i);
		}
	}
	/* the second pass found its classifications in the cache */
	assert_true(fst(t)->cache_hits >= n / 2);
	print_message("%zu table cases\n", n);
	assert_true(n >= 50);
	/* every reason was counted */
	assert_true(fzgw_counter_get(&t->ctx.counters, "port-denied") >= 10);
	assert_true(fzgw_counter_get(&t->ctx.counters, "internet-excluded") >= 10);
	assert_true(fzgw_counter_get(&t->ctx.counters, "another-client") >= 4);
	assert_true(fzgw_counter_get(&t->ctx.counters, "out-port-denied") >= 2);
	assert_true(fzgw_counter_get(&t->ctx.counters, "icmp-answers") >= 50);
	modtest_free(t);
}

/* ------------------------------------------------------------- hash seeds */

static uint64_t filter_seed_pick(void)
{
	struct modtest *t;
	struct fzgw_resource lan = mkres("lan", FZGW_RES_CIDR, "10.200.0.0/24", "");

	t = start("{ }");
	grant(t, "alice", &lan, 0); /* the first index entry seeds */
	return filter_index_seed();
}

/*
 * Hardening 8: the index's secret seed is random even when a non-blocking getrandom() fails:
 * two processes forked from one (same addresses, same clock) get different seeds. Runs first,
 * before anything in this process has seeded.
 */
static void test_hash_seed(void **state)
{
	uint64_t a, b;

	(void)state;
	a = seedtest_child(filter_seed_pick);
	b = seedtest_child(filter_seed_pick);
	if (a == b)
		fail_msg("two processes got the same seed %#llx", (unsigned long long)a);
}

/* ------------------------------------------------------------ ICMP errors */

/* An ICMP error from @src to the client @dst quoting @qsrc -> @qdst (proto, ports). */
static int run_err(struct modtest *t, const char *client, const char *src, const char *dst,
		   const char *qsrc, const char *qdst, int proto, uint16_t dport, const char **why)
{
	struct modtest_pkt mp;
	struct fzgw_packet *pkt = modtest_icmp_error_q(&mp, FZGW_DIR_OUT, client, src, dst, qsrc,
						       qdst, proto, 40000, dport);

	pkt->drop_reason = NULL;
	int v = modtest_hook(&fzgw_module, FZGW_PHASE_OUT_FILTER)(t->ctx.state, pkt);
	*why = pkt->drop_reason;
	return v;
}

#define ERR_OK(c, s, d, qs, qd, pr, dp) \
	assert_int_equal(run_err(t, c, s, d, qs, qd, pr, dp, &why), FZGW_ACCEPT)
#define ERR_NO(c, s, d, qs, qd, pr, dp) \
	do { \
		assert_int_equal(run_err(t, c, s, d, qs, qd, pr, dp, &why), FZGW_DROP); \
		assert_string_equal(why, "out-icmp-error-unrelated"); \
		drops++; \
	} while (0)

/*
 * Hardening 2: an ICMP error reaches a client only about one of its own allowed flows (its
 * tunnel address as the quote's source, a granted destination, protocol and port). The
 * error's sender is free: a router on the way answers for the destination.
 */
static void test_icmp_error_quote(void **state)
{
	struct modtest *t = start("{ }");
	const char *why;
	int drops = 0;

	(void)state;
	standard_policy(t);
	/* from the destination itself and from a router on the way */
	ERR_OK("alice", "10.200.0.5", A4, A4, "10.200.0.5", MT_TCP, 80);
	ERR_OK("alice", "203.0.113.1", A4, A4, "10.200.0.5", MT_TCP, 8500);
	ERR_OK("alice", "203.0.113.1", A4, A4, "10.200.0.5", MT_ICMP, 0);
	ERR_OK("alice", "10.200.9.9", A4, A4, "10.200.1.1", MT_UDP, 53);
	ERR_OK("alice", "2001:db8::9", A6, A6, "fd10::5", MT_TCP, 443);
	ERR_OK("bob", "198.18.0.1", B4, B4, "1.1.1.1", MT_TCP, 443);
	ERR_OK("bob", "2001:db8::9", B6, B6, "2606:4700::1111", MT_UDP, 443);
	/* about packets to the gateway itself */
	ERR_OK("alice", "100.64.0.1", A4, A4, "100.64.0.1", MT_UDP, 53);
	ERR_OK("mallory", "203.0.113.1", M4, M4, "100.64.0.1", MT_TCP, 22);
	/* the quoted port, protocol or destination is not granted */
	ERR_NO("alice", "10.200.0.5", A4, A4, "10.200.0.5", MT_TCP, 22);
	ERR_NO("alice", "203.0.113.1", A4, A4, "10.200.1.1", MT_ICMP, 0);
	ERR_NO("alice", "203.0.113.1", A4, A4, "10.200.1.1", MT_UDP, 54);
	ERR_NO("alice", "203.0.113.1", A4, A4, "10.201.0.1", MT_UDP, 53);
	ERR_NO("alice", "2001:db8::9", A6, A6, "2001:db8::1", MT_TCP, 443);
	ERR_NO("bob", "203.0.113.1", B4, B4, "192.168.0.1", MT_TCP, 443); /* excluded */
	/* the quote is not the client's own packet */
	ERR_NO("alice", "10.200.0.5", A4, "10.200.0.7", "10.200.0.5", MT_TCP, 80);
	ERR_NO("alice", "10.200.0.5", A4, B4, "10.200.0.5", MT_TCP, 80);
	ERR_NO("alice", "2001:db8::9", A6, B6, "fd10::5", MT_TCP, 443);
	ERR_NO("alice", "203.0.113.1", A4, "10.200.0.5", A4, MT_TCP, 80);
	/* another client as the quoted destination; a client without grants */
	ERR_NO("alice", "203.0.113.1", A4, A4, B4, MT_TCP, 80);
	ERR_NO("mallory", "10.200.0.5", M4, M4, "10.200.0.5", MT_TCP, 80);
	/* proxy IPs: only after the nat module assigned them, as the reverse NAT leaves the quote */
	ERR_NO("alice", "203.0.113.1", A4, A4, "100.96.0.7", MT_TCP, 443);
	proxy_ips(t, "alice", "web", "app.corp.example", "100.96.0.7");
	ERR_OK("alice", "203.0.113.1", A4, A4, "100.96.0.7", MT_TCP, 443);
	ERR_NO("alice", "203.0.113.1", A4, A4, "100.96.0.8", MT_TCP, 443);
	/* a revoked grant's flows get no more errors */
	revoke_grant(t, "alice", "lan");
	revoke_grant(t, "alice", "lan-wide");
	ERR_NO("alice", "10.200.0.5", A4, A4, "10.200.0.5", MT_TCP, 80);
	assert_int_equal(fzgw_counter_get(&t->ctx.counters, "out-icmp-error-unrelated"), drops);
	assert_int_equal(t->n_icmp, 0); /* never answered */
	modtest_free(t);
}

/* ------------------------------------------------------------- descriptor */

static void test_descriptor(void **state)
{
	(void)state;
	assert_string_equal(fzgw_module.name, "filter");
	assert_int_equal(fzgw_module.hooks[0].phase, FZGW_PHASE_IN_FILTER);
	assert_int_equal(fzgw_module.hooks[0].priority, 100);
	assert_string_equal(fzgw_module.hooks[0].name, "policy-in");
	assert_int_equal(fzgw_module.hooks[1].phase, FZGW_PHASE_OUT_FILTER);
	assert_int_equal(fzgw_module.hooks[1].priority, 100);
	assert_string_equal(fzgw_module.hooks[1].name, "policy-out");
	assert_null(fzgw_module.hooks[2].fn);
}

/* ---------------------------------------------------------------- settings */

static void test_settings(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "{\n icmp_rate = -1;\n}", ":2: value -1 out of range 0..100000 (key \"settings.icmp_rate\")" },
		{ "{\n icmp_rate = \"10\";\n}", ":2: wrong type, expected an integer (key \"settings.icmp_rate\")" },
		{ "{\n deny_log = 1;\n}", ":2: wrong type, expected a boolean (true/false) (key \"settings.deny_log\")" },
		{ "{\n\n rate = 1;\n}", ":3: unknown key (key \"settings.rate\")" },
	};
	struct modtest *t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = modtest_new("filter", &fzgw_module);
		assert_int_equal(modtest_init(t, modtest_settings(t, bad[i].text), false), -EINVAL);
		if (!strstr(t->ctx.last_err, bad[i].want) || strncmp(t->ctx.last_err, t->file, strlen(t->file)))
			fail_msg("\"%s\" wanted \"%s\"", t->ctx.last_err, bad[i].want);
		modtest_free(t);
	}
	t = start("{ icmp_rate = 3; deny_log = true; }");
	assert_int_equal(fst(t)->icmp_rate, 3);
	assert_true(fst(t)->deny_log);
	assert_non_null(fst(t)->tick);
	/* reload: refused settings change nothing */
	assert_int_equal(t->ctx.desc->reload(t->ctx.state, modtest_settings(t, "{ icmp_rate = -5; }")), -EINVAL);
	assert_int_equal(fst(t)->icmp_rate, 3);
	assert_int_equal(t->ctx.desc->reload(t->ctx.state, modtest_settings(t, "{ }")), 0);
	assert_int_equal(fst(t)->icmp_rate, 10);
	assert_false(fst(t)->deny_log);
	modtest_free(t);
	/* check only: no timer */
	t = modtest_new("filter", &fzgw_module);
	assert_int_equal(modtest_init(t, modtest_settings(t, "{ }"), true), 0);
	assert_null(fst(t)->tick);
	modtest_free(t);
}

/* ------------------------------------------------------------- ICMP answers */

static void test_icmp_rate_limit(void **state)
{
	struct modtest *t = start("{ icmp_rate = 10; }");
	struct fzgw_resource lan = mkres("lan", FZGW_RES_CIDR, "10.200.0.0/24", "tcp=80");
	const char *why;

	(void)state;
	grant(t, "alice", &lan, 0);
	grant(t, "bob", &lan, 0);
	for (int i = 0; i < 15; i++)
		assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.200.0.5", MT_TCP, 1, 22, &why),
				 FZGW_DROP);
	assert_int_equal(t->n_icmp, 10); /* the burst */
	assert_int_equal(fzgw_counter_get(&t->ctx.counters, "icmp-rate-limited"), 5);
	assert_int_equal(fzgw_counter_get(&t->ctx.counters, "port-denied"), 15);
	/* per client: bob has his own bucket */
	run(t, FZGW_DIR_IN, "bob", B4, "10.200.0.5", MT_TCP, 1, 22, &why);
	assert_int_equal(t->n_icmp, 11);
	/* 100 ms give one answer back, a second gives the burst, never more */
	modtest_now_ms += 100;
	run(t, FZGW_DIR_IN, "alice", A4, "10.200.0.5", MT_TCP, 1, 22, &why);
	run(t, FZGW_DIR_IN, "alice", A4, "10.200.0.5", MT_TCP, 1, 22, &why);
	assert_int_equal(t->n_icmp, 12);
	modtest_now_ms += 5000;
	for (int i = 0; i < 20; i++)
		run(t, FZGW_DIR_IN, "alice", A4, "10.200.0.5", MT_TCP, 1, 22, &why);
	assert_int_equal(t->n_icmp, 22);
	/* the answer is about the refused packet */
	assert_int_equal(t->icmp[0].kind, FZGW_ICMP_PROHIBITED);
	assert_int_equal(t->icmp[0].dst.bytes[3], 5);
	/* outbound refusals are never answered */
	modtest_now_ms += 5000;
	modtest_clear(t);
	assert_int_equal(run(t, FZGW_DIR_OUT, "alice", "10.200.0.5", A4, MT_TCP, 22, 1, &why), FZGW_DROP);
	assert_int_equal(t->n_icmp, 0);
	/* rate 0: never answer */
	assert_int_equal(t->ctx.desc->reload(t->ctx.state, modtest_settings(t, "{ icmp_rate = 0; }")), 0);
	run(t, FZGW_DIR_IN, "alice", A4, "10.200.0.5", MT_TCP, 1, 22, &why);
	assert_int_equal(t->n_icmp, 0);
	modtest_free(t);
}

/* ------------------------------------------------------------------ expiry */

static void test_expiry(void **state)
{
	struct modtest *t = start("{ }");
	struct fzgw_resource lan = mkres("lan", FZGW_RES_CIDR, "10.200.0.0/24", "");
	struct fzgw_resource dns = mkres("dns", FZGW_RES_CIDR, "10.0.0.53/32", "udp=53");
	int64_t now = modtest_wall_s;
	const char *why;

	(void)state;
	grant(t, "carol", &lan, now + 100);
	grant(t, "erin", &lan, now + 100);
	grant(t, "erin", &dns, 0);
	assert_int_equal(fst(t)->next_expiry, now + 100);
	modtest_wall_s = now + 99;
	filter_expire(fst(t), modtest_wall_s);
	assert_int_equal(run(t, FZGW_DIR_IN, "carol", "100.64.0.4", "10.200.0.1", MT_TCP, 1, 22, &why),
			 FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_OUT, "carol", "10.200.0.1", "100.64.0.4", MT_TCP, 22, 1, &why),
			 FZGW_ACCEPT);
	modtest_clear(t);
	/* the next packet after the expiry is refused, before any tick */
	modtest_wall_s = now + 100;
	assert_int_equal(run(t, FZGW_DIR_IN, "carol", "100.64.0.4", "10.200.0.1", MT_TCP, 1, 22, &why),
			 FZGW_DROP);
	assert_string_equal(why, "expired");
	assert_int_equal(t->n_icmp, 1);
	assert_int_equal(t->icmp[0].kind, FZGW_ICMP_PROHIBITED);
	assert_int_equal(run(t, FZGW_DIR_OUT, "carol", "10.200.0.1", "100.64.0.4", MT_TCP, 22, 1, &why),
			 FZGW_DROP);
	assert_string_equal(why, "out-expired");
	assert_int_equal(t->n_events, 0);
	/* the tick revokes: carol had nothing else, so the whole client goes */
	filter_expire(fst(t), modtest_wall_s);
	assert_int_equal(t->n_events, 3);
	assert_int_equal(modtest_count(t, FZGW_EV_ACCESS_REVOKED), 3);
	for (int i = 0; i < t->n_events; i++)
		assert_string_equal(t->events[i].source, "filter");
	{
		bool carol_all = false, carol_lan = false, erin_lan = false, erin_all = false;

		for (int i = 0; i < t->n_events; i++) {
			const struct fzgw_ev_revoke *r = &t->events[i].u.revoke;

			carol_all |= !strcmp(r->client_id, "carol") && !r->resource_id[0];
			carol_lan |= !strcmp(r->client_id, "carol") && !strcmp(r->resource_id, "lan");
			erin_lan |= !strcmp(r->client_id, "erin") && !strcmp(r->resource_id, "lan");
			erin_all |= !strcmp(r->client_id, "erin") && !r->resource_id[0];
		}
		assert_true(carol_all && carol_lan && erin_lan);
		assert_false(erin_all); /* erin keeps dns */
	}
	assert_null(filter_client_find(fst(t), "carol"));
	assert_non_null(filter_client_find(fst(t), "erin"));
	assert_int_equal(fst(t)->next_expiry, 0);
	assert_int_equal(run(t, FZGW_DIR_IN, "carol", "100.64.0.4", "10.200.0.1", MT_TCP, 1, 22, &why),
			 FZGW_DROP);
	assert_string_equal(why, "no-resource");
	assert_int_equal(run(t, FZGW_DIR_IN, "erin", "100.64.0.6", "10.0.0.53", MT_UDP, 1, 53, &why),
			 FZGW_ACCEPT);
	assert_int_equal(fzgw_counter_get(&t->ctx.counters, "grants-expired"), 2);
	/* nothing more to do */
	modtest_clear(t);
	filter_expire(fst(t), modtest_wall_s + 1000);
	assert_int_equal(t->n_events, 0);
	/* a renewed grant moves the expiry */
	grant(t, "erin", &lan, now + 200);
	grant(t, "erin", &lan, now + 300);
	modtest_wall_s = now + 250;
	filter_expire(fst(t), modtest_wall_s);
	assert_int_equal(t->n_events, 0);
	assert_int_equal(run(t, FZGW_DIR_IN, "erin", "100.64.0.6", "10.200.0.1", MT_TCP, 1, 22, &why),
			 FZGW_ACCEPT);
	modtest_wall_s = now + 300;
	filter_expire(fst(t), modtest_wall_s);
	assert_int_equal(t->n_events, 1);
	modtest_wall_s = now;
	modtest_free(t);
}

/* An expired grant that would have admitted gives "expired"; a live one still admits. */
static void test_expiry_ranking(void **state)
{
	struct modtest *t = start("{ }");
	struct fzgw_resource narrow = mkres("narrow", FZGW_RES_CIDR, "10.1.1.0/24", "tcp=22");
	struct fzgw_resource wide = mkres("wide", FZGW_RES_CIDR, "10.1.0.0/16", "tcp=22");
	int64_t now = modtest_wall_s;
	const char *why;

	(void)state;
	grant(t, "f", &narrow, now + 10);
	grant(t, "f", &wide, 0);
	modtest_wall_s = now + 20;
	assert_int_equal(run(t, FZGW_DIR_IN, "f", "100.64.0.7", "10.1.1.1", MT_TCP, 1, 22, &why),
			 FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "f", "100.64.0.7", "10.1.1.1", MT_TCP, 1, 23, &why),
			 FZGW_DROP);
	assert_string_equal(why, "port-denied");
	revoke_grant(t, "f", "wide");
	assert_int_equal(run(t, FZGW_DIR_IN, "f", "100.64.0.7", "10.1.1.1", MT_TCP, 1, 22, &why),
			 FZGW_DROP);
	assert_string_equal(why, "expired");
	modtest_wall_s = now;
	modtest_free(t);
}

/* ------------------------------------------------------------------ events */

static void test_events(void **state)
{
	struct modtest *t = start("{ }");
	struct fzgw_resource lan = mkres("lan", FZGW_RES_CIDR, "10.200.0.0/24", "tcp=80");
	struct fzgw_resource two = mkres("two", FZGW_RES_CIDR, "10.2.0.0/16", "");
	struct fzgw_resource bad = mkres("bad", FZGW_RES_CIDR, "10.3.0.0/16", "");
	struct fzgw_ev_resource upd;
	struct fzgw_ev_peer gone;
	const char *why;

	(void)state;
	grant(t, "alice", &lan, 0);
	grant(t, "alice", &two, 0);
	grant(t, "bob", &lan, 0);
	assert_int_equal(fst(t)->resources.n, 2);
	/* warm the cache, then change the resource: the next packet sees the new filter */
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.200.0.5", MT_TCP, 1, 80, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.200.0.5", MT_TCP, 1, 443, &why), FZGW_DROP);
	memset(&upd, 0, sizeof(upd));
	upd.resource = mkres("lan", FZGW_RES_CIDR, "10.200.0.0/24", "tcp=443");
	modtest_publish(t, FZGW_EV_RESOURCE_UPDATED, &upd, sizeof(upd));
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.200.0.5", MT_TCP, 1, 443, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "bob", B4, "10.200.0.5", MT_TCP, 1, 80, &why), FZGW_DROP);
	/* every filter goes */
	upd.resource = mkres("lan", FZGW_RES_CIDR, "10.200.0.0/24", "");
	modtest_publish(t, FZGW_EV_RESOURCE_UPDATED, &upd, sizeof(upd));
	assert_int_equal(run(t, FZGW_DIR_IN, "bob", B4, "10.200.0.5", MT_TCP, 1, 80, &why), FZGW_ACCEPT);
	/* an update of an unknown resource, and a malformed one, change nothing */
	upd.resource = mkres("nobody", FZGW_RES_CIDR, "10.9.0.0/16", "");
	modtest_publish(t, FZGW_EV_RESOURCE_UPDATED, &upd, sizeof(upd));
	assert_int_equal(fst(t)->resources.n, 2);
	upd.resource = mkres("lan", FZGW_RES_CIDR, "10.200.0.0/24", "tcp=1");
	upd.resource.prefix_len = 33;
	modtest_publish(t, FZGW_EV_RESOURCE_UPDATED, &upd, sizeof(upd));
	assert_int_equal(run(t, FZGW_DIR_IN, "bob", B4, "10.200.0.5", MT_TCP, 1, 80, &why), FZGW_ACCEPT);
	/* malformed lists: a count without its list, an unknown protocol, a range backwards */
	bad.n_filters = 1;
	bad.filters = NULL;
	grant(t, "alice", &bad, 0);
	bad = mkres("bad", FZGW_RES_CIDR, "10.3.0.0/16", "tcp=80");
	((struct fzgw_filter *)bad.filters)[0].ranges = NULL;
	grant(t, "alice", &bad, 0);
	bad = mkres("bad", FZGW_RES_CIDR, "10.3.0.0/16", "tcp=80");
	((struct fzgw_filter *)bad.filters)[0].proto = 4;
	grant(t, "alice", &bad, 0);
	bad = mkres("bad", FZGW_RES_CIDR, "10.3.0.0/16", "tcp=90-80");
	grant(t, "alice", &bad, 0);
	assert_int_equal(fst(t)->resources.n, 2);
	/* revoking one grant of two: nothing published */
	modtest_clear(t);
	revoke_grant(t, "alice", "two");
	assert_int_equal(t->n_events, 0); /* the recorder does not see its own */
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.2.0.1", MT_TCP, 1, 80, &why), FZGW_DROP);
	assert_int_equal(fst(t)->resources.n, 1);
	/* revoking the last grant: the filter revokes the client so the core drops the tunnel */
	revoke_grant(t, "alice", "lan");
	assert_int_equal(t->n_events, 1);
	assert_int_equal(t->events[0].type, FZGW_EV_ACCESS_REVOKED);
	assert_string_equal(t->events[0].source, "filter");
	assert_string_equal(t->events[0].u.revoke.client_id, "alice");
	assert_string_equal(t->events[0].u.revoke.resource_id, "");
	assert_null(filter_client_find(fst(t), "alice"));
	/* revoking a whole client publishes nothing more */
	grant(t, "alice", &lan, 0);
	modtest_clear(t);
	revoke_grant(t, "alice", "");
	assert_int_equal(t->n_events, 0);
	assert_null(filter_client_find(fst(t), "alice"));
	/* the core removed a tunnel: the client's state goes */
	memset(&gone, 0, sizeof(gone));
	snprintf(gone.client_id, sizeof(gone.client_id), "bob");
	modtest_publish(t, FZGW_EV_PEER_REMOVED, &gone, sizeof(gone));
	assert_null(filter_client_find(fst(t), "bob"));
	assert_int_equal(fst(t)->resources.n, 0);
	assert_int_equal(run(t, FZGW_DIR_IN, "bob", B4, "10.201.0.5", MT_TCP, 1, 80, &why), FZGW_DROP);
	/* a short event is ignored */
	modtest_publish(t, FZGW_EV_PEER_REMOVED, &gone, 3);
	/* the gateway's address moves */
	iface(t, "100.64.0.100", "fd00:2021:1111::100");
	assert_int_equal(run(t, FZGW_DIR_IN, "bob", B4, "100.64.0.100", MT_TCP, 1, 80, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "bob", B4, "100.64.0.1", MT_TCP, 1, 80, &why), FZGW_DROP);
	assert_string_equal(why, "another-client");
	modtest_free(t);
}

/* ------------------------------------------------------------- DNS proxy IPs */

#define P1 "100.96.0.5"
#define P2 "100.96.0.6"
#define P3 "100.96.0.7"
#define P6 "fd00:2021:1111:8000::5"
#define PX "100.97.0.1"
#define L77 "10.77.1.1"

static uint64_t counter(struct modtest *t, const char *name)
{
	return fzgw_counter_get(&t->ctx.counters, name);
}

/* Proxy IPs become host prefixes of the DNS grant: its filters apply, in both directions. */
static void test_proxy_ips(void **state)
{
	struct modtest *t = start("{ }");
	struct fzgw_resource web = mkres("web", FZGW_RES_DNS, NULL, "tcp=443 icmp");
	struct fzgw_resource inet = mkres("inet", FZGW_RES_INTERNET, NULL, "");
	const char *why;
	uint32_t gen;

	(void)state;
	web.pattern = "*.corp.example";
	grant(t, "alice", &web, 0);
	grant(t, "bob", &inet, 0);
	grant(t, "bob", &web, 0);
	/* before the nat module speaks, a DNS resource covers nothing (and the cache learns that) */
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_TCP, 1, 443, &why), FZGW_DROP);
	assert_string_equal(why, "no-resource");
	proxy_ips(t, "alice", "web", "app.corp.example", P1 " " P6);
	assert_int_equal(counter(t, "proxy-ips-set"), 1);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_TCP, 1, 443, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A6, P6, MT_TCP, 1, 443, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_ICMP, 1, 0, &why), FZGW_ACCEPT);
	modtest_clear(t);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_TCP, 1, 80, &why), FZGW_DROP);
	assert_string_equal(why, "port-denied");
	assert_int_equal(t->n_icmp, 1);
	assert_int_equal(t->icmp[0].kind, FZGW_ICMP_PROHIBITED);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_UDP, 1, 53, &why), FZGW_DROP);
	assert_string_equal(why, "proto-denied");
	/* replies: after the reverse NAT the source is the proxy IP */
	assert_int_equal(run(t, FZGW_DIR_OUT, "alice", P1, A4, MT_TCP, 443, 1, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_OUT, "alice", P6, A6, MT_TCP, 443, 1, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_OUT, "alice", P1, A4, MT_TCP, 80, 1, &why), FZGW_DROP);
	assert_string_equal(why, "out-port-denied");
	/* only the assigned addresses, only for that client */
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P2, MT_TCP, 1, 443, &why), FZGW_DROP);
	assert_string_equal(why, "no-resource");
	assert_int_equal(run(t, FZGW_DIR_IN, "bob", B4, P1, MT_TCP, 1, 443, &why), FZGW_DROP);
	assert_string_equal(why, "no-resource"); /* the Internet never covers proxy IPs */
	proxy_ips(t, "bob", "web", "app.corp.example", P1);
	assert_int_equal(run(t, FZGW_DIR_IN, "bob", B4, P1, MT_TCP, 1, 443, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "bob", B4, P1, MT_TCP, 1, 80, &why), FZGW_DROP);
	assert_string_equal(why, "port-denied");
	assert_int_equal(run(t, FZGW_DIR_IN, "bob", B4, "1.1.1.1", MT_TCP, 1, 80, &why),
			 FZGW_ACCEPT);

	/* a new set for the same name replaces the old one */
	proxy_ips(t, "alice", "web", "app.corp.example", P3);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_TCP, 1, 443, &why), FZGW_DROP);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A6, P6, MT_TCP, 1, 443, &why), FZGW_DROP);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P3, MT_TCP, 1, 443, &why), FZGW_ACCEPT);
	/* a second name of the same resource; one address in both names */
	proxy_ips(t, "alice", "web", "db.corp.example", P2 " " P3 " " P2);
	assert_int_equal(filter_client_find(fst(t), "alice")->n_domains, 2);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P2, MT_TCP, 1, 443, &why), FZGW_ACCEPT);
	/* n = 0: that name goes, the other keeps its addresses */
	proxy_ips(t, "alice", "web", "app.corp.example", "");
	assert_int_equal(counter(t, "proxy-ips-removed"), 1);
	assert_int_equal(filter_client_find(fst(t), "alice")->n_domains, 1);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P3, MT_TCP, 1, 443, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P2, MT_TCP, 1, 443, &why), FZGW_ACCEPT);
	proxy_ips(t, "alice", "web", "db.corp.example", "");
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P3, MT_TCP, 1, 443, &why), FZGW_DROP);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P2, MT_TCP, 1, 443, &why), FZGW_DROP);
	assert_int_equal(filter_client_find(fst(t), "alice")->n_domains, 0);
	/* removing what is not there changes nothing */
	proxy_ips(t, "alice", "web", "nothing.corp.example", "");
	assert_int_equal(counter(t, "proxy-ips-ignored"), 0);
	/* hardening 4: the same set again (any order) keeps the policy generation, so every
	 * client's cached decisions stay; a different set does not */
	proxy_ips(t, "alice", "web", "app.corp.example", P1 " " P2);
	gen = fst(t)->gen;
	proxy_ips(t, "alice", "web", "app.corp.example", P2 " " P1);
	proxy_ips(t, "alice", "web", "app.corp.example", P1 " " P2 " " P1);
	assert_int_equal(fst(t)->gen, gen);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P2, MT_TCP, 1, 443, &why), FZGW_ACCEPT);
	proxy_ips(t, "alice", "web", "app.corp.example", P1);
	assert_int_not_equal(fst(t)->gen, gen);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P2, MT_TCP, 1, 443, &why), FZGW_DROP);
	modtest_free(t);
}

/* Proxy IPs go with the grant: revocation, the client's removal, expiry; not a type change. */
static void test_proxy_ips_lifetime(void **state)
{
	struct modtest *t = start("{ }");
	struct fzgw_resource web = mkres("web", FZGW_RES_DNS, NULL, "");
	struct fzgw_resource lan = mkres("lan", FZGW_RES_CIDR, "10.200.0.0/24", "");
	struct fzgw_ev_resource upd;
	struct fzgw_ev_peer gone;
	int64_t now = modtest_wall_s;
	const char *why;

	(void)state;
	web.pattern = "*.corp.example";
	grant(t, "alice", &web, 0);
	grant(t, "alice", &lan, 0);
	proxy_ips(t, "alice", "web", "app.corp.example", P1);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_UDP, 1, 53, &why), FZGW_ACCEPT);
	/* a type change is refused: the names keep covering their proxy IPs */
	memset(&upd, 0, sizeof(upd));
	upd.resource = mkres("web", FZGW_RES_CIDR, "10.77.0.0/16", "");
	modtest_publish(t, FZGW_EV_RESOURCE_UPDATED, &upd, sizeof(upd));
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_UDP, 1, 53, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, L77, MT_UDP, 1, 53, &why), FZGW_DROP);
	upd.resource = mkres("web", FZGW_RES_DNS, NULL, "tcp");
	upd.resource.pattern = "*.corp.example";
	modtest_publish(t, FZGW_EV_RESOURCE_UPDATED, &upd, sizeof(upd));
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_TCP, 1, 53, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_UDP, 1, 53, &why), FZGW_DROP);
	assert_string_equal(why, "proto-denied");
	/* a renewed grant keeps its names */
	grant(t, "alice", &web, now + 50);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_TCP, 1, 53, &why), FZGW_ACCEPT);
	/* revoked: the addresses go, and a new grant does not bring them back */
	revoke_grant(t, "alice", "web");
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_TCP, 1, 53, &why), FZGW_DROP);
	assert_string_equal(why, "no-resource");
	assert_int_equal(filter_client_find(fst(t), "alice")->n_domains, 0);
	grant(t, "alice", &web, 0);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_TCP, 1, 53, &why), FZGW_DROP);
	/* events for a grant the client does not hold are ignored */
	proxy_ips(t, "alice", "nope", "app.corp.example", P1);
	proxy_ips(t, "carol", "web", "app.corp.example", P1);
	assert_int_equal(counter(t, "proxy-ips-ignored"), 2);
	/* expiry takes them with the grant */
	proxy_ips(t, "alice", "web", "app.corp.example", P1 " " P6);
	grant(t, "alice", &web, now + 10);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A6, P6, MT_TCP, 1, 53, &why), FZGW_ACCEPT);
	modtest_wall_s = now + 10;
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A6, P6, MT_TCP, 1, 53, &why), FZGW_DROP);
	assert_string_equal(why, "expired");
	filter_expire(fst(t), modtest_wall_s);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A6, P6, MT_TCP, 1, 53, &why), FZGW_DROP);
	assert_string_equal(why, "no-resource");
	assert_int_equal(filter_client_find(fst(t), "alice")->n_domains, 0);
	modtest_wall_s = now;
	/* the core removed the tunnel: everything goes */
	grant(t, "alice", &web, 0);
	proxy_ips(t, "alice", "web", "app.corp.example", P1);
	memset(&gone, 0, sizeof(gone));
	snprintf(gone.client_id, sizeof(gone.client_id), "alice");
	modtest_publish(t, FZGW_EV_PEER_REMOVED, &gone, sizeof(gone));
	assert_null(filter_client_find(fst(t), "alice"));
	assert_int_equal(fst(t)->resources.n, 0);
	modtest_free(t);
}

/* Malformed sets are refused whole; names per client are capped. */
static void test_proxy_ips_malformed(void **state)
{
	struct modtest *t = start("{ }");
	struct fzgw_resource web = mkres("web", FZGW_RES_DNS, NULL, "");
	struct fzgw_ev_proxy_ips e;
	char name[64];
	const char *why;

	(void)state;
	web.pattern = "*.corp.example";
	grant(t, "alice", &web, 0);
	/* a real address would let a name cover a real host: refused with the rest of the set */
	proxy_ips(t, "alice", "web", "app.corp.example", P1 " 10.0.0.1");
	proxy_ips(t, "alice", "web", "app.corp.example", "100.64.0.9");
	proxy_ips(t, "alice", "web", "app.corp.example", "fd00:2021:1111::9");
	assert_int_equal(counter(t, "proxy-ips-ignored"), 3);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_TCP, 1, 53, &why), FZGW_DROP);
	memset(&e, 0, sizeof(e));
	snprintf(e.client_id, sizeof(e.client_id), "alice");
	snprintf(e.resource_id, sizeof(e.resource_id), "web");
	e.n = FZGW_MAX_PROXY_IPS + 1;
	for (int i = 0; i < FZGW_MAX_PROXY_IPS; i++)
		e.ips[i] = modtest_addr(P1);
	snprintf(e.domain, sizeof(e.domain), "x.corp.example");
	modtest_publish(t, FZGW_EV_PROXY_IPS, &e, sizeof(e)); /* too many */
	e.n = 1;
	memset(e.domain, 'a', sizeof(e.domain)); /* not terminated */
	modtest_publish(t, FZGW_EV_PROXY_IPS, &e, sizeof(e));
	e.domain[0] = '\0'; /* empty */
	modtest_publish(t, FZGW_EV_PROXY_IPS, &e, sizeof(e));
	snprintf(e.domain, sizeof(e.domain), "x.corp.example");
	e.ips[0].family = 5;
	modtest_publish(t, FZGW_EV_PROXY_IPS, &e, sizeof(e));
	modtest_publish(t, FZGW_EV_PROXY_IPS, &e, 10); /* short */
	assert_int_equal(counter(t, "proxy-ips-ignored"), 8);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_TCP, 1, 53, &why), FZGW_DROP);
	/* the cap on names */
	for (int i = 0; i < FILTER_MAX_DOMAINS; i++) {
		snprintf(name, sizeof(name), "n%d.corp.example", i);
		proxy_ips(t, "alice", "web", name, PX);
	}
	assert_int_equal(counter(t, "proxy-ips-set"), FILTER_MAX_DOMAINS);
	proxy_ips(t, "alice", "web", "one-more.corp.example", P1);
	assert_int_equal(counter(t, "proxy-ips-ignored"), 9);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_TCP, 1, 53, &why), FZGW_DROP);
	/* an existing name can still change */
	proxy_ips(t, "alice", "web", "n7.corp.example", P1);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_TCP, 1, 53, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, PX, MT_TCP, 1, 53, &why), FZGW_ACCEPT);
	/* every name holds 100.97.0.1 once: one entry, 4095 references */
	for (int i = 0; i < FILTER_MAX_DOMAINS; i++) {
		snprintf(name, sizeof(name), "n%d.corp.example", i);
		if (i != 7)
			proxy_ips(t, "alice", "web", name, "");
	}
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, PX, MT_TCP, 1, 53, &why), FZGW_DROP);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_TCP, 1, 53, &why), FZGW_ACCEPT);
	assert_int_equal(filter_client_find(fst(t), "alice")->ix.nodes, 1);
	modtest_free(t);
}

/*
 * As the original: a later description of a held resource (an update, or another
 * authorization naming it) changes only its filters; its address, pattern and type stay as
 * granted, and a type change is refused (counted). Definitions are shared by id.
 */
static void test_resource_update_filters_only(void **state)
{
	struct modtest *t = start("{ }");
	struct fzgw_resource lan = mkres("lan", FZGW_RES_CIDR, "10.200.0.0/24", "tcp=80");
	struct fzgw_resource web = mkres("web", FZGW_RES_DNS, NULL, "");
	struct fzgw_resource inet = mkres("inet", FZGW_RES_INTERNET, NULL, "");
	struct fzgw_resource again;
	struct fzgw_ev_resource upd;
	const char *why;

	(void)state;
	web.pattern = "*.corp.example";
	grant(t, "alice", &lan, 0);
	grant(t, "alice", &web, 0);
	grant(t, "bob", &lan, 0);
	grant(t, "bob", &inet, 0);
	proxy_ips(t, "alice", "web", "app.corp.example", P1);
	/* a new address and new filters: the filters change, the address stays */
	memset(&upd, 0, sizeof(upd));
	upd.resource = mkres("lan", FZGW_RES_CIDR, "10.201.0.0/24", "tcp=443");
	modtest_publish(t, FZGW_EV_RESOURCE_UPDATED, &upd, sizeof(upd));
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.200.0.5", MT_TCP, 1, 443, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.200.0.5", MT_TCP, 1, 80, &why), FZGW_DROP);
	assert_string_equal(why, "port-denied");
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.201.0.5", MT_TCP, 1, 443, &why), FZGW_DROP);
	assert_string_equal(why, "no-resource");
	assert_int_equal(run(t, FZGW_DIR_OUT, "alice", "10.200.0.5", A4, MT_TCP, 443, 1, &why), FZGW_ACCEPT);
	/* a type change is refused whole: neither the type nor the filters change */
	upd.resource = mkres("lan", FZGW_RES_DNS, NULL, "udp=53");
	upd.resource.pattern = "*.lan.example";
	modtest_publish(t, FZGW_EV_RESOURCE_UPDATED, &upd, sizeof(upd));
	assert_int_equal(counter(t, "type-change-refused"), 1);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.200.0.5", MT_TCP, 1, 443, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.200.0.5", MT_UDP, 1, 53, &why), FZGW_DROP);
	assert_string_equal(why, "proto-denied");
	upd.resource = mkres("web", FZGW_RES_CIDR, "10.77.0.0/16", "");
	modtest_publish(t, FZGW_EV_RESOURCE_UPDATED, &upd, sizeof(upd));
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_UDP, 1, 53, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, L77, MT_UDP, 1, 53, &why), FZGW_DROP);
	assert_string_equal(why, "no-resource");
	upd.resource = mkres("inet", FZGW_RES_CIDR, "1.0.0.0/8", "tcp=1");
	modtest_publish(t, FZGW_EV_RESOURCE_UPDATED, &upd, sizeof(upd));
	assert_int_equal(run(t, FZGW_DIR_IN, "bob", B4, "8.8.8.8", MT_UDP, 1, 53, &why), FZGW_ACCEPT);
	assert_int_equal(counter(t, "type-change-refused"), 3);
	/* the DNS resource's filters do change; its pattern stays */
	upd.resource = mkres("web", FZGW_RES_DNS, NULL, "tcp=443");
	upd.resource.pattern = "*.other.example";
	modtest_publish(t, FZGW_EV_RESOURCE_UPDATED, &upd, sizeof(upd));
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_UDP, 1, 53, &why), FZGW_DROP);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, P1, MT_TCP, 1, 443, &why), FZGW_ACCEPT);
	assert_string_equal(((struct filter_res *)filter_htab_find(&fst(t)->resources, "web"))->def.pattern,
			    "*.corp.example");
	/* an authorization naming a held resource: the same rule, for every holder */
	again = mkres("lan", FZGW_RES_CIDR, "10.99.0.0/16", "udp=53");
	grant(t, "alice", &again, 0);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.200.0.5", MT_UDP, 1, 53, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "bob", B4, "10.200.0.5", MT_UDP, 1, 53, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "bob", B4, "10.200.0.5", MT_TCP, 1, 443, &why), FZGW_DROP);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.200.0.5", MT_TCP, 1, 443, &why), FZGW_DROP);
	assert_string_equal(why, "proto-denied");
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.99.0.1", MT_UDP, 1, 53, &why), FZGW_DROP);
	assert_string_equal(why, "no-resource");
	/* a new holder with another type gets the definition as it is, the grant still counts */
	again = mkres("lan", FZGW_RES_INTERNET, NULL, "");
	grant(t, "carol", &again, 0);
	assert_int_equal(counter(t, "type-change-refused"), 4);
	assert_int_equal(run(t, FZGW_DIR_IN, "carol", "100.64.0.4", "10.200.0.5", MT_UDP, 1, 53, &why),
			 FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "carol", "100.64.0.4", "1.1.1.1", MT_UDP, 1, 53, &why),
			 FZGW_DROP);
	assert_string_equal(why, "no-resource");
	modtest_free(t);
}

static uint32_t rnd(void);

/* One resource with 100 filters and 1,000 port ranges: every port's verdict as the lists say. */
static void test_many_ranges(void **state)
{
	enum { N_FILTERS = 100, N_RANGES = 1000 };
	static struct fzgw_filter fs[N_FILTERS];
	static struct fzgw_port_range rg[N_RANGES];
	struct modtest *t = start("{ }");
	struct fzgw_resource big;
	const struct filter_res *r;
	long checked = 0;
	const char *why;

	(void)state;
	memset(&big, 0, sizeof(big));
	snprintf(big.id, sizeof(big.id), "big");
	big.type = FZGW_RES_CIDR;
	big.addr = modtest_addr("10.5.0.0");
	big.prefix_len = 16;
	big.n_filters = N_FILTERS;
	big.filters = fs;
	/* 60 TCP and 40 UDP filters sharing the ranges: narrow ones, overlapping, touching */
	for (int i = 0, used = 0; i < N_FILTERS; i++) {
		int n = N_RANGES / N_FILTERS;

		fs[i].proto = i < 60 ? FZGW_FILTER_TCP : FZGW_FILTER_UDP;
		fs[i].n_ranges = (uint32_t)n;
		fs[i].ranges = &rg[used];
		for (int k = 0; k < n; k++, used++) {
			uint16_t a = (uint16_t)(rnd() % 65536), w = (uint16_t)(rnd() % 8 ? rnd() % 16 : rnd() % 600);

			rg[used].first = a;
			rg[used].last = a + w < 65536 ? (uint16_t)(a + w) : 65535;
			if (k && rnd() % 4 == 0 && rg[used - 1].last < 65535) {
				rg[used].first = (uint16_t)(rg[used - 1].last + 1); /* touching */
				if (rg[used].last < rg[used].first)
					rg[used].last = rg[used].first;
			}
		}
	}
	rg[0] = (struct fzgw_port_range){ 0, 0 };
	rg[1] = (struct fzgw_port_range){ 65535, 65535 };
	grant(t, "alice", &big, 0);
	assert_non_null(r = (const struct filter_res *)filter_htab_find(&fst(t)->resources, "big"));
	/* kept merged: one filter per protocol, ranges sorted, disjoint and not touching */
	assert_int_equal(r->def.n_filters, 2);
	for (uint32_t i = 0; i < r->def.n_filters; i++)
		for (uint32_t k = 1; k < r->def.filters[i].n_ranges; k++)
			assert_true(r->def.filters[i].ranges[k].first >
				    r->def.filters[i].ranges[k - 1].last + 1);
	for (int proto = 0; proto < 2; proto++) {
		for (uint32_t port = 0; port < 65536; port++) {
			bool want = false;

			for (int i = 0; i < N_FILTERS && !want; i++) {
				if (fs[i].proto != (proto ? FZGW_FILTER_UDP : FZGW_FILTER_TCP))
					continue;
				for (uint32_t k = 0; k < fs[i].n_ranges && !want; k++)
					want = port >= fs[i].ranges[k].first && port <= fs[i].ranges[k].last;
			}
			modtest_now_ms += 1000;
			if (run(t, FZGW_DIR_IN, "alice", A4, "10.5.3.4", proto ? MT_UDP : MT_TCP, 40000,
				(uint16_t)port, &why) != (want ? FZGW_ACCEPT : FZGW_DROP))
				fail_msg("%s port %u: want %s", proto ? "udp" : "tcp", port,
					 want ? "accept" : "drop");
			if (!want)
				assert_string_equal(why, "port-denied");
			checked++;
		}
	}
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.5.3.4", MT_ICMP, 0, 0, &why), FZGW_DROP);
	assert_string_equal(why, "proto-denied");
	/* one filter without ranges opens its protocol whole; ICMP comes with its own */
	fs[0].n_ranges = 0;
	fs[99].proto = FZGW_FILTER_ICMP;
	grant(t, "alice", &big, 0);
	assert_int_equal(r->def.n_filters, 3);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.5.3.4", MT_TCP, 1, 12345, &why), FZGW_ACCEPT);
	assert_int_equal(run(t, FZGW_DIR_IN, "alice", A4, "10.5.3.4", MT_ICMP, 0, 0, &why), FZGW_ACCEPT);
	print_message("%ld ports checked against %d ranges in %d filters\n", checked, N_RANGES,
		      N_FILTERS);
	modtest_free(t);
}

/* deny_log: refusals at debug level, at most 10 lines a second. */
static void test_deny_log(void **state)
{
	struct modtest *t = start("{ deny_log = true; }");
	char path[64], line[512];
	int fd, saved, lines = 0;
	bool seen = false;
	FILE *in;
	const char *why;

	(void)state;
	assert_int_equal(fzgw_log_set_filter("info,filter=debug"), 0);
	snprintf(path, sizeof(path), "/tmp/modtest-log-XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	for (int i = 0; i < 30; i++)
		run(t, FZGW_DIR_IN, "alice", A4, "10.7.0.1", MT_TCP, 40000, 22, &why);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	fzgw_log_set_filter("info");
	assert_non_null(in = fopen(path, "r"));
	while (fgets(line, sizeof(line), in)) {
		lines++;
		seen |= strstr(line, "alice: 100.64.0.2 port 40000 -> 10.7.0.1 port 22, proto 6: "
				     "no-resource") != NULL;
	}
	fclose(in);
	unlink(path);
	assert_true(seen);
	assert_int_equal(lines, 10);
	modtest_free(t);
}

/* In-tunnel control packets and packets without a client are dropped unanswered. */
static void test_control_and_no_peer(void **state)
{
	struct modtest *t = start("{ }");
	struct fzgw_resource inet = mkres("inet", FZGW_RES_INTERNET, NULL, "");
	fzgw_hook_fn in = modtest_hook(&fzgw_module, FZGW_PHASE_IN_FILTER);
	fzgw_hook_fn out = modtest_hook(&fzgw_module, FZGW_PHASE_OUT_FILTER);
	struct modtest_pkt mp;
	struct fzgw_packet *pkt;

	(void)state;
	grant(t, "bob", &inet, 0);
	/* IPv6 :: to ::, next header 0xff, hop limit 0, an 8-byte header */
	pkt = modtest_pkt(&mp, FZGW_DIR_IN, "bob", "::", "::", 0xff, 0, 0);
	mp.buf[7] = 0;
	assert_int_equal(fzgw_ip_parse(&pkt->ip, mp.buf, pkt->len, FZGW_IP_MAX_SIZE), 0);
	assert_int_equal(pkt->ip.kind, FZGW_IP_KIND_CONTROL);
	assert_int_equal(in(t->ctx.state, pkt), FZGW_DROP);
	assert_string_equal(pkt->drop_reason, "control-packet");
	pkt->dir = FZGW_DIR_OUT;
	assert_int_equal(out(t->ctx.state, pkt), FZGW_DROP);
	assert_string_equal(pkt->drop_reason, "out-control-packet");
	pkt = modtest_pkt(&mp, FZGW_DIR_IN, "bob", B4, "1.1.1.1", MT_TCP, 1, 443);
	pkt->peer = NULL;
	assert_int_equal(in(t->ctx.state, pkt), FZGW_DROP);
	assert_string_equal(pkt->drop_reason, "no-peer");
	pkt->dir = FZGW_DIR_OUT;
	assert_int_equal(out(t->ctx.state, pkt), FZGW_DROP);
	assert_string_equal(pkt->drop_reason, "out-no-peer");
	assert_int_equal(t->n_icmp, 0);
	modtest_free(t);
}

/* Many clients and grants: the hash tables grow, lookups stay right. */
static void test_many_clients(void **state)
{
	struct modtest *t = start("{ }");
	char id[40], dst[32];
	const char *why;

	(void)state;
	for (int i = 0; i < 3000; i++) {
		struct fzgw_resource r;

		snprintf(id, sizeof(id), "r%d", i);
		snprintf(dst, sizeof(dst), "10.%d.%d.0/24", i / 256, i % 256);
		r = mkres(id, FZGW_RES_CIDR, dst, "tcp=443");
		snprintf(id, sizeof(id), "client-%d", i % 700);
		grant(t, id, &r, 0);
	}
	assert_int_equal(fst(t)->clients.n, 700);
	assert_int_equal(fst(t)->resources.n, 3000);
	for (int i = 0; i < 3000; i += 7) {
		snprintf(id, sizeof(id), "client-%d", i % 700);
		snprintf(dst, sizeof(dst), "10.%d.%d.9", i / 256, i % 256);
		assert_int_equal(run(t, FZGW_DIR_IN, id, "100.64.1.1", dst, MT_TCP, 1, 443, &why), FZGW_ACCEPT);
		snprintf(id, sizeof(id), "client-%d", (i + 1) % 700);
		assert_int_equal(run(t, FZGW_DIR_IN, id, "100.64.1.1", dst, MT_TCP, 1, 443, &why), FZGW_DROP);
	}
	modtest_free(t);
}

/* --------------------------------------------------- cache against the scan */

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Addresses from a small space so that prefixes overlap often. */
static struct fzgw_addr rnd_addr(int family)
{
	struct fzgw_addr a;

	memset(&a, 0, sizeof(a));
	a.family = (uint8_t)family;
	if (rnd() % 8 == 0) {
		/* one of a few proxy IPs */
		a = modtest_addr(family == 4 ? "100.96.0.0" : "fd00:2021:1111:8000::");
		a.bytes[family == 4 ? 3 : 15] = (uint8_t)(rnd() % 8);
		return a;
	}
	if (family == 4) {
		static const uint8_t firsts[] = { 10, 10, 10, 8, 192, 172, 100, 1 };

		a.bytes[0] = firsts[rnd() % sizeof(firsts)];
		a.bytes[1] = (uint8_t)(a.bytes[0] == 172 ? 16 + rnd() % 32 : rnd() % 4);
		a.bytes[2] = (uint8_t)(rnd() % 4);
		a.bytes[3] = (uint8_t)rnd();
	} else {
		a.bytes[0] = rnd() % 4 ? 0x20 : 0xfd;
		a.bytes[1] = 0x01;
		a.bytes[15] = (uint8_t)rnd();
		a.bytes[14] = (uint8_t)(rnd() % 4);
	}
	return a;
}

static int res_gen; /* one set of ids per random policy: a definition keeps its first type */

static struct fzgw_resource rnd_res(int n)
{
	struct fzgw_resource r;
	int family = rnd() % 4 ? 4 : 6;

	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "res-%d-%02d", res_gen, n);
	r.type = rnd() % 10 == 0 ? FZGW_RES_INTERNET : rnd() % 6 == 0 ? FZGW_RES_DNS : FZGW_RES_CIDR;
	if (r.type == FZGW_RES_CIDR) {
		unsigned bits = family == 4 ? 32 : 128, plen = family == 4 ? 8 + rnd() % 25 : 100 + rnd() % 29;

		r.addr = rnd_addr(family);
		r.prefix_len = (uint8_t)plen;
		for (unsigned b = plen; b < bits; b++)
			r.addr.bytes[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	}
	r.n_filters = rnd() % 4;
	r.filters = new_filters(r.n_filters);
	for (uint32_t i = 0; i < r.n_filters; i++) {
		struct fzgw_filter *f = (struct fzgw_filter *)&r.filters[i];
		struct fzgw_port_range *rg;

		f->proto = (uint8_t)(1 + rnd() % 3);
		if (f->proto == FZGW_FILTER_ICMP)
			continue;
		f->n_ranges = rnd() % 3;
		f->ranges = rg = new_ranges(f->n_ranges);
		for (uint32_t k = 0; k < f->n_ranges; k++) {
			uint16_t a = (uint16_t)(1 + rnd() % 100), b = (uint16_t)(1 + rnd() % 100);

			rg[k].first = a < b ? a : b;
			rg[k].last = a < b ? b : a;
		}
	}
	return r;
}

static bool proxy_has(const struct filter_grant *g, const struct fzgw_addr *a)
{
	for (const struct filter_proxy *p = g->proxies; p; p = p->next)
		for (int i = 0; i < p->n; i++)
			if (filter_addr_equal(&p->ips[i], a))
				return true;
	return false;
}

/* Random proxy IP sets for the names d0..d3 of each DNS grant of @client (some removed). */
static void rnd_proxies(struct modtest *t, const char *client, int n_res)
{
	for (int i = 0; i < n_res; i++) {
		char id[24], name[16], text[INET6_ADDRSTRLEN], ips[256];
		int names = (int)(rnd() % 4);

		snprintf(id, sizeof(id), "res-%d-%02d", res_gen, i);
		for (int d = 0; d < names; d++) {
			int n = (int)(rnd() % 4);
			size_t used = 0;

			ips[0] = '\0';
			for (int k = 0; k < n; k++) {
				struct fzgw_addr a;

				do
					a = rnd_addr(rnd() % 4 ? 4 : 6);
				while (!filter_in_proxy(&a));
				inet_ntop(a.family == 4 ? AF_INET : AF_INET6, a.bytes, text,
					  sizeof(text));
				used += (size_t)snprintf(ips + used, sizeof(ips) - used, "%s ",
							 text);
			}
			snprintf(name, sizeof(name), "d%d", d);
			proxy_ips(t, client, id, name, ips);
		}
	}
}

/* The specification, literally: sort candidates (admitting and live first, longest prefix,
 * id) and accept when the first one admits. */
static bool oracle(const struct filter_client *c, const struct filter_query *q)
{
	int best = -1, best_ok = 0, best_len = -1;

	for (uint32_t i = 0; i < c->n_grants; i++) {
		const struct filter_grant *g = c->grants[i];
		const struct fzgw_resource *r = &g->res->def;
		int len, ok;

		if (r->type == FZGW_RES_CIDR && filter_addr_in(q->addr, &r->addr, r->prefix_len))
			len = r->prefix_len;
		else if (r->type == FZGW_RES_INTERNET && !filter_in_proxy(q->addr) &&
			 !filter_internet_excluded(q->addr))
			len = 0;
		else if (r->type == FZGW_RES_DNS && proxy_has(g, q->addr))
			len = q->addr->family == 4 ? 32 : 128;
		else
			continue;
		ok = filter_admits(r, q->proto, q->has_port, q->port) == FILTER_OK &&
		     filter_grant_live(g, q->now);
		if (best < 0 || ok > best_ok || (ok == best_ok && len > best_len) ||
		    (ok == best_ok && len == best_len &&
		     strcmp(r->id, c->grants[best]->res->def.id) < 0)) {
			best = (int)i;
			best_ok = ok;
			best_len = len;
		}
	}
	return best >= 0 && best_ok;
}

static void test_cache_agrees(void **state)
{
	struct modtest *t = start("{ }");
	static const uint8_t protos[] = { MT_TCP, MT_UDP, MT_ICMP, MT_GRE };
	int64_t now = modtest_wall_s;
	long lookups = 0, accepted = 0, overflowed = 0, by_proxy = 0;

	(void)state;
	for (int table = 0; table < 200; table++) {
		int n = 1 + (int)(rnd() % 24);
		char client[16];
		struct filter_client *c;

		snprintf(client, sizeof(client), "c%d", table % 5);
		revoke_grant(t, client, "");
		res_gen = table;
		for (int i = 0; i < n; i++) {
			struct fzgw_resource r = rnd_res(i);
			int64_t exp = rnd() % 5 == 0 ? now - 5 + (int64_t)(rnd() % 10) : 0;

			grant(t, client, &r, exp);
		}
		rnd_proxies(t, client, n);
		assert_non_null(c = filter_client_find(fst(t), client));
		for (int k = 0; k < 100; k++) {
			struct fzgw_addr a = rnd_addr(rnd() % 4 ? 4 : 6);
			uint8_t proto = protos[rnd() % 4];
			struct filter_query q = {
				.addr = &a,
				.proto = (uint8_t)(proto == MT_ICMP && a.family == 6 ? MT_ICMP6 : proto),
				.has_port = proto == MT_TCP || proto == MT_UDP,
				.port = (uint16_t)(1 + rnd() % 110),
				.now = now,
			};
			const struct filter_class *cls = filter_cache_classify(fst(t), c, &a);
			enum filter_reason cached = filter_decide_class(c, cls, &q);
			enum filter_reason scanned = filter_decide_scan(c, &q);
			struct filter_class fresh;
			uint64_t misses;

			/* a second look is a hit */
			misses = fst(t)->cache_misses;
			assert_ptr_equal(filter_cache_classify(fst(t), c, &a), cls);
			assert_int_equal(fst(t)->cache_misses, misses);
			filter_classify(c, &a, &fresh);
			assert_int_equal(filter_decide_class(c, &fresh, &q), scanned);
			if (cached != scanned)
				fail_msg("table %d lookup %d: cache says %d, scan says %d", table, k, cached,
					 scanned);
			assert_int_equal(cached == FILTER_OK, oracle(c, &q));
			lookups++;
			accepted += cached == FILTER_OK;
			by_proxy += cached == FILTER_OK && filter_in_proxy(&a);
			overflowed += cls->overflow;
		}
		/* change the policy under the cache now and then */
		if (table % 3 == 0) {
			struct fzgw_resource r = rnd_res((int)(rnd() % 24));

			grant(t, client, &r, 0);
		}
	}
	print_message("%ld lookups, %ld accepted (%ld of them proxy IPs), %ld overflowed the cache "
		      "entry\n", lookups, accepted, by_proxy, overflowed);
	assert_true(lookups >= 10000);
	assert_true(by_proxy > 100);
	assert_true(accepted > lookups / 20 && accepted < lookups - lookups / 20);
	modtest_free(t);
}

/* ----------------------------------------------------------- the prefix table */

struct ref_entry {
	struct fzgw_addr a;
	unsigned plen;
	int g;
	int refs;
};

/* Slots in use, per-length counts and their order agree; every prefix can be found. */
static void check_table(const struct filter_index *ix)
{
	uint32_t used = 0, by_len = 0;
	const struct filter_tnode *path[FILTER_PATH_MAX];

	for (uint32_t i = 0; ix->slot && i <= ix->mask; i++) {
		const struct filter_tnode *n = &ix->slot[i];
		struct fzgw_addr a;
		unsigned np, found = 0;

		if (!n->family)
			continue;
		used++;
		assert_true(n->n > 0);
		/* the prefix itself, as an address, finds this slot among its containers */
		memset(&a, 0, sizeof(a));
		a.family = n->family;
		for (int k = 0; k < 16; k++)
			a.bytes[k] = (uint8_t)(n->key[k / 8] >> (56 - 8 * (k % 8)));
		np = filter_index_path(ix, &a, path);
		for (unsigned p = 0; p < np; p++)
			found += path[p] == n;
		assert_int_equal(found, 1);
	}
	assert_int_equal(used, ix->nodes);
	for (int f = 0; f < 2; f++)
		for (unsigned l = 0; l < ix->n_lens[f]; l++) {
			by_len += ix->lens[f][l].count;
			assert_true(l == 0 || ix->lens[f][l].plen > ix->lens[f][l - 1].plen);
		}
	assert_int_equal(by_len, ix->nodes);
}

/* Random adds and removals against a plain list: paths, reference counts, node counts. */
static void test_index_random(void **state)
{
	enum { N_REF = 600 };
	static struct ref_entry ref[N_REF];
	struct filter_grant grants[12];
	struct filter_index ix;
	const struct filter_tnode *path[FILTER_PATH_MAX];
	int n_ref = 0;
	long checked = 0;

	(void)state;
	memset(&ix, 0, sizeof(ix));
	memset(grants, 0, sizeof(grants));
	for (int round = 0; round < 6000; round++) {
		int op = (int)(rnd() % 3);

		if (op < 2 && n_ref < N_REF) {
			struct ref_entry e;
			int family = rnd() % 3 ? 4 : 6, k;
			unsigned bits = family == 4 ? 32 : 128;

			e.a = rnd_addr(family);
			e.plen = family == 4 ? rnd() % 33
					     : (rnd() % 2 ? rnd() % 129 : 100 + rnd() % 29);
			for (unsigned b = e.plen; b < bits; b++)
				e.a.bytes[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
			e.g = (int)(rnd() % 12);
			assert_int_equal(filter_index_add(&ix, &e.a, e.plen, &grants[e.g]), 0);
			for (k = 0; k < n_ref; k++)
				if (ref[k].g == e.g && ref[k].plen == e.plen &&
				    filter_addr_equal(&ref[k].a, &e.a))
					break;
			if (k < n_ref) {
				ref[k].refs++;
			} else {
				e.refs = 1;
				ref[n_ref++] = e;
			}
		} else if (n_ref) {
			int k = (int)(rnd() % (uint32_t)n_ref);

			filter_index_del(&ix, &ref[k].a, ref[k].plen, &grants[ref[k].g]);
			if (--ref[k].refs == 0)
				ref[k] = ref[--n_ref];
		}
		if (round % 50)
			continue;
		check_table(&ix);
		for (int q = 0; q < 40; q++) {
			struct fzgw_addr a = rnd_addr(rnd() % 3 ? 4 : 6);
			unsigned n = filter_index_path(&ix, &a, path), want = 0, got = 0;
			unsigned entries = 0;

			for (unsigned i = 1; i < n; i++)
				assert_true(path[i]->plen > path[i - 1]->plen);
			for (int k = 0; k < n_ref; k++) {
				if (!filter_addr_in(&a, &ref[k].a, ref[k].plen))
					continue;
				want++;
				for (unsigned i = 0; i < n; i++) {
					const struct filter_tnode *pn = path[i];

					if (pn->plen != ref[k].plen)
						continue;
					for (uint32_t e = 0; e < pn->n; e++) {
						const struct filter_tent *te = filter_tent_at(pn, e);

						if (te->g != &grants[ref[k].g])
							continue;
						assert_int_equal(te->refs, ref[k].refs);
						got++;
					}
				}
			}
			/* nothing more on the path: every entry there is one of the wanted */
			for (unsigned i = 0; i < n; i++) {
				assert_true(path[i]->n > 0);
				entries += path[i]->n;
			}
			assert_int_equal(entries, want);
			assert_int_equal(got, want);
			checked++;
		}
	}
	while (n_ref) {
		struct ref_entry *e = &ref[n_ref - 1];

		filter_index_del(&ix, &e->a, e->plen, &grants[e->g]);
		if (--e->refs == 0)
			n_ref--;
	}
	assert_int_equal(ix.nodes, 0);
	assert_int_equal(ix.n_lens[0] + ix.n_lens[1], 0);
	assert_int_equal(ix.mask + 1, 8); /* shrunk back */
	print_message("%ld prefix table lookups checked\n", checked);
	filter_index_free(&ix);
}

/* ------------------------------------------------------------- address sets */

static void test_ranges(void **state)
{
	static const struct {
		const char *a;
		bool tunnel, proxy, excluded;
	} ranges[] = {
		{ "100.64.0.0", true, false, true },
		{ "100.95.255.255", true, false, true },
		{ "100.96.0.0", false, true, true },
		{ "100.127.255.255", false, true, true },
		{ "100.63.255.255", false, false, false },
		{ "100.128.0.0", false, false, false },
		{ "fd00:2021:1111::", true, false, true },
		{ "fd00:2021:1111::1f:ffff", true, false, true },
		{ "fd00:2021:1111::20:0", false, false, true },
		{ "fd00:2021:1111:8000::", false, true, true },
		{ "fd00:2021:1111:8000::1f:ffff", false, true, true },
		{ "fd00:2021:1111:8000::20:0", false, false, true },
		{ "fd00:2021:1111:8001::", false, false, true },
		{ "fd00:2021:1112::", false, false, true },
		{ "2001:db8::", false, false, false },
		{ "::ffff:1.2.3.4", false, false, true },
		{ "::ffff:8.8.8.8", false, false, true },
		{ "::", false, false, false },
		{ "::1", false, false, true },
		{ "::2", false, false, false },
		{ "0.0.0.0", false, false, false },
		{ "0.255.255.255", false, false, false },
		{ "10.0.0.0", false, false, true },
		{ "::ffff:10.2.3.4", false, false, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		struct fzgw_addr a = modtest_addr(ranges[i].a);

		if (filter_in_tunnel(&a) != ranges[i].tunnel || filter_in_proxy(&a) != ranges[i].proxy ||
		    filter_internet_excluded(&a) != ranges[i].excluded)
			fail_msg("%s", ranges[i].a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_seed), /* first: nothing has seeded yet */
		cmocka_unit_test(test_descriptor),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_icmp_error_quote),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_icmp_rate_limit),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_expiry_ranking),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_proxy_ips),
		cmocka_unit_test(test_proxy_ips_lifetime),
		cmocka_unit_test(test_proxy_ips_malformed),
		cmocka_unit_test(test_resource_update_filters_only),
		cmocka_unit_test(test_many_ranges),
		cmocka_unit_test(test_control_and_no_peer),
		cmocka_unit_test(test_deny_log),
		cmocka_unit_test(test_many_clients),
		cmocka_unit_test(test_cache_agrees),
		cmocka_unit_test(test_index_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
