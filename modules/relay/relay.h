/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The relay module's state, shared by its files:
 *   relay.c  descriptor, settings, counters, life cycle, the bus;
 *   relays.c the relay set and one TURN allocation per relay;
 *   conns.c  per-client connections (the relay.connections service) and their ICE agents;
 *   cands.c  local candidates of a connection (host, srflx, relayed) and their signalling;
 *   io.c     UDP routing (STUN, ChannelData) and sending;
 *   paths.c  ICE events to client paths, and the one module timer.
 */
#ifndef FZGW_RELAY_MODULE_H
#define FZGW_RELAY_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fzgw/module.h>
#include <relaysvc/relay_service.h>

#include "ice_agent.h"
#include "ice_cand.h"
#include "stun.h"
#include "turn_alloc.h"

#define RL_MAX_RELAYS 16    /* slots: an ICE base names one (uint8_t) */
#define RL_MAX_LOCAL 6      /* host, srflx, relayed v4 and v6 (and room) */
#define RL_CONN_BUCKETS 4096
#define RL_IDLE_MS 20000u   /* not used for now: see docs/modules/relay.md, "Idle mode" */
#define RL_SOFTWARE_MAX 128

enum rl_counter {
	RL_C_ALLOCATIONS = 0,   /* gauge: allocations in ALLOCATED */
	RL_C_RELAYS,            /* gauge: relays known */
	RL_C_CONNECTIONS,       /* gauge: connections (clients accepted) */
	RL_C_PATHS_DIRECT,      /* gauge: connections on a direct path */
	RL_C_PATHS_RELAYED,     /* gauge: connections on a relayed path */
	RL_C_PATHS_P2P,         /* gauges by the original's four kinds (our side first): */
	RL_C_PATHS_P2R,         /*   our WireGuard socket to the client's relayed address */
	RL_C_PATHS_R2P,         /*   our allocation to the client's host/srflx/prflx address */
	RL_C_PATHS_R2R,         /*   our allocation to the client's relayed address */
	RL_C_PATH_CHANGES,
	RL_C_ALLOC_LOST,
	RL_C_ALLOC_FAILED,
	RL_C_NO_RELAYS,
	RL_C_ACCEPT_REFUSED,
	RL_C_CONN_FAILED,
	RL_C_CHECKS_SENT,       /* ICE datagrams sent (requests and answers) */
	RL_C_CHECKS_RECEIVED,   /* STUN taken by an ICE agent */
	RL_C_CHANNEL_BINDS,     /* channel bindings asked for */
	RL_C_CHANNELS_BOUND,
	RL_C_RELAYED_IN,        /* WireGuard datagrams unwrapped from ChannelData */
	RL_C_CANDS_SIGNALLED,
	RL_C_CANDS_WITHDRAWN,
	RL_C_REMOTE_CANDS,
	RL_C_REMOTE_BAD,
	RL_C_STUN_UNKNOWN,      /* STUN nobody took */
	RL_C_STUN_MALFORMED,
	RL_C_CD_UNKNOWN_RELAY,  /* ChannelData not from a relay we use */
	RL_C_CD_UNKNOWN_CHANNEL,
	RL_C_CD_MALFORMED,
	RL_C_TX_NO_CHANNEL,     /* an ICE datagram over a relay to a peer without a bound channel */
	RL_C_TX_ERRORS,
	RL_C_COUNT
};

struct rl_relay {
	bool used;
	uint8_t slot;
	char id[40];
	struct stun_addr addrs[TURN_MAX_SERVERS];
	unsigned n_addrs;
	char username[256];
	char password[256]; /* a secret: wiped on removal, never logged */
	struct turn_alloc *ta;
	enum turn_state state;
	bool allocated;
	struct stun_addr server, srflx, relayed4, relayed6; /* family 0: unknown */
	struct stun_addr host; /* our address toward the server (connected socket), 0: unknown */
};

struct rl_local {
	struct ice_cand c;
	struct ice_base base;
	char s[ICE_CAND_STR_MAX];
};

struct rl_conn {
	struct rl_conn *next_id, *next_ufrag, *next_tag; /* hash chains */
	char client_id[40];
	char lufrag[ICE_UFRAG_MAX + 1], lpwd[ICE_PWD_MAX + 1]; /* gateway_ice (pwd: secret) */
	char rufrag[ICE_UFRAG_MAX + 1], rpwd[ICE_PWD_MAX + 1]; /* client_ice (pwd: secret) */
	uint8_t public_key[32], psk[32];
	bool has_psk, iceless, failed;
	uint32_t tag;
	int slot;                      /* the sampled relay, -1: none */
	struct ice_agent *agent;       /* NULL: iceless, or failed */
	struct rl_local local[RL_MAX_LOCAL];
	unsigned n_local;
	uint8_t path;                  /* enum fzgw_path_kind the core was told (or will be) */
	uint8_t kind4;                 /* RL_C_PATHS_P2P..R2R counted for it, 0: none */
	bool remote_relay;             /* the pair in use ends on the client's relayed candidate */
	bool path_due;                 /* the first path waits for the 0 ms timer */
	bool path_channel_wait;        /* nominated over a relay whose channel is not bound yet */
	struct fzgw_path want;         /* the path to set */
	struct stun_addr remote;       /* the nominated remote address */
	struct stun_addr rchan[ICE_MAX_REMOTE]; /* remote non-host candidates: a channel each */
	unsigned n_rchan;
};

