/* SPDX-License-Identifier: Apache-2.0 */
/* The nat module: DNS-resource NAT and the in-tunnel control messages that set it up. */
#include <errno.h>
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "nat.h"

static const char *const counter_names[NAT_CNT_COUNT] = {
	[NAT_CNT_ASSIGNED] = "assigned-ips",
	[NAT_CNT_GOODBYE_IN] = "goodbye-received",
	[NAT_CNT_UNEXPECTED] = "control-unexpected",
	[NAT_CNT_ACTIVE] = "status-active",
	[NAT_CNT_ACTIVE_EMPTY] = "status-active-no-address",
	[NAT_CNT_INACTIVE] = "status-inactive",
	[NAT_CNT_UNAUTHORIZED] = "unauthorized",
	[NAT_CNT_RESETS] = "nat-resets",
	[NAT_CNT_DOMAINS_FULL] = "domains-full",
	[NAT_CNT_DNS_MISSING] = "dns-missing",
	[NAT_CNT_DNS_REFUSED] = "dns-refused",
	[NAT_CNT_SESSIONS] = "sessions-created",
	[NAT_CNT_EXPIRED] = "sessions-expired",
	[NAT_CNT_TABLE_FULL] = "table-full",
	[NAT_CNT_CLIENT_FULL] = "client-table-full",
	[NAT_CNT_EXHAUSTED] = "ports-exhausted",
	[NAT_CNT_HELD] = "held",
	[NAT_CNT_HELD_FULL] = "held-full",
	[NAT_CNT_ICMP_XLAT] = "icmp-errors-translated",
	[NAT_CNT_NO_BUFFER] = "no-buffer",
	[NAT_CNT_PUBLISHED] = "proxy-ips-published",
	[NAT_CNT_DEST_REFUSED] = "destinations-refused",
	[NAT_CNT_CONTROL_LIMITED] = "control-rate-limited",
	[NAT_CNT_LOOKUPS_FULL] = "lookups-client-full",
};

#define DAY 86400

