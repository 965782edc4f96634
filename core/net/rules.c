/* SPDX-License-Identifier: Apache-2.0 */
/* The original's inverted fwmark rule over rtnetlink: read, kept unique, deleted on exit. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "netlink.h"
#include "nl.h"
#include "rules.h"

#define RULE_REQ_SIZE 256
/* Rules of ours kept from one dump: more than a few means something else adds them. */
#define RULE_BATCH 16
#define RULE_ROUNDS 8

union rule_req {
	char buf[RULE_REQ_SIZE];
	struct nlmsghdr align;
};

static int rule_family(uint8_t family)
{
	return family == 4 ? AF_INET : family == 6 ? AF_INET6 : -EAFNOSUPPORT;
}

/* ------------------------------------------------------------------ parsing */

static int attr_u32(const struct nlattr *attr, uint32_t *v)
{
	if (mnl_attr_get_payload_len(attr) != sizeof(uint32_t))
		return -EINVAL;
	*v = mnl_attr_get_u32(attr);
	return 0;
}

int fzgw_net_rule_parse(const struct nlmsghdr *nlh, struct fzgw_net_rule_info *ri)
{
	const struct fib_rule_hdr *frh;
	const struct nlattr *attr;
	bool has_mask = false;

	memset(ri, 0, sizeof(*ri));
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*frh)) || nlh->nlmsg_type != RTM_NEWRULE)
		return -EINVAL;
	frh = mnl_nlmsg_get_payload(nlh);
	if (frh->family == AF_INET)
		ri->family = 4;
	else if (frh->family == AF_INET6)
		ri->family = 6;
	else
		return -EAFNOSUPPORT;
	ri->action = frh->action;
	ri->table = frh->table;
	ri->invert = frh->flags & FIB_RULE_INVERT;
	ri->selectors = frh->src_len || frh->dst_len || frh->tos;
	mnl_attr_for_each(attr, nlh, sizeof(*frh)) {
		switch (mnl_attr_get_type(attr)) {
		case FRA_PRIORITY:
			if (attr_u32(attr, &ri->priority))
				return -EINVAL;
			break;
		case FRA_TABLE:
			if (attr_u32(attr, &ri->table))
				return -EINVAL;
			break;
		case FRA_FWMARK:
			if (attr_u32(attr, &ri->mark))
				return -EINVAL;
			ri->has_mark = true;
			break;
		case FRA_FWMASK:
			if (attr_u32(attr, &ri->mask))
				return -EINVAL;
			has_mask = true;
			break;
		case FRA_SRC:
		case FRA_DST:
		case FRA_IIFNAME:
		case FRA_OIFNAME:
		case FRA_TUN_ID:
		case FRA_L3MDEV:
		case FRA_UID_RANGE:
		case FRA_IP_PROTO:
		case FRA_SPORT_RANGE:
		case FRA_DPORT_RANGE:
			ri->selectors = true;
			break;
		default:
			break;
		}
	}
	/* A mark without a mask is matched whole. */
	if (ri->has_mark && !has_mask)
		ri->mask = UINT32_MAX;
	return 0;
}

bool fzgw_net_rule_matches(const struct fzgw_net_rule_info *ri, const struct fzgw_net_rule *r,
			   bool any_table)
{
	return ri->family == r->family && ri->action == FR_ACT_TO_TBL && ri->invert &&
	       ri->has_mark && ri->mark == r->mark && ri->mask == UINT32_MAX && !ri->selectors &&
	       ri->priority == r->priority && (any_table || ri->table == r->table);
}

/* ----------------------------------------------------------------- requests */

struct rule_dump {
	const struct fzgw_net_rule *want;
	size_t n;
	bool more;
	struct fzgw_net_rule_info e[RULE_BATCH];
};

static int rule_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rule_dump *d = data;
	struct fzgw_net_rule_info ri;

	if (fzgw_net_rule_parse(nlh, &ri) || !fzgw_net_rule_matches(&ri, d->want, true))
		return MNL_CB_OK;
	if (d->n == RULE_BATCH)
		d->more = true;
	else
		d->e[d->n++] = ri;
	return MNL_CB_OK;
}

/* The rules of @r's family, priority and mark (any table). */
static int rule_dump(const struct fzgw_net_rule *r, struct rule_dump *d)
{
	union rule_req req;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req.buf);
	struct fib_rule_hdr *frh;
	int family = rule_family(r->family);
	int err;

	if (family < 0)
		return family;
	nlh->nlmsg_type = RTM_GETRULE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = (uint8_t)family;
	d->want = r;
	for (int round = 0; round < RULE_ROUNDS; round++) {
		d->n = 0;
		d->more = false;
		err = fzgw_nl_talk(nlh, rule_dump_cb, d);
		/* EINTR: the rule list changed during the dump; take it again */
		if (err != -EINTR)
			return err;
	}
	return -EAGAIN;
}

