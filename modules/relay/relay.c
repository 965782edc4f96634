/* SPDX-License-Identifier: Apache-2.0 */
/* The relay module: descriptor, settings, counters, life cycle and the bus. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "relay.h"

static const char *const counter_names[RL_C_COUNT] = {
	[RL_C_ALLOCATIONS] = "allocations",
	[RL_C_RELAYS] = "relays",
	[RL_C_CONNECTIONS] = "connections",
	[RL_C_PATHS_DIRECT] = "paths-direct",
	[RL_C_PATHS_RELAYED] = "paths-relayed",
	[RL_C_PATHS_P2P] = "paths-peer-to-peer",
	[RL_C_PATHS_P2R] = "paths-peer-to-relay",
	[RL_C_PATHS_R2P] = "paths-relay-to-peer",
	[RL_C_PATHS_R2R] = "paths-relay-to-relay",
	[RL_C_PATH_CHANGES] = "path-changes",
	[RL_C_ALLOC_LOST] = "allocations-lost",
	[RL_C_ALLOC_FAILED] = "allocations-failed",
	[RL_C_NO_RELAYS] = "no-relays",
	[RL_C_ACCEPT_REFUSED] = "accept-no-relay",
	[RL_C_CONN_FAILED] = "connections-failed",
	[RL_C_CHECKS_SENT] = "ice-sent",
	[RL_C_CHECKS_RECEIVED] = "ice-received",
	[RL_C_CHANNEL_BINDS] = "channel-binds",
	[RL_C_CHANNELS_BOUND] = "channels-bound",
	[RL_C_RELAYED_IN] = "relayed-in",
	[RL_C_CANDS_SIGNALLED] = "candidates-signalled",
	[RL_C_CANDS_WITHDRAWN] = "candidates-withdrawn",
	[RL_C_REMOTE_CANDS] = "remote-candidates",
	[RL_C_REMOTE_BAD] = "remote-candidates-invalid",
	[RL_C_STUN_UNKNOWN] = "stun-unknown",
	[RL_C_STUN_MALFORMED] = "stun-malformed",
	[RL_C_CD_UNKNOWN_RELAY] = "channeldata-unknown-relay",
	[RL_C_CD_UNKNOWN_CHANNEL] = "channeldata-unknown-channel",
	[RL_C_CD_MALFORMED] = "channeldata-malformed",
	[RL_C_TX_NO_CHANNEL] = "tx-relay-no-channel",
	[RL_C_TX_ERRORS] = "tx-errors",
};

struct rl_conf {
	char software[RL_SOFTWARE_MAX];
};

static const struct fzgw_key keys[] = {
	{ "software", FZGW_KEY_STRING, false, offsetof(struct rl_conf, software),
	  sizeof(((struct rl_conf *)0)->software), 0, 0 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

/* Gauges go down with a negative n: counters add modulo 2^64. */
void rl_count(struct relay_mod *m, enum rl_counter c, int64_t n)
{
	if (m->cnt[c] >= 0)
		m->api->counter_add(m->ctx, m->cnt[c], (uint64_t)n);
	if (c <= RL_C_PATHS_R2R)
		rl_gauge_add(m, c, n);
}

static int parse_conf(struct fzgw_ctx *ctx, const struct fzgw_api *api,
		      const struct fzgw_settings *s, struct rl_conf *c)
{
	const struct fzgw_settings *sw;
	int rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->software, sizeof(c->software), "snownet"); /* the original's SOFTWARE */
	if (!s)
		return 0;
	if ((rc = api->settings_parse(ctx, s, keys, c)) < 0)
		return rc;
	sw = api->settings_child(s, "software");
	for (const char *p = c->software; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return api->settings_error(ctx, sw ? sw : s,
						   "software must be printable ASCII");
	if (sw && !c->software[0])
		return api->settings_error(ctx, sw, "software must not be empty");
	return 0;
}

static void on_relays(void *state, const struct fzgw_event *ev)
{
	if (ev->size >= sizeof(struct fzgw_ev_relays))
		rl_relays_changed(state, ev->data);
}

static void on_ice(void *state, const struct fzgw_event *ev)
{
	if (ev->size >= sizeof(struct fzgw_ev_ice))
		rl_remote_candidates(state, ev->data);
}

