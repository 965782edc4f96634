/* SPDX-License-Identifier: Apache-2.0 */
/* A configurable test module, built several times under different names and ABI fields,
 * to attack the loader and exercise chains, verdicts, STOLEN/reinject and the bus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fzgw/module.h>

#include "trace.h"

#ifndef TM_NAME
#error TM_NAME
#endif
#ifndef TM_PRIO
#define TM_PRIO 10
#endif
#ifndef TM_MAJOR
#define TM_MAJOR FZGW_ABI_MAJOR
#endif
#ifndef TM_MINOR
#define TM_MINOR FZGW_ABI_MINOR
#endif
#ifndef TM_SIZE
#define TM_SIZE sizeof(struct fzgw_module)
#endif
#ifdef TM_NAME_OVERRIDE
#define TM_DESC_NAME "someone_else"
#else
#define TM_DESC_NAME TM_NAME
#endif
#ifndef TM_SYMBOL
#define TM_SYMBOL fzgw_module
#endif
#ifndef TM_AFTER
#define TM_AFTER NULL
#endif

struct tm_conf {
	char verdict[16];
	char reason[32];
	char out_verdict[16];
	bool fail_init;
	bool publish;
	int64_t value;
};

static const struct fzgw_key tm_keys[] = {
	{ "verdict", FZGW_KEY_STRING, false, offsetof(struct tm_conf, verdict), 16, 0, 0 },
	{ "out_verdict", FZGW_KEY_STRING, false, offsetof(struct tm_conf, out_verdict), 16, 0, 0 },
	{ "reason", FZGW_KEY_STRING, false, offsetof(struct tm_conf, reason), 32, 0, 0 },
	{ "fail_init", FZGW_KEY_BOOL, false, offsetof(struct tm_conf, fail_init), 0, 0, 0 },
	{ "publish", FZGW_KEY_BOOL, false, offsetof(struct tm_conf, publish), 0, 0, 0 },
	{ "value", FZGW_KEY_INT, false, offsetof(struct tm_conf, value), 0, 0, 1000 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

struct tm {
	struct fzgw_ctx *ctx;
	const struct fzgw_api *api;
	struct tm_conf conf;
	const struct tm_trace *trace;
	struct fzgw_packet *stolen;
	int ctl_counter;
	struct tm_ctl ctl;
};

static int parse_verdict(const char *s)
{
	if (!*s || !strcmp(s, "continue"))
		return FZGW_CONTINUE;
	if (!strcmp(s, "accept"))
		return FZGW_ACCEPT;
	if (!strcmp(s, "drop"))
		return FZGW_DROP;
	if (!strcmp(s, "steal"))
		return FZGW_STOLEN;
	return -1;
}

static enum fzgw_verdict run(struct tm *tm, struct fzgw_packet *pkt, const char *v)
{
	int verdict = parse_verdict(v);

	if (!tm->trace) /* looked up late: the test registers it after start-up */
		tm->trace = tm->api->service_lookup(tm->ctx, "test.trace");
	if (tm->trace)
		tm->trace->record(TM_NAME);
	if (verdict == FZGW_DROP)
		pkt->drop_reason = tm->conf.reason[0] ? tm->conf.reason : "tm-drop";
	if (verdict == FZGW_STOLEN) {
		if (tm->stolen) /* hold one at a time */
			return FZGW_CONTINUE;
		tm->stolen = pkt;
	}
	return (enum fzgw_verdict)verdict;
}

static enum fzgw_verdict tm_in(void *state, struct fzgw_packet *pkt)
{
	struct tm *tm = state;

	return run(tm, pkt, tm->conf.verdict);
}

static enum fzgw_verdict tm_out(void *state, struct fzgw_packet *pkt)
{
	struct tm *tm = state;

	return run(tm, pkt, tm->conf.out_verdict);
}

static int tm_release(void *self, bool reinject)
{
	struct tm *tm = self;
	struct fzgw_packet *p = tm->stolen;

	if (!p)
		return -1;
	tm->stolen = NULL;
	if (reinject)
		tm->api->pkt_reinject(tm->ctx, p);
	else
		tm->api->pkt_free(tm->ctx, p, "tm-freed");
	return 0;
}

