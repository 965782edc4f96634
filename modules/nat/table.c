/* SPDX-License-Identifier: Apache-2.0 */
/* The NAT session table: (proto, port, proxy IP) <-> (proto, port', real IP) per client. */
#include "table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_BUCKETS 256u
#define MAX_BUCKETS (1u << 22)

enum { TCP_FIN = 0x01, TCP_RST = 0x04, PROTO_TCP = 6, PROTO_UDP = 17 };

/*
 * Keyed with a random seed so a client cannot aim its sessions at one chain; the per-client
 * cap bounds a chain anyway.
 */
static uint32_t hash(const struct nat_table *t, const struct nat_tclient *c, uint8_t proto,
		     uint16_t port, const struct fzgw_addr *a)
{
	uint64_t w[3], h = t->seed ^ 0x9e3779b97f4a7c15ull;

	w[0] = (uint64_t)c->id << 32 | (uint64_t)proto << 24 | (uint64_t)a->family << 16 | port;
	memcpy(&w[1], a->bytes, 16);
	for (int i = 0; i < 3; i++) {
		h = (h ^ w[i]) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)(h ^ h >> 29);
}

static bool addr_eq(const struct fzgw_addr *a, const struct fzgw_addr *b)
{
	return a->family == b->family && !memcmp(a->bytes, b->bytes, 16);
}

int nat_table_init(struct nat_table *t, const struct nat_limits *lim,
		   const struct nat_timeouts *to, uint32_t seed)
{
	memset(t, 0, sizeof(*t));
	t->seed = seed;
	t->in_b = calloc(MIN_BUCKETS, sizeof(*t->in_b));
	t->out_b = calloc(MIN_BUCKETS, sizeof(*t->out_b));
	if (!t->in_b || !t->out_b) {
		free(t->in_b);
		free(t->out_b);
		return -ENOMEM;
	}
	t->mask = MIN_BUCKETS - 1;
	nat_table_configure(t, lim, to);
	return 0;
}

void nat_table_configure(struct nat_table *t, const struct nat_limits *lim,
			 const struct nat_timeouts *to)
{
	t->lim = *lim;
	t->to = *to;
}

/* Doubles both bucket arrays when the chains get long; on ENOMEM they just stay longer. */
static void grow(struct nat_table *t)
{
	uint32_t n = (t->mask + 1) * 2;
	struct nat_entry **in_b, **out_b;

	if (t->n_live + t->n_dead <= t->mask + 1 || n > MAX_BUCKETS)
		return;
	in_b = calloc(n, sizeof(*in_b));
	out_b = calloc(n, sizeof(*out_b));
	if (!in_b || !out_b) {
		free(in_b);
		free(out_b);
		return;
	}
	for (uint32_t b = 0; b <= t->mask; b++) {
		for (struct nat_entry *e = t->in_b[b], *next; e; e = next) {
			next = e->in_next;
			e->in_next = in_b[e->in_hash & (n - 1)];
			in_b[e->in_hash & (n - 1)] = e;
		}
		for (struct nat_entry *e = t->out_b[b], *next; e; e = next) {
			next = e->out_next;
			e->out_next = out_b[e->out_hash & (n - 1)];
			out_b[e->out_hash & (n - 1)] = e;
		}
	}
	free(t->in_b);
	free(t->out_b);
	t->in_b = in_b;
	t->out_b = out_b;
	t->mask = n - 1;
}

static struct nat_entry *find_in(const struct nat_table *t, const struct nat_tclient *c,
				 uint8_t proto, uint16_t port, const struct fzgw_addr *proxy)
{
	uint32_t h = hash(t, c, proto, port, proxy);

	for (struct nat_entry *e = t->in_b[h & t->mask]; e; e = e->in_next)
		if (e->in_hash == h && e->client == c && e->proto == proto && e->in_port == port &&
		    addr_eq(&e->proxy, proxy))
			return e;
	return NULL;
}

static struct nat_entry *find_out(const struct nat_table *t, const struct nat_tclient *c,
				  uint8_t proto, uint16_t port, const struct fzgw_addr *real)
{
	uint32_t h = hash(t, c, proto, port, real);

	for (struct nat_entry *e = t->out_b[h & t->mask]; e; e = e->out_next)
		if (e->out_hash == h && e->client == c && e->proto == proto &&
		    e->out_port == port && addr_eq(&e->real, real))
			return e;
	return NULL;
}

