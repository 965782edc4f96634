/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes what a client controls in the in-tunnel control path: the AssignedIps parser and the
 * name patterns its domain is authorised against. Input byte 0 picks the mode:
 *   even: the rest is a control payload (8-byte header + JSON). Whatever parses must satisfy the
 *         schema's promises, survive a round trip through JSON, and yield a DomainStatus
 *         packet the core parses as a control packet;
 *   odd:  the rest is "PATTERN\0NAME". Matching must not crash or explode, and must agree
 *         with what the pattern means for plain names, "*." apexes and "**." prefixes.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../modules/nat/p2p.h"
#include "ip_parse.h"
#include "fuzz.h"

static void check_parsed(const struct p2p_assigned_ips *a)
{
	char norm[DNS_NAME_MAX + 1], json[P2P_JSON_MAX];
	uint8_t pkt[FZGW_IP_MAX_SIZE], payload[P2P_HDR + P2P_JSON_MAX];
	struct p2p_assigned_ips b;
	struct fzgw_ip v;
	json_t *o, *ips;
	size_t n;
	int len;

	CHECK(a->n >= 1 && a->n <= FZGW_MAX_PROXY_IPS);
	CHECK(a->resource[0] && strlen(a->resource) < P2P_ID_MAX);
	for (uint8_t i = 0; i < a->n; i++) {
		CHECK(p2p_in_proxy_range(&a->ips[i]));
		for (uint8_t k = 0; k < i; k++)
			CHECK(memcmp(&a->ips[i], &a->ips[k], sizeof(a->ips[i])) != 0);
	}
	/* the domain is normalised already: normalising again changes nothing */
	CHECK(dns_name_normalize(a->domain, norm, sizeof(norm)) == 0);
	CHECK(!strcmp(norm, a->domain));
	CHECK(dns_pattern_match(a->domain, a->domain));
	CHECK(dns_pattern_match("**", a->domain));

	/* written back as JSON it parses to the same message */
	CHECK((o = json_object()) && (ips = json_array()));
	for (uint8_t i = 0; i < a->n; i++) {
		char text[INET6_ADDRSTRLEN];

		CHECK(inet_ntop(a->ips[i].family == 4 ? AF_INET : AF_INET6, a->ips[i].bytes, text,
				sizeof(text)));
		json_array_append_new(ips, json_string(text));
	}
	json_object_set_new(o, "resource", json_string(a->resource));
	json_object_set_new(o, "domain", json_string(a->domain));
	json_object_set_new(o, "proxy_ips", ips);
	n = json_dumpb(o, (char *)payload + P2P_HDR, P2P_JSON_MAX, JSON_COMPACT);
	json_decref(o);
	CHECK(n > 0 && n <= P2P_JSON_MAX);
	memset(payload, 0, P2P_HDR);
	CHECK(p2p_parse_assigned_ips(payload, P2P_HDR + n, &b) == P2P_OK);
	CHECK(!memcmp(a, &b, sizeof(b)));

	/* the answer is a control packet */
	len = p2p_domain_status_json(json, sizeof(json), a->resource, a->domain, a->n & 1);
	CHECK(len > 0);
	len = p2p_build(pkt, sizeof(pkt), P2P_DOMAIN_STATUS, json, (size_t)len);
	CHECK(len > 0);
	CHECK(fzgw_ip_parse(&v, pkt, (size_t)len, FZGW_IP_MAX_SIZE) == 0);
	CHECK(v.kind == FZGW_IP_KIND_CONTROL);
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?") != NULL;
}

static bool non_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

static void check_pattern(const char *pat, const char *name)
{
	char np[DNS_NAME_MAX + 8], nn[DNS_NAME_MAX + 1], buf[DNS_NAME_MAX + 8];
	bool m = dns_pattern_match(pat, name);
	bool name_ok = dns_name_normalize(name, nn, sizeof(nn)) == 0;

	CHECK(!m || name_ok); /* only names can match */
	CHECK(!m || !non_ascii(pat)); /* Unicode letters (UTF-8 or not) never match a host name */
	if (!name_ok)
		return;
	CHECK(dns_pattern_match(nn, name)); /* a name is a pattern matching itself */
	CHECK(dns_pattern_match("**", name));
	/* a plain pattern is just a name: case and a trailing dot aside, equality */
	if (!has_glob(pat) && dns_name_normalize(pat, np, sizeof(np)) == 0)
		CHECK(m == !strcmp(np, nn));
	/* "*." covers the apex and one label more; "**." any number of labels (a pattern may
	 * be longer than any name) */
	snprintf(np, sizeof(np), "*.%s", nn);
	CHECK(dns_pattern_match(np, nn));
	snprintf(np, sizeof(np), "**.%s", nn);
	CHECK(dns_pattern_match(np, nn));
	if (strlen(nn) + 2 <= DNS_NAME_MAX) {
		snprintf(buf, sizeof(buf), "x.%s", nn);
		snprintf(np, sizeof(np), "*.%s", nn);
		CHECK(dns_pattern_match(np, buf));
		snprintf(np, sizeof(np), "**.%s", nn);
		CHECK(dns_pattern_match(np, buf));
	}
	CHECK(dns_pattern_cmp(pat, pat) == 0);
	CHECK((dns_pattern_cmp(pat, nn) > 0) == (dns_pattern_cmp(nn, pat) < 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct p2p_assigned_ips a;
	char *text;

	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		(void)p2p_event_type(data + 1, size - 1);
		if (p2p_parse_assigned_ips(data + 1, size - 1, &a) == P2P_OK)
			check_parsed(&a);
		else
			CHECK(a.n == 0);
		return 0;
	}
	if (size > 4096) /* patterns have no length cap: long ones are worth a look */
		return 0;
	/* "PATTERN\0NAME" as two C strings */
	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	text[size] = '\0';
	check_pattern(text, text + strlen(text) + (strlen(text) < size - 1));
	free(text);
	return 0;
}
