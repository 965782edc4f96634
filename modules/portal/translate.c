/* SPDX-License-Identifier: Apache-2.0 */
/* Portal messages into bus events, keeping what was authorized so init can resynchronise. */
#include "translate.h"

#include "resdef.h"

#include <relaysvc/relay_service.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int pz_xlate_init(struct pz_xlate *x, struct fzgw_ctx *ctx, const struct fzgw_api *api)
{
	memset(x, 0, sizeof(*x));
	x->ctx = ctx;
	x->api = api;
	return pz_grants_init(&x->grants);
}

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

static void publish_revoke(struct pz_xlate *x, const char *client_id, const char *resource_id,
			   bool quiet)
{
	struct fzgw_ev_revoke ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.client_id, sizeof(ev.client_id), "%s", client_id);
	snprintf(ev.resource_id, sizeof(ev.resource_id), "%s", resource_id);
	if (!quiet && *resource_id)
		x->api->log(x->ctx, FZGW_LOG_INFO, "revoking %s's access to %s", client_id,
			    resource_id);
	else if (!quiet)
		x->api->log(x->ctx, FZGW_LOG_INFO, "client %s has no access left, removing it",
			    client_id);
	x->api->publish(x->ctx, FZGW_EV_ACCESS_REVOKED, &ev, sizeof(ev));
}

static void revoke(struct pz_xlate *x, const char *client_id, const char *resource_id)
{
	publish_revoke(x, client_id, resource_id, false);
}

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* PEER_AUTHORIZED for one grant of @c, from the table. */
static void authorize(struct pz_xlate *x, const struct pz_client *c, const struct pz_grant *g)
{
	struct fzgw_ev_authorization ev;
	/* a copy: a subscriber's answer may change the table while the event is delivered */
	struct fzgw_resource *res = pz_res_dup(g->res->def);
	char when[32];

	if (!res) {
		x->api->log(x->ctx, FZGW_LOG_ERROR, "out of memory authorizing %s for %s", c->id,
			    g->res->def->id);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	memcpy(ev.client_id, c->id, sizeof(c->id));
	memcpy(ev.public_key, c->public_key, 32);
	memcpy(ev.preshared_key, pz_grants_psk(&x->grants, c), 32);
	ev.has_psk = true;
	ev.ipv4 = c->ipv4;
	ev.ipv6 = c->ipv6;
	ev.resource = *res;
	ev.expires_at = g->expires_at;
	copy_str(ev.gateway_ice_ufrag, sizeof(ev.gateway_ice_ufrag), c->gw_ufrag);
	copy_str(ev.gateway_ice_pwd, sizeof(ev.gateway_ice_pwd), c->gw_pwd);
	copy_str(ev.client_ice_ufrag, sizeof(ev.client_ice_ufrag), c->cl_ufrag);
	copy_str(ev.client_ice_pwd, sizeof(ev.client_ice_pwd), c->cl_pwd);
	ev.use_iceless = c->use_iceless;
	fmt_expiry(g->expires_at, when, sizeof(when));
	x->api->log(x->ctx, FZGW_LOG_INFO, "allowing %s to %s, expires %s", c->id, res->id, when);
	x->api->publish(x->ctx, FZGW_EV_PEER_AUTHORIZED, &ev, sizeof(ev));
	sodium_memzero(&ev, sizeof(ev)); /* the preshared key and ICE passwords were in it */
	free(res);
}

static void revoke_all(struct pz_xlate *x)
{
	size_t n;
	struct pz_client **v = pz_grants_list(&x->grants, &n);
	char (*ids)[PZ_UUID_SIZE] = n ? calloc(n, sizeof(*ids)) : NULL;

	if (n && !ids) {
		free(v);
		return;
	}
	/* the table first: subscribers answer with events that come back here */
	for (size_t i = 0; i < n; i++) {
		memcpy(ids[i], v[i]->id, sizeof(ids[i]));
		pz_grants_drop(&x->grants, v[i]);
	}
	for (size_t i = 0; i < n; i++)
		publish_revoke(x, ids[i], "", true); /* the caller logged how many */
	free(ids);
	free(v);
}

void pz_xlate_fini(struct pz_xlate *x, bool do_revoke)
{
	if (do_revoke && x->grants.cb)
		revoke_all(x);
	pz_grants_fini(&x->grants);
}

static void relay_of(struct fzgw_relay *out, const struct pz_relay *r)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->id, r->id, sizeof(r->id));
	snprintf(out->addr, sizeof(out->addr), "%s", r->addr);
	snprintf(out->username, sizeof(out->username), "%s", r->username);
	snprintf(out->password, sizeof(out->password), "%s", r->password);
	out->expires_at = r->expires_at;
}

