/* SPDX-License-Identifier: Apache-2.0 */
/* fzgw_gen: a WireGuard load generator that measures the gateway, not the client.
 *
 * fzgw_gen keys N
 *   N lines "INDEX PRIVATE PUBLIC" (base64): identities for the gateway's config.
 * fzgw_gen run --keys FILE --pub GWPUB --target IP:PORT --site-netns NS --sink IP:PORT
 *     [--sessions N] [--tunnel-net 100.64.0.0] [--src-net A.B.C.D --src-count K]
 *     [--gw-pid PID] [--hs-rate R] [--hs-window W] [--hs-timeout S]
 *     [--dir c2s,s2c] [--size 1420,100] (--rate PPS | --search [--start-rate PPS]
 *     [--max-rate PPS] [--max-steps N]) [--secs S] [--max-loss PCT] [--mem-mb MB]
 *     [--auth-every N] [--drain S] [--pace-us U] [--label TEXT]
 *   After a step's last packet the receiver waits until all arrived, or nothing came for
 *   --drain seconds (default 0.2; at most 3 s); what arrives later is dropped unread before
 *   the next step (flushed=).
 *   Runs in the clients' network namespace. Sessions: the first N identities of FILE (the
 *   tunnel address of INDEX is tunnel-net + 2 + INDEX), one engine device each, one UDP socket
 *   for all (sources spread over K addresses from --src-net with IP_PKTINFO; the caller makes
 *   them local, e.g. "ip route add local A.B.C.D/L dev lo"), handshaken once before anything is
 *   measured (R per second, W at a time). The site socket is made in the namespace NS
 *   (/var/run/netns/NS) and bound to --sink: it counts what arrives (client -> site) and sends
 *   plain UDP to each session's address as the site sees it (site -> client).
 *   A step: client -> site, SIZE-byte IPv4/UDP packets to the sink, every one encrypted before
 *   the step (round-robin over the sessions, counters unique), sent once each with sendmmsg at
 *   PPS for S seconds; site -> client, SIZE-byte packets from the site to the sessions, counted
 *   by the client socket's receiver (every Nth decrypted and checked). Loss = 1 - received/sent.
 *   Pacing: one sendmmsg per U microseconds of the rate (default 1000, iperf3's pacing timer),
 *   at most 64 datagrams each; the sender sleeps between batches, never spins.
 *   --rate: one step per direction and size; exit 1 if one lost more than --max-loss percent
 *   (default 0.1). --search: per direction and size, the highest rate with loss below
 *   --max-loss (doubling from --start-rate, then bisection to 5 %); bound= says what ended
 *   it: loss, generator (it could not offer a rate), max-rate, steps (--max-steps used up).
 *   Lines (key=value): "handshakes ...", "step ...", "capacity ...", "summary ...".
 *   Exit 0 ok, 1 loss over the limit, 2 bad usage or set-up, 3 handshakes failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "gen.h"

static int cmd_keys(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	uint8_t sk[32], pk[32];
	char a[64], b[64];

	if (n <= 0 || n > 1000000) {
		fprintf(stderr, "keys N (1..1000000)\n");
		return 2;
	}
	for (long i = 0; i < n; i++) {
		randombytes_buf(sk, 32);
		sk[0] &= 248;
		sk[31] = (sk[31] & 127) | 64;
		crypto_scalarmult_base(pk, sk);
		sodium_bin2base64(a, sizeof(a), sk, 32, sodium_base64_VARIANT_ORIGINAL);
		sodium_bin2base64(b, sizeof(b), pk, 32, sodium_base64_VARIANT_ORIGINAL);
		printf("%ld %s %s\n", i, a, b);
	}
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(a, sizeof(a));
	return 0;
}

struct opts {
	const char *keys, *site_ns, *label, *dirs, *sizes;
	uint8_t gwpub[32];
	struct sockaddr_in gw, sink;
	struct in_addr tnet, src_net;
	uint32_t src_count;
	size_t sessions, hs_window;
	int gw_pid, max_steps;
	double hs_rate, hs_timeout, rate, start_rate, max_rate, secs, max_loss, drain, pace_us;
	size_t mem_mb;
	uint32_t auth_every;
	bool search, have_pub, have_gw, have_sink;
};

static void print_step(const struct opts *o, const struct gen_step *st, const char *verdict)
{
	double gbps = st->wall_s > 0 ? (double)st->bytes * 8 / st->wall_s / 1e9 : 0;

	printf("step label=%s dir=%s size=%zu rate=%.0f offered=%.0f secs=%.2f sent=%llu "
	       "recv=%llu loss_pct=%.4f reordered=%llu stale=%llu flushed=%llu rxq_drops=%llu "
	       "gw_udp_drops=%llu softnet_drops=%llu tx_errors=%llu "
	       "auth_ok=%llu auth_fail=%llu gbps=%.3f gw_cpu_pct=%.1f gen_cpu_pct=%.1f "
	       "gw_ns_per_pkt=%.0f gw_cpu_s_per_gb=%.3f prep_s=%.2f verdict=%s\n",
	       o->label, st->dir, st->size, st->rate, st->offered, st->wall_s,
	       (unsigned long long)st->sent, (unsigned long long)st->recv, st->loss_pct,
	       (unsigned long long)st->reordered, (unsigned long long)st->stale,
	       (unsigned long long)st->flushed,
	       (unsigned long long)st->rxq_drops, (unsigned long long)st->gw_udp_drops,
	       (unsigned long long)st->softnet_drops,
	       (unsigned long long)st->tx_errors,
	       (unsigned long long)st->auth_ok, (unsigned long long)st->auth_fail, gbps,
	       st->gw_cpu_s >= 0 && st->wall_s > 0 ? st->gw_cpu_s / st->wall_s * 100 : -1,
	       st->wall_s > 0 ? st->gen_cpu_s / st->wall_s * 100 : -1,
	       st->gw_cpu_s >= 0 && st->recv ? st->gw_cpu_s / (double)st->recv * 1e9 : -1,
	       st->gw_cpu_s >= 0 && st->bytes ? st->gw_cpu_s / ((double)st->bytes / 1e9) : -1,
	       st->prep_s, verdict);
}

/* One step; returns 1 pass, 0 loss over the limit, -1 the generator could not offer the
 * rate (inconclusive), or a negative errno - 1 on a set-up error. */
