/* SPDX-License-Identifier: Apache-2.0 */
/* The ABI 2.0 services: settings_int, log_limited, peer_index_max, and peer_remove both as
 * modules see it (recorded by modtest) and as the data plane carries it out. */
#include <errno.h>
#include <event2/event.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sodium.h>
#include <sys/socket.h>

#include "dp.h"
#include "modtest.h"

static int nop_init(struct fzgw_ctx *ctx, const struct fzgw_api *api,
		    const struct fzgw_settings *settings, void **state)
{
	(void)ctx, (void)api, (void)settings;
	*state = NULL;
	return 0;
}

static const struct fzgw_module nop_desc = {
	FZGW_MODULE_HEADER,
	.name = "nop",
	.version = "test",
	.init = nop_init,
};

static const struct fzgw_api *api = &fzgw_core_api;

static void test_settings_int(void **st)
{
	struct modtest *t = modtest_new("nop", &nop_desc);
	const struct fzgw_settings *s = modtest_settings(t, "{ ports = [22, 23]; big = 5000000000L; "
							  "name = \"x\"; mixed = (1, \"2\"); }");
	const struct fzgw_settings *ports, *mixed;
	int64_t v = -1;

	(void)st;
	assert_non_null(s);
	assert_non_null(ports = api->settings_child(s, "ports"));
	assert_int_equal(api->settings_count(ports), 2);
	assert_int_equal(api->settings_int(api->settings_elem(ports, 0), &v), 0);
	assert_int_equal(v, 22);
	assert_int_equal(api->settings_int(api->settings_elem(ports, 1), &v), 0);
	assert_int_equal(v, 23);
	assert_int_equal(api->settings_int(api->settings_child(s, "big"), &v), 0);
	assert_int_equal(v, 5000000000LL);
	/* not an integer: -EINVAL and nothing written */
	v = 7;
	assert_int_equal(api->settings_int(api->settings_child(s, "name"), &v), -EINVAL);
	assert_int_equal(api->settings_int(ports, &v), -EINVAL);
	assert_non_null(mixed = api->settings_child(s, "mixed"));
	assert_int_equal(api->settings_int(api->settings_elem(mixed, 1), &v), -EINVAL);
	assert_int_equal(api->settings_int(NULL, &v), -EINVAL);
	assert_int_equal(v, 7);
	modtest_free(t);
}

