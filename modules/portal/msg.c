/* SPDX-License-Identifier: Apache-2.0 */
/* Portal -> gateway messages: the Phoenix envelope and each event, parsed and validated. */
#include "msg.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define I64_MAX INT64_MAX

static const char *const event_names[PZ_EV_COUNT] = {
	[PZ_EV_UNKNOWN] = "unknown",
	[PZ_EV_INIT] = "init",
	[PZ_EV_CREATE_AUTHORIZATION] = "create_authorization",
	[PZ_EV_AUTHORIZE_FLOW] = "authorize_flow",
	[PZ_EV_ICE_CANDIDATES] = "ice_candidates",
	[PZ_EV_INVALIDATE_ICE_CANDIDATES] = "invalidate_ice_candidates",
	[PZ_EV_REJECT_ACCESS] = "reject_access",
	[PZ_EV_RELAYS_PRESENCE] = "relays_presence",
	[PZ_EV_RESOURCE_UPDATED] = "resource_updated",
	[PZ_EV_EXPIRY_UPDATED] = "access_authorization_expiry_updated",
	[PZ_EV_CONFIGURE_METRICS] = "configure_metrics",
	[PZ_EV_DISCONNECT] = "disconnect",
	[PZ_EV_REPLY] = "phx_reply",
	[PZ_EV_PHX_ERROR] = "phx_error",
	[PZ_EV_PHX_CLOSE] = "phx_close",
};

const char *pz_event_name(enum pz_event ev)
{
	return ev > PZ_EV_UNKNOWN && ev < PZ_EV_COUNT ? event_names[ev] : "unknown";
}

static enum pz_event event_of(const char *name)
{
	for (int i = PZ_EV_UNKNOWN + 1; i < PZ_EV_COUNT; i++)
		if (!strcmp(name, event_names[i]))
			return (enum pz_event)i;
	return PZ_EV_UNKNOWN;
}

/* ------------------------------------------------------------ parts */

static int parse_relay(json_t *r, const char *path, struct pz_relay *out, struct pz_err *e)
{
	const char *type, *addr;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(r))
		return pz_err_set(e, path, NULL, "not an object");
	if (pz_j_string(r, "type", path, PZ_REQ, 16, &type, e) < 0 ||
	    pz_j_uuid(r, "id", path, out->id, e) < 0 ||
	    pz_j_string(r, "addr", path, PZ_REQ, 64, &addr, e) < 0)
		return -EINVAL;
	if (pz_sockaddr_parse(addr, out->addr, sizeof(out->addr)) < 0)
		return pz_err_set(e, path, "addr", "not IP:PORT");
	if (!strcmp(type, "stun"))
		return 0;
	if (strcmp(type, "turn"))
		return pz_err_set(e, path, "type", "neither turn nor stun");
	out->turn = true;
	if (pz_j_copy(r, "username", path, PZ_REQ, out->username, sizeof(out->username), e) < 0 ||
	    pz_j_copy(r, "password", path, PZ_REQ, out->password, sizeof(out->password), e) < 0 ||
	    pz_j_int(r, "expires_at", path, PZ_REQ, INT64_MIN, I64_MAX, NULL, &out->expires_at,
		     e) < 0)
		return -EINVAL;
	return 0;
}

/* An array of relays at @arr (may be NULL: none). */
static int parse_relays(json_t *arr, const char *path, struct pz_relay **out, size_t *n,
			struct pz_err *e)
{
	char p[64];
	json_t *r;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!arr || !json_array_size(arr))
		return 0;
	if (json_array_size(arr) > PZ_MAX_RELAYS) {
		pz_err_set(e, path, NULL, "more than 64 relays");
		return -E2BIG;
	}
	if (!(*out = calloc(json_array_size(arr), sizeof(**out))))
		return -ENOMEM;
	/* all of them, so that clearing wipes a half-read entry's password too */
	*n = json_array_size(arr);
	json_array_foreach(arr, i, r) {
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (parse_relay(r, p, &(*out)[i], e) < 0)
			return -EINVAL; /* the caller clears */
	}
	return 0;
}

