/* SPDX-License-Identifier: Apache-2.0 */
/* DNS resource patterns: matching table, normalisation, the most-specific order, hosts files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dnsname/pattern.h>

#include "hosts.h"

struct match_case {
	const char *pattern, *domain;
	bool match;
};

static const struct match_case match_cases[] = {
	/* plain names */
	{ "app.corp.example", "app.corp.example", true },
	{ "app.corp.example", "APP.Corp.Example", true },
	{ "app.corp.example", "app.corp.example.", true },
	{ "APP.corp.example", "app.corp.example", true },
	{ "app.corp.example", "web.corp.example", false },
	{ "app.corp.example", "x.app.corp.example", false },
	{ "app.corp.example", "corp.example", false },
	/* "*": one label, and the apex */
	{ "*.corp.example", "app.corp.example", true },
	{ "*.corp.example", "corp.example", true },
	{ "*.corp.example", "CORP.EXAMPLE", true },
	{ "*.corp.example", "a.b.corp.example", false },
	{ "*.corp.example", "corp.example.org", false },
	{ "*.corp.example", "xcorp.example", false },
	{ "*.corp.example", "example", false },
	{ "app.*.example", "app.corp.example", true },
	{ "app.*.example", "app.example", false },
	{ "app.*.example", "app.a.b.example", false },
	{ "*ample.com", "example.com", true },
	{ "*ample.com", "ample.com", true },
	{ "*ample.com", "a.example.com", false },
	{ "web-*.corp.example", "web-01.corp.example", true },
	{ "web-*.corp.example", "web.corp.example", false },
	{ "*.*.example", "a.b.example", true },
	{ "*.*.example", "a.example", false },
	/* "**": zero or more labels */
	{ "**.corp.example", "corp.example", true },
	{ "**.corp.example", "app.corp.example", true },
	{ "**.corp.example", "a.b.c.corp.example", true },
	{ "**.corp.example", "corp.example.net", false },
	{ "**.corp.example", "acorp.example", false },
	{ "app.**.example", "app.example", true },
	{ "app.**.example", "app.x.y.example", true },
	{ "app.**.example", "web.x.example", false },
	{ "**", "anything.at.all", true },
	{ "**.**.example", "a.b.example", true },
	{ "a**.example", "ab.example", false }, /* "**" must be a whole label */
	/* "?": one character */
	{ "app.f??.example", "app.foo.example", true },
	{ "app.f??.example", "app.fo.example", false },
	{ "app.f??.example", "app.fooo.example", false },
	{ "?.example.com", "a.example.com", true },
	{ "?.example.com", "ab.example.com", false },
	{ "?.example.com", "example.com", false },
	{ "?.httpbin", "x.httpbin", true },
	{ "??", "ab", true },
	{ "?*", "a", true },
	{ "?*", "abc", true },
	/* malformed input never matches */
	{ "", "example.com", false },
	{ "example.com", "", false },
	{ "a..b", "a..b", false },
	{ "example.com", "exa mple.com", false },
	{ "example.com", "ex\xc3\xa4mple.com", false },
	{ ".example.com", "example.com", false },
	/*
	 * Unicode letters (UTF-8) as the portal accepts them. Names are ASCII (a client asks
	 * for the xn-- form); the original compares a pattern's other characters as they are,
	 * without converting the pattern to xn--: they match nothing, the wildcards still work.
	 */
	{ "b\xc3\xbc" "cher.example", "xn--bcher-kva.example", false },
	{ "b\xc3\xbc" "cher.example", "b\xc3\xbc" "cher.example", false },
	{ "*.b\xc3\xbc" "cher.example", "app.xn--bcher-kva.example", false },
	{ "b?cher.example", "bxcher.example", true },
	{ "b??cher.example", "bxcher.example", false }, /* "?" is one character of the name */
	{ "*.example", "xn--bcher-kva.example", true },
	{ "\xc3\xbc*.example", "xn--bcher-kva.example", false },
	{ "**.\xc3\xbc.example", "a.b.example", false },
	{ "app.\xe6\x97\xa5\xe6\x9c\xac.*", "app.xn--wgv71a.jp", false },
	{ "\xc3\x9c*.**.corp.example", "app.corp.example", false },
	{ "\xff\xfe.example", "ab.example", false }, /* not UTF-8: still never a match */
};

