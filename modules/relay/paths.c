/* SPDX-License-Identifier: Apache-2.0 */
/* ICE events to client paths (direct, or a relay and channel), their logs and counters; the
 * 0 ms timer that gives new connections their first path; the one module timer at the
 * earliest deadline of every allocation and agent. */
#include <stdio.h>
#include <string.h>

#include "relay.h"

static bool same_path(const struct fzgw_path *a, const struct fzgw_path *b)
{
	return a->kind == b->kind && a->channel == b->channel &&
	       a->remote.port == b->remote.port && a->remote.addr.family == b->remote.addr.family &&
	       !memcmp(a->remote.addr.bytes, b->remote.addr.bytes, 16);
}

static void gauge(struct relay_mod *m, uint8_t kind, int64_t n)
{
	if (kind == FZGW_PATH_DIRECT)
		rl_count(m, RL_C_PATHS_DIRECT, n);
	else if (kind == FZGW_PATH_RELAY)
		rl_count(m, RL_C_PATHS_RELAYED, n);
}

static void apply(struct relay_mod *m, struct rl_conn *c)
{
	int rc = m->api->peer_set_path(m->ctx, c->client_id, &c->want);

	if (rc < 0)
		m->api->log_limited(m->ctx, FZGW_LOG_DEBUG, "client %s: path not set (%s)",
				    c->client_id, strerror(-rc));
}

/* The original's four kinds, our side first: DIRECT is our WireGuard socket ("peer"), RELAY
 * our allocation; the client's side is "relay" when the pair ends on its relayed candidate. */
static uint8_t kind4_of(const struct rl_conn *c, uint8_t kind)
{
	if (kind == FZGW_PATH_DIRECT)
		return c->remote_relay ? RL_C_PATHS_P2R : RL_C_PATHS_P2P;
	if (kind == FZGW_PATH_RELAY)
		return c->remote_relay ? RL_C_PATHS_R2R : RL_C_PATHS_R2P;
	return 0;
}

void rl_path_set(struct relay_mod *m, struct rl_conn *c, const struct fzgw_path *p)
{
	uint8_t k4 = kind4_of(c, p->kind);

	if (k4 != c->kind4) {
		if (c->kind4)
			rl_count(m, c->kind4, -1);
		if (k4)
			rl_count(m, k4, 1);
		c->kind4 = k4;
	}
	if (same_path(&c->want, p) && c->path == p->kind)
		return;
	gauge(m, c->path, -1);
	gauge(m, p->kind, 1);
	if (p->kind == FZGW_PATH_DIRECT || p->kind == FZGW_PATH_RELAY)
		rl_count(m, RL_C_PATH_CHANGES, 1);
	c->want = *p;
	c->path = p->kind;
	if (!c->path_due) /* else the 0 ms timer sets it */
		apply(m, c);
}

void rl_path_from_agent(struct relay_mod *m, struct rl_conn *c)
{
	struct fzgw_path p;
	struct ice_base base;
	struct stun_addr remote;
	struct rl_relay *r;
	int ch;

	if (!c->agent || !ice_agent_path(c->agent, &base, &remote))
		return;
	memset(&p, 0, sizeof(p));
	c->remote = remote;
	c->path_channel_wait = false;
	if (base.kind == ICE_BASE_HOST) {
		p.kind = FZGW_PATH_DIRECT;
		rl_ep_of(&p.remote, &remote);
	} else {
		if (!(r = rl_relay_slot(m, base.relay)) || !r->ta || !r->server.family)
			return;
		if ((ch = turn_alloc_channel_of(r->ta, &remote)) < 0) {
			c->path_channel_wait = true; /* retried when a channel is bound */
			rl_conn_bind(m, c, &remote);
			return;
		}
		p.kind = FZGW_PATH_RELAY;
		p.channel = (uint16_t)ch;
		rl_ep_of(&p.remote, &r->server);
	}
	rl_path_set(m, c, &p);
}

static const char *kind_name(uint8_t t)
{
	return ice_cand_type_name(t);
}

