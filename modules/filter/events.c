/* SPDX-License-Identifier: Apache-2.0 */
/* Bus events into the policy: gateway addresses, grants, revocations, resources, proxy IPs. */
#include <errno.h>
#include <string.h>

#include "filter.h"

/* The payload, or NULL when the event is shorter than the struct it should carry. */
#define PAYLOAD(ev, type) \
	((ev)->size >= sizeof(type) && (ev)->data ? (const type *)(ev)->data : NULL)

void filter_on_iface(void *state, const struct fzgw_event *ev)
{
	struct filter_state *st = state;
	const struct fzgw_ev_iface *e = PAYLOAD(ev, struct fzgw_ev_iface);

	if (!e)
		return;
	st->gw4 = e->ipv4.family == 4 ? e->ipv4 : (struct fzgw_addr){ 0 };
	st->gw6 = e->ipv6.family == 6 ? e->ipv6 : (struct fzgw_addr){ 0 };
}

void filter_on_authorized(void *state, const struct fzgw_event *ev)
{
	struct filter_state *st = state;
	const struct fzgw_ev_authorization *e = PAYLOAD(ev, struct fzgw_ev_authorization);
	int rc;

	if (!e)
		return;
	rc = filter_grant_set(st, e->client_id, &e->resource, e->expires_at);
	if (rc == -EINVAL)
		st->api->log(st->ctx, FZGW_LOG_WARN, "ignoring a malformed authorization from %s",
			     ev->source);
	else if (rc < 0)
		st->api->log(st->ctx, FZGW_LOG_WARN, "%.40s: cannot add access to %.40s: out of memory",
			     e->client_id, e->resource.id);
}

/* The client's last grant going means the client goes: the core then removes its tunnel. */
static void revoke_client(struct filter_state *st, const char *client_id)
{
	struct fzgw_ev_revoke r;

	memset(&r, 0, sizeof(r));
	memcpy(r.client_id, client_id, sizeof(r.client_id));
	st->api->log(st->ctx, FZGW_LOG_INFO, "%s has no access left, revoking", r.client_id);
	st->api->publish(st->ctx, FZGW_EV_ACCESS_REVOKED, &r, sizeof(r));
}

void filter_on_revoked(void *state, const struct fzgw_event *ev)
{
	struct filter_state *st = state;
	const struct fzgw_ev_revoke *e = PAYLOAD(ev, struct fzgw_ev_revoke);

	if (!e || !memchr(e->client_id, '\0', sizeof(e->client_id)) ||
	    !memchr(e->resource_id, '\0', sizeof(e->resource_id)))
		return;
	/* a whole-client revocation already tells everyone; one for a last grant does not */
	if (filter_grant_del(st, e->client_id, e->resource_id) && e->resource_id[0])
		revoke_client(st, e->client_id);
}

void filter_on_resource(void *state, const struct fzgw_event *ev)
{
	struct filter_state *st = state;
	const struct fzgw_ev_resource *e = PAYLOAD(ev, struct fzgw_ev_resource);
	int rc;

	if (!e)
		return;
	rc = filter_resource_update(st, &e->resource);
	if (rc == -EINVAL)
		st->api->log(st->ctx, FZGW_LOG_WARN, "ignoring a malformed resource update from %s",
			     ev->source);
	else if (rc == -ENOMEM)
		st->api->log(st->ctx, FZGW_LOG_WARN, "%.40s: cannot update its filters: out of memory",
			     e->resource.id);
	/* -EPERM (a type change) was logged and counted where it was refused */
}

void filter_on_peer_removed(void *state, const struct fzgw_event *ev)
{
	struct filter_state *st = state;
	const struct fzgw_ev_peer *e = PAYLOAD(ev, struct fzgw_ev_peer);

	if (e && memchr(e->client_id, '\0', sizeof(e->client_id)))
		filter_grant_del(st, e->client_id, NULL);
}

/* The nat module's proxy IPs for a DNS resource's name (n = 0: the name is no longer in use). */
void filter_on_proxy_ips(void *state, const struct fzgw_event *ev)
{
	struct filter_state *st = state;
	const struct fzgw_ev_proxy_ips *e = PAYLOAD(ev, struct fzgw_ev_proxy_ips);
	int rc;

	if (!e) {
		st->api->counter_add(st->ctx, st->cnt_proxy_ignored, 1);
		return;
	}
	rc = filter_proxy_set(st, e);
	if (rc == 0) {
		st->api->counter_add(st->ctx, e->n ? st->cnt_proxy_set : st->cnt_proxy_removed, 1);
		st->api->log(st->ctx, FZGW_LOG_DEBUG, "%.40s: %.255s (%.40s): %u proxy IP(s)",
			     e->client_id, e->domain, e->resource_id, e->n);
		return;
	}
	st->api->counter_add(st->ctx, st->cnt_proxy_ignored, 1);
	if (rc == -ENOENT)
		st->api->log(st->ctx, FZGW_LOG_DEBUG,
			     "%.40s: proxy IPs for %.40s, which it does not hold", e->client_id,
			     e->resource_id);
	else
		st->api->log(st->ctx, FZGW_LOG_WARN,
			     "%.40s: ignoring proxy IPs of %.255s from %s: %s", e->client_id,
			     e->domain, ev->source,
			     rc == -EINVAL ? "malformed" : rc == -ENOSPC ? "too many names" :
			     "out of memory");
}
