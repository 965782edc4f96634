/* SPDX-License-Identifier: Apache-2.0 */
/* The controlled ICE agent against a scripted controlling client on a fake clock: checks and
 * answers on the wire, nomination, peer-reflexive candidates, triggered checks, integrity and
 * username refusals, the retransmission schedule (default and idle), the path moving to another
 * pair, failure, withdrawn candidates, optimistic candidates, relayed candidates, role conflict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ice_agent.h"

#define GW_UFRAG "gwuf"
#define GW_PWD "gateway-password-12345678"
#define CL_UFRAG "cluf"
#define CL_PWD "client-password-123456789"
#define TB 0x1122334455667788ull
#define TAG 0x0A0B0C0Du
#define MAX_SENT 512

struct sent {
	uint8_t buf[ICE_MSG_MAX];
	struct ice_transmit tx;
	struct stun_msg m;
	uint64_t at;
};

struct fake {
	struct ice_agent *a;
	uint64_t now;
	struct sent out[MAX_SENT];
	unsigned n_out;
	struct ice_event ev[64];
	unsigned n_ev;
};

static const struct ice_base HOST = { ICE_BASE_HOST, 0 };
static const struct ice_base RELAY3 = { ICE_BASE_RELAY, 3 };

static struct stun_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct stun_addr x = { 4, port, { a, b, c, d } };

	return x;
}

static bool addr_eq(const struct stun_addr *x, const struct stun_addr *y)
{
	return x->family == y->family && x->port == y->port && !memcmp(x->ip, y->ip, 16);
}

static struct ice_cand cand(uint8_t type, struct stun_addr addr, uint32_t prio)
{
	struct ice_cand c;

	memset(&c, 0, sizeof(c));
	c.component = 1;
	c.type = type;
	c.addr = addr;
	c.priority = prio;
	snprintf(c.foundation, sizeof(c.foundation), "f%u", type);
	return c;
}

static void pump(struct fake *f)
{
	struct sent *s;
	struct ice_event e;

	for (;;) {
		assert_true(f->n_out < MAX_SENT);
		s = &f->out[f->n_out];
		if (!ice_agent_transmit(f->a, s->buf, sizeof(s->buf), &s->tx))
			break;
		assert_int_equal(stun_parse(&s->m, s->buf, s->tx.len), STUN_OK);
		assert_int_equal(stun_check_fingerprint(&s->m), STUN_OK);
		s->at = f->now;
		f->n_out++;
	}
	while (ice_agent_event(f->a, &e)) {
		assert_true(f->n_ev < 64);
		f->ev[f->n_ev++] = e;
	}
}

static void tick(struct fake *f, uint64_t now)
{
	f->now = now;
	ice_agent_tick(f->a, now);
	pump(f);
}

/* Runs the clock deadline by deadline up to @until. */
static void run_until(struct fake *f, uint64_t until)
{
	uint64_t d;

	while ((d = ice_agent_deadline(f->a)) <= until) {
		assert_true(d >= f->now);
		tick(f, d);
	}
	tick(f, until);
}

static struct fake *setup_agent(void)
{
	struct ice_config cfg = { GW_UFRAG, GW_PWD, CL_UFRAG, CL_PWD, TB, TAG };
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->now = 1000;
	f->a = ice_agent_new(&cfg, f->now);
	assert_non_null(f->a);
	return f;
}

static void teardown_agent(struct fake *f)
{
	ice_agent_free(f->a);
	free(f);
}

static void add_host(struct fake *f)
{
	struct ice_cand c = cand(ICE_HOST, v4(10, 0, 0, 1, 52625), 0);

	assert_int_equal(ice_agent_add_local(f->a, &c, &HOST, f->now), 0);
	assert_true(c.priority > 0);
}

static struct stun_addr CL_HOST(void)
{
	return v4(10, 0, 0, 2, 50000);
}

/* The client's check: USERNAME gw:cl, PRIORITY, ICE-CONTROLLING (or -CONTROLLED), signed. */
static enum ice_input client_check(struct fake *f, const struct ice_base *base,
				   struct stun_addr from, bool use_cand, const char *user,
				   const char *pwd, bool controlled, uint8_t tid_seed)
{
	uint8_t buf[512], tid[STUN_TID_LEN];
	struct stun_builder b;
	size_t len;

	memset(tid, tid_seed, sizeof(tid));
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_add_text(&b, STUN_A_USERNAME, user ? user : GW_UFRAG ":" CL_UFRAG);
	stun_add_u32(&b, STUN_A_PRIORITY, ice_priority(ICE_PRFLX, 65534, 1));
	stun_add_u64(&b, controlled ? STUN_A_ICE_CONTROLLED : STUN_A_ICE_CONTROLLING, 42);
	if (use_cand)
		stun_add(&b, STUN_A_USE_CANDIDATE, NULL, 0);
	stun_add_integrity(&b, (const uint8_t *)(pwd ? pwd : GW_PWD), strlen(pwd ? pwd : GW_PWD));
	stun_add_fingerprint(&b);
	assert_int_equal(stun_finish(&b, &len), STUN_OK);
	return ice_agent_input(f->a, base, &from, buf, len, f->now);
}

