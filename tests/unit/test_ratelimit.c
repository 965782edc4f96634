/* SPDX-License-Identifier: Apache-2.0 */
/* The ratelimit example module, built from its source against the real core: buckets, modes. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "counters.h"
#include "modtest.h"

extern const struct fzgw_module fzgw_module;

/* ------------------------------------------------------------------ harness */

/* A policy stand-in after the limiter: it accepts everything, so packets reach the sink. */
static enum fzgw_verdict accept_all(void *state, struct fzgw_packet *pkt)
{
	(void)state;
	(void)pkt;
	return FZGW_ACCEPT;
}

static const struct fzgw_module accept_desc = {
	FZGW_MODULE_HEADER,
	.name = "accept",
	.hooks = {
		{ FZGW_PHASE_IN_FILTER, 100, accept_all, "accept-in" },
		{ FZGW_PHASE_OUT_FILTER, 100, accept_all, "accept-out" },
	},
};

/* A heap packet (held ones outlive the call) with a sequence number. */
struct tpkt {
	struct modtest_pkt mp;
	int seq;
};

#define MAX_SEEN 4096

static struct world {
	struct modtest *t;
	struct fzgw_ctx accept;
	int sent[MAX_SEEN], n_sent;         /* sequence numbers in the order they reached the sink */
	int released, live;                 /* freed as dropped; packets not yet freed */
} W;

static struct tpkt *of_pkt(struct fzgw_packet *pkt)
{
	return (struct tpkt *)(void *)((char *)pkt - offsetof(struct tpkt, mp.pkt));
}

static void sink(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	(void)core;
	if (W.n_sent < MAX_SEEN)
		W.sent[W.n_sent++] = of_pkt(pkt)->seq;
	W.live--;
	free(of_pkt(pkt));
}

static void release(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	(void)core;
	W.released++;
	W.live--;
	free(of_pkt(pkt));
}

static void up(const char *settings)
{
	struct modtest *t;

	memset(&W, 0, sizeof(W));
	W.t = t = modtest_new("ratelimit", &fzgw_module);
	assert_int_equal(modtest_init(t, modtest_settings(t, settings), false), 0);
	t->ctx.order = 0;
	W.accept.core = &t->core;
	W.accept.desc = &accept_desc;
	W.accept.live = true;
	W.accept.order = 1;
	snprintf(W.accept.name, sizeof(W.accept.name), "accept");
	t->core.mods[0] = &t->ctx;
	t->core.mods[1] = &W.accept;
	t->core.n_mods = 2;
	assert_int_equal(fzgw_chains_build(&t->core.chains, t->core.mods, t->core.n_mods), 0);
	t->core.sink[FZGW_DIR_IN] = sink;
	t->core.sink[FZGW_DIR_OUT] = sink;
	t->core.release = release;
}

static void down(void)
{
	modtest_unload(W.t); /* fini frees what it held */
	assert_int_equal(W.live, 0);
	W.t->core.n_mods = 0;
	modtest_free(W.t);
}

static uint64_t counter(const char *name)
{
	return fzgw_counter_get(&W.t->ctx.counters, name);
}

/*
 * One packet of @len bytes of @client (peer index @index) through the chain of @dir.
 * Returns 1 when it reached the sink at once, 0 when it was dropped, -1 when it is held.
 */
static int send_pkt(int dir, const char *client, uint32_t index, uint32_t len, int seq)
{
	struct tpkt *p = calloc(1, sizeof(*p));
	struct fzgw_packet *pkt;
	int sent = W.n_sent, released = W.released;

	assert_non_null(p);
	if (dir == FZGW_DIR_IN)
		pkt = modtest_pkt(&p->mp, dir, client, "100.64.0.2", "10.0.0.1", MT_UDP, 1, 2);
	else
		pkt = modtest_pkt(&p->mp, dir, client, "10.0.0.1", "100.64.0.2", MT_UDP, 2, 1);
	p->mp.peer.index = index;
	pkt->len = len; /* only the limiter looks at it */
	p->seq = seq;
	W.live++;
	fzgw_core_pipeline(&W.t->core, pkt,
			   dir == FZGW_DIR_IN ? FZGW_PHASE_IN_FILTER : FZGW_PHASE_OUT_FILTER, 0);
	if (W.n_sent > sent)
		return 1;
	return W.released > released ? 0 : -1;
}

/* How many of @n packets of @len bytes pass right now. */
static int burst(int dir, const char *client, uint32_t index, uint32_t len, int n)
{
	int passed = 0;

	for (int i = 0; i < n; i++)
		passed += send_pkt(dir, client, index, len, i) == 1;
	return passed;
}

