/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of gro_coalesce.c: which segments become one GSO write, and what the kernel gets. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "offload.h"
#include "test_offload_pkt.h"

#define NPKT FZGW_GRO_BATCH
#define PKT_CAP 2048

static uint8_t pkts[NPKT + 1][PKT_CAP];
static uint8_t orig[NPKT + 1][PKT_CAP];
static uint8_t *bufs[NPKT + 1];
static size_t lens[NPKT + 1];
static size_t n_pkts;
static struct fzgw_gro gro;
static uint8_t flat[FZGW_VNET_HDR_LEN + FZGW_GSO_MAX_LEN + PKT_CAP];

static void reset(void)
{
	n_pkts = 0;
	memset(&gro, 0xa5, sizeof(gro)); /* build must not depend on earlier state */
}

/* Appends a segment to the batch (a copy is kept to compare against). */
static void add(const struct tseg *t)
{
	assert_true(n_pkts <= NPKT);
	bufs[n_pkts] = pkts[n_pkts];
	lens[n_pkts] = seg_build(pkts[n_pkts], t);
	memcpy(orig[n_pkts], pkts[n_pkts], lens[n_pkts]);
	n_pkts++;
}

/* Appends @n segments of one flow, each @size bytes, following each other from @t. */
static void add_run(struct tseg t, int n, size_t size)
{
	for (int i = 0; i < n; i++) {
		t.payload = size;
		t.fill = t.seq;
		add(&t);
		t.seq += (uint32_t)size;
		t.id++;
	}
}

static int build(void)
{
	return fzgw_gro_build(&gro, bufs, lens, n_pkts);
}

