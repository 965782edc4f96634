/* SPDX-License-Identifier: Apache-2.0 */
/* The relay set (from init and relays_presence, dual-stack entries merged by id) and one TURN
 * allocation per relay: created, driven by the module timer, its events turned into candidates
 * of the connections sampled on it, and FZGW_EV_NO_RELAYS when none is left. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "relay.h"

/* "ip:port" or "[ip6]:port": 0 or -1. */
static int parse_addr(const char *s, struct stun_addr *a)
{
	char host[64];
	const char *colon, *end;
	char *e;
	unsigned long port;
	size_t n;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		if (!(end = strchr(s, ']')) || end[1] != ':')
			return -1;
		n = (size_t)(end - s - 1);
		colon = end + 1;
		s++;
	} else {
		if (!(colon = strrchr(s, ':')) || memchr(s, ':', (size_t)(colon - s)))
			return -1;
		n = (size_t)(colon - s);
	}
	if (!n || n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = 0;
	port = strtoul(colon + 1, &e, 10);
	if (!colon[1] || *e || !port || port > 65535)
		return -1;
	if (inet_pton(AF_INET, host, a->ip) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, host, a->ip) == 1)
		a->family = 6;
	else
		return -1;
	a->port = (uint16_t)port;
	return 0;
}

struct rl_relay *rl_relay_slot(struct relay_mod *m, int slot)
{
	if (slot < 0 || slot >= RL_MAX_RELAYS || !m->relays[slot].used)
		return NULL;
	return &m->relays[slot];
}

static struct rl_relay *by_id(struct relay_mod *m, const char *id)
{
	for (int i = 0; i < RL_MAX_RELAYS; i++)
		if (m->relays[i].used && !strcmp(m->relays[i].id, id))
			return &m->relays[i];
	return NULL;
}

struct rl_relay *rl_relay_by_server(struct relay_mod *m, const struct stun_addr *from)
{
	for (int i = 0; i < RL_MAX_RELAYS; i++) {
		struct rl_relay *r = &m->relays[i];

		if (!r->used)
			continue;
		for (unsigned k = 0; k < r->n_addrs; k++)
			if (stun_addr_equal(&r->addrs[k], from))
				return r;
	}
	return NULL;
}

static bool live(const struct rl_relay *r)
{
	return r->used && r->ta && r->state != TURN_S_FAILED && r->state != TURN_S_DELETED &&
	       r->state != TURN_S_DELETING;
}

bool rl_relays_any_live(const struct relay_mod *m)
{
	for (int i = 0; i < RL_MAX_RELAYS; i++)
		if (live(&m->relays[i]))
			return true;
	return false;
}

struct rl_relay *rl_relay_sample(struct relay_mod *m)
{
	int pick[RL_MAX_RELAYS], n = 0;

	for (int i = 0; i < RL_MAX_RELAYS; i++)
		if (live(&m->relays[i]) && m->relays[i].allocated)
			pick[n++] = i;
	if (!n)
		for (int i = 0; i < RL_MAX_RELAYS; i++)
			if (live(&m->relays[i]))
				pick[n++] = i;
	if (!n)
		return NULL;
	return &m->relays[pick[randombytes_uniform((uint32_t)n)]];
}

