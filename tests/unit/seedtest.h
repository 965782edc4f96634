/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper for secret hash seeds: a getrandom() that can fail, and a seed picked in a child. */
#ifndef FZGW_SEEDTEST_H
#define FZGW_SEEDTEST_H

#include <stdbool.h>
#include <stdint.h>

/*
 * While set, a non-blocking getrandom() of the test binary fails with EAGAIN, as it does
 * early at boot before the entropy pool is ready; blocking calls (libsodium's) go through.
 */
extern bool seedtest_fail_nonblock;

/* Runs @pick in a forked child (same addresses, same clocks as its siblings) with
 * seedtest_fail_nonblock set and returns what it picked. Asserts on any failure. */
uint64_t seedtest_child(uint64_t (*pick)(void));

#endif
