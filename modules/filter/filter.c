/* SPDX-License-Identifier: Apache-2.0 */
/* The filter module: zero-trust policy for both directions of the data path, default deny. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "filter.h"

struct filter_settings {
	int64_t icmp_rate;
	bool deny_log;
};

static const struct fzgw_key filter_keys[] = {
	{ "icmp_rate", FZGW_KEY_INT, false, offsetof(struct filter_settings, icmp_rate), 0, 0,
	  100000 },
	{ "deny_log", FZGW_KEY_BOOL, false, offsetof(struct filter_settings, deny_log), 0, 0, 0 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

static int read_settings(struct fzgw_ctx *ctx, const struct fzgw_api *api,
			 const struct fzgw_settings *s, struct filter_settings *out)
{
	out->icmp_rate = 10;
	out->deny_log = false;
	return api->settings_parse(ctx, s, filter_keys, out);
}

/* Expiry, and the cache figures into the counters (not per packet: SIGUSR1 may lag by 1 s). */
static void on_tick(void *arg)
{
	struct filter_state *st = arg;

	st->api->counter_add(st->ctx, st->cnt_cache_hits, st->cache_hits - st->cache_hits_told);
	st->api->counter_add(st->ctx, st->cnt_cache_misses,
			     st->cache_misses - st->cache_misses_told);
	st->cache_hits_told = st->cache_hits;
	st->cache_misses_told = st->cache_misses;
	filter_expire(st, st->api->wall_s(st->ctx));
}

static void filter_fini(void *state)
{
	struct filter_state *st = state;

	if (!st)
		return;
	filter_policy_free(st);
	filter_htab_free(&st->clients);
	filter_htab_free(&st->resources);
	filter_cache_free(st);
	free(st);
}

static int filter_init(struct fzgw_ctx *ctx, const struct fzgw_api *api,
		       const struct fzgw_settings *settings, void **state)
{
	struct filter_settings set;
	struct filter_state *st;
	int rc;

	if ((rc = read_settings(ctx, api, settings, &set)) < 0)
		return rc;
	if (!(st = calloc(1, sizeof(*st))))
		return -ENOMEM;
	st->ctx = ctx;
	st->api = api;
	st->gen = 1;
	st->icmp_rate = (uint32_t)set.icmp_rate;
	st->deny_log = set.deny_log;
	if ((rc = filter_htab_init(&st->clients, 64)) < 0 ||
	    (rc = filter_htab_init(&st->resources, 64)) < 0 || (rc = filter_cache_init(st)) < 0)
		goto err;
	filter_counters_register(st);
	if (!api->check_only(ctx) && !(st->tick = api->timer_add(ctx, 1000, true, on_tick, st))) {
		api->log(ctx, FZGW_LOG_ERROR, "cannot add the expiry timer");
		rc = -ENOMEM;
		goto err;
	}
	*state = st;
	return 0;
err:
	filter_fini(st);
	return rc;
}

static int filter_reload(void *state, const struct fzgw_settings *settings)
{
	struct filter_state *st = state;
	struct filter_settings set;
	int rc;

	if ((rc = read_settings(st->ctx, st->api, settings, &set)) < 0)
		return rc;
	st->icmp_rate = (uint32_t)set.icmp_rate;
	st->deny_log = set.deny_log;
	return 0;
}

FZGW_MODULE_DEFINE = {
	FZGW_MODULE_HEADER,
	.name = "filter",
	.version = "1.0",
	.init = filter_init,
	.reload = filter_reload,
	.fini = filter_fini,
	.hooks = {
		{ FZGW_PHASE_IN_FILTER, 100, filter_hook_in, "policy-in", NULL },
		{ FZGW_PHASE_OUT_FILTER, 100, filter_hook_out, "policy-out", NULL },
	},
	.subs = {
		{ FZGW_EV_IFACE_CONFIG, filter_on_iface },
		{ FZGW_EV_PEER_AUTHORIZED, filter_on_authorized },
		{ FZGW_EV_ACCESS_REVOKED, filter_on_revoked },
		{ FZGW_EV_RESOURCE_UPDATED, filter_on_resource },
		{ FZGW_EV_PEER_REMOVED, filter_on_peer_removed },
		{ FZGW_EV_PROXY_IPS, filter_on_proxy_ips },
	},
};
