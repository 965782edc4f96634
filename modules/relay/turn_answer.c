/* SPDX-License-Identifier: Apache-2.0 */
/* The TURN allocation's answers: checks, nonces and realm, 437, and what each method's
 * success or failure does. */
#include <string.h>

#include "turn_priv.h"

static void binding_answer(struct turn_alloc *a, struct turn_tx *t,
			   const struct stun_msg *m, uint64_t now)
{
	struct stun_addr mapped;

	if (stun_get_addr(m, STUN_A_XOR_MAPPED_ADDRESS, &mapped) &&
	    stun_get_addr(m, STUN_A_MAPPED_ADDRESS, &mapped)) {
		if (a->active < 0) /* no address learnt: as if this relay address did not answer */
			turn_tx_failed(a, t, -1, now);
		return; /* a keepalive answered all the same */
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
	if (!t) { /* no free transaction: as if unanswered */
		turn_tx_failed(a, &copy, -1, now);
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

	turn_forget_allocation(a);
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
			turn_forget_allocation(a);
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

int turn_verify(struct turn_alloc *a, const struct turn_tx *t, const struct stun_msg *m)
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

void turn_dispatch(struct turn_alloc *a, struct turn_tx *t, const struct stun_msg *m,
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
