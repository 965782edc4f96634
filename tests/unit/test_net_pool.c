/* SPDX-License-Identifier: Apache-2.0 */
/* Tests the packet buffer pool: layout, exhaustion, LIFO order, counts, bad puts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

static void test_create_rejects_bad_sizes(void **state)
{
	struct fzgw_pool *pool = (struct fzgw_pool *)1;

	assert_int_equal(fzgw_pool_create(&pool, 0, 2048), -EINVAL);
	assert_null(pool);
	assert_int_equal(fzgw_pool_create(&pool, 16, 2000), -EINVAL); /* not a multiple of 64 */
	assert_int_equal(fzgw_pool_create(&pool, 16, 64), -EINVAL);   /* no room past head/tail */
	assert_int_equal(fzgw_pool_create(&pool, 16, 1u << 20), -EINVAL);
	assert_int_equal(fzgw_pool_create(&pool, (1u << 20) + 1, 2048), -EINVAL);
	assert_null(fzgw_pool_destroy(NULL));
}

static void test_layout(void **state)
{
	struct fzgw_pool *pool;
	struct fzgw_packet *pkt;

	assert_int_equal(fzgw_pool_create(&pool, FZGW_POOL_DEFAULT_COUNT, FZGW_POOL_DEFAULT_SIZE),
			 0);
	assert_int_equal(fzgw_pool_count(pool), FZGW_POOL_DEFAULT_COUNT);
	assert_int_equal(fzgw_pool_in_use(pool), 0);

	pkt = fzgw_pool_get(pool);
	assert_non_null(pkt);
	assert_int_equal(pkt->len, 0);
	assert_int_equal(pkt->cap,
			 FZGW_POOL_DEFAULT_SIZE - FZGW_POOL_HEADROOM - FZGW_POOL_TAILROOM);
	assert_true(pkt->cap >= FZGW_IP_MAX_SIZE);
	assert_non_null(pkt->core_priv);
	assert_null(pkt->peer);
	assert_null(pkt->drop_reason);
	/* room for the WireGuard header in front, padding and tag behind the largest packet */
	assert_int_equal(fzgw_pool_headroom(pkt), FZGW_POOL_HEADROOM);
	assert_true(fzgw_pool_headroom(pkt) >= 16);
	assert_int_equal(((uintptr_t)pkt->data) % 16, 0);
	pkt->len = pkt->cap;
	assert_int_equal(fzgw_pool_tailroom(pkt), FZGW_POOL_TAILROOM);
	assert_true(FZGW_POOL_TAILROOM >= 15 + 16);
	/* the whole buffer is writable (ASan would trip on a poisoned byte) */
	memset(pkt->data - FZGW_POOL_HEADROOM, 0xa5, FZGW_POOL_DEFAULT_SIZE);

	assert_int_equal(fzgw_pool_put(pkt), 0);
	assert_int_equal(fzgw_pool_in_use(pool), 0);
	pool = fzgw_pool_destroy(pool);
	assert_null(pool);
}

static void test_exhaustion_and_counts(void **state)
{
	enum { N = 64 };
	struct fzgw_pool *pool;
	struct fzgw_packet *pkts[N];
	uint8_t *seen[N];
	int i, j;

	assert_int_equal(fzgw_pool_create(&pool, N, 256), 0);
	for (i = 0; i < N; i++) {
		pkts[i] = fzgw_pool_get(pool);
		assert_non_null(pkts[i]);
		assert_int_equal(fzgw_pool_in_use(pool), i + 1);
		seen[i] = pkts[i]->data;
		/* every buffer is distinct and none overlaps another */
		for (j = 0; j < i; j++) {
			assert_ptr_not_equal(pkts[i], pkts[j]);
			assert_true(seen[i] >= seen[j] + 256 - FZGW_POOL_HEADROOM ||
				    seen[j] >= seen[i] + 256 - FZGW_POOL_HEADROOM);
		}
		memset(pkts[i]->data, i, pkts[i]->cap);
	}
	/* empty: NULL, and nothing changes */
	assert_null(fzgw_pool_get(pool));
	assert_null(fzgw_pool_get(pool));
	assert_int_equal(fzgw_pool_in_use(pool), N);
	/* no buffer was written through another */
	for (i = 0; i < N; i++)
		for (j = 0; j < (int)pkts[i]->cap; j++)
			assert_int_equal(pkts[i]->data[j], i);

	for (i = 0; i < N; i++) {
		assert_int_equal(fzgw_pool_put(pkts[i]), 0);
		assert_int_equal(fzgw_pool_in_use(pool), N - i - 1);
	}
	/* refilled: exactly N again */
	for (i = 0; i < N; i++)
		assert_non_null(pkts[i] = fzgw_pool_get(pool));
	assert_null(fzgw_pool_get(pool));
	for (i = 0; i < N; i++)
		assert_int_equal(fzgw_pool_put(pkts[i]), 0);
	fzgw_pool_destroy(pool);
}

