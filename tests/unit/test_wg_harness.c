/* SPDX-License-Identifier: Apache-2.0 */
/* Fake clock, randomness and network for the WireGuard engine tests; #included by them. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "splitmix.h"
#include "wg.h"

#define WGT_UNUSED __attribute__((unused))
#define WGT_NSEC 1000000000ull
#define WGT_MSEC 1000000ull
#define WGT_MAX_NODES 4
#define WGT_MAX_QUEUE 512
#define WGT_MAX_LOG 1024

struct wgt_world;

struct wgt_pkt {
	struct fzgw_wg_endpoint src, dst;
	size_t len;
	uint8_t buf[2048];
};

struct wgt_log {
	uint64_t at;
	int node;
	uint8_t type;
	size_t len;
	struct fzgw_wg_endpoint dst;
};

struct wgt_node {
	struct wgt_world *world;
	int id;
	struct fzgw_wg *wg;
	struct fzgw_wg_endpoint ep;
	uint8_t priv[32], pub[32];
	unsigned int ready;
	unsigned int failed;
	unsigned int zeroed;
	unsigned int endpoint_changed;
	/* Packets to send once a session is ready (the daemon's queue). */
	struct fzgw_wg_peer *queue_peer;
	size_t queued;
	uint8_t queue[4][256];
	size_t queue_len[4];
	/* Last IP packet received. */
	unsigned int rx_data;
	uint8_t rx_buf[2048];
	size_t rx_len;
	struct fzgw_wg_peer *rx_peer;
	int last_rc;
};

struct wgt_world {
	uint64_t now;
	uint64_t wall_base;
	uint64_t rng;
	struct wgt_node nodes[WGT_MAX_NODES];
	int nnodes;
	struct wgt_pkt queue[WGT_MAX_QUEUE];
	size_t qhead, qlen;
	bool drop;              /* lose every datagram sent */
	struct wgt_log log[WGT_MAX_LOG];
	size_t nlog;
};

static uint64_t wgt_now(void *user)
{
	struct wgt_node *n = user;

	return n->world->now;
}

static void wgt_wall(void *user, struct timespec *ts)
{
	struct wgt_node *n = user;
	uint64_t t = n->world->wall_base + n->world->now;

	ts->tv_sec = (time_t)(t / WGT_NSEC);
	ts->tv_nsec = (long)(t % WGT_NSEC);
}

/* splitmix64 (splitmix.h): deterministic, so every run sees the same keys and jitter. */
static void wgt_random(void *user, void *buf, size_t n)
{
	struct wgt_node *node = user;

	fzgw_splitmix_fill(&node->world->rng, buf, n);
}

static void wgt_send(void *user, struct fzgw_wg_peer *peer,
		     const struct fzgw_wg_endpoint *ep, const uint8_t *buf,
		     size_t len)
{
	struct wgt_node *n = user;
	struct wgt_world *w = n->world;
	struct wgt_pkt *p;

	if (w->nlog < WGT_MAX_LOG) {
		struct wgt_log *l = &w->log[w->nlog++];

		l->at = w->now;
		l->node = n->id;
		l->type = buf[0];
		l->len = len;
		l->dst = *ep;
	}
	if (w->drop || w->qlen == WGT_MAX_QUEUE || len > sizeof(p->buf))
		return;
	p = &w->queue[(w->qhead + w->qlen++) % WGT_MAX_QUEUE];
	p->src = n->ep;
	p->dst = *ep;
	p->len = len;
	memcpy(p->buf, buf, len);
}

static int wgt_encrypt_send(struct wgt_node *n, struct fzgw_wg_peer *peer,
			    const uint8_t *ip, size_t len);

static void wgt_event(void *user, struct fzgw_wg_peer *peer,
		      enum fzgw_wg_event ev)
{
	struct wgt_node *n = user;
	size_t i;

