/* SPDX-License-Identifier: Apache-2.0 */
/* Handshake and transport between two engines: data both ways, PSK, low-order keys, TAI64N replay, roaming, padding. */
#include "test_wg_harness.c"

#include "blake2s.h"

/* The 7 low-order Curve25519 points used by the kernel's netns.sh. */
static const char *const low_order_b64[] = {
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	"4Ot6fDtBuK4WVuP68Z/EatoJjeucMrH9hmIFFl9JuAA=",
	"X5yVvKNQjCSx0LFVnIPvWwREXMRYHI6G2CJO3dCfEVc=",
	"7P///////////////////////////////////////38=",
	"7f///////////////////////////////////////38=",
	"7v///////////////////////////////////////38=",
};

static void low_order_key(uint8_t out[32], int i)
{
	size_t len;

	assert_int_equal(sodium_base642bin(out, 32, low_order_b64[i],
					   strlen(low_order_b64[i]), NULL, &len,
					   NULL, sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_int_equal(len, 32);
}

struct pair {
	struct wgt_world w;
	struct wgt_node *a, *b; /* a initiates */
	struct fzgw_wg_peer *pa, *pb;
};

static void pair_setup(struct pair *p, const uint8_t *psk)
{
	wgt_world_init(&p->w, 42);
	p->a = wgt_node_add(&p->w, "192.0.2.1", 51820);
	p->b = wgt_node_add(&p->w, "192.0.2.2", 51821);
	wgt_pair(p->a, p->b, psk, &p->pa, &p->pb);
}

static void exchange_data(struct pair *p)
{
	uint8_t ip[100], ip2[61];
	struct fzgw_wg_stats sa, sb;

	/* a has no session: the packet is queued and a handshake starts. */
	wgt_make_ip(ip, sizeof(ip), 0xa1);
	assert_int_equal(wgt_send_ip(p->a, p->pa, ip, sizeof(ip)), -ENOKEY);
	wgt_run(&p->w);
	/* Initiation -> response -> queued packet flushed from SESSION_READY. */
	assert_int_equal(p->a->ready, 1);
	assert_int_equal(p->b->rx_data, 1);
	assert_ptr_equal(p->b->rx_peer, p->pb);
	assert_int_equal(p->b->rx_len, sizeof(ip));
	assert_memory_equal(p->b->rx_buf, ip, sizeof(ip));
	/* b learnt a's endpoint from the initiation, and the data confirmed it. */
	assert_int_equal(p->b->ready, 1);
	assert_true(fzgw_wg_peer_has_session(p->pb));

	/* And back: odd length, padded on the wire, trimmed on receipt. */
	wgt_make_ip(ip2, sizeof(ip2), 0xb2);
	assert_int_equal(wgt_send_ip(p->b, p->pb, ip2, sizeof(ip2)), 0);
	wgt_run(&p->w);
	assert_int_equal(p->a->rx_data, 1);
	assert_int_equal(p->a->rx_len, sizeof(ip2));
	assert_memory_equal(p->a->rx_buf, ip2, sizeof(ip2));

	fzgw_wg_stats(p->a->wg, &sa);
	fzgw_wg_stats(p->b->wg, &sb);
	assert_int_equal(sa.handshakes_completed, 1);
	assert_int_equal(sb.handshakes_completed, 1);
	assert_int_equal(sa.initiations_sent, 1);
	assert_int_equal(sb.responses_sent, 1);
	/* Initiator: e, es, se (ephemeral gen + 2 DH) and ee, se on the response. */
	assert_int_equal(sa.x25519_ops, 4);
	assert_int_equal(sb.x25519_ops, 4);
	for (int i = 0; i < FZGW_WG_DROP_COUNT; i++) {
		assert_int_equal(sa.drops[i], 0);
		assert_int_equal(sb.drops[i], 0);
	}
}

static void test_handshake_and_data(void **state)
{
	struct pair p;

	pair_setup(&p, NULL);
	exchange_data(&p);
	wgt_world_free(&p.w);
}

static void test_handshake_with_psk(void **state)
{
	uint8_t psk[32];
	struct pair p;

	memset(psk, 0x5a, sizeof(psk));
	pair_setup(&p, psk);
	exchange_data(&p);
	wgt_world_free(&p.w);
}

static void test_psk_mismatch_fails(void **state)
{
	uint8_t psk[32], ip[40];
	struct pair p;
	struct fzgw_wg_stats sa;

	memset(psk, 0x5a, sizeof(psk));
	pair_setup(&p, psk);
	psk[0] ^= 1;
	assert_int_equal(fzgw_wg_peer_set_psk(p.pb, psk), 0);
	wgt_make_ip(ip, sizeof(ip), 1);
	assert_int_equal(wgt_send_ip(p.a, p.pa, ip, sizeof(ip)), -ENOKEY);
	wgt_run(&p.w);
	/* The responder cannot tell; the initiator's response check fails. */
	fzgw_wg_stats(p.a->wg, &sa);
	assert_int_equal(sa.drops[FZGW_WG_DROP_HS_DECRYPT], 1);
	assert_int_equal(p.a->ready, 0);
	assert_int_equal(p.b->rx_data, 0);
	wgt_world_free(&p.w);
}

/* Many packets both ways, out of order and replayed. */
static void test_transport_many_and_replay(void **state)
{
	struct pair p;
	uint8_t ip[200], buf[512], saved[512];
	const struct fzgw_wg_endpoint *ep;
	struct fzgw_wg_peer *peer;
	struct fzgw_wg_peer_stats ps;
	struct fzgw_wg_stats st;
	size_t out_len, saved_len, off, plen;
	int rc;

	pair_setup(&p, NULL);
	exchange_data(&p);
	for (int i = 0; i < 1000; i++) {
		size_t len = 28 + (size_t)i % 170;

		wgt_make_ip(ip, len, (uint8_t)i);
		assert_int_equal(wgt_send_ip(p.a, p.pa, ip, len), 0);
		wgt_run(&p.w);
		assert_int_equal(p.b->rx_len, len);
		assert_memory_equal(p.b->rx_buf, ip, len);
	}
	/* Capture one datagram and replay it 1000 times. */
	wgt_make_ip(ip, 60, 0x77);
	memcpy(buf + 16, ip, 60);
	assert_int_equal(fzgw_wg_encrypt(p.a->wg, p.pa, buf, 60, sizeof(buf), 1420,
					 &out_len, &ep),
			 0);
	assert_int_equal(out_len, 16 + 64 + 16);
	memcpy(saved, buf, out_len);
	saved_len = out_len;
	rc = fzgw_wg_receive(p.b->wg, &p.a->ep, buf, out_len, &peer, &off, &plen);
	assert_int_equal(rc, FZGW_WG_RX_DATA);
	for (int i = 0; i < 1000; i++) {
		memcpy(buf, saved, saved_len);
		rc = fzgw_wg_receive(p.b->wg, &p.a->ep, buf, saved_len, &peer,
				     &off, &plen);
		assert_int_equal(rc, -FZGW_WG_DROP_REPLAY);
	}
	fzgw_wg_peer_stats(p.pb, &ps);
	assert_int_equal(ps.rx_replay_dropped, 1000);
	fzgw_wg_stats(p.b->wg, &st);
	assert_int_equal(st.drops[FZGW_WG_DROP_REPLAY], 1000);
	/* A flipped bit fails authentication and is counted. */
	memcpy(buf, saved, saved_len);
	buf[20] ^= 0x10;
	rc = fzgw_wg_receive(p.b->wg, &p.a->ep, buf, saved_len, &peer, &off, &plen);
	assert_int_equal(rc, -FZGW_WG_DROP_DECRYPT);
	fzgw_wg_peer_stats(p.pb, &ps);
	assert_int_equal(ps.decrypt_failed, 1);
	/* The tunnel still works. */
	assert_int_equal(wgt_send_ip(p.a, p.pa, ip, 60), 0);
	wgt_run(&p.w);
	assert_int_equal(p.b->last_rc, FZGW_WG_RX_DATA);
	wgt_world_free(&p.w);
}

/* Padding to 16, capped at the MTU; encryption refuses a short buffer. */
static void test_padding(void **state)
{
	struct pair p;
	uint8_t buf[2048];
	const struct fzgw_wg_endpoint *ep;
	size_t out_len;

	pair_setup(&p, NULL);
	exchange_data(&p);
	for (size_t len = 28; len <= 1420; len++) {
		size_t want = (len + 15) / 16 * 16;

		if (want > 1420)
			want = 1420;
		wgt_make_ip(buf + 16, len, 3);
		assert_int_equal(fzgw_wg_encrypt(p.a->wg, p.pa, buf, len, sizeof(buf),
						 1420, &out_len, &ep),
				 0);
		assert_int_equal(out_len, 32 + want);
	}
	/* MTU 1299 (netns.sh route-MTU case): 1297 pads to 1299, not 1312. */
	wgt_make_ip(buf + 16, 1297, 3);
	assert_int_equal(fzgw_wg_encrypt(p.a->wg, p.pa, buf, 1297, sizeof(buf), 1299,
					 &out_len, &ep),
			 0);
	assert_int_equal(out_len, 32 + 1299);
	assert_int_equal(fzgw_wg_encrypt(p.a->wg, p.pa, buf, 100, 16 + 100 + 12 + 15,
					 1420, &out_len, &ep),
			 -EMSGSIZE);
	assert_int_equal(fzgw_wg_encrypt(p.a->wg, p.pa, buf, 100, 16 + 112 + 16, 1420,
					 &out_len, &ep),
			 0);
	wgt_world_free(&p.w);
}

static void test_low_order_peer_keys_refused(void **state)
{
	struct wgt_world w;
	struct wgt_node *a;
	struct fzgw_wg_peer *peer;
	uint8_t key[32];

	wgt_world_init(&w, 7);
	a = wgt_node_add(&w, "192.0.2.1", 1);
	for (int i = 0; i < 7; i++) {
		low_order_key(key, i);
		assert_int_equal(fzgw_wg_peer_add(a->wg, key, NULL, NULL, &peer), -EINVAL);
		assert_null(peer);
	}
	/* Our own key is refused too. */
	assert_int_equal(fzgw_wg_peer_add(a->wg, a->pub, NULL, NULL, &peer), -EINVAL);
	assert_int_equal(w.nlog, 0);
	wgt_world_free(&w);
}

/* An initiation whose ephemeral is a low-order point (with a valid mac1) is
 * refused at the first DH, and nothing is sent back. */
static void test_low_order_ephemeral_refused(void **state)
{
	struct pair p;
	uint8_t msg[148], key[32], mac1_key[32];
	struct fzgw_wg_blake2s s;
	struct fzgw_wg_peer *peer;
	struct fzgw_wg_stats st;
	size_t off, plen;

	pair_setup(&p, NULL);
	fzgw_wg_blake2s_init(&s, 32, NULL, 0);
	fzgw_wg_blake2s_update(&s, "mac1----", 8);
	fzgw_wg_blake2s_update(&s, p.b->pub, 32);
	fzgw_wg_blake2s_final(&s, mac1_key);
	for (int i = 0; i < 7; i++) {
		memset(msg, 0, sizeof(msg));
		msg[0] = 1;
		msg[4] = (uint8_t)i;
		low_order_key(key, i);
		memcpy(msg + 8, key, 32);
		fzgw_wg_blake2s(msg + 116, 16, msg, 116, mac1_key, 32);
		assert_int_equal(fzgw_wg_receive(p.b->wg, &p.a->ep, msg, sizeof(msg),
						 &peer, &off, &plen),
				 -FZGW_WG_DROP_HS_LOW_ORDER);
	}
	fzgw_wg_stats(p.b->wg, &st);
	assert_int_equal(st.drops[FZGW_WG_DROP_HS_LOW_ORDER], 7);
	assert_int_equal(st.tx_packets, 0);
	assert_int_equal(p.w.nlog, 0);
	wgt_world_free(&p.w);
}

/* The same initiation 100 times: one handshake, 99 replays dropped. */
static void test_stale_tai64n(void **state)
{
	struct pair p;
	struct wgt_pkt init;
	struct fzgw_wg_peer *peer;
	struct fzgw_wg_peer_stats ps;
	struct fzgw_wg_stats st;
	uint8_t buf[148];
	size_t off, plen;
	int ok = 0;

	pair_setup(&p, NULL);
	assert_int_equal(fzgw_wg_initiate(p.a->wg, p.pa), 0);
	assert_int_equal(p.w.qlen, 1);
	init = p.w.queue[p.w.qhead];
	wgt_clear_queue(&p.w);
	for (int i = 0; i < 100; i++) {
		memcpy(buf, init.buf, sizeof(buf));
		/* Spread them out so the 20 ms flood rule is not what stops them. */
		p.w.now += 50 * WGT_MSEC;
		if (fzgw_wg_receive(p.b->wg, &p.a->ep, buf, sizeof(buf), &peer,
				    &off, &plen) == FZGW_WG_RX_DONE)
			ok++;
	}
	assert_int_equal(ok, 1);
	fzgw_wg_stats(p.b->wg, &st);
	assert_int_equal(st.responses_sent, 1);
	assert_int_equal(st.drops[FZGW_WG_DROP_HS_REPLAY], 99);
	fzgw_wg_peer_stats(p.pb, &ps);
	assert_int_equal(ps.hs_replay_dropped, 99);
	wgt_world_free(&p.w);
}

/* Two fresh initiations from one peer less than 20 ms apart: the second is a flood. */
static void test_initiation_flood(void **state)
{
	struct pair p;
	struct fzgw_wg_peer_stats ps;

	pair_setup(&p, NULL);
	/* Two initiations made 5 s apart (newer timestamp each) ... */
	assert_int_equal(fzgw_wg_initiate(p.a->wg, p.pa), 0);
	p.w.now += 5 * WGT_NSEC;
	assert_int_equal(fzgw_wg_initiate(p.a->wg, p.pa), 0);
	/* ... arrive back to back. */
	assert_true(wgt_step(&p.w));
	assert_int_equal(p.b->last_rc, FZGW_WG_RX_DONE);
	assert_true(wgt_step(&p.w));
	assert_int_equal(p.b->last_rc, -FZGW_WG_DROP_HS_FLOOD);
	fzgw_wg_peer_stats(p.pb, &ps);
	assert_int_equal(ps.hs_flood_dropped, 1);
	assert_int_equal(ps.hs_replay_dropped, 0);
	wgt_world_free(&p.w);
}

/* The endpoint moves only on an authenticated packet. */
static void test_roaming(void **state)
{
	struct pair p;
	struct fzgw_wg_endpoint new_ep;
	struct fzgw_wg_peer *peer;
	uint8_t ip[40], buf[256], saved[256];
	const struct fzgw_wg_endpoint *ep;
	size_t len, off, plen;

	pair_setup(&p, NULL);
	exchange_data(&p);
	assert_true(wgt_ep_equal(fzgw_wg_peer_endpoint(p.pb), &p.a->ep));

	wgt_endpoint6(&new_ep, "2001:db8::7", 9999);
	wgt_make_ip(ip, sizeof(ip), 9);
	memcpy(buf + 16, ip, sizeof(ip));
	assert_int_equal(fzgw_wg_encrypt(p.a->wg, p.pa, buf, sizeof(ip), sizeof(buf),
					 1420, &len, &ep),
			 0);
	memcpy(saved, buf, len);
	/* A forged copy from the new address changes nothing. */
	buf[len - 1] ^= 1;
	assert_int_equal(fzgw_wg_receive(p.b->wg, &new_ep, buf, len, &peer, &off, &plen),
			 -FZGW_WG_DROP_DECRYPT);
	assert_true(wgt_ep_equal(fzgw_wg_peer_endpoint(p.pb), &p.a->ep));
	/* An unknown index from the new address changes nothing either. */
	memcpy(buf, saved, len);
	buf[4] ^= 0xff;
	assert_int_equal(fzgw_wg_receive(p.b->wg, &new_ep, buf, len, &peer, &off, &plen),
			 -FZGW_WG_DROP_UNKNOWN_INDEX);
	assert_true(wgt_ep_equal(fzgw_wg_peer_endpoint(p.pb), &p.a->ep));
	/* The genuine packet from the new address moves the endpoint. */
	memcpy(buf, saved, len);
	assert_int_equal(fzgw_wg_receive(p.b->wg, &new_ep, buf, len, &peer, &off, &plen),
			 FZGW_WG_RX_DATA);
	assert_true(wgt_ep_equal(fzgw_wg_peer_endpoint(p.pb), &new_ep));
	/* Its replay from the old address does not move it back. */
	memcpy(buf, saved, len);
	assert_int_equal(fzgw_wg_receive(p.b->wg, &p.a->ep, buf, len, &peer, &off, &plen),
			 -FZGW_WG_DROP_REPLAY);
	assert_true(wgt_ep_equal(fzgw_wg_peer_endpoint(p.pb), &new_ep));
	wgt_world_free(&p.w);
}

/* An inner packet whose length field lies is dropped after decryption. */
static void test_dishonest_inner_length(void **state)
{
	struct pair p;
	struct fzgw_wg_peer *peer;
	uint8_t buf[256];
	const struct fzgw_wg_endpoint *ep;
	size_t len, off, plen;

	pair_setup(&p, NULL);
	exchange_data(&p);
	wgt_make_ip(buf + 16, 40, 1);
	buf[16 + 3] = 200; /* claims 200 bytes */
	assert_int_equal(fzgw_wg_encrypt(p.a->wg, p.pa, buf, 40, sizeof(buf), 1420,
					 &len, &ep),
			 0);
	assert_int_equal(fzgw_wg_receive(p.b->wg, &p.a->ep, buf, len, &peer, &off, &plen),
			 -FZGW_WG_DROP_BAD_INNER);
	memset(buf + 16, 0x61, 40); /* not IP at all */
	assert_int_equal(fzgw_wg_encrypt(p.a->wg, p.pa, buf, 40, sizeof(buf), 1420,
					 &len, &ep),
			 0);
	assert_int_equal(fzgw_wg_receive(p.b->wg, &p.a->ep, buf, len, &peer, &off, &plen),
			 -FZGW_WG_DROP_BAD_INNER);
	wgt_world_free(&p.w);
}

/* Crossing initiations: both sides answer each other, neither response
 * matches any more, and the retransmit timer (with its jitter) sorts it out. */
static void test_crossing_handshakes(void **state)
{
	struct pair p;
	struct fzgw_wg_stats sa, sb;
	uint8_t ip[64];

	pair_setup(&p, NULL);
	assert_int_equal(fzgw_wg_peer_set_endpoint(p.pb, &p.a->ep), 0);
	exchange_data(&p);
	for (int i = 0; i < 40; i++) {
		p.w.now += 6 * WGT_NSEC;
		assert_int_equal(fzgw_wg_initiate(p.a->wg, p.pa), 0);
		assert_int_equal(fzgw_wg_initiate(p.b->wg, p.pb), 0);
		wgt_run(&p.w);
		/* Fine ticks keep the retransmit jitter meaningful. */
		wgt_advance(&p.w, 12 * WGT_NSEC, 10 * WGT_MSEC);
		wgt_make_ip(ip, sizeof(ip), (uint8_t)i);
		assert_int_equal(wgt_send_ip(p.a, p.pa, ip, sizeof(ip)), 0);
		wgt_run(&p.w);
		assert_int_equal(p.b->last_rc, FZGW_WG_RX_DATA);
		assert_int_equal(wgt_send_ip(p.b, p.pb, ip, sizeof(ip)), 0);
		wgt_run(&p.w);
		assert_int_equal(p.a->last_rc, FZGW_WG_RX_DATA);
	}
	/* 40 x 18 s = 720 s > REJECT_AFTER_TIME: sessions did rotate. */
	fzgw_wg_stats(p.a->wg, &sa);
	fzgw_wg_stats(p.b->wg, &sb);
	assert_true(sa.handshakes_completed >= 40);
	assert_true(sb.handshakes_completed >= 40);
	wgt_world_free(&p.w);
}

/* Peer table at scale: lookups by key, removal erases its indices. */
static void test_many_peers(void **state)
{
	struct wgt_world w;
	struct wgt_node *a;
	struct fzgw_wg_peer *peers[3000], *peer;
	uint8_t key[32], priv[32];

	wgt_world_init(&w, 3);
	a = wgt_node_add(&w, "192.0.2.1", 1);
	for (int i = 0; i < 3000; i++) {
		wgt_random(a, priv, 32);
		crypto_scalarmult_curve25519_base(key, priv);
		assert_int_equal(fzgw_wg_peer_add(a->wg, key, NULL, &peers[i], &peers[i]), 0);
		assert_int_equal(fzgw_wg_peer_add(a->wg, key, NULL, NULL, &peer), -EEXIST);
	}
	for (int i = 0; i < 3000; i++)
		assert_ptr_equal(fzgw_wg_peer_lookup(a->wg, fzgw_wg_peer_public_key(peers[i])),
				 peers[i]);
	for (int i = 0; i < 3000; i += 2) {
		memcpy(key, fzgw_wg_peer_public_key(peers[i]), 32);
		fzgw_wg_peer_remove(a->wg, peers[i]);
		assert_null(fzgw_wg_peer_lookup(a->wg, key));
	}
	wgt_world_free(&w);
}

static void test_max_peers(void **state)
{
	struct wgt_world w;
	struct wgt_node *a;
	struct fzgw_wg_limits lim = { .max_peers = 2 };
	struct fzgw_wg_peer *peer;
	uint8_t key[32], priv[32];

	wgt_world_init(&w, 4);
	a = wgt_node_add(&w, "192.0.2.1", 1);
	assert_int_equal(fzgw_wg_set_limits(a->wg, &lim), 0);
	for (int i = 0; i < 3; i++) {
		wgt_random(a, priv, 32);
		crypto_scalarmult_curve25519_base(key, priv);
		assert_int_equal(fzgw_wg_peer_add(a->wg, key, NULL, NULL, &peer),
				 i < 2 ? 0 : -ENOSPC);
	}
	wgt_world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_and_data),
		cmocka_unit_test(test_handshake_with_psk),
		cmocka_unit_test(test_psk_mismatch_fails),
		cmocka_unit_test(test_transport_many_and_replay),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_low_order_peer_keys_refused),
		cmocka_unit_test(test_low_order_ephemeral_refused),
		cmocka_unit_test(test_stale_tai64n),
		cmocka_unit_test(test_initiation_flood),
		cmocka_unit_test(test_roaming),
		cmocka_unit_test(test_dishonest_inner_length),
		cmocka_unit_test(test_crossing_handshakes),
		cmocka_unit_test(test_many_peers),
		cmocka_unit_test(test_max_peers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