/* TURN relays only (STUN entries are not used, as in the original). */
static void publish_relays(struct pz_xlate *x, const struct pz_relay *rs, size_t n,
			   const char *const *gone, size_t n_gone, bool replace)
{
	struct fzgw_relay *v = n ? calloc(n, sizeof(*v)) : NULL;
	struct fzgw_ev_relays ev;
	size_t k = 0;

	if (n && !v)
		return;
	for (size_t i = 0; i < n; i++)
		if (rs[i].turn)
			relay_of(&v[k++], &rs[i]);
	memset(&ev, 0, sizeof(ev));
	ev.relays = v;
	ev.n = k;
	ev.gone_ids = gone;
	ev.n_gone = n_gone;
	ev.replace = replace;
	x->api->log(x->ctx, FZGW_LOG_INFO, "relays: %zu TURN%s, %zu gone", k,
		    replace ? " (all)" : "", n_gone);
	x->api->publish(x->ctx, FZGW_EV_RELAYS_CHANGED, &ev, sizeof(ev));
	if (v) {
		sodium_memzero(v, n * sizeof(*v)); /* passwords */
		free(v);
	}
}

struct pair {
	char client[PZ_UUID_SIZE];
	char res[PZ_UUID_SIZE];
};

void pz_xlate_init_msg(struct pz_xlate *x, const struct pz_init *m)
{
	struct pz_client **v;
	struct pair *gone = NULL, *renew = NULL;
	size_t n, n_gone = 0, n_renew = 0, n_clients = 0, cap = 0;

	if (!x->have_iface || !pz_addr_equal(&x->ipv4, &m->ipv4) ||
	    !pz_addr_equal(&x->ipv6, &m->ipv6)) {
		struct fzgw_ev_iface ev;

		memset(&ev, 0, sizeof(ev));
		ev.ipv4 = m->ipv4;
		ev.ipv6 = m->ipv6;
		x->have_iface = true;
		x->ipv4 = m->ipv4;
		x->ipv6 = m->ipv6;
		x->api->publish(x->ctx, FZGW_EV_IFACE_CONFIG, &ev, sizeof(ev));
	}
	publish_relays(x, m->relays, m->n_relays, NULL, 0, true);

	/* mark what the portal still authorizes, note changed expiries */
	v = pz_grants_list(&x->grants, &n);
	for (size_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < v[i]->n; k++)
			v[i]->grants[k].listed = false;
	for (size_t i = 0; i < n; i++)
		cap += v[i]->n;
	if (cap &&
	    (!(gone = calloc(cap + n, sizeof(*gone))) || !(renew = calloc(cap, sizeof(*renew))))) {
		x->api->log(x->ctx, FZGW_LOG_ERROR,
			    "out of memory applying init; authorizations kept");
		goto out;
	}
	for (size_t i = 0; cap && i < m->n_auths; i++) {
		struct pz_client *c = pz_grants_client(&x->grants, m->auths[i].client_id);
		struct pz_grant *g = c ? pz_grants_find(c, m->auths[i].resource_id) : NULL;

		if (!g || g->listed)
			continue; /* not ours (the portal re-sends it when the client comes), or
				     twice */
		g->listed = true;
		if (g->expires_at != m->auths[i].expires_at) {
			g->expires_at = m->auths[i].expires_at;
			memcpy(renew[n_renew].client, c->id, sizeof(c->id));
			memcpy(renew[n_renew++].res, g->res->def->id, PZ_UUID_SIZE);
		}
	}
	/* the table first, then the events: subscribers may answer with events of their own */
	for (size_t i = 0; i < n; i++) {
		struct pz_client *c = v[i];

		for (uint32_t k = 0; k < c->n;) {
			if (c->grants[k].listed) {
				k++;
				continue;
			}
			memcpy(gone[n_gone].client, c->id, sizeof(c->id));
			memcpy(gone[n_gone].res, c->grants[k].res->def->id, PZ_UUID_SIZE);
			pz_grants_del(&x->grants, c, gone[n_gone++].res);
		}
		if (!c->n) {
			memcpy(gone[n_gone].client, c->id, sizeof(c->id));
			gone[n_gone++].res[0] = '\0';
			pz_grants_drop(&x->grants, c);
			n_clients++;
		}
	}
	for (size_t i = 0; i < n_gone; i++)
		revoke(x, gone[i].client, gone[i].res);
	for (size_t i = 0; i < n_renew; i++) {
		struct pz_client *c = pz_grants_client(&x->grants, renew[i].client);
		struct pz_grant *g = c ? pz_grants_find(c, renew[i].res) : NULL;

		if (g)
			authorize(x, c, g);
	}
out:
	x->api->log(x->ctx, FZGW_LOG_INFO,
		    "init: %zu authorization(s) listed, %zu grant(s) revoked, "
		    "%zu client(s) removed, %zu expiry update(s), %u client(s) kept",
		    m->n_auths, n_gone - n_clients, n_clients, n_renew, x->grants.n_clients);
	free(gone);
	free(renew);
	free(v);
}

