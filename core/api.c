/* SPDX-License-Identifier: Apache-2.0 */
/* The table of core services handed to modules, and the packet pipeline they plug into. */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "ip_parse.h"
#include "ip_rewrite.h"
#include "log.h"
#include "loop.h"
#include "peers.h"
#include "pool.h"
#include "settings.h"

uint64_t fzgw_clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t fzgw_clock_wall_s(void)
{
	return (int64_t)time(NULL);
}

void fzgw_core_init(struct fzgw_core *core, struct event_base *base, bool check_only)
{
	memset(core, 0, sizeof(*core));
	core->base = base;
	core->check_only = check_only;
	core->mtu = FZGW_IP_MAX_SIZE;
	core->now_ms = fzgw_clock_now_ms;
	core->wall_s = fzgw_clock_wall_s;
	core->peer_index_max = FZGW_PEERS_MAX;
	core->self.core = core;
	strcpy(core->self.name, "core");
	core->self.check_only = check_only;
	core->self.live = true;
}

void fzgw_core_fini(struct fzgw_core *core)
{
	fzgw_ctx_unregister_all(&core->self);
}

void fzgw_ctx_unregister_all(struct fzgw_ctx *ctx)
{
	struct fzgw_core *core = ctx->core;

	fzgw_bus_unsubscribe_all(&core->bus, ctx);
	fzgw_registry_remove_all(&core->reg, ctx);
	fzgw_loop_remove_all(ctx);
	for (size_t i = 0; i < sizeof(core->udp_claim) / sizeof(core->udp_claim[0]); i++)
		if (core->udp_claim[i].ctx == ctx) {
			core->udp_claim[i].ctx = NULL;
			core->udp_claim[i].fn = NULL;
		}
}

static void release(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	if (core->release)
		core->release(core, pkt);
}

void fzgw_core_drop(struct fzgw_core *core, struct fzgw_packet *pkt, const char *reason)
{
	fzgw_counter_bump(&core->counters, reason ? reason : "unspecified", 1);
	release(core, pkt);
}

/*
 * Where a held packet goes on in its phase: after the hook that took it. Its index is of the
 * chains the packet last entered (stamped then: after STOLEN the packet is the module's, maybe
 * freed already); when they were rebuilt since (a reload), that hook is found again in
 * today's chains by module and index, else the phase starts over.
 */
static int resume_at(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	const struct fzgw_pool_meta *m = fzgw_pool_meta(pkt);
	const struct fzgw_chains *ch = &core->chains;
	const struct fzgw_chain *c = &ch->phase[pkt->phase];
	const struct fzgw_chain_id *id;

	if (!m || m->chain_gen == ch->gen)
		return pkt->hook + 1;
	fzgw_counter_bump(&core->counters, "held-chain-changed", 1);
	if (m->chain_gen + 1 != ch->gen || pkt->hook >= ch->prev_n[pkt->phase])
		return 0;
	id = &ch->prev[pkt->phase][pkt->hook];
	for (int i = 0; i < c->n; i++)
		if (c->e[i].ctx == id->ctx && c->e[i].index == id->index)
			return i + 1;
	return 0;
}

void fzgw_core_pipeline(struct fzgw_core *core, struct fzgw_packet *pkt, int phase, int hook)
{
	int last = pkt->dir == FZGW_DIR_IN ? FZGW_PHASE_IN_NAT : FZGW_PHASE_OUT_FILTER;
	struct fzgw_pool_meta *m = fzgw_pool_meta(pkt);

	if (m)
		m->chain_gen = core->chains.gen; /* the hook indexes it gets are of these chains */
	for (int p = phase; p <= last; p++, hook = 0) {
		enum fzgw_verdict v = fzgw_chain_run(&core->chains.phase[p], p, pkt, hook);

		if (v == FZGW_STOLEN)
			return;
		if (v == FZGW_DROP) {
			/* per-hook reasons are counted in the chain; the core counts the total */
			const char *why = "hook-dropped";

			if (pkt->drop_reason && !strcmp(pkt->drop_reason, FZGW_REASON_NO_ACCEPT))
				why = p == FZGW_PHASE_IN_FILTER ? "in-no-filter-accepted"
								: "out-no-filter-accepted";
			fzgw_counter_bump(&core->counters, why, 1);
			release(core, pkt);
			return;
		}
	}
	if (core->sink[pkt->dir])
		core->sink[pkt->dir](core, pkt);
	else
		fzgw_core_drop(core, pkt, "no-sink");
}

