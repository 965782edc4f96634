/* SPDX-License-Identifier: Apache-2.0 */
/* Tests UDP GSO (which datagrams go as one send) and GRO (cutting a coalesced read), on
 * their own and through real sockets on loopback. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udp_offload.h"

static void addr4(union fzgw_sockaddr *sa, uint32_t host, uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	sa->in4.sin_family = AF_INET;
	sa->in4.sin_addr.s_addr = htonl(host);
	sa->in4.sin_port = htons(port);
}

static void addr6(union fzgw_sockaddr *sa, uint8_t last, uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	sa->in6.sin6_family = AF_INET6;
	sa->in6.sin6_addr = in6addr_loopback;
	sa->in6.sin6_addr.s6_addr[15] = last;
	sa->in6.sin6_port = htons(port);
}

/* ------------------------------------------------------------ planning */

struct plan {
	size_t lens[200];
	union fzgw_sockaddr dsts[200];
	struct fzgw_udp_run runs[200];
	size_t n, nr, covered;
};

static void plan(struct plan *p, size_t max_runs)
{
	p->nr = fzgw_udp_gso_plan(p->lens, p->dsts, p->n, p->runs, max_runs, &p->covered);
}

static void want_run(const struct plan *p, size_t k, size_t first, size_t n, size_t seg)
{
	assert_true(k < p->nr);
	assert_int_equal(p->runs[k].first, first);
	assert_int_equal(p->runs[k].n, n);
	assert_int_equal(p->runs[k].seg, seg);
}

static void test_plan_one_size(void **state)
{
	static struct plan p;

	(void)state;
	p.n = 150;
	for (size_t i = 0; i < p.n; i++) {
		p.lens[i] = 1000;
		addr4(&p.dsts[i], 0x0a000001, 51820);
	}
	plan(&p, 200);
	/* 64 segments at most per send */
	assert_int_equal(p.nr, 3);
	assert_int_equal(p.covered, 150);
	want_run(&p, 0, 0, 64, 1000);
	want_run(&p, 1, 64, 64, 1000);
	want_run(&p, 2, 128, 22, 1000);
}

static void test_plan_bytes(void **state)
{
	static struct plan p;

	(void)state;
	/* 1472-byte datagrams: 44 fit in 65 507 bytes, the 45th does not */
	p.n = 50;
	for (size_t i = 0; i < p.n; i++) {
		p.lens[i] = 1472;
		addr4(&p.dsts[i], 0x0a000001, 51820);
	}
	plan(&p, 200);
	assert_int_equal(p.nr, 2);
	want_run(&p, 0, 0, 44, 1472);
	want_run(&p, 1, 44, 6, 1472);
	assert_true(44 * 1472 <= FZGW_UDP_GSO_MAX_BYTES);
	assert_true(45 * 1472 > FZGW_UDP_GSO_MAX_BYTES);
}

static void test_plan_shorter_last(void **state)
{
	static struct plan p;
	const size_t lens[] = { 1000, 1000, 1000, 500, 1000, 400, 400, 600, 600, 600 };

	(void)state;
	p.n = sizeof(lens) / sizeof(lens[0]);
	for (size_t i = 0; i < p.n; i++) {
		p.lens[i] = lens[i];
		addr6(&p.dsts[i], 1, 51820);
	}
	plan(&p, 200);
	/* a shorter one ends its run; a longer one starts a new one */
	assert_int_equal(p.nr, 4);
	want_run(&p, 0, 0, 4, 1000);
	want_run(&p, 1, 4, 2, 1000);
	want_run(&p, 2, 6, 1, 400);
	want_run(&p, 3, 7, 3, 600);
}

