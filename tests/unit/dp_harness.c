/* SPDX-License-Identifier: Apache-2.0 */
/* A gateway data plane on a loopback UDP socket and WireGuard clients from the same engine. */
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

#include "dp_harness.h"
#include "ip_parse.h"
#include "pkt_util.h"

int dph_socket(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int buf = 1 << 20;

	assert_true(fd >= 0);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)addr, sizeof(*addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	return fd;
}

struct fzgw_endpoint dph_endpoint(const struct sockaddr_in *a)
{
	struct fzgw_endpoint e;

	memset(&e, 0, sizeof(e));
	e.addr.family = 4;
	memcpy(e.addr.bytes, &a->sin_addr, 4);
	e.port = ntohs(a->sin_port);
	return e;
}

/* ------------------------------------------------------------ the gateway */

static void sink_in(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	struct dph_gw *g = (struct dph_gw *)((char *)core - offsetof(struct dph_gw, core));

	g->n_in++;
	g->last_in_len = pkt->len < sizeof(g->last_in) ? pkt->len : sizeof(g->last_in);
	memcpy(g->last_in, pkt->data, g->last_in_len);
	fzgw_pool_put(pkt);
}

static enum fzgw_verdict accept_all(void *state, struct fzgw_packet *pkt)
{
	(void)state, (void)pkt;
	return FZGW_ACCEPT;
}

struct dph_gw *dph_gw_new(void)
{
	struct fzgw_wg_ops ops = { .now_ns = dp_wg_now_ns, .send = dp_wg_send, .event = dp_wg_event };
	struct dph_gw *g = calloc(1, sizeof(*g));
	struct fzgw_dataplane *dp = calloc(1, sizeof(*dp));
	uint8_t key[32];

	assert_true(g && dp && sodium_init() >= 0);
	assert_non_null(g->base = event_base_new());
	fzgw_core_init(&g->core, g->base, false);
	dp->core = &g->core;
	dp->ctx = &g->core.self;
	dp->tun_fd = dp->udp.fd6 = -1;
	dp->udp.fd4 = dph_socket(&g->addr);
	dp->udp.port = ntohs(g->addr.sin_port);
	dp->mtu = 1280;
	ops.user = dp;
	randombytes_buf(key, sizeof(key));
	assert_int_equal(fzgw_peers_init(&dp->peers, 64), 0);
	/* a batch takes up to 64 buffers; relayed datagrams need more while it runs */
	assert_int_equal(fzgw_pool_create(&dp->pool, 512, FZGW_POOL_DEFAULT_SIZE), 0);
	assert_int_equal(fzgw_wg_new(&dp->wg, key, &ops), 0);
	g->dp = dp;
	g->core.dp = dp;
	/* the plumbing fzgw_dataplane_start() sets, with a recording sink towards the TUN */
	g->core.sink[FZGW_DIR_IN] = sink_in;
	g->core.sink[FZGW_DIR_OUT] = dp_sink_out;
	g->core.release = dp_release;
	g->core.pkt_peer_ok = dp_pkt_peer_ok;
	g->core.icmp = dp_icmp_reply;
	g->core.peer_by_client = dp_peer_by_client;
	g->core.peer_remove = dp_peer_remove;
	g->core.udp_send = dp_udp_send;
	g->core.udp_local = dp_udp_local;
	g->core.set_path = dp_set_path;
	g->core.udp_input = dp_udp_input;
	assert_int_equal(fzgw_bus_subscribe(&g->core.bus, dp->ctx, FZGW_EV_PEER_AUTHORIZED,
					    dp_on_authorized, dp), 0);
	assert_int_equal(fzgw_bus_subscribe(&g->core.bus, dp->ctx, FZGW_EV_ACCESS_REVOKED,
					    dp_on_revoked, dp), 0);
	g->mod.core = &g->core;
	strcpy(g->mod.name, "relaytest");
	g->mod.live = true;
	/* no policy module: one hook lets every client packet through the default-deny filter */
	g->core.chains.phase[FZGW_PHASE_IN_FILTER].n = 1;
	g->core.chains.phase[FZGW_PHASE_IN_FILTER].e[0].fn = accept_all;
	g->core.chains.phase[FZGW_PHASE_IN_FILTER].e[0].ctx = &g->mod;
	g->core.chains.phase[FZGW_PHASE_IN_FILTER].e[0].name = "accept";
	return g;
}