/* ------------------------------------------------------------------ the api */

static void api_log(struct fzgw_ctx *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void api_log(struct fzgw_ctx *ctx, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fzgw_logv(ctx->name, level, fmt, ap);
	va_end(ap);
}

static bool api_log_enabled(struct fzgw_ctx *ctx, int level)
{
	return fzgw_log_enabled(ctx->name, level);
}

static bool api_check_only(struct fzgw_ctx *ctx)
{
	return ctx->check_only;
}

/* During init the loader reports the error as the one line about the config; later it is logged. */
static void keep_error(struct fzgw_ctx *ctx, const char *err)
{
	if (!ctx->last_err[0])
		snprintf(ctx->last_err, sizeof(ctx->last_err), "%s", err);
	if (!ctx->in_init)
		fzgw_log(ctx->name, FZGW_LOG_ERROR, "%s", err);
}

static int api_settings_parse(struct fzgw_ctx *ctx, const struct fzgw_settings *s,
			      const struct fzgw_key *table, void *out)
{
	char err[512];
	int rc;

	/* no settings group at all: a required key is missing from the module's entry */
	for (const struct fzgw_key *k = table; !s && k->type != FZGW_KEY_END; k++)
		if (k->required) {
			fzgw_settings_errf(ctx->entry_cs, err, sizeof(err),
					   "module \"%s\" has no settings: missing required key \"%s\"",
					   ctx->name, k->name);
			keep_error(ctx, err);
			return -EINVAL;
		}
	if ((rc = fzgw_settings_parse(fzgw_settings_cs(s), table, out, err, sizeof(err))) < 0)
		keep_error(ctx, err);
	return rc;
}

static const struct fzgw_settings *api_settings_child(const struct fzgw_settings *s, const char *name)
{
	const config_setting_t *cs = fzgw_settings_cs(s);

	if (!cs || !config_setting_is_group(cs))
		return NULL;
	return fzgw_settings_of(config_setting_get_member(cs, name));
}

static int api_settings_count(const struct fzgw_settings *s)
{
	const config_setting_t *cs = fzgw_settings_cs(s);

	return cs && config_setting_is_aggregate(cs) ? config_setting_length(cs) : 0;
}

static const struct fzgw_settings *api_settings_elem(const struct fzgw_settings *s, int i)
{
	const config_setting_t *cs = fzgw_settings_cs(s);

	if (!cs || i < 0 || !config_setting_is_aggregate(cs))
		return NULL;
	return fzgw_settings_of(config_setting_get_elem(cs, (unsigned)i));
}

static const char *api_settings_string(const struct fzgw_settings *s)
{
	const config_setting_t *cs = fzgw_settings_cs(s);

	return cs && config_setting_type(cs) == CONFIG_TYPE_STRING ? config_setting_get_string(cs) : NULL;
}

static int api_settings_error(struct fzgw_ctx *ctx, const struct fzgw_settings *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int api_settings_error(struct fzgw_ctx *ctx, const struct fzgw_settings *s, const char *fmt, ...)
{
	char err[512];
	va_list ap;

	va_start(ap, fmt);
	/* no settings group at all: point at the module's config entry */
	fzgw_settings_verrf(s ? fzgw_settings_cs(s) : ctx->entry_cs, err, sizeof(err), fmt, ap);
	va_end(ap);
	keep_error(ctx, err);
	return -EINVAL;
}

static struct fzgw_timer *api_timer_add(struct fzgw_ctx *ctx, uint32_t ms, bool repeat,
					fzgw_timer_fn fn, void *arg)
{
	return fzgw_loop_timer_add(ctx, ms, repeat, fn, arg);
}

static void api_timer_del(struct fzgw_ctx *ctx, struct fzgw_timer *t)
{
	fzgw_loop_timer_del(ctx, t);
}

static struct fzgw_fd *api_fd_add(struct fzgw_ctx *ctx, int fd, short events, fzgw_fd_fn fn, void *arg)
{
	return fzgw_loop_fd_add(ctx, fd, events, fn, arg);
}

static void api_fd_del(struct fzgw_ctx *ctx, struct fzgw_fd *f)
{
	fzgw_loop_fd_del(ctx, f);
}

static uint64_t api_now_ms(struct fzgw_ctx *ctx)
{
	return ctx->core->now_ms();
}

static int64_t api_wall_s(struct fzgw_ctx *ctx)
{
	return ctx->core->wall_s();
}

static int api_publish(struct fzgw_ctx *ctx, uint32_t type, const void *data, size_t size)
{
	if (ctx->probe)
		return 0; /* a validation run must not change anything */
	return fzgw_bus_publish(&ctx->core->bus, ctx, type, data, size);
}

static void api_pkt_reinject(struct fzgw_ctx *ctx, struct fzgw_packet *pkt)
{
	struct fzgw_core *core = ctx->core;

	/* held while its client was removed: its pkt->peer may point at freed memory */
	if (core->pkt_peer_ok && !core->pkt_peer_ok(core, pkt)) {
		fzgw_core_drop(core, pkt, "held-peer-gone");
		return;
	}
	if (pkt->phase >= FZGW_PHASE_COUNT || pkt->dir > FZGW_DIR_OUT ||
	    (pkt->dir == FZGW_DIR_IN) != (pkt->phase <= FZGW_PHASE_IN_NAT)) {
		fzgw_core_drop(core, pkt, "reinject-bad-phase");
		return;
	}
	fzgw_core_pipeline(core, pkt, pkt->phase, resume_at(core, pkt));
}

static void api_pkt_free(struct fzgw_ctx *ctx, struct fzgw_packet *pkt, const char *reason)
{
	if (reason)
		fzgw_counter_bump(&ctx->counters, reason, 1);
	release(ctx->core, pkt);
}

static int api_icmp_reply(struct fzgw_ctx *ctx, const struct fzgw_packet *pkt, int kind, uint32_t mtu)
{
	if (!ctx->core->icmp)
		return -ENOSYS;
	return ctx->core->icmp(ctx->core, pkt, kind, mtu);
}

static int api_pkt_reparse(struct fzgw_ctx *ctx, struct fzgw_packet *pkt)
{
	return fzgw_ip_parse(&pkt->ip, pkt->data, pkt->len, ctx->core->mtu) ? -EINVAL : 0;
}

static int api_set_src(struct fzgw_packet *pkt, const struct fzgw_addr *a)
{
	return fzgw_ip_set_src(pkt->data, &pkt->ip, a);
}

static int api_set_dst(struct fzgw_packet *pkt, const struct fzgw_addr *a)
{
	return fzgw_ip_set_dst(pkt->data, &pkt->ip, a);
}

static int api_set_src_port(struct fzgw_packet *pkt, uint16_t port)
{
	return fzgw_ip_set_src_port(pkt->data, &pkt->ip, port);
}

static int api_set_dst_port(struct fzgw_packet *pkt, uint16_t port)
{
	return fzgw_ip_set_dst_port(pkt->data, &pkt->ip, port);
}

static int api_set_icmp_id(struct fzgw_packet *pkt, uint16_t id)
{
	return fzgw_ip_set_icmp_id(pkt->data, &pkt->ip, id);
}

static int api_service_register(struct fzgw_ctx *ctx, const char *name, const void *table)
{
	if (ctx->probe)
		return 0;
	return fzgw_registry_add(&ctx->core->reg, ctx, name, table);
}

static const void *api_service_lookup(struct fzgw_ctx *ctx, const char *name)
{
	return fzgw_registry_find(&ctx->core->reg, name);
}

static int api_counter_register(struct fzgw_ctx *ctx, const char *name)
{
	return fzgw_counter_id(&ctx->counters, name);
}

static void api_counter_add(struct fzgw_ctx *ctx, int id, uint64_t n)
{
	fzgw_counter_add(&ctx->counters, id, n);
}

static const struct fzgw_peer_info *api_peer_by_client(struct fzgw_ctx *ctx, const char *client_id)
{
	if (!ctx->core->peer_by_client || !client_id)
		return NULL;
	return ctx->core->peer_by_client(ctx->core, client_id);
}

static struct fzgw_packet *api_pkt_alloc(struct fzgw_ctx *ctx)
{
	return ctx->core->alloc ? ctx->core->alloc(ctx->core) : NULL;
}

static void api_pkt_inject(struct fzgw_ctx *ctx, struct fzgw_packet *pkt, int phase)
{
	struct fzgw_core *core = ctx->core;
	int last = pkt->dir == FZGW_DIR_IN ? FZGW_PHASE_IN_NAT : FZGW_PHASE_OUT_FILTER;
	int first = pkt->dir == FZGW_DIR_IN ? FZGW_PHASE_IN_PARSE : FZGW_PHASE_OUT_PARSE;

	if (pkt->dir > FZGW_DIR_OUT || (phase != FZGW_PHASE_COUNT && (phase < first || phase > last))) {
		fzgw_counter_bump(&ctx->counters, "inject-bad-phase", 1);
		release(core, pkt);
		return;
	}
	if (core->pkt_peer_ok)
		(void)core->pkt_peer_ok(core, pkt); /* stamps the client the module just set */
	if (phase == FZGW_PHASE_COUNT) {
		if (core->sink[pkt->dir])
			core->sink[pkt->dir](core, pkt);
		else
			fzgw_core_drop(core, pkt, "no-sink");
		return;
	}
	fzgw_core_pipeline(core, pkt, phase, 0);
}

static int api_public_key(struct fzgw_ctx *ctx, uint8_t out[32])
{
	return ctx->core->public_key ? ctx->core->public_key(ctx->core, out) : -ENODEV;
}

static void api_shutdown(struct fzgw_ctx *ctx, int exit_code, const char *why)
{
	fzgw_log(ctx->name, FZGW_LOG_ERROR, "shutting down (exit %d): %s", exit_code, why ? why : "");
	if (ctx->core->shutdown && !ctx->check_only)
		ctx->core->shutdown(ctx->core, exit_code);
}

static void *api_event_base(struct fzgw_ctx *ctx)
{
	return ctx->check_only ? NULL : ctx->core->base;
}

/* ---- ABI 2.0 */

static int api_peer_remove(struct fzgw_ctx *ctx, const char *client_id, const char *why)
{
	struct fzgw_core *core = ctx->core;

	if (!client_id || !client_id[0])
		return -EINVAL;
	if (ctx->probe || ctx->check_only)
		return 0; /* validation changes nothing */
	if (!core->peer_remove)
		return -ENOENT; /* no data plane: no clients */
	return core->peer_remove(core, client_id, why ? why : "");
}

static int api_settings_int(const struct fzgw_settings *s, int64_t *out)
{
	const config_setting_t *cs = fzgw_settings_cs(s);
	int t = cs ? config_setting_type(cs) : CONFIG_TYPE_NONE;

	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return -EINVAL;
	*out = config_setting_get_int64(cs);
	return 0;
}

static void api_log_limited(struct fzgw_ctx *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void api_log_limited(struct fzgw_ctx *ctx, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fzgw_log_limited(&ctx->core->log_limit, ctx->core->now_ms(), ctx->name, level, fmt, ap);
	va_end(ap);
}

static uint32_t api_peer_index_max(struct fzgw_ctx *ctx)
{
	return ctx->core->peer_index_max;
}

/* UDP and paths: a validation run (probe, check_only) changes and sends nothing */

static int api_udp_claim(struct fzgw_ctx *ctx, int udp_class, fzgw_udp_fn fn)
{
	struct fzgw_core *core = ctx->core;

	if ((udp_class != FZGW_UDP_STUN && udp_class != FZGW_UDP_CHANNELDATA) || !fn)
		return -EINVAL;
	if (ctx->probe || ctx->check_only)
		return 0;
	if (core->udp_claim[udp_class].ctx && core->udp_claim[udp_class].ctx != ctx)
		return -EBUSY;
	core->udp_claim[udp_class].ctx = ctx;
	core->udp_claim[udp_class].fn = fn;
	return 0;
}

static int api_udp_send(struct fzgw_ctx *ctx, const struct fzgw_endpoint *to, const uint8_t *data,
			size_t len)
{
	if (!to || !data)
		return -EINVAL;
	if (ctx->probe)
		return 0;
	return ctx->core->udp_send ? ctx->core->udp_send(ctx->core, to, data, len) : -ENODEV;
}

static int api_udp_local(struct fzgw_ctx *ctx, int family, struct fzgw_endpoint *out)
{
	if (!out || (family != 4 && family != 6))
		return -EINVAL;
	return ctx->core->udp_local ? ctx->core->udp_local(ctx->core, family, out) : -ENODEV;
}

static int api_peer_set_path(struct fzgw_ctx *ctx, const char *client_id, const struct fzgw_path *path)
{
	if (!client_id || !client_id[0] || !path)
		return -EINVAL;
	if (ctx->probe || ctx->check_only)
		return 0;
	return ctx->core->set_path ? ctx->core->set_path(ctx->core, client_id, path) : -ENOENT;
}

static void api_udp_input(struct fzgw_ctx *ctx, const struct fzgw_path *via, const uint8_t *data,
			  size_t len)
{
	if (!via || !data || ctx->probe || !ctx->core->udp_input)
		return;
	ctx->core->udp_input(ctx->core, via, data, len);
}

/* ---- ABI 2.1: gauges and readiness */

static int api_gauge_register(struct fzgw_ctx *ctx, const char *name)
{
	return fzgw_gauge_id(&ctx->gauges, name);
}

static void api_gauge_set(struct fzgw_ctx *ctx, int id, int64_t value)
{
	fzgw_gauge_set(&ctx->gauges, id, value);
}

static void api_ready_set(struct fzgw_ctx *ctx, bool ready, const char *status)
{
	bool was_gating = ctx->readiness.gates, was = ctx->readiness.ready;
	char old[sizeof(ctx->readiness.status)];

	if (ctx->probe || ctx->check_only)
		return; /* a validation run changes nothing */
	memcpy(old, ctx->readiness.status, sizeof(old));
	fzgw_readiness_set(&ctx->readiness, ready, status);
	if (was_gating && was == ready && !strcmp(old, ctx->readiness.status))
		return;
	fzgw_log(ctx->name, FZGW_LOG_INFO, "readiness: %s%s%s", ready ? "ready" : "not ready",
		 ctx->readiness.status[0] ? ", " : "", ctx->readiness.status);
	if (ctx->core->ready_changed)
		ctx->core->ready_changed(ctx->core);
}

const struct fzgw_api fzgw_core_api = {
	.abi_major = FZGW_ABI_MAJOR,
	.abi_minor = FZGW_ABI_MINOR,
	.struct_size = sizeof(struct fzgw_api),
	.log = api_log,
	.log_enabled = api_log_enabled,
	.check_only = api_check_only,
	.settings_parse = api_settings_parse,
	.settings_child = api_settings_child,
	.settings_count = api_settings_count,
	.settings_elem = api_settings_elem,
	.settings_string = api_settings_string,
	.settings_error = api_settings_error,
	.timer_add = api_timer_add,
	.timer_del = api_timer_del,
	.fd_add = api_fd_add,
	.fd_del = api_fd_del,
	.now_ms = api_now_ms,
	.wall_s = api_wall_s,
	.publish = api_publish,
	.pkt_reinject = api_pkt_reinject,
	.pkt_free = api_pkt_free,
	.icmp_reply = api_icmp_reply,
	.pkt_reparse = api_pkt_reparse,
	.pkt_set_src = api_set_src,
	.pkt_set_dst = api_set_dst,
	.pkt_set_src_port = api_set_src_port,
	.pkt_set_dst_port = api_set_dst_port,
	.pkt_set_icmp_id = api_set_icmp_id,
	.service_register = api_service_register,
	.service_lookup = api_service_lookup,
	.counter_register = api_counter_register,
	.counter_add = api_counter_add,
	.peer_by_client = api_peer_by_client,
	.pkt_alloc = api_pkt_alloc,
	.pkt_inject = api_pkt_inject,
	.public_key = api_public_key,
	.shutdown = api_shutdown,
	.event_base = api_event_base,
	.peer_remove = api_peer_remove,
	.settings_int = api_settings_int,
	.log_limited = api_log_limited,
	.peer_index_max = api_peer_index_max,
	.udp_claim = api_udp_claim,
	.udp_send = api_udp_send,
	.udp_local = api_udp_local,
	.peer_set_path = api_peer_set_path,
	.udp_input = api_udp_input,
	.gauge_register = api_gauge_register,
	.gauge_set = api_gauge_set,
	.ready_set = api_ready_set,
};
