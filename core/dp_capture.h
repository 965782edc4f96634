/* SPDX-License-Identifier: Apache-2.0 */
/* Packet capture taps in the data path: decrypted packets from a client (after decryption) and
 * to it (just before encryption) go to the attached sinks as pcap records. Off unless a sink
 * is attached: the data path's check is one load and a predicted branch. */
#ifndef FZGW_DP_CAPTURE_H
#define FZGW_DP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fzgw_dataplane;
struct fzgw_gw_peer;
struct fzgw_packet;

#define DP_CAPTURE_MAX 8 /* sinks attached at once */

/*
 * A capture sink. @emit gets a whole pcap record (header and data, borrowed) and returns 1
 * when it took it, 0 when it has no room (the record is dropped and counted, never waited
 * for), -1 when the capture is ending (not counted).
 */
struct dp_capture_sink {
	char client_id[40]; /* "" = every client */
	int (*emit)(void *arg, const uint8_t *hdr, size_t hlen, const uint8_t *data, size_t len);
	void *arg;
	uint64_t packets, bytes, dropped;
};

extern unsigned dp_capture_active; /* sinks attached; 0 = no capture */

/* 0, or -ENOSPC past DP_CAPTURE_MAX. The sink is borrowed until detached. */
int dp_capture_attach(struct dp_capture_sink *s);
void dp_capture_detach(struct dp_capture_sink *s);

/* The taps (dp_io.c). */
void dp_capture_in(struct fzgw_dataplane *dp, const struct fzgw_gw_peer *peer,
		   const struct fzgw_packet *pkt);
void dp_capture_out(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer,
		    const struct fzgw_packet *pkt);

static inline bool dp_capture_on(void)
{
	return __builtin_expect(dp_capture_active != 0, 0);
}

#endif
