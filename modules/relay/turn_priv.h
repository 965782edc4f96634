/* SPDX-License-Identifier: Apache-2.0 */
/* The TURN allocation's insides, shared by turn_alloc.c, turn_answer.c, turn_tx.c, turn_chan.c. */
#ifndef FZGW_RELAY_TURN_PRIV_H
#define FZGW_RELAY_TURN_PRIV_H

#include "turn_alloc.h"

enum chan_state {
	CH_QUEUED = 0, /* waiting for the allocation (or a free transaction) */
	CH_BINDING,    /* first CHANNEL-BIND in flight */
	CH_BOUND,
	CH_REFRESHING, /* bound, CHANNEL-BIND refresh in flight */
	CH_COOLDOWN,   /* expired: number and peer kept out of use until cooldown_until */
};

struct turn_chan {
	struct stun_addr peer;
	uint16_t number;
	uint8_t state;
	uint64_t bound_until, refresh_at, cooldown_until;
};

struct turn_tx {
	bool used, send_now, with_nonce, keepalive, then_allocate;
	uint8_t attempts;
	uint16_t method;
	uint8_t server;
	uint8_t tid[STUN_TID_LEN];
	uint32_t lifetime; /* REFRESH: UINT32_MAX for none */
	uint16_t channel;  /* CHANNEL-BIND */
	struct stun_addr peer; /* CHANNEL-BIND, CREATE-PERMISSION */
	uint32_t rto;
	uint64_t first_at, next_at;
};

struct turn_alloc {
	enum turn_state state;
	struct stun_addr servers[TURN_MAX_SERVERS];
	unsigned n_servers;
	int active; /* index of the server that answered first, -1 before */
	char username[STUN_MAX_USERNAME + 1];
	char software[64];
	uint8_t key[STUN_LONG_TERM_KEY_LEN]; /* the long-term key: wiped on free */
	char nonce[TURN_MAX_NONCE + 1];
	size_t nonce_len;
	unsigned stale_nonces;
	bool deleted_once; /* a 437 on ALLOCATE already led to one delete */

	struct stun_addr srflx, relayed4, relayed6;
	uint64_t keepalive_at, refresh_at;

	struct turn_tx tx[TURN_MAX_TX];

	struct turn_chan *chans;
	unsigned n_chans, cap_chans;
	uint16_t next_number;

	struct turn_event events[TURN_MAX_EVENTS];
	unsigned ev_head, ev_count;
	struct turn_stats stats;
};

/* turn_alloc.c */
void turn_emit(struct turn_alloc *a, uint8_t type, const struct stun_addr *peer, uint16_t channel,
	       int code, const char *why);
void turn_fail(struct turn_alloc *a, int code, const char *why);
void turn_lose(struct turn_alloc *a, uint64_t now, const char *why);
void turn_start_allocate(struct turn_alloc *a, uint64_t now);
void turn_forget_allocation(struct turn_alloc *a);

/* turn_answer.c: an answer to transaction t (source and method already matched) */
int turn_verify(struct turn_alloc *a, const struct turn_tx *t, const struct stun_msg *m);
void turn_dispatch(struct turn_alloc *a, struct turn_tx *t, const struct stun_msg *m, uint64_t now);

/* turn_tx.c */
struct turn_tx *turn_tx_start(struct turn_alloc *a, uint16_t method, uint8_t server, uint64_t now);
struct turn_tx *turn_tx_find(struct turn_alloc *a, const uint8_t *tid);
void turn_tx_end(struct turn_tx *t);
bool turn_tx_busy(const struct turn_alloc *a, uint16_t method, bool keepalive);
void turn_tx_cancel(struct turn_alloc *a, uint16_t method);
size_t turn_tx_build(struct turn_alloc *a, struct turn_tx *t, uint8_t *buf, size_t cap);
void turn_tx_tick(struct turn_alloc *a, uint64_t now);
uint64_t turn_tx_deadline(const struct turn_alloc *a);
/* turn_answer.c: a transaction that failed: code -1 unanswered, else the STUN error code */
void turn_tx_failed(struct turn_alloc *a, struct turn_tx *t, int code, uint64_t now);

/* turn_chan.c */
struct turn_chan *turn_chan_by_peer(const struct turn_alloc *a, const struct stun_addr *peer);
struct turn_chan *turn_chan_by_number(const struct turn_alloc *a, uint16_t number);
void turn_chan_pump(struct turn_alloc *a, uint64_t now);
void turn_chan_requeue_all(struct turn_alloc *a);
/* code 0: bound; -1: unanswered; else the STUN error code */
void turn_chan_answer(struct turn_alloc *a, struct turn_tx *t, int code, uint64_t now);
uint64_t turn_chan_deadline(const struct turn_alloc *a);
void turn_chan_free(struct turn_alloc *a);

#endif
