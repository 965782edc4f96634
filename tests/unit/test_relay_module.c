/* SPDX-License-Identifier: Apache-2.0 */
/* The relay module through the real core (modtest): a scripted TURN server and a scripted
 * controlling ICE peer behind a faked udp_send, udp_local, peer_set_path and udp_input.
 * Relays from init allocate; no relay refuses the connection; a relay lost withdraws the
 * candidates and asks for relays; accept signals host/srflx/relayed candidates; a remote
 * relay candidate gets a channel; ChannelData with WireGuard inside reaches udp_input;
 * nominations (direct and relayed) set the client's path. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bus.h"
#include "channeldata.h"
#include "counters.h"
#include "modtest.h"
#include "relay.h"

extern const struct fzgw_module fzgw_module;

#define USER "2145916800:salt"
#define PASS "relay-password"
#define GW_UFRAG "gwuf"
#define GW_PWD "gateway-password-12345"
#define CL_UFRAG "cluf"
#define CL_PWD "client-password-123456789"
#define CLIENT "3abd725a-0000-4000-8000-000000000001"
#define MAX_SENT 512
#define MAX_PATHS 32
#define MAX_CANDS 32
#define N_INPUT 16

struct sent {
	uint8_t buf[1500];
	size_t len;
	struct stun_addr to;
};

struct cand_ev {
	char client[40];
	bool invalidate;
	unsigned n;
	char s[8][ICE_CAND_STR_MAX];
};

struct world {
	struct modtest *t;
	struct fzgw_ctx portal;
	struct relay_mod *m;
	struct sent out[MAX_SENT];
	unsigned n_out;
	struct fzgw_path paths[MAX_PATHS];
	unsigned n_paths;
	struct cand_ev cands[MAX_CANDS];
	unsigned n_cands;
	struct {
		struct fzgw_path via;
		uint8_t data[64];
		size_t len;
	} input[N_INPUT];
	unsigned n_input;
	unsigned n_no_relays;
	bool turn_dead; /* the relay answers nothing */
	uint8_t key[STUN_LONG_TERM_KEY_LEN];
};

static struct world *W;

static struct stun_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct stun_addr x = { .family = 4, .port = port, .ip = { a, b, c, d } };

	return x;
}

#define RELAY_SRV v4(127, 0, 0, 1, 3478)
#define SRFLX v4(198, 51, 100, 7, 40000)
#define RELAYED4 v4(198, 51, 100, 9, 50000)
#define CL_HOST v4(192, 0, 2, 10, 50000)
#define CL_RELAY v4(203, 0, 113, 50, 60000)
#define WG_PORT 52625

/* ------------------------------------------------------------ the faked data plane */

static int f_udp_send(struct fzgw_core *core, const struct fzgw_endpoint *to, const uint8_t *d,
		      size_t len)
{
	struct sent *s;

	(void)core;
	assert_true(W->n_out < MAX_SENT);
	assert_true(len <= sizeof(s->buf));
	s = &W->out[W->n_out++];
	memcpy(s->buf, d, len);
	s->len = len;
	rl_addr_of(&s->to, to);
	return 0;
}

static int f_udp_local(struct fzgw_core *core, int family, struct fzgw_endpoint *out)
{
	(void)core;
	if (family != 4)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->addr.family = 4;
	out->port = WG_PORT;
	return 0;
}

static int f_set_path(struct fzgw_core *core, const char *client, const struct fzgw_path *p)
{
	(void)core;
	assert_string_equal(client, CLIENT);
	assert_true(W->n_paths < MAX_PATHS);
	W->paths[W->n_paths++] = *p;
	return 0;
}

static void f_udp_input(struct fzgw_core *core, const struct fzgw_path *via, const uint8_t *d,
			size_t len)
{
	(void)core;
	assert_true(W->n_input < N_INPUT);
	W->input[W->n_input].via = *via;
	W->input[W->n_input].len = len;
	memcpy(W->input[W->n_input].data, d, len < 64 ? len : 64);
	W->n_input++;
}