/* Lets the module's timers run (they are real-time; the tokens follow the fake clock). */
static void run_timers(int rounds)
{
	for (int i = 0; i < rounds; i++) {
		usleep(1500);
		modtest_run(W.t);
	}
}

/* Advances the fake clock in @steps of @ms, letting the timers run after each step. */
static void advance(int steps, int ms)
{
	for (int i = 0; i < steps; i++) {
		modtest_now_ms += (uint64_t)ms;
		run_timers(2);
	}
}

/* ----------------------------------------------------------------- settings */

static void test_settings(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "{\n}", ":1: missing required key \"rate\"" },
		{ "{ rate = 1000;\n mode = \"slow\"; }", ":2: unknown mode \"slow\" (drop, delay)" },
		{ "{ rate = 1000;\n direction = \"up\"; }", ":2: unknown direction \"up\"" },
		{ "{ rate = 1000;\n queue = 0; }", ":2: value 0 out of range 1..65536" },
		{ "{ rate = 1000;\n mode = \"delayed-for-ever\"; }", ":2:" },
		{ "{ rate = 4; }", ":1: value 4 out of range 8..100000000" },
		{ "{ rate = 1000;\n\n speed = 1; }", ":3: unknown key (key \"settings.speed\")" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct modtest *t = modtest_new("ratelimit", &fzgw_module);

		assert_int_equal(modtest_init(t, modtest_settings(t, bad[i].text), false), -EINVAL);
		if (!strstr(t->ctx.last_err, bad[i].want))
			fail_msg("\"%s\" wanted \"%s\"", t->ctx.last_err, bad[i].want);
		modtest_free(t);
	}
	/* the descriptor: both filter phases, before the policy, counters registered */
	assert_string_equal(fzgw_module.name, "ratelimit");
	assert_int_equal(fzgw_module.hooks[0].phase, FZGW_PHASE_IN_FILTER);
	assert_int_equal(fzgw_module.hooks[0].priority, 50);
	assert_int_equal(fzgw_module.hooks[1].phase, FZGW_PHASE_OUT_FILTER);
	assert_int_equal(fzgw_module.subs[0].type, FZGW_EV_PEER_REMOVED);
	up("{ rate = 8000; mode = \"delay\"; queue = 5; direction = \"in\"; }");
	assert_int_equal(W.t->ctx.counters.n, 5);
	down();
}

/* -------------------------------------------------------------- the bucket */

/* 8000 kbit/s is 1000 bytes a millisecond; burst 16 KiB is 16384 bytes. */
static void test_refill(void **state)
{
	(void)state;
	up("{ rate = 8000; burst = 16; }");
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 20), 16); /* 384 bytes left */
	modtest_now_ms += 1;
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 3), 1); /* 1384 -> 384 */
	modtest_now_ms += 10;
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 20), 10);
	/* a long pause fills the bucket to its depth, not beyond */
	modtest_now_ms += 60000;
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 40), 16);
	/* a sustained stream: 1 s at 1000 bytes a ms passes 1000 packets of 1000 bytes */
	{
		int passed = 0;

		for (int ms = 0; ms < 1000; ms++) {
			modtest_now_ms += 1;
			passed += burst(FZGW_DIR_IN, "alice", 0, 1000, 3);
		}
		assert_int_equal(passed, 1000);
	}
	/* the clock never goes back, but a stale timestamp must not add tokens */
	modtest_now_ms -= 5;
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 3), 0);
	modtest_now_ms += 5;
	down();
}

/* A packet larger than the whole bucket still goes when the bucket is full, then pays. */
static void test_big_packets(void **state)
{
	(void)state;
	up("{ rate = 8; burst = 1; }"); /* 1 byte a ms, 1024 bytes deep */
	assert_int_equal(send_pkt(FZGW_DIR_IN, "alice", 0, 1400, 0), 1);
	modtest_now_ms += 1024;
	assert_int_equal(send_pkt(FZGW_DIR_IN, "alice", 0, 1400, 1), 0); /* 376 bytes of debt */
	modtest_now_ms += 376;
	assert_int_equal(send_pkt(FZGW_DIR_IN, "alice", 0, 1400, 2), 1);
	down();
}

