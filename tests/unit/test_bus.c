/* SPDX-License-Identifier: Apache-2.0 */
/* The event bus, the service registry and counters, on their own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "core.h"

static char seen[256];
static struct fzgw_core core;
static struct fzgw_ctx a, b;

static void note(const char *who, const struct fzgw_event *ev)
{
	char one[64];

	snprintf(one, sizeof(one), "%s:%u:%s ", who, ev->type, ev->source);
	strncat(seen, one, sizeof(seen) - strlen(seen) - 1);
}

static void on_a(void *state, const struct fzgw_event *ev)
{
	(void)state;
	note("a", ev);
}

static void on_b(void *state, const struct fzgw_event *ev)
{
	(void)state;
	note("b", ev);
	/* nested publish and unsubscribing while delivering must be safe */
	if (ev->type == FZGW_EV_IFACE_CONFIG) {
		fzgw_bus_publish(&core.bus, &b, FZGW_EV_PEER_REMOVED, NULL, 0);
		fzgw_bus_unsubscribe_all(&core.bus, &a);
	}
}

static void on_loop(void *state, const struct fzgw_event *ev)
{
	(void)state;
	fzgw_bus_publish(&core.bus, NULL, ev->type, NULL, 0);
}

static void setup_ctx(struct fzgw_ctx *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->core = &core;
	strcpy(c->name, name);
}

static void test_bus_delivery(void **st)
{
	(void)st;
	fzgw_core_init(&core, NULL, false);
	setup_ctx(&a, "a");
	setup_ctx(&b, "b");
	assert_int_equal(fzgw_bus_subscribe(&core.bus, &a, FZGW_EV_IFACE_CONFIG, on_a, NULL), 0);
	assert_int_equal(fzgw_bus_subscribe(&core.bus, &a, FZGW_EV_PEER_REMOVED, on_a, NULL), 0);
	assert_int_equal(fzgw_bus_subscribe(&core.bus, &b, FZGW_EV_IFACE_CONFIG, on_b, NULL), 0);
	assert_int_equal(fzgw_bus_subscribe(&core.bus, &b, 999, on_b, NULL), -EINVAL);
	seen[0] = '\0';
	/* publisher a does not hear itself; b publishes peer-removed, a still subscribed then */
	assert_int_equal(fzgw_bus_publish(&core.bus, &a, FZGW_EV_IFACE_CONFIG, NULL, 0), 1);
	assert_string_equal(seen, "b:1:a a:5:b ");
	seen[0] = '\0';
	/* a was unsubscribed inside the delivery */
	assert_int_equal(fzgw_bus_publish(&core.bus, &b, FZGW_EV_PEER_REMOVED, NULL, 0), 0);
	assert_string_equal(seen, "");
	assert_int_equal(fzgw_bus_publish(&core.bus, &b, FZGW_EV_NONE, NULL, 0), -EINVAL);
	assert_int_equal(fzgw_bus_publish(&core.bus, &b, FZGW_EV_TYPE_COUNT, NULL, 0), -EINVAL);
}

static void test_bus_loop_bounded(void **st)
{
	(void)st;
	fzgw_core_init(&core, NULL, false);
	setup_ctx(&a, "a");
	assert_int_equal(fzgw_bus_subscribe(&core.bus, &a, FZGW_EV_SYNC, on_loop, NULL), 0);
	/* a subscriber that republishes forever is cut at FZGW_BUS_MAX_DEPTH */
	assert_int_equal(fzgw_bus_publish(&core.bus, NULL, FZGW_EV_SYNC, NULL, 0), 1);
	assert_int_equal(core.bus.published[FZGW_EV_SYNC], FZGW_BUS_MAX_DEPTH);
	assert_int_equal(core.bus.depth, 0);
}

static void test_registry(void **st)
{
	static const int table1 = 1, table2 = 2;

	(void)st;
	fzgw_core_init(&core, NULL, false);
	setup_ctx(&a, "a");
	setup_ctx(&b, "b");
	assert_int_equal(fzgw_registry_add(&core.reg, &a, "dns.resolve", &table1), 0);
	assert_int_equal(fzgw_registry_add(&core.reg, &b, "dns.resolve", &table2), -EEXIST);
	assert_int_equal(fzgw_registry_add(&core.reg, &b, "", &table2), -EINVAL);
	assert_ptr_equal(fzgw_registry_find(&core.reg, "dns.resolve"), &table1);
	fzgw_registry_remove_all(&core.reg, &a);
	assert_null(fzgw_registry_find(&core.reg, "dns.resolve"));
}

static void test_counters(void **st)
{
	struct fzgw_counters cs = { 0 };
	char name[32];

	(void)st;
	assert_int_equal(fzgw_counter_id(&cs, "x"), 0);
	assert_int_equal(fzgw_counter_id(&cs, "x"), 0);
	fzgw_counter_add(&cs, 0, 3);
	fzgw_counter_bump(&cs, "x", 2);
	fzgw_counter_add(&cs, 99, 1); /* bad ids are ignored */
	assert_int_equal(fzgw_counter_get(&cs, "x"), 5);
	for (int i = 1; i < FZGW_MAX_COUNTERS; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		assert_int_equal(fzgw_counter_id(&cs, name), i);
	}
	assert_int_equal(fzgw_counter_id(&cs, "one-too-many"), -ENOSPC);
	assert_int_equal(fzgw_counter_id(&cs, ""), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bus_delivery),
		cmocka_unit_test(test_bus_loop_bounded),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
