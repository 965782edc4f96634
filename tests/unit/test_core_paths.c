/* SPDX-License-Identifier: Apache-2.0 */
/* Client paths: WireGuard sessions whose datagrams go direct (not to the learned endpoint),
 * through a relay as ChannelData (the test plays the relay), wait while PENDING, and go back
 * to the learned endpoint in ANY. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "dp_harness.h"

#define NONE (-1000)
#define CH 0x4001

static const struct fzgw_api *api = &fzgw_core_api;

static struct fzgw_path path_of(uint8_t kind, const struct sockaddr_in *to, uint16_t channel)
{
	struct fzgw_path p;

	memset(&p, 0, sizeof(p));
	p.kind = kind;
	p.channel = channel;
	if (to)
		p.remote = dph_endpoint(to);
	return p;
}

static int set_path(struct dph_gw *g, const char *id, uint8_t kind, const struct sockaddr_in *to,
		    uint16_t channel)
{
	struct fzgw_path p = path_of(kind, to, channel);

	return api->peer_set_path(&g->mod, id, &p);
}

/* Gateway and client c1 (100.64.0.2) with a session over the client's socket. */
static struct dph_gw *connected(struct dph_client *c)
{
	struct dph_gw *g = dph_gw_new();

	dph_client_new(c, g);
	dph_authorize(g, "c1", c, 2);
	assert_int_equal(fzgw_wg_initiate(c->wg, c->gw), 0);
	dph_client_flush_direct(c, g);                                     /* initiation */
	assert_int_equal(dph_client_recv(c, g, c->fd, NULL), FZGW_WG_RX_DONE); /* response */
	dph_client_flush_direct(c, g);                                     /* keepalive */
	assert_true(fzgw_wg_peer_has_session(fzgw_peers_by_client(&g->dp->peers, "c1")->wg));
	return g;
}

static void finish(struct dph_gw *g, struct dph_client *c)
{
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), 0);
	dph_client_free(c);
	dph_gw_free(g);
}

static void test_bad_paths(void **st)
{
	struct dph_client c;
	struct dph_gw *g = connected(&c);
	struct sockaddr_in to = c.addr;
	struct fzgw_path p = path_of(FZGW_PATH_DIRECT, &to, 0);

	(void)st;
	assert_int_equal(set_path(g, "nobody", FZGW_PATH_DIRECT, &to, 0), -ENOENT);
	assert_int_equal(set_path(g, "c1", 4, &to, 0), -EINVAL);
	assert_int_equal(set_path(g, "c1", FZGW_PATH_RELAY, &to, 0x3FFF), -EINVAL);
	assert_int_equal(set_path(g, "c1", FZGW_PATH_RELAY, &to, 0x5000), -EINVAL);
	assert_int_equal(set_path(g, "c1", FZGW_PATH_DIRECT, NULL, 0), -EINVAL); /* no address */
	to.sin_port = 0;
	assert_int_equal(set_path(g, "c1", FZGW_PATH_DIRECT, &to, 0), -EINVAL);
	assert_int_equal(api->peer_set_path(&g->mod, "c1", NULL), -EINVAL);
	assert_int_equal(api->peer_set_path(&g->mod, "", &p), -EINVAL);
	assert_int_equal(fzgw_peers_by_client(&g->dp->peers, "c1")->path, FZGW_PATH_ANY);
	finish(g, &c);
}

/* (a) DIRECT: datagrams go to the path's address, not to the endpoint WireGuard learned;
 * the client's packets are still accepted from anywhere they authenticate. */
static void test_direct(void **st)
{
	struct dph_client c, c2;
	struct dph_gw *g = connected(&c);
	struct sockaddr_in alt_addr;
	int alt = dph_socket(&alt_addr);
	uint32_t seq = 0;

	(void)st;
	assert_int_equal(set_path(g, "c1", FZGW_PATH_DIRECT, &alt_addr, 0), 0);
	dph_gw_send(g, "c1", 2, 1);
	assert_int_equal(dph_client_recv(&c, g, alt, &seq), FZGW_WG_RX_DATA);
	assert_int_equal(seq, 1);
	assert_int_equal(dph_client_recv(&c, g, c.fd, NULL), NONE);
	/* the client speaks from its old address: accepted, WireGuard roams, the path holds */
	dph_client_send(&c, 2, 2);
	dph_client_flush_direct(&c, g);
	assert_int_equal(g->n_in, 1);
	dph_gw_send(g, "c1", 2, 3);
	assert_int_equal(dph_client_recv(&c, g, alt, &seq), FZGW_WG_RX_DATA);
	assert_int_equal(seq, 3);
	assert_int_equal(dph_client_recv(&c, g, c.fd, NULL), NONE);
	/* handshake answers follow the path too: a new client c2 on DIRECT */
	dph_client_new(&c2, g);
	dph_authorize(g, "c2", &c2, 3);
	assert_int_equal(set_path(g, "c2", FZGW_PATH_DIRECT, &alt_addr, 0), 0);
	assert_int_equal(fzgw_wg_initiate(c2.wg, c2.gw), 0);
	dph_client_flush_direct(&c2, g);
	assert_int_equal(dph_client_recv(&c2, g, alt, NULL), FZGW_WG_RX_DONE);
	assert_int_equal(dph_client_recv(&c2, g, c2.fd, NULL), NONE);
	dph_client_free(&c2);
	close(alt);
	finish(g, &c);
}