static int run_step(struct opts *o, struct gen_flow_cfg *cfg, const char *dir, size_t size,
		    double rate)
{
	static uint32_t next_id = 1;
	struct gen_step st = { .dir = dir, .id = next_id++, .size = size, .rate = rate,
			       .secs = o->secs };
	const char *verdict;
	int ret, res;

	ret = !strcmp(dir, "c2s") ? gen_flow_c2s(cfg, &st) : gen_flow_s2c(cfg, &st);
	if (ret) {
		fprintf(stderr, "fzgw_gen: %s step at %.0f/s: %s\n", dir, rate, strerror(-ret));
		return ret - 1;
	}
	st.loss_pct = st.sent ? 100.0 * ((double)st.sent - (double)st.recv) / (double)st.sent : 100;
	if (st.loss_pct < 0)
		st.loss_pct = 0;
	if (st.auth_fail || (st.recv == 0 && st.sent) || st.loss_pct > o->max_loss) {
		verdict = "loss";
		res = 0;
	} else if (st.offered < 0.95 * rate) {
		verdict = "generator-limit";
		res = -1;
	} else {
		verdict = "pass";
		res = 1;
	}
	print_step(o, &st, verdict);
	return res;
}

static void search(struct opts *o, struct gen_flow_cfg *cfg, const char *dir, size_t size)
{
	double lo = 0, hi = 0, rate = o->start_rate;
	bool genlimit = false, at_max = false;
	int steps = 0;

	while (steps++ < o->max_steps) {
		int r = run_step(o, cfg, dir, size, rate);

		if (r < -1)
			break;
		if (r == 1) {
			lo = rate;
		} else {
			hi = rate;
			genlimit |= r == -1;
		}
		if (!hi) {
			if (rate >= o->max_rate) {
				at_max = true;
				break;
			}
			rate = rate * 2 > o->max_rate ? o->max_rate : rate * 2;
		} else {
			if (hi - lo <= 0.05 * hi)
				break;
			rate = lo ? (lo + hi) / 2 : hi / 4;
			if (!lo && rate < 100)
				break;
		}
	}
	printf("capacity label=%s dir=%s size=%zu pps=%.0f gbps=%.3f bound=%s steps=%d\n", o->label,
	       dir, size, lo, lo * (double)size * 8 / 1e9,
	       genlimit ? "generator" : hi ? "loss" : at_max ? "max-rate" : "steps",
	       steps > o->max_steps ? o->max_steps : steps);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "keys", required_argument, NULL, 'k' }, { "pub", required_argument, NULL, 'p' },
		{ "target", required_argument, NULL, 't' }, { "site-netns", required_argument, NULL, 'N' },
		{ "sink", required_argument, NULL, 'K' }, { "sessions", required_argument, NULL, 'n' },
		{ "tunnel-net", required_argument, NULL, 'T' }, { "src-net", required_argument, NULL, 's' },
		{ "src-count", required_argument, NULL, 'c' }, { "gw-pid", required_argument, NULL, 'g' },
		{ "hs-rate", required_argument, NULL, 'H' }, { "hs-window", required_argument, NULL, 'W' },
		{ "hs-timeout", required_argument, NULL, 'O' }, { "dir", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 'z' }, { "rate", required_argument, NULL, 'r' },
		{ "search", no_argument, NULL, 'S' }, { "start-rate", required_argument, NULL, 'a' },
		{ "max-rate", required_argument, NULL, 'm' }, { "max-steps", required_argument, NULL, 'x' },
		{ "secs", required_argument, NULL, 'e' }, { "max-loss", required_argument, NULL, 'l' },
		{ "mem-mb", required_argument, NULL, 'M' }, { "auth-every", required_argument, NULL, 'A' },
		{ "drain", required_argument, NULL, 'D' }, { "label", required_argument, NULL, 'L' },
		{ "pace-us", required_argument, NULL, 'P' },
		{ 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	inet_pton(AF_INET, "100.64.0.0", &o->tnet);
	o->label = "gen";
	o->dirs = "c2s,s2c";
	o->sizes = "1420,100";
	o->hs_window = 256;
	o->hs_timeout = 10;
	o->start_rate = 20000;
	o->max_rate = 2000000;
	o->max_steps = 10;
	o->secs = 2;
	o->max_loss = 0.1;
	o->mem_mb = 1024;
	o->auth_every = 64;
	o->drain = 0.2;
	o->pace_us = 1000;
	o->sessions = (size_t)-1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'k': o->keys = optarg; break;
		case 'p': o->have_pub = gen_parse_key(optarg, o->gwpub) == 0; break;
		case 't': o->have_gw = gen_parse_ep(optarg, &o->gw) == 0; break;
		case 'N': o->site_ns = optarg; break;
		case 'K': o->have_sink = gen_parse_ep(optarg, &o->sink) == 0; break;
		case 'n': o->sessions = strtoul(optarg, NULL, 10); break;
		case 'T': if (inet_pton(AF_INET, optarg, &o->tnet) != 1) return -1; break;
		case 's': if (inet_pton(AF_INET, optarg, &o->src_net) != 1) return -1; break;
		case 'c': o->src_count = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'g': o->gw_pid = atoi(optarg); break;
		case 'H': o->hs_rate = atof(optarg); break;
		case 'W': o->hs_window = strtoul(optarg, NULL, 10); break;
		case 'O': o->hs_timeout = atof(optarg); break;
		case 'd': o->dirs = optarg; break;
		case 'z': o->sizes = optarg; break;
		case 'r': o->rate = atof(optarg); break;
		case 'S': o->search = true; break;
		case 'a': o->start_rate = atof(optarg); break;
		case 'm': o->max_rate = atof(optarg); break;
		case 'x': o->max_steps = atoi(optarg); break;
		case 'e': o->secs = atof(optarg); break;
		case 'l': o->max_loss = atof(optarg); break;
		case 'M': o->mem_mb = strtoul(optarg, NULL, 10); break;
		case 'A': o->auth_every = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'D': o->drain = atof(optarg); break;
		case 'L': o->label = optarg; break;
		case 'P': o->pace_us = atof(optarg); break;
		default: return -1;
		}
	}
	if (!o->keys || !o->have_pub || !o->have_gw || !o->have_sink || !o->site_ns ||
	    !o->sessions || (o->search == (o->rate > 0)) || o->secs <= 0 || o->secs > 60 ||
	    o->start_rate <= 0 || o->max_rate < o->start_rate || !o->mem_mb || o->hs_window < 1 ||
	    o->max_steps < 1 || o->drain < 0 || o->drain > 10 ||
	    o->pace_us < 1 || o->pace_us > 100000 || (o->src_count && !o->src_net.s_addr))
		return -1;
	if (o->src_net.s_addr && !o->src_count)
		o->src_count = 1;
	return 0;
}

