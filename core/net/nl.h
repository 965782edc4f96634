/* SPDX-License-Identifier: Apache-2.0 */
/* One rtnetlink request/answer exchange, shared by netlink.c and rules.c (not public). */
#ifndef FZGW_NET_NL_H
#define FZGW_NET_NL_H

#include <libmnl/libmnl.h>

/*
 * Sends @nlh on a fresh NETLINK_ROUTE socket and reads until the kernel's ACK (or the end of
 * a dump), passing every other message to @cb (may be NULL). 0 or the kernel's -errno.
 */
int fzgw_nl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

#endif