/* Write @k as the kernel reads it: the vnet header and the packet, in one buffer. */
static size_t flatten(unsigned int k)
{
	struct iovec iov[FZGW_GRO_IOV_MAX];
	int n = fzgw_gro_iov(&gro, k, bufs, lens, iov);
	size_t len = 0;

	assert_true(n >= 2 && n <= (int)FZGW_GRO_IOV_MAX);
	for (int i = 0; i < n; i++) {
		assert_true(len + iov[i].iov_len <= sizeof(flat));
		memcpy(flat + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	assert_int_equal(len, FZGW_VNET_HDR_LEN + gro.out[k].len);
	return len;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static struct fzgw_vnet_hdr hdr_of(unsigned int k)
{
	return gro.out[k].hdr;
}

/* Checks that write @k is packet @first alone, untouched, with a zero header. */
static void assert_single(unsigned int k, unsigned int first)
{
	static const struct fzgw_vnet_hdr zero;
	size_t len;

	assert_int_equal(gro.out[k].first, first);
	assert_int_equal(gro.out[k].n_pkts, 1);
	assert_memory_equal(&gro.out[k].hdr, &zero, sizeof(zero));
	len = flatten(k);
	assert_int_equal(len, FZGW_VNET_HDR_LEN + lens[first]);
	assert_memory_equal(flat + FZGW_VNET_HDR_LEN, orig[first], lens[first]);
}

/*
 * Checks that write @k carries packets idx[0..n) as one super-packet, and that the
 * kernel's segmentation of it (fzgw_gso_next(), the same rules) gives them back byte for
 * byte.
 */
static void assert_run_idx(unsigned int k, const unsigned int *idx, unsigned int n)
{
	unsigned int first = idx[0];
	struct fzgw_vnet_hdr h = hdr_of(k);
	uint8_t seg[PKT_CAP];
	struct fzgw_gso s;
	size_t len, l3;
	uint8_t *p = flat + FZGW_VNET_HDR_LEN;
	uint32_t sum;
	int got;

	assert_int_equal(gro.out[k].first, first);
	assert_int_equal(gro.out[k].n_pkts, n);
	len = flatten(k);
	l3 = (p[0] >> 4) == 4 ? 20 : 40;
	assert_int_equal(h.flags, FZGW_VNET_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, l3 == 20 ? FZGW_VNET_GSO_TCPV4 : FZGW_VNET_GSO_TCPV6);
	assert_int_equal(h.csum_start, l3);
	assert_int_equal(h.csum_offset, 16);
	assert_int_equal(h.hdr_len, l3 + (size_t)(p[l3 + 12] >> 4) * 4);
	assert_int_equal(h.gso_size, lens[first] - h.hdr_len);
	/* the IP length covers the whole super-packet; IPv4's header checksum is right */
	if (l3 == 20) {
		assert_int_equal(get16(p + 2), len - FZGW_VNET_HDR_LEN);
		assert_int_equal(fzgw_csum_partial(p, 20, 0), 0xffff);
	} else {
		assert_int_equal(get16(p + 4), len - FZGW_VNET_HDR_LEN - 40);
	}
	/* the TCP field holds the pseudo-header sum for the whole length (not inverted) */
	sum = fzgw_csum_partial(p + (l3 == 20 ? 12 : 8), l3 == 20 ? 8 : 32, 0) + 6 +
	      (uint32_t)(len - FZGW_VNET_HDR_LEN - l3);
	assert_int_equal(get16(p + l3 + 16), fzgw_csum_fold(sum));

	assert_int_equal(fzgw_gso_start(&s, flat, len), (int)n);
	for (unsigned int i = 0; i < n; i++) {
		got = fzgw_gso_next(&s, seg, sizeof(seg));
		assert_int_equal(got, lens[idx[i]]);
		assert_memory_equal(seg, orig[idx[i]], lens[idx[i]]);
		assert_true(seg_csum_ok(seg, (size_t)got));
	}
	assert_int_equal(fzgw_gso_next(&s, seg, sizeof(seg)), 0);
}

/* The same for packets @first .. @first + @n - 1. */
static void assert_run(unsigned int k, unsigned int first, unsigned int n)
{
	unsigned int idx[NPKT];

	for (unsigned int i = 0; i < n; i++)
		idx[i] = first + i;
	assert_run_idx(k, idx, n);
}

/* ------------------------------------------------------------------ runs */

static void run_basic(int version)
{
	struct tseg t = seg_defaults(version);

	reset();
	add_run(t, 10, 1000);
	assert_int_equal(build(), 1);
	assert_run(0, 0, 10);
	assert_int_equal(gro.merged, 9);
}

static void test_v4_run(void **state)
{
	(void)state;
	run_basic(4);
}

static void test_v6_run(void **state)
{
	(void)state;
	run_basic(6);
}

/* PSH on the last segment is carried by the super-packet and ends the run. */
static void test_psh_last(void **state)
{
	(void)state;
	for (int v = 4; v <= 6; v += 2) {
		struct tseg t = seg_defaults(v);

		reset();
		add_run(t, 4, 1200);
		t.seq += 4 * 1200;
		t.id += 4;
		t.flags = T_ACK | T_PSH;
		add_run(t, 1, 1200);
		/* after PSH, a new run */
		t.flags = T_ACK;
		t.seq += 1200;
		t.id++;
		add_run(t, 3, 1200);
		assert_int_equal(build(), 2);
		assert_run(0, 0, 5);
		assert_true(flat[FZGW_VNET_HDR_LEN + (v == 4 ? 20 : 40) + 13] & T_PSH);
		assert_run(1, 5, 3);
	}
}

/* PSH in the middle: the run ends with it, the next segments start another. */
static void test_psh_middle(void **state)
{
	struct tseg t = seg_defaults(6);

	(void)state;
	reset();
	add_run(t, 2, 800);
	t.seq += 1600;
	t.id += 2;
	t.flags = T_ACK | T_PSH;
	add_run(t, 1, 800);
	t.flags = T_ACK;
	t.seq += 800;
	t.id++;
	add_run(t, 2, 800);
	assert_int_equal(build(), 2);
	assert_run(0, 0, 3);
	assert_run(1, 3, 2);
}

/* A shorter segment may end a run; nothing follows it in the same super-packet. */
static void test_short_last(void **state)
{
	struct tseg t = seg_defaults(4);

	(void)state;
	reset();
	add_run(t, 3, 1000);
	t.seq += 3000;
	t.id += 3;
	add_run(t, 1, 300);
	t.seq += 300;
	t.id++;
	add_run(t, 2, 1000);
	assert_int_equal(build(), 2);
	assert_run(0, 0, 4);
	assert_run(1, 4, 2);
}

/* A larger segment after the first cannot join: gso_size is the first one's. */
static void test_larger_later(void **state)
{
	struct tseg t = seg_defaults(4);

	(void)state;
	reset();
	add_run(t, 1, 500);
	t.seq += 500;
	t.id++;
	add_run(t, 3, 1000);
	assert_int_equal(build(), 2);
	assert_single(0, 0);
	assert_run(1, 1, 3);
}

/* ------------------------------------------------------------------ refusals */

static void test_gap(void **state)
{
	struct tseg t = seg_defaults(4);

	(void)state;
	reset();
	add_run(t, 2, 1000);
	t.seq += 2000 + 1; /* one byte missing */
	t.id += 2;
	add_run(t, 2, 1000);
	assert_int_equal(build(), 2);
	assert_run(0, 0, 2);
	assert_run(1, 2, 2);

	/* a retransmission of the first segment */
	reset();
	t = seg_defaults(6);
	add_run(t, 2, 1000);
	add_run(t, 1, 1000);
	assert_int_equal(build(), 2);
	assert_run(0, 0, 2);
	assert_single(1, 2);
}

/* Any flag but ACK and PSH keeps a segment alone and ends its flow's run. */
static void test_flags(void **state)
{
	static const uint8_t odd[] = { T_ACK | T_FIN, T_ACK | T_URG, T_ACK | T_RST, T_ACK | T_SYN,
				       T_ACK | T_CWR, T_ACK | T_ECE, T_PSH, 0 };

	(void)state;
	for (size_t f = 0; f < sizeof(odd); f++) {
		struct tseg t = seg_defaults(f % 2 ? 6 : 4);

		reset();
		add_run(t, 2, 1000);
		t.seq += 2000;
		t.id += 2;
		t.flags = odd[f];
		add_run(t, 1, 1000);
		t.flags = T_ACK;
		t.seq += 1000;
		t.id++;
		add_run(t, 2, 1000);
		assert_int_equal(build(), 3);
		assert_run(0, 0, 2);
		assert_single(1, 2);
		assert_run(2, 3, 2);
	}
}

/* A pure ACK (no payload) of the flow is written in its place, between two runs. */
static void test_pure_ack(void **state)
{
	struct tseg t = seg_defaults(4);

	(void)state;
	reset();
	add_run(t, 2, 1000);
	t.seq += 2000;
	t.id += 2;
	add_run(t, 1, 0);
	t.id++;
	add_run(t, 2, 1000);
	assert_int_equal(build(), 3);
	assert_run(0, 0, 2);
	assert_single(1, 2);
	assert_run(2, 3, 2);
}

/* Header fields that must be equal: each difference starts a new run. */
static void test_header_changes(void **state)
{
	(void)state;
	for (int c = 0; c < 8; c++) {
		struct tseg t = seg_defaults(c % 2 ? 6 : 4), u;

		reset();
		add_run(t, 2, 1000);
		u = t;
		u.seq += 2000;
		u.id += 2;
		switch (c / 2) {
		case 0:
			u.ack += 1448;
			break;
		case 1:
			u.win += 1;
			break;
		case 2:
			u.tsval += 1;
			break;
		case 3:
			if (c % 2)
				u.tos = 0x20;
			else
				u.ttl = 63;
			break;
		}
		add_run(u, 2, 1000);
		assert_int_equal(build(), 2);
		assert_run(0, 0, 2);
		assert_run(1, 2, 2);
	}
	/* DF differs; then a different hop limit for IPv6 */
	{
		struct tseg t = seg_defaults(4), u;

		reset();
		add_run(t, 2, 1000);
		u = t;
		u.seq += 2000;
		u.id += 2;
		u.df = false;
		add_run(u, 2, 1000);
		assert_int_equal(build(), 2);
		t = seg_defaults(6);
		reset();
		add_run(t, 2, 1000);
		u = t;
		u.seq += 2000;
		u.ttl = 1;
		add_run(u, 1, 1000);
		assert_int_equal(build(), 2);
	}
}

/* Different TCP option lengths cannot share a header. */
static void test_option_length(void **state)
{
	struct tseg t = seg_defaults(4), u;

	(void)state;
	reset();
	add_run(t, 2, 1000);
	u = t;
	u.seq += 2000;
	u.id += 2;
	u.ts = false;
	add_run(u, 2, 1000);
	assert_int_equal(build(), 2);
	assert_run(0, 0, 2);
	assert_run(1, 2, 2);
}

/* Interleaved flows each get their run; a third flow's packets stay in place. */
static void test_flows(void **state)
{
	struct tseg a = seg_defaults(4), b = seg_defaults(4), c = seg_defaults(6);

	(void)state;
	b.sport = 40001;
	reset();
	for (int i = 0; i < 3; i++) {
		a.payload = b.payload = c.payload = 900;
		a.fill = a.seq;
		b.fill = b.seq + 3;
		c.fill = c.seq + 5;
		add(&a);
		add(&b);
		add(&c);
		a.seq += 900;
		b.seq += 900;
		c.seq += 900;
		a.id++;
		b.id++;
		c.id++;
	}
	assert_int_equal(build(), 3);
	/* runs are written where their first packet was */
	assert_int_equal(gro.out[0].first, 0);
	assert_int_equal(gro.out[1].first, 1);
	assert_int_equal(gro.out[2].first, 2);
	for (unsigned int k = 0; k < 3; k++) {
		struct iovec iov[FZGW_GRO_IOV_MAX];
		uint8_t seg[PKT_CAP];
		struct fzgw_gso s;
		size_t len = flatten(k);

		assert_int_equal(gro.out[k].n_pkts, 3);
		assert_int_equal(fzgw_gro_iov(&gro, k, bufs, lens, iov), 4);
		assert_int_equal(fzgw_gso_start(&s, flat, len), 3);
		for (unsigned int i = 0; i < 3; i++) {
			assert_int_equal(fzgw_gso_next(&s, seg, sizeof(seg)), lens[k + 3 * i]);
			assert_memory_equal(seg, orig[k + 3 * i], lens[k + 3 * i]);
		}
	}
	/* the same addresses with the ports swapped are another flow */
	reset();
	a = seg_defaults(4);
	b = a;
	b.sport = a.dport;
	b.dport = a.sport;
	b.seq = a.seq + 1000;
	add_run(a, 1, 1000);
	add_run(b, 1, 1000);
	assert_int_equal(build(), 2);
}

/* IPv4 options: never coalesced (the kernel's GRO does not either). */
static void test_v4_options(void **state)
{
	struct tseg t = seg_defaults(4);

	(void)state;
	t.v4_options = true;
	reset();
	add_run(t, 3, 1000);
	assert_int_equal(build(), 3);
	for (unsigned int k = 0; k < 3; k++)
		assert_single(k, k);
}

/* A super-packet stays within 65535 bytes: the next segment starts another. */
static void test_oversize(void **state)
{
	struct tseg t = seg_defaults(4);
	unsigned int first_run = (65535 - 52) / 1400;

	(void)state;
	reset();
	add_run(t, 50, 1400);
	assert_int_equal(build(), 2);
	assert_run(0, 0, first_run);
	assert_run(1, first_run, 50 - first_run);
	assert_true(gro.out[0].len <= FZGW_GSO_MAX_LEN);

	t = seg_defaults(6);
	reset();
	add_run(t, 64, 1380);
	assert_int_equal(build(), 2);
	assert_int_equal(gro.out[0].n_pkts + gro.out[1].n_pkts, 64);
	assert_true(gro.out[0].len <= FZGW_GSO_MAX_LEN);
	assert_run(0, 0, gro.out[0].n_pkts);
	assert_run(1, gro.out[0].n_pkts, gro.out[1].n_pkts);
}

/* A wrong checksum is never laundered: that segment goes alone, as it came. */
static void test_bad_checksum(void **state)
{
	struct tseg t = seg_defaults(4);

	(void)state;
	/* the second one is bad: it stays alone, the third starts a new run */
	reset();
	add_run(t, 4, 1000);
	pkts[1][60] ^= 0x01;
	orig[1][60] ^= 0x01;
	assert_int_equal(build(), 3);
	assert_single(0, 0);
	assert_single(1, 1);
	assert_run(2, 2, 2);

	/* the first one is bad: alone; the others form a run */
	reset();
	t = seg_defaults(6);
	add_run(t, 3, 1000);
	pkts[0][100] ^= 0x40;
	orig[0][100] ^= 0x40;
	assert_int_equal(build(), 2);
	assert_single(0, 0);
	assert_run(1, 1, 2);
}

/* Neither TCP nor readable: written alone with a zero header, untouched. */
static void test_others(void **state)
{
	struct tseg u = seg_defaults(4), t = seg_defaults(4);
	uint8_t junk[40] = { 0x45 };

	(void)state;
	u.proto = 17;
	reset();
	add_run(t, 1, 1000);
	add(&u);
	u.version = 6;
	add(&u);
	t.seq += 1000;
	t.id++;
	add_run(t, 1, 1000);
	/* a short junk packet and a 20-byte IPv4 header that claims TCP */
	bufs[n_pkts] = pkts[n_pkts];
	memcpy(pkts[n_pkts], junk, 10);
	memcpy(orig[n_pkts], junk, 10);
	lens[n_pkts++] = 10;
	bufs[n_pkts] = pkts[n_pkts];
	memcpy(pkts[n_pkts], orig[0], 20);
	pkts[n_pkts][3] = 20;
	memcpy(orig[n_pkts], pkts[n_pkts], 20);
	lens[n_pkts++] = 20;
	/* UDP and junk between two TCP segments of one flow do not end its run */
	assert_int_equal(build(), 5);
	assert_run_idx(0, (const unsigned int[]){ 0, 3 }, 2);
	assert_single(1, 1);
	assert_single(2, 2);
	assert_single(3, 4);
	assert_single(4, 5);
}

static void test_limits(void **state)
{
	struct tseg t = seg_defaults(4);

	(void)state;
	reset();
	add_run(t, 1, 1000);
	assert_int_equal(fzgw_gro_build(&gro, bufs, lens, FZGW_GRO_BATCH + 1), -EINVAL);
	assert_int_equal(fzgw_gro_build(&gro, bufs, lens, 0), 0);
	assert_int_equal(build(), 1);
	assert_single(0, 0);
}

/* A whole batch of one flow (the data plane's case), then the writes through an fd. */
static void test_write(void **state)
{
	struct tseg t = seg_defaults(4);
	uint8_t *rd = malloc(2 * (FZGW_VNET_HDR_LEN + FZGW_GSO_MAX_LEN));
	size_t refused = 99, want = 0;
	int fds[2], n_out;
	ssize_t r;

	(void)state;
	assert_non_null(rd);
	reset();
	add_run(t, 40, 1380);
	t.proto = 17;
	t.payload = 100;
	add(&t);
	/* the expected bytes: each planned write flattened, in order */
	n_out = build();
	assert_int_equal(n_out, 2);
	{
		size_t l0 = flatten(0);

		memcpy(rd, flat, l0);
		want = l0 + flatten(1);
		memcpy(rd + l0, flat, want - l0);
	}
	/* fzgw_gro_write() plans again: restore the packets first */
	for (size_t i = 0; i < n_pkts; i++)
		memcpy(pkts[i], orig[i], lens[i]);
	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	assert_true(fcntl(fds[1], F_SETPIPE_SZ, 1 << 20) >= (int)want);
	assert_int_equal(fzgw_gro_write(&gro, fds[1], bufs, lens, n_pkts, &refused), (int)n_pkts);
	assert_int_equal(refused, 0);
	r = read(fds[0], flat, sizeof(flat));
	assert_int_equal(r, (ssize_t)want);
	assert_memory_equal(flat, rd, want);
	/* a closed reader: the first write fails, nothing is handled */
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(fzgw_gro_write(&gro, fds[1], bufs, lens, n_pkts, NULL), -EPIPE);
	close(fds[1]);
	free(rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_run),
		cmocka_unit_test(test_v6_run),
		cmocka_unit_test(test_psh_last),
		cmocka_unit_test(test_psh_middle),
		cmocka_unit_test(test_short_last),
		cmocka_unit_test(test_larger_later),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_pure_ack),
		cmocka_unit_test(test_header_changes),
		cmocka_unit_test(test_option_length),
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_v4_options),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_others),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