/*
 * With a relay module loaded, the connection is taken before anything is installed, as the
 * original accepts it (ICE, TURN channels) before answering: -ENETUNREACH without a usable
 * relay. Without one, clients reach the gateway's UDP port directly (standalone behaviour).
 */
static int relay_accept(struct pz_xlate *x, const struct pz_create *m)
{
	const struct relay_service *svc =
		x->api->service_lookup ? x->api->service_lookup(x->ctx, RELAY_SERVICE_NAME) : NULL;
	struct fzgw_ev_authorization a;
	int rc;

	if (!svc || svc->version != RELAY_SERVICE_VERSION || svc->struct_size < sizeof(*svc))
		return 0;
	memset(&a, 0, sizeof(a));
	memcpy(a.client_id, m->client_id, sizeof(a.client_id));
	memcpy(a.public_key, m->public_key, 32);
	memcpy(a.preshared_key, m->preshared_key, 32);
	a.has_psk = true;
	a.ipv4 = m->ipv4;
	a.ipv6 = m->ipv6;
	a.resource = *m->resource;
	a.expires_at = m->expires_at;
	copy_str(a.gateway_ice_ufrag, sizeof(a.gateway_ice_ufrag), m->gateway_ice.username);
	copy_str(a.gateway_ice_pwd, sizeof(a.gateway_ice_pwd), m->gateway_ice.password);
	copy_str(a.client_ice_ufrag, sizeof(a.client_ice_ufrag), m->client_ice.username);
	copy_str(a.client_ice_pwd, sizeof(a.client_ice_pwd), m->client_ice.password);
	a.use_iceless = m->use_iceless;
	rc = svc->accept(svc->self, &a);
	sodium_memzero(&a, sizeof(a)); /* the preshared key and ICE passwords were in it */
	return rc;
}