/* the portal's side of the bus */
static void on_local(void *state, const struct fzgw_event *ev)
{
	const struct fzgw_ev_ice *ice = ev->data;
	struct cand_ev *c;

	(void)state;
	assert_true(W->n_cands < MAX_CANDS);
	c = &W->cands[W->n_cands++];
	memset(c, 0, sizeof(*c));
	snprintf(c->client, sizeof(c->client), "%s", ice->client_id);
	c->invalidate = ice->invalidate;
	assert_true(ice->n <= 8);
	c->n = (unsigned)ice->n;
	for (size_t i = 0; i < ice->n; i++)
		snprintf(c->s[i], sizeof(c->s[i]), "%s", ice->candidates[i]);
}

static void on_no_relays(void *state, const struct fzgw_event *ev)
{
	(void)state;
	(void)ev;
	W->n_no_relays++;
}

/* ------------------------------------------------------------ delivering datagrams */

static void deliver(int cls, const struct stun_addr *from, const uint8_t *d, size_t len)
{
	struct fzgw_endpoint e, local;

	rl_ep_of(&e, from);
	memset(&local, 0, sizeof(local));
	local.addr.family = from->family;
	local.port = WG_PORT;
	assert_non_null(W->t->core.udp_claim[cls].fn);
	W->t->core.udp_claim[cls].fn(W->t->ctx.state, &e, &local, d, len);
}

/* ChannelData from the relay server on @channel around @d. */
static void deliver_cd(uint16_t channel, const uint8_t *d, size_t len)
{
	uint8_t buf[1600];
	struct stun_addr srv = RELAY_SRV;
	int n = cd_build(buf, sizeof(buf), channel, d, len, false);

	assert_true(n > 0);
	deliver(FZGW_UDP_CHANNELDATA, &srv, buf, (size_t)n);
}

static void take(unsigned i)
{
	memmove(&W->out[i], &W->out[i + 1], (W->n_out - i - 1) * sizeof(W->out[0]));
	W->n_out--;
}

/* The scripted TURN server: answers every request sent to it (new ones included). */
static void turn_serve(void)
{
	struct stun_addr srv = RELAY_SRV, mapped = SRFLX, r4 = RELAYED4;
	struct stun_addr r6 = { .family = 6, .port = 50001, .ip = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 } };
	bool again = true;

	while (again) {
		again = false;
		for (unsigned i = 0; i < W->n_out; i++) {
			struct sent s = W->out[i];
			struct stun_msg m;
			struct stun_builder b;
			uint8_t buf[512];
			size_t len;

			if (!stun_addr_equal(&s.to, &srv) || s.buf[0] >= 0x40)
				continue;
			assert_int_equal(stun_parse(&m, s.buf, s.len), STUN_OK);
			take(i);
			again = true;
			if (W->turn_dead)
				break;
			if (m.method == STUN_ALLOCATE && !stun_has(&m, STUN_A_NONCE)) {
				stun_build_init(&b, buf, sizeof(buf), m.method, STUN_ERROR, m.tid);
				stun_add_error(&b, 401, "Unauthorized");
				stun_add_text(&b, STUN_A_REALM, "firezone");
				stun_add_text(&b, STUN_A_NONCE, "nonce-1");
			} else {
				stun_build_init(&b, buf, sizeof(buf), m.method, STUN_SUCCESS, m.tid);
				if (m.method == STUN_BINDING || m.method == STUN_ALLOCATE)
					stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &mapped);
				if (m.method == STUN_ALLOCATE) {
					stun_add_addr(&b, STUN_A_XOR_RELAYED_ADDRESS, &r4);
					stun_add_addr(&b, STUN_A_XOR_RELAYED_ADDRESS, &r6);
					stun_add_u32(&b, STUN_A_LIFETIME, 600);
				}
				if (m.method != STUN_BINDING)
					stun_add_integrity(&b, W->key, sizeof(W->key));
			}
			stun_add_fingerprint(&b);
			assert_int_equal(stun_finish(&b, &len), STUN_OK);
			deliver(FZGW_UDP_STUN, &srv, buf, len);
			break;
		}
	}
}

/* Moves the fake clock by @ms in 10 ms steps, running the module timer and the relay. */
static void advance(uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += 10) {
		modtest_now_ms += 10;
		rl_on_timer(W->m);
		turn_serve();
	}
}

/* ------------------------------------------------------------ setup */

