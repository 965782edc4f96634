/* SPDX-License-Identifier: Apache-2.0 */
/* The RFC 7983 classifier on the WireGuard port: STUN, ChannelData, and everything else to
 * WireGuard, with real WireGuard messages (whose first byte 1..3 is also STUN's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sodium.h>

#include "udp_class.h"
#include "wg.h"

#define WG FZGW_UDP_WIREGUARD
#define STUN FZGW_UDP_STUN
#define CD FZGW_UDP_CHANNELDATA

static void put_stun(uint8_t *d, uint16_t type, uint16_t len)
{
	memset(d, 0xab, 20u + len);
	d[0] = (uint8_t)(type >> 8);
	d[1] = (uint8_t)type;
	d[2] = (uint8_t)(len >> 8);
	d[3] = (uint8_t)len;
	d[4] = 0x21, d[5] = 0x12, d[6] = 0xA4, d[7] = 0x42;
}

static void test_stun(void **st)
{
	uint8_t d[256];

	(void)st;
	put_stun(d, 0x0001, 0); /* Binding request, no attribute */
	assert_int_equal(fzgw_udp_classify(d, 20), STUN);
	put_stun(d, 0x0001, 88); /* RFC 5769's request: 88 bytes of attributes */
	assert_int_equal(fzgw_udp_classify(d, 108), STUN);
	put_stun(d, 0x0101, 12); /* a success response starts with 0x01, as an initiation */
	assert_int_equal(fzgw_udp_classify(d, 32), STUN);
	put_stun(d, 0x0111, 8); /* error response */
	assert_int_equal(fzgw_udp_classify(d, 28), STUN);
	put_stun(d, 0x0300 | 0x03, 4); /* first byte 3: the last one STUN may use */
	assert_int_equal(fzgw_udp_classify(d, 24), STUN);

	put_stun(d, 0x0001, 8);
	assert_int_equal(fzgw_udp_classify(d, 32), WG); /* 20 + length != size */
	assert_int_equal(fzgw_udp_classify(d, 24), WG);
	put_stun(d, 0x0001, 6);
	assert_int_equal(fzgw_udp_classify(d, 26), WG); /* length not a multiple of 4 */
	put_stun(d, 0x0001, 0);
	d[7] = 0x43;
	assert_int_equal(fzgw_udp_classify(d, 20), WG); /* no magic cookie */
	put_stun(d, 0x0001, 0);
	assert_int_equal(fzgw_udp_classify(d, 19), WG); /* shorter than a header */
	put_stun(d, 0x0401, 0);
	assert_int_equal(fzgw_udp_classify(d, 20), WG); /* first byte 4: WireGuard data */
	put_stun(d, 0x8001, 0);
	assert_int_equal(fzgw_udp_classify(d, 20), WG); /* 0x80..: neither (RTP/DTLS ranges) */
	assert_int_equal(fzgw_udp_classify(d, 0), WG);
}

static void test_channeldata(void **st)
{
	uint8_t d[64];

	(void)st;
	memset(d, 0, sizeof(d));
	d[0] = 0x40, d[1] = 0x00, d[2] = 0, d[3] = 8;
	assert_int_equal(fzgw_udp_classify(d, 12), CD);
	assert_int_equal(fzgw_udp_classify(d, 16), CD); /* padding after the data */
	assert_int_equal(fzgw_udp_classify(d, 11), WG); /* the length does not fit */
	d[0] = 0x4F, d[1] = 0xFF;
	assert_int_equal(fzgw_udp_classify(d, 12), CD);
	d[3] = 0;
	assert_int_equal(fzgw_udp_classify(d, 4), CD); /* empty data */
	assert_int_equal(fzgw_udp_classify(d, 3), WG);
	d[0] = 0x3F;
	d[3] = 8;
	assert_int_equal(fzgw_udp_classify(d, 12), WG);
	d[0] = 0x50;
	assert_int_equal(fzgw_udp_classify(d, 12), WG);
	d[0] = 0x44, d[2] = 0xFF, d[3] = 0xFF;
	assert_int_equal(fzgw_udp_classify(d, 64), WG);
}

/* ------------------------------------------------------------ real WireGuard messages */

struct cap {
	uint8_t buf[4][256];
	size_t len[4];
	int n;
};

static uint64_t now_ns(void *user)
{
	(void)user;
	return 1000000000ull;
}

