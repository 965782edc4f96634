/* SPDX-License-Identifier: Apache-2.0 */
/* Portal messages: every event parsed, and tables of broken fields each refused by name. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "msg.h"

#define UUID_C "3abd725a-733b-4801-ac16-72f26cd98a24"
#define UUID_R "c7793628-8579-465b-83e3-1a5d4af4db3b"
#define UUID_X "0a133356-7a9e-4b9a-b413-0d95a5720fd8"
#define KEY_PUB "fiAjSBWDgQfD1CFJkTwOf4zg+1QhH0eTT+oLaVIMpH8="
#define KEY_PSK "BzPiNE9qszKczZcZzGsyieLYeJ2EQfkfdibls/l3beM="

static const char init_msg[] =
	"{\"topic\":\"gateway\",\"event\":\"init\",\"ref\":null,\"payload\":{"
	"\"interface\":{\"ipv4\":\"100.115.164.78\",\"ipv6\":\"fd00:2021:1111::2c:f6ab\"},"
	"\"config\":{\"ipv4_masquerade_enabled\":true,\"ipv6_masquerade_enabled\":true},"
	"\"account_slug\":\"acme\","
	"\"relays\":[{\"id\":\"" UUID_X "\",\"type\":\"turn\",\"addr\":\"172.28.0.101:3478\","
	"\"username\":\"2145916800:abc\",\"password\":\"secret\",\"expires_at\":2145916800},"
	"{\"id\":\"" UUID_X "\",\"type\":\"stun\",\"addr\":\"[2001:db8::1]:3478\"}],"
	"\"authorizations\":[{\"client_id\":\"" UUID_C "\",\"resource_id\":\"" UUID_R "\","
	"\"expires_at\":1729813989}],"
	"\"flow_logs\":{\"api_url\":\"https://flow.example\",\"upload_interval_secs\":60,"
	"\"upload_batch_size\":1000}}}";

static const char create_msg[] =
	"{\"event\":\"create_authorization\",\"topic\":\"gateway\",\"ref\":null,\"payload\":{"
	"\"ref\":\"SFMyNTY.signed\","
	"\"client\":{\"id\":\"" UUID_C "\",\"public_key\":\"" KEY_PUB "\","
	"\"preshared_key\":\"" KEY_PSK "\",\"ipv4\":\"100.93.74.51\","
	"\"ipv6\":\"fd00:2021:1111::f:853b\","
	"\"version\":\"1.5.0\",\"device_serial\":null},"
	"\"resource\":{\"id\":\"" UUID_R "\",\"type\":\"cidr\",\"name\":\"Net\","
	"\"address\":\"172.20.0.0/16\","
	"\"filters\":[{\"protocol\":\"tcp\",\"port_range_start\":80,\"port_range_end\":80},"
	"{\"protocol\":\"tcp\",\"port_range_start\":443,\"port_range_end\":443},"
	"{\"protocol\":\"icmp\"}]},"
	"\"gateway_ice_credentials\":{\"username\":\"ejqt\","
	"\"password\":\"zfjrrjdkbci42t2axyd45a\"},"
	"\"client_ice_credentials\":{\"username\":\"hgwh\","
	"\"password\":\"j2fqufatn7xlrrvv6fsvea\"},"
	"\"expires_at\":1729813989,\"subject\":{\"x\":1},\"flow_logs_ingest_token\":\"tok\"}}";

static const char ice_msg[] =
	"{\"event\":\"ice_candidates\",\"ref\":null,\"topic\":\"gateway\",\"payload\":{"
	"\"client_id\":\"" UUID_C "\","
	"\"candidates\":[\"candidate:1 1 udp 1694498559 172.28.0.100 47717 typ srflx\","
	"42,\"candidate:2 1 udp 2130706431 10.0.0.1 5000 typ host\"]}}";

static const char presence_msg[] =
	"{\"event\":\"relays_presence\",\"ref\":null,\"topic\":\"gateway\",\"payload\":{"
	"\"disconnected_ids\":[\"e95f9517-2152-4677-a16a-fbb2687050a3\"],"
	"\"connected\":[{\"id\":\"" UUID_X "\",\"type\":\"turn\",\"username\":\"u\","
	"\"password\":\"p\","
	"\"addr\":\"172.28.0.101:3478\",\"expires_at\":1719367575}]}}";

static const char updated_msg[] =
	"{\"event\":\"resource_updated\",\"ref\":null,\"topic\":\"gateway\",\"payload\":{"
	"\"id\":\"" UUID_R "\",\"name\":\"?.httpbin\",\"type\":\"dns\",\"address\":\"?.HttpBin\","
	"\"filters\":[{\"protocol\":\"icmp\"},{\"protocol\":\"tcp\"}]}}";

static const char reject_msg[] =
	"{\"event\":\"reject_access\",\"ref\":null,\"topic\":\"gateway\",\"payload\":{"
	"\"client_id\":\"" UUID_C "\",\"resource_id\":\"" UUID_R "\"}}";

static const char reply_msg[] =
	"{\"event\":\"phx_reply\",\"ref\":0,\"topic\":\"gateway\",\"payload\":{\"status\":\"ok\","
	"\"response\":{}}}";

static int parse(const char *text, struct pz_msg *m, struct pz_err *e)
{
	memset(e, 0, sizeof(*e));
	return pz_msg_parse(text, strlen(text), m, e);
}

static void test_init(void **state)
{
	struct pz_msg m;
	struct pz_err e;

	(void)state;
	assert_int_equal(parse(init_msg, &m, &e), 0);
	assert_int_equal(m.event, PZ_EV_INIT);
	assert_string_equal(m.topic, "gateway");
	assert_false(m.ref.present);
	assert_int_equal(m.u.init.ipv4.family, 4);
	assert_int_equal(m.u.init.ipv4.bytes[0], 100);
	assert_int_equal(m.u.init.ipv6.family, 6);
	assert_true(m.u.init.has_slug);
	assert_string_equal(m.u.init.account_slug, "acme");
	assert_int_equal(m.u.init.n_relays, 2);
	assert_true(m.u.init.relays[0].turn);
	assert_string_equal(m.u.init.relays[0].addr, "172.28.0.101:3478");
	assert_string_equal(m.u.init.relays[0].password, "secret");
	assert_int_equal(m.u.init.relays[0].expires_at, 2145916800);
	assert_false(m.u.init.relays[1].turn);
	assert_string_equal(m.u.init.relays[1].addr, "[2001:db8::1]:3478");
	assert_int_equal(m.u.init.n_auths, 1);
	assert_string_equal(m.u.init.auths[0].client_id, UUID_C);
	assert_int_equal(m.u.init.auths[0].expires_at, 1729813989);
	pz_msg_clear(&m);
	assert_int_equal(m.event, 0);
}

static void test_create(void **state)
{
	struct pz_msg m;
	struct pz_err e;
	const struct fzgw_resource *r;

	(void)state;
	assert_int_equal(parse(create_msg, &m, &e), 0);
	assert_int_equal(m.event, PZ_EV_CREATE_AUTHORIZATION);
	assert_string_equal(m.u.create.ref, "SFMyNTY.signed");
	assert_string_equal(m.u.create.client_id, UUID_C);
	assert_int_equal(m.u.create.public_key[0], 0x7e);
	assert_int_equal(m.u.create.preshared_key[0], 0x07);
	assert_int_equal(m.u.create.expires_at, 1729813989);
	assert_string_equal(m.u.create.gateway_ice.username, "ejqt");
	assert_string_equal(m.u.create.client_ice.password, "j2fqufatn7xlrrvv6fsvea");
	assert_false(m.u.create.use_iceless);
	r = m.u.create.resource;
	assert_string_equal(r->id, UUID_R);
	assert_int_equal(r->type, FZGW_RES_CIDR);
	assert_int_equal(r->prefix_len, 16);
	/* tcp 80 and 443 merged into one filter with two ranges, then icmp */
	assert_int_equal(r->n_filters, 2);
	assert_int_equal(r->filters[0].proto, FZGW_FILTER_TCP);
	assert_int_equal(r->filters[0].n_ranges, 2);
	assert_int_equal(r->filters[0].ranges[0].first, 80);
	assert_int_equal(r->filters[0].ranges[1].last, 443);
	assert_int_equal(r->filters[1].proto, FZGW_FILTER_ICMP);
	pz_msg_clear(&m);
}

