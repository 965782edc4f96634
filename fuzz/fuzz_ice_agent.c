/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes the controlled ICE agent against a client the input scripts. Input: records [op][arg]:
 *   0 time passes (arg * 20 ms; 255: 10 min) and the agent ticks
 *   1 a check from the client, signed right (arg: source, base, USE-CANDIDATE, ICE-CONTROLLED,
 *     wrong password, wrong ufrag)     2 the client answers one of our checks (arg: which, error
 *     or success, from elsewhere, wrong password, over another base)
 *   3 a remote candidate signalled (arg: address, type)   4 one withdrawn   5 a raw datagram
 *     (arg: length, then the bytes)   6 idle on/off   7 the relayed candidate added or withdrawn
 * Oracles: every datagram the agent sends parses with a valid FINGERPRINT, a check is signed with
 * the client's password and an answer with ours, over a base the agent was given; after a tick
 * nothing is due at once (no busy loop); a path event names the path the agent reports; no leak.
 */
#include <string.h>

#include "../modules/relay/ice_agent.h"
#include "fuzz.h"

#define GW_UFRAG "gw"
#define GW_PWD "gateway-password-1234567"
#define CL_UFRAG "cl"
#define CL_PWD "client-password-12345678"
#define MAX_CHECKS 32

struct check {
	uint8_t tid[STUN_TID_LEN];
	struct ice_transmit tx;
};

static struct check checks[MAX_CHECKS];
static unsigned n_checks;
static bool relay_added, have_ev;
static struct ice_event last_ev;

static struct stun_addr addr_of(uint8_t i)
{
	struct stun_addr a = { 4, (uint16_t)(50000 + (i & 1)), { 10, 0, 0, (uint8_t)(2 + (i & 6)) } };

	if (i & 8) { /* IPv6 */
		memset(&a, 0, sizeof(a));
		a.family = 6;
		a.port = (uint16_t)(50000 + (i & 1));
		a.ip[0] = 0x20;
		a.ip[1] = 0x01;
		a.ip[15] = (uint8_t)(i & 7);
	}
	return a;
}

static struct ice_base base_of(uint8_t bit)
{
	struct ice_base b = { bit ? ICE_BASE_RELAY : ICE_BASE_HOST, bit ? 3 : 0 };

	return b;
}

static void drain(struct ice_agent *a)
{
	uint8_t buf[ICE_MSG_MAX];
	struct ice_transmit tx;
	struct ice_event ev;
	struct stun_msg m;
	size_t n;

	while ((n = ice_agent_transmit(a, buf, sizeof(buf), &tx))) {
		CHECK(n <= sizeof(buf) && n == tx.len);
		CHECK(stun_parse(&m, buf, n) == STUN_OK && m.method == STUN_BINDING);
		CHECK(stun_check_fingerprint(&m) == STUN_OK);
		CHECK(tx.base.kind == ICE_BASE_HOST || (tx.base.kind == ICE_BASE_RELAY && tx.base.relay == 3));
		CHECK(tx.to.family == 4 || tx.to.family == 6);
		if (m.cls == STUN_REQUEST) {
			CHECK(stun_check_integrity(&m, (const uint8_t *)CL_PWD, strlen(CL_PWD)) == STUN_OK);
			CHECK(stun_has(&m, STUN_A_ICE_CONTROLLED) && stun_has(&m, STUN_A_PRIORITY));
			if (n_checks == MAX_CHECKS)
				memmove(&checks[0], &checks[1], --n_checks * sizeof(checks[0]));
			memcpy(checks[n_checks].tid, m.tid, STUN_TID_LEN);
			checks[n_checks++].tx = tx;
		} else {
			CHECK(m.cls == STUN_SUCCESS || m.cls == STUN_ERROR);
			CHECK(stun_check_integrity(&m, (const uint8_t *)GW_PWD, strlen(GW_PWD)) == STUN_OK);
		}
	}
	while (ice_agent_event(a, &ev)) {
		CHECK(ev.type >= ICE_EV_NOMINATED && ev.type <= ICE_EV_FAILED && ev.why);
		last_ev = ev;
		have_ev = true;
	}
	/* the newest path event describes the path the agent reports */
	if (have_ev) {
		struct ice_base b;
		struct stun_addr r;
		bool path = ice_agent_path(a, &b, &r);

		if (last_ev.type == ICE_EV_NOMINATED || last_ev.type == ICE_EV_PATH_CHANGED) {
			CHECK(path && b.kind == last_ev.base.kind && b.relay == last_ev.base.relay);
			CHECK(r.family == last_ev.remote.family && r.port == last_ev.remote.port &&
			      !memcmp(r.ip, last_ev.remote.ip, 16));
		} else {
			CHECK(!path);
		}
		if (last_ev.type == ICE_EV_FAILED)
			CHECK(ice_agent_failed(a));
	}
	CHECK(ice_agent_n_pairs(a) <= ICE_MAX_PAIRS);
}

