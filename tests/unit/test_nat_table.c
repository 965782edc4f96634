/* SPDX-License-Identifier: Apache-2.0 */
/* The NAT session table with a fake clock: every timeout, ports, caps, expired tuples. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table.h"

enum { TCP = 6, UDP = 17, ICMP = 1, ICMP6 = 58, FIN = 0x01, SYN = 0x02, RST = 0x04, ACK = 0x10 };

#define S 1000ull /* ms */

static const struct nat_timeouts timeouts = {
	.tcp = (2 * 3600 + 4 * 60) * S,
	.udp = 120 * S,
	.icmp = 120 * S,
	.unconfirmed = 60 * S,
	.fin = 5 * S,
};

struct fixture {
	struct nat_table t;
	struct nat_tclient a, b;
	struct fzgw_addr proxy1, proxy2, real1, real2, proxy6, real6;
};

static struct fzgw_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct fzgw_addr r = { .family = 4, .bytes = { a, b, c, d } };

	return r;
}

static struct fzgw_addr v6(uint8_t last)
{
	struct fzgw_addr r = {
	    .family = 6,
	    .bytes = {0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, 0x80, 0x00, 0, 0, 0, 0, 0, 0, 0, last}};

	return r;
}

static int setup_limits(void **state, uint32_t max, uint32_t per_client, uint32_t expired)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct nat_limits lim = { max, per_client, expired };

	assert_non_null(f);
	assert_int_equal(nat_table_init(&f->t, &lim, &timeouts, 0x1234), 0);
	f->a.id = 1;
	f->b.id = 2;
	f->proxy1 = v4(100, 96, 0, 1);
	f->proxy2 = v4(100, 96, 0, 2);
	f->real1 = v4(10, 200, 0, 10);
	f->real2 = v4(10, 200, 0, 11);
	f->proxy6 = v6(1);
	f->real6 = v6(0x10);
	f->real6.bytes[0] = 0x20;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_limits(state, 100000, 70000, 1000);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nat_table_fini(&f->t);
	free(f);
	return 0;
}

static int fwd(struct fixture *f, struct nat_tclient *c, uint8_t proto, uint16_t port,
	       const struct fzgw_addr *proxy, const struct fzgw_addr *real, uint8_t flags,
	       uint64_t now, uint16_t *out_port)
{
	struct nat_entry *e = NULL;
	int rc = nat_table_forward(&f->t, c, proto, port, proxy, real, flags, now, &e);

	if (rc >= 0) {
		assert_non_null(e);
		if (out_port)
			*out_port = e->out_port;
	}
	return rc;
}

static int rev(struct fixture *f, struct nat_tclient *c, uint8_t proto, uint16_t port,
	       const struct fzgw_addr *real, uint8_t flags, uint64_t now, struct nat_entry **e)
{
	struct nat_entry *tmp;

	return nat_table_reverse(&f->t, c, proto, port, real, flags, now, e ? e : &tmp);
}

