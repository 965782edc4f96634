/* SPDX-License-Identifier: Apache-2.0 */
/* AssignedIps: authorization, the lookup, proxy IPs mapped onto real ones, DomainStatus. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dest.h"
#include "nat.h"

static int addr_cmp(const struct fzgw_addr *a, const struct fzgw_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1; /* IPv4 first, as the original's sets */
	return memcmp(a->bytes, b->bytes, 16);
}

static int proxy_cmp(const void *a, const void *b)
{
	return addr_cmp(&((const struct nat_proxy *)a)->addr, &((const struct nat_proxy *)b)->addr);
}

static int addr_qcmp(const void *a, const void *b)
{
	return addr_cmp(a, b);
}

const struct nat_proxy *nat_proxy_find(const struct nat_client *c, const struct fzgw_addr *a)
{
	struct nat_proxy key;

	if (!c->n_proxies)
		return NULL;
	key.addr = *a;
	return bsearch(&key, c->proxies, c->n_proxies, sizeof(key), proxy_cmp);
}

/* The sorted proxy index; on ENOMEM the old one stays, minus nothing it points to. */
static void index_proxies(struct nat_client *c)
{
	struct nat_proxy *p;
	uint32_t n = 0;

	for (struct nat_domain *d = c->domains; d; d = d->next)
		n += d->n;
	if (!n) {
		free(c->proxies);
		c->proxies = NULL;
		c->n_proxies = 0;
		return;
	}
	if (!(p = malloc(n * sizeof(*p)))) {
		c->n_proxies = 0; /* better no translation than a dangling one */
		return;
	}
	n = 0;
	for (struct nat_domain *d = c->domains; d; d = d->next) {
		for (uint8_t i = 0; i < d->n; i++) {
			p[n].addr = d->proxy[i];
			p[n].dom = d;
			p[n].i = i;
			n++;
		}
	}
	qsort(p, n, sizeof(*p), proxy_cmp);
	free(c->proxies);
	c->proxies = p;
	c->n_proxies = n;
}

int nat_send_control(struct nat_state *st, const char *client_id, uint8_t type, const char *json,
		     size_t len)
{
	const struct fzgw_api *api = st->api;
	const struct fzgw_peer_info *peer = api->peer_by_client(st->ctx, client_id);
	struct fzgw_packet *pkt;
	int n;

	if (!peer)
		return -ENOENT;
	if (!(pkt = api->pkt_alloc(st->ctx))) {
		nat_count(st, NAT_CNT_NO_BUFFER, 1);
		return -ENOBUFS;
	}
	if ((n = p2p_build(pkt->data, pkt->cap, type, json, len)) < 0) {
		api->pkt_free(st->ctx, pkt, NULL);
		return n;
	}
	pkt->len = (uint32_t)n;
	if (api->pkt_reparse(st->ctx, pkt) < 0 || pkt->ip.kind != FZGW_IP_KIND_CONTROL) {
		api->pkt_free(st->ctx, pkt, NULL);
		return -EINVAL;
	}
	pkt->dir = FZGW_DIR_OUT;
	pkt->peer = peer;
	api->pkt_inject(st->ctx, pkt, FZGW_PHASE_COUNT); /* straight to the client */
	return 0;
}

static void send_status(struct nat_state *st, const char *client_id, const char *resource,
			const char *domain, bool active)
{
	char json[P2P_JSON_MAX];
	int n = p2p_domain_status_json(json, sizeof(json), resource, domain, active);

	if (n > 0 && nat_send_control(st, client_id, P2P_DOMAIN_STATUS, json, (size_t)n) == 0)
		nat_count(st, active ? NAT_CNT_ACTIVE : NAT_CNT_INACTIVE, 1);
}

/* FZGW_EV_PROXY_IPS for the filter: @n of the name's proxy IPs (0: the mapping is gone). */
static void publish(struct nat_state *st, const struct nat_client *c, const struct nat_domain *d,
		    uint8_t n)
{
	struct fzgw_ev_proxy_ips ev;

	memset(&ev, 0, sizeof(ev));
	memcpy(ev.client_id, c->id, sizeof(ev.client_id));
	memcpy(ev.resource_id, d->resource, sizeof(ev.resource_id));
	memcpy(ev.domain, d->name, sizeof(d->name));
	ev.n = n;
	memcpy(ev.ips, d->proxy, sizeof(ev.ips[0]) * n);
	st->api->publish(st->ctx, FZGW_EV_PROXY_IPS, &ev, sizeof(ev));
	nat_count(st, NAT_CNT_PUBLISHED, 1);
}

static const struct dns_service *dns_svc(struct nat_state *st)
{
	const struct dns_service *s = st->api->service_lookup(st->ctx, DNS_SERVICE_NAME);

	if (!s || s->version != DNS_SERVICE_VERSION || s->struct_size < sizeof(*s))
		return NULL;
	return s;
}