static void client_check(struct ice_agent *a, uint8_t arg, uint64_t now, const uint8_t tid[12])
{
	uint8_t buf[256];
	struct stun_builder b;
	struct stun_addr from = addr_of(arg);
	struct ice_base base = base_of(arg & 0x10);
	const char *pwd = arg & 0x80 ? CL_PWD : GW_PWD;
	size_t len;

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_add_text(&b, STUN_A_USERNAME, arg & 0x40 && arg & 0x80 ? "gw:xx" : GW_UFRAG ":" CL_UFRAG);
	stun_add_u32(&b, STUN_A_PRIORITY, 0x6e7ffeffu + tid[0]);
	stun_add_u64(&b, arg & 0x40 && !(arg & 0x80) ? STUN_A_ICE_CONTROLLED : STUN_A_ICE_CONTROLLING,
		     7);
	if (arg & 0x20)
		stun_add(&b, STUN_A_USE_CANDIDATE, NULL, 0);
	stun_add_integrity(&b, (const uint8_t *)pwd, strlen(pwd));
	stun_add_fingerprint(&b);
	if (stun_finish(&b, &len) == STUN_OK)
		ice_agent_input(a, &base, &from, buf, len, now);
}

static void client_answer(struct ice_agent *a, uint8_t arg, uint8_t arg2, uint64_t now)
{
	uint8_t buf[256];
	struct stun_builder b;
	struct check *c;
	struct stun_addr from, mapped = addr_of(arg2);
	struct ice_base base;
	const char *pwd = arg2 & 0x20 ? GW_PWD : CL_PWD;
	size_t len;

	if (!n_checks)
		return;
	c = &checks[n_checks - 1 - (arg % n_checks)];
	from = arg2 & 0x10 ? addr_of(arg2) : c->tx.to;
	base = arg2 & 0x40 ? base_of(!c->tx.base.kind) : c->tx.base;
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, arg2 & 0x80 ? STUN_ERROR : STUN_SUCCESS,
			c->tid);
	if (arg2 & 0x80)
		stun_add_error(&b, arg2 & 1 ? 487 : 400, "x");
	else if (!(arg2 & 2))
		stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &mapped);
	stun_add_integrity(&b, (const uint8_t *)pwd, strlen(pwd));
	if (!(arg2 & 4))
		stun_add_fingerprint(&b);
	if (stun_finish(&b, &len) == STUN_OK)
		ice_agent_input(a, &base, &from, buf, len, now);
}

static struct ice_cand cand_of(uint8_t arg)
{
	struct ice_cand c;

	memset(&c, 0, sizeof(c));
	c.component = 1;
	c.type = (uint8_t)((arg >> 4) & 3);
	c.addr = addr_of(arg);
	c.priority = ice_priority(c.type, (uint16_t)(65535 - (arg >> 6)), 1);
	memcpy(c.foundation, "1", 2);
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ice_config cfg = { GW_UFRAG, GW_PWD, CL_UFRAG, CL_PWD, 0x0102030405060708ull, 77 };
	struct ice_cand host = { "", 1, 0, ICE_HOST, { 4, 52625, { 10, 0, 0, 1 } }, { 0 } };
	struct ice_cand host6 = { "", 1, 0, ICE_HOST, { 6, 52625, { 0x20, 0x01, [15] = 9 } }, { 0 } };
	struct ice_cand relay = { "", 1, 0, ICE_RELAY, { 4, 40000, { 198, 51, 100, 1 } }, { 0 } };
	const struct ice_base hb = { ICE_BASE_HOST, 0 }, rb = { ICE_BASE_RELAY, 3 };
	struct ice_agent *a;
	uint64_t now = 5000;
	uint8_t tid[STUN_TID_LEN] = { 0 };
	size_t i = 0;

	n_checks = 0;
	relay_added = false;
	have_ev = false;
	a = ice_agent_new(&cfg, now);
	CHECK(a);
	CHECK(ice_agent_add_local(a, &host, &hb, now) == 0);
	CHECK(ice_agent_add_local(a, &host6, &hb, now) == 0);
	while (i + 2 <= size) {
		uint8_t op = data[i] & 7, arg = data[i + 1];

		i += 2;
		tid[0] = (uint8_t)i;
		tid[1] = (uint8_t)(i >> 8);
		switch (op) {
		case 0:
			now += arg == 255 ? 600000 : (uint64_t)arg * 20;
			ice_agent_tick(a, now);
			drain(a);
			CHECK(ice_agent_deadline(a) > now);
			continue;
		case 1:
			client_check(a, arg, now, tid);
			break;
		case 2:
			if (i < size)
				client_answer(a, arg, data[i++], now);
			break;
		case 3: {
			struct ice_cand c = cand_of(arg);

			ice_agent_add_remote(a, &c, now);
			break;
		}
		case 4: {
			struct ice_cand c = cand_of(arg);

			ice_agent_remove_remote(a, &c, now);
			break;
		}
		case 5: {
			size_t n = arg < size - i ? arg : size - i;
			struct stun_addr from = addr_of(data[i - 2]);
			struct ice_base base = base_of(data[i - 2] & 0x10);

			ice_agent_input(a, &base, &from, data + i, n, now);
			i += n;
			break;
		}
		case 6:
			ice_agent_set_idle(a, arg & 1, now);
			break;
		default:
			if (relay_added)
				ice_agent_remove_base(a, &rb, now);
			else
				ice_agent_add_local(a, &relay, &rb, now);
			relay_added = !relay_added;
			break;
		}
		drain(a);
	}
	ice_agent_free(a);
	return 0;
}
