/* SPDX-License-Identifier: Apache-2.0 */
/* Interop probe: drives the sans-IO WireGuard engine over a real UDP socket and pings through the tunnel. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "splitmix.h"
#include "wg.h"

/*
 * Initiator mode: send ICMP echo requests from --tunnel-src to --tunnel-dst
 * through the tunnel (the first one starts the handshake) and check every
 * echo reply. Responder mode: wait for the peer's handshake and answer the
 * echo requests it sends to --tunnel-src. --record writes every datagram
 * as hex ("out"/"in" lines); with --seed and --wall the run is
 * deterministic, so a unit test can replay it offline.
 */

struct probe {
	struct fzgw_wg *wg;
	struct fzgw_wg_peer *peer;
	int fd;
	bool initiator;
	struct in_addr tun_src, tun_dst;
	unsigned int count;
	unsigned int replies;
	unsigned int seq_sent;
	bool session;
	bool queued;
	uint64_t rng;
	bool seeded;
	long wall;
	FILE *rec;
	int failed;
};

static uint64_t mono_ns(void *user)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void wall_clock(void *user, struct timespec *ts)
{
	struct probe *p = user;

	if (p->wall) {
		ts->tv_sec = p->wall;
		ts->tv_nsec = 0;
		return;
	}
	clock_gettime(CLOCK_REALTIME, ts);
}

/* splitmix64, for reproducible recordings only */
static void rand_bytes(void *user, void *buf, size_t n)
{
	struct probe *p = user;

	if (!p->seeded) {
		randombytes_buf(buf, n);
		return;
	}
	fzgw_splitmix_fill(&p->rng, buf, n);
}

static void record(struct probe *p, const char *dir, const uint8_t *buf,
		   size_t len)
{
	char hex[2 * 2048 + 1];

	if (!p->rec || len > 2048)
		return;
	sodium_bin2hex(hex, sizeof(hex), buf, len);
	fprintf(p->rec, "%s %s\n", dir, hex);
	fflush(p->rec);
}

static void udp_send(void *user, struct fzgw_wg_peer *peer,
		     const struct fzgw_wg_endpoint *ep, const uint8_t *buf,
		     size_t len)
{
	struct probe *p = user;

	record(p, "out", buf, len);
	if (sendto(p->fd, buf, len, 0, &ep->sa, ep->len) < 0)
		perror("sendto");
}

