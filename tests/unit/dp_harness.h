/* SPDX-License-Identifier: Apache-2.0 */
/* A gateway data plane on a loopback UDP socket (no TUN) and WireGuard clients built from the
 * same engine, for the tests of UDP demultiplexing and client paths. */
#ifndef FZGW_TEST_DP_HARNESS_H
#define FZGW_TEST_DP_HARNESS_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <netinet/in.h>

#include "dp.h"

#define DPH_OUTBOX 256

/* The gateway: its socket on 127.0.0.1, a module ctx ("relaytest"), and what reached the
 * TUN side (the IN sink records the last packet and counts them). */
struct dph_gw {
	struct event_base *base;
	struct fzgw_core core;
	struct fzgw_dataplane *dp;
	struct fzgw_ctx mod;
	struct sockaddr_in addr;
	int n_in;
	uint8_t last_in[2048];
	size_t last_in_len;
};

/* A client: a WireGuard engine whose datagrams go to an outbox (the test decides how they
 * travel: to the gateway's socket from @fd, or through api->udp_input as if relayed). */
struct dph_client {
	int fd;
	struct sockaddr_in addr;
	struct fzgw_wg *wg;
	struct fzgw_wg_peer *gw;
	uint8_t pub[32];
	int n_out;
	size_t out_len[DPH_OUTBOX];
	uint8_t out[DPH_OUTBOX][256];
};

/* A UDP socket on 127.0.0.1 (port picked by the kernel), with a large receive buffer. */
int dph_socket(struct sockaddr_in *addr);
struct fzgw_endpoint dph_endpoint(const struct sockaddr_in *a);

struct dph_gw *dph_gw_new(void);
void dph_gw_free(struct dph_gw *g);
/* Authorizes client @id with @c's key and tunnel address 100.64.0.@last. */
void dph_authorize(struct dph_gw *g, const char *id, const struct dph_client *c, uint8_t last);
/* Reads every datagram waiting on the gateway's socket (one dp_on_udp per batch). */
void dph_gw_poll(struct dph_gw *g);
/* An IPv4 UDP packet 10.0.0.1 -> 100.64.0.@last carrying the 4-byte @seq, sent to @id. */
void dph_gw_send(struct dph_gw *g, const char *id, uint8_t last, uint32_t seq);

/* The value of the core's counter @name. */
uint64_t dph_counter(const struct dph_gw *g, const char *name);
/* A new client @c authorized as @id (100.64.0.@last) with a session over its socket. */
void dph_handshake(struct dph_gw *g, struct dph_client *c, const char *id, uint8_t last);
/* Is a datagram waiting on @fd? */
bool dph_udp_waiting(int fd);

void dph_client_new(struct dph_client *c, const struct dph_gw *g);
void dph_client_free(struct dph_client *c);
/* Sends the outbox from the client's socket to the gateway's and polls the gateway. */
void dph_client_flush_direct(struct dph_client *c, struct dph_gw *g);
/* Hands the outbox to the gateway through api->udp_input, as received over @via. */
void dph_client_flush_relayed(struct dph_client *c, struct dph_gw *g, const struct fzgw_path *via);
/* An IPv4 UDP packet 100.64.0.@last (or @src_last for a spoofing test) -> 10.0.0.1 with @seq,
 * encrypted into the outbox. */
void dph_client_send(struct dph_client *c, uint8_t src_last, uint32_t seq);
/* Feeds one datagram to the client's engine as if from the gateway. Returns the
 * fzgw_wg_receive() result; a decrypted packet's seq in *seq (may be NULL). */
int dph_client_feed(struct dph_client *c, const struct dph_gw *g, uint8_t *buf, size_t len,
		    uint32_t *seq);
/* Reads one datagram on @fd (-1000: none) into the client; as dph_client_feed. */
int dph_client_recv(struct dph_client *c, const struct dph_gw *g, int fd, uint32_t *seq);
/* Reads one ChannelData datagram on @relay_fd, checks its header (channel @channel, a length
 * that fits), unwraps it into the client. -1000: none. */
int dph_relay_recv(struct dph_client *c, const struct dph_gw *g, int relay_fd, uint16_t channel,
		   uint32_t *seq);

#endif