static void test_match_table(void **state)
{
	(void)state;
	assert_true(sizeof(match_cases) / sizeof(match_cases[0]) >= 30);
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];

		if (dns_pattern_match(c->pattern, c->domain) != c->match)
			fail_msg("case %zu: \"%s\" vs \"%s\": expected %s", i, c->pattern,
				 c->domain, c->match ? "match" : "no match");
	}
}

static void test_match_long(void **state)
{
	char dom[DNS_NAME_MAX + 1], pat[256];
	size_t n = 0;

	(void)state;
	/* 126 labels "a." then "b": the most labels a name holds; many "**" stay cheap */
	while (n + 2 < DNS_NAME_MAX - 1) {
		dom[n++] = 'a';
		dom[n++] = '.';
	}
	dom[n++] = 'b';
	dom[n] = '\0';
	assert_true(dns_pattern_match("**.b", dom));
	snprintf(pat, sizeof(pat), "**.**.**.**.**.**.**.**.**.**.**.**.a.b");
	assert_true(dns_pattern_match(pat, dom));
	snprintf(pat, sizeof(pat), "**.**.**.**.**.**.**.**.**.**.**.**.c");
	assert_false(dns_pattern_match(pat, dom));
	assert_false(dns_pattern_match("*", dom));
	assert_false(dns_pattern_match(NULL, "a"));
	assert_false(dns_pattern_match("a", NULL));
}

/* A pattern's length is not capped: a UTF-8 pattern of 253 characters takes more bytes. */
static void test_match_long_pattern(void **state)
{
	char pat[1200];
	size_t n = 0;

	(void)state;
	/* 300 "**" labels in front of a name: 900 bytes, still one run of labels */
	for (int i = 0; i < 300; i++) {
		memcpy(pat + n, "**.", 3);
		n += 3;
	}
	memcpy(pat + n, "corp.example", sizeof("corp.example"));
	assert_true(strlen(pat) > 255);
	assert_true(dns_pattern_match(pat, "a.b.corp.example"));
	assert_true(dns_pattern_match(pat, "corp.example"));
	assert_false(dns_pattern_match(pat, "corp.example.org"));
	/* more plain labels than any name has: refused early, whatever the name */
	n = 0;
	for (int i = 0; i < 200; i++) {
		memcpy(pat + n, "a.", 2);
		n += 2;
	}
	pat[n - 1] = '\0';
	assert_false(dns_pattern_match(pat, "a.a.a"));
	/* 250 two-byte letters and a wildcard label: 500 bytes, matched without a cap */
	n = 0;
	for (int i = 0; i < 60; i++) {
		memcpy(pat + n, "\xc3\xbc", 2);
		n += 2;
	}
	memcpy(pat + n, ".*.", 3);
	n += 3;
	for (int i = 0; i < 190; i++) {
		memcpy(pat + n, "\xc3\xbc", 2);
		n += 2;
	}
	memcpy(pat + n, ".**", 4);
	assert_true(strlen(pat) > 500);
	assert_false(dns_pattern_match(pat, "a.b.c.d"));
	assert_true(dns_pattern_match("**.*.**", "a.b.c.d"));
}