static void test_other_events(void **state)
{
	struct pz_msg m;
	struct pz_err e;

	(void)state;
	assert_int_equal(parse(ice_msg, &m, &e), 0);
	assert_int_equal(m.event, PZ_EV_ICE_CANDIDATES);
	assert_int_equal(m.u.ice.n, 2); /* the number is skipped, as the original does */
	assert_int_equal(m.u.ice.skipped, 1);
	assert_string_equal(m.u.ice.candidates[1],
			    "candidate:2 1 udp 2130706431 10.0.0.1 5000 typ host");
	pz_msg_clear(&m);

	assert_int_equal(parse(presence_msg, &m, &e), 0);
	assert_int_equal(m.u.presence.n_gone, 1);
	assert_int_equal(m.u.presence.n_relays, 1);
	pz_msg_clear(&m);

	assert_int_equal(parse(updated_msg, &m, &e), 0);
	assert_int_equal(m.event, PZ_EV_RESOURCE_UPDATED);
	assert_int_equal(m.u.resource->type, FZGW_RES_DNS);
	assert_string_equal(m.u.resource->pattern, "?.httpbin");
	assert_int_equal(m.u.resource->n_filters, 2);
	assert_int_equal(m.u.resource->filters[0].proto, FZGW_FILTER_TCP);
	assert_int_equal(m.u.resource->filters[0].n_ranges, 0); /* every port */
	assert_null(m.u.resource->filters[0].ranges);
	pz_msg_clear(&m);

	assert_int_equal(parse(reject_msg, &m, &e), 0);
	assert_string_equal(m.u.reject.resource_id, UUID_R);
	pz_msg_clear(&m);

	assert_int_equal(parse(reply_msg, &m, &e), 0);
	assert_int_equal(m.event, PZ_EV_REPLY);
	assert_true(m.ref.present && m.ref.numeric && m.ref.n == 0);
	assert_true(m.u.reply.ok && m.u.reply.empty);
	pz_msg_clear(&m);

	assert_int_equal(
	    parse(
		"{\"topic\":\"phoenix\",\"event\":\"phx_reply\",\"ref\":\"12\","
		"\"payload\":{\"status\":\"error\",\"response\":{\"reason\":\"unmatched topic\"}}}",
		&m, &e),
	    0);
	assert_true(m.ref.numeric && m.ref.n == 12);
	assert_false(m.u.reply.ok);
	assert_string_equal(m.u.reply.reason, "unmatched topic");
	pz_msg_clear(&m);

	assert_int_equal(parse("{\"topic\":\"gateway\",\"event\":\"phx_reply\",\"ref\":\"abc\","
			       "\"payload\":{\"status\":\"ok\",\"response\":{\"a\":1}}}",
			       &m, &e),
			 0);
	assert_true(m.ref.present && !m.ref.numeric);
	assert_true(m.u.reply.ok && !m.u.reply.empty);
	pz_msg_clear(&m);

	assert_int_equal(parse("{\"topic\":\"gateway\",\"event\":\"disconnect\",\"ref\":null,"
			       "\"payload\":{\"reason\":\"token_expired\"}}", &m, &e), 0);
	assert_int_equal(m.event, PZ_EV_DISCONNECT);
	pz_msg_clear(&m);

	assert_int_equal(
	    parse("{\"topic\":\"gateway\",\"event\":\"access_authorization_expiry_updated\","
		  "\"payload\":{\"client_id\":\"" UUID_C "\",\"resource_id\":\"" UUID_R "\","
		  "\"expires_at\":5}}",
		  &m, &e),
	    0);
	assert_int_equal(m.event, PZ_EV_EXPIRY_UPDATED);
	pz_msg_clear(&m);

	/* events we do not know are parsed as unknown, not refused */
	assert_int_equal(
	    parse("{\"topic\":\"gateway\",\"event\":\"shout\",\"payload\":[1,2]}", &m, &e), 0);
	assert_int_equal(m.event, PZ_EV_UNKNOWN);
	assert_string_equal(m.name, "shout");
	pz_msg_clear(&m);

	/* v1's name for create_authorization: the flow-log token is optional there */
	{
		json_t *root = json_loads(create_msg, 0, NULL);
		char *text;

		json_object_set_new(root, "event", json_string("authorize_flow"));
		json_object_del(json_object_get(root, "payload"), "flow_logs_ingest_token");
		text = json_dumps(root, JSON_COMPACT);
		assert_int_equal(parse(text, &m, &e), 0);
		assert_int_equal(m.event, PZ_EV_AUTHORIZE_FLOW);
		pz_msg_clear(&m);
		free(text);
		json_decref(root);
	}
}

