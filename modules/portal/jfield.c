/* SPDX-License-Identifier: Apache-2.0 */
/* Typed access to the fields of a parsed JSON message, naming the field in every error. */
#include "jfield.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *pz_path(char *buf, size_t len, const char *path, const char *key)
{
	bool p = path && *path, k = key && *key;

	snprintf(buf, len, "%s%s%s", p ? path : "", p && k ? "." : "", k ? key : "");
	return buf;
}

int pz_err_set(struct pz_err *e, const char *path, const char *key, const char *why)
{
	if (e && !e->why) {
		pz_path(e->field, sizeof(e->field), path, key);
		e->why = why;
	}
	return -EINVAL;
}

/* The member, or NULL when absent or null and @flags allow that; -EINVAL otherwise. */
static int member(json_t *obj, const char *key, const char *path, int flags, json_t **out,
		  struct pz_err *e)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v) {
		if (flags & PZ_OPT)
			return 0;
		return pz_err_set(e, path, key, "missing");
	}
	if (json_is_null(v)) {
		if (flags & PZ_NULLABLE)
			return 0;
		return pz_err_set(e, path, key, "null");
	}
	*out = v;
	return 0;
}

int pz_j_object(json_t *obj, const char *key, const char *path, int flags, json_t **out,
		struct pz_err *e)
{
	if (member(obj, key, path, flags, out, e) < 0)
		return -EINVAL;
	if (*out && !json_is_object(*out))
		return pz_err_set(e, path, key, "not an object");
	return 0;
}

int pz_j_array(json_t *obj, const char *key, const char *path, int flags, json_t **out,
	       struct pz_err *e)
{
	if (member(obj, key, path, flags, out, e) < 0)
		return -EINVAL;
	if (*out && !json_is_array(*out))
		return pz_err_set(e, path, key, "not an array");
	return 0;
}

int pz_j_string(json_t *obj, const char *key, const char *path, int flags, size_t max_len,
		const char **out, struct pz_err *e)
{
	json_t *v;

	*out = NULL;
	if (member(obj, key, path, flags, &v, e) < 0)
		return -EINVAL;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return pz_err_set(e, path, key, "not a string");
	if (json_string_length(v) > max_len)
		return pz_err_set(e, path, key, "too long");
	*out = json_string_value(v);
	return 0;
}

int pz_j_copy(json_t *obj, const char *key, const char *path, int flags, char *buf, size_t size,
	      struct pz_err *e)
{
	const char *s;

	if (pz_j_string(obj, key, path, flags, size - 1, &s, e) < 0)
		return -EINVAL;
	if (s)
		memcpy(buf, s, strlen(s) + 1);
	return 0;
}

int pz_j_int(json_t *obj, const char *key, const char *path, int flags, int64_t min, int64_t max,
	     bool *present, int64_t *out, struct pz_err *e)
{
	json_t *v;
	json_int_t n;

	if (present)
		*present = false;
	if (member(obj, key, path, flags, &v, e) < 0)
		return -EINVAL;
	if (!v)
		return 0;
	if (!json_is_integer(v))
		return pz_err_set(e, path, key, "not an integer");
	n = json_integer_value(v);
	if (n < min || n > max)
		return pz_err_set(e, path, key, "out of range");
	*out = (int64_t)n;
	if (present)
		*present = true;
	return 0;
}

int pz_j_bool(json_t *obj, const char *key, const char *path, int flags, bool *out,
	      struct pz_err *e)
{
	json_t *v;

	if (member(obj, key, path, flags, &v, e) < 0)
		return -EINVAL;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return pz_err_set(e, path, key, "not a boolean");
	*out = json_is_true(v);
	return 0;
}

int pz_j_uuid(json_t *obj, const char *key, const char *path, char out[PZ_UUID_SIZE],
	      struct pz_err *e)
{
	const char *s;

	if (pz_j_string(obj, key, path, PZ_REQ, 64, &s, e) < 0)
		return -EINVAL;
	if (pz_uuid_parse(s, out) < 0)
		return pz_err_set(e, path, key, "not a UUID");
	return 0;
}

int pz_j_key(json_t *obj, const char *key, const char *path, uint8_t out[32], struct pz_err *e)
{
	const char *s;

	if (pz_j_string(obj, key, path, PZ_REQ, 64, &s, e) < 0)
		return -EINVAL;
	if (pz_key_parse(s, out) < 0)
		return pz_err_set(e, path, key, "not base64 of 32 bytes");
	return 0;
}

int pz_j_addr(json_t *obj, const char *key, const char *path, int family, struct fzgw_addr *out,
	      struct pz_err *e)
{
	const char *s;

	if (pz_j_string(obj, key, path, PZ_REQ, 64, &s, e) < 0)
		return -EINVAL;
	if (pz_addr_parse(s, family, out) < 0)
		return pz_err_set(e, path, key,
				  family == 4 ? "not an IPv4 address" : "not an IPv6 address");
	return 0;
}
