/* SPDX-License-Identifier: Apache-2.0 */
/* The nat module's internals, shared by its files and its unit tests. */
#ifndef FZGW_NAT_H
#define FZGW_NAT_H

#include <stdbool.h>
#include <stdint.h>

#include <dnsname/dns_service.h>
#include <fzgw/module.h>

#include "icmp.h"
#include "p2p.h"
#include "table.h"

#define NAT_ID_MAX 40 /* as the ABI's ids */
#define NAT_TICK_MS 1000

enum nat_counter {
	NAT_CNT_ASSIGNED,        /* AssignedIps received and well-formed */
	NAT_CNT_GOODBYE_IN,      /* Goodbye from a client */
	NAT_CNT_UNEXPECTED,      /* DomainStatus from a client, unknown event types */
	NAT_CNT_ACTIVE,          /* DomainStatus Active sent */
	NAT_CNT_ACTIVE_EMPTY,    /* ... of those, for a name the resolver answered without address */
	NAT_CNT_INACTIVE,        /* DomainStatus Inactive sent */
	NAT_CNT_UNAUTHORIZED,    /* AssignedIps for a resource or name the client may not use */
	NAT_CNT_RESETS,          /* a proxy IP came for another name: the client's NAT reset */
	NAT_CNT_DOMAINS_FULL,    /* AssignedIps refused: the client has max_domains names */
	NAT_CNT_DNS_MISSING,     /* no dns module to ask */
	NAT_CNT_DNS_REFUSED,     /* the dns module refused the lookup (in-flight cap, ...) */
	NAT_CNT_SESSIONS,        /* sessions created */
	NAT_CNT_EXPIRED,         /* sessions expired */
	NAT_CNT_TABLE_FULL,      /* max_entries reached */
	NAT_CNT_CLIENT_FULL,     /* max_client_entries reached */
	NAT_CNT_EXHAUSTED,       /* no free port toward a real IP */
	NAT_CNT_HELD,            /* packets held while their name resolved */
	NAT_CNT_HELD_FULL,       /* ... refused: max_pending or max_pending_total */
	NAT_CNT_ICMP_XLAT,       /* ICMP errors rebuilt for the client */
	NAT_CNT_NO_BUFFER,       /* no packet buffer for an answer */
	NAT_CNT_PUBLISHED,       /* FZGW_EV_PROXY_IPS events */
	NAT_CNT_DEST_REFUSED,    /* resolved addresses never mapped onto (see dest.h) */
	NAT_CNT_CONTROL_LIMITED, /* control messages over the client's rate */
	NAT_CNT_LOOKUPS_FULL,    /* a lookup refused: the client's share of lookups is in use */
	NAT_CNT_COUNT
};

struct nat_conf {
	int64_t tcp_timeout, udp_timeout, icmp_timeout, unconfirmed_timeout, fin_timeout; /* s */
	int64_t max_entries, max_client_entries, max_expired;
	int64_t max_domains;       /* names per client */
	int64_t max_pending;       /* held packets per client */
	int64_t max_pending_total; /* held packets, all clients */
	int64_t pending_timeout;   /* s: a name still resolving then is given up */
	int64_t control_rate;      /* control messages per second and client (burst: control_burst) */
	int64_t control_burst;
	int64_t max_lookups;       /* lookups a client may have in flight (its share of the dns cap) */
};

enum nat_dom_state { NAT_DOM_RESOLVING = 1, NAT_DOM_ACTIVE = 2 };

struct nat_client;
struct nat_state;

/* One name a client asked for, with its proxy IPs and what each maps to. */
struct nat_domain {
	struct nat_domain *next;
	struct nat_state *st;
	struct nat_client *client;
	char name[DNS_NAME_MAX + 1];
	char resource[NAT_ID_MAX];
	uint8_t state;                /* enum nat_dom_state */
	bool active;                  /* mapped: packets translate (also while re-resolving) */
	uint8_t n;
	struct fzgw_addr proxy[FZGW_MAX_PROXY_IPS];
	struct fzgw_addr real[FZGW_MAX_PROXY_IPS]; /* family 0: no address of that family */
	uint64_t query;               /* the lookup while resolving, else 0 */
	uint64_t started_ms;
	uint32_t lk_slot;             /* its slot in the client's lk_until[] while resolving */
	struct dns_result last;       /* the last answer with addresses (while active) */
};

/* A proxy IP of the client, for binary search on the packet path. */
struct nat_proxy {
	struct fzgw_addr addr;
	struct nat_domain *dom;
	uint8_t i;
};

/* A DNS resource granted to a client: its id and its pattern (a copy, any length). */
struct nat_grant {
	struct nat_grant *next;
	char id[NAT_ID_MAX];
	char *pattern;
};

