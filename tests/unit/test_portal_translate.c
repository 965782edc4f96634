/* SPDX-License-Identifier: Apache-2.0 */
/* Portal messages into bus events: init resync, grants, revocations, resources, relays, ICE. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "translate.h"

#include <relaysvc/relay_service.h>

#define C1 "11111111-1111-4111-8111-111111111111"
#define C2 "22222222-2222-4222-8222-222222222222"
#define R1 "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define R2 "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define R3 "cccccccc-cccc-4ccc-8ccc-cccccccccccc"

/* One event as seen on the bus, deep-copied. */
struct seen {
	uint32_t type;
	union {
		struct fzgw_ev_iface iface;
		struct fzgw_ev_authorization auth;
		struct fzgw_ev_revoke revoke;
		struct fzgw_ev_resource res;
	} u;
	size_t n, n_gone;
	bool flag; /* replace, invalidate */
	char items[8][128];
	char gone[8][40];
	char password[8][256];
	/* the resource's borrowed lists, kept (the event's copy is freed after publishing) */
	struct fzgw_filter filters[4];
	struct fzgw_port_range ranges[8];
	char pattern[64];
};

static void keep_res(struct seen *s, struct fzgw_resource *r)
{
	size_t k = 0;

	assert_true(r->n_filters <= 4);
	for (uint32_t i = 0; i < r->n_filters; i++) {
		s->filters[i] = r->filters[i];
		assert_true(k + r->filters[i].n_ranges <= 8);
		if (r->filters[i].n_ranges)
			memcpy(&s->ranges[k], r->filters[i].ranges,
			       r->filters[i].n_ranges * sizeof(s->ranges[0]));
		s->filters[i].ranges = r->filters[i].n_ranges ? &s->ranges[k] : NULL;
		k += r->filters[i].n_ranges;
	}
	r->filters = r->n_filters ? s->filters : NULL;
	if (r->pattern) {
		snprintf(s->pattern, sizeof(s->pattern), "%s", r->pattern);
		r->pattern = s->pattern;
	}
}

static struct seen seen[64];
static int n_seen;
static struct pz_xlate *live; /* to answer revocations as the data plane does */

static void fake_log(struct fzgw_ctx *ctx, int level, const char *fmt, ...)
{
	(void)ctx;
	(void)level;
	(void)fmt;
}

static int fake_publish(struct fzgw_ctx *ctx, uint32_t type, const void *data, size_t size)
{
	struct seen *s = &seen[n_seen++];

	(void)ctx;
	assert_true(n_seen < 64);
	memset(s, 0, sizeof(*s));
	s->type = type;
	switch (type) {
	case FZGW_EV_RELAYS_CHANGED: {
		const struct fzgw_ev_relays *r = data;

		assert_int_equal(size, sizeof(*r));
		s->n = r->n;
		s->n_gone = r->n_gone;
		s->flag = r->replace;
		for (size_t i = 0; i < r->n && i < 8; i++) {
			snprintf(s->items[i], sizeof(s->items[i]), "%s@%s", r->relays[i].id,
				 r->relays[i].addr);
			snprintf(s->password[i], sizeof(s->password[i]), "%s",
				 r->relays[i].password);
		}
		for (size_t i = 0; i < r->n_gone && i < 8; i++)
			snprintf(s->gone[i], sizeof(s->gone[i]), "%s", r->gone_ids[i]);
		break;
	}
	case FZGW_EV_ICE_CANDIDATES: {
		const struct fzgw_ev_ice *e = data;

		s->n = e->n;
		s->flag = e->invalidate;
		snprintf(s->gone[0], sizeof(s->gone[0]), "%s", e->client_id);
		for (size_t i = 0; i < e->n && i < 8; i++)
			snprintf(s->items[i], sizeof(s->items[i]), "%s", e->candidates[i]);
		break;
	}
	default:
		assert_true(size <= sizeof(s->u));
		memcpy(&s->u, data, size);
		if (type == FZGW_EV_PEER_AUTHORIZED)
			keep_res(s, &s->u.auth.resource);
		else if (type == FZGW_EV_RESOURCE_UPDATED)
			keep_res(s, &s->u.res.resource);
		break;
	}
	/* the data plane removes the tunnel at once and says so, re-entering the module */
	if (type == FZGW_EV_ACCESS_REVOKED && live &&
	    !((const struct fzgw_ev_revoke *)data)->resource_id[0])
		pz_xlate_peer_removed(live, ((const struct fzgw_ev_revoke *)data)->client_id);
	return 0;
}

