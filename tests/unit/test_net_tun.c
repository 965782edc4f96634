/* SPDX-License-Identifier: Apache-2.0 */
/* Tests the TUN device and the rtnetlink calls in a private network namespace (root only). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "shell_out.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netlink.h"
#include "tun.h"

#define SKIP 77
#define TUN "tun-fztest"
#define CTL "tun-fzctl" /* a second TUN for the checks that would disturb the first */
#define PKT_MAX 2048
#define BATCH 16

static int tun_fd = -1;

/* ------------------------------------------------------------------ helpers */

static uint32_t sum16(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* An IPv4 header for @l4_len bytes of @proto from @src to @dst. */
static void ip4_header(uint8_t *p, uint8_t proto, const char *src, const char *dst, size_t l4_len)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)(20 + l4_len));
	p[8] = 64;
	p[9] = proto;
	assert_int_equal(inet_pton(AF_INET, src, p + 12), 1);
	assert_int_equal(inet_pton(AF_INET, dst, p + 16), 1);
	put16(p + 10, fold(sum16(p, 20, 0)));
}

static size_t udp4_packet(uint8_t *p, const char *src, uint16_t sport, const char *dst,
			  uint16_t dport, const char *payload)
{
	size_t plen = strlen(payload);
	uint8_t *u = p + 20;
	uint32_t sum;

	ip4_header(p, IPPROTO_UDP, src, dst, 8 + plen);
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + plen));
	put16(u + 6, 0);
	memcpy(u + 8, payload, plen);
	sum = sum16(p + 12, 8, 0) + IPPROTO_UDP + 8 + plen;
	put16(u + 6, fold(sum16(u, 8 + plen, sum)));
	return 20 + 8 + plen;
}

static size_t udp6_packet(uint8_t *p, const char *src, uint16_t sport, const char *dst,
			  uint16_t dport, const char *payload)
{
	size_t plen = strlen(payload);
	uint8_t *u = p + 40;
	uint32_t sum;

	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, (uint16_t)(8 + plen));
	p[6] = IPPROTO_UDP;
	p[7] = 64;
	assert_int_equal(inet_pton(AF_INET6, src, p + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, p + 24), 1);
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + plen));
	put16(u + 6, 0);
	memcpy(u + 8, payload, plen);
	sum = sum16(p + 8, 32, 0) + IPPROTO_UDP + 8 + plen;
	put16(u + 6, fold(sum16(u, 8 + plen, sum)));
	return 40 + 8 + plen;
}