/* Our address toward the relay: the source a connected UDP socket gets (no packet sent). */
static void find_host(struct relay_mod *m, struct rl_relay *r)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;

	memset(&r->host, 0, sizeof(r->host));
	memset(&ss, 0, sizeof(ss));
	if (r->server.family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(r->server.port);
		memcpy(&s4->sin_addr, r->server.ip, 4);
		sl = sizeof(*s4);
	} else if (r->server.family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(r->server.port);
		memcpy(&s6->sin6_addr, r->server.ip, 16);
		sl = sizeof(*s6);
	} else {
		return;
	}
	if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (!connect(fd, (struct sockaddr *)&ss, sl) &&
	    !getsockname(fd, (struct sockaddr *)&ss, &(socklen_t){ sizeof(ss) })) {
		r->host.family = r->server.family;
		if (ss.ss_family == AF_INET)
			memcpy(r->host.ip, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		else
			memcpy(r->host.ip, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	}
	close(fd);
	(void)m;
}

static void check_no_relays(struct relay_mod *m)
{
	if (rl_relays_any_live(m)) {
		m->had_usable = true;
		return;
	}
	if (!m->had_usable)
		return;
	m->had_usable = false;
	m->api->log(m->ctx, FZGW_LOG_WARN, "relay: no usable relay left; asking the portal");
	rl_count(m, RL_C_NO_RELAYS, 1);
	m->api->publish(m->ctx, FZGW_EV_NO_RELAYS, NULL, 0);
}

static void on_turn_event(struct relay_mod *m, struct rl_relay *r, const struct turn_event *e)
{
	char a[64], b[64], c[64];
	bool was = r->allocated;

	if (m->closing)
		return;
	r->state = turn_alloc_state(r->ta);
	r->srflx = e->srflx;
	r->relayed4 = e->relayed4;
	r->relayed6 = e->relayed6;
	if (e->server.family && !stun_addr_equal(&e->server, &r->server)) {
		r->server = e->server;
		find_host(m, r);
	}
	switch (e->type) {
	case TURN_EV_SRFLX:
		m->api->log(m->ctx, FZGW_LOG_DEBUG, "relay %s: server-reflexive %s (%s)", r->id,
			    rl_addr_str(&r->srflx, a, sizeof(a)), e->why);
		rl_conns_relay_changed(m, r->slot, false);
		break;
	case TURN_EV_ALLOCATED:
		r->allocated = true;
		if (!was)
			rl_count(m, RL_C_ALLOCATIONS, 1);
		m->api->log(m->ctx, FZGW_LOG_INFO, "relay %s: allocated at %s, relayed %s %s",
			    r->id, rl_addr_str(&r->server, a, sizeof(a)),
			    rl_addr_str(&r->relayed4, b, sizeof(b)),
			    rl_addr_str(&r->relayed6, c, sizeof(c)));
		m->had_usable = true;
		rl_conns_relay_changed(m, r->slot, false);
		break;
	case TURN_EV_LOST:
	case TURN_EV_FAILED:
		r->allocated = false;
		if (was)
			rl_count(m, RL_C_ALLOCATIONS, -1);
		rl_count(m, e->type == TURN_EV_LOST ? RL_C_ALLOC_LOST : RL_C_ALLOC_FAILED, 1);
		m->api->log(m->ctx, FZGW_LOG_WARN, "relay %s: allocation %s (%d %s)", r->id,
			    e->type == TURN_EV_LOST ? "lost" : "failed", e->code,
			    e->why ? e->why : "");
		rl_conns_relay_changed(m, r->slot, e->type == TURN_EV_FAILED);
		if (e->type == TURN_EV_FAILED)
			check_no_relays(m);
		break;
	case TURN_EV_CHANNEL_BOUND:
		rl_count(m, RL_C_CHANNELS_BOUND, 1);
		rl_conns_channel_bound(m, r->slot);
		break;
	case TURN_EV_CHANNEL_FAILED:
	case TURN_EV_CHANNEL_EXPIRED:
		m->api->log_limited(m->ctx, FZGW_LOG_DEBUG, "relay %s: channel %#x to %s %s", r->id,
				    e->channel, rl_addr_str(&e->peer, a, sizeof(a)),
				    e->type == TURN_EV_CHANNEL_FAILED ? "failed" : "expired");
		break;
	default:
		break;
	}
}

void rl_relay_flush(struct relay_mod *m, struct rl_relay *r)
{
	uint8_t buf[TURN_MSG_MAX];
	struct stun_addr to;
	struct turn_event e;
	size_t n;

	while (r->ta && (n = turn_alloc_transmit(r->ta, buf, sizeof(buf), &to)))
		rl_send(m, &to, buf, n);
	while (r->ta && turn_alloc_event(r->ta, &e))
		on_turn_event(m, r, &e);
	if (r->ta)
		r->state = turn_alloc_state(r->ta);
}

static void relay_release(struct relay_mod *m, struct rl_relay *r, const char *why)
{
	uint64_t now = m->api->now_ms(m->ctx);
	uint8_t slot;

	m->api->log(m->ctx, FZGW_LOG_INFO, "relay %s: %s", r->id, why);
	if (r->ta) {
		if (r->allocated) {
			turn_alloc_delete(r->ta, now); /* REFRESH with LIFETIME 0 */
			rl_relay_flush(m, r);
		}
		if (r->allocated)
			rl_count(m, RL_C_ALLOCATIONS, -1);
		turn_alloc_free(r->ta);
	}
	r->ta = NULL;
	r->allocated = false;
	r->state = TURN_S_DELETED;
	rl_count(m, RL_C_RELAYS, -1);
	slot = r->slot;
	sodium_memzero(r, sizeof(*r)); /* the password */
	r->slot = slot;
	rl_conns_relay_changed(m, slot, true);
}

/* An entry of the event, its addresses merged by id. */
struct entry {
	const struct fzgw_relay *first;
	struct stun_addr addrs[TURN_MAX_SERVERS];
	unsigned n;
};

static bool same(const struct rl_relay *r, const struct entry *e)
{
	if (r->n_addrs != e->n || strcmp(r->username, e->first->username) ||
	    strcmp(r->password, e->first->password))
		return false;
	for (unsigned i = 0; i < e->n; i++)
		if (!stun_addr_equal(&r->addrs[i], &e->addrs[i]))
			return false;
	return true;
}

static void relay_start(struct relay_mod *m, const struct entry *e)
{
	struct rl_relay *r = NULL;
	struct turn_config cfg;
	uint64_t now = m->api->now_ms(m->ctx);

	for (int i = 0; i < RL_MAX_RELAYS && !r; i++)
		if (!m->relays[i].used)
			r = &m->relays[i];
	if (!r) {
		m->api->log_limited(m->ctx, FZGW_LOG_WARN, "relay %s ignored: %d relays in use",
				    e->first->id, RL_MAX_RELAYS);
		return;
	}
	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.servers, e->addrs, sizeof(e->addrs));
	cfg.n_servers = e->n;
	cfg.username = e->first->username;
	cfg.password = e->first->password;
	cfg.software = m->software;
	if (!(r->ta = turn_alloc_new(&cfg, now))) {
		m->api->log_limited(m->ctx, FZGW_LOG_WARN, "relay %s refused (bad credentials)",
				    e->first->id);
		return;
	}
	r->used = true;
	snprintf(r->id, sizeof(r->id), "%s", e->first->id);
	memcpy(r->addrs, e->addrs, sizeof(e->addrs));
	r->n_addrs = e->n;
	snprintf(r->username, sizeof(r->username), "%s", e->first->username);
	snprintf(r->password, sizeof(r->password), "%s", e->first->password);
	r->state = turn_alloc_state(r->ta);
	rl_count(m, RL_C_RELAYS, 1);
	m->api->log(m->ctx, FZGW_LOG_INFO, "relay %s: %u address(es), binding", r->id, r->n_addrs);
	rl_relay_flush(m, r);
}

