/* SPDX-License-Identifier: Apache-2.0 */
/* rtnetlink requests for links, addresses and routes, each checked against the kernel's ACK. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "netlink.h"
#include "nl.h"
#include "rules.h"

#define NL_REQ_SIZE 512
/* Dumps need room for the kernel's largest message; 32 KB is its ceiling for dump skbs. */
#define NL_RX_SIZE 32768
#define ADDR_BATCH 64
#define FLUSH_ROUNDS 64

/* One request buffer, aligned for struct nlmsghdr. */
union nl_req {
	char buf[NL_REQ_SIZE];
	struct nlmsghdr align;
};

/*
 * Sends @nlh on a fresh socket and reads until the kernel's ACK (or the end of a dump),
 * passing every other message to @cb. A fresh socket per request means a failed or
 * interrupted exchange can never leave stray replies for the next one.
 */
static int nl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char rx[NL_RX_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct mnl_socket *nl;
	uint32_t portid, seq;
	ssize_t n;
	int ret;
	int err = 0;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out_close;
	}
	portid = mnl_socket_get_portid(nl);
	seq = 1;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto out_close;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl, rx, sizeof(rx));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		errno = 0;
		ret = mnl_cb_run(rx, (size_t)n, seq, portid, cb, data);
		if (ret < 0) {
			/* libmnl leaves the kernel's error (or EPROTO, ESRCH, EINTR) in errno. */
			err = errno ? -errno : -EIO;
			break;
		}
		if (ret == MNL_CB_STOP)
			break;
	}
out_close:
	mnl_socket_close(nl);
	return err;
}

int fzgw_nl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	return nl_talk(nlh, cb, data);
}

static struct nlmsghdr *nl_put(union nl_req *req, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static int family_of(const struct fzgw_addr *a, size_t *alen)
{
	if (a->family == 4) {
		*alen = 4;
		return AF_INET;
	}
	if (a->family == 6) {
		*alen = 16;
		return AF_INET6;
	}
	return -EAFNOSUPPORT;
}

/* ------------------------------------------------------------------- links */

static int link_index_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == RTM_NEWLINK && mnl_nlmsg_get_payload_len(nlh) >= sizeof(*ifi))
		*(int *)data = ifi->ifi_index;
	return MNL_CB_OK;
}

int fzgw_net_link_index(const char *ifname)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int index = 0;
	int err;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	nlh = nl_put(&req, RTM_GETLINK, NLM_F_ACK);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	/* Only the header is wanted: skip the statistics and VF lists. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

	err = nl_talk(nlh, link_index_cb, &index);
	if (err)
		return err;
	return index > 0 ? index : -ENODEV;
}

int fzgw_net_link_exists(const char *ifname)
{
	int index = fzgw_net_link_index(ifname);

	if (index == -ENODEV)
		return 0;
	return index < 0 ? index : 1;
}

/* An RTM_NEWLINK on an existing link: iproute2's "ip link set". */
static struct nlmsghdr *link_set_msg(union nl_req *req, int index, unsigned int flags,
				     unsigned int change)
{
	struct nlmsghdr *nlh = nl_put(req, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	ifi->ifi_flags = flags;
	ifi->ifi_change = change;
	return nlh;
}

static int link_set_u32(int index, uint16_t attr, uint32_t value)
{
	union nl_req req;
	struct nlmsghdr *nlh = link_set_msg(&req, index, 0, 0);

	mnl_attr_put_u32(nlh, attr, value);
	return nl_talk(nlh, NULL, NULL);
}

static int link_set_flags(int index, bool up)
{
	union nl_req req;

	return nl_talk(link_set_msg(&req, index, up ? IFF_UP : 0, IFF_UP), NULL, NULL);
}

static int link_no_ipv6_ll(int index)
{
	union nl_req req;
	struct nlmsghdr *nlh = link_set_msg(&req, index, 0, 0);
	struct nlattr *spec, *inet6;

	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, spec);
	return nl_talk(nlh, NULL, NULL);
}