static const struct fzgw_key keys[] = {
	{ "tcp_timeout", FZGW_KEY_INT, false, offsetof(struct nat_conf, tcp_timeout), 0, 1, DAY },
	{ "udp_timeout", FZGW_KEY_INT, false, offsetof(struct nat_conf, udp_timeout), 0, 1, DAY },
	{ "icmp_timeout", FZGW_KEY_INT, false, offsetof(struct nat_conf, icmp_timeout), 0, 1, DAY },
	{ "unconfirmed_timeout", FZGW_KEY_INT, false,
	  offsetof(struct nat_conf, unconfirmed_timeout), 0, 1, DAY },
	{ "fin_timeout", FZGW_KEY_INT, false, offsetof(struct nat_conf, fin_timeout), 0, 1, DAY },
	{ "max_entries", FZGW_KEY_INT, false, offsetof(struct nat_conf, max_entries), 0, 1,
	  4194304 },
	{ "max_client_entries", FZGW_KEY_INT, false, offsetof(struct nat_conf, max_client_entries),
	  0, 1, 4194304 },
	{ "max_expired", FZGW_KEY_INT, false, offsetof(struct nat_conf, max_expired), 0, 0,
	  4194304 },
	{ "max_domains", FZGW_KEY_INT, false, offsetof(struct nat_conf, max_domains), 0, 1, 4096 },
	{ "max_pending", FZGW_KEY_INT, false, offsetof(struct nat_conf, max_pending), 0, 0, 4096 },
	{ "max_pending_total", FZGW_KEY_INT, false, offsetof(struct nat_conf, max_pending_total), 0,
	  0, 1048576 },
	{ "pending_timeout", FZGW_KEY_INT, false, offsetof(struct nat_conf, pending_timeout), 0, 1,
	  600 },
	{ "control_rate", FZGW_KEY_INT, false, offsetof(struct nat_conf, control_rate), 0, 1,
	  100000 },
	{ "control_burst", FZGW_KEY_INT, false, offsetof(struct nat_conf, control_burst), 0, 1,
	  100000 },
	{ "max_lookups", FZGW_KEY_INT, false, offsetof(struct nat_conf, max_lookups), 0, 1, 65536 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

void nat_count(struct nat_state *st, enum nat_counter c, uint64_t n)
{
	if (st->cnt[c] >= 0)
		st->api->counter_add(st->ctx, st->cnt[c], n);
}

static int parse_conf(struct nat_state *st, const struct fzgw_settings *s, struct nat_conf *c)
{
	memset(c, 0, sizeof(*c));
	/* the original's timeouts: TCP 2 h 4 min (RFC 5382 REQ-5), UDP and ICMP 2 min */
	c->tcp_timeout = 2 * 3600 + 4 * 60;
	c->udp_timeout = 120;
	c->icmp_timeout = 120;
	c->unconfirmed_timeout = 60;
	c->fin_timeout = 5;
	c->max_entries = 65536;
	c->max_client_entries = 4096;
	c->max_expired = 65536;
	c->max_domains = 256;
	c->max_pending = 32;
	c->max_pending_total = 1024; /* a quarter of the core's pool, which stages another quarter */
	c->pending_timeout = 15;
	c->control_rate = 50;
	c->control_burst = 200;
	c->max_lookups = 32; /* of the dns module's 1000 by default */
	return st->api->settings_parse(st->ctx, s, keys, c);
}

static void table_params(const struct nat_conf *c, struct nat_limits *lim, struct nat_timeouts *to)
{
	lim->max_entries = (uint32_t)c->max_entries;
	lim->max_client_entries = (uint32_t)c->max_client_entries;
	lim->max_expired = (uint32_t)c->max_expired;
	to->tcp = (uint64_t)c->tcp_timeout * 1000;
	to->udp = (uint64_t)c->udp_timeout * 1000;
	to->icmp = (uint64_t)c->icmp_timeout * 1000;
	to->unconfirmed = (uint64_t)c->unconfirmed_timeout * 1000;
	to->fin = (uint64_t)c->fin_timeout * 1000;
}

static void on_tick(void *arg)
{
	struct nat_state *st = arg;
	uint64_t now = st->api->now_ms(st->ctx);

	nat_count(st, NAT_CNT_EXPIRED, nat_table_expire(&st->table, now));
	nat_domains_tick(st, now);
	nat_gauges_update(st);
}

static void nat_fini(void *state)
{
	struct nat_state *st = state;

	if (!st)
		return;
	nat_clients_free(st); /* cancels lookups, frees held packets */
	nat_table_fini(&st->table);
	free(st->cb);
	free(st);
}

static int nat_init(struct fzgw_ctx *ctx, const struct fzgw_api *api,
		    const struct fzgw_settings *settings, void **state)
{
	struct nat_limits lim;
	struct nat_timeouts to;
	struct nat_state *st;
	uint32_t seed = 0;
	int rc;

	if (!(st = calloc(1, sizeof(*st))))
		return -ENOMEM;
	st->ctx = ctx;
	st->api = api;
	if ((rc = parse_conf(st, settings, &st->conf)) < 0) {
		free(st);
		return rc;
	}
	/* libsodium's generator blocks until the kernel's is ready: never a guessable fallback */
	if (sodium_init() < 0) {
		free(st);
		return -EIO;
	}
	randombytes_buf(&seed, sizeof(seed));
	table_params(&st->conf, &lim, &to);
	st->cmask = 1023;
	if (!(st->cb = calloc(st->cmask + 1, sizeof(*st->cb))) ||
	    (rc = nat_table_init(&st->table, &lim, &to, seed)) < 0) {
		free(st->cb);
		free(st);
		return -ENOMEM;
	}
	for (int i = 0; i < NAT_CNT_COUNT; i++)
		st->cnt[i] = api->counter_register(ctx, counter_names[i]);
	for (int i = 1; i < P2P_ERR_COUNT; i++)
		st->cnt_bad[i] = api->counter_register(ctx, p2p_error_name(i));
	nat_gauges_init(st);
	if (!api->check_only(ctx) &&
	    !(st->tick = api->timer_add(ctx, NAT_TICK_MS, true, on_tick, st))) {
		nat_fini(st);
		return -ENOMEM;
	}
	*state = st;
	return 0;
}

/* New timeouts apply to every session at once; new caps to what comes next. */
static int nat_reload(void *state, const struct fzgw_settings *settings)
{
	struct nat_state *st = state;
	struct nat_limits lim;
	struct nat_timeouts to;
	struct nat_conf c;
	int rc;

	if ((rc = parse_conf(st, settings, &c)) < 0)
		return rc;
	st->conf = c;
	table_params(&c, &lim, &to);
	nat_table_configure(&st->table, &lim, &to);
	return 0;
}

FZGW_MODULE_DEFINE = {
	FZGW_MODULE_HEADER,
	.name = "nat",
	.version = "1.0",
	.init = nat_init,
	.reload = nat_reload,
	.fini = nat_fini,
	.hooks = {
		/* control messages never reach the policy */
		{ FZGW_PHASE_IN_PARSE, 10, nat_hook_control, "p2p-control", NULL },
		{ FZGW_PHASE_IN_NAT, 100, nat_hook_in, "dns-nat", NULL },
		{ FZGW_PHASE_OUT_NAT, 100, nat_hook_out, "dns-nat-reverse", NULL },
	},
	.subs = {
		{ FZGW_EV_PEER_AUTHORIZED, nat_on_authorized },
		{ FZGW_EV_ACCESS_REVOKED, nat_on_revoked },
		{ FZGW_EV_RESOURCE_UPDATED, nat_on_resource },
		{ FZGW_EV_PEER_REMOVED, nat_on_peer_removed },
	},
};
