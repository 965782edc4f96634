/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus text exposition format 0.0.4: families, samples, escaped label values. */
#include "prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROM_MAX (16u << 20) /* a runaway render stops here */

static bool grow(struct fzgw_prom *p, size_t more)
{
	size_t cap;
	char *b;

	if (p->oom)
		return false;
	if (p->len + more + 1 <= p->cap)
		return true;
	cap = p->cap ? p->cap : 4096;
	while (cap < p->len + more + 1)
		cap *= 2;
	if (cap > PROM_MAX || !(b = realloc(p->buf, cap))) {
		p->oom = true;
		return false;
	}
	p->buf = b;
	p->cap = cap;
	return true;
}

static void put(struct fzgw_prom *p, const char *s, size_t n)
{
	if (!grow(p, n))
		return;
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void puts_(struct fzgw_prom *p, const char *s)
{
	put(p, s, strlen(s));
}

static void printf_(struct fzgw_prom *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_(struct fzgw_prom *p, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(p, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

bool fzgw_prom_name_ok(const char *name)
{
	if (!name || !*name || (*name >= '0' && *name <= '9'))
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '_' || *c == ':'))
			return false;
	return true;
}

/* @label: a label value (quotes escaped too) or HELP text */
static void escaped(struct fzgw_prom *p, const char *s, bool label)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\')
			puts_(p, "\\\\");
		else if (c == '\n')
			puts_(p, "\\n");
		else if (c == '"' && label)
			puts_(p, "\\\"");
		else if (c < 0x20 || c >= 0x7f)
			puts_(p, "_");
		else
			put(p, (const char *)&c, 1);
	}
}

bool fzgw_prom_family(struct fzgw_prom *p, const char *name, const char *type, const char *help)
{
	if (!fzgw_prom_name_ok(name))
		return false;
	puts_(p, "# HELP ");
	puts_(p, name);
	puts_(p, " ");
	escaped(p, help ? help : "", false);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	puts_(p, " ");
	puts_(p, type);
	puts_(p, "\n");
	return true;
}

static bool head(struct fzgw_prom *p, const char *name, const char *const *labels)
{
	if (!fzgw_prom_name_ok(name))
		return false;
	puts_(p, name);
	if (labels && labels[0]) {
		int n = 0;

		puts_(p, "{");
		for (int i = 0; labels[i] && labels[i + 1]; i += 2) {
			if (!fzgw_prom_name_ok(labels[i]) || strchr(labels[i], ':'))
				continue; /* a label name has no colon */
			if (n++)
				puts_(p, ",");
			puts_(p, labels[i]);
			puts_(p, "=\"");
			escaped(p, labels[i + 1], true);
			puts_(p, "\"");
		}
		puts_(p, "}");
	}
	puts_(p, " ");
	return true;
}

void fzgw_prom_u64(struct fzgw_prom *p, const char *name, const char *const *labels, uint64_t v)
{
	if (head(p, name, labels))
		printf_(p, "%" PRIu64 "\n", v);
}

void fzgw_prom_i64(struct fzgw_prom *p, const char *name, const char *const *labels, int64_t v)
{
	if (head(p, name, labels))
		printf_(p, "%" PRId64 "\n", v);
}

void fzgw_prom_f64(struct fzgw_prom *p, const char *name, const char *const *labels, double v)
{
	if (!head(p, name, labels))
		return;
	if (isnan(v))
		puts_(p, "NaN\n");
	else if (isinf(v))
		puts_(p, v > 0 ? "+Inf\n" : "-Inf\n");
	else
		printf_(p, "%.9g\n", v);
}

void fzgw_prom_free(struct fzgw_prom *p)
{
	free(p->buf);
	p->buf = NULL;
	p->len = p->cap = 0;
	p->oom = false;
}
