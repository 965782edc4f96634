/* SPDX-License-Identifier: Apache-2.0 */
/* Data plane I/O: UDP and TUN batches, decryption and encryption around the hook pipeline. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dp.h"
#include "dp_capture.h"
#include "icmp_build.h"
#include "ip_parse.h"
#include "log.h"
#include "loop.h"
#include "netlink.h"
#include "udp_class.h"

static const char *const parse_reason[FZGW_IP_REASON_COUNT] = {
	"ok", "ip-too-long", "ip-too-short", "ip-bad-version", "ip-bad-ihl", "ip-bad-total-length",
	"ip-bad-payload-length", "ip-fragment", "ip-bad-ext-header", "ip-l4-truncated",
	"ip-bad-udp-length", "ip-bad-tcp-offset", "ip-icmp-family",
};

void dp_count(struct fzgw_dataplane *dp, const char *what)
{
	fzgw_counter_bump(&dp->core->counters, what, 1);
}

static const char *const cid_name[DP_CID_COUNT] = {
	"rx-relayed", "rx-relayed-bytes", "tx-relayed", "tx-relayed-bytes",
};

void dp_count_id(struct fzgw_dataplane *dp, enum dp_cid which, uint64_t n)
{
	if (!dp->cid[which])
		dp->cid[which] = fzgw_counter_id(&dp->core->counters, cid_name[which]) + 1;
	fzgw_counter_add(&dp->core->counters, dp->cid[which] - 1, n);
}

void dp_release(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	(void)core;
	fzgw_pool_put(pkt);
}

void dp_drop(struct fzgw_dataplane *dp, struct fzgw_packet *pkt, const char *why)
{
	fzgw_core_drop(dp->core, pkt, why);
}

/* ------------------------------------------------------------ sending */

void dp_udp_done(struct fzgw_dataplane *dp, int n, int done, size_t refused)
{
	if (refused)
		fzgw_counter_bump(&dp->core->counters, "tx-udp-refused", refused);
	if (done < n)
		fzgw_counter_bump(&dp->core->counters, "tx-udp-full", (uint64_t)(n - done));
}

static void flush_udp(struct fzgw_dataplane *dp, struct dp_tx *tx, int fd)
{
	size_t refused = 0;
	int done = 0;

	if (!tx->n)
		return;
	if (fd >= 0)
		done = dp_udp_send_queued(dp, fd, tx->buf, tx->len, tx->dst, (size_t)tx->n, &refused);
	if (done < 0)
		done = 0;
	dp_udp_done(dp, tx->n, done, refused);
	for (int i = 0; i < tx->n; i++)
		fzgw_pool_put(tx->pkt[i]);
	tx->n = 0;
}

/* As flush_udp, but waits for room in the socket buffer, until @deadline_ms (shutdown). */
void dp_udp_send_wait(struct fzgw_dataplane *dp, struct dp_tx *tx, int fd, uint64_t deadline_ms)
{
	int off = 0;

	while (fd >= 0 && off < tx->n) {
		uint64_t now = dp->core->now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		int r = fzgw_udp_send_batch(fd, tx->buf + off, tx->len + off, tx->dst + off,
					    (size_t)(tx->n - off), NULL);

		if (r > 0) {
			off += r;
			continue;
		}
		if ((r < 0 && r != -EAGAIN) || now >= deadline_ms ||
		    poll(&pfd, 1, (int)(deadline_ms - now)) <= 0)
			break;
	}
	if (off < tx->n)
		fzgw_counter_bump(&dp->core->counters, "tx-udp-full", (uint64_t)(tx->n - off));
	for (int i = 0; i < tx->n; i++)
		fzgw_pool_put(tx->pkt[i]);
	tx->n = 0;
}

void dp_flush_udp_wait(struct fzgw_dataplane *dp, uint32_t ms)
{
	uint64_t deadline = dp->core->now_ms() + ms;

	if (dp->workers) {
		dp_workers_udp_wait(dp, deadline);
		return;
	}
	dp_udp_send_wait(dp, &dp->tx4, dp->udp.fd4, deadline);
	dp_udp_send_wait(dp, &dp->tx6, dp->udp.fd6, deadline);
}