static int setup(void **state)
{
	(void)state;
	W = calloc(1, sizeof(*W));
	assert_non_null(W);
	W->t = modtest_new("relay", &fzgw_module);
	W->t->core.udp_send = f_udp_send;
	W->t->core.udp_local = f_udp_local;
	W->t->core.set_path = f_set_path;
	W->t->core.udp_input = f_udp_input;
	W->portal.core = &W->t->core;
	snprintf(W->portal.name, sizeof(W->portal.name), "portal");
	W->portal.live = true;
	assert_int_equal(fzgw_bus_subscribe(&W->t->core.bus, &W->portal, FZGW_EV_LOCAL_CANDIDATES,
					    on_local, NULL), 0);
	assert_int_equal(fzgw_bus_subscribe(&W->t->core.bus, &W->portal, FZGW_EV_NO_RELAYS,
					    on_no_relays, NULL), 0);
	assert_int_equal(stun_long_term_key(USER, "firezone", PASS, W->key), STUN_OK);
	assert_int_equal(modtest_init(W->t, modtest_settings(W->t, "{}"), false), 0);
	W->m = W->t->ctx.state;
	assert_non_null(W->m);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fzgw_bus_unsubscribe_all(&W->t->core.bus, &W->portal);
	modtest_free(W->t);
	free(W);
	W = NULL;
	return 0;
}

static void relays(const struct fzgw_relay *r, size_t n, const char *const *gone, size_t n_gone,
		   bool replace)
{
	struct fzgw_ev_relays ev = { r, n, gone, n_gone, replace };

	assert_int_equal(modtest_publish(W->t, FZGW_EV_RELAYS_CHANGED, &ev, sizeof(ev)), 1);
}

static struct fzgw_relay relay_entry(const char *id, const char *addr)
{
	struct fzgw_relay r;

	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "%s", id);
	snprintf(r.addr, sizeof(r.addr), "%s", addr);
	snprintf(r.username, sizeof(r.username), "%s", USER);
	snprintf(r.password, sizeof(r.password), "%s", PASS);
	r.expires_at = 2145916800;
	return r;
}

static void one_relay(void)
{
	struct fzgw_relay r = relay_entry("relay-1", "127.0.0.1:3478");

	relays(&r, 1, NULL, 0, true);
	turn_serve();
	assert_true(W->m->relays[0].allocated);
}

static bool iceless;

static int do_accept(void)
{
	const struct relay_service *svc = fzgw_core_api.service_lookup(&W->portal, RELAY_SERVICE_NAME);
	struct fzgw_ev_authorization a;
	int rc;

	assert_non_null(svc);
	assert_int_equal(svc->version, RELAY_SERVICE_VERSION);
	memset(&a, 0, sizeof(a));
	snprintf(a.client_id, sizeof(a.client_id), "%s", CLIENT);
	memset(a.public_key, 7, 32);
	snprintf(a.gateway_ice_ufrag, sizeof(a.gateway_ice_ufrag), GW_UFRAG);
	snprintf(a.gateway_ice_pwd, sizeof(a.gateway_ice_pwd), GW_PWD);
	snprintf(a.client_ice_ufrag, sizeof(a.client_ice_ufrag), CL_UFRAG);
	snprintf(a.client_ice_pwd, sizeof(a.client_ice_pwd), CL_PWD);
	a.use_iceless = iceless;
	rc = svc->accept(svc->self, &a);
	modtest_run(W->t); /* the 0 ms timer: the first path */
	return rc;
}

static void remote(const char *s, bool invalidate)
{
	const char *v[1] = { s };
	struct fzgw_ev_ice ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.client_id, sizeof(ev.client_id), "%s", CLIENT);
	ev.candidates = v;
	ev.n = 1;
	ev.invalidate = invalidate;
	modtest_publish(W->t, FZGW_EV_ICE_CANDIDATES, &ev, sizeof(ev));
}

static uint64_t counter(const char *name)
{
	return fzgw_counter_get(&W->t->ctx.counters, name);
}

static bool signalled(const char *needle, bool invalidate)
{
	for (unsigned i = 0; i < W->n_cands; i++)
		for (unsigned k = 0; k < W->cands[i].n; k++)
			if (W->cands[i].invalidate == invalidate && strstr(W->cands[i].s[k], needle))
				return true;
	return false;
}

/* ------------------------------------------------------------ tests */

