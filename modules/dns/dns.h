/* SPDX-License-Identifier: Apache-2.0 */
/* The dns module's internals, shared by its files and its unit tests. */
#ifndef FZGW_DNS_H
#define FZGW_DNS_H

#include <stdbool.h>
#include <stdint.h>

#include <dnsname/dns_service.h>
#include <fzgw/module.h>

#include "hosts.h"

#define DNS_MAX_UPSTREAMS 16
#define DNS_PATH_MAX 256

struct event_base;
struct evdns_base;
struct dns_query;

enum dns_counter {
	DNS_CNT_LOOKUPS,   /* resolve() calls accepted */
	DNS_CNT_ANSWERED,  /* finished with at least one address */
	DNS_CNT_EMPTY,     /* finished without an address (no name, no record, server error) */
	DNS_CNT_TIMEOUTS,  /* the overall timeout answered first */
	DNS_CNT_REFUSED,   /* resolve() refused: too many lookups in flight */
	DNS_CNT_HOSTS,     /* answered from the hosts file */
	DNS_CNT_CANCELLED, /* cancel() before the answer */
	DNS_CNT_COUNT
};

struct dns_conf {
	char resolv_conf[DNS_PATH_MAX];
	char hosts_file[DNS_PATH_MAX];
	int64_t timeout;      /* seconds, the whole lookup */
	int64_t max_inflight; /* lookups */
	int n_upstreams;
	char upstreams[DNS_MAX_UPSTREAMS][64]; /* "IP", "IP:PORT" or "[IPv6]:PORT" */
};

struct dns_state {
	struct fzgw_ctx *ctx;
	const struct fzgw_api *api;
	struct dns_conf conf;
	struct event_base *base;   /* the core's loop; NULL under check_only */
	struct evdns_base *evdns;
	struct dns_hosts hosts;
	struct dns_service svc;    /* registered as DNS_SERVICE_NAME */
	struct dns_query **bucket; /* lookups by id, including abandoned ones evdns still runs */
	uint32_t mask;
	uint32_t inflight;
	bool closing;              /* fini has begun: no new lookups */
	int cnt[DNS_CNT_COUNT];
	int g_inflight;            /* gauge "lookups_in_flight" (ABI 2.1), -1: none */
};

/* The in-flight gauge (ABI 2.1): registered in init, set whenever inflight changes. */
void dns_gauge_init(struct dns_state *st);
void dns_gauge_inflight(struct dns_state *st);

/* resolve.c: the service. start() builds the lookup table; stop() answers every lookup
 * still waiting with -ESHUTDOWN, then frees every evdns object. */
int dns_resolver_start(struct dns_state *st);
void dns_resolver_stop(struct dns_state *st);
int dns_resolve(void *self, const char *name, dns_resolve_fn fn, void *arg, uint64_t *id);
void dns_cancel(void *self, uint64_t id);

#endif