static void test_per_client(void **state)
{
	(void)state;
	up("{ rate = 8000; burst = 16; }");
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 20), 16);
	assert_int_equal(burst(FZGW_DIR_IN, "bob", 1, 1000, 20), 16);
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 1), 0);
	/* a far index grows the table */
	assert_int_equal(burst(FZGW_DIR_IN, "carol", 5000, 1000, 20), 16);
	/* alice's index taken over by a new client: a fresh, full bucket */
	assert_int_equal(burst(FZGW_DIR_IN, "dave", 0, 1000, 20), 16);
	assert_int_equal(burst(FZGW_DIR_IN, "bob", 1, 1000, 1), 0);
	/* beyond the cap of indexes: not limited */
	assert_int_equal(burst(FZGW_DIR_IN, "erin", 70000, 1000, 30), 30);
	down();
}

static void test_direction(void **state)
{
	static const struct {
		const char *dir;
		int in, out; /* of 20 packets of 1000 bytes */
	} cases[] = {
		{ "both", 16, 16 },
		{ "in", 16, 20 },
		{ "out", 20, 16 },
	};
	char text[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "{ rate = 8000; burst = 16; direction = \"%s\"; }",
			 cases[i].dir);
		up(text);
		/* each direction has its own bucket */
		assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 20), cases[i].in);
		assert_int_equal(burst(FZGW_DIR_OUT, "alice", 0, 1000, 20), cases[i].out);
		down();
	}
}

static void test_drop_counters(void **state)
{
	(void)state;
	up("{ rate = 8000; burst = 16; }");
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 20), 16);
	assert_int_equal(burst(FZGW_DIR_OUT, "alice", 0, 1000, 18), 16);
	assert_int_equal(counter("passed"), 32);
	assert_int_equal(counter("rate-limited"), 6);
	assert_int_equal(counter("delayed"), 0);
	assert_int_equal(W.released, 6);
	/* the chain counted the drop reason for the hook */
	assert_int_equal(W.t->core.chains.phase[FZGW_PHASE_IN_FILTER].e[0].drops[0].n, 4);
	assert_string_equal(W.t->core.chains.phase[FZGW_PHASE_IN_FILTER].e[0].drops[0].reason,
			    "rate-limited");
	down();
}

/* ------------------------------------------------------------------ delay */

static void test_delay_in_order(void **state)
{
	int i;

	(void)state;
	up("{ rate = 8000; burst = 4; mode = \"delay\"; queue = 10; }");
	/* 4 pass, 10 are held, the rest do not fit */
	for (i = 0; i < 4; i++)
		assert_int_equal(send_pkt(FZGW_DIR_IN, "alice", 0, 1000, i), 1);
	for (; i < 14; i++)
		assert_int_equal(send_pkt(FZGW_DIR_IN, "alice", 0, 1000, i), -1);
	for (; i < 17; i++)
		assert_int_equal(send_pkt(FZGW_DIR_IN, "alice", 0, 1000, i), 0);
	assert_int_equal(counter("delayed"), 10);
	assert_int_equal(counter("queue-full"), 3);
	assert_int_equal(W.t->core.chains.phase[FZGW_PHASE_IN_FILTER].e[0].verdicts[FZGW_STOLEN], 10);
	/* no time passed: the timer finds no tokens */
	run_timers(3);
	assert_int_equal(W.n_sent, 4);
	/* 3 ms of tokens: the next three, in order */
	modtest_now_ms += 3;
	run_timers(3);
	assert_int_equal(W.n_sent, 7);
	/* while packets wait, a new one goes behind them even when tokens would cover it */
	modtest_now_ms += 1;
	assert_int_equal(send_pkt(FZGW_DIR_IN, "alice", 0, 100, 99), -1);
	advance(40, 3); /* steps the 4 KiB bucket can hold */
	assert_int_equal(W.n_sent, 15);
	for (i = 0; i < 14; i++)
		assert_int_equal(W.sent[i], i);
	assert_int_equal(W.sent[14], 99);
	assert_int_equal(counter("reinjected"), 11);
	/* the reinjected packets went on to the next hook, which accepted them */
	assert_int_equal(W.t->core.chains.phase[FZGW_PHASE_IN_FILTER].e[1].verdicts[FZGW_ACCEPT], 15);
	/* the queue is empty again: packets pass at once while there are tokens */
	modtest_now_ms += 100;
	assert_int_equal(send_pkt(FZGW_DIR_IN, "alice", 0, 1000, 100), 1);
	down();
}

/* Clients and directions queue apart; each drains at its own rate. */
static void test_delay_per_client(void **state)
{
	(void)state;
	up("{ rate = 8000; burst = 8; mode = \"delay\"; queue = 100; }");
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 20), 8);
	assert_int_equal(burst(FZGW_DIR_OUT, "alice", 0, 1000, 20), 8);
	assert_int_equal(burst(FZGW_DIR_IN, "bob", 1, 1000, 8), 8);
	assert_int_equal(burst(FZGW_DIR_IN, "bob", 1, 1000, 3), 0);
	/* 5 ms of tokens: 5 of each of alice's queues, bob's 3 */
	modtest_now_ms += 5;
	run_timers(3);
	assert_int_equal(W.n_sent, 24 + 5 + 5 + 3);
	advance(20, 5);
	assert_int_equal(W.n_sent, 24 + 12 + 12 + 3);
	assert_int_equal(W.live, 0);
	down();
}

