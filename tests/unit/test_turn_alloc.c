/* SPDX-License-Identifier: Apache-2.0 */
/* The TURN allocation state machine driven by a scripted relay on a fake clock: one test per
 * behaviour of the original's client (binding race, keepalive, nonce, realm, refresh, 437,
 * channels with refresh, expiry and cool-down, the queue limit, integrity and source checks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "turn_alloc.h"

#define USER "1700000000:salt"
#define PASS "secret-password"
#define MAX_SENT 256

struct sent {
	uint8_t buf[TURN_MSG_MAX];
	size_t len;
	struct stun_addr to;
	struct stun_msg m;
};

struct fake {
	struct turn_alloc *a;
	uint64_t now;
	struct stun_addr srv4, srv6, peer, peer2;
	uint8_t key[STUN_LONG_TERM_KEY_LEN];
	struct sent out[MAX_SENT];
	unsigned n_out;
	struct turn_event ev[256];
	unsigned n_ev, ev_read;
	bool auto_binding; /* answer every BINDING keepalive while time passes */
};

enum { SIGN = 1, NO_SIGN = 0 };

struct reply {
	int code;             /* 0: success */
	const char *realm, *nonce;
	uint32_t lifetime;    /* 0: none */
	bool relayed, mapped, sign;
	const struct stun_addr *mapped_addr;
	const uint8_t *key;   /* NULL: the right one */
};

static void pump(struct fake *f)
{
	struct sent s;
	struct turn_event e;
	size_t n;

	while ((n = turn_alloc_transmit(f->a, s.buf, sizeof(s.buf), &s.to))) {
		assert_true(f->n_out < MAX_SENT);
		s.len = n;
		f->out[f->n_out] = s;
		assert_int_equal(stun_parse(&f->out[f->n_out].m, f->out[f->n_out].buf, n), STUN_OK);
		f->n_out++;
	}
	while (turn_alloc_event(f->a, &e)) {
		assert_true(f->n_ev < 256);
		f->ev[f->n_ev++] = e;
	}
}

/* Takes the oldest unanswered request of a method (and removes it), parsed in place. */
static void take(struct fake *f, uint16_t method, struct sent *s)
{
	unsigned i;

	for (i = 0; i < f->n_out; i++) {
		if (f->out[i].m.method != method)
			continue;
		*s = f->out[i];
		memmove(&f->out[i], &f->out[i + 1], (f->n_out - i - 1) * sizeof(*s));
		f->n_out--;
		assert_int_equal(stun_parse(&s->m, s->buf, s->len), STUN_OK);
		return;
	}
	fail_msg("no request of method %#x sent", method);
}

static unsigned count(const struct fake *f, uint16_t method)
{
	unsigned i, n = 0;

	for (i = 0; i < f->n_out; i++)
		n += f->out[i].m.method == method;
	return n;
}

static enum turn_input answer(struct fake *f, const struct sent *s, const struct reply *r);

static void keepalives(struct fake *f)
{
	struct sent s;

	while (f->auto_binding && count(f, STUN_BINDING)) {
		take(f, STUN_BINDING, &s);
		answer(f, &s, &(struct reply){ .mapped = true });
	}
}

static void advance(struct fake *f, uint64_t ms)
{
	uint64_t until = f->now + ms, d;

	while ((d = turn_alloc_deadline(f->a)) <= until) {
		if (d > f->now)
			f->now = d;
		turn_alloc_tick(f->a, f->now);
		pump(f);
		keepalives(f);
		if (turn_alloc_deadline(f->a) <= f->now)
			break; /* nothing may be due again at the same instant */
	}
	f->now = until;
	turn_alloc_tick(f->a, f->now);
	pump(f);
	keepalives(f);
}

static const struct turn_event *event(struct fake *f, uint8_t type)
{
	while (f->ev_read < f->n_ev) {
		const struct turn_event *e = &f->ev[f->ev_read++];

		if (e->type == type)
			return e;
	}
	fail_msg("no event %u", type);
	return NULL;
}

static bool has_event(const struct fake *f, uint8_t type)
{
	unsigned i;

	for (i = f->ev_read; i < f->n_ev; i++)
		if (f->ev[i].type == type)
			return true;
	return false;
}