struct nat_held {
	struct nat_held *next;
	struct fzgw_packet *pkt;
	struct nat_domain *dom;
};

struct nat_client {
	struct nat_client *hnext;
	char id[NAT_ID_MAX];
	struct nat_tclient t;       /* its sessions */
	struct nat_grant **gb;      /* DNS resources granted, by id (no cap: memory bounds them) */
	uint32_t gmask, n_grants;
	struct nat_domain *domains;
	uint32_t n_domains;
	struct nat_proxy *proxies;  /* sorted by address */
	uint32_t n_proxies;
	struct nat_held *held, *held_tail;
	uint32_t n_held;
	uint64_t ctl_tokens, ctl_ms; /* control messages: thousandths of one, time of the refill */
	/*
	 * Its lookups: each slot is busy until the time in it (0: free). A lookup's slot frees
	 * when the dns module answers; one given up (cancelled, timed out on our side) may still
	 * count in the dns module's cap, so its slot stays busy until pending_timeout after its
	 * start. n_lk slots, allocated on the first lookup.
	 */
	uint64_t *lk_until;
	uint32_t n_lk;
};

/* gauges.c: table and client sizes as gauges (ABI 2.1), refreshed every tick */
enum { NAT_G_ENTRIES, NAT_G_EXPIRED, NAT_G_CLIENTS, NAT_G_HELD, NAT_G_COUNT };

struct nat_state {
	struct fzgw_ctx *ctx;
	const struct fzgw_api *api;
	struct nat_conf conf;
	struct nat_table table;
	struct nat_client **cb;      /* clients by id */
	uint32_t cmask, n_clients;
	uint32_t next_client_id;
	uint32_t n_held;
	struct nat_client anon;      /* the control budget of clients without DNS grants */
	struct fzgw_timer *tick;
	int cnt[NAT_CNT_COUNT];
	int cnt_bad[P2P_ERR_COUNT];
	int gauge[NAT_G_COUNT];      /* ABI 2.1 gauges, -1: none (gauges.c) */
};

/* nat.c */
void nat_count(struct nat_state *st, enum nat_counter c, uint64_t n);

/* gauges.c */
void nat_gauges_init(struct nat_state *st);
void nat_gauges_update(struct nat_state *st);

/* clients.c: what the control plane granted, and per-client state */
struct nat_client *nat_client_find(const struct nat_state *st, const char *id);
struct nat_client *nat_client_get(struct nat_state *st, const char *id); /* NULL: no memory */
void nat_client_free(struct nat_state *st, struct nat_client *c);
void nat_clients_free(struct nat_state *st);
const struct nat_grant *nat_grant_find(const struct nat_client *c, const char *res_id);
void nat_on_authorized(void *state, const struct fzgw_event *ev);
void nat_on_revoked(void *state, const struct fzgw_event *ev);
void nat_on_resource(void *state, const struct fzgw_event *ev);
void nat_on_peer_removed(void *state, const struct fzgw_event *ev);
/* A Goodbye from the client: its NAT state goes now, and the core is asked to remove it. */
void nat_client_goodbye(struct nat_state *st, const char *client_id);

/* domains.c: AssignedIps, lookups, mappings, held packets, DomainStatus */
void nat_assigned_ips(struct nat_state *st, const struct fzgw_peer_info *peer,
		      const struct p2p_assigned_ips *a);
/* Removes one name (publishing n=0, failing its held packets). */
void nat_domain_remove(struct nat_state *st, struct nat_client *c, struct nat_domain *d);
/* Removes every name and session of the client (it stays known with its grants). */
void nat_client_reset(struct nat_state *st, struct nat_client *c);
const struct nat_proxy *nat_proxy_find(const struct nat_client *c, const struct fzgw_addr *a);
/* Holds @pkt for @d (true), or answers it when the queue is full (false: the caller drops). */
bool nat_hold(struct nat_state *st, struct nat_client *c, struct nat_domain *d,
	      struct fzgw_packet *pkt);
/* Gives up names resolving for longer than pending_timeout. */
void nat_domains_tick(struct nat_state *st, uint64_t now);
/* Sends a control packet of @type with @json to the client @client_id. 0 or -errno. */
int nat_send_control(struct nat_state *st, const char *client_id, uint8_t type, const char *json,
		     size_t len);

/* Whether the client may send one more control message now (its token bucket). */
bool nat_control_allowed(struct nat_state *st, struct nat_client *c);

/* hooks.c */
enum fzgw_verdict nat_hook_control(void *state, struct fzgw_packet *pkt);
enum fzgw_verdict nat_hook_in(void *state, struct fzgw_packet *pkt);
enum fzgw_verdict nat_hook_out(void *state, struct fzgw_packet *pkt);

#endif
