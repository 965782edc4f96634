/* SPDX-License-Identifier: Apache-2.0 */
/* The data plane: TUN and UDP on the loop, the WireGuard engine, peers, and the packet pipeline. */
#include "dataplane.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "icmp_build.h"
#include "ip_parse.h"
#include "log.h"
#include "loop.h"
#include "netlink.h"
#include "offload.h"
#include "peers.h"
#include "pool.h"
#include "tun.h"
#include "udp.h"
#include "wg.h"

#define DP_BATCH FZGW_UDP_BATCH_MAX
#define DP_TICK_MS 100
#define DP_TUN_RX (FZGW_VNET_HDR_LEN + FZGW_GSO_MAX_LEN) /* one record, GSO or not */

_Static_assert(DP_BATCH <= FZGW_GRO_BATCH, "a TUN batch must fit one coalescing plan");

struct dp_tx {
	int n;
	struct fzgw_packet *pkt[DP_BATCH];
	uint8_t *buf[DP_BATCH];
	size_t len[DP_BATCH];
	union fzgw_sockaddr dst[DP_BATCH];
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
};

static const char *const parse_reason[FZGW_IP_REASON_COUNT] = {
	"ok", "ip-too-long", "ip-too-short", "ip-bad-version", "ip-bad-ihl", "ip-bad-total-length",
	"ip-bad-payload-length", "ip-fragment", "ip-bad-ext-header", "ip-l4-truncated",
	"ip-bad-udp-length", "ip-bad-tcp-offset", "ip-icmp-family",
};

static void count(struct fzgw_dataplane *dp, const char *what)
{
	fzgw_counter_bump(&dp->core->counters, what, 1);
}

static void release(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	(void)core;
	fzgw_pool_put(pkt);
}

static void drop(struct fzgw_dataplane *dp, struct fzgw_packet *pkt, const char *why)
{
	fzgw_core_drop(dp->core, pkt, why);
}

/* ------------------------------------------------------------ sending */

static void flush_udp(struct fzgw_dataplane *dp, struct dp_tx *tx, int fd)
{
	size_t refused = 0;
	int done = 0;

	if (!tx->n)
		return;
	if (fd >= 0)
		done = fzgw_udp_send_batch(fd, tx->buf, tx->len, tx->dst, (size_t)tx->n, &refused);
	if (done < 0)
		done = 0;
	if (refused)
		fzgw_counter_bump(&dp->core->counters, "tx-udp-refused", refused);
	if (done < tx->n)
		fzgw_counter_bump(&dp->core->counters, "tx-udp-full", (uint64_t)(tx->n - done));
	for (int i = 0; i < tx->n; i++)
		fzgw_pool_put(tx->pkt[i]);
	tx->n = 0;
}

static void flush_tun(struct fzgw_dataplane *dp)
{
	size_t refused = 0;
	int done;

	if (!dp->n_tun)
		return;
	if (dp->tun_vnet) {
		/* one GSO write per run of a flow's segments: the kernel forwards one skb */
		done = fzgw_gro_write(&dp->gro, dp->tun_fd, dp->tun_buf, dp->tun_len,
				      (size_t)dp->n_tun, &refused);
		if (done > 0 && dp->gro.merged)
			fzgw_counter_bump(&dp->core->counters, "rx-tun-coalesced", dp->gro.merged);
	} else {
		done = fzgw_tun_write_batch(dp->tun_fd, dp->tun_buf, dp->tun_len, (size_t)dp->n_tun,
					    &refused);
	}
	if (done < 0)
		done = 0;
	if (refused)
		fzgw_counter_bump(&dp->core->counters, "rx-tun-refused", refused);
	if (done < dp->n_tun)
		fzgw_counter_bump(&dp->core->counters, "rx-tun-full", (uint64_t)(dp->n_tun - done));
	for (int i = 0; i < dp->n_tun; i++)
		fzgw_pool_put(dp->tun_pkt[i]);
	dp->n_tun = 0;
}

static void flush_all(struct fzgw_dataplane *dp)
{
	flush_udp(dp, &dp->tx4, dp->udp.fd4);
	flush_udp(dp, &dp->tx6, dp->udp.fd6);
	flush_tun(dp);
}

