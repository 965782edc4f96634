/* SPDX-License-Identifier: Apache-2.0 */
/* A module file opened once and checked through that descriptor, with its directory chain. */
#ifndef FZGW_MODFILE_H
#define FZGW_MODFILE_H

#include <stddef.h>

/*
 * Resolves @path (relative to the working directory) to an absolute path without symbolic
 * links (@real), then walks it from "/" one component at a time with O_NOFOLLOW, checking
 * every directory and the file through the descriptors it opened: each owned by root, or by
 * the running user when that user owns the gateway's executable too (a developer's build);
 * none group- or world-writable, except a root-owned sticky directory such as /tmp; the
 * file a regular one. *@fd is the file, open read-only: everything after reads that
 * descriptor, never the path. 0, or -errno with the reason in @err.
 */
int fzgw_modfile_open(const char *path, char *real, size_t real_len, int *fd, char *err,
		      size_t errlen);

/*
 * The name to dlopen() the file open at @fd by: "/proc/self/fd/N", so the loaded object is
 * the checked one. Takes @fd: it stays open for the process's life (the dynamic linker
 * knows objects by that name, which must never name another file), or is closed when the
 * same file was loaded before (that earlier name is returned). 0 or -errno.
 */
int fzgw_modfile_dlname(int fd, char *name, size_t len);

#endif