/* Merges the event's entries by id: n entries out, each with up to one address per family. */
static size_t merge(struct relay_mod *m, const struct fzgw_ev_relays *ev, struct entry *out)
{
	size_t n = 0;

	for (size_t i = 0; i < ev->n; i++) {
		const struct fzgw_relay *fr = &ev->relays[i];
		struct stun_addr a;
		struct entry *e = NULL;
		bool dup = false;

		if (memchr(fr->id, 0, sizeof(fr->id)) == NULL || !fr->id[0] ||
		    !memchr(fr->addr, 0, sizeof(fr->addr)) ||
		    !memchr(fr->username, 0, sizeof(fr->username)) ||
		    !memchr(fr->password, 0, sizeof(fr->password)) || parse_addr(fr->addr, &a)) {
			m->api->log_limited(m->ctx, FZGW_LOG_WARN, "relay entry %zu ignored: bad "
					    "id or address", i);
			continue;
		}
		for (size_t k = 0; k < n && !e; k++)
			if (!strcmp(out[k].first->id, fr->id))
				e = &out[k];
		if (!e) {
			e = &out[n++];
			memset(e, 0, sizeof(*e));
			e->first = fr;
		}
		for (unsigned k = 0; k < e->n; k++)
			dup |= e->addrs[k].family == a.family;
		if (!dup && e->n < TURN_MAX_SERVERS)
			e->addrs[e->n++] = a;
	}
	return n;
}

