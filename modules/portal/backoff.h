/* SPDX-License-Identifier: Apache-2.0 */
/* Reconnect delays as the original gateway computes them, and humantime durations. */
#ifndef FZGW_PORTAL_BACKOFF_H
#define FZGW_PORTAL_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

#define PZ_INITIAL_INTERVAL_MS 1000
#define PZ_INITIAL_BUDGET_MS 15000
#define PZ_RECONNECT_INITIAL_MS 500
#define PZ_RECONNECT_MAX_MS 60000
#define PZ_DEFAULT_PARTITION_MS (24ull * 3600 * 1000)

/*
 * An exponential backoff: each step is the current interval randomised by +-@randomization,
 * then the interval grows by @multiplier up to @max_interval_ms. The budget counts from the
 * first failure (when the policy is armed); a step that would end past it is refused.
 */
struct pz_backoff {
	uint64_t initial_ms, max_interval_ms, max_elapsed_ms;
	double multiplier, randomization;
	double current_ms; /* fractions kept: the original counts in nanoseconds */
	uint64_t start_ms;
	bool armed;
};

/* Before the first successful join: 1 s fixed, no jitter, 15 s in all. */
void pz_backoff_initial(struct pz_backoff *b);
/* After one: from 500 ms, x1.5, +-50 %, at most 60 s a step, @budget_ms in all. */
void pz_backoff_reconnect(struct pz_backoff *b, uint64_t budget_ms);
/* The delay before the next attempt, with @rnd uniform in [0, 1); -1 when the budget is spent.
 * The first call arms the policy at @now_ms. */
int64_t pz_backoff_next(struct pz_backoff *b, uint64_t now_ms, double rnd);

/* "30s", "5m", "24h", "30d", "1h 30m", "2w", ... into milliseconds. 0 or -EINVAL. */
int pz_humantime_parse(const char *s, uint64_t *ms);

#endif