/* ------------------------------------------------------------ mutation tables */

struct mutation {
	const char *base;
	const char *path;  /* dotted, array indexes as numbers: "payload.relays.0.addr" */
	const char *value; /* JSON text, or NULL to delete the member */
	int rc;            /* what parsing must return */
	const char *field; /* the field the error must name (NULL: not checked) */
};

/* Sets (or deletes) the member at @path of @root. */
static void mutate(json_t *root, const char *path, const char *value)
{
	char buf[256], *save = NULL, *tok, *next;
	json_t *cur = root;

	snprintf(buf, sizeof(buf), "%s", path);
	tok = strtok_r(buf, ".", &save);
	while ((next = strtok_r(NULL, ".", &save))) {
		cur = json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok))
					 : json_object_get(cur, tok);
		assert_non_null(cur);
		tok = next;
	}
	if (json_is_array(cur)) {
		assert_non_null(value);
		json_array_set_new(cur, (size_t)atoi(tok),
				   json_loads(value, JSON_DECODE_ANY, NULL));
	} else if (!value) {
		json_object_del(cur, tok);
	} else {
		json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);

		assert_non_null(v);
		json_object_set_new(cur, tok, v);
	}
}

static const struct mutation table[] = {
	/* the envelope */
	{ init_msg, "topic", NULL, -EINVAL, "topic" },
	{ init_msg, "topic", "7", -EINVAL, "topic" },
	{ init_msg, "event", NULL, -EINVAL, "event" },
	{ init_msg, "payload", NULL, -EINVAL, "payload" },
	{ init_msg, "payload", "[]", -EINVAL, "payload" },
	{ init_msg, "ref", "true", -EINVAL, "ref" },
	{ init_msg, "ref", "{}", -EINVAL, "ref" },
	{ init_msg, "join_ref", "\"x\"", 0, NULL },
	{ init_msg, "extra", "{\"unknown\":1}", 0, NULL },
	/* init */
	{ init_msg, "payload.interface", NULL, -EINVAL, "interface" },
	{ init_msg, "payload.interface.ipv4", NULL, -EINVAL, "interface.ipv4" },
	{ init_msg, "payload.interface.ipv4", "\"fd00::1\"", -EINVAL, "interface.ipv4" },
	{ init_msg, "payload.interface.ipv4", "\"100.64.0.256\"", -EINVAL, "interface.ipv4" },
	{ init_msg, "payload.interface.ipv4", "1684275278", -EINVAL, "interface.ipv4" },
	{ init_msg, "payload.interface.ipv6", "\"100.64.0.1\"", -EINVAL, "interface.ipv6" },
	{ init_msg, "payload.interface.upstream_dns", "[]", 0, NULL },
	{ init_msg, "payload.config", NULL, -EINVAL, "config" },
	{ init_msg, "payload.config.ipv4_masquerade_enabled", "1", -EINVAL,
	  "config.ipv4_masquerade_enabled" },
	{ init_msg, "payload.flow_logs", NULL, -EINVAL, "flow_logs" },
	{ init_msg, "payload.flow_logs.upload_interval_secs", "-1", -EINVAL,
	  "flow_logs.upload_interval_secs" },
	{ init_msg, "payload.flow_logs.upload_batch_size", "1.5", -EINVAL,
	  "flow_logs.upload_batch_size" },
	{ init_msg, "payload.account_slug", NULL, 0, NULL },
	{ init_msg, "payload.account_slug", "null", 0, NULL },
	{ init_msg, "payload.account_slug", "5", -EINVAL, "account_slug" },
	{ init_msg, "payload.relays", NULL, 0, NULL },
	{ init_msg, "payload.relays", "null", -EINVAL, "relays" },
	{ init_msg, "payload.relays", "{}", -EINVAL, "relays" },
	{ init_msg, "payload.relays.0.type", "\"udp\"", -EINVAL, "relays[0].type" },
	{ init_msg, "payload.relays.0.id", "\"relay-1\"", -EINVAL, "relays[0].id" },
	{ init_msg, "payload.relays.0.addr", "\"172.28.0.101\"", -EINVAL, "relays[0].addr" },
	{ init_msg, "payload.relays.0.addr", "\"172.28.0.101:65536\"", -EINVAL, "relays[0].addr" },
	{ init_msg, "payload.relays.0.addr", "\"2001:db8::1:3478\"", -EINVAL, "relays[0].addr" },
	{ init_msg, "payload.relays.0.password", NULL, -EINVAL, "relays[0].password" },
	{ init_msg, "payload.relays.0.expires_at", "\"soon\"", -EINVAL, "relays[0].expires_at" },
	{ init_msg, "payload.relays.1.addr", "\"[2001:db8::1]\"", -EINVAL, "relays[1].addr" },
	{ init_msg, "payload.authorizations", NULL, 0, NULL },
	{ init_msg, "payload.authorizations.0.expires_at", NULL, -EINVAL,
	  "authorizations[0].expires_at" },
	{ init_msg, "payload.authorizations.0.client_id", "\"alice\"", -EINVAL,
	  "authorizations[0].client_id" },
	{ init_msg, "payload.authorizations.0", "7", -EINVAL, "authorizations[0]" },
	/* create_authorization */
	{ create_msg, "payload.ref", NULL, -EINVAL, "ref" },
	{ create_msg, "payload.ref", "12", -EINVAL, "ref" },
	{ create_msg, "payload.client", NULL, -EINVAL, "client" },
	{ create_msg, "payload.client.id", "\"3abd725a733b4801ac1672f26cd98a24\"", 0, NULL },
	{ create_msg, "payload.client.id", "\"{3abd725a-733b-4801-ac16-72f26cd98a24}\"", 0, NULL },
	{ create_msg, "payload.client.id", "\"3abd725a-733b-4801-ac16-72f26cd98a2\"", -EINVAL,
	  "client.id" },
	{ create_msg, "payload.client.id", "\"3abd725a-733b-4801-ac16-72f26cd98a2g\"", -EINVAL,
	  "client.id" },
	{ create_msg, "payload.client.public_key", NULL, -EINVAL, "client.public_key" },
	{ create_msg, "payload.client.public_key",
	  "\"fiAjSBWDgQfD1CFJkTwOf4zg+1QhH0eTT+oLaVIMpH8\"", -EINVAL, "client.public_key" },
	{ create_msg, "payload.client.public_key",
	  "\"fiAjSBWDgQfD1CFJkTwOf4zg-1QhH0eTT_oLaVIMpH8=\"", -EINVAL, "client.public_key" },
	{ create_msg, "payload.client.public_key",
	  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"", 0, NULL },
	/* a non-canonical last character */
	{ create_msg, "payload.client.public_key",
	  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\"", -EINVAL, "client.public_key" },
	/* 31 bytes */
	{ create_msg, "payload.client.public_key",
	  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"", -EINVAL, "client.public_key" },
	{ create_msg, "payload.client.preshared_key", "\"\"", -EINVAL, "client.preshared_key" },
	{ create_msg, "payload.client.preshared_key", "null", -EINVAL, "client.preshared_key" },
	{ create_msg, "payload.client.ipv4", NULL, -EINVAL, "client.ipv4" },
	{ create_msg, "payload.client.ipv6", "\"fd00:2021:1111::f:853b:1:2:3\"", -EINVAL,
	  "client.ipv6" },
	{ create_msg, "payload.resource", NULL, -EINVAL, "resource" },
	{ create_msg, "payload.resource.type", "\"ip\"", -EINVAL, "resource.type" },
	{ create_msg, "payload.resource.id", "7", -EINVAL, "resource.id" },
	{ create_msg, "payload.resource.name", NULL, -EINVAL, "resource.name" },
	{ create_msg, "payload.resource.address", "\"172.20.0.1/16\"", -EINVAL,
	  "resource.address" },
	{ create_msg, "payload.resource.address", "\"172.20.0.0\"", -EINVAL, "resource.address" },
	{ create_msg, "payload.resource.address", "\"172.20.0.0/33\"", -EINVAL,
	  "resource.address" },
	{ create_msg, "payload.resource.address", "\"fd00:10::/64\"", 0, NULL },
	{ create_msg, "payload.resource.filters", NULL, -EINVAL, "resource.filters" },
	{ create_msg, "payload.resource.filters", "[]", 0, NULL },
	{ create_msg, "payload.resource.filters",
	  "[{\"protocol\":\"tcp\",\"port_range_start\":100,\"port_range_end\":50}]", -EINVAL,
	  "resource.filters[0].port_range_end" },
	{ create_msg, "payload.resource.filters", "[{\"protocol\":\"sctp\"}, 5]", -EINVAL,
	  "resource.filters[0].protocol" },
	{ create_msg, "payload.resource.filters",
	  "[{\"protocol\":\"udp\",\"port_range_start\":70000}]", -EINVAL,
	  "resource.filters[0].port_range_start" },
	/* one unreadable entry refuses the whole message, as the original's Vec<Filter> */
	{ create_msg, "payload.resource.filters",
	  "[{\"protocol\":\"icmp\"},{\"protocol\":\"udp\",\"port_range_start\":70000}]",
	  -EINVAL, "resource.filters[1].port_range_start" },
	{ create_msg, "payload.resource.filters", "[{\"protocol\":\"icmp\"}, 5]", -EINVAL,
	  "resource.filters[1]" },
	{ create_msg, "payload.resource.filters", "[{\"port_range_start\":1}]", -EINVAL,
	  "resource.filters[0].protocol" },
	{ create_msg, "payload.resource.filters", "[{\"protocol\":\"tcp\",\"port_range_end\":-1}]",
	  -EINVAL, "resource.filters[0].port_range_end" },
	{ create_msg, "payload.gateway_ice_credentials", NULL, -EINVAL, "gateway_ice_credentials" },
	{ create_msg, "payload.client_ice_credentials.password", NULL, -EINVAL,
	  "client_ice_credentials.password" },
	{ create_msg, "payload.expires_at", NULL, 0, NULL },
	{ create_msg, "payload.expires_at", "null", 0, NULL },
	{ create_msg, "payload.expires_at", "-5", -EINVAL, "expires_at" },
	{ create_msg, "payload.expires_at", "\"1729813989\"", -EINVAL, "expires_at" },
	{ create_msg, "payload.use_iceless", "true", 0, NULL },
	{ create_msg, "payload.use_iceless", "null", -EINVAL, "use_iceless" },
	{ create_msg, "payload.flow_logs_ingest_token", NULL, -EINVAL, "flow_logs_ingest_token" },
	/* the rest */
	{ ice_msg, "payload.client_id", NULL, -EINVAL, "client_id" },
	{ ice_msg, "payload.candidates", "\"candidate:1\"", -EINVAL, "candidates" },
	{ presence_msg, "payload.disconnected_ids", NULL, -EINVAL, "disconnected_ids" },
	{ presence_msg, "payload.disconnected_ids.0", "\"relay\"", -EINVAL, "disconnected_ids[0]" },
	{ presence_msg, "payload.connected", NULL, -EINVAL, "connected" },
	{ presence_msg, "payload.connected.0.username", "[]", -EINVAL, "connected[0].username" },
	{ updated_msg, "payload.type", "\"internet\"", 0, NULL },
	{ updated_msg, "payload.address", "\"a b\"", -EINVAL, "address" },
	{ updated_msg, "payload.address", "\"\"", -EINVAL, "address" },
	/* Unicode letters, as the portal allows them */
	{ updated_msg, "payload.address", "\"*.b\\u00fccher.example\"", 0, NULL },
	{ updated_msg, "payload.address",
	  "\"\\u043f\\u0440\\u0438\\u043c\\u0435\\u0440.\\u0440\\u0444\"", 0, NULL },
	{ updated_msg, "payload.address", "\"a\\u0085b\"", -EINVAL, "address" },
	{ updated_msg, "payload.address", "\"a\\u007fb\"", -EINVAL, "address" },
	{ updated_msg, "payload.filters", "[{\"protocol\":\"tcp\"},{\"protocol\":\"x\"}]", -EINVAL,
	  "filters[1].protocol" },
	{ reject_msg, "payload.resource_id", NULL, -EINVAL, "resource_id" },
	{ reply_msg, "payload.status", "\"maybe\"", -EINVAL, "status" },
	{ reply_msg, "payload.response", NULL, -EINVAL, "response" },
};

