/* SPDX-License-Identifier: Apache-2.0 */
/* The ICE agent's state, shared by ice_agent.c (candidates, pairs, timers, events), ice_check.c
 * (STUN in and out) and ice_select.c (nomination, path, failure). */
#ifndef FZGW_RELAY_ICE_PRIV_H
#define FZGW_RELAY_ICE_PRIV_H

#include <string.h>

#include "ice_agent.h"

#define ICE_PAIR_TIDS 6 /* the last requests of a pair an answer is matched against */
#define ICE_NONE 0xFF

enum ice_pair_state { ICE_P_WAITING = 0, ICE_P_IN_PROGRESS, ICE_P_SUCCEEDED };
enum ice_nom { ICE_NOM_NONE = 0, ICE_NOM_PENDING, ICE_NOM_YES };

struct ice_local {
	struct ice_cand c;
	struct ice_base base;
	uint16_t local_pref;
	bool used;
};

struct ice_remote {
	struct ice_cand c;
	bool used, discarded, optimistic;
};

struct ice_attempt {
	uint8_t tid[STUN_TID_LEN];
	uint64_t sent_at;
	bool live;
};

struct ice_pair {
	uint8_t local, remote; /* indexes; ICE_NONE: slot free */
	uint8_t state, nom;
	bool triggered;
	uint64_t nom_seq; /* ICE_NOM_YES: when (the agent's nomination count); the latest wins */
	uint32_t id; /* unique within the agent, never 0 */
	uint64_t prio;
	uint32_t sent;   /* requests sent, counted up to the max retransmits */
	uint32_t unans;  /* requests unanswered since the last answer */
	uint64_t unans_since, last_sent, last_ok, last_remote_req;
	bool remote_req; /* last_remote_req is set */
	struct ice_attempt att[ICE_PAIR_TIDS];
	uint8_t att_next;
};

enum ice_tx_kind { ICE_TX_REQUEST = 1, ICE_TX_SUCCESS, ICE_TX_ROLE_CONFLICT };

struct ice_txq {
	uint8_t kind;
	struct ice_base base;
	struct stun_addr to;
	uint8_t tid[STUN_TID_LEN];
	uint32_t prio; /* request: PRIORITY */
};

struct ice_timing {
	uint32_t max_retrans, initial_rto, max_rto;
};

struct ice_agent {
	char lufrag[ICE_UFRAG_MAX + 1], lpwd[ICE_PWD_MAX + 1];
	char rufrag[ICE_UFRAG_MAX + 1], rpwd[ICE_PWD_MAX + 1];
	size_t lpwd_len, rpwd_len;
	uint64_t tie_breaker;
	uint32_t tag;
	struct ice_timing t;
	bool idle, failed, had_path, had_remote;

	struct ice_local local[ICE_MAX_LOCAL];
	struct ice_remote remote[ICE_MAX_REMOTE];
	struct ice_pair pairs[ICE_MAX_PAIRS]; /* a slot is free when its local is ICE_NONE */
	unsigned n_pairs;
	int selected;         /* index into pairs, -1: none */
	uint32_t selected_id; /* the id of the pair in use when events were last emitted */
	uint32_t pair_seq;
	uint64_t nom_seq; /* nominations taking effect, counted (never wraps in practice) */
	unsigned prflx_seq;

	uint64_t created, now, last_check, disconnected_at;
	bool checked_once, disconnected;

	struct ice_txq txq[ICE_MAX_TX];
	unsigned tx_head, tx_len;
	struct ice_event ev[ICE_MAX_EVENTS];
	unsigned ev_head, ev_len;
	struct ice_stats stats;
};

static inline bool ice_addr_eq(const struct stun_addr *x, const struct stun_addr *y)
{
	size_t n = x->family == 6 ? 16 : 4;

	return x->family == y->family && x->port == y->port && !memcmp(x->ip, y->ip, n);
}

static inline bool ice_base_eq(const struct ice_base *x, const struct ice_base *y)
{
	return x->kind == y->kind && (x->kind == ICE_BASE_HOST || x->relay == y->relay);
}

static inline bool ice_pair_used(const struct ice_pair *p)
{
	return p->local != ICE_NONE;
}

/* ice_agent.c */
void ice_emit(struct ice_agent *a, const struct ice_event *ev);
bool ice_queue_tx(struct ice_agent *a, const struct ice_txq *q);
int ice_pair_add(struct ice_agent *a, unsigned li, unsigned ri);
int ice_pair_find(const struct ice_agent *a, unsigned li, unsigned ri);
void ice_pair_remove(struct ice_agent *a, unsigned pi);
int ice_remote_add_prflx(struct ice_agent *a, const struct stun_addr *from, uint32_t prio);
uint32_t ice_local_prflx_prio(const struct ice_agent *a, unsigned li);
uint64_t ice_resend_delay(const struct ice_timing *t, uint32_t send_count);
bool ice_pair_possible(const struct ice_agent *a, const struct ice_pair *p, uint64_t now);

/* ice_select.c */
void ice_evaluate(struct ice_agent *a, uint64_t now);
uint64_t ice_select_deadline(const struct ice_agent *a);

/* ice_check.c */
void ice_send_check(struct ice_agent *a, unsigned pi, uint64_t now);

#endif
