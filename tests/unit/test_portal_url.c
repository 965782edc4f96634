/* SPDX-License-Identifier: Apache-2.0 */
/* The portal's URL and identity: URL forms, the request target, external_id, id file, token. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "identity.h"
#include "tmpfile.h"
#include "token.h"
#include "url.h"

struct url_case {
	const char *in;
	int rc;
	bool tls;
	const char *host;
	unsigned port;
	const char *path;
};

static const struct url_case urls[] = {
	{ "wss://api.firezone.dev", 0, true, "api.firezone.dev", 443, "" },
	{ "https://api.firezone.dev/", 0, true, "api.firezone.dev", 443, "" },
	{ "http://localhost:8081", 0, false, "localhost", 8081, "" },
	{ "ws://127.0.0.1:4000/sub/path/", 0, false, "127.0.0.1", 4000, "/sub/path" },
	{ "WSS://API.Example.COM:444?x=1#frag", 0, true, "api.example.com", 444, "" },
	{ "ws://[::1]:9000/p", 0, false, "::1", 9000, "/p" },
	{ "ws://portal", 0, false, "portal", 443, "" }, /* the original's default port */
	{ "ftp://x", -EINVAL, false, NULL, 0, NULL },
	{ "wss://", -EINVAL, false, NULL, 0, NULL },
	{ "wss://user:pw@host", -EINVAL, false, NULL, 0, NULL },
	{ "wss://host:0", -EINVAL, false, NULL, 0, NULL },
	{ "wss://host:65536", -EINVAL, false, NULL, 0, NULL },
	{ "wss://host:12x", -EINVAL, false, NULL, 0, NULL },
	{ "wss://[::1", -EINVAL, false, NULL, 0, NULL },
	{ "wss://[zz::1]:5", -EINVAL, false, NULL, 0, NULL },
	{ "wss://ho st", -EINVAL, false, NULL, 0, NULL },
	{ "api.firezone.dev", -EINVAL, false, NULL, 0, NULL },
};

static void test_url_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct pz_url u;
		int rc = pz_url_parse(urls[i].in, &u);

		if (rc != urls[i].rc) {
			print_error("%s: rc %d, want %d\n", urls[i].in, rc, urls[i].rc);
			fail();
		}
		if (rc)
			continue;
		assert_int_equal(u.tls, urls[i].tls);
		assert_string_equal(u.host, urls[i].host);
		assert_int_equal(u.port, urls[i].port);
		assert_string_equal(u.path, urls[i].path);
	}
}

static void test_target(void **state)
{
	char out[512], host[300];
	struct pz_url u;

	(void)state;
	assert_int_equal(pz_url_parse("wss://api.firezone.dev/base/", &u), 0);
	assert_int_equal(pz_url_target(out, sizeof(out), &u, "abc", "my gw/1 ü", "AA+/BB=="), 0);
	assert_string_equal(out, "/base/gateway/v2/websocket?external_id=abc&name=my+gw%2F1+%C3%BC"
				 "&public_key=AA%2B%2FBB%3D%3D");
	assert_int_equal(pz_url_target(out, 20, &u, "abc", "n", "k"), -E2BIG);
	pz_url_host_header(host, sizeof(host), &u);
	assert_string_equal(host, "api.firezone.dev");
	assert_int_equal(pz_url_parse("ws://[fd00::1]:8080", &u), 0);
	pz_url_host_header(host, sizeof(host), &u);
	assert_string_equal(host, "[fd00::1]:8080");
	assert_true(u.host_is_ip);
}

static void test_external_id(void **state)
{
	char out[100];

	(void)state;
	/* a UUID (any accepted form) is hashed as written */
	assert_int_equal(pz_external_id("6ba7b810-9dad-11d1-80b4-00c04fd430c8", out, sizeof(out)),
			 0);
	assert_string_equal(out,
			    "e5855ff48799c52c9ccf80b82bab9492c347a316876dbeaafef22b0bd4fac13d");
	assert_int_equal(pz_external_id("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", out, sizeof(out)),
			 0);
	assert_int_equal(strlen(out), 64);
	assert_string_not_equal(out,
				"e5855ff48799c52c9ccf80b82bab9492c347a316876dbeaafef22b0bd4fac13d");
	/* anything else goes as it is */
	assert_int_equal(pz_external_id("my-gateway-1", out, sizeof(out)), 0);
	assert_string_equal(out, "my-gateway-1");
	assert_int_equal(pz_external_id("6ba7b810-9dad-11d1-80b4-00c04fd430c8", out, 64), -E2BIG);
}

