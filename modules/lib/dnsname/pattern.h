/* SPDX-License-Identifier: Apache-2.0 */
/* DNS resource name patterns: matching, normalisation and the "most specific" order. */
#ifndef FZGW_DNSNAME_PATTERN_H
#define FZGW_DNSNAME_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#define DNS_NAME_MAX 253 /* characters of a name without the trailing dot (RFC 1035 2.3.4) */
#define DNS_LABEL_MAX 63

/*
 * Copies @in to @out (@outlen bytes) in lower case without one trailing dot, and checks
 * that it is a host name: labels of 1 to 63 characters out of a-z 0-9 - _, at most 253
 * characters in all. Names are ASCII (an internationalised name is in its xn-- form, as
 * DNS carries it). 0, or -EINVAL (-ENOSPC when @out is too small).
 */
int dns_name_normalize(const char *in, char *out, size_t outlen);

/*
 * Whether @domain (a host name as dns_name_normalize() takes it; case and one trailing dot
 * do not matter) matches @pattern, compared label by label: "*" and "?" inside a label
 * match any run of characters and one character, "**" as a whole label matches zero or
 * more labels, and a leading "*." also matches the name after it (the apex). ASCII letters
 * compare without case. @pattern is UTF-8 of any length; its other characters (Unicode
 * letters) compare as they are, so they match only themselves: never a character of an
 * ASCII name, as in the original gateway, which does not convert patterns to xn-- form.
 * A label mixing "**" with other characters never matches.
 */
bool dns_pattern_match(const char *pattern, const char *domain);

/*
 * Orders patterns from the most specific: <0 when @a is more specific than @b. Compared
 * character by character (UTF-8 code points) from the end: plain names before "?", "?"
 * before "*", shorter before longer, otherwise by code point, the larger first.
 */
int dns_pattern_cmp(const char *a, const char *b);

/* The index of the most specific of @n patterns matching @domain, or -1 when none does. */
int dns_pattern_best(const char *const *patterns, size_t n, const char *domain);

#endif
