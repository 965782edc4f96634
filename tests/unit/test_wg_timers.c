/* SPDX-License-Identifier: Apache-2.0 */
/* Protocol timers on a fake clock: rekey, reject, retries, keepalives, key erasure (paper section 6). */
#include "test_wg_harness.c"

#include "timers.h"

#define TICK (10 * WGT_MSEC)
#define DATA FZGW_WG_MSG_DATA
#define INIT FZGW_WG_MSG_INITIATION

struct setup {
	struct wgt_world w;
	struct wgt_node *a, *b; /* a initiates */
	struct fzgw_wg_peer *pa, *pb;
	uint64_t t0;            /* when the first session was made */
};

static void send_ip(struct wgt_node *n, struct fzgw_wg_peer *p, uint8_t tag)
{
	uint8_t ip[64];

	wgt_make_ip(ip, sizeof(ip), tag);
	wgt_send_ip(n, p, ip, sizeof(ip));
	wgt_run(n->world);
}

static void setup_session(struct setup *s)
{
	wgt_world_init(&s->w, 77);
	s->a = wgt_node_add(&s->w, "192.0.2.1", 40000);
	s->b = wgt_node_add(&s->w, "192.0.2.2", 51820);
	wgt_pair(s->a, s->b, NULL, &s->pa, &s->pb);
	s->t0 = s->w.now;
	send_ip(s->a, s->pa, 1);
	assert_int_equal(s->a->ready, 1);
	assert_int_equal(s->b->ready, 1);
	assert_true(fzgw_wg_peer_has_session(s->pb));
}

/* Time of the first datagram of @type (and @len, 0 for any) sent by @node at or after @from. */
static uint64_t first_sent(const struct wgt_world *w, int node, uint8_t type,
			   size_t len, uint64_t from)
{
	for (size_t i = 0; i < w->nlog; i++)
		if (w->log[i].node == node && w->log[i].type == type &&
		    (!len || w->log[i].len == len) && w->log[i].at >= from)
			return w->log[i].at;
	return UINT64_MAX;
}

static void assert_near(uint64_t got, uint64_t want)
{
	if (got + TICK < want || got > want + TICK)
		fail_msg("time %llu ms, expected %llu ms (+-1 tick)",
			 (unsigned long long)(got / WGT_MSEC),
			 (unsigned long long)(want / WGT_MSEC));
}

/* The initiator rekeys once its session is REKEY_AFTER_TIME old and it sends. */
static void test_rekey_after_time(void **state)
{
	struct setup s;
	uint64_t t;

	setup_session(&s);
	for (int i = 1; i <= 130; i++) {
		wgt_advance(&s.w, WGT_NSEC, TICK);
		send_ip(s.a, s.pa, (uint8_t)i);
	}
	t = first_sent(&s.w, s.a->id, INIT, 0, s.t0 + WGT_NSEC);
	assert_near(t, s.t0 + 120 * WGT_NSEC);
	assert_int_equal(s.a->ready, 2);
	wgt_world_free(&s.w);
}

/* The responder does not rekey on time; it only answers. */
static void test_responder_does_not_rekey_at_120s(void **state)
{
	struct setup s;

	setup_session(&s);
	for (int i = 1; i <= 170; i++) {
		wgt_advance(&s.w, WGT_NSEC, TICK);
		send_ip(s.b, s.pb, (uint8_t)i);
	}
	assert_int_equal(first_sent(&s.w, s.b->id, INIT, 0, s.t0 + WGT_NSEC), UINT64_MAX);
	wgt_world_free(&s.w);
}

/* After REJECT_AFTER_TIME a session is neither used nor accepted; a
 * responder with data to send then starts a handshake itself. */
static void test_reject_after_time(void **state)
{
	struct setup s;
	uint8_t ip[64], buf[256];
	const struct fzgw_wg_endpoint *ep;
	struct fzgw_wg_peer *peer;
	size_t len, off, plen;

	setup_session(&s);
	/* Lose everything so no new session can replace this one. */
	s.w.drop = true;
	wgt_advance(&s.w, 179 * WGT_NSEC, 250 * WGT_MSEC);
	wgt_make_ip(buf + 16, 64, 2);
	assert_int_equal(fzgw_wg_encrypt(s.a->wg, s.pa, buf, 64, sizeof(buf), 0, &len,
					 &ep),
			 0);
	wgt_advance(&s.w, WGT_NSEC, TICK);
	/* 180 s: the packet made at 179 s is refused, and so is sending. */
	assert_int_equal(fzgw_wg_receive(s.b->wg, &s.a->ep, buf, len, &peer, &off, &plen),
			 -FZGW_WG_DROP_KEY_EXPIRED);
	assert_false(fzgw_wg_peer_has_session(s.pb));
	s.w.drop = false;
	wgt_make_ip(ip, sizeof(ip), 3);
	assert_int_equal(wgt_send_ip(s.b, s.pb, ip, sizeof(ip)), -ENOKEY);
	assert_near(first_sent(&s.w, s.b->id, INIT, 0, s.t0 + 179 * WGT_NSEC),
		    s.t0 + 180 * WGT_NSEC);
	/* The new handshake (b initiating this time) carries the queued packet. */
	wgt_run(&s.w);
	assert_int_equal(s.a->rx_data, 1);
	assert_memory_equal(s.a->rx_buf, ip, sizeof(ip));
	wgt_world_free(&s.w);
}

