/* SPDX-License-Identifier: Apache-2.0 */
/* The portal token: read from the environment or the systemd credential, kept in locked memory. */
#ifndef FZGW_PORTAL_TOKEN_H
#define FZGW_PORTAL_TOKEN_H

#include <stddef.h>

#define PZ_TOKEN_MAX 8192

/*
 * FIREZONE_TOKEN, else $CREDENTIALS_DIRECTORY/FIREZONE_TOKEN; surrounding whitespace
 * trimmed and inner whitespace removed, as the original. *@out is sodium_malloc()ed (free it
 * with pz_token_free). 0, or -errno with @err set (never quoting the token).
 * FIREZONE_TOKEN is overwritten and removed from the environment once read; later calls
 * get that token again (from locked memory) unless the variable is set anew.
 */
int pz_token_load(char **out, char *err, size_t errlen);
/* Same cleaning of @text into a new sodium_malloc()ed token: for tests and for the above. */
int pz_token_clean(const char *text, size_t len, char **out);
void pz_token_free(char *token);
/* Forgets the FIREZONE_TOKEN read before (tests). */
void pz_token_forget(void);

#endif