static void test_mutations(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct mutation *t = &table[i];
		json_t *root = json_loads(t->base, 0, NULL);
		struct pz_msg m;
		struct pz_err e;
		char *text;
		int rc;

		assert_non_null(root);
		mutate(root, t->path, t->value);
		text = json_dumps(root, JSON_COMPACT);
		rc = parse(text, &m, &e);
		if (rc != t->rc || (t->field && (!e.why || strcmp(e.field, t->field)))) {
			print_error(
			    "case %zu (%s = %s): rc %d, field \"%s\" (%s); want %d, \"%s\"\n", i,
			    t->path, t->value ? t->value : "deleted", rc, e.field,
			    e.why ? e.why : "-", t->rc, t->field ? t->field : "-");
			fail();
		}
		if (rc == 0)
			pz_msg_clear(&m);
		free(text);
		json_decref(root);
	}
}

/* A message whose payload nests to @levels in all. */
static char *make_deep(int levels)
{
	char *s = calloc(1, 128 + 2 * (size_t)levels);
	size_t n = (size_t)sprintf(s, "{\"topic\":\"gateway\",\"event\":\"x\",\"payload\":");

	for (int i = 1; i < levels; i++)
		s[n++] = '[';
	for (int i = 1; i < levels; i++)
		s[n++] = ']';
	s[n] = '}';
	return s;
}

