/* SPDX-License-Identifier: Apache-2.0 */
/* The TURN allocation state machine: public API, answers to our requests, timers. */
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

static void forget_allocation(struct turn_alloc *a)
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
	forget_allocation(a);
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
	forget_allocation(a);
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

static void binding_answer(struct turn_alloc *a, struct turn_tx *t,
			   const struct stun_msg *m, uint64_t now)
{
	struct stun_addr mapped;

	if (m->cls != STUN_SUCCESS ||
	    (stun_get_addr(m, STUN_A_XOR_MAPPED_ADDRESS, &mapped) &&
	     stun_get_addr(m, STUN_A_MAPPED_ADDRESS, &mapped))) {
		turn_tx_failed(a, t, -1, now); /* the same as no answer */
		return;
	}
	if (a->active < 0) {
		a->active = t->server;
		turn_tx_cancel(a, STUN_BINDING); /* the first to answer wins */
		a->srflx = mapped;
		turn_emit(a, TURN_EV_SRFLX, NULL, 0, 0, "first relay address answered");
		a->keepalive_at = now + TURN_KEEPALIVE_MS;
		turn_start_allocate(a, now);
		return;
	}
	if (!stun_addr_equal(&mapped, &a->srflx)) {
		a->srflx = mapped;
		turn_emit(a, TURN_EV_SRFLX, NULL, 0, 0, "server-reflexive address changed");
	}
}

/* A 401 or 438: take the nonce and send the request again; false when we must give up. */
static bool renonce(struct turn_alloc *a, const struct turn_tx *t, const struct stun_msg *m,
		    int code)
{
	const char *s;
	size_t n;

	if (code == 401 && t->with_nonce) {
		turn_fail(a, 401, "credentials refused (401 after a nonce)");
		return false;
	}
	if (code == 401 && (stun_get_text(m, STUN_A_REALM, &s, &n) || n != strlen(TURN_REALM) ||
			    memcmp(s, TURN_REALM, n))) {
		turn_fail(a, 401, "relay offers another realm than \"firezone\"");
		return false;
	}
	if (code == 438 && ++a->stale_nonces > TURN_MAX_STALE_NONCE) {
		turn_fail(a, 438, "stale nonce again and again");
		return false;
	}
	if (stun_get_text(m, STUN_A_NONCE, &s, &n) || !n || n > TURN_MAX_NONCE) {
		turn_fail(a, code, "401/438 without a usable NONCE");
		return false;
	}
	memcpy(a->nonce, s, n);
	a->nonce[n] = 0;
	a->nonce_len = n;
	return true;
}

static void resend(struct turn_alloc *a, const struct turn_tx *old, uint64_t now)
{
	struct turn_tx copy = *old, *t;

	turn_tx_end((struct turn_tx *)old);
	t = turn_tx_start(a, copy.method, copy.server, now);
	if (!t) {
		turn_fail(a, 0, "no free transaction");
		return;
	}
	t->lifetime = copy.lifetime;
	t->channel = copy.channel;
	t->peer = copy.peer;
	t->then_allocate = copy.then_allocate;
}

static void allocated(struct turn_alloc *a, const struct stun_msg *m, uint64_t now)
{
	struct stun_addr relayed[2];
	uint32_t lifetime = 600;
	unsigned i, n;

	forget_allocation(a);
	n = stun_get_addrs(m, STUN_A_XOR_RELAYED_ADDRESS, relayed, 2);
	for (i = 0; i < n; i++)
		*(relayed[i].family == 4 ? &a->relayed4 : &a->relayed6) = relayed[i];
	if (!n) {
		turn_fail(a, 0, "ALLOCATE success without XOR-RELAYED-ADDRESS");
		return;
	}
	if (stun_get_addr(m, STUN_A_XOR_MAPPED_ADDRESS, &relayed[0]) == STUN_OK)
		a->srflx = relayed[0];
	if (stun_get_u32(m, STUN_A_LIFETIME, &lifetime) || !lifetime)
		lifetime = 600;
	a->refresh_at = now + (uint64_t)lifetime * 500;
	a->state = TURN_S_ALLOCATED;
	a->deleted_once = false;
	turn_emit(a, TURN_EV_ALLOCATED, NULL, 0, 0, "allocated");
}

static void refreshed(struct turn_alloc *a, const struct turn_tx *t, const struct stun_msg *m,
		      uint64_t now)
{
	uint32_t lifetime = 600;

	if (t->lifetime == 0) { /* a delete */
		if (t->then_allocate) {
			turn_start_allocate(a, now);
		} else {
			forget_allocation(a);
			a->state = TURN_S_DELETED;
		}
		return;
	}
	if (stun_get_u32(m, STUN_A_LIFETIME, &lifetime) || !lifetime)
		lifetime = 600;
	a->refresh_at = now + (uint64_t)lifetime * 500;
}