static int parse_auth(json_t *a, const char *path, struct pz_auth *out, bool need_expiry,
		      struct pz_err *e)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(a))
		return pz_err_set(e, path, NULL, "not an object");
	if (pz_j_uuid(a, "client_id", path, out->client_id, e) < 0 ||
	    pz_j_uuid(a, "resource_id", path, out->resource_id, e) < 0)
		return -EINVAL;
	if (need_expiry &&
	    pz_j_int(a, "expires_at", path, PZ_REQ, 0, I64_MAX, NULL, &out->expires_at, e) < 0)
		return -EINVAL;
	return 0;
}

static int parse_ice_creds(json_t *obj, const char *key, struct pz_ice_creds *out,
			   struct pz_err *e)
{
	json_t *c;

	if (pz_j_object(obj, key, NULL, PZ_REQ, &c, e) < 0 ||
	    pz_j_copy(c, "username", key, PZ_REQ, out->username, sizeof(out->username), e) < 0 ||
	    pz_j_copy(c, "password", key, PZ_REQ, out->password, sizeof(out->password), e) < 0)
		return -EINVAL;
	return 0;
}

/* What an ICE candidate string must look like to be passed on: printable, bounded. */
static bool candidate_ok(json_t *c)
{
	const char *s;
	size_t len;

	if (!json_is_string(c))
		return false;
	s = json_string_value(c);
	len = json_string_length(c);
	if (!len || len > PZ_MAX_CANDIDATE_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* ------------------------------------------------------------ events */

static int parse_init(json_t *p, struct pz_init *out, struct pz_err *e)
{
	json_t *iface, *config, *relays, *auths, *flow, *a;
	const char *s;
	bool b;
	int64_t v;
	size_t i;
	int rc;

	if (pz_j_object(p, "interface", NULL, PZ_REQ, &iface, e) < 0 ||
	    pz_j_addr(iface, "ipv4", "interface", 4, &out->ipv4, e) < 0 ||
	    pz_j_addr(iface, "ipv6", "interface", 6, &out->ipv6, e) < 0 ||
	    pz_j_object(p, "config", NULL, PZ_REQ, &config, e) < 0 ||
	    pz_j_bool(config, "ipv4_masquerade_enabled", "config", PZ_REQ, &b, e) < 0 ||
	    pz_j_bool(config, "ipv6_masquerade_enabled", "config", PZ_REQ, &b, e) < 0 ||
	    pz_j_object(p, "flow_logs", NULL, PZ_REQ, &flow, e) < 0 ||
	    pz_j_string(flow, "api_url", "flow_logs", PZ_REQ, 4096, &s, e) < 0 ||
	    pz_j_int(flow, "upload_interval_secs", "flow_logs", PZ_REQ, 0, I64_MAX, NULL, &v,
		     e) < 0 ||
	    pz_j_int(flow, "upload_batch_size", "flow_logs", PZ_REQ, 0, I64_MAX, NULL, &v, e) < 0 ||
	    pz_j_string(p, "account_slug", NULL, PZ_OPT | PZ_NULLABLE, PZ_NAME_MAX - 1, &s,
			e) < 0 ||
	    pz_j_array(p, "relays", NULL, PZ_OPT, &relays, e) < 0 ||
	    pz_j_array(p, "authorizations", NULL, PZ_OPT, &auths, e) < 0)
		return -EINVAL;
	if (s) {
		out->has_slug = true;
		memcpy(out->account_slug, s, strlen(s) + 1);
	}
	if ((rc = parse_relays(relays, "relays", &out->relays, &out->n_relays, e)) < 0)
		return rc;
	if (!auths || !json_array_size(auths))
		return 0;
	if (!(out->auths = calloc(json_array_size(auths), sizeof(*out->auths))))
		return -ENOMEM;
	json_array_foreach(auths, i, a) {
		char path[48];

		snprintf(path, sizeof(path), "authorizations[%zu]", i);
		if (parse_auth(a, path, &out->auths[i], true, e) < 0)
			return -EINVAL;
		out->n_auths++;
	}
	return 0;
}

static int parse_create(json_t *p, bool v1, struct pz_create *out, struct pz_err *e)
{
	json_t *client, *res;
	const char *ref, *token;
	bool has_exp = false;
	int rc;

	if (pz_j_string(p, "ref", NULL, PZ_REQ, PZ_MAX_REF_LEN, &ref, e) < 0 ||
	    pz_j_object(p, "client", NULL, PZ_REQ, &client, e) < 0 ||
	    pz_j_uuid(client, "id", "client", out->client_id, e) < 0 ||
	    pz_j_key(client, "public_key", "client", out->public_key, e) < 0 ||
	    pz_j_key(client, "preshared_key", "client", out->preshared_key, e) < 0 ||
	    pz_j_addr(client, "ipv4", "client", 4, &out->ipv4, e) < 0 ||
	    pz_j_addr(client, "ipv6", "client", 6, &out->ipv6, e) < 0 ||
	    pz_j_object(p, "resource", NULL, PZ_REQ, &res, e) < 0)
		return -EINVAL;
	if ((rc = pz_resource_parse(res, "resource", &out->resource, e)) < 0)
		return rc;
	if (parse_ice_creds(p, "gateway_ice_credentials", &out->gateway_ice, e) < 0 ||
	    parse_ice_creds(p, "client_ice_credentials", &out->client_ice, e) < 0 ||
	    pz_j_int(p, "expires_at", NULL, PZ_OPT | PZ_NULLABLE, 0, I64_MAX, &has_exp,
		     &out->expires_at, e) < 0 ||
	    pz_j_bool(p, "use_iceless", NULL, PZ_OPT, &out->use_iceless, e) < 0 ||
	    pz_j_string(p, "flow_logs_ingest_token", NULL, v1 ? PZ_OPT | PZ_NULLABLE : PZ_REQ,
			PZ_MAX_REF_LEN, &token, e) < 0)
		return -EINVAL;
	if (!has_exp)
		out->expires_at = 0;
	if (!(out->ref = strdup(ref)))
		return -ENOMEM;
	return 0;
}

static int parse_ice(json_t *p, struct pz_ice *out, struct pz_err *e)
{
	json_t *arr, *c;
	size_t i;

	if (pz_j_uuid(p, "client_id", NULL, out->client_id, e) < 0 ||
	    pz_j_array(p, "candidates", NULL, PZ_REQ, &arr, e) < 0)
		return -EINVAL;
	if (json_array_size(arr) > PZ_MAX_CANDIDATES) {
		pz_err_set(e, "candidates", NULL, "more than 64 entries");
		return -E2BIG;
	}
	if (!json_array_size(arr))
		return 0;
	if (!(out->candidates = calloc(json_array_size(arr), sizeof(char *))))
		return -ENOMEM;
	json_array_foreach(arr, i, c) {
		/* the original skips the entries it cannot read, one by one */
		if (!candidate_ok(c)) {
			out->skipped++;
			continue;
		}
		if (!(out->candidates[out->n] = strdup(json_string_value(c))))
			return -ENOMEM;
		out->n++;
	}
	return 0;
}

static int parse_presence(json_t *p, struct pz_presence *out, struct pz_err *e)
{
	json_t *gone, *conn, *g;
	size_t i;
	int rc;

	if (pz_j_array(p, "disconnected_ids", NULL, PZ_REQ, &gone, e) < 0 ||
	    pz_j_array(p, "connected", NULL, PZ_REQ, &conn, e) < 0)
		return -EINVAL;
	if ((rc = parse_relays(conn, "connected", &out->relays, &out->n_relays, e)) < 0)
		return rc;
	if (json_array_size(gone) > PZ_MAX_RELAYS) {
		pz_err_set(e, "disconnected_ids", NULL, "more than 64 entries");
		return -E2BIG;
	}
	if (!json_array_size(gone))
		return 0;
	if (!(out->gone = calloc(json_array_size(gone), sizeof(*out->gone))))
		return -ENOMEM;
	json_array_foreach(gone, i, g) {
		if (!json_is_string(g) || pz_uuid_parse(json_string_value(g), out->gone[i]) < 0) {
			char path[40];

			snprintf(path, sizeof(path), "disconnected_ids[%zu]", i);
			return pz_err_set(e, path, NULL, "not a UUID");
		}
		out->n_gone++;
	}
	return 0;
}

static int parse_reply(json_t *p, struct pz_reply *out, struct pz_err *e)
{
	const char *status, *reason;
	json_t *resp;

	if (pz_j_string(p, "status", NULL, PZ_REQ, 16, &status, e) < 0 ||
	    pz_j_object(p, "response", NULL, PZ_OPT, &resp, e) < 0)
		return -EINVAL;
	if (!json_object_get(p, "response"))
		return pz_err_set(e, "response", NULL, "missing");
	if (!strcmp(status, "ok")) {
		out->ok = true;
		out->empty = resp && !json_object_size(resp);
		return 0;
	}
	if (strcmp(status, "error"))
		return pz_err_set(e, "status", NULL, "neither ok nor error");
	if (!resp)
		return pz_err_set(e, "response", NULL, "not an object");
	if (pz_j_string(resp, "reason", "response", PZ_REQ, 4096, &reason, e) < 0)
		return -EINVAL;
	snprintf(out->reason, sizeof(out->reason), "%s", reason);
	return 0;
}

/* The envelope's ref: null/missing, a number, or a string (of digits when it is ours). */
static int parse_ref(json_t *root, struct pz_ref *out, struct pz_err *e)
{
	json_t *r = json_object_get(root, "ref");

	memset(out, 0, sizeof(*out));
	if (!r || json_is_null(r))
		return 0;
	out->present = true;
	if (json_is_integer(r)) {
		if (json_integer_value(r) >= 0) {
			out->numeric = true;
			out->n = (uint64_t)json_integer_value(r);
		}
		return 0;
	}
	if (!json_is_string(r))
		return pz_err_set(e, "ref", NULL, "neither a number nor a string");
	{
		const char *s = json_string_value(r);
		size_t len = json_string_length(r);
		uint64_t n = 0;

		if (!len || len > 19)
			return 0;
		for (size_t i = 0; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return 0;
			n = n * 10 + (uint64_t)(s[i] - '0');
		}
		out->numeric = true;
		out->n = n;
	}
	return 0;
}

static int parse_payload(struct pz_msg *m, json_t *p, struct pz_err *e)
{
	bool needs_object = m->event != PZ_EV_UNKNOWN;

	if (needs_object && !json_is_object(p))
		return pz_err_set(e, "payload", NULL, "not an object");
	switch (m->event) {
	case PZ_EV_INIT:
		return parse_init(p, &m->u.init, e);
	case PZ_EV_CREATE_AUTHORIZATION:
	case PZ_EV_AUTHORIZE_FLOW:
		return parse_create(p, m->event == PZ_EV_AUTHORIZE_FLOW, &m->u.create, e);
	case PZ_EV_ICE_CANDIDATES:
	case PZ_EV_INVALIDATE_ICE_CANDIDATES:
		return parse_ice(p, &m->u.ice, e);
	case PZ_EV_REJECT_ACCESS:
		return parse_auth(p, NULL, &m->u.reject, false, e);
	case PZ_EV_RELAYS_PRESENCE:
		return parse_presence(p, &m->u.presence, e);
	case PZ_EV_RESOURCE_UPDATED:
		return pz_resource_parse(p, NULL, &m->u.resource, e);
	case PZ_EV_EXPIRY_UPDATED:
		return parse_auth(p, NULL, &m->u.expiry, true, e);
	case PZ_EV_DISCONNECT:
		if (pz_j_copy(p, "reason", NULL, PZ_REQ, m->u.disconnect_reason,
			      sizeof(m->u.disconnect_reason), e) < 0)
			return -EINVAL;
		if (strcmp(m->u.disconnect_reason, "token_expired"))
			return pz_err_set(e, "reason", NULL, "unknown reason");
		return 0;
	case PZ_EV_REPLY:
		return parse_reply(p, &m->u.reply, e);
	case PZ_EV_CONFIGURE_METRICS:
	case PZ_EV_PHX_ERROR:
	case PZ_EV_PHX_CLOSE:
	case PZ_EV_UNKNOWN:
	case PZ_EV_COUNT:
		break;
	}
	return 0;
}

static void wipe_string(json_t *s)
{
	if (json_is_string(s))
		sodium_memzero((char *)json_string_value(s), json_string_length(s));
}

/* The preshared key's and the ICE passwords' texts are in the tree; they go before it is
 * freed. */
static void wipe_secrets(json_t *root)
{
	json_t *p = json_object_get(root, "payload");

	wipe_string(json_object_get(json_object_get(p, "client"), "preshared_key"));
	wipe_string(json_object_get(json_object_get(p, "gateway_ice_credentials"), "password"));
	wipe_string(json_object_get(json_object_get(p, "client_ice_credentials"), "password"));
}

int pz_msg_parse(const char *text, size_t len, struct pz_msg *out, struct pz_err *e)
{
	json_error_t jerr;
	json_t *root, *payload;
	const char *event;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > PZ_MAX_FRAME) {
		pz_err_set(e, NULL, NULL, "larger than 64 MiB");
		return -E2BIG;
	}
	if (pz_json_depth(text, len) > PZ_MAX_DEPTH) {
		pz_err_set(e, NULL, NULL, "nested deeper than 32 levels");
		return -E2BIG;
	}
	if (!(root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)))
		return pz_err_set(e, NULL, NULL, "not JSON");
	rc = -EINVAL;
	if (!json_is_object(root)) {
		pz_err_set(e, NULL, NULL, "not an object");
		goto out;
	}
	if (pz_j_copy(root, "topic", NULL, PZ_REQ, out->topic, sizeof(out->topic), e) < 0 ||
	    pz_j_string(root, "event", NULL, PZ_REQ, 4096, &event, e) < 0 ||
	    parse_ref(root, &out->ref, e) < 0)
		goto out;
	snprintf(out->name, sizeof(out->name), "%s", event);
	out->event = event_of(event);
	if (!(payload = json_object_get(root, "payload"))) {
		pz_err_set(e, "payload", NULL, "missing");
		goto out;
	}
	rc = parse_payload(out, payload, e);
out:
	wipe_secrets(root);
	json_decref(root);
	if (rc < 0) {
		char name[sizeof(out->name)];

		/* the event's name stays, for the caller's log line */
		memcpy(name, out->name, sizeof(name));
		pz_msg_clear(out);
		memcpy(out->name, name, sizeof(name));
	}
	return rc;
}