static int tm_get_value(void *self)
{
	return (int)((struct tm *)self)->conf.value;
}

static void tm_on_event(void *state, const struct fzgw_event *ev)
{
	struct tm *tm = state;
	char what[64];

	snprintf(what, sizeof(what), "%s:ev%u", TM_NAME, ev->type);
	if (!tm->trace)
		tm->trace = tm->api->service_lookup(tm->ctx, "test.trace");
	if (tm->trace)
		tm->trace->record(what);
}

static int tm_check(struct tm_conf *c, const struct fzgw_api *api, struct fzgw_ctx *ctx,
		    const struct fzgw_settings *s)
{
	if (api->settings_parse(ctx, s, tm_keys, c) < 0)
		return -22;
	if (parse_verdict(c->verdict) < 0)
		return api->settings_error(ctx, api->settings_child(s, "verdict"), "unknown verdict \"%s\"",
					   c->verdict);
	if (parse_verdict(c->out_verdict) < 0)
		return api->settings_error(ctx, api->settings_child(s, "out_verdict"),
					   "unknown verdict \"%s\"", c->out_verdict);
	return 0;
}

static int tm_init(struct fzgw_ctx *ctx, const struct fzgw_api *api, const struct fzgw_settings *s,
		   void **state)
{
	struct tm_conf conf = { 0 };
	struct tm *tm;
	char svc[64];
	int rc;

	if ((rc = tm_check(&conf, api, ctx, s)) < 0)
		return rc;
	if (conf.fail_init)
		return -5;
	if (!(tm = calloc(1, sizeof(*tm))))
		return -12;
	tm->ctx = ctx;
	tm->api = api;
	tm->conf = conf;
	tm->trace = api->service_lookup(ctx, "test.trace");
	tm->ctl = (struct tm_ctl){ tm, tm_release, tm_get_value };
	snprintf(svc, sizeof(svc), "%s.ctl", TM_NAME);
	api->service_register(ctx, svc, &tm->ctl);
	api->counter_register(ctx, "inits");
	if (conf.publish && !api->check_only(ctx)) {
		struct fzgw_ev_peer ev = { .client_id = TM_NAME };

		api->publish(ctx, FZGW_EV_PEER_REMOVED, &ev, sizeof(ev));
	}
	*state = tm;
	return 0;
}

static int tm_reload(void *state, const struct fzgw_settings *s)
{
	struct tm *tm = state;
	struct tm_conf conf = { 0 };

	if (tm_check(&conf, tm->api, tm->ctx, s) < 0)
		return -22;
	tm->conf = conf;
	return 0;
}

static void tm_fini(void *state)
{
	struct tm *tm = state;

	if (tm->stolen)
		tm->api->pkt_free(tm->ctx, tm->stolen, "tm-fini");
	free(tm);
}

#ifdef TM_CTOR
/* Runs at dlopen: proves whether a rejected module's code ever ran. */
__attribute__((constructor)) static void tm_ctor(void)
{
	const char *marker = getenv("FZGW_TEST_MARKER");
	FILE *f = marker ? fopen(marker, "w") : NULL;

	if (f)
		fclose(f);
}
#endif

FZGW_MODULE_EXPORT const struct fzgw_module TM_SYMBOL = {
	.abi_major = TM_MAJOR,
	.abi_minor = TM_MINOR,
	.struct_size = TM_SIZE,
	.name = TM_DESC_NAME,
	.version = "test",
	.init = tm_init,
	.reload = tm_reload,
	.fini = tm_fini,
	.hooks = {
		{ FZGW_PHASE_IN_FILTER, TM_PRIO, tm_in, "in", TM_AFTER },
		{ FZGW_PHASE_OUT_FILTER, TM_PRIO, tm_out, "out" },
	},
	.subs = {
		{ FZGW_EV_PEER_REMOVED, tm_on_event },
	},
};
