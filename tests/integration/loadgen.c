/* SPDX-License-Identifier: Apache-2.0 */
/* Load generator for the namespace load tests: handshake and garbage floods, key pairs, and
 * many WireGuard clients handshaking in turn (the soak). */
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

#include "blake2s.h"
#include "wg.h"

/*
 * fzgw_loadgen flood --kind init|badmac|garbage --target IP:PORT [--pub GWPUB]
 *     [--src-net A.B.C.D --src-count N] [--rate PPS] [--seconds S]
 *   Raw IPv4/UDP datagrams (IP_HDRINCL) from N source addresses starting at --src-net (the
 *   caller routes them back to us and drops the replies). init: 148-byte initiations with
 *   random content and a valid mac1 for GWPUB (the worst case: the gateway must look at them);
 *   badmac: the same with a wrong mac1; garbage: random bytes, random length 1..1400.
 *   --rate 0 (default): as fast as this process can. Prints "sent N seconds S rate R".
 * fzgw_loadgen keys N
 *   N lines "PRIVATE PUBLIC" (base64), as wg genkey / wg pubkey would.
 * fzgw_loadgen clients --keys FILE --pub GWPUB --target IP:PORT --tunnel-net 100.64.0.0
 *     [--tunnel-dst 100.64.0.1] [--slots K] [--seconds S] [--timeout T] [--rate HPS] [--once]
 *   FILE: lines "INDEX PRIVATE" (the tunnel address of INDEX is tunnel-net + 2 + INDEX, as the
 *   soak's config writes it). K clients at a time each pick a random line, handshake with the
 *   gateway and send one ICMP echo to --tunnel-dst through the tunnel; success = the echo
 *   reply decrypted (T seconds allowed, default 2). --rate: at most HPS handshakes started per
 *   second (stay under the gateway's load threshold); --once: every line once, in order, then
 *   exit. Prints "ok N fail M" at the end; --results FILE: "INDEX OK FAIL" per line.
 */

