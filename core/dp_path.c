/* SPDX-License-Identifier: Apache-2.0 */
/* Client paths: where a client's WireGuard datagrams go (learned endpoint, direct, relayed as
 * ChannelData, or waiting while ICE runs), set by a module through api->peer_set_path. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"
#include "log.h"
#include "udp_class.h"

_Static_assert(FZGW_POOL_HEADROOM >= FZGW_WG_HEADROOM + FZGW_CHANNELDATA_HEADER_LEN,
	       "the pool's headroom must fit the WireGuard header and a ChannelData header");

/* Datagrams waiting for a path: a ring of copies, the oldest dropped when full. */
struct dp_pending {
	uint16_t head, n;
	struct {
		uint8_t *data;
		size_t len;
	} d[DP_PENDING_MAX];
};

/* ------------------------------------------------------------ the placeholder endpoint */

/*
 * A client in PENDING without an endpoint gets this one in the engine (0.0.0.0 port 0), so
 * that the engine starts handshakes and encrypts: what it sends waits in the queue. No
 * learned endpoint has port 0; going back to ANY with it still there clears it.
 */
static void placeholder(struct fzgw_wg_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->in4.sin_family = AF_INET;
	ep->len = sizeof(ep->in4);
}

static bool is_placeholder(const struct fzgw_wg_endpoint *ep)
{
	return ep && ep->sa.sa_family == AF_INET && !ep->in4.sin_port && !ep->in4.sin_addr.s_addr &&
	       !ep->channel;
}

/* ------------------------------------------------------------ the pending queue */

static void pending_drop_oldest(struct dp_pending *q)
{
	free(q->d[q->head].data);
	q->d[q->head].data = NULL;
	q->head = (uint16_t)((q->head + 1) % DP_PENDING_MAX);
	q->n--;
}

/* Keeps a copy of a datagram for @peer; the oldest goes when DP_PENDING_MAX wait. */
static void pending_push(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, const uint8_t *data,
			 size_t len)
{
	struct dp_pending *q = peer->pending;
	uint8_t *copy;

	if (!q && !(q = peer->pending = calloc(1, sizeof(*q)))) {
		dp_count(dp, "tx-pending-no-memory");
		return;
	}
	if (!(copy = malloc(len ? len : 1))) {
		dp_count(dp, "tx-pending-no-memory");
		return;
	}
	memcpy(copy, data, len);
	if (q->n == DP_PENDING_MAX) {
		pending_drop_oldest(q);
		dp_count(dp, "tx-pending-dropped");
	}
	q->d[(q->head + q->n) % DP_PENDING_MAX].data = copy;
	q->d[(q->head + q->n) % DP_PENDING_MAX].len = len;
	q->n++;
	dp_count(dp, "tx-pending");
}

size_t dp_pending_count(const struct fzgw_gw_peer *peer)
{
	return peer->pending ? peer->pending->n : 0;
}

void dp_pending_free(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, const char *why)
{
	struct dp_pending *q = peer->pending;

	if (!q)
		return;
	if (q->n)
		fzgw_counter_bump(&dp->core->counters, why, q->n);
	while (q->n)
		pending_drop_oldest(q);
	free(q);
	peer->pending = NULL;
}

/* Where @peer's datagrams go now that it left PENDING: NULL when nowhere (ANY, no endpoint). */
static const struct fzgw_wg_endpoint *destination(struct fzgw_gw_peer *peer)
{
	const struct fzgw_wg_endpoint *ep;

	if (peer->path == FZGW_PATH_DIRECT || peer->path == FZGW_PATH_RELAY)
		return &peer->path_ep;
	ep = fzgw_wg_peer_endpoint(peer->wg);
	return is_placeholder(ep) ? NULL : ep;
}

/* Sends what waited, oldest first, the way the new path says; frees the queue. */
static void pending_flush(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer)
{
	struct dp_pending *q = peer->pending;
	const struct fzgw_wg_endpoint *dst = destination(peer);
	uint64_t sent = 0, lost = 0;

	if (!q)
		return;
	for (; q->n; pending_drop_oldest(q)) {
		if (dst && dp_send_raw(dp, dst, q->d[q->head].data, q->d[q->head].len) == 0)
			sent++;
		else
			lost++;
	}
	if (sent)
		fzgw_counter_bump(&dp->core->counters, "tx-pending-sent", sent);
	if (lost)
		fzgw_counter_bump(&dp->core->counters, dst ? "tx-pending-failed" : "tx-no-endpoint", lost);
	free(q);
	peer->pending = NULL;
}

/* ------------------------------------------------------------ sending */

void dp_path_out(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, struct fzgw_packet *pkt,
		 uint8_t *buf, size_t len, const struct fzgw_wg_endpoint *ep)
{
	const struct fzgw_wg_endpoint *dst = ep;

	if (__builtin_expect(peer->path == FZGW_PATH_ANY && !ep->channel, 1)) {
		dp_queue_udp(dp, pkt, buf, len, ep);
		return;
	}
	if (peer->path == FZGW_PATH_PENDING) {
		pending_push(dp, peer, buf, len);
		fzgw_pool_put(pkt);
		return;
	}
	if (peer->path != FZGW_PATH_ANY)
		dst = &peer->path_ep;
	if (dst->channel) {
		/* ChannelData (RFC 8656 section 12.4): channel, length, then the datagram; the
		 * pool's headroom has room for it in front of the WireGuard header */
		if (fzgw_pool_headroom(pkt) < FZGW_WG_HEADROOM + FZGW_CHANNELDATA_HEADER_LEN) {
			dp_drop(dp, pkt, "tx-no-headroom");
			return;
		}
		buf -= FZGW_CHANNELDATA_HEADER_LEN;
		buf[0] = (uint8_t)(dst->channel >> 8);
		buf[1] = (uint8_t)dst->channel;
		buf[2] = (uint8_t)(len >> 8);
		buf[3] = (uint8_t)len;
		len += FZGW_CHANNELDATA_HEADER_LEN;
		dp_count_id(dp, DP_CID_TX_RELAYED, 1);
		dp_count_id(dp, DP_CID_TX_RELAYED_BYTES, len);
	}
	dp_queue_udp(dp, pkt, buf, len, dst);
}

