/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's UDP sockets shared with a module: claims (one module per class, released with
 * it), claimed datagrams to the module's callback, unclaimed ones dropped and counted, and
 * datagrams a module sends from the WireGuard port. */
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

static const struct fzgw_api *api = &fzgw_core_api;

struct seen {
	int n;
	void *state;
	struct fzgw_endpoint from, local;
	uint8_t data[256];
	size_t len;
	bool reply; /* answer from inside the callback with udp_send */
	struct fzgw_ctx *ctx;
};

static struct seen seen_g;

static void on_udp(void *state, const struct fzgw_endpoint *from, const struct fzgw_endpoint *local,
		   const uint8_t *data, size_t len)
{
	struct seen *s = &seen_g;

	s->n++;
	s->state = state;
	s->from = *from;
	s->local = *local;
	s->len = len < sizeof(s->data) ? len : sizeof(s->data);
	memcpy(s->data, data, s->len);
	if (s->reply)
		assert_int_equal(api->udp_send(s->ctx, from, (const uint8_t *)"pong", 4), 0);
}

static size_t stun_request(uint8_t *d)
{
	memset(d, 0x5a, 28);
	d[0] = 0x00, d[1] = 0x01, d[2] = 0x00, d[3] = 0x08;
	d[4] = 0x21, d[5] = 0x12, d[6] = 0xA4, d[7] = 0x42;
	return 28;
}

static void send_to_gw(int fd, const struct dph_gw *g, const uint8_t *d, size_t len)
{
	assert_true(sendto(fd, d, len, 0, (const struct sockaddr *)&g->addr, sizeof(g->addr)) ==
		    (ssize_t)len);
}

static uint64_t wg_drops(const struct dph_gw *g)
{
	struct fzgw_wg_stats s;
	uint64_t n = 0;

	fzgw_wg_stats(g->dp->wg, &s);
	for (int i = 0; i < FZGW_WG_DROP_COUNT; i++)
		n += s.drops[i];
	return n;
}

/* A STUN datagram reaches the claiming module with its sender and the receiving socket. */
static void test_claimed_stun(void **st)
{
	struct dph_gw *g = dph_gw_new();
	struct sockaddr_in peer;
	int fd = dph_socket(&peer);
	uint8_t d[64], cd[12] = { 0x40, 0x01, 0x00, 0x08 };
	size_t n = stun_request(d);
	int state;
	struct fzgw_endpoint e = dph_endpoint(&peer);

	(void)st;
	memset(&seen_g, 0, sizeof(seen_g));
	g->mod.state = &state;
	assert_int_equal(api->udp_claim(&g->mod, FZGW_UDP_STUN, on_udp), 0);
	send_to_gw(fd, g, d, n);
	dph_gw_poll(g);
	assert_int_equal(seen_g.n, 1);
	assert_ptr_equal(seen_g.state, &state);
	assert_int_equal(seen_g.from.addr.family, 4);
	assert_memory_equal(seen_g.from.addr.bytes, e.addr.bytes, 4);
	assert_int_equal(seen_g.from.port, e.port);
	assert_int_equal(seen_g.local.addr.family, 4);
	assert_int_equal(seen_g.local.port, ntohs(g->addr.sin_port));
	assert_int_equal(seen_g.len, n);
	assert_memory_equal(seen_g.data, d, n);
	assert_int_equal(wg_drops(g), 0); /* WireGuard never saw it */
	/* WireGuard-shaped traffic does not reach the module; unclaimed ChannelData is counted */
	memset(d, 0, 32);
	d[0] = 4;
	send_to_gw(fd, g, d, 32);
	send_to_gw(fd, g, cd, sizeof(cd));
	dph_gw_poll(g);
	assert_int_equal(seen_g.n, 1);
	assert_int_equal(wg_drops(g), 1); /* the data message for no session */
	assert_int_equal(fzgw_counter_get(&g->core.counters, "rx-channeldata-unclaimed"), 1);
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), 0);
	close(fd);
	dph_gw_free(g);
}

/* Nobody claimed STUN: dropped and counted before WireGuard. */
static void test_unclaimed_dropped(void **st)
{
	struct dph_gw *g = dph_gw_new();
	struct sockaddr_in peer;
	int fd = dph_socket(&peer);
	uint8_t d[64];
	size_t n = stun_request(d);

	(void)st;
	send_to_gw(fd, g, d, n);
	send_to_gw(fd, g, d, n);
	dph_gw_poll(g);
	assert_int_equal(fzgw_counter_get(&g->core.counters, "rx-stun-unclaimed"), 2);
	assert_int_equal(wg_drops(g), 0);
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), 0);
	close(fd);
	dph_gw_free(g);
}

