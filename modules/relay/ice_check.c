/* SPDX-License-Identifier: Apache-2.0 */
/* The ICE agent's STUN: connectivity checks out, answers to them in, checks from the peer in
 * and our answers out. Every incoming message goes through the STUN parser; nothing is trusted
 * before its MESSAGE-INTEGRITY is checked with the right password. */
#include <string.h>

#include <sodium.h>

#include "ice_priv.h"

bool ice_request_ufrag(const struct stun_msg *m, const char **ufrag, size_t *len)
{
	const char *s, *colon;
	size_t n;

	if (!m || m->method != STUN_BINDING || m->cls != STUN_REQUEST ||
	    stun_get_text(m, STUN_A_USERNAME, &s, &n) != STUN_OK)
		return false;
	colon = memchr(s, ':', n);
	if (!colon)
		return false;
	*ufrag = s;
	*len = (size_t)(colon - s);
	return true;
}

static bool text_is(const char *s, size_t n, const char *want)
{
	return strlen(want) == n && !memcmp(s, want, n);
}

void ice_send_check(struct ice_agent *a, unsigned pi, uint64_t now)
{
	struct ice_pair *p = &a->pairs[pi];
	struct ice_attempt *at = &p->att[p->att_next];
	struct ice_txq q;

	memset(&q, 0, sizeof(q));
	q.kind = ICE_TX_REQUEST;
	q.base = a->local[p->local].base;
	q.to = a->remote[p->remote].c.addr;
	q.prio = ice_local_prflx_prio(a, p->local);
	q.tid[0] = (uint8_t)(a->tag >> 24);
	q.tid[1] = (uint8_t)(a->tag >> 16);
	q.tid[2] = (uint8_t)(a->tag >> 8);
	q.tid[3] = (uint8_t)a->tag;
	randombytes_buf(q.tid + 4, STUN_TID_LEN - 4);
	if (!ice_queue_tx(a, &q))
		return; /* the queue is full: tried again on a later tick */
	memcpy(at->tid, q.tid, STUN_TID_LEN);
	at->sent_at = now;
	at->live = true;
	p->att_next = (uint8_t)((p->att_next + 1) % ICE_PAIR_TIDS);
	if (p->sent < UINT32_MAX)
		p->sent++;
	if (!p->unans)
		p->unans_since = now;
	if (p->unans < UINT32_MAX)
		p->unans++;
	p->last_sent = now;
	p->triggered = false;
	if (p->state == ICE_P_WAITING)
		p->state = ICE_P_IN_PROGRESS;
	a->last_check = now;
	a->checked_once = true;
	a->stats.checks_sent++;
}

/* The local candidate a datagram over @base from @from arrived on: the host or relayed
 * candidate of that base and family. */
static int local_for(const struct ice_agent *a, const struct ice_base *base,
		     const struct stun_addr *from)
{
	unsigned i;

	for (i = 0; i < ICE_MAX_LOCAL; i++) {
		const struct ice_local *l = &a->local[i];

		if (l->used && (l->c.type == ICE_HOST || l->c.type == ICE_RELAY) &&
		    ice_base_eq(&l->base, base) && l->c.addr.family == from->family)
			return (int)i;
	}
	return -1;
}

/* The remote candidate at @from (the highest priority if several), or a new peer-reflexive
 * one; -1 (counted) when the address was withdrawn or there is no room. */
static int remote_for(struct ice_agent *a, const struct stun_addr *from, uint32_t prio)
{
	int best = -1, i;
	bool withdrawn = false;

	for (i = 0; i < ICE_MAX_REMOTE; i++) {
		const struct ice_remote *r = &a->remote[i];

		if (!r->used || !ice_addr_eq(&r->c.addr, from))
			continue;
		if (r->discarded)
			withdrawn = true;
		else if (best < 0 || r->c.priority > a->remote[best].c.priority)
			best = i;
	}
	if (best >= 0)
		return best;
	if (withdrawn) {
		a->stats.dropped_discarded++;
		return -1;
	}
	return ice_remote_add_prflx(a, from, prio);
}

static int pair_for(struct ice_agent *a, unsigned li, unsigned ri, const struct stun_addr *from)
{
	unsigned i;

	for (i = 0; i < ICE_MAX_PAIRS; i++) {
		const struct ice_pair *p = &a->pairs[i];

		if (ice_pair_used(p) && p->local == li && ice_addr_eq(&a->remote[p->remote].c.addr, from))
			return (int)i;
	}
	return ice_pair_add(a, li, ri);
}

static enum ice_input drop(uint64_t *counter)
{
	(*counter)++;
	return ICE_IN_DROPPED;
}

