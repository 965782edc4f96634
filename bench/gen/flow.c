/* SPDX-License-Identifier: Apache-2.0 */
/* fzgw_gen: one measured step. client -> site: packets encrypted before the step, sent once
 * each at a paced rate, counted by a sink thread on the site socket. site -> client: plain UDP
 * from the site socket to each session's address as the site sees it, counted (and a sample
 * decrypted) by a receiver thread on the client socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gen.h"

enum { RX_BATCH = 64, RX_BUF = 2048 };

/* ---- the receiving side of a step (a thread) */

struct rx_ctx {
	struct gen_flow_cfg *cfg;
	struct gen_step *st;
	int fd;
	bool site; /* the sink (payloads in clear) or the client socket (WireGuard data) */
	atomic_bool stop;
	uint64_t *last;  /* per session: the highest sequence (site) or counter (client) + 1 */
	_Atomic uint64_t recv; /* read by the main thread while the step drains */
	uint64_t bytes, reordered, stale, auth_ok, auth_fail, sampled, flushed;
	uint32_t ovfl0, ovfl1;
	bool ovfl_seen;
};

static void rx_count(struct rx_ctx *c, uint32_t session, uint64_t order)
{
	uint64_t *l = &c->last[session];

	if (order + 1 <= *l)
		c->reordered++;
	else
		*l = order + 1;
	atomic_fetch_add_explicit(&c->recv, 1, memory_order_relaxed);
	c->bytes += c->st->size;
}

static void rx_site(struct rx_ctx *c, const uint8_t *pay, size_t len)
{
	uint32_t step, session, seq;

	if (gen_payload_read(pay, len, &step, &session, &seq) || session >= c->cfg->set->n)
		return;
	if (step != c->st->id || len + GEN_IP_UDP != c->st->size) {
		c->stale++;
		return;
	}
	rx_count(c, session, seq);
}

static void rx_client(struct rx_ctx *c, uint8_t *buf, size_t len, const struct sockaddr_in *from)
{
	struct gen_session *s;
	uint64_t ctr;

	if (gen_rx_data(c->cfg->set, buf, len, c->st->size, &s, &ctr)) {
		c->stale++;
		return;
	}
	rx_count(c, s->id, ctr);
	if (c->cfg->auth_every && c->sampled++ % c->cfg->auth_every == 0) {
		struct fzgw_wg_endpoint src = { .len = sizeof(*from) };
		struct fzgw_wg_peer *peer;
		size_t off, plen;
		uint32_t step, session, seq;

		memcpy(&src.in4, from, sizeof(*from));
		if (fzgw_wg_receive(s->wg, &src, buf, len, &peer, &off, &plen) == FZGW_WG_RX_DATA &&
		    plen == c->st->size &&
		    !gen_payload_read(buf + off + GEN_IP_UDP, plen - GEN_IP_UDP, &step, &session,
				      &seq) &&
		    step == c->st->id && session == s->id)
			c->auth_ok++;
		else
			c->auth_fail++;
	}
}

static void *rx_thread(void *arg)
{
	static uint8_t bufs[2][RX_BATCH][RX_BUF];
	struct rx_ctx *c = arg;
	uint8_t (*b)[RX_BUF] = bufs[c->site];
	struct mmsghdr msg[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct sockaddr_in from[RX_BATCH];
	union {
		char b[CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} ctl[RX_BATCH];
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		int n;

		memset(msg, 0, sizeof(msg));
		for (int i = 0; i < RX_BATCH; i++) {
			iov[i].iov_base = b[i];
			iov[i].iov_len = RX_BUF;
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &from[i];
			msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
			msg[i].msg_hdr.msg_control = ctl[i].b;
			msg[i].msg_hdr.msg_controllen = sizeof(ctl[i].b);
		}
		n = recvmmsg(c->fd, msg, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			poll(&pfd, 1, 5);
			continue;
		}
		for (int i = 0; i < n; i++) {
			struct cmsghdr *cm = CMSG_FIRSTHDR(&msg[i].msg_hdr);

			if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
				memcpy(&c->ovfl1, CMSG_DATA(cm), sizeof(c->ovfl1));
				if (!c->ovfl_seen)
					c->ovfl0 = c->ovfl1;
				c->ovfl_seen = true;
			}
			if (c->site)
				rx_site(c, b[i] , msg[i].msg_len);
			else
				rx_client(c, b[i], msg[i].msg_len, &from[i]);
		}
	}
	return NULL;
}

/* what an earlier step left queued (late packets) is read and dropped before this one */
static void rx_flush(struct rx_ctx *c)
{
	static uint8_t buf[RX_BUF];

	for (int quiet = 0; quiet < 2;) {
		if (recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0) {
			c->flushed++;
			quiet = 0;
			continue;
		}
		quiet++;
		gen_sleep_ns(20000000);
	}
}