static size_t icmp4_echo(uint8_t *p, const char *src, const char *dst, uint16_t id, uint16_t seq)
{
	uint8_t *icmp = p + 20;

	ip4_header(p, IPPROTO_ICMP, src, dst, 16);
	memset(icmp, 0, 16);
	icmp[0] = 8; /* echo request */
	put16(icmp + 4, id);
	put16(icmp + 6, seq);
	memcpy(icmp + 8, "fzgwping", 8);
	put16(icmp + 2, fold(sum16(icmp, 16, 0)));
	return 36;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef bool (*pkt_match_fn)(const uint8_t *pkt, size_t len, void *arg);

/*
 * Reads the TUN in batches until @want packets matched or a second passed. Other packets
 * (IPv6 MLD reports and the like) are skipped. Returns the number that matched.
 */
static int tun_expect(int fd, pkt_match_fn match, void *arg, int want)
{
	static uint8_t store[BATCH][PKT_MAX];
	uint8_t *bufs[BATCH];
	size_t lens[BATCH];
	int64_t deadline = now_ms() + 1000;
	int got = 0;
	int r;

	while (got < want && now_ms() < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		for (int i = 0; i < BATCH; i++) {
			bufs[i] = store[i];
			lens[i] = PKT_MAX;
		}
		r = fzgw_tun_read_batch(fd, bufs, lens, BATCH);
		if (r == -EAGAIN)
			continue;
		assert_true(r > 0);
		for (int i = 0; i < r; i++)
			if (lens[i] <= PKT_MAX && match(store[i], lens[i], arg))
				got++;
	}
	return got;
}

struct udp_match {
	int family;
	const char *src, *dst;
	uint16_t dport;
	const char *prefix;
};

static bool udp_matches(const uint8_t *pkt, size_t len, void *arg)
{
	const struct udp_match *m = arg;
	uint8_t a[16];
	size_t hl;

	if (m->family == AF_INET) {
		if (len < 28 || pkt[0] >> 4 != 4 || pkt[9] != IPPROTO_UDP)
			return false;
		hl = (size_t)(pkt[0] & 15) * 4;
		assert_int_equal(get16(pkt + 2), len);
		inet_pton(AF_INET, m->src, a);
		if (memcmp(pkt + 12, a, 4))
			return false;
		inet_pton(AF_INET, m->dst, a);
		if (memcmp(pkt + 16, a, 4))
			return false;
	} else {
		if (len < 48 || pkt[0] >> 4 != 6 || pkt[6] != IPPROTO_UDP)
			return false;
		hl = 40;
		assert_int_equal(get16(pkt + 4) + 40, len);
		inet_pton(AF_INET6, m->src, a);
		if (memcmp(pkt + 8, a, 16))
			return false;
		inet_pton(AF_INET6, m->dst, a);
		if (memcmp(pkt + 24, a, 16))
			return false;
	}
	if (get16(pkt + hl + 2) != m->dport)
		return false;
	return len - hl - 8 >= strlen(m->prefix) &&
	       !memcmp(pkt + hl + 8, m->prefix, strlen(m->prefix));
}

/* Sends @n datagrams "<prefix><i>" from a kernel socket to @dst:@port. */
static void kernel_send(int family, const char *dst, uint16_t port, const char *prefix, int n)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} to;
	socklen_t tolen;
	char msg[64];
	int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	memset(&to, 0, sizeof(to));
	if (family == AF_INET) {
		to.in4.sin_family = AF_INET;
		to.in4.sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, dst, &to.in4.sin_addr), 1);
		tolen = sizeof(to.in4);
	} else {
		to.in6.sin6_family = AF_INET6;
		to.in6.sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, dst, &to.in6.sin6_addr), 1);
		tolen = sizeof(to.in6);
	}
	for (int i = 0; i < n; i++) {
		int len = snprintf(msg, sizeof(msg), "%s%d", prefix, i);

		assert_int_equal(sendto(s, msg, (size_t)len, 0, &to.sa, tolen), len);
	}
	close(s);
}

/* A UDP socket bound to @addr:@port, for packets written into the TUN. */
static int kernel_bind(int family, const char *addr, uint16_t port)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} a;
	socklen_t alen;
	int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		a.in4.sin_family = AF_INET;
		a.in4.sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, addr, &a.in4.sin_addr), 1);
		alen = sizeof(a.in4);
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, addr, &a.in6.sin6_addr), 1);
		alen = sizeof(a.in6);
	}
	if (bind(s, &a.sa, alen) < 0)
		fail_msg("bind %s:%u: %s", addr, port, strerror(errno));
	return s;
}

/* One datagram from @s within @ms milliseconds, or -1. */
static ssize_t kernel_recv(int s, int ms, char *buf, size_t cap, char *from, size_t from_cap)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct pollfd pfd = { .fd = s, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	n = recvfrom(s, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
	if (n >= 0 && from) {
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, from,
				  (socklen_t)from_cap);
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, from,
				  (socklen_t)from_cap);
	}
	return n;
}

static void wait_local_route(const char *addr)
{
	char want[96];

	snprintf(want, sizeof(want), "\"dst\":\"%s\"", addr);
	for (int i = 0; i < 100; i++) {
		if (strstr(run("ip -j -6 route show table local type local"), want))
			return;
		usleep(10000);
	}
	fail_msg("no local route for %s", addr);
}