/* Reinjects (@ok) or answers with network unreachable the packets held for @d. */
static void release_held(struct nat_state *st, struct nat_client *c, struct nat_domain *d, bool ok)
{
	struct nat_held *mine = NULL, **tail = &mine, **pp = &c->held;

	/* detach first: a reinjected packet runs the chains, which look at this list */
	c->held_tail = NULL;
	while (*pp) {
		struct nat_held *h = *pp;

		if (!d || h->dom == d) {
			*pp = h->next;
			h->next = NULL;
			*tail = h;
			tail = &h->next;
			c->n_held--;
			st->n_held--;
		} else {
			c->held_tail = h;
			pp = &h->next;
		}
	}
	while (mine) {
		struct nat_held *h = mine;

		mine = h->next;
		if (ok) {
			st->api->pkt_reinject(st->ctx, h->pkt);
		} else {
			st->api->icmp_reply(st->ctx, h->pkt, FZGW_ICMP_NET_UNREACH, 0);
			st->api->pkt_free(st->ctx, h->pkt, "nat-name-unresolved");
		}
		free(h);
	}
}

bool nat_hold(struct nat_state *st, struct nat_client *c, struct nat_domain *d,
	      struct fzgw_packet *pkt)
{
	struct nat_held *h;

	if (c->n_held >= st->conf.max_pending || st->n_held >= st->conf.max_pending_total ||
	    !(h = calloc(1, sizeof(*h)))) {
		nat_count(st, NAT_CNT_HELD_FULL, 1);
		st->api->icmp_reply(st->ctx, pkt, FZGW_ICMP_NET_UNREACH, 0);
		return false;
	}
	h->pkt = pkt;
	h->dom = d;
	if (c->held_tail)
		c->held_tail->next = h;
	else
		c->held = h;
	c->held_tail = h;
	c->n_held++;
	st->n_held++;
	nat_count(st, NAT_CNT_HELD, 1);
	return true;
}

static void cancel_lookup(struct nat_state *st, struct nat_domain *d)
{
	const struct dns_service *s;

	if (d->query && (s = dns_svc(st)))
		s->cancel(s->self, d->query);
	d->query = 0;
	d->state = 0;
}

void nat_domain_remove(struct nat_state *st, struct nat_client *c, struct nat_domain *d)
{
	struct nat_domain **pp = &c->domains;

	cancel_lookup(st, d);
	release_held(st, c, d, false);
	for (uint8_t i = 0; i < d->n; i++)
		nat_table_expire_proxy(&st->table, &c->t, &d->proxy[i]);
	if (d->active)
		publish(st, c, d, 0);
	while (*pp && *pp != d)
		pp = &(*pp)->next;
	if (*pp)
		*pp = d->next;
	c->n_domains--;
	index_proxies(c);
	free(d);
}

void nat_client_reset(struct nat_state *st, struct nat_client *c)
{
	while (c->domains)
		nat_domain_remove(st, c, c->domains);
	release_held(st, c, NULL, false);
	nat_table_client_reset(&st->table, &c->t);
}

/* Round robin over the answer's addresses of each family, both in sorted order. */
static void map(struct nat_domain *d)
{
	struct fzgw_addr sorted[DNS_RESULT_MAX];
	uint8_t n = d->last.n, n4 = 0, k4 = 0, k6 = 0;

	memcpy(sorted, d->last.addrs, sizeof(sorted[0]) * n);
	qsort(sorted, n, sizeof(sorted[0]), addr_qcmp);
	while (n4 < n && sorted[n4].family == 4)
		n4++;
	for (uint8_t i = 0; i < d->n; i++) {
		memset(&d->real[i], 0, sizeof(d->real[i]));
		if (d->proxy[i].family == 4 && n4)
			d->real[i] = sorted[k4++ % n4];
		else if (d->proxy[i].family == 6 && n > n4)
			d->real[i] = sorted[n4 + k6++ % (n - n4)];
	}
}

static const char *why(int status)
{
	switch (status) {
	case -ENOENT:
		return "no such name, or no address";
	case -ETIMEDOUT:
		return "the lookup timed out";
	case -ENOTCONN:
		return "no resolver (dns module missing or without nameservers)";
	case -EBUSY:
		return "too many lookups in flight";
	case -ESHUTDOWN:
		return "the dns module went away";
	default:
		return strerror(-status);
	}
}

/*
 * Whether the resolver answered (addresses or none): the original then maps the name,
 * possibly onto nothing, and says Active; its packets get network unreachable. Only a
 * lookup that did not finish (timeout, refused, no resolver) is Inactive.
 */
static bool answered(int status)
{
	return status == 0 || status == -ENOENT || status == -EIO;
}

