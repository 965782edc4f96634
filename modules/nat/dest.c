/* SPDX-License-Identifier: Apache-2.0 */
/* Addresses a proxy IP never maps onto: those that reach the gateway host or the tunnel. */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "dest.h"

struct net {
	uint8_t family, plen;
	uint8_t b[16];
};

static const struct net refused[] = {
	{ 4, 8, { 0 } },              /* 0.0.0.0/8: "this host" */
	{ 4, 8, { 127 } },            /* loopback */
	{ 4, 16, { 169, 254 } },      /* link-local, cloud metadata services */
	{ 4, 10, { 100, 64 } },       /* the client (100.64/11) and proxy (100.96/11) ranges */
	{ 4, 3, { 224 } },            /* multicast, reserved, broadcast */
	{ 6, 128, { 0 } },            /* :: */
	{ 6, 128, { [15] = 1 } },     /* ::1 */
	{ 6, 10, { 0xfe, 0x80 } },    /* link-local */
	{ 6, 8, { 0xff } },           /* multicast */
	{ 6, 96, { [10] = 0xff, [11] = 0xff } },                     /* IPv4-mapped */
	{ 6, 107, { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11 } },          /* the client range */
	{ 6, 107, { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, 0x80 } },    /* the proxy range */
};

static bool in_prefix(const struct fzgw_addr *a, const uint8_t *net, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(a->bytes, net, full))
		return false;
	return !rest || !((a->bytes[full] ^ net[full]) & (uint8_t)(0xff << (8 - rest)));
}

bool nat_dest_refused(const struct fzgw_addr *a, const struct fzgw_addr *own, size_t n_own)
{
	if (a->family != 4 && a->family != 6)
		return true;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (refused[i].family == a->family && in_prefix(a, refused[i].b, refused[i].plen))
			return true;
	for (size_t i = 0; i < n_own; i++)
		if (own[i].family == a->family && !memcmp(own[i].bytes, a->bytes, 16))
			return true;
	return false;
}

size_t nat_own_addrs(struct fzgw_addr *out, size_t max)
{
	struct ifaddrs *list, *ifa;
	size_t n = 0;

	if (getifaddrs(&list) < 0)
		return 0;
	for (ifa = list; ifa && n < max; ifa = ifa->ifa_next) {
		const struct sockaddr *sa = ifa->ifa_addr;

		if (!sa)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		if (sa->sa_family == AF_INET) {
			out[n].family = 4;
			memcpy(out[n].bytes, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
			n++;
		} else if (sa->sa_family == AF_INET6) {
			out[n].family = 6;
			memcpy(out[n].bytes, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			       16);
			n++;
		}
	}
	freeifaddrs(list);
	return n;
}

unsigned nat_dest_filter(struct dns_result *r, const struct fzgw_addr *own, size_t n_own)
{
	uint8_t k = 0, n = r->n > DNS_RESULT_MAX ? DNS_RESULT_MAX : r->n;

	for (uint8_t i = 0; i < n; i++)
		if (!nat_dest_refused(&r->addrs[i], own, n_own))
			r->addrs[k++] = r->addrs[i];
	r->n = k;
	return (unsigned)(n - k);
}