static int rx_start(struct rx_ctx *c, pthread_t *th)
{
	rx_flush(c);
	c->last = calloc(c->cfg->set->n, sizeof(*c->last));
	if (!c->last)
		return -ENOMEM;
	atomic_store(&c->stop, false);
	if (pthread_create(th, NULL, rx_thread, c)) {
		free(c->last);
		return -EAGAIN;
	}
	return 0;
}

/* waits for the stragglers: until all arrived, or nothing came for @quiet_s (at most 3 s) */
static void rx_drain(struct rx_ctx *c, struct gen_step *st, double quiet_s)
{
	uint64_t end = gen_now_ns() + 3000000000ull, quiet = (uint64_t)(quiet_s * 1e9);
	uint64_t last = atomic_load(&c->recv), since = gen_now_ns();

	while (last < st->sent && gen_now_ns() < end) {
		uint64_t now;

		gen_sleep_ns(20000000);
		now = gen_now_ns();
		if (atomic_load(&c->recv) != last) {
			last = atomic_load(&c->recv);
			since = now;
		} else if (now - since >= quiet) {
			break;
		}
	}
}

static void rx_stop(struct rx_ctx *c, pthread_t th, struct gen_step *st)
{
	atomic_store(&c->stop, true);
	pthread_join(th, NULL);
	st->recv = atomic_load(&c->recv);
	st->flushed = c->flushed;
	st->bytes = c->bytes;
	st->reordered = c->reordered;
	st->stale = c->stale;
	st->auth_ok = c->auth_ok;
	st->auth_fail = c->auth_fail;
	/* SO_RXQ_OVFL is the socket's running count: what rose while the step ran (the first
	 * datagram's value is the base, drops before it are missed: the queue was empty) */
	st->rxq_drops = c->ovfl_seen ? c->ovfl1 - c->ovfl0 : 0;
	free(c->last);
}

/* ---- paced sending */

typedef void (*fill_fn)(void *user, uint64_t k, struct mmsghdr *m);

/* Sends @count datagrams at @rate per second from @fd; @fill sets up message k. */
static uint64_t send_paced(int fd, uint64_t count, double rate, double pace_us, fill_fn fill,
			   void *user, struct gen_step *st)
{
	struct mmsghdr msg[GEN_BATCH];
	uint64_t k = 0, t0 = gen_now_ns();
	size_t per = (size_t)(rate * pace_us / 1e6); /* a batch is pace_us of the rate at most */

	if (per < 1)
		per = 1;
	if (per > GEN_BATCH)
		per = GEN_BATCH;
	while (k < count) {
		size_t b = count - k < per ? (size_t)(count - k) : per;
		uint64_t due_ns = t0 + (uint64_t)((double)(k + b - 1) * 1e9 / rate), now = gen_now_ns();
		int n;

		if (due_ns > now + 5000) {
			/* sleep, never spin: on a small machine a spinning generator takes the
			 * gateway's core (the timer slack is 1 ns, see main) */
			gen_sleep_ns(due_ns - now);
			continue;
		}
		memset(msg, 0, sizeof(msg));
		for (size_t i = 0; i < b; i++)
			fill(user, k + i, &msg[i]);
		n = sendmmsg(fd, msg, (unsigned)b, 0);
		if (n < 0) {
			st->tx_errors++;
			k++; /* this one is not sent: not counted as sent either */
			continue;
		}
		k += (uint64_t)n;
		st->sent += (uint64_t)n;
	}
	st->wall_s = (double)(gen_now_ns() - t0) / 1e9;
	return k;
}

/* ---- client -> site */

struct c2s_buf {
	uint8_t *data;
	size_t cap, stride;
	uint16_t *len;
	uint32_t *sess;
	size_t count_cap;
	struct iovec iov[GEN_BATCH];
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl[GEN_BATCH];
	struct gen_sessions *set;
};

/* One measured step: the receiver started, @count datagrams sent from @fd at the step's rate
 * (filled by @fill), the receiver drained and stopped; CPU and drop counters around it. */
static int run_step(struct gen_flow_cfg *cfg, struct gen_step *st, struct rx_ctx *rx, int fd,
		    uint64_t count, fill_fn fill, void *user)
{
	uint16_t port = ntohs(cfg->set->gw.in4.sin_port);
	pthread_t th;
	double gw0, me0;
	int ret = rx_start(rx, &th);

	if (ret)
		return ret;
	gw0 = gen_proc_cpu_s(cfg->gw_pid);
	me0 = gen_self_cpu_s();
	st->gw_udp_drops = gen_proc_udp_drops(cfg->gw_pid, port);
	st->softnet_drops = gen_softnet_drops();
	send_paced(fd, count, st->rate, cfg->pace_us, fill, user, st);
	st->offered = st->wall_s > 0 ? (double)st->sent / st->wall_s : 0;
	rx_drain(rx, st, cfg->drain_s);
	rx_stop(rx, th, st);
	st->gw_cpu_s = cfg->gw_pid > 0 ? gen_proc_cpu_s(cfg->gw_pid) - gw0 : -1;
	st->gen_cpu_s = gen_self_cpu_s() - me0;
	st->gw_udp_drops = gen_proc_udp_drops(cfg->gw_pid, port) - st->gw_udp_drops;
	st->softnet_drops = gen_softnet_drops() - st->softnet_drops;
	return 0;
}