void rl_relays_changed(struct relay_mod *m, const struct fzgw_ev_relays *ev)
{
	struct entry *es = ev->n ? calloc(ev->n, sizeof(*es)) : NULL;
	bool keep[RL_MAX_RELAYS] = { false };
	size_t n;

	if (ev->n && !es) {
		m->api->log(m->ctx, FZGW_LOG_ERROR, "relay: out of memory; relay set unchanged");
		return;
	}
	n = merge(m, ev, es);
	for (size_t i = 0; i < ev->n_gone; i++) {
		struct rl_relay *r = ev->gone_ids[i] ? by_id(m, ev->gone_ids[i]) : NULL;

		if (r)
			relay_release(m, r, "withdrawn by the portal");
	}
	for (size_t i = 0; i < n; i++) {
		struct rl_relay *r = by_id(m, es[i].first->id);

		if (r && same(r, &es[i]) && live(r)) {
			keep[r->slot] = true;
			continue;
		}
		if (r)
			relay_release(m, r, "replaced");
		relay_start(m, &es[i]);
		if ((r = by_id(m, es[i].first->id)))
			keep[r->slot] = true;
	}
	if (ev->replace)
		for (int i = 0; i < RL_MAX_RELAYS; i++)
			if (m->relays[i].used && !keep[i])
				relay_release(m, &m->relays[i], "not in the portal's list");
	if (es) {
		sodium_memzero(es, ev->n * sizeof(*es));
		free(es);
	}
	check_no_relays(m);
	rl_conns_adopt(m);
	rl_schedule(m);
}

void rl_relays_tick(struct relay_mod *m, uint64_t now)
{
	for (int i = 0; i < RL_MAX_RELAYS; i++) {
		struct rl_relay *r = &m->relays[i];

		if (r->used && r->ta && turn_alloc_deadline(r->ta) <= now) {
			turn_alloc_tick(r->ta, now);
			rl_relay_flush(m, r);
		}
	}
}

uint64_t rl_relays_deadline(const struct relay_mod *m)
{
	uint64_t d = UINT64_MAX, x;

	for (int i = 0; i < RL_MAX_RELAYS; i++)
		if (m->relays[i].used && m->relays[i].ta &&
		    (x = turn_alloc_deadline(m->relays[i].ta)) < d)
			d = x;
	return d;
}

void rl_relays_free(struct relay_mod *m)
{
	m->closing = true;
	for (int i = 0; i < RL_MAX_RELAYS; i++) {
		struct rl_relay *r = &m->relays[i];

		if (r->ta) {
			if (r->allocated) {
				turn_alloc_delete(r->ta, m->api->now_ms(m->ctx));
				rl_relay_flush(m, r);
			}
			turn_alloc_free(r->ta);
		}
		sodium_memzero(r, sizeof(*r));
	}
}
