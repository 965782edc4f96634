/* SPDX-License-Identifier: Apache-2.0 */
/* The portal module: the gateway's control plane from a Firezone portal over its WebSocket. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "egress.h"
#include "portal.h"

static void on_start(void *arg)
{
	struct portal *p = arg;
	uint8_t key[32];
	int rc;

	p->t_connect = NULL;
	/* the data plane exists once the loop runs; its key is what the portal hands clients */
	if ((rc = p->api->public_key(p->ctx, key)) < 0) {
		p->api->shutdown(p->ctx, 1,
				 "portal: the gateway has no WireGuard key (no data plane)");
		return;
	}
	sodium_bin2base64(p->public_key, sizeof(p->public_key), key, sizeof(key),
			  sodium_base64_VARIANT_ORIGINAL);
	pz_session_connect(p);
}

static void on_local_candidates(void *state, const struct fzgw_event *ev)
{
	struct portal *p = state;
	const struct fzgw_ev_ice *ice = ev->data;
	const char *ids[1];
	char *payload;

	if (ev->size < sizeof(*ice) || p->stopped || !ice->n)
		return;
	ids[0] = ice->client_id;
	if (!(payload = pz_payload_candidates(ids, 1, ice->candidates, ice->n))) {
		p->api->log(p->ctx, FZGW_LOG_WARN,
			    "candidates for %s not sent (not UTF-8, or no memory)", ice->client_id);
		return;
	}
	pz_session_push(p, ice->invalidate ? "broadcast_invalidated_ice_candidates"
					   : "broadcast_ice_candidates", payload);
	free(payload);
}

static void on_no_relays(void *state, const struct fzgw_event *ev)
{
	struct portal *p = state;

	(void)ev;
	if (!p->stopped)
		pz_session_push(p, "no_relays", "{}");
}

static void on_revoked(void *state, const struct fzgw_event *ev)
{
	struct portal *p = state;

	if (ev->size >= sizeof(struct fzgw_ev_revoke))
		pz_xlate_revoked(&p->xlate, ev->data);
}

static void on_peer_removed(void *state, const struct fzgw_event *ev)
{
	struct portal *p = state;

	if (ev->size >= sizeof(struct fzgw_ev_peer))
		pz_xlate_peer_removed(&p->xlate,
				      ((const struct fzgw_ev_peer *)ev->data)->client_id);
}

static void portal_fini(void *state)
{
	struct portal *p = state;

	if (!p)
		return;
	/* the core already removed our timers */
	p->t_connect = p->t_join = p->t_heartbeat = p->t_lost = NULL;
	pz_session_stop(p);
	pz_session_release(p);
	/* tunnels the portal granted end with it (a reload that disables the module) */
	if (p->xlate.grants.n_clients)
		p->api->log(p->ctx, FZGW_LOG_INFO, "unloading: revoking %u client(s)",
			    p->xlate.grants.n_clients);
	pz_xlate_fini(&p->xlate, true);
	sodium_memzero(p, sizeof(*p));
	free(p);
}

static int portal_init(struct fzgw_ctx *ctx, const struct fzgw_api *api,
		       const struct fzgw_settings *settings, void **state)
{
	struct portal *p;
	int rc;

	if (!(p = calloc(1, sizeof(*p))))
		return -ENOMEM;
	p->ctx = ctx;
	p->api = api;
	if ((rc = pz_conf_parse(ctx, api, settings, &p->conf)) < 0)
		goto err;
	if (api->check_only(ctx)) {
		*state = p;
		return 0;
	}
	if (sodium_init() < 0 || !(p->base = api->event_base(ctx))) {
		rc = -EIO;
		goto err;
	}
	pz_session_init(p);
	if ((rc = pz_xlate_init(&p->xlate, ctx, api)) < 0 || (rc = pz_session_setup(p)) < 0)
		goto err_session;
	p->cnt_rejected = api->counter_register(ctx, "portal_msg_rejected");
	p->cnt_reconnects = api->counter_register(ctx, "portal_reconnects");
	p->cnt_dropped = api->counter_register(ctx, "portal_queue_dropped");
	p->cnt_candidates_skipped = api->counter_register(ctx, "portal_candidates_skipped");
	pz_health_init(p);
	/* from the loop: every module loaded and subscribed, the data plane up */
	if (!(p->t_connect = api->timer_add(ctx, 0, false, on_start, p))) {
		rc = -ENOMEM;
		goto err_session;
	}
	*state = p;
	return 0;
err_session:
	pz_session_release(p);
	pz_session_stop(p);
	pz_xlate_fini(&p->xlate, false);
err:
	free(p);
	return rc;
}

/*
 * New settings take effect with a new connection; what the portal granted stays. Everything
 * the new settings need is made first, so a refusal leaves the running session untouched.
 */
static int portal_reload(void *state, const struct fzgw_settings *settings)
{
	struct portal *p = state, *n;
	int rc;

	if (!(n = calloc(1, sizeof(*n))))
		return -ENOMEM;
	n->ctx = p->ctx;
	n->api = p->api;
	n->base = p->base;
	if ((rc = pz_conf_parse(p->ctx, p->api, settings, &n->conf)) < 0 ||
	    (!p->api->check_only(p->ctx) && (rc = pz_session_setup(n)) < 0)) {
		pz_session_release(n);
		free(n);
		return rc;
	}
	p->conf = n->conf;
	if (p->api->check_only(p->ctx) || p->stopped) {
		pz_session_release(n);
		free(n);
		return 0;
	}
	/* before the first attempt the start timer still runs and connects with these */
	if (p->public_key[0])
		pz_session_reset(p);
	pz_session_release(p);
	p->token = n->token;
	p->tls = n->tls;
	p->dns = n->dns;
	memcpy(p->external_id, n->external_id, sizeof(p->external_id));
	memcpy(p->name, n->name, sizeof(p->name));
	memcpy(p->user_agent, n->user_agent, sizeof(p->user_agent));
	free(n);
	p->attempt = 0;
	p->backoff_armed = false;
	if (p->public_key[0]) {
		p->api->log(p->ctx, FZGW_LOG_INFO, "new settings: reconnecting");
		pz_session_connect(p);
	}
	return 0;
}

FZGW_MODULE_DEFINE = {
	FZGW_MODULE_HEADER,
	.name = "portal",
	.version = "1.0",
	.init = portal_init,
	.reload = portal_reload,
	.fini = portal_fini,
	.subs = {
		{ FZGW_EV_LOCAL_CANDIDATES, on_local_candidates },
		{ FZGW_EV_NO_RELAYS, on_no_relays },
		{ FZGW_EV_ACCESS_REVOKED, on_revoked },
		{ FZGW_EV_PEER_REMOVED, on_peer_removed },
	},
};
