/* SPDX-License-Identifier: Apache-2.0 */
/* Services shared between the core tests and the test modules. */
#ifndef FZGW_TEST_TRACE_H
#define FZGW_TEST_TRACE_H

#include <stdbool.h>

/* "test.trace", registered by the test program: modules record what they did. */
struct tm_trace {
	void (*record)(const char *what);
};

/* "<module>.ctl", registered by each test module. */
struct tm_ctl {
	void *self;
	int (*release)(void *self, bool reinject);
	int (*value)(void *self);
};

#endif