/* Queues an encrypted datagram (the packet's buffer) for its socket. */
static void queue_udp(struct fzgw_dataplane *dp, struct fzgw_packet *pkt, uint8_t *buf, size_t len,
		      const struct fzgw_wg_endpoint *ep)
{
	struct dp_tx *tx = ep->sa.sa_family == AF_INET6 ? &dp->tx6 : &dp->tx4;

	if (tx->n == DP_BATCH)
		flush_udp(dp, tx, tx == &dp->tx6 ? dp->udp.fd6 : dp->udp.fd4);
	tx->pkt[tx->n] = pkt;
	tx->buf[tx->n] = buf;
	tx->len[tx->n] = len;
	memset(&tx->dst[tx->n], 0, sizeof(tx->dst[0]));
	memcpy(&tx->dst[tx->n], &ep->sa, ep->len);
	tx->n++;
	if (!dp->batching)
		flush_udp(dp, tx, tx == &dp->tx6 ? dp->udp.fd6 : dp->udp.fd4);
}

/* Encrypts a packet for its client and queues it; stages it while a handshake runs. */
static void send_to_peer(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, struct fzgw_packet *pkt)
{
	const struct fzgw_wg_endpoint *ep;
	uint8_t *buf = pkt->data - FZGW_WG_HEADROOM;
	size_t cap = FZGW_WG_HEADROOM + pkt->cap + FZGW_POOL_TAILROOM, out_len;
	int rc;

	if (fzgw_pool_headroom(pkt) < FZGW_WG_HEADROOM) {
		drop(dp, pkt, "tx-no-headroom");
		return;
	}
	rc = fzgw_wg_encrypt(dp->wg, peer->wg, buf, pkt->len, cap, dp->mtu, &out_len, &ep);
	if (rc == 0) {
		queue_udp(dp, pkt, buf, out_len, ep);
		return;
	}
	if (rc == -ENOKEY) {
		if (peer->n_staged < FZGW_PEER_STAGED) {
			peer->staged[peer->n_staged++] = pkt;
			return;
		}
		drop(dp, pkt, "tx-staged-full");
		return;
	}
	drop(dp, pkt, rc == -EDESTADDRREQ ? "tx-no-endpoint" : "tx-encrypt-failed");
}

/* The end of the inbound pipeline: to the site through the TUN. */
static void sink_in(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	struct fzgw_dataplane *dp = core->dp;

	if (dp->n_tun == DP_BATCH)
		flush_tun(dp);
	dp->tun_pkt[dp->n_tun] = pkt;
	dp->tun_buf[dp->n_tun] = pkt->data;
	dp->tun_len[dp->n_tun] = pkt->len;
	dp->n_tun++;
	if (!dp->batching)
		flush_tun(dp);
}

/* The end of the outbound pipeline: encrypted to the client found before the chains. */
static void sink_out(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	struct fzgw_dataplane *dp = core->dp;
	struct fzgw_gw_peer *peer;

	/* modules may have removed the client meanwhile (a STOLEN packet): look it up again */
	if (!pkt->peer || !(peer = fzgw_peers_by_client(&dp->peers, pkt->peer->client_id))) {
		drop(dp, pkt, "tx-no-peer");
		return;
	}
	send_to_peer(dp, peer, pkt);
}

static int icmp_reply(struct fzgw_core *core, const struct fzgw_packet *orig, int kind, uint32_t mtu)
{
	struct fzgw_dataplane *dp = core->dp;
	struct fzgw_gw_peer *peer;
	struct fzgw_packet *pkt;
	int n;

	if (!orig->peer || !(peer = fzgw_peers_by_client(&dp->peers, orig->peer->client_id)))
		return -ENOENT;
	if (!(pkt = fzgw_pool_get(dp->pool))) {
		count(dp, "icmp-no-buffer");
		return -ENOBUFS;
	}
	n = fzgw_icmp_build_error(pkt->data, pkt->cap, orig->data, &orig->ip, kind, mtu ? mtu : dp->mtu,
				  NULL);
	if (n < 0 || fzgw_ip_parse(&pkt->ip, pkt->data, (size_t)n, dp->mtu) != 0) {
		fzgw_pool_put(pkt);
		return n < 0 ? n : -EINVAL;
	}
	pkt->len = (uint32_t)n;
	pkt->dir = FZGW_DIR_OUT;
	pkt->peer = &peer->info;
	count(dp, "icmp-sent");
	send_to_peer(dp, peer, pkt);
	return 0;
}

/* ------------------------------------------------------------ receiving */

static bool addr_eq(const struct fzgw_addr *a, const struct fzgw_addr *b)
{
	return a->family && a->family == b->family && !memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16);
}