/* A relay module's "relay.connections" service, when a test registers one. */
static int relay_rc, relay_calls;
static char relay_seen[1200];

static int fake_accept(void *self, const struct fzgw_ev_authorization *a)
{
	(void)self;
	relay_calls++;
	snprintf(relay_seen, sizeof(relay_seen), "%s %s:%s %s:%s %d", a->client_id,
		 a->gateway_ice_ufrag, a->gateway_ice_pwd, a->client_ice_ufrag, a->client_ice_pwd,
		 a->use_iceless);
	return relay_rc;
}

static const struct relay_service relay_svc = {
	.version = RELAY_SERVICE_VERSION,
	.struct_size = sizeof(struct relay_service),
	.accept = fake_accept,
};
static bool relay_loaded;

static const void *fake_lookup(struct fzgw_ctx *ctx, const char *name)
{
	(void)ctx;
	return relay_loaded && !strcmp(name, RELAY_SERVICE_NAME) ? &relay_svc : NULL;
}

static const struct fzgw_api api = {
	.abi_major = FZGW_ABI_MAJOR,
	.log = fake_log,
	.publish = fake_publish,
	.service_lookup = fake_lookup,
};

static struct pz_xlate x;

static int setup(void **state)
{
	(void)state;
	n_seen = 0;
	relay_loaded = false;
	relay_rc = relay_calls = 0;
	assert_int_equal(pz_xlate_init(&x, NULL, &api), 0);
	live = &x;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pz_xlate_fini(&x, false);
	live = NULL;
	return 0;
}

static struct fzgw_addr addr(int family, uint8_t last)
{
	struct fzgw_addr a;

	memset(&a, 0, sizeof(a));
	a.family = (uint8_t)family;
	if (family == 4) {
		a.bytes[0] = 100;
		a.bytes[1] = 64;
		a.bytes[3] = last;
	} else {
		a.bytes[0] = 0xfd;
		a.bytes[15] = last;
	}
	return a;
}

/* Resources of the messages made below (a parsed message owns its copy). */
static struct fzgw_resource res_pool[16];
static unsigned res_next;

static struct pz_create create(const char *client, const char *res, uint8_t key, int64_t exp)
{
	struct pz_create c;

	memset(&c, 0, sizeof(c));
	c.resource = &res_pool[res_next++ % 16];
	memset(c.resource, 0, sizeof(*c.resource));
	c.ref = (char *)"ref";
	snprintf(c.client_id, sizeof(c.client_id), "%s", client);
	memset(c.public_key, key, 32);
	memset(c.preshared_key, 0x55, 32);
	c.ipv4 = addr(4, key);
	c.ipv6 = addr(6, key);
	snprintf(c.resource->id, sizeof(c.resource->id), "%s", res);
	c.resource->type = FZGW_RES_CIDR;
	c.resource->addr = addr(4, 0);
	c.resource->prefix_len = 24;
	c.expires_at = exp;
	return c;
}

static int count(uint32_t type)
{
	int n = 0;

	for (int i = 0; i < n_seen; i++)
		n += seen[i].type == type;
	return n;
}

static bool revoked(const char *client, const char *res)
{
	for (int i = 0; i < n_seen; i++)
		if (seen[i].type == FZGW_EV_ACCESS_REVOKED &&
		    !strcmp(seen[i].u.revoke.client_id, client) &&
		    !strcmp(seen[i].u.revoke.resource_id, res))
			return true;
	return false;
}

