/* SPDX-License-Identifier: Apache-2.0 */
/* The portal session: connecting, joining, heartbeats, reconnecting with backoff, dispatching. */
#include <errno.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "egress.h"
#include "http.h"
#include "portal.h"
#include "tls.h"
#include "token.h"
#include "ws.h"

#define RETRY_AFTER_MAX_S 3600 /* a longer Retry-After is taken as an hour */

static void timer_stop(struct portal *p, struct fzgw_timer **t)
{
	if (*t)
		p->api->timer_del(p->ctx, *t);
	*t = NULL;
}

static void fatal(struct portal *p, const char *why)
{
	p->stopped = true;
	pz_session_reset(p);
	p->api->shutdown(p->ctx, 1, why);
}

/* ------------------------------------------------------------ timers */

static void on_connect_timer(void *arg)
{
	struct portal *p = arg;

	p->t_connect = NULL; /* one-shot: gone once it fires */
	pz_session_connect(p);
}

static void on_join_timer(void *arg)
{
	struct portal *p = arg;

	p->t_join = NULL;
	if (!p->chan.joined)
		pz_session_lost(p, "no answer to the join within 5 s", 0, -1);
}

static void on_heartbeat(void *arg)
{
	struct portal *p = arg;

	if (pz_chan_heartbeat(&p->chan) == -ETIMEDOUT)
		pz_session_lost(p, "more than 3 heartbeats unanswered", 0, -1);
}

static void on_lost_timer(void *arg)
{
	struct portal *p = arg;

	p->t_lost = NULL;
	pz_session_lost(p, p->lost_why, 0, -1);
}

/* Heartbeats at a fixed interval from the WebSocket's opening, whatever else is sent, as
 * the original's interval timer. */
static void heartbeat_start(struct portal *p)
{
	timer_stop(p, &p->t_heartbeat);
	p->t_heartbeat =
	    p->api->timer_add(p->ctx, (uint32_t)p->conf.heartbeat_ms, true, on_heartbeat, p);
}

/* ------------------------------------------------------------ channel I/O */

static int chan_send(void *user, const char *text, size_t len)
{
	struct portal *p = user;

	if (!p->conn)
		return -ENOTCONN;
	if (pz_conn_send(p->conn, text, len) < 0) {
		/* noticed inside someone's callback: the reconnect runs from the loop */
		if (!p->t_lost) {
			snprintf(p->lost_why, sizeof(p->lost_why), "cannot send to the portal");
			p->t_lost = p->api->timer_add(p->ctx, 0, false, on_lost_timer, p);
		}
		return -EPIPE;
	}
	return 0;
}

static const struct pz_chan_ops chan_ops = { chan_send };

void pz_session_push(struct portal *p, const char *event, const char *payload)
{
	int rc = pz_chan_push(&p->chan, event, payload);

	if (rc == 1) {
		p->api->counter_add(p->ctx, p->cnt_dropped, 1);
		p->api->log(p->ctx, FZGW_LOG_WARN,
			    "outgoing queue full (%d): the oldest message was dropped",
			    PZ_QUEUE_MAX);
	} else if (rc == 2) {
		p->api->counter_add(p->ctx, p->cnt_dropped, 1);
		p->api->log(p->ctx, FZGW_LOG_DEBUG, "not connected to the portal: %s dropped",
			    event);
	} else if (rc < 0 && rc != -EPIPE) {
		p->api->log(p->ctx, FZGW_LOG_WARN, "cannot send %s: %s", event, strerror(-rc));
	}
}

/* ------------------------------------------------------------ messages */

static void reply_ref(struct portal *p, const char *event, const char *ref)
{
	char *payload = pz_payload_ref(ref);

	if (!payload) {
		p->api->log(p->ctx, FZGW_LOG_ERROR, "out of memory answering with %s", event);
		return;
	}
	pz_session_push(p, event, payload);
	free(payload);
}

static void on_joined(struct portal *p)
{
	char *caps = pz_payload_capabilities(false);
	uint64_t now = p->api->now_ms(p->ctx);

	timer_stop(p, &p->t_join);
	p->joins++;
	if (p->down_since_ms)
		p->api->log(p->ctx, FZGW_LOG_INFO,
			    "joined the portal again after %.3f s down (attempt %u)",
			    (double)(now - p->down_since_ms) / 1000.0, p->attempt);
	else
		p->api->log(p->ctx, FZGW_LOG_INFO, "joined the portal as %s", p->name);
	/* from now on a lost connection backs off exponentially, with a fresh budget */
	p->joined_once = true;
	p->backoff_armed = false;
	p->attempt = 0;
	p->down_since_ms = 0;
	pz_health_joined(p);
	if (!caps || pz_chan_joined(&p->chan, "set_snownet_capabilities", caps) < 0)
		p->api->log(p->ctx, FZGW_LOG_WARN,
			    "cannot send the capabilities and queued messages");
	free(caps);
}

