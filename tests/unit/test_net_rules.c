/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy routing as the original (core/net/rules.c): the rule parser on crafted messages, then
 * in a private network namespace (root only) the TUN's routes in their own table with the
 * inverted fwmark rule, kept unique, deleted by the cleanup, and the fallback to the main table
 * of a kernel without rules (simulated: the test is linked with --wrap=fzgw_nl_talk and answers
 * rule requests with -EOPNOTSUPP when asked to).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "shell_out.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "netlink.h"
#include "nl.h"
#include "rules.h"
#include "tun.h"

#define SKIP 77
#define TUN "tun-fzrt"
/* The rule as `ip -j rule` prints it (table ids in decimal). */
#define OUR_RULE "{\"priority\":100,\"not\":null,\"src\":\"all\",\"fwmark\":\"0xfd002021\"," \
		 "\"table\":\"539098368\""
#define ROUTE4 "\"dst\":\"100.64.0.0/11\",\"dev\":\"" TUN "\""
#define ROUTE6 "\"dst\":\"fd00:2021:1111::/107\",\"dev\":\"" TUN "\""

/* ------------------------------------------------- a kernel without rules */

int __real_fzgw_nl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
int __wrap_fzgw_nl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
static int refuse_rules; /* -errno for every rule request while set */

int __wrap_fzgw_nl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint16_t t = nlh->nlmsg_type;

	if (refuse_rules && (t == RTM_GETRULE || t == RTM_NEWRULE || t == RTM_DELRULE))
		return refuse_rules;
	return __real_fzgw_nl_talk(nlh, cb, data);
}

/* ------------------------------------------------------------------ helpers */

static const struct fzgw_net_rule rule4 = { 4, FZGW_NET_RULE_PRIORITY, FZGW_NET_RULE_MARK,
					    FZGW_NET_TABLE_FIREZONE };
static const struct fzgw_net_rule rule6 = { 6, FZGW_NET_RULE_PRIORITY, FZGW_NET_RULE_MARK,
					    FZGW_NET_TABLE_FIREZONE };

/* Where a datagram to @dst goes from a socket with mark @mark: 0 when the kernel routes it,
 * else -errno (the connect() of a UDP socket is the route lookup). */
static int route_from(int family, const char *dst, unsigned int mark)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} a;
	socklen_t alen;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err = 0;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		a.in4.sin_family = AF_INET;
		a.in4.sin_port = htons(9);
		assert_int_equal(inet_pton(AF_INET, dst, &a.in4.sin_addr), 1);
		alen = sizeof(a.in4);
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(9);
		assert_int_equal(inet_pton(AF_INET6, dst, &a.in6.sin6_addr), 1);
		alen = sizeof(a.in6);
	}
	if (mark)
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)), 0);
	if (connect(fd, &a.sa, alen) < 0)
		err = -errno;
	close(fd);
	return err;
}

static void check_in_table(void)
{
	const char *out;

	assert_int_equal(count(run("ip -j rule show"), OUR_RULE), 1);
	assert_int_equal(count(run("ip -j -6 rule show"), OUR_RULE), 1);
	assert_int_equal(fzgw_net_rule_count(&rule4), 1);
	assert_int_equal(fzgw_net_rule_count(&rule6), 1);
	assert_int_equal(count(run("ip -j route show table 0x2021fd00"), ROUTE4), 1);
	assert_int_equal(count(run("ip -j -6 route show table 0x2021fd00"), ROUTE6), 1);
	/* the main table has none of them */
	out = run("ip -j route show table main");
	assert_lacks(out, "100.64.0.0/11");
	out = run("ip -j -6 route show table main");
	assert_lacks(out, "fd00:2021:1111::/107");
}

static void check_in_main(void)
{
	assert_lacks(run("ip -j rule show"), "0xfd002021");
	assert_lacks(run("ip -j -6 rule show"), "0xfd002021");
	assert_int_equal(count(run("ip -j route show table main"), ROUTE4), 1);
	assert_int_equal(count(run("ip -j -6 route show table main"), ROUTE6), 1);
	assert_lacks(run("ip -j route show table 0x2021fd00"), "100.64.0.0/11");
	assert_lacks(run("ip -j -6 route show table 0x2021fd00"), "fd00:2021:1111::/107");
}

/* ------------------------------------------------------------ the parser */

struct msgbuf {
	char buf[512] __attribute__((aligned(NLMSG_ALIGNTO)));
};

