/* SPDX-License-Identifier: Apache-2.0 */
/* Cookies and load: mac2 binds a source address, cookies age out, replies only answer pending handshakes. */
#include "test_wg_harness.c"

#include "cookie.h"
#include "device.h"

struct setup {
	struct wgt_world w;
	struct wgt_node *a, *b; /* a initiates, b is the loaded responder */
	struct fzgw_wg_peer *pa, *pb;
};

static void setup_init(struct setup *s)
{
	wgt_world_init(&s->w, 1234);
	s->a = wgt_node_add(&s->w, "192.0.2.1", 40000);
	s->b = wgt_node_add(&s->w, "192.0.2.2", 51820);
	wgt_pair(s->a, s->b, NULL, &s->pa, &s->pb);
}

static struct fzgw_wg_stats stats(struct wgt_node *n)
{
	struct fzgw_wg_stats st;

	fzgw_wg_stats(n->wg, &st);
	return st;
}

/* Takes the one datagram in flight out of the queue. */
static struct wgt_pkt take(struct setup *s)
{
	struct wgt_pkt p;

	assert_int_equal(s->w.qlen, 1);
	p = s->w.queue[s->w.qhead];
	wgt_clear_queue(&s->w);
	return p;
}

static int deliver(struct wgt_node *to, const struct fzgw_wg_endpoint *src,
		   const struct wgt_pkt *p)
{
	uint8_t buf[2048];
	struct fzgw_wg_peer *peer;
	size_t off, plen;

	memcpy(buf, p->buf, p->len);
	return fzgw_wg_receive(to->wg, src, buf, p->len, &peer, &off, &plen);
}

/* Under load, an initiation without mac2 gets a cookie reply and no DH;
 * the initiator's next attempt carries mac2 and completes. */
static void test_cookie_round_trip(void **state)
{
	struct setup s;
	struct wgt_pkt init, reply, retry;

	setup_init(&s);
	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	init = take(&s);
	fzgw_wg_set_under_load(s.b->wg, true);
	assert_true(fzgw_wg_under_load(s.b->wg));
	assert_int_equal(deliver(s.b, &s.a->ep, &init), -FZGW_WG_DROP_MAC2_INVALID);
	assert_int_equal(stats(s.b).x25519_ops, 0);
	assert_int_equal(stats(s.b).cookies_sent, 1);
	reply = take(&s);
	assert_int_equal(reply.len, FZGW_WG_COOKIE_REPLY_LEN);
	assert_int_equal(reply.buf[0], FZGW_WG_MSG_COOKIE);
	assert_memory_equal(reply.buf + 4, init.buf + 4, 4); /* receiver = sender index */
	assert_int_equal(deliver(s.a, &s.b->ep, &reply), FZGW_WG_RX_DONE);
	assert_int_equal(stats(s.a).cookies_received, 1);

	/* The retransmission (REKEY_TIMEOUT + jitter later) carries mac2. */
	s.w.now += 5400 * WGT_MSEC;
	fzgw_wg_tick(s.a->wg);
	retry = take(&s);
	assert_int_equal(retry.buf[0], FZGW_WG_MSG_INITIATION);
	assert_false(sodium_is_zero(retry.buf + 132, 16));
	fzgw_wg_set_under_load(s.b->wg, true);
	assert_int_equal(deliver(s.b, &s.a->ep, &retry), FZGW_WG_RX_DONE);
	assert_int_equal(stats(s.b).responses_sent, 1);
	wgt_run(&s.w);
	assert_int_equal(s.a->ready, 1);
	assert_int_equal(stats(s.a).handshakes_completed, 1);
	wgt_world_free(&s.w);
}

/* A cookie issued to address A does not make mac2 valid from address B. */
static void test_cookie_bound_to_source(void **state)
{
	struct setup s;
	struct wgt_pkt init, reply, retry;
	struct fzgw_wg_endpoint other_ip, other_port;

	setup_init(&s);
	wgt_endpoint4(&other_ip, "192.0.2.99", 40000);
	wgt_endpoint4(&other_port, "192.0.2.1", 40001);
	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	init = take(&s);
	fzgw_wg_set_under_load(s.b->wg, true);
	deliver(s.b, &s.a->ep, &init);
	reply = take(&s);
	assert_int_equal(deliver(s.a, &s.b->ep, &reply), FZGW_WG_RX_DONE);
	s.w.now += 5400 * WGT_MSEC;
	fzgw_wg_tick(s.a->wg);
	retry = take(&s);

	fzgw_wg_set_under_load(s.b->wg, true);
	assert_int_equal(deliver(s.b, &other_ip, &retry), -FZGW_WG_DROP_MAC2_INVALID);
	assert_int_equal(deliver(s.b, &other_port, &retry), -FZGW_WG_DROP_MAC2_INVALID);
	assert_int_equal(stats(s.b).x25519_ops, 0);
	assert_int_equal(deliver(s.b, &s.a->ep, &retry), FZGW_WG_RX_DONE);
	wgt_world_free(&s.w);
}