static void on_reply(struct portal *p, const struct pz_msg *m)
{
	char why[160];

	switch (pz_chan_reply(&p->chan, m)) {
	case PZ_REPLY_JOINED:
		on_joined(p);
		break;
	case PZ_REPLY_JOIN_FAILED:
		snprintf(why, sizeof(why), "the portal refused the join: %s",
			 m->u.reply.reason[0] ? m->u.reply.reason : "error");
		fatal(p, why);
		break;
	case PZ_REPLY_REJOIN:
		p->api->log(p->ctx, FZGW_LOG_INFO,
			    "the portal does not know our topic: joining again");
		if (pz_chan_join(&p->chan) == 0 && !p->t_join)
			p->t_join =
			    p->api->timer_add(p->ctx, PZ_JOIN_TIMEOUT_MS, false, on_join_timer, p);
		break;
	case PZ_REPLY_HEARTBEAT:
		break;
	case PZ_REPLY_IGNORED:
		if (!m->u.reply.ok)
			p->api->log(p->ctx, FZGW_LOG_DEBUG, "error reply on %s: %s", m->topic,
				    m->u.reply.reason);
		break;
	}
}

static void on_create(struct portal *p, const struct pz_msg *m)
{
	const struct pz_create *a = &m->u.create;
	int rc = pz_xlate_create(&p->xlate, a);

	if (rc == -ENETUNREACH) {
		/* the relay module has no usable relay: nothing installed, the portal sends a
		 * fresh relays_presence */
		p->api->log(p->ctx, FZGW_LOG_WARN, "cannot accept %s for %s: no usable relay",
			    a->client_id, a->resource->id);
		pz_session_push(p, "no_relays", "{}");
		return;
	}
	if (rc < 0) {
		p->api->counter_add(p->ctx, p->cnt_rejected, 1);
		p->api->log(p->ctx, FZGW_LOG_WARN, "cannot authorize %s for %s: %s", a->client_id,
			    a->resource->id, strerror(-rc));
		return;
	}
	reply_ref(p, m->event == PZ_EV_AUTHORIZE_FLOW ? "flow_authorized" : "authorization_created",
		  a->ref);
}

static void on_resource_updated(struct portal *p, const struct fzgw_resource *r)
{
	int rc = pz_xlate_resource(&p->xlate, r);

	if (rc == -EINVAL) {
		p->api->counter_add(p->ctx, p->cnt_rejected, 1);
		p->api->log(p->ctx, FZGW_LOG_WARN,
			    "rejected a message resource_updated: type: resource %s cannot change "
			    "its type (the portal revokes and authorizes again for that)",
			    r->id);
	} else if (rc < 0) {
		p->api->log(p->ctx, FZGW_LOG_ERROR, "cannot update resource %s: %s", r->id,
			    strerror(-rc));
	}
}

static void dispatch(struct portal *p, const struct pz_msg *m)
{
	switch (m->event) {
	case PZ_EV_REPLY:
		on_reply(p, m);
		break;
	case PZ_EV_INIT:
		pz_xlate_init_msg(&p->xlate, &m->u.init);
		pz_health_init_applied(p);
		break;
	case PZ_EV_CREATE_AUTHORIZATION:
	case PZ_EV_AUTHORIZE_FLOW:
		on_create(p, m);
		break;
	case PZ_EV_ICE_CANDIDATES:
	case PZ_EV_INVALIDATE_ICE_CANDIDATES:
		if (m->u.ice.skipped) {
			p->api->counter_add(p->ctx, p->cnt_candidates_skipped, m->u.ice.skipped);
			p->api->log(p->ctx, FZGW_LOG_DEBUG, "%zu unreadable candidate(s) skipped",
				    m->u.ice.skipped);
		}
		pz_xlate_ice(&p->xlate, &m->u.ice, m->event == PZ_EV_INVALIDATE_ICE_CANDIDATES);
		break;
	case PZ_EV_REJECT_ACCESS:
		pz_xlate_reject(&p->xlate, m->u.reject.client_id, m->u.reject.resource_id);
		break;
	case PZ_EV_RELAYS_PRESENCE:
		pz_xlate_presence(&p->xlate, &m->u.presence);
		break;
	case PZ_EV_RESOURCE_UPDATED:
		on_resource_updated(p, m->u.resource);
		break;
	case PZ_EV_DISCONNECT:
		fatal(p, "the portal ended the session: token expired (get a new token)");
		break;
	case PZ_EV_PHX_CLOSE:
		pz_session_lost(p, "the portal closed the channel", 0, -1);
		break;
	case PZ_EV_EXPIRY_UPDATED:
	case PZ_EV_CONFIGURE_METRICS:
	case PZ_EV_PHX_ERROR:
		p->api->log(p->ctx, FZGW_LOG_DEBUG, "%s ignored", m->name);
		break;
	case PZ_EV_UNKNOWN:
	case PZ_EV_COUNT:
		p->api->log(p->ctx, FZGW_LOG_DEBUG, "unknown event \"%s\" on %s ignored", m->name,
			    m->topic);
		break;
	}
}