	switch (ev) {
	case FZGW_WG_EV_SESSION_READY:
		n->ready++;
		/* Flush the queue from inside the callback, as a daemon would. */
		if (peer == n->queue_peer) {
			for (i = 0; i < n->queued; i++)
				assert_int_equal(wgt_encrypt_send(n, peer,
								  n->queue[i],
								  n->queue_len[i]),
						 0);
			n->queued = 0;
		}
		break;
	case FZGW_WG_EV_HANDSHAKE_FAILED:
		n->failed++;
		break;
	case FZGW_WG_EV_KEYS_ZEROED:
		n->zeroed++;
		break;
	case FZGW_WG_EV_ENDPOINT_CHANGED:
		n->endpoint_changed++;
		break;
	}
}

static WGT_UNUSED void wgt_endpoint4(struct fzgw_wg_endpoint *ep,
				     const char *ip, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->in4.sin_family = AF_INET;
	ep->in4.sin_port = htons(port);
	inet_pton(AF_INET, ip, &ep->in4.sin_addr);
	ep->len = sizeof(ep->in4);
}

static WGT_UNUSED void wgt_endpoint6(struct fzgw_wg_endpoint *ep,
				     const char *ip, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->in6.sin6_family = AF_INET6;
	ep->in6.sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &ep->in6.sin6_addr);
	ep->len = sizeof(ep->in6);
}

static bool wgt_ep_equal(const struct fzgw_wg_endpoint *a,
			 const struct fzgw_wg_endpoint *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in4.sin_port == b->in4.sin_port &&
		       a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	return a->in6.sin6_port == b->in6.sin6_port &&
	       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16);
}

static WGT_UNUSED void wgt_world_init(struct wgt_world *w, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	w->rng = seed;
	w->now = 1000 * WGT_NSEC;
	w->wall_base = 1700000000ull * WGT_NSEC;
}

static WGT_UNUSED struct wgt_node *wgt_node_add(struct wgt_world *w,
						const char *ip, uint16_t port)
{
	struct wgt_node *n = &w->nodes[w->nnodes];
	struct fzgw_wg_ops ops = {
		.user = n,
		.now_ns = wgt_now,
		.wall = wgt_wall,
		.random = wgt_random,
		.send = wgt_send,
		.event = wgt_event,
	};

	assert_true(w->nnodes < WGT_MAX_NODES);
	n->world = w;
	n->id = w->nnodes++;
	wgt_endpoint4(&n->ep, ip, port);
	wgt_random(n, n->priv, sizeof(n->priv));
	assert_int_equal(fzgw_wg_new(&n->wg, n->priv, &ops), 0);
	assert_int_equal(fzgw_wg_public_key(n->wg, n->pub), 0);
	return n;
}

static WGT_UNUSED void wgt_world_free(struct wgt_world *w)
{
	for (int i = 0; i < w->nnodes; i++)
		w->nodes[i].wg = fzgw_wg_free(w->nodes[i].wg);
}

/* Makes @a and @b peers of each other; @a knows @b's endpoint. */
static WGT_UNUSED void wgt_pair(struct wgt_node *a, struct wgt_node *b,
				const uint8_t *psk, struct fzgw_wg_peer **pa,
				struct fzgw_wg_peer **pb)
{
	assert_int_equal(fzgw_wg_peer_add(a->wg, b->pub, psk, b, pa), 0);
	assert_int_equal(fzgw_wg_peer_add(b->wg, a->pub, psk, a, pb), 0);
	assert_int_equal(fzgw_wg_peer_set_endpoint(*pa, &b->ep), 0);
}

static struct wgt_node *wgt_node_at(struct wgt_world *w,
				    const struct fzgw_wg_endpoint *ep)
{
	for (int i = 0; i < w->nnodes; i++)
		if (wgt_ep_equal(&w->nodes[i].ep, ep))
			return &w->nodes[i];
	return NULL;
}

