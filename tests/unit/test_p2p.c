/* SPDX-License-Identifier: Apache-2.0 */
/* The p2p control messages: strict AssignedIps parsing, proxy ranges, what we build. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ip_parse.h"
#include "p2p.h"

static size_t payload(uint8_t *buf, uint8_t type, const char *json)
{
	size_t n = strlen(json);

	memset(buf, 0, P2P_HDR);
	buf[0] = type;
	memcpy(buf + P2P_HDR, json, n);
	return P2P_HDR + n;
}

static enum p2p_error parse(const char *json, struct p2p_assigned_ips *out)
{
	uint8_t buf[4096];

	return p2p_parse_assigned_ips(buf, payload(buf, P2P_ASSIGNED_IPS, json), out);
}

static struct fzgw_addr addr(const char *s)
{
	struct fzgw_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.bytes) == 1)
		a.family = 4;
	else if (inet_pton(AF_INET6, s, a.bytes) == 1)
		a.family = 6;
	return a;
}

#define IPS8                                                                                       \
	"[\"100.96.0.1\",\"100.96.0.2\",\"100.96.0.3\",\"100.96.0.4\","                            \
	"\"fd00:2021:1111:8000::1\",\"fd00:2021:1111:8000::2\",\"fd00:2021:1111:8000::3\","        \
	"\"fd00:2021:1111:8000::4\"]"

static void test_valid(void **state)
{
	struct p2p_assigned_ips a;

	(void)state;
	assert_int_equal(parse("{\"resource\":\"73037362-715d-4a83-a749-f18eadd970e6\","
			       "\"domain\":\"App.Corp.Example.\",\"proxy_ips\":" IPS8 "}",
			       &a),
			 P2P_OK);
	assert_string_equal(a.resource, "73037362-715d-4a83-a749-f18eadd970e6");
	assert_string_equal(a.domain, "app.corp.example");
	assert_int_equal(a.n, 8);
	assert_int_equal(a.ips[0].family, 4);
	assert_int_equal(a.ips[3].bytes[3], 4);
	assert_int_equal(a.ips[4].family, 6);
	assert_memory_equal(&a.ips[7], &(struct fzgw_addr){ 0 }, 0);
	/* one address, members in any order, unknown members ignored, whitespace */
	assert_int_equal(parse(" { \"proxy_ips\" : [ \"100.96.0.9\" ] , \"future\": {\"x\": [1,2]},"
			       " \"domain\":\"a.b\", \"resource\":\"web\" } ",
			       &a),
			 P2P_OK);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.resource, "web");
}

static void test_longest(void **state)
{
	char json[1024], label[50], dom[260];
	struct p2p_assigned_ips a;
	int n;

	(void)state;
	/* the longest name (5 labels of 49 and "com": 253 characters) with 8 addresses */
	memset(label, 'a', 49);
	label[49] = '\0';
	snprintf(dom, sizeof(dom), "%s.%s.%s.%s.%s.com", label, label, label, label, label);
	assert_int_equal(strlen(dom), 253);
	n = snprintf(json, sizeof(json),
		     "{\"resource\":\"00000000-0000-0000-0000-000000000064\",\"domain\":\"%s\","
		     "\"proxy_ips\":[\"100.127.255.255\",\"100.127.255.254\",\"100.127.255.253\","
		     "\"100.127.255.252\",\"fd00:2021:1111:8000::1f:fffe\","
		     "\"fd00:2021:1111:8000::1f:fffd\",\"fd00:2021:1111:8000::1f:fffc\","
		     "\"fd00:2021:1111:8000::1f:ffff\"]}",
		     dom);
	assert_true(n > 400 && n < P2P_JSON_MAX);
	assert_int_equal(parse(json, &a), P2P_OK);
	assert_int_equal(a.n, 8);
	assert_string_equal(a.domain, dom);
}

struct bad_case {
	const char *json;
	enum p2p_error e;
};

/* the members before proxy_ips, and a well-formed start for the other cases */
#define IPS_OF "{\"resource\":\"r\",\"domain\":\"a.b\",\"proxy_ips\":"
#define ONE_IP "[\"100.96.0.1\"]"

