/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of gro_coalesce.c for UDP (a TUN that took USO): which datagrams become one
 * GSO_UDP_L4 write, its header, and the kernel's cut (fzgw_gso_next()) giving them back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "offload.h"
#include "test_offload_pkt.h"

#define NPKT FZGW_GRO_BATCH
#define PKT_CAP 2048

static uint8_t pkts[NPKT][PKT_CAP];
static uint8_t orig[NPKT][PKT_CAP];
static uint8_t *bufs[NPKT];
static size_t lens[NPKT];
static size_t n_pkts;
static struct fzgw_gro gro;
static uint8_t flat[FZGW_VNET_HDR_LEN + FZGW_GSO_MAX_LEN + PKT_CAP];

static void reset(uint8_t udp)
{
	n_pkts = 0;
	memset(&gro, 0xa5, sizeof(gro)); /* build must not depend on earlier state */
	gro.udp = udp;
}

static struct tseg udp_defaults(int version)
{
	struct tseg t = seg_defaults(version);

	t.proto = 17;
	t.sport = 40000;
	t.dport = 5201;
	return t;
}

static void add(const struct tseg *t)
{
	assert_true(n_pkts < NPKT);
	bufs[n_pkts] = pkts[n_pkts];
	lens[n_pkts] = seg_build(pkts[n_pkts], t);
	memcpy(orig[n_pkts], pkts[n_pkts], lens[n_pkts]);
	n_pkts++;
}

/* @n datagrams of one flow, @size bytes of payload each, IPv4 identification counting up. */
static void add_run(struct tseg *t, int n, size_t size)
{
	for (int i = 0; i < n; i++) {
		t->payload = size;
		t->fill = t->id * 13u;
		add(t);
		t->id++;
	}
}

static int build(void)
{
	return fzgw_gro_build(&gro, bufs, lens, n_pkts);
}

