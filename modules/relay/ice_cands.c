/* SPDX-License-Identifier: Apache-2.0 */
/* The ICE agent's candidates and pairs: local and remote candidates, peer-reflexive and
 * optimistic ones, pair forming, priorities and pruning of redundant pairs. */
#include <stdio.h>
#include <string.h>

#include "ice_priv.h"

/* Host and relayed candidates are paired; a server-reflexive one shares the host socket as its
 * base, so its pairs would be redundant with the host's (RFC 8445 §6.1.2.4). */
static bool pairable(const struct ice_local *l)
{
	return l->used && (l->c.type == ICE_HOST || l->c.type == ICE_RELAY);
}

/* RFC 8445 §6.1.2.3 with the controlled role: G is the remote (controlling) priority. */
static uint64_t pair_prio(uint32_t g, uint32_t d)
{
	uint64_t lo = g < d ? g : d, hi = g < d ? d : g;

	return (lo << 32) + 2 * hi + (g > d ? 1 : 0);
}

uint32_t ice_local_prflx_prio(const struct ice_agent *a, unsigned li)
{
	return ice_priority(ICE_PRFLX, a->local[li].local_pref, 1);
}

int ice_pair_find(const struct ice_agent *a, unsigned li, unsigned ri)
{
	unsigned i;

	for (i = 0; i < ICE_MAX_PAIRS; i++)
		if (a->pairs[i].local == li && a->pairs[i].remote == ri)
			return (int)i;
	return -1;
}

void ice_pair_remove(struct ice_agent *a, unsigned pi)
{
	memset(&a->pairs[pi], 0, sizeof(a->pairs[pi]));
	a->pairs[pi].local = a->pairs[pi].remote = ICE_NONE;
	a->n_pairs--;
	if (a->selected == (int)pi)
		a->selected = -1; /* ice_evaluate picks another or reports the loss */
}

/* Forms the pair (li, ri) unless a redundant pair (same local base, same remote address) of at
 * least its priority exists; a lower one is replaced and hands over its state. The pair's
 * index, or -1 (redundant, or no room). */
int ice_pair_add(struct ice_agent *a, unsigned li, unsigned ri)
{
	const struct ice_local *l = &a->local[li];
	const struct ice_remote *r = &a->remote[ri];
	uint64_t prio = pair_prio(r->c.priority, l->c.priority);
	struct ice_pair *p;
	int free_slot = -1;
	unsigned i;

	if (l->c.addr.family != r->c.addr.family)
		return -1;
	for (i = 0; i < ICE_MAX_PAIRS; i++) {
		p = &a->pairs[i];
		if (!ice_pair_used(p)) {
			if (free_slot < 0)
				free_slot = (int)i;
			continue;
		}
		if (p->local != li || !ice_addr_eq(&a->remote[p->remote].c.addr, &r->c.addr))
			continue;
		if (p->prio >= prio)
			return p->remote == ri ? (int)i : -1;
		p->remote = (uint8_t)ri; /* the better candidate takes over the pair */
		p->prio = prio;
		return (int)i;
	}
	if (free_slot < 0) {
		a->stats.dropped_full++;
		return -1;
	}
	p = &a->pairs[free_slot];
	memset(p, 0, sizeof(*p));
	p->local = (uint8_t)li;
	p->remote = (uint8_t)ri;
	p->prio = prio;
	p->id = ++a->pair_seq ? a->pair_seq : ++a->pair_seq;
	a->n_pairs++;
	return free_slot;
}

static void pair_local(struct ice_agent *a, unsigned li)
{
	unsigned ri;

	if (!pairable(&a->local[li]))
		return;
	for (ri = 0; ri < ICE_MAX_REMOTE; ri++)
		if (a->remote[ri].used && !a->remote[ri].discarded)
			ice_pair_add(a, li, ri);
}

static void pair_remote(struct ice_agent *a, unsigned ri)
{
	unsigned li;

	for (li = 0; li < ICE_MAX_LOCAL; li++)
		if (pairable(&a->local[li]))
			ice_pair_add(a, li, ri);
}

static void drop_pairs(struct ice_agent *a, bool local, unsigned idx)
{
	unsigned i;

	for (i = 0; i < ICE_MAX_PAIRS; i++)
		if (ice_pair_used(&a->pairs[i]) &&
		    (local ? a->pairs[i].local : a->pairs[i].remote) == idx)
			ice_pair_remove(a, i);
}

static bool valid_cand(const struct ice_cand *c)
{
	return c->component == 1 && c->type <= ICE_RELAY &&
	       (c->addr.family == 4 || c->addr.family == 6) && c->addr.port != 0;
}

/* Local preferences as the original's ICE crate: a range per type, IPv6 above IPv4, each
 * further candidate of a type and family two below the one before. */
