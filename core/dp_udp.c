/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's UDP sockets shared with a module: claimed datagram classes (STUN, ChannelData),
 * datagrams a module sends from them, and WireGuard datagrams it unwrapped from a relay. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "dp.h"
#include "udp_class.h"

/* ------------------------------------------------------------ unproven sources */

/*
 * A datagram waiting for a neighbour (ARP, NDP) is charged to its socket's send buffer
 * until resolution fails, seconds later. A flood of initiations from spoofed addresses on
 * the gateway's own link would fill the buffer with cookie replies, and every send would
 * fail, tunnels included. SIOCOUTQ is the bytes charged now.
 */
bool dp_unproven_room(struct fzgw_dataplane *dp, const struct fzgw_wg_endpoint *dst)
{
	bool v6 = dst->sa.sa_family == AF_INET6;
	int fd = v6 ? dp->udp.fd6 : dp->udp.fd4;
	int *sndbuf = v6 ? &dp->sndbuf6 : &dp->sndbuf4;
	int queued = 0;

	if (fd < 0)
		return true; /* the send fails and is counted anyway */
	/* asked once per batch of reads and family (the queue moves when the batch is sent) */
	if (dp->batching && dp->unproven_asked & (v6 ? 2 : 1))
		return dp->unproven_ok & (v6 ? 2 : 1);
	if (!*sndbuf) {
		socklen_t len = sizeof(*sndbuf);

		if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, sndbuf, &len) < 0 || *sndbuf <= 0)
			*sndbuf = -1;
	}
	if (*sndbuf < 0 || ioctl(fd, SIOCOUTQ, &queued) < 0)
		queued = 0;
	if (dp->batching) {
		dp->unproven_asked |= v6 ? 2 : 1;
		if (queued <= *sndbuf / DP_UNPROVEN_SHARE)
			dp->unproven_ok |= v6 ? 2 : 1;
		else
			dp->unproven_ok &= v6 ? 1 : 2;
	}
	return queued <= *sndbuf / DP_UNPROVEN_SHARE;
}

/* ------------------------------------------------------------ endpoints */

void dp_wg_ep_set(struct fzgw_wg_endpoint *ep, const struct fzgw_endpoint *e, uint16_t channel)
{
	memset(ep, 0, sizeof(*ep));
	if (e->addr.family == 6) {
		ep->in6.sin6_family = AF_INET6;
		memcpy(&ep->in6.sin6_addr, e->addr.bytes, 16);
		ep->in6.sin6_port = htons(e->port);
		ep->len = sizeof(ep->in6);
	} else {
		ep->in4.sin_family = AF_INET;
		memcpy(&ep->in4.sin_addr, e->addr.bytes, 4);
		ep->in4.sin_port = htons(e->port);
		ep->len = sizeof(ep->in4);
	}
	ep->channel = channel;
}

static void endpoint_of(struct fzgw_endpoint *e, const struct sockaddr *sa)
{
	memset(e, 0, sizeof(*e));
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		e->addr.family = 6;
		memcpy(e->addr.bytes, &in6->sin6_addr, 16);
		e->port = ntohs(in6->sin6_port);
	} else {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;

		e->addr.family = 4;
		memcpy(e->addr.bytes, &in4->sin_addr, 4);
		e->port = ntohs(in4->sin_port);
	}
}

static bool endpoint_ok(const struct fzgw_endpoint *e)
{
	return (e->addr.family == 4 || e->addr.family == 6) && e->port;
}

/* ------------------------------------------------------------ receiving */

static const char *const unclaimed[] = { "", "rx-stun-unclaimed", "rx-channeldata-unclaimed" };

void dp_udp_demux(struct fzgw_dataplane *dp, int fd, struct fzgw_packet *pkt,
		  const union fzgw_sockaddr *src, size_t len, int cls)
{
	struct fzgw_core *core = dp->core;
	struct fzgw_ctx *ctx = core->udp_claim[cls].ctx;
	struct fzgw_endpoint from, local;

	if (!ctx) {
		dp_drop(dp, pkt, unclaimed[cls]);
		return;
	}
	endpoint_of(&from, &src->sa);
	memset(&local, 0, sizeof(local));
	local.addr.family = fd == dp->udp.fd6 ? 6 : 4;
	local.port = dp->udp.port;
	core->udp_claim[cls].fn(ctx->state, &from, &local, pkt->data, len);
	fzgw_pool_put(pkt);
}

