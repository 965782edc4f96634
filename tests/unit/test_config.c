/* SPDX-License-Identifier: Apache-2.0 */
/* Config file validation: defaults, overrides, sites, and a table of bad files each refused with FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "tmpfile.h"

static struct fzgw_config cfg;

static int load(const char *text, const struct fzgw_overrides *ov, char *err, size_t errlen)
{
	char path[256];

	assert_int_equal(tmp_write(path, sizeof(path), "gw.conf", text), 0);
	return fzgw_config_load(&cfg, path, ov, err, errlen);
}

static void test_defaults(void **st)
{
	char err[512] = "";

	(void)st;
	assert_int_equal(load("gateway = {};\nmodules = ();\n", NULL, err, sizeof(err)), 0);
	assert_string_equal(cfg.site, "default");
	assert_string_equal(cfg.tun_name, "tun-firezone");
	assert_int_equal(cfg.mtu, 1280);
	assert_int_equal(cfg.listen_port, 52625);
	assert_int_equal(cfg.n_modules, 0);
	assert_string_equal(cfg.log_filter, "info");
	assert_true(cfg.tun_offload);
	assert_int_equal(cfg.handshake_load_threshold, 1024);
	assert_int_equal(cfg.workers, 1);
	fzgw_config_free(&cfg);
	assert_int_equal(load("gateway = { tun = { offload = false; }; handshake_load_threshold = 100; };\n"
			      "modules = ();\n", NULL, err, sizeof(err)), 0);
	assert_false(cfg.tun_offload);
	assert_int_equal(cfg.handshake_load_threshold, 100);
	fzgw_config_free(&cfg);
}

static void test_modules_and_sites(void **st)
{
	char err[512] = "";
	const char *text =
		"gateway = { site = \"hq\"; module_path = \"/opt/m\"; log = { level = \"debug\"; filter = \"filter=trace\"; }; };\n"
		"modules = (\n"
		"  { name = \"filter\"; },\n"
		"  { name = \"static\"; enabled = false; settings = { a = 1; }; },\n"
		"  { name = \"acme\"; path = \"/x/acme.so\"; sites = [\"hq\", \"lab\"]; priority = 50; },\n"
		"  { name = \"labonly\"; sites = [\"lab\"]; }\n"
		");\n";

	(void)st;
	assert_int_equal(load(text, NULL, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_modules, 4);
	assert_string_equal(cfg.modules[0].path, "/opt/m/filter.so");
	assert_true(cfg.modules[0].active);
	assert_false(cfg.modules[1].active);
	assert_non_null(cfg.modules[1].settings);
	assert_true(cfg.modules[2].active);
	assert_string_equal(cfg.modules[2].path, "/x/acme.so");
	assert_true(cfg.modules[2].has_priority);
	assert_int_equal(cfg.modules[2].priority, 50);
	assert_false(cfg.modules[3].active);
	assert_string_equal(cfg.log_filter, "debug,filter=trace");
	fzgw_config_free(&cfg);
}

static void test_overrides(void **st)
{
	char err[512] = "";
	struct fzgw_overrides ov = { .site = "lab", .module_path = "/flag/path", .log_filter = "warn",
				     .log_format = "json" };
	const char *text = "gateway = { site = \"hq\"; module_path = \"/file\"; };\n"
			   "modules = ( { name = \"labonly\"; sites = [\"lab\"]; } );\n";

	(void)st;
	assert_int_equal(load(text, &ov, err, sizeof(err)), 0);
	assert_string_equal(cfg.site, "lab");
	assert_string_equal(cfg.module_path, "/flag/path");
	assert_true(cfg.modules[0].active);
	assert_string_equal(cfg.log_filter, "warn");
	assert_int_equal(cfg.log_format, 1);
	fzgw_config_free(&cfg);
}

struct bad_case {
	const char *text;
	int line;
	const char *want; /* substring of the message */
};