static void conn_text(void *user, const char *text, size_t len)
{
	struct portal *p = user;
	struct pz_err e = { .why = NULL };
	struct pz_msg m;
	int rc;

	if (p->stopped)
		return;
	rc = pz_msg_parse(text, len, &m, &e);
	if (rc < 0) {
		p->api->counter_add(p->ctx, p->cnt_rejected, 1);
		p->api->log(p->ctx, FZGW_LOG_WARN, "rejected a message%s%s: %s%s%s",
			    m.name[0] ? " " : "", m.name, e.field[0] ? e.field : "",
			    e.field[0] ? ": " : "", e.why ? e.why : strerror(-rc));
		return;
	}
	dispatch(p, &m);
	pz_msg_clear(&m);
}

/* ------------------------------------------------------------ connection */

static void conn_open(void *user)
{
	struct portal *p = user;

	p->api->log(p->ctx, FZGW_LOG_DEBUG, "WebSocket open to %s", p->conf.url.host);
	heartbeat_start(p);
	if (pz_chan_open(&p->chan) < 0)
		return; /* chan_send arranged the reconnect */
	p->t_join = p->api->timer_add(p->ctx, PZ_JOIN_TIMEOUT_MS, false, on_join_timer, p);
}

static void conn_end(void *user, const struct pz_end *e)
{
	struct portal *p = user;
	char why[600];

	if (e->kind == PZ_END_CLOSED && e->close_code)
		snprintf(why, sizeof(why), "%s (code %u)", e->detail, e->close_code);
	else
		snprintf(why, sizeof(why), "%s", e->detail);
	pz_session_lost(p, why, e->kind == PZ_END_HTTP ? e->status : 0, e->retry_after);
}

static const struct pz_conn_ops conn_ops = { conn_open, conn_text, conn_end };

static int64_t wall(void *user)
{
	struct portal *p = user;

	return p->api->wall_s(p->ctx);
}

void pz_session_connect(struct portal *p)
{
	struct pz_conn_params cp = { 0 };
	char target[2048], host[300], key[PZ_WS_KEY_LEN + 1];
	int n, rc;

	if (p->stopped || p->conn)
		return;
	p->attempt++;
	if (pz_url_target(target, sizeof(target), &p->conf.url, p->external_id, p->name,
			  p->public_key) < 0) {
		fatal(p, "the portal URL is too long");
		return;
	}
	pz_url_host_header(host, sizeof(host), &p->conf.url);
	pz_ws_key(key);
	pz_ws_accept(key, cp.accept);
	cp.request_len =
	    strlen(target) + strlen(host) + strlen(p->user_agent) + strlen(p->token) + 256;
	if (!(cp.request = sodium_malloc(cp.request_len))) {
		pz_session_lost(p, "out of memory", 0, -1);
		return;
	}
	n = pz_http_request(cp.request, cp.request_len, target, host, key, p->user_agent, p->token);
	if (n < 0) {
		sodium_free(cp.request);
		fatal(p, "the upgrade request does not fit");
		return;
	}
	cp.request_len = (size_t)n;
	cp.base = p->base;
	cp.dns = p->dns;
	cp.tls = p->conf.url.tls ? p->tls : NULL;
	cp.url = &p->conf.url;
	cp.wall_s = wall;
	p->api->log(p->ctx, FZGW_LOG_DEBUG, "connecting to %s port %u (attempt %u)",
		    p->conf.url.host, p->conf.url.port, p->attempt);
	if (!p->conf.url.tls)
		p->api->log_limited(p->ctx, FZGW_LOG_WARN,
				    "INSECURE: sending the portal token to %s port %u without TLS "
				    "(allow_insecure)", p->conf.url.host, p->conf.url.port);
	if ((rc = pz_conn_start(&p->conn, &cp, &conn_ops, p)) < 0) {
		p->conn = NULL;
		pz_session_lost(p, strerror(-rc), 0, -1);
	}
}

void pz_session_reset(struct portal *p)
{
	if (p->init_applied || p->chan.joined)
		pz_health_down(p, "disconnected from the portal, reconnecting");
	p->conn = pz_conn_free(p->conn);
	pz_chan_closed(&p->chan);
	timer_stop(p, &p->t_join);
	timer_stop(p, &p->t_heartbeat);
	timer_stop(p, &p->t_lost);
	timer_stop(p, &p->t_connect);
}

