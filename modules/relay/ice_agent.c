/* SPDX-License-Identifier: Apache-2.0 */
/* The ICE agent: creation, credentials, timings, the check schedule, queues and accessors. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ice_priv.h"

static const struct ice_timing timing_default = { ICE_MAX_RETRANS, ICE_INITIAL_RTO_MS,
						  ICE_MAX_RTO_MS };
static const struct ice_timing timing_idle = { ICE_IDLE_MAX_RETRANS, ICE_IDLE_INITIAL_RTO_MS,
					       ICE_IDLE_MAX_RTO_MS };

/* Printable ASCII; a ufrag also without ':' (it separates the two in USERNAME). */
static size_t cred_len(const char *s, size_t max, bool ufrag)
{
	size_t n;

	if (!s)
		return 0;
	for (n = 0; s[n]; n++)
		if (n >= max || s[n] < 0x21 || s[n] > 0x7e || (ufrag && s[n] == ':'))
			return 0;
	return n;
}

struct ice_agent *ice_agent_new(const struct ice_config *cfg, uint64_t now)
{
	struct ice_agent *a;
	size_t lu, lp, ru, rp;
	unsigned i;

	if (!cfg)
		return NULL;
	lu = cred_len(cfg->local_ufrag, ICE_UFRAG_MAX, true);
	ru = cred_len(cfg->remote_ufrag, ICE_UFRAG_MAX, true);
	lp = cred_len(cfg->local_pwd, ICE_PWD_MAX, false);
	rp = cred_len(cfg->remote_pwd, ICE_PWD_MAX, false);
	if (!lu || !ru || !lp || !rp || lu + 1 + ru > STUN_MAX_USERNAME)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	memcpy(a->lufrag, cfg->local_ufrag, lu);
	memcpy(a->rufrag, cfg->remote_ufrag, ru);
	memcpy(a->lpwd, cfg->local_pwd, lp);
	memcpy(a->rpwd, cfg->remote_pwd, rp);
	a->lpwd_len = lp;
	a->rpwd_len = rp;
	a->tie_breaker = cfg->tie_breaker;
	a->tag = cfg->tag;
	a->t = timing_default;
	a->selected = -1;
	a->created = a->now = now;
	for (i = 0; i < ICE_MAX_PAIRS; i++)
		a->pairs[i].local = a->pairs[i].remote = ICE_NONE;
	return a;
}

void ice_agent_free(struct ice_agent *a)
{
	if (!a)
		return;
	sodium_memzero(a, sizeof(*a));
	free(a);
}

void ice_agent_set_idle(struct ice_agent *a, bool idle, uint64_t now)
{
	if (!a || a->idle == idle)
		return;
	a->idle = idle;
	a->t = idle ? timing_idle : timing_default;
	a->now = now;
}

/* min(initial RTO << (n - 1), max RTO): the delay after the n-th request of a pair. */
uint64_t ice_resend_delay(const struct ice_timing *t, uint32_t send_count)
{
	uint32_t shift;
	uint64_t rto;

	if (!send_count)
		return 0;
	shift = send_count - 1 < t->max_retrans ? send_count - 1 : t->max_retrans;
	if (shift >= 32)
		return t->max_rto;
	rto = (uint64_t)t->initial_rto << shift;
	return rto < t->max_rto ? rto : t->max_rto;
}

static uint32_t attempts(const struct ice_agent *a, const struct ice_pair *p)
{
	return p->sent < a->t.max_retrans ? p->sent : a->t.max_retrans;
}

static bool outage(const struct ice_agent *a, const struct ice_pair *p, uint64_t now)
{
	return p->unans && now - p->unans_since > a->t.max_rto / 2;
}

/* When the pair's next request is due: at once when triggered or never checked; else the
 * resend delay after the last one, counted from the first unanswered request once they have
 * been unanswered for more than max RTO / 2 (checks come quicker during an outage). */
static uint64_t next_check(const struct ice_agent *a, const struct ice_pair *p, uint64_t now)
{
	uint32_t n;

	if (p->triggered || p->state == ICE_P_WAITING)
		return now;
	n = outage(a, p, now) ? p->unans : attempts(a, p);
	return p->last_sent + ice_resend_delay(&a->t, n);
}

bool ice_pair_possible(const struct ice_agent *a, const struct ice_pair *p, uint64_t now)
{
	if (p->remote_req && now - p->last_remote_req < ICE_REMOTE_REQ_ALIVE_MS)
		return true;
	if (attempts(a, p) < a->t.max_retrans || p->unans < a->t.max_retrans)
		return true;
	return now < p->last_sent + ice_resend_delay(&a->t, a->t.max_retrans);
}

