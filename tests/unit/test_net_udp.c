/* SPDX-License-Identifier: Apache-2.0 */
/* Tests the UDP socket pair and the recvmmsg()/sendmmsg() batches on loopback. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "udp.h"

#define DGRAM_MAX 1400

struct pair {
	struct fzgw_udp a, b;
};

static int setup(void **state)
{
	static struct pair p;

	if (fzgw_udp_open(&p.a, 0, FZGW_UDP_BUF_DEFAULT) ||
	    fzgw_udp_open(&p.b, 0, FZGW_UDP_BUF_DEFAULT))
		return -1;
	*state = &p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	fzgw_udp_close(&p->a);
	fzgw_udp_close(&p->b);
	return 0;
}

static void loopback(union fzgw_sockaddr *sa, int family, uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	if (family == AF_INET) {
		sa->in4.sin_family = AF_INET;
		sa->in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa->in4.sin_port = htons(port);
	} else {
		sa->in6.sin6_family = AF_INET6;
		sa->in6.sin6_addr = in6addr_loopback;
		sa->in6.sin6_port = htons(port);
	}
}

/* Datagram i: its index in the first two bytes, then a pattern; lengths vary. */
static size_t fill(uint8_t *buf, unsigned int i)
{
	size_t len = 40 + (i * 37) % (DGRAM_MAX - 40);

	buf[0] = (uint8_t)(i >> 8);
	buf[1] = (uint8_t)i;
	for (size_t k = 2; k < len; k++)
		buf[k] = (uint8_t)(i + k);
	return len;
}

static void check(const uint8_t *buf, size_t len, unsigned int i)
{
	uint8_t want[DGRAM_MAX];

	assert_int_equal(len, fill(want, i));
	assert_memory_equal(buf, want, len);
}

/* Receives exactly @n datagrams into rx (in order), then checks the queue is empty. */
static void recv_all(int fd, uint8_t (*rx)[DGRAM_MAX], size_t *lens, union fzgw_sockaddr *srcs,
		     size_t n)
{
	uint8_t *bufs[FZGW_UDP_BATCH_MAX];
	size_t got = 0;
	int calls = 0;
	int r;

	while (got < n) {
		size_t want = n - got < FZGW_UDP_BATCH_MAX ? n - got : FZGW_UDP_BATCH_MAX;

		for (size_t i = 0; i < want; i++) {
			bufs[i] = rx[got + i];
			lens[got + i] = DGRAM_MAX;
		}
		r = fzgw_udp_recv_batch(fd, bufs, lens + got, srcs + got, want);
		assert_true(r > 0);
		assert_true((size_t)r <= want);
		got += (size_t)r;
		/* loopback delivers inside sendmmsg(), so nothing is still in flight */
		assert_true(++calls <= 8);
	}
	bufs[0] = rx[0];
	lens[n] = DGRAM_MAX;
	assert_int_equal(fzgw_udp_recv_batch(fd, bufs, &lens[n], NULL, 1), -EAGAIN);
}