/* The initiator stops using a cookie after 120 s, and the responder's
 * secret rotates every 120 s so old cookies stop validating. */
static void test_cookie_expiry_and_rotation(void **state)
{
	struct setup s;
	struct wgt_pkt init, reply, retry;

	setup_init(&s);
	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	init = take(&s);
	fzgw_wg_set_under_load(s.b->wg, true);
	deliver(s.b, &s.a->ep, &init); /* the cookie secret is born now */
	reply = take(&s);
	assert_int_equal(deliver(s.a, &s.b->ep, &reply), FZGW_WG_RX_DONE);

	/* 119 s on: the initiator still uses the cookie and it still validates. */
	s.w.now += 119 * WGT_NSEC;
	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	retry = take(&s);
	assert_false(sodium_is_zero(retry.buf + 132, 16));
	fzgw_wg_set_under_load(s.b->wg, true);
	s.w.now += WGT_MSEC;
	assert_int_equal(deliver(s.b, &s.a->ep, &retry), FZGW_WG_RX_DONE);
	wgt_clear_queue(&s.w);

	/* The same mac2 after the secret's 120 s: a new cookie is demanded. */
	s.w.now += 2 * WGT_NSEC;
	fzgw_wg_set_under_load(s.b->wg, true);
	assert_int_equal(deliver(s.b, &s.a->ep, &retry), -FZGW_WG_DROP_MAC2_INVALID);
	wgt_clear_queue(&s.w);

	/* 121 s after the cookie arrived the initiator sends mac2 = 0. */
	s.w.now += 5 * WGT_NSEC;
	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	retry = take(&s);
	assert_true(sodium_is_zero(retry.buf + 132, 16));
	wgt_world_free(&s.w);
}

/* The housekeeping in fzgw_wg_tick() wipes an idle cookie secret at 120 s. */
static void test_cookie_secret_rotation_tick(void **state)
{
	struct setup s;
	struct wgt_pkt init;

	setup_init(&s);
	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	init = take(&s);
	fzgw_wg_set_under_load(s.b->wg, true);
	deliver(s.b, &s.a->ep, &init);
	wgt_clear_queue(&s.w);
	assert_true(s.b->wg->cookie_secret_set);
	assert_false(sodium_is_zero(s.b->wg->sec->cookie_secret, 32));
	assert_true(fzgw_wg_next_deadline(s.b->wg) <= s.w.now + WGT_NSEC);
	/* a keeps retrying; lose all of it so b stays idle. */
	s.w.drop = true;
	wgt_advance(&s.w, 119 * WGT_NSEC, 250 * WGT_MSEC);
	assert_true(s.b->wg->cookie_secret_set);
	wgt_advance(&s.w, 2 * WGT_NSEC, 250 * WGT_MSEC);
	assert_false(s.b->wg->cookie_secret_set);
	assert_true(sodium_is_zero(s.b->wg->sec->cookie_secret, 32));
	/* Nothing is left to do on b: no deadline at all. */
	assert_true(fzgw_wg_next_deadline(s.b->wg) == UINT64_MAX);
	wgt_world_free(&s.w);
}