static void on_revoked(void *state, const struct fzgw_event *ev)
{
	const struct fzgw_ev_revoke *r = ev->data;

	if (ev->size >= sizeof(*r) && !r->resource_id[0])
		rl_conn_drop(state, r->client_id, "access revoked");
}

static void on_peer_removed(void *state, const struct fzgw_event *ev)
{
	const struct fzgw_ev_peer *p = ev->data;

	if (ev->size >= sizeof(*p))
		rl_conn_drop(state, p->client_id, "peer removed");
}

static void on_state_dump(void *state, const struct fzgw_event *ev)
{
	(void)ev;
	rl_state_dump(state);
}

static void relay_fini(void *state)
{
	struct relay_mod *m = state;

	if (!m)
		return;
	rl_conns_free(m);
	rl_relays_free(m);
	sodium_memzero(m, sizeof(*m));
	free(m);
}

static int relay_init(struct fzgw_ctx *ctx, const struct fzgw_api *api,
		      const struct fzgw_settings *settings, void **state)
{
	struct relay_mod *m;
	struct rl_conf conf;
	int rc;

	if (api->struct_size < offsetof(struct fzgw_api, udp_input) + sizeof(api->udp_input)) {
		api->log(ctx, FZGW_LOG_ERROR, "the core lacks the UDP/path services (ABI 2.0)");
		return -ENOTSUP;
	}
	if ((rc = parse_conf(ctx, api, settings, &conf)) < 0)
		return rc;
	if (sodium_init() < 0)
		return -EIO;
	if (!(m = calloc(1, sizeof(*m))))
		return -ENOMEM;
	m->ctx = ctx;
	m->api = api;
	m->timer_at = UINT64_MAX;
	memcpy(m->software, conf.software, sizeof(m->software));
	randombytes_buf(&m->next_tag, sizeof(m->next_tag));
	for (int i = 0; i < RL_C_COUNT; i++)
		m->cnt[i] = api->counter_register(ctx, counter_names[i]);
	rl_gauges_init(m);
	for (int i = 0; i < RL_MAX_RELAYS; i++)
		m->relays[i].slot = (uint8_t)i;
	if (api->check_only(ctx)) {
		*state = m;
		return 0;
	}
	m->svc.version = RELAY_SERVICE_VERSION;
	m->svc.struct_size = sizeof(m->svc);
	m->svc.self = m;
	m->svc.accept = rl_accept;
	if ((rc = api->udp_claim(ctx, FZGW_UDP_STUN, rl_on_stun)) < 0 ||
	    (rc = api->udp_claim(ctx, FZGW_UDP_CHANNELDATA, rl_on_channeldata)) < 0) {
		api->log(ctx, FZGW_LOG_ERROR, "cannot claim STUN/ChannelData: %s", strerror(-rc));
		relay_fini(m);
		return rc;
	}
	if ((rc = api->service_register(ctx, RELAY_SERVICE_NAME, &m->svc)) < 0) {
		relay_fini(m);
		return rc;
	}
	api->log(ctx, FZGW_LOG_INFO, "relay: TURN client and ICE agent ready (SOFTWARE \"%s\")",
		 m->software);
	*state = m;
	return 0;
}

static int relay_reload(void *state, const struct fzgw_settings *settings)
{
	struct relay_mod *m = state;
	struct rl_conf conf;
	int rc;

	if ((rc = parse_conf(m->ctx, m->api, settings, &conf)) < 0)
		return rc;
	/* applies to allocations made from now on */
	memcpy(m->software, conf.software, sizeof(m->software));
	return 0;
}

FZGW_MODULE_DEFINE = {
	FZGW_MODULE_HEADER,
	.name = "relay",
	.version = "1.0",
	.init = relay_init,
	.reload = relay_reload,
	.fini = relay_fini,
	.subs = {
		{ FZGW_EV_RELAYS_CHANGED, on_relays },
		{ FZGW_EV_ICE_CANDIDATES, on_ice },
		{ FZGW_EV_ACCESS_REVOKED, on_revoked },
		{ FZGW_EV_PEER_REMOVED, on_peer_removed },
		{ FZGW_EV_STATE_DUMP, on_state_dump },
	},
};