static uint16_t local_pref(const struct ice_agent *a, const struct ice_cand *c)
{
	static const uint32_t start[] = { 65535, 32767, 49151, 16383 };
	uint32_t same = 0, p;
	unsigned i;

	for (i = 0; i < ICE_MAX_LOCAL; i++)
		if (a->local[i].used && a->local[i].c.type == c->type &&
		    a->local[i].c.addr.family == c->addr.family)
			same++;
	p = start[c->type] - (c->addr.family == 4 ? 1 : 0);
	p = p > 2 * same ? p - 2 * same : 0;
	return (uint16_t)p;
}

int ice_agent_add_local(struct ice_agent *a, struct ice_cand *c, const struct ice_base *base,
			uint64_t now)
{
	struct ice_local *l = NULL;
	unsigned i;

	if (!a || !c || !base || !valid_cand(c) || c->type == ICE_PRFLX ||
	    (base->kind == ICE_BASE_RELAY) != (c->type == ICE_RELAY))
		return -1;
	for (i = 0; i < ICE_MAX_LOCAL; i++) {
		struct ice_local *o = &a->local[i];

		if (!o->used || o->c.type != c->type || !ice_base_eq(&o->base, base) ||
		    o->c.addr.family != c->addr.family)
			continue;
		if (ice_addr_eq(&o->c.addr, &c->addr)) {
			*c = o->c;
			return 1;
		}
		/* one candidate of a type per base and family: the new address replaces it */
		drop_pairs(a, true, i);
		o->used = false;
	}
	for (i = 0; i < ICE_MAX_LOCAL && !l; i++)
		if (!a->local[i].used)
			l = &a->local[i];
	if (!l)
		return -1;
	memset(l, 0, sizeof(*l));
	l->local_pref = local_pref(a, c);
	if (!c->priority)
		c->priority = ice_priority(c->type, l->local_pref, 1);
	if (!c->foundation[0])
		ice_foundation(c->type, c->type == ICE_SRFLX && c->raddr.family ? &c->raddr : &c->addr,
			       NULL, c->foundation);
	l->c = *c;
	l->base = *base;
	l->used = true;
	pair_local(a, (unsigned)(l - a->local));
	ice_evaluate(a, now);
	return 0;
}

static void remove_local_at(struct ice_agent *a, unsigned i)
{
	drop_pairs(a, true, i);
	memset(&a->local[i], 0, sizeof(a->local[i]));
}

bool ice_agent_remove_local(struct ice_agent *a, const struct ice_cand *c, uint64_t now)
{
	unsigned i;

	if (!a || !c)
		return false;
	for (i = 0; i < ICE_MAX_LOCAL; i++) {
		if (a->local[i].used && a->local[i].c.type == c->type &&
		    ice_addr_eq(&a->local[i].c.addr, &c->addr)) {
			remove_local_at(a, i);
			ice_evaluate(a, now);
			return true;
		}
	}
	return false;
}

unsigned ice_agent_remove_base(struct ice_agent *a, const struct ice_base *base, uint64_t now)
{
	unsigned i, n = 0;

	if (!a || !base)
		return 0;
	for (i = 0; i < ICE_MAX_LOCAL; i++) {
		if (a->local[i].used && ice_base_eq(&a->local[i].base, base)) {
			remove_local_at(a, i);
			n++;
		}
	}
	if (n)
		ice_evaluate(a, now);
	return n;
}

static int remote_slot(struct ice_agent *a)
{
	unsigned i;

	for (i = 0; i < ICE_MAX_REMOTE; i++)
		if (!a->remote[i].used)
			return (int)i;
	for (i = 0; i < ICE_MAX_REMOTE; i++) /* a withdrawn one makes room */
		if (a->remote[i].discarded)
			return (int)i;
	a->stats.dropped_full++;
	return -1;
}

static int find_remote(const struct ice_agent *a, uint8_t type, const struct stun_addr *addr)
{
	unsigned i;

	for (i = 0; i < ICE_MAX_REMOTE; i++)
		if (a->remote[i].used && a->remote[i].c.type == type &&
		    ice_addr_eq(&a->remote[i].c.addr, addr))
			return (int)i;
	return -1;
}

static void repair_prios(struct ice_agent *a, unsigned ri)
{
	unsigned i;

	for (i = 0; i < ICE_MAX_PAIRS; i++)
		if (ice_pair_used(&a->pairs[i]) && a->pairs[i].remote == ri)
			a->pairs[i].prio = pair_prio(a->remote[ri].c.priority,
						     a->local[a->pairs[i].local].c.priority);
}