static void test_init_iface_relays(void **state)
{
	struct pz_relay relays[2];
	struct pz_init m;

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(relays, 0, sizeof(relays));
	m.ipv4 = addr(4, 1);
	m.ipv6 = addr(6, 1);
	snprintf(relays[0].id, sizeof(relays[0].id), "%s", R1);
	relays[0].turn = true;
	snprintf(relays[0].addr, sizeof(relays[0].addr), "192.0.2.1:3478");
	snprintf(relays[0].password, sizeof(relays[0].password), "pw");
	snprintf(relays[1].id, sizeof(relays[1].id), "%s", R2); /* STUN: not passed on */
	m.relays = relays;
	m.n_relays = 2;
	pz_xlate_init_msg(&x, &m);
	assert_int_equal(n_seen, 2);
	assert_int_equal(seen[0].type, FZGW_EV_IFACE_CONFIG);
	assert_int_equal(seen[0].u.iface.ipv4.bytes[3], 1);
	assert_int_equal(seen[1].type, FZGW_EV_RELAYS_CHANGED);
	assert_true(seen[1].flag);
	assert_int_equal(seen[1].n, 1);
	assert_string_equal(seen[1].items[0], R1 "@192.0.2.1:3478");
	assert_string_equal(seen[1].password[0], "pw");
	/* the same addresses again: no interface event, the relays again (the whole set) */
	n_seen = 0;
	m.n_relays = 0;
	pz_xlate_init_msg(&x, &m);
	assert_int_equal(n_seen, 1);
	assert_int_equal(seen[0].type, FZGW_EV_RELAYS_CHANGED);
	assert_int_equal(seen[0].n, 0);
	/* new addresses: the interface again */
	n_seen = 0;
	m.ipv6 = addr(6, 9);
	pz_xlate_init_msg(&x, &m);
	assert_int_equal(count(FZGW_EV_IFACE_CONFIG), 1);
}

static void test_create_reject(void **state)
{
	struct pz_create a = create(C1, R1, 7, 1900000000);
	const struct fzgw_ev_authorization *ev;

	(void)state;
	assert_int_equal(pz_xlate_create(&x, &a), 0);
	assert_int_equal(n_seen, 1);
	ev = &seen[0].u.auth;
	assert_int_equal(seen[0].type, FZGW_EV_PEER_AUTHORIZED);
	assert_string_equal(ev->client_id, C1);
	assert_int_equal(ev->public_key[31], 7);
	assert_true(ev->has_psk);
	assert_int_equal(ev->preshared_key[0], 0x55);
	assert_int_equal(ev->ipv4.bytes[3], 7);
	assert_string_equal(ev->resource.id, R1);
	assert_int_equal(ev->expires_at, 1900000000);
	a = create(C1, R2, 7, 0);
	assert_int_equal(pz_xlate_create(&x, &a), 0);
	assert_int_equal(x.grants.n_clients, 1);
	/* one of two: only that grant */
	n_seen = 0;
	pz_xlate_reject(&x, C1, R1);
	assert_int_equal(n_seen, 1);
	assert_true(revoked(C1, R1));
	/* the last: the grant, then the client (its tunnel ends) */
	n_seen = 0;
	pz_xlate_reject(&x, C1, R2);
	assert_int_equal(n_seen, 2);
	assert_true(revoked(C1, R2));
	assert_true(revoked(C1, ""));
	assert_int_equal(x.grants.n_clients, 0);
	/* unknown: the grant's revocation still goes out, nothing else */
	n_seen = 0;
	pz_xlate_reject(&x, C2, R3);
	assert_int_equal(n_seen, 1);
}