void rl_agent_event(struct relay_mod *m, struct rl_conn *c, const struct ice_event *ev)
{
	static const struct fzgw_path pending = { .kind = FZGW_PATH_PENDING };
	char l[64], r[64];
	struct rl_relay *rel;

	switch (ev->type) {
	case ICE_EV_NOMINATED:
	case ICE_EV_PATH_CHANGED:
		/* the original's four kinds: our side (peer: the host socket, relay: our
		 * allocation), then the client's (relay: its relayed candidate) */
		rl_addr_str(&ev->local, l, sizeof(l));
		rl_addr_str(&ev->remote, r, sizeof(r));
		rel = ev->base.kind == ICE_BASE_RELAY ? rl_relay_slot(m, ev->base.relay) : NULL;
		c->remote_relay = ev->remote_type == ICE_RELAY;
		m->api->log(m->ctx, FZGW_LOG_INFO, "client %s: path %s %s-to-%s%s%s: %s (%s) -> %s (%s)",
			    c->client_id, ev->type == ICE_EV_NOMINATED ? "nominated" : "changed",
			    ev->base.kind == ICE_BASE_RELAY ? "relay" : "peer",
			    ev->remote_type == ICE_RELAY ? "relay" : "peer",
			    ev->base.kind == ICE_BASE_RELAY ? " via relay " : "",
			    ev->base.kind == ICE_BASE_RELAY ? (rel ? rel->id : "?") : "", l,
			    kind_name(ev->local_type), r, kind_name(ev->remote_type));
		rl_path_from_agent(m, c);
		break;
	case ICE_EV_PATH_LOST:
		m->api->log(m->ctx, FZGW_LOG_WARN, "client %s: path lost, waiting for another pair",
			    c->client_id);
		rl_path_set(m, c, &pending);
		break;
	case ICE_EV_FAILED:
		/* as the original: the connection is gone; the client asks again */
		m->api->log(m->ctx, FZGW_LOG_WARN, "client %s: connection failed (%s)", c->client_id,
			    ev->why ? ev->why : "ICE");
		rl_count(m, RL_C_CONN_FAILED, 1);
		rl_path_set(m, c, &pending);
		ice_agent_free(c->agent);
		c->agent = NULL;
		c->failed = true;
		break;
	default:
		break;
	}
}

static void first_path(struct relay_mod *m, struct rl_conn *c, void *arg)
{
	(void)arg;
	if (!c->path_due)
		return;
	c->path_due = false;
	c->want.kind = c->path;
	apply(m, c);
}

void rl_on_path_timer(void *arg)
{
	struct relay_mod *m = arg;

	rl_conns_each(m, first_path, NULL);
}

static void path_timer_fired(void *arg)
{
	struct relay_mod *m = arg;

	m->path_timer = NULL; /* a one-shot timer is freed by the core before the call */
	rl_on_path_timer(m);
}

void rl_path_schedule(struct relay_mod *m)
{
	if (!m->path_timer)
		m->path_timer = m->api->timer_add(m->ctx, 0, false, path_timer_fired, m);
}

struct agent_min {
	uint64_t d, now;
};

static void agent_deadline(struct relay_mod *m, struct rl_conn *c, void *arg)
{
	struct agent_min *a = arg;
	uint64_t d;

	(void)m;
	if (c->agent && (d = ice_agent_deadline(c->agent)) < a->d)
		a->d = d;
}

static void timer_fired(void *arg)
{
	struct relay_mod *m = arg;

	m->timer = NULL;
	m->timer_at = UINT64_MAX;
	rl_on_timer(m);
}

void rl_schedule(struct relay_mod *m)
{
	struct agent_min a = { rl_relays_deadline(m), 0 };
	uint64_t now = m->api->now_ms(m->ctx);

	if (m->closing)
		return;
	rl_conns_each(m, agent_deadline, &a);
	if (m->timer && a.d == m->timer_at)
		return;
	if (m->timer)
		m->api->timer_del(m->ctx, m->timer);
	m->timer = NULL;
	m->timer_at = a.d;
	if (a.d == UINT64_MAX)
		return;
	m->timer = m->api->timer_add(m->ctx,
				     a.d <= now ? 0 : (a.d - now > 3600000 ? 3600000 : (uint32_t)(a.d - now)),
				     false, timer_fired, m);
	if (!m->timer)
		m->timer_at = UINT64_MAX;
}

static void agent_tick(struct relay_mod *m, struct rl_conn *c, void *arg)
{
	uint64_t now = *(uint64_t *)arg;

	if (c->agent && ice_agent_deadline(c->agent) <= now) {
		ice_agent_tick(c->agent, now);
		rl_agent_flush(m, c);
	}
}

void rl_on_timer(void *arg)
{
	struct relay_mod *m = arg;
	uint64_t now = m->api->now_ms(m->ctx);

	rl_relays_tick(m, now);
	rl_conns_each(m, agent_tick, &now);
	rl_schedule(m);
}
