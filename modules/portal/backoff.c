/* SPDX-License-Identifier: Apache-2.0 */
/* Reconnect delays as the original gateway computes them, and humantime durations. */
#include "backoff.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

static void setup(struct pz_backoff *b, uint64_t initial, uint64_t max_interval, double mult,
		  double rnd, uint64_t budget)
{
	memset(b, 0, sizeof(*b));
	b->initial_ms = initial;
	b->max_interval_ms = max_interval;
	b->multiplier = mult;
	b->randomization = rnd;
	b->max_elapsed_ms = budget;
	b->current_ms = (double)initial;
}

void pz_backoff_initial(struct pz_backoff *b)
{
	setup(b, PZ_INITIAL_INTERVAL_MS, PZ_INITIAL_INTERVAL_MS, 1.0, 0.0, PZ_INITIAL_BUDGET_MS);
}

void pz_backoff_reconnect(struct pz_backoff *b, uint64_t budget_ms)
{
	setup(b, PZ_RECONNECT_INITIAL_MS, PZ_RECONNECT_MAX_MS, 1.5, 0.5, budget_ms);
}

int64_t pz_backoff_next(struct pz_backoff *b, uint64_t now_ms, double rnd)
{
	uint64_t elapsed, step;
	double lo, hi;

	if (!b->armed) {
		b->armed = true;
		b->start_ms = now_ms;
	}
	elapsed = now_ms - b->start_ms;
	if (elapsed > b->max_elapsed_ms)
		return -1;
	lo = b->current_ms * (1.0 - b->randomization);
	hi = b->current_ms * (1.0 + b->randomization);
	step = (uint64_t)(lo + rnd * (hi - lo));
	if (step > PZ_RECONNECT_MAX_MS)
		step = PZ_RECONNECT_MAX_MS; /* a step never exceeds 60 s, jitter included */
	if (b->current_ms >= (double)b->max_interval_ms / b->multiplier)
		b->current_ms = (double)b->max_interval_ms;
	else
		b->current_ms *= b->multiplier;
	if (elapsed + step > b->max_elapsed_ms)
		return -1;
	return (int64_t)step;
}

struct unit {
	const char *name;
	uint64_t ms;
};

static const struct unit units[] = {
	{ "ms", 1 }, { "msec", 1 },
	{ "s", 1000 }, { "sec", 1000 }, { "secs", 1000 }, { "second", 1000 }, { "seconds", 1000 },
	{ "m", 60000 }, { "min", 60000 }, { "mins", 60000 }, { "minute", 60000 },
	{ "minutes", 60000 },
	{ "h", 3600000 }, { "hr", 3600000 }, { "hrs", 3600000 }, { "hour", 3600000 },
	{ "hours", 3600000 },
	{ "d", 86400000 }, { "day", 86400000 }, { "days", 86400000 },
	{ "w", 604800000 }, { "week", 604800000 }, { "weeks", 604800000 },
	/* humantime's month and year: 30.44 and 365.25 days */
	{ "M", 2630016000ull }, { "month", 2630016000ull }, { "months", 2630016000ull },
	{ "y", 31557600000ull }, { "year", 31557600000ull }, { "years", 31557600000ull },
};

int pz_humantime_parse(const char *s, uint64_t *ms)
{
	uint64_t total = 0;
	bool any = false;

	while (*s) {
		uint64_t n = 0, mult = 0;
		const char *u;
		size_t ulen;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		while (isdigit((unsigned char)*s)) {
			if (n > (UINT64_MAX - 9) / 10)
				return -EINVAL;
			n = n * 10 + (uint64_t)(*s++ - '0');
		}
		u = s;
		while (isalpha((unsigned char)*s))
			s++;
		ulen = (size_t)(s - u);
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].name) == ulen && !strncmp(u, units[i].name, ulen))
				mult = units[i].ms;
		if (!mult || (n && mult > UINT64_MAX / n) || total > UINT64_MAX - n * mult)
			return -EINVAL;
		total += n * mult;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*ms = total;
	return 0;
}
