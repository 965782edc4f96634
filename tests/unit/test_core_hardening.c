/* SPDX-License-Identifier: Apache-2.0 */
/* The data plane under pressure (issue 12's findings): buffers staged for all clients capped,
 * an empty pool drained instead of spinning, held packets whose client was removed dropped,
 * held packets across a chain rebuild resumed after their own hook. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "dp_harness.h"
#include "ip_parse.h"
#include "pkt_util.h"
#include "tsmemo.h"

#define NONE (-1000)

static const struct fzgw_api *api = &fzgw_core_api;

static int set_direct(struct dph_gw *g, const char *id, const struct sockaddr_in *to)
{
	struct fzgw_path p;

	memset(&p, 0, sizeof(p));
	p.kind = FZGW_PATH_DIRECT;
	p.remote = dph_endpoint(to);
	return api->peer_set_path(&g->mod, id, &p);
}

/* An IPv4 UDP packet 10.0.0.1 -> 100.64.0.@last for client @id, built by "a module". */
static struct fzgw_packet *module_packet(struct dph_gw *g, const char *id, uint8_t last, int dir)
{
	uint8_t l4[12] = { 0x30, 0x39, 0x00, 0x35, 0x00, 12, 0, 0, 0, 0, 0, 7 };
	struct fzgw_packet *pkt = fzgw_pool_get(g->dp->pool);
	struct fzgw_addr site = pkt_addr4(10, 0, 0, 1), client = pkt_addr4(100, 64, 0, last);
	size_t n;

	assert_non_null(pkt);
	n = dir == FZGW_DIR_OUT ? pkt_build(pkt->data, 4, 17, &site, &client, l4, sizeof(l4))
				: pkt_build(pkt->data, 4, 17, &client, &site, l4, sizeof(l4));
	assert_int_equal(fzgw_ip_parse(&pkt->ip, pkt->data, n, g->dp->mtu), 0);
	pkt->len = (uint32_t)n;
	pkt->dir = (uint8_t)dir;
	pkt->peer = api->peer_by_client(&g->mod, id);
	assert_non_null(pkt->peer);
	return pkt;
}

/* ------------------------------------------------------------ finding 1: pool exhaustion */

/* Four clients with an address but no session: what is sent to them is staged while their
 * handshakes run. All together they keep at most a quarter of the pool, the oldest going. */
static void test_staged_global_cap(void **st)
{
	struct dph_gw *g = dph_gw_new();
	struct dph_client c[4];
	struct sockaddr_in sink_addr;
	int sink = dph_socket(&sink_addr);
	uint32_t cap = dp_staged_cap(g->dp);
	char id[16];

	(void)st;
	assert_int_equal(cap, fzgw_pool_count(g->dp->pool) / 4);
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		dph_client_new(&c[i], g);
		dph_authorize(g, id, &c[i], (uint8_t)(2 + i));
		assert_int_equal(set_direct(g, id, &sink_addr), 0);
	}
	for (int i = 0; i < 4; i++)
		for (uint32_t k = 0; k < FZGW_PEER_STAGED; k++) {
			snprintf(id, sizeof(id), "c%d", i);
			dph_gw_send(g, id, (uint8_t)(2 + i), k);
		}
	/* 4 x 64 wanted to wait; a quarter of the 512 buffers did, the first ones went */
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), cap);
	assert_int_equal(g->dp->n_staged_all, cap);
	assert_int_equal(dph_counter(g, "tx-staged-evicted"), 4 * FZGW_PEER_STAGED - cap);
	assert_int_equal(fzgw_peers_by_client(&g->dp->peers, "c0")->n_staged, 0);
	assert_int_equal(fzgw_peers_by_client(&g->dp->peers, "c1")->n_staged, 0);
	assert_int_equal(fzgw_peers_by_client(&g->dp->peers, "c3")->n_staged, FZGW_PEER_STAGED);
	for (int i = 0; i < 4; i++)
		dph_client_free(&c[i]);
	close(sink);
	dph_gw_free(g); /* drops what is still staged: the pool must be whole again */
}

/* With every buffer taken (by modules holding packets, say), a read event must not leave
 * the datagrams in the socket (the level-triggered event would fire again at once, forever)
 * and a handshake must still be answered. */
