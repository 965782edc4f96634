/* SPDX-License-Identifier: Apache-2.0 */
/* Interface, address and route configuration over rtnetlink (libmnl). */
#ifndef FZGW_NET_NETLINK_H
#define FZGW_NET_NETLINK_H

#include <stdint.h>

#include <fzgw/ip.h>

/*
 * Every call opens its own NETLINK_ROUTE socket, sends one request with NLM_F_ACK and
 * waits for the kernel's answer: 0 or the kernel's -errno (e.g. -ENODEV for an unknown
 * interface, -EPERM without CAP_NET_ADMIN). Calls block for the round trip only; none
 * logs. Interfaces are named by @ifname and looked up on each call.
 */

/* The original's TUN transmit queue: one TUN thread and a long queue avoid reordering. */
#define FZGW_NET_TXQLEN 10000u

/* Table 0 in the route calls means the main table. */
#define FZGW_NET_TABLE_MAIN 0u

/* Address families fzgw_net_configure_tun() reports as configured. */
enum {
	FZGW_NET_HAVE_V4 = 1u << 0,
	FZGW_NET_HAVE_V6 = 1u << 1,
};

/* The interface's index (> 0), or -ENODEV, -EINVAL for a bad name, or another -errno. */
int fzgw_net_link_index(const char *ifname);

/* 1 when an interface of that name exists, 0 when not, -errno when the kernel cannot tell. */
int fzgw_net_link_exists(const char *ifname);

int fzgw_net_link_set_mtu(const char *ifname, uint32_t mtu);
int fzgw_net_link_set_txqlen(const char *ifname, uint32_t txqlen);
int fzgw_net_link_set_up(const char *ifname);
int fzgw_net_link_set_down(const char *ifname);

/*
 * Stops the kernel from giving the interface an IPv6 link-local address
 * (IFLA_INET6_ADDR_GEN_MODE = IN6_ADDR_GEN_MODE_NONE). Takes effect at the next up:
 * call it while the link is down, or flush the addresses afterwards. -EAFNOSUPPORT when
 * IPv6 is off on this host or interface.
 */
int fzgw_net_link_no_ipv6_ll(const char *ifname);

/* Deletes the interface (RTM_DELLINK); fds still attached to a TUN then read -EBADFD. */
int fzgw_net_link_del(const char *ifname);

/* Deletes every IPv4 and IPv6 address of the interface, link-local ones included. */
int fzgw_net_addr_flush(const char *ifname);

/*
 * Adds @addr/@prefix_len to the interface; IPv6 addresses skip duplicate address
 * detection so they can be bound at once. -EEXIST when it is already there.
 */
int fzgw_net_addr_add(const char *ifname, const struct fzgw_addr *addr, uint8_t prefix_len);

/*
 * Routes @dst/@prefix_len out of the interface, no gateway, protocol static, in @table
 * (FZGW_NET_TABLE_MAIN or any table id). Host bits of @dst are cleared first. _add fails
 * with -EEXIST when the route exists; _replace overwrites it (and takes -EEXIST as done).
 */
int fzgw_net_route_add(const char *ifname, const struct fzgw_addr *dst, uint8_t prefix_len,
		       uint32_t table);
int fzgw_net_route_replace(const char *ifname, const struct fzgw_addr *dst, uint8_t prefix_len,
			   uint32_t table);

/* Deletes that route; -ESRCH when there is none. */
int fzgw_net_route_del(const char *ifname, const struct fzgw_addr *dst, uint8_t prefix_len,
		       uint32_t table);

/*
 * 1 when the kernel routes @addr locally (RTN_LOCAL: one of this host's addresses), 0 when
 * not, -errno when it cannot tell (e.g. -ENETUNREACH, -EAFNOSUPPORT).
 */
int fzgw_net_addr_is_local(const struct fzgw_addr *addr);

struct fzgw_net_routing; /* rules.h */

/*
 * What the original gateway does with its TUN on the portal's init message, in its
 * order: no IPv6 link-local address and a transmit queue of FZGW_NET_TXQLEN (done at
 * creation there; repeating them is harmless), delete every address, set @mtu, add
 * @ipv4/32 and @ipv6/128 (either may be NULL), bring the link up, and route
 * 100.64.0.0/11 and fd00:2021:1111::/107 through it, each only when that family's address
 * was added. Where the routes go is @rt's (rules.h): the main table when @rt is NULL or its
 * table is FZGW_NET_TABLE_MAIN, else that table with an inverted fwmark rule per family
 * (a family whose rule the kernel refuses falls back to the main table; @rt says which).
 * A family whose address the kernel refuses is left out, as the original does; the caller
 * logs it.
 * Returns the FZGW_NET_HAVE_* mask of the families configured (0 when both addresses
 * are NULL), -EINVAL for an address that does not parse (nothing is touched then), or
 * -errno when a link step or a route failed or every requested address was refused.
 */
int fzgw_net_configure_tun(const char *ifname, const char *ipv4, const char *ipv6, uint32_t mtu,
			   struct fzgw_net_routing *rt) __attribute__((warn_unused_result));

#endif
