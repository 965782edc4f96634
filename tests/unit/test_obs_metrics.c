/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Prometheus text writer (names, escaping, number forms) and the /metrics page made from
 * a real core with two fake modules: counters, gauges, readiness, hook verdicts and drops.
 * Every line of the page is checked against the text format's grammar.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "metrics.h"
#include "prom.h"

static void test_names(void **st)
{
	(void)st;
	assert_true(fzgw_prom_name_ok("firezone_gateway_peers"));
	assert_true(fzgw_prom_name_ok("a:b_c9"));
	assert_false(fzgw_prom_name_ok(""));
	assert_false(fzgw_prom_name_ok(NULL));
	assert_false(fzgw_prom_name_ok("9lives"));
	assert_false(fzgw_prom_name_ok("has-dash"));
	assert_false(fzgw_prom_name_ok("has space"));
}

static void test_escaping(void **st)
{
	struct fzgw_prom p = { 0 };
	const char *l[] = { "module", "a\"b\\c\nd", "reason", "x\x01y\xffz", NULL };

	(void)st;
	assert_true(fzgw_prom_family(&p, "t_total", "counter", "help with \\ and\nnewline"));
	fzgw_prom_u64(&p, "t_total", l, 18446744073709551615ull);
	assert_string_equal(p.buf, "# HELP t_total help with \\\\ and\\nnewline\n"
				   "# TYPE t_total counter\n"
				   "t_total{module=\"a\\\"b\\\\c\\nd\",reason=\"x_y_z\"} 18446744073709551615\n");
	fzgw_prom_free(&p);
}

static void test_bad_names_write_nothing(void **st)
{
	struct fzgw_prom p = { 0 };
	const char *l[] = { "bad-label", "v", "good", "w", NULL };

	(void)st;
	assert_false(fzgw_prom_family(&p, "bad-name", "gauge", "x"));
	fzgw_prom_u64(&p, "bad-name", NULL, 1);
	assert_int_equal(p.len, 0);
	/* a bad label name is left out, the rest stays well-formed */
	fzgw_prom_i64(&p, "g", l, -5);
	assert_string_equal(p.buf, "g{good=\"w\"} -5\n");
	fzgw_prom_free(&p);
}

static void test_numbers(void **st)
{
	struct fzgw_prom p = { 0 };

	(void)st;
	fzgw_prom_f64(&p, "a", NULL, 0.000125);
	fzgw_prom_f64(&p, "b", NULL, 1.0 / 0.0);
	fzgw_prom_f64(&p, "c", NULL, 0.0 / 0.0);
	fzgw_prom_i64(&p, "d", NULL, INT64_MIN);
	assert_string_equal(p.buf, "a 0.000125\nb +Inf\nc NaN\nd -9223372036854775808\n");
	fzgw_prom_free(&p);
}

/* ---------------------------------------------------------------- the page */

static bool label_value_ok(const char **s)
{
	const char *c = *s;

	if (*c++ != '"')
		return false;
	for (; *c && *c != '"'; c++) {
		if (*c == '\\') {
			c++;
			if (*c != '\\' && *c != '"' && *c != 'n')
				return false;
		} else if ((unsigned char)*c < 0x20) {
			return false;
		}
	}
	if (*c != '"')
		return false;
	*s = c + 1;
	return true;
}

/* name{label="value",...} number */
static bool sample_ok(const char *line, char *name, size_t len)
{
	const char *c = line;
	size_t n = 0;
	char *end;

	while (*c && (isalnum((unsigned char)*c) || *c == '_' || *c == ':') && n < len - 1)
		name[n++] = *c++;
	name[n] = '\0';
	if (!fzgw_prom_name_ok(name))
		return false;
	if (*c == '{') {
		c++;
		while (*c != '}') {
			while (isalnum((unsigned char)*c) || *c == '_')
				c++;
			if (*c++ != '=' || !label_value_ok(&c))
				return false;
			if (*c == ',')
				c++;
			else if (*c != '}')
				return false;
		}
		c++;
	}
	if (*c++ != ' ')
		return false;
	if (!strcmp(c, "NaN") || !strcmp(c, "+Inf") || !strcmp(c, "-Inf"))
		return true;
	strtod(c, &end);
	return end != c && *end == '\0';
}

/* Every line is HELP, TYPE or a sample of the family last typed; no family twice. */
static void check_grammar(const char *text)
{
	char *copy = strdup(text), *save = NULL, fam[128] = "", seen[8192] = " ", name[128];

	assert_non_null(copy);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# HELP ", 7))
			continue;
		if (!strncmp(line, "# TYPE ", 7)) {
			char key[140];

			assert_int_equal(sscanf(line + 7, "%127s", fam), 1);
			snprintf(key, sizeof(key), " %s ", fam);
			if (strstr(seen, key))
				fail_msg("family %s typed twice", fam);
			strncat(seen, key + 1, sizeof(seen) - strlen(seen) - 1);
			continue;
		}
		if (!sample_ok(line, name, sizeof(name)))
			fail_msg("not a sample line: \"%s\"", line);
		if (strcmp(name, fam))
			fail_msg("sample %s outside its family (last TYPE %s)", name, fam);
	}
	free(copy);
}