/* The client answers our check @s (from where it went unless @from). */
static enum ice_input answer(struct fake *f, const struct sent *s, const char *pwd,
			     const struct stun_addr *from)
{
	uint8_t buf[256];
	struct stun_builder b;
	struct stun_addr mapped = v4(192, 0, 2, 77, 52625);
	size_t len;

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, s->m.tid);
	stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &mapped);
	stun_add_integrity(&b, (const uint8_t *)(pwd ? pwd : CL_PWD), strlen(pwd ? pwd : CL_PWD));
	stun_add_fingerprint(&b);
	assert_int_equal(stun_finish(&b, &len), STUN_OK);
	return ice_agent_input(f->a, &s->tx.base, from ? from : &s->tx.to, buf, len, f->now);
}

static bool is_check(const struct sent *s)
{
	return s->m.cls == STUN_REQUEST;
}

/* The newest check to @to (NULL: any), or NULL. */
static const struct sent *last_check(const struct fake *f, const struct stun_addr *to)
{
	unsigned i;

	for (i = f->n_out; i-- > 0;)
		if (is_check(&f->out[i]) && (!to || addr_eq(&f->out[i].tx.to, to)))
			return &f->out[i];
	return NULL;
}

static unsigned count_events(const struct fake *f, uint8_t type)
{
	unsigned i, n = 0;

	for (i = 0; i < f->n_ev; i++)
		n += f->ev[i].type == type;
	return n;
}

/* A check on the wire is what RFC 8445 asks of a controlled agent, and the client's check is
 * answered with its source, signed with the gateway's password. */
static void test_host_host_nomination(void **state)
{
	struct fake *f = setup_agent();
	struct stun_addr cl = CL_HOST(), mapped;
	struct ice_cand rc = cand(ICE_HOST, cl, ice_priority(ICE_HOST, 65534, 1));
	const struct sent *s;
	const char *user;
	size_t n;
	uint64_t tb;
	struct ice_base base;
	struct stun_addr remote;

	(void)state;
	add_host(f);
	assert_int_equal(ice_agent_add_remote(f->a, &rc, f->now), 0);
	assert_int_equal(ice_agent_n_pairs(f->a), 1);
	tick(f, f->now);
	s = last_check(f, &cl);
	assert_non_null(s);
	assert_int_equal(s->tx.base.kind, ICE_BASE_HOST);
	assert_int_equal(stun_get_text(&s->m, STUN_A_USERNAME, &user, &n), STUN_OK);
	assert_int_equal(n, strlen(CL_UFRAG ":" GW_UFRAG));
	assert_memory_equal(user, CL_UFRAG ":" GW_UFRAG, n);
	assert_int_equal(stun_get_u64(&s->m, STUN_A_ICE_CONTROLLED, &tb), STUN_OK);
	assert_true(tb == TB);
	assert_false(stun_has(&s->m, STUN_A_ICE_CONTROLLING));
	assert_true(stun_has(&s->m, STUN_A_PRIORITY));
	assert_int_equal(ice_tid_tag(s->m.tid), TAG);
	assert_int_equal(stun_check_integrity(&s->m, (const uint8_t *)CL_PWD, strlen(CL_PWD)), STUN_OK);

	/* the client nominates before our check is answered: no path yet */
	f->now += 10;
	assert_int_equal(client_check(f, &HOST, cl, true, NULL, NULL, false, 1), ICE_IN_HANDLED);
	pump(f);
	s = &f->out[f->n_out - 1];
	assert_int_equal(s->m.cls, STUN_SUCCESS);
	assert_true(addr_eq(&s->tx.to, &cl));
	assert_int_equal(stun_get_addr(&s->m, STUN_A_XOR_MAPPED_ADDRESS, &mapped), STUN_OK);
	assert_true(addr_eq(&mapped, &cl));
	assert_int_equal(stun_check_integrity(&s->m, (const uint8_t *)GW_PWD, strlen(GW_PWD)), STUN_OK);
	assert_int_equal(count_events(f, ICE_EV_NOMINATED), 0);
	assert_false(ice_agent_path(f->a, NULL, NULL));

	/* our check succeeds: the nomination takes effect */
	assert_int_equal(answer(f, last_check(f, &cl), NULL, NULL), ICE_IN_HANDLED);
	pump(f);
	assert_int_equal(count_events(f, ICE_EV_NOMINATED), 1);
	assert_int_equal(f->ev[0].base.kind, ICE_BASE_HOST);
	assert_true(addr_eq(&f->ev[0].remote, &cl));
	assert_int_equal(f->ev[0].remote_type, ICE_HOST);
	assert_true(ice_agent_path(f->a, &base, &remote));
	assert_true(addr_eq(&remote, &cl));
	assert_int_equal(ice_agent_stats(f->a)->checks_ok, 1);
	/* a late duplicate answer is not ours any more */
	assert_int_equal(answer(f, last_check(f, &cl), NULL, NULL), ICE_IN_NOT_OURS);
	teardown_agent(f);
}

