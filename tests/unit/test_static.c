/* SPDX-License-Identifier: Apache-2.0 */
/* The static module: settings validation, the events it publishes, and reload diffs. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "modtest.h"
#include "static.h"

extern const struct fzgw_module fzgw_module;

#define K1 "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define K2 "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
#define K3 "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="
#define PSK "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk="
#define K31 "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQ=="
#define K33 "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUF"

/* Line 1 is "settings = {", line 2 the gateway, line 3 resources, line 4 peers. */
#define GW "\n ipv4 = \"100.64.0.1\"; ipv6 = \"fd00:2021:1111::1\";\n"
#define RES_LAN " resources = ( { id = \"lan\"; type = \"cidr\"; address = \"10.200.0.0/24\"; } );\n"
#define PEER_A(rest) " peers = ( { id = \"alice\"; public_key = \"" K1 "\"; ipv4 = \"100.64.0.2\"; " rest " } );\n"

static const char base_text[] =
	"{" GW
	" resources = (\n"
	"  { id = \"lan\"; type = \"cidr\"; address = \"10.200.0.0/24\";\n"
	"    filters = ( { protocol = \"tcp\"; ports = \"80, 8000-8999\"; }, { protocol = \"icmp\"; } ); },\n"
	"  { id = \"web\"; type = \"dns\"; address = \"*.Corp.example\"; },\n"
	"  { id = \"inet\"; type = \"internet\"; }\n"
	" );\n"
	" peers = (\n"
	"  { id = \"alice\"; public_key = \"" K1 "\"; preshared_key = \"" PSK "\";\n"
	"    ipv4 = \"100.64.0.2\"; ipv6 = \"fd00:2021:1111::2\"; resources = [\"lan\", \"web\"]; expires_at = 0; },\n"
	"  { id = \"bob\"; public_key = \"" K2 "\"; ipv4 = \"100.64.0.3\"; resources = [\"inet\"];\n"
	"    expires_at = 1900000000; }\n"
	" );\n"
	"}";

struct fixture {
	struct modtest *t;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->t = modtest_new("static", &fzgw_module);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	modtest_free(f->t);
	free(f);
	return 0;
}

static struct static_state *mod_state(struct modtest *t)
{
	return t->ctx.state;
}

static void start(struct modtest *t, const char *text)
{
	const struct fzgw_settings *s = modtest_settings(t, text);

	assert_non_null(s);
	assert_int_equal(modtest_init(t, s, false), 0);
	modtest_run(t);
}

static int reload(struct modtest *t, const char *text)
{
	const struct fzgw_settings *s = modtest_settings(t, text);

	assert_non_null(s);
	modtest_clear(t);
	t->ctx.last_err[0] = '\0';
	return t->ctx.desc->reload(t->ctx.state, s);
}

static const struct modtest_event *find_auth(const struct modtest *t, const char *client, const char *res)
{
	for (int i = 0; i < t->n_events; i++)
		if (t->events[i].type == FZGW_EV_PEER_AUTHORIZED &&
		    !strcmp(t->events[i].u.auth.client_id, client) &&
		    !strcmp(t->events[i].u.auth.resource.id, res))
			return &t->events[i];
	return NULL;
}

/* ------------------------------------------------------------ good settings */

