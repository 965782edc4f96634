/* SPDX-License-Identifier: Apache-2.0 */
/* The data plane's output workers (gateway.workers): sharding, order per destination and per
 * client, every buffer back in the pool once, back-pressure when a ring is full, shutdown with
 * jobs in flight, and real WireGuard sessions through them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include "dp_harness.h"
#include "pkt_util.h"

#define N_DST 5  /* UDP receivers, one client endpoint each */
#define N_SRC 5  /* client tunnel addresses whose packets go to the "TUN" */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The "TUN": a UDP socket connected to @rx (writes are datagrams in order, as to a TUN). */
static int fake_tun(int *rx)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int buf = 4 << 20;

	*rx = dph_socket(&a);
	assert_true(fd >= 0);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* An IPv4 packet from 100.64.0.@src carrying @seq (4 bytes) after its 20-byte header. */
static struct fzgw_packet *tun_packet(struct dph_gw *g, uint8_t src, uint32_t seq)
{
	struct fzgw_packet *pkt = fzgw_pool_get(g->dp->pool);

	assert_non_null(pkt);
	memset(pkt->data, 0, 28);
	pkt->data[0] = 0x45;
	pkt->data[3] = 28;
	pkt->data[9] = 17;
	pkt->data[12] = 100, pkt->data[13] = 64, pkt->data[15] = src;
	pkt->data[16] = 10, pkt->data[19] = 1;
	memcpy(pkt->data + 20, &seq, 4);
	pkt->data[24] = src;
	pkt->len = 28;
	return pkt;
}

/* A "datagram" to receiver @d carrying @seq. */
static void queue_udp(struct dph_gw *g, const struct sockaddr_in *dst, uint8_t d, uint32_t seq)
{
	struct fzgw_packet *pkt = fzgw_pool_get(g->dp->pool);
	struct fzgw_wg_endpoint ep;

	assert_non_null(pkt);
	memset(&ep, 0, sizeof(ep));
	ep.in4 = *dst;
	ep.len = sizeof(ep.in4);
	memset(pkt->data, 0, 100);
	pkt->data[0] = d;
	memcpy(pkt->data + 4, &seq, 4);
	dp_queue_udp(g->dp, pkt, pkt->data, 100, &ep);
}

/* Reads what waits on @fd; byte @id_at of a datagram names its stream, the 4 bytes at @seq_at
 * its number. Checks each stream's order; counts per stream in @got. Returns the datagrams read. */
static int read_streams(int fd, size_t id_at, size_t seq_at, uint32_t *got, int n_streams)
{
	uint8_t buf[2048];
	int n = 0;
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		uint32_t seq;
		int s;

		assert_true((size_t)r > seq_at + 4);
		s = buf[id_at];
		assert_true(s < n_streams);
		memcpy(&seq, buf + seq_at, 4);
		assert_int_equal(seq, got[s]); /* in order, none lost, none twice */
		got[s]++;
		n++;
	}
	return n;
}

static bool all_equal(const uint32_t *got, int n, uint32_t want)
{
	for (int i = 0; i < n; i++)
		if (got[i] != want)
			return false;
	return true;
}

/* Threads of this process named @prefix<i>. */
static int threads_named(const char *prefix)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, prefix, strlen(prefix)))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

/* The same, once no more than @max are left (a joined thread's task may linger in /proc for a
 * moment after pthread_join: its exit clears the tid before the task goes), up to 2 s. */
static int threads_named_settled(const char *prefix, int max)
{
	uint64_t until = now_ms() + 2000;
	int n;

	while ((n = threads_named(prefix)) > max && now_ms() < until)
		poll(NULL, 0, 5);
	return n;
}

struct rig {
	struct dph_gw *g;
	int tun_rx;
	int dst_fd[N_DST];
	struct sockaddr_in dst[N_DST];
	uint32_t got_udp[N_DST], got_tun[N_SRC];
};

