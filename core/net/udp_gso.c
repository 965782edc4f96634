/* SPDX-License-Identifier: Apache-2.0 */
/* UDP GSO: runs of equal-size datagrams to one peer sent as one message with UDP_SEGMENT. */
#include <errno.h>
#include <limits.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/uio.h>

#include "udp_offload.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

static bool same_dst(const union fzgw_sockaddr *a, const union fzgw_sockaddr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in4.sin_port == b->in4.sin_port &&
		       a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
		       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(a->in6.sin6_addr));
	return false;
}

size_t fzgw_udp_gso_plan(const size_t *lens, const union fzgw_sockaddr *dsts, size_t n,
			 struct fzgw_udp_run *runs, size_t max_runs, size_t *n_covered)
{
	size_t nr = 0, i = 0, bytes = 0, last = 0;

	if (n > UINT16_MAX)
		n = UINT16_MAX;
	for (i = 0; i < n; i++) {
		struct fzgw_udp_run *r = nr ? &runs[nr - 1] : NULL;

		if (r && lens[i] && last == r->seg && lens[i] <= r->seg &&
		    r->n < FZGW_UDP_GSO_MAX_SEGS && bytes + lens[i] <= FZGW_UDP_GSO_MAX_BYTES &&
		    same_dst(&dsts[r->first], &dsts[i])) {
			r->n++;
			bytes += lens[i];
			last = lens[i];
			continue;
		}
		if (nr == max_runs)
			break;
		r = &runs[nr++];
		r->first = (uint16_t)i;
		r->n = 1;
		/* a datagram too large to be a segment stays alone (seg 0 joins nothing) */
		r->seg = lens[i] <= FZGW_UDP_GSO_MAX_BYTES ? (uint16_t)lens[i] : 0;
		bytes = lens[i];
		last = r->seg;
	}
	if (n_covered)
		*n_covered = i;
	return nr;
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

union gso_cmsg {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(uint16_t))];
};

/*
 * A GSO message the kernel refused with EINVAL or EIO: its datagrams one by one. If any of
 * them goes, the kernel refused the segmentation, not the datagrams: GSO off. Returns the
 * datagrams handled (all of the run unless the socket filled up) or a stopping -errno.
 */
static int run_alone(int fd, struct fzgw_udp_gso *g, int gso_err, uint8_t *const *bufs,
		     const size_t *lens, const union fzgw_sockaddr *dsts, size_t n,
		     struct fzgw_udp_tx_result *res)
{
	size_t refused = 0;
	int r = fzgw_udp_send_batch(fd, bufs, lens, dsts, n, &refused);

	res->refused += refused;
	if (r > 0 && refused < (size_t)r) {
		g->on = false;
		g->off_err = -gso_err;
		res->turned_off = -gso_err;
	}
	return r;
}

int fzgw_udp_send_gso(int fd, struct fzgw_udp_gso *g, uint8_t *const *bufs, const size_t *lens,
		      const union fzgw_sockaddr *dsts, size_t n, struct fzgw_udp_tx_result *res)
{
	struct fzgw_udp_run runs[FZGW_UDP_BATCH_MAX];
	struct mmsghdr msgs[FZGW_UDP_BATCH_MAX];
	struct iovec iov[FZGW_UDP_BATCH_MAX];
	union gso_cmsg ctl[FZGW_UDP_BATCH_MAX];
	struct fzgw_udp_tx_result local;
	size_t done = 0, covered, nr, k, off;
	int err = 0;
	int r;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (n > INT_MAX)
		n = INT_MAX;
	while (done < n && g->on && !err) {
		size_t chunk = n - done < FZGW_UDP_BATCH_MAX ? n - done : FZGW_UDP_BATCH_MAX;

		nr = fzgw_udp_gso_plan(lens + done, dsts + done, chunk, runs, FZGW_UDP_BATCH_MAX,
				       &covered);
		memset(msgs, 0, nr * sizeof(msgs[0]));
		for (k = 0; k < nr; k++) {
			struct msghdr *m = &msgs[k].msg_hdr;
			size_t first = done + runs[k].first;

			for (size_t j = 0; j < runs[k].n; j++) {
				/* sendmsg() takes a non-const buffer it never writes to */
				iov[runs[k].first + j].iov_base = bufs[first + j];
				iov[runs[k].first + j].iov_len = lens[first + j];
			}
			m->msg_iov = &iov[runs[k].first];
			m->msg_iovlen = runs[k].n;
			m->msg_name = (void *)&dsts[first];
			m->msg_namelen = sockaddr_len(&dsts[first]);
			if (runs[k].n > 1) {
				struct cmsghdr *c;

				memset(&ctl[k], 0, sizeof(ctl[k]));
				m->msg_control = ctl[k].buf;
				m->msg_controllen = sizeof(ctl[k].buf);
				c = CMSG_FIRSTHDR(m);
				c->cmsg_level = SOL_UDP;
				c->cmsg_type = UDP_SEGMENT;
				c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
				memcpy(CMSG_DATA(c), &runs[k].seg, sizeof(uint16_t));
			}
		}
		/* sendmmsg() stops at the first message that fails and reports those before it */
		for (off = 0; off < nr && g->on;) {
			size_t first = done + runs[off].first;

			r = sendmmsg(fd, msgs + off, (unsigned int)(nr - off), MSG_DONTWAIT);
			if (r > 0) {
				for (k = off; k < off + (size_t)r; k++) {
					if (runs[k].n > 1) {
						res->gso_msgs++;
						res->gso_segs += runs[k].n;
					}
				}
				off += (size_t)r;
				continue;
			}
			if (r < 0 && errno == EINTR)
				continue;
			err = r == 0 ? -EAGAIN : -errno;
			if (udp_stops(err))
				break;
			if (runs[off].n > 1 && (err == -EINVAL || err == -EIO)) {
				r = run_alone(fd, g, err, bufs + first, lens + first, dsts + first,
					      runs[off].n, res);
				if (r < (int)runs[off].n) {
					/* the socket filled up (or failed) inside the run */
					err = r < 0 ? r : -EAGAIN;
					done = first + (r > 0 ? (size_t)r : 0);
					goto out;
				}
			} else {
				res->refused += runs[off].n;
			}
			err = 0;
			off++;
		}
		done += off < nr ? runs[off].first : covered;
	}
	if (!err && done < n) {
		/* GSO off (before or during this call): the rest one by one */
		size_t refused = 0;

		r = fzgw_udp_send_batch(fd, bufs + done, lens + done, dsts + done, n - done, &refused);
		res->refused += refused;
		if (r < 0)
			err = r;
		else
			done += (size_t)r;
	}
out:
	if (done == 0 && err)
		return err;
	return (int)done;
}