static void test_plan_destinations(void **state)
{
	static struct plan p;

	(void)state;
	p.n = 9;
	for (size_t i = 0; i < p.n; i++)
		p.lens[i] = 800;
	addr4(&p.dsts[0], 0x0a000001, 51820);
	addr4(&p.dsts[1], 0x0a000001, 51820);
	addr4(&p.dsts[2], 0x0a000002, 51820); /* another address */
	addr4(&p.dsts[3], 0x0a000002, 51821); /* another port */
	addr4(&p.dsts[4], 0x0a000002, 51821);
	addr6(&p.dsts[5], 1, 51821);          /* another family */
	addr6(&p.dsts[6], 1, 51821);
	addr6(&p.dsts[7], 1, 51821);
	p.dsts[7].in6.sin6_scope_id = 3;      /* another scope */
	addr4(&p.dsts[8], 0x0a000001, 51820); /* the first one again: not reordered */
	plan(&p, 200);
	assert_int_equal(p.nr, 6);
	want_run(&p, 0, 0, 2, 800);
	want_run(&p, 1, 2, 1, 800);
	want_run(&p, 2, 3, 2, 800);
	want_run(&p, 3, 5, 2, 800);
	want_run(&p, 4, 7, 1, 800);
	want_run(&p, 5, 8, 1, 800);
}

static void test_plan_odd(void **state)
{
	static struct plan p;

	(void)state;
	/* empty datagrams and ones too large to be segments stay alone */
	p.n = 6;
	p.lens[0] = 0;
	p.lens[1] = 0;
	p.lens[2] = 70000;
	p.lens[3] = 70000;
	p.lens[4] = 100;
	p.lens[5] = 0;
	for (size_t i = 0; i < p.n; i++)
		addr4(&p.dsts[i], 0x7f000001, 9);
	plan(&p, 200);
	assert_int_equal(p.nr, 6);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(p.runs[i].n, 1);
	/* max_runs: it stops and says how far it got */
	p.n = 10;
	for (size_t i = 0; i < p.n; i++) {
		p.lens[i] = 100 + i;
		addr4(&p.dsts[i], 0x7f000001, 9);
	}
	plan(&p, 3);
	assert_int_equal(p.nr, 3);
	assert_int_equal(p.covered, 3);
	plan(&p, 0);
	assert_int_equal(p.nr, 0);
	assert_int_equal(p.covered, 0);
}

/* ------------------------------------------------------------ cutting */

static void cut(size_t len, uint16_t gso, int want_n, const size_t *want_lens)
{
	static uint8_t buf[FZGW_UDP_GRO_MAX_LEN];
	struct fzgw_udp_gro_iter it;
	const uint8_t *p;
	size_t l, off = 0;
	int n, k = 0;

	n = fzgw_udp_gro_start(&it, buf, len, gso);
	assert_int_equal(n, want_n);
	while (fzgw_udp_gro_next(&it, &p, &l)) {
		assert_true(k < want_n);
		assert_ptr_equal(p, buf + off); /* the datagrams tile the read, in order */
		assert_int_equal(l, want_lens ? want_lens[k] : gso);
		off += l;
		k++;
	}
	if (want_n < 0) {
		assert_int_equal(k, 0);
		return;
	}
	assert_int_equal(k, want_n);
	assert_int_equal(off, len);
	assert_false(fzgw_udp_gro_next(&it, &p, &l));
}

static void test_gro_split(void **state)
{
	const size_t shorter[] = { 1000, 1000, 1000, 500 };
	const size_t whole[] = { 1234 };
	const size_t empty[] = { 0 };
	const size_t one[] = { 999 };

	(void)state;
	cut(4000, 1000, 4, NULL);
	cut(3500, 1000, 4, shorter);
	cut(1234, 0, 1, whole);    /* no segment size: one datagram */
	cut(999, 1000, 1, one);    /* shorter than a segment */
	cut(0, 0, 1, empty);       /* an empty datagram is one */
	cut(0, 1000, 1, empty);
	cut(64 * 1000, 1000, 64, NULL);
	cut(64 * 1024, 1024, 64, NULL);
	/* hostile: more segments than the kernel ever coalesces */
	cut(64 * 1000 + 1, 1000, -EINVAL, NULL);
	cut(65, 1, -EINVAL, NULL);
	cut(FZGW_UDP_GRO_MAX_LEN, 1, -EINVAL, NULL);
	cut(64, 1, 64, NULL);
}

/* ------------------------------------------------------------ sockets */

#define SEG 1000