/* Unanswered initiations: 5 s + jitter apart, at most 18 in 90 s, then
 * the peer gives up (20 in all, as the kernel and wireguard-go). */
static void test_retry_schedule(void **state)
{
	struct wgt_world w;
	struct wgt_node *a, *b;
	struct fzgw_wg_peer *pa, *pb;
	uint64_t start, prev = 0;
	size_t n = 0, in90;

	wgt_world_init(&w, 5);
	a = wgt_node_add(&w, "192.0.2.1", 40000);
	b = wgt_node_add(&w, "192.0.2.2", 51820);
	wgt_pair(a, b, NULL, &pa, &pb);
	w.drop = true;
	start = w.now;
	assert_int_equal(fzgw_wg_initiate(a->wg, pa), 0);
	wgt_advance(&w, 300 * WGT_NSEC, TICK);
	for (size_t i = 0; i < w.nlog; i++) {
		if (w.log[i].type != INIT)
			continue;
		if (n) {
			uint64_t gap = w.log[i].at - prev;

			assert_true(gap >= 5 * WGT_NSEC);
			assert_true(gap <= 5 * WGT_NSEC + 334 * WGT_MSEC + TICK);
		}
		prev = w.log[i].at;
		n++;
	}
	in90 = wgt_count_sent(&w, a->id, INIT, start, start + 90 * WGT_NSEC);
	assert_true(in90 <= 18);
	assert_int_equal(n, FZGW_WG_MAX_TIMER_HANDSHAKES + 2);
	assert_int_equal(a->failed, 1);
	/* New data asks for a session again. */
	send_ip(a, pa, 9);
	assert_int_equal(wgt_count_sent(&w, a->id, INIT, start, w.now + 1), n + 1);
	wgt_world_free(&w);
}

/* Data received and nothing to answer: a keepalive after KEEPALIVE_TIMEOUT. */
static void test_passive_keepalive(void **state)
{
	struct setup s;
	uint64_t t;

	setup_session(&s);
	/* The handshake's own data is answered by a keepalive at 10 s; let
	 * that settle first. */
	wgt_advance(&s.w, 30 * WGT_NSEC, TICK);
	t = s.w.now;
	send_ip(s.a, s.pa, 2);
	wgt_advance(&s.w, 20 * WGT_NSEC, TICK);
	assert_near(first_sent(&s.w, s.b->id, DATA, 32, t), t + 10 * WGT_NSEC);
	/* Exactly one: nothing more arrived. */
	assert_int_equal(first_sent(&s.w, s.b->id, DATA, 32, t + 10 * WGT_NSEC + TICK),
			 UINT64_MAX);

	/* If b answers with data in time, no keepalive is needed. */
	t = s.w.now;
	send_ip(s.a, s.pa, 3);
	wgt_advance(&s.w, 5 * WGT_NSEC, TICK);
	send_ip(s.b, s.pb, 4);
	wgt_advance(&s.w, 20 * WGT_NSEC, TICK);
	assert_int_equal(first_sent(&s.w, s.b->id, DATA, 32, t), UINT64_MAX);
	wgt_world_free(&s.w);
}

/* Data sent and nothing heard back for KEEPALIVE + REKEY_TIMEOUT: new handshake. */
static void test_new_handshake_when_unanswered(void **state)
{
	struct setup s;
	uint64_t t, init_at;

	setup_session(&s);
	wgt_advance(&s.w, 2 * WGT_NSEC, TICK);
	/* The path dies: a's data is lost and nothing comes back. */
	t = s.w.now;
	s.w.drop = true;
	send_ip(s.a, s.pa, 5);
	wgt_advance(&s.w, 20 * WGT_NSEC, TICK);
	init_at = first_sent(&s.w, s.a->id, INIT, 0, t);
	assert_true(init_at >= t + 15 * WGT_NSEC);
	assert_true(init_at <= t + 15 * WGT_NSEC + 334 * WGT_MSEC + TICK);
	wgt_world_free(&s.w);
}