static int count(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* One call site (one format string address) for every "bad packet" line. */
static void bad_packet(struct modtest *t, int i)
{
	api->log_limited(&t->ctx, FZGW_LOG_WARN, "bad packet from %s #%d", "c1", i);
}

static void burst(struct modtest *t)
{
	for (int i = 0; i < 20; i++)
		bad_packet(t, i);
	/* another call site has its own budget */
	api->log_limited(&t->ctx, FZGW_LOG_WARN, "other site %d", 1);
}

static void after_one_second(struct modtest *t)
{
	modtest_now_ms += 1000;
	for (int i = 0; i < 3; i++)
		bad_packet(t, 100 + i);
	burst(t); /* the same sites again: "bad packet" has no token left, "other site" has 4 */
}

static void test_log_limited(void **st)
{
	struct modtest *t = modtest_new("nop", &nop_desc);
	char *out;

	(void)st;
	out = modtest_capture_log(burst, t);
	assert_int_equal(count(out, "bad packet from c1"), 5);
	assert_non_null(strstr(out, "#4\n"));
	assert_null(strstr(out, "#5"));
	assert_int_equal(count(out, "other site 1"), 1);
	assert_null(strstr(out, "suppressed"));
	free(out);
	/* a second later one line passes, saying how many were suppressed (15) */
	out = modtest_capture_log(after_one_second, t);
	assert_int_equal(count(out, "bad packet from c1"), 1);
	assert_non_null(strstr(out, "bad packet from c1 #100 (15 similar lines suppressed)"));
	assert_int_equal(count(out, "other site 1"), 1);
	free(out);
	/* a site's budget refills to the burst, not beyond */
	modtest_now_ms += 60000;
	out = modtest_capture_log(burst, t);
	assert_int_equal(count(out, "bad packet from c1"), 5);
	assert_non_null(strstr(out, "bad packet from c1 #0 (22 similar lines suppressed)"));
	free(out);
	modtest_free(t);
}

static void test_peer_index_max(void **st)
{
	struct modtest *t = modtest_new("nop", &nop_desc);
	struct fzgw_peers peers;
	struct fzgw_gw_peer *p = NULL;
	char id[40];

	(void)st;
	/* known from init on (also under check_only): modules size per-peer tables by it */
	assert_int_equal(api->peer_index_max(&t->ctx), FZGW_PEERS_MAX);
	assert_int_equal(fzgw_peers_init(&peers, 1024), 0);
	for (int i = 0; i < FZGW_PEERS_MAX; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		assert_int_equal(fzgw_peers_add(&peers, id, NULL, NULL, &p), 0);
		assert_true(p->info.index < api->peer_index_max(&t->ctx));
	}
	assert_int_equal(fzgw_peers_add(&peers, "one-more", NULL, NULL, &p), -ENOSPC);
	fzgw_peers_fini(&peers);
	modtest_free(t);
}

static void test_peer_remove_recorded(void **st)
{
	struct modtest *t = modtest_new("nop", &nop_desc);

	(void)st;
	assert_int_equal(modtest_init(t, NULL, false), 0);
	assert_int_equal(api->peer_remove(&t->ctx, "c1", "client said goodbye"), 0);
	assert_int_equal(t->n_removals, 1);
	assert_string_equal(t->removals[0].client_id, "c1");
	assert_string_equal(t->removals[0].why, "client said goodbye");
	assert_int_equal(api->peer_remove(&t->ctx, "", "x"), -EINVAL);
	t->peer_remove_rc = -ENOENT;
	assert_int_equal(api->peer_remove(&t->ctx, "c2", NULL), -ENOENT);
	assert_string_equal(t->removals[1].why, "");
	/* a check-only run changes nothing */
	t->ctx.check_only = true;
	assert_int_equal(api->peer_remove(&t->ctx, "c3", "x"), 0);
	assert_int_equal(t->n_removals, 2);
	/* no data plane: there are no clients */
	t->ctx.check_only = false;
	t->core.peer_remove = NULL;
	assert_int_equal(api->peer_remove(&t->ctx, "c1", "x"), -ENOENT);
	modtest_clear(t);
	assert_int_equal(t->n_removals, 0);
	modtest_free(t);
}

/* ------------------------------------------------------------ the data plane's side */

struct dpt {
	struct event_base *base;
	struct fzgw_core core;
	struct fzgw_dataplane *dp;
	struct fzgw_ctx mod;      /* the module that asks */
	struct fzgw_ctx watcher;  /* another module watching the events */
	char seen[512];
};

static struct dpt *dpt_g;

static void watch(void *state, const struct fzgw_event *ev)
{
	struct dpt *x = state;
	char line[128];

	if (ev->type == FZGW_EV_ACCESS_REVOKED) {
		const struct fzgw_ev_revoke *r = ev->data;

		snprintf(line, sizeof(line), "revoked:%s:[%s]:%s ", r->client_id, r->resource_id,
			 ev->source);
	} else {
		const struct fzgw_ev_peer *p = ev->data;

		snprintf(line, sizeof(line), "removed:%s:%s ", p->client_id, ev->source);
	}
	strncat(x->seen, line, sizeof(x->seen) - strlen(x->seen) - 1);
	/* published before the peer is freed: it can still be looked up */
	strncat(x->seen, api->peer_by_client(&x->watcher, "c1") ? "(present) " : "(gone) ",
		sizeof(x->seen) - strlen(x->seen) - 1);
	/* asking again while it goes is harmless */
	api->peer_remove(&x->watcher, "c1", "again");
}

static struct dpt *dpt_new(void)
{
	struct fzgw_wg_ops ops = { .now_ns = dp_wg_now_ns, .send = dp_wg_send, .event = dp_wg_event };
	struct dpt *x = calloc(1, sizeof(*x));
	struct fzgw_dataplane *dp = calloc(1, sizeof(*dp));
	uint8_t key[32];

	assert_true(x && dp && sodium_init() >= 0);
	assert_non_null(x->base = event_base_new());
	fzgw_core_init(&x->core, x->base, false);
	dp->core = &x->core;
	dp->ctx = &x->core.self;
	dp->tun_fd = dp->udp.fd4 = dp->udp.fd6 = -1;
	dp->mtu = 1280;
	ops.user = dp;
	randombytes_buf(key, sizeof(key));
	assert_int_equal(fzgw_peers_init(&dp->peers, 64), 0);
	assert_int_equal(fzgw_pool_create(&dp->pool, 64, FZGW_POOL_DEFAULT_SIZE), 0);
	assert_int_equal(fzgw_wg_new(&dp->wg, key, &ops), 0);
	x->dp = dp;
	x->core.dp = dp;
	x->core.peer_remove = dp_peer_remove;
	x->core.peer_by_client = dp_peer_by_client;
	x->core.release = dp_release;
	assert_int_equal(fzgw_bus_subscribe(&x->core.bus, dp->ctx, FZGW_EV_PEER_AUTHORIZED,
					    dp_on_authorized, dp), 0);
	assert_int_equal(fzgw_bus_subscribe(&x->core.bus, dp->ctx, FZGW_EV_ACCESS_REVOKED,
					    dp_on_revoked, dp), 0);
	x->mod.core = x->watcher.core = &x->core;
	strcpy(x->mod.name, "asker");
	strcpy(x->watcher.name, "watcher");
	x->mod.live = x->watcher.live = true;
	assert_int_equal(fzgw_bus_subscribe(&x->core.bus, &x->watcher, FZGW_EV_ACCESS_REVOKED, watch, x), 0);
	assert_int_equal(fzgw_bus_subscribe(&x->core.bus, &x->watcher, FZGW_EV_PEER_REMOVED, watch, x), 0);
	return x;
}

static void dpt_free(struct dpt *x)
{
	fzgw_ctx_unregister_all(&x->watcher);
	fzgw_dataplane_stop(x->dp);
	fzgw_core_fini(&x->core);
	event_base_free(x->base);
	free(x);
}

static void authorize(struct dpt *x, const char *client, uint8_t key_byte, uint8_t ip_last)
{
	struct fzgw_ev_authorization a;

	memset(&a, 0, sizeof(a));
	snprintf(a.client_id, sizeof(a.client_id), "%s", client);
	memset(a.public_key, key_byte, sizeof(a.public_key));
	a.ipv4 = modtest_addr("100.64.0.2");
	a.ipv4.bytes[3] = ip_last;
	snprintf(a.resource.id, sizeof(a.resource.id), "r1");
	a.resource.type = FZGW_RES_INTERNET;
	assert_int_equal(fzgw_bus_publish(&x->core.bus, &x->mod, FZGW_EV_PEER_AUTHORIZED, &a, sizeof(a)), 1);
}

static void test_peer_remove_data_plane(void **st)
{
	struct dpt *x = dpt_new();

	(void)st;
	dpt_g = x;
	authorize(x, "c1", 1, 2);
	authorize(x, "c2", 2, 3);
	assert_int_equal(x->dp->peers.n, 2);
	/* deferred: nothing happens inside the callback that asks */
	assert_int_equal(api->peer_remove(&x->mod, "c1", "client said goodbye"), 0);
	assert_int_equal(api->peer_remove(&x->mod, "c1", "twice"), 0); /* queued once */
	assert_int_equal(api->peer_remove(&x->mod, "nobody", "x"), -ENOENT);
	assert_non_null(api->peer_by_client(&x->mod, "c1"));
	assert_string_equal(x->seen, "");
	event_base_loop(x->base, EVLOOP_NONBLOCK);
	/* every grant, then the tunnel, both while the peer is still there; then it is gone */
	assert_string_equal(x->seen, "revoked:c1:[]:core (present) removed:c1:core (present) ");
	assert_null(api->peer_by_client(&x->mod, "c1"));
	assert_non_null(api->peer_by_client(&x->mod, "c2"));
	assert_int_equal(x->dp->peers.n, 1);
	assert_int_equal(api->peer_remove(&x->mod, "c1", "x"), -ENOENT);
	/* its index is free again and the address reusable */
	authorize(x, "c3", 3, 2);
	assert_int_equal(api->peer_by_client(&x->mod, "c3")->index, 0);
	event_base_loop(x->base, EVLOOP_NONBLOCK);
	dpt_free(x);
}

/* ------------------------------------------------------------ Goodbye at shutdown */

static int udp_socket(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)addr, sizeof(*addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	return fd;
}

/* A WireGuard client on a loopback socket, built from the same engine. */
struct client {
	int fd;
	struct fzgw_wg *wg;
	struct fzgw_wg_peer *gw;
	uint8_t pub[32];
};

static void client_send(void *user, struct fzgw_wg_peer *peer, const struct fzgw_wg_endpoint *ep,
			const uint8_t *buf, size_t len)
{
	struct client *c = user;

	(void)peer;
	assert_true(sendto(c->fd, buf, len, 0, &ep->sa, ep->len) == (ssize_t)len);
}

/* Reads one datagram into the client's engine; returns the fzgw_wg_receive() result and
 * the decrypted packet in @pkt. */
static int client_recv(struct client *c, uint8_t *pkt, size_t *plen)
{
	uint8_t buf[2048];
	struct fzgw_wg_endpoint src;
	struct fzgw_wg_peer *from;
	size_t off = 0, n = 0;
	ssize_t got;
	int r;

	memset(&src, 0, sizeof(src));
	src.len = sizeof(src.in4);
	got = recvfrom(c->fd, buf, sizeof(buf), MSG_DONTWAIT, &src.sa, &src.len);
	if (got < 0)
		return -1000;
	r = fzgw_wg_receive(c->wg, &src, buf, (size_t)got, &from, &off, &n);
	if (r == FZGW_WG_RX_DATA) {
		memcpy(pkt, buf + off, n);
		*plen = n;
	}
	return r;
}

/* A gateway data plane and a client c1 with a WireGuard session to it; c2 is authorized
 * but never connects. */
static struct dpt *connected(struct client *c1)
{
	struct dpt *x = dpt_new();
	static struct fzgw_wg_ops ops = { .now_ns = dp_wg_now_ns, .send = client_send };
	struct sockaddr_in gw_addr, c_addr;
	struct fzgw_wg_endpoint ep;
	struct fzgw_ev_authorization a;
	uint8_t key[32], gw_pub[32], pkt[2048];
	size_t plen = 0;

	x->dp->udp.fd4 = udp_socket(&gw_addr);
	c1->fd = udp_socket(&c_addr);
	ops.user = c1;
	randombytes_buf(key, sizeof(key));
	assert_int_equal(fzgw_wg_new(&c1->wg, key, &ops), 0);
	assert_int_equal(fzgw_wg_public_key(c1->wg, c1->pub), 0);
	assert_int_equal(fzgw_wg_public_key(x->dp->wg, gw_pub), 0);
	assert_int_equal(fzgw_wg_peer_add(c1->wg, gw_pub, NULL, NULL, &c1->gw), 0);
	memset(&ep, 0, sizeof(ep));
	ep.in4 = gw_addr;
	ep.len = sizeof(gw_addr);
	assert_int_equal(fzgw_wg_peer_set_endpoint(c1->gw, &ep), 0);
	memset(&a, 0, sizeof(a));
	snprintf(a.client_id, sizeof(a.client_id), "c1");
	memcpy(a.public_key, c1->pub, 32);
	a.ipv4 = modtest_addr("100.64.0.2");
	a.resource.type = FZGW_RES_INTERNET;
	assert_int_equal(fzgw_bus_publish(&x->core.bus, &x->mod, FZGW_EV_PEER_AUTHORIZED, &a, sizeof(a)), 1);
	authorize(x, "c2", 7, 3);
	/* handshake: initiation -> gateway, response -> client, keepalive -> gateway */
	assert_int_equal(fzgw_wg_initiate(c1->wg, c1->gw), 0);
	dp_on_udp(x->dp->udp.fd4, 0, x->dp);
	assert_int_equal(client_recv(c1, pkt, &plen), FZGW_WG_RX_DONE);
	dp_on_udp(x->dp->udp.fd4, 0, x->dp);
	assert_true(fzgw_wg_peer_has_session(fzgw_peers_by_client(&x->dp->peers, "c1")->wg));
	return x;
}

static void disconnect(struct dpt *x, struct client *c1)
{
	assert_int_equal(fzgw_pool_in_use(x->dp->pool), 0);
	c1->wg = fzgw_wg_free(c1->wg);
	close(c1->fd);
	dpt_free(x); /* closes the gateway's socket */
}

/* Reads what the client got: 1 for one Goodbye, 0 for nothing (and fails on anything else). */
static int goodbyes(struct client *c1)
{
	uint8_t pkt[2048];
	size_t plen = 0;
	int r = client_recv(c1, pkt, &plen);

	if (r == -1000)
		return 0;
	assert_int_equal(r, FZGW_WG_RX_DATA);
	assert_int_equal(plen, 48);
	assert_int_equal(pkt[0] >> 4, 6);    /* IPv6 */
	assert_int_equal(pkt[5], 8);         /* payload: the 8-byte control header */
	assert_int_equal(pkt[6], 0xff);      /* the p2p control protocol */
	assert_int_equal(pkt[7], 0);         /* hop limit 0 */
	for (int i = 8; i < 40; i++)
		assert_int_equal(pkt[i], 0); /* from :: to :: */
	assert_int_equal(pkt[40], 2);        /* Goodbye */
	assert_int_equal(client_recv(c1, pkt, &plen), -1000); /* nothing else */
	return 1;
}

static void revoke_all(struct dpt *x, const char *client)
{
	struct fzgw_ev_revoke r;

	memset(&r, 0, sizeof(r));
	snprintf(r.client_id, sizeof(r.client_id), "%s", client);
	fzgw_bus_publish(&x->core.bus, &x->mod, FZGW_EV_ACCESS_REVOKED, &r, sizeof(r));
}

static void test_goodbye_at_shutdown(void **st)
{
	struct client c1 = { 0 };
	struct dpt *x = connected(&c1);

	(void)st;
	/* shutdown: one Goodbye, to the client with a session, whatever modules are loaded */
	assert_int_equal(fzgw_dataplane_goodbye(x->dp, 1000), 1);
	assert_int_equal(goodbyes(&c1), 1);
	/* modules unloading afterwards revoke what they granted: no second Goodbye */
	revoke_all(x, "c1");
	assert_null(fzgw_peers_by_client(&x->dp->peers, "c1"));
	assert_int_equal(goodbyes(&c1), 0);
	disconnect(x, &c1);
}

/* A control plane taking a client's last access away: the core says Goodbye (no module
 * needed); the client's own Goodbye (peer_remove) gets none back. */
static void test_goodbye_on_revocation(void **st)
{
	struct client c1 = { 0 };
	struct dpt *x = connected(&c1);

	(void)st;
	revoke_all(x, "c1");
	assert_null(fzgw_peers_by_client(&x->dp->peers, "c1"));
	assert_int_equal(goodbyes(&c1), 1);
	revoke_all(x, "c2"); /* no session: nothing to say */
	assert_null(fzgw_peers_by_client(&x->dp->peers, "c2"));
	disconnect(x, &c1);

	x = connected(&c1);
	assert_int_equal(api->peer_remove(&x->mod, "c1", "goodbye"), 0);
	event_base_loop(x->base, EVLOOP_NONBLOCK);
	assert_null(fzgw_peers_by_client(&x->dp->peers, "c1"));
	assert_int_equal(goodbyes(&c1), 0);
	disconnect(x, &c1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_int),
		cmocka_unit_test(test_log_limited),
		cmocka_unit_test(test_peer_index_max),
		cmocka_unit_test(test_peer_remove_recorded),
		cmocka_unit_test(test_peer_remove_data_plane),
		cmocka_unit_test(test_goodbye_at_shutdown),
		cmocka_unit_test(test_goodbye_on_revocation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
