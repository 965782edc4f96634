/* SPDX-License-Identifier: Apache-2.0 */
/* Loading modules: file checks, the descriptor read before any module code runs, dlopen, init, unload. */
#ifndef FZGW_LOADER_H
#define FZGW_LOADER_H

#include <stddef.h>

#include "config.h"
#include "core.h"

/* Reads the ABI fields of the descriptor straight from the ELF file, before dlopen runs
 * any constructor. 0 or -errno with the reason in @err. */
int fzgw_loader_precheck(const char *path, char *err, size_t errlen);
/* The same of the file open at @fd (read with pread, the offset untouched). */
int fzgw_loader_precheck_fd(int fd, char *err, size_t errlen);

/* Loads the module of @me (checks, dlopen, descriptor validation) into a new ctx, not yet
 * initialised. Errors name the config entry's FILE:LINE. */
int fzgw_loader_open(struct fzgw_core *core, const struct fzgw_mod_entry *me, struct fzgw_ctx **out,
		     char *err, size_t errlen) __attribute__((warn_unused_result));

/* Copies the config entry's placement (priority, per-hook priorities, order) into @ctx. */
void fzgw_loader_set_placement(struct fzgw_ctx *ctx, const struct fzgw_mod_entry *me);

/* Calls init() with @settings; subscribes the descriptor's bus handlers on success. On
 * failure everything the module registered is removed. */
int fzgw_loader_init(struct fzgw_ctx *ctx, const config_setting_t *settings, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Removes what the module registered, then calls fini(). The ctx is freed; the shared
 * object stays mapped until exit (nothing may point into it later). */
void fzgw_loader_unload(struct fzgw_ctx *ctx);

#endif
