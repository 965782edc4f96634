/* SPDX-License-Identifier: Apache-2.0 */
/* The Phoenix channel: refs from 0 per connection, join first, heartbeats, replies, the queue. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "channel.h"

struct wire {
	int n;
	char sent[64][256];
	bool fail;
};

static int on_send(void *user, const char *text, size_t len)
{
	struct wire *w = user;

	if (w->fail)
		return -EPIPE;
	assert_true(w->n < 64 && len < 256);
	memcpy(w->sent[w->n], text, len);
	w->sent[w->n++][len] = '\0';
	return 0;
}

static const struct pz_chan_ops ops = { on_send };

/* The ref of sent frame @i, checking the frame is one JSON object with these four keys. */
static long long ref_of(struct wire *w, int i, const char *topic, const char *event)
{
	json_t *j = json_loads(w->sent[i], 0, NULL);
	long long ref;

	assert_non_null(j);
	assert_int_equal(json_object_size(j), 4);
	assert_string_equal(json_string_value(json_object_get(j, "topic")), topic);
	assert_string_equal(json_string_value(json_object_get(j, "event")), event);
	assert_true(json_is_integer(json_object_get(j, "ref")));
	ref = json_integer_value(json_object_get(j, "ref"));
	json_decref(j);
	return ref;
}

static struct pz_msg reply(const char *topic, long long ref, bool ok, bool empty,
			   const char *reason)
{
	struct pz_msg m;

	memset(&m, 0, sizeof(m));
	m.event = PZ_EV_REPLY;
	snprintf(m.topic, sizeof(m.topic), "%s", topic);
	m.ref.present = m.ref.numeric = ref >= 0;
	m.ref.n = (uint64_t)ref;
	m.u.reply.ok = ok;
	m.u.reply.empty = empty;
	snprintf(m.u.reply.reason, sizeof(m.u.reply.reason), "%s", reason ? reason : "");
	return m;
}

static void test_join(void **state)
{
	struct wire w = { 0 };
	struct pz_chan ch;
	struct pz_msg m;

	(void)state;
	pz_chan_init(&ch, &ops, &w);
	/* queued while disconnected */
	assert_int_equal(pz_chan_push(&ch, "broadcast_ice_candidates", "{\"a\":1}"), 0);
	/* an exact duplicate */
	assert_int_equal(pz_chan_push(&ch, "broadcast_ice_candidates", "{\"a\":1}"), 0);
	/* anything else cannot be sent: dropped, as the original does */
	assert_int_equal(pz_chan_push(&ch, "no_relays", "{}"), 2);
	assert_int_equal(ch.n, 1);
	assert_int_equal(w.n, 0);
	/* the join, exactly as the original sends it */
	assert_int_equal(pz_chan_open(&ch), 0);
	assert_string_equal(
	    w.sent[0], "{\"topic\":\"gateway\",\"event\":\"phx_join\",\"payload\":null,\"ref\":0}");
	/* not joined yet: still queued */
	assert_int_equal(pz_chan_push(&ch, "no_relays", "{}"), 0);
	assert_int_equal(w.n, 1);
	/* a non-empty ok is not a join confirmation; an unknown ref is ignored */
	m = reply("gateway", 0, true, false, NULL);
	assert_int_equal(pz_chan_reply(&ch, &m), PZ_REPLY_IGNORED);
	m = reply("gateway", 7, true, true, NULL);
	assert_int_equal(pz_chan_reply(&ch, &m), PZ_REPLY_IGNORED);
	m = reply("gateway", 0, true, true, NULL);
	assert_int_equal(pz_chan_reply(&ch, &m), PZ_REPLY_JOINED);
	/* capabilities first, then the queue in order */
	assert_int_equal(pz_chan_joined(&ch, "set_snownet_capabilities", "{\"iceless\":false}"), 0);
	assert_int_equal(w.n, 4);
	assert_int_equal(ref_of(&w, 1, "gateway", "set_snownet_capabilities"), 1);
	assert_int_equal(ref_of(&w, 2, "gateway", "broadcast_ice_candidates"), 2);
	assert_int_equal(ref_of(&w, 3, "gateway", "no_relays"), 3);
	assert_int_equal(ch.n, 0);
	/* joined: sent at once, fresh refs */
	assert_int_equal(pz_chan_push(&ch, "no_relays", "{}"), 0);
	assert_int_equal(ref_of(&w, 4, "gateway", "no_relays"), 4);
	/* a new connection starts from ref 0 again */
	pz_chan_closed(&ch);
	assert_int_equal(pz_chan_open(&ch), 0);
	assert_int_equal(ref_of(&w, 5, "gateway", "phx_join"), 0);
	/* an error reply to the join is fatal */
	m = reply("gateway", 0, false, false, "invalid_version");
	assert_int_equal(pz_chan_reply(&ch, &m), PZ_REPLY_JOIN_FAILED);
	/* "unmatched topic" later on: join again */
	m = reply("gateway", 99, false, false, "unmatched topic");
	assert_int_equal(pz_chan_reply(&ch, &m), PZ_REPLY_REJOIN);
	m = reply("phoenix", 99, false, false, "unmatched topic");
	assert_int_equal(pz_chan_reply(&ch, &m), PZ_REPLY_IGNORED);
	pz_chan_fini(&ch);
}