static struct c2s_buf g_c2s;

static void c2s_fill(void *user, uint64_t k, struct mmsghdr *m)
{
	struct c2s_buf *b = user;
	size_t i = (size_t)(k % GEN_BATCH);
	struct gen_sessions *set = b->set;

	b->iov[i].iov_base = b->data + k * b->stride;
	b->iov[i].iov_len = b->len[k];
	m->msg_hdr.msg_iov = &b->iov[i];
	m->msg_hdr.msg_iovlen = 1;
	m->msg_hdr.msg_name = &set->gw.in4;
	m->msg_hdr.msg_namelen = sizeof(set->gw.in4);
	if (set->pktinfo) {
		struct in_pktinfo pi = { .ipi_spec_dst = set->s[b->sess[k]].src };
		struct cmsghdr *cm;

		memset(&b->ctl[i], 0, sizeof(b->ctl[i]));
		m->msg_hdr.msg_control = b->ctl[i].b;
		m->msg_hdr.msg_controllen = sizeof(b->ctl[i].b);
		cm = CMSG_FIRSTHDR(&m->msg_hdr);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
}

static size_t ready_list(struct gen_sessions *set, uint32_t **out)
{
	size_t n = 0;

	*out = malloc(set->n * sizeof(**out));
	if (!*out)
		return 0;
	for (size_t i = 0; i < set->n; i++)
		if (set->s[i].ready)
			(*out)[n++] = (uint32_t)i;
	return n;
}

int gen_flow_c2s(struct gen_flow_cfg *cfg, struct gen_step *st)
{
	struct c2s_buf *b = &g_c2s;
	struct gen_sessions *set = cfg->set;
	uint32_t *ready;
	size_t nready = ready_list(set, &ready);
	uint64_t count, t0;
	struct rx_ctx rx = { .cfg = cfg, .st = st, .fd = cfg->site_fd, .site = true };
	int ret = 0;

	if (!nready) {
		free(ready);
		return -ENOTCONN;
	}
	b->set = set;
	b->stride = (FZGW_WG_HEADROOM + st->size + FZGW_WG_TAILROOM + 63) & ~(size_t)63;
	count = (uint64_t)(st->rate * st->secs);
	if (count * b->stride > cfg->mem_cap)
		count = cfg->mem_cap / b->stride;
	if (count < 1)
		count = 1;
	st->secs = (double)count / st->rate;
	if (count * b->stride > b->cap || count > b->count_cap) {
		free(b->data);
		free(b->len);
		free(b->sess);
		b->cap = count * b->stride;
		b->count_cap = count;
		b->data = malloc(b->cap);
		b->len = malloc(count * sizeof(*b->len));
		b->sess = malloc(count * sizeof(*b->sess));
		if (!b->data || !b->len || !b->sess) {
			b->cap = b->count_cap = 0;
			free(ready);
			return -ENOMEM;
		}
	}
	/* every packet encrypted now: the step only sends */
	t0 = gen_now_ns();
	for (uint64_t k = 0; k < count; k++) {
		struct gen_session *s = &set->s[ready[k % nready]];
		uint8_t *p = b->data + k * b->stride;
		const struct fzgw_wg_endpoint *ep;
		size_t out;

		gen_ip_udp(p + FZGW_WG_HEADROOM, st->size, s->tun, s->sport, cfg->sink.sin_addr,
			   ntohs(cfg->sink.sin_port));
		memset(p + FZGW_WG_HEADROOM + GEN_IP_UDP, 0, st->size - GEN_IP_UDP);
		gen_payload(p + FZGW_WG_HEADROOM + GEN_IP_UDP, st->id, s->id, (uint32_t)(k / nready));
		ret = fzgw_wg_encrypt(s->wg, s->peer, p, st->size, b->stride, GEN_MAX_SIZE, &out, &ep);
		if (ret) {
			fprintf(stderr, "fzgw_gen: session %u cannot encrypt: %s\n", s->id,
				strerror(-ret));
			free(ready);
			return ret;
		}
		b->len[k] = (uint16_t)out;
		b->sess[k] = s->id;
	}
	st->prep_s = (double)(gen_now_ns() - t0) / 1e9;
	free(ready);
	return run_step(cfg, st, &rx, set->fd, count, c2s_fill, b);
}

/* ---- priming: one packet per session to the sink, so the site learns where to send */

int gen_flow_prime(struct gen_flow_cfg *cfg)
{
	struct gen_sessions *set = cfg->set;
	static uint8_t buf[RX_BUF];

	if (!cfg->dest) {
		cfg->dest = calloc(set->n, sizeof(*cfg->dest));
		if (!cfg->dest)
			return -ENOMEM;
	}
	for (int round = 0; round < 3; round++) {
		uint64_t quiet;

		for (size_t i = 0; i < set->n; i++) {
			struct gen_session *s = &set->s[i];
			uint8_t pkt[FZGW_WG_HEADROOM + GEN_MIN_SIZE + FZGW_WG_TAILROOM];
			const struct fzgw_wg_endpoint *ep;
			size_t out;

			if (!s->ready || cfg->dest[i].sin_family)
				continue;
			gen_ip_udp(pkt + FZGW_WG_HEADROOM, GEN_MIN_SIZE, s->tun, s->sport,
				   cfg->sink.sin_addr, ntohs(cfg->sink.sin_port));
			gen_payload(pkt + FZGW_WG_HEADROOM + GEN_IP_UDP, GEN_PRIME_STEP, s->id, 0);
			if (fzgw_wg_encrypt(s->wg, s->peer, pkt, GEN_MIN_SIZE, sizeof(pkt),
					    GEN_MAX_SIZE, &out, &ep) == 0)
				gen_session_send(s, pkt, out);
			if (i % 256 == 255)
				gen_sleep_ns(1000000); /* no burst past the queues */
		}
		quiet = gen_now_ns() + 500000000ull;
		while (gen_now_ns() < quiet) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			struct pollfd pfd = { .fd = cfg->site_fd, .events = POLLIN };
			uint32_t step, session, seq;
			ssize_t n;

			if (poll(&pfd, 1, 50) <= 0)
				continue;
			n = recvfrom(cfg->site_fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
				     &fl);
			if (n <= 0 || gen_payload_read(buf, (size_t)n, &step, &session, &seq) ||
			    step != GEN_PRIME_STEP || session >= set->n)
				continue;
			if (!cfg->dest[session].sin_family)
				cfg->primed++;
			cfg->dest[session] = from;
			quiet = gen_now_ns() + 300000000ull;
		}
		size_t want = 0;

		for (size_t i = 0; i < set->n; i++)
			want += set->s[i].ready;
		if (cfg->primed >= want)
			break;
	}
	return cfg->primed ? 0 : -ENOTCONN;
}

