/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's outward signs of life. Everything runs on the loop thread: the 250 ms tick
 * measures its own lateness (the loop lag) and refreshes readiness and STATUS=, the watchdog
 * timer sends WATCHDOG=1 every WatchdogSec/2 (a stuck loop misses it and systemd acts), and
 * the HTTP server answers from what the loop already knows.
 */
#include "obs.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "dp_metrics.h"
#include "obs_http.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"

#define OBS_TICK_MS 250
#define OBS_LAG_WINDOW_NS 10000000000ull /* lag maxima kept per 10 s window, two windows */
#define OBS_STATUS_MAX 512

struct fzgw_obs {
	struct fzgw_daemon *d;
	struct fzgw_http *http;
	char http_addr[FZGW_HTTP_ADDR_MAX];
	struct event *tick, *watchdog;
	uint64_t tick_due_ns;
	double lag_s, lag_max[2];
	uint64_t lag_window_ns;
	bool notify;     /* NOTIFY_SOCKET is set */
	bool ready_sent; /* READY=1 was sent once */
	bool stopping;   /* STOPPING=1 sent: nothing more */
	bool ready;      /* the last computed readiness */
	char status[OBS_STATUS_MAX]; /* the last STATUS= sent */
	int64_t start_s;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void notify(struct fzgw_obs *o, const char *msg)
{
	int rc;

	if (!o->notify || o->stopping)
		return;
	if ((rc = fzgw_notify_send(msg)) < 0)
		fzgw_warn("systemd notification failed: %s", strerror(-rc));
}

/* Readiness and the status line: the data plane, then every gating module. */
static bool compute(struct fzgw_daemon *d, char *why, size_t wlen, char *status, size_t slen)
{
	struct fzgw_dp_metrics m;
	bool ready = true;
	size_t n;

	fzgw_dataplane_metrics(d->dp, &m);
	why[0] = '\0';
	if (!m.up) {
		snprintf(why, wlen, "the data plane is not up");
		ready = false;
	} else if (!m.iface_up) {
		snprintf(why, wlen, "the TUN has no address yet (no interface configuration)");
		ready = false;
	}
	n = (size_t)snprintf(status, slen, "%u client(s)", m.peers);
	for (int i = 0; i < d->core.n_mods; i++) {
		const struct fzgw_ctx *c = d->core.mods[i];

		if (!c || !c->readiness.gates)
			continue;
		if (n < slen)
			n += (size_t)snprintf(status + n, slen - n, "; %s: %s", c->name,
					      c->readiness.status[0] ? c->readiness.status
								     : (c->readiness.ready ? "ready" : "not ready"));
		if (!c->readiness.ready) {
			size_t w = strlen(why);

			/* every reason, the data plane's first: one line */
			snprintf(why + w, wlen - w, "%smodule %s is not ready: %s", w ? "; " : "",
				 c->name, c->readiness.status[0] ? c->readiness.status : "(no reason given)");
			ready = false;
		}
	}
	return ready;
}

bool fzgw_obs_ready(struct fzgw_daemon *d, char *why, size_t len)
{
	char status[OBS_STATUS_MAX];

	return compute(d, why, len, status, sizeof(status));
}

void fzgw_obs_update(struct fzgw_daemon *d)
{
	struct fzgw_obs *o = d->obs;
	char why[256], status[OBS_STATUS_MAX], line[OBS_STATUS_MAX + 300];
	bool ready;

	if (!o || o->stopping)
		return;
	ready = compute(d, why, sizeof(why), status, sizeof(status));
	if (ready != o->ready)
		fzgw_info("gateway %s%s%s", ready ? "ready" : "not ready", ready ? "" : ": ",
			  ready ? "" : why);
	o->ready = ready;
	if (!ready) {
		/* systemd shows it with the status: say what is awaited */
		char s2[OBS_STATUS_MAX + sizeof(why) + 16];

		snprintf(s2, sizeof(s2), "not ready (%s); %s", why, status);
		memcpy(status, s2, sizeof(status) - 1);
		status[sizeof(status) - 1] = '\0';
	}
	if (ready && !o->ready_sent) {
		o->ready_sent = true;
		snprintf(o->status, sizeof(o->status), "%s", status);
		snprintf(line, sizeof(line), "READY=1\nSTATUS=%s", status);
		notify(o, line);
		return;
	}
	if (strcmp(status, o->status)) {
		snprintf(o->status, sizeof(o->status), "%s", status);
		snprintf(line, sizeof(line), "STATUS=%s", status);
		notify(o, line);
	}
}

static void on_ready_changed(struct fzgw_core *core)
{
	fzgw_obs_update(core->daemon);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fzgw_obs *o = arg;
	uint64_t now = mono_ns();

	(void)fd;
	(void)what;
	o->lag_s = now > o->tick_due_ns ? (double)(now - o->tick_due_ns) / 1e9 : 0.0;
	if (now - o->lag_window_ns >= OBS_LAG_WINDOW_NS) {
		o->lag_window_ns = now;
		o->lag_max[1] = o->lag_max[0];
		o->lag_max[0] = 0;
	}
	if (o->lag_s > o->lag_max[0])
		o->lag_max[0] = o->lag_s;
	o->tick_due_ns = now + OBS_TICK_MS * 1000000ull;
	fzgw_obs_update(o->d);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	notify(arg, "WATCHDOG=1");
}

static bool http_ready(void *arg, char *why, size_t len)
{
	return fzgw_obs_ready(arg, why, len);
}

static void http_metrics(void *arg, struct fzgw_prom *p)
{
	struct fzgw_daemon *d = arg;
	struct fzgw_obs *o = d->obs;
	struct fzgw_metrics_in in = { .core = &d->core };
	char why[256];

	fzgw_dataplane_metrics(d->dp, &in.dp);
	in.ready = fzgw_obs_ready(d, why, sizeof(why));
	in.loop_lag_s = o->lag_s;
	in.loop_lag_max_s = o->lag_max[0] > o->lag_max[1] ? o->lag_max[0] : o->lag_max[1];
	in.start_time_s = o->start_s;
	fzgw_http_counts(o->http, in.http_requests);
	fzgw_metrics_render(p, &in);
}

int fzgw_obs_start(struct fzgw_daemon *d, char *err, size_t errlen)
{
	const struct fzgw_http_ops ops = { http_ready, http_metrics, d };
	struct timeval tv = { 0, OBS_TICK_MS * 1000 };
	struct fzgw_obs *o;
	uint64_t wd;

	if (!(o = calloc(1, sizeof(*o)))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->obs = o;
	o->d = d;
	o->start_s = (int64_t)time(NULL);
	o->notify = fzgw_notify_enabled();
	o->tick_due_ns = o->lag_window_ns = mono_ns();
	o->tick_due_ns += OBS_TICK_MS * 1000000ull;
	if (!(o->tick = event_new(d->core.base, -1, EV_PERSIST, on_tick, o)) ||
	    event_add(o->tick, &tv) < 0) {
		snprintf(err, errlen, "cannot start the loop's tick");
		return -ENOMEM;
	}
	if (o->notify)
		fzgw_info("systemd notifications on (%s)", fzgw_notify_impl());
	if (o->notify && (wd = fzgw_notify_watchdog_usec()) > 0) {
		struct timeval wtv = { (time_t)(wd / 2 / 1000000u), (suseconds_t)(wd / 2 % 1000000u) };

		if (!(o->watchdog = event_new(d->core.base, -1, EV_PERSIST, on_watchdog, o)) ||
		    event_add(o->watchdog, &wtv) < 0) {
			snprintf(err, errlen, "cannot start the watchdog timer");
			return -ENOMEM;
		}
		fzgw_info("systemd watchdog: WATCHDOG=1 every %.3f s", (double)wd / 2e6);
	}
	snprintf(o->http_addr, sizeof(o->http_addr), "%s", d->cfg->health_check_addr);
	if (!fzgw_http_addr_off(o->http_addr)) {
		char why[512];

		if (!(o->http = fzgw_http_start(d->core.base, o->http_addr, &ops, why, sizeof(why)))) {
			if (d->cfg->health_check_explicit) {
				snprintf(err, errlen, "%s", why);
				return -EADDRNOTAVAIL;
			}
			fzgw_err("%s; going on without it (set HEALTH_CHECK_ADDR, "
				 "--health-check-addr or gateway.health_check_addr; \"off\" disables it)",
				 why);
		} else {
			fzgw_info("health check and metrics on http://%s (/healthz, /readyz, /metrics)",
				  o->http_addr);
		}
	}
	d->core.ready_changed = on_ready_changed;
	fzgw_obs_update(d);
	return 0;
}

void fzgw_obs_reloading(struct fzgw_daemon *d)
{
	struct fzgw_obs *o = d->obs;

	if (o && o->notify && !o->stopping) {
		int rc = fzgw_notify_reloading();

		if (rc < 0)
			fzgw_warn("systemd notification failed: %s", strerror(-rc));
	}
}

void fzgw_obs_reloaded(struct fzgw_daemon *d)
{
	struct fzgw_obs *o = d->obs;

	if (!o)
		return;
	if (strcmp(o->http_addr, d->cfg->health_check_addr))
		fzgw_warn("reload: a change of the health check address takes effect at the next start");
	/* the reload is over (applied or refused): systemd waits for this READY=1 */
	o->status[0] = '\0';
	if (o->ready_sent)
		notify(o, "READY=1");
	fzgw_obs_update(d);
}

void fzgw_obs_stopping(struct fzgw_daemon *d)
{
	struct fzgw_obs *o = d->obs;

	if (!o || o->stopping)
		return;
	notify(o, "STOPPING=1\nSTATUS=stopping");
	o->stopping = true;
}

void fzgw_obs_stop(struct fzgw_daemon *d)
{
	struct fzgw_obs *o = d->obs;

	if (!o)
		return;
	d->core.ready_changed = NULL;
	o->http = fzgw_http_free(o->http);
	if (o->tick)
		event_free(o->tick);
	if (o->watchdog)
		event_free(o->watchdog);
	free(o);
	d->obs = NULL;
}
