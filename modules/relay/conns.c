/* SPDX-License-Identifier: Apache-2.0 */
/* Per-client connections: the relay.connections service (accept), their ICE agents, remote
 * candidates and TURN channels, and their end (revocation, removal). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "relay.h"

static uint32_t hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h % RL_CONN_BUCKETS;
}

struct rl_conn *rl_conn_by_id(struct relay_mod *m, const char *client_id)
{
	struct rl_conn *c = m->by_id[hash(client_id, strlen(client_id))];

	while (c && strcmp(c->client_id, client_id))
		c = c->next_id;
	return c;
}

/* The connections whose local ufrag is @ufrag, one after another (@after: NULL first). */
struct rl_conn *rl_conn_by_ufrag(struct relay_mod *m, const char *ufrag, size_t len,
				 struct rl_conn *after)
{
	struct rl_conn *c = after ? after->next_ufrag : m->by_ufrag[hash(ufrag, len)];

	while (c && (strlen(c->lufrag) != len || memcmp(c->lufrag, ufrag, len)))
		c = c->next_ufrag;
	return c;
}

struct rl_conn *rl_conn_by_tag(struct relay_mod *m, uint32_t tag)
{
	struct rl_conn *c = m->by_tag[tag % RL_CONN_BUCKETS];

	while (c && c->tag != tag)
		c = c->next_tag;
	return c;
}

void rl_conns_each(struct relay_mod *m, void (*fn)(struct relay_mod *, struct rl_conn *, void *),
		   void *arg)
{
	for (int i = 0; i < RL_CONN_BUCKETS; i++)
		for (struct rl_conn *c = m->by_id[i]; c; c = c->next_id)
			fn(m, c, arg);
}

static void unlink_from(struct rl_conn **head, struct rl_conn *c, size_t link)
{
	for (struct rl_conn **pp = head; *pp;
	     pp = (struct rl_conn **)((char *)*pp + link))
		if (*pp == c) {
			*pp = *(struct rl_conn **)((char *)c + link);
			return;
		}
}

static void conn_free(struct relay_mod *m, struct rl_conn *c)
{
	unlink_from(&m->by_id[hash(c->client_id, strlen(c->client_id))], c,
		    offsetof(struct rl_conn, next_id));
	unlink_from(&m->by_ufrag[hash(c->lufrag, strlen(c->lufrag))], c,
		    offsetof(struct rl_conn, next_ufrag));
	unlink_from(&m->by_tag[c->tag % RL_CONN_BUCKETS], c, offsetof(struct rl_conn, next_tag));
	if (c->path == FZGW_PATH_DIRECT)
		rl_count(m, RL_C_PATHS_DIRECT, -1);
	else if (c->path == FZGW_PATH_RELAY)
		rl_count(m, RL_C_PATHS_RELAYED, -1);
	if (c->kind4)
		rl_count(m, c->kind4, -1);
	rl_count(m, RL_C_CONNECTIONS, -1);
	m->n_conns--;
	ice_agent_free(c->agent);
	sodium_memzero(c, sizeof(*c)); /* the ICE passwords, the preshared key */
	free(c);
}

void rl_conn_drop(struct relay_mod *m, const char *client_id, const char *why)
{
	struct rl_conn *c;

	if (!memchr(client_id, 0, 40) || !(c = rl_conn_by_id(m, client_id)))
		return;
	m->api->log(m->ctx, FZGW_LOG_INFO, "client %s: connection closed (%s)", c->client_id, why);
	conn_free(m, c);
	rl_schedule(m);
}

void rl_conns_free(struct relay_mod *m)
{
	for (int i = 0; i < RL_CONN_BUCKETS; i++)
		while (m->by_id[i])
			conn_free(m, m->by_id[i]);
}

static bool same(const struct rl_conn *c, const struct fzgw_ev_authorization *a)
{
	return !c->failed && c->iceless == a->use_iceless && c->has_psk == a->has_psk &&
	       !strcmp(c->lufrag, a->gateway_ice_ufrag) && !strcmp(c->lpwd, a->gateway_ice_pwd) &&
	       !strcmp(c->rufrag, a->client_ice_ufrag) && !strcmp(c->rpwd, a->client_ice_pwd) &&
	       !sodium_memcmp(c->public_key, a->public_key, 32) &&
	       (!a->has_psk || !sodium_memcmp(c->psk, a->preshared_key, 32));
}

