/* SPDX-License-Identifier: Apache-2.0 */
/* The peer table: lookups by id and tunnel address against a naive reference, collisions, index reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peers.h"

static struct fzgw_addr v4(uint32_t x)
{
	struct fzgw_addr a = { .family = 4 };

	a.bytes[0] = 100;
	a.bytes[1] = (uint8_t)(64 + ((x >> 16) & 0x1f));
	a.bytes[2] = (uint8_t)(x >> 8);
	a.bytes[3] = (uint8_t)x;
	return a;
}

static struct fzgw_addr v6(uint32_t x)
{
	struct fzgw_addr a = { .family = 6, .bytes = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11 } };

	memcpy(a.bytes + 12, &x, 4);
	return a;
}

static void test_basic(void **st)
{
	struct fzgw_peers p;
	struct fzgw_gw_peer *a, *b, *c;
	struct fzgw_addr a4 = v4(2), a6 = v6(2), b4 = v4(3), x4 = v4(9);

	(void)st;
	assert_int_equal(fzgw_peers_init(&p, 64), 0);
	assert_int_equal(fzgw_peers_add(&p, "alice", &a4, &a6, &a), 0);
	assert_int_equal(a->info.index, 0);
	assert_int_equal(fzgw_peers_add(&p, "bob", &b4, NULL, &b), 0);
	assert_int_equal(b->info.index, 1);
	assert_int_equal(fzgw_peers_add(&p, "alice", &x4, NULL, &c), -EEXIST);
	assert_int_equal(fzgw_peers_add(&p, "carol", &a4, NULL, &c), -EADDRINUSE);
	assert_int_equal(fzgw_peers_add(&p, "carol", NULL, &a6, &c), -EADDRINUSE);
	assert_int_equal(fzgw_peers_add(&p, "carol", &a6, NULL, &c), -EAFNOSUPPORT);
	assert_int_equal(fzgw_peers_add(&p, "", NULL, NULL, &c), -EINVAL);
	assert_ptr_equal(fzgw_peers_by_client(&p, "alice"), a);
	assert_ptr_equal(fzgw_peers_by_addr(&p, &a4), a);
	assert_ptr_equal(fzgw_peers_by_addr(&p, &a6), a);
	assert_ptr_equal(fzgw_peers_by_addr(&p, &b4), b);
	assert_null(fzgw_peers_by_addr(&p, &x4));
	/* moving alice frees her old address for others */
	assert_int_equal(fzgw_peers_set_addrs(&p, a, &x4, NULL), 0);
	assert_null(fzgw_peers_by_addr(&p, &a4));
	assert_null(fzgw_peers_by_addr(&p, &a6));
	assert_ptr_equal(fzgw_peers_by_addr(&p, &x4), a);
	assert_int_equal(fzgw_peers_set_addrs(&p, b, &x4, NULL), -EADDRINUSE);
	/* the lowest free index is reused */
	fzgw_peers_remove(&p, a);
	assert_null(fzgw_peers_by_client(&p, "alice"));
	assert_null(fzgw_peers_by_addr(&p, &x4));
	assert_int_equal(fzgw_peers_add(&p, "carol", &a4, NULL, &c), 0);
	assert_int_equal(c->info.index, 0);
	assert_int_equal(p.n, 2);
	fzgw_peers_fini(&p);
}

/* 5,000 clients added and removed at random, every lookup checked against arrays. */
static void test_random_against_reference(void **st)
{
	enum { N = 5000, OPS = 40000 };
	static struct fzgw_gw_peer *ref[N];
	struct fzgw_peers p;
	char id[32];

	(void)st;
	srand(7);
	assert_int_equal(fzgw_peers_init(&p, 1024), 0);
	for (int op = 0; op < OPS; op++) {
		uint32_t k = (uint32_t)rand() % N;
		struct fzgw_addr a4 = v4(k), a6 = v6(k);

		snprintf(id, sizeof(id), "client-%u", k);
		if (ref[k] && rand() % 3 == 0) {
			fzgw_peers_remove(&p, ref[k]);
			ref[k] = NULL;
		} else if (!ref[k]) {
			assert_int_equal(fzgw_peers_add(&p, id, &a4, &a6, &ref[k]), 0);
		}
		k = (uint32_t)rand() % N;
		snprintf(id, sizeof(id), "client-%u", k);
		a4 = v4(k);
		a6 = v6(k);
		assert_ptr_equal(fzgw_peers_by_client(&p, id), ref[k]);
		assert_ptr_equal(fzgw_peers_by_addr(&p, &a4), ref[k]);
		assert_ptr_equal(fzgw_peers_by_addr(&p, &a6), ref[k]);
		if (ref[k])
			assert_ptr_equal(p.by_index[ref[k]->info.index], ref[k]);
	}
	fzgw_peers_fini(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_random_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
