/* SPDX-License-Identifier: Apache-2.0 */
/* Policy routing as the original: the TUN's routes in a table of their own, chosen by an
 * inverted fwmark rule, so the site's own routing stays untouched. */
#ifndef FZGW_NET_RULES_H
#define FZGW_NET_RULES_H

#include <stdbool.h>
#include <stdint.h>

struct nlmsghdr;

/* The original's FIREZONE_TABLE_USER: the table its gateway's routes go in. */
#define FZGW_NET_TABLE_FIREZONE 0x2021fd00u
/* The original's priority for the rule that points at that table. */
#define FZGW_NET_RULE_PRIORITY 100u
/* The original's FIREZONE_MARK (as FZGW_UDP_MARK): marked packets skip the table. */
#define FZGW_NET_RULE_MARK 0xfd002021u

/* The rule "not fwmark @mark lookup @table pref @priority" of one family. */
struct fzgw_net_rule {
	uint8_t family; /* 4 or 6 */
	uint32_t priority;
	uint32_t mark;
	uint32_t table;
};

/* What a rule message from the kernel says (fzgw_net_rule_parse). */
struct fzgw_net_rule_info {
	uint8_t family; /* 4 or 6 */
	uint8_t action; /* FR_ACT_* */
	bool invert;
	bool has_mark;
	bool selectors; /* matches on anything besides the mark (addresses, interfaces, ports...) */
	uint32_t priority, table, mark, mask;
};

/*
 * Reads one RTM_NEWRULE message (a dump's entry). 0, or -EINVAL for a message that is not
 * a well-formed rule, -EAFNOSUPPORT for a family other than IPv4 and IPv6. Never reads past
 * nlh->nlmsg_len.
 */
int fzgw_net_rule_parse(const struct nlmsghdr *nlh, struct fzgw_net_rule_info *ri);

/* Is @ri the rule @r describes (any table when @any_table)? */
bool fzgw_net_rule_matches(const struct fzgw_net_rule_info *ri, const struct fzgw_net_rule *r,
			   bool any_table);

/*
 * Makes @r the one rule of its family with its priority and mark: an identical rule is kept,
 * duplicates and rules of the same priority and mark pointing at another table (left by an
 * earlier run with another table) are deleted first. Returns 1 when it was already there,
 * 0 when added, -errno when the kernel refused (-EOPNOTSUPP: no policy routing or fwmark
 * rules in this kernel; -EAFNOSUPPORT: no IPv6). @stale (may be NULL) gets the number of
 * rules deleted.
 */
int fzgw_net_rule_ensure(const struct fzgw_net_rule *r, int *stale);

/* Deletes every rule like @r whatever its table. The number deleted, or -errno. */
int fzgw_net_rule_remove(const struct fzgw_net_rule *r);

/* The number of rules exactly like @r, or -errno. */
int fzgw_net_rule_count(const struct fzgw_net_rule *r);

/*
 * Where fzgw_net_configure_tun() puts the TUN's routes. @table FZGW_NET_TABLE_MAIN (0) keeps
 * them in the main table (no rule; a stale rule of ours is deleted); any other id puts them
 * in that table with the rule "not fwmark @mark lookup @table pref @priority" for each
 * configured family. A family whose rule the kernel refuses falls back to the main table
 * (the original warns and goes on). Filled in by the call, for each family ([0] IPv4,
 * [1] IPv6) that was configured:
 */
struct fzgw_net_routing {
	uint32_t table;
	uint32_t priority;
	uint32_t mark;
	/* out */
	bool done[2];	    /* that family's routes were placed */
	uint32_t used[2];   /* the table they went in (FZGW_NET_TABLE_MAIN after a fallback) */
	int rule[2];	    /* 1 rule was there, 0 added, -errno refused (then used = main) */
	int stale[2];	    /* stale rules of ours deleted */
	/* kept across calls: where the routes are now, so that a move deletes the old ones */
	bool placed[2];
	uint32_t placed_table[2];
};

/* A routing of the original's table, priority and mark, or of the main table for 0. A
 * change of rt->table between two configurations moves the routes. */
void fzgw_net_routing_init(struct fzgw_net_routing *rt, uint32_t table);

/*
 * Chooses each family's table for the families in @have (FZGW_NET_HAVE_*) and installs their
 * rules (see struct fzgw_net_routing); the other family's rule is deleted. Called by
 * fzgw_net_configure_tun(); does not fail: a refused rule is a fallback, in rt->rule.
 */
void fzgw_net_routing_prepare(struct fzgw_net_routing *rt, int have);

/*
 * Deletes the rules of both families (the routes go with the TUN). The number of rules
 * deleted, or -errno of the first failure (-EOPNOTSUPP when the kernel has no rules).
 */
int fzgw_net_routing_cleanup(const struct fzgw_net_routing *rt);

#endif
