/* SPDX-License-Identifier: Apache-2.0 */
/* UDP GRO: reads the kernel coalesced, with their segment size, and cutting them apart. */
#include <errno.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/uio.h>

#include "udp_offload.h"

#ifndef UDP_GRO
#define UDP_GRO 104
#endif

int fzgw_udp_gro_enable(int fd)
{
	int one = 1;

	if (setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

union gro_cmsg {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int))];
};

/* The segment size in a read's control messages, 0 without one (or a malformed one). */
static uint16_t gro_size(struct msghdr *m)
{
	struct cmsghdr *c;
	int v;

	if (m->msg_flags & MSG_CTRUNC)
		return 0;
	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO ||
		    c->cmsg_len < CMSG_LEN(sizeof(int)))
			continue;
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		return v > 0 && v <= UINT16_MAX ? (uint16_t)v : 0;
	}
	return 0;
}

int fzgw_udp_recv_gro(int fd, uint8_t *const *bufs, size_t *lens, union fzgw_sockaddr *srcs,
		      uint16_t *gso, size_t n)
{
	struct mmsghdr msgs[FZGW_UDP_BATCH_MAX];
	struct iovec iov[FZGW_UDP_BATCH_MAX];
	union gro_cmsg ctl[FZGW_UDP_BATCH_MAX];
	size_t i;
	int r;

	if (n > FZGW_UDP_BATCH_MAX)
		n = FZGW_UDP_BATCH_MAX;
	if (n == 0)
		return -EINVAL;
	memset(msgs, 0, n * sizeof(msgs[0]));
	for (i = 0; i < n; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = lens[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		if (gso) {
			msgs[i].msg_hdr.msg_control = ctl[i].buf;
			msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
		}
		if (srcs) {
			msgs[i].msg_hdr.msg_name = &srcs[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(srcs[i]);
		}
	}
	/* MSG_TRUNC: msg_len is the datagram's real length, so a cut one can be told apart. */
	do
		r = recvmmsg(fd, msgs, (unsigned int)n, MSG_DONTWAIT | MSG_TRUNC, NULL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -EAGAIN;
	for (i = 0; i < (size_t)r; i++) {
		lens[i] = msgs[i].msg_len;
		if (gso)
			gso[i] = gro_size(&msgs[i].msg_hdr);
	}
	return r;
}

int fzgw_udp_gro_start(struct fzgw_udp_gro_iter *it, const uint8_t *buf, size_t len,
		       uint16_t gso_size)
{
	size_t count = 1;

	it->buf = buf;
	it->len = len;
	it->off = 0;
	it->seg = len;
	if (gso_size && len > gso_size) {
		count = (len + gso_size - 1) / gso_size;
		it->seg = gso_size;
	}
	if (count > FZGW_UDP_GRO_MAX_SEGS) {
		it->left = 0; /* nothing comes out */
		return -EINVAL;
	}
	it->left = count;
	return (int)count;
}

bool fzgw_udp_gro_next(struct fzgw_udp_gro_iter *it, const uint8_t **p, size_t *len)
{
	size_t rest = it->len - it->off;

	if (!it->left)
		return false;
	it->left--;
	*p = it->buf + it->off;
	*len = it->left ? it->seg : rest; /* the last takes what is left, at most seg */
	it->off += *len;
	return true;
}
