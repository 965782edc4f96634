/* SPDX-License-Identifier: Apache-2.0 */
/* Key tables over libconfig groups: typed reads, unknown keys refused, FILE:LINE errors. */
#include "settings.h"

#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fzgw_settings_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *chain[32];
	int n = 0;
	size_t used = 0;

	buf[0] = '\0';
	for (; s && n < 32; s = config_setting_parent(s)) {
		if (!config_setting_parent(s))
			break; /* the root has no name */
		chain[n++] = s;
	}
	while (n-- > 0) {
		const char *name = config_setting_name(chain[n]);
		int w;

		if (name)
			w = snprintf(buf + used, len - used, "%s%s", used ? "." : "", name);
		else
			w = snprintf(buf + used, len - used, "[%d]", config_setting_index(chain[n]));
		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
}

int fzgw_settings_verrf(const config_setting_t *s, char *err, size_t errlen, const char *fmt,
			va_list ap)
{
	char msg[384], path[192];
	const char *file = s ? config_setting_source_file(s) : NULL;
	unsigned line = s ? config_setting_source_line(s) : 0;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (s && !line)
		line = 1; /* the root group: point at the file's start */
	if (s)
		fzgw_settings_path(s, path, sizeof(path));
	else
		path[0] = '\0';
	if (path[0])
		snprintf(err, errlen, "%s:%u: %s (key \"%s\")", file ? file : "?", line, msg, path);
	else
		snprintf(err, errlen, "%s:%u: %s", file ? file : "?", line, msg);
	/* quoted values come from the file: keep the error one line, whatever they hold */
	for (char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return -EINVAL;
}

int fzgw_settings_errf(const config_setting_t *s, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = fzgw_settings_verrf(s, err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static const char *type_name(int t)
{
	switch (t) {
	case FZGW_KEY_INT: return "an integer";
	case FZGW_KEY_BOOL: return "a boolean (true/false)";
	case FZGW_KEY_STRING: return "a string";
	case FZGW_KEY_FLOAT: return "a number";
	case FZGW_KEY_GROUP: return "a group { ... }";
	case FZGW_KEY_LIST: return "a list ( ... ) or array [ ... ]";
	default: return "?";
	}
}

static int read_one(const config_setting_t *cs, const struct fzgw_key *k, void *out, char *err,
		    size_t errlen)
{
	int t = config_setting_type(cs);
	/* tables of only groups and lists are read with no output at all */
	char *dst = out ? (char *)out + k->offset : NULL;

	if (!dst && k->type != FZGW_KEY_GROUP && k->type != FZGW_KEY_LIST)
		return fzgw_settings_errf(cs, err, errlen, "bad key table: no output for a value");

	switch (k->type) {
	case FZGW_KEY_INT: {
		long long v;

		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
			break;
		v = config_setting_get_int64(cs);
		if (k->min < k->max && (v < k->min || v > k->max))
			return fzgw_settings_errf(cs, err, errlen, "value %lld out of range %lld..%lld",
						  v, (long long)k->min, (long long)k->max);
		*(int64_t *)(void *)dst = v;
		return 0;
	}
	case FZGW_KEY_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			break;
		*(bool *)(void *)dst = config_setting_get_bool(cs);
		return 0;
	case FZGW_KEY_FLOAT:
		if (t == CONFIG_TYPE_FLOAT)
			*(double *)(void *)dst = config_setting_get_float(cs);
		else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
			*(double *)(void *)dst = (double)config_setting_get_int64(cs);
		else
			break;
		return 0;
	case FZGW_KEY_STRING: {
		const char *v;

		if (t != CONFIG_TYPE_STRING)
			break;
		v = config_setting_get_string(cs);
		if (strlen(v) >= k->size)
			return fzgw_settings_errf(cs, err, errlen, "string longer than %zu bytes",
						  k->size - 1);
		memcpy(dst, v, strlen(v) + 1);
		return 0;
	}
	case FZGW_KEY_GROUP:
		if (t != CONFIG_TYPE_GROUP)
			break;
		return 0;
	case FZGW_KEY_LIST:
		if (t != CONFIG_TYPE_LIST && t != CONFIG_TYPE_ARRAY)
			break;
		return 0;
	default:
		return fzgw_settings_errf(cs, err, errlen, "bad key table entry");
	}
	return fzgw_settings_errf(cs, err, errlen, "wrong type, expected %s", type_name(k->type));
}

int fzgw_settings_parse(const config_setting_t *group, const struct fzgw_key *table, void *out,
			char *err, size_t errlen)
{
	int n, rc;

	if (group && !config_setting_is_group(group))
		return fzgw_settings_errf(group, err, errlen, "wrong type, expected a group { ... }");
	n = group ? config_setting_length(group) : 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *cs = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(cs);
		const struct fzgw_key *k;

		for (k = table; k->type != FZGW_KEY_END; k++)
			if (name && !strcmp(k->name, name))
				break;
		if (k->type == FZGW_KEY_END)
			return fzgw_settings_errf(cs, err, errlen, "unknown key");
		if ((rc = read_one(cs, k, out, err, errlen)) < 0)
			return rc;
	}
	for (const struct fzgw_key *k = table; k->type != FZGW_KEY_END; k++) {
		if (!k->required)
			continue;
		if (!group || !config_setting_get_member(group, k->name)) {
			char msg[96];

			snprintf(msg, sizeof(msg), "missing required key \"%s\"", k->name);
			return fzgw_settings_errf(group, err, errlen, "%s", msg);
		}
	}
	return 0;
}

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_put(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 256) + n;
		char *p = malloc(cap);

		if (!p) {
			b->oom = true;
			return;
		}
		/* the text holds secrets (preshared keys): no copy is left behind unwiped */
		if (b->p) {
			memcpy(p, b->p, b->len + 1);
			sodium_memzero(b->p, b->cap);
			free(b->p);
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

static void to_text(struct sbuf *b, const config_setting_t *s)
{
	char num[64];
	const char *name = config_setting_name(s);

	if (name) {
		sb_put(b, name);
		sb_put(b, "=");
	}
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		snprintf(num, sizeof(num), "%lld", config_setting_get_int64(s));
		sb_put(b, num);
		break;
	case CONFIG_TYPE_FLOAT:
		snprintf(num, sizeof(num), "%.17g", config_setting_get_float(s));
		sb_put(b, num);
		break;
	case CONFIG_TYPE_BOOL:
		sb_put(b, config_setting_get_bool(s) ? "true" : "false");
		break;
	case CONFIG_TYPE_STRING:
		sb_put(b, "\"");
		sb_put(b, config_setting_get_string(s));
		sb_put(b, "\"");
		break;
	default: {
		int n = config_setting_length(s);

		sb_put(b, config_setting_is_group(s) ? "{" : "(");
		for (int i = 0; i < n; i++) {
			to_text(b, config_setting_get_elem(s, (unsigned)i));
			sb_put(b, ";");
		}
		sb_put(b, config_setting_is_group(s) ? "}" : ")");
	}
	}
}

char *fzgw_settings_to_text(const config_setting_t *s)
{
	unsigned char h[crypto_generichash_BYTES];
	struct sbuf b = { 0 };
	char *hex = NULL;

	sb_put(&b, "");
	if (s)
		to_text(&b, s);
	if (!b.oom && (hex = malloc(2 * sizeof(h) + 1))) {
		crypto_generichash(h, sizeof(h), (const unsigned char *)b.p, b.len, NULL, 0);
		sodium_bin2hex(hex, 2 * sizeof(h) + 1, h, sizeof(h));
	}
	if (b.p) {
		sodium_memzero(b.p, b.cap);
		free(b.p);
	}
	return hex;
}

/* Key names whose string values are secrets, wherever they sit in module settings. */
static bool secret_name(const char *name)
{
	static const char *const names[] = { "preshared_key", "private_key", "psk", "token" };

	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

void fzgw_settings_wipe_secrets(const config_setting_t *s)
{
	if (!s)
		return;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);

		/* libconfig's own heap copy: overwritten in place, the length kept */
		if (v && secret_name(config_setting_name(s)))
			memset((char *)(uintptr_t)v, '*', strlen(v));
		return;
	}
	if (config_setting_is_aggregate(s))
		for (int i = 0, n = config_setting_length(s); i < n; i++)
			fzgw_settings_wipe_secrets(config_setting_get_elem(s, (unsigned)i));
}
