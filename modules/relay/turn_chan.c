/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TURN channel bindings of one allocation: numbers 0x4000-0x4FFF, a binding per peer, bound for
 * 10 min and refreshed at half-life, and after an expiry the number (and the peer's pairing
 * with it) kept out of other use for 5 min (RFC 8656 §12). A binding asked for before the
 * allocation exists is queued (at most TURN_MAX_QUEUED_BINDINGS).
 */
#include <stdlib.h>
#include <string.h>

#include "turn_priv.h"

bool stun_addr_equal(const struct stun_addr *x, const struct stun_addr *y)
{
	size_t n = x->family == 4 ? 4 : 16;

	return x->family == y->family && x->port == y->port && !memcmp(x->ip, y->ip, n);
}

struct turn_chan *turn_chan_by_peer(const struct turn_alloc *a, const struct stun_addr *peer)
{
	unsigned i;

	for (i = 0; i < a->n_chans; i++)
		if (stun_addr_equal(&a->chans[i].peer, peer))
			return &a->chans[i];
	return NULL;
}

struct turn_chan *turn_chan_by_number(const struct turn_alloc *a, uint16_t number)
{
	unsigned i;

	for (i = 0; i < a->n_chans; i++)
		if (a->chans[i].number == number)
			return &a->chans[i];
	return NULL;
}

static int free_number(struct turn_alloc *a)
{
	unsigned k;

	for (k = 0; k < TURN_MAX_CHANNELS; k++) {
		uint16_t n = (uint16_t)(0x4000 + (a->next_number + k) % TURN_MAX_CHANNELS);

		if (!turn_chan_by_number(a, n)) {
			a->next_number = (uint16_t)((n - 0x4000 + 1) % TURN_MAX_CHANNELS);
			return n;
		}
	}
	return -1;
}

static unsigned queued(const struct turn_alloc *a)
{
	unsigned i, n = 0;

	for (i = 0; i < a->n_chans; i++)
		n += a->chans[i].state == CH_QUEUED;
	return n;
}

int turn_alloc_bind_channel(struct turn_alloc *a, const struct stun_addr *peer, uint64_t now)
{
	struct turn_chan *c;
	int number;

	if (a->state >= TURN_S_DELETING || !peer || (peer->family != 4 && peer->family != 6))
		return -1;
	c = turn_chan_by_peer(a, peer);
	if (c) {
		if (c->state == CH_COOLDOWN) /* the same peer on the same number: allowed */
			c->state = CH_QUEUED;
		turn_chan_pump(a, now);
		return c->number;
	}
	if (queued(a) >= TURN_MAX_QUEUED_BINDINGS)
		return -1;
	number = free_number(a);
	if (number < 0)
		return -1;
	if (a->n_chans == a->cap_chans) {
		unsigned cap = a->cap_chans ? a->cap_chans * 2 : 16;
		struct turn_chan *p = realloc(a->chans, cap * sizeof(*p));

		if (!p)
			return -1;
		a->chans = p;
		a->cap_chans = cap;
	}
	c = &a->chans[a->n_chans++];
	memset(c, 0, sizeof(*c));
	c->peer = *peer;
	c->number = (uint16_t)number;
	c->state = CH_QUEUED;
	turn_chan_pump(a, now);
	return number;
}

int turn_alloc_channel_of(const struct turn_alloc *a, const struct stun_addr *peer)
{
	const struct turn_chan *c = turn_chan_by_peer(a, peer);

	return c && (c->state == CH_BOUND || c->state == CH_REFRESHING) ? c->number : -1;
}

bool turn_alloc_peer_of(const struct turn_alloc *a, uint16_t channel, struct stun_addr *peer)
{
	const struct turn_chan *c = turn_chan_by_number(a, channel);

	if (!c || (c->state != CH_BOUND && c->state != CH_REFRESHING))
		return false;
	*peer = c->peer;
	return true;
}