/* Adds or re-enables a remote candidate and pairs it: 0, 1 (already there) or -1. */
static int add_remote(struct ice_agent *a, const struct ice_cand *c, bool optimistic)
{
	struct ice_remote *r;
	int i = find_remote(a, c->type, &c->addr);

	if (i >= 0 && !a->remote[i].discarded)
		return 1;
	if (i < 0 && c->type != ICE_PRFLX) {
		/* a signalled candidate replaces the peer-reflexive one learnt at its address */
		i = find_remote(a, ICE_PRFLX, &c->addr);
		if (i >= 0 && a->remote[i].discarded)
			i = -1;
	}
	if (i >= 0) {
		r = &a->remote[i];
		r->c = *c;
		r->discarded = false;
		r->optimistic = optimistic;
		repair_prios(a, (unsigned)i);
	} else {
		i = remote_slot(a);
		if (i < 0)
			return -1;
		r = &a->remote[i];
		if (r->used)
			drop_pairs(a, false, (unsigned)i);
		memset(r, 0, sizeof(*r));
		r->c = *c;
		r->used = true;
		r->optimistic = optimistic;
	}
	pair_remote(a, (unsigned)i);
	return 0;
}

/* The original's optimistic candidates: each remote server-reflexive IPv4 address with the port
 * of each remote IPv4 host candidate, as a server-reflexive candidate whose base is that host
 * candidate (a port forwarded through a symmetric NAT); at most 2 new ones each time. */
static void add_optimistic(struct ice_agent *a)
{
	unsigned s, h, added = 0;

	for (s = 0; s < ICE_MAX_REMOTE && added < ICE_MAX_OPTIMISTIC; s++) {
		const struct ice_remote *sr = &a->remote[s];

		if (!sr->used || sr->discarded || sr->c.type != ICE_SRFLX || sr->c.addr.family != 4)
			continue;
		for (h = 0; h < ICE_MAX_REMOTE && added < ICE_MAX_OPTIMISTIC; h++) {
			const struct ice_remote *hr = &a->remote[h];
			struct ice_cand c;
			int i;

			if (!hr->used || hr->discarded || hr->c.type != ICE_HOST ||
			    hr->c.addr.family != 4)
				continue;
			memset(&c, 0, sizeof(c));
			c.component = 1;
			c.type = ICE_SRFLX;
			c.addr = sr->c.addr;
			c.addr.port = hr->c.addr.port;
			c.raddr = hr->c.addr;
			c.priority = ice_priority(ICE_SRFLX, 65534, 1);
			ice_foundation(ICE_SRFLX, &c.raddr, NULL, c.foundation);
			i = find_remote(a, ICE_SRFLX, &c.addr);
			if (i >= 0)
				continue; /* there (or withdrawn by the client: left out) */
			if (add_remote(a, &c, true) == 0)
				added++;
		}
	}
}

int ice_agent_add_remote(struct ice_agent *a, const struct ice_cand *c, uint64_t now)
{
	int r;

	if (!a || !c || a->failed || !valid_cand(c) || !c->priority)
		return -1;
	r = add_remote(a, c, false);
	if (r < 0)
		return -1;
	a->had_remote = true;
	add_optimistic(a);
	ice_evaluate(a, now);
	return r;
}

int ice_agent_add_remote_str(struct ice_agent *a, const char *s, size_t len, uint64_t now,
			     const char **why)
{
	struct ice_cand c;

	if (ice_cand_parse(s, len, &c, why))
		return -1;
	if (c.component != 1) {
		if (why)
			*why = "component";
		return -1;
	}
	return ice_agent_add_remote(a, &c, now);
}

bool ice_agent_remove_remote(struct ice_agent *a, const struct ice_cand *c, uint64_t now)
{
	int i;

	if (!a || !c)
		return false;
	i = find_remote(a, c->type, &c->addr);
	if (i < 0 || a->remote[i].discarded)
		return false;
	/* kept, withdrawn: a check from its address makes no peer-reflexive candidate */
	a->remote[i].discarded = true;
	drop_pairs(a, false, (unsigned)i);
	ice_evaluate(a, now);
	return true;
}

int ice_remote_add_prflx(struct ice_agent *a, const struct stun_addr *from, uint32_t prio)
{
	struct ice_cand c;
	int i;

	memset(&c, 0, sizeof(c));
	c.component = 1;
	c.type = ICE_PRFLX;
	c.addr = *from;
	c.priority = prio;
	snprintf(c.foundation, sizeof(c.foundation), "prflx%u", a->prflx_seq++);
	if (add_remote(a, &c, false) < 0)
		return -1;
	i = find_remote(a, ICE_PRFLX, from);
	return i;
}

unsigned ice_agent_n_remote(const struct ice_agent *a)
{
	unsigned i, n = 0;

	for (i = 0; a && i < ICE_MAX_REMOTE; i++)
		n += a->remote[i].used && !a->remote[i].discarded;
	return n;
}