void dp_udp_input(struct fzgw_core *core, const struct fzgw_path *via, const uint8_t *data, size_t len)
{
	struct fzgw_dataplane *dp = core->dp;
	struct fzgw_wg_endpoint ep;
	struct fzgw_packet *pkt;

	if ((via->kind != FZGW_PATH_RELAY && via->kind != FZGW_PATH_DIRECT) || !endpoint_ok(&via->remote) ||
	    (via->kind == FZGW_PATH_RELAY && (via->channel < 0x4000 || via->channel > 0x4FFF)) || !len) {
		dp_count(dp, "rx-input-invalid");
		return;
	}
	if (!(pkt = fzgw_pool_get(dp->pool))) {
		dp_count(dp, "rx-no-buffer");
		return;
	}
	if (len > pkt->cap) {
		dp_drop(dp, pkt, "rx-udp-truncated");
		return;
	}
	memcpy(pkt->data, data, len);
	dp_wg_ep_set(&ep, &via->remote, via->kind == FZGW_PATH_RELAY ? via->channel : 0);
	if (ep.channel) {
		dp_count_id(dp, DP_CID_RX_RELAYED, 1);
		dp_count_id(dp, DP_CID_RX_RELAYED_BYTES, len + FZGW_CHANNELDATA_HEADER_LEN);
	}
	dp_wg_in(dp, pkt, &ep, len);
}

/* ------------------------------------------------------------ sending */

int dp_send_raw(struct fzgw_dataplane *dp, const struct fzgw_wg_endpoint *dst, const uint8_t *data,
		size_t len)
{
	int fd = dst->sa.sa_family == AF_INET6 ? dp->udp.fd6 : dp->udp.fd4;
	uint8_t hdr[FZGW_CHANNELDATA_HEADER_LEN];
	struct iovec iov[2];
	struct msghdr msg;
	int n = 0;

	if (fd < 0)
		return -EAFNOSUPPORT;
	if (dst->channel) {
		if (len > 0xFFFF)
			return -EMSGSIZE;
		hdr[0] = (uint8_t)(dst->channel >> 8);
		hdr[1] = (uint8_t)dst->channel;
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
		iov[n].iov_base = hdr;
		iov[n++].iov_len = sizeof(hdr);
	}
	iov[n].iov_base = (void *)data; /* sendmsg() takes a non-const buffer it never writes */
	iov[n++].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = (void *)&dst->sa;
	msg.msg_namelen = dst->len;
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)n;
	if (sendmsg(fd, &msg, MSG_DONTWAIT) < 0)
		return -errno;
	if (dst->channel) {
		dp_count_id(dp, DP_CID_TX_RELAYED, 1);
		dp_count_id(dp, DP_CID_TX_RELAYED_BYTES, len + sizeof(hdr));
	}
	return 0;
}

int dp_udp_send(struct fzgw_core *core, const struct fzgw_endpoint *to, const uint8_t *data, size_t len)
{
	struct fzgw_wg_endpoint dst;

	if (!endpoint_ok(to) || !len || len > 65507)
		return -EINVAL;
	dp_wg_ep_set(&dst, to, 0);
	return dp_send_raw(core->dp, &dst, data, len);
}

int dp_udp_local(struct fzgw_core *core, int family, struct fzgw_endpoint *out)
{
	struct fzgw_dataplane *dp = core->dp;
	int fd = family == 6 ? dp->udp.fd6 : family == 4 ? dp->udp.fd4 : -1;
	union fzgw_sockaddr sa;
	socklen_t salen = sizeof(sa);

	if (fd < 0)
		return -ENOENT;
	if (getsockname(fd, &sa.sa, &salen) < 0)
		return -errno;
	endpoint_of(out, &sa.sa);
	return 0;
}