static void error_answer(struct turn_alloc *a, struct turn_tx *t, const struct stun_msg *m,
			 int code, uint64_t now)
{
	if (code == 401 || code == 438) {
		if (renonce(a, t, m, code))
			resend(a, t, now);
		return;
	}
	if (code == 437 && t->method == STUN_ALLOCATE && !a->deleted_once) {
		struct turn_tx *d;

		a->deleted_once = true;
		turn_tx_end(t);
		d = turn_tx_start(a, STUN_REFRESH, (uint8_t)a->active, now);
		if (!d) {
			turn_fail(a, 437, "no free transaction");
			return;
		}
		d->lifetime = 0;
		d->then_allocate = true;
		return;
	}
	if (code == 437 && (t->method == STUN_REFRESH || t->method == STUN_CHANNEL_BIND ||
			    t->method == STUN_CREATE_PERMISSION) && t->lifetime != 0) {
		turn_tx_end(t);
		turn_lose(a, now, "437 allocation mismatch: allocating again");
		return;
	}
	turn_tx_failed(a, t, code, now); /* refused: a failed transaction */
}

void turn_tx_failed(struct turn_alloc *a, struct turn_tx *t, int code, uint64_t now)
{
	struct turn_tx copy = *t;
	int c = code > 0 ? code : 0;

	turn_tx_end(t);
	switch (copy.method) {
	case STUN_BINDING:
		if (a->active >= 0 && copy.server != a->active)
			break; /* a late loser */
		if (a->active >= 0)
			turn_fail(a, c, "relay stopped answering BINDING keepalives");
		else if (!turn_tx_busy(a, STUN_BINDING, false))
			turn_fail(a, c, "no relay address answered BINDING");
		break;
	case STUN_ALLOCATE:
		turn_fail(a, c, code > 0 ? "ALLOCATE refused" : "ALLOCATE unanswered");
		break;
	case STUN_REFRESH:
		if (copy.lifetime == 0 && copy.then_allocate)
			turn_start_allocate(a, now);
		else if (copy.lifetime == 0)
			a->state = TURN_S_DELETED;
		else
			turn_fail(a, c, code > 0 ? "REFRESH refused" : "REFRESH unanswered");
		break;
	case STUN_CHANNEL_BIND:
		turn_chan_answer(a, &copy, code, now);
		break;
	case STUN_CREATE_PERMISSION:
		turn_emit(a, TURN_EV_PERMISSION_FAILED, &copy.peer, 0, c,
			  code > 0 ? "CreatePermission refused" : "CreatePermission unanswered");
		break;
	}
}

static int verify(struct turn_alloc *a, const struct turn_tx *t, const struct stun_msg *m)
{
	if (m->fp >= 0 && stun_check_fingerprint(m))
		return -1;
	if (t->method == STUN_BINDING)
		return 0;
	/* answers to signed requests: a success must be signed with our key; an error may be
	 * unsigned (a 401 always is) but if signed, the signature must hold */
	if (m->mi < 0)
		return m->cls == STUN_SUCCESS ? -1 : 0;
	return stun_check_integrity(m, a->key, sizeof(a->key)) ? -1 : 0;
}

static void dispatch(struct turn_alloc *a, struct turn_tx *t, const struct stun_msg *m,
		     uint64_t now)
{
	const char *reason;
	size_t rlen;
	int code = 0;

	if (m->cls == STUN_ERROR && stun_get_error(m, &code, &reason, &rlen))
		code = 500; /* an error without a readable code: a failure all the same */
	if (m->cls == STUN_SUCCESS && m->n_unknown)
		code = 420; /* RFC 8489 §7.3.3: unknown comprehension-required attributes */
	if (t->method == STUN_BINDING) {
		struct turn_tx copy = *t;

		turn_tx_end(t);
		if (code && a->active >= 0 && copy.server == a->active)
			return; /* an error to a keepalive: still, the relay answered */
		if (code) {
			turn_tx_failed(a, &copy, code, now);
		} else {
			binding_answer(a, &copy, m, now);
		}
		return;
	}
	if (code) {
		error_answer(a, t, m, code, now);
		return;
	}
	a->stale_nonces = 0;
	switch (t->method) {
	case STUN_ALLOCATE:
		turn_tx_end(t);
		allocated(a, m, now);
		break;
	case STUN_REFRESH: {
		struct turn_tx copy = *t;

		turn_tx_end(t);
		refreshed(a, &copy, m, now);
		break;
	}
	case STUN_CHANNEL_BIND: {
		struct turn_tx copy = *t;

		turn_tx_end(t);
		turn_chan_answer(a, &copy, 0, now);
		break;
	}
	case STUN_CREATE_PERMISSION:
		turn_emit(a, TURN_EV_PERMISSION, &t->peer, 0, 0, "permission created");
		turn_tx_end(t);
		break;
	}
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
	if (verify(a, t, &m)) {
		a->stats.dropped_integrity++;
		return TURN_IN_DROPPED;
	}
	a->stats.responses++;
	dispatch(a, t, &m, now);
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

	if (a->state != TURN_S_ALLOCATED && a->state != TURN_S_ALLOCATING) {
		if (a->state == TURN_S_BINDING)
			a->state = TURN_S_DELETED;
		return;
	}
	for (i = 0; i < TURN_MAX_TX; i++)
		turn_tx_end(&a->tx[i]);
	turn_chan_free(a);
	a->state = TURN_S_DELETING;
	t = turn_tx_start(a, STUN_REFRESH, (uint8_t)a->active, now);
	if (t)
		t->lifetime = 0;
	else
		a->state = TURN_S_DELETED;
}