static void test_relays_allocate(void **state)
{
	struct fzgw_relay r[2] = { relay_entry("relay-1", "127.0.0.1:3478"),
				   relay_entry("relay-1", "[::1]:3478") };
	struct stun_msg m;

	(void)state;
	relays(r, 2, NULL, 0, true);
	/* merged into one dual-stack relay: a BINDING to each address */
	assert_true(W->m->relays[0].used);
	assert_int_equal(W->m->relays[0].n_addrs, 2);
	assert_false(W->m->relays[1].used);
	assert_int_equal(W->n_out, 2);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(stun_parse(&m, W->out[i].buf, W->out[i].len), STUN_OK);
		assert_int_equal(m.method, STUN_BINDING);
	}
	assert_int_equal(W->out[1].to.family, 6);
	turn_serve(); /* the v4 address answers (the v6 request is dropped by the script) */
	assert_true(W->m->relays[0].allocated);
	assert_int_equal(counter("allocations"), 1);
	assert_int_equal(counter("relays"), 1);
	/* the same set again keeps the allocation; an empty set releases it */
	relays(r, 2, NULL, 0, true);
	assert_true(W->m->relays[0].allocated);
	assert_int_equal(W->n_no_relays, 0);
	relays(NULL, 0, NULL, 0, true);
	assert_false(W->m->relays[0].used);
	assert_int_equal(counter("allocations"), 0);
	assert_int_equal(W->n_no_relays, 1);
}

static void test_no_relay_refused(void **state)
{
	(void)state;
	assert_int_equal(do_accept(), -ENETUNREACH);
	assert_int_equal(counter("accept-no-relay"), 1);
	assert_null(rl_conn_by_id(W->m, CLIENT));
	assert_int_equal(W->n_cands, 0);
	one_relay();
	assert_int_equal(do_accept(), 0);
	assert_non_null(rl_conn_by_id(W->m, CLIENT));
}

static void test_accept_signals_candidates(void **state)
{
	unsigned n;

	(void)state;
	one_relay();
	assert_int_equal(do_accept(), 0);
	assert_int_equal(W->n_cands, 1);
	assert_false(W->cands[0].invalidate);
	assert_string_equal(W->cands[0].client, CLIENT);
	assert_true(signalled(" 127.0.0.1 52625 typ host", false));
	assert_true(signalled(" 198.51.100.7 40000 typ srflx raddr 127.0.0.1 rport 52625", false));
	assert_true(signalled(" 198.51.100.9 50000 typ relay", false));
	assert_true(signalled(" 2001:db8::9 50001 typ relay", false));
	for (unsigned k = 0; k < W->cands[0].n; k++) {
		struct ice_cand c;
		const char *why;

		assert_int_equal(ice_cand_parse(W->cands[0].s[k], strlen(W->cands[0].s[k]), &c, &why), 0);
	}
	/* the first path: pending while ICE runs */
	assert_int_equal(W->n_paths, 1);
	assert_int_equal(W->paths[0].kind, FZGW_PATH_PENDING);
	/* the same authorization again: kept, candidates signalled again */
	n = W->cands[0].n;
	assert_int_equal(do_accept(), 0);
	assert_int_equal(W->n_cands, 2);
	assert_int_equal(W->cands[1].n, n);
	assert_int_equal(counter("connections"), 1);
}

static void test_relay_lost(void **state)
{
	(void)state;
	one_relay();
	assert_int_equal(do_accept(), 0);
	W->n_cands = 0;
	W->turn_dead = true;
	advance(40000); /* the 25 s keepalive goes unanswered for 8 s */
	assert_false(W->m->relays[0].allocated);
	assert_true(signalled("typ relay", true));
	assert_true(signalled("typ srflx", true));
	assert_int_equal(W->n_no_relays, 1);
	assert_int_equal(counter("allocations-failed"), 1);
	/* the connection is refused now, even the same one */
	assert_int_equal(do_accept(), -ENETUNREACH);
	/* the portal's fresh relays_presence names the same relay: it is tried again */
	W->turn_dead = false;
	{
		struct fzgw_relay r = relay_entry("relay-1", "127.0.0.1:3478");

		relays(&r, 1, NULL, 0, false);
	}
	turn_serve();
	assert_true(W->m->relays[0].allocated);
	assert_int_equal(do_accept(), 0);
}