/* A check from an address the client never signalled: a peer-reflexive candidate, a pair and a
 * triggered check to it; its nomination then works like any other. */
static void test_prflx_learnt(void **state)
{
	struct fake *f = setup_agent();
	struct ice_cand rc = cand(ICE_HOST, CL_HOST(), ice_priority(ICE_HOST, 65534, 1));
	struct stun_addr nat = v4(203, 0, 113, 5, 61000);
	const struct sent *s;

	(void)state;
	add_host(f);
	ice_agent_add_remote(f->a, &rc, f->now);
	assert_int_equal(ice_agent_n_remote(f->a), 1);
	assert_int_equal(client_check(f, &HOST, nat, true, NULL, NULL, false, 2), ICE_IN_HANDLED);
	assert_int_equal(ice_agent_n_remote(f->a), 2);
	assert_int_equal(ice_agent_n_pairs(f->a), 2);
	tick(f, f->now);
	s = last_check(f, &nat);
	assert_non_null(s); /* triggered: first, before the signalled host pair */
	assert_int_equal(answer(f, s, NULL, NULL), ICE_IN_HANDLED);
	pump(f);
	assert_int_equal(count_events(f, ICE_EV_NOMINATED), 1);
	assert_int_equal(f->ev[0].remote_type, ICE_PRFLX);
	assert_true(addr_eq(&f->ev[0].remote, &nat));
	teardown_agent(f);
}

/* A check from the client on a pair waiting for its next request triggers it at once. */
static void test_triggered_check(void **state)
{
	struct fake *f = setup_agent();
	struct stun_addr cl = CL_HOST();
	struct ice_cand rc = cand(ICE_HOST, cl, ice_priority(ICE_HOST, 65534, 1));
	uint64_t t0;

	(void)state;
	add_host(f);
	ice_agent_add_remote(f->a, &rc, f->now);
	t0 = f->now;
	tick(f, t0);
	assert_int_equal(f->n_out, 1);
	assert_true(ice_agent_deadline(f->a) == t0 + 250);
	tick(f, t0 + 100);
	assert_int_equal(f->n_out, 1);
	assert_int_equal(client_check(f, &HOST, cl, false, NULL, NULL, false, 3), ICE_IN_HANDLED);
	assert_true(ice_agent_deadline(f->a) == t0 + 100);
	tick(f, t0 + 100);
	assert_int_equal(f->n_out, 3); /* our answer, then the triggered check */
	assert_int_equal(f->out[1].m.cls, STUN_SUCCESS);
	assert_true(is_check(&f->out[2]));
	assert_true(f->out[2].at == t0 + 100);
	teardown_agent(f);
}

/* Wrong password, wrong ufrags, a wrongly signed or misdirected answer: refused and counted. */
static void test_integrity_refused(void **state)
{
	struct fake *f = setup_agent();
	struct stun_addr cl = CL_HOST(), other = v4(10, 0, 0, 3, 50000);
	struct ice_cand rc = cand(ICE_HOST, cl, ice_priority(ICE_HOST, 65534, 1));
	const struct ice_stats *st;
	unsigned n;

	(void)state;
	add_host(f);
	ice_agent_add_remote(f->a, &rc, f->now);
	tick(f, f->now);
	n = f->n_out;
	st = ice_agent_stats(f->a);
	assert_int_equal(client_check(f, &HOST, cl, true, NULL, CL_PWD, false, 4), ICE_IN_DROPPED);
	assert_int_equal(st->dropped_integrity, 1);
	assert_int_equal(client_check(f, &HOST, cl, true, GW_UFRAG ":nope", NULL, false, 5),
			 ICE_IN_DROPPED);
	assert_int_equal(st->dropped_username, 1);
	assert_int_equal(client_check(f, &HOST, cl, true, "other:" CL_UFRAG, NULL, false, 6),
			 ICE_IN_NOT_OURS);
	assert_int_equal(client_check(f, &HOST, cl, true, GW_UFRAG, NULL, false, 7), ICE_IN_NOT_OURS);
	/* our check answered with the wrong password, from elsewhere, over another base */
	assert_int_equal(answer(f, last_check(f, &cl), GW_PWD, NULL), ICE_IN_DROPPED);
	assert_int_equal(st->dropped_integrity, 2);
	assert_int_equal(answer(f, last_check(f, &cl), NULL, &other), ICE_IN_DROPPED);
	assert_int_equal(st->dropped_asymmetric, 1);
	pump(f);
	assert_int_equal(f->n_out, n); /* nothing answered */
	assert_int_equal(st->checks_ok, 0);
	assert_int_equal(st->requests_in, 0);
	assert_int_equal(ice_agent_n_remote(f->a), 1);
	assert_false(ice_agent_path(f->a, NULL, NULL));
	teardown_agent(f);
}