static void capture(void *user, struct fzgw_wg_peer *peer, const struct fzgw_wg_endpoint *ep,
		    const uint8_t *buf, size_t len)
{
	struct cap *c = user;

	(void)peer, (void)ep;
	assert_true(c->n < 4 && len <= sizeof(c->buf[0]));
	memcpy(c->buf[c->n], buf, len);
	c->len[c->n++] = len;
}

/* The message of @type with the magic cookie where STUN has it (a sender or receiver index
 * can take any value): still WireGuard. */
static void assert_wireguard(uint8_t *m, size_t len, int type)
{
	uint8_t copy[2048];

	assert_int_equal(m[0], type);
	assert_int_equal(fzgw_wg_msg_classify(m, len), type);
	assert_int_equal(fzgw_udp_classify(m, len), WG);
	memcpy(copy, m, len);
	copy[4] = 0x21, copy[5] = 0x12, copy[6] = 0xA4, copy[7] = 0x42;
	assert_int_equal(fzgw_udp_classify(copy, len), WG);
}

static void test_wireguard_messages(void **st)
{
	struct cap ci = { 0 }, cr = { 0 };
	struct fzgw_wg_ops oi = { .user = &ci, .now_ns = now_ns, .send = capture };
	struct fzgw_wg_ops orr = { .user = &cr, .now_ns = now_ns, .send = capture };
	struct fzgw_wg *i, *r;
	struct fzgw_wg_peer *i_r, *r_i, *from;
	struct fzgw_wg_endpoint ep;
	const struct fzgw_wg_endpoint *out_ep;
	uint8_t ki[32], kr[32], pi[32], pr[32], data[1400], init[148];
	size_t off, plen, out;

	(void)st;
	assert_true(sodium_init() >= 0);
	randombytes_buf(ki, 32);
	randombytes_buf(kr, 32);
	assert_int_equal(fzgw_wg_new(&i, ki, &oi), 0);
	assert_int_equal(fzgw_wg_new(&r, kr, &orr), 0);
	fzgw_wg_public_key(i, pi);
	fzgw_wg_public_key(r, pr);
	assert_int_equal(fzgw_wg_peer_add(i, pr, NULL, NULL, &i_r), 0);
	assert_int_equal(fzgw_wg_peer_add(r, pi, NULL, NULL, &r_i), 0);
	memset(&ep, 0, sizeof(ep));
	ep.in4.sin_family = AF_INET;
	ep.in4.sin_port = htons(51820);
	ep.len = sizeof(ep.in4);
	assert_int_equal(fzgw_wg_peer_set_endpoint(i_r, &ep), 0);

	/* initiation (148), response (92) */
	assert_int_equal(fzgw_wg_initiate(i, i_r), 0);
	assert_int_equal(ci.n, 1);
	memcpy(init, ci.buf[0], sizeof(init));
	assert_wireguard(ci.buf[0], ci.len[0], FZGW_WG_MSG_INITIATION);
	assert_int_equal(fzgw_wg_receive(r, &ep, ci.buf[0], ci.len[0], &from, &off, &plen), FZGW_WG_RX_DONE);
	assert_int_equal(cr.n, 1);
	assert_wireguard(cr.buf[0], cr.len[0], FZGW_WG_MSG_RESPONSE);
	assert_int_equal(fzgw_wg_receive(i, &ep, cr.buf[0], cr.len[0], &from, &off, &plen), FZGW_WG_RX_DONE);
	/* transport data: the initiator's keepalive (32) and a full-size packet */
	assert_int_equal(ci.n, 2);
	assert_wireguard(ci.buf[1], ci.len[1], FZGW_WG_MSG_DATA);
	memset(data, 0, sizeof(data));
	data[16] = 0x45;
	assert_int_equal(fzgw_wg_encrypt(i, i_r, data, 1280, sizeof(data), 1280, &out, &out_ep), 0);
	assert_wireguard(data, out, FZGW_WG_MSG_DATA);
	/* a cookie reply (64): the responder under load answers an initiation with one */
	fzgw_wg_set_under_load(r, true);
	assert_int_equal(fzgw_wg_receive(r, &ep, init, sizeof(init), &from, &off, &plen),
			 -FZGW_WG_DROP_MAC2_INVALID);
	assert_int_equal(cr.n, 2);
	assert_int_equal(cr.len[1], FZGW_WG_COOKIE_REPLY_LEN);
	assert_wireguard(cr.buf[1], cr.len[1], FZGW_WG_MSG_COOKIE);
	fzgw_wg_free(i);
	fzgw_wg_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stun),
		cmocka_unit_test(test_channeldata),
		cmocka_unit_test(test_wireguard_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