static void test_open(void **state)
{
	struct pair *p = *state;
	struct fzgw_udp u;
	int v = 0;
	socklen_t l = sizeof(v);
	int fds[4] = { p->a.fd4, p->a.fd6, p->b.fd4, p->b.fd6 };

	assert_true(p->a.port != 0);
	assert_true(p->b.port != 0);
	assert_true(p->a.port != p->b.port);
	for (int i = 0; i < 4; i++) {
		assert_true(fds[i] >= 0);
		assert_true(fcntl(fds[i], F_GETFL) & O_NONBLOCK);
		assert_true(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
		/* raised at least past the usual 208 KB default (root: forced to the full size) */
		l = sizeof(v);
		assert_int_equal(getsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &v, &l), 0);
		if (geteuid() == 0)
			assert_true(v >= FZGW_UDP_BUF_DEFAULT);
		l = sizeof(v);
		assert_int_equal(getsockopt(fds[i], SOL_SOCKET, SO_SNDBUF, &v, &l), 0);
		if (geteuid() == 0)
			assert_true(v >= FZGW_UDP_BUF_DEFAULT);
		/* the original's FIREZONE_MARK, so a policy rule can keep them out of the tunnel */
		l = sizeof(v);
		assert_int_equal(getsockopt(fds[i], SOL_SOCKET, SO_MARK, &v, &l), 0);
		if (geteuid() == 0)
			assert_int_equal((unsigned int)v, FZGW_UDP_MARK);
	}
	l = sizeof(v);
	assert_int_equal(getsockopt(p->a.fd6, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l), 0);
	assert_int_equal(v, 1);

	/* the same port again is taken, for both families */
	assert_int_equal(fzgw_udp_open(&u, p->a.port, 0), -EADDRINUSE);
	assert_int_equal(u.fd4, -1);
	assert_int_equal(u.fd6, -1);
	assert_int_equal(fzgw_udp_socket(AF_INET, p->a.port, 0, NULL), -EADDRINUSE);
	assert_int_equal(fzgw_udp_socket(AF_INET6, p->a.port, 0, NULL), -EADDRINUSE);
	assert_int_equal(fzgw_udp_socket(AF_UNIX, 0, 0, NULL), -EAFNOSUPPORT);

	/* a fixed free port is used as given */
	{
		uint16_t port = 0;
		int fd = fzgw_udp_socket(AF_INET6, 0, 0, &port);

		assert_true(fd >= 0);
		close(fd);
		if (fzgw_udp_open(&u, port, 0) == 0) {
			assert_int_equal(u.port, port);
			fzgw_udp_close(&u);
			assert_int_equal(u.fd4, -1);
		}
	}
}

static void test_empty_is_eagain(void **state)
{
	struct pair *p = *state;
	uint8_t buf[64];
	uint8_t *bufs[1] = { buf };
	size_t lens[1] = { sizeof(buf) };

	assert_int_equal(fzgw_udp_recv_batch(p->b.fd4, bufs, lens, NULL, 1), -EAGAIN);
	assert_int_equal(fzgw_udp_recv_batch(p->b.fd6, bufs, lens, NULL, 1), -EAGAIN);
	assert_int_equal(fzgw_udp_recv_batch(p->b.fd6, bufs, lens, NULL, 0), -EINVAL);
}

static void batch_roundtrip(struct pair *p, int family, size_t n)
{
	static uint8_t tx[200][DGRAM_MAX], rx[201][DGRAM_MAX];
	uint8_t *bufs[200];
	size_t lens[201];
	union fzgw_sockaddr dsts[200], srcs[201], want_src;
	size_t refused = 99;
	int sfd = family == AF_INET ? p->a.fd4 : p->a.fd6;
	int rfd = family == AF_INET ? p->b.fd4 : p->b.fd6;

	assert_true(n <= 200);
	for (size_t i = 0; i < n; i++) {
		bufs[i] = tx[i];
		lens[i] = fill(tx[i], (unsigned int)i);
		loopback(&dsts[i], family, p->b.port);
	}
	assert_int_equal(fzgw_udp_send_batch(sfd, bufs, lens, dsts, n, &refused), (int)n);
	assert_int_equal(refused, 0);

	recv_all(rfd, rx, lens, srcs, n);
	loopback(&want_src, family, p->a.port);
	for (size_t i = 0; i < n; i++) {
		check(rx[i], lens[i], (unsigned int)i);
		assert_int_equal(srcs[i].sa.sa_family, family);
		if (family == AF_INET)
			assert_memory_equal(&srcs[i].in4, &want_src.in4, sizeof(want_src.in4));
		else
			assert_memory_equal(&srcs[i].in6.sin6_addr, &in6addr_loopback, 16);
		if (family == AF_INET6)
			assert_int_equal(ntohs(srcs[i].in6.sin6_port), p->a.port);
	}
}

