/* SPDX-License-Identifier: Apache-2.0 */
/* Timers and file descriptors on the libevent loop, tagged with the module that owns them. */
#include "loop.h"

#include <event2/event.h>
#include <stdlib.h>

#include "core.h"

struct fzgw_timer {
	struct fzgw_timer *next;
	struct fzgw_ctx *ctx;
	struct event *ev;
	bool repeat;
	fzgw_timer_fn fn;
	void *arg;
};

struct fzgw_fd {
	struct fzgw_fd *next;
	struct fzgw_ctx *ctx;
	struct event *ev;
	fzgw_fd_fn fn;
	void *arg;
};

static void timer_unlink_free(struct fzgw_ctx *ctx, struct fzgw_timer *t)
{
	for (struct fzgw_timer **pp = &ctx->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	event_free(t->ev);
	free(t);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fzgw_timer *t = arg;
	fzgw_timer_fn fn = t->fn;
	void *a = t->arg;

	(void)fd;
	(void)what;
	if (!t->repeat) {
		/* freed before the call so the callback may add timers or unload freely */
		timer_unlink_free(t->ctx, t);
	}
	fn(a);
}

struct fzgw_timer *fzgw_loop_timer_add(struct fzgw_ctx *ctx, uint32_t ms, bool repeat,
				       fzgw_timer_fn fn, void *arg)
{
	struct fzgw_timer *t;
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	if (!fn || !ctx->core->base)
		return NULL;
	if (!(t = calloc(1, sizeof(*t))))
		return NULL;
	t->ev = event_new(ctx->core->base, -1, repeat ? EV_PERSIST : 0, timer_cb, t);
	if (!t->ev || event_add(t->ev, &tv) != 0) {
		if (t->ev)
			event_free(t->ev);
		free(t);
		return NULL;
	}
	t->ctx = ctx;
	t->repeat = repeat;
	t->fn = fn;
	t->arg = arg;
	t->next = ctx->timers;
	ctx->timers = t;
	return t;
}

void fzgw_loop_timer_del(struct fzgw_ctx *ctx, struct fzgw_timer *t)
{
	if (t)
		timer_unlink_free(ctx, t);
}

static void fd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fzgw_fd *f = arg;

	f->fn(fd, (short)((what & EV_READ ? FZGW_FD_READ : 0) | (what & EV_WRITE ? FZGW_FD_WRITE : 0)),
	      f->arg);
}

struct fzgw_fd *fzgw_loop_fd_add(struct fzgw_ctx *ctx, int fd, short events, fzgw_fd_fn fn, void *arg)
{
	struct fzgw_fd *f;
	short ev = EV_PERSIST | (events & FZGW_FD_READ ? EV_READ : 0) | (events & FZGW_FD_WRITE ? EV_WRITE : 0);

	if (fd < 0 || !fn || !(events & (FZGW_FD_READ | FZGW_FD_WRITE)) || !ctx->core->base)
		return NULL;
	if (!(f = calloc(1, sizeof(*f))))
		return NULL;
	f->ev = event_new(ctx->core->base, fd, ev, fd_cb, f);
	if (!f->ev || event_add(f->ev, NULL) != 0) {
		if (f->ev)
			event_free(f->ev);
		free(f);
		return NULL;
	}
	f->ctx = ctx;
	f->fn = fn;
	f->arg = arg;
	f->next = ctx->fds;
	ctx->fds = f;
	return f;
}

void fzgw_loop_fd_del(struct fzgw_ctx *ctx, struct fzgw_fd *f)
{
	if (!f)
		return;
	for (struct fzgw_fd **pp = &ctx->fds; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
	event_free(f->ev);
	free(f);
}

void fzgw_loop_remove_all(struct fzgw_ctx *ctx)
{
	while (ctx->timers)
		timer_unlink_free(ctx, ctx->timers);
	while (ctx->fds)
		fzgw_loop_fd_del(ctx, ctx->fds);
}

int fzgw_loop_count(const struct fzgw_ctx *ctx)
{
	int n = 0;

	for (const struct fzgw_timer *t = ctx->timers; t; t = t->next)
		n++;
	for (const struct fzgw_fd *f = ctx->fds; f; f = f->next)
		n++;
	return n;
}