static void test_basic(void **state)
{
	struct fixture *f = *state;
	struct nat_entry *e;
	uint16_t p;

	assert_int_equal(fwd(f, &f->a, UDP, 5000, &f->proxy1, &f->real1, 0, 0, &p), 1);
	assert_int_equal(p, 5000); /* the port is kept when free */
	assert_int_equal(fwd(f, &f->a, UDP, 5000, &f->proxy1, &f->real1, 0, 10, &p), 0);
	assert_int_equal(p, 5000);
	assert_int_equal(rev(f, &f->a, UDP, 5000, &f->real1, 0, 20, &e), 0);
	assert_memory_equal(&e->proxy, &f->proxy1, sizeof(f->proxy1));
	assert_int_equal(e->in_port, 5000);
	assert_true(e->flags & NAT_F_REPLIED);
	/* unknown tuples are not ours */
	assert_int_equal(rev(f, &f->a, UDP, 5001, &f->real1, 0, 20, NULL), -ENOENT);
	assert_int_equal(rev(f, &f->a, TCP, 5000, &f->real1, 0, 20, NULL), -ENOENT);
	assert_int_equal(rev(f, &f->a, UDP, 5000, &f->real2, 0, 20, NULL), -ENOENT);
	assert_int_equal(rev(f, &f->b, UDP, 5000, &f->real1, 0, 20, NULL), -ENOENT);
	/* another client has its own table */
	assert_int_equal(fwd(f, &f->b, UDP, 5000, &f->proxy1, &f->real1, 0, 30, &p), 1);
	assert_int_equal(p, 5000);
	assert_int_equal(f->t.n_live, 2);
	assert_int_equal(f->a.n_live, 1);
	/* an existing session keeps its real IP even if the mapping moved meanwhile */
	assert_int_equal(fwd(f, &f->a, UDP, 5000, &f->proxy1, &f->real2, 0, 40, &p), 0);
	assert_int_equal(rev(f, &f->a, UDP, 5000, &f->real1, 0, 50, NULL), 0);
	/* IPv6 and ICMP ids */
	assert_int_equal(fwd(f, &f->a, ICMP6, 77, &f->proxy6, &f->real6, 0, 60, &p), 1);
	assert_int_equal(p, 77);
	assert_int_equal(rev(f, &f->a, ICMP6, 77, &f->real6, 0, 70, &e), 0);
	assert_memory_equal(&e->proxy, &f->proxy6, sizeof(f->proxy6));
}

static void test_port_collision(void **state)
{
	struct fixture *f = *state;
	struct fzgw_addr proxy3 = v4(100, 96, 0, 3), proxy4 = v4(100, 96, 0, 4);
	struct nat_entry *e;
	uint16_t p;

	/* two proxy IPs mapped onto one real IP: the same source port must differ outside */
	assert_int_equal(fwd(f, &f->a, TCP, 40000, &f->proxy1, &f->real1, SYN, 0, &p), 1);
	assert_int_equal(p, 40000);
	assert_int_equal(fwd(f, &f->a, TCP, 40000, &f->proxy2, &f->real1, SYN, 0, &p), 1);
	assert_int_equal(p, 40001);
	assert_int_equal(fwd(f, &f->a, TCP, 40000, &proxy3, &f->real1, SYN, 0, &p), 1);
	assert_int_equal(p, 40002);
	assert_int_equal(rev(f, &f->a, TCP, 40001, &f->real1, SYN | ACK, 1, &e), 0);
	assert_memory_equal(&e->proxy, &f->proxy2, sizeof(f->proxy2));
	assert_int_equal(e->in_port, 40000);
	/* another protocol or real IP does not collide */
	assert_int_equal(fwd(f, &f->a, UDP, 40000, &f->proxy2, &f->real1, 0, 0, &p), 1);
	assert_int_equal(p, 40000);
	assert_int_equal(fwd(f, &f->a, TCP, 40000, &proxy4, &f->real2, SYN, 0, &p), 1);
	assert_int_equal(p, 40000);
	/* the inside tuple is the key: the same one toward another real IP is that session */
	assert_int_equal(fwd(f, &f->a, TCP, 40000, &f->proxy2, &f->real2, SYN, 0, &p), 0);
	assert_int_equal(p, 40001);
	/* wrapping: 65535 taken goes to 1, not 0 */
	assert_int_equal(fwd(f, &f->a, UDP, 65535, &f->proxy1, &f->real2, 0, 0, &p), 1);
	assert_int_equal(p, 65535);
	assert_int_equal(fwd(f, &f->a, UDP, 65535, &f->proxy2, &f->real2, 0, 0, &p), 1);
	assert_int_equal(p, 1);
	assert_int_equal(fwd(f, &f->a, UDP, 65535, &proxy3, &f->real2, 0, 0, &p), 1);
	assert_int_equal(p, 2);
	/* port 0 is a port like any other */
	assert_int_equal(fwd(f, &f->a, UDP, 0, &f->proxy1, &f->real1, 0, 0, &p), 1);
	assert_int_equal(p, 0);
	assert_int_equal(fwd(f, &f->a, UDP, 0, &f->proxy2, &f->real1, 0, 0, &p), 1);
	assert_int_equal(p, 1);
}

