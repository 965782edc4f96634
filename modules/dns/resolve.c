/* SPDX-License-Identifier: Apache-2.0 */
/* The "dns.resolve" service: A and AAAA lookups with evdns in parallel, a cap and a timeout. */
#include <errno.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <dnsname/pattern.h>

#include "dns.h"

/*
 * Lifetime. evdns is asked for two plain requests per lookup and they are never cancelled:
 * a cancel only schedules a callback for a later loop iteration, which could outlive the
 * module. A lookup that times out or is cancelled is answered (or silenced) at once and
 * stays in the table, still counted in flight, until evdns finishes it by its own timeouts.
 * At fini, evdns_base_free(, 0) drops every request without a callback. The argument evdns
 * carries is the lookup's id, never a pointer: a reply already scheduled when the module
 * went away finds no lookup of that id (ids are never reused) and is ignored.
 */

struct dns_query {
	struct dns_query *next; /* hash chain */
	uint64_t id;
	dns_resolve_fn fn;      /* NULL once answered or cancelled */
	void *arg;
	struct event *timer;    /* the overall timeout, or 0 s for a hosts-file answer */
	bool from_hosts;
	bool pending[2];        /* [0] A, [1] AAAA still with evdns */
	int err[2];             /* DNS_ERR_* of each request */
	struct dns_result res;  /* what the answers gave so far */
	struct dns_result hosts;
};

/* The one running instance, for evdns replies that arrive by id. */
static struct dns_state *dns_live;
static uint64_t dns_next_id;

static void count(struct dns_state *st, enum dns_counter c)
{
	if (st->cnt[c] >= 0)
		st->api->counter_add(st->ctx, st->cnt[c], 1);
}

static struct dns_query **slot(struct dns_state *st, uint64_t id)
{
	struct dns_query **pp = &st->bucket[(id ^ id >> 17) & st->mask];

	while (*pp && (*pp)->id != id)
		pp = &(*pp)->next;
	return pp;
}

static void unlink_query(struct dns_state *st, struct dns_query *q)
{
	struct dns_query **pp = slot(st, q->id);

	if (*pp == q) {
		*pp = q->next;
		st->inflight--;
		dns_gauge_inflight(st);
	}
}

static void free_query(struct dns_query *q)
{
	if (q->timer)
		event_free(q->timer);
	free(q);
}

static int status_of(const struct dns_query *q)
{
	int e4 = q->err[0], e6 = q->err[1];

	if (e4 == DNS_ERR_TIMEOUT || e6 == DNS_ERR_TIMEOUT)
		return -ETIMEDOUT;
	if ((e4 == DNS_ERR_NOTEXIST || e4 == DNS_ERR_NONE || e4 == DNS_ERR_NODATA) &&
	    (e6 == DNS_ERR_NOTEXIST || e6 == DNS_ERR_NONE || e6 == DNS_ERR_NODATA))
		return -ENOENT;
	return -EIO;
}

/* Calls the user back once, if it still wants an answer. */
static void answer(struct dns_state *st, struct dns_query *q, const struct dns_result *res)
{
	dns_resolve_fn fn = q->fn;

	if (!fn)
		return;
	q->fn = NULL;
	if (res->status == 0)
		count(st, DNS_CNT_ANSWERED);
	else if (res->status == -ETIMEDOUT)
		count(st, DNS_CNT_TIMEOUTS);
	else if (res->status != -ESHUTDOWN)
		count(st, DNS_CNT_EMPTY);
	fn(q->arg, q->id, res);
}

/* Both requests are done: answer with what came back, forget the lookup. */
static void finish(struct dns_state *st, struct dns_query *q)
{
	struct dns_result res = q->res;

	res.status = res.n ? 0 : status_of(q);
	unlink_query(st, q);
	answer(st, q, &res);
	free_query(q);
}

static void on_reply(int result, char type, int n, int ttl, void *addrs, void *arg)
{
	struct dns_state *st = dns_live;
	uint64_t tag = (uint64_t)(uintptr_t)arg;
	int v6 = (int)(tag & 1);
	struct dns_query *q;

	(void)ttl;
	if (!st || !(q = *slot(st, tag >> 1)) || !q->pending[v6])
		return; /* a reply for a lookup of an earlier instance */
	q->pending[v6] = false;
	q->err[v6] = result;
	if (result == DNS_ERR_NONE && n > 0 && addrs) {
		for (int i = 0; i < n; i++) {
			struct fzgw_addr a;

			memset(&a, 0, sizeof(a));
			if (!v6 && type == DNS_IPv4_A) {
				a.family = 4;
				memcpy(a.bytes, (const uint32_t *)addrs + i, 4);
				dns_result_add(&q->res, &a);
			} else if (v6 && type == DNS_IPv6_AAAA) {
				a.family = 6;
				memcpy(a.bytes, (const struct in6_addr *)addrs + i, 16);
				dns_result_add(&q->res, &a);
			}
		}
	}
	if (!q->pending[0] && !q->pending[1])
		finish(st, q);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query *q = arg;
	struct dns_state *st = dns_live;
	struct dns_result res;

	(void)fd;
	(void)what;
	if (!st)
		return;
	if (q->from_hosts) {
		unlink_query(st, q);
		count(st, DNS_CNT_HOSTS);
		answer(st, q, &q->hosts);
		free_query(q);
		return;
	}
	/* evdns goes on with its own retries; the user hears "timed out" now */
	memset(&res, 0, sizeof(res));
	res.status = -ETIMEDOUT;
	answer(st, q, &res);
}