void dph_gw_free(struct dph_gw *g)
{
	fzgw_ctx_unregister_all(&g->mod);
	fzgw_dataplane_stop(g->dp); /* closes the socket, frees what waits */
	fzgw_core_fini(&g->core);
	event_base_free(g->base);
	free(g);
}

void dph_authorize(struct dph_gw *g, const char *id, const struct dph_client *c, uint8_t last)
{
	struct fzgw_ev_authorization a;

	memset(&a, 0, sizeof(a));
	snprintf(a.client_id, sizeof(a.client_id), "%s", id);
	memcpy(a.public_key, c->pub, 32);
	a.ipv4 = pkt_addr4(100, 64, 0, last);
	snprintf(a.resource.id, sizeof(a.resource.id), "r1");
	a.resource.type = FZGW_RES_INTERNET;
	assert_int_equal(fzgw_bus_publish(&g->core.bus, &g->mod, FZGW_EV_PEER_AUTHORIZED, &a, sizeof(a)), 1);
}

void dph_gw_poll(struct dph_gw *g)
{
	uint8_t probe;

	while (recv(g->dp->udp.fd4, &probe, 1, MSG_PEEK | MSG_DONTWAIT) >= 0)
		dp_on_udp(g->dp->udp.fd4, 0, g->dp);
}

static size_t udp_packet(uint8_t *out, struct fzgw_addr src, struct fzgw_addr dst, uint32_t seq)
{
	uint8_t l4[12] = { 0x30, 0x39, 0x00, 0x35, 0x00, 12, 0, 0 };

	l4[8] = (uint8_t)(seq >> 24);
	l4[9] = (uint8_t)(seq >> 16);
	l4[10] = (uint8_t)(seq >> 8);
	l4[11] = (uint8_t)seq;
	return pkt_build(out, 4, 17, &src, &dst, l4, sizeof(l4));
}

void dph_gw_send(struct dph_gw *g, const char *id, uint8_t last, uint32_t seq)
{
	struct fzgw_gw_peer *peer = fzgw_peers_by_client(&g->dp->peers, id);
	struct fzgw_packet *pkt = fzgw_pool_get(g->dp->pool);
	size_t n;

	assert_non_null(peer);
	assert_non_null(pkt);
	n = udp_packet(pkt->data, pkt_addr4(10, 0, 0, 1), pkt_addr4(100, 64, 0, last), seq);
	assert_int_equal(fzgw_ip_parse(&pkt->ip, pkt->data, n, g->dp->mtu), 0);
	pkt->len = (uint32_t)n;
	pkt->dir = FZGW_DIR_OUT;
	pkt->peer = &peer->info;
	dp_send_to_peer(g->dp, peer, pkt);
}

/* ------------------------------------------------------------ the client */

static void client_send(void *user, struct fzgw_wg_peer *peer, const struct fzgw_wg_endpoint *ep,
			const uint8_t *buf, size_t len)
{
	struct dph_client *c = user;

	(void)peer, (void)ep;
	assert_true(c->n_out < DPH_OUTBOX && len <= sizeof(c->out[0]));
	memcpy(c->out[c->n_out], buf, len);
	c->out_len[c->n_out++] = len;
}

void dph_client_new(struct dph_client *c, const struct dph_gw *g)
{
	static struct fzgw_wg_ops ops = { .now_ns = dp_wg_now_ns, .send = client_send };
	struct fzgw_wg_ops o = ops;
	struct fzgw_wg_endpoint ep;
	uint8_t key[32], gw_pub[32];

	memset(c, 0, sizeof(*c));
	c->fd = dph_socket(&c->addr);
	o.user = c;
	randombytes_buf(key, sizeof(key));
	assert_int_equal(fzgw_wg_new(&c->wg, key, &o), 0);
	assert_int_equal(fzgw_wg_public_key(c->wg, c->pub), 0);
	assert_int_equal(fzgw_wg_public_key(g->dp->wg, gw_pub), 0);
	assert_int_equal(fzgw_wg_peer_add(c->wg, gw_pub, NULL, NULL, &c->gw), 0);
	memset(&ep, 0, sizeof(ep));
	ep.in4 = g->addr;
	ep.len = sizeof(g->addr);
	assert_int_equal(fzgw_wg_peer_set_endpoint(c->gw, &ep), 0);
}

