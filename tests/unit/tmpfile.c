/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: write text to a fresh temporary file. */
#include "tmpfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tmp_dir(void)
{
	static char dir[64];

	if (!dir[0]) {
		strcpy(dir, "/tmp/fzgw-test.XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	return dir;
}

int tmp_write(char *path, size_t len, const char *name, const char *text)
{
	FILE *f;

	snprintf(path, len, "%s/%s", tmp_dir(), name);
	if (!(f = fopen(path, "w")))
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}