static enum turn_input answer_from(struct fake *f, const struct sent *s, const struct reply *r,
				   const struct stun_addr *from)
{
	static const struct stun_addr relay4 = { 4, 50000, { 198, 51, 100, 9 } };
	static const struct stun_addr relay6 = { 6, 50001, { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 } };
	static const struct stun_addr mapped = { 4, 40000, { 203, 0, 113, 7 } };
	uint8_t buf[512];
	struct stun_builder b;
	size_t len;
	enum turn_input in;

	memset(buf, 0, sizeof(buf));
	stun_build_init(&b, buf, sizeof(buf), s->m.method, r->code ? STUN_ERROR : STUN_SUCCESS,
			s->m.tid);
	if (r->code)
		stun_add_error(&b, r->code, "scripted");
	if (r->realm)
		stun_add_text(&b, STUN_A_REALM, r->realm);
	if (r->nonce)
		stun_add_text(&b, STUN_A_NONCE, r->nonce);
	if (r->relayed) {
		stun_add_addr(&b, STUN_A_XOR_RELAYED_ADDRESS, &relay4);
		stun_add_addr(&b, STUN_A_XOR_RELAYED_ADDRESS, &relay6);
	}
	if (r->mapped)
		stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, r->mapped_addr ? r->mapped_addr : &mapped);
	if (r->lifetime)
		stun_add_u32(&b, STUN_A_LIFETIME, r->lifetime);
	if (r->sign)
		stun_add_integrity(&b, r->key ? r->key : f->key, STUN_LONG_TERM_KEY_LEN);
	stun_add_fingerprint(&b);
	assert_int_equal(stun_finish(&b, &len), STUN_OK);
	in = turn_alloc_input(f->a, from, buf, len, f->now);
	pump(f);
	return in;
}

static enum turn_input answer(struct fake *f, const struct sent *s, const struct reply *r)
{
	return answer_from(f, s, r, &s->to);
}

