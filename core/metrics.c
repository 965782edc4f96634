/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's /metrics page. Names follow Prometheus's conventions: the firezone_gateway_
 * prefix, _total on counters, base units (bytes, seconds). No label carries a client: the
 * number of series stays bounded by the modules, hooks and reasons the code has.
 */
#include "metrics.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bus.h"
#include "chain.h"
#include "core.h"

#define P "firezone_gateway_"
#define STR2(x) #x
#define STR(x) STR2(x)
#define FZGW_ABI_STRING STR(FZGW_ABI_MAJOR) "." STR(FZGW_ABI_MINOR)

static const char *const dir_label[2] = { "rx", "tx" };

static void process(struct fzgw_prom *p, const struct fzgw_metrics_in *in)
{
	struct rusage ru;

	fzgw_prom_family(p, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
	fzgw_prom_u64(p, "process_resident_memory_bytes", NULL, fzgw_metrics_rss_bytes());
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		fzgw_prom_family(p, "process_cpu_seconds_total", "counter",
				 "Total user and system CPU time spent in seconds.");
		fzgw_prom_f64(p, "process_cpu_seconds_total", NULL,
			      (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
				  (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	}
	fzgw_prom_family(p, "process_start_time_seconds", "gauge",
			 "Start time of the process since unix epoch in seconds.");
	fzgw_prom_i64(p, "process_start_time_seconds", NULL, in->start_time_s);
}

static void gateway(struct fzgw_prom *p, const struct fzgw_metrics_in *in)
{
	const char *info[] = { "version", FZGW_VERSION, "abi", FZGW_ABI_STRING, NULL };

	fzgw_prom_family(p, P "build_info", "gauge", "Always 1; the version and module ABI as labels.");
	fzgw_prom_u64(p, P "build_info", info, 1);
	fzgw_prom_family(p, P "ready", "gauge",
			 "1 while the data plane is up and every gating module is ready (/readyz 200).");
	fzgw_prom_u64(p, P "ready", NULL, in->ready);
	fzgw_prom_family(p, P "interface_up", "gauge", "1 once the TUN has its addresses.");
	fzgw_prom_u64(p, P "interface_up", NULL, in->dp.iface_up);
	fzgw_prom_family(p, P "loop_lag_seconds", "gauge",
			 "How late the event loop's 250 ms tick ran last time.");
	fzgw_prom_f64(p, P "loop_lag_seconds", NULL, in->loop_lag_s);
	fzgw_prom_family(p, P "loop_lag_max_seconds", "gauge",
			 "The worst lateness of the loop's tick in the last 10 to 20 seconds.");
	fzgw_prom_f64(p, P "loop_lag_max_seconds", NULL, in->loop_lag_max_s);
}

static void dataplane(struct fzgw_prom *p, const struct fzgw_metrics_in *in)
{
	const struct fzgw_wg_stats *s = &in->dp.wg;
	const uint64_t tunnel[2] = { s->rx_data_packets, s->tx_data_packets };
	const uint64_t dgrams[2] = { s->rx_packets, s->tx_packets };
	const uint64_t bytes[2] = { s->rx_bytes, s->tx_bytes };
	const char *l[] = { "direction", NULL, NULL };
	const char *hs[] = { "type", NULL, NULL };

	fzgw_prom_family(p, P "peers", "gauge", "Clients with a tunnel.");
	fzgw_prom_u64(p, P "peers", NULL, in->dp.peers);
	fzgw_prom_family(p, P "tunnel_packets_total", "counter",
			 "IP packets through the tunnels: rx decrypted from clients, tx encrypted to them.");
	for (int d = 0; d < 2; d++) {
		l[1] = dir_label[d];
		fzgw_prom_u64(p, P "tunnel_packets_total", l, tunnel[d]);
	}
	fzgw_prom_family(p, P "wireguard_datagrams_total", "counter",
			 "WireGuard datagrams: rx authenticated, tx sent (every message type).");
	for (int d = 0; d < 2; d++) {
		l[1] = dir_label[d];
		fzgw_prom_u64(p, P "wireguard_datagrams_total", l, dgrams[d]);
	}
	fzgw_prom_family(p, P "wireguard_bytes_total", "counter",
			 "Bytes of those WireGuard datagrams (UDP payload).");
	for (int d = 0; d < 2; d++) {
		l[1] = dir_label[d];
		fzgw_prom_u64(p, P "wireguard_bytes_total", l, bytes[d]);
	}
	fzgw_prom_family(p, P "handshakes_total", "counter", "WireGuard handshakes completed.");
	fzgw_prom_u64(p, P "handshakes_total", NULL, s->handshakes_completed);
	fzgw_prom_family(p, P "handshake_messages_sent_total", "counter",
			 "Handshake messages sent, by type.");
	hs[1] = "initiation";
	fzgw_prom_u64(p, P "handshake_messages_sent_total", hs, s->initiations_sent);
	hs[1] = "response";
	fzgw_prom_u64(p, P "handshake_messages_sent_total", hs, s->responses_sent);
	hs[1] = "cookie_reply";
	fzgw_prom_u64(p, P "handshake_messages_sent_total", hs, s->cookies_sent);
	fzgw_prom_family(p, P "wireguard_under_load_total", "counter",
			 "Times the handshake path entered its under-load (cookie) mode.");
	fzgw_prom_u64(p, P "wireguard_under_load_total", NULL, s->under_load_entered);
	fzgw_prom_family(p, P "wireguard_drops_total", "counter",
			 "Datagrams the WireGuard engine dropped, by reason.");
	for (int r = 1; r < FZGW_WG_DROP_COUNT; r++) {
		const char *dl[] = { "reason", fzgw_wg_drop_name(r), NULL };

		if (dl[1])
			fzgw_prom_u64(p, P "wireguard_drops_total", dl, s->drops[r]);
	}
	fzgw_prom_family(p, P "packet_buffers", "gauge", "Packet buffers in the pool, by state.");
	l[0] = "state";
	l[1] = "in_use";
	fzgw_prom_u64(p, P "packet_buffers", l, in->dp.buffers_in_use);
	l[1] = "free";
	fzgw_prom_u64(p, P "packet_buffers", l, in->dp.buffers_total - in->dp.buffers_in_use);
}

static void core_counters(struct fzgw_prom *p, const struct fzgw_core *core)
{
	const struct fzgw_bus *bus = &core->bus;

	fzgw_prom_family(p, P "core_events_total", "counter",
			 "The core's own counters: drops by reason and path events (SIGUSR1's core stats).");
	for (int i = 0; i < core->counters.n; i++) {
		const char *l[] = { "counter", core->counters.c[i].name, NULL };

		fzgw_prom_u64(p, P "core_events_total", l, core->counters.c[i].v);
	}
	fzgw_prom_family(p, P "bus_events_total", "counter", "Control events published, by type.");
	for (uint32_t t = 1; t < FZGW_EV_TYPE_COUNT; t++) {
		const char *l[] = { "event", fzgw_event_name(t), NULL };

		if (l[1])
			fzgw_prom_u64(p, P "bus_events_total", l, bus->published[t]);
	}
}

static void modules(struct fzgw_prom *p, const struct fzgw_core *core)
{
	fzgw_prom_family(p, P "module_events_total", "counter",
			 "Each module's own counters (api->counter_register).");
	for (int m = 0; m < core->n_mods; m++) {
		const struct fzgw_ctx *ctx = core->mods[m];

		for (int i = 0; ctx && i < ctx->counters.n; i++) {
			const char *l[] = { "module", ctx->name, "counter", ctx->counters.c[i].name, NULL };

			fzgw_prom_u64(p, P "module_events_total", l, ctx->counters.c[i].v);
		}
	}
	fzgw_prom_family(p, P "module_gauge", "gauge", "Each module's gauges (api->gauge_register).");
	for (int m = 0; m < core->n_mods; m++) {
		const struct fzgw_ctx *ctx = core->mods[m];

		for (int i = 0; ctx && i < ctx->gauges.n; i++) {
			const char *l[] = { "module", ctx->name, "gauge", ctx->gauges.g[i].name, NULL };

			fzgw_prom_i64(p, P "module_gauge", l, ctx->gauges.g[i].v);
		}
	}
	fzgw_prom_family(p, P "module_ready", "gauge",
			 "Modules that gate readiness (api->ready_set): 1 ready, 0 not.");
	for (int m = 0; m < core->n_mods; m++) {
		const struct fzgw_ctx *ctx = core->mods[m];
		const char *l[] = { "module", ctx ? ctx->name : "", NULL };

		if (ctx && ctx->readiness.gates)
			fzgw_prom_u64(p, P "module_ready", l, ctx->readiness.ready);
	}
}

static void hooks(struct fzgw_prom *p, const struct fzgw_core *core)
{
	const struct fzgw_chains *ch = &core->chains;

	fzgw_prom_family(p, P "hook_verdicts_total", "counter",
			 "Verdicts of each hook of each phase's chain.");
	for (int ph = 0; ph < FZGW_PHASE_COUNT; ph++)
		for (int i = 0; i < ch->phase[ph].n; i++) {
			const struct fzgw_chain_entry *e = &ch->phase[ph].e[i];

			for (int v = 0; v < 4; v++) {
				const char *l[] = { "phase", fzgw_phase_name(ph), "module",
						    e->ctx ? e->ctx->name : "", "hook", e->name,
						    "verdict", fzgw_verdict_name(v), NULL };

				fzgw_prom_u64(p, P "hook_verdicts_total", l, e->verdicts[v]);
			}
		}
	fzgw_prom_family(p, P "hook_drops_total", "counter",
			 "Packets each hook dropped, by the reason it gave (\"other\": past 8 reasons).");
	for (int ph = 0; ph < FZGW_PHASE_COUNT; ph++)
		for (int i = 0; i < ch->phase[ph].n; i++) {
			const struct fzgw_chain_entry *e = &ch->phase[ph].e[i];
			const char *l[] = { "phase", fzgw_phase_name(ph), "module",
					    e->ctx ? e->ctx->name : "", "hook", e->name,
					    "reason", NULL, NULL };

			for (int r = 0; r < FZGW_CHAIN_REASONS && e->drops[r].reason; r++) {
				l[7] = e->drops[r].reason;
				fzgw_prom_u64(p, P "hook_drops_total", l, e->drops[r].n);
			}
			if (e->drops_other) {
				l[7] = "other";
				fzgw_prom_u64(p, P "hook_drops_total", l, e->drops_other);
			}
		}
}

static void http_stats(struct fzgw_prom *p, const struct fzgw_metrics_in *in)
{
	static const char *const names[4] = { "ok", "not_ready", "not_found", "bad_request" };

	fzgw_prom_family(p, P "http_requests_total", "counter",
			 "Requests to this health and metrics server, by outcome.");
	for (int i = 0; i < 4; i++) {
		const char *l[] = { "outcome", names[i], NULL };

		fzgw_prom_u64(p, P "http_requests_total", l, in->http_requests[i]);
	}
}

void fzgw_metrics_render(struct fzgw_prom *p, const struct fzgw_metrics_in *in)
{
	process(p, in);
	gateway(p, in);
	dataplane(p, in);
	if (in->core) {
		core_counters(p, in->core);
		modules(p, in->core);
		hooks(p, in->core);
	}
	http_stats(p, in);
}

uint64_t fzgw_metrics_rss_bytes(void)
{
	unsigned long long size = 0, rss = 0;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return page > 0 ? (uint64_t)rss * (uint64_t)page : 0;
}