static bool strings_ok(const struct fzgw_ev_authorization *a)
{
	return memchr(a->client_id, 0, sizeof(a->client_id)) && a->client_id[0] &&
	       memchr(a->gateway_ice_ufrag, 0, sizeof(a->gateway_ice_ufrag)) &&
	       memchr(a->gateway_ice_pwd, 0, sizeof(a->gateway_ice_pwd)) &&
	       memchr(a->client_ice_ufrag, 0, sizeof(a->client_ice_ufrag)) &&
	       memchr(a->client_ice_pwd, 0, sizeof(a->client_ice_pwd));
}

void rl_conn_bind(struct relay_mod *m, struct rl_conn *c, const struct stun_addr *peer)
{
	struct rl_relay *r = rl_relay_slot(m, c->slot);

	if (!r || !r->ta || turn_alloc_channel_of(r->ta, peer) >= 0)
		return;
	if (turn_alloc_bind_channel(r->ta, peer, m->api->now_ms(m->ctx)) >= 0)
		rl_count(m, RL_C_CHANNEL_BINDS, 1);
	rl_relay_flush(m, r);
}

static struct rl_conn *conn_new(struct relay_mod *m, const struct fzgw_ev_authorization *a)
{
	struct rl_conn *c = calloc(1, sizeof(*c));
	struct rl_relay *r;

	if (!c)
		return NULL;
	memcpy(c->client_id, a->client_id, sizeof(c->client_id));
	snprintf(c->lufrag, sizeof(c->lufrag), "%s", a->gateway_ice_ufrag);
	snprintf(c->lpwd, sizeof(c->lpwd), "%s", a->gateway_ice_pwd);
	snprintf(c->rufrag, sizeof(c->rufrag), "%s", a->client_ice_ufrag);
	snprintf(c->rpwd, sizeof(c->rpwd), "%s", a->client_ice_pwd);
	memcpy(c->public_key, a->public_key, 32);
	if ((c->has_psk = a->has_psk))
		memcpy(c->psk, a->preshared_key, 32);
	c->iceless = a->use_iceless;
	do
		c->tag = m->next_tag++;
	while (rl_conn_by_tag(m, c->tag));
	r = rl_relay_sample(m);
	c->slot = r ? r->slot : -1;
	if (!c->iceless) {
		struct ice_config cfg = {
			.local_ufrag = c->lufrag,
			.local_pwd = c->lpwd,
			.remote_ufrag = c->rufrag,
			.remote_pwd = c->rpwd,
			.tag = c->tag,
		};

		randombytes_buf(&cfg.tie_breaker, sizeof(cfg.tie_breaker));
		if (!(c->agent = ice_agent_new(&cfg, m->api->now_ms(m->ctx)))) {
			sodium_memzero(c, sizeof(*c));
			free(c);
			return NULL;
		}
	}
	return c;
}

int rl_accept(void *self, const struct fzgw_ev_authorization *a)
{
	struct relay_mod *m = self;
	struct rl_conn *c;
	struct rl_relay *r;

	if (!a || !strings_ok(a))
		return -EINVAL;
	if (!rl_relays_any_live(m)) {
		rl_count(m, RL_C_ACCEPT_REFUSED, 1);
		m->api->log(m->ctx, FZGW_LOG_WARN, "client %s: no usable relay; no_relays",
			    a->client_id);
		return -ENETUNREACH;
	}
	if ((c = rl_conn_by_id(m, a->client_id))) {
		if (same(c, a)) {
			m->api->log(m->ctx, FZGW_LOG_DEBUG,
				    "client %s: connection kept, candidates signalled again",
				    c->client_id);
			rl_cands_resignal(m, c);
			return 0;
		}
		m->api->log(m->ctx, FZGW_LOG_INFO, "client %s: connection replaced", c->client_id);
		conn_free(m, c);
	}
	if (!(c = conn_new(m, a))) {
		m->api->log_limited(m->ctx, FZGW_LOG_WARN,
				    "client %s: connection refused (bad ICE credentials, or no memory)",
				    a->client_id);
		return -EINVAL;
	}
	c->next_id = m->by_id[hash(c->client_id, strlen(c->client_id))];
	m->by_id[hash(c->client_id, strlen(c->client_id))] = c;
	c->next_ufrag = m->by_ufrag[hash(c->lufrag, strlen(c->lufrag))];
	m->by_ufrag[hash(c->lufrag, strlen(c->lufrag))] = c;
	c->next_tag = m->by_tag[c->tag % RL_CONN_BUCKETS];
	m->by_tag[c->tag % RL_CONN_BUCKETS] = c;
	m->n_conns++;
	rl_count(m, RL_C_CONNECTIONS, 1);
	r = rl_relay_slot(m, c->slot);
	m->api->log(m->ctx, FZGW_LOG_INFO, "client %s: connection taken (%s), relay %s",
		    c->client_id, c->iceless ? "ICE-less" : "ICE", r ? r->id : "none yet");
	/* the client is not in the data plane yet (the control plane installs it after us) */
	c->path = c->iceless ? FZGW_PATH_ANY : FZGW_PATH_PENDING;
	c->path_due = true;
	rl_path_schedule(m);
	rl_cands_sync(m, c);
	rl_agent_flush(m, c);
	rl_schedule(m);
	return 0;
}