static void test_batch_v4(void **state)
{
	batch_roundtrip(*state, AF_INET, FZGW_UDP_BATCH_MAX);
}

static void test_batch_v6(void **state)
{
	batch_roundtrip(*state, AF_INET6, FZGW_UDP_BATCH_MAX);
}

static void test_batch_larger_than_one_call(void **state)
{
	/* 64 + 64 + 2: the sender splits the batch, the receiver takes three calls */
	batch_roundtrip(*state, AF_INET6, 130);
	batch_roundtrip(*state, AF_INET, 130);
}

static void test_refused_datagrams_are_skipped(void **state)
{
	struct pair *p = *state;
	static uint8_t tx[4][DGRAM_MAX], rx[4][DGRAM_MAX];
	uint8_t *bufs[4];
	size_t lens[5];
	union fzgw_sockaddr dsts[4], srcs[4];
	size_t refused = 0;

	for (unsigned int i = 0; i < 4; i++) {
		bufs[i] = tx[i];
		lens[i] = fill(tx[i], i);
		loopback(&dsts[i], AF_INET6, p->b.port);
	}
	/* an IPv4 destination on the IPv6-only socket, and a datagram over 64 KB */
	loopback(&dsts[1], AF_INET, p->b.port);
	lens[2] = 70000;
	{
		static uint8_t big[70000];

		bufs[2] = big;
	}
	assert_int_equal(fzgw_udp_send_batch(p->a.fd6, bufs, lens, dsts, 4, &refused), 4);
	assert_int_equal(refused, 2);
	recv_all(p->b.fd6, rx, lens, srcs, 2);
	check(rx[0], lens[0], 0);
	check(rx[1], lens[1], 3);

	/* a bad first datagram is counted, not reported as the call's error */
	assert_int_equal(fzgw_udp_send_batch(p->a.fd4, bufs, lens, dsts, 1, &refused), 1);
	assert_int_equal(refused, 1);
	/* a closed socket is an error of the call */
	assert_int_equal(fzgw_udp_send_batch(-1, bufs, lens, dsts, 1, NULL), -EBADF);
	assert_int_equal(fzgw_udp_send_batch(p->a.fd4, bufs, lens, dsts, 0, &refused), 0);
}

static void test_truncated_datagram_reports_real_length(void **state)
{
	struct pair *p = *state;
	uint8_t tx[1000], rx[100];
	uint8_t *tbufs[1] = { tx }, *rbufs[1] = { rx };
	size_t tlen[1] = { sizeof(tx) }, rlen[1] = { sizeof(rx) };
	union fzgw_sockaddr dst;

	memset(tx, 0x5a, sizeof(tx));
	loopback(&dst, AF_INET, p->b.port);
	assert_int_equal(fzgw_udp_send_batch(p->a.fd4, tbufs, tlen, &dst, 1, NULL), 1);
	assert_int_equal(fzgw_udp_recv_batch(p->b.fd4, rbufs, rlen, NULL, 1), 1);
	assert_int_equal(rlen[0], sizeof(tx));
	assert_int_equal(rx[99], 0x5a);
}

static void test_probe_offloads(void **state)
{
	struct pair *p = *state;
	int caps = fzgw_udp_probe_offloads(p->a.fd4);

	assert_true(caps >= 0);
	/* informational: every kernel since 5.0 has both */
	print_message("UDP offloads:%s%s\n", caps & FZGW_UDP_CAP_GSO ? " GSO" : "",
		      caps & FZGW_UDP_CAP_GRO ? " GRO" : "");
	assert_int_equal(fzgw_udp_probe_offloads(-1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_empty_is_eagain),
		cmocka_unit_test(test_batch_v4),
		cmocka_unit_test(test_batch_v6),
		cmocka_unit_test(test_batch_larger_than_one_call),
		cmocka_unit_test(test_refused_datagrams_are_skipped),
		cmocka_unit_test(test_truncated_datagram_reports_real_length),
		cmocka_unit_test(test_probe_offloads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
