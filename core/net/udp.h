/* SPDX-License-Identifier: Apache-2.0 */
/* The WireGuard UDP sockets: one IPv4 and one IPv6-only socket on one port, batch I/O. */
#ifndef FZGW_NET_UDP_H
#define FZGW_NET_UDP_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>
#include <sys/socket.h>

/* Datagrams per recvmmsg()/sendmmsg() call: one wake-up's worth of packets. */
#define FZGW_UDP_BATCH_MAX 64

/* Socket buffers asked for by default: a gigabit path's bytes in flight (as wireguard-go). */
#define FZGW_UDP_BUF_DEFAULT (7 << 20)

/* The original's FIREZONE_MARK: the sockets' outer datagrams carry it (SO_MARK, needs
 * CAP_NET_ADMIN; without it the sockets stay unmarked), so a policy rule can keep them out
 * of the tunnel. */
#define FZGW_UDP_MARK 0xfd002021u

/* A peer's address; sa.sa_family says which member is valid. */
union fzgw_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

/* The pair of sockets on the WireGuard port. An fd is -1 when that family is missing. */
struct fzgw_udp {
	int fd4;
	int fd6;
	uint16_t port; /* host order */
};

/* What fzgw_udp_probe_offloads() found. */
enum {
	FZGW_UDP_CAP_GSO = 1u << 0, /* UDP_SEGMENT: one send, many datagrams of one size */
	FZGW_UDP_CAP_GRO = 1u << 1, /* UDP_GRO: one receive, many datagrams coalesced */
};

/*
 * One UDP socket of @family (AF_INET or AF_INET6, the latter with IPV6_V6ONLY) bound to
 * the wildcard address and @port (0: the kernel picks), non-blocking and close-on-exec.
 * With @bufsize > 0 the receive and send buffers are raised to it: SO_*BUFFORCE first,
 * which needs CAP_NET_ADMIN and ignores rmem_max/wmem_max, else SO_*BUF, which the
 * kernel caps at them. *bound_port (may be NULL) receives the port in host order.
 * Returns the fd or -errno.
 */
int fzgw_udp_socket(int family, uint16_t port, int bufsize, uint16_t *bound_port)
	__attribute__((warn_unused_result));

/*
 * Opens both sockets on one port. With @port 0 the IPv6 socket picks it and the IPv4
 * socket takes the same; a few other ports are tried when that one is taken for IPv4.
 * A host without IPv6 (or without IPv4) leaves that fd at -1. 0, or -errno with both
 * fds at -1.
 */
int fzgw_udp_open(struct fzgw_udp *u, uint16_t port, int bufsize)
	__attribute__((warn_unused_result));

/* Closes what is open; safe on a zeroed or half-opened struct after fzgw_udp_open(). */
void fzgw_udp_close(struct fzgw_udp *u);

/*
 * Receives up to @n datagrams (at most FZGW_UDP_BATCH_MAX) with one recvmmsg(), never
 * blocking. On entry lens[i] is the capacity of bufs[i]; on return it is the datagram's
 * real length, larger than the capacity when it was cut (the caller drops it). srcs[i]
 * (@srcs may be NULL) receives the sender. Returns the number received (at least 1),
 * -EAGAIN when none was waiting, -EINVAL for @n 0, or another -errno.
 */
int fzgw_udp_recv_batch(int fd, uint8_t *const *bufs, size_t *lens, union fzgw_sockaddr *srcs,
			size_t n);

/*
 * Sends bufs[i] (lens[i] bytes) to dsts[i] for i in [0, n), with as few sendmmsg() calls
 * as the kernel allows (64 at a time, resumed after a partial send), never blocking. A
 * datagram the kernel refuses on its own (too big, no route, wrong family, blocked by a
 * firewall...) is skipped and counted in *n_refused (may be NULL). Returns the number of
 * datagrams handled (sent or refused): less than @n only when the socket buffer is full
 * (EAGAIN) or the socket failed, and the caller keeps or drops the rest; a negative errno
 * when the first datagram already met that.
 *
 * UDP GSO fits here later: datagrams of one size to one peer become one msghdr with a
 * UDP_SEGMENT control message, so this call keeps its shape.
 */
int fzgw_udp_send_batch(int fd, uint8_t *const *bufs, const size_t *lens,
			const union fzgw_sockaddr *dsts, size_t n, size_t *n_refused);

/*
 * Which UDP offloads the kernel offers on @fd: FZGW_UDP_CAP_* bits. It probes by turning
 * each one off, which is how a fresh socket starts; call it before turning any on.
 */
int fzgw_udp_probe_offloads(int fd);

#endif
