/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of gso_split.c: records as the TUN hands them over, cut into checked packets. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "offload.h"
#include "test_offload_pkt.h"

#define REC_CAP (FZGW_VNET_HDR_LEN + FZGW_GSO_MAX_LEN + 64)

static _Alignas(16) uint8_t rec[REC_CAP];
static uint8_t big[FZGW_GSO_MAX_LEN + 64];

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * A record as the kernel writes it for a TSO/USO packet: one packet of @t with the whole
 * payload, the vnet header with @gso_size, and the L4 checksum field holding the
 * pseudo-header sum (CHECKSUM_PARTIAL). hdr_len is set to @hdr_len as given (the kernel's
 * value is not trusted). Returns the record's length.
 */
static size_t gso_record(const struct tseg *t, uint8_t type, uint16_t gso_size,
			 uint16_t hdr_len)
{
	struct fzgw_vnet_hdr h = { 0 };
	size_t len = seg_build(big, t), l3 = t->version == 4 ? (t->v4_options ? 24 : 20) : 40;
	uint16_t coff = t->proto == 6 ? 16 : 6;
	uint32_t sum;

	sum = fzgw_csum_partial(big + (t->version == 4 ? 12 : 8), t->version == 4 ? 8 : 32, 0) +
	      t->proto + (uint32_t)(len - l3);
	big[l3 + coff] = (uint8_t)(fzgw_csum_fold(sum) >> 8);
	big[l3 + coff + 1] = (uint8_t)fzgw_csum_fold(sum);
	h.flags = FZGW_VNET_F_NEEDS_CSUM;
	h.gso_type = type;
	h.gso_size = gso_size;
	h.hdr_len = hdr_len;
	h.csum_start = (uint16_t)l3;
	h.csum_offset = coff;
	memcpy(rec, &h, sizeof(h));
	memcpy(rec + FZGW_VNET_HDR_LEN, big, len);
	return FZGW_VNET_HDR_LEN + len;
}

/*
 * Splits a record of @t's payload in @gso_size pieces and checks every packet: strict
 * parse at @mtu, all checksums by recomputation, lengths, sequence numbers, IPv4 ids, the
 * flags of first and last, and the payload bytes in order.
 */
static void check_split(struct tseg t, uint8_t type, uint16_t gso_size, size_t mtu)
{
	size_t len = gso_record(&t, type, gso_size, 0xffff);
	size_t l3 = t.version == 4 ? (t.v4_options ? 24 : 20) : 40;
	size_t l4h = t.proto == 6 ? (t.ts ? 32 : 20) : 8;
	int n = (int)((t.payload + gso_size - 1) / gso_size);
	size_t done = 0;
	uint8_t out[2048];
	struct fzgw_gso s;

	assert_int_equal(fzgw_gso_start(&s, rec, len), n);
	for (int i = 0; i < n; i++) {
		size_t seg = t.payload - done < gso_size ? t.payload - done : gso_size;
		int got = fzgw_gso_next(&s, out, sizeof(out));
		struct fzgw_ip v;

		assert_int_equal(got, l3 + l4h + seg);
		assert_int_equal(fzgw_ip_parse(&v, out, (size_t)got, mtu), 0);
		assert_true(fzgw_csum_verify_all(out, &v));
		/* the headers are the original ones but for the fields a segment changes */
		if (t.version == 4) {
			assert_int_equal(get16(out + 4), (uint16_t)(t.id + i));
			assert_memory_equal(out + 6, big + 6, 4);
			assert_memory_equal(out + 12, big + 12, l3 - 12);
		} else {
			assert_memory_equal(out, big, 4);
			assert_memory_equal(out + 6, big + 6, 34);
		}
		if (t.proto == 6) {
			uint8_t f = t.flags;

			assert_int_equal(get32(out + l3 + 4), (uint32_t)(t.seq + done));
			if (i < n - 1)
				f &= (uint8_t)~(T_FIN | T_PSH);
			if (i > 0)
				f &= (uint8_t)~T_CWR;
			assert_int_equal(out[l3 + 13], f);
			assert_memory_equal(out + l3 + 8, big + l3 + 8, 5);
			assert_memory_equal(out + l3 + 14, big + l3 + 14, 2);
			assert_memory_equal(out + l3 + 18, big + l3 + 18, l4h - 18);
		} else {
			assert_int_equal(get16(out + l3 + 4), 8 + seg);
		}
		assert_memory_equal(out + l3 + l4h, big + l3 + l4h + done, seg);
		done += seg;
	}
	assert_int_equal(done, t.payload);
	assert_int_equal(fzgw_gso_next(&s, out, sizeof(out)), 0);
	assert_int_equal(fzgw_gso_next(&s, out, sizeof(out)), 0);
}

