/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's private key file, read into locked memory. */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define KEY_TEXT_MAX 128 /* 44 characters of base64 and some whitespace */

int fzgw_key_load(const char *file, uint8_t key[32], char *err, size_t errlen)
{
	struct stat st;
	size_t n = 0, klen = 0;
	ssize_t got = 1;
	char *text;
	int fd, rc = 0;

	if (!file[0]) {
		randombytes_buf(key, 32); /* X25519 clamps: any 32 bytes are a key */
		return 0;
	}
	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0 || fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot read private key: %s", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: the private key is not a regular file", file);
		return -EINVAL;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH))
		fzgw_warn("%s: the private key file is readable by group or others (mode %03o): "
			  "chmod 600 it", file, (unsigned)(st.st_mode & 0777));
	if (sodium_init() < 0 || !(text = sodium_malloc(KEY_TEXT_MAX + 1))) {
		close(fd);
		snprintf(err, errlen, "%s: no memory for the private key", file);
		return -ENOMEM;
	}
	while (n < KEY_TEXT_MAX && (got = read(fd, text + n, KEY_TEXT_MAX - n)) > 0)
		n += (size_t)got;
	if (got < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot read private key: %s", file, strerror(errno));
	}
	close(fd);
	while (!rc && n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		n--;
	if (!rc && (sodium_base642bin(key, 32, text, n, NULL, &klen, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0 || klen != 32)) {
		snprintf(err, errlen, "%s: not a WireGuard private key (base64 of 32 bytes)", file);
		rc = -EINVAL;
	}
	sodium_free(text); /* wipes */
	return rc;
}