/* Delivers one queued datagram; false if the queue was empty. */
static WGT_UNUSED bool wgt_step(struct wgt_world *w)
{
	struct wgt_pkt p;
	struct wgt_node *n;
	struct fzgw_wg_peer *peer;
	size_t off, plen;

	if (!w->qlen)
		return false;
	p = w->queue[w->qhead];
	w->qhead = (w->qhead + 1) % WGT_MAX_QUEUE;
	w->qlen--;
	n = wgt_node_at(w, &p.dst);
	if (!n)
		return true;
	n->last_rc = fzgw_wg_receive(n->wg, &p.src, p.buf, p.len, &peer, &off,
				     &plen);
	if (n->last_rc == FZGW_WG_RX_DATA) {
		n->rx_data++;
		n->rx_peer = peer;
		n->rx_len = plen;
		memcpy(n->rx_buf, p.buf + off, plen);
	}
	return true;
}

static WGT_UNUSED void wgt_run(struct wgt_world *w)
{
	while (wgt_step(w))
		;
}

static WGT_UNUSED void wgt_clear_queue(struct wgt_world *w)
{
	w->qhead = 0;
	w->qlen = 0;
}

/* Advances the fake clock in @step_ns ticks up to @until, ticking every
 * device and delivering what they send. */
static WGT_UNUSED void wgt_advance(struct wgt_world *w, uint64_t delta_ns,
				   uint64_t step_ns)
{
	uint64_t until = w->now + delta_ns;

	while (w->now < until) {
		w->now += step_ns;
		if (w->now > until)
			w->now = until;
		for (int i = 0; i < w->nnodes; i++)
			fzgw_wg_tick(w->nodes[i].wg);
		wgt_run(w);
	}
}

/* A minimal IPv4/ICMP echo packet of @len bytes (>= 28). */
static WGT_UNUSED size_t wgt_make_ip(uint8_t *p, size_t len, uint8_t tag)
{
	memset(p, tag, len);
	p[0] = 0x45;
	p[1] = 0;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[9] = 1;
	return len;
}

static int wgt_encrypt_send(struct wgt_node *n, struct fzgw_wg_peer *peer,
			    const uint8_t *ip, size_t len)
{
	uint8_t buf[2048];
	const struct fzgw_wg_endpoint *ep;
	size_t out_len;
	int ret;

	memcpy(buf + FZGW_WG_HEADROOM, ip, len);
	ret = fzgw_wg_encrypt(n->wg, peer, buf, len, sizeof(buf), 1420,
			      &out_len, &ep);
	if (ret)
		return ret;
	wgt_send(n, peer, ep, buf, out_len);
	return 0;
}

/* Sends an IP packet, queueing it until the session is ready if needed. */
static WGT_UNUSED int wgt_send_ip(struct wgt_node *n, struct fzgw_wg_peer *peer,
				  const uint8_t *ip, size_t len)
{
	int ret = wgt_encrypt_send(n, peer, ip, len);

	if (ret == -ENOKEY && n->queued < 4) {
		n->queue_peer = peer;
		memcpy(n->queue[n->queued], ip, len);
		n->queue_len[n->queued++] = len;
	}
	return ret;
}

static WGT_UNUSED size_t wgt_count_sent(const struct wgt_world *w, int node,
					uint8_t type, uint64_t from,
					uint64_t to)
{
	size_t c = 0;

	for (size_t i = 0; i < w->nlog; i++)
		if ((node < 0 || w->log[i].node == node) &&
		    w->log[i].type == type && w->log[i].at >= from &&
		    w->log[i].at < to)
			c++;
	return c;
}

static WGT_UNUSED void wgt_hex(uint8_t *out, const char *hex, size_t n)
{
	size_t bin_len;

	assert_int_equal(sodium_hex2bin(out, n, hex, strlen(hex), NULL,
					&bin_len, NULL),
			 0);
	assert_int_equal(bin_len, n);
}