static int link_del(int index)
{
	union nl_req req;
	struct nlmsghdr *nlh = nl_put(&req, RTM_DELLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	return nl_talk(nlh, NULL, NULL);
}

int fzgw_net_link_set_mtu(const char *ifname, uint32_t mtu)
{
	int index = fzgw_net_link_index(ifname);

	return index < 0 ? index : link_set_u32(index, IFLA_MTU, mtu);
}

int fzgw_net_link_set_txqlen(const char *ifname, uint32_t txqlen)
{
	int index = fzgw_net_link_index(ifname);

	return index < 0 ? index : link_set_u32(index, IFLA_TXQLEN, txqlen);
}

int fzgw_net_link_set_up(const char *ifname)
{
	int index = fzgw_net_link_index(ifname);

	return index < 0 ? index : link_set_flags(index, true);
}

int fzgw_net_link_set_down(const char *ifname)
{
	int index = fzgw_net_link_index(ifname);

	return index < 0 ? index : link_set_flags(index, false);
}

int fzgw_net_link_no_ipv6_ll(const char *ifname)
{
	int index = fzgw_net_link_index(ifname);

	return index < 0 ? index : link_no_ipv6_ll(index);
}

int fzgw_net_link_del(const char *ifname)
{
	int index = fzgw_net_link_index(ifname);

	return index < 0 ? index : link_del(index);
}

/* --------------------------------------------------------------- addresses */

struct addr_entry {
	uint8_t family;
	uint8_t prefixlen;
	uint8_t alen;
	bool has_local, has_address;
	uint8_t local[16], address[16];
};

struct addr_dump {
	int index;
	size_t n;
	bool more; /* the dump held more than one batch */
	struct addr_entry e[ADDR_BATCH];
};

static int addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_dump *d = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	struct addr_entry *e;

	if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_OK;
	if ((int)ifa->ifa_index != d->index ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return MNL_CB_OK;
	if (d->n == ADDR_BATCH) {
		d->more = true;
		return MNL_CB_OK;
	}
	e = &d->e[d->n];
	memset(e, 0, sizeof(*e));
	e->family = ifa->ifa_family;
	e->prefixlen = ifa->ifa_prefixlen;
	e->alen = ifa->ifa_family == AF_INET ? 4 : 16;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		uint16_t type = mnl_attr_get_type(attr);

		if (mnl_attr_get_payload_len(attr) != e->alen)
			continue;
		if (type == IFA_LOCAL) {
			memcpy(e->local, mnl_attr_get_payload(attr), e->alen);
			e->has_local = true;
		} else if (type == IFA_ADDRESS) {
			memcpy(e->address, mnl_attr_get_payload(attr), e->alen);
			e->has_address = true;
		}
	}
	if (e->has_local || e->has_address)
		d->n++;
	return MNL_CB_OK;
}