static void test_exhaustion(void **state)
{
	struct fixture *f = *state;
	uint16_t p;

	/* 65536 sessions toward one real IP: every outside port is live */
	for (uint32_t port = 0; port <= 65535; port++)
		assert_int_equal(
		    fwd(f, &f->a, UDP, (uint16_t)port, &f->proxy1, &f->real1, 0, 0, &p), 1);
	assert_int_equal(fwd(f, &f->a, UDP, 5, &f->proxy2, &f->real1, 0, 0, &p), -EADDRINUSE);
	assert_int_equal(fwd(f, &f->a, UDP, 0, &f->proxy2, &f->real1, 0, 0, &p), -EADDRINUSE);
	/* the existing ones still translate (and the table grew along the way) */
	assert_int_equal(fwd(f, &f->a, UDP, 1234, &f->proxy1, &f->real1, 0, 1, &p), 0);
	assert_int_equal(p, 1234);
	for (uint32_t port = 0; port <= 65535; port += 4099)
		assert_int_equal(rev(f, &f->a, UDP, (uint16_t)port, &f->real1, 0, 1, NULL), 0);
	/* once one expires its port is free again, for the next in line */
	assert_int_equal(rev(f, &f->a, UDP, 7, &f->real1, RST, 2, NULL), 0); /* UDP: no RST */
	assert_true(f->t.mask + 1 >= 65536);
	/* the unconfirmed ones, but not 1234 which the client refreshed at 1 ms */
	assert_int_equal(nat_table_expire(&f->t, 60 * S), 65536 - 17 - 1);
	assert_int_equal(fwd(f, &f->a, UDP, 5, &f->proxy2, &f->real1, 0, 60 * S, &p), 1);
	assert_int_equal(p, 5);
}

static void test_caps(void **state)
{
	struct fixture *f;
	uint16_t p;

	teardown(state);
	setup_limits(state, 3, 2, 1000);
	f = *state;
	assert_int_equal(fwd(f, &f->a, UDP, 1, &f->proxy1, &f->real1, 0, 0, &p), 1);
	assert_int_equal(fwd(f, &f->a, UDP, 2, &f->proxy1, &f->real1, 0, 0, &p), 1);
	assert_int_equal(fwd(f, &f->a, UDP, 3, &f->proxy1, &f->real1, 0, 0, &p), -EDQUOT);
	/* an existing session is found whatever the caps */
	assert_int_equal(fwd(f, &f->a, UDP, 2, &f->proxy1, &f->real1, 0, 0, &p), 0);
	assert_int_equal(fwd(f, &f->b, UDP, 1, &f->proxy1, &f->real1, 0, 0, &p), 1);
	assert_int_equal(fwd(f, &f->b, UDP, 2, &f->proxy1, &f->real1, 0, 0, &p), -ENOSPC);
	assert_int_equal(f->t.n_live, 3);
	/* expiry makes room */
	assert_int_equal(nat_table_expire(&f->t, 60 * S), 3);
	assert_int_equal(fwd(f, &f->b, UDP, 2, &f->proxy1, &f->real1, 0, 60 * S, &p), 1);
}

/* The session is live at @last - 1 and gone at @last (lazy check through reverse()). */
static void expect_deadline(struct fixture *f, uint8_t proto, uint16_t port,
			    const struct fzgw_addr *real, uint64_t deadline)
{
	struct nat_entry *e;
	uint16_t p;

	assert_int_equal(nat_table_expire(&f->t, deadline - 1), 0);
	assert_int_equal(f->t.n_live, 1);
	assert_int_equal(nat_table_expire(&f->t, deadline), 1);
	assert_int_equal(f->t.n_live, 0);
	/* the late packet from the site is refused as an expired session */
	assert_int_equal(rev(f, &f->a, proto, port, real, 0, deadline, &e), -ESTALE);
	(void)p;
}