static void test_empty_pool_drains(void **st)
{
	struct dph_gw *g = dph_gw_new();
	struct dph_client c, c2;
	uint32_t total = fzgw_pool_count(g->dp->pool), n = 0;
	struct fzgw_packet **all = calloc(total + 1, sizeof(*all));

	(void)st;
	dph_handshake(g, &c, "c1", 2);
	dph_client_new(&c2, g);
	dph_authorize(g, "c2", &c2, 3);
	while ((all[n] = fzgw_pool_get(g->dp->pool)))
		n++;
	assert_int_equal(n, total);
	/* a data packet from c1 and an initiation from c2 arrive */
	dph_client_send(&c, 2, 1);
	assert_int_equal(fzgw_wg_initiate(c2.wg, c2.gw), 0);
	assert_true(sendto(c.fd, c.out[0], c.out_len[0], 0, (struct sockaddr *)&g->addr, sizeof(g->addr)) > 0);
	assert_true(sendto(c2.fd, c2.out[0], c2.out_len[0], 0, (struct sockaddr *)&g->addr,
			   sizeof(g->addr)) > 0);
	c.n_out = c2.n_out = 0;
	dp_on_udp(g->dp->udp.fd4, 0, g->dp);
	assert_false(dph_udp_waiting(g->dp->udp.fd4));
	assert_true(dph_counter(g, "rx-no-buffer") >= 1);
	assert_int_equal(g->n_in, 0); /* the data packet had no buffer: dropped */
	assert_int_equal(dph_client_recv(&c2, g, c2.fd, NULL), FZGW_WG_RX_DONE); /* answered */
	for (uint32_t i = 0; i < n; i++)
		fzgw_pool_put(all[i]);
	free(all);
	/* buffers back: c2's keepalive completes its session */
	dph_client_flush_direct(&c2, g);
	assert_true(fzgw_wg_peer_has_session(fzgw_peers_by_client(&g->dp->peers, "c2")->wg));
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), 0);
	dph_client_free(&c);
	dph_client_free(&c2);
	dph_gw_free(g);
}

/* ------------------------------------------------------------ finding 3: held packets */

static struct fzgw_packet *held[4];
static int n_held;

static enum fzgw_verdict steal(void *state, struct fzgw_packet *pkt)
{
	(void)state;
	assert_true(n_held < 4);
	held[n_held++] = pkt;
	return FZGW_STOLEN;
}

static void set_hook(struct dph_gw *g, int phase, int i, fzgw_hook_fn fn, const char *name)
{
	struct fzgw_chain_entry *e = &g->core.chains.phase[phase].e[i];

	memset(e, 0, sizeof(*e));
	e->fn = fn;
	e->ctx = &g->mod;
	e->name = name;
	e->index = i;
	if (g->core.chains.phase[phase].n <= i)
		g->core.chains.phase[phase].n = i + 1;
}

static enum fzgw_verdict accept_hook(void *state, struct fzgw_packet *pkt)
{
	(void)state, (void)pkt;
	return FZGW_ACCEPT;
}

static void revoke_client(struct dph_gw *g, const char *id)
{
	struct fzgw_ev_revoke r;

	memset(&r, 0, sizeof(r));
	snprintf(r.client_id, sizeof(r.client_id), "%s", id);
	fzgw_bus_publish(&g->core.bus, &g->mod, FZGW_EV_ACCESS_REVOKED, &r, sizeof(r));
}

/* A module holds a packet for c1 (out) and one from c1 (in); c1 is revoked and c2 connects
 * (its peer may well get c1's memory). Reinjected, neither packet reaches anyone, the out
 * one is never encrypted to c2, and an ICMP answer to a held packet finds no client. */
