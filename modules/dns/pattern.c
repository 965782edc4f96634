/* SPDX-License-Identifier: Apache-2.0 */
/* DNS resource name patterns: matching, normalisation and the "most specific" order. */
#include "pattern.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#define MAX_LABELS 128 /* 253 characters hold at most 127 labels */
#define PATTERN_MAX 255

struct label {
	const char *s;
	size_t len;
};

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int dns_name_normalize(const char *in, char *out, size_t outlen)
{
	size_t n, label = 0;

	if (!in)
		return -EINVAL;
	n = strnlen(in, DNS_NAME_MAX + 2);
	if (n && in[n - 1] == '.')
		n--;
	if (!n || n > DNS_NAME_MAX)
		return -EINVAL;
	if (n >= outlen)
		return -ENOSPC;
	for (size_t i = 0; i < n; i++) {
		char c = lower(in[i]);

		if (c == '.') {
			if (!label)
				return -EINVAL;
			label = 0;
		} else if (!name_char(c) || ++label > DNS_LABEL_MAX) {
			return -EINVAL;
		}
		out[i] = c;
	}
	if (!label)
		return -EINVAL;
	out[n] = '\0';
	return 0;
}

/* Splits a lower-case, dot-free-at-the-end text into labels; -1 on an empty label. */
static int split(const char *s, struct label *l, int max)
{
	int n = 0;

	while (*s) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);

		if (!len || n == max)
			return -1;
		l[n].s = s;
		l[n].len = len;
		n++;
		if (!dot)
			break;
		s = dot + 1;
		if (!*s)
			return -1;
	}
	return n;
}

/* One label against one glob label: "*" any run, "?" one character (both within the label). */
static bool label_match(const struct label *p, const struct label *d)
{
	size_t pi = 0, di = 0, star_p = SIZE_MAX, star_d = 0;

	while (di < d->len) {
		if (pi < p->len && (p->s[pi] == '?' || p->s[pi] == d->s[di])) {
			pi++;
			di++;
		} else if (pi < p->len && p->s[pi] == '*') {
			star_p = pi++;
			star_d = di;
		} else if (star_p != SIZE_MAX) {
			/* backtrack: the last star eats one more character */
			pi = star_p + 1;
			di = ++star_d;
		} else {
			return false;
		}
	}
	while (pi < p->len && p->s[pi] == '*')
		pi++;
	return pi == p->len;
}

static bool is_globstar(const struct label *l)
{
	return l->len == 2 && l->s[0] == '*' && l->s[1] == '*';
}

static bool bad_globstar(const struct label *l)
{
	return !is_globstar(l) && memmem(l->s, l->len, "**", 2);
}

bool dns_pattern_match(const char *pattern, const char *domain)
{
	char pat[PATTERN_MAX + 1], dom[DNS_NAME_MAX + 1];
	struct label pl[MAX_LABELS], dl[MAX_LABELS];
	/* ok[i][j]: pattern labels i.. match domain labels j.. (a table: "**" never explodes) */
	static const size_t W = MAX_LABELS + 1;
	uint8_t ok[(MAX_LABELS + 1) * (MAX_LABELS + 1)];
	size_t plen;
	int np, nd;

	if (!pattern || dns_name_normalize(domain, dom, sizeof(dom)) < 0)
		return false;
	plen = strnlen(pattern, sizeof(pat));
	if (plen && pattern[plen - 1] == '.')
		plen--;
	if (!plen || plen >= sizeof(pat))
		return false;
	for (size_t i = 0; i < plen; i++)
		pat[i] = lower(pattern[i]);
	pat[plen] = '\0';
	/* "*.example.com" covers example.com itself */
	if (plen > 2 && pat[0] == '*' && pat[1] == '.' && !strcmp(pat + 2, dom))
		return true;
	if ((np = split(pat, pl, MAX_LABELS)) <= 0 || (nd = split(dom, dl, MAX_LABELS)) <= 0)
		return false;
	for (int i = 0; i < np; i++)
		if (bad_globstar(&pl[i]))
			return false;
	for (int i = np; i >= 0; i--) {
		for (int j = nd; j >= 0; j--) {
			bool m;

			if (i == np)
				m = j == nd;
			else if (is_globstar(&pl[i]))
				m = ok[(size_t)(i + 1) * W + (size_t)j] ||
				    (j < nd && ok[(size_t)i * W + (size_t)(j + 1)]);
			else
				m = j < nd && label_match(&pl[i], &dl[j]) &&
				    ok[(size_t)(i + 1) * W + (size_t)(j + 1)];
			ok[(size_t)i * W + (size_t)j] = m;
		}
	}
	return ok[0];
}

static bool wild(int c)
{
	return c == '*' || c == '?';
}

int dns_pattern_cmp(const char *a, const char *b)
{
	size_t i = strlen(a), j = strlen(b);

	for (;;) {
		int x = i ? (unsigned char)a[--i] : -1;
		int y = j ? (unsigned char)b[--j] : -1;

		if (x == y) {
			if (x < 0)
				return 0;
			continue;
		}
		if (x == '*' && y == '?')
			return 1;
		if (x == '?' && y == '*')
			return -1;
		/* names that differ only by a wildcard come after the plain one */
		if (wild(x) && (y < 0 || y == '.'))
			return 1;
		if ((x < 0 || x == '.') && wild(y))
			return -1;
		if (wild(x) && y >= 0)
			return 1;
		if (x >= 0 && wild(y))
			return -1;
		if (x >= 0 && y >= 0)
			return x < y ? 1 : -1; /* read right to left: the order is reversed */
		return x >= 0 ? 1 : -1;    /* the shorter first */
	}
}

int dns_pattern_best(const char *const *patterns, size_t n, const char *domain)
{
	int best = -1;

	for (size_t i = 0; i < n; i++) {
		if (!patterns[i] || !dns_pattern_match(patterns[i], domain))
			continue;
		if (best < 0 || dns_pattern_cmp(patterns[i], patterns[best]) < 0)
			best = (int)i;
	}
	return best;
}