static void test_remote_relay_gets_channel(void **state)
{
	struct stun_addr peer, cl = CL_RELAY;
	uint16_t ch = 0;
	bool bind = false;

	(void)state;
	one_relay();
	assert_int_equal(do_accept(), 0);
	W->n_out = 0;
	remote("candidate:1 1 udp 2130706431 192.0.2.10 50000 typ host", false);
	for (unsigned i = 0; i < W->n_out; i++)
		assert_false(W->out[i].buf[0] == 0 && W->out[i].buf[1] == 0x09);
	remote("candidate:2 1 udp 16777215 203.0.113.50 60000 typ relay raddr 0.0.0.0 rport 0", false);
	for (unsigned i = 0; i < W->n_out; i++) {
		struct stun_msg m;

		if (W->out[i].buf[0] >= 0x40 || stun_parse(&m, W->out[i].buf, W->out[i].len))
			continue;
		if (m.method == STUN_CHANNEL_BIND) {
			assert_int_equal(stun_get_addr(&m, STUN_A_XOR_PEER_ADDRESS, &peer), STUN_OK);
			assert_true(stun_addr_equal(&peer, &cl));
			assert_int_equal(stun_get_channel(&m, &ch), STUN_OK);
			bind = true;
		}
	}
	assert_true(bind);
	assert_int_equal(ch, 0x4000);
	assert_int_equal(counter("channel-binds"), 1);
	turn_serve();
	assert_int_equal(counter("channels-bound"), 1);
	assert_int_equal(turn_alloc_channel_of(W->m->relays[0].ta, &cl), 0x4000);
}

static void test_channeldata_wireguard(void **state)
{
	uint8_t wg[32] = { 4, 0, 0, 0, 1, 2, 3, 4 };
	struct stun_addr srv = RELAY_SRV;

	(void)state;
	one_relay();
	assert_int_equal(do_accept(), 0);
	remote("candidate:2 1 udp 16777215 203.0.113.50 60000 typ relay raddr 0.0.0.0 rport 0", false);
	turn_serve();
	deliver_cd(0x4000, wg, sizeof(wg));
	assert_int_equal(W->n_input, 1);
	assert_int_equal(W->input[0].via.kind, FZGW_PATH_RELAY);
	assert_int_equal(W->input[0].via.channel, 0x4000);
	assert_int_equal(W->input[0].via.remote.port, 3478);
	assert_memory_equal(W->input[0].via.remote.addr.bytes, srv.ip, 4);
	assert_int_equal(W->input[0].len, sizeof(wg));
	assert_memory_equal(W->input[0].data, wg, sizeof(wg));
	assert_int_equal(counter("relayed-in"), 1);
	/* a channel nobody bound, and ChannelData from a stranger: dropped, counted */
	deliver_cd(0x4001, wg, sizeof(wg));
	{
		uint8_t buf[64];
		struct stun_addr other = v4(127, 0, 0, 2, 3478);
		int n = cd_build(buf, sizeof(buf), 0x4000, wg, sizeof(wg), false);

		deliver(FZGW_UDP_CHANNELDATA, &other, buf, (size_t)n);
	}
	assert_int_equal(W->n_input, 1);
	assert_int_equal(counter("channeldata-unknown-channel"), 1);
	assert_int_equal(counter("channeldata-unknown-relay"), 1);
}

/* The client's check: USERNAME gw:cl, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, signed. */
static size_t client_check(uint8_t *buf, size_t cap, uint8_t seed)
{
	uint8_t tid[STUN_TID_LEN];
	struct stun_builder b;
	size_t len;

	memset(tid, seed, sizeof(tid));
	stun_build_init(&b, buf, cap, STUN_BINDING, STUN_REQUEST, tid);
	stun_add_text(&b, STUN_A_USERNAME, GW_UFRAG ":" CL_UFRAG);
	stun_add_u32(&b, STUN_A_PRIORITY, ice_priority(ICE_PRFLX, 65534, 1));
	stun_add_u64(&b, STUN_A_ICE_CONTROLLING, 42);
	stun_add(&b, STUN_A_USE_CANDIDATE, NULL, 0);
	stun_add_integrity(&b, (const uint8_t *)GW_PWD, strlen(GW_PWD));
	stun_add_fingerprint(&b);
	assert_int_equal(stun_finish(&b, &len), STUN_OK);
	return len;
}