static void check_signed(struct fake *f, const struct sent *s, const char *nonce)
{
	const char *v;
	size_t n;

	assert_int_equal(stun_get_text(&s->m, STUN_A_USERNAME, &v, &n), STUN_OK);
	assert_true(n == strlen(USER) && !memcmp(v, USER, n));
	assert_int_equal(stun_get_text(&s->m, STUN_A_REALM, &v, &n), STUN_OK);
	assert_true(n == 8 && !memcmp(v, "firezone", 8));
	if (nonce) {
		assert_int_equal(stun_get_text(&s->m, STUN_A_NONCE, &v, &n), STUN_OK);
		assert_true(n == strlen(nonce) && !memcmp(v, nonce, n));
	} else {
		assert_false(stun_has(&s->m, STUN_A_NONCE));
	}
	assert_int_equal(stun_check_integrity(&s->m, f->key, sizeof(f->key)), STUN_OK);
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct turn_config cfg = { .n_servers = 2, .username = USER, .password = PASS };

	assert_non_null(f);
	f->srv4 = (struct stun_addr){ 4, 3478, { 192, 0, 2, 1 } };
	f->srv6 = (struct stun_addr){ 6, 3478, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	f->peer = (struct stun_addr){ 4, 52625, { 203, 0, 113, 50 } };
	f->peer2 = (struct stun_addr){ 4, 52626, { 203, 0, 113, 51 } };
	cfg.servers[0] = f->srv4;
	cfg.servers[1] = f->srv6;
	assert_int_equal(stun_long_term_key(USER, "firezone", PASS, f->key), STUN_OK);
	f->now = 1000000;
	f->a = turn_alloc_new(&cfg, f->now);
	assert_non_null(f->a);
	pump(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	turn_alloc_free(f->a);
	free(f);
	return 0;
}

/* Binding answered by srv4, 401 with a nonce, ALLOCATE answered: the usual start. */
static void allocate(struct fake *f)
{
	struct sent s;

	take(f, STUN_BINDING, &s);
	answer(f, &s, &(struct reply){ .mapped = true });
	take(f, STUN_ALLOCATE, &s);
	answer(f, &s, &(struct reply){ .code = 401, .realm = "firezone", .nonce = "n1" });
	take(f, STUN_ALLOCATE, &s);
	check_signed(f, &s, "n1");
	answer(f, &s, &(struct reply){ .relayed = true, .mapped = true, .lifetime = 600, .sign = SIGN });
	assert_int_equal(turn_alloc_state(f->a), TURN_S_ALLOCATED);
	event(f, TURN_EV_ALLOCATED);
	f->auto_binding = true;
}

static void test_binding_first_answer_wins(void **state)
{
	struct fake *f = *state;
	struct sent b4, b6, s;
	const struct turn_event *e;
	uint8_t proto, fam;
	const char *v;
	size_t n;

	assert_int_equal(count(f, STUN_BINDING), 2);
	take(f, STUN_BINDING, &b4);
	take(f, STUN_BINDING, &b6);
	assert_true(stun_addr_equal(&b4.to, &f->srv4));
	assert_true(stun_addr_equal(&b6.to, &f->srv6));
	assert_memory_not_equal(b4.m.tid, b6.m.tid, STUN_TID_LEN); /* random ids */

	assert_int_equal(answer(f, &b6, &(struct reply){ .mapped = true }), TURN_IN_HANDLED);
	e = event(f, TURN_EV_SRFLX);
	assert_true(stun_addr_equal(&e->server, &f->srv6));
	assert_int_equal(e->srflx.port, 40000);
	/* the loser's late answer is no longer ours */
	assert_int_equal(answer(f, &b4, &(struct reply){ .mapped = true }), TURN_IN_NOT_OURS);

	take(f, STUN_ALLOCATE, &s);
	assert_true(stun_addr_equal(&s.to, &f->srv6));
	assert_int_equal(stun_get_transport(&s.m, &proto), STUN_OK);
	assert_int_equal(proto, 17);
	assert_int_equal(stun_get_family(&s.m, STUN_A_ADDITIONAL_ADDRESS_FAMILY, &fam), STUN_OK);
	assert_int_equal(fam, 6);
	assert_int_equal(stun_get_text(&s.m, STUN_A_SOFTWARE, &v, &n), STUN_OK);
	/* unsigned until the server's 401 gives the nonce: coturn refuses a signed request
	 * without one (400), the original's relays take both */
	assert_false(stun_has(&s.m, STUN_A_USERNAME));
	assert_false(stun_has(&s.m, STUN_A_MESSAGE_INTEGRITY));
}

static void test_binding_retransmit_then_give_up(void **state)
{
	struct fake *f = *state;

	f->n_out = 0;
	advance(f, 7999);
	assert_int_equal(count(f, STUN_BINDING), 6); /* resent at 1, 3 and 7 s to both */
	assert_false(has_event(f, TURN_EV_FAILED));
	advance(f, 1);
	assert_int_equal(event(f, TURN_EV_FAILED)->code, 0);
	assert_int_equal(turn_alloc_state(f->a), TURN_S_FAILED);
	assert_int_equal(turn_alloc_bind_channel(f->a, &f->peer, f->now), -1);
}

static void test_keepalive_every_25s(void **state)
{
	struct fake *f = *state;
	struct stun_addr moved = { 4, 40001, { 203, 0, 113, 7 } };
	struct sent s;

	allocate(f);
	f->auto_binding = false;
	f->n_out = 0;
	advance(f, 24999);
	assert_int_equal(count(f, STUN_BINDING), 0);
	advance(f, 1);
	take(f, STUN_BINDING, &s);
	assert_true(stun_addr_equal(&s.to, &f->srv4));
	answer(f, &s, &(struct reply){ .mapped = true, .mapped_addr = &moved });
	assert_int_equal(event(f, TURN_EV_SRFLX)->srflx.port, 40001); /* the NAT moved us */
	/* the next keepalive goes unanswered: the relay is given up 8 s later */
	advance(f, 25000);
	assert_int_equal(count(f, STUN_BINDING), 1);
	advance(f, 7999);
	assert_false(has_event(f, TURN_EV_FAILED));
	advance(f, 1);
	event(f, TURN_EV_LOST);
	event(f, TURN_EV_FAILED);
}

static void test_keepalive_error_keeps_allocation(void **state)
{
	struct fake *f = *state;
	struct sent s;

	allocate(f);
	f->auto_binding = false;
	f->n_out = 0;
	advance(f, 25000);
	take(f, STUN_BINDING, &s);
	assert_int_equal(answer(f, &s, &(struct reply){ .code = 400 }), TURN_IN_HANDLED);
	assert_int_equal(turn_alloc_state(f->a), TURN_S_ALLOCATED);
	/* and a success without a mapped address */
	advance(f, 25000);
	take(f, STUN_BINDING, &s);
	assert_int_equal(answer(f, &s, &(struct reply){ 0 }), TURN_IN_HANDLED);
	assert_int_equal(turn_alloc_state(f->a), TURN_S_ALLOCATED);
	assert_false(has_event(f, TURN_EV_FAILED));
}

static void test_nonce_and_allocated(void **state)
{
	struct fake *f = *state;
	const struct turn_event *e;

	allocate(f);
	e = &f->ev[f->ev_read - 1];
	assert_int_equal(e->relayed4.family, 4);
	assert_int_equal(e->relayed4.port, 50000);
	assert_int_equal(e->relayed6.family, 6);
	assert_int_equal(e->relayed6.port, 50001);
	assert_int_equal(e->srflx.port, 40000);
}

static void test_other_realm_refused(void **state)
{
	struct fake *f = *state;
	struct sent s;

	take(f, STUN_BINDING, &s);
	answer(f, &s, &(struct reply){ .mapped = true });
	take(f, STUN_ALLOCATE, &s);
	/* the same length as "firezone", and no realm at all */
	answer(f, &s, &(struct reply){ .code = 401, .realm = "FIREZONE", .nonce = "n1" });
	assert_int_equal(event(f, TURN_EV_FAILED)->code, 401);
	assert_int_equal(count(f, STUN_ALLOCATE), 0);
}

static void test_missing_realm_refused(void **state)
{
	struct fake *f = *state;
	struct sent s;

	take(f, STUN_BINDING, &s);
	answer(f, &s, &(struct reply){ .mapped = true });
	take(f, STUN_ALLOCATE, &s);
	answer(f, &s, &(struct reply){ .code = 401, .nonce = "n1" });
	assert_int_equal(event(f, TURN_EV_FAILED)->code, 401);
	assert_int_equal(count(f, STUN_ALLOCATE), 0);
}

static void test_401_after_nonce_gives_up(void **state)
{
	struct fake *f = *state;
	struct sent s;

	take(f, STUN_BINDING, &s);
	answer(f, &s, &(struct reply){ .mapped = true });
	take(f, STUN_ALLOCATE, &s);
	answer(f, &s, &(struct reply){ .code = 401, .realm = "firezone", .nonce = "n1" });
	take(f, STUN_ALLOCATE, &s);
	answer(f, &s, &(struct reply){ .code = 401, .realm = "firezone", .nonce = "n2" });
	assert_int_equal(event(f, TURN_EV_FAILED)->code, 401);
	assert_int_equal(turn_alloc_state(f->a), TURN_S_FAILED);
	assert_int_equal(count(f, STUN_ALLOCATE), 0);
}

static void test_refresh_at_half_lifetime_and_438(void **state)
{
	struct fake *f = *state;
	struct sent s;

	allocate(f);
	f->n_out = 0;
	advance(f, 299999);
	assert_int_equal(count(f, STUN_REFRESH), 0);
	advance(f, 1);
	take(f, STUN_REFRESH, &s);
	check_signed(f, &s, "n1");
	answer(f, &s, &(struct reply){ .code = 438, .nonce = "n2" });
	take(f, STUN_REFRESH, &s);
	check_signed(f, &s, "n2");
	answer(f, &s, &(struct reply){ .lifetime = 120, .sign = SIGN });
	f->n_out = 0;
	advance(f, 59999);
	assert_int_equal(count(f, STUN_REFRESH), 0);
	advance(f, 1);
	assert_int_equal(count(f, STUN_REFRESH), 1);
	assert_int_equal(turn_alloc_state(f->a), TURN_S_ALLOCATED);
}

static void test_437_on_allocate_deletes_then_allocates(void **state)
{
	struct fake *f = *state;
	struct sent s;
	uint32_t life;

	take(f, STUN_BINDING, &s);

	answer(f, &s, &(struct reply){ .mapped = true });
	take(f, STUN_ALLOCATE, &s);
	answer(f, &s, &(struct reply){ .code = 437 });
	take(f, STUN_REFRESH, &s);
	assert_int_equal(stun_get_u32(&s.m, STUN_A_LIFETIME, &life), STUN_OK);
	assert_int_equal(life, 0);
	assert_int_equal(count(f, STUN_ALLOCATE), 0);
	answer(f, &s, &(struct reply){ .sign = SIGN });
	take(f, STUN_ALLOCATE, &s);
	answer(f, &s, &(struct reply){ .relayed = true, .mapped = true, .lifetime = 600, .sign = SIGN });
	event(f, TURN_EV_ALLOCATED);
}

static void test_437_on_refresh_reallocates_and_requeues(void **state)
{
	struct fake *f = *state;
	struct sent s, stale;
	uint16_t ch;
	struct stun_addr p;

	allocate(f);
	assert_int_equal(turn_alloc_bind_channel(f->a, &f->peer, f->now), 0x4000);
	pump(f);
	take(f, STUN_CHANNEL_BIND, &s);
	answer(f, &s, &(struct reply){ .sign = SIGN });
	event(f, TURN_EV_CHANNEL_BOUND);
	advance(f, 300000); /* refresh of the allocation and of the channel */
	take(f, STUN_CHANNEL_BIND, &stale);
	take(f, STUN_REFRESH, &s);
	answer(f, &s, &(struct reply){ .code = 437 });
	event(f, TURN_EV_LOST);
	assert_int_equal(turn_alloc_channel_of(f->a, &f->peer), -1);
	/* the channel refresh in flight belongs to the lost allocation */
	assert_int_equal(answer(f, &stale, &(struct reply){ .sign = SIGN }), TURN_IN_NOT_OURS);
	assert_int_equal(count(f, STUN_CHANNEL_BIND), 0); /* queued until allocated again */
	take(f, STUN_ALLOCATE, &s);
	answer(f, &s, &(struct reply){ .relayed = true, .mapped = true, .lifetime = 600, .sign = SIGN });
	event(f, TURN_EV_ALLOCATED);
	take(f, STUN_CHANNEL_BIND, &s);
	assert_int_equal(stun_get_channel(&s.m, &ch), STUN_OK);
	assert_int_equal(ch, 0x4000);
	assert_int_equal(stun_get_addr(&s.m, STUN_A_XOR_PEER_ADDRESS, &p), STUN_OK);
	assert_true(stun_addr_equal(&p, &f->peer));
	answer(f, &s, &(struct reply){ .sign = SIGN });
	assert_int_equal(turn_alloc_channel_of(f->a, &f->peer), 0x4000);
}

static void test_channel_bind_refresh_expiry_cooldown(void **state)
{
	struct fake *f = *state;
	struct stun_addr p;
	struct sent s;
	uint16_t ch;

	/* asked before the allocation: queued, sent once allocated */
	assert_int_equal(turn_alloc_bind_channel(f->a, &f->peer, f->now), 0x4000);
	assert_int_equal(turn_alloc_bind_channel(f->a, &f->peer, f->now), 0x4000);
	pump(f);
	assert_int_equal(count(f, STUN_CHANNEL_BIND), 0);
	allocate(f);
	take(f, STUN_CHANNEL_BIND, &s);
	check_signed(f, &s, "n1");
	assert_int_equal(stun_get_channel(&s.m, &ch), STUN_OK);
	assert_int_equal(ch, 0x4000);
	assert_int_equal(turn_alloc_channel_of(f->a, &f->peer), -1); /* not bound yet */
	answer(f, &s, &(struct reply){ .sign = SIGN });
	assert_int_equal(event(f, TURN_EV_CHANNEL_BOUND)->channel, 0x4000);
	assert_int_equal(turn_alloc_channel_of(f->a, &f->peer), 0x4000);
	assert_true(turn_alloc_peer_of(f->a, 0x4000, &p));
	assert_true(stun_addr_equal(&p, &f->peer));
	assert_false(turn_alloc_peer_of(f->a, 0x4001, &p));

	/* refreshed at half-life (5 min) */
	f->n_out = 0;
	advance(f, 299999);
	assert_int_equal(count(f, STUN_CHANNEL_BIND), 0);
	advance(f, 1);
	take(f, STUN_CHANNEL_BIND, &s);
	answer(f, &s, &(struct reply){ .sign = SIGN });
	take(f, STUN_REFRESH, &s);
	answer(f, &s, &(struct reply){ .lifetime = 3600, .sign = SIGN });
	assert_int_equal(turn_alloc_channel_of(f->a, &f->peer), 0x4000);

	/* the next refresh is refused: the binding lives to its 10 min, then expires */
	advance(f, 300000);
	take(f, STUN_CHANNEL_BIND, &s);
	answer(f, &s, &(struct reply){ .code = 403, .sign = SIGN });
	advance(f, 299999);
	assert_int_equal(turn_alloc_channel_of(f->a, &f->peer), 0x4000);
	advance(f, 1);
	assert_int_equal(event(f, TURN_EV_CHANNEL_EXPIRED)->channel, 0x4000);
	assert_int_equal(turn_alloc_channel_of(f->a, &f->peer), -1);
	assert_false(turn_alloc_peer_of(f->a, 0x4000, &p));
	/* another peer never gets the cooling number */
	assert_int_equal(turn_alloc_bind_channel(f->a, &f->peer2, f->now), 0x4001);
	pump(f);
	take(f, STUN_CHANNEL_BIND, &s);
	assert_int_equal(stun_get_channel(&s.m, &ch), STUN_OK);
	assert_int_equal(ch, 0x4001);
	answer(f, &s, &(struct reply){ .sign = SIGN });
	/* until the cool-down ends the pairing is kept: the same peer gets the same number */
	advance(f, 299999);
	assert_int_equal(turn_alloc_bind_channel(f->a, &f->peer, f->now), 0x4000);
	pump(f);
	take(f, STUN_CHANNEL_BIND, &s);
	assert_int_equal(stun_get_channel(&s.m, &ch), STUN_OK);
	assert_int_equal(ch, 0x4000);
}

static void test_channel_queue_limit(void **state)
{
	struct fake *f = *state;
	struct stun_addr p = { 4, 1000, { 10, 0, 0, 1 } };
	int i;

	for (i = 0; i < TURN_MAX_QUEUED_BINDINGS; i++) {
		p.port = (uint16_t)(1000 + i);
		assert_int_equal(turn_alloc_bind_channel(f->a, &p, f->now), 0x4000 + i);
	}
	p.port = 5000;
	assert_int_equal(turn_alloc_bind_channel(f->a, &p, f->now), -1);
	p.family = 5;
	assert_int_equal(turn_alloc_bind_channel(f->a, &p, f->now), -1);
	/* once allocated, the queue drains (as many as there are free transactions) */
	allocate(f);
	assert_true(count(f, STUN_CHANNEL_BIND) > 0);
}

static void test_channel_bind_refused(void **state)
{
	struct fake *f = *state;
	struct sent s;

	allocate(f);
	turn_alloc_bind_channel(f->a, &f->peer, f->now);
	pump(f);
	take(f, STUN_CHANNEL_BIND, &s);
	answer(f, &s, &(struct reply){ .code = 403, .sign = SIGN });
	assert_int_equal(event(f, TURN_EV_CHANNEL_FAILED)->code, 403);
	assert_int_equal(turn_alloc_channel_of(f->a, &f->peer), -1);
}

static void test_integrity_and_source_checked(void **state)
{
	struct fake *f = *state;
	uint8_t wrong[STUN_LONG_TERM_KEY_LEN] = { 1 };
	struct stun_addr elsewhere = { 4, 3478, { 192, 0, 2, 99 } };
	const struct turn_stats *st = turn_alloc_stats(f->a);
	struct sent s;

	take(f, STUN_BINDING, &s);
	assert_int_equal(answer_from(f, &s, &(struct reply){ .mapped = true }, &elsewhere),
			 TURN_IN_DROPPED);
	assert_int_equal(st->dropped_source, 1);
	answer(f, &s, &(struct reply){ .mapped = true });
	take(f, STUN_ALLOCATE, &s);
	/* an unsigned success, and one signed with another key, are both dropped */
	assert_int_equal(answer(f, &s, &(struct reply){ .relayed = true, .lifetime = 600 }),
			 TURN_IN_DROPPED);
	assert_int_equal(answer(f, &s, &(struct reply){ .relayed = true, .lifetime = 600,
							.sign = SIGN, .key = wrong }),
			 TURN_IN_DROPPED);
	assert_int_equal(st->dropped_integrity, 2);
	assert_int_equal(turn_alloc_state(f->a), TURN_S_ALLOCATING);
	/* garbage and requests are not ours */
	assert_int_equal(turn_alloc_input(f->a, &f->srv4, s.buf, s.len, f->now), TURN_IN_NOT_OURS);
	assert_int_equal(turn_alloc_input(f->a, &f->srv4, s.buf, 7, f->now), TURN_IN_NOT_OURS);
	/* the genuine answer still works */
	answer(f, &s, &(struct reply){ .relayed = true, .lifetime = 600, .sign = SIGN });
	event(f, TURN_EV_ALLOCATED);
}

static void test_permission_and_delete(void **state)
{
	struct fake *f = *state;
	struct stun_addr p;
	struct sent s;
	uint32_t life;

	assert_int_equal(turn_alloc_create_permission(f->a, &f->peer, f->now), -1);
	allocate(f);
	assert_int_equal(turn_alloc_create_permission(f->a, &f->peer, f->now), 0);
	pump(f);
	take(f, STUN_CREATE_PERMISSION, &s);
	assert_int_equal(stun_get_addr(&s.m, STUN_A_XOR_PEER_ADDRESS, &p), STUN_OK);
	assert_true(stun_addr_equal(&p, &f->peer));
	answer(f, &s, &(struct reply){ .sign = SIGN });
	event(f, TURN_EV_PERMISSION);

	turn_alloc_delete(f->a, f->now);
	pump(f);
	assert_int_equal(turn_alloc_state(f->a), TURN_S_DELETING);
	take(f, STUN_REFRESH, &s);
	assert_int_equal(stun_get_u32(&s.m, STUN_A_LIFETIME, &life), STUN_OK);
	assert_int_equal(life, 0);
	answer(f, &s, &(struct reply){ .sign = SIGN });
	assert_int_equal(turn_alloc_state(f->a), TURN_S_DELETED);
	f->n_out = 0;
	advance(f, 60000); /* no keepalive, no refresh after a delete */
	assert_int_equal(f->n_out, 0);
}

static void test_delete_while_binding(void **state)
{
	struct fake *f = *state;
	struct sent s;

	take(f, STUN_BINDING, &s);
	turn_alloc_delete(f->a, f->now);
	pump(f);
	assert_int_equal(turn_alloc_state(f->a), TURN_S_DELETED);
	/* a late answer starts nothing, and nothing is resent */
	assert_int_equal(answer(f, &s, &(struct reply){ .mapped = true }), TURN_IN_NOT_OURS);
	f->n_out = 0;
	advance(f, 60000);
	assert_int_equal(f->n_out, 0);
	assert_int_equal(turn_alloc_state(f->a), TURN_S_DELETED);
}

static void test_bad_config(void **state)
{
	struct turn_config cfg = { .n_servers = 0, .username = USER, .password = PASS };
	char long_user[STUN_MAX_USERNAME + 2];

	(void)state;
	assert_null(turn_alloc_new(&cfg, 0));
	cfg.n_servers = 1;
	cfg.servers[0].family = 5;
	assert_null(turn_alloc_new(&cfg, 0));
	cfg.servers[0].family = 4;
	memset(long_user, 'u', sizeof(long_user) - 1);
	long_user[sizeof(long_user) - 1] = 0;
	cfg.username = long_user;
	assert_null(turn_alloc_new(&cfg, 0));
	cfg.username = NULL;
	assert_null(turn_alloc_new(&cfg, 0));
	assert_null(turn_alloc_new(NULL, 0));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_binding_first_answer_wins),
		T(test_binding_retransmit_then_give_up),
		T(test_keepalive_every_25s),
		T(test_keepalive_error_keeps_allocation),
		T(test_nonce_and_allocated),
		T(test_other_realm_refused),
		T(test_missing_realm_refused),
		T(test_401_after_nonce_gives_up),
		T(test_refresh_at_half_lifetime_and_438),
		T(test_437_on_allocate_deletes_then_allocates),
		T(test_437_on_refresh_reallocates_and_requeues),
		T(test_channel_bind_refresh_expiry_cooldown),
		T(test_channel_queue_limit),
		T(test_channel_bind_refused),
		T(test_integrity_and_source_checked),
		T(test_permission_and_delete),
		T(test_delete_while_binding),
		cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