static void test_limits(void **state)
{
	struct pz_msg m;
	struct pz_err e;
	char *deep, *big;

	(void)state;
	/* 32 levels are fine, 33 are refused before parsing */
	deep = make_deep(32);
	assert_int_equal(parse(deep, &m, &e), 0);
	pz_msg_clear(&m);
	free(deep);
	deep = make_deep(33);
	assert_int_equal(parse(deep, &m, &e), -E2BIG);
	assert_non_null(strstr(e.why, "deeper"));
	free(deep);
	/* brackets inside strings do not count */
	{
		static const char quoted[] = "{\"a\":\"[[[[\\\"[[\"}";

		assert_int_equal(pz_json_depth(quoted, strlen(quoted)), 1);
	}

	/* over 64 MiB, as the original's limit */
	big = malloc(PZ_MAX_FRAME + 2);
	memset(big, ' ', PZ_MAX_FRAME + 1);
	big[PZ_MAX_FRAME + 1] = '\0';
	memset(&e, 0, sizeof(e));
	assert_int_equal(pz_msg_parse(big, PZ_MAX_FRAME + 1, &m, &e), -E2BIG);
	free(big);

	/* not JSON, not an object, duplicate keys, a NUL inside a string */
	assert_int_equal(parse("{\"topic\":", &m, &e), -EINVAL);
	assert_int_equal(parse("[1]", &m, &e), -EINVAL);
	assert_int_equal(
	    parse("{\"topic\":\"a\",\"topic\":\"b\",\"event\":\"x\",\"payload\":1}", &m, &e),
	    -EINVAL);
	assert_int_equal(parse("{\"topic\":\"a\\u0000\",\"event\":\"x\",\"payload\":1}", &m, &e),
			 -EINVAL);
	/* 65 candidates */
	{
		json_t *root = json_loads(ice_msg, 0, NULL), *arr = json_array();
		char *text;

		for (int i = 0; i < 65; i++)
			json_array_append_new(
			    arr, json_string("candidate:1 1 udp 1 10.0.0.1 1 typ host"));
		json_object_set_new(json_object_get(root, "payload"), "candidates", arr);
		text = json_dumps(root, JSON_COMPACT);
		assert_int_equal(parse(text, &m, &e), -E2BIG);
		free(text);
		json_decref(root);
	}
}

