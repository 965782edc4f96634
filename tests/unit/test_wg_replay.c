/* SPDX-License-Identifier: Apache-2.0 */
/* Replay window: the kernel's selftest/counter.c table, ported case by case (window 8128). */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "replay.h"

#define WINDOW ((uint64_t)FZGW_WG_REPLAY_WINDOW)
#define T_LIM (WINDOW + 1)
#define REJECT FZGW_WG_REJECT_AFTER_MESSAGES

static struct fzgw_wg_replay counter;
static unsigned int test_num;
static unsigned int failures;

static void t(uint64_t n, bool want)
{
	++test_num;
	if (fzgw_wg_replay_check(&counter, n) != want) {
		print_error("replay step %u: counter %llu expected %s\n", test_num,
			    (unsigned long long)n, want ? "accept" : "reject");
		failures++;
	}
}

static void t_init(void)
{
	fzgw_wg_replay_init(&counter);
}

static void test_constants(void **state)
{
	assert_int_equal(FZGW_WG_REPLAY_WINDOW, 8128);
	/* 2^64 - 2^13 - 1 */
	assert_true(REJECT == 0xffffffffffffdfffull);
	assert_true(FZGW_WG_REKEY_AFTER_MESSAGES == 1ull << 60);
}

/* The 34 scripted steps. */
static void test_counter_table(void **state)
{
	test_num = 0;
	failures = 0;
	t_init();
	/*  1 */ t(0, true);
	/*  2 */ t(1, true);
	/*  3 */ t(1, false);
	/*  4 */ t(9, true);
	/*  5 */ t(8, true);
	/*  6 */ t(7, true);
	/*  7 */ t(7, false);
	/*  8 */ t(T_LIM, true);
	/*  9 */ t(T_LIM - 1, true);
	/* 10 */ t(T_LIM - 1, false);
	/* 11 */ t(T_LIM - 2, true);
	/* 12 */ t(2, true);
	/* 13 */ t(2, false);
	/* 14 */ t(T_LIM + 16, true);
	/* 15 */ t(3, false);
	/* 16 */ t(T_LIM + 16, false);
	/* 17 */ t(T_LIM * 4, true);
	/* 18 */ t(T_LIM * 4 - (T_LIM - 1), true);
	/* 19 */ t(10, false);
	/* 20 */ t(T_LIM * 4 - T_LIM, false);
	/* 21 */ t(T_LIM * 4 - (T_LIM + 1), false);
	/* 22 */ t(T_LIM * 4 - (T_LIM - 2), true);
	/* 23 */ t(T_LIM * 4 + 1 - T_LIM, false);
	/* 24 */ t(0, false);
	/* 25 */ t(REJECT, false);
	/* 26 */ t(REJECT - 1, true);
	/* 27 */ t(REJECT, false);
	/* 28 */ t(REJECT - 1, false);
	/* 29 */ t(REJECT - 2, true);
	/* 30 */ t(REJECT + 1, false);
	/* 31 */ t(REJECT + 2, false);
	/* 32 */ t(REJECT - 2, false);
	/* 33 */ t(REJECT - 3, true);
	/* 34 */ t(0, false);
	assert_int_equal(test_num, 34);
	assert_int_equal(failures, 0);
}

/* The 6 loop cases: fill the whole window forwards and backwards. */
static void test_counter_loops(void **state)
{
	uint64_t i;

	failures = 0;

	t_init();
	for (i = 1; i <= WINDOW; ++i)
		t(i, true);
	t(0, true);
	t(0, false);

	t_init();
	for (i = 2; i <= WINDOW + 1; ++i)
		t(i, true);
	t(1, true);
	t(0, false);

	t_init();
	for (i = WINDOW + 1; i-- > 0;)
		t(i, true);

	t_init();
	for (i = WINDOW + 2; i-- > 1;)
		t(i, true);
	t(0, false);

	t_init();
	for (i = WINDOW + 1; i-- > 1;)
		t(i, true);
	t(WINDOW + 1, true);
	t(0, false);

	t_init();
	for (i = WINDOW + 1; i-- > 1;)
		t(i, true);
	t(0, true);
	t(WINDOW + 1, true);

	assert_int_equal(failures, 0);
}

/* A jump far ahead clears the whole ring; nothing old survives. */
static void test_big_jump(void **state)
{
	t_init();
	for (uint64_t i = 0; i < 100; i++)
		assert_true(fzgw_wg_replay_check(&counter, i));
	assert_true(fzgw_wg_replay_check(&counter, 1000000));
	assert_false(fzgw_wg_replay_check(&counter, 1000000));
	assert_true(fzgw_wg_replay_check(&counter, 1000000 - WINDOW));
	assert_false(fzgw_wg_replay_check(&counter, 1000000 - WINDOW - 1));
	for (uint64_t i = 1000000 - WINDOW + 1; i < 1000000; i++)
		assert_true(fzgw_wg_replay_check(&counter, i));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_counter_table),
		cmocka_unit_test(test_counter_loops),
		cmocka_unit_test(test_big_jump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
