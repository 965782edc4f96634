/* SPDX-License-Identifier: Apache-2.0 */
/* For tests that check the kernel's state through ip(8): a command's output, and assertions on it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "shell_out.h"

const char *run(const char *fmt, ...)
{
	static char out[65536];
	char cmd[512];
	va_list ap;
	FILE *f;
	size_t n = 0, r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (n < sizeof(out) - 1 && (r = fread(out + n, 1, sizeof(out) - 1 - n, f)) > 0)
		n += r;
	out[n] = '\0';
	assert_int_equal(pclose(f), 0);
	return out;
}

int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

void assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" not in: %s", needle, hay);
}

void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("\"%s\" unexpectedly in: %s", needle, hay);
}
