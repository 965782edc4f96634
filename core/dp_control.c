/* SPDX-License-Identifier: Apache-2.0 */
/* Data plane control: the WireGuard engine's callbacks and timers, and the control events (interface, clients). */
#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dp.h"
#include "icmp_build.h"
#include "ip_parse.h"
#include "log.h"
#include "loop.h"
#include "netlink.h"
#include "p2p_control.h"

/* ------------------------------------------------------------ WireGuard callbacks */

uint64_t dp_wg_now_ns(void *user)
{
	struct timespec ts;

	(void)user;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void dp_wg_send(void *user, struct fzgw_wg_peer *peer, const struct fzgw_wg_endpoint *ep,
		    const uint8_t *buf, size_t len)
{
	/* handshakes, keepalives and cookie replies (no peer): the client's path decides */
	dp_path_send(user, peer ? fzgw_wg_peer_user(peer) : NULL, ep, buf, len);
}

static void flush_staged(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, bool send)
{
	struct fzgw_packet *staged[FZGW_PEER_STAGED];
	uint8_t n = dp_staged_take(dp, peer, staged);

	dp->batching++;
	for (uint8_t i = 0; i < n; i++) {
		if (send)
			dp_send_to_peer(dp, peer, staged[i]);
		else
			dp_drop(dp, staged[i], "tx-handshake-failed");
	}
	dp->batching--;
	if (!dp->batching)
		dp_flush_all(dp);
}

void dp_wg_event(void *user, struct fzgw_wg_peer *wp, enum fzgw_wg_event ev)
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

		uint16_t port;

		if (ep && ep->sa.sa_family == AF_INET)
			inet_ntop(AF_INET, &ep->in4.sin_addr, a, sizeof(a));
		else if (ep)
			inet_ntop(AF_INET6, &ep->in6.sin6_addr, a, sizeof(a));
		port = ep ? ntohs(ep->sa.sa_family == AF_INET ? ep->in4.sin_port : ep->in6.sin6_port) : 0;
		if (!port)
			break; /* the PENDING placeholder (dp_path.c), not an endpoint */
		if (ep->channel)
			fzgw_info("client %s: endpoint relay %s port %u channel 0x%04x%s", peer->info.client_id,
				  a, port, ep->channel, peer->path ? " (path set by a module)" : "");
		else
			fzgw_info("client %s: endpoint %s port %u%s", peer->info.client_id, a, port,
				  peer->path ? " (path set by a module)" : "");
		break;
	}
	case FZGW_WG_EV_KEYS_ZEROED:
		fzgw_dbg("client %s: keys erased after inactivity", peer->info.client_id);
		break;
	}
}

void dp_on_tick(void *arg);

static void on_fine_tick(void *arg)
{
	struct fzgw_dataplane *dp = arg;

	dp->fine_tick = NULL; /* one-shot: freed by the loop */
	dp_on_tick(dp);
}

/* The periodic tick bounds the timers' lateness; a deadline sooner than the next tick
 * (a retransmit with its 0-333 ms jitter) gets a one-shot timer of its own. */