static void from_udp(struct fzgw_dataplane *dp, struct fzgw_packet *pkt, const union fzgw_sockaddr *src,
		     size_t len)
{
	struct fzgw_wg_endpoint ep;
	struct fzgw_wg_peer *wp;
	struct fzgw_gw_peer *peer;
	size_t off, plen;
	int rc, r;

	memset(&ep, 0, sizeof(ep));
	if (src->sa.sa_family == AF_INET6) {
		ep.in6 = src->in6;
		ep.len = sizeof(ep.in6);
	} else {
		ep.in4 = src->in4;
		ep.len = sizeof(ep.in4);
	}
	rc = fzgw_wg_receive(dp->wg, &ep, pkt->data, len, &wp, &off, &plen);
	if (rc != FZGW_WG_RX_DATA) {
		/* handshakes and keepalives are done; wg drops are counted by the engine */
		fzgw_pool_put(pkt);
		return;
	}
	peer = fzgw_wg_peer_user(wp);
	pkt->data += off;
	pkt->cap -= (uint32_t)off;
	pkt->len = (uint32_t)plen;
	if ((r = fzgw_ip_parse(&pkt->ip, pkt->data, plen, dp->mtu)) != 0) {
		drop(dp, pkt, r < FZGW_IP_REASON_COUNT ? parse_reason[r] : "ip-invalid");
		return;
	}
	/* the original's anti-spoofing rule: a client speaks only from its own tunnel address */
	if (pkt->ip.kind != FZGW_IP_KIND_CONTROL && !addr_eq(&pkt->ip.src, &peer->info.ipv4) &&
	    !addr_eq(&pkt->ip.src, &peer->info.ipv6)) {
		drop(dp, pkt, "rx-spoofed-source");
		return;
	}
	pkt->dir = FZGW_DIR_IN;
	pkt->peer = &peer->info;
	fzgw_core_pipeline(dp->core, pkt, FZGW_PHASE_IN_PARSE, 0);
}

static void on_udp(int fd, short what, void *arg)
{
	struct fzgw_dataplane *dp = arg;
	struct fzgw_packet *pkts[DP_BATCH];
	uint8_t *bufs[DP_BATCH];
	size_t lens[DP_BATCH];
	union fzgw_sockaddr srcs[DP_BATCH];
	int n, got;

	(void)what;
	for (n = 0; n < DP_BATCH; n++) {
		if (!(pkts[n] = fzgw_pool_get(dp->pool)))
			break;
		bufs[n] = pkts[n]->data;
		lens[n] = pkts[n]->cap;
	}
	if (!n) {
		count(dp, "rx-no-buffer");
		/* leave the datagrams in the socket: the loop comes back when buffers return */
		return;
	}
	got = fzgw_udp_recv_batch(fd, bufs, lens, srcs, (size_t)n);
	dp->batching++;
	for (int i = 0; i < n; i++) {
		if (i >= got) {
			fzgw_pool_put(pkts[i]);
		} else if (lens[i] > pkts[i]->cap) {
			drop(dp, pkts[i], "rx-udp-truncated");
		} else {
			from_udp(dp, pkts[i], &srcs[i], lens[i]);
		}
	}
	dp->batching--;
	flush_all(dp);
}

/* A packet from the site: parsed, its client found by the destination, then the chains. */
static void from_tun(struct fzgw_dataplane *dp, struct fzgw_packet *pkt, size_t len)
{
	struct fzgw_gw_peer *peer;
	int r;

	pkt->len = (uint32_t)len;
	if ((r = fzgw_ip_parse(&pkt->ip, pkt->data, len, dp->mtu)) != 0) {
		drop(dp, pkt, r < FZGW_IP_REASON_COUNT ? parse_reason[r] : "ip-invalid");
		return;
	}
	/* the client is found by the destination before any hook runs */
	if (!(peer = fzgw_peers_by_addr(&dp->peers, &pkt->ip.dst))) {
		drop(dp, pkt, "tx-no-peer");
		return;
	}
	pkt->dir = FZGW_DIR_OUT;
	pkt->peer = &peer->info;
	fzgw_core_pipeline(dp->core, pkt, FZGW_PHASE_OUT_PARSE, 0);
}

/*
 * With offloads a read is one record: a packet, or a GSO super-packet of up to 64 KB that
 * is cut into MTU-sized packets here, each copied into a pool buffer. A wake-up takes
 * records until about a batch of packets came out.
 */
