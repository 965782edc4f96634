/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's private key file, read into locked memory. */
#ifndef FZGW_KEYFILE_H
#define FZGW_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads the base64 WireGuard private key of @file into @key with open()/read() (no stdio
 * buffer) into sodium_malloc()ed memory, wiped after. A key file readable by group or others
 * is loaded with a warning. An empty @file means a random key. 0 or -errno with @err set
 * (never quoting the file's text).
 */
int fzgw_key_load(const char *file, uint8_t key[32], char *err, size_t errlen);

#endif
