/* SPDX-License-Identifier: Apache-2.0 */
/* Who the gateway says it is: its id (external_id), its name and its User-Agent. */
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "values.h"

/* The original's application key for gateway ids derived from the machine id. */
#define GATEWAY_APP_ID "753b38f9f96947ef8083802d5909a372"

static void hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int pz_external_id(const char *id, char *out, size_t len)
{
	uint8_t h[crypto_hash_sha256_BYTES];

	if (pz_uuid_parse(id, NULL) == 0) {
		if (len < 2 * sizeof(h) + 1)
			return -E2BIG;
		crypto_hash_sha256(h, (const uint8_t *)id, strlen(id));
		hex(h, sizeof(h), out);
		return 0;
	}
	if (strlen(id) >= len)
		return -E2BIG;
	memcpy(out, id, strlen(id) + 1);
	return 0;
}

static void random_uuid(char out[PZ_UUID_SIZE])
{
	uint8_t b[16];
	char h[33];

	randombytes_buf(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	hex(b, sizeof(b), h);
	pz_uuid_parse(h, out);
}

static int read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return (int)n;
}

static int id_from_file(const char *path, char *out, size_t len)
{
	char text[1024];
	json_t *root, *id;
	int rc = -EINVAL;

	if (read_small(path, text, sizeof(text)) < 0)
		return -ENOENT;
	if (!(root = json_loads(text, 0, NULL)))
		return -EINVAL;
	id = json_object_get(root, "id");
	if (json_is_string(id) && json_string_length(id) && json_string_length(id) < len) {
		memcpy(out, json_string_value(id), json_string_length(id) + 1);
		rc = 0;
	}
	json_decref(root);
	return rc;
}

static int id_from_machine(const char *path, char *out, size_t len)
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	char text[256];
	int n;

	if (!*path || len < 2 * sizeof(mac) + 1 || (n = read_small(path, text, sizeof(text))) <= 0)
		return -ENOENT;
	/* the whole file, newline included, as the original hashes it */
	crypto_auth_hmacsha256_init(&st, (const uint8_t *)GATEWAY_APP_ID, strlen(GATEWAY_APP_ID));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)text, (size_t)n);
	crypto_auth_hmacsha256_final(&st, mac);
	hex(mac, sizeof(mac), out);
	return 0;
}

/* Writes @content to a temporary file beside @path, then links it in: never overwrites. */
static int write_new(const char *path, const char *content)
{
	char tmp[PATH_MAX];
	size_t len = strlen(content);
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	if ((fd = mkstemp(tmp)) < 0)
		return -errno;
	if (fchmod(fd, 0640) < 0 || write(fd, content, len) != (ssize_t)len || fsync(fd) < 0)
		rc = errno ? -errno : -EIO;
	close(fd);
	if (!rc && link(tmp, path) < 0)
		rc = -errno;
	unlink(tmp);
	return rc;
}

int pz_id_load(const char *path, const char *machine_id_path, char *out, size_t len, char *err,
	       size_t errlen)
{
	char dir[PATH_MAX], uuid[PZ_UUID_SIZE], content[128];
	uint8_t h[crypto_hash_sha256_BYTES];
	int rc;

	if (id_from_file(path, out, len) == 0 || id_from_machine(machine_id_path, out, len) == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	/* as the original: group members may use the directory, others not */
	if (mkdir(dirname(dir), 0770) == 0)
		chmod(dir, 0770);
	else if (errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	random_uuid(uuid);
	crypto_hash_sha256(h, (const uint8_t *)uuid, strlen(uuid));
	hex(h, sizeof(h), out);
	snprintf(content, sizeof(content), "{\"id\":\"%s\"}", out);
	if ((rc = write_new(path, content)) == -EEXIST && id_from_file(path, out, len) == 0)
		return 0; /* someone else wrote it meanwhile */
	if (!rc)
		return 0;
fail:
	snprintf(err, errlen, "cannot read or create the gateway id in %s: %s (set FIREZONE_ID, or "
		 "give the gateway read/write access to that directory)", path, strerror(-rc));
	return rc;
}

void pz_name(const char *configured, char *out, size_t len)
{
	char host[HOST_NAME_MAX + 1];
	char uuid[PZ_UUID_SIZE];

	if (configured && *configured) {
		snprintf(out, len, "%s", configured);
		return;
	}
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		if (*host) {
			snprintf(out, len, "%s", host);
			return;
		}
	}
	random_uuid(uuid);
	snprintf(out, len, "%s", uuid);
}

/* A value of /etc/os-release, unquoted. */
static void os_release(const char *key, char *out, size_t len)
{
	char text[4096], *line, *save = NULL;
	size_t klen = strlen(key);

	*out = '\0';
	if (read_small("/etc/os-release", text, sizeof(text)) <= 0 &&
	    read_small("/usr/lib/os-release", text, sizeof(text)) <= 0)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v;
		size_t vlen;

		if (strncmp(line, key, klen) || line[klen] != '=')
			continue;
		v = line + klen + 1;
		vlen = strlen(v);
		if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
			v++;
			vlen -= 2;
		}
		snprintf(out, len, "%.*s", (int)vlen, v);
		return;
	}
}

void pz_user_agent(const char *version, char *out, size_t len)
{
	char os[64], ver[64];
	struct utsname u;
	char *gnu;
	size_t o = 0;

	os_release("NAME", os, sizeof(os));
	if ((gnu = strstr(os, " GNU/Linux")))
		*gnu = '\0';
	if (!*os)
		snprintf(os, sizeof(os), "Linux");
	os_release("VERSION_ID", ver, sizeof(ver));
	if (!*ver)
		snprintf(ver, sizeof(ver), "Unknown");
	if (uname(&u) == 0)
		snprintf(out, len, "%s/%s gateway/%s (%s; %s)", os, ver, version, u.machine,
			 u.release);
	else
		snprintf(out, len, "%s/%s gateway/%s", os, ver, version);
	/* header-safe: printable ASCII only, as the original strips non-ASCII */
	for (size_t i = 0; out[i]; i++)
		if ((unsigned char)out[i] >= ' ' && (unsigned char)out[i] < 0x7f)
			out[o++] = out[i];
	out[o] = '\0';
}
