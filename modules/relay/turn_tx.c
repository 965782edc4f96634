/* SPDX-License-Identifier: Apache-2.0 */
/* TURN client transactions: random ids, the requests' attributes, retransmission and give-up. */
#include <string.h>

#include <sodium.h>

#include "turn_priv.h"

struct turn_tx *turn_tx_start(struct turn_alloc *a, uint16_t method, uint8_t server, uint64_t now)
{
	unsigned i;

	for (i = 0; i < TURN_MAX_TX; i++) {
		struct turn_tx *t = &a->tx[i];

		if (t->used)
			continue;
		memset(t, 0, sizeof(*t));
		t->used = true;
		t->send_now = true;
		t->method = method;
		t->server = server;
		t->lifetime = UINT32_MAX;
		t->rto = TURN_RTO_MS;
		t->first_at = now;
		t->next_at = now + TURN_RTO_MS;
		randombytes_buf(t->tid, sizeof(t->tid));
		return t;
	}
	return NULL;
}

struct turn_tx *turn_tx_find(struct turn_alloc *a, const uint8_t *tid)
{
	unsigned i;

	for (i = 0; i < TURN_MAX_TX; i++)
		if (a->tx[i].used && !memcmp(a->tx[i].tid, tid, STUN_TID_LEN))
			return &a->tx[i];
	return NULL;
}

void turn_tx_end(struct turn_tx *t)
{
	memset(t, 0, sizeof(*t));
}

bool turn_tx_busy(const struct turn_alloc *a, uint16_t method, bool keepalive)
{
	unsigned i;

	for (i = 0; i < TURN_MAX_TX; i++)
		if (a->tx[i].used && a->tx[i].method == method && a->tx[i].keepalive == keepalive)
			return true;
	return false;
}

void turn_tx_cancel(struct turn_alloc *a, uint16_t method)
{
	unsigned i;

	for (i = 0; i < TURN_MAX_TX; i++)
		if (a->tx[i].used && a->tx[i].method == method)
			turn_tx_end(&a->tx[i]);
}

/*
 * Long-term credentials (RFC 8489 §9.2) once the server gave a nonce. Before that the request
 * goes unsigned and the server's 401 brings realm and nonce: the original signs its first
 * request without a nonce, which Firezone's relays accept but coturn refuses with 400 (a
 * MESSAGE-INTEGRITY without NONCE is a bad request for it); unsigned works with both.
 */
static void sign(struct turn_alloc *a, struct turn_tx *t, struct stun_builder *b)
{
	t->with_nonce = a->nonce_len > 0;
	if (!t->with_nonce)
		return;
	stun_add_text(b, STUN_A_USERNAME, a->username);
	stun_add_text(b, STUN_A_REALM, TURN_REALM);
	stun_add(b, STUN_A_NONCE, a->nonce, a->nonce_len);
	stun_add_integrity(b, a->key, sizeof(a->key));
}

size_t turn_tx_build(struct turn_alloc *a, struct turn_tx *t, uint8_t *buf, size_t cap)
{
	struct stun_builder b;
	size_t len;

	stun_build_init(&b, buf, cap, t->method, STUN_REQUEST, t->tid);
	switch (t->method) {
	case STUN_BINDING:
		break;
	case STUN_ALLOCATE:
		stun_add_transport(&b, 17);
		stun_add_family(&b, STUN_A_ADDITIONAL_ADDRESS_FAMILY, 6);
		stun_add_text(&b, STUN_A_SOFTWARE, a->software);
		sign(a, t, &b);
		break;
	case STUN_REFRESH:
		if (t->lifetime != UINT32_MAX)
			stun_add_u32(&b, STUN_A_LIFETIME, t->lifetime);
		sign(a, t, &b);
		break;
	case STUN_CHANNEL_BIND:
		stun_add_channel(&b, t->channel);
		stun_add_addr(&b, STUN_A_XOR_PEER_ADDRESS, &t->peer);
		sign(a, t, &b);
		break;
	case STUN_CREATE_PERMISSION:
		stun_add_addr(&b, STUN_A_XOR_PEER_ADDRESS, &t->peer);
		sign(a, t, &b);
		break;
	default:
		return 0;
	}
	return stun_finish(&b, &len) ? 0 : len;
}

void turn_tx_tick(struct turn_alloc *a, uint64_t now)
{
	unsigned i;

	for (i = 0; i < TURN_MAX_TX; i++) {
		struct turn_tx *t = &a->tx[i];
		uint64_t give_up = t->first_at + TURN_GIVE_UP_MS;

		if (!t->used)
			continue;
		if (now >= give_up) {
			turn_tx_failed(a, t, -1, now);
			continue;
		}
		if (now < t->next_at)
			continue;
		t->send_now = true;
		t->attempts++;
		a->stats.retransmits++;
		t->rto *= 2;
		t->next_at = now + t->rto < give_up ? now + t->rto : give_up;
	}
}

uint64_t turn_tx_deadline(const struct turn_alloc *a)
{
	uint64_t d = UINT64_MAX;
	unsigned i;

	for (i = 0; i < TURN_MAX_TX; i++) {
		const struct turn_tx *t = &a->tx[i];

		if (!t->used)
			continue;
		if (t->next_at < d)
			d = t->next_at;
		if (t->first_at + TURN_GIVE_UP_MS < d)
			d = t->first_at + TURN_GIVE_UP_MS;
	}
	return d;
}
