/* SPDX-License-Identifier: Apache-2.0 */
/* Parsers for the single values of portal messages: UUIDs, keys, addresses, networks, names. */
#include "values.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 32 hex digits, with hyphens after digits 8, 12, 16 and 20 when @hyphens. */
static int uuid_digits(const char *s, size_t len, bool hyphens, char out[PZ_UUID_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0, o = 0;

	if (len != (hyphens ? 36u : 32u))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (hyphens && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		if (hexval(s[i]) < 0)
			return -EINVAL;
		if (out) {
			if (n == 8 || n == 12 || n == 16 || n == 20)
				out[o++] = '-';
			out[o++] = hex[hexval(s[i])];
		}
		n++;
	}
	if (out)
		out[o] = '\0';
	return 0;
}

int pz_uuid_parse(const char *s, char out[PZ_UUID_SIZE])
{
	size_t len = strlen(s);

	if (len == 32)
		return uuid_digits(s, 32, false, out);
	if (len == 36)
		return uuid_digits(s, 36, true, out);
	if (len == 38 && s[0] == '{' && s[37] == '}')
		return uuid_digits(s + 1, 36, true, out);
	if (len == 45 && !strncasecmp(s, "urn:uuid:", 9))
		return uuid_digits(s + 9, 36, true, out);
	return -EINVAL;
}

int pz_key_parse(const char *s, uint8_t out[32])
{
	uint8_t tmp[33];
	size_t n = 0, len = strlen(s);
	int rc = 0;

	/* base64 of 32 bytes is 44 characters with one '=' */
	if (len != 44 ||
	    sodium_base642bin(tmp, sizeof(tmp), s, len, NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    n != 32)
		rc = -EINVAL;
	else
		memcpy(out, tmp, 32);
	sodium_memzero(tmp, sizeof(tmp));
	return rc;
}

int pz_addr_parse(const char *s, int family, struct fzgw_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(family == 4 ? AF_INET : AF_INET6, s, out->bytes) != 1) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	out->family = (uint8_t)family;
	return 0;
}

bool pz_addr_equal(const struct fzgw_addr *a, const struct fzgw_addr *b)
{
	return a->family == b->family && !memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

/* 1 to @max_digits decimal digits and nothing else, at most @max. */
static int parse_decimal(const char *s, size_t len, unsigned max_digits, unsigned long max,
			 unsigned long *v)
{
	*v = 0;
	if (!len || len > max_digits)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		*v = *v * 10 + (unsigned long)(s[i] - '0');
	}
	return *v <= max ? 0 : -EINVAL;
}

int pz_cidr_parse(const char *s, struct fzgw_addr *net, uint8_t *prefix_len)
{
	const char *slash = strchr(s, '/');
	char text[INET6_ADDRSTRLEN];
	unsigned long plen;
	size_t alen;
	int family;

	if (!slash || (alen = (size_t)(slash - s)) >= sizeof(text))
		return -EINVAL;
	memcpy(text, s, alen);
	text[alen] = '\0';
	family = strchr(text, ':') ? 6 : 4;
	if (pz_addr_parse(text, family, net) < 0 ||
	    parse_decimal(slash + 1, strlen(slash + 1), 3, family == 4 ? 32 : 128, &plen) < 0)
		goto bad;
	for (unsigned bit = (unsigned)plen; bit < (family == 4 ? 32u : 128u); bit++)
		if (net->bytes[bit / 8] & (0x80u >> (bit % 8)))
			goto bad;
	*prefix_len = (uint8_t)plen;
	return 0;
bad:
	memset(net, 0, sizeof(*net));
	return -EINVAL;
}

int pz_sockaddr_parse(const char *s, char *out, size_t outlen)
{
	char text[INET6_ADDRSTRLEN], norm[INET6_ADDRSTRLEN];
	struct fzgw_addr a;
	const char *colon, *host = s;
	unsigned long port;
	size_t hlen;
	int family = 4;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
		family = 6;
	} else {
		if (!(colon = strchr(s, ':')) || strchr(colon + 1, ':'))
			return -EINVAL;
		hlen = (size_t)(colon - s);
	}
	if (hlen >= sizeof(text))
		return -EINVAL;
	memcpy(text, host, hlen);
	text[hlen] = '\0';
	if (pz_addr_parse(text, family, &a) < 0 ||
	    parse_decimal(colon + 1, strlen(colon + 1), 5, 65535, &port) < 0)
		return -EINVAL;
	inet_ntop(family == 4 ? AF_INET : AF_INET6, a.bytes, norm, sizeof(norm));
	if ((size_t)snprintf(out, outlen, family == 4 ? "%s:%lu" : "[%s]:%lu", norm, port) >=
	    outlen)
		return -EINVAL;
	return 0;
}

int pz_dns_pattern_parse(const char *s, char *out, size_t outlen)
{
	size_t len = strlen(s), chars = 0;

	if (!len || len >= outlen)
		return -EINVAL;
	for (size_t i = 0; i < len; chars++) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

		if (n == 1) {
			if (c <= ' ' || c == 0x7f)
				return -EINVAL;
			out[i++] = (char)tolower(c);
			continue;
		}
		/* UTF-8 (jansson checked it; checked again for other callers): no C1 controls */
		if (c < 0xc2 || c > 0xf4 || i + n > len || (c == 0xc2 && (unsigned char)s[i + 1] < 0xa0))
			return -EINVAL;
		for (size_t k = 1; k < n; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return -EINVAL;
		memcpy(out + i, s + i, n);
		i += n;
	}
	if (chars > 253)
		return -EINVAL;
	out[len] = '\0';
	return 0;
}
