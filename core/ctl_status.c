/* SPDX-License-Identifier: Apache-2.0 */
/* `firezone-gateway status`: the gateway, its clients with their grants, the counters, as JSON. */
#include "ctl_status.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ctl_proto.h"
#include "daemon.h"
#include "dp_status.h"
#include "grants.h"

struct build {
	json_t *clients;
	const struct fzgw_grants *g;
	int64_t now;
};

static json_t *key_json(const uint8_t key[32])
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof(b64), key, 32, sodium_base64_VARIANT_ORIGINAL);
	return json_string(b64);
}

static json_t *addr_json(const struct fzgw_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if ((a->family != 4 && a->family != 6) ||
	    !inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, buf, sizeof(buf)))
		return json_null();
	return json_string(buf);
}

/* "198.51.100.2:51820" or "[2001:db8::1]:51820" */
static json_t *ep_json(const struct fzgw_wg_endpoint *ep)
{
	char a[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN + 8];

	if (ep->sa.sa_family == AF_INET && inet_ntop(AF_INET, &ep->in4.sin_addr, a, sizeof(a)))
		snprintf(s, sizeof(s), "%s:%u", a, ntohs(ep->in4.sin_port));
	else if (ep->sa.sa_family == AF_INET6 && inet_ntop(AF_INET6, &ep->in6.sin6_addr, a, sizeof(a)))
		snprintf(s, sizeof(s), "[%s]:%u", a, ntohs(ep->in6.sin6_port));
	else
		return json_null();
	return json_string(s);
}

static void set_u(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

static json_t *grants_json(const struct build *b, const char *client_id)
{
	json_t *arr = json_array();
	size_t n;
	const struct fzgw_grant *gr = fzgw_grants_of(b->g, client_id, &n);

	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = json_object();

		if (!o)
			break;
		json_object_set_new(o, "resource_id", json_string(gr[i].resource_id));
		json_object_set_new(o, "address", gr[i].address[0] ? json_string(gr[i].address) : json_null());
		json_object_set_new(o, "expires_at", json_integer(gr[i].expires_at));
		json_object_set_new(o, "expires_in_s",
				    gr[i].expires_at ? json_integer(gr[i].expires_at - b->now) : json_null());
		json_array_append_new(arr, o);
	}
	return arr;
}

static void add_client(void *arg, const struct dp_peer_status *st)
{
	struct build *b = arg;
	json_t *o = json_object();
	const char *path = "none";
	const struct fzgw_wg_endpoint *ep = st->has_endpoint ? &st->endpoint : NULL;
	const struct fzgw_wg_endpoint *relay = NULL;

	if (!o)
		return;
	switch (st->path) {
	case FZGW_PATH_PENDING:
		path = "pending";
		break;
	case FZGW_PATH_DIRECT:
		path = "direct";
		ep = &st->path_ep;
		break;
	case FZGW_PATH_RELAY:
		path = "relayed";
		ep = relay = &st->path_ep;
		break;
	default:
		if (ep) {
			path = ep->channel ? "relayed" : "direct";
			relay = ep->channel ? ep : NULL;
		}
	}
	json_object_set_new(o, "id", json_string(st->info->client_id));
	json_object_set_new(o, "public_key", key_json(st->public_key));
	json_object_set_new(o, "ipv4", addr_json(&st->info->ipv4));
	json_object_set_new(o, "ipv6", addr_json(&st->info->ipv6));
	json_object_set_new(o, "endpoint", ep ? ep_json(ep) : json_null());
	json_object_set_new(o, "path", json_string(path));
	json_object_set_new(o, "relay", relay ? ep_json(relay) : json_null());
	json_object_set_new(o, "channel", relay ? json_integer(relay->channel) : json_null());
	json_object_set_new(o, "session", json_boolean(st->has_session));
	json_object_set_new(o, "latest_handshake", json_integer(st->wg.last_handshake.tv_sec));
	json_object_set_new(o, "latest_handshake_age_s",
			    st->wg.last_handshake.tv_sec ?
				    json_integer(b->now - st->wg.last_handshake.tv_sec) : json_null());
	set_u(o, "rx_bytes", st->wg.rx_bytes);
	set_u(o, "tx_bytes", st->wg.tx_bytes);
	set_u(o, "rx_packets", st->wg.rx_packets);
	set_u(o, "tx_packets", st->wg.tx_packets);
	set_u(o, "handshakes", st->wg.handshakes_completed);
	set_u(o, "staged", st->staged);
	set_u(o, "pending", st->pending);
	json_object_set_new(o, "grants", grants_json(b, st->info->client_id));
	json_array_append_new(b->clients, o);
}

static json_t *counters_json(const struct fzgw_counters *cs)
{
	json_t *o = json_object();

	for (int i = 0; o && i < cs->n; i++)
		set_u(o, cs->c[i].name, cs->c[i].v);
	return o;
}

static json_t *wg_json(const struct dp_gw_status *gs)
{
	const struct fzgw_wg_stats *s = &gs->wg;
	json_t *o = json_object();

	if (!o)
		return NULL;
	set_u(o, "peers", gs->n_peers);
	set_u(o, "rx_data", s->rx_data_packets);
	set_u(o, "tx_data", s->tx_data_packets);
	set_u(o, "handshakes", s->handshakes_completed);
	set_u(o, "initiations_sent", s->initiations_sent);
	set_u(o, "responses_sent", s->responses_sent);
	set_u(o, "cookies_sent", s->cookies_sent);
	set_u(o, "x25519", s->x25519_ops);
	set_u(o, "buffers_in_use", gs->buffers_in_use);
	for (int r = 1; r < FZGW_WG_DROP_COUNT; r++)
		if (s->drops[r]) {
			char k[64];

			snprintf(k, sizeof(k), "drop.%s", fzgw_wg_drop_name(r));
			set_u(o, k, s->drops[r]);
		}
	return o;
}