/* The client's answer to our check @m. */
static size_t client_answer(const struct stun_msg *m, const struct stun_addr *mapped, uint8_t *buf,
			    size_t cap)
{
	struct stun_builder b;
	size_t len;

	stun_build_init(&b, buf, cap, STUN_BINDING, STUN_SUCCESS, m->tid);
	stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, mapped);
	stun_add_integrity(&b, (const uint8_t *)CL_PWD, strlen(CL_PWD));
	stun_add_fingerprint(&b);
	assert_int_equal(stun_finish(&b, &len), STUN_OK);
	return len;
}

/* Our newest check to @to sent raw (@relayed false) or as ChannelData (true). */
static bool our_check(const struct stun_addr *to, bool relayed, struct sent *s, struct stun_msg *m)
{
	for (unsigned i = W->n_out; i-- > 0;) {
		const uint8_t *d = W->out[i].buf;
		size_t len = W->out[i].len;

		if (relayed) {
			struct cd_frame f;

			if (d[0] < 0x40 || cd_parse_datagram(d, len, &f))
				continue;
			d = f.payload;
			len = f.len;
		} else if (!stun_addr_equal(&W->out[i].to, to)) {
			continue;
		}
		*s = W->out[i];
		if (relayed) {
			memmove(s->buf, s->buf + CD_HEADER_LEN, len);
			s->len = len;
		}
		if (stun_parse(m, s->buf, s->len) == STUN_OK && m->cls == STUN_REQUEST)
			return true;
	}
	return false;
}

static void dump_state(struct modtest *t)
{
	modtest_publish(t, FZGW_EV_STATE_DUMP, NULL, 0);
}

static void test_nomination_direct(void **state)
{
	struct stun_addr cl = CL_HOST;
	char *out;
	uint8_t buf[512];
	struct sent s;
	struct stun_msg m;
	size_t n;

	(void)state;
	one_relay();
	assert_int_equal(do_accept(), 0);
	remote("candidate:1 1 udp 2130706431 192.0.2.10 50000 typ host", false);
	advance(100);
	assert_true(our_check(&cl, false, &s, &m));
	assert_int_equal(ice_tid_tag(m.tid), rl_conn_by_id(W->m, CLIENT)->tag);
	/* the client nominates; our check is answered */
	n = client_check(buf, sizeof(buf), 1);
	deliver(FZGW_UDP_STUN, &cl, buf, n);
	assert_int_equal(counter("ice-received"), 1);
	assert_true(our_check(&cl, false, &s, &m));
	n = client_answer(&m, &cl, buf, sizeof(buf));
	deliver(FZGW_UDP_STUN, &cl, buf, n);
	assert_int_equal(W->paths[W->n_paths - 1].kind, FZGW_PATH_DIRECT);
	assert_int_equal(W->paths[W->n_paths - 1].remote.port, 50000);
	assert_memory_equal(W->paths[W->n_paths - 1].remote.addr.bytes, cl.ip, 4);
	assert_int_equal(counter("paths-direct"), 1);
	assert_int_equal(counter("paths-peer-to-peer"), 1);
	assert_int_equal(counter("paths-relay-to-relay"), 0);
	assert_int_equal(counter("path-changes"), 1);
	/* SIGUSR1: the live state names the client's path */
	out = modtest_capture_log(dump_state, W->t);
	assert_non_null(strstr(out, "state: 1 relay(s), 1 connection(s)"));
	assert_non_null(strstr(out, "state: client " CLIENT " path peer-to-peer remote 192.0.2.10:50000"));
	free(out);
	/* revoked whole: the connection goes */
	{
		struct fzgw_ev_revoke rv;

		memset(&rv, 0, sizeof(rv));
		snprintf(rv.client_id, sizeof(rv.client_id), "%s", CLIENT);
		modtest_publish(W->t, FZGW_EV_ACCESS_REVOKED, &rv, sizeof(rv));
	}
	assert_null(rl_conn_by_id(W->m, CLIENT));
	assert_int_equal(counter("paths-direct"), 0);
	assert_int_equal(counter("paths-peer-to-peer"), 0);
	assert_int_equal(counter("connections"), 0);
}