/* The client's nomination takes effect. Another pair in use is checked at once: if it does not
 * answer within ICE_RENOMINATION_WAIT_MS, this newer nomination takes over (ice_select.c). */
static void nominate(struct ice_agent *a, struct ice_pair *p)
{
	struct ice_pair *sel = a->selected >= 0 ? &a->pairs[a->selected] : NULL;

	p->nom = ICE_NOM_YES;
	p->nom_seq = ++a->nom_seq;
	if (sel && sel != p && !sel->unans)
		sel->triggered = true;
}

static enum ice_input on_request(struct ice_agent *a, const struct stun_msg *m,
				 const struct ice_base *base, const struct stun_addr *from,
				 uint64_t now)
{
	const char *user, *colon;
	size_t n, lu;
	uint32_t prio;
	struct ice_txq q;
	struct ice_pair *p;
	int li, ri, pi;

	if (stun_get_text(m, STUN_A_USERNAME, &user, &n) != STUN_OK ||
	    !(colon = memchr(user, ':', n)))
		return ICE_IN_NOT_OURS;
	lu = (size_t)(colon - user);
	if (!text_is(user, lu, a->lufrag))
		return ICE_IN_NOT_OURS;
	if (!text_is(colon + 1, n - lu - 1, a->rufrag))
		return drop(&a->stats.dropped_username);
	if (m->mi < 0 || stun_check_integrity(m, (const uint8_t *)a->lpwd, a->lpwd_len) != STUN_OK)
		return drop(&a->stats.dropped_integrity);
	if (m->fp >= 0 && stun_check_fingerprint(m) != STUN_OK)
		return drop(&a->stats.dropped_fingerprint);
	if (m->n_unknown || stun_get_u32(m, STUN_A_PRIORITY, &prio) != STUN_OK || !prio ||
	    prio > 0x7fffffffu)
		return drop(&a->stats.dropped_malformed);
	if (a->failed)
		return ICE_IN_DROPPED;
	a->stats.requests_in++;
	memset(&q, 0, sizeof(q));
	q.base = *base;
	q.to = *from;
	memcpy(q.tid, m->tid, STUN_TID_LEN);
	if (stun_has(m, STUN_A_ICE_CONTROLLED)) {
		/* both controlled: we stay so, the 487 makes the peer take the controlling role */
		q.kind = ICE_TX_ROLE_CONFLICT;
		if (ice_queue_tx(a, &q))
			a->stats.role_conflicts_sent++;
		return ICE_IN_HANDLED;
	}
	li = local_for(a, base, from);
	if (li < 0)
		return drop(&a->stats.dropped_no_local);
	ri = remote_for(a, from, prio);
	if (ri < 0)
		return ICE_IN_DROPPED;
	pi = pair_for(a, (unsigned)li, (unsigned)ri, from);
	if (pi < 0)
		return ICE_IN_DROPPED;
	p = &a->pairs[pi];
	p->remote_req = true;
	p->last_remote_req = now;
	if (stun_has(m, STUN_A_USE_CANDIDATE)) {
		if (p->state == ICE_P_SUCCEEDED)
			nominate(a, p);
		else
			p->nom = ICE_NOM_PENDING; /* nominated when our check succeeds */
		if (p->unans && now - p->unans_since >= a->t.initial_rto)
			p->triggered = true; /* silent lately: confirm it at once */
	}
	if (p->state != ICE_P_SUCCEEDED)
		p->triggered = true;
	q.kind = ICE_TX_SUCCESS;
	ice_queue_tx(a, &q);
	ice_evaluate(a, now);
	return ICE_IN_HANDLED;
}

static struct ice_attempt *find_attempt(struct ice_agent *a, const uint8_t *tid, int *pi)
{
	unsigned i, k;

	for (i = 0; i < ICE_MAX_PAIRS; i++) {
		struct ice_pair *p = &a->pairs[i];

		if (!ice_pair_used(p))
			continue;
		for (k = 0; k < ICE_PAIR_TIDS; k++) {
			if (p->att[k].live && !memcmp(p->att[k].tid, tid, STUN_TID_LEN)) {
				*pi = (int)i;
				return &p->att[k];
			}
		}
	}
	return NULL;
}