static int addr_dump(struct addr_dump *d)
{
	union nl_req req;
	struct nlmsghdr *nlh = nl_put(&req, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	/* Strict kernels filter by index; others send all and the callback filters. */
	ifa->ifa_family = AF_UNSPEC;
	ifa->ifa_index = (uint32_t)d->index;
	d->n = 0;
	d->more = false;
	return nl_talk(nlh, addr_dump_cb, d);
}

static int addr_del(int index, const struct addr_entry *e)
{
	union nl_req req;
	struct nlmsghdr *nlh = nl_put(&req, RTM_DELADDR, NLM_F_ACK);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = e->family;
	ifa->ifa_prefixlen = e->prefixlen;
	ifa->ifa_index = (uint32_t)index;
	if (e->has_local)
		mnl_attr_put(nlh, IFA_LOCAL, e->alen, e->local);
	if (e->has_address)
		mnl_attr_put(nlh, IFA_ADDRESS, e->alen, e->address);
	return nl_talk(nlh, NULL, NULL);
}

static int addr_flush(int index)
{
	struct addr_dump d;
	size_t i;
	int round;
	int err;

	for (round = 0; round < FLUSH_ROUNDS; round++) {
		d.index = index;
		err = addr_dump(&d);
		/* EINTR: the address list changed during the dump; take it again. */
		if (err == -EINTR)
			continue;
		if (err)
			return err;
		for (i = 0; i < d.n; i++) {
			err = addr_del(index, &d.e[i]);
			/* Deleting an IPv4 primary address takes its secondaries with it. */
			if (err && err != -EADDRNOTAVAIL)
				return err;
		}
		if (!d.more)
			return 0;
	}
	return -EAGAIN;
}

static int addr_add(int index, const struct fzgw_addr *addr, uint8_t prefix_len)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	size_t alen;
	int family = family_of(addr, &alen);

	if (family < 0)
		return family;
	if (prefix_len > alen * 8)
		return -EINVAL;
	nlh = nl_put(&req, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = prefix_len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)index;
	/* Bound right after (the DNS forwarder on port 53535): no DAD wait. */
	if (family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put(nlh, IFA_LOCAL, alen, addr->bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, addr->bytes);
	return nl_talk(nlh, NULL, NULL);
}

int fzgw_net_addr_flush(const char *ifname)
{
	int index = fzgw_net_link_index(ifname);

	return index < 0 ? index : addr_flush(index);
}

int fzgw_net_addr_add(const char *ifname, const struct fzgw_addr *addr, uint8_t prefix_len)
{
	int index = fzgw_net_link_index(ifname);

	return index < 0 ? index : addr_add(index, addr, prefix_len);
}

/* ------------------------------------------------------------------ routes */

static int route_msg(int index, uint16_t type, uint16_t flags, const struct fzgw_addr *dst,
		     uint8_t prefix_len, uint32_t table)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	uint8_t net[16] = { 0 };
	size_t alen, i;
	int family = family_of(dst, &alen);

	if (family < 0)
		return family;
	if (prefix_len > alen * 8)
		return -EINVAL;
	/* The kernel refuses an IPv4 prefix with host bits set. */
	for (i = 0; i < alen; i++) {
		unsigned int bits = prefix_len > i * 8 ? prefix_len - (unsigned int)i * 8 : 0;

		net[i] = bits >= 8 ? dst->bytes[i] : (uint8_t)(dst->bytes[i] & (0xff00u >> bits));
	}
	if (table == FZGW_NET_TABLE_MAIN)
		table = RT_TABLE_MAIN;

	nlh = nl_put(&req, type, NLM_F_ACK | flags);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = prefix_len;
	/* Ids above 255 only fit in RTA_TABLE. */
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	if (type == RTM_DELROUTE) {
		/* Match the route whoever added it: any protocol, any scope. */
		rtm->rtm_protocol = RTPROT_UNSPEC;
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
	} else {
		rtm->rtm_protocol = RTPROT_STATIC;
		rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	}
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, alen, net);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)index);
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	return nl_talk(nlh, NULL, NULL);
}

static int route_replace(int index, const struct fzgw_addr *dst, uint8_t prefix_len,
			 uint32_t table)
{
	int err = route_msg(index, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, dst, prefix_len,
			    table);

	return err == -EEXIST ? 0 : err;
}

int fzgw_net_route_add(const char *ifname, const struct fzgw_addr *dst, uint8_t prefix_len,
		       uint32_t table)
{
	int index = fzgw_net_link_index(ifname);

	if (index < 0)
		return index;
	return route_msg(index, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, dst, prefix_len, table);
}

int fzgw_net_route_replace(const char *ifname, const struct fzgw_addr *dst, uint8_t prefix_len,
			   uint32_t table)
{
	int index = fzgw_net_link_index(ifname);

	return index < 0 ? index : route_replace(index, dst, prefix_len, table);
}

int fzgw_net_route_del(const char *ifname, const struct fzgw_addr *dst, uint8_t prefix_len,
		       uint32_t table)
{
	int index = fzgw_net_link_index(ifname);

	return index < 0 ? index : route_msg(index, RTM_DELROUTE, 0, dst, prefix_len, table);
}

/* ----------------------------------------------------------- local addresses */

static int route_type_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == RTM_NEWROUTE && mnl_nlmsg_get_payload_len(nlh) >= sizeof(*rtm))
		*(int *)data = rtm->rtm_type;
	return MNL_CB_OK;
}