static struct nlmsghdr *rule_message(struct msgbuf *m, uint8_t family, uint8_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->buf);
	struct fib_rule_hdr *frh;

	nlh->nlmsg_type = RTM_NEWRULE;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = family;
	frh->action = FR_ACT_TO_TBL;
	frh->flags = flags;
	frh->table = RT_TABLE_UNSPEC;
	return nlh;
}

static void test_parse(void **state)
{
	struct fzgw_net_rule_info ri;
	struct msgbuf m;
	struct nlmsghdr *nlh;

	(void)state;
	/* ours, as the kernel dumps it */
	nlh = rule_message(&m, AF_INET, FIB_RULE_INVERT);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, 100);
	mnl_attr_put_u32(nlh, FRA_FWMARK, 0xfd002021u);
	mnl_attr_put_u32(nlh, FRA_FWMASK, UINT32_MAX);
	mnl_attr_put_u32(nlh, FRA_TABLE, 0x2021fd00u);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, RTPROT_KERNEL);
	assert_int_equal(fzgw_net_rule_parse(nlh, &ri), 0);
	assert_int_equal(ri.family, 4);
	assert_true(ri.invert);
	assert_int_equal(ri.priority, 100);
	assert_int_equal(ri.mark, 0xfd002021u);
	assert_int_equal(ri.mask, UINT32_MAX);
	assert_int_equal(ri.table, 0x2021fd00u);
	assert_true(fzgw_net_rule_matches(&ri, &rule4, false));
	assert_false(fzgw_net_rule_matches(&ri, &rule6, false)); /* another family */

	/* a mark without a mask is matched whole; the table from the header */
	nlh = rule_message(&m, AF_INET6, FIB_RULE_INVERT);
	((struct fib_rule_hdr *)mnl_nlmsg_get_payload(nlh))->table = 77;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, 100);
	mnl_attr_put_u32(nlh, FRA_FWMARK, 0xfd002021u);
	assert_int_equal(fzgw_net_rule_parse(nlh, &ri), 0);
	assert_int_equal(ri.mask, UINT32_MAX);
	assert_int_equal(ri.table, 77);
	assert_false(fzgw_net_rule_matches(&ri, &rule6, false));
	assert_true(fzgw_net_rule_matches(&ri, &rule6, true)); /* ours, another table */

	/* not ours: not inverted, another mask, another selector */
	nlh = rule_message(&m, AF_INET, 0);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, 100);
	mnl_attr_put_u32(nlh, FRA_FWMARK, 0xfd002021u);
	mnl_attr_put_u32(nlh, FRA_TABLE, 0x2021fd00u);
	assert_int_equal(fzgw_net_rule_parse(nlh, &ri), 0);
	assert_false(fzgw_net_rule_matches(&ri, &rule4, true));
	nlh = rule_message(&m, AF_INET, FIB_RULE_INVERT);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, 100);
	mnl_attr_put_u32(nlh, FRA_FWMARK, 0xfd002021u);
	mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffff);
	mnl_attr_put_u32(nlh, FRA_TABLE, 0x2021fd00u);
	assert_int_equal(fzgw_net_rule_parse(nlh, &ri), 0);
	assert_false(fzgw_net_rule_matches(&ri, &rule4, true));
	nlh = rule_message(&m, AF_INET, FIB_RULE_INVERT);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, 100);
	mnl_attr_put_u32(nlh, FRA_FWMARK, 0xfd002021u);
	mnl_attr_put_u32(nlh, FRA_TABLE, 0x2021fd00u);
	mnl_attr_put_strz(nlh, FRA_IIFNAME, "eth0");
	assert_int_equal(fzgw_net_rule_parse(nlh, &ri), 0);
	assert_true(ri.selectors);
	assert_false(fzgw_net_rule_matches(&ri, &rule4, true));

	/* malformed: a short attribute, a short header, another message, another family */
	nlh = rule_message(&m, AF_INET, FIB_RULE_INVERT);
	mnl_attr_put_u16(nlh, FRA_PRIORITY, 100);
	assert_int_equal(fzgw_net_rule_parse(nlh, &ri), -EINVAL);
	nlh = rule_message(&m, AF_INET, FIB_RULE_INVERT);
	nlh->nlmsg_len = mnl_nlmsg_size(2);
	assert_int_equal(fzgw_net_rule_parse(nlh, &ri), -EINVAL);
	nlh = rule_message(&m, AF_INET, FIB_RULE_INVERT);
	nlh->nlmsg_type = RTM_NEWROUTE;
	assert_int_equal(fzgw_net_rule_parse(nlh, &ri), -EINVAL);
	nlh = rule_message(&m, AF_UNSPEC, FIB_RULE_INVERT);
	assert_int_equal(fzgw_net_rule_parse(nlh, &ri), -EAFNOSUPPORT);
}