static void free_relays(struct pz_relay *r, size_t n)
{
	if (r) {
		sodium_memzero(r, n * sizeof(*r)); /* TURN passwords */
		free(r);
	}
}

void pz_msg_clear(struct pz_msg *m)
{
	switch (m->event) {
	case PZ_EV_INIT:
		free_relays(m->u.init.relays, m->u.init.n_relays);
		free(m->u.init.auths);
		break;
	case PZ_EV_CREATE_AUTHORIZATION:
	case PZ_EV_AUTHORIZE_FLOW:
		free(m->u.create.ref);
		free(m->u.create.resource);
		/* the ICE passwords are wiped with the message below */
		break;
	case PZ_EV_RESOURCE_UPDATED:
		free(m->u.resource);
		break;
	case PZ_EV_ICE_CANDIDATES:
	case PZ_EV_INVALIDATE_ICE_CANDIDATES:
		for (size_t i = 0; i < m->u.ice.n; i++)
			free(m->u.ice.candidates[i]);
		free(m->u.ice.candidates);
		break;
	case PZ_EV_RELAYS_PRESENCE:
		free_relays(m->u.presence.relays, m->u.presence.n_relays);
		free(m->u.presence.gone);
		break;
	default:
		break;
	}
	sodium_memzero(m, sizeof(*m));
}
