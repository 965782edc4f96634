/* SPDX-License-Identifier: Apache-2.0 */
/* Timers and file descriptors on the libevent loop, tagged with the module that owns them. */
#ifndef FZGW_LOOP_H
#define FZGW_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <fzgw/module.h>

struct fzgw_ctx;

/* A one-shot timer is freed after its callback returns: its handle is invalid from then on. */
struct fzgw_timer *fzgw_loop_timer_add(struct fzgw_ctx *ctx, uint32_t ms, bool repeat,
				       fzgw_timer_fn fn, void *arg);
void fzgw_loop_timer_del(struct fzgw_ctx *ctx, struct fzgw_timer *t);
struct fzgw_fd *fzgw_loop_fd_add(struct fzgw_ctx *ctx, int fd, short events, fzgw_fd_fn fn, void *arg);
void fzgw_loop_fd_del(struct fzgw_ctx *ctx, struct fzgw_fd *f);
/* Removes every timer and fd of @ctx (the fds themselves are the module's to close). */
void fzgw_loop_remove_all(struct fzgw_ctx *ctx);
int fzgw_loop_count(const struct fzgw_ctx *ctx);

#endif