void pz_session_lost(struct portal *p, const char *why, int status, int64_t retry_after)
{
	uint64_t now = p->api->now_ms(p->ctx);
	int64_t delay;
	char msg[800];

	if (p->stopped)
		return;
	pz_session_reset(p);
	if (status == 401) {
		snprintf(msg, sizeof(msg), "the portal refused the token (%s)", why);
		fatal(p, msg);
		return;
	}
	if (!p->down_since_ms)
		p->down_since_ms = now;
	p->api->counter_add(p->ctx, p->cnt_reconnects, 1);
	if (!p->backoff_armed) {
		if (p->joined_once)
			pz_backoff_reconnect(&p->backoff, p->conf.partition_ms);
		else
			pz_backoff_initial(&p->backoff);
		p->backoff_armed = true;
	}
	if (status && retry_after >= 0) {
		/* the portal says when: that is the delay, the budget is not touched */
		delay = (retry_after > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : retry_after) * 1000;
	} else {
		delay =
		    pz_backoff_next(&p->backoff, now, (double)randombytes_random() / 4294967296.0);
		if (delay < 0) {
			snprintf(msg, sizeof(msg), "%s the portal for %.0f s; last error: %s",
				 p->joined_once ? "disconnected from" : "could not connect to",
				 (double)(now - p->backoff.start_ms) / 1000.0, why);
			fatal(p, msg);
			return;
		}
	}
	p->api->log(p->ctx, FZGW_LOG_INFO,
		    "portal connection %s: %s; reconnecting in %.3f s "
		    "(attempt %u, down %.3f s)",
		    p->joins ? "lost" : "failed", why, (double)delay / 1000.0, p->attempt + 1,
		    (double)(now - p->down_since_ms) / 1000.0);
	p->t_connect = p->api->timer_add(p->ctx, (uint32_t)delay, false, on_connect_timer, p);
}

/* ------------------------------------------------------------ setup */

int pz_session_setup(struct portal *p)
{
	char err[512], id[PZ_ID_MAX];
	int rc;

	if ((rc = pz_token_load(&p->token, err, sizeof(err))) < 0) {
		p->api->log(p->ctx, FZGW_LOG_ERROR, "%s", err);
		return rc;
	}
	if (p->conf.id[0]) {
		snprintf(id, sizeof(id), "%s", p->conf.id);
	} else if ((rc = pz_id_load(p->conf.id_file, p->conf.machine_id_file, id, sizeof(id), err,
				    sizeof(err))) < 0) {
		p->api->log(p->ctx, FZGW_LOG_ERROR, "%s", err);
		return rc;
	}
	if ((rc = pz_external_id(id, p->external_id, sizeof(p->external_id))) < 0) {
		p->api->log(p->ctx, FZGW_LOG_ERROR, "the gateway id is too long");
		return rc;
	}
	pz_name(p->conf.name, p->name, sizeof(p->name));
	pz_user_agent(p->conf.advertised_version, p->user_agent, sizeof(p->user_agent));
	if (p->conf.url.tls &&
	    (rc = pz_tls_ctx_new(&p->tls, p->conf.ca_file, err, sizeof(err))) < 0) {
		p->api->log(p->ctx, FZGW_LOG_ERROR, "%s", err);
		return rc;
	}
	if (!p->conf.url.host_is_ip &&
	    !(p->dns = evdns_base_new(p->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
					       EVDNS_BASE_DISABLE_WHEN_INACTIVE))) {
		p->api->log(p->ctx, FZGW_LOG_ERROR, "cannot create the DNS resolver");
		return -ENOMEM;
	}
	p->api->log(p->ctx, FZGW_LOG_INFO, "portal %s://%s:%u%s, name \"%s\", user agent \"%s\"",
		    p->conf.url.tls ? "wss" : "ws", p->conf.url.host, p->conf.url.port,
		    p->conf.url.path, p->name, p->user_agent);
	return 0;
}

void pz_session_init(struct portal *p)
{
	pz_chan_init(&p->chan, &chan_ops, p);
}

void pz_session_stop(struct portal *p)
{
	if (p->conn && p->chan.connected) {
		/* as the original at shutdown: a close frame with 1000, not a dropped socket */
		p->api->log(p->ctx, FZGW_LOG_INFO, "closing the portal connection");
		pz_conn_shutdown(p->conn, PZ_WS_NORMAL, PZ_CLOSE_WAIT_MS);
	}
	p->conn = pz_conn_free(p->conn);
	pz_chan_fini(&p->chan);
}

void pz_session_release(struct portal *p)
{
	if (p->dns)
		evdns_base_free(p->dns, 0);
	p->dns = NULL;
	if (p->tls)
		SSL_CTX_free(p->tls);
	p->tls = NULL;
	pz_token_free(p->token);
	p->token = NULL;
}
