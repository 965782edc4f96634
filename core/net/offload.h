/* SPDX-License-Identifier: Apache-2.0 */
/* TUN offloads in userspace: TCP segments coalesced into GSO writes, GSO reads split. */
#ifndef FZGW_NET_OFFLOAD_H
#define FZGW_NET_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vnet.h"

/* Packets one fzgw_gro_build() takes: the data plane's batch. */
#define FZGW_GRO_BATCH 64u

/* Pieces of one planned write: the vnet header, the first packet, one per later packet. */
#define FZGW_GRO_IOV_MAX (FZGW_GRO_BATCH + 1u)

/* One TUN write planned by fzgw_gro_build(). */
struct fzgw_gro_out {
	struct fzgw_vnet_hdr hdr; /* zero when n_pkts is 1 */
	uint16_t first;           /* the batch index of its first packet */
	uint16_t n_pkts;          /* packets it carries */
	uint32_t len;             /* its bytes after the vnet header */
};

/* A TCP flow open for appending while a batch is planned. */
struct fzgw_gro_flow {
	uint32_t next_seq;  /* the sequence number an appended segment must carry */
	uint16_t out;       /* its struct fzgw_gro_out */
	uint16_t tail;      /* its last packet so far */
	uint16_t gso_size;  /* the first segment's payload: no later one may be larger */
	uint8_t l3_len;
	uint8_t l4_len;     /* TCP header with options, or the UDP header */
	uint8_t proto;      /* TCP or UDP */
	bool psh;           /* some segment had PSH: the super-packet carries it */
	bool closed;        /* PSH, a short segment or another packet of the flow: it ends */
	bool verified;      /* the first segment's checksum was checked */
};

/*
 * The coalescing state of one data plane (one thread): the plan of the last batch.
 * Nothing in it outlives a batch; no allocation.
 */
struct fzgw_gro {
	uint16_t n_out, n_flows;
	uint8_t slot[2 * FZGW_GRO_BATCH]; /* flow hash table: flow index + 1, 0 = free */
	int16_t next[FZGW_GRO_BATCH];     /* the next packet of the same write, -1 at the end */
	struct fzgw_gro_out out[FZGW_GRO_BATCH];
	struct fzgw_gro_flow flow[FZGW_GRO_BATCH];
	uint32_t merged; /* packets that went inside another's write in the last batch */
	uint8_t udp;     /* set by the owner: nonzero when the TUN took USO, so UDP datagrams of
			  * one flow are coalesced too (GSO_UDP_L4) */
};

/*
 * Plans how @n (at most FZGW_GRO_BATCH) IP packets bufs[i] of lens[i] bytes go to a TUN
 * with vnet headers, in order: runs of TCP segments of one flow (same addresses and
 * ports, each starting where the one before ended, same ACK number, window, TCP options,
 * ToS/traffic class, TTL/hop limit and DF; flags ACK or ACK|PSH; valid checksums; no IPv4
 * options or IPv6 extension headers; PSH or a shorter segment only last) become one GSO
 * super-packet of at most FZGW_GSO_MAX_LEN bytes. The first packet of each run gets the
 * new lengths, the IPv4 header checksum and the pseudo-header sum in its TCP checksum
 * field, in place; the others are not modified. Every other packet is written alone with
 * a zero header. A packet of a flow that is not appended ends that flow's run, so the
 * packets of one flow keep their order. With g->udp, UDP datagrams of one flow (same
 * addresses, ports and IP header fields as above, a non-zero valid checksum, payloads not
 * larger than the first's, a shorter one last) become a GSO_UDP_L4 super-packet the same
 * way. Returns the number of writes, g->out[0..).
 */
int fzgw_gro_build(struct fzgw_gro *g, uint8_t *const *bufs, const size_t *lens, size_t n);

/*
 * The pieces of planned write @k, vnet header first, into @iov (FZGW_GRO_IOV_MAX
 * entries). They point into @g and into the packets. Returns their number.
 */
int fzgw_gro_iov(const struct fzgw_gro *g, unsigned int k, uint8_t *const *bufs,
		 const size_t *lens, struct iovec *iov);

/*
 * fzgw_gro_build(), then every write to @fd with fzgw_tun_writev(). A write the kernel
 * refuses on its own is skipped, its packets counted in *n_refused (may be NULL).
 * Returns the packets handled (written or refused): less than @n when the kernel said
 * EAGAIN or the fd failed, and the caller drops the rest; a negative errno when the first
 * write already met such an error.
 */
int fzgw_gro_write(struct fzgw_gro *g, int fd, uint8_t *const *bufs, const size_t *lens,
		   size_t n, size_t *n_refused);

/*
 * One record read from a TUN with vnet headers, cut into the packets it stands for.
 * Filled by fzgw_gso_start(), consumed by fzgw_gso_next().
 */
struct fzgw_gso {
	const uint8_t *pkt; /* the packet after the vnet header */
	uint32_t len;
	uint32_t off;       /* where the next segment's payload starts */
	uint32_t seq;       /* the first segment's TCP sequence number */
	uint32_t addr_sum;  /* pseudo-header sum of the addresses and the protocol */
	uint16_t hdr_len;   /* IP + TCP/UDP headers, copied into every segment */
	uint16_t gso_size;  /* 0: the packet as it is, once */
	uint16_t id;        /* the first segment's IPv4 identification */
	uint16_t index;     /* segments produced so far */
	uint8_t l3_len;
	uint8_t version;
	uint8_t proto;
};

/*
 * Takes one record of @len bytes at @rec (vnet header included) as read from the TUN.
 * A record without GSO is one packet; its checksum, if the kernel left it partial
 * (FZGW_VNET_F_NEEDS_CSUM), is completed in place. A TCPV4, TCPV6 or UDP_L4 record is
 * checked (header types and lengths, csum_start at the end of an IPv4 header without
 * fragmentation or of a 40-byte IPv6 header, the TCP header length; the kernel's hdr_len
 * is not trusted) and left for fzgw_gso_next() to cut. Returns the number of packets it
 * will give, or -EINVAL (malformed), -EPROTONOSUPPORT (a GSO type never asked for).
 */
int fzgw_gso_start(struct fzgw_gso *s, uint8_t *rec, size_t len);

/*
 * Writes the next packet into @out (@cap bytes): for GSO, a copy of the headers with the
 * IP length, IPv4 identification (+1 per segment) and header checksum, TCP sequence
 * number, flags (FIN and PSH only on the last segment, CWR only on the first) or UDP
 * length fixed, and a full TCP/UDP checksum. Returns its length, 0 when none is left,
 * or -ENOBUFS when it does not fit in @cap (that packet is skipped).
 */
int fzgw_gso_next(struct fzgw_gso *s, uint8_t *out, size_t cap);

#endif