void ice_agent_tick(struct ice_agent *a, uint64_t now)
{
	uint64_t best_at = UINT64_MAX;
	int best = -1;
	unsigned i;

	if (!a || a->failed)
		return;
	a->now = now;
	for (i = 0; i < ICE_MAX_PAIRS; i++) {
		if (ice_pair_used(&a->pairs[i]) && !ice_pair_possible(a, &a->pairs[i], now)) {
			a->stats.pairs_failed++;
			ice_pair_remove(a, i);
		}
	}
	ice_evaluate(a, now);
	if (a->failed || (a->checked_once && now < a->last_check + ICE_TA_MS))
		return;
	for (i = 0; i < ICE_MAX_PAIRS; i++) {
		const struct ice_pair *p = &a->pairs[i];
		uint64_t at;

		if (!ice_pair_used(p))
			continue;
		at = p->triggered ? 0 : next_check(a, p, now); /* triggered checks go first */
		/* ties: the higher priority first */
		if (best < 0 || at < best_at || (at == best_at && p->prio > a->pairs[best].prio)) {
			best_at = at;
			best = (int)i;
		}
	}
	if (best >= 0 && best_at <= now)
		ice_send_check(a, (unsigned)best, now);
}

uint64_t ice_agent_deadline(const struct ice_agent *a)
{
	uint64_t d = UINT64_MAX, at;
	unsigned i;

	if (!a || a->failed)
		return UINT64_MAX;
	for (i = 0; i < ICE_MAX_PAIRS; i++) {
		const struct ice_pair *p = &a->pairs[i];

		if (!ice_pair_used(p))
			continue;
		at = next_check(a, p, a->now);
		if (a->checked_once && at < a->last_check + ICE_TA_MS)
			at = a->last_check + ICE_TA_MS; /* pacing: one new request per Ta */
		if (at < d)
			d = at;
		/* the moment a silent pair enters its outage (checks quicken, the path may move) */
		if (p->unans && !outage(a, p, a->now)) {
			at = p->unans_since + a->t.max_rto / 2 + 1;
			if (at < d)
				d = at;
		}
		/* a pair kept possible only by the peer's checks */
		if (p->remote_req && p->last_remote_req + ICE_REMOTE_REQ_ALIVE_MS > a->now &&
		    p->last_remote_req + ICE_REMOTE_REQ_ALIVE_MS < d)
			d = p->last_remote_req + ICE_REMOTE_REQ_ALIVE_MS;
	}
	at = ice_select_deadline(a);
	return at < d ? at : d;
}

void ice_emit(struct ice_agent *a, const struct ice_event *ev)
{
	if (a->ev_len == ICE_MAX_EVENTS) { /* the oldest goes */
		a->ev_head = (a->ev_head + 1) % ICE_MAX_EVENTS;
		a->ev_len--;
		a->stats.events_dropped++;
	}
	a->ev[(a->ev_head + a->ev_len) % ICE_MAX_EVENTS] = *ev;
	a->ev_len++;
}

bool ice_agent_event(struct ice_agent *a, struct ice_event *ev)
{
	if (!a || !a->ev_len)
		return false;
	*ev = a->ev[a->ev_head];
	a->ev_head = (a->ev_head + 1) % ICE_MAX_EVENTS;
	a->ev_len--;
	return true;
}

bool ice_queue_tx(struct ice_agent *a, const struct ice_txq *q)
{
	if (a->tx_len == ICE_MAX_TX) {
		a->stats.tx_dropped++;
		return false;
	}
	a->txq[(a->tx_head + a->tx_len) % ICE_MAX_TX] = *q;
	a->tx_len++;
	return true;
}

bool ice_agent_path(const struct ice_agent *a, struct ice_base *base, struct stun_addr *remote)
{
	const struct ice_pair *p;

	if (!a || a->selected < 0)
		return false;
	p = &a->pairs[a->selected];
	if (base)
		*base = a->local[p->local].base;
	if (remote)
		*remote = a->remote[p->remote].c.addr;
	return true;
}

bool ice_agent_failed(const struct ice_agent *a)
{
	return a && a->failed;
}

const struct ice_stats *ice_agent_stats(const struct ice_agent *a)
{
	return a ? &a->stats : NULL;
}

unsigned ice_agent_n_pairs(const struct ice_agent *a)
{
	return a ? a->n_pairs : 0;
}

uint32_t ice_tid_tag(const uint8_t tid[STUN_TID_LEN])
{
	return (uint32_t)tid[0] << 24 | (uint32_t)tid[1] << 16 | (uint32_t)tid[2] << 8 | tid[3];
}