/* (b) RELAY: the whole session through the relay: ChannelData out, udp_input in. */
static void test_relay(void **st)
{
	struct dph_gw *g = dph_gw_new();
	struct dph_client c;
	struct sockaddr_in relay_addr;
	int relay = dph_socket(&relay_addr);
	struct fzgw_path via = path_of(FZGW_PATH_RELAY, &relay_addr, CH);
	uint32_t seq = 0;

	(void)st;
	dph_client_new(&c, g);
	dph_authorize(g, "c1", &c, 2);
	assert_int_equal(set_path(g, "c1", FZGW_PATH_RELAY, &relay_addr, CH), 0);
	assert_int_equal(fzgw_wg_initiate(c.wg, c.gw), 0);
	dph_client_flush_relayed(&c, g, &via);
	assert_int_equal(dph_relay_recv(&c, g, relay, CH, NULL), FZGW_WG_RX_DONE); /* response */
	dph_client_flush_relayed(&c, g, &via);                                     /* keepalive */
	dph_gw_send(g, "c1", 2, 7);
	assert_int_equal(dph_relay_recv(&c, g, relay, CH, &seq), FZGW_WG_RX_DATA);
	assert_int_equal(seq, 7);
	dph_client_send(&c, 2, 8);
	dph_client_flush_relayed(&c, g, &via);
	assert_int_equal(g->n_in, 1);
	assert_int_equal(g->last_in[31], 8);
	assert_int_equal(dph_client_recv(&c, g, c.fd, NULL), NONE); /* nothing went direct */
	/* counted per path kind */
	assert_int_equal(dph_counter(g, "rx-relayed"), 3);
	assert_int_equal(dph_counter(g, "tx-relayed"), 2);
	assert_int_equal(dph_counter(g, "rx-relayed-bytes"), 148 + 32 + 64 + 3 * 4);
	assert_int_equal(dph_counter(g, "tx-relayed-bytes"), 92 + 64 + 2 * 4);
	/* anti-spoofing over a relay: the inner source must be the client's */
	dph_client_send(&c, 9, 9);
	dph_client_flush_relayed(&c, g, &via);
	assert_int_equal(g->n_in, 1);
	assert_int_equal(dph_counter(g, "rx-spoofed-source"), 1);
	/* udp_input refuses what is not a path */
	via.channel = 0x3000;
	fzgw_core_api.udp_input(&g->mod, &via, c.out[0], 32);
	via = path_of(FZGW_PATH_ANY, &relay_addr, 0);
	fzgw_core_api.udp_input(&g->mod, &via, c.out[0], 32);
	assert_int_equal(dph_counter(g, "rx-input-invalid"), 2);
	close(relay);
	finish(g, &c);
}

/* A client in ANY whose handshake came over a relay gets its answer through the relay (the
 * engine's endpoint carries the channel); it roams to a direct address later. */
static void test_relay_in_any(void **st)
{
	struct dph_gw *g = dph_gw_new();
	struct dph_client c;
	struct sockaddr_in relay_addr;
	int relay = dph_socket(&relay_addr);
	struct fzgw_path via = path_of(FZGW_PATH_RELAY, &relay_addr, 0x4abc);
	uint32_t seq = 0;

	(void)st;
	dph_client_new(&c, g);
	dph_authorize(g, "c1", &c, 2);
	assert_int_equal(fzgw_wg_initiate(c.wg, c.gw), 0);
	dph_client_flush_relayed(&c, g, &via);
	assert_int_equal(dph_relay_recv(&c, g, relay, 0x4abc, NULL), FZGW_WG_RX_DONE);
	dph_client_flush_relayed(&c, g, &via);
	dph_gw_send(g, "c1", 2, 1);
	assert_int_equal(dph_relay_recv(&c, g, relay, 0x4abc, &seq), FZGW_WG_RX_DATA);
	assert_int_equal(seq, 1);
	/* roaming: the client now speaks directly; the answer follows it, raw */
	dph_client_send(&c, 2, 2);
	dph_client_flush_direct(&c, g);
	dph_gw_send(g, "c1", 2, 3);
	assert_int_equal(dph_client_recv(&c, g, c.fd, &seq), FZGW_WG_RX_DATA);
	assert_int_equal(seq, 3);
	assert_int_equal(dph_relay_recv(&c, g, relay, 0x4abc, NULL), NONE);
	close(relay);
	finish(g, &c);
}