void rl_remote_candidates(struct relay_mod *m, const struct fzgw_ev_ice *ev)
{
	struct rl_conn *c;
	uint64_t now = m->api->now_ms(m->ctx);

	if (!ev->candidates || !memchr(ev->client_id, 0, sizeof(ev->client_id)) ||
	    !(c = rl_conn_by_id(m, ev->client_id))) {
		m->api->log_limited(m->ctx, FZGW_LOG_DEBUG,
				    "candidates for a client without a connection ignored");
		return;
	}
	for (size_t i = 0; i < ev->n; i++) {
		const char *s = ev->candidates[i], *why = "";
		size_t len = s ? strnlen(s, ICE_CAND_STR_MAX * 4) : 0;
		struct ice_cand cand;

		if (!s || ice_cand_parse(s, len, &cand, &why)) {
			rl_count(m, RL_C_REMOTE_BAD, 1);
			m->api->log_limited(m->ctx, FZGW_LOG_INFO,
					    "client %s: candidate skipped (%s)", c->client_id, why);
			continue;
		}
		rl_count(m, RL_C_REMOTE_CANDS, 1);
		if (ev->invalidate) {
			if (c->agent)
				ice_agent_remove_remote(c->agent, &cand, now);
			continue;
		}
		if (c->agent && ice_agent_add_remote(c->agent, &cand, now) < 0) {
			rl_count(m, RL_C_REMOTE_BAD, 1);
			continue;
		}
		if (cand.type == ICE_HOST)
			continue; /* no channel for host candidates, as the original */
		bool known = false;

		for (unsigned k = 0; k < c->n_rchan; k++)
			known |= stun_addr_equal(&c->rchan[k], &cand.addr);
		if (!known && c->n_rchan < ICE_MAX_REMOTE)
			c->rchan[c->n_rchan++] = cand.addr;
		rl_conn_bind(m, c, &cand.addr);
	}
	rl_agent_flush(m, c);
	rl_schedule(m);
}

struct relay_change {
	int slot;
	bool gone;
};

static void follow_relay(struct relay_mod *m, struct rl_conn *c, void *arg)
{
	const struct relay_change *rc = arg;

	if (c->slot != rc->slot)
		return;
	if (rc->gone || c->slot < 0) {
		struct rl_relay *r = rl_relay_sample(m);

		c->slot = r ? r->slot : -1;
		rl_cands_sync(m, c); /* withdraws the old relay's candidates, adds the new one's */
		for (unsigned k = 0; r && k < c->n_rchan; k++)
			rl_conn_bind(m, c, &c->rchan[k]);
	} else {
		rl_cands_sync(m, c);
	}
	rl_agent_flush(m, c);
}

/* Connections left without a relay (every relay went, or a set was replaced) take one. */
void rl_conns_adopt(struct relay_mod *m)
{
	struct relay_change rc = { -1, true };

	if (rl_relays_any_live(m))
		rl_conns_each(m, follow_relay, &rc);
}

void rl_conns_relay_changed(struct relay_mod *m, int slot, bool gone)
{
	struct relay_change rc = { slot, gone };

	rl_conns_each(m, follow_relay, &rc);
	rl_schedule(m);
}

static void retry_path(struct relay_mod *m, struct rl_conn *c, void *arg)
{
	if (c->slot == *(int *)arg && c->path_channel_wait)
		rl_path_from_agent(m, c);
}

void rl_conns_channel_bound(struct relay_mod *m, int slot)
{
	rl_conns_each(m, retry_path, &slot);
}
