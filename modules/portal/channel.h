/* SPDX-License-Identifier: Apache-2.0 */
/* The Phoenix channel over one connection: refs, the join, heartbeats and the outgoing queue. */
#ifndef FZGW_PORTAL_CHANNEL_H
#define FZGW_PORTAL_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define PZ_QUEUE_MAX 32        /* messages held until the join (ICE changes: across reconnects) */
#define PZ_HEARTBEATS_MAX 3    /* more unanswered than this: the connection is dead */
#define PZ_JOIN_TIMEOUT_MS 5000
#define PZ_HEARTBEAT_MS 10000

struct pz_chan_ops {
	/* Sends one text frame now. 0 or -errno (the connection is then given up). */
	int (*send)(void *user, const char *text, size_t len);
};

struct pz_out {
	char *event;
	char *payload;
};

struct pz_chan {
	const struct pz_chan_ops *ops;
	void *user;
	bool connected; /* a WebSocket is open */
	bool joined;
	bool join_pending;
	uint64_t join_ref;
	uint64_t next_ref;  /* per connection, from 0 */
	unsigned n_hb;      /* heartbeats in flight */
	uint64_t hb_ref[PZ_HEARTBEATS_MAX + 2];
	unsigned head, n;   /* ring of queued messages */
	struct pz_out q[PZ_QUEUE_MAX];
	uint64_t dropped;   /* queued messages pushed out by newer ones */
};

/* What a reply meant to the channel. */
enum pz_reply_kind {
	PZ_REPLY_IGNORED = 0, /* not for one of our requests, or an answer we need not act on */
	PZ_REPLY_JOINED,      /* the join was confirmed: send the capabilities, then flush */
	PZ_REPLY_JOIN_FAILED, /* an error reply to the join: fatal */
	PZ_REPLY_REJOIN,      /* "unmatched topic" for the gateway topic: join again */
	PZ_REPLY_HEARTBEAT,
};

void pz_chan_init(struct pz_chan *ch, const struct pz_chan_ops *ops, void *user);
/* Frees the queue. */
void pz_chan_fini(struct pz_chan *ch);
/* A new connection is open: refs restart at 0, then the join goes (ref 0). 0 or -errno. */
int pz_chan_open(struct pz_chan *ch);
/* The connection is gone: nothing is in flight any more. Of the queue only the held events
 * (ICE candidate changes) stay, as in the original; the rest could only be replayed into the
 * next session, where it means nothing (an authorization_created of the old session). */
void pz_chan_closed(struct pz_chan *ch);
/* The events held across reconnects: broadcast_ice_candidates and
 * broadcast_invalidated_ice_candidates. */
bool pz_chan_held(const char *event);
/* Sends the join again (after "unmatched topic"). */
int pz_chan_join(struct pz_chan *ch);
/*
 * Sends @event with @payload (JSON text; both copied) when joined. Else, while connected or
 * for a held event, queues it, dropping an exact duplicate of a queued message and, when full,
 * the oldest. 0, 1 when the oldest was dropped, 2 when @event was dropped (not connected and
 * not held), or -errno from a failed send.
 */
int pz_chan_push(struct pz_chan *ch, const char *event, const char *payload);
/* Sends @event first (ahead of the queue, as the original does with its capabilities), then
 * everything queued, in order. For PZ_REPLY_JOINED. */
int pz_chan_joined(struct pz_chan *ch, const char *event, const char *payload);
/* The heartbeat timer fired: -ETIMEDOUT when more than PZ_HEARTBEATS_MAX are unanswered
 * (reconnect), else sends one. */
int pz_chan_heartbeat(struct pz_chan *ch);
enum pz_reply_kind pz_chan_reply(struct pz_chan *ch, const struct pz_msg *m);

#endif