/* "1420,100" -> sizes; each in GEN_MIN_SIZE..GEN_MAX_SIZE */
static int parse_sizes(const char *s, size_t *out, int max)
{
	int n = 0;

	while (*s && n < max) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v < GEN_MIN_SIZE || v > GEN_MAX_SIZE)
			return -1;
		out[n++] = v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return n;
}

static int cmd_run(int argc, char **argv)
{
	struct opts o;
	struct gen_sessions set;
	struct gen_flow_cfg cfg = { 0 };
	struct gen_hs_result hs;
	size_t sizes[8];
	int nsizes, ret, fails = 0, one = 1, big = 64 << 20;
	long rss0;

	if (parse_opts(argc, argv, &o) ||
	    (nsizes = parse_sizes(o.sizes, sizes, 8)) <= 0 ||
	    (!strstr(o.dirs, "c2s") && !strstr(o.dirs, "s2c"))) {
		fprintf(stderr, "usage: fzgw_gen run --keys FILE --pub KEY --target IP:PORT "
				"--site-netns NS --sink IP:PORT (--rate PPS | --search) ... "
				"(see the comment in bench/fzgw_gen.c)\n");
		return 2;
	}
	ret = gen_sessions_load(&set, o.keys, o.sessions, o.tnet, o.src_net, o.src_count);
	if (ret) {
		fprintf(stderr, "fzgw_gen: %s: %s\n", o.keys, strerror(-ret));
		return 2;
	}
	{ /* one socket for all; a few files for each session's engine, none per session */
		struct rlimit rl = { 65536, 65536 };

		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ret = gen_sessions_open(&set, &o.gw, o.gwpub);
	if (ret) {
		fprintf(stderr, "fzgw_gen: %zu sessions: %s%s\n", set.n, strerror(-ret),
			ret == -ENOMEM ? " (each session's keys are in guarded memory: raise "
					 "vm.max_map_count for many)" : "");
		gen_sessions_free(&set);
		return 2;
	}
	cfg.set = &set;
	cfg.sink = o.sink;
	cfg.gw_pid = o.gw_pid;
	cfg.mem_cap = o.mem_mb << 20;
	cfg.auth_every = o.auth_every;
	cfg.drain_s = o.drain;
	cfg.pace_us = o.pace_us;
	cfg.site_fd = gen_socket_in(o.site_ns, SOCK_DGRAM | SOCK_CLOEXEC);
	if (cfg.site_fd < 0 || bind(cfg.site_fd, (struct sockaddr *)&o.sink, sizeof(o.sink)) < 0) {
		fprintf(stderr, "fzgw_gen: the site socket in %s on %s:%u: %s\n", o.site_ns,
			inet_ntoa(o.sink.sin_addr), ntohs(o.sink.sin_port), strerror(errno));
		gen_sessions_free(&set);
		return 2;
	}
	if (setsockopt(cfg.site_fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(cfg.site_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (setsockopt(cfg.site_fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(cfg.site_fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(cfg.site_fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));

	rss0 = gen_proc_rss_kb(o.gw_pid);
	gen_sessions_handshake(&set, true, o.hs_rate, o.hs_window, o.hs_timeout, o.gw_pid, &hs);
	printf("handshakes label=%s sessions=%zu ok=%zu failed=%zu secs=%.3f per_s=%.0f "
	       "gw_cpu_s=%.2f per_gw_cpu_s=%.0f cookies=%llu gw_rss_kb_before=%ld gw_rss_kb_after=%ld\n",
	       o.label, set.n, hs.ok, hs.failed, hs.secs, hs.secs > 0 ? (double)hs.ok / hs.secs : 0,
	       hs.gw_cpu_s, hs.gw_cpu_s > 0 ? (double)hs.ok / hs.gw_cpu_s : -1,
	       (unsigned long long)hs.cookies, rss0, gen_proc_rss_kb(o.gw_pid));
	if (!hs.ok || hs.failed) {
		fprintf(stderr, "fzgw_gen: %zu of %zu handshakes failed\n", hs.failed, set.n);
		close(cfg.site_fd);
		gen_sessions_free(&set);
		return 3;
	}
	uint64_t hs_at = gen_now_ns();

	for (const char *d = o.dirs; *d;) {
		const char *dir = !strncmp(d, "c2s", 3) ? "c2s" : !strncmp(d, "s2c", 3) ? "s2c" : NULL;

		d += strcspn(d, ",");
		d += *d == ',';
		if (!dir)
			continue;
		for (int i = 0; i < nsizes; i++) {
			/* sessions older than 100 s would rekey mid-step: a new handshake first */
			if (gen_now_ns() - hs_at > 100000000000ull) {
				gen_sessions_handshake(&set, true, o.hs_rate, o.hs_window, o.hs_timeout,
						       o.gw_pid, &hs);
				printf("rehandshake label=%s ok=%zu failed=%zu\n", o.label, hs.ok,
				       hs.failed);
				hs_at = gen_now_ns();
				if (hs.failed) {
					fails++;
					continue;
				}
			}
			if (!strcmp(dir, "s2c") && !cfg.primed) {
				ret = gen_flow_prime(&cfg);
				printf("primed label=%s sessions=%zu of %zu\n", o.label, cfg.primed,
				       set.n);
				if (ret) {
					fails++;
					break;
				}
			}
			if (o.search) {
				search(&o, &cfg, dir, sizes[i]);
			} else if (run_step(&o, &cfg, dir, sizes[i], o.rate) != 1) {
				fails++;
			}
		}
	}
	printf("summary label=%s gen_cpu_s=%.2f failed_steps=%d\n", o.label, gen_self_cpu_s(), fails);
	close(cfg.site_fd);
	free(cfg.dest);
	gen_sessions_free(&set);
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* paced sends wake when asked, not 50 us later */
	if (argc > 1 && !strcmp(argv[1], "keys"))
		return cmd_keys(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	fprintf(stderr, "usage: fzgw_gen keys N | fzgw_gen run ... (see bench/fzgw_gen.c)\n");
	return 2;
}
