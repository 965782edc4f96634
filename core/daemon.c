/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's life: start from a config, run the loop, reload on SIGHUP, stop cleanly. */
#include "daemon.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_server.h"
#include "dataplane.h"
#include "loader.h"
#include "log.h"
#include "obs.h"
#include "settings.h"

static void log_setup(const struct fzgw_config *c)
{
	fzgw_log_set_format(c->log_format);
	if (fzgw_log_set_filter(c->log_filter) < 0)
		fzgw_log_set_filter("info");
}

static struct fzgw_ctx *find_mod(struct fzgw_core *core, const char *name)
{
	for (int i = 0; i < core->n_mods; i++)
		if (!strcmp(core->mods[i]->name, name))
			return core->mods[i];
	return NULL;
}

static int open_and_init(struct fzgw_core *core, const struct fzgw_mod_entry *me, bool probe,
			 struct fzgw_ctx **out, char *err, size_t errlen)
{
	struct fzgw_ctx *ctx;
	int rc;

	if ((rc = fzgw_loader_open(core, me, &ctx, err, errlen)) < 0)
		return rc;
	if (probe) {
		ctx->probe = true;
		ctx->check_only = true;
	}
	if ((rc = fzgw_loader_init(ctx, me->settings, err, errlen)) < 0) {
		fzgw_loader_unload(ctx);
		return rc;
	}
	ctx->settings_text = fzgw_settings_to_text(me->settings);
	*out = ctx;
	return 0;
}

static void core_shutdown(struct fzgw_core *core, int exit_code)
{
	fzgw_daemon_exit(core->daemon, exit_code);
}

static int check_token(const struct fzgw_config *c, char *err, size_t errlen)
{
	/* the portal module removes FIREZONE_TOKEN once read, and keeps the token for reloads */
	static bool token_seen;
	const char *cred = getenv("CREDENTIALS_DIRECTORY");
	char path[PATH_MAX];

	for (int i = 0; i < c->n_modules; i++) {
		const struct fzgw_mod_entry *me = &c->modules[i];

		if (!me->active || strcmp(me->name, "portal"))
			continue;
		if (getenv("FIREZONE_TOKEN") && *getenv("FIREZONE_TOKEN")) {
			token_seen = true;
			return 0;
		}
		if (token_seen)
			return 0;
		if (cred && (size_t)snprintf(path, sizeof(path), "%s/FIREZONE_TOKEN", cred) < sizeof(path) &&
		    access(path, R_OK) == 0)
			return 0;
		return fzgw_settings_errf(me->entry, err, errlen,
					  "module \"portal\" needs a token: set FIREZONE_TOKEN or the "
					  "systemd credential FIREZONE_TOKEN");
	}
	return 0;
}

int fzgw_daemon_start(struct fzgw_daemon *d, const char *config_path, const struct fzgw_overrides *ov,
		      bool check_only, char *err, size_t errlen)
{
	struct event_base *base;
	char why[512];
	int rc;

	memset(d, 0, sizeof(*d));
	d->check_only = check_only;
	if (ov)
		d->ov = *ov;
	snprintf(d->config_path, sizeof(d->config_path), "%s", config_path);
	if (!(d->cfg = calloc(1, sizeof(*d->cfg))))
		return -ENOMEM;
	if ((rc = fzgw_config_load(d->cfg, config_path, &d->ov, err, errlen)) < 0) {
		free(d->cfg);
		d->cfg = NULL;
		return rc;
	}
	log_setup(d->cfg);
	if ((rc = check_token(d->cfg, err, errlen)) < 0)
		goto err_cfg;
	if (!(base = event_base_new())) {
		snprintf(err, errlen, "cannot create the event loop");
		rc = -ENOMEM;
		goto err_cfg;
	}
	fzgw_core_init(&d->core, base, check_only);
	d->core.daemon = d;
	d->core.shutdown = core_shutdown;
	d->core.mtu = (uint32_t)d->cfg->mtu;
	for (int i = 0; i < d->cfg->n_modules; i++) {
		const struct fzgw_mod_entry *me = &d->cfg->modules[i];
		struct fzgw_ctx *ctx;

		if (!me->active)
			continue;
		if ((rc = open_and_init(&d->core, me, false, &ctx, err, errlen)) < 0)
			goto err_mods;
		d->core.mods[d->core.n_mods++] = ctx;
	}
	if ((rc = fzgw_chains_build_err(&d->core.chains, d->core.mods, d->core.n_mods, why,
					sizeof(why))) < 0) {
		if (rc == -ELOOP)
			snprintf(err, errlen, "%s", why);
		else
			snprintf(err, errlen, "%s:1: %s", d->cfg->file, why);
		goto err_mods;
	}
	fzgw_config_wipe_secrets(d->cfg); /* the modules took their copies */
	return 0;

err_mods:
	fzgw_daemon_stop(d);
	return rc;
err_cfg:
	fzgw_config_free(d->cfg);
	free(d->cfg);
	d->cfg = NULL;
	return rc;
}