static void test_tcp4(void **state)
{
	struct tseg t = seg_defaults(4);

	(void)state;
	t.flags = T_ACK | T_PSH | T_FIN | T_CWR;
	t.payload = 4000;
	check_split(t, FZGW_VNET_GSO_TCPV4, 1368, 1420);
	/* exactly 47 full segments of a 64 KB packet, no timestamps, no options in IPv4 */
	t.ts = false;
	t.flags = T_ACK;
	t.payload = 47 * 1380;
	check_split(t, FZGW_VNET_GSO_TCPV4, 1380, 1420);
	/* IPv4 options are copied into every segment */
	t.v4_options = true;
	t.payload = 3000;
	check_split(t, FZGW_VNET_GSO_TCPV4, 1000, 1420);
	/* the identification wraps */
	t.v4_options = false;
	t.id = 0xfffe;
	check_split(t, FZGW_VNET_GSO_TCPV4, 700, 1420);
}

static void test_tcp6(void **state)
{
	struct tseg t = seg_defaults(6);

	(void)state;
	t.flags = T_ACK | T_PSH | T_CWR;
	t.payload = 65535 - 40 - 32;
	check_split(t, FZGW_VNET_GSO_TCPV6, 1348, 1420);
	/* the sequence number wraps */
	t.seq = 0xfffffc00;
	t.payload = 5000;
	check_split(t, FZGW_VNET_GSO_TCPV6, 1348, 1420);
}

static void test_udp(void **state)
{
	struct tseg t = seg_defaults(4);

	(void)state;
	t.proto = 17;
	t.payload = 10 * 1200 + 17;
	check_split(t, FZGW_VNET_GSO_UDP_L4, 1200, 1280);
	t = seg_defaults(6);
	t.proto = 17;
	t.payload = 3 * 1000;
	check_split(t, FZGW_VNET_GSO_UDP_L4, 1000, 1280);
}

/* Tiny segments: many packets from one record. */
static void test_many(void **state)
{
	struct tseg t = seg_defaults(4);

	(void)state;
	t.payload = 2000;
	check_split(t, FZGW_VNET_GSO_TCPV4, 1, 1280);
	t.payload = 60000;
	check_split(t, FZGW_VNET_GSO_TCPV4, 88, 1280);
}

/* No GSO: the packet as it is, its partial checksum completed when the kernel asks. */
static void test_none(void **state)
{
	uint8_t out[2048];
	struct fzgw_gso s;
	size_t len;
	struct tseg t;

	(void)state;
	for (int v = 4; v <= 6; v += 2) {
		for (int proto = 6; proto <= 17; proto += 11) {
			t = seg_defaults(v);
			t.proto = (uint8_t)proto;
			t.payload = 333;
			len = gso_record(&t, FZGW_VNET_GSO_NONE, 0, 0) - FZGW_VNET_HDR_LEN;
			assert_false(seg_csum_ok(rec + FZGW_VNET_HDR_LEN, len));
			assert_int_equal(fzgw_gso_start(&s, rec, FZGW_VNET_HDR_LEN + len), 1);
			assert_int_equal(fzgw_gso_next(&s, out, sizeof(out)), len);
			assert_true(seg_csum_ok(out, len));
			seg_build(big, &t);
			assert_memory_equal(out, big, len);
			assert_int_equal(fzgw_gso_next(&s, out, sizeof(out)), 0);
		}
	}
	/* without NEEDS_CSUM the bytes are not looked at */
	memset(rec, 0, FZGW_VNET_HDR_LEN);
	memset(rec + FZGW_VNET_HDR_LEN, 0xee, 100);
	assert_int_equal(fzgw_gso_start(&s, rec, FZGW_VNET_HDR_LEN + 100), 1);
	assert_int_equal(fzgw_gso_next(&s, out, 99), -ENOBUFS);
	assert_int_equal(fzgw_gso_next(&s, out, sizeof(out)), 0);
	assert_int_equal(fzgw_gso_start(&s, rec, FZGW_VNET_HDR_LEN + 100), 1);
	assert_int_equal(fzgw_gso_next(&s, out, sizeof(out)), 100);
	assert_memory_equal(out, rec + FZGW_VNET_HDR_LEN, 100);
}

