/* SPDX-License-Identifier: Apache-2.0 */
/* DNS resource name patterns: matching, normalisation and the "most specific" order. */
#include "pattern.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#define MAX_LABELS 128 /* 253 characters hold at most 127 labels */
/* Pattern labels kept: at most one "**" around each of at most MAX_LABELS - 1 others. */
#define MAX_PLABELS (2 * MAX_LABELS)

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

/* Splits a normalised name into labels. */
static int split_name(const char *s, struct label *l)
{
	int n = 0;

	for (;;) {
		const char *dot = strchr(s, '.');

		l[n].s = s;
		l[n].len = dot ? (size_t)(dot - s) : strlen(s);
		n++;
		if (!dot)
			return n;
		s = dot + 1;
	}
}

static bool is_globstar(const char *s, size_t len)
{
	return len == 2 && s[0] == '*' && s[1] == '*';
}

/*
 * Splits @len bytes of pattern into labels, one "**" standing for a run of them. -1 when a
 * label is empty, mixes "**" with other characters, or when more labels than @nd (the
 * name's) need a label each: such a pattern matches no name of @nd labels.
 */
static int split_pattern(const char *p, size_t len, int nd, struct label *l)
{
	int n = 0, plain = 0;
	size_t i = 0;

	while (i <= len) {
		const char *dot = memchr(p + i, '.', len - i);
		size_t ll = dot ? (size_t)(dot - (p + i)) : len - i;

		if (!ll)
			return -1;
		if (is_globstar(p + i, ll)) {
			if (!n || !is_globstar(l[n - 1].s, l[n - 1].len)) {
				l[n].s = p + i;
				l[n++].len = ll;
			}
		} else if (memmem(p + i, ll, "**", 2) || ++plain > nd) {
			return -1;
		} else {
			l[n].s = p + i;
			l[n++].len = ll;
		}
		i += ll + 1;
	}
	return n;
}

/*
 * One name label against one pattern label: "*" any run, "?" one character (both within
 * the label); ASCII letters of the pattern without case. Other bytes of the pattern (UTF-8
 * of non-ASCII characters) match only the same bytes, which a host name never holds.
 */
static bool label_match(const struct label *p, const struct label *d)
{
	size_t pi = 0, di = 0, star_p = SIZE_MAX, star_d = 0;

	while (di < d->len) {
		if (pi < p->len && (p->s[pi] == '?' || lower(p->s[pi]) == d->s[di])) {
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

/* "*.x" also covers "x" itself: compared as text, letters without case. */
static bool apex_match(const char *p, size_t len, const char *dom)
{
	if (len < 3 || p[0] != '*' || p[1] != '.' || strlen(dom) != len - 2)
		return false;
	for (size_t i = 2; i < len; i++)
		if (lower(p[i]) != dom[i - 2])
			return false;
	return true;
}

bool dns_pattern_match(const char *pattern, const char *domain)
{
	char dom[DNS_NAME_MAX + 1];
	struct label pl[MAX_PLABELS], dl[MAX_LABELS];
	/* ok rows: pattern labels i.. (cur) and i+1.. (next) against name labels j.. */
	uint8_t row_a[MAX_LABELS + 1], row_b[MAX_LABELS + 1], *cur = row_a, *next = row_b;
	size_t plen;
	int np, nd;

	if (!pattern || dns_name_normalize(domain, dom, sizeof(dom)) < 0)
		return false;
	plen = strlen(pattern);
	if (plen && pattern[plen - 1] == '.')
		plen--;
	if (!plen)
		return false;
	if (apex_match(pattern, plen, dom))
		return true;
	nd = split_name(dom, dl);
	if ((np = split_pattern(pattern, plen, nd, pl)) <= 0)
		return false;
	for (int j = 0; j <= nd; j++)
		next[j] = j == nd;
	for (int i = np - 1; i >= 0; i--) {
		bool glob = is_globstar(pl[i].s, pl[i].len);
		uint8_t *t;

		for (int j = nd; j >= 0; j--) {
			if (glob)
				cur[j] = next[j] || (j < nd && cur[j + 1]);
			else
				cur[j] = j < nd && next[j + 1] && label_match(&pl[i], &dl[j]);
		}
		t = next;
		next = cur;
		cur = t;
	}
	return next[0];
}

static bool wild(int32_t c)
{
	return c == '*' || c == '?';
}

/* The code point ending before s[*i], moving *i to its start; -1 at the start. A byte
 * that is not part of valid UTF-8 counts as one character of its own value. */
static int32_t prev_char(const char *s, size_t *i)
{
	size_t k = *i, start;
	unsigned char lead;
	int32_t cp;
	int n;

	if (!k)
		return -1;
	start = --k;
	*i = k;
	if ((unsigned char)s[k] < 0x80)
		return (unsigned char)s[k];
	while (start > 0 && *i - start < 3 && ((unsigned char)s[start] & 0xc0) == 0x80)
		start--;
	lead = (unsigned char)s[start];
	n = lead >= 0xf8 ? 0 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
	if (n != (int)(k - start) + 1 || (lead & 0xc0) != 0xc0)
		return (unsigned char)s[k];
	cp = lead & (0x7f >> n);
	for (size_t j = start + 1; j <= k; j++)
		cp = (cp << 6) | ((unsigned char)s[j] & 0x3f);
	*i = start;
	return cp;
}

int dns_pattern_cmp(const char *a, const char *b)
{
	size_t i = strlen(a), j = strlen(b);

	for (;;) {
		int32_t x = prev_char(a, &i), y = prev_char(b, &j);

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