/* Nobody answers: requests after 250 ms doubling to 15 s, 45 of them, the pair fails 15 s after
 * the last, the agent 2 s later. */
static void test_retransmit_schedule(void **state)
{
	struct fake *f = setup_agent();
	struct ice_cand rc = cand(ICE_HOST, CL_HOST(), ice_priority(ICE_HOST, 65534, 1));
	uint64_t t0 = f->now, expect = 250, last;
	unsigned i;

	(void)state;
	add_host(f);
	ice_agent_add_remote(f->a, &rc, f->now);
	tick(f, t0);
	run_until(f, t0 + 700000);
	assert_int_equal(f->n_out, ICE_MAX_RETRANS);
	for (i = 1; i < f->n_out; i++) {
		assert_true(f->out[i].at - f->out[i - 1].at == expect);
		expect = expect * 2 > ICE_MAX_RTO_MS ? ICE_MAX_RTO_MS : expect * 2;
	}
	last = f->out[f->n_out - 1].at;
	assert_true(last - t0 == 585750);
	assert_int_equal(ice_agent_stats(f->a)->pairs_failed, 1);
	assert_int_equal(count_events(f, ICE_EV_FAILED), 1);
	assert_true(ice_agent_failed(f->a));
	assert_true(ice_agent_deadline(f->a) == UINT64_MAX);
	teardown_agent(f);
}

/* Nominate the client's host pair and answer it for a while; returns with the path set. */
static void connect_host(struct fake *f, struct stun_addr cl)
{
	struct ice_cand rc = cand(ICE_HOST, cl, ice_priority(ICE_HOST, 65534, 1));

	ice_agent_add_remote(f->a, &rc, f->now);
	tick(f, f->now);
	assert_int_equal(client_check(f, &HOST, cl, true, NULL, NULL, false, 8), ICE_IN_HANDLED);
	assert_int_equal(answer(f, last_check(f, &cl), NULL, NULL), ICE_IN_HANDLED);
	pump(f);
	assert_true(ice_agent_path(f->a, NULL, NULL));
}

/* Idle mode: the pair is checked every 25 s, and 40 unanswered requests end it. */
static void test_idle_timings(void **state)
{
	struct fake *f = setup_agent();
	struct stun_addr cl = CL_HOST();
	unsigned first, i;

	(void)state;
	add_host(f);
	connect_host(f, cl);
	ice_agent_set_idle(f->a, true, f->now);
	first = f->n_out;
	run_until(f, f->now + 2000000);
	assert_int_equal(f->n_out - first, ICE_IDLE_MAX_RETRANS);
	for (i = first + 1; i < f->n_out; i++)
		assert_true(f->out[i].at - f->out[i - 1].at == ICE_IDLE_MAX_RTO_MS);
	assert_int_equal(count_events(f, ICE_EV_PATH_LOST), 1);
	assert_int_equal(count_events(f, ICE_EV_FAILED), 1);
	teardown_agent(f);
}

/* Answering keeps a pair alive: checks settle at one per max RTO (15 s) and the agent never
 * fails; back from idle the default rhythm returns. */
static void test_keepalive(void **state)
{
	struct fake *f = setup_agent();
	struct stun_addr cl = CL_HOST();
	const struct sent *s;
	uint64_t end;

	(void)state;
	add_host(f);
	connect_host(f, cl);
	end = f->now + 3600000;
	while (f->now < end) {
		uint64_t d = ice_agent_deadline(f->a);

		tick(f, d);
		s = &f->out[f->n_out - 1];
		if (s->at == f->now && is_check(s))
			assert_int_equal(answer(f, s, NULL, NULL), ICE_IN_HANDLED);
		if (f->n_out > MAX_SENT - 8)
			f->n_out = 0;
	}
	assert_false(ice_agent_failed(f->a));
	s = &f->out[f->n_out - 1];
	assert_true(f->out[f->n_out - 1].at - f->out[f->n_out - 2].at == ICE_MAX_RTO_MS);
	assert_int_equal(count_events(f, ICE_EV_NOMINATED), 1);
	assert_int_equal(f->n_ev, 1);
	teardown_agent(f);
}

/* Two working pairs, the nominated one goes silent: after max RTO / 2 the other takes over;
 * when that one is silent as well, both end, the path is lost and the agent fails. */