static void fill(uint8_t *b, size_t len, unsigned int i)
{
	b[0] = (uint8_t)(i >> 8);
	b[1] = (uint8_t)i;
	for (size_t k = 2; k < len; k++)
		b[k] = (uint8_t)(i * 7 + k);
}

static void check(const uint8_t *b, size_t len, size_t want_len, unsigned int i)
{
	uint8_t want[FZGW_UDP_GRO_MAX_LEN];

	assert_int_equal(len, want_len);
	fill(want, want_len, i);
	assert_memory_equal(b, want, len);
}

struct sock_case {
	struct fzgw_udp a, b;
	uint8_t tx[80][SEG];
	uint8_t *bufs[80];
	size_t lens[80];
	union fzgw_sockaddr dsts[80];
};

static void loop_dst(union fzgw_sockaddr *sa, int family, uint16_t port)
{
	if (family == AF_INET)
		addr4(sa, INADDR_LOOPBACK, port);
	else
		addr6(sa, 1, port);
}

/* 40 datagrams of SEG and a shorter one: one GSO send; read back one by one. */
static void gso_roundtrip(int family)
{
	static struct sock_case c;
	static uint8_t rx[SEG];
	struct fzgw_udp_gso g = { .on = true };
	struct fzgw_udp_tx_result res;
	int fd_a, fd_b, r;

	assert_int_equal(fzgw_udp_open(&c.a, 0, FZGW_UDP_BUF_DEFAULT), 0);
	assert_int_equal(fzgw_udp_open(&c.b, 0, FZGW_UDP_BUF_DEFAULT), 0);
	fd_a = family == AF_INET ? c.a.fd4 : c.a.fd6;
	fd_b = family == AF_INET ? c.b.fd4 : c.b.fd6;
	if (!(fzgw_udp_probe_offloads(fd_a) & FZGW_UDP_CAP_GSO)) {
		fzgw_udp_close(&c.a);
		fzgw_udp_close(&c.b);
		skip();
	}
	for (unsigned int i = 0; i < 41; i++) {
		c.bufs[i] = c.tx[i];
		c.lens[i] = i == 40 ? 300 : SEG;
		fill(c.tx[i], c.lens[i], i);
		loop_dst(&c.dsts[i], family, c.b.port);
	}
	r = fzgw_udp_send_gso(fd_a, &g, c.bufs, c.lens, c.dsts, 41, &res);
	assert_int_equal(r, 41);
	assert_true(g.on);
	assert_int_equal(res.gso_msgs, 1);
	assert_int_equal(res.gso_segs, 41);
	assert_int_equal(res.refused, 0);
	assert_int_equal(res.turned_off, 0);
	/* a socket without GRO gets them cut by the kernel: 41 datagrams */
	for (unsigned int i = 0; i < 41; i++) {
		uint8_t *b = rx;
		size_t l = sizeof(rx);

		assert_int_equal(fzgw_udp_recv_batch(fd_b, &b, &l, NULL, 1), 1);
		check(rx, l, i == 40 ? 300 : SEG, i);
	}
	{
		uint8_t *b = rx;
		size_t l = sizeof(rx);

		assert_int_equal(fzgw_udp_recv_batch(fd_b, &b, &l, NULL, 1), -EAGAIN);
	}
	fzgw_udp_close(&c.a);
	fzgw_udp_close(&c.b);
}

static void test_gso_v4(void **state)
{
	(void)state;
	gso_roundtrip(AF_INET);
}

static void test_gso_v6(void **state)
{
	(void)state;
	gso_roundtrip(AF_INET6);
}

