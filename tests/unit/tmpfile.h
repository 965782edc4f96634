/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: write text to a fresh temporary file. */
#ifndef FZGW_TEST_TMPFILE_H
#define FZGW_TEST_TMPFILE_H

#include <stddef.h>

/* Writes @text to a new file in a private temp dir; returns its path in @path. 0 or -1. */
int tmp_write(char *path, size_t len, const char *name, const char *text);
/* The private temp directory (created on first use). */
const char *tmp_dir(void);

#endif