/* What is held when the client goes, or the module unloads, is freed. */
static void test_delay_flush(void **state)
{
	struct fzgw_ev_peer gone;

	(void)state;
	up("{ rate = 8000; burst = 1; mode = \"delay\"; }");
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 50), 1);
	assert_int_equal(burst(FZGW_DIR_OUT, "alice", 0, 1000, 50), 1);
	assert_int_equal(burst(FZGW_DIR_IN, "bob", 1, 1000, 50), 1);
	assert_int_equal(W.live, 147);
	memset(&gone, 0, sizeof(gone));
	snprintf(gone.client_id, sizeof(gone.client_id), "alice");
	modtest_publish(W.t, FZGW_EV_PEER_REMOVED, &gone, sizeof(gone));
	assert_int_equal(W.live, 49);
	assert_int_equal(counter("rate-limit-flushed"), 98);
	/* a short event changes nothing */
	modtest_publish(W.t, FZGW_EV_PEER_REMOVED, &gone, 4);
	/* the timer runs on the emptied queues without harm; bob's moves on */
	modtest_now_ms += 2;
	/* the timers are the loop's real ones: wait for them (bounded) rather than guess */
	for (int i = 0; i < 400 && W.n_sent < 3 + 1; i++)
		run_timers(1);
	run_timers(2);
	assert_int_equal(W.n_sent, 3 + 1);
	/* bob's index reused by another client: bob's packets go */
	assert_int_equal(send_pkt(FZGW_DIR_IN, "carol", 1, 1000, 0), 1);
	assert_int_equal(send_pkt(FZGW_DIR_IN, "carol", 1, 1000, 1), -1);
	assert_int_equal(W.live, 1);
	/* the queue size: 256 by default */
	assert_int_equal(burst(FZGW_DIR_OUT, "dave", 2, 1000, 300), 1);
	assert_int_equal(counter("queue-full"), 300 - 1 - 256);
	down(); /* fini frees the rest; down() checks nothing is left */
	assert_true(W.released > 0);
}

/* ----------------------------------------------------------------- reload */

static void test_reload(void **state)
{
	struct modtest *t;

	(void)state;
	up("{ rate = 8000; burst = 16; }");
	t = W.t;
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 20), 16);
	/* refused settings change nothing */
	assert_int_equal(t->ctx.desc->reload(t->ctx.state,
					     modtest_settings(t, "{ rate = 8000; mode = \"x\"; }")),
			 -EINVAL);
	modtest_now_ms += 10;
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 20), 10);
	/* twice the rate: twice the packets for the same time */
	assert_int_equal(t->ctx.desc->reload(t->ctx.state,
					     modtest_settings(t, "{ rate = 16000; burst = 16; }")),
			 0);
	modtest_now_ms += 5;
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 20), 10);
	/* a smaller burst caps what a pause gives */
	assert_int_equal(t->ctx.desc->reload(t->ctx.state,
					     modtest_settings(t, "{ rate = 16000; burst = 4; }")),
			 0);
	modtest_now_ms += 10000;
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 20), 4);
	/* to delay mode and back */
	assert_int_equal(t->ctx.desc->reload(t->ctx.state,
					     modtest_settings(t, "{ rate = 16000; burst = 4; "
								 "mode = \"delay\"; }")),
			 0);
	assert_int_equal(burst(FZGW_DIR_IN, "alice", 0, 1000, 5), 0);
	assert_int_equal(counter("delayed"), 5);
	/* back to drop: what waits still drains; newcomers do not overtake it, they drop */
	assert_int_equal(t->ctx.desc->reload(t->ctx.state,
					     modtest_settings(t, "{ rate = 16000; burst = 4; }")),
			 0);
	assert_int_equal(send_pkt(FZGW_DIR_IN, "alice", 0, 1000, 0), 0);
	advance(5, 2);
	assert_int_equal(counter("reinjected"), 5);
	down();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_refill),
		cmocka_unit_test(test_big_packets),
		cmocka_unit_test(test_per_client),
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_drop_counters),
		cmocka_unit_test(test_delay_in_order),
		cmocka_unit_test(test_delay_per_client),
		cmocka_unit_test(test_delay_flush),
		cmocka_unit_test(test_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
