/* SPDX-License-Identifier: Apache-2.0 */
/* Reconnect delays on a fake clock, against the original's policy; humantime durations. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "backoff.h"

static void test_initial(void **state)
{
	struct pz_backoff b;
	uint64_t now = 5000;
	int n = 0;
	int64_t d;

	(void)state;
	pz_backoff_initial(&b);
	/* 1 s fixed, no jitter whatever the random value, until 15 s have gone */
	while ((d = pz_backoff_next(&b, now, n % 2 ? 0.99 : 0.0)) >= 0) {
		assert_int_equal(d, 1000);
		now += (uint64_t)d + 20; /* each attempt takes 20 ms to fail */
		n++;
	}
	assert_int_equal(n, 14);
	assert_true(now - 5000 <= 15000 + 1020);
	/* spent: it stays spent */
	assert_int_equal(pz_backoff_next(&b, now, 0.5), -1);
}

static void test_reconnect(void **state)
{
	static const int64_t want[] = { 500, 750, 1125, 1687, 2531, 3796, 5695, 8542, 12814, 19221,
					28832, 43248, 60000, 60000, 60000 };
	struct pz_backoff b;
	uint64_t now = 0;

	(void)state;
	pz_backoff_reconnect(&b, 24ull * 3600 * 1000);
	/* the middle of the jitter interval is the interval itself */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int64_t d = pz_backoff_next(&b, now, 0.5);

		if (d < want[i] - 1 || d > want[i] + 1) {
			print_error("step %zu: %lld, want %lld\n", i, (long long)d,
				    (long long)want[i]);
			fail();
		}
		now += (uint64_t)d;
	}
	/* the jitter bounds: +-50 %, never over 60 s */
	pz_backoff_reconnect(&b, 3600000);
	assert_int_equal(pz_backoff_next(&b, 0, 0.0), 250);
	pz_backoff_reconnect(&b, 3600000);
	assert_int_equal(pz_backoff_next(&b, 0, 0.999999), 749);
	pz_backoff_reconnect(&b, 3600000);
	for (int i = 0; i < 30; i++)
		assert_true(pz_backoff_next(&b, 0, 0.999999) <= 60000);
}

static void test_budget(void **state)
{
	struct pz_backoff b;
	uint64_t now = 1000000;
	int64_t d, total = 0;
	int steps = 0;

	(void)state;
	/* a 30 s partition budget with every attempt failing at once */
	pz_backoff_reconnect(&b, 30000);
	while ((d = pz_backoff_next(&b, now, 0.5)) >= 0) {
		total += d;
		now += (uint64_t)d;
		steps++;
	}
	assert_true(total <= 30000);
	assert_int_equal(steps, 8); /* 500+...+8542 = 24626; the next 12814 would pass 30 s */
	/* the budget counts from the first failure, not from creation */
	pz_backoff_reconnect(&b, 1000);
	assert_true(pz_backoff_next(&b, 5000000, 0.5) >= 0);
	assert_int_equal(pz_backoff_next(&b, 5001001, 0.5), -1);
}

static void test_humantime(void **state)
{
	static const struct {
		const char *in;
		int rc;
		uint64_t ms;
	} cases[] = {
		{ "30s", 0, 30000 }, { "5m", 0, 300000 }, { "24h", 0, 86400000 },
		{ "30d", 0, 2592000000ull }, { "1h 30m", 0, 5400000 }, { "2h30m", 0, 9000000 },
		{ "250ms", 0, 250 }, { "1w", 0, 604800000 }, { "1M", 0, 2630016000ull },
		{ "1y", 0, 31557600000ull }, { "3days", 0, 259200000 }, { "0s", 0, 0 },
		{ "", -EINVAL, 0 }, { "30", -EINVAL, 0 }, { "s", -EINVAL, 0 }, { "5x", -EINVAL, 0 },
		{ "-5m", -EINVAL, 0 }, { "1.5h", -EINVAL, 0 },
		{ "99999999999999999999s", -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t ms = 12345;
		int rc = pz_humantime_parse(cases[i].in, &ms);

		if (rc != cases[i].rc || (!rc && ms != cases[i].ms)) {
			print_error("\"%s\": rc %d ms %llu\n", cases[i].in, rc,
				    (unsigned long long)ms);
			fail();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_humantime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