static enum ice_input on_response(struct ice_agent *a, const struct stun_msg *m,
				  const struct ice_base *base, const struct stun_addr *from,
				  uint64_t now)
{
	struct ice_attempt *at;
	struct stun_addr mapped;
	struct ice_pair *p;
	int pi = -1, code;
	const char *reason;
	size_t rlen;

	if (a->failed || !(at = find_attempt(a, m->tid, &pi)))
		return ICE_IN_NOT_OURS;
	p = &a->pairs[pi];
	if (m->mi < 0 || stun_check_integrity(m, (const uint8_t *)a->rpwd, a->rpwd_len) != STUN_OK)
		return drop(&a->stats.dropped_integrity);
	if (m->fp >= 0 && stun_check_fingerprint(m) != STUN_OK)
		return drop(&a->stats.dropped_fingerprint);
	/* RFC 8445 §7.2.5.2.1: the answer comes from where the request went, over its base */
	if (!ice_base_eq(base, &a->local[p->local].base) ||
	    !ice_addr_eq(from, &a->remote[p->remote].c.addr))
		return drop(&a->stats.dropped_asymmetric);
	if (m->cls == STUN_ERROR) {
		at->live = false;
		if (stun_get_error(m, &code, &reason, &rlen) == STUN_OK && code == 487)
			a->stats.role_conflicts_received++;
		else
			a->stats.error_responses++;
		return ICE_IN_HANDLED;
	}
	if (stun_get_addr(m, STUN_A_XOR_MAPPED_ADDRESS, &mapped) != STUN_OK)
		return drop(&a->stats.dropped_malformed);
	at->live = false;
	a->stats.checks_ok++;
	p->state = ICE_P_SUCCEEDED;
	p->unans = 0;
	p->last_ok = now;
	if (p->nom == ICE_NOM_PENDING)
		nominate(a, p);
	ice_evaluate(a, now);
	return ICE_IN_HANDLED;
}

enum ice_input ice_agent_input(struct ice_agent *a, const struct ice_base *base,
			       const struct stun_addr *from, const uint8_t *d, size_t len,
			       uint64_t now)
{
	struct stun_msg m;

	if (!a || !base || !from || !d || stun_parse(&m, d, len) != STUN_OK ||
	    m.method != STUN_BINDING)
		return ICE_IN_NOT_OURS;
	if (from->family != 4 && from->family != 6)
		return ICE_IN_NOT_OURS;
	if (now > a->now)
		a->now = now;
	switch (m.cls) {
	case STUN_REQUEST:
		return on_request(a, &m, base, from, now);
	case STUN_SUCCESS:
	case STUN_ERROR:
		return on_response(a, &m, base, from, now);
	default:
		return ICE_IN_NOT_OURS; /* indications: a NAT keepalive, nothing to answer */
	}
}

static int build(const struct ice_agent *a, const struct ice_txq *q, uint8_t *buf, size_t cap,
		 size_t *len)
{
	char user[STUN_MAX_USERNAME + 2];
	struct stun_builder b;
	size_t ru;

	switch (q->kind) {
	case ICE_TX_REQUEST:
		stun_build_init(&b, buf, cap, STUN_BINDING, STUN_REQUEST, q->tid);
		ru = strlen(a->rufrag);
		memcpy(user, a->rufrag, ru);
		user[ru] = ':';
		memcpy(user + ru + 1, a->lufrag, strlen(a->lufrag) + 1);
		stun_add_text(&b, STUN_A_USERNAME, user);
		stun_add_u32(&b, STUN_A_PRIORITY, q->prio);
		stun_add_u64(&b, STUN_A_ICE_CONTROLLED, a->tie_breaker);
		stun_add_integrity(&b, (const uint8_t *)a->rpwd, a->rpwd_len);
		break;
	case ICE_TX_SUCCESS:
		stun_build_init(&b, buf, cap, STUN_BINDING, STUN_SUCCESS, q->tid);
		stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &q->to);
		stun_add_integrity(&b, (const uint8_t *)a->lpwd, a->lpwd_len);
		break;
	default:
		stun_build_init(&b, buf, cap, STUN_BINDING, STUN_ERROR, q->tid);
		stun_add_error(&b, 487, "Role Conflict");
		stun_add_integrity(&b, (const uint8_t *)a->lpwd, a->lpwd_len);
		break;
	}
	stun_add_fingerprint(&b);
	return stun_finish(&b, len);
}

size_t ice_agent_transmit(struct ice_agent *a, uint8_t *buf, size_t cap, struct ice_transmit *tx)
{
	while (a && buf && tx && a->tx_len) {
		const struct ice_txq *q = &a->txq[a->tx_head];
		size_t len = 0;
		int err;

		a->tx_head = (a->tx_head + 1) % ICE_MAX_TX;
		a->tx_len--;
		err = build(a, q, buf, cap, &len);
		if (err != STUN_OK || !len) {
			a->stats.tx_dropped++;
			continue;
		}
		if (q->kind == ICE_TX_SUCCESS)
			a->stats.responses_sent++;
		tx->base = q->base;
		tx->to = q->to;
		tx->len = len;
		return len;
	}
	return 0;
}