/* RTM_NEWRULE or RTM_DELRULE of "not fwmark MARK/0xffffffff lookup TABLE pref PRIORITY". */
static int rule_msg(uint16_t type, uint16_t flags, uint8_t family4or6, uint32_t priority,
		    uint32_t mark, uint32_t table)
{
	union rule_req req;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req.buf);
	struct fib_rule_hdr *frh;
	int family = rule_family(family4or6);

	if (family < 0)
		return family;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = (uint8_t)family;
	frh->action = FR_ACT_TO_TBL;
	frh->flags = FIB_RULE_INVERT;
	/* Ids above 255 only fit in FRA_TABLE. */
	frh->table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, priority);
	mnl_attr_put_u32(nlh, FRA_FWMARK, mark);
	mnl_attr_put_u32(nlh, FRA_FWMASK, UINT32_MAX);
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	/* As the original: "proto kernel" (older kernels ignore the attribute). */
	if (type == RTM_NEWRULE)
		mnl_attr_put_u8(nlh, FRA_PROTOCOL, RTPROT_KERNEL);
	return fzgw_nl_talk(nlh, NULL, NULL);
}

static int rule_del(const struct fzgw_net_rule_info *ri)
{
	int err = rule_msg(RTM_DELRULE, 0, ri->family, ri->priority, ri->mark, ri->table);

	/* gone meanwhile: as good as deleted */
	return err == -ENOENT || err == -ESRCH ? 0 : err;
}

int fzgw_net_rule_ensure(const struct fzgw_net_rule *r, int *stale)
{
	struct rule_dump d;
	bool kept = false;
	int removed = 0;
	int err;

	if (stale)
		*stale = 0;
	if (!r->table)
		return -EINVAL;
	for (int round = 0; round < RULE_ROUNDS; round++) {
		if ((err = rule_dump(r, &d)) < 0)
			return err;
		kept = false;
		for (size_t i = 0; i < d.n; i++) {
			if (!kept && d.e[i].table == r->table) {
				kept = true; /* the first identical one stays */
				continue;
			}
			if ((err = rule_del(&d.e[i])) < 0)
				return err;
			removed++;
		}
		if (!d.more)
			break;
	}
	if (stale)
		*stale = removed;
	if (kept)
		return 1;
	err = rule_msg(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, r->family, r->priority, r->mark,
		       r->table);
	/* added by someone else between the dump and now: it is there */
	return err == -EEXIST ? 1 : err;
}

int fzgw_net_rule_remove(const struct fzgw_net_rule *r)
{
	struct rule_dump d;
	int removed = 0;
	int err;

	for (int round = 0; round < RULE_ROUNDS; round++) {
		if ((err = rule_dump(r, &d)) < 0)
			return err;
		for (size_t i = 0; i < d.n; i++) {
			if ((err = rule_del(&d.e[i])) < 0)
				return err;
			removed++;
		}
		if (!d.more)
			return removed;
	}
	return -EAGAIN;
}

int fzgw_net_rule_count(const struct fzgw_net_rule *r)
{
	struct rule_dump d;
	int n = 0;
	int err;

	if ((err = rule_dump(r, &d)) < 0)
		return err;
	if (d.more)
		return -E2BIG;
	for (size_t i = 0; i < d.n; i++)
		n += d.e[i].table == r->table;
	return n;
}

/* ------------------------------------------------------------------ routing */

void fzgw_net_routing_init(struct fzgw_net_routing *rt, uint32_t table)
{
	memset(rt, 0, sizeof(*rt));
	rt->table = table;
	rt->priority = FZGW_NET_RULE_PRIORITY;
	rt->mark = FZGW_NET_RULE_MARK;
}

void fzgw_net_routing_prepare(struct fzgw_net_routing *rt, int have)
{
	static const int bits[2] = { FZGW_NET_HAVE_V4, FZGW_NET_HAVE_V6 };

	for (int i = 0; i < 2; i++) {
		struct fzgw_net_rule r = {
			.family = i ? 6 : 4,
			.priority = rt->priority,
			.mark = rt->mark,
			.table = rt->table,
		};
		int n;

		rt->done[i] = have & bits[i];
		rt->used[i] = FZGW_NET_TABLE_MAIN;
		rt->rule[i] = 0;
		rt->stale[i] = 0;
		if (!rt->done[i] || rt->table == FZGW_NET_TABLE_MAIN) {
			/* no rule wanted: one left by an earlier run goes */
			n = fzgw_net_rule_remove(&r);
			rt->stale[i] = n > 0 ? n : 0;
			continue;
		}
		rt->rule[i] = fzgw_net_rule_ensure(&r, &rt->stale[i]);
		if (rt->rule[i] >= 0)
			rt->used[i] = rt->table;
	}
}

int fzgw_net_routing_cleanup(const struct fzgw_net_routing *rt)
{
	int total = 0, first_err = 0;

	for (int i = 0; i < 2; i++) {
		struct fzgw_net_rule r = {
			.family = i ? 6 : 4,
			.priority = rt->priority,
			.mark = rt->mark,
			.table = rt->table,
		};
		int n = fzgw_net_rule_remove(&r);

		if (n >= 0)
			total += n;
		else if (n != -EOPNOTSUPP && n != -EAFNOSUPPORT && !first_err)
			first_err = n; /* no rules in this kernel, or no IPv6: none to delete */
	}
	return total ? total : first_err;
}
