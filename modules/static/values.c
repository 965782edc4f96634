/* SPDX-License-Identifier: Apache-2.0 */
/* Parsers for the static settings' single values: addresses, CIDRs, port lists, keys, names. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "static.h"

bool static_addr_equal(const struct fzgw_addr *a, const struct fzgw_addr *b)
{
	return a->family == b->family && !memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

int static_parse_addr(const char *s, struct fzgw_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->bytes) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->bytes) == 1) {
		out->family = 6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

/* Parses 1 to @max_digits decimal digits; *end is left after them. */
static int parse_uint(const char *s, const char **end, unsigned max_digits, unsigned long *v)
{
	unsigned n = 0;

	*v = 0;
	while (isdigit((unsigned char)s[n])) {
		if (++n > max_digits)
			return -EINVAL;
		*v = *v * 10 + (unsigned long)(s[n - 1] - '0');
	}
	*end = s + n;
	return n ? 0 : -EINVAL;
}

static bool host_bits_clear(const struct fzgw_addr *a, unsigned prefix_len)
{
	unsigned nbytes = a->family == 4 ? 4 : 16;

	for (unsigned bit = prefix_len; bit < nbytes * 8; bit++)
		if (a->bytes[bit / 8] & (0x80u >> (bit % 8)))
			return false;
	return true;
}

int static_parse_cidr(const char *s, struct fzgw_addr *net, uint8_t *prefix_len)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/'), *end;
	unsigned long plen;
	size_t alen;

	if (!slash || (alen = (size_t)(slash - s)) == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (static_parse_addr(addr, net) < 0)
		return -EINVAL;
	if (parse_uint(slash + 1, &end, 3, &plen) < 0 || *end ||
	    plen > (net->family == 4 ? 32u : 128u))
		return -EINVAL;
	/* a network with host bits set is most likely a typo: refuse rather than guess */
	if (!host_bits_clear(net, (unsigned)plen))
		return -EINVAL;
	*prefix_len = (uint8_t)plen;
	return 0;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int static_add_range(struct fzgw_port_range **ranges, uint32_t *n, uint16_t first, uint16_t last)
{
	struct fzgw_port_range *r;

	/* grows by doubling: capacity is the next power of two of *n */
	if (!(*n & (*n - 1)) || *n == 0) {
		size_t cap = *n ? (size_t)*n * 2 : 4;

		if (*n >= UINT32_MAX / 2 || !(r = realloc(*ranges, cap * sizeof(*r))))
			return -ENOMEM;
		*ranges = r;
	}
	(*ranges)[*n].first = first;
	(*ranges)[*n].last = last;
	(*n)++;
	return 0;
}

int static_parse_ports(const char *s, struct fzgw_port_range **ranges, uint32_t *n)
{
	for (;;) {
		unsigned long first, last;
		const char *p = skip_ws(s);

		if (parse_uint(p, &p, 5, &first) < 0 || first < 1 || first > 65535)
			return -EINVAL;
		p = skip_ws(p);
		last = first;
		if (*p == '-') {
			p = skip_ws(p + 1);
			if (parse_uint(p, &p, 5, &last) < 0 || last < 1 || last > 65535)
				return -EINVAL;
			p = skip_ws(p);
		}
		if (first > last)
			return -EINVAL;
		if (static_add_range(ranges, n, (uint16_t)first, (uint16_t)last) < 0)
			return -ENOMEM;
		if (!*p)
			return 0;
		if (*p != ',')
			return -EINVAL;
		s = p + 1;
	}
}

int static_parse_key(const char *s, uint8_t out[32])
{
	uint8_t buf[32];
	size_t len = 0;
	int rc = 0;

	/* no b64_end: any character outside the alphabet fails the whole string */
	if (sodium_base642bin(buf, sizeof(buf), s, strlen(s), NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != sizeof(buf))
		rc = -EINVAL;
	else
		memcpy(out, buf, sizeof(buf));
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

/* Names as the portal writes them: labels of a-z 0-9 - _, and the glob characters * ? */
int static_parse_dns_pattern(const char *s, char *out, size_t outlen)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253 || n >= outlen)
		return -EINVAL;
	for (size_t i = 0; i <= n; i++) {
		char c = (char)tolower((unsigned char)s[i]);

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63)
				return -EINVAL;
			label = 0;
		} else if (isalnum((unsigned char)c) || strchr("-_*?", c)) {
			label++;
		} else {
			return -EINVAL;
		}
		out[i] = c;
	}
	return 0;
}

/* The original's tunnel ranges: 100.64.0.0/11 and fd00:2021:1111::/107. */
bool static_in_tunnel(const struct fzgw_addr *a)
{
	static const uint8_t v6[12] = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11 };

	if (a->family == 4)
		return a->bytes[0] == 100 && (a->bytes[1] & 0xe0) == 64;
	if (a->family == 6)
		return !memcmp(a->bytes, v6, sizeof(v6)) && a->bytes[12] == 0 &&
		       (a->bytes[13] & 0xe0) == 0;
	return false;
}
