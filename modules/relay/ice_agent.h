/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An ICE agent (RFC 8445) in the controlled role, sans-IO, one per client connection, with the
 * original gateway's behaviour (docs/modules/relay.md, "ICE agent"):
 *  - local candidates: host and server-reflexive on the gateway's UDP socket, relayed on one
 *    relay allocation; each carries a base (the host socket, or relay slot n) so a datagram the
 *    agent wants sent says how: raw from the socket, or through that relay (ChannelData);
 *  - remote candidates from the client's signalling, up to 2 "optimistic" server-reflexive ones
 *    (each remote srflx IPv4 address with each remote IPv4 host port), peer-reflexive ones
 *    learnt from checks; pairs of one address family, priorities per RFC 8445 §6.1.2.3
 *    (controlled: G is the remote priority), redundant pairs pruned, at most ICE_MAX_PAIRS;
 *  - every pair is checked with BINDING requests (USERNAME "remote:local", PRIORITY,
 *    ICE-CONTROLLED, MESSAGE-INTEGRITY with the remote password, FINGERPRINT), one new request
 *    per Ta (50 ms) at most; the n-th request of a pair follows the one before by
 *    min(initial RTO << (n - 1), max RTO), and a pair that left ICE_MAX_RETRANS requests in a row
 *    unanswered (and the last resend delay passed) fails and is removed; a check answered keeps
 *    the pair checked at that rhythm (the consent/keepalive of the original); timings: 45
 *    requests, RTO 250 ms to 15 s; idle: 40, 25 s to 25 s;
 *  - incoming checks need USERNAME "local:remote" and integrity with the local password; they are
 *    answered with XOR-MAPPED-ADDRESS (integrity, FINGERPRINT); an unknown source becomes a
 *    peer-reflexive candidate; a pair not yet succeeded gets a triggered check; USE-CANDIDATE
 *    nominates the pair once it has succeeded (now, or when its check succeeds);
 *  - the pair used (the path) is the best nominated pair that answers; when it has left checks
 *    unanswered for max RTO / 2 and another succeeded pair answers, that one takes over;
 *  - the agent fails 10 s after creation without a remote candidate, or 2 s after no pair is
 *    left to try.
 * The agent stays controlled: a peer claiming the controlled role too gets 487 (Role Conflict,
 * so it becomes the controlling one); a 487 answering our check is counted and the pair keeps
 * being checked. The passwords are wiped on free.
 */
#ifndef FZGW_RELAY_ICE_AGENT_H
#define FZGW_RELAY_ICE_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ice_cand.h"
#include "stun.h"

#define ICE_UFRAG_MAX 256
#define ICE_PWD_MAX 256
#define ICE_MAX_LOCAL 8
#define ICE_MAX_REMOTE 24
#define ICE_MAX_PAIRS 64
#define ICE_MAX_TX 16
#define ICE_MAX_EVENTS 8
#define ICE_MAX_OPTIMISTIC 2
#define ICE_MSG_MAX 640 /* the longest message the agent builds (a 512-byte USERNAME) fits */

#define ICE_TA_MS 50u
#define ICE_CANDIDATE_TIMEOUT_MS 10000u
#define ICE_DISCONNECT_GRACE_MS 2000u
#define ICE_REMOTE_REQ_ALIVE_MS 15000u /* a pair the peer checked this recently stays possible */
/* The client nominated another pair: the pair in use is checked at once, and unanswered this
 * long, the other takes over (the client moved, e.g. its direct path was cut) */
#define ICE_RENOMINATION_WAIT_MS 500u

/* Timings (the original gateway's IceConfig). */
#define ICE_MAX_RETRANS 45u
#define ICE_INITIAL_RTO_MS 250u
#define ICE_MAX_RTO_MS 15000u
#define ICE_IDLE_MAX_RETRANS 40u
#define ICE_IDLE_INITIAL_RTO_MS 25000u
#define ICE_IDLE_MAX_RTO_MS 25000u

/* How a datagram is sent or came in: from the gateway's UDP socket, or through relay slot n
 * (the module's numbering of its allocations). */
enum ice_base_kind { ICE_BASE_HOST = 0, ICE_BASE_RELAY = 1 };
struct ice_base {
	uint8_t kind;
	uint8_t relay;
};

struct ice_config {
	const char *local_ufrag, *local_pwd;   /* gateway_ice_credentials */
	const char *remote_ufrag, *remote_pwd; /* client_ice_credentials */
	uint64_t tie_breaker;                  /* random */
	uint32_t tag; /* the first 4 bytes of every transaction ID (ice_tid_tag routes answers) */
};