static size_t flatten(unsigned int k)
{
	struct iovec iov[FZGW_GRO_IOV_MAX];
	int n = fzgw_gro_iov(&gro, k, bufs, lens, iov);
	size_t len = 0;

	for (int i = 0; i < n; i++) {
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

/* Write @k carries datagrams [first, first + n) as one GSO_UDP_L4 super-packet that the
 * kernel's cut gives back byte for byte. */
static void assert_run(unsigned int k, unsigned int first, unsigned int n)
{
	struct fzgw_vnet_hdr h = gro.out[k].hdr;
	uint8_t *p = flat + FZGW_VNET_HDR_LEN;
	uint8_t seg[PKT_CAP];
	struct fzgw_gso s;
	size_t len, l3, l4;
	uint32_t sum;
	int got;

	assert_int_equal(gro.out[k].first, first);
	assert_int_equal(gro.out[k].n_pkts, n);
	len = flatten(k);
	l3 = (p[0] >> 4) == 4 ? 20 : 40;
	l4 = len - FZGW_VNET_HDR_LEN - l3;
	assert_int_equal(h.flags, FZGW_VNET_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, FZGW_VNET_GSO_UDP_L4);
	assert_int_equal(h.csum_start, l3);
	assert_int_equal(h.csum_offset, 6);
	assert_int_equal(h.hdr_len, l3 + 8);
	assert_int_equal(h.gso_size, lens[first] - l3 - 8);
	if (l3 == 20) {
		assert_int_equal(get16(p + 2), len - FZGW_VNET_HDR_LEN);
		assert_int_equal(fzgw_csum_partial(p, 20, 0), 0xffff);
	} else {
		assert_int_equal(get16(p + 4), l4);
	}
	/* the UDP length of the whole, the pseudo-header sum over it (not inverted) */
	assert_int_equal(get16(p + l3 + 4), l4);
	sum = fzgw_csum_partial(p + (l3 == 20 ? 12 : 8), l3 == 20 ? 8 : 32, 0) + 17 + (uint32_t)l4;
	assert_int_equal(get16(p + l3 + 6), fzgw_csum_fold(sum));

	assert_int_equal(fzgw_gso_start(&s, flat, len), (int)n);
	for (unsigned int i = 0; i < n; i++) {
		got = fzgw_gso_next(&s, seg, sizeof(seg));
		assert_int_equal(got, lens[first + i]);
		assert_true(seg_csum_ok(seg, (size_t)got));
		assert_memory_equal(seg, orig[first + i], lens[first + i]);
	}
	assert_int_equal(fzgw_gso_next(&s, seg, sizeof(seg)), 0);
}

static void test_v4_run(void **state)
{
	struct tseg t = udp_defaults(4);

	(void)state;
	reset(1);
	add_run(&t, 10, 1000);
	assert_int_equal(build(), 1);
	assert_int_equal(gro.merged, 9);
	assert_run(0, 0, 10);
}

static void test_v6_run(void **state)
{
	struct tseg t = udp_defaults(6);

	(void)state;
	reset(1);
	add_run(&t, 10, 1200);
	assert_int_equal(build(), 1);
	assert_run(0, 0, 10);
}

static void test_off(void **state)
{
	struct tseg t = udp_defaults(4);

	(void)state;
	/* a TUN without USO: every datagram alone */
	reset(0);
	add_run(&t, 4, 1000);
	assert_int_equal(build(), 4);
	for (unsigned int i = 0; i < 4; i++)
		assert_single(i, i);
}

static void test_sizes(void **state)
{
	struct tseg t = udp_defaults(4);

	(void)state;
	/* 5 x 1000 and 300 (the last: it ends the run), 1000, 1000, 500 (another run), then
	 * 1000 (after a shorter one: a new run) and 1200 (larger: a new run) */
	reset(1);
	add_run(&t, 5, 1000);
	add_run(&t, 1, 300);
	add_run(&t, 1, 1000);
	add_run(&t, 1, 1000);
	add_run(&t, 1, 500);
	add_run(&t, 1, 1000);
	add_run(&t, 1, 1200);
	assert_int_equal(build(), 4);
	assert_run(0, 0, 6);
	assert_run(1, 6, 3);
	assert_single(2, 9);
	assert_single(3, 10);
}

static void test_whole_batch(void **state)
{
	struct tseg t = udp_defaults(4);

	(void)state;
	reset(1);
	add_run(&t, 64, 1000);
	assert_int_equal(build(), 1);
	assert_run(0, 0, 64);
	/* 1100-byte datagrams: 59 fit in 65 535 bytes with the headers, then 5 */
	reset(1);
	add_run(&t, 64, 1100);
	assert_int_equal(build(), 2);
	assert_run(0, 0, 59);
	assert_run(1, 59, 5);
	assert_true(20 + 8 + 59 * 1100 <= 65535 && 20 + 8 + 60 * 1100 > 65535);
}

static void test_flows(void **state)
{
	struct tseg a = udp_defaults(4), b = udp_defaults(4), c = seg_defaults(4);

	(void)state;
	/* two UDP flows interleaved, and TCP on the same addresses and ports */
	b.sport = 40001;
	c.sport = a.sport;
	c.dport = a.dport;
	reset(1);
	for (int i = 0; i < 3; i++) {
		add_run(&a, 1, 1000);
		add_run(&b, 1, 800);
		c.payload = 1000;
		c.fill = c.seq;
		add(&c);
		c.seq += 1000;
	}
	assert_int_equal(build(), 3);
	{
		/* each write holds its flow's packets: check by index lists via the split */
		const unsigned int ka = 0, kb = 1, kc = 2;

		assert_int_equal(gro.out[ka].first, 0);
		assert_int_equal(gro.out[ka].n_pkts, 3);
		assert_int_equal(gro.out[ka].hdr.gso_type, FZGW_VNET_GSO_UDP_L4);
		assert_int_equal(gro.out[ka].hdr.gso_size, 1000);
		assert_int_equal(gro.out[kb].first, 1);
		assert_int_equal(gro.out[kb].n_pkts, 3);
		assert_int_equal(gro.out[kb].hdr.gso_size, 800);
		assert_int_equal(gro.out[kc].first, 2);
		assert_int_equal(gro.out[kc].n_pkts, 3);
		assert_int_equal(gro.out[kc].hdr.gso_type, FZGW_VNET_GSO_TCPV4);
	}
}

static void test_header_changes(void **state)
{
	struct tseg t = udp_defaults(4);

	(void)state;
	/* a TTL change ends the run; the next datagrams start another */
	reset(1);
	add_run(&t, 3, 1000);
	t.ttl = 63;
	add_run(&t, 3, 1000);
	assert_int_equal(build(), 2);
	assert_run(0, 0, 3);
	assert_run(1, 3, 3);
	/* ToS and DF the same */
	t = udp_defaults(4);
	reset(1);
	add_run(&t, 2, 1000);
	t.tos = 0x10;
	add_run(&t, 1, 1000);
	t.df = false;
	add_run(&t, 1, 1000);
	assert_int_equal(build(), 3);
	assert_run(0, 0, 2);
	assert_single(1, 2);
	assert_single(2, 3);
}

static void test_checksums(void **state)
{
	struct tseg t = udp_defaults(4);

	(void)state;
	/* IPv4 without a UDP checksum (0): never coalesced, written as it is */
	reset(1);
	add_run(&t, 3, 1000);
	for (unsigned int i = 0; i < 3; i++) {
		pkts[i][26] = pkts[i][27] = 0;
		orig[i][26] = orig[i][27] = 0;
	}
	assert_int_equal(build(), 3);
	for (unsigned int i = 0; i < 3; i++)
		assert_single(i, i);
	/* a bad checksum on the third: it goes alone (its flow's run ends there) */
	reset(1);
	add_run(&t, 5, 1000);
	pkts[2][30] ^= 1;
	orig[2][30] ^= 1;
	assert_int_equal(build(), 3);
	assert_run(0, 0, 2);
	assert_single(1, 2);
	assert_run(2, 3, 2);
	/* a bad checksum on the first: not coalesced with it */
	reset(1);
	add_run(&t, 3, 1000);
	pkts[0][30] ^= 1;
	orig[0][30] ^= 1;
	assert_int_equal(build(), 2);
	assert_single(0, 0);
	assert_run(1, 1, 2);
}

static void test_odd(void **state)
{
	struct tseg t = udp_defaults(4);

	(void)state;
	/* empty datagrams and IPv4 options: alone */
	reset(1);
	add_run(&t, 2, 0);
	t.v4_options = true;
	add_run(&t, 2, 1000);
	assert_int_equal(build(), 4);
	for (unsigned int i = 0; i < 4; i++)
		assert_single(i, i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_run),
		cmocka_unit_test(test_v6_run),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_whole_batch),
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_header_changes),
		cmocka_unit_test(test_checksums),
		cmocka_unit_test(test_odd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