void dp_tun_done(struct fzgw_dataplane *dp, int n, int done, size_t refused, uint32_t merged)
{
	if (done > 0 && merged)
		fzgw_counter_bump(&dp->core->counters, "rx-tun-coalesced", merged);
	if (refused)
		fzgw_counter_bump(&dp->core->counters, "rx-tun-refused", refused);
	if (done < n)
		fzgw_counter_bump(&dp->core->counters, "rx-tun-full", (uint64_t)(n - done));
}

static void flush_tun(struct fzgw_dataplane *dp)
{
	size_t refused = 0;
	uint32_t merged = 0;
	int done;

	if (!dp->n_tun)
		return;
	if (dp->tun_vnet) {
		/* one GSO write per run of a flow's segments: the kernel forwards one skb */
		done = fzgw_gro_write(&dp->gro, dp->tun_fd, dp->tun_buf, dp->tun_len,
				      (size_t)dp->n_tun, &refused);
		merged = dp->gro.merged;
	} else {
		done = fzgw_tun_write_batch(dp->tun_fd, dp->tun_buf, dp->tun_len, (size_t)dp->n_tun,
					    &refused);
	}
	if (done < 0)
		done = 0;
	dp_tun_done(dp, dp->n_tun, done, refused, merged);
	for (int i = 0; i < dp->n_tun; i++)
		fzgw_pool_put(dp->tun_pkt[i]);
	dp->n_tun = 0;
}

void dp_flush_all(struct fzgw_dataplane *dp)
{
	dp->unproven_asked = 0;
	if (dp->workers) {
		dp_workers_submit_all(dp);
		return;
	}
	flush_udp(dp, &dp->tx4, dp->udp.fd4);
	flush_udp(dp, &dp->tx6, dp->udp.fd6);
	flush_tun(dp);
}