/* Hardening 11: addresses that reach the gateway host or the tunnel are never mapped onto. */
static void refuse_dests(struct nat_state *st, const char *client, const char *name,
			 struct dns_result *r)
{
	struct fzgw_addr own[NAT_OWN_MAX];
	unsigned gone;

	if (!r->n)
		return;
	gone = nat_dest_filter(r, own, nat_own_addrs(own, NAT_OWN_MAX));
	if (!gone)
		return;
	nat_count(st, NAT_CNT_DEST_REFUSED, gone);
	st->api->log_limited(st->ctx, FZGW_LOG_WARN,
			     "client %s: %s resolved to %u address(es) a proxy IP never maps onto "
			     "(loopback, link-local, the tunnel ranges or the gateway's own): "
			     "refused", client, name, gone);
}

static void on_resolved(void *arg, uint64_t id, const struct dns_result *res)
{
	struct nat_domain *d = arg;
	struct nat_state *st = d->st;
	struct nat_client *c = d->client;
	char resource[NAT_ID_MAX], name[DNS_NAME_MAX + 1], client[NAT_ID_MAX];
	bool was_active;

	if (d->query != id)
		return;
	d->query = 0;
	d->state = 0;
	memcpy(resource, d->resource, sizeof(resource));
	memcpy(name, d->name, sizeof(name));
	memcpy(client, c->id, sizeof(client));
	if (answered(res->status)) {
		/* a refresh replaces the mapping, also by an empty one (as the original) */
		d->last = *res;
		if (res->status < 0)
			d->last.n = 0;
		refuse_dests(st, client, name, &d->last);
		map(d);
		was_active = d->active;
		d->active = true;
		index_proxies(c);
		st->api->log(st->ctx, FZGW_LOG_DEBUG,
			     "client %s: %s active, %u proxy IP(s) on %u address(es)%s", client,
			     name, d->n, d->last.n, d->last.n ? "" : ": no address, unreachable");
		if (!d->last.n)
			nat_count(st, NAT_CNT_ACTIVE_EMPTY, 1);
		/*
		 * The filter learns the proxy IPs before the held packets reach it. A refresh of an
		 * active name changes real addresses only: its proxy IPs were published with their
		 * last change (hardening 4: every event flushes the filter's cache for all clients).
		 */
		if (!was_active)
			publish(st, c, d, d->n);
		release_held(st, c, d, true);
		send_status(st, client, resource, name, true);
		return;
	}
	st->api->log(st->ctx, FZGW_LOG_DEBUG, "client %s: %s inactive: %s", client, name,
		     why(res->status));
	if (!d->active)
		nat_domain_remove(st, c, d); /* its held packets get network unreachable */
	/* else: like the original, a lookup that did not finish keeps the mapping it had */
	send_status(st, client, resource, name, false);
}

/*
 * Hardening 4: a slot of the client's share of lookups (max_lookups), busy until the dns
 * module answers, or for pending_timeout after the start when we give up first (the dns
 * module may still count it in flight then). Its index, or -1 when every slot is busy.
 */
static int lk_take(struct nat_state *st, struct nat_client *c, uint64_t now)
{
	uint32_t want = (uint32_t)st->conf.max_lookups;

	if (c->n_lk != want) { /* first use, or a reload changed the share */
		uint64_t *n = realloc(c->lk_until, want * sizeof(*n));

		if (!n)
			return -1;
		for (uint32_t i = c->n_lk; i < want; i++)
			n[i] = 0;
		c->lk_until = n;
		c->n_lk = want;
	}
	for (uint32_t i = 0; i < c->n_lk; i++) {
		if (c->lk_until[i] <= now) {
			c->lk_until[i] = now + (uint64_t)st->conf.pending_timeout * 1000;
			return (int)i;
		}
	}
	return -1;
}

static void lk_release(struct nat_client *c, uint32_t slot)
{
	if (slot < c->n_lk)
		c->lk_until[slot] = 0;
}

/* The dns module's answer: the lookup left its cap, so it leaves the client's share too. */
static void on_dns_answer(void *arg, uint64_t id, const struct dns_result *res)
{
	struct nat_domain *d = arg;

	if (d->query == id)
		lk_release(d->client, d->lk_slot);
	on_resolved(arg, id, res);
}

static void lookup(struct nat_state *st, struct nat_domain *d)
{
	const struct dns_service *s = dns_svc(st);
	uint64_t now = st->api->now_ms(st->ctx);
	struct dns_result fail;
	int rc, slot = -1;

	memset(&fail, 0, sizeof(fail));
	if (!s) {
		nat_count(st, NAT_CNT_DNS_MISSING, 1);
		fail.status = -ENOTCONN;
	} else if ((slot = lk_take(st, d->client, now)) < 0) {
		nat_count(st, NAT_CNT_LOOKUPS_FULL, 1);
		fail.status = -EBUSY;
	} else if ((rc = s->resolve(s->self, d->name, on_dns_answer, d, &d->query)) < 0) {
		lk_release(d->client, (uint32_t)slot);
		nat_count(st, NAT_CNT_DNS_REFUSED, 1);
		fail.status = rc;
	} else {
		d->lk_slot = (uint32_t)slot;
		d->state = NAT_DOM_RESOLVING;
		d->started_ms = now;
		return;
	}
	d->query = 0;
	on_resolved(d, 0, &fail);
}