int pz_xlate_create(struct pz_xlate *x, const struct pz_create *m)
{
	struct pz_client *c;
	struct pz_grant *g;
	bool existed = pz_grants_client(&x->grants, m->client_id) != NULL;
	int rc;

	if ((rc = relay_accept(x, m)) < 0)
		return rc;
	if ((rc = pz_grants_client_set(&x->grants, m->client_id, m->public_key, m->preshared_key,
				       &m->ipv4, &m->ipv6, &c)) < 0)
		return rc;
	if ((rc = pz_grants_client_ice(c, m->gateway_ice.username, m->gateway_ice.password,
				       m->client_ice.username, m->client_ice.password,
				       m->use_iceless)) < 0 ||
	    (rc = pz_grants_set(&x->grants, c, m->resource, m->expires_at)) < 0) {
		if (!existed)
			pz_grants_drop(&x->grants, c);
		return rc;
	}
	g = pz_grants_find(c, m->resource->id);
	authorize(x, c, g);
	return 0;
}

void pz_xlate_reject(struct pz_xlate *x, const char *client_id, const char *resource_id)
{
	struct pz_client *c = pz_grants_client(&x->grants, client_id);
	int left = c ? pz_grants_del(&x->grants, c, resource_id) : -ENOENT;

	/* the table first: the revocations below come back as events */
	if (left == 0)
		pz_grants_drop(&x->grants, c);
	revoke(x, client_id, resource_id);
	/* the last resource: the client's tunnel ends, as the original closes its connection */
	if (left == 0)
		revoke(x, client_id, "");
}

int pz_xlate_resource(struct pz_xlate *x, const struct fzgw_resource *r)
{
	const struct fzgw_resource *def;
	struct fzgw_resource *copy;
	struct fzgw_ev_resource ev;
	int rc = pz_grants_update_resource(&x->grants, r, &def);

	if (rc == -EINVAL)
		return rc; /* a type change: the portal revokes and re-authorizes for that */
	if (rc == -ENOMEM)
		return rc;
	/* the stored definition with the new filters; as received when no grant names it */
	if (!(copy = pz_res_dup(rc == 0 ? def : r)))
		return -ENOMEM;
	memset(&ev, 0, sizeof(ev));
	ev.resource = *copy;
	x->api->log(x->ctx, FZGW_LOG_INFO, "resource %s changed (%u filter(s))", r->id,
		    r->n_filters);
	x->api->publish(x->ctx, FZGW_EV_RESOURCE_UPDATED, &ev, sizeof(ev));
	free(copy);
	return 0;
}

void pz_xlate_ice(struct pz_xlate *x, const struct pz_ice *m, bool invalidate)
{
	struct fzgw_ev_ice ev;

	if (!m->n)
		return;
	memset(&ev, 0, sizeof(ev));
	memcpy(ev.client_id, m->client_id, sizeof(m->client_id));
	ev.candidates = (const char *const *)m->candidates;
	ev.n = m->n;
	ev.invalidate = invalidate;
	x->api->publish(x->ctx, FZGW_EV_ICE_CANDIDATES, &ev, sizeof(ev));
}

void pz_xlate_presence(struct pz_xlate *x, const struct pz_presence *m)
{
	const char **gone = m->n_gone ? calloc(m->n_gone, sizeof(*gone)) : NULL;

	if (m->n_gone && !gone)
		return;
	for (size_t i = 0; i < m->n_gone; i++)
		gone[i] = m->gone[i];
	publish_relays(x, m->relays, m->n_relays, gone, m->n_gone, false);
	free(gone);
}

void pz_xlate_revoked(struct pz_xlate *x, const struct fzgw_ev_revoke *r)
{
	struct pz_client *c = pz_grants_client(&x->grants, r->client_id);

	if (!c)
		return;
	if (!r->resource_id[0] || pz_grants_del(&x->grants, c, r->resource_id) == 0)
		pz_grants_drop(&x->grants, c);
}

void pz_xlate_peer_removed(struct pz_xlate *x, const char *client_id)
{
	struct pz_client *c = pz_grants_client(&x->grants, client_id);

	if (c)
		pz_grants_drop(&x->grants, c);
}
