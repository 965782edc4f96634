/* SPDX-License-Identifier: Apache-2.0 */
/* Rate-limited logging per call site: a burst, then one line per second, with the count of
 * lines suppressed in between. */
#include "log_limit.h"

#include <stdio.h>

#include "log.h"

static struct fzgw_log_site *find_site(struct fzgw_log_limit *l, const void *key, uint64_t now_ms)
{
	struct fzgw_log_site *coldest = &l->site[0];
	size_t h = ((uintptr_t)key >> 3) % FZGW_LOG_LIMIT_SITES;

	for (size_t i = 0; i < FZGW_LOG_LIMIT_SITES; i++) {
		struct fzgw_log_site *s = &l->site[(h + i) % FZGW_LOG_LIMIT_SITES];

		if (s->key == key)
			return s;
		if (!s->key) {
			coldest = s;
			break;
		}
		if (s->used_ms < coldest->used_ms)
			coldest = s;
	}
	/* a new site, or the coldest one's place (it starts over with a full burst) */
	coldest->key = key;
	coldest->tokens = FZGW_LOG_LIMIT_BURST;
	coldest->refill_ms = now_ms;
	coldest->suppressed = 0;
	return coldest;
}

void fzgw_log_limited(struct fzgw_log_limit *l, uint64_t now_ms, const char *module, int level,
		      const char *fmt, va_list ap)
{
	struct fzgw_log_site *s;
	char msg[1024];

	if (!fzgw_log_enabled(module, level))
		return; /* a filtered line uses no token */
	s = find_site(l, fmt, now_ms);
	s->used_ms = now_ms;
	if (now_ms > s->refill_ms) {
		uint64_t add = (now_ms - s->refill_ms) / 1000;

		if (s->tokens + add >= FZGW_LOG_LIMIT_BURST) {
			s->tokens = FZGW_LOG_LIMIT_BURST;
			s->refill_ms = now_ms;
		} else {
			s->tokens += (uint32_t)add;
			s->refill_ms += add * 1000;
		}
	}
	if (!s->tokens) {
		s->suppressed++;
		return;
	}
	s->tokens--;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (s->suppressed)
		fzgw_log(module, level, "%s (%llu similar lines suppressed)", msg,
			 (unsigned long long)s->suppressed);
	else
		fzgw_log(module, level, "%s", msg);
	s->suppressed = 0;
}
