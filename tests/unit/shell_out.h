/* SPDX-License-Identifier: Apache-2.0 */
/* For tests that check the kernel's state through ip(8): a command's output, and assertions on it. */
#ifndef FZGW_TEST_SHELL_OUT_H
#define FZGW_TEST_SHELL_OUT_H

/* Runs the printf-formatted command through the shell; fails the test unless it exits 0.
 * Returns its standard output (static, NUL-terminated, overwritten by the next call). */
const char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* How many times @needle occurs in @hay (not overlapping). */
int count(const char *hay, const char *needle);
void assert_has(const char *hay, const char *needle);
void assert_lacks(const char *hay, const char *needle);

#endif
