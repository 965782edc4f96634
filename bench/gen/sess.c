/* SPDX-License-Identifier: Apache-2.0 */
/* fzgw_gen: the client identities, one WireGuard engine device each, and their handshakes. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "gen.h"

enum { RX_BATCH = 64, RX_BUF = 2048 };

static uint64_t sess_now(void *user)
{
	struct gen_session *s = user;

	return gen_now_ns() + s->skew_ns;
}


static void sess_send(void *user, struct fzgw_wg_peer *peer, const struct fzgw_wg_endpoint *ep,
		      const uint8_t *buf, size_t len)
{
	struct gen_session *s = user;

	(void)peer;
	(void)ep; /* always the gateway */
	if (len == FZGW_WG_INITIATION_LEN && buf[0] == FZGW_WG_MSG_INITIATION) {
		s->local_index = gen_le32(buf + 4);
		gen_sessions_index(s->set, s->local_index, s->id);
		s->hs_sent++;
	}
	gen_session_send(s, buf, len);
}

static void sess_event(void *user, struct fzgw_wg_peer *peer, enum fzgw_wg_event ev)
{
	struct gen_session *s = user;

	(void)peer;
	if (ev == FZGW_WG_EV_SESSION_READY && !s->ready) {
		s->ready = true;
		s->hs_done = gen_now_ns();
	}
}

int gen_session_send(struct gen_session *s, const uint8_t *buf, size_t len)
{
	struct gen_sessions *set = s->set;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_name = &set->gw.in4, .msg_namelen = sizeof(set->gw.in4),
			     .msg_iov = &iov, .msg_iovlen = 1 };
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} c;

	if (set->pktinfo) {
		struct cmsghdr *cm;
		struct in_pktinfo pi = { .ipi_spec_dst = s->src };

		memset(&c, 0, sizeof(c));
		mh.msg_control = c.b;
		mh.msg_controllen = sizeof(c.b);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	return sendmsg(set->fd, &mh, 0) < 0 ? -errno : 0;
}

/* ---- receiver index -> session: open addressing, stale entries checked on lookup */

static size_t map_slot(uint32_t key, size_t mask)
{
	return (size_t)(key * 2654435761u) & mask;
}

void gen_sessions_index(struct gen_sessions *set, uint32_t key, uint32_t id)
{
	size_t i = map_slot(key, set->map_mask), used = 0;

	/* two words a slot: key, id + 1 */
	for (;;) {
		uint32_t *e = &set->map[2 * i];

		if (!e[1] || e[0] == key) {
			e[0] = key;
			e[1] = id + 1;
			return;
		}
		/* a slot whose session moved to another index is free again */
		if (set->s[e[1] - 1].local_index != e[0]) {
			e[0] = key;
			e[1] = id + 1;
			return;
		}
		i = (i + 1) & set->map_mask;
		if (++used > set->map_mask) /* cannot happen: 4 slots per session */
			return;
	}
}

struct gen_session *gen_sessions_for(struct gen_sessions *set, const uint8_t *buf, size_t len)
{
	uint32_t key;
	size_t i, n;

	if (len < 16)
		return NULL;
	switch (buf[0]) {
	case FZGW_WG_MSG_RESPONSE: key = gen_le32(buf + 8); break;
	case FZGW_WG_MSG_COOKIE:
	case FZGW_WG_MSG_DATA: key = gen_le32(buf + 4); break;
	default: return NULL;
	}
	i = map_slot(key, set->map_mask);
	for (n = 0; n <= set->map_mask; n++, i = (i + 1) & set->map_mask) {
		uint32_t *e = &set->map[2 * i];

		if (!e[1])
			return NULL;
		if (e[0] == key)
			return &set->s[e[1] - 1];
	}
	return NULL;
}

int gen_rx_data(struct gen_sessions *set, const uint8_t *buf, size_t len, size_t size,
		struct gen_session **s, uint64_t *counter)
{
	if (len < FZGW_WG_DATA_MIN_LEN + size || len > FZGW_WG_DATA_MIN_LEN + size + 15 ||
	    buf[0] != FZGW_WG_MSG_DATA)
		return -1;
	*s = gen_sessions_for(set, buf, len);
	if (!*s)
		return -1;
	*counter = (uint64_t)gen_le32(buf + 8) | (uint64_t)gen_le32(buf + 12) << 32;
	return 0;
}