static json_t *resource_with(json_t *filters)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:o}", "id", UUID_R, "type", "cidr", "name", "n",
			 "address", "10.0.0.0/8", "filters", filters);
}

static void test_filters(void **state)
{
	json_t *arr = json_array(), *f;
	struct fzgw_resource *r;
	struct pz_err e;
	json_t *res;

	(void)state;
	/* 1000 distinct single ports: no cap (it was 32 ranges per protocol, 256 entries) */
	for (int i = 0; i < 1000; i++) {
		f = json_pack("{s:s,s:i,s:i}", "protocol", i % 2 ? "udp" : "tcp",
			      "port_range_start", 1000 + 2 * i, "port_range_end", 1000 + 2 * i);
		json_array_append_new(arr, f);
	}
	res = resource_with(arr);
	memset(&e, 0, sizeof(e));
	assert_int_equal(pz_resource_parse(res, "resource", &r, &e), 0);
	assert_int_equal(r->n_filters, 2);
	assert_int_equal(r->filters[0].proto, FZGW_FILTER_TCP);
	assert_int_equal(r->filters[0].n_ranges, 500);
	assert_int_equal(r->filters[1].n_ranges, 500);
	assert_int_equal(r->filters[1].ranges[499].first, 1000 + 2 * 999);
	assert_null(r->pattern);
	free(r);
	json_decref(res);

	arr = json_array();
	json_array_append_new(arr, json_pack("{s:s,s:i,s:i}", "protocol", "tcp", "port_range_start",
					     10, "port_range_end", 20));
	json_array_append_new(arr, json_pack("{s:s,s:i,s:i}", "protocol", "tcp", "port_range_start",
					     21, "port_range_end", 30));
	json_array_append_new(arr, json_pack("{s:s,s:i,s:i}", "protocol", "tcp", "port_range_start",
					     15, "port_range_end", 25));
	json_array_append_new(arr,
			      json_pack("{s:s,s:i}", "protocol", "udp", "port_range_start", 53));
	res = resource_with(arr);
	memset(&e, 0, sizeof(e));
	assert_int_equal(pz_resource_parse(res, "resource", &r, &e), 0);
	assert_int_equal(r->n_filters, 2);
	assert_int_equal(r->filters[0].proto, FZGW_FILTER_TCP);
	assert_int_equal(r->filters[0].n_ranges, 1);
	assert_int_equal(r->filters[0].ranges[0].first, 10);
	assert_int_equal(r->filters[0].ranges[0].last, 30);
	assert_int_equal(r->filters[1].proto, FZGW_FILTER_UDP);
	assert_int_equal(r->filters[1].ranges[0].first, 53);
	assert_int_equal(r->filters[1].ranges[0].last, 65535);
	free(r);
	/* an inverted range after readable entries: the whole resource is refused */
	json_array_append_new(arr, json_pack("{s:s,s:i,s:i}", "protocol", "tcp", "port_range_start",
					     9, "port_range_end", 3));
	memset(&e, 0, sizeof(e));
	assert_int_equal(pz_resource_parse(res, "resource", &r, &e), -EINVAL);
	assert_null(r);
	assert_string_equal(e.field, "resource.filters[4].port_range_end");
	json_decref(res);
}

