/* SPDX-License-Identifier: Apache-2.0 */
/* The portal module's settings: defaults, the config file, then the environment (which wins). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portal.h"

#define STR(field) FZGW_KEY_STRING, false, offsetof(struct pz_conf, field), \
	sizeof(((struct pz_conf *)0)->field), 0, 0

static const struct fzgw_key keys[] = {
	{ "api_url", STR(api_url) },
	{ "ca_file", STR(ca_file) },
	{ "id", STR(id) },
	{ "name", STR(name) },
	{ "id_file", STR(id_file) },
	{ "machine_id_file", STR(machine_id_file) },
	{ "max_partition_time", STR(max_partition_time) },
	{ "heartbeat_interval", STR(heartbeat_interval) },
	{ "advertised_version", STR(advertised_version) },
	{ "allow_insecure", FZGW_KEY_BOOL, false, offsetof(struct pz_conf, allow_insecure), 0, 0, 0 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

/* The environment variable, when set and not empty, replaces the setting. */
static int env_override(const char *var, char *dst, size_t size)
{
	const char *v = getenv(var);

	if (!v || !*v)
		return 0;
	if (strlen(v) >= size)
		return -E2BIG;
	memcpy(dst, v, strlen(v) + 1);
	return 1;
}

static const struct fzgw_settings *child(const struct fzgw_api *api, const struct fzgw_settings *s,
					 const char *key)
{
	const struct fzgw_settings *c = s ? api->settings_child(s, key) : NULL;

	return c ? c : s;
}

int pz_conf_parse(struct fzgw_ctx *ctx, const struct fzgw_api *api, const struct fzgw_settings *s,
		  struct pz_conf *c)
{
	static const struct {
		const char *env, *key;
		size_t off, size;
	} envs[] = {
		{ "FIREZONE_API_URL", "api_url", offsetof(struct pz_conf, api_url),
		  sizeof(c->api_url) },
		{ "FIREZONE_ID", "id", offsetof(struct pz_conf, id), sizeof(c->id) },
		{ "FIREZONE_NAME", "name", offsetof(struct pz_conf, name), sizeof(c->name) },
		{ "FIREZONE_MAX_PARTITION_TIME", "max_partition_time",
		  offsetof(struct pz_conf, max_partition_time), sizeof(c->max_partition_time) },
	};
	bool from_env[sizeof(envs) / sizeof(envs[0])] = { false };
	int rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->api_url, sizeof(c->api_url), "%s", PZ_DEFAULT_API_URL);
	snprintf(c->id_file, sizeof(c->id_file), "%s", PZ_DEFAULT_ID_FILE);
	snprintf(c->machine_id_file, sizeof(c->machine_id_file), "%s", PZ_DEFAULT_MACHINE_ID);
	snprintf(c->max_partition_time, sizeof(c->max_partition_time), "24h");
	snprintf(c->heartbeat_interval, sizeof(c->heartbeat_interval), "10s");
	snprintf(c->advertised_version, sizeof(c->advertised_version), "%s", PZ_ADVERTISED_VERSION);
	if ((rc = api->settings_parse(ctx, s, keys, c)) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		rc = env_override(envs[i].env, (char *)c + envs[i].off, envs[i].size);
		if (rc < 0)
			return api->settings_error(ctx, s, "%s is longer than %zu bytes",
						   envs[i].env, envs[i].size - 1);
		from_env[i] = rc > 0;
	}
	if (pz_url_parse(c->api_url, &c->url) < 0)
		return api->settings_error(
		    ctx, from_env[0] ? s : child(api, s, "api_url"),
		    "bad portal URL \"%s\"%s (http, https, ws or wss://host[:port][/path])",
		    c->api_url, from_env[0] ? " from FIREZONE_API_URL" : "");
	/* hardening 6: the bearer token is never sent in clear unless a test asks for it */
	if (!c->url.tls && !c->allow_insecure)
		return api->settings_error(
		    ctx, from_env[0] ? s : child(api, s, "api_url"),
		    "refusing portal URL \"%s\"%s: without TLS (ws:// or http://) the token "
		    "travels in clear; use wss:// or https:// (allow_insecure = true is for tests)",
		    c->api_url, from_env[0] ? " from FIREZONE_API_URL" : "");
	if (!c->url.tls)
		api->log(ctx, FZGW_LOG_WARN,
			 "INSECURE: allow_insecure is set and the portal URL has no TLS: the token "
			 "and every message to and from the portal travel in clear (tests only)");
	if (pz_humantime_parse(c->max_partition_time, &c->partition_ms) < 0)
		return api->settings_error(
		    ctx, from_env[3] ? s : child(api, s, "max_partition_time"),
		    "bad duration \"%s\"%s (e.g. \"30s\", \"5m\", \"24h\", \"30d\")",
		    c->max_partition_time, from_env[3] ? " from FIREZONE_MAX_PARTITION_TIME" : "");
	if (pz_humantime_parse(c->heartbeat_interval, &c->heartbeat_ms) < 0 ||
	    c->heartbeat_ms < 100 || c->heartbeat_ms > 3600000)
		return api->settings_error(ctx, child(api, s, "heartbeat_interval"),
					   "bad duration \"%s\" (100ms to 1h)",
					   c->heartbeat_interval);
	if (c->ca_file[0] && access(c->ca_file, R_OK) < 0)
		return api->settings_error(ctx, child(api, s, "ca_file"), "cannot read \"%s\": %s",
					   c->ca_file, strerror(errno));
	if (!c->advertised_version[0])
		return api->settings_error(ctx, child(api, s, "advertised_version"),
					   "empty version");
	for (const char *v = c->advertised_version; *v; v++)
		if ((unsigned char)*v <= ' ' || (unsigned char)*v >= 0x7f || *v == '(' || *v == ')')
			return api->settings_error(ctx, child(api, s, "advertised_version"),
						   "bad version \"%s\"", c->advertised_version);
	return 0;
}