static void test_nomination_relayed(void **state)
{
	struct stun_addr cl = CL_RELAY;
	uint8_t buf[512];
	struct sent s;
	struct stun_msg m;
	size_t n;

	(void)state;
	one_relay();
	assert_int_equal(do_accept(), 0);
	remote("candidate:2 1 udp 16777215 203.0.113.50 60000 typ relay raddr 0.0.0.0 rport 0", false);
	turn_serve(); /* channel 0x4000 bound */
	W->n_out = 0;
	/* the client's check arrives through the relay */
	n = client_check(buf, sizeof(buf), 2);
	deliver_cd(0x4000, buf, n);
	assert_int_equal(counter("ice-received"), 1);
	advance(100);
	assert_true(our_check(&cl, true, &s, &m));
	n = client_answer(&m, &cl, buf, sizeof(buf));
	deliver_cd(0x4000, buf, n);
	assert_true(W->n_paths >= 2);
	assert_int_equal(W->paths[W->n_paths - 1].kind, FZGW_PATH_RELAY);
	assert_int_equal(W->paths[W->n_paths - 1].channel, 0x4000);
	assert_int_equal(W->paths[W->n_paths - 1].remote.port, 3478);
	assert_int_equal(counter("paths-relayed"), 1);
	/* our allocation to the client's relayed candidate */
	assert_int_equal(counter("paths-relay-to-relay"), 1);
	assert_int_equal(counter("paths-peer-to-peer"), 0);
	/* the peer goes: so does the connection */
	{
		struct fzgw_ev_peer p;

		memset(&p, 0, sizeof(p));
		snprintf(p.client_id, sizeof(p.client_id), "%s", CLIENT);
		modtest_publish(W->t, FZGW_EV_PEER_REMOVED, &p, sizeof(p));
	}
	assert_null(rl_conn_by_id(W->m, CLIENT));
	assert_int_equal(counter("paths-relayed"), 0);
	assert_int_equal(counter("paths-relay-to-relay"), 0);
}

/* relays_presence replaces the connection's relay: its candidates follow the new one */
static void test_relay_replaced(void **state)
{
	struct fzgw_relay r2 = relay_entry("relay-2", "127.0.0.1:3478");

	(void)state;
	one_relay();
	assert_int_equal(do_accept(), 0);
	assert_int_equal(rl_conn_by_id(W->m, CLIENT)->slot, 0);
	W->n_cands = 0;
	relays(&r2, 1, NULL, 0, true);
	assert_false(W->m->relays[0].used);
	assert_int_equal(rl_conn_by_id(W->m, CLIENT)->slot, 1);
	assert_true(signalled("typ relay", true));
	assert_false(signalled("typ relay", false));
	turn_serve();
	assert_true(W->m->relays[1].allocated);
	assert_true(signalled(" 198.51.100.9 50000 typ relay", false));
	assert_true(signalled(" 127.0.0.1 52625 typ host", false));
	assert_int_equal(W->n_no_relays, 0);
}

/* use_iceless: no agent, the path is WireGuard's own (ANY), candidates and channels as ever */
static void test_iceless(void **state)
{
	(void)state;
	one_relay();
	iceless = true;
	assert_int_equal(do_accept(), 0);
	iceless = false;
	assert_null(rl_conn_by_id(W->m, CLIENT)->agent);
	assert_int_equal(W->n_paths, 1);
	assert_int_equal(W->paths[0].kind, FZGW_PATH_ANY);
	assert_true(signalled("typ relay", false));
	remote("candidate:2 1 udp 16777215 203.0.113.50 60000 typ relay raddr 0.0.0.0 rport 0", false);
	turn_serve();
	assert_int_equal(counter("channels-bound"), 1);
	/* an ICE authorization for the same client replaces the connection */
	assert_int_equal(do_accept(), 0);
	assert_non_null(rl_conn_by_id(W->m, CLIENT)->agent);
}

static void test_settings(void **state)
{
	struct modtest *t = modtest_new("relay", &fzgw_module);

	(void)state;
	assert_int_equal(modtest_init(t, modtest_settings(t, "{ software = \"\"; }"), true), -EINVAL);
	assert_non_null(strstr(t->ctx.last_err, "software"));
	assert_int_equal(modtest_init(t, modtest_settings(t, "{ sofware = \"x\"; }"), true), -EINVAL);
	assert_int_equal(modtest_init(t, modtest_settings(t, "{ software = \"acme\"; }"), true), 0);
	assert_string_equal(((struct relay_mod *)t->ctx.state)->software, "acme");
	modtest_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_relays_allocate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_relay_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_signals_candidates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_relay_gets_channel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channeldata_wireguard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nomination_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nomination_relayed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iceless, setup, teardown),
		cmocka_unit_test(test_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