static void chain_del(struct nat_entry **head, struct nat_entry *e, bool in)
{
	for (struct nat_entry **pp = head; *pp; pp = in ? &(*pp)->in_next : &(*pp)->out_next) {
		if (*pp == e) {
			*pp = in ? e->in_next : e->out_next;
			return;
		}
	}
}

static void list_del(struct nat_entry **head, struct nat_entry **tail, struct nat_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		*head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		*tail = e->prev;
	e->prev = e->next = NULL;
}

static void list_add_tail(struct nat_entry **head, struct nat_entry **tail, struct nat_entry *e)
{
	e->next = NULL;
	e->prev = *tail;
	if (*tail)
		(*tail)->next = e;
	else
		*head = e;
	*tail = e;
}

static void free_entry(struct nat_table *t, struct nat_entry *e)
{
	struct nat_tclient *c = e->client;

	chain_del(&t->out_b[e->out_hash & t->mask], e, false);
	if (e->flags & NAT_F_DEAD) {
		list_del(&t->dead, &t->dead_tail, e);
		t->n_dead--;
		c->n_dead--;
	} else {
		chain_del(&t->in_b[e->in_hash & t->mask], e, true);
		list_del(&t->live, &t->live_tail, e);
		t->n_live--;
		c->n_live--;
	}
	if (e->cprev)
		e->cprev->cnext = e->cnext;
	else
		c->head = e->cnext;
	if (e->cnext)
		e->cnext->cprev = e->cprev;
	free(e);
}

/* A live session ends; its outside tuple is remembered (trim() bounds how many). */
static void make_dead(struct nat_table *t, struct nat_entry *e)
{
	chain_del(&t->in_b[e->in_hash & t->mask], e, true);
	list_del(&t->live, &t->live_tail, e);
	list_add_tail(&t->dead, &t->dead_tail, e);
	e->flags |= NAT_F_DEAD;
	t->n_live--;
	e->client->n_live--;
	t->n_dead++;
	e->client->n_dead++;
}

/* Forgets the oldest expired tuples beyond the cap (never inside a walk of a list). */
static void trim(struct nat_table *t)
{
	while (t->n_dead > t->lim.max_expired && t->dead)
		free_entry(t, t->dead);
}

uint64_t nat_entry_deadline(const struct nat_table *t, const struct nat_entry *e)
{
	bool replied = e->flags & NAT_F_REPLIED;
	uint64_t last = e->last_fwd, ttl, d;

	if (replied && e->last_rev > last)
		last = e->last_rev;
	ttl = e->proto == PROTO_TCP ? t->to.tcp : e->proto == PROTO_UDP ? t->to.udp : t->to.icmp;
	d = last + ttl;
	if (!replied && e->last_fwd + t->to.unconfirmed < d)
		d = e->last_fwd + t->to.unconfirmed;
	if ((e->flags & (NAT_F_FIN_FWD | NAT_F_FIN_REV)) == (NAT_F_FIN_FWD | NAT_F_FIN_REV) &&
	    last + t->to.fin < d)
		d = last + t->to.fin;
	if (e->flags & NAT_F_RST)
		d = last; /* gone with the next look */
	return d;
}

static bool expired(const struct nat_table *t, const struct nat_entry *e, uint64_t now)
{
	return !(e->flags & NAT_F_DEAD) && now >= nat_entry_deadline(t, e);
}

static void note_flags(struct nat_entry *e, uint8_t tcp_flags, bool fwd)
{
	if (e->proto != PROTO_TCP)
		return;
	if (tcp_flags & TCP_RST)
		e->flags |= NAT_F_RST;
	if (tcp_flags & TCP_FIN)
		e->flags |= fwd ? NAT_F_FIN_FWD : NAT_F_FIN_REV;
}

/* The first value from @port up to 65535, then from 1, whose outside tuple is not live. */
static int free_port(struct nat_table *t, struct nat_tclient *c, uint8_t proto, uint16_t port,
		     const struct fzgw_addr *real, uint64_t now, struct nat_entry **dead)
{
	uint32_t p = port;

	for (uint32_t tries = 0; tries < 65536; tries++) {
		struct nat_entry *o = find_out(t, c, proto, (uint16_t)p, real);

		if (o && expired(t, o, now))
			make_dead(t, o);
		if (!o || (o->flags & NAT_F_DEAD)) {
			*dead = o;
			return (int)p;
		}
		if (p == 65535)
			p = 1;
		else
			p++;
		if (p == port)
			break;
	}
	return -EADDRINUSE;
}