int dns_resolve(void *self, const char *name, dns_resolve_fn fn, void *arg, uint64_t *id)
{
	struct dns_state *st = self;
	struct timeval tv = { 0, 0 };
	char norm[DNS_NAME_MAX + 1];
	struct dns_query *q;
	uint64_t qid;

	if (!st->evdns || st->closing || evdns_base_count_nameservers(st->evdns) <= 0)
		return -ENOTCONN; /* evdns would park the requests until a nameserver appears */
	if (!fn || !id || dns_name_normalize(name, norm, sizeof(norm)) < 0)
		return -EINVAL;
	if (st->inflight >= st->conf.max_inflight) {
		count(st, DNS_CNT_REFUSED);
		return -EBUSY;
	}
	if (!(q = calloc(1, sizeof(*q))))
		return -ENOMEM;
	q->id = qid = ++dns_next_id;
	q->fn = fn;
	q->arg = arg;
	if (!(q->timer = evtimer_new(st->base, on_timer, q)))
		goto err_query;
	if (dns_hosts_lookup(&st->hosts, norm, &q->hosts) > 0) {
		q->from_hosts = true; /* answered on the next loop turn, never from in here */
	} else {
		q->pending[0] =
		    evdns_base_resolve_ipv4(st->evdns, norm, DNS_QUERY_NO_SEARCH, on_reply,
					    (void *)(uintptr_t)(qid << 1)) != NULL;
		q->pending[1] =
		    evdns_base_resolve_ipv6(st->evdns, norm, DNS_QUERY_NO_SEARCH, on_reply,
					    (void *)(uintptr_t)(qid << 1 | 1)) != NULL;
		q->err[0] = q->pending[0] ? DNS_ERR_NONE : DNS_ERR_UNKNOWN;
		q->err[1] = q->pending[1] ? DNS_ERR_NONE : DNS_ERR_UNKNOWN;
		if (!q->pending[0] && !q->pending[1])
			goto err_query;
		tv.tv_sec = (time_t)st->conf.timeout;
	}
	/* an evtimer_add failure leaves a lookup only evdns can end: still bounded */
	evtimer_add(q->timer, &tv);
	q->next = NULL;
	*slot(st, qid) = q;
	st->inflight++;
	dns_gauge_inflight(st);
	count(st, DNS_CNT_LOOKUPS);
	*id = qid;
	return 0;

err_query:
	free_query(q);
	return -ENOMEM;
}

void dns_cancel(void *self, uint64_t id)
{
	struct dns_state *st = self;
	struct dns_query *q;

	if (!st->bucket || !id || !(q = *slot(st, id)) || !q->fn)
		return;
	q->fn = NULL;
	count(st, DNS_CNT_CANCELLED);
	if (q->from_hosts && !st->closing) {
		unlink_query(st, q);
		free_query(q);
	}
}

/* evdns's own messages (a nameserver failing, ...), at debug level: they repeat per request */
static void on_evdns_log(int is_warn, const char *msg)
{
	struct dns_state *st = dns_live;

	if (st)
		st->api->log(st->ctx, is_warn ? FZGW_LOG_DEBUG : FZGW_LOG_TRACE, "evdns: %s", msg);
}

int dns_resolver_start(struct dns_state *st)
{
	uint32_t n = 64;

	while (n < st->conf.max_inflight && n < (1u << 20))
		n <<= 1;
	if (!(st->bucket = calloc(n, sizeof(*st->bucket))))
		return -ENOMEM;
	st->mask = n - 1;
	if (st->evdns) {
		dns_live = st;
		evdns_set_log_fn(on_evdns_log); /* process-wide: reset in stop() */
	}
	return 0;
}

void dns_resolver_stop(struct dns_state *st)
{
	struct dns_result res;

	st->closing = true;
	memset(&res, 0, sizeof(res));
	res.status = -ESHUTDOWN;
	/* first everyone still waiting hears the end; they may call cancel() meanwhile */
	for (uint32_t b = 0; st->bucket && b <= st->mask; b++)
		for (struct dns_query *q = st->bucket[b]; q; q = q->next)
			answer(st, q, &res);
	if (st->evdns)
		evdns_base_free(st->evdns, 0); /* drops the requests without callbacks */
	st->evdns = NULL;
	for (uint32_t b = 0; st->bucket && b <= st->mask; b++) {
		while (st->bucket[b]) {
			struct dns_query *q = st->bucket[b];

			st->bucket[b] = q->next;
			free_query(q);
		}
	}
	free(st->bucket);
	st->bucket = NULL;
	st->inflight = 0;
	dns_gauge_inflight(st);
	if (dns_live == st) {
		dns_live = NULL;
		evdns_set_log_fn(NULL);
	}
}