static void test_held_peer_removed(void **st)
{
	struct dph_gw *g = dph_gw_new();
	struct dph_client c1, c2;
	struct fzgw_packet *out, *in;
	uint64_t gone;

	(void)st;
	n_held = 0;
	dph_handshake(g, &c1, "c1", 2);
	set_hook(g, FZGW_PHASE_OUT_NAT, 0, steal, "steal");
	set_hook(g, FZGW_PHASE_OUT_FILTER, 0, accept_hook, "accept");
	set_hook(g, FZGW_PHASE_IN_NAT, 0, steal, "steal");
	api->pkt_inject(&g->mod, module_packet(g, "c1", 2, FZGW_DIR_OUT), FZGW_PHASE_OUT_PARSE);
	api->pkt_inject(&g->mod, module_packet(g, "c1", 2, FZGW_DIR_IN), FZGW_PHASE_IN_PARSE);
	assert_int_equal(n_held, 2);
	out = held[0];
	in = held[1];
	revoke_client(g, "c1");
	assert_null(fzgw_peers_by_client(&g->dp->peers, "c1"));
	dph_handshake(g, &c2, "c2", 2); /* even its tunnel address is c1's old one */
	assert_int_equal(api->icmp_reply(&g->mod, out, 1, 0), -ENOENT);
	gone = dph_counter(g, "held-peer-gone");
	g->core.chains.phase[FZGW_PHASE_OUT_NAT].n = 0;
	g->core.chains.phase[FZGW_PHASE_IN_NAT].n = 0;
	api->pkt_reinject(&g->mod, out);
	api->pkt_reinject(&g->mod, in);
	assert_int_equal(dph_counter(g, "held-peer-gone"), gone + 2);
	assert_int_equal(dph_client_recv(&c2, g, c2.fd, NULL), NONE);
	assert_int_equal(g->n_in, 0);
	/* c2's own packets still go */
	dph_gw_send(g, "c2", 2, 9);
	assert_int_equal(dph_client_recv(&c2, g, c2.fd, NULL), FZGW_WG_RX_DATA);
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), 0);
	dph_client_free(&c1);
	dph_client_free(&c2);
	dph_gw_free(g);
}

/* The same client still there: the held packet goes out to it. */
static void test_held_peer_alive(void **st)
{
	struct dph_gw *g = dph_gw_new();
	struct dph_client c1;
	uint32_t seq = 0;

	(void)st;
	n_held = 0;
	dph_handshake(g, &c1, "c1", 2);
	set_hook(g, FZGW_PHASE_OUT_NAT, 0, steal, "steal");
	set_hook(g, FZGW_PHASE_OUT_FILTER, 0, accept_hook, "accept");
	api->pkt_inject(&g->mod, module_packet(g, "c1", 2, FZGW_DIR_OUT), FZGW_PHASE_OUT_PARSE);
	assert_int_equal(n_held, 1);
	g->core.chains.phase[FZGW_PHASE_OUT_NAT].n = 0;
	api->pkt_reinject(&g->mod, held[0]);
	assert_int_equal(dph_client_recv(&c1, g, c1.fd, &seq), FZGW_WG_RX_DATA);
	assert_int_equal(dph_counter(g, "held-peer-gone"), 0);
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), 0);
	dph_client_free(&c1);
	dph_gw_free(g);
}

/* ------------------------------------------------------------ finding 13: MTU */

/* tun.mtu = 9000: the pool's buffers fit a full-size packet and its datagram, so a client's
 * 9000-byte packet reaches the site, and the site's can be built for the client. */
static void test_jumbo_mtu(void **st)
{
	struct dph_gw *g = dph_gw_new();
	struct dph_client c;
	uint32_t mtu = 9000, size = fzgw_pool_size_for_mtu(mtu);
	uint8_t *buf = calloc(1, 16384);
	uint8_t l4[9000 - 20]; /* UDP header and payload */
	struct fzgw_addr src = pkt_addr4(100, 64, 0, 2), dst = pkt_addr4(10, 0, 0, 1);
	const struct fzgw_wg_endpoint *ep;
	struct fzgw_packet *pkt;
	size_t n, out;

	(void)st;
	assert_non_null(buf);
	assert_int_equal(fzgw_pool_size_for_mtu(1280), FZGW_POOL_DEFAULT_SIZE);
	g->dp->pool = fzgw_pool_destroy(g->dp->pool);
	assert_int_equal(fzgw_pool_create(&g->dp->pool, 512, size), 0);
	g->dp->mtu = mtu;
	dph_handshake(g, &c, "c1", 2);
	/* a 9000-byte UDP packet from the client, padded and encrypted as its engine does */
	memset(l4, 0xab, sizeof(l4));
	l4[0] = 0x30, l4[1] = 0x39, l4[2] = 0x00, l4[3] = 0x35;
	l4[4] = (uint8_t)(sizeof(l4) >> 8), l4[5] = (uint8_t)sizeof(l4), l4[6] = l4[7] = 0;
	n = pkt_build(buf + FZGW_WG_HEADROOM, 4, 17, &src, &dst, l4, sizeof(l4));
	assert_int_equal(n, mtu);
	assert_int_equal(fzgw_wg_encrypt(c.wg, c.gw, buf, n, 16384, mtu, &out, &ep), 0);
	assert_true(sendto(c.fd, buf, out, 0, (struct sockaddr *)&g->addr, sizeof(g->addr)) == (ssize_t)out);
	dph_gw_poll(g);
	assert_int_equal(dph_counter(g, "rx-udp-truncated"), 0);
	assert_int_equal(g->n_in, 1);
	/* towards the client: a buffer holds the packet, its padding and tag after the headroom */
	pkt = fzgw_pool_get(g->dp->pool);
	assert_true(pkt->cap >= mtu);
	assert_true(fzgw_pool_tailroom(pkt) - (pkt->cap - mtu) >= FZGW_POOL_TAILROOM);
	fzgw_pool_put(pkt);
	free(buf);
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), 0);
	dph_client_free(&c);
	dph_gw_free(g);
}

