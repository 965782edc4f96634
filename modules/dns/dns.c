/* SPDX-License-Identifier: Apache-2.0 */
/* The dns module: settings, the evdns resolver on the core's loop, the "dns.resolve" service. */
#include <errno.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <dnsname/pattern.h>

#include "dns.h"

static const char *const counter_names[DNS_CNT_COUNT] = {
	[DNS_CNT_LOOKUPS] = "lookups",
	[DNS_CNT_ANSWERED] = "answered",
	[DNS_CNT_EMPTY] = "no-address",
	[DNS_CNT_TIMEOUTS] = "timeouts",
	[DNS_CNT_REFUSED] = "refused-in-flight-cap",
	[DNS_CNT_HOSTS] = "hosts-file",
	[DNS_CNT_CANCELLED] = "cancelled",
};

static const struct fzgw_key keys[] = {
	{ "upstreams", FZGW_KEY_LIST, false, 0, 0, 0, 0 },
	{ "resolv_conf", FZGW_KEY_STRING, false, offsetof(struct dns_conf, resolv_conf),
	  DNS_PATH_MAX, 0, 0 },
	{ "hosts_file", FZGW_KEY_STRING, false, offsetof(struct dns_conf, hosts_file), DNS_PATH_MAX,
	  0, 0 },
	{ "timeout", FZGW_KEY_INT, false, offsetof(struct dns_conf, timeout), 0, 1, 60 },
	{ "max_inflight", FZGW_KEY_INT, false, offsetof(struct dns_conf, max_inflight), 0, 1,
	  100000 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

static int parse_conf(struct dns_state *st, const struct fzgw_settings *s, struct dns_conf *c)
{
	const struct fzgw_api *api = st->api;
	const struct fzgw_settings *list;
	int rc, n;

	memset(c, 0, sizeof(*c));
	snprintf(c->resolv_conf, sizeof(c->resolv_conf), "/etc/resolv.conf");
	snprintf(c->hosts_file, sizeof(c->hosts_file), "/etc/hosts");
	c->timeout = 10;
	c->max_inflight = 1000;
	if ((rc = api->settings_parse(st->ctx, s, keys, c)) < 0)
		return rc;
	if (!(list = api->settings_child(s, "upstreams")))
		return 0;
	if ((n = api->settings_count(list)) > DNS_MAX_UPSTREAMS)
		return api->settings_error(st->ctx, list, "at most %d upstreams",
					   DNS_MAX_UPSTREAMS);
	for (int i = 0; i < n; i++) {
		const struct fzgw_settings *e = api->settings_elem(list, i);
		const char *v = api->settings_string(e);
		struct sockaddr_storage ss;
		int len = (int)sizeof(ss);

		if (!v || strlen(v) >= sizeof(c->upstreams[0]) ||
		    evutil_parse_sockaddr_port(v, (struct sockaddr *)&ss, &len) != 0)
			return api->settings_error(
			    st->ctx, e ? e : list,
			    "bad upstream (\"IP\", \"IP:PORT\" or \"[IPv6]:PORT\")");
		snprintf(c->upstreams[c->n_upstreams++], sizeof(c->upstreams[0]), "%s", v);
	}
	return 0;
}

static void set_option(struct dns_state *st, const char *opt, const char *val)
{
	if (evdns_base_set_option(st->evdns, opt, val) != 0)
		st->api->log(st->ctx, FZGW_LOG_WARN, "evdns refused option %s %s", opt, val);
}

/* The resolver on the core's loop, with the nameservers of the settings or of resolv.conf. */
static int start_evdns(struct dns_state *st)
{
	const struct dns_conf *c = &st->conf;
	char val[32];
	int rc;

	if (!(st->evdns = evdns_base_new(st->base, EVDNS_BASE_DISABLE_WHEN_INACTIVE)))
		return -ENOMEM;
	if (c->n_upstreams) {
		for (int i = 0; i < c->n_upstreams; i++)
			if (evdns_base_nameserver_ip_add(st->evdns, c->upstreams[i]) != 0)
				st->api->log(st->ctx, FZGW_LOG_WARN, "cannot use upstream %s",
					     c->upstreams[i]);
	} else {
		rc = evdns_base_resolv_conf_parse(
		    st->evdns, DNS_OPTION_NAMESERVERS | DNS_OPTION_NAMESERVERS_NO_DEFAULT,
		    c->resolv_conf);
		if (rc != 0)
			st->api->log(st->ctx, FZGW_LOG_WARN,
				     "%s: %s; DNS resources stay inactive until a restart",
				     c->resolv_conf,
				     rc == 6 ? "no nameserver listed" : "cannot be read");
	}
	/* each try a quarter of the whole: evdns gives up about when the lookup times out */
	snprintf(val, sizeof(val), "%.2f", (double)c->timeout / 4);
	set_option(st, "timeout:", val);
	set_option(st, "attempts:", "3");
	/* every lookup is sent at once: none waits in evdns's queue without a timeout */
	snprintf(val, sizeof(val), "%lld", (long long)(2 * c->max_inflight + 16));
	set_option(st, "max-inflight:", val);
	st->api->log(st->ctx, FZGW_LOG_INFO,
		     "%d nameserver(s) from %s, hosts from %s, timeout %llds",
		     evdns_base_count_nameservers(st->evdns),
		     c->n_upstreams ? "the settings" : c->resolv_conf,
		     c->hosts_file[0] ? c->hosts_file : "nowhere", (long long)c->timeout);
	return 0;
}

static void load_hosts(struct dns_state *st)
{
	int rc;

	if (!st->conf.hosts_file[0])
		return;
	if ((rc = dns_hosts_load(&st->hosts, st->conf.hosts_file)) < 0)
		st->api->log(st->ctx, FZGW_LOG_WARN, "%s: %s; carrying on without it",
			     st->conf.hosts_file, strerror(-rc));
}

static void dns_fini(void *state)
{
	struct dns_state *st = state;

	if (!st)
		return;
	dns_resolver_stop(st); /* frees the evdns base */
	dns_hosts_free(&st->hosts);
	free(st);
}

static int dns_init(struct fzgw_ctx *ctx, const struct fzgw_api *api,
		    const struct fzgw_settings *settings, void **state)
{
	struct dns_state *st;
	int rc;

	if (!(st = calloc(1, sizeof(*st))))
		return -ENOMEM;
	st->ctx = ctx;
	st->api = api;
	if ((rc = parse_conf(st, settings, &st->conf)) < 0)
		goto err;
	for (int i = 0; i < DNS_CNT_COUNT; i++)
		st->cnt[i] = api->counter_register(ctx, counter_names[i]);
	dns_gauge_init(st);
	st->svc.version = DNS_SERVICE_VERSION;
	st->svc.struct_size = sizeof(st->svc);
	st->svc.self = st;
	st->svc.resolve = dns_resolve;
	st->svc.cancel = dns_cancel;
	st->svc.match = dns_pattern_match;
	if (!api->check_only(ctx)) {
		if (!(st->base = api->event_base(ctx))) {
			rc = -ENOSYS;
			goto err;
		}
		if ((rc = start_evdns(st)) < 0)
			goto err;
		load_hosts(st);
	}
	if ((rc = dns_resolver_start(st)) < 0)
		goto err;
	if ((rc = api->service_register(ctx, DNS_SERVICE_NAME, &st->svc)) < 0) {
		api->log(ctx, FZGW_LOG_ERROR, "cannot offer the %s service: %s", DNS_SERVICE_NAME,
			 strerror(-rc));
		goto err;
	}
	*state = st;
	return 0;

err:
	dns_fini(st);
	return rc;
}

FZGW_MODULE_DEFINE = {
	FZGW_MODULE_HEADER,
	.name = "dns",
	.version = "1.0",
	.init = dns_init,
	.fini = dns_fini,
};

void dns_gauge_init(struct dns_state *st)
{
	st->g_inflight = st->api->abi_minor >= 1 && st->api->gauge_register && st->api->gauge_set
				 ? st->api->gauge_register(st->ctx, "lookups_in_flight")
				 : -1;
}

void dns_gauge_inflight(struct dns_state *st)
{
	if (st->g_inflight >= 0)
		st->api->gauge_set(st->ctx, st->g_inflight, st->inflight);
}
