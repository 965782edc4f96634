/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A TURN client allocation on one relay (RFC 8656), sans-IO: the caller feeds it the time,
 * the STUN datagrams that came from the relay and timer ticks; it hands back datagrams to
 * send and events. Behaviour as the original gateway's (docs/modules/relay.md):
 *  - BINDING to every address of the relay; the first to answer becomes the one used, and a
 *    BINDING every 25 s keeps the NAT mapping; requests are resent after 1, 2 and 4 s and
 *    given up 8 s after the first send;
 *  - ALLOCATE with REQUESTED-TRANSPORT UDP, ADDITIONAL-ADDRESS-FAMILY IPv6 and SOFTWARE, first
 *    unsigned, then signed with the long-term credentials of realm "firezone" (another realm is
 *    refused) and the nonce of the server's 401 or 438; a 401 to a request that carried a
 *    nonce ends the allocation;
 *  - REFRESH at half the lifetime; 437 on ALLOCATE deletes the server's allocation and
 *    allocates again; 437 on REFRESH or CHANNEL-BIND allocates again and queues every channel
 *    binding again;
 *  - channels 0x4000-0x4FFF bound for 10 min, refreshed at half-life, a number kept out of use
 *    for 5 min after its binding expired; up to 100 bindings queued before the allocation.
 * The password is used once, to derive the long-term key, and the key is wiped on free.
 */
#ifndef FZGW_RELAY_TURN_ALLOC_H
#define FZGW_RELAY_TURN_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stun.h"

#define TURN_REALM "firezone"
#define TURN_RTO_MS 1000u
#define TURN_GIVE_UP_MS 8000u
#define TURN_KEEPALIVE_MS 25000u
#define TURN_CHANNEL_LIFETIME_MS 600000u
#define TURN_CHANNEL_COOLDOWN_MS 300000u
#define TURN_MAX_QUEUED_BINDINGS 100
#define TURN_MAX_CHANNELS 4096
#define TURN_MAX_SERVERS 2
#define TURN_MAX_TX 64
#define TURN_MAX_EVENTS 64
#define TURN_MAX_NONCE 255
#define TURN_MAX_STALE_NONCE 3
#define TURN_MSG_MAX 1024 /* the longest request this client builds fits */

enum turn_state {
	TURN_S_BINDING = 0, /* waiting for the first relay address to answer */
	TURN_S_ALLOCATING,
	TURN_S_ALLOCATED,
	TURN_S_DELETING,
	TURN_S_DELETED,
	TURN_S_FAILED,
};

enum turn_event_type {
	TURN_EV_SRFLX = 1,       /* server-reflexive address learnt (or changed) */
	TURN_EV_ALLOCATED,       /* relayed4/relayed6/srflx valid */
	TURN_EV_LOST,            /* the relayed addresses are no longer valid */
	TURN_EV_FAILED,          /* gave up on this relay: code and why */
	TURN_EV_CHANNEL_BOUND,   /* peer, channel */
	TURN_EV_CHANNEL_FAILED,  /* peer, channel: the first binding failed */
	TURN_EV_CHANNEL_EXPIRED, /* peer, channel: not refreshed in time */
	TURN_EV_PERMISSION,      /* peer: CreatePermission answered */
	TURN_EV_PERMISSION_FAILED,
};

struct turn_event {
	uint8_t type;
	struct stun_addr server; /* the relay address in use (family 0 before the first answer) */
	struct stun_addr srflx, relayed4, relayed6, peer;
	uint16_t channel;
	int code;        /* the STUN error code, or 0 */
	const char *why; /* static text, for logs */
};

struct turn_config {
	struct stun_addr servers[TURN_MAX_SERVERS]; /* the relay's addresses (v4 and/or v6) */
	unsigned n_servers;
	const char *username;
	const char *password; /* used to derive the key, not kept */
	const char *software; /* SOFTWARE; NULL: "fzgw" */
};

struct turn_stats {
	uint64_t sent, retransmits, responses, dropped_integrity, dropped_source, dropped_malformed,
		events_dropped;
};

enum turn_input { TURN_IN_NOT_OURS = 0, TURN_IN_HANDLED = 1, TURN_IN_DROPPED = 2 };

struct turn_alloc;

/* NULL on a bad config (no server, username or password too long, ...) or no memory. */
struct turn_alloc *turn_alloc_new(const struct turn_config *cfg, uint64_t now);
void turn_alloc_free(struct turn_alloc *a);

/* A STUN datagram from @from: TURN_IN_NOT_OURS when it answers none of our transactions. */
enum turn_input turn_alloc_input(struct turn_alloc *a, const struct stun_addr *from,
				 const uint8_t *d, size_t len, uint64_t now);
void turn_alloc_tick(struct turn_alloc *a, uint64_t now);
/* When tick wants to run next (UINT64_MAX: nothing scheduled). */
uint64_t turn_alloc_deadline(const struct turn_alloc *a);
/* The next datagram to send into buf (zeroed first): its length and *to, or 0. */
size_t turn_alloc_transmit(struct turn_alloc *a, uint8_t *buf, size_t cap, struct stun_addr *to);
bool turn_alloc_event(struct turn_alloc *a, struct turn_event *ev);

/* A channel to @peer: the number (bound now or later), or -1 (queue full, numbers exhausted,
 * allocation failed, bad address). Binding a peer again returns its number. */
int turn_alloc_bind_channel(struct turn_alloc *a, const struct stun_addr *peer, uint64_t now);
/* The channel usable for data to @peer (bound), or -1. */
int turn_alloc_channel_of(const struct turn_alloc *a, const struct stun_addr *peer);
/* The peer of a bound channel (for ChannelData from the relay). */
bool turn_alloc_peer_of(const struct turn_alloc *a, uint16_t channel, struct stun_addr *peer);
/* A one-shot CreatePermission for @peer's IP: 0 or -1. */
int turn_alloc_create_permission(struct turn_alloc *a, const struct stun_addr *peer, uint64_t now);
/* Deletes the allocation on the relay (REFRESH with LIFETIME 0). */
void turn_alloc_delete(struct turn_alloc *a, uint64_t now);

enum turn_state turn_alloc_state(const struct turn_alloc *a);
const struct turn_stats *turn_alloc_stats(const struct turn_alloc *a);
const char *turn_state_name(enum turn_state s);
bool stun_addr_equal(const struct stun_addr *x, const struct stun_addr *y);

#endif