static const struct bad_case bad[] = {
	{ "gateway = {\n  site = ;\n};\nmodules = ();\n", 2, "syntax error" },
	{ "gateway = {\n  tun = { mtu = \"big\"; };\n};\nmodules = ();\n", 2, "wrong type, expected an integer (key \"gateway.tun.mtu\")" },
	{ "gateway = {\n  colour = 1;\n};\nmodules = ();\n", 2, "unknown key (key \"gateway.colour\")" },
	{ "gateway = {};\nmodules = (\n  { name = \"x\"; flavour = 1; }\n);\n", 3, "unknown key (key \"modules[0].flavour\")" },
	{ "gateway = {};\nmodules = (\n  { path = \"/a.so\"; }\n);\n", 3, "missing required key \"name\"" },
	{ "gateway = {};\nmodules = (\n  { name = \"a\"; },\n  { name = \"a\"; }\n);\n", 4, "duplicate module \"a\"" },
	{ "gateway = {};\nmodules = (\n  { name = \"Bad Name\"; }\n);\n", 3, "bad module name" },
	{ "gateway = { listen_port = 70000; };\nmodules = ();\n", 1, "out of range" },
	{ "gateway = {\n  tun = { mtu = 100; };\n};\nmodules = ();\n", 2, "out of range" },
	{ "gateway = {\n  handshake_load_threshold = 4;\n};\nmodules = ();\n", 2, "out of range" },
	{ "gateway = {\n  log = { level = \"loud\"; };\n};\nmodules = ();\n", 2, "unknown log level" },
	{ "gateway = {\n  log = { format = \"xml\"; };\n};\nmodules = ();\n", 2, "unknown log format" },
	{ "gateway = {};\nmodules = (\n  { name = \"a\"; enabled = \"yes\"; }\n);\n", 3, "expected a boolean" },
	{ "gateway = {};\nmodules = (\n  { name = \"a\"; sites = [1]; }\n);\n", 3, "expected a site name string" },
	{ "gateway = {};\nmodules = (\n  { name = \"a\"; settings = 5; }\n);\n", 3, "expected a group" },
	{ "gateway = {};\n", 1, "missing required key \"modules\"" },
	{ "gateway = {\n  site = \"HQ!\";\n};\nmodules = ();\n", 2, "bad site name" },
	{ "modules = ();\ngateway = 3;\n", 2, "expected a group" },
	{ "gateway = {};\nmodules = (\n  { name = \"a\"; priority = 99999; }\n);\n", 3, "out of range" },
	{ "gateway = {\n  log = { filter = \"x=y\"; };\n};\nmodules = ();\n", 2, "bad log filter" },
};

static void test_bad_table(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[512] = "", want[300], path[256];

		snprintf(path, sizeof(path), "%s/gw.conf", tmp_dir());
		snprintf(want, sizeof(want), "%s:%d: ", path, bad[i].line);
		if (load(bad[i].text, NULL, err, sizeof(err)) == 0) {
			fzgw_config_free(&cfg);
			fail_msg("case %zu: accepted", i);
		}
		if (strncmp(err, want, strlen(want)) || !strstr(err, bad[i].want))
			fail_msg("case %zu: got \"%s\", want prefix \"%s\" and \"%s\"", i, err, want, bad[i].want);
	}
}

static void test_error_is_one_line(void **st)
{
	char err[512] = "";

	(void)st;
	/* a value quoted in the error must not break the one-line rule (found by fuzz_config) */
	assert_true(load("gateway = {};\nmodules = (\n  { name = \"a\nfake: line\"; }\n);\n", NULL, err,
			 sizeof(err)) < 0);
	assert_non_null(strstr(err, "bad module name \"a?fake: line\""));
	assert_null(strchr(err, '\n'));
}

static void test_missing_file(void **st)
{
	char err[512] = "";

	(void)st;
	assert_true(fzgw_config_load(&cfg, "/nonexistent/gw.conf", NULL, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent/gw.conf:0: cannot read config file"));
}

static void test_bad_env(void **st)
{
	char err[512] = "";
	struct fzgw_overrides ov = { .log_filter = "nonsense=level" };

	(void)st;
	assert_true(load("gateway = {};\nmodules = ();\n", &ov, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "RUST_LOG"));
	ov = (struct fzgw_overrides){ .site = "no spaces" };
	assert_true(load("gateway = {};\nmodules = ();\n", &ov, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "FIREZONE_SITE"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_modules_and_sites),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_error_is_one_line),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_bad_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
