/* SPDX-License-Identifier: Apache-2.0 */
/* UDP offloads on the WireGuard sockets: GSO sends (UDP_SEGMENT) and GRO reads (UDP_GRO). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"
#include "log.h"
#include "udp_class.h"

/* ------------------------------------------------------------ life */

static const char *caps_text(int caps)
{
	switch (caps & (FZGW_UDP_CAP_GSO | FZGW_UDP_CAP_GRO)) {
	case FZGW_UDP_CAP_GSO | FZGW_UDP_CAP_GRO:
		return "GSO and GRO";
	case FZGW_UDP_CAP_GSO:
		return "GSO";
	case FZGW_UDP_CAP_GRO:
		return "GRO";
	default:
		return "none";
	}
}

static int socket_start(struct fzgw_dataplane *dp, int fd, struct fzgw_udp_gso *gso, bool *gro)
{
	int caps;

	gso->on = false;
	*gro = false;
	if (fd < 0)
		return 0;
	caps = fzgw_udp_probe_offloads(fd);
	gso->on = caps & FZGW_UDP_CAP_GSO;
	if (caps & FZGW_UDP_CAP_GRO) {
		if (!dp->gro_rx && !(dp->gro_rx = malloc((size_t)DP_GRO_READS * FZGW_UDP_GRO_MAX_LEN)))
			return -ENOMEM;
		*gro = fzgw_udp_gro_enable(fd) == 0;
		if (!*gro)
			caps &= ~FZGW_UDP_CAP_GRO;
	}
	return caps;
}

int dp_udp_offload_start(struct fzgw_dataplane *dp, bool on)
{
	int c4, c6;

	if (!on) {
		dp->gso4.on = dp->gso6.on = false;
		dp->gro4 = dp->gro6 = false;
		fzgw_info("UDP port %u: offloads off (gateway.udp_offload)", dp->udp.port);
		return 0;
	}
	if ((c4 = socket_start(dp, dp->udp.fd4, &dp->gso4, &dp->gro4)) < 0 ||
	    (c6 = socket_start(dp, dp->udp.fd6, &dp->gso6, &dp->gro6)) < 0)
		return -ENOMEM;
	fzgw_info("UDP port %u: offloads IPv4 %s, IPv6 %s", dp->udp.port,
		  dp->udp.fd4 < 0 ? "-" : caps_text(c4), dp->udp.fd6 < 0 ? "-" : caps_text(c6));
	return 0;
}

void dp_udp_offload_stop(struct fzgw_dataplane *dp)
{
	free(dp->gro_rx);
	dp->gro_rx = NULL;
}

/* ------------------------------------------------------------ sending */

void dp_udp_gso_done(struct fzgw_dataplane *dp, bool v6, const struct fzgw_udp_tx_result *res)
{
	if (res->gso_msgs) {
		fzgw_counter_bump(&dp->core->counters, "tx-udp-gso-sends", res->gso_msgs);
		fzgw_counter_bump(&dp->core->counters, "tx-udp-gso", res->gso_segs);
	}
	if (res->turned_off) {
		fzgw_counter_bump(&dp->core->counters, "tx-udp-gso-off", 1);
		fzgw_warn("UDP port %u (%s): the kernel refused GSO (%s): sending one datagram at a "
			  "time from now on", dp->udp.port, v6 ? "IPv6" : "IPv4",
			  strerror(res->turned_off));
	}
}

int dp_udp_send_queued(struct fzgw_dataplane *dp, int fd, uint8_t *const *bufs, const size_t *lens,
		       const union fzgw_sockaddr *dsts, size_t n, size_t *n_refused)
{
	struct fzgw_udp_gso *g = fd == dp->udp.fd6 ? &dp->gso6 : &dp->gso4;
	struct fzgw_udp_tx_result res;
	int r;

	if (!g->on)
		return fzgw_udp_send_batch(fd, bufs, lens, dsts, n, n_refused);
	r = fzgw_udp_send_gso(fd, g, bufs, lens, dsts, n, &res);
	*n_refused = res.refused;
	dp_udp_gso_done(dp, fd == dp->udp.fd6, &res);
	return r;
}

/* ------------------------------------------------------------ receiving */

/* No pool buffer: a handshake message still reaches the engine from a copy on the stack
 * (a client can connect while the pool is empty), anything else is dropped. */