static void test_normalize(void **state)
{
	char out[DNS_NAME_MAX + 1], label[70], big[300];

	(void)state;
	assert_int_equal(dns_name_normalize("App.Corp.Example.", out, sizeof(out)), 0);
	assert_string_equal(out, "app.corp.example");
	assert_int_equal(dns_name_normalize("_sip._tcp.example", out, sizeof(out)), 0);
	assert_int_equal(dns_name_normalize("", out, sizeof(out)), -EINVAL);
	assert_int_equal(dns_name_normalize(".", out, sizeof(out)), -EINVAL);
	assert_int_equal(dns_name_normalize("a..b", out, sizeof(out)), -EINVAL);
	assert_int_equal(dns_name_normalize(".a", out, sizeof(out)), -EINVAL);
	assert_int_equal(dns_name_normalize("a.b..", out, sizeof(out)), -EINVAL);
	assert_int_equal(dns_name_normalize("a*b.c", out, sizeof(out)), -EINVAL);
	assert_int_equal(dns_name_normalize("a\"b", out, sizeof(out)), -EINVAL);
	assert_int_equal(dns_name_normalize(NULL, out, sizeof(out)), -EINVAL);
	memset(label, 'x', 63);
	label[63] = '\0';
	assert_int_equal(dns_name_normalize(label, out, sizeof(out)), 0);
	memset(label, 'x', 64);
	label[64] = '\0';
	assert_int_equal(dns_name_normalize(label, out, sizeof(out)), -EINVAL);
	memset(big, 'a', sizeof(big));
	for (size_t i = 1; i < sizeof(big); i += 2)
		big[i] = '.';
	big[253] = '\0'; /* 253 characters ending in a label */
	assert_int_equal(dns_name_normalize(big, out, sizeof(out)), 0);
	big[253] = 'a';
	big[254] = '\0';
	assert_int_equal(dns_name_normalize(big, out, sizeof(out)), -EINVAL);
	assert_int_equal(dns_name_normalize("abc.def", out, 4), -ENOSPC);
}