/* Cookie replies are accepted only for a handshake of ours still waiting. */
static void test_cookie_reply_needs_pending_handshake(void **state)
{
	struct setup s;
	struct wgt_pkt init, reply, bad;
	struct fzgw_wg_endpoint other;

	setup_init(&s);
	wgt_endpoint4(&other, "192.0.2.1", 40001);
	/* Nothing pending: an invented cookie reply is refused. */
	memset(&bad, 0, sizeof(bad));
	bad.len = 64;
	bad.buf[0] = FZGW_WG_MSG_COOKIE;
	assert_int_equal(deliver(s.a, &s.b->ep, &bad), -FZGW_WG_DROP_HS_UNEXPECTED);

	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	init = take(&s);
	fzgw_wg_set_under_load(s.b->wg, true);
	deliver(s.b, &s.a->ep, &init);
	reply = take(&s);

	/* Wrong receiver index. */
	bad = reply;
	bad.buf[4] ^= 0x55;
	assert_int_equal(deliver(s.a, &s.b->ep, &bad), -FZGW_WG_DROP_HS_UNEXPECTED);
	/* Right index, tampered cookie. */
	bad = reply;
	bad.buf[40] ^= 1;
	assert_int_equal(deliver(s.a, &s.b->ep, &bad), -FZGW_WG_DROP_COOKIE_DECRYPT);
	/* The genuine one, then the same again (answered already). */
	assert_int_equal(deliver(s.a, &s.b->ep, &reply), FZGW_WG_RX_DONE);
	assert_int_equal(deliver(s.a, &s.b->ep, &reply), -FZGW_WG_DROP_HS_UNEXPECTED);

	/* A cookie reply for a handshake that has completed since is refused. */
	s.w.now += 6 * WGT_NSEC;
	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	init = take(&s);
	fzgw_wg_set_under_load(s.b->wg, true);
	assert_int_equal(deliver(s.b, &other, &init), -FZGW_WG_DROP_MAC2_INVALID);
	reply = take(&s);
	fzgw_wg_set_under_load(s.b->wg, false);
	assert_int_equal(deliver(s.b, &s.a->ep, &init), FZGW_WG_RX_DONE);
	wgt_run(&s.w);
	assert_int_equal(s.a->ready, 1);
	assert_int_equal(deliver(s.a, &s.b->ep, &reply), -FZGW_WG_DROP_HS_UNEXPECTED);
	wgt_world_free(&s.w);
}

/* Load is detected from the handshake rate (80 a second: 10 per eighth of a second) and lasts
 * one second. */
static void test_load_detection(void **state)
{
	struct setup s;
	struct fzgw_wg_limits lim = { .load_threshold = 80 };
	struct wgt_pkt init;
	int rc;

	setup_init(&s);
	assert_int_equal(fzgw_wg_set_limits(s.b->wg, &lim), 0);
	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	init = take(&s);
	/* The same initiation again and again: valid mac1, so each counts. */
	for (int i = 0; i < 10; i++) {
		rc = deliver(s.b, &s.a->ep, &init);
		assert_true(rc == FZGW_WG_RX_DONE || rc == -FZGW_WG_DROP_HS_REPLAY);
		s.w.now += 10 * WGT_MSEC;
	}
	assert_false(fzgw_wg_under_load(s.b->wg));
	assert_int_equal(deliver(s.b, &s.a->ep, &init), -FZGW_WG_DROP_MAC2_INVALID);
	assert_true(fzgw_wg_under_load(s.b->wg));
	assert_int_equal(stats(s.b).under_load_entered, 1);
	s.w.now += 900 * WGT_MSEC;
	assert_true(fzgw_wg_under_load(s.b->wg));
	s.w.now += 101 * WGT_MSEC;
	assert_false(fzgw_wg_under_load(s.b->wg));
	wgt_world_free(&s.w);
}

/* With the default threshold, handshakes below it get responses, not cookies (each would
 * cost its client REKEY_TIMEOUT); a burst past an eighth of the threshold within an eighth of
 * a second puts the device under load (a flood's first window costs little X25519). Fails
 * with a threshold below 90% of the default, and with one-second windows. */