static void rig_new(struct rig *r, unsigned int threads, bool gso)
{
	memset(r, 0, sizeof(*r));
	r->g = dph_gw_new();
	r->g->dp->tun_fd = fake_tun(&r->tun_rx);
	r->g->dp->gso4.on = gso;
	for (int i = 0; i < N_DST; i++)
		r->dst_fd[i] = dph_socket(&r->dst[i]);
	assert_int_equal(dp_workers_start(r->g->dp, threads), 0);
	assert_true((r->g->dp->workers != NULL) == (threads > 1));
}

/* Reads until every stream got @want (up to 5 s). */
/* One packet of sequence @seq to every destination (UDP) and from every source (TUN). */
static void rig_round(struct rig *r, uint32_t seq)
{
	for (int i = 0; i < N_DST; i++)
		queue_udp(r->g, &r->dst[i], (uint8_t)i, seq);
	for (int i = 0; i < N_SRC; i++)
		dp_sink_in(&r->g->core, tun_packet(r->g, (uint8_t)i, seq));
}

static void rig_collect(struct rig *r, uint32_t want_udp, uint32_t want_tun)
{
	uint64_t until = now_ms() + 5000;

	while (now_ms() < until) {
		for (int i = 0; i < N_DST; i++)
			read_streams(r->dst_fd[i], 0, 4, r->got_udp, N_DST);
		read_streams(r->tun_rx, 24, 20, r->got_tun, N_SRC);
		if (all_equal(r->got_udp, N_DST, want_udp) && all_equal(r->got_tun, N_SRC, want_tun))
			return;
		poll(NULL, 0, 2);
	}
	for (int i = 0; i < N_DST; i++)
		assert_int_equal(r->got_udp[i], want_udp);
	for (int i = 0; i < N_SRC; i++)
		assert_int_equal(r->got_tun[i], want_tun);
}

static void rig_free(struct rig *r)
{
	dph_gw_free(r->g); /* stops the workers first, closes the "TUN" */
	close(r->tun_rx);
	for (int i = 0; i < N_DST; i++)
		close(r->dst_fd[i]);
}

/* ------------------------------------------------------------ tests */

static void recv_in_order(struct dph_gw *g, struct dph_client *c, uint32_t *next, uint32_t want);

static void test_threads_setting(void **state)
{
	(void)state;
	assert_int_equal(dp_workers_threads(1), 1);
	assert_int_equal(dp_workers_threads(3), 3);
	assert_int_equal(dp_workers_threads(1000), DP_WORKERS_MAX);
	assert_in_range(dp_workers_threads(0), 1, DP_WORKERS_AUTO_MAX);
	assert_int_equal(dp_workers_buffers(1), 0);
	assert_int_equal(dp_workers_buffers(3), 2 * (DP_WORKER_JOBS + DP_KINDS) * DP_BATCH);
}