static uint64_t mono_ns(void *user)
{
	struct timespec ts;

	(void)user;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int parse_key(const char *b64, uint8_t out[32])
{
	size_t len;

	if (sodium_base642bin(out, 32, b64, strlen(b64), NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || len != 32)
		return -1;
	return 0;
}

static int parse_ep(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	memset(sa, 0, sizeof(*sa));
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
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

/* ------------------------------------------------------------------ flood */

enum { BATCH = 64, TEMPLATES = 1024, HDR = 28, MAXPAY = 1400 };

struct tmpl {
	uint16_t len;
	uint8_t pay[MAXPAY];
};

static void make_templates(struct tmpl *t, const char *kind, const uint8_t gwpub[32])
{
	uint8_t mac1_key[32];
	struct fzgw_wg_blake2s s;

	fzgw_wg_blake2s_init(&s, 32, NULL, 0);
	fzgw_wg_blake2s_update(&s, "mac1----", 8);
	fzgw_wg_blake2s_update(&s, gwpub, 32);
	fzgw_wg_blake2s_final(&s, mac1_key);
	for (int i = 0; i < TEMPLATES; i++) {
		if (!strcmp(kind, "garbage")) {
			t[i].len = (uint16_t)(1 + randombytes_uniform(MAXPAY));
			randombytes_buf(t[i].pay, t[i].len);
			continue;
		}
		t[i].len = FZGW_WG_INITIATION_LEN;
		randombytes_buf(t[i].pay, t[i].len);
		t[i].pay[0] = FZGW_WG_MSG_INITIATION;
		t[i].pay[1] = t[i].pay[2] = t[i].pay[3] = 0;
		memset(t[i].pay + 132, 0, 16); /* no mac2 */
		if (!strcmp(kind, "init")) /* mac1 over everything before it */
			fzgw_wg_blake2s(t[i].pay + 116, 16, t[i].pay, 116, mac1_key, 32);
	}
}

static int cmd_flood(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' }, { "target", required_argument, NULL, 't' },
		{ "pub", required_argument, NULL, 'p' },  { "src-net", required_argument, NULL, 'n' },
		{ "src-count", required_argument, NULL, 'c' }, { "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' }, { 0 }
	};
	const char *kind = "init";
	struct sockaddr_in dst;
	struct in_addr net = { 0 };
	uint8_t gwpub[32] = { 0 };
	uint32_t nsrc = 1;
	double rate = 0, secs = 5;
	bool have_dst = false, have_pub = false;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'k': kind = optarg; break;
		case 't': have_dst = parse_ep(optarg, &dst) == 0; break;
		case 'p': have_pub = parse_key(optarg, gwpub) == 0; break;
		case 'n': inet_pton(AF_INET, optarg, &net); break;
		case 'c': nsrc = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'r': rate = atof(optarg); break;
		case 's': secs = atof(optarg); break;
		default: return 64;
		}
	}
	if (!have_dst || !net.s_addr || !nsrc || (strcmp(kind, "garbage") && !have_pub) ||
	    (strcmp(kind, "init") && strcmp(kind, "badmac") && strcmp(kind, "garbage"))) {
		fprintf(stderr, "flood: --kind init|badmac|garbage --target IP:PORT --src-net A.B.C.D "
				"[--src-count N] [--pub KEY] [--rate PPS] [--seconds S]\n");
		return 64;
	}
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("flood: raw socket");
		return 1;
	}
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));

	static struct tmpl t[TEMPLATES];
	static uint8_t pkts[BATCH][HDR + MAXPAY];
	struct iovec iov[BATCH];
	struct mmsghdr msg[BATCH];
	uint64_t sent = 0, errs = 0, t0 = mono_ns(NULL), end = t0 + (uint64_t)(secs * 1e9);
	uint32_t rnd[BATCH * 2];

	make_templates(t, kind, gwpub);
	memset(msg, 0, sizeof(msg));
	for (;;) {
		uint64_t now = mono_ns(NULL);

		if (now >= end)
			break;
		if (rate > 0 && (double)sent > rate * (double)(now - t0) / 1e9) {
			struct timespec ts = { 0, 200000 };

			nanosleep(&ts, NULL);
			continue;
		}
		randombytes_buf(rnd, sizeof(rnd));
		for (int i = 0; i < BATCH; i++) {
			const struct tmpl *tp = &t[rnd[2 * i] % TEMPLATES];
			uint8_t *p = pkts[i];
			uint32_t src = ntohl(net.s_addr) + rnd[2 * i + 1] % nsrc;
			uint16_t sport = (uint16_t)(1024 + (rnd[2 * i + 1] >> 16) % 60000);
			size_t len = HDR + tp->len;

			memset(p, 0, HDR);
			p[0] = 0x45;
			p[2] = (uint8_t)(len >> 8);
			p[3] = (uint8_t)len;
			p[8] = 64;
			p[9] = IPPROTO_UDP;
			src = htonl(src);
			memcpy(p + 12, &src, 4);
			memcpy(p + 16, &dst.sin_addr, 4);
			memcpy(p + 20, &sport, 2); /* any port: byte order does not matter */
			memcpy(p + 22, &dst.sin_port, 2);
			p[24] = (uint8_t)((8 + tp->len) >> 8);
			p[25] = (uint8_t)(8 + tp->len); /* UDP checksum 0: none (IPv4) */
			memcpy(p + HDR, tp->pay, tp->len);
			iov[i].iov_base = p;
			iov[i].iov_len = len;
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &dst;
			msg[i].msg_hdr.msg_namelen = sizeof(dst);
		}
		int n = sendmmsg(fd, msg, BATCH, 0);
		if (n < 0) {
			errs++;
			if (errno != ENOBUFS && errno != EAGAIN) {
				perror("flood: sendmmsg");
				return 1;
			}
			continue;
		}
		sent += (uint64_t)n;
	}
	double el = (double)(mono_ns(NULL) - t0) / 1e9;
	printf("sent %llu seconds %.2f rate %.0f errors %llu\n", (unsigned long long)sent, el,
	       (double)sent / el, (unsigned long long)errs);
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------ keys */