static void test_lifo(void **state)
{
	struct fzgw_pool *pool;
	struct fzgw_packet *a, *b, *c;

	assert_int_equal(fzgw_pool_create(&pool, 8, 256), 0);
	a = fzgw_pool_get(pool);
	b = fzgw_pool_get(pool);
	c = fzgw_pool_get(pool);
	assert_int_equal(fzgw_pool_put(a), 0);
	assert_int_equal(fzgw_pool_put(c), 0);
	/* the last one put back comes out first: its cache lines are still warm */
	assert_ptr_equal(fzgw_pool_get(pool), c);
	assert_ptr_equal(fzgw_pool_get(pool), a);
	assert_int_equal(fzgw_pool_put(b), 0);
	assert_ptr_equal(fzgw_pool_get(pool), b);
	assert_int_equal(fzgw_pool_in_use(pool), 3);
	assert_int_equal(fzgw_pool_put(a), 0);
	assert_int_equal(fzgw_pool_put(b), 0);
	assert_int_equal(fzgw_pool_put(c), 0);
	fzgw_pool_destroy(pool);
}

static void test_get_resets_the_packet(void **state)
{
	struct fzgw_pool *pool;
	struct fzgw_packet *pkt;
	uint8_t *data;

	assert_int_equal(fzgw_pool_create(&pool, 1, 2048), 0);
	pkt = fzgw_pool_get(pool);
	data = pkt->data;
	/* what a module or the core may leave behind */
	pkt->data += 20;
	pkt->len = 100;
	pkt->dir = 1;
	pkt->phase = 3;
	pkt->hook = 2;
	pkt->drop_reason = "x";
	pkt->ip.kind = 1;
	assert_int_equal(fzgw_pool_put(pkt), 0);

	assert_ptr_equal(fzgw_pool_get(pool), pkt);
	assert_ptr_equal(pkt->data, data);
	assert_int_equal(pkt->len, 0);
	assert_int_equal(pkt->dir, 0);
	assert_int_equal(pkt->phase, 0);
	assert_int_equal(pkt->hook, 0);
	assert_null(pkt->drop_reason);
	assert_int_equal(pkt->ip.kind, 0);
	assert_int_equal(fzgw_pool_put(pkt), 0);
	fzgw_pool_destroy(pool);
}

static void test_bad_puts(void **state)
{
	struct fzgw_pool *pool, *other;
	struct fzgw_packet *pkt, *opkt;
	struct fzgw_packet foreign;

	assert_int_equal(fzgw_pool_create(&pool, 4, 256), 0);
	assert_int_equal(fzgw_pool_create(&other, 4, 256), 0);
	pkt = fzgw_pool_get(pool);
	opkt = fzgw_pool_get(other);

	/* a double put is refused and does not grow the free list */
	assert_int_equal(fzgw_pool_put(pkt), 0);
	assert_int_equal(fzgw_pool_put(pkt), -EALREADY);
	assert_int_equal(fzgw_pool_in_use(pool), 0);
	for (int i = 0; i < 4; i++)
		assert_non_null(fzgw_pool_get(pool));
	assert_null(fzgw_pool_get(pool));

	/* a packet that never came from a pool */
	memset(&foreign, 0, sizeof(foreign));
	assert_int_equal(fzgw_pool_put(&foreign), -EINVAL);
	foreign.core_priv = opkt->core_priv; /* points at another packet's buffer */
	assert_int_equal(fzgw_pool_put(&foreign), -EINVAL);
	assert_int_equal(fzgw_pool_put(NULL), -EINVAL);

	/* a packet returns to its own pool, whichever pool the caller holds */
	assert_int_equal(fzgw_pool_in_use(other), 1);
	assert_int_equal(fzgw_pool_put(opkt), 0);
	assert_int_equal(fzgw_pool_in_use(other), 0);
	assert_int_equal(fzgw_pool_in_use(pool), 4);

	/* destroying with buffers out frees everything (LeakSanitizer checks) */
	fzgw_pool_destroy(pool);
	fzgw_pool_destroy(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_rejects_bad_sizes),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_exhaustion_and_counts),
		cmocka_unit_test(test_lifo),
		cmocka_unit_test(test_get_resets_the_packet),
		cmocka_unit_test(test_bad_puts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
