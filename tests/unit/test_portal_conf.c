/* SPDX-License-Identifier: Apache-2.0 */
/* The portal's settings: hardening 6, no portal URL without TLS unless a test allows it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modtest.h"
#include "portal.h"

static const struct fzgw_module desc = { .name = "portal" };

/* pz_conf_parse() of @settings with FIREZONE_API_URL = @env (NULL: unset). */
static int parse(struct modtest *t, const char *settings, const char *env, struct pz_conf *c)
{
	const struct fzgw_settings *s = modtest_settings(t, settings);

	assert_non_null(s);
	if (env)
		setenv("FIREZONE_API_URL", env, 1);
	else
		unsetenv("FIREZONE_API_URL");
	t->ctx.last_err[0] = '\0';
	return pz_conf_parse(&t->ctx, &fzgw_core_api, s, c);
}

static void test_insecure_refused(void **state)
{
	static const char *const clear[] = { "ws://127.0.0.1:8443", "http://portal.example",
					     "WS://portal.example:80/x", "Http://[::1]:4000" };
	struct modtest *t = modtest_new("portal", &desc);
	struct pz_conf c;
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(clear) / sizeof(clear[0]); i++) {
		/* in the settings: the error names the api_url line */
		snprintf(text, sizeof(text), "{\n  name = \"gw\";\n  api_url = \"%s\";\n}", clear[i]);
		assert_int_equal(parse(t, text, NULL, &c), -EINVAL);
		if (!strstr(t->ctx.last_err, ":3:") || !strstr(t->ctx.last_err, "without TLS"))
			fail_msg("%s: %s", clear[i], t->ctx.last_err);
		/* from the environment, which wins over a good setting */
		assert_int_equal(parse(t, "{ api_url = \"wss://portal.example\"; }", clear[i], &c),
				 -EINVAL);
		if (!strstr(t->ctx.last_err, "FIREZONE_API_URL") ||
		    !strstr(t->ctx.last_err, "without TLS"))
			fail_msg("%s from the environment: %s", clear[i], t->ctx.last_err);
		/* allowed explicitly (tests): accepted, and the URL is still plain */
		snprintf(text, sizeof(text), "{ api_url = \"%s\"; allow_insecure = true; }", clear[i]);
		assert_int_equal(parse(t, text, NULL, &c), 0);
		assert_false(c.url.tls);
		assert_true(c.allow_insecure);
		snprintf(text, sizeof(text), "{ allow_insecure = false; }");
		assert_int_equal(parse(t, text, clear[i], &c), -EINVAL);
	}
	/* TLS needs no flag; the default URL is TLS */
	assert_int_equal(parse(t, "{ api_url = \"wss://portal.example\"; }", NULL, &c), 0);
	assert_true(c.url.tls);
	assert_false(c.allow_insecure);
	assert_int_equal(parse(t, "{ }", "https://portal.example:444", &c), 0);
	assert_true(c.url.tls);
	assert_int_equal(parse(t, "{ }", NULL, &c), 0);
	assert_true(c.url.tls);
	unsetenv("FIREZONE_API_URL");
	modtest_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insecure_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