static void test_init_resync(void **state)
{
	struct pz_create a;
	struct pz_auth auths[3];
	struct pz_init m;

	(void)state;
	a = create(C1, R1, 1, 100);
	pz_xlate_create(&x, &a);
	a = create(C1, R2, 1, 100);
	pz_xlate_create(&x, &a);
	a = create(C2, R3, 2, 100);
	pz_xlate_create(&x, &a);
	n_seen = 0;
	memset(&m, 0, sizeof(m));
	memset(auths, 0, sizeof(auths));
	m.ipv4 = addr(4, 1);
	m.ipv6 = addr(6, 1);
	/* (C1,R1) kept with a new expiry; (C1,R2) and (C2,R3) gone; one pair we never had */
	snprintf(auths[0].client_id, sizeof(auths[0].client_id), "%s", C1);
	snprintf(auths[0].resource_id, sizeof(auths[0].resource_id), "%s", R1);
	auths[0].expires_at = 200;
	snprintf(auths[1].client_id, sizeof(auths[1].client_id), "%s", C2);
	snprintf(auths[1].resource_id, sizeof(auths[1].resource_id), "%s", R1);
	auths[1].expires_at = 200;
	auths[2] = auths[0];
	m.auths = auths;
	m.n_auths = 3;
	pz_xlate_init_msg(&x, &m);
	assert_true(revoked(C1, R2));
	assert_true(revoked(C2, R3));
	assert_true(revoked(C2, ""));
	assert_false(revoked(C1, R1));
	assert_false(revoked(C1, ""));
	assert_int_equal(count(FZGW_EV_ACCESS_REVOKED), 3);
	assert_int_equal(count(FZGW_EV_PEER_AUTHORIZED), 1);
	for (int i = 0; i < n_seen; i++)
		if (seen[i].type == FZGW_EV_PEER_AUTHORIZED) {
			assert_string_equal(seen[i].u.auth.resource.id, R1);
			assert_int_equal(seen[i].u.auth.expires_at, 200);
			assert_int_equal(seen[i].u.auth.preshared_key[5], 0x55);
		}
	assert_int_equal(x.grants.n_clients, 1);
	/* the same init again changes nothing */
	n_seen = 0;
	pz_xlate_init_msg(&x, &m);
	assert_int_equal(count(FZGW_EV_ACCESS_REVOKED) + count(FZGW_EV_PEER_AUTHORIZED), 0);
	/* an init without authorizations empties the table */
	n_seen = 0;
	m.n_auths = 0;
	pz_xlate_init_msg(&x, &m);
	assert_true(revoked(C1, R1));
	assert_true(revoked(C1, ""));
	assert_int_equal(x.grants.n_clients, 0);
}

static void test_resource_update(void **state)
{
	struct pz_create a = create(C1, R1, 1, 100);
	struct fzgw_port_range ranges[2] = { { 22, 22 }, { 443, 443 } };
	struct fzgw_filter filters[2] = { { FZGW_FILTER_TCP, 2, ranges }, { FZGW_FILTER_ICMP, 0, NULL } };
	struct fzgw_resource r;
	struct pz_auth auth;
	struct pz_init m;

	(void)state;
	pz_xlate_create(&x, &a);
	r = *a.resource;
	r.n_filters = 2;
	r.filters = filters;
	r.addr = addr(4, 128); /* the original takes the filters only: the address stays */
	n_seen = 0;
	assert_int_equal(pz_xlate_resource(&x, &r), 0);
	assert_int_equal(n_seen, 1);
	assert_int_equal(seen[0].type, FZGW_EV_RESOURCE_UPDATED);
	assert_int_equal(seen[0].u.res.resource.n_filters, 2);
	assert_int_equal(seen[0].u.res.resource.filters[0].n_ranges, 2);
	assert_int_equal(seen[0].u.res.resource.filters[0].ranges[1].first, 443);
	assert_int_equal(seen[0].u.res.resource.addr.bytes[3], 0);
	/* a later re-publication carries the new filters and the old address */
	memset(&m, 0, sizeof(m));
	memset(&auth, 0, sizeof(auth));
	snprintf(auth.client_id, sizeof(auth.client_id), "%s", C1);
	snprintf(auth.resource_id, sizeof(auth.resource_id), "%s", R1);
	auth.expires_at = 300;
	m.auths = &auth;
	m.n_auths = 1;
	n_seen = 0;
	pz_xlate_init_msg(&x, &m);
	assert_int_equal(count(FZGW_EV_PEER_AUTHORIZED), 1);
	for (int i = 0; i < n_seen; i++)
		if (seen[i].type == FZGW_EV_PEER_AUTHORIZED) {
			assert_int_equal(seen[i].u.auth.resource.filters[1].proto,
					 FZGW_FILTER_ICMP);
			assert_int_equal(seen[i].u.auth.resource.addr.bytes[3], 0);
		}
	/* a type change is refused (the portal revokes and authorizes again for that) */
	r.type = FZGW_RES_DNS;
	r.pattern = "*.example.com";
	n_seen = 0;
	assert_int_equal(pz_xlate_resource(&x, &r), -EINVAL);
	assert_int_equal(n_seen, 0);
	/* a resource no grant names: passed on as received */
	snprintf(r.id, sizeof(r.id), "%s", R3);
	assert_int_equal(pz_xlate_resource(&x, &r), 0);
	assert_int_equal(n_seen, 1);
	assert_string_equal(seen[0].u.res.resource.pattern, "*.example.com");
}