/* (c) PENDING: datagrams wait (128 at most, the oldest dropped), then leave on the new path. */
static void test_pending(void **st)
{
	struct dph_client c;
	struct dph_gw *g = connected(&c);
	struct fzgw_gw_peer *peer = fzgw_peers_by_client(&g->dp->peers, "c1");
	struct sockaddr_in alt_addr;
	int alt = dph_socket(&alt_addr);
	uint32_t seq = 0;

	(void)st;
	assert_int_equal(set_path(g, "c1", FZGW_PATH_PENDING, NULL, 0), 0);
	for (uint32_t i = 1; i <= DP_PENDING_MAX + 1; i++)
		dph_gw_send(g, "c1", 2, i);
	assert_int_equal(dph_client_recv(&c, g, c.fd, NULL), NONE);
	assert_int_equal(dp_pending_count(peer), DP_PENDING_MAX);
	assert_int_equal(dph_counter(g, "tx-pending-dropped"), 1);
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), 0); /* copies: no pool buffer held */
	assert_int_equal(set_path(g, "c1", FZGW_PATH_DIRECT, &alt_addr, 0), 0);
	assert_int_equal(dp_pending_count(peer), 0);
	for (uint32_t i = 2; i <= DP_PENDING_MAX + 1; i++) {
		assert_int_equal(dph_client_recv(&c, g, alt, &seq), FZGW_WG_RX_DATA);
		assert_int_equal(seq, i); /* in order, the first one dropped */
	}
	assert_int_equal(dph_client_recv(&c, g, alt, NULL), NONE);
	assert_int_equal(dph_counter(g, "tx-pending-sent"), DP_PENDING_MAX);
	/* what waits at the end is freed with the data plane (ASan: no leak) */
	assert_int_equal(set_path(g, "c1", FZGW_PATH_PENDING, NULL, 0), 0);
	dph_gw_send(g, "c1", 2, 1);
	assert_int_equal(dp_pending_count(peer), 1);
	close(alt);
	finish(g, &c);
}

/* A new client in PENDING: the gateway's own handshake waits too, then goes via the relay. */
static void test_pending_handshake(void **st)
{
	struct dph_gw *g = dph_gw_new();
	struct dph_client c;
	struct sockaddr_in relay_addr;
	int relay = dph_socket(&relay_addr);
	struct fzgw_path via = path_of(FZGW_PATH_RELAY, &relay_addr, CH);
	uint32_t seq = 0;

	(void)st;
	dph_client_new(&c, g);
	dph_authorize(g, "c1", &c, 2);
	assert_int_equal(set_path(g, "c1", FZGW_PATH_PENDING, NULL, 0), 0);
	dph_gw_send(g, "c1", 2, 1); /* staged; the initiation waits */
	assert_int_equal(dp_pending_count(fzgw_peers_by_client(&g->dp->peers, "c1")), 1);
	assert_int_equal(set_path(g, "c1", FZGW_PATH_RELAY, &relay_addr, CH), 0);
	assert_int_equal(dph_relay_recv(&c, g, relay, CH, NULL), FZGW_WG_RX_DONE); /* initiation */
	dph_client_flush_relayed(&c, g, &via);                                     /* response */
	assert_int_equal(dph_relay_recv(&c, g, relay, CH, &seq), FZGW_WG_RX_DATA);
	assert_int_equal(seq, 1);
	close(relay);
	finish(g, &c);
}

/* PENDING to ANY: what waited goes to the learned endpoint; a client that goes away frees
 * what waits for it (and ANY without any endpoint sends nothing). */
