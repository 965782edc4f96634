/* SPDX-License-Identifier: Apache-2.0 */
/* static.so and filter.so loaded by the real loader, chained by the core, driven end to end. */
#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loader.h"
#include "modtest.h"
#include "settings.h"

#define K1 "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define K2 "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="

static const char two_peers[] =
	"{\n"
	" filter = { icmp_rate = 100; };\n"
	" static = {\n"
	"  ipv4 = \"100.64.0.1\"; ipv6 = \"fd00:2021:1111::1\";\n"
	"  resources = (\n"
	"   { id = \"lan\"; type = \"cidr\"; address = \"10.200.0.0/24\";\n"
	"     filters = ( { protocol = \"tcp\"; ports = \"80, 8000-8999\"; }, { protocol = \"icmp\"; } ); },\n"
	"   { id = \"inet\"; type = \"internet\"; }\n"
	"  );\n"
	"  peers = (\n"
	"   { id = \"alice\"; public_key = \"" K1 "\"; ipv4 = \"100.64.0.2\"; resources = [\"lan\"];\n"
	"     expires_at = %lld; },\n"
	"   { id = \"bob\"; public_key = \"" K2 "\"; ipv4 = \"100.64.0.3\"; resources = [\"inet\", \"lan\"]; }\n"
	"  );\n"
	" };\n"
	"}";

struct world {
	struct modtest *t;
	struct fzgw_ctx *filter, *stat;
	int sunk[2], released;
};

static struct world *the_world;

static void sink(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	(void)core;
	the_world->sunk[pkt->dir]++;
}

static void release(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	(void)core;
	(void)pkt;
	the_world->released++;
}

static struct fzgw_ctx *load(struct world *w, const char *name, const char *path, int order)
{
	const config_setting_t *all = config_lookup(&w->t->cfg, "settings");
	struct fzgw_mod_entry me;
	struct fzgw_ctx *ctx;
	char err[512];

	memset(&me, 0, sizeof(me));
	snprintf(me.name, sizeof(me.name), "%s", name);
	snprintf(me.path, sizeof(me.path), "%s", path);
	me.active = true;
	me.order = order;
	me.entry = all;
	me.settings = config_setting_get_member(all, name);
	if (fzgw_loader_open(&w->t->core, &me, &ctx, err, sizeof(err)) < 0)
		fail_msg("open %s: %s", path, err);
	if (fzgw_loader_init(ctx, me.settings, err, sizeof(err)) < 0)
		fail_msg("init %s: %s", name, err);
	w->t->core.mods[w->t->core.n_mods++] = ctx;
	return ctx;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char text[4096];

	the_world = w;
	w->t = modtest_new("harness", NULL);
	w->t->core.sink[FZGW_DIR_IN] = sink;
	w->t->core.sink[FZGW_DIR_OUT] = sink;
	w->t->core.release = release;
	snprintf(text, sizeof(text), two_peers, (long long)(modtest_wall_s + 60));
	assert_non_null(modtest_settings(w->t, text));
	w->filter = load(w, "filter", FZGW_TEST_FILTER_SO, 0);
	w->stat = load(w, "static", FZGW_TEST_STATIC_SO, 1);
	assert_int_equal(fzgw_chains_build(&w->t->core.chains, w->t->core.mods, w->t->core.n_mods), 0);
	modtest_run(w->t); /* static publishes from its 0 ms timer */
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	for (int i = w->t->core.n_mods - 1; i >= 0; i--)
		fzgw_loader_unload(w->t->core.mods[i]);
	w->t->core.n_mods = 0;
	modtest_free(w->t);
	free(w);
	return 0;
}

/* One packet through every phase of its direction; true when it reached the sink. */
static bool pass(struct world *w, int dir, const char *client, const char *src, const char *dst,
		 int proto, uint16_t sport, uint16_t dport)
{
	struct modtest_pkt mp;
	struct fzgw_packet *pkt = modtest_pkt(&mp, dir, client, src, dst, proto, sport, dport);
	int before = w->sunk[dir];

	fzgw_core_pipeline(&w->t->core, pkt, dir == FZGW_DIR_IN ? FZGW_PHASE_IN_PARSE : FZGW_PHASE_OUT_PARSE, 0);
	return w->sunk[dir] == before + 1;
}