static void test_timeout_unconfirmed(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(fwd(f, &f->a, UDP, 5000, &f->proxy1, &f->real1, 0, 1000, NULL), 1);
	/* more packets from the client alone do not confirm it */
	assert_int_equal(fwd(f, &f->a, UDP, 5000, &f->proxy1, &f->real1, 0, 30 * S, NULL), 0);
	expect_deadline(f, UDP, 5000, &f->real1, 30 * S + 60 * S);
}

static void test_timeout_udp(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(fwd(f, &f->a, UDP, 5000, &f->proxy1, &f->real1, 0, 1000, NULL), 1);
	assert_int_equal(rev(f, &f->a, UDP, 5000, &f->real1, 0, 2000, NULL), 0);
	assert_int_equal(nat_entry_deadline(&f->t, f->t.live), 2000 + 120 * S);
	/* traffic either way keeps it: the last packet counts */
	assert_int_equal(fwd(f, &f->a, UDP, 5000, &f->proxy1, &f->real1, 0, 100 * S, NULL), 0);
	expect_deadline(f, UDP, 5000, &f->real1, 100 * S + 120 * S);
}

static void test_timeout_icmp(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(fwd(f, &f->a, ICMP, 9, &f->proxy1, &f->real1, 0, 0, NULL), 1);
	assert_int_equal(rev(f, &f->a, ICMP, 9, &f->real1, 0, 500, NULL), 0);
	expect_deadline(f, ICMP, 9, &f->real1, 500 + 120 * S);
}

static void test_timeout_tcp(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(fwd(f, &f->a, TCP, 40000, &f->proxy1, &f->real1, SYN, 0, NULL), 1);
	assert_int_equal(rev(f, &f->a, TCP, 40000, &f->real1, SYN | ACK, 10, NULL), 0);
	assert_int_equal(fwd(f, &f->a, TCP, 40000, &f->proxy1, &f->real1, ACK, 20, NULL), 0);
	/* 2 h 4 min after the last packet */
	expect_deadline(f, TCP, 40000, &f->real1, 20 + (2 * 3600 + 4 * 60) * S);
}

static void test_timeout_tcp_unconfirmed(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(fwd(f, &f->a, TCP, 40000, &f->proxy1, &f->real1, SYN, 0, NULL), 1);
	expect_deadline(f, TCP, 40000, &f->real1, 60 * S);
}

static void test_timeout_fin(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(fwd(f, &f->a, TCP, 40000, &f->proxy1, &f->real1, SYN, 0, NULL), 1);
	assert_int_equal(rev(f, &f->a, TCP, 40000, &f->real1, SYN | ACK, 10, NULL), 0);
	/* a FIN one way changes nothing */
	assert_int_equal(fwd(f, &f->a, TCP, 40000, &f->proxy1, &f->real1, FIN | ACK, 1000, NULL),
			 0);
	assert_int_equal(nat_entry_deadline(&f->t, f->t.live), 1000 + (2 * 3600 + 4 * 60) * S);
	/* both ways: 5 s after the last packet */
	assert_int_equal(rev(f, &f->a, TCP, 40000, &f->real1, FIN | ACK, 2000, NULL), 0);
	assert_int_equal(fwd(f, &f->a, TCP, 40000, &f->proxy1, &f->real1, ACK, 3000, NULL), 0);
	expect_deadline(f, TCP, 40000, &f->real1, 3000 + 5 * S);
}

static void test_timeout_fin_site_first(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(fwd(f, &f->a, TCP, 40000, &f->proxy1, &f->real1, SYN, 0, NULL), 1);
	assert_int_equal(rev(f, &f->a, TCP, 40000, &f->real1, FIN | ACK, 10, NULL), 0);
	assert_int_equal(fwd(f, &f->a, TCP, 40000, &f->proxy1, &f->real1, FIN | ACK, 20, NULL), 0);
	expect_deadline(f, TCP, 40000, &f->real1, 20 + 5 * S);
}

