/* SPDX-License-Identifier: Apache-2.0 */
/* Turning the static settings into bus events: everything at start, only the changes on reload. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "static.h"

static void fmt_expiry(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t)
		snprintf(buf, len, "never");
	else if (gmtime_r(&tt, &tm))
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(buf, len, "%lld", (long long)t);
}

static void publish_iface(struct static_state *st, const struct static_conf *c)
{
	struct fzgw_ev_iface ev;

	memset(&ev, 0, sizeof(ev));
	ev.ipv4 = c->ipv4;
	ev.ipv6 = c->ipv6;
	st->api->publish(st->ctx, FZGW_EV_IFACE_CONFIG, &ev, sizeof(ev));
}

static void authorize(struct static_state *st, const struct static_conf *c,
		      const struct static_peer *peer, int res)
{
	struct fzgw_ev_authorization ev;
	char when[32];

	memset(&ev, 0, sizeof(ev));
	memcpy(ev.client_id, peer->id, sizeof(ev.client_id));
	memcpy(ev.public_key, peer->public_key, sizeof(ev.public_key));
	if (peer->has_psk) {
		memcpy(ev.preshared_key, peer->preshared_key, sizeof(ev.preshared_key));
		ev.has_psk = true;
	}
	ev.ipv4 = peer->ipv4;
	ev.ipv6 = peer->ipv6;
	ev.resource = c->res[res];
	ev.expires_at = peer->expires_at;
	fmt_expiry(peer->expires_at, when, sizeof(when));
	st->api->log(st->ctx, FZGW_LOG_INFO, "allowing %s to %s, expires %s", peer->id,
		     c->res[res].id, when);
	st->api->publish(st->ctx, FZGW_EV_PEER_AUTHORIZED, &ev, sizeof(ev));
	sodium_memzero(&ev, sizeof(ev)); /* the preshared key was in it */
}

static void revoke(struct static_state *st, const char *client_id, const char *resource_id)
{
	struct fzgw_ev_revoke ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.client_id, sizeof(ev.client_id), "%s", client_id);
	snprintf(ev.resource_id, sizeof(ev.resource_id), "%s", resource_id);
	if (*resource_id)
		st->api->log(st->ctx, FZGW_LOG_INFO, "revoking %s's access to %s", client_id,
			     resource_id);
	else
		st->api->log(st->ctx, FZGW_LOG_INFO, "removing %s", client_id);
	st->api->publish(st->ctx, FZGW_EV_ACCESS_REVOKED, &ev, sizeof(ev));
}

static void log_counts(struct static_state *st, const struct static_conf *c)
{
	st->api->log(st->ctx, FZGW_LOG_INFO, "%d peers, %d resources", c->n_peers, c->n_res);
}

void static_publish_all(struct static_state *st)
{
	const struct static_conf *c = &st->conf;

	log_counts(st, c);
	publish_iface(st, c);
	for (int i = 0; i < c->n_peers; i++)
		for (int g = 0; g < c->peers[i].n_grants; g++)
			authorize(st, c, &c->peers[i], c->peers[i].grants[g]);
	st->published = true;
}

/* Same WireGuard identity, addresses and expiry: only its grants may differ. */
static bool peer_same(const struct static_peer *a, const struct static_peer *b)
{
	return !sodium_memcmp(a->public_key, b->public_key, sizeof(a->public_key)) &&
	       a->has_psk == b->has_psk &&
	       !sodium_memcmp(a->preshared_key, b->preshared_key, sizeof(a->preshared_key)) &&
	       static_addr_equal(&a->ipv4, &b->ipv4) && static_addr_equal(&a->ipv6, &b->ipv6) &&
	       a->expires_at == b->expires_at;
}

static bool has_grant(const struct static_conf *c, const struct static_peer *peer,
		      const char *res_id)
{
	for (int g = 0; g < peer->n_grants; g++)
		if (!strcmp(c->res[peer->grants[g]].id, res_id))
			return true;
	return false;
}

/*
 * Order matters to the subscribers: the interface first; then the peers that go (removed, or
 * a new key, which is a new device), so that their addresses and keys are free again; then
 * resource definitions; then new grants; last the grants kept peers lose, so that a peer
 * trading its only grant for another never has none (the policy would end its tunnel).
 * Peers whose identity and grants did not change see nothing.
 */
void static_publish_diff(struct static_state *st, const struct static_conf *old,
			 const struct static_conf *nc)
{
	log_counts(st, nc);
	if (!static_addr_equal(&old->ipv4, &nc->ipv4) || !static_addr_equal(&old->ipv6, &nc->ipv6))
		publish_iface(st, nc);
	for (int i = 0; i < old->n_peers; i++) {
		const struct static_peer *op = &old->peers[i];
		int j = static_conf_find_peer(nc, op->id);

		if (j < 0 || sodium_memcmp(op->public_key, nc->peers[j].public_key,
					   sizeof(op->public_key)))
			revoke(st, op->id, "");
	}
	for (int r = 0; r < nc->n_res; r++) {
		int o = static_conf_find_res(old, nc->res[r].id);

		if (o >= 0 && !static_res_equal(&old->res[o], &nc->res[r])) {
			struct fzgw_ev_resource ev;

			memset(&ev, 0, sizeof(ev));
			ev.resource = nc->res[r];
			st->api->log(st->ctx, FZGW_LOG_INFO, "resource %s changed", nc->res[r].id);
			st->api->publish(st->ctx, FZGW_EV_RESOURCE_UPDATED, &ev, sizeof(ev));
		}
	}
	for (int j = 0; j < nc->n_peers; j++) {
		const struct static_peer *np = &nc->peers[j];
		int i = static_conf_find_peer(old, np->id);
		bool all = i < 0 || !peer_same(&old->peers[i], np);

		for (int g = 0; g < np->n_grants; g++) {
			const char *rid = nc->res[np->grants[g]].id;

			if (all || !has_grant(old, &old->peers[i], rid))
				authorize(st, nc, np, np->grants[g]);
		}
	}
	for (int i = 0; i < old->n_peers; i++) {
		const struct static_peer *op = &old->peers[i];
		int j = static_conf_find_peer(nc, op->id);

		if (j < 0 || sodium_memcmp(op->public_key, nc->peers[j].public_key,
					   sizeof(op->public_key)))
			continue; /* revoked whole above */
		for (int g = 0; g < op->n_grants; g++) {
			const char *rid = old->res[op->grants[g]].id;

			if (!has_grant(nc, &nc->peers[j], rid))
				revoke(st, op->id, rid);
		}
	}
}