static bool handshake_only(struct fzgw_dataplane *dp, const union fzgw_sockaddr *src,
			   const uint8_t *data, size_t len)
{
	uint8_t copy[DP_DRAIN_LEN];
	struct fzgw_wg_endpoint ep;
	struct fzgw_wg_peer *wp;
	size_t off, plen;

	if (len > sizeof(copy) || fzgw_udp_classify(data, len) != FZGW_UDP_WIREGUARD ||
	    data[0] < 1 || data[0] > 3)
		return false;
	memcpy(copy, data, len);
	memset(&ep, 0, sizeof(ep));
	ep.len = src->sa.sa_family == AF_INET6 ? sizeof(ep.in6) : sizeof(ep.in4);
	memcpy(&ep.sa, src, ep.len);
	return fzgw_wg_receive(dp->wg, &ep, copy, len, &wp, &off, &plen) != FZGW_WG_RX_DATA;
}

/* One datagram of a read, copied into a pool buffer, to its module or the engine. */
static void one_datagram(struct fzgw_dataplane *dp, int fd, const union fzgw_sockaddr *src,
			 const uint8_t *data, size_t len, uint64_t *no_buf)
{
	struct fzgw_packet *pkt = fzgw_pool_get(dp->pool);
	struct fzgw_wg_endpoint ep;
	int cls;

	if (!pkt) {
		if (!handshake_only(dp, src, data, len))
			(*no_buf)++;
		return;
	}
	if (len > pkt->cap) {
		dp_drop(dp, pkt, "rx-udp-truncated");
		return;
	}
	memcpy(pkt->data, data, len);
	cls = fzgw_udp_classify(pkt->data, len);
	if (__builtin_expect(cls != FZGW_UDP_WIREGUARD, 0)) {
		dp_udp_demux(dp, fd, pkt, src, len, cls);
		return;
	}
	memset(&ep, 0, sizeof(ep));
	ep.len = src->sa.sa_family == AF_INET6 ? sizeof(ep.in6) : sizeof(ep.in4);
	memcpy(&ep.sa, src, ep.len);
	dp_wg_in(dp, pkt, &ep, len);
}

void dp_on_udp_gro(struct fzgw_dataplane *dp, int fd)
{
	uint8_t *bufs[DP_GRO_READS];
	size_t lens[DP_GRO_READS];
	union fzgw_sockaddr srcs[DP_GRO_READS];
	uint16_t gso[DP_GRO_READS];
	uint64_t coalesced = 0, segs = 0, bad = 0, cut = 0, no_buf = 0;
	int got;

	for (int i = 0; i < DP_GRO_READS; i++) {
		bufs[i] = dp->gro_rx + (size_t)i * FZGW_UDP_GRO_MAX_LEN;
		lens[i] = FZGW_UDP_GRO_MAX_LEN;
	}
	if ((got = fzgw_udp_recv_gro(fd, bufs, lens, srcs, gso, DP_GRO_READS)) <= 0)
		return;
	dp->batching++;
	for (int i = 0; i < got; i++) {
		struct fzgw_udp_gro_iter it;
		const uint8_t *p;
		size_t l;
		int n;

		if (lens[i] > FZGW_UDP_GRO_MAX_LEN) {
			cut++;
			continue;
		}
		if ((n = fzgw_udp_gro_start(&it, bufs[i], lens[i], gso[i])) < 0) {
			bad++;
			continue;
		}
		if (n > 1) {
			coalesced++;
			segs += (uint64_t)n;
		}
		while (fzgw_udp_gro_next(&it, &p, &l))
			one_datagram(dp, fd, &srcs[i], p, l, &no_buf);
	}
	dp->batching--;
	dp_flush_all(dp);
	if (coalesced) {
		fzgw_counter_bump(&dp->core->counters, "rx-udp-gro", coalesced);
		fzgw_counter_bump(&dp->core->counters, "rx-udp-gro-datagrams", segs);
	}
	if (bad)
		fzgw_counter_bump(&dp->core->counters, "rx-udp-gro-bad", bad);
	if (cut)
		fzgw_counter_bump(&dp->core->counters, "rx-udp-truncated", cut);
	if (no_buf)
		fzgw_counter_bump(&dp->core->counters, "rx-no-buffer", no_buf);
}
