/* SPDX-License-Identifier: Apache-2.0 */
/* A connection's local candidates, all learnt from its sampled relay as the original does:
 * host (our address toward the relay and the WireGuard port), server-reflexive (the relay's
 * XOR-MAPPED-ADDRESS) and relayed (IPv4 and IPv6); kept in line with the relay's state and
 * signalled (or withdrawn) through FZGW_EV_LOCAL_CANDIDATES. */
#include <stdio.h>
#include <string.h>

#include "relay.h"

struct want {
	struct rl_local v[RL_MAX_LOCAL];
	unsigned n;
};

static void want_add(struct want *w, uint8_t type, const struct stun_addr *addr,
		     const struct stun_addr *raddr, const struct ice_base *base)
{
	struct rl_local *l;

	if (!addr->family || w->n >= RL_MAX_LOCAL)
		return;
	l = &w->v[w->n++];
	memset(l, 0, sizeof(*l));
	l->c.component = 1;
	l->c.type = type;
	l->c.addr = *addr;
	if (raddr && raddr->family)
		l->c.raddr = *raddr;
	l->base = *base;
}

static void wanted(struct relay_mod *m, const struct rl_conn *c, struct want *w)
{
	struct rl_relay *r = rl_relay_slot(m, c->slot);
	struct ice_base host = { ICE_BASE_HOST, 0 }, relay = { ICE_BASE_RELAY, 0 };
	struct fzgw_endpoint local;
	struct stun_addr h = { 0 };

	w->n = 0;
	if (!r)
		return;
	relay.relay = r->slot;
	if (r->host.family && !m->api->udp_local(m->ctx, r->host.family, &local) && local.port) {
		h = r->host;
		h.port = local.port;
		want_add(w, ICE_HOST, &h, NULL, &host);
	}
	if (r->srflx.family && !(h.family && stun_addr_equal(&h, &r->srflx)))
		want_add(w, ICE_SRFLX, &r->srflx, &h, &host);
	if (r->allocated) {
		want_add(w, ICE_RELAY, &r->relayed4, &r->srflx, &relay);
		want_add(w, ICE_RELAY, &r->relayed6, &r->srflx, &relay);
	}
}

static bool same_local(const struct rl_local *a, const struct rl_local *b)
{
	return a->c.type == b->c.type && stun_addr_equal(&a->c.addr, &b->c.addr) &&
	       a->base.kind == b->base.kind && a->base.relay == b->base.relay;
}

static void publish(struct relay_mod *m, const struct rl_conn *c, const char *const *v, size_t n,
		    bool invalidate)
{
	struct fzgw_ev_ice ev;

	if (!n)
		return;
	memset(&ev, 0, sizeof(ev));
	memcpy(ev.client_id, c->client_id, sizeof(ev.client_id));
	ev.candidates = v;
	ev.n = n;
	ev.invalidate = invalidate;
	rl_count(m, invalidate ? RL_C_CANDS_WITHDRAWN : RL_C_CANDS_SIGNALLED, (int64_t)n);
	for (size_t i = 0; i < n; i++)
		m->api->log(m->ctx, FZGW_LOG_DEBUG, "client %s: %s %s", c->client_id,
			    invalidate ? "withdrawn" : "signalled", v[i]);
	m->api->publish(m->ctx, FZGW_EV_LOCAL_CANDIDATES, &ev, sizeof(ev));
}

/* Fills priority and foundation (by the agent, or as it would for an ICE-less connection)
 * and the string. false: refused. */
static bool make(struct relay_mod *m, struct rl_conn *c, struct rl_local *l, uint64_t now)
{
	if (c->agent) {
		if (ice_agent_add_local(c->agent, &l->c, &l->base, now) < 0)
			return false;
	} else {
		l->c.priority = ice_priority(l->c.type, 65535, 1);
		ice_foundation(l->c.type, &l->c.addr, NULL, l->c.foundation);
	}
	return ice_cand_format(&l->c, l->s, sizeof(l->s)) > 0;
}

void rl_cands_sync(struct relay_mod *m, struct rl_conn *c)
{
	struct want w;
	const char *gone[RL_MAX_LOCAL], *added[RL_MAX_LOCAL];
	char gone_s[RL_MAX_LOCAL][ICE_CAND_STR_MAX];
	struct rl_local keep[RL_MAX_LOCAL];
	size_t n_gone = 0, n_added = 0, n_keep = 0;
	uint64_t now = m->api->now_ms(m->ctx);

	wanted(m, c, &w);
	for (unsigned i = 0; i < c->n_local; i++) {
		bool still = false;

		for (unsigned k = 0; k < w.n && !still; k++)
			still = same_local(&c->local[i], &w.v[k]);
		if (still) {
			keep[n_keep++] = c->local[i];
			continue;
		}
		if (c->agent)
			ice_agent_remove_local(c->agent, &c->local[i].c, now);
		memcpy(gone_s[n_gone], c->local[i].s, sizeof(gone_s[0]));
		gone[n_gone] = gone_s[n_gone];
		n_gone++;
	}
	for (unsigned k = 0; k < w.n; k++) {
		bool have = false;

		for (size_t i = 0; i < n_keep && !have; i++)
			have = same_local(&keep[i], &w.v[k]);
		if (have || n_keep >= RL_MAX_LOCAL || !make(m, c, &w.v[k], now))
			continue;
		keep[n_keep++] = w.v[k];
	}
	memcpy(c->local, keep, n_keep * sizeof(keep[0]));
	c->n_local = (unsigned)n_keep;
	/* the candidates made above (make() filled their strings) are the new ones */
	for (unsigned k = 0; k < w.n; k++)
		for (size_t i = 0; w.v[k].s[0] && i < n_keep; i++)
			if (same_local(&c->local[i], &w.v[k]))
				added[n_added++] = c->local[i].s;
	publish(m, c, gone, n_gone, true);
	publish(m, c, added, n_added, false);
}

void rl_cands_resignal(struct relay_mod *m, struct rl_conn *c)
{
	const char *v[RL_MAX_LOCAL];

	for (unsigned i = 0; i < c->n_local; i++)
		v[i] = c->local[i].s;
	publish(m, c, v, c->n_local, false);
}

void rl_cands_withdraw_all(struct relay_mod *m, struct rl_conn *c)
{
	const char *v[RL_MAX_LOCAL];
	uint64_t now = m->api->now_ms(m->ctx);

	for (unsigned i = 0; i < c->n_local; i++) {
		v[i] = c->local[i].s;
		if (c->agent)
			ice_agent_remove_local(c->agent, &c->local[i].c, now);
	}
	publish(m, c, v, c->n_local, true);
	c->n_local = 0;
}