/* ------------------------------------------------------------ finding 9: replays after revocation */

static void drain_client(struct dph_client *c, const struct dph_gw *g)
{
	while (dph_client_recv(c, g, c->fd, NULL) != NONE)
		;
}

/* A recorded initiation of c1, replayed after c1 was revoked and granted again with the
 * same key, is refused: its timestamp is not newer than the greatest one seen. */
static void test_replay_after_regrant(void **st)
{
	struct dph_gw *g = dph_gw_new();
	struct dph_client c;
	uint8_t init[256];
	size_t init_len;
	struct fzgw_wg_stats s;

	(void)st;
	dph_client_new(&c, g);
	dph_authorize(g, "c1", &c, 2);
	assert_int_equal(fzgw_wg_initiate(c.wg, c.gw), 0);
	init_len = c.out_len[0];
	memcpy(init, c.out[0], init_len);
	dph_client_flush_direct(&c, g);
	assert_int_equal(dph_client_recv(&c, g, c.fd, NULL), FZGW_WG_RX_DONE);
	dph_client_flush_direct(&c, g);
	revoke_client(g, "c1");
	drain_client(&c, g); /* the Goodbye */
	dph_authorize(g, "c1", &c, 2);
	fzgw_wg_stats(g->dp->wg, &s);
	assert_int_equal(s.drops[FZGW_WG_DROP_HS_REPLAY], 0);
	assert_true(sendto(c.fd, init, init_len, 0, (struct sockaddr *)&g->addr, sizeof(g->addr)) > 0);
	dph_gw_poll(g);
	assert_int_equal(dph_client_recv(&c, g, c.fd, NULL), NONE); /* no response */
	fzgw_wg_stats(g->dp->wg, &s);
	assert_int_equal(s.drops[FZGW_WG_DROP_HS_REPLAY], 1);
	dph_client_free(&c);
	dph_gw_free(g);
}

/* The memory is bounded: past its cap the oldest removal is forgotten; a key removed twice
 * keeps the greater timestamp; a key taken back is gone from it. */
static void test_tsmemo_bounds(void **st)
{
	struct fzgw_wg_tsmemo m;
	uint8_t pub[32] = { 0 }, ts[12] = { 0 }, out[12];

	(void)st;
	assert_int_equal(fzgw_wg_tsmemo_init(&m, 3), 0);
	for (uint8_t k = 1; k <= 4; k++) {
		pub[0] = k;
		ts[11] = (uint8_t)(10 * k);
		fzgw_wg_tsmemo_put(&m, k, pub, ts);
	}
	assert_int_equal(fzgw_wg_tsmemo_count(&m), 3);
	assert_int_equal(m.forgotten, 1);
	pub[0] = 1;
	assert_false(fzgw_wg_tsmemo_take(&m, 1, pub, out)); /* the oldest went */
	pub[0] = 3;
	ts[11] = 5; /* older than what is kept: the greater stays */
	fzgw_wg_tsmemo_put(&m, 3, pub, ts);
	assert_true(fzgw_wg_tsmemo_take(&m, 3, pub, out));
	assert_int_equal(out[11], 30);
	assert_false(fzgw_wg_tsmemo_take(&m, 3, pub, out));
	assert_int_equal(fzgw_wg_tsmemo_count(&m), 2);
	fzgw_wg_tsmemo_destroy(&m);
}

/* ------------------------------------------------------------ finding 12: chain rebuilt */

static int ran_a, ran_b, ran_x;

static enum fzgw_verdict hook_a(void *state, struct fzgw_packet *pkt)
{
	(void)state;
	ran_a++;
	return steal(state, pkt);
}

