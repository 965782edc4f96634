/* SPDX-License-Identifier: Apache-2.0 */
/* Logging to stderr: levels, human or JSON lines, a level filter per module. */
#ifndef FZGW_LOG_H
#define FZGW_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include <fzgw/module.h>

enum fzgw_log_format { FZGW_LOG_HUMAN = 0, FZGW_LOG_JSON = 1 };

/* "info" or "warn,filter=debug,portal=trace" (RUST_LOG-like). 0 or -EINVAL. */
int fzgw_log_set_filter(const char *spec);
int fzgw_log_check_filter(const char *spec);
int fzgw_log_parse_level(const char *s);
int fzgw_log_parse_format(const char *s);
void fzgw_log_set_format(int format);
bool fzgw_log_enabled(const char *module, int level);
void fzgw_logv(const char *module, int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void fzgw_log(const char *module, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define fzgw_err(...) fzgw_log("core", FZGW_LOG_ERROR, __VA_ARGS__)
#define fzgw_warn(...) fzgw_log("core", FZGW_LOG_WARN, __VA_ARGS__)
#define fzgw_info(...) fzgw_log("core", FZGW_LOG_INFO, __VA_ARGS__)
#define fzgw_dbg(...) fzgw_log("core", FZGW_LOG_DEBUG, __VA_ARGS__)

#endif
