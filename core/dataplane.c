/* SPDX-License-Identifier: Apache-2.0 */
/* The data plane's life: keys, TUN, sockets, the engine, and plugging it all into the core. */
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
#include "keyfile.h"
#include "log.h"
#include "loop.h"
#include "netlink.h"

/* ------------------------------------------------------------ life */

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
		dp->gro.udp = (off & FZGW_TUN_OFFLOAD_UDP) != 0; /* USO: UDP writes coalesced too */
		fzgw_info("TUN %s: offloads on (checksum, TSO%s), %s writes coalesced", dp->tun_name,
			  off & FZGW_TUN_OFFLOAD_UDP ? ", USO" : "",
			  off & FZGW_TUN_OFFLOAD_UDP ? "TCP and UDP" : "TCP");
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
	struct fzgw_wg_ops ops = { .now_ns = dp_wg_now_ns, .send = dp_wg_send, .event = dp_wg_event };
	struct fzgw_dataplane *dp;
	uint8_t key[32], pub[32];
	struct fzgw_wg_limits lim = { 0 };
	char pub64[64];
	unsigned int threads = dp_workers_threads(cfg->workers);
	uint32_t bufsize, nbuf = FZGW_POOL_DEFAULT_COUNT + dp_workers_buffers(threads);
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
	fzgw_net_routing_init(&dp->routing, cfg->routing_table);
	dp->tun_fd = -1;
	dp->udp.fd4 = dp->udp.fd6 = -1;
	ops.user = dp;
	core->dp = dp;
	/* buffers sized from the MTU: a full-size packet fits whole, both ways */
	if (!(bufsize = fzgw_pool_size_for_mtu(dp->mtu))) {
		snprintf(err, errlen, "tun.mtu %u: too large for a packet buffer", dp->mtu);
		rc = -EINVAL;
		goto err;
	}
	if ((rc = fzgw_peers_init(&dp->peers, 16384)) < 0 ||
	    (rc = fzgw_pool_create(&dp->pool, nbuf, bufsize)) < 0) {
		snprintf(err, errlen, "out of memory for peers and buffers");
		goto err;
	}
	if (bufsize != FZGW_POOL_DEFAULT_SIZE || nbuf != FZGW_POOL_DEFAULT_COUNT)
		fzgw_info("packet buffers: %u x %u bytes for MTU %u", nbuf, bufsize, dp->mtu);
	if ((rc = fzgw_key_load(cfg->private_key_file, key, err, errlen)) < 0)
		goto err;
	rc = fzgw_wg_new(&dp->wg, key, &ops);
	sodium_memzero(key, sizeof(key));
	if (rc < 0) {
		snprintf(err, errlen, "cannot create the WireGuard device: %s", strerror(-rc));
		goto err;
	}
	lim.load_threshold = cfg->handshake_load_threshold;
	if ((rc = fzgw_wg_set_limits(dp->wg, &lim)) < 0) {
		snprintf(err, errlen, "cannot set the WireGuard limits: %s", strerror(-rc));
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
	if ((rc = dp_udp_offload_start(dp, cfg->udp_offload)) < 0) {
		snprintf(err, errlen, "out of memory for UDP offloads");
		goto err;
	}
	/* after the offloads: the workers copy the fds and the TUN's coalescing mode */
	if ((rc = dp_workers_start(dp, threads)) < 0) {
		snprintf(err, errlen, "cannot start %u output workers: %s", threads - 1, strerror(-rc));
		goto err;
	}
	if (threads > 1)
		fzgw_info("data plane: %u threads (loop + %u output workers)", threads, threads - 1);
	else
		fzgw_info("data plane: 1 thread (the loop, no output workers)");
	if (!fzgw_loop_fd_add(dp->ctx, dp->tun_fd, FZGW_FD_READ, dp_on_tun, dp) ||
	    (dp->udp.fd4 >= 0 && !fzgw_loop_fd_add(dp->ctx, dp->udp.fd4, FZGW_FD_READ, dp_on_udp, dp)) ||
	    (dp->udp.fd6 >= 0 && !fzgw_loop_fd_add(dp->ctx, dp->udp.fd6, FZGW_FD_READ, dp_on_udp, dp)) ||
	    !fzgw_loop_timer_add(dp->ctx, DP_TICK_MS, true, dp_on_tick, dp)) {
		snprintf(err, errlen, "cannot watch the TUN and UDP sockets");
		rc = -ENOMEM;
		goto err;
	}
	if ((rc = fzgw_bus_subscribe(&core->bus, dp->ctx, FZGW_EV_IFACE_CONFIG, dp_on_iface, dp)) < 0 ||
	    (rc = fzgw_bus_subscribe(&core->bus, dp->ctx, FZGW_EV_PEER_AUTHORIZED, dp_on_authorized, dp)) < 0 ||
	    (rc = fzgw_bus_subscribe(&core->bus, dp->ctx, FZGW_EV_ACCESS_REVOKED, dp_on_revoked, dp)) < 0) {
		snprintf(err, errlen, "cannot subscribe to control events");
		goto err;
	}
	core->sink[FZGW_DIR_IN] = dp_sink_in;
	core->sink[FZGW_DIR_OUT] = dp_sink_out;
	core->release = dp_release;
	core->pkt_peer_ok = dp_pkt_peer_ok;
	core->icmp = dp_icmp_reply;
	core->peer_by_client = dp_peer_by_client;
	core->alloc = dp_alloc;
	core->public_key = dp_public_key;
	core->peer_remove = dp_peer_remove;
	core->udp_send = dp_udp_send;
	core->udp_local = dp_udp_local;
	core->set_path = dp_set_path;
	core->udp_input = dp_udp_input;
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
	dp_workers_stop(dp); /* every packet handed over written and back in the pool */
	fzgw_ctx_unregister_all(dp->ctx);
	dp_flush_all(dp);
	for (uint32_t i = 0; i < dp->peers.cap; i++) {
		struct fzgw_gw_peer *p = dp->peers.by_index[i];

		if (!p)
			continue;
		dp_staged_drop(dp, p, "tx-peer-removed");
		dp_pending_free(dp, p, "tx-peer-removed");
	}
	dp->wg = fzgw_wg_free(dp->wg); /* wipes every key */
	fzgw_peers_fini(&dp->peers);
	dp_routing_cleanup(dp); /* the rules stay otherwise */
	if (dp->tun_fd >= 0)
		close(dp->tun_fd); /* a non-persistent TUN goes away with its routes */
	free(dp->tun_rx);
	fzgw_udp_close(&dp->udp);
	dp_udp_offload_stop(dp);
	dp->pool = fzgw_pool_destroy(dp->pool);
	core->sink[0] = core->sink[1] = NULL;
	core->release = NULL;
	core->pkt_peer_ok = NULL;
	core->icmp = NULL;
	core->peer_by_client = NULL;
	core->alloc = NULL;
	core->public_key = NULL;
	core->peer_remove = NULL;
	core->udp_send = NULL;
	core->udp_local = NULL;
	core->set_path = NULL;
	core->udp_input = NULL;
	core->dp = NULL;
	free(dp->removals);
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