static void test_path_switch_then_fail(void **state)
{
	struct fake *f = setup_agent();
	struct stun_addr cl = CL_HOST(), srflx = v4(203, 0, 113, 9, 40000);
	struct ice_cand sc = cand(ICE_SRFLX, srflx, ice_priority(ICE_SRFLX, 65534, 1));
	uint64_t t_silent, t_conn, end;
	unsigned i;

	(void)state;
	add_host(f);
	ice_agent_add_remote(f->a, &sc, f->now);
	connect_host(f, cl);
	t_conn = f->now;
	/* answer the srflx pair's check too */
	while (!last_check(f, &srflx))
		tick(f, ice_agent_deadline(f->a));
	assert_int_equal(answer(f, last_check(f, &srflx), NULL, NULL), ICE_IN_HANDLED);
	pump(f);
	assert_int_equal(count_events(f, ICE_EV_NOMINATED), 1);
	assert_true(addr_eq(&f->ev[0].remote, &cl));
	/* only the srflx pair answers from now on */
	t_silent = f->now;
	end = t_silent + 60000;
	while (f->now < end && !count_events(f, ICE_EV_PATH_CHANGED)) {
		const struct sent *s;

		tick(f, ice_agent_deadline(f->a));
		s = &f->out[f->n_out - 1];
		if (s->at == f->now && is_check(s) && addr_eq(&s->tx.to, &srflx))
			answer(f, s, NULL, NULL);
	}
	assert_int_equal(count_events(f, ICE_EV_PATH_CHANGED), 1);
	assert_true(addr_eq(&f->ev[f->n_ev - 1].remote, &srflx));
	/* max RTO / 2 after the first unanswered check on the host pair */
	for (i = 0; i < f->n_out; i++)
		if (is_check(&f->out[i]) && addr_eq(&f->out[i].tx.to, &cl) && f->out[i].at > t_conn)
			break;
	assert_true(i < f->n_out);
	assert_true(f->now - f->out[i].at == ICE_MAX_RTO_MS / 2 + 1);
	/* nobody answers any more */
	f->n_out = 0;
	run_until(f, f->now + 1300000);
	assert_int_equal(count_events(f, ICE_EV_FAILED), 1);
	assert_int_equal(count_events(f, ICE_EV_PATH_LOST), 1);
	assert_int_equal(ice_agent_n_pairs(f->a), 0);
	teardown_agent(f);
}

/* Runs the clock until a check to @to newer than out[@from_idx] is sent; returns it. */
static const struct sent *next_check_to(struct fake *f, const struct stun_addr *to,
					unsigned from_idx, uint64_t limit)
{
	const struct sent *s;

	while (!(s = last_check(f, to)) || s < &f->out[from_idx]) {
		assert_true(f->now < limit);
		tick(f, ice_agent_deadline(f->a));
	}
	return s;
}

/* Runs the clock to @until, answering every check to @a (and @b unless NULL) as it goes out. */
static void run_answering(struct fake *f, uint64_t until, const struct stun_addr *a,
			  const struct stun_addr *b)
{
	const struct sent *s;
	uint64_t d;

	while ((d = ice_agent_deadline(f->a)) <= until) {
		unsigned from = f->n_out, i;

		tick(f, d);
		for (i = from; i < f->n_out; i++) {
			s = &f->out[i];
			if (is_check(s) && (addr_eq(&s->tx.to, a) || (b && addr_eq(&s->tx.to, b))))
				answer(f, s, NULL, NULL);
		}
		pump(f);
	}
	tick(f, until);
}

/* The controlling client moves the path by nominating another pair (a Firezone client when its
 * pair stops answering): the pair in use is checked at once and, unanswered for
 * ICE_RENOMINATION_WAIT_MS, the newer nomination takes over, whatever the priorities. A pair in
 * use that answers stays (aggressive nomination nominates every pair the client checks). Before
 * the fix, the higher-priority nominated pair stayed in use until it had been silent for
 * max RTO / 2 after our next scheduled check (up to 15 s + 7.5 s): a direct path cut while the
 * client had already moved to the relay. */