/* What waits for the join of one session is not replayed into the next: only ICE candidate
 * changes are held across reconnects, as in the original. */
static void test_reconnect(void **state)
{
	struct wire w = { 0 };
	struct pz_chan ch;

	(void)state;
	pz_chan_init(&ch, &ops, &w);
	assert_int_equal(pz_chan_open(&ch), 0);
	/* connected, not joined yet: both wait */
	assert_int_equal(pz_chan_push(&ch, "authorization_created", "{\"ref\":\"old\"}"), 0);
	assert_int_equal(pz_chan_push(&ch, "broadcast_ice_candidates", "{\"c\":1}"), 0);
	assert_int_equal(pz_chan_push(&ch, "no_relays", "{}"), 0);
	assert_int_equal(pz_chan_push(&ch, "broadcast_invalidated_ice_candidates", "{\"c\":2}"),
			 0);
	assert_int_equal(ch.n, 4);
	/* the connection is lost before the join: the old session's answers go */
	pz_chan_closed(&ch);
	assert_int_equal(ch.n, 2);
	/* while disconnected: dropped, except candidates */
	assert_int_equal(pz_chan_push(&ch, "flow_authorized", "{\"ref\":\"x\"}"), 2);
	assert_int_equal(pz_chan_push(&ch, "broadcast_ice_candidates", "{\"c\":3}"), 0);
	assert_int_equal(ch.n, 3);
	assert_int_equal(pz_chan_open(&ch), 0);
	assert_int_equal(pz_chan_joined(&ch, "set_snownet_capabilities", "{\"iceless\":false}"), 0);
	/* join (x2), capabilities, then the three candidate messages in order */
	assert_int_equal(w.n, 6);
	assert_int_equal(ref_of(&w, 2, "gateway", "set_snownet_capabilities"), 1);
	assert_non_null(strstr(w.sent[3], "\"broadcast_ice_candidates\",\"payload\":{\"c\":1}"));
	assert_non_null(strstr(w.sent[4], "broadcast_invalidated_ice_candidates"));
	assert_non_null(strstr(w.sent[5], "{\"c\":3}"));
	for (int i = 0; i < w.n; i++) {
		assert_null(strstr(w.sent[i], "authorization_created"));
		assert_null(strstr(w.sent[i], "flow_authorized"));
		assert_null(strstr(w.sent[i], "no_relays"));
	}
	pz_chan_fini(&ch);
}

static void test_heartbeats(void **state)
{
	struct wire w = { 0 };
	struct pz_chan ch;
	struct pz_msg m;
	long long r1, r2;

	(void)state;
	pz_chan_init(&ch, &ops, &w);
	assert_int_equal(pz_chan_heartbeat(&ch), 0); /* not connected: nothing */
	assert_int_equal(w.n, 0);
	pz_chan_open(&ch);
	assert_int_equal(pz_chan_heartbeat(&ch), 0);
	assert_string_equal(
	    w.sent[1], "{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":1}");
	r1 = ref_of(&w, 1, "phoenix", "heartbeat");
	assert_int_equal(pz_chan_heartbeat(&ch), 0);
	r2 = ref_of(&w, 2, "phoenix", "heartbeat");
	/* the answer to the first leaves one in flight */
	m = reply("phoenix", r1, true, true, NULL);
	assert_int_equal(pz_chan_reply(&ch, &m), PZ_REPLY_HEARTBEAT);
	assert_int_equal(ch.n_hb, 1);
	m = reply("phoenix", r2, true, true, NULL);
	assert_int_equal(pz_chan_reply(&ch, &m), PZ_REPLY_HEARTBEAT);
	/* 3 unanswered are tolerated, the 4th ends the connection */
	assert_int_equal(pz_chan_heartbeat(&ch), 0);
	assert_int_equal(pz_chan_heartbeat(&ch), 0);
	assert_int_equal(pz_chan_heartbeat(&ch), 0);
	assert_int_equal(pz_chan_heartbeat(&ch), -ETIMEDOUT);
	pz_chan_closed(&ch);
	pz_chan_fini(&ch);
}

static void test_queue(void **state)
{
	struct wire w = { 0 };
	struct pz_chan ch;
	char p[32];

	(void)state;
	pz_chan_init(&ch, &ops, &w);
	for (int i = 0; i < PZ_QUEUE_MAX; i++) {
		snprintf(p, sizeof(p), "{\"i\":%d}", i);
		assert_int_equal(pz_chan_push(&ch, "broadcast_ice_candidates", p), 0);
	}
	/* full: the oldest goes */
	assert_int_equal(pz_chan_push(&ch, "broadcast_ice_candidates", "{\"i\":99}"), 1);
	assert_int_equal(ch.n, PZ_QUEUE_MAX);
	assert_int_equal(ch.dropped, 1);
	pz_chan_open(&ch);
	pz_chan_joined(&ch, NULL, NULL);
	assert_int_equal(w.n, 1 + PZ_QUEUE_MAX);
	assert_non_null(strstr(w.sent[1], "{\"i\":1}"));
	assert_non_null(strstr(w.sent[PZ_QUEUE_MAX], "{\"i\":99}"));
	/* a failing send is reported */
	w.fail = true;
	assert_int_equal(pz_chan_push(&ch, "no_relays", "{}"), -EPIPE);
	pz_chan_fini(&ch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_heartbeats),
		cmocka_unit_test(test_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