static void test_publish_all(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;
	const struct modtest_event *e;
	struct fzgw_addr a;

	start(t, base_text);
	assert_int_equal(t->n_events, 4);
	assert_int_equal(t->events[0].type, FZGW_EV_IFACE_CONFIG);
	assert_string_equal(t->events[0].source, "static");
	a = modtest_addr("100.64.0.1");
	assert_memory_equal(&t->events[0].u.iface.ipv4, &a, sizeof(a));
	a = modtest_addr("fd00:2021:1111::1");
	assert_memory_equal(&t->events[0].u.iface.ipv6, &a, sizeof(a));

	assert_non_null(e = find_auth(t, "alice", "lan"));
	assert_int_equal(e->u.auth.public_key[0], 1);
	assert_int_equal(e->u.auth.public_key[31], 1);
	assert_true(e->u.auth.has_psk);
	assert_int_equal(e->u.auth.preshared_key[0], 9);
	a = modtest_addr("100.64.0.2");
	assert_memory_equal(&e->u.auth.ipv4, &a, sizeof(a));
	a = modtest_addr("fd00:2021:1111::2");
	assert_memory_equal(&e->u.auth.ipv6, &a, sizeof(a));
	assert_int_equal(e->u.auth.expires_at, 0);
	assert_int_equal(e->u.auth.resource.type, FZGW_RES_CIDR);
	assert_int_equal(e->u.auth.resource.prefix_len, 24);
	a = modtest_addr("10.200.0.0");
	assert_memory_equal(&e->u.auth.resource.addr, &a, sizeof(a));
	assert_int_equal(e->u.auth.resource.n_filters, 2);
	assert_int_equal(e->u.auth.resource.filters[0].proto, FZGW_FILTER_TCP);
	assert_int_equal(e->u.auth.resource.filters[0].n_ranges, 2);
	assert_int_equal(e->u.auth.resource.filters[0].ranges[0].first, 80);
	assert_int_equal(e->u.auth.resource.filters[0].ranges[0].last, 80);
	assert_int_equal(e->u.auth.resource.filters[0].ranges[1].first, 8000);
	assert_int_equal(e->u.auth.resource.filters[0].ranges[1].last, 8999);
	assert_int_equal(e->u.auth.resource.filters[1].proto, FZGW_FILTER_ICMP);
	assert_int_equal(e->u.auth.resource.filters[1].n_ranges, 0);

	assert_non_null(e = find_auth(t, "alice", "web"));
	assert_int_equal(e->u.auth.resource.type, FZGW_RES_DNS);
	assert_string_equal(e->u.auth.resource.pattern, "*.corp.example");
	assert_int_equal(e->u.auth.resource.n_filters, 0);

	assert_non_null(e = find_auth(t, "bob", "inet"));
	assert_int_equal(e->u.auth.resource.type, FZGW_RES_INTERNET);
	assert_false(e->u.auth.has_psk);
	assert_int_equal(e->u.auth.ipv6.family, 0);
	assert_int_equal(e->u.auth.expires_at, 1900000000);
	assert_int_equal(e->u.auth.public_key[0], 2);
	/* the first publication happens once, from the timer */
	modtest_run(t);
	assert_int_equal(t->n_events, 4);
}

static void test_nothing_before_loop(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;

	assert_int_equal(modtest_init(t, modtest_settings(t, base_text), false), 0);
	assert_int_equal(t->n_events, 0); /* other modules may not be subscribed yet */
	modtest_run(t);
	assert_int_equal(t->n_events, 4);
}

static void test_check_only_publishes_nothing(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;

	assert_int_equal(modtest_init(t, modtest_settings(t, base_text), true), 0);
	modtest_run(t);
	assert_int_equal(t->n_events, 0);
	assert_null(mod_state(t)->start_timer);
}