void fzgw_daemon_print(const struct fzgw_daemon *d, FILE *f)
{
	fprintf(f, "config: %s\nsite: %s\nmodule path: %s\nmodules:\n", d->cfg->file, d->cfg->site,
		d->cfg->module_path);
	for (int i = 0; i < d->cfg->n_modules; i++) {
		const struct fzgw_mod_entry *me = &d->cfg->modules[i];
		const struct fzgw_ctx *ctx = me->active ? find_mod((struct fzgw_core *)&d->core, me->name) : NULL;

		fprintf(f, "  %-16s %-8s %s%s%s\n", me->name, me->active ? "loaded" : "off",
			ctx ? ctx->desc->version : "", ctx ? " " : "", me->path);
	}
	fprintf(f, "chains:\n");
	fzgw_chains_print(&d->core.chains, f);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct fzgw_daemon *d = arg;
	char err[512];

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		fzgw_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		fzgw_obs_stopping(d);
		/* as the original: every client is told, UDP gets up to 1 s to drain */
		fzgw_dataplane_goodbye(d->dp, 1000);
		fzgw_daemon_exit(d, FZGW_EXIT_OK);
		break;
	case SIGHUP:
		fzgw_info("received SIGHUP, reloading %s", d->config_path);
		fzgw_obs_reloading(d);
		if (fzgw_daemon_reload(d, err, sizeof(err)) < 0)
			fzgw_err("reload refused, the running config stays: %s", err);
		fzgw_obs_reloaded(d);
		break;
	case SIGUSR1:
		fzgw_daemon_dump_stats(d);
		break;
	}
}

void fzgw_daemon_exit(struct fzgw_daemon *d, int code)
{
	d->exit_code = code;
	event_base_loopexit(d->core.base, NULL);
}

int fzgw_daemon_open_dataplane(struct fzgw_daemon *d, char *err, size_t errlen)
{
	char why[512];
	int rc = fzgw_dataplane_start(&d->core, d->cfg, &d->dp, err, errlen);

	/* status and capture are an operator's aid: without the socket the gateway still runs */
	if (rc == 0 && d->cfg->control_socket[0] &&
	    fzgw_ctl_server_start(&d->ctl, d, d->cfg->control_socket, why, sizeof(why)) < 0)
		fzgw_warn("%s: status and capture are off", why);
	return rc;
}

void fzgw_daemon_dump_stats(struct fzgw_daemon *d)
{
	fzgw_counters_log(&d->core.counters, "core");
	fzgw_dataplane_log_stats(d->dp);
	for (int i = 0; i < d->core.n_mods; i++)
		fzgw_counters_log(&d->core.mods[i]->counters, d->core.mods[i]->name);
	fzgw_chains_dump_stats(&d->core.chains);
	/* then each module's live state (the relay module: every client's path) */
	fzgw_bus_publish(&d->core.bus, &d->core.self, FZGW_EV_STATE_DUMP, NULL, 0);
}