/* A UDP checksum that sums to zero is sent as 0xffff (zero means "none"). */
static void test_udp_zero_csum(void **state)
{
	struct tseg t = seg_defaults(4);
	uint8_t out[2048];
	struct fzgw_gso s;
	size_t len, l4;
	uint16_t c;

	(void)state;
	t.proto = 17;
	t.payload = 100;
	len = seg_build(big, &t);
	l4 = len - 20;
	/* choose the last payload word so that the checksum comes out as 0 */
	big[len - 2] = big[len - 1] = 0;
	big[26] = big[27] = 0;
	c = (uint16_t)~fzgw_csum_partial(big + 20, l4, fzgw_csum_fold(
		fzgw_csum_partial(big + 12, 8, 0) + 17 + (uint32_t)l4));
	big[len - 2] = (uint8_t)(c >> 8);
	big[len - 1] = (uint8_t)c;
	memcpy(rec + FZGW_VNET_HDR_LEN, big, len);
	{
		uint32_t sum = fzgw_csum_partial(big + 12, 8, 0) + 17 + (uint32_t)l4;
		struct fzgw_vnet_hdr h = { .flags = FZGW_VNET_F_NEEDS_CSUM, .csum_start = 20,
					   .csum_offset = 6 };

		rec[FZGW_VNET_HDR_LEN + 26] = (uint8_t)(fzgw_csum_fold(sum) >> 8);
		rec[FZGW_VNET_HDR_LEN + 27] = (uint8_t)fzgw_csum_fold(sum);
		memcpy(rec, &h, sizeof(h));
	}
	assert_int_equal(fzgw_gso_start(&s, rec, FZGW_VNET_HDR_LEN + len), 1);
	assert_int_equal(fzgw_gso_next(&s, out, sizeof(out)), len);
	assert_int_equal(get16(out + 26), 0xffff);
	assert_true(seg_csum_ok(out, len));

	/* the same datagram as a one-segment USO record */
	memcpy(big + 26, (uint8_t[]){ 0, 0 }, 2);
	memcpy(rec + FZGW_VNET_HDR_LEN, big, len);
	{
		struct fzgw_vnet_hdr h = { .flags = FZGW_VNET_F_NEEDS_CSUM,
					   .gso_type = FZGW_VNET_GSO_UDP_L4, .gso_size = 1000,
					   .csum_start = 20, .csum_offset = 6 };

		memcpy(rec, &h, sizeof(h));
	}
	assert_int_equal(fzgw_gso_start(&s, rec, FZGW_VNET_HDR_LEN + len), 1);
	assert_int_equal(fzgw_gso_next(&s, out, sizeof(out)), len);
	assert_int_equal(get16(out + 26), 0xffff);
	assert_true(seg_csum_ok(out, len));
}

/* A segment that does not fit is skipped; the next ones still come. */
static void test_nobufs(void **state)
{
	struct tseg t = seg_defaults(4);
	uint8_t out[2048];
	struct fzgw_gso s;
	size_t len;

	(void)state;
	t.payload = 2500;
	len = gso_record(&t, FZGW_VNET_GSO_TCPV4, 1000, 0);
	assert_int_equal(fzgw_gso_start(&s, rec, len), 3);
	assert_int_equal(fzgw_gso_next(&s, out, 1000), -ENOBUFS);
	assert_int_equal(fzgw_gso_next(&s, out, sizeof(out)), 52 + 1000);
	assert_int_equal(get32(out + 24), t.seq + 1000);
	assert_int_equal(fzgw_gso_next(&s, out, sizeof(out)), 52 + 500);
	assert_true(seg_csum_ok(out, 552));
	assert_int_equal(fzgw_gso_next(&s, out, sizeof(out)), 0);
}