static void test_ice_credentials(void **state)
{
	struct pz_create a = create(C1, R1, 1, 100);
	struct pz_auth auth;
	struct pz_init m;

	(void)state;
	snprintf(a.gateway_ice.username, sizeof(a.gateway_ice.username), "ejqt");
	snprintf(a.gateway_ice.password, sizeof(a.gateway_ice.password), "zfjrrjdkbci42t2axyd45a");
	snprintf(a.client_ice.username, sizeof(a.client_ice.username), "hgwh");
	memset(a.client_ice.password, 'p', 256); /* the longest that fits */
	a.use_iceless = true;
	assert_int_equal(pz_xlate_create(&x, &a), 0);
	assert_int_equal(seen[0].type, FZGW_EV_PEER_AUTHORIZED);
	assert_string_equal(seen[0].u.auth.gateway_ice_ufrag, "ejqt");
	assert_string_equal(seen[0].u.auth.gateway_ice_pwd, "zfjrrjdkbci42t2axyd45a");
	assert_string_equal(seen[0].u.auth.client_ice_ufrag, "hgwh");
	assert_int_equal(strlen(seen[0].u.auth.client_ice_pwd), 256);
	assert_true(seen[0].u.auth.use_iceless);
	/* a re-publication (a new expiry in init) carries them too */
	memset(&m, 0, sizeof(m));
	memset(&auth, 0, sizeof(auth));
	snprintf(auth.client_id, sizeof(auth.client_id), "%s", C1);
	snprintf(auth.resource_id, sizeof(auth.resource_id), "%s", R1);
	auth.expires_at = 300;
	m.auths = &auth;
	m.n_auths = 1;
	n_seen = 0;
	pz_xlate_init_msg(&x, &m);
	for (int i = 0; i < n_seen; i++)
		if (seen[i].type == FZGW_EV_PEER_AUTHORIZED) {
			assert_string_equal(seen[i].u.auth.client_ice_ufrag, "hgwh");
			assert_true(seen[i].u.auth.use_iceless);
		}
	assert_int_equal(count(FZGW_EV_PEER_AUTHORIZED), 1);
}

static void test_ice_presence(void **state)
{
	char c0[] = "candidate:1 1 udp 1 192.0.2.1 5000 typ host", *cands[] = { c0 };
	char gone[2][PZ_UUID_SIZE] = { R1, R2 };
	struct pz_presence pr;
	struct pz_ice ice;

	(void)state;
	memset(&ice, 0, sizeof(ice));
	snprintf(ice.client_id, sizeof(ice.client_id), "%s", C1);
	ice.candidates = cands;
	ice.n = 1;
	pz_xlate_ice(&x, &ice, true);
	assert_int_equal(n_seen, 1);
	assert_int_equal(seen[0].type, FZGW_EV_ICE_CANDIDATES);
	assert_true(seen[0].flag);
	assert_string_equal(seen[0].gone[0], C1);
	assert_string_equal(seen[0].items[0], c0);
	ice.n = 0;
	pz_xlate_ice(&x, &ice, false);
	assert_int_equal(n_seen, 1); /* nothing readable: nothing published */
	memset(&pr, 0, sizeof(pr));
	pr.gone = gone;
	pr.n_gone = 2;
	pz_xlate_presence(&x, &pr);
	assert_int_equal(seen[1].type, FZGW_EV_RELAYS_CHANGED);
	assert_false(seen[1].flag);
	assert_int_equal(seen[1].n_gone, 2);
	assert_string_equal(seen[1].gone[1], R2);
}