int fzgw_daemon_run(struct fzgw_daemon *d)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };

	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->sig[i] = evsignal_new(d->core.base, sigs[i], on_signal, d);
		if (!d->sig[i] || event_add(d->sig[i], NULL) != 0) {
			fzgw_err("cannot watch signal %d", sigs[i]);
			return FZGW_EXIT_FATAL;
		}
	}
	fzgw_info("firezone-gateway %s running, site \"%s\", %d module(s)", FZGW_VERSION, d->cfg->site,
		  d->core.n_mods);
	for (int i = 0; i < d->core.n_mods; i++)
		fzgw_info("module %s %s loaded from %s", d->core.mods[i]->name,
			  d->core.mods[i]->desc->version ? d->core.mods[i]->desc->version : "?",
			  d->core.mods[i]->path);
	fzgw_chains_log(&d->core.chains);
	d->exit_code = FZGW_EXIT_OK;
	{
		char err[512];

		/* systemd notifications, the loop's tick, the health and metrics server */
		if (fzgw_obs_start(d, err, sizeof(err)) < 0) {
			fzgw_err("%s", err);
			return FZGW_EXIT_FATAL;
		}
	}
	if (event_base_dispatch(d->core.base) < 0) {
		fzgw_err("event loop failed");
		return FZGW_EXIT_FATAL;
	}
	return d->exit_code;
}

static void warn_restart_only(const struct fzgw_config *o, const struct fzgw_config *n)
{
	if (strcmp(o->tun_name, n->tun_name) || o->mtu != n->mtu || o->tun_offload != n->tun_offload)
		fzgw_warn("reload: a change of gateway.tun takes effect at the next start");
	if (o->udp_offload != n->udp_offload)
		fzgw_warn("reload: a change of gateway.udp_offload takes effect at the next start");
	if (o->workers != n->workers)
		fzgw_warn("reload: a change of gateway.workers takes effect at the next start");
	if (o->handshake_load_threshold != n->handshake_load_threshold)
		fzgw_warn("reload: a change of gateway.handshake_load_threshold takes effect at the next "
			  "start");
	if (o->listen_port != n->listen_port)
		fzgw_warn("reload: a change of gateway.listen_port takes effect at the next start");
	if (o->routing_table != n->routing_table)
		fzgw_warn("reload: a change of gateway.routing_table takes effect at the next start");
	if (strcmp(o->control_socket, n->control_socket))
		fzgw_warn("reload: a change of gateway.control_socket takes effect at the next start");
	if (strcmp(o->private_key_file, n->private_key_file))
		fzgw_warn("reload: a change of gateway.private_key_file takes effect at the next start");
}

/* Validates every module's new settings with a throw-away check-only init, so that a
 * refused reload changes nothing at all. */
/* Validates every module's new settings with a throw-away check-only init, and the chains
 * they would make, so that a refused reload changes nothing at all. */
static int validate_modules(struct fzgw_daemon *d, const struct fzgw_config *n, char *err, size_t errlen)
{
	struct fzgw_ctx *probes[FZGW_MAX_MODULES];
	struct fzgw_chains *trial;
	int np = 0, rc = 0;

	for (int i = 0; i < n->n_modules && rc == 0; i++) {
		const struct fzgw_mod_entry *me = &n->modules[i];

		if (me->active && (rc = open_and_init(&d->core, me, true, &probes[np], err, errlen)) == 0)
			np++;
	}
	if (rc == 0) {
		/* the placement of the new config, checked on a copy (cycles, too many hooks) */
		if (!(trial = calloc(1, sizeof(*trial))))
			rc = -ENOMEM;
		else
			rc = fzgw_chains_build_err(trial, probes, np, err, errlen);
		free(trial);
	}
	while (np > 0)
		fzgw_loader_unload(probes[--np]);
	return rc;
}

static int apply_module(struct fzgw_daemon *d, const struct fzgw_mod_entry *me, struct fzgw_ctx **slot,
			char *err, size_t errlen)
{
	struct fzgw_ctx *ctx = *slot;
	char *text = fzgw_settings_to_text(me->settings);
	int rc = 0;

	fzgw_loader_set_placement(ctx, me);
	if (text && ctx->settings_text && !strcmp(text, ctx->settings_text)) {
		free(text);
		return 0;
	}
	if (ctx->desc->reload) {
		rc = ctx->desc->reload(ctx->state, fzgw_settings_of(me->settings));
		if (rc == 0) {
			free(ctx->settings_text);
			ctx->settings_text = text;
			fzgw_info("module %s: new settings applied", ctx->name);
			return 0;
		}
		free(text);
		snprintf(err, errlen, "module \"%s\" refused its new settings: %s", ctx->name, strerror(-rc));
		return rc;
	}
	free(text);
	/* no reload(): restart the module with the new settings */
	fzgw_info("module %s: restarting with new settings", ctx->name);
	fzgw_loader_unload(ctx);
	*slot = NULL;
	if ((rc = open_and_init(&d->core, me, false, slot, err, errlen)) < 0)
		return rc;
	return 0;
}