static const struct bad_case bad_cases[] = {
	{ "", P2P_ERR_JSON },
	{ "{", P2P_ERR_JSON },
	{ "[]", P2P_ERR_SCHEMA },
	{ "\"x\"", P2P_ERR_JSON },
	{ "{} {}", P2P_ERR_JSON },
	{ IPS_OF ONE_IP "} x", P2P_ERR_JSON },
	{ "{\"resource\":\"r\",\"resource\":\"s\",\"domain\":\"a.b\",\"proxy_ips\":" ONE_IP "}",
	  P2P_ERR_JSON },
	{ "{\"domain\":\"a.b\",\"proxy_ips\":" ONE_IP "}", P2P_ERR_SCHEMA },
	{ "{\"resource\":\"r\",\"proxy_ips\":" ONE_IP "}", P2P_ERR_SCHEMA },
	{ "{\"resource\":\"r\",\"domain\":\"a.b\"}", P2P_ERR_SCHEMA },
	{ "{\"resource\":1,\"domain\":\"a.b\",\"proxy_ips\":" ONE_IP "}", P2P_ERR_SCHEMA },
	{ "{\"resource\":\"r\",\"domain\":null,\"proxy_ips\":" ONE_IP "}", P2P_ERR_SCHEMA },
	{ IPS_OF "\"100.96.0.1\"}", P2P_ERR_SCHEMA },
	{ "{\"resource\":\"\",\"domain\":\"a.b\",\"proxy_ips\":" ONE_IP "}", P2P_ERR_RESOURCE },
	{ "{\"resource\":\"a b\",\"domain\":\"a.b\",\"proxy_ips\":" ONE_IP "}", P2P_ERR_RESOURCE },
	{ "{\"resource\":\"0123456789012345678901234567890123456789\",\"domain\":\"a.b\","
	  "\"proxy_ips\":" ONE_IP "}",
	  P2P_ERR_RESOURCE },
	{ "{\"resource\":\"r\\\"\",\"domain\":\"a.b\",\"proxy_ips\":" ONE_IP "}",
	  P2P_ERR_RESOURCE },
	{ "{\"resource\":\"r\",\"domain\":\"\",\"proxy_ips\":" ONE_IP "}", P2P_ERR_DOMAIN },
	{ "{\"resource\":\"r\",\"domain\":\"a..b\",\"proxy_ips\":" ONE_IP "}", P2P_ERR_DOMAIN },
	{ "{\"resource\":\"r\",\"domain\":\"*.b\",\"proxy_ips\":" ONE_IP "}", P2P_ERR_DOMAIN },
	{ "{\"resource\":\"r\",\"domain\":\"a\\u0000.b\",\"proxy_ips\":" ONE_IP "}",
	  P2P_ERR_JSON },
	{ IPS_OF "[]}", P2P_ERR_IP_COUNT },
	{ IPS_OF "[\"100.96.0.1\",\"100.96.0.2\",\"100.96.0.3\",\"100.96.0.4\",\"100.96.0.5\","
	  "\"100.96.0.6\",\"100.96.0.7\",\"100.96.0.8\",\"100.96.0.9\"]}",
	  P2P_ERR_IP_COUNT },
	{ IPS_OF "[1]}", P2P_ERR_IP },
	{ IPS_OF "[\"100.64.0.2\"]}", P2P_ERR_IP },
	{ IPS_OF "[\"100.128.0.0\"]}", P2P_ERR_IP },
	{ IPS_OF "[\"100.95.255.255\"]}", P2P_ERR_IP },
	{ IPS_OF "[\"10.0.0.1\"]}", P2P_ERR_IP },
	{ IPS_OF "[\"127.0.0.1\"]}", P2P_ERR_IP },
	{ IPS_OF "[\"fd00:2021:1111::2\"]}", P2P_ERR_IP },
	{ IPS_OF "[\"fd00:2021:1111:8000::20:0\"]}", P2P_ERR_IP },
	{ IPS_OF "[\"fd00:2021:1111:8001::1\"]}", P2P_ERR_IP },
	{ IPS_OF "[\"::ffff:100.96.0.1\"]}", P2P_ERR_IP },
	{ IPS_OF "[\"100.96.0.1/32\"]}", P2P_ERR_IP },
	{ IPS_OF "[\"100.96.0.01\"]}", P2P_ERR_IP },
	{ IPS_OF "[\" 100.96.0.1\"]}", P2P_ERR_IP },
	{ IPS_OF "[\"100.96.0.1\",\"100.96.0.1\"]}", P2P_ERR_IP },
};

static void test_bad(void **state)
{
	struct p2p_assigned_ips a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		enum p2p_error e = parse(bad_cases[i].json, &a);

		if (e != bad_cases[i].e)
			fail_msg("case %zu (%s): got %s, expected %s", i, bad_cases[i].json,
				 p2p_error_name(e), p2p_error_name(bad_cases[i].e));
		assert_int_equal(a.n, 0);
	}
}