/* Persistent keepalive every N seconds while idle. */
static void test_persistent_keepalive(void **state)
{
	struct setup s;
	uint64_t t;

	setup_session(&s);
	/* Any authenticated packet, sent or received, restarts the interval:
	 * settle the handshake's keepalive first. */
	wgt_advance(&s.w, 30 * WGT_NSEC, TICK);
	t = s.w.now;
	assert_int_equal(fzgw_wg_peer_set_keepalive(s.pa, 25), 0);
	/* Turning it on sends one at once. */
	assert_near(first_sent(&s.w, s.a->id, DATA, 32, t), t);
	wgt_advance(&s.w, 100 * WGT_NSEC, TICK);
	assert_near(first_sent(&s.w, s.a->id, DATA, 32, t + TICK), t + 25 * WGT_NSEC);
	assert_near(first_sent(&s.w, s.a->id, DATA, 32, t + 26 * WGT_NSEC),
		    t + 50 * WGT_NSEC);
	/* t, 25, 50, 75 (at 100 s the session is old enough to be rekeyed,
	 * which adds a confirmation keepalive: not counted here). */
	assert_int_equal(wgt_count_sent(&s.w, s.a->id, DATA, t, t + 90 * WGT_NSEC), 4);
	assert_int_equal(fzgw_wg_peer_set_keepalive(s.pa, 0), 0);
	t = s.w.now + 1;
	wgt_advance(&s.w, 100 * WGT_NSEC, TICK);
	assert_int_equal(wgt_count_sent(&s.w, s.a->id, DATA, t, s.w.now + 1), 0);
	wgt_world_free(&s.w);
}

/* Keys are erased 3 x REJECT_AFTER_TIME after the last new session. */
static void test_zero_key_material(void **state)
{
	struct setup s;
	uint8_t buf[256];
	const struct fzgw_wg_endpoint *ep;
	struct fzgw_wg_peer *peer;
	size_t len, off, plen;

	setup_session(&s);
	wgt_make_ip(buf + 16, 64, 2);
	assert_int_equal(fzgw_wg_encrypt(s.a->wg, s.pa, buf, 64, sizeof(buf), 0, &len, &ep), 0);
	wgt_advance(&s.w, 539 * WGT_NSEC, 250 * WGT_MSEC);
	assert_int_equal(s.a->zeroed, 0);
	assert_int_equal(s.b->zeroed, 0);
	wgt_advance(&s.w, 2 * WGT_NSEC, 250 * WGT_MSEC);
	assert_int_equal(s.a->zeroed, 1);
	assert_int_equal(s.b->zeroed, 1);
	/* Its index is gone with it. */
	assert_int_equal(fzgw_wg_receive(s.b->wg, &s.a->ep, buf, len, &peer, &off, &plen),
			 -FZGW_WG_DROP_UNKNOWN_INDEX);
	/* Nothing was sent while idle, and nothing is scheduled now. */
	assert_int_equal(wgt_count_sent(&s.w, -1, INIT, s.t0 + 1, s.w.now + 1), 0);
	assert_true(fzgw_wg_next_deadline(s.a->wg) == UINT64_MAX);
	wgt_world_free(&s.w);
}

/* An initiator that only receives makes one last-minute attempt after
 * REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT (165 s). */
static void test_last_minute_handshake(void **state)
{
	struct setup s;
	uint64_t t;

	setup_session(&s);
	wgt_advance(&s.w, 100 * WGT_NSEC, TICK);
	send_ip(s.b, s.pb, 1);
	wgt_advance(&s.w, 65 * WGT_NSEC, TICK);
	assert_int_equal(first_sent(&s.w, s.a->id, INIT, 0, s.t0 + 1), UINT64_MAX);
	wgt_advance(&s.w, WGT_NSEC, TICK);
	t = s.w.now;
	send_ip(s.b, s.pb, 2);
	assert_near(first_sent(&s.w, s.a->id, INIT, 0, s.t0 + 1), t);
	assert_int_equal(s.a->ready, 2);
	wgt_world_free(&s.w);
}

/* The deadline heap reports the earliest timer of many peers. */
static void test_next_deadline(void **state)
{
	struct setup s;
	uint64_t d;

	setup_session(&s);
	d = fzgw_wg_next_deadline(s.a->wg);
	assert_true(d > s.w.now);
	assert_true(d <= s.t0 + 540 * WGT_NSEC);
	send_ip(s.a, s.pa, 1);
	/* b now owes a keepalive in 10 s. */
	assert_true(fzgw_wg_next_deadline(s.b->wg) <= s.w.now + 10 * WGT_NSEC);
	wgt_world_free(&s.w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rekey_after_time),
		cmocka_unit_test(test_responder_does_not_rekey_at_120s),
		cmocka_unit_test(test_reject_after_time),
		cmocka_unit_test(test_retry_schedule),
		cmocka_unit_test(test_passive_keepalive),
		cmocka_unit_test(test_new_handshake_when_unanswered),
		cmocka_unit_test(test_persistent_keepalive),
		cmocka_unit_test(test_zero_key_material),
		cmocka_unit_test(test_last_minute_handshake),
		cmocka_unit_test(test_next_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
