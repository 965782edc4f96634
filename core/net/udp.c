/* SPDX-License-Identifier: Apache-2.0 */
/* UDP sockets for WireGuard: opening the port pair and recvmmsg()/sendmmsg() batches. */
#include <errno.h>
#include <limits.h>
#include <netinet/udp.h>
#include <string.h>
#include <unistd.h>

#include "udp.h"
#include "udp_offload.h"

/* Ephemeral ports tried when the IPv6 socket's pick is already taken for IPv4. */
#define OPEN_ATTEMPTS 8

static void raise_buf(int fd, int opt_force, int opt, int size)
{
	/* FORCE needs CAP_NET_ADMIN; without it the plain option still gets up to [rw]mem_max. */
	if (setsockopt(fd, SOL_SOCKET, opt_force, &size, sizeof(size)) == 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

int fzgw_udp_socket(int family, uint16_t port, int bufsize, uint16_t *bound_port)
{
	union fzgw_sockaddr addr;
	socklen_t alen;
	int one = 1;
	int fd;
	int err;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;

	memset(&addr, 0, sizeof(addr));
	if (family == AF_INET6) {
		/* The IPv4 socket owns IPv4: no mapped addresses on this one. */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) {
			err = -errno;
			goto err_close;
		}
		addr.in6.sin6_family = AF_INET6;
		addr.in6.sin6_addr = in6addr_any;
		addr.in6.sin6_port = htons(port);
		alen = sizeof(addr.in6);
	} else {
		addr.in4.sin_family = AF_INET;
		addr.in4.sin_addr.s_addr = htonl(INADDR_ANY);
		addr.in4.sin_port = htons(port);
		alen = sizeof(addr.in4);
	}
	{
		unsigned int mark = FZGW_UDP_MARK;

		(void)setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
	}
	if (bufsize > 0) {
		raise_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, bufsize);
		raise_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, bufsize);
	}
	if (bind(fd, &addr.sa, alen) < 0) {
		err = -errno;
		goto err_close;
	}
	if (bound_port) {
		alen = sizeof(addr);
		if (getsockname(fd, &addr.sa, &alen) < 0) {
			err = -errno;
			goto err_close;
		}
		*bound_port = ntohs(family == AF_INET6 ? addr.in6.sin6_port : addr.in4.sin_port);
	}
	return fd;

err_close:
	close(fd);
	return err;
}

void fzgw_udp_close(struct fzgw_udp *u)
{
	if (u->fd4 >= 0)
		close(u->fd4);
	if (u->fd6 >= 0)
		close(u->fd6);
	u->fd4 = -1;
	u->fd6 = -1;
	u->port = 0;
}

/* A family the host does not have: go on with the other one. */
static int family_missing(int err)
{
	return err == -EAFNOSUPPORT || err == -EPROTONOSUPPORT;
}

int fzgw_udp_open(struct fzgw_udp *u, uint16_t port, int bufsize)
{
	uint16_t bound = port;
	int attempt;
	int fd;

	u->fd4 = -1;
	u->fd6 = -1;
	u->port = 0;
	for (attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
		fd = fzgw_udp_socket(AF_INET6, port, bufsize, &bound);
		if (fd < 0 && !family_missing(fd))
			return fd;
		u->fd6 = fd < 0 ? -1 : fd;

		fd = fzgw_udp_socket(AF_INET, u->fd6 >= 0 ? bound : port, bufsize, &bound);
		if (fd >= 0) {
			u->fd4 = fd;
			u->port = bound;
			return 0;
		}
		if (family_missing(fd)) {
			if (u->fd6 < 0)
				return fd;
			u->port = bound;
			return 0;
		}
		fzgw_udp_close(u);
		/* Only a port the kernel picked may be picked again. */
		if (fd != -EADDRINUSE || port != 0)
			return fd;
	}
	return -EADDRINUSE;
}

int fzgw_udp_recv_batch(int fd, uint8_t *const *bufs, size_t *lens, union fzgw_sockaddr *srcs,
			size_t n)
{
	return fzgw_udp_recv_gro(fd, bufs, lens, srcs, NULL, n); /* no control messages */
}

/* Errors about the socket or its buffer rather than one datagram: stop the batch. */
static int udp_stops(int err)
{
	return err == -EAGAIN || err == -ENOBUFS || err == -ENOMEM ||
	       err == -EBADF || err == -ENOTSOCK || err == -EFAULT;
}

static socklen_t sockaddr_len(const union fzgw_sockaddr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in4);
}

int fzgw_udp_send_batch(int fd, uint8_t *const *bufs, const size_t *lens,
			const union fzgw_sockaddr *dsts, size_t n, size_t *n_refused)
{
	struct mmsghdr msgs[FZGW_UDP_BATCH_MAX];
	struct iovec iov[FZGW_UDP_BATCH_MAX];
	size_t done = 0, chunk, i, off;
	size_t refused = 0;
	int err = 0;
	int r;

	if (n > INT_MAX)
		n = INT_MAX;
	while (done < n) {
		chunk = n - done < FZGW_UDP_BATCH_MAX ? n - done : FZGW_UDP_BATCH_MAX;
		memset(msgs, 0, chunk * sizeof(msgs[0]));
		for (i = 0; i < chunk; i++) {
			iov[i].iov_base = bufs[done + i];
			iov[i].iov_len = lens[done + i];
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			/* sendmsg() takes a non-const name it never writes to. */
			msgs[i].msg_hdr.msg_name = (void *)&dsts[done + i];
			msgs[i].msg_hdr.msg_namelen = sockaddr_len(&dsts[done + i]);
		}
		/*
		 * sendmmsg() stops at the first datagram that fails and reports the ones before
		 * it; a call starting at the failed one then returns its error.
		 */
		for (off = 0; off < chunk;) {
			r = sendmmsg(fd, msgs + off, (unsigned int)(chunk - off), MSG_DONTWAIT);
			if (r > 0) {
				off += (size_t)r;
				continue;
			}
			if (r < 0 && errno == EINTR)
				continue;
			err = r == 0 ? -EAGAIN : -errno;
			if (udp_stops(err))
				break;
			err = 0;
			refused++;
			off++;
		}
		done += off;
		if (err)
			break;
	}
	if (n_refused)
		*n_refused = refused;
	if (done == 0 && err)
		return err;
	return (int)done;
}

int fzgw_udp_probe_offloads(int fd)
{
	int off = 0;
	int caps = 0;

	if (setsockopt(fd, SOL_UDP, UDP_SEGMENT, &off, sizeof(off)) == 0)
		caps |= FZGW_UDP_CAP_GSO;
	if (setsockopt(fd, SOL_UDP, UDP_GRO, &off, sizeof(off)) == 0)
		caps |= FZGW_UDP_CAP_GRO;
	return caps;
}