static void test_sizes(void **state)
{
	uint8_t buf[4096];
	struct p2p_assigned_ips a;
	char big[P2P_JSON_MAX + 2];

	(void)state;
	memset(buf, 0, sizeof(buf));
	memset(big, ' ', sizeof(big));
	assert_int_equal(p2p_parse_assigned_ips(buf, 7, &a), P2P_ERR_SHORT);
	assert_int_equal(p2p_event_type(buf, 7), -1);
	buf[0] = 2;
	assert_int_equal(p2p_event_type(buf, 8), 2);
	/* JSON of exactly the cap parses; one byte more is refused unread */
	snprintf(big, sizeof(big), "%s",
		 "{\"resource\":\"r\",\"domain\":\"a.b\",\"proxy_ips\":[\"100.96.0.1\"]}");
	big[strlen(big)] = ' ';
	big[P2P_JSON_MAX] = '\0';
	assert_int_equal(parse(big, &a), P2P_OK);
	big[P2P_JSON_MAX] = ' ';
	big[P2P_JSON_MAX + 1] = '\0';
	assert_int_equal(parse(big, &a), P2P_ERR_TOO_BIG);
	assert_int_equal(p2p_parse_assigned_ips(buf, P2P_HDR, &a), P2P_ERR_JSON);
}

static void test_ranges(void **state)
{
	static const struct {
		const char *ip;
		bool in;
	} cases[] = {
		{ "100.96.0.0", true },
		{ "100.127.255.255", true },
		{ "100.95.255.255", false },
		{ "100.128.0.0", false },
		{ "100.64.0.1", false },
		{ "fd00:2021:1111:8000::", true },
		{ "fd00:2021:1111:8000::1f:ffff", true },
		{ "fd00:2021:1111:8000::20:0", false },
		{ "fd00:2021:1111:7fff:ffff:ffff:ffff:ffff", false },
		{ "fd00:2021:1111:8000:0:1::", false },
		{ "fd00:2021:1111::1", false },
		{ "fd00:2021:1112:8000::1", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fzgw_addr a = addr(cases[i].ip);

		assert_int_not_equal(a.family, 0);
		if (p2p_in_proxy_range(&a) != cases[i].in)
			fail_msg("%s: expected %s", cases[i].ip, cases[i].in ? "in" : "out");
	}
}

static void test_build(void **state)
{
	uint8_t pkt[FZGW_IP_MAX_SIZE];
	char json[512];
	struct fzgw_ip v;
	int n, j;

	(void)state;
	j = p2p_domain_status_json(json, sizeof(json), "r-1", "app.corp.example", true);
	assert_int_equal(j, (int)strlen("{\"resource\":\"r-1\",\"domain\":\"app.corp.example\","
					"\"status\":\"Active\"}"));
	assert_memory_equal(json, "{\"resource\":\"r-1\",\"domain\":\"app.corp.example\","
				  "\"status\":\"Active\"}", (size_t)j);
	j = p2p_domain_status_json(json, sizeof(json), "r-1", "a.b", false);
	assert_memory_equal(
	    json, "{\"resource\":\"r-1\",\"domain\":\"a.b\",\"status\":\"Inactive\"}", (size_t)j);
	assert_int_equal(p2p_domain_status_json(json, 10, "r-1", "a.b", false), -ENOSPC);

	n = p2p_build(pkt, sizeof(pkt), P2P_DOMAIN_STATUS, json, (size_t)j);
	assert_int_equal(n, 40 + 8 + j);
	assert_int_equal(fzgw_ip_parse(&v, pkt, (size_t)n, FZGW_IP_MAX_SIZE), 0);
	assert_int_equal(v.kind, FZGW_IP_KIND_CONTROL);
	assert_int_equal(pkt[40], P2P_DOMAIN_STATUS);
	for (int i = 41; i < 48; i++)
		assert_int_equal(pkt[i], 0);
	assert_memory_equal(pkt + 48, json, (size_t)j);

	n = p2p_build(pkt, sizeof(pkt), P2P_GOODBYE, NULL, 0);
	assert_int_equal(n, 48);
	assert_int_equal(fzgw_ip_parse(&v, pkt, (size_t)n, FZGW_IP_MAX_SIZE), 0);
	assert_int_equal(v.kind, FZGW_IP_KIND_CONTROL);
	assert_int_equal(pkt[40], P2P_GOODBYE);
	assert_int_equal(p2p_build(pkt, 47, P2P_GOODBYE, NULL, 0), -ENOSPC);
}

static void test_error_names(void **state)
{
	(void)state;
	for (int e = 1; e < P2P_ERR_COUNT; e++)
		assert_true(strncmp(p2p_error_name(e), "control-", 8) == 0);
	assert_string_equal(p2p_error_name(P2P_ERR_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid), cmocka_unit_test(test_longest),
		cmocka_unit_test(test_bad),   cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_ranges), cmocka_unit_test(test_build),
		cmocka_unit_test(test_error_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