static void test_id_file(void **state)
{
	char dir[512], path[600], mid[600], id[PZ_ID_MAX], id2[PZ_ID_MAX], err[512];
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/fz-id-%d", tmp_dir(), (int)getpid());
	snprintf(path, sizeof(path), "%s/gateway_id", dir);
	/* nothing there and no machine id: created with mode 0640 in a 0770 directory */
	assert_int_equal(pz_id_load(path, "", id, sizeof(id), err, sizeof(err)), 0);
	assert_int_equal(strlen(id), 64);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0770);
	/* and read back the next time */
	assert_int_equal(pz_id_load(path, "", id2, sizeof(id2), err, sizeof(err)), 0);
	assert_string_equal(id, id2);
	unlink(path);
	/* no file, a machine id: derived, nothing written */
	assert_int_equal(
	    tmp_write(mid, sizeof(mid), "machine-id", "0123456789abcdef0123456789abcdef\n"), 0);
	assert_int_equal(pz_id_load(path, mid, id, sizeof(id), err, sizeof(err)), 0);
	assert_string_equal(id, "eeefe5d1cb3807dfc3ae24794878ec3147027390d839d1d718d8e42bcfde3336");
	assert_int_not_equal(stat(path, &st), 0);
	/* the file wins over the machine id */
	assert_int_equal(tmp_write(path, sizeof(path), "gateway_id", "{\"id\":\"from-file\"}"), 0);
	assert_int_equal(pz_id_load(path, mid, id, sizeof(id), err, sizeof(err)), 0);
	assert_string_equal(id, "from-file");
	unlink(path);
	/* a place that cannot be written */
	assert_int_equal(
	    pz_id_load("/proc/no/such/gateway_id", "", id, sizeof(id), err, sizeof(err)) < 0, true);
	assert_non_null(strstr(err, "FIREZONE_ID"));
	rmdir(dir);
}

static void test_token(void **state)
{
	char *t, *v, err[256], dir[512], path[600];
	FILE *f;

	(void)state;
	assert_int_equal(pz_token_clean(" ab c\n\td ", 9, &t), 0);
	assert_string_equal(t, "abcd");
	pz_token_free(t);
	assert_int_equal(pz_token_clean(" \n ", 3, &t), -ENODATA);
	assert_int_equal(pz_token_clean("a\x01" "b", 3, &t), -EINVAL);

	setenv("FIREZONE_TOKEN", "  secret-token\n", 1);
	v = getenv("FIREZONE_TOKEN");
	assert_int_equal(pz_token_load(&t, err, sizeof(err)), 0);
	assert_string_equal(t, "secret-token");
	pz_token_free(t);
	/* hardening 7: read once, the variable is overwritten in place and gone */
	assert_null(getenv("FIREZONE_TOKEN"));
	for (size_t i = 0; i < strlen("  secret-token\n"); i++)
		assert_int_equal(v[i], 0); /* glibc keeps setenv()'s copies: still readable */
	/* a reload (or a module restart) gets it again */
	assert_int_equal(pz_token_load(&t, err, sizeof(err)), 0);
	assert_string_equal(t, "secret-token");
	pz_token_free(t);
	/* set anew, the new one wins */
	setenv("FIREZONE_TOKEN", "newer", 1);
	assert_int_equal(pz_token_load(&t, err, sizeof(err)), 0);
	assert_string_equal(t, "newer");
	pz_token_free(t);
	assert_null(getenv("FIREZONE_TOKEN"));
	pz_token_forget();

	snprintf(dir, sizeof(dir), "%s", tmp_dir());
	snprintf(path, sizeof(path), "%s/FIREZONE_TOKEN", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("\n  from.credential \n", f);
	fclose(f);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	assert_int_equal(pz_token_load(&t, err, sizeof(err)), 0);
	assert_string_equal(t, "from.credential");
	pz_token_free(t);
	unlink(path);
	assert_true(pz_token_load(&t, err, sizeof(err)) < 0);
	assert_null(strstr(err, "from.credential"));
	unsetenv("CREDENTIALS_DIRECTORY");
	assert_int_equal(pz_token_load(&t, err, sizeof(err)), -ENOENT);
}

static void test_user_agent(void **state)
{
	char ua[512], name[300];

	(void)state;
	pz_user_agent("1.2.3", ua, sizeof(ua));
	/* <os>/<version> gateway/1.2.3 (<arch>; <kernel>) */
	assert_non_null(strstr(ua, " gateway/1.2.3 ("));
	assert_non_null(strchr(ua, '/'));
	assert_true(strchr(ua, '/') < strstr(ua, " gateway/"));
	assert_non_null(strstr(ua, "; "));
	assert_int_equal(ua[strlen(ua) - 1], ')');
	/* the default: the original release whose protocol we speak, not our build's version */
	assert_string_equal(PZ_ADVERTISED_VERSION, "1.6.0");
	pz_user_agent(PZ_ADVERTISED_VERSION, ua, sizeof(ua));
	assert_non_null(strstr(ua, " gateway/1.6.0 ("));
	pz_name("configured", name, sizeof(name));
	assert_string_equal(name, "configured");
	pz_name("", name, sizeof(name));
	assert_true(strlen(name) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_external_id),
		cmocka_unit_test(test_id_file),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_user_agent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
