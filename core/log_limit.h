/* SPDX-License-Identifier: Apache-2.0 */
/* Rate-limited logging per call site: a burst, then one line per second, with the count of
 * lines suppressed in between. */
#ifndef FZGW_LOG_LIMIT_H
#define FZGW_LOG_LIMIT_H

#include <stdarg.h>
#include <stdint.h>

#define FZGW_LOG_LIMIT_BURST 5
#define FZGW_LOG_LIMIT_SITES 64

struct fzgw_log_site {
	const void *key;     /* the call site: its format string's address */
	uint64_t refill_ms;  /* when the last token was added */
	uint32_t tokens;
	uint64_t suppressed;
	uint64_t used_ms;    /* last use, to evict the coldest site when the table is full */
};

struct fzgw_log_limit {
	struct fzgw_log_site site[FZGW_LOG_LIMIT_SITES];
};

/* Logs like fzgw_logv() if the site keyed by @fmt has a token (a burst of
 * FZGW_LOG_LIMIT_BURST, then one per second at @now_ms); else counts the line as
 * suppressed. The next printed line of the site ends with the count. */
void fzgw_log_limited(struct fzgw_log_limit *l, uint64_t now_ms, const char *module, int level,
		      const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

#endif
