/* SPDX-License-Identifier: Apache-2.0 */
/* The filter module's internals, shared by its files and its unit tests. */
#ifndef FZGW_FILTER_H
#define FZGW_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fzgw/module.h>

#define FILTER_ID_MAX 40
/*
 * The one count the filter caps: DNS names with proxy IPs per client. Clients choose them
 * (through the nat module), so this guards memory against one client. Clients, resources,
 * grants, filters and port ranges come from the control plane and are bounded by memory only.
 */
#define FILTER_MAX_DOMAINS 4096
#define FILTER_MAX_CAND 8         /* candidates a cache entry holds */
#define FILTER_CACHE_SIZE 4096    /* entries, a power of two */

/* An intrusive hash-table node; the first member of what a table holds. */
struct filter_hnode {
	struct filter_hnode *next;
	uint32_t hash;
	char id[FILTER_ID_MAX];
};

struct filter_htab {
	struct filter_hnode **b;
	uint32_t mask; /* buckets - 1 */
	uint32_t n;
};

/*
 * A resource definition, shared by every grant naming it: a deep copy of the control plane's.
 * def.pattern points to pattern[] below (one allocation with the header); def.filters is one
 * block of its own (NULL without filters), replaced when the filters change. The filters are
 * kept merged: at most one per protocol, in the order TCP, UDP, ICMP, each with its ranges
 * sorted and disjoint (n_ranges 0 still means every port), so a port check is a binary search.
 * The Internet resource keeps no filters (the original ignores them).
 */
struct filter_res {
	struct filter_hnode node;
	uint32_t refs; /* grants pointing here */
	struct fzgw_resource def;
	char pattern[]; /* def.pattern's text when it has one */
};

/* The proxy IPs a client assigned to one name of a DNS resource (from the nat module). */
struct filter_proxy {
	struct filter_proxy *next;
	char domain[256];
	uint8_t n;
	struct fzgw_addr ips[FZGW_MAX_PROXY_IPS]; /* distinct, inside the proxy ranges */
};

/* One client's access to one resource; node.id is the resource id. */
struct filter_grant {
	struct filter_hnode node;
	struct filter_res *res;
	int64_t expires_at;            /* unix seconds, 0 = never */
	uint32_t pos;                  /* index in the client's grants[] */
	struct filter_proxy *proxies;  /* DNS resources: the names in use */
};

/* A prefix entry: a grant covering the prefix, counted once per reason it does. */
struct filter_tent {
	struct filter_grant *g;
	uint32_t refs;
};

/*
 * One prefix a client's grants cover: a slot of its open-addressing table (family 0: empty).
 * The first entry lives in the slot: most prefixes have one, and a lookup then reads no more.
 */
struct filter_tnode {
	uint64_t key[2]; /* host-order halves of the masked address, IPv4 in the top 32 bits */
	uint8_t plen;
	uint8_t family;
	uint32_t n, cap; /* entries; room in more[] */
	struct filter_tent first;
	struct filter_tent *more; /* entries 1 .. n - 1 */
};

static inline struct filter_tent *filter_tent_at(const struct filter_tnode *n, uint32_t i)
{
	return i ? &n->more[i - 1] : (struct filter_tent *)&n->first;
}

struct filter_plen {
	uint8_t plen;
	uint32_t count; /* prefixes of this length */
};

/* The prefixes a client's grants cover: CIDR networks, proxy IPs, the Internet as /0. */
struct filter_index {
	struct filter_tnode *slot;
	uint32_t mask;               /* slots - 1 */
	uint32_t nodes;              /* slots in use */
	struct filter_plen *lens[2]; /* [0] IPv4, [1] IPv6: lengths in use, ascending */
	uint8_t n_lens[2];
};

/* The most prefixes that can contain one address: one per length. */
#define FILTER_PATH_MAX 129

struct filter_client {
	struct filter_hnode node;
	uint32_t n_grants, cap;
	struct filter_grant **grants;
	struct filter_htab by_res;     /* the grants by resource id */
	struct filter_index ix;
	uint32_t n_domains;            /* proxy IP sets of all its DNS grants */
	int64_t next_expiry; /* earliest expires_at of its grants or earlier, 0 = none */
	uint64_t bucket_ms;  /* ICMP answers: time of the last refill */
	uint64_t tokens;     /* in thousandths of an answer */
};

/* What an address classifies to for one client: the candidate grants, best first. */
struct filter_class {
	uint8_t n;
	bool overflow; /* more candidates than FILTER_MAX_CAND: decide by a full scan */
	bool excluded; /* an Internet grant exists but the address is one it never covers */
	const struct filter_grant *cand[FILTER_MAX_CAND];
};