static enum fzgw_verdict hook(void *state, struct fzgw_packet *pkt)
{
	(void)state;
	(void)pkt;
	return FZGW_CONTINUE;
}

static const struct fzgw_module fake_desc = {
	FZGW_MODULE_HEADER,
	.name = "fake",
	.hooks = { { FZGW_PHASE_IN_FILTER, 10, hook, "deny \"list\"" } },
};

static void test_page(void **st)
{
	static struct fzgw_core core;
	static struct fzgw_ctx a, b;
	struct fzgw_metrics_in in = { .core = &core, .ready = false, .loop_lag_s = 0.0025 };
	struct fzgw_prom p = { 0 };
	struct fzgw_ctx *mods[1] = { &a };

	(void)st;
	fzgw_core_init(&core, NULL, false);
	a.core = b.core = &core;
	strcpy(a.name, "fake");
	strcpy(b.name, "portal");
	a.desc = &fake_desc;
	a.live = true;
	assert_int_equal(fzgw_core_api.gauge_register(&a, "entries"), 0);
	assert_true(fzgw_core_api.gauge_register(&a, "Bad-Name") < 0);
	fzgw_core_api.gauge_set(&a, 0, 42);
	fzgw_core_api.gauge_set(&a, 7, 99); /* not registered: ignored */
	fzgw_core_api.counter_add(&a, fzgw_core_api.counter_register(&a, "drop.weird\"name"), 3);
	fzgw_core_api.ready_set(&b, false, "connecting\nto the portal");
	core.mods[0] = &a;
	core.mods[1] = &b;
	core.n_mods = 2;
	assert_int_equal(fzgw_chains_build(&core.chains, mods, 1), 0);
	core.chains.phase[FZGW_PHASE_IN_FILTER].e[0].verdicts[FZGW_DROP] = 5;
	core.chains.phase[FZGW_PHASE_IN_FILTER].e[0].drops[0].reason = "port-denied";
	core.chains.phase[FZGW_PHASE_IN_FILTER].e[0].drops[0].n = 5;
	fzgw_counter_bump(&core.counters, "in-no-filter-accepted", 2);
	in.dp.up = in.dp.iface_up = true;
	in.dp.peers = 3;
	in.dp.wg.rx_data_packets = 10;
	in.dp.wg.tx_bytes = 1234;
	in.dp.wg.drops[1] = 4;
	in.dp.buffers_total = 4096;
	in.dp.buffers_in_use = 6;
	in.http_requests[0] = 8;
	fzgw_metrics_render(&p, &in);
	assert_false(p.oom);
	check_grammar(p.buf);
#define HAS(s)                                                                                     \
	do {                                                                                       \
		if (!strstr(p.buf, s))                                                             \
			fail_msg("missing: %s", s);                                               \
	} while (0)
	HAS("\nfirezone_gateway_peers 3\n");
	HAS("\nfirezone_gateway_ready 0\n");
	HAS("\nfirezone_gateway_interface_up 1\n");
	HAS("\nfirezone_gateway_tunnel_packets_total{direction=\"rx\"} 10\n");
	HAS("\nfirezone_gateway_wireguard_bytes_total{direction=\"tx\"} 1234\n");
	HAS("\nfirezone_gateway_loop_lag_seconds 0.0025\n");
	HAS("\nfirezone_gateway_module_gauge{module=\"fake\",gauge=\"entries\"} 42\n");
	HAS("\nfirezone_gateway_module_events_total{module=\"fake\",counter=\"drop.weird\\\"name\"} 3\n");
	HAS("\nfirezone_gateway_module_ready{module=\"portal\"} 0\n");
	HAS("\nfirezone_gateway_hook_verdicts_total{phase=\"in-filter\",module=\"fake\","
	    "hook=\"deny \\\"list\\\"\",verdict=\"drop\"} 5\n");
	HAS("\nfirezone_gateway_hook_drops_total{phase=\"in-filter\",module=\"fake\","
	    "hook=\"deny \\\"list\\\"\",reason=\"port-denied\"} 5\n");
	HAS("\nfirezone_gateway_core_events_total{counter=\"in-no-filter-accepted\"} 2\n");
	HAS("\nfirezone_gateway_packet_buffers{state=\"free\"} 4090\n");
	HAS("\nfirezone_gateway_http_requests_total{outcome=\"ok\"} 8\n");
	HAS("# TYPE process_resident_memory_bytes gauge\n");
	HAS("firezone_gateway_build_info{version=\"");
	HAS("abi=\"2.1\"} 1\n");
	/* the status went through unchanged but for the newline */
	assert_string_equal(b.readiness.status, "connecting to the portal");
	assert_true(fzgw_metrics_rss_bytes() > 0);
	fzgw_prom_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_bad_names_write_nothing),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