static void check_configured(const char *v4, const char *v6)
{
	const char *out;
	char want[128];

	out = run("ip -j link show dev " TUN);
	assert_has(out, "\"mtu\":1280");
	assert_has(out, "\"txqlen\":10000");
	assert_has(out, "\"UP\"");

	out = run("ip -j addr show dev " TUN);
	assert_lacks(out, "fe80:");
	assert_int_equal(count(out, "\"local\":"), (v4 != NULL) + (v6 != NULL));
	if (v4) {
		snprintf(want, sizeof(want), "\"local\":\"%s\",\"prefixlen\":32", v4);
		assert_has(out, want);
	}
	if (v6) {
		snprintf(want, sizeof(want), "\"local\":\"%s\",\"prefixlen\":128", v6);
		assert_has(out, want);
	}

	out = run("ip -j route show dev " TUN);
	if (v4)
		assert_int_equal(count(out, "\"dst\":\"100.64.0.0/11\""), 1);
	out = run("ip -j -6 route show dev " TUN);
	if (v6)
		assert_int_equal(count(out, "\"dst\":\"fd00:2021:1111::/107\""), 1);
	assert_lacks(out, "fe80::/64");
}

/* -------------------------------------------------------------------- tests */

static void test_open(void **state)
{
	char name[FZGW_TUN_NAME_MAX];
	uint8_t buf[64];
	uint8_t *bufs[1] = { buf };
	size_t lens[1] = { sizeof(buf) };
	int fd;

	assert_int_equal(fzgw_tun_open("x", 1u << 7, NULL), -EINVAL);
	/* with the vnet header the kernel takes the TCP offloads; without it, refused */
	fd = fzgw_tun_open("fzvnet0", FZGW_TUN_F_VNET_HDR, NULL);
	assert_true(fd >= 0);
	assert_true(fzgw_tun_set_offload(fd, FZGW_TUN_OFFLOAD_TCP) > 0);
	close(fd);
	fd = fzgw_tun_open("fzvnet0", 0, NULL);
	assert_true(fd >= 0);
	assert_true(fzgw_tun_set_offload(fd, FZGW_TUN_OFFLOAD_TCP) < 0);
	close(fd);
	assert_int_equal(fzgw_tun_open("a-name-longer-than-15", 0, NULL), -ENAMETOOLONG);
	assert_int_equal(fzgw_net_link_exists(TUN), 0);
	assert_int_equal(fzgw_net_link_index("no-such-if"), -ENODEV);
	assert_int_equal(fzgw_net_link_index(""), -EINVAL);

	tun_fd = fzgw_tun_open(TUN, 0, name);
	assert_true(tun_fd >= 0);
	assert_string_equal(name, TUN);
	assert_true(fcntl(tun_fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(tun_fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fzgw_net_link_exists(TUN), 1);
	assert_true(fzgw_net_link_index(TUN) > 0);
	assert_has(run("ip -j link show dev " TUN), "\"link_type\":\"none\"");
	/* nothing comes out of a TUN that is down */
	assert_int_equal(fzgw_tun_read_batch(tun_fd, bufs, lens, 1), -EAGAIN);
	lens[0] = 0;
	assert_int_equal(fzgw_tun_read_batch(tun_fd, bufs, lens, 1), -EINVAL);

	/* the default name; the interface is not persistent and goes with its fd */
	fd = fzgw_tun_open(NULL, 0, name);
	assert_true(fd >= 0);
	assert_string_equal(name, FZGW_TUN_DEFAULT_NAME);
	assert_int_equal(fzgw_net_link_exists("tun-firezone"), 1);
	close(fd);
	assert_int_equal(fzgw_net_link_exists("tun-firezone"), 0);
}

static void test_configure(void **state)
{
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", "fd00:2021:1111::1", 1280, NULL),
			 FZGW_NET_HAVE_V4 | FZGW_NET_HAVE_V6);
	check_configured("100.64.0.1", "fd00:2021:1111::1");
	/* the same again changes nothing and fails on nothing (routes are replaced) */
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", "fd00:2021:1111::1", 1280, NULL),
			 FZGW_NET_HAVE_V4 | FZGW_NET_HAVE_V6);
	check_configured("100.64.0.1", "fd00:2021:1111::1");
}

