/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus text exposition format 0.0.4: families, samples, escaped label values. */
#ifndef FZGW_PROM_H
#define FZGW_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FZGW_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A growing text buffer; after an allocation failure it stays as it was and oom is set. */
struct fzgw_prom {
	char *buf;
	size_t len, cap;
	bool oom;
};

/* True for a valid metric name: [a-zA-Z_:][a-zA-Z0-9_:]*. */
bool fzgw_prom_name_ok(const char *name);
/* "# HELP name help" and "# TYPE name type" (type: counter, gauge, untyped). An invalid
 * name is refused (nothing written, false) and so are the samples under it. */
bool fzgw_prom_family(struct fzgw_prom *p, const char *name, const char *type, const char *help);
/* One sample line. @labels: NULL, or key, value, key, value, ..., NULL (values escaped:
 * backslash, double quote, newline; other control and non-ASCII bytes become '_'). */
void fzgw_prom_u64(struct fzgw_prom *p, const char *name, const char *const *labels, uint64_t v);
void fzgw_prom_i64(struct fzgw_prom *p, const char *name, const char *const *labels, int64_t v);
void fzgw_prom_f64(struct fzgw_prom *p, const char *name, const char *const *labels, double v);
void fzgw_prom_free(struct fzgw_prom *p);

#endif