/* ------------------------------------------------------- in the namespace */

static int tun_fd = -1;

static void test_policy(void **state)
{
	struct fzgw_addr gw4 = { .family = 4, .bytes = { 100, 64, 0, 1 } };
	struct fzgw_addr peer4 = { .family = 4, .bytes = { 100, 64, 0, 2 } };
	struct fzgw_net_routing rt;

	(void)state;
	fzgw_net_routing_init(&rt, FZGW_NET_TABLE_FIREZONE);
	assert_int_equal(rt.priority, 100);
	assert_int_equal(rt.mark, 0xfd002021u);
	assert_lacks(run("ip -j rule show"), "0xfd002021");
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", "fd00:2021:1111::1", 1280, &rt),
			 FZGW_NET_HAVE_V4 | FZGW_NET_HAVE_V6);
	for (int i = 0; i < 2; i++) {
		assert_true(rt.done[i]);
		assert_int_equal(rt.used[i], FZGW_NET_TABLE_FIREZONE);
		assert_int_equal(rt.rule[i], 0); /* added */
		assert_int_equal(rt.stale[i], 0);
	}
	check_in_table();

	/* unmarked traffic to a client takes the table; the mark keeps the gateway's out of it */
	assert_int_equal(route_from(AF_INET, "100.64.0.5", 0), 0);
	assert_int_equal(route_from(AF_INET6, "fd00:2021:1111::5", 0), 0);
	assert_int_equal(route_from(AF_INET, "100.64.0.5", FZGW_NET_RULE_MARK), -ENETUNREACH);
	assert_int_equal(route_from(AF_INET6, "fd00:2021:1111::5", FZGW_NET_RULE_MARK),
			 -ENETUNREACH);
	/* the routing-loop check's question gets the same answers (local table, pref 0) */
	assert_int_equal(fzgw_net_addr_is_local(&gw4), 1);
	assert_int_equal(fzgw_net_addr_is_local(&peer4), 0);

	/* again: one rule each, kept */
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", "fd00:2021:1111::1", 1280, &rt),
			 FZGW_NET_HAVE_V4 | FZGW_NET_HAVE_V6);
	assert_int_equal(rt.rule[0], 1);
	assert_int_equal(rt.rule[1], 1);
	check_in_table();
	assert_int_equal(fzgw_net_rule_ensure(&rule4, NULL), 1);
	assert_int_equal(fzgw_net_rule_count(&rule4), 1);
}

static void test_stale(void **state)
{
	struct fzgw_net_routing rt;
	const char *out;

	(void)state;
	/* an earlier run's rule to another table is replaced; an operator's rule stays */
	run("ip rule add not fwmark 0xfd002021 lookup 77 pref 100");
	run("ip -6 rule add not fwmark 0xfd002021 lookup 77 pref 100");
	run("ip rule add fwmark 0xfd002021 lookup 100 pref 100");
	fzgw_net_routing_init(&rt, FZGW_NET_TABLE_FIREZONE);
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", "fd00:2021:1111::1", 1280, &rt),
			 FZGW_NET_HAVE_V4 | FZGW_NET_HAVE_V6);
	assert_int_equal(rt.stale[0], 1);
	assert_int_equal(rt.stale[1], 1);
	assert_int_equal(rt.rule[0], 1); /* ours was there already */
	check_in_table();
	out = run("ip -j rule show");
	assert_lacks(out, "\"table\":\"77\"");
	assert_int_equal(count(out, "\"priority\":100,\"src\":\"all\",\"fwmark\":\"0xfd002021\","
				    "\"table\":\"100\""), 1);
	assert_lacks(run("ip -j -6 rule show"), "\"table\":\"77\"");

	/* one family only: the other family's rule goes */
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", NULL, 1280, &rt),
			 FZGW_NET_HAVE_V4);
	assert_false(rt.done[1]);
	assert_int_equal(rt.stale[1], 1);
	assert_int_equal(fzgw_net_rule_count(&rule4), 1);
	assert_int_equal(fzgw_net_rule_count(&rule6), 0);

	/* the cleanup deletes ours and nothing else */
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", "fd00:2021:1111::1", 1280, &rt),
			 FZGW_NET_HAVE_V4 | FZGW_NET_HAVE_V6);
	check_in_table();
	assert_int_equal(fzgw_net_routing_cleanup(&rt), 2);
	assert_lacks(run("ip -j rule show"), "\"not\"");
	assert_lacks(run("ip -j -6 rule show"), "0xfd002021");
	assert_has(run("ip -j rule show"), "\"table\":\"100\"");
	assert_int_equal(fzgw_net_routing_cleanup(&rt), 0);
	run("ip rule del fwmark 0xfd002021 lookup 100 pref 100");
}