static bool send_bind(struct turn_alloc *a, struct turn_chan *c, uint64_t now)
{
	struct turn_tx *t = turn_tx_start(a, STUN_CHANNEL_BIND, (uint8_t)a->active, now);

	if (!t)
		return false;
	t->channel = c->number;
	t->peer = c->peer;
	return true;
}

static void expire(struct turn_alloc *a, struct turn_chan *c, uint64_t at)
{
	c->state = CH_COOLDOWN;
	c->cooldown_until = at + TURN_CHANNEL_COOLDOWN_MS;
	turn_emit(a, TURN_EV_CHANNEL_EXPIRED, &c->peer, c->number, 0, "channel binding expired");
}

void turn_chan_pump(struct turn_alloc *a, uint64_t now)
{
	bool can_send = a->state == TURN_S_ALLOCATED;
	unsigned i;

	for (i = a->n_chans; i-- > 0;) {
		struct turn_chan *c = &a->chans[i];

		if ((c->state == CH_BOUND || c->state == CH_REFRESHING) && now >= c->bound_until)
			expire(a, c, c->bound_until);
		if (c->state == CH_COOLDOWN && now >= c->cooldown_until) {
			a->chans[i] = a->chans[--a->n_chans];
			continue;
		}
		if (!can_send)
			continue;
		if (c->state == CH_QUEUED && send_bind(a, c, now))
			c->state = CH_BINDING;
		else if (c->state == CH_BOUND && now >= c->refresh_at) {
			if (send_bind(a, c, now))
				c->state = CH_REFRESHING;
			else /* no free transaction: try again in a second, not in a loop */
				c->refresh_at = now + TURN_RTO_MS;
		}
	}
}

void turn_chan_answer(struct turn_alloc *a, struct turn_tx *t, int code, uint64_t now)
{
	struct turn_chan *c = turn_chan_by_number(a, t->channel);

	if (!c || !stun_addr_equal(&c->peer, &t->peer))
		return;
	if (code == 0) {
		if (c->state == CH_BINDING)
			turn_emit(a, TURN_EV_CHANNEL_BOUND, &c->peer, c->number, 0, "channel bound");
		c->state = CH_BOUND;
		c->bound_until = now + TURN_CHANNEL_LIFETIME_MS;
		c->refresh_at = now + TURN_CHANNEL_LIFETIME_MS / 2;
	} else if (c->state == CH_BINDING) {
		/* the relay may have bound it anyway: keep the number out of use */
		c->state = CH_COOLDOWN;
		c->cooldown_until = now + TURN_CHANNEL_COOLDOWN_MS;
		turn_emit(a, TURN_EV_CHANNEL_FAILED, &c->peer, c->number, code > 0 ? code : 0,
			  code > 0 ? "CHANNEL-BIND refused" : "CHANNEL-BIND unanswered");
	} else if (c->state == CH_REFRESHING) {
		c->state = CH_BOUND;
		c->refresh_at = c->bound_until; /* no retry: it expires */
	}
}

void turn_chan_requeue_all(struct turn_alloc *a)
{
	unsigned i;

	for (i = a->n_chans; i-- > 0;) {
		if (a->chans[i].state == CH_COOLDOWN)
			a->chans[i] = a->chans[--a->n_chans];
		else
			a->chans[i].state = CH_QUEUED;
	}
}

uint64_t turn_chan_deadline(const struct turn_alloc *a)
{
	uint64_t d = UINT64_MAX;
	unsigned i;

	for (i = 0; i < a->n_chans; i++) {
		const struct turn_chan *c = &a->chans[i];
		uint64_t t = UINT64_MAX;

		if (c->state == CH_BOUND)
			t = c->refresh_at < c->bound_until ? c->refresh_at : c->bound_until;
		else if (c->state == CH_REFRESHING)
			t = c->bound_until;
		else if (c->state == CH_COOLDOWN)
			t = c->cooldown_until;
		if (t < d)
			d = t;
	}
	return d;
}

void turn_chan_free(struct turn_alloc *a)
{
	free(a->chans);
	a->chans = NULL;
	a->n_chans = a->cap_chans = 0;
}
