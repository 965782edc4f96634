/* SPDX-License-Identifier: Apache-2.0 */
/* The NAT session table: (proto, port, proxy IP) <-> (proto, port', real IP) per client. */
#ifndef FZGW_NAT_TABLE_H
#define FZGW_NAT_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <fzgw/module.h>

/* Timeouts in milliseconds (the module's settings are seconds). */
struct nat_timeouts {
	uint64_t tcp, udp, icmp; /* since the last packet either way */
	uint64_t unconfirmed;    /* since the first packet while no reply came */
	uint64_t fin;            /* after FIN was seen both ways */
};

struct nat_limits {
	uint32_t max_entries;        /* live sessions, all clients */
	uint32_t max_client_entries; /* live sessions of one client */
	uint32_t max_expired;        /* remembered expired outside tuples, all clients */
};

enum {
	NAT_F_REPLIED = 1 << 0, /* a packet came back: the session is confirmed */
	NAT_F_FIN_FWD = 1 << 1, /* TCP FIN from the client */
	NAT_F_FIN_REV = 1 << 2, /* TCP FIN from the site */
	NAT_F_RST = 1 << 3,     /* TCP RST either way */
	NAT_F_DEAD = 1 << 4,    /* expired: only its outside tuple is remembered */
};

struct nat_tclient;

struct nat_entry {
	struct nat_entry *in_next, *out_next; /* hash chains (in: live only) */
	struct nat_entry *prev, *next;        /* the table's live list, or its expired FIFO */
	struct nat_entry *cprev, *cnext;      /* the client's list (live and expired) */
	struct nat_tclient *client;
	uint32_t in_hash, out_hash;
	uint8_t proto;                        /* 6, 17, 1 or 58 */
	uint8_t flags;                        /* NAT_F_* */
	uint16_t in_port, out_port;           /* source port or echo id, before and after */
	struct fzgw_addr proxy, real;
	uint64_t last_fwd, last_rev;          /* ms of the last packet each way (rev 0: none) */
};

/* What the table keeps of one client; embedded in the module's client, zeroed, id unique. */
struct nat_tclient {
	uint32_t id;
	uint32_t n_live, n_dead;
	struct nat_entry *head;
};

struct nat_table {
	struct nat_timeouts to;
	struct nat_limits lim;
	uint32_t seed;
	uint32_t mask;                   /* buckets - 1, both tables */
	struct nat_entry **in_b, **out_b;
	struct nat_entry *live, *live_tail;
	struct nat_entry *dead, *dead_tail; /* oldest first */
	uint32_t n_live, n_dead;
};

/* 0 or -ENOMEM. @seed keys the hash (take it from a random source). */
int nat_table_init(struct nat_table *t, const struct nat_limits *lim,
		   const struct nat_timeouts *to, uint32_t seed);
void nat_table_fini(struct nat_table *t);
/* New limits and timeouts (reload): timeouts apply to every session at once, limits to new ones. */
void nat_table_configure(struct nat_table *t, const struct nat_limits *lim,
			 const struct nat_timeouts *to);

/*
 * Client -> site. Finds the live session of (@proto, @port, @proxy) or creates one toward
 * @real, keeping @port when no live session of the client uses (@proto, @port, @real),
 * else the next free value counting up and wrapping to 1. Records @tcp_flags and the time.
 * 1 (created) or 0 (found) with *out set, or -ENOSPC (table full), -EDQUOT (client full),
 * -EADDRINUSE (every port toward @real taken), -ENOMEM.
 */
int nat_table_forward(struct nat_table *t, struct nat_tclient *c, uint8_t proto, uint16_t port,
		      const struct fzgw_addr *proxy, const struct fzgw_addr *real,
		      uint8_t tcp_flags, uint64_t now, struct nat_entry **out);

/*
 * Site -> client: the session whose outside tuple is (@proto, @port, @real). Records
 * @tcp_flags (RST, FIN) and confirms the session. 0 with *out set; -ESTALE for a remembered
 * expired tuple; -ENOENT for anything else (not ours: CIDR or Internet traffic).
 */
int nat_table_reverse(struct nat_table *t, struct nat_tclient *c, uint8_t proto, uint16_t port,
		      const struct fzgw_addr *real, uint8_t tcp_flags, uint64_t now,
		      struct nat_entry **out);

/* When the live session @e ends unless another packet comes (ms). */
uint64_t nat_entry_deadline(const struct nat_table *t, const struct nat_entry *e);

/* Expires every live session whose deadline is <= @now; returns how many. */
uint32_t nat_table_expire(struct nat_table *t, uint64_t now);

/* Expires the client's live sessions through @proxy (NULL: all); returns how many. */
uint32_t nat_table_expire_proxy(struct nat_table *t, struct nat_tclient *c,
				 const struct fzgw_addr *proxy);

/* Forgets everything of the client, live and expired. */
void nat_table_client_reset(struct nat_table *t, struct nat_tclient *c);

#endif