static void test_pending_to_any_and_freed(void **st)
{
	struct dph_client c, c2;
	struct dph_gw *g = connected(&c);
	uint32_t seq = 0;
	struct fzgw_ev_revoke r;

	(void)st;
	assert_int_equal(set_path(g, "c1", FZGW_PATH_PENDING, NULL, 0), 0);
	dph_gw_send(g, "c1", 2, 1);
	dph_gw_send(g, "c1", 2, 2);
	assert_int_equal(dph_client_recv(&c, g, c.fd, NULL), NONE);
	assert_int_equal(set_path(g, "c1", FZGW_PATH_ANY, NULL, 0), 0);
	assert_int_equal(dph_client_recv(&c, g, c.fd, &seq), FZGW_WG_RX_DATA);
	assert_int_equal(seq, 1);
	assert_int_equal(dph_client_recv(&c, g, c.fd, &seq), FZGW_WG_RX_DATA);
	assert_int_equal(seq, 2);

	assert_int_equal(set_path(g, "c1", FZGW_PATH_PENDING, NULL, 0), 0);
	for (uint32_t i = 0; i < 5; i++)
		dph_gw_send(g, "c1", 2, i);
	memset(&r, 0, sizeof(r));
	strcpy(r.client_id, "c1");
	fzgw_bus_publish(&g->core.bus, &g->mod, FZGW_EV_ACCESS_REVOKED, &r, sizeof(r));
	assert_null(fzgw_peers_by_client(&g->dp->peers, "c1"));
	/* five datagrams and the Goodbye said on the way out */
	assert_int_equal(dph_counter(g, "tx-peer-removed"), 6);

	/* a client never heard of: PENDING then ANY leaves it without an endpoint */
	dph_client_new(&c2, g);
	dph_authorize(g, "c2", &c2, 3);
	assert_int_equal(set_path(g, "c2", FZGW_PATH_PENDING, NULL, 0), 0);
	dph_gw_send(g, "c2", 3, 1);
	assert_int_equal(set_path(g, "c2", FZGW_PATH_ANY, NULL, 0), 0);
	assert_int_equal(dph_counter(g, "tx-no-endpoint"), 1);
	assert_null(fzgw_wg_peer_endpoint(fzgw_peers_by_client(&g->dp->peers, "c2")->wg));
	strcpy(r.client_id, "c2");
	fzgw_bus_publish(&g->core.bus, &g->mod, FZGW_EV_ACCESS_REVOKED, &r, sizeof(r));
	dph_client_free(&c2);
	finish(g, &c);
}

/* (d) ANY after DIRECT: the learned endpoint again, following the client when it roams. */
static void test_any_after_direct(void **st)
{
	struct dph_client c;
	struct dph_gw *g = connected(&c);
	struct sockaddr_in alt_addr;
	int alt = dph_socket(&alt_addr);
	uint32_t seq = 0;

	(void)st;
	assert_int_equal(set_path(g, "c1", FZGW_PATH_DIRECT, &alt_addr, 0), 0);
	dph_gw_send(g, "c1", 2, 1);
	assert_int_equal(dph_client_recv(&c, g, alt, &seq), FZGW_WG_RX_DATA);
	assert_int_equal(set_path(g, "c1", FZGW_PATH_ANY, NULL, 0), 0);
	/* until the client speaks, WireGuard's endpoint is where the path pointed */
	dph_gw_send(g, "c1", 2, 2);
	assert_int_equal(dph_client_recv(&c, g, alt, &seq), FZGW_WG_RX_DATA);
	assert_int_equal(seq, 2);
	/* it speaks from its own socket: roaming, as today */
	dph_client_send(&c, 2, 3);
	dph_client_flush_direct(&c, g);
	dph_gw_send(g, "c1", 2, 4);
	assert_int_equal(dph_client_recv(&c, g, c.fd, &seq), FZGW_WG_RX_DATA);
	assert_int_equal(seq, 4);
	assert_int_equal(dph_client_recv(&c, g, alt, NULL), NONE);
	close(alt);
	finish(g, &c);
}

/* A new public key is a new WireGuard peer: the path stays, and the gateway's handshake for
 * the packets that wait goes that way (no learned endpoint needed). */
static void test_new_key_keeps_path(void **st)
{
	struct dph_client c, c_new;
	struct dph_gw *g = connected(&c);
	struct sockaddr_in alt_addr;
	int alt = dph_socket(&alt_addr);
	uint32_t seq = 0;

	(void)st;
	assert_int_equal(set_path(g, "c1", FZGW_PATH_DIRECT, &alt_addr, 0), 0);
	dph_client_new(&c_new, g);
	dph_authorize(g, "c1", &c_new, 2);
	dph_gw_send(g, "c1", 2, 1); /* staged; the initiation goes by the path */
	assert_int_equal(dph_client_recv(&c_new, g, alt, NULL), FZGW_WG_RX_DONE);
	dph_client_flush_direct(&c_new, g); /* the response */
	assert_int_equal(dph_client_recv(&c_new, g, alt, &seq), FZGW_WG_RX_DATA);
	assert_int_equal(seq, 1);
	assert_int_equal(dph_counter(g, "tx-no-endpoint"), 0);
	dph_client_free(&c_new);
	close(alt);
	finish(g, &c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_direct),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_relay_in_any),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_pending_handshake),
		cmocka_unit_test(test_pending_to_any_and_freed),
		cmocka_unit_test(test_any_after_direct),
		cmocka_unit_test(test_new_key_keeps_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
