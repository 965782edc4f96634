/* SPDX-License-Identifier: Apache-2.0 */
/* The data plane with UDP_GRO on its socket (dp_udp_offload.c): a client's GSO burst arrives
 * as one coalesced read and every datagram in it is decrypted and delivered; with the pool
 * empty a handshake is still answered from a coalesced-read socket and the rest counted. */
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
#include "udp_offload.h"

/* A gateway whose socket has GRO (skips when the kernel lacks it). */
static struct dph_gw *gro_gw(void)
{
	struct dph_gw *g = dph_gw_new();

	assert_int_equal(dp_udp_offload_start(g->dp, true), 0);
	if (!g->dp->gro4) {
		dph_gw_free(g);
		skip();
	}
	assert_non_null(g->dp->gro_rx);
	return g;
}

/* Sends the client's outbox as one GSO send (its datagrams are of one size). */
static void flush_gso(struct dph_client *c, struct dph_gw *g)
{
	uint8_t *bufs[DPH_OUTBOX];
	union fzgw_sockaddr dsts[DPH_OUTBOX];
	struct fzgw_udp_gso gso = { .on = true };
	struct fzgw_udp_tx_result res;

	for (int i = 0; i < c->n_out; i++) {
		bufs[i] = c->out[i];
		memset(&dsts[i], 0, sizeof(dsts[i]));
		dsts[i].in4 = g->addr;
	}
	assert_int_equal(fzgw_udp_send_gso(c->fd, &gso, bufs, c->out_len, dsts, (size_t)c->n_out,
					   &res), c->n_out);
	assert_int_equal(res.gso_msgs, 1);
	c->n_out = 0;
}

static void test_coalesced_burst(void **st)
{
	struct dph_gw *g = gro_gw();
	struct dph_client c;
	int n = DPH_OUTBOX < 20 ? DPH_OUTBOX : 20;

	(void)st;
	dph_handshake(g, &c, "c1", 2);
	for (int i = 0; i < n; i++)
		dph_client_send(&c, 2, (uint32_t)i);
	flush_gso(&c, g);
	dph_gw_poll(g);
	/* one read of n datagrams, each decrypted, parsed and delivered towards the site */
	assert_int_equal(dph_counter(g, "rx-udp-gro"), 1);
	assert_int_equal(dph_counter(g, "rx-udp-gro-datagrams"), n);
	assert_int_equal(dph_counter(g, "rx-udp-gro-bad"), 0);
	assert_int_equal(g->n_in, n);
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), 0);
	dph_client_free(&c);
	dph_gw_free(g);
}

static void test_empty_pool(void **st)
{
	struct dph_gw *g = gro_gw();
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
	/* a coalesced burst of data from c1 and an initiation from c2 arrive */
	for (int i = 0; i < 4; i++)
		dph_client_send(&c, 2, (uint32_t)i);
	flush_gso(&c, g);
	assert_int_equal(fzgw_wg_initiate(c2.wg, c2.gw), 0);
	assert_true(sendto(c2.fd, c2.out[0], c2.out_len[0], 0, (struct sockaddr *)&g->addr,
			   sizeof(g->addr)) > 0);
	c2.n_out = 0;
	dp_on_udp(g->dp->udp.fd4, 0, g->dp);
	assert_false(dph_udp_waiting(g->dp->udp.fd4));
	assert_int_equal(dph_counter(g, "rx-no-buffer"), 4); /* the data had no buffer */
	assert_int_equal(g->n_in, 0);
	assert_int_equal(dph_client_recv(&c2, g, c2.fd, NULL), FZGW_WG_RX_DONE); /* answered */
	for (uint32_t i = 0; i < n; i++)
		fzgw_pool_put(all[i]);
	free(all);
	dph_client_flush_direct(&c2, g);
	assert_true(fzgw_wg_peer_has_session(fzgw_peers_by_client(&g->dp->peers, "c2")->wg));
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), 0);
	dph_client_free(&c);
	dph_client_free(&c2);
	dph_gw_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coalesced_burst),
		cmocka_unit_test(test_empty_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