static int cmd_keys(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	uint8_t sk[32], pk[32];
	char a[64], b[64];

	if (n <= 0) {
		fprintf(stderr, "keys N\n");
		return 64;
	}
	for (long i = 0; i < n; i++) {
		randombytes_buf(sk, 32);
		sk[0] &= 248;
		sk[31] = (sk[31] & 127) | 64;
		crypto_scalarmult_base(pk, sk);
		sodium_bin2base64(a, sizeof(a), sk, 32, sodium_base64_VARIANT_ORIGINAL);
		sodium_bin2base64(b, sizeof(b), pk, 32, sodium_base64_VARIANT_ORIGINAL);
		printf("%s %s\n", a, b);
	}
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

/* ------------------------------------------------------------------ clients */

struct slot;

struct client_ctx {
	const uint8_t *gwpub;
	struct fzgw_wg_endpoint gw;
	struct in_addr tnet, tdst;
	char (*keys)[48];
	uint32_t *idx;
	uint32_t *ok, *fail;
	size_t nkeys;
	uint64_t timeout_ns;
	uint64_t total_ok, total_fail;
};

struct slot {
	struct client_ctx *c;
	int fd;
	struct fzgw_wg *wg;
	struct fzgw_wg_peer *peer;
	size_t line;
	uint64_t started;
	bool ready, done;
	struct in_addr src;
};

enum { PINGLEN = 28 + 32, PING_ID = 0x4c47 };

static void slot_send(void *user, struct fzgw_wg_peer *peer, const struct fzgw_wg_endpoint *ep,
		      const uint8_t *buf, size_t len)
{
	struct slot *s = user;

	(void)peer;
	if (sendto(s->fd, buf, len, 0, &ep->sa, ep->len) < 0 && errno != EAGAIN)
		perror("clients: sendto");
}

static void slot_ping(struct slot *s)
{
	uint8_t buf[FZGW_WG_HEADROOM + PINGLEN + FZGW_WG_TAILROOM], *ip = buf + FZGW_WG_HEADROOM;
	const struct fzgw_wg_endpoint *ep;
	size_t out;
	uint16_t c;

	memset(ip, 0, PINGLEN);
	ip[0] = 0x45;
	ip[3] = PINGLEN;
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, &s->src, 4);
	memcpy(ip + 16, &s->c->tdst, 4);
	c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	ip[20] = 8;
	ip[24] = PING_ID >> 8;
	ip[25] = PING_ID & 0xff;
	ip[27] = 1;
	c = csum(ip + 20, PINGLEN - 20);
	ip[22] = (uint8_t)(c >> 8);
	ip[23] = (uint8_t)c;
	if (fzgw_wg_encrypt(s->wg, s->peer, buf, PINGLEN, sizeof(buf), 1420, &out, &ep) == 0)
		slot_send(s, s->peer, ep, buf, out);
}

static void slot_event(void *user, struct fzgw_wg_peer *peer, enum fzgw_wg_event ev)
{
	struct slot *s = user;

	(void)peer;
	if (ev == FZGW_WG_EV_SESSION_READY && !s->ready) {
		s->ready = true;
		slot_ping(s);
	}
}

static void slot_finish(struct slot *s, bool ok)
{
	struct client_ctx *c = s->c;

	if (s->wg) {
		(ok ? c->ok : c->fail)[s->line]++;
		ok ? c->total_ok++ : c->total_fail++;
	}
	s->wg = fzgw_wg_free(s->wg);
	s->peer = NULL;
}