static void test_end_to_end(void **state)
{
	struct world *w = *state;

	/* what static published reached the recorder: iface + 3 grants */
	assert_int_equal(modtest_count(w->t, FZGW_EV_IFACE_CONFIG), 1);
	assert_int_equal(modtest_count(w->t, FZGW_EV_PEER_AUTHORIZED), 3);
	/* and the filter enforces it */
	assert_true(pass(w, FZGW_DIR_IN, "alice", "100.64.0.2", "10.200.0.7", MT_TCP, 40000, 8080));
	assert_false(pass(w, FZGW_DIR_IN, "alice", "100.64.0.2", "10.200.0.7", MT_TCP, 40000, 22));
	assert_false(pass(w, FZGW_DIR_IN, "alice", "100.64.0.2", "1.1.1.1", MT_TCP, 40000, 443));
	assert_true(pass(w, FZGW_DIR_IN, "alice", "100.64.0.2", "100.64.0.1", MT_UDP, 40000, 53));
	assert_false(pass(w, FZGW_DIR_IN, "alice", "100.64.0.2", "100.64.0.3", MT_ICMP, 1, 0));
	assert_true(pass(w, FZGW_DIR_IN, "bob", "100.64.0.3", "1.1.1.1", MT_TCP, 40000, 443));
	assert_false(pass(w, FZGW_DIR_IN, "bob", "100.64.0.3", "192.168.1.1", MT_TCP, 40000, 443));
	assert_true(pass(w, FZGW_DIR_OUT, "alice", "10.200.0.7", "100.64.0.2", MT_TCP, 80, 40000));
	assert_false(pass(w, FZGW_DIR_OUT, "alice", "10.200.0.7", "100.64.0.2", MT_TCP, 22, 40000));
	assert_int_equal(w->released, 5);
	/* ICMP answers: prohibited, prohibited, prohibited, network unreachable */
	assert_int_equal(w->t->n_icmp, 4);
	assert_int_equal(w->t->icmp[3].kind, FZGW_ICMP_NET_UNREACH);
	assert_int_equal(fzgw_counter_get(&w->filter->counters, "internet-excluded"), 1);
	assert_int_equal(fzgw_counter_get(&w->t->core.counters, "hook-dropped"), 5);
}

static void test_expiry_revokes(void **state)
{
	struct world *w = *state;
	int64_t now = modtest_wall_s;

	modtest_clear(w->t);
	modtest_wall_s = now + 60;
	assert_false(pass(w, FZGW_DIR_IN, "alice", "100.64.0.2", "10.200.0.7", MT_TCP, 40000, 80));
	assert_int_equal(fzgw_counter_get(&w->filter->counters, "expired"), 1);
	/* the 1 s tick, on the real loop */
	assert_int_equal(event_base_loop(w->t->base, EVLOOP_ONCE), 0);
	assert_int_equal(modtest_count(w->t, FZGW_EV_ACCESS_REVOKED), 2);
	assert_true(pass(w, FZGW_DIR_IN, "bob", "100.64.0.3", "10.200.0.7", MT_TCP, 40000, 80));
	modtest_wall_s = now;
}

static void test_reload_removes_peer(void **state)
{
	struct world *w = *state;
	char text[4096], *cut;
	const config_setting_t *s;

	/* drop alice from the static settings */
	snprintf(text, sizeof(text), two_peers, (long long)(modtest_wall_s + 60));
	cut = strstr(text, "   { id = \"alice\"");
	memmove(cut, strstr(cut, "   { id = \"bob\""), strlen(strstr(cut, "   { id = \"bob\"")) + 1);
	assert_non_null(modtest_settings(w->t, text));
	s = config_setting_get_member(config_lookup(&w->t->cfg, "settings"), "static");
	modtest_clear(w->t);
	assert_int_equal(w->stat->desc->reload(w->stat->state, fzgw_settings_of(s)), 0);
	assert_int_equal(w->t->n_events, 1);
	assert_int_equal(w->t->events[0].type, FZGW_EV_ACCESS_REVOKED);
	assert_false(pass(w, FZGW_DIR_IN, "alice", "100.64.0.2", "10.200.0.7", MT_TCP, 40000, 80));
	assert_true(pass(w, FZGW_DIR_IN, "bob", "100.64.0.3", "10.200.0.7", MT_TCP, 40000, 80));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_end_to_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_revokes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_removes_peer, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