/* The routing-loop check's question: is an address one of this host's? */
static void test_addr_is_local(void **state)
{
	struct fzgw_addr gw4 = { .family = 4, .bytes = { 100, 64, 0, 1 } };
	struct fzgw_addr peer4 = { .family = 4, .bytes = { 100, 64, 0, 2 } };
	struct fzgw_addr gw6 = { .family = 6, .bytes = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, [15] = 1 } };
	struct fzgw_addr peer6 = { .family = 6, .bytes = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, [15] = 2 } };
	struct fzgw_addr nowhere = { .family = 4, .bytes = { 192, 0, 2, 9 } };
	struct fzgw_addr bad = { .family = 0 };

	(void)state;
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", "fd00:2021:1111::1", 1280, NULL),
			 FZGW_NET_HAVE_V4 | FZGW_NET_HAVE_V6);
	assert_int_equal(fzgw_net_addr_is_local(&gw4), 1);
	/* the IPv6 local route comes from the DAD work item, a moment after the ACK */
	wait_local_route("fd00:2021:1111::1");
	assert_int_equal(fzgw_net_addr_is_local(&gw6), 1);
	assert_int_equal(fzgw_net_addr_is_local(&peer4), 0); /* routed into the TUN */
	assert_int_equal(fzgw_net_addr_is_local(&peer6), 0);
	assert_true(fzgw_net_addr_is_local(&nowhere) < 0); /* no route at all */
	assert_int_equal(fzgw_net_addr_is_local(&bad), -EAFNOSUPPORT);
}

static void test_read_direction(void **state)
{
	struct udp_match m4 = { AF_INET, "100.64.0.1", "100.64.0.5", 9, "to-client-v4-" };
	struct udp_match m6 = { AF_INET6, "fd00:2021:1111::1", "fd00:2021:1111::5", 9,
				"to-client-v6-" };
	uint8_t small[20];
	uint8_t *bufs[1] = { small };
	size_t lens[1] = { sizeof(small) };
	int r;

	/* a socket in the namespace sends into the tunnel range: the kernel routes it to the TUN */
	kernel_send(AF_INET, "100.64.0.5", 9, "to-client-v4-", 40);
	assert_int_equal(tun_expect(tun_fd, udp_matches, &m4, 40), 40);
	kernel_send(AF_INET6, "fd00:2021:1111::5", 9, "to-client-v6-", 40);
	assert_int_equal(tun_expect(tun_fd, udp_matches, &m6, 40), 40);

	/* a packet cut by a small buffer: only its IP length field tells */
	kernel_send(AF_INET, "100.64.0.5", 9, "cut-", 1);
	for (int64_t end = now_ms() + 1000; now_ms() < end;) {
		lens[0] = sizeof(small);
		r = fzgw_tun_read_batch(tun_fd, bufs, lens, 1);
		if (r == 1 && small[0] >> 4 == 4 && small[9] == IPPROTO_UDP)
			break;
		usleep(1000);
	}
	assert_int_equal(lens[0], sizeof(small));
	assert_int_equal(get16(small + 2), 20 + 8 + strlen("cut-0"));
}

struct echo_match {
	uint16_t id;
	int seen;
};

static bool echo_reply_matches(const uint8_t *pkt, size_t len, void *arg)
{
	struct echo_match *m = arg;
	uint8_t a[4];

	if (len != 36 || pkt[0] != 0x45 || pkt[9] != IPPROTO_ICMP || pkt[20] != 0)
		return false;
	inet_pton(AF_INET, "100.64.0.1", a);
	if (memcmp(pkt + 12, a, 4))
		return false;
	return get16(pkt + 24) == m->id && !memcmp(pkt + 28, "fzgwping", 8);
}