static void test_renomination(void **state)
{
	struct fake *f = setup_agent();
	struct stun_addr cl = CL_HOST(), srflx = v4(203, 0, 113, 9, 40000);
	struct stun_addr relay = v4(198, 51, 100, 3, 55000);
	struct ice_cand sc = cand(ICE_SRFLX, srflx, ice_priority(ICE_SRFLX, 65534, 1));
	struct ice_cand rc = cand(ICE_RELAY, relay, ice_priority(ICE_RELAY, 65534, 1));
	struct ice_base base;
	struct stun_addr remote;
	const struct sent *s;
	uint64_t t0;

	(void)state;
	add_host(f);
	ice_agent_add_remote(f->a, &sc, f->now);
	connect_host(f, cl);
	while (!last_check(f, &srflx))
		tick(f, ice_agent_deadline(f->a));
	assert_int_equal(answer(f, last_check(f, &srflx), NULL, NULL), ICE_IN_HANDLED);
	pump(f);
	assert_int_equal(count_events(f, ICE_EV_NOMINATED), 1);
	assert_true(addr_eq(&f->ev[0].remote, &cl));
	run_answering(f, f->now + 1000, &cl, &srflx);

	/* the srflx pair (lower priority) nominated while the host pair answers: checked, kept */
	t0 = f->now;
	assert_int_equal(client_check(f, &HOST, srflx, true, NULL, NULL, false, 21), ICE_IN_HANDLED);
	pump(f);
	s = next_check_to(f, &cl, f->n_out, t0 + 60);
	assert_int_equal(answer(f, s, NULL, NULL), ICE_IN_HANDLED);
	run_answering(f, f->now + 2000, &cl, &srflx);
	assert_int_equal(count_events(f, ICE_EV_PATH_CHANGED), 0);
	assert_true(ice_agent_path(f->a, &base, &remote));
	assert_true(addr_eq(&remote, &cl));

	/* nominated again, and now the host pair is silent: the srflx pair takes over */
	t0 = f->now;
	assert_int_equal(client_check(f, &HOST, srflx, true, NULL, NULL, false, 22), ICE_IN_HANDLED);
	pump(f);
	s = next_check_to(f, &cl, f->n_out, t0 + 60);
	while (!count_events(f, ICE_EV_PATH_CHANGED)) {
		assert_true(f->now < t0 + 2000);
		tick(f, ice_agent_deadline(f->a));
	}
	assert_true(f->now - s->at == ICE_RENOMINATION_WAIT_MS);
	assert_true(addr_eq(&f->ev[f->n_ev - 1].remote, &srflx));
	assert_int_equal(f->ev[f->n_ev - 1].remote_type, ICE_SRFLX);
	assert_true(ice_agent_path(f->a, &base, &remote));
	assert_true(addr_eq(&remote, &srflx));

	/* the host pair answers again: the better pair is back */
	s = next_check_to(f, &cl, f->n_out, f->now + 20000);
	assert_int_equal(answer(f, s, NULL, NULL), ICE_IN_HANDLED);
	pump(f);
	assert_int_equal(count_events(f, ICE_EV_PATH_CHANGED), 2);
	assert_true(addr_eq(&f->ev[f->n_ev - 1].remote, &cl));

	/* a pair never checked nominated: our triggered check to it; once it succeeds and the
	 * pair in use stays silent, it takes over */
	ice_agent_add_remote(f->a, &rc, f->now);
	t0 = f->now;
	assert_int_equal(client_check(f, &HOST, relay, true, NULL, NULL, false, 23), ICE_IN_HANDLED);
	pump(f);
	s = next_check_to(f, &relay, f->n_out, t0 + 60);
	assert_int_equal(count_events(f, ICE_EV_PATH_CHANGED), 2);
	f->now += 20;
	assert_int_equal(answer(f, s, NULL, NULL), ICE_IN_HANDLED);
	pump(f);
	while (count_events(f, ICE_EV_PATH_CHANGED) == 2) {
		assert_true(f->now < t0 + 2000);
		tick(f, ice_agent_deadline(f->a));
		s = &f->out[f->n_out - 1];
		if (s->at == f->now && is_check(s) && addr_eq(&s->tx.to, &srflx))
			answer(f, s, NULL, NULL); /* srflx answers, the host pair does not */
	}
	assert_true(addr_eq(&f->ev[f->n_ev - 1].remote, &relay));
	assert_int_equal(f->ev[f->n_ev - 1].remote_type, ICE_RELAY);
	assert_false(ice_agent_failed(f->a));
	teardown_agent(f);
}

/* invalidate_ice_candidates: the pairs go; a check from that address learns nothing. */
static void test_invalidate_remote(void **state)
{
	struct fake *f = setup_agent();
	struct stun_addr cl = CL_HOST(), srflx = v4(203, 0, 113, 9, 40000);
	struct ice_cand hc = cand(ICE_HOST, cl, ice_priority(ICE_HOST, 65534, 1));
	struct ice_cand sc = cand(ICE_SRFLX, srflx, ice_priority(ICE_SRFLX, 65534, 1));
	/* the optimistic candidate: the srflx address with the host port */
	struct ice_cand oc = cand(ICE_SRFLX, v4(203, 0, 113, 9, 50000), 0);

	(void)state;
	add_host(f);
	ice_agent_add_remote(f->a, &hc, f->now);
	ice_agent_add_remote(f->a, &sc, f->now);
	assert_int_equal(ice_agent_n_pairs(f->a), 3);
	assert_true(ice_agent_remove_remote(f->a, &sc, f->now));
	assert_false(ice_agent_remove_remote(f->a, &sc, f->now));
	assert_int_equal(ice_agent_n_pairs(f->a), 2);
	assert_int_equal(ice_agent_n_remote(f->a), 2);
	assert_int_equal(client_check(f, &HOST, srflx, false, NULL, NULL, false, 9), ICE_IN_DROPPED);
	assert_int_equal(ice_agent_stats(f->a)->dropped_discarded, 1);
	assert_int_equal(ice_agent_n_pairs(f->a), 2);
	/* signalled again: back */
	assert_int_equal(ice_agent_add_remote(f->a, &sc, f->now), 0);
	assert_int_equal(ice_agent_n_pairs(f->a), 3);
	/* the last one withdrawn: nothing to try, failed 2 s later */
	assert_true(ice_agent_remove_remote(f->a, &sc, f->now));
	assert_true(ice_agent_remove_remote(f->a, &oc, f->now));
	assert_true(ice_agent_remove_remote(f->a, &hc, f->now));
	assert_int_equal(ice_agent_n_pairs(f->a), 0);
	run_until(f, f->now + 1999);
	assert_false(ice_agent_failed(f->a));
	run_until(f, f->now + 1);
	assert_true(ice_agent_failed(f->a));
	teardown_agent(f);
}