/* Each hook's verdicts and drop reasons (what SIGUSR1 logs as "stats PHASE MODULE/HOOK"). */
static json_t *hooks_json(const struct fzgw_chains *ch)
{
	static const char *const vname[4] = { "continue", "accept", "drop", "stolen" };
	json_t *arr = json_array();

	for (int p = 0; arr && p < FZGW_PHASE_COUNT; p++)
		for (int i = 0; i < ch->phase[p].n; i++) {
			const struct fzgw_chain_entry *e = &ch->phase[p].e[i];
			json_t *o = json_object(), *drops = json_object();

			if (!o || !drops) {
				json_decref(o);
				json_decref(drops);
				continue;
			}
			json_object_set_new(o, "phase", json_string(fzgw_phase_name(p)));
			json_object_set_new(o, "module", json_string(e->ctx->name));
			json_object_set_new(o, "hook", json_string(e->name ? e->name : "?"));
			for (int v = 0; v < 4; v++)
				set_u(o, vname[v], e->verdicts[v]);
			for (int r = 0; r < FZGW_CHAIN_REASONS && e->drops[r].reason; r++)
				set_u(drops, e->drops[r].reason, e->drops[r].n);
			json_object_set_new(o, "drops", drops);
			json_array_append_new(arr, o);
		}
	return arr;
}

/* What modules said about readiness (api->ready_set): the portal's "joined", ... */
static json_t *readiness_json(struct fzgw_core *core)
{
	json_t *o = json_object();

	for (int i = 0; o && i < core->n_mods; i++) {
		const struct fzgw_readiness *r = &core->mods[i]->readiness;

		if (r->gates)
			json_object_set_new(o, core->mods[i]->name,
					    json_pack("{s:b, s:s}", "ready", r->ready, "status", r->status));
	}
	return o;
}

/* Each module's gauges (api->gauge_set): name -> value. */
static json_t *gauges_json(struct fzgw_core *core)
{
	json_t *o = json_object();

	for (int i = 0; o && i < core->n_mods; i++) {
		const struct fzgw_gauges *gs = &core->mods[i]->gauges;
		json_t *m;

		if (!gs->n || !(m = json_object()))
			continue;
		for (int k = 0; k < gs->n; k++)
			json_object_set_new(m, gs->g[k].name, json_integer(gs->g[k].v));
		json_object_set_new(o, core->mods[i]->name, m);
	}
	return o;
}

json_t *fzgw_ctl_status_json(struct fzgw_daemon *d, const struct fzgw_grants *g, int64_t started_wall)
{
	struct build b = { .g = g, .now = d->core.wall_s ? d->core.wall_s() : fzgw_clock_wall_s() };
	json_t *root = json_object(), *gw = json_object(), *cnt = json_object(), *mods = json_object();
	struct dp_gw_status gs;

	b.clients = json_array();
	if (!root || !gw || !cnt || !mods || !b.clients) {
		json_decref(root);
		json_decref(gw);
		json_decref(cnt);
		json_decref(mods);
		json_decref(b.clients);
		return NULL;
	}
	dp_status_gateway(d->dp, &gs);
	json_object_set_new(root, "v", json_integer(FZGW_CTL_VERSION));
	json_object_set_new(root, "ok", json_true());
	json_object_set_new(gw, "version", json_string(FZGW_VERSION));
	json_object_set_new(gw, "site", json_string(d->cfg ? d->cfg->site : ""));
	json_object_set_new(gw, "public_key", d->dp ? key_json(gs.public_key) : json_null());
	set_u(gw, "listen_port", gs.listen_port);
	json_object_set_new(gw, "interface", json_string(gs.tun_name));
	json_object_set_new(gw, "started_at", json_integer(started_wall));
	json_object_set_new(gw, "uptime_s", json_integer(b.now - started_wall));
	set_u(gw, "clients", gs.n_peers);
	json_object_set_new(gw, "modules", json_array());
	for (int i = 0; i < d->core.n_mods; i++)
		json_array_append_new(json_object_get(gw, "modules"), json_string(d->core.mods[i]->name));
	json_object_set_new(gw, "readiness", readiness_json(&d->core));
	json_object_set_new(root, "gateway", gw);
	dp_status_each(d->dp, add_client, &b);
	json_object_set_new(root, "clients", b.clients);
	json_object_set_new(cnt, "core", counters_json(&d->core.counters));
	json_object_set_new(cnt, "wg", wg_json(&gs));
	for (int i = 0; i < d->core.n_mods; i++)
		json_object_set_new(mods, d->core.mods[i]->name, counters_json(&d->core.mods[i]->counters));
	json_object_set_new(cnt, "modules", mods);
	json_object_set_new(cnt, "gauges", gauges_json(&d->core));
	json_object_set_new(cnt, "hooks", hooks_json(&d->core.chains));
	json_object_set_new(root, "counters", cnt);
	return root;
}