static void on_tun_vnet(struct fzgw_dataplane *dp, int fd)
{
	uint64_t gso = 0, bad = 0, no_buf = 0, cut = 0;
	int budget = DP_BATCH;

	dp->batching++;
	while (budget > 0) {
		uint8_t *rec = dp->tun_rx;
		size_t len = DP_TUN_RX;
		struct fzgw_gso s;
		int n;

		if (fzgw_tun_read_batch(fd, &rec, &len, 1) != 1)
			break;
		budget--;
		if ((n = fzgw_gso_start(&s, rec, len)) < 0) {
			bad++;
			continue;
		}
		if (s.gso_size) {
			gso++;
			budget -= n - 1;
		}
		for (int i = 0; i < n; i++) {
			struct fzgw_packet *pkt = fzgw_pool_get(dp->pool);
			int got;

			if (!pkt) {
				no_buf += (uint64_t)(n - i);
				break;
			}
			if ((got = fzgw_gso_next(&s, pkt->data, pkt->cap)) <= 0) {
				fzgw_pool_put(pkt);
				if (!got)
					break;
				cut++;
				continue;
			}
			from_tun(dp, pkt, (size_t)got);
		}
	}
	dp->batching--;
	flush_all(dp);
	if (gso)
		fzgw_counter_bump(&dp->core->counters, "tx-tun-gso", gso);
	if (bad)
		fzgw_counter_bump(&dp->core->counters, "tx-tun-bad-vnet", bad);
	if (no_buf)
		fzgw_counter_bump(&dp->core->counters, "tx-no-buffer", no_buf);
	if (cut)
		fzgw_counter_bump(&dp->core->counters, "tx-tun-truncated", cut);
}

static void on_tun(int fd, short what, void *arg)
{
	struct fzgw_dataplane *dp = arg;
	struct fzgw_packet *pkts[DP_BATCH];
	uint8_t *bufs[DP_BATCH];
	size_t lens[DP_BATCH];
	int n, got;

	(void)what;
	if (dp->tun_vnet) {
		on_tun_vnet(dp, fd);
		return;
	}
	for (n = 0; n < DP_BATCH; n++) {
		if (!(pkts[n] = fzgw_pool_get(dp->pool)))
			break;
		bufs[n] = pkts[n]->data;
		lens[n] = pkts[n]->cap;
	}
	if (!n) {
		count(dp, "tx-no-buffer");
		return;
	}
	got = fzgw_tun_read_batch(fd, bufs, lens, (size_t)n);
	dp->batching++;
	for (int i = 0; i < n; i++) {
		if (i >= got) {
			fzgw_pool_put(pkts[i]);
			continue;
		}
		if (lens[i] > pkts[i]->cap) {
			drop(dp, pkts[i], "tx-tun-truncated");
			continue;
		}
		from_tun(dp, pkts[i], lens[i]);
	}
	dp->batching--;
	flush_all(dp);
}

/* ------------------------------------------------------------ WireGuard callbacks */