static void test_load_default_threshold(void **state)
{
	struct setup s;
	struct wgt_pkt init;
	uint32_t i;
	int rc;

	setup_init(&s);
	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	init = take(&s);
	/* 90% of the threshold spread over a second: answered (the first) or replays, no cookie */
	for (i = 0; i < FZGW_WG_LOAD_THRESHOLD_DEFAULT * 9 / 10; i++) {
		rc = deliver(s.b, &s.a->ep, &init);
		assert_true(rc == FZGW_WG_RX_DONE || rc == -FZGW_WG_DROP_HS_REPLAY);
		s.w.now += 1000 * WGT_MSEC / (FZGW_WG_LOAD_THRESHOLD_DEFAULT * 9 / 10);
	}
	assert_false(fzgw_wg_under_load(s.b->wg));
	assert_int_equal(stats(s.b).cookies_sent, 0);
	assert_int_equal(stats(s.b).responses_sent, 1);
	/* a fresh window: its share of the threshold within 10 ms, then one more */
	s.w.now += 125 * WGT_MSEC;
	for (i = 0; i < FZGW_WG_LOAD_THRESHOLD_DEFAULT / FZGW_WG_LOAD_WINDOWS; i++) {
		rc = deliver(s.b, &s.a->ep, &init);
		assert_int_equal(rc, -FZGW_WG_DROP_HS_REPLAY);
		s.w.now += WGT_MSEC / 100;
	}
	assert_false(fzgw_wg_under_load(s.b->wg));
	assert_int_equal(deliver(s.b, &s.a->ep, &init), -FZGW_WG_DROP_MAC2_INVALID);
	assert_true(fzgw_wg_under_load(s.b->wg));
	assert_int_equal(stats(s.b).cookies_sent, 1);
	wgt_world_free(&s.w);
}

/* Under load, even sources with a valid cookie get only 5 + 20/s handshakes. */
static void test_ratelimit_under_load(void **state)
{
	struct setup s;
	struct wgt_pkt init, reply, retry;
	int limited = 0;

	setup_init(&s);
	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	init = take(&s);
	fzgw_wg_set_under_load(s.b->wg, true);
	deliver(s.b, &s.a->ep, &init);
	reply = take(&s);
	deliver(s.a, &s.b->ep, &reply);
	s.w.now += 5 * WGT_NSEC;
	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	retry = take(&s);
	for (int i = 0; i < 10; i++) {
		fzgw_wg_set_under_load(s.b->wg, true);
		if (deliver(s.b, &s.a->ep, &retry) == -FZGW_WG_DROP_RATELIMITED)
			limited++;
		wgt_clear_queue(&s.w);
	}
	assert_int_equal(limited, 5);
	assert_int_equal(stats(s.b).drops[FZGW_WG_DROP_RATELIMITED], 5);
	wgt_world_free(&s.w);
}

/*
 * Hardening: cookie replies are budgeted. A source gets FZGW_WG_COOKIE_PER_SOURCE_BURST
 * at once and FZGW_WG_COOKIE_PER_SOURCE a second; all sources together the global
 * bucket. Past either, the initiation is dropped with no cryptography and no send.
 * Before the budget every initiation was answered (the first loop got 10 replies).
 */
static void test_cookie_budget_per_source(void **state)
{
	struct setup s;
	struct wgt_pkt init;
	int budget = 0;

	setup_init(&s);
	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	init = take(&s);
	for (int i = 0; i < 10; i++) {
		fzgw_wg_set_under_load(s.b->wg, true);
		if (deliver(s.b, &s.a->ep, &init) == -FZGW_WG_DROP_COOKIE_BUDGET)
			budget++;
	}
	assert_int_equal(stats(s.b).cookies_sent, FZGW_WG_COOKIE_PER_SOURCE_BURST);
	assert_int_equal(budget, 10 - FZGW_WG_COOKIE_PER_SOURCE_BURST);
	assert_int_equal(stats(s.b).drops[FZGW_WG_DROP_COOKIE_BUDGET], budget);
	assert_int_equal(stats(s.b).tx_packets, FZGW_WG_COOKIE_PER_SOURCE_BURST);
	assert_int_equal(stats(s.b).x25519_ops, 0);
	wgt_clear_queue(&s.w);
	/* another address of the same /32 (another port) shares the budget; a second later
	 * one more reply */
	struct fzgw_wg_endpoint port2;

	wgt_endpoint4(&port2, "192.0.2.1", 40001);
	fzgw_wg_set_under_load(s.b->wg, true);
	assert_int_equal(deliver(s.b, &port2, &init), -FZGW_WG_DROP_COOKIE_BUDGET);
	s.w.now += WGT_NSEC / FZGW_WG_COOKIE_PER_SOURCE;
	fzgw_wg_set_under_load(s.b->wg, true);
	assert_int_equal(deliver(s.b, &port2, &init), -FZGW_WG_DROP_MAC2_INVALID);
	assert_int_equal(deliver(s.b, &port2, &init), -FZGW_WG_DROP_COOKIE_BUDGET);
	assert_int_equal(stats(s.b).cookies_sent, FZGW_WG_COOKIE_PER_SOURCE_BURST + 1);
	wgt_world_free(&s.w);
}

