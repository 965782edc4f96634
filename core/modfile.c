/* SPDX-License-Identifier: Apache-2.0 */
/* A module file opened once and checked through that descriptor, with its directory chain. */
#include "modfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The user whose files and directories may hold modules besides root, or (uid_t)-1. */
static uid_t trusted_user(void)
{
	struct stat exe;
	uid_t me = geteuid();

	if (me == 0 || stat("/proc/self/exe", &exe) != 0 || exe.st_uid != me)
		return (uid_t)-1;
	return me;
}

static int check_owner(const struct stat *st, const char *what, const char *at, char *err,
		       size_t errlen)
{
	uid_t other = trusted_user();

	if (st->st_uid == 0 || (other != (uid_t)-1 && st->st_uid == other))
		return 0;
	snprintf(err, errlen,
		 "%s: %s owned by uid %u: only root's (or, for a build run by its owner, the "
		 "gateway binary owner's) are trusted", at, what, (unsigned)st->st_uid);
	return -EPERM;
}

static int check_dir(int dfd, const char *at, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(dfd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", at, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", at);
		return -ENOTDIR;
	}
	/* a root-owned sticky directory (/tmp): others cannot rename or remove what is ours */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_uid == 0 && (st.st_mode & S_ISVTX))) {
		snprintf(err, errlen,
			 "%s: refusing a module below a group- or world-writable directory (mode %03o)",
			 at, (unsigned)(st.st_mode & 0777));
		return -EPERM;
	}
	return check_owner(&st, "directory", at, err, errlen);
}

static int check_file(int fd, const char *at, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", at, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", at);
		return -EINVAL;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s: refusing a group- or world-writable module file (mode %03o)",
			 at, (unsigned)(st.st_mode & 0777));
		return -EPERM;
	}
	return check_owner(&st, "file", at, err, errlen);
}

int fzgw_modfile_open(const char *path, char *real, size_t real_len, int *fd, char *err,
		      size_t errlen)
{
	char buf[PATH_MAX], *comp, *next;
	int dfd, rc;

	*fd = -1;
	if (!realpath(path, buf)) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, e == ENOENT ? "no such module file" : strerror(e));
		return -e;
	}
	if (buf[0] != '/' || strlen(buf) >= real_len) {
		snprintf(err, errlen, "%s: resolves to no usable absolute path", path);
		return -EINVAL;
	}
	strcpy(real, buf);
	if ((dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "/: %s", strerror(errno));
		return -errno;
	}
	if ((rc = check_dir(dfd, "/", err, errlen)) < 0)
		goto out;
	/* realpath(): absolute, no ".", "..", empty components or links; a link now is a race */
	for (comp = buf + 1; comp; comp = next) {
		int nfd;

		if ((next = strchr(comp, '/')))
			*next++ = '\0';
		nfd = openat(dfd, comp, next ? O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
					     : O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (nfd < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s (component \"%s\")", real,
				 errno == ELOOP ? "a symbolic link appeared while opening"
						: strerror(errno), comp);
			goto out;
		}
		close(dfd);
		dfd = nfd;
		if (next) {
			/* the text up to this component, for the message */
			char at[PATH_MAX];

			snprintf(at, sizeof(at), "%.*s", (int)(comp + strlen(comp) - buf), real);
			if ((rc = check_dir(dfd, at, err, errlen)) < 0)
				goto out;
		} else if ((rc = check_file(dfd, real, err, errlen)) < 0) {
			goto out;
		}
	}
	*fd = dfd;
	return 0;
out:
	close(dfd);
	return rc;
}

/* Files loaded so far, by identity, with the descriptor whose name the linker knows. */
static struct loaded {
	dev_t dev;
	ino_t ino;
	int fd;
} *loaded;
static size_t n_loaded;

int fzgw_modfile_dlname(int fd, char *name, size_t len)
{
	struct stat st;
	struct loaded *grown;

	if (fstat(fd, &st) != 0)
		return -errno;
	for (size_t i = 0; i < n_loaded; i++) {
		if (loaded[i].dev == st.st_dev && loaded[i].ino == st.st_ino) {
			close(fd);
			snprintf(name, len, "/proc/self/fd/%d", loaded[i].fd);
			return 0;
		}
	}
	if (!(grown = realloc(loaded, (n_loaded + 1) * sizeof(*loaded))))
		return -ENOMEM;
	loaded = grown;
	loaded[n_loaded++] = (struct loaded){ st.st_dev, st.st_ino, fd };
	snprintf(name, len, "/proc/self/fd/%d", fd);
	return 0;
}