static uint64_t wg_now_ns(void *user)
{
	struct timespec ts;

	(void)user;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void wg_send(void *user, struct fzgw_wg_peer *peer, const struct fzgw_wg_endpoint *ep,
		    const uint8_t *buf, size_t len)
{
	struct fzgw_dataplane *dp = user;
	int fd = ep->sa.sa_family == AF_INET6 ? dp->udp.fd6 : dp->udp.fd4;

	(void)peer;
	if (fd < 0 || sendto(fd, buf, len, MSG_DONTWAIT, &ep->sa, ep->len) < 0)
		count(dp, "tx-handshake-failed");
}

static void flush_staged(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, bool send)
{
	uint8_t n = peer->n_staged;
	struct fzgw_packet *staged[FZGW_PEER_STAGED];

	memcpy(staged, peer->staged, sizeof(staged[0]) * n);
	peer->n_staged = 0;
	dp->batching++;
	for (uint8_t i = 0; i < n; i++) {
		if (send)
			send_to_peer(dp, peer, staged[i]);
		else
			drop(dp, staged[i], "tx-handshake-failed");
	}
	dp->batching--;
	if (!dp->batching)
		flush_all(dp);
}

static void wg_event(void *user, struct fzgw_wg_peer *wp, enum fzgw_wg_event ev)
{
	struct fzgw_dataplane *dp = user;
	struct fzgw_gw_peer *peer = fzgw_wg_peer_user(wp);

	switch (ev) {
	case FZGW_WG_EV_SESSION_READY:
		fzgw_dbg("client %s: session ready", peer->info.client_id);
		flush_staged(dp, peer, true);
		break;
	case FZGW_WG_EV_HANDSHAKE_FAILED:
		fzgw_info("client %s: no handshake completed, dropping %u queued packet(s)",
			  peer->info.client_id, peer->n_staged);
		flush_staged(dp, peer, false);
		break;
	case FZGW_WG_EV_ENDPOINT_CHANGED: {
		const struct fzgw_wg_endpoint *ep = fzgw_wg_peer_endpoint(wp);
		char a[INET6_ADDRSTRLEN] = "?";

		if (ep && ep->sa.sa_family == AF_INET)
			inet_ntop(AF_INET, &ep->in4.sin_addr, a, sizeof(a));
		else if (ep)
			inet_ntop(AF_INET6, &ep->in6.sin6_addr, a, sizeof(a));
		fzgw_info("client %s: endpoint %s port %u", peer->info.client_id, a,
			  ep ? ntohs(ep->sa.sa_family == AF_INET ? ep->in4.sin_port : ep->in6.sin6_port) : 0);
		break;
	}
	case FZGW_WG_EV_KEYS_ZEROED:
		fzgw_dbg("client %s: keys erased after inactivity", peer->info.client_id);
		break;
	}
}

static void on_tick(void *arg);

static void on_fine_tick(void *arg)
{
	struct fzgw_dataplane *dp = arg;

	dp->fine_tick = NULL; /* one-shot: freed by the loop */
	on_tick(dp);
}

/* The periodic tick bounds the timers' lateness; a deadline sooner than the next tick
 * (a retransmit with its 0-333 ms jitter) gets a one-shot timer of its own. */
static void on_tick(void *arg)
{
	struct fzgw_dataplane *dp = arg;
	uint64_t next, now;

	dp->batching++;
	fzgw_wg_tick(dp->wg);
	dp->batching--;
	flush_all(dp);
	next = fzgw_wg_next_deadline(dp->wg);
	now = wg_now_ns(NULL);
	if (!dp->fine_tick && next != UINT64_MAX && next < now + (uint64_t)DP_TICK_MS * 1000000u) {
		uint32_t ms = next > now ? (uint32_t)((next - now + 999999u) / 1000000u) : 1;

		dp->fine_tick = fzgw_loop_timer_add(dp->ctx, ms, false, on_fine_tick, dp);
	}
}

/* ------------------------------------------------------------ control events */

static void addr_text(const struct fzgw_addr *a, char *buf, size_t len)
{
	if (a->family == 4 || a->family == 6)
		inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, buf, (socklen_t)len);
	else
		snprintf(buf, len, "-");
}

static void on_iface(void *state, const struct fzgw_event *ev)
{
	struct fzgw_dataplane *dp = state;
	const struct fzgw_ev_iface *i = ev->data;
	char v4[INET6_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];
	int rc;

	if (ev->size < sizeof(*i))
		return;
	addr_text(&i->ipv4, v4, sizeof(v4));
	addr_text(&i->ipv6, v6, sizeof(v6));
	if (addr_eq(&dp->gw4, &i->ipv4) && addr_eq(&dp->gw6, &i->ipv6))
		return;
	rc = fzgw_net_configure_tun(dp->tun_name, i->ipv4.family == 4 ? v4 : NULL,
				    i->ipv6.family == 6 ? v6 : NULL, dp->mtu);
	if (rc < 0) {
		fzgw_err("cannot configure %s (%s, %s): %s", dp->tun_name, v4, v6, strerror(-rc));
		return;
	}
	dp->gw4 = i->ipv4;
	dp->gw6 = i->ipv6;
	fzgw_info("interface %s: %s/32 %s/128 mtu %u, routes 100.64.0.0/11 fd00:2021:1111::/107 (from %s)",
		  dp->tun_name, v4, v6, dp->mtu, ev->source);
}

static void remove_peer(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, const char *why)
{
	struct fzgw_ev_peer gone;

	snprintf(gone.client_id, sizeof(gone.client_id), "%s", peer->info.client_id);
	fzgw_info("client %s: tunnel removed (%s)", peer->info.client_id, why);
	for (uint8_t i = 0; i < peer->n_staged; i++)
		drop(dp, peer->staged[i], "tx-peer-removed");
	peer->n_staged = 0;
	fzgw_wg_peer_remove(dp->wg, peer->wg);
	fzgw_peers_remove(&dp->peers, peer);
	fzgw_bus_publish(&dp->core->bus, dp->ctx, FZGW_EV_PEER_REMOVED, &gone, sizeof(gone));
}

