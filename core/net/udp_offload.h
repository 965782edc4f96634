/* SPDX-License-Identifier: Apache-2.0 */
/* UDP socket offloads: UDP_SEGMENT (GSO) on send, UDP_GRO on receive. */
#ifndef FZGW_NET_UDP_OFFLOAD_H
#define FZGW_NET_UDP_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "udp.h"

/* Datagrams one GSO send may carry: the kernel's UDP_MAX_SEGMENTS (64 before Linux 6.9). */
#define FZGW_UDP_GSO_MAX_SEGS 64u

/* Payload bytes one GSO send may carry: an IPv4 datagram's 65 535 bytes less its
 * 20-byte IP and 8-byte UDP headers (IPv6 could take 20 more; one limit for both). */
#define FZGW_UDP_GSO_MAX_BYTES 65507u

/* Datagrams one coalesced read may stand for: the kernel's UDP_GRO_CNT_MAX. A read that
 * says more is not something the kernel makes: refused. */
#define FZGW_UDP_GRO_MAX_SEGS 64u

/* The largest coalesced read: a receive buffer of this size is never cut. */
#define FZGW_UDP_GRO_MAX_LEN 65535u

/* One send planned by fzgw_udp_gso_plan(): datagrams [first, first + n) to one
 * destination, all of @seg bytes but the last, which may be shorter. */
struct fzgw_udp_run {
	uint16_t first;
	uint16_t n;
	uint16_t seg; /* the first datagram's length: the UDP_SEGMENT size when n > 1 */
};

/*
 * Groups @n datagrams (lens[i] bytes to dsts[i]) in order into runs: a datagram joins
 * the run before it when it goes to the same address and port, is not empty, is not
 * longer than the run's first, the run's last so far was as long as its first (a shorter
 * one ends a run), and the run stays within FZGW_UDP_GSO_MAX_SEGS datagrams and
 * FZGW_UDP_GSO_MAX_BYTES bytes. Stops after @max_runs runs. Returns the number of runs
 * in @runs; *n_covered (may be NULL) receives the datagrams they hold.
 */
size_t fzgw_udp_gso_plan(const size_t *lens, const union fzgw_sockaddr *dsts, size_t n,
			 struct fzgw_udp_run *runs, size_t max_runs, size_t *n_covered);

/* One socket's send offload: on until the kernel refuses it once. */
struct fzgw_udp_gso {
	bool on;
	int off_err; /* the errno (positive) that turned it off, 0 */
};

/* What one fzgw_udp_send_gso() call did. */
struct fzgw_udp_tx_result {
	size_t refused;  /* datagrams the kernel refused on their own */
	size_t gso_msgs; /* sends with a UDP_SEGMENT control message */
	size_t gso_segs; /* datagrams inside them */
	int turned_off;  /* the errno that turned GSO off in this call (then logged once), 0 */
};

/*
 * fzgw_udp_send_batch() with runs of datagrams sent as one message each (a UDP_SEGMENT
 * control message, the datagrams' buffers as its iovec) while @g->on. A GSO message the
 * kernel refuses with EINVAL or EIO (a route MTU below the segment, a device without
 * checksum offload, IPsec) turns it off for good (@g->off_err, res->turned_off) and its
 * datagrams and the rest go one by one. Other refusals skip the run's datagrams (counted
 * in res->refused: they all share the destination). Returns as fzgw_udp_send_batch().
 * @res may be NULL.
 */
int fzgw_udp_send_gso(int fd, struct fzgw_udp_gso *g, uint8_t *const *bufs, const size_t *lens,
		      const union fzgw_sockaddr *dsts, size_t n, struct fzgw_udp_tx_result *res);

/* Turns UDP_GRO on for @fd: 0 or -errno (the kernel lacks it). */
int fzgw_udp_gro_enable(int fd);

/*
 * fzgw_udp_recv_batch() on a socket with UDP_GRO: gso[i] receives the segment size the
 * kernel attached to read i (a UDP_GRO control message), 0 when it was one datagram.
 * The buffers should hold FZGW_UDP_GRO_MAX_LEN bytes; a cut read shows as in
 * fzgw_udp_recv_batch(), lens[i] above the capacity. @gso NULL: no control messages are
 * read (fzgw_udp_recv_batch() is this).
 */
int fzgw_udp_recv_gro(int fd, uint8_t *const *bufs, size_t *lens, union fzgw_sockaddr *srcs,
		      uint16_t *gso, size_t n);

/* The datagrams of one coalesced read, in order. */
struct fzgw_udp_gro_iter {
	const uint8_t *buf;
	size_t len;
	size_t off;
	size_t seg;
	size_t left; /* datagrams still to come */
};

/*
 * Starts cutting a read of @len bytes that the kernel said holds segments of @gso_size
 * bytes (the last may be shorter; 0: one datagram, the whole read). Returns how many
 * datagrams it holds, or -EINVAL when that would be more than FZGW_UDP_GRO_MAX_SEGS
 * (nothing the kernel does: the read is dropped).
 */
int fzgw_udp_gro_start(struct fzgw_udp_gro_iter *it, const uint8_t *buf, size_t len,
		       uint16_t gso_size);

/* The next datagram: true with *p and *len set, false at the end. */
bool fzgw_udp_gro_next(struct fzgw_udp_gro_iter *it, const uint8_t **p, size_t *len);

#endif