/* GSO sends to a socket with GRO: the kernel hands over the super-datagram; cut it. */
static void gro_roundtrip(int family)
{
	static struct sock_case c;
	static uint8_t big[2][FZGW_UDP_GRO_MAX_LEN];
	struct fzgw_udp_gso g = { .on = true };
	struct fzgw_udp_tx_result res;
	struct fzgw_udp_gro_iter it;
	uint8_t *bufs[2] = { big[0], big[1] };
	size_t lens[2] = { sizeof(big[0]), sizeof(big[1]) };
	union fzgw_sockaddr srcs[2];
	uint16_t gso[2] = { 7, 7 };
	unsigned int i = 0;
	const uint8_t *p;
	size_t l;
	int fd_a, fd_b, r, n;

	assert_int_equal(fzgw_udp_open(&c.a, 0, FZGW_UDP_BUF_DEFAULT), 0);
	assert_int_equal(fzgw_udp_open(&c.b, 0, FZGW_UDP_BUF_DEFAULT), 0);
	fd_a = family == AF_INET ? c.a.fd4 : c.a.fd6;
	fd_b = family == AF_INET ? c.b.fd4 : c.b.fd6;
	if ((fzgw_udp_probe_offloads(fd_b) & (FZGW_UDP_CAP_GSO | FZGW_UDP_CAP_GRO)) !=
	    (FZGW_UDP_CAP_GSO | FZGW_UDP_CAP_GRO)) {
		fzgw_udp_close(&c.a);
		fzgw_udp_close(&c.b);
		skip();
	}
	assert_int_equal(fzgw_udp_gro_enable(fd_b), 0);
	for (i = 0; i < 30; i++) {
		c.bufs[i] = c.tx[i];
		c.lens[i] = i == 29 ? 17 : SEG;
		fill(c.tx[i], c.lens[i], i);
		loop_dst(&c.dsts[i], family, c.b.port);
	}
	/* then a lone datagram to the same socket */
	c.bufs[30] = c.tx[30];
	c.lens[30] = 555;
	fill(c.tx[30], 555, 30);
	loop_dst(&c.dsts[30], family, c.b.port);
	r = fzgw_udp_send_gso(fd_a, &g, c.bufs, c.lens, c.dsts, 31, &res);
	assert_int_equal(r, 31);
	assert_int_equal(res.gso_msgs, 1);
	assert_int_equal(res.gso_segs, 30);
	r = fzgw_udp_recv_gro(fd_b, bufs, lens, srcs, gso, 2);
	assert_int_equal(r, 2);
	assert_int_equal(lens[0], 29 * SEG + 17);
	assert_int_equal(gso[0], SEG);
	assert_int_equal(lens[1], 555);
	assert_int_equal(gso[1], 0);
	assert_int_equal(srcs[0].sa.sa_family, family);
	n = fzgw_udp_gro_start(&it, big[0], lens[0], gso[0]);
	assert_int_equal(n, 30);
	i = 0;
	while (fzgw_udp_gro_next(&it, &p, &l)) {
		check(p, l, i == 29 ? 17 : SEG, i);
		i++;
	}
	assert_int_equal(i, 30);
	check(big[1], lens[1], 555, 30);
	fzgw_udp_close(&c.a);
	fzgw_udp_close(&c.b);
}

static void test_gro_v4(void **state)
{
	(void)state;
	gro_roundtrip(AF_INET);
}

static void test_gro_v6(void **state)
{
	(void)state;
	gro_roundtrip(AF_INET6);
}

/* Reads n datagrams from @fd one by one and checks them against c->tx. */
static void read_back(int fd, const struct sock_case *c, unsigned int from, unsigned int n)
{
	static uint8_t rx[SEG];

	for (unsigned int i = from; i < from + n; i++) {
		uint8_t *b = rx;
		size_t l = sizeof(rx);

		assert_int_equal(fzgw_udp_recv_batch(fd, &b, &l, NULL, 1), 1);
		check(rx, l, c->lens[i], i);
	}
}

