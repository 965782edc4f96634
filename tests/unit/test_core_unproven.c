/* SPDX-License-Identifier: Apache-2.0 */
/* Issue 12, finding 14: cookie replies to spoofed sources on the gateway's own link wait for a
 * neighbour that never answers, charged to the socket's send buffer. They must not take the
 * room an established tunnel sends from. Runs in a network namespace of its own (root only):
 * a veth whose other end answers no ARP. */
#include <errno.h>
#include <sched.h>
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
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "dp_harness.h"

#define FLOOD 4000

static uint64_t counter(const struct dph_gw *g, const char *name)
{
	return fzgw_counter_get(&g->core.counters, name);
}

/* The gateway's socket on 0.0.0.0 (a socket bound to 127.0.0.1 cannot send to the veth's
 * link) with a small send buffer, so that a flood fills it quickly. */
static void rebind_gateway(struct dph_gw *g)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int snd = 16384;

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd)), 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(g->dp->udp.fd4);
	g->dp->udp.fd4 = fd;
	g->dp->udp.port = ntohs(a.sin_port);
	g->addr.sin_port = a.sin_port; /* clients still send to 127.0.0.1 */
}

static void test_cookie_flood_keeps_tunnels(void **st)
{
	struct dph_gw *g;
	struct dph_client c, flood;
	uint32_t seq = 0;
	int queued = 0;

	(void)st;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0 ||
	    system("ip link set lo up && ip link add fzh0 type veth peer name fzh1 && "
		   "ip addr add 10.77.0.1/16 dev fzh0 && ip link set fzh0 up && ip link set fzh1 up") != 0) {
		skip(); /* needs root and iproute2 */
		return;
	}
	g = dph_gw_new();
	rebind_gateway(g);
	/* an established tunnel over loopback */
	dph_client_new(&c, g);
	dph_authorize(g, "c1", &c, 2);
	assert_int_equal(fzgw_wg_initiate(c.wg, c.gw), 0);
	dph_client_flush_direct(&c, g);
	assert_int_equal(dph_client_recv(&c, g, c.fd, NULL), FZGW_WG_RX_DONE);
	dph_client_flush_direct(&c, g);
	/* an initiation with a valid mac1 (an unknown key), replayed from spoofed on-link
	 * addresses while the gateway is under load: each one gets a cookie reply */
	dph_client_new(&flood, g);
	assert_int_equal(fzgw_wg_initiate(flood.wg, flood.gw), 0);
	assert_int_equal(flood.n_out, 1);
	fzgw_wg_set_under_load(g->dp->wg, true);
	for (int i = 0; i < FLOOD; i++) {
		struct fzgw_packet *pkt = fzgw_pool_get(g->dp->pool);
		struct fzgw_wg_endpoint ep;

		assert_non_null(pkt);
		memcpy(pkt->data, flood.out[0], flood.out_len[0]);
		memset(&ep, 0, sizeof(ep));
		ep.in4.sin_family = AF_INET;
		ep.in4.sin_addr.s_addr = htonl(0x0a4d0000u | (uint32_t)(2 + i % 4000));
		ep.in4.sin_port = htons((uint16_t)(1024 + i));
		ep.len = sizeof(ep.in4);
		dp_wg_in(g->dp, pkt, &ep, flood.out_len[0]);
	}
	assert_int_equal(ioctl(g->dp->udp.fd4, SIOCOUTQ, &queued), 0);
	print_message("cookie replies stuck: %d bytes queued, %llu held back\n", queued,
		      (unsigned long long)counter(g, "tx-unproven-held-back"));
	/* the tunnel still sends: every one of these reaches the client */
	for (uint32_t k = 1; k <= 20; k++) {
		dph_gw_send(g, "c1", 2, k);
		assert_int_equal(dph_client_recv(&c, g, c.fd, &seq), FZGW_WG_RX_DATA);
		assert_int_equal(seq, k);
	}
	assert_int_equal(counter(g, "tx-udp-full"), 0);
	assert_true(counter(g, "tx-unproven-held-back") > 0);
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), 0);
	dph_client_free(&c);
	dph_client_free(&flood);
	dph_gw_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_flood_keeps_tunnels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