/* Grant lines are logged, keys never are. */
static void test_logs_without_keys(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;
	char path[64], buf[8192];
	int fd, saved;
	FILE *in;
	size_t n;

	snprintf(path, sizeof(path), "/tmp/modtest-log-XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	start(t, base_text);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	assert_non_null(in = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, in);
	buf[n] = '\0';
	fclose(in);
	unlink(path);
	assert_non_null(strstr(buf, "static: 2 peers, 3 resources"));
	assert_non_null(strstr(buf, "allowing alice to lan, expires never"));
	assert_non_null(strstr(buf, "allowing bob to inet, expires 2030-03-17T17:46:40Z"));
	assert_null(strstr(buf, PSK));
	assert_null(strstr(buf, K1));
	assert_null(strstr(buf, "CQkJ"));
}

/* ------------------------------------------------------------- bad settings */

struct bad_case {
	const char *text;
	unsigned line;
	const char *key; /* the key the error names */
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "{" GW " foo = 1;\n}", 3, "settings.foo", "unknown key" },
	{ "{\n ipv4 = 5; ipv6 = \"fd00:2021:1111::1\";\n}", 2, "settings.ipv4", "wrong type" },
	{ "{\n ipv4 = \"10.0.0.1\"; ipv6 = \"fd00:2021:1111::1\";\n}", 2, "settings.ipv4",
	  "outside the tunnel range 100.64.0.0/11" },
	{ "{\n ipv4 = \"100.96.0.1\";\n}", 2, "settings.ipv4", "outside the tunnel range" },
	{ "{\n ipv6 = \"fd00:2021:1111::20:0\";\n}", 2, "settings.ipv6",
	  "outside the tunnel range fd00:2021:1111::/107" },
	{ "{\n ipv6 = \"fd00::zz\";\n}", 2, "settings.ipv6", "bad IPv6 address \"fd00::zz\"" },
	{ "{\n ipv4 = \"fd00:2021:1111::1\";\n}", 2, "settings.ipv4", "bad IPv4 address" },
	{ "{\n resources = ();\n}", 1, "settings", "needs its tunnel address" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"cidr\"; address = \"10.0.0.0/33\"; } );\n}", 3,
	  "settings.resources[0].address", "bad CIDR \"10.0.0.0/33\"" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"cidr\"; address = \"10.0.0.1/24\"; } );\n}", 3,
	  "settings.resources[0].address", "host bits" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"cidr\"; address = \"10.0.0.0\"; } );\n}", 3,
	  "settings.resources[0].address", "bad CIDR" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"cidr\"; address = \"fd00::/129\"; } );\n}", 3,
	  "settings.resources[0].address", "bad CIDR" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"cidr\"; } );\n}", 3, "settings.resources[0]",
	  "needs an address" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"subnet\"; } );\n}", 3,
	  "settings.resources[0].type", "unknown resource type \"subnet\"" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; name = \"x\"; } );\n}", 3,
	  "settings.resources[0].name", "unknown key" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; address = \"0.0.0.0/0\"; } );\n}", 3,
	  "settings.resources[0].address", "internet resources take no address" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"dns\"; address = \"a..b\"; } );\n}", 3,
	  "settings.resources[0].address", "bad DNS name pattern" },
	{ "{" GW " resources = ( { id = \"a b\"; type = \"internet\"; } );\n}", 3,
	  "settings.resources[0].id", "bad id \"a b\"" },
	{ "{" GW " resources = ( { id = \"0123456789012345678901234567890123456789\"; type = \"internet\"; } );\n}",
	  3, "settings.resources[0].id", "longer than 39" },
	{ "{" GW " resources = ( { type = \"internet\"; } );\n}", 3, "settings.resources[0]",
	  "missing required key \"id\"" },
	{ "{" GW " resources = ( \"lan\" );\n}", 3, "settings.resources[0]", "wrong type" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; },\n { id = \"a\"; type = \"internet\"; } );\n}",
	  4, "settings.resources[1].id", "duplicate resource id \"a\" (already resources[0])" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { protocol = \"sctp\"; } ); } );\n}",
	  3, "settings.resources[0].filters[0].protocol", "unknown protocol \"sctp\"" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { protocol = \"tcp\"; port = \"1\"; } ); } );\n}",
	  3, "settings.resources[0].filters[0].port", "unknown key" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { protocol = \"tcp\"; ports = \"0\"; } ); } );\n}",
	  3, "settings.resources[0].filters[0].ports", "bad port list \"0\"" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { protocol = \"udp\"; ports = \"90-80\"; } ); } );\n}",
	  3, "settings.resources[0].filters[0].ports", "bad port list" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { protocol = \"udp\"; ports = \"80,,81\"; } ); } );\n}",
	  3, "settings.resources[0].filters[0].ports", "bad port list" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { protocol = \"udp\"; ports = \"65536\"; } ); } );\n}",
	  3, "settings.resources[0].filters[0].ports", "bad port list" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { protocol = \"udp\"; ports = \"80,\"; } ); } );\n}",
	  3, "settings.resources[0].filters[0].ports", "bad port list" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { protocol = \"tcp\"; ports = 80; } ); } );\n}",
	  3, "settings.resources[0].filters[0].ports", "wrong type" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { protocol = \"icmp\"; ports = \"8\"; } ); } );\n}",
	  3, "settings.resources[0].filters[0].ports", "icmp filters take no ports" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { ports = \"8\"; } ); } );\n}",
	  3, "settings.resources[0].filters[0]", "missing required key \"protocol\"" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { protocol = \"tcp\"; ports = []; } ); } );\n}",
	  3, "settings.resources[0].filters[0].ports", "empty port list" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { protocol = \"tcp\"; ports = [22, 0]; } ); } );\n}",
	  3, "settings.resources[0].filters[0].ports[1]", "port 0 out of range 1..65535" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { protocol = \"tcp\"; ports = (22, \"9-8\"); } ); } );\n}",
	  3, "settings.resources[0].filters[0].ports[1]", "bad port range \"9-8\"" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { protocol = \"tcp\"; ports = (22, true); } ); } );\n}",
	  3, "settings.resources[0].filters[0].ports[1]", "expected a port number" },
	{ "{" GW " resources = ( { id = \"a\"; type = \"internet\"; filters = ( { protocol = \"tcp\"; ports = { a = 1; }; } ); } );\n}",
	  3, "settings.resources[0].filters[0].ports", "wrong type, expected a list" },
	{ "{" GW RES_LAN PEER_A("resources = [\"lan\"]; foo = 1;") "}", 4, "settings.peers[0].foo",
	  "unknown key" },
	{ "{" GW RES_LAN " peers = ( { id = \"alice\"; ipv4 = \"100.64.0.2\"; resources = [\"lan\"]; } );\n}",
	  4, "settings.peers[0]", "missing required key \"public_key\"" },
	{ "{" GW RES_LAN " peers = ( { id = \"alice\"; public_key = \"not base64!\"; ipv4 = \"100.64.0.2\"; resources = [\"lan\"]; } );\n}",
	  4, "settings.peers[0].public_key", "bad key: expected base64 of exactly 32 bytes" },
	{ "{" GW RES_LAN " peers = ( { id = \"alice\"; public_key = \"" K31 "\"; ipv4 = \"100.64.0.2\"; resources = [\"lan\"]; } );\n}",
	  4, "settings.peers[0].public_key", "exactly 32 bytes" },
	{ "{" GW RES_LAN " peers = ( { id = \"alice\"; public_key = \"" K33 "\"; ipv4 = \"100.64.0.2\"; resources = [\"lan\"]; } );\n}",
	  4, "settings.peers[0].public_key", "exactly 32 bytes" },
	{ "{" GW RES_LAN PEER_A("preshared_key = \"" K31 "\"; resources = [\"lan\"];") "}", 4,
	  "settings.peers[0].preshared_key", "exactly 32 bytes" },
	{ "{" GW RES_LAN " peers = ( { id = \"alice\"; public_key = \"" K1 "\"; ipv4 = \"100.63.0.2\"; resources = [\"lan\"]; } );\n}",
	  4, "settings.peers[0].ipv4", "outside the tunnel range" },
	{ "{" GW RES_LAN " peers = ( { id = \"alice\"; public_key = \"" K1 "\"; ipv4 = \"100.64.0.1\"; resources = [\"lan\"]; } );\n}",
	  4, "settings.peers[0].ipv4", "the gateway's own" },
	{ "{" GW RES_LAN " peers = ( { id = \"alice\"; public_key = \"" K1 "\"; resources = [\"lan\"]; } );\n}",
	  4, "settings.peers[0]", "a peer needs ipv4 or ipv6" },
	{ "{" GW RES_LAN PEER_A("resources = [\"lan\", \"nope\"];") "}", 4,
	  "settings.peers[0].resources[1]", "unknown resource \"nope\"" },
	{ "{" GW RES_LAN PEER_A("resources = [\"lan\", \"lan\"];") "}", 4,
	  "settings.peers[0].resources[1]", "listed twice" },
	{ "{" GW RES_LAN PEER_A("resources = [];") "}", 4, "settings.peers[0].resources",
	  "at least one resource" },
	{ "{" GW RES_LAN PEER_A("resources = [\"lan\"]; expires_at = -1;") "}", 4,
	  "settings.peers[0].expires_at", "out of range" },
	{ "{" GW RES_LAN PEER_A("resources = \"lan\";") "}", 4, "settings.peers[0].resources",
	  "wrong type" },
	{ "{" GW RES_LAN " peers = ( { id = \"alice\"; public_key = \"" K1 "\"; ipv4 = \"100.64.0.2\"; resources = [\"lan\"]; },\n"
	  " { id = \"alice\"; public_key = \"" K2 "\"; ipv4 = \"100.64.0.3\"; resources = [\"lan\"]; } );\n}",
	  5, "settings.peers[1].id", "duplicate peer id \"alice\" (already peers[0])" },
	{ "{" GW RES_LAN " peers = ( { id = \"alice\"; public_key = \"" K1 "\"; ipv4 = \"100.64.0.2\"; resources = [\"lan\"]; },\n"
	  " { id = \"bob\"; public_key = \"" K1 "\"; ipv4 = \"100.64.0.3\"; resources = [\"lan\"]; } );\n}",
	  5, "settings.peers[1].public_key", "duplicate public key (already peers[0])" },
	{ "{" GW RES_LAN " peers = ( { id = \"alice\"; public_key = \"" K1 "\"; ipv4 = \"100.64.0.2\"; resources = [\"lan\"]; },\n"
	  " { id = \"bob\"; public_key = \"" K2 "\"; ipv4 = \"100.64.0.2\"; resources = [\"lan\"]; } );\n}",
	  5, "settings.peers[1].ipv4", "duplicate tunnel address (already peers[0])" },
	{ "{" GW RES_LAN " peers = ( { id = \"alice\"; public_key = \"" K1 "\"; ipv6 = \"fd00:2021:1111::2\"; resources = [\"lan\"]; },\n"
	  " { id = \"bob\"; public_key = \"" K2 "\"; ipv6 = \"fd00:2021:1111:0::2\"; resources = [\"lan\"]; } );\n}",
	  5, "settings.peers[1].ipv6", "duplicate tunnel address" },
};

static void test_bad_settings(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		const struct fzgw_settings *s = modtest_settings(t, c->text);
		char want[256];

		if (!s)
			fail_msg("case %zu: syntax error in the test text", i);
		if (modtest_init(t, s, false) != -EINVAL)
			fail_msg("case %zu accepted: %s", i, c->text);
		snprintf(want, sizeof(want), "%s:%u: ", t->file, c->line);
		if (strncmp(t->ctx.last_err, want, strlen(want)) != 0)
			fail_msg("case %zu: \"%s\" does not start with \"%s\"", i, t->ctx.last_err, want);
		snprintf(want, sizeof(want), "(key \"%s\")", c->key);
		if (!strstr(t->ctx.last_err, want))
			fail_msg("case %zu: \"%s\" does not name %s", i, t->ctx.last_err, want);
		if (!strstr(t->ctx.last_err, c->msg))
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, t->ctx.last_err, c->msg);
		/* one line, and never a key's text */
		assert_null(strchr(t->ctx.last_err, '\n'));
		assert_null(strstr(t->ctx.last_err, "BQUF"));
		assert_false(t->ctx.live);
		assert_null(t->ctx.state);
		assert_int_equal(t->n_events, 0);
		/* a refused init leaves nothing behind: no timer */
		assert_null(t->ctx.timers);
	}
}

static void test_too_many_peers(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;
	size_t cap = 64 + (STATIC_MAX_PEERS + 1) * 40u;
	char *text = malloc(cap), *p = text;

	p += sprintf(p, "{" GW " resources = ( { id = \"i\"; type = \"internet\"; } );\n peers = (\n");
	for (int i = 0; i <= STATIC_MAX_PEERS; i++)
		p += sprintf(p, "%s{id=\"p%d\";}", i ? "," : "", i);
	sprintf(p, ");\n}");
	assert_int_equal(modtest_init(t, modtest_settings(t, text), false), -EINVAL);
	snprintf(text, cap, ":4: more than %d peers (key \"settings.peers\")", STATIC_MAX_PEERS);
	assert_non_null(strstr(t->ctx.last_err, text));
	free(text);
}

/* ABI 2 has no caps on filters and port ranges: 40 filters, 300 ranges, and the list form. */
static void test_no_filter_caps(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;
	size_t cap = 16384;
	char *text = malloc(cap), *p = text;
	const struct modtest_event *e;

	p += sprintf(p, "{" GW " resources = ( { id = \"i\"; type = \"internet\"; filters = (\n");
	for (int i = 0; i < 39; i++)
		p += sprintf(p, "{ protocol = \"udp\"; ports = \"%d\"; },", 1000 + i);
	p += sprintf(p, "{ protocol = \"tcp\"; ports = (22, \"8000-8999\"");
	for (int i = 0; i < 298; i++)
		p += sprintf(p, ", %d", 10000 + i);
	sprintf(p, "); } ); } );\n peers = ( { id = \"a\"; public_key = \"" K1 "\"; "
		"ipv4 = \"100.64.0.2\"; resources = [\"i\"]; } );\n}");
	start(t, text);
	free(text);
	assert_non_null(e = find_auth(t, "a", "i"));
	assert_int_equal(e->u.auth.resource.n_filters, 40);
	assert_int_equal(e->u.auth.resource.filters[38].ranges[0].first, 1038);
	assert_int_equal(e->u.auth.resource.filters[39].proto, FZGW_FILTER_TCP);
	assert_int_equal(e->u.auth.resource.filters[39].n_ranges, 300);
	assert_int_equal(e->u.auth.resource.filters[39].ranges[0].first, 22);
	assert_int_equal(e->u.auth.resource.filters[39].ranges[0].last, 22);
	assert_int_equal(e->u.auth.resource.filters[39].ranges[1].first, 8000);
	assert_int_equal(e->u.auth.resource.filters[39].ranges[1].last, 8999);
	assert_int_equal(e->u.auth.resource.filters[39].ranges[299].last, 10297);
	assert_null(e->u.auth.resource.pattern);
}

/* ------------------------------------------------------------ value parsers */

static void test_ports_parser(void **state)
{
	static const struct {
		const char *s;
		int rc, n, first0, last_last;
	} cases[] = {
		{ "80", 0, 1, 80, 80 },
		{ "1", 0, 1, 1, 1 },
		{ "65535", 0, 1, 65535, 65535 },
		{ "1-65535", 0, 1, 1, 65535 },
		{ " 80 , 443,8000 - 8999 ", 0, 3, 80, 8999 },
		{ "5-5", 0, 1, 5, 5 },
		{ "0", -EINVAL, 0, 0, 0 },
		{ "65536", -EINVAL, 0, 0, 0 },
		{ "100000", -EINVAL, 0, 0, 0 },
		{ "", -EINVAL, 0, 0, 0 },
		{ ",", -EINVAL, 0, 0, 0 },
		{ "80-", -EINVAL, 0, 0, 0 },
		{ "-80", -EINVAL, 0, 0, 0 },
		{ "81-80", -EINVAL, 0, 0, 0 },
		{ "80 81", -EINVAL, 0, 0, 0 },
		{ "+80", -EINVAL, 0, 0, 0 },
		{ "0x50", -EINVAL, 0, 0, 0 },
		{ "80-90-100", -EINVAL, 0, 0, 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fzgw_port_range *ranges = NULL;
		uint32_t n = 0;

		if (static_parse_ports(cases[i].s, &ranges, &n) != cases[i].rc)
			fail_msg("\"%s\"", cases[i].s);
		if (!cases[i].rc) {
			assert_int_equal(n, cases[i].n);
			assert_int_equal(ranges[0].first, cases[i].first0);
			assert_int_equal(ranges[n - 1].last, cases[i].last_last);
		}
		free(ranges);
	}
}

static void test_value_parsers(void **state)
{
	struct fzgw_addr a;
	uint8_t key[32], prefix = 0;
	char pat[256];

	(void)state;
	assert_int_equal(static_parse_cidr("0.0.0.0/0", &a, &prefix), 0);
	assert_int_equal(prefix, 0);
	assert_int_equal(static_parse_cidr("10.1.2.3/32", &a, &prefix), 0);
	assert_int_equal(static_parse_cidr("fd00:2021::/32", &a, &prefix), 0);
	assert_int_equal(a.family, 6);
	assert_int_equal(static_parse_cidr("::/0", &a, &prefix), 0);
	assert_int_equal(static_parse_cidr("10.1.2.3/31", &a, &prefix), -EINVAL);
	assert_int_equal(static_parse_cidr("10.1.2.0/024", &a, &prefix), 0);
	assert_int_equal(static_parse_cidr("10.1.2.0/", &a, &prefix), -EINVAL);
	assert_int_equal(static_parse_cidr("/8", &a, &prefix), -EINVAL);
	assert_int_equal(static_parse_cidr("10.1.2.0/8x", &a, &prefix), -EINVAL);
	assert_int_equal(static_parse_key(K1, key), 0);
	assert_int_equal(key[0], 1);
	assert_int_equal(static_parse_key(K31, key), -EINVAL);
	assert_int_equal(static_parse_key(K33, key), -EINVAL);
	assert_int_equal(static_parse_key("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE", key), -EINVAL);
	assert_int_equal(static_parse_key("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=x", key), -EINVAL);
	assert_int_equal(static_parse_key("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ-_", key), -EINVAL);
	assert_int_equal(static_parse_dns_pattern("**.Example.COM", pat, sizeof(pat)), 0);
	assert_string_equal(pat, "**.example.com");
	assert_int_equal(static_parse_dns_pattern("app?.example", pat, sizeof(pat)), 0);
	assert_int_equal(static_parse_dns_pattern(".example", pat, sizeof(pat)), -EINVAL);
	assert_int_equal(static_parse_dns_pattern("example.", pat, sizeof(pat)), -EINVAL);
	assert_int_equal(static_parse_dns_pattern("a b", pat, sizeof(pat)), -EINVAL);
	a = modtest_addr("100.95.255.255");
	assert_true(static_in_tunnel(&a));
	a = modtest_addr("100.64.0.0");
	assert_true(static_in_tunnel(&a));
	a = modtest_addr("100.96.0.0");
	assert_false(static_in_tunnel(&a));
	a = modtest_addr("100.63.255.255");
	assert_false(static_in_tunnel(&a));
	a = modtest_addr("fd00:2021:1111::1f:ffff");
	assert_true(static_in_tunnel(&a));
	a = modtest_addr("fd00:2021:1111::20:0");
	assert_false(static_in_tunnel(&a));
	a = modtest_addr("fd00:2021:1111:8000::1");
	assert_false(static_in_tunnel(&a));
}

/* ------------------------------------------------------------------- reload */

static const char text_add_carol[] =
	"{" GW
	" resources = (\n"
	"  { id = \"lan\"; type = \"cidr\"; address = \"10.200.0.0/24\";\n"
	"    filters = ( { protocol = \"tcp\"; ports = \"80, 8000-8999\"; }, { protocol = \"icmp\"; } ); },\n"
	"  { id = \"web\"; type = \"dns\"; address = \"*.Corp.example\"; },\n"
	"  { id = \"inet\"; type = \"internet\"; }\n"
	" );\n"
	" peers = (\n"
	"  { id = \"alice\"; public_key = \"" K1 "\"; preshared_key = \"" PSK "\";\n"
	"    ipv4 = \"100.64.0.2\"; ipv6 = \"fd00:2021:1111::2\"; resources = [\"lan\", \"web\"]; expires_at = 0; },\n"
	"  { id = \"carol\"; public_key = \"" K3 "\"; ipv4 = \"100.64.0.4\"; resources = [\"lan\"]; },\n"
	"  { id = \"bob\"; public_key = \"" K2 "\"; ipv4 = \"100.64.0.3\"; resources = [\"inet\"];\n"
	"    expires_at = 1900000000; }\n"
	" );\n"
	"}";

static void test_reload_same(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;

	start(t, base_text);
	assert_int_equal(reload(t, base_text), 0);
	assert_int_equal(t->n_events, 0);
}

static void test_reload_add_peer(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;

	start(t, base_text);
	assert_int_equal(reload(t, text_add_carol), 0);
	assert_int_equal(t->n_events, 1);
	assert_non_null(find_auth(t, "carol", "lan"));
	assert_int_equal(t->events[0].u.auth.public_key[0], 3);
}

static void test_reload_remove_peer(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;

	start(t, text_add_carol);
	assert_int_equal(reload(t, base_text), 0);
	assert_int_equal(t->n_events, 1);
	assert_int_equal(t->events[0].type, FZGW_EV_ACCESS_REVOKED);
	assert_string_equal(t->events[0].u.revoke.client_id, "carol");
	assert_string_equal(t->events[0].u.revoke.resource_id, "");
}

static char *edit(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out;

	assert_non_null(at);
	out = malloc(strlen(text) + strlen(to) + 1);
	memcpy(out, text, (size_t)(at - text));
	strcpy(out + (at - text), to);
	strcat(out, at + strlen(from));
	return out;
}

static void test_reload_change_filter(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;
	char *text = edit(base_text, "80, 8000-8999", "80, 443, 8000-8999");

	start(t, base_text);
	assert_int_equal(reload(t, text), 0);
	assert_int_equal(t->n_events, 1);
	assert_int_equal(t->events[0].type, FZGW_EV_RESOURCE_UPDATED);
	assert_string_equal(t->events[0].u.res.resource.id, "lan");
	assert_int_equal(t->events[0].u.res.resource.filters[0].n_ranges, 3);
	assert_int_equal(t->events[0].u.res.resource.filters[0].ranges[1].first, 443);
	free(text);
}

static void test_reload_remove_grant(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;
	char *text = edit(base_text, "[\"lan\", \"web\"]", "[\"lan\"]");

	start(t, base_text);
	assert_int_equal(reload(t, text), 0);
	assert_int_equal(t->n_events, 1);
	assert_int_equal(t->events[0].type, FZGW_EV_ACCESS_REVOKED);
	assert_string_equal(t->events[0].u.revoke.client_id, "alice");
	assert_string_equal(t->events[0].u.revoke.resource_id, "web");
	/* and back: only the new grant */
	assert_int_equal(reload(t, base_text), 0);
	assert_int_equal(t->n_events, 1);
	assert_non_null(find_auth(t, "alice", "web"));
	free(text);
}

static void test_reload_change_peer(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;
	char *text = edit(base_text, "expires_at = 0;", "expires_at = 1900000001;");

	start(t, base_text);
	assert_int_equal(reload(t, text), 0);
	assert_int_equal(t->n_events, 2);
	assert_non_null(find_auth(t, "alice", "lan"));
	assert_non_null(find_auth(t, "alice", "web"));
	assert_int_equal(t->events[0].u.auth.expires_at, 1900000001);
	free(text);
	/* a new key is a new device: revoked whole, then re-authorized with every grant */
	text = edit(base_text, "\"" K2 "\"", "\"" K3 "\"");
	assert_int_equal(reload(t, text), 0);
	assert_int_equal(t->n_events, 4); /* bob revoked, alice back to expires 0, bob again */
	assert_int_equal(t->events[0].type, FZGW_EV_ACCESS_REVOKED);
	assert_string_equal(t->events[0].u.revoke.client_id, "bob");
	assert_string_equal(t->events[0].u.revoke.resource_id, "");
	assert_non_null(find_auth(t, "bob", "inet"));
	free(text);
}

static void test_reload_gateway_and_resource_removed(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;
	char *a = edit(base_text, "100.64.0.1", "100.64.0.100");
	char *b = edit(a, "  { id = \"web\"; type = \"dns\"; address = \"*.Corp.example\"; },\n", "");
	char *c = edit(b, "[\"lan\", \"web\"]", "[\"lan\"]");

	start(t, base_text);
	assert_int_equal(reload(t, c), 0);
	assert_int_equal(t->n_events, 2);
	assert_int_equal(t->events[0].type, FZGW_EV_IFACE_CONFIG);
	assert_int_equal(t->events[0].u.iface.ipv4.bytes[3], 100);
	assert_int_equal(t->events[1].type, FZGW_EV_ACCESS_REVOKED);
	assert_string_equal(t->events[1].u.revoke.resource_id, "web");
	free(a);
	free(b);
	free(c);
}

static void test_reload_refused_changes_nothing(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;
	char *bad = edit(text_add_carol, "100.64.0.4", "100.64.0.3"); /* carol takes bob's address */

	start(t, base_text);
	assert_int_equal(reload(t, bad), -EINVAL);
	assert_int_equal(t->n_events, 0);
	assert_non_null(strstr(t->ctx.last_err, "duplicate tunnel address"));
	assert_int_equal(mod_state(t)->conf.n_peers, 2);
	/* the running settings are still the old ones: adding carol properly is one event */
	assert_int_equal(reload(t, text_add_carol), 0);
	assert_int_equal(t->n_events, 1);
	assert_non_null(find_auth(t, "carol", "lan"));
	free(bad);
}

static void test_reload_before_first_publication(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;

	assert_int_equal(modtest_init(t, modtest_settings(t, base_text), false), 0);
	assert_int_equal(reload(t, text_add_carol), 0);
	assert_int_equal(t->n_events, 0);
	modtest_run(t);
	assert_int_equal(t->n_events, 5); /* iface + alice x2 + carol + bob */
	assert_non_null(find_auth(t, "carol", "lan"));
}

/* A peer trading its grants gets the new ones before it loses the old: never none. */
static void test_reload_swap_grants(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;
	char *a = edit(base_text, "[\"lan\", \"web\"]", "[\"inet\"]");

	start(t, base_text);
	assert_int_equal(reload(t, a), 0);
	assert_int_equal(t->n_events, 3);
	assert_int_equal(t->events[0].type, FZGW_EV_PEER_AUTHORIZED);
	assert_string_equal(t->events[0].u.auth.resource.id, "inet");
	assert_int_equal(t->events[1].type, FZGW_EV_ACCESS_REVOKED);
	assert_string_equal(t->events[1].u.revoke.resource_id, "lan");
	assert_int_equal(t->events[2].type, FZGW_EV_ACCESS_REVOKED);
	assert_string_equal(t->events[2].u.revoke.resource_id, "web");
	free(a);
}

/* Order on reload: revocations before grants, so a moved address is free first. */
static void test_reload_address_moves(void **state)
{
	struct fixture *f = *state;
	struct modtest *t = f->t;
	char *a = edit(base_text, "{ id = \"bob\"; public_key = \"" K2 "\"; ipv4 = \"100.64.0.3\";",
		       "{ id = \"dave\"; public_key = \"" K2 "\"; ipv4 = \"100.64.0.3\";");

	start(t, base_text);
	assert_int_equal(reload(t, a), 0);
	assert_int_equal(t->n_events, 2);
	assert_int_equal(t->events[0].type, FZGW_EV_ACCESS_REVOKED);
	assert_string_equal(t->events[0].u.revoke.client_id, "bob");
	assert_int_equal(t->events[1].type, FZGW_EV_PEER_AUTHORIZED);
	assert_string_equal(t->events[1].u.auth.client_id, "dave");
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_publish_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_before_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_only_publishes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logs_without_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_filter_caps, setup, teardown),
		cmocka_unit_test(test_ports_parser),
		cmocka_unit_test(test_value_parsers),
		cmocka_unit_test_setup_teardown(test_reload_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_add_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_remove_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_change_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_remove_grant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_change_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_gateway_and_resource_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_refused_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_before_first_publication, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_address_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_swap_grants, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
