/* SPDX-License-Identifier: Apache-2.0 */
/* The TURN allocation state machine: life cycle, input, timers, output and events. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "turn_priv.h"

const char *turn_state_name(enum turn_state s)
{
	switch (s) {
	case TURN_S_BINDING: return "binding";
	case TURN_S_ALLOCATING: return "allocating";
	case TURN_S_ALLOCATED: return "allocated";
	case TURN_S_DELETING: return "deleting";
	case TURN_S_DELETED: return "deleted";
	case TURN_S_FAILED: return "failed";
	}
	return "?";
}

void turn_emit(struct turn_alloc *a, uint8_t type, const struct stun_addr *peer, uint16_t channel,
	       int code, const char *why)
{
	struct turn_event *ev;

	if (a->ev_count == TURN_MAX_EVENTS) {
		a->stats.events_dropped++;
		return;
	}
	ev = &a->events[(a->ev_head + a->ev_count++) % TURN_MAX_EVENTS];
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	if (a->active >= 0)
		ev->server = a->servers[a->active];
	ev->srflx = a->srflx;
	ev->relayed4 = a->relayed4;
	ev->relayed6 = a->relayed6;
	if (peer)
		ev->peer = *peer;
	ev->channel = channel;
	ev->code = code;
	ev->why = why;
}

bool turn_alloc_event(struct turn_alloc *a, struct turn_event *ev)
{
	if (!a->ev_count)
		return false;
	*ev = a->events[a->ev_head];
	a->ev_head = (a->ev_head + 1) % TURN_MAX_EVENTS;
	a->ev_count--;
	return true;
}

void turn_forget_allocation(struct turn_alloc *a)
{
	memset(&a->relayed4, 0, sizeof(a->relayed4));
	memset(&a->relayed6, 0, sizeof(a->relayed6));
	a->refresh_at = UINT64_MAX;
}

void turn_fail(struct turn_alloc *a, int code, const char *why)
{
	unsigned i;

	if (a->state == TURN_S_ALLOCATED)
		turn_emit(a, TURN_EV_LOST, NULL, 0, code, why);
	a->state = TURN_S_FAILED;
	turn_forget_allocation(a);
	a->keepalive_at = UINT64_MAX;
	for (i = 0; i < TURN_MAX_TX; i++)
		turn_tx_end(&a->tx[i]);
	turn_chan_free(a);
	turn_emit(a, TURN_EV_FAILED, NULL, 0, code, why);
}

void turn_start_allocate(struct turn_alloc *a, uint64_t now)
{
	a->state = TURN_S_ALLOCATING;
	turn_tx_cancel(a, STUN_ALLOCATE);
	if (!turn_tx_start(a, STUN_ALLOCATE, (uint8_t)a->active, now))
		turn_fail(a, 0, "no free transaction for ALLOCATE");
}

/* The relay forgot us (437 on REFRESH or CHANNEL-BIND): allocate again, bindings queued again. */
void turn_lose(struct turn_alloc *a, uint64_t now, const char *why)
{
	if (a->state == TURN_S_ALLOCATED)
		turn_emit(a, TURN_EV_LOST, NULL, 0, 437, why);
	turn_forget_allocation(a);
	turn_tx_cancel(a, STUN_REFRESH);
	turn_tx_cancel(a, STUN_CHANNEL_BIND);
	turn_tx_cancel(a, STUN_CREATE_PERMISSION);
	turn_chan_requeue_all(a);
	turn_start_allocate(a, now);
}

struct turn_alloc *turn_alloc_new(const struct turn_config *cfg, uint64_t now)
{
	struct turn_alloc *a;
	unsigned i;

	if (!cfg || !cfg->n_servers || cfg->n_servers > TURN_MAX_SERVERS || !cfg->username ||
	    !cfg->password || strlen(cfg->username) > STUN_MAX_USERNAME ||
	    (cfg->software && strlen(cfg->software) >= sizeof(a->software)))
		return NULL;
	for (i = 0; i < cfg->n_servers; i++)
		if (cfg->servers[i].family != 4 && cfg->servers[i].family != 6)
			return NULL;
	if (sodium_init() < 0)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	if (stun_long_term_key(cfg->username, TURN_REALM, cfg->password, a->key)) {
		free(a);
		return NULL;
	}
	memcpy(a->servers, cfg->servers, sizeof(cfg->servers[0]) * cfg->n_servers);
	a->n_servers = cfg->n_servers;
	a->active = -1;
	strcpy(a->username, cfg->username);
	strcpy(a->software, cfg->software ? cfg->software : "fzgw");
	a->keepalive_at = a->refresh_at = UINT64_MAX;
	a->state = TURN_S_BINDING;
	for (i = 0; i < a->n_servers; i++)
		turn_tx_start(a, STUN_BINDING, (uint8_t)i, now);
	return a;
}