/* One module per class; the claim goes with the module; validation runs claim nothing. */
static void test_claim_busy_release(void **st)
{
	struct dph_gw *g = dph_gw_new();
	struct fzgw_ctx other, probe;
	struct sockaddr_in peer;
	int fd = dph_socket(&peer);
	uint8_t d[64];
	size_t n = stun_request(d);

	(void)st;
	memset(&seen_g, 0, sizeof(seen_g));
	memset(&other, 0, sizeof(other));
	memset(&probe, 0, sizeof(probe));
	other.core = probe.core = &g->core;
	strcpy(other.name, "other");
	strcpy(probe.name, "relaytest");
	probe.probe = true;
	assert_int_equal(api->udp_claim(&g->mod, 0, on_udp), -EINVAL);
	assert_int_equal(api->udp_claim(&g->mod, 3, on_udp), -EINVAL);
	assert_int_equal(api->udp_claim(&g->mod, FZGW_UDP_STUN, NULL), -EINVAL);
	assert_int_equal(api->udp_claim(&probe, FZGW_UDP_STUN, on_udp), 0); /* takes nothing */
	assert_int_equal(api->udp_claim(&g->mod, FZGW_UDP_STUN, on_udp), 0);
	assert_int_equal(api->udp_claim(&g->mod, FZGW_UDP_STUN, on_udp), 0); /* again: its own */
	assert_int_equal(api->udp_claim(&other, FZGW_UDP_STUN, on_udp), -EBUSY);
	assert_int_equal(api->udp_claim(&other, FZGW_UDP_CHANNELDATA, on_udp), 0);
	assert_int_equal(api->udp_claim(&g->mod, FZGW_UDP_CHANNELDATA, on_udp), -EBUSY);
	assert_int_equal(api->udp_claim(&probe, FZGW_UDP_CHANNELDATA, on_udp), 0);
	/* the module goes: its claim with it */
	fzgw_ctx_unregister_all(&g->mod);
	send_to_gw(fd, g, d, n);
	dph_gw_poll(g);
	assert_int_equal(seen_g.n, 0);
	assert_int_equal(fzgw_counter_get(&g->core.counters, "rx-stun-unclaimed"), 1);
	assert_int_equal(api->udp_claim(&other, FZGW_UDP_STUN, on_udp), 0);
	send_to_gw(fd, g, d, n);
	dph_gw_poll(g);
	assert_int_equal(seen_g.n, 1);
	fzgw_ctx_unregister_all(&other);
	close(fd);
	dph_gw_free(g);
}

/* A module sends from the WireGuard port, right away (here from inside its callback). */
static void test_udp_send_local(void **st)
{
	struct dph_gw *g = dph_gw_new();
	struct sockaddr_in peer, from;
	socklen_t flen = sizeof(from);
	int fd = dph_socket(&peer);
	struct fzgw_endpoint to = dph_endpoint(&peer), local, bad;
	struct fzgw_core bare;
	struct fzgw_ctx bare_ctx;
	uint8_t d[64], got[64];
	size_t n = stun_request(d);

	(void)st;
	assert_int_equal(api->udp_local(&g->mod, 4, &local), 0);
	assert_int_equal(local.addr.family, 4);
	assert_int_equal(local.port, ntohs(g->addr.sin_port));
	assert_memory_equal(local.addr.bytes, &g->addr.sin_addr, 4);
	assert_int_equal(api->udp_local(&g->mod, 6, &local), -ENOENT); /* no IPv6 socket here */
	assert_int_equal(api->udp_local(&g->mod, 5, &local), -EINVAL);

	assert_int_equal(api->udp_send(&g->mod, &to, d, n), 0);
	assert_int_equal(recvfrom(fd, got, sizeof(got), MSG_DONTWAIT, (struct sockaddr *)&from, &flen),
			 (ssize_t)n);
	assert_memory_equal(got, d, n);
	assert_int_equal(from.sin_port, g->addr.sin_port);
	bad = to;
	bad.port = 0;
	assert_int_equal(api->udp_send(&g->mod, &bad, d, n), -EINVAL);
	bad = to;
	bad.addr.family = 6;
	assert_int_equal(api->udp_send(&g->mod, &bad, d, n), -EAFNOSUPPORT);
	assert_int_equal(api->udp_send(&g->mod, &to, d, 0), -EINVAL);

	/* the answer leaves before the callback returns */
	memset(&seen_g, 0, sizeof(seen_g));
	seen_g.reply = true;
	seen_g.ctx = &g->mod;
	assert_int_equal(api->udp_claim(&g->mod, FZGW_UDP_STUN, on_udp), 0);
	send_to_gw(fd, g, d, n);
	dph_gw_poll(g);
	assert_int_equal(seen_g.n, 1);
	assert_int_equal(recv(fd, got, sizeof(got), MSG_DONTWAIT), 4);
	assert_memory_equal(got, "pong", 4);

	/* no data plane (--check-config, or before it starts) */
	fzgw_core_init(&bare, NULL, false);
	memset(&bare_ctx, 0, sizeof(bare_ctx));
	bare_ctx.core = &bare;
	assert_int_equal(api->udp_local(&bare_ctx, 4, &local), -ENODEV);
	assert_int_equal(api->udp_send(&bare_ctx, &to, d, n), -ENODEV);
	close(fd);
	dph_gw_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claimed_stun),
		cmocka_unit_test(test_unclaimed_dropped),
		cmocka_unit_test(test_claim_busy_release),
		cmocka_unit_test(test_udp_send_local),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