static void on_authorized(void *state, const struct fzgw_event *ev)
{
	struct fzgw_dataplane *dp = state;
	const struct fzgw_ev_authorization *a = ev->data;
	struct fzgw_gw_peer *peer;
	char v4[INET6_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];
	int rc;

	if (ev->size < sizeof(*a))
		return;
	peer = fzgw_peers_by_client(&dp->peers, a->client_id);
	if (peer && memcmp(peer->public_key, a->public_key, 32) != 0) {
		struct fzgw_wg_peer *wp;

		/* a new key is a new device: its tunnel starts over, but the client and its
		 * grants stay (no PEER_REMOVED in the middle of delivering this grant) */
		rc = fzgw_wg_peer_add(dp->wg, a->public_key, a->has_psk ? a->preshared_key : NULL, peer, &wp);
		if (rc < 0) {
			fzgw_err("client %s: refused new public key: %s", a->client_id, strerror(-rc));
			return;
		}
		for (uint8_t i = 0; i < peer->n_staged; i++)
			drop(dp, peer->staged[i], "tx-key-changed");
		peer->n_staged = 0;
		fzgw_wg_peer_remove(dp->wg, peer->wg);
		peer->wg = wp;
		memcpy(peer->public_key, a->public_key, 32);
		fzgw_info("client %s: new public key, tunnel restarts", a->client_id);
	}
	if (!peer) {
		if ((rc = fzgw_peers_add(&dp->peers, a->client_id, a->ipv4.family ? &a->ipv4 : NULL,
					 a->ipv6.family ? &a->ipv6 : NULL, &peer)) < 0) {
			fzgw_err("client %s: cannot add: %s", a->client_id, strerror(-rc));
			return;
		}
		rc = fzgw_wg_peer_add(dp->wg, a->public_key, a->has_psk ? a->preshared_key : NULL, peer,
				      &peer->wg);
		if (rc < 0) {
			fzgw_err("client %s: refused public key: %s", a->client_id, strerror(-rc));
			fzgw_peers_remove(&dp->peers, peer);
			return;
		}
		memcpy(peer->public_key, a->public_key, 32);
		addr_text(&a->ipv4, v4, sizeof(v4));
		addr_text(&a->ipv6, v6, sizeof(v6));
		fzgw_info("client %s: tunnel %s %s%s (from %s)", a->client_id, v4, v6,
			  a->has_psk ? ", preshared key" : "", ev->source);
		return;
	}
	if ((rc = fzgw_peers_set_addrs(&dp->peers, peer, a->ipv4.family ? &a->ipv4 : NULL,
				       a->ipv6.family ? &a->ipv6 : NULL)) < 0)
		fzgw_err("client %s: cannot change addresses: %s", a->client_id, strerror(-rc));
	fzgw_wg_peer_set_psk(peer->wg, a->has_psk ? a->preshared_key : NULL);
}

static void on_revoked(void *state, const struct fzgw_event *ev)
{
	struct fzgw_dataplane *dp = state;
	const struct fzgw_ev_revoke *r = ev->data;
	struct fzgw_gw_peer *peer;

	if (ev->size < sizeof(*r) || r->resource_id[0])
		return; /* one grant: the policy's business; it revokes the client when none is left */
	if ((peer = fzgw_peers_by_client(&dp->peers, r->client_id)))
		remove_peer(dp, peer, "access revoked");
}

static struct fzgw_packet *dp_alloc(struct fzgw_core *core)
{
	return fzgw_pool_get(((struct fzgw_dataplane *)core->dp)->pool);
}

static int dp_public_key(struct fzgw_core *core, uint8_t out[32])
{
	return fzgw_wg_public_key(((struct fzgw_dataplane *)core->dp)->wg, out);
}

static const struct fzgw_peer_info *peer_by_client(struct fzgw_core *core, const char *id)
{
	struct fzgw_gw_peer *p = fzgw_peers_by_client(&((struct fzgw_dataplane *)core->dp)->peers, id);

	return p ? &p->info : NULL;
}

/* ------------------------------------------------------------ life */

