/* SPDX-License-Identifier: Apache-2.0 */
/* Named counters, one set per module and one for the core, dumped on SIGUSR1. */
#ifndef FZGW_COUNTERS_H
#define FZGW_COUNTERS_H

#include <stdint.h>

#define FZGW_MAX_COUNTERS 64

struct fzgw_counters {
	int n;
	struct {
		char name[48];
		uint64_t v;
	} c[FZGW_MAX_COUNTERS];
};

/* Returns the id of @name, creating it; -ENOSPC when full, -EINVAL for a bad name. */
int fzgw_counter_id(struct fzgw_counters *cs, const char *name);
void fzgw_counter_add(struct fzgw_counters *cs, int id, uint64_t n);
/* Adds @n to the counter called @name (created on first use). */
void fzgw_counter_bump(struct fzgw_counters *cs, const char *name, uint64_t n);
uint64_t fzgw_counter_get(const struct fzgw_counters *cs, const char *name);
void fzgw_counters_log(const struct fzgw_counters *cs, const char *module);

#endif