static void test_timeout_rst(void **state)
{
	struct fixture *f = *state;
	uint16_t p;

	assert_int_equal(fwd(f, &f->a, TCP, 40000, &f->proxy1, &f->real1, SYN, 0, NULL), 1);
	assert_int_equal(rev(f, &f->a, TCP, 40000, &f->real1, SYN | ACK, 10, NULL), 0);
	/* the RST itself is translated, then the session is gone at once */
	assert_int_equal(rev(f, &f->a, TCP, 40000, &f->real1, RST, 20, NULL), 0);
	assert_int_equal(rev(f, &f->a, TCP, 40000, &f->real1, ACK, 20, NULL), -ESTALE);
	/* a client RST too */
	assert_int_equal(fwd(f, &f->a, TCP, 40001, &f->proxy1, &f->real1, SYN, 30, &p), 1);
	assert_int_equal(fwd(f, &f->a, TCP, 40001, &f->proxy1, &f->real1, RST, 40, &p), 0);
	assert_int_equal(nat_table_expire(&f->t, 40), 1);
	/* UDP ignores TCP flags */
	assert_int_equal(fwd(f, &f->a, UDP, 40001, &f->proxy1, &f->real1, RST, 50, &p), 1);
	assert_int_equal(rev(f, &f->a, UDP, 40001, &f->real1, RST, 60, NULL), 0);
	assert_int_equal(rev(f, &f->a, UDP, 40001, &f->real1, 0, 70, NULL), 0);
}

static void test_expired_tuple(void **state)
{
	struct fixture *f = *state;
	struct nat_entry *e;
	uint16_t p;

	assert_int_equal(fwd(f, &f->a, UDP, 5000, &f->proxy1, &f->real1, 0, 0, &p), 1);
	assert_int_equal(rev(f, &f->a, UDP, 5000, &f->real1, 0, 1, NULL), 0);
	/* expiry found lazily by the next packet from the client: a fresh session */
	assert_int_equal(fwd(f, &f->a, UDP, 5000, &f->proxy1, &f->real1, 0, 1 + 120 * S, &p), 1);
	assert_int_equal(p, 5000); /* the remembered tuple is taken over */
	assert_int_equal(f->t.n_dead, 0);
	assert_int_equal(rev(f, &f->a, UDP, 5000, &f->real1, 0, 2 + 120 * S, &e), 0);
	/* expired again: the late reply is dropped, a packet to another port is not ours */
	assert_int_equal(nat_table_expire(&f->t, 500 * S), 1);
	assert_int_equal(f->t.n_dead, 1);
	assert_int_equal(f->a.n_dead, 1);
	assert_int_equal(rev(f, &f->a, UDP, 5000, &f->real1, 0, 501 * S, NULL), -ESTALE);
	assert_int_equal(rev(f, &f->a, UDP, 5000, &f->real1, 0, 9999 * S, NULL), -ESTALE);
	assert_int_equal(rev(f, &f->a, UDP, 5001, &f->real1, 0, 501 * S, NULL), -ENOENT);
	/* a reset forgets them too */
	nat_table_client_reset(&f->t, &f->a);
	assert_int_equal(rev(f, &f->a, UDP, 5000, &f->real1, 0, 501 * S, NULL), -ENOENT);
	assert_int_equal(f->t.n_dead + f->t.n_live + f->a.n_dead + f->a.n_live, 0);
}

static void test_expired_cap(void **state)
{
	struct fixture *f;

	teardown(state);
	setup_limits(state, 100, 100, 2);
	f = *state;
	for (uint16_t port = 1; port <= 3; port++)
		assert_int_equal(fwd(f, &f->a, UDP, port, &f->proxy1, &f->real1, 0, port, NULL), 1);
	assert_int_equal(nat_table_expire(&f->t, 100 * S), 3);
	/* the oldest expired tuple is forgotten first */
	assert_int_equal(f->t.n_dead, 2);
	assert_int_equal(rev(f, &f->a, UDP, 1, &f->real1, 0, 100 * S, NULL), -ENOENT);
	assert_int_equal(rev(f, &f->a, UDP, 2, &f->real1, 0, 100 * S, NULL), -ESTALE);
	assert_int_equal(rev(f, &f->a, UDP, 3, &f->real1, 0, 100 * S, NULL), -ESTALE);
	/* with no room at all nothing is remembered */
	f->t.lim.max_expired = 0;
	assert_int_equal(fwd(f, &f->a, UDP, 9, &f->proxy1, &f->real1, 0, 200 * S, NULL), 1);
	assert_int_equal(f->t.n_dead, 0);
	assert_int_equal(nat_table_expire(&f->t, 400 * S), 1);
	assert_int_equal(f->t.n_dead, 0);
	assert_int_equal(rev(f, &f->a, UDP, 9, &f->real1, 0, 400 * S, NULL), -ENOENT);
}