static void test_write_direction(void **state)
{
	static uint8_t store[8][PKT_MAX];
	uint8_t *bufs[8];
	size_t lens[8], refused = 99;
	char buf[256], from[64];
	int s4, s6;
	ssize_t n;

	/* a client packet written into the TUN reaches a socket on the gateway's address */
	s4 = kernel_bind(AF_INET, "100.64.0.1", 5555);
	lens[0] = udp4_packet(store[0], "100.64.0.5", 4444, "100.64.0.1", 5555, "from-client");
	assert_int_equal(fzgw_tun_write(tun_fd, store[0], lens[0]), 0);
	n = kernel_recv(s4, 1000, buf, sizeof(buf), from, sizeof(from));
	assert_int_equal(n, strlen("from-client"));
	assert_memory_equal(buf, "from-client", (size_t)n);
	assert_string_equal(from, "100.64.0.5");

	s6 = kernel_bind(AF_INET6, "fd00:2021:1111::1", 5555);
	/*
	 * The kernel inserts an IPv6 address's local route from its DAD work item, a moment
	 * after the ACK even with IFA_F_NODAD: until then the address can be bound but a
	 * packet to it is routed back out of the TUN.
	 */
	wait_local_route("fd00:2021:1111::1");
	lens[0] = udp6_packet(store[0], "fd00:2021:1111::5", 4444, "fd00:2021:1111::1", 5555,
			      "from-client-v6");
	assert_int_equal(fzgw_tun_write(tun_fd, store[0], lens[0]), 0);
	n = kernel_recv(s6, 1000, buf, sizeof(buf), from, sizeof(from));
	assert_int_equal(n, strlen("from-client-v6"));
	assert_string_equal(from, "fd00:2021:1111::5");

	/* a batch with one packet that is neither IPv4 nor IPv6 */
	for (int i = 0; i < 8; i++) {
		char payload[32];

		snprintf(payload, sizeof(payload), "batch-%d", i);
		bufs[i] = store[i];
		lens[i] = udp4_packet(store[i], "100.64.0.5", 4444, "100.64.0.1", 5555, payload);
	}
	store[3][0] = 0x55;
	assert_int_equal(fzgw_tun_write_batch(tun_fd, bufs, lens, 8, &refused), 8);
	assert_int_equal(refused, 1);
	assert_int_equal(fzgw_tun_write(tun_fd, store[3], lens[3]), -EINVAL);
	for (int i = 0; i < 8; i++) {
		char want[32];

		if (i == 3)
			continue;
		snprintf(want, sizeof(want), "batch-%d", i);
		n = kernel_recv(s4, 1000, buf, sizeof(buf) - 1, NULL, 0);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_string_equal(buf, want);
	}
	/* the refused one never arrived */
	assert_int_equal(kernel_recv(s4, 100, buf, sizeof(buf), NULL, 0), -1);
	close(s4);
	close(s6);

	/* both ways at once: an echo request written in, the kernel's reply read out */
	{
		struct echo_match m = { .id = 0x4242 };

		lens[0] = icmp4_echo(store[0], "100.64.0.5", "100.64.0.1", m.id, 1);
		assert_int_equal(fzgw_tun_write(tun_fd, store[0], lens[0]), 0);
		assert_int_equal(tun_expect(tun_fd, echo_reply_matches, &m, 1), 1);
	}
}