/* ---- loading and opening */

int gen_sessions_load(struct gen_sessions *set, const char *keyfile, size_t max,
		      struct in_addr tnet, struct in_addr src_net, uint32_t src_count)
{
	FILE *f = fopen(keyfile, "r");
	char line[256], key[64];
	size_t cap = 0;
	unsigned idx;

	memset(set, 0, sizeof(*set));
	set->fd = -1;
	if (!f)
		return -errno;
	while (set->n < max && fgets(line, sizeof(line), f)) {
		struct gen_session *s;

		if (sscanf(line, "%u %63s", &idx, key) != 2 || idx > 1u << 20)
			continue;
		if (set->n == cap) {
			void *p;

			cap = cap ? 2 * cap : 256;
			p = realloc(set->s, cap * sizeof(*set->s));
			if (p)
				set->s = p;
			p = p ? realloc(set->keys, cap * sizeof(*set->keys)) : NULL;
			if (!p) {
				fclose(f);
				return -ENOMEM;
			}
			set->keys = p;
		}
		s = &set->s[set->n];
		memset(s, 0, sizeof(*s));
		s->id = (uint32_t)set->n;
		s->tun.s_addr = htonl(ntohl(tnet.s_addr) + 2 + idx);
		s->src.s_addr = src_count ? htonl(ntohl(src_net.s_addr) + s->id % src_count) : 0;
		s->sport = (uint16_t)(20000 + s->id % 40000);
		if (gen_parse_key(key, set->keys[set->n])) {
			fprintf(stderr, "fzgw_gen: %s: a key that is not base64 of 32 bytes\n",
				keyfile);
			fclose(f);
			return -EINVAL;
		}
		set->n++;
	}
	fclose(f);
	sodium_memzero(line, sizeof(line));
	sodium_memzero(key, sizeof(key));
	set->pktinfo = src_count > 1 || (src_count == 1 && src_net.s_addr);
	return set->n ? 0 : -ENOENT;
}