/* Records that do not add up are refused before anything is cut. */
static void test_refused(void **state)
{
	struct tseg t4 = seg_defaults(4), t6 = seg_defaults(6);
	struct fzgw_vnet_hdr *h = (struct fzgw_vnet_hdr *)(void *)rec;
	uint8_t *p = rec + FZGW_VNET_HDR_LEN;
	struct fzgw_gso s;
	size_t len;

	(void)state;
	t4.payload = t6.payload = 3000;
	/* too short for a header; a header alone; more than 64 KB */
	assert_int_equal(fzgw_gso_start(&s, rec, 0), -EINVAL);
	assert_int_equal(fzgw_gso_start(&s, rec, FZGW_VNET_HDR_LEN), -EINVAL);
	assert_int_equal(fzgw_gso_start(&s, rec, FZGW_VNET_HDR_LEN + 65536), -EINVAL);

	/* GSO types never asked for */
	len = gso_record(&t4, FZGW_VNET_GSO_TCPV4 | FZGW_VNET_GSO_ECN, 1000, 0);
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EPROTONOSUPPORT);
	len = gso_record(&t4, 3 /* UFO */, 1000, 0);
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EPROTONOSUPPORT);
	len = gso_record(&t4, 9, 1000, 0);
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EPROTONOSUPPORT);

	/* the type's IP version or protocol does not match the packet */
	len = gso_record(&t6, FZGW_VNET_GSO_TCPV4, 1000, 0);
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EINVAL);
	len = gso_record(&t4, FZGW_VNET_GSO_TCPV6, 1000, 0);
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EINVAL);
	len = gso_record(&t4, FZGW_VNET_GSO_UDP_L4, 1000, 0);
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EINVAL);
	len = gso_record(&t4, FZGW_VNET_GSO_TCPV4, 1000, 0);
	p[0] = 0x55;
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EINVAL);

	/* gso_size 0 */
	len = gso_record(&t4, FZGW_VNET_GSO_TCPV4, 0, 0);
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EINVAL);

	/* csum_start elsewhere than the end of the IP header */
	len = gso_record(&t4, FZGW_VNET_GSO_TCPV4, 1000, 0);
	h->csum_start = 24;
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EINVAL);

	/* IP lengths that do not match the record; a fragment */
	len = gso_record(&t4, FZGW_VNET_GSO_TCPV4, 1000, 0);
	assert_int_equal(fzgw_gso_start(&s, rec, len - 1), -EINVAL);
	len = gso_record(&t6, FZGW_VNET_GSO_TCPV6, 1000, 0);
	assert_int_equal(fzgw_gso_start(&s, rec, len + 1), -EINVAL);
	len = gso_record(&t4, FZGW_VNET_GSO_TCPV4, 1000, 0);
	p[6] |= 0x20;
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EINVAL);
	len = gso_record(&t4, FZGW_VNET_GSO_TCPV4, 1000, 0);
	p[0] = 0x44;
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EINVAL);

	/* an IPv6 extension header */
	len = gso_record(&t6, FZGW_VNET_GSO_TCPV6, 1000, 0);
	p[6] = 60;
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EINVAL);

	/* TCP data offset below 5; headers without payload */
	len = gso_record(&t4, FZGW_VNET_GSO_TCPV4, 1000, 0);
	p[20 + 12] = 0x40;
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EINVAL);
	t4.payload = 0;
	len = gso_record(&t4, FZGW_VNET_GSO_TCPV4, 1000, 0);
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EINVAL);

	/* a partial checksum whose place lies outside the packet */
	t4.payload = 10;
	len = gso_record(&t4, FZGW_VNET_GSO_NONE, 0, 0);
	h->csum_start = (uint16_t)(len - FZGW_VNET_HDR_LEN);
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EINVAL);
	h->csum_start = 20;
	h->csum_offset = (uint16_t)(len - FZGW_VNET_HDR_LEN - 21);
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EINVAL);
	h->csum_offset = 0xffff;
	assert_int_equal(fzgw_gso_start(&s, rec, len), -EINVAL);
	h->csum_offset = (uint16_t)(len - FZGW_VNET_HDR_LEN - 22);
	assert_int_equal(fzgw_gso_start(&s, rec, len), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4),
		cmocka_unit_test(test_tcp6),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_udp_zero_csum),
		cmocka_unit_test(test_nobufs),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
