/* SPDX-License-Identifier: Apache-2.0 */
/* Handshake rate limiter: the kernel's selftest/ratelimiter.c timings and capacity tests, on a fake clock. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ratelimiter.h"

#define NSEC 1000000000ull

static const struct {
	bool result;
	uint64_t nsec_to_sleep_before;
} expected[] = {
	{ true, 0 }, { true, 0 }, { true, 0 }, { true, 0 }, { true, 0 },
	{ false, 0 },
	{ true, NSEC / FZGW_WG_RL_PACKETS_PER_SECOND },
	{ false, 0 },
	{ true, NSEC / FZGW_WG_RL_PACKETS_PER_SECOND * 2 },
	{ true, 0 },
	{ false, 0 },
};

static void ep4(struct fzgw_wg_endpoint *ep, uint32_t addr)
{
	memset(ep, 0, sizeof(*ep));
	ep->in4.sin_family = AF_INET;
	ep->in4.sin_addr.s_addr = htonl(addr);
	ep->in4.sin_port = htons(51820);
	ep->len = sizeof(ep->in4);
}

static void ep6(struct fzgw_wg_endpoint *ep, const uint32_t w[4])
{
	memset(ep, 0, sizeof(*ep));
	ep->in6.sin6_family = AF_INET6;
	for (int i = 0; i < 4; i++) {
		uint32_t be = htonl(w[i]);

		memcpy(&ep->in6.sin6_addr.s6_addr[4 * i], &be, 4);
	}
	ep->len = sizeof(ep->in6);
}

static void rl_new(struct fzgw_wg_ratelimiter *rl, size_t max)
{
	static const uint8_t key[16] = { 1, 2, 3 };

	assert_int_equal(fzgw_wg_ratelimiter_init(rl, max, key), 0);
}

static void test_timings(void **state)
{
	struct fzgw_wg_ratelimiter rl;
	struct fzgw_wg_endpoint e;
	uint32_t v4 = 8182, v6[4] = { 1212, 289188, 0, 0 };
	uint64_t now = 5 * NSEC;

	rl_new(&rl, 0);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		now += expected[i].nsec_to_sleep_before;

		ep4(&e, v4);
		assert_int_equal(fzgw_wg_ratelimiter_allow(&rl, &e, now), expected[i].result);
		/* Another source is never affected. */
		ep4(&e, v4 + (uint32_t)i + 1);
		assert_true(fzgw_wg_ratelimiter_allow(&rl, &e, now));

		/* Any address in the same /64 shares one bucket. */
		v6[2] = v6[3] = (uint32_t)i;
		ep6(&e, v6);
		assert_int_equal(fzgw_wg_ratelimiter_allow(&rl, &e, now), expected[i].result);
		v6[0] += (uint32_t)i + 1;
		ep6(&e, v6);
		assert_true(fzgw_wg_ratelimiter_allow(&rl, &e, now));
		v6[0] -= (uint32_t)i + 1;
	}
	fzgw_wg_ratelimiter_destroy(&rl);
}

/* The entry after max_entries is refused, not allocated. */
static void test_capacity(void **state)
{
	struct fzgw_wg_ratelimiter rl;
	struct fzgw_wg_endpoint e;
	const uint32_t max = 1000;

	rl_new(&rl, max);
	fzgw_wg_ratelimiter_gc(&rl, NSEC, true);
	assert_int_equal(fzgw_wg_ratelimiter_count(&rl), 0);
	for (uint32_t i = 0; i <= max; i++) {
		ep4(&e, i);
		assert_int_equal(fzgw_wg_ratelimiter_allow(&rl, &e, NSEC), i != max);
	}
	assert_int_equal(fzgw_wg_ratelimiter_count(&rl), max);
	/* Known sources keep their buckets while the table is full. */
	ep4(&e, 7);
	assert_true(fzgw_wg_ratelimiter_allow(&rl, &e, NSEC));
	fzgw_wg_ratelimiter_destroy(&rl);
}

/* Entries idle for more than a second are collected; busy ones stay. */
static void test_gc(void **state)
{
	struct fzgw_wg_ratelimiter rl;
	struct fzgw_wg_endpoint e;

	rl_new(&rl, 0);
	for (uint32_t i = 0; i < 100; i++) {
		ep4(&e, 0x0a000000 + i);
		assert_true(fzgw_wg_ratelimiter_allow(&rl, &e, NSEC));
	}
	ep4(&e, 0x0a000000);
	assert_true(fzgw_wg_ratelimiter_allow(&rl, &e, NSEC + NSEC / 2));
	fzgw_wg_ratelimiter_gc(&rl, 2 * NSEC + 1, false);
	assert_int_equal(fzgw_wg_ratelimiter_count(&rl), 1);
	fzgw_wg_ratelimiter_gc(&rl, 3 * NSEC, false);
	assert_int_equal(fzgw_wg_ratelimiter_count(&rl), 0);
	fzgw_wg_ratelimiter_destroy(&rl);
}

/* An IPv4-mapped IPv6 source shares the IPv4 bucket. */
static void test_v4_mapped(void **state)
{
	struct fzgw_wg_ratelimiter rl;
	struct fzgw_wg_endpoint e4, e6;
	uint32_t mapped[4] = { 0, 0, 0xffff, 0xc0000201 };

	rl_new(&rl, 0);
	ep4(&e4, 0xc0000201);
	ep6(&e6, mapped);
	for (int i = 0; i < 5; i++)
		assert_true(fzgw_wg_ratelimiter_allow(&rl, i % 2 ? &e4 : &e6, NSEC));
	assert_false(fzgw_wg_ratelimiter_allow(&rl, &e4, NSEC));
	assert_false(fzgw_wg_ratelimiter_allow(&rl, &e6, NSEC));
	assert_int_equal(fzgw_wg_ratelimiter_count(&rl), 1);
	fzgw_wg_ratelimiter_destroy(&rl);
}

/* Clients behind one TURN relay (one address, one channel each) do not share a budget. */
static void test_relay_channels(void **state)
{
	struct fzgw_wg_ratelimiter rl;
	struct fzgw_wg_endpoint a, b;

	(void)state;
	rl_new(&rl, 0);
	ep4(&a, 0xc0000201);
	ep4(&b, 0xc0000201);
	a.channel = 0x4000;
	b.channel = 0x4001;
	for (int i = 0; i < 5; i++)
		assert_true(fzgw_wg_ratelimiter_allow(&rl, &a, NSEC));
	assert_false(fzgw_wg_ratelimiter_allow(&rl, &a, NSEC));
	assert_true(fzgw_wg_ratelimiter_allow(&rl, &b, NSEC));
	b.channel = 0; /* the relay itself, direct */
	assert_true(fzgw_wg_ratelimiter_allow(&rl, &b, NSEC));
	assert_int_equal(fzgw_wg_ratelimiter_count(&rl), 3);
	fzgw_wg_ratelimiter_destroy(&rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timings),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_gc),
		cmocka_unit_test(test_v4_mapped),
		cmocka_unit_test(test_relay_channels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
