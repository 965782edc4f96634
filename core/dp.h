/* SPDX-License-Identifier: Apache-2.0 */
/* The data plane's own state and the functions its three files share (not for modules). */
#ifndef FZGW_DP_H
#define FZGW_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "dataplane.h"
#include "offload.h"
#include "peers.h"
#include "pool.h"
#include "rules.h"
#include "tun.h"
#include "udp.h"
#include "udp_offload.h"
#include "wg.h"

#define DP_BATCH FZGW_UDP_BATCH_MAX
#define DP_TICK_MS 100
#define DP_TUN_RX (FZGW_VNET_HDR_LEN + FZGW_GSO_MAX_LEN) /* one record, GSO or not */

_Static_assert(DP_BATCH <= FZGW_GRO_BATCH, "a TUN batch must fit one coalescing plan");

struct dp_workers;

struct dp_tx {
	int n;
	struct fzgw_packet *pkt[DP_BATCH];
	uint8_t *buf[DP_BATCH];
	size_t len[DP_BATCH];
	union fzgw_sockaddr dst[DP_BATCH];
};

/* Packets staged during handshakes, all clients together: at most a 1/DP_STAGED_SHARE of
 * the pool (the oldest dropped past it), so waiting clients never starve reads. */
#define DP_STAGED_SHARE 4

/* Replies to sources that proved nothing (cookie replies) are sent only while the socket's
 * send queue holds at most 1/DP_UNPROVEN_SHARE of its buffer: replies stuck waiting for a
 * neighbour that never answers cannot take the room established tunnels send from. */
#define DP_UNPROVEN_SHARE 4

/* Bytes of a datagram read while the pool is empty: a handshake message fits, the rest is dropped. */
#define DP_DRAIN_LEN 256

/* Datagrams that wait for a client whose path is PENDING (the oldest dropped past it). */
#define DP_PENDING_MAX 128

/* Addresses the kernel said are (not) this host's, for the routing-loop check (dp_loop.c). */
#define DP_LOCAL_CACHE 8
#define DP_LOCAL_TTL_MS 5000

struct dp_local {
	struct fzgw_addr addr;
	uint64_t until_ms;
	bool local;
};

/* Counters on the path of every relayed datagram: ids looked up once (dp_count_id). */
enum dp_cid {
	DP_CID_RX_RELAYED,
	DP_CID_RX_RELAYED_BYTES,
	DP_CID_TX_RELAYED,
	DP_CID_TX_RELAYED_BYTES,
	DP_CID_COUNT
};

/* A client removal asked for by a module (api->peer_remove), done after the callback. */
struct dp_removal {
	char client_id[sizeof(((struct fzgw_peer_info *)0)->client_id)];
	char why[64];
};

struct fzgw_dataplane {
	struct fzgw_core *core;
	struct fzgw_ctx *ctx; /* the core's own ctx: owns the fds, timers and subscriptions */
	uint32_t mtu;
	char tun_name[FZGW_TUN_NAME_MAX];
	int tun_fd;
	struct fzgw_udp udp;
	struct fzgw_pool *pool;
	struct fzgw_wg *wg;
	struct fzgw_peers peers;
	struct fzgw_addr gw4, gw6;
	struct fzgw_net_routing routing; /* where the TUN's routes go (rules.h) */
	int batching;          /* > 0 while a batch is processed: sinks queue, the end flushes */
	struct fzgw_timer *fine_tick;
	struct dp_tx tx4, tx6; /* encrypted datagrams waiting for sendmmsg */
	int n_tun;
	struct fzgw_packet *tun_pkt[DP_BATCH];
	uint8_t *tun_buf[DP_BATCH];
	size_t tun_len[DP_BATCH];
	bool tun_vnet;       /* the TUN carries vnet headers: offloads on */
	struct fzgw_gro gro; /* how the last batch to the TUN was coalesced */
	uint8_t *tun_rx;     /* one record read from the TUN when tun_vnet */
	struct dp_removal *removals; /* queued by api->peer_remove */
	size_t n_removals, cap_removals;
	bool said_goodbye; /* to every client, at shutdown: revocations after it send none */
	struct fzgw_timer *removal_timer;
	int cid[DP_CID_COUNT]; /* counter id + 1; 0 until first used */
	struct fzgw_packet *staged_head, *staged_tail; /* every staged packet, oldest first */
	uint32_t n_staged_all;
	int sndbuf4, sndbuf6; /* SO_SNDBUF of the sockets, read once (0: not yet, -1: unknown) */
	uint8_t unproven_asked, unproven_ok; /* dp_unproven_room's answer in this batch: 1 v4, 2 v6 */
	struct dp_local local[DP_LOCAL_CACHE]; /* dp_loop.c */
	uint64_t local_window_ms, loop_said_ms;
	uint32_t local_probes;
	struct fzgw_udp_gso gso4, gso6; /* UDP_SEGMENT on each socket (dp_udp_offload.c) */
	bool gro4, gro6;                /* UDP_GRO on: reads go through gro_rx */
	uint8_t *gro_rx;                /* DP_GRO_READS buffers of FZGW_UDP_GRO_MAX_LEN bytes */
	struct dp_workers *workers;     /* output workers (dp_workers.c); NULL: writes inline */
};