static int load_key(const char *file, uint8_t key[32], char *err, size_t errlen)
{
	char text[128];
	size_t n, klen = 0;
	FILE *f;
	int rc = 0;

	if (!file[0]) {
		randombytes_buf(key, 32); /* X25519 clamps: any 32 bytes are a key */
		return 0;
	}
	if (!(f = fopen(file, "r"))) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot read private key: %s", file, strerror(errno));
		return rc;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		text[--n] = '\0';
	if (sodium_base642bin(key, 32, text, n, NULL, &klen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    klen != 32) {
		snprintf(err, errlen, "%s: not a WireGuard private key (base64 of 32 bytes)", file);
		rc = -EINVAL;
	}
	sodium_memzero(text, sizeof(text));
	return rc;
}

/* The TUN, with offloads when configured and the kernel agrees to them, else without. */
static int open_tun(struct fzgw_dataplane *dp, const struct fzgw_config *cfg)
{
	int fd, off;

	if (!cfg->tun_offload) {
		fzgw_info("TUN %s: offloads off (gateway.tun.offload)", cfg->tun_name);
		return fzgw_tun_open(cfg->tun_name, 0, dp->tun_name);
	}
	if (!(dp->tun_rx = malloc(DP_TUN_RX)))
		return -ENOMEM;
	fd = fzgw_tun_open(cfg->tun_name, FZGW_TUN_F_VNET_HDR, dp->tun_name);
	if (fd < 0 && fd != -EINVAL)
		return fd; /* no permission, name taken...: the same without offloads */
	off = fd < 0 ? fd : fzgw_tun_set_offload(fd, FZGW_TUN_OFFLOAD_TCP | FZGW_TUN_OFFLOAD_UDP);
	if (off > 0) {
		dp->tun_vnet = true;
		fzgw_info("TUN %s: offloads on (checksum, TSO%s), writes coalesced", dp->tun_name,
			  off & FZGW_TUN_OFFLOAD_UDP ? ", USO" : "");
		return fd;
	}
	/* the vnet header cannot be taken back on this fd: a new one without */
	if (fd >= 0)
		close(fd);
	free(dp->tun_rx);
	dp->tun_rx = NULL;
	fzgw_warn("TUN %s: the kernel refused offloads (%s), going on without", cfg->tun_name,
		  strerror(-off));
	return fzgw_tun_open(cfg->tun_name, 0, dp->tun_name);
}

int fzgw_dataplane_start(struct fzgw_core *core, const struct fzgw_config *cfg,
			 struct fzgw_dataplane **out, char *err, size_t errlen)
{
	struct fzgw_wg_ops ops = { .now_ns = wg_now_ns, .send = wg_send, .event = wg_event };
	struct fzgw_dataplane *dp;
	uint8_t key[32], pub[32];
	char pub64[64];
	int rc;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -EIO;
	}
	if (!(dp = calloc(1, sizeof(*dp))))
		return -ENOMEM;
	dp->core = core;
	dp->ctx = &core->self;
	dp->mtu = (uint32_t)cfg->mtu;
	dp->tun_fd = -1;
	dp->udp.fd4 = dp->udp.fd6 = -1;
	ops.user = dp;
	core->dp = dp;
	if ((rc = fzgw_peers_init(&dp->peers, 16384)) < 0 ||
	    (rc = fzgw_pool_create(&dp->pool, FZGW_POOL_DEFAULT_COUNT, FZGW_POOL_DEFAULT_SIZE)) < 0) {
		snprintf(err, errlen, "out of memory for peers and buffers");
		goto err;
	}
	if ((rc = load_key(cfg->private_key_file, key, err, errlen)) < 0)
		goto err;
	rc = fzgw_wg_new(&dp->wg, key, &ops);
	sodium_memzero(key, sizeof(key));
	if (rc < 0) {
		snprintf(err, errlen, "cannot create the WireGuard device: %s", strerror(-rc));
		goto err;
	}
	if ((rc = open_tun(dp, cfg)) < 0) {
		snprintf(err, errlen, "cannot create TUN %s: %s%s", cfg->tun_name, strerror(-rc),
			 rc == -EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
		goto err;
	}
	dp->tun_fd = rc;
	if ((rc = fzgw_udp_open(&dp->udp, (uint16_t)cfg->listen_port, FZGW_UDP_BUF_DEFAULT)) < 0) {
		snprintf(err, errlen, "cannot listen on UDP port %d: %s", cfg->listen_port, strerror(-rc));
		goto err;
	}
	if (!fzgw_loop_fd_add(dp->ctx, dp->tun_fd, FZGW_FD_READ, on_tun, dp) ||
	    (dp->udp.fd4 >= 0 && !fzgw_loop_fd_add(dp->ctx, dp->udp.fd4, FZGW_FD_READ, on_udp, dp)) ||
	    (dp->udp.fd6 >= 0 && !fzgw_loop_fd_add(dp->ctx, dp->udp.fd6, FZGW_FD_READ, on_udp, dp)) ||
	    !fzgw_loop_timer_add(dp->ctx, DP_TICK_MS, true, on_tick, dp)) {
		snprintf(err, errlen, "cannot watch the TUN and UDP sockets");
		rc = -ENOMEM;
		goto err;
	}
	if ((rc = fzgw_bus_subscribe(&core->bus, dp->ctx, FZGW_EV_IFACE_CONFIG, on_iface, dp)) < 0 ||
	    (rc = fzgw_bus_subscribe(&core->bus, dp->ctx, FZGW_EV_PEER_AUTHORIZED, on_authorized, dp)) < 0 ||
	    (rc = fzgw_bus_subscribe(&core->bus, dp->ctx, FZGW_EV_ACCESS_REVOKED, on_revoked, dp)) < 0) {
		snprintf(err, errlen, "cannot subscribe to control events");
		goto err;
	}
	core->sink[FZGW_DIR_IN] = sink_in;
	core->sink[FZGW_DIR_OUT] = sink_out;
	core->release = release;
	core->icmp = icmp_reply;
	core->peer_by_client = peer_by_client;
	core->alloc = dp_alloc;
	core->public_key = dp_public_key;
	fzgw_wg_public_key(dp->wg, pub);
	sodium_bin2base64(pub64, sizeof(pub64), pub, 32, sodium_base64_VARIANT_ORIGINAL);
	fzgw_info("data plane up: TUN %s, UDP port %u, public key %s", dp->tun_name, dp->udp.port, pub64);
	*out = dp;
	return 0;
err:
	fzgw_dataplane_stop(dp);
	return rc < 0 ? rc : -EIO;
}

struct fzgw_dataplane *fzgw_dataplane_stop(struct fzgw_dataplane *dp)
{
	struct fzgw_core *core;

	if (!dp)
		return NULL;
	core = dp->core;
	fzgw_ctx_unregister_all(dp->ctx);
	flush_all(dp);
	for (uint32_t i = 0; i < dp->peers.cap; i++) {
		struct fzgw_gw_peer *p = dp->peers.by_index[i];

		if (!p)
			continue;
		for (uint8_t k = 0; k < p->n_staged; k++)
			fzgw_pool_put(p->staged[k]);
		p->n_staged = 0;
	}
	dp->wg = fzgw_wg_free(dp->wg); /* wipes every key */
	fzgw_peers_fini(&dp->peers);
	if (dp->tun_fd >= 0)
		close(dp->tun_fd); /* a non-persistent TUN goes away with its routes */
	free(dp->tun_rx);
	fzgw_udp_close(&dp->udp);
	dp->pool = fzgw_pool_destroy(dp->pool);
	core->sink[0] = core->sink[1] = NULL;
	core->release = NULL;
	core->icmp = NULL;
	core->peer_by_client = NULL;
	core->alloc = NULL;
	core->public_key = NULL;
	core->dp = NULL;
	free(dp);
	return NULL;
}

void fzgw_dataplane_log_stats(const struct fzgw_dataplane *dp)
{
	struct fzgw_wg_stats s;

	if (!dp)
		return;
	fzgw_wg_stats(dp->wg, &s);
	fzgw_info("stats wg: peers=%u rx_data=%llu tx_data=%llu handshakes=%llu initiations_sent=%llu "
		  "responses_sent=%llu cookies_sent=%llu x25519=%llu buffers_in_use=%u",
		  dp->peers.n, (unsigned long long)s.rx_data_packets, (unsigned long long)s.tx_data_packets,
		  (unsigned long long)s.handshakes_completed, (unsigned long long)s.initiations_sent,
		  (unsigned long long)s.responses_sent, (unsigned long long)s.cookies_sent,
		  (unsigned long long)s.x25519_ops, fzgw_pool_in_use(dp->pool));
	for (int r = 1; r < FZGW_WG_DROP_COUNT; r++)
		if (s.drops[r])
			fzgw_info("stats wg: drop.%s=%llu", fzgw_wg_drop_name(r), (unsigned long long)s.drops[r]);
}
