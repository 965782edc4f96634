/* SPDX-License-Identifier: Apache-2.0 */
/* The static module: a standalone control plane serving peers and resources from the config. */
#include <errno.h>
#include <stdlib.h>

#include "static.h"

static void on_start(void *arg)
{
	struct static_state *st = arg;

	st->start_timer = NULL; /* a one-shot timer is gone once it fires */
	static_publish_all(st);
}

static int static_init(struct fzgw_ctx *ctx, const struct fzgw_api *api,
		       const struct fzgw_settings *settings, void **state)
{
	struct static_state *st;
	int rc;

	if (!(st = calloc(1, sizeof(*st))))
		return -ENOMEM;
	st->ctx = ctx;
	st->api = api;
	if ((rc = static_conf_parse(ctx, api, settings, &st->conf)) < 0)
		goto err_state;
	if (!api->check_only(ctx)) {
		/* on the loop, not now: every module must be loaded and subscribed first */
		if (!(st->start_timer = api->timer_add(ctx, 0, false, on_start, st))) {
			api->log(ctx, FZGW_LOG_ERROR, "cannot add a timer");
			rc = -ENOMEM;
			goto err_conf;
		}
	}
	*state = st;
	return 0;

err_conf:
	static_conf_free(&st->conf);
err_state:
	free(st);
	return rc;
}

static int static_reload(void *state, const struct fzgw_settings *settings)
{
	struct static_state *st = state;
	struct static_conf nc, old;
	int rc;

	if ((rc = static_conf_parse(st->ctx, st->api, settings, &nc)) < 0)
		return rc;
	old = st->conf;
	st->conf = nc;
	/* before the first publication the pending timer sends the new settings whole */
	if (st->published)
		static_publish_diff(st, &old, &st->conf);
	static_conf_free(&old);
	return 0;
}

static void static_fini(void *state)
{
	struct static_state *st = state;

	if (!st)
		return;
	static_conf_free(&st->conf);
	free(st);
}

FZGW_MODULE_DEFINE = {
	FZGW_MODULE_HEADER,
	.name = "static",
	.version = "1.0",
	.init = static_init,
	.reload = static_reload,
	.fini = static_fini,
};