int gen_sessions_open(struct gen_sessions *set, const struct sockaddr_in *gw,
		      const uint8_t gwpub[32])
{
	struct fzgw_wg_limits lim = { .max_peers = 4, .ratelimiter_entries = 16 };
	int big = 64 << 20, one = 1;
	size_t slots = 4;

	memcpy(set->gwpub, gwpub, 32);
	memset(&set->gw, 0, sizeof(set->gw));
	memcpy(&set->gw.in4, gw, sizeof(*gw));
	set->gw.len = sizeof(*gw);
	while (slots < 4 * set->n)
		slots <<= 1;
	set->map = calloc(slots, 2 * sizeof(uint32_t));
	set->map_mask = slots - 1;
	if (!set->map)
		return -ENOMEM;
	set->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (set->fd < 0)
		return -errno;
	if (setsockopt(set->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(set->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (setsockopt(set->fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(set->fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(set->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	for (size_t i = 0; i < set->n; i++) {
		struct gen_session *s = &set->s[i];
		struct fzgw_wg_ops ops = { .user = s, .now_ns = sess_now, .send = sess_send,
					   .event = sess_event };
		int ret;

		s->set = set;
		ret = fzgw_wg_new(&s->wg, set->keys[i], &ops);
		sodium_memzero(set->keys[i], 32);
		if (ret)
			return ret;
		ret = fzgw_wg_set_limits(s->wg, &lim);
		if (!ret)
			ret = fzgw_wg_peer_add(s->wg, gwpub, NULL, s, &s->peer);
		if (!ret)
			ret = fzgw_wg_peer_set_endpoint(s->peer, &set->gw);
		if (ret)
			return ret;
	}
	return 0;
}

void gen_sessions_free(struct gen_sessions *set)
{
	for (size_t i = 0; i < set->n; i++)
		set->s[i].wg = fzgw_wg_free(set->s[i].wg);
	if (set->keys)
		sodium_memzero(set->keys, set->n * sizeof(*set->keys));
	free(set->keys);
	if (set->fd >= 0)
		close(set->fd);
	free(set->s);
	free(set->map);
	memset(set, 0, sizeof(*set));
	set->fd = -1;
}

/* ---- handshakes */

/* every datagram waiting on the client socket into its device */
static void rx_all(struct gen_sessions *set)
{
	static uint8_t bufs[RX_BATCH][RX_BUF];
	struct mmsghdr msg[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct sockaddr_in from[RX_BATCH];
	int n;

	do {
		memset(msg, 0, sizeof(msg));
		for (int i = 0; i < RX_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = RX_BUF;
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &from[i];
			msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(set->fd, msg, RX_BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			struct gen_session *s = gen_sessions_for(set, bufs[i], msg[i].msg_len);
			struct fzgw_wg_endpoint src = { .len = sizeof(from[i]) };
			struct fzgw_wg_peer *peer;
			size_t off, plen;
			bool cookie = bufs[i][0] == FZGW_WG_MSG_COOKIE;

			if (!s || !s->wg)
				continue;
			memcpy(&src.in4, &from[i], sizeof(from[i]));
			fzgw_wg_receive(s->wg, &src, bufs[i], msg[i].msg_len, &peer, &off, &plen);
			if (cookie && !s->ready) {
				/* the gateway is under load and wants mac2: a real client
				 * retransmits after REKEY_TIMEOUT (5 s + jitter); move this
				 * device's clock there so the retry (with the cookie) goes now */
				set->cookies++;
				s->skew_ns += 5400000000ull;
				fzgw_wg_tick(s->wg);
			}
		}
	} while (n == RX_BATCH);
}

void gen_sessions_handshake(struct gen_sessions *set, bool all, double rate, size_t window,
			    double timeout_s, int gw_pid, struct gen_hs_result *res)
{
	uint32_t *fly = calloc(window ? window : 1, sizeof(*fly));
	size_t nfly = 0, next = 0, started = 0;
	uint64_t t0 = gen_now_ns(), last_tick = 0, tmo = (uint64_t)(timeout_s * 1e9);
	uint64_t first = 0, last = 0, cookies0 = set->cookies;
	double cpu0 = gen_proc_cpu_s(gw_pid);
	struct pollfd pfd = { .fd = set->fd, .events = POLLIN };

	memset(res, 0, sizeof(*res));
	if (!fly)
		return;
	if (!window)
		window = 1;
	rx_all(set); /* whatever came meanwhile (keepalives) */
	for (;;) {
		uint64_t now = gen_now_ns();

		while (nfly < window && next < set->n &&
		       (rate <= 0 || (double)started < 1 + rate * (double)(now - t0) / 1e9)) {
			struct gen_session *s = &set->s[next++];
			int ret;

			if (!all && s->ready)
				continue;
			s->ready = false;
			s->failed = false;
			s->hs_start = now;
			ret = fzgw_wg_initiate(s->wg, s->peer);
			if (ret == -EALREADY) { /* a handshake less than 5 s ago: move its clock */
				s->skew_ns += 5400000000ull;
				ret = fzgw_wg_initiate(s->wg, s->peer);
			}
			if (ret) {
				s->failed = true;
				res->failed++;
				continue;
			}
			fly[nfly++] = s->id;
			started++;
			if (!first)
				first = now;
		}
		if (!nfly && next >= set->n)
			break;
		if (poll(&pfd, 1, 2) > 0)
			rx_all(set);
		now = gen_now_ns();
		bool tick = now - last_tick > 50000000ull;

		if (tick)
			last_tick = now;
		for (size_t i = 0; i < nfly;) {
			struct gen_session *s = &set->s[fly[i]];

			if (s->ready) {
				res->ok++;
				if (s->hs_done > last)
					last = s->hs_done;
			} else if (now - s->hs_start > tmo) {
				s->failed = true;
				res->failed++;
			} else {
				if (tick)
					fzgw_wg_tick(s->wg); /* retransmissions */
				i++;
				continue;
			}
			fly[i] = fly[--nfly];
		}
	}
	free(fly);
	res->secs = last > first ? (double)(last - first) / 1e9 : 0;
	if (gw_pid > 0)
		res->gw_cpu_s = gen_proc_cpu_s(gw_pid) - cpu0;
	res->cookies = set->cookies - cookies0;
}