/* Reads of one recvmmsg() on a socket with UDP_GRO, each into a 64 KB buffer (4 MB, touched
 * as used): as many as without GRO, so uncoalesced datagrams cost no more system calls. */
#define DP_GRO_READS DP_BATCH

/* dp_control.c: the engine's callbacks, timers and the control events */
uint64_t dp_wg_now_ns(void *user);

/* dp_io.c: packets between the UDP sockets, the engine, the pipeline and the TUN */
void dp_count(struct fzgw_dataplane *dp, const char *what);
void dp_count_id(struct fzgw_dataplane *dp, enum dp_cid which, uint64_t n);
/* Queues an encrypted datagram (in @pkt's buffer) for @ep's socket; takes @pkt. */
void dp_queue_udp(struct fzgw_dataplane *dp, struct fzgw_packet *pkt, uint8_t *buf, size_t len,
		  const struct fzgw_wg_endpoint *ep);
/* A datagram for the WireGuard engine, from @ep (a relay path when ep->channel); takes @pkt. */
void dp_wg_in(struct fzgw_dataplane *dp, struct fzgw_packet *pkt, const struct fzgw_wg_endpoint *ep,
	      size_t len);
void dp_drop(struct fzgw_dataplane *dp, struct fzgw_packet *pkt, const char *why);
void dp_release(struct fzgw_core *core, struct fzgw_packet *pkt);
void dp_flush_all(struct fzgw_dataplane *dp);
/* Sends what is queued for UDP, waiting up to @ms for socket buffer room (shutdown). */
void dp_flush_udp_wait(struct fzgw_dataplane *dp, uint32_t ms);
/* Sends @tx on @fd waiting for room until @deadline_ms, counts what failed, frees the packets. */
void dp_udp_send_wait(struct fzgw_dataplane *dp, struct dp_tx *tx, int fd, uint64_t deadline_ms);
/* The counters of one write of @n packets to the TUN / one send of @n datagrams. */
void dp_tun_done(struct fzgw_dataplane *dp, int n, int done, size_t refused, uint32_t merged);
void dp_udp_done(struct fzgw_dataplane *dp, int n, int done, size_t refused);
void dp_send_to_peer(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, struct fzgw_packet *pkt);
void dp_sink_in(struct fzgw_core *core, struct fzgw_packet *pkt);
void dp_sink_out(struct fzgw_core *core, struct fzgw_packet *pkt);
int dp_icmp_reply(struct fzgw_core *core, const struct fzgw_packet *orig, int kind, uint32_t mtu);
void dp_on_udp(int fd, short what, void *arg);
void dp_on_tun(int fd, short what, void *arg);
bool dp_addr_eq(const struct fzgw_addr *a, const struct fzgw_addr *b);
void dp_wg_send(void *user, struct fzgw_wg_peer *peer, const struct fzgw_wg_endpoint *ep,
		    const uint8_t *buf, size_t len);