int fzgw_daemon_reload(struct fzgw_daemon *d, char *err, size_t errlen)
{
	struct fzgw_config *n = calloc(1, sizeof(*n));
	struct fzgw_ctx *next[FZGW_MAX_MODULES];
	int nn = 0, rc;

	if (!n)
		return -ENOMEM;
	if ((rc = fzgw_config_load(n, d->config_path, &d->ov, err, errlen)) < 0)
		goto out_free;
	if ((rc = check_token(n, err, errlen)) < 0 || (rc = validate_modules(d, n, err, errlen)) < 0)
		goto out_cfg;
	warn_restart_only(d->cfg, n);
	log_setup(n);
	/* modules that go away (removed, disabled, not for this site, or a new path) */
	for (int i = 0; i < d->core.n_mods; i++) {
		struct fzgw_ctx *ctx = d->core.mods[i];
		bool keep = false;

		for (int j = 0; j < n->n_modules; j++)
			if (n->modules[j].active && !strcmp(n->modules[j].name, ctx->name) &&
			    !strcmp(n->modules[j].path, ctx->path))
				keep = true;
		if (!keep) {
			fzgw_info("module %s: unloading", ctx->name);
			fzgw_loader_unload(ctx);
			d->core.mods[i] = NULL;
		}
	}
	for (int j = 0; j < n->n_modules; j++) {
		const struct fzgw_mod_entry *me = &n->modules[j];
		struct fzgw_ctx *ctx = NULL;

		if (!me->active)
			continue;
		for (int i = 0; i < d->core.n_mods; i++)
			if (d->core.mods[i] && !strcmp(d->core.mods[i]->name, me->name)) {
				ctx = d->core.mods[i];
				d->core.mods[i] = NULL;
			}
		if (ctx) {
			rc = apply_module(d, me, &ctx, err, errlen);
		} else {
			rc = open_and_init(&d->core, me, false, &ctx, err, errlen);
			if (rc == 0)
				fzgw_info("module %s: loaded", me->name);
		}
		if (rc < 0)
			fzgw_err("reload: %s", err); /* validated above: only a module's own failure */
		if (ctx)
			next[nn++] = ctx;
	}
	memcpy(d->core.mods, next, sizeof(next[0]) * (size_t)nn);
	d->core.n_mods = nn;
	if (fzgw_chains_build_err(&d->core.chains, d->core.mods, d->core.n_mods, err, errlen) < 0)
		fzgw_err("reload: %s; chains unchanged", err);
	fzgw_config_free(d->cfg);
	free(d->cfg);
	d->cfg = n;
	fzgw_config_wipe_secrets(n);
	fzgw_info("reloaded %s: site \"%s\", %d module(s)", d->config_path, d->cfg->site, d->core.n_mods);
	fzgw_chains_log(&d->core.chains);
	return 0;

out_cfg:
	fzgw_config_free(n);
out_free:
	free(n);
	return rc;
}

void fzgw_daemon_stop(struct fzgw_daemon *d)
{
	fzgw_obs_stop(d);
	d->ctl = fzgw_ctl_server_stop(d->ctl);
	/* modules first: they may hand stolen packets back to the data plane's pool */
	for (int i = d->core.n_mods - 1; i >= 0; i--)
		fzgw_loader_unload(d->core.mods[i]);
	d->core.n_mods = 0;
	d->dp = fzgw_dataplane_stop(d->dp);
	memset(&d->core.chains, 0, sizeof(d->core.chains));
	for (size_t i = 0; i < sizeof(d->sig) / sizeof(d->sig[0]); i++)
		if (d->sig[i])
			event_free(d->sig[i]);
	memset(d->sig, 0, sizeof(d->sig));
	fzgw_core_fini(&d->core);
	if (d->core.base)
		event_base_free(d->core.base);
	d->core.base = NULL;
	if (d->cfg) {
		fzgw_config_free(d->cfg);
		free(d->cfg);
		d->cfg = NULL;
	}
}