/* ---- site -> client */

struct s2c_buf {
	struct gen_flow_cfg *cfg;
	struct gen_step *st;
	uint32_t *primed;
	size_t nprimed;
	uint8_t pay[GEN_BATCH][GEN_MAX_SIZE];
	struct iovec iov[GEN_BATCH];
};

static struct s2c_buf g_s2c;

static void s2c_fill(void *user, uint64_t k, struct mmsghdr *m)
{
	struct s2c_buf *b = user;
	size_t i = (size_t)(k % GEN_BATCH);
	uint32_t session = b->primed[k % b->nprimed];

	gen_payload(b->pay[i], b->st->id, session, (uint32_t)(k / b->nprimed));
	b->iov[i].iov_base = b->pay[i];
	b->iov[i].iov_len = b->st->size - GEN_IP_UDP;
	m->msg_hdr.msg_iov = &b->iov[i];
	m->msg_hdr.msg_iovlen = 1;
	m->msg_hdr.msg_name = &b->cfg->dest[session];
	m->msg_hdr.msg_namelen = sizeof(b->cfg->dest[session]);
}

int gen_flow_s2c(struct gen_flow_cfg *cfg, struct gen_step *st)
{
	struct s2c_buf *b = &g_s2c;
	struct rx_ctx rx = { .cfg = cfg, .st = st, .fd = cfg->set->fd, .site = false };
	uint64_t count = (uint64_t)(st->rate * st->secs);
	int ret;

	if (!cfg->dest || !cfg->primed)
		return -ENOTCONN;
	memset(b->pay, 0, sizeof(b->pay));
	b->cfg = cfg;
	b->st = st;
	b->nprimed = 0;
	b->primed = malloc(cfg->set->n * sizeof(*b->primed));
	if (!b->primed)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->set->n; i++)
		if (cfg->dest[i].sin_family)
			b->primed[b->nprimed++] = (uint32_t)i;
	if (count < 1)
		count = 1;
	ret = run_step(cfg, st, &rx, cfg->site_fd, count, s2c_fill, b);
	free(b->primed);
	return ret;
}