struct relay_mod {
	struct fzgw_ctx *ctx;
	const struct fzgw_api *api;
	char software[RL_SOFTWARE_MAX];
	int cnt[RL_C_COUNT];
	int gauge[RL_C_PATHS_R2R + 1];     /* the gauge-like counters as gauges (ABI 2.1), -1: none */
	int64_t gauge_v[RL_C_PATHS_R2R + 1];
	struct rl_relay relays[RL_MAX_RELAYS];
	struct rl_conn *by_id[RL_CONN_BUCKETS], *by_ufrag[RL_CONN_BUCKETS], *by_tag[RL_CONN_BUCKETS];
	size_t n_conns;
	uint32_t next_tag;
	bool closing;                   /* fini: events are not acted on */
	bool had_usable;                /* NO_RELAYS is published on the way down only */
	struct fzgw_timer *timer;       /* the earliest deadline */
	uint64_t timer_at;              /* UINT64_MAX: none */
	struct fzgw_timer *path_timer;  /* 0 ms: first paths of new connections */
	struct relay_service svc;
};

/* relay.c */
void rl_count(struct relay_mod *m, enum rl_counter c, int64_t n);

/* gauges.c: allocations, relays, connections and paths by kind as gauges (ABI 2.1) */
void rl_gauges_init(struct relay_mod *m);
void rl_gauge_add(struct relay_mod *m, enum rl_counter c, int64_t n);

/* relays.c */
void rl_relays_changed(struct relay_mod *m, const struct fzgw_ev_relays *ev);
void rl_relays_free(struct relay_mod *m);
/* Drains an allocation's datagrams and events. */
void rl_relay_flush(struct relay_mod *m, struct rl_relay *r);
struct rl_relay *rl_relay_by_server(struct relay_mod *m, const struct stun_addr *from);
struct rl_relay *rl_relay_slot(struct relay_mod *m, int slot);
/* A live relay (allocated first, else still binding/allocating) sampled at random; NULL. */
struct rl_relay *rl_relay_sample(struct relay_mod *m);
bool rl_relays_any_live(const struct relay_mod *m);
void rl_relays_tick(struct relay_mod *m, uint64_t now);
uint64_t rl_relays_deadline(const struct relay_mod *m);

/* conns.c */
int rl_accept(void *self, const struct fzgw_ev_authorization *a);
struct rl_conn *rl_conn_by_id(struct relay_mod *m, const char *client_id);
struct rl_conn *rl_conn_by_ufrag(struct relay_mod *m, const char *ufrag, size_t len,
				 struct rl_conn *after);
struct rl_conn *rl_conn_by_tag(struct relay_mod *m, uint32_t tag);
void rl_conn_drop(struct relay_mod *m, const char *client_id, const char *why);
void rl_conns_free(struct relay_mod *m);
void rl_remote_candidates(struct relay_mod *m, const struct fzgw_ev_ice *ev);
/* Calls fn for each connection (it may not free the connection). */
void rl_conns_each(struct relay_mod *m, void (*fn)(struct relay_mod *, struct rl_conn *, void *),
		   void *arg);
/* A relay's allocation changed (allocated, srflx, lost, gone): its connections follow. */
void rl_conns_relay_changed(struct relay_mod *m, int slot, bool gone);
void rl_conns_channel_bound(struct relay_mod *m, int slot);
void rl_conns_adopt(struct relay_mod *m);

/* cands.c */
/* Brings the connection's local candidates in line with its relay's state, signalling what
 * was added and withdrawn. */
void rl_cands_sync(struct relay_mod *m, struct rl_conn *c);
/* Signals every current local candidate again (an authorization repeated). */
void rl_cands_resignal(struct relay_mod *m, struct rl_conn *c);
/* Withdraws every local candidate (the connection goes). */
void rl_cands_withdraw_all(struct relay_mod *m, struct rl_conn *c);

/* io.c */
void rl_on_stun(void *state, const struct fzgw_endpoint *from, const struct fzgw_endpoint *local,
		const uint8_t *data, size_t len);
void rl_on_channeldata(void *state, const struct fzgw_endpoint *from,
		       const struct fzgw_endpoint *local, const uint8_t *data, size_t len);
int rl_send(struct relay_mod *m, const struct stun_addr *to, const uint8_t *d, size_t len);
/* Drains an agent's datagrams (host: raw; relay: ChannelData) and events. */
void rl_agent_flush(struct relay_mod *m, struct rl_conn *c);
void rl_ep_of(struct fzgw_endpoint *e, const struct stun_addr *a);
void rl_addr_of(struct stun_addr *a, const struct fzgw_endpoint *e);
const char *rl_addr_str(const struct stun_addr *a, char *buf, size_t len);

/* state.c: the relays and every client's path, logged on FZGW_EV_STATE_DUMP (SIGUSR1). */
void rl_state_dump(struct relay_mod *m);

/* paths.c */
void rl_agent_event(struct relay_mod *m, struct rl_conn *c, const struct ice_event *ev);
void rl_path_set(struct relay_mod *m, struct rl_conn *c, const struct fzgw_path *p);
/* Sets the path from the agent's pair in use (a channel bound later retries). */
void rl_path_from_agent(struct relay_mod *m, struct rl_conn *c);
/* Binds a channel to @peer on the connection's relay (counted). */
void rl_conn_bind(struct relay_mod *m, struct rl_conn *c, const struct stun_addr *peer);
void rl_path_schedule(struct relay_mod *m);
/* Re-arms the module timer at the earliest deadline of every allocation and agent. */
void rl_schedule(struct relay_mod *m);
/* The module timer: ticks what is due. Tests call it after moving the fake clock. */
void rl_on_timer(void *arg);
void rl_on_path_timer(void *arg);

#endif