/* Optimistic candidates: srflx IPv4 address x host IPv4 port, 2 at most per new candidate,
 * none for IPv6. */
static void test_optimistic(void **state)
{
	struct fake *f = setup_agent();
	struct stun_addr host = v4(192, 168, 1, 10, 52625);
	struct ice_cand hc = cand(ICE_HOST, host, ice_priority(ICE_HOST, 65534, 1));
	struct ice_cand s6 = cand(ICE_SRFLX, host, ice_priority(ICE_SRFLX, 65535, 1));
	unsigned i;

	(void)state;
	add_host(f);
	for (i = 1; i <= 3; i++) {
		struct ice_cand sc = cand(ICE_SRFLX, v4(1, 1, 1, (uint8_t)i, 40000),
					  ice_priority(ICE_SRFLX, 65534, 1));

		ice_agent_add_remote(f->a, &sc, f->now);
	}
	assert_int_equal(ice_agent_n_remote(f->a), 3);
	ice_agent_add_remote(f->a, &hc, f->now);
	assert_int_equal(ice_agent_n_remote(f->a), 4 + ICE_MAX_OPTIMISTIC);
	/* 1.1.1.1:52625 and 1.1.1.2:52625 are checked, 1.1.1.3:52625 is not there */
	{
		struct stun_addr o1 = v4(1, 1, 1, 1, 52625), o3 = v4(1, 1, 1, 3, 52625);

		run_until(f, f->now + 1000);
		assert_non_null(last_check(f, &o1));
		assert_null(last_check(f, &o3));
	}
	/* IPv6: nothing optimistic */
	s6.addr.family = 6;
	memset(s6.addr.ip, 0, 16);
	s6.addr.ip[0] = 0x20;
	s6.addr.ip[15] = 1;
	ice_agent_add_remote(f->a, &s6, f->now);
	assert_int_equal(ice_agent_n_remote(f->a), 4 + ICE_MAX_OPTIMISTIC + 1 + 1); /* + 1.1.1.3 */
	teardown_agent(f);
}

/* A relayed local candidate: its checks and answers say "through relay 3". */
static void test_relayed_local(void **state)
{
	struct fake *f = setup_agent();
	struct stun_addr cl = v4(203, 0, 113, 20, 45000);
	struct ice_cand rel = cand(ICE_RELAY, v4(198, 51, 100, 1, 40000), 0);
	struct ice_cand sc = cand(ICE_SRFLX, cl, ice_priority(ICE_SRFLX, 65534, 1));
	unsigned i, via_relay = 0;
	struct ice_base base;

	(void)state;
	add_host(f);
	assert_int_equal(ice_agent_add_local(f->a, &rel, &RELAY3, f->now), 0);
	assert_int_equal(rel.priority >> 24, 0); /* relay type preference 0 */
	assert_int_equal(ice_agent_add_local(f->a, &rel, &RELAY3, f->now), 1);
	ice_agent_add_remote(f->a, &sc, f->now);
	assert_int_equal(ice_agent_n_pairs(f->a), 2);
	run_until(f, f->now + 100);
	for (i = 0; i < f->n_out; i++)
		if (f->out[i].tx.base.kind == ICE_BASE_RELAY) {
			assert_int_equal(f->out[i].tx.base.relay, 3);
			assert_true(addr_eq(&f->out[i].tx.to, &cl));
			via_relay++;
		}
	assert_int_equal(via_relay, 1);
	/* the client's check arrives through the relay and is answered through it */
	assert_int_equal(client_check(f, &RELAY3, cl, true, NULL, NULL, false, 10), ICE_IN_HANDLED);
	pump(f);
	assert_int_equal(f->out[f->n_out - 1].m.cls, STUN_SUCCESS);
	assert_int_equal(f->out[f->n_out - 1].tx.base.kind, ICE_BASE_RELAY);
	for (i = f->n_out; i-- > 0;)
		if (is_check(&f->out[i]) && f->out[i].tx.base.kind == ICE_BASE_RELAY)
			break;
	assert_int_equal(answer(f, &f->out[i], NULL, NULL), ICE_IN_HANDLED);
	pump(f);
	assert_true(ice_agent_path(f->a, &base, NULL));
	assert_int_equal(base.kind, ICE_BASE_RELAY);
	assert_int_equal(base.relay, 3);
	/* the allocation is lost: its candidate and pairs go, the path with them */
	assert_int_equal(ice_agent_remove_base(f->a, &RELAY3, f->now), 1);
	pump(f);
	assert_int_equal(count_events(f, ICE_EV_PATH_LOST), 1);
	assert_int_equal(ice_agent_n_pairs(f->a), 1);
	teardown_agent(f);
}