void dp_on_tick(void *arg)
{
	struct fzgw_dataplane *dp = arg;
	uint64_t next, now;

	dp->batching++;
	fzgw_wg_tick(dp->wg);
	dp->batching--;
	dp_flush_all(dp);
	next = fzgw_wg_next_deadline(dp->wg);
	now = dp_wg_now_ns(NULL);
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

void dp_on_iface(void *state, const struct fzgw_event *ev)
{
	struct fzgw_dataplane *dp = state;
	const struct fzgw_ev_iface *i = ev->data;
	char v4[INET6_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];
	int rc;

	if (ev->size < sizeof(*i))
		return;
	addr_text(&i->ipv4, v4, sizeof(v4));
	addr_text(&i->ipv6, v6, sizeof(v6));
	if (dp_addr_eq(&dp->gw4, &i->ipv4) && dp_addr_eq(&dp->gw6, &i->ipv6))
		return;
	rc = fzgw_net_configure_tun(dp->tun_name, i->ipv4.family == 4 ? v4 : NULL,
				    i->ipv6.family == 6 ? v6 : NULL, dp->mtu, &dp->routing);
	if (rc < 0) {
		fzgw_err("cannot configure %s (%s, %s): %s", dp->tun_name, v4, v6, strerror(-rc));
		return;
	}
	dp->gw4 = i->ipv4;
	dp->gw6 = i->ipv6;
	fzgw_info("interface %s: %s/32 %s/128 mtu %u (from %s)", dp->tun_name, v4, v6, dp->mtu,
		  ev->source);
	dp_routing_report(dp);
}

/* Publishes PEER_REMOVED while the peer can still be looked up, then frees it. */
static void remove_peer(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, const char *why)
{
	struct fzgw_ev_peer gone;

	memset(&gone, 0, sizeof(gone));
	snprintf(gone.client_id, sizeof(gone.client_id), "%s", peer->info.client_id);
	fzgw_info("client %s: tunnel removed (%s)", peer->info.client_id, why);
	peer->removing = true; /* a subscriber revoking it again must not free it twice */
	fzgw_bus_publish(&dp->core->bus, dp->ctx, FZGW_EV_PEER_REMOVED, &gone, sizeof(gone));
	dp_staged_drop(dp, peer, "tx-peer-removed");
	dp_pending_free(dp, peer, "tx-peer-removed");
	fzgw_wg_peer_remove(dp->wg, peer->wg);
	fzgw_peers_remove(&dp->peers, peer);
}

/* api->peer_remove, after the callback that asked: every grant goes (ACCESS_REVOKED with
 * no resource id, for the policy and the others that keep per-client state), then the
 * tunnel (PEER_REMOVED), then the peer is freed. */
static void run_removals(void *arg)
{
	struct fzgw_dataplane *dp = arg;

	dp->removal_timer = NULL; /* one-shot: freed by the loop */
	/* a subscriber may queue more while this runs: they go in this round too */
	for (size_t i = 0; i < dp->n_removals; i++) {
		struct dp_removal r = dp->removals[i];
		struct fzgw_gw_peer *peer = fzgw_peers_by_client(&dp->peers, r.client_id);
		struct fzgw_ev_revoke ev;

		if (!peer || peer->removing)
			continue;
		fzgw_info("client %s: removing (%s)", r.client_id, r.why);
		memset(&ev, 0, sizeof(ev));
		memcpy(ev.client_id, r.client_id, sizeof(ev.client_id));
		peer->removing = true;
		fzgw_bus_publish(&dp->core->bus, dp->ctx, FZGW_EV_ACCESS_REVOKED, &ev, sizeof(ev));
		remove_peer(dp, peer, r.why);
	}
	dp->n_removals = 0;
}

int dp_peer_remove(struct fzgw_core *core, const char *client_id, const char *why)
{
	struct fzgw_dataplane *dp = core->dp;
	struct fzgw_gw_peer *peer = fzgw_peers_by_client(&dp->peers, client_id);
	struct dp_removal *r;

	if (!peer || peer->removing)
		return -ENOENT;
	for (size_t i = 0; i < dp->n_removals; i++)
		if (!strcmp(dp->removals[i].client_id, client_id))
			return 0; /* already queued */
	if (dp->n_removals == dp->cap_removals) {
		size_t cap = dp->cap_removals ? dp->cap_removals * 2 : 16;

		if (!(r = realloc(dp->removals, cap * sizeof(*r))))
			return -ENOMEM;
		dp->removals = r;
		dp->cap_removals = cap;
	}
	if (!dp->removal_timer &&
	    !(dp->removal_timer = fzgw_loop_timer_add(dp->ctx, 0, false, run_removals, dp)))
		return -ENOMEM;
	r = &dp->removals[dp->n_removals++];
	memset(r, 0, sizeof(*r));
	snprintf(r->client_id, sizeof(r->client_id), "%s", client_id);
	snprintf(r->why, sizeof(r->why), "%s", why);
	return 0;
}

void dp_on_authorized(void *state, const struct fzgw_event *ev)
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
		dp_staged_drop(dp, peer, "tx-key-changed");
		fzgw_wg_peer_remove(dp->wg, peer->wg);
		peer->wg = wp;
		memcpy(peer->public_key, a->public_key, 32);
		dp_path_rekeyed(dp, peer);
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

/* A Goodbye (p2p control) to @peer if it has a session: its client closes the tunnel. */
static bool send_goodbye(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer)
{
	struct fzgw_packet *pkt;
	int n;

	if (!fzgw_wg_peer_has_session(peer->wg))
		return false;
	if (!(pkt = fzgw_pool_get(dp->pool))) {
		dp_count(dp, "goodbye-no-buffer");
		return false;
	}
	if ((n = fzgw_p2p_goodbye(pkt->data, pkt->cap)) < 0) {
		dp_drop(dp, pkt, "goodbye-no-room");
		return false;
	}
	pkt->len = (uint32_t)n;
	pkt->dir = FZGW_DIR_OUT;
	dp_pkt_set_peer(pkt, peer);
	dp_send_to_peer(dp, peer, pkt);
	dp_count(dp, "goodbye-sent");
	return true;
}

/*
 * A control plane took a client's last access away: as the original on the last
 * reject_access, the client hears a Goodbye while its tunnel still exists, whatever
 * modules are loaded. The core's own removals (peer_remove, after the client's Goodbye)
 * mark the peer first and get none; after the shutdown Goodbye, none either.
 */
void dp_on_revoked(void *state, const struct fzgw_event *ev)
{
	struct fzgw_dataplane *dp = state;
	const struct fzgw_ev_revoke *r = ev->data;
	struct fzgw_gw_peer *peer;

	if (ev->size < sizeof(*r) || r->resource_id[0])
		return; /* one grant: the policy's business; it revokes the client when none is left */
	if (!(peer = fzgw_peers_by_client(&dp->peers, r->client_id)) || peer->removing)
		return;
	if (!dp->said_goodbye)
		send_goodbye(dp, peer); /* encrypted and queued (or sent) before the peer goes */
	remove_peer(dp, peer, "access revoked");
}

/* A Goodbye to every client with a session (the others have no tunnel to close), whatever
 * modules are loaded, then up to @flush_ms to get them out. */
int fzgw_dataplane_goodbye(struct fzgw_dataplane *dp, uint32_t flush_ms)
{
	int sent = 0;

	if (!dp)
		return 0;
	dp_flush_all(dp);
	dp->batching++;
	for (uint32_t i = 0; i < dp->peers.cap; i++) {
		struct fzgw_gw_peer *peer = dp->peers.by_index[i];

		if (peer && !peer->removing && send_goodbye(dp, peer))
			sent++;
	}
	dp->batching--;
	dp->said_goodbye = true;
	dp_flush_udp_wait(dp, flush_ms);
	fzgw_info("sent goodbye to %d client(s)", sent);
	return sent;
}

struct fzgw_packet *dp_alloc(struct fzgw_core *core)
{
	return fzgw_pool_get(((struct fzgw_dataplane *)core->dp)->pool);
}

int dp_public_key(struct fzgw_core *core, uint8_t out[32])
{
	return fzgw_wg_public_key(((struct fzgw_dataplane *)core->dp)->wg, out);
}

const struct fzgw_peer_info *dp_peer_by_client(struct fzgw_core *core, const char *id)
{
	struct fzgw_gw_peer *p = fzgw_peers_by_client(&((struct fzgw_dataplane *)core->dp)->peers, id);

	return p ? &p->info : NULL;
}