static void test_reconfigure(void **state)
{
	/* other addresses replace the old ones */
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.7.9", "fd00:2021:1111::7:9", 1280, NULL),
			 FZGW_NET_HAVE_V4 | FZGW_NET_HAVE_V6);
	check_configured("100.64.7.9", "fd00:2021:1111::7:9");
	assert_lacks(run("ip -j addr show dev " TUN), "100.64.0.1\"");

	/* one family only: its route is added, the other family's address is gone */
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", NULL, 1280, NULL), FZGW_NET_HAVE_V4);
	check_configured("100.64.0.1", NULL);
	assert_int_equal(fzgw_net_configure_tun(TUN, NULL, "fd00:2021:1111::1", 1280, NULL),
			 FZGW_NET_HAVE_V6);
	check_configured(NULL, "fd00:2021:1111::1");

	/* bad input touches nothing */
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0", NULL, 1280, NULL), -EINVAL);
	assert_int_equal(fzgw_net_configure_tun(TUN, NULL, "fd00::zz", 1280, NULL), -EINVAL);
	assert_int_equal(fzgw_net_configure_tun(TUN, "fd00::1", NULL, 1280, NULL), -EINVAL);
	assert_int_equal(fzgw_net_configure_tun("no-such-if", "100.64.0.1", NULL, 1280, NULL), -ENODEV);
	check_configured(NULL, "fd00:2021:1111::1");
	/* an MTU the kernel refuses is reported as its error */
	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", NULL, 1u << 20, NULL), -EINVAL);

	assert_int_equal(fzgw_net_configure_tun(TUN, "100.64.0.1", "fd00:2021:1111::1", 1280, NULL),
			 FZGW_NET_HAVE_V4 | FZGW_NET_HAVE_V6);
	check_configured("100.64.0.1", "fd00:2021:1111::1");
}

static void test_link_local_control(void **state)
{
	int fd = fzgw_tun_open(CTL, 0, NULL);

	assert_true(fd >= 0);
	/* without the call a TUN that comes up gets an fe80:: address: the checks above can fail */
	assert_int_equal(fzgw_net_link_set_up(CTL), 0);
	assert_has(run("ip -j addr show dev " CTL), "fe80:");
	/* turned off and flushed while up, it does not come back on the next up */
	assert_int_equal(fzgw_net_link_no_ipv6_ll(CTL), 0);
	assert_int_equal(fzgw_net_addr_flush(CTL), 0);
	assert_lacks(run("ip -j addr show dev " CTL), "fe80:");
	assert_int_equal(fzgw_net_link_set_down(CTL), 0);
	assert_lacks(run("ip -j link show dev " CTL), "\"UP\"");
	assert_int_equal(fzgw_net_link_set_up(CTL), 0);
	assert_has(run("ip -j link show dev " CTL), "\"UP\"");
	assert_lacks(run("ip -j addr show dev " CTL), "fe80:");
	close(fd);
}