static void test_shard(void **state)
{
	union fzgw_sockaddr a;
	uint8_t v4[20] = { 0x45 }, v6[40] = { 0x60 };
	int used_udp[3] = { 0 }, used_tun[3] = { 0 };

	(void)state;
	memset(&a, 0, sizeof(a));
	a.in4.sin_family = AF_INET;
	for (unsigned int i = 0; i < 64; i++) {
		unsigned int w;

		a.in4.sin_addr.s_addr = htonl(0xC6336400u + i);
		a.in4.sin_port = htons((uint16_t)(40000 + i));
		w = dp_shard_udp(&a, 3);
		assert_true(w < 3);
		assert_int_equal(dp_shard_udp(&a, 3), w); /* always the same */
		assert_int_equal(dp_shard_udp(&a, 1), 0);
		used_udp[w]++;
		v4[12] = 100, v4[13] = 64, v4[14] = (uint8_t)(i >> 8), v4[15] = (uint8_t)i;
		w = dp_shard_tun(v4, sizeof(v4), 3);
		assert_true(w < 3);
		v4[16] = (uint8_t)i; /* the destination does not matter */
		assert_int_equal(dp_shard_tun(v4, sizeof(v4), 3), w);
		used_tun[w]++;
	}
	for (int w = 0; w < 3; w++) {
		assert_true(used_udp[w] > 5); /* 64 clients spread over every worker */
		assert_true(used_tun[w] > 5);
	}
	/* a port is part of a client's endpoint */
	a.in4.sin_port = htons(1);
	{
		int seen = 0;

		for (int p = 1; p < 40; p++) {
			a.in4.sin_port = htons((uint16_t)p);
			seen |= 1 << dp_shard_udp(&a, 3);
		}
		assert_int_equal(seen, 7);
	}
	/* IPv6: by the source address only; short or other packets to worker 0 */
	v6[8] = 0xfd, v6[23] = 7;
	assert_true(dp_shard_tun(v6, sizeof(v6), 3) < 3);
	v6[24] = 1;
	assert_int_equal(dp_shard_tun(v6, sizeof(v6), 7), dp_shard_tun(v6, sizeof(v6), 7));
	assert_int_equal(dp_shard_tun(v6, 39, 3), 0);
	assert_int_equal(dp_shard_tun(v4, 19, 3), 0);
	v4[0] = 0x15;
	assert_int_equal(dp_shard_tun(v4, sizeof(v4), 3), 0);
}

/* Many batches to 5 destinations and from 5 sources through 3 workers: each stream in order,
 * all delivered, every buffer back in the pool once, counters as without workers. */
static void run_order(bool gso)
{
	struct rig r;
	uint32_t rounds = 400;

	rig_new(&r, 4, gso);
	assert_int_equal(threads_named("fzgw-out-"), 3);
	for (uint32_t seq = 0; seq < rounds; seq++) {
		if (seq % 7 == 0)
			r.g->dp->batching++;
		for (int i = 0; i < N_DST; i++) { /* two in a row: a run GSO can send as one */
			queue_udp(r.g, &r.dst[i], (uint8_t)i, 2 * seq);
			queue_udp(r.g, &r.dst[i], (uint8_t)i, 2 * seq + 1);
		}
		for (int i = 0; i < N_SRC; i++)
			dp_sink_in(&r.g->core, tun_packet(r.g, (uint8_t)i, seq));
		if (seq % 7 == 6) {
			r.g->dp->batching--;
			dp_flush_all(r.g->dp); /* the end of a batch hands everything over */
		}
		/* the harness's pool is 512 buffers: what the workers finished comes back (they
		 * may be slow on a loaded machine, then the test waits for them) */
		dp_workers_reap(r.g->dp);
		while (fzgw_pool_in_use(r.g->dp->pool) > 300) {
			poll(NULL, 0, 1);
			dp_workers_reap(r.g->dp);
		}
	}
	if (r.g->dp->batching) {
		r.g->dp->batching--;
		dp_flush_all(r.g->dp);
	}
	rig_collect(&r, 2 * rounds, rounds);
	dp_workers_stop(r.g->dp);
	assert_null(r.g->dp->workers);
	assert_int_equal(threads_named_settled("fzgw-out-", 0), 0);
	assert_int_equal(fzgw_pool_in_use(r.g->dp->pool), 0);
	assert_int_equal(dph_counter(r.g, "tx-udp-full"), 0);
	assert_int_equal(dph_counter(r.g, "rx-tun-full"), 0);
	if (gso)
		assert_true(dph_counter(r.g, "tx-udp-gso") > 0); /* runs to one client went as one */
	else
		assert_int_equal(dph_counter(r.g, "tx-udp-gso"), 0);
	rig_free(&r);
}

static void test_order_and_pool(void **state)
{
	(void)state;
	run_order(false);
}

static void test_order_gso(void **state)
{
	(void)state;
	run_order(true);
}

/* One thread: no worker, the writes happen at once on the caller's thread. */
static void test_one_thread_inline(void **state)
{
	struct rig r;

	(void)state;
	rig_new(&r, 1, false);
	assert_int_equal(threads_named_settled("fzgw-out-", 0), 0);
	rig_round(&r, 0);
	assert_int_equal(fzgw_pool_in_use(r.g->dp->pool), 0); /* written before the call returned */
	rig_collect(&r, 1, 1);
	rig_free(&r);
}