enum ice_event_type {
	ICE_EV_NOMINATED = 1, /* the first path: base, local, remote */
	ICE_EV_PATH_CHANGED,  /* another pair took over: base, local, remote */
	ICE_EV_PATH_LOST,     /* the pair in use was removed and none replaces it */
	ICE_EV_FAILED,        /* the agent gave up (why); it does nothing more */
};

struct ice_event {
	uint8_t type;
	struct ice_base base;
	uint8_t local_type, remote_type; /* enum ice_cand_type */
	struct stun_addr local, remote;  /* local: the candidate's address (relayed, host) */
	const char *why;                 /* static text, for logs */
};

struct ice_transmit {
	struct ice_base base;
	struct stun_addr to;
	size_t len;
};

struct ice_stats {
	uint64_t checks_sent, checks_ok, requests_in, responses_sent, role_conflicts_sent,
		role_conflicts_received, error_responses, dropped_username, dropped_integrity,
		dropped_fingerprint, dropped_malformed, dropped_asymmetric, dropped_no_local,
		dropped_discarded, dropped_full, tx_dropped, events_dropped, pairs_failed;
};

enum ice_input { ICE_IN_NOT_OURS = 0, ICE_IN_HANDLED = 1, ICE_IN_DROPPED = 2 };

struct ice_agent;

/* NULL on bad credentials (empty, too long, ':' in a ufrag, not printable ASCII) or no memory. */
struct ice_agent *ice_agent_new(const struct ice_config *cfg, uint64_t now);
void ice_agent_free(struct ice_agent *a);

/* A local candidate (host, srflx: base HOST; relay: base RELAY n). A zero priority or empty
 * foundation is filled in (c is updated: signal what it holds). 0, 1 (already there) or -1. */
int ice_agent_add_local(struct ice_agent *a, struct ice_cand *c, const struct ice_base *base,
			uint64_t now);
/* Withdraws a local candidate (same type and address) and its pairs: true if it was there. */
bool ice_agent_remove_local(struct ice_agent *a, const struct ice_cand *c, uint64_t now);
/* Withdraws every local candidate on a base (a relay allocation lost). How many. */
unsigned ice_agent_remove_base(struct ice_agent *a, const struct ice_base *base, uint64_t now);

/* A remote candidate (component 1, UDP): 0, 1 (already there) or -1 (invalid, table full). */
int ice_agent_add_remote(struct ice_agent *a, const struct ice_cand *c, uint64_t now);
/* The same from the signalled string; *why names what was wrong. */
int ice_agent_add_remote_str(struct ice_agent *a, const char *s, size_t len, uint64_t now,
			     const char **why);
/* invalidate_ice_candidates: the candidate (type, address) and its pairs go: true if found. */
bool ice_agent_remove_remote(struct ice_agent *a, const struct ice_cand *c, uint64_t now);

/* A STUN datagram that came in over @base from @from. NOT_OURS: not a check for these
 * credentials nor an answer to one of our transactions (try elsewhere). */
enum ice_input ice_agent_input(struct ice_agent *a, const struct ice_base *base,
			       const struct stun_addr *from, const uint8_t *d, size_t len,
			       uint64_t now);
void ice_agent_tick(struct ice_agent *a, uint64_t now);
/* When tick wants to run next (UINT64_MAX: nothing scheduled). */
uint64_t ice_agent_deadline(const struct ice_agent *a);
/* The next datagram into buf (zeroed first): its length, base and destination in *tx, or 0. */
size_t ice_agent_transmit(struct ice_agent *a, uint8_t *buf, size_t cap, struct ice_transmit *tx);
bool ice_agent_event(struct ice_agent *a, struct ice_event *ev);
/* Idle mode (no application packets for 20 s, decided by the module): the idle timings. */
void ice_agent_set_idle(struct ice_agent *a, bool idle, uint64_t now);

/* The pair in use, if any. */
bool ice_agent_path(const struct ice_agent *a, struct ice_base *base, struct stun_addr *remote);
bool ice_agent_failed(const struct ice_agent *a);
const struct ice_stats *ice_agent_stats(const struct ice_agent *a);
unsigned ice_agent_n_pairs(const struct ice_agent *a);
unsigned ice_agent_n_remote(const struct ice_agent *a); /* candidates not withdrawn */

/* Routing helpers for the module. The local ufrag a check is for (USERNAME's part before ':'):
 * true and *ufrag (not NUL-terminated), *len; false when the message is no BINDING request or
 * has no such USERNAME. */
bool ice_request_ufrag(const struct stun_msg *m, const char **ufrag, size_t *len);
/* The tag of a transaction ID (answers to our checks carry the agent's cfg.tag). */
uint32_t ice_tid_tag(const uint8_t tid[STUN_TID_LEN]);

#endif