struct filter_cache_entry {
	const struct filter_client *client;
	uint32_t gen;
	struct fzgw_addr addr;
	struct filter_class cls;
};

/* Why a packet was refused; the names are the drop reasons. */
enum filter_reason {
	FILTER_OK = 0,
	FILTER_NO_PEER,
	FILTER_CONTROL, /* an in-tunnel control packet nobody consumed before the policy */
	FILTER_ANOTHER_CLIENT,
	FILTER_NO_RESOURCE,
	FILTER_PORT_DENIED,
	FILTER_PROTO_DENIED,
	FILTER_EXPIRED,
	FILTER_INTERNET_EXCLUDED,
	FILTER_REASON_COUNT
};

/* The facts of a packet a decision needs. */
struct filter_query {
	const struct fzgw_addr *addr; /* destination (IN) or source (OUT) */
	uint8_t proto;                /* IP protocol number */
	bool has_port;
	uint16_t port;                /* destination (IN) or source (OUT) port */
	int64_t now;                  /* unix seconds */
};

struct filter_state {
	struct fzgw_ctx *ctx;
	const struct fzgw_api *api;
	struct fzgw_addr gw4, gw6; /* the gateway's tunnel addresses (family 0 until known) */
	struct filter_htab clients, resources;
	uint32_t gen;              /* bumped by every policy change: older cache entries go stale */
	int64_t next_expiry;       /* earliest grant expiry of all clients, 0 = none */
	struct filter_cache_entry *cache;
	uint64_t cache_hits, cache_misses;
	uint64_t cache_hits_told, cache_misses_told; /* already added to the counters */
	struct fzgw_timer *tick;
	/* settings */
	uint32_t icmp_rate;        /* answers per second and client; burst the same */
	bool deny_log;
	/* answers to packets of clients without state share one bucket */
	uint64_t anon_bucket_ms, anon_tokens;
	uint64_t log_bucket_ms, log_tokens;
	int cnt_in[FILTER_REASON_COUNT], cnt_out[FILTER_REASON_COUNT];
	int cnt_icmp_sent, cnt_icmp_limited, cnt_expired_grants;
	int cnt_proxy_set, cnt_proxy_removed, cnt_proxy_ignored;
	int cnt_type_refused;
	int cnt_cache_hits, cnt_cache_misses;
	int cnt_icmp_unrelated; /* ICMP errors quoting no allowed flow of their client */
};

/* htab.c */
int filter_htab_init(struct filter_htab *t, uint32_t buckets);
void filter_htab_free(struct filter_htab *t);
uint32_t filter_hash_id(const char *id);
struct filter_hnode *filter_htab_find(const struct filter_htab *t, const char *id);
/* @n's id and hash must be set; grows the table when it gets crowded. 0 or -ENOMEM. */
int filter_htab_add(struct filter_htab *t, struct filter_hnode *n);
void filter_htab_del(struct filter_htab *t, struct filter_hnode *n);

/* addr.c: the address ranges the policy knows about */
bool filter_addr_equal(const struct fzgw_addr *a, const struct fzgw_addr *b);
bool filter_addr_in(const struct fzgw_addr *a, const struct fzgw_addr *net, unsigned prefix_len);
bool filter_in_tunnel(const struct fzgw_addr *a); /* 100.64.0.0/11, fd00:2021:1111::/107 */
bool filter_in_proxy(const struct fzgw_addr *a);  /* 100.96.0.0/11, fd00:2021:1111:8000::/107 */
/* Addresses the Internet resource never covers (private, loopback, link-local, ...). */
bool filter_internet_excluded(const struct fzgw_addr *a);

/* index.c: the per-client prefix table */
/* Adds @g at @a/@plen (host bits ignored), or counts one more reference. 0 or -ENOMEM. */
int filter_index_add(struct filter_index *ix, const struct fzgw_addr *a, unsigned plen,
		     struct filter_grant *g);
/* Takes one reference of @g at @a/@plen away; prefixes left empty go. */
void filter_index_del(struct filter_index *ix, const struct fzgw_addr *a, unsigned plen,
		      const struct filter_grant *g);
/* The prefixes that contain @a, shortest first; returns how many. Valid until the next change. */
unsigned filter_index_path(const struct filter_index *ix, const struct fzgw_addr *a,
			   const struct filter_tnode **path);
void filter_index_free(struct filter_index *ix);
/* The secret seed of every client's index (set on first use; for tests). */
uint64_t filter_index_seed(void);