static void test_order(void **state)
{
	/* most specific first, the original's ranking */
	static const char *const sorted[] = {
		"example.com",     "bar.example.com", "*.bar.example.com", "foo.example.com",
		"?.example.com",   "*.example.com",   "**.example.com",    "*ample.com",
		"*.com",
	};
	size_t n = sizeof(sorted) / sizeof(sorted[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(dns_pattern_cmp(sorted[i], sorted[i]), 0);
		for (size_t j = i + 1; j < n; j++) {
			if (dns_pattern_cmp(sorted[i], sorted[j]) >= 0 ||
			    dns_pattern_cmp(sorted[j], sorted[i]) <= 0)
				fail_msg("\"%s\" should come before \"%s\"", sorted[i], sorted[j]);
		}
	}
}

/* Characters, not bytes, compared from the end: U+00E9 (c3 a9) before U+0101 (c4 81). */
static void test_order_unicode(void **state)
{
	static const char *const sorted[] = {
		"\xc4\x81.example",   /* U+0101: the larger code point first (read backwards) */
		"\xc3\xa9.example",   /* U+00E9 */
		"*.\xc3\xa9.example", /* the same name with a wildcard label in front comes next */
		"z.example",            /* ASCII below both */
		"?.example",
		"*.example",
	};
	size_t n = sizeof(sorted) / sizeof(sorted[0]);

	(void)state;
	assert_true(dns_pattern_cmp("*.\xc3\xa9.example", "\xc3\xa9.example") > 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(dns_pattern_cmp(sorted[i], sorted[i]), 0);
		for (size_t j = i + 1; j < n; j++) {
			if (dns_pattern_cmp(sorted[i], sorted[j]) >= 0 ||
			    dns_pattern_cmp(sorted[j], sorted[i]) <= 0)
				fail_msg("\"%s\" should come before \"%s\"", sorted[i], sorted[j]);
		}
	}
	/* bytes that are not UTF-8 still order consistently */
	assert_int_equal(dns_pattern_cmp("\xff.a", "\xff.a"), 0);
	assert_true((dns_pattern_cmp("\x80\x80", "\xc3") > 0) == (dns_pattern_cmp("\xc3", "\x80\x80") < 0));
}

static void test_best(void **state)
{
	static const char *const pats[] = { "**.corp.example", "*.corp.example", "app.corp.example",
					    "?pp.corp.example", NULL, "web.corp.example" };

	(void)state;
	assert_int_equal(dns_pattern_best(pats, 6, "app.corp.example"), 2);
	assert_int_equal(dns_pattern_best(pats, 6, "bpp.corp.example"), 3);
	assert_int_equal(dns_pattern_best(pats, 6, "mail.corp.example"), 1);
	assert_int_equal(dns_pattern_best(pats, 6, "a.b.corp.example"), 0);
	assert_int_equal(dns_pattern_best(pats, 6, "corp.example"), 1);
	assert_int_equal(dns_pattern_best(pats, 6, "other.example"), -1);
	assert_int_equal(dns_pattern_best(pats, 0, "app.corp.example"), -1);
}

static void test_hosts(void **state)
{
	static const char text[] =
		"# comment\n"
		"127.0.0.1\tlocalhost\n"
		"10.200.0.10 multi.corp.example web # trailing comment\n"
		"10.200.0.11 MULTI.corp.example\n"
		"2001:db8::10 multi.corp.example v6only.corp.example\r\n"
		"fe80::1%eth0 scoped.example\n"
		"not-an-address bad.example\n"
		"10.200.0.10 multi.corp.example\n" /* a duplicate */
		"10.0.0.1 bad..name good.example\n"
		"   \n"
		"10.0.0.2";
	struct dns_hosts h = { 0 };
	struct dns_result r;

	(void)state;
	assert_int_equal(dns_hosts_parse(&h, text, sizeof(text) - 1), 0);
	assert_int_equal(dns_hosts_lookup(&h, "multi.corp.example", &r), 3);
	assert_int_equal(r.addrs[0].family, 4);
	assert_int_equal(r.addrs[0].bytes[3], 10);
	assert_int_equal(r.addrs[1].family, 4);
	assert_int_equal(r.addrs[1].bytes[3], 11);
	assert_int_equal(r.addrs[2].family, 6);
	assert_int_equal(dns_hosts_lookup(&h, "v6only.corp.example", &r), 1);
	assert_int_equal(r.addrs[0].family, 6);
	assert_int_equal(dns_hosts_lookup(&h, "web", &r), 1);
	assert_int_equal(dns_hosts_lookup(&h, "good.example", &r), 1);
	assert_int_equal(dns_hosts_lookup(&h, "scoped.example", &r), 0);
	assert_int_equal(dns_hosts_lookup(&h, "bad.example", &r), 0);
	assert_int_equal(dns_hosts_lookup(&h, "missing.example", &r), 0);
	dns_hosts_free(&h);
	assert_int_equal(dns_hosts_load(&h, "/nonexistent/hosts"), -ENOENT);
	dns_hosts_free(&h);
}

static int cmp_bytes(const void *a, const void *b)
{
	return memcmp(((const struct fzgw_addr *)a)->bytes, ((const struct fzgw_addr *)b)->bytes, 16);
}

/* A result keeps each family's smallest addresses, IPv4 first, ascending, without duplicates,
 * whatever the answer order (checked against sorting everything, over random answers). */
static void test_result_add(void **state)
{
	uint64_t x = 88172645463325252ull;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		struct fzgw_addr all[2][64];
		int n[2] = { 0, 0 }, total = (int)(x % 40);
		struct dns_result r;

		memset(&r, 0, sizeof(r));
		for (int i = 0; i < total; i++) {
			struct fzgw_addr a;
			int f, dup = 0;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			memset(&a, 0, sizeof(a));
			f = (int)(x & 1);
			a.family = f ? 6 : 4;
			a.bytes[0] = 10;
			a.bytes[f ? 15 : 3] = (uint8_t)(x >> 8) % 24; /* duplicates happen */
			a.bytes[f ? 14 : 2] = (uint8_t)(x >> 16) % 2;
			dns_result_add(&r, &a);
			for (int k = 0; k < n[f]; k++)
				dup |= !memcmp(all[f][k].bytes, a.bytes, 16);
			if (!dup)
				all[f][n[f]++] = a;
		}
		for (int f = 0, at = 0; f < 2; f++) {
			int keep = n[f] < DNS_RESULT_PER_FAMILY ? n[f] : DNS_RESULT_PER_FAMILY;

			qsort(all[f], (size_t)n[f], sizeof(all[f][0]), cmp_bytes);
			for (int k = 0; k < keep; k++, at++) {
				assert_int_equal(r.addrs[at].family, f ? 6 : 4);
				assert_memory_equal(r.addrs[at].bytes, all[f][k].bytes, 16);
			}
			if (f == 1)
				assert_int_equal(r.n, at);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table), cmocka_unit_test(test_match_long),
		cmocka_unit_test(test_match_long_pattern), cmocka_unit_test(test_order_unicode),
		cmocka_unit_test(test_normalize),   cmocka_unit_test(test_order),
		cmocka_unit_test(test_best),        cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_result_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