/* Jobs handed over and not yet written when the data plane stops: written, then joined. */
static void test_stop_in_flight(void **state)
{
	struct rig r;

	(void)state;
	rig_new(&r, 3, false);
	dp_workers_hold(r.g->dp, true);
	r.g->dp->batching++;
	for (uint32_t seq = 0; seq < 50; seq++)
		rig_round(&r, seq);
	r.g->dp->batching--;
	assert_int_equal(fzgw_pool_in_use(r.g->dp->pool), 50 * (N_DST + N_SRC));
	dp_flush_all(r.g->dp); /* handed over; the workers hold them */
	poll(NULL, 0, 20);
	dp_workers_reap(r.g->dp);
	assert_int_equal(fzgw_pool_in_use(r.g->dp->pool), 50 * (N_DST + N_SRC));
	dp_workers_stop(r.g->dp);
	assert_int_equal(fzgw_pool_in_use(r.g->dp->pool), 0);
	rig_collect(&r, 50, 50);
	rig_free(&r);
}

/* The same with the open jobs not even handed over, stopped through the data plane's stop. */
static void test_teardown_open_jobs(void **state)
{
	struct rig r;

	(void)state;
	rig_new(&r, 3, false);
	r.g->dp->batching++;
	for (int i = 0; i < N_DST; i++)
		queue_udp(r.g, &r.dst[i], (uint8_t)i, 0);
	r.g->dp->batching--;
	/* dph_gw_free -> fzgw_dataplane_stop: the workers drain before the socket closes (the
	 * pool is destroyed after, and LSan/ASan see anything left) */
	dph_gw_free(r.g);
	for (int i = 0; i < N_DST; i++) {
		uint64_t until = now_ms() + 2000;

		while (!r.got_udp[i] && now_ms() < until)
			read_streams(r.dst_fd[i], 0, 4, r.got_udp, N_DST);
		assert_int_equal(r.got_udp[i], 1);
		close(r.dst_fd[i]);
	}
	close(r.tun_rx);
}

static void *release_later(void *arg)
{
	poll(NULL, 0, 200);
	dp_workers_hold(arg, false);
	return NULL;
}

/* A full ring: the loop waits for its worker (counted), nothing is lost or reordered. */
static void test_ring_full(void **state)
{
	struct rig r;
	pthread_t t;
	uint64_t t0, took;
	uint32_t n = DP_WORKER_JOBS * 3;

	(void)state;
	rig_new(&r, 2, false); /* one worker: every job on one ring */
	dp_workers_hold(r.g->dp, true);
	/* not batching: every datagram is a job of its own */
	for (uint32_t seq = 0; seq < DP_WORKER_JOBS; seq++)
		queue_udp(r.g, &r.dst[0], 0, seq);
	assert_int_equal(dph_counter(r.g, "tx-worker-wait"), 0);
	assert_int_equal(pthread_create(&t, NULL, release_later, r.g->dp), 0);
	t0 = now_ms();
	for (uint32_t seq = DP_WORKER_JOBS; seq < n; seq++)
		queue_udp(r.g, &r.dst[0], 0, seq);
	took = now_ms() - t0;
	pthread_join(t, NULL);
	assert_true(took >= 150); /* it waited for the release */
	assert_true(dph_counter(r.g, "tx-worker-wait") >= 1);
	{
		uint64_t until = now_ms() + 5000;

		while (r.got_udp[0] < n && now_ms() < until) {
			read_streams(r.dst_fd[0], 0, 4, r.got_udp, N_DST);
			poll(NULL, 0, 2);
		}
	}
	assert_int_equal(r.got_udp[0], n);
	dp_workers_stop(r.g->dp);
	assert_int_equal(fzgw_pool_in_use(r.g->dp->pool), 0);
	rig_free(&r);
}