void dp_path_send(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer,
		  const struct fzgw_wg_endpoint *ep, const uint8_t *buf, size_t len)
{
	const struct fzgw_wg_endpoint *dst = ep;

	if (peer && peer->path == FZGW_PATH_PENDING) {
		pending_push(dp, peer, buf, len);
		return;
	}
	if (peer && peer->path != FZGW_PATH_ANY)
		dst = &peer->path_ep;
	/* no client: a cookie reply to an address that proved nothing yet */
	if (!peer) {
		struct fzgw_packet *pkt;

		if (!dp_unproven_room(dp, dst)) {
			dp_count(dp, "tx-unproven-held-back");
			return;
		}
		/* inside a batch of reads: sent with the batch's other datagrams (sendmmsg) */
		if (dp->batching && !dst->channel && len <= FZGW_WG_COOKIE_REPLY_LEN &&
		    (pkt = fzgw_pool_get(dp->pool))) {
			memcpy(pkt->data, buf, len);
			dp_queue_udp(dp, pkt, pkt->data, len, dst);
			return;
		}
	}
	if (dp_send_raw(dp, dst, buf, len) < 0)
		dp_count(dp, "tx-handshake-failed");
}

/* ------------------------------------------------------------ setting a path */

static const char *const kind_name[] = { "any", "direct", "relay", "pending" };

static void log_path(const struct fzgw_gw_peer *peer, const struct fzgw_path *path)
{
	char a[INET6_ADDRSTRLEN] = "";

	if (path->kind != FZGW_PATH_DIRECT && path->kind != FZGW_PATH_RELAY) {
		fzgw_info("client %s: path %s", peer->info.client_id, kind_name[path->kind]);
		return;
	}
	inet_ntop(path->remote.addr.family == 4 ? AF_INET : AF_INET6, path->remote.addr.bytes, a,
		  sizeof(a));
	if (path->kind == FZGW_PATH_DIRECT)
		fzgw_info("client %s: path direct %s port %u", peer->info.client_id, a,
			  path->remote.port);
	else
		fzgw_info("client %s: path relay %s port %u channel 0x%04x", peer->info.client_id, a,
			  path->remote.port, path->channel);
}

static int check_path(const struct fzgw_path *path)
{
	if (path->kind > FZGW_PATH_PENDING)
		return -EINVAL;
	if (path->kind != FZGW_PATH_DIRECT && path->kind != FZGW_PATH_RELAY)
		return 0;
	if ((path->remote.addr.family != 4 && path->remote.addr.family != 6) || !path->remote.port)
		return -EINVAL;
	if (path->kind == FZGW_PATH_RELAY && (path->channel < 0x4000 || path->channel > 0x4FFF))
		return -EINVAL;
	return 0;
}

/*
 * Gives the engine an endpoint that fits the path: DIRECT/RELAY's own (the engine sends
 * there too once back to ANY, until the client roams), the placeholder in PENDING when it
 * has none (so handshakes start and wait in the queue), none in ANY instead of the
 * placeholder.
 */
static void engine_endpoint(struct fzgw_gw_peer *peer)
{
	const struct fzgw_wg_endpoint *cur = fzgw_wg_peer_endpoint(peer->wg);
	struct fzgw_wg_endpoint ep;

	switch (peer->path) {
	case FZGW_PATH_DIRECT:
	case FZGW_PATH_RELAY:
		fzgw_wg_peer_set_endpoint(peer->wg, &peer->path_ep);
		break;
	case FZGW_PATH_PENDING:
		if (!cur) {
			placeholder(&ep);
			fzgw_wg_peer_set_endpoint(peer->wg, &ep);
		}
		break;
	default:
		if (is_placeholder(cur))
			fzgw_wg_peer_clear_endpoint(peer->wg);
		break;
	}
}

void dp_path_rekeyed(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer)
{
	dp_pending_free(dp, peer, "tx-key-changed");
	engine_endpoint(peer);
}

int dp_set_path(struct fzgw_core *core, const char *client_id, const struct fzgw_path *path)
{
	struct fzgw_dataplane *dp = core->dp;
	struct fzgw_gw_peer *peer = fzgw_peers_by_client(&dp->peers, client_id);
	uint8_t old;
	int rc;

	if (!peer || peer->removing)
		return -ENOENT;
	if ((rc = check_path(path)) < 0)
		return rc;
	old = peer->path;
	peer->path = path->kind;
	if (path->kind == FZGW_PATH_DIRECT || path->kind == FZGW_PATH_RELAY)
		dp_wg_ep_set(&peer->path_ep, &path->remote,
			     path->kind == FZGW_PATH_RELAY ? path->channel : 0);
	engine_endpoint(peer);
	if (old != path->kind || path->kind == FZGW_PATH_DIRECT || path->kind == FZGW_PATH_RELAY)
		log_path(peer, path);
	if (old == FZGW_PATH_PENDING && path->kind != FZGW_PATH_PENDING)
		pending_flush(dp, peer);
	return 0;
}
