/* SPDX-License-Identifier: Apache-2.0 */
/* The in-tunnel p2p control messages: parsing what clients send, building what we answer. */
#include "p2p.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>

static const char *const error_names[P2P_ERR_COUNT] = {
	[P2P_OK] = "ok",
	[P2P_ERR_SHORT] = "control-short",
	[P2P_ERR_TOO_BIG] = "control-too-big",
	[P2P_ERR_JSON] = "control-bad-json",
	[P2P_ERR_SCHEMA] = "control-bad-schema",
	[P2P_ERR_RESOURCE] = "control-bad-resource",
	[P2P_ERR_DOMAIN] = "control-bad-domain",
	[P2P_ERR_IP_COUNT] = "control-bad-ip-count",
	[P2P_ERR_IP] = "control-bad-proxy-ip",
};

const char *p2p_error_name(enum p2p_error e)
{
	return (unsigned)e < P2P_ERR_COUNT ? error_names[e] : "?";
}

bool p2p_in_proxy_range(const struct fzgw_addr *a)
{
	static const uint8_t v6[6] = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11 };

	if (a->family == 4)
		return a->bytes[0] == 100 && (a->bytes[1] & 0xe0) == 96; /* 100.96.0.0/11 */
	/* fd00:2021:1111:8000::/107: the first 8 bytes fixed, the next 43 bits zero */
	if (a->family != 6 || memcmp(a->bytes, v6, sizeof(v6)) != 0 || a->bytes[6] != 0x80 ||
	    a->bytes[7] != 0)
		return false;
	for (int i = 8; i < 13; i++)
		if (a->bytes[i])
			return false;
	return (a->bytes[13] & 0xe0) == 0;
}

int p2p_event_type(const uint8_t *payload, size_t len)
{
	return len < P2P_HDR ? -1 : payload[0];
}

static bool id_ok(const char *s, size_t len)
{
	if (!len || len >= P2P_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':'))
			return false;
	}
	return true;
}

static bool parse_ip(const char *s, struct fzgw_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->bytes) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, s, a->bytes) == 1)
		a->family = 6;
	return a->family && p2p_in_proxy_range(a);
}

static enum p2p_error parse_ips(json_t *arr, struct p2p_assigned_ips *out)
{
	size_t n = json_array_size(arr);

	if (!n || n > FZGW_MAX_PROXY_IPS)
		return P2P_ERR_IP_COUNT;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);
		struct fzgw_addr a;

		if (!json_is_string(e) || json_string_length(e) >= INET6_ADDRSTRLEN ||
		    strlen(json_string_value(e)) != json_string_length(e) ||
		    !parse_ip(json_string_value(e), &a))
			return P2P_ERR_IP;
		for (uint8_t k = 0; k < out->n; k++)
			if (out->ips[k].family == a.family &&
			    !memcmp(out->ips[k].bytes, a.bytes, 16))
				return P2P_ERR_IP;
		out->ips[out->n++] = a;
	}
	return P2P_OK;
}

enum p2p_error p2p_parse_assigned_ips(const uint8_t *payload, size_t len,
				      struct p2p_assigned_ips *out)
{
	json_t *root, *res, *dom, *ips;
	enum p2p_error e = P2P_ERR_SCHEMA;
	json_error_t jerr;

	memset(out, 0, sizeof(*out));
	if (len < P2P_HDR)
		return P2P_ERR_SHORT;
	if (len - P2P_HDR > P2P_JSON_MAX)
		return P2P_ERR_TOO_BIG;
	/* strict: one object, no duplicate keys, no NUL in strings, nothing after it */
	root = json_loadb((const char *)payload + P2P_HDR, len - P2P_HDR, JSON_REJECT_DUPLICATES,
			  &jerr);
	if (!root)
		return P2P_ERR_JSON;
	if (!json_is_object(root))
		goto out;
	res = json_object_get(root, "resource");
	dom = json_object_get(root, "domain");
	ips = json_object_get(root, "proxy_ips");
	/* other members are ignored: later clients may add some */
	if (!json_is_string(res) || !json_is_string(dom) || !json_is_array(ips))
		goto out;
	e = P2P_ERR_RESOURCE;
	if (!id_ok(json_string_value(res), json_string_length(res)))
		goto out;
	memcpy(out->resource, json_string_value(res), json_string_length(res) + 1);
	e = P2P_ERR_DOMAIN;
	if (strlen(json_string_value(dom)) != json_string_length(dom) ||
	    dns_name_normalize(json_string_value(dom), out->domain, sizeof(out->domain)) < 0)
		goto out;
	e = parse_ips(ips, out);
out:
	json_decref(root);
	if (e != P2P_OK)
		memset(out, 0, sizeof(*out));
	return e;
}

int p2p_build(uint8_t *buf, size_t cap, uint8_t type, const char *json, size_t json_len)
{
	size_t plen = P2P_HDR + json_len, len = P2P_IPV6_HDR + plen;

	if (len > cap || len > FZGW_IP_MAX_SIZE)
		return -ENOSPC;
	memset(buf, 0, P2P_IPV6_HDR + P2P_HDR); /* :: to ::, hop limit 0, reserved bytes 0 */
	buf[0] = 0x60;
	buf[4] = (uint8_t)(plen >> 8);
	buf[5] = (uint8_t)plen;
	buf[6] = 0xff;
	buf[P2P_IPV6_HDR] = type;
	if (json_len)
		memcpy(buf + P2P_IPV6_HDR + P2P_HDR, json, json_len);
	return (int)len;
}

int p2p_domain_status_json(char *buf, size_t cap, const char *resource, const char *domain,
			   bool active)
{
	json_t *o = json_object();
	size_t n;

	if (!o)
		return -ENOMEM;
	/* jansson keeps insertion order: the original writes resource, domain, status */
	if (json_object_set_new(o, "resource", json_string(resource)) ||
	    json_object_set_new(o, "domain", json_string(domain)) ||
	    json_object_set_new(o, "status", json_string(active ? "Active" : "Inactive"))) {
		json_decref(o);
		return -EINVAL;
	}
	n = json_dumpb(o, buf, cap, JSON_COMPACT);
	json_decref(o);
	if (!n)
		return -EINVAL;
	return n > cap ? -ENOSPC : (int)n;
}