static uint16_t csum(const uint8_t *b, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

enum { PING_PAYLOAD = 56, PING_LEN = 20 + 8 + PING_PAYLOAD, PING_ID = 0x4657 };

static void build_icmp(uint8_t *ip, struct in_addr src, struct in_addr dst,
		       uint8_t type, uint16_t id, uint16_t seq,
		       const uint8_t *payload)
{
	uint16_t c;

	memset(ip, 0, PING_LEN);
	ip[0] = 0x45;
	ip[2] = PING_LEN >> 8;
	ip[3] = PING_LEN & 0xff;
	ip[4] = (uint8_t)(seq >> 8);
	ip[5] = (uint8_t)seq;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	ip[20] = type;
	ip[24] = (uint8_t)(id >> 8);
	ip[25] = (uint8_t)id;
	ip[26] = (uint8_t)(seq >> 8);
	ip[27] = (uint8_t)seq;
	memcpy(ip + 28, payload, PING_PAYLOAD);
	c = csum(ip + 20, 8 + PING_PAYLOAD);
	ip[22] = (uint8_t)(c >> 8);
	ip[23] = (uint8_t)c;
}

static void ping_payload(uint8_t *out, uint16_t seq)
{
	for (int i = 0; i < PING_PAYLOAD; i++)
		out[i] = (uint8_t)(i + seq);
}

static int send_ip(struct probe *p, const uint8_t *ip, size_t len)
{
	uint8_t buf[FZGW_WG_HEADROOM + 1500 + FZGW_WG_TAILROOM];
	const struct fzgw_wg_endpoint *ep;
	size_t out_len;
	int ret;

	memcpy(buf + FZGW_WG_HEADROOM, ip, len);
	ret = fzgw_wg_encrypt(p->wg, p->peer, buf, len, sizeof(buf), 1420,
			      &out_len, &ep);
	if (ret)
		return ret;
	udp_send(p, p->peer, ep, buf, out_len);
	return 0;
}

static void send_ping(struct probe *p)
{
	uint8_t ip[PING_LEN], payload[PING_PAYLOAD];
	uint16_t seq = (uint16_t)(p->seq_sent + 1);
	int ret;

	ping_payload(payload, seq);
	build_icmp(ip, p->tun_src, p->tun_dst, 8, PING_ID, seq, payload);
	ret = send_ip(p, ip, sizeof(ip));
	if (ret == -ENOKEY) {
		/* Queued: sent again from FZGW_WG_EV_SESSION_READY. */
		p->queued = true;
		return;
	}
	if (ret) {
		fprintf(stderr, "probe: encrypt: %s\n", strerror(-ret));
		p->failed = 1;
		return;
	}
	p->seq_sent++;
}

static void on_event(void *user, struct fzgw_wg_peer *peer,
		     enum fzgw_wg_event ev)
{
	struct probe *p = user;

	switch (ev) {
	case FZGW_WG_EV_SESSION_READY:
		printf("probe: handshake complete\n");
		p->session = true;
		if (p->queued) {
			p->queued = false;
			send_ping(p);
		}
		break;
	case FZGW_WG_EV_HANDSHAKE_FAILED:
		fprintf(stderr, "probe: handshake failed\n");
		p->failed = 1;
		break;
	default:
		break;
	}
}

/* An echo reply from tun_dst to tun_src for our id and the next seq. */
static void check_reply(struct probe *p, const uint8_t *ip, size_t len)
{
	uint8_t want[PING_LEN], payload[PING_PAYLOAD];
	uint16_t seq = (uint16_t)(p->replies + 1);

	ping_payload(payload, seq);
	build_icmp(want, p->tun_dst, p->tun_src, 0, PING_ID, seq, payload);
	if (len != PING_LEN || ip[0] != 0x45 || ip[9] != 1 ||
	    memcmp(ip + 12, want + 12, 8) || csum(ip, 20) != 0 ||
	    csum(ip + 20, len - 20) != 0 || memcmp(ip + 20, want + 20, len - 20)) {
		fprintf(stderr, "probe: unexpected packet of %zu bytes\n", len);
		p->failed = 1;
		return;
	}
	p->replies++;
	printf("probe: echo reply seq=%u ok\n", seq);
	if (p->replies < p->count)
		send_ping(p);
}

/* Responder: answer echo requests addressed to tun_src. */
static void answer_request(struct probe *p, const uint8_t *ip, size_t len)
{
	uint8_t reply[1500];
	struct in_addr src, dst;
	size_t ihl;
	uint16_t c;

	if (len < 28 || (ip[0] >> 4) != 4 || ip[9] != 1)
		return;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ihl < 20 || len < ihl + 8 || ip[ihl] != 8 || len > sizeof(reply))
		return;
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	if (dst.s_addr != p->tun_src.s_addr)
		return;
	/* Swap addresses, type 0, fresh checksums. */
	memcpy(reply, ip, len);
	memcpy(reply + 12, &dst, 4);
	memcpy(reply + 16, &src, 4);
	reply[8] = 64;
	reply[10] = reply[11] = 0;
	c = csum(reply, ihl);
	reply[10] = (uint8_t)(c >> 8);
	reply[11] = (uint8_t)c;
	reply[ihl] = 0;
	reply[ihl + 2] = reply[ihl + 3] = 0;
	c = csum(reply + ihl, len - ihl);
	reply[ihl + 2] = (uint8_t)(c >> 8);
	reply[ihl + 3] = (uint8_t)c;
	if (send_ip(p, reply, len) == 0) {
		p->replies++;
		printf("probe: answered echo request %zu bytes\n", len);
	}
}

static int parse_endpoint(const char *s, struct fzgw_wg_endpoint *ep)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t hl;
	int port;

	memset(ep, 0, sizeof(*ep));
	if (!colon)
		return -1;
	port = atoi(colon + 1);
	hl = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hl < 2 || hl - 2 >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = 0;
		ep->in6.sin6_family = AF_INET6;
		ep->in6.sin6_port = htons((uint16_t)port);
		ep->len = sizeof(ep->in6);
		return inet_pton(AF_INET6, host, &ep->in6.sin6_addr) == 1 ? 0 : -1;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = 0;
	ep->in4.sin_family = AF_INET;
	ep->in4.sin_port = htons((uint16_t)port);
	ep->len = sizeof(ep->in4);
	return inet_pton(AF_INET, host, &ep->in4.sin_addr) == 1 ? 0 : -1;
}