void dp_wg_event(void *user, struct fzgw_wg_peer *wp, enum fzgw_wg_event ev);
void dp_on_tick(void *arg);
void dp_on_iface(void *state, const struct fzgw_event *ev);
/* dp_route.c: the TUN routing's log lines after a configuration; its rules deleted. */
void dp_routing_report(struct fzgw_dataplane *dp);
void dp_routing_cleanup(struct fzgw_dataplane *dp);
void dp_on_authorized(void *state, const struct fzgw_event *ev);
void dp_on_revoked(void *state, const struct fzgw_event *ev);
int dp_peer_remove(struct fzgw_core *core, const char *client_id, const char *why);
struct fzgw_packet *dp_alloc(struct fzgw_core *core);
int dp_public_key(struct fzgw_core *core, uint8_t out[32]);
const struct fzgw_peer_info *dp_peer_by_client(struct fzgw_core *core, const char *id);

/* dp_hold.c: staged packets and the client reference of a packet */
/* Sets pkt->peer and stamps the client's generation beside the packet. */
void dp_pkt_set_peer(struct fzgw_packet *pkt, struct fzgw_gw_peer *peer);
/* The client of @pkt if it is still there (never reads a removed client's memory); NULL. */
struct fzgw_gw_peer *dp_pkt_peer(struct fzgw_dataplane *dp, struct fzgw_packet *pkt);
bool dp_pkt_peer_ok(struct fzgw_core *core, struct fzgw_packet *pkt);
uint32_t dp_staged_cap(const struct fzgw_dataplane *dp);
/* Stages @pkt for @peer until its session is ready (takes it); the oldest of all goes past the cap. */
void dp_stage(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, struct fzgw_packet *pkt);
/* Takes @peer's staged packets, oldest first. */
uint8_t dp_staged_take(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer,
		       struct fzgw_packet *out[FZGW_PEER_STAGED]);
void dp_staged_drop(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, const char *why);

/* dp_path.c: client paths (api->peer_set_path) */
/* Sends an encrypted datagram (in @pkt's buffer, @buf/@len) the way @peer's path says:
 * @ep (the engine's) for ANY, the path's endpoint, as ChannelData for a relay, or into the
 * PENDING queue. Takes @pkt. */
void dp_path_out(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, struct fzgw_packet *pkt,
		 uint8_t *buf, size_t len, const struct fzgw_wg_endpoint *ep);
/* The same for a borrowed datagram (handshakes, keepalives, cookie replies); @peer may be NULL. */
void dp_path_send(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer,
		  const struct fzgw_wg_endpoint *ep, const uint8_t *buf, size_t len);
int dp_set_path(struct fzgw_core *core, const char *client_id, const struct fzgw_path *path);
/* Frees what waits for @peer, counting it as @why. */
void dp_pending_free(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, const char *why);
size_t dp_pending_count(const struct fzgw_gw_peer *peer);
/* @peer got a new engine peer (a new public key): what waited goes, the path's endpoint stays. */
void dp_path_rekeyed(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer);

/* dp_loop.c: routing loops */
/* Is @pkt, read from the TUN, one of our own outer datagrams (UDP from our port and from
 * one of this host's addresses)? Then a client's endpoint is routed into the TUN. */
bool dp_own_datagram(struct fzgw_dataplane *dp, const struct fzgw_packet *pkt);
/* Drops it, counted tx-routing-loop, with a warning at most every 10 s. */
void dp_loop_drop(struct fzgw_dataplane *dp, struct fzgw_packet *pkt);

/* dp_udp.c: the UDP sockets shared with a module */
void dp_wg_ep_set(struct fzgw_wg_endpoint *ep, const struct fzgw_endpoint *e, uint16_t channel);
/* A datagram of class @cls (STUN, ChannelData) to the module that claimed it, or dropped. */
void dp_udp_demux(struct fzgw_dataplane *dp, int fd, struct fzgw_packet *pkt,
		  const union fzgw_sockaddr *src, size_t len, int cls);
/* Sends now from the socket of @dst's family, as ChannelData when dst->channel. 0 or -errno. */
int dp_send_raw(struct fzgw_dataplane *dp, const struct fzgw_wg_endpoint *dst, const uint8_t *data,
		size_t len);
/* May a reply to an unproven source go to @dst now (the socket's queue is short enough)? */
bool dp_unproven_room(struct fzgw_dataplane *dp, const struct fzgw_wg_endpoint *dst);
int dp_udp_send(struct fzgw_core *core, const struct fzgw_endpoint *to, const uint8_t *data, size_t len);
int dp_udp_local(struct fzgw_core *core, int family, struct fzgw_endpoint *out);