static enum fzgw_verdict hook_b(void *state, struct fzgw_packet *pkt)
{
	(void)state, (void)pkt;
	ran_b++;
	return FZGW_CONTINUE;
}

static enum fzgw_verdict hook_x(void *state, struct fzgw_packet *pkt)
{
	(void)state, (void)pkt;
	ran_x++;
	return FZGW_CONTINUE;
}

/* IN_NAT is [a (steals), b]; a reload puts a new hook x first: [x, a, b]. The held packet
 * goes on after a (b runs, a does not take it again, x is not run on it). */
static void test_held_across_reload(void **st)
{
	struct dph_gw *g = dph_gw_new();
	struct dph_client c1;
	struct fzgw_chains probe, *old = malloc(sizeof(*old));

	(void)st;
	n_held = ran_a = ran_b = ran_x = 0;
	dph_handshake(g, &c1, "c1", 2);
	set_hook(g, FZGW_PHASE_IN_NAT, 0, hook_a, "a");
	set_hook(g, FZGW_PHASE_IN_NAT, 1, hook_b, "b");
	api->pkt_inject(&g->mod, module_packet(g, "c1", 2, FZGW_DIR_IN), FZGW_PHASE_IN_PARSE);
	assert_int_equal(n_held, 1);
	assert_int_equal(ran_a, 1);
	/* the reload: a new module's hook first; the chains' generation moves */
	assert_non_null(old);
	*old = g->core.chains;
	set_hook(g, FZGW_PHASE_IN_NAT, 2, hook_b, "b");
	set_hook(g, FZGW_PHASE_IN_NAT, 1, hook_a, "a");
	g->core.chains.phase[FZGW_PHASE_IN_NAT].e[1].index = 0;
	g->core.chains.phase[FZGW_PHASE_IN_NAT].e[2].index = 1;
	set_hook(g, FZGW_PHASE_IN_NAT, 0, hook_x, "x");
	g->core.chains.phase[FZGW_PHASE_IN_NAT].e[0].ctx = &g->core.self;
	fzgw_chains_retire(&g->core.chains, old);
	api->pkt_reinject(&g->mod, held[0]);
	assert_int_equal(ran_a, 1);
	assert_int_equal(ran_b, 1);
	assert_int_equal(ran_x, 0);
	assert_int_equal(g->n_in, 1);
	assert_int_equal(dph_counter(g, "held-chain-changed"), 1);
	/* the hook is gone after the reload: the phase starts over */
	g->core.chains.phase[FZGW_PHASE_IN_NAT].n = 2;
	g->core.chains.phase[FZGW_PHASE_IN_NAT].e[1] = g->core.chains.phase[FZGW_PHASE_IN_NAT].e[2];
	set_hook(g, FZGW_PHASE_IN_NAT, 0, hook_a, "a");
	api->pkt_inject(&g->mod, module_packet(g, "c1", 2, FZGW_DIR_IN), FZGW_PHASE_IN_PARSE);
	assert_int_equal(n_held, 2);
	*old = g->core.chains;
	set_hook(g, FZGW_PHASE_IN_NAT, 0, hook_x, "x");
	g->core.chains.phase[FZGW_PHASE_IN_NAT].e[0].ctx = &g->core.self;
	fzgw_chains_retire(&g->core.chains, old);
	api->pkt_reinject(&g->mod, held[1]);
	assert_int_equal(ran_x, 1);
	assert_int_equal(ran_b, 2);
	assert_int_equal(g->n_in, 2);
	/* every build moves the generation */
	memset(&probe, 0, sizeof(probe));
	assert_int_equal(fzgw_chains_build(&probe, NULL, 0), 0);
	assert_int_equal(probe.gen, 1);
	assert_int_equal(fzgw_chains_build(&probe, NULL, 0), 0);
	assert_int_equal(probe.gen, 2);
	free(old);
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), 0);
	dph_client_free(&c1);
	dph_gw_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_staged_global_cap),
		cmocka_unit_test(test_empty_pool_drains),
		cmocka_unit_test(test_held_peer_removed),
		cmocka_unit_test(test_held_peer_alive),
		cmocka_unit_test(test_held_across_reload),
		cmocka_unit_test(test_jumbo_mtu),
		cmocka_unit_test(test_replay_after_regrant),
		cmocka_unit_test(test_tsmemo_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
