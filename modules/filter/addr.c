/* SPDX-License-Identifier: Apache-2.0 */
/* Address ranges of the policy: prefixes, the tunnel and proxy ranges, Internet exclusions. */
#include <string.h>

#include "filter.h"

bool filter_addr_equal(const struct fzgw_addr *a, const struct fzgw_addr *b)
{
	return a->family == b->family && !memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

bool filter_addr_in(const struct fzgw_addr *a, const struct fzgw_addr *net, unsigned prefix_len)
{
	unsigned full = prefix_len / 8, rest = prefix_len % 8;

	if (a->family != net->family)
		return false;
	if (memcmp(a->bytes, net->bytes, full))
		return false;
	if (!rest)
		return true;
	return ((a->bytes[full] ^ net->bytes[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

/* fd00:2021:1111::/107 and fd00:2021:1111:8000::/107 share their first 48 bits */
static const uint8_t fz_v6[6] = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11 };

/* @a in fd00:2021:1111:<word3>::/107: bits 64..95 zero, 96..106 zero. */
static bool in_fz_v6(const struct fzgw_addr *a, uint8_t word3_hi)
{
	static const uint8_t zero[6];

	return a->family == 6 && !memcmp(a->bytes, fz_v6, sizeof(fz_v6)) &&
	       a->bytes[6] == word3_hi && a->bytes[7] == 0 && !memcmp(a->bytes + 8, zero, 5) &&
	       (a->bytes[13] & 0xe0) == 0;
}

bool filter_in_tunnel(const struct fzgw_addr *a)
{
	if (a->family == 4)
		return a->bytes[0] == 100 && (a->bytes[1] & 0xe0) == 64;
	return in_fz_v6(a, 0x00);
}

bool filter_in_proxy(const struct fzgw_addr *a)
{
	if (a->family == 4)
		return a->bytes[0] == 100 && (a->bytes[1] & 0xe0) == 96;
	return in_fz_v6(a, 0x80);
}

/*
 * As the original gateway's Internet resource (its internet_resource_rejects()): IPv4 private,
 * loopback, link-local, CGNAT, multicast and 240/4 (with the broadcast address); IPv6
 * loopback, every v4-mapped address, unique local, link-local unicast and multicast. Not
 * 0.0.0.0/8 and not the unspecified ::, which the original lets through.
 */
static bool v4_excluded(const uint8_t *b)
{
	return b[0] == 10 ||                               /* 10/8 */
	       (b[0] == 100 && (b[1] & 0xc0) == 64) ||     /* 100.64/10 CGNAT */
	       b[0] == 127 ||                              /* loopback */
	       (b[0] == 169 && b[1] == 254) ||             /* link-local */
	       (b[0] == 172 && (b[1] & 0xf0) == 16) ||     /* 172.16/12 */
	       (b[0] == 192 && b[1] == 168) ||             /* 192.168/16 */
	       b[0] >= 224;                                /* multicast, 240/4, broadcast */
}

bool filter_internet_excluded(const struct fzgw_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t zero[15];
	const uint8_t *b = a->bytes;

	if (a->family == 4)
		return v4_excluded(b);
	if (!memcmp(b, zero, 15) && b[15] == 1) /* ::1 */
		return true;
	if (!memcmp(b, mapped, sizeof(mapped))) /* ::ffff:0:0/96, whatever IPv4 it holds */
		return true;
	return (b[0] & 0xfe) == 0xfc ||                /* fc00::/7 ULA */
	       (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || /* fe80::/10 */
	       b[0] == 0xff;                              /* ff00::/8 */
}