/* An init of 50,000 authorizations (about 5.6 MB): over the old 1 MiB, parsed whole. */
static void test_big_init(void **state)
{
	json_t *root = json_loads(init_msg, 0, NULL), *arr = json_array();
	struct pz_msg m;
	struct pz_err e;
	char *text;

	(void)state;
	for (int i = 0; i < 50000; i++) {
		char c[PZ_UUID_SIZE];

		snprintf(c, sizeof(c), "%08x-0000-4000-8000-000000000000", i);
		json_array_append_new(arr, json_pack("{s:s,s:s,s:i}", "client_id", c,
						     "resource_id", UUID_R, "expires_at", 1 + i));
	}
	json_object_set_new(json_object_get(root, "payload"), "authorizations", arr);
	text = json_dumps(root, JSON_COMPACT);
	assert_true(strlen(text) > 5000000);
	assert_int_equal(parse(text, &m, &e), 0);
	assert_int_equal(m.u.init.n_auths, 50000);
	assert_int_equal(m.u.init.auths[49999].expires_at, 50000);
	pz_msg_clear(&m);
	free(text);
	json_decref(root);
}

static void test_dns_patterns(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(pz_dns_pattern_parse("*.B\xc3\xbc" "CHER.Example", out, sizeof(out)), 0);
	assert_string_equal(out, "*.b\xc3\xbc" "cher.example"); /* ASCII lowered, the rest kept */
	assert_int_equal(pz_dns_pattern_parse("\xe4\xbe\x8b\xe3\x81\x88.jp", out, sizeof(out)), 0);
	assert_int_equal(pz_dns_pattern_parse("a\xc2\x85", out, sizeof(out)), -EINVAL); /* C1 */
	assert_int_equal(pz_dns_pattern_parse("a\xc3", out, sizeof(out)), -EINVAL); /* cut */
	assert_int_equal(pz_dns_pattern_parse("a\xc3(", out, sizeof(out)), -EINVAL);
	assert_int_equal(pz_dns_pattern_parse("a\xff", out, sizeof(out)), -EINVAL);
	assert_int_equal(pz_dns_pattern_parse("a b", out, sizeof(out)), -EINVAL);
	/* 253 characters (not bytes), as the portal counts them */
	{
		char in[2 * 254 + 1], big[sizeof(in)];

		for (int i = 0; i < 254; i++)
			memcpy(in + 2 * i, "\xc3\xbc", 2);
		in[2 * 254] = '\0';
		assert_int_equal(pz_dns_pattern_parse(in, big, sizeof(big)), -EINVAL);
		in[2 * 253] = '\0';
		assert_int_equal(pz_dns_pattern_parse(in, big, sizeof(big)), 0);
	}
}

