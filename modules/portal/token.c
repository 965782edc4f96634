/* SPDX-License-Identifier: Apache-2.0 */
/* The portal token: read from the environment or the systemd credential, kept in locked memory. */
#include "token.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pz_token_clean(const char *text, size_t len, char **out)
{
	char *t;
	size_t n = 0;

	*out = NULL;
	if (len > PZ_TOKEN_MAX)
		return -E2BIG;
	/* sodium_malloc() needs the page size sodium_init() finds; calling it again is free */
	if (sodium_init() < 0)
		return -EIO;
	if (!(t = sodium_malloc(len + 1)))
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (isspace(c))
			continue;
		if (c < ' ' || c >= 0x7f) {
			/* it goes into a header line: control and non-ASCII bytes cannot */
			sodium_free(t);
			return -EINVAL;
		}
		t[n++] = (char)c;
	}
	t[n] = '\0';
	if (!n) {
		sodium_free(t);
		return -ENODATA;
	}
	*out = t;
	return 0;
}

void pz_token_free(char *token)
{
	if (token)
		sodium_free(token); /* wipes */
}

static int from_file(const char *path, char **out)
{
	char *buf;
	ssize_t n = 0;
	size_t got = 0;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (sodium_init() < 0 || !(buf = sodium_malloc(PZ_TOKEN_MAX + 1))) {
		close(fd);
		return -ENOMEM;
	}
	while (got <= PZ_TOKEN_MAX && (n = read(fd, buf + got, PZ_TOKEN_MAX + 1 - got)) > 0)
		got += (size_t)n;
	rc = n < 0 ? -errno : 0;
	close(fd);
	if (!rc)
		rc = pz_token_clean(buf, got, out);
	sodium_free(buf);
	return rc;
}

/*
 * FIREZONE_TOKEN as first read, for the process's life: the variable itself is wiped and
 * removed once read, and a reload or a restart of the module needs the token again. The
 * module's object stays mapped until exit, so this outlives a module restart.
 */
static char *env_token;

/*
 * Hardening 7: the variable is removed, then its "NAME=value" text is overwritten where it
 * lives (the initial environment block is what /proc/PID/environ shows; glibc never frees
 * what setenv() made, so that text stays valid memory too).
 */
static void env_wipe(const char *name)
{
	char *v = getenv(name);
	size_t n = strlen(name) + 1, len = v ? strlen(v) : 0;

	unsetenv(name);
	if (v)
		sodium_memzero(v - n, n + len); /* getenv() points just after "NAME=" */
}

void pz_token_forget(void)
{
	pz_token_free(env_token);
	env_token = NULL;
}

int pz_token_load(char **out, char *err, size_t errlen)
{
	const char *env = getenv("FIREZONE_TOKEN");
	const char *cred = getenv("CREDENTIALS_DIRECTORY");
	char path[PATH_MAX];
	int rc;

	if (env && *env) {
		if ((rc = pz_token_clean(env, strlen(env), out)) < 0) {
			snprintf(err, errlen, "FIREZONE_TOKEN is %s",
				 rc == -E2BIG	  ? "too long (over 8 KiB)"
				 : rc == -ENODATA ? "only whitespace"
						  : "unusable (control or non-ASCII characters)");
			return rc;
		}
		pz_token_free(env_token);
		env_token = NULL;
		if (pz_token_clean(*out, strlen(*out), &env_token) < 0)
			env_token = NULL; /* no memory: a later reload reads what is left */
		env_wipe("FIREZONE_TOKEN");
		return 0;
	}
	if (env_token)
		return pz_token_clean(env_token, strlen(env_token), out);
	if (!cred || !*cred) {
		snprintf(err, errlen,
			 "no token: set FIREZONE_TOKEN or the systemd credential FIREZONE_TOKEN");
		return -ENOENT;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/FIREZONE_TOKEN", cred) >= sizeof(path))
		return -ENAMETOOLONG;
	if ((rc = from_file(path, out)) < 0)
		snprintf(err, errlen, "%s: %s", path,
			 rc == -E2BIG	  ? "token too long (over 8 KiB)"
			 : rc == -ENODATA ? "empty"
			 : rc == -EINVAL  ? "control or non-ASCII characters in the token"
					  : strerror(-rc));
	return rc;
}