/* A source that came back with a valid mac2 (clients behind one NAT) gets the proven rate:
 * FZGW_WG_COOKIE_PROVEN_BURST replies at once instead of FZGW_WG_COOKIE_PER_SOURCE_BURST. */
static void test_cookie_budget_proven_source(void **state)
{
	struct setup s;
	struct wgt_pkt init, reply, retry;
	struct fzgw_wg_endpoint port2;
	int answered = 0;

	setup_init(&s);
	wgt_endpoint4(&port2, "192.0.2.1", 40001);
	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	init = take(&s);
	fzgw_wg_set_under_load(s.b->wg, true);
	assert_int_equal(deliver(s.b, &s.a->ep, &init), -FZGW_WG_DROP_MAC2_INVALID);
	reply = take(&s);
	assert_int_equal(deliver(s.a, &s.b->ep, &reply), FZGW_WG_RX_DONE);
	s.w.now += 5400 * WGT_MSEC;
	fzgw_wg_tick(s.a->wg);
	retry = take(&s);
	fzgw_wg_set_under_load(s.b->wg, true);
	assert_int_equal(deliver(s.b, &s.a->ep, &retry), FZGW_WG_RX_DONE);
	wgt_clear_queue(&s.w);
	/* another client behind the same address, at once */
	for (int i = 0; i < FZGW_WG_COOKIE_PROVEN_BURST + 3; i++) {
		fzgw_wg_set_under_load(s.b->wg, true);
		if (deliver(s.b, &port2, &init) == -FZGW_WG_DROP_MAC2_INVALID)
			answered++;
		wgt_clear_queue(&s.w);
	}
	assert_int_equal(answered, FZGW_WG_COOKIE_PROVEN_BURST);
	wgt_world_free(&s.w);
}

/* All sources together: the global bucket; a new source is answered once it refilled. */
static void test_cookie_budget_global(void **state)
{
	struct setup s;
	struct wgt_pkt init;
	struct fzgw_wg_endpoint src;
	uint32_t n = 3 * FZGW_WG_COOKIE_REPLIES_BURST, answered = 0;
	char ip[32];

	setup_init(&s);
	assert_int_equal(fzgw_wg_initiate(s.a->wg, s.pa), 0);
	init = take(&s);
	for (uint32_t i = 0; i < n; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		wgt_endpoint4(&src, ip, 40000);
		fzgw_wg_set_under_load(s.b->wg, true);
		if (deliver(s.b, &src, &init) == -FZGW_WG_DROP_MAC2_INVALID)
			answered++;
		wgt_clear_queue(&s.w);
	}
	assert_int_equal(answered, FZGW_WG_COOKIE_REPLIES_BURST);
	assert_int_equal(stats(s.b).drops[FZGW_WG_DROP_COOKIE_BUDGET], n - answered);
	assert_int_equal(stats(s.b).x25519_ops, 0);
	/* the budget refills at FZGW_WG_COOKIE_REPLIES_PER_S: a real client is answered */
	fzgw_wg_set_under_load(s.b->wg, true);
	assert_int_equal(deliver(s.b, &s.a->ep, &init), -FZGW_WG_DROP_COOKIE_BUDGET);
	s.w.now += 10 * WGT_NSEC / FZGW_WG_COOKIE_REPLIES_PER_S;
	fzgw_wg_set_under_load(s.b->wg, true);
	assert_int_equal(deliver(s.b, &s.a->ep, &init), -FZGW_WG_DROP_MAC2_INVALID);
	assert_int_equal(s.w.qlen, 1);
	wgt_world_free(&s.w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_round_trip),
		cmocka_unit_test(test_cookie_bound_to_source),
		cmocka_unit_test(test_cookie_expiry_and_rotation),
		cmocka_unit_test(test_cookie_secret_rotation_tick),
		cmocka_unit_test(test_cookie_reply_needs_pending_handshake),
		cmocka_unit_test(test_load_detection),
		cmocka_unit_test(test_load_default_threshold),
		cmocka_unit_test(test_ratelimit_under_load),
		cmocka_unit_test(test_cookie_budget_per_source),
		cmocka_unit_test(test_cookie_budget_global),
		cmocka_unit_test(test_cookie_budget_proven_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