int nat_table_forward(struct nat_table *t, struct nat_tclient *c, uint8_t proto, uint16_t port,
		      const struct fzgw_addr *proxy, const struct fzgw_addr *real,
		      uint8_t tcp_flags, uint64_t now, struct nat_entry **out)
{
	struct nat_entry *e = find_in(t, c, proto, port, proxy), *dead = NULL;
	int p, rc = 0;

	if (e && expired(t, e, now)) {
		make_dead(t, e);
		e = NULL;
	}
	if (e) {
		e->last_fwd = now;
		note_flags(e, tcp_flags, true);
		*out = e;
		goto out;
	}
	if (t->n_live >= t->lim.max_entries) {
		rc = -ENOSPC;
		goto out;
	}
	if (c->n_live >= t->lim.max_client_entries) {
		rc = -EDQUOT;
		goto out;
	}
	if ((p = free_port(t, c, proto, port, real, now, &dead)) < 0) {
		rc = p;
		goto out;
	}
	if (!(e = calloc(1, sizeof(*e)))) {
		rc = -ENOMEM;
		goto out;
	}
	if (dead)
		free_entry(t, dead); /* its outside tuple is live again */
	e->client = c;
	e->proto = proto;
	e->in_port = port;
	e->out_port = (uint16_t)p;
	e->proxy = *proxy;
	e->real = *real;
	e->last_fwd = now;
	note_flags(e, tcp_flags, true);
	e->in_hash = hash(t, c, proto, port, proxy);
	e->out_hash = hash(t, c, proto, (uint16_t)p, real);
	e->in_next = t->in_b[e->in_hash & t->mask];
	t->in_b[e->in_hash & t->mask] = e;
	e->out_next = t->out_b[e->out_hash & t->mask];
	t->out_b[e->out_hash & t->mask] = e;
	list_add_tail(&t->live, &t->live_tail, e);
	e->cnext = c->head;
	if (c->head)
		c->head->cprev = e;
	c->head = e;
	t->n_live++;
	c->n_live++;
	*out = e;
	rc = 1;
	grow(t);
out:
	trim(t);
	return rc;
}

int nat_table_reverse(struct nat_table *t, struct nat_tclient *c, uint8_t proto, uint16_t port,
		      const struct fzgw_addr *real, uint8_t tcp_flags, uint64_t now,
		      struct nat_entry **out)
{
	struct nat_entry *e = find_out(t, c, proto, port, real);
	int rc = 0;

	if (!e) {
		rc = -ENOENT;
	} else if (e->flags & NAT_F_DEAD) {
		rc = -ESTALE;
	} else if (expired(t, e, now)) {
		make_dead(t, e);
		rc = -ESTALE;
	} else {
		e->flags |= NAT_F_REPLIED;
		e->last_rev = now;
		note_flags(e, tcp_flags, false);
		*out = e;
	}
	trim(t);
	return rc;
}

uint32_t nat_table_expire(struct nat_table *t, uint64_t now)
{
	uint32_t n = 0;

	for (struct nat_entry *e = t->live, *next; e; e = next) {
		next = e->next;
		if (expired(t, e, now)) {
			make_dead(t, e);
			n++;
		}
	}
	trim(t);
	return n;
}

uint32_t nat_table_expire_proxy(struct nat_table *t, struct nat_tclient *c,
				const struct fzgw_addr *proxy)
{
	uint32_t n = 0;

	for (struct nat_entry *e = c->head; e; e = e->cnext) {
		if (!(e->flags & NAT_F_DEAD) && (!proxy || addr_eq(&e->proxy, proxy))) {
			make_dead(t, e);
			n++;
		}
	}
	trim(t);
	return n;
}

void nat_table_client_reset(struct nat_table *t, struct nat_tclient *c)
{
	while (c->head)
		free_entry(t, c->head);
}

void nat_table_fini(struct nat_table *t)
{
	while (t->live)
		free_entry(t, t->live);
	while (t->dead)
		free_entry(t, t->dead);
	free(t->in_b);
	free(t->out_b);
	t->in_b = t->out_b = NULL;
}