/* The kernel refuses GSO (SO_NO_CHECK makes it EINVAL): off once, everything still goes. */
static void test_gso_fallback(void **state)
{
	static struct sock_case c;
	struct fzgw_udp_gso g = { .on = true };
	struct fzgw_udp_tx_result res;
	uint8_t *b;
	size_t l;
	int one = 1;
	int r;

	(void)state;
	assert_int_equal(fzgw_udp_open(&c.a, 0, FZGW_UDP_BUF_DEFAULT), 0);
	assert_int_equal(fzgw_udp_open(&c.b, 0, FZGW_UDP_BUF_DEFAULT), 0);
	if (!(fzgw_udp_probe_offloads(c.a.fd4) & FZGW_UDP_CAP_GSO) ||
	    setsockopt(c.a.fd4, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)) < 0) {
		fzgw_udp_close(&c.a);
		fzgw_udp_close(&c.b);
		skip();
	}
	for (unsigned int i = 0; i < 20; i++) {
		c.bufs[i] = c.tx[i];
		c.lens[i] = i < 3 ? 100 + i : SEG; /* three alone first, then a run */
		fill(c.tx[i], c.lens[i], i);
		addr4(&c.dsts[i], INADDR_LOOPBACK, c.b.port);
	}
	r = fzgw_udp_send_gso(c.a.fd4, &g, c.bufs, c.lens, c.dsts, 20, &res);
	assert_int_equal(r, 20);
	assert_false(g.on);
	assert_int_equal(g.off_err, EINVAL);
	assert_int_equal(res.turned_off, EINVAL);
	assert_int_equal(res.gso_msgs, 0);
	assert_int_equal(res.refused, 0);
	read_back(c.b.fd4, &c, 0, 20);
	/* off stays off: the next call sends one by one and says nothing new */
	r = fzgw_udp_send_gso(c.a.fd4, &g, c.bufs + 3, c.lens + 3, c.dsts + 3, 10, &res);
	assert_int_equal(r, 10);
	assert_int_equal(res.turned_off, 0);
	assert_int_equal(res.gso_msgs, 0);
	read_back(c.b.fd4, &c, 3, 10);
	b = c.tx[79];
	l = SEG;
	assert_int_equal(fzgw_udp_recv_batch(c.b.fd4, &b, &l, NULL, 1), -EAGAIN);
	fzgw_udp_close(&c.a);
	fzgw_udp_close(&c.b);
}

/* A run the kernel refuses for its destination is skipped whole; GSO stays on. */
static void test_gso_refused_run(void **state)
{
	static struct sock_case c;
	struct fzgw_udp_gso g = { .on = true };
	struct fzgw_udp_tx_result res;
	int r;

	(void)state;
	assert_int_equal(fzgw_udp_open(&c.a, 0, FZGW_UDP_BUF_DEFAULT), 0);
	assert_int_equal(fzgw_udp_open(&c.b, 0, FZGW_UDP_BUF_DEFAULT), 0);
	if (!(fzgw_udp_probe_offloads(c.a.fd6) & FZGW_UDP_CAP_GSO)) {
		fzgw_udp_close(&c.a);
		fzgw_udp_close(&c.b);
		skip();
	}
	for (unsigned int i = 0; i < 16; i++) {
		c.bufs[i] = c.tx[i];
		c.lens[i] = SEG;
		fill(c.tx[i], c.lens[i], i);
		/* 4..7: an IPv4 address on the v6-only socket (refused: EINVAL or EAFNOSUPPORT) */
		if (i >= 4 && i < 8)
			addr4(&c.dsts[i], INADDR_LOOPBACK, c.b.port);
		else
			addr6(&c.dsts[i], 1, c.b.port);
	}
	r = fzgw_udp_send_gso(c.a.fd6, &g, c.bufs, c.lens, c.dsts, 16, &res);
	assert_int_equal(r, 16);
	assert_int_equal(res.refused, 4);
	assert_true(g.on);
	assert_int_equal(res.turned_off, 0);
	assert_int_equal(res.gso_msgs, 2);
	assert_int_equal(res.gso_segs, 12);
	read_back(c.b.fd6, &c, 0, 4);
	read_back(c.b.fd6, &c, 8, 8);
	fzgw_udp_close(&c.a);
	fzgw_udp_close(&c.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_one_size),
		cmocka_unit_test(test_plan_bytes),
		cmocka_unit_test(test_plan_shorter_last),
		cmocka_unit_test(test_plan_destinations),
		cmocka_unit_test(test_plan_odd),
		cmocka_unit_test(test_gro_split),
		cmocka_unit_test(test_gso_v4),
		cmocka_unit_test(test_gso_v6),
		cmocka_unit_test(test_gro_v4),
		cmocka_unit_test(test_gro_v6),
		cmocka_unit_test(test_gso_fallback),
		cmocka_unit_test(test_gso_refused_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