static void test_values(void **state)
{
	char id[PZ_UUID_SIZE], sa[64];
	uint8_t key[32];
	struct fzgw_addr a;
	uint8_t plen;

	(void)state;
	assert_int_equal(pz_uuid_parse("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", id), 0);
	assert_string_equal(id, "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
	assert_int_equal(pz_uuid_parse("urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8", id), 0);
	assert_int_equal(pz_uuid_parse("6ba7b8109dad11d180b400c04fd430c8", id), 0);
	assert_string_equal(id, "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
	assert_int_equal(pz_uuid_parse("6ba7b810-9dad-11d1-80b4_00c04fd430c8", id), -EINVAL);
	assert_int_equal(pz_uuid_parse("{6ba7b810-9dad-11d1-80b4-00c04fd430c8", id), -EINVAL);
	assert_int_equal(pz_uuid_parse("", id), -EINVAL);
	assert_int_equal(pz_key_parse(KEY_PUB, key), 0);
	assert_int_equal(pz_key_parse(" " KEY_PUB, key), -EINVAL);
	assert_int_equal(pz_cidr_parse("::/0", &a, &plen), 0);
	assert_int_equal(plen, 0);
	assert_int_equal(pz_cidr_parse("10.0.0.0/08", &a, &plen), 0);
	assert_int_equal(pz_cidr_parse("10.0.0.0/", &a, &plen), -EINVAL);
	assert_int_equal(pz_cidr_parse("10.0.0.0/-1", &a, &plen), -EINVAL);
	assert_int_equal(pz_sockaddr_parse("[2001:DB8:0::1]:3478", sa, sizeof(sa)), 0);
	assert_string_equal(sa, "[2001:db8::1]:3478");
	assert_int_equal(pz_sockaddr_parse("1.2.3.4:", sa, sizeof(sa)), -EINVAL);
	assert_int_equal(pz_sockaddr_parse("1.2.3.4:+5", sa, sizeof(sa)), -EINVAL);
	assert_int_equal(pz_sockaddr_parse("[1.2.3.4]:5", sa, sizeof(sa)), -EINVAL);
	assert_int_equal(pz_addr_parse("::ffff:1.2.3.4", 6, &a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_other_events),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_big_init),
		cmocka_unit_test(test_dns_patterns),
		cmocka_unit_test(test_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