static int parse_key(const char *b64, uint8_t out[32])
{
	size_t len;

	if (sodium_base642bin(out, 32, b64, strlen(b64), NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || len != 32)
		return -1;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fzgw_wg_probe --mode initiator|responder --key PRIV --peer PUB\n"
		"       --listen IP:PORT [--endpoint IP:PORT] [--psk PSK]\n"
		"       [--tunnel-src 10.99.0.2] [--tunnel-dst 10.99.0.1] [--count N]\n"
		"       [--timeout SEC] [--record FILE] [--seed N] [--wall UNIXSEC]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "key", required_argument, NULL, 'k' },
		{ "peer", required_argument, NULL, 'p' },
		{ "psk", required_argument, NULL, 'q' },
		{ "listen", required_argument, NULL, 'l' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "tunnel-src", required_argument, NULL, 's' },
		{ "tunnel-dst", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "record", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 'S' },
		{ "wall", required_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 },
	};
	struct probe p = { .fd = -1, .count = 1 };
	struct fzgw_wg_endpoint listen_ep, peer_ep;
	struct fzgw_wg_ops ops = {
		.user = &p,
		.now_ns = mono_ns,
		.wall = wall_clock,
		.random = rand_bytes,
		.send = udp_send,
		.event = on_event,
	};
	uint8_t key[32], peer_pub[32], psk[32];
	bool have_key = false, have_peer = false, have_psk = false;
	bool have_listen = false, have_ep = false;
	const char *mode = NULL;
	double timeout = 10;
	uint64_t deadline;
	int c, rc = 1;

	inet_pton(AF_INET, "10.99.0.2", &p.tun_src);
	inet_pton(AF_INET, "10.99.0.1", &p.tun_dst);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			mode = optarg;
			break;
		case 'k':
			have_key = parse_key(optarg, key) == 0;
			break;
		case 'p':
			have_peer = parse_key(optarg, peer_pub) == 0;
			break;
		case 'q':
			have_psk = parse_key(optarg, psk) == 0;
			break;
		case 'l':
			have_listen = parse_endpoint(optarg, &listen_ep) == 0;
			break;
		case 'e':
			have_ep = parse_endpoint(optarg, &peer_ep) == 0;
			break;
		case 's':
			inet_pton(AF_INET, optarg, &p.tun_src);
			break;
		case 'd':
			inet_pton(AF_INET, optarg, &p.tun_dst);
			break;
		case 'c':
			p.count = (unsigned int)atoi(optarg);
			break;
		case 't':
			timeout = atof(optarg);
			break;
		case 'r':
			p.rec = fopen(optarg, "w");
			if (!p.rec) {
				perror(optarg);
				return 1;
			}
			break;
		case 'S':
			p.seeded = true;
			p.rng = strtoull(optarg, NULL, 0);
			break;
		case 'W':
			p.wall = atol(optarg);
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!mode || !have_key || !have_peer || !have_listen || !p.count ||
	    (strcmp(mode, "initiator") && strcmp(mode, "responder")) ||
	    (!strcmp(mode, "initiator") && !have_ep)) {
		usage();
		return 2;
	}
	p.initiator = !strcmp(mode, "initiator");
	if (sodium_init() < 0)
		return 1;

	p.fd = socket(listen_ep.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p.fd < 0 || bind(p.fd, &listen_ep.sa, listen_ep.len) < 0) {
		perror("probe: socket");
		goto out;
	}
	if (fzgw_wg_new(&p.wg, key, &ops) != 0 ||
	    fzgw_wg_peer_add(p.wg, peer_pub, have_psk ? psk : NULL, NULL,
			     &p.peer) != 0) {
		fprintf(stderr, "probe: engine set-up failed\n");
		goto out;
	}
	if (have_ep)
		fzgw_wg_peer_set_endpoint(p.peer, &peer_ep);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(psk, sizeof(psk));

	if (p.initiator)
		send_ping(&p);

	deadline = mono_ns(NULL) + (uint64_t)(timeout * 1e9);
	while (!p.failed && p.replies < p.count && mono_ns(NULL) < deadline) {
		struct pollfd pfd = { .fd = p.fd, .events = POLLIN };
		uint64_t now = mono_ns(NULL), next = fzgw_wg_next_deadline(p.wg);
		int wait_ms = 100;

		if (next <= now)
			wait_ms = 0;
		else if (next - now < 100000000ull)
			wait_ms = (int)((next - now) / 1000000ull) + 1;
		if (poll(&pfd, 1, wait_ms) > 0 && (pfd.revents & POLLIN)) {
			uint8_t buf[2048];
			struct fzgw_wg_endpoint src;
			struct fzgw_wg_peer *peer;
			socklen_t sl = sizeof(src.in6);
			size_t off, plen;
			ssize_t n;
			int r;

			memset(&src, 0, sizeof(src));
			n = recvfrom(p.fd, buf, sizeof(buf), 0, &src.sa, &sl);
			if (n > 0) {
				src.len = sl;
				record(&p, "in", buf, (size_t)n);
				r = fzgw_wg_receive(p.wg, &src, buf, (size_t)n, &peer,
						    &off, &plen);
				if (r == FZGW_WG_RX_DATA && p.initiator)
					check_reply(&p, buf + off, plen);
				else if (r == FZGW_WG_RX_DATA)
					answer_request(&p, buf + off, plen);
				else if (r < 0)
					fprintf(stderr, "probe: dropped: %s\n",
						fzgw_wg_drop_name(r));
			}
		}
		fzgw_wg_tick(p.wg);
	}
	if (p.replies == p.count && !p.failed) {
		struct fzgw_wg_peer_stats ps;

		fzgw_wg_peer_stats(p.peer, &ps);
		printf("probe: %s ok: %u echo %s, %llu handshake(s), rx %llu tx %llu packets\n",
		       mode, p.replies, p.initiator ? "replies" : "requests answered",
		       (unsigned long long)ps.handshakes_completed,
		       (unsigned long long)ps.rx_packets,
		       (unsigned long long)ps.tx_packets);
		rc = 0;
	} else {
		fprintf(stderr, "probe: %s failed: %u/%u (session %s)\n", mode,
			p.replies, p.count, p.session ? "up" : "never up");
	}
out:
	p.wg = fzgw_wg_free(p.wg);
	if (p.fd >= 0)
		close(p.fd);
	if (p.rec)
		fclose(p.rec);
	return rc;
}