static void test_others_and_caps(void **state)
{
	struct fzgw_ev_revoke rv;
	struct pz_create a;

	(void)state;
	a = create(C1, R1, 1, 0);
	pz_xlate_create(&x, &a);
	a = create(C1, R2, 1, 0);
	pz_xlate_create(&x, &a);
	/* the filter expired one grant, then the other: the client goes from the table */
	memset(&rv, 0, sizeof(rv));
	snprintf(rv.client_id, sizeof(rv.client_id), "%s", C1);
	snprintf(rv.resource_id, sizeof(rv.resource_id), "%s", R1);
	pz_xlate_revoked(&x, &rv);
	assert_int_equal(x.grants.n_clients, 1);
	snprintf(rv.resource_id, sizeof(rv.resource_id), "%s", R2);
	pz_xlate_revoked(&x, &rv);
	assert_int_equal(x.grants.n_clients, 0);
	/* the core removed a tunnel */
	pz_xlate_create(&x, &a);
	pz_xlate_peer_removed(&x, C1);
	assert_int_equal(x.grants.n_clients, 0);
	/* no cap on grants per client (it was 256) */
	for (int i = 0; i < 300; i++) {
		a = create(C2, R1, 2, 0);
		snprintf(a.resource->id, sizeof(a.resource->id), "res-%d", i);
		n_seen = 0;
		assert_int_equal(pz_xlate_create(&x, &a), 0);
		assert_int_equal(n_seen, 1);
	}
	assert_int_equal(pz_grants_client(&x.grants, C2)->n, 300);
	/* unloading revokes what is left */
	n_seen = 0;
	pz_xlate_fini(&x, true);
	assert_true(revoked(C2, ""));
	assert_int_equal(pz_xlate_init(&x, NULL, &api), 0);
}

/* No cap on clients (it was 16384); their preshared keys live in growing locked memory. */
static void test_many_clients(void **state)
{
	struct pz_create a;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		char id[PZ_UUID_SIZE];

		snprintf(id, sizeof(id), "%08x-0000-4000-8000-000000000000", i);
		a = create(id, R1, (uint8_t)i, 0);
		n_seen = 0;
		assert_int_equal(pz_xlate_create(&x, &a), 0);
		assert_int_equal(n_seen, 1);
		assert_int_equal(seen[0].u.auth.preshared_key[31], 0x55);
	}
	assert_int_equal(x.grants.n_clients, 20000);
	{
		char id[PZ_UUID_SIZE];

		snprintf(id, sizeof(id), "%08x-0000-4000-8000-000000000000", 19999);
		assert_int_equal(pz_grants_psk(&x.grants, pz_grants_client(&x.grants, id))[0],
				 0x55);
	}
}

/* With a relay module, it takes the connection before anything is installed; without a
 * usable relay nothing is (the session answers no_relays). Without one, nothing is asked. */
static void test_relay_accept(void **state)
{
	struct pz_create c = create("c1", "r1", 1, 0);

	(void)state;
	snprintf(c.gateway_ice.username, sizeof(c.gateway_ice.username), "gwuf");
	snprintf(c.gateway_ice.password, sizeof(c.gateway_ice.password), "gwpwd");
	snprintf(c.client_ice.username, sizeof(c.client_ice.username), "cluf");
	snprintf(c.client_ice.password, sizeof(c.client_ice.password), "clpwd");
	assert_int_equal(pz_xlate_create(&x, &c), 0);
	assert_int_equal(relay_calls, 0);
	assert_int_equal(count(FZGW_EV_PEER_AUTHORIZED), 1);

	relay_loaded = true;
	relay_rc = -ENETUNREACH;
	c = create("c2", "r1", 2, 0);
	assert_int_equal(pz_xlate_create(&x, &c), -ENETUNREACH);
	assert_int_equal(relay_calls, 1);
	assert_int_equal(count(FZGW_EV_PEER_AUTHORIZED), 1); /* nothing installed */
	assert_null(pz_grants_client(&x.grants, "c2"));

	relay_rc = 0;
	c = create("c2", "r1", 2, 0);
	snprintf(c.gateway_ice.username, sizeof(c.gateway_ice.username), "gwuf");
	snprintf(c.gateway_ice.password, sizeof(c.gateway_ice.password), "gwpwd");
	snprintf(c.client_ice.username, sizeof(c.client_ice.username), "cluf");
	snprintf(c.client_ice.password, sizeof(c.client_ice.password), "clpwd");
	c.use_iceless = true;
	assert_int_equal(pz_xlate_create(&x, &c), 0);
	assert_int_equal(relay_calls, 2);
	assert_string_equal(relay_seen, "c2 gwuf:gwpwd cluf:clpwd 1");
	assert_int_equal(count(FZGW_EV_PEER_AUTHORIZED), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_relay_accept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_iface_relays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_resync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resource_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ice_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ice_presence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_others_and_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_clients, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