/* policy.c: clients, grants and resources as the control plane set them */
struct filter_client *filter_client_find(const struct filter_state *st, const char *id);
struct filter_grant *filter_grant_find(const struct filter_client *c, const char *res_id);
/* Adds (or, with @add false, removes) what @g covers to its client's index. 0 or -ENOMEM,
 * and then nothing was added. */
int filter_grant_index(struct filter_client *c, struct filter_grant *g, bool add);
/* The index entries of one proxy IP set of @g. 0 or -ENOMEM, and then nothing was added. */
int filter_proxy_index(struct filter_client *c, struct filter_grant *g,
		       const struct filter_proxy *p, bool add);
/* 0, -EINVAL for a malformed resource, -ENOMEM. */
int filter_grant_set(struct filter_state *st, const char *client_id,
		     const struct fzgw_resource *res, int64_t expires_at);
/* Removes one grant (or every grant with @res_id NULL or ""). True when the client is gone. */
bool filter_grant_del(struct filter_state *st, const char *client_id, const char *res_id);
/* Only the filters of a held resource change; 0 (also when nobody holds it), -EINVAL,
 * -EPERM for a type change (refused, counted and logged), -ENOMEM (the old filters stay). */
int filter_resource_update(struct filter_state *st, const struct fzgw_resource *res);
void filter_policy_changed(struct filter_state *st);
void filter_policy_free(struct filter_state *st);
/* Drops the grants that ended at @now and publishes the revocations. */
void filter_expire(struct filter_state *st, int64_t now);

/* res.c: the filter's copy of a resource */
/* Fixed fields, filters and ranges well formed (no count is capped). */
bool filter_resource_valid(const struct fzgw_resource *r);
/* A new copy of valid @def with refs 0 (node id and hash set), or NULL (out of memory). */
struct filter_res *filter_res_new(const struct fzgw_resource *def);
/* @r's filters become valid @def's (merged as above). 0, or -ENOMEM and @r is unchanged. */
int filter_res_set_filters(struct filter_res *r, const struct fzgw_resource *def);
void filter_res_free(struct filter_res *r);

/* proxy.c: a DNS grant's proxy IPs, as the nat module publishes them */
/* 0; -ENOENT without the client or grant; -EINVAL for a malformed set; -ENOSPC; -ENOMEM. */
int filter_proxy_set(struct filter_state *st, const struct fzgw_ev_proxy_ips *e);
void filter_proxy_free_all(struct filter_client *c, struct filter_grant *g);

/* classify.c */
bool filter_grant_live(const struct filter_grant *g, int64_t now);
/* FILTER_OK when @r's filters admit the packet, else PORT_DENIED or PROTO_DENIED. @r is a
 * filter_res copy (filters merged per protocol, ranges sorted and disjoint). */
enum filter_reason filter_admits(const struct fzgw_resource *r, uint8_t proto, bool has_port,
				 uint16_t port);
void filter_classify(const struct filter_client *c, const struct fzgw_addr *a,
		     struct filter_class *out);
/* The decision from a classification (every covering grant when it overflowed). */
enum filter_reason filter_decide_class(const struct filter_client *c,
				       const struct filter_class *cls,
				       const struct filter_query *q);
/* The same decision by scanning every grant: the reference the cache must agree with. */
enum filter_reason filter_decide_scan(const struct filter_client *c, const struct filter_query *q);

/* cache.c */
int filter_cache_init(struct filter_state *st);
void filter_cache_free(struct filter_state *st);
void filter_cache_clear(struct filter_state *st);
/* The classification of @a for @c, from the cache or computed and stored. */
const struct filter_class *filter_cache_classify(struct filter_state *st,
						 const struct filter_client *c,
						 const struct fzgw_addr *a);

/* hooks.c */
const char *filter_reason_name(enum filter_reason r, int dir);
void filter_counters_register(struct filter_state *st);
enum fzgw_verdict filter_hook_in(void *state, struct fzgw_packet *pkt);
enum fzgw_verdict filter_hook_out(void *state, struct fzgw_packet *pkt);

/* events.c */
void filter_on_iface(void *state, const struct fzgw_event *ev);
void filter_on_authorized(void *state, const struct fzgw_event *ev);
void filter_on_revoked(void *state, const struct fzgw_event *ev);
void filter_on_resource(void *state, const struct fzgw_event *ev);
void filter_on_peer_removed(void *state, const struct fzgw_event *ev);
void filter_on_proxy_ips(void *state, const struct fzgw_event *ev);

#endif