static struct nat_domain *domain_find(const struct nat_client *c, const char *name)
{
	for (struct nat_domain *d = c->domains; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

/* Takes the message's proxy IPs (sorted); sessions through dropped ones end. True if changed. */
static bool set_proxies(struct nat_state *st, struct nat_client *c, struct nat_domain *d,
			const struct p2p_assigned_ips *a)
{
	struct fzgw_addr ips[FZGW_MAX_PROXY_IPS];
	bool changed = d->n != a->n;

	memcpy(ips, a->ips, sizeof(ips[0]) * a->n);
	qsort(ips, a->n, sizeof(ips[0]), addr_qcmp);
	for (uint8_t i = 0; i < d->n; i++) {
		bool kept = false;

		for (uint8_t k = 0; k < a->n && !kept; k++)
			kept = !addr_cmp(&d->proxy[i], &ips[k]);
		if (!kept) {
			nat_table_expire_proxy(&st->table, &c->t, &d->proxy[i]);
			changed = true;
		}
	}
	if (!changed)
		return false;
	memcpy(d->proxy, ips, sizeof(ips[0]) * a->n);
	d->n = a->n;
	if (d->active)
		map(d);
	index_proxies(c);
	return true;
}

void nat_assigned_ips(struct nat_state *st, const struct fzgw_peer_info *peer,
		      const struct p2p_assigned_ips *a)
{
	struct nat_client *c = nat_client_find(st, peer->client_id);
	const struct nat_grant *g = c ? nat_grant_find(c, a->resource) : NULL;
	struct nat_domain *d;
	bool changed;

	nat_count(st, NAT_CNT_ASSIGNED, 1);
	if (!g || !dns_pattern_match(g->pattern, a->domain)) {
		nat_count(st, NAT_CNT_UNAUTHORIZED, 1);
		send_status(st, peer->client_id, a->resource, a->domain, false);
		return;
	}
	/* a proxy IP of another name: the client signed in again and renumbered */
	for (uint8_t i = 0; i < a->n; i++) {
		const struct nat_proxy *p = nat_proxy_find(c, &a->ips[i]);

		if (p && strcmp(p->dom->name, a->domain)) {
			st->api->log(st->ctx, FZGW_LOG_INFO,
				     "client %s: proxy IPs re-assigned, resetting its DNS NAT",
				     c->id);
			nat_count(st, NAT_CNT_RESETS, 1);
			nat_client_reset(st, c);
			break;
		}
	}
	if (!(d = domain_find(c, a->domain))) {
		if (c->n_domains >= st->conf.max_domains || !(d = calloc(1, sizeof(*d)))) {
			nat_count(st, NAT_CNT_DOMAINS_FULL, 1);
			send_status(st, c->id, a->resource, a->domain, false);
			return;
		}
		d->st = st;
		d->client = c;
		memcpy(d->name, a->domain, sizeof(d->name));
		memcpy(d->resource, a->resource, sizeof(d->resource));
		d->next = c->domains;
		c->domains = d;
		c->n_domains++;
	}
	changed = strcmp(d->resource, a->resource) != 0;
	if (changed) {
		if (d->active)
			publish(st, c, d, 0); /* gone from the old resource */
		memcpy(d->resource, a->resource, sizeof(d->resource));
	}
	if (set_proxies(st, c, d, a) || changed) {
		if (d->active)
			publish(st, c, d, d->n);
	}
	/* one lookup at a time: its answer serves this message too */
	if (d->state != NAT_DOM_RESOLVING)
		lookup(st, d);
}

void nat_domains_tick(struct nat_state *st, uint64_t now)
{
	uint64_t limit = (uint64_t)st->conf.pending_timeout * 1000;
	struct dns_result fail;

	memset(&fail, 0, sizeof(fail));
	fail.status = -ETIMEDOUT;
	for (uint32_t b = 0; b <= st->cmask; b++) {
		for (struct nat_client *c = st->cb[b]; c; c = c->hnext) {
			struct nat_domain *d = c->domains, *next;

			for (; d; d = next) {
				uint64_t id = d->query;

				next = d->next;
				if (d->state != NAT_DOM_RESOLVING || now - d->started_ms < limit)
					continue;
				/* the dns module never answered: give up on our side */
				cancel_lookup(st, d);
				d->query = id;
				on_resolved(d, id, &fail);
			}
		}
	}
}