static int slot_start(struct slot *s, size_t line)
{
	struct client_ctx *c = s->c;
	struct fzgw_wg_ops ops = { .user = s, .now_ns = mono_ns, .send = slot_send, .event = slot_event };
	uint8_t sk[32];
	int ret;

	s->line = line;
	if (parse_key(c->keys[s->line], sk))
		return -EINVAL;
	ret = fzgw_wg_new(&s->wg, sk, &ops);
	sodium_memzero(sk, sizeof(sk));
	if (ret)
		return ret;
	ret = fzgw_wg_peer_add(s->wg, c->gwpub, NULL, NULL, &s->peer);
	if (!ret)
		ret = fzgw_wg_peer_set_endpoint(s->peer, &c->gw);
	if (!ret)
		ret = fzgw_wg_initiate(s->wg, s->peer);
	if (ret)
		return ret;
	s->src.s_addr = htonl(ntohl(c->tnet.s_addr) + 2 + c->idx[s->line]);
	s->ready = false;
	s->started = mono_ns(NULL);
	return 0;
}

static void slot_rx(struct slot *s)
{
	uint8_t buf[2048];
	struct fzgw_wg_endpoint src;
	struct fzgw_wg_peer *peer;
	size_t off, plen;
	ssize_t n;

	for (;;) {
		memset(&src, 0, sizeof(src));
		src.len = sizeof(src.in6);
		n = recvfrom(s->fd, buf, sizeof(buf), MSG_DONTWAIT, &src.sa, &src.len);
		if (n <= 0)
			return;
		if (!s->wg)
			continue;
		if (fzgw_wg_receive(s->wg, &src, buf, (size_t)n, &peer, &off, &plen) == FZGW_WG_RX_DATA &&
		    plen >= 28 && buf[off + 9] == 1 && buf[off + 20] == 0 &&
		    buf[off + 24] == (PING_ID >> 8) && buf[off + 25] == (PING_ID & 0xff)) {
			slot_finish(s, true);
			return;
		}
	}
}

