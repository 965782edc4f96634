/* SPDX-License-Identifier: Apache-2.0 */
/* fzgw_gen: a WireGuard load generator that measures the gateway, not the client. */
#ifndef FZGW_GEN_H
#define FZGW_GEN_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg.h"

enum {
	GEN_MAGIC = 0x465a474e, /* "FZGN": the first word of every payload */
	GEN_PAYLOAD_HDR = 16,   /* magic, step, session, sequence (big-endian words) */
	GEN_IP_UDP = 28,
	GEN_MIN_SIZE = GEN_IP_UDP + GEN_PAYLOAD_HDR,
	GEN_MAX_SIZE = 1420,
	GEN_BATCH = 64,
	GEN_PRIME_STEP = 0xffffffffu, /* the step id of the priming packets */
};

/* ---- sys.c: time, CPU, namespaces */
uint64_t gen_now_ns(void);
void gen_sleep_ns(uint64_t ns);
/* utime + stime of a process in seconds (all threads); -1 if unreadable */
double gen_proc_cpu_s(int pid);
long gen_proc_rss_kb(int pid);
/* datagrams the kernel dropped at UDP sockets on @port in @pid's network namespace */
uint64_t gen_proc_udp_drops(int pid, uint16_t port);
/* packets dropped at the kernel's per-CPU input backlogs (/proc/net/softnet_stat) */
uint64_t gen_softnet_drops(void);
/* this process's user + system CPU seconds (getrusage) */
double gen_self_cpu_s(void);
/* a socket of @type created inside the network namespace /var/run/netns/@name (NULL: here) */
int gen_socket_in(const char *netns, int type);
int gen_parse_key(const char *b64, uint8_t out[32]);
int gen_parse_ep(const char *s, struct sockaddr_in *sa);
void gen_put32(uint8_t *p, uint32_t v);
uint32_t gen_get32(const uint8_t *p);
uint32_t gen_le32(const uint8_t *p);

/* ---- sess.c: identities, one engine device each, handshakes */
struct gen_session {
	struct fzgw_wg *wg;
	struct fzgw_wg_peer *peer;
	struct gen_sessions *set;
	uint32_t id;          /* its index in the set: also the payload's session word */
	struct in_addr tun;   /* its tunnel address (the gateway's config gives it) */
	struct in_addr src;   /* the outer source address (--src-net) */
	uint16_t sport;       /* the inner UDP source port */
	uint64_t skew_ns;     /* added to its clock: a cookie reply moves it to the retransmission */
	uint64_t hs_start, hs_done;
	uint64_t hs_sent;
	uint32_t local_index; /* our sender index of the last initiation */
	bool ready, failed;
};

struct gen_sessions {
	struct gen_session *s;
	uint8_t (*keys)[32];          /* private keys until the devices take them (then zeroed) */
	size_t n;
	int fd;                       /* the client-side UDP socket (all sessions) */
	struct fzgw_wg_endpoint gw;   /* the gateway */
	uint8_t gwpub[32];
	uint32_t *map;                /* open addressing: local index -> session id + 1 */
	size_t map_mask;
	bool pktinfo;                 /* several source addresses: IP_PKTINFO per datagram */
	uint64_t cookies, hs_retries;
};

struct gen_hs_result {
	size_t ok, failed;
	double secs, gw_cpu_s;
	uint64_t cookies;
};

/* Loads "INDEX PRIVATE [PUBLIC]" lines (the first @max), the tunnel address of INDEX being
 * @tnet + 2 + INDEX; sources spread over @src_count addresses from @src_net (0: the socket's). */
int gen_sessions_load(struct gen_sessions *set, const char *keyfile, size_t max,
		      struct in_addr tnet, struct in_addr src_net, uint32_t src_count);
int gen_sessions_open(struct gen_sessions *set, const struct sockaddr_in *gw,
		      const uint8_t gwpub[32]);
/* Handshakes every session not ready (all when @all): at most @rate started per second (0:
 * no limit), @window in flight; each gets @timeout_s. */
void gen_sessions_handshake(struct gen_sessions *set, bool all, double rate, size_t window,
			    double timeout_s, int gw_pid, struct gen_hs_result *res);
/* The session a datagram from the gateway is for (by its receiver index), NULL if none. */
struct gen_session *gen_sessions_for(struct gen_sessions *set, const uint8_t *buf, size_t len);
/* Records that the gateway's messages to session @id carry receiver index @key. */
void gen_sessions_index(struct gen_sessions *set, uint32_t key, uint32_t id);
/* 0 if @buf is a WireGuard data message to a known session whose plaintext can be an IP
 * packet of @size bytes (padding allowed): *s and the message's *counter set. */
int gen_rx_data(struct gen_sessions *set, const uint8_t *buf, size_t len, size_t size,
		struct gen_session **s, uint64_t *counter);
/* Sends one datagram from a session's source address. */
int gen_session_send(struct gen_session *s, const uint8_t *buf, size_t len);
void gen_sessions_free(struct gen_sessions *set);

/* ---- pkt.c: inner packets and payloads */
/* An IPv4/UDP packet of @size bytes at @p: @src:@sport -> @dst:@dport, payload words. */
void gen_ip_udp(uint8_t *p, size_t size, struct in_addr src, uint16_t sport,
		struct in_addr dst, uint16_t dport);
void gen_payload(uint8_t *pay, uint32_t step, uint32_t session, uint32_t seq);
/* 0 and the words if @pay (of @len bytes) is one of ours */
int gen_payload_read(const uint8_t *pay, size_t len, uint32_t *step, uint32_t *session,
		     uint32_t *seq);

/* ---- flow.c: the measured steps */
struct gen_flow_cfg {
	struct gen_sessions *set;
	int site_fd;                  /* the site socket (sink and site sender), in the site ns */
	struct sockaddr_in sink;      /* its address */
	int gw_pid;                   /* 0: not measured */
	size_t mem_cap;               /* bytes for pre-encrypted packets */
	uint32_t auth_every;          /* site -> client: decrypt 1 of N (sample) */
	double drain_s;               /* after sending: wait until nothing arrives for this long */
	double pace_us;               /* a sendmmsg batch covers this much of the rate (<= 64) */
	struct sockaddr_in *dest;     /* site -> client: each session's address as the site sees it */
	size_t primed;
};

struct gen_step {
	const char *dir;              /* "c2s" or "s2c" */
	uint32_t id;
	size_t size;
	double rate, secs;            /* asked for */
	/* results */
	double offered;               /* packets/s actually sent */
	uint64_t sent, recv, bytes, reordered, stale, auth_ok, auth_fail, rxq_drops, tx_errors;
	uint64_t gw_udp_drops;        /* at the gateway's WireGuard socket (its namespace) */
	uint64_t softnet_drops;       /* the kernel's input backlogs (all CPUs, the whole host) */
	uint64_t flushed;             /* late packets of an earlier step, dropped before this one */
	double wall_s, gw_cpu_s, gen_cpu_s, prep_s;
	double loss_pct;
};

int gen_flow_prime(struct gen_flow_cfg *cfg);
int gen_flow_c2s(struct gen_flow_cfg *cfg, struct gen_step *st);
int gen_flow_s2c(struct gen_flow_cfg *cfg, struct gen_step *st);

#endif