void turn_alloc_free(struct turn_alloc *a)
{
	if (!a)
		return;
	turn_chan_free(a);
	sodium_memzero(a, sizeof(*a)); /* the key and the nonce */
	free(a);
}

enum turn_state turn_alloc_state(const struct turn_alloc *a)
{
	return a->state;
}

const struct turn_stats *turn_alloc_stats(const struct turn_alloc *a)
{
	return &a->stats;
}

enum turn_input turn_alloc_input(struct turn_alloc *a, const struct stun_addr *from,
				 const uint8_t *d, size_t len, uint64_t now)
{
	struct stun_msg m;
	struct turn_tx *t;

	if (stun_parse(&m, d, len) || (m.cls != STUN_SUCCESS && m.cls != STUN_ERROR))
		return TURN_IN_NOT_OURS;
	t = turn_tx_find(a, m.tid);
	if (!t)
		return TURN_IN_NOT_OURS;
	if (!from || !stun_addr_equal(from, &a->servers[t->server])) {
		a->stats.dropped_source++;
		return TURN_IN_DROPPED;
	}
	if (m.method != t->method) {
		a->stats.dropped_malformed++;
		return TURN_IN_DROPPED;
	}
	if (turn_verify(a, t, &m)) {
		a->stats.dropped_integrity++;
		return TURN_IN_DROPPED;
	}
	a->stats.responses++;
	turn_dispatch(a, t, &m, now);
	turn_chan_pump(a, now);
	return TURN_IN_HANDLED;
}

void turn_alloc_tick(struct turn_alloc *a, uint64_t now)
{
	turn_tx_tick(a, now);
	if (a->state >= TURN_S_DELETING) {
		turn_chan_pump(a, now);
		return;
	}
	if (a->active >= 0 && now >= a->keepalive_at) {
		if (!turn_tx_busy(a, STUN_BINDING, true)) {
			struct turn_tx *t = turn_tx_start(a, STUN_BINDING, (uint8_t)a->active, now);

			if (t)
				t->keepalive = true;
		}
		a->keepalive_at = now + TURN_KEEPALIVE_MS;
	}
	if (a->state == TURN_S_ALLOCATED && now >= a->refresh_at) {
		if (!turn_tx_busy(a, STUN_REFRESH, false))
			turn_tx_start(a, STUN_REFRESH, (uint8_t)a->active, now);
		a->refresh_at = UINT64_MAX; /* set again by the answer */
	}
	turn_chan_pump(a, now);
}

uint64_t turn_alloc_deadline(const struct turn_alloc *a)
{
	uint64_t d = turn_tx_deadline(a), c = turn_chan_deadline(a);

	if (c < d)
		d = c;
	if (a->state < TURN_S_DELETING) {
		if (a->keepalive_at < d)
			d = a->keepalive_at;
		if (a->state == TURN_S_ALLOCATED && a->refresh_at < d)
			d = a->refresh_at;
	}
	return d;
}

size_t turn_alloc_transmit(struct turn_alloc *a, uint8_t *buf, size_t cap, struct stun_addr *to)
{
	unsigned i;

	for (i = 0; i < TURN_MAX_TX; i++) {
		struct turn_tx *t = &a->tx[i];
		size_t n;

		if (!t->used || !t->send_now)
			continue;
		t->send_now = false;
		n = turn_tx_build(a, t, buf, cap);
		if (!n)
			continue; /* cannot happen with cap >= TURN_MSG_MAX */
		*to = a->servers[t->server];
		a->stats.sent++;
		return n;
	}
	return 0;
}

int turn_alloc_create_permission(struct turn_alloc *a, const struct stun_addr *peer, uint64_t now)
{
	struct turn_tx *t;

	if (a->state != TURN_S_ALLOCATED || !peer || (peer->family != 4 && peer->family != 6))
		return -1;
	t = turn_tx_start(a, STUN_CREATE_PERMISSION, (uint8_t)a->active, now);
	if (!t)
		return -1;
	t->peer = *peer;
	return 0;
}

void turn_alloc_delete(struct turn_alloc *a, uint64_t now)
{
	struct turn_tx *t;
	unsigned i;

	for (i = 0; i < TURN_MAX_TX; i++)
		turn_tx_end(&a->tx[i]);
	turn_chan_free(a);
	if (a->state != TURN_S_ALLOCATED && a->state != TURN_S_ALLOCATING) {
		if (a->state == TURN_S_BINDING) /* nothing on the relay yet: nothing to send */
			a->state = TURN_S_DELETED;
		return;
	}
	a->state = TURN_S_DELETING;
	t = turn_tx_start(a, STUN_REFRESH, (uint8_t)a->active, now);
	if (t)
		t->lifetime = 0;
	else
		a->state = TURN_S_DELETED;
}