static int cmd_clients(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keys", required_argument, NULL, 'k' }, { "pub", required_argument, NULL, 'p' },
		{ "target", required_argument, NULL, 't' }, { "tunnel-net", required_argument, NULL, 'n' },
		{ "tunnel-dst", required_argument, NULL, 'd' }, { "slots", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 'S' }, { "timeout", required_argument, NULL, 'T' },
		{ "results", required_argument, NULL, 'r' }, { "once", no_argument, NULL, 'o' },
		{ "rate", required_argument, NULL, 'R' }, { 0 }
	};
	struct client_ctx c = { .timeout_ns = 2000000000ull };
	uint8_t gwpub[32];
	struct sockaddr_in gw;
	const char *keyfile = NULL, *results = NULL;
	int nslots = 16, o;
	double secs = 10, rate = 0;
	uint64_t started = 0, t0;
	bool have_pub = false, have_gw = false, once = false;

	inet_pton(AF_INET, "100.64.0.0", &c.tnet);
	inet_pton(AF_INET, "100.64.0.1", &c.tdst);
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'k': keyfile = optarg; break;
		case 'p': have_pub = parse_key(optarg, gwpub) == 0; break;
		case 't': have_gw = parse_ep(optarg, &gw) == 0; break;
		case 'n': inet_pton(AF_INET, optarg, &c.tnet); break;
		case 'd': inet_pton(AF_INET, optarg, &c.tdst); break;
		case 's': nslots = atoi(optarg); break;
		case 'S': secs = atof(optarg); break;
		case 'T': c.timeout_ns = (uint64_t)(atof(optarg) * 1e9); break;
		case 'r': results = optarg; break;
		case 'o': once = true; break;
		case 'R': rate = atof(optarg); break;
		default: return 64;
		}
	}
	if (!keyfile || !have_pub || !have_gw || nslots < 1 || nslots > 256) {
		fprintf(stderr, "clients: --keys FILE --pub KEY --target IP:PORT [--slots K] [--seconds S]\n");
		return 64;
	}
	FILE *f = fopen(keyfile, "r");
	char line[256];
	size_t cap = 0;

	if (!f) {
		perror(keyfile);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned idx;
		char key[48];

		if (sscanf(line, "%u %47s", &idx, key) != 2)
			continue;
		if (c.nkeys == cap) {
			cap = cap ? 2 * cap : 256;
			c.keys = realloc(c.keys, cap * sizeof(*c.keys));
			c.idx = realloc(c.idx, cap * sizeof(*c.idx));
			if (!c.keys || !c.idx)
				return 1;
		}
		memcpy(c.keys[c.nkeys], key, sizeof(key));
		c.idx[c.nkeys++] = idx;
	}
	fclose(f);
	if (!c.nkeys) {
		fprintf(stderr, "clients: no keys in %s\n", keyfile);
		return 1;
	}
	c.ok = calloc(c.nkeys, sizeof(*c.ok));
	c.fail = calloc(c.nkeys, sizeof(*c.fail));
	c.gwpub = gwpub;
	memcpy(&c.gw.in4, &gw, sizeof(gw));
	c.gw.len = sizeof(gw);

	struct slot *s = calloc((size_t)nslots, sizeof(*s));
	struct pollfd *pfd = calloc((size_t)nslots, sizeof(*pfd));
	size_t next = 0; /* --once: every line once, in order */

	for (int i = 0; i < nslots; i++) {
		s[i].c = &c;
		s[i].fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (s[i].fd < 0) {
			perror("clients: socket");
			return 1;
		}
		pfd[i].fd = s[i].fd;
		pfd[i].events = POLLIN;
	}
	t0 = mono_ns(NULL);
	uint64_t end = t0 + (uint64_t)(secs * 1e9);

	for (;;) {
		uint64_t now = mono_ns(NULL);
		bool busy = false;

		for (int i = 0; i < nslots; i++) {
			if (s[i].wg && now - s[i].started > c.timeout_ns)
				slot_finish(&s[i], false);
			if (!s[i].wg && now < end && (!once || next < c.nkeys) &&
			    (rate <= 0 || (double)started < 1 + rate * (double)(now - t0) / 1e9)) {
				size_t pick = once ? next++ : randombytes_uniform((uint32_t)c.nkeys);
				int ret = slot_start(&s[i], pick);

				started++;
				if (ret) {
					fprintf(stderr, "clients: cannot start a client: %s\n", strerror(-ret));
					return 1;
				}
			}
			if (s[i].wg) {
				busy = true;
				fzgw_wg_tick(s[i].wg);
			}
		}
		if (!busy && (now >= end || (once && next >= c.nkeys)))
			break;
		if (poll(pfd, (nfds_t)nslots, 10) > 0)
			for (int i = 0; i < nslots; i++)
				if (pfd[i].revents & POLLIN)
					slot_rx(&s[i]);
	}
	printf("ok %llu fail %llu\n", (unsigned long long)c.total_ok, (unsigned long long)c.total_fail);
	if (results) {
		FILE *r = fopen(results, "w");

		if (!r)
			return 1;
		for (size_t i = 0; i < c.nkeys; i++)
			fprintf(r, "%u %u %u\n", c.idx[i], c.ok[i], c.fail[i]);
		fclose(r);
	}
	for (int i = 0; i < nslots; i++)
		close(s[i].fd);
	free(s);
	free(pfd);
	free(c.keys);
	free(c.idx);
	free(c.ok);
	free(c.fail);
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "flood"))
		return cmd_flood(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "keys"))
		return cmd_keys(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "clients"))
		return cmd_clients(argc - 1, argv + 1);
	fprintf(stderr, "usage: fzgw_loadgen flood|keys|clients ... (see the comment in loadgen.c)\n");
	return 64;
}