void dph_client_free(struct dph_client *c)
{
	c->wg = fzgw_wg_free(c->wg);
	close(c->fd);
}

void dph_client_flush_direct(struct dph_client *c, struct dph_gw *g)
{
	for (int i = 0; i < c->n_out; i++)
		assert_true(sendto(c->fd, c->out[i], c->out_len[i], 0, (struct sockaddr *)&g->addr,
				   sizeof(g->addr)) == (ssize_t)c->out_len[i]);
	c->n_out = 0;
	dph_gw_poll(g);
}

void dph_client_flush_relayed(struct dph_client *c, struct dph_gw *g, const struct fzgw_path *via)
{
	for (int i = 0; i < c->n_out; i++)
		fzgw_core_api.udp_input(&g->mod, via, c->out[i], c->out_len[i]);
	c->n_out = 0;
}

void dph_client_send(struct dph_client *c, uint8_t src_last, uint32_t seq)
{
	uint8_t buf[256];
	const struct fzgw_wg_endpoint *ep;
	size_t n, out;

	n = udp_packet(buf + FZGW_WG_HEADROOM, pkt_addr4(100, 64, 0, src_last), pkt_addr4(10, 0, 0, 1), seq);
	assert_int_equal(fzgw_wg_encrypt(c->wg, c->gw, buf, n, sizeof(buf), 1280, &out, &ep), 0);
	client_send(c, c->gw, ep, buf, out);
}

int dph_client_feed(struct dph_client *c, const struct dph_gw *g, uint8_t *buf, size_t len,
		    uint32_t *seq)
{
	struct fzgw_wg_endpoint src;
	struct fzgw_wg_peer *from;
	size_t off = 0, n = 0;
	int r;

	memset(&src, 0, sizeof(src));
	src.in4 = g->addr;
	src.len = sizeof(g->addr);
	r = fzgw_wg_receive(c->wg, &src, buf, len, &from, &off, &n);
	if (r == FZGW_WG_RX_DATA && seq) {
		assert_int_equal(n, 32);
		*seq = (uint32_t)buf[off + 28] << 24 | (uint32_t)buf[off + 29] << 16 |
		       (uint32_t)buf[off + 30] << 8 | buf[off + 31];
	}
	return r;
}

int dph_client_recv(struct dph_client *c, const struct dph_gw *g, int fd, uint32_t *seq)
{
	uint8_t buf[2048];
	ssize_t got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (got < 0)
		return -1000;
	return dph_client_feed(c, g, buf, (size_t)got, seq);
}

int dph_relay_recv(struct dph_client *c, const struct dph_gw *g, int relay_fd, uint16_t channel,
		   uint32_t *seq)
{
	uint8_t buf[2048];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t got = recvfrom(relay_fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
	size_t n;

	if (got < 0)
		return -1000;
	/* from the gateway's WireGuard port, framed as ChannelData on our channel */
	assert_int_equal(from.sin_port, g->addr.sin_port);
	assert_true(got >= 4);
	assert_int_equal((uint16_t)(buf[0] << 8 | buf[1]), channel);
	n = (size_t)(buf[2] << 8 | buf[3]);
	assert_int_equal(n + 4, (size_t)got); /* UDP: no padding from the gateway */
	return dph_client_feed(c, g, buf + 4, n, seq);
}

uint64_t dph_counter(const struct dph_gw *g, const char *name)
{
	return fzgw_counter_get(&g->core.counters, name);
}

void dph_handshake(struct dph_gw *g, struct dph_client *c, const char *id, uint8_t last)
{
	dph_client_new(c, g);
	dph_authorize(g, id, c, last);
	assert_int_equal(fzgw_wg_initiate(c->wg, c->gw), 0);
	dph_client_flush_direct(c, g);
	assert_int_equal(dph_client_recv(c, g, c->fd, NULL), FZGW_WG_RX_DONE);
	dph_client_flush_direct(c, g);
	assert_true(fzgw_wg_peer_has_session(fzgw_peers_by_client(&g->dp->peers, id)->wg));
}

bool dph_udp_waiting(int fd)
{
	uint8_t b;

	return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) >= 0;
}