/* Real sessions: two clients, packets prepared on the loop, sealed and sent by the workers
 * (@threads - 1 >= DP_WORKERS_SEAL_MIN) or sealed on the loop and sent by the worker; then a
 * batch still open at shutdown, sealed and sent by the loop (dp_flush_udp_wait). */
static void run_sessions(unsigned int threads)
{
	struct dph_gw *g = dph_gw_new();
	struct dph_client c[2];
	uint32_t next[2] = { 0, 0 };

	assert_int_equal(dp_workers_start(g->dp, threads), 0);
	assert_int_equal(dp_workers_count(g->dp), threads - 1);
	dph_handshake(g, &c[0], "c0", 2); /* a new client with a session */
	dph_handshake(g, &c[1], "c1", 3);
	g->dp->batching++;
	for (uint32_t seq = 0; seq < 100; seq++) {
		dph_gw_send(g, "c0", 2, seq);
		dph_gw_send(g, "c1", 3, seq);
	}
	g->dp->batching--;
	dp_flush_all(g->dp);
	recv_in_order(g, c, next, 100);
	g->dp->batching++;
	for (uint32_t seq = 100; seq < 130; seq++) { /* less than a job: they stay open */
		dph_gw_send(g, "c0", 2, seq);
		dph_gw_send(g, "c1", 3, seq);
	}
	dp_flush_udp_wait(g->dp, 500);
	g->dp->batching--;
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), 0); /* sent before it returned */
	recv_in_order(g, c, next, 130);
	dp_workers_stop(g->dp);
	assert_int_equal(fzgw_pool_in_use(g->dp->pool), 0);
	for (int i = 0; i < 2; i++)
		dph_client_free(&c[i]);
	dph_gw_free(g);
}

static void test_sessions_sealed_by_workers(void **state)
{
	(void)state;
	run_sessions(1 + DP_WORKERS_SEAL_MIN);
}

static void test_sessions_one_worker(void **state)
{
	(void)state;
	run_sessions(2);
}

/* A seal done is a seal wiped: no copy of a send key stays in a job. */
static void test_seal_wipes(void **state)
{
	struct fzgw_wg_seal seal, zero;
	uint8_t msg[16 + 32 + 16];

	(void)state;
	memset(msg, 0, sizeof(msg));
	memset(&seal, 0xA5, sizeof(seal));
	seal.len = 32;
	fzgw_wg_seal(msg, &seal);
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&seal, &zero, sizeof(seal));
	for (size_t i = 16; i < sizeof(msg); i++)
		if (msg[i])
			return; /* the plaintext of zeros was encrypted and a tag written */
	fail_msg("nothing sealed");
}

/* Reads each client's datagrams until it decrypted packets up to @want, in order. */
static void recv_in_order(struct dph_gw *g, struct dph_client *c, uint32_t *next, uint32_t want)
{
	for (int i = 0; i < 2; i++) {
		uint64_t until = now_ms() + 5000;

		while (next[i] < want && now_ms() < until) {
			uint32_t seq = 0;
			int rc = dph_client_recv(&c[i], g, c[i].fd, &seq);

			if (rc == -1000) {
				poll(NULL, 0, 2);
				continue;
			}
			if (rc == FZGW_WG_RX_DATA) {
				assert_int_equal(seq, next[i]); /* in order */
				next[i]++;
			}
		}
		assert_int_equal(next[i], want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_setting),
		cmocka_unit_test(test_shard),
		cmocka_unit_test(test_order_and_pool),
		cmocka_unit_test(test_order_gso),
		cmocka_unit_test(test_one_thread_inline),
		cmocka_unit_test(test_stop_in_flight),
		cmocka_unit_test(test_teardown_open_jobs),
		cmocka_unit_test(test_ring_full),
		cmocka_unit_test(test_sessions_sealed_by_workers),
		cmocka_unit_test(test_sessions_one_worker),
		cmocka_unit_test(test_seal_wipes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