static void test_primitives(void **state)
{
	struct fzgw_addr a = { .family = 4, .bytes = { 192, 0, 2, 1 } };
	struct fzgw_addr a6 = { .family = 6, .bytes = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	struct fzgw_addr net = { .family = 4, .bytes = { 10, 99, 1, 2 } }; /* host bits set */
	struct fzgw_addr bad = { .family = 0 };
	const char *out;
	int fd = fzgw_tun_open(CTL, 0, NULL);

	assert_true(fd >= 0);
	assert_int_equal(fzgw_net_link_set_mtu(CTL, 1400), 0);
	assert_int_equal(fzgw_net_link_set_txqlen(CTL, 777), 0);
	out = run("ip -j link show dev " CTL);
	assert_has(out, "\"mtu\":1400");
	assert_has(out, "\"txqlen\":777");
	assert_int_equal(fzgw_net_link_set_mtu("no-such-if", 1400), -ENODEV);

	/* addresses: add, duplicate, flush (several of each family, secondaries included) */
	assert_int_equal(fzgw_net_addr_add(CTL, &a, 24), 0);
	assert_int_equal(fzgw_net_addr_add(CTL, &a, 24), -EEXIST);
	a.bytes[3] = 2; /* a secondary in the same subnet: goes with its primary */
	assert_int_equal(fzgw_net_addr_add(CTL, &a, 24), 0);
	assert_int_equal(fzgw_net_addr_add(CTL, &a6, 64), 0);
	assert_int_equal(fzgw_net_addr_add(CTL, &bad, 24), -EAFNOSUPPORT);
	assert_int_equal(fzgw_net_addr_add(CTL, &a, 33), -EINVAL);
	assert_int_equal(count(run("ip -j addr show dev " CTL), "\"local\":"), 3);
	assert_int_equal(fzgw_net_addr_flush(CTL), 0);
	assert_int_equal(count(run("ip -j addr show dev " CTL), "\"local\":"), 0);
	assert_int_equal(fzgw_net_addr_flush(CTL), 0);

	/* routes: an IPv4 route needs the link up */
	assert_int_equal(fzgw_net_link_set_up(CTL), 0);
	assert_int_equal(fzgw_net_route_add(CTL, &net, 16, FZGW_NET_TABLE_MAIN), 0);
	assert_int_equal(fzgw_net_route_add(CTL, &net, 16, FZGW_NET_TABLE_MAIN), -EEXIST);
	assert_int_equal(fzgw_net_route_replace(CTL, &net, 16, FZGW_NET_TABLE_MAIN), 0);
	out = run("ip -j route show dev " CTL);
	assert_int_equal(count(out, "\"dst\":\"10.99.0.0/16\""), 1);
	assert_has(out, "\"protocol\":\"static\"");
	assert_int_equal(fzgw_net_route_del(CTL, &net, 16, FZGW_NET_TABLE_MAIN), 0);
	assert_int_equal(fzgw_net_route_del(CTL, &net, 16, FZGW_NET_TABLE_MAIN), -ESRCH);
	assert_int_equal(count(run("ip -j route show dev " CTL), "10.99.0.0"), 0);
	/* a table id above 255 travels in RTA_TABLE */
	assert_int_equal(fzgw_net_route_replace(CTL, &a6, 48, 0x2021fd00u), 0);
	assert_has(run("ip -j -6 route show table 0x2021fd00"), "\"dst\":\"2001:db8::/48\"");
	assert_int_equal(fzgw_net_route_del(CTL, &a6, 48, 0x2021fd00u), 0);
	assert_int_equal(fzgw_net_route_add(CTL, &a6, 129, FZGW_NET_TABLE_MAIN), -EINVAL);
	assert_int_equal(fzgw_net_route_add("no-such-if", &a6, 64, FZGW_NET_TABLE_MAIN), -ENODEV);

	/* deleted while its fd is open: the interface goes and the fd reads -EBADFD */
	assert_int_equal(fzgw_net_link_del(CTL), 0);
	assert_int_equal(fzgw_net_link_exists(CTL), 0);
	{
		uint8_t buf[64];
		uint8_t *bufs[1] = { buf };
		size_t lens[1] = { sizeof(buf) };

		assert_int_equal(fzgw_tun_read_batch(fd, bufs, lens, 1), -EBADFD);
	}
	assert_int_equal(fzgw_net_link_del(CTL), -ENODEV);
	close(fd);
}

static void test_delete(void **state)
{
	assert_int_equal(fzgw_net_link_del(TUN), 0);
	assert_int_equal(fzgw_net_link_exists(TUN), 0);
	assert_lacks(run("ip -j -6 route show"), "fd00:2021:1111::/107");
	close(tun_fd);
	tun_fd = -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_configure),
		cmocka_unit_test(test_addr_is_local),
		cmocka_unit_test(test_read_direction),
		cmocka_unit_test(test_write_direction),
		cmocka_unit_test(test_reconfigure),
		cmocka_unit_test(test_link_local_control),
		cmocka_unit_test(test_primitives),
		cmocka_unit_test(test_delete),
	};
	int status;

	/* A private network namespace: nothing here touches the host's interfaces. */
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "test_net_tun: SKIP: unshare(CLONE_NEWNET): %s "
				"(needs root or CAP_SYS_ADMIN for a private network namespace)\n",
			strerror(errno));
		return SKIP;
	}
	if (access("/dev/net/tun", R_OK | W_OK) < 0) {
		fprintf(stderr, "test_net_tun: SKIP: /dev/net/tun: %s\n", strerror(errno));
		return SKIP;
	}
	status = system("ip -j link show >/dev/null 2>&1");
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "test_net_tun: SKIP: the checks need iproute2's ip with -j\n");
		return SKIP;
	}
	if (fzgw_net_link_set_up("lo") < 0) {
		fprintf(stderr, "test_net_tun: cannot bring lo up in the namespace\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
