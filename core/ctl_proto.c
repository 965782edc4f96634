/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket's request line: parsed strictly (hostile input gets a reason, no crash). */
#include "ctl_proto.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -EINVAL;
}

static int get_uint(json_t *v, uint64_t min, uint64_t max, uint64_t *out)
{
	json_int_t i;

	if (!json_is_integer(v))
		return -EINVAL;
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i < min || (uint64_t)i > max)
		return -EINVAL;
	*out = (uint64_t)i;
	return 0;
}

static bool client_id_ok(const char *s, size_t n)
{
	if (n >= sizeof(((struct fzgw_ctl_req *)0)->client_id))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || s[i] == 0x7f)
			return false;
	return true;
}

int fzgw_ctl_parse_request(const char *buf, size_t len, struct fzgw_ctl_req *out, char *err,
			   size_t errlen)
{
	json_error_t jerr;
	json_t *root, *v;
	const char *key, *cmd;
	uint64_t u;
	int rc = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (len && buf[len - 1] == '\n')
		len--;
	if (len >= FZGW_CTL_MAX_REQUEST)
		return fail(err, errlen, "request too long");
	if (!(root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)))
		return fail(err, errlen, "request is not JSON");
	if (!json_is_object(root)) {
		fail(err, errlen, "request is not a JSON object");
		goto out;
	}
	v = json_object_get(root, "v");
	if (!v || get_uint(v, 0, UINT32_MAX, &u) < 0) {
		fail(err, errlen, "request has no protocol version \"v\"");
		goto out;
	}
	if (u != FZGW_CTL_VERSION) {
		snprintf(err, errlen, "protocol version %" PRIu64 " not supported (this gateway speaks %d)",
			 u, FZGW_CTL_VERSION);
		goto out;
	}
	if (!json_is_string(v = json_object_get(root, "cmd"))) {
		fail(err, errlen, "request has no command \"cmd\"");
		goto out;
	}
	cmd = json_string_value(v);
	if (!strcmp(cmd, "status")) {
		out->cmd = FZGW_CTL_STATUS;
	} else if (!strcmp(cmd, "capture")) {
		out->cmd = FZGW_CTL_CAPTURE;
		out->max_bytes = FZGW_CTL_CAPTURE_BYTES_DEFAULT;
		out->max_seconds = FZGW_CTL_CAPTURE_SECONDS_DEFAULT;
	} else {
		fail(err, errlen, "unknown command");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (!strcmp(key, "v") || !strcmp(key, "cmd"))
			continue;
		if (out->cmd != FZGW_CTL_CAPTURE) {
			fail(err, errlen, "unknown key in the request");
			goto out;
		}
		if (!strcmp(key, "client")) {
			if (!json_is_string(v) ||
			    !client_id_ok(json_string_value(v), json_string_length(v))) {
				fail(err, errlen, "\"client\": expected a client id (1..39 printable characters)");
				goto out;
			}
			memcpy(out->client_id, json_string_value(v), json_string_length(v) + 1);
		} else if (!strcmp(key, "max_bytes")) {
			if (get_uint(v, 1024, FZGW_CTL_CAPTURE_BYTES_MAX, &out->max_bytes) < 0) {
				fail(err, errlen, "\"max_bytes\": expected 1024..2^40");
				goto out;
			}
		} else if (!strcmp(key, "max_seconds")) {
			if (get_uint(v, 1, FZGW_CTL_CAPTURE_SECONDS_MAX, &u) < 0) {
				fail(err, errlen, "\"max_seconds\": expected 1..604800");
				goto out;
			}
			out->max_seconds = (uint32_t)u;
		} else {
			fail(err, errlen, "unknown key in the request");
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int fzgw_ctl_format_request(const struct fzgw_ctl_req *req, char *buf, size_t len)
{
	json_t *o = json_object();
	char *s;
	int n = -ENOSPC;

	if (!o)
		return -ENOMEM;
	json_object_set_new(o, "v", json_integer(FZGW_CTL_VERSION));
	json_object_set_new(o, "cmd", json_string(req->cmd == FZGW_CTL_CAPTURE ? "capture" : "status"));
	if (req->cmd == FZGW_CTL_CAPTURE) {
		if (req->client_id[0])
			json_object_set_new(o, "client", json_string(req->client_id));
		json_object_set_new(o, "max_bytes", json_integer((json_int_t)req->max_bytes));
		json_object_set_new(o, "max_seconds", json_integer(req->max_seconds));
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	if (strlen(s) + 2 <= len) {
		n = snprintf(buf, len, "%s\n", s);
	}
	free(s);
	return n;
}