/* dp_udp_offload.c: UDP GSO and GRO on the WireGuard sockets (gateway.udp_offload) */
/* Turns on what the kernel offers and @on allows; logs what it did. 0 or -ENOMEM. */
int dp_udp_offload_start(struct fzgw_dataplane *dp, bool on);
void dp_udp_offload_stop(struct fzgw_dataplane *dp);
/* Sends @n datagrams queued for socket @fd (the GSO state of its family), counting. */
int dp_udp_send_queued(struct fzgw_dataplane *dp, int fd, uint8_t *const *bufs, const size_t *lens,
		       const union fzgw_sockaddr *dsts, size_t n, size_t *n_refused);
/* The counters (and the warning once GSO turned off) of one GSO send on @v6's socket. */
void dp_udp_gso_done(struct fzgw_dataplane *dp, bool v6, const struct fzgw_udp_tx_result *res);
/* A read event on a socket with UDP_GRO: coalesced reads cut, each datagram its way. */
void dp_on_udp_gro(struct fzgw_dataplane *dp, int fd);
void dp_udp_input(struct fzgw_core *core, const struct fzgw_path *via, const uint8_t *data, size_t len);

/* dp_shard.c: which output worker a packet goes to (one session: always the same one) */
/* A datagram by its destination (the client's endpoint: address and port). */
unsigned int dp_shard_udp(const union fzgw_sockaddr *dst, unsigned int n_workers);
/* A packet to the TUN by its inner source address (the client's tunnel address), IPv4 or
 * IPv6; anything else (too short, another version) goes to worker 0. */
unsigned int dp_shard_tun(const uint8_t *pkt, size_t len, unsigned int n_workers);

/* dp_workers.c: output workers (gateway.workers), threads that do the TUN and UDP writes */
/* Jobs in a worker's ring; each holds up to DP_BATCH packets. */
#define DP_WORKER_JOBS 8
#define DP_WORKERS_MAX 64
#define DP_WORKERS_AUTO_MAX 8
enum dp_kind { DP_KIND_TUN, DP_KIND_UDP4, DP_KIND_UDP6, DP_KINDS };
/* Output workers from which they also seal outbound data messages: with one, the worker is
 * already the busier thread (its sendmmsg carries the kernel's forwarding) and the seal stays
 * on the loop; with more the loop is the one serial thread (bench/README.md, "Workers"). */
#define DP_WORKERS_SEAL_MIN 2

/* The data-plane threads for gateway.workers @cfg (0: online CPUs, at most DP_WORKERS_AUTO_MAX). */
unsigned int dp_workers_threads(int cfg);
/* Pool buffers @threads data-plane threads can hold on top of the loop's. */
uint32_t dp_workers_buffers(unsigned int threads);
/* Starts @threads - 1 output workers (none for 1): 0, -errno (nothing started). */
int dp_workers_start(struct fzgw_dataplane *dp, unsigned int threads);
/* Output workers running (0: none). */
unsigned int dp_workers_count(const struct fzgw_dataplane *dp);
/* Every packet written and reaped, the threads joined, everything freed; dp->workers NULL. */
void dp_workers_stop(struct fzgw_dataplane *dp);
/* Queues @pkt (@buf/@len) of @kind for its shard's worker (@dst for UDP); takes @pkt. With
 * @seal (UDP) the worker seals the data message first; the caller wipes its copy. */
void dp_workers_queue(struct fzgw_dataplane *dp, enum dp_kind kind, struct fzgw_packet *pkt,
		      uint8_t *buf, size_t len, const struct fzgw_wg_endpoint *dst,
		      const struct fzgw_wg_seal *seal);
/* Hands every non-empty open job to its worker. */
void dp_workers_submit_all(struct fzgw_dataplane *dp);
/* Takes back the jobs the workers finished: counters, packets to the pool. */
void dp_workers_reap(struct fzgw_dataplane *dp);
/* Waits for every job handed over, then sends the open UDP jobs on the loop, waiting for
 * socket room until @deadline_ms (shutdown: the Goodbyes). */
void dp_workers_udp_wait(struct fzgw_dataplane *dp, uint64_t deadline_ms);
/* Tests: held workers take no new job (until released or stopped). */
void dp_workers_hold(struct fzgw_dataplane *dp, bool hold);

#endif
