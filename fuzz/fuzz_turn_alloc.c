/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes the TURN allocation state machine against a relay the input scripts. Input: records
 * [op][arg][arg]...:
 *   0 time passes (arg * 50 ms, up to ~13 s; 255: 10 min)   1 the relay answers the newest
 *   request (success or an error code, realm, nonce, addresses, lifetime, signed right, wrong
 *   or not, from the right address or not; arg and two more bytes)   2 bind a channel to one of 8 peers
 *   3 CreatePermission   4 delete   5 a raw datagram from the relay
 * Oracles: every datagram sent parses, is a request to a relay address, and a signed one
 * verifies with the long-term key; after a tick nothing is due at once (no busy loop); a bound
 * channel maps back to its peer; events carry what they promise; no leak.
 */
#include <string.h>

#include "../modules/relay/turn_alloc.h"
#include "fuzz.h"

#define MAX_PENDING 64

struct req {
	uint8_t buf[TURN_MSG_MAX];
	size_t len;
	struct stun_addr to;
};

static struct req pending[MAX_PENDING];
static unsigned n_pending;
static uint8_t key[STUN_LONG_TERM_KEY_LEN];
static const struct stun_addr srv[2] = {
	{ 4, 3478, { 192, 0, 2, 1 } },
	{ 6, 3478, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
};

static struct stun_addr peer(uint8_t i)
{
	struct stun_addr p = { (uint8_t)(i & 4 ? 6 : 4), (uint16_t)(50000 + (i & 3)), { 0 } };

	p.ip[0] = 10;
	p.ip[3] = (uint8_t)(i & 7);
	return p;
}

static void drain(struct turn_alloc *a)
{
	struct turn_event ev;
	struct req r;
	struct stun_msg m;
	size_t n;

	while ((n = turn_alloc_transmit(a, r.buf, sizeof(r.buf), &r.to))) {
		CHECK(n <= TURN_MSG_MAX);
		r.len = n;
		CHECK(stun_parse(&m, r.buf, n) == STUN_OK && m.cls == STUN_REQUEST);
		CHECK(stun_addr_equal(&r.to, &srv[0]) || stun_addr_equal(&r.to, &srv[1]));
		/* signed once a nonce is known, never signed wrongly */
		if (m.method != STUN_BINDING && stun_has(&m, STUN_A_MESSAGE_INTEGRITY))
			CHECK(stun_check_integrity(&m, key, sizeof(key)) == STUN_OK);
		if (stun_has(&m, STUN_A_MESSAGE_INTEGRITY))
			CHECK(stun_has(&m, STUN_A_NONCE) && stun_has(&m, STUN_A_USERNAME));
		if (n_pending == MAX_PENDING) /* the oldest goes */
			memmove(&pending[0], &pending[1], --n_pending * sizeof(pending[0]));
		pending[n_pending++] = r;
	}
	while (turn_alloc_event(a, &ev)) {
		if (ev.type == TURN_EV_ALLOCATED)
			CHECK(ev.relayed4.family == 4 || ev.relayed6.family == 6);
		if (ev.type == TURN_EV_CHANNEL_BOUND)
			CHECK(ev.channel >= 0x4000 && ev.channel <= 0x4FFF);
		CHECK(ev.why != NULL);
	}
}

static void answer(struct turn_alloc *a, const uint8_t *p, size_t n, uint64_t now)
{
	static const int codes[] = { 401, 437, 438, 403, 420, 500, 508, 440 };
	static const struct stun_addr r4 = { 4, 50000, { 198, 51, 100, 9 } };
	static const struct stun_addr r6 = { 6, 50001, { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 } };
	uint8_t f = n > 0 ? p[0] : 0, g = n > 1 ? p[1] : 0, buf[512];
	struct stun_builder b;
	struct stun_msg m;
	struct req *q;
	size_t len;

	if (!n_pending)
		return;
	q = &pending[n_pending - 1];
	CHECK(stun_parse(&m, q->buf, q->len) == STUN_OK);
	stun_build_init(&b, buf, sizeof(buf), m.method, f & 1 ? STUN_ERROR : STUN_SUCCESS, m.tid);
	if (f & 1)
		stun_add_error(&b, codes[g & 7], "x");
	if (f & 2)
		stun_add_text(&b, STUN_A_REALM, g & 8 ? "elsewhere" : "firezone");
	if (f & 4)
		stun_add_text(&b, STUN_A_NONCE, g & 16 ? "nonce-b" : "nonce-a");
	if (f & 8)
		stun_add_addr(&b, STUN_A_XOR_RELAYED_ADDRESS, &r4);
	if (f & 16)
		stun_add_addr(&b, STUN_A_XOR_RELAYED_ADDRESS, &r6);
	if (f & 32)
		stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, g & 32 ? &r4 : &r6);
	if (g & 64)
		stun_add_u32(&b, STUN_A_LIFETIME, n > 2 ? p[2] * 10u : 0);
	if (f & 64)
		stun_add_integrity(&b, g & 128 ? (const uint8_t *)"wrong-key-------" : key, 16);
	CHECK(stun_finish(&b, &len) == STUN_OK);
	turn_alloc_input(a, f & 128 ? &srv[1] : &q->to, buf, len, now);
	n_pending--;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct turn_config cfg = { .n_servers = 2, .username = "1700000000:salt", .password = "pw" };
	struct turn_alloc *a;
	uint64_t now = 1000;
	size_t i = 0;
	unsigned ops = 0;

	if (!key[0] && !key[1])
		CHECK(stun_long_term_key(cfg.username, TURN_REALM, cfg.password, key) == STUN_OK);
	cfg.servers[0] = srv[0];
	cfg.servers[1] = srv[1];
	n_pending = 0;
	a = turn_alloc_new(&cfg, now);
	CHECK(a);
	drain(a);
	while (i + 2 <= size && ops++ < 256) {
		uint8_t op = data[i] % 6, arg = data[i + 1];
		size_t n = size - i - 2 < 2 ? size - i - 2 : 2;

		switch (op) {
		case 0:
			now += arg == 255 ? 600000 : arg * 50u;
			turn_alloc_tick(a, now);
			CHECK(turn_alloc_deadline(a) > now);
			break;
		case 1:
			answer(a, data + i + 1, n + 1, now);
			break;
		case 2:
			turn_alloc_bind_channel(a, &(struct stun_addr){ 0 }, now);
			{
				struct stun_addr p = peer(arg), q;
				int ch = turn_alloc_bind_channel(a, &p, now);

				CHECK(ch == -1 || (ch >= 0x4000 && ch <= 0x4FFF));
				ch = turn_alloc_channel_of(a, &p);
				if (ch >= 0)
					CHECK(turn_alloc_peer_of(a, (uint16_t)ch, &q) &&
					      stun_addr_equal(&p, &q));
			}
			break;
		case 3: {
			struct stun_addr p = peer(arg);

			turn_alloc_create_permission(a, &p, now);
			break;
		}
		case 4:
			turn_alloc_delete(a, now);
			break;
		case 5:
			turn_alloc_input(a, &srv[arg & 1], data + i + 2, size - i - 2, now);
			i = size;
			break;
		}
		drain(a);
		i += 2 + (op == 1 ? n : 0);
	}
	turn_alloc_free(a);
	return 0;
}