int fzgw_net_addr_is_local(const struct fzgw_addr *addr)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	size_t alen;
	int family = family_of(addr, &alen);
	int type = -1;
	int err;

	if (family < 0)
		return family;
	nlh = nl_put(&req, RTM_GETROUTE, NLM_F_ACK);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)(alen * 8);
	mnl_attr_put(nlh, RTA_DST, alen, addr->bytes);
	if ((err = nl_talk(nlh, route_type_cb, &type)) < 0)
		return err;
	if (type < 0)
		return -EIO;
	return type == RTN_LOCAL;
}

/* ----------------------------------------------------------- init message */

/* IPV4_TUNNEL and IPV6_TUNNEL of the original: every client address lies in them. */
static const struct fzgw_addr tunnel_v4 = { .family = 4, .bytes = { 100, 64, 0, 0 } };
static const struct fzgw_addr tunnel_v6 = {
	.family = 6,
	.bytes = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11 },
};
#define TUNNEL_V4_LEN 11
#define TUNNEL_V6_LEN 107

static int parse_addr(const char *s, int family, struct fzgw_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(family, s, a->bytes) != 1)
		return -EINVAL;
	a->family = family == AF_INET ? 4 : 6;
	return 0;
}

/*
 * Routes @dst into @table. With @rt, the family's route in another table before (a fallback
 * to the main table, a change of table) is deleted once the new one is in.
 */
static int tunnel_route(int index, const struct fzgw_addr *dst, uint8_t len, uint32_t table,
			struct fzgw_net_routing *rt, int i)
{
	int err = route_replace(index, dst, len, table);

	if (err || !rt)
		return err;
	if (rt->placed[i] && rt->placed_table[i] != table)
		(void)route_msg(index, RTM_DELROUTE, 0, dst, len, rt->placed_table[i]); /* -ESRCH ok */
	rt->placed[i] = true;
	rt->placed_table[i] = table;
	return 0;
}

int fzgw_net_configure_tun(const char *ifname, const char *ipv4, const char *ipv6, uint32_t mtu,
			   struct fzgw_net_routing *rt)
{
	struct fzgw_addr a4, a6;
	uint32_t table4 = FZGW_NET_TABLE_MAIN, table6 = FZGW_NET_TABLE_MAIN;
	int have = 0;
	int err4 = 0, err6 = 0;
	int index;
	int err;

	if (ipv4 && parse_addr(ipv4, AF_INET, &a4))
		return -EINVAL;
	if (ipv6 && parse_addr(ipv6, AF_INET6, &a6))
		return -EINVAL;
	index = fzgw_net_link_index(ifname);
	if (index < 0)
		return index;

	/* Before the link comes up, or the kernel has already made an fe80:: address. */
	err = link_no_ipv6_ll(index);
	if (err && err != -EAFNOSUPPORT)
		return err;
	err = link_set_u32(index, IFLA_TXQLEN, FZGW_NET_TXQLEN);
	if (err)
		return err;
	err = addr_flush(index);
	if (err)
		return err;
	err = link_set_u32(index, IFLA_MTU, mtu);
	if (err)
		return err;

	if (ipv4) {
		err4 = addr_add(index, &a4, 32);
		if (!err4)
			have |= FZGW_NET_HAVE_V4;
	}
	if (ipv6) {
		err6 = addr_add(index, &a6, 128);
		if (!err6)
			have |= FZGW_NET_HAVE_V6;
	}
	if ((ipv4 || ipv6) && !have)
		return err4 ? err4 : err6;

	err = link_set_flags(index, true);
	if (err)
		return err;

	/* the rules first: a route in the table only counts once the rule points there */
	if (rt) {
		fzgw_net_routing_prepare(rt, have);
		table4 = rt->used[0];
		table6 = rt->used[1];
	}
	if (have & FZGW_NET_HAVE_V4) {
		err = tunnel_route(index, &tunnel_v4, TUNNEL_V4_LEN, table4, rt, 0);
		if (err)
			return err;
	}
	if (have & FZGW_NET_HAVE_V6) {
		err = tunnel_route(index, &tunnel_v6, TUNNEL_V6_LEN, table6, rt, 1);
		if (err)
			return err;
	}
	return have;
}