/* A client claiming the controlled role as well gets 487 and no pair; a 487 to our check is
 * counted. */
static void test_role_conflict(void **state)
{
	struct fake *f = setup_agent();
	struct stun_addr cl = CL_HOST();
	struct ice_cand rc = cand(ICE_HOST, cl, ice_priority(ICE_HOST, 65534, 1));
	const struct sent *s;
	uint8_t buf[256];
	struct stun_builder b;
	size_t len;
	int code;
	const char *reason;

	(void)state;
	add_host(f);
	ice_agent_add_remote(f->a, &rc, f->now);
	tick(f, f->now);
	assert_int_equal(client_check(f, &HOST, cl, true, NULL, NULL, true, 11), ICE_IN_HANDLED);
	pump(f);
	s = &f->out[f->n_out - 1];
	assert_int_equal(s->m.cls, STUN_ERROR);
	assert_int_equal(stun_get_error(&s->m, &code, &reason, &len), STUN_OK);
	assert_int_equal(code, 487);
	assert_int_equal(stun_check_integrity(&s->m, (const uint8_t *)GW_PWD, strlen(GW_PWD)), STUN_OK);
	assert_int_equal(ice_agent_stats(f->a)->role_conflicts_sent, 1);

	s = last_check(f, &cl);
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_ERROR, s->m.tid);
	stun_add_error(&b, 487, "Role Conflict");
	stun_add_integrity(&b, (const uint8_t *)CL_PWD, strlen(CL_PWD));
	stun_add_fingerprint(&b);
	assert_int_equal(stun_finish(&b, &len), STUN_OK);
	assert_int_equal(ice_agent_input(f->a, &HOST, &cl, buf, len, f->now), ICE_IN_HANDLED);
	assert_int_equal(ice_agent_stats(f->a)->role_conflicts_received, 1);
	assert_false(ice_agent_path(f->a, NULL, NULL));
	teardown_agent(f);
}

/* No remote candidate within 10 s: failed. */
static void test_candidate_timeout(void **state)
{
	struct fake *f = setup_agent();
	uint64_t t0 = f->now;

	(void)state;
	add_host(f);
	assert_true(ice_agent_deadline(f->a) == t0 + ICE_CANDIDATE_TIMEOUT_MS);
	run_until(f, t0 + ICE_CANDIDATE_TIMEOUT_MS - 1);
	assert_false(ice_agent_failed(f->a));
	run_until(f, t0 + ICE_CANDIDATE_TIMEOUT_MS);
	assert_true(ice_agent_failed(f->a));
	assert_int_equal(count_events(f, ICE_EV_FAILED), 1);
	teardown_agent(f);
}

/* Credentials: empty, ':' in a ufrag, too long for USERNAME, non-printable: refused. */
static void test_bad_credentials(void **state)
{
	char long_ufrag[ICE_UFRAG_MAX + 2];
	struct ice_config c = { GW_UFRAG, GW_PWD, CL_UFRAG, CL_PWD, 1, 0 };
	struct ice_agent *a;

	(void)state;
	memset(long_ufrag, 'u', sizeof(long_ufrag) - 1);
	long_ufrag[sizeof(long_ufrag) - 1] = 0;
	a = ice_agent_new(&c, 0);
	assert_non_null(a);
	ice_agent_free(a);
	c.local_ufrag = "";
	assert_null(ice_agent_new(&c, 0));
	c.local_ufrag = "a:b";
	assert_null(ice_agent_new(&c, 0));
	c.local_ufrag = long_ufrag;
	assert_null(ice_agent_new(&c, 0));
	c.local_ufrag = GW_UFRAG;
	c.remote_pwd = "pass\nword";
	assert_null(ice_agent_new(&c, 0));
	c.remote_pwd = NULL;
	assert_null(ice_agent_new(&c, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_host_nomination),
		cmocka_unit_test(test_prflx_learnt),
		cmocka_unit_test(test_triggered_check),
		cmocka_unit_test(test_integrity_refused),
		cmocka_unit_test(test_retransmit_schedule),
		cmocka_unit_test(test_idle_timings),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_path_switch_then_fail),
		cmocka_unit_test(test_renomination),
		cmocka_unit_test(test_invalidate_remote),
		cmocka_unit_test(test_optimistic),
		cmocka_unit_test(test_relayed_local),
		cmocka_unit_test(test_role_conflict),
		cmocka_unit_test(test_candidate_timeout),
		cmocka_unit_test(test_bad_credentials),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