static void test_main_table(void **state)
{
	struct fzgw_net_routing rt;

	(void)state;
	/* from the table to the main table: the routes move, a left-over rule goes */
	fzgw_net_routing_init(&rt, FZGW_NET_TABLE_FIREZONE);
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", "fd00:2021:1111::1", 1280, &rt),
			 FZGW_NET_HAVE_V4 | FZGW_NET_HAVE_V6);
	check_in_table();
	rt.table = FZGW_NET_TABLE_MAIN;
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", "fd00:2021:1111::1", 1280, &rt),
			 FZGW_NET_HAVE_V4 | FZGW_NET_HAVE_V6);
	assert_int_equal(rt.used[0], FZGW_NET_TABLE_MAIN);
	assert_int_equal(rt.stale[0], 1);
	assert_int_equal(rt.stale[1], 1);
	check_in_main();
	assert_int_equal(route_from(AF_INET, "100.64.0.5", FZGW_NET_RULE_MARK), 0);
	/* and NULL is the main table as before */
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", "fd00:2021:1111::1", 1280, NULL),
			 FZGW_NET_HAVE_V4 | FZGW_NET_HAVE_V6);
	check_in_main();
}

static void test_fallback(void **state)
{
	struct fzgw_net_routing rt;

	(void)state;
	/* a kernel without fwmark rules: the routes stay in the main table, traffic still flows */
	refuse_rules = -EOPNOTSUPP;
	fzgw_net_routing_init(&rt, FZGW_NET_TABLE_FIREZONE);
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", "fd00:2021:1111::1", 1280, &rt),
			 FZGW_NET_HAVE_V4 | FZGW_NET_HAVE_V6);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(rt.rule[i], -EOPNOTSUPP);
		assert_int_equal(rt.used[i], FZGW_NET_TABLE_MAIN);
	}
	refuse_rules = 0;
	check_in_main();
	assert_int_equal(route_from(AF_INET, "100.64.0.5", 0), 0);
	refuse_rules = -EOPNOTSUPP;
	assert_int_equal(fzgw_net_routing_cleanup(&rt), 0); /* nothing to delete, no error */
	refuse_rules = 0;

	/* rules back: the routes move into the table, none stays behind in the main table */
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", "fd00:2021:1111::1", 1280, &rt),
			 FZGW_NET_HAVE_V4 | FZGW_NET_HAVE_V6);
	assert_int_equal(rt.rule[0], 0);
	check_in_table();
	assert_int_equal(fzgw_net_routing_cleanup(&rt), 2);
	/* the routes go with the TUN */
	assert_int_equal(fzgw_net_link_del(TUN), 0);
	close(tun_fd);
	tun_fd = -1;
	assert_lacks(run("ip -j route show table all"), "100.64.0.0/11");
	assert_lacks(run("ip -j -6 route show table all"), "fd00:2021:1111::/107");
	assert_lacks(run("ip -j rule show"), "0xfd002021");
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_parse),
	};
	const struct CMUnitTest ns[] = {
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_main_table),
		cmocka_unit_test(test_fallback),
	};
	int status;
	int rc = cmocka_run_group_tests_name("rule parser", pure, NULL, NULL);

	if (rc)
		return rc;
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "test_net_rules: SKIP: unshare(CLONE_NEWNET): %s "
				"(needs root or CAP_SYS_ADMIN for a private network namespace)\n",
			strerror(errno));
		return SKIP;
	}
	if (access("/dev/net/tun", R_OK | W_OK) < 0) {
		fprintf(stderr, "test_net_rules: SKIP: /dev/net/tun: %s\n", strerror(errno));
		return SKIP;
	}
	status = system("ip -j rule show >/dev/null 2>&1");
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "test_net_rules: SKIP: the checks need iproute2's ip with -j\n");
		return SKIP;
	}
	if (fzgw_net_link_set_up("lo") < 0) {
		fprintf(stderr, "test_net_rules: cannot bring lo up in the namespace\n");
		return 1;
	}
	tun_fd = fzgw_tun_open(TUN, 0, NULL);
	if (tun_fd < 0) {
		fprintf(stderr, "test_net_rules: cannot open %s: %s\n", TUN, strerror(-tun_fd));
		return 1;
	}
	return cmocka_run_group_tests_name("policy routing", ns, NULL, NULL);
}