void dp_queue_udp(struct fzgw_dataplane *dp, struct fzgw_packet *pkt, uint8_t *buf, size_t len,
		  const struct fzgw_wg_endpoint *ep)
{
	struct dp_tx *tx = ep->sa.sa_family == AF_INET6 ? &dp->tx6 : &dp->tx4;

	if (dp->workers) {
		dp_workers_queue(dp, tx == &dp->tx6 ? DP_KIND_UDP6 : DP_KIND_UDP4, pkt, buf, len, ep,
				 NULL);
		return;
	}
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

static void encrypt_failed(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer,
			   struct fzgw_packet *pkt, int rc)
{
	if (rc == -ENOKEY) {
		dp_stage(dp, peer, pkt);
		return;
	}
	dp_drop(dp, pkt, rc == -EDESTADDRREQ ? "tx-no-endpoint" : "tx-encrypt-failed");
}

/* With output workers: the seal goes with the datagram to its worker when it leaves straight
 * to the client's endpoint; any other path (relayed, direct, PENDING: copied) is sealed here. */
static void send_deferred(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer,
			  struct fzgw_packet *pkt, uint8_t *buf, size_t cap)
{
	const struct fzgw_wg_endpoint *ep;
	struct fzgw_wg_seal seal;
	size_t out_len;
	int rc;

	rc = fzgw_wg_encrypt_deferred(dp->wg, peer->wg, buf, pkt->len, cap, dp->mtu, &out_len, &ep,
				      &seal);
	if (rc) {
		encrypt_failed(dp, peer, pkt, rc);
		return;
	}
	if (peer->path == FZGW_PATH_ANY && !ep->channel) {
		dp_workers_queue(dp, ep->sa.sa_family == AF_INET6 ? DP_KIND_UDP6 : DP_KIND_UDP4, pkt,
				 buf, out_len, ep, &seal);
		sodium_memzero(&seal, sizeof(seal));
		return;
	}
	fzgw_wg_seal(buf, &seal);
	dp_path_out(dp, peer, pkt, buf, out_len, ep);
}

/* Encrypts a packet for its client and queues it; stages it while a handshake runs. */
void dp_send_to_peer(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, struct fzgw_packet *pkt)
{
	const struct fzgw_wg_endpoint *ep;
	uint8_t *buf = pkt->data - FZGW_WG_HEADROOM;
	size_t cap = FZGW_WG_HEADROOM + pkt->cap + FZGW_POOL_TAILROOM, out_len;
	int rc;

	if (fzgw_pool_headroom(pkt) < FZGW_WG_HEADROOM) {
		dp_drop(dp, pkt, "tx-no-headroom");
		return;
	}
	if (dp_capture_on())
		dp_capture_out(dp, peer, pkt);
	if (dp->workers && dp_workers_count(dp) >= DP_WORKERS_SEAL_MIN) {
		send_deferred(dp, peer, pkt, buf, cap);
		return;
	}
	rc = fzgw_wg_encrypt(dp->wg, peer->wg, buf, pkt->len, cap, dp->mtu, &out_len, &ep);
	if (rc == 0) {
		dp_path_out(dp, peer, pkt, buf, out_len, ep);
		return;
	}
	encrypt_failed(dp, peer, pkt, rc);
}

/* The end of the inbound pipeline: to the site through the TUN. */
void dp_sink_in(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	struct fzgw_dataplane *dp = core->dp;

	if (dp->workers) {
		dp_workers_queue(dp, DP_KIND_TUN, pkt, pkt->data, pkt->len, NULL, NULL);
		return;
	}
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
void dp_sink_out(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	struct fzgw_dataplane *dp = core->dp;
	struct fzgw_gw_peer *peer;

	/* modules may have removed the client meanwhile (a STOLEN packet): its generation says */
	if (!(peer = dp_pkt_peer(dp, pkt))) {
		dp_drop(dp, pkt, "tx-no-peer");
		return;
	}
	dp_send_to_peer(dp, peer, pkt);
}

int dp_icmp_reply(struct fzgw_core *core, const struct fzgw_packet *orig, int kind, uint32_t mtu)
{
	struct fzgw_dataplane *dp = core->dp;
	struct fzgw_gw_peer *peer;
	struct fzgw_packet *pkt;
	int n;

	/* a held packet whose client is gone gets no answer (and its memory is not read) */
	if (!(peer = dp_pkt_peer(dp, (struct fzgw_packet *)orig)))
		return -ENOENT;
	if (!(pkt = fzgw_pool_get(dp->pool))) {
		dp_count(dp, "icmp-no-buffer");
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
	dp_pkt_set_peer(pkt, peer);
	dp_count(dp, "icmp-sent");
	dp_send_to_peer(dp, peer, pkt);
	return 0;
}

/* ------------------------------------------------------------ receiving */

bool dp_addr_eq(const struct fzgw_addr *a, const struct fzgw_addr *b)
{
	return a->family && a->family == b->family && !memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16);
}

void dp_wg_in(struct fzgw_dataplane *dp, struct fzgw_packet *pkt, const struct fzgw_wg_endpoint *ep,
	      size_t len)
{
	struct fzgw_wg_peer *wp;
	struct fzgw_gw_peer *peer;
	size_t off, plen;
	int rc, r;

	rc = fzgw_wg_receive(dp->wg, ep, pkt->data, len, &wp, &off, &plen);
	if (rc != FZGW_WG_RX_DATA) {
		/* handshakes and keepalives are done; wg drops are counted by the engine */
		fzgw_pool_put(pkt);
		return;
	}
	peer = fzgw_wg_peer_user(wp);
	pkt->data += off;
	pkt->cap -= (uint32_t)off;
	pkt->len = (uint32_t)plen;
	if (dp_capture_on())
		dp_capture_in(dp, peer, pkt);
	if ((r = fzgw_ip_parse(&pkt->ip, pkt->data, plen, dp->mtu)) != 0) {
		dp_drop(dp, pkt, r < FZGW_IP_REASON_COUNT ? parse_reason[r] : "ip-invalid");
		return;
	}
	/* the original's anti-spoofing rule: a client speaks only from its own tunnel address */
	if (pkt->ip.kind != FZGW_IP_KIND_CONTROL && !dp_addr_eq(&pkt->ip.src, &peer->info.ipv4) &&
	    !dp_addr_eq(&pkt->ip.src, &peer->info.ipv6)) {
		dp_drop(dp, pkt, "rx-spoofed-source");
		return;
	}
	pkt->dir = FZGW_DIR_IN;
	dp_pkt_set_peer(pkt, peer);
	fzgw_core_pipeline(dp->core, pkt, FZGW_PHASE_IN_PARSE, 0);
}

static void from_udp(struct fzgw_dataplane *dp, int fd, struct fzgw_packet *pkt,
		     const union fzgw_sockaddr *src, size_t len)
{
	struct fzgw_wg_endpoint ep;
	int cls = fzgw_udp_classify(pkt->data, len);

	/* RFC 7983: STUN and ChannelData share the port with WireGuard */
	if (__builtin_expect(cls != FZGW_UDP_WIREGUARD, 0)) {
		dp_udp_demux(dp, fd, pkt, src, len, cls);
		return;
	}
	memset(&ep, 0, sizeof(ep));
	if (src->sa.sa_family == AF_INET6) {
		ep.in6 = src->in6;
		ep.len = sizeof(ep.in6);
	} else {
		ep.in4 = src->in4;
		ep.len = sizeof(ep.in4);
	}
	dp_wg_in(dp, pkt, &ep, len);
}

/* Takes up to a batch of buffers for one read; each one's capacity goes in @lens. */
static int grab_buffers(struct fzgw_dataplane *dp, struct fzgw_packet **pkts, uint8_t **bufs,
			size_t *lens)
{
	int n;

	for (n = 0; n < DP_BATCH; n++) {
		if (!(pkts[n] = fzgw_pool_get(dp->pool)))
			break;
		bufs[n] = pkts[n]->data;
		lens[n] = pkts[n]->cap;
	}
	return n;
}

/*
 * The pool is empty. The socket's event is level-triggered: returning without reading would
 * call back at once, forever, a core at 100% and nothing read. So a batch is read into stack
 * buffers: handshake messages need no pool buffer and go to the engine (a client can still
 * connect), everything else is dropped and counted.
 */
static void drain_udp(struct fzgw_dataplane *dp, int fd)
{
	uint8_t scratch[DP_BATCH][DP_DRAIN_LEN];
	uint8_t *bufs[DP_BATCH];
	size_t lens[DP_BATCH];
	union fzgw_sockaddr srcs[DP_BATCH];
	uint64_t dropped = 0;
	int got;

	for (int i = 0; i < DP_BATCH; i++) {
		bufs[i] = scratch[i];
		lens[i] = sizeof(scratch[i]);
	}
	got = fzgw_udp_recv_batch(fd, bufs, lens, srcs, DP_BATCH);
	dp->batching++;
	for (int i = 0; i < got; i++) {
		struct fzgw_wg_endpoint ep;
		struct fzgw_wg_peer *wp;
		size_t off, plen;

		if (lens[i] > DP_DRAIN_LEN || fzgw_udp_classify(bufs[i], lens[i]) != FZGW_UDP_WIREGUARD ||
		    bufs[i][0] < 1 || bufs[i][0] > 3) { /* initiation, response, cookie reply */
			dropped++;
			continue;
		}
		memset(&ep, 0, sizeof(ep));
		ep.len = srcs[i].sa.sa_family == AF_INET6 ? sizeof(ep.in6) : sizeof(ep.in4);
		memcpy(&ep.sa, &srcs[i], ep.len);
		if (fzgw_wg_receive(dp->wg, &ep, bufs[i], lens[i], &wp, &off, &plen) == FZGW_WG_RX_DATA)
			dropped++;
	}
	dp->batching--;
	dp_flush_all(dp);
	fzgw_counter_bump(&dp->core->counters, "rx-no-buffer", dropped ? dropped : 1);
}

void dp_on_udp(int fd, short what, void *arg)
{
	struct fzgw_dataplane *dp = arg;
	struct fzgw_packet *pkts[DP_BATCH];
	uint8_t *bufs[DP_BATCH];
	size_t lens[DP_BATCH];
	union fzgw_sockaddr srcs[DP_BATCH];
	int n, got;

	(void)what;
	if (dp->workers)
		dp_workers_reap(dp); /* buffers the workers are done with, before taking more */
	if (fd == dp->udp.fd6 ? dp->gro6 : dp->gro4) {
		dp_on_udp_gro(dp, fd); /* coalesced reads: 64 KB buffers, then cut */
		return;
	}
	if (!(n = grab_buffers(dp, pkts, bufs, lens))) {
		drain_udp(dp, fd);
		return;
	}
	got = fzgw_udp_recv_batch(fd, bufs, lens, srcs, (size_t)n);
	dp->batching++;
	for (int i = 0; i < n; i++) {
		if (i >= got) {
			fzgw_pool_put(pkts[i]);
		} else if (lens[i] > pkts[i]->cap) {
			dp_drop(dp, pkts[i], "rx-udp-truncated");
		} else {
			from_udp(dp, fd, pkts[i], &srcs[i], lens[i]);
		}
	}
	dp->batching--;
	dp_flush_all(dp);
}

/* A packet from the site: parsed, its client found by the destination, then the chains. */
static void from_tun(struct fzgw_dataplane *dp, struct fzgw_packet *pkt, size_t len)
{
	struct fzgw_gw_peer *peer;
	int r;

	pkt->len = (uint32_t)len;
	if ((r = fzgw_ip_parse(&pkt->ip, pkt->data, len, dp->mtu)) != 0) {
		dp_drop(dp, pkt, r < FZGW_IP_REASON_COUNT ? parse_reason[r] : "ip-invalid");
		return;
	}
	/* our own datagram back from the TUN: encrypting it again would loop (kernel: ELOOP) */
	if (pkt->ip.proto == IPPROTO_UDP && dp_own_datagram(dp, pkt)) {
		dp_loop_drop(dp, pkt);
		return;
	}
	/* the client is found by the destination before any hook runs */
	if (!(peer = fzgw_peers_by_addr(&dp->peers, &pkt->ip.dst))) {
		dp_drop(dp, pkt, "tx-no-peer");
		return;
	}
	pkt->dir = FZGW_DIR_OUT;
	dp_pkt_set_peer(pkt, peer);
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
	dp_flush_all(dp);
	if (gso)
		fzgw_counter_bump(&dp->core->counters, "tx-tun-gso", gso);
	if (bad)
		fzgw_counter_bump(&dp->core->counters, "tx-tun-bad-vnet", bad);
	if (no_buf)
		fzgw_counter_bump(&dp->core->counters, "tx-no-buffer", no_buf);
	if (cut)
		fzgw_counter_bump(&dp->core->counters, "tx-tun-truncated", cut);
}

void dp_on_tun(int fd, short what, void *arg)
{
	struct fzgw_dataplane *dp = arg;
	struct fzgw_packet *pkts[DP_BATCH];
	uint8_t *bufs[DP_BATCH];
	size_t lens[DP_BATCH];
	int n, got;

	(void)what;
	if (dp->workers)
		dp_workers_reap(dp);
	if (dp->tun_vnet) {
		on_tun_vnet(dp, fd);
		return;
	}
	if (!(n = grab_buffers(dp, pkts, bufs, lens))) {
		/* read and dropped, not left there: the level-triggered event would spin */
		uint8_t scratch[DP_DRAIN_LEN];

		for (n = 0; n < DP_BATCH; n++) {
			bufs[n] = scratch;
			lens[n] = sizeof(scratch);
		}
		got = fzgw_tun_read_batch(fd, bufs, lens, DP_BATCH);
		fzgw_counter_bump(&dp->core->counters, "tx-no-buffer", got > 0 ? (uint64_t)got : 1);
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
			dp_drop(dp, pkts[i], "tx-tun-truncated");
			continue;
		}
		from_tun(dp, pkts[i], lens[i]);
	}
	dp->batching--;
	dp_flush_all(dp);
}