static void test_expire_proxy(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(fwd(f, &f->a, UDP, 1, &f->proxy1, &f->real1, 0, 0, NULL), 1);
	assert_int_equal(fwd(f, &f->a, UDP, 2, &f->proxy1, &f->real1, 0, 0, NULL), 1);
	assert_int_equal(fwd(f, &f->a, UDP, 3, &f->proxy2, &f->real1, 0, 0, NULL), 1);
	assert_int_equal(fwd(f, &f->b, UDP, 1, &f->proxy1, &f->real1, 0, 0, NULL), 1);
	assert_int_equal(nat_table_expire_proxy(&f->t, &f->a, &f->proxy1), 2);
	assert_int_equal(rev(f, &f->a, UDP, 1, &f->real1, 0, 1, NULL), -ESTALE);
	assert_int_equal(rev(f, &f->a, UDP, 3, &f->real1, 0, 1, NULL), 0);
	assert_int_equal(rev(f, &f->b, UDP, 1, &f->real1, 0, 1, NULL), 0);
	assert_int_equal(nat_table_expire_proxy(&f->t, &f->a, NULL), 1);
	assert_int_equal(f->a.n_live, 0);
	assert_int_equal(f->a.n_dead, 3);
	assert_int_equal(f->b.n_live, 1);
}

static void test_many(void **state)
{
	struct fixture *f = *state;
	struct nat_tclient clients[50];
	struct nat_entry *e;

	memset(clients, 0, sizeof(clients));
	for (int c = 0; c < 50; c++) {
		clients[c].id = (uint32_t)(10 + c);
		for (uint16_t p = 0; p < 400; p++)
			assert_int_equal(fwd(f, &clients[c], p % 2 ? TCP : UDP,
					     (uint16_t)(1000 + p), p % 3 ? &f->proxy1 : &f->proxy2,
					     &f->real1, 0, 0, NULL),
					 1);
	}
	assert_int_equal(f->t.n_live, 50 * 400);
	for (int c = 0; c < 50; c++) {
		for (uint16_t p = 0; p < 400; p++) {
			assert_int_equal(rev(f, &clients[c], p % 2 ? TCP : UDP,
					     (uint16_t)(1000 + p), &f->real1, 0, 1, &e),
					 0);
			assert_int_equal(e->in_port, 1000 + p);
			assert_ptr_equal(e->client, &clients[c]);
		}
	}
	for (int c = 0; c < 50; c += 2)
		nat_table_client_reset(&f->t, &clients[c]);
	assert_int_equal(f->t.n_live, 25 * 400);
	assert_int_equal(rev(f, &clients[1], UDP, 1000, &f->real1, 0, 1, NULL), 0);
	assert_int_equal(rev(f, &clients[0], UDP, 1000, &f->real1, 0, 1, NULL), -ENOENT);
}

static void test_reconfigure(void **state)
{
	struct fixture *f = *state;
	struct nat_timeouts to = timeouts;
	struct nat_limits lim = f->t.lim;

	assert_int_equal(fwd(f, &f->a, UDP, 1, &f->proxy1, &f->real1, 0, 0, NULL), 1);
	assert_int_equal(rev(f, &f->a, UDP, 1, &f->real1, 0, 0, NULL), 0);
	/* shorter timeouts apply to live sessions at once */
	to.udp = 3 * S;
	nat_table_configure(&f->t, &lim, &to);
	assert_int_equal(nat_table_expire(&f->t, 3 * S - 1), 0);
	assert_int_equal(nat_table_expire(&f->t, 3 * S), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_unconfirmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_icmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_tcp_unconfirmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_fin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_fin_site_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_tuple, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expire_proxy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconfigure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
